/* gateway/officer/officer_ws.h - the officers' live WebSocket, /officer/ws
 * (docs/officer.md). The upgrade is refused without a live officer session
 * (the motcua_officer cookie) or from another site's page (Origin); after
 * it the server only pushes, one JSON text frame per event of the handoff
 * feed (feed.h) the officer may see (officer_http_may_see):
 *   {"type":"pending","conversation":{…}}            a citizen asks for an officer
 *   {"type":"message","conversation_id":N,"message":{"id","from","text","ts","officer"?}}
 *   {"type":"state","conversation_id":N,"state":"officer"|"bot"|"closed","officer":"u"|null}
 * What the client sends is read and ignored. Idle pings and the close on
 * shutdown are the server's, as for /ws. The session is checked again at
 * most every OFFICER_WS_RECHECK_S when events come: a logged-out or
 * disabled officer's socket is closed (1008).
 *
 * A struct officer_ws_conn is the connection's part of lws's per-connection
 * user data (gw.c): filled at the upgrade (officer_ws_filter), linked in
 * ESTABLISHED, freed in CLOSED. Event-loop thread only. */
#ifndef MOTCUA_GATEWAY_OFFICER_WS_H
#define MOTCUA_GATEWAY_OFFICER_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "officer.h"
#include "store.h"

#define OFFICER_WS_PATH "/officer/ws"
#define OFFICER_WS_OUTQ_MAX 256 /* frames queued to one officer; more: close (it reloads) */
#define OFFICER_WS_RECHECK_S 60 /* seconds between checks that the session still lives */
#define OFFICER_WS_PEER_MAX 48  /* bytes; a printable IPv4/IPv6 address */

struct lws;
struct gw;
struct officer_ws_frame;

struct officer_ws_conn {
    struct lws *wsi;
    struct officer_ws_conn *next, *prev; /* gw->officer_conns */
    struct officer_ws_frame *q_head, *q_tail;
    unsigned q_len;
    bool counted;      /* is on gw->officer_conns */
    bool closing;      /* close once the queue is empty */
    bool ended;        /* ... with 1008: the session ended, or the queue overflowed */
    bool admin;        /* role "admin" */
    int64_t checked_s; /* when the session was last found live */
    char username[STORE_OFFICER_USER_MAX];
    char unit[STORE_OFFICER_UNIT_MAX];
    char token_hash[OFFICER_TOKEN_LEN + 1];
    char peer[OFFICER_WS_PEER_MAX];
};

/* Whether uri (the request path) is the officers' WebSocket. */
bool officer_ws_is_path(const char *uri);

/* At LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION for /officer/ws: fills c with
 * the officer of the request's session cookie. Returns 0, or -1 to refuse
 * the upgrade (no live session, another site's Origin, database failure). */
int officer_ws_filter(struct gw *gw, struct lws *wsi, struct officer_ws_conn *c);

/* The WebSocket reasons of an /officer/ws connection. Returns 0, or -1 to
 * close it. */
int officer_ws_callback(struct gw *gw, struct lws *wsi, int reason, struct officer_ws_conn *c,
                        void *in, size_t len);

/* Asks every officer connection to close (1001) after its queued frames. */
void officer_ws_close_all(struct gw *gw);

#endif
