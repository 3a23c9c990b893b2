/* gateway/ws_queue.c - a connection's queue of frames (ws_int.h): frames
 * made from JSON or from a reply's text, held until their batch's commit
 * has landed (ws_release_held(): a failed commit turns them into error
 * frames), then written in order when the socket is writeable; error frames.
 * Split from ws.c, which reads frames and runs the protocol. */
#include "ws.h"
#include "ws_int.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feedback.h"
#include "gw.h"
#include "mc_err.h"
#include "mc_log.h"
#include "store.h"

void ws_frame_free(struct ws_frame *f)
{
    if (f)
        free(f->input);
    free(f);
}

static void held_link(struct gw *gw, struct ws_conn *c)
{
    if (c->held_linked)
        return;
    c->held_prev = NULL;
    c->held_next = gw->held;
    if (gw->held)
        gw->held->held_prev = c;
    gw->held = c;
    c->held_linked = true;
}

void ws_held_unlink(struct gw *gw, struct ws_conn *c)
{
    if (!c->held_linked)
        return;
    if (c->held_prev)
        c->held_prev->held_next = c->held_next;
    else
        gw->held = c->held_next;
    if (c->held_next)
        c->held_next->held_prev = c->held_prev;
    c->held_next = c->held_prev = NULL;
    c->held_linked = false;
}

void ws_queue_free(struct ws_conn *c)
{
    struct ws_frame *f, *n;

    for (f = c->q_head; f; f = n) {
        n = f->next;
        ws_frame_free(f);
    }
    c->q_head = c->q_tail = NULL;
    c->q_len = 0;
    c->q_bytes = 0;
}

/* A new frame of n bytes of payload (to be filled in), or NULL. */
static struct ws_frame *frame_alloc(size_t n, enum ws_kind kind, const char *reply_to)
{
    struct ws_frame *f;

    if (n > SIZE_MAX - sizeof(*f) - LWS_PRE)
        return NULL;
    f = malloc(sizeof(*f) + LWS_PRE + n);
    if (!f)
        return NULL;
    f->next = NULL;
    f->len = n;
    f->held = 0;
    f->save = 0;
    f->input = NULL;
    f->postback = false;
    f->conn = NULL;
    f->kind = (unsigned char)kind;
    snprintf(f->reply_to, sizeof(f->reply_to), "%s", reply_to ? reply_to : "");
    return f;
}

/* A new frame holding the JSON text of j (steals j), or NULL. */
static struct ws_frame *frame_new(json_t *j, enum ws_kind kind, const char *reply_to)
{
    struct ws_frame *f;
    char *text;
    size_t n;

    if (!j)
        return NULL;
    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!text)
        return NULL;
    n = strlen(text);
    f = frame_alloc(n, kind, reply_to);
    if (f)
        memcpy(f->buf + LWS_PRE, text, n);
    free(text);
    return f;
}

static int q_push(struct gw *gw, struct ws_conn *c, struct ws_frame *f);

/* Queues a JSON value as one text frame (steals j). */
int ws_push_json(struct gw *gw, struct ws_conn *c, json_t *j, enum ws_kind kind,
                 const char *reply_to)
{
    struct ws_frame *f = frame_new(j, kind, reply_to);

    if (!f)
        return -ENOMEM;
    return q_push(gw, c, f);
}

/* Queues the reply frame of a turn: {"type":"reply","reply_to":id, then the
 * members of body, the reply object's JSON text exactly as the turn record
 * stores it (router.c), spliced rather than parsed and written again. save:
 * the turn's save not waited for (0: none), whose input the frame keeps to
 * run it again on a miss (without it a miss becomes an error frame). */
int ws_push_reply(struct gw *gw, struct ws_conn *c, const char *body, const char *id, uint64_t save,
                  const char *input, bool postback)
{
    static const char head[] = "{\"type\":\"reply\"";
    static const char key[] = ",\"reply_to\":";
    json_t *jid = NULL;
    char *qid = NULL;
    struct ws_frame *f;
    size_t nb = strlen(body), nq = 0, n;
    unsigned char *p;

    if (nb < 2 || body[0] != '{' || body[nb - 1] != '}')
        return -EINVAL; /* not an object: never happens, never sent broken */
    if (id) {
        jid = json_string(id);
        qid = jid ? json_dumps(jid, JSON_ENCODE_ANY) : NULL; /* quoted and escaped */
        json_decref(jid);
        if (!qid)
            return -ENOMEM;
        nq = strlen(qid);
    }
    n = sizeof head - 1 + (id ? sizeof key - 1 + nq : 0) + (nb > 2 ? 1 : 0) + nb - 1;
    f = frame_alloc(n, WS_REPLY, id);
    if (!f) {
        free(qid);
        return -ENOMEM;
    }
    p = f->buf + LWS_PRE;
    memcpy(p, head, sizeof head - 1);
    p += sizeof head - 1;
    if (id) {
        memcpy(p, key, sizeof key - 1);
        p += sizeof key - 1;
        memcpy(p, qid, nq);
        p += nq;
    }
    if (nb > 2)
        *p++ = ',';
    memcpy(p, body + 1, nb - 1); /* the members and the closing brace */
    free(qid);
    f->save = save;
    f->input = save ? strdup(input) : NULL;
    f->postback = postback;
    return q_push(gw, c, f);
}

/* Queues f (steals it). While the store has an open batch the frame is
 * held until gw_flush() (ws_release_held). */
static int q_push(struct gw *gw, struct ws_conn *c, struct ws_frame *f)
{
    if (c->overflow) { /* closing already: memory stays bounded */
        ws_frame_free(f);
        return 0;
    }
    if (c->q_bytes > 0 && (c->q_bytes >= gw->cfg->listen_max_queued ||
                           f->len > gw->cfg->listen_max_queued - c->q_bytes)) {
        /* the client does not read what we send: close it rather than grow */
        gw->metrics.limits[METRICS_LIMIT_QUEUED_BYTES]++;
        mc_log(MC_LOG_WARN, "ws.slow_reader", "peer=%s queued_bytes=%zu frames=%u", c->peer,
               c->q_bytes, c->q_len);
        c->overflow = true;
        ws_frame_free(f);
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return 0;
    }
    c->q_bytes += f->len;
    f->held = store_batch_ticket(gw->store);
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
    if (f->held)
        held_link(gw, c);
    else
        lws_callback_on_writable(c->wsi);
    return 0;
}

static json_t *error_json(const char *code, const char *msg, const char *reply_to)
{
    json_t *j = json_pack("{s:s,s:s,s:s}", "type", "error", "code", code, "message", msg);

    if (j && reply_to && reply_to[0] && json_object_set_new(j, "reply_to", json_string(reply_to))) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

int ws_push_vote(struct gw *gw, struct ws_conn *c, const char *id, uint64_t verdict)
{
    struct ws_frame *f = frame_new(json_pack("{s:s,s:s}", "type", "feedback_ack", "reply_to", id),
                                   verdict ? WS_VOTE : WS_REPLY, id);

    if (!f)
        return -ENOMEM;
    f->save = verdict;
    return q_push(gw, c, f);
}

/* Puts e (NULL: none could be made) in the place of f, after prev (NULL:
 * the head) in c's queue; without e, f is marked to close the connection.
 * Returns the frame now in that place. */
static struct ws_frame *q_replace(struct ws_conn *c, struct ws_frame *prev, struct ws_frame *f,
                                  struct ws_frame *e)
{
    if (!e) {
        f->kind = WS_DROP;
        return f;
    }
    c->q_bytes = c->q_bytes - f->len + e->len;
    e->next = f->next;
    if (prev)
        prev->next = e;
    else
        c->q_head = e;
    if (c->q_tail == f)
        c->q_tail = e;
    ws_frame_free(f);
    return e;
}

/* f, a vote's ack (WS_VOTE) whose batch committed: its verdict taken, it
 * becomes a plain reply and stays (the vote was written), or *e is the
 * error frame to send instead (NULL: out of memory), counted as
 * ws_send_error() counts. Returns whether f stays. */
static bool vote_acked(struct gw *gw, struct ws_conn *c, struct ws_frame *f, struct ws_frame **e)
{
    const char *code = "internal";
    struct mc_err err = {{0}};
    uint64_t verdict = f->save;
    int rc;

    f->kind = WS_REPLY;
    f->save = 0;
    rc = feedback_verdict(gw, verdict, f->reply_to, &code, &err);
    if (!rc)
        return true;
    mc_log(MC_LOG_INFO, "ws.error", "peer=%s code=%s", c->peer, code);
    if (rc == -EINVAL)
        gw->metrics.errors[METRICS_ERR_BAD_FRAME]++;
    else
        gw->metrics.errors[METRICS_ERR_INTERNAL]++;
    *e = frame_new(error_json(code, rc == -EINVAL ? err.text : ws_busy_text, f->reply_to), WS_PLAIN,
                   NULL);
    return false;
}

void ws_release_held(struct gw *gw, uint64_t ticket, int rc)
{
    struct ws_conn *c, *next;
    struct ws_frame *f, *prev, *e, *nf, *reruns = NULL;
    bool later, mine;

    for (c = gw->held; c; c = next) {
        next = c->held_next;
        later = mine = false; /* frames of a later batch, still in flight; of this one */
        for (prev = NULL, f = c->q_head; f; f = nf) {
            nf = f->next;
            if (!f->held || f->held > ticket) {
                later = later || f->held;
                prev = f;
                continue;
            }
            f->held = 0;
            mine = true;
            if (f->kind == WS_VOTE && !rc && !vote_acked(gw, c, f, &e)) {
                prev = q_replace(c, prev, f, e); /* no answer to that message */
                continue;
            }
            if (f->kind == WS_VOTE) { /* its batch failed: the error frame below */
                f->kind = WS_REPLY;
                f->save = 0;
            }
            /* a save not waited for: its verdict (read before the COMMIT's
             * answer) says whether the turn is stored; a miss runs it again */
            if (!rc && f->save &&
                !ws_turn_verdict(c, prev, f, store_turn_verdict(gw->store, f->save), &reruns))
                continue;
            if (!rc || f->kind == WS_PLAIN) {
                prev = f;
                continue;
            }
            /* the turn (or the new session) is not stored: say so instead */
            gw->metrics.errors[METRICS_ERR_INTERNAL]++;
            if (f->kind == WS_WELCOME)
                c->hello = false;
            if (c->sess && c->sess->save == f->save)
                c->sess->save = 0;
            e = frame_new(error_json("internal", ws_busy_text, f->reply_to), WS_PLAIN, NULL);
            prev = q_replace(c, prev, f, e);
        }
        if (!later)
            ws_held_unlink(gw, c);
        if (rc && mine && c->sess)
            c->sess->stale = true;
        if (mine)
            lws_callback_on_writable(c->wsi);
    }
    /* the missed turns run again now, in their order, each waiting for its
     * save (the rare path: another node saved the session meanwhile) */
    ws_turn_rerun_all(gw, reruns);
}

int ws_send_error(struct gw *gw, struct ws_conn *c, const char *code, const char *msg,
                  const char *reply_to)
{
    json_t *j = error_json(code, msg, reply_to); /* NULL: -ENOMEM closes the connection */

    mc_log(MC_LOG_INFO, "ws.error", "peer=%s code=%s", c->peer, code);
    if (strcmp(code, "rate_limited") == 0)
        gw->metrics.limits[METRICS_LIMIT_RATE]++;
    else if (strcmp(code, "too_large") == 0)
        gw->metrics.errors[METRICS_ERR_TOO_LARGE]++;
    else if (strcmp(code, "invalid_utf8") == 0)
        gw->metrics.errors[METRICS_ERR_UTF8]++;
    else if (strcmp(code, "internal") == 0)
        gw->metrics.errors[METRICS_ERR_INTERNAL]++;
    else
        gw->metrics.errors[METRICS_ERR_BAD_FRAME]++;
    return ws_push_json(gw, c, j, WS_PLAIN, NULL);
}
