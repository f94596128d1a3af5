/* A check report into the results database (qcts/report.h, qcts/db.h). */
#include <math.h>
#include <string.h>

#include "qcts/report.h"

static int64_t u64_or_null(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? -1 : (int64_t)v;
}

int qcts_report_db(qcts_db *db, const qcts_run_info *run, const qcts_check_report *r,
                   const char *ended_at, char *err, size_t errlen)
{
    qcts_db_txn *t;
    if (qcts_db_run_begin(db, run, &t, err, errlen))
        return -1;
    for (size_t i = 0; i < r->n_results; i++) {
        const qcts_result *res = &r->results[i];
        qcts_db_result d;
        qcts_db_result_init(&d);
        d.backend = res->backend;
        d.variant = res->variant;
        d.op = res->op;
        d.scheme = res->scheme;
        d.suite = res->suite;
        d.case_id = res->case_id;
        d.seed = res->seed;
        d.check_rule = res->check;
        d.verdict = qcts_verdict_name(res->verdict);
        d.reason = res->reason;
        d.duration_s = res->duration_s;
        d.identified = res->identify_tried ? (res->identified[0] ? res->identified : "none") : NULL;
        if (res->has_cmp) {
            const qcts_cmp *c = &res->cmp;
            d.n = (int64_t)c->n;
            d.mismatches = (int64_t)c->mismatches;
            d.violations = (int64_t)c->violations;
            if (c->has_metrics) {
                d.max_abs = c->m.max_abs;
                d.max_rel = c->m.max_rel;
                d.max_ulp = u64_or_null(c->m.max_ulp);
                d.mse = c->m.mse;
                d.nmse = c->m.nmse;
                d.cosine = c->m.cosine;
                d.snr_db = c->m.snr_db;
                d.kl = res->kl;
            }
            if (c->has_worst) {
                d.worst_index = (int64_t)c->worst;
                d.worst_expected = c->worst_expected;
                d.worst_got = c->worst_got;
                d.worst_bound = c->worst_allowed;
            }
        }
        if (qcts_db_result_add(t, &d, err, errlen)) {
            qcts_db_run_rollback(t);
            return -1;
        }
    }
    return qcts_db_run_commit(t, ended_at, err, errlen);
}
