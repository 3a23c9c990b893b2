/* gateway/gw.h - the server: one libwebsockets context, one port, HTTP and
 * WebSocket protocol v1. struct gw is the context user (lws_context_user())
 * and is shared by the gateway's own modules (http.c, ws.c, router.c); it
 * is touched only from the event-loop thread. */
#ifndef MOTCUA_GATEWAY_GW_H
#define MOTCUA_GATEWAY_GW_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "mc_err.h"
#include "metrics.h"
#include "popular.h"

struct lws_context;
struct lws;
struct kb;
struct intent_index;
struct store;
struct session;
struct json_t;
struct outbox;
struct feed;
struct notify;
struct teach_build;

/* distinct client addresses tracked for the per-IP cap: as many as the default
 * listen.max_connections, so behind a proxy every connection can be a citizen of its own */
#define GW_PER_IP_SLOTS 4096

struct gw_ip_slot {
    char addr[48];    /* "" when free */
    unsigned open;    /* connections (HTTP and WebSocket) from addr now */
    unsigned refused; /* ... over the cap, kept only to be answered 429 / 1008 */
};
struct proxy_list;
struct http_req;

struct gw {
    const struct mc_config *cfg; /* borrowed, read-only */
    struct lws_context *ctx;
    struct kb *kb;              /* owned; NULL until loaded */
    struct intent_index *index; /* owned; NULL until loaded */
    int64_t taught_rev;         /* taught phrases' revision index was built at (teach.h) */
    struct store *store;        /* owned: all state (store.h) */
    struct outbox *outbox;      /* owned: Messenger/Zalo replies waiting to be sent */
    struct metrics metrics;
    struct gw_ip_slot ips[GW_PER_IP_SLOTS];
    struct proxy_list *proxies;            /* owned: listen.trusted_proxies (proxy.h) */
    struct ws_conn *conns;                 /* open WebSocket connections (intrusive list) */
    struct ws_conn *held;                  /* connections with frames waiting for the next commit */
    struct gw_commit *commit;              /* owned: commits in flight (gw_commit.h) */
    struct http_req *http_held;            /* HTTP answers awaiting a commit (http_hold.h) */
    unsigned http_holding;                 /* ... and those released, not yet written */
    struct officer_ws_conn *officer_conns; /* open /officer/ws connections (officer_ws.h) */
    struct feed *feed;                     /* owned: the handoff feed this worker pushes (feed.h) */
    struct notify *notify;                 /* owned: cross-node events (notify.h), NULL on SQLite */
    struct privacy *privacy;               /* owned: id key and retention timer (privacy.h) */
    bool draining;                         /* SIGTERM seen: refuse new work, close WebSockets */
    bool outbox_sender;    /* this process sends the outbox (one worker of several) */
    int port;              /* the bound port (after listen.port 0) */
    int listen_fd;         /* listen.workers > 1: this worker's SO_REUSEPORT socket, or -1 */
    struct lws *listener;  /* ... adopted into lws (closed by lws), or NULL */
    struct reload *reload; /* a reload building in the background, or NULL (reload.h) */
    struct teach_build *teach_build; /* taught-phrase builds off the loop (teach_build.h) */
    struct speech *speech; /* owned: kiosk answers read aloud, or NULL when off (speech.h) */
    struct share_render *share_render; /* owned: checklist pictures drawn off the loop */
    struct offload *offload; /* owned: console reads off the loop (offload.h), NULL: on it */
    struct popular popular;  /* the kiosk's most-asked procedures, kept a while (popular.h) */
};

/* Creates the server: opens the knowledge and state databases, builds the
 * understanding index, binds the port. Returns a new gw (gw_free()) or NULL
 * with err set. cfg must outlive gw. */
struct gw *gw_new(const struct mc_config *cfg, struct mc_err *err);

/* NULL is a no-op. */
void gw_free(struct gw *gw);

#define GW_SIGNAL_STOP 1 /* bits of the flag the signal handler sets */
#define GW_SIGNAL_RELOAD 2

/* Serves until the GW_SIGNAL_STOP bit of *signals is set (from a signal
 * handler), then drains: refuses new connections, closes WebSockets with
 * 1001 after their queued frames, and returns within cfg->shutdown_grace_ms.
 * A GW_SIGNAL_RELOAD bit reloads the knowledge base in the background
 * (reload.h; the bit is cleared).
 * Returns 0. */
int gw_run(struct gw *gw, volatile sig_atomic_t *signals);

/* The one path of a citizen message, for every channel: loads or creates
 * the session (by token for web/kiosk, by user key for Messenger/Zalo),
 * understands, runs the conversation, saves state and logs both turns.
 * text or payload (a quick-reply payload) is set, not both. Returns 0 with
 * *reply new (json_decref()), -EINVAL (bad input: err says what), or
 * -EIO/-ENOMEM. While an officer has the conversation or it waits for one,
 * *reply is HANDOFF_DELIVERED_JSON (handoff.h): the message went to the
 * officer and the bot says nothing. */
MC_MUST_CHECK int gw_handle_message(struct gw *gw, const char *channel, const char *session_token,
                                    const char *user_key, const char *text, const char *payload,
                                    const char *msg_id, struct json_t **reply, struct mc_err *err);

/* The same path for a session already loaded (a WebSocket keeps its session
 * in memory while it is open): s is updated in place (state, last_seen,
 * version) when the turn is saved, and left as it was on failure; when
 * another worker process changed the session meanwhile, s is read back and
 * the turn run again. The turn's writes join the store's open batch: the
 * reply must not leave before gw_flush(). Returns as gw_handle_message, with
 * *reply_text the reply as compact JSON object text (new, free()), the very
 * text stored as the turn's resend key. save: when not NULL, the turn's save
 * may be queued without waiting for its answer (store_turn_queue(): *save
 * > 0, s advanced as if it hit); the caller then asks store_turn_verdict()
 * once the batch's commit is reported, and on a miss drops the reply, reads
 * s back and runs the turn again (ws.c). *save is 0 when the save was
 * waited for. */
MC_MUST_CHECK int gw_handle_turn(struct gw *gw, struct session *s, const char *text,
                                 const char *payload, const char *msg_id, char **reply_text,
                                 uint64_t *save, struct mc_err *err);

/* gw_handle_message() for a session already loaded (Messenger/Zalo: read
 * with its event's de-duplication key, store_webhook_event()): s as for
 * gw_handle_turn(), the reply as for gw_handle_message(). */
MC_MUST_CHECK int gw_handle_session(struct gw *gw, struct session *s, const char *text,
                                    const char *payload, struct json_t **reply, struct mc_err *err);

/* Commits the store's open batch (group commit: called once per pass of the
 * event loop on SQLite, and by an HTTP write before it answers there:
 * http_hold.h), then lets the frames held
 * for it go out, or turns them into error frames if the commit failed.
 * Returns 0 or -EIO. */
MC_MUST_CHECK int gw_flush(struct gw *gw);

/* Sends what is due in the outbox, if this process is its sender (with
 * listen.workers > 1 only one worker is, so no row goes out twice; the
 * others only queue rows in the shared state database). */
void gw_pump_outbox(struct gw *gw);

/* Opens a TCP socket bound to cfg's listen.host:listen.port with
 * SO_REUSEPORT and sets *port to the port bound (listen.port 0: a free one).
 * listening: also SO_REUSEADDR, non-blocking, close-on-exec, and listen()
 * (a worker's listener); otherwise bound only (the master's, which keeps the
 * port for its workers). Returns the socket (new: close()), or -1 with err set. */
int gw_socket_open(const struct mc_config *cfg, bool listening, unsigned *port, struct mc_err *err);

/* Per-IP accounting. gw_ip_acquire returns false when addr is at its cap
 * (the connection must be refused). Every client connection holds one slot
 * from accept to close (conn.h), keyed by its client address: the TCP peer,
 * or, from a trusted proxy, the address X-Forwarded-For names at the latest
 * request (conn_request()). */
bool gw_ip_acquire(struct gw *gw, const char *addr); /* in conn.c */
void gw_ip_release(struct gw *gw, const char *addr);

/* The HTTP request in progress on wsi, or NULL (conn.c answers 408 on it). */
struct http_req *gw_http_req(struct lws *wsi);

#endif
