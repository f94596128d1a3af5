/* qcts vectors coverage: the flags x suites table that `qcts vectors gen`
 * stores in MANIFEST.json ("flags" of every file: cases per flag), printed
 * as flags x groups (cells "cases/suites": how many cases carry the flag,
 * in how many of the group's suites) or, for one group, flags x suites. A
 * blind spot of the golden set shows as a missing or thin cell. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/args.h"
#include "cli/text.h"
#include "cli/vectors_coverage.h"

typedef struct names {
    char **v;
    size_t n;
} names;

static long find_or_add(names *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return (long)i;
    char **v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v)
        return -1;
    l->v = v;
    if (!(l->v[l->n] = strdup(s)))
        return -1;
    return (long)l->n++;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0, got;
    char *p = malloc(cap + 1);
    while (p && (got = fread(p + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *q = realloc(p, 2 * cap + 1);
            if (!q) {
                free(p);
                p = NULL;
                break;
            }
            p = q;
            cap *= 2;
        }
    }
    fclose(f);
    if (p)
        p[n] = '\0';
    return p;
}

int qcts_vectors_coverage(const char *dir, const char *group)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/MANIFEST.json", dir);
    char *text = read_text(path);
    cJSON *man = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(man, "files");
    if (!cJSON_IsObject(files)) {
        cJSON_Delete(man);
        fprintf(stderr, "qcts vectors: %s: cannot read, or no \"files\" object (qcts vectors gen writes it)\n", path);
        return QCTS_EXIT_FAIL;
    }
    names flags = { 0 }, cols = { 0 };
    /* pass 1: the flags and the columns (groups, or the group's suites) */
    for (const cJSON *f = files->child; f; f = f->next) {
        const cJSON *su = cJSON_GetObjectItemCaseSensitive(f, "suite");
        const cJSON *fl = cJSON_GetObjectItemCaseSensitive(f, "flags");
        if (!cJSON_IsString(su) || !cJSON_IsObject(fl)) {
            fprintf(stderr, "qcts vectors: %s: %s: no \"suite\" or \"flags\" (regenerate: qcts vectors gen)\n", path,
                    f->string);
            cJSON_Delete(man);
            return QCTS_EXIT_FAIL;
        }
        char grp[256];
        snprintf(grp, sizeof grp, "%s", su->valuestring);
        char *slash = strchr(grp, '/');
        if (slash)
            *slash = '\0';
        if (group && strcmp(grp, group) != 0)
            continue;
        find_or_add(&cols, group ? su->valuestring : grp);
        for (const cJSON *it = fl->child; it; it = it->next)
            find_or_add(&flags, it->string);
    }
    if (group && cols.n == 0) {
        fprintf(stderr, "qcts vectors: %s: no suite of group '%s'\n", path, group);
        cJSON_Delete(man);
        return QCTS_EXIT_FAIL;
    }
    qsort(flags.v, flags.n, sizeof *flags.v, cmp_str);
    qsort(cols.v, cols.n, sizeof *cols.v, cmp_str);
    size_t R = flags.n + 2, C = cols.n + 1;
    long *cases = calloc(flags.n * cols.n + 1, sizeof *cases), *suites = calloc(flags.n * cols.n + 1, sizeof *suites);
    long *nsuites = calloc(cols.n + 1, sizeof *nsuites), *ncases = calloc(cols.n + 1, sizeof *ncases);
    qcts_cell *cells = calloc(R * C, sizeof *cells);
    if (!cases || !suites || !nsuites || !ncases || !cells) {
        fprintf(stderr, "qcts vectors: out of memory\n");
        cJSON_Delete(man);
        return QCTS_EXIT_FAIL;
    }
    /* pass 2: the counts */
    for (const cJSON *f = files->child; f; f = f->next) {
        const char *su = cJSON_GetObjectItemCaseSensitive(f, "suite")->valuestring;
        char grp[256];
        snprintf(grp, sizeof grp, "%s", su);
        char *slash = strchr(grp, '/');
        if (slash)
            *slash = '\0';
        if (group && strcmp(grp, group) != 0)
            continue;
        const char *col = group ? su : grp;
        size_t c = 0;
        while (strcmp(cols.v[c], col) != 0)
            c++;
        nsuites[c]++;
        const cJSON *nc = cJSON_GetObjectItemCaseSensitive(f, "cases");
        ncases[c] += cJSON_IsNumber(nc) ? (long)nc->valuedouble : 0;
        for (const cJSON *it = cJSON_GetObjectItemCaseSensitive(f, "flags")->child; it; it = it->next) {
            size_t r = 0;
            while (strcmp(flags.v[r], it->string) != 0)
                r++;
            cases[r * cols.n + c] += cJSON_IsNumber(it) ? (long)it->valuedouble : 0;
            suites[r * cols.n + c]++;
        }
    }
    snprintf(cells[0], sizeof cells[0], "flag");
    snprintf(cells[C], sizeof cells[C], group ? "(cases)" : "(cases/suites)");
    for (size_t c = 0; c < cols.n; c++) {
        const char *name = cols.v[c];
        if (group && strchr(name, '/'))
            name = strchr(name, '/') + 1;
        snprintf(cells[1 + c], sizeof cells[1 + c], "%s", name);
        if (group)
            snprintf(cells[C + 1 + c], sizeof cells[0], "%ld", ncases[c]);
        else
            snprintf(cells[C + 1 + c], sizeof cells[0], "%ld/%ld", ncases[c], nsuites[c]);
    }
    for (size_t r = 0; r < flags.n; r++) {
        qcts_cell *row = &cells[(r + 2) * C];
        snprintf(row[0], sizeof row[0], "%s", flags.v[r]);
        for (size_t c = 0; c < cols.n; c++) {
            long k = cases[r * cols.n + c], s = suites[r * cols.n + c];
            if (!k)
                snprintf(row[1 + c], sizeof row[0], "-");
            else if (group)
                snprintf(row[1 + c], sizeof row[0], "%ld", k);
            else
                snprintf(row[1 + c], sizeof row[0], "%ld/%ld", k, s);
        }
    }
    printf("# %s, from %s (flags: vectors/CASES.md)\n",
           group ? "cases carrying each flag, per suite" : "cases carrying each flag / suites of the group with such a case",
           path);
    qcts_table_print(stdout, cells, R, C);
    for (size_t i = 0; i < flags.n; i++)
        free(flags.v[i]);
    for (size_t i = 0; i < cols.n; i++)
        free(cols.v[i]);
    free(flags.v);
    free(cols.v);
    free(cases);
    free(suites);
    free(nsuites);
    free(ncases);
    free(cells);
    cJSON_Delete(man);
    return QCTS_EXIT_OK;
}
