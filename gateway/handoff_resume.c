/* gateway/handoff_resume.c - what a resumed WebSocket hello shows, read
 * together (handoff.h handoff_resume(); issue 18, docs/scaling.md "A
 * session's first read"): the session, its turns, its handoff messages and
 * state from one store_session_resume() (PostgreSQL: one round trip instead
 * of four and more), formatted by handoff.c's own functions (handoff_int.h)
 * so the welcome is the one handoff_history() and handoff_state_json() made. */
#include "handoff.h"
#include "handoff_int.h"

#include <errno.h>
#include <jansson.h>
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

int handoff_resume(struct gw *gw, const char *token, struct session *s, json_t **history,
                   json_t **handoff)
{
    struct resume_ctx x = {json_array(), json_array()};
    struct store_resume r;
    bool with_handoff = gw->cfg->handoff_enabled;
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
                              on_turn, with_handoff ? on_msg : NULL, &x, &r);
    if (rc)
        goto out;
    *s = r.session; /* steals its state */
    if (with_handoff && handoff_history_merge(x.turns, x.items, gw->cfg->session_history_max))
        mc_log(MC_LOG_WARN, "ws.history", "handoff messages left out: out of memory");
    if (with_handoff)
        *handoff = handoff_state_build(r.handoff, r.officer_name); /* NULL: with the bot */
    *history = x.turns;
    x.turns = NULL;
out:
    json_decref(x.turns);
    json_decref(x.items);
    return rc < 0 ? rc : rc ? -EIO : 0;
}
