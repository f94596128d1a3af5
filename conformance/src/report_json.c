/* The JSON report of qcts check (qcts/report.h). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qcts/report.h"

/* Finite numbers as numbers, NaN as null, infinities as "inf" / "-inf". */
static void add_num(cJSON *o, const char *k, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, k);
    else if (isinf(v))
        cJSON_AddStringToObject(o, k, v > 0 ? "inf" : "-inf");
    else
        cJSON_AddNumberToObject(o, k, v);
}

static void add_str_or_null(cJSON *o, const char *k, const char *s)
{
    if (s && *s)
        cJSON_AddStringToObject(o, k, s);
    else
        cJSON_AddNullToObject(o, k);
}

static cJSON *host_json(const qcts_host_info *h)
{
    cJSON *o = cJSON_CreateObject();
    add_str_or_null(o, "cpu_model", h->cpu_model);
    add_str_or_null(o, "isa_flags", h->isa_flags);
    cJSON_AddNumberToObject(o, "cores", h->cores);
    cJSON_AddNumberToObject(o, "memory_bytes", (double)h->memory_bytes);
    add_str_or_null(o, "os", h->os);
    add_str_or_null(o, "compiler", h->compiler);
    add_str_or_null(o, "gpu", h->gpu);
    return o;
}

static cJSON *run_json(const qcts_run_info *run, const char *ended_at)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "uuid", run->uuid);
    cJSON_AddStringToObject(o, "kind", run->kind ? run->kind : "check");
    cJSON_AddStringToObject(o, "started_at", run->started_at);
    add_str_or_null(o, "ended_at", ended_at);
    add_str_or_null(o, "git_commit", run->git_commit);
    if (run->git_dirty < 0)
        cJSON_AddNullToObject(o, "git_dirty");
    else
        cJSON_AddBoolToObject(o, "git_dirty", run->git_dirty);
    add_str_or_null(o, "vector_set_sha256", run->vector_set_sha256);
    add_str_or_null(o, "command_line", run->command_line);
    cJSON_AddItemToObject(o, "host", host_json(&run->host));
    return o;
}

static cJSON *result_json(const qcts_check_report *r, const qcts_result *res)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "backend", res->backend);
    add_str_or_null(o, "variant", res->variant);
    cJSON_AddStringToObject(o, "op", res->op);
    add_str_or_null(o, "scheme", res->scheme);
    cJSON_AddStringToObject(o, "suite", res->suite);
    cJSON_AddStringToObject(o, "case", res->case_id);
    add_str_or_null(o, "seed", res->seed);
    add_str_or_null(o, "check", res->check);
    cJSON_AddStringToObject(o, "verdict", qcts_verdict_name(res->verdict));
    add_str_or_null(o, "reason", res->reason);
    add_str_or_null(o, "file", res->file);
    add_num(o, "duration_s", res->duration_s);
    if (res->has_cmp) {
        const qcts_cmp *c = &res->cmp;
        cJSON *m = cJSON_AddObjectToObject(o, "metrics");
        cJSON_AddNumberToObject(m, "n", (double)c->n);
        cJSON_AddNumberToObject(m, "mismatches", (double)c->mismatches);
        cJSON_AddNumberToObject(m, "violations", (double)c->violations);
        if (c->has_metrics) {
            add_num(m, "max_abs", c->m.max_abs);
            add_num(m, "max_rel", c->m.max_rel);
            if (c->m.max_ulp == QCTS_ULP_NAN)
                cJSON_AddStringToObject(m, "max_ulp", "nan");
            else
                cJSON_AddNumberToObject(m, "max_ulp", (double)c->m.max_ulp);
            add_num(m, "mse", c->m.mse);
            add_num(m, "nmse", c->m.nmse);
            add_num(m, "cosine", c->m.cosine);
            add_num(m, "kl", res->kl);
            add_num(m, "snr_db", c->m.snr_db);
        }
        if (c->has_worst) {
            cJSON *w = cJSON_AddObjectToObject(o, "worst");
            cJSON_AddNumberToObject(w, "index", (double)c->worst);
            add_num(w, "expected", c->worst_expected);
            add_num(w, "got", c->worst_got);
            add_num(w, "allowed", c->worst_allowed);
            cJSON_AddStringToObject(w, "expected_text", c->worst_expected_text);
            cJSON_AddStringToObject(w, "got_text", c->worst_got_text);
        } else {
            cJSON_AddNullToObject(o, "worst");
        }
    } else {
        cJSON_AddNullToObject(o, "metrics");
        cJSON_AddNullToObject(o, "worst");
    }
    if (res->identify_tried) {
        cJSON *a = cJSON_AddArrayToObject(o, "identified");
        char word[64];
        for (const char *p = res->identified; *p;) {
            size_t wl = strcspn(p, " ");
            snprintf(word, sizeof word, "%.*s", (int)wl, p);
            if (wl)
                cJSON_AddItemToArray(a, cJSON_CreateString(word));
            p += wl;
            while (*p == ' ')
                p++;
        }
    }
    if (res->verdict == QCTS_V_FAIL || res->verdict == QCTS_V_ERROR) {
        if (strcmp(res->case_id, "-") != 0) {
            char cmd[1600];
            qcts_report_rerun(r, res, cmd, sizeof cmd);
            cJSON_AddStringToObject(o, "rerun", cmd);
            qcts_report_standalone(res, cmd, sizeof cmd);
            cJSON_AddStringToObject(o, "standalone", cmd);
        }
    }
    return o;
}

char *qcts_report_json(const qcts_check_report *r, const qcts_run_info *run, const char *version,
                       const char *ended_at)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    add_str_or_null(root, "qcts_version", version);
    if (run)
        cJSON_AddItemToObject(root, "run", run_json(run, ended_at));
    cJSON_AddStringToObject(root, "vectors", r->vectors);
    add_str_or_null(root, "vector_set_sha256", r->vector_set_sha256);
    cJSON_AddBoolToObject(root, "vector_set_official", r->vector_set_official);
    cJSON *be = cJSON_AddArrayToObject(root, "backends");
    for (size_t b = 0; b < r->n_backends; b++)
        cJSON_AddItemToArray(be, cJSON_CreateString(r->backends[b]));
    cJSON_AddNumberToObject(root, "files", (double)r->n_files);
    cJSON_AddNumberToObject(root, "cases", (double)r->n_cases);
    cJSON_AddNumberToObject(root, "jobs", r->jobs);
    cJSON_AddNumberToObject(root, "seconds", r->seconds);
    cJSON *s = cJSON_AddObjectToObject(root, "summary");
    cJSON_AddNumberToObject(s, "passed", (double)r->counts[QCTS_V_PASS]);
    cJSON_AddNumberToObject(s, "failed", (double)r->counts[QCTS_V_FAIL]);
    cJSON_AddNumberToObject(s, "skipped", (double)r->counts[QCTS_V_SKIP]);
    cJSON_AddNumberToObject(s, "mistrusted", (double)r->counts[QCTS_V_MISTRUSTED]);
    cJSON_AddNumberToObject(s, "unavailable", (double)r->counts[QCTS_V_UNAVAILABLE]);
    cJSON_AddNumberToObject(s, "errors", (double)r->counts[QCTS_V_ERROR]);
    cJSON_AddNumberToObject(s, "total", (double)r->n_results);
    cJSON *a = cJSON_AddArrayToObject(root, "results");
    for (size_t i = 0; a && i < r->n_results; i++)
        cJSON_AddItemToArray(a, result_json(r, &r->results[i]));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}
