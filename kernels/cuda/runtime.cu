/* Device, memory, the stream and events (cuda_api.h). The CUDA runtime is
 * linked statically (libcudart_static): qcts needs no libcudart.so, and on
 * a machine without a driver or a GPU cudaGetDeviceCount fails and the
 * backend says why (UNAVAILABLE). */
#include <cuda_runtime.h>
#include <pthread.h>
#include <stdio.h>

#include "kernels/cuda/cuda_api.h"
#include "kernels/cuda/cuda_internal.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int dev_ok;
static char dev_why[512];
static char dev_name[512];
static cudaStream_t stream;

static void init(void)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        snprintf(dev_why, sizeof dev_why, "no usable CUDA device: cudaGetDeviceCount: %s (%s)", cudaGetErrorString(e),
                 cudaGetErrorName(e));
        return;
    }
    if (count < 1) {
        snprintf(dev_why, sizeof dev_why, "no CUDA device: cudaGetDeviceCount found 0");
        return;
    }
    cudaDeviceProp p;
    if ((e = cudaGetDeviceProperties(&p, 0)) != cudaSuccess || (e = cudaSetDevice(0)) != cudaSuccess ||
        (e = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking)) != cudaSuccess) {
        snprintf(dev_why, sizeof dev_why, "CUDA device 0 cannot be used: %s", cudaGetErrorString(e));
        return;
    }
    if (p.major < 8) {
        snprintf(dev_why, sizeof dev_why, "CUDA device %s is sm_%d%d; qcts's CUDA kernels are built for sm_80 and sm_90",
                 p.name, p.major, p.minor);
        return;
    }
    snprintf(dev_name, sizeof dev_name, "%s (sm_%d%d, %d SMs, %d MiB L2)", p.name, p.major, p.minor,
             p.multiProcessorCount, p.l2CacheSize >> 20);
    dev_ok = 1;
}

extern "C" int qcu_device_ok(char *why, size_t n)
{
    pthread_once(&once, init);
    if (!dev_ok && why && n)
        snprintf(why, n, "%s", dev_why);
    return dev_ok;
}

extern "C" const char *qcu_device_name(void)
{
    pthread_once(&once, init);
    return dev_name;
}

cudaStream_t qcu_stream(void) { return stream; }

int qcu_fail(cudaError_t e, const char *what, char *why, size_t n)
{
    if (e == cudaSuccess)
        return 0;
    if (why && n)
        snprintf(why, n, "cuda: %s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
    return -1;
}

extern "C" void *qcu_malloc(size_t bytes, char *why, size_t n)
{
    void *p = NULL;
    if (qcu_fail(cudaMalloc(&p, bytes ? bytes : 1), "cudaMalloc", why, n))
        return NULL;
    return p;
}

extern "C" void qcu_free(void *p)
{
    if (p)
        cudaFree(p);
}

extern "C" int qcu_h2d(void *dst, const void *src, size_t bytes, char *why, size_t n)
{
    if (!bytes)
        return 0;
    if (qcu_fail(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream), "cudaMemcpy (to the device)", why, n))
        return -1;
    return qcu_fail(cudaStreamSynchronize(stream), "cudaStreamSynchronize after a copy to the device", why, n);
}

extern "C" int qcu_d2h(void *dst, const void *src, size_t bytes, char *why, size_t n)
{
    if (!bytes)
        return 0;
    if (qcu_fail(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream), "cudaMemcpy (to the host)", why, n))
        return -1;
    return qcu_fail(cudaStreamSynchronize(stream), "cudaStreamSynchronize after a copy to the host", why, n);
}

extern "C" void *qcu_event_new(char *why, size_t n)
{
    cudaEvent_t ev;
    if (qcu_fail(cudaEventCreate(&ev), "cudaEventCreate", why, n))
        return NULL;
    return (void *)ev;
}

extern "C" void qcu_event_free(void *ev)
{
    if (ev)
        cudaEventDestroy((cudaEvent_t)ev);
}

extern "C" int qcu_event_record(void *ev, char *why, size_t n)
{
    return qcu_fail(cudaEventRecord((cudaEvent_t)ev, stream), "cudaEventRecord", why, n);
}

extern "C" int qcu_event_sync(void *ev, char *why, size_t n)
{
    return qcu_fail(cudaEventSynchronize((cudaEvent_t)ev), "cudaEventSynchronize (a kernel failed?)", why, n);
}

extern "C" int qcu_event_ms(void *a, void *b, float *ms, char *why, size_t n)
{
    return qcu_fail(cudaEventElapsedTime(ms, (cudaEvent_t)a, (cudaEvent_t)b), "cudaEventElapsedTime", why, n);
}
