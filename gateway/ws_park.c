/* gateway/ws_park.c - a resumed hello's connection parked while its reads
 * are out (ws_int.h; issue 18, docs/scaling.md "Reads off the loop").
 *
 * On PostgreSQL a hello with a token no longer waits on the loop for its
 * reads (the session, its turns, its handoff messages and state): they go on
 * the store's read connection (handoff_resume_send()) and the connection is
 * parked. Until the answer no frame of it is handled: each is kept, in
 * order (WS_PARK_FRAMES_MAX frames or WS_PARK_BYTES_MAX bytes; past that
 * lws stops reading the socket, and a peer that still sends is closed),
 * then the welcome is sent as after a waited read (ws_hello_finish()) and
 * the frames kept are handled in their order. A frame refused before it is
 * parsed (binary, or over WS_MSG_MAX) is kept as its error, answered in its
 * place: a client reading frames in order never sees an answer to a later
 * frame before the welcome. A connection closed while
 * parked cancels its read and frees what it kept. SQLite, or a read that
 * cannot be sent now (no connection, STORE_SESSION_RESUME_MAX pending),
 * reads waiting as before. */
#include "ws_int.h"

#include <errno.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "gw_commit.h"
#include "handoff_resume.h"
#include "mc_log.h"
#include "store.h"

#define WS_PARK_FRAMES_MAX 16         /* frames kept while parked before lws stops reading */
#define WS_PARK_BYTES_MAX (64 * 1024) /* ... or bytes (a frame is at most WS_MSG_MAX) */
#define WS_PARK_REREADS 2             /* reads again after a feed push to a session meanwhile */

struct park_frame {
    struct park_frame *next;
    const char *code, *text; /* a frame refused unparsed: its error (static strings), or NULL */
    size_t len;
    char data[];
};

struct ws_park {
    uint64_t id; /* the read out (handoff_resume_send()) */
    char token[SESSION_TOKEN_LEN + 1];
    char channel[16];
    uint64_t waited; /* round trips the loop waited for in the hello so far */
    bool missed;     /* a feed push or handoff change while the read was out */
    unsigned rereads;
    bool rx_off; /* lws told to stop reading */
    struct park_frame *head, *tail;
    unsigned n;
    size_t bytes;
};

static void frames_free(struct park_frame *f)
{
    struct park_frame *next;

    for (; f; f = next) {
        next = f->next;
        free(f);
    }
}

static void park_free(struct ws_park *p)
{
    if (p) {
        frames_free(p->head);
        free(p);
    }
}

static void on_read(struct gw *gw, void *ctx, int rc, struct session *s, json_t *history,
                    json_t *handoff);

/* Sends p's read. Returns 0 or the error of handoff_resume_send(). */
static int park_send(struct gw *gw, struct ws_conn *c, struct ws_park *p)
{
    int rc = handoff_resume_send(gw, p->token, on_read, c, &p->id);

    if (rc == 0)
        gw_commit_reads_soon(gw);
    return rc;
}

int ws_park_hello(struct gw *gw, struct ws_conn *c, const char *token, const char *channel,
                  uint64_t waited)
{
    struct ws_park *p;
    int rc;

    if (!gw->commit || !gw->ctx)
        return 0; /* no loop to poll the answer (a test's gw): read waiting */
    p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    snprintf(p->token, sizeof(p->token), "%s", token);
    snprintf(p->channel, sizeof(p->channel), "%s", channel);
    p->waited = waited;
    c->park = p;
    rc = park_send(gw, c, p);
    if (rc) { /* SQLite, not a token, or no room: the caller reads waiting */
        c->park = NULL;
        park_free(p);
        return rc == -ENOMEM ? rc : 0;
    }
    return 1;
}

int ws_park_frame(struct gw *gw, struct ws_conn *c, const char *data, size_t len)
{
    struct ws_park *p = c->park;
    struct park_frame *f;

    (void)gw;
    if (p->n >= 2 * WS_PARK_FRAMES_MAX || p->bytes + len > 2 * WS_PARK_BYTES_MAX) {
        /* lws was told to stop reading, and more still came */
        mc_log(MC_LOG_WARN, "ws.reject", "peer=%s reason=parked_overflow frames=%u", c->peer, p->n);
        return -1;
    }
    f = malloc(sizeof(*f) + len + 1);
    if (!f)
        return -1;
    f->next = NULL;
    f->code = f->text = NULL;
    f->len = len;
    memcpy(f->data, data, len);
    f->data[len] = '\0';
    if (p->tail)
        p->tail->next = f;
    else
        p->head = f;
    p->tail = f;
    p->n++;
    p->bytes += len;
    if (!p->rx_off && (p->n >= WS_PARK_FRAMES_MAX || p->bytes >= WS_PARK_BYTES_MAX)) {
        lws_rx_flow_control(c->wsi, 0);
        p->rx_off = true;
    }
    return 0;
}

int ws_park_refusal(struct gw *gw, struct ws_conn *c, const char *code, const char *text)
{
    int rc = ws_park_frame(gw, c, "", 0);

    if (rc == 0) {
        c->park->tail->code = code;
        c->park->tail->text = text;
    }
    return rc;
}

void ws_park_drop(struct gw *gw, struct ws_conn *c)
{
    if (!c->park)
        return;
    mc_log(MC_LOG_INFO, "ws.hello_cancelled", "peer=%s frames=%u", c->peer, c->park->n);
    handoff_resume_cancel(gw, c->park->id);
    park_free(c->park);
    c->park = NULL;
}

void ws_park_missed(struct gw *gw)
{
    struct ws_conn *c;

    for (c = gw->conns; c; c = c->next)
        if (c->park)
            c->park->missed = true;
}

/* The read's answer for connection ctx: the welcome, then the frames kept. */
static void on_read(struct gw *gw, void *ctx, int rc, struct session *s, json_t *history,
                    json_t *handoff)
{
    struct ws_conn *c = ctx;
    struct ws_park *p = c->park;
    struct park_frame *f;
    bool rx_off;

    if (!p) { /* not parked (cannot happen: a read is cancelled with its connection's park) */
        session_fini(s);
        json_decref(history);
        json_decref(handoff);
        return;
    }
    if (rc == 0 && p->missed && p->rereads < WS_PARK_REREADS) {
        /* the feed pushed something while the read was out: its snapshot may
         * miss it, and the push missed this connection (no session yet) */
        p->missed = false;
        p->rereads++;
        if (park_send(gw, c, p) == 0) {
            session_fini(s);
            json_decref(history);
            json_decref(handoff);
            return;
        }
    }
    c->park = NULL;
    rx_off = p->rx_off;
    if (ws_hello_finish(gw, c, p->token, p->channel, rc, s, history, handoff, p->waited))
        goto close;
    while ((f = p->head)) {
        if (c->park) { /* a second hello parked again: the rest wait for it, in order */
            c->park->head = p->head, c->park->tail = p->tail;
            c->park->n = p->n, c->park->bytes = p->bytes;
            c->park->rx_off = rx_off;
            p->head = p->tail = NULL;
            rx_off = false;
            break;
        }
        p->head = f->next;
        p->n--;
        p->bytes -= f->len;
        rc = f->code ? ws_send_error(gw, c, f->code, f->text, NULL)
                     : ws_on_frame(gw, c, f->data, f->len);
        free(f);
        if (rc)
            goto close;
    }
    if (rx_off && !c->flow_off)
        lws_rx_flow_control(c->wsi, 1);
    park_free(p);
    return;
close: /* as a frame handled in lws's callback returning -1 */
    park_free(p);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

unsigned ws_park_poll(struct gw *gw)
{
    return store_session_resume_poll(gw->store);
}
