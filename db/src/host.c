/* What a run records about where and from what it ran: host fingerprint,
 * uuid, time, git state. */
#include "qcts/db.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#ifdef __APPLE__
#include <sys/sysctl.h>
#endif

/* Copies src into dst[0..n) with truncation (snprintf "%s" without the
 * truncation warnings). */
static void copy(char *dst, size_t n, const char *src)
{
    size_t l = strlen(src);
    if (l >= n)
        l = n - 1;
    memcpy(dst, src, l);
    dst[l] = '\0';
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    memmove(s, s + i, n - i + 1);
}

/* The first line of `cmd` (stderr discarded) into out; 0 when it ran and
 * exited 0. */
static int first_line(const char *cmd, char *out, size_t outlen)
{
    out[0] = '\0';
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[512];
    int got = fgets(line, sizeof line, p) != NULL;
    if (got)
        copy(out, outlen, line);
    while (fgets(line, sizeof line, p))   /* drain, so the child can exit */
        ;
    int st = pclose(p);
    trim(out);
    return st == 0 ? 0 : -1;
}

/* An executable named prog on PATH (so popen of a missing tool prints no
 * "not found" and costs no shell error). */
static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char buf[4096];
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        if (len && len < sizeof buf - strlen(prog) - 2) {
            snprintf(buf, sizeof buf, "%.*s/%s", (int)len, path, prog);
            if (access(buf, X_OK) == 0)
                return 1;
        }
        if (!colon)
            break;
        path = colon + 1;
    }
    return 0;
}

/* ISA extensions that decide which kernels can run, in this order. */
static const char *const interesting[] = {
    /* x86 (/proc/cpuinfo "flags") */
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl",
    "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8",
    /* arm64 ("Features") */
    "asimd", "fphp", "asimdhp", "asimddp", "sve", "sve2", "bf16", "i8mm", "sme",
};

static void keep_interesting(const char *list, char *out, size_t outlen)
{
    size_t len = strlen(out);
    for (size_t k = 0; k < sizeof interesting / sizeof interesting[0]; k++) {
        size_t kl = strlen(interesting[k]);
        for (const char *p = list; (p = strstr(p, interesting[k])) != NULL; p += kl) {
            int starts = p == list || p[-1] == ' ' || p[-1] == '\t';
            int ends = p[kl] == '\0' || p[kl] == ' ' || p[kl] == '\n' || p[kl] == '\t';
            if (starts && ends) {
                if (len + kl + 2 < outlen)
                    len += (size_t)snprintf(out + len, outlen - len, "%s%s", len ? " " : "", interesting[k]);
                break;
            }
        }
    }
}

static void probe_cpu(qcts_host_info *h)
{
#ifdef __APPLE__
    size_t n = sizeof h->cpu_model;
    if (sysctlbyname("machdep.cpu.brand_string", h->cpu_model, &n, NULL, 0) != 0)
        h->cpu_model[0] = '\0';
    char feats[2048] = "";
    n = sizeof feats;
    if (sysctlbyname("machdep.cpu.features", feats, &n, NULL, 0) == 0) {
        for (char *p = feats; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        keep_interesting(feats, h->isa_flags, sizeof h->isa_flags);
    }
#else
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[8192];
    char part[64] = "", impl[64] = "";
    int have_flags = 0;
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *key = line, *val = colon + 1;
        trim(key);
        trim(val);
        if (!h->cpu_model[0] && (strcmp(key, "model name") == 0 || strcmp(key, "Hardware") == 0
                                 || strcmp(key, "cpu model") == 0))
            snprintf(h->cpu_model, sizeof h->cpu_model, "%s", val);
        else if (!impl[0] && strcmp(key, "CPU implementer") == 0)
            snprintf(impl, sizeof impl, "%s", val);
        else if (!part[0] && strcmp(key, "CPU part") == 0)
            snprintf(part, sizeof part, "%s", val);
        else if (!have_flags && (strcmp(key, "flags") == 0 || strcmp(key, "Features") == 0)) {
            keep_interesting(val, h->isa_flags, sizeof h->isa_flags);
            have_flags = 1;
        }
    }
    fclose(f);
    if (!h->cpu_model[0] && impl[0])
        snprintf(h->cpu_model, sizeof h->cpu_model, "CPU implementer %s part %s", impl, part);
#endif
}

void qcts_host_probe(qcts_host_info *h)
{
    memset(h, 0, sizeof *h);
    probe_cpu(h);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    h->cores = ncpu > 0 ? (int)ncpu : 0;
#ifdef __APPLE__
    int64_t mem = 0;
    size_t n = sizeof mem;
    if (sysctlbyname("hw.memsize", &mem, &n, NULL, 0) == 0)
        h->memory_bytes = mem;
#else
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    if (pages > 0 && psize > 0)
        h->memory_bytes = (int64_t)pages * psize;
#endif
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(h->os, sizeof h->os, "%s %s %s", u.sysname, u.release, u.machine);
#if defined(__clang__)
    snprintf(h->compiler, sizeof h->compiler, "clang %s", __VERSION__);
#elif defined(__GNUC__)
    snprintf(h->compiler, sizeof h->compiler, "gcc %s", __VERSION__);
#else
    snprintf(h->compiler, sizeof h->compiler, "unknown C compiler");
#endif
    if (on_path("nvidia-smi")) {
        char line[256];
        if (first_line("nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null",
                       line, sizeof line) == 0 && line[0])
            snprintf(h->gpu, sizeof h->gpu, "%s", line);
    }
}

static uint64_t fnv1a(uint64_t hash, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hash ^= (unsigned char)s[i];
        hash *= 0x100000001b3ull;
    }
    return hash;
}

void qcts_host_fingerprint(const qcts_host_info *h, char out[33])
{
    char text[2048];
    int n = snprintf(text, sizeof text, "%s\x1f%s\x1f%d\x1f%lld\x1f%s\x1f%s\x1f%s", h->cpu_model,
                     h->isa_flags, h->cores, (long long)h->memory_bytes, h->os, h->compiler, h->gpu);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    uint64_t a = fnv1a(0xcbf29ce484222325ull, text, len);
    uint64_t b = fnv1a(0x84222325cbf29ce4ull, text, len);
    b = fnv1a(b, "qcts", 4);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

void qcts_uuid_v4(char out[37])
{
    unsigned char r[16];
    int ok = 0;
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd >= 0) {
        ok = read(fd, r, sizeof r) == (ssize_t)sizeof r;
        close(fd);
    }
    if (!ok) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        char seed[64];
        int n = snprintf(seed, sizeof seed, "%ld.%ld.%ld", (long)tv.tv_sec, (long)tv.tv_usec, (long)getpid());
        uint64_t a = fnv1a(0xcbf29ce484222325ull, seed, (size_t)n), b = fnv1a(a, seed, (size_t)n);
        memcpy(r, &a, 8);
        memcpy(r + 8, &b, 8);
    }
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);   /* version 4 */
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);   /* variant 10 */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
             r[14], r[15]);
}

void qcts_utc_now(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 24, "%Y-%m-%dT%H:%M:%S", &tm);
    int ms = (int)(ts.tv_nsec / 1000000);
    out[n] = '.';
    out[n + 1] = (char)('0' + ms / 100 % 10);
    out[n + 2] = (char)('0' + ms / 10 % 10);
    out[n + 3] = (char)('0' + ms % 10);
    out[n + 4] = 'Z';
    out[n + 5] = '\0';
}

void qcts_git_state(char commit[41], int *dirty)
{
    commit[0] = '\0';
    *dirty = -1;
    if (!on_path("git"))
        return;
    char line[128];
    if (first_line("git rev-parse HEAD 2>/dev/null", line, sizeof line) != 0 || strlen(line) != 40)
        return;
    snprintf(commit, 41, "%s", line);
    /* Untracked files are left out: the database itself (db/qcts.db) and
     * build outputs would otherwise make every run dirty. */
    if (first_line("git status --porcelain --untracked-files=no 2>/dev/null", line, sizeof line) == 0)
        *dirty = line[0] != '\0';
}

void qcts_run_info_init(qcts_run_info *r, const char *kind, const char *command_line)
{
    memset(r, 0, sizeof *r);
    qcts_uuid_v4(r->uuid);
    r->kind = kind;
    qcts_utc_now(r->started_at);
    qcts_git_state(r->git_commit, &r->git_dirty);
    r->command_line = command_line;
    qcts_host_probe(&r->host);
}
