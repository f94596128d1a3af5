/* plugin:PATH.so, isolated (the default): qcts's side of a plugin that runs
 * in worker processes (plugin_proto.h has the processes and messages).
 *
 * What this buys: a plugin that crashes, aborts, calls exit() or hangs
 * ends only its worker; the step of the call that was running returns
 * QCTS_ERROR naming the signal, the exit status or the timeout, and the
 * next call gets a fresh worker. What it costs: a round trip per step
 * (prepare, run, sync, fetch, variant, release) and the copies of a
 * call's inputs and outputs through shared memory.
 *
 * Calls and workers: a call stays on the worker that prepared it. A new
 * call takes a worker with no live call, else starts one (up to
 * PH_MAX_WORKERS, then the least busy worker hosts several calls), so
 * `check -j N` runs N plugin processes side by side.
 *
 * The ABI's per-op functions get no pointer to the instance: as for exec,
 * an instance lives in one of a fixed number of slots, each with its own
 * qcts_backend struct and trampolines that know their slot. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qcts/opdef.h"
#include "kernels/plugin/plugin_host.h"
#include "kernels/backend_say.h"
#include "kernels/slot_fns.h"

#define PH_SLOTS 16
#define PH_DEFAULT_TIMEOUT 60.0

struct qcts_call {
    qcts_plugin_host *h;
    pw *w;
    uint64_t id;
    qcts_op op;
    qcts_buffers user;          /* the caller's buffers */
    uint8_t *map;
    size_t map_bytes;
    size_t in_off[QCTS_MAX_INPUTS], out_off[QCTS_MAX_OUTPUTS];
    char in_name[QCTS_MAX_INPUTS][16], out_name[QCTS_MAX_OUTPUTS][16];
    char variant[256];
    int have_variant;           /* variant holds what fetch brought */
};

/* ---- slots ------------------------------------------------------------------------ */

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static qcts_plugin_host *slots[PH_SLOTS];
static qcts_backend slot_be[PH_SLOTS];

static qcts_status prepare(qcts_plugin_host *h, qcts_op op, const void *desc, const qcts_buffers *b,
                           qcts_call **out, char *msg, size_t n);
static int available(qcts_plugin_host *h, char *why, size_t n);

#define SLOT_FNS(i) QCTS_SLOT_PREPARE_FNS(i) \
    static int available_##i(char *why, size_t n) { return available(slots[i], why, n); }
SLOT_FNS(0) SLOT_FNS(1) SLOT_FNS(2) SLOT_FNS(3) SLOT_FNS(4) SLOT_FNS(5) SLOT_FNS(6) SLOT_FNS(7)
SLOT_FNS(8) SLOT_FNS(9) SLOT_FNS(10) SLOT_FNS(11) SLOT_FNS(12) SLOT_FNS(13) SLOT_FNS(14) SLOT_FNS(15)
#undef SLOT_FNS

static const struct {
    qcts_convert_fn convert;
    qcts_quantize_fn quantize;
    qcts_dequant_fn dequant;
    qcts_gemm_fn gemm;
    int (*available)(char *, size_t);
} slot_fns[PH_SLOTS] = {
#define S(i) { convert_##i, quantize_##i, dequant_##i, gemm_##i, available_##i }
    S(0), S(1), S(2), S(3), S(4), S(5), S(6), S(7), S(8), S(9), S(10), S(11), S(12), S(13), S(14), S(15),
#undef S
};
static const qcts_slot_new_ops slot_new_ops[PH_SLOTS] = {
#define S(i) QCTS_SLOT_NEW_OPS(i)
    S(0), S(1), S(2), S(3), S(4), S(5), S(6), S(7), S(8), S(9), S(10), S(11), S(12), S(13), S(14), S(15),
#undef S
};

/* The plugin's HELLO says which ABI 2 ops it has. */
static int plugin_has_op(qcts_op op, void *ctx)
{
    return (*(const uint32_t *)ctx & PH_HAS_OP(op)) != 0;
}

/* ---- the proxy backend -------------------------------------------------------------------- */

static int available(qcts_plugin_host *h, char *why, size_t n)
{
    if (!h->hello.available && why && n)
        snprintf(why, n, "%s", h->hello.text);
    return h->hello.available;
}

static uint8_t guard_byte(size_t k)
{
    return (uint8_t)(0xA7u ^ (uint8_t)(k * 0x3Du) ^ (uint8_t)(k >> 2));
}

static size_t align64(size_t x)
{
    return (x + 63) / 64 * 64;
}

static void call_free(qcts_call *c)
{
    if (c->map)
        munmap(c->map, c->map_bytes);
    free(c);
}

static qcts_status prepare(qcts_plugin_host *h, qcts_op op, const void *desc, const qcts_buffers *b,
                           qcts_call **out, char *msg, size_t n)
{
    *out = NULL;
    qcts_call *c = calloc(1, sizeof *c);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "out of memory");
    c->h = h;
    c->op = op;
    c->user = *b;
    ph_req q;
    memset(&q, 0, sizeof q);
    q.kind = PH_PREPARE;
    q.op = (uint32_t)op;
    const char *scheme = NULL;
    switch (op) {
    case QCTS_OP_CONVERT: q.desc.convert = *(const qcts_convert_desc *)desc; break;
    case QCTS_OP_QUANTIZE: q.desc.quantize = *(const qcts_quantize_desc *)desc; scheme = q.desc.quantize.scheme;
                           q.desc.quantize.scheme = NULL; break;
    case QCTS_OP_DEQUANT: q.desc.dequant = *(const qcts_dequant_desc *)desc; scheme = q.desc.dequant.scheme;
                          q.desc.dequant.scheme = NULL; break;
    case QCTS_OP_GEMM: q.desc.gemm = *(const qcts_gemm_desc *)desc; scheme = q.desc.gemm.scheme;
                       q.desc.gemm.scheme = NULL; break;
    default: {
        size_t ds = qcts_op_desc_size(op);
        if (!ds || ds > sizeof q.desc.raw) {
            free(c);
            return qcts_say(QCTS_UNSUPPORTED, msg, n, "op %d is not in ABI version %u", (int)op,
                            (unsigned)QCTS_BACKEND_ABI_VERSION);
        }
        memcpy(q.desc.raw, desc, ds); /* plain old data (qcts/opdef.h) */
        break;
    }
    }
    if (scheme && strlen(scheme) >= sizeof q.scheme) {
        free(c);
        return qcts_say(QCTS_ERROR, msg, n, "scheme name '%.40s...' is longer than %zu bytes", scheme, sizeof q.scheme - 1);
    }
    if (scheme)
        memcpy(q.scheme, scheme, strlen(scheme) + 1);
    /* Names for messages, as the harness would say them. */
    qcts_op_io io;
    int named = qcts_op_io_get(op, desc, &io, NULL, 0) == QCTS_OK;
    for (int i = 0; i < QCTS_MAX_INPUTS; i++)
        snprintf(c->in_name[i], sizeof c->in_name[i], "%s", named && io.in[i].name ? io.in[i].name : "in");
    for (int i = 0; i < QCTS_MAX_OUTPUTS; i++)
        snprintf(c->out_name[i], sizeof c->out_name[i], "%s", named && io.out[i].name ? io.out[i].name : "out");

    /* The layout: inputs, then outputs each between two guards. */
    size_t off = 0;
    for (int i = 0; i < QCTS_MAX_INPUTS; i++) {
        q.in_bytes[i] = b->in_bytes[i];
        if (!b->in[i])
            continue;
        q.in_used |= 1u << i;
        c->in_off[i] = off;
        q.in_off[i] = off;
        off = align64(off + b->in_bytes[i]);
    }
    for (int i = 0; i < QCTS_MAX_OUTPUTS; i++) {
        q.out_bytes[i] = b->out_bytes[i];
        if (!b->out[i])
            continue;
        q.out_used |= 1u << i;
        off += PH_GUARD;
        c->out_off[i] = off;
        q.out_off[i] = off;
        off = align64(off + b->out_bytes[i]) + PH_GUARD;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    c->map_bytes = off ? (off + page - 1) / page * page : page;
    q.map_bytes = c->map_bytes;
    int fd = memfd_create("qcts-plugin-call", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)c->map_bytes) != 0
        || (c->map = mmap(NULL, c->map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
        int e = errno;
        c->map = NULL;
        if (fd >= 0)
            close(fd);
        call_free(c);
        return qcts_say(QCTS_ERROR, msg, n, "plugin %s: no shared memory for the call (%zu bytes): %s", h->path,
                   (size_t)q.map_bytes, strerror(e));
    }
    for (int i = 0; i < QCTS_MAX_INPUTS; i++)
        if (b->in[i])
            memcpy(c->map + c->in_off[i], b->in[i], b->in_bytes[i]);
    for (int i = 0; i < QCTS_MAX_OUTPUTS; i++) {
        if (!b->out[i])
            continue;
        uint8_t *d = c->map + c->out_off[i];
        /* The outputs as the caller left them: the harness's poison stays
         * where the plugin writes nothing. */
        memcpy(d, b->out[i], b->out_bytes[i]);
        for (size_t k = 0; k < PH_GUARD; k++) {
            d[-1 - (ptrdiff_t)k] = guard_byte(k);
            d[b->out_bytes[i] + k] = guard_byte(k);
        }
    }
    pw *w = qcts_ph_lease(h, msg, n);
    if (!w) {
        close(fd);
        call_free(c);
        return QCTS_ERROR;
    }
    c->w = w;
    pthread_mutex_lock(&h->lock);
    c->id = ++h->next_call;
    pthread_mutex_unlock(&h->lock);
    q.call = c->id;
    ph_resp r;
    qcts_status st = qcts_ph_ask(h, w, &q, fd, "prepare", &r, msg, n);
    close(fd);
    if (st == QCTS_OK && r.status != QCTS_OK)
        st = qcts_say((qcts_status)r.status, msg, n, "%s", r.msg);
    if (st != QCTS_OK || !r.flags) {
        qcts_ph_unlease(h, w);
        call_free(c);
        return st;                  /* QCTS_OK with no handle: the harness says so */
    }
    *out = c;
    return QCTS_OK;
}

static qcts_status step(qcts_call *c, uint32_t kind, const char *name, ph_resp *r, char *msg, size_t n)
{
    ph_req q;
    memset(&q, 0, sizeof q);
    q.kind = kind;
    q.call = c->id;
    qcts_status st = qcts_ph_ask(c->h, c->w, &q, -1, name, r, msg, n);
    if (st == QCTS_OK && r->status != QCTS_OK)
        st = qcts_say((qcts_status)r->status, msg, n, "%s", r->msg);
    return st;
}

static qcts_status proxy_run(qcts_call *c, char *msg, size_t n)
{
    ph_resp r;
    return step(c, PH_RUN, "run", &r, msg, n);
}

static qcts_status proxy_sync(qcts_call *c, char *msg, size_t n)
{
    ph_resp r;
    return step(c, PH_SYNC, "sync", &r, msg, n);
}

/* The plugin's fetch, then what the harness would see in-process: a write
 * outside an output is reported here, as an error naming the byte, since
 * the harness's own guards never see the shared copy (and the caller's
 * buffer may have no room past the output to mirror it into). */
static qcts_status proxy_fetch(qcts_call *c, char *msg, size_t n)
{
    ph_resp r;
    if (c->h->hello.has & (PH_HAS_FETCH | PH_HAS_VARIANT)) {
        qcts_status st = step(c, PH_FETCH, c->h->hello.has & PH_HAS_VARIANT ? "fetch() or variant" : "fetch", &r,
                              msg, n);
        if (st != QCTS_OK)
            return st;
        if (r.flags) {
            snprintf(c->variant, sizeof c->variant, "%s", r.text);
            c->have_variant = 1;
        }
    }
    qcts_status st = QCTS_OK;
    for (int i = 0; i < QCTS_MAX_OUTPUTS && st == QCTS_OK; i++) {
        if (!c->user.out[i])
            continue;
        const uint8_t *d = c->map + c->out_off[i];
        size_t nb = c->user.out_bytes[i];
        for (size_t k = 0; k < PH_GUARD && st == QCTS_OK; k++)
            if (d[-1 - (ptrdiff_t)k] != guard_byte(k))
                st = qcts_say(QCTS_ERROR, msg, n, "wrote before the start of output %s at byte %lld (seen in the "
                         "isolated plugin's shared memory)", c->out_name[i], -1 - (long long)k);
        for (size_t k = 0; k < PH_GUARD && st == QCTS_OK; k++)
            if (d[nb + k] != guard_byte(k))
                st = qcts_say(QCTS_ERROR, msg, n, "wrote past the end of output %s at byte %zu (the output has %zu "
                         "bytes; seen in the isolated plugin's shared memory)", c->out_name[i], nb + k, nb);
    }
    /* A write into an input is mirrored into the caller's buffer, exactly
     * what the same plugin does in-process, so the harness's own input check
     * judges it (a FAIL naming the buffer), in both modes alike. */
    for (int i = 0; i < QCTS_MAX_INPUTS && st == QCTS_OK; i++) {
        if (!c->user.in[i])
            continue;
        const uint8_t *a = c->map + c->in_off[i];
        if (memcmp(a, c->user.in[i], c->user.in_bytes[i]) != 0)
            memcpy((void *)c->user.in[i], a, c->user.in_bytes[i]);
    }
    for (int i = 0; i < QCTS_MAX_OUTPUTS; i++)
        if (c->user.out[i])
            memcpy(c->user.out[i], c->map + c->out_off[i], c->user.out_bytes[i]);
    return st;
}

static const char *proxy_variant(const qcts_call *cc)
{
    qcts_call *c = (qcts_call *)cc;   /* the ABI's const: the call does not change for the caller */
    if (c->have_variant)
        return c->variant;
    ph_resp r;
    char msg[64];
    if (step(c, PH_VARIANT, "variant", &r, msg, sizeof msg) != QCTS_OK)
        return NULL;
    snprintf(c->variant, sizeof c->variant, "%s", r.text);
    return c->variant;
}

static void proxy_release(qcts_call *c)
{
    ph_resp r;
    char msg[600];
    pthread_mutex_lock(&c->w->lock);
    int was_dead = c->w->dead;
    pthread_mutex_unlock(&c->w->lock);
    /* release returns nothing: a crash here can only be told on stderr (the
     * next call gets a new process). */
    if (!was_dead && step(c, PH_RELEASE, "release", &r, msg, sizeof msg) != QCTS_OK)
        fprintf(stderr, "qcts: plugin %s: %s\n", c->h->path, msg);
    qcts_ph_unlease(c->h, c->w);
    call_free(c);
}

/* ---- open, options, close ------------------------------------------------------------------ */

qcts_status qcts_plugin_host_open(const char *path, double timeout, qcts_plugin_host **out,
                                  const qcts_backend **be, char *err, size_t n)
{
    *out = NULL;
    *be = NULL;
    /* The loader's first refusals, without starting anything. */
    struct stat sb;
    if (stat(path, &sb) != 0)
        return qcts_say(QCTS_ERROR, err, n, "plugin %s: no such file", path);
    if (!S_ISREG(sb.st_mode))
        return qcts_say(QCTS_ERROR, err, n, "plugin %s: not a regular file", path);
    qcts_plugin_host *h = calloc(1, sizeof *h);
    if (!h || !(h->path = strdup(path))) {
        free(h);
        return qcts_say(QCTS_ERROR, err, n, "out of memory");
    }
    h->timeout = timeout > 0 ? timeout : PH_DEFAULT_TIMEOUT;
    h->sp_fd = -1;
    h->slot = -1;
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->sp_lock, NULL);
    pthread_mutex_lock(&slot_lock);
    for (int i = 0; i < PH_SLOTS; i++)
        if (!slots[i]) {
            slots[i] = h;
            h->slot = i;
            break;
        }
    pthread_mutex_unlock(&slot_lock);
    if (h->slot < 0) {
        qcts_plugin_host_close(h);
        return qcts_say(QCTS_ERROR, err, n, "plugin %s: more than %d isolated plugins open at once (use --in-process)",
                   path, PH_SLOTS);
    }
    if (qcts_ph_start_spawner(h, err, n) != 0) {
        qcts_plugin_host_close(h);
        return QCTS_ERROR;
    }
    /* The first worker loads the plugin: its refusal is the open's. */
    pw *w = qcts_ph_spawn(h, &h->hello, err, n);
    if (!w) {
        qcts_plugin_host_close(h);
        return QCTS_ERROR;
    }
    w->calls = 0;
    h->w[0] = w;
    qcts_backend *b = &slot_be[h->slot];
    memset(b, 0, sizeof *b);
    b->abi_version = QCTS_BACKEND_ABI_VERSION;
    b->struct_size = sizeof *b;
    b->name = h->hello.name;
    b->description = h->hello.description;
    b->flags = h->hello.flags;
    b->available = slot_fns[h->slot].available;
    b->variant = (h->hello.has & PH_HAS_VARIANT) ? proxy_variant : NULL;
    b->convert = (h->hello.has & PH_HAS_CONVERT) ? slot_fns[h->slot].convert : NULL;
    b->quantize = (h->hello.has & PH_HAS_QUANTIZE) ? slot_fns[h->slot].quantize : NULL;
    b->dequant = (h->hello.has & PH_HAS_DEQUANT) ? slot_fns[h->slot].dequant : NULL;
    b->gemm = (h->hello.has & PH_HAS_GEMM) ? slot_fns[h->slot].gemm : NULL;
    uint32_t has = h->hello.has;
    qcts_slot_set_new_ops(b, &slot_new_ops[h->slot], plugin_has_op, &has);
    b->run = proxy_run;
    b->sync = (h->hello.has & PH_HAS_SYNC) ? proxy_sync : NULL;
    b->fetch = proxy_fetch;           /* always: the outputs come back here */
    b->release = proxy_release;
    *out = h;
    *be = b;
    if (err && n)
        err[0] = '\0';
    return QCTS_OK;
}

qcts_status qcts_plugin_host_set_timeout(qcts_plugin_host *h, double seconds, char *err, size_t n)
{
    if (!(seconds > 0))
        return qcts_say(QCTS_ERROR, err, n, "plugin: timeout must be > 0 seconds");
    h->timeout = seconds;
    return QCTS_OK;
}

void qcts_plugin_host_close(qcts_plugin_host *h)
{
    if (!h)
        return;
    for (int i = 0; i < PH_MAX_WORKERS; i++)
        if (h->w[i] && h->w[i] != &qcts_ph_reserved)
            qcts_ph_worker_free(h->w[i]);   /* an idle worker exits at EOF */
    if (h->sp_fd >= 0) {
        close(h->sp_fd);            /* the spawner kills and reaps what is left, then exits */
        while (waitpid(h->spawner, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (h->slot >= 0) {
        pthread_mutex_lock(&slot_lock);
        slots[h->slot] = NULL;
        pthread_mutex_unlock(&slot_lock);
    }
    pthread_mutex_destroy(&h->lock);
    pthread_mutex_destroy(&h->sp_lock);
    free(h->path);
    free(h);
}
