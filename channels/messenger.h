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

/* Parses a webhook POST body into events (text, quick-reply and postback
 * payloads, attachments as unsupported), skipping echoes, delivery and read
 * receipts. Writes up to max events and their count to *n. Returns 0, or
 * -EINVAL when the body is not a page event ({"object":"page","entry":[…]}). */
MC_MUST_CHECK int chan_messenger_parse(const char *body, size_t len, struct chan_event *out,
                                       size_t max, size_t *n);

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
