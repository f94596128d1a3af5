/* The supervisor of exec commands (exec_spawn.h has the design). Code that
 * runs in a forked child calls only async-signal-safe functions (fork of a
 * multithreaded process) and no system call with an absolute path before
 * execve (qemu-user, issue 22): /proc is opened by the parent and read with
 * openat on relative names. */
#define _GNU_SOURCE 1   /* pipe2, O_DIRECTORY */
#include "exec_spawn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

extern char **environ;

double exec_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- output tail ------------------------------------------------------------------------- */

void exec_tail_add(exec_tail *t, const char *p, size_t n)
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

void exec_tail_text(const exec_tail *t, char *out, size_t n)
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

/* ---- the supervisor (runs in a forked child: async-signal-safe only) ---------------------- */

/* What the supervisor writes to the result pipe when it is done. */
typedef struct sup_result {
    int command_pid;
    int status;           /* waitpid status of the command */
    int killed;           /* descendants killed after it ended */
    int tracked;          /* 1: subreaper + /proc children worked */
} sup_result;

static char *put_uint(char *p, unsigned v)
{
    char d[12];
    int k = 0;
    do
        d[k++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (k)
        *p++ = d[--k];
    return p;
}

/* Kills every child of this process listed in /proc/<self>/task/<tid>/children
 * (each task's list). Returns how many were signalled, or -1 when the lists
 * cannot be read. */
static int kill_listed_children(int procfd, pid_t self)
{
    char name[64], *p = put_uint(name, (unsigned)self);
    memcpy(p, "/task", 6);
    int taskfd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (taskfd < 0)
        return -1;
    int n = 0, ok = 0;
    char dents[2048];
    for (;;) {
        long got = syscall(SYS_getdents64, taskfd, dents, sizeof dents);
        if (got <= 0)
            break;
        for (long off = 0; off < got;) {
            /* struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, name */
            unsigned short reclen;
            memcpy(&reclen, dents + off + 16, sizeof reclen);
            const char *tid = dents + off + 19;
            off += reclen;
            if (tid[0] < '0' || tid[0] > '9')
                continue;
            char cname[64];
            size_t tl = strlen(tid);
            if (tl > 20)
                continue;
            memcpy(cname, tid, tl);
            memcpy(cname + tl, "/children", 10);
            int fd = openat(taskfd, cname, O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                continue;
            ok = 1;
            char buf[4096];
            ssize_t r = read(fd, buf, sizeof buf - 1);
            close(fd);
            if (r <= 0)
                continue;
            buf[r] = '\0';
            for (char *q = buf; *q;) {
                while (*q == ' ' || *q == '\n')
                    q++;
                long pid = 0;
                while (*q >= '0' && *q <= '9')
                    pid = pid * 10 + (*q++ - '0');
                if (pid > 1) {
                    kill((pid_t)-pid, SIGKILL);   /* its group, if it leads one (setsid) */
                    kill((pid_t)pid, SIGKILL);
                    n++;
                }
                if (*q && *q != ' ' && *q != '\n')
                    break;
            }
        }
    }
    close(taskfd);
    return ok ? n : -1;
}

static void nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        c += w;
        n -= (size_t)w;
    }
}

typedef struct sup_fds {
    int in, out, err;     /* the command's 0, 1, 2 */
    int ctl;              /* read end: POLLHUP when qcts closes it (or dies) */
    int res;              /* write end: sup_result */
    int procfd;           /* /proc, or -1 */
} sup_fds;

static void reset_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        sigaction(s, &sa, NULL);        /* EINVAL for SIGKILL/SIGSTOP and unknown numbers */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* Closes every descriptor from 3 up except keep[]: the supervisor must not
 * hold pipe ends of other calls (forked from another thread meanwhile),
 * or their readers would not see the end of file they wait for. */
static void close_others(int *keep, int n)
{
    qsort(keep, (size_t)n, sizeof *keep, cmp_int);   /* qsort: no locks, no allocation */
    unsigned lo = 3;
    for (int i = 0; i <= n; i++) {
        unsigned hi = i < n ? (unsigned)keep[i] : ~0u;
        if (i < n && keep[i] < 3)
            continue;
        if (hi > lo) {
            if (syscall(SYS_close_range, lo, hi - 1, 0) != 0) {
                unsigned top = hi - 1 < 65535u ? hi - 1 : 65535u;
                for (unsigned fd = lo; fd <= top; fd++)
                    close((int)fd);
            }
        }
        if (i < n)
            lo = (unsigned)keep[i] + 1;
    }
}

static _Noreturn void supervise(char *const argv[], const sup_fds *f)
{
    int keep[] = { f->in, f->out, f->err, f->ctl, f->res, f->procfd };
    int nk = 0;
    for (int i = 0; i < 6; i++)
        if (keep[i] >= 0)
            keep[nk++] = keep[i];
    close_others(keep, nk);
    reset_signals();
    setpgid(0, 0);
    int reaper = 0;
#ifdef __linux__
    reaper = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
#endif
    pid_t c = fork();
    if (c == 0) {
        setpgid(0, 0);
        if (dup2(f->in, 0) < 0 || dup2(f->out, 1) < 0 || dup2(f->err, 2) < 0)
            _exit(126);
        execve(argv[0], argv, environ);
        static const char m[] = "qcts exec: cannot execute /bin/sh\n";
        write_all(2, m, sizeof m - 1);
        _exit(127);
    }
    /* Only the command keeps its ends of the pipes. */
    if (f->in != f->err && f->in != f->out)
        close(f->in);
    if (f->out != f->err)
        close(f->out);
    close(f->err);
    sup_result r = { (int)c, 0, 0, 0 };
    if (c < 0) {
        r.status = -1;
        write_all(f->res, &r, sizeof r);
        _exit(1);
    }
    setpgid(c, c);  /* both sides, so the group exists before qcts may signal it */
    write_all(f->res, &c, sizeof c);
    /* Wait for the command, or for qcts to close ctl (timeout, end, death). */
    long ms = 1;
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)c, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == c)
            break;
        struct pollfd pfd = { .fd = f->ctl, .events = POLLIN };
        if (poll(&pfd, 1, (int)ms) > 0)
            break;                              /* qcts is done with it */
        if (ms < 10)
            ms *= 2;
    }
    /* The command's group first (its zombie keeps the group id from being
     * reused), then the command, then whatever was reparented to us. */
    kill(-c, SIGKILL);
    kill(c, SIGKILL);
    while (waitpid(c, &r.status, 0) < 0 && errno == EINTR)
        ;
    r.tracked = reaper && f->procfd >= 0;
    for (int round = 0; round < 100000; round++) {
        int k = r.tracked ? kill_listed_children(f->procfd, getpid()) : 0;
        if (k < 0) {
            r.tracked = 0;
            k = 0;
        }
        r.killed += k;
        int st;
        pid_t w = waitpid(-1, &st, k > 0 ? 0 : WNOHANG);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break;                              /* ECHILD: nothing left */
        if (w == 0) {
            if (!r.tracked)
                break;                          /* cannot see them: leave */
            nap_ms(1);
        }
    }
    write_all(f->res, &r, sizeof r);
    _exit(0);
}

/* ---- the parent side ----------------------------------------------------------------------- */

const char *exec_supervisor_note(void)
{
#ifdef __linux__
    /* Tried in a child (the flag must not stick to this process). qemu-user
     * (7.2) answers EINVAL to it. */
    static int known = -1;
    if (known < 0) {
        pid_t c = fork();
        if (c == 0)
            _exit(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : 1);
        int st = 0;
        known = c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    return known ? "" : "descendants that leave the command's process group (setsid) are not tracked here: "
                        "prctl(PR_SET_CHILD_SUBREAPER) is refused (qemu-user does that)";
#else
    return "descendants that leave the command's process group (setsid) are not tracked on this system: "
           "no child subreaper";
#endif
}

static int read_full(int fd, void *p, size_t n, double until)
{
    char *c = p;
    size_t got = 0;
    while (got < n) {
        double left = until - exec_now_s();
        if (left <= 0)
            return 0;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int pr = poll(&pfd, 1, (int)(left * 1000.0) + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return 0;
        ssize_t r = read(fd, c + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0;
        got += (size_t)r;
    }
    return 1;
}

int exec_proc_start(char *const argv[], int persistent, exec_proc *p, char *err, size_t n)
{
    int out[2] = { -1, -1 }, ctl[2] = { -1, -1 }, res[2] = { -1, -1 }, to[2] = { -1, -1 }, from[2] = { -1, -1 };
    int null_fd = -1;
    memset(p, 0, sizeof *p);
    p->pid = -1;
    p->command_pid = -1;
    int ok = pipe2(out, O_CLOEXEC) == 0 && pipe2(ctl, O_CLOEXEC) == 0 && pipe2(res, O_CLOEXEC) == 0;
    /* stdin of a persistent command is a socket: qcts writes with
     * MSG_NOSIGNAL, so a command that died gives EPIPE, not SIGPIPE */
    if (ok && persistent)
        ok = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, to) == 0 && pipe2(from, O_CLOEXEC) == 0;
    if (ok && !persistent)
        ok = (null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;
    int procfd = -1;
#ifdef __linux__
    procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
#endif
    sup_fds f = { persistent ? to[0] : null_fd, persistent ? from[1] : out[1], out[1], ctl[0], res[1], procfd };
    pid_t pid = ok ? fork() : -1;
    int e = errno;
    if (pid == 0)
        supervise(argv, &f);
    int keep[] = { out[0], ctl[1], res[0], to[1], from[0] };
    int drop[] = { out[1], ctl[0], res[1], to[0], from[1], null_fd, procfd };
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        if (drop[i] >= 0)
            close(drop[i]);
    if (pid < 0) {
        for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
            if (keep[i] >= 0)
                close(keep[i]);
        snprintf(err, n, "cannot start the supervisor: %s", strerror(e));
        return -1;
    }
    p->pid = pid;
    p->out_fd = out[0];
    p->ctl_fd = ctl[1];
    p->res_fd = res[0];
    p->to_fd = to[1];
    p->from_fd = from[0];
    int c = -1;
    if (read_full(p->res_fd, &c, sizeof c, exec_now_s() + 30.0))
        p->command_pid = c;
    return 0;
}

void exec_proc_drain(exec_proc *p, exec_tail *t)
{
    char buf[4096];
    for (;;) {
        struct pollfd pfd = { .fd = p->out_fd, .events = POLLIN };
        if (p->out_fd < 0 || poll(&pfd, 1, 0) <= 0)
            return;
        ssize_t r = read(p->out_fd, buf, sizeof buf);
        if (r <= 0) {
            if (r == 0) {
                close(p->out_fd);
                p->out_fd = -1;
            }
            return;
        }
        exec_tail_add(t, buf, (size_t)r);
    }
}

/* Waits for the supervisor's result until `until` (collecting output), then
 * tells it to kill everything and waits up to 5 s more. */
void exec_proc_finish(exec_proc *p, double until, exec_outcome *o)
{
    sup_result r;
    int got = 0, asked = 0;
    size_t have = 0;
    char *rp = (char *)&r;
    for (;;) {
        double now = exec_now_s();
        if (!asked && now >= until) {
            o->timed_out = 1;
            close(p->ctl_fd);
            p->ctl_fd = -1;
            asked = 1;
            until = now + 5.0;
        } else if (asked && now >= until) {
            break;
        }
        struct pollfd pfd[2] = { { .fd = p->res_fd, .events = POLLIN }, { .fd = p->out_fd, .events = POLLIN } };
        int pr = poll(pfd, p->out_fd >= 0 ? 2 : 1, (int)((until - now) * 1000.0) + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr > 0 && pfd[1].revents && p->out_fd >= 0) {
            char buf[4096];
            ssize_t k = read(p->out_fd, buf, sizeof buf);
            if (k > 0) {
                exec_tail_add(&o->out, buf, (size_t)k);
            } else if (k == 0) {
                close(p->out_fd);
                p->out_fd = -1;
            }
        }
        if (pr > 0 && pfd[0].revents) {
            ssize_t k = read(p->res_fd, rp + have, sizeof r - have);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break;                          /* the supervisor died */
            have += (size_t)k;
            if (have == sizeof r) {
                got = 1;
                break;
            }
        }
    }
    if (!got) {
        /* The supervisor is stuck or gone: kill what we know of. */
        if (p->command_pid > 0)
            kill(-p->command_pid, SIGKILL);
        kill(p->pid, SIGKILL);
        o->lost = 1;
    } else {
        o->status = r.status;
        o->killed = r.killed;
        o->tracked = r.tracked;
    }
    while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    /* Every writer of the output pipe is gone now: read what is left. */
    double end = exec_now_s() + 1.0;
    while (p->out_fd >= 0 && exec_now_s() < end) {
        struct pollfd pfd = { .fd = p->out_fd, .events = POLLIN };
        if (poll(&pfd, 1, 100) <= 0)
            break;
        char buf[4096];
        ssize_t k = read(p->out_fd, buf, sizeof buf);
        if (k <= 0)
            break;
        exec_tail_add(&o->out, buf, (size_t)k);
    }
    int fds[] = { p->out_fd, p->ctl_fd, p->res_fd, p->to_fd, p->from_fd };
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    p->out_fd = p->ctl_fd = p->res_fd = p->to_fd = p->from_fd = -1;
    p->pid = -1;
}

void exec_supervised(char *const argv[], double timeout, exec_outcome *o)
{
    memset(o, 0, sizeof *o);
    exec_proc p;
    double until = exec_now_s() + timeout;
    if (exec_proc_start(argv, 0, &p, o->spawn_err, sizeof o->spawn_err) != 0)
        return;
    o->spawned = 1;
    exec_proc_finish(&p, until, o);
}
