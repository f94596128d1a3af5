/* The slots of the ops after GEMM (ABI 2) for the `simd` and `neon`
 * backends, and their generic tier.
 *
 *   generic  the portable tier shared by `simd` on the scalar ISA and by
 *            `neon` for the ops without NEON code: the reference slots
 *            (kernels/ref/ref_<op>.c, i.e. ref/'s scalar C code, which made
 *            the golden vectors), behind a variant name that says so
 *            ("generic: qref_..."). Single-threaded, so its results never
 *            depend on the thread count.
 *   neon     NEON kernels where this file's table names one (neon/<op>.c);
 *            the generic tier otherwise.
 *   simd     the ISA qcts_simd_isa() picked (QCTS_FORCE_ISA overrides):
 *            avx2 -> the AVX2 slots (kernels/simd/avx2/), avx512 -> the
 *            avx512 backend's slots (its own attention, the AVX2 slots for
 *            the rest: every AVX-512 CPU runs them; their variant names say
 *            which), neon -> the neon slots, scalar -> the generic tier. */
#include "kernels/backend_say.h"
#include "kernels/opcall.h"
#include "kernels/simd/simd.h"

/* ---- generic ---------------------------------------------------------------------- */

/* The generic variant's name: the reference function it runs. */
#define GENERIC_SLOT(NAME, VARIANT)                                                                          \
    qcts_status qcts_generic_##NAME(const qcts_##NAME##_desc *d, const qcts_buffers *b, qcts_call **call,    \
                                    char *msg, size_t n)                                                     \
    {                                                                                                        \
        qcts_status st = qcts_ref_##NAME(d, b, call, msg, n);                                                \
        if (st == QCTS_OK)                                                                                   \
            ((qcts_opcall *)(void *)*call)->variant = "generic: " VARIANT;                                 \
        return st;                                                                                           \
    }
GENERIC_SLOT(attention, "qref_attention_run")
GENERIC_SLOT(rope, "qref_rope_run")
GENERIC_SLOT(norm, "qref_norm_run")
GENERIC_SLOT(softmax, "qref_softmax_run")
GENERIC_SLOT(hadamard, "qref_hadamard_f64")
GENERIC_SLOT(moe_route, "qref_moe_route")
GENERIC_SLOT(moe_dispatch, "qref_moe_dispatch")
GENERIC_SLOT(moe_experts, "qref_moe_experts")
GENERIC_SLOT(sampling, "qref_sampling_row")

/* ---- neon ------------------------------------------------------------------------- */

/* UNAVAILABLE with the reason on a build or CPU without NEON. */
static int neon_ok(char *msg, size_t n, qcts_status *st)
{
    char why[256];
    if (qcts_isa_built(QCTS_ISA_NEON, why, sizeof why) && qcts_isa_cpu_ok(QCTS_ISA_NEON, why, sizeof why))
        return 1;
    *st = qcts_say(QCTS_UNAVAILABLE, msg, n, "%s", why);
    return 0;
}

#if QCTS_SIMD_ARM64
#define NEON_IMPL(NAME) QCTS_NEON_##NAME
qcts_status qcts_neon_norm_rows(const qcts_norm_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n);
qcts_status qcts_neon_softmax_rows(const qcts_softmax_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                   size_t n);
qcts_status qcts_neon_attention_flash(const qcts_attention_desc *d, const qcts_buffers *b, qcts_call **call,
                                      char *msg, size_t n);
qcts_status qcts_neon_rope_rows(const qcts_rope_desc *d, const qcts_buffers *b, qcts_call **call, char *msg,
                                size_t n);
qcts_status qcts_neon_moe_experts_gemv(const qcts_moe_experts_desc *d, const qcts_buffers *b, qcts_call **call,
                                      char *msg, size_t n);
qcts_status qcts_neon_hadamard_rows_slot(const qcts_hadamard_desc *d, const qcts_buffers *b, qcts_call **call,
                                         char *msg, size_t n);
#else
#define NEON_IMPL(NAME) qcts_generic_##NAME
#endif
/* The ops with NEON code (neon/<op>.c); the rest run the generic tier. */
#define QCTS_NEON_attention qcts_neon_attention_flash   /* avx2_attention_slot.c */
#define QCTS_NEON_rope qcts_neon_rope_rows   /* neon/rope.c */
#define QCTS_NEON_norm qcts_neon_norm_rows          /* rowop_slot.c */
#define QCTS_NEON_softmax qcts_neon_softmax_rows
#define QCTS_NEON_hadamard qcts_neon_hadamard_rows_slot   /* neon/hadamard.c */
#define QCTS_NEON_moe_route qcts_generic_moe_route
#define QCTS_NEON_moe_dispatch qcts_generic_moe_dispatch
#define QCTS_NEON_moe_experts qcts_neon_moe_experts_gemv   /* neon/moe_experts.c */
#define QCTS_NEON_sampling qcts_generic_sampling

#define NEON_SLOT(NAME)                                                                                      \
    qcts_status qcts_neon_##NAME(const qcts_##NAME##_desc *d, const qcts_buffers *b, qcts_call **call,       \
                                 char *msg, size_t n)                                                        \
    {                                                                                                        \
        qcts_status st;                                                                                      \
        *call = NULL;                                                                                        \
        return neon_ok(msg, n, &st) ? NEON_IMPL(NAME)(d, b, call, msg, n) : st;                              \
    }

/* ---- simd ------------------------------------------------------------------------- */

#if QCTS_SIMD_X86
#define X86_CASE(NAME)                                                                                       \
    case QCTS_ISA_AVX2: return qcts_avx2_##NAME(d, b, call, msg, n);                                         \
    case QCTS_ISA_AVX512: return QCTS_AVX512_##NAME(d, b, call, msg, n);
#else
#define X86_CASE(NAME)
#endif

#define SIMD_SLOT(NAME)                                                                                      \
    qcts_status qcts_simd_##NAME(const qcts_##NAME##_desc *d, const qcts_buffers *b, qcts_call **call,       \
                                 char *msg, size_t n)                                                        \
    {                                                                                                        \
        qcts_isa isa;                                                                                        \
        char why[256];                                                                                       \
        *call = NULL;                                                                                        \
        if (qcts_simd_isa(&isa, why, sizeof why) != 0)                                                       \
            return qcts_say(QCTS_UNAVAILABLE, msg, n, "simd: %s", why);                                      \
        switch (isa) {                                                                                       \
        X86_CASE(NAME)                                                                                       \
        case QCTS_ISA_NEON: return qcts_neon_##NAME(d, b, call, msg, n);                                     \
        default: return qcts_generic_##NAME(d, b, call, msg, n);                                             \
        }                                                                                                    \
    }

/* avx512: its own kernels where it has some, the AVX2 slots otherwise */
#define QCTS_AVX512_attention qcts_avx512_attention
#define QCTS_AVX512_rope qcts_avx2_rope
#define QCTS_AVX512_norm qcts_avx512_norm
#define QCTS_AVX512_softmax qcts_avx512_softmax
#define QCTS_AVX512_hadamard qcts_avx512_hadamard
#define QCTS_AVX512_moe_route qcts_avx2_moe_route
#define QCTS_AVX512_moe_dispatch qcts_avx2_moe_dispatch
#define QCTS_AVX512_moe_experts qcts_avx2_moe_experts
#define QCTS_AVX512_sampling qcts_avx2_sampling

#define BOTH(NAME) NEON_SLOT(NAME) SIMD_SLOT(NAME)
BOTH(attention)
BOTH(rope)
BOTH(norm)
BOTH(softmax)
BOTH(hadamard)
BOTH(moe_route)
BOTH(moe_dispatch)
BOTH(moe_experts)
BOTH(sampling)
