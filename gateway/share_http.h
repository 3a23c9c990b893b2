/* gateway/share_http.h - GET /p/<token> (the citizen's checklist page,
 * text/html) and GET /p/<token>.png (its picture), share.h. An unknown or
 * expired token answers a 404 page in Vietnamese, or 404 JSON for the
 * picture; another method 405 JSON. */
#ifndef MOTCUA_GATEWAY_SHARE_HTTP_H
#define MOTCUA_GATEWAY_SHARE_HTTP_H

#include <stdbool.h>

struct gw;
struct lws;
struct http_req;

/* True for the paths this module answers (under /p/). */
bool share_http_is_route(const char *path);

/* Answers r. Returns 0, or -1 to close (as http_respond). */
int share_http_route(struct gw *gw, struct lws *wsi, struct http_req *r);

#endif
