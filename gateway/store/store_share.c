/* gateway/store/store_share.c - the citizens' checklist pages (store.h,
 * "checklist pages"): a snapshot kept under a random token until it
 * expires. The digest (SHA-256 of the snapshot) lets a session that shows
 * the same checklist again get the same page instead of a new one, so the
 * rate limit counts only checklists that changed. Statements are prepared
 * per call: a page is made at most once per checklist shown. Every write
 * is a unit of the open batch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "mc_log.h"
#include "store_pg.h"
#include "store_sqlite_int.h"

#define SHARE_HOUR_S 3600

static const char find_sql[] = "SELECT token FROM share WHERE session_id = ?1 AND digest = ?2 "
                               "AND expires > ?3 LIMIT 1";
static const char extend_sql[] = "UPDATE share SET expires = max(expires, ?2) WHERE token = ?1";
static const char recent_sql[] =
    "SELECT count(*) FROM share WHERE session_id = ?1 AND created > ?2";
static const char put_sql[] =
    "INSERT INTO share (token, session_id, digest, body, created, expires) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char get_sql[] = "SELECT body FROM share WHERE token = ?1 AND expires > ?2";
static const char purge_sql[] =
    "DELETE FROM share WHERE token IN (SELECT token FROM share WHERE expires <= ?1 LIMIT ?2)";

static int fail(sqlite3_stmt *q)
{
    mc_log(MC_LOG_ERROR, "state.share", "error=\"%s\"", sqlite3_errmsg(sqlite3_db_handle(q)));
    return -EIO;
}

/* RFC 4648 section 5, without padding: the token is a URL path segment. */
static void base64url(const unsigned char *b, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t i, o = 0;

    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8 | b[i + 2];

        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        out[o++] = a[v >> 6 & 63];
        out[o++] = a[v & 63];
    }
    if (n - i == 1) {
        out[o++] = a[b[i] >> 2];
        out[o++] = a[(b[i] & 3) << 4];
    } else if (n - i == 2) {
        unsigned v = (unsigned)b[i] << 8 | b[i + 1];

        out[o++] = a[v >> 10 & 63];
        out[o++] = a[v >> 4 & 63];
        out[o++] = a[(v & 15) << 2];
    }
    out[o] = '\0';
}

bool store_share_is_token(const char *t)
{
    return strlen(t) == STORE_SHARE_TOKEN_LEN &&
           strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
               STORE_SHARE_TOKEN_LEN;
}

_Static_assert(STORE_SHARE_DIGEST_LEN == 2 * SHA256_DIGEST_LENGTH, "a digest in hex");

void store_share_digest(const char *body, char out[STORE_SHARE_DIGEST_LEN + 1])
{
    static const char hexd[] = "0123456789abcdef";
    unsigned char d[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)body, strlen(body), d);
    for (size_t i = 0; i < sizeof d; i++) {
        out[2 * i] = hexd[d[i] >> 4];
        out[2 * i + 1] = hexd[d[i] & 15];
    }
    out[2 * sizeof d] = '\0';
}

int store_share_new_token(char token[STORE_SHARE_TOKEN_LEN + 1])
{
    unsigned char raw[STORE_SHARE_TOKEN_BYTES];

    if (RAND_bytes(raw, sizeof raw) != 1)
        return -EIO;
    base64url(raw, sizeof raw, token);
    return 0;
}

/* The live page of (session, digest) into token: 0, -ENOENT, or -EIO. */
static int find_page(struct store *st, int64_t session_id, const char *digest, int64_t now,
                     char *token)
{
    sqlite3_stmt *q = NULL;
    int rc = store_sqlite_prepare(st, find_sql, &q);

    if (rc)
        return rc;
    if (sqlite3_bind_int64(q, 1, session_id) != SQLITE_OK ||
        sqlite3_bind_text(q, 2, digest, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(q, 3, now) != SQLITE_OK)
        rc = fail(q);
    else if ((rc = sqlite3_step(q)) == SQLITE_ROW &&
             store_share_is_token(store_sqlite_text(q, 0))) {
        memcpy(token, store_sqlite_text(q, 0), STORE_SHARE_TOKEN_LEN + 1);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? -ENOENT : fail(q);
    }
    sqlite3_finalize(q);
    return rc;
}

/* Runs a write of n parameters (ints where texts[i] is NULL) in a unit of
 * the open batch (store.h: a write never happens outside one). */
static int exec_write(struct store *st, const char *sql, const char *const *texts,
                      const int64_t *ints, int n, unsigned long *rows)
{
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_unit_begin(st))
        return -EIO;
    rc = store_sqlite_prepare(st, sql, &q);
    for (int i = 0; !rc && i < n; i++)
        if ((texts[i] ? sqlite3_bind_text(q, i + 1, texts[i], -1, SQLITE_STATIC)
                      : sqlite3_bind_int64(q, i + 1, ints[i])) != SQLITE_OK)
            rc = fail(q);
    if (!rc && sqlite3_step(q) != SQLITE_DONE)
        rc = fail(q);
    if (!rc && rows)
        *rows += (unsigned long)sqlite3_changes(sqlite3_db_handle(q));
    sqlite3_finalize(q);
    if (store_unit_end(st, rc == 0) && !rc)
        rc = -EIO;
    return rc;
}

/* Pages the session made since since: >= 0, or -EIO. */
static long recent_pages(struct store *st, int64_t session_id, int64_t since)
{
    sqlite3_stmt *q = NULL;
    long n;

    if (store_sqlite_prepare(st, recent_sql, &q))
        return -EIO;
    if (sqlite3_bind_int64(q, 1, session_id) != SQLITE_OK ||
        sqlite3_bind_int64(q, 2, since) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW)
        n = fail(q);
    else
        n = (long)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

int store_share_plan(struct store *st, int64_t session_id, const char *body, int64_t now,
                     int64_t expires, unsigned per_hour, struct store_share_plan *p)
{
    memset(p, 0, sizeof(*p));
    /* SQLite's writes are local: its page is written at once (store_share_put()) */
    return store_pg_of(st) ? store_pg_share_plan(st, session_id, body, now, expires, per_hour, p)
                           : -ENOTSUP;
}

void store_share_plan_fini(struct store_share_plan *p)
{
    free(p->body);
    memset(p, 0, sizeof(*p));
}

int store_share_plan_write(struct store *st, const struct store_share_plan *p)
{
    return store_pg_of(st) ? store_pg_share_plan_write(st, p) : -ENOTSUP;
}

int store_turn_queue_share(struct store *st, struct session *s, const struct session_turn *t,
                           size_t n, const struct store_share_plan *p, uint64_t *save)
{
    return store_pg_of(st) ? store_pg_turn_queue_share(st, s, t, n, p, save) : -ENOTSUP;
}

int store_share_put(struct store *st, int64_t session_id, const char *body, int64_t now,
                    int64_t expires, unsigned per_hour, char token[STORE_SHARE_TOKEN_LEN + 1])
{
    char digest[STORE_SHARE_DIGEST_LEN + 1];
    long made;
    int rc;

    if (store_pg_of(st))
        return store_pg_share_put(st, session_id, body, now, expires, per_hour, token);
    token[0] = '\0';
    if (strlen(body) > STORE_SHARE_BODY_MAX)
        return -E2BIG;
    store_share_digest(body, digest);
    rc = find_page(st, session_id, digest, now, token);
    if (rc == 0) { /* the same checklist again: the same page, kept as long as a new one */
        const char *texts[2] = {token, NULL};
        int64_t ints[2] = {0, expires};

        rc = exec_write(st, extend_sql, texts, ints, 2, NULL);
        if (rc)
            token[0] = '\0';
        return rc;
    }
    if (rc != -ENOENT)
        return rc;
    made = recent_pages(st, session_id, now - SHARE_HOUR_S);
    if (made < 0)
        return -EIO;
    if ((unsigned long)made >= per_hour)
        return -EBUSY;
    if (store_share_new_token(token))
        return -EIO;
    {
        const char *texts[6] = {token, NULL, digest, body, NULL, NULL};
        int64_t ints[6] = {0, session_id, 0, 0, now, expires};

        rc = exec_write(st, put_sql, texts, ints, 6, NULL);
    }
    if (rc)
        token[0] = '\0';
    return rc;
}

int store_share_get(struct store *st, const char *token, int64_t now, char **body)
{
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_pg_of(st))
        return store_pg_share_get(st, token, now, body);
    *body = NULL;
    if (!store_share_is_token(token))
        return -ENOENT;
    rc = store_sqlite_prepare(st, get_sql, &q);
    if (rc)
        return rc;
    if (sqlite3_bind_text(q, 1, token, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(q, 2, now) != SQLITE_OK)
        rc = fail(q);
    else if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        *body = strdup(store_sqlite_text(q, 0));
        rc = *body ? 0 : -ENOMEM;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : fail(q);
    }
    sqlite3_finalize(q);
    return rc;
}

int store_share_purge(struct store *st, int64_t now, unsigned max, unsigned long *rows)
{
    const char *texts[2] = {NULL, NULL};
    int64_t ints[2] = {now, max};

    if (store_pg_of(st))
        return store_pg_share_purge(st, now, max, rows);
    return exec_write(st, purge_sql, texts, ints, 2, rows);
}
