/* gateway/ws_int.h - what ws.c (the connections, their queues) and
 * ws_turn.c (a citizen's turn and its save not waited for) share; internal
 * to those two files. Single-threaded: the lws loop's thread. */
#ifndef MOTCUA_GATEWAY_WS_INT_H
#define MOTCUA_GATEWAY_WS_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "session.h"
#include "ws.h"
#include "ws_parse.h"

struct gw;

extern const char ws_busy_text[]; /* the error frame's text when the server failed */

enum ws_kind {
    WS_PLAIN,   /* an error frame: stands whatever the commit does */
    WS_WELCOME, /* depends on the batch (a new session) */
    WS_REPLY,   /* depends on the batch (the turn) */
    WS_DROP,    /* could not be replaced after a failed commit: close */
    WS_VOTE     /* a vote's ack, its statement not read: its verdict (save) decides */
};

struct ws_frame {
    struct ws_frame *next;
    size_t len;
    uint64_t held;                    /* the batch whose commit it waits for (0: none) */
    unsigned char kind;               /* enum ws_kind */
    char reply_to[WS_MSG_ID_MAX + 1]; /* the message id it answers, or "" */
    uint64_t save;        /* its turn's save (a WS_VOTE: its vote), not waited for: its verdict
                           * comes first (0: none) */
    char *input;          /* that turn's text or payload (new): run again on a miss */
    bool postback;        /* ... input is a payload */
    struct ws_conn *conn; /* while on a list of turns to run again */
    unsigned char buf[];  /* LWS_PRE bytes of headroom, then len bytes of JSON */
};

/* The in-memory session of one or more connections (the same token resumed
 * twice shares one, so two tabs never overwrite each other's state). */
struct ws_sess {
    unsigned refs;
    struct ws_rate rate; /* shared by the tabs of one session */
    bool stale;          /* a commit failed: read it back before the next turn */
    uint64_t ticket;     /* the store batch that holds its last turn (store_batch_ticket()) */
    uint64_t save;       /* that turn's save not waited for, verdict not yet taken (0: none) */
    struct session s;
};

/* Frees f and the input it keeps; NULL: no-op. */
void ws_frame_free(struct ws_frame *f);

/* Frees every frame of c's queue (a connection closing; ws_queue.c). */
void ws_queue_free(struct ws_conn *c);

/* Takes c off gw's list of connections with frames held for a commit. */
void ws_held_unlink(struct gw *gw, struct ws_conn *c);

/* Queues the JSON value j as one frame of kind answering reply_to (steals
 * j). Returns 0 or -ENOMEM. */
int ws_push_json(struct gw *gw, struct ws_conn *c, json_t *j, enum ws_kind kind,
                 const char *reply_to);

/* Queues the ack of the vote on id whose statement was queued and not read
 * (verdict: feedback_from_frame()'s): sent if the vote found its answer,
 * else replaced by the error frame feedback_verdict() gives. Returns 0 or
 * -ENOMEM. */
int ws_push_vote(struct gw *gw, struct ws_conn *c, const char *id, uint64_t verdict);

/* Queues a turn's reply frame: body is the reply object's JSON text (as
 * recorded), id the message it answers (or NULL). save: the turn's save not
 * waited for (0: none), whose input (text or payload) the frame keeps to run
 * it again on a miss. Returns 0, -EINVAL or -ENOMEM. */
int ws_push_reply(struct gw *gw, struct ws_conn *c, const char *body, const char *id, uint64_t save,
                  const char *input, bool postback);

/* Queues an error frame (code, msg) answering reply_to (or NULL) and counts
 * it. Returns 0, or -ENOMEM (the connection is then closed). */
int ws_send_error(struct gw *gw, struct ws_conn *c, const char *code, const char *msg,
                  const char *reply_to);

/* Reads c's session back (after a failed commit or a missed save). Returns
 * 0, -ENOENT (it was never stored: hello again) or -EIO/-ENOMEM. */
int ws_sess_reload(struct gw *gw, struct ws_conn *c);

/* Handles one complete client frame (ws.c). Returns 0, or -ENOMEM when
 * even the error frame could not be queued (close the connection). */
int ws_on_frame(struct gw *gw, struct ws_conn *c, const char *data, size_t len);

/* The rest of a hello with token on channel once its reads are done (ws.c):
 * rc, s, history and handoff as handoff_resume() gives them (taken); waited:
 * round trips the loop waited for so far (logged). Returns as
 * ws_send_error(). */
int ws_hello_finish(struct gw *gw, struct ws_conn *c, const char *token, const char *channel,
                    int rc, struct session *s, json_t *history, json_t *handoff, uint64_t waited);

/* ---- ws_park.c: a resumed hello's reads not waited for ------------------ */

/* Sends the reads of a hello with token without waiting and parks c (c->park)
 * until they are answered. Returns 1 (parked), 0 (not: SQLite, not a token,
 * or the read cannot be sent now; read waiting) or -ENOMEM. */
int ws_park_hello(struct gw *gw, struct ws_conn *c, const char *token, const char *channel,
                  uint64_t waited);
/* Keeps a frame that arrived while c is parked, in order. Returns 0, or -1:
 * close (out of memory, or the peer sent past the bound after lws was told
 * to stop reading). */
int ws_park_frame(struct gw *gw, struct ws_conn *c, const char *data, size_t len);
/* Keeps, in order, the error frame (code and text: static strings) of a frame
 * refused before it was parsed while c is parked. Returns as ws_park_frame(). */
int ws_park_refusal(struct gw *gw, struct ws_conn *c, const char *code, const char *text);
/* A parked connection closing: its read cancelled, what it kept freed. */
void ws_park_drop(struct gw *gw, struct ws_conn *c);
/* The feed pushed to a session, or a handoff changed: a parked read may
 * have missed it (its session is not known yet), and is sent again. */
void ws_park_missed(struct gw *gw);
/* Takes the answers of the reads out (the loop's timer). Returns how many are pending. */
unsigned ws_park_poll(struct gw *gw);

/* ---- ws_turn.c ---------------------------------------------------------- */

/* Runs one turn of c's session (text, a payload when postback, answering id)
 * and queues its reply. queue: its save may be left unread
 * (store_turn_queue()). count: the reply is counted in the metrics (not
 * again for a turn run again). Returns as ws_send_error(). */
int ws_turn_run(struct gw *gw, struct ws_conn *c, const char *text, const char *id, bool postback,
                bool queue, bool count);

/* Applies the verdict v (store_turn_verdict()) of f's save, f in c's queue
 * after prev (NULL: the head): a hit lets the frame go with its commit; a
 * miss takes it out onto *reruns, in the order of the saves, and marks the
 * session to be read back. Returns whether f stays in the queue. */
bool ws_turn_verdict(struct ws_conn *c, struct ws_frame *prev, struct ws_frame *f, int v,
                     struct ws_frame **reruns);

/* Runs again, in their order, the turns of reruns (steals the list). */
void ws_turn_rerun_all(struct gw *gw, struct ws_frame *reruns);

/* Learns now whether ws's last save, if still unread in the open batch, hit;
 * a miss runs that turn again first. Before the session's next turn. */
void ws_turn_settle(struct gw *gw, struct ws_sess *ws);

#endif
