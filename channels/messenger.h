/* channels/messenger.h - the Facebook Messenger wire format: webhook
 * verification, X-Hub-Signature-256 checks, event parsing and rendering a
 * channel-neutral reply as Send API bodies. Pure functions (no I/O); the
 * gateway does the HTTP. Platform facts and sources: docs/channels.md. */
#ifndef MOTCUA_CHANNELS_MESSENGER_H
#define MOTCUA_CHANNELS_MESSENGER_H

#include <stdbool.h>
#include <stddef.h>

#include "chan.h"
#include "mc_err.h"

#define CHAN_MESSENGER_TEXT_MAX 2000 /* characters of one message text */
#define CHAN_MESSENGER_QR_MAX 13     /* quick replies per message */
#define CHAN_MESSENGER_TITLE_MAX 20  /* characters of a quick-reply title */

/* Messenger's messaging windows, counted from the person's last message
 * (docs/officer.md, "Channel windows", with sources): a standard RESPONSE
 * within 24 hours; after that only a message tag, and for a person's reply
 * the HUMAN_AGENT tag, within 7 days. */
#define CHAN_MESSENGER_STANDARD_MS (24LL * 3600 * 1000)
#define CHAN_MESSENGER_HUMAN_AGENT_MS (7LL * 24 * 3600 * 1000)

struct json_t;

/* True if header ("sha256=<64 hex>") is the HMAC-SHA256 of body[0..len)
 * with secret; compared in constant time. False for a missing or malformed
 * header. */
bool chan_messenger_signature_ok(const char *secret, const char *body, size_t len,
                                 const char *header);

/* Called once per event of a delivery, in order; e is valid only during the
 * call. A non-zero return stops the walk and is returned by the walker. */
typedef int (*chan_messenger_event_fn)(void *ctx, const struct chan_event *e);

/* Parses a webhook POST body once and calls fn for every event in it (text,
 * quick-reply and postback payloads, attachments as unsupported), skipping
 * echoes, delivery and read receipts. Meta batches many entries and up to
 * 1000 messaging events in one POST; every one is handed to fn, none dropped.
 * Returns 0, fn's first non-zero result, -ENOMEM, or -EINVAL when the body is
 * not a page event ({"object":"page","entry":[…]}); for -EINVAL fn was never
 * called. */
MC_MUST_CHECK int chan_messenger_each(const char *body, size_t len, chan_messenger_event_fn fn,
                                      void *ctx);

/* chan_messenger_each() into an array: writes up to max events and their count
 * to *n, and returns -E2BIG (with the first max written) when the delivery
 * holds more. Returns 0, -E2BIG, -ENOMEM or -EINVAL. */
MC_MUST_CHECK int chan_messenger_parse(const char *body, size_t len, struct chan_event *out,
                                       size_t max, size_t *n);

/* What to do with a Send API answer (docs/channels.md, "Retries"). Graph
 * reports errors as HTTP 4xx/5xx with {"error":{"code":n,...}}; codes 1, 2,
 * 4, 17, 341, 368, 613 and 1200 are temporary, like 429, 5xx and no answer. */
enum chan_messenger_outcome {
    CHAN_MESSENGER_OK,
    CHAN_MESSENGER_RETRY,  /* temporary: retry with back-off */
    CHAN_MESSENGER_GIVE_UP /* token, permission, blocked person, closed window: stop */
};

/* Classifies an answer: status 0 means no answer at all. */
enum chan_messenger_outcome chan_messenger_classify(int status, const char *body, size_t len);

/* Renders reply (the conversation's JSON) for user as Send API bodies, in
 * order: long texts split at sentence boundaries into <= 2000-character
 * messages, quick replies (<= 13, titles <= 20 characters) on the last one.
 * Returns a new JSON array of request bodies (json_decref()) or NULL. */
struct json_t *chan_messenger_render(const struct json_t *reply, const char *user);

/* Renders an officer's message (or a handoff notice) text for user as Send
 * API bodies, split as chan_messenger_render does, given age_ms, the time
 * since the person's last message: messaging_type "RESPONSE" within
 * CHAN_MESSENGER_STANDARD_MS, else "MESSAGE_TAG" with tag "HUMAN_AGENT".
 * Returns 0 with *out a new JSON array (json_decref()), -ETIME when age_ms
 * is past CHAN_MESSENGER_HUMAN_AGENT_MS (nothing may be sent), -EINVAL for
 * an empty text, -E2BIG (too long to split) or -ENOMEM. Keeps no pointer. */
MC_MUST_CHECK int chan_messenger_officer_render(const char *text, const char *user,
                                                long long age_ms, struct json_t **out);

#endif
