/* exec:COMMAND — any program as a backend (qcts/backends.h has the
 * protocol). prepare writes the inputs to a private temporary directory
 * once; each run starts
 *     /bin/sh -c 'COMMAND "$@"' qcts-exec OP DIR/in.safetensors DIR/out.safetensors
 * in its own process group, waits with a timeout (killing the whole group
 * when it expires) while keeping the last QCTS_EXEC_TAIL bytes of its
 * stdout and stderr, then reads out.* back into the caller's buffers;
 * release removes the directory.
 *
 * The ABI's per-op functions get no pointer to the backend instance, so an
 * instance lives in one of a fixed number of slots, each with its own
 * qcts_backend struct and prepare trampolines that know their slot. */
#define _GNU_SOURCE 1   /* pipe2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kernels/kernels_impl.h"
#include "qcts/case_call.h"

extern char **environ;

#define QCTS_EXEC_SLOTS 16
#define QCTS_EXEC_TAIL 2048
#define QCTS_EXEC_DEFAULT_TIMEOUT 60.0

struct qcts_exec {
    int slot;
    char *command;
    double timeout;             /* seconds */
    int simple;                 /* a simple command: the shell can exec it */
    char name[32];
    char description[256];
};

struct qcts_call {
    qcts_exec *ex;
    qcts_op op;
    qcts_any_desc d;
    char *scheme;
    qcts_buffers b;
    char *dir;                  /* the temporary directory */
    char *in_path, *out_path;
};

__attribute__((format(printf, 4, 5)))
static qcts_status say(qcts_status st, char *msg, size_t n, const char *fmt, ...)
{
    if (msg && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, n, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* ---- slots -------------------------------------------------------------------------- */

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static qcts_exec *slots[QCTS_EXEC_SLOTS];
static qcts_backend slot_be[QCTS_EXEC_SLOTS];

static qcts_status prepare(qcts_exec *ex, qcts_op op, const void *desc, const qcts_buffers *b, qcts_call **out,
                           char *msg, size_t n);

#define SLOT_FNS(i)                                                                                        \
    static qcts_status convert_##i(const qcts_convert_desc *d, const qcts_buffers *b, qcts_call **c,       \
                                   char *m, size_t n)                                                      \
    { return prepare(slots[i], QCTS_OP_CONVERT, d, b, c, m, n); }                                          \
    static qcts_status quantize_##i(const qcts_quantize_desc *d, const qcts_buffers *b, qcts_call **c,     \
                                    char *m, size_t n)                                                     \
    { return prepare(slots[i], QCTS_OP_QUANTIZE, d, b, c, m, n); }                                         \
    static qcts_status dequant_##i(const qcts_dequant_desc *d, const qcts_buffers *b, qcts_call **c,       \
                                   char *m, size_t n)                                                      \
    { return prepare(slots[i], QCTS_OP_DEQUANT, d, b, c, m, n); }                                          \
    static qcts_status gemm_##i(const qcts_gemm_desc *d, const qcts_buffers *b, qcts_call **c, char *m,    \
                                size_t n)                                                                  \
    { return prepare(slots[i], QCTS_OP_GEMM, d, b, c, m, n); }
SLOT_FNS(0) SLOT_FNS(1) SLOT_FNS(2) SLOT_FNS(3) SLOT_FNS(4) SLOT_FNS(5) SLOT_FNS(6) SLOT_FNS(7)
SLOT_FNS(8) SLOT_FNS(9) SLOT_FNS(10) SLOT_FNS(11) SLOT_FNS(12) SLOT_FNS(13) SLOT_FNS(14) SLOT_FNS(15)
#undef SLOT_FNS

static const struct {
    qcts_convert_fn convert;
    qcts_quantize_fn quantize;
    qcts_dequant_fn dequant;
    qcts_gemm_fn gemm;
} slot_fns[QCTS_EXEC_SLOTS] = {
#define S(i) { convert_##i, quantize_##i, dequant_##i, gemm_##i }
    S(0), S(1), S(2), S(3), S(4), S(5), S(6), S(7), S(8), S(9), S(10), S(11), S(12), S(13), S(14), S(15),
#undef S
};

/* ---- helpers ----------------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Removes dir and everything below it (the command may leave files). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            size_t len = strlen(dir) + strlen(e->d_name) + 2;
            char *p = malloc(len);
            if (!p)
                continue;
            snprintf(p, len, "%s/%s", dir, e->d_name);
            struct stat sb;
            if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
                remove_tree(p);
            else
                unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static char *join(const char *a, const char *b)
{
    size_t len = strlen(a) + strlen(b) + 2;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", a, b);
    return p;
}

/* The last bytes a process wrote, as a ring. */
typedef struct tail {
    char buf[QCTS_EXEC_TAIL];
    size_t len, pos;
    int dropped;
} tail;

static void tail_add(tail *t, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t->len == sizeof t->buf)
            t->dropped = 1;
        else
            t->len++;
        t->buf[t->pos] = p[i];
        t->pos = (t->pos + 1) % sizeof t->buf;
    }
}

/* The tail as text: trailing whitespace trimmed, newlines shown as " | ". */
static void tail_text(const tail *t, char *out, size_t n)
{
    size_t start = (t->pos + sizeof t->buf - t->len) % sizeof t->buf, k = 0;
    if (!n)
        return;
    if (t->dropped && n > 4) {
        memcpy(out, "... ", 4);
        k = 4;
    }
    for (size_t i = 0; i < t->len && k + 4 < n; i++) {
        char c = t->buf[(start + i) % sizeof t->buf];
        if (c == '\n') {
            memcpy(out + k, " | ", 3);
            k += 3;
        } else {
            out[k++] = (c == '\r' || c == '\t') ? ' ' : c;
        }
    }
    out[k] = '\0';
    while (k > 0 && (out[k - 1] == ' ' || out[k - 1] == '|')) /* trailing " | " of the last newline */
        out[--k] = '\0';
}

/* 1 when command is one simple command (words, quotes, no operators, no
 * leading assignment or reserved word), so `exec COMMAND "$@"` replaces the
 * wrapper shell and a signal that kills the program is seen as a signal,
 * not as the shell's exit status 128 + N. Anything else runs as is. */
static int simple_command(const char *c)
{
    int first_word = 1, in_first = 0;
    while (*c == ' ' || *c == '\t')
        c++;
    static const char *const reserved[] = { "!", "{", "if", "while", "until", "for", "case", "exec", NULL };
    for (int i = 0; reserved[i]; i++) {
        size_t n = strlen(reserved[i]);
        if (strncmp(c, reserved[i], n) == 0 && (c[n] == ' ' || c[n] == '\t' || c[n] == '\0'))
            return 0;
    }
    for (; *c; c++) {
        if (*c == '\\') {
            if (!*++c)
                return 0;
        } else if (*c == '\'') {
            c = strchr(c + 1, '\'');
            if (!c)
                return 0;
        } else if (*c == '"') {
            for (c++; *c && *c != '"'; c++)
                if (*c == '\\' && c[1])
                    c++;
            if (!*c)
                return 0;
        } else if (strchr(";&|()<>`\n", *c)) {
            return 0;
        } else if (*c == ' ' || *c == '\t') {
            if (in_first)
                first_word = 0;
            continue;
        } else if (*c == '=' && first_word) {
            return 0;                       /* VAR=value command */
        }
        in_first = 1;
    }
    return 1;
}

/* ---- running the command ----------------------------------------------------------------- */

typedef struct outcome {
    int spawned;
    int timed_out;
    int status;          /* waitpid status */
    int lost;            /* reaped by someone else: status unknown */
    tail out;
    char spawn_err[256];
} outcome;

static void drain(int fd, tail *t, double until)
{
    char buf[4096];
    for (;;) {
        double left = until - now_s();
        if (left <= 0)
            return;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r = poll(&pfd, 1, (int)(left * 1000.0) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return;
        tail_add(t, buf, (size_t)got);
    }
}

static void run_command(const qcts_exec *ex, const char *op, const char *in, const char *out, outcome *o)
{
    memset(o, 0, sizeof *o);
    int fds[2];
#ifdef __linux__
    if (pipe2(fds, O_CLOEXEC) != 0) {
#else
    if (pipe(fds) != 0 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
#endif
        snprintf(o->spawn_err, sizeof o->spawn_err, "pipe: %s", strerror(errno));
        return;
    }
    size_t sl = strlen(ex->command) + 16;
    char *script = malloc(sl);
    if (!script) {
        close(fds[0]);
        close(fds[1]);
        snprintf(o->spawn_err, sizeof o->spawn_err, "out of memory");
        return;
    }
    snprintf(script, sl, "%s%s \"$@\"", ex->simple ? "exec " : "", ex->command);
    char *argv[] = { "/bin/sh", "-c", script, "qcts-exec", (char *)op, (char *)in, (char *)out, NULL };

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawnattr_setpgroup(&at, 0);
    /* The child starts with default signal dispositions and an empty mask
     * (the harness may block or ignore signals in its threads). */
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    free(script);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        snprintf(o->spawn_err, sizeof o->spawn_err, "cannot start /bin/sh: %s", strerror(rc));
        return;
    }
    o->spawned = 1;

    double deadline = now_s() + ex->timeout;
    int pipe_open = 1;
    char buf[4096];
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        /* Has it exited? WNOWAIT keeps the zombie, so its pid (= the
         * process group id) cannot be reused before the group is killed. */
        int wr = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT);
        if (wr == 0 && si.si_pid == pid)
            break;
        if (wr != 0 && errno == ECHILD) {   /* SIGCHLD ignored: reaped already */
            o->lost = 1;
            break;
        }
        double left = deadline - now_s();
        if (left <= 0) {
            o->timed_out = 1;
            break;
        }
        int ms = left > 0.05 ? 50 : (int)(left * 1000.0) + 1;
        if (pipe_open) {
            struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
            int r = poll(&pfd, 1, ms);
            if (r > 0) {
                ssize_t got = read(fds[0], buf, sizeof buf);
                if (got > 0)
                    tail_add(&o->out, buf, (size_t)got);
                else if (got == 0)
                    pipe_open = 0;
            }
        } else {
            struct timespec ts = { 0, (long)ms * 1000000L };
            nanosleep(&ts, NULL);
        }
    }
    /* Whatever is left of the group (children of the command, or all of it
     * on a timeout) goes now. */
    kill(-pid, SIGKILL);
    while (!o->lost && waitpid(pid, &o->status, 0) < 0) {
        if (errno != EINTR) {
            o->lost = 1;
            break;
        }
    }
    if (pipe_open)
        drain(fds[0], &o->out, now_s() + 1.0);
    close(fds[0]);
}

/* ---- the ABI functions ----------------------------------------------------------------------- */

static int exec_available(char *why, size_t n)
{
    if (access("/bin/sh", X_OK) != 0) {
        say(QCTS_UNAVAILABLE, why, n, "exec: /bin/sh is not executable here");
        return 0;
    }
    if (why && n)
        why[0] = '\0';
    return 1;
}

static void release_call(qcts_call *c)
{
    if (!c)
        return;
    if (c->dir)
        remove_tree(c->dir);
    free(c->dir);
    free(c->in_path);
    free(c->out_path);
    free(c->scheme);
    free(c);
}

static qcts_status prepare(qcts_exec *ex, qcts_op op, const void *desc, const qcts_buffers *b, qcts_call **out,
                           char *msg, size_t n)
{
    char e[QCTS_CASE_ERRLEN];
    *out = NULL;
    if (!ex)
        return say(QCTS_ERROR, msg, n, "exec: this backend was closed");
    if (!desc || !b)
        return say(QCTS_ERROR, msg, n, "exec: NULL desc or buffers");
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return say(QCTS_ERROR, msg, n, "exec: out of memory");
    c->ex = ex;
    c->op = op;
    c->b = *b;
    const char *scheme = NULL;
    switch (op) {
    case QCTS_OP_CONVERT: c->d.convert = *(const qcts_convert_desc *)desc; break;
    case QCTS_OP_QUANTIZE: c->d.quantize = *(const qcts_quantize_desc *)desc; scheme = c->d.quantize.scheme; break;
    case QCTS_OP_DEQUANT: c->d.dequant = *(const qcts_dequant_desc *)desc; scheme = c->d.dequant.scheme; break;
    case QCTS_OP_GEMM: c->d.gemm = *(const qcts_gemm_desc *)desc; scheme = c->d.gemm.scheme; break;
    default: break;
    }
    if (scheme) {
        if (!(c->scheme = strdup(scheme))) {
            release_call(c);
            return say(QCTS_ERROR, msg, n, "exec: out of memory");
        }
        if (op == QCTS_OP_QUANTIZE)
            c->d.quantize.scheme = c->scheme;
        else if (op == QCTS_OP_DEQUANT)
            c->d.dequant.scheme = c->scheme;
        else
            c->d.gemm.scheme = c->scheme;
    }
    qcts_op_io io;
    if (qcts_op_io_get(op, &c->d, &io, e, sizeof e) != QCTS_OK) {
        release_call(c);
        return say(QCTS_ERROR, msg, n, "exec: %s", e);
    }
    for (int i = 0; i < io.n_out; i++)
        if (io.out[i].used && c->b.out[i] && c->b.out_bytes[i] < io.out[i].nbytes) {
            release_call(c);
            return say(QCTS_ERROR, msg, n, "exec: output %d (%s) holds %zu bytes, %zu needed", i, io.out[i].name,
                       c->b.out_bytes[i], io.out[i].nbytes);
        }
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !tmp[0])
        tmp = "/tmp";
    c->dir = join(tmp, "qcts-exec.XXXXXX");
    if (!c->dir || !mkdtemp(c->dir)) {
        int err = errno;
        free(c->dir);
        c->dir = NULL;
        release_call(c);
        return say(QCTS_ERROR, msg, n, "exec: cannot create a temporary directory in %s: %s", tmp, strerror(err));
    }
    c->in_path = join(c->dir, "in.safetensors");
    c->out_path = join(c->dir, "out.safetensors");
    if (!c->in_path || !c->out_path) {
        release_call(c);
        return say(QCTS_ERROR, msg, n, "exec: out of memory");
    }
    if (qcts_case_write(c->in_path, op, &c->d, b, NULL, QCTS_CASE_WRITE_INPUTS, e, sizeof e) != QCTS_OK) {
        release_call(c);
        return say(QCTS_ERROR, msg, n, "exec: writing the inputs: %s", e);
    }
    *out = c;
    return QCTS_OK;
}

static qcts_status exec_run(qcts_call *c, char *msg, size_t n)
{
    const qcts_exec *ex = c->ex;
    outcome o;
    char tl[QCTS_EXEC_TAIL + 600];
    unlink(c->out_path);
    run_command(ex, qcts_op_name(c->op), c->in_path, c->out_path, &o);
    if (!o.spawned)
        return say(QCTS_ERROR, msg, n, "exec '%s': %s", ex->command, o.spawn_err);
    tail_text(&o.out, tl, sizeof tl);
    const char *sep = tl[0] ? "; output: " : "; no output";
    if (o.timed_out)
        return say(QCTS_ERROR, msg, n, "exec '%s': timed out after %g s (process group killed)%s%s", ex->command,
                   ex->timeout, sep, tl);
    if (o.lost)
        return say(QCTS_ERROR, msg, n, "exec '%s': its exit status was lost (is SIGCHLD ignored?)%s%s",
                   ex->command, sep, tl);
    if (WIFSIGNALED(o.status)) {
        int sig = WTERMSIG(o.status);
        return say(QCTS_ERROR, msg, n, "exec '%s': killed by signal %d (%s)%s%s", ex->command, sig, strsignal(sig),
                   sep, tl);
    }
    int code = WIFEXITED(o.status) ? WEXITSTATUS(o.status) : -1;
    if (code == 3)
        return say(QCTS_UNSUPPORTED, msg, n, "exec '%s': unsupported (exit status 3)%s%s", ex->command, sep, tl);
    if (code > 128 && code < 128 + 65 && !ex->simple)
        return say(QCTS_ERROR, msg, n, "exec '%s': exit status %d (how a shell reports a command killed by signal "
                   "%d (%s))%s%s", ex->command, code, code - 128, strsignal(code - 128), sep, tl);
    if (code != 0)
        return say(QCTS_ERROR, msg, n, "exec '%s': exit status %d%s%s", ex->command, code, sep, tl);
    char e[QCTS_CASE_ERRLEN];
    if (qcts_case_read_outputs(c->out_path, c->op, &c->d, NULL, &c->b, e, sizeof e) != QCTS_OK)
        return say(QCTS_ERROR, msg, n, "exec '%s': exit status 0 but bad output: %s%s%s", ex->command, e, sep, tl);
    unlink(c->out_path);
    return QCTS_OK;
}

/* ---- instances ------------------------------------------------------------------------------ */

qcts_status qcts_exec_open(const char *command, qcts_exec **exo, const qcts_backend **be, char *err, size_t n)
{
    *exo = NULL;
    *be = NULL;
    double timeout = QCTS_EXEC_DEFAULT_TIMEOUT;
    const char *env = getenv("QCTS_EXEC_TIMEOUT");
    if (env && env[0]) {
        char *end;
        double t = strtod(env, &end);
        if (end == env || *end || !(t > 0.0) || t > 1e6)
            return say(QCTS_ERROR, err, n, "QCTS_EXEC_TIMEOUT must be a number of seconds > 0, got '%s'", env);
        timeout = t;
    }
    qcts_exec *ex = calloc(1, sizeof *ex);
    if (!ex || !(ex->command = strdup(command))) {
        free(ex);
        return say(QCTS_ERROR, err, n, "exec: out of memory");
    }
    ex->timeout = timeout;
    ex->simple = simple_command(command);
    snprintf(ex->name, sizeof ex->name, "exec");
    snprintf(ex->description, sizeof ex->description, "external program: %s", command);
    pthread_mutex_lock(&slot_lock);
    int s = -1;
    for (int i = 0; i < QCTS_EXEC_SLOTS && s < 0; i++)
        if (!slots[i])
            s = i;
    if (s >= 0) {
        ex->slot = s;
        slots[s] = ex;
        qcts_backend *b = &slot_be[s];
        memset(b, 0, sizeof *b);
        b->abi_version = QCTS_BACKEND_ABI_VERSION;
        b->struct_size = sizeof(qcts_backend);
        b->name = ex->name;
        b->description = ex->description;
        b->available = exec_available;
        b->convert = slot_fns[s].convert;
        b->quantize = slot_fns[s].quantize;
        b->dequant = slot_fns[s].dequant;
        b->gemm = slot_fns[s].gemm;
        b->run = exec_run;
        b->release = release_call;
        *be = b;
    }
    pthread_mutex_unlock(&slot_lock);
    if (s < 0) {
        free(ex->command);
        free(ex);
        return say(QCTS_ERROR, err, n, "exec: at most %d exec backends can be open at once", QCTS_EXEC_SLOTS);
    }
    *exo = ex;
    return QCTS_OK;
}

qcts_status qcts_exec_set_timeout(qcts_exec *ex, double seconds, char *err, size_t n)
{
    if (!ex || !(seconds > 0.0))
        return say(QCTS_ERROR, err, n, "exec: timeout must be > 0 seconds");
    ex->timeout = seconds;
    return QCTS_OK;
}

void qcts_exec_close(qcts_exec *ex)
{
    if (!ex)
        return;
    pthread_mutex_lock(&slot_lock);
    slots[ex->slot] = NULL;
    pthread_mutex_unlock(&slot_lock);
    free(ex->command);
    free(ex);
}
