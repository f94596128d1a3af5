/* paths.h — where qcts finds its golden vectors and its database, so an
 * installed qcts works from any directory (README "Installing").
 *
 * Golden vectors (the default of check --vectors, vectors verify --dir, ...):
 *   1. the global option --data-dir DIR (main.c), or
 *   2. the environment variable QCTS_DATA_DIR: DIR/golden (and the suite
 *      definitions in DIR/suites; the source tree's DIR is vectors/);
 *   3. installed (the program is PREFIX/bin/qcts and PREFIX/share/qcts/golden
 *      exists): PREFIX/share/qcts/golden, found from the program's own path,
 *      so a moved prefix still works;
 *   4. otherwise vectors/golden, relative to the working directory (the
 *      source tree, as before).
 * Database (the default of --db):
 *   1. the environment variable QCTS_DB;
 *   2. installed: $XDG_DATA_HOME/qcts/qcts.db (default ~/.local/share/qcts),
 *      the folder created on first use; never inside the prefix;
 *   3. otherwise db/qcts.db relative to the working directory. */
#ifndef QCTS_CLI_PATHS_H
#define QCTS_CLI_PATHS_H

/* Called once by main with argv[0] (used where /proc/self/exe is missing). */
void qcts_paths_init(const char *argv0);

/* The global option --data-dir DIR: golden vectors in DIR/golden. */
void qcts_paths_set_data_dir(const char *dir);

/* The golden set folder (never NULL; static storage). */
const char *qcts_golden_dir(void);

/* The suite definitions: $QCTS_SUITES_DIR, else DATA/suites as above. */
const char *qcts_suites_dir(void);

/* The database file (never NULL; static storage). For the installed
 * default, its folder is created (mode 0700) before this returns. */
const char *qcts_db_default(void);

/* PREFIX/share/qcts when this program is an installed qcts, else NULL. */
const char *qcts_installed_share(void);

#endif
