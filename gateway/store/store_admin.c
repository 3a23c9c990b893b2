/* gateway/store/store_admin.c - the console's queries of store.h (SQLite
 * back-end): the unanswered questions over the turn records, and the taught
 * phrases with their revision. Every statement is prepared for the call and
 * finalized before it returns: all but store_phrase_rev() run when an admin
 * asks, and that one reads one row by primary key. */
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "mc_log.h"
#include "store_pg.h"
#include "store_sqlite_int.h"

/* A user record and the bot record written right after it in the same unit
 * (store_turn_save: consecutive ids of one session). The candidates come
 * from the reply the citizen saw; a record that is not JSON gives "[]". */
static const char unanswered_sql[] =
    "SELECT u.id, u.ts, u.channel, u.text, coalesce(u.label, 'none'), coalesce(u.confidence, 0), "
    "u.decision, coalesce((SELECT CASE WHEN json_valid(b.text) THEN "
    "json_extract(b.text, '$.understanding.candidates') END FROM turn b WHERE b.id = u.id + 1 "
    "AND b.session_id = u.session_id AND b.role = 'bot'), '[]') "
    "FROM turn u WHERE u.role = 'user' AND u.ts >= ?1 AND u.ts < ?2 AND "
    "(u.decision IN ('none', 'clarify') OR (u.decision = 'match' AND u.confidence < ?3)) "
    "ORDER BY u.id DESC LIMIT ?4";

/* Steps q to its end; 0 or -EIO (logged). */
static int done(sqlite3_stmt *q, int rc, const char *what)
{
    if (rc == SQLITE_DONE)
        return 0;
    mc_log(MC_LOG_ERROR, "state.admin", "q=%s error=\"%s\"", what,
           sqlite3_errmsg(sqlite3_db_handle(q)));
    return -EIO;
}

int store_unanswered(struct store *st, const struct store_report_span *sp, double low_confidence,
                     unsigned max, int (*fn)(void *ctx, const struct store_unanswered *u),
                     void *ctx)
{
    sqlite3_stmt *q = NULL;
    struct store_unanswered u;
    int rc;

    if (store_pg_of(st))
        return store_pg_unanswered(st, sp, low_confidence, max, fn, ctx);
    if (store_sqlite_prepare(st, unanswered_sql, &q))
        return -EIO;
    if ((sqlite3_bind_int64(q, 1, sp->from_s) | sqlite3_bind_int64(q, 2, sp->to_s) |
         sqlite3_bind_double(q, 3, low_confidence) | sqlite3_bind_int64(q, 4, max)) != SQLITE_OK) {
        sqlite3_finalize(q);
        return -EIO;
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        u.id = sqlite3_column_int64(q, 0);
        u.ts = sqlite3_column_int64(q, 1);
        u.channel = store_sqlite_text(q, 2);
        u.text = store_sqlite_text(q, 3);
        u.label = store_sqlite_text(q, 4);
        u.confidence = sqlite3_column_double(q, 5);
        u.decision = store_sqlite_text(q, 6);
        u.candidates = store_sqlite_text(q, 7);
        if ((rc = fn(ctx, &u)) != 0) {
            sqlite3_finalize(q);
            return rc;
        }
    }
    rc = done(q, rc, "unanswered");
    sqlite3_finalize(q);
    return rc;
}

/* Bumps the revision and reads it back, inside the caller's unit. */
static int bump_rev(struct store *st, int64_t *rev)
{
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_sqlite_prepare(st, "UPDATE taught_rev SET rev = rev + 1 WHERE id = 1", &q))
        return -EIO;
    rc = done(q, sqlite3_step(q), "rev_bump");
    sqlite3_finalize(q);
    return rc ? rc : store_phrase_rev(st, rev);
}

int store_phrase_add(struct store *st, const char *text, const char *label, const char *officer,
                     int64_t now_s, int64_t *id, int64_t *rev)
{
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_pg_of(st))
        return store_pg_phrase_add(st, text, label, officer, now_s, id, rev);
    if (strlen(text) > STORE_PHRASE_TEXT_MAX || strlen(label) >= STORE_PHRASE_LABEL_MAX)
        return -E2BIG;
    if (store_unit_begin(st))
        return -EIO;
    rc = store_sqlite_prepare(st,
                              "INSERT INTO taught_phrase (text, label, officer, created) "
                              "VALUES (?1, ?2, ?3, ?4)",
                              &q);
    if (!rc && (sqlite3_bind_text(q, 1, text, -1, SQLITE_STATIC) |
                sqlite3_bind_text(q, 2, label, -1, SQLITE_STATIC) |
                sqlite3_bind_text(q, 3, officer, -1, SQLITE_STATIC) |
                sqlite3_bind_int64(q, 4, now_s)) != SQLITE_OK)
        rc = -EIO;
    if (!rc)
        rc = done(q, sqlite3_step(q), "phrase_add");
    sqlite3_finalize(q);
    if (!rc) {
        *id = sqlite3_last_insert_rowid(store_sqlite_db(st));
        rc = bump_rev(st, rev);
    }
    if (store_unit_end(st, rc == 0))
        rc = -EIO;
    return rc;
}

int store_phrase_delete(struct store *st, int64_t id, char label[STORE_PHRASE_LABEL_MAX],
                        int64_t *rev)
{
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_pg_of(st))
        return store_pg_phrase_delete(st, id, label, rev);
    if (store_unit_begin(st))
        return -EIO;
    rc = store_sqlite_prepare(st, "DELETE FROM taught_phrase WHERE id = ?1 RETURNING label", &q);
    if (!rc && sqlite3_bind_int64(q, 1, id) != SQLITE_OK)
        rc = -EIO;
    if (!rc) {
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            if (label)
                snprintf(label, STORE_PHRASE_LABEL_MAX, "%s", store_sqlite_text(q, 0));
            rc = done(q, sqlite3_step(q), "phrase_delete");
        } else {
            rc = rc == SQLITE_DONE ? -ENOENT : done(q, rc, "phrase_delete");
        }
    }
    sqlite3_finalize(q);
    if (!rc)
        rc = bump_rev(st, rev);
    if (store_unit_end(st, rc == 0))
        rc = -EIO;
    return rc;
}

int store_phrase_list(struct store *st, int (*fn)(void *ctx, const struct store_phrase *p),
                      void *ctx)
{
    sqlite3_stmt *q = NULL;
    struct store_phrase p;
    int rc;

    if (store_pg_of(st))
        return store_pg_phrase_list(st, fn, ctx);
    if (store_sqlite_prepare(st,
                             "SELECT id, text, label, officer, created FROM taught_phrase "
                             "ORDER BY id",
                             &q))
        return -EIO;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        p.id = sqlite3_column_int64(q, 0);
        p.text = store_sqlite_text(q, 1);
        p.label = store_sqlite_text(q, 2);
        p.officer = store_sqlite_text(q, 3);
        p.created = sqlite3_column_int64(q, 4);
        if ((rc = fn(ctx, &p)) != 0) {
            sqlite3_finalize(q);
            return rc;
        }
    }
    rc = done(q, rc, "phrase_list");
    sqlite3_finalize(q);
    return rc;
}

int store_phrase_rev(struct store *st, int64_t *rev)
{
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_pg_of(st))
        return store_pg_phrase_rev(st, rev);
    if (store_sqlite_prepare(st, "SELECT rev FROM taught_rev WHERE id = 1", &q))
        return -EIO;
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *rev = sqlite3_column_int64(q, 0);
        rc = 0;
    } else {
        rc = done(q, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "phrase_rev");
    }
    sqlite3_finalize(q);
    return rc;
}
