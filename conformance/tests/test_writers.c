/* Suite writers: the report writers of qcts check (qcts/report.h) on a
 * synthetic report: XML escaping, JUnit well-formedness (checked by a small
 * XML parser below) and counts, TAP, JSON, the summary line, shell quoting. */
#include "qtest.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcts/report.h"

static const char *S(const char *s)
{
    return s ? s : "(null)";
}

/* ---- a tiny XML 1.0 well-formedness checker ----------------------------------------
 * Enough for what the JUnit writer may produce: an optional declaration,
 * elements with double- or single-quoted attributes (no duplicates), text,
 * the five predefined entities and numeric character references, nothing
 * else (no comments, CDATA, DTD). Checks nesting, that '<' and '&' never
 * appear raw in text or attribute values, that control characters other
 * than tab/newline/CR never appear, and that the bytes are valid UTF-8. */
typedef struct xp {
    const char *p;
    const char *err;
    int depth;
    char stack[64][64];
} xp;

static int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!len)
            return 0;
        if (len == 1 && c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            return 0;
        for (size_t k = 1; k < len; k++)
            if ((p[k] & 0xC0) != 0x80)
                return 0;
        p += len;
    }
    return 1;
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
        || c == '.' || c == ':';
}

static int entity(xp *x)
{
    static const char *const ok[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
    for (size_t k = 0; k < 5; k++)
        if (strncmp(x->p, ok[k], strlen(ok[k])) == 0) {
            x->p += strlen(ok[k]);
            return 0;
        }
    if (x->p[1] == '#') {
        const char *q = x->p + 2;
        int hex = *q == 'x';
        q += hex;
        const char *start = q;
        while ((*q >= '0' && *q <= '9') || (hex && ((*q >= 'a' && *q <= 'f') || (*q >= 'A' && *q <= 'F'))))
            q++;
        if (q > start && *q == ';') {
            x->p = q + 1;
            return 0;
        }
    }
    x->err = "bad entity";
    return -1;
}

static int name(xp *x, char *out, size_t n)
{
    size_t k = 0;
    while (is_name_char(*x->p)) {
        if (k + 1 < n)
            out[k++] = *x->p;
        x->p++;
    }
    out[k] = '\0';
    if (!k)
        x->err = "expected a name";
    return k ? 0 : -1;
}

static void ws(xp *x)
{
    while (*x->p == ' ' || *x->p == '\n' || *x->p == '\t' || *x->p == '\r')
        x->p++;
}

static int xml_wellformed(const char *doc, const char **why)
{
    xp x = { doc, NULL, 0, { { 0 } } };
    int root_seen = 0;
    if (!utf8_valid(doc)) {
        *why = "not UTF-8 or a control character";
        return 0;
    }
    if (strncmp(x.p, "<?xml", 5) == 0) {
        const char *end = strstr(x.p, "?>");
        if (!end) {
            *why = "unterminated declaration";
            return 0;
        }
        x.p = end + 2;
    }
    while (*x.p && !x.err) {
        if (*x.p == '<') {
            x.p++;
            if (*x.p == '/') {
                char n[64];
                x.p++;
                if (name(&x, n, sizeof n))
                    break;
                ws(&x);
                if (*x.p != '>' || x.depth == 0 || strcmp(x.stack[x.depth - 1], n) != 0) {
                    x.err = "mismatched end tag";
                    break;
                }
                x.p++;
                x.depth--;
                continue;
            }
            if (x.depth == 0 && root_seen) {
                x.err = "two root elements";
                break;
            }
            char n[64], attrs[32][64];
            int na = 0;
            if (name(&x, n, sizeof n))
                break;
            for (;;) {
                int had_ws = *x.p == ' ' || *x.p == '\n' || *x.p == '\t';
                ws(&x);
                if (*x.p == '>' || *x.p == '/')
                    break;
                if (!had_ws) {
                    x.err = "attributes need white space between them";
                    break;
                }
                char an[64];
                if (name(&x, an, sizeof an))
                    break;
                for (int k = 0; k < na; k++)
                    if (strcmp(attrs[k], an) == 0)
                        x.err = "duplicate attribute";
                if (na < 32)
                    snprintf(attrs[na++], sizeof attrs[0], "%s", an);
                ws(&x);
                if (*x.p != '=') {
                    x.err = "expected =";
                    break;
                }
                x.p++;
                ws(&x);
                char q = *x.p;
                if (q != '"' && q != '\'') {
                    x.err = "unquoted attribute";
                    break;
                }
                x.p++;
                while (*x.p && *x.p != q && !x.err) {
                    if (*x.p == '<')
                        x.err = "raw < in attribute";
                    else if (*x.p == '&')
                        entity(&x);
                    else
                        x.p++;
                }
                if (*x.p != q) {
                    x.err = x.err ? x.err : "unterminated attribute";
                    break;
                }
                x.p++;
            }
            if (x.err)
                break;
            if (*x.p == '/') {
                if (x.p[1] != '>') {
                    x.err = "bad empty tag";
                    break;
                }
                x.p += 2;
                root_seen = 1;
                continue;
            }
            x.p++;
            if (x.depth >= 64) {
                x.err = "too deep";
                break;
            }
            snprintf(x.stack[x.depth++], sizeof x.stack[0], "%s", n);
            root_seen = 1;
        } else if (*x.p == '&') {
            if (x.depth == 0) {
                x.err = "text outside the root";
                break;
            }
            entity(&x);
        } else {
            if (x.depth == 0 && !(*x.p == ' ' || *x.p == '\n' || *x.p == '\t' || *x.p == '\r')) {
                x.err = "text outside the root";
                break;
            }
            if (*x.p == '>' && x.p > doc && x.p[-1] == ']' && x.p - 1 > doc && x.p[-2] == ']')
                x.err = "]]> in text";
            x.p++;
        }
    }
    if (!x.err && x.depth)
        x.err = "unclosed element";
    if (!x.err && !root_seen)
        x.err = "no root element";
    *why = x.err;
    return x.err == NULL;
}

/* ---- a synthetic report ------------------------------------------------------------ */

static const char *const BACKENDS[2] = { "ref", "plugin:/tmp/weird & <dir>/x.so" };

static void mk(qcts_result *r, const char *backend, const char *suite, const char *id, qcts_verdict v,
               const char *reason)
{
    memset(r, 0, sizeof *r);
    r->backend = backend;
    r->file = "vectors/golden/x.safetensors";
    snprintf(r->op, sizeof r->op, "dequant");
    snprintf(r->scheme, sizeof r->scheme, "int8_per_channel");
    snprintf(r->suite, sizeof r->suite, "%s", suite);
    snprintf(r->case_id, sizeof r->case_id, "%s", id);
    snprintf(r->seed, sizeof r->seed, "0x1f2e3d4c5b6a7988");
    snprintf(r->check, sizeof r->check, "exact");
    r->verdict = v;
    snprintf(r->reason, sizeof r->reason, "%s", reason);
    r->kl = NAN;
    r->duration_s = 0.001;
}

static void make_report(qcts_check_report *rep, qcts_result *res)
{
    memset(rep, 0, sizeof *rep);
    mk(&res[0], BACKENDS[0], "dequant/int8", "c000", QCTS_V_PASS, "");
    res[0].has_cmp = 1;
    res[0].cmp.n = 4;
    res[0].cmp.has_metrics = 1;
    res[0].cmp.m.max_abs = 0;
    res[0].cmp.m.max_rel = INFINITY;
    res[0].cmp.m.mse = NAN;
    res[0].cmp.m.cosine = 1;
    res[0].cmp.m.max_ulp = QCTS_ULP_NAN;
    mk(&res[1], BACKENDS[1], "dequant/int8", "c000", QCTS_V_FAIL,
       "output y (exact): 1 of 4 elements differ; worst <element> 3: \"a\" & 'b'\x01\xff\xc3\xa9");
    mk(&res[2], BACKENDS[0], "dequant/int8", "c001", QCTS_V_SKIP, "backend ref has no dequant # not really");
    mk(&res[3], BACKENDS[1], "dequant/int8", "c001", QCTS_V_ERROR, "run: exec timed out\nafter 1 s");
    mk(&res[4], BACKENDS[0], "gemm/x", "c002", QCTS_V_MISTRUSTED, "case is flagged degenerate");
    mk(&res[5], BACKENDS[1], "gemm/x", "c002", QCTS_V_UNAVAILABLE, "not built here");
    res[5].duration_s = NAN;
    rep->results = res;
    rep->n_results = 6;
    for (int i = 0; i < 6; i++)
        rep->counts[res[i].verdict]++;
    rep->n_backends = 2;
    rep->backends = BACKENDS;
    rep->n_files = 2;
    rep->n_cases = 3;
    rep->jobs = 1;
    rep->seconds = 0.5;
    snprintf(rep->vectors, sizeof rep->vectors, "vectors/golden");
}

static void test_xml_escape(void)
{
    char *e = qcts_xml_escape("a&b<c>d\"e'f", 1);
    QCHECK(e && strcmp(e, "a&amp;b&lt;c&gt;d&quot;e&apos;f") == 0, "%s", S(e));
    free(e);
    e = qcts_xml_escape("line1\nline2\ttab\rcr", 1);
    QCHECK(e && strcmp(e, "line1&#10;line2&#9;tab&#13;cr") == 0, "attr: %s", S(e));
    free(e);
    e = qcts_xml_escape("line1\nline2\ttab", 0);
    QCHECK(e && strcmp(e, "line1\nline2\ttab") == 0, "content: %s", S(e));
    free(e);
    e = qcts_xml_escape("bell\x07 esc\x1b", 0);
    QCHECK(e && strcmp(e, "bell\\x07 esc\\x1b") == 0, "controls: %s", S(e));
    free(e);
    e = qcts_xml_escape("ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0);
    QCHECK(e && strcmp(e, "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == 0, "UTF-8 kept: %s", S(e));
    free(e);
    /* Invalid: a lone continuation, a truncated sequence, an overlong '/',
     * a surrogate, U+FFFE, a byte above F4. */
    e = qcts_xml_escape("\x80|\xc3|\xc0\xaf|\xed\xa0\x80|\xef\xbf\xbe|\xf5", 0);
    const char *want = "\xEF\xBF\xBD|\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|"
                       "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD";
    QCHECK(e && strcmp(e, want) == 0, "invalid UTF-8: %s", S(e));
    const char *why = NULL;
    char doc[512];
    snprintf(doc, sizeof doc, "<a x=\"%s\">%s</a>", e ? e : "", e ? e : "");
    QCHECK(xml_wellformed(doc, &why), "escaped invalid input: %s", S(why));
    free(e);
    e = qcts_xml_escape("", 0);
    QCHECK(e && e[0] == '\0', "empty");
    free(e);
}

static void test_checker_itself(void)
{
    const char *why = NULL;
    QCHECK(xml_wellformed("<?xml version=\"1.0\"?>\n<a b=\"1\"><c/>t&amp;<d e='x'>&#10;</d></a>\n", &why), "%s", S(why));
    QCHECK(!xml_wellformed("<a><b></a></b>", &why), "crossed tags");
    QCHECK(!xml_wellformed("<a>x & y</a>", &why), "raw &");
    QCHECK(!xml_wellformed("<a b=\"<\"/>", &why), "raw < in attribute");
    QCHECK(!xml_wellformed("<a b=\"1\" b=\"2\"/>", &why), "duplicate attribute");
    QCHECK(!xml_wellformed("<a>\x01</a>", &why), "control character");
    QCHECK(!xml_wellformed("<a>\xff</a>", &why), "invalid UTF-8");
    QCHECK(!xml_wellformed("<a/><b/>", &why), "two roots");
    QCHECK(!xml_wellformed("<a>", &why), "unclosed");
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_junit(void)
{
    qcts_check_report rep;
    qcts_result res[6];
    make_report(&rep, res);
    char *x = qcts_report_junit(&rep);
    QCHECK(x != NULL, "junit");
    if (!x)
        return;
    const char *why = NULL;
    QCHECK(xml_wellformed(x, &why), "not well-formed: %s\n%s", S(why), x);
    QCHECK(strstr(x, "<testsuites name=\"qcts check\" tests=\"6\" failures=\"1\" errors=\"1\" skipped=\"3\"") != NULL,
           "testsuites counts:\n%s", x);
    QCHECK(strstr(x, "<testsuite name=\"ref\" tests=\"3\" failures=\"0\" errors=\"0\" skipped=\"2\"") != NULL,
           "ref suite counts");
    QCHECK(strstr(x, "<testsuite name=\"plugin:/tmp/weird &amp; &lt;dir&gt;/x.so\" tests=\"3\" failures=\"1\" "
                     "errors=\"1\" skipped=\"1\"") != NULL, "escaped suite name");
    QCHECK(count(x, "<testcase ") == 6, "one testcase per backend x case");
    QCHECK(count(x, "<failure ") == 1 && count(x, "<error ") == 1 && count(x, "<skipped ") == 3, "elements");
    QCHECK(strstr(x, "worst &lt;element&gt; 3: &quot;a&quot; &amp; &apos;b&apos;\\x01\xEF\xBF\xBD\xc3\xa9") != NULL,
           "failure message escaped");
    QCHECK(strstr(x, "message=\"run: exec timed out&#10;after 1 s\"") != NULL, "newline in attribute");
    QCHECK(strstr(x, "<skipped message=\"MISTRUSTED: case is flagged degenerate\"/>") != NULL, "mistrusted");
    QCHECK(strstr(x, "<skipped message=\"UNAVAILABLE: not built here\"/>") != NULL, "unavailable");
    QCHECK(strstr(x, "<skipped message=\"backend ref has no dequant # not really\"/>") != NULL,
           "a SKIP gives its reason alone:\n%s", x);
    QCHECK(strstr(x, "SKIP: ") == NULL, "no 'SKIP: ' prefix");
    QCHECK(strstr(x, "classname=\"dequant/int8\" name=\"c000\" time=\"0.001000\"/>") != NULL, "pass");
    QCHECK(strstr(x, "rerun: qcts check --backend ") != NULL && strstr(x, "seed: 0x1f2e3d4c5b6a7988") != NULL,
           "failure body has seed and rerun");
    free(x);
}

static void test_tap(void)
{
    qcts_check_report rep;
    qcts_result res[6];
    make_report(&rep, res);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    QCHECK(f != NULL, "memstream");
    if (!f)
        return;
    qcts_report_tap(f, &rep);
    fclose(f);
    QCHECK(strncmp(buf, "TAP version 13\n1..6\n", 20) == 0, "header:\n%s", buf);
    QCHECK(strstr(buf, "\nok 1 - ref dequant/int8/c000\n") != NULL, "ok line:\n%s", buf);
    QCHECK(strstr(buf, "\nnot ok 2 - plugin:/tmp/weird & <dir>/x.so dequant/int8/c000\n  ---\n  verdict: 'FAIL'\n")
           != NULL, "not ok + yaml:\n%s", buf);
    QCHECK(strstr(buf, "\nok 3 - ref dequant/int8/c001 # SKIP backend ref has no dequant \\# not really\n")
           != NULL, "skip with escaped #:\n%s", buf);
    QCHECK(strstr(buf, "\nnot ok 4 - ") != NULL && strstr(buf, "  message: 'run: exec timed out after 1 s'\n") != NULL,
           "error");
    QCHECK(strstr(buf, "\nok 5 - ref gemm/x/c002 # SKIP mistrusted: case is flagged degenerate\n") != NULL, "mistrust");
    QCHECK(strstr(buf, "# SKIP unavailable: not built here\n") != NULL, "unavailable");
    QCHECK(strstr(buf, "SKIP SKIP") == NULL && strstr(buf, "# SKIP SKIP") == NULL, "no '# SKIP SKIP':\n%s", buf);
    QCHECK(strstr(buf, "  message: 'output y (exact): 1 of 4 elements differ; worst <element> 3: \"a\" & ''b''") != NULL,
           "yaml quote doubling");
    QCHECK(strstr(buf, "\n# passed: 1 failed: 1 skipped: 1 mistrusted: 1 unavailable: 1 errors: 1\n") != NULL
           && buf[len - 1] == '\n', "summary comment last");
    QCHECK(count(buf, "\nok ") + count(buf, "\nnot ok ") == 6, "6 test lines");
    free(buf);
}

static void test_json(void)
{
    qcts_check_report rep;
    qcts_result res[6];
    make_report(&rep, res);
    char *text = qcts_report_json(&rep, NULL, "0.1.0", NULL);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    QCHECK(j != NULL, "parses");
    if (!j) {
        free(text);
        return;
    }
    const cJSON *s = cJSON_GetObjectItem(j, "summary");
    QCHECK(cJSON_GetObjectItem(s, "passed")->valuedouble == 1 && cJSON_GetObjectItem(s, "total")->valuedouble == 6,
           "summary");
    const cJSON *r = cJSON_GetObjectItem(j, "results");
    QCHECK(cJSON_GetArraySize(r) == 6, "6 results");
    const cJSON *r0 = cJSON_GetArrayItem(r, 0), *m = cJSON_GetObjectItem(r0, "metrics");
    QCHECK(cJSON_IsNull(cJSON_GetObjectItem(m, "mse")), "NaN is null");
    QCHECK(cJSON_IsString(cJSON_GetObjectItem(m, "max_rel"))
           && strcmp(cJSON_GetObjectItem(m, "max_rel")->valuestring, "inf") == 0, "inf is \"inf\"");
    QCHECK(strcmp(cJSON_GetObjectItem(m, "max_ulp")->valuestring, "nan") == 0, "NaN ulp");
    QCHECK(strcmp(cJSON_GetObjectItem(r0, "verdict")->valuestring, "PASS") == 0, "verdict");
    const cJSON *r1 = cJSON_GetArrayItem(r, 1);
    QCHECK(cJSON_IsString(cJSON_GetObjectItem(r1, "rerun")) && cJSON_IsString(cJSON_GetObjectItem(r1, "standalone")),
           "failures carry the reproduce commands");
    QCHECK(strstr(cJSON_GetObjectItem(r1, "reason")->valuestring, "\"a\" & 'b'") != NULL, "reason kept");
    QCHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(r, 5), "duration_s")), "NaN duration null");
    cJSON_Delete(j);
    free(text);
}

static void test_text_and_summary(void)
{
    qcts_check_report rep;
    qcts_result res[6];
    make_report(&rep, res);
    char sum[256];
    qcts_report_summary(&rep, sum, sizeof sum);
    QCHECK(strcmp(sum, "passed: 1 failed: 1 skipped: 1 mistrusted: 1 unavailable: 1 errors: 1") == 0, "%s", sum);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    qcts_report_text(f, &rep);
    fclose(f);
    QCHECK(len > 0 && strstr(buf, "backend") && strstr(buf, "op/scheme"), "matrix header:\n%s", buf);
    QCHECK(strstr(buf, "FAIL plugin:/tmp/weird & <dir>/x.so dequant/int8/c000 (seed 0x1f2e3d4c5b6a7988): ") != NULL,
           "failure line:\n%s", buf);
    QCHECK(strstr(buf, "  rerun:      qcts check --backend 'plugin:/tmp/weird & <dir>/x.so' --filter "
                       "'dequant/int8/c000'\n") != NULL, "rerun:\n%s", buf);
    QCHECK(strstr(buf, "  standalone: qcts case extract vectors/golden/x.safetensors c000 c000.safetensors && "
                       "qcts case run --backend 'plugin:/tmp/weird & <dir>/x.so' c000.safetensors "
                       "c000.out.safetensors\n") != NULL, "standalone:\n%s", buf);
    /* The summary is the last line. */
    size_t sl = strlen(sum);
    QCHECK(len > sl + 1 && strncmp(buf + len - sl - 1, sum, sl) == 0 && buf[len - 1] == '\n', "last line:\n%s", buf);
    free(buf);
}

static void test_shell_quote(void)
{
    char b[128];
    qcts_shell_quote("ref", b, sizeof b);
    QCHECK(strcmp(b, "ref") == 0, "%s", b);
    qcts_shell_quote("plugin:/a/b-c_d.so", b, sizeof b);
    QCHECK(strcmp(b, "plugin:/a/b-c_d.so") == 0, "%s", b);
    qcts_shell_quote("exec:python3 x.py", b, sizeof b);
    QCHECK(strcmp(b, "'exec:python3 x.py'") == 0, "%s", b);
    qcts_shell_quote("it's", b, sizeof b);
    QCHECK(strcmp(b, "'it'\\''s'") == 0, "%s", b);
    qcts_shell_quote("", b, sizeof b);
    QCHECK(strcmp(b, "''") == 0, "%s", b);
    qcts_shell_quote("a*b", b, sizeof b);
    QCHECK(strcmp(b, "'a*b'") == 0, "%s", b);
}

QTEST_SUITE(writers,
    QTEST(test_xml_escape),
    QTEST(test_checker_itself),
    QTEST(test_junit),
    QTEST(test_tap),
    QTEST(test_json),
    QTEST(test_text_and_summary),
    QTEST(test_shell_quote))
