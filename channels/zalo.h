/* channels/zalo.h - the Zalo Official Account wire format: X-ZEvent-Signature
 * checks, event parsing, rendering replies as /v3.0/oa/message/cs bodies,
 * and classifying the API's error codes. Pure functions (no I/O). Platform
 * facts, sources and what is still unconfirmed: docs/channels.md. */
#ifndef MOTCUA_CHANNELS_ZALO_H
#define MOTCUA_CHANNELS_ZALO_H

#include <stdbool.h>
#include <stddef.h>

#include "chan.h"
#include "mc_err.h"

#define CHAN_ZALO_TEXT_MAX 2000 /* characters per message; the API's limit is unconfirmed */
#define CHAN_ZALO_BUTTONS_MAX 5 /* buttons per message; the API's limit is unconfirmed */
#define CHAN_ZALO_TITLE_MAX 100 /* characters of a button title */

/* Zalo OA consultation ("cs") messages, counted from the citizen's last
 * message (docs/officer.md, "Channel windows", with sources): 8 free reply
 * messages within 48 hours, and no consultation message at all after 7 days. */
#define CHAN_ZALO_REPLY_FREE_MS (48LL * 3600 * 1000)
#define CHAN_ZALO_CS_WINDOW_MS (7LL * 24 * 3600 * 1000)

struct json_t;

enum chan_zalo_outcome {
    CHAN_ZALO_OK,            /* {"error": 0} */
    CHAN_ZALO_TOKEN_EXPIRED, /* -216: refresh the access token, then retry */
    CHAN_ZALO_RETRY,         /* -32, -50, -100, or not the API's answer: retry with back-off */
    CHAN_ZALO_GIVE_UP        /* any other code (blocked OA, closed window, bad request...): stop */
};

/* True if header is "mac=" + hex(SHA-256(app_id + body + timestamp +
 * oa_secret)), timestamp taken from the body's "timestamp" field; compared
 * in constant time. */
bool chan_zalo_signature_ok(const char *app_id, const char *oa_secret, const char *body, size_t len,
                            const char *header);

/* Parses one webhook event (Zalo posts one per request). The citizen is
 * sender.id, or follower.id for follow/unfollow. user_send_text →
 * text (or postback when the text is one of our payloads, sent by a hidden
 * button); follow/unfollow; other user_send_* → unsupported; oa_* echoes and
 * receipts → no event. Ids may be strings or numbers; both become strings.
 * Returns 0 with *n = 0 or 1, or -EINVAL for a body that is not an event. */
MC_MUST_CHECK int chan_zalo_parse(const char *body, size_t len, struct chan_event *out, size_t *n);

/* True if text has the shape of one of our quick-reply payloads
 * ("docs:khai-sinh", "next", "ans:yes"). */
bool chan_zalo_is_payload(const char *text);

/* Renders reply for user as message/cs request bodies, in order. Quick
 * replies become query buttons (oa.query.show: the title comes back as the
 * citizen's text) on the last message, and are also listed as numbered options in its
 * text so a citizen can type "1", "2"... Returns a new JSON array
 * (json_decref()) or NULL. *options, if not NULL, receives a new array of
 * {title, payload} in numbered order. */
struct json_t *chan_zalo_render(const struct json_t *reply, const char *user,
                                struct json_t **options);

/* Renders an officer's message (or a handoff notice) text for user as
 * message/cs bodies (consultation messages), split at CHAN_ZALO_TEXT_MAX,
 * given age_ms, the time since the citizen's last message. Returns 0 with
 * *out a new JSON array (json_decref()), -ETIME when age_ms is past
 * CHAN_ZALO_CS_WINDOW_MS (nothing may be sent), -EINVAL for an empty text,
 * -E2BIG (too long to split) or -ENOMEM. Keeps no pointer. */
MC_MUST_CHECK int chan_zalo_officer_render(const char *text, const char *user, long long age_ms,
                                           struct json_t **out);

/* Classifies a message/cs response body (HTTP 200 with {"error": n}). */
enum chan_zalo_outcome chan_zalo_classify(const char *body, size_t len);

#endif
