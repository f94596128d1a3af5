/* fleet.c — the report's "Fleet" section: the hardware comparison across
 * EVERY host in the store (the first screen shows at most 4), with filters
 * (--hosts, --backends, --commits A..B) and a staleness label: a host whose
 * newest bench run started more than --stale-after before the newest run
 * of the store (any host, any kind) is marked STALE, so an old machine's
 * numbers are never read as today's. Rows: each kernel (backend, op,
 * scheme, shape, threads, cold) any selected host measured; cells: that
 * host's newest timing of it. */
#define _GNU_SOURCE /* timegm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "reports/src/report_ctx.h"
#include "reports/src/sbuf.h"

#define FLEET_MAX_HOSTS 64
#define FLEET_MAX_ROWS 60

/* "2026-12-07T16:28:58.140Z" -> seconds since 1970 (UTC); -1 if malformed. */
static double iso_seconds(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int ms = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                     &tm.tm_min, &tm.tm_sec, &ms) < 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) + ms / 1000.0;
}

/* Is item (e.g. "avx2") in the comma list? NULL list: yes. */
static int in_list(const char *list, const char *item)
{
    if (!list)
        return 1;
    size_t n = strlen(item);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && strncmp(p, item, n) == 0)
            return 1;
        p += l + (e ? 1 : 0);
    }
    return 0;
}

/* --hosts: each entry is a host id ("3" or "#3") or a case-insensitive
 * substring of the CPU model or GPU. */
static int host_selected(const char *list, int id, const char *cpu, const char *gpu)
{
    if (!list)
        return 1;
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        char w[128];
        snprintf(w, sizeof w, "%.*s", (int)(l < sizeof w ? l : sizeof w - 1), p);
        const char *num = w[0] == '#' ? w + 1 : w;
        char *end;
        long v = strtol(num, &end, 10);
        if (*num && !*end) {
            if (v == id)
                return 1;
        } else if (w[0] && (strcasestr(cpu, w) || strcasestr(gpu, w))) {
            return 1;
        }
        p += l + (e ? 1 : 0);
    }
    return 0;
}

/* The commits of --commits A..B (git rev-list A..B, run in the current
 * directory) into temp.fleet_commits; 0, or -1 with the reason in c->err. */
static int load_commits(ctx *c, const char *range)
{
    if (!strstr(range, "..") || strpbrk(range, " \t'\"\\;&|$`<>()")) {
        snprintf(c->err, sizeof c->err, "--commits needs A..B (two git revisions), got '%s'", range);
        return -1;
    }
    char cmd[600];
    /* "..B" is every ancestor of B (git rev-list B): a range that holds B
     * even in a shallow clone */
    snprintf(cmd, sizeof cmd, "git rev-list '%s' 2>/dev/null", strncmp(range, "..", 2) == 0 ? range + 2 : range);
    FILE *p = popen(cmd, "r");
    if (!p) {
        snprintf(c->err, sizeof c->err, "--commits %s: cannot run git", range);
        return -1;
    }
    sqlite3_exec(c->h, "CREATE TEMP TABLE IF NOT EXISTS fleet_commits (sha TEXT PRIMARY KEY); "
                       "DELETE FROM temp.fleet_commits", NULL, NULL, NULL);
    sqlite3_stmt *ins = rpt_prep(c, "INSERT OR IGNORE INTO temp.fleet_commits (sha) VALUES (?1)");
    char line[128];
    int n = 0;
    while (ins && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strlen(line) != 40)
            continue;
        sqlite3_bind_text(ins, 1, line, -1, SQLITE_TRANSIENT);
        sqlite3_step(ins);
        sqlite3_reset(ins);
        n++;
    }
    sqlite3_finalize(ins);
    int st = pclose(p);
    if (st != 0) {
        snprintf(c->err, sizeof c->err, "--commits %s: git rev-list failed (not in a git work tree, or an unknown "
                 "revision)", range);
        return -1;
    }
    return n;
}

typedef struct fhost {
    int id;
    char label[200];
    char newest[32], commit[16];
    int stale;
} fhost;

void rpt_fleet(ctx *c)
{
    const qcts_report_opts *o = c->o;
    sbuf h = { 0 }, m = { 0 };
    int use_commits = 0;
    if (o->commits) {
        int n = load_commits(c, o->commits);
        if (n < 0) {
            c->failed = 1;
            return;
        }
        use_commits = 1;
    }
    /* the store's "now": its newest run of any host and kind */
    double now = -1;
    sqlite3_stmt *st = rpt_prep(c, "SELECT max(started_at) FROM run");
    if (!st)
        return;
    if (sqlite3_step(st) == SQLITE_ROW)
        now = iso_seconds(rpt_txt(st, 0));
    sqlite3_finalize(st);

    /* hosts with bench runs (in the commit range), newest first */
    fhost *hosts = calloc(FLEET_MAX_HOSTS, sizeof *hosts);
    int nh = 0, more = 0;
    st = rpt_prep(c, use_commits
                         ? "SELECT h.id, coalesce(h.cpu_model, '?'), coalesce(h.cores, 0), coalesce(h.gpu, ''), "
                           "max(r.started_at), (SELECT substr(coalesce(q.git_commit, '-'), 1, 12) FROM run q WHERE "
                           "q.host_id = h.id AND q.kind = 'bench' ORDER BY q.started_at DESC LIMIT 1) FROM host h "
                           "JOIN run r ON r.host_id = h.id AND r.kind = 'bench' AND r.git_commit IN (SELECT sha FROM "
                           "temp.fleet_commits) GROUP BY h.id ORDER BY max(r.started_at) DESC"
                         : "SELECT h.id, coalesce(h.cpu_model, '?'), coalesce(h.cores, 0), coalesce(h.gpu, ''), "
                           "max(r.started_at), (SELECT substr(coalesce(q.git_commit, '-'), 1, 12) FROM run q WHERE "
                           "q.host_id = h.id AND q.kind = 'bench' ORDER BY q.started_at DESC LIMIT 1) FROM host h "
                           "JOIN run r ON r.host_id = h.id AND r.kind = 'bench' GROUP BY h.id "
                           "ORDER BY max(r.started_at) DESC");
    if (!st || !hosts) {
        free(hosts);
        if (st)
            sqlite3_finalize(st);
        return;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        int id = sqlite3_column_int(st, 0);
        const char *cpu = rpt_txt(st, 1), *gpu = rpt_txt(st, 3);
        if (!host_selected(o->hosts, id, cpu, gpu))
            continue;
        if (nh == FLEET_MAX_HOSTS) {
            more++;
            continue;
        }
        fhost *x = &hosts[nh++];
        x->id = id;
        snprintf(x->label, sizeof x->label, "#%d %s (%d cpus)%s%s", id, cpu, sqlite3_column_int(st, 2),
                 gpu[0] ? ", " : "", gpu);
        snprintf(x->newest, sizeof x->newest, "%s", rpt_txt(st, 4));
        snprintf(x->commit, sizeof x->commit, "%s", rpt_txt(st, 5));
        double t = iso_seconds(x->newest);
        x->stale = now >= 0 && t >= 0 && now - t > o->stale_after_s;
    }
    sqlite3_finalize(st);

    doc_add(&c->d, B_H2, "Fleet");
    char filt[400];
    snprintf(filt, sizeof filt, "%s%s%s%s%s%s", o->hosts ? " hosts " : "", o->hosts ? o->hosts : "",
             o->backends ? "; backends " : "", o->backends ? o->backends : "", o->commits ? "; commits " : "",
             o->commits ? o->commits : "");
    doc_add(&c->d, B_P, "Every host of the store with a bench run%s%s: the newest timing of each kernel on each "
            "host (GB/s, or GFLOP/s for GEMM with M > 1, and %% of that host's ceiling). STALE: the host's newest "
            "bench run started more than %.0f h before the newest run in the store.", filt[0] ? ", filtered by" : "",
            filt, o->stale_after_s / 3600.0);
    if (!nh) {
        doc_add(&c->d, B_P, "No host matches.");
        free(hosts);
        return;
    }
    /* the kernels: every (backend, op, scheme, shape...) of the selected
     * hosts' bench runs */
    sqlite3_exec(c->h, "CREATE TEMP TABLE IF NOT EXISTS fleet_hosts (id INTEGER PRIMARY KEY); "
                       "DELETE FROM temp.fleet_hosts", NULL, NULL, NULL);
    sqlite3_stmt *ins = rpt_prep(c, "INSERT INTO temp.fleet_hosts (id) VALUES (?1)");
    for (int i = 0; ins && i < nh; i++) {
        sqlite3_bind_int(ins, 1, hosts[i].id);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    st = rpt_prep(c, use_commits
                         ? "SELECT DISTINCT m.backend, m.op, m.scheme, m.shape_set, m.shape, m.threads, m.cold, m.m "
                           "FROM measurement m JOIN run r ON r.id = m.run_id WHERE r.host_id IN (SELECT id FROM "
                           "temp.fleet_hosts) AND m.status = 'ok' AND m.backend <> 'ref' AND r.git_commit IN "
                           "(SELECT sha FROM temp.fleet_commits) ORDER BY m.op, m.m > 1, m.scheme, m.shape, m.backend, "
                           "m.threads, m.cold"
                         : "SELECT DISTINCT m.backend, m.op, m.scheme, m.shape_set, m.shape, m.threads, m.cold, m.m "
                           "FROM measurement m JOIN run r ON r.id = m.run_id WHERE r.host_id IN (SELECT id FROM "
                           "temp.fleet_hosts) AND m.status = 'ok' AND m.backend <> 'ref' ORDER BY m.op, m.m > 1, "
                           "m.scheme, m.shape, m.backend, m.threads, m.cold");
    if (!st) {
        free(hosts);
        return;
    }
    sb(&h, "<table>\n<tr><th>kernel</th>");
    sb(&m, "| kernel |");
    for (int i = 0; i < nh; i++) {
        sb(&h, "<th>");
        sb_esc(&h, hosts[i].label);
        sb(&h, "<br><span class=\"small\">newest %s, commit %s%s</span></th>", hosts[i].newest, hosts[i].commit,
           hosts[i].stale ? ", STALE" : "");
        sb(&m, " %s<br>newest %s, commit `%s`%s |", hosts[i].label, hosts[i].newest, hosts[i].commit,
           hosts[i].stale ? ", **STALE**" : "");
    }
    sb(&h, "</tr>\n");
    sb(&m, "\n|---|");
    for (int i = 0; i < nh; i++)
        sb(&m, "---:|");
    sb(&m, "\n");
    int rows = 0, skipped = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (!in_list(o->backends, rpt_txt(st, 0)))
            continue;
        if (rows == FLEET_MAX_ROWS) {
            skipped++;
            continue;
        }
        rows++;
        int gemm = strcmp(rpt_txt(st, 1), "gemm") == 0, gemm_mk = gemm && sqlite3_column_int64(st, 7) > 1;
        char label[300];
        snprintf(label, sizeof label, "%s %s %s %s t%d%s", rpt_short_backend(rpt_txt(st, 0)),
                 gemm && !gemm_mk ? "gemv" : rpt_txt(st, 1), rpt_txt(st, 2), rpt_txt(st, 4), sqlite3_column_int(st, 5),
                 sqlite3_column_int(st, 6) ? " cold" : "");
        sb(&h, "<tr><td>");
        sb_esc(&h, label);
        sb(&h, "</td>");
        sb(&m, "| %s |", label);
        for (int i = 0; i < nh; i++) {
            sqlite3_stmt *q = rpt_prep(c, use_commits
                    ? "SELECT m.gbs, m.gflops, m.roof_fraction FROM measurement m JOIN run r ON r.id = m.run_id WHERE "
                      "r.host_id = ?1 AND m.backend = ?2 AND m.op = ?3 AND m.scheme = ?4 AND m.shape_set = ?5 AND "
                      "m.shape = ?6 AND m.threads = ?7 AND m.cold = ?8 AND m.status = 'ok' AND r.git_commit IN "
                      "(SELECT sha FROM temp.fleet_commits) ORDER BY r.started_at DESC LIMIT 1"
                    : "SELECT m.gbs, m.gflops, m.roof_fraction FROM measurement m JOIN run r ON r.id = m.run_id WHERE "
                      "r.host_id = ?1 AND m.backend = ?2 AND m.op = ?3 AND m.scheme = ?4 AND m.shape_set = ?5 AND "
                      "m.shape = ?6 AND m.threads = ?7 AND m.cold = ?8 AND m.status = 'ok' "
                      "ORDER BY r.started_at DESC LIMIT 1");
            if (!q)
                break;
            sqlite3_bind_int(q, 1, hosts[i].id);
            for (int k = 0; k < 5; k++)
                sqlite3_bind_text(q, 2 + k, rpt_txt(st, k), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(q, 7, sqlite3_column_int(st, 5));
            sqlite3_bind_int(q, 8, sqlite3_column_int(st, 6));
            char cell[80] = "-";
            if (sqlite3_step(q) == SQLITE_ROW) {
                int col = gemm_mk ? 1 : 0;
                if (sqlite3_column_type(q, col) != SQLITE_NULL) {
                    int n = snprintf(cell, sizeof cell, "%.2f %s", sqlite3_column_double(q, col),
                                     gemm_mk ? "GFLOP/s" : "GB/s");
                    if (sqlite3_column_type(q, 2) != SQLITE_NULL && n > 0 && (size_t)n < sizeof cell)
                        snprintf(cell + n, sizeof cell - (size_t)n, " (%.0f%%)", 100 * sqlite3_column_double(q, 2));
                }
            }
            sqlite3_finalize(q);
            sb(&h, "<td class=\"r\">%s%s</td>", cell, hosts[i].stale && strcmp(cell, "-") ? " <i>stale</i>" : "");
            sb(&m, " %s%s |", cell, hosts[i].stale && strcmp(cell, "-") ? " *stale*" : "");
        }
        sb(&h, "</tr>\n");
        sb(&m, "\n");
    }
    sqlite3_finalize(st);
    sb(&h, "</table>\n");
    if (skipped || more) {
        sb(&h, "<p class=\"small\">Not shown: %d more kernels, %d more hosts (narrow with --backends, --hosts).</p>\n",
           skipped, more);
        sb(&m, "\nNot shown: %d more kernels, %d more hosts (narrow with `--backends`, `--hosts`).\n", skipped, more);
    }
    sb(&m, "\n");
    free(hosts);
    if (h.oom || m.oom) {
        c->d.oom = 1;
        free(h.s);
        free(m.s);
        return;
    }
    doc_raw(&c->d, h.s, m.s);
}
