/* gateway/ws.h - WebSocket protocol v1 on /ws (see docs/api.md):
 *   client: hello {session, channel}, message {text, id?}, postback {payload, id?}
 *   server: welcome {session, history}, reply {...}, error {code, message}
 * Exactly one reply or error frame answers each message or postback, in
 * order. A struct ws_conn is lws's per-connection user data: initialised in
 * ESTABLISHED, freed in CLOSED.
 *
 * The session stays in memory while its connection is open (shared by the
 * connections that resumed the same token) and is written through on each
 * turn. A frame queued while the store has an open batch is held until
 * that batch is committed (gw_flush(), or the loop's commit sent without
 * waiting, gw.c): a reply never leaves before its turn is
 * durable, and frames behind a held one wait their turn, so order is kept.
 * On PostgreSQL a turn's save may be queued without waiting for its answer
 * (ws_turn.c): its reply then also waits for the save's verdict, read with
 * the commit, and a miss runs the turn again instead of sending it. */
#ifndef MOTCUA_GATEWAY_WS_H
#define MOTCUA_GATEWAY_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_buf.h"
#include "session.h"

#define WS_MSG_MAX (16 * 1024) /* bytes; one client frame (a chat message is <= 2 KiB of text) */
#define WS_OUTQ_MAX 64         /* frames queued to one client before we stop reading from it */
#define WS_OUTQ_LOW 16         /* ... and start reading again */
#define WS_PEER_MAX 48         /* bytes; a printable IPv4/IPv6 address */

struct lws;
struct gw;
struct ws_frame;
struct ws_sess;
struct json_t;

/* A token bucket: session.messages_per_minute frames a minute, in bursts of
 * up to that many. */
struct ws_rate {
    double tokens;
    int64_t at_ms; /* when tokens was last topped up (monotonic); 0: never */
};

struct ws_conn {
    struct lws *wsi;
    struct ws_conn *next, *prev; /* gw->conns */
    struct mc_buf rx;            /* the message being received, <= WS_MSG_MAX */
    bool discarding;             /* rest of an oversized message is being skipped */
    bool hello;                  /* a hello was accepted: session is set */
    bool closing;                /* close (1001) once the queue is empty */
    bool flow_off;               /* rx paused because the queue is full */
    bool counted;                /* is on gw->conns */
    bool overflow;               /* over listen.max_queued_bytes: closing, nothing more queued */
    bool held_linked;            /* on gw->held: has frames waiting for a commit */
    struct ws_conn *held_next, *held_prev;
    struct ws_sess *sess; /* the session, in memory while open; NULL before hello */
    struct ws_park *park; /* a resumed hello's reads out: frames kept (ws_park.c); or NULL */
    struct ws_frame *q_head, *q_tail;
    unsigned q_len;
    size_t q_bytes;      /* bytes of the frames queued: at most listen.max_queued_bytes */
    struct ws_rate rate; /* frames before hello (afterwards the session's own) */
    char session[SESSION_TOKEN_LEN + 1];
    char channel[16];
    char peer[WS_PEER_MAX];
};

/* The lws callback for WebSocket reasons (called by the server's protocol
 * callback). Returns what lws expects: 0, or -1 to close this connection. */
int ws_callback(struct gw *gw, struct lws *wsi, int reason, struct ws_conn *c, void *in,
                size_t len);

/* After the store's batches up to ticket (store_batch_ticket()) were
 * committed (rc 0) or rolled back (rc -EIO): lets their held frames go, or,
 * on failure, replaces each held reply or welcome by an error frame and
 * drops the in-memory sessions concerned (the next turn reads them back).
 * Frames of later batches stay held; UINT64_MAX: every batch. */
void ws_release_held(struct gw *gw, uint64_t ticket, int rc);

/* Queues a copy of frame (a JSON object; the caller keeps it) on every open
 * connection of session session_id in this process (a citizen may have two
 * tabs): the handoff feed's pushes (feed.c). Not held for a commit: what it
 * says is committed already. Returns how many connections, or -ENOMEM. */
int ws_push_session(struct gw *gw, int64_t session_id, const struct json_t *frame);

/* Forgets what this process knew of session session_id's handoff (the feed
 * saw it change, here or on another node): its next turn reads the state
 * (session.handoff_none; docs/scaling.md "The handoff state not read"). */
void ws_handoff_changed(struct gw *gw, int64_t session_id);

/* Asks every open connection to close with 1001 after its queued frames. */
void ws_close_all(struct gw *gw);

#endif
