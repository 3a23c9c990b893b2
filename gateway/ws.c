/* gateway/ws.c - see ws.h. Frames are parsed with jansson; any problem with
 * one frame is answered by an error frame and the connection stays open,
 * because a citizen's phone that sent one bad frame should not lose the
 * conversation. */
#include "mc_time.h"
#include "ws.h"
#include "ws_int.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feedback.h"
#include "gw.h"
#include "gw_commit.h"
#include "conn.h"
#include "handoff.h"
#include "mc_log.h"
#include "mc_utf8.h"
#include "privacy.h"
#include "store.h"
#include "ws_parse.h"

const char ws_busy_text[] = "Máy chủ đang bận, bạn thử lại sau ít phút.";
static const char rate_text[] =
    "Bạn gửi hơi nhanh, xin chờ một chút rồi gửi tiếp nhé. Tin vừa rồi chưa được xử lý.";

static void sess_unref(struct ws_conn *c)
{
    if (c->sess && --c->sess->refs == 0) {
        session_fini(&c->sess->s);
        free(c->sess);
    }
    c->sess = NULL;
}

/* Another open connection's in-memory session of token on channel, or NULL. */
static struct ws_sess *find_shared(struct gw *gw, const struct ws_conn *self, const char *token,
                                   const char *channel)
{
    struct ws_conn *o;

    for (o = gw->conns; o; o = o->next)
        if (o != self && o->sess && !o->sess->stale && strcmp(o->sess->s.token, token) == 0 &&
            strcmp(o->sess->s.channel, channel) == 0)
            return o->sess;
    return NULL;
}

/* A hello ws_parse_frame() accepted: token (or NULL) on channel. A token's
 * session, its history and its handoff are read together (handoff_resume():
 * one round trip on PostgreSQL, docs/scaling.md "A session's first read"),
 * and on PostgreSQL not waited for: the connection is parked until they
 * arrive (ws_park.c, "Reads off the loop"). */
static int on_hello(struct gw *gw, struct ws_conn *c, const char *token, const char *channel)
{
    struct session s = {0};
    json_t *history = NULL, *handoff = NULL;
    struct store_stats before, after;
    int rc;

    /* what the hello waited for, logged (round_trips=) */
    store_get_stats(gw->store, &before);
    sess_unref(c); /* a second hello on one connection starts over */
    c->hello = false;
    rc = -ENOENT;
    if (token) {
        rc = ws_park_hello(gw, c, token, channel, 0);
        if (rc > 0)
            return 0; /* ws_hello_finish() when the reads arrive */
        if (rc == 0)
            rc = handoff_resume(gw, token, &s, &history, &handoff);
    }
    store_get_stats(gw->store, &after);
    return ws_hello_finish(gw, c, token, channel, rc, &s, history, handoff,
                           after.round_trips - before.round_trips);
}

int ws_hello_finish(struct gw *gw, struct ws_conn *c, const char *token, const char *channel,
                    int rc, struct session *sp, json_t *history, json_t *handoff, uint64_t waited)
{
    struct session s = *sp;
    struct ws_sess *ws = NULL;
    json_t *welcome;
    struct store_stats before, after;
    uint64_t s_ticket = 0;

    store_get_stats(gw->store, &before);
    if (token) {
        ws = find_shared(gw, c, token, channel);
        if (ws) {
            /* another connection's session in memory is the one resumed; a
             * failed read shows it without history, as before */
            ws->refs++;
            if (rc == 0)
                session_fini(&s);
            rc = 0;
        }
    }
    if (rc == 0 && !ws && strcmp(s.channel, channel) != 0) {
        session_fini(&s); /* a kiosk token never opens a web session, nor the reverse */
        json_decref(history);
        json_decref(handoff);
        history = handoff = NULL;
        rc = -ENOENT;
    }
    if (rc == -ENOENT)
        rc = session_create(gw->store, channel, &s);
    if (rc == 0 && !ws && !s.resumed)
        /* its row is in the open batch (PostgreSQL: queued, not waited for):
         * a message sent before the welcome arrives waits for that commit
         * (on_message), as one after a turn in flight does */
        s_ticket = store_batch_ticket(gw->store);
    if (rc == 0 && !ws) {
        ws = calloc(1, sizeof(*ws));
        if (ws) {
            ws->refs = 1;
            ws->s = s; /* steals s.state */
            ws->ticket = s_ticket;
        } else {
            session_fini(&s);
            rc = -ENOMEM;
        }
    }
    if (rc) {
        json_decref(history);
        json_decref(handoff);
        return ws_send_error(gw, c, "internal", ws_busy_text, NULL);
    }
    c->sess = ws;
    snprintf(c->session, sizeof(c->session), "%s", ws->s.token);
    snprintf(c->channel, sizeof(c->channel), "%s", channel);
    c->hello = true;
    /* kiosk_speech: replies carry "audio" (speech.h), so the kiosk shows its voice settings */
    welcome =
        json_pack("{s:s,s:i,s:s,s:o,s:b,s:{s:i,s:b}}", "type", "welcome", "protocol", 1, "session",
                  ws->s.token, "history", history ? history : json_array(), "resumed",
                  ws->s.resumed, "settings", "kiosk_idle_seconds", (int)gw->cfg->kiosk_idle_seconds,
                  "kiosk_speech", gw->speech != NULL && strcmp(channel, "kiosk") == 0);
    if (!welcome) {
        json_decref(handoff);
    } else if (handoff && json_object_set_new(welcome, "handoff", handoff)) { /* waiting, held */
        json_decref(welcome);
        welcome = NULL; /* -ENOMEM below */
    }
    store_get_stats(gw->store, &after);
    mc_log(MC_LOG_INFO, "ws.hello", "peer=%s channel=%s resumed=%d round_trips=%llu", c->peer,
           channel, ws->s.resumed,
           (unsigned long long)(waited + after.round_trips - before.round_trips));
    /* from now on the session exists: an idle gap resets it like a resumed one */
    ws->s.resumed = true;
    return ws_push_json(gw, c, welcome, WS_WELCOME, NULL);
}

/* Reads the connection's session back after a failed commit. Returns 0,
 * -ENOENT (it was never stored: hello again) or -EIO/-ENOMEM. */
int ws_sess_reload(struct gw *gw, struct ws_conn *c)
{
    struct session s = {0};
    int rc = session_load_token(gw->store, c->session, &s);

    if (rc)
        return rc;
    session_fini(&c->sess->s);
    c->sess->s = s;
    c->sess->stale = false;
    return 0;
}

static int on_forget(struct gw *gw, struct ws_conn *c);

/* A message or postback ws_parse_frame() accepted: text (NUL-terminated,
 * checked) answering id (or NULL). */
static int on_message(struct gw *gw, struct ws_conn *c, const char *text, const char *id,
                      bool postback)
{
    int rc;

    gw->metrics.msg_in[metrics_channel_of(c->channel)]++;
    /* its last turn's commit still in flight (PostgreSQL): a resend of that
     * message must find its answer, so it waits for it (rare: a person types
     * slower than a commit); a save of it missed runs again then, first */
    gw_commit_wait_for(gw, c->sess->ticket);
    ws_turn_settle(gw, c->sess); /* its last save still in this batch: known before this one */
    if (c->sess->stale) {
        rc = ws_sess_reload(gw, c);
        if (rc == -ENOENT)
            return ws_send_error(gw, c, "bad_input",
                                 "session: unknown or expired, send hello again", id);
        if (rc)
            return ws_send_error(gw, c, "internal", ws_busy_text, id);
    }
    if (!postback && privacy_is_forget_words(text)) /* typed, as on Messenger/Zalo */
        return on_forget(gw, c);
    rc = ws_turn_run(gw, c, text, id, postback, true, true);
    if (rc)
        return rc;
    gw_commit_release(gw, false); /* the previous pass's replies, if their commit landed */
    return 0;
}

/* A vote on an answer (feedback.h): acknowledged once the batch holding it
 * is committed, like a reply. */
static int on_feedback(struct gw *gw, struct ws_conn *c, json_t *msg) /* after a hello */
{
    char id[FEEDBACK_ID_MAX + 1];
    const char *code = "internal";
    struct mc_err err = {{0}};
    uint64_t verdict = 0;
    int rc;

    rc = feedback_from_frame(gw, &c->sess->s, msg, id, &verdict, &code, &err);
    if (rc == -EINVAL)
        return ws_send_error(gw, c, code, err.text, id);
    if (rc)
        return ws_send_error(gw, c, "internal", ws_busy_text, id);
    /* PostgreSQL: the vote's statement is not read; its verdict, taken with
     * the batch's commit, makes the frame the ack or "unknown_reply"
     * (ws_release_held()). Held in the queue, it keeps its place after the
     * connection's earlier replies. */
    return ws_push_vote(gw, c, id, verdict);
}

/* {"type":"forget"}: everything of the session is deleted (privacy.h), then
 * {"type":"forgotten"} is sent (after the commit, like a reply) and every
 * connection of the session closes; none of them writes to it again. */
static int on_forget(struct gw *gw, struct ws_conn *c)
{
    struct ws_sess *ws = c->sess;
    struct ws_conn *o;
    unsigned refs;
    int rc;

    if (!c->hello || !ws)
        return ws_send_error(gw, c, "hello_required", "Send a hello frame first.", NULL);
    if (privacy_forget(gw, ws->s.id, NULL))
        return ws_send_error(gw, c, "internal", ws_busy_text, NULL);
    rc = ws_push_json(gw, c, json_pack("{s:s}", "type", "forgotten"), WS_REPLY, NULL);
    refs = ws->refs;
    for (o = gw->conns; o; o = o->next) {
        if (o->sess != ws)
            continue;
        o->sess = NULL;
        o->hello = false;
        o->closing = true;
        lws_callback_on_writable(o->wsi);
        refs--;
    }
    if (refs == 0) {
        session_fini(&ws->s);
        free(ws);
    } else {
        ws->refs = refs;
    }
    return rc;
}

/* Takes one token from b; false when it is empty (the frame is refused). */
static bool rate_take(const struct gw *gw, struct ws_rate *b)
{
    double per_min = gw->cfg->session_msg_per_minute;
    int64_t now = mc_mono_ms();

    if (per_min == 0)
        return true;
    if (b->at_ms == 0)
        b->tokens = per_min; /* a new bucket is full */
    else
        b->tokens += (double)(now - b->at_ms) * per_min / 60000.0;
    if (b->tokens > per_min)
        b->tokens = per_min;
    b->at_ms = now;
    if (b->tokens < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}

/* A frame refused before it is parsed: its error now, or, while a hello's
 * reads are out, kept in its place among the frames parked (ws_park.c).
 * Returns 0, or non-zero to close. */
static int refuse(struct gw *gw, struct ws_conn *c, const char *code, const char *text)
{
    if (c->park)
        return ws_park_refusal(gw, c, code, text);
    return ws_send_error(gw, c, code, text, NULL);
}

/* One complete client message. Returns 0, or -ENOMEM when even the error
 * frame could not be queued (the connection is then closed). */
int ws_on_frame(struct gw *gw, struct ws_conn *c, const char *data, size_t len)
{
    struct ws_parsed p;
    int rc;

    if (c->park) /* a hello's reads are out: kept, handled in order after its welcome */
        return ws_park_frame(gw, c, data, len) ? -ENOMEM : 0;
    if (ws_parse_frame(data, len, c->hello, &p))
        rc = ws_send_error(gw, c, p.code, p.message, p.reply_to);
    else if (!rate_take(gw, c->sess ? &c->sess->rate : &c->rate))
        rc = ws_send_error(gw, c, "rate_limited", rate_text, p.id);
    else if (p.type == WS_PARSE_HELLO)
        rc = on_hello(gw, c, p.session, p.channel);
    else if (p.type == WS_PARSE_FEEDBACK)
        rc = on_feedback(gw, c, p.msg);
    else if (p.type == WS_PARSE_FORGET)
        rc = on_forget(gw, c);
    else
        rc = on_message(gw, c, p.text, p.id, p.type == WS_PARSE_POSTBACK);
    ws_parsed_fini(&p);
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

    if (f && f->held)
        return 0; /* its commit has not returned yet: gw_flush() wakes us */
    if (f && f->kind == WS_DROP)
        return -1;
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
    c->q_bytes -= f->len;
    ws_frame_free(f);
    if (c->flow_off && c->q_len <= WS_OUTQ_LOW) {
        lws_rx_flow_control(c->wsi, 1);
        c->flow_off = false;
    }
    if (c->q_head || c->closing)
        lws_callback_on_writable(c->wsi);
    return 0;
}

/* Frees the reassembly buffer: an idle connection keeps none (up to
 * WS_MSG_MAX bytes were allocated for a message that came in pieces). */
static void rx_release(struct ws_conn *c)
{
    mc_buf_fini(&c->rx);
    mc_buf_init(&c->rx, WS_MSG_MAX);
}

int ws_callback(struct gw *gw, struct lws *wsi, int reason, struct ws_conn *c, void *in, size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof(*c));
        c->wsi = wsi;
        mc_buf_init(&c->rx, WS_MSG_MAX);
        snprintf(c->peer, sizeof(c->peer), "%s", conn_client_addr(wsi));
        if (conn_refused(wsi)) { /* the connection's slot is counted in gw.c */
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
        if (!c->discarding && !c->rx.len && lws_is_final_fragment(wsi) &&
            !lws_remaining_packet_payload(wsi) && !lws_frame_is_binary(wsi) && len <= WS_MSG_MAX)
            /* the usual case, a whole message in one read: parsed where lws
             * holds it, nothing copied or kept */
            return ws_on_frame(gw, c, in ? (const char *)in : "", len) ? -1 : 0;
        if (!c->discarding && mc_buf_append(&c->rx, in, len) != 0) {
            c->discarding = true; /* over WS_MSG_MAX: skip the rest, answer once */
            rx_release(c);
        }
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
            break;
        if (c->discarding) {
            c->discarding = false;
            if (refuse(gw, c, "too_large", "Tin nhắn quá lớn (tối đa 16 KiB một khung)."))
                return -1;
            break;
        }
        if (lws_frame_is_binary(wsi)) {
            rx_release(c);
            if (refuse(gw, c, "bad_json", "Binary frames are not supported."))
                return -1;
            break;
        }
        if (ws_on_frame(gw, c, c->rx.data ? c->rx.data : "", c->rx.len))
            return -1;
        rx_release(c);
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return on_writeable(c);
    case LWS_CALLBACK_CLOSED:
        ws_park_drop(gw, c); /* its read cancelled, the frames kept freed */
        ws_held_unlink(gw, c);
        sess_unref(c);
        if (c->counted) {
            conn_unlink(gw, c);
            gw->metrics.ws_open--;
            c->counted = false;
        }
        mc_buf_fini(&c->rx);
        ws_queue_free(c);
        break;
    default:
        break;
    }
    return 0;
}

int ws_push_session(struct gw *gw, int64_t session_id, const json_t *frame)
{
    struct ws_conn *c;
    int n = 0;

    ws_park_missed(gw); /* a hello's reads out may not see what this says */
    for (c = gw->conns; c; c = c->next) {
        if (!c->hello || !c->sess || c->sess->s.id != session_id || c->closing)
            continue;
        if (ws_push_json(gw, c, json_deep_copy(frame), WS_PLAIN, NULL))
            return -ENOMEM;
        n++;
    }
    return n;
}

void ws_handoff_changed(struct gw *gw, int64_t session_id)
{
    struct ws_conn *c;

    ws_park_missed(gw);
    for (c = gw->conns; c; c = c->next)
        if (c->sess && c->sess->s.id == session_id)
            c->sess->s.handoff_none = false;
}

void ws_close_all(struct gw *gw)
{
    struct ws_conn *c;

    for (c = gw->conns; c; c = c->next) {
        c->closing = true;
        lws_callback_on_writable(c->wsi);
    }
}
