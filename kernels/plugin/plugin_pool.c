/* The processes of an isolated plugin (plugin_proto.h): starting the
 * spawner, forking workers through it, leasing a worker to a call, one
 * request and its answer under the timeout, and burying a worker that
 * died or timed out (killing its process group, reaping it through the
 * spawner, saying how it ended). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kernels/plugin/plugin_host.h"
#include "kernels/backend_say.h"

pw qcts_ph_reserved;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *signal_name(int sig)
{
    static const struct { int sig; const char *name; } names[] = {
        { SIGSEGV, "SIGSEGV" }, { SIGABRT, "SIGABRT" }, { SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" },
        { SIGILL, "SIGILL" }, { SIGKILL, "SIGKILL" }, { SIGTERM, "SIGTERM" }, { SIGINT, "SIGINT" },
        { SIGQUIT, "SIGQUIT" }, { SIGTRAP, "SIGTRAP" }, { SIGPIPE, "SIGPIPE" }, { SIGSYS, "SIGSYS" },
        { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" }, { SIGALRM, "SIGALRM" }, { SIGHUP, "SIGHUP" },
        { SIGUSR1, "SIGUSR1" }, { SIGUSR2, "SIGUSR2" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig)
            return names[i].name;
    return "a signal";
}

/* The spawner: forked now, while qcts has (in check, case, the tests) a
 * single thread; it keeps only its channel and never loads the plugin. */
int qcts_ph_start_spawner(qcts_plugin_host *h, char *err, size_t n)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        qcts_say(QCTS_ERROR, err, n, "plugin %s: socketpair: %s", h->path, strerror(errno));
        return -1;
    }
    fflush(NULL);                   /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        qcts_say(QCTS_ERROR, err, n, "plugin %s: cannot start its process: fork: %s", h->path, strerror(e));
        return -1;
    }
    if (pid == 0) {
        /* Only the channel stays open: the database, the other plugins'
         * channels and the like are no business of the plugin's. */
        int sock = sv[1] == 3 ? 3 : dup2(sv[1], 3);
        if (sock != 3)
            _exit(127);
        if (close_range(4, ~0u, 0) != 0)
            for (int fd = 4; fd < 4096; fd++)
                close(fd);
        setpgid(0, 0);              /* a terminal's ^C is for qcts, which then closes the channel */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        for (int s = 1; s < NSIG; s++)
            sigaction(s, &sa, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        qcts_plugin_spawner_main(3, h->path);
    }
    close(sv[1]);
    h->spawner = pid;
    h->sp_fd = sv[0];
    return 0;
}

/* One spawner request; -1 when the spawner is gone. */
static int spawner_ask(qcts_plugin_host *h, const sp_req *q, int fd, sp_resp *a)
{
    pthread_mutex_lock(&h->sp_lock);
    int rc = -1;
    if (h->sp_fd >= 0 && qcts_ph_send(h->sp_fd, q, sizeof *q, fd) == 0
        && qcts_ph_recv(h->sp_fd, a, sizeof *a, NULL) == (long)sizeof *a)
        rc = 0;
    pthread_mutex_unlock(&h->sp_lock);
    return rc;
}

/* Kills w's process group (all it may have started), waits for it, and
 * says how it ended in w->death. Call with w->lock held. */
static void bury(qcts_plugin_host *h, pw *w, const char *step, int timed_out)
{
    kill(-w->pid, SIGKILL);
    kill(w->pid, SIGKILL);
    sp_req q = { SP_WAIT, w->pid };
    sp_resp a;
    int st = -1;
    if (spawner_ask(h, &q, -1, &a) == 0)
        st = a.status;
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    w->dead = 1;
    char where[32];
    if (strcmp(step, "loading") == 0)
        snprintf(where, sizeof where, "while loading it");
    else
        snprintf(where, sizeof where, "in %s()", step);
    if (timed_out)
        snprintf(w->death, sizeof w->death, "the plugin did not answer within %g s (timeout) %s; its process "
                 "was killed", h->timeout, where);
    else if (st != -1 && WIFSIGNALED(st))
        snprintf(w->death, sizeof w->death, "the plugin's process was killed by signal %d (%s) %s",
                 WTERMSIG(st), signal_name(WTERMSIG(st)), where);
    else if (st != -1 && WIFEXITED(st))
        snprintf(w->death, sizeof w->death, "the plugin's process exited with status %d %s (a plugin must "
                 "return, never exit)", WEXITSTATUS(st), where);
    else
        snprintf(w->death, sizeof w->death, "the plugin's process ended %s (its exit status is unknown)", where);
}

/* Waits for one answer of w until the timeout. 0, or -1 when w died or
 * timed out (buried, w->death says how). Call with w->lock held. */
static int await(qcts_plugin_host *h, pw *w, ph_resp *r, const char *step)
{
    double deadline = now_s() + h->timeout;
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0) {
            bury(h, w, step, 1);
            return -1;
        }
        struct pollfd p = { w->fd, POLLIN, 0 };
        int ms = left > 3600 ? 3600000 : (int)(left * 1000) + 1;
        int k = poll(&p, 1, ms);
        if (k < 0 && errno == EINTR)
            continue;
        if (k == 0)
            continue;               /* the deadline decides */
        if (k < 0) {
            bury(h, w, step, 0);
            return -1;
        }
        long got = qcts_ph_recv(w->fd, r, sizeof *r, NULL);
        if (got == (long)sizeof *r) {
            r->msg[sizeof r->msg - 1] = '\0';
            r->text[sizeof r->text - 1] = '\0';
            r->name[sizeof r->name - 1] = '\0';
            r->description[sizeof r->description - 1] = '\0';
            return 0;
        }
        bury(h, w, step, 0);        /* EOF: it died (or closed its end) */
        return -1;
    }
}

/* Forks a worker and reads its HELLO. The worker comes with calls = 1 (the
 * caller's). NULL with the reason in msg. */
pw *qcts_ph_spawn(qcts_plugin_host *h, ph_resp *hello, char *msg, size_t n)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        qcts_say(QCTS_ERROR, msg, n, "plugin %s: socketpair: %s", h->path, strerror(errno));
        return NULL;
    }
    sp_req q = { SP_SPAWN, 0 };
    sp_resp a;
    int rc = spawner_ask(h, &q, sv[1], &a);
    close(sv[1]);
    if (rc != 0 || a.pid <= 0) {
        close(sv[0]);
        if (rc != 0)
            qcts_say(QCTS_ERROR, msg, n, "plugin %s: its spawner process is gone; no new process can start", h->path);
        else
            qcts_say(QCTS_ERROR, msg, n, "plugin %s: cannot start a process for it: %s", h->path, strerror(-a.pid));
        return NULL;
    }
    pw *w = calloc(1, sizeof *w);
    if (!w) {
        kill(a.pid, SIGKILL);
        sp_req wq = { SP_WAIT, a.pid };
        spawner_ask(h, &wq, -1, &a);
        close(sv[0]);
        qcts_say(QCTS_ERROR, msg, n, "out of memory");
        return NULL;
    }
    w->pid = a.pid;
    w->fd = sv[0];
    w->calls = 1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_mutex_lock(&w->lock);
    int ok = await(h, w, hello, "loading") == 0;
    pthread_mutex_unlock(&w->lock);
    if (!ok || hello->kind != PH_HELLO || hello->status != QCTS_OK) {
        if (!ok)
            qcts_say(QCTS_ERROR, msg, n, "plugin %s: %s", h->path, w->death);
        else
            qcts_say(QCTS_ERROR, msg, n, "%s", hello->msg[0] ? hello->msg : "plugin worker: no greeting");
        if (!w->dead) {
            pthread_mutex_lock(&w->lock);
            bury(h, w, "loading", 0);
            pthread_mutex_unlock(&w->lock);
        }
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL;
    }
    return w;
}

void qcts_ph_worker_free(pw *w)
{
    if (w->fd >= 0)
        close(w->fd);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

/* A worker for a new call (calls incremented), or NULL and msg. */
pw *qcts_ph_lease(qcts_plugin_host *h, char *msg, size_t n)
{
    pthread_mutex_lock(&h->lock);
    int free_slot = -1;
    pw *best = NULL;
    for (int i = 0; i < PH_MAX_WORKERS; i++) {
        pw *w = h->w[i];
        if (w == &qcts_ph_reserved)
            continue;
        if (w && w->dead && w->calls == 0) {
            qcts_ph_worker_free(w);
            h->w[i] = w = NULL;
        }
        if (!w) {
            if (free_slot < 0)
                free_slot = i;
            continue;
        }
        if (!w->dead && (!best || w->calls < best->calls))
            best = w;
    }
    if (best && (best->calls == 0 || free_slot < 0)) {
        best->calls++;
        pthread_mutex_unlock(&h->lock);
        return best;
    }
    if (free_slot < 0) {
        pthread_mutex_unlock(&h->lock);
        qcts_say(QCTS_ERROR, msg, n, "plugin %s: %d processes, all dead or starting", h->path, PH_MAX_WORKERS);
        return NULL;
    }
    h->w[free_slot] = &qcts_ph_reserved;
    pthread_mutex_unlock(&h->lock);
    ph_resp hello;
    pw *w = qcts_ph_spawn(h, &hello, msg, n);
    pthread_mutex_lock(&h->lock);
    h->w[free_slot] = w;
    pthread_mutex_unlock(&h->lock);
    return w;
}

void qcts_ph_unlease(qcts_plugin_host *h, pw *w)
{
    pthread_mutex_lock(&h->lock);
    w->calls--;
    pthread_mutex_unlock(&h->lock);
}

/* One request on w and its answer. QCTS_OK when an answer came (its status
 * is in r), else QCTS_ERROR with why the worker is gone. */
qcts_status qcts_ph_ask(qcts_plugin_host *h, pw *w, const ph_req *q, int fd, const char *step, ph_resp *r,
                       char *msg, size_t n)
{
    pthread_mutex_lock(&w->lock);
    qcts_status st = QCTS_OK;
    if (w->dead) {
        st = qcts_say(QCTS_ERROR, msg, n, "the plugin's process that holds this call is gone: %s", w->death);
    } else if (qcts_ph_send(w->fd, q, sizeof *q, fd) != 0 || await(h, w, r, step) != 0) {
        if (!w->dead)
            bury(h, w, step, 0);
        st = qcts_say(QCTS_ERROR, msg, n, "%s", w->death);
    }
    pthread_mutex_unlock(&w->lock);
    return st;
}
