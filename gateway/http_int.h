/* gateway/http_int.h - what http.c (a request's life, the answer's sending)
 * and http_route.c (which handler answers a path, the server's own
 * handlers) share; not for other modules. */
#ifndef MOTCUA_GATEWAY_HTTP_INT_H
#define MOTCUA_GATEWAY_HTTP_INT_H

#include <jansson.h>

#include "http.h"

struct lws;
struct gw;

/* A string literal and its length in bytes, counted by the compiler; the
 * "" concatenation makes anything but a literal a compile error. */
#define HTTP_LIT(s) ("" s), (sizeof("" s) - 1)

/* s after prefix, or NULL when s does not start with prefix. */
const char *http_after_prefix(const char *s, const char *prefix);

/* Answers status with the JSON value j (steals j; NULL: 503 out of memory).
 * Returns 0, or -1 to close. */
int http_respond_json(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                      json_t *j);

/* Answers status with {"error": code, "message": message}. Returns 0, or -1
 * to close. */
int http_respond_error(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                       const char *code, const char *message);

/* Answers 200 with json, a JSON text (steals json: freed here). Returns 0,
 * or -1 to close. */
int http_respond_text_json(struct gw *gw, struct lws *wsi, struct http_req *r, char *json);

/* Answers r by its method and path (r->path): GET-like routes when the
 * request arrives, POST and PUT once the body has. Returns 0, or -1 to
 * close. */
int http_route(struct gw *gw, struct lws *wsi, struct http_req *r);

#endif
