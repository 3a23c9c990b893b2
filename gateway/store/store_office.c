/* gateway/store/store_office.c - the commune's own data of store.h (SQLite
 * back-end; PostgreSQL's is store_pg_office.c): office field overrides, local guide notes,
 * officials' guide notes and the revision counter. Every write is a unit that also bumps local_rev,
 * so a worker that sees the counter move knows a committed change is there to read (on SQLite by
 * its poll only: one file, no notifications; PostgreSQL's bump also notifies the other nodes).
 * Statements are prepared per call: admins write rarely, and the one frequent call
 * (store_local_rev, polled) is a single-row read. */
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <string.h>

#include "store_pg.h"
#include "store_sqlite_int.h"

static int bind_s(sqlite3_stmt *q, int i, const char *s)
{
    return sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT);
}

/* Runs one write of sql with up to five text binds (NULL ends the list
 * early) and ts as ?6 when ts >= 0, then the revision bump, as one unit.
 * *changed (may be NULL) is how many rows the write changed. */
static int write_unit(struct store *st, const char *sql, const char *const a[5], int64_t ts,
                      int *changed)
{
    sqlite3_stmt *q = NULL, *bump = NULL;
    int rc = -EIO, i, n = 0;

    if (store_unit_begin(st))
        return -EIO;
    if (store_sqlite_prepare(st, sql, &q) ||
        store_sqlite_prepare(st, "UPDATE local_rev SET rev = rev + 1 WHERE id = 1", &bump))
        goto out;
    for (i = 0; i < 5 && a[i]; i++)
        if (bind_s(q, i + 1, a[i]) != SQLITE_OK)
            goto out;
    if (ts >= 0 && sqlite3_bind_int64(q, 6, ts) != SQLITE_OK)
        goto out;
    if (sqlite3_step(q) != SQLITE_DONE)
        goto out;
    n = sqlite3_changes(store_sqlite_db(st));
    if (n > 0 && sqlite3_step(bump) != SQLITE_DONE)
        goto out;
    if (changed)
        *changed = n;
    rc = 0;
out:
    sqlite3_finalize(q);
    sqlite3_finalize(bump);
    if (store_unit_end(st, rc == 0))
        rc = -EIO;
    return rc;
}

int store_local_rev(struct store *st, int64_t *rev)
{
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_pg_of(st))
        return store_pg_local_rev(st, rev);
    rc = store_sqlite_prepare(st, "SELECT rev FROM local_rev WHERE id = 1", &q);
    if (!rc) {
        rc = sqlite3_step(q) == SQLITE_ROW ? 0 : -EIO;
        *rev = rc ? 0 : sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    return rc;
}

int store_office_set(struct store *st, const char *code, const char *field, const char *value,
                     const char *officer, int64_t ts)
{
    const char *a[5] = {code, field, value, officer, NULL};

    if (store_pg_of(st))
        return store_pg_office_set(st, code, field, value, officer, ts);
    return write_unit(st,
                      "INSERT OR REPLACE INTO office_override (code, field, value, officer, ts) "
                      "VALUES (?1, ?2, ?3, ?4, ?6)",
                      a, ts, NULL);
}

int store_office_unset(struct store *st, const char *code, const char *field)
{
    const char *a[5] = {code, field, NULL, NULL, NULL};
    int n = 0, rc;

    if (store_pg_of(st))
        return store_pg_office_unset(st, code, field);
    rc = write_unit(st, "DELETE FROM office_override WHERE code = ?1 AND field = ?2", a, -1, &n);
    return rc ? rc : n ? 0 : -ENOENT;
}

int store_guide_local_set(struct store *st, const char *id, const char *field, const char *text,
                          const char *officer, int64_t ts)
{
    const char *a[5] = {id, field, text, officer, NULL};
    int n = 0, rc;

    if (store_pg_of(st))
        return store_pg_guide_local_set(st, id, field, text, officer, ts);
    if (text)
        return write_unit(st,
                          "INSERT OR REPLACE INTO guide_local (procedure, field, text, officer, "
                          "ts) VALUES (?1, ?2, ?3, ?4, ?6)",
                          a, ts, NULL);
    rc = write_unit(st, "DELETE FROM guide_local WHERE procedure = ?1 AND field = ?2", a, -1, &n);
    return rc ? rc : n ? 0 : -ENOENT;
}

/* Steps q, calling fn per row of (key, field, value, officer, ts[, id, status]). */
static int each_row(sqlite3_stmt *q, bool notes, store_local_fn fn, void *ctx)
{
    struct store_local_row r;
    int step, rc;

    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        memset(&r, 0, sizeof(r));
        r.key = (const char *)sqlite3_column_text(q, 0);
        r.field = (const char *)sqlite3_column_text(q, 1);
        r.value = (const char *)sqlite3_column_text(q, 2);
        r.officer = (const char *)sqlite3_column_text(q, 3);
        r.ts = sqlite3_column_int64(q, 4);
        if (notes) {
            r.id = sqlite3_column_int64(q, 5);
            r.status = (const char *)sqlite3_column_text(q, 6);
        }
        if (!r.key || !r.field || !r.value || !r.officer || (notes && !r.status))
            return -EIO; /* NOT NULL columns: a damaged row */
        rc = fn(ctx, &r);
        if (rc)
            return rc;
    }
    return step == SQLITE_DONE ? 0 : -EIO;
}

static int each(struct store *st, const char *sql, store_local_fn fn, void *ctx)
{
    sqlite3_stmt *q = NULL;
    int rc = store_sqlite_prepare(st, sql, &q);

    if (!rc)
        rc = each_row(q, false, fn, ctx);
    sqlite3_finalize(q);
    return rc;
}

int store_office_each(struct store *st, store_local_fn fn, void *ctx)
{
    if (store_pg_of(st))
        return store_pg_office_each(st, fn, ctx);
    return each(st,
                "SELECT code, field, value, officer, ts FROM office_override ORDER BY ts, "
                "rowid",
                fn, ctx);
}

int store_guide_local_each(struct store *st, store_local_fn fn, void *ctx)
{
    if (store_pg_of(st))
        return store_pg_guide_local_each(st, fn, ctx);
    return each(st,
                "SELECT procedure, field, text, officer, ts FROM guide_local ORDER BY "
                "procedure, field",
                fn, ctx);
}

int store_guide_note_add(struct store *st, const char *id, const char *field, const char *status,
                         const char *comment, const char *officer, int64_t ts, int64_t *id_out)
{
    sqlite3_stmt *q = NULL;
    int rc = -EIO;

    if (store_pg_of(st))
        return store_pg_guide_note_add(st, id, field, status, comment, officer, ts, id_out);
    if (store_unit_begin(st))
        return -EIO;
    if (store_sqlite_prepare(st,
                             "INSERT INTO guide_note (procedure, field, status, comment, "
                             "officer, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                             &q))
        goto out;
    if ((bind_s(q, 1, id) | bind_s(q, 2, field) | bind_s(q, 3, status) | bind_s(q, 4, comment) |
         bind_s(q, 5, officer) | sqlite3_bind_int64(q, 6, ts)) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_DONE)
        goto out;
    *id_out = sqlite3_last_insert_rowid(store_sqlite_db(st));
    rc = 0;
out:
    sqlite3_finalize(q);
    if (store_unit_end(st, rc == 0))
        rc = -EIO;
    return rc;
}

int store_guide_notes(struct store *st, const char *id, unsigned max, store_local_fn fn, void *ctx)
{
    sqlite3_stmt *q = NULL;
    int rc;

    if (store_pg_of(st))
        return store_pg_guide_notes(st, id, max, fn, ctx);
    rc = store_sqlite_prepare(st,
                              "SELECT procedure, field, comment, officer, ts, id, status "
                              "FROM guide_note WHERE ?1 IS NULL OR procedure = ?1 "
                              "ORDER BY id DESC LIMIT ?2",
                              &q);
    if (rc)
        return rc;
    if (((id ? bind_s(q, 1, id) : sqlite3_bind_null(q, 1)) |
         sqlite3_bind_int64(q, 2, max ? (int64_t)max : -1)) != SQLITE_OK)
        rc = -EIO;
    else
        rc = each_row(q, true, fn, ctx);
    sqlite3_finalize(q);
    return rc;
}
