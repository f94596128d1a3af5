// kernels_cpu.cpp — the .metal sources of kernels/metal/msl compiled for
// the CPU (through shim/metal_stdlib) and one thunk per kernel: it binds
// the argument table and the thread's attribute values to the MSL
// function's parameters, index for index as the Metal host binds them
// (qm_abi.h; the Marlin-interface kernel's fixed indices 0-7).
// Built with clang++ (ext_vector_type), without exceptions or RTTI, so
// qcts links it with its C compiler and no C++ runtime.
#include <metal_stdlib>

#include "qm_dequant.metal"
#include "qm_gemv.metal"
#include "qm_gemm.metal"
#include "qm_convert.metal"
#include "qm_marlin_iface.metal"
#include "kernels/metal/cpu/selftest.metal"

namespace {

uint3 v3(const uint32_t *p)
{
    uint3 v;
    v.x = p[0];
    v.y = p[1];
    v.z = p[2];
    return v;
}

uint2 v2(const uint32_t *p)
{
    uint2 v;
    v.x = p[0];
    v.y = p[1];
    return v;
}

template <typename T> T buf(const mcpu_args *a, int i) { return (T)a->buffers[i]; }

void th_qm_dequant(const mcpu_args *a, const mcpu_thread *t)
{
    qm_dequant(*buf<const qm_params *>(a, QM_BUF_PARAMS), buf<const uchar *>(a, QM_BUF_W),
               buf<const uint *>(a, QM_BUF_AUX), buf<uchar *>(a, QM_BUF_OUT), v3(t->tpig));
}

void th_qm_gemv(const mcpu_args *a, const mcpu_thread *t)
{
    qm_gemv(*buf<const qm_params *>(a, QM_BUF_PARAMS), buf<const uchar *>(a, QM_BUF_W),
            buf<const uint *>(a, QM_BUF_AUX), buf<const uchar *>(a, QM_BUF_A), buf<const float *>(a, QM_BUF_BIAS),
            buf<uchar *>(a, QM_BUF_OUT), v3(t->tgpig), t->sgitg, t->tiisg, t->tpsg);
}

void th_qm_gemm(const mcpu_args *a, const mcpu_thread *t)
{
    qm_gemm(*buf<const qm_params *>(a, QM_BUF_PARAMS), buf<const uchar *>(a, QM_BUF_W),
            buf<const uint *>(a, QM_BUF_AUX), buf<const uchar *>(a, QM_BUF_A), buf<const float *>(a, QM_BUF_BIAS),
            buf<uchar *>(a, QM_BUF_OUT), (volatile float *)a->tg_mem[0], (volatile float *)a->tg_mem[1], v3(t->tgpig), v3(t->tpitg));
}

void th_qm_convert_decode(const mcpu_args *a, const mcpu_thread *t)
{
    qm_convert_decode(*buf<const qm_convert_params *>(a, QM_BUF_PARAMS), buf<const uchar *>(a, QM_BUF_W),
                      buf<float *>(a, QM_BUF_OUT), v3(t->tpig));
}

void th_qm_marlin_gemm_fp4(const mcpu_args *a, const mcpu_thread *t)
{
    qm_marlin_gemm_fp4(buf<const half *>(a, 0), buf<const uint *>(a, 1), buf<const half *>(a, 2),
                       buf<half *>(a, 3), *buf<const uint *>(a, 4), *buf<const uint *>(a, 5),
                       *buf<const uint *>(a, 6), *buf<const uint *>(a, 7), v2(t->tpig));
}

void th_qm_convert_encode(const mcpu_args *a, const mcpu_thread *t)
{
    qm_convert_encode(*buf<const qm_convert_params *>(a, QM_BUF_PARAMS), buf<const float *>(a, QM_BUF_W),
                      buf<uchar *>(a, QM_BUF_OUT), buf<uchar *>(a, QM_BUF_STATUS), v3(t->tpig));
}

// selftest.metal: the executor's own tests
void th_reverse(const mcpu_args *a, const mcpu_thread *t)
{
    mcpu_test_reverse(buf<uint *>(a, 0), (volatile uint *)a->tg_mem[0], t->tiitg, t->ntg[0] * t->ntg[1] * t->ntg[2],
                      t->tpig[0]);
}

void th_reverse_nobarrier(const mcpu_args *a, const mcpu_thread *t)
{
    mcpu_test_reverse_nobarrier(buf<uint *>(a, 0), (volatile uint *)a->tg_mem[0], t->tiitg,
                                t->ntg[0] * t->ntg[1] * t->ntg[2], t->tpig[0]);
}

void th_divergent(const mcpu_args *a, const mcpu_thread *t) { mcpu_test_barrier_divergent(buf<uint *>(a, 0), t->tiitg); }

void th_simd(const mcpu_args *a, const mcpu_thread *t)
{
    mcpu_test_simd(buf<float *>(a, 0), buf<float *>(a, 1), t->tiitg, t->tiisg);
}

void th_types(const mcpu_args *a, const mcpu_thread *t)
{
    mcpu_test_types(buf<const float *>(a, 0), buf<float *>(a, 1), buf<uint *>(a, 2), t->tpig[0]);
}

const mcpu_kernel kernels[] = {
    { "qm_dequant", "qm_dequant.metal", th_qm_dequant },
    { "qm_gemv", "qm_gemv.metal", th_qm_gemv },
    { "qm_gemm", "qm_gemm.metal", th_qm_gemm },
    { "qm_convert_decode", "qm_convert.metal", th_qm_convert_decode },
    { "qm_convert_encode", "qm_convert.metal", th_qm_convert_encode },
    { "qm_marlin_gemm_fp4", "qm_marlin_iface.metal", th_qm_marlin_gemm_fp4 },
    { "mcpu_test_reverse", "selftest.metal", th_reverse },
    { "mcpu_test_reverse_nobarrier", "selftest.metal", th_reverse_nobarrier },
    { "mcpu_test_barrier_divergent", "selftest.metal", th_divergent },
    { "mcpu_test_simd", "selftest.metal", th_simd },
    { "mcpu_test_types", "selftest.metal", th_types },
};

} // namespace

extern "C" const mcpu_kernel *mcpu_kernel_find(const char *name)
{
    for (const mcpu_kernel &k : kernels)
        if (name && strcmp(k.name, name) == 0)
            return &k;
    return NULL;
}

extern "C" size_t mcpu_kernel_count(void) { return sizeof kernels / sizeof kernels[0]; }

extern "C" const mcpu_kernel *mcpu_kernel_at(size_t i) { return i < mcpu_kernel_count() ? &kernels[i] : NULL; }
