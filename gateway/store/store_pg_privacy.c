/* gateway/store/store_pg_privacy.c - personal data on PostgreSQL
 * (store_pg.h): the key of platform user ids' hashes kept in the database,
 * shared by every node (the first node to start creates it), the rewrite of
 * ids stored in clear before a key was set, and the erasure of one session;
 * store_privacy.c's statements, same returns; and retention (purge). The
 * hashing itself, store_privacy_user_key(), is the same code for both
 * back-ends. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* What store_privacy_purge() deletes or changes, in store_privacy.c's order,
 * each with its parameters: a the cut-off (s), m the rows per statement, b
 * the cut-off (ms), t the tokens' cut-off (s), n now (s). Rows are picked by
 * their key where SQLite uses rowid. */
static const struct {
    const char *sql;
    const char *params;
} purge_sql[] = {
    {"DELETE FROM feedback WHERE turn_id IN "
     "(SELECT id FROM turn WHERE ts < $1 ORDER BY ts LIMIT $2)",
     "am"},
    {"DELETE FROM turn WHERE id IN (SELECT id FROM turn WHERE ts < $1 ORDER BY ts LIMIT $2)", "am"},
    {"DELETE FROM feedback WHERE (session_id, turn_id) IN "
     "(SELECT session_id, turn_id FROM feedback WHERE ts < $1 LIMIT $2)",
     "am"},
    {"DELETE FROM handoff_message WHERE id IN "
     "(SELECT id FROM handoff_message WHERE ts_ms < $1 LIMIT $2)",
     "bm"},
    {"DELETE FROM feed WHERE id IN (SELECT id FROM feed WHERE ts_ms < $1 LIMIT $2)", "bm"},
    {"DELETE FROM seen_event WHERE (channel, event_id) IN "
     "(SELECT channel, event_id FROM seen_event WHERE ts < $1 LIMIT $2)",
     "am"},
    /* a sent reply needs its recipient no more; a failed one is kept as long as the rest */
    {"DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state = 'sent' LIMIT $1)", "m"},
    {"DELETE FROM outbox WHERE id IN "
     "(SELECT id FROM outbox WHERE state = 'failed' AND created < $1 LIMIT $2)",
     "bm"},
    /* an officer answers only a handoff he holds (from a request, which sets the id again) */
    {"UPDATE handoff SET user_key = '' WHERE session_id IN (SELECT session_id FROM handoff "
     "WHERE state IN ('bot', 'closed') AND user_key <> '' LIMIT $1)",
     "m"},
    /* 32 hex digits as SQLite's hex(randomblob(16)); gen_random_uuid() draws from
     * the server's strong random source (122 random bits) */
    {"UPDATE session SET token = replace(gen_random_uuid()::text, '-', ''), created = $1 "
     "WHERE id IN (SELECT id FROM session WHERE created < $2 LIMIT $3)",
     "ntm"},
};

int store_pg_privacy_purge(struct store *st, struct store_purge *pp)
{
    struct store_pg *pg = store_pg_of(st);
    int64_t now = pp->token_s > 0 ? (int64_t)time(NULL) : 0;
    struct store_pg_params p = {0};
    enum { N_PURGE = sizeof purge_sql / sizeof purge_sql[0] };
    /* a step starts its own batch (privacy.c), so the queue holds BEGIN and
     * the unit's SAVEPOINT before these: it must not fill up among them */
    _Static_assert(N_PURGE + 4 <= STORE_PG_QUEUE_MAX, "the purge's statements fit one queue");
    long changed[N_PURGE];
    int64_t ids[64];
    PGresult *r;
    size_t i, nid = 0;
    const char *c;
    int rc = 0;

    pp->rows = 0;
    if (store_pg_unit_begin(pg))
        return -EIO;
    /* queued and sent together: one round trip on the loop, not one each
     * (they run in order: the feedback of the turns going goes first) */
    for (i = 0; !rc && i < N_PURGE; i++) {
        memset(&p, 0, sizeof(p));
        for (c = purge_sql[i].params; *c; c++)
            store_pg_param_int(&p, *c == 'a'   ? pp->before_s
                                   : *c == 'b' ? pp->before_s * 1000
                                   : *c == 't' ? pp->token_s
                                   : *c == 'n' ? now
                                               : (int64_t)pp->max);
        rc = store_pg_queue(pg, purge_sql[i].sql, &p) ? -EIO : 0;
    }
    if (!rc && store_pg_sync(pg, changed, N_PURGE))
        rc = -EIO;
    for (i = 0; !rc && i < N_PURGE; i++) /* -1: sent early with a full queue, not counted */
        pp->rows += changed[i] > 0 ? (unsigned long)changed[i] : 0;
    /* idle sessions go with everything they still hold, as if forgotten */
    if (!rc) {
        memset(&p, 0, sizeof(p));
        store_pg_param_int(&p, pp->before_s);
        store_pg_param_int(&p, pp->max < 64 ? pp->max : 64);
        r = store_pg_exec(pg, "SELECT id FROM session WHERE last_seen < $1 LIMIT $2", &p);
        if (!r)
            rc = -EIO;
        for (nid = 0; r && nid < 64 && (int)nid < PQntuples(r); nid++)
            ids[nid] = store_pg_int(r, (int)nid, 0);
        PQclear(r);
    }
    for (i = 0; !rc && i < nid; i++)
        rc = store_pg_privacy_forget(st, ids[i], NULL);
    pp->rows += nid;
    if (store_pg_unit_end(pg, rc == 0))
        rc = -EIO;
    return rc;
}
