/* gateway/conn.h - per-connection limits: the client address (after
 * listen.trusted_proxies, proxy.h), its per-IP slot and the header and body
 * deadlines. One record per accepted client connection (lws's opaque user
 * data, from SERVER_NEW_CLIENT_INSTANTIATED to WSI_DESTROY, called by gw.c):
 * it exists before lws has parsed anything, so a connection that never sends
 * a whole request still counts toward its address's cap and still has a
 * deadline. Event-loop thread only. */
#ifndef MOTCUA_GATEWAY_CONN_H
#define MOTCUA_GATEWAY_CONN_H

#include <stdbool.h>

struct gw;
struct lws;

/* A new client connection: takes a slot of its address (unless it comes
 * from a trusted proxy: then at each request) and arms the header timeout.
 * Returns 0, or -1 to close it at once (far over listen.max_per_ip, or out
 * of memory). */
int conn_open(struct gw *gw, struct lws *wsi);

/* The connection ends: its slot and timer are released. No-op for a wsi
 * without a record (outbox clients, the listener). */
void conn_close(struct gw *gw, struct lws *wsi);

/* At each request of a connection (an HTTP request or a WebSocket upgrade):
 * ends the header timeout, and from a trusted proxy takes the client address
 * from X-Forwarded-For and moves the connection's slot to it. Returns 0, or
 * -EBUSY when that address is at its cap (answer 429, or refuse the upgrade). */
int conn_request(struct gw *gw, struct lws *wsi);

/* The connection's client address (for logs, limits and the login back-off);
 * "" if unknown. Valid while wsi is. */
const char *conn_client_addr(struct lws *wsi);

/* True if the connection is over its address's cap (a WebSocket then closes
 * with 1008 at once). */
bool conn_refused(struct lws *wsi);

/* A request body is awaited: after listen.body_timeout_seconds from now the
 * request is answered 408 (http_body_timeout()) and the connection closed.
 * conn_body_done() disarms it (the body came, or the request ended). */
void conn_body_wait(struct gw *gw, struct lws *wsi);
void conn_body_done(struct lws *wsi);

#endif
