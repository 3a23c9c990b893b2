/* gateway/store/store_privacy.c - personal data in the state database (see
 * store.h, "personal data"): platform user ids kept as keyed hashes,
 * retention in small steps, and the erasure of one session.
 * The statements here run once a minute (retention) or when a citizen asks
 * to be forgotten, so they are prepared per call rather than kept open with
 * the turn path's. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "mc_log.h"
#include "store_pg.h"
#include "store_sqlite_int.h"

static const char hexd[] = "0123456789abcdef";

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexd[b[i] >> 4];
        out[2 * i + 1] = hexd[b[i] & 15];
    }
    out[2 * n] = '\0';
}

void store_privacy_user_key(struct store *st, const char *channel, const char *user, char *out,
                            size_t cap)
{
    const struct store_idkey *k = store_sqlite_idkey(st);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char msg[STORE_CHANNEL_MAX + SESSION_USER_KEY_MAX + 2];
    int len;

    if (!k->set || !user[0]) {
        snprintf(out, cap, "%s", user);
        return;
    }
    /* the channel is part of the message: one person's Messenger and Zalo
     * ids never meet, and an id of one platform says nothing on the other */
    len = snprintf(msg, sizeof msg, "%s\n%s", channel, user);
    if (len < 0 || (size_t)len >= sizeof msg ||
        !HMAC(EVP_sha256(), k->key, STORE_ID_KEY_LEN, (const unsigned char *)msg, (size_t)len, mac,
              &n) ||
        cap < 3 + 2 * (size_t)n) {
        snprintf(out, cap, "h:"); /* never the clear id; matches nothing stored */
        return;
    }
    memcpy(out, "h:", sizeof "h:" - 1);
    to_hex(mac, n, out + sizeof "h:" - 1);
}

/* Runs sql with ?1..?ni bound to ints and the next ones to texts; adds the
 * rows changed to *changes (may be NULL). Returns 0 or -EIO. */
static int exec_sql(struct store *st, const char *sql, const int64_t *ints, int ni,
                    const char *const *texts, int nt, unsigned long *changes)
{
    sqlite3_stmt *q = NULL;
    int i, rc = store_sqlite_prepare(st, sql, &q);

    if (rc)
        return rc;
    for (i = 0; i < ni && i < sqlite3_bind_parameter_count(q); i++)
        if (sqlite3_bind_int64(q, i + 1, ints[i]) != SQLITE_OK)
            goto fail;
    for (i = 0; i < nt && ni + i < sqlite3_bind_parameter_count(q); i++)
        if (sqlite3_bind_text(q, ni + i + 1, texts[i], -1, SQLITE_TRANSIENT) != SQLITE_OK)
            goto fail;
    if (sqlite3_step(q) != SQLITE_DONE)
        goto fail;
    if (changes)
        *changes += (unsigned long)sqlite3_changes(store_sqlite_db(st));
    sqlite3_finalize(q);
    return 0;
fail:
    mc_log(MC_LOG_ERROR, "state.db", "op=privacy error=\"%s\"",
           sqlite3_errmsg(store_sqlite_db(st)));
    sqlite3_finalize(q);
    return -EIO;
}

static int unit_end(struct store *st, int rc)
{
    if (store_unit_end(st, rc == 0))
        return -EIO;
    return rc;
}

/* Rewrites the clear ids of one table (written before a key was set). */
static int rehash_table(struct store *st, const char *select, const char *update)
{
    sqlite3_stmt *q = NULL;
    int rc = store_sqlite_prepare(st, select, &q), step;

    while (!rc && (step = sqlite3_step(q)) == SQLITE_ROW) {
        char hk[STORE_USER_HKEY_MAX];
        const char *texts[1] = {hk};
        int64_t id = sqlite3_column_int64(q, 0);

        store_privacy_user_key(st, (const char *)sqlite3_column_text(q, 1),
                               (const char *)sqlite3_column_text(q, 2), hk, sizeof hk);
        rc = exec_sql(st, update, &id, 1, texts, 1, NULL);
    }
    if (!rc && step != SQLITE_DONE)
        rc = -EIO;
    sqlite3_finalize(q);
    return rc;
}

int store_privacy_set_key(struct store *st, const unsigned char *key, size_t len)
{
    struct store_idkey *k = store_sqlite_idkey(st);
    int rc;

    if (store_pg_of(st))
        return store_pg_privacy_set_key(st, key, len);
    if (len != STORE_ID_KEY_LEN)
        return -EINVAL;
    memcpy(k->key, key, len);
    k->set = true;
    if (store_unit_begin(st))
        return -EIO;
    rc = rehash_table(st,
                      "SELECT id, channel, user_key FROM session WHERE user_key IS NOT NULL "
                      "AND user_key NOT LIKE 'h:%' LIMIT 500",
                      "UPDATE OR IGNORE session SET user_key = ?2 WHERE id = ?1");
    if (!rc)
        rc = rehash_table(st,
                          "SELECT rowid, channel, user_key FROM chan_options "
                          "WHERE user_key NOT LIKE 'h:%' LIMIT 500",
                          "UPDATE OR IGNORE chan_options SET user_key = ?2 WHERE rowid = ?1");
    return unit_end(st, rc);
}

static int read_db_key(struct store *st, unsigned char key[STORE_ID_KEY_LEN])
{
    sqlite3_stmt *q = NULL;
    const char *hex;
    int rc = store_sqlite_prepare(st, "SELECT key FROM privacy_key WHERE id = 1", &q);

    if (rc)
        return rc;
    rc = -ENOENT;
    if (sqlite3_step(q) == SQLITE_ROW && (hex = (const char *)sqlite3_column_text(q, 0)) &&
        strlen(hex) == 2 * STORE_ID_KEY_LEN) {
        rc = 0;
        for (size_t i = 0; i < STORE_ID_KEY_LEN && !rc; i++) {
            const char *a = strchr(hexd, hex[2 * i]), *b = strchr(hexd, hex[2 * i + 1]);

            if (!a || !b || !hex[2 * i] || !hex[2 * i + 1])
                rc = -EIO;
            else
                key[i] = (unsigned char)(((a - hexd) << 4) | (b - hexd));
        }
    }
    sqlite3_finalize(q);
    return rc;
}

int store_privacy_db_key(struct store *st, unsigned char key[STORE_ID_KEY_LEN])
{
    unsigned char fresh[STORE_ID_KEY_LEN];
    char hex[2 * STORE_ID_KEY_LEN + 1];
    const char *texts[1] = {hex};
    int rc;

    if (store_pg_of(st))
        return store_pg_privacy_db_key(st, key);
    rc = read_db_key(st, key);
    if (rc != -ENOENT)
        return rc;
    if (RAND_bytes(fresh, sizeof fresh) != 1)
        return -EIO;
    to_hex(fresh, sizeof fresh, hex);
    /* OR IGNORE: workers starting together keep the first one's key */
    if (store_unit_begin(st))
        return -EIO;
    rc = exec_sql(st, "INSERT OR IGNORE INTO privacy_key (id, key) VALUES (1, ?1)", NULL, 0, texts,
                  1, NULL);
    rc = unit_end(st, rc);
    if (!rc)
        rc = store_commit(st);
    return rc ? rc : read_db_key(st, key);
}

/* ?1 the session id, ?2 its channel, ?3 the id as stored, ?4 the clear id */
static const char *const forget_sql[] = {
    "DELETE FROM feedback WHERE session_id = ?1",
    "DELETE FROM turn WHERE session_id = ?1",
    "DELETE FROM handoff_message WHERE session_id = ?1",
    "DELETE FROM handoff WHERE session_id = ?1",
    "DELETE FROM feed WHERE session_id = ?1",
    "UPDATE audit SET conversation = NULL WHERE conversation = CAST(?1 AS TEXT)",
    "DELETE FROM chan_options WHERE ?3 != '' AND channel = ?2 AND user_key = ?3",
    "DELETE FROM outbox WHERE ?4 != '' AND channel = ?2 AND user_key = ?4",
    "DELETE FROM share WHERE session_id = ?1", /* the citizen's checklist pages */
    "DELETE FROM session WHERE id = ?1",
};

int store_privacy_forget(struct store *st, int64_t session_id, const char *user)
{
    sqlite3_stmt *q = NULL;
    char channel[STORE_CHANNEL_MAX] = "", stored[SESSION_USER_KEY_MAX + 1] = "";
    const char *texts[3] = {channel, stored, user ? user : ""};
    int rc;

    if (store_pg_of(st))
        return store_pg_privacy_forget(st, session_id, user);
    rc = store_sqlite_prepare(
        st, "SELECT channel, coalesce(user_key, '') FROM session WHERE id = ?1", &q);
    if (rc)
        return rc;
    if (sqlite3_bind_int64(q, 1, session_id) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
        snprintf(channel, sizeof channel, "%s", (const char *)sqlite3_column_text(q, 0));
        snprintf(stored, sizeof stored, "%s", (const char *)sqlite3_column_text(q, 1));
    }
    sqlite3_finalize(q);
    if (store_unit_begin(st))
        return -EIO;
    for (size_t i = 0; !rc && i < sizeof forget_sql / sizeof forget_sql[0]; i++)
        rc = exec_sql(st, forget_sql[i], &session_id, 1, texts, 3, NULL);
    return unit_end(st, rc);
}

/* ?1 before (s), ?2 rows per statement, ?3 before (ms), ?4 token cut-off (s), ?5 now (s) */
static const char *const purge_sql[] = {
    "DELETE FROM feedback WHERE turn_id IN "
    "(SELECT id FROM turn WHERE ts < ?1 ORDER BY ts LIMIT ?2)",
    "DELETE FROM turn WHERE id IN (SELECT id FROM turn WHERE ts < ?1 ORDER BY ts LIMIT ?2)",
    "DELETE FROM feedback WHERE rowid IN (SELECT rowid FROM feedback WHERE ts < ?1 LIMIT ?2)",
    "DELETE FROM handoff_message WHERE id IN "
    "(SELECT id FROM handoff_message WHERE ts_ms < ?3 LIMIT ?2)",
    "DELETE FROM feed WHERE id IN (SELECT id FROM feed WHERE ts_ms < ?3 LIMIT ?2)",
    "DELETE FROM seen_event WHERE rowid IN (SELECT rowid FROM seen_event WHERE ts < ?1 LIMIT ?2)",
    /* a sent reply needs its recipient no more; a failed one is kept as long as the rest */
    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state = 'sent' LIMIT ?2)",
    "DELETE FROM outbox WHERE id IN "
    "(SELECT id FROM outbox WHERE state = 'failed' AND created < ?3 LIMIT ?2)",
    /* an officer answers only a handoff he holds (from a request, which sets the id again) */
    "UPDATE handoff SET user_key = '' WHERE session_id IN "
    "(SELECT session_id FROM handoff WHERE state IN ('bot', 'closed') AND user_key != '' LIMIT ?2)",
    "UPDATE session SET token = lower(hex(randomblob(16))), created = ?5 WHERE id IN "
    "(SELECT id FROM session WHERE created < ?4 LIMIT ?2)",
};

int store_privacy_purge(struct store *st, struct store_purge *p)
{
    int64_t args[5] = {p->before_s, p->max, p->before_s * 1000, p->token_s, 0};
    int64_t ids[64];
    size_t nid = 0;
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_pg_of(st))
        return store_pg_privacy_purge(st, p);
    args[4] = p->token_s > 0 ? (int64_t)time(NULL) : 0;
    p->rows = 0;
    if (store_unit_begin(st))
        return -EIO;
    rc = 0;
    for (size_t i = 0; !rc && i < sizeof purge_sql / sizeof purge_sql[0]; i++)
        rc = exec_sql(st, purge_sql[i], args, 5, NULL, 0, &p->rows);
    /* idle sessions go with everything they still hold, as if forgotten */
    if (!rc)
        rc = store_sqlite_prepare(st, "SELECT id FROM session WHERE last_seen < ?1 LIMIT ?2", &q);
    if (!rc) {
        if (sqlite3_bind_int64(q, 1, p->before_s) != SQLITE_OK ||
            sqlite3_bind_int64(q, 2, p->max < 64 ? p->max : 64) != SQLITE_OK)
            rc = -EIO;
        while (!rc && nid < 64 && sqlite3_step(q) == SQLITE_ROW)
            ids[nid++] = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    for (size_t i = 0; !rc && i < nid; i++)
        rc = store_privacy_forget(st, ids[i], NULL);
    p->rows += nid;
    return unit_end(st, rc);
}
