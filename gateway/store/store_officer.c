/* gateway/store/store_officer.c - the officers' accounts, their sessions and
 * the audit log on SQLite (store.h, "officers"); store_pg_officer.c is the
 * same on PostgreSQL. Its statements are prepared once with the others at
 * store_open() (store_oq_open()) and kept until store_free(). */
#include "store_sqlite_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_log.h"
#include "store_pg.h"

enum officer_q {
    Q_OFFICER_ADD,
    Q_OFFICER_GET,
    Q_OFFICER_SET_HASH,
    Q_OFFICER_DISABLE,
    Q_OFFICER_END_ALL,
    Q_OFFICER_LIST,
    Q_OSESSION_ADD,
    Q_OSESSION_GET,
    Q_OSESSION_END,
    Q_OSESSION_EXPIRE,
    Q_AUDIT_ADD,
    Q_AUDIT_FAIL_USER,
    Q_AUDIT_FAIL_IP,
    Q_AUDIT_LIST,
    OQ_COUNT
};

#define OFFICER_COLS "username, name, role, unit, hash, disabled, created"

static const char *const sql[OQ_COUNT] = {
    [Q_OFFICER_ADD] = "INSERT OR IGNORE INTO officer (username, name, role, unit, hash, created) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_OFFICER_GET] = "SELECT " OFFICER_COLS " FROM officer WHERE username = ?1",
    [Q_OFFICER_SET_HASH] = "UPDATE officer SET hash = ?2 WHERE username = ?1",
    [Q_OFFICER_DISABLE] = "UPDATE officer SET disabled = 1 WHERE username = ?1",
    [Q_OFFICER_END_ALL] = "DELETE FROM officer_session WHERE username = ?1",
    [Q_OFFICER_LIST] = "SELECT " OFFICER_COLS " FROM officer ORDER BY username",
    [Q_OSESSION_ADD] = "INSERT INTO officer_session VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_OSESSION_GET] = "SELECT o.username, o.name, o.role, o.unit, '', o.disabled, o.created, "
                       "s.csrf FROM officer_session s JOIN officer o ON o.username = s.username "
                       "WHERE s.token_hash = ?1 AND s.expires > ?2 AND o.disabled = 0",
    [Q_OSESSION_END] = "DELETE FROM officer_session WHERE token_hash = ?1",
    [Q_OSESSION_EXPIRE] = "DELETE FROM officer_session WHERE expires <= ?1",
    [Q_AUDIT_ADD] = "INSERT INTO audit (ts, username, action, conversation, ip, detail) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_AUDIT_FAIL_USER] = "SELECT count(*), coalesce(max(ts), 0) FROM audit "
                          "WHERE action = 'login_failed' AND username = ?1 AND ts >= ?2",
    [Q_AUDIT_FAIL_IP] = "SELECT count(*), coalesce(max(ts), 0) FROM audit "
                        "WHERE action = 'login_failed' AND ip = ?1 AND ts >= ?2",
    [Q_AUDIT_LIST] = "SELECT ts, username, action, conversation, ip, detail FROM (SELECT * FROM "
                     "audit ORDER BY id DESC LIMIT ?1) ORDER BY id",
};

struct store_oq {
    sqlite3_stmt *q[OQ_COUNT];
};

struct store_oq *store_oq_open(sqlite3 *db)
{
    struct store_oq *oq = calloc(1, sizeof(*oq));
    int i;

    if (!oq)
        return NULL;
    for (i = 0; i < OQ_COUNT; i++)
        if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &oq->q[i], NULL) !=
            SQLITE_OK) {
            store_oq_free(oq);
            return NULL;
        }
    return oq;
}

void store_oq_free(struct store_oq *oq)
{
    int i;

    if (!oq)
        return;
    for (i = 0; i < OQ_COUNT; i++)
        sqlite3_finalize(oq->q[i]);
    free(oq);
}

/* Statement q of st, or NULL on PostgreSQL (no SQLite connection): taken in
 * declarations, before each function hands PostgreSQL to its own version. */
static sqlite3_stmt *stmt(struct store *st, enum officer_q q)
{
    struct store_oq *oq = store_sqlite_oq(st);

    return oq ? oq->q[q] : NULL;
}

/* Runs statement q to its end. Returns 0 or -EIO. */
static int orun(struct store *st, enum officer_q q)
{
    sqlite3_stmt *s = stmt(st, q);
    int rc = sqlite3_step(s);

    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc == SQLITE_DONE)
        return 0;
    mc_log(MC_LOG_ERROR, "state.db", "q=officer.%d error=\"%s\"", (int)q,
           sqlite3_errmsg(store_sqlite_db(st)));
    return -EIO;
}

/* ---- officers ------------------------------------------------------------ */

/* Whether s is NUL-terminated within its array of cap bytes. */
static bool fits(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

int store_officer_add(struct store *st, const struct store_officer *o)
{
    sqlite3_stmt *q = stmt(st, Q_OFFICER_ADD);

    if (store_pg_of(st))
        return store_pg_officer_add(st, o);
    if (!fits(o->username, sizeof(o->username)) || !fits(o->name, sizeof(o->name)) ||
        !fits(o->role, sizeof(o->role)) || !fits(o->unit, sizeof(o->unit)) ||
        !fits(o->hash, sizeof(o->hash)))
        return -E2BIG;
    if (store_sqlite_batch(st))
        return -EIO;
    if ((store_sqlite_bind_text(q, 1, o->username) | store_sqlite_bind_text(q, 2, o->name) |
         store_sqlite_bind_text(q, 3, o->role) | store_sqlite_bind_text(q, 4, o->unit) |
         store_sqlite_bind_text(q, 5, o->hash) | sqlite3_bind_int64(q, 6, o->created)) !=
        SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    if (orun(st, Q_OFFICER_ADD))
        return -EIO;
    return sqlite3_changes(store_sqlite_db(st)) == 1 ? 0 : -EEXIST;
}

/* Fills o from the current row of q (columns in OFFICER_COLS order). */
static void officer_row(sqlite3_stmt *q, struct store_officer *o)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->username, sizeof(o->username), "%s", store_sqlite_text(q, 0));
    snprintf(o->name, sizeof(o->name), "%s", store_sqlite_text(q, 1));
    snprintf(o->role, sizeof(o->role), "%s", store_sqlite_text(q, 2));
    snprintf(o->unit, sizeof(o->unit), "%s", store_sqlite_text(q, 3));
    snprintf(o->hash, sizeof(o->hash), "%s", store_sqlite_text(q, 4));
    o->disabled = sqlite3_column_int(q, 5) != 0;
    o->created = sqlite3_column_int64(q, 6);
}

int store_officer_get(struct store *st, const char *username, struct store_officer *o)
{
    sqlite3_stmt *q = stmt(st, Q_OFFICER_GET);
    int rc;

    if (store_pg_of(st))
        return store_pg_officer_get(st, username, o);
    if (store_sqlite_bind_text(q, 1, username) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        officer_row(q, o);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc;
}

/* Runs an UPDATE of one officer (bound already), then ends its sessions. */
static int officer_change(struct store *st, enum officer_q which, const char *username)
{
    sqlite3_stmt *end = stmt(st, Q_OFFICER_END_ALL);

    if (orun(st, which))
        return -EIO;
    if (sqlite3_changes(store_sqlite_db(st)) != 1)
        return -ENOENT;
    if (store_sqlite_bind_text(end, 1, username) != SQLITE_OK) {
        sqlite3_clear_bindings(end);
        return -EIO;
    }
    return orun(st, Q_OFFICER_END_ALL);
}

int store_officer_set_hash(struct store *st, const char *username, const char *hash)
{
    sqlite3_stmt *q = stmt(st, Q_OFFICER_SET_HASH);

    if (store_pg_of(st))
        return store_pg_officer_set_hash(st, username, hash);
    if (store_sqlite_batch(st))
        return -EIO;
    if ((store_sqlite_bind_text(q, 1, username) | store_sqlite_bind_text(q, 2, hash)) !=
        SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return officer_change(st, Q_OFFICER_SET_HASH, username);
}

int store_officer_disable(struct store *st, const char *username)
{
    sqlite3_stmt *q = stmt(st, Q_OFFICER_DISABLE);

    if (store_pg_of(st))
        return store_pg_officer_disable(st, username);
    if (store_sqlite_batch(st))
        return -EIO;
    if (store_sqlite_bind_text(q, 1, username) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return officer_change(st, Q_OFFICER_DISABLE, username);
}

int store_officer_list(struct store *st, int (*fn)(void *ctx, const struct store_officer *o),
                       void *ctx)
{
    sqlite3_stmt *q = stmt(st, Q_OFFICER_LIST);
    struct store_officer o;
    int rc, out = 0;

    if (store_pg_of(st))
        return store_pg_officer_list(st, fn, ctx);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        officer_row(q, &o);
        o.hash[0] = '\0';
        out = fn(ctx, &o);
        if (out)
            break;
    }
    if (!out && rc != SQLITE_DONE)
        out = -EIO;
    sqlite3_reset(q);
    return out;
}

int store_officer_session_add(struct store *st, const char *token_hash, const char *username,
                              const char *csrf, int64_t created, int64_t expires)
{
    sqlite3_stmt *q = stmt(st, Q_OSESSION_ADD);

    if (store_pg_of(st))
        return store_pg_officer_session_add(st, token_hash, username, csrf, created, expires);
    if (store_sqlite_batch(st))
        return -EIO;
    if ((store_sqlite_bind_text(q, 1, token_hash) | store_sqlite_bind_text(q, 2, username) |
         store_sqlite_bind_text(q, 3, csrf) | sqlite3_bind_int64(q, 4, created) |
         sqlite3_bind_int64(q, 5, expires)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return orun(st, Q_OSESSION_ADD);
}

int store_officer_session_get(struct store *st, const char *token_hash, int64_t now_s,
                              struct store_officer *o, char csrf[STORE_OFFICER_CSRF_MAX])
{
    sqlite3_stmt *q = stmt(st, Q_OSESSION_GET);
    int rc;

    if (store_pg_of(st))
        return store_pg_officer_session_get(st, token_hash, now_s, o, csrf);
    if ((store_sqlite_bind_text(q, 1, token_hash) | sqlite3_bind_int64(q, 2, now_s)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        officer_row(q, o);
        snprintf(csrf, STORE_OFFICER_CSRF_MAX, "%s", store_sqlite_text(q, 7));
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc;
}

int store_officer_session_end(struct store *st, const char *token_hash, int64_t now_s)
{
    sqlite3_stmt *q = stmt(st, Q_OSESSION_END), *x = stmt(st, Q_OSESSION_EXPIRE);

    if (store_pg_of(st))
        return store_pg_officer_session_end(st, token_hash, now_s);
    if (store_sqlite_batch(st))
        return -EIO;
    if (store_sqlite_bind_text(q, 1, token_hash) != SQLITE_OK || orun(st, Q_OSESSION_END)) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    if (sqlite3_bind_int64(x, 1, now_s) != SQLITE_OK) {
        sqlite3_clear_bindings(x);
        return -EIO;
    }
    return orun(st, Q_OSESSION_EXPIRE);
}

int store_audit_add(struct store *st, int64_t ts, const char *username, const char *action,
                    const char *conversation, const char *ip, const char *detail)
{
    sqlite3_stmt *q = stmt(st, Q_AUDIT_ADD);

    if (store_pg_of(st))
        return store_pg_audit_add(st, ts, username, action, conversation, ip, detail);
    if (store_sqlite_batch(st))
        return -EIO;
    if ((sqlite3_bind_int64(q, 1, ts) | store_sqlite_bind_text(q, 2, username ? username : "") |
         store_sqlite_bind_text(q, 3, action) | store_sqlite_bind_opt(q, 4, conversation) |
         store_sqlite_bind_opt(q, 5, ip) | store_sqlite_bind_opt(q, 6, detail)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return orun(st, Q_AUDIT_ADD);
}

/* Steps a bound count(*), max(ts) query. */
static int count_since(struct store *st, enum officer_q which, unsigned *n, int64_t *last)
{
    sqlite3_stmt *q = stmt(st, which);
    int rc = sqlite3_step(q);

    if (rc == SQLITE_ROW) {
        *n = (unsigned)sqlite3_column_int64(q, 0);
        if (sqlite3_column_int64(q, 1) > *last)
            *last = sqlite3_column_int64(q, 1);
        rc = 0;
    } else {
        rc = -EIO;
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc;
}

int store_audit_failures(struct store *st, const char *username, const char *ip, int64_t since_s,
                         unsigned *by_user, unsigned *by_ip, int64_t *last_s)
{
    sqlite3_stmt *u = stmt(st, Q_AUDIT_FAIL_USER), *a = stmt(st, Q_AUDIT_FAIL_IP);

    if (store_pg_of(st))
        return store_pg_audit_failures(st, username, ip, since_s, by_user, by_ip, last_s);
    *by_user = *by_ip = 0;
    *last_s = 0;
    if ((store_sqlite_bind_text(u, 1, username) | sqlite3_bind_int64(u, 2, since_s)) != SQLITE_OK ||
        count_since(st, Q_AUDIT_FAIL_USER, by_user, last_s)) {
        sqlite3_clear_bindings(u);
        return -EIO;
    }
    if ((store_sqlite_bind_text(a, 1, ip) | sqlite3_bind_int64(a, 2, since_s)) != SQLITE_OK ||
        count_since(st, Q_AUDIT_FAIL_IP, by_ip, last_s)) {
        sqlite3_clear_bindings(a);
        return -EIO;
    }
    return 0;
}

int store_audit_list(struct store *st, unsigned max,
                     int (*fn)(void *ctx, int64_t ts, const char *username, const char *action,
                               const char *conversation, const char *ip, const char *detail),
                     void *ctx)
{
    sqlite3_stmt *q = stmt(st, Q_AUDIT_LIST);
    int rc, out = 0;

    if (store_pg_of(st))
        return store_pg_audit_list(st, max, fn, ctx);
    if (sqlite3_bind_int(q, 1, (int)max) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        out = fn(ctx, sqlite3_column_int64(q, 0), store_sqlite_text(q, 1), store_sqlite_text(q, 2),
                 store_sqlite_text(q, 3), store_sqlite_text(q, 4), store_sqlite_text(q, 5));
        if (out)
            break;
    }
    if (!out && rc != SQLITE_DONE)
        out = -EIO;
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return out;
}
