/* The parts of the generator every op shares: text buffer and JSON writer,
 * the per-file builder (case objects, little-endian tensors, file metadata)
 * and qcts_suite_generate(). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_impl.h"
#include "qref/bits.h"

/* ---- vbuf ---------------------------------------------------------------------- */

void vb_free(vbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static int vb_reserve(vbuf *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (b->n + extra + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void vb_add(vbuf *b, const void *data, size_t n)
{
    if (!vb_reserve(b, n))
        return;
    memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void vb_puts(vbuf *b, const char *s) { vb_add(b, s, strlen(s)); }

void vb_printf(vbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !vb_reserve(b, (size_t)n)) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

void vb_json_str(vbuf *b, const char *s)
{
    vb_add(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"': vb_puts(b, "\\\""); break;
        case '\\': vb_puts(b, "\\\\"); break;
        case '\n': vb_puts(b, "\\n"); break;
        case '\t': vb_puts(b, "\\t"); break;
        case '\r': vb_puts(b, "\\r"); break;
        default:
            if (c < 0x20)
                vb_printf(b, "\\u%04x", c);
            else
                vb_add(b, s, 1);
        }
    }
    vb_add(b, "\"", 1);
}

void vmsg(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- names ----------------------------------------------------------------------- */

static const char *const dist_names[VD_COUNT] = {
    [VD_GAUSS] = "gaussian",   [VD_UNIFORM] = "uniform",         [VD_GRID] = "grid",
    [VD_OUTLIERS] = "outliers", [VD_WIDE] = "wide",              [VD_ZEROS] = "zeros",
    [VD_RANDOM_BITS] = "random_bits", [VD_INTEGERS] = "integers",
};

const char *vdist_name(vdist d) { return (unsigned)d < VD_COUNT ? dist_names[d] : "?"; }

void vflags_add(vflags *f, const char *flag)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->v[i], flag) == 0)
            return;
    if (f->n < VMAX_FLAGS)
        f->v[f->n++] = flag;
}

const char *vdtype_name(qref_fmt f)
{
    return f == QREF_FMT_F16 ? "f16" : f == QREF_FMT_BF16 ? "bf16" : "f32";
}

qcts_st_dtype vdtype_st(qref_fmt f)
{
    return f == QREF_FMT_F16 ? QCTS_ST_F16 : f == QREF_FMT_BF16 ? QCTS_ST_BF16 : QCTS_ST_F32;
}

void vjson_sizes(vbuf *b, const qref_qsizes *z)
{
    vb_printf(b, "{\"codes\":%zu,\"scales\":%zu,\"zeros\":%zu,\"meta\":%zu,\"tscale\":%zu,\"total\":%zu}", z->codes,
              z->scales, z->zeros, z->meta, z->tscale, z->total);
}

/* ---- vfile --------------------------------------------------------------------- */

qcts_vec_status vf_fail(vfile *f, qcts_vec_status st, const char *fmt, ...)
{
    if (f->st != QCTS_VEC_OK)
        return f->st;
    f->st = st;
    if (f->err && f->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->err, f->errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

int vf_ok(const vfile *f) { return f->st == QCTS_VEC_OK; }

unsigned vf_begin(vfile *f, qcts_rng *rng, uint64_t *seed)
{
    unsigned id = f->n_cases++;
    *seed = qcts_case_seed(f->s->info.name, id);
    qcts_rng_seed(rng, *seed);
    return id;
}

void vf_case(vfile *f, unsigned id, uint64_t seed, const char *check, const vflags *flags, const char *dist,
             const char *params_json)
{
    vbuf *b = &f->cases;
    if (b->n)
        vb_puts(b, ",");
    vb_printf(b, "{\"id\":\"c%03u\",\"seed\":\"0x%016llx\",\"check\":", id, (unsigned long long)seed);
    vb_json_str(b, check);
    vb_puts(b, ",\"flags\":[");
    for (int i = 0; i < flags->n; i++) {
        if (i)
            vb_puts(b, ",");
        vb_json_str(b, flags->v[i]);
    }
    vb_puts(b, "],\"dist\":");
    vb_json_str(b, dist);
    vb_puts(b, ",\"params\":");
    vb_puts(b, params_json);
    vb_puts(b, "}");
}

void vf_tensor(vfile *f, unsigned id, const char *role_name, qcts_st_dtype dt, const int64_t *shape, int ndim,
               const void *bytes, size_t nbytes)
{
    if (!vf_ok(f))
        return;
    char name[96];
    snprintf(name, sizeof name, "c%03u/%s", id, role_name);
    if (qcts_st_writer_add_tensor(f->w, name, dt, shape, ndim, bytes, nbytes) != QCTS_ST_OK)
        vf_fail(f, QCTS_VEC_ERR_GEN, "%s: tensor %s: %s", f->s->info.name, name, qcts_st_writer_error(f->w));
}

static size_t count(const int64_t *shape, int ndim)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (size_t)shape[i];
    return n;
}

static void vf_tensor_words(vfile *f, unsigned id, const char *role_name, qcts_st_dtype dt, const void *x,
                            unsigned width, const int64_t *shape, int ndim)
{
    size_t n = count(shape, ndim);
    uint8_t *bytes = malloc(n * width + 1);
    if (!bytes) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "%s: out of memory", f->s->info.name);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t u = width == 4 ? ((const uint32_t *)x)[i] : ((const uint16_t *)x)[i];
        for (unsigned k = 0; k < width; k++)
            bytes[width * i + k] = (uint8_t)(u >> (8 * k));
    }
    vf_tensor(f, id, role_name, dt, shape, ndim, bytes, n * width);
    free(bytes);
}

void vf_tensor_f32(vfile *f, unsigned id, const char *role_name, const float *x, const int64_t *shape, int ndim)
{
    _Static_assert(sizeof(float) == sizeof(uint32_t), "float32");
    vf_tensor_words(f, id, role_name, QCTS_ST_F32, x, 4, shape, ndim);
}

void vf_tensor_u16(vfile *f, unsigned id, const char *role_name, qcts_st_dtype dt, const uint16_t *x,
                   const int64_t *shape, int ndim)
{
    vf_tensor_words(f, id, role_name, dt, x, 2, shape, ndim);
}

void vf_tensor_u32(vfile *f, unsigned id, const char *role_name, qcts_st_dtype dt, const uint32_t *x,
                   const int64_t *shape, int ndim)
{
    vf_tensor_words(f, id, role_name, dt, x, 4, shape, ndim);
}

/* ---- one suite -------------------------------------------------------------------- */

qcts_vec_status qcts_suite_generate(const qcts_suite_set *set, size_t i, const char *version, uint8_t **buf,
                                    size_t *len, char *err, size_t errlen)
{
    if (buf)
        *buf = NULL;
    if (len)
        *len = 0;
    if (!set || i >= set->n || !buf || !len || !version) {
        vmsg(err, errlen, "qcts_suite_generate: bad argument");
        return QCTS_VEC_ERR_ARG;
    }
    vfile f = { &set->suites[i], qcts_st_writer_new(), { 0 }, 0, QCTS_VEC_OK, err, errlen };
    if (err && errlen)
        err[0] = '\0';
    if (!f.w) {
        vmsg(err, errlen, "out of memory");
        return QCTS_VEC_ERR_NOMEM;
    }
    switch (f.s->op) {
    case VOP_CONVERT: vgen_convert(&f); break;
    case VOP_QUANTIZE: vgen_quantize(&f); break;
    case VOP_DEQUANT: vgen_dequant(&f); break;
    case VOP_GEMM: vgen_gemm(&f); break;
    case VOP_ATTENTION: vgen_attention(&f); break;
    case VOP_ROPE: vgen_rope(&f); break;
    case VOP_NORM: vgen_norm(&f); break;
    case VOP_SOFTMAX: vgen_softmax(&f); break;
    case VOP_HADAMARD: vgen_hadamard(&f); break;
    case VOP_MOE_ROUTE: vgen_moe_route(&f); break;
    case VOP_MOE_DISPATCH: vgen_moe_dispatch(&f); break;
    case VOP_MOE_EXPERTS: vgen_moe_experts(&f); break;
    case VOP_SAMPLING: vgen_sampling(&f); break;
    case VOP_COUNT: vf_fail(&f, QCTS_VEC_ERR_ARG, "bad op"); break;
    }
    if (vf_ok(&f) && f.n_cases != f.s->info.n_cases)
        vf_fail(&f, QCTS_VEC_ERR_GEN, "%s: made %u cases, the definition announces %zu", f.s->info.name, f.n_cases,
                f.s->info.n_cases);
    if (vf_ok(&f)) {
        vbuf meta = { 0 };
        vb_puts(&meta, "[");
        if (f.cases.n)
            vb_add(&meta, f.cases.p, f.cases.n);
        vb_puts(&meta, "]");
        char fv[16], gen[256];
        snprintf(fv, sizeof fv, "%d", QCTS_VECTORS_FORMAT_VERSION);
        snprintf(gen, sizeof gen, "qcts %s vectors gen --suite %s", version, f.s->info.name);
        qcts_st_writer_set_meta(f.w, "qcts.format_version", fv);
        qcts_st_writer_set_meta(f.w, "qcts.op", f.s->info.op);
        qcts_st_writer_set_meta(f.w, "qcts.suite", f.s->info.name);
        qcts_st_writer_set_meta(f.w, "qcts.generator", gen);
        if (meta.oom || f.cases.oom)
            vf_fail(&f, QCTS_VEC_ERR_NOMEM, "%s: out of memory", f.s->info.name);
        else
            qcts_st_writer_set_meta(f.w, "qcts.cases", meta.p);
        vb_free(&meta);
    }
    if (vf_ok(&f)) {
        char sterr[QCTS_ST_ERRLEN];
        if (qcts_st_writer_serialize(f.w, buf, len, sterr, sizeof sterr) != QCTS_ST_OK)
            vf_fail(&f, QCTS_VEC_ERR_GEN, "%s: %s", f.s->info.name, sterr);
    }
    vb_free(&f.cases);
    qcts_st_writer_free(f.w);
    return f.st;
}
