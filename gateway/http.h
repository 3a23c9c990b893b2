/* gateway/http.h - the HTTP side of the one port: health, metrics, the JSON
 * API, webhooks and static files of channels/web. A struct http_req is lws's
 * per-connection user data for one HTTP transaction; it is reset at each
 * request and freed in CLOSED_HTTP / HTTP_DROP_PROTOCOL. */
#ifndef MOTCUA_GATEWAY_HTTP_H
#define MOTCUA_GATEWAY_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_buf.h"

#define HTTP_BODY_MAX (64 * 1024) /* bytes; a request body (JSON API, console) */
/* bytes; a webhook delivery: Messenger batches up to 1,000 events in one POST
 * (docs/channels.md), and a body refused with 413 would be redelivered forever */
#define HTTP_WEBHOOK_BODY_MAX (2 * 1024 * 1024)
#define HTTP_PATH_MAX 512 /* bytes; a request path */
#define HTTP_HDR_MAX 256  /* bytes; one header we keep (signatures) */

struct lws;
struct gw;
struct http_hold_saved;

struct http_req {
    bool active; /* fields below are initialised */
    int method;  /* HTTP_GET, HTTP_POST, ... */
    char path[HTTP_PATH_MAX];
    struct mc_buf body; /* request body, <= HTTP_BODY_MAX (webhooks: HTTP_WEBHOOK_BODY_MAX) */
    bool body_too_large;
    bool routed;                   /* answered already: a later HTTP_BODY_COMPLETION is ignored */
    bool close_after;              /* close once the answer is written (the rest is unreadable) */
    char sig[HTTP_HDR_MAX];        /* X-Hub-Signature-256 or X-ZEvent-Signature */
    char auth[HTTP_HDR_MAX + 560]; /* Authorization (admin endpoints) */
    size_t auth_len;
    char officer_cookie[80]; /* the motcua_officer cookie (officer and report routes), or "" */
    char csrf[80];           /* X-CSRF-Token, or "" */
    char peer[48];           /* the client's address */
    bool https;              /* X-Forwarded-Proto: https (behind the TLS proxy) */
    bool json_body;          /* Content-Type: application/json (officer endpoints) */
    unsigned char *resp;     /* LWS_PRE + response body, owned */
    size_t resp_len, resp_sent;
    /* an answer held for its batch's commit (http_hold.h) */
    uint64_t held;                          /* the batch's ticket while held, else 0 */
    bool held_done;                         /* its commit was reported: answer on WRITEABLE */
    int held_rc;                            /* ... with this result (0: committed) */
    struct lws *held_wsi;                   /* its connection */
    struct http_req *held_prev, *held_next; /* gw->http_held while held */
    struct http_hold_saved *held_answer;    /* owned: the answers made, or NULL */
};

/* HTTP_PUT and HTTP_DELETE only reach the routes that take them; elsewhere 405 */
enum { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_OPTIONS, HTTP_OTHER, HTTP_PUT, HTTP_DELETE };

/* Sends status and headers now (content type ctype, one optional extra
 * header "name: value") and queues body (len bytes, copied) for WRITEABLE.
 * Returns 0, or -1 to close. For modules answering under a prefix (the
 * officer API). */
int http_respond(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                 const char *ctype, const char *body, size_t len, const char *extra_hdr);

/* listen.body_timeout_seconds passed while r's body was still coming:
 * answers 408 now (unless r was answered). The caller closes the connection. */
void http_body_timeout(struct gw *gw, struct lws *wsi, struct http_req *r);

/* The lws callback for HTTP reasons. Returns 0, or -1 to close. */
int http_callback(struct gw *gw, struct lws *wsi, int reason, struct http_req *r, void *in,
                  size_t len);

#endif
