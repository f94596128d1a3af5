/* The backend registry: spec strings ("ref", "plugin:PATH.so",
 * "exec:COMMAND") to qcts_backend structs (qcts/backends.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/backend_say.h"
#include "kernels/kernels_impl.h"
#include "qcts/backends.h"
#include "qcts/opdef.h"

/* ---- the in-tree list ----------------------------------------------------- */

typedef struct builtin {
    const char *name;
    const qcts_backend *(*entry)(void);   /* NULL: not built here */
    const char *description;              /* for planned ones */
    const char *why;
} builtin;

static const builtin builtins[] = {
#define QCTS_BACKEND(name, entry) { #name, entry, NULL, NULL },
#define QCTS_BACKEND_PLANNED(name, desc, why) { #name, NULL, desc, why },
#include "kernels/backends.inc"
#undef QCTS_BACKEND
#undef QCTS_BACKEND_PLANNED
};
enum { NBUILTINS = sizeof builtins / sizeof builtins[0] };

static const char *const names[] = {
#define QCTS_BACKEND(name, entry) #name,
#define QCTS_BACKEND_PLANNED(name, desc, why) #name,
#include "kernels/backends.inc"
#undef QCTS_BACKEND
#undef QCTS_BACKEND_PLANNED
    NULL
};

const char *const *qcts_backend_names(void)
{
    return names;
}

static const builtin *find_builtin(const char *name)
{
    for (int i = 0; i < NBUILTINS; i++)
        if (strcmp(builtins[i].name, name) == 0)
            return &builtins[i];
    return NULL;
}

int qcts_backend_info_get(const char *name, qcts_backend_info *info)
{
    const builtin *b = name ? find_builtin(name) : NULL;
    if (!b || !info)
        return -1;
    memset(info, 0, sizeof *info);
    info->name = b->name;
    if (!b->entry) {
        info->description = b->description;
        snprintf(info->why, sizeof info->why, "%s", b->why);
        return 0;
    }
    const qcts_backend *be = b->entry();
    info->built = 1;
    info->description = be && be->description ? be->description : "";
    if (!be) {
        snprintf(info->why, sizeof info->why, "its entry function returned NULL");
    } else if (be->available && !be->available(info->why, sizeof info->why)) {
        if (!info->why[0])
            snprintf(info->why, sizeof info->why, "not available on this host (no reason given)");
    } else {
        info->available = 1;
        info->why[0] = '\0';
    }
    return 0;
}

/* ---- validation (in-tree and plugins alike) ------------------------------- */

qcts_status qcts_backend_validate(const qcts_backend *be, const char *who, char *err, size_t n)
{
    if (!be)
        return qcts_say(QCTS_ERROR, err, n, "%s: the entry function returned NULL", who);
    if (be->abi_version != QCTS_BACKEND_ABI_VERSION)
        return qcts_say(QCTS_ERROR, err, n, "%s: backend ABI version %u, but this qcts uses ABI version %u (rebuild it against "
                   "this qcts/backend.h)", who, (unsigned)be->abi_version, (unsigned)QCTS_BACKEND_ABI_VERSION);
    if (be->struct_size != sizeof(qcts_backend))
        return qcts_say(QCTS_ERROR, err, n, "%s: struct_size %u, but qcts_backend of ABI version %u has %zu bytes (rebuild it "
                   "against this qcts/backend.h)", who, (unsigned)be->struct_size,
                   (unsigned)QCTS_BACKEND_ABI_VERSION, sizeof(qcts_backend));
    if (!be->name || !be->name[0])
        return qcts_say(QCTS_ERROR, err, n, "%s: the backend has no name", who);
    if (!be->run || !be->release)
        return qcts_say(QCTS_ERROR, err, n, "%s: backend '%s' lacks run or release (both are required)", who, be->name);
    for (size_t i = 0; i < sizeof be->reserved_ops / sizeof be->reserved_ops[0]; i++)
        if (be->reserved_ops[i])
            return qcts_say(QCTS_ERROR, err, n, "%s: backend '%s' sets reserved_ops[%zu], which ABI version %u requires to be "
                       "NULL", who, be->name, i, (unsigned)QCTS_BACKEND_ABI_VERSION);
    return QCTS_OK;
}

/* ---- handles ---------------------------------------------------------------------- */

struct qcts_backend_handle {
    char *spec;
    const qcts_backend *be;
    void *dl;            /* plugin, in-process */
    qcts_plugin_host *ph;   /* plugin, isolated */
    qcts_exec *ex;       /* exec */
    void *mf;            /* metal-kernels:, metal-cpu-kernels: (kernels/metal) */
};

static void list_accepted(char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < NBUILTINS && used < n; i++) {
        int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", builtins[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (used < n)
        snprintf(buf + used, n - used, ", plugin:PATH.so, exec:COMMAND, metal-kernels:FILE.json, metal-cpu-kernels:FILE.json");
}

qcts_status qcts_backend_open(const char *spec, qcts_backend_handle **h, char *err, size_t n)
{
    return qcts_backend_open_with(spec, NULL, h, err, n);
}

qcts_status qcts_backend_open_with(const char *spec, const qcts_backend_open_opts *o, qcts_backend_handle **h,
                                   char *err, size_t n)
{
    if (!h)
        return qcts_say(QCTS_ERROR, err, n, "qcts_backend_open: NULL handle pointer");
    *h = NULL;
    if (!spec || !spec[0])
        return qcts_say(QCTS_ERROR, err, n, "no backend given");
    qcts_backend_handle *hd = calloc(1, sizeof *hd);
    if (!hd || !(hd->spec = strdup(spec))) {
        free(hd);
        return qcts_say(QCTS_ERROR, err, n, "out of memory");
    }
    qcts_status rc;
    if (strncmp(spec, "plugin:", 7) == 0) {
        if (!spec[7])
            rc = qcts_say(QCTS_ERROR, err, n, "backend 'plugin:': no path given (plugin:PATH.so)");
        else if (o && o->in_process)
            rc = qcts_plugin_open(spec + 7, &hd->dl, &hd->be, err, n);
        else
            rc = qcts_plugin_host_open(spec + 7, o ? o->timeout : 0, &hd->ph, &hd->be, err, n);
    } else if (strncmp(spec, "exec:", 5) == 0) {
        const char *cmd = spec + 5;
        while (*cmd == ' ')
            cmd++;
        if (!*cmd)
            rc = qcts_say(QCTS_ERROR, err, n, "backend 'exec:': no command given (exec:COMMAND)");
        else
            rc = qcts_exec_open(cmd, &hd->ex, &hd->be, err, n);
    } else if (strncmp(spec, "exec-persistent:", 16) == 0) {
        const char *cmd = spec + 16;
        while (*cmd == ' ')
            cmd++;
        if (!*cmd)
            rc = qcts_say(QCTS_ERROR, err, n, "backend 'exec-persistent:': no command given (exec-persistent:COMMAND)");
        else
            rc = qcts_exec_open_persistent(cmd, &hd->ex, &hd->be, err, n);
    } else if (strncmp(spec, "metal-kernels:", 14) == 0 || strncmp(spec, "metal-cpu-kernels:", 18) == 0) {
        int cpu = spec[6] == 'c';
        const char *path = spec + (cpu ? 18 : 14);
        if (!*path)
            rc = qcts_say(QCTS_ERROR, err, n, "backend '%s': no manifest given (%s:FILE.json)", spec,
                          cpu ? "metal-cpu-kernels" : "metal-kernels");
        else
            rc = qm_manifest_backend_open(path, cpu, &hd->be, &hd->mf, err, n);
    } else {
        const builtin *b = find_builtin(spec);
        if (!b) {
            char acc[512];
            list_accepted(acc, sizeof acc);
            rc = qcts_say(QCTS_ERROR, err, n, "unknown backend '%s' (accepted: %s)", spec, acc);
        } else if (!b->entry) {
            qcts_say(QCTS_ERROR, err, n, "backend '%s' is %s", spec, b->why);
            rc = QCTS_UNAVAILABLE;
        } else {
            char who[96];
            snprintf(who, sizeof who, "backend '%s'", spec);
            hd->be = b->entry();
            rc = qcts_backend_validate(hd->be, who, err, n);
        }
    }
    if (rc != QCTS_OK) {
        qcts_backend_close(hd);
        return rc;
    }
    if (err && n)
        err[0] = '\0';
    *h = hd;
    return QCTS_OK;
}

const qcts_backend *qcts_backend_get(const qcts_backend_handle *h)
{
    return h ? h->be : NULL;
}

const char *qcts_backend_spec(const qcts_backend_handle *h)
{
    return h ? h->spec : NULL;
}

qcts_status qcts_backend_set_option(qcts_backend_handle *h, const char *key, const char *value, char *err,
                                    size_t n)
{
    if (!h || !key || !value)
        return qcts_say(QCTS_ERROR, err, n, "qcts_backend_set_option: NULL argument");
    if ((h->ex || h->ph) && strcmp(key, "timeout") == 0) {
        char *end;
        double s = strtod(value, &end);
        if (end == value || *end || !(s > 0.0) || s > 1e6)
            return qcts_say(QCTS_ERROR, err, n, "backend '%s': timeout must be a number of seconds > 0, got '%s'", h->spec, value);
        return h->ex ? qcts_exec_set_timeout(h->ex, s, err, n) : qcts_plugin_host_set_timeout(h->ph, s, err, n);
    }
    return qcts_say(QCTS_ERROR, err, n, "backend '%s' has no option '%s'%s", h->spec, key, h->ex ? " (exec knows: timeout)"
               : h->ph ? " (plugin knows: timeout)" : "");
}

void qcts_backend_close(qcts_backend_handle *h)
{
    if (!h)
        return;
    if (h->ex)
        qcts_exec_close(h->ex);
    if (h->dl)
        qcts_plugin_close(h->dl);
    if (h->ph)
        qcts_plugin_host_close(h->ph);
    if (h->mf)
        qm_manifest_backend_close(h->mf);
    free(h->spec);
    free(h);
}

/* ---- one call through the lifecycle -------------------------------------------------- */

qcts_status qcts_backend_call(const qcts_backend *be, qcts_op op, const void *desc, const qcts_buffers *b,
                              char *msg, size_t n)
{
    if (!be || !desc || !b)
        return qcts_say(QCTS_ERROR, msg, n, "qcts_backend_call: NULL argument");
    qcts_call *call = NULL;
    qcts_status st;
    const char *opname = qcts_op_name(op);
    if (!opname)
        return qcts_say(QCTS_ERROR, msg, n, "op %d is not supported by ABI version %u", (int)op,
                        (unsigned)QCTS_BACKEND_ABI_VERSION);
    if (msg && n)
        msg[0] = '\0';
    st = qcts_op_has(be, op) ? qcts_op_call(be, op, desc, b, &call, msg, n) : QCTS_UNSUPPORTED;
    if (st == QCTS_UNSUPPORTED && msg && n && !msg[0])
        qcts_say(QCTS_ERROR, msg, n, "backend %s has no %s", be->name, opname);
    if (st != QCTS_OK) {
        if (call)
            be->release(call);
        if (msg && n && !msg[0])
            qcts_say(QCTS_ERROR, msg, n, "backend %s: %s prepare returned %s without a message", be->name, opname,
                qcts_status_name(st));
        return st;
    }
    if (!call)
        return qcts_say(QCTS_ERROR, msg, n, "backend %s: %s prepare returned ok but no call handle", be->name, opname);
    st = be->run(call, msg, n);
    if (st == QCTS_OK && be->sync)
        st = be->sync(call, msg, n);
    if (st == QCTS_OK && be->fetch)
        st = be->fetch(call, msg, n);
    be->release(call);
    if (st != QCTS_OK && msg && n && !msg[0])
        qcts_say(QCTS_ERROR, msg, n, "backend %s: %s returned %s without a message", be->name, opname, qcts_status_name(st));
    return st;
}
