/* gateway/http_hold.c - see http_hold.h. The answers are made while the
 * request's unit is fresh (the handler's reads see its own writes in the open
 * batch) and copied here, so nothing of the handler's stack outlives its
 * callback; the commit's result only picks which one is written. */
#include "http_hold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "http.h"
#include "offload.h"
#include "store.h"
#include "teach_build.h"

/* What a commit that failed answers by default: what a webhook answers then,
 * and the WebSocket's "internal" error frame; the client tries again. */
static const char default_failed[] = HTTP_HOLD_FAILED_BODY;

/* The answers of a held request: one allocation, freed with the hold. */
struct http_hold_saved {
    void (*done)(struct gw *gw, int rc); /* told the result, or NULL */
    unsigned ok_status, failed_status;
    const char *ok_ctype, *failed_ctype; /* static */
    char hdr[HTTP_HOLD_HDR_MAX];         /* the success answer's extra header, or "" */
    char *ok_body, *failed_body;         /* into data */
    size_t ok_len, failed_len;
    char data[]; /* ok_body, then failed_body */
};

/* Frees s; its header may hold a session cookie, wiped first (as the login
 * wipes its own copy). NULL is a no-op. */
static void discard(struct http_hold_saved *s)
{
    if (!s)
        return;
    explicit_bzero(s->hdr, sizeof(s->hdr));
    free(s);
}

static void unlink_req(struct gw *gw, struct http_req *r)
{
    if (r->held_prev)
        r->held_prev->held_next = r->held_next;
    else if (gw->http_held == r)
        gw->http_held = r->held_next;
    if (r->held_next)
        r->held_next->held_prev = r->held_prev;
    r->held_prev = r->held_next = NULL;
}

/* A copy of ok and failed (default_failed when NULL), or NULL (-ENOMEM, -E2BIG). */
static struct http_hold_saved *save(const struct http_hold_answer *ok,
                                    const struct http_hold_answer *failed,
                                    void (*done)(struct gw *gw, int rc))
{
    struct http_hold_answer def = {500, "application/json", default_failed,
                                   sizeof default_failed - 1, NULL};
    struct http_hold_saved *s;

    if (!failed)
        failed = &def;
    if (ok->extra_hdr && strlen(ok->extra_hdr) >= sizeof(s->hdr))
        return NULL; /* a programmer's error: the headers we make are short */
    if (ok->len > SIZE_MAX / 2 - sizeof(*s) || failed->len > SIZE_MAX / 2 - sizeof(*s))
        return NULL;
    s = malloc(sizeof(*s) + ok->len + failed->len);
    if (!s)
        return NULL;
    s->done = done;
    s->ok_status = ok->status;
    s->ok_ctype = ok->ctype;
    s->failed_status = failed->status;
    s->failed_ctype = failed->ctype;
    snprintf(s->hdr, sizeof(s->hdr), "%s", ok->extra_hdr ? ok->extra_hdr : "");
    s->ok_body = s->data;
    s->ok_len = ok->len;
    if (ok->len)
        memcpy(s->ok_body, ok->body, ok->len);
    s->failed_body = s->data + ok->len;
    s->failed_len = failed->len;
    if (failed->len)
        memcpy(s->failed_body, failed->body, failed->len);
    return s;
}

static int answer(struct gw *gw, struct lws *wsi, struct http_req *r,
                  const struct http_hold_saved *s, int rc)
{
    if (s->done)
        s->done(gw, rc);
    if (rc)
        return http_respond(gw, wsi, r, s->failed_status, s->failed_ctype, s->failed_body,
                            s->failed_len, NULL);
    return http_respond(gw, wsi, r, s->ok_status, s->ok_ctype, s->ok_body, s->ok_len,
                        s->hdr[0] ? s->hdr : NULL);
}

int http_hold_commit(struct gw *gw, struct lws *wsi, struct http_req *r,
                     const struct http_hold_answer *ok, const struct http_hold_answer *failed,
                     void (*done)(struct gw *gw, int rc))
{
    static const char oom[] = "{\"error\":\"internal\",\"message\":\"out of memory\"}";
    struct http_hold_saved *s = save(ok, failed, done);
    uint64_t ticket;
    int rc;

    if (!s) /* nothing is said to be saved: the batch commits at the end of the pass */
        return http_respond(gw, wsi, r, 503, "application/json", oom, sizeof oom - 1, NULL);
    ticket = store_batch_ticket(gw->store);
    if (store_commits_async(gw->store) && store_in_batch(gw->store) && ticket) {
        http_hold_forget(gw, r);
        r->held_answer = s;
        r->held_wsi = wsi;
        r->held = ticket;
        r->held_done = false;
        r->held_prev = NULL;
        r->held_next = gw->http_held;
        if (gw->http_held)
            gw->http_held->held_prev = r;
        gw->http_held = r;
        gw->http_holding++;
        return 0; /* answered by http_hold_write() once gw_commit reports ticket */
    }
    /* SQLite (or nothing of ours in flight): committed now, on the loop, as always */
    rc = gw_flush(gw);
    rc = answer(gw, wsi, r, s, rc);
    discard(s);
    return rc;
}

int http_hold_ready(struct gw *gw, struct lws *wsi, struct http_req *r,
                    const struct http_hold_answer *ok)
{
    struct http_hold_saved *s = save(ok, NULL, NULL);

    if (!s)
        return -ENOMEM;
    http_hold_forget(gw, r);
    r->held_answer = s;
    r->held_wsi = wsi;
    r->held = 0; /* in no batch's list: nothing to wait for */
    r->held_rc = 0;
    r->held_done = true;
    gw->http_holding++;
    lws_callback_on_writable(wsi);
    return 0;
}

void http_hold_release(struct gw *gw, uint64_t ticket, int rc)
{
    struct http_req *r, *next;

    teach_build_committed(gw, ticket, rc);
    for (r = gw->http_held; r; r = next) {
        next = r->held_next;
        if (r->held > ticket)
            continue; /* a later batch, still in flight */
        unlink_req(gw, r);
        r->held = 0;
        r->held_rc = rc;
        r->held_done = true;
        lws_callback_on_writable(r->held_wsi); /* answered from its own callback */
    }
}

void http_hold_forget(struct gw *gw, struct http_req *r)
{
    offload_forget(gw, r);
    if (r->held)
        unlink_req(gw, r);
    if (r->held_answer && gw->http_holding)
        gw->http_holding--;
    discard(r->held_answer);
    r->held_answer = NULL;
    r->held = 0;
    r->held_done = false;
}

bool http_hold_is_due(const struct http_req *r)
{
    return r->held_done && r->held_answer;
}

int http_hold_write(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct http_hold_saved *s = r->held_answer;
    int rc;

    r->held_answer = NULL; /* respond() may close: r must not keep it */
    r->held_done = false;
    if (gw->http_holding)
        gw->http_holding--;
    rc = answer(gw, wsi, r, s, r->held_rc);
    discard(s);
    return rc;
}
