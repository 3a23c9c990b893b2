/* gateway/admin/teach_http.h - the console's API for finding and teaching
 * what the bot missed (docs/admin.md), admin officers only:
 *   GET    /api/v1/admin/unanswered?from=YYYY-MM-DD&to=YYYY-MM-DD
 *   GET    /api/v1/admin/phrases          taught phrases, with who and when
 *   POST   /api/v1/admin/phrases          {"text","label"}: teach (409 on a conflict)
 *   DELETE /api/v1/admin/phrases/{id}
 *   GET    /api/v1/admin/phrases.tsv      the taught phrases as data/intents/ files
 * The cookie session of an officer with role "admin" (401 without a session,
 * 403 for another role); POST and DELETE also X-CSRF-Token (403 "csrf").
 * No CORS header. Every teach and delete goes to the audit log, committed
 * before the answer. Event-loop thread only. */
#ifndef MOTCUA_GATEWAY_ADMIN_TEACH_HTTP_H
#define MOTCUA_GATEWAY_ADMIN_TEACH_HTTP_H

#include <stdbool.h>

#define TEACH_HTTP_PREFIX "/api/v1/admin/"

struct gw;
struct lws;
struct http_req;

/* Whether path (no query string) is one of the routes above. */
bool teach_http_is_route(const char *path);

/* Answers r (teach_http_is_route(r->path)). Returns what the http callback
 * returns (0, or -1 to close). */
int teach_http_route(struct gw *gw, struct lws *wsi, struct http_req *r);

#endif
