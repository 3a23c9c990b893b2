/* gateway/outbox.c - see outbox.h. */
#include "outbox.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "gw.h"
#include "mc_buf.h"
#include "mc_log.h"
#include "messenger.h"
#include "outbox_guard.h"
#include "session.h"
#include "store.h"
#include "outbox_int.h"
#include "zalo.h"

static int channel_index(const char *channel)
{
    return strcmp(channel, "zalo") == 0 ? OB_ZALO : OB_MESSENGER;
}

int64_t ob_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t next_rand(struct outbox *ob)
{
    ob->rng ^= ob->rng << 13;
    ob->rng ^= ob->rng >> 7;
    ob->rng ^= ob->rng << 17;
    return ob->rng;
}

/* The lease must outlive a send: a claim is renewed at each pump, but while a
 * node's loop or database stalls nothing is renewed, and a row whose lease
 * ended under a request still out would be sent by another node as well. */
_Static_assert(CFG_OUTBOX_LEASE_MIN_S >= OUTBOX_TIMEOUT_S + 5,
               "outbox.lease_seconds' least value exceeds a send's timeout");

struct outbox *outbox_new(struct gw *gw, struct mc_err *err)
{
    struct outbox *ob = calloc(1, sizeof(*ob));

    if (!ob) {
        mc_err_set(err, "outbox: out of memory");
        return NULL;
    }
    ob->gw = gw;
    ob->st = gw->store;
    ob->rng = (uint64_t)ob_now_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
    store_outbox_set_lease(ob->st, (int64_t)gw->cfg->outbox_lease_seconds * 1000);
    /* owner: the outbox rows' claimed_by while this process sends them */
    mc_log(MC_LOG_INFO, "outbox.ready", "owner=%lld lease_s=%u",
           (long long)store_outbox_owner(ob->st), gw->cfg->outbox_lease_seconds);
    ob_tokens_load(ob);
    return ob;
}

void ob_slot_release(struct ob_slot *s)
{
    if (s->wsi)
        lws_set_wsi_user(s->wsi, NULL); /* later callbacks of this wsi find no slot */
    free(s->body);
    mc_buf_fini(&s->resp);
    memset(s, 0, sizeof(*s));
}

void outbox_free(struct outbox *ob)
{
    size_t i;

    if (!ob)
        return;
    for (i = 0; i < OUTBOX_INFLIGHT_MAX; i++)
        if (ob->slots[i].busy)
            ob_slot_release(&ob->slots[i]);
    free(ob);
}

int outbox_enqueue(struct outbox *ob, const char *channel, const char *user, const char *body)
{
    if (store_outbox_add(ob->st, channel, user, body, ob_now_ms()) == 0)
        return 0;
    mc_log(MC_LOG_ERROR, "outbox.db", "op=enqueue channel=%s", channel);
    return -EIO;
}

int outbox_enqueue_queued(struct outbox *ob, const char *channel, const char *user,
                          const char *body)
{
    if (store_webhook_outbox_add(ob->st, channel, user, body, ob_now_ms()) == 0)
        return 0;
    mc_log(MC_LOG_ERROR, "outbox.db", "op=enqueue channel=%s", channel);
    return -EIO;
}

long outbox_pending(struct outbox *ob)
{
    return store_outbox_pending(ob->st);
}

/* ---- results ------------------------------------------------------------ */

/* A write of h ended (ok: written; or refused, or lost with its connection):
 * a failure keeps the row held in memory (no resend, its back-off kept)
 * and the write is tried again with back-off. */
static void wrote(struct outbox *ob, struct ob_hold *h, bool ok)
{
    struct store_stats st;

    store_get_stats(ob->st, &st);
    ob_hold_wrote(h, ok, ob_now_ms(), st.commits, st.failures, next_rand(ob));
    h->landed = false;
    if (ok)
        return;
    ob->gw->metrics.state_write_failed++;
    mc_log(MC_LOG_ERROR, "outbox.state_write_failed",
           "row=%lld op=%s action=held_in_memory next_write_ms=%lld", (long long)h->row,
           h->final ? "done" : "retry", (long long)(h->rewrite_ms - ob_now_ms()));
}

/* Writes the outcome held in h. SQLite: in the batch, h then waits for a
 * commit. PostgreSQL (issue 18): sent on the outbox's own connection without
 * waiting (store_outbox_outcome_send() returns 1), its answer taken by
 * take_outcomes(). */
static void write_hold(struct outbox *ob, struct ob_hold *h)
{
    int rc = store_outbox_outcome_send(ob->st, h->row, h->final ? h->state : NULL, h->attempts,
                                       h->next_ms);

    h->claim_seen = ob->claims_sent; /* a claim out now may have read the row before this */
    h->committed = false;
    h->pending = rc == 1;
    if (rc != 1)
        wrote(ob, h, rc == 0);
    outbox_poll_soon(ob);
}

/* The answers of outcomes written without waiting: committed, or written again later. */
static void take_outcomes(struct outbox *ob)
{
    struct store_outbox_outcome res[OB_HOLDS_MAX];
    struct ob_hold *h;
    size_t i, n = store_outbox_outcomes(ob->st, res, OB_HOLDS_MAX);

    for (i = 0; i < n; i++) {
        h = ob_hold_find(&ob->holds, res[i].id);
        if (!h || !h->pending)
            continue;
        h->pending = false;
        wrote(ob, h, res[i].ok);
        h->committed = res[i].ok;
    }
}

/* Records a row's outcome: final ("sent", "failed") or a retry at next_ms. */
static void record(struct outbox *ob, int64_t row, bool final, const char *state, int attempts,
                   int64_t next_ms)
{
    struct ob_hold *h = ob_hold_claim(&ob->holds, row);

    if (!h) { /* the pump sends nothing while the holds are full */
        mc_log(MC_LOG_ERROR, "outbox.holds_full", "row=%lld", (long long)row);
        if (store_outbox_outcome_send(ob->st, row, final ? state : NULL, attempts, next_ms) < 0)
            ob->gw->metrics.state_write_failed++;
        return;
    }
    h->final = final;
    snprintf(h->state, sizeof(h->state), "%s", final ? state : "");
    h->attempts = attempts;
    h->next_ms = next_ms;
    h->rewrites = 0;
    write_hold(ob, h);
}

static void row_done(struct outbox *ob, int64_t row, const char *state, int attempts)
{
    record(ob, row, true, state, attempts, 0);
}

/* Each pump: writes again what failed, forgets what is committed, and sets
 * the readiness the state database's writes allow. */
static void check_state(struct outbox *ob)
{
    struct store_stats st;
    size_t i;
    bool unwritable;

    take_outcomes(ob);
    store_get_stats(ob->st, &st);
    if (st.failures != ob->seen_failures)
        ob->commit_failed = true;
    else if (st.commits != ob->seen_commits)
        ob->commit_failed = false;
    ob->seen_commits = st.commits;
    ob->seen_failures = st.failures;
    for (i = 0; i < OB_HOLDS_MAX; i++) {
        struct ob_hold *h = &ob->holds.h[i];

        if (!h->used)
            continue;
        switch (ob_hold_next(h, ob_now_ms(), st.commits, st.failures)) {
        case OB_HOLD_DONE:
            /* committed; but a claim sent before the outcome may have read
             * the row still queued and not be taken yet: the hold stays
             * until a claim sent after now has been taken, which saw it */
            if (!h->landed) {
                h->landed = true;
                h->claim_mark = ob->claims_sent;
            }
            if (ob->claims_taken > h->claim_mark)
                memset(h, 0, sizeof(*h));
            break;
        case OB_HOLD_WRITE:
            write_hold(ob, h);
            break;
        case OB_HOLD_WAIT:
            break;
        }
    }
    unwritable = ob->commit_failed || ob_hold_unwritten(&ob->holds) > 0;
    if (unwritable != ob->unwritable) {
        if (unwritable)
            mc_log(MC_LOG_ERROR, "state.unwritable", "held_rows=%zu readyz=503",
                   ob_hold_unwritten(&ob->holds));
        else
            mc_log(MC_LOG_INFO, "state.writable", "readyz=200");
    }
    ob->unwritable = unwritable;
    ob->gw->metrics.state_unwritable = unwritable;
}

static void row_retry(struct outbox *ob, struct ob_slot *s, const char *why)
{
    int64_t now = ob_now_ms(), wait;

    if (now - s->created_ms > (int64_t)ob->gw->cfg->outbox_give_up_seconds * 1000) {
        row_done(ob, s->row, "failed", s->attempts + 1);
        ob->gw->metrics.outbox_failed++;
        mc_log(MC_LOG_ERROR, "outbox.give_up", "channel=%s row=%lld attempts=%d reason=%s",
               s->channel, (long long)s->row, s->attempts + 1, why);
        return;
    }
    wait = ob_backoff_ms(s->attempts + 1, next_rand(ob), OUTBOX_BACKOFF_MAX_MS);
    record(ob, s->row, false, "", s->attempts + 1, now + wait);
    ob->gw->metrics.outbox_retry++;
    mc_log(MC_LOG_WARN, "outbox.retry", "channel=%s row=%lld attempt=%d reason=%s wait_ms=%lld",
           s->channel, (long long)s->row, s->attempts + 1, why, (long long)wait);
}

/* A temporary failure of the platform itself: nothing more goes there for a while. */
static void platform_failed(struct outbox *ob, struct ob_slot *s)
{
    struct ob_circuit *c = &ob->circuit[channel_index(s->channel)];

    ob_circuit_failure(c, ob_now_ms(), s->started_ms, next_rand(ob));
    ob->gw->metrics.outbox_circuit_open++;
    mc_log(MC_LOG_WARN, "outbox.circuit_open", "channel=%s failures=%d wait_ms=%lld", s->channel,
           c->failures, (long long)(c->open_until_ms - ob_now_ms()));
}

static void give_up(struct outbox *ob, struct ob_slot *s, const char *body)
{
    row_done(ob, s->row, "failed", s->attempts + 1);
    ob->gw->metrics.outbox_failed++;
    mc_log(MC_LOG_ERROR, "outbox.rejected", "channel=%s row=%lld status=%d response=%.120s",
           s->channel, (long long)s->row, s->status, body);
}

static void finish_send(struct outbox *ob, struct ob_slot *s)
{
    const char *body = s->resp.data ? s->resp.data : "";
    bool zalo = strcmp(s->channel, "zalo") == 0;
    char why[32];

    snprintf(why, sizeof(why), "http_%d", s->status);
    if (!zalo) {
        switch (chan_messenger_classify(s->status, body, s->resp.len)) {
        case CHAN_MESSENGER_OK:
            break;
        case CHAN_MESSENGER_RETRY:
            platform_failed(ob, s);
            row_retry(ob, s, s->status ? why : "no_response");
            return;
        case CHAN_MESSENGER_GIVE_UP:
            give_up(ob, s, body);
            return;
        }
    } else if (s->status == 0 || s->status == 429 || s->status >= 500) {
        platform_failed(ob, s);
        row_retry(ob, s, s->status ? why : "no_response");
        return;
    } else if (s->status < 200 || s->status >= 300) {
        give_up(ob, s, body);
        return;
    } else {
        switch (chan_zalo_classify(body, s->resp.len)) {
        case CHAN_ZALO_OK:
            break;
        case CHAN_ZALO_TOKEN_EXPIRED:
            /* an attempt like any other, with back-off: a refresh that fails
             * (spent refresh token) must not turn into a resend loop */
            mc_log(MC_LOG_WARN, "outbox.token_expired", "channel=zalo row=%lld", (long long)s->row);
            row_retry(ob, s, "zalo_token");
            if (strcmp(s->hdr_value, ob->zalo_token) == 0)
                ob_refresh_start(ob); /* not already replaced while this request was out */
            return;
        case CHAN_ZALO_RETRY:
            platform_failed(ob, s);
            row_retry(ob, s, "zalo_transient");
            return;
        case CHAN_ZALO_GIVE_UP:
            give_up(ob, s, body);
            return;
        }
    }
    ob_circuit_success(&ob->circuit[channel_index(s->channel)]);
    row_done(ob, s->row, "sent", s->attempts + 1);
    ob->gw->metrics.outbox_sent++;
    ob->gw->metrics.msg_out[zalo ? METRICS_ZALO : METRICS_MESSENGER]++;
    mc_log(MC_LOG_INFO, "outbox.sent", "channel=%s row=%lld attempts=%d", s->channel,
           (long long)s->row, s->attempts + 1);
}

void ob_slot_finish(struct ob_slot *s)
{
    struct outbox *ob = s->ob;

    if (!s->busy)
        return;
    if (s->kind == OB_SEND)
        finish_send(ob, s);
    else
        ob_refresh_finish(ob, s);
    ob_slot_release(s);
    outbox_pump(ob); /* the citizen's next message may go now */
}

/* ---- requests ----------------------------------------------------------- */

struct ob_slot *ob_free_slot(struct outbox *ob)
{
    size_t i;

    for (i = 0; i < OUTBOX_INFLIGHT_MAX; i++)
        if (!ob->slots[i].busy)
            return &ob->slots[i];
    return NULL;
}

/* Ends requests out for longer than OUTBOX_TIMEOUT_S. lws replaces the
 * timeout set at connect with its context's (20 s) once the request is
 * written: measured, a platform that never answers held a send 20 s. The
 * lease (outbox.lease_seconds) is sized on OUTBOX_TIMEOUT_S, so the pump
 * (every tick) enforces it; the close comes back as "no answer", retried. */
static void expire_slow(struct outbox *ob)
{
    int64_t now = ob_now_ms();
    size_t i;

    for (i = 0; i < OUTBOX_INFLIGHT_MAX; i++) {
        struct ob_slot *s = &ob->slots[i];

        if (!s->busy || !s->wsi || s->expired ||
            now - s->started_ms < (int64_t)OUTBOX_TIMEOUT_S * 1000)
            continue;
        s->expired = true;
        mc_log(MC_LOG_WARN, "outbox.timeout", "channel=%s row=%lld after_ms=%lld", s->channel,
               (long long)s->row, (long long)(now - s->started_ms));
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_REASON_BASE, LWS_TO_KILL_ASYNC);
    }
}

static bool user_in_flight(struct outbox *ob, const char *channel, const char *user)
{
    size_t i;

    for (i = 0; i < OUTBOX_INFLIGHT_MAX; i++)
        if (ob->slots[i].busy && ob->slots[i].kind == OB_SEND &&
            strcmp(ob->slots[i].channel, channel) == 0 && strcmp(ob->slots[i].user, user) == 0)
            return true;
    return false;
}

static int channel_in_flight(struct outbox *ob, int c)
{
    size_t i;
    int n = 0;

    for (i = 0; i < OUTBOX_INFLIGHT_MAX; i++)
        n += ob->slots[i].busy && ob->slots[i].kind == OB_SEND &&
             channel_index(ob->slots[i].channel) == c;
    return n;
}

static void start_send(struct outbox *ob, struct ob_slot *s, const struct store_outbox_row *r)
{
    const struct mc_config *cfg = ob->gw->cfg;
    char url[OB_URL_MAX];
    int n;

    memset(s, 0, sizeof(*s));
    s->ob = ob;
    s->kind = OB_SEND;
    s->row = r->id;
    snprintf(s->channel, sizeof(s->channel), "%s", r->channel);
    snprintf(s->user, sizeof(s->user), "%s", r->user);
    s->attempts = r->attempts;
    {
        const struct ob_hold *h = ob_hold_find(&ob->holds, r->id);

        if (h && h->attempts > s->attempts)
            s->attempts = h->attempts; /* its retry was not written: memory knows better */
    }
    s->created_ms = r->created_ms;
    s->ctype = "application/json";
    if (ob_slot_set_body(s, r->body, r->body_len))
        return;
    if (strcmp(s->channel, "messenger") == 0) {
        n = snprintf(url, sizeof(url), "%s/me/messages?access_token=%s", cfg->messenger_graph_url,
                     cfg->messenger_page_token);
    } else {
        n = snprintf(url, sizeof(url), "%s/v3.0/oa/message/cs", cfg->zalo_api_url);
        snprintf(s->hdr_name, sizeof(s->hdr_name), "access_token:");
        snprintf(s->hdr_value, sizeof(s->hdr_value), "%s", ob->zalo_token);
    }
    if (n < 0 || (size_t)n >= sizeof(url) || ob_slot_connect(ob, s, url)) {
        mc_log(MC_LOG_ERROR, "outbox.bad_url", "channel=%s", s->channel);
        row_done(ob, s->row, "failed", s->attempts);
        ob->gw->metrics.outbox_failed++;
        ob_slot_release(s);
    }
}

/* Starts the rows of the claim answered, if it is: 0 once taken (sent or
 * failed), -EAGAIN/-ENOENT when there is nothing to take yet. */
static int send_claimed(struct outbox *ob)
{
    struct store_outbox_row rows[OB_DUE_BATCH];
    const struct ob_hold *h;
    struct ob_slot *s;
    size_t i, n = 0;
    int rc = store_outbox_claimed(ob->st, rows, OB_DUE_BATCH, &n);
    bool full;

    if (rc == -EAGAIN || rc == -ENOENT)
        return rc;
    ob->claims_taken = ob->claims_sent; /* one at a time: the last one sent */
    if (rc) { /* its batch failed (nothing claimed) or no memory (the lease gives them back) */
        mc_log(MC_LOG_ERROR, "outbox.db", "op=claim");
        return 0;
    }
    /* holds full: the database takes no outcome, send nothing more (this
     * handle claims the rows again); the claim went all the same, so that
     * holds waiting for one are let go */
    full = ob_hold_count(&ob->holds) >= OB_HOLDS_MAX;
    for (i = 0; i < n && !full; i++) {
        int c = channel_index(rows[i].channel);

        if (ob_hold_blocks(&ob->holds, rows[i].id, ob_now_ms()))
            continue; /* its outcome is known but not yet in the database */
        h = ob_hold_find(&ob->holds, rows[i].id);
        if (h && h->claim_seen >= ob->claims_taken)
            continue; /* read before its outcome was written (a retry's release too): stale */
        if (user_in_flight(ob, rows[i].channel, rows[i].user))
            continue; /* its reply before this one is still on the way */
        if (c == OB_ZALO && ob->refreshing)
            continue;
        if (!ob_circuit_allows(&ob->circuit[c], ob_now_ms(), channel_in_flight(ob, c)))
            continue; /* the platform failed lately: wait, then one probe at a time */
        s = ob_free_slot(ob);
        if (!s)
            break;
        start_send(ob, s, &rows[i]);
    }
    for (i = 0; i < n; i++)
        free(rows[i].body);
    return 0;
}

/* Sends a claim of what is due, not waited for (store_outbox_claim_send():
 * on PostgreSQL the poll timer starts its rows once answered); one in
 * flight: a pump meanwhile asks for another once it is answered. */
static void claim(struct outbox *ob)
{
    int rc;

    rc = store_outbox_claim_send(ob->st, ob_now_ms(), OB_DUE_BATCH);
    ob->claims_sent += rc == 0;
    ob->claim_again = rc == -EBUSY;
    if (rc && rc != -EBUSY)
        mc_log(MC_LOG_ERROR, "outbox.db", "op=due");
}

/* The part of a pump that needs no claim: outcomes written again, stalled
 * requests ended, tokens. Returns false when there is nothing to pump. */
static bool pump_state(struct outbox *ob)
{
    if (!ob || !ob->gw->ctx)
        return false;
    check_state(ob);
    expire_slow(ob);
    ob_tokens_save_again(ob);
    if (!ob->refreshing && ob_now_ms() >= ob->refresh_not_before)
        ob_refresh_early(ob);
    return true;
}

void outbox_pump(struct outbox *ob)
{
    if (!pump_state(ob))
        return;
    (void)send_claimed(ob); /* an answer not taken yet: its rows first */
    claim(ob);
    (void)send_claimed(ob); /* SQLite: answered at once */
    outbox_poll_soon(ob);
}

/* The poll timer: what came back of the outcomes and the claim sent
 * without waiting; a claim asked for meanwhile goes then. */
static void poll_cb(lws_sorted_usec_list_t *sul)
{
    struct outbox *ob = lws_container_of(sul, struct outbox, sul);

    if (!pump_state(ob))
        return;
    (void)send_claimed(ob);
    if (ob->claim_again) /* -EBUSY again while the connection is still busy: kept asked */
        claim(ob);
    outbox_poll_soon(ob);
}

void outbox_poll_soon(struct outbox *ob)
{
    if (ob && ob->gw->ctx && !ob->stopped && store_outbox_busy(ob->st))
        lws_sul_schedule(ob->gw->ctx, 0, &ob->sul, poll_cb, OUTBOX_POLL_US);
}

void outbox_stop(struct outbox *ob)
{
    if (!ob)
        return;
    ob->stopped = true;
    if (ob->gw->ctx)
        lws_sul_cancel(&ob->sul);
}
