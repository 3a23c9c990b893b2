/* gateway/admin/popular.h - the most-asked procedures, for the kiosk's home
 * screen (GET /api/v1/commune "popular"): the procedures of the most
 * conversations over the last POPULAR_DAYS days (the weekly report's own
 * query, store_report_messages), completed from the conversation's own
 * most-asked list (conv_popular_ids) and then the guides' order. The report query scans turns, so
 * the list is kept per worker for POPULAR_TTL_S seconds. Event-loop thread only. */
#ifndef MOTCUA_GATEWAY_ADMIN_POPULAR_H
#define MOTCUA_GATEWAY_ADMIN_POPULAR_H

#include <stdint.h>

#define POPULAR_MAX 6     /* procedures shown */
#define POPULAR_MIN 4     /* ... at least, taken from the guides' order when nothing else */
#define POPULAR_DAYS 30   /* days of conversations counted */
#define POPULAR_TTL_S 600 /* seconds a computed list is served */
#define POPULAR_ID_MAX 64 /* bytes of a procedure id, with the NUL */

struct gw;
struct json_t;

struct popular {
    int64_t computed_s; /* 0: never */
    unsigned n;         /* ids in use */
    char ids[POPULAR_MAX][POPULAR_ID_MAX];
    unsigned asked[POPULAR_MAX]; /* conversations each (0: from the guides' order) */
};

/* A new array [{"id","name","short_name","domain","conversations"}] of at
 * most POPULAR_MAX procedures, most asked first; recomputed into *cache when
 * it is older than POPULAR_TTL_S. A failed query serves the guides' order.
 * Returns NULL only when out of memory or the kb is not loaded. */
struct json_t *popular_json(struct gw *gw, struct popular *cache);

#endif
