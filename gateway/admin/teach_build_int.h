/* gateway/admin/teach_build_int.h - what teach_build.c (the requests
 * waiting, the build thread, the loop's side) and teach_build_answer.c (the
 * answers sent to the requests) share; not for other modules. */
#ifndef MOTCUA_GATEWAY_ADMIN_TEACH_BUILD_INT_H
#define MOTCUA_GATEWAY_ADMIN_TEACH_BUILD_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "mc_err.h"
#include "store.h"
#include "teach.h"
#include "teach_build.h"

struct gw;
struct lws;
struct lws_context;
struct intent_index;

struct pending {
    struct lws *wsi; /* NULL once its connection closed */
    bool post;       /* a teach; else a DELETE done (id, label) */
    int64_t id;
    char text[TEACH_TEXT_MAX + 1];
    char label[TEACH_LABEL_MAX];
    char officer[STORE_OFFICER_USER_MAX];
    char peer[48];
    uint64_t ticket; /* its batch, while its commit is awaited on PostgreSQL; else 0 */
    bool landed;     /* its commit was reported (or done at once) ... */
    int commit_rc;   /* ... with this result (0: committed) */
};

struct job {
    struct lws_context *ctx; /* woken when the thread is done */
    unsigned delay_ms;       /* test only: TEACH_BUILD_TEST_DELAY_ENV */
    struct teach_phrases *tp;
    int64_t rev;                    /* the taught phrases' revision tp was read at */
    const struct intent_index *cur; /* the index of tp: gw's (read only) or own */
    struct intent_index *own;       /* built by the thread when gw's was older than tp */
    struct intent_index *trial;     /* ... with the new phrase (a teach) */
    struct pending req;             /* the teach, when req.post */
    struct teach_conflict c;
    int rc;
    struct mc_err err;
    struct timespec t0;
    pthread_t thread;
    atomic_bool done;
    bool committing;            /* built; req's phrase written, its commit awaited */
    int64_t id, new_rev, added; /* ... the phrase's id, the revision it made, when */
    struct pending waiters[TEACH_BUILD_WAITERS_MAX]; /* DELETEs answered when it is in use */
    size_t n_waiters;
};

/* Answers the request waiting on wsi with j (consumed; hdr: one extra header
 * or NULL); a connection gone (wsi NULL) or that cannot take it is closed
 * (outside its callback: no -1 to return). */
void teach_build_respond(struct gw *gw, struct lws *wsi, unsigned status, json_t *j,
                         const char *hdr);

/* Answers the 500 of a write whose commit failed (http_hold.h). */
void teach_build_respond_failed(struct gw *gw, struct lws *wsi);

/* Answers {"error": code, "message": message} with status. */
void teach_build_respond_error(struct gw *gw, struct lws *wsi, unsigned status, const char *code,
                               const char *message);

/* Answers p's DELETE as done: 200 {"deleted": id, "label": label}. */
void teach_build_answer_deleted(struct gw *gw, const struct pending *p);

/* Answers a teach that conflicts (c): 409 naming the phrase. */
void teach_build_answer_conflict(struct gw *gw, struct lws *wsi, const struct teach_conflict *c);

/* Answers every DELETE waiting on j as done, and empties j's list. */
void teach_build_answer_waiters(struct gw *gw, struct job *j);

/* Answers p when the server stops before it is done. */
void teach_build_answer_stopping(struct gw *gw, const struct pending *p);

#endif
