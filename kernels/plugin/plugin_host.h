/* plugin_host.h — what plugin_host.c (the proxy backend) and plugin_pool.c
 * (the processes behind it) share. Private to kernels/plugin. */
#ifndef QCTS_PLUGIN_HOST_H
#define QCTS_PLUGIN_HOST_H

#include <pthread.h>
#include <sys/types.h>

#include "kernels/kernels_impl.h"
#include "kernels/plugin/plugin_proto.h"

#define PH_MAX_WORKERS 64

typedef struct pw {
    pid_t pid;
    int fd;                     /* -1 once dead */
    int calls;                  /* live calls (and spawns in progress) using it */
    int dead;
    char death[512];            /* why it died, for later requests */
    pthread_mutex_t lock;       /* one request at a time */
} pw;

struct qcts_plugin_host {
    int slot;
    char *path;
    double timeout;
    pid_t spawner;
    int sp_fd;
    pthread_mutex_t sp_lock;    /* one spawner request at a time */
    pthread_mutex_t lock;       /* the pool, next_call */
    pw *w[PH_MAX_WORKERS];      /* NULL: free; &qcts_ph_reserved: a spawn is under way */
    uint64_t next_call;
    ph_resp hello;              /* of the first worker: name, flags, available */
};

/* The marker of a pool entry whose worker is being started. */
extern pw qcts_ph_reserved;

/* Forks the spawner (call while qcts has one thread). 0, or -1 and err. */
int qcts_ph_start_spawner(qcts_plugin_host *h, char *err, size_t n);
/* Forks a worker and reads its HELLO into *hello; the worker comes with
 * calls = 1. NULL and msg when it cannot start or refuses the plugin. */
pw *qcts_ph_spawn(qcts_plugin_host *h, ph_resp *hello, char *msg, size_t n);
/* A worker for a new call (its calls counted), or NULL and msg. */
pw *qcts_ph_lease(qcts_plugin_host *h, char *msg, size_t n);
void qcts_ph_unlease(qcts_plugin_host *h, pw *w);
/* Closes w's end and frees it (an idle worker exits at EOF). */
void qcts_ph_worker_free(pw *w);
/* One request on w (fd passed along when >= 0) and its answer in *r.
 * QCTS_OK when an answer came (its own status is r->status); QCTS_ERROR
 * when w died, timed out or was already gone, with how in msg. */
qcts_status qcts_ph_ask(qcts_plugin_host *h, pw *w, const ph_req *q, int fd, const char *step, ph_resp *r,
                        char *msg, size_t n);

#endif
