/* qcts/opdef.h — one definition per op after GEMM (ABI 2), so that case
 * files, `qcts case run`, exec, plugins, the runner and `check` handle a new
 * op through one file, kernels/ops/op_<name>.c, instead of a switch in each
 * of them. convert, quantize, dequant and gemm keep their own code paths
 * (qcts_opdef_get returns NULL for them); qcts_op_has / qcts_op_call below
 * cover every op.
 *
 * A descriptor of these ops is plain old data (qcts/backend.h): the
 * framework copies it as desc_size bytes across process boundaries, so it
 * must hold no pointer. */
#ifndef QCTS_OPDEF_H
#define QCTS_OPDEF_H

#include <stddef.h>

#include "qcts/backend.h"
#include "qcts/case_call.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cJSON;

typedef struct qcts_opdef {
    qcts_op op;
    const char *name;          /* == qcts_op_name(op) */
    size_t desc_size;          /* sizeof(qcts_<op>_desc) <= QCTS_OPDESC_MAX */
    /* Validates desc (every field) and fills io: n_in, n_out and every
     * slot's spec (qcts_tensor_spec_set). Messages name the field and the
     * expected value. */
    qcts_status (*io)(const void *desc, qcts_op_io *io, char *err, size_t errlen);
    /* A case's "params" object -> desc (zeroed by the caller). A missing
     * required key, a wrong type or an unknown value is QCTS_ERROR naming
     * the key. Hostile JSON must never crash it. */
    qcts_status (*from_json)(const struct cJSON *params, void *desc, char *err, size_t errlen);
    /* desc -> params (the inverse; keys replaced). 0, or -1 out of memory. */
    int (*to_json)(const void *desc, struct cJSON *params);
    /* One line for messages and reports. */
    void (*describe)(const void *desc, char *buf, size_t n);
    /* The scheme (or other family name) results are filed under in the
     * database, e.g. the KV cache scheme; NULL: the op's name. */
    const char *(*scheme)(const void *desc);
    /* be-><op> (the framework calls has() first). */
    qcts_status (*call)(const qcts_backend *be, const void *desc, const qcts_buffers *b, qcts_call **call,
                        char *msg, size_t n);
    int (*has)(const qcts_backend *be);
    /* Optional: returns desc's thread count and, when n > 0, sets it to n
     * (check's strict mode then asks for the same bits at 1, 2 and 3
     * threads). NULL: the op takes no thread count. */
    int32_t (*threads)(void *desc, int32_t n);
} qcts_opdef;

/* The definition of op, or NULL for convert..gemm and ops out of range. */
const qcts_opdef *qcts_opdef_get(qcts_op op);

/* Does be implement op (its slot is not NULL)? Every op. */
int qcts_op_has(const qcts_backend *be, qcts_op op);
/* Calls be's prepare function of op. Every op; an op be lacks is
 * QCTS_UNSUPPORTED with a message. */
qcts_status qcts_op_call(const qcts_backend *be, qcts_op op, const void *desc, const qcts_buffers *b,
                         qcts_call **call, char *msg, size_t n);
/* Bytes of op's descriptor (sizeof of the struct); 0 out of range. */
size_t qcts_op_desc_size(qcts_op op);

#ifdef __cplusplus
}
#endif
#endif
