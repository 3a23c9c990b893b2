/* gateway/page_http.h - the HTTP side of the guide pages (page.h):
 *   GET /thu-tuc, /thu-tuc/{id}   the index and one guide (404: a Vietnamese page)
 *   GET /thu-tuc?q=...            the guide search (works without JavaScript)
 * and the site's public address that QR codes encode. Event-loop thread. */
#ifndef MOTCUA_GATEWAY_PAGE_HTTP_H
#define MOTCUA_GATEWAY_PAGE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"

struct gw;
struct lws;
struct http_req;

/* Whether path is a guide page (starts with "/thu-tuc"). */
bool page_http_is_route(const char *path);

/* Answers a GET or HEAD of a guide page. Returns what the http callback
 * returns (0, or -1 to close). */
int page_http_route(struct gw *gw, struct lws *wsi, struct http_req *r);

/* The site's address as a citizen's phone reaches it, without a trailing
 * slash: site.public_url when set, else the request's Host (and https when
 * X-Forwarded-Proto says so, behind the TLS proxy), else listen.host:port.
 * Returns 0, -EINVAL (a Host header that is not a host name) or -E2BIG. */
MC_MUST_CHECK int page_http_base_url(struct gw *gw, struct lws *wsi, char *out, size_t size);

#endif
