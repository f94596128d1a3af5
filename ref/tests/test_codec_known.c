/* Suite codec_known: known answers, one assertion per row, with the expected
 * code written here in hex. Every row of the FORMATS.md tables of §3 (E4M3FN,
 * E5M2, E2M1 with its RNE decision table, E8M0) and §4 (BF16 and its NaN
 * table, FP16) becomes one or more rows below, under the convention the
 * table names; where a table row names no qcts convention (c10's scalar
 * BF16 routine, PyTorch after PR #178817) the comment says so. Plus the F16
 * encoder against ggml's float trick (FORMATS.md §4) on many inputs. */
#include "qtest.h"

#include <math.h>

#include "qref/bits.h"
#include "qref/fmt.h"
#include "slowcodec.h"

typedef struct row {
    qref_fmt f;
    qref_conv c;
    qref_mode m;
    float x;           /* the input, unless xbits != 0 */
    uint32_t xbits;
    uint32_t want;
    qref_status st;
    const char *what;
} row;

#define R(F, C, M, X, W, WHAT) { QREF_FMT_##F, QREF_CONV_##C, QREF_MODE_##M, X, 0, W, QREF_OK, WHAT }
#define RB(F, C, M, B, W, WHAT) { QREF_FMT_##F, QREF_CONV_##C, QREF_MODE_##M, 0, B, W, QREF_OK, WHAT }
#define RBN(F, C, B, W, WHAT) { QREF_FMT_##F, QREF_CONV_##C, QREF_MODE_DEFAULT, 0, B, W, QREF_ERR_NAN, WHAT }

#define NAN_P 0x7FC00000u   /* +qNaN */
#define NAN_N 0xFFC00000u   /* -qNaN */
#define SNAN_P 0x7F800001u  /* +sNaN, smallest payload */
#define SNAN_N 0xFF800001u
#define INF_P 0x7F800000u
#define INF_N 0xFF800000u

static void run_rows(const row *rows, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        const row *r = &rows[i];
        uint32_t xb = r->xbits ? r->xbits : qref_f32_bits(r->x);
        uint32_t code = 0xBADC0DEu;
        qref_status st = qref_encode(r->f, r->c, r->m, qref_f32_from_bits(xb), &code);
        SLOW_ASSERT(st == r->st && code == r->want, "%s: encode %s/%s/%s x=0x%08X (%.9g) = 0x%X %s, want 0x%X %s",
                    r->what, slow_fmt_name(r->f), slow_conv_name(r->c), slow_mode_name(r->m), xb,
                    (double)qref_f32_from_bits(xb), code, slow_status_name(st), r->want, slow_status_name(r->st));
    }
}

#define RUN(rows) run_rows(rows, sizeof rows / sizeof rows[0])

/* FORMATS.md §3 E4M3FN table, one group per table row. */
static void test_known_e4m3(void)
{
    static const row rows[] = {
        /* ml_dtypes: RNE; non-saturating: > 464 -> 0x7F|s (464 -> 448 by tie-to-even);
         * +-Inf 0x7F/0xFF; NaN 0x7F|s (-NaN -> 0xFF) */
        R(E4M3, ML_DTYPES, DEFAULT, 0.1f, 0x1D, "ml_dtypes RNE: 0.1 -> 0.1015625"),
        /* torch 2.15 saturates E4M3 (measured); 2.11 did not */
        R(E4M3, TORCH, DEFAULT, 465.0f, 0x7F, "torch 2.11 465 -> 0x7F"),
        R(E4M3, TORCH_2_15, DEFAULT, 465.0f, 0x7E, "torch 2.15 465 -> 448"),
        R(E4M3, TORCH_2_15, DEFAULT, -1e9f, 0xFE, "torch 2.15 -1e9 -> -448"),
        RB(E4M3, TORCH_2_15, DEFAULT, INF_P, 0x7E, "torch 2.15 +Inf -> 448"),
        RB(E4M3, TORCH_2_15, DEFAULT, INF_N, 0xFE, "torch 2.15 -Inf -> -448"),
        RB(E4M3, TORCH_2_15, DEFAULT, NAN_N, 0xFF, "torch 2.15 -NaN -> 0xFF"),
        R(E5M2, TORCH_2_15, DEFAULT, 61440.0f, 0x7C, "torch 2.15 E5M2 still overflows to Inf"),
        R(E4M3, ML_DTYPES, DEFAULT, 17.0f, 0x58, "ml_dtypes RNE tie 17 -> 16 (even)"),
        R(E4M3, ML_DTYPES, DEFAULT, 19.0f, 0x5A, "ml_dtypes RNE tie 19 -> 20 (even)"),
        R(E4M3, ML_DTYPES, DEFAULT, 448.0f, 0x7E, "ml_dtypes 448 = max"),
        R(E4M3, ML_DTYPES, DEFAULT, 464.0f, 0x7E, "ml_dtypes 464 -> 448 by tie-to-even"),
        R(E4M3, ML_DTYPES, DEFAULT, -464.0f, 0xFE, "ml_dtypes -464 -> -448"),
        R(E4M3, ML_DTYPES, DEFAULT, 0x1.d00002p8f, 0x7F, "ml_dtypes next float above 464 -> NaN"),
        R(E4M3, ML_DTYPES, DEFAULT, 465.0f, 0x7F, "ml_dtypes 465 -> 0x7F"),
        R(E4M3, ML_DTYPES, DEFAULT, -465.0f, 0xFF, "ml_dtypes -465 -> 0xFF"),
        R(E4M3, ML_DTYPES, DEFAULT, 1e9f, 0x7F, "ml_dtypes 1e9 -> 0x7F"),
        RB(E4M3, ML_DTYPES, DEFAULT, INF_P, 0x7F, "ml_dtypes +Inf -> 0x7F"),
        RB(E4M3, ML_DTYPES, DEFAULT, INF_N, 0xFF, "ml_dtypes -Inf -> 0xFF"),
        RB(E4M3, ML_DTYPES, DEFAULT, NAN_P, 0x7F, "ml_dtypes NaN -> 0x7F"),
        RB(E4M3, ML_DTYPES, DEFAULT, NAN_N, 0xFF, "ml_dtypes -NaN -> 0xFF"),
        /* PyTorch <= 2.11: >= 480, and (464, 480) after rounding -> 0x7F|s; Inf 0x7F/0xFF; NaN 0x7F|s */
        R(E4M3, TORCH, DEFAULT, 480.0f, 0x7F, "torch 480 -> 0x7F"),
        R(E4M3, TORCH, DEFAULT, -480.0f, 0xFF, "torch -480 -> 0xFF"),
        R(E4M3, TORCH, DEFAULT, 470.0f, 0x7F, "torch 470 in (464, 480) -> 0x7F"),
        R(E4M3, TORCH, DEFAULT, 0x1.d00002p8f, 0x7F, "torch next float above 464 -> 0x7F"),
        R(E4M3, TORCH, DEFAULT, 464.0f, 0x7E, "torch 464 -> 448"),
        R(E4M3, TORCH, DEFAULT, 1e30f, 0x7F, "torch 1e30 -> 0x7F"),
        RB(E4M3, TORCH, DEFAULT, INF_P, 0x7F, "torch +Inf -> 0x7F"),
        RB(E4M3, TORCH, DEFAULT, INF_N, 0xFF, "torch -Inf -> 0xFF"),
        RB(E4M3, TORCH, DEFAULT, NAN_P, 0x7F, "torch NaN -> 0x7F"),
        RB(E4M3, TORCH, DEFAULT, NAN_N, 0xFF, "torch -NaN -> 0xFF"),
        /* PyTorch after PR #178817 (finite overflow saturates) is not a qcts
         * convention; its finite-overflow behaviour is ocp's sat mode: */
        R(E4M3, OCP, SAT, 500.0f, 0x7E, "torch >= 2.12 behaviour = ocp sat: 500 -> 448"),
        /* CUDA __NV_SATFINITE: overflow +-0x7E; Inf 0x7E/0xFE; NaN 0x7F (sign dropped) */
        R(E4M3, CUDA_SATFINITE, DEFAULT, 1000.0f, 0x7E, "cuda satfinite 1000 -> 0x7E"),
        R(E4M3, CUDA_SATFINITE, DEFAULT, -1000.0f, 0xFE, "cuda satfinite -1000 -> 0xFE"),
        R(E4M3, CUDA_SATFINITE, DEFAULT, 0x1.d00002p8f, 0x7E, "cuda satfinite above 464 -> 0x7E"),
        R(E4M3, CUDA_SATFINITE, DEFAULT, 464.0f, 0x7E, "cuda satfinite 464 -> 0x7E"),
        RB(E4M3, CUDA_SATFINITE, DEFAULT, INF_P, 0x7E, "cuda satfinite +Inf -> 0x7E"),
        RB(E4M3, CUDA_SATFINITE, DEFAULT, INF_N, 0xFE, "cuda satfinite -Inf -> 0xFE"),
        RB(E4M3, CUDA_SATFINITE, DEFAULT, NAN_P, 0x7F, "cuda satfinite NaN -> 0x7F"),
        RB(E4M3, CUDA_SATFINITE, DEFAULT, NAN_N, 0x7F, "cuda satfinite -NaN -> 0x7F (sign dropped)"),
        /* CUDA __NV_NOSAT: 0x7F|s; Inf 0x7F/0xFF; NaN 0x7F */
        R(E4M3, CUDA_NOSAT, DEFAULT, 1000.0f, 0x7F, "cuda nosat 1000 -> 0x7F"),
        R(E4M3, CUDA_NOSAT, DEFAULT, -1000.0f, 0xFF, "cuda nosat -1000 -> 0xFF"),
        R(E4M3, CUDA_NOSAT, DEFAULT, 464.0f, 0x7E, "cuda nosat 464 -> 0x7E"),
        RB(E4M3, CUDA_NOSAT, DEFAULT, INF_P, 0x7F, "cuda nosat +Inf -> 0x7F"),
        RB(E4M3, CUDA_NOSAT, DEFAULT, INF_N, 0xFF, "cuda nosat -Inf -> 0xFF"),
        RB(E4M3, CUDA_NOSAT, DEFAULT, NAN_P, 0x7F, "cuda nosat NaN -> 0x7F"),
        RB(E4M3, CUDA_NOSAT, DEFAULT, NAN_N, 0x7F, "cuda nosat -NaN -> 0x7F (sign dropped)"),
        /* "All implementations keep subnormals, and 2^-10 rounds to 0" */
        R(E4M3, OCP, DEFAULT, 0x1p-10f, 0x00, "ocp 2^-10 -> 0"),
        R(E4M3, ML_DTYPES, DEFAULT, 0x1p-10f, 0x00, "ml_dtypes 2^-10 -> 0"),
        R(E4M3, TORCH, DEFAULT, 0x1p-10f, 0x00, "torch 2^-10 -> 0"),
        R(E4M3, CUDA_SATFINITE, DEFAULT, 0x1p-10f, 0x00, "cuda 2^-10 -> 0"),
        R(E4M3, OCP, DEFAULT, -0x1p-10f, 0x80, "ocp -2^-10 -> -0"),
        R(E4M3, OCP, DEFAULT, 0x1.000002p-10f, 0x01, "ocp just above 2^-10 -> 2^-9"),
        R(E4M3, OCP, DEFAULT, 0x1p-9f, 0x01, "ocp 2^-9 subnormal kept"),
        R(E4M3, ML_DTYPES, DEFAULT, 0x1.8p-9f, 0x02, "ml_dtypes 1.5*2^-9 tie -> 2^-8 (even)"),
        R(E4M3, OCP, DEFAULT, 0x1.cp-7f, 0x07, "ocp largest subnormal 7*2^-9"),
        R(E4M3, OCP, DEFAULT, 0x1.ep-7f, 0x08, "ocp tie 7.5*2^-9 -> min normal (even)"),
        /* ocp (Part A 3): sat: finite overflow and +-Inf -> +-448, NaN -> 0x7F|s; nosat: overflow -> NaN */
        R(E4M3, OCP, DEFAULT, 1e9f, 0x7E, "ocp default (sat) 1e9 -> 448"),
        R(E4M3, OCP, SAT, -1e9f, 0xFE, "ocp sat -1e9 -> -448"),
        RB(E4M3, OCP, DEFAULT, INF_P, 0x7E, "ocp sat +Inf -> 448"),
        RB(E4M3, OCP, DEFAULT, INF_N, 0xFE, "ocp sat -Inf -> -448"),
        RB(E4M3, OCP, DEFAULT, NAN_P, 0x7F, "ocp NaN -> 0x7F"),
        RB(E4M3, OCP, DEFAULT, NAN_N, 0xFF, "ocp -NaN -> 0xFF"),
        R(E4M3, OCP, NOSAT, 465.0f, 0x7F, "ocp nosat 465 -> NaN"),
        R(E4M3, OCP, NOSAT, 464.0f, 0x7E, "ocp nosat 464 -> 448"),
        RB(E4M3, OCP, NOSAT, INF_N, 0xFF, "ocp nosat -Inf -> 0xFF"),
        R(E4M3, GGML, DEFAULT, 1e9f, 0x7E, "ggml = ocp (sat)"),
    };
    RUN(rows);
}

/* FORMATS.md §3 E5M2 table. */
static void test_known_e5m2(void)
{
    static const row rows[] = {
        /* ml_dtypes: overflow (>= 61440 after RNE) 0x7C|s; Inf; NaN 0x7E|s */
        R(E5M2, ML_DTYPES, DEFAULT, 57344.0f, 0x7B, "ml_dtypes 57344 = max"),
        RB(E5M2, ML_DTYPES, DEFAULT, 0x476FFFFFu, 0x7B, "ml_dtypes 61439.996 -> 57344"),
        R(E5M2, ML_DTYPES, DEFAULT, 61440.0f, 0x7C, "ml_dtypes 61440 -> Inf"),
        R(E5M2, ML_DTYPES, DEFAULT, -61440.0f, 0xFC, "ml_dtypes -61440 -> -Inf"),
        R(E5M2, ML_DTYPES, DEFAULT, 1e9f, 0x7C, "ml_dtypes 1e9 -> Inf"),
        RB(E5M2, ML_DTYPES, DEFAULT, INF_P, 0x7C, "ml_dtypes +Inf"),
        RB(E5M2, ML_DTYPES, DEFAULT, INF_N, 0xFC, "ml_dtypes -Inf"),
        RB(E5M2, ML_DTYPES, DEFAULT, NAN_P, 0x7E, "ml_dtypes NaN -> 0x7E"),
        RB(E5M2, ML_DTYPES, DEFAULT, NAN_N, 0xFE, "ml_dtypes -NaN -> 0xFE"),
        /* torch: overflow 0x7C|s; Inf; NaN 0x7F|s */
        R(E5M2, TORCH, DEFAULT, 61440.0f, 0x7C, "torch 61440 -> Inf"),
        R(E5M2, TORCH, DEFAULT, -1e9f, 0xFC, "torch -1e9 -> -Inf"),
        RB(E5M2, TORCH, DEFAULT, 0x476FFFFFu, 0x7B, "torch 61439.996 -> 57344"),
        RB(E5M2, TORCH, DEFAULT, INF_P, 0x7C, "torch +Inf"),
        RB(E5M2, TORCH, DEFAULT, INF_N, 0xFC, "torch -Inf"),
        RB(E5M2, TORCH, DEFAULT, NAN_P, 0x7F, "torch NaN -> 0x7F"),
        RB(E5M2, TORCH, DEFAULT, NAN_N, 0xFF, "torch -NaN -> 0xFF"),
        /* CUDA SATFINITE / NOSAT: overflow 0x7B / 0x7C; Inf 0x7B / 0x7C; NaN 0x7F */
        R(E5M2, CUDA_SATFINITE, DEFAULT, 61440.0f, 0x7B, "cuda satfinite 61440 -> 0x7B"),
        R(E5M2, CUDA_SATFINITE, DEFAULT, -1e9f, 0xFB, "cuda satfinite -1e9 -> 0xFB"),
        RB(E5M2, CUDA_SATFINITE, DEFAULT, INF_P, 0x7B, "cuda satfinite +Inf -> 0x7B"),
        RB(E5M2, CUDA_SATFINITE, DEFAULT, INF_N, 0xFB, "cuda satfinite -Inf -> 0xFB"),
        RB(E5M2, CUDA_SATFINITE, DEFAULT, NAN_P, 0x7F, "cuda satfinite NaN -> 0x7F"),
        RB(E5M2, CUDA_SATFINITE, DEFAULT, NAN_N, 0x7F, "cuda satfinite -NaN -> 0x7F"),
        R(E5M2, CUDA_NOSAT, DEFAULT, 61440.0f, 0x7C, "cuda nosat 61440 -> 0x7C"),
        R(E5M2, CUDA_NOSAT, DEFAULT, -1e9f, 0xFC, "cuda nosat -1e9 -> 0xFC"),
        RB(E5M2, CUDA_NOSAT, DEFAULT, INF_P, 0x7C, "cuda nosat +Inf -> 0x7C"),
        RB(E5M2, CUDA_NOSAT, DEFAULT, NAN_N, 0x7F, "cuda nosat -NaN -> 0x7F"),
        /* ocp (Part A 3): sat -> +-57344; nosat -> +-Inf; NaN -> 0x7E|s */
        R(E5M2, OCP, DEFAULT, 61440.0f, 0x7B, "ocp sat 61440 -> 57344"),
        R(E5M2, OCP, SAT, -1e9f, 0xFB, "ocp sat -1e9 -> -57344"),
        RB(E5M2, OCP, DEFAULT, INF_P, 0x7B, "ocp sat +Inf -> 57344"),
        R(E5M2, OCP, NOSAT, 61440.0f, 0x7C, "ocp nosat 61440 -> Inf"),
        RB(E5M2, OCP, NOSAT, 0x476FFFFFu, 0x7B, "ocp nosat 61439.996 -> 57344"),
        RB(E5M2, OCP, NOSAT, INF_N, 0xFC, "ocp nosat -Inf"),
        RB(E5M2, OCP, DEFAULT, NAN_P, 0x7E, "ocp NaN -> 0x7E"),
        RB(E5M2, OCP, DEFAULT, NAN_N, 0xFE, "ocp -NaN -> 0xFE"),
        R(E5M2, OCP, DEFAULT, 0x1p-16f, 0x01, "ocp min subnormal 2^-16"),
        R(E5M2, OCP, DEFAULT, 0x1p-17f, 0x00, "ocp 2^-17 tie -> 0"),
        R(E5M2, OCP, DEFAULT, 0x1.8p-16f, 0x02, "ocp 1.5*2^-16 tie -> 2^-15 (even)"),
    };
    RUN(rows);
}

/* FORMATS.md §3 E2M1: the RNE decision table (same result in ml_dtypes and
 * CUDA, and the ocp rule), each interval by its ends and an inner point,
 * both signs, for ocp, ml_dtypes, cuda_satfinite and torch (= ocp). */
static void test_known_e2m1_decision_table(void)
{
    static const struct {
        float x;
        uint32_t code;
        const char *row;
    } t[] = {
        { 0.0f, 0x0, "|x| <= 0.25 -> 0" },
        { 0.1f, 0x0, "|x| <= 0.25 -> 0" },
        { 0.25f, 0x0, "|x| <= 0.25 -> 0" },
        { 0x1.000002p-2f, 0x1, "(0.25, 0.75) -> 0.5" },
        { 0.5f, 0x1, "(0.25, 0.75) -> 0.5" },
        { 0x1.7ffffep-1f, 0x1, "(0.25, 0.75) -> 0.5" },
        { 0.75f, 0x2, "[0.75, 1.25] -> 1" },
        { 1.0f, 0x2, "[0.75, 1.25] -> 1" },
        { 1.25f, 0x2, "[0.75, 1.25] -> 1" },
        { 0x1.400002p0f, 0x3, "(1.25, 1.75) -> 1.5" },
        { 1.5f, 0x3, "(1.25, 1.75) -> 1.5" },
        { 0x1.bffffep0f, 0x3, "(1.25, 1.75) -> 1.5" },
        { 1.75f, 0x4, "[1.75, 2.5] -> 2" },
        { 2.0f, 0x4, "[1.75, 2.5] -> 2" },
        { 2.5f, 0x4, "[1.75, 2.5] -> 2" },
        { 0x1.400002p1f, 0x5, "(2.5, 3.5) -> 3" },
        { 3.0f, 0x5, "(2.5, 3.5) -> 3" },
        { 0x1.bffffep1f, 0x5, "(2.5, 3.5) -> 3" },
        { 3.5f, 0x6, "[3.5, 5] -> 4" },
        { 4.0f, 0x6, "[3.5, 5] -> 4" },
        { 5.0f, 0x6, "[3.5, 5] -> 4" },
        { 0x1.400002p2f, 0x7, "> 5 -> 6" },
        { 6.0f, 0x7, "> 5 -> 6" },
        { 1e30f, 0x7, "> 5 -> 6" },
    };
    static const qref_conv convs[] = { QREF_CONV_OCP, QREF_CONV_ML_DTYPES, QREF_CONV_CUDA_SATFINITE,
                                       QREF_CONV_CUDA_NOSAT, QREF_CONV_TORCH };
    for (unsigned k = 0; k < sizeof convs / sizeof convs[0]; k++) {
        for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
            for (int neg = 0; neg < 2; neg++) {
                float x = neg ? -t[i].x : t[i].x;
                uint32_t want = t[i].code | (neg ? 0x8u : 0);   /* -0.1 -> 0x8 (-0) */
                uint32_t code = 0xBAD;
                qref_status st = qref_encode(QREF_FMT_E2M1, convs[k], QREF_MODE_DEFAULT, x, &code);
                SLOW_ASSERT(st == QREF_OK && code == want, "E2M1 decision table row '%s': %s x=%.9g -> 0x%X %s, want 0x%X",
                            t[i].row, slow_conv_name(convs[k]), (double)x, code, slow_status_name(st), want);
            }
        }
    }
}

/* FORMATS.md §3 E2M1 bullets (ml_dtypes, CUDA, PyTorch), §6 MXFP4 (ggml)
 * and Part A 3 (ocp); FP6 where the bullets name it. */
static void test_known_e2m1_conventions(void)
{
    static const row rows[] = {
        /* ml_dtypes: saturates, +-Inf and overflow 0x7/0xF; NaN -> 0x8 (-0), -NaN -> 0x0 */
        RB(E2M1, ML_DTYPES, DEFAULT, INF_P, 0x7, "ml_dtypes +Inf -> 0x7"),
        RB(E2M1, ML_DTYPES, DEFAULT, INF_N, 0xF, "ml_dtypes -Inf -> 0xF"),
        R(E2M1, ML_DTYPES, DEFAULT, 7.0f, 0x7, "ml_dtypes overflow 7 -> 6"),
        R(E2M1, ML_DTYPES, DEFAULT, -100.0f, 0xF, "ml_dtypes overflow -100 -> -6"),
        RB(E2M1, ML_DTYPES, DEFAULT, NAN_P, 0x8, "ml_dtypes NaN -> 0x8 (-0)"),
        RB(E2M1, ML_DTYPES, DEFAULT, NAN_N, 0x0, "ml_dtypes -NaN -> 0x0"),
        RB(E2M1, ML_DTYPES, DEFAULT, SNAN_P, 0x8, "ml_dtypes sNaN -> 0x8"),
        /* FP6 behaves the same: NaN -> 0x20, Inf -> +-max */
        RB(E2M3, ML_DTYPES, DEFAULT, NAN_P, 0x20, "ml_dtypes FP6 E2M3 NaN -> 0x20"),
        RB(E2M3, ML_DTYPES, DEFAULT, NAN_N, 0x00, "ml_dtypes FP6 E2M3 -NaN -> 0x00"),
        RB(E3M2, ML_DTYPES, DEFAULT, NAN_P, 0x20, "ml_dtypes FP6 E3M2 NaN -> 0x20"),
        RB(E2M3, ML_DTYPES, DEFAULT, INF_P, 0x1F, "ml_dtypes FP6 E2M3 +Inf -> 7.5"),
        RB(E3M2, ML_DTYPES, DEFAULT, INF_N, 0x3F, "ml_dtypes FP6 E3M2 -Inf -> -28"),
        /* CUDA: always saturates; +-Inf -> +-6; NaN -> +6 (0x7) */
        RB(E2M1, CUDA_SATFINITE, DEFAULT, INF_P, 0x7, "cuda +Inf -> 6"),
        RB(E2M1, CUDA_SATFINITE, DEFAULT, INF_N, 0xF, "cuda -Inf -> -6"),
        RB(E2M1, CUDA_SATFINITE, DEFAULT, NAN_P, 0x7, "cuda NaN -> +MAXNORM 0x7"),
        RB(E2M1, CUDA_SATFINITE, DEFAULT, NAN_N, 0x7, "cuda -NaN -> +MAXNORM 0x7"),
        RB(E2M1, CUDA_NOSAT, DEFAULT, NAN_N, 0x7, "cuda nosat -NaN -> 0x7"),
        R(E2M1, CUDA_NOSAT, DEFAULT, -1e9f, 0xF, "cuda nosat still saturates FP4"),
        /* PyTorch core has no float -> fp4 cast: the ocp result */
        R(E2M1, TORCH, DEFAULT, 7.0f, 0x7, "torch (= ocp) 7 -> 6"),
        RBN(E2M1, TORCH, NAN_P, 0x7, "torch (= ocp) NaN -> QREF_ERR_NAN, +max"),
        /* ggml best_index_mxfp4: ties toward zero, -0 never produced (in
         * element units: 0.75 -> 0.5, 1.75 -> 1.5, 3.5 -> 3) */
        R(E2M1, GGML, DEFAULT, 0.75f, 0x1, "ggml tie 0.75 -> 0.5"),
        R(E2M1, GGML, DEFAULT, 1.75f, 0x3, "ggml tie 1.75 -> 1.5"),
        R(E2M1, GGML, DEFAULT, 3.5f, 0x5, "ggml tie 3.5 -> 3"),
        R(E2M1, GGML, DEFAULT, 5.0f, 0x6, "ggml tie 5 -> 4"),
        R(E2M1, GGML, DEFAULT, 1.25f, 0x2, "ggml tie 1.25 -> 1"),
        R(E2M1, GGML, DEFAULT, 2.5f, 0x4, "ggml tie 2.5 -> 2"),
        R(E2M1, GGML, DEFAULT, 0.25f, 0x0, "ggml tie 0.25 -> 0"),
        R(E2M1, GGML, DEFAULT, -0.75f, 0x9, "ggml tie -0.75 -> -0.5"),
        R(E2M1, GGML, DEFAULT, -3.5f, 0xD, "ggml tie -3.5 -> -3"),
        R(E2M1, GGML, DEFAULT, -0.25f, 0x0, "ggml -0.25 -> +0 (never -0)"),
        R(E2M1, GGML, DEFAULT, -0.1f, 0x0, "ggml -0.1 -> +0 (never -0)"),
        R(E2M1, GGML, DEFAULT, -0.0f, 0x0, "ggml -0 -> +0 (never -0)"),
        R(E2M1, GGML, DEFAULT, 0x1.800002p-1f, 0x2, "ggml above 0.75 -> 1"),
        R(E2M1, GGML, DEFAULT, 100.0f, 0x7, "ggml 100 -> 6"),
        R(E2M1, GGML, DEFAULT, -100.0f, 0xF, "ggml -100 -> -6"),
        RB(E2M1, GGML, DEFAULT, NAN_P, 0x0, "ggml NaN -> code 0 (no error is smaller)"),
        RB(E2M1, GGML, DEFAULT, INF_P, 0x0, "ggml +Inf -> code 0 (all errors Inf)"),
        RB(E2M1, GGML, DEFAULT, INF_N, 0x0, "ggml -Inf -> code 0"),
        /* ocp (Part A 3): saturate to +-max; NaN is an error with +max as the value */
        R(E2M1, OCP, DEFAULT, 1e9f, 0x7, "ocp 1e9 -> 6"),
        RB(E2M1, OCP, DEFAULT, INF_N, 0xF, "ocp -Inf -> -6"),
        RBN(E2M1, OCP, NAN_P, 0x7, "ocp NaN -> QREF_ERR_NAN, +max"),
        RBN(E2M1, OCP, NAN_N, 0x7, "ocp -NaN -> QREF_ERR_NAN, +max"),
        RBN(E2M3, OCP, NAN_P, 0x1F, "ocp FP6 E2M3 NaN -> QREF_ERR_NAN, +max"),
        RBN(E3M2, OCP, NAN_N, 0x1F, "ocp FP6 E3M2 -NaN -> QREF_ERR_NAN, +max"),
        R(E3M2, OCP, DEFAULT, 30.0f, 0x1F, "ocp FP6 E3M2 30 -> 28"),
        R(E2M3, OCP, DEFAULT, -8.0f, 0x3F, "ocp FP6 E2M3 -8 -> -7.5"),
    };
    RUN(rows);
}

/* FORMATS.md §3 E8M0 table (and ref/README.md for ml_dtypes subnormals). */
static void test_known_e8m0(void)
{
    static const row rows[] = {
        /* ml_dtypes: ties round up (1.5 -> 2, 3 -> 4, 0.75 -> 1); 0, negative, Inf, NaN -> 0xFF */
        R(E8M0, ML_DTYPES, DEFAULT, 1.5f, 0x80, "ml_dtypes 1.5 -> 2"),
        R(E8M0, ML_DTYPES, DEFAULT, 3.0f, 0x81, "ml_dtypes 3 -> 4"),
        R(E8M0, ML_DTYPES, DEFAULT, 0.75f, 0x7F, "ml_dtypes 0.75 -> 1"),
        R(E8M0, ML_DTYPES, DEFAULT, 1.0f, 0x7F, "ml_dtypes 1 -> 1"),
        R(E8M0, ML_DTYPES, DEFAULT, 0x1.7ffffep0f, 0x7F, "ml_dtypes below 1.5 -> 1"),
        R(E8M0, ML_DTYPES, DEFAULT, 0.0f, 0xFF, "ml_dtypes 0 -> 0xFF"),
        R(E8M0, ML_DTYPES, DEFAULT, -0.0f, 0xFF, "ml_dtypes -0 -> 0xFF"),
        R(E8M0, ML_DTYPES, DEFAULT, -2.0f, 0xFF, "ml_dtypes negative -> 0xFF"),
        RB(E8M0, ML_DTYPES, DEFAULT, INF_P, 0xFF, "ml_dtypes +Inf -> 0xFF"),
        RB(E8M0, ML_DTYPES, DEFAULT, NAN_P, 0xFF, "ml_dtypes NaN -> 0xFF"),
        R(E8M0, ML_DTYPES, DEFAULT, 0x1p127f, 0xFE, "ml_dtypes 2^127 -> 0xFE"),
        R(E8M0, ML_DTYPES, DEFAULT, 0x1.8p127f, 0xFF, "ml_dtypes rounding up from 0xFE gives 0xFF"),
        RB(E8M0, ML_DTYPES, DEFAULT, 0x00400000u, 0x00, "ml_dtypes 2^-127 -> 0x00"),
        RB(E8M0, ML_DTYPES, DEFAULT, 0x00400001u, 0x01, "ml_dtypes 0x00400001 -> 0x01 (README, measured)"),
        RB(E8M0, ML_DTYPES, DEFAULT, 0x005FFFFFu, 0x01, "ml_dtypes 0.6: 0x005FFFFF -> 0x01 (measured)"),
        /* ml_dtypes 0.7.0: float32 subnormals by value, ties up (measured) */
        RB(E8M0, ML_DTYPES_0_7, DEFAULT, 0x00400001u, 0x00, "ml_dtypes 0.7: 0x00400001 -> 0x00"),
        RB(E8M0, ML_DTYPES_0_7, DEFAULT, 0x005FFFFFu, 0x00, "ml_dtypes 0.7: 0x005FFFFF -> 0x00"),
        RB(E8M0, ML_DTYPES_0_7, DEFAULT, 0x00600000u, 0x01, "ml_dtypes 0.7: midpoint 0x00600000 -> 0x01"),
        RB(E8M0, ML_DTYPES_0_7, DEFAULT, 0x00400000u, 0x00, "ml_dtypes 0.7: 2^-127 -> 0x00"),
        RB(E8M0, ML_DTYPES_0_7, DEFAULT, 0x00000001u, 0x00, "ml_dtypes 0.7: smallest subnormal -> 0x00"),
        RB(E8M0, ML_DTYPES_0_7, DEFAULT, 0x00800000u, 0x01, "ml_dtypes 0.7: 2^-126 -> 0x01"),
        R(E8M0, ML_DTYPES_0_7, DEFAULT, 1.5f, 0x80, "ml_dtypes 0.7: 1.5 -> 2 (normals unchanged)"),
        R(E8M0, ML_DTYPES_0_7, DEFAULT, 0.0f, 0xFF, "ml_dtypes 0.7: 0 -> 0xFF"),
        R(E8M0, ML_DTYPES_0_7, DEFAULT, -2.0f, 0xFF, "ml_dtypes 0.7: negative -> 0xFF"),
        /* ml_dtypes 0.5.0: ties of normals to the even code (measured) */
        R(E8M0, ML_DTYPES_0_5_0, DEFAULT, 1.5f, 0x80, "ml_dtypes 0.5.0: 1.5 -> 2 (0x80 even)"),
        R(E8M0, ML_DTYPES_0_5_0, DEFAULT, 3.0f, 0x80, "ml_dtypes 0.5.0: 3 -> 2 (0x80 even)"),
        RB(E8M0, ML_DTYPES_0_5_0, DEFAULT, 0x01400000u, 0x02, "ml_dtypes 0.5.0: 0x01400000 -> 0x02"),
        RB(E8M0, ML_DTYPES_0_5_0, DEFAULT, 0x00400001u, 0x01, "ml_dtypes 0.5.0: subnormals as 0.6"),
        R(E8M0, ML_DTYPES_0_5_0, DEFAULT, 0.0f, 0xFF, "ml_dtypes 0.5.0: 0 -> 0xFF"),
        /* torch: G/R/S with lsb = (exp > 0): ties up for normals; 0 -> 0x00; encodes |x|; Inf, NaN -> 0xFF */
        R(E8M0, TORCH, DEFAULT, 1.5f, 0x80, "torch 1.5 -> 2"),
        R(E8M0, TORCH_2_15, DEFAULT, -3.0f, 0x81, "torch 2.15 -3 -> 0x81 (as 2.11)"),
        R(E8M0, TORCH, DEFAULT, 3.0f, 0x81, "torch 3 -> 4"),
        R(E8M0, TORCH, DEFAULT, 0.75f, 0x7F, "torch 0.75 -> 1"),
        R(E8M0, TORCH, DEFAULT, 0.0f, 0x00, "torch 0 -> 0x00"),
        R(E8M0, TORCH, DEFAULT, -0.0f, 0x00, "torch -0 -> 0x00"),
        R(E8M0, TORCH, DEFAULT, -2.0f, 0x80, "torch -2 -> 0x80 (|x|)"),
        R(E8M0, TORCH, DEFAULT, -3.0f, 0x81, "torch -3 -> 0x81 (|x|)"),
        RB(E8M0, TORCH, DEFAULT, INF_P, 0xFF, "torch +Inf -> 0xFF"),
        RB(E8M0, TORCH, DEFAULT, INF_N, 0xFF, "torch -Inf -> 0xFF"),
        RB(E8M0, TORCH, DEFAULT, NAN_P, 0xFF, "torch NaN -> 0xFF"),
        R(E8M0, TORCH, DEFAULT, 0x1.8p127f, 0xFF, "torch rounding up from 0xFE gives 0xFF"),
        RB(E8M0, TORCH, DEFAULT, 0x00400000u, 0x00, "torch 2^-127 -> 0x00 (lsb 0)"),
        RB(E8M0, TORCH, DEFAULT, 0x00400001u, 0x01, "torch float32 subnormal above 2^-127 -> 0x01"),
        /* CUDA: cudaRoundPosInf (ceiling); 0 -> 0x00; |x|; Inf 0xFE (SAT) / 0xFF (NOSAT); NaN 0xFF */
        R(E8M0, CUDA_SATFINITE, DEFAULT, 1.5f, 0x80, "cuda ceil 1.5 -> 2"),
        R(E8M0, CUDA_SATFINITE, DEFAULT, 3.0f, 0x81, "cuda ceil 3 -> 4"),
        R(E8M0, CUDA_SATFINITE, DEFAULT, 0.75f, 0x7F, "cuda ceil 0.75 -> 1"),
        R(E8M0, CUDA_SATFINITE, DEFAULT, 0x1.000002p0f, 0x80, "cuda ceil 1+ulp -> 2"),
        R(E8M0, CUDA_SATFINITE, DEFAULT, 1.0f, 0x7F, "cuda ceil 1 -> 1"),
        R(E8M0, CUDA_SATFINITE, DEFAULT, 0.0f, 0x00, "cuda 0 -> 0x00"),
        R(E8M0, CUDA_SATFINITE, DEFAULT, -2.0f, 0x80, "cuda -2 -> 0x80 (|x|)"),
        RB(E8M0, CUDA_SATFINITE, DEFAULT, INF_P, 0xFE, "cuda satfinite +Inf -> 0xFE"),
        RB(E8M0, CUDA_NOSAT, DEFAULT, INF_P, 0xFF, "cuda nosat +Inf -> 0xFF"),
        RB(E8M0, CUDA_SATFINITE, DEFAULT, NAN_P, 0xFF, "cuda satfinite NaN -> 0xFF"),
        RB(E8M0, CUDA_NOSAT, DEFAULT, NAN_N, 0xFF, "cuda nosat -NaN -> 0xFF"),
        R(E8M0, CUDA_SATFINITE, DEFAULT, 0x1.000002p127f, 0xFE, "cuda satfinite overflow -> 0xFE"),
        R(E8M0, CUDA_NOSAT, DEFAULT, 0x1.000002p127f, 0xFF, "cuda nosat overflow -> 0xFF"),
        RB(E8M0, CUDA_SATFINITE, DEFAULT, 0x00000001u, 0x00, "cuda ceil of the least float32 -> 0x00"),
        /* ocp (Part A 3, = ml_dtypes PR #398): true ties to even (3 -> 2, 0.75 -> 0.5); 0, negative, Inf, NaN -> 0xFF */
        R(E8M0, OCP, DEFAULT, 1.5f, 0x80, "ocp 1.5 -> 2 (even code 0x80)"),
        R(E8M0, OCP, DEFAULT, 3.0f, 0x80, "ocp 3 -> 2 (even code 0x80)"),
        R(E8M0, OCP, DEFAULT, 0.75f, 0x7E, "ocp 0.75 -> 0.5 (even code 0x7E)"),
        R(E8M0, OCP, DEFAULT, 6.0f, 0x82, "ocp 6 -> 8 (even code 0x82)"),
        R(E8M0, OCP, DEFAULT, 0x1.800002p1f, 0x81, "ocp above 3 -> 4"),
        R(E8M0, OCP, DEFAULT, 0.0f, 0xFF, "ocp 0 -> 0xFF"),
        R(E8M0, OCP, DEFAULT, -1.0f, 0xFF, "ocp negative -> 0xFF"),
        RB(E8M0, OCP, DEFAULT, INF_P, 0xFF, "ocp +Inf -> 0xFF"),
        RB(E8M0, OCP, DEFAULT, NAN_P, 0xFF, "ocp NaN -> 0xFF"),
        R(E8M0, OCP, DEFAULT, 0x1.8p127f, 0xFE, "ocp 1.5*2^127 tie -> 0xFE (even)"),
        R(E8M0, OCP, NOSAT, 0x1.8p127f, 0xFE, "ocp nosat 1.5*2^127 tie -> 0xFE (even)"),
        R(E8M0, OCP, DEFAULT, 0x1.800002p127f, 0xFE, "ocp sat overflow -> 0xFE"),
        R(E8M0, OCP, NOSAT, 0x1.800002p127f, 0xFF, "ocp nosat overflow -> 0xFF"),
        RB(E8M0, OCP, DEFAULT, 0x00400000u, 0x00, "ocp 2^-127 -> 0x00"),
        RB(E8M0, OCP, DEFAULT, 0x00600000u, 0x00, "ocp 1.5*2^-127 tie -> 0x00 (even)"),
        RB(E8M0, OCP, DEFAULT, 0x00600001u, 0x01, "ocp above 1.5*2^-127 -> 0x01"),
        RB(E8M0, OCP, DEFAULT, 0x00000001u, 0x00, "ocp below 2^-127 -> 0x00 (smallest scale)"),
        R(E8M0, GGML, DEFAULT, 3.0f, 0x80, "ggml (= ocp) 3 -> 2"),
    };
    RUN(rows);

    /* Decode facts of the same section: 0x00 -> 0x00400000; ggml 0xFF -> +Inf */
    float out;
    CU_ASSERT(qref_decode(QREF_FMT_E8M0, QREF_CONV_OCP, 0x00, &out) == QREF_OK && qref_f32_bits(out) == 0x00400000u);
    CU_ASSERT(qref_decode(QREF_FMT_E8M0, QREF_CONV_OCP, 0xFF, &out) == QREF_OK && isnan(out));
    CU_ASSERT(qref_decode(QREF_FMT_E8M0, QREF_CONV_GGML, 0xFF, &out) == QREF_OK && qref_f32_bits(out) == 0x7F800000u);
}

/* FORMATS.md §4 BF16: the RNE formula's facts and the NaN table. */
static void test_known_bf16(void)
{
    static const row rows[] = {
        R(BF16, OCP, DEFAULT, 1.0f, 0x3F80, "1.0"),
        RB(BF16, OCP, DEFAULT, 0x3F808000u, 0x3F80, "tie 1+2^-8 -> 1 (even)"),
        RB(BF16, OCP, DEFAULT, 0x3F818000u, 0x3F82, "tie -> even, upward"),
        RB(BF16, OCP, DEFAULT, 0x3F808001u, 0x3F81, "above the tie -> up"),
        RB(BF16, OCP, DEFAULT, 0x7F7F7FFFu, 0x7F7F, "below max's midpoint -> max"),
        RB(BF16, OCP, DEFAULT, 0x7F7F8000u, 0x7F80, "max's midpoint to 2^128 -> Inf (carry)"),
        RB(BF16, OCP, DEFAULT, 0x7F7FFFFFu, 0x7F80, "overflow carries naturally to 0x7F80"),
        RB(BF16, OCP, DEFAULT, 0xFF7FFFFFu, 0xFF80, "-overflow -> 0xFF80"),
        RB(BF16, OCP, DEFAULT, 0x00400000u, 0x0040, "subnormals kept: 2^-127 -> 0x0040"),
        RB(BF16, OCP, DEFAULT, 0x00008000u, 0x0000, "subnormal tie -> 0 (even)"),
        RB(BF16, OCP, DEFAULT, 0x00018000u, 0x0002, "subnormal tie -> even"),
        R(BF16, OCP, DEFAULT, -0.0f, 0x8000, "-0"),
        RB(BF16, OCP, DEFAULT, INF_P, 0x7F80, "+Inf"),
        RB(BF16, ML_DTYPES, DEFAULT, INF_N, 0xFF80, "-Inf"),
        RB(BF16, TORCH, DEFAULT, 0x7F7FFFFFu, 0x7F80, "torch overflow -> Inf"),
        /* ggml / gguf-py: (u >> 16) | 0x40, sign and top payload kept */
        RB(BF16, GGML, DEFAULT, SNAN_P, 0x7FC0, "ggml sNaN -> 0x7FC0"),
        RB(BF16, GGML, DEFAULT, 0xFF812345u, 0xFFC1, "ggml -NaN payload -> 0xFFC1"),
        RB(BF16, GGML, DEFAULT, 0x7FA00000u, 0x7FE0, "ggml NaN payload 0x7FA0 -> 0x7FE0"),
        RB(BF16, OCP, DEFAULT, NAN_P, 0x7FC0, "ocp (= ggml) qNaN -> 0x7FC0"),
        RB(BF16, OCP, DEFAULT, 0xFFFFFFFFu, 0xFFFF, "ocp (= ggml) 0xFFFFFFFF -> 0xFFFF"),
        RB(BF16, OCP, DEFAULT, 0x7F810000u, 0x7FC1, "ocp (= ggml) sNaN 0x7F81 payload -> 0x7FC1"),
        /* c10 scalar round_to_nearest_even (0x7FC0) is not a qcts convention */
        /* torch 2.11 CPU tensor .to(bfloat16): 0xFFFF for every NaN */
        RB(BF16, TORCH, DEFAULT, NAN_P, 0xFFFF, "torch NaN -> 0xFFFF"),
        RB(BF16, TORCH, DEFAULT, NAN_N, 0xFFFF, "torch -NaN -> 0xFFFF"),
        RB(BF16, TORCH, DEFAULT, SNAN_P, 0xFFFF, "torch sNaN -> 0xFFFF"),
        /* ml_dtypes: 0x7FC0|s (sNaN 0x7F800001 -> 0x7FC0) */
        RB(BF16, ML_DTYPES, DEFAULT, SNAN_P, 0x7FC0, "ml_dtypes sNaN 0x7F800001 -> 0x7FC0"),
        RB(BF16, ML_DTYPES, DEFAULT, NAN_N, 0xFFC0, "ml_dtypes -NaN -> 0xFFC0"),
        RB(BF16, ML_DTYPES, DEFAULT, 0x7FFFFFFFu, 0x7FC0, "ml_dtypes payload dropped"),
        /* CUDA __float2bfloat16_rn: 0x7FFF */
        RB(BF16, CUDA_SATFINITE, DEFAULT, NAN_P, 0x7FFF, "cuda NaN -> 0x7FFF"),
        RB(BF16, CUDA_NOSAT, DEFAULT, NAN_N, 0x7FFF, "cuda -NaN -> 0x7FFF"),
        RB(BF16, CUDA_SATFINITE, DEFAULT, SNAN_N, 0x7FFF, "cuda -sNaN -> 0x7FFF"),
    };
    RUN(rows);
}

/* FORMATS.md §4 FP16. */
static void test_known_f16(void)
{
    static const row rows[] = {
        R(F16, OCP, DEFAULT, 65504.0f, 0x7BFF, "max 65504"),
        R(F16, OCP, DEFAULT, 0x1p-14f, 0x0400, "min normal 2^-14"),
        R(F16, OCP, DEFAULT, 0x1p-24f, 0x0001, "min subnormal 2^-24"),
        RB(F16, OCP, DEFAULT, 0x477FEFFFu, 0x7BFF, "65519.996 -> 0x7BFF"),
        RB(F16, ML_DTYPES, DEFAULT, 0x477FEFFFu, 0x7BFF, "ml_dtypes 65519.996 -> 0x7BFF"),
        R(F16, OCP, DEFAULT, 65520.0f, 0x7C00, "65520 -> Inf"),
        R(F16, TORCH, DEFAULT, 65520.0f, 0x7C00, "torch 65520 -> Inf"),
        R(F16, CUDA_SATFINITE, DEFAULT, 65520.0f, 0x7C00, "cuda 65520 -> Inf"),
        R(F16, OCP, DEFAULT, -65520.0f, 0xFC00, "-65520 -> -Inf"),
        RB(F16, OCP, DEFAULT, 0x33000000u, 0x0000, "2^-25 -> 0"),
        RB(F16, OCP, DEFAULT, 0x33000001u, 0x0001, "next float above 2^-25 -> 0x0001"),
        RB(F16, OCP, DEFAULT, 0xB3000000u, 0x8000, "-2^-25 -> -0"),
        RB(F16, OCP, DEFAULT, 0x33C00000u, 0x0002, "1.5*2^-24 tie -> 2^-23 (even)"),
        R(F16, OCP, DEFAULT, 1.0f, 0x3C00, "1.0"),
        RB(F16, OCP, DEFAULT, 0x3F801000u, 0x3C00, "1+2^-11 tie -> 1 (even)"),
        RB(F16, OCP, DEFAULT, 0x3F803000u, 0x3C02, "1+3*2^-11 tie -> even, upward"),
        RB(F16, OCP, DEFAULT, INF_P, 0x7C00, "+Inf"),
        RB(F16, ML_DTYPES, DEFAULT, INF_N, 0xFC00, "ml_dtypes -Inf"),
        /* NaN: ocp, ggml -> 0x7E00|s; torch 2.11 keeps the top payload bits */
        RB(F16, OCP, DEFAULT, NAN_P, 0x7E00, "ocp NaN -> 0x7E00"),
        RB(F16, OCP, DEFAULT, NAN_N, 0xFE00, "ocp -NaN -> 0xFE00"),
        RB(F16, OCP, DEFAULT, SNAN_P, 0x7E00, "ocp sNaN -> 0x7E00"),
        RB(F16, TORCH, DEFAULT, NAN_N, 0xFE00, "torch -NaN -> 0xFE00"),
        RB(F16, TORCH, DEFAULT, 0x7F810000u, 0x7E08, "torch 2.11 NaN 0x7F810000 -> 0x7E08 (measured)"),
        RB(F16, TORCH, DEFAULT, SNAN_P, 0x7E00, "torch 2.11 sNaN 0x7F800001 -> 0x7E00 (measured)"),
        RB(F16, TORCH, DEFAULT, 0xFFFFFFFFu, 0xFFFF, "torch 2.11 NaN 0xFFFFFFFF -> 0xFFFF (measured)"),
        RB(F16, GGML, DEFAULT, SNAN_N, 0xFE00, "ggml -sNaN -> 0xFE00"),
        /* numpy (ml_dtypes): 0x7C00 + (sig >> 13), forced non-zero */
        RB(F16, ML_DTYPES, DEFAULT, SNAN_P, 0x7C01, "numpy sNaN 0x7F800001 -> 0x7C01"),
        RB(F16, ML_DTYPES, DEFAULT, SNAN_N, 0xFC01, "numpy -sNaN -> 0xFC01"),
        RB(F16, ML_DTYPES, DEFAULT, NAN_P, 0x7E00, "numpy qNaN -> 0x7E00"),
        RB(F16, ML_DTYPES, DEFAULT, 0x7F802000u, 0x7C01, "numpy payload bit 13 -> 0x7C01"),
        RB(F16, ML_DTYPES, DEFAULT, 0x7FFFFFFFu, 0x7FFF, "numpy payload kept -> 0x7FFF"),
        RB(F16, ML_DTYPES, DEFAULT, 0xFFA00000u, 0xFD00, "numpy -NaN payload -> 0xFD00"),
        /* CUDA __float2half_rn: 0x7FFF */
        RB(F16, CUDA_SATFINITE, DEFAULT, NAN_P, 0x7FFF, "cuda NaN -> 0x7FFF"),
        RB(F16, CUDA_NOSAT, DEFAULT, NAN_N, 0x7FFF, "cuda -NaN -> 0x7FFF"),
    };
    RUN(rows);
}

/* Integers and NF (qref/fmt.h, ref/README.md "INT and NF"; §6 Q8_0 roundf). */
static void test_known_int_nf(void)
{
    static const row rows[] = {
        R(INT8, OCP, DEFAULT, 2.5f, 0x02, "ocp 2.5 -> 2 (even)"),
        R(INT8, OCP, DEFAULT, 3.5f, 0x04, "ocp 3.5 -> 4 (even)"),
        R(INT8, OCP, DEFAULT, -2.5f, 0xFE, "ocp -2.5 -> -2"),
        R(INT8, GGML, DEFAULT, 2.5f, 0x03, "ggml roundf 2.5 -> 3"),
        R(INT8, GGML, DEFAULT, -2.5f, 0xFD, "ggml roundf -2.5 -> -3"),
        R(INT8, GGML, DEFAULT, 0.5f, 0x01, "ggml roundf 0.5 -> 1"),
        R(INT8, OCP, DEFAULT, 0.5f, 0x00, "ocp 0.5 -> 0"),
        R(INT8, OCP, DEFAULT, 127.5f, 0x7F, "ocp 127.5 saturates"),
        R(INT8, OCP, DEFAULT, -1000.0f, 0x80, "ocp -1000 -> -128"),
        RB(INT8, OCP, DEFAULT, INF_N, 0x80, "ocp -Inf -> -128"),
        R(UINT8, OCP, DEFAULT, -3.0f, 0x00, "uint8 -3 -> 0"),
        R(UINT8, OCP, DEFAULT, 255.5f, 0xFF, "uint8 255.5 -> 255"),
        R(INT4, OCP, DEFAULT, -7.5f, 0x8, "int4 -7.5 -> -8 (even)"),
        R(INT4, OCP, DEFAULT, -0.4f, 0x0, "int4 -0.4 -> 0"),
        R(INT2, GGML, DEFAULT, -1.5f, 0x2, "int2 ggml -1.5 -> -2"),
        R(INT2, OCP, DEFAULT, -1.5f, 0x2, "int2 ocp -1.5 -> -2 (even)"),
        R(UINT4, OCP, DEFAULT, 2147483648.0f, 0xF, "uint4 2^31 -> 15"),
        RBN(INT8, OCP, NAN_P, 0x00, "NaN -> QREF_ERR_NAN, code of 0"),
        R(NF4, OCP, DEFAULT, 0.0f, 0x7, "nf4 0 -> code 7"),
        R(NF4, OCP, DEFAULT, -0.0f, 0x7, "nf4 -0 -> code 7"),
        RB(NF4, OCP, DEFAULT, 0x3D22FAFFu, 0x8, "nf4 exact midpoint 0.0397901498 (bnb's first split) -> even code 8"),
        RB(NF4, OCP, DEFAULT, 0x3D22FAFEu, 0x7, "nf4 below the midpoint -> 7"),
        R(NF4, OCP, DEFAULT, 2.0f, 0xF, "nf4 2 -> 1.0"),
        RB(NF4, OCP, DEFAULT, INF_N, 0x0, "nf4 -Inf -> -1.0"),
        R(NF2, OCP, DEFAULT, 0.7f, 0x2, "nf2 0.7 -> 0.4358 (midpoint 0.7179)"),
        R(NF2, OCP, DEFAULT, 0.72f, 0x3, "nf2 0.72 -> 1.0"),
        RB(NF2, OCP, DEFAULT, 0x3E5F238Cu, 0x2, "nf2 exact midpoint of 0 and 0.4358 -> even code 2"),
        RB(NF2, OCP, DEFAULT, 0x3E5F238Bu, 0x1, "nf2 below that midpoint -> 0"),
        R(NF3, OCP, DEFAULT, -0.6f, 0x1, "nf3 -0.6 -> -0.535"),
        RBN(NF4, OCP, NAN_N, 0x7, "nf4 NaN -> QREF_ERR_NAN, code of 0.0"),
    };
    RUN(rows);
}

/* ggml_compute_fp32_to_fp16 (FORMATS.md §4), written out in float32
 * arithmetic (-ffp-contract=off, SSE2; no FTZ/DAZ in this process). */
static uint16_t ggml_fp16_trick(float f)
{
    const float scale_to_inf = 0x1.0p+112f;
    const float scale_to_zero = 0x1.0p-110f;
    float base = (fabsf(f) * scale_to_inf) * scale_to_zero;
    const uint32_t w = qref_f32_bits(f);
    const uint32_t shl1_w = w + w;
    const uint32_t sign = w & 0x80000000u;
    uint32_t bias = shl1_w & 0xFF000000u;
    if (bias < 0x71000000u)
        bias = 0x71000000u;
    base = qref_f32_from_bits((bias >> 1) + 0x07800000u) + base;
    const uint32_t bits = qref_f32_bits(base);
    const uint32_t exp_bits = (bits >> 13) & 0x00007C00u;
    const uint32_t mantissa_bits = bits & 0x00000FFFu;
    const uint32_t nonsign = exp_bits + mantissa_bits;
    return (uint16_t)((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

static void test_known_f16_vs_ggml_trick(void)
{
    uint64_t seed = slow_test_seed(0xF16F16F16ull), s = seed;
    unsigned long nfail = 0, ncases = 0;
    /* every float32 whose exponent is in the F16 range +-2 binades, with a
     * stride, then random bit patterns */
    for (uint32_t u = 0x32800000u; u < 0x47C00000u; u += 61) {
        for (int neg = 0; neg < 2; neg++) {
            uint32_t x = u | (neg ? 0x80000000u : 0), code = 0;
            qref_encode(QREF_FMT_F16, QREF_CONV_GGML, QREF_MODE_DEFAULT, qref_f32_from_bits(x), &code);
            uint16_t want = ggml_fp16_trick(qref_f32_from_bits(x));
            ncases++;
            SLOW_CHECK(nfail, code == want, "F16 x=0x%08X: qref 0x%04X, ggml trick 0x%04X", x, code, want);
        }
    }
    for (unsigned long i = 0; i < qtest_scale(1ul << 22); i++) {
        uint32_t x = (uint32_t)slow_rand64(&s), code = 0;
        qref_encode(QREF_FMT_F16, QREF_CONV_GGML, QREF_MODE_DEFAULT, qref_f32_from_bits(x), &code);
        uint16_t want = ggml_fp16_trick(qref_f32_from_bits(x));
        ncases++;
        SLOW_CHECK(nfail, code == want, "F16 x=0x%08X: qref 0x%04X, ggml trick 0x%04X (seed 0x%llX)", x, code, want,
                   (unsigned long long)seed);
    }
    SLOW_SUMMARY(nfail, ncases, "F16 encoder vs ggml_compute_fp32_to_fp16");
    /* the trick itself on the §4 facts, so a broken copy cannot pass */
    CU_ASSERT_EQUAL(ggml_fp16_trick(65520.0f), 0x7C00);
    CU_ASSERT_EQUAL(ggml_fp16_trick(qref_f32_from_bits(0x477FEFFFu)), 0x7BFF);
    CU_ASSERT_EQUAL(ggml_fp16_trick(qref_f32_from_bits(0x33000001u)), 0x0001);
    CU_ASSERT_EQUAL(ggml_fp16_trick(qref_f32_from_bits(0xFFC00000u)), 0xFE00);
}

QTEST_SUITE(codec_known,
    QTEST(test_known_e4m3),
    QTEST(test_known_e5m2),
    QTEST(test_known_e2m1_decision_table),
    QTEST(test_known_e2m1_conventions),
    QTEST(test_known_e8m0),
    QTEST(test_known_bf16),
    QTEST(test_known_f16),
    QTEST(test_known_int_nf),
    QTEST(test_known_f16_vs_ggml_trick))
