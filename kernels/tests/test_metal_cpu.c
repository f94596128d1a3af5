/* Unit tests of kernels/metal: the metal-cpu executor (barriers, SIMD-group
 * functions, the shim's half and vectors, through the MSL kernels of
 * kernels/metal/cpu/selftest.metal), the manifest formulas and the
 * manifest loader's refusals. Whole-op correctness is tests/cli/test-metal-cpu.sh
 * (qcts check over the golden set). Without metal-cpu in the build
 * (cross builds) only the formula tests run. */
#include <stdio.h>
#include <string.h>

#include "kernels/metal/qm_expr.h"
#include "kernels/metal/qm_manifest.h"
#include "qtest.h"
#if QCTS_METAL_CPU
#include "kernels/metal/cpu/mcpu_exec.h"
#endif

#if QCTS_METAL_CPU
static int dispatch(const char *name, mcpu_args *a, uint32_t gx, uint32_t tgx, char *msg, size_t n)
{
    const mcpu_kernel *k = mcpu_kernel_find(name);
    if (!QCHECK(k != NULL, "kernel %s not compiled in", name))
        return -2;
    uint32_t g[3] = { gx, 1, 1 }, t[3] = { tgx, 1, 1 };
    return mcpu_dispatch(k, a, g, t, msg, n);
}
#endif

static void test_barrier_orders_memory(void)
{
#if QCTS_METAL_CPU
    enum { TG = 48, G = 3 };
    uint32_t out[TG * G];
    mcpu_args a;
    memset(&a, 0, sizeof a);
    a.buffers[0] = out;
    a.tg_mem_bytes[0] = sizeof(uint32_t) * TG;
    char msg[256];
    CU_ASSERT_EQUAL(dispatch("mcpu_test_reverse", &a, G, TG, msg, sizeof msg), 0);
    int bad = 0;
    for (uint32_t g = 0; g < G; g++)
        for (uint32_t t = 0; t < TG; t++)
            bad += out[g * TG + t] != (g * TG + (TG - 1 - t)) * 3u + 1u;
    QCHECK(bad == 0, "%d wrong values with a barrier", bad);
    /* the same without the barrier: thread 0 reads before thread 47 wrote */
    memset(out, 0, sizeof out);
    CU_ASSERT_EQUAL(dispatch("mcpu_test_reverse_nobarrier", &a, G, TG, msg, sizeof msg), 0);
    QCHECK(out[0] == 0xA5A5A5A5u, "without the barrier thread 0 should read the poison, got 0x%08x", out[0]);
#endif
}

static void test_divergent_barrier_is_an_error(void)
{
#if QCTS_METAL_CPU
    uint32_t out[64];
    mcpu_args a;
    memset(&a, 0, sizeof a);
    a.buffers[0] = out;
    char msg[256] = "";
    CU_ASSERT_EQUAL(dispatch("mcpu_test_barrier_divergent", &a, 1, 64, msg, sizeof msg), -1);
    QCHECK(strstr(msg, "3 of 64 threads wait at threadgroup_barrier") != NULL, "message: %s", msg);
#endif
}

static void test_simd_functions(void)
{
#if QCTS_METAL_CPU
    enum { TG = 40 };   /* SIMD-groups of 32 and 8 lanes */
    float sums[TG], down[TG];
    mcpu_args a;
    memset(&a, 0, sizeof a);
    a.buffers[0] = sums;
    a.buffers[1] = down;
    char msg[256];
    CU_ASSERT_EQUAL(dispatch("mcpu_test_simd", &a, 1, TG, msg, sizeof msg), 0);
    int bad = 0;
    for (int t = 0; t < TG; t++) {
        float want = t < 32 ? 528.0f : 36.0f;   /* 1 + ... + 32, 1 + ... + 8 */
        int lane = t % 32, width = t < 32 ? 32 : 8;
        float wdown = lane + 1 < width ? (float)(lane + 2) : (float)(lane + 1);
        bad += sums[t] != want || down[t] != wdown;
    }
    QCHECK(bad == 0, "%d wrong SIMD-group results", bad);
#endif
}

static void test_shim_types(void)
{
#if QCTS_METAL_CPU
    /* f16 rounding: 1 + 2^-11 is a tie (to even: 1), 1 + 3*2^-11 rounds up,
     * 65520 overflows to Inf, 2^-25 is a tie with 0 (to even: 0), 2^-24
     * the smallest subnormal */
    float x[6] = { 1.0f + 0x1p-11f, 1.0f + 0x3p-11f, 65520.0f, 0x1p-25f, 0x1p-24f, -2.5f };
    float want[6] = { 1.0f, 1.0f + 0x1p-9f, __builtin_inff(), 0.0f, 0x1p-24f, -2.5f };
    float out[6];
    uint32_t sw[6];
    mcpu_args a;
    memset(&a, 0, sizeof a);
    a.buffers[0] = x;
    a.buffers[1] = out;
    a.buffers[2] = sw;
    char msg[256];
    CU_ASSERT_EQUAL(dispatch("mcpu_test_types", &a, 1, 6, msg, sizeof msg), 0);
    for (int i = 0; i < 6; i++) {
        QCHECK(memcmp(&out[i], &want[i], 4) == 0, "half(%a) = %a, want %a", (double)x[i], (double)out[i],
               (double)want[i]);
        QCHECK(sw[i] == (uint32_t)((i + 3) * 1000 + i + 1), "swizzle .wy of thread %d: %u", i, sw[i]);
    }
#endif
}

static void test_bad_dispatch(void)
{
#if QCTS_METAL_CPU
    mcpu_args a;
    memset(&a, 0, sizeof a);
    char msg[256] = "";
    CU_ASSERT_EQUAL(dispatch("mcpu_test_simd", &a, 1, 2048, msg, sizeof msg), -1);
    QCHECK(strstr(msg, "2048 threads per threadgroup") != NULL, "message: %s", msg);
#endif
}

static void test_formulas(void)
{
    qm_expr_vars v = { 5, 256, 4096, 128, 2 };
    struct {
        const char *s;
        int64_t want;   /* -1: an error */
    } t[] = {
        { "(N + 7) / 8", 32 }, { "(M+7)/8", 1 }, { "K / G * N", 8192 }, { "1 + 2 * 3", 7 }, { "(1 + 2) * 3", 9 },
        { "N % 7", 4 }, { "B", 2 }, { "10 - 3 - 2", 5 }, { "M - 6", -1 }, { "N / (M - 5)", -1 }, { "X", -1 },
        { "(N", -1 }, { "N N", -1 }, { "", -1 }, { "99999999999999999999", -1 }, { "4611686018427387904 * 4", -1 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int64_t r = -7;
        char msg[256] = "";
        int rc = qm_expr_eval(t[i].s, &v, &r, msg, sizeof msg);
        if (t[i].want < 0)
            QCHECK(rc == -1 && msg[0], "\"%s\" should be an error (rc %d, %lld)", t[i].s, rc, (long long)r);
        else
            QCHECK(rc == 0 && r == t[i].want, "\"%s\" = %lld (rc %d: %s), want %lld", t[i].s, (long long)r, rc, msg,
                   (long long)t[i].want);
    }
}

static int write_manifest(const char *path, const char *json)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(json, f);
    return fclose(f);
}

static void test_manifest_refusals(void)
{
    char dir[] = "/tmp/qcts-mf-XXXXXX";
    if (!QCHECK(mkdtemp(dir) != NULL, "mkdtemp"))
        return;
    char path[64], src[64];
    snprintf(path, sizeof path, "%s/m.json", dir);
    snprintf(src, sizeof src, "%s/k.metal", dir);
    write_manifest(src, "kernel void k() {}\n");
#define BASE "\"qcts_metal_manifest\": 1, \"source\": \"k.metal\", \"function\": \"k\", \"op\": \"gemm\", " \
             "\"schemes\": [\"fp4_g128_f16\"], \"threadgroup\": [\"1\",\"1\",\"1\"], \"grid\": [\"N\",\"1\",\"1\"]"
    struct {
        const char *json, *want;
    } t[] = {
        { "{" BASE ", \"buffers\": [{\"index\": 0, \"role\": \"output\", \"dtype\": \"f16\"}]}", NULL },
        { "{" BASE ", \"buffers\": [{\"index\": 0, \"role\": \"output\"}], \"extra\": 1}", "unknown field \"extra\"" },
        { "{" BASE ", \"buffers\": [{\"index\": 0, \"role\": \"a\"}]}", "exactly one buffer with role \"output\"" },
        { "{" BASE ", \"buffers\": [{\"index\": 31, \"role\": \"output\"}]}", "\"index\" must be an integer 0 to 30" },
        { "{" BASE ", \"buffers\": [{\"index\": 0, \"role\": \"output\"}, {\"index\": 0, \"role\": \"a\"}]}",
          "index 0 is used twice" },
        { "{" BASE ", \"buffers\": [{\"index\": 0, \"role\": \"output\"}, {\"index\": 1, \"role\": \"param\"}]}",
          "a param needs \"value\"" },
        { "{" BASE ", \"buffers\": [{\"index\": 0, \"role\": \"output\", \"packing\": \"k_packed\"}]}",
          "packing \"k_packed\" is for weight_codes only" },
        { "{" BASE ", \"buffers\": [{\"index\": 0, \"role\": \"weights\", \"dtype\": \"f64\"}]}", "dtype \"f64\" unknown" },
        { "{\"qcts_metal_manifest\": 2}", "must be 1" },
        { "[1, 2]", "not a JSON object" },
        { "{\"qcts_metal_manifest\": 1, \"source\": \"k.metal\", \"function\": \"k\", \"op\": \"gemm\", "
          "\"schemes\": [\"no_such_scheme\"]}", "\"no_such_scheme\" is not a scheme preset" },
        { "{\"qcts_metal_manifest\": 1, \"source\": \"missing.metal\", \"function\": \"k\", \"op\": \"gemm\"}",
          "missing.metal" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        write_manifest(path, t[i].json);
        qm_manifest *m = NULL;
        char msg[512] = "";
        int rc = qm_manifest_load(path, &m, msg, sizeof msg);
        if (!t[i].want)
            QCHECK(rc == 0 && m && strcmp(m->function, "k") == 0, "case %zu should load: %s", i, msg);
        else
            QCHECK(rc == -1 && !m && strstr(msg, t[i].want) && strstr(msg, path), "case %zu: want \"%s\" naming the "
                   "file, got rc %d: %s", i, t[i].want, rc, msg);
        qm_manifest_free(m);
    }
    remove(path);
    remove(src);
    remove(dir);
}

QTEST_SUITE(metal_cpu,
    QTEST(test_barrier_orders_memory),
    QTEST(test_divergent_barrier_is_an_error),
    QTEST(test_simd_functions),
    QTEST(test_shim_types),
    QTEST(test_bad_dispatch),
    QTEST(test_formulas),
    QTEST(test_manifest_refusals))
