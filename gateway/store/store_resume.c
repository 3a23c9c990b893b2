/* gateway/store/store_resume.c - a resumed session's reads (store.h, "a
 * resumed session's reads together"): on PostgreSQL handed to
 * store_pg_resume.c, which sends them as four statements in one round trip;
 * on SQLite, a local file where a read costs no round trip, the functions of
 * store.h in turn, so both back-ends answer alike by construction. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store_pg.h"

/* store_handoff_messages()'s callback adding the officer's display name. */
struct resume_msgs {
    struct store *st;
    store_resume_msg_fn msg;
    void *ctx;
};

static int with_name(void *ctx, int64_t id, const char *from, const char *officer, const char *text,
                     int64_t ts_ms)
{
    struct resume_msgs *m = ctx;
    struct store_officer o;

    if (!officer[0] || store_officer_get(m->st, officer, &o))
        o.name[0] = '\0'; /* none, unknown or unreadable: shown without a name, as before */
    return m->msg(m->ctx, id, from, officer, o.name, text, ts_ms);
}

int store_session_resume(struct store *st, const char *token, unsigned max_turns, unsigned max_msgs,
                         store_resume_turn_fn turn, store_resume_msg_fn msg, void *ctx,
                         struct store_resume *out)
{
    struct resume_msgs m = {st, msg, ctx};
    struct store_handoff h;
    struct store_officer o;
    int rc;

    memset(out, 0, sizeof(*out));
    snprintf(out->handoff, sizeof(out->handoff), "bot");
    if (store_pg_of(st))
        return store_pg_session_resume(st, token, max_turns, max_msgs, turn, msg, ctx, out);
    rc = store_session_by_token(st, token, &out->session);
    if (rc)
        return rc;
    rc = store_history(st, out->session.id, max_turns, turn, ctx);
    if (!rc && msg)
        rc = store_handoff_messages(st, out->session.id, 0, max_msgs, with_name, &m);
    if (!rc && msg)
        rc = store_handoff_get(st, out->session.id, &h);
    if (!rc && msg) {
        snprintf(out->handoff, sizeof(out->handoff), "%s", h.state);
        if (strcmp(h.state, "officer") == 0 && h.officer[0] &&
            !store_officer_get(st, h.officer, &o))
            snprintf(out->officer_name, sizeof(out->officer_name), "%s", o.name);
    }
    if (rc)
        session_fini(&out->session);
    return rc;
}
