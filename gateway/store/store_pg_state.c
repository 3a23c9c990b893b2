/* gateway/store/store_pg_state.c - what one conversation needs, on
 * PostgreSQL (store_pg.h): sessions, turn records, the resend key, webhook
 * de-duplication, numbered options and channel tokens (the outbox is
 * store_pg_outbox.c's). The statements are SQLite's (store_sqlite_turn.c,
 * _chan.c) in PostgreSQL's words; what differs is said where it does.
 *
 * Across nodes: a turn is a compare-and-swap on the session's version (the
 * UPDATE takes the row lock, so two nodes saving one session's turn wait on
 * each other and the second gets -EAGAIN); a de-duplication key is a
 * primary key (a node inserting a key another node's open batch holds waits
 * for that batch, then sees it). */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"

#define SESSION_COLS "id, token, channel, coalesce(user_key, ''), last_seen, state, version"

/* Fills s from row 0 of r (SESSION_COLS). Returns 0, -ENOENT or -ENOMEM. */
int store_pg_session_row(const PGresult *r, struct session *s)
{
    if (PQntuples(r) < 1)
        return -ENOENT;
    memset(s, 0, sizeof(*s));
    s->id = store_pg_int(r, 0, 0);
    snprintf(s->token, sizeof(s->token), "%s", store_pg_text(r, 0, 1));
    snprintf(s->channel, sizeof(s->channel), "%s", store_pg_text(r, 0, 2));
    snprintf(s->user_key, sizeof(s->user_key), "%s", store_pg_text(r, 0, 3));
    s->last_seen = store_pg_int(r, 0, 4);
    s->resumed = true;
    s->state = strdup(PQgetisnull(r, 0, 5) ? "{}" : PQgetvalue(r, 0, 5));
    s->version = store_pg_int(r, 0, 6);
    return s->state ? 0 : -ENOMEM;
}

/* Reads a session (sql: a SELECT of SESSION_COLS). Inside an open batch the
 * read takes the row's lock (FOR UPDATE), held until the batch commits: a
 * turn run on what was read then saves without losing the compare-and-swap
 * to another node meanwhile. That is the read of turn_with_retry() (router.c)
 * after a lost compare-and-swap (its unit opened the batch): without the lock
 * another node's next turn could change the row between the read and the
 * save again and again, and a busy session shared by two nodes failed after
 * GW_TURN_TRIES ("changed by another worker"). On SQLite the batch's write
 * lock keeps other processes out the same way. */
static int load_session(struct store *st, const char *sql, const struct store_pg_params *p,
                        struct session *s)
{
    struct store_pg *pg = store_pg_of(st);
    char locked[256];
    PGresult *r;
    int rc;

    if (store_pg_in_batch(pg) &&
        (size_t)snprintf(locked, sizeof locked, "%s FOR UPDATE", sql) < sizeof locked)
        sql = locked;
    r = store_pg_exec(pg, sql, p);

    if (!r)
        return -EIO;
    rc = store_pg_session_row(r, s);
    PQclear(r);
    return rc;
}

int store_pg_session_by_token(struct store *st, const char *token, struct session *s)
{
    struct store_pg_params p = {0};

    store_pg_param_text(&p, token);
    return load_session(st, "SELECT " SESSION_COLS " FROM session WHERE token = $1", &p, s);
}

int store_pg_session_by_user(struct store *st, const char *channel, const char *user_key,
                             struct session *s)
{
    struct store_pg_params p = {0};
    char hk[STORE_USER_HKEY_MAX];
    int rc;

    store_privacy_user_key(st, channel, user_key, hk, sizeof hk);
    store_pg_param_text(&p, channel);
    store_pg_param_text(&p, hk);
    rc = load_session(
        st, "SELECT " SESSION_COLS " FROM session WHERE channel = $1 AND user_key = $2", &p, s);
    if (!rc) /* in memory the clear id: replies and handoffs are sent to it */
        snprintf(s->user_key, sizeof(s->user_key), "%s", user_key);
    return rc;
}

/* A new session's row. With an id the handle holds (store_pg_ids.c) it is
 * queued in the batch like any write: no round trip waited for; it exists
 * once the batch commits, and what waits for that (the welcome frame, a
 * webhook's 200) waits for it too. Without one (the pool ran dry), the
 * database chooses the id and the loop waits for it, as before. A failure of
 * the queued INSERT fails the batch, as the waited one's did (a statement
 * that fails leaves the transaction in error either way). */
int store_pg_session_insert(struct store *st, struct session *s)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};
    char hk[STORE_USER_HKEY_MAX];
    int64_t id;
    PGresult *r;
    int rc;

    rc = store_pg_ids_take(pg, &id); /* opens the batch */
    if (rc != 0 && rc != -ENOENT)
        return -EIO;
    store_privacy_user_key(st, s->channel, s->user_key, hk, sizeof hk);
    store_pg_param_text(&p, s->token);
    store_pg_param_text(&p, s->channel);
    store_pg_param_text(&p, s->user_key[0] ? hk : NULL);
    store_pg_param_int(&p, s->last_seen);
    if (rc == 0) {
        store_pg_param_int(&p, id);
        if (store_pg_queue(pg,
                           "INSERT INTO session (token, channel, user_key, created, last_seen, id) "
                           "VALUES ($1, $2, $3, $4, $4, $5)",
                           &p))
            return -EIO;
        s->id = id;
        return 0;
    }
    r = store_pg_exec(pg,
                      "INSERT INTO session (token, channel, user_key, created, last_seen) "
                      "VALUES ($1, $2, $3, $4, $4) RETURNING id",
                      &p);
    if (!r)
        return -EIO;
    s->id = store_pg_int(r, 0, 0);
    PQclear(r);
    return 0;
}

/* Queues the INSERT of one turn record. */
static int turn_insert(struct store_pg *pg, const struct session *s, const char *hash,
                       const struct session_turn *t)
{
    struct store_pg_params p = {0};

    store_pg_param_int(&p, s->id);
    store_pg_param_int(&p, s->last_seen);
    store_pg_param_text(&p, s->channel);
    store_pg_param_text(&p, hash);
    store_pg_param_text(&p, t->role);
    store_pg_param_text(&p, t->text ? t->text : "");
    store_pg_param_text(&p, t->label);
    if (t->label)
        store_pg_param_double(&p, t->confidence);
    else
        store_pg_param_text(&p, NULL);
    store_pg_param_text(&p, t->decision);
    store_pg_param_text(&p, t->procedure);
    store_pg_param_int(&p, t->latency_us);
    store_pg_param_text(&p, t->msg_id);
    return store_pg_queue(pg,
                          "INSERT INTO turn (session_id, ts, channel, user_hash, role, text, "
                          "label, confidence, decision, procedure, latency_us, msg_id) VALUES "
                          "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                          &p);
}

#define TURN_RECORDS_MAX 8 /* records one turn saves (a message and its answer: 2) */

void store_pg_turn_hash(struct store *st, const struct session *s, char hash[17])
{
    session_user_hash(s, hash);
    if (s->user_key[0] && store_sqlite_idkey(st)->set) { /* keyed: the hash of the keyed id */
        char hk[STORE_USER_HKEY_MAX];

        store_privacy_user_key(st, s->channel, s->user_key, hk, sizeof hk);
        snprintf(hash, 17, "%.16s", hk + 2);
    }
}

/* One round trip: the unit's SAVEPOINT, the compare-and-swap and the records
 * go together in a pipeline, and the answers decide. The records are written
 * even when the compare-and-swap misses; the unit's rollback then undoes
 * them, which costs only on that rare path, while the common one saves the
 * round trip of asking first. */
int store_pg_turn_save(struct store *st, struct session *s, const struct session_turn *t, size_t n)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0}, x = {0};
    long changed[1 + TURN_RECORDS_MAX];
    const char *msg_id = store_turn_msg_id(t, n);
    char hash[17];
    size_t i;
    int rc = 0;
    PGresult *r;

    if (n > TURN_RECORDS_MAX)
        return -E2BIG;
    store_pg_turn_hash(st, s, hash);
    if (store_pg_unit_begin(pg))
        return -EIO;
    store_pg_param_int(&p, s->id);
    store_pg_param_text(&p, s->state ? s->state : "{}");
    store_pg_param_int(&p, s->last_seen);
    store_pg_param_int(&p, s->version);
    store_pg_param_text(&p, msg_id);
    /* compare-and-swap on the version, as on SQLite; the row lock taken
     * first orders two nodes (or two batches of this one) saving the same
     * session, and the UPDATE, a statement of its own, then sees what the
     * holder committed (store_pg_turn_lock()). The resend key is checked
     * here, not by a SELECT of its own before the turn: a message already
     * answered leaves the row unchanged (docs/scaling.md) */
    if (store_pg_turn_lock(pg, s->id) ||
        store_pg_queue(pg,
                       "UPDATE session SET state = $2, last_seen = $3, "
                       "version = version + 1 WHERE id = $1 AND version = $4 AND NOT EXISTS "
                       "(SELECT 1 FROM turn WHERE session_id = $1 AND msg_id = $5 "
                       "AND role = 'bot')",
                       &p))
        rc = -EIO;
    for (i = 0; i < n && !rc; i++)
        rc = turn_insert(pg, s, hash, &t[i]);
    if (!rc && store_pg_sync(pg, changed, (unsigned)n + 1) && changed[0] != 0)
        rc = -EIO;
    if (!rc && changed[0] != 1) {
        (void)store_pg_unit_end(pg, false); /* the records went in: undone */
        /* which condition missed: a statement of its own, so it sees what
         * another node committed while the UPDATE waited for the row lock */
        store_pg_param_int(&x, s->id);
        store_pg_param_text(&x, msg_id);
        r = store_pg_exec(pg,
                          "SELECT EXISTS (SELECT 1 FROM turn WHERE session_id = $1 "
                          "AND msg_id = $2 AND role = 'bot') FROM session WHERE id = $1",
                          &x);
        rc = !r || PQntuples(r) != 1                    ? -EIO
             : strcmp(store_pg_text(r, 0, 0), "t") == 0 ? -EALREADY
                                                        : -EAGAIN;
        PQclear(r);
        return rc;
    }
    if (store_pg_unit_end(pg, rc == 0))
        rc = -EIO;
    if (!rc) {
        s->version++;
        store_pg_count_turn(pg);
    }
    return rc;
}

int store_pg_history(struct store *st, int64_t session_id, unsigned max,
                     int (*fn)(void *ctx, const char *role, const char *text, int64_t ts,
                               const char *msg_id),
                     void *ctx)
{
    struct store_pg_params p = {0};
    PGresult *r;
    int i, out = 0;

    store_pg_param_int(&p, session_id);
    store_pg_param_int(&p, max);
    r = store_pg_exec(store_pg_of(st),
                      "SELECT role, text, ts, msg_id FROM (SELECT id, role, text, ts, msg_id "
                      "FROM turn WHERE session_id = $1 ORDER BY id DESC LIMIT $2) t ORDER BY id",
                      &p);
    if (!r)
        return -EIO;
    for (i = 0; i < PQntuples(r) && !out; i++)
        out = fn(ctx, store_pg_text(r, i, 0), store_pg_text(r, i, 1), store_pg_int(r, i, 2),
                 PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3));
    PQclear(r);
    return out;
}

/* Runs a query of one text column; its first row's value as new text, or NULL. */
static char *first_text(struct store *st, const char *sql, const struct store_pg_params *p)
{
    PGresult *r = store_pg_exec(store_pg_of(st), sql, p);
    char *text = NULL;

    if (r && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        text = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return text;
}

char *store_pg_find_reply(struct store *st, int64_t session_id, const char *msg_id)
{
    struct store_pg_params p = {0};

    store_pg_param_int(&p, session_id);
    store_pg_param_text(&p, msg_id);
    return first_text(st,
                      "SELECT text FROM turn WHERE session_id = $1 AND msg_id = $2 AND "
                      "role = 'bot' ORDER BY id DESC LIMIT 1",
                      &p);
}

int store_pg_event_first_time(struct store *st, const char *channel, const char *event_id,
                              int64_t now_s)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};
    long n;

    if (store_pg_batch(pg))
        return -EIO;
    store_pg_param_text(&p, channel);
    store_pg_param_text(&p, event_id);
    store_pg_param_int(&p, now_s);
    n = store_pg_change(pg, "INSERT INTO seen_event VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        &p);
    return n < 0 ? -EIO : n > 0 ? 1 : 0;
}

char *store_pg_options_get(struct store *st, const char *channel, const char *user)
{
    struct store_pg_params p = {0};
    char hk[STORE_USER_HKEY_MAX];

    store_privacy_user_key(st, channel, user, hk, sizeof hk);
    store_pg_param_text(&p, channel);
    store_pg_param_text(&p, hk);
    return first_text(st, "SELECT options FROM chan_options WHERE channel = $1 AND user_key = $2",
                      &p);
}

int store_pg_options_write(struct store *st, const char *channel, const char *user,
                           const char *options_json, bool queued)
{
    static const char sql[] = "INSERT INTO chan_options VALUES ($1, $2, $3) ON CONFLICT "
                              "(channel, user_key) DO UPDATE SET options = excluded.options";
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};
    char hk[STORE_USER_HKEY_MAX];

    if (store_pg_batch(pg))
        return -EIO;
    store_privacy_user_key(st, channel, user, hk, sizeof hk);
    store_pg_param_text(&p, channel);
    store_pg_param_text(&p, hk);
    store_pg_param_text(&p, options_json);
    if (queued)
        return store_pg_queue(pg, sql, &p) ? -EIO : 0;
    return store_pg_change(pg, sql, &p) < 0 ? -EIO : 0;
}

int store_pg_options_put(struct store *st, const char *channel, const char *user,
                         const char *options_json)
{
    return store_pg_options_write(st, channel, user, options_json, false);
}

int store_pg_token_get(struct store *st, const char *channel, char *access, size_t access_cap,
                       char *refresh, size_t refresh_cap)
{
    struct store_pg_params p = {0};
    PGresult *r;
    int rc;

    store_pg_param_text(&p, channel);
    r = store_pg_exec(store_pg_of(st),
                      "SELECT access_token, coalesce(refresh_token, '') FROM chan_token "
                      "WHERE channel = $1",
                      &p);
    if (!r)
        return -EIO;
    if (PQntuples(r) < 1)
        rc = -ENOENT;
    else if ((size_t)PQgetlength(r, 0, 0) >= access_cap ||
             (size_t)PQgetlength(r, 0, 1) >= refresh_cap)
        rc = -E2BIG;
    else {
        snprintf(access, access_cap, "%s", store_pg_text(r, 0, 0));
        snprintf(refresh, refresh_cap, "%s", store_pg_text(r, 0, 1));
        rc = 0;
    }
    PQclear(r);
    return rc;
}

int store_pg_token_put(struct store *st, const char *channel, const char *access,
                       const char *refresh, int64_t now_s)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};

    store_pg_param_text(&p, channel);
    store_pg_param_text(&p, access);
    store_pg_param_text(&p, refresh);
    store_pg_param_int(&p, now_s);
    return store_pg_change_alone(
               pg,
               "INSERT INTO chan_token VALUES ($1, $2, $3, $4) ON CONFLICT (channel) "
               "DO UPDATE SET access_token = excluded.access_token, "
               "refresh_token = excluded.refresh_token, updated = excluded.updated",
               &p) < 0
               ? -EIO
               : 0;
}
