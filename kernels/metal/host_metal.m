/* host_metal.m — the Metal host (macOS only; built when uname -s is Darwin):
 * the `metal` (precise) and `metal-fast` (fast math) backends on qcts's own
 * kernels, and the Metal device behind `metal-kernels:FILE.json`.
 *
 * Everything a call does is in its plan (qm_plan.h), the same plan
 * metal-cpu runs: kernel name, buffers by index, grid. Here a plan becomes
 * MTLBuffers (shared storage: the host copies in at prepare and out at
 * fetch), one compute command encoder, dispatchThreadgroups, one command
 * buffer per run. GPU time comes from the command buffer's GPUStartTime /
 * GPUEndTime after it completed.
 *
 * NOT RUN IN THIS REPOSITORY'S DEVELOPMENT: no Mac was available; the code
 * was checked against Apple's documentation (pages cited below) and is
 * compiled and smoke-tested by .github/workflows/macos.yml (paravirtual
 * device). kernels/metal/README.md says what has and has not been run.
 *
 * API notes (Apple developer documentation, developer.apple.com/documentation/metal/...):
 *  - MTLCompileOptions.fastMathEnabled is deprecated from macOS 15 in favour
 *    of mathMode + mathFloatingPointFunctions (mtlcompileoptions/mathmode):
 *    both are set, by SDK and OS version. The default is fast math
 *    (mtlcompileoptions/fastmathenabled): `metal` turns it off.
 *  - setBytes:length:atIndex: only for data under 4 KB that does not
 *    persist (mtlcomputecommandencoder/setbytes(_:length:index:)): the
 *    params structs; everything else is an MTLBuffer.
 *  - setThreadgroupMemoryLength:atIndex: needs a multiple of 16 bytes
 *    (mtlcomputecommandencoder/setthreadgroupmemorylength(_:index:)).
 *  - GPUStartTime/GPUEndTime stay 0.0 until the command buffer completed;
 *    read them after waitUntilCompleted (mtlcommandbuffer/gpustarttime). */
#import <Foundation/Foundation.h>
#import <Metal/Metal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/metal/backend_metal.h"
#include "kernels/metal/qm_manifest.h"
#include "kernels/metal/qm_plan.h"

extern const char qm_msl_source[];   /* build/gen/kernels/metal/qm_msl_embed.c */

struct qm_metal_ctx {
    void *device;      /* id<MTLDevice>, retained (CFBridgingRetain) */
    void *queue;       /* id<MTLCommandQueue> */
    void *library;     /* id<MTLLibrary> */
    void *pipelines;   /* NSMutableDictionary: function name -> id<MTLComputePipelineState> */
    int fast_math;
    pthread_mutex_t lock;
};

#define OBJ(T, p) ((__bridge T)(p))

static void say_ns(char *msg, size_t n, const char *what, NSError *err)
{
    if (msg && n)
        snprintf(msg, n, "%s: %s", what, err ? [[err localizedDescription] UTF8String] : "unknown error");
}

int qm_metal_available(char *why, size_t n)
{
    @autoreleasepool {
        id<MTLDevice> d = MTLCreateSystemDefaultDevice();
        if (!d) {
            if (why && n)
                snprintf(why, n, "no Metal device (MTLCreateSystemDefaultDevice returned nil)");
            return 0;
        }
        if (why && n)
            why[0] = '\0';
        return 1;
    }
}

static MTLCompileOptions *compile_options(const struct qm_manifest *m, int fast_math, char *msg, size_t n)
{
    MTLCompileOptions *o = [MTLCompileOptions new];
#if defined(__MAC_OS_X_VERSION_MAX_ALLOWED) && __MAC_OS_X_VERSION_MAX_ALLOWED >= 150000
    if (@available(macOS 15.0, *)) {
        o.mathMode = fast_math ? MTLMathModeFast : MTLMathModeSafe;
        o.mathFloatingPointFunctions = fast_math ? MTLMathFloatingPointFunctionsFast
                                                 : MTLMathFloatingPointFunctionsPrecise;
    } else
#endif
    {
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
        o.fastMathEnabled = fast_math ? YES : NO;
#pragma clang diagnostic pop
    }
    if (m && m->language_version[0]) {
        const char *v = m->language_version;
        if (strcmp(v, "2.3") == 0)
            o.languageVersion = MTLLanguageVersion2_3;
        else if (strcmp(v, "2.4") == 0)
            o.languageVersion = MTLLanguageVersion2_4;
#if defined(__MAC_OS_X_VERSION_MAX_ALLOWED) && __MAC_OS_X_VERSION_MAX_ALLOWED >= 130000
        else if (strcmp(v, "3.0") == 0)
            o.languageVersion = MTLLanguageVersion3_0;
#endif
#if defined(__MAC_OS_X_VERSION_MAX_ALLOWED) && __MAC_OS_X_VERSION_MAX_ALLOWED >= 140000
        else if (strcmp(v, "3.1") == 0)
            o.languageVersion = MTLLanguageVersion3_1;
#endif
        else {
            snprintf(msg, n, "%s: compile_options.language_version \"%s\" is not one this build knows "
                     "(2.3, 2.4, 3.0, 3.1 by SDK)", m->path, v);
            return nil;
        }
    }
    if (m && m->nmacros) {
        NSMutableDictionary *d = [NSMutableDictionary dictionary];
        for (int i = 0; i < m->nmacros; i++)
            d[[NSString stringWithUTF8String:m->macro_name[i]]] = [NSString stringWithUTF8String:m->macro_value[i]];
        o.preprocessorMacros = d;
    }
    return o;
}

qm_metal_ctx *qm_metal_ctx_open(const struct qm_manifest *m, int fast_math, char *msg, size_t n)
{
    @autoreleasepool {
        id<MTLDevice> dev = MTLCreateSystemDefaultDevice();
        if (!dev) {
            snprintf(msg, n, "no Metal device (MTLCreateSystemDefaultDevice returned nil)");
            return NULL;
        }
        NSError *err = nil;
        id<MTLLibrary> lib = nil;
        if (m && m->metallib[0]) {
            lib = [dev newLibraryWithURL:[NSURL fileURLWithPath:[NSString stringWithUTF8String:m->metallib]]
                                   error:&err];
        } else {
            MTLCompileOptions *o = compile_options(m, fast_math, msg, n);
            if (!o)
                return NULL;
            NSString *src = [NSString stringWithUTF8String:m ? m->source_text : qm_msl_source];
            if (!src) {
                snprintf(msg, n, "%s: the source is not UTF-8", m ? m->source : "qcts's MSL");
                return NULL;
            }
            lib = [dev newLibraryWithSource:src options:o error:&err];
        }
        if (!lib) {
            say_ns(msg, n, m ? "compiling the manifest's kernel" : "compiling qcts's Metal kernels", err);
            return NULL;
        }
        qm_metal_ctx *c = calloc(1, sizeof *c);
        if (!c) {
            snprintf(msg, n, "out of memory");
            return NULL;
        }
        c->device = (void *)CFBridgingRetain(dev);
        c->queue = (void *)CFBridgingRetain([dev newCommandQueue]);
        c->library = (void *)CFBridgingRetain(lib);
        c->pipelines = (void *)CFBridgingRetain([NSMutableDictionary dictionary]);
        c->fast_math = fast_math;
        pthread_mutex_init(&c->lock, NULL);
        return c;
    }
}

void qm_metal_ctx_close(qm_metal_ctx *c)
{
    if (!c)
        return;
    CFBridgingRelease(c->pipelines);
    CFBridgingRelease(c->library);
    CFBridgingRelease(c->queue);
    CFBridgingRelease(c->device);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* The pipeline of function name, made once per context. */
static id<MTLComputePipelineState> pipeline(qm_metal_ctx *c, const char *name, char *msg, size_t n)
{
    id<MTLComputePipelineState> ps = nil;
    pthread_mutex_lock(&c->lock);
    NSMutableDictionary *cache = OBJ(NSMutableDictionary *, c->pipelines);
    NSString *key = [NSString stringWithUTF8String:name];
    ps = cache[key];
    if (!ps) {
        id<MTLFunction> f = [OBJ(id<MTLLibrary>, c->library) newFunctionWithName:key];
        if (!f) {
            snprintf(msg, n, "the Metal library has no function %s", name);
        } else {
            NSError *err = nil;
            ps = [OBJ(id<MTLDevice>, c->device) newComputePipelineStateWithFunction:f error:&err];
            if (!ps)
                say_ns(msg, n, "newComputePipelineStateWithFunction", err);
            else
                cache[key] = ps;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return ps;
}

uint32_t qm_metal_simd_width(qm_metal_ctx *c, const char *function)
{
    char e[256];
    id<MTLComputePipelineState> ps = pipeline(c, function, e, sizeof e);
    return ps ? (uint32_t)ps.threadExecutionWidth : 0;
}

/* ---- the device ops (qm_plan.h) ----------------------------------------------------- */

typedef struct metal_dcall {
    qm_metal_ctx *ctx;
    const qm_plan *pl;
    void *ps;                              /* id<MTLComputePipelineState> */
    void *bufs[QM_PLAN_MAX_BUFS];          /* id<MTLBuffer>, NULL for setBytes */
    void *cb;                              /* the last committed id<MTLCommandBuffer> */
    double gpu_seconds;                    /* of the last completed run */
} metal_dcall;

static qcts_status metal_prepare(void *ctxp, const qm_plan *pl, void **out, char *msg, size_t n)
{
    @autoreleasepool {
        qm_metal_ctx *c = ctxp;
        char e[512];
        id<MTLComputePipelineState> ps = pipeline(c, pl->kernel, e, sizeof e);
        if (!ps)
            return qcts_say(QCTS_ERROR, msg, n, "metal: %s", e);
        NSUInteger threads = (NSUInteger)pl->tg[0] * pl->tg[1] * pl->tg[2];
        if (threads > ps.maxTotalThreadsPerThreadgroup)
            return qcts_say(QCTS_UNSUPPORTED, msg, n, "metal: %s needs %lu threads per threadgroup; this pipeline "
                            "allows %lu", pl->kernel, (unsigned long)threads,
                            (unsigned long)ps.maxTotalThreadsPerThreadgroup);
        metal_dcall *d = calloc(1, sizeof *d);
        if (!d)
            return qcts_say(QCTS_ERROR, msg, n, "metal: out of memory");
        d->ctx = c;
        d->pl = pl;
        d->ps = (void *)CFBridgingRetain(ps);
        id<MTLDevice> dev = OBJ(id<MTLDevice>, c->device);
        for (int i = 0; i < pl->nbufs; i++) {
            const qm_plan_buf *b = &pl->bufs[i];
            if (b->small && !b->is_output && b->bytes < 4096)
                continue;   /* setBytes at encode time */
            id<MTLBuffer> mb = b->in ? [dev newBufferWithBytes:b->in length:b->bytes options:MTLResourceStorageModeShared]
                                     : [dev newBufferWithLength:b->bytes options:MTLResourceStorageModeShared];
            if (!mb) {
                for (int j = 0; j < i; j++)
                    if (d->bufs[j])
                        CFBridgingRelease(d->bufs[j]);
                CFBridgingRelease(d->ps);
                free(d);
                return qcts_say(QCTS_ERROR, msg, n, "metal: cannot allocate a buffer of %zu bytes", b->bytes);
            }
            if (b->is_output && !b->in)   /* the host's poison, so an element not written stays visible */
                memcpy(mb.contents, b->out, b->bytes);
            d->bufs[i] = (void *)CFBridgingRetain(mb);
        }
        *out = d;
        return QCTS_OK;
    }
}

static qcts_status metal_run(void *dp, char *msg, size_t n)
{
    (void)msg;
    (void)n;
    @autoreleasepool {
        metal_dcall *d = dp;
        const qm_plan *pl = d->pl;
        id<MTLCommandBuffer> cb = [OBJ(id<MTLCommandQueue>, d->ctx->queue) commandBuffer];
        id<MTLComputeCommandEncoder> enc = [cb computeCommandEncoder];
        [enc setComputePipelineState:OBJ(id<MTLComputePipelineState>, d->ps)];
        for (int i = 0; i < pl->nbufs; i++) {
            const qm_plan_buf *b = &pl->bufs[i];
            if (d->bufs[i])
                [enc setBuffer:OBJ(id<MTLBuffer>, d->bufs[i]) offset:0 atIndex:b->index];
            else
                [enc setBytes:b->in length:b->bytes atIndex:b->index];
        }
        for (int i = 0; i < 2; i++)
            if (pl->tg_mem[i])
                [enc setThreadgroupMemoryLength:(pl->tg_mem[i] + 15) / 16 * 16 atIndex:(NSUInteger)i];
        [enc dispatchThreadgroups:MTLSizeMake(pl->groups[0], pl->groups[1], pl->groups[2])
            threadsPerThreadgroup:MTLSizeMake(pl->tg[0], pl->tg[1], pl->tg[2])];
        [enc endEncoding];
        [cb commit];
        if (d->cb)
            CFBridgingRelease(d->cb);
        d->cb = (void *)CFBridgingRetain(cb);
        return QCTS_OK;
    }
}

static qcts_status metal_sync(void *dp, char *msg, size_t n)
{
    @autoreleasepool {
        metal_dcall *d = dp;
        if (!d->cb)
            return QCTS_OK;
        id<MTLCommandBuffer> cb = OBJ(id<MTLCommandBuffer>, d->cb);
        [cb waitUntilCompleted];
        if (cb.status == MTLCommandBufferStatusError) {
            char e[512];
            say_ns(e, sizeof e, "the command buffer failed", cb.error);
            return qcts_say(QCTS_ERROR, msg, n, "metal: %s: %s", d->pl->kernel, e);
        }
        d->gpu_seconds = cb.GPUEndTime - cb.GPUStartTime;
        return QCTS_OK;
    }
}

static qcts_status metal_fetch(void *dp, char *msg, size_t n)
{
    metal_dcall *d = dp;
    qcts_status st = metal_sync(dp, msg, n);
    if (st != QCTS_OK)
        return st;
    for (int i = 0; i < d->pl->nbufs; i++) {
        const qm_plan_buf *b = &d->pl->bufs[i];
        if (b->is_output && d->bufs[i])
            memcpy(b->out, OBJ(id<MTLBuffer>, d->bufs[i]).contents, b->bytes);
    }
    return QCTS_OK;
}

static void metal_release(void *dp)
{
    metal_dcall *d = dp;
    if (!d)
        return;
    if (d->cb) {
        [OBJ(id<MTLCommandBuffer>, d->cb) waitUntilCompleted];
        CFBridgingRelease(d->cb);
    }
    for (int i = 0; i < QM_PLAN_MAX_BUFS; i++)
        if (d->bufs[i])
            CFBridgingRelease(d->bufs[i]);
    CFBridgingRelease(d->ps);
    free(d);
}

const qm_device_ops qm_metal_device = { metal_prepare, metal_run, metal_sync, metal_fetch, metal_release };

/* Copy bandwidth of the device (bytes/s): a blit of 256 MiB between two
 * private buffers, timed by GPUStartTime/GPUEndTime, best of 5: the bench's
 * ceiling for a memory-bound kernel. 0 on failure. */
double qm_metal_copy_bandwidth(void)
{
    @autoreleasepool {
        id<MTLDevice> dev = MTLCreateSystemDefaultDevice();
        if (!dev)
            return 0.0;
        const NSUInteger bytes = 256u << 20;
        id<MTLBuffer> a = [dev newBufferWithLength:bytes options:MTLResourceStorageModePrivate];
        id<MTLBuffer> b = [dev newBufferWithLength:bytes options:MTLResourceStorageModePrivate];
        id<MTLCommandQueue> q = [dev newCommandQueue];
        if (!a || !b || !q)
            return 0.0;
        double best = 0.0;
        for (int i = 0; i < 5; i++) {
            id<MTLCommandBuffer> cb = [q commandBuffer];
            id<MTLBlitCommandEncoder> bl = [cb blitCommandEncoder];
            [bl copyFromBuffer:a sourceOffset:0 toBuffer:b destinationOffset:0 size:bytes];
            [bl endEncoding];
            [cb commit];
            [cb waitUntilCompleted];
            double s = cb.GPUEndTime - cb.GPUStartTime;
            if (cb.status == MTLCommandBufferStatusCompleted && s > 0.0 && 2.0 * (double)bytes / s > best)
                best = 2.0 * (double)bytes / s;   /* read + write */
        }
        return best;
    }
}

/* ---- the `metal` and `metal-fast` backends -------------------------------------------- */

struct qcts_call {
    qm_plan pl;
    void *dcall;
    char variant[300];
};

static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static qm_metal_ctx *ctxs[2];
static char ctx_err[2][512];

static qm_metal_ctx *ctx_for(int fast, char *msg, size_t n)
{
    pthread_mutex_lock(&ctx_lock);
    if (!ctxs[fast] && !ctx_err[fast][0]) {
        ctxs[fast] = qm_metal_ctx_open(NULL, fast, ctx_err[fast], sizeof ctx_err[fast]);
        if (!ctxs[fast] && !ctx_err[fast][0])
            snprintf(ctx_err[fast], sizeof ctx_err[fast], "Metal context failed");
    }
    qm_metal_ctx *c = ctxs[fast];
    if (!c)
        snprintf(msg, n, "%s", ctx_err[fast]);
    pthread_mutex_unlock(&ctx_lock);
    return c;
}

static qcts_status prepare(int fast, qcts_op op, const void *desc, const qcts_buffers *b, qcts_call **call, char *msg,
                           size_t n)
{
    const char *who = fast ? "metal-fast" : "metal";
    *call = NULL;
    char e[512];
    if (!qm_metal_available(e, sizeof e))
        return qcts_say(QCTS_UNAVAILABLE, msg, n, "%s: %s", who, e);
    qm_metal_ctx *c = ctx_for(fast, e, sizeof e);
    if (!c)
        return qcts_say(QCTS_ERROR, msg, n, "%s: %s", who, e);
    qcts_call *k = calloc(1, sizeof *k);
    if (!k)
        return qcts_say(QCTS_ERROR, msg, n, "%s: out of memory", who);
    qcts_status st;
    if (op == QCTS_OP_CONVERT)
        st = qm_plan_convert(desc, b, who, &k->pl, msg, n);
    else if (op == QCTS_OP_DEQUANT)
        st = qm_plan_dequant(desc, b, who, &k->pl, msg, n);
    else
        st = qm_plan_gemm(desc, b, qm_metal_simd_width(c, "qm_gemv"), who, &k->pl, msg, n);
    if (st == QCTS_OK)
        st = qm_metal_device.prepare(c, &k->pl, &k->dcall, msg, n);
    if (st != QCTS_OK) {
        free(k);
        return st;
    }
    snprintf(k->variant, sizeof k->variant, "%.127s [metal, %s]", k->pl.kernel, fast ? "fast-math" : "precise");
    *call = k;
    return QCTS_OK;
}

static qcts_status p_convert(const qcts_convert_desc *d, const qcts_buffers *b, qcts_call **c, char *m, size_t n)
{ return prepare(0, QCTS_OP_CONVERT, d, b, c, m, n); }
static qcts_status p_dequant(const qcts_dequant_desc *d, const qcts_buffers *b, qcts_call **c, char *m, size_t n)
{ return prepare(0, QCTS_OP_DEQUANT, d, b, c, m, n); }
static qcts_status p_gemm(const qcts_gemm_desc *d, const qcts_buffers *b, qcts_call **c, char *m, size_t n)
{ return prepare(0, QCTS_OP_GEMM, d, b, c, m, n); }
static qcts_status f_convert(const qcts_convert_desc *d, const qcts_buffers *b, qcts_call **c, char *m, size_t n)
{ return prepare(1, QCTS_OP_CONVERT, d, b, c, m, n); }
static qcts_status f_dequant(const qcts_dequant_desc *d, const qcts_buffers *b, qcts_call **c, char *m, size_t n)
{ return prepare(1, QCTS_OP_DEQUANT, d, b, c, m, n); }
static qcts_status f_gemm(const qcts_gemm_desc *d, const qcts_buffers *b, qcts_call **c, char *m, size_t n)
{ return prepare(1, QCTS_OP_GEMM, d, b, c, m, n); }

static qcts_status k_run(qcts_call *c, char *m, size_t n) { return qm_metal_device.run(c->dcall, m, n); }
static qcts_status k_sync(qcts_call *c, char *m, size_t n) { return qm_metal_device.sync(c->dcall, m, n); }
static qcts_status k_fetch(qcts_call *c, char *m, size_t n) { return qm_metal_device.fetch(c->dcall, m, n); }
static void k_release(qcts_call *c)
{
    if (c) {
        qm_metal_device.release(c->dcall);
        free(c);
    }
}
static const char *k_variant(const qcts_call *c) { return c ? c->variant : NULL; }
static int k_available(char *why, size_t n) { return qm_metal_available(why, n); }

static const qcts_backend metal_backend = {
    .abi_version = QCTS_BACKEND_ABI_VERSION,
    .struct_size = sizeof(qcts_backend),
    .name = "metal",
    .description = "Apple GPU (Metal), qcts's kernels compiled precise (fast math off): convert, dequant, GEMV, GEMM",
    .flags = QCTS_BACKEND_SERIAL,
    .available = k_available,
    .variant = k_variant,
    .convert = p_convert,
    .dequant = p_dequant,
    .gemm = p_gemm,
    .run = k_run,
    .sync = k_sync,
    .fetch = k_fetch,
    .release = k_release,
};

static const qcts_backend metal_fast_backend = {
    .abi_version = QCTS_BACKEND_ABI_VERSION,
    .struct_size = sizeof(qcts_backend),
    .name = "metal-fast",
    .description = "Apple GPU (Metal), qcts's kernels compiled with fast math (Metal's default)",
    .flags = QCTS_BACKEND_SERIAL,
    .available = k_available,
    .variant = k_variant,
    .convert = f_convert,
    .dequant = f_dequant,
    .gemm = f_gemm,
    .run = k_run,
    .sync = k_sync,
    .fetch = k_fetch,
    .release = k_release,
};

const qcts_backend *qcts_backend_metal_entry(void) { return &metal_backend; }
const qcts_backend *qcts_backend_metal_fast_entry(void) { return &metal_fast_backend; }
