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

/* Writes the outcome held in h; a failure keeps the row held in memory (no
 * resend, its back-off kept) and the write is tried again with back-off. */
static void write_hold(struct outbox *ob, struct ob_hold *h)
{
    struct store_stats before, after;
    int rc;

    store_get_stats(ob->st, &before);
    rc = h->final ? store_outbox_done(ob->st, h->row, h->state, h->attempts)
                  : store_outbox_retry(ob->st, h->row, h->attempts, h->next_ms);
    store_get_stats(ob->st, &after);
    ob_hold_wrote(h, rc == 0, ob_now_ms(), after.commits, after.failures, next_rand(ob));
    if (rc) {
        ob->gw->metrics.state_write_failed++;
        mc_log(MC_LOG_ERROR, "outbox.state_write_failed",
               "row=%lld op=%s action=held_in_memory next_write_ms=%lld", (long long)h->row,
               h->final ? "done" : "retry", (long long)(h->rewrite_ms - ob_now_ms()));
    }
}

/* Records a row's outcome: final ("sent", "failed") or a retry at next_ms. */
static void record(struct outbox *ob, int64_t row, bool final, const char *state, int attempts,
                   int64_t next_ms)
{
    struct ob_hold *h = ob_hold_claim(&ob->holds, row);

    if (!h) { /* the pump sends nothing while the holds are full */
        mc_log(MC_LOG_ERROR, "outbox.holds_full", "row=%lld", (long long)row);
        if (final ? store_outbox_done(ob->st, row, state, attempts)
                  : store_outbox_retry(ob->st, row, attempts, next_ms))
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

static void slot_finish(struct ob_slot *s)
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

static int split_url(const char *url, bool *tls, char *host, size_t hcap, int *port,
                     const char **path)
{
    const char *p, *h, *slash;
    size_t n;

    if (strncmp(url, "https://", sizeof "https://" - 1) == 0) {
        *tls = true;
        h = url + sizeof "https://" - 1;
        *port = 443;
    } else if (strncmp(url, "http://", sizeof "http://" - 1) == 0) {
        *tls = false;
        h = url + sizeof "http://" - 1;
        *port = 80;
    } else {
        return -EINVAL;
    }
    slash = strchr(h, '/');
    n = slash ? (size_t)(slash - h) : strlen(h);
    p = memchr(h, ':', n);
    if (p) {
        char *end;
        unsigned long v = strtoul(p + 1, &end, 10);

        if (end != h + n || v == 0 || v > 65535)
            return -EINVAL;
        *port = (int)v;
        n = (size_t)(p - h);
    }
    if (n == 0 || n >= hcap)
        return -EINVAL;
    memcpy(host, h, n);
    host[n] = '\0';
    *path = slash ? slash : "/";
    return 0;
}

struct ob_slot *ob_free_slot(struct outbox *ob)
{
    size_t i;

    for (i = 0; i < OUTBOX_INFLIGHT_MAX; i++)
        if (!ob->slots[i].busy)
            return &ob->slots[i];
    return NULL;
}

/* Connects s to url; the body and headers are already in s. */
int ob_slot_connect(struct outbox *ob, struct ob_slot *s, const char *url)
{
    struct lws_client_connect_info i;
    char host[OB_HOST_MAX];
    const char *path;
    bool tls;
    int port;

    if (split_url(url, &tls, host, sizeof(host), &port, &path))
        return -EINVAL;
    memset(&i, 0, sizeof(i));
    i.context = ob->gw->ctx;
    i.address = host;
    i.host = host;
    i.origin = host;
    i.port = port;
    i.path = path;
    i.method = "POST";
    i.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
    i.protocol = OUTBOX_PROTOCOL;
    i.local_protocol_name = OUTBOX_PROTOCOL;
    i.userdata = s;
    i.pwsi = &s->wsi;
    s->busy = true;
    if (!lws_client_connect_via_info(&i)) {
        s->wsi = NULL;
        if (s->busy) { /* lws reported nothing: count it as a failed try */
            s->status = 0;
            slot_finish(s);
        }
        return 0;
    }
    s->started_ms = ob_now_ms();
    lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_REASON_BASE, OUTBOX_TIMEOUT_S);
    return 0;
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

int ob_slot_set_body(struct ob_slot *s, const char *body, size_t len)
{
    s->body = malloc(LWS_PRE + len + 1);
    if (!s->body)
        return -ENOMEM;
    memcpy(s->body + LWS_PRE, body, len);
    s->body_len = len;
    mc_buf_init(&s->resp, OUTBOX_RESPONSE_MAX);
    return 0;
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

void outbox_pump(struct outbox *ob)
{
    struct store_outbox_row rows[OB_DUE_BATCH];
    struct ob_slot *s;
    size_t i, n = 0;

    if (!ob || !ob->gw->ctx)
        return;
    check_state(ob);
    expire_slow(ob);
    ob_tokens_save_again(ob);
    if (!ob->refreshing && ob_now_ms() >= ob->refresh_not_before)
        ob_refresh_early(ob);
    if (ob_hold_count(&ob->holds) >= OB_HOLDS_MAX)
        return; /* the state database takes no outcome: send nothing more */
    if (store_would_wait(ob->st))
        return; /* both connections committing: the next pump (tick or commit) reads */
    if (store_outbox_due(ob->st, ob_now_ms(), rows, OB_DUE_BATCH, &n)) {
        mc_log(MC_LOG_ERROR, "outbox.db", "op=due");
        return;
    }
    for (i = 0; i < n; i++) {
        int c = channel_index(rows[i].channel);

        if (ob_hold_blocks(&ob->holds, rows[i].id, ob_now_ms()))
            continue; /* its outcome is known but not yet in the database */
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
}

/* ---- the lws client callback --------------------------------------------- */

int outbox_callback(struct gw *gw, void *vwsi, int reason, void *user, void *in, size_t len)
{
    struct lws *wsi = vwsi;
    struct ob_slot *s = user;
    char buf[1024 + LWS_PRE], *px;
    int lenx;

    (void)gw;
    if (!s || !s->busy || s->wsi != wsi) {
        if (reason == LWS_CALLBACK_RECEIVE_CLIENT_HTTP) { /* drain what nobody waits for */
            px = buf + LWS_PRE;
            lenx = (int)sizeof(buf) - LWS_PRE;
            return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
        }
        return 0;
    }
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        unsigned char **p = (unsigned char **)in, *end = (*p) + len;

        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                         (const unsigned char *)s->ctype, (int)strlen(s->ctype), p,
                                         end) ||
            lws_add_http_header_content_length(wsi, s->body_len, p, end))
            return -1;
        if (s->hdr_name[0] && lws_add_http_header_by_name(wsi, (const unsigned char *)s->hdr_name,
                                                          (const unsigned char *)s->hdr_value,
                                                          (int)strlen(s->hdr_value), p, end))
            return -1;
        lws_client_http_body_pending(wsi, 1);
        lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
        if (s->body_sent)
            break;
        if (lws_write(wsi, s->body + LWS_PRE, s->body_len, LWS_WRITE_HTTP_FINAL) !=
            (int)s->body_len)
            return -1;
        s->body_sent = true;
        lws_client_http_body_pending(wsi, 0);
        break;
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        s->status = (int)lws_http_client_http_response(wsi);
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if (mc_buf_append(&s->resp, in, len) != 0)
            mc_buf_reset(&s->resp); /* an oversized answer is not one we can read */
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
        px = buf + LWS_PRE;
        lenx = (int)sizeof(buf) - LWS_PRE;
        if (lws_http_client_read(wsi, &px, &lenx) < 0)
            return -1;
        break;
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        slot_finish(s);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        mc_log(MC_LOG_WARN, "outbox.connect", "channel=%s error=\"%.80s\"", s->channel,
               in ? (const char *)in : "");
        s->status = 0;
        slot_finish(s);
        break;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        /* closed before completing: a timeout or a dropped connection. A 5xx
         * or 429 already seen still counts as such; anything else is "no
         * answer" and retried (at least once delivery). */
        if (!(s->status >= 200 && s->status < 300 && s->resp.len > 0) &&
            !(s->status >= 400 && s->resp.len > 0) && s->status != 429 && s->status < 500)
            s->status = 0;
        slot_finish(s);
        break;
    default:
        break;
    }
    return 0;
}
