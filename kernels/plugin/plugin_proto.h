/* plugin_proto.h — the messages between qcts and an isolated plugin's
 * processes (kernels/plugin/plugin_host.c is qcts's side,
 * plugin_worker.c the other). Private to kernels/plugin.
 *
 * PROCESSES
 *   qcts ── spawner ── worker, worker, ...
 *   The spawner is forked once when the plugin is opened (before any
 *   worker thread of qcts exists) and never loads the plugin; it forks a
 *   fresh worker whenever qcts asks, so a worker is never forked from a
 *   multi-threaded process (fork there is unsafe, and posix_spawn from many
 *   threads can hang qemu-user). A worker dlopens the plugin and serves one
 *   request at a time. Every channel is a SOCK_SEQPACKET socketpair: one
 *   message per request, one per answer, and EOF when the peer is gone.
 *
 * SPAWNER
 *   sp_req SPAWN with SCM_RIGHTS(the worker's end of a new socketpair)
 *     -> sp_resp { pid or -errno }
 *   sp_req WAIT pid (qcts has killed it or seen it die) -> sp_resp { wait status }
 *   EOF: kill every worker not yet waited for, reap them, exit.
 *
 * WORKER
 *   first message, unasked: ph_resp HELLO (status of loading; name,
 *   description, flags, which functions exist, available() and its reason)
 *   ph_req PREPARE with SCM_RIGHTS(memfd of the call's shared memory)
 *     -> ph_resp (status, message); the call is known by req.call from then on
 *   ph_req RUN / SYNC / FETCH / VARIANT / RELEASE (req.call) -> ph_resp
 *   (FETCH also answers variant(), when the plugin has one)
 *   EOF: _exit(0).
 *
 * SHARED MEMORY OF A CALL
 *   One memfd per call, mapped MAP_SHARED by both sides: every input and
 *   output at req.in_off / req.out_off (64-byte aligned), each output with
 *   PH_GUARD bytes of a known pattern on both sides, which qcts checks
 *   after fetch. qcts copies the inputs and the current contents of the
 *   outputs (the harness's poison) in at prepare and the outputs back at
 *   fetch. */
#ifndef QCTS_PLUGIN_PROTO_H
#define QCTS_PLUGIN_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "qcts/backend.h"
#include "qcts/case_call.h"

#define PH_GUARD 64

enum { SP_SPAWN = 1, SP_WAIT = 2 };

typedef struct sp_req {
    uint32_t kind;
    int32_t pid;
} sp_req;

typedef struct sp_resp {
    int32_t pid;          /* SPAWN: the worker, or -errno */
    int32_t status;       /* WAIT: waitpid status; -1 when it could not wait */
} sp_resp;

enum { PH_HELLO = 1, PH_PREPARE, PH_RUN, PH_SYNC, PH_FETCH, PH_VARIANT, PH_RELEASE };

/* Which optional functions the plugin has (ph_resp.has). */
enum {
    PH_HAS_CONVERT = 1u << 0,
    PH_HAS_QUANTIZE = 1u << 1,
    PH_HAS_DEQUANT = 1u << 2,
    PH_HAS_GEMM = 1u << 3,
    PH_HAS_SYNC = 1u << 4,
    PH_HAS_FETCH = 1u << 5,
    PH_HAS_VARIANT = 1u << 6,
    PH_HAS_AVAILABLE = 1u << 7
};
/* ABI 2 ops (attention .. moe_experts = 4 .. 12): bit 8 + (op - 4). */
#define PH_HAS_OP(op) (1u << (8 + ((unsigned)(op) - 4u)))

typedef struct ph_req {
    uint32_t kind;
    uint32_t op;                       /* PREPARE: qcts_op */
    uint64_t call;                     /* the call's number (qcts chooses it) */
    uint64_t map_bytes;                /* PREPARE: size of the memfd */
    uint32_t in_used, out_used;        /* bit i: in[i] / out[i] is not NULL */
    uint64_t in_off[QCTS_MAX_INPUTS], in_bytes[QCTS_MAX_INPUTS];
    uint64_t out_off[QCTS_MAX_OUTPUTS], out_bytes[QCTS_MAX_OUTPUTS];
    qcts_any_desc desc;                /* scheme pointers are meaningless here */
    char scheme[128];                  /* the scheme string, if the op has one */
} ph_req;

typedef struct ph_resp {
    uint32_t kind;                     /* the request answered (HELLO first) */
    uint32_t status;                   /* qcts_status */
    uint32_t flags, has;               /* HELLO */
    int32_t available;                 /* HELLO: available() (1 when absent) */
    char name[128], description[256];  /* HELLO */
    char text[256];                    /* HELLO: why not available; VARIANT, FETCH
                                          (flags 1): the variant */
    char msg[1024];                    /* the message of a non-OK status */
} ph_resp;

/* One message on a SOCK_SEQPACKET socket, with fd passed along when >= 0
 * (SCM_RIGHTS). 0, or -errno (never SIGPIPE). EINTR is retried. */
int qcts_ph_send(int sock, const void *msg, size_t len, int fd);
/* One message into msg (at most len bytes); *fd receives a passed
 * descriptor or -1 (fd may be NULL: a passed one is closed). Returns the
 * bytes received, 0 at EOF, or -errno. Blocks; EINTR is retried. */
long qcts_ph_recv(int sock, void *msg, size_t len, int *fd);

/* The worker/spawner side (plugin_worker.c): runs in the forked spawner,
 * never returns. sock is the spawner's end of its channel to qcts. */
__attribute__((noreturn)) void qcts_plugin_spawner_main(int sock, const char *path);

#endif
