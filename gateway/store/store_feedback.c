/* gateway/store/store_feedback.c - the SQLite back-end of store.h's citizen
 * feedback (schema version 9, store_sqlite_schema.c): table feedback, one
 * row per (session, answered bot turn). A vote is rare (a tap), the admin's lists
 * rarer: every statement is prepared for the call and finalized before it
 * returns, like the report's (store_report.c). */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mc_log.h"
#include "store_pg.h"

/* "feedback":{ appears in a stored reply only as the block's key: inside a
 * message's text the quotes are escaped (\"), so the test is exact. */
#define ASKS "instr(text, '\"feedback\":{') > 0"

static const char answer_by_id_sql[] =
    "SELECT id, coalesce(msg_id, ''), coalesce(procedure, ''), " ASKS " FROM turn "
    "WHERE session_id = ?1 AND msg_id = ?2 AND role = 'bot' ORDER BY id DESC LIMIT 1";

static const char answer_last_sql[] =
    "SELECT id, coalesce(msg_id, ''), coalesce(procedure, ''), " ASKS " FROM turn "
    "WHERE session_id = ?1 AND role = 'bot' ORDER BY id DESC LIMIT 1";

static const char put_sql[] =
    "INSERT INTO feedback (session_id, turn_id, msg_id, ts, vote, procedure, channel, comment) "
    "VALUES (?1, ?2, nullif(?3, ''), ?4, ?5, ?6, ?7, ?8) ON CONFLICT (session_id, turn_id) DO "
    "UPDATE SET ts = excluded.ts, vote = excluded.vote, comment = excluded.comment";

static const char by_procedure_sql[] =
    "SELECT procedure, count(*) FILTER (WHERE vote = 'up') u, "
    "count(*) FILTER (WHERE vote = 'down') d FROM feedback WHERE ts >= ?1 AND ts < ?2 "
    "GROUP BY procedure ORDER BY count(*) DESC, procedure LIMIT ?3";

/* The question is the citizen's record just before the answer (turn_session
 * index: the two are written together, user first). */
static const char downs_sql[] =
    "SELECT f.ts, f.channel, f.procedure, coalesce((SELECT u.text FROM turn u "
    "WHERE u.session_id = f.session_id AND u.role = 'user' AND u.id < f.turn_id "
    "ORDER BY u.id DESC LIMIT 1), ''), coalesce(b.text, ''), coalesce(f.comment, '') "
    "FROM feedback f LEFT JOIN turn b ON b.id = f.turn_id "
    "WHERE f.vote = 'down' AND f.ts >= ?1 AND f.ts < ?2 ORDER BY f.ts DESC, f.rowid DESC "
    "LIMIT ?3";

static int fail(sqlite3_stmt *q)
{
    mc_log(MC_LOG_ERROR, "state.feedback", "error=\"%s\"", sqlite3_errmsg(sqlite3_db_handle(q)));
    return -EIO;
}

int store_feedback_answer(struct store *st, int64_t session_id, const char *msg_id,
                          struct store_feedback_answer *a)
{
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_pg_of(st))
        return store_pg_feedback_answer(st, session_id, msg_id, a);
    memset(a, 0, sizeof(*a));
    rc = store_sqlite_prepare(st, msg_id ? answer_by_id_sql : answer_last_sql, &q);
    if (rc)
        return rc;
    if (sqlite3_bind_int64(q, 1, session_id) != SQLITE_OK ||
        (msg_id && sqlite3_bind_text(q, 2, msg_id, -1, SQLITE_STATIC) != SQLITE_OK)) {
        rc = fail(q);
        goto out;
    }
    rc = sqlite3_step(q);
    if (rc == SQLITE_DONE) {
        rc = -ENOENT;
        goto out;
    }
    if (rc != SQLITE_ROW) {
        rc = fail(q);
        goto out;
    }
    a->turn_id = sqlite3_column_int64(q, 0);
    snprintf(a->msg_id, sizeof(a->msg_id), "%s", store_sqlite_text(q, 1));
    snprintf(a->procedure, sizeof(a->procedure), "%s", store_sqlite_text(q, 2));
    a->asks = sqlite3_column_int(q, 3) != 0;
    rc = 0;
out:
    sqlite3_finalize(q);
    return rc;
}

int store_feedback_put(struct store *st, int64_t session_id, const struct store_feedback_answer *a,
                       const char *channel, const char *vote, const char *comment, int64_t ts)
{
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_pg_of(st))
        return store_pg_feedback_put(st, session_id, a, channel, vote, comment, ts);
    if (!vote || (strcmp(vote, "up") != 0 && strcmp(vote, "down") != 0))
        return -EINVAL;
    if (comment && strlen(comment) > STORE_FEEDBACK_COMMENT_MAX)
        return -EINVAL;
    rc = store_sqlite_prepare(st, put_sql, &q);
    if (rc)
        return rc;
    if (sqlite3_bind_int64(q, 1, session_id) != SQLITE_OK ||
        sqlite3_bind_int64(q, 2, a->turn_id) != SQLITE_OK ||
        sqlite3_bind_text(q, 3, a->msg_id, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(q, 4, ts) != SQLITE_OK ||
        sqlite3_bind_text(q, 5, vote, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(q, 6, a->procedure, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(q, 7, channel, -1, SQLITE_STATIC) != SQLITE_OK ||
        (comment && comment[0] && sqlite3_bind_text(q, 8, comment, -1, SQLITE_STATIC))) {
        rc = fail(q);
        goto out;
    }
    rc = sqlite3_step(q) == SQLITE_DONE ? 0 : fail(q);
out:
    sqlite3_finalize(q);
    return rc;
}

int store_feedback_cast(struct store *st, int64_t session_id, const char *msg_id,
                        const char *channel, const char *vote, const char *comment, int64_t ts,
                        uint64_t *verdict)
{
    struct store_feedback_answer a;
    int rc = store_feedback_queue(st, session_id, msg_id, channel, vote, comment, ts, verdict);

    if (rc != -ENOTSUP)
        return rc;
    /* SQLite (a local file), or PostgreSQL with no room for a verdict */
    *verdict = 0;
    if (!msg_id)
        return -EINVAL;
    rc = store_feedback_answer(st, session_id, msg_id, &a);
    return rc ? rc : store_feedback_put(st, session_id, &a, channel, vote, comment, ts);
}

/* Prepares sql and binds the span and the row limit (?1, ?2, ?3). */
static int prepare_span(struct store *st, const char *sql, const struct store_report_span *sp,
                        unsigned max, sqlite3_stmt **q)
{
    int rc = store_sqlite_prepare(st, sql, q);

    if (rc)
        return rc;
    if (sqlite3_bind_int64(*q, 1, sp->from_s) != SQLITE_OK ||
        sqlite3_bind_int64(*q, 2, sp->to_s) != SQLITE_OK ||
        sqlite3_bind_int64(*q, 3, max ? (sqlite3_int64)max : -1) != SQLITE_OK) {
        rc = fail(*q);
        sqlite3_finalize(*q);
        *q = NULL;
    }
    return rc;
}

int store_feedback_by_procedure(struct store *st, const struct store_report_span *sp, unsigned max,
                                int (*fn)(void *ctx, const char *procedure, uint64_t up,
                                          uint64_t down),
                                void *ctx)
{
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_pg_of(st))
        return store_pg_feedback_by_procedure(st, sp, max, fn, ctx);
    rc = prepare_span(st, by_procedure_sql, sp, max, &q);
    if (rc)
        return rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        rc = fn(ctx, store_sqlite_text(q, 0), (uint64_t)sqlite3_column_int64(q, 1),
                (uint64_t)sqlite3_column_int64(q, 2));
        if (rc)
            goto out;
    }
    rc = rc == SQLITE_DONE ? 0 : fail(q);
out:
    sqlite3_finalize(q);
    return rc;
}

int store_feedback_downs(struct store *st, const struct store_report_span *sp, unsigned max,
                         int (*fn)(void *ctx, const struct store_feedback_row *r), void *ctx)
{
    struct store_feedback_row r;
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_pg_of(st))
        return store_pg_feedback_downs(st, sp, max, fn, ctx);
    rc = prepare_span(st, downs_sql, sp, max, &q);
    if (rc)
        return rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        r.ts = sqlite3_column_int64(q, 0);
        r.channel = store_sqlite_text(q, 1);
        r.procedure = store_sqlite_text(q, 2);
        r.question = store_sqlite_text(q, 3);
        r.answer = store_sqlite_text(q, 4);
        r.comment = store_sqlite_text(q, 5);
        rc = fn(ctx, &r);
        if (rc)
            goto out;
    }
    rc = rc == SQLITE_DONE ? 0 : fail(q);
out:
    sqlite3_finalize(q);
    return rc;
}
