/* safetensors: dtype and status tables, message helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "st_impl.h"

static const struct { const char *name; unsigned bits; } dtypes[QCTS_ST_DTYPE_COUNT] = {
    [QCTS_ST_BOOL]        = { "BOOL", 8 },
    [QCTS_ST_F4]          = { "F4", 4 },
    [QCTS_ST_F6_E2M3]     = { "F6_E2M3", 6 },
    [QCTS_ST_F6_E3M2]     = { "F6_E3M2", 6 },
    [QCTS_ST_U8]          = { "U8", 8 },
    [QCTS_ST_I8]          = { "I8", 8 },
    [QCTS_ST_F8_E5M2]     = { "F8_E5M2", 8 },
    [QCTS_ST_F8_E4M3]     = { "F8_E4M3", 8 },
    [QCTS_ST_F8_E8M0]     = { "F8_E8M0", 8 },
    [QCTS_ST_F8_E4M3FNUZ] = { "F8_E4M3FNUZ", 8 },
    [QCTS_ST_F8_E5M2FNUZ] = { "F8_E5M2FNUZ", 8 },
    [QCTS_ST_I16]         = { "I16", 16 },
    [QCTS_ST_U16]         = { "U16", 16 },
    [QCTS_ST_F16]         = { "F16", 16 },
    [QCTS_ST_BF16]        = { "BF16", 16 },
    [QCTS_ST_I32]         = { "I32", 32 },
    [QCTS_ST_U32]         = { "U32", 32 },
    [QCTS_ST_F32]         = { "F32", 32 },
    [QCTS_ST_C64]         = { "C64", 64 },
    [QCTS_ST_F64]         = { "F64", 64 },
    [QCTS_ST_I64]         = { "I64", 64 },
    [QCTS_ST_U64]         = { "U64", 64 },
};

qcts_st_dtype qcts_st_dtype_from_name(const char *name)
{
    if (!name)
        return QCTS_ST_DTYPE_INVALID;
    for (int d = 0; d < QCTS_ST_DTYPE_COUNT; d++)
        if (strcmp(name, dtypes[d].name) == 0)
            return (qcts_st_dtype)d;
    return QCTS_ST_DTYPE_INVALID;
}

const char *qcts_st_dtype_name(qcts_st_dtype d)
{
    return (unsigned)d < QCTS_ST_DTYPE_COUNT ? dtypes[d].name : NULL;
}

unsigned qcts_st_dtype_bits(qcts_st_dtype d)
{
    return (unsigned)d < QCTS_ST_DTYPE_COUNT ? dtypes[d].bits : 0;
}

static const char *const status_names[QCTS_ST_STATUS_COUNT] = {
    [QCTS_ST_OK]                   = "ok",
    [QCTS_ST_ERR_ARG]              = "bad_argument",
    [QCTS_ST_ERR_NOMEM]            = "out_of_memory",
    [QCTS_ST_ERR_IO]               = "io_error",
    [QCTS_ST_ERR_TOO_SMALL]        = "file_too_small",
    [QCTS_ST_ERR_HEADER_TOO_LARGE] = "header_too_large",
    [QCTS_ST_ERR_HEADER_LENGTH]    = "bad_header_length",
    [QCTS_ST_ERR_UTF8]             = "bad_utf8",
    [QCTS_ST_ERR_HEADER_START]     = "bad_header_start",
    [QCTS_ST_ERR_JSON]             = "bad_json",
    [QCTS_ST_ERR_DTYPE]            = "unknown_dtype",
    [QCTS_ST_ERR_METADATA]         = "bad_metadata",
    [QCTS_ST_ERR_DUPLICATE]        = "duplicate_name",
    [QCTS_ST_ERR_OFFSETS]          = "bad_offsets",
    [QCTS_ST_ERR_OVERFLOW]         = "size_overflow",
    [QCTS_ST_ERR_MISALIGNED]       = "misaligned_slice",
    [QCTS_ST_ERR_SIZE]             = "bad_size",
    [QCTS_ST_ERR_INCOMPLETE]       = "incomplete_buffer",
    [QCTS_ST_ERR_NAME]             = "reserved_name",
    [QCTS_ST_ERR_UNSUPPORTED]      = "unsupported",
};

const char *qcts_st_status_name(qcts_st_status s)
{
    return (unsigned)s < QCTS_ST_STATUS_COUNT ? status_names[s] : "unknown_status";
}

void st_msg(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Length of the valid UTF-8 sequence starting at s[0] (n bytes available),
 * or 0 when it is invalid. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;      /* no overlong */
        if (c == 0xED) hi = 0x9F;      /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;      /* no overlong */
        if (c == 0xF4) hi = 0x8F;      /* <= U+10FFFF */
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

size_t st_utf8_check(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t l = utf8_seq(s + i, n - i);
        if (l == 0)
            return i;
        i += l;
    }
    return n;
}

char *st_quote(char *dst, size_t cap, const char *name)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, n = strlen(name);
    const uint8_t *s = (const uint8_t *)name;
    if (cap == 0)
        return dst;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(s + i, n - i);
        int esc = l == 0 || s[i] < 0x20 || s[i] == 0x7F;
        size_t need = esc ? 4 : l;
        if (o + need + 3 >= cap) { /* keep room for "..." and the NUL */
            if (o + 4 <= cap) {
                memcpy(dst + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (esc) {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[s[i] >> 4];
            dst[o++] = hex[s[i] & 15];
            i++;
        } else {
            memcpy(dst + o, s + i, l);
            o += l;
            i += l;
        }
    }
    dst[o] = '\0';
    return dst;
}

char *st_shape_str(char *dst, size_t cap, const int64_t *shape, int ndim)
{
    size_t o = 0;
    if (cap == 0)
        return dst;
    dst[0] = '\0';
    o += (size_t)snprintf(dst + o, cap - o, "[");
    for (int i = 0; i < ndim && o < cap; i++)
        o += (size_t)snprintf(dst + o, cap - o, i ? ",%lld" : "%lld", (long long)shape[i]);
    if (o < cap)
        snprintf(dst + o, cap - o, "]");
    return dst;
}

int st_elem_count(const int64_t *shape, int ndim, uint64_t *count)
{
    uint64_t c = 1;
    for (int i = 0; i < ndim; i++)
        if (!st_mul_u64(c, (uint64_t)shape[i], &c))
            return 0;
    *count = c;
    return 1;
}
