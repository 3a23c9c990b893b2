/* gateway/handoff.h - the citizen's side of a handoff to an officer, in the
 * one turn path of every channel (router.c; docs/conversation.md, "Handoff
 * to an officer"):
 *   - a reply the conversation marked "handoff": {"state": "pending"} (the
 *     citizen asked for a person: the gap-can-bo intent, the "Gặp cán bộ"
 *     button, or the offer after misunderstanding accepted) queues the
 *     conversation (store_handoff_request) and tells the citizen so, and,
 *     outside office hours, when an officer will answer;
 *   - while "pending" or "officer" the bot never answers: the citizen's
 *     message is stored (masked) for the officer and answered "delivered";
 *   - "hủy", "quay lại trợ lý" or the payload handoff:cancel ends it.
 * Office hours come from the office's "hours"."schedule" (data/offices/),
 * else the national default, in Vietnam's time (UTC+7, no daylight saving).
 * "now" is always a parameter, so the hours are tested at any instant.
 * Runs on the event-loop thread. */
#ifndef MOTCUA_GATEWAY_HANDOFF_H
#define MOTCUA_GATEWAY_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_buf.h"
#include "mc_err.h"

#define HANDOFF_PAYLOAD_REQUEST "handoff:request" /* the widget's "Gặp cán bộ" button */
#define HANDOFF_PAYLOAD_CANCEL "handoff:cancel"   /* back to the bot */
/* The reply text of a citizen message taken for the officer (router.c ->
 * adapters): a WebSocket answers {"type":"delivered"}, Messenger and Zalo
 * send nothing. Never stored as a turn. */
#define HANDOFF_DELIVERED_JSON "{\"delivered\":true}"
#define HANDOFF_TEXT_MAX 1024 /* bytes of one handoff notice */

struct gw;
struct session;
struct store_handoff;
struct json_t;

/* Appends when next_s is, seen from now_s, in Vietnamese and Vietnam's
 * time: "13:00 hôm nay", "8:00 ngày mai (thứ Ba, 9/12)", "8:00 thứ Hai,
 * 15/12". Returns 0 or -E2BIG/-ENOMEM from b. */
MC_MUST_CHECK int handoff_when_text(int64_t next_s, int64_t now_s, struct mc_buf *b);

/* Whether the citizen's input asks to go back to the bot: the payload
 * handoff:cancel, or a text that is only "hủy", "huỷ", "quay lại trợ lý"
 * (with or without diacritics, any case of ASCII letters, trailing
 * punctuation). */
bool handoff_is_cancel(const char *text, const char *payload);

/* Whether a turn's reply text is HANDOFF_DELIVERED_JSON. */
bool handoff_is_delivered(const char *reply_text);

/* What the turn path does with one input (handoff_route()). */
enum handoff_step {
    HANDOFF_BOT,        /* the bot answers as usual */
    HANDOFF_BOT_UNREAD, /* the bot, as far as this node knows: the state not read, its save
                           must check it (unless_handoff) or handoff_confirm_bot() before */
    HANDOFF_DELIVERED,  /* a message for the officer: stored, answered "delivered" */
    HANDOFF_CANCEL,     /* back to the bot: handoff_cancel() */
    HANDOFF_ANSWERED    /* a resend of a message the bot answered: answered from its record */
};

/* Decides the step of one input on session s (handoff.enabled is on). When
 * unread_ok (the turn's save may be queued: store_turn_queues()) and
 * s->handoff_none, the state is not read: HANDOFF_BOT_UNREAD (docs/scaling.md,
 * "The handoff state not read"); otherwise it is read and s->handoff_none
 * set from it. A
 * text while "pending" or "officer" that is not a cancel is masked and
 * stored as the citizen's handoff message (once per msg_id: a resend is
 * delivered again, not stored twice); a payload then is delivered and not
 * stored (it means nothing to an officer). A message whose msg_id the bot
 * answered before the officer took over (a resend after a reconnect) is
 * HANDOFF_ANSWERED, never delivered. Returns 0 with *step set, or
 * -EIO/-ENOMEM. */
MC_MUST_CHECK int handoff_route(struct gw *gw, struct session *s, const char *text,
                                const char *payload, const char *msg_id, int64_t now_ms,
                                bool unread_ok, enum handoff_step *step);

/* For a turn routed HANDOFF_BOT_UNREAD whose save will not check the state
 * (it writes more than its save, or is not queued after all): reads it now.
 * Returns 0 (with the bot: s->handoff_none stays), -EAGAIN (pending or held:
 * s->handoff_none cleared; run the turn again, it is then routed from the
 * state read) or -EIO. */
MC_MUST_CHECK int handoff_confirm_bot(struct gw *gw, struct session *s);

/* The citizen cancels: reads the handoff of s and builds the reply that
 * says the bot is back: a new object (json_decref()) with messages,
 * quick_replies, "procedure" (state's), "handoff": {"state": "bot"}. When
 * one is waiting or held, *end is the change that ends it (state "bot"),
 * written with the turn's save (store_turn_queue_handoff()) or by
 * handoff_change_write(); otherwise end->state is "". known_none: the
 * state is known with the bot (s->handoff_none) and the turn's save is
 * queued checking it (unless_handoff): nothing is read, nothing is to
 * change (a handoff gone live meanwhile makes the save miss, and the turn
 * runs again with the state read). Returns 0 or -EIO/-ENOMEM. */
MC_MUST_CHECK int handoff_cancel(struct gw *gw, const struct session *s, const struct json_t *state,
                                 bool known_none, struct json_t **reply, struct store_handoff *end);

/* Whether reply is marked "handoff": {"state": "pending"} (the citizen
 * asked for a person). */
bool handoff_is_requested(const struct json_t *reply);

/* The request that queues s for the officers, into *h (with reply's
 * procedure and state's locality), and first in reply's messages what
 * happens and, outside office hours, when an officer will answer. Writes
 * nothing: the turn's save writes *h with it (store_turn_queue_handoff(),
 * PostgreSQL), or handoff_request_write() does in the turn's unit.
 * Returns 0 or -ENOMEM. */
MC_MUST_CHECK int handoff_request(struct gw *gw, const struct session *s,
                                  const struct json_t *state, struct json_t *reply, int64_t now_s,
                                  struct store_handoff *h);

/* Writes the change of handoff_request() or handoff_cancel() (h->state
 * "pending": store_handoff_request(); "bot": store_handoff_end() by the
 * citizen), inside the caller's unit. Already so (another tab, worker or
 * officer was first): 0, the same text stands. Returns 0 or -EIO. */
MC_MUST_CHECK int handoff_change_write(struct gw *gw, const struct store_handoff *h, int64_t now_s);

/* A resumed WebSocket hello's reads together (handoff_resume.c;
 * store_session_resume(): one round trip on PostgreSQL): loads the session
 * of token into *s (session_fini()) with, as new JSON (json_decref()), its
 * welcome's *history (session_history() with the handoff's messages merged
 * in by time, officers' names looked up, when handoff.enabled: a citizen who
 * reloads the page while an officer helps sees the officer's messages again;
 * the newest session_history_max items kept) and *handoff
 * ({"state":"pending"|"officer","officer":{"name"}|null}, or NULL when the
 * bot has the conversation).
 * Returns 0, -ENOENT (no session of token, or not a token: *s, *history and
 * *handoff unset), -ENOMEM or -EIO. */
MC_MUST_CHECK int handoff_resume(struct gw *gw, const char *token, struct session *s,
                                 struct json_t **history, struct json_t **handoff);

/* The text a citizen is told when an officer claims ("officer", with the
 * officer's display name, may be "" or NULL), releases ("bot") or closes
 * ("closed") the conversation; borrowed static text except for "officer",
 * written into b. Returns 0, -EINVAL (another state) or -E2BIG/-ENOMEM. For
 * every channel (feed.c for WebSockets, the officer API for Messenger/Zalo). */
MC_MUST_CHECK int handoff_notice_text(const char *state, const char *officer_name,
                                      struct mc_buf *b);

#endif
