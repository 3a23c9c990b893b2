/* gateway/reload.c - see reload.h. */
#include "reload.h"

#include <errno.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw.h"
#include "http.h"
#include "intent.h"
#include "kb.h"
#include "mc_log.h"
#include "office.h"
#include "teach.h"
#include "teach_build.h"

struct reload {
    struct lws_context *ctx; /* woken when the build is done */
    struct kb *kb;           /* the new snapshot (owned until swapped in) */
    struct teach_phrases *tp;
    int64_t rev;
    struct intent_index *idx; /* built by the thread */
    struct mc_err err;
    struct timespec t0;
    pthread_t thread;
    atomic_bool done;
    bool again; /* another SIGHUP or POST came while this one built */
    /* POST /admin/reload requests answered when this build is swapped in,
     * and those that came while it built (answered by the next one) */
    struct lws *waiters[RELOAD_WAITERS_MAX], *next[RELOAD_WAITERS_MAX];
    size_t n_waiters, n_next;
};

/* Answers the POST waiting on wsi; a connection that cannot take the answer
 * is closed (we are outside its callback: no -1 to return). */
static void answer(struct gw *gw, struct lws *wsi, unsigned status, const char *code,
                   const char *message)
{
    struct http_req *r = gw_http_req(wsi);
    char body[MC_ERR_LEN + 96];
    int n;

    if (!r)
        return;
    if (gw->draining) /* stopping: the whole answer now, then close (the drain may end first) */
        r->close_after = true;
    if (status == 200)
        n = snprintf(body, sizeof(body), "{\"reloaded\":true}");
    else
        n = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"message\":\"%s\"}", code, message);
    if (n < 0 || (size_t)n >= sizeof(body) ||
        http_respond(gw, wsi, r, status, "application/json", body, (size_t)n, NULL))
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* The error text in a JSON string: what is not plain printable ASCII
 * (quotes, backslashes, controls, UTF-8) becomes a space. */
static void json_safe(const char *in, char *out, size_t size)
{
    size_t i;

    for (i = 0; in[i] && i + 1 < size; i++)
        out[i] = (in[i] >= ' ' && in[i] < 0x7f && in[i] != '"' && in[i] != '\\') ? in[i] : ' ';
    out[i] = '\0';
}

static void answer_all(struct gw *gw, struct lws *const *w, size_t n, unsigned status,
                       const char *code, const char *why)
{
    char msg[MC_ERR_LEN];
    size_t i;

    json_safe(why ? why : "", msg, sizeof(msg));
    for (i = 0; i < n; i++)
        answer(gw, w[i], status, code, msg);
}

static void *build(void *arg)
{
    struct reload *r = arg;

    r->idx = teach_phrases_index(r->tp, NULL, NULL, &r->err);
    atomic_store(&r->done, true);
    lws_cancel_service(r->ctx); /* the loop swaps it in on its next pass */
    return NULL;
}

static void job_free(struct reload *r)
{
    teach_phrases_free(r->tp);
    intent_index_free(r->idx);
    kb_free(r->kb);
    free(r);
}

/* Starts a build; waiters (n of them) wait on it. Returns it, or NULL when it
 * could not start (logged; the waiters are answered 500). */
static struct reload *start_job(struct gw *gw, struct lws *const *waiters, size_t n)
{
    struct reload *r;

    r = calloc(1, sizeof(*r));
    if (!r) {
        mc_log(MC_LOG_ERROR, "kb.reload", "error=\"out of memory\" kept=previous");
        answer_all(gw, waiters, n, 500, "reload_failed", "out of memory");
        return NULL;
    }
    if (n) /* a SIGHUP's build has no waiters (waiters may be NULL) */
        memcpy(r->waiters, waiters, n * sizeof(*waiters));
    r->n_waiters = n;
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    r->ctx = gw->ctx;
    r->kb = kb_open(gw->cfg->data_knowledge_db, &r->err);
    r->tp = r->kb ? teach_phrases_load(r->kb, gw->store, &r->rev, &r->err) : NULL;
    if (!r->tp || pthread_create(&r->thread, NULL, build, r) != 0) {
        const char *why = r->err.text[0] ? r->err.text : "cannot start the build thread";

        mc_log(MC_LOG_ERROR, "kb.reload", "error=\"%s\" kept=previous", why);
        answer_all(gw, r->waiters, r->n_waiters, 500, "reload_failed", why);
        job_free(r);
        return NULL;
    }
    return r;
}

void reload_start(struct gw *gw)
{
    if (gw->draining)
        return; /* stopping: no build would be swapped in (a notification in the drain) */
    if (gw->reload)
        gw->reload->again = true;
    else
        gw->reload = start_job(gw, NULL, 0);
}

int reload_answer(struct gw *gw, struct lws *wsi)
{
    struct reload *r = gw->reload;

    if (gw->draining) { /* stopping: a build started now would never be swapped in */
        answer(gw, wsi, 503, "shutting_down", "The server is stopping.");
        return 0;
    }
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, RELOAD_ANSWER_TIMEOUT_S);

    if (!r) {
        gw->reload = start_job(gw, &wsi, 1);
        return 0; /* answered already when it could not start */
    }
    if (r->n_next == RELOAD_WAITERS_MAX)
        return -EBUSY;
    r->next[r->n_next++] = wsi;
    r->again = true;
    return 0;
}

int reload_all_asked(struct lws *wsi)
{
    char v[8];
    const char *a = lws_get_urlarg_by_name(wsi, "all=", v, (int)sizeof(v));

    if (!a || strcmp(a, "0") == 0)
        return 0;
    return strcmp(a, "1") == 0 ? 1 : -EINVAL;
}

static bool drop(struct lws **w, size_t *n, struct lws *wsi)
{
    size_t i;

    for (i = 0; i < *n; i++)
        if (w[i] == wsi) {
            w[i] = w[--*n];
            return true;
        }
    return false;
}

void reload_forget(struct gw *gw, struct lws *wsi)
{
    struct reload *r = gw->reload;

    if (r && !drop(r->waiters, &r->n_waiters, wsi))
        (void)drop(r->next, &r->n_next, wsi);
}

bool reload_poll(struct gw *gw)
{
    struct reload *r = gw->reload;
    struct lws *next[RELOAD_WAITERS_MAX];
    struct timespec t1;
    size_t n_next;
    bool again;

    if (!r)
        return false;
    if (!atomic_load(&r->done) || teach_build_busy(gw))
        return true; /* a phrase build may read gw's index: swapped after it */
    pthread_join(r->thread, NULL);
    gw->reload = NULL;
    again = r->again;
    n_next = r->n_next;
    memcpy(next, r->next, n_next * sizeof(*next));
    if (!r->idx) {
        mc_log(MC_LOG_ERROR, "kb.reload", "error=\"%s\" kept=previous", r->err.text);
        answer_all(gw, r->waiters, r->n_waiters, 500, "reload_failed", r->err.text);
    } else {
        intent_index_free(gw->index);
        kb_free(gw->kb);
        gw->kb = r->kb;
        gw->index = r->idx;
        gw->taught_rev = r->rev;
        r->kb = NULL;
        r->idx = NULL;
        if (office_apply(gw)) /* the commune's layer over the new snapshot (office.h) */
            mc_log(MC_LOG_WARN, "office.apply", "at=reload result=shipped_data");
        clock_gettime(CLOCK_MONOTONIC, &t1);
        mc_log(MC_LOG_INFO, "kb.reload", "path=%s index_bytes=%zu build_ms=%.0f background=1",
               gw->cfg->data_knowledge_db, intent_index_memory(gw->index),
               (double)(t1.tv_sec - r->t0.tv_sec) * 1e3 +
                   (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e6);
        answer_all(gw, r->waiters, r->n_waiters, 200, NULL, NULL);
        teach_build_refresh(gw); /* a phrase taught while it built (its rev is older) */
    }
    job_free(r);
    if (again)
        gw->reload = start_job(gw, next, n_next);
    return gw->reload != NULL;
}

void reload_cancel(struct gw *gw)
{
    struct reload *r = gw->reload;

    if (!r)
        return;
    pthread_join(r->thread, NULL);
    gw->reload = NULL;
    answer_all(gw, r->waiters, r->n_waiters, 503, "shutting_down", "The server is stopping.");
    answer_all(gw, r->next, r->n_next, 503, "shutting_down", "The server is stopping.");
    job_free(r);
}
