/* gateway/feed.c - see feed.h. One lws timer per worker reads the feed rows
 * after the last id it saw, with what a push needs (the handoff row, the
 * message, the officer's name: store_feed_read(), one statement on
 * PostgreSQL, sent without waiting on the read connection), pushes the
 * citizen's WebSocket frames (docs/api.md) and hands the event to the
 * officers' sink. */
#include "mc_time.h"
#include "feed.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw.h"
#include "gw_commit.h"
#include "handoff.h"
#include "mc_buf.h"
#include "mc_log.h"
#include "notify.h"
#include "office.h"
#include "store.h"
#include "ws.h"

#define FEED_PRUNE_EVERY_MS 60000 /* how often a worker deletes old feed rows */

struct feed {
    lws_sorted_usec_list_t sul; /* first: the timer callback recovers the feed from it */
    struct gw *gw;
    int64_t last;     /* the newest feed id seen */
    int64_t prune_ms; /* when to prune next (monotonic ms) */
    void (*sink)(struct gw *gw, const struct feed_event *ev);
    unsigned n;    /* rows seen by the read being answered */
    bool deferred; /* a waited poll asked during an open batch (PostgreSQL): run after its COMMIT */
    int64_t poll_ms; /* when the timer last read the feed and the office data (monotonic ms) */
    uint64_t read;   /* the read in flight, not waited for (store_feed_read_send()); 0: none */
    bool again;      /* a poll asked while it was in flight: one more read after its answer */
};

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The citizen's frame of one event, new, or NULL when there is none for
 * the citizen (their own message, a request or cancel they made). */
static json_t *citizen_frame(const struct feed_event *ev)
{
    const char *state = NULL;
    json_t *j, *qrs;
    struct mc_buf b;

    if (strcmp(ev->kind, "message") == 0 && ev->from && strcmp(ev->from, "officer") == 0)
        return json_pack("{s:s,s:s,s:{s:s},s:[{s:s}]}", "type", "reply", "from", "officer",
                         "officer", "name", ev->officer_name, "messages", "text", ev->text);
    if (strcmp(ev->kind, "message") == 0 && ev->from && strcmp(ev->from, "system") == 0)
        return json_pack("{s:s,s:s,s:[{s:s}]}", "type", "reply", "from", "system", "messages",
                         "text", ev->text);
    if (strcmp(ev->kind, "claimed") == 0)
        state = "officer";
    else if (strcmp(ev->kind, "released") == 0)
        state = "bot";
    else if (strcmp(ev->kind, "closed") == 0)
        state = "closed";
    if (!state)
        return NULL;
    mc_buf_init(&b, HANDOFF_TEXT_MAX);
    if (handoff_notice_text(state, ev->officer_name, &b)) {
        mc_buf_fini(&b);
        return NULL;
    }
    qrs = strcmp(state, "officer") == 0 ? json_pack("[{s:s,s:s}]", "title", "Quay lại trợ lý",
                                                    "payload", HANDOFF_PAYLOAD_CANCEL)
                                        : json_array();
    j = json_pack("{s:s,s:s,s:o,s:[{s:s}],s:o}", "type", "handoff", "state", state, "officer",
                  strcmp(state, "officer") == 0 ? json_pack("{s:s}", "name", ev->officer_name)
                                                : json_null(),
                  "messages", "text", b.data, "quick_replies", qrs);
    mc_buf_fini(&b);
    return j;
}

/* Pushes one row read with what it needs (store_feed_read()); the cursor
 * moves past it first: each row is pushed once. */
static int push_row(void *ctx, const struct store_feed_item *it)
{
    struct feed *f = ctx;
    struct gw *gw = f->gw;
    struct feed_event ev;
    json_t *frame;

    f->last = it->id;
    f->n++;
    /* before the message check below: a turn must not skip the state */
    ws_handoff_changed(gw, it->session_id);
    if (strcmp(it->kind, "message") == 0 && !it->text)
        return 0; /* its message is gone or unreadable: nothing to say */
    memset(&ev, 0, sizeof(ev));
    ev.id = it->id;
    ev.kind = it->kind;
    ev.session_id = it->session_id;
    ev.message_id = it->message_id;
    ev.officer = it->officer;
    ev.ts_ms = it->ts_ms;
    ev.handoff = it->handoff;
    ev.from = it->from;
    ev.text = it->text;
    ev.officer_name = it->officer_name;
    frame = citizen_frame(&ev);
    if (frame && ws_push_session(gw, it->session_id, frame) < 0)
        mc_log(MC_LOG_WARN, "feed.push", "session=%lld reason=no_memory",
               (long long)it->session_id);
    json_decref(frame);
    if (f->sink)
        f->sink(gw, &ev);
    return 0;
}

static void read_done(void *ctx, int rc, unsigned rows);
static const struct store_feed_cbs feed_cbs = {push_row, read_done};

/* The answer of the read not waited for: its rows were pushed by push_row(). */
static void read_done(void *ctx, int rc, unsigned rows)
{
    struct feed *f = ctx;

    f->read = 0;
    if (rc < 0) {
        /* the cursor did not move: the next poll reads the same rows; the
         * timer's next tick is that poll, even while listening (not a hot
         * loop on a lost connection: the tick is FEED_POLL_MS) */
        mc_log(MC_LOG_WARN, "feed.poll", "result=failed");
        f->poll_ms = INT64_MIN / 2;
        f->again = false;
        return;
    }
    if (rows >= FEED_BATCH_MAX || f->again) { /* more rows, or more notified meanwhile */
        f->again = false;
        feed_poll(f->gw);
    }
}

/* Sends the read without waiting (PostgreSQL). Returns 0 (sent, or one in
 * flight already: one more after it), or the store's error: read waiting then. */
static int poll_send(struct feed *f)
{
    int rc;

    if (f->read) {
        f->again = true;
        return 0;
    }
    rc = store_feed_read_send(f->gw->store, f->last, FEED_BATCH_MAX, &feed_cbs, f, &f->read);
    if (rc) {
        f->read = 0;
        if (rc != -ENOTSUP)
            mc_log(MC_LOG_DEBUG, "feed.poll", "read=waited reason=%d", rc);
        return rc;
    }
    f->deferred = false;
    gw_commit_reads_soon(f->gw); /* its answer is read by the reads' poll (gw_commit.c) */
    return 0;
}

/* Reads the rows after the cursor and pushes them, waiting on the loop. */
static void poll_waited(struct feed *f)
{
    struct gw *gw = f->gw;
    int rc;

    /* never push a row of our own batch before it is durable: on SQLite
     * commit it now; on PostgreSQL read once the pass's COMMIT is sent, not
     * waiting for it on the loop (the rows it carries are pushed when its
     * notification, or the next tick, reads them committed) */
    if (store_in_batch(gw->store)) {
        if (store_commits_async(gw->store)) {
            f->deferred = true;
            return;
        }
        if (gw_flush(gw))
            return;
    }
    f->deferred = false;
    do {
        f->n = 0;
        rc = store_feed_read(gw->store, f->last, FEED_BATCH_MAX, push_row, f);
        if (rc < 0) {
            mc_log(MC_LOG_WARN, "feed.poll", "result=failed");
            return;
        }
    } while (f->n == FEED_BATCH_MAX);
}

void feed_poll(struct gw *gw)
{
    struct feed *f = gw->feed;

    if (!f)
        return;
    /* PostgreSQL: the rows and what their pushes need in one statement on the
     * read connection (committed rows only), answered when its socket is
     * readable (gw_commit.c): the loop waits for no feed read. Else (SQLite,
     * or no read connection now) waited. */
    if (poll_send(f))
        poll_waited(f);
    if (mc_mono_ms() >= f->prune_ms) {
        f->prune_ms = mc_mono_ms() + FEED_PRUNE_EVERY_MS;
        if (store_feed_prune(gw->store, wall_ms() - FEED_KEEP_MS)) /* committed by the loop */
            mc_log(MC_LOG_WARN, "feed.prune", "result=failed");
    }
}

void feed_poll_deferred(struct gw *gw)
{
    if (gw->feed && gw->feed->deferred && !store_in_batch(gw->store))
        feed_poll(gw);
}

static void tick(lws_sorted_usec_list_t *sul)
{
    struct feed *f = lws_container_of(sul, struct feed, sul);
    int64_t now = mc_mono_ms();

    /* while listening the notifications push both at once: the timer is only a safety net
     * then, and reads seldom (notify.h); it wakes every period to resume at once on a loss */
    /* a poll can come back a period later: never wait on the loop for a COMMIT in flight */
    if (f->read) /* its answer is polled for (a bound: gw_commit.c arms its poll on a send) */
        gw_commit_reads_soon(f->gw);
    if (notify_is_poll_due(f->gw->notify, f->poll_ms, now) && !store_would_wait(f->gw->store)) {
        f->poll_ms = now;
        f->gw->metrics.state_poll_reads += 2;
        feed_poll(f->gw);
        office_poll(f->gw); /* the commune's office data, changed on any worker (office.h) */
    }
    lws_sul_schedule(f->gw->ctx, 0, &f->sul, tick, FEED_POLL_MS * LWS_US_PER_MS);
}

struct feed *feed_new(struct gw *gw, struct mc_err *err)
{
    struct feed *f = calloc(1, sizeof(*f));

    if (!f) {
        mc_err_set(err, "feed: out of memory");
        return NULL;
    }
    f->gw = gw;
    f->prune_ms = mc_mono_ms() + FEED_PRUNE_EVERY_MS;
    if (store_feed_last(gw->store, &f->last)) {
        mc_err_set(err, "%s: cannot read the handoff feed", gw->cfg->data_state_db);
        free(f);
        return NULL;
    }
    lws_sul_schedule(gw->ctx, 0, &f->sul, tick, FEED_POLL_MS * LWS_US_PER_MS);
    /* PostgreSQL: a first read now (there is nothing to push yet) opens the
     * read connection and warms its backend, whose first plan of the join
     * took 10-20 ms: not paid by the first event an officer waits for.
     * Failing, it is retried by the first poll. */
    if (store_feed_read_send(gw->store, f->last, FEED_BATCH_MAX, &feed_cbs, f, &f->read) == 0)
        gw_commit_reads_soon(gw);
    else
        f->read = 0;
    return f;
}

void feed_free(struct feed *f)
{
    if (!f)
        return;
    lws_sul_cancel(&f->sul);
    if (f->read) /* its answer must not reach a freed feed */
        (void)store_feed_read_cancel(f->gw->store, f->read);
    free(f);
}

void feed_set_officer_sink(struct gw *gw, void (*fn)(struct gw *gw, const struct feed_event *ev))
{
    if (gw->feed)
        gw->feed->sink = fn;
}
