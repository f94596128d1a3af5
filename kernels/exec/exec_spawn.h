/* Running one exec command under a supervisor process (exec_spawn.c).
 *
 * qcts forks a small supervisor; the supervisor makes itself a child
 * subreaper (Linux), forks the command (/bin/sh -c ...) in its own process
 * group with stdin from /dev/null and stdout+stderr into a pipe, waits for
 * it until the deadline, then kills the command's group and every process
 * that was reparented to it (descendants that left the group with setsid
 * or double forks included) until none is left, and reports the command's
 * wait status. Where the subreaper or /proc is missing (not Linux), only
 * the command's process group is killed: exec_supervisor_note() says so.
 *
 * No child process makes a system call that takes an absolute path before
 * execve: under qemu-user with -L that call can deadlock on a lock inherited
 * locked from another thread (issue 22, tests/repro/spawn_threads.c). */
#ifndef QCTS_EXEC_SPAWN_H
#define QCTS_EXEC_SPAWN_H

#include <stddef.h>

#define QCTS_EXEC_TAIL 2048

/* The last bytes a process wrote, as a ring. */
typedef struct exec_tail {
    char buf[QCTS_EXEC_TAIL];
    size_t len, pos;
    int dropped;
} exec_tail;

void exec_tail_add(exec_tail *t, const char *p, size_t n);
/* The tail as text: trailing whitespace trimmed, newlines shown as " | ". */
void exec_tail_text(const exec_tail *t, char *out, size_t n);

typedef struct exec_outcome {
    int spawned;          /* 0: spawn_err says why */
    int timed_out;
    int status;           /* waitpid status of the command */
    int lost;             /* the supervisor failed: status unknown */
    int killed;           /* descendants killed after the command ended */
    int tracked;          /* 1: every descendant was tracked (subreaper + /proc) */
    exec_tail out;        /* stdout + stderr */
    char spawn_err[256];
} exec_outcome;

/* Runs argv[0] (a path) with argv (stdin /dev/null, stdout and stderr into
 * o->out) and waits at most `timeout` seconds, killing everything after. */
void exec_supervised(char *const argv[], double timeout, exec_outcome *o);

/* A supervised command that stays (persistent mode): to_fd is its stdin
 * (a socket: write with send(MSG_NOSIGNAL)),
 * from_fd its stdout, out_fd its stderr. Closing ctl_fd (or qcts ending)
 * makes the supervisor kill it and every descendant. */
typedef struct exec_proc {
    int pid;              /* the supervisor */
    int command_pid;      /* the command (its process group id), -1 unknown */
    int out_fd, ctl_fd, res_fd, to_fd, from_fd;
} exec_proc;

/* 0, or -1 with err set. persistent 0: stdin /dev/null, stdout -> out_fd. */
int exec_proc_start(char *const argv[], int persistent, exec_proc *p, char *err, size_t n);
/* Reads whatever stderr is ready into t (never blocks). */
void exec_proc_drain(exec_proc *p, exec_tail *t);
/* Waits until the command ends or `until` (then asks the supervisor to kill
 * everything: o->timed_out), collects the result into o, closes every fd. */
void exec_proc_finish(exec_proc *p, double until, exec_outcome *o);

/* "" when every descendant is tracked, else why only the process group is. */
const char *exec_supervisor_note(void);

double exec_now_s(void);

#endif
