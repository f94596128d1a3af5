/* plugin:PATH.so — a backend in a shared object (qcts/backend.h, PLUGINS).
 * dlopen with RTLD_NOW so an unresolved symbol fails here, not mid-run;
 * RTLD_LOCAL so two plugins never see each other's symbols. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernels/kernels_impl.h"
#include "kernels/backend_say.h"

qcts_status qcts_plugin_open(const char *path, void **dl, const qcts_backend **be, char *err, size_t n)
{
    *dl = NULL;
    *be = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return qcts_say(QCTS_ERROR, err, n, "plugin %s: no such file", path);
    if (!S_ISREG(sb.st_mode))
        return qcts_say(QCTS_ERROR, err, n, "plugin %s: not a regular file", path);
    /* A name without '/' would make dlopen search the library path, not
     * the file the user named. */
    char *p = NULL;
    if (!strchr(path, '/')) {
        p = malloc(strlen(path) + 3);
        if (!p)
            return qcts_say(QCTS_ERROR, err, n, "plugin %s: out of memory", path);
        strcpy(p, "./");
        strcat(p, path);
    }
    dlerror();
    void *h = dlopen(p ? p : path, RTLD_NOW | RTLD_LOCAL);
    free(p);
    if (!h) {
        const char *e = dlerror();
        return qcts_say(QCTS_ERROR, err, n, "plugin %s: cannot load: %s", path, e ? e : "unknown dlopen error");
    }
    dlerror();
    void *sym = dlsym(h, QCTS_BACKEND_ENTRY_SYMBOL);
    const char *e = dlerror();
    if (e || !sym) {
        qcts_say(QCTS_ERROR, err, n, "plugin %s: no symbol '%s' (a plugin exports const qcts_backend *%s(void)): %s", path,
            QCTS_BACKEND_ENTRY_SYMBOL, QCTS_BACKEND_ENTRY_SYMBOL, e ? e : "the symbol is NULL");
        dlclose(h);
        return QCTS_ERROR;
    }
    /* ISO C forbids converting void * to a function pointer; POSIX requires
     * dlsym's result to be usable as one. Copy the bits. */
    qcts_backend_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);
    const qcts_backend *b = entry();
    char who[1100];
    snprintf(who, sizeof who, "plugin %s", path);
    if (qcts_backend_validate(b, who, err, n) != QCTS_OK) {
        dlclose(h);
        return QCTS_ERROR;
    }
    *dl = h;
    *be = b;
    return QCTS_OK;
}

void qcts_plugin_close(void *dl)
{
    if (dl)
        dlclose(dl);
}
