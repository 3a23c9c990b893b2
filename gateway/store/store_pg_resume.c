/* gateway/store/store_pg_resume.c - a resumed session's reads in one round
 * trip, on PostgreSQL (store.h "a resumed session's reads together"; issue
 * 18, docs/scaling.md "A session's first read").
 *
 * A WebSocket hello with a token used to wait for four round trips, one
 * after the other: the session, its turns, its handoff messages (and one
 * more per officer named in them, for the display name), its handoff state
 * (and one more for the name of the officer who holds it). Here they are
 * four statements sent together in the batch link's pipeline, with what the
 * batch has queued, and their four results are read after one sync. Each
 * later statement finds the session by its token itself (the id is not
 * known before the answer), and the officers' names are joined in.
 *
 * Each statement takes its own snapshot when it starts (READ COMMITTED), as
 * the separate reads did: in an open batch the first locks the session's row
 * (FOR UPDATE, as store_pg_session_by_token() there), and the three after it
 * start once the lock is granted, so they see what the batch that held it
 * committed. Without a batch they run in the pipeline's implicit
 * transaction, reads only, nothing locked. A failure of any fails the ones
 * after it, and all are then unread (-EIO). */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"

#define RESUME_STATEMENTS 4 /* session, turns, handoff messages, handoff state */

/* the columns of store_pg_state.c's SESSION_COLS */
static const char session_sql[] =
    "SELECT id, token, channel, coalesce(user_key, ''), last_seen, state, version "
    "FROM session WHERE token = $1";
static const char session_locked_sql[] =
    "SELECT id, token, channel, coalesce(user_key, ''), last_seen, state, version "
    "FROM session WHERE token = $1 FOR UPDATE";
/* store_pg_history()'s */
static const char turns_sql[] =
    "SELECT role, text, ts, msg_id FROM (SELECT t.id, t.role, t.text, t.ts, t.msg_id "
    "FROM turn t WHERE t.session_id = (SELECT id FROM session WHERE token = $1) "
    "ORDER BY t.id DESC LIMIT $2) t ORDER BY id";
/* store_pg_handoff_messages()'s after id 0, with each officer's name */
static const char msgs_sql[] =
    "SELECT m.id, m.sender, m.officer, m.text, m.ts_ms, coalesce(o.name, '') "
    "FROM handoff_message m LEFT JOIN officer o ON o.username = m.officer "
    "WHERE m.session_id = (SELECT id FROM session WHERE token = $1) AND m.id > 0 "
    "ORDER BY m.id LIMIT $2";
/* store_pg_handoff_get()'s state, with the holder's name; no row: "bot" */
static const char state_sql[] =
    "SELECT h.state, coalesce(o.name, '') FROM handoff h "
    "LEFT JOIN officer o ON h.state = 'officer' AND o.username = h.officer "
    "WHERE h.session_id = (SELECT id FROM session WHERE token = $1)";

/* Hands the rows read to the callbacks and out. */
static int take(PGresult *const res[RESUME_STATEMENTS], store_resume_turn_fn turn,
                store_resume_msg_fn msg, void *ctx, struct store_resume *out)
{
    const PGresult *r;
    int i, rc = store_pg_session_row(res[0], &out->session);

    for (r = res[1], i = 0; !rc && i < PQntuples(r); i++)
        rc = turn(ctx, store_pg_text(r, i, 0), store_pg_text(r, i, 1), store_pg_int(r, i, 2),
                  PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3));
    if (!msg)
        return rc;
    for (r = res[2], i = 0; !rc && i < PQntuples(r); i++)
        rc = msg(ctx, store_pg_int(r, i, 0), store_pg_text(r, i, 1), store_pg_text(r, i, 2),
                 store_pg_text(r, i, 5), store_pg_text(r, i, 3), store_pg_int(r, i, 4));
    if (!rc && PQntuples(res[3]) == 1) {
        snprintf(out->handoff, sizeof(out->handoff), "%s", store_pg_text(res[3], 0, 0));
        snprintf(out->officer_name, sizeof(out->officer_name), "%s", store_pg_text(res[3], 0, 1));
    }
    return rc;
}

int store_pg_session_resume(struct store *st, const char *token, unsigned max_turns,
                            unsigned max_msgs, store_resume_turn_fn turn, store_resume_msg_fn msg,
                            void *ctx, struct store_resume *out)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params who = {0}, turns = {0}, msgs = {0};
    PGresult *res[RESUME_STATEMENTS] = {NULL};
    struct store_pg_link *l = store_pg_batch_link(pg);
    unsigned i, n = msg ? RESUME_STATEMENTS : 2;
    int rc;

    if (!l)
        return -EIO;
    store_pg_param_text(&who, token);
    turns = who; /* text parameters only: their pointers stay valid in the copy */
    msgs = who;
    store_pg_param_int(&turns, max_turns);
    store_pg_param_int(&msgs, max_msgs);
    /* the statements must go in one segment, whose answers are read together:
     * a queue too full to take them goes first */
    if (store_pg_link_queued(l) > STORE_PG_QUEUE_MAX - n && store_pg_link_sync(l, NULL, 0))
        return -EIO;
    if (store_pg_link_queue(l, store_pg_in_batch(pg) ? session_locked_sql : session_sql, &who) ||
        store_pg_link_queue(l, turns_sql, &turns) ||
        (msg &&
         (store_pg_link_queue(l, msgs_sql, &msgs) || store_pg_link_queue(l, state_sql, &who))))
        return -EIO;
    if (store_pg_link_sync_results(l, res, n))
        return -EIO;
    rc = take(res, turn, msg, ctx, out);
    for (i = 0; i < n; i++)
        PQclear(res[i]);
    if (rc && out->session.state)
        session_fini(&out->session);
    return rc;
}
