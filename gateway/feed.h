/* gateway/feed.h - the handoff feed, pushed live by every worker process.
 *
 * Each handoff change (store.h: request, claim, release, close, cancel,
 * message) appends one feed row in the state database, in the same unit as
 * the change. Every worker polls the rows after the last id it saw
 * (FEED_POLL_MS) and pushes what concerns the sockets it holds:
 *   - to a citizen's open WebSocket (/ws) of that session: an officer's or
 *     the system's message as a "reply" frame, and a "handoff" frame when an
 *     officer claims, releases or closes the conversation (docs/api.md);
 *   - to officers' sockets (/officer/ws) through the sink that the officer
 *     module registers with feed_set_officer_sink(): every event.
 * It works the same whether the writer was this worker or another process.
 * On a PostgreSQL state a committed row also wakes every worker of every
 * node at once (notify.h), which then polls without waiting for the timer;
 * while that LISTEN is in effect the timer reads only every
 * NOTIFY_IDLE_POLL_MS, a safety net.
 * Only committed rows are pushed: on PostgreSQL the rows and what their
 * pushes need are one statement (store_feed_read()) sent on the store's read
 * connection, which sees only committed rows, and answered on the loop's
 * reads poll (gw_commit.c: the connection's socket watched): the loop waits
 * for no feed read. One read in flight per worker; a poll asked meanwhile
 * makes one more read after its answer; a read that fails leaves the cursor
 * where it was and the timer's next tick reads again. On SQLite the read is
 * waited for, and never while the worker's own batch is open.
 *
 * Messenger and Zalo citizens are not reached through the feed (every
 * worker sees every row: each would send it once more); whoever writes an
 * officer's message for them queues it in the durable outbox at once.
 *
 * The feed belongs to its worker's event-loop thread. */
#ifndef MOTCUA_GATEWAY_FEED_H
#define MOTCUA_GATEWAY_FEED_H

#include <stdint.h>

#include "mc_err.h"

#define FEED_POLL_MS 250          /* how often a worker reads new feed rows (not listening) */
#define FEED_BATCH_MAX 256        /* rows read per poll; the rest on the next */
#define FEED_KEEP_MS (10 * 60000) /* feed rows older than this are deleted */

struct gw;
struct feed;
struct store_handoff;

/* One feed row as the sinks see it, with what a push needs already loaded
 * (once per row for all sinks). Every pointer is borrowed for the call. */
struct feed_event {
    int64_t id;                          /* the feed row, increasing */
    const char *kind;                    /* "pending", "claimed", "released", "closed",
                                            "cancelled" or "message" */
    int64_t session_id;                  /* the conversation id officers see */
    int64_t message_id;                  /* kind "message": the handoff message; else 0 */
    const char *officer;                 /* the officer involved (username), "" none */
    int64_t ts_ms;                       /* when it happened */
    const struct store_handoff *handoff; /* the conversation's handoff row as it is now
                                            (state, channel, procedure, locality,
                                            waiting_since, officer), or NULL if unreadable */
    const char *from;                    /* kind "message": "citizen", "officer" or
                                            "system"; else NULL */
    const char *text;                    /* kind "message": its text (a citizen's is
                                            masked); else NULL */
    const char *officer_name;            /* display name of officer (store_officer_get),
                                            "" when unknown */
};

/* Creates the feed of gw's worker, starting after the newest feed row (what
 * happened before this worker started is not pushed), and starts its timer
 * on gw->ctx, which must exist. Returns a new feed (feed_free()) or NULL
 * with err set. */
struct feed *feed_new(struct gw *gw, struct mc_err *err);

/* Stops the timer and frees. Call before the lws context is destroyed.
 * NULL is a no-op. */
void feed_free(struct feed *f);

/* Registers the function called once per feed event (every kind) on this
 * worker, to push to officers' sockets; NULL removes it. Does nothing before
 * gw->feed exists (gw_new() creates it right after the outbox). fn may
 * read the store and queue frames; it must not call feed_poll(). */
void feed_set_officer_sink(struct gw *gw, void (*fn)(struct gw *gw, const struct feed_event *ev));

/* Reads and pushes the feed rows written since the last poll, without
 * waiting for the timer. No row is pushed before it is durable. PostgreSQL:
 * the read is sent on the read connection (committed rows only) and the
 * rows are pushed when its answer arrives, from the reads' poll; when it
 * cannot be sent (no read connection now, its queue full) it is read
 * waiting as below. Waiting: on SQLite an open batch of the store is
 * committed first (gw_flush()); on PostgreSQL, whose batch connection would
 * see the open batch's own rows and whose COMMIT the loop does not wait
 * for, the poll is put off until the pass's COMMIT is sent
 * (feed_poll_deferred()). */
void feed_poll(struct gw *gw);

/* The poll put off by feed_poll() during an open batch, if any: called by
 * the loop once that batch's COMMIT is sent (gw_commit_pass()). */
void feed_poll_deferred(struct gw *gw);

#endif
