/* gen_rowops.h — small helpers shared by the rope, norm and softmax
 * generators (gen_rope.c, gen_norm.c, gen_softmax.c): the "dist" and
 * "flags" keys of a case definition (the other keys: gen_defjson.h), and
 * writing tensors of a row-op dtype. Readers return 1 ok, 0 on a wrong
 * type or value. */
#ifndef QCTS_GEN_ROWOPS_H
#define QCTS_GEN_ROWOPS_H

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "gen_defjson.h"
#include "gen_impl.h"
#include "qref/norm.h"

static inline int gr_dist(const cJSON *o, vdist dflt, vdist *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "dist");
    if (!v) {
        *out = dflt;
        return 1;
    }
    if (!cJSON_IsString(v))
        return 0;
    for (int k = 0; k < VD_COUNT; k++)
        if (k != VD_RANDOM_BITS && k != VD_INTEGERS && !strcmp(v->valuestring, vdist_name((vdist)k))) {
            *out = (vdist)k;
            return 1;
        }
    return 0;
}

/* The definition's "flags" (strings) added to fl. */
static inline int gr_flags(const cJSON *o, vflags *fl)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "flags");
    if (!v)
        return 1;
    if (!cJSON_IsArray(v))
        return 0;
    for (const cJSON *it = v->child; it; it = it->next) {
        if (!cJSON_IsString(it))
            return 0;
        vflags_add(fl, it->valuestring);
    }
    return 1;
}

static inline qcts_st_dtype gr_st(qref_fmt f)
{
    return f == QREF_FMT_F16 ? QCTS_ST_F16 : f == QREF_FMT_BF16 ? QCTS_ST_BF16 : QCTS_ST_F32;
}

/* A tensor of fmt holding the n values v (each representable in fmt). */
static inline void gr_tensor(vfile *f, unsigned id, const char *name, qref_fmt fmt, const double *v, int64_t n,
                             const int64_t *shape, int ndim)
{
    if (fmt == QREF_FMT_F32) {
        float *t = malloc((size_t)n * sizeof *t + 1);
        if (!t) {
            vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
            return;
        }
        for (int64_t i = 0; i < n; i++)
            qref_rowop_store(fmt, t, i, v[i]);
        vf_tensor_f32(f, id, name, t, shape, ndim);
        free(t);
        return;
    }
    uint16_t *t = malloc((size_t)n * sizeof *t + 1);
    if (!t) {
        vf_fail(f, QCTS_VEC_ERR_NOMEM, "out of memory");
        return;
    }
    for (int64_t i = 0; i < n; i++)
        qref_rowop_store(fmt, t, i, v[i]);
    vf_tensor_u16(f, id, name, gr_st(fmt), t, shape, ndim);
    free(t);
}

/* A tensor of fmt from a buffer already in fmt's storage. */
static inline void gr_tensor_raw(vfile *f, unsigned id, const char *name, qref_fmt fmt, const void *buf,
                                 const int64_t *shape, int ndim)
{
    if (fmt == QREF_FMT_F32)
        vf_tensor_f32(f, id, name, buf, shape, ndim);
    else
        vf_tensor_u16(f, id, name, gr_st(fmt), buf, shape, ndim);
}

static inline size_t gr_size(qref_fmt fmt) { return fmt == QREF_FMT_F32 ? 4 : 2; }

#endif
