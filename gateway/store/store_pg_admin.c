/* gateway/store/store_pg_admin.c - the phrases admins taught, on PostgreSQL
 * (store_pg.h): store_admin.c's statements, same returns. Every add and
 * delete bumps taught_rev in the same unit, so a phrase taught on one node
 * reaches every node: at once through the notification the bump sends
 * (store_pg_listen.c), and at its next store_phrase_rev() poll otherwise. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store_pg.h"

/* Bumps the revision inside the open unit; sets *rev to the new one. */
static int bump_rev(struct store_pg *pg, int64_t *rev)
{
    PGresult *r =
        store_pg_exec(pg,
                      /* every node rebuilds when this commits (store_pg_listen.c) */
                      "WITH u AS (UPDATE taught_rev SET rev = rev + 1 WHERE id = 1 RETURNING rev) "
                      "SELECT rev, pg_notify('" STORE_PG_CHANNEL_TEACH "', rev::text) FROM u",
                      NULL);
    int rc = r && PQntuples(r) == 1 ? 0 : -EIO;

    if (!rc)
        *rev = store_pg_int(r, 0, 0);
    PQclear(r);
    return rc;
}

int store_pg_phrase_add(struct store *st, const char *text, const char *label, const char *officer,
                        int64_t now_s, int64_t *id, int64_t *rev)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};
    PGresult *r;
    int rc = -EIO;

    if (strlen(text) > STORE_PHRASE_TEXT_MAX || strlen(label) >= STORE_PHRASE_LABEL_MAX)
        return -E2BIG;
    if (store_pg_unit_begin(pg))
        return -EIO;
    store_pg_param_text(&p, text);
    store_pg_param_text(&p, label);
    store_pg_param_text(&p, officer);
    store_pg_param_int(&p, now_s);
    r = store_pg_exec(pg,
                      "INSERT INTO taught_phrase (text, label, officer, created) "
                      "VALUES ($1, $2, $3, $4) RETURNING id",
                      &p);
    if (r && PQntuples(r) == 1) {
        *id = store_pg_int(r, 0, 0);
        rc = bump_rev(pg, rev);
    }
    PQclear(r);
    if (store_pg_unit_end(pg, rc == 0))
        rc = -EIO;
    return rc;
}

int store_pg_phrase_delete(struct store *st, int64_t id, char label[STORE_PHRASE_LABEL_MAX],
                           int64_t *rev)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};
    PGresult *r;
    int rc = -EIO;

    if (store_pg_unit_begin(pg))
        return -EIO;
    store_pg_param_int(&p, id);
    r = store_pg_exec(pg, "DELETE FROM taught_phrase WHERE id = $1 RETURNING label", &p);
    if (r && PQntuples(r) == 0)
        rc = -ENOENT;
    else if (r) {
        if (label)
            snprintf(label, STORE_PHRASE_LABEL_MAX, "%s", store_pg_text(r, 0, 0));
        rc = bump_rev(pg, rev);
    }
    PQclear(r);
    if (store_pg_unit_end(pg, rc == 0))
        rc = -EIO;
    return rc;
}

int store_pg_phrase_list(struct store *st, int (*fn)(void *ctx, const struct store_phrase *p),
                         void *ctx)
{
    PGresult *r = store_pg_exec(store_pg_of(st),
                                "SELECT id, text, label, officer, created FROM taught_phrase "
                                "ORDER BY id",
                                NULL);
    struct store_phrase p;
    int i, out = 0;

    if (!r)
        return -EIO;
    for (i = 0; i < PQntuples(r) && !out; i++) {
        p.id = store_pg_int(r, i, 0);
        p.text = store_pg_text(r, i, 1);
        p.label = store_pg_text(r, i, 2);
        p.officer = store_pg_text(r, i, 3);
        p.created = store_pg_int(r, i, 4);
        out = fn(ctx, &p);
    }
    PQclear(r);
    return out;
}

int store_pg_phrase_rev(struct store *st, int64_t *rev)
{
    PGresult *r = store_pg_exec(store_pg_of(st), "SELECT rev FROM taught_rev WHERE id = 1", NULL);
    int rc = r && PQntuples(r) == 1 ? 0 : -EIO;

    if (!rc)
        *rev = store_pg_int(r, 0, 0);
    PQclear(r);
    return rc;
}
