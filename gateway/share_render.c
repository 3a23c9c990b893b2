/* gateway/share_render.c - see share_render.h. */
#include "share_render.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "http.h"
#include "mc_buf.h"
#include "mc_log.h"
#include "share.h"

#define KEY_MAX (SHARE_URL_MAX + 64) /* the token and the page's URL */

struct job {
    struct lws *wsi; /* the request waiting for it, NULL once it went away */
    char key[KEY_MAX];
    json_t *snap; /* owned copy */
    char *commune, *url;
    struct mc_buf out; /* the picture */
    int rc;
};

struct cached {
    char key[KEY_MAX];
    unsigned char *png; /* owned, NULL: empty slot */
    size_t len;
    unsigned long long used; /* for least-recently-used eviction */
};

struct share_render {
    struct lws_context *ctx;                   /* woken when a drawing is done */
    struct job *queue[SHARE_RENDER_QUEUE + 1]; /* [0] is being drawn when running */
    size_t n;
    bool running;
    pthread_t thread;
    atomic_bool done;
    struct cached cache[SHARE_RENDER_CACHE];
    unsigned long long tick;
};

struct share_render *share_render_new(void)
{
    return calloc(1, sizeof(struct share_render));
}

static void job_free(struct job *j)
{
    if (!j)
        return;
    json_decref(j->snap);
    free(j->commune);
    free(j->url);
    mc_buf_fini(&j->out);
    free(j);
}

void share_render_free(struct gw *gw, struct share_render *sr)
{
    size_t i;

    (void)gw;
    if (!sr)
        return;
    if (sr->running)
        pthread_join(sr->thread, NULL);
    for (i = 0; i < sr->n; i++)
        job_free(sr->queue[i]); /* their connections end with the context */
    for (i = 0; i < SHARE_RENDER_CACHE; i++)
        free(sr->cache[i].png);
    free(sr);
}

static const struct cached *cache_find(struct share_render *sr, const char *key)
{
    size_t i;

    for (i = 0; i < SHARE_RENDER_CACHE; i++)
        if (sr->cache[i].png && strcmp(sr->cache[i].key, key) == 0) {
            sr->cache[i].used = ++sr->tick;
            return &sr->cache[i];
        }
    return NULL;
}

/* Keeps j's picture in the least recently used slot (its bytes move there). */
static void cache_put(struct share_render *sr, struct job *j)
{
    struct cached *slot = &sr->cache[0];
    size_t i;

    for (i = 1; i < SHARE_RENDER_CACHE && slot->png; i++)
        if (!sr->cache[i].png || sr->cache[i].used < slot->used)
            slot = &sr->cache[i];
    free(slot->png);
    slot->png = (unsigned char *)j->out.data;
    slot->len = j->out.len;
    slot->used = ++sr->tick;
    snprintf(slot->key, sizeof slot->key, "%s", j->key);
    mc_buf_init(&j->out, SHARE_PNG_MAX); /* the bytes belong to the slot now */
}

/* Answers the request on wsi; we are outside its callback, so a connection
 * that cannot take the answer is closed rather than told to by a -1. */
static void answer(struct gw *gw, struct lws *wsi, int status, const void *data, size_t len)
{
    static const char busy[] = "{\"error\":\"internal\",\"message\":\"Cannot draw this "
                               "checklist.\"}";
    struct http_req *r = gw_http_req(wsi);
    int rc;

    if (!r)
        return;
    rc = status == 200
             ? http_respond(gw, wsi, r, 200, "image/png", data, len, "x-robots-tag: noindex")
             : http_respond(gw, wsi, r, 503, "application/json", busy, sizeof busy - 1, NULL);
    if (rc)
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void *draw(void *arg)
{
    struct share_render *sr = arg;
    struct job *j = sr->queue[0];

    j->rc = share_png(j->snap, j->commune, j->url, &j->out);
    atomic_store(&sr->done, true);
    lws_cancel_service(sr->ctx); /* the loop answers on its next pass */
    return NULL;
}

/* Starts drawing queue[0] unless one is drawn or its picture is cached by
 * now (then answers it and goes on with the next). */
static void start_next(struct gw *gw, struct share_render *sr)
{
    while (!sr->running && sr->n > 0) {
        struct job *j = sr->queue[0];
        const struct cached *c = cache_find(sr, j->key);

        if (!c && !j->wsi) { /* nobody waits any more: not worth a drawing */
            memmove(sr->queue, sr->queue + 1, --sr->n * sizeof(sr->queue[0]));
            job_free(j);
            continue;
        }
        if (!c) {
            atomic_store(&sr->done, false);
            sr->ctx = gw->ctx;
            if (pthread_create(&sr->thread, NULL, draw, sr) == 0) {
                sr->running = true;
                return;
            }
            mc_log(MC_LOG_ERROR, "share.render", "error=\"cannot start the drawing thread\"");
        }
        if (j->wsi)
            answer(gw, j->wsi, c ? 200 : 503, c ? c->png : NULL, c ? c->len : 0);
        memmove(sr->queue, sr->queue + 1, --sr->n * sizeof(sr->queue[0]));
        job_free(j);
    }
}

int share_render_answer(struct gw *gw, struct lws *wsi, const char *key, const json_t *snap,
                        const char *commune, const char *url)
{
    struct share_render *sr = gw->share_render;
    const struct cached *c = cache_find(sr, key);
    struct job *j;

    if (c) {
        struct http_req *r = gw_http_req(wsi);

        return r ? http_respond(gw, wsi, r, 200, "image/png", (const char *)c->png, c->len,
                                "x-robots-tag: noindex")
                 : -1;
    }
    if (sr->n >= SHARE_RENDER_QUEUE + (sr->running ? 1 : 0))
        return -EBUSY;
    j = calloc(1, sizeof(*j));
    if (!j)
        return -1;
    j->wsi = wsi;
    snprintf(j->key, sizeof j->key, "%s", key);
    j->snap = json_deep_copy(snap);
    j->commune = commune ? strdup(commune) : NULL;
    j->url = url ? strdup(url) : NULL;
    mc_buf_init(&j->out, SHARE_PNG_MAX);
    if (!j->snap || (commune && !j->commune) || (url && !j->url)) {
        job_free(j);
        return -1;
    }
    sr->queue[sr->n++] = j;
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, SHARE_RENDER_WAIT_S);
    start_next(gw, sr);
    return 0;
}

void share_render_poll(struct gw *gw)
{
    struct share_render *sr = gw->share_render;
    struct job *j;

    if (!sr || !sr->running || !atomic_load(&sr->done))
        return;
    pthread_join(sr->thread, NULL);
    sr->running = false;
    j = sr->queue[0];
    memmove(sr->queue, sr->queue + 1, --sr->n * sizeof(sr->queue[0]));
    if (j->rc)
        mc_log(MC_LOG_WARN, "share.render", "kind=png rc=%d", j->rc);
    else
        cache_put(sr, j);
    if (j->wsi) {
        const struct cached *c = j->rc ? NULL : cache_find(sr, j->key);

        answer(gw, j->wsi, c ? 200 : 503, c ? c->png : NULL, c ? c->len : 0);
    }
    job_free(j);
    start_next(gw, sr);
}

void share_render_forget(struct gw *gw, struct lws *wsi)
{
    struct share_render *sr = gw->share_render;
    size_t i;

    if (!sr)
        return;
    for (i = 0; i < sr->n; i++)
        if (sr->queue[i]->wsi == wsi)
            sr->queue[i]->wsi = NULL; /* drawn anyway if started: the cache keeps it */
}
