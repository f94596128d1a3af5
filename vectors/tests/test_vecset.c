/* Suite vecset: checked number conversions (qcts/numparse.h) and reading a
 * vector set for check (qcts/vecset.h): confinement, regular files only,
 * bounds, manifest verification and the set hash. Each rule both ways: a
 * hostile input is refused, the plain one accepted. */
#include "qtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qcts/numparse.h"
#include "qcts/vecset.h"

#ifndef QCTS_VECTORS_GOLDEN
#define QCTS_VECTORS_GOLDEN "vectors/golden"
#endif

static void test_num_to_i64(void)
{
    int64_t v = 42;
    static const double bad[] = { 9223372036854775808.0, -9223372036854777856.0, HUGE_VAL, -HUGE_VAL,
                                  1e19, 0.5, -1.5, 4503599627370495.5 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        QCHECK(qcts_num_to_i64(bad[i], INT64_MIN, INT64_MAX, &v) == -1 && v == 42, "%g accepted", bad[i]);
    QCHECK(qcts_num_to_i64(NAN, INT64_MIN, INT64_MAX, &v) == -1 && v == 42, "NaN accepted");
    QCHECK(qcts_num_to_i64(-9223372036854775808.0, INT64_MIN, INT64_MAX, &v) == 0 && v == INT64_MIN, "-2^63");
    QCHECK(qcts_num_to_i64(9223372036854774784.0, INT64_MIN, INT64_MAX, &v) == 0 && v == 9223372036854774784,
           "largest double below 2^63");
    QCHECK(qcts_num_to_i64(-0.0, 0, 10, &v) == 0 && v == 0, "-0");
    QCHECK(qcts_num_to_i64(7, 1, 7, &v) == 0 && v == 7, "upper bound included");
    QCHECK(qcts_num_to_i64(8, 1, 7, &v) == -1 && qcts_num_to_i64(0, 1, 7, &v) == -1, "range");
    size_t s = 3;
    QCHECK(qcts_num_to_size(-1, 100, &s) == -1 && s == 3, "negative size");
    QCHECK(qcts_num_to_size(101, 100, &s) == -1 && qcts_num_to_size(100, 100, &s) == 0 && s == 100, "max");
    QCHECK(qcts_num_to_size(1e300, SIZE_MAX, &s) == -1, "1e300 as a size");
}

static void test_str_to_i64(void)
{
    int64_t v = 5;
    static const char *const bad[] = { "", "-", "+1", " 1", "1 ", "0x10", "1e3", "9223372036854775808",
                                       "-9223372036854775809", "99999999999999999999", "1.0" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        QCHECK(qcts_str_to_i64(bad[i], INT64_MIN, INT64_MAX, &v) == -1 && v == 5, "'%s' accepted", bad[i]);
    QCHECK(qcts_str_to_i64("9223372036854775807", INT64_MIN, INT64_MAX, &v) == 0 && v == INT64_MAX, "max");
    QCHECK(qcts_str_to_i64("-12", -20, 0, &v) == 0 && v == -12, "-12");
    QCHECK(qcts_str_to_i64("21", -20, 20, &v) == -1, "range");
}

static void test_rel_ok(void)
{
    char err[600];
    static const char *const bad[] = { "", "/etc/passwd", "../x.safetensors", "a/../../x", "a//b", "./a",
                                       "a/.hidden", "a/", ".." };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        QCHECK(qcts_vec_rel_ok(bad[i], err, sizeof err) == -1 && err[0], "'%s' accepted", bad[i]);
    QCHECK(qcts_vec_rel_ok("convert/e4m3_ocp.safetensors", err, sizeof err) == 0, "%s", err);
    QCHECK(qcts_vec_rel_ok("a..b/c", err, sizeof err) == 0, "'..' inside a name is fine: %s", err);
}

static char dir[256];

static void put(const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    FILE *f = fopen(p, "wb");
    QCHECK(f != NULL, "create %s", p);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_read_confined(void)
{
    snprintf(dir, sizeof dir, "%s/qcts-vecset.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!QCHECK(mkdtemp(dir) != NULL, "mkdtemp"))
        return;
    char p[512], err[1200];
    uint8_t *data = NULL;
    size_t len = 0;
    put("a.safetensors", "hello");
    QCHECK(qcts_vec_read_confined(dir, "a.safetensors", 100, 5, &data, &len, err, sizeof err) == 0 && len == 5
           && memcmp(data, "hello", 5) == 0, "plain file: %s", err);
    free(data);
    QCHECK(qcts_vec_read_confined(dir, "a.safetensors", 100, 6, &data, &len, err, sizeof err) == -1
           && strstr(err, "5 bytes, MANIFEST.json says 6") && !data, "size mismatch: %s", err);
    QCHECK(qcts_vec_read_confined(dir, "a.safetensors", 4, (size_t)-1, &data, &len, err, sizeof err) == -1
           && strstr(err, "above the limit of 4"), "bound: %s", err);
    snprintf(p, sizeof p, "%s/out.safetensors", dir);
    QCHECK(symlink("/etc/hostname", p) == 0, "symlink");
    QCHECK(qcts_vec_read_confined(dir, "out.safetensors", 100, (size_t)-1, &data, &len, err, sizeof err) == -1
           && strstr(err, "outside"), "symlink out: %s", err);
    snprintf(p, sizeof p, "%s/in.safetensors", dir);
    QCHECK(symlink("a.safetensors", p) == 0, "symlink");
    QCHECK(qcts_vec_read_confined(dir, "in.safetensors", 100, (size_t)-1, &data, &len, err, sizeof err) == 0
           && len == 5, "symlink inside: %s", err);
    free(data);
    snprintf(p, sizeof p, "%s/f.safetensors", dir);
    QCHECK(mkfifo(p, 0600) == 0, "mkfifo");
    QCHECK(qcts_vec_read_confined(dir, "f.safetensors", 100, (size_t)-1, &data, &len, err, sizeof err) == -1
           && strstr(err, "a FIFO, not a regular file"), "FIFO: %s", err);
    QCHECK(qcts_vec_read_regular("/dev/zero", 100, (size_t)-1, &data, &len, err, sizeof err) == -1
           && strstr(err, "character device"), "/dev/zero: %s", err);
    QCHECK(qcts_vec_read_confined(dir, "../x", 100, (size_t)-1, &data, &len, err, sizeof err) == -1, "..");
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    QCHECK(system(cmd) == 0, "rm");
}

/* The golden set: verified, official when named as the official folder, its
 * hash the manifest's; the same folder given as another "official" one is
 * not official. */
static void test_golden_set(void)
{
    qcts_vec_set s;
    char err[1200] = "";
    if (!QCHECK(qcts_vec_set_read(QCTS_VECTORS_GOLDEN, QCTS_VECTORS_GOLDEN, &s, err, sizeof err) == QCTS_VEC_OK,
                "%s", err))
        return;
    QCHECK(s.has_manifest && s.official && s.n > 100, "manifest %d official %d files %zu", s.has_manifest,
           s.official, s.n);
    char mpath[512], *text = NULL;
    snprintf(mpath, sizeof mpath, "%s/MANIFEST.json", QCTS_VECTORS_GOLDEN);
    FILE *f = fopen(mpath, "rb");
    if (f) {
        text = calloc(1, 1 << 22);
        if (text)
            (void)!fread(text, 1, (1 << 22) - 1, f);
        fclose(f);
    }
    char want[80] = "";
    const char *k = text ? strstr(text, "\"vector_set_sha256\": \"") : NULL;
    if (k)
        snprintf(want, sizeof want, "%.64s", k + 22);
    QCHECK(strcmp(want, s.sha256) == 0, "set hash %s, manifest %s", s.sha256, want);
    for (size_t i = 1; i < s.n; i++)
        QCHECK(strcmp(s.files[i - 1].rel, s.files[i].rel) < 0, "sorted");
    qcts_vec_set_free(&s);
    free(text);
    QCHECK(qcts_vec_set_read(QCTS_VECTORS_GOLDEN, "/nonexistent", &s, err, sizeof err) == QCTS_VEC_OK
           && !s.official && s.has_manifest, "another folder is not official");
    qcts_vec_set_free(&s);
}

QTEST_SUITE(vecset,
    QTEST(test_num_to_i64),
    QTEST(test_str_to_i64),
    QTEST(test_rel_ok),
    QTEST(test_read_confined),
    QTEST(test_golden_set))
