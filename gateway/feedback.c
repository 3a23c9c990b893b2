/* gateway/feedback.c - see feedback.h. The vote names an answer that this
 * session was given: a client cannot vote on another session's answers,
 * nor on a message that got an error frame instead of a reply. */
#include "feedback.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conv_out.h"
#include "gw.h"
#include "mc_buf.h"
#include "mc_mask.h"
#include "session.h"
#include "store.h"

static const char thanks_up[] = "Cảm ơn bạn! Rất vui vì đã giúp được bạn.";
static const char thanks_down[] = "Cảm ơn bạn đã cho biết. Cán bộ xã sẽ xem lại câu trả lời này "
                                  "để hướng dẫn tốt hơn.";

/* The error of a vote on id, an answer the session does not have. */
static int unknown_reply(const char *id, const char **code, struct mc_err *err)
{
    *code = "unknown_reply";
    mc_err_set(err, "\"reply_to\": no answer to message \"%s\" in this session", id);
    return -EINVAL;
}

int feedback_from_frame(struct gw *gw, const struct session *s, const json_t *frame,
                        char id[FEEDBACK_ID_MAX + 1], uint64_t *verdict, const char **code,
                        struct mc_err *err)
{
    const json_t *jid = json_object_get(frame, "reply_to");
    const json_t *jvote = json_object_get(frame, "vote");
    const json_t *jcomment = json_object_get(frame, "comment");
    const char *vote = json_string_value(jvote), *comment = NULL;
    struct mc_buf masked;
    size_t n = 0;
    int rc;

    id[0] = '\0';
    *verdict = 0;
    if (json_is_string(jid) && json_string_length(jid) <= FEEDBACK_ID_MAX)
        memcpy(id, json_string_value(jid), json_string_length(jid) + 1);
    *code = "missing_field";
    if (!jid || !jvote) {
        mc_err_set(err, "\"%s\" is missing", !jid ? "reply_to" : "vote");
        return -EINVAL;
    }
    *code = "bad_field";
    if (!id[0] || memchr(json_string_value(jid), '\0', json_string_length(jid))) {
        mc_err_set(err, "\"reply_to\" must be a message id of at most %d bytes", FEEDBACK_ID_MAX);
        return -EINVAL;
    }
    if (!vote || (strcmp(vote, "up") != 0 && strcmp(vote, "down") != 0)) {
        mc_err_set(err, "\"vote\" must be \"up\" or \"down\"");
        return -EINVAL;
    }
    if (jcomment && !json_is_null(jcomment)) {
        if (!json_is_string(jcomment)) {
            mc_err_set(err, "\"comment\" must be a string");
            return -EINVAL;
        }
        comment = json_string_value(jcomment);
        n = json_string_length(jcomment);
        if (n > STORE_FEEDBACK_COMMENT_MAX) {
            *code = "too_long";
            mc_err_set(err, "Góp ý quá dài (tối đa %d byte).", STORE_FEEDBACK_COMMENT_MAX);
            return -EINVAL;
        }
        if (memchr(comment, '\0', n)) {
            mc_err_set(err, "\"comment\" must not contain NUL");
            return -EINVAL;
        }
    }
    /* a comment may hold a phone or ID number like any message: masked first.
     * Masking keeps the length (digits become '*'), so it stays in bounds. */
    mc_buf_init(&masked, STORE_FEEDBACK_COMMENT_MAX * 2);
    if (comment && n && mc_mask_pii(comment, n, &masked)) {
        mc_buf_fini(&masked);
        return -ENOMEM;
    }
    if (masked.len > STORE_FEEDBACK_COMMENT_MAX) {
        mc_buf_fini(&masked);
        *code = "too_long";
        mc_err_set(err, "Góp ý quá dài (tối đa %d byte).", STORE_FEEDBACK_COMMENT_MAX);
        return -EINVAL;
    }
    /* PostgreSQL: queued, the answer found (or not) by the statement itself */
    rc = store_feedback_cast(gw->store, s->id, id, s->channel, vote,
                             masked.len ? masked.data : NULL, (int64_t)time(NULL), verdict);
    mc_buf_fini(&masked);
    if (rc == -ENOENT)
        return unknown_reply(id, code, err);
    return rc == -EINVAL ? -EIO : rc;
}

int feedback_verdict(struct gw *gw, uint64_t verdict, const char *id, const char **code,
                     struct mc_err *err)
{
    int rc = store_feedback_verdict(gw->store, verdict);

    return rc == -ENOENT ? unknown_reply(id, code, err) : rc;
}

bool feedback_is_payload(const char *payload)
{
    return payload && (strcmp(payload, FEEDBACK_PAYLOAD_UP) == 0 ||
                       strcmp(payload, FEEDBACK_PAYLOAD_DOWN) == 0);
}

_Static_assert(sizeof(((struct session *)0)->answer.msg_id) ==
                   sizeof(((struct store_feedback_answer *)0)->msg_id),
               "session.answer carries a store_feedback_answer");
_Static_assert(sizeof(((struct session *)0)->answer.procedure) ==
                   sizeof(((struct store_feedback_answer *)0)->procedure),
               "session.answer carries a store_feedback_answer");

/* The latest answer of s into *a: the one read with a webhook event's
 * session (s->answer) while the batch still holds its row, else read
 * (waited for). Returns as store_feedback_answer(). */
static int latest_answer(struct gw *gw, const struct session *s, struct store_feedback_answer *a)
{
    if (!s->row_locked || !s->answer.read)
        return store_feedback_answer(gw->store, s->id, NULL, a);
    memset(a, 0, sizeof(*a));
    if (!s->answer.turn_id)
        return -ENOENT;
    a->turn_id = s->answer.turn_id;
    memcpy(a->msg_id, s->answer.msg_id, sizeof(a->msg_id));
    memcpy(a->procedure, s->answer.procedure, sizeof(a->procedure));
    a->asks = s->answer.asks;
    return 0;
}

int feedback_postback(struct gw *gw, const struct session *s, const char *payload, int64_t now_s,
                      json_t **reply, struct store_feedback_vote *plan)
{
    bool up = strcmp(payload, FEEDBACK_PAYLOAD_UP) == 0;
    struct store_feedback_answer a;
    int rc = latest_answer(gw, s, &a);

    if (rc)
        return rc;
    if (!a.asks)
        return -ENOENT;
    if (plan) { /* written by the turn's save (store_turn_queue_feedback()) */
        memset(plan, 0, sizeof(*plan));
        plan->a = a;
        snprintf(plan->vote, sizeof(plan->vote), "%s", up ? "up" : "down");
        plan->ts = now_s;
    } else {
        rc = store_feedback_put(gw->store, s->id, &a, s->channel, up ? "up" : "down", NULL, now_s);
        if (rc)
            return rc == -EINVAL ? -EIO : rc;
    }
    *reply = json_pack("{s:[{s:s}],s:[],s:s*}", "messages", "text", up ? thanks_up : thanks_down,
                       "quick_replies", "procedure", a.procedure[0] ? a.procedure : NULL);
    return *reply ? 0 : -ENOMEM;
}

int feedback_offer(json_t *reply, const char *channel)
{
    const json_t *block = json_object_get(reply, "feedback");
    const char *question = json_string_value(json_object_get(block, "question"));
    json_t *msgs = json_object_get(reply, "messages"),
           *qrs = json_object_get(reply, "quick_replies");

    if (!question || strcmp(channel, "web") == 0 || strcmp(channel, "kiosk") == 0)
        return 0;
    if (!json_is_array(msgs) || !json_is_array(qrs) || json_array_size(qrs) + 2 > CONV_QR_MAX)
        return 0; /* never built that way (conv_out.h: a checklist offers four) */
    /* first: they answer the question just above them */
    if (json_array_append_new(msgs, json_pack("{s:s}", "text", question)) ||
        json_array_insert_new(
            qrs, 0, json_pack("{s:s,s:s}", "title", "Có", "payload", FEEDBACK_PAYLOAD_UP)) ||
        json_array_insert_new(
            qrs, 1, json_pack("{s:s,s:s}", "title", "Không", "payload", FEEDBACK_PAYLOAD_DOWN)))
        return -ENOMEM;
    return 0;
}
