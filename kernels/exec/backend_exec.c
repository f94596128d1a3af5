/* exec:COMMAND — any program as a backend (qcts/backends.h has the
 * protocol). prepare writes the inputs to a private temporary directory
 * once; each run starts
 *     /bin/sh -c 'COMMAND "$@"' qcts-exec OP DIR/in.safetensors DIR/out.safetensors
 * under a supervisor (exec_spawn.c) that kills the command and all its
 * descendants when it ends or times out, keeps the last QCTS_EXEC_TAIL bytes
 * of its stdout and stderr, then checks out.safetensors (a regular file of
 * bounded size) and reads it back into the caller's buffers, all within
 * the timeout; release removes the directory.
 *
 * exec-persistent:COMMAND starts COMMAND once and sends it a line per case
 * (kernels/README.md, "The persistent exec protocol").
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec_spawn.h"
#include "kernels/kernels_impl.h"
#include "qcts/case_call.h"
#include "qcts/opdef.h"
#include "kernels/backend_say.h"
#include "kernels/slot_fns.h"

extern char **environ;

#define QCTS_EXEC_SLOTS 16
#define QCTS_EXEC_DEFAULT_TIMEOUT 60.0
#define QCTS_EXEC_HEADER_MAX (1 << 20)

struct qcts_exec {
    int slot;
    char *command;
    double timeout;             /* seconds */
    int simple;                 /* a simple command: the shell can exec it */
    int persistent;             /* exec-persistent: one process for every call */
    pthread_mutex_t lock;       /* persistent: one case at a time */
    int running;                /* persistent: proc is started */
    int starts;                 /* persistent: how many times it was started */
    exec_proc proc;
    exec_tail err;              /* persistent: stderr during the current case */
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

/* ---- slots -------------------------------------------------------------------------- */

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static qcts_exec *slots[QCTS_EXEC_SLOTS];
static qcts_backend slot_be[QCTS_EXEC_SLOTS];

static qcts_status prepare(qcts_exec *ex, qcts_op op, const void *desc, const qcts_buffers *b, qcts_call **out,
                           char *msg, size_t n);

#define SLOT_FNS(i) QCTS_SLOT_PREPARE_FNS(i)
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
static const qcts_slot_new_ops slot_new_ops[QCTS_EXEC_SLOTS] = {
#define S(i) QCTS_SLOT_NEW_OPS(i)
    S(0), S(1), S(2), S(3), S(4), S(5), S(6), S(7), S(8), S(9), S(10), S(11), S(12), S(13), S(14), S(15),
#undef S
};

/* An exec command is offered every op: it answers "unsupported" itself. */
static int every_op(qcts_op op, void *ctx)
{
    (void)op;
    (void)ctx;
    return 1;
}

/* ---- helpers ----------------------------------------------------------------------------- */

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

/* ---- the ABI functions ----------------------------------------------------------------------- */

static int exec_available(char *why, size_t n)
{
    if (access("/bin/sh", X_OK) != 0) {
        qcts_say(QCTS_UNAVAILABLE, why, n, "exec: /bin/sh is not executable here");
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
        return qcts_say(QCTS_ERROR, msg, n, "exec: this backend was closed");
    if (!desc || !b)
        return qcts_say(QCTS_ERROR, msg, n, "exec: NULL desc or buffers");
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "exec: out of memory");
    c->ex = ex;
    c->op = op;
    c->b = *b;
    const char *scheme = NULL;
    switch (op) {
    case QCTS_OP_CONVERT: c->d.convert = *(const qcts_convert_desc *)desc; break;
    case QCTS_OP_QUANTIZE: c->d.quantize = *(const qcts_quantize_desc *)desc; scheme = c->d.quantize.scheme; break;
    case QCTS_OP_DEQUANT: c->d.dequant = *(const qcts_dequant_desc *)desc; scheme = c->d.dequant.scheme; break;
    case QCTS_OP_GEMM: c->d.gemm = *(const qcts_gemm_desc *)desc; scheme = c->d.gemm.scheme; break;
    default: {
        size_t ds = qcts_op_desc_size(op);
        if (!ds || ds > sizeof c->d.raw) {
            release_call(c);
            return qcts_say(QCTS_ERROR, msg, n, "exec: op %d is not known to this qcts", (int)op);
        }
        memcpy(c->d.raw, desc, ds); /* plain old data (qcts/opdef.h) */
        break;
    }
    }
    if (scheme) {
        if (!(c->scheme = strdup(scheme))) {
            release_call(c);
            return qcts_say(QCTS_ERROR, msg, n, "exec: out of memory");
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
        return qcts_say(QCTS_ERROR, msg, n, "exec: %s", e);
    }
    for (int i = 0; i < io.n_out; i++)
        if (io.out[i].used && c->b.out[i] && c->b.out_bytes[i] < io.out[i].nbytes) {
            release_call(c);
            return qcts_say(QCTS_ERROR, msg, n, "exec: output %d (%s) holds %zu bytes, %zu needed", i, io.out[i].name,
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
        return qcts_say(QCTS_ERROR, msg, n, "exec: cannot create a temporary directory in %s: %s", tmp, strerror(err));
    }
    c->in_path = join(c->dir, "in.safetensors");
    c->out_path = join(c->dir, "out.safetensors");
    if (!c->in_path || !c->out_path) {
        release_call(c);
        return qcts_say(QCTS_ERROR, msg, n, "exec: out of memory");
    }
    if (qcts_case_write(c->in_path, op, &c->d, b, NULL, QCTS_CASE_WRITE_INPUTS, e, sizeof e) != QCTS_OK) {
        release_call(c);
        return qcts_say(QCTS_ERROR, msg, n, "exec: writing the inputs: %s", e);
    }
    *out = c;
    return QCTS_OK;
}

/* The output file, checked before it is read: a regular file (not a FIFO,
 * device, directory or symlink: every process of the command is dead by
 * now, so nothing can swap it afterwards) no larger than the outputs plus
 * QCTS_EXEC_HEADER_MAX of header; then read within the deadline. */
static qcts_status read_outputs(const qcts_call *c, double until, char *e, size_t n)
{
    struct stat sb;
    if (lstat(c->out_path, &sb) != 0)
        return qcts_say(QCTS_ERROR, e, n, "%s: cannot open: %s", c->out_path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return qcts_say(QCTS_ERROR, e, n, "%s is not a regular file (%s); outputs must be regular files", c->out_path,
                   S_ISFIFO(sb.st_mode) ? "a FIFO" : S_ISLNK(sb.st_mode) ? "a symbolic link"
                   : S_ISDIR(sb.st_mode) ? "a directory" : S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "a device"
                   : "a special file");
    qcts_op_io io;
    char ioe[QCTS_CASE_ERRLEN];
    if (qcts_op_io_get(c->op, &c->d, &io, ioe, sizeof ioe) != QCTS_OK)
        return qcts_say(QCTS_ERROR, e, n, "%s", ioe);
    unsigned long long max = QCTS_EXEC_HEADER_MAX;
    for (int i = 0; i < io.n_out; i++)
        if (io.out[i].used)
            max += io.out[i].nbytes;
    if ((unsigned long long)sb.st_size > max)
        return qcts_say(QCTS_ERROR, e, n, "%s is %llu bytes, more than the %llu expected (the outputs and %d bytes of "
                   "header); not read", c->out_path, (unsigned long long)sb.st_size, max, QCTS_EXEC_HEADER_MAX);
    if (qcts_case_read_outputs(c->out_path, c->op, &c->d, NULL, &c->b, e, n) != QCTS_OK)
        return QCTS_ERROR;
    if (exec_now_s() > until)
        return qcts_say(QCTS_ERROR, e, n, "reading the outputs went past the timeout");
    return QCTS_OK;
}

/* The message for a command that ended other than with exit status 0. */
static qcts_status ended(const qcts_exec *ex, const exec_outcome *o, const char *tl, char *msg, size_t n)
{
    const char *sep = tl[0] ? "; output: " : "; no output";
    if (o->lost)
        return qcts_say(QCTS_ERROR, msg, n, "%s '%s': its supervisor failed; the exit status is lost%s%s", ex->name,
                   ex->command, sep, tl);
    if (WIFSIGNALED(o->status)) {
        int sig = WTERMSIG(o->status);
        return qcts_say(QCTS_ERROR, msg, n, "%s '%s': killed by signal %d (%s)%s%s", ex->name, ex->command, sig,
                   strsignal(sig), sep, tl);
    }
    int code = WIFEXITED(o->status) ? WEXITSTATUS(o->status) : -1;
    if (code == 3 && !ex->persistent)
        return qcts_say(QCTS_UNSUPPORTED, msg, n, "exec '%s': unsupported (exit status 3)%s%s", ex->command, sep, tl);
    if (code > 128 && code < 128 + 65 && !ex->simple)
        return qcts_say(QCTS_ERROR, msg, n, "%s '%s': exit status %d (how a shell reports a command killed by signal "
                   "%d (%s))%s%s", ex->name, ex->command, code, code - 128, strsignal(code - 128), sep, tl);
    return qcts_say(QCTS_ERROR, msg, n, "%s '%s': exit status %d%s%s", ex->name, ex->command, code, sep, tl);
}

/* The argv of the shell that runs the command; script is freed by the caller. */
static char **shell_argv(const qcts_exec *ex, const char *op, const char *in, const char *out, char **script)
{
    static char sh[] = "/bin/sh", dash_c[] = "-c", name[] = "qcts-exec";
    size_t sl = strlen(ex->command) + 16;
    char **argv = calloc(8, sizeof *argv);
    *script = malloc(sl);
    if (!argv || !*script) {
        free(argv);
        free(*script);
        return NULL;
    }
    snprintf(*script, sl, "%s%s%s", ex->simple ? "exec " : "", ex->command, op ? " \"$@\"" : "");
    argv[0] = sh;
    argv[1] = dash_c;
    argv[2] = *script;
    argv[3] = name;
    argv[4] = (char *)op;
    argv[5] = (char *)in;
    argv[6] = (char *)out;
    return argv;
}

static qcts_status exec_run_once(qcts_call *c, char *msg, size_t n)
{
    const qcts_exec *ex = c->ex;
    exec_outcome o;
    char tl[QCTS_EXEC_TAIL + 600], *script;
    double until = exec_now_s() + ex->timeout;
    unlink(c->out_path);
    char **argv = shell_argv(ex, qcts_op_name(c->op), c->in_path, c->out_path, &script);
    if (!argv)
        return qcts_say(QCTS_ERROR, msg, n, "exec '%s': out of memory", ex->command);
    exec_supervised(argv, ex->timeout, &o);
    free(argv);
    free(script);
    if (!o.spawned)
        return qcts_say(QCTS_ERROR, msg, n, "exec '%s': %s", ex->command, o.spawn_err);
    exec_tail_text(&o.out, tl, sizeof tl);
    const char *sep = tl[0] ? "; output: " : "; no output";
    if (o.timed_out)
        return qcts_say(QCTS_ERROR, msg, n, "exec '%s': timed out after %g s (the command and its descendants were "
                   "killed)%s%s", ex->command, ex->timeout, sep, tl);
    if (o.lost || !WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0)
        return ended(ex, &o, tl, msg, n);
    char e[QCTS_CASE_ERRLEN + 256];
    if (read_outputs(c, until, e, sizeof e) != QCTS_OK)
        return qcts_say(QCTS_ERROR, msg, n, "exec '%s': exit status 0 but bad output: %s%s%s", ex->command, e, sep, tl);
    unlink(c->out_path);
    return QCTS_OK;
}

/* ---- persistent mode: one process, one line per case (README "exec") ----------------------
 * stderr is collected while qcts waits for the reply and drained once the
 * reply line is in, so what the process wrote to stderr before its reply
 * belongs to that case (the protocol asks for it in that order). */

/* Ends the persistent process (EOF on its stdin, then up to `grace` s to
 * exit, then it and its descendants are killed); o gets how it ended. */
static void persistent_stop(qcts_exec *ex, double grace, exec_outcome *o)
{
    memset(o, 0, sizeof *o);
    o->out = ex->err;                   /* what it wrote to stderr so far, then the rest */
    if (!ex->running)
        return;
    if (ex->proc.to_fd >= 0) {
        close(ex->proc.to_fd);
        ex->proc.to_fd = -1;
    }
    exec_proc_finish(&ex->proc, exec_now_s() + grace, o);
    ex->running = 0;
}

/* Writes all of line before until; 0 on failure. */
static int write_line(int fd, const char *line, double until)
{
    size_t len = strlen(line), done = 0;
    while (done < len) {
        double left = until - exec_now_s();
        if (left <= 0)
            return 0;
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        int pr = poll(&pfd, 1, (int)(left * 1000.0) + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0 || (pfd.revents & (POLLERR | POLLHUP)))
            return 0;
        ssize_t w = send(fd, line + done, len - done, MSG_NOSIGNAL);   /* a socket: no SIGPIPE */
        if (w < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (w <= 0)
            return 0;
        done += (size_t)w;
    }
    return 1;
}

/* Reads one reply line (without the newline) before until, collecting
 * stderr meanwhile. 1 ok, 0 timeout, -1 EOF, -2 too long. */
static int read_reply(qcts_exec *ex, char *line, size_t cap, double until)
{
    size_t len = 0;
    for (;;) {
        double left = until - exec_now_s();
        if (left <= 0)
            return 0;
        struct pollfd pfd[2] = { { .fd = ex->proc.from_fd, .events = POLLIN },
                                 { .fd = ex->proc.out_fd, .events = POLLIN } };
        int pr = poll(pfd, ex->proc.out_fd >= 0 ? 2 : 1, (int)(left * 1000.0) + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return pr == 0 ? 0 : -1;
        if (ex->proc.out_fd >= 0 && pfd[1].revents)
            exec_proc_drain(&ex->proc, &ex->err);
        if (!pfd[0].revents)
            continue;
        /* byte by byte: nothing after the newline may be consumed */
        char ch;
        ssize_t r = read(ex->proc.from_fd, &ch, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if (ch == '\n') {
            line[len] = '\0';
            return 1;
        }
        if (len + 1 >= cap)
            return -2;
        line[len++] = ch;
    }
}

static qcts_status exec_run_persistent(qcts_call *c, char *msg, size_t n)
{
    qcts_exec *ex = c->ex;
    const char *op = qcts_op_name(c->op);
    if (strpbrk(c->in_path, "\t\n") || strpbrk(c->out_path, "\t\n"))
        return qcts_say(QCTS_ERROR, msg, n, "exec-persistent '%s': the temporary directory %s has a tab or newline in "
                   "its name, which the line protocol cannot carry", ex->command, c->dir);
    char tl[QCTS_EXEC_TAIL + 600], line[4096], e[QCTS_CASE_ERRLEN + 256];
    exec_outcome o;
    qcts_status st = QCTS_ERROR;
    pthread_mutex_lock(&ex->lock);
    double until = exec_now_s() + ex->timeout;
    memset(&ex->err, 0, sizeof ex->err);
    unlink(c->out_path);
    if (!ex->running) {
        char *script, **argv = shell_argv(ex, NULL, NULL, NULL, &script);
        int rc = argv ? exec_proc_start(argv, 1, &ex->proc, e, sizeof e) : -1;
        free(argv);
        if (argv)
            free(script);
        if (rc != 0) {
            st = qcts_say(QCTS_ERROR, msg, n, "exec-persistent '%s': %s", ex->command, argv ? e : "out of memory");
            goto out;
        }
        ex->running = 1;
        ex->starts++;
    }
    snprintf(line, sizeof line, "%s\t%s\t%s\n", op, c->in_path, c->out_path);
    int got = write_line(ex->proc.to_fd, line, until) ? read_reply(ex, line, sizeof line, until) : -1;
    exec_proc_drain(&ex->proc, &ex->err);
    if (got != 1) {
        persistent_stop(ex, got == 0 ? 0.0 : 1.0, &o);
        exec_tail_text(&o.out, tl, sizeof tl);
        const char *sep = tl[0] ? "; stderr: " : "; no stderr";
        if (got == 0)
            st = qcts_say(QCTS_ERROR, msg, n, "exec-persistent '%s': timed out after %g s (the process and its "
                     "descendants were killed; the next case starts a new one)%s%s", ex->command, ex->timeout, sep, tl);
        else if (got == -2)
            st = qcts_say(QCTS_ERROR, msg, n, "exec-persistent '%s': protocol: a reply line longer than %zu bytes (the "
                     "process was killed)%s%s", ex->command, sizeof line - 1, sep, tl);
        else if (o.lost || o.timed_out)
            st = qcts_say(QCTS_ERROR, msg, n, "exec-persistent '%s': it stopped answering and did not exit (killed)%s%s",
                     ex->command, sep, tl);
        else {
            char m[QCTS_EXEC_TAIL + 900];
            ended(ex, &o, tl, m, sizeof m);
            st = qcts_say(QCTS_ERROR, msg, n, "%s, before it replied (the next case starts a new one)", m);
        }
        goto out;
    }
    exec_tail_text(&ex->err, tl, sizeof tl);
    const char *sep = tl[0] ? "; stderr: " : "";
    const char *rest = strchr(line, ' ');
    rest = rest ? rest + 1 : "";
    if (strcmp(line, "done") == 0) {
        if (read_outputs(c, until, e, sizeof e) != QCTS_OK)
            st = qcts_say(QCTS_ERROR, msg, n, "exec-persistent '%s': done but bad output: %s%s%s", ex->command, e, sep, tl);
        else
            st = QCTS_OK;
    } else if (strncmp(line, "unsupported", 11) == 0 && (line[11] == ' ' || !line[11])) {
        st = qcts_say(QCTS_UNSUPPORTED, msg, n, "exec-persistent '%s': unsupported: %s%s%s", ex->command,
                 rest[0] ? rest : "(no reason given)", sep, tl);
    } else if (strncmp(line, "error", 5) == 0 && (line[5] == ' ' || !line[5])) {
        st = qcts_say(QCTS_ERROR, msg, n, "exec-persistent '%s': error: %s%s%s", ex->command,
                 rest[0] ? rest : "(no message)", sep, tl);
    } else {
        persistent_stop(ex, 0.0, &o);
        st = qcts_say(QCTS_ERROR, msg, n, "exec-persistent '%s': protocol: expected 'done', 'unsupported ...' or "
                 "'error ...', got '%.200s' (the process was killed)%s%s", ex->command, line, sep, tl);
    }
out:
    unlink(c->out_path);
    pthread_mutex_unlock(&ex->lock);
    return st;
}

static qcts_status exec_run(qcts_call *c, char *msg, size_t n)
{
    return c->ex->persistent ? exec_run_persistent(c, msg, n) : exec_run_once(c, msg, n);
}

/* ---- instances ------------------------------------------------------------------------------ */

static qcts_status exec_open(const char *command, int persistent, qcts_exec **exo, const qcts_backend **be,
                             char *err, size_t n)
{
    *exo = NULL;
    *be = NULL;
    double timeout = QCTS_EXEC_DEFAULT_TIMEOUT;
    const char *env = getenv("QCTS_EXEC_TIMEOUT");
    if (env && env[0]) {
        char *end;
        double t = strtod(env, &end);
        if (end == env || *end || !(t > 0.0) || t > 1e6)
            return qcts_say(QCTS_ERROR, err, n, "QCTS_EXEC_TIMEOUT must be a number of seconds > 0, got '%s'", env);
        timeout = t;
    }
    qcts_exec *ex = calloc(1, sizeof *ex);
    if (!ex || !(ex->command = strdup(command))) {
        free(ex);
        return qcts_say(QCTS_ERROR, err, n, "exec: out of memory");
    }
    ex->timeout = timeout;
    ex->simple = simple_command(command);
    ex->persistent = persistent;
    pthread_mutex_init(&ex->lock, NULL);
    ex->proc.pid = -1;
    snprintf(ex->name, sizeof ex->name, persistent ? "exec-persistent" : "exec");
    snprintf(ex->description, sizeof ex->description, "external program%s: %s",
             persistent ? " (one process, a line per case)" : "", command);
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
        qcts_slot_set_new_ops(b, &slot_new_ops[s], every_op, NULL);
        b->run = exec_run;
        b->release = release_call;
        *be = b;
    }
    pthread_mutex_unlock(&slot_lock);
    if (s < 0) {
        pthread_mutex_destroy(&ex->lock);
        free(ex->command);
        free(ex);
        return qcts_say(QCTS_ERROR, err, n, "exec: at most %d exec backends can be open at once", QCTS_EXEC_SLOTS);
    }
    *exo = ex;
    return QCTS_OK;
}

qcts_status qcts_exec_open(const char *command, qcts_exec **exo, const qcts_backend **be, char *err, size_t n)
{
    return exec_open(command, 0, exo, be, err, n);
}

qcts_status qcts_exec_open_persistent(const char *command, qcts_exec **exo, const qcts_backend **be, char *err,
                                      size_t n)
{
    return exec_open(command, 1, exo, be, err, n);
}

qcts_status qcts_exec_set_timeout(qcts_exec *ex, double seconds, char *err, size_t n)
{
    if (!ex || !(seconds > 0.0))
        return qcts_say(QCTS_ERROR, err, n, "exec: timeout must be > 0 seconds");
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
    exec_outcome o;
    persistent_stop(ex, 1.0, &o);
    pthread_mutex_destroy(&ex->lock);
    free(ex->command);
    free(ex);
}
