/* gateway/ws_turn.c - a citizen's message over a WebSocket run as a turn,
 * and its save not waited for (ws_int.h; issue 18, docs/scaling.md "The
 * save not waited for"). On PostgreSQL the turn's save is queued in the
 * batch and its answer not read: the session in memory advances as if it
 * hit, the reply frame is held with its batch's ticket (as every reply)
 * and keeps the turn's input. The verdict is read before the COMMIT's
 * answer (ws_release_held()): a hit lets the frame go with the commit; a
 * miss drops it, reads the session back and runs the turn again, waiting
 * for its save this time, in the order the turns first ran. */
#include "ws_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "gw_commit.h"
#include "handoff.h"
#include "mc_log.h"
#include "store.h"

/* Takes f (after prev, or the head) out of c's queue. */
static void q_take(struct ws_conn *c, struct ws_frame *prev, struct ws_frame *f)
{
    if (prev)
        prev->next = f->next;
    else
        c->q_head = f->next;
    if (c->q_tail == f)
        c->q_tail = prev;
    c->q_len--;
    c->q_bytes -= f->len;
    f->next = NULL;
}

/* Adds f (a turn whose save missed, of c) to *list, in the order of the
 * saves: the order the turns ran in, which is kept when they run again. */
static void rerun_add(struct ws_frame **list, struct ws_conn *c, struct ws_frame *f)
{
    struct ws_frame **at = list;

    f->conn = c;
    while (*at && (*at)->save < f->save)
        at = &(*at)->next;
    f->next = *at;
    *at = f;
}

bool ws_turn_verdict(struct ws_conn *c, struct ws_frame *prev, struct ws_frame *f, int v,
                     struct ws_frame **reruns)
{
    if (c->sess && c->sess->save == f->save)
        c->sess->save = 0;
    if (v == 0) {
        f->save = 0;
        free(f->input);
        f->input = NULL;
        return true;
    }
    if (c->sess)
        c->sess->stale = true;
    q_take(c, prev, f);
    rerun_add(reruns, c, f);
    return false;
}

int ws_turn_run(struct gw *gw, struct ws_conn *c, const char *text, const char *id, bool postback,
                bool queue, bool count)
{
    char *reply = NULL;
    struct mc_err err = {{0}};
    uint64_t save = 0;
    int rc;

    rc = gw_handle_turn(gw, &c->sess->s, postback ? NULL : text, postback ? text : NULL, id, &reply,
                        queue ? &save : NULL, &err);
    if (!rc) {
        c->sess->ticket = store_batch_ticket(gw->store);
        c->sess->save = save;
    }
    if (rc == -EINVAL)
        return ws_send_error(gw, c, "bad_input", err.text, id);
    if (rc) {
        /* the reason goes to the log, never to the citizen */
        mc_log(MC_LOG_ERROR, "turn.failed", "channel=%s reason=%s", c->channel, err.text);
        return ws_send_error(gw, c, "internal", ws_busy_text, id);
    }
    if (handoff_is_delivered(reply)) /* taken for the officer: no bot reply */
        rc = ws_push_json(gw, c, json_pack("{s:s,s:s?}", "type", "delivered", "reply_to", id),
                          WS_REPLY, id);
    else
        rc = ws_push_reply(gw, c, reply, id, save, text, postback);
    free(reply);
    if (rc)
        return ws_send_error(gw, c, "internal", ws_busy_text, id);
    if (count)
        gw->metrics.msg_out[metrics_channel_of(c->channel)]++;
    return 0;
}

/* Runs again the turn of f, whose save missed (f taken out of its
 * connection's queue; freed here): the session read back, the save waited
 * for, so a message answered meanwhile gets the recorded answer
 * (store_turn_save(): -EALREADY) and one whose session moved runs on it. */
static int rerun(struct gw *gw, struct ws_frame *f)
{
    struct ws_conn *c = f->conn;
    int rc = 0;

    if (!c->sess || c->closing || c->overflow)
        goto out; /* forgotten or closing: nobody to answer */
    mc_log(MC_LOG_INFO, "turn.rerun", "channel=%s reason=save_missed", c->channel);
    if (!f->input) {
        rc = ws_send_error(gw, c, "internal", ws_busy_text, f->reply_to);
        goto out;
    }
    if (c->sess->stale) {
        rc = ws_sess_reload(gw, c);
        if (rc) {
            rc = ws_send_error(gw, c, rc == -ENOENT ? "bad_input" : "internal", ws_busy_text,
                               f->reply_to);
            goto out;
        }
    }
    rc = ws_turn_run(gw, c, f->input, f->reply_to[0] ? f->reply_to : NULL, f->postback, false,
                     false);
out:
    ws_frame_free(f);
    return rc;
}

/* Learns now whether ws's last save, queued in the batch still open, hit:
 * the session's next turn must not be saved on that save's optimistic
 * version unless it did (the version alone cannot tell: another node may
 * have made the same number). One round trip, only for two turns of one
 * session in one pass. A miss runs that turn again first. */
void ws_turn_settle(struct gw *gw, struct ws_sess *ws)
{
    struct ws_frame *f, *prev, *reruns = NULL;
    struct ws_conn *o;
    uint64_t save = ws->save;
    int v;

    if (!save)
        return;
    v = store_turn_verdict_now(gw->store, save);
    ws->save = 0;
    if (v)
        ws->stale = true;
    for (o = gw->conns; o; o = o->next) {
        if (o->sess != ws)
            continue;
        for (prev = NULL, f = o->q_head; f && f->save != save; prev = f, f = f->next)
            ;
        if (f && !ws_turn_verdict(o, prev, f, v, &reruns))
            (void)rerun(gw, reruns);
        if (f)
            break;
    }
}

void ws_turn_rerun_all(struct gw *gw, struct ws_frame *reruns)
{
    struct ws_frame *f;

    /* the rare path: another node saved the session meanwhile */
    while (reruns) {
        f = reruns;
        reruns = f->next;
        (void)rerun(gw, f);
    }
    if (store_in_batch(gw->store))
        gw_commit_soon(gw); /* their batch goes with the next pass, not the next tick */
}
