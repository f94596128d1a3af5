/* Manifest backends: `metal-kernels:FILE.json` (Metal, macOS) and
 * `metal-cpu-kernels:FILE.json` (the metal-cpu executor; only kernels whose
 * source is compiled into qcts). qcts's inputs are moved into the buffers
 * the manifest declares (kernels/metal/MANIFEST.md): activations in the
 * declared dtype when that is exact, weight codes repacked (k_packed,
 * n_packed), scales and zeros transposed (group_major) or widened to f32,
 * scalar params evaluated from their formulas. What cannot be given to the
 * kernel exactly is UNSUPPORTED with the reason (a SKIP), never converted
 * with a rounding. One plan per batch. */
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/metal/backend_metal.h"
#include "kernels/metal/cpu/mcpu_exec.h"
#include "kernels/metal/qm_expr.h"
#include "kernels/metal/qm_manifest.h"
#include "kernels/metal/qm_plan.h"
#include "kernels/simd/simd.h"
#include "qcts/case_call.h"
#include "qref/fmt.h"
#include "qref/pack.h"

#define MAX_BATCH 64
#define MAX_OWNED (QM_PLAN_MAX_BUFS + 2)

typedef struct qm_mf_backend {
    qcts_backend be;
    char name[1100];
    char description[512];
    qm_manifest *m;
    int on_cpu;
    const qm_device_ops *dev;
    void *ctx;                  /* qm_metal_ctx (Metal) */
} qm_mf_backend;

typedef struct batch_call {
    qm_plan pl;
    void *dcall;
    void *owned[MAX_OWNED];
    int nowned;
    void *y;                    /* the kernel's dense output (owned) */
    size_t y_bytes;
    uint8_t *host_y;            /* where it goes: the batch's rows of out[0] */
    size_t host_ld, dense_ld, row_bytes;
    int64_t rows;
} batch_call;

struct qcts_call {
    const qm_mf_backend *mb;
    int nb;
    batch_call bc[MAX_BATCH];
    char variant[320];
};

static void *own(batch_call *bc, size_t bytes)
{
    if (bc->nowned == MAX_OWNED)
        return NULL;
    void *p = calloc(1, bytes ? bytes : 4);
    if (p)
        bc->owned[bc->nowned++] = p;
    return p;
}

static void call_free(qcts_call *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->nb; i++) {
        if (c->bc[i].dcall)
            c->mb->dev->release(c->bc[i].dcall);
        for (int j = 0; j < c->bc[i].nowned; j++)
            free(c->bc[i].owned[j]);
    }
    free(c);
}

static int dt_bytes(qm_mf_dtype d)
{
    return d == QM_MDT_F32 || d == QM_MDT_U32 || d == QM_MDT_I32 ? 4 : d == QM_MDT_F16 || d == QM_MDT_BF16 ? 2 : 1;
}

static int dt_of_case(qcts_dtype d) { return d == QCTS_DT_F32 ? QM_MDT_F32 : d == QCTS_DT_F16 ? QM_MDT_F16 : QM_MDT_BF16; }

static qm_mf_dtype scale_dtype(qref_scale_fmt f)
{
    switch (f) {
    case QREF_SCALE_F16: return QM_MDT_F16;
    case QREF_SCALE_BF16: return QM_MDT_BF16;
    case QREF_SCALE_E8M0: return QM_MDT_E8M0;
    case QREF_SCALE_E4M3:
    case QREF_SCALE_UE4M3: return QM_MDT_E4M3;
    default: return QM_MDT_F32;
    }
}

static void add(qm_plan *pl, uint32_t index, const void *in, void *out, size_t bytes)
{
    qm_plan_buf *b = &pl->bufs[pl->nbufs++];
    b->index = index;
    b->in = in;
    b->out = out;
    b->bytes = bytes ? bytes : 4;
    b->is_output = out != NULL;
    b->small = bytes <= 4096 && !out;
}

/* One batch: buffers by the manifest's roles. */
static qcts_status plan_batch(const qm_mf_backend *mb, qcts_op op, const qcts_qview *v, const uint8_t *wbytes,
                              size_t wlen, const void *a, qcts_dtype a_dtype, int64_t M, int64_t lda, const float *bias,
                              qcts_dtype out_dtype, uint8_t *host_y, size_t host_ld, const qm_expr_vars *vars,
                              batch_call *bc, char *msg, size_t n)
{
    const qm_manifest *m = mb->m;
    const char *who = mb->name;
    qm_plan *pl = &bc->pl;
    const qref_scheme *s = v->s;
    const int64_t N = v->rows, K = v->cols;
    const int64_t groups = v->gpr ? v->gpr : 1;
    snprintf(pl->kernel, sizeof pl->kernel, "%.127s", m->function);
    const char *slash = strrchr(m->source, '/');
    snprintf(pl->source, sizeof pl->source, "%.127s", slash ? slash + 1 : m->source);
    pl->op = op;
    for (int i = 0; i < m->nbufs; i++) {
        const qm_mf_buf *d = &m->bufs[i];
        switch (d->role) {
        case QM_ROLE_A: {
            if (op != QCTS_OP_GEMM)
                return qcts_say(QCTS_ERROR, msg, n, "%s: role a in a dequant manifest", who);
            int cd = dt_of_case(a_dtype);
            if ((int)d->dtype != cd && !(d->dtype == QM_MDT_F32 && cd != QM_MDT_F32))
                return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: the kernel takes %s activations; this case has %s "
                                "(only exact widening to f32 is done)", who, qm_mf_dtype_name(d->dtype),
                                qm_mf_dtype_name((qm_mf_dtype)cd));
            size_t eb = (size_t)dt_bytes(d->dtype), ab = a_dtype == QCTS_DT_F32 ? 4 : 2;
            uint8_t *dst = own(bc, (size_t)(M * K) * eb);
            if (!dst)
                return qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", who);
            for (int64_t r = 0; r < M; r++) {
                const uint8_t *src = (const uint8_t *)a + (size_t)(r * lda) * ab;
                if ((int)d->dtype == cd)
                    memcpy(dst + (size_t)(r * K) * eb, src, (size_t)K * eb);
                else
                    for (int64_t k = 0; k < K; k++) {
                        uint16_t h = (uint16_t)(src[2 * k] | (src[2 * k + 1] << 8));
                        float f = a_dtype == QCTS_DT_F16 ? qref_f16_to_f32(h) : qref_bf16_to_f32(h);
                        memcpy(dst + 4 * (size_t)(r * K + k), &f, 4);
                    }
            }
            add(pl, d->index, dst, NULL, (size_t)(M * K) * eb);
            break;
        }
        case QM_ROLE_WEIGHTS: add(pl, d->index, wbytes, NULL, wlen); break;
        case QM_ROLE_CODES: {
            if (d->packing == QM_PACK_QCTS) {
                add(pl, d->index, v->codes, NULL, v->sizes.codes);
                break;
            }
            if (s->layout != QREF_LAYOUT_KMAJOR_U32 && s->layout != QREF_LAYOUT_BYTES)
                return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: weight_codes packing %s needs a scheme with codes "
                                "along K (kmajor_u32 or bytes); %s is %s", who,
                                d->packing == QM_PACK_K_PACKED ? "k_packed" : "n_packed", s->name,
                                qref_layout_name(s->layout));
            unsigned bits = v->bits, per = 32 / bits;
            if (32 % bits || K % per)
                return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: K = %lld is not a multiple of %u codes per word", who,
                                (long long)K, per);
            int64_t words = K / per;
            uint32_t *dst = own(bc, (size_t)(words * N) * 4);
            if (!dst)
                return qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", who);
            for (int64_t r = 0; r < N; r++) {
                const uint8_t *row = v->codes + (size_t)r * v->row_bytes;
                for (int64_t k = 0; k < K; k++) {
                    uint32_t code = qref_packed_code(s->layout, bits, row, k);
                    int64_t w = k / per;
                    size_t at = d->packing == QM_PACK_K_PACKED ? (size_t)(w * N + r) : (size_t)(r * words + w);
                    dst[at] |= code << (bits * (unsigned)(k % per));   /* little-endian host (x86-64, arm64) */
                }
            }
            add(pl, d->index, dst, NULL, (size_t)(words * N) * 4);
            break;
        }
        case QM_ROLE_SCALES:
        case QM_ROLE_ZEROS: {
            int sc = d->role == QM_ROLE_SCALES;
            if (!sc && s->zero != QREF_ZERO_INT)
                return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: the kernel takes integer zero points; %s has none", who,
                                s->name);
            if (sc && (s->scale == QREF_SCALE_NONE || s->family == QREF_FAMILY_GGUF || s->family == QREF_FAMILY_MARLIN))
                return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: %s has no scales section the kernel's layout can take",
                                who, s->name);
            qm_mf_dtype have = sc ? scale_dtype(s->scale) : QM_MDT_U8;
            if (d->dtype != have && !(sc && d->dtype == QM_MDT_F32))
                return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: the kernel takes %s %s; %s has %s (only exact widening "
                                "to f32 is done)", who, qm_mf_dtype_name(d->dtype), sc ? "scales" : "zeros", s->name,
                                qm_mf_dtype_name(have));
            const uint8_t *src = sc ? v->scales : v->zeros;
            size_t eb = (size_t)dt_bytes(d->dtype), gcount = (size_t)(v->gpr ? N * groups : 1);
            uint8_t *dst = own(bc, gcount * eb);
            if (!dst)
                return qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", who);
            for (size_t gi = 0; gi < gcount; gi++) {
                size_t r = v->gpr ? gi / (size_t)groups : 0, g = v->gpr ? gi % (size_t)groups : 0;
                size_t at = d->packing == QM_PACK_GROUP_MAJOR && v->gpr ? g * (size_t)N + r : gi;
                if (sc && d->dtype == QM_MDT_F32 && have != QM_MDT_F32) {
                    float f = (float)qref_scale_decode(s->scale, qref_scale_load(s->scale, src, gi));   /* exact */
                    memcpy(dst + 4 * at, &f, 4);
                } else {
                    memcpy(dst + eb * at, src + eb * gi, eb);
                }
            }
            add(pl, d->index, dst, NULL, gcount * eb);
            break;
        }
        case QM_ROLE_TSCALE: {
            float *t = own(bc, 4);
            if (!t)
                return qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", who);
            *t = v->tscale;
            add(pl, d->index, t, NULL, 4);
            break;
        }
        case QM_ROLE_BIAS: {
            const float *bsrc = bias;
            if (!bsrc && !(bsrc = own(bc, (size_t)N * 4)))   /* zeros: the case has no bias */
                return qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", who);
            add(pl, d->index, bsrc, NULL, (size_t)N * 4);
            break;
        }
        case QM_ROLE_OUTPUT: {
            if ((int)d->dtype != dt_of_case(out_dtype))
                return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: the kernel writes %s; this case wants %s", who,
                                qm_mf_dtype_name(d->dtype), qm_mf_dtype_name((qm_mf_dtype)dt_of_case(out_dtype)));
            size_t eb = (size_t)dt_bytes(d->dtype);
            bc->rows = op == QCTS_OP_GEMM ? M : N;
            bc->row_bytes = (size_t)(op == QCTS_OP_GEMM ? N : K) * eb;
            bc->y_bytes = (size_t)bc->rows * bc->row_bytes;
            bc->host_y = host_y;
            bc->host_ld = host_ld * eb;
            bc->dense_ld = bc->row_bytes;
            if (!(bc->y = own(bc, bc->y_bytes)))
                return qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", who);
            for (int64_t r = 0; r < bc->rows; r++)   /* the harness's poison: unwritten stays unwritten */
                memcpy((uint8_t *)bc->y + (size_t)r * bc->row_bytes, host_y + (size_t)r * bc->host_ld, bc->row_bytes);
            add(pl, d->index, bc->y, bc->y, bc->y_bytes);
            pl->bufs[pl->nbufs - 1].in = bc->y;   /* Metal copies the poison in too */
            break;
        }
        case QM_ROLE_PARAM: {
            int64_t val;
            char e[300];
            if (qm_expr_eval(d->value, vars, &val, e, sizeof e) != 0 || val > UINT32_MAX)
                return qcts_say(QCTS_ERROR, msg, n, "%s: param at index %u: %s", who, d->index,
                                val > UINT32_MAX ? "value above 2^32 - 1" : e);
            uint32_t *p = own(bc, 4);
            if (!p)
                return qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", who);
            *p = (uint32_t)val;
            add(pl, d->index, p, NULL, 4);
            break;
        }
        }
    }
    for (int i = 0; i < 3; i++) {
        int64_t g, t;
        char e[300];
        if (qm_expr_eval(m->grid[i], vars, &g, e, sizeof e) || qm_expr_eval(m->tg[i], vars, &t, e, sizeof e))
            return qcts_say(QCTS_ERROR, msg, n, "%s: %s", who, e);
        if (g > UINT32_MAX || t < 1 || t > 1024)
            return qcts_say(QCTS_ERROR, msg, n, "%s: grid[%d] = %lld or threadgroup[%d] = %lld out of range", who, i,
                            (long long)g, i, (long long)t);
        pl->groups[i] = (uint32_t)g;
        pl->tg[i] = (uint32_t)t;
    }
    for (int i = 0; i < m->ntg_mem && i < 2; i++) {
        int64_t b;
        char e[300];
        if (qm_expr_eval(m->tg_mem[i], vars, &b, e, sizeof e) || b > 65536)
            return qcts_say(QCTS_ERROR, msg, n, "%s: threadgroup_memory[%d]: %s", who, i, b > 65536 ? "over 64 KiB" : e);
        pl->tg_mem[i] = (size_t)b;
    }
    return QCTS_OK;
}

static int claims(const qm_manifest *m, const char *scheme)
{
    for (int i = 0; i < m->nschemes; i++)
        if (strcmp(m->schemes[i], scheme) == 0)
            return 1;
    return 0;
}

static qcts_status prepare(const qm_mf_backend *mb, qcts_op op, const void *desc, const qcts_buffers *b,
                           qcts_call **call, char *msg, size_t n)
{
    *call = NULL;
    const qm_manifest *m = mb->m;
    if (op != m->op)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: the manifest's kernel is a %s kernel", mb->name,
                        m->op == QCTS_OP_GEMM ? "gemm" : "dequant");
    if (!desc || !b)
        return qcts_say(QCTS_ERROR, msg, n, "%s: NULL desc or buffers", mb->name);
    const qcts_gemm_desc *g = op == QCTS_OP_GEMM ? desc : NULL;
    const qcts_dequant_desc *dq = op == QCTS_OP_DEQUANT ? desc : NULL;
    const char *scheme = g ? g->scheme : dq->scheme;
    if (!scheme || !claims(m, scheme))
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: the manifest does not claim scheme %s", mb->name,
                        scheme ? scheme : "(null)");
    if (g && g->a_quant != QCTS_AQ_NONE)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: activation quantization is not described by manifests", mb->name);
    int has_bias_role = 0;
    for (int i = 0; i < m->nbufs; i++)
        has_bias_role |= m->bufs[i].role == QM_ROLE_BIAS;
    if (g && g->has_bias && !has_bias_role)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: the kernel takes no bias (no buffer with role bias)", mb->name);
    qcts_op_io io;
    char e[QCTS_CASE_ERRLEN];
    if (qcts_op_io_get(op, desc, &io, e, sizeof e) != QCTS_OK)
        return qcts_say(QCTS_ERROR, msg, n, "%s: %s", mb->name, e);
    for (int i = 0; i < io.n_in; i++)
        if (io.in[i].used && (!b->in[i] || b->in_bytes[i] < io.in[i].nbytes))
            return qcts_say(QCTS_ERROR, msg, n, "%s: input %s missing or too small", mb->name, io.in[i].name);
    if (!b->out[0] || b->out_bytes[0] < io.out[0].nbytes)
        return qcts_say(QCTS_ERROR, msg, n, "%s: output missing or too small", mb->name);
    int64_t batch = g ? g->batch : 1;
    if (batch > MAX_BATCH)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "%s: batch %lld > %d", mb->name, (long long)batch, MAX_BATCH);
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", mb->name);
    c->mb = mb;
    const int widx = g ? 1 : 0;
    size_t each = io.in[widx].nbytes / (size_t)batch;
    qcts_status st = QCTS_OK;
    for (int64_t bt = 0; bt < batch && st == QCTS_OK; bt++) {
        batch_call *bc = &c->bc[c->nb++];
        qcts_qview v;
        const uint8_t *wb = (const uint8_t *)b->in[widx] + (size_t)bt * each;
        char why[320];
        if (qcts_qview_init(&v, scheme, g ? g->N : dq->rows, g ? g->K : dq->cols, wb, each, why, sizeof why) != 0) {
            st = qcts_say(QCTS_ERROR, msg, n, "%s: weights (batch %lld): %s", mb->name, (long long)bt, why);
            break;
        }
        qm_expr_vars vars = { g ? g->M : 0, v.rows, v.cols, v.glen, batch };
        if (g) {
            int64_t lda = g->lda ? g->lda : g->K, ldy = g->ldy ? g->ldy : g->N;
            size_t ab = g->a_dtype == QCTS_DT_F32 ? 4 : 2, yb = g->out_dtype == QCTS_DT_F32 ? 4 : 2;
            st = plan_batch(mb, op, &v, wb, each, (const uint8_t *)b->in[0] + (size_t)(bt * g->M * lda) * ab,
                            g->a_dtype, g->M, lda, g->has_bias ? (const float *)b->in[2] + bt * g->N : NULL,
                            g->out_dtype, (uint8_t *)b->out[0] + (size_t)(bt * g->M * ldy) * yb, (size_t)ldy, &vars,
                            bc, msg, n);
        } else {
            st = plan_batch(mb, op, &v, wb, each, NULL, QCTS_DT_F32, 0, 0, NULL, dq->out_dtype, b->out[0],
                            (size_t)dq->cols, &vars, bc, msg, n);
        }
        if (st == QCTS_OK)
            st = mb->dev->prepare(mb->ctx, &bc->pl, &bc->dcall, msg, n);
    }
    if (st != QCTS_OK) {
        call_free(c);
        return st;
    }
    snprintf(c->variant, sizeof c->variant, "%.100s [%s, %s, %.160s]", m->function, mb->on_cpu ? "metal-cpu" : "metal",
             m->fast_math && !mb->on_cpu ? "fast-math" : "precise", m->path);
    *call = c;
    return QCTS_OK;
}

/* ---- slots: the ABI passes no user data, so each open manifest gets a slot
 * with its own prepare trampolines (as exec does, kernels/slot_fns.h) ---- */
#include <pthread.h>

#include "kernels/slot_fns.h"

#define QM_MF_SLOTS 8
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static qm_mf_backend *slots[QM_MF_SLOTS];
#define SLOT_FNS(i) QCTS_SLOT_PREPARE_FNS(i)
SLOT_FNS(0) SLOT_FNS(1) SLOT_FNS(2) SLOT_FNS(3) SLOT_FNS(4) SLOT_FNS(5) SLOT_FNS(6) SLOT_FNS(7)
#undef SLOT_FNS
static const struct {
    qcts_convert_fn convert;
    qcts_quantize_fn quantize;
    qcts_dequant_fn dequant;
    qcts_gemm_fn gemm;
} slot_fns[QM_MF_SLOTS] = {
#define S(i) { convert_##i, quantize_##i, dequant_##i, gemm_##i }
    S(0), S(1), S(2), S(3), S(4), S(5), S(6), S(7),
#undef S
};

static qcts_status mf_run(qcts_call *c, char *msg, size_t n)
{
    for (int i = 0; i < c->nb; i++) {
        qcts_status st = c->mb->dev->run(c->bc[i].dcall, msg, n);
        if (st != QCTS_OK)
            return st;
    }
    return QCTS_OK;
}

static qcts_status mf_sync(qcts_call *c, char *msg, size_t n)
{
    for (int i = 0; i < c->nb; i++) {
        qcts_status st = c->mb->dev->sync ? c->mb->dev->sync(c->bc[i].dcall, msg, n) : QCTS_OK;
        if (st != QCTS_OK)
            return st;
    }
    return QCTS_OK;
}

static qcts_status mf_fetch(qcts_call *c, char *msg, size_t n)
{
    for (int i = 0; i < c->nb; i++) {
        batch_call *bc = &c->bc[i];
        qcts_status st = c->mb->dev->fetch ? c->mb->dev->fetch(bc->dcall, msg, n) : QCTS_OK;
        if (st != QCTS_OK)
            return st;
        for (int64_t r = 0; r < bc->rows; r++)
            memcpy(bc->host_y + (size_t)r * bc->host_ld, (uint8_t *)bc->y + (size_t)r * bc->dense_ld, bc->row_bytes);
    }
    return QCTS_OK;
}

static void mf_release(qcts_call *c) { call_free(c); }
static const char *mf_variant(const qcts_call *c) { return c ? c->variant : NULL; }
static int mf_available(char *why, size_t n)
{
    if (why && n)
        why[0] = '\0';
    return 1;
}

/* ---- the metal-cpu device ---------------------------------------------------------- */

typedef struct cpu_dcall {
    const qm_plan *pl;
    const mcpu_kernel *k;
} cpu_dcall;

static qcts_status cpu_prepare(void *ctx, const qm_plan *pl, void **dcall, char *msg, size_t n)
{
    (void)ctx;
    const mcpu_kernel *k = mcpu_kernel_find(pl->kernel);
    if (!k)
        return qcts_say(QCTS_ERROR, msg, n, "metal-cpu: kernel %s is not compiled into this qcts", pl->kernel);
    cpu_dcall *d = malloc(sizeof *d);
    if (!d)
        return qcts_say(QCTS_ERROR, msg, n, "metal-cpu: out of memory");
    d->pl = pl;
    d->k = k;
    *dcall = d;
    return QCTS_OK;
}

static qcts_status cpu_run(void *dcall, char *msg, size_t n)
{
    const cpu_dcall *d = dcall;
    return qm_cpu_run_plan(d->pl, d->k, msg, n);
}

static void cpu_release(void *dcall) { free(dcall); }

const qm_device_ops qm_cpu_device = { cpu_prepare, cpu_run, NULL, NULL, cpu_release };

/* ---- open / close ------------------------------------------------------------------ */

qcts_status qm_manifest_backend_open(const char *path, int on_cpu, const qcts_backend **be, void **priv, char *err,
                                     size_t n)
{
    *be = NULL;
    *priv = NULL;
    const char *kind = on_cpu ? "metal-cpu-kernels" : "metal-kernels";
    qm_manifest *m;
    char e[1024];
    if (qm_manifest_load(path, &m, e, sizeof e) != 0)
        return qcts_say(QCTS_ERROR, err, n, "backend '%s:%s': %s", kind, path, e);
    if (on_cpu) {
        const char *slash = strrchr(m->source, '/');
        const mcpu_kernel *k = mcpu_kernel_find(m->function);
        if (!m->source[0] || !k || strcmp(k->source, slash ? slash + 1 : m->source) != 0) {
            qcts_say(QCTS_UNAVAILABLE, err, n, "backend '%s:%s': metal-cpu runs only kernels compiled into qcts "
                     "(kernels/metal/msl; function %s from %s is not one of them): use metal-kernels: on macOS",
                     kind, path, m->function, m->source[0] ? m->source : m->metallib);
            qm_manifest_free(m);
            return QCTS_UNAVAILABLE;
        }
    }
    qm_mf_backend *mb = calloc(1, sizeof *mb);
    if (!mb) {
        qm_manifest_free(m);
        return qcts_say(QCTS_ERROR, err, n, "out of memory");
    }
    mb->m = m;
    mb->on_cpu = on_cpu;
    snprintf(mb->name, sizeof mb->name, "%s:%s", kind, path);
    snprintf(mb->description, sizeof mb->description, "%.100s from %.300s (%s, schemes %.63s%s)", m->function,
             m->source[0] ? m->source : m->metallib, m->op == QCTS_OP_GEMM ? "gemm" : "dequant", m->schemes[0],
             m->nschemes > 1 ? ", ..." : "");
    if (on_cpu) {
        mb->dev = &qm_cpu_device;
    } else {
#if defined(QCTS_METAL) && QCTS_METAL
        mb->dev = &qm_metal_device;
        if (!(mb->ctx = qm_metal_ctx_open(m, m->fast_math, e, sizeof e))) {
            int avail = qm_metal_available(NULL, 0);
            qcts_say(avail ? QCTS_ERROR : QCTS_UNAVAILABLE, err, n, "backend '%s': %s", mb->name, e);
            qm_manifest_free(m);
            free(mb);
            return avail ? QCTS_ERROR : QCTS_UNAVAILABLE;
        }
#else
        qcts_say(QCTS_UNAVAILABLE, err, n, "backend '%s': Metal needs macOS (Metal.framework); this qcts was not "
                 "built on Darwin (metal-cpu-kernels:%s runs kernels compiled into qcts on the CPU)", mb->name, path);
        qm_manifest_free(m);
        free(mb);
        return QCTS_UNAVAILABLE;
#endif
    }
    pthread_mutex_lock(&slot_lock);
    int s = -1;
    for (int i = 0; i < QM_MF_SLOTS && s < 0; i++)
        if (!slots[i])
            s = i;
    if (s >= 0)
        slots[s] = mb;
    pthread_mutex_unlock(&slot_lock);
    if (s < 0) {
        qm_manifest_backend_close(mb);
        return qcts_say(QCTS_ERROR, err, n, "backend '%s:%s': more than %d manifests open at once", kind, path,
                        QM_MF_SLOTS);
    }
    mb->be = (qcts_backend){
        .abi_version = QCTS_BACKEND_ABI_VERSION,
        .struct_size = sizeof(qcts_backend),
        .name = mb->name,
        .description = mb->description,
        .flags = on_cpu ? 0 : QCTS_BACKEND_SERIAL,
        .available = mf_available,
        .variant = mf_variant,
        .convert = slot_fns[s].convert,
        .quantize = slot_fns[s].quantize,
        .dequant = slot_fns[s].dequant,
        .gemm = slot_fns[s].gemm,
        .run = mf_run,
        .sync = mf_sync,
        .fetch = mf_fetch,
        .release = mf_release,
    };
    *be = &mb->be;
    *priv = mb;
    return QCTS_OK;
}

void qm_manifest_backend_close(void *priv)
{
    qm_mf_backend *mb = priv;
    if (!mb)
        return;
    pthread_mutex_lock(&slot_lock);
    for (int i = 0; i < QM_MF_SLOTS; i++)
        if (slots[i] == mb)
            slots[i] = NULL;
    pthread_mutex_unlock(&slot_lock);
#if defined(QCTS_METAL) && QCTS_METAL
    if (mb->ctx)
        qm_metal_ctx_close(mb->ctx);
#endif
    qm_manifest_free(mb->m);
    free(mb);
}
