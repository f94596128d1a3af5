/* The other side of an isolated plugin (plugin_proto.h): the spawner, which
 * forks workers, and the worker, which loads the plugin and answers
 * requests. Both run in processes forked from qcts and end with _exit: the
 * atexit handlers and stdio buffers they inherited belong to qcts. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qcts/opdef.h"
#include "kernels/kernels_impl.h"
#include "kernels/plugin/plugin_proto.h"

/* ---- the worker --------------------------------------------------------------------- */

typedef struct wcall {
    uint64_t id;
    qcts_call *call;
    void *map;
    size_t bytes;
} wcall;

static void copy_text(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static qcts_status prepare(const qcts_backend *be, const ph_req *q, void *map, qcts_call **call, char *msg,
                           size_t n)
{
    qcts_buffers b;
    memset(&b, 0, sizeof b);
    for (int i = 0; i < QCTS_MAX_INPUTS; i++) {
        b.in_bytes[i] = (size_t)q->in_bytes[i];
        if (q->in_used & (1u << i))
            b.in[i] = (const char *)map + q->in_off[i];
    }
    for (int i = 0; i < QCTS_MAX_OUTPUTS; i++) {
        b.out_bytes[i] = (size_t)q->out_bytes[i];
        if (q->out_used & (1u << i))
            b.out[i] = (char *)map + q->out_off[i];
    }
    qcts_any_desc d = q->desc;
    switch (q->op) {
    case QCTS_OP_CONVERT:
        return be->convert(&d.convert, &b, call, msg, n);
    case QCTS_OP_QUANTIZE:
        d.quantize.scheme = q->scheme;
        return be->quantize(&d.quantize, &b, call, msg, n);
    case QCTS_OP_DEQUANT:
        d.dequant.scheme = q->scheme;
        return be->dequant(&d.dequant, &b, call, msg, n);
    case QCTS_OP_GEMM:
        d.gemm.scheme = q->scheme;
        return be->gemm(&d.gemm, &b, call, msg, n);
    default: {
        const qcts_opdef *od = qcts_opdef_get((qcts_op)q->op);
        if (!od || !od->has(be)) {
            snprintf(msg, n, "op %u is not in ABI version %u", (unsigned)q->op, (unsigned)QCTS_BACKEND_ABI_VERSION);
            return QCTS_UNSUPPORTED;
        }
        return od->call(be, d.raw, &b, call, msg, n); /* POD descriptor, copied as bytes */
    }
    }
}

static int has_op(const qcts_backend *be, uint32_t op)
{
    switch (op) {
    case QCTS_OP_CONVERT: return be->convert != NULL;
    case QCTS_OP_QUANTIZE: return be->quantize != NULL;
    case QCTS_OP_DEQUANT: return be->dequant != NULL;
    case QCTS_OP_GEMM: return be->gemm != NULL;
    default: return qcts_opdef_get((qcts_op)op) && qcts_opdef_get((qcts_op)op)->has(be);
    }
}

__attribute__((noreturn)) static void worker_main(int sock, const char *path)
{
    /* Its own process group: a timeout kills whatever the plugin started. */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* A crash is reported with its signal; no core file in the caller's
     * folder (qemu-user writes one wherever the limit allows). */
    struct rlimit no_core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &no_core);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        close(null);
    }
    /* What the plugin prints goes to qcts's stderr: stdout may be a report. */
    dup2(2, 1);

    ph_resp r;
    memset(&r, 0, sizeof r);
    r.kind = PH_HELLO;
    void *dl = NULL;
    const qcts_backend *be = NULL;
    r.status = (uint32_t)qcts_plugin_open(path, &dl, &be, r.msg, sizeof r.msg);
    if (r.status == QCTS_OK) {
        copy_text(r.name, sizeof r.name, be->name);
        copy_text(r.description, sizeof r.description, be->description);
        r.flags = be->flags;
        r.has = (be->convert ? PH_HAS_CONVERT : 0) | (be->quantize ? PH_HAS_QUANTIZE : 0)
              | (be->dequant ? PH_HAS_DEQUANT : 0) | (be->gemm ? PH_HAS_GEMM : 0) | (be->sync ? PH_HAS_SYNC : 0)
              | (be->fetch ? PH_HAS_FETCH : 0) | (be->variant ? PH_HAS_VARIANT : 0)
              | (be->available ? PH_HAS_AVAILABLE : 0);
        for (int op = QCTS_OP_ATTENTION; op < QCTS_OP_COUNT; op++)
            if (has_op(be, (uint32_t)op))
                r.has |= PH_HAS_OP(op);
        r.available = be->available ? be->available(r.text, sizeof r.text) : 1;
        r.text[sizeof r.text - 1] = '\0';
    }
    r.msg[sizeof r.msg - 1] = '\0';
    if (qcts_ph_send(sock, &r, sizeof r, -1) != 0 || r.status != QCTS_OK)
        _exit(0);

    wcall *calls = NULL;
    size_t ncalls = 0, cap = 0;
    for (;;) {
        ph_req q;
        int fd = -1;
        long got = qcts_ph_recv(sock, &q, sizeof q, &fd);
        if (got <= 0)
            _exit(0);                   /* qcts closed the channel (or is gone) */
        memset(&r, 0, sizeof r);
        r.kind = q.kind;
        r.status = QCTS_OK;
        wcall *c = NULL;
        size_t ci = 0;
        if (got != (long)sizeof q) {
            r.status = QCTS_ERROR;
            snprintf(r.msg, sizeof r.msg, "plugin worker: a request of %ld bytes (expected %zu)", got, sizeof q);
            goto answer;
        }
        q.scheme[sizeof q.scheme - 1] = '\0';
        if (q.kind != PH_PREPARE) {
            for (ci = 0; ci < ncalls && calls[ci].id != q.call; ci++)
                ;
            if (ci == ncalls) {
                r.status = QCTS_ERROR;
                snprintf(r.msg, sizeof r.msg, "plugin worker: no call %llu", (unsigned long long)q.call);
                goto answer;
            }
            c = &calls[ci];
        }
        switch (q.kind) {
        case PH_PREPARE: {
            if (fd < 0 || !has_op(be, q.op) || q.map_bytes == 0) {
                r.status = QCTS_ERROR;
                snprintf(r.msg, sizeof r.msg, "plugin worker: a malformed prepare request");
                break;
            }
            if (ncalls == cap) {
                size_t nc = cap ? 2 * cap : 8;
                wcall *more = realloc(calls, nc * sizeof *more);
                if (!more) {
                    r.status = QCTS_ERROR;
                    snprintf(r.msg, sizeof r.msg, "plugin worker: out of memory");
                    break;
                }
                calls = more;
                cap = nc;
            }
            void *map = mmap(NULL, (size_t)q.map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (map == MAP_FAILED) {
                r.status = QCTS_ERROR;
                snprintf(r.msg, sizeof r.msg, "plugin worker: cannot map the call's memory: %s", strerror(errno));
                break;
            }
            qcts_call *call = NULL;
            r.status = (uint32_t)prepare(be, &q, map, &call, r.msg, sizeof r.msg);
            if (r.status != QCTS_OK || !call) {
                /* As in-process: the harness releases what prepare returned. */
                if (call)
                    be->release(call);
                munmap(map, (size_t)q.map_bytes);
                break;
            }
            r.flags = 1;                /* a call handle exists */
            calls[ncalls++] = (wcall){ q.call, call, map, (size_t)q.map_bytes };
            break;
        }
        case PH_RUN:
            r.status = (uint32_t)be->run(c->call, r.msg, sizeof r.msg);
            break;
        case PH_SYNC:
            if (be->sync)
                r.status = (uint32_t)be->sync(c->call, r.msg, sizeof r.msg);
            break;
        case PH_FETCH:
            if (be->fetch)
                r.status = (uint32_t)be->fetch(c->call, r.msg, sizeof r.msg);
            /* The variant comes along: a crash in variant() then fails
             * this step, instead of one that returns nothing. */
            if (r.status == QCTS_OK && be->variant) {
                copy_text(r.text, sizeof r.text, be->variant(c->call));
                r.flags = 1;
            }
            break;
        case PH_VARIANT:
            if (be->variant)
                copy_text(r.text, sizeof r.text, be->variant(c->call));
            break;
        case PH_RELEASE:
            be->release(c->call);
            munmap(c->map, c->bytes);
            calls[ci] = calls[--ncalls];
            break;
        default:
            r.status = QCTS_ERROR;
            snprintf(r.msg, sizeof r.msg, "plugin worker: unknown request %u", (unsigned)q.kind);
            break;
        }
    answer:
        if (fd >= 0)
            close(fd);
        r.msg[sizeof r.msg - 1] = '\0';
        if (qcts_ph_send(sock, &r, sizeof r, -1) != 0)
            _exit(0);
    }
}

/* ---- the spawner ----------------------------------------------------------------------- */

#define SP_MAX_KIDS 1024

void qcts_plugin_spawner_main(int sock, const char *path)
{
    static pid_t kids[SP_MAX_KIDS];   /* forked, not yet waited for */
    size_t nkids = 0;
    for (;;) {
        sp_req q;
        int fd = -1;
        long got = qcts_ph_recv(sock, &q, sizeof q, &fd);
        if (got != (long)sizeof q) {
            if (fd >= 0)
                close(fd);
            break;                      /* EOF: qcts closed the plugin or ended */
        }
        sp_resp a = { 0, -1 };
        if (q.kind == SP_SPAWN) {
            if (fd < 0) {
                a.pid = -EBADF;
            } else if (nkids == SP_MAX_KIDS) {
                a.pid = -EAGAIN;
            } else {
                pid_t pid = fork();
                if (pid == 0) {
                    close(sock);
                    worker_main(fd, path);
                }
                a.pid = pid < 0 ? -errno : pid;
                if (pid > 0)
                    kids[nkids++] = pid;
            }
        } else if (q.kind == SP_WAIT) {
            size_t k;
            for (k = 0; k < nkids && kids[k] != q.pid; k++)
                ;
            a.pid = q.pid;
            if (k < nkids) {
                int st;
                pid_t w;
                do
                    w = waitpid(q.pid, &st, 0);
                while (w < 0 && errno == EINTR);
                if (w == q.pid)
                    a.status = st;
                kids[k] = kids[--nkids];
            }
        }
        if (fd >= 0)
            close(fd);
        if (qcts_ph_send(sock, &a, sizeof a, -1) != 0)
            break;
    }
    for (size_t k = 0; k < nkids; k++) {
        kill(-kids[k], SIGKILL);
        kill(kids[k], SIGKILL);
    }
    for (size_t k = 0; k < nkids; k++)
        while (waitpid(kids[k], NULL, 0) < 0 && errno == EINTR)
            ;
    _exit(0);
}
