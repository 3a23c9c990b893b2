/* gateway/store/store_report.c - the report queries of store.h (SQLite
 * back-end): aggregates over the turn records, the feedback votes and, when
 * their tables exist, the handoff records. Every statement is prepared for the call
 * and finalized before it returns. Local days and hours are the unix time
 * shifted by the span's fixed offset (date(ts + offset, 'unixepoch')). */
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "mc_log.h"
#include "store_pg.h"
#include "store_sqlite_int.h"

#define REPORT_WAITS_MAX (1024 * 1024) /* handoffs whose wait is kept for the median */

/* ?1 from, ?2 to (exclusive), ?3 offset, ?4 limit (-1: none). */
#define USER_TURNS "FROM turn WHERE role = 'user' AND ts >= ?1 AND ts < ?2"

static const char *const messages_sql[] = {
    [STORE_REPORT_ALL] = "SELECT '', count(DISTINCT session_id), count(*) " USER_TURNS " LIMIT ?4",
    [STORE_REPORT_CHANNEL] = "SELECT channel, count(DISTINCT session_id), count(*) " USER_TURNS
                             " GROUP BY channel ORDER BY channel LIMIT ?4",
    [STORE_REPORT_DAY] = "SELECT date(ts + ?3, 'unixepoch') d, count(DISTINCT session_id), "
                         "count(*) " USER_TURNS " GROUP BY d ORDER BY d LIMIT ?4",
    [STORE_REPORT_HOUR] =
        "SELECT strftime('%H', ts + ?3, 'unixepoch') h, "
        "count(DISTINCT session_id), count(*) " USER_TURNS " GROUP BY h ORDER BY h LIMIT ?4",
    [STORE_REPORT_DECISION] = "SELECT coalesce(decision, '') k, count(DISTINCT session_id), "
                              "count(*) " USER_TURNS " GROUP BY k ORDER BY k LIMIT ?4",
    [STORE_REPORT_PROCEDURE] =
        "SELECT procedure, count(DISTINCT session_id) c, count(*) " USER_TURNS
        " AND procedure IS NOT NULL GROUP BY procedure "
        "ORDER BY c DESC, procedure LIMIT ?4",
};

/* A bot reply's block, checked cheaply first (instr), then as JSON: a key
 * name inside a message's text is escaped and never passes json_type. */
#define HAS_BLOCK(b)                                                                               \
    "(instr(text, '\"" b "\":') > 0 AND json_valid(text) AND "                                     \
    "json_type(text, '$." b "') = 'object')"

static const char prechecks_sql[] =
    "SELECT count(DISTINCT session_id || ' ' || procedure), "
    "count(DISTINCT CASE WHEN " HAS_BLOCK("checklist") " THEN session_id || ' ' || procedure END) "
                                                       "FROM turn WHERE role = 'bot' AND ts >= ?1 "
                                                       "AND ts < ?2 AND procedure IS NOT NULL AND "
                                                       "(" HAS_BLOCK("question") " OR " HAS_BLOCK(
                                                           "checklist") ")";

/* The first officer message after the handoff started waiting, per handoff. */
static const char handoffs_sql[] =
    "SELECT h.waiting_since, (SELECT min(m.ts_ms) FROM handoff_message m "
    "WHERE m.session_id = h.session_id AND m.sender = 'officer' AND "
    "m.ts_ms >= h.waiting_since * 1000) FROM handoff h "
    "WHERE h.waiting_since >= ?1 AND h.waiting_since < ?2";

static const char feedback_sql[] =
    "SELECT count(*) FILTER (WHERE vote = 'up'), count(*) FILTER (WHERE vote = 'down') "
    "FROM feedback WHERE ts >= ?1 AND ts < ?2";

/* Binds ?1 and ?2 (the span) and, when the statement has a ?4, ?3 and ?4
 * (an index below the highest may be bound even where it is not used). */
static int bind_span(sqlite3_stmt *q, const struct store_report_span *sp, unsigned max)
{
    int rc = sqlite3_bind_int64(q, 1, sp->from_s) | sqlite3_bind_int64(q, 2, sp->to_s);

    if (sqlite3_bind_parameter_count(q) >= 4)
        rc |= sqlite3_bind_int(q, 3, sp->offset_s) |
              sqlite3_bind_int64(q, 4, max ? (sqlite3_int64)max : -1);
    return rc == SQLITE_OK ? 0 : -EIO;
}

/* Steps q to its end; rc of the last step as 0 or -EIO (logged). */
static int step_done(sqlite3_stmt *q, int rc)
{
    if (rc == SQLITE_DONE)
        return 0;
    mc_log(MC_LOG_ERROR, "state.report", "error=\"%s\"", sqlite3_errmsg(sqlite3_db_handle(q)));
    return -EIO;
}

int store_report_messages(
    struct store *st, const struct store_report_span *sp, enum store_report_by by, unsigned max,
    int (*fn)(void *ctx, const char *key, uint64_t conversations, uint64_t messages), void *ctx)
{
    sqlite3_stmt *q = NULL;
    const char *key;
    int rc;

    if (store_pg_of(st))
        return store_pg_report_messages(st, sp, by, max, fn, ctx);
    if ((unsigned)by >= sizeof(messages_sql) / sizeof(messages_sql[0]))
        return -EINVAL;
    rc = store_sqlite_prepare(st, messages_sql[by], &q);
    if (rc || (rc = bind_span(q, sp, max)))
        goto out;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        key = (const char *)sqlite3_column_text(q, 0);
        rc = fn(ctx, key ? key : "", (uint64_t)sqlite3_column_int64(q, 1),
                (uint64_t)sqlite3_column_int64(q, 2));
        if (rc)
            goto out;
    }
    rc = step_done(q, rc);
out:
    sqlite3_finalize(q);
    return rc;
}

int store_report_prechecks(struct store *st, const struct store_report_span *sp, uint64_t *started,
                           uint64_t *completed)
{
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_pg_of(st))
        return store_pg_report_prechecks(st, sp, started, completed);
    *started = *completed = 0;
    rc = store_sqlite_prepare(st, prechecks_sql, &q);
    if (rc || (rc = bind_span(q, sp, 0)))
        goto out;
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *started = (uint64_t)sqlite3_column_int64(q, 0);
        *completed = (uint64_t)sqlite3_column_int64(q, 1);
        rc = sqlite3_step(q);
    }
    rc = step_done(q, rc);
out:
    sqlite3_finalize(q);
    return rc;
}

/* Whether table has every column of cols (NULL-terminated): a table another
 * version of the schema names differently reads as absent, never as an
 * error. Returns 1, 0 or -EIO. */
static int has_columns(struct store *st, const char *table, const char *const *cols)
{
    sqlite3_stmt *q = NULL;
    int rc, found = 0, want = 0;

    rc = store_sqlite_prepare(st, "SELECT name FROM pragma_table_info(?1)", &q);
    if (rc)
        return rc;
    if (sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC) != SQLITE_OK) {
        sqlite3_finalize(q);
        return -EIO;
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        size_t i;

        for (i = 0; name && cols[i]; i++)
            if (strcmp(name, cols[i]) == 0)
                found++;
    }
    rc = step_done(q, rc);
    sqlite3_finalize(q);
    while (cols[want])
        want++;
    return rc ? rc : found == want;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

int store_report_handoffs(struct store *st, const struct store_report_span *sp,
                          struct store_report_handoffs *out)
{
    static const char *const hcols[] = {"session_id", "waiting_since", NULL};
    static const char *const mcols[] = {"session_id", "sender", "ts_ms", NULL};
    sqlite3_stmt *q = NULL;
    double *waits = NULL, *grown;
    size_t n = 0, cap = 0;
    int rc;

    if (store_pg_of(st))
        return store_pg_report_handoffs(st, sp, out);
    memset(out, 0, sizeof(*out));
    rc = has_columns(st, "handoff", hcols);
    if (rc == 1)
        rc = has_columns(st, "handoff_message", mcols);
    if (rc <= 0)
        return rc; /* 0: the tables are not there (yet): not available */
    out->available = true;
    rc = store_sqlite_prepare(st, handoffs_sql, &q);
    if (rc || (rc = bind_span(q, sp, 0)))
        goto out;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        out->requested++;
        if (sqlite3_column_type(q, 1) == SQLITE_NULL)
            continue;
        out->answered++;
        if (n == REPORT_WAITS_MAX)
            continue; /* the median of the first ones: beyond any commune's year */
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            grown = realloc(waits, cap * sizeof(*waits));
            if (!grown) {
                rc = -ENOMEM;
                goto out;
            }
            waits = grown;
        }
        waits[n++] =
            (double)(sqlite3_column_int64(q, 1) - sqlite3_column_int64(q, 0) * 1000) / 1000.0;
    }
    rc = step_done(q, rc);
    if (rc == 0 && n) {
        qsort(waits, n, sizeof(*waits), cmp_double);
        out->median_wait_s = n % 2 ? waits[n / 2] : (waits[n / 2 - 1] + waits[n / 2]) / 2;
    }
out:
    sqlite3_finalize(q);
    free(waits);
    return rc;
}

int store_report_feedback(struct store *st, const struct store_report_span *sp, bool *available,
                          uint64_t *up, uint64_t *down)
{
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_pg_of(st))
        return store_pg_report_feedback(st, sp, available, up, down);
    *available = true; /* the table comes with schema 9 (store_feedback.c) */
    *up = *down = 0;
    rc = store_sqlite_prepare(st, feedback_sql, &q);
    if (rc || (rc = bind_span(q, sp, 0)))
        goto out;
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *up = (uint64_t)sqlite3_column_int64(q, 0);
        *down = (uint64_t)sqlite3_column_int64(q, 1);
        rc = sqlite3_step(q);
    }
    rc = step_done(q, rc);
out:
    sqlite3_finalize(q);
    return rc;
}
