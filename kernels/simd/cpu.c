/* CPU feature detection, resolved once (pthread_once), and the choice of
 * ISA for the `simd` backend (QCTS_FORCE_ISA=scalar|avx2|avx512|neon).
 *
 * x86-64: CPUID leaf 1 (FMA, AVX, F16C, OSXSAVE) and leaf 7 (AVX2, BMI2,
 * AVX-512 F/DQ/BW/VL); XGETBV(0) must show the OS saves the YMM state
 * (XCR0 bits 1, 2) for AVX*, and the opmask/ZMM state (bits 5, 6, 7) for
 * AVX-512: a CPU flag alone is not enough (a kernel without XSAVE support
 * for the wide registers faults on the first instruction).
 * arm64: AdvSIMD is architectural; getauxval(AT_HWCAP) confirms it on
 * Linux. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kernels/simd/simd.h"

#if QCTS_SIMD_X86
#include <cpuid.h>
#endif
#if QCTS_SIMD_ARM64 && defined(__linux__)
#include <sys/auxv.h>
#endif

static qcts_cpu_info cpu_info;
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;

#if QCTS_SIMD_X86
static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#endif

static void detect(void)
{
    qcts_cpu_info *c = &cpu_info;
    memset(c, 0, sizeof *c);
#if QCTS_SIMD_X86
    unsigned a, b, cx, d;
    unsigned max_leaf = __get_cpuid_max(0, NULL);
    if (max_leaf >= 1) {
        __cpuid(0, a, b, cx, d);
        memcpy(c->vendor, &b, 4);
        memcpy(c->vendor + 4, &d, 4);
        memcpy(c->vendor + 8, &cx, 4);
        __cpuid(1, a, b, cx, d);
        int osxsave = (cx >> 27) & 1;
        uint64_t xcr0 = osxsave ? xgetbv0() : 0;
        int ymm_os = (xcr0 & 0x6) == 0x6;
        int zmm_os = ymm_os && (xcr0 & 0xE0) == 0xE0;
        c->avx = ymm_os && ((cx >> 28) & 1);
        c->fma = c->avx && ((cx >> 12) & 1);
        c->f16c = c->avx && ((cx >> 29) & 1);
        if (max_leaf >= 7) {
            __cpuid_count(7, 0, a, b, cx, d);
            c->avx2 = c->avx && ((b >> 5) & 1);
            c->bmi2 = (b >> 8) & 1;
            c->avx512f = zmm_os && ((b >> 16) & 1);
            c->avx512dq = c->avx512f && ((b >> 17) & 1);
            c->avx512bw = c->avx512f && ((b >> 30) & 1);
            c->avx512vl = c->avx512f && ((b >> 31) & 1);
        }
    }
    if (__get_cpuid_max(0x80000000u, NULL) >= 0x80000004u) {
        unsigned r[12];
        for (unsigned i = 0; i < 3; i++)
            __cpuid(0x80000002u + i, r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
        memcpy(c->brand, r, 48);
        c->brand[48] = '\0';
    }
#elif QCTS_SIMD_ARM64
#if defined(__linux__) && defined(HWCAP_ASIMD)
    c->neon = (getauxval(AT_HWCAP) & HWCAP_ASIMD) != 0;
#else
    c->neon = 1;   /* AdvSIMD is mandatory in ARMv8-A */
#endif
    strcpy(c->vendor, "arm64");
#endif
}

const qcts_cpu_info *qcts_cpu(void)
{
    pthread_once(&cpu_once, detect);
    return &cpu_info;
}

static const char *const isa_names[QCTS_ISA_COUNT] = { "scalar", "avx2", "avx512", "neon" };

const char *qcts_isa_name(qcts_isa isa)
{
    return (unsigned)isa < QCTS_ISA_COUNT ? isa_names[isa] : "?";
}

int qcts_isa_from_name(const char *name, qcts_isa *isa)
{
    for (int i = 0; i < QCTS_ISA_COUNT; i++)
        if (name && strcasecmp(name, isa_names[i]) == 0) {
            *isa = (qcts_isa)i;
            return 0;
        }
    return -1;
}

static int say_no(char *why, size_t n, const char *fmt, const char *arg)
{
    if (why && n)
        snprintf(why, n, fmt, arg);
    return 0;
}

int qcts_isa_cpu_ok(qcts_isa isa, char *why, size_t n)
{
    const qcts_cpu_info *c = qcts_cpu();
    if (why && n)
        why[0] = '\0';
    switch (isa) {
    case QCTS_ISA_SCALAR: return 1;
    case QCTS_ISA_AVX2:
        if (!QCTS_SIMD_X86)
            return say_no(why, n, "%s: not an x86-64 CPU", "avx2");
        if (!c->avx)
            return say_no(why, n, "%s: the CPU (or the OS, XCR0) does not support AVX", "avx2");
        if (!c->avx2)
            return say_no(why, n, "%s: the CPU does not support AVX2", "avx2");
        if (!c->fma)
            return say_no(why, n, "%s: the CPU does not support FMA3", "avx2");
        if (!c->f16c)
            return say_no(why, n, "%s: the CPU does not support F16C", "avx2");
        return 1;
    case QCTS_ISA_AVX512:
        if (!QCTS_SIMD_X86)
            return say_no(why, n, "%s: not an x86-64 CPU", "avx512");
        if (!(c->avx512f && c->avx512bw && c->avx512dq && c->avx512vl))
            return say_no(why, n, "%s: the CPU (or the OS, XCR0) does not support AVX-512 F/BW/DQ/VL", "avx512");
        return 1;
    case QCTS_ISA_NEON:
        if (!c->neon)
            return say_no(why, n, "%s: not an arm64 CPU with AdvSIMD", "neon");
        return 1;
    default: return say_no(why, n, "%s: unknown ISA", "?");
    }
}

int qcts_isa_built(qcts_isa isa, char *why, size_t n)
{
    if (why && n)
        why[0] = '\0';
    if (isa == QCTS_ISA_SCALAR)
        return 1;
    for (size_t i = 0; i < qcts_dequant_variant_count; i++)
        if (qcts_dequant_variants[i].isa == isa)
            return 1;
    for (size_t i = 0; i < qcts_gemm_variant_count; i++)
        if (qcts_gemm_variants[i].isa == isa)
            return 1;
    return say_no(why, n, "%s: no kernels of this ISA are built into this qcts", qcts_isa_name(isa));
}

int qcts_simd_isa_resolve(const char *force, qcts_isa *isa, char *why, size_t n)
{
    char w[192];
    if (force && *force) {
        qcts_isa f;
        if (qcts_isa_from_name(force, &f) != 0) {
            if (why && n)
                snprintf(why, n, "QCTS_FORCE_ISA=%s is not one of scalar, avx2, avx512, neon", force);
            return -1;
        }
        if (!qcts_isa_built(f, w, sizeof w) || !qcts_isa_cpu_ok(f, w, sizeof w)) {
            if (why && n)
                snprintf(why, n, "QCTS_FORCE_ISA=%s cannot be honoured: %s", force, w);
            return -1;
        }
        *isa = f;
        if (why && n)
            snprintf(why, n, "%s (QCTS_FORCE_ISA)", qcts_isa_name(f));
        return 0;
    }
    /* Best first. */
    static const qcts_isa order[] = { QCTS_ISA_AVX512, QCTS_ISA_AVX2, QCTS_ISA_NEON, QCTS_ISA_SCALAR };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (qcts_isa_built(order[i], NULL, 0) && qcts_isa_cpu_ok(order[i], NULL, 0)) {
            *isa = order[i];
            if (why && n)
                snprintf(why, n, "%s (best for this CPU)", qcts_isa_name(order[i]));
            return 0;
        }
    }
    *isa = QCTS_ISA_SCALAR;
    return 0;
}

static qcts_isa simd_isa;
static int simd_isa_ok;
static char simd_note[256];
static pthread_once_t simd_once = PTHREAD_ONCE_INIT;

static void resolve_once(void)
{
    simd_isa_ok = qcts_simd_isa_resolve(getenv("QCTS_FORCE_ISA"), &simd_isa, simd_note, sizeof simd_note) == 0;
}

int qcts_simd_isa(qcts_isa *isa, char *why, size_t n)
{
    pthread_once(&simd_once, resolve_once);
    if (!simd_isa_ok) {
        if (why && n)
            snprintf(why, n, "%s", simd_note);
        return -1;
    }
    *isa = simd_isa;
    return 0;
}

const char *qcts_simd_isa_note(void)
{
    pthread_once(&simd_once, resolve_once);
    return simd_note;
}
