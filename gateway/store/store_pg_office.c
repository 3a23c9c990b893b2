/* gateway/store/store_pg_office.c - the commune's own data on PostgreSQL
 * (store_pg.h): office field overrides, local guide notes, officials' guide
 * notes and the revision every node polls; store_office.c's statements, same
 * returns. Every write is a unit that also bumps local_rev when it changed a
 * row, so a node that sees the revision move reads a committed change. The
 * bump notifies motcua_office in its own statement: the other nodes learn
 * of the change when it commits (and never when its unit is undone), without
 * waiting for their poll (store_pg_listen.c). */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "store_pg.h"

/* One write of sql with p, then the revision bump when it changed a row, as
 * one unit. *changed (may be NULL): the rows the write changed. */
static int write_unit(struct store *st, const char *sql, const struct store_pg_params *p,
                      long *changed)
{
    struct store_pg *pg = store_pg_of(st);
    PGresult *r;
    bool bumped = false;
    long n;
    int rc = -EIO;

    if (store_pg_unit_begin(pg))
        return -EIO;
    n = store_pg_change(pg, sql, p);
    if (n > 0) {
        r = store_pg_exec(pg,
                          "WITH u AS (UPDATE local_rev SET rev = rev + 1 WHERE id = 1 "
                          "RETURNING rev) "
                          "SELECT rev, pg_notify('" STORE_PG_CHANNEL_OFFICE "', rev::text) FROM u",
                          NULL);
        bumped = r && PQntuples(r) == 1;
        PQclear(r);
    }
    if (n == 0 || (n > 0 && bumped)) {
        rc = 0;
        if (changed)
            *changed = n;
    }
    if (store_pg_unit_end(pg, rc == 0))
        rc = -EIO;
    return rc;
}

int store_pg_local_rev(struct store *st, int64_t *rev)
{
    PGresult *r = store_pg_exec(store_pg_of(st), "SELECT rev FROM local_rev WHERE id = 1", NULL);
    int rc = r && PQntuples(r) == 1 ? 0 : -EIO;

    *rev = rc ? 0 : store_pg_int(r, 0, 0);
    PQclear(r);
    return rc;
}

int store_pg_office_set(struct store *st, const char *code, const char *field, const char *value,
                        const char *officer, int64_t ts)
{
    struct store_pg_params p = {0};

    store_pg_param_text(&p, code);
    store_pg_param_text(&p, field);
    store_pg_param_text(&p, value);
    store_pg_param_text(&p, officer);
    store_pg_param_int(&p, ts);
    return write_unit(st,
                      "INSERT INTO office_override (code, field, value, officer, ts) "
                      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code, field) DO UPDATE SET "
                      "value = excluded.value, officer = excluded.officer, ts = excluded.ts",
                      &p, NULL);
}

/* Deletes the row of (a, b) by sql as one unit: 0, -ENOENT or -EIO. */
static int delete_unit(struct store *st, const char *sql, const char *a, const char *b)
{
    struct store_pg_params p = {0};
    long n = 0;
    int rc;

    store_pg_param_text(&p, a);
    store_pg_param_text(&p, b);
    rc = write_unit(st, sql, &p, &n);
    return rc ? rc : n ? 0 : -ENOENT;
}

int store_pg_office_unset(struct store *st, const char *code, const char *field)
{
    return delete_unit(st, "DELETE FROM office_override WHERE code = $1 AND field = $2", code,
                       field);
}

int store_pg_guide_local_set(struct store *st, const char *id, const char *field, const char *text,
                             const char *officer, int64_t ts)
{
    struct store_pg_params p = {0};

    if (!text)
        return delete_unit(st, "DELETE FROM guide_local WHERE procedure = $1 AND field = $2", id,
                           field);
    store_pg_param_text(&p, id);
    store_pg_param_text(&p, field);
    store_pg_param_text(&p, text);
    store_pg_param_text(&p, officer);
    store_pg_param_int(&p, ts);
    return write_unit(st,
                      "INSERT INTO guide_local (procedure, field, text, officer, ts) "
                      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (procedure, field) DO UPDATE SET "
                      "text = excluded.text, officer = excluded.officer, ts = excluded.ts",
                      &p, NULL);
}

/* Calls fn per row of r: (key, field, value, officer, ts[, id, status]). */
static int each_row(PGresult *r, bool notes, store_local_fn fn, void *ctx)
{
    struct store_local_row row;
    int i, rc = 0;

    for (i = 0; i < PQntuples(r) && !rc; i++) {
        memset(&row, 0, sizeof(row));
        row.key = store_pg_text(r, i, 0);
        row.field = store_pg_text(r, i, 1);
        row.value = store_pg_text(r, i, 2);
        row.officer = store_pg_text(r, i, 3);
        row.ts = store_pg_int(r, i, 4);
        if (notes) {
            row.id = store_pg_int(r, i, 5);
            row.status = store_pg_text(r, i, 6);
        }
        rc = fn(ctx, &row);
    }
    return rc;
}

static int each(struct store *st, const char *sql, const struct store_pg_params *p, bool notes,
                store_local_fn fn, void *ctx)
{
    PGresult *r = store_pg_exec(store_pg_of(st), sql, p);
    int rc;

    if (!r)
        return -EIO;
    rc = each_row(r, notes, fn, ctx);
    PQclear(r);
    return rc;
}

int store_pg_office_each(struct store *st, store_local_fn fn, void *ctx)
{
    /* SQLite orders by ts, then rowid; rows of one second are distinct
     * (code, field) pairs, which no order between them changes */
    return each(st,
                "SELECT code, field, value, officer, ts FROM office_override "
                "ORDER BY ts, code, field",
                NULL, false, fn, ctx);
}

int store_pg_guide_local_each(struct store *st, store_local_fn fn, void *ctx)
{
    return each(st,
                "SELECT procedure, field, text, officer, ts FROM guide_local "
                "ORDER BY procedure, field",
                NULL, false, fn, ctx);
}

int store_pg_guide_note_add(struct store *st, const char *id, const char *field, const char *status,
                            const char *comment, const char *officer, int64_t ts, int64_t *id_out)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};
    PGresult *r;
    int rc = -EIO;

    if (store_pg_unit_begin(pg))
        return -EIO;
    store_pg_param_text(&p, id);
    store_pg_param_text(&p, field);
    store_pg_param_text(&p, status);
    store_pg_param_text(&p, comment);
    store_pg_param_text(&p, officer);
    store_pg_param_int(&p, ts);
    r = store_pg_exec(pg,
                      "INSERT INTO guide_note (procedure, field, status, comment, officer, ts) "
                      "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                      &p);
    if (r && PQntuples(r) == 1) {
        *id_out = store_pg_int(r, 0, 0);
        rc = 0;
    }
    PQclear(r);
    if (store_pg_unit_end(pg, rc == 0))
        rc = -EIO;
    return rc;
}

int store_pg_guide_notes(struct store *st, const char *id, unsigned max, store_local_fn fn,
                         void *ctx)
{
    struct store_pg_params p = {0};

    store_pg_param_text(&p, id); /* NULL: every procedure */
    if (max)
        store_pg_param_int(&p, max);
    else
        store_pg_param_text(&p, NULL); /* LIMIT NULL: no limit */
    return each(st,
                "SELECT procedure, field, comment, officer, ts, id, status FROM guide_note "
                "WHERE $1::text IS NULL OR procedure = $1 ORDER BY id DESC LIMIT $2::bigint",
                &p, true, fn, ctx);
}
