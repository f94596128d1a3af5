/* qcts/vectors.h — the golden-vector generator: suite definitions, the
 * deterministic input generator, the manifest and its verification
 * (ARCHITECTURE.md "Golden vectors"; the file contract is vectors/CASES.md,
 * the container vectors/README.md and qcts/safetensors.h).
 *
 * ---------------------------------------------------------------------------
 * Determinism (the property everything here exists for)
 * ---------------------------------------------------------------------------
 * A golden file depends only on its suite definition (vectors/suites/<op>.json),
 * on libqref and on the version string the caller passes: never on time,
 * thread count, host, compiler, or the order suites are generated in.
 *   - Inputs come from a seeded integer RNG (xoshiro256**, seeded through
 *     splitmix64). The seed of case i of suite S is qcts_case_seed(S, i):
 *     a hash of the suite's full name and the index.
 *   - Input values are made from integers by exact IEEE operations only
 *     (integer -> float conversions of values below 2^24, multiplications
 *     by powers of two): no libm anywhere on the path to golden bits.
 *   - Expected outputs come from libqref, which is bit-exact by contract.
 *   - Metadata JSON is printed by our own writer with a fixed key order;
 *     every number in it is an integer (seeds are hex strings).
 *   - The safetensors writer is byte-deterministic (qcts/safetensors.h).
 * The unit tests generate suites twice and compare bytes; `make
 * test-aarch64` regenerates the whole golden set under qemu-aarch64 and
 * compares it byte for byte with the committed one.
 */
#ifndef QCTS_VECTORS_H
#define QCTS_VECTORS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The qcts.format_version written into every file (CASES.md). The CLI's
 * cli/version.h defines the same macro; cli/cmd_vectors.c includes both, so
 * the compiler rejects a difference. */
#define QCTS_VECTORS_FORMAT_VERSION 1

/* Enough for every message of this module. */
#define QCTS_VEC_ERRLEN 1024

typedef enum qcts_vec_status {
    QCTS_VEC_OK = 0,
    QCTS_VEC_ERR_ARG,      /* NULL argument, unknown suite name */
    QCTS_VEC_ERR_NOMEM,
    QCTS_VEC_ERR_IO,       /* a file or directory could not be read or written */
    QCTS_VEC_ERR_SUITE,    /* a suite definition is invalid (the message names
                              the file, the suite and the field) */
    QCTS_VEC_ERR_GEN,      /* the reference refused an input (a generator bug:
                              the message names suite, case and seed) */
    QCTS_VEC_ERR_MISMATCH, /* verify: a size, hash or byte differs, a file is
                              missing or not in the manifest */
    QCTS_VEC_STATUS_COUNT
} qcts_vec_status;

const char *qcts_vec_status_name(qcts_vec_status s);   /* "ok", "mismatch", ... */

/* ---- SHA-256 (FIPS 180-4; tested against the FIPS 180-2 examples) ------- */

typedef struct qcts_sha256_ctx {
    uint32_t h[8];
    uint64_t bytes;          /* message length so far */
    uint8_t buf[64];
    size_t nbuf;
} qcts_sha256_ctx;

void qcts_sha256_init(qcts_sha256_ctx *c);
void qcts_sha256_update(qcts_sha256_ctx *c, const void *data, size_t n);
void qcts_sha256_final(qcts_sha256_ctx *c, uint8_t digest[32]);   /* c is spent */
void qcts_sha256(const void *data, size_t n, uint8_t digest[32]);
/* 64 lower-case hex digits and a NUL into hex. */
void qcts_sha256_hex(const uint8_t digest[32], char hex[65]);

/* ---- seeded integer RNG -------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014; Vigna's splitmix64.c): advances *state
 * by 0x9E3779B97F4A7C15 and returns the mixed value. */
uint64_t qcts_splitmix64(uint64_t *state);

/* xoshiro256** 1.0 (Blackman, Vigna 2018). The four words of state are
 * filled from splitmix64 started at the seed (Vigna's recommendation), so
 * any seed, 0 included, gives a valid non-zero state. */
typedef struct qcts_rng {
    uint64_t s[4];
} qcts_rng;

void qcts_rng_seed(qcts_rng *r, uint64_t seed);
uint64_t qcts_rng_next(qcts_rng *r);
/* Uniform in [0, n), n >= 1, without modulo bias (rejection sampling on the
 * top bits); consumes a variable number of draws. */
uint64_t qcts_rng_below(qcts_rng *r, uint64_t n);
/* Uniform float in [-1, 1) on the grid 2^-23 (exact). */
float qcts_rng_uniform(qcts_rng *r);
/* Gaussian-like: Irwin-Hall sum of four uniform 22-bit integers, centred and
 * scaled by 2^-21 (exactly): mean 0, standard deviation 2/sqrt(3) ~ 1.155,
 * range [-4, 4], on the grid 2^-21. Exact integer arithmetic, no libm. */
float qcts_rng_gauss(qcts_rng *r);

/* FNV-1a, 64 bits, of n bytes. */
uint64_t qcts_fnv1a64(const void *data, size_t n);

/* The seed of case `index` of the suite named `suite` (full name, e.g.
 * "convert/e4m3_ocp"):
 *     h = fnv1a64(suite); state = h ^ (index * 0x9E3779B97F4A7C15);
 *     seed = qcts_splitmix64(&state)
 * It depends on nothing else (not on the case's place in a run, nor on
 * threads). Files record it per case as a hex string. */
uint64_t qcts_case_seed(const char *suite, unsigned index);

/* ---- suites ------------------------------------------------------------- */

/* The definitions loaded from vectors/suites/ (every .json file there, in name
 * order). Opaque; read it through the functions below. */
typedef struct qcts_suite_set qcts_suite_set;

typedef struct qcts_suite_info {
    const char *name;      /* full name "<group>/<short>", e.g. "gemv/fp4_g128_f16" */
    const char *group;     /* folder under the golden dir: convert, quantize,
                              dequant, gemv, gemm */
    const char *op;        /* qcts.op: convert, quantize, dequant, gemm */
    const char *target;    /* the element format (convert) or scheme preset */
    const char *detail;    /* convert: the convention; "" otherwise */
    const char *source;    /* the definition file, e.g. "vectors/suites/gemv.json" */
    size_t n_cases;        /* cases in the generated file */
    int generated;         /* 1: too large to commit: generated at test time and
                              verified against the hashes in the manifest's
                              "generated" object (vectors/README.md) */
} qcts_suite_info;

/* A (group, target) pair a definition file deliberately leaves out, with
 * its reason (e.g. quantize of gguf_iq2_xxs: qref has no quantizer). */
typedef struct qcts_suite_skip {
    const char *group, *target, *reason, *source;
} qcts_suite_skip;

/* Loads and validates every .json file in dir. Checks each suite against
 * libqref (known scheme/format/convention, shapes the scheme accepts,
 * modes the convention allows, names unique); on failure *out is NULL and
 * err names the file, suite and field. */
qcts_vec_status qcts_suites_load(const char *dir, qcts_suite_set **out, char *err, size_t errlen);
void qcts_suites_free(qcts_suite_set *set);

size_t qcts_suites_count(const qcts_suite_set *set);
const qcts_suite_info *qcts_suites_at(const qcts_suite_set *set, size_t i);  /* NULL past the end */
/* Index of the suite with this full name, or -1. */
long qcts_suites_find(const qcts_suite_set *set, const char *name);
size_t qcts_suites_skip_count(const qcts_suite_set *set);
const qcts_suite_skip *qcts_suites_skip_at(const qcts_suite_set *set, size_t i);

/* The default locations, relative to the repository root. */
#define QCTS_VEC_SUITES_DIR "vectors/suites"
#define QCTS_VEC_GOLDEN_DIR "vectors/golden"
#define QCTS_VEC_MANIFEST "MANIFEST.json"

/* ---- generation ------------------------------------------------------------ */

/* Generates suite i into a new malloc'd buffer (*buf, *len: the complete
 * safetensors file). version is the qcts version recorded in
 * qcts.generator ("0.1.0"). Thread-safe: suites may be generated in
 * parallel. */
qcts_vec_status qcts_suite_generate(const qcts_suite_set *set, size_t i, const char *version,
                                    uint8_t **buf, size_t *len, char *err, size_t errlen);

/* Options of the whole-set operations. */
typedef struct qcts_vec_opts {
    const char *version;   /* qcts version for qcts.generator */
    int jobs;              /* threads; <= 0 means 1. Output never depends on it. */
    FILE *log;             /* progress and findings (one line each); NULL: silent */
} qcts_vec_opts;

/* Generates the suite named `only` (NULL or "all": every suite) into
 * dir/<group>/<short>.safetensors (atomically, creating folders), then
 * rewrites dir/MANIFEST.json over every suite file present in dir. */
qcts_vec_status qcts_vectors_gen(const qcts_suite_set *set, const char *only, const char *dir,
                                 const qcts_vec_opts *o, char *err, size_t errlen);

/* The MANIFEST.json text for the suite files present in dir (a new
 * malloc'd NUL-terminated string). Files of suites not in the set are
 * not listed. */
qcts_vec_status qcts_manifest_build(const qcts_suite_set *set, const char *dir, char **text,
                                    char *err, size_t errlen);

/* Checks dir against dir/MANIFEST.json: every listed file exists with the
 * listed size and SHA-256, every listed expected tensor has its SHA-256,
 * every suite of the set is listed and no unlisted .safetensors lies in a
 * suite folder, and the manifest is byte for byte what `gen` writes for
 * these files. With regenerate, also generates every suite (in memory)
 * and compares byte for byte with dir (and the manifest of the
 * regenerated files with dir's); each difference names the file and the first
 * tensor (or the header) that differs. Findings go to o->log; returns
 * QCTS_VEC_ERR_MISMATCH when there is any, with a summary in err. */
qcts_vec_status qcts_vectors_verify(const qcts_suite_set *set, const char *dir, int regenerate,
                                    const qcts_vec_opts *o, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
