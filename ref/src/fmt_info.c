/* The table of element formats, and name lookups for formats, conventions
 * and modes. */
#include <ctype.h>
#include <string.h>

#include "qref/fmt.h"


static const qref_fmt_info infos[QREF_FMT_COUNT] = {
    { QREF_FMT_F32, "f32", "fp32,float32", "IEEE binary32", QREF_KIND_FLOAT, 32, 1, 8, 23, 127,
      0x7F7FFFFFu, 3.40282347e38f, -3.40282347e38f, 0x1p-126f, 0x1p-149f,
      "0x7F800000, 0xFF800000", "exponent 0xFF with mantissa != 0" },
    { QREF_FMT_F16, "f16", "fp16,float16,half", "IEEE binary16", QREF_KIND_FLOAT, 16, 1, 5, 10, 15,
      0x7BFFu, 65504.0f, -65504.0f, 0x1p-14f, 0x1p-24f,
      "0x7C00, 0xFC00", "0x7C01-0x7FFF, 0xFC01-0xFFFF" },
    { QREF_FMT_BF16, "bf16", "bfloat16", "bfloat16 (top half of binary32)", QREF_KIND_FLOAT, 16, 1, 8, 7, 127,
      0x7F7Fu, 3.38953139e38f, -3.38953139e38f, 0x1p-126f, 0x1p-133f,
      "0x7F80, 0xFF80", "0x7F81-0x7FFF, 0xFF81-0xFFFF" },
    { QREF_FMT_E4M3, "e4m3", "fp8_e4m3,float8_e4m3fn,e4m3fn", "OCP FP8 E4M3 (fn: no Inf)", QREF_KIND_FLOAT, 8, 1, 4, 3, 7,
      0x7Eu, 448.0f, -448.0f, 0x1p-6f, 0x1p-9f, "none", "0x7F, 0xFF" },
    { QREF_FMT_E5M2, "e5m2", "fp8_e5m2,float8_e5m2", "OCP FP8 E5M2", QREF_KIND_FLOAT, 8, 1, 5, 2, 15,
      0x7Bu, 57344.0f, -57344.0f, 0x1p-14f, 0x1p-16f, "0x7C, 0xFC", "0x7D-0x7F, 0xFD-0xFF" },
    { QREF_FMT_E2M1, "e2m1", "fp4,fp4_e2m1,float4_e2m1fn", "OCP FP4 E2M1", QREF_KIND_FLOAT, 4, 1, 2, 1, 1,
      0x7u, 6.0f, -6.0f, 1.0f, 0.5f, "none", "none" },
    { QREF_FMT_E2M3, "e2m3", "fp6_e2m3,float6_e2m3fn", "OCP FP6 E2M3", QREF_KIND_FLOAT, 6, 1, 2, 3, 1,
      0x1Fu, 7.5f, -7.5f, 1.0f, 0.125f, "none", "none" },
    { QREF_FMT_E3M2, "e3m2", "fp6_e3m2,float6_e3m2fn", "OCP FP6 E3M2", QREF_KIND_FLOAT, 6, 1, 3, 2, 3,
      0x1Fu, 28.0f, -28.0f, 0.25f, 0.0625f, "none", "none" },
    { QREF_FMT_E8M0, "e8m0", "float8_e8m0fnu,ue8m0", "OCP MX scale: 2^(code-127)", QREF_KIND_SCALE, 8, 0, 8, 0, 127,
      0xFEu, 0x1p127f, 0x1p-127f, 0x1p-127f, 0x1p-127f, "none", "0xFF" },
    { QREF_FMT_INT8, "int8", "i8,s8", "signed 8-bit integer", QREF_KIND_INT, 8, 1, 0, 0, 0,
      0x7Fu, 127.0f, -128.0f, 0, 1.0f, "none", "none" },
    { QREF_FMT_UINT8, "uint8", "u8", "unsigned 8-bit integer", QREF_KIND_INT, 8, 0, 0, 0, 0,
      0xFFu, 255.0f, 0.0f, 0, 1.0f, "none", "none" },
    { QREF_FMT_INT4, "int4", "i4,s4", "signed 4-bit integer", QREF_KIND_INT, 4, 1, 0, 0, 0,
      0x7u, 7.0f, -8.0f, 0, 1.0f, "none", "none" },
    { QREF_FMT_UINT4, "uint4", "u4", "unsigned 4-bit integer", QREF_KIND_INT, 4, 0, 0, 0, 0,
      0xFu, 15.0f, 0.0f, 0, 1.0f, "none", "none" },
    { QREF_FMT_INT3, "int3", "i3,s3", "signed 3-bit integer", QREF_KIND_INT, 3, 1, 0, 0, 0,
      0x3u, 3.0f, -4.0f, 0, 1.0f, "none", "none" },
    { QREF_FMT_UINT3, "uint3", "u3", "unsigned 3-bit integer", QREF_KIND_INT, 3, 0, 0, 0, 0,
      0x7u, 7.0f, 0.0f, 0, 1.0f, "none", "none" },
    { QREF_FMT_INT2, "int2", "i2,s2", "signed 2-bit integer", QREF_KIND_INT, 2, 1, 0, 0, 0,
      0x1u, 1.0f, -2.0f, 0, 1.0f, "none", "none" },
    { QREF_FMT_UINT2, "uint2", "u2", "unsigned 2-bit integer", QREF_KIND_INT, 2, 0, 0, 0, 0,
      0x3u, 3.0f, 0.0f, 0, 1.0f, "none", "none" },
    { QREF_FMT_NF4, "nf4", "normalfloat4", "NormalFloat4 (bitsandbytes table)", QREF_KIND_CODEBOOK, 4, 1, 0, 0, 0,
      0xFu, 1.0f, -1.0f, 0, 0.07958029955625534f, "none", "none" },
    { QREF_FMT_NF3, "nf3", "normalfloat3", "NormalFloat3 (SINQ table)", QREF_KIND_CODEBOOK, 3, 1, 0, 0, 0,
      0x7u, 1.0f, -1.0f, 0, 0.1833375245332718f, "none", "none" },
    { QREF_FMT_NF2, "nf2", "normalfloat2", "NormalFloat2 (qcts: quantile rule, k=2)", QREF_KIND_CODEBOOK, 2, 1, 0, 0, 0,
      0x3u, 1.0f, -1.0f, 0, 0.4358180761f, "none", "none" },
};

/* Conventions, in qref_conv order. "upstream" names the releases whose
 * behaviour the convention models, checked with tests/python (ml_dtypes,
 * torch) or read from the source (CUDA, ggml); ref/README.md has the
 * table and how each was checked. */
static const qref_conv_info convs[QREF_CONV_COUNT] = {
    { QREF_CONV_OCP, "ocp", "", "OCP MX v1.0 / IEEE 754 (no library)",
      "qcts default: RNE everywhere; FP8 saturates; NaN into a NaN-less format is an error" },
    { QREF_CONV_ML_DTYPES, "ml_dtypes_0_6", "ml_dtypes", "ml_dtypes 0.5.1 - 0.6.0 (numpy 2.x)",
      "jax-ml/ml_dtypes numpy casts; E8M0 ties up" },
    { QREF_CONV_TORCH, "torch", "", "torch 2.0.0 - 2.12.1 CPU",
      "PyTorch CPU tensor casts (Tensor.to)" },
    { QREF_CONV_CUDA_SATFINITE, "cuda_satfinite", "", "CUDA 13",
      "cuda_fp8/fp6/fp4/bf16/fp16 intrinsics, __NV_SATFINITE" },
    { QREF_CONV_CUDA_NOSAT, "cuda_nosat", "", "CUDA 13",
      "cuda_fp8/fp6/fp4/bf16/fp16 intrinsics, __NV_NOSAT" },
    { QREF_CONV_GGML, "ggml", "", "ggml-org/ggml (llama.cpp)",
      "ggml scalar code" },
    { QREF_CONV_ML_DTYPES_0_7, "ml_dtypes_0_7", "", "ml_dtypes 0.7.0 (numpy 2.x)",
      "jax-ml/ml_dtypes numpy casts; E8M0 rounds float32 subnormals by value" },
    { QREF_CONV_ML_DTYPES_0_5_0, "ml_dtypes_0_5_0", "", "ml_dtypes 0.5.0 (numpy 2.x)",
      "jax-ml/ml_dtypes numpy casts; E8M0 ties to even" },
    { QREF_CONV_TORCH_2_15, "torch_2_15", "", "torch 2.13.0 - 2.15.0 CPU",
      "PyTorch CPU tensor casts (Tensor.to); E4M3 saturates" },
};

static const char *const mode_names[] = { "default", "sat", "nosat" };

static int name_eq(const char *a, const char *b, size_t blen)
{
    size_t i = 0;
    for (; i < blen && a[i]; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return 0;
    return i == blen && a[i] == '\0';
}

/* Matches name against "x" or any entry of a comma-separated list. */
static int name_in_list(const char *name, const char *list)
{
    while (*list) {
        const char *end = strchr(list, ',');
        size_t len = end ? (size_t)(end - list) : strlen(list);
        if (name_eq(name, list, len))
            return 1;
        if (!end)
            break;
        list = end + 1;
    }
    return 0;
}

const qref_fmt_info *qref_fmt_get(qref_fmt f)
{
    return (unsigned)f < QREF_FMT_COUNT ? &infos[f] : NULL;
}

qref_status qref_fmt_from_name(const char *name, qref_fmt *out)
{
    if (!name || !out)
        return QREF_ERR_ARG;
    for (unsigned i = 0; i < QREF_FMT_COUNT; i++) {
        if (name_in_list(name, infos[i].name) || name_in_list(name, infos[i].aliases)) {
            *out = (qref_fmt)i;
            return QREF_OK;
        }
    }
    return QREF_ERR_ARG;
}

const qref_conv_info *qref_conv_get(qref_conv c)
{
    return (unsigned)c < QREF_CONV_COUNT ? &convs[c] : NULL;
}

const char *qref_conv_name(qref_conv c)
{
    return (unsigned)c < QREF_CONV_COUNT ? convs[c].name : NULL;
}

int qref_conv_is_ml_dtypes(qref_conv c)
{
    return c == QREF_CONV_ML_DTYPES || c == QREF_CONV_ML_DTYPES_0_7 || c == QREF_CONV_ML_DTYPES_0_5_0;
}

int qref_conv_is_torch(qref_conv c)
{
    return c == QREF_CONV_TORCH || c == QREF_CONV_TORCH_2_15;
}

qref_status qref_conv_from_name(const char *name, qref_conv *out)
{
    if (!name || !out)
        return QREF_ERR_ARG;
    for (unsigned i = 0; i < QREF_CONV_COUNT; i++) {
        if (name_in_list(name, convs[i].name) || name_in_list(name, convs[i].aliases)) {
            *out = (qref_conv)i;
            return QREF_OK;
        }
    }
    return QREF_ERR_ARG;
}

const char *qref_mode_name(qref_mode m)
{
    return (unsigned)m < 3 ? mode_names[m] : NULL;
}

qref_status qref_mode_from_name(const char *name, qref_mode *out)
{
    if (!name || !out)
        return QREF_ERR_ARG;
    for (unsigned i = 0; i < 3; i++) {
        if (name_in_list(name, mode_names[i])) {
            *out = (qref_mode)i;
            return QREF_OK;
        }
    }
    return QREF_ERR_ARG;
}

qref_status qref_mode_resolve(qref_fmt f, qref_conv c, qref_mode req, qref_mode *eff)
{
    if ((unsigned)f >= QREF_FMT_COUNT || (unsigned)c >= QREF_CONV_COUNT || (unsigned)req > 2 || !eff)
        return QREF_ERR_ARG;
    qref_mode fixed = QREF_MODE_DEFAULT, dflt;
    switch (f) {
    case QREF_FMT_E4M3:
    case QREF_FMT_E5M2:
    case QREF_FMT_E8M0:
        switch (c) {
        case QREF_CONV_ML_DTYPES:
        case QREF_CONV_ML_DTYPES_0_7:
        case QREF_CONV_ML_DTYPES_0_5_0:
        case QREF_CONV_TORCH:
        case QREF_CONV_CUDA_NOSAT:
            fixed = QREF_MODE_NOSAT;
            break;
        case QREF_CONV_CUDA_SATFINITE:
            fixed = QREF_MODE_SAT;
            break;
        case QREF_CONV_TORCH_2_15:   /* 2.15 saturates E4M3 only */
            fixed = f == QREF_FMT_E4M3 ? QREF_MODE_SAT : QREF_MODE_NOSAT;
            break;
        default:
            break;
        }
        /* ocp: FP8 saturates by default (the quantizer rule of FORMATS.md
         * Part A); E8M0 saturates finite overflow to 0xFE by default. */
        dflt = QREF_MODE_SAT;
        break;
    case QREF_FMT_F32:
    case QREF_FMT_F16:
    case QREF_FMT_BF16:
        fixed = QREF_MODE_NOSAT;
        dflt = QREF_MODE_NOSAT;
        break;
    default:
        fixed = QREF_MODE_SAT;
        dflt = QREF_MODE_SAT;
        break;
    }
    if (fixed != QREF_MODE_DEFAULT) {
        if (req != QREF_MODE_DEFAULT && req != fixed)
            return QREF_ERR_MODE;
        *eff = fixed;
        return QREF_OK;
    }
    *eff = req == QREF_MODE_DEFAULT ? dflt : req;
    return QREF_OK;
}
