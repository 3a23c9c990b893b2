/* gateway/notify.h - cross-node events pushed by PostgreSQL (LISTEN/NOTIFY).
 *
 * On a PostgreSQL state (data.state_url) every worker of every node keeps
 * one listening connection (store.h, "cross-node events"), its socket
 * watched by the worker's lws loop like any other: a notification wakes the
 * loop at once, and
 *   - a feed row committed anywhere: the feed is read and pushed now
 *     (feed_poll(), the same path as the poll's);
 *   - a phrase taught or deleted anywhere: the index is rebuilt now
 *     (teach_refresh(), as the poll does);
 *   - the commune's office data changed anywhere: its layer is rebuilt now
 *     (office_poll(), as the feed's timer does);
 *   - a reload asked of all nodes (POST /admin/reload?all=1 on any node):
 *     this worker's own reload starts, built off the loop (reload_start()).
 * The polls stay, the fallback: every 250 ms while not listening, every
 * NOTIFY_IDLE_POLL_MS while listening (a safety net); a lost listening connection is
 * connected again (NOTIFY_RETRY_MS, doubling up to NOTIFY_RETRY_MAX_MS), and
 * once LISTEN takes effect again the feed, the phrases and the office data
 * are read once, for what was committed while it was down (those
 * notifications are lost). A reload of all nodes is durable: a revision in
 * the database (store_reload_rev()) that each worker compares with the one
 * it last acted on, at that catch-up and every NOTIFY_POLL_MS while not
 * listening, and reloads once when it moved; a worker takes the revision it
 * finds at start as seen (it has just loaded), and its own request's as
 * seen (it reloads for the request).
 * On SQLite there is no listener: notify_new() gives NULL and nothing
 * changes. docs/scaling.md. */
#ifndef MOTCUA_GATEWAY_NOTIFY_H
#define MOTCUA_GATEWAY_NOTIFY_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"

#define NOTIFY_PROTOCOL "motcua-notify" /* the lws protocol of the adopted socket */
#define NOTIFY_RETRY_MS 1000            /* first wait after a lost or failed connection */
#define NOTIFY_RETRY_MAX_MS 16000       /* the longest wait between attempts */
#define NOTIFY_CONNECT_STEP_MS 10       /* how often a connection in progress is advanced */
#define NOTIFY_POLL_MS 250 /* the reload revision's poll while not listening: the feed's period */
/* The fallback polls' period while LISTEN is in effect (notify_is_poll_due()): a safety net
 * only, for a notification lost while the listener looked up (a connection dead without a
 * word until TCP notices). Each such read is a synchronous SELECT on the loop; at 5 s a worker
 * makes 0.6 a second instead of 12, and an event whose notification is lost still arrives
 * within 5 s, about what an officer takes to look at the console. */
#define NOTIFY_IDLE_POLL_MS 5000
_Static_assert(NOTIFY_IDLE_POLL_MS >= NOTIFY_POLL_MS, "listening never polls more often");

struct gw;
struct notify;

/* Starts listening for gw's store (gw->ctx and gw->feed must exist).
 * Returns 0 with *out a new listener (notify_free()) or NULL on SQLite, or
 * -ENOMEM with err set. */
MC_MUST_CHECK int notify_new(struct gw *gw, struct notify **out, struct mc_err *err);

/* Stops listening and frees; the adopted socket is closed with the lws
 * context. Call before the context is destroyed. NULL is a no-op. */
void notify_free(struct notify *n);

/* Asks every node to reload (POST /admin/reload?all=1): the reload revision
 * bumped and notified in the open batch (store_notify_reload()), its new value
 * taken as seen by this worker, which reloads for the request itself.
 * Returns 0, -ENOTSUP on SQLite (this process only), -ECANCELED while the
 * server drains (nothing asked: its own reload is refused too), or -EIO. */
MC_MUST_CHECK int notify_reload_all(struct gw *gw);

/* Whether the listening connection is up (LISTEN in effect). */
bool notify_is_listening(const struct notify *n);

/* Whether a fallback poll (the feed's, the phrases' or the office data's
 * revision) whose timer last read at last_ms should read now (both monotonic
 * ms): always while LISTEN is not in effect (n NULL on SQLite, the listener
 * down or connecting), so the 250 ms polls resume on the next tick after a
 * loss; once every NOTIFY_IDLE_POLL_MS while it is, the notifications
 * carrying the events. The timers keep waking every 250 ms (no I/O) to see
 * a loss at once. */
bool notify_is_poll_due(const struct notify *n, int64_t last_ms, int64_t now_ms);

/* The lws callback of NOTIFY_PROTOCOL (gw.c's protocol list). */
int notify_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len);

#endif
