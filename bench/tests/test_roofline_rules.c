/* The rules of the roofline (qcts/roofline.h) and of the machine-state
 * warning (qcts/bench_env.h) on made-up numbers, both ways: a plausible
 * wrong reading is flagged, a consistent one is not. */
#include <string.h>

#include "qcts/bench_env.h"
#include "qcts/roofline.h"
#include "qtest.h"

static qcts_roofline calm(void)
{
    qcts_roofline r;
    memset(&r, 0, sizeof r);
    r.cores = 2;
    r.llc_bytes = (size_t)32 << 20;
    r.l2_bytes = (size_t)1 << 20;
    r.read_gbs[0] = 22, r.read_gbs[1] = 38;
    r.copy_gbs[0] = 10, r.copy_gbs[1] = 14;
    r.read_llc_gbs[0] = 70, r.read_llc_gbs[1] = 120;
    r.read_l2_gbs[0] = 115, r.read_l2_gbs[1] = 220;
    r.store_gbs[0] = 16, r.store_gbs[1] = 20;
    r.store_llc_gbs[0] = 60, r.store_llc_gbs[1] = 90;
    r.store_l2_gbs[0] = 100, r.store_l2_gbs[1] = 180;
    r.n_fma = 2;
    strcpy(r.fma[0].isa, "avx2");
    r.fma[0].gflops[0] = 118, r.fma[0].gflops[1] = 236;
    strcpy(r.fma[1].isa, "avx512");
    r.fma[1].gflops[0] = 118, r.fma[1].gflops[1] = 236;
    return r;
}

static void test_self_checks(void)
{
    qcts_roofline r = calm();
    QCHECK(qcts_roofline_check(&r) == 0 && strcmp(r.checks, "ok") == 0, "consistent numbers: %s", r.checks);
    r = calm();
    r.read_gbs[1] = 8;   /* all cores below one core: threads took turns */
    QCHECK(qcts_roofline_check(&r) >= 1 && strstr(r.checks, "read all cores"), "all < one: %s", r.checks);
    r = calm();
    r.fma[1].gflops[0] = 48.5;   /* the AVX-512 peak below AVX2: a busy probe */
    QCHECK(qcts_roofline_check(&r) == 1 && strstr(r.checks, "avx512"), "avx512 < avx2: %s", r.checks);
    r = calm();
    r.copy_gbs[0] = r.copy_gbs[1] = 45;   /* copying faster than reading */
    QCHECK(qcts_roofline_check(&r) == 2 && strstr(r.checks, "copy"), "copy > read (both counts): %s", r.checks);
    r = calm();
    r.read_gbs[0] = 200;   /* read 20x copy and above the caches */
    QCHECK(qcts_roofline_check(&r) >= 1, "read implausible: %s", r.checks);
}

static void test_ceiling_levels(void)
{
    qcts_roofline r = calm();
    double v;
    char kind[64], lv[16];
    qcts_roofline_ceiling(&r, 0, 512e3, 0, 0, &v, kind, sizeof kind, lv, sizeof lv);
    QCHECK(strcmp(lv, "L2") == 0 && v == 115, "512 kB hot: %s %g", kind, v);
    qcts_roofline_ceiling(&r, 0, 6e6, 0, 0, &v, kind, sizeof kind, lv, sizeof lv);
    QCHECK(strcmp(lv, "LLC") == 0 && v == 70, "6 MB hot: %s %g", kind, v);
    qcts_roofline_ceiling(&r, 0, 6e6, 1, 0, &v, kind, sizeof kind, lv, sizeof lv);
    QCHECK(strcmp(lv, "DRAM") == 0 && v == 22, "6 MB cold: %s %g", kind, v);
    qcts_roofline_ceiling(&r, 0, 100e6, 0, 1, &v, kind, sizeof kind, lv, sizeof lv);
    QCHECK(strcmp(lv, "DRAM") == 0 && v == 38 && strstr(kind, "all cores"), "100 MB, 2 threads: %s %g", kind, v);
    qcts_roofline_ceiling(&r, 1, 6e6, 0, 0, &v, kind, sizeof kind, lv, sizeof lv);
    QCHECK(strcmp(lv, "FMA") == 0 && v == 118, "GEMM: %s %g", kind, v);
    /* dequant of 4 MB of weights (DRAM when cold) to 16 MB of f32 (LLC) */
    double t = qcts_roofline_dequant_time(&r, 4e6, 16e6, 1, 0, kind, sizeof kind, lv, sizeof lv);
    QCHECK(strcmp(lv, "DRAM/LLC") == 0 && t > 4e6 / 22e9 + 16e6 / 60e9 - 1e-12 && t < 4e6 / 22e9 + 16e6 / 60e9 + 1e-12,
           "dequant cold: %s %g", kind, t);
    t = qcts_roofline_dequant_time(&r, 256e3, 1e6, 0, 0, kind, sizeof kind, lv, sizeof lv);
    QCHECK(strcmp(lv, "L2/L2") == 0 && t == 1e6 / 100e9, "dequant in L2: the slower port bounds (%s %g)", kind, t);
}

static void test_busy_rule(void)
{
    char w[256];
    QCHECK(qcts_env_judge(0.1, 2, 0.02, 0.0, w, sizeof w) == 0 && w[0] == '\0', "calm: '%s'", w);
    QCHECK(qcts_env_judge(0.1, 2, 0.35, 0.0, w, sizeof w) == 1 && strstr(w, "35%"), "others at 35%%: '%s'", w);
    QCHECK(qcts_env_judge(0.1, 2, 0.0, 0.08, w, sizeof w) == 1 && strstr(w, "stole"), "steal: '%s'", w);
    QCHECK(qcts_env_judge(3.0, 2, 0.0, 0.0, w, sizeof w) == 1 && strstr(w, "load average 3.00"), "load: '%s'", w);
}

QTEST_SUITE(roofline_rules,
    QTEST(test_self_checks),
    QTEST(test_ceiling_levels),
    QTEST(test_busy_rule))
