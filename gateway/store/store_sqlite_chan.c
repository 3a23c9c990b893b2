/* gateway/store/store_sqlite_chan.c - what the channels keep on SQLite
 * (store.h: "outbox", "webhooks and channels", "outbox claims"): the outbox
 * of replies to send, with its claims (which store handle sends a row,
 * until when) and lease; the webhook events seen already (de-duplication
 * of a platform's resends); the numbered options offered to each user; the
 * channels' refreshed tokens. The statements are store_sqlite.c's table
 * (Q_OUTBOX_ADD ... Q_TOKEN_PUT). */
#include "store_sqlite_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_log.h"
#include "store_pg.h"

void store_outbox_set_lease(struct store *st, int64_t lease_ms)
{
    st->lease_ms = lease_ms > 0 ? lease_ms : STORE_OUTBOX_LEASE_MS;
}

int64_t store_outbox_lease(const struct store *st)
{
    return st->lease_ms;
}

int64_t store_outbox_owner(const struct store *st)
{
    return st->owner;
}

int store_outbox_add(struct store *st, const char *channel, const char *user, const char *body,
                     int64_t now_ms)
{
    sqlite3_stmt *q = st->q[Q_OUTBOX_ADD];

    if (st->pg)
        return store_pg_outbox_add(st, channel, user, body, now_ms);
    if (store_sqlite_batch(st))
        return -EIO;
    if ((store_sqlite_bind_text(q, 1, channel) | store_sqlite_bind_text(q, 2, user) |
         store_sqlite_bind_text(q, 3, body) | sqlite3_bind_int64(q, 4, now_ms)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    if (store_sqlite_run(st, Q_OUTBOX_ADD))
        return -EIO;
    /* the write lock is held since BEGIN IMMEDIATE: every row of another
     * batch has a smaller id, and this batch's rows never go below its first */
    if (st->outbox_floor == INT64_MAX)
        st->outbox_floor = sqlite3_last_insert_rowid(st->db);
    return 0;
}

/* Claims row id for st until now_ms + its lease, unless another
 * handle's live claim holds it (checked again under the write lock). Returns
 * 1 when claimed, 0 when another handle has it, -EIO. */
static int outbox_claim(struct store *st, int64_t id, int64_t now_ms)
{
    sqlite3_stmt *q = st->q[Q_OUTBOX_CLAIM];

    if ((sqlite3_bind_int64(q, 1, id) | sqlite3_bind_int64(q, 2, st->owner) |
         sqlite3_bind_int64(q, 3, now_ms + st->lease_ms) | sqlite3_bind_int64(q, 4, now_ms)) !=
        SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    if (store_sqlite_run(st, Q_OUTBOX_CLAIM))
        return -EIO;
    st->claimed = true;
    return sqlite3_changes(st->db) == 1;
}

int store_outbox_due(struct store *st, int64_t now_ms, struct store_outbox_row *rows, size_t max,
                     size_t *n)
{
    sqlite3_stmt *q = st->q[Q_OUTBOX_DUE];
    struct store_outbox_row *r;
    uint64_t fresh = 0; /* bit i: row i is ours for more than half a lease yet (no write) */
    size_t i, kept, unclaimed = 0;
    int rc = SQLITE_DONE, out = 0;

    if (st->pg)
        return store_pg_outbox_due(st, now_ms, rows, max, n);
    *n = 0;
    /* the open batch's own rows are not committed: a reply sent from them
     * could answer a turn whose commit then fails (issue 18) */
    if ((sqlite3_bind_int64(q, 1, now_ms) | sqlite3_bind_int64(q, 2, (sqlite3_int64)max) |
         sqlite3_bind_int64(q, 3, st->owner) |
         sqlite3_bind_int64(q, 4, st->batch ? st->outbox_floor : INT64_MAX)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    while (*n < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        r = &rows[*n];
        memset(r, 0, sizeof(*r));
        r->id = sqlite3_column_int64(q, 0);
        snprintf(r->channel, sizeof(r->channel), "%s", store_sqlite_text(q, 1));
        snprintf(r->user, sizeof(r->user), "%s", store_sqlite_text(q, 2));
        r->body_len = (size_t)sqlite3_column_bytes(q, 3);
        r->body = malloc(r->body_len + 1);
        if (!r->body) {
            out = -ENOMEM;
            break;
        }
        memcpy(r->body, store_sqlite_text(q, 3), r->body_len);
        r->body[r->body_len] = '\0';
        r->attempts = sqlite3_column_int(q, 4);
        r->created_ms = sqlite3_column_int64(q, 5);
        if (*n < 64 && sqlite3_column_int64(q, 6) == st->owner &&
            sqlite3_column_int64(q, 7) - now_ms > st->lease_ms / 2)
            fresh |= (uint64_t)1 << *n;
        (*n)++;
    }
    if (!out && *n < max && rc != SQLITE_DONE)
        out = -EIO;
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    /* claim what is not ours yet (or soon no longer); a row another handle
     * claimed meanwhile is dropped from the answer. A claim the database
     * refuses (a full disk) still sends the row, as before claims: on one
     * SQLite file a single process sends (gw's outbox_sender), the claim is
     * its second guard, and the outcome is held in memory anyway (outbox.c). */
    for (i = kept = 0; i < *n; i++) {
        rc = out ? 0 : i < 64 && (fresh >> i & 1) ? 1 : outbox_claim(st, rows[i].id, now_ms);
        if (rc < 0 && !unclaimed++)
            mc_log(MC_LOG_WARN, "outbox.claim_failed", "row=%lld action=send_unclaimed",
                   (long long)rows[i].id);
        if (rc != 0) {
            rows[kept++] = rows[i];
            continue;
        }
        free(rows[i].body);
    }
    *n = kept;
    if (out)
        while (*n)
            free(rows[--*n].body);
    return out;
}

int store_outbox_done(struct store *st, int64_t id, const char *state, int attempts)
{
    sqlite3_stmt *q = st->q[Q_OUTBOX_DONE];

    if (st->pg)
        return store_pg_outbox_done(st, id, state, attempts);
    if (store_sqlite_batch(st))
        return -EIO;
    if ((sqlite3_bind_int64(q, 1, id) | store_sqlite_bind_text(q, 2, state) |
         sqlite3_bind_int(q, 3, attempts)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return store_sqlite_run(st, Q_OUTBOX_DONE);
}

int store_outbox_retry(struct store *st, int64_t id, int attempts, int64_t next_try_ms)
{
    sqlite3_stmt *q = st->q[Q_OUTBOX_RETRY];

    if (st->pg)
        return store_pg_outbox_retry(st, id, attempts, next_try_ms);
    if (store_sqlite_batch(st))
        return -EIO;
    if ((sqlite3_bind_int64(q, 1, id) | sqlite3_bind_int(q, 2, attempts) |
         sqlite3_bind_int64(q, 3, next_try_ms)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return store_sqlite_run(st, Q_OUTBOX_RETRY);
}

int store_outbox_claim_send(struct store *st, int64_t now_ms, size_t max)
{
    if (st->pg)
        return store_pg_outbox_claim_send(st, now_ms, max);
    if (st->claim_sent)
        return -EBUSY;
    /* a local file: the claim is made when the rows are taken, nothing to wait for */
    st->claim_sent = true;
    st->claim_now_ms = now_ms;
    st->claim_max = max;
    return 0;
}

int store_outbox_claimed(struct store *st, struct store_outbox_row *rows, size_t max, size_t *n)
{
    *n = 0;
    if (st->pg)
        return store_pg_outbox_claimed(st, rows, max, n);
    if (!st->claim_sent)
        return -ENOENT;
    st->claim_sent = false;
    return store_outbox_due(st, st->claim_now_ms, rows, max < st->claim_max ? max : st->claim_max,
                            n);
}

bool store_outbox_claim_answered(struct store *st)
{
    return st->pg ? store_pg_outbox_claim_answered(st) : st->claim_sent;
}

bool store_outbox_busy(struct store *st)
{
    return st->pg ? store_pg_outbox_busy(st) : false;
}

int store_outbox_outcome_send(struct store *st, int64_t id, const char *state, int attempts,
                              int64_t next_try_ms)
{
    if (st->pg)
        return store_pg_outbox_outcome_send(st, id, state, attempts, next_try_ms);
    return state ? store_outbox_done(st, id, state, attempts)
                 : store_outbox_retry(st, id, attempts, next_try_ms);
}

size_t store_outbox_outcomes(struct store *st, struct store_outbox_outcome *out, size_t max)
{
    return st->pg ? store_pg_outbox_outcomes(st, out, max) : 0;
}

long store_outbox_pending(struct store *st)
{
    sqlite3_stmt *q = st->q[Q_OUTBOX_PENDING];
    long n = -1;

    if (st->pg)
        return store_pg_outbox_pending(st);
    if (sqlite3_step(q) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return n;
}

int store_event_first_time(struct store *st, const char *channel, const char *event_id,
                           int64_t now_s)
{
    sqlite3_stmt *q = st->q[Q_EVENT_SEEN];

    if (st->pg)
        return store_pg_event_first_time(st, channel, event_id, now_s);
    if (store_sqlite_batch(st))
        return -EIO;
    if ((store_sqlite_bind_text(q, 1, channel) | store_sqlite_bind_text(q, 2, event_id) |
         sqlite3_bind_int64(q, 3, now_s)) != SQLITE_OK ||
        store_sqlite_run(st, Q_EVENT_SEEN)) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

char *store_options_get(struct store *st, const char *channel, const char *user)
{
    sqlite3_stmt *q = st->q[Q_OPTIONS_GET];
    char hk[STORE_USER_HKEY_MAX];

    if (st->pg)
        return store_pg_options_get(st, channel, user);
    store_privacy_user_key(st, channel, user, hk, sizeof hk);
    if ((store_sqlite_bind_text(q, 1, channel) | store_sqlite_bind_text(q, 2, hk)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return NULL;
    }
    return store_sqlite_first_text(st, Q_OPTIONS_GET);
}

int store_options_put(struct store *st, const char *channel, const char *user,
                      const char *options_json)
{
    sqlite3_stmt *q = st->q[Q_OPTIONS_PUT];
    char hk[STORE_USER_HKEY_MAX];

    if (st->pg)
        return store_pg_options_put(st, channel, user, options_json);
    if (store_sqlite_batch(st))
        return -EIO;
    store_privacy_user_key(st, channel, user, hk, sizeof hk);
    if ((store_sqlite_bind_text(q, 1, channel) | store_sqlite_bind_text(q, 2, hk) |
         store_sqlite_bind_text(q, 3, options_json)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return store_sqlite_run(st, Q_OPTIONS_PUT);
}

int store_token_get(struct store *st, const char *channel, char *access, size_t access_cap,
                    char *refresh, size_t refresh_cap)
{
    sqlite3_stmt *q = st->q[Q_TOKEN_GET];
    int rc;

    if (st->pg)
        return store_pg_token_get(st, channel, access, access_cap, refresh, refresh_cap);
    if (store_sqlite_bind_text(q, 1, channel) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        if ((size_t)sqlite3_column_bytes(q, 0) >= access_cap ||
            (size_t)sqlite3_column_bytes(q, 1) >= refresh_cap)
            rc = -E2BIG;
        else {
            snprintf(access, access_cap, "%s", store_sqlite_text(q, 0));
            snprintf(refresh, refresh_cap, "%s", store_sqlite_text(q, 1));
            rc = 0;
        }
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc;
}

int store_token_put(struct store *st, const char *channel, const char *access, const char *refresh,
                    int64_t now_s)
{
    sqlite3_stmt *q = st->q[Q_TOKEN_PUT];

    if (st->pg)
        return store_pg_token_put(st, channel, access, refresh, now_s);
    if (store_sqlite_batch(st))
        return -EIO;
    if ((store_sqlite_bind_text(q, 1, channel) | store_sqlite_bind_text(q, 2, access) |
         store_sqlite_bind_text(q, 3, refresh) | sqlite3_bind_int64(q, 4, now_s)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return store_sqlite_run(st, Q_TOKEN_PUT);
}
