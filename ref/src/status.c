/* Names and messages of qref_status codes. */
#include "qref/status.h"

static const struct { const char *name, *message; } table[QREF_STATUS_COUNT] = {
    [QREF_OK]              = { "ok", "success" },
    [QREF_ERR_ARG]         = { "bad_argument", "invalid argument (NULL pointer or out-of-range value)" },
    [QREF_ERR_NAN]         = { "nan_unrepresentable", "NaN input cannot be represented in this format" },
    [QREF_ERR_MODE]        = { "mode_unavailable", "this saturation mode is not available for this format and convention" },
    [QREF_ERR_CODE]        = { "bad_code", "code has bits set above the format's width" },
    [QREF_ERR_UNSUPPORTED] = { "unsupported", "not supported by the reference library" },
    [QREF_ERR_SIZE]        = { "bad_size", "sizes or shapes do not fit together" },
    [QREF_ERR_DATA]        = { "bad_data", "invalid packed data" },
};

const char *qref_status_name(qref_status s)
{
    return (unsigned)s < QREF_STATUS_COUNT ? table[s].name : "unknown_status";
}

const char *qref_status_message(qref_status s)
{
    return (unsigned)s < QREF_STATUS_COUNT ? table[s].message : "unknown status code";
}
