/* gateway/store/store_handoff.c - the SQLite back-end of store.h's handoff and
 * feed functions (schema version 6, store_sqlite_schema.c). Every change is
 * one unit: the handoff row and its feed row together, or neither.
 *
 * Race-safety across worker processes: every state change is a conditional
 * UPDATE (... WHERE state = 'pending') whose changes() decides, run inside
 * the batch's BEGIN IMMEDIATE transaction, which holds the database's one
 * write lock: of two officers claiming at once on two processes, the second
 * UPDATE sees the first one's row and changes nothing (-EBUSY).
 *
 * Feed ids come from AUTOINCREMENT, so an id is never given twice, and,
 * writers being serialised by that lock, they become visible in id order.
 * PostgreSQL keeps both rules with its own means: store_pg_handoff.c. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_log.h"
#include "store_pg.h"

enum hq {
    HQ_GET,
    HQ_REQUEST,
    HQ_CLAIM,
    HQ_END_BY,
    HQ_END_ANY,
    HQ_LIST_PENDING,
    HQ_LIST_RECENT,
    HQ_MSG_ADD,
    HQ_MSG_FIND,
    HQ_MSG_LIST,
    HQ_CITIZEN_SEEN,
    HQ_FEED_ADD,
    HQ_FEED_SINCE,
    HQ_FEED_LAST,
    HQ_FEED_PRUNE,
    HQ_COUNT
};

#define HANDOFF_COLS                                                                               \
    "session_id, state, channel, user_key, procedure, locality, waiting_since, officer, updated, " \
    "last_citizen_ms"

static const char *const hsql[HQ_COUNT] = {
    [HQ_GET] = "SELECT " HANDOFF_COLS " FROM handoff WHERE session_id = ?1",
    /* only from "bot" or "closed": a second request while waiting changes nothing */
    [HQ_REQUEST] = "INSERT INTO handoff (" HANDOFF_COLS ") VALUES "
                   "(?1, 'pending', ?2, ?3, ?4, ?5, ?6, '', ?6, ?6 * 1000) "
                   "ON CONFLICT (session_id) DO UPDATE SET state = 'pending', "
                   "channel = excluded.channel, user_key = excluded.user_key, "
                   "procedure = excluded.procedure, locality = excluded.locality, "
                   "waiting_since = excluded.waiting_since, officer = '', "
                   "updated = excluded.updated, last_citizen_ms = excluded.last_citizen_ms "
                   "WHERE state IN ('bot', 'closed')",
    [HQ_CLAIM] = "UPDATE handoff SET state = 'officer', officer = ?2, updated = ?3 "
                 "WHERE session_id = ?1 AND state = 'pending'",
    [HQ_END_BY] = "UPDATE handoff SET state = ?3, updated = ?4 "
                  "WHERE session_id = ?1 AND state = 'officer' AND officer = ?2",
    [HQ_END_ANY] = "UPDATE handoff SET state = ?2, updated = ?3 "
                   "WHERE session_id = ?1 AND state IN ('pending', 'officer')",
    [HQ_LIST_PENDING] = "SELECT " HANDOFF_COLS " FROM handoff WHERE state = 'pending' "
                        "ORDER BY waiting_since, session_id LIMIT ?1",
    [HQ_LIST_RECENT] = "SELECT " HANDOFF_COLS " FROM handoff WHERE state = ?1 "
                       "ORDER BY updated DESC, session_id DESC LIMIT ?2",
    [HQ_MSG_ADD] = "INSERT INTO handoff_message (session_id, sender, officer, text, ts_ms, msg_id) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [HQ_MSG_FIND] = "SELECT id FROM handoff_message WHERE session_id = ?1 AND msg_id = ?2",
    [HQ_MSG_LIST] = "SELECT id, sender, officer, text, ts_ms FROM handoff_message "
                    "WHERE session_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    [HQ_CITIZEN_SEEN] = "UPDATE handoff SET last_citizen_ms = ?2 WHERE session_id = ?1",
    [HQ_FEED_ADD] = "INSERT INTO feed (kind, session_id, message_id, officer, ts_ms) "
                    "VALUES (?1, ?2, ?3, ?4, ?5)",
    [HQ_FEED_SINCE] = "SELECT id, kind, session_id, message_id, officer, ts_ms FROM feed "
                      "WHERE id > ?1 ORDER BY id LIMIT ?2",
    [HQ_FEED_LAST] = "SELECT coalesce(max(id), 0) FROM feed",
    [HQ_FEED_PRUNE] = "DELETE FROM feed WHERE ts_ms < ?1",
};

struct store_hq {
    sqlite3_stmt *q[HQ_COUNT];
};

struct store_hq *store_hq_open(sqlite3 *db)
{
    struct store_hq *hq = calloc(1, sizeof(*hq));
    int i;

    if (!hq)
        return NULL;
    for (i = 0; i < HQ_COUNT; i++)
        if (sqlite3_prepare_v3(db, hsql[i], -1, SQLITE_PREPARE_PERSISTENT, &hq->q[i], NULL) !=
            SQLITE_OK) {
            store_hq_free(hq);
            return NULL;
        }
    return hq;
}

void store_hq_free(struct store_hq *hq)
{
    int i;

    if (!hq)
        return;
    for (i = 0; i < HQ_COUNT; i++)
        sqlite3_finalize(hq->q[i]);
    free(hq);
}

/* NULL on PostgreSQL (no statements): every public function returns before using it there. */
static sqlite3_stmt *stmt(struct store *st, enum hq which)
{
    struct store_hq *hq = store_sqlite_hq(st);

    return hq ? hq->q[which] : NULL;
}

static void done(sqlite3_stmt *q)
{
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
}

/* Runs a bound statement to its end. Returns 0 or -EIO. */
static int run(struct store *st, enum hq which)
{
    sqlite3_stmt *q = stmt(st, which);
    int rc = sqlite3_step(q);

    done(q);
    if (rc == SQLITE_DONE)
        return 0;
    mc_log(MC_LOG_ERROR, "state.db", "hq=%d error=\"%s\"", (int)which,
           sqlite3_errmsg(store_sqlite_db(st)));
    return -EIO;
}

static int changes(struct store *st)
{
    return sqlite3_changes(store_sqlite_db(st));
}

static int bind_text(sqlite3_stmt *q, int i, const char *s)
{
    return sqlite3_bind_text(q, i, s ? s : "", -1, SQLITE_TRANSIENT);
}

static bool is_state(const char *s)
{
    return s && (strcmp(s, "bot") == 0 || strcmp(s, "pending") == 0 || strcmp(s, "officer") == 0 ||
                 strcmp(s, "closed") == 0);
}

/* Fills h from the current row (HANDOFF_COLS order). */
static void handoff_row(sqlite3_stmt *q, struct store_handoff *h)
{
    memset(h, 0, sizeof(*h));
    h->session_id = sqlite3_column_int64(q, 0);
    snprintf(h->state, sizeof(h->state), "%s", store_sqlite_text(q, 1));
    snprintf(h->channel, sizeof(h->channel), "%s", store_sqlite_text(q, 2));
    snprintf(h->user_key, sizeof(h->user_key), "%s", store_sqlite_text(q, 3));
    snprintf(h->procedure, sizeof(h->procedure), "%s", store_sqlite_text(q, 4));
    snprintf(h->locality, sizeof(h->locality), "%s", store_sqlite_text(q, 5));
    h->waiting_since = sqlite3_column_int64(q, 6);
    snprintf(h->officer, sizeof(h->officer), "%s", store_sqlite_text(q, 7));
    h->updated = sqlite3_column_int64(q, 8);
    h->last_citizen_ms = sqlite3_column_int64(q, 9);
}

int store_handoff_get(struct store *st, int64_t session_id, struct store_handoff *h)
{
    sqlite3_stmt *q = stmt(st, HQ_GET);
    int rc;

    if (store_pg_of(st))
        return store_pg_handoff_get(st, session_id, h);
    if (sqlite3_bind_int64(q, 1, session_id) != SQLITE_OK) {
        done(q);
        return -EIO;
    }
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        handoff_row(q, h);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        memset(h, 0, sizeof(*h));
        h->session_id = session_id;
        snprintf(h->state, sizeof(h->state), "bot");
        rc = 0;
    } else {
        rc = -EIO;
    }
    done(q);
    return rc;
}

/* Appends one feed row (inside the caller's unit). */
static int feed_add(struct store *st, const char *kind, int64_t session_id, int64_t message_id,
                    const char *officer, int64_t ts_ms)
{
    sqlite3_stmt *q = stmt(st, HQ_FEED_ADD);

    if ((bind_text(q, 1, kind) | sqlite3_bind_int64(q, 2, session_id) |
         sqlite3_bind_int64(q, 3, message_id) | bind_text(q, 4, officer) |
         sqlite3_bind_int64(q, 5, ts_ms)) != SQLITE_OK) {
        done(q);
        return -EIO;
    }
    return run(st, HQ_FEED_ADD);
}

/* Ends the unit opened for one change: kept when rc is 0, undone
 * otherwise. Returns rc, or -EIO when the unit itself failed. */
static int unit_end(struct store *st, int rc)
{
    if (store_unit_end(st, rc == 0))
        return -EIO;
    return rc;
}

int store_turn_queue_handoff(struct store *st, struct session *s, const struct session_turn *t,
                             size_t n, const struct store_handoff *h, int64_t now_s, uint64_t *save)
{
    /* SQLite's saves are local: its request and save stay one unit, waited for */
    return store_pg_of(st) ? store_pg_turn_queue_handoff(st, s, t, n, h, now_s, save) : -ENOTSUP;
}

int store_handoff_request(struct store *st, const struct store_handoff *h, int64_t now_s)
{
    sqlite3_stmt *q = stmt(st, HQ_REQUEST);
    int rc;

    if (store_pg_of(st))
        return store_pg_handoff_request(st, h, now_s);
    if (store_unit_begin(st))
        return -EIO;
    if ((sqlite3_bind_int64(q, 1, h->session_id) | bind_text(q, 2, h->channel) |
         bind_text(q, 3, h->user_key) | bind_text(q, 4, h->procedure) |
         bind_text(q, 5, h->locality) | sqlite3_bind_int64(q, 6, now_s)) != SQLITE_OK) {
        done(q);
        rc = -EIO;
    } else {
        rc = run(st, HQ_REQUEST);
    }
    if (!rc && changes(st) != 1)
        rc = -EALREADY; /* already waiting or held */
    if (!rc)
        rc = feed_add(st, "pending", h->session_id, 0, "", now_s * 1000);
    return unit_end(st, rc);
}

int store_handoff_claim(struct store *st, int64_t session_id, const char *officer, int64_t now_s)
{
    sqlite3_stmt *q = stmt(st, HQ_CLAIM);
    struct store_handoff h;
    int rc;

    if (store_pg_of(st))
        return store_pg_handoff_claim(st, session_id, officer, now_s);
    if (!officer || !officer[0])
        return -EINVAL;
    if (store_unit_begin(st))
        return -EIO;
    if ((sqlite3_bind_int64(q, 1, session_id) | bind_text(q, 2, officer) |
         sqlite3_bind_int64(q, 3, now_s)) != SQLITE_OK) {
        done(q);
        rc = -EIO;
    } else {
        rc = run(st, HQ_CLAIM);
    }
    if (!rc && changes(st) == 1) {
        rc = feed_add(st, "claimed", session_id, 0, officer, now_s * 1000);
    } else if (!rc) {
        /* not pending any more: held by this officer already, another, or no one */
        rc = store_handoff_get(st, session_id, &h);
        if (!rc && strcmp(h.state, "officer") == 0)
            rc = strcmp(h.officer, officer) == 0 ? 0 : -EBUSY;
        else if (!rc)
            rc = -ENOENT;
    }
    return unit_end(st, rc);
}

int store_handoff_end(struct store *st, int64_t session_id, const char *officer, const char *to,
                      int64_t now_s)
{
    sqlite3_stmt *q;
    struct store_handoff h;
    const char *kind;
    int rc;

    if (store_pg_of(st))
        return store_pg_handoff_end(st, session_id, officer, to, now_s);
    if (!to || (strcmp(to, "bot") != 0 && strcmp(to, "closed") != 0))
        return -EINVAL;
    kind = !officer ? "cancelled" : strcmp(to, "bot") == 0 ? "released" : "closed";
    if (store_unit_begin(st))
        return -EIO;
    rc = store_handoff_get(st, session_id, &h); /* for the feed: who held it */
    q = stmt(st, officer ? HQ_END_BY : HQ_END_ANY);
    if (!rc && officer) {
        if ((sqlite3_bind_int64(q, 1, session_id) | bind_text(q, 2, officer) | bind_text(q, 3, to) |
             sqlite3_bind_int64(q, 4, now_s)) != SQLITE_OK) {
            done(q);
            rc = -EIO;
        } else {
            rc = run(st, HQ_END_BY);
        }
    } else if (!rc) {
        if ((sqlite3_bind_int64(q, 1, session_id) | bind_text(q, 2, to) |
             sqlite3_bind_int64(q, 3, now_s)) != SQLITE_OK) {
            done(q);
            rc = -EIO;
        } else {
            rc = run(st, HQ_END_ANY);
        }
    }
    if (!rc && changes(st) != 1)
        rc = officer && strcmp(h.state, "officer") == 0 ? -EPERM : -ENOENT;
    if (!rc)
        rc = feed_add(st, kind, session_id, 0, officer ? officer : h.officer, now_s * 1000);
    return unit_end(st, rc);
}

int store_handoff_list(struct store *st, const char *state, unsigned max,
                       int (*fn)(void *ctx, const struct store_handoff *h), void *ctx)
{
    bool pending = state && strcmp(state, "pending") == 0;
    sqlite3_stmt *q = stmt(st, pending ? HQ_LIST_PENDING : HQ_LIST_RECENT);
    struct store_handoff h;
    int rc, out = 0;

    if (store_pg_of(st))
        return store_pg_handoff_list(st, state, max, fn, ctx);
    if (!is_state(state))
        return -EINVAL;
    if ((pending ? sqlite3_bind_int64(q, 1, max)
                 : (bind_text(q, 1, state) | sqlite3_bind_int64(q, 2, max))) != SQLITE_OK) {
        done(q);
        return -EIO;
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        handoff_row(q, &h);
        out = fn(ctx, &h);
        if (out)
            break;
    }
    if (!out && rc != SQLITE_DONE)
        out = -EIO;
    done(q);
    return out;
}

/* The message with client id msg_id in session_id: 1 (its id in *id), 0
 * none, or -EIO. */
static int msg_find(struct store *st, int64_t session_id, const char *msg_id, int64_t *id)
{
    sqlite3_stmt *q = stmt(st, HQ_MSG_FIND);
    int rc;

    if ((sqlite3_bind_int64(q, 1, session_id) | bind_text(q, 2, msg_id)) != SQLITE_OK) {
        done(q);
        return -EIO;
    }
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW && id)
        *id = sqlite3_column_int64(q, 0);
    done(q);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}

/* One message, its feed row and, for a citizen, the time of their last
 * message, as one unit. */
static int msg_add(struct store *st, int64_t session_id, const char *from, const char *officer,
                   const char *text, const char *msg_id, int64_t now_ms, int64_t *id)
{
    sqlite3_stmt *q = stmt(st, HQ_MSG_ADD), *seen = stmt(st, HQ_CITIZEN_SEEN);
    bool citizen = from && strcmp(from, "citizen") == 0;
    int64_t mid = 0;
    int rc;

    if (!text || !from ||
        (!citizen && strcmp(from, "officer") != 0 && strcmp(from, "system") != 0) ||
        (strcmp(from, "officer") == 0 && (!officer || !officer[0])))
        return -EINVAL;
    if (store_unit_begin(st))
        return -EIO;
    if ((sqlite3_bind_int64(q, 1, session_id) | bind_text(q, 2, from) |
         bind_text(q, 3, officer && !citizen ? officer : "") | bind_text(q, 4, text) |
         sqlite3_bind_int64(q, 5, now_ms) |
         (msg_id ? bind_text(q, 6, msg_id) : sqlite3_bind_null(q, 6))) != SQLITE_OK) {
        done(q);
        rc = -EIO;
    } else {
        rc = run(st, HQ_MSG_ADD);
    }
    if (!rc)
        mid = sqlite3_last_insert_rowid(store_sqlite_db(st));
    if (!rc && citizen) {
        if ((sqlite3_bind_int64(seen, 1, session_id) | sqlite3_bind_int64(seen, 2, now_ms)) !=
            SQLITE_OK) {
            done(seen);
            rc = -EIO;
        } else {
            rc = run(st, HQ_CITIZEN_SEEN);
        }
    }
    if (!rc)
        rc = feed_add(st, "message", session_id, mid, citizen ? "" : officer, now_ms);
    rc = unit_end(st, rc);
    if (!rc && id)
        *id = mid;
    return rc;
}

int store_handoff_message_add(struct store *st, int64_t session_id, const char *from,
                              const char *officer, const char *text, int64_t now_ms, int64_t *id)
{
    if (store_pg_of(st))
        return store_pg_handoff_message_add(st, session_id, from, officer, text, now_ms, id);
    return msg_add(st, session_id, from, officer, text, NULL, now_ms, id);
}

int store_handoff_citizen_add(struct store *st, int64_t session_id, const char *text,
                              const char *msg_id, int64_t now_ms, int64_t *id)
{
    int rc;

    if (store_pg_of(st))
        return store_pg_handoff_citizen_add(st, session_id, text, msg_id, now_ms, id);
    rc = msg_id ? msg_find(st, session_id, msg_id, id) : 0;
    if (rc < 0)
        return rc;
    if (rc == 1)
        return -EEXIST; /* a resend: stored once */
    return msg_add(st, session_id, "citizen", NULL, text, msg_id, now_ms, id);
}

int store_handoff_messages(struct store *st, int64_t session_id, int64_t after_id, unsigned max,
                           int (*fn)(void *ctx, int64_t id, const char *from, const char *officer,
                                     const char *text, int64_t ts_ms),
                           void *ctx)
{
    sqlite3_stmt *q = stmt(st, HQ_MSG_LIST);
    int rc, out = 0;

    if (store_pg_of(st))
        return store_pg_handoff_messages(st, session_id, after_id, max, fn, ctx);
    if ((sqlite3_bind_int64(q, 1, session_id) | sqlite3_bind_int64(q, 2, after_id) |
         sqlite3_bind_int64(q, 3, max)) != SQLITE_OK) {
        done(q);
        return -EIO;
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        out = fn(ctx, sqlite3_column_int64(q, 0), store_sqlite_text(q, 1), store_sqlite_text(q, 2),
                 store_sqlite_text(q, 3), sqlite3_column_int64(q, 4));
        if (out)
            break;
    }
    if (!out && rc != SQLITE_DONE)
        out = -EIO;
    done(q);
    return out;
}

int store_feed_since(struct store *st, int64_t after_id, unsigned max,
                     int (*fn)(void *ctx, int64_t id, const char *kind, int64_t session_id,
                               int64_t message_id, const char *officer, int64_t ts_ms),
                     void *ctx)
{
    sqlite3_stmt *q = stmt(st, HQ_FEED_SINCE);
    int rc, out = 0;

    if (store_pg_of(st))
        return store_pg_feed_since(st, after_id, max, fn, ctx);
    if ((sqlite3_bind_int64(q, 1, after_id) | sqlite3_bind_int64(q, 2, max)) != SQLITE_OK) {
        done(q);
        return -EIO;
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        out =
            fn(ctx, sqlite3_column_int64(q, 0), store_sqlite_text(q, 1), sqlite3_column_int64(q, 2),
               sqlite3_column_int64(q, 3), store_sqlite_text(q, 4), sqlite3_column_int64(q, 5));
        if (out)
            break;
    }
    if (!out && rc != SQLITE_DONE)
        out = -EIO;
    done(q);
    return out;
}

int store_feed_last(struct store *st, int64_t *id)
{
    sqlite3_stmt *q = stmt(st, HQ_FEED_LAST);
    int rc;

    if (store_pg_of(st))
        return store_pg_feed_last(st, id);
    rc = sqlite3_step(q);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    done(q);
    return rc == SQLITE_ROW ? 0 : -EIO;
}

int store_feed_prune(struct store *st, int64_t before_ms)
{
    sqlite3_stmt *q = stmt(st, HQ_FEED_PRUNE);

    if (store_pg_of(st))
        return store_pg_feed_prune(st, before_ms);
    if (store_unit_begin(st))
        return -EIO;
    if (sqlite3_bind_int64(q, 1, before_ms) != SQLITE_OK) {
        done(q);
        return unit_end(st, -EIO);
    }
    return unit_end(st, run(st, HQ_FEED_PRUNE));
}
