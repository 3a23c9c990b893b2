/* gateway/officer/officer_http.h - the officer HTTP API under /api/v1/officer/
 * (docs/officer.md): login, logout, me, the handoff conversations (list,
 * claim, transcript, messages, release, close) and the routing to the
 * assistant (officer_assist.h).
 *
 * Every request but login needs a live session: the motcua_officer cookie
 * (401 without), and every POST the session's X-CSRF-Token (403 without).
 * Answers carry no CORS header: the workspace is same-origin only.
 *
 * Who sees what: an officer with role "admin" sees and acts on every
 * conversation; an officer with a unit (a ward code) sees the conversations
 * whose locality is that unit or unknown; an officer without a unit sees
 * every conversation. Acting (message, release, close) needs holding the
 * conversation, except for an admin.
 *
 * Every action goes to the audit log (who, what, which conversation, from
 * where), never the text of a message. Event-loop thread only. */
#ifndef MOTCUA_GATEWAY_OFFICER_HTTP_H
#define MOTCUA_GATEWAY_OFFICER_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "officer.h"
#include "store.h"

#define OFFICER_COOKIE "motcua_officer"  /* the session cookie's name */
#define OFFICER_HTTP_LIST_MAX 200        /* conversations one list answers */
#define OFFICER_HTTP_LAST_MESSAGES 3     /* messages a list item shows */
#define OFFICER_HTTP_HISTORY_MAX 200     /* turn records a transcript reads */
#define OFFICER_HTTP_HANDOFF_MSG_MAX 500 /* handoff messages a transcript reads */

struct gw;
struct lws;
struct http_req;
struct json_t;

/* Answers /api/v1/officer/<rest> (rest without the query string). Returns
 * what the http callback returns (0, or -1 to close). */
int officer_http_route(struct gw *gw, struct lws *wsi, struct http_req *r, const char *rest);

/* The officer whose live session the cookie value names (64 hex
 * characters). Fills *o (hash ""), csrf and token_hash. Returns 0, -ENOENT
 * (no cookie, unknown, expired or disabled) or -EIO. */
MC_MUST_CHECK int officer_http_session(struct gw *gw, const char *cookie, struct store_officer *o,
                                       char csrf[STORE_OFFICER_CSRF_MAX],
                                       char token_hash[OFFICER_TOKEN_LEN + 1]);

/* The same on store st: a reader thread's own handle (offload.h); touches
 * nothing else, so any thread may call it with a store of its own. */
MC_MUST_CHECK int officer_http_session_in(struct store *st, const char *cookie,
                                          struct store_officer *o,
                                          char csrf[STORE_OFFICER_CSRF_MAX],
                                          char token_hash[OFFICER_TOKEN_LEN + 1]);

/* The same for the request's cookie. */
MC_MUST_CHECK int officer_http_auth(struct gw *gw, const struct http_req *r,
                                    struct store_officer *o, char csrf[STORE_OFFICER_CSRF_MAX],
                                    char token_hash[OFFICER_TOKEN_LEN + 1]);

/* Whether the request carries the session's CSRF token (X-CSRF-Token),
 * compared in constant time: required on every state-changing request. */
bool officer_http_has_csrf(const struct http_req *r, const char *csrf);

/* Sends j (steals it; NULL answers 503) with status and one optional extra
 * header ("name: value"), without a CORS header. Returns as http_respond. */
int officer_http_respond(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                         struct json_t *j, const char *extra_hdr);

/* As officer_http_respond(), once what the request wrote in the store's
 * batch is committed (http_hold.h: on PostgreSQL the request is held and the
 * loop goes on). A commit that fails answers 500 {"error":"internal"}
 * instead, without extra_hdr (no cookie for a session that was not saved).
 * done: as http_hold_commit(). Steals j. Returns as http_respond. */
int officer_http_respond_committed(struct gw *gw, struct lws *wsi, struct http_req *r,
                                   unsigned status, struct json_t *j, const char *extra_hdr,
                                   void (*done)(struct gw *gw, int rc));

/* A done of officer_http_respond_committed(): the outbox sends what the
 * action queued once it is committed. */
void officer_http_pump_when_committed(struct gw *gw, int rc);

/* {"error": code, "message": message} with status. */
int officer_http_error(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                       const char *code, const char *message);

/* Whether an officer (role, unit) may see the conversation h: admin, an
 * officer without a unit, or h's locality unknown or equal to the unit. */
bool officer_http_may_see(const char *role, const char *unit, const struct store_handoff *h);

/* The conversation object of the API: {"id","channel","state","procedure",
 * "locality","waiting_since","updated","officer","last_messages":[{"from",
 * "text","ts"}]} (times in ms since the epoch; null for empty fields).
 * Returns a new object (json_decref()) or NULL. */
struct json_t *officer_http_conversation_json(struct gw *gw, const struct store_handoff *h);

/* What a path under conversations (rest after "conversations": "", "/",
 * "/{id}", "/{id}/{action}") names, read without the store (the libFuzzer
 * harness fuzz/fuzz_http.c drives it). */
enum officer_http_conv_path {
    OFFICER_HTTP_CONV_LIST,      /* the list: "" or "/" */
    OFFICER_HTTP_CONV_NOT_FOUND, /* not a path of the API (404 not_found) */
    OFFICER_HTTP_CONV_BAD_ID,    /* "/{not a positive decimal id}..." (404 unknown_conversation) */
    OFFICER_HTTP_CONV_ONE        /* one conversation: *id, and *action after the '/' or NULL */
};

/* Reads rest as above. For OFFICER_HTTP_CONV_ONE, *id is 1..10^18-1 and
 * *action (borrowed from rest) is NULL for "/{id}" or what follows "/{id}/"
 * (checked with officer_http_is_action() by the caller, after the lookup). */
enum officer_http_conv_path officer_http_conversation_path(const char *rest, int64_t *id,
                                                           const char **action);

/* True for the actions a conversation takes: claim, messages, release, close. */
bool officer_http_is_action(const char *action);

#endif
