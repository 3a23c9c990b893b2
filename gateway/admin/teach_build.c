/* gateway/admin/teach_build.c - see teach_build.h. The requests waiting,
 * the job a thread runs, then the loop's side: start, finish, commits. The
 * answers sent to the requests: teach_build_answer.c. */
#include "teach_build.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw.h"
#include "intent.h"
#include "mc_log.h"
#include "store.h"
#include "teach.h"
#include "teach_build_int.h"

struct teach_build {
    struct job *job;
    bool again; /* a refresh was asked while the job built */
    struct pending queue[TEACH_BUILD_WAITERS_MAX];
    size_t n_queue;
    /* DELETEs written, their commit awaited; with the queue, at most
     * TEACH_BUILD_WAITERS_MAX, so either fits in the queue once committed */
    struct pending committing[TEACH_BUILD_WAITERS_MAX];
    size_t n_committing;
};

/* ---- the thread ---------------------------------------------------------- */

static void *work(void *arg)
{
    struct job *j = arg;
    const struct intent_example *all;
    size_t n;

    if (j->delay_ms) { /* test only: a build slow enough to be caught in the act */
        struct timespec d = {(time_t)(j->delay_ms / 1000), (long)(j->delay_ms % 1000) * 1000000L};

        while (nanosleep(&d, &d) != 0 && errno == EINTR) /* the rest, after a signal */
            ;
    }
    if (!j->cur) {
        j->own = teach_phrases_index(j->tp, NULL, NULL, &j->err);
        j->cur = j->own;
        j->rc = j->own ? 0 : -EIO;
    }
    if (!j->rc && j->req.post) {
        all = teach_phrases_get(j->tp, &n);
        j->rc = teach_check_near(all, n, j->req.text, j->req.label, &j->c);
        if (!j->rc && j->c.verdict == TEACH_OK) {
            j->trial = teach_phrases_index(j->tp, j->req.text, j->req.label, &j->err);
            j->rc =
                j->trial ? teach_check_index(all, n, j->req.text, j->cur, j->trial, &j->c) : -EIO;
        }
    }
    atomic_store(&j->done, true);
    lws_cancel_service(j->ctx); /* the loop finishes it on its next pass */
    return NULL;
}

/* ---- the loop's side -------------------------------------------------------- */

static struct teach_build *builder(struct gw *gw)
{
    if (!gw->teach_build)
        gw->teach_build = calloc(1, sizeof(*gw->teach_build));
    return gw->teach_build;
}

static void job_free(struct job *j)
{
    if (!j)
        return;
    intent_index_free(j->own);
    intent_index_free(j->trial);
    teach_phrases_free(j->tp);
    free(j);
}

/* ---- commits ----------------------------------------------------------------- */

/* p's writes are in the store's open batch: on PostgreSQL its commit is sent
 * by the loop's pass and awaited (p->ticket, marked by
 * teach_build_committed()); on SQLite, or with no batch of ours open, it is
 * committed now (gw_flush()), as every write there is. */
static void await_commit(struct gw *gw, struct pending *p)
{
    uint64_t ticket = store_batch_ticket(gw->store);

    p->landed = false;
    p->commit_rc = 0;
    if (store_commits_async(gw->store) && store_in_batch(gw->store) && ticket) {
        p->ticket = ticket;
        return;
    }
    p->ticket = 0; /* the report of the flush below is not taken for p: it is read here */
    p->commit_rc = gw_flush(gw);
    p->landed = true;
}

static void mark(struct pending *p, uint64_t ticket, int rc)
{
    if (p->ticket && !p->landed && p->ticket <= ticket) {
        p->landed = true;
        p->commit_rc = rc;
    }
}

void teach_build_committed(struct gw *gw, uint64_t ticket, int rc)
{
    struct teach_build *b = gw->teach_build;
    size_t i;

    if (!b)
        return;
    for (i = 0; i < b->n_committing; i++)
        mark(&b->committing[i], ticket, rc);
    if (b->job && b->job->committing)
        mark(&b->job->req, ticket, rc);
}

/* The DELETEs whose commit was reported: a committed one waits in the queue
 * for an index without its phrase (while draining no build starts: answered
 * 200 at once, as teach_build_drain() does); one not saved is answered 500,
 * nothing changed. Returns whether one was queued (start() has work). */
static bool settle_deletes(struct gw *gw, struct teach_build *b)
{
    bool queued = false;
    size_t i, k;

    for (i = k = 0; i < b->n_committing; i++) {
        struct pending *p = &b->committing[i];

        if (!p->landed) {
            if (k != i)
                b->committing[k] = *p;
            k++;
        } else if (p->commit_rc) {
            mc_log(MC_LOG_WARN, "admin.unteach", "id=%lld result=not_saved", (long long)p->id);
            teach_build_respond_failed(gw, p->wsi);
        } else if (gw->draining || b->n_queue == TEACH_BUILD_WAITERS_MAX) {
            teach_build_answer_deleted(
                gw, p); /* full cannot be: the two hold TEACH_BUILD_WAITERS_MAX */
        } else {
            p->ticket = 0;
            b->queue[b->n_queue++] = *p;
            queued = true;
        }
    }
    b->n_committing = k;
    return queued;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The next job from the queue into *out: the first teach, with the DELETEs
 * queued (their phrases are gone from what it reads). *out is NULL when
 * there is nothing to build (the DELETEs are answered). Returns 0 or
 * -ENOMEM (the queue stays: the next poll or request tries again). */
static int take(struct gw *gw, struct teach_build *b, struct job **out)
{
    struct job *j = calloc(1, sizeof(*j));
    size_t i, k;
    int64_t rev;

    *out = NULL;
    if (!j)
        return -ENOMEM;
    for (i = k = 0; i < b->n_queue; i++) {
        if (!j->req.post && b->queue[i].post)
            j->req = b->queue[i];
        else if (!j->req.post && !b->queue[i].post)
            j->waiters[j->n_waiters++] = b->queue[i];
        else
            b->queue[k++] = b->queue[i];
    }
    b->n_queue = k;
    if (!j->req.post && store_phrase_rev(gw->store, &rev) == 0 && rev == gw->taught_rev) {
        teach_build_answer_waiters(gw, j); /* in use already: nothing to build */
        b->again = false;
        job_free(j);
        return 0;
    }
    b->again = false;
    *out = j;
    return 0;
}

/* The test-only delay of a build (TEACH_BUILD_TEST_DELAY_ENV), 0 without it. */
static unsigned test_delay_ms(void)
{
    const char *v = getenv(TEACH_BUILD_TEST_DELAY_ENV);
    unsigned long ms;
    char *end;

    if (!v || !v[0])
        return 0;
    errno = 0;
    ms = strtoul(v, &end, 10);
    return errno || *end || ms > TEACH_BUILD_TEST_DELAY_MAX_MS ? 0 : (unsigned)ms;
}

/* Starts the next build when none runs and one is needed; none once the
 * server drains (teach_build_drain()). */
static void start(struct gw *gw)
{
    struct teach_build *b = gw->teach_build;
    struct job *j;

    while (b && !gw->draining && !b->job && (b->n_queue || b->again) && gw->kb && gw->store &&
           gw->ctx) {
        if (take(gw, b, &j))
            return;
        if (!j)
            continue; /* answered without a build; there may be a teach after */
        j->ctx = gw->ctx;
        j->delay_ms = test_delay_ms();
        clock_gettime(CLOCK_MONOTONIC, &j->t0);
        j->tp = teach_phrases_load(gw->kb, gw->store, &j->rev, &j->err);
        if (j->tp && j->req.post && !teach_label_ok(gw->kb, j->tp, j->req.label)) {
            teach_build_respond_error(gw, j->req.wsi, 400, "unknown_label",
                                      "label: không có thủ tục hay câu trả lời này (xem GET "
                                      "/api/v1/procedures), hoặc \"none\".");
            j->req.post = false; /* what is left is a refresh */
        }
        if (j->tp && !j->req.post && j->rev == gw->taught_rev) {
            teach_build_answer_waiters(gw, j);
            job_free(j);
            continue;
        }
        /* gw's index serves as the check's "before" only when built from tp */
        j->cur = j->rev == gw->taught_rev ? gw->index : NULL;
        if (j->tp && pthread_create(&j->thread, NULL, work, j) == 0) {
            b->job = j;
            return;
        }
        mc_log(MC_LOG_ERROR, "teach.build", "error=\"%s\" kept=previous",
               j->err.text[0] ? j->err.text : "cannot start the build thread");
        if (j->req.post)
            teach_build_respond_error(gw, j->req.wsi, 503, "internal",
                                      "The phrase could not be checked.");
        teach_build_answer_waiters(gw, j); /* deleted and committed; the next refresh rebuilds */
        job_free(j);
        return; /* not again now: the next request or refresh tries */
    }
}

/* j's check is done: a conflict or an error is answered; an accepted
 * phrase is written in the open batch (j->committing), and answered by
 * finish_commit() once that is committed: never before it. */
static void finish_teach(struct gw *gw, struct job *j)
{
    struct pending *p = &j->req;
    int64_t now = (int64_t)time(NULL);
    char detail[128];
    int rc;

    if (j->rc) {
        mc_log(MC_LOG_ERROR, "admin.teach", "error=\"%s\"",
               j->err.text[0] ? j->err.text : "out of memory");
        teach_build_respond_error(gw, p->wsi, 503, "internal", "The phrase could not be checked.");
        return;
    }
    if (j->c.verdict != TEACH_OK) {
        mc_log(MC_LOG_INFO, "admin.teach", "user=%s label=%s result=%s", p->officer, p->label,
               teach_verdict_name(j->c.verdict));
        teach_build_answer_conflict(gw, p->wsi, &j->c);
        return;
    }
    rc = store_phrase_add(gw->store, p->text, p->label, p->officer, now, &j->id, &j->new_rev);
    snprintf(detail, sizeof(detail), "phrase=%lld label=%s", (long long)j->id, p->label);
    if (rc || store_audit_add(gw->store, now, p->officer, "teach", NULL, p->peer, detail)) {
        teach_build_respond_error(gw, p->wsi, 503, "internal", "The state database failed.");
        return;
    }
    j->added = now;
    j->committing = true; /* before the flush of SQLite: its report must find the job waiting */
    await_commit(gw, p);
}

/* The commit of j's phrase was reported. Committed: the trial index (with
 * the phrase) goes in use, then the 201, so the 201 promises both; a
 * client gone meanwhile changes nothing of that. Failed: rolled back, the
 * index in use stays without it, 500. */
static void finish_commit(struct gw *gw, struct job *j)
{
    struct pending *p = &j->req;
    int64_t rev = j->new_rev;

    if (p->commit_rc) {
        mc_log(MC_LOG_WARN, "admin.teach", "user=%s label=%s result=not_saved", p->officer,
               p->label);
        teach_build_respond_failed(gw, p->wsi);
        return;
    }
    /* this worker answers with the phrase from now on; a change another
     * process made meanwhile (rev skipped one) is picked up by one more build */
    teach_swap(gw, j->trial, rev == j->rev + 1 ? rev : j->rev);
    j->trial = NULL;
    if (rev != j->rev + 1)
        gw->teach_build->again = true;
    mc_log(MC_LOG_INFO, "admin.teach", "user=%s id=%lld label=%s rev=%lld build_ms=%.0f",
           p->officer, (long long)j->id, p->label, (long long)rev, ms_since(&j->t0));
    teach_build_respond(gw, p->wsi, 201,
                        json_pack("{s:I,s:s,s:s,s:s,s:I}", "id", (json_int_t)j->id, "text", p->text,
                                  "label", p->label, "officer", p->officer, "created",
                                  (json_int_t)j->added),
                        NULL);
}

bool teach_build_poll(struct gw *gw)
{
    struct teach_build *b = gw->teach_build;
    struct job *j;

    if (!b)
        return false;
    if (settle_deletes(gw, b))
        start(gw);
    j = b->job;
    if (!j)
        return false;
    if (j->committing) { /* built and written: its answer waits for the commit */
        if (!j->req.landed)
            return true;
        finish_commit(gw, j);
        goto next;
    }
    if (!atomic_load(&j->done))
        return true;
    pthread_join(j->thread, NULL);
    if (j->own) { /* gw's index was older than the phrases read: a refresh */
        teach_swap(gw, j->own, j->rev);
        j->own = NULL;
        mc_log(MC_LOG_INFO, "teach.refresh", "rev=%lld build_ms=%.1f background=1",
               (long long)j->rev, ms_since(&j->t0));
    } else if (j->rc && !j->req.post) {
        mc_log(MC_LOG_ERROR, "teach.refresh", "error=\"%s\" kept=previous", j->err.text);
        gw->taught_rev = j->rev; /* the same revision would fail the same way: not every turn */
    }
    j->cur = NULL; /* may have been freed by the swap */
    /* the DELETEs were committed before this build read the phrases: the
     * index in use now is without them, whatever becomes of the teach */
    teach_build_answer_waiters(gw, j);
    if (j->req.post) {
        finish_teach(gw, j);
        if (j->committing && !j->req.landed)
            return true; /* PostgreSQL: answered by a later poll, the loop goes on */
        if (j->committing)
            finish_commit(gw, j);
    }
next:
    b->job = NULL;
    job_free(j);
    start(gw);
    return b->job != NULL;
}

bool teach_build_busy(const struct gw *gw)
{
    return gw->teach_build && (gw->teach_build->job || gw->teach_build->n_committing);
}

static int enqueue(struct gw *gw, struct lws *wsi, const struct pending *p)
{
    struct teach_build *b = builder(gw);

    if (!b)
        return -ENOMEM;
    if (b->n_queue + b->n_committing >= TEACH_BUILD_WAITERS_MAX)
        return -EBUSY;
    b->queue[b->n_queue++] = *p;
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, TEACH_BUILD_ANSWER_TIMEOUT_S);
    start(gw);
    return 0;
}

int teach_build_teach(struct gw *gw, struct lws *wsi, const char *text, const char *label,
                      const char *officer, const char *peer)
{
    struct pending p = {.wsi = wsi, .post = true};

    snprintf(p.text, sizeof(p.text), "%s", text);
    snprintf(p.label, sizeof(p.label), "%s", label);
    snprintf(p.officer, sizeof(p.officer), "%s", officer);
    snprintf(p.peer, sizeof(p.peer), "%s", peer);
    return enqueue(gw, wsi, &p);
}

int teach_build_deleted(struct gw *gw, struct lws *wsi, int64_t id, const char *label)
{
    struct teach_build *b = builder(gw);
    struct pending *p;

    if (!b)
        return -ENOMEM;
    if (b->n_queue + b->n_committing >= TEACH_BUILD_WAITERS_MAX)
        return -EBUSY;
    p = &b->committing[b->n_committing++];
    memset(p, 0, sizeof(*p));
    p->wsi = wsi;
    p->id = id;
    snprintf(p->label, sizeof(p->label), "%s", label);
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, TEACH_BUILD_ANSWER_TIMEOUT_S);
    await_commit(gw, p); /* SQLite: committed now, and settled below */
    if (settle_deletes(gw, b))
        start(gw);
    return 0;
}

void teach_build_refresh(struct gw *gw)
{
    struct teach_build *b = gw->teach_build;
    int64_t rev;

    if (b && b->job) {
        b->again = true; /* coalesced: one more build after this one */
        return;
    }
    if (!gw->kb || !gw->store || store_phrase_rev(gw->store, &rev) || rev == gw->taught_rev)
        return;
    b = builder(gw);
    if (!b)
        return; /* the next refresh tries again */
    b->again = true;
    start(gw);
}

void teach_build_forget(struct gw *gw, struct lws *wsi)
{
    struct teach_build *b = gw->teach_build;
    size_t i;

    if (!b)
        return;
    for (i = 0; i < b->n_queue; i++)
        if (b->queue[i].wsi == wsi) { /* not built for nobody; the others keep their order */
            memmove(&b->queue[i], &b->queue[i + 1], (b->n_queue - i - 1) * sizeof(b->queue[0]));
            b->n_queue--;
            break;
        }
    for (i = 0; i < b->n_committing; i++)
        if (b->committing[i].wsi == wsi) { /* its commit lands all the same; the next refresh
                                            * builds without the phrase for this worker */
            memmove(&b->committing[i], &b->committing[i + 1],
                    (b->n_committing - i - 1) * sizeof(b->committing[0]));
            b->n_committing--;
            break;
        }
    if (!b->job)
        return;
    if (b->job->req.wsi == wsi)
        b->job->req.wsi = NULL;
    for (i = 0; i < b->job->n_waiters; i++)
        if (b->job->waiters[i].wsi == wsi)
            b->job->waiters[i].wsi = NULL;
}

void teach_build_drain(struct gw *gw)
{
    struct teach_build *b = gw->teach_build;
    size_t i;

    if (!b)
        return;
    for (i = 0; i < b->n_queue; i++) /* not started: no teach was checked or stored */
        teach_build_answer_stopping(gw, &b->queue[i]);
    b->n_queue = 0;
    b->again = false;
}

void teach_build_free(struct gw *gw, bool answer)
{
    struct teach_build *b = gw->teach_build;
    struct job *j = b ? b->job : NULL;
    size_t i;

    if (!b)
        return;
    if (answer && ((j && j->committing && !j->req.landed) || b->n_committing) && gw_flush(gw))
        /* stopping: what is in flight or still in the batch is waited for, so
         * each gets its result rather than a guess (the flush reports it) */
        mc_log(MC_LOG_WARN, "state.flush", "result=failed replies=errors");
    if (j && j->committing) { /* built and joined already */
        if (answer && j->req.landed)
            finish_commit(gw, j);
    } else if (j) {
        pthread_join(j->thread, NULL);
        if (answer && j->req.post)
            teach_build_answer_stopping(gw, &j->req);
    }
    if (j && answer)
        teach_build_answer_waiters(gw, j);
    job_free(j);
    b->job = NULL;
    if (answer)
        (void)settle_deletes(gw, b); /* draining: 200 or 500, none queued */
    for (i = 0; answer && i < b->n_queue; i++)
        teach_build_answer_stopping(gw, &b->queue[i]);
    free(b);
    gw->teach_build = NULL;
}
