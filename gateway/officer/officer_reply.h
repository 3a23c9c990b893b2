/* gateway/officer/officer_reply.h - what an officer does to a handed-off
 * conversation (claim, message or share, release, close) and its
 * transcript, for the officer HTTP API (officer_http.h).
 *
 * Each action is one unit of the store's batch with its audit row and, on
 * Messenger and Zalo, its outbox rows rendered within the platform's
 * messaging window (channels/messenger.h, zalo.h). It is left in the open
 * batch: the caller answers once it is committed
 * (officer_http_respond_committed(), http_hold.h), and only then does the
 * outbox send it (res->pump); web and kiosk citizens get the message from
 * the feed (feed.h), which reads committed rows only. Event-loop thread
 * only. */
#ifndef MOTCUA_GATEWAY_OFFICER_REPLY_H
#define MOTCUA_GATEWAY_OFFICER_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct gw;
struct json_t;

/* Why an action failed, for the HTTP answer, or what it answers. */
struct officer_reply_result {
    unsigned status;     /* HTTP status of a failure */
    const char *code;    /* static: the error code */
    const char *message; /* static: what the officer reads (Vietnamese) */
    struct json_t *body; /* on success: the answer, new (json_decref()) */
    bool pump;           /* on success: outbox rows were queued, to send once committed */
};

/* o takes h (pending -> officer). Returns 0 (res->body {"conversation"}) or
 * -1 with res's status: 409 held by another officer or no longer pending,
 * 503. Audit action "claim". */
MC_MUST_CHECK int officer_reply_claim(struct gw *gw, const struct store_officer *o,
                                      const struct store_handoff *h, const char *ip,
                                      struct officer_reply_result *res);

/* action "release" (back to the bot) or "close": o must hold h (an admin
 * may end any held conversation). Messenger/Zalo citizens are told, within
 * the platform's window. Returns 0 (res->body {"conversation"}) or -1 with
 * 409 (not held, held by another) or 503. Audit action = action. */
MC_MUST_CHECK int officer_reply_end(struct gw *gw, const struct store_officer *o,
                                    const struct store_handoff *h, const char *action,
                                    const char *ip, struct officer_reply_result *res);

/* body (len bytes, the request body, JSON when json_body) is {"text"} or
 * {"share":{"procedure","part"}}: o must hold h (or be an admin). Returns 0
 * (res->body {"message":{"id","from","text","ts","officer"},"messages":[…]};
 * a long share is stored as several messages) or -1 with 400, 404 (unknown
 * procedure), 409 (not held, or past the channel's window), 413, 415, 503.
 * Audit action "message" or "share" (detail "procedure/part"), never the
 * text. */
MC_MUST_CHECK int officer_reply_message(struct gw *gw, const struct store_officer *o,
                                        const struct store_handoff *h, const char *body, size_t len,
                                        bool json_body, const char *ip,
                                        struct officer_reply_result *res);

/* The transcript of session_id: its turn records (citizen text as masked
 * when stored, the bot's reply as the text of its messages) and its handoff
 * messages, by time: [{"from":"citizen"|"bot"|"officer"|"system","text","ts"
 * (ms),"officer"?}]; only the last last_n when last_n > 0. Returns a new
 * array (json_decref()) or NULL. */
struct json_t *officer_reply_transcript(struct gw *gw, int64_t session_id, unsigned last_n);

#endif
