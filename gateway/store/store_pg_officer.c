/* gateway/store/store_pg_officer.c - officer accounts, their sessions and
 * the audit log on PostgreSQL (store_pg.h): store_sqlite.c's statements in
 * PostgreSQL's words, same returns. An officer logged in on one node is
 * logged in on all: the session row is shared; a password change or a
 * disable ends the sessions everywhere in the same batch. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"

#define OFFICER_COLS "username, name, role, unit, hash, disabled, created"

/* Whether s is NUL-terminated within its array of cap bytes. */
static bool fits(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

/* A write of the open batch: opens it, runs sql. Rows changed, or -EIO. */
static long write_rows(struct store *st, const char *sql, const struct store_pg_params *p)
{
    struct store_pg *pg = store_pg_of(st);

    if (store_pg_batch(pg))
        return -EIO;
    return store_pg_change(pg, sql, p);
}

int store_pg_officer_add(struct store *st, const struct store_officer *o)
{
    struct store_pg_params p = {0};
    long n;

    if (!fits(o->username, sizeof(o->username)) || !fits(o->name, sizeof(o->name)) ||
        !fits(o->role, sizeof(o->role)) || !fits(o->unit, sizeof(o->unit)) ||
        !fits(o->hash, sizeof(o->hash)))
        return -E2BIG;
    store_pg_param_text(&p, o->username);
    store_pg_param_text(&p, o->name);
    store_pg_param_text(&p, o->role);
    store_pg_param_text(&p, o->unit);
    store_pg_param_text(&p, o->hash);
    store_pg_param_int(&p, o->created);
    n = write_rows(st,
                   "INSERT INTO officer (username, name, role, unit, hash, created) "
                   "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING",
                   &p);
    return n < 0 ? -EIO : n == 1 ? 0 : -EEXIST;
}

/* Fills o from row i of r (OFFICER_COLS order). */
static void officer_row(const PGresult *r, int i, struct store_officer *o)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->username, sizeof(o->username), "%s", store_pg_text(r, i, 0));
    snprintf(o->name, sizeof(o->name), "%s", store_pg_text(r, i, 1));
    snprintf(o->role, sizeof(o->role), "%s", store_pg_text(r, i, 2));
    snprintf(o->unit, sizeof(o->unit), "%s", store_pg_text(r, i, 3));
    snprintf(o->hash, sizeof(o->hash), "%s", store_pg_text(r, i, 4));
    o->disabled = store_pg_int(r, i, 5) != 0;
    o->created = store_pg_int(r, i, 6);
}

int store_pg_officer_get(struct store *st, const char *username, struct store_officer *o)
{
    struct store_pg_params p = {0};
    PGresult *r;
    int rc = -ENOENT;

    store_pg_param_text(&p, username);
    r = store_pg_exec(store_pg_of(st), "SELECT " OFFICER_COLS " FROM officer WHERE username = $1",
                      &p);
    if (!r)
        return -EIO;
    if (PQntuples(r) == 1) {
        officer_row(r, 0, o);
        rc = 0;
    }
    PQclear(r);
    return rc;
}

/* Runs an UPDATE of one officer, then ends its sessions. */
static int officer_change(struct store *st, const char *sql, const struct store_pg_params *p,
                          const char *username)
{
    struct store_pg_params u = {0};
    long n = write_rows(st, sql, p);

    if (n < 0)
        return -EIO;
    if (n != 1)
        return -ENOENT;
    store_pg_param_text(&u, username);
    return write_rows(st, "DELETE FROM officer_session WHERE username = $1", &u) < 0 ? -EIO : 0;
}

int store_pg_officer_set_hash(struct store *st, const char *username, const char *hash)
{
    struct store_pg_params p = {0};

    store_pg_param_text(&p, username);
    store_pg_param_text(&p, hash);
    return officer_change(st, "UPDATE officer SET hash = $2 WHERE username = $1", &p, username);
}

int store_pg_officer_disable(struct store *st, const char *username)
{
    struct store_pg_params p = {0};

    store_pg_param_text(&p, username);
    return officer_change(st, "UPDATE officer SET disabled = 1 WHERE username = $1", &p, username);
}

int store_pg_officer_list(struct store *st, int (*fn)(void *ctx, const struct store_officer *o),
                          void *ctx)
{
    PGresult *r = store_pg_exec(store_pg_of(st),
                                "SELECT " OFFICER_COLS " FROM officer ORDER BY username", NULL);
    struct store_officer o;
    int i, out = 0;

    if (!r)
        return -EIO;
    for (i = 0; i < PQntuples(r) && !out; i++) {
        officer_row(r, i, &o);
        o.hash[0] = '\0'; /* a list never carries hashes */
        out = fn(ctx, &o);
    }
    PQclear(r);
    return out;
}

int store_pg_officer_session_add(struct store *st, const char *token_hash, const char *username,
                                 const char *csrf, int64_t created, int64_t expires)
{
    struct store_pg_params p = {0};

    store_pg_param_text(&p, token_hash);
    store_pg_param_text(&p, username);
    store_pg_param_text(&p, csrf);
    store_pg_param_int(&p, created);
    store_pg_param_int(&p, expires);
    return write_rows(st, "INSERT INTO officer_session VALUES ($1, $2, $3, $4, $5)", &p) == 1
               ? 0
               : -EIO;
}

int store_pg_officer_session_get(struct store *st, const char *token_hash, int64_t now_s,
                                 struct store_officer *o, char csrf[STORE_OFFICER_CSRF_MAX])
{
    struct store_pg_params p = {0};
    PGresult *r;
    int rc = -ENOENT;

    store_pg_param_text(&p, token_hash);
    store_pg_param_int(&p, now_s);
    r = store_pg_exec(store_pg_of(st),
                      "SELECT o.username, o.name, o.role, o.unit, '', o.disabled, o.created, "
                      "s.csrf FROM officer_session s JOIN officer o ON o.username = s.username "
                      "WHERE s.token_hash = $1 AND s.expires > $2 AND o.disabled = 0",
                      &p);
    if (!r)
        return -EIO;
    if (PQntuples(r) == 1) {
        officer_row(r, 0, o);
        snprintf(csrf, STORE_OFFICER_CSRF_MAX, "%s", store_pg_text(r, 0, 7));
        rc = 0;
    }
    PQclear(r);
    return rc;
}

int store_pg_officer_session_end(struct store *st, const char *token_hash, int64_t now_s)
{
    struct store_pg_params p = {0}, x = {0};

    store_pg_param_text(&p, token_hash);
    store_pg_param_int(&x, now_s);
    if (write_rows(st, "DELETE FROM officer_session WHERE token_hash = $1", &p) < 0 ||
        write_rows(st, "DELETE FROM officer_session WHERE expires <= $1", &x) < 0)
        return -EIO;
    return 0;
}

int store_pg_audit_add(struct store *st, int64_t ts, const char *username, const char *action,
                       const char *conversation, const char *ip, const char *detail)
{
    struct store_pg_params p = {0};

    store_pg_param_int(&p, ts);
    store_pg_param_text(&p, username ? username : "");
    store_pg_param_text(&p, action);
    store_pg_param_text(&p, conversation);
    store_pg_param_text(&p, ip);
    store_pg_param_text(&p, detail);
    return write_rows(st,
                      "INSERT INTO audit (ts, username, action, conversation, ip, detail) "
                      "VALUES ($1, $2, $3, $4, $5, $6)",
                      &p) == 1
               ? 0
               : -EIO;
}

/* count(*), max(ts) of the failed logins since since_s with column = value. */
static int count_since(struct store *st, const char *sql, const char *value, int64_t since_s,
                       unsigned *n, int64_t *last)
{
    struct store_pg_params p = {0};
    PGresult *r;

    store_pg_param_text(&p, value);
    store_pg_param_int(&p, since_s);
    r = store_pg_exec(store_pg_of(st), sql, &p);
    if (!r || PQntuples(r) != 1) {
        PQclear(r);
        return -EIO;
    }
    *n = (unsigned)store_pg_int(r, 0, 0);
    if (store_pg_int(r, 0, 1) > *last)
        *last = store_pg_int(r, 0, 1);
    PQclear(r);
    return 0;
}

int store_pg_audit_failures(struct store *st, const char *username, const char *ip, int64_t since_s,
                            unsigned *by_user, unsigned *by_ip, int64_t *last_s)
{
    *by_user = *by_ip = 0;
    *last_s = 0;
    if (count_since(st,
                    "SELECT count(*), coalesce(max(ts), 0) FROM audit "
                    "WHERE action = 'login_failed' AND username = $1 AND ts >= $2",
                    username, since_s, by_user, last_s) ||
        count_since(st,
                    "SELECT count(*), coalesce(max(ts), 0) FROM audit "
                    "WHERE action = 'login_failed' AND ip = $1 AND ts >= $2",
                    ip, since_s, by_ip, last_s))
        return -EIO;
    return 0;
}

int store_pg_audit_list(struct store *st, unsigned max,
                        int (*fn)(void *ctx, int64_t ts, const char *username, const char *action,
                                  const char *conversation, const char *ip, const char *detail),
                        void *ctx)
{
    struct store_pg_params p = {0};
    PGresult *r;
    int i, out = 0;

    store_pg_param_int(&p, max);
    r = store_pg_exec(store_pg_of(st),
                      "SELECT ts, username, action, conversation, ip, detail FROM (SELECT * "
                      "FROM audit ORDER BY id DESC LIMIT $1) a ORDER BY id",
                      &p);
    if (!r)
        return -EIO;
    for (i = 0; i < PQntuples(r) && !out; i++)
        out = fn(ctx, store_pg_int(r, i, 0), store_pg_text(r, i, 1), store_pg_text(r, i, 2),
                 store_pg_text(r, i, 3), store_pg_text(r, i, 4), store_pg_text(r, i, 5));
    PQclear(r);
    return out;
}
