/* gateway/store/store_pg_handoff.c - the handoff queue, its transcript and
 * the feed on PostgreSQL (store_pg.h): store_handoff.c's statements, same
 * returns, same feed rows. Every change is one unit: the handoff row and its
 * feed row together, or neither.
 *
 * A claim is exclusive across nodes as on SQLite: the state change is a
 * conditional UPDATE (... WHERE state = 'pending') whose row count decides.
 * Under READ COMMITTED an UPDATE that meets a row another node's open batch
 * changed waits for that batch, then evaluates its WHERE on the committed
 * row: of two officers claiming at once on two nodes, the second changes
 * nothing and gets -EBUSY.
 *
 * The feed is read by id (store_feed_since(), a cursor per node). On SQLite
 * writers are serialised by the database's one write lock, so ids become
 * visible in id order. Identity values are not: a batch that took id 10 and
 * commits after another that took 11 would be skipped by a node that read 11
 * meanwhile. So every unit that appends a feed row (or a handoff message,
 * whose ids officers' pages read the same way) first takes the feed lock, a
 * transaction-level advisory lock held until its batch commits (at the end
 * of the loop's pass) and released at once if the unit is undone: feed and
 * message ids are taken, and committed, in one order across all nodes.
 * Taking it first, before any handoff row, keeps one lock order between
 * these functions; a cycle with another table's row lock (a turn of the
 * same session saved on two nodes in one pass) is broken by PostgreSQL's
 * deadlock detector, which fails that one unit (-EIO), not the batch. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store_pg.h"

/* pg_advisory_xact_lock(int, int) keys: "motcua" in ASCII (the migrations'
 * key, in the other key space) and 6, the schema version of the feed */
#define FEED_LOCK "SELECT pg_advisory_xact_lock(1836020853, 6)"

#define HANDOFF_COLS STORE_PG_HANDOFF_COLS

/* NULL reaches a NOT NULL column as "", as SQLite's bind_text */
static void param_text(struct store_pg_params *p, const char *s)
{
    store_pg_param_text(p, s ? s : "");
}

static bool is_state(const char *s)
{
    return s && (strcmp(s, "bot") == 0 || strcmp(s, "pending") == 0 || strcmp(s, "officer") == 0 ||
                 strcmp(s, "closed") == 0);
}

/* Ends the unit opened for one change: kept when rc is 0, undone
 * otherwise. Returns rc, or -EIO when the unit itself failed. */
static int unit_end(struct store_pg *pg, int rc)
{
    if (store_pg_unit_end(pg, rc == 0))
        return -EIO;
    return rc;
}

/* Opens the unit of one change and takes the feed lock in it. 0 or -EIO. */
static int unit_begin(struct store_pg *pg)
{
    if (store_pg_unit_begin(pg))
        return -EIO;
    if (store_pg_change(pg, FEED_LOCK, NULL) < 0)
        return unit_end(pg, -EIO);
    return 0;
}

int store_pg_feed_lock_queue(struct store_pg *pg)
{
    return store_pg_queue(pg, FEED_LOCK, NULL) ? -EIO : 0;
}

/* Fills h from row i of r (HANDOFF_COLS order). */
static void handoff_row(const PGresult *r, int i, struct store_handoff *h)
{
    memset(h, 0, sizeof(*h));
    h->session_id = store_pg_int(r, i, 0);
    snprintf(h->state, sizeof(h->state), "%s", store_pg_text(r, i, 1));
    snprintf(h->channel, sizeof(h->channel), "%s", store_pg_text(r, i, 2));
    snprintf(h->user_key, sizeof(h->user_key), "%s", store_pg_text(r, i, 3));
    snprintf(h->procedure, sizeof(h->procedure), "%s", store_pg_text(r, i, 4));
    snprintf(h->locality, sizeof(h->locality), "%s", store_pg_text(r, i, 5));
    h->waiting_since = store_pg_int(r, i, 6);
    snprintf(h->officer, sizeof(h->officer), "%s", store_pg_text(r, i, 7));
    h->updated = store_pg_int(r, i, 8);
    h->last_citizen_ms = store_pg_int(r, i, 9);
}

int store_pg_handoff_get(struct store *st, int64_t session_id, struct store_handoff *h)
{
    struct store_pg_params p = {0};
    PGresult *r;

    store_pg_param_int(&p, session_id);
    r = store_pg_exec(store_pg_of(st), "SELECT " HANDOFF_COLS " FROM handoff WHERE session_id = $1",
                      &p);
    if (!r)
        return -EIO;
    if (PQntuples(r) == 1) {
        handoff_row(r, 0, h);
    } else {
        memset(h, 0, sizeof(*h));
        h->session_id = session_id;
        snprintf(h->state, sizeof(h->state), "bot");
    }
    PQclear(r);
    return 0;
}

/* Appends one feed row (inside the caller's unit, under the feed lock). */
static int feed_add(struct store_pg *pg, const char *kind, int64_t session_id, int64_t message_id,
                    const char *officer, int64_t ts_ms)
{
    struct store_pg_params p = {0};

    param_text(&p, kind);
    store_pg_param_int(&p, session_id);
    store_pg_param_int(&p, message_id);
    param_text(&p, officer);
    store_pg_param_int(&p, ts_ms);
    /* the notification is part of the row's transaction: delivered to the other nodes when
     * it commits, dropped with the unit if it is undone (store_pg_listen.c) */
    return store_pg_change(pg,
                           "WITH f AS (INSERT INTO feed (kind, session_id, message_id, officer, "
                           "ts_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id) "
                           "SELECT pg_notify('" STORE_PG_CHANNEL_FEED "', '') FROM f",
                           &p) == 1
               ? 0
               : -EIO;
}

int store_pg_handoff_request(struct store *st, const struct store_handoff *h, int64_t now_s)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};
    long n;
    int rc;

    if (unit_begin(pg))
        return -EIO;
    store_pg_param_int(&p, h->session_id);
    param_text(&p, h->channel);
    param_text(&p, h->user_key);
    param_text(&p, h->procedure);
    param_text(&p, h->locality);
    store_pg_param_int(&p, now_s);
    /* only from "bot" or "closed": a second request while waiting changes nothing */
    n = store_pg_change(pg,
                        "INSERT INTO handoff (" HANDOFF_COLS ") VALUES "
                        "($1, 'pending', $2, $3, $4, $5, $6::bigint, '', $6::bigint, $6::bigint * "
                        "1000) " STORE_PG_HANDOFF_REQUEST_CONFLICT,
                        &p);
    rc = n < 0 ? -EIO : n != 1 ? -EALREADY : 0; /* already waiting or held */
    if (!rc)
        rc = feed_add(pg, "pending", h->session_id, 0, "", now_s * 1000);
    return unit_end(pg, rc);
}

int store_pg_handoff_claim(struct store *st, int64_t session_id, const char *officer, int64_t now_s)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};
    struct store_handoff h;
    long n;
    int rc;

    if (!officer || !officer[0])
        return -EINVAL;
    if (unit_begin(pg))
        return -EIO;
    store_pg_param_int(&p, session_id);
    store_pg_param_text(&p, officer);
    store_pg_param_int(&p, now_s);
    n = store_pg_change(pg,
                        "UPDATE handoff SET state = 'officer', officer = $2, updated = $3 "
                        "WHERE session_id = $1 AND state = 'pending'",
                        &p);
    rc = n < 0 ? -EIO : 0;
    if (n == 1) {
        rc = feed_add(pg, "claimed", session_id, 0, officer, now_s * 1000);
    } else if (!rc) {
        /* not pending any more: held by this officer already, another, or no one */
        rc = store_pg_handoff_get(st, session_id, &h);
        if (!rc && strcmp(h.state, "officer") == 0)
            rc = strcmp(h.officer, officer) == 0 ? 0 : -EBUSY;
        else if (!rc)
            rc = -ENOENT;
    }
    return unit_end(pg, rc);
}

int store_pg_handoff_end(struct store *st, int64_t session_id, const char *officer, const char *to,
                         int64_t now_s)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};
    struct store_handoff h;
    const char *kind;
    long n = 0;
    int rc;

    if (!to || (strcmp(to, "bot") != 0 && strcmp(to, "closed") != 0))
        return -EINVAL;
    kind = !officer ? "cancelled" : strcmp(to, "bot") == 0 ? "released" : "closed";
    if (unit_begin(pg))
        return -EIO;
    rc = store_pg_handoff_get(st, session_id, &h); /* for the feed: who held it */
    store_pg_param_int(&p, session_id);
    store_pg_param_text(&p, to);
    store_pg_param_int(&p, now_s);
    if (!rc && officer) {
        store_pg_param_text(&p, officer);
        n = store_pg_change(pg,
                            "UPDATE handoff SET state = $2, updated = $3 "
                            "WHERE session_id = $1 AND state = 'officer' AND officer = $4",
                            &p);
    } else if (!rc) {
        n = store_pg_change(pg,
                            "UPDATE handoff SET state = $2, updated = $3 "
                            "WHERE session_id = $1 AND state IN ('pending', 'officer')",
                            &p);
    }
    if (!rc && n < 0)
        rc = -EIO;
    else if (!rc && n != 1)
        rc = officer && strcmp(h.state, "officer") == 0 ? -EPERM : -ENOENT;
    if (!rc)
        rc = feed_add(pg, kind, session_id, 0, officer ? officer : h.officer, now_s * 1000);
    return unit_end(pg, rc);
}

int store_pg_handoff_list(struct store *st, const char *state, unsigned max,
                          int (*fn)(void *ctx, const struct store_handoff *h), void *ctx)
{
    struct store_pg_params p = {0};
    struct store_handoff h;
    PGresult *r;
    int i, out = 0;

    if (!is_state(state))
        return -EINVAL;
    if (strcmp(state, "pending") == 0) {
        store_pg_param_int(&p, max);
        r = store_pg_exec(store_pg_of(st),
                          "SELECT " HANDOFF_COLS " FROM handoff WHERE state = 'pending' "
                          "ORDER BY waiting_since, session_id LIMIT $1",
                          &p);
    } else {
        store_pg_param_text(&p, state);
        store_pg_param_int(&p, max);
        r = store_pg_exec(store_pg_of(st),
                          "SELECT " HANDOFF_COLS " FROM handoff WHERE state = $1 "
                          "ORDER BY updated DESC, session_id DESC LIMIT $2",
                          &p);
    }
    if (!r)
        return -EIO;
    for (i = 0; i < PQntuples(r) && !out; i++) {
        handoff_row(r, i, &h);
        out = fn(ctx, &h);
    }
    PQclear(r);
    return out;
}

/* The message with client id msg_id in session_id: 1 (its id in *id), 0
 * none, or -EIO. */
static int msg_find(struct store_pg *pg, int64_t session_id, const char *msg_id, int64_t *id)
{
    struct store_pg_params p = {0};
    PGresult *r;
    int rc;

    store_pg_param_int(&p, session_id);
    store_pg_param_text(&p, msg_id);
    r = store_pg_exec(pg, "SELECT id FROM handoff_message WHERE session_id = $1 AND msg_id = $2",
                      &p);
    if (!r)
        return -EIO;
    rc = PQntuples(r) > 0;
    if (rc && id)
        *id = store_pg_int(r, 0, 0);
    PQclear(r);
    return rc;
}

static bool msg_valid(const char *from, const char *officer, const char *text)
{
    return text && from &&
           (strcmp(from, "citizen") == 0 || strcmp(from, "system") == 0 ||
            (strcmp(from, "officer") == 0 && officer && officer[0]));
}

/* One message, its feed row and, for a citizen, the time of their last
 * message, inside the caller's unit (under the feed lock). *mid: its id. */
static int msg_insert(struct store_pg *pg, int64_t session_id, const char *from,
                      const char *officer, const char *text, const char *msg_id, int64_t now_ms,
                      int64_t *mid)
{
    bool citizen = strcmp(from, "citizen") == 0;
    struct store_pg_params p = {0};
    PGresult *r;
    int rc;

    store_pg_param_int(&p, session_id);
    store_pg_param_text(&p, from);
    param_text(&p, officer && !citizen ? officer : "");
    store_pg_param_text(&p, text);
    store_pg_param_int(&p, now_ms);
    store_pg_param_text(&p, msg_id); /* NULL: none */
    r = store_pg_exec(pg,
                      "INSERT INTO handoff_message (session_id, sender, officer, text, ts_ms, "
                      "msg_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                      &p);
    rc = r && PQntuples(r) == 1 ? 0 : -EIO;
    if (!rc)
        *mid = store_pg_int(r, 0, 0);
    PQclear(r);
    if (!rc && citizen) {
        memset(&p, 0, sizeof(p));
        store_pg_param_int(&p, session_id);
        store_pg_param_int(&p, now_ms);
        if (store_pg_change(pg, "UPDATE handoff SET last_citizen_ms = $2 WHERE session_id = $1",
                            &p) < 0)
            rc = -EIO;
    }
    if (!rc)
        rc = feed_add(pg, "message", session_id, *mid, citizen ? "" : officer, now_ms);
    return rc;
}

int store_pg_handoff_message_add(struct store *st, int64_t session_id, const char *from,
                                 const char *officer, const char *text, int64_t now_ms, int64_t *id)
{
    struct store_pg *pg = store_pg_of(st);
    int64_t mid = 0;
    int rc;

    if (!msg_valid(from, officer, text))
        return -EINVAL;
    if (unit_begin(pg))
        return -EIO;
    rc = unit_end(pg, msg_insert(pg, session_id, from, officer, text, NULL, now_ms, &mid));
    if (!rc && id)
        *id = mid;
    return rc;
}

int store_pg_handoff_citizen_add(struct store *st, int64_t session_id, const char *text,
                                 const char *msg_id, int64_t now_ms, int64_t *id)
{
    struct store_pg *pg = store_pg_of(st);
    int64_t mid = 0;
    int rc;

    /* the look-up under the feed lock too: a resend landing on two nodes at
     * once is stored once, the second node waits and finds it (-EEXIST) */
    if (unit_begin(pg))
        return -EIO;
    rc = msg_id ? msg_find(pg, session_id, msg_id, id) : 0;
    if (rc == 1)
        rc = -EEXIST; /* a resend: stored once */
    else if (!rc && !msg_valid("citizen", NULL, text))
        rc = -EINVAL;
    else if (!rc)
        rc = msg_insert(pg, session_id, "citizen", NULL, text, msg_id, now_ms, &mid);
    rc = unit_end(pg, rc);
    if (!rc && id)
        *id = mid;
    return rc;
}

int store_pg_handoff_messages(struct store *st, int64_t session_id, int64_t after_id, unsigned max,
                              int (*fn)(void *ctx, int64_t id, const char *from,
                                        const char *officer, const char *text, int64_t ts_ms),
                              void *ctx)
{
    struct store_pg_params p = {0};
    PGresult *r;
    int i, out = 0;

    store_pg_param_int(&p, session_id);
    store_pg_param_int(&p, after_id);
    store_pg_param_int(&p, max);
    r = store_pg_exec(store_pg_of(st),
                      "SELECT id, sender, officer, text, ts_ms FROM handoff_message "
                      "WHERE session_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                      &p);
    if (!r)
        return -EIO;
    for (i = 0; i < PQntuples(r) && !out; i++)
        out = fn(ctx, store_pg_int(r, i, 0), store_pg_text(r, i, 1), store_pg_text(r, i, 2),
                 store_pg_text(r, i, 3), store_pg_int(r, i, 4));
    PQclear(r);
    return out;
}

int store_pg_feed_since(struct store *st, int64_t after_id, unsigned max,
                        int (*fn)(void *ctx, int64_t id, const char *kind, int64_t session_id,
                                  int64_t message_id, const char *officer, int64_t ts_ms),
                        void *ctx)
{
    struct store_pg_params p = {0};
    PGresult *r;
    int i, out = 0;

    store_pg_param_int(&p, after_id);
    store_pg_param_int(&p, max);
    r = store_pg_exec(store_pg_of(st),
                      "SELECT id, kind, session_id, message_id, officer, ts_ms FROM feed "
                      "WHERE id > $1 ORDER BY id LIMIT $2",
                      &p);
    if (!r)
        return -EIO;
    for (i = 0; i < PQntuples(r) && !out; i++)
        out = fn(ctx, store_pg_int(r, i, 0), store_pg_text(r, i, 1), store_pg_int(r, i, 2),
                 store_pg_int(r, i, 3), store_pg_text(r, i, 4), store_pg_int(r, i, 5));
    PQclear(r);
    return out;
}

int store_pg_feed_last(struct store *st, int64_t *id)
{
    PGresult *r = store_pg_exec(store_pg_of(st), "SELECT coalesce(max(id), 0) FROM feed", NULL);
    int rc = r && PQntuples(r) == 1 ? 0 : -EIO;

    *id = rc ? 0 : store_pg_int(r, 0, 0);
    PQclear(r);
    return rc;
}

int store_pg_feed_prune(struct store *st, int64_t before_ms)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};

    if (store_pg_unit_begin(pg))
        return -EIO;
    store_pg_param_int(&p, before_ms);
    return unit_end(pg,
                    store_pg_change(pg, "DELETE FROM feed WHERE ts_ms < $1", &p) < 0 ? -EIO : 0);
}
