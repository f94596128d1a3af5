/* Internal: the sampling reference's per-row working set, shared by
 * sampling.c (the draw) and sampling_admit.c (the admissible set). */
#ifndef QREF_SAMPLING_IMPL_H
#define QREF_SAMPLING_IMPL_H

#include "qref/sampling.h"

typedef struct sampling_key {
    float l;
    int32_t i;
} sampling_key;

typedef struct sampling_work {
    float *lp;            /* V penalised logits (step 1) */
    int32_t *counts;      /* V history counts */
    sampling_key *key;    /* V, sorted (l desc, index asc) */
    double *e;            /* V: exp(x_t) for the top-k tokens, else 0 */
    uint8_t *kept;        /* V: the reference's final kept set */
    double *scratch;      /* 4 V doubles for sampling_admissible */
    int32_t nk;           /* tokens kept by top-k: key[0..nk) */
    int32_t cut;          /* top-p keeps key[0..cut] */
    float lmax, T;
} sampling_work;

qref_status sampling_work_alloc(sampling_work *w, int32_t V);
void sampling_work_free(sampling_work *w);
/* admit: V bytes; pbound (may be NULL): V doubles, see qref_sampling_row_ex. */
void sampling_admissible(const qref_sampling_params *p, sampling_work *w, float u, uint8_t *admit, double *pbound,
                         int *certain);

#endif
