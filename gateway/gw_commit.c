/* gateway/gw_commit.c - see gw_commit.h. A commit in flight is watched by
 * adopting a duplicate of its connection's socket into lws as a raw
 * descriptor: poll() wakes the loop when the answer arrives, and the watch
 * is closed (with the duplicate only: libpq keeps its own descriptor) once
 * the commit is reported. A commit finished otherwise (the store waited for
 * it before reusing the connection) is seen by the poll between turns or at
 * the end of the pass; GW_COMMIT_POLL_US bounds how late in any case. */
#include "gw_commit.h"

#include <fcntl.h>
#include <libwebsockets.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "feed.h"
#include "gw.h"
#include "mc_log.h"
#include "store.h"
#include "http_hold.h"
#include "ws.h"
#include "ws_int.h"

#define GW_COMMIT_WATCH_MAX 2  /* commits in flight at once: the store's two connections */
#define GW_COMMIT_POLL_US 5000 /* a commit in flight is looked at this often, at least */
#define GW_COMMIT_DONE_BATCH 4 /* commits reported per call of store_commit_poll() */

struct gw_commit {
    lws_sorted_usec_list_t sul; /* first: the callback recovers the struct from it */
    struct gw *gw;
    lws_sorted_usec_list_t reads; /* the reads not waited for (ws_park.c) */
    bool reads_armed;             /* ... its timer scheduled */
    struct lws *reads_wsi;        /* ... their connection's socket, adopted while a segment
                                     is in flight: its answer is read when it arrives */
    uint64_t reads_seq;           /* ... that segment (store_reads_socket()) */
    uint64_t landed;              /* the latest batch whose commit was reported */
    struct {
        struct lws *wsi; /* the adopted duplicate of the socket, or NULL */
        uint64_t ticket; /* the batch whose COMMIT it carries */
    } watch[GW_COMMIT_WATCH_MAX];
};

struct gw_commit *gw_commit_new(struct gw *gw)
{
    struct gw_commit *gc = calloc(1, sizeof(*gc));

    if (gc)
        gc->gw = gw;
    return gc;
}

/* Stops watching slot i (lws closes the duplicate on its next service). */
static void unwatch(struct gw_commit *gc, unsigned i)
{
    if (gc->watch[i].wsi) {
        lws_set_opaque_user_data(gc->watch[i].wsi, NULL);
        lws_set_timeout(gc->watch[i].wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    gc->watch[i].wsi = NULL;
    gc->watch[i].ticket = 0;
}

/* Stops watching the reads' socket. */
static void reads_unwatch(struct gw_commit *gc)
{
    if (gc->reads_wsi) {
        lws_set_opaque_user_data(gc->reads_wsi, NULL);
        lws_set_timeout(gc->reads_wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    gc->reads_wsi = NULL;
}

void gw_commit_free(struct gw_commit *gc)
{
    unsigned i;

    if (!gc)
        return;
    lws_sul_cancel(&gc->sul);
    lws_sul_cancel(&gc->reads);
    for (i = 0; i < GW_COMMIT_WATCH_MAX; i++)
        unwatch(gc, i);
    reads_unwatch(gc);
    free(gc);
}

void gw_commit_release(struct gw *gw, bool wait)
{
    struct store_commit_done d[GW_COMMIT_DONE_BATCH];
    size_t i, n;
    unsigned j;

    if (!store_commits_in_flight(gw->store))
        return;
    while ((n = store_commit_poll(gw->store, wait, d, GW_COMMIT_DONE_BATCH)) > 0)
        for (i = 0; i < n; i++) {
            if (gw->commit && d[i].ticket > gw->commit->landed)
                gw->commit->landed = d[i].ticket;
            metrics_observe_commit(&gw->metrics, d[i].us);
            ws_release_held(gw, d[i].ticket, d[i].rc);
            http_hold_release(gw, d[i].ticket, d[i].rc);
            if (d[i].rc) /* the held replies became error frames; the loop goes on */
                mc_log(MC_LOG_WARN, "state.flush", "result=failed replies=errors");
            for (j = 0; gw->commit && j < GW_COMMIT_WATCH_MAX; j++)
                if (gw->commit->watch[j].ticket && gw->commit->watch[j].ticket <= d[i].ticket)
                    unwatch(gw->commit, j);
        }
}

void gw_commit_wait_for(struct gw *gw, uint64_t ticket)
{
    if (ticket && gw->commit && ticket > gw->commit->landed)
        gw_commit_release(gw, true);
}

static void wake(lws_sorted_usec_list_t *sul)
{
    struct gw_commit *gc = lws_container_of(sul, struct gw_commit, sul);

    gw_commit_release(gc->gw, false);
    if (store_commits_in_flight(gc->gw->store))
        lws_sul_schedule(gc->gw->ctx, 0, &gc->sul, wake, GW_COMMIT_POLL_US);
}

void gw_commit_soon(struct gw *gw)
{
    if (gw->commit && gw->ctx) /* the timer's run ends lws_service(), and so the pass */
        lws_sul_schedule(gw->ctx, 0, &gw->commit->sul, wake, GW_COMMIT_POLL_US);
}

/* Watches the socket of the reads' segment in flight, one segment at a time
 * (a new segment, maybe on a reconnected socket, gets a new watch): the
 * poll then runs when its answer arrives, the timer being only the bound. */
static void reads_watch(struct gw_commit *gc)
{
    lws_sock_file_fd_type u;
    uint64_t seq = 0;
    int fd = store_reads_socket(gc->gw->store, &seq);

    if (gc->reads_wsi && (fd < 0 || seq != gc->reads_seq))
        reads_unwatch(gc);
    if (fd < 0 || gc->reads_wsi || (fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
        return;
    u.filefd = fd;
    gc->reads_wsi =
        lws_adopt_descriptor_vhost(lws_get_vhost_by_name(gc->gw->ctx, "default"),
                                   LWS_ADOPT_RAW_FILE_DESC, u, GW_COMMIT_PROTOCOL, NULL);
    if (!gc->reads_wsi)
        return; /* lws closed fd; the timer still polls */
    gc->reads_seq = seq;
    lws_set_opaque_user_data(gc->reads_wsi, gc);
}

static void reads_poll(struct gw_commit *gc)
{
    if (ws_park_poll(gc->gw))
        gw_commit_reads_soon(gc->gw);
    reads_watch(gc);
}

static void reads_wake(lws_sorted_usec_list_t *sul)
{
    struct gw_commit *gc = lws_container_of(sul, struct gw_commit, reads);

    gc->reads_armed = false;
    reads_poll(gc);
}

void gw_commit_reads_soon(struct gw *gw)
{
    /* a read sent waits at most this long to be looked at; one waiting for a
     * commit goes out at the poll after it landed */
    if (!gw->commit || !gw->ctx)
        return;
    reads_watch(gw->commit);
    if (gw->commit->reads_armed)
        return;
    gw->commit->reads_armed = true;
    lws_sul_schedule(gw->ctx, 0, &gw->commit->reads, reads_wake, GW_COMMIT_POLL_US);
}

/* Watches the socket of the commit of ticket; without a free slot or a
 * descriptor, the poll between turns and the timer see it land. */
static void watch(struct gw_commit *gc, uint64_t ticket)
{
    lws_sock_file_fd_type u;
    unsigned i;
    int fd;

    for (i = 0; i < GW_COMMIT_WATCH_MAX && gc->watch[i].wsi; i++)
        ;
    if (i == GW_COMMIT_WATCH_MAX)
        return;
    fd = store_commit_socket(gc->gw->store, ticket);
    if (fd < 0 || (fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
        return;
    u.filefd = fd;
    gc->watch[i].wsi =
        lws_adopt_descriptor_vhost(lws_get_vhost_by_name(gc->gw->ctx, "default"),
                                   LWS_ADOPT_RAW_FILE_DESC, u, GW_COMMIT_PROTOCOL, NULL);
    if (!gc->watch[i].wsi)
        return; /* lws closed fd */
    gc->watch[i].ticket = ticket;
    lws_set_opaque_user_data(gc->watch[i].wsi, gc);
}

void gw_commit_pass(struct gw *gw)
{
    uint64_t ticket = store_batch_ticket(gw->store);
    int rc;

    if (!store_commits_async(gw->store)) {
        if (gw_flush(gw)) /* the held replies became error frames; the loop goes on */
            mc_log(MC_LOG_WARN, "state.flush", "result=failed replies=errors");
        return;
    }
    /* -EAGAIN: every other connection still carries a COMMIT; the batch
     * stays open, takes this pass's work too, and is sent by the pass that
     * follows the older commit's landing (its socket wakes the loop) */
    rc = ticket ? store_commit_send(gw->store) : 0;
    if (rc && rc != -EAGAIN)
        mc_log(MC_LOG_WARN, "state.flush", "result=unit_open"); /* a unit outlived its callback */
    gw_commit_release(gw, false);
    feed_poll_deferred(gw); /* a poll put off while the batch was open (feed.h) */
    if (!store_commits_in_flight(gw->store) && !store_in_batch(gw->store) &&
        (gw->held || gw->http_held)) {
        /* their batch was committed by a store_commit() outside this
         * pass's send (one that reports to nobody, e.g. a CLI-style
         * synchronous commit): let them go, as gw_flush() with nothing to
         * commit always did */
        ws_release_held(gw, UINT64_MAX, 0);
        http_hold_release(gw, UINT64_MAX, 0);
        return;
    }
    if (!store_commits_in_flight(gw->store) || !gw->commit)
        return;
    if (ticket && store_commit_socket(gw->store, ticket) >= 0)
        watch(gw->commit, ticket);
    lws_sul_schedule(gw->ctx, 0, &gw->commit->sul, wake, GW_COMMIT_POLL_US);
}

int gw_commit_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    struct gw_commit *gc = lws_get_opaque_user_data(wsi);
    unsigned i;

    (void)user, (void)in, (void)len;
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        if (!gc)
            return -1; /* no longer watched: readable at the end of a lost connection */
        if (wsi == gc->reads_wsi) {
            reads_poll(gc);
            break;
        }
        gw_commit_release(gc->gw, false);
        break;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        if (gc && gc->reads_wsi == wsi)
            gc->reads_wsi = NULL;
        for (i = 0; gc && i < GW_COMMIT_WATCH_MAX; i++)
            if (gc->watch[i].wsi == wsi)
                gc->watch[i].wsi = NULL, gc->watch[i].ticket = 0;
        break;
    default:
        break;
    }
    return 0;
}
