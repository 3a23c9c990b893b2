/* gateway/store/store_pg_feed.c - the feed's rows with what each push
 * needs, in one statement, on PostgreSQL (store.h "the feed's rows with
 * what each push needs"; docs/scaling.md "Cross-node events").
 *
 * The separate reads were: the rows after the cursor (store_pg_feed_since()),
 * then per row the handoff (store_pg_handoff_get()), the officer's name
 * (store_pg_officer_get()) and, for a message, the message
 * (store_pg_handoff_messages() after message_id - 1, one row, its id
 * checked). Here each is a LEFT JOIN on the rows, so a row whose handoff,
 * officer or message is missing reads as the separate read did: state
 * "bot", name "", no message. One statement is one snapshot: the handoff
 * row, the name and the message are as they were when the feed rows were
 * read, not a few round trips later. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store_pg.h"

static const char feed_sql[] =
    "SELECT f.id, f.kind, f.session_id, f.message_id, f.officer, f.ts_ms, "
    "h.session_id IS NOT NULL, h.state, h.channel, h.user_key, h.procedure, h.locality, "
    "h.waiting_since, h.officer, h.updated, h.last_citizen_ms, coalesce(o.name, ''), "
    "m.id IS NOT NULL, m.sender, m.text "
    "FROM (SELECT id, kind, session_id, message_id, officer, ts_ms FROM feed "
    "WHERE id > $1 ORDER BY id LIMIT $2) f "
    "LEFT JOIN handoff h ON h.session_id = f.session_id "
    "LEFT JOIN officer o ON f.officer <> '' AND o.username = f.officer "
    "LEFT JOIN handoff_message m ON f.kind = 'message' AND m.id = f.message_id "
    "AND m.session_id = f.session_id "
    "ORDER BY f.id";

static void feed_params(struct store_pg_params *p, int64_t after_id, unsigned max)
{
    store_pg_param_int(p, after_id);
    store_pg_param_int(p, max);
}

int store_pg_feed_read_queue(struct store_pg_link *l, int64_t after_id, unsigned max)
{
    struct store_pg_params p = {0};

    feed_params(&p, after_id, max);
    return store_pg_link_queue(l, feed_sql, &p) ? -EIO : 0;
}

static bool is_true(const PGresult *r, int row, int col)
{
    return strcmp(store_pg_text(r, row, col), "t") == 0;
}

int store_pg_feed_rows(const PGresult *r, store_feed_fn fn, void *ctx, unsigned *rows)
{
    struct store_handoff h;
    struct store_feed_item it;
    int i, rc = 0;

    *rows = 0;
    if (PQnfields(r) != 20)
        return -EIO; /* not this statement's answer */
    for (i = 0; i < PQntuples(r) && !rc; i++) {
        memset(&it, 0, sizeof(it));
        memset(&h, 0, sizeof(h));
        it.id = store_pg_int(r, i, 0);
        it.kind = store_pg_text(r, i, 1);
        it.session_id = store_pg_int(r, i, 2);
        it.message_id = store_pg_int(r, i, 3);
        it.officer = store_pg_text(r, i, 4);
        it.ts_ms = store_pg_int(r, i, 5);
        h.session_id = it.session_id;
        if (is_true(r, i, 6)) {
            snprintf(h.state, sizeof(h.state), "%s", store_pg_text(r, i, 7));
            snprintf(h.channel, sizeof(h.channel), "%s", store_pg_text(r, i, 8));
            snprintf(h.user_key, sizeof(h.user_key), "%s", store_pg_text(r, i, 9));
            snprintf(h.procedure, sizeof(h.procedure), "%s", store_pg_text(r, i, 10));
            snprintf(h.locality, sizeof(h.locality), "%s", store_pg_text(r, i, 11));
            h.waiting_since = store_pg_int(r, i, 12);
            snprintf(h.officer, sizeof(h.officer), "%s", store_pg_text(r, i, 13));
            h.updated = store_pg_int(r, i, 14);
            h.last_citizen_ms = store_pg_int(r, i, 15);
        } else {
            snprintf(h.state, sizeof(h.state), "bot"); /* never handed off */
        }
        it.handoff = &h;
        it.officer_name = store_pg_text(r, i, 16);
        if (is_true(r, i, 17)) {
            it.from = store_pg_text(r, i, 18);
            it.text = store_pg_text(r, i, 19);
        }
        rc = fn(ctx, &it);
        (*rows)++;
    }
    return rc;
}

int store_pg_feed_read(struct store *st, int64_t after_id, unsigned max, store_feed_fn fn,
                       void *ctx)
{
    struct store_pg_params p = {0};
    unsigned rows;
    PGresult *r;
    int rc;

    feed_params(&p, after_id, max);
    r = store_pg_exec(store_pg_of(st), feed_sql, &p);
    if (!r)
        return -EIO;
    rc = store_pg_feed_rows(r, fn, ctx, &rows);
    PQclear(r);
    return rc;
}
