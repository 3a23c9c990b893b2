/* gateway/notify.c - see notify.h. The store's listener (store.h) gives a
 * socket; a dup() of it is adopted into this worker's lws loop as a raw
 * descriptor, so the loop's own poll() wakes on a notification (no thread,
 * no timer between it and the push). lws closes its dup, libpq its own. */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "feed.h"
#include "gw.h"
#include "mc_log.h"
#include "office.h"
#include "reload.h"
#include "store.h"
#include "teach_build.h"

struct notify {
    lws_sorted_usec_list_t sul; /* first: the timer callback recovers the struct from it */
    struct gw *gw;
    struct store_listen *l;
    lws_sorted_usec_list_t poll_sul; /* the reload revision's poll (poll_tick) */
    struct lws *wsi;                 /* the adopted socket while connected, else NULL */
    unsigned wait_ms;                /* before the next attempt after a failure */
    int64_t reload_rev;              /* the reload revision this worker last acted on */
    bool have_rev;                   /* reload_rev read (else the next read is taken as seen) */
    bool listening;                  /* LISTEN in effect */
    bool down_logged;                /* event=notify.down logged since the last notify.listening */
};

static void step(lws_sorted_usec_list_t *sul);

/* Reloads once when the committed reload revision moved past the one this
 * worker acted on: a notification (by=notification), or one it may have
 * missed while not listening (by=catch_up, by=poll). A failed read changes
 * nothing: the next poll, catch-up or notification reads again. */
static void reload_if_moved(struct notify *n, const char *by)
{
    int64_t rev;

    if (n->gw->draining || store_reload_rev(n->gw->store, &rev))
        return;
    if (!n->have_rev || rev <= n->reload_rev) { /* the first read: what start loaded */
        if (!n->have_rev)
            n->reload_rev = rev;
        n->have_rev = true;
        return;
    }
    n->reload_rev = rev;
    mc_log(MC_LOG_INFO, "kb.reload", "by=%s rev=%lld", by, (long long)rev);
    reload_start(n->gw); /* built off the loop, as SIGHUP and POST /admin/reload */
}

/* While LISTEN is not in effect a reload of all nodes would be missed: look
 * at its revision as the feed's poll looks at the feed. One SELECT a period,
 * none while listening (the notification and the catch-up say it). */
static void poll_tick(lws_sorted_usec_list_t *sul)
{
    struct notify *n = lws_container_of(sul, struct notify, poll_sul);

    if (!n->listening) {
        n->gw->metrics.state_poll_reads++;
        reload_if_moved(n, "poll");
    }
    lws_sul_schedule(n->gw->ctx, 0, &n->poll_sul, poll_tick, NOTIFY_POLL_MS * LWS_US_PER_MS);
}

static void schedule(struct notify *n, unsigned ms)
{
    lws_sul_schedule(n->gw->ctx, 0, &n->sul, step, (lws_usec_t)ms * LWS_US_PER_MS);
}

/* The connection failed or was lost: the polls carry on alone until it is back. */
static void lost(struct notify *n, const char *why)
{
    store_listen_close(n->l);
    n->listening = false;
    if (!n->down_logged)
        mc_log(MC_LOG_WARN, "notify.down", "reason=%s fallback=poll retry_ms=%u", why, n->wait_ms);
    n->down_logged = true;
    schedule(n, n->wait_ms);
    n->wait_ms = n->wait_ms * 2 > NOTIFY_RETRY_MAX_MS ? NOTIFY_RETRY_MAX_MS : n->wait_ms * 2;
}

/* Connects without waiting: a step now and then until the socket is ours. */
static void step(lws_sorted_usec_list_t *sul)
{
    struct notify *n = lws_container_of(sul, struct notify, sul);
    lws_sock_file_fd_type u;
    int fd = store_listen_connect(n->l);

    if (fd == 0) {
        schedule(n, NOTIFY_CONNECT_STEP_MS);
        return;
    }
    if (fd < 0) {
        lost(n, "connect_failed");
        return;
    }
    u.filefd = fcntl(fd, F_DUPFD_CLOEXEC, 0); /* lws closes what it adopts; libpq owns fd */
    n->wsi = u.filefd < 0
                 ? NULL
                 : lws_adopt_descriptor_vhost(lws_get_vhost_by_name(n->gw->ctx, "default"),
                                              LWS_ADOPT_RAW_FILE_DESC, u, NOTIFY_PROTOCOL, NULL);
    if (!n->wsi) /* lws closed the dup */
        lost(n, "adopt_failed");
}

/* What the notifications ask for, on this worker. */
static void act(struct notify *n, unsigned ev)
{
    struct gw *gw = n->gw;

    if (ev & STORE_EVENT_LISTENING) {
        mc_log(MC_LOG_INFO, "notify.listening", "catch_up=poll");
        n->listening = true;
        n->down_logged = false;
        n->wait_ms = NOTIFY_RETRY_MS;
        /* what was committed while it was down */
        ev |= STORE_EVENT_FEED | STORE_EVENT_TEACH | STORE_EVENT_OFFICE;
        reload_if_moved(n, "catch_up");
    }
    if (ev & STORE_EVENT_FEED)
        feed_poll(gw);
    if (ev & STORE_EVENT_TEACH)
        teach_build_refresh(gw); /* built off the loop; logged on failure, the next poll retries */
    if (ev & STORE_EVENT_OFFICE)
        office_poll(gw); /* the layer rebuilt if the revision moved; the next poll retries */
    if (ev & STORE_EVENT_RELOAD)
        reload_if_moved(n, "notification");
}

int notify_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct gw *gw = lws_context_user(lws_get_context(wsi));
    struct notify *n = gw ? gw->notify : NULL;
    unsigned ev = 0;

    (void)user, (void)in, (void)len;
    if (!n || n->wsi != wsi)
        return 0; /* stopping (notify_free() ran), or a socket already given up */
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        if (store_listen_read(n->l, &ev))
            return -1; /* lws closes the dup: RAW_CLOSE_FILE below */
        act(n, ev);
        return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        n->wsi = NULL;
        lost(n, "connection_lost");
        return 0;
    default:
        return 0;
    }
}

int notify_new(struct gw *gw, struct notify **out, struct mc_err *err)
{
    struct store_listen *l = NULL;
    struct notify *n;

    *out = NULL;
    if (store_listen_new(gw->store, &l, err))
        return -ENOMEM;
    if (!l)
        return 0; /* SQLite */
    n = calloc(1, sizeof(*n));
    if (!n) {
        store_listen_free(l);
        mc_err_set(err, "notify: out of memory");
        return -ENOMEM;
    }
    n->gw = gw;
    n->l = l;
    n->wait_ms = NOTIFY_RETRY_MS;
    reload_if_moved(n, "start"); /* taken as seen: this worker has just loaded */
    schedule(n, 0);
    lws_sul_schedule(gw->ctx, 0, &n->poll_sul, poll_tick, NOTIFY_POLL_MS * LWS_US_PER_MS);
    *out = n;
    return 0;
}

int notify_reload_all(struct gw *gw)
{
    struct notify *n = gw->notify;
    int64_t rev;
    int rc;

    if (gw->draining)
        return -ECANCELED; /* this process will not reload: it does not ask the others either */
    rc = store_notify_reload(gw->store, &rev);

    if (!rc && n && (!n->have_rev || rev > n->reload_rev)) {
        n->reload_rev = rev; /* this worker reloads for the request: not again for the revision */
        n->have_rev = true;
    }
    return rc;
}

void notify_free(struct notify *n)
{
    if (!n)
        return;
    lws_sul_cancel(&n->sul);
    lws_sul_cancel(&n->poll_sul);
    store_listen_free(n->l); /* the adopted dup goes with the context (callback sees no notify) */
    free(n);
}

bool notify_is_listening(const struct notify *n)
{
    return n && n->listening;
}

bool notify_is_poll_due(const struct notify *n, int64_t last_ms, int64_t now_ms)
{
    return !notify_is_listening(n) || now_ms - last_ms >= NOTIFY_IDLE_POLL_MS;
}
