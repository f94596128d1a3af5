/* Suite definitions: every .json file in vectors/suites/, in name order, each
 * an object
 *   {"group": "gemv", "op": "gemm", "description": "...",
 *    "skip": [{"scheme" | "fmt": ..., "reason": "..."}],
 *    "suites": [ {suite}, ... ]}
 * A convert suite is {"name", "fmt", "convention", "modes", "coverage",
 * "stride" (sample coverage), "random"}; a quantize, dequant or gemm suite
 * is {"name", "scheme", "cases": [ {case}, ... ]} with the case keys of
 * vectors/README.md ("Suite definitions"). Unknown keys are errors (a typo
 * must not silently change a golden set), and everything is checked
 * against libqref here, so generation itself cannot fail on a definition. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_impl.h"
#include "qref/actquant.h"
#include "qcts/numparse.h"
#include "qcts/vecset.h"
#include "qref/gemm.h"

typedef struct ctx {
    const char *file;
    const char *suite;   /* NULL outside a suite */
    char *err;
    size_t errlen;
} ctx;

static qcts_vec_status bad(const ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static qcts_vec_status bad(const ctx *c, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->suite)
        vmsg(c->err, c->errlen, "%s: suite '%s': %s", c->file, c->suite, msg);
    else
        vmsg(c->err, c->errlen, "%s: %s", c->file, msg);
    return QCTS_VEC_ERR_SUITE;
}

/* Every key of o must be in the NULL-terminated list. */
static qcts_vec_status only_keys(const ctx *c, const cJSON *o, const char *what, const char *const *keys)
{
    for (const cJSON *it = o->child; it; it = it->next) {
        int ok = 0;
        for (const char *const *k = keys; *k && !ok; k++)
            ok = strcmp(it->string, *k) == 0;
        if (!ok)
            return bad(c, "%s: unknown key '%s'", what, it->string);
    }
    return QCTS_VEC_OK;
}

static const char *get_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An integer in [lo, hi]; absent gives dflt (or an error when dflt < lo). */
static qcts_vec_status get_int(const ctx *c, const cJSON *o, const char *what, const char *key, int64_t lo,
                               int64_t hi, int64_t dflt, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        if (dflt < lo)
            return bad(c, "%s: '%s' is required", what, key);
        *out = dflt;
        return QCTS_VEC_OK;
    }
    /* Checked before any cast: 9223372036854775807 and 1e400 are errors. */
    if (!cJSON_IsNumber(v) || qcts_num_to_i64(v->valuedouble, lo, hi, out) != 0)
        return bad(c, "%s: '%s' must be an integer in [%lld, %lld]", what, key, (long long)lo, (long long)hi);
    return QCTS_VEC_OK;
}

static int valid_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static qcts_vec_status dtype_of(const ctx *c, const cJSON *o, const char *what, const char *key, qref_fmt *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        *out = QREF_FMT_F32;
        return QCTS_VEC_OK;
    }
    const char *s = cJSON_IsString(v) ? v->valuestring : "";
    if (strcmp(s, "f32") == 0)
        *out = QREF_FMT_F32;
    else if (strcmp(s, "f16") == 0)
        *out = QREF_FMT_F16;
    else if (strcmp(s, "bf16") == 0)
        *out = QREF_FMT_BF16;
    else
        return bad(c, "%s: '%s' must be \"f32\", \"f16\" or \"bf16\"", what, key);
    return QCTS_VEC_OK;
}

static int has_quantizer(const qref_scheme *s)
{
    return !(s->family == QREF_FAMILY_GGUF && (s->gguf_type == 16 || s->gguf_type == 18));
}

static qcts_vec_status parse_case(const ctx *c, vsuite *su, const cJSON *o, size_t idx, vcase_def *d)
{
    char what[40];
    snprintf(what, sizeof what, "cases[%zu]", idx);
    static const char *const qkeys[] = { "rows", "cols", "dist", "out_dtype", "flags", NULL };
    static const char *const gkeys[] = { "batch", "M", "N", "K", "a_dtype", "out_dtype", "bias",
                                         "bound_c", "dist", "flags", "a_quant", "specials", NULL };
    if (!cJSON_IsObject(o))
        return bad(c, "%s must be an object", what);
    qcts_vec_status st = only_keys(c, o, what, su->op == VOP_GEMM ? gkeys : qkeys);
    if (st)
        return st;
    memset(d, 0, sizeof *d);
    d->batch = 1;
    d->M = 1;
    d->bound_c = 1;
    d->out_dtype = d->a_dtype = QREF_FMT_F32;
    const char *dist = get_str(o, "dist");
    if (!dist)
        return bad(c, "%s: 'dist' (a string) is required", what);
    int found = 0;
    for (int k = 0; k < VD_COUNT && !found; k++)
        if (strcmp(dist, vdist_name((vdist)k)) == 0) {
            d->dist = (vdist)k;
            found = 1;
        }
    if (!found)
        return bad(c, "%s: unknown dist '%s'", what, dist);
    const qref_scheme *s = su->scheme;
    int64_t rows, cols;
    if (su->op == VOP_GEMM) {
        int64_t v;
        if ((st = get_int(c, o, what, "batch", 1, 16, 1, &d->batch)) || (st = get_int(c, o, what, "M", 1, 4096, -1, &d->M)) ||
            (st = get_int(c, o, what, "N", 1, 65536, -1, &d->N)) || (st = get_int(c, o, what, "K", 1, 65536, -1, &d->K)) ||
            (st = get_int(c, o, what, "bound_c", 1, 1000, 1, &v)) || (st = dtype_of(c, o, what, "a_dtype", &d->a_dtype)) ||
            (st = dtype_of(c, o, what, "out_dtype", &d->out_dtype)))
            return st;
        d->bound_c = (int)v;
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "bias");
        if (b && !cJSON_IsBool(b))
            return bad(c, "%s: 'bias' must be true or false", what);
        d->bias = cJSON_IsTrue(b);
        if (d->dist == VD_ZEROS && d->bias)
            return bad(c, "%s: the zero-weight canary has no bias (its output must be all zeros)", what);
        if (d->dist == VD_WIDE)
            return bad(c, "%s: dist 'wide' is for quantize and dequant only", what);
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(o, "specials");
        if (sp && !cJSON_IsBool(sp))
            return bad(c, "%s: 'specials' must be true or false", what);
        d->specials = cJSON_IsTrue(sp);
        const char *aq = get_str(o, "a_quant");
        if (cJSON_GetObjectItemCaseSensitive(o, "a_quant")) {   /* qref/actquant.h; the generator never emits an unpaired mode */
            qref_aq m;
            if (!aq || qref_aq_from_name(aq, &m) != QREF_OK)
                return bad(c, "%s: 'a_quant' must be none, int8_token, fp8_e4m3_tensor, fp8_e4m3_token, q8_0, q8_1 or q8_k",
                           what);
            if (m != QREF_AQ_NONE && qref_aq_pairs_with(m, su->scheme) != QREF_OK)
                return bad(c, "%s: a_quant %s does not pair with %s (ggml's vec_dot_type)", what, aq, su->scheme->name);
            if (m != QREF_AQ_NONE && d->K % qref_aq_block(m, d->K))
                return bad(c, "%s: K %lld is no multiple of the %s block", what, (long long)d->K, aq);
            d->a_quant = (int)m;
        }
        rows = d->N;
        cols = d->K;
    } else {
        if ((st = get_int(c, o, what, "rows", 1, 1 << 20, -1, &d->rows)) ||
            (st = get_int(c, o, what, "cols", 1, 1 << 20, -1, &d->cols)))
            return st;
        if (su->op == VOP_DEQUANT) {
            if ((st = dtype_of(c, o, what, "out_dtype", &d->out_dtype)))
                return st;
        } else if (cJSON_GetObjectItemCaseSensitive(o, "out_dtype")) {
            return bad(c, "%s: 'out_dtype' is for dequant cases", what);
        }
        if (d->dist == VD_INTEGERS || d->dist == VD_ZEROS)
            return bad(c, "%s: dist '%s' is for gemm cases", what, dist);
        if (d->dist == VD_RANDOM_BITS && su->op == VOP_QUANTIZE)
            return bad(c, "%s: dist 'random_bits' is for dequant and gemm cases", what);
        rows = d->rows;
        cols = d->cols;
    }
    if (!has_quantizer(s) && d->dist != VD_RANDOM_BITS && d->dist != VD_INTEGERS && d->dist != VD_ZEROS)
        return bad(c, "%s: %s has no quantizer in qref: use dist 'random_bits'", what, s->name);
    qref_qsizes z;
    qref_error e = { -1, -1, "" };
    if (qref_qsizes_get(s, rows, cols, &z, &e) != QREF_OK)
        return bad(c, "%s: %lld x %lld does not fit %s: %s", what, (long long)rows, (long long)cols, s->name, e.msg);
    const cJSON *fl = cJSON_GetObjectItemCaseSensitive(o, "flags");
    if (fl) {
        if (!cJSON_IsArray(fl))
            return bad(c, "%s: 'flags' must be an array of strings", what);
        for (const cJSON *it = fl->child; it; it = it->next) {
            if (!cJSON_IsString(it) || !valid_name(it->valuestring))
                return bad(c, "%s: flags must be lower-case names", what);
            if (d->extra.n == VMAX_FLAGS)
                return bad(c, "%s: too many flags", what);
            d->extra.v[d->extra.n++] = it->valuestring;   /* kept alive by own_flags below */
        }
    }
    return QCTS_VEC_OK;
}

static char *own(qcts_suite_set *set, const char *s)
{
    char **o = realloc(set->owned, (set->n_owned + 1) * sizeof *o);
    if (!o)
        return NULL;
    set->owned = o;
    char *copy = strdup(s);
    if (copy)
        set->owned[set->n_owned++] = copy;
    return copy;
}

static qcts_vec_status parse_convert(const ctx *c, qcts_suite_set *set, vsuite *su, const cJSON *o)
{
    static const char *const keys[] = { "name", "fmt", "convention", "modes", "coverage", "stride", "random", NULL };
    qcts_vec_status st = only_keys(c, o, "suite", keys);
    if (st)
        return st;
    const char *fmt = get_str(o, "fmt"), *conv = get_str(o, "convention"), *cov = get_str(o, "coverage");
    if (!fmt || qref_fmt_from_name(fmt, &su->fmt) != QREF_OK || strcmp(qref_fmt_get(su->fmt)->name, fmt) != 0)
        return bad(c, "'fmt' must be the canonical name of an element format (qcts list formats)");
    if (!conv || qref_conv_from_name(conv, &su->conv) != QREF_OK || strcmp(qref_conv_name(su->conv), conv) != 0)
        return bad(c, "'convention' must name a convention (qcts list conventions)");
    const qref_fmt_info *fi = qref_fmt_get(su->fmt);
    if (!cov || (strcmp(cov, "full") != 0 && strcmp(cov, "sample") != 0))
        return bad(c, "'coverage' must be \"full\" or \"sample\"");
    su->coverage = strcmp(cov, "full") == 0 ? VCOV_FULL : VCOV_SAMPLE;
    if (su->coverage == VCOV_FULL && fi->bits > 16)
        return bad(c, "coverage \"full\" needs a format of at most 16 bits (%s has %u)", fi->name, fi->bits);
    int64_t v;
    if ((st = get_int(c, o, "suite", "stride", 1, 65536, su->coverage == VCOV_SAMPLE && fi->bits <= 16 ? -1 : 1, &v)))
        return st;
    su->stride = (unsigned)v;
    if ((st = get_int(c, o, "suite", "random", 0, 1 << 20, -1, &v)))
        return st;
    su->n_random = (unsigned)v;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "modes");
    if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) < 1 || cJSON_GetArraySize(m) > 3)
        return bad(c, "'modes' must be an array of 1 to 3 of \"default\", \"sat\", \"nosat\"");
    for (const cJSON *it = m->child; it; it = it->next) {
        qref_mode md, eff;
        if (!cJSON_IsString(it) || qref_mode_from_name(it->valuestring, &md) != QREF_OK)
            return bad(c, "'modes' must be an array of \"default\", \"sat\", \"nosat\"");
        if (qref_mode_resolve(su->fmt, su->conv, md, &eff) != QREF_OK)
            return bad(c, "mode '%s' is not available for %s under %s", it->valuestring, fmt, conv);
        for (int k = 0; k < su->n_modes; k++)
            if (su->modes[k] == md)
                return bad(c, "mode '%s' given twice", it->valuestring);
        su->modes[su->n_modes++] = md;
    }
    su->info.target = own(set, fmt);
    su->info.detail = own(set, conv);
    su->info.n_cases = 1 + (size_t)su->n_modes * (fi->bits <= 16 ? 4 : 3);
    return su->info.target && su->info.detail ? QCTS_VEC_OK : QCTS_VEC_ERR_NOMEM;
}

static qcts_vec_status parse_scheme_suite(const ctx *c, qcts_suite_set *set, vsuite *su, const cJSON *o)
{
    static const char *const keys[] = { "name", "scheme", "cases", "sweep", "generated", NULL };
    qcts_vec_status st = only_keys(c, o, "suite", keys);
    if (st)
        return st;
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(o, "generated");   /* vectors/README.md: too large to commit */
    if (gen && !cJSON_IsBool(gen))
        return bad(c, "'generated' must be true or false");
    su->info.generated = cJSON_IsTrue(gen);
    const char *sn = get_str(o, "scheme");
    if (!sn || !(su->scheme = qref_scheme_find(sn)))
        return bad(c, "'scheme' must name a scheme preset (qcts list schemes)");
    if (su->op == VOP_QUANTIZE && !has_quantizer(su->scheme))
        return bad(c, "%s has no quantizer in qref: list it under \"skip\" instead", sn);
    const cJSON *sw = cJSON_GetObjectItemCaseSensitive(o, "sweep");
    if (sw) {   /* cases derived from the scheme (gen_sweep.c) */
        const char *k = cJSON_IsString(sw) ? sw->valuestring : "";
        int gemv = strcmp(k, "gemv") == 0;
        if (cJSON_GetObjectItemCaseSensitive(o, "cases"))
            return bad(c, "a suite has either 'cases' or 'sweep', not both");
        if (!(su->op == VOP_GEMM && (gemv || strcmp(k, "gemm") == 0)) &&
            !(su->op == VOP_DEQUANT && strcmp(k, "dequant") == 0))
            return bad(c, "'sweep' must be \"gemv\" or \"gemm\" (op gemm) or \"dequant\" (op dequant)");
        if (vsweep_cases(su, gemv))
            return QCTS_VEC_ERR_NOMEM;
        if (su->n_defs == 0)
            return bad(c, "the sweep finds no shape that %s accepts", sn);
        su->info.target = own(set, sn);
        su->info.detail = "";
        su->info.n_cases = su->n_defs;
        return su->info.target ? QCTS_VEC_OK : QCTS_VEC_ERR_NOMEM;
    }
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(o, "cases");
    if (!cJSON_IsArray(cs) || cJSON_GetArraySize(cs) < 1 || cJSON_GetArraySize(cs) > 1000)
        return bad(c, "'cases' must be an array of 1 to 1000 case objects");
    su->n_defs = (size_t)cJSON_GetArraySize(cs);
    su->cases = calloc(su->n_defs, sizeof *su->cases);
    if (!su->cases)
        return QCTS_VEC_ERR_NOMEM;
    size_t i = 0;
    for (const cJSON *it = cs->child; it; it = it->next, i++) {
        if ((st = parse_case(c, su, it, i, &su->cases[i])))
            return st;
        for (int k = 0; k < su->cases[i].extra.n; k++)
            if (!(su->cases[i].extra.v[k] = own(set, su->cases[i].extra.v[k])))
                return QCTS_VEC_ERR_NOMEM;
    }
    su->info.target = own(set, sn);
    su->info.detail = "";
    su->info.n_cases = su->n_defs;
    return su->info.target ? QCTS_VEC_OK : QCTS_VEC_ERR_NOMEM;
}

/* Ops after GEMM: {"name", "target" (optional: what the suite covers, e.g.
 * a KV scheme; default the suite's name), "cases": [objects]}. Each case is
 * kept as compact JSON for the op's generator, which validates it. */
static qcts_vec_status parse_generic_suite(const ctx *c, qcts_suite_set *set, vsuite *su, const cJSON *o)
{
    static const char *const keys[] = { "name", "target", "cases", "generated", NULL };
    qcts_vec_status st = only_keys(c, o, "suite", keys);
    if (st)
        return st;
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(o, "generated");
    if (gen && !cJSON_IsBool(gen))
        return bad(c, "'generated' must be true or false");
    su->info.generated = cJSON_IsTrue(gen);
    const cJSON *tg = cJSON_GetObjectItemCaseSensitive(o, "target");
    if (tg && !cJSON_IsString(tg))
        return bad(c, "'target' must be a string");
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(o, "cases");
    if (!cJSON_IsArray(cs) || cJSON_GetArraySize(cs) < 1 || cJSON_GetArraySize(cs) > 1000)
        return bad(c, "'cases' must be an array of 1 to 1000 case objects");
    su->n_defs = (size_t)cJSON_GetArraySize(cs);
    su->cases = calloc(su->n_defs, sizeof *su->cases);
    if (!su->cases)
        return QCTS_VEC_ERR_NOMEM;
    size_t i = 0;
    for (const cJSON *it = cs->child; it; it = it->next, i++) {
        if (!cJSON_IsObject(it))
            return bad(c, "case %zu is not an object", i);
        char *txt = cJSON_PrintUnformatted(it);
        if (!txt)
            return QCTS_VEC_ERR_NOMEM;
        su->cases[i].raw = own(set, txt);
        free(txt);
        if (!su->cases[i].raw)
            return QCTS_VEC_ERR_NOMEM;
    }
    su->info.target = own(set, tg ? tg->valuestring : get_str(o, "name"));
    su->info.detail = "";
    su->info.n_cases = su->n_defs;
    return su->info.target ? QCTS_VEC_OK : QCTS_VEC_ERR_NOMEM;
}

static qcts_vec_status parse_file(qcts_suite_set *set, const char *path, const char *text, char *err, size_t errlen)
{
    ctx c = { path, NULL, err, errlen };
    cJSON *root = cJSON_Parse(text);
    qcts_vec_status st = QCTS_VEC_OK;
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return bad(&c, "not a JSON object");
    }
    static const char *const keys[] = { "group", "op", "description", "skip", "suites", NULL };
    if ((st = only_keys(&c, root, "file", keys)))
        goto out;
    const char *group = get_str(root, "group"), *opn = get_str(root, "op");
    static const char *const ops[VOP_COUNT] = {
        [VOP_CONVERT] = "convert", [VOP_QUANTIZE] = "quantize", [VOP_DEQUANT] = "dequant", [VOP_GEMM] = "gemm",
        [VOP_ATTENTION] = "attention", [VOP_ROPE] = "rope", [VOP_NORM] = "norm", [VOP_SOFTMAX] = "softmax",
        [VOP_HADAMARD] = "hadamard", [VOP_MOE_ROUTE] = "moe_route", [VOP_MOE_DISPATCH] = "moe_dispatch",
        [VOP_MOE_EXPERTS] = "moe_experts", [VOP_SAMPLING] = "sampling" };
    int op = -1;
    for (int k = 0; opn && k < VOP_COUNT; k++)
        if (strcmp(opn, ops[k]) == 0)
            op = k;
    if (op < 0) {
        st = bad(&c, "'op' must be convert, quantize, dequant, gemm, attention, rope, norm, softmax, hadamard, "
                     "moe_route, moe_dispatch, moe_experts or sampling");
        goto out;
    }
    if (!group || !valid_name(group)) {
        st = bad(&c, "'group' (the folder of the suites' files) must be a lower-case name");
        goto out;
    }
    const cJSON *skip = cJSON_GetObjectItemCaseSensitive(root, "skip");
    if (skip) {
        if (!cJSON_IsArray(skip)) {
            st = bad(&c, "'skip' must be an array");
            goto out;
        }
        for (const cJSON *it = skip->child; it; it = it->next) {
            static const char *const skeys[] = { "scheme", "fmt", "reason", NULL };
            const char *tg = get_str(it, "scheme") ? get_str(it, "scheme") : get_str(it, "fmt");
            const char *why = get_str(it, "reason");
            if (!cJSON_IsObject(it) || (st = only_keys(&c, it, "skip", skeys)))
                goto out;
            if (!tg || !why) {
                st = bad(&c, "each 'skip' entry needs \"scheme\" (or \"fmt\") and \"reason\"");
                goto out;
            }
            qcts_suite_skip *ns = realloc(set->skips, (set->n_skips + 1) * sizeof *ns);
            if (!ns) {
                st = QCTS_VEC_ERR_NOMEM;
                goto out;
            }
            set->skips = ns;
            qcts_suite_skip *k = &set->skips[set->n_skips++];
            k->group = own(set, group);
            k->target = own(set, tg);
            k->reason = own(set, why);
            k->source = own(set, path);
            if (!k->group || !k->target || !k->reason || !k->source) {
                st = QCTS_VEC_ERR_NOMEM;
                goto out;
            }
        }
    }
    const cJSON *suites = cJSON_GetObjectItemCaseSensitive(root, "suites");
    if (!cJSON_IsArray(suites)) {
        st = bad(&c, "'suites' must be an array");
        goto out;
    }
    for (const cJSON *it = suites->child; it; it = it->next) {
        const char *name = get_str(it, "name");
        if (!cJSON_IsObject(it) || !name || !valid_name(name)) {
            st = bad(&c, "every suite needs a 'name' of lower-case letters, digits and '_'");
            goto out;
        }
        vsuite *ns = realloc(set->suites, (set->n + 1) * sizeof *ns);
        if (!ns) {
            st = QCTS_VEC_ERR_NOMEM;
            goto out;
        }
        set->suites = ns;
        vsuite *su = &set->suites[set->n++];
        memset(su, 0, sizeof *su);
        su->op = (vop)op;
        char full[256];
        snprintf(full, sizeof full, "%s/%s", group, name);
        c.suite = full;
        su->info.name = own(set, full);
        su->info.group = own(set, group);
        su->info.op = ops[op];
        su->info.source = own(set, path);
        if (!su->info.name || !su->info.group || !su->info.source) {
            st = QCTS_VEC_ERR_NOMEM;
            goto out;
        }
        for (size_t k = 0; k + 1 < set->n; k++)
            if (strcmp(set->suites[k].info.name, full) == 0) {
                st = bad(&c, "defined twice (also in %s)", set->suites[k].info.source);
                goto out;
            }
        st = op == VOP_CONVERT ? parse_convert(&c, set, su, it)
           : op > VOP_GEMM     ? parse_generic_suite(&c, set, su, it)
                               : parse_scheme_suite(&c, set, su, it);
        if (st)
            goto out;
        c.suite = NULL;
    }
out:
    cJSON_Delete(root);
    if (st == QCTS_VEC_ERR_NOMEM)
        vmsg(err, errlen, "%s: out of memory", path);
    return st;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

qcts_vec_status qcts_suites_load(const char *dir, qcts_suite_set **out, char *err, size_t errlen)
{
    if (!dir || !out) {
        vmsg(err, errlen, "qcts_suites_load: bad argument");
        return QCTS_VEC_ERR_ARG;
    }
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d) {
        vmsg(err, errlen, "%s: %s (suite definitions are looked up from the repository root; see --suites)", dir,
             strerror(errno));
        return QCTS_VEC_ERR_IO;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    qcts_vec_status st = QCTS_VEC_OK;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        char **nn = realloc(names, (n + 1) * sizeof *nn);
        if (!nn || !(nn[n] = strdup(e->d_name))) {
            names = nn ? nn : names;
            st = QCTS_VEC_ERR_NOMEM;
            break;
        }
        names = nn;
        n++;
    }
    closedir(d);
    qcts_suite_set *set = calloc(1, sizeof *set);
    if (!set)
        st = QCTS_VEC_ERR_NOMEM;
    if (st == QCTS_VEC_OK) {
        qsort(names, n, sizeof *names, cmp_str);
        if (n == 0) {
            vmsg(err, errlen, "%s: no *.json suite definitions", dir);
            st = QCTS_VEC_ERR_SUITE;
        }
    }
    for (size_t i = 0; i < n && st == QCTS_VEC_OK; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        /* A regular file of at most 16 MiB, opened without blocking: a FIFO
         * or a device named *.json is refused, not read forever. */
        uint8_t *data = NULL;
        size_t len = 0;
        vbuf text = { 0 };
        if (qcts_vec_read_regular(path, (size_t)16 << 20, (size_t)-1, &data, &len, err, errlen) != 0) {
            st = QCTS_VEC_ERR_IO;
        } else {
            vb_add(&text, data, len);
            vb_add(&text, "", 1);
            free(data);
            if (text.oom)
                st = QCTS_VEC_ERR_NOMEM;
            else
                st = parse_file(set, path, text.p, err, errlen);
        }
        vb_free(&text);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (st != QCTS_VEC_OK) {
        if (st == QCTS_VEC_ERR_NOMEM)
            vmsg(err, errlen, "out of memory");
        qcts_suites_free(set);
        return st;
    }
    *out = set;
    return QCTS_VEC_OK;
}

void qcts_suites_free(qcts_suite_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        free(set->suites[i].cases);
    free(set->suites);
    free(set->skips);
    for (size_t i = 0; i < set->n_owned; i++)
        free(set->owned[i]);
    free(set->owned);
    free(set);
}

size_t qcts_suites_count(const qcts_suite_set *set) { return set ? set->n : 0; }

const qcts_suite_info *qcts_suites_at(const qcts_suite_set *set, size_t i)
{
    return set && i < set->n ? &set->suites[i].info : NULL;
}

long qcts_suites_find(const qcts_suite_set *set, const char *name)
{
    for (size_t i = 0; set && name && i < set->n; i++)
        if (strcmp(set->suites[i].info.name, name) == 0)
            return (long)i;
    return -1;
}

size_t qcts_suites_skip_count(const qcts_suite_set *set) { return set ? set->n_skips : 0; }

const qcts_suite_skip *qcts_suites_skip_at(const qcts_suite_set *set, size_t i)
{
    return set && i < set->n_skips ? &set->skips[i] : NULL;
}

const char *qcts_vec_status_name(qcts_vec_status s)
{
    static const char *const names[QCTS_VEC_STATUS_COUNT] = {
        "ok", "bad_argument", "out_of_memory", "io_error", "bad_suite", "generator_error", "mismatch",
    };
    return (unsigned)s < QCTS_VEC_STATUS_COUNT ? names[s] : "unknown";
}
