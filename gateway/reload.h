/* gateway/reload.h - a SIGHUP reload that does not stop the event loop.
 *
 * Building the understanding index for ~200 procedures takes about half a
 * second (several under a sanitizer); a reload that built it on the event
 * loop held every turn, /readyz and every WebSocket for that long (issue 16
 * grew the catalogue fivefold). Here the loop opens the new knowledge
 * snapshot and reads the taught phrases (the state database is the loop's),
 * a thread builds the index from them (intent_index_new() is pure), and the
 * loop swaps the new snapshot and index in between two turns when the thread
 * is done. POST /admin/reload builds the same way and its answer waits for
 * the swap (reload_answer()): the answer still promises the new knowledge is
 * in use, but the turns of everyone else go on while it builds. */
#ifndef MOTCUA_GATEWAY_RELOAD_H
#define MOTCUA_GATEWAY_RELOAD_H

#include <stdbool.h>

#define RELOAD_WAITERS_MAX 8 /* POST /admin/reload requests waiting on builds */
/* seconds a POST /admin/reload may wait for its build (two builds: the one in
 * flight, then its own); lws's own 20 s would drop it under a sanitizer */
#define RELOAD_ANSWER_TIMEOUT_S 300

struct gw;
struct lws;
struct reload; /* opaque: one build in flight */

/* Starts a reload of gw's knowledge database in the background, or, when
 * one is already building, asks for one more after it. Logs and keeps the
 * previous knowledge when the snapshot cannot be opened. Loop thread. */
void reload_start(struct gw *gw);

/* Swaps in a finished build (logging kb.reload) and
 * starts the one asked for meanwhile. Cheap when nothing finished: call it
 * every loop pass. Returns true while a build is in flight. Loop thread. */
bool reload_poll(struct gw *gw);

/* Starts a reload for the HTTP request on wsi (POST /admin/reload) and
 * answers it once a build that began after the request is swapped in (200
 * {"reloaded":true}) or failed (500 reload_failed); while the server drains,
 * 503 shutting_down at once (no build starts then: reload_start() does
 * nothing either). A build already in
 * flight opened its snapshot before this request, so the request waits for
 * the next one. Returns 0 (the answer will come; it may already be queued),
 * -1 to close, or -EBUSY when RELOAD_WAITERS_MAX requests wait already (the
 * caller answers). Loop thread. */
int reload_answer(struct gw *gw, struct lws *wsi);

/* Whether the POST /admin/reload on wsi asks every node to reload (?all=1;
 * the caller notifies them, store_notify_reload()): 1, 0 (no "all", or
 * all=0), or -EINVAL for another value. */
int reload_all_asked(struct lws *wsi);

/* The connection of wsi is closing: a reload answer it waits for is dropped
 * (the build goes on). Cheap when it waits for none. Loop thread. */
void reload_forget(struct gw *gw, struct lws *wsi);

/* Waits for a build in flight and drops it (shutdown); the requests waiting
 * on it are answered 503. Loop thread. */
void reload_cancel(struct gw *gw);

#endif
