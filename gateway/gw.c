/* gateway/gw.c - see gw.h: context set-up, the one protocol callback that
 * dispatches HTTP and WebSocket reasons, per-IP accounting, the run loop and
 * graceful shutdown. */
#include "mc_time.h"
#include "gw.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "feed.h"
#include "gw_commit.h"
#include "intent.h"
#include "kb.h"
#include "kb_units.h"
#include "mc_log.h"
#include "notify.h"
#include "office.h"
#include "officer_ws.h"
#include "outbox.h"
#include "privacy.h"
#include "conn.h"
#include "proxy.h"
#include "reload.h"
#include "share_render.h"
#include "speech.h"
#include "store.h"
#include "teach.h"
#include "teach_build.h"
#include "http_hold.h"
#include "offload.h"
#include "ws.h"

#define GW_TICK_US (250 * LWS_US_PER_MS) /* housekeeping; also bounds how late a signal is seen */
#define GW_WS_PATH "/ws"
#define GW_FD_HEADROOM 64 /* descriptors beyond max_connections: databases, listener, logs */
#define GW_LISTEN_PROTOCOL "motcua-listen"
#define GW_WS_RX_CHUNK 512       /* bytes lws reads per WebSocket callback; kept per connection */
#define GW_WS_TX_MAX (64 * 1024) /* bytes; one send() of a reply frame */
#define GW_LISTEN_BACKLOG 511    /* connections the kernel queues for one worker */
#define GW_ACCEPT_BATCH 64       /* connections accepted per wake-up, so one burst cannot starve */

/* lws gives one user allocation per connection; a connection is HTTP first
 * and may become a WebSocket. The HTTP part (about 1.7 KiB: path, signature
 * and authorization headers) is allocated when a request starts and freed
 * when the connection stops being HTTP, so an idle WebSocket carries only
 * its small ws_conn (docs/performance.md, "Small idle connections"). */
struct gw_conn {
    struct http_req *http; /* owned; NULL outside an HTTP transaction */
    bool officer;          /* the WebSocket is /officer/ws: off, not ws, is in use */
    union {
        struct ws_conn ws;
        struct officer_ws_conn off;
    };
};

struct gw_tick {
    lws_sorted_usec_list_t sul; /* first: the callback recovers the struct from it */
    struct gw *gw;
    int64_t teach_ms; /* when the phrases' revision was last polled (monotonic ms) */
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

struct http_req *gw_http_req(struct lws *wsi)
{
    struct gw_conn *c = lws_wsi_user(wsi);

    return c ? c->http : NULL;
}

static int check_upgrade(struct gw *gw, struct lws *wsi, struct gw_conn *c)
{
    char uri[64];

    if (gw->draining)
        return -1;
    (void)conn_request(gw, wsi); /* refused: closed with 1008 once established (ws.c) */
    if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
        return -1;
    if (c && officer_ws_is_path(uri)) {
        c->officer = true;
        return officer_ws_filter(gw, wsi, &c->off);
    }
    return strcmp(uri, GW_WS_PATH) == 0 ? 0 : -1; /* WebSocket only on /ws and /officer/ws */
}

/* HTTP reasons: the request part exists from LWS_CALLBACK_HTTP until the
 * connection closes or becomes a WebSocket. */
static int gw_http(struct gw *gw, struct lws *wsi, enum lws_callback_reasons reason,
                   struct gw_conn *c, void *in, size_t len)
{
    int rc;

    if (!c->http) {
        switch (reason) {
        case LWS_CALLBACK_HTTP:
            c->http = calloc(1, sizeof(*c->http));
            if (!c->http)
                return -1; /* out of memory: this connection closes, the server goes on */
            break;
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return -1; /* a body without a request: cannot happen, close */
        case LWS_CALLBACK_HTTP_BODY:
        case LWS_CALLBACK_HTTP_WRITEABLE:
        case LWS_CALLBACK_CLOSED_HTTP:
        case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
            return 0;
        default:
            return lws_callback_http_dummy(wsi, reason, NULL, in, len);
        }
    }
    rc = http_callback(gw, wsi, reason, c->http, in, len);
    if (reason == LWS_CALLBACK_CLOSED_HTTP || reason == LWS_CALLBACK_HTTP_DROP_PROTOCOL) {
        free(c->http); /* http_callback released what it owned */
        c->http = NULL;
    }
    return rc;
}

static int gw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    struct gw *gw = lws_context_user(lws_get_context(wsi));
    struct gw_conn *c = user;

    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return gw && gw->draining ? -1 : 0; /* stop accepting once draining */
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        return gw ? conn_open(gw, wsi) : 0;
    case LWS_CALLBACK_WSI_DESTROY:
        if (gw) /* only client connections carry a record; others have NULL */
            conn_close(gw, wsi);
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return check_upgrade(gw, wsi, c);
    default:
        break;
    }
    if (!gw || !c)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    if (is_ws_reason(reason))
        return c->officer ? officer_ws_callback(gw, wsi, reason, &c->off, in, len)
                          : ws_callback(gw, wsi, reason, &c->ws, in, len);
    return gw_http(gw, wsi, reason, c, in, len);
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

/* The shared listening socket of a worker (listen.workers > 1), adopted as
 * a raw descriptor: lws 4.1.6 sets SO_REUSEPORT on none of its own listening
 * sockets (LWS_SERVER_OPTION_ALLOW_LISTEN_SHARE only matters on Windows), so
 * the worker binds its own and hands each accepted socket to lws as if its
 * listener had accepted it. */
static int gw_listen_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                              void *in, size_t len)
{
    struct gw *gw = lws_context_user(lws_get_context(wsi));
    int i, fd;

    (void)user, (void)in, (void)len;
    if (!gw)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        for (i = 0; i < GW_ACCEPT_BATCH; i++) {
            fd = accept(gw->listen_fd, NULL, NULL);
            if (fd < 0)
                break; /* EAGAIN: the queue is empty (or another error: next wake-up) */
            if (gw->draining) {
                close(fd);
                continue;
            }
            (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
            /* NULL: lws closed fd (descriptor table full): the client sees a reset */
            if (!lws_adopt_socket_vhost(lws_get_vhost(wsi), fd))
                gw->metrics.errors[METRICS_ERR_REJECTED]++;
        }
        break;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        gw->listener = NULL;
        gw->listen_fd = -1; /* lws closed it */
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    /* rx_buffer_size is allocated per WebSocket for its whole life (lws 4.1.6
     * rx_ubuf): GW_WS_RX_CHUNK, and frames are reassembled in ws.c; sends go
     * out whole (tx_packet_size), not in rx-sized pieces. */
    {"motcua-v1", gw_callback, sizeof(struct gw_conn), GW_WS_RX_CHUNK, 0, NULL, GW_WS_TX_MAX},
    {OUTBOX_PROTOCOL, gw_outbox_callback, 0, 4096, 0, NULL, 0},
    {GW_LISTEN_PROTOCOL, gw_listen_callback, 0, 0, 0, NULL, 0},
    {NOTIFY_PROTOCOL, notify_callback, 0, 0, 0, NULL, 0},
    {GW_COMMIT_PROTOCOL, gw_commit_callback, 0, 0, 0, NULL, 0},
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

int gw_socket_open(const struct mc_config *cfg, bool listening, unsigned *port, struct mc_err *err)
{
    struct addrinfo hints, *ai = NULL;
    struct sockaddr_storage sa;
    socklen_t sl = sizeof(sa);
    char service[8];
    int fd = -1, one = 1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST;
    snprintf(service, sizeof(service), "%u", cfg->listen_port);
    rc = getaddrinfo(cfg->listen_host, service, &hints, &ai);
    if (rc) {
        mc_err_set(err, "listen.host: \"%s\": %s", cfg->listen_host, gai_strerror(rc));
        return -1;
    }
    fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
        goto fail;
    if (listening && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
                      fcntl(fd, F_SETFL, O_NONBLOCK) || fcntl(fd, F_SETFD, FD_CLOEXEC)))
        goto fail;
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) || (listening && listen(fd, GW_LISTEN_BACKLOG)) ||
        getsockname(fd, (struct sockaddr *)&sa, &sl))
        goto fail;
    *port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                           : ((struct sockaddr_in *)&sa)->sin_port);
    freeaddrinfo(ai);
    return fd;

fail:
    mc_err_set(err, "listen %s:%u: %s", cfg->listen_host, cfg->listen_port, strerror(errno));
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return -1;
}

/* listen.workers > 1: this worker's own SO_REUSEPORT listener, adopted
 * into lws. Returns 0 or -EIO with err set. */
static int listen_worker(struct gw *gw, struct mc_err *err)
{
    lws_sock_file_fd_type u;
    unsigned port;

    gw->listen_fd = gw_socket_open(gw->cfg, true, &port, err);
    if (gw->listen_fd < 0)
        return -EIO;
    gw->port = (int)port;
    u.filefd = gw->listen_fd;
    gw->listener = lws_adopt_descriptor_vhost(lws_get_vhost_by_name(gw->ctx, "default"),
                                              LWS_ADOPT_RAW_FILE_DESC, u, GW_LISTEN_PROTOCOL, NULL);
    if (!gw->listener) {
        gw->listen_fd = -1; /* lws closed it */
        mc_err_set(err, "listen %s:%u: cannot adopt the listening socket", gw->cfg->listen_host,
                   gw->cfg->listen_port);
        return -EIO;
    }
    return 0;
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
    gw->listen_fd = -1;
    gw->outbox_sender = true; /* main() narrows it to one worker of several */
    gw->metrics.started = (int64_t)time(NULL);
    gw->metrics.pid = (int64_t)getpid();
    if (proxy_list_parse(cfg->listen_trusted_proxies, &gw->proxies, err))
        goto fail;
    if (mc_log_parse_level(cfg->log_level, &lvl) == 0)
        mc_log_set_level(lvl);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    gw->kb = kb_open(cfg->data_knowledge_db, err);
    if (!gw->kb)
        goto fail;
    gw->index = kb_build_index(gw->kb, err);
    if (!gw->index)
        goto fail;
    if (cfg->locality_default[0] && !kb_unit(gw->kb, cfg->locality_default)) {
        mc_err_set(err, "locality.default: \"%s\" is not a ward code of data/units",
                   cfg->locality_default);
        goto fail;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    mc_log(MC_LOG_INFO, "kb.loaded", "path=%s index_bytes=%zu load_ms=%.1f", cfg->data_knowledge_db,
           intent_index_memory(gw->index),
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    gw->store = store_open(cfg_state_store(cfg), err);
    if (!gw->store || store_require_complete(gw->store, err))
        goto fail;
    if (office_apply(gw)) /* logged; the shipped office data serves meanwhile */
        mc_log(MC_LOG_WARN, "office.apply", "at=start result=shipped_data");
    /* the phrases admins taught (teach.h); on failure, logged, the knowledge base's own index
     * serves */
    (void)teach_refresh(gw);

    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
    memset(&info, 0, sizeof(info));
    /* several workers: each listens itself with SO_REUSEPORT (listen_worker) */
    info.port = cfg->listen_workers > 1 ? CONTEXT_PORT_NO_LISTEN_SERVER : (int)cfg->listen_port;
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
    gw->commit = gw_commit_new(gw);
    if (!gw->commit) {
        mc_err_set(err, "out of memory");
        goto fail;
    }
    gw->outbox = outbox_new(gw, err);
    if (!gw->outbox)
        goto fail;
    gw->feed = feed_new(gw, err); /* before anything registers a sink (feed.h) */
    if (!gw->feed)
        goto fail;
    if (notify_new(gw, &gw->notify, err)) /* after the feed: a notification polls it */
        goto fail;
    gw->privacy = privacy_new(gw, err); /* before any turn: user ids are hashed from the first */
    if (!gw->privacy)
        goto fail;
    gw->share_render = share_render_new();
    if (!gw->share_render) {
        mc_err_set(err, "out of memory");
        goto fail;
    }
    if (offload_start(gw, err)) /* PostgreSQL: the console's reads off the loop */
        goto fail;
    if (cfg->kiosk_speech) {
        struct mc_err serr = {{0}};

        gw->speech = speech_new(gw, &serr); /* without it the kiosk shows text only */
        if (!gw->speech)
            mc_log(MC_LOG_ERROR, "speech.off", "reason=\"%s\"", serr.text);
    }
    if (cfg->listen_workers > 1) {
        if (listen_worker(gw, err))
            goto fail;
    } else {
        gw->port = lws_get_vhost_listen_port(lws_get_vhost_by_name(gw->ctx, "default"));
    }
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
    /* its timer lives in the context, whose close of its socket then finds none */
    notify_free(gw->notify);
    gw->notify = NULL;
    feed_free(gw->feed); /* its timer lives in the context */
    speech_free(gw->speech);
    offload_stop(gw); /* joins its threads: before the context goes (its answers are dropped) */
    share_render_free(gw, gw->share_render); /* joins its thread: before the context goes */
    gw->share_render = NULL; /* the context's last CLOSED_HTTP callbacks ask it to forget */
    privacy_free(gw->privacy);
    gw_commit_free(gw->commit); /* its timer lives in the context */
    gw->commit = NULL;
    outbox_stop(gw->outbox); /* its poll timer lives in the context */
    if (gw->ctx)
        lws_context_destroy(gw->ctx); /* before the outbox: it ends client connections */
    teach_build_free(gw, false);      /* after the context's last CLOSED_HTTP; may read the index */
    outbox_free(gw->outbox);
    intent_index_free(gw->index);
    kb_free(gw->kb);
    if (gw->store) {
        struct store_stats st;

        store_get_stats(gw->store, &st);
        /* state_*_us: motcua_state_seconds of this process, for bench-ws (whose
         * /metrics requests would each reach one worker of several) */
        mc_log(MC_LOG_INFO, "state.stats",
               "commits=%llu turns=%llu failed_commits=%llu served_turns=%llu "
               "state_turn_us=%llu state_commit_us=%llu round_trips=%llu poll_reads=%llu "
               "commits_deferred=%llu",
               (unsigned long long)st.commits, (unsigned long long)st.turns,
               (unsigned long long)st.failures, (unsigned long long)gw->metrics.turn_count,
               (unsigned long long)gw->metrics.state_turn_us_sum,
               (unsigned long long)gw->metrics.state_commit_us_sum,
               (unsigned long long)st.round_trips, (unsigned long long)gw->metrics.state_poll_reads,
               (unsigned long long)st.deferred);
    }
    store_free(gw->store);
    proxy_list_free(gw->proxies);
    free(gw);
}

void gw_pump_outbox(struct gw *gw)
{
    if (gw->outbox_sender)
        outbox_pump(gw->outbox);
}

static void tick(lws_sorted_usec_list_t *sul)
{
    struct gw_tick *t = lws_container_of(sul, struct gw_tick, sul);
    int64_t now = mc_mono_ms();

    gw_pump_outbox(t->gw);
    /* another worker taught or deleted a phrase: built off the loop; while listening the
     * notification says so, and this read is only the safety net (notify.h) */
    if (notify_is_poll_due(t->gw->notify, t->teach_ms, now) && !store_would_wait(t->gw->store)) {
        t->teach_ms = now;
        t->gw->metrics.state_poll_reads++;
        teach_build_refresh(t->gw);
    }
    lws_sul_schedule(t->gw->ctx, 0, &t->sul, tick, GW_TICK_US);
}

int gw_flush(struct gw *gw)
{
    bool batch = store_in_batch(gw->store); /* most passes of the loop commit nothing */
    int64_t t0;
    int rc;

    gw_commit_release(gw, true); /* earlier batches in flight first: replies keep their order */
    t0 = batch ? mc_mono_us() : 0;
    rc = store_commit(gw->store);
    if (batch)
        metrics_observe_commit(&gw->metrics, (uint64_t)(mc_mono_us() - t0));

    ws_release_held(gw, UINT64_MAX, rc);
    http_hold_release(gw, UINT64_MAX, rc);
    return rc;
}

/* One pass of the event loop, then its group commit: every turn finished in
 * the pass is committed at once, and only then may its reply be written. */
static int service(struct gw *gw)
{
    int n = lws_service(gw->ctx, 0);

    gw_commit_pass(gw); /* PostgreSQL: sent, released when it lands (gw_commit.h) */
    return n;
}

int gw_run(struct gw *gw, volatile sig_atomic_t *signals)
{
    struct gw_tick t;
    int64_t deadline;

    memset(&t, 0, sizeof(t));
    t.gw = gw;
    lws_sul_schedule(gw->ctx, 0, &t.sul, tick, GW_TICK_US);
    mc_log(MC_LOG_INFO, "server.listen", "host=%s port=%d pid=%d", gw->cfg->listen_host, gw->port,
           (int)getpid());
    while (!(*signals & GW_SIGNAL_STOP)) {
        if (*signals & GW_SIGNAL_RELOAD) {
            *signals &= ~GW_SIGNAL_RELOAD;
            reload_start(gw); /* built off the loop: turns go on meanwhile */
        }
        if (service(gw) < 0)
            break;
        (void)reload_poll(gw);
        (void)teach_build_poll(gw);
        share_render_poll(gw);
        offload_poll(gw);
    }
    gw->draining = true; /* from here no build starts, and answers close their connection */
    reload_cancel(gw);
    teach_build_drain(gw); /* teaches not started: 503; the one building finishes below */
    if (gw->listener)      /* new connections go to the workers still running */
        lws_set_timeout(gw->listener, PENDING_TIMEOUT_AWAITING_PROXY_RESPONSE, LWS_TO_KILL_ASYNC);
    deadline = mc_mono_ms() + gw->cfg->shutdown_grace_ms;
    mc_log(MC_LOG_INFO, "server.drain", "websockets=%llu grace_ms=%u",
           (unsigned long long)gw->metrics.ws_open, gw->cfg->shutdown_grace_ms);
    ws_close_all(gw);
    officer_ws_close_all(gw);
    /* and the HTTP answers held for a commit (written once it lands), and a teach being built
     * (answered once built, then held for its commit) */
    while ((gw->conns || gw->officer_conns || gw->http_holding || teach_build_busy(gw) ||
            offload_busy(gw)) &&
           mc_mono_ms() < deadline) {
        if (service(gw) < 0)
            break;
        (void)teach_build_poll(gw); /* a teach accepted before the stop gets its answer */
        share_render_poll(gw);
        offload_poll(gw); /* a report being built gets its answer (then written: http_holding) */
    }
    teach_build_free(gw, true);  /* a build that outlived the grace: waited for, answered 503 */
    gw_commit_release(gw, true); /* what is still in flight lands before the store closes */
    lws_sul_cancel(&t.sul);
    mc_log(MC_LOG_INFO, "server.stop", "websockets_left=%llu",
           (unsigned long long)gw->metrics.ws_open);
    return 0;
}
