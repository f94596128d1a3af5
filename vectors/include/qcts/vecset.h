/* qcts/vecset.h — reading a vector set for `qcts check` so that what is
 * recorded is what was read (issue "Trustworthy gating", item 3).
 *
 * WHAT IS READ
 *   A folder with a MANIFEST.json: exactly the files the manifest lists,
 *   each confined to the folder (see qcts_vec_read_confined), each with the
 *   listed size and SHA-256; the manifest's vector_set_sha256 must be the
 *   hash of those files (the rule in vectors/README.md); no *.safetensors
 *   below the folder may be unlisted. Any difference stops with an error
 *   naming the file: nothing runs, nothing is recorded.
 *   A folder without a manifest: every *.safetensors below it (hidden
 *   entries skipped, symlinks to folders never followed, at most 16 deep).
 *   One file: that file.
 *   Every file is opened without blocking, must be a regular file (a FIFO
 *   or /dev/zero is refused before any byte is read) and is read with a
 *   bound (its size, at most QCTS_VEC_FILE_MAX).
 *
 * THE HASH
 *   sha256 is always computed from the bytes read, with the manifest rule:
 *   SHA-256 of the lines "<file sha256>  <path relative to the folder>\n"
 *   sorted by path (one file: its base name). For a verified manifest it
 *   equals the manifest's vector_set_sha256. `official` is set only for the
 *   default set (vectors/golden, or the same folder named another way)
 *   verified against its manifest; any other set is unofficial.
 *   The caller loads the cases from data (qcts_case_file_load_mem), never
 *   from the path again, so the hash covers the bytes the cases came from.
 */
#ifndef QCTS_VECSET_H
#define QCTS_VECSET_H

#include <stddef.h>
#include <stdint.h>

#include "qcts/vectors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest vector file read (golden files are below 1 MiB). */
#define QCTS_VEC_FILE_MAX ((size_t)1 << 30)
/* Most files one set may hold. */
#define QCTS_VEC_SET_MAX_FILES 100000

typedef struct qcts_vec_file {
    char *path;            /* as opened: "<dir>/<rel>" (or the file given) */
    char *rel;             /* relative to the folder; base name for one file */
    uint8_t *data;         /* the bytes read (malloc'd; the caller may free
                              and NULL it once loaded) */
    size_t len;
    char sha256[65];
} qcts_vec_file;

typedef struct qcts_vec_set {
    qcts_vec_file *files;  /* sorted by rel */
    size_t n;
    int has_manifest;      /* verified against <dir>/MANIFEST.json */
    int official;          /* the default set, verified (see above) */
    char sha256[65];       /* the hash of what was read */
} qcts_vec_set;

/* Reads the set at path (folder or file). official_dir is the folder of
 * the official set (QCTS_VEC_GOLDEN_DIR, relative to the working
 * directory); a folder counts as official when it is that folder (same
 * device and inode) and verifies. On failure *out is empty and err names
 * the file and the reason. */
qcts_vec_status qcts_vec_set_read(const char *path, const char *official_dir, qcts_vec_set *out, char *err,
                                  size_t errlen);
void qcts_vec_set_free(qcts_vec_set *s);

/* Checks rel as a manifest path: relative, '/'-separated components that
 * are not empty and do not start with '.' (so no "..", no hidden files).
 * 0 when acceptable, else -1 with the reason in err. */
int qcts_vec_rel_ok(const char *rel, char *err, size_t errlen);

/* Reads dir/rel confined to dir: rel passes qcts_vec_rel_ok, its real path
 * (symlinks resolved) lies inside dir's real path, it is a regular file
 * (checked on the open descriptor, opened O_NONBLOCK | O_NOCTTY, so a FIFO
 * or a device is never read), of at most max bytes, and when want_size is
 * not (size_t)-1 of exactly that size (checked before reading). The read
 * stops at the size fstat gave; a file that grows meanwhile is refused.
 * 0 with *data (malloc'd) and *len, or -1 with err naming dir/rel. */
int qcts_vec_read_confined(const char *dir, const char *rel, size_t max, size_t want_size, uint8_t **data,
                           size_t *len, char *err, size_t errlen);

/* Reads one regular file (same rules, no confinement). */
int qcts_vec_read_regular(const char *path, size_t max, size_t want_size, uint8_t **data, size_t *len,
                          char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
