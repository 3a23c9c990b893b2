/* gateway/ws.c - see ws.h. Frames are parsed with jansson; any problem with
 * one frame is answered by an error frame and the connection stays open,
 * because a citizen's phone that sent one bad frame should not lose the
 * conversation. */
#include "ws.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "intent.h"
#include "mc_log.h"
#include "mc_utf8.h"

#define WS_MSG_ID_MAX 64 /* bytes; a client message id */

struct ws_frame {
    struct ws_frame *next;
    size_t len;
    unsigned char buf[]; /* LWS_PRE bytes of headroom, then len bytes of JSON */
};

static void q_free(struct ws_conn *c)
{
    struct ws_frame *f, *n;

    for (f = c->q_head; f; f = n) {
        n = f->next;
        free(f);
    }
    c->q_head = c->q_tail = NULL;
    c->q_len = 0;
}

/* Queues a JSON value as one text frame (steals j). */
static int q_push_json(struct ws_conn *c, json_t *j)
{
    struct ws_frame *f;
    char *text;
    size_t n;

    if (!j)
        return -ENOMEM;
    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!text)
        return -ENOMEM;
    n = strlen(text);
    f = malloc(sizeof(*f) + LWS_PRE + n);
    if (!f) {
        free(text);
        return -ENOMEM;
    }
    f->next = NULL;
    f->len = n;
    memcpy(f->buf + LWS_PRE, text, n);
    free(text);
    if (c->q_tail)
        c->q_tail->next = f;
    else
        c->q_head = f;
    c->q_tail = f;
    c->q_len++;
    if (c->q_len >= WS_OUTQ_MAX && !c->flow_off) {
        /* the client is not reading: stop reading its frames until it does */
        lws_rx_flow_control(c->wsi, 0);
        c->flow_off = true;
    }
    lws_callback_on_writable(c->wsi);
    return 0;
}

static int send_error(struct gw *gw, struct ws_conn *c, const char *code, const char *msg,
                      const char *reply_to)
{
    json_t *j = json_pack("{s:s,s:s,s:s}", "type", "error", "code", code, "message", msg);

    if (j && reply_to && json_object_set_new(j, "reply_to", json_string(reply_to))) {
        json_decref(j);
        j = NULL; /* q_push_json() answers -ENOMEM: the connection is closed */
    }
    mc_log(MC_LOG_INFO, "ws.error", "peer=%s code=%s", c->peer, code);
    if (strcmp(code, "too_large") == 0)
        gw->metrics.errors[METRICS_ERR_TOO_LARGE]++;
    else if (strcmp(code, "invalid_utf8") == 0)
        gw->metrics.errors[METRICS_ERR_UTF8]++;
    else if (strcmp(code, "internal") == 0)
        gw->metrics.errors[METRICS_ERR_INTERNAL]++;
    else
        gw->metrics.errors[METRICS_ERR_BAD_FRAME]++;
    return q_push_json(c, j);
}

static int on_hello(struct gw *gw, struct ws_conn *c, json_t *msg)
{
    json_t *jsess = json_object_get(msg, "session"), *jchan = json_object_get(msg, "channel");
    const char *channel = json_string_value(jchan);
    struct session s = {0};
    json_t *history = NULL, *welcome;
    int rc;

    if (jsess && !json_is_null(jsess) && !json_is_string(jsess))
        return send_error(gw, c, "bad_field", "\"session\" must be null or a token string", NULL);
    if (jchan && !channel)
        return send_error(gw, c, "bad_field", "\"channel\" must be \"web\" or \"kiosk\"", NULL);
    if (!channel)
        channel = "web";
    if (strcmp(channel, "web") != 0 && strcmp(channel, "kiosk") != 0)
        return send_error(gw, c, "bad_channel", "\"channel\" must be \"web\" or \"kiosk\"", NULL);
    rc = -ENOENT;
    if (json_is_string(jsess))
        rc = session_load_token(gw->state, json_string_value(jsess), &s);
    if (rc == 0 && strcmp(s.channel, channel) != 0) {
        session_fini(&s); /* a kiosk token never opens a web session, nor the reverse */
        rc = -ENOENT;
    }
    if (rc == -ENOENT)
        rc = session_create(gw->state, channel, &s);
    if (rc)
        return send_error(gw, c, "internal", "Máy chủ đang bận, bạn thử lại sau ít phút.", NULL);
    if (s.resumed)
        history = session_history(gw->state, &s, gw->cfg->session_history_max);
    snprintf(c->session, sizeof(c->session), "%s", s.token);
    snprintf(c->channel, sizeof(c->channel), "%s", channel);
    c->hello = true;
    welcome =
        json_pack("{s:s,s:i,s:s,s:o,s:b,s:{s:i}}", "type", "welcome", "protocol", 1, "session",
                  s.token, "history", history ? history : json_array(), "resumed", s.resumed,
                  "settings", "kiosk_idle_seconds", (int)gw->cfg->kiosk_idle_seconds);
    mc_log(MC_LOG_INFO, "ws.hello", "peer=%s channel=%s resumed=%d", c->peer, channel, s.resumed);
    session_fini(&s);
    return q_push_json(c, welcome);
}

static int on_message(struct gw *gw, struct ws_conn *c, json_t *msg, bool postback)
{
    const char *field = postback ? "payload" : "text";
    json_t *jt = json_object_get(msg, field), *jid = json_object_get(msg, "id");
    json_t *reply = NULL;
    const char *text, *id = NULL;
    char idbuf[WS_MSG_ID_MAX + 1];
    struct mc_err err = {{0}};
    size_t n;
    int rc;

    if (jid && json_is_string(jid) && json_string_length(jid) <= WS_MSG_ID_MAX) {
        snprintf(idbuf, sizeof(idbuf), "%s", json_string_value(jid));
        id = idbuf;
    } else if (jid && !json_is_null(jid)) {
        return send_error(gw, c, "bad_field", "\"id\" must be a string of at most 64 bytes", NULL);
    }
    if (!c->hello)
        return send_error(gw, c, "hello_required", "Send a hello frame first.", id);
    if (!jt)
        return send_error(gw, c, "missing_field",
                          postback ? "\"payload\" is missing" : "\"text\" is missing", id);
    if (!json_is_string(jt))
        return send_error(gw, c, "bad_field",
                          postback ? "\"payload\" must be a string" : "\"text\" must be a string",
                          id);
    text = json_string_value(jt);
    n = json_string_length(jt);
    if (n == 0 || strspn(text, " \t\r\n") == n)
        return send_error(gw, c, "empty", "Bạn chưa nhập nội dung.", id);
    if (n > INTENT_MAX_INPUT || memchr(text, '\0', n))
        return send_error(gw, c, n > INTENT_MAX_INPUT ? "too_long" : "bad_field",
                          "Tin nhắn quá dài (tối đa 2048 byte).", id);
    gw->metrics.msg_in[metrics_channel_of(c->channel)]++;
    rc = gw_handle_message(gw, c->channel, c->session, NULL, postback ? NULL : text,
                           postback ? text : NULL, id, &reply, &err);
    if (rc == -EINVAL)
        return send_error(gw, c, "bad_input", err.text, id);
    if (rc)
        return send_error(gw, c, "internal", "Máy chủ đang bận, bạn thử lại sau ít phút.", id);
    if (json_object_set_new(reply, "type", json_string("reply")) ||
        (id && json_object_set_new(reply, "reply_to", json_string(id)))) {
        json_decref(reply);
        return send_error(gw, c, "internal", "Máy chủ đang bận, bạn thử lại sau ít phút.", id);
    }
    gw->metrics.msg_out[metrics_channel_of(c->channel)]++;
    return q_push_json(c, reply);
}

/* One complete client message. Returns 0, or -ENOMEM when even the error
 * frame could not be queued (the connection is then closed). */
static int on_frame(struct gw *gw, struct ws_conn *c, const char *data, size_t len)
{
    json_error_t jerr;
    json_t *msg;
    const char *type;
    int rc;

    if (!mc_utf8_is_valid(data, len))
        return send_error(gw, c, "invalid_utf8", "The frame is not valid UTF-8.", NULL);
    msg = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!msg)
        return send_error(gw, c, "bad_json", "The frame is not valid JSON.", NULL);
    if (!json_is_object(msg)) {
        json_decref(msg);
        return send_error(gw, c, "bad_json", "A frame must be a JSON object.", NULL);
    }
    type = json_string_value(json_object_get(msg, "type"));
    if (!type)
        rc = send_error(gw, c, "missing_field", "\"type\" is missing", NULL);
    else if (strcmp(type, "hello") == 0)
        rc = on_hello(gw, c, msg);
    else if (strcmp(type, "message") == 0)
        rc = on_message(gw, c, msg, false);
    else if (strcmp(type, "postback") == 0)
        rc = on_message(gw, c, msg, true);
    else
        rc = send_error(gw, c, "bad_type",
                        "\"type\" must be \"hello\", \"message\" or \"postback\"", NULL);
    json_decref(msg);
    return rc;
}

static void conn_link(struct gw *gw, struct ws_conn *c)
{
    c->prev = NULL;
    c->next = gw->conns;
    if (gw->conns)
        gw->conns->prev = c;
    gw->conns = c;
}

static void conn_unlink(struct gw *gw, struct ws_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (gw->conns == c)
        gw->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
}

static int on_writeable(struct ws_conn *c)
{
    struct ws_frame *f = c->q_head;
    int n;

    if (!f) {
        if (c->closing) {
            lws_close_reason(c->wsi, LWS_CLOSE_STATUS_GOINGAWAY, (unsigned char *)"shutdown",
                             sizeof "shutdown" - 1);
            return -1;
        }
        return 0; /* lws may call us more often than asked */
    }
    n = lws_write(c->wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_TEXT);
    if (n < (int)f->len)
        return -1;
    c->q_head = f->next;
    if (!c->q_head)
        c->q_tail = NULL;
    c->q_len--;
    free(f);
    if (c->flow_off && c->q_len <= WS_OUTQ_LOW) {
        lws_rx_flow_control(c->wsi, 1);
        c->flow_off = false;
    }
    if (c->q_head || c->closing)
        lws_callback_on_writable(c->wsi);
    return 0;
}

int ws_callback(struct gw *gw, struct lws *wsi, int reason, struct ws_conn *c, void *in, size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof(*c));
        c->wsi = wsi;
        mc_buf_init(&c->rx, WS_MSG_MAX);
        lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
        if (!gw_ip_acquire(gw, c->peer)) {
            gw->metrics.errors[METRICS_ERR_REJECTED]++;
            mc_log(MC_LOG_WARN, "ws.reject", "peer=%s reason=per_ip_limit", c->peer);
            lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)"busy",
                             sizeof "busy" - 1);
            return -1;
        }
        c->counted = true;
        conn_link(gw, c);
        gw->metrics.ws_open++;
        gw->metrics.ws_total++;
        if (gw->draining)
            c->closing = true, lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_RECEIVE:
        if (!c->discarding && mc_buf_append(&c->rx, in, len) != 0) {
            c->discarding = true; /* over WS_MSG_MAX: skip the rest, answer once */
            mc_buf_reset(&c->rx);
        }
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
            break;
        if (c->discarding) {
            c->discarding = false;
            if (send_error(gw, c, "too_large", "Tin nhắn quá lớn (tối đa 16 KiB một khung).", NULL))
                return -1;
            break;
        }
        if (lws_frame_is_binary(wsi)) {
            mc_buf_reset(&c->rx);
            if (send_error(gw, c, "bad_json", "Binary frames are not supported.", NULL))
                return -1;
            break;
        }
        if (on_frame(gw, c, c->rx.data ? c->rx.data : "", c->rx.len))
            return -1;
        mc_buf_reset(&c->rx);
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return on_writeable(c);
    case LWS_CALLBACK_CLOSED:
        if (c->counted) {
            gw_ip_release(gw, c->peer);
            conn_unlink(gw, c);
            gw->metrics.ws_open--;
            c->counted = false;
        }
        mc_buf_fini(&c->rx);
        q_free(c);
        break;
    default:
        break;
    }
    return 0;
}

void ws_close_all(struct gw *gw)
{
    struct ws_conn *c;

    for (c = gw->conns; c; c = c->next) {
        c->closing = true;
        lws_callback_on_writable(c->wsi);
    }
}
