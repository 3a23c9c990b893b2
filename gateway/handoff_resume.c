/* gateway/handoff_resume.c - what a resumed WebSocket hello shows, read
 * together (handoff.h handoff_resume(); issue 18, docs/scaling.md "A
 * session's first read"): the session, its turns, its handoff messages and
 * state from one store_session_resume() (PostgreSQL: one round trip instead
 * of four and more), formatted by handoff.c's own functions (handoff_int.h)
 * so the welcome is the one the separate reads made (tests/unit/
 * test_handoff_resume.c keeps those as its reference);
 * or the same reads not waited for (handoff_resume_send(): docs/scaling.md
 * "Reads off the loop"). */
#include "handoff.h"
#include "handoff_int.h"

#include "handoff_resume.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "gw.h"
#include "mc_log.h"
#include "session.h"
#include "store.h"

/* What the store's callbacks fill: the turns, and the handoff messages
 * (handoff_history_item()'s) to merge into them. */
struct resume_ctx {
    json_t *turns;
    json_t *items;
};

static int on_turn(void *ctx, const char *role, const char *text, int64_t ts, const char *msg_id)
{
    return session_history_add(((struct resume_ctx *)ctx)->turns, role, text, ts, msg_id);
}

static int on_msg(void *ctx, int64_t id, const char *from, const char *officer,
                  const char *officer_name, const char *text, int64_t ts_ms)
{
    (void)id;
    (void)officer;
    return handoff_history_item(((struct resume_ctx *)ctx)->items, from, officer_name, text, ts_ms);
}

/* What the reads gave (rc, r, the callbacks' x), made the caller's: s,
 * *history and *handoff (NULL: with the bot) when 0 is returned. */
static int finish(struct gw *gw, struct resume_ctx *x, int rc, struct store_resume *r,
                  struct session *s, json_t **history, json_t **handoff)
{
    bool with_handoff = gw->cfg->handoff_enabled;

    if (rc)
        return rc < 0 ? rc : -EIO;
    *s = r->session; /* steals its state */
    if (with_handoff && handoff_history_merge(x->turns, x->items, gw->cfg->session_history_max))
        mc_log(MC_LOG_WARN, "ws.history", "handoff messages left out: out of memory");
    if (with_handoff)
        *handoff = handoff_state_build(r->handoff, r->officer_name); /* NULL: with the bot */
    *history = x->turns;
    x->turns = NULL;
    return 0;
}

int handoff_resume(struct gw *gw, const char *token, struct session *s, json_t **history,
                   json_t **handoff)
{
    struct resume_ctx x = {json_array(), json_array()};
    struct store_resume r;
    int rc;

    *history = *handoff = NULL;
    memset(s, 0, sizeof(*s));
    if (!session_is_token(token)) {
        rc = -ENOENT; /* never looked up, as session_load_token() */
        goto out;
    }
    if (!x.turns || !x.items) {
        rc = -ENOMEM;
        goto out;
    }
    rc = store_session_resume(gw->store, token, gw->cfg->session_history_max, HANDOFF_HISTORY_LOAD,
                              on_turn, gw->cfg->handoff_enabled ? on_msg : NULL, &x, &r);
    rc = finish(gw, &x, rc, &r, s, history, handoff);
out:
    json_decref(x.turns);
    json_decref(x.items);
    return rc;
}

/* ---- the same reads not waited for (handoff_resume.h) ------------------- */

struct resume_req {
    struct resume_ctx x; /* first: the store's callbacks take the request as their ctx */
    struct gw *gw;
    handoff_resume_fn done;
    void *ctx;
};

static void req_free(struct resume_req *q)
{
    if (!q)
        return;
    json_decref(q->x.turns);
    json_decref(q->x.items);
    free(q);
}

static void on_done(void *ctx, int rc, struct store_resume *r)
{
    struct resume_req *q = ctx;
    struct session s = {0};
    json_t *history = NULL, *handoff = NULL;

    rc = finish(q->gw, &q->x, rc, r, &s, &history, &handoff);
    q->done(q->gw, q->ctx, rc, &s, history, handoff);
    req_free(q);
}

static const struct store_resume_cbs with_msgs = {on_turn, on_msg, on_done};
static const struct store_resume_cbs turns_only = {on_turn, NULL, on_done};

int handoff_resume_send(struct gw *gw, const char *token, handoff_resume_fn done, void *ctx,
                        uint64_t *id)
{
    struct resume_req *q;
    int rc;

    if (!session_is_token(token))
        return -ENOENT;
    q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    q->x.turns = json_array();
    q->x.items = json_array();
    q->gw = gw;
    q->done = done;
    q->ctx = ctx;
    rc = q->x.turns && q->x.items ? 0 : -ENOMEM;
    if (!rc)
        rc = store_session_resume_send(gw->store, token, gw->cfg->session_history_max,
                                       HANDOFF_HISTORY_LOAD,
                                       gw->cfg->handoff_enabled ? &with_msgs : &turns_only, q, id);
    if (rc)
        req_free(q);
    return rc;
}

void handoff_resume_cancel(struct gw *gw, uint64_t id)
{
    req_free(store_session_resume_cancel(gw->store, id));
}
