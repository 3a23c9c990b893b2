/* gateway/webhook_hold.h - a webhook's acknowledgement held for its commit.
 *
 * On PostgreSQL the loop sends its group COMMIT without waiting (gw_commit.h):
 * a Messenger or Zalo delivery's unit is left in the open batch, and the
 * platform's answer (200, or 500 when the commit failed: the platform
 * delivers again, and the de-duplication row went with the batch) is written
 * only once that batch's commit is reported, as a WebSocket's held frames
 * are. The held request is linked in gw->webhook_held; a connection closed
 * meanwhile is unlinked by its CLOSED_HTTP (webhook_hold_forget()), before
 * its http_req is freed, so a commit landing later finds nothing of it.
 * SQLite commits synchronously (gw_flush()) and holds nothing. */
#ifndef MOTCUA_GATEWAY_WEBHOOK_HOLD_H
#define MOTCUA_GATEWAY_WEBHOOK_HOLD_H

#include <libwebsockets.h>
#include <stdint.h>

struct gw;
struct http_req;

/* Holds r's answer until the commit of batch ticket (non-zero) is reported. */
void webhook_hold(struct gw *gw, struct lws *wsi, struct http_req *r, uint64_t ticket);

/* The commits of every batch up to ticket were reported with rc (0: committed):
 * their held requests are asked to write their answer (WRITEABLE). */
void webhook_hold_release(struct gw *gw, uint64_t ticket, int rc);

/* r's connection is closing: it is no longer held. A no-op when it is not. */
void webhook_hold_forget(struct gw *gw, struct http_req *r);

/* WRITEABLE on a released request: writes its answer (200, or 500 when its
 * commit failed) and sends what the outbox holds. Returns 0, or -1 to close. */
int webhook_hold_answer(struct gw *gw, struct lws *wsi, struct http_req *r);

#endif
