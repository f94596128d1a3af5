/* Where qcts finds its data and database (cli/paths.h has the rules). */
#include "cli/paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char exe[PATH_MAX];
static const char *data_dir_opt;

void qcts_paths_init(const char *argv0)
{
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        return;
    }
    /* No /proc (macOS): argv[0] when it names a path. */
    exe[0] = '\0';
    if (argv0 && strchr(argv0, '/') && !realpath(argv0, exe))
        exe[0] = '\0';
}

void qcts_paths_set_data_dir(const char *dir)
{
    data_dir_opt = dir;
}

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

const char *qcts_installed_share(void)
{
    static char share[PATH_MAX];
    static int done;
    if (done)
        return share[0] ? share : NULL;
    done = 1;
    /* PREFIX/bin/qcts -> PREFIX/share/qcts, when that holds golden/. */
    char *slash = strrchr(exe, '/');
    if (!slash || slash == exe)
        return NULL;
    size_t bin = (size_t)(slash - exe);
    if (bin < 4 || strncmp(exe + bin - 4, "/bin", 4) != 0)
        return NULL;
    char golden[PATH_MAX];
    int n = snprintf(share, sizeof share, "%.*s/share/qcts", (int)(bin - 4), exe);
    if (n < 0 || (size_t)n >= sizeof share)
        goto none;
    n = snprintf(golden, sizeof golden, "%s/golden", share);
    if (n < 0 || (size_t)n >= sizeof golden || !is_dir(golden))
        goto none;
    return share;
none:
    share[0] = '\0';
    return NULL;
}

/* DATA/sub for the data folder chosen (option, environment, installed
 * share), else vectors/sub (the source tree). */
static const char *data_path(char *buf, size_t n, const char *sub)
{
    const char *d = data_dir_opt;
    if (!d || !*d)
        d = getenv("QCTS_DATA_DIR");
    if (!d || !*d)
        d = qcts_installed_share();
    if (!d || !*d)
        d = "vectors";
    int k = snprintf(buf, n, "%s/%s", d, sub);
    if (k < 0 || (size_t)k >= n)
        snprintf(buf, n, "%s", d);   /* too long: open fails, naming it */
    return buf;
}

const char *qcts_golden_dir(void)
{
    static char dir[PATH_MAX];
    return data_path(dir, sizeof dir, "golden");
}

const char *qcts_suites_dir(void)
{
    static char dir[PATH_MAX];
    const char *env = getenv("QCTS_SUITES_DIR");
    return env && *env ? env : data_path(dir, sizeof dir, "suites");
}

/* mkdir -p with mode 0700 for the folders it creates. */
static void make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST)
                fprintf(stderr, "qcts: cannot create %s: %s\n", path, strerror(errno));
            *p = '/';
        }
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        fprintf(stderr, "qcts: cannot create %s: %s\n", path, strerror(errno));
}

const char *qcts_db_default(void)
{
    static char path[PATH_MAX];
    const char *e = getenv("QCTS_DB");
    if (e && *e)
        return e;
    if (!qcts_installed_share())
        return "db/qcts.db";
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    char dir[PATH_MAX - 16];
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(dir, sizeof dir, "%s/qcts", xdg);
    else if (home && home[0] == '/')
        n = snprintf(dir, sizeof dir, "%s/.local/share/qcts", home);
    else
        return "qcts.db";   /* no home: the working directory */
    if (n < 0 || (size_t)n >= sizeof dir)
        return "qcts.db";
    make_dirs(dir);
    snprintf(path, sizeof path, "%s/qcts.db", dir);
    return path;
}
