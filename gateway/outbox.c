/* gateway/outbox.c - see outbox.h. */
#include "outbox.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "gw.h"
#include "mc_buf.h"
#include "mc_log.h"
#include "session.h"
#include "zalo.h"

#define OB_URL_MAX 1024 /* bytes; a platform endpoint with its query */
#define OB_HOST_MAX 256
#define OB_DUE_BATCH 32           /* rows looked at per pump */
#define OB_REFRESH_PAUSE_MS 30000 /* after a failed token refresh, wait this long */

enum ob_kind { OB_SEND, OB_REFRESH };

struct ob_slot {
    bool busy;
    enum ob_kind kind;
    struct outbox *ob;
    struct lws *wsi;
    int64_t row; /* outbox row (OB_SEND) */
    int64_t created_ms;
    int attempts;
    char channel[16];
    char user[SESSION_USER_KEY_MAX + 1];
    unsigned char *body; /* LWS_PRE + body_len bytes, owned */
    size_t body_len;
    bool body_sent;
    const char *ctype;
    char hdr_name[32]; /* one extra request header ("access_token:") */
    char hdr_value[CFG_STR_MAX];
    int status; /* HTTP status, 0 until known */
    struct mc_buf resp;
};

struct outbox {
    struct gw *gw;
    sqlite3 *db;
    sqlite3_stmt *ins, *due, *done, *again;
    struct ob_slot slots[OUTBOX_INFLIGHT_MAX];
    bool refreshing;
    int64_t refresh_not_before;
    char zalo_token[CFG_STR_MAX]; /* current access token (config, or refreshed) */
    char zalo_refresh[CFG_STR_MAX];
    bool tokens_unsaved; /* refreshed tokens not yet in chan_token: saved again each pump */
    uint64_t rng;        /* xorshift state for back-off jitter */
};

static int64_t now_ms(void)
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

static void load_tokens(struct outbox *ob)
{
    sqlite3_stmt *q = NULL;
    const struct mc_config *cfg = ob->gw->cfg;

    snprintf(ob->zalo_token, sizeof(ob->zalo_token), "%s", cfg->zalo_access_token);
    snprintf(ob->zalo_refresh, sizeof(ob->zalo_refresh), "%s", cfg->zalo_refresh_token);
    /* a token refreshed before a restart is newer than the configured one */
    if (sqlite3_prepare_v2(ob->db,
                           "SELECT access_token, coalesce(refresh_token, '') FROM chan_token "
                           "WHERE channel = 'zalo'",
                           -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
        snprintf(ob->zalo_token, sizeof(ob->zalo_token), "%s", sqlite3_column_text(q, 0));
        if (sqlite3_column_bytes(q, 1))
            snprintf(ob->zalo_refresh, sizeof(ob->zalo_refresh), "%s", sqlite3_column_text(q, 1));
    }
    sqlite3_finalize(q);
}

struct outbox *outbox_new(struct gw *gw, struct mc_err *err)
{
    struct outbox *ob = calloc(1, sizeof(*ob));

    if (!ob) {
        mc_err_set(err, "outbox: out of memory");
        return NULL;
    }
    ob->gw = gw;
    ob->db = session_store_db(gw->state);
    ob->rng = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
    if (sqlite3_prepare_v2(ob->db,
                           "INSERT INTO outbox (channel, user_key, body, created, next_try) "
                           "VALUES (?1, ?2, ?3, ?4, ?4)",
                           -1, &ob->ins, NULL) != SQLITE_OK ||
        /* the oldest queued row of each citizen, if it is due: order per user */
        sqlite3_prepare_v2(ob->db,
                           "SELECT o.id, o.channel, o.user_key, o.body, o.attempts, o.created "
                           "FROM outbox o WHERE o.state = 'queued' AND o.next_try <= ?1 AND "
                           "o.id = (SELECT min(p.id) FROM outbox p WHERE p.channel = o.channel "
                           "AND p.user_key = o.user_key AND p.state = 'queued') "
                           "ORDER BY o.id LIMIT ?2",
                           -1, &ob->due, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ob->db, "UPDATE outbox SET state = ?2, attempts = ?3 WHERE id = ?1", -1,
                           &ob->done, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ob->db, "UPDATE outbox SET attempts = ?2, next_try = ?3 WHERE id = ?1",
                           -1, &ob->again, NULL) != SQLITE_OK) {
        mc_err_set(err, "outbox: %s", sqlite3_errmsg(ob->db));
        outbox_free(ob);
        return NULL;
    }
    load_tokens(ob);
    return ob;
}

static void slot_release(struct ob_slot *s)
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
            slot_release(&ob->slots[i]);
    sqlite3_finalize(ob->ins);
    sqlite3_finalize(ob->due);
    sqlite3_finalize(ob->done);
    sqlite3_finalize(ob->again);
    free(ob);
}

int outbox_enqueue(struct outbox *ob, const char *channel, const char *user, const char *body)
{
    int rc;

    /* binds are OR-ed: SQLITE_OK is 0, so any failed one makes the sum non-zero */
    rc = sqlite3_bind_text(ob->ins, 1, channel, -1, SQLITE_TRANSIENT) |
         sqlite3_bind_text(ob->ins, 2, user, -1, SQLITE_TRANSIENT) |
         sqlite3_bind_text(ob->ins, 3, body, -1, SQLITE_TRANSIENT) |
         sqlite3_bind_int64(ob->ins, 4, now_ms());
    if (rc == SQLITE_OK)
        rc = sqlite3_step(ob->ins);
    sqlite3_reset(ob->ins);
    if (rc != SQLITE_DONE)
        mc_log(MC_LOG_ERROR, "outbox.db", "op=enqueue channel=%s error=\"%s\"", channel,
               sqlite3_errmsg(ob->db));
    return rc == SQLITE_DONE ? 0 : -EIO;
}

long outbox_pending(struct outbox *ob)
{
    sqlite3_stmt *q = NULL;
    long n = -1;

    if (sqlite3_prepare_v2(ob->db, "SELECT count(*) FROM outbox WHERE state = 'queued'", -1, &q,
                           NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

/* ---- results ------------------------------------------------------------ */

static void row_done(struct outbox *ob, int64_t row, const char *state, int attempts)
{
    if ((sqlite3_bind_int64(ob->done, 1, row) |
         sqlite3_bind_text(ob->done, 2, state, -1, SQLITE_STATIC) |
         sqlite3_bind_int(ob->done, 3, attempts)) != SQLITE_OK ||
        sqlite3_step(ob->done) != SQLITE_DONE)
        mc_log(MC_LOG_ERROR, "outbox.db", "row=%lld error=\"%s\"", (long long)row,
               sqlite3_errmsg(ob->db));
    sqlite3_reset(ob->done);
}

static void row_retry(struct outbox *ob, struct ob_slot *s, const char *why)
{
    int64_t now = now_ms(), wait;
    int shift = s->attempts < 20 ? s->attempts : 20;

    if (now - s->created_ms > (int64_t)ob->gw->cfg->outbox_give_up_seconds * 1000) {
        row_done(ob, s->row, "failed", s->attempts + 1);
        ob->gw->metrics.outbox_failed++;
        mc_log(MC_LOG_ERROR, "outbox.give_up", "channel=%s row=%lld attempts=%d reason=%s",
               s->channel, (long long)s->row, s->attempts + 1, why);
        return;
    }
    wait = (int64_t)1000 << shift;
    if (wait > OUTBOX_BACKOFF_MAX_MS)
        wait = OUTBOX_BACKOFF_MAX_MS;
    wait += (int64_t)(next_rand(ob) % (uint64_t)(wait / 2 + 1)); /* jitter: 1x..1.5x */
    if ((sqlite3_bind_int64(ob->again, 1, s->row) |
         sqlite3_bind_int(ob->again, 2, s->attempts + 1) |
         sqlite3_bind_int64(ob->again, 3, now + wait)) != SQLITE_OK ||
        sqlite3_step(ob->again) != SQLITE_DONE)
        mc_log(MC_LOG_ERROR, "outbox.db", "row=%lld error=\"%s\"", (long long)s->row,
               sqlite3_errmsg(ob->db));
    sqlite3_reset(ob->again);
    ob->gw->metrics.outbox_retry++;
    mc_log(MC_LOG_WARN, "outbox.retry", "channel=%s row=%lld attempt=%d reason=%s wait_ms=%lld",
           s->channel, (long long)s->row, s->attempts + 1, why, (long long)wait);
}

static void start_refresh(struct outbox *ob);

static void finish_send(struct outbox *ob, struct ob_slot *s)
{
    const char *body = s->resp.data ? s->resp.data : "";
    char why[32];

    snprintf(why, sizeof(why), "http_%d", s->status);
    if (s->status == 0) {
        row_retry(ob, s, "no_response");
        return;
    }
    if (s->status == 429 || s->status >= 500) {
        row_retry(ob, s, why);
        return;
    }
    if (s->status < 200 || s->status >= 300) {
        row_done(ob, s->row, "failed", s->attempts + 1);
        ob->gw->metrics.outbox_failed++;
        mc_log(MC_LOG_ERROR, "outbox.rejected", "channel=%s row=%lld status=%d", s->channel,
               (long long)s->row, s->status);
        return;
    }
    if (strcmp(s->channel, "zalo") == 0) {
        switch (chan_zalo_classify(body, s->resp.len)) {
        case CHAN_ZALO_OK:
            break;
        case CHAN_ZALO_TOKEN_EXPIRED:
            /* not the message's fault: refresh and send it again, no attempt counted */
            mc_log(MC_LOG_WARN, "outbox.token_expired", "channel=zalo row=%lld", (long long)s->row);
            start_refresh(ob);
            return;
        case CHAN_ZALO_RETRY:
            row_retry(ob, s, "zalo_transient");
            return;
        case CHAN_ZALO_GIVE_UP:
            row_done(ob, s->row, "failed", s->attempts + 1);
            ob->gw->metrics.outbox_failed++;
            mc_log(MC_LOG_ERROR, "outbox.unreachable", "channel=zalo row=%lld response=%.120s",
                   (long long)s->row, body);
            return;
        }
    }
    row_done(ob, s->row, "sent", s->attempts + 1);
    ob->gw->metrics.outbox_sent++;
    ob->gw->metrics.msg_out[strcmp(s->channel, "zalo") == 0 ? METRICS_ZALO : METRICS_MESSENGER]++;
    mc_log(MC_LOG_INFO, "outbox.sent", "channel=%s row=%lld attempts=%d", s->channel,
           (long long)s->row, s->attempts + 1);
}

/* Writes the current Zalo tokens to chan_token, so a restart uses them (the
 * refresh token is single-use: the one in the config is spent). Returns 0
 * or -EIO. */
static int save_tokens(struct outbox *ob)
{
    sqlite3_stmt *q = NULL;
    int rc = SQLITE_ERROR;

    if (sqlite3_prepare_v2(ob->db, "INSERT OR REPLACE INTO chan_token VALUES ('zalo', ?1, ?2, ?3)",
                           -1, &q, NULL) == SQLITE_OK)
        rc = sqlite3_bind_text(q, 1, ob->zalo_token, -1, SQLITE_TRANSIENT) |
             sqlite3_bind_text(q, 2, ob->zalo_refresh, -1, SQLITE_TRANSIENT) |
             sqlite3_bind_int64(q, 3, now_ms() / 1000);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        mc_log(MC_LOG_ERROR, "outbox.token_save_failed",
               "channel=zalo error=\"%s\" action=kept_in_memory_retrying", sqlite3_errmsg(ob->db));
        return -EIO;
    }
    return 0;
}

/* Retries a failed save_tokens(); the tokens stay in memory meanwhile. */
static void save_tokens_again(struct outbox *ob)
{
    if (!ob->tokens_unsaved || save_tokens(ob))
        return;
    ob->tokens_unsaved = false;
    mc_log(MC_LOG_INFO, "outbox.token_saved", "channel=zalo after=retry");
}

static void finish_refresh(struct outbox *ob, struct ob_slot *s)
{
    json_t *j = s->status >= 200 && s->status < 300 && s->resp.data
                    ? json_loads(s->resp.data, 0, NULL)
                    : NULL;
    const char *at = json_string_value(json_object_get(j, "access_token"));
    const char *rt = json_string_value(json_object_get(j, "refresh_token"));

    ob->refreshing = false;
    if (!at || !at[0] || strlen(at) >= sizeof(ob->zalo_token)) {
        ob->refresh_not_before = now_ms() + OB_REFRESH_PAUSE_MS;
        mc_log(MC_LOG_ERROR, "outbox.refresh_failed", "channel=zalo status=%d", s->status);
        json_decref(j);
        return;
    }
    snprintf(ob->zalo_token, sizeof(ob->zalo_token), "%s", at);
    if (rt && strlen(rt) < sizeof(ob->zalo_refresh))
        snprintf(ob->zalo_refresh, sizeof(ob->zalo_refresh), "%s", rt);
    ob->tokens_unsaved = save_tokens(ob) != 0; /* retried by every pump until it works */
    mc_log(MC_LOG_INFO, "outbox.refreshed", "channel=zalo saved=%s",
           ob->tokens_unsaved ? "no" : "yes");
    json_decref(j);
}

static void slot_finish(struct ob_slot *s)
{
    struct outbox *ob = s->ob;

    if (!s->busy)
        return;
    if (s->kind == OB_SEND)
        finish_send(ob, s);
    else
        finish_refresh(ob, s);
    slot_release(s);
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

static struct ob_slot *free_slot(struct outbox *ob)
{
    size_t i;

    for (i = 0; i < OUTBOX_INFLIGHT_MAX; i++)
        if (!ob->slots[i].busy)
            return &ob->slots[i];
    return NULL;
}

/* Connects s to url; the body and headers are already in s. */
static int slot_connect(struct outbox *ob, struct ob_slot *s, const char *url)
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
    lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_REASON_BASE, OUTBOX_TIMEOUT_S);
    return 0;
}

static int slot_set_body(struct ob_slot *s, const char *body, size_t len)
{
    s->body = malloc(LWS_PRE + len + 1);
    if (!s->body)
        return -ENOMEM;
    memcpy(s->body + LWS_PRE, body, len);
    s->body_len = len;
    mc_buf_init(&s->resp, OUTBOX_RESPONSE_MAX);
    return 0;
}

static void start_refresh(struct outbox *ob)
{
    const struct mc_config *cfg = ob->gw->cfg;
    struct ob_slot *s;
    char form[CFG_STR_MAX * 3];
    int n;

    if (ob->refreshing || now_ms() < ob->refresh_not_before)
        return;
    if (!ob->zalo_refresh[0] || !cfg->zalo_app_secret[0]) {
        mc_log(MC_LOG_ERROR, "outbox.refresh_failed", "channel=zalo reason=no_refresh_token");
        ob->refresh_not_before = now_ms() + OB_REFRESH_PAUSE_MS;
        return;
    }
    s = free_slot(ob);
    if (!s)
        return; /* the next pump tries again */
    /* tokens are URL-safe by the platform's design; form-encode all the same */
    n = snprintf(form, sizeof(form), "app_id=%s&grant_type=refresh_token&refresh_token=%s",
                 cfg->zalo_app_id, ob->zalo_refresh);
    if (n < 0 || (size_t)n >= sizeof(form) || slot_set_body(s, form, (size_t)n))
        return;
    s->ob = ob;
    s->kind = OB_REFRESH;
    s->ctype = "application/x-www-form-urlencoded";
    snprintf(s->hdr_name, sizeof(s->hdr_name), "secret_key:");
    snprintf(s->hdr_value, sizeof(s->hdr_value), "%s", cfg->zalo_app_secret);
    snprintf(s->channel, sizeof(s->channel), "zalo");
    ob->refreshing = true;
    if (slot_connect(ob, s, cfg->zalo_oauth_url)) {
        ob->refreshing = false;
        mc_log(MC_LOG_ERROR, "outbox.refresh_failed", "channel=zalo reason=bad_oauth_url");
        slot_release(s);
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

static void start_send(struct outbox *ob, struct ob_slot *s, sqlite3_stmt *q)
{
    const struct mc_config *cfg = ob->gw->cfg;
    char url[OB_URL_MAX];
    int n;

    memset(s, 0, sizeof(*s));
    s->ob = ob;
    s->kind = OB_SEND;
    s->row = sqlite3_column_int64(q, 0);
    snprintf(s->channel, sizeof(s->channel), "%s", sqlite3_column_text(q, 1));
    snprintf(s->user, sizeof(s->user), "%s", sqlite3_column_text(q, 2));
    s->attempts = sqlite3_column_int(q, 4);
    s->created_ms = sqlite3_column_int64(q, 5);
    s->ctype = "application/json";
    if (slot_set_body(s, (const char *)sqlite3_column_text(q, 3),
                      (size_t)sqlite3_column_bytes(q, 3)))
        return;
    if (strcmp(s->channel, "messenger") == 0) {
        n = snprintf(url, sizeof(url), "%s/me/messages?access_token=%s", cfg->messenger_graph_url,
                     cfg->messenger_page_token);
    } else {
        n = snprintf(url, sizeof(url), "%s/v3.0/oa/message/cs", cfg->zalo_api_url);
        snprintf(s->hdr_name, sizeof(s->hdr_name), "access_token:");
        snprintf(s->hdr_value, sizeof(s->hdr_value), "%s", ob->zalo_token);
    }
    if (n < 0 || (size_t)n >= sizeof(url) || slot_connect(ob, s, url)) {
        mc_log(MC_LOG_ERROR, "outbox.bad_url", "channel=%s", s->channel);
        row_done(ob, s->row, "failed", s->attempts);
        ob->gw->metrics.outbox_failed++;
        slot_release(s);
    }
}

void outbox_pump(struct outbox *ob)
{
    int64_t now = now_ms();
    struct ob_slot *s;
    int rc;

    if (!ob || !ob->gw->ctx)
        return;
    save_tokens_again(ob);
    if ((sqlite3_bind_int64(ob->due, 1, now) | sqlite3_bind_int(ob->due, 2, OB_DUE_BATCH)) !=
        SQLITE_OK) {
        mc_log(MC_LOG_ERROR, "outbox.db", "op=due error=\"%s\"", sqlite3_errmsg(ob->db));
        return;
    }
    while ((rc = sqlite3_step(ob->due)) == SQLITE_ROW) {
        const char *channel = (const char *)sqlite3_column_text(ob->due, 1);
        const char *user = (const char *)sqlite3_column_text(ob->due, 2);

        if (!channel || !user)
            continue; /* NOT NULL in the schema; never a crash on a damaged row */
        if (user_in_flight(ob, channel, user))
            continue; /* its reply before this one is still on the way */
        if (strcmp(channel, "zalo") == 0 && ob->refreshing)
            continue;
        s = free_slot(ob);
        if (!s)
            break;
        start_send(ob, s, ob->due);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        mc_log(MC_LOG_ERROR, "outbox.db", "op=due error=\"%s\"", sqlite3_errmsg(ob->db));
    sqlite3_reset(ob->due);
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
        if (!(s->status >= 200 && s->status < 300 && s->resp.len > 0) && s->status != 429 &&
            s->status < 500)
            s->status = 0;
        slot_finish(s);
        break;
    default:
        break;
    }
    return 0;
}
