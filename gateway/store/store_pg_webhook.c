/* gateway/store/store_pg_webhook.c - a webhook event's reads in one round
 * trip and its writes queued, on PostgreSQL (store.h "webhook events";
 * issue 18, docs/scaling.md "Webhook events: round trips").
 *
 * The reads are three statements sent together in the batch's pipeline
 * (with its queued BEGIN and SAVEPOINT), each in its own snapshot, in this
 * order for what each guarantees:
 *   1. the de-duplication key, INSERT ... ON CONFLICT DO NOTHING: its row
 *      count says whether the event is new. A key another node's open batch
 *      holds makes it wait for that batch, then count 0: one node answers.
 *   2. the session's row lock (SELECT ... FOR UPDATE), taken after the key
 *      as the separate calls took them (the same order on every node), and
 *      held until the batch ends: the turn's compare-and-swap then does not
 *      lose to another node in between.
 *   3. the session, its handoff state and the options, read after the lock
 *      was granted, so in a snapshot that sees what the node that held the
 *      lock committed; one statement that both locked and read would read
 *      the handoff as it was before the wait (READ COMMITTED takes a
 *      statement's snapshot when it starts).
 * A failure in any fails the ones after it and the transaction (the batch
 * commits nothing), as when each went alone.
 *
 * The writes after the turn (outbox rows, options) are queued: their answer
 * decides nothing here, and they go with the COMMIT, which the loop does not
 * wait for. The outbox INSERT's id is not read, so the floor that keeps the
 * open batch's rows from being sent before it commits (store_pg_outbox_due)
 * is kept by the server, in a transaction-local setting. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"

/* The third statement: always one row; the session's columns are NULL when
 * (channel, user) has none. With the session, its latest answer, as
 * store_pg_feedback_answer() reads it (msg_id NULL; its ASKS test): what a
 * vote by quick reply needs (session.answer), read in the snapshot taken
 * after the row lock, so no answer can come after it while the batch holds
 * the lock. The turn_session index's last rows: no round trip, a few
 * pages. */
static const char read_sql[] =
    "SELECT s.id, s.token, s.channel, coalesce(s.user_key, ''), s.last_seen, s.state, "
    "s.version, coalesce(h.state, 'bot'), o.options, a.id, coalesce(a.msg_id, ''), "
    "coalesce(a.procedure, ''), strpos(a.text, '\"feedback\":{') > 0 "
    "FROM (VALUES (1)) AS one (x) "
    "LEFT JOIN session s ON s.channel = $1 AND s.user_key = $2 "
    "LEFT JOIN handoff h ON h.session_id = s.id "
    "LEFT JOIN chan_options o ON $3::boolean AND o.channel = $1 AND o.user_key = $2 "
    "LEFT JOIN LATERAL (SELECT id, msg_id, procedure, text FROM turn WHERE session_id = s.id "
    "AND role = 'bot' ORDER BY id DESC LIMIT 1) a ON true";

/* Fills out from read_sql's row; user is the clear id (what replies go to). */
static int take_row(const PGresult *r, const char *user, struct store_webhook_read *out)
{
    struct session *s = &out->session;

    if (PQntuples(r) != 1)
        return -EIO;
    if (!PQgetisnull(r, 0, 8)) {
        out->options = strdup(PQgetvalue(r, 0, 8));
        if (!out->options)
            return -ENOMEM;
    }
    if (PQgetisnull(r, 0, 0))
        return 0; /* no session yet: the caller creates it */
    s->id = store_pg_int(r, 0, 0);
    snprintf(s->token, sizeof(s->token), "%s", store_pg_text(r, 0, 1));
    snprintf(s->channel, sizeof(s->channel), "%s", store_pg_text(r, 0, 2));
    snprintf(s->user_key, sizeof(s->user_key), "%s", user); /* in memory the clear id */
    s->last_seen = store_pg_int(r, 0, 4);
    s->resumed = true;
    s->state = strdup(PQgetisnull(r, 0, 5) ? "{}" : PQgetvalue(r, 0, 5));
    s->version = store_pg_int(r, 0, 6);
    if (!s->state)
        return -ENOMEM;
    out->found = true;
    snprintf(out->handoff, sizeof(out->handoff), "%s", store_pg_text(r, 0, 7));
    s->answer.read = true;
    if (!PQgetisnull(r, 0, 9)) {
        s->answer.turn_id = store_pg_int(r, 0, 9);
        snprintf(s->answer.msg_id, sizeof(s->answer.msg_id), "%s", store_pg_text(r, 0, 10));
        snprintf(s->answer.procedure, sizeof(s->answer.procedure), "%s", store_pg_text(r, 0, 11));
        s->answer.asks = strcmp(store_pg_text(r, 0, 12), "t") == 0;
    }
    return 0;
}

/* The de-duplication key; with an id held, also the session of a citizen
 * who has none, in the same statement (docs/scaling.md "A session's first
 * read"), so a first event costs what any other does. The session's INSERT
 * is a data-modifying WITH, run after the key's INSERT and in the
 * statement's one snapshot, taken before the key was written: it inserts
 * only for an event no committed batch has seen, so a redelivered event
 * never creates a session (after a forget or a purge, that would bring the
 * citizen's row back). Another node's batch that inserted the same
 * (channel, user) and has not committed makes it wait for that batch, then
 * do nothing: the lock and the read after it see that node's row, and
 * neither batch fails. The partial unique index (user_key IS NOT NULL) is
 * named with its predicate to be inferred. The row count is the key's. */
static const char key_sql[] = "INSERT INTO seen_event VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
static const char key_create_sql[] =
    "WITH s AS (INSERT INTO session (channel, user_key, token, created, last_seen, id) "
    "SELECT $1, $4, $5, $3, $3, $6 WHERE NOT EXISTS "
    "(SELECT 1 FROM seen_event WHERE channel = $1 AND event_id = $2) "
    "ON CONFLICT (channel, user_key) WHERE user_key IS NOT NULL DO NOTHING) "
    "INSERT INTO seen_event VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

int store_pg_webhook_event(struct store *st, const char *channel, const char *event_id,
                           const char *user, bool options, int64_t now_s,
                           struct store_webhook_read *out)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params key = {0}, who = {0}, what = {0};
    struct store_pg_link *l;
    char hk[STORE_USER_HKEY_MAX], token[SESSION_TOKEN_LEN + 1];
    long changed[3];
    bool held;
    int64_t id = 0;
    PGresult *r;
    int rc;

    /* an id held: the session is created with the reads if there is none
     * (the next block of ids, when asked for, is queued before them) */
    rc = store_pg_ids_take(pg, &id); /* opens the batch */
    if (rc == 0 && session_random_token(token)) {
        store_pg_ids_give_back(pg, id);
        rc = -ENOENT; /* no token: the caller's waited path says so */
    }
    if (rc != 0 && rc != -ENOENT)
        return -EIO;
    held = rc == 0;
    l = store_pg_batch_link(pg);
    if (!l)
        goto fail;
    store_privacy_user_key(st, channel, user, hk, sizeof hk); /* sessions and options: keyed */
    store_pg_param_text(&key, channel);
    store_pg_param_text(&key, event_id);
    store_pg_param_int(&key, now_s);
    store_pg_param_text(&who, channel);
    store_pg_param_text(&who, hk);
    what = who; /* text parameters only: their pointers stay valid in the copy */
    store_pg_param_text(&what, options ? "true" : "false");
    if (held) {
        store_pg_param_text(&key, hk);
        store_pg_param_text(&key, token);
        store_pg_param_int(&key, id);
    }
    /* the statements must go in one segment, whose answers are read together:
     * a queue too full to take them (a long delivery's outbox rows) goes first */
    if (store_pg_link_queued(l) > STORE_PG_QUEUE_MAX - 3 && store_pg_link_sync(l, NULL, 0))
        goto fail;
    if (store_pg_link_queue(l, held ? key_create_sql : key_sql, &key) ||
        store_pg_link_queue(l,
                            "SELECT 1 FROM session WHERE channel = $1 AND user_key = $2 "
                            "FOR UPDATE",
                            &who) ||
        store_pg_link_queue(l, read_sql, &what))
        goto fail;
    rc = store_pg_link_sync(l, changed, 3);
    r = store_pg_link_last(l);
    if (rc || !r || changed[0] < 0) {
        PQclear(r);
        goto fail;
    }
    rc = changed[0] == 0 ? 0 : take_row(r, user, out);
    PQclear(r);
    if (rc < 0) {
        store_webhook_read_fini(out);
        return rc;
    }
    if (held && changed[0] == 1 && out->found && out->session.id == id) {
        out->created = true; /* as session_create_user() makes it */
        out->session.resumed = false;
        out->session.handoff_none = true;
    } else if (held && changed[0] == 1) {
        /* a new event whose citizen had a session: the id is unused (a
         * redelivered one's may have been taken by a race: not given back) */
        store_pg_ids_give_back(pg, id);
    }
    return changed[0] == 0 ? 0 : 1;

fail:
    /* an id whose INSERT may have gone out is not given back: it may be used */
    return -EIO;
}

int store_pg_webhook_options_put(struct store *st, const char *channel, const char *user,
                                 const char *options_json)
{
    return store_pg_options_write(st, channel, user, options_json, true);
}
