/* Issue 22 reproducer, without qcts: T threads each posix_spawn
 * `/bin/sh -c 'exit 0'` K times (glibc's posix_spawn is clone(CLONE_VM |
 * CLONE_VFORK)) and wait for it with a timeout. Natively it always ends;
 * under qemu-aarch64 (7.2) a spawned child can hang before it reaches exec.
 *
 *   aarch64-linux-gnu-gcc -O2 -pthread -o spawn_threads tests/repro/spawn_threads.c
 *   qemu-aarch64 -L /usr/aarch64-linux-gnu ./spawn_threads [MODE] [ROUNDS]
 *
 * Two more threads meanwhile open and access absolute paths, as qcts's
 * other threads do (case files are written and removed).
 *
 * MODE: spawn (posix_spawn from every thread at once, as qcts did: the
 *       child opens /dev/null itself, a file action with a path),
 *       dup2 (the parent opens /dev/null; the child only dup2s it),
 *       serial (spawn, but one posix_spawn at a time under a mutex),
 *       fork (fork + execve from every thread at once),
 *       forkserial (fork + execve under a mutex).
 * Prints one line per hung child and exits 1 if any child hung.
 *
 * Seen with qemu-aarch64 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18) on a
 * loaded 2-core host: spawn 21 of 120 children hung (3 rounds); serial 43
 * of 120 (a mutex around posix_spawn does not help: the lock is held by a
 * thread doing an ordinary open); dup2 0 of 400 (10 rounds); fork 0 of
 * 120. Natively none ever hangs. A hung child is a
 * qemu-aarch64 process that already ran setpgid but still has the
 * parent's stdout (its file actions did not finish) and whose only guest
 * thread waits on a futex inside qemu's own data: qemu-user translates
 * absolute paths given to -L (util/path.c) under a mutex that fork does
 * not reset, so a child forked while another thread holds it deadlocks at
 * its first path system call. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { T = 8, K = 5 };
static const char *mode = "spawn";
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int hung;

static pid_t start(void)
{
    char *argv[] = { "/bin/sh", "-c", "exit 0", NULL };
    int serial = strstr(mode, "serial") != NULL;
    pid_t pid = -1;
    if (serial)
        pthread_mutex_lock(&lock);
    if (strncmp(mode, "fork", 4) == 0) {
        pid = fork();
        if (pid == 0) {
            execve("/bin/sh", argv, environ);
            _exit(127);
        }
    } else {
        /* as qcts did: stdin from /dev/null, stdout+stderr to a pipe, own
         * process group, default signals, empty mask */
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
            return -1;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&at);
        int null_fd = -1;
        if (strncmp(mode, "dup2", 4) == 0) {
            /* the parent opens /dev/null: the child only dup2s */
            null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            posix_spawn_file_actions_adddup2(&fa, null_fd, 0);
        } else {
            posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        }
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
        posix_spawnattr_setpgroup(&at, 0);
        sigset_t all, none;
        sigfillset(&all);
        sigemptyset(&none);
        posix_spawnattr_setsigdefault(&at, &all);
        posix_spawnattr_setsigmask(&at, &none);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
        if (posix_spawn(&pid, "/bin/sh", &fa, &at, argv, environ) != 0)
            pid = -1;
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        close(fds[1]);
        close(fds[0]);
        if (null_fd >= 0)
            close(null_fd);
    }
    if (serial)
        pthread_mutex_unlock(&lock);
    return pid;
}

static volatile int stop;

/* What the other threads of qcts do meanwhile: syscalls that take a path
 * (qcts writes and removes case files; here open, stat and close). */
static void *busy(void *p)
{
    /* a new name each time: qemu looks it up under the -L prefix while it
     * holds its lock (a cached name would hold it only briefly) */
    char name[64];
    unsigned k = 0, id = (unsigned)(size_t)p;
    while (!stop) {
        snprintf(name, sizeof name, "/tmp/qcts-repro-absent-%u-%u", id, k++);
        int fd = open(name, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            close(fd);
        access("/tmp", F_OK);
    }
    return NULL;
}

static void *worker(void *p)
{
    (void)p;
    for (int k = 0; k < K; k++) {
        pid_t pid = start();
        if (pid < 0) {
            perror("spawn");
            continue;
        }
        int st;
        /* 20 s: a normal child under qemu ends in well under a second */
        for (int ms = 0;; ms += 10) {
            pid_t r = waitpid(pid, &st, WNOHANG);
            if (r == pid)
                break;
            if (ms >= 20000) {
                fprintf(stderr, "child %d hung (mode %s)\n", (int)pid, mode);
                __atomic_add_fetch(&hung, 1, __ATOMIC_SEQ_CST);
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                break;
            }
            struct timespec ts = { 0, 10000000 };
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        mode = argv[1];
    int rounds = argc > 2 ? atoi(argv[2]) : 1;
    pthread_t b[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&b[i], NULL, busy, (void *)(size_t)i);
    for (int r = 0; r < rounds; r++) {
        pthread_t th[T];
        for (int i = 0; i < T; i++)
            pthread_create(&th[i], NULL, worker, NULL);
        for (int i = 0; i < T; i++)
            pthread_join(th[i], NULL);
    }
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(b[i], NULL);
    printf("%s: %d rounds of %d threads x %d spawns, %d hung\n", mode, rounds, T, K, hung);
    return hung ? 1 : 0;
}
