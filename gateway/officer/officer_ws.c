/* gateway/officer/officer_ws.c - see officer_ws.h. One frame is built per
 * feed event and copied to each officer connection that may see it; frames
 * come from committed feed rows, so nothing here waits for a commit. */
#include "officer_ws.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feed.h"
#include "gw.h"
#include "conn.h"
#include "mc_log.h"
#include "officer_http.h"

struct officer_ws_frame {
    struct officer_ws_frame *next;
    size_t len;
    unsigned char buf[]; /* LWS_PRE bytes of headroom, then len bytes of JSON */
};

bool officer_ws_is_path(const char *uri)
{
    return strcmp(uri, OFFICER_WS_PATH) == 0;
}

static void link_conn(struct gw *gw, struct officer_ws_conn *c)
{
    c->prev = NULL;
    c->next = gw->officer_conns;
    if (gw->officer_conns)
        gw->officer_conns->prev = c;
    gw->officer_conns = c;
}

static void unlink_conn(struct gw *gw, struct officer_ws_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (gw->officer_conns == c)
        gw->officer_conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
}

static void q_free(struct officer_ws_conn *c)
{
    struct officer_ws_frame *f, *n;

    for (f = c->q_head; f; f = n) {
        n = f->next;
        free(f);
    }
    c->q_head = c->q_tail = NULL;
    c->q_len = 0;
}

/* Queues a copy of text; a connection that fell OFFICER_WS_OUTQ_MAX frames
 * behind is closed instead (its page reconnects and reloads the queue). */
static void q_push(struct officer_ws_conn *c, const char *text, size_t n)
{
    struct officer_ws_frame *f;

    if (c->closing)
        return;
    if (c->q_len >= OFFICER_WS_OUTQ_MAX || !(f = malloc(sizeof(*f) + LWS_PRE + n))) {
        mc_log(MC_LOG_WARN, "officer_ws.drop", "user=%s reason=queue_full", c->username);
        q_free(c);
        c->closing = c->ended = true;
        lws_callback_on_writable(c->wsi);
        return;
    }
    f->next = NULL;
    f->len = n;
    memcpy(f->buf + LWS_PRE, text, n);
    if (c->q_tail)
        c->q_tail->next = f;
    else
        c->q_head = f;
    c->q_tail = f;
    c->q_len++;
    lws_callback_on_writable(c->wsi);
}

/* Whether c may still see events: its session is checked again every
 * OFFICER_WS_RECHECK_S seconds; an ended one closes the socket. */
static bool is_live(struct gw *gw, struct officer_ws_conn *c, int64_t now)
{
    struct store_officer o;
    char csrf[STORE_OFFICER_CSRF_MAX];
    int rc;

    if (c->closing)
        return false;
    if (now - c->checked_s < OFFICER_WS_RECHECK_S)
        return true;
    rc = store_officer_session_get(gw->store, c->token_hash, now, &o, csrf);
    if (rc == -EIO)
        return true; /* the database is down, not the session: ask again next time */
    if (rc) {
        mc_log(MC_LOG_INFO, "officer_ws.close", "user=%s reason=session_ended", c->username);
        c->closing = c->ended = true;
        q_free(c);
        lws_callback_on_writable(c->wsi);
        return false;
    }
    c->checked_s = now;
    return true;
}

static const char *state_of(const char *kind)
{
    if (strcmp(kind, "claimed") == 0)
        return "officer";
    if (strcmp(kind, "closed") == 0)
        return "closed";
    return "bot"; /* released, cancelled */
}

/* The frame of one feed event, or NULL (nothing to push, or no memory). */
static json_t *event_json(struct gw *gw, const struct feed_event *ev)
{
    json_t *m;

    if (strcmp(ev->kind, "pending") == 0) {
        json_t *c = ev->handoff ? officer_http_conversation_json(gw, ev->handoff) : NULL;

        return c ? json_pack("{s:s,s:o}", "type", "pending", "conversation", c) : NULL;
    }
    if (strcmp(ev->kind, "message") == 0) {
        if (!ev->from || !ev->text)
            return NULL;
        m = json_pack("{s:I,s:s,s:s,s:I}", "id", (json_int_t)ev->message_id, "from", ev->from,
                      "text", ev->text, "ts", (json_int_t)ev->ts_ms);
        if (m && ev->officer && ev->officer[0] &&
            json_object_set_new(m, "officer", json_string(ev->officer))) {
            json_decref(m);
            m = NULL;
        }
        return m ? json_pack("{s:s,s:I,s:o}", "type", "message", "conversation_id",
                             (json_int_t)ev->session_id, "message", m)
                 : NULL;
    }
    return json_pack("{s:s,s:I,s:s,s:o}", "type", "state", "conversation_id",
                     (json_int_t)ev->session_id, "state", state_of(ev->kind), "officer",
                     strcmp(ev->kind, "claimed") == 0 && ev->officer && ev->officer[0]
                         ? json_string(ev->officer)
                         : json_null());
}

/* The feed's officer sink: every event, to every connection that may see it. */
static void on_feed(struct gw *gw, const struct feed_event *ev)
{
    struct officer_ws_conn *c;
    int64_t now = (int64_t)time(NULL);
    json_t *j;
    char *text;
    size_t n;

    if (!gw->officer_conns)
        return;
    j = event_json(gw, ev);
    text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        mc_log(MC_LOG_WARN, "officer_ws.event", "kind=%s result=skipped", ev->kind);
        return;
    }
    n = strlen(text);
    for (c = gw->officer_conns; c; c = c->next) {
        /* a conversation whose row could not be read goes to who sees all */
        if (ev->handoff
                ? !officer_http_may_see(c->admin ? "admin" : "officer", c->unit, ev->handoff)
                : !c->admin && c->unit[0])
            continue;
        if (is_live(gw, c, now))
            q_push(c, text, n);
    }
    free(text);
}

/* The Origin of a browser's upgrade must be this site (Host): another
 * site's page never opens an officer's socket with the officer's cookie.
 * Clients that send no Origin (not browsers) are judged by the cookie. */
static bool is_same_origin(struct lws *wsi)
{
    char origin[256], host[256];
    const char *o;

    if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0)
        return lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) == 0;
    if (lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0)
        return false;
    o = strstr(origin, "://");
    return o && strcmp(o + 3, host) == 0;
}

int officer_ws_filter(struct gw *gw, struct lws *wsi, struct officer_ws_conn *c)
{
    struct store_officer o;
    char cookie[OFFICER_TOKEN_LEN + 16], csrf[STORE_OFFICER_CSRF_MAX];
    size_t max = sizeof(cookie);
    int rc;

    if (!c || !is_same_origin(wsi))
        return -1;
    if (lws_http_cookie_get(wsi, OFFICER_COOKIE, cookie, &max))
        cookie[0] = '\0';
    memset(c, 0, sizeof(*c));
    rc = officer_http_session(gw, cookie, &o, csrf, c->token_hash);
    if (rc) {
        mc_log(MC_LOG_INFO, "officer_ws.refused", "reason=%s",
               rc == -ENOENT ? "no_session" : "database");
        return -1;
    }
    snprintf(c->username, sizeof(c->username), "%s", o.username);
    snprintf(c->unit, sizeof(c->unit), "%s", o.unit);
    c->admin = strcmp(o.role, "admin") == 0;
    c->checked_s = (int64_t)time(NULL);
    feed_set_officer_sink(gw, on_feed); /* the same function each time: idempotent */
    return 0;
}

static int on_writeable(struct officer_ws_conn *c)
{
    struct officer_ws_frame *f = c->q_head;

    if (!f) {
        if (c->closing) {
            lws_close_reason(
                c->wsi, c->ended ? LWS_CLOSE_STATUS_POLICY_VIOLATION : LWS_CLOSE_STATUS_GOINGAWAY,
                (unsigned char *)"bye", sizeof "bye" - 1);
            return -1;
        }
        return 0; /* lws may call us more often than asked */
    }
    if (lws_write(c->wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_TEXT) < (int)f->len)
        return -1;
    c->q_head = f->next;
    if (!c->q_head)
        c->q_tail = NULL;
    c->q_len--;
    free(f);
    if (c->q_head || c->closing)
        lws_callback_on_writable(c->wsi);
    return 0;
}

int officer_ws_callback(struct gw *gw, struct lws *wsi, int reason, struct officer_ws_conn *c,
                        void *in, size_t len)
{
    (void)in, (void)len;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        c->wsi = wsi;
        snprintf(c->peer, sizeof(c->peer), "%s", conn_client_addr(wsi));
        if (conn_refused(wsi)) { /* the connection's slot is counted in gw.c */
            lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)"busy",
                             sizeof "busy" - 1);
            return -1;
        }
        c->counted = true;
        link_conn(gw, c);
        mc_log(MC_LOG_INFO, "officer_ws.open", "user=%s", c->username);
        if (gw->draining)
            c->closing = true, lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_RECEIVE:
        break; /* the officer's page only listens; nothing is kept */
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return on_writeable(c);
    case LWS_CALLBACK_CLOSED:
        if (c->counted) {
            unlink_conn(gw, c);
            c->counted = false;
        }
        q_free(c);
        break;
    default:
        break;
    }
    return 0;
}

void officer_ws_close_all(struct gw *gw)
{
    struct officer_ws_conn *c;

    for (c = gw->officer_conns; c; c = c->next) {
        c->closing = true;
        lws_callback_on_writable(c->wsi);
    }
}
