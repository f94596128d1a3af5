/* Private to the golden-vector generator (vectors/src/gen_*.c, suites.c,
 * manifest.c): suite definitions as loaded from vectors/suites/<op>.json, the
 * growable text buffer and deterministic JSON writer, the per-file builder
 * and the input generators. Public API: qcts/vectors.h. */
#ifndef QCTS_GEN_IMPL_H
#define QCTS_GEN_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "qcts/safetensors.h"
#include "qcts/vectors.h"
#include "qref/fmt.h"
#include "qref/gemm.h"
#include "qref/scheme.h"

/* ---- text buffer and JSON writer ---------------------------------------------
 * The metadata JSON of every file goes through these, never through a
 * library printer: keys come out in the order the code writes them and
 * every number is an integer printed with %lld, so the text is the same on
 * every host. */
typedef struct vbuf {
    char *p;
    size_t n, cap;
    int oom;             /* an allocation failed: the content is incomplete */
} vbuf;

void vb_free(vbuf *b);
void vb_add(vbuf *b, const void *data, size_t n);
void vb_puts(vbuf *b, const char *s);
void vb_printf(vbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal (quotes included), escaped like serde_json. */
void vb_json_str(vbuf *b, const char *s);

void vmsg(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- suite definitions --------------------------------------------------------- */

typedef enum vop {
    VOP_CONVERT, VOP_QUANTIZE, VOP_DEQUANT, VOP_GEMM,
    /* ops after GEMM (ABI 2): free-form case definitions (vcase_def.raw),
     * one generator each, vgen_<op> in gen_<op>.c */
    VOP_ATTENTION, VOP_ROPE, VOP_NORM, VOP_SOFTMAX, VOP_HADAMARD, VOP_MOE_ROUTE, VOP_MOE_DISPATCH,
    VOP_MOE_EXPERTS, VOP_SAMPLING,
    VOP_COUNT
} vop;

/* Input distributions (the "dist" of a case; CASES.md lists them). */
typedef enum vdist {
    VD_GAUSS,         /* qcts_rng_gauss: Irwin-Hall, sd ~1.15, grid 2^-21 */
    VD_UNIFORM,       /* qcts_rng_uniform: [-1, 1), grid 2^-23 */
    VD_GRID,          /* multiples of 1/4 in [-8, 8]: ties of power-of-two scaled grids */
    VD_OUTLIERS,      /* gaussian, about 1 in 64 values times 2^8 */
    VD_WIDE,          /* gaussian times 2^e per row, e uniform in [-24, 12] (f16
                         scales stay finite, tiny rows get subnormal scales) */
    VD_ZEROS,         /* all +0 */
    VD_RANDOM_BITS,   /* dequant/gemm weights: random valid quantized bytes */
    VD_INTEGERS,      /* gemm exact fill: small integers; weights random codes
                         with power-of-two scales */
    VD_COUNT
} vdist;

const char *vdist_name(vdist d);

typedef enum vcoverage { VCOV_FULL, VCOV_SAMPLE } vcoverage;

#define VMAX_FLAGS 24

typedef struct vflags {
    const char *v[VMAX_FLAGS];
    int n;
} vflags;
void vflags_add(vflags *f, const char *flag);   /* ignores duplicates */

typedef struct vcase_def {
    /* quantize / dequant */
    int64_t rows, cols;
    qref_fmt out_dtype;          /* dequant, gemm */
    /* gemm */
    int64_t batch, M, N, K;
    qref_fmt a_dtype;
    int bias;
    int bound_c;
    vdist dist;                  /* weights (and activations for gemm) */
    vflags extra;                /* flags given in the definition */
    int specials;                /* gemm: NaN (all payload bits set) and +-Inf in some activations */
    int a_quant;                 /* gemm: qref_aq (qref/actquant.h), 0 = none */
    int traps;                   /* dequant f16/bf16: search for double-rounding traps (gen_quant.c) */
    /* ops after GEMM: the case's definition object as compact JSON (owned by
     * the set); the op's generator parses it and must make exactly one case
     * from it. NULL for convert .. gemm. */
    const char *raw;
} vcase_def;

typedef struct vsuite {
    qcts_suite_info info;        /* the public view; strings owned by the set */
    vop op;
    /* convert */
    qref_fmt fmt;
    qref_conv conv;
    qref_mode modes[3];
    int n_modes;
    vcoverage coverage;
    unsigned n_random;           /* random inputs per encode mode */
    unsigned stride;             /* sample coverage: every stride-th code */
    /* schemes */
    const qref_scheme *scheme;
    vcase_def *cases;
    size_t n_defs;
} vsuite;

struct qcts_suite_set {
    vsuite *suites;
    size_t n;
    qcts_suite_skip *skips;
    size_t n_skips;
    char **owned;                /* every string of the set (names, targets, flags, skips) */
    size_t n_owned;
};

/* ---- one file being generated ---------------------------------------------------- */

typedef struct vfile {
    const vsuite *s;
    qcts_st_writer *w;
    vbuf cases;                  /* the qcts.cases array, without brackets */
    unsigned n_cases;
    qcts_vec_status st;          /* first error */
    char *err;
    size_t errlen;
} vfile;

/* Starts case number f->n_cases: seeds rng with qcts_case_seed(suite, i).
 * Returns the case index. */
unsigned vf_begin(vfile *f, qcts_rng *rng, uint64_t *seed);
/* Appends the case object. params_json is the text of the params object. */
void vf_case(vfile *f, unsigned id, uint64_t seed, const char *check, const vflags *flags, const char *dist,
             const char *params_json);
/* Adds "<cid>/<role_name>" with little-endian bytes. */
void vf_tensor(vfile *f, unsigned id, const char *role_name, qcts_st_dtype dt, const int64_t *shape, int ndim,
               const void *bytes, size_t nbytes);
/* Host values to little-endian bytes, then vf_tensor. */
void vf_tensor_f32(vfile *f, unsigned id, const char *role_name, const float *x, const int64_t *shape, int ndim);
void vf_tensor_u16(vfile *f, unsigned id, const char *role_name, qcts_st_dtype dt, const uint16_t *x,
                   const int64_t *shape, int ndim);
void vf_tensor_u32(vfile *f, unsigned id, const char *role_name, qcts_st_dtype dt, const uint32_t *x,
                   const int64_t *shape, int ndim);
/* Records the first error (status and message) and returns the status. */
qcts_vec_status vf_fail(vfile *f, qcts_vec_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vf_ok(const vfile *f);

/* A "sweep" suite (gen_sweep.c): the cases are derived from the scheme, so
 * that every residue class a kernel may branch on is reached (N mod 8 and
 * 16 with and without bias, K mod 8/16/32 and the scheme's group, M mod the
 * register tile, every activation and output dtype, NaN/Inf activations,
 * double-rounding traps). kind: VOP_GEMM with gemv 1 (M = 1) or 0, or
 * VOP_DEQUANT. Returns 0, or -1 when out of memory. */
int vsweep_cases(vsuite *su, int gemv);

/* Per-op generators (gen_convert.c, gen_quant.c, gen_gemm.c). */
void vgen_convert(vfile *f);
void vgen_quantize(vfile *f);
void vgen_dequant(vfile *f);
void vgen_gemm(vfile *f);
/* Ops after GEMM: each makes one case per f->s->cases[i] (raw JSON). */
void vgen_attention(vfile *f);
void vgen_rope(vfile *f);
void vgen_norm(vfile *f);
void vgen_softmax(vfile *f);
void vgen_hadamard(vfile *f);
void vgen_moe_route(vfile *f);
void vgen_moe_dispatch(vfile *f);
void vgen_moe_experts(vfile *f);
void vgen_sampling(vfile *f);

/* ---- inputs (gen_inputs.c) ------------------------------------------------------ */

/* n float32 values of distribution d (VD_GAUSS .. VD_ZEROS, VD_INTEGERS:
 * integers in [-amax, amax]) for a rows x cols matrix. */
void vin_fill(qcts_rng *r, vdist d, int64_t rows, int64_t cols, int amax, float *out);

/* A valid serialized rows x cols tensor of scheme s with random codes and
 * scales (buf: sizes.total bytes). pow2: scales are powers of two near 1
 * and 8-bit float element codes keep to a narrow exponent window, so that
 * small integer activations give exact-fill GEMMs; pow2 2: float32 scales
 * (and tensor scales) with 24 random significant bits, so that products
 * need more than 24 bits (double-rounding traps). Returns 0, or -1 with a
 * message when the scheme's layout is not known here or qref rejects the
 * result (a generator bug). */
int vin_random_qtensor(qcts_rng *r, const qref_scheme *s, int64_t rows, int64_t cols, int pow2, uint8_t *buf,
                       size_t total, char *err, size_t errlen);

/* The "sizes" JSON object of a scheme for rows x cols. */
void vjson_sizes(vbuf *b, const qref_qsizes *z);
/* Dense columns one scale group of s spans (cols itself for per-row and
 * per-tensor scales; 256 for 2:4 sparse g128): the unit of the one_group
 * and many_groups flags. */
int64_t vscheme_kunit(const qref_scheme *s, int64_t cols);

/* "f32", "f16", "bf16" */
const char *vdtype_name(qref_fmt f);
qcts_st_dtype vdtype_st(qref_fmt f);

#endif
