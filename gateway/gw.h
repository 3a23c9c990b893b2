/* gateway/gw.h - the server: one libwebsockets context, one port, HTTP and
 * WebSocket protocol v1. struct gw is the context user (lws_context_user())
 * and is shared by the gateway's own modules (http.c, ws.c, router.c); it
 * is touched only from the event-loop thread. */
#ifndef MOTCUA_GATEWAY_GW_H
#define MOTCUA_GATEWAY_GW_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "mc_err.h"
#include "metrics.h"

struct lws_context;
struct lws;
struct kb;
struct intent_index;
struct session_store;
struct json_t;
struct outbox;

#define GW_PER_IP_SLOTS 1024 /* distinct client addresses tracked for the per-IP cap */

struct gw_ip_slot {
    char addr[48]; /* "" when free */
    unsigned open; /* WebSocket connections from addr now */
};

struct gw {
    const struct mc_config *cfg; /* borrowed, read-only */
    struct lws_context *ctx;
    struct kb *kb;               /* owned; NULL until loaded */
    struct intent_index *index;  /* owned; NULL until loaded */
    struct session_store *state; /* owned */
    struct outbox *outbox;       /* owned: Messenger/Zalo replies waiting to be sent */
    struct metrics metrics;
    struct gw_ip_slot ips[GW_PER_IP_SLOTS];
    struct ws_conn *conns; /* open WebSocket connections (intrusive list) */
    bool draining;         /* SIGTERM seen: refuse new work, close WebSockets */
    int port;              /* the bound port (after listen.port 0) */
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
 * A GW_SIGNAL_RELOAD bit reloads the knowledge base (and is cleared).
 * Returns 0. */
int gw_run(struct gw *gw, volatile sig_atomic_t *signals);

/* Re-opens the knowledge database and rebuilds the understanding index,
 * swapping them in only when both succeed; connections and sessions are
 * untouched. Returns 0, or -EIO with err set (the old data stays in use). */
MC_MUST_CHECK int gw_reload(struct gw *gw, struct mc_err *err);

/* The one path of a citizen message, for every channel: loads or creates
 * the session (by token for web/kiosk, by user key for Messenger/Zalo),
 * understands, runs the conversation, saves state and logs both turns.
 * text or payload (a quick-reply payload) is set, not both. Returns 0 with
 * *reply new (json_decref()), -EINVAL (bad input: err says what), or
 * -EIO/-ENOMEM. */
MC_MUST_CHECK int gw_handle_message(struct gw *gw, const char *channel, const char *session_token,
                                    const char *user_key, const char *text, const char *payload,
                                    const char *msg_id, struct json_t **reply, struct mc_err *err);

/* Per-IP accounting for long-lived connections. gw_ip_acquire returns false
 * when addr is at its cap (the connection must be refused). */
bool gw_ip_acquire(struct gw *gw, const char *addr);
void gw_ip_release(struct gw *gw, const char *addr);

#endif
