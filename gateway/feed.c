/* gateway/feed.c - see feed.h. One lws timer per worker reads the feed rows
 * after the last id it saw, loads once what a push needs (the handoff row,
 * the message, the officer's name), pushes the citizen's WebSocket frames
 * (docs/api.md) and hands the event to the officers' sink. */
#include "mc_time.h"
#include "feed.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw.h"
#include "handoff.h"
#include "mc_buf.h"
#include "mc_log.h"
#include "notify.h"
#include "office.h"
#include "store.h"
#include "ws.h"

#define FEED_PRUNE_EVERY_MS 60000 /* how often a worker deletes old feed rows */
#define FEED_KIND_MAX 16          /* bytes with the NUL; "cancelled" is the longest */

struct feed_row {
    int64_t id, session_id, message_id, ts_ms;
    char kind[FEED_KIND_MAX];
    char officer[STORE_OFFICER_USER_MAX];
};

struct feed {
    lws_sorted_usec_list_t sul; /* first: the timer callback recovers the feed from it */
    struct gw *gw;
    int64_t last;     /* the newest feed id seen */
    int64_t prune_ms; /* when to prune next (monotonic ms) */
    void (*sink)(struct gw *gw, const struct feed_event *ev);
    struct feed_row rows[FEED_BATCH_MAX]; /* read first, then pushed: no statement stays open
                                             while sinks run */
    size_t n;
    bool deferred;   /* a poll asked during an open batch (PostgreSQL): run after its COMMIT */
    int64_t poll_ms; /* when the timer last read the feed and the office data (monotonic ms) */
};

/* A message loaded for an event; copied, the store lends it only for its
 * callback. */
struct feed_msg {
    int64_t want, id;
    char from[16];
    char *text; /* new: free() */
};

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int on_row(void *ctx, int64_t id, const char *kind, int64_t session_id, int64_t message_id,
                  const char *officer, int64_t ts_ms)
{
    struct feed *f = ctx;
    struct feed_row *r;

    if (f->n >= FEED_BATCH_MAX)
        return 1;
    r = &f->rows[f->n++];
    r->id = id;
    r->session_id = session_id;
    r->message_id = message_id;
    r->ts_ms = ts_ms;
    snprintf(r->kind, sizeof(r->kind), "%s", kind);
    snprintf(r->officer, sizeof(r->officer), "%s", officer);
    return 0;
}

static int on_msg(void *ctx, int64_t id, const char *from, const char *officer, const char *text,
                  int64_t ts_ms)
{
    struct feed_msg *m = ctx;

    (void)officer;
    (void)ts_ms;
    if (id != m->want)
        return 1;
    snprintf(m->from, sizeof(m->from), "%s", from);
    m->text = strdup(text); /* an officer's shared checklist may be long: never cut */
    if (m->text)
        m->id = id;
    return 1;
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

/* Loads what the event needs and pushes it. */
static void push_row(struct feed *f, const struct feed_row *r)
{
    struct gw *gw = f->gw;
    struct store_handoff h;
    struct store_officer o;
    struct feed_msg m = {0, 0, "", NULL};
    struct feed_event ev;
    json_t *frame;

    /* before the reads below, which may fail: a turn must not skip the state */
    ws_handoff_changed(gw, r->session_id);
    memset(&ev, 0, sizeof(ev));
    ev.id = r->id;
    ev.kind = r->kind;
    ev.session_id = r->session_id;
    ev.message_id = r->message_id;
    ev.officer = r->officer;
    ev.ts_ms = r->ts_ms;
    ev.officer_name = "";
    if (store_handoff_get(gw->store, r->session_id, &h) == 0)
        ev.handoff = &h;
    if (r->officer[0] && store_officer_get(gw->store, r->officer, &o) == 0)
        ev.officer_name = o.name;
    if (strcmp(r->kind, "message") == 0) {
        m.want = r->message_id;
        if (store_handoff_messages(gw->store, r->session_id, r->message_id - 1, 1, on_msg, &m) <
                0 ||
            m.id != r->message_id) {
            free(m.text); /* unreadable, or out of memory: nothing to say */
            return;
        }
        ev.from = m.from;
        ev.text = m.text;
    }
    frame = citizen_frame(&ev);
    if (frame && ws_push_session(gw, r->session_id, frame) < 0)
        mc_log(MC_LOG_WARN, "feed.push", "session=%lld reason=no_memory", (long long)r->session_id);
    json_decref(frame);
    if (f->sink)
        f->sink(gw, &ev);
    free(m.text);
}

void feed_poll(struct gw *gw)
{
    struct feed *f = gw->feed;
    size_t i;
    int rc;

    if (!f)
        return;
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
        rc = store_feed_since(gw->store, f->last, FEED_BATCH_MAX, on_row, f);
        if (rc < 0) {
            mc_log(MC_LOG_WARN, "feed.poll", "result=failed");
            return;
        }
        for (i = 0; i < f->n; i++) {
            f->last = f->rows[i].id;
            push_row(f, &f->rows[i]);
        }
    } while (f->n == FEED_BATCH_MAX);
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
    return f;
}

void feed_free(struct feed *f)
{
    if (!f)
        return;
    lws_sul_cancel(&f->sul);
    free(f);
}

void feed_set_officer_sink(struct gw *gw, void (*fn)(struct gw *gw, const struct feed_event *ev))
{
    if (gw->feed)
        gw->feed->sink = fn;
}
