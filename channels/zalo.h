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

struct json_t;

enum chan_zalo_outcome {
    CHAN_ZALO_OK,            /* {"error": 0} */
    CHAN_ZALO_TOKEN_EXPIRED, /* -216: refresh the access token, then retry */
    CHAN_ZALO_RETRY,         /* rate limits and transient errors: retry with back-off */
    CHAN_ZALO_GIVE_UP /* the citizen blocked the OA, the reply window closed, ...: log, stop */
};

/* True if header is "mac=" + hex(SHA-256(app_id + body + timestamp +
 * oa_secret)), timestamp taken from the body's "timestamp" field; compared
 * in constant time. */
bool chan_zalo_signature_ok(const char *app_id, const char *oa_secret, const char *body, size_t len,
                            const char *header);

/* Parses one webhook event (Zalo posts one per request). user_send_text →
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

/* Classifies a message/cs response body (HTTP 200 with {"error": n}). */
enum chan_zalo_outcome chan_zalo_classify(const char *body, size_t len);

#endif
