/* gateway/feedback.h - citizens' votes on the bot's answers (issue 15,
 * docs/api.md "feedback"): 👍/👎 on each answer in the widget and the kiosk,
 * and "Có giúp được bạn không?" where a pre-check ends (the conversation
 * marks that reply with the block "feedback": {"question": "..."}).
 *   - web and kiosk send a frame {"type":"feedback","reply_to","vote",
 *     "comment"?} on their WebSocket (ws.c calls feedback_from_frame);
 *   - Messenger and Zalo get the question as a message with two quick
 *     replies (feedback_offer) whose payloads come back on the turn path
 *     (router.c calls feedback_postback): a vote on the session's latest
 *     answer, stored in the unit of that turn.
 * Votes live in the store (store.h, "citizen feedback"); comments are
 * masked (mc_mask_pii) before they are stored. Event-loop thread only. */
#ifndef MOTCUA_GATEWAY_FEEDBACK_H
#define MOTCUA_GATEWAY_FEEDBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "mc_err.h"

#define FEEDBACK_ID_MAX 64 /* bytes of the message id a vote names (the WS id limit) */
#define FEEDBACK_PAYLOAD_UP "feedback:up"
#define FEEDBACK_PAYLOAD_DOWN "feedback:down"

struct gw;
struct session;
struct json_t;
struct store_feedback_vote;

/* A "feedback" frame from the WebSocket of session s: checks it and stores
 * the vote in the store's open batch (store_feedback_cast()). Copies the
 * frame's reply_to into id ("" when it is missing or not a short string).
 * Returns 0 (answer {"type":"feedback_ack","reply_to":id} once the batch is
 * committed; but when *verdict > 0, the vote's statement was queued and not
 * read: whether it found the answer is asked with feedback_verdict() once
 * the batch's commit is reported), -EINVAL with *code (the error frame's
 * code: "missing_field", "bad_field", "unknown_reply", "too_long") and err
 * set, or -EIO/-ENOMEM. */
MC_MUST_CHECK int feedback_from_frame(struct gw *gw, const struct session *s,
                                      const struct json_t *frame, char id[FEEDBACK_ID_MAX + 1],
                                      uint64_t *verdict, const char **code, struct mc_err *err);

/* The outcome of the vote on id whose statement feedback_from_frame() left
 * unread (verdict), its batch committed: 0 (acknowledge it), -EINVAL with
 * *code "unknown_reply" and err set (the session has no answer to id:
 * nothing was written; the text feedback_from_frame() gives) or -EIO (not
 * known). */
MC_MUST_CHECK int feedback_verdict(struct gw *gw, uint64_t verdict, const char *id,
                                   const char **code, struct mc_err *err);

/* Whether payload is one of the two feedback quick replies. */
bool feedback_is_payload(const char *payload);

/* The turn of a feedback quick reply: when the session's latest answer (read,
 * or s->answer when it was read with s's webhook event and s->row_locked)
 * asked "Có giúp được bạn không?", stores the vote on it (plan NULL: the caller
 * holds a unit of the batch, the vote and the turn are kept or undone
 * together) or, plan given, stores nothing and fills *plan for the turn's
 * save to write (store_turn_queue_feedback()), and sets *reply to the
 * thanks (new, json_decref()). Returns 0, -ENOENT (the latest answer did
 * not ask: a stale button, nothing stored), -ENOMEM or -EIO. */
MC_MUST_CHECK int feedback_postback(struct gw *gw, const struct session *s, const char *payload,
                                    int64_t now_s, struct json_t **reply,
                                    struct store_feedback_vote *plan);

/* For channels that show only messages and quick replies (all but web and
 * kiosk, whose pages draw their own buttons): when reply carries the
 * "feedback" block, appends its question as a message and the quick
 * replies "Có" and "Không" (FEEDBACK_PAYLOAD_UP, _DOWN). Returns 0 or
 * -ENOMEM. */
MC_MUST_CHECK int feedback_offer(struct json_t *reply, const char *channel);

#endif
