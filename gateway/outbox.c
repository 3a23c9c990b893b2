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
#include "session.h"
#include "store.h"
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
    struct store *st; /* borrowed: gw's */
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
    const struct mc_config *cfg = ob->gw->cfg;
    char at[CFG_STR_MAX], rt[CFG_STR_MAX];

    snprintf(ob->zalo_token, sizeof(ob->zalo_token), "%s", cfg->zalo_access_token);
    snprintf(ob->zalo_refresh, sizeof(ob->zalo_refresh), "%s", cfg->zalo_refresh_token);
    /* a token refreshed before a restart is newer than the configured one */
    if (store_token_get(ob->st, "zalo", at, sizeof(at), rt, sizeof(rt)) == 0) {
        snprintf(ob->zalo_token, sizeof(ob->zalo_token), "%s", at);
        if (rt[0])
            snprintf(ob->zalo_refresh, sizeof(ob->zalo_refresh), "%s", rt);
    }
}

struct outbox *outbox_new(struct gw *gw, struct mc_err *err)
{
    struct outbox *ob = calloc(1, sizeof(*ob));

    if (!ob) {
        mc_err_set(err, "outbox: out of memory");
        return NULL;
    }
    ob->gw = gw;
    ob->st = gw->store;
    ob->rng = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
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
    free(ob);
}

int outbox_enqueue(struct outbox *ob, const char *channel, const char *user, const char *body)
{
    if (store_outbox_add(ob->st, channel, user, body, now_ms()) == 0)
        return 0;
    mc_log(MC_LOG_ERROR, "outbox.db", "op=enqueue channel=%s", channel);
    return -EIO;
}

long outbox_pending(struct outbox *ob)
{
    return store_outbox_pending(ob->st);
}

/* ---- results ------------------------------------------------------------ */

static void row_done(struct outbox *ob, int64_t row, const char *state, int attempts)
{
    if (store_outbox_done(ob->st, row, state, attempts))
        mc_log(MC_LOG_ERROR, "outbox.db", "op=done row=%lld", (long long)row);
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
    if (store_outbox_retry(ob->st, s->row, s->attempts + 1, now + wait))
        mc_log(MC_LOG_ERROR, "outbox.db", "op=retry row=%lld", (long long)s->row);
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
    if (store_token_put(ob->st, "zalo", ob->zalo_token, ob->zalo_refresh, now_ms() / 1000)) {
        mc_log(MC_LOG_ERROR, "outbox.token_save_failed",
               "channel=zalo action=kept_in_memory_retrying");
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
    s->created_ms = r->created_ms;
    s->ctype = "application/json";
    if (slot_set_body(s, r->body, r->body_len))
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
    struct store_outbox_row rows[OB_DUE_BATCH];
    struct ob_slot *s;
    size_t i, n = 0;

    if (!ob || !ob->gw->ctx)
        return;
    save_tokens_again(ob);
    if (store_outbox_due(ob->st, now_ms(), rows, OB_DUE_BATCH, &n)) {
        mc_log(MC_LOG_ERROR, "outbox.db", "op=due");
        return;
    }
    for (i = 0; i < n; i++) {
        if (user_in_flight(ob, rows[i].channel, rows[i].user))
            continue; /* its reply before this one is still on the way */
        if (strcmp(rows[i].channel, "zalo") == 0 && ob->refreshing)
            continue;
        s = free_slot(ob);
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
