/* gateway/store/store_pg_share.c - the citizens' checklist pages on
 * PostgreSQL (store_pg.h): store_share.c's statements and steps, same
 * returns; the token, the digest and a token's shape are store_share.c's
 * own helpers, so both back-ends make the same pages. Every write is a unit
 * of the open batch. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"

#define SHARE_HOUR_S 3600

/* The live page of (session, digest) into token: 0, -ENOENT, or -EIO. */
static int find_page(struct store_pg *pg, int64_t session_id, const char *digest, int64_t now,
                     char *token)
{
    struct store_pg_params p = {0};
    PGresult *r;
    int rc = -ENOENT;

    store_pg_param_int(&p, session_id);
    store_pg_param_text(&p, digest);
    store_pg_param_int(&p, now);
    r = store_pg_exec(pg,
                      "SELECT token FROM share WHERE session_id = $1 AND digest = $2 "
                      "AND expires > $3 LIMIT 1",
                      &p);
    if (!r)
        return -EIO;
    if (PQntuples(r) == 1 && store_share_is_token(store_pg_text(r, 0, 0))) {
        memcpy(token, store_pg_text(r, 0, 0), STORE_SHARE_TOKEN_LEN + 1);
        rc = 0;
    }
    PQclear(r);
    return rc;
}

/* Runs one write in a unit of the open batch; *rows (may be NULL) gets the
 * rows it changed added. Returns 0 or -EIO. */
static int write_unit(struct store_pg *pg, const char *sql, const struct store_pg_params *p,
                      unsigned long *rows)
{
    long n;
    int rc;

    if (store_pg_unit_begin(pg))
        return -EIO;
    n = store_pg_change(pg, sql, p);
    rc = n < 0 ? -EIO : 0;
    if (!rc && rows)
        *rows += (unsigned long)n;
    if (store_pg_unit_end(pg, rc == 0) && !rc)
        rc = -EIO;
    return rc;
}

/* Pages the session made since since: >= 0, or -EIO. */
static long recent_pages(struct store_pg *pg, int64_t session_id, int64_t since)
{
    struct store_pg_params p = {0};
    PGresult *r;
    long n;

    store_pg_param_int(&p, session_id);
    store_pg_param_int(&p, since);
    r = store_pg_exec(pg, "SELECT count(*) FROM share WHERE session_id = $1 AND created > $2", &p);
    n = r && PQntuples(r) == 1 ? (long)store_pg_int(r, 0, 0) : -EIO;
    PQclear(r);
    return n;
}

int store_pg_share_plan(struct store *st, int64_t session_id, const char *body, int64_t now,
                        int64_t expires, unsigned per_hour, struct store_share_plan *p)
{
    struct store_pg *pg = store_pg_of(st);
    char digest[STORE_SHARE_DIGEST_LEN + 1];
    long made;
    int rc;

    memset(p, 0, sizeof(*p));
    if (strlen(body) > STORE_SHARE_BODY_MAX)
        return -E2BIG;
    p->session_id = session_id;
    p->now = now;
    p->expires = expires;
    store_share_digest(body, digest);
    rc = find_page(pg, session_id, digest, now, p->token);
    if (rc == 0) /* the same checklist again: the same page, kept as long as a new one */
        return 0;
    if (rc != -ENOENT)
        return rc;
    made = recent_pages(pg, session_id, now - SHARE_HOUR_S);
    if (made < 0)
        return -EIO;
    if ((unsigned long)made >= per_hour)
        return -EBUSY;
    if (store_share_new_token(p->token))
        return -EIO;
    p->body = strdup(body);
    if (!p->body) {
        p->token[0] = '\0';
        return -ENOMEM;
    }
    return 0;
}

/* The parameters of p's write: token, expires, then for a new page its
 * digest, body and creation time. Borrows p and digest. */
static void plan_params(const struct store_share_plan *p, char *digest, struct store_pg_params *q)
{
    store_pg_param_text(q, p->token);
    store_pg_param_int(q, p->expires);
    if (!p->body)
        return;
    store_share_digest(p->body, digest);
    store_pg_param_text(q, digest);
    store_pg_param_text(q, p->body);
    store_pg_param_int(q, p->now);
}

int store_pg_share_plan_write(struct store *st, const struct store_share_plan *p)
{
    struct store_pg_params q = {0};
    char digest[STORE_SHARE_DIGEST_LEN + 1];

    store_pg_param_int(&q, p->session_id);
    plan_params(p, digest, &q);
    return write_unit(store_pg_of(st),
                      p->body ? "INSERT INTO share (session_id, token, expires, digest, body, "
                                "created) VALUES ($1, $2, $3, $4, $5, $6)"
                              : "UPDATE share SET expires = greatest(expires, $3) "
                                "WHERE token = $2 AND session_id = $1",
                      &q, NULL);
}

int store_pg_share_plan_more(const struct store_share_plan *p, char *digest,
                             struct store_pg_params *q)
{
    plan_params(p, digest, q);
    return p->body ? 1 : 0;
}

int store_pg_share_put(struct store *st, int64_t session_id, const char *body, int64_t now,
                       int64_t expires, unsigned per_hour, char token[STORE_SHARE_TOKEN_LEN + 1])
{
    struct store_share_plan p;
    int rc = store_pg_share_plan(st, session_id, body, now, expires, per_hour, &p);

    token[0] = '\0';
    if (!rc)
        rc = store_pg_share_plan_write(st, &p);
    if (!rc)
        memcpy(token, p.token, sizeof(p.token));
    free(p.body);
    return rc;
}

int store_pg_share_get(struct store *st, const char *token, int64_t now, char **body)
{
    struct store_pg_params p = {0};
    PGresult *r;
    int rc = -ENOENT;

    *body = NULL;
    if (!store_share_is_token(token))
        return -ENOENT;
    store_pg_param_text(&p, token);
    store_pg_param_int(&p, now);
    r = store_pg_exec(store_pg_of(st), "SELECT body FROM share WHERE token = $1 AND expires > $2",
                      &p);
    if (!r)
        return -EIO;
    if (PQntuples(r) == 1) {
        *body = strdup(store_pg_text(r, 0, 0));
        rc = *body ? 0 : -ENOMEM;
    }
    PQclear(r);
    return rc;
}

int store_pg_share_purge(struct store *st, int64_t now, unsigned max, unsigned long *rows)
{
    struct store_pg_params p = {0};

    store_pg_param_int(&p, now);
    store_pg_param_int(&p, max);
    return write_unit(store_pg_of(st),
                      "DELETE FROM share WHERE token IN "
                      "(SELECT token FROM share WHERE expires <= $1 LIMIT $2)",
                      &p, rows);
}
