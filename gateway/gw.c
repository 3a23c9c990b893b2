/* gateway/gw.c - see gw.h: context set-up, the one protocol callback that
 * dispatches HTTP and WebSocket reasons, per-IP accounting, the run loop and
 * graceful shutdown. */
#include "gw.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "intent.h"
#include "kb.h"
#include "kb_units.h"
#include "mc_log.h"
#include "outbox.h"
#include "session.h"
#include "ws.h"

#define GW_TICK_US (250 * LWS_US_PER_MS) /* housekeeping; also bounds how late a signal is seen */
#define GW_WS_PATH "/ws"
#define GW_FD_HEADROOM 64 /* descriptors beyond max_connections: databases, listener, logs */

/* lws gives one user allocation per connection; a connection is HTTP first
 * and may become a WebSocket, so both parts live side by side. */
struct gw_conn {
    struct http_req http;
    struct ws_conn ws;
};

struct gw_tick {
    lws_sorted_usec_list_t sul; /* first: the callback recovers the struct from it */
    struct gw *gw;
};

static bool is_ws_reason(int reason)
{
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLOSED:
        return true;
    default:
        return false;
    }
}

static int check_upgrade(struct gw *gw, struct lws *wsi)
{
    char uri[64];

    if (gw->draining)
        return -1;
    if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, GW_WS_PATH) != 0)
        return -1; /* WebSocket only on /ws */
    return 0;
}

static int gw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    struct gw *gw = lws_context_user(lws_get_context(wsi));
    struct gw_conn *c = user;

    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return gw && gw->draining ? -1 : 0; /* stop accepting once draining */
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return check_upgrade(gw, wsi);
    default:
        break;
    }
    if (!gw || !c)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    if (is_ws_reason(reason))
        return ws_callback(gw, wsi, reason, &c->ws, in, len);
    return http_callback(gw, wsi, reason, &c->http, in, len);
}

/* Client connections of the outbox (Graph API, Zalo OA API). */
static int gw_outbox_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                              void *in, size_t len)
{
    struct gw *gw = lws_context_user(lws_get_context(wsi));

    if (!gw || !gw->outbox)
        return 0;
    return outbox_callback(gw, wsi, (int)reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"motcua-v1", gw_callback, sizeof(struct gw_conn), 4096, 0, NULL, 0},
    {OUTBOX_PROTOCOL, gw_outbox_callback, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}, /* LWS_PROTOCOL_LIST_TERM is newer than 4.1.6 */
};

/* Idle WebSockets are pinged every 30 s and dropped after 60 s of silence,
 * so a phone that went into a tunnel does not hold a slot forever. */
static const lws_retry_bo_t retry = {
    .secs_since_valid_ping = 30,
    .secs_since_valid_hangup = 60,
};

static void lws_log_emit(int level, const char *line)
{
    char msg[256];
    size_t n = strlen(line);

    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    if (n >= sizeof(msg))
        n = sizeof(msg) - 1;
    memcpy(msg, line, n);
    msg[n] = '\0';
    mc_log(level == LLL_ERR ? MC_LOG_ERROR : MC_LOG_WARN, "lws", "msg=\"%s\"", msg);
}

bool gw_ip_acquire(struct gw *gw, const char *addr)
{
    struct gw_ip_slot *free_slot = NULL;
    size_t i;

    for (i = 0; i < GW_PER_IP_SLOTS; i++) {
        if (strcmp(gw->ips[i].addr, addr) == 0) {
            if (gw->ips[i].open >= gw->cfg->listen_max_per_ip)
                return false;
            gw->ips[i].open++;
            return true;
        }
        if (!free_slot && gw->ips[i].addr[0] == '\0')
            free_slot = &gw->ips[i];
    }
    if (!free_slot)
        return false; /* more distinct clients than we track: refuse rather than not count */
    snprintf(free_slot->addr, sizeof(free_slot->addr), "%s", addr);
    free_slot->open = 1;
    return true;
}

void gw_ip_release(struct gw *gw, const char *addr)
{
    size_t i;

    for (i = 0; i < GW_PER_IP_SLOTS; i++) {
        if (strcmp(gw->ips[i].addr, addr) == 0) {
            if (--gw->ips[i].open == 0)
                gw->ips[i].addr[0] = '\0';
            return;
        }
    }
}

struct gw *gw_new(const struct mc_config *cfg, struct mc_err *err)
{
    struct lws_context_creation_info info;
    struct gw *gw;
    struct timespec t0, t1;
    enum mc_log_level lvl;

    gw = calloc(1, sizeof(*gw));
    if (!gw) {
        mc_err_set(err, "out of memory");
        return NULL;
    }
    gw->cfg = cfg;
    gw->metrics.started = (int64_t)time(NULL);
    if (mc_log_parse_level(cfg->log_level, &lvl) == 0)
        mc_log_set_level(lvl);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    gw->kb = kb_open(cfg->data_knowledge_db, err);
    if (!gw->kb)
        goto fail;
    gw->index = kb_build_index(gw->kb, err);
    if (!gw->index)
        goto fail;
    if (cfg->locality_default[0]) {
        json_t *unit = kb_units_get(gw->kb, cfg->locality_default);

        if (!unit) {
            mc_err_set(err, "locality.default: \"%s\" is not a ward code of data/units",
                       cfg->locality_default);
            goto fail;
        }
        json_decref(unit);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    mc_log(MC_LOG_INFO, "kb.loaded", "path=%s index_bytes=%zu load_ms=%.1f", cfg->data_knowledge_db,
           intent_index_memory(gw->index),
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    gw->state = session_store_open(cfg->data_state_db, err);
    if (!gw->state)
        goto fail;

    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
    memset(&info, 0, sizeof(info));
    info.port = (int)cfg->listen_port;
    info.iface = cfg->listen_host;
    info.protocols = protocols;
    info.user = gw;
    info.fd_limit_per_thread = cfg->listen_max_connections + GW_FD_HEADROOM;
    info.retry_and_idle_policy = &retry;
    info.timeout_secs = 20; /* a client that stalls mid-request is dropped */
    info.max_http_header_data = 4096;
    /* TLS for the outbox's client connections to Graph and Zalo */
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                   (strchr(cfg->listen_host, ':') ? 0 : LWS_SERVER_OPTION_DISABLE_IPV6);
    gw->ctx = lws_create_context(&info);
    if (!gw->ctx) {
        mc_err_set(err, "listen %s:%u: cannot create the server (port in use?)", cfg->listen_host,
                   cfg->listen_port);
        goto fail;
    }
    gw->outbox = outbox_new(gw, err);
    if (!gw->outbox)
        goto fail;
    gw->port = lws_get_vhost_listen_port(lws_get_vhost_by_name(gw->ctx, "default"));
    if (gw->port <= 0) {
        mc_err_set(err, "listen %s:%u: cannot bind", cfg->listen_host, cfg->listen_port);
        goto fail;
    }
    return gw;

fail:
    gw_free(gw);
    return NULL;
}

void gw_free(struct gw *gw)
{
    if (!gw)
        return;
    if (gw->ctx)
        lws_context_destroy(gw->ctx); /* before the outbox: it ends client connections */
    outbox_free(gw->outbox);
    intent_index_free(gw->index);
    kb_free(gw->kb);
    session_store_free(gw->state);
    free(gw);
}

static void tick(lws_sorted_usec_list_t *sul)
{
    struct gw_tick *t = lws_container_of(sul, struct gw_tick, sul);

    outbox_pump(t->gw->outbox);
    lws_sul_schedule(t->gw->ctx, 0, &t->sul, tick, GW_TICK_US);
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int gw_reload(struct gw *gw, struct mc_err *err)
{
    struct kb *kb = kb_open(gw->cfg->data_knowledge_db, err);
    struct intent_index *idx = kb ? kb_build_index(kb, err) : NULL;

    if (!idx) {
        kb_free(kb);
        mc_log(MC_LOG_ERROR, "kb.reload", "error=\"%s\" kept=previous", err->text);
        return -EIO;
    }
    intent_index_free(gw->index);
    kb_free(gw->kb);
    gw->kb = kb;
    gw->index = idx;
    mc_log(MC_LOG_INFO, "kb.reload", "path=%s index_bytes=%zu", gw->cfg->data_knowledge_db,
           intent_index_memory(idx));
    return 0;
}

int gw_run(struct gw *gw, volatile sig_atomic_t *signals)
{
    struct gw_tick t;
    int64_t deadline;

    memset(&t, 0, sizeof(t));
    t.gw = gw;
    lws_sul_schedule(gw->ctx, 0, &t.sul, tick, GW_TICK_US);
    mc_log(MC_LOG_INFO, "server.listen", "host=%s port=%d", gw->cfg->listen_host, gw->port);
    while (!(*signals & GW_SIGNAL_STOP)) {
        if (*signals & GW_SIGNAL_RELOAD) {
            struct mc_err err = {{0}};

            *signals &= ~GW_SIGNAL_RELOAD;
            if (gw_reload(gw, &err) != 0)
                mc_log(MC_LOG_WARN, "kb.reload", "source=SIGHUP result=kept_previous");
        }
        if (lws_service(gw->ctx, 0) < 0)
            break;
    }
    gw->draining = true;
    deadline = mono_ms() + gw->cfg->shutdown_grace_ms;
    mc_log(MC_LOG_INFO, "server.drain", "websockets=%llu grace_ms=%u",
           (unsigned long long)gw->metrics.ws_open, gw->cfg->shutdown_grace_ms);
    ws_close_all(gw);
    while (gw->conns && mono_ms() < deadline)
        if (lws_service(gw->ctx, 0) < 0)
            break;
    lws_sul_cancel(&t.sul);
    mc_log(MC_LOG_INFO, "server.stop", "websockets_left=%llu",
           (unsigned long long)gw->metrics.ws_open);
    return 0;
}
