/* gateway/outbox.h - durable delivery of replies to Messenger and Zalo.
 * Replies are rows of the store's outbox (store.h), committed before the
 * webhook is acknowledged; a pump sends them with the lws HTTP client on the same
 * event loop (never blocking it), one in flight per citizen so order is
 * kept. Temporary failures (no answer, 5xx, 429, Graph's and Zalo's
 * temporary error codes) are retried with exponential back-off and jitter
 * per row and per platform (a circuit); other errors are final; an expired
 * Zalo token is refreshed (and refreshed early once its lifetime is known);
 * a row whose outcome the state database refuses is held in memory, never
 * resent at once, and /readyz reports 503 meanwhile (outbox_guard.h,
 * docs/channels.md "Retries and back-off"). After outbox.give_up_seconds a
 * row is given up with an error log and a metric. A restart resumes
 * whatever is still queued. Event-loop thread only. */
#ifndef MOTCUA_GATEWAY_OUTBOX_H
#define MOTCUA_GATEWAY_OUTBOX_H

#include <stddef.h>

#include "mc_err.h"

#define OUTBOX_INFLIGHT_MAX 8        /* requests in flight at once, all citizens */
#define OUTBOX_TIMEOUT_S 10          /* seconds before a request counts as failed */
#define OUTBOX_BACKOFF_MAX_MS 300000 /* longest wait between two tries */
#define OUTBOX_RESPONSE_MAX 16384    /* bytes of a platform response we read */
#define OUTBOX_POLL_US 5000 /* answers of the state database looked for this often while out */

struct outbox;
struct gw;

/* Creates the outbox of gw (which must have its state store and, once
 * running, its lws context). Returns a new outbox (outbox_free()) or NULL. */
struct outbox *outbox_new(struct gw *gw, struct mc_err *err);

/* NULL is a no-op. Requests in flight are abandoned; their rows stay queued. */
void outbox_free(struct outbox *ob);

/* Queues one request body (JSON text) for channel ("messenger" | "zalo")
 * and user. Returns 0 or -EIO. The row joins the store's open batch: it is
 * durable once store_commit() has returned 0 (gw_flush()). */
MC_MUST_CHECK int outbox_enqueue(struct outbox *ob, const char *channel, const char *user,
                                 const char *body);

/* outbox_enqueue() whose write is not waited for (store_webhook_outbox_add():
 * on PostgreSQL it goes with the batch's COMMIT, and a failure there fails
 * the whole batch): for what is answered only once the batch committed (a
 * webhook's 200, http_hold_commit()). Returns 0 or -EIO. */
MC_MUST_CHECK int outbox_enqueue_queued(struct outbox *ob, const char *channel, const char *user,
                                        const char *body);

/* Starts what is due: called on every tick and after enqueueing. The
 * loop never waits for the state database here (issue 18): on PostgreSQL
 * the claim of what is due and the outcomes go without waiting
 * (store_outbox_claim_send(), store_outbox_done()), and a timer polls for
 * their answers every OUTBOX_POLL_US while they are out. */
void outbox_pump(struct outbox *ob);

/* Cancels the outbox's poll timer (before its lws context is destroyed).
 * NULL is a no-op. */
void outbox_stop(struct outbox *ob);

/* Rows not yet sent or given up (for tests and /metrics). */
long outbox_pending(struct outbox *ob);

/* The lws protocol callback for the outbox's client connections. */
int outbox_callback(struct gw *gw, void *wsi, int reason, void *user, void *in, size_t len);

#define OUTBOX_PROTOCOL "motcua-outbox"

#endif
