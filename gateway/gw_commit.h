/* gateway/gw_commit.h - the loop's group commit when the store sends its
 * COMMIT without waiting (PostgreSQL, store.h "the group commit without
 * waiting"): the frames of a pass are released when that pass's commit
 * lands, which the loop learns from the database connection's socket
 * (adopted into lws while the commit is in flight) or from a poll between
 * turns, and never before an earlier pass's. SQLite's commit stays
 * synchronous (gw_flush()). */
#ifndef MOTCUA_GATEWAY_GW_COMMIT_H
#define MOTCUA_GATEWAY_GW_COMMIT_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

struct gw;
struct gw_commit;

#define GW_COMMIT_PROTOCOL "motcua-commit" /* lws protocol of the watched sockets */

/* Returns a new watcher (gw_commit_free()) or NULL (out of memory). */
struct gw_commit *gw_commit_new(struct gw *gw);

/* Cancels its timer and stops watching; commits in flight are left to the
 * store (store_free() waits for them). NULL is a no-op. */
void gw_commit_free(struct gw_commit *gc);

/* The end of a pass of the loop: the open batch's COMMIT is sent (or, on
 * SQLite, committed: gw_flush()), and what finished meanwhile is released. */
void gw_commit_pass(struct gw *gw);

/* Releases the frames of the commits that have landed, oldest first; wait:
 * waits for every one in flight first. */
void gw_commit_release(struct gw *gw, bool wait);

/* Waits for the commit of ticket if it is still in flight (0: nothing). */
void gw_commit_wait_for(struct gw *gw, uint64_t ticket);

/* Makes the loop end its pass within GW_COMMIT_POLL_US: a batch opened
 * outside a callback (turns run again after a missed save) is committed
 * then, not at the next tick. */
void gw_commit_soon(struct gw *gw);

/* Polls the store's reads not waited for (ws_park_poll(): resumed hellos,
 * the feed's) as soon as the read connection's socket is readable while a
 * segment is in flight (store_reads_socket(), adopted into lws), and every
 * GW_COMMIT_POLL_US while some are pending. */
void gw_commit_reads_soon(struct gw *gw);

/* The lws callback of GW_COMMIT_PROTOCOL. */
int gw_commit_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len);

#endif
