/* qcu-gemv-sweep: a development tool (not part of qcts, never in CI's
 * verdicts): times every GEMV kernel version/configuration of
 * gemv_fast.cu on the bench's W4/FP8 shapes in one short device call, so a
 * lease need not pay `qcts bench`'s ref pre-check (~9 s of CPU per scheme
 * and shape) for each candidate. Weights are random codes with scales in a
 * narrow range (values never Inf/NaN), rotated over copies > 3x the L2;
 * each kernel's output is compared with v1's (relative L2 difference; the
 * verdicts on correctness are `qcts check` and the bench's pre-check, this
 * only catches a broken candidate). Prints one line per kernel: median us,
 * GB/s of weight bytes, % of the device-to-device copy bandwidth.
 *   qcu-gemv-sweep [reps]   */
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <algorithm>
#include <vector>

#include "kernels/cuda/cuda_api.h"
#include "kernels/cuda/cuda_internal.h"

#define CK(x)                                                                              \
    do {                                                                                   \
        cudaError_t e_ = (x);                                                              \
        if (e_ != cudaSuccess) {                                                           \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

static unsigned long long rng = 0x9E3779B97F4A7C15ull;
static unsigned rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng >> 16);
}

static unsigned short f16_bits(float f)   /* small positive normals only */
{
    unsigned u;
    memcpy(&u, &f, 4);
    int e = (int)((u >> 23) & 255) - 127 + 15;
    return (unsigned short)((e << 10) | ((u >> 13) & 1023));
}

struct fmt { const char *name; int kind; };
static const fmt fmts[] = { { "fp4_g128_f16", 1 }, { "int4_sym_g128", 2 }, { "mxfp4", 3 }, { "gguf_q4_0", 4 },
                            { "fp8_e4m3_per_channel", 5 } };

/* Host image of one tensor: codes then scales, as qcu_tensor wants. */
static std::vector<unsigned char> make(int kind, long long N, long long K, qcu_tensor &t)
{
    memset(&t, 0, sizeof t);
    t.rows = N, t.cols = K, t.vcols = K;
    long long rb, sb;
    if (kind == 4) {
        rb = K / 32 * 18, sb = 0;
        t.gguf_qk = 32, t.gguf_bytes = 18;
    } else if (kind == 5) {
        rb = K, sb = 4 * N;
    } else {
        rb = K / 2;
        t.glen = kind == 3 ? 32 : 128;
        t.gpr = K / t.glen;
        sb = N * t.gpr * (kind == 3 ? 1 : 2);
    }
    t.row_bytes = rb;
    t.off_scales = N * rb;
    t.total = N * rb + sb;
    std::vector<unsigned char> h((size_t)t.total);
    for (auto &x : h)
        x = (unsigned char)rnd();
    if (kind == 4)
        for (long long r = 0; r < N; r++)
            for (long long b = 0; b < K / 32; b++) {
                unsigned short d = f16_bits(0.5f + (rnd() % 1000) / 2000.0f);
                memcpy(&h[(size_t)(r * rb + b * 18)], &d, 2);
            }
    if (kind == 5)
        for (long long i = 0; i < (long long)h.size(); i++)
            if (i < N * rb && (h[i] & 0x7F) == 0x7F)
                h[i] &= 0xFE;   /* no NaN codes */
    unsigned char *s = &h[(size_t)t.off_scales];
    if (kind == 1 || kind == 2)
        for (long long i = 0; i < N * t.gpr; i++) {
            unsigned short v = f16_bits(0.5f + (rnd() % 1000) / 2000.0f);
            memcpy(s + 2 * i, &v, 2);
        }
    if (kind == 3)
        for (long long i = 0; i < N * t.gpr; i++)
            s[i] = (unsigned char)(120 + rnd() % 8);
    if (kind == 5)
        for (long long i = 0; i < N; i++) {
            float v = 0.001f + (rnd() % 1000) * 1e-6f;
            memcpy(s + 4 * i, &v, 4);
        }
    return h;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 30;
    char why[512];
    if (!qcu_device_ok(why, sizeof why)) {
        fprintf(stderr, "qcu-gemv-sweep: %s\n", why);
        return 1;
    }
    printf("device: %s\n", qcu_device_name());
    double copy = 0, spread = 0;
    if (qcu_copy_gbs((size_t)512 << 20, 10, &copy, &spread, why, sizeof why) != 0) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    printf("copy bandwidth: %.0f GB/s (read + written)\n", copy);
    int R[32], U[32], S[32];
    int ncfg = qcu_gemv_nconfigs(R, U, S, 32);
    size_t l2 = qcu_device_l2();
    const long long shapes[2][2] = { { 14336, 4096 }, { 4096, 14336 } };
    cudaStream_t st = qcu_stream();
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    printf("%-22s %-12s %-14s %9s %8s %7s %10s\n", "format", "NxK", "kernel", "us", "GB/s", "%copy", "rel.diff");
    for (const fmt &f : fmts)
        for (auto &sh : shapes) {
            long long N = sh[0], K = sh[1];
            qcu_tensor t;
            std::vector<unsigned char> h = make(f.kind, N, K, t);
            int copies = (int)(3 * l2 / h.size()) + 2;
            std::vector<void *> dw(copies);
            for (int c = 0; c < copies; c++) {
                CK(cudaMalloc(&dw[c], h.size()));
                CK(cudaMemcpy(dw[c], h.data(), h.size(), cudaMemcpyHostToDevice));
            }
            std::vector<float> a((size_t)K);
            for (auto &x : a)
                x = ((int)(rnd() % 2001) - 1000) / 997.0f;
            float *da, *dy;
            CK(cudaMalloc(&da, K * 4));
            CK(cudaMalloc(&dy, N * 4));
            CK(cudaMemcpy(da, a.data(), K * 4, cudaMemcpyHostToDevice));
            qcu_gemm g;
            memset(&g, 0, sizeof g);
            g.batch = 1, g.M = 1, g.N = N, g.K = K;
            g.a = da, g.y = dy;
            g.w = t;
            std::vector<float> y1((size_t)N), yv((size_t)N);
            long long wbytes = t.off_scales + (t.total - t.off_scales);
            for (int v = 1; v <= 3; v++)
                for (int cfg = 0; cfg < (v == 3 ? ncfg : 1); cfg++) {
                    auto launch = [&](int c) {
                        g.w.codes = (const uint8_t *)dw[c];
                        g.w.scales = (const uint8_t *)dw[c] + t.off_scales;
                        if (qcu_launch_gemv_variant(&g, f.kind, v, cfg, why, sizeof why) != 0) {
                            fprintf(stderr, "%s\n", why);
                            exit(1);
                        }
                    };
                    CK(cudaMemset(dy, 0xFF, N * 4));
                    launch(0);
                    CK(cudaStreamSynchronize(st));
                    CK(cudaGetLastError());
                    CK(cudaMemcpy(v == 1 ? y1.data() : yv.data(), dy, N * 4, cudaMemcpyDeviceToHost));
                    double num = 0, den = 0;
                    if (v > 1) {
                        for (long long i = 0; i < N; i++) {
                            double d = (double)yv[i] - y1[i];
                            num += d * d, den += (double)y1[i] * y1[i];
                        }
                        if (!(num == num))
                            num = 1e300;
                    }
                    std::vector<float> ms;
                    int inner = 20;
                    for (int i = 0; i < 3; i++)
                        launch(i % copies);
                    for (int r = 0; r < reps; r++) {
                        CK(cudaEventRecord(e0, st));
                        for (int i = 0; i < inner; i++)
                            launch((r * inner + i) % copies);
                        CK(cudaEventRecord(e1, st));
                        CK(cudaEventSynchronize(e1));
                        float x;
                        CK(cudaEventElapsedTime(&x, e0, e1));
                        ms.push_back(x / inner);
                    }
                    std::sort(ms.begin(), ms.end());
                    double us = ms[ms.size() / 2] * 1e3, gbs = wbytes / (us * 1e-6) * 1e-9;
                    char kn[32];
                    if (v == 3)
                        snprintf(kn, sizeof kn, "v3 R%dU%dS%d", R[cfg], U[cfg], S[cfg]);
                    else
                        snprintf(kn, sizeof kn, "v%d", v);
                    printf("%-22s %5lldx%-6lld %-14s %9.2f %8.0f %6.1f%% %10.2e\n", f.name, N, K, kn, us, gbs,
                           100 * gbs / copy, v > 1 ? sqrt(num / (den > 0 ? den : 1)) : 0.0);
                    fflush(stdout);
                }
            for (void *p : dw)
                cudaFree(p);
            cudaFree(da);
            cudaFree(dy);
        }
    return 0;
}
