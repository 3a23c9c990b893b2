/* gateway/offload.c - see offload.h. One mutex guards the jobs' lists and
 * each job's link to its request; the threads sleep on one condition. A job
 * is freed by the loop only (offload_poll(), offload_stop()), so the loop may
 * look at every job it knows of without racing a free. */
#include "offload.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cfg.h"
#include "gw.h"
#include "http.h"
#include "mc_log.h"
#include "mc_time.h"
#include "store.h"

#define OPEN_RETRY_MS 1000 /* a store handle that could not be opened is tried again after this */
#define WATCH_US (100 * 1000) /* how often the clients of waiting jobs are looked at */
#define WATCH_CLOSE_MAX 64    /* queued jobs' connections closed by one look */

struct job {
    struct job *next;
    struct lws *wsi;    /* NULL once cancelled (the connection went away) */
    struct http_req *r; /* ... with its request */
    offload_run_fn run; /* on a reader thread */
    void *arg;          /* owned */
    void (*free_arg)(void *arg);
    struct offload_reply out; /* made by run */
    int rc;                   /* run's result; -ECANCELED: not run */
};

struct reader {
    struct offload *o;
    pthread_t thread;
    bool started;
    struct job *job; /* the one it runs, or NULL (under the mutex) */
};

struct offload {
    lws_sorted_usec_list_t sul; /* the watch on waiting clients (watch()) */
    bool watching;              /* sul is scheduled */
    struct lws_context *ctx;    /* woken when a job is done */
    char url[CFG_STR_MAX];      /* data.state_url: each thread opens its own handle */
    unsigned queue_max;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    struct job *queue, *queue_tail; /* waiting, oldest first */
    unsigned queued;
    struct job *done; /* finished (or skipped), for the loop */
    unsigned n_readers;
    struct reader readers[CFG_STATE_READERS_MAX];
};

static void watch(lws_sorted_usec_list_t *sul);

static void job_free(struct job *j)
{
    if (!j)
        return;
    if (j->free_arg)
        j->free_arg(j->arg);
    free(j->out.body);
    explicit_bzero(j->out.hdr, sizeof(j->out.hdr)); /* may hold a cookie one day */
    free(j);
}

/* Opens the thread's store handle when it has none and the last attempt is
 * old enough; NULL while the database cannot be reached. */
static struct store *reader_store(struct offload *o, struct store **st, int64_t *retry_ms)
{
    struct mc_err err = {{0}};
    int64_t now;

    if (*st)
        return *st; /* a lost connection is reset by the store itself (store_pg.c usable()) */
    now = mc_mono_ms();
    if (now < *retry_ms)
        return NULL;
    *st = store_open(o->url, &err);
    if (!*st) {
        *retry_ms = now + OPEN_RETRY_MS;
        mc_log(MC_LOG_ERROR, "offload.open", "error=\"%s\"", err.text); /* never the URL */
    }
    return *st;
}

static void *reader_main(void *arg)
{
    struct reader *rd = arg;
    struct offload *o = rd->o;
    struct store *st = NULL;
    int64_t retry_ms = 0;
    struct job *j;

    pthread_mutex_lock(&o->mu);
    for (;;) {
        while (!o->stop && !o->queue)
            pthread_cond_wait(&o->cv, &o->mu);
        if (!o->queue)
            break; /* stopping, nothing left */
        j = o->queue;
        o->queue = j->next;
        if (!o->queue)
            o->queue_tail = NULL;
        o->queued--;
        j->next = NULL;
        if (j->wsi && !o->stop) { /* a cancelled job is not worth a query */
            rd->job = j;
            pthread_mutex_unlock(&o->mu);
            j->rc = j->run(reader_store(o, &st, &retry_ms), j->arg, &j->out);
            pthread_mutex_lock(&o->mu);
            rd->job = NULL;
        } else {
            j->rc = -ECANCELED;
        }
        j->next = o->done;
        o->done = j;
        lws_cancel_service(o->ctx); /* the loop hands it over on its next pass */
    }
    pthread_mutex_unlock(&o->mu);
    store_free(st);
    return NULL;
}

int offload_reply_json(struct offload_reply *out, unsigned status, json_t *body)
{
    static const char oom[] = "{\"error\":\"internal\",\"message\":\"out of memory\"}";
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

    json_decref(body);
    out->status = text ? status : 503;
    out->ctype = text ? "application/json; charset=utf-8" : "application/json";
    out->body = text ? text : strdup(oom);
    out->len = out->body ? strlen(out->body) : 0;
    return out->body ? 0 : -ENOMEM;
}

bool offload_on(const struct gw *gw)
{
    return gw->offload != NULL;
}

int offload_start(struct gw *gw, struct mc_err *err)
{
    struct offload *o;
    unsigned i;

    gw->offload = NULL;
    if (!gw->cfg->data_state_url[0] || gw->cfg->data_state_readers == 0)
        return 0; /* SQLite: a local file, read on the loop */
    o = calloc(1, sizeof(*o));
    if (!o) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    o->ctx = gw->ctx;
    snprintf(o->url, sizeof(o->url), "%s", gw->cfg->data_state_url);
    o->queue_max = gw->cfg->data_state_read_queue;
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
    gw->offload = o;
    for (i = 0; i < gw->cfg->data_state_readers && i < CFG_STATE_READERS_MAX; i++) {
        o->readers[i].o = o;
        if (pthread_create(&o->readers[i].thread, NULL, reader_main, &o->readers[i]) != 0) {
            mc_err_set(err, "cannot start a reader thread (data.state_readers)");
            offload_stop(gw);
            return -1;
        }
        o->readers[i].started = true;
        o->n_readers++;
    }
    mc_log(MC_LOG_INFO, "offload.start", "readers=%u queue=%u", o->n_readers, o->queue_max);
    return 0;
}

int offload_answer(struct gw *gw, struct lws *wsi, struct http_req *r, offload_run_fn run,
                   void *arg, void (*free_arg)(void *arg))
{
    static const char busy[] = "{\"error\":\"busy\",\"message\":\"Too many reports and "
                               "lists are being read; try again in a moment.\"}";
    static const char oom[] = "{\"error\":\"internal\",\"message\":\"out of memory\"}";
    struct offload *o = gw->offload;
    struct job *j;

    pthread_mutex_lock(&o->mu);
    if (o->queued >= o->queue_max) {
        pthread_mutex_unlock(&o->mu);
        free_arg(arg);
        mc_log(MC_LOG_WARN, "offload.busy", "path=%s queue=%u", r->path, o->queue_max);
        return http_respond(gw, wsi, r, 503, "application/json", busy, sizeof busy - 1,
                            "retry-after: 1");
    }
    pthread_mutex_unlock(&o->mu);
    j = calloc(1, sizeof(*j));
    if (!j) {
        free_arg(arg);
        return http_respond(gw, wsi, r, 503, "application/json", oom, sizeof oom - 1, NULL);
    }
    j->wsi = wsi;
    j->r = r;
    j->run = run;
    j->arg = arg;
    j->free_arg = free_arg;
    /* lws closes an HTTP connection idle for 20 s: a big report may take longer */
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, OFFLOAD_WAIT_S);
    pthread_mutex_lock(&o->mu);
    if (o->queue_tail)
        o->queue_tail->next = j;
    else
        o->queue = j;
    o->queue_tail = j;
    o->queued++;
    pthread_cond_signal(&o->cv);
    pthread_mutex_unlock(&o->mu);
    if (!o->watching) {
        o->watching = true;
        lws_sul_schedule(o->ctx, 0, &o->sul, watch, WATCH_US);
    }
    return 0;
}

/* Writes j's answer to its request; we are outside that connection's
 * callback, so one that cannot take it is closed rather than told by a -1. */
static void deliver(struct gw *gw, struct job *j)
{
    static const char oom[] = "{\"error\":\"internal\",\"message\":\"out of memory\"}";
    struct http_hold_answer a;

    if (!j->wsi || gw_http_req(j->wsi) != j->r)
        return; /* cancelled: the connection went away, or took another request */
    if (j->rc == 0 && j->out.ctype)
        a = (struct http_hold_answer){j->out.status, j->out.ctype, j->out.body, j->out.len,
                                      j->out.hdr[0] ? j->out.hdr : NULL};
    else
        a = (struct http_hold_answer){503, "application/json", oom, sizeof oom - 1, NULL};
    if (http_hold_ready(gw, j->wsi, j->r, &a))
        lws_set_timeout(j->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void offload_poll(struct gw *gw)
{
    struct offload *o = gw->offload;
    struct job *done, *j;

    if (!o)
        return;
    pthread_mutex_lock(&o->mu);
    done = o->done;
    o->done = NULL;
    pthread_mutex_unlock(&o->mu);
    while ((j = done)) {
        done = j->next;
        deliver(gw, j);
        job_free(j);
    }
}

/* Cancels the job of r, wherever it is; under o->mu. Returns what it was
 * doing ("queued", "running", "done"), or NULL when r has none. */
static const char *cancel_locked(struct offload *o, const struct http_req *r)
{
    struct job *j;
    unsigned i;

    for (j = o->queue; j; j = j->next)
        if (j->r == r) {
            j->wsi = NULL, j->r = NULL;
            return "queued";
        }
    for (i = 0; i < o->n_readers; i++)
        if ((j = o->readers[i].job) && j->r == r) {
            j->wsi = NULL, j->r = NULL;
            return "running";
        }
    for (j = o->done; j; j = j->next)
        if (j->r == r) {
            j->wsi = NULL, j->r = NULL;
            return "done";
        }
    return NULL;
}

void offload_forget(struct gw *gw, const struct http_req *r)
{
    struct offload *o = gw ? gw->offload : NULL;
    const char *was;

    if (!o)
        return;
    pthread_mutex_lock(&o->mu);
    was = cancel_locked(o, r);
    pthread_mutex_unlock(&o->mu);
    if (was)
        mc_log(MC_LOG_INFO, "offload.cancelled", "state=%s path=%s", was, r->path);
}

/* Whether the client of wsi has closed its side. lws does not read an HTTP
 * connection whose answer it waits for, so a client that gives up is seen
 * only when the answer is written; a peek tells sooner, and a job not
 * started is then never run. */
static bool peer_gone(struct lws *wsi)
{
    lws_sockfd_type fd = lws_get_socket_fd(wsi);
    char c;
    ssize_t n;

    if (fd < 0)
        return false;
    n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Closes the connections of waiting jobs whose client went away: their
 * CLOSED_HTTP cancels the job (offload_forget()). At most WATCH_CLOSE_MAX
 * queued ones are closed a time (the rest at the next look), the running
 * ones always. */
static void watch_clients(struct offload *o)
{
    struct lws *gone[WATCH_CLOSE_MAX + CFG_STATE_READERS_MAX];
    size_t n = 0, i;
    struct job *j;
    unsigned k;

    pthread_mutex_lock(&o->mu);
    for (j = o->queue; j && n < WATCH_CLOSE_MAX; j = j->next)
        if (j->wsi && peer_gone(j->wsi))
            gone[n++] = j->wsi;
    for (k = 0; k < o->n_readers && n < sizeof(gone) / sizeof(gone[0]); k++)
        if ((j = o->readers[k].job) && j->wsi && peer_gone(j->wsi))
            gone[n++] = j->wsi;
    pthread_mutex_unlock(&o->mu);
    for (i = 0; i < n; i++) /* outside the lock: its CLOSED_HTTP takes it */
        lws_set_timeout(gone[i], PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
}

static void watch(lws_sorted_usec_list_t *sul)
{
    struct offload *o = lws_container_of(sul, struct offload, sul);
    bool busy;

    watch_clients(o);
    pthread_mutex_lock(&o->mu);
    busy = o->queue != NULL;
    for (unsigned k = 0; k < o->n_readers && !busy; k++)
        busy = o->readers[k].job != NULL;
    pthread_mutex_unlock(&o->mu);
    o->watching = busy;
    if (busy)
        lws_sul_schedule(o->ctx, 0, &o->sul, watch, WATCH_US);
}

bool offload_busy(const struct gw *gw)
{
    struct offload *o = gw->offload;
    bool busy = false;
    unsigned i;

    if (!o)
        return false;
    pthread_mutex_lock(&o->mu);
    busy = o->queue || o->done;
    for (i = 0; i < o->n_readers && !busy; i++)
        busy = o->readers[i].job != NULL;
    pthread_mutex_unlock(&o->mu);
    return busy;
}

void offload_stop(struct gw *gw)
{
    struct offload *o = gw->offload;
    struct job *j;
    unsigned i;

    if (!o)
        return;
    lws_sul_cancel(&o->sul);
    pthread_mutex_lock(&o->mu);
    o->stop = true; /* what is queued is skipped; a job running finishes */
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    for (i = 0; i < CFG_STATE_READERS_MAX; i++)
        if (o->readers[i].started)
            pthread_join(o->readers[i].thread, NULL);
    while ((j = o->done)) { /* past the grace: their connections end with the context */
        o->done = j->next;
        job_free(j);
    }
    pthread_cond_destroy(&o->cv);
    pthread_mutex_destroy(&o->mu);
    free(o);
    gw->offload = NULL;
}
