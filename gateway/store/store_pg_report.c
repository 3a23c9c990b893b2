/* gateway/store/store_pg_report.c - the reports, the unanswered questions
 * and the citizens' feedback on PostgreSQL (store_pg.h): the statements of
 * store_report.c, store_admin.c (store_unanswered) and store_feedback.c in
 * PostgreSQL's words, same rows, order, limits and returns.
 *
 * What differs from SQLite, and how the answers stay the same:
 * - local days and hours are integer arithmetic on the unix time shifted by
 *   the span's offset (floor division by 86400), as SQLite's
 *   date(ts + offset, 'unixepoch'), never the server's time zone;
 * - text keys are ordered COLLATE "C" (bytes, as SQLite's BINARY), whatever
 *   the database's locale;
 * - a limit of "none" is LIMIT NULL (SQLite: -1);
 * - JSON is read through pg_temp.motcua_json(), which answers NULL for a
 *   text that is not JSON where a cast would raise: an error inside the
 *   open batch would abort the whole transaction, so a read never fails on
 *   data. The function is made once per connection (a temporary function
 *   needs no migration and no rights beyond the connection's);
 * - the bot reply after a citizen message is the session's next record
 *   (SQLite: id + 1): identities of turns saved on two nodes interleave;
 * - feedback.rowid is SQLite's implicit rowid made a column (migration 10):
 *   the order of first votes, kept by a replacing vote. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_log.h"
#include "store_pg.h"

#define REPORT_WAITS_MAX (1024 * 1024) /* handoffs whose wait is kept for the median, as SQLite */

/* $1 from, $2 to (exclusive), $3 limit (NULL: none), $4 offset (days, hours). */
#define USER_TURNS "FROM turn WHERE role = 'user' AND ts >= $1 AND ts < $2"
#define LOCAL "(ts + $4)"

static const char *const messages_sql[] = {
    [STORE_REPORT_ALL] = "SELECT '', count(DISTINCT session_id), count(*) " USER_TURNS " LIMIT $3",
    [STORE_REPORT_CHANNEL] = "SELECT channel COLLATE \"C\" k, count(DISTINCT session_id), "
                             "count(*) " USER_TURNS " GROUP BY k ORDER BY k LIMIT $3",
    [STORE_REPORT_DAY] =
        "SELECT to_char((date '1970-01-01' + floor(" LOCAL " / 86400.0)::int)::timestamp, "
        "'YYYY-MM-DD') COLLATE \"C\" k, count(DISTINCT session_id), count(*) " USER_TURNS
        " GROUP BY k ORDER BY k LIMIT $3",
    [STORE_REPORT_HOUR] =
        "SELECT lpad((mod(mod(" LOCAL ", 86400) + 86400, 86400) / 3600)::text, "
        "2, '0') COLLATE \"C\" k, count(DISTINCT session_id), count(*) " USER_TURNS
        " GROUP BY k ORDER BY k LIMIT $3",
    [STORE_REPORT_DECISION] =
        "SELECT coalesce(decision, '') COLLATE \"C\" k, "
        "count(DISTINCT session_id), count(*) " USER_TURNS " GROUP BY k ORDER BY k LIMIT $3",
    [STORE_REPORT_PROCEDURE] = "SELECT procedure COLLATE \"C\" k, count(DISTINCT session_id) c, "
                               "count(*) " USER_TURNS " AND procedure IS NOT NULL GROUP BY k "
                               "ORDER BY c DESC, k LIMIT $3",
};

/* A block of a bot reply: the cheap test first, then as JSON (j). */
#define HAS_BLOCK(b)                                                                               \
    "coalesce(strpos(text, '\"" b "\":') > 0 AND json_typeof(j -> '" b "') = 'object', false)"

#define CHECKLIST HAS_BLOCK("checklist")
#define QUESTION HAS_BLOCK("question")

static const char prechecks_sql[] =
    "SELECT count(DISTINCT session_id || ' ' || procedure), "
    "count(DISTINCT CASE WHEN checklist THEN session_id || ' ' || procedure END) "
    "FROM (SELECT session_id, procedure, " CHECKLIST " checklist, " QUESTION " question "
    "FROM turn CROSS JOIN LATERAL (SELECT pg_temp.motcua_json(text) j) x "
    "WHERE role = 'bot' AND ts >= $1 AND ts < $2 AND procedure IS NOT NULL AND "
    "(strpos(text, '\"question\":') > 0 OR strpos(text, '\"checklist\":') > 0)) t "
    "WHERE checklist OR question";

static const char handoffs_sql[] =
    "SELECT h.waiting_since, (SELECT min(m.ts_ms) FROM handoff_message m "
    "WHERE m.session_id = h.session_id AND m.sender = 'officer' AND "
    "m.ts_ms >= h.waiting_since * 1000) FROM handoff h "
    "WHERE h.waiting_since >= $1 AND h.waiting_since < $2";

static const char feedback_sql[] =
    "SELECT count(*) FILTER (WHERE vote = 'up'), count(*) FILTER (WHERE vote = 'down') "
    "FROM feedback WHERE ts >= $1 AND ts < $2";

static const char unanswered_sql[] =
    "SELECT u.id, u.ts, u.channel, u.text, coalesce(u.label, 'none'), coalesce(u.confidence, 0), "
    "u.decision, coalesce((SELECT CASE WHEN b.role = 'bot' THEN pg_temp.motcua_json(b.text) #>> "
    "'{understanding,candidates}' END FROM turn b WHERE b.session_id = u.session_id AND "
    "b.id > u.id ORDER BY b.id LIMIT 1), '[]') "
    "FROM turn u WHERE u.role = 'user' AND u.ts >= $1 AND u.ts < $2 AND "
    "(u.decision IN ('none', 'clarify') OR (u.decision = 'match' AND u.confidence < $3)) "
    "ORDER BY u.id DESC LIMIT $4";

#define ASKS "strpos(text, '\"feedback\":{') > 0"

static const char answer_by_id_sql[] =
    "SELECT id, coalesce(msg_id, ''), coalesce(procedure, ''), " ASKS " FROM turn "
    "WHERE session_id = $1 AND msg_id = $2 AND role = 'bot' ORDER BY id DESC LIMIT 1";

static const char answer_last_sql[] =
    "SELECT id, coalesce(msg_id, ''), coalesce(procedure, ''), " ASKS " FROM turn "
    "WHERE session_id = $1 AND role = 'bot' ORDER BY id DESC LIMIT 1";

static const char put_sql[] =
    "INSERT INTO feedback (session_id, turn_id, msg_id, ts, vote, procedure, channel, comment) "
    "VALUES ($1, $2, nullif($3, ''), $4, $5, $6, $7, $8) ON CONFLICT (session_id, turn_id) DO "
    "UPDATE SET ts = excluded.ts, vote = excluded.vote, comment = excluded.comment";

static const char by_procedure_sql[] =
    "SELECT procedure COLLATE \"C\" p, count(*) FILTER (WHERE vote = 'up') u, "
    "count(*) FILTER (WHERE vote = 'down') d FROM feedback WHERE ts >= $1 AND ts < $2 "
    "GROUP BY p ORDER BY count(*) DESC, p LIMIT $3";

static const char downs_sql[] =
    "SELECT f.ts, f.channel, f.procedure, coalesce((SELECT u.text FROM turn u "
    "WHERE u.session_id = f.session_id AND u.role = 'user' AND u.id < f.turn_id "
    "ORDER BY u.id DESC LIMIT 1), ''), coalesce(b.text, ''), coalesce(f.comment, '') "
    "FROM feedback f LEFT JOIN turn b ON b.id = f.turn_id "
    "WHERE f.vote = 'down' AND f.ts >= $1 AND f.ts < $2 ORDER BY f.ts DESC, f.rowid DESC "
    "LIMIT $3";

/* The text as json, NULL when it is not JSON (or nested beyond the parser's
 * depth): SQLite's json_valid() before its json_extract(). */
static const char json_fn_sql[] =
    "CREATE OR REPLACE FUNCTION pg_temp.motcua_json(t text) RETURNS json LANGUAGE plpgsql "
    "IMMUTABLE STRICT AS $f$BEGIN RETURN t::json; EXCEPTION WHEN data_exception OR "
    "program_limit_exceeded THEN RETURN NULL; END$f$";

/* Makes pg_temp.motcua_json() on this connection unless it is there (a
 * batch rolled back takes it away: asked every time). Returns 0 or -EIO. */
static int json_fn(struct store_pg *pg)
{
    PGresult *r = store_pg_exec(pg,
                                "SELECT 1 FROM pg_proc WHERE proname = 'motcua_json' AND "
                                "pronamespace = pg_my_temp_schema()",
                                NULL);
    int n = r ? PQntuples(r) : -1;

    PQclear(r);
    if (n < 0)
        return -EIO;
    if (n > 0)
        return 0;
    return store_pg_change(pg, json_fn_sql, NULL) < 0 ? -EIO : 0;
}

/* The span's first two parameters, then the row limit (0: none -> NULL). */
static void span_params(struct store_pg_params *p, const struct store_report_span *sp, unsigned max)
{
    store_pg_param_int(p, sp->from_s);
    store_pg_param_int(p, sp->to_s);
    if (max)
        store_pg_param_int(p, max);
    else
        store_pg_param_text(p, NULL);
}

int store_pg_report_messages(
    struct store *st, const struct store_report_span *sp, enum store_report_by by, unsigned max,
    int (*fn)(void *ctx, const char *key, uint64_t conversations, uint64_t messages), void *ctx)
{
    struct store_pg_params p = {0};
    PGresult *r;
    int i, rc = 0;

    if ((unsigned)by >= sizeof(messages_sql) / sizeof(messages_sql[0]))
        return -EINVAL;
    span_params(&p, sp, max);
    if (by == STORE_REPORT_DAY || by == STORE_REPORT_HOUR)
        store_pg_param_int(&p, sp->offset_s);
    r = store_pg_exec(store_pg_of(st), messages_sql[by], &p);
    if (!r)
        return -EIO;
    for (i = 0; i < PQntuples(r) && !rc; i++)
        rc = fn(ctx, store_pg_text(r, i, 0), (uint64_t)store_pg_int(r, i, 1),
                (uint64_t)store_pg_int(r, i, 2));
    PQclear(r);
    return rc;
}

int store_pg_report_prechecks(struct store *st, const struct store_report_span *sp,
                              uint64_t *started, uint64_t *completed)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};
    PGresult *r;

    *started = *completed = 0;
    if (json_fn(pg))
        return -EIO;
    store_pg_param_int(&p, sp->from_s);
    store_pg_param_int(&p, sp->to_s);
    r = store_pg_exec(pg, prechecks_sql, &p);
    if (!r || PQntuples(r) != 1) {
        PQclear(r);
        return -EIO;
    }
    *started = (uint64_t)store_pg_int(r, 0, 0);
    *completed = (uint64_t)store_pg_int(r, 0, 1);
    PQclear(r);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The tables come with migration 6 on PostgreSQL: always available. The
 * median is SQLite's, in C, to the last bit. */
int store_pg_report_handoffs(struct store *st, const struct store_report_span *sp,
                             struct store_report_handoffs *out)
{
    struct store_pg_params p = {0};
    double *waits = NULL;
    size_t n = 0;
    PGresult *r;
    int i, rows;

    memset(out, 0, sizeof(*out));
    store_pg_param_int(&p, sp->from_s);
    store_pg_param_int(&p, sp->to_s);
    r = store_pg_exec(store_pg_of(st), handoffs_sql, &p);
    if (!r)
        return -EIO;
    out->available = true;
    rows = PQntuples(r);
    if (rows > 0) {
        waits = malloc((size_t)rows * sizeof(*waits));
        if (!waits) {
            PQclear(r);
            return -ENOMEM;
        }
    }
    for (i = 0; i < rows; i++) {
        out->requested++;
        if (PQgetisnull(r, i, 1))
            continue;
        out->answered++;
        if (n == REPORT_WAITS_MAX)
            continue;
        waits[n++] = (double)(store_pg_int(r, i, 1) - store_pg_int(r, i, 0) * 1000) / 1000.0;
    }
    PQclear(r);
    if (n) {
        qsort(waits, n, sizeof(*waits), cmp_double);
        out->median_wait_s = n % 2 ? waits[n / 2] : (waits[n / 2 - 1] + waits[n / 2]) / 2;
    }
    free(waits);
    return 0;
}

int store_pg_report_feedback(struct store *st, const struct store_report_span *sp, bool *available,
                             uint64_t *up, uint64_t *down)
{
    struct store_pg_params p = {0};
    PGresult *r;

    *available = true;
    *up = *down = 0;
    store_pg_param_int(&p, sp->from_s);
    store_pg_param_int(&p, sp->to_s);
    r = store_pg_exec(store_pg_of(st), feedback_sql, &p);
    if (!r || PQntuples(r) != 1) {
        PQclear(r);
        return -EIO;
    }
    *up = (uint64_t)store_pg_int(r, 0, 0);
    *down = (uint64_t)store_pg_int(r, 0, 1);
    PQclear(r);
    return 0;
}

int store_pg_unanswered(struct store *st, const struct store_report_span *sp, double low_confidence,
                        unsigned max, int (*fn)(void *ctx, const struct store_unanswered *u),
                        void *ctx)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};
    struct store_unanswered u;
    PGresult *r;
    int i, rc = 0;

    if (json_fn(pg))
        return -EIO;
    store_pg_param_int(&p, sp->from_s);
    store_pg_param_int(&p, sp->to_s);
    store_pg_param_double(&p, low_confidence);
    store_pg_param_int(&p, max); /* 0: no rows, as SQLite's LIMIT 0 */
    r = store_pg_exec(pg, unanswered_sql, &p);
    if (!r)
        return -EIO;
    for (i = 0; i < PQntuples(r) && !rc; i++) {
        u.id = store_pg_int(r, i, 0);
        u.ts = store_pg_int(r, i, 1);
        u.channel = store_pg_text(r, i, 2);
        u.text = store_pg_text(r, i, 3);
        u.label = store_pg_text(r, i, 4);
        u.confidence = strtod(store_pg_text(r, i, 5), NULL);
        u.decision = store_pg_text(r, i, 6);
        u.candidates = store_pg_text(r, i, 7);
        rc = fn(ctx, &u);
    }
    PQclear(r);
    return rc;
}

int store_pg_feedback_answer(struct store *st, int64_t session_id, const char *msg_id,
                             struct store_feedback_answer *a)
{
    struct store_pg_params p = {0};
    PGresult *r;
    int rc;

    memset(a, 0, sizeof(*a));
    store_pg_param_int(&p, session_id);
    if (msg_id)
        store_pg_param_text(&p, msg_id);
    r = store_pg_exec(store_pg_of(st), msg_id ? answer_by_id_sql : answer_last_sql, &p);
    if (!r)
        return -EIO;
    rc = PQntuples(r) == 1 ? 0 : -ENOENT;
    if (!rc) {
        a->turn_id = store_pg_int(r, 0, 0);
        snprintf(a->msg_id, sizeof(a->msg_id), "%s", store_pg_text(r, 0, 1));
        snprintf(a->procedure, sizeof(a->procedure), "%s", store_pg_text(r, 0, 2));
        a->asks = strcmp(store_pg_text(r, 0, 3), "t") == 0;
    }
    PQclear(r);
    return rc;
}

/* One unit of the open batch: a refused row (an answer erased meanwhile:
 * the foreign key) fails alone, never the batch's other writes. The upsert
 * takes the row's lock: two nodes recording votes on one answer at once
 * end with the later one, as on SQLite. */
int store_pg_feedback_put(struct store *st, int64_t session_id,
                          const struct store_feedback_answer *a, const char *channel,
                          const char *vote, const char *comment, int64_t ts)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};
    int rc;

    if (!vote || (strcmp(vote, "up") != 0 && strcmp(vote, "down") != 0))
        return -EINVAL;
    if (comment && strlen(comment) > STORE_FEEDBACK_COMMENT_MAX)
        return -EINVAL;
    store_pg_param_int(&p, session_id);
    store_pg_param_int(&p, a->turn_id);
    store_pg_param_text(&p, a->msg_id);
    store_pg_param_int(&p, ts);
    store_pg_param_text(&p, vote);
    store_pg_param_text(&p, a->procedure);
    store_pg_param_text(&p, channel);
    store_pg_param_text(&p, comment && comment[0] ? comment : NULL);
    if (store_pg_unit_begin(pg))
        return -EIO;
    rc = store_pg_change(pg, put_sql, &p) == 1 ? 0 : -EIO;
    if (store_pg_unit_end(pg, rc == 0))
        rc = -EIO;
    return rc;
}

int store_pg_feedback_by_procedure(
    struct store *st, const struct store_report_span *sp, unsigned max,
    int (*fn)(void *ctx, const char *procedure, uint64_t up, uint64_t down), void *ctx)
{
    struct store_pg_params p = {0};
    PGresult *r;
    int i, rc = 0;

    span_params(&p, sp, max);
    r = store_pg_exec(store_pg_of(st), by_procedure_sql, &p);
    if (!r)
        return -EIO;
    for (i = 0; i < PQntuples(r) && !rc; i++)
        rc = fn(ctx, store_pg_text(r, i, 0), (uint64_t)store_pg_int(r, i, 1),
                (uint64_t)store_pg_int(r, i, 2));
    PQclear(r);
    return rc;
}

int store_pg_feedback_downs(struct store *st, const struct store_report_span *sp, unsigned max,
                            int (*fn)(void *ctx, const struct store_feedback_row *row), void *ctx)
{
    struct store_pg_params p = {0};
    struct store_feedback_row row;
    PGresult *r;
    int i, rc = 0;

    span_params(&p, sp, max);
    r = store_pg_exec(store_pg_of(st), downs_sql, &p);
    if (!r)
        return -EIO;
    for (i = 0; i < PQntuples(r) && !rc; i++) {
        row.ts = store_pg_int(r, i, 0);
        row.channel = store_pg_text(r, i, 1);
        row.procedure = store_pg_text(r, i, 2);
        row.question = store_pg_text(r, i, 3);
        row.answer = store_pg_text(r, i, 4);
        row.comment = store_pg_text(r, i, 5);
        rc = fn(ctx, &row);
    }
    PQclear(r);
    return rc;
}
