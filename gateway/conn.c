/* gateway/conn.c - see conn.h. */
#include "conn.h"

#include <errno.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "http.h"
#include "mc_log.h"
#include "proxy.h"

/* connections over an address's cap kept open to be told why (429 or 1008) */
#define CONN_REFUSED_MAX 8
#define CONN_XFF_MAX 1024 /* bytes of X-Forwarded-For read */

static struct gw_ip_slot *ip_find(struct gw *gw, const char *addr)
{
    size_t i;

    for (i = 0; i < GW_PER_IP_SLOTS; i++)
        if (strcmp(gw->ips[i].addr, addr) == 0)
            return &gw->ips[i];
    return NULL;
}

/* gw.h's per-IP accounting: a linear scan of GW_PER_IP_SLOTS, done once per
 * connection (and per proxied request whose client changed). */
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
    free_slot->refused = 0;
    return true;
}

void gw_ip_release(struct gw *gw, const char *addr)
{
    size_t i;

    for (i = 0; i < GW_PER_IP_SLOTS; i++) {
        if (strcmp(gw->ips[i].addr, addr) == 0) {
            if (--gw->ips[i].open == 0 && gw->ips[i].refused == 0)
                gw->ips[i].addr[0] = '\0';
            return;
        }
    }
}

enum conn_phase { CONN_HEADERS, CONN_BODY, CONN_NONE };

struct conn {
    lws_sorted_usec_list_t sul; /* first: the timer recovers the record from it */
    struct gw *gw;
    struct lws *wsi;
    enum conn_phase phase; /* what the timer, if armed, waits for */
    bool proxy;            /* the TCP peer is in listen.trusted_proxies */
    bool counted;          /* holds a slot of addr */
    bool refused;          /* addr was over its cap at the last request */
    char addr[PROXY_ADDR_MAX];
};

static void on_deadline(lws_sorted_usec_list_t *sul)
{
    struct conn *p = lws_container_of(sul, struct conn, sul);
    struct http_req *r = gw_http_req(p->wsi);

    if (p->phase == CONN_HEADERS) {
        p->gw->metrics.limits[METRICS_LIMIT_HEADER_TIMEOUT]++;
        mc_log(MC_LOG_INFO, "http.timeout", "peer=%s phase=headers", p->addr);
    } else if (p->phase == CONN_BODY) {
        p->gw->metrics.limits[METRICS_LIMIT_BODY_TIMEOUT]++;
        mc_log(MC_LOG_INFO, "http.timeout", "peer=%s phase=body", p->addr);
        if (r)
            http_body_timeout(p->gw, p->wsi, r); /* 408, written now */
    } else {
        return;
    }
    p->phase = CONN_NONE;
    lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void arm(struct conn *p, enum conn_phase phase, unsigned seconds)
{
    p->phase = phase;
    lws_sul_schedule(p->gw->ctx, 0, &p->sul, on_deadline, (lws_usec_t)seconds * LWS_US_PER_SEC);
}

/* A new client connection takes a slot of its address, unless it comes from
 * a trusted proxy (then each request counts for its forwarded client). Over
 * the cap, CONN_REFUSED_MAX connections per address are kept just long enough
 * to be told why; more are closed at once. */
int conn_open(struct gw *gw, struct lws *wsi)
{
    struct conn *p = calloc(1, sizeof(*p));
    char raw[PROXY_ADDR_MAX];

    if (!p)
        return -1;
    p->gw = gw;
    p->wsi = wsi;
    if (!lws_get_peer_simple(wsi, raw, sizeof(raw)))
        raw[0] = '\0';
    (void)proxy_client_addr(NULL, raw, NULL, p->addr, sizeof(p->addr)); /* canonical form */
    p->proxy = proxy_list_trusts(gw->proxies, p->addr);
    if (!p->proxy && gw_ip_acquire(gw, p->addr)) {
        p->counted = true;
    } else if (!p->proxy) {
        struct gw_ip_slot *slot = ip_find(gw, p->addr);

        gw->metrics.limits[METRICS_LIMIT_PER_IP]++;
        gw->metrics.errors[METRICS_ERR_REJECTED]++;
        mc_log(MC_LOG_WARN, "conn.reject", "peer=%s reason=per_ip_limit", p->addr);
        if (!slot || slot->refused >= CONN_REFUSED_MAX) {
            free(p); /* far over: closed at once, it costs us nothing more */
            return -1;
        }
        slot->refused++; /* a few are answered 429 or closed with 1008 "busy", so a
                            browser tab learns why */
        p->refused = true;
    }
    lws_set_opaque_user_data(wsi, p);
    gw->metrics.conns_open++;
    arm(p, CONN_HEADERS, gw->cfg->listen_header_timeout);
    return 0;
}

void conn_close(struct gw *gw, struct lws *wsi)
{
    struct conn *p = lws_get_opaque_user_data(wsi);

    if (!p)
        return;
    lws_set_opaque_user_data(wsi, NULL);
    lws_sul_cancel(&p->sul);
    if (p->counted)
        gw_ip_release(gw, p->addr);
    if (!p->proxy && p->refused) {
        struct gw_ip_slot *slot = ip_find(gw, p->addr);

        if (slot && --slot->refused == 0 && slot->open == 0)
            slot->addr[0] = '\0';
    }
    gw->metrics.conns_open--;
    free(p);
}

int conn_request(struct gw *gw, struct lws *wsi)
{
    struct conn *p = lws_get_opaque_user_data(wsi);
    char xff[CONN_XFF_MAX], addr[PROXY_ADDR_MAX];

    if (!p)
        return 0;
    if (p->phase == CONN_HEADERS) {
        lws_sul_cancel(&p->sul);
        p->phase = CONN_NONE;
    }
    if (!p->proxy)
        return p->refused ? -EBUSY : 0;
    /* a known token of lws, not a custom header */
    if (lws_hdr_copy(wsi, xff, sizeof(xff), WSI_TOKEN_X_FORWARDED_FOR) <= 0)
        xff[0] = '\0';
    if (!lws_get_peer_simple(wsi, addr, sizeof(addr)))
        addr[0] = '\0';
    (void)proxy_client_addr(gw->proxies, addr, xff, addr, sizeof(addr));
    if (p->counted && strcmp(addr, p->addr) == 0)
        return 0; /* the same client again (keep-alive) */
    if (p->counted)
        gw_ip_release(gw, p->addr);
    p->counted = false;
    snprintf(p->addr, sizeof(p->addr), "%s", addr);
    p->refused = !gw_ip_acquire(gw, p->addr);
    if (p->refused) {
        gw->metrics.limits[METRICS_LIMIT_PER_IP]++;
        gw->metrics.errors[METRICS_ERR_REJECTED]++;
        mc_log(MC_LOG_WARN, "conn.reject", "peer=%s reason=per_ip_limit via=proxy", p->addr);
        return -EBUSY;
    }
    p->counted = true;
    return 0;
}

const char *conn_client_addr(struct lws *wsi)
{
    struct conn *p = lws_get_opaque_user_data(wsi);

    return p ? p->addr : "";
}

bool conn_refused(struct lws *wsi)
{
    struct conn *p = lws_get_opaque_user_data(wsi);

    return p && p->refused;
}

void conn_body_wait(struct gw *gw, struct lws *wsi)
{
    struct conn *p = lws_get_opaque_user_data(wsi);

    if (p)
        arm(p, CONN_BODY, gw->cfg->listen_body_timeout);
}

void conn_body_done(struct lws *wsi)
{
    struct conn *p = lws_get_opaque_user_data(wsi);

    if (p && p->phase == CONN_BODY) {
        lws_sul_cancel(&p->sul);
        p->phase = CONN_NONE;
    }
}
