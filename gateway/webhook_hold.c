/* gateway/webhook_hold.c - see webhook_hold.h. */
#include "webhook_hold.h"

#include <string.h>

#include "gw.h"
#include "http.h"
#include "webhook.h"

static void unlink_req(struct gw *gw, struct http_req *r)
{
    if (r->held_prev)
        r->held_prev->held_next = r->held_next;
    else if (gw->webhook_held == r)
        gw->webhook_held = r->held_next;
    if (r->held_next)
        r->held_next->held_prev = r->held_prev;
    r->held_prev = r->held_next = NULL;
}

void webhook_hold(struct gw *gw, struct lws *wsi, struct http_req *r, uint64_t ticket)
{
    r->held_wsi = wsi;
    r->held = ticket;
    r->held_done = false;
    r->held_prev = NULL;
    r->held_next = gw->webhook_held;
    if (gw->webhook_held)
        gw->webhook_held->held_prev = r;
    gw->webhook_held = r;
}

void webhook_hold_release(struct gw *gw, uint64_t ticket, int rc)
{
    struct http_req *r, *next;

    for (r = gw->webhook_held; r; r = next) {
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

void webhook_hold_forget(struct gw *gw, struct http_req *r)
{
    if (r->held)
        unlink_req(gw, r);
    r->held = 0;
    r->held_done = false;
}

int webhook_hold_answer(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct webhook_result res;
    int rc;

    memset(&res, 0, sizeof(res));
    r->held_done = false;
    webhook_committed(gw, r->held_rc, &res);
    rc = http_respond(gw, wsi, r, res.status, res.ctype, res.body, strlen(res.body), NULL);
    if (res.status == 200)
        gw_pump_outbox(gw); /* the replies are committed: they may go now */
    return rc;
}
