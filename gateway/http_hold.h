/* gateway/http_hold.h - an HTTP answer held for its batch's commit.
 *
 * A request that writes (a Messenger or Zalo delivery, an officer's login,
 * claim or reply, an admin's office data or guide note) does its unit in the
 * store's open batch and must not be answered before that batch is
 * committed. On PostgreSQL the loop sends its group COMMIT without waiting
 * (gw_commit.h): the request is held with the batch's ticket, its answer
 * already made, and written only once that commit is reported, as a
 * WebSocket's held frames are: the prepared answer when it committed, the
 * failure answer when it did not (the client tries again; a login's cookie
 * is never handed out for a session that was not saved). SQLite commits at
 * once (gw_flush()) and holds nothing: the same call answers directly.
 *
 * A held request is linked in gw->http_held; a connection closed meanwhile
 * is unlinked by its CLOSED_HTTP (http_hold_forget()), before its http_req is
 * freed, so a commit landing later finds nothing of it. Event-loop thread
 * only. */
#ifndef MOTCUA_GATEWAY_HTTP_HOLD_H
#define MOTCUA_GATEWAY_HTTP_HOLD_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"

#define HTTP_HOLD_HDR_MAX 320 /* bytes; the one extra header of a held answer (Set-Cookie) */
/* What a write whose commit failed answers (500) by default: a webhook, an
 * officer's action, the console's writes and teaching say the same; the
 * client tries again. */
#define HTTP_HOLD_FAILED_BODY                                                                      \
    "{\"error\":\"internal\",\"message\":\"The change could not be saved; try again.\"}"

struct gw;
struct http_req;

/* One answer: body (len bytes) and extra_hdr ("name: value", or NULL) are
 * copied; ctype must be a static string. */
struct http_hold_answer {
    unsigned status;       /* HTTP status */
    const char *ctype;     /* static: its content type */
    const char *body;      /* len bytes, copied */
    size_t len;            /* bytes of body */
    const char *extra_hdr; /* "name: value" (< HTTP_HOLD_HDR_MAX bytes, copied), or NULL */
};

/* Answers r with ok once everything written so far is committed: on
 * PostgreSQL with a batch open, r is held with its ticket and 0 returned at
 * once; otherwise the batch is committed now (gw_flush()) and r answered.
 * When the commit fails r gets failed, or when failed is NULL the default:
 * 500 {"error":"internal","message":…} (what a webhook and a WebSocket
 * reply get). done (NULL: nothing) is told the commit's result before the
 * answer is written (0: the outbox may be pumped, its rows are durable now).
 * Returns 0, or -1 to close (out of memory: r answered 503 when possible). */
MC_MUST_CHECK int http_hold_commit(struct gw *gw, struct lws *wsi, struct http_req *r,
                                   const struct http_hold_answer *ok,
                                   const struct http_hold_answer *failed,
                                   void (*done)(struct gw *gw, int rc));

/* Holds ok as r's answer, already released: written on r's next WRITEABLE
 * (asked for here), as a held answer whose commit landed. For an answer made
 * off the loop (offload.h), handed over outside r's callback. Returns 0, or
 * -ENOMEM (the caller closes the connection). */
MC_MUST_CHECK int http_hold_ready(struct gw *gw, struct lws *wsi, struct http_req *r,
                                  const struct http_hold_answer *ok);

/* The commits of every batch up to ticket were reported with rc (0:
 * committed): their held requests are asked to write their answer. Every
 * commit's report passes here (gw_commit_release(), gw_flush()), so the
 * taught phrases and deletions waiting for theirs, which teach_build.h holds
 * itself (their answer also waits for an index), are told first
 * (teach_build_committed(): it only records the result). */
void http_hold_release(struct gw *gw, uint64_t ticket, int rc);

/* r's connection is closing or taking a new request: it is no longer held,
 * and its prepared answers are freed, and a read made for it off the loop is
 * cancelled (offload_forget()). A no-op when it is not held. */
void http_hold_forget(struct gw *gw, struct http_req *r);

/* Whether a held answer is released and waiting for WRITEABLE. */
bool http_hold_is_due(const struct http_req *r);

/* WRITEABLE on a released request: tells done and writes the answer. Returns 0, or -1 to close. */
int http_hold_write(struct gw *gw, struct lws *wsi, struct http_req *r);

#endif
