/* gateway/store/store_pg_privacy.c - personal data on PostgreSQL
 * (store_pg.h): the key of platform user ids' hashes kept in the database,
 * shared by every node (the first node to start creates it), the rewrite of
 * ids stored in clear before a key was set, and the erasure of one session;
 * store_privacy.c's statements, same returns. Retention (purge) is not here
 * yet. The hashing itself, store_privacy_user_key(), is the same code
 * for both back-ends. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "store_pg.h"

#define REHASH_ROWS "500" /* ids rewritten per table in one call, as on SQLite */

static const char hexd[] = "0123456789abcdef";

/* Reads the stored key into key. Returns 0, -ENOENT (none yet) or -EIO. */
static int read_db_key(struct store_pg *pg, unsigned char key[STORE_ID_KEY_LEN])
{
    PGresult *r = store_pg_exec(pg, "SELECT key FROM privacy_key WHERE id = 1", NULL);
    const char *hex, *a, *b;
    size_t i;
    int rc = -ENOENT;

    if (!r)
        return -EIO;
    if (PQntuples(r) == 1) {
        hex = store_pg_text(r, 0, 0);
        rc = strlen(hex) == 2 * STORE_ID_KEY_LEN ? 0 : -EIO;
        for (i = 0; i < STORE_ID_KEY_LEN && !rc; i++) {
            a = strchr(hexd, hex[2 * i]);
            b = strchr(hexd, hex[2 * i + 1]);
            if (!a || !b)
                rc = -EIO;
            else
                key[i] = (unsigned char)(((a - hexd) << 4) | (b - hexd));
        }
    }
    PQclear(r);
    return rc;
}

int store_pg_privacy_db_key(struct store *st, unsigned char key[STORE_ID_KEY_LEN])
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};
    unsigned char fresh[STORE_ID_KEY_LEN];
    char hex[2 * STORE_ID_KEY_LEN + 1];
    size_t i;
    int rc = read_db_key(pg, key);

    if (rc != -ENOENT)
        return rc;
    if (RAND_bytes(fresh, sizeof fresh) != 1)
        return -EIO;
    for (i = 0; i < sizeof fresh; i++) {
        hex[2 * i] = hexd[fresh[i] >> 4];
        hex[2 * i + 1] = hexd[fresh[i] & 15];
    }
    hex[2 * STORE_ID_KEY_LEN] = '\0';
    store_pg_param_text(&p, hex);
    /* DO NOTHING: nodes starting together keep the first one's key */
    if (store_pg_unit_begin(pg))
        return -EIO;
    rc =
        store_pg_change(pg, "INSERT INTO privacy_key VALUES (1, $1) ON CONFLICT DO NOTHING", &p) < 0
            ? -EIO
            : 0;
    if (store_pg_unit_end(pg, rc == 0))
        rc = -EIO;
    if (!rc)
        rc = store_pg_commit(pg);
    return rc ? rc : read_db_key(pg, key);
}

/* Rewrites the clear ids select finds (row key, channel, id as stored) with
 * update ($1 the row key, $2 the channel, $3 the hashed id), which skips a
 * row whose hashed id is taken already (SQLite's UPDATE OR IGNORE). */
static int rehash_table(struct store *st, const char *select, const char *update)
{
    struct store_pg *pg = store_pg_of(st);
    PGresult *r = store_pg_exec(pg, select, NULL);
    char hk[STORE_USER_HKEY_MAX];
    int i, rc = r ? 0 : -EIO;

    for (i = 0; r && i < PQntuples(r) && !rc; i++) {
        struct store_pg_params p = {0};

        store_privacy_user_key(st, store_pg_text(r, i, 1), store_pg_text(r, i, 2), hk, sizeof hk);
        store_pg_param_text(&p, store_pg_text(r, i, 0));
        store_pg_param_text(&p, store_pg_text(r, i, 1));
        store_pg_param_text(&p, hk);
        rc = store_pg_change(pg, update, &p) < 0 ? -EIO : 0;
    }
    PQclear(r);
    return rc;
}

int store_pg_privacy_set_key(struct store *st, const unsigned char *key, size_t len)
{
    struct store_idkey *k = store_sqlite_idkey(st);
    struct store_pg *pg = store_pg_of(st);
    int rc;

    if (len != STORE_ID_KEY_LEN)
        return -EINVAL;
    memcpy(k->key, key, len);
    k->set = true;
    if (store_pg_unit_begin(pg))
        return -EIO;
    rc = rehash_table(st,
                      "SELECT id, channel, user_key FROM session WHERE user_key IS NOT NULL "
                      "AND user_key NOT LIKE 'h:%' LIMIT " REHASH_ROWS,
                      "UPDATE session SET user_key = $3 WHERE id = $1::bigint AND NOT EXISTS "
                      "(SELECT 1 FROM session s WHERE s.channel = $2 AND s.user_key = $3)");
    if (!rc)
        rc = rehash_table(st,
                          "SELECT user_key, channel, user_key FROM chan_options "
                          "WHERE user_key NOT LIKE 'h:%' LIMIT " REHASH_ROWS,
                          "UPDATE chan_options SET user_key = $3 WHERE channel = $2 AND "
                          "user_key = $1 AND NOT EXISTS (SELECT 1 FROM chan_options o "
                          "WHERE o.channel = $2 AND o.user_key = $3)");
    if (store_pg_unit_end(pg, rc == 0))
        rc = -EIO;
    return rc;
}

/* What store_privacy_forget() deletes, in order (votes before the turns they
 * reference), each with its parameters: i the session id, c its channel, s
 * the user id as stored, u the clear id. */
static const struct {
    const char *sql;
    const char *params;
} forget_sql[] = {
    {"DELETE FROM feedback WHERE session_id = $1", "i"},
    {"DELETE FROM turn WHERE session_id = $1", "i"},
    {"DELETE FROM handoff_message WHERE session_id = $1", "i"},
    {"DELETE FROM handoff WHERE session_id = $1", "i"},
    {"DELETE FROM feed WHERE session_id = $1", "i"},
    {"UPDATE audit SET conversation = NULL WHERE conversation = $1::bigint::text", "i"},
    {"DELETE FROM chan_options WHERE $1 <> '' AND channel = $2 AND user_key = $1", "sc"},
    {"DELETE FROM outbox WHERE $1 <> '' AND channel = $2 AND user_key = $1", "uc"},
    {"DELETE FROM share WHERE session_id = $1", "i"}, /* the citizen's checklist pages */
    {"DELETE FROM session WHERE id = $1", "i"},
};

int store_pg_privacy_forget(struct store *st, int64_t session_id, const char *user)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};
    char channel[STORE_CHANNEL_MAX] = "", stored[SESSION_USER_KEY_MAX + 1] = "";
    const char *c;
    PGresult *r;
    size_t i;
    int rc = 0;

    store_pg_param_int(&p, session_id);
    r = store_pg_exec(pg, "SELECT channel, coalesce(user_key, '') FROM session WHERE id = $1", &p);
    if (!r)
        return -EIO;
    if (PQntuples(r) == 1) {
        snprintf(channel, sizeof channel, "%s", store_pg_text(r, 0, 0));
        snprintf(stored, sizeof stored, "%s", store_pg_text(r, 0, 1));
    }
    PQclear(r);
    if (store_pg_unit_begin(pg))
        return -EIO;
    for (i = 0; !rc && i < sizeof forget_sql / sizeof forget_sql[0]; i++) {
        memset(&p, 0, sizeof(p));
        for (c = forget_sql[i].params; *c; c++) {
            if (*c == 'i')
                store_pg_param_int(&p, session_id);
            else
                store_pg_param_text(&p, *c == 'c'   ? channel
                                        : *c == 's' ? stored
                                        : user      ? user
                                                    : "");
        }
        rc = store_pg_change(pg, forget_sql[i].sql, &p) < 0 ? -EIO : 0;
    }
    if (store_pg_unit_end(pg, rc == 0))
        rc = -EIO;
    return rc;
}
