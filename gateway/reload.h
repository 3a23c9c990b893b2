/* gateway/reload.h - a SIGHUP reload that does not stop the event loop.
 *
 * Building the understanding index for ~200 procedures takes about half a
 * second (several under a sanitizer); a reload that built it on the event
 * loop held every turn, /readyz and every WebSocket for that long (issue 16
 * grew the catalogue fivefold). Here the loop opens the new knowledge
 * snapshot and reads the taught phrases (the state database is the loop's),
 * a thread builds the index from them (intent_index_new() is pure), and the
 * loop swaps the new snapshot and index in between two turns when the thread
 * is done. POST /admin/reload keeps its synchronous gw_reload(): its answer
 * promises the new knowledge is in use. */
#ifndef MOTCUA_GATEWAY_RELOAD_H
#define MOTCUA_GATEWAY_RELOAD_H

#include <stdbool.h>

struct gw;
struct reload; /* opaque: one build in flight */

/* Starts a reload of gw's knowledge database in the background, or, when
 * one is already building, asks for one more after it. Logs and keeps the
 * previous knowledge when the snapshot cannot be opened. Loop thread. */
void reload_start(struct gw *gw);

/* Swaps in a finished build (logging kb.reload as gw_reload() does) and
 * starts the one asked for meanwhile. Cheap when nothing finished: call it
 * every loop pass. Returns true while a build is in flight. Loop thread. */
bool reload_poll(struct gw *gw);

/* Waits for a build in flight and drops it (shutdown). Loop thread. */
void reload_cancel(struct gw *gw);

#endif
