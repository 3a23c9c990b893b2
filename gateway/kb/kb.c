/* gateway/kb/kb.c - see kb.h. */
#include "kb.h"
#include "places.h"

#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "kb_family.h"
#include "kb_gtext.h"
#include "kb_local.h"
#include "kb_ltext.h"
#include "kb_portal.h"
#include "kb_referral.h"

#define KB_ROWS_MAX 100000 /* rows of one snapshot table (units: 3,321); a sanity cap */

/* One row of a snapshot table, found by key with bsearch(). */
struct kb_entry {
    char *key;
    json_t *json;        /* parsed value (guide, office, unit), or NULL */
    char *text;          /* the stored JSON text of a guide, or a meta answer */
    size_t len;          /* bytes of text */
    struct kb_meta meta; /* meta answers only: borrows text and generic */
    char *generic;
    struct kb_gtext *gtext; /* guides only: its folded words */
};

struct kb_table {
    struct kb_entry *e; /* sorted by key (strcmp) */
    size_t n;
};

struct kb {
    atomic_uint refs;
    sqlite3 *db;
    struct kb_table guides, metas, offices, units;
    json_t *procedures; /* [{"id","name","short_name","domain"}] */
    char *procedures_text;
    size_t procedures_len;
    struct places_index *places;    /* built once at open: the turn path never scans a table */
    struct kb_family_set *families; /* parsed once at open, read every turn */
    struct kb_referrals *referrals; /* who handles what we decline (kb_referral.h) */
    struct kb_portal *portal;       /* the portal's list and its name matcher (kb_portal.h) */
    struct kb_local *local;         /* the commune's layer (kb_local.h), or NULL: the one part
                                       swapped after open, between turns */
};

char *kb_column_dup(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    char *s;

    s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    if (t && n)
        memcpy(s, t, (size_t)n);
    s[n] = '\0';
    return s;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct kb_entry *)a)->key, ((const struct kb_entry *)b)->key);
}

static const struct kb_entry *table_find(const struct kb_table *t, const char *key)
{
    struct kb_entry k;

    if (!key || !t->n)
        return NULL;
    k.key = (char *)(uintptr_t)key; /* bsearch wants a non-const key; it is only read */
    return bsearch(&k, t->e, t->n, sizeof(*t->e), cmp_entry);
}

static void table_fini(struct kb_table *t)
{
    size_t i;

    for (i = 0; i < t->n; i++) {
        free(t->e[i].key);
        json_decref(t->e[i].json);
        free(t->e[i].text);
        free(t->e[i].generic);
        kb_gtext_free(t->e[i].gtext);
    }
    free(t->e);
}

/* What one row of a table becomes. */
enum kb_row { KB_ROW_GUIDE, KB_ROW_META, KB_ROW_OFFICE, KB_ROW_UNIT };

/* Fills e from the current row of st (column 0 is the key). Returns 0,
 * -EINVAL (a NULL column or JSON that does not parse) or -ENOMEM. */
static int row_load(sqlite3_stmt *st, enum kb_row kind, struct kb_entry *e)
{
    int i, ncol = sqlite3_column_count(st);

    for (i = 0; i < ncol; i++)
        if (sqlite3_column_type(st, i) == SQLITE_NULL)
            return -EINVAL;
    e->key = kb_column_dup(st, 0);
    if (!e->key)
        return -ENOMEM;
    switch (kind) {
    case KB_ROW_GUIDE:
    case KB_ROW_OFFICE:
        e->len = (size_t)sqlite3_column_bytes(st, 1);
        e->json = json_loadb((const char *)sqlite3_column_text(st, 1), e->len, 0, NULL);
        if (!e->json || !json_is_object(e->json))
            return -EINVAL;
        if (kind == KB_ROW_GUIDE) {
            e->text = kb_column_dup(st, 1); /* served as it is by the API */
            e->gtext = kb_gtext_new(e->json);
            if (!e->text || !e->gtext)
                return -ENOMEM;
        }
        return 0;
    case KB_ROW_META:
        e->text = kb_column_dup(st, 1);
        e->generic = kb_column_dup(st, 2);
        if (!e->text || !e->generic)
            return -ENOMEM;
        e->meta.answer = e->text;
        e->meta.generic = e->generic;
        return 0;
    case KB_ROW_UNIT:
        e->json = json_pack("{s:s,s:s,s:s,s:s}", "code", (const char *)sqlite3_column_text(st, 0),
                            "name", (const char *)sqlite3_column_text(st, 1), "province",
                            (const char *)sqlite3_column_text(st, 2), "province_code",
                            (const char *)sqlite3_column_text(st, 3));
        return e->json ? 0 : -ENOMEM;
    }
    return -EINVAL;
}

/* Loads every row of sql into t, sorted by key. Returns 0 or -1 with err set. */
static int table_load(sqlite3 *db, const char *what, const char *sql, enum kb_row kind,
                      struct kb_table *t, struct mc_err *err)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int step, rc;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto fail_sqlite;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (t->n == cap) {
            struct kb_entry *ne;

            if (cap >= KB_ROWS_MAX) {
                mc_err_set(err, "knowledge db: more than %d rows of %s", KB_ROWS_MAX, what);
                goto fail;
            }
            cap = cap ? 2 * cap : 64;
            ne = realloc(t->e, cap * sizeof(*ne));
            if (!ne)
                goto fail_nomem;
            t->e = ne;
        }
        memset(&t->e[t->n], 0, sizeof(t->e[t->n]));
        rc = row_load(st, kind, &t->e[t->n]);
        t->n++; /* counted even when half loaded: table_fini() frees it */
        if (rc == -ENOMEM)
            goto fail_nomem;
        if (rc) {
            mc_err_set(err, "knowledge db: %s %s: empty field or JSON that does not parse", what,
                       t->e[t->n - 1].key ? t->e[t->n - 1].key : "?");
            goto fail;
        }
    }
    if (step != SQLITE_DONE)
        goto fail_sqlite;
    sqlite3_finalize(st);
    if (t->n)
        qsort(t->e, t->n, sizeof(*t->e), cmp_entry);
    return 0;

fail_nomem:
    mc_err_set(err, "knowledge db: out of memory loading %s", what);
    goto fail;
fail_sqlite:
    mc_err_set(err, "knowledge db: %s: %s", what, sqlite3_errmsg(db));
fail:
    sqlite3_finalize(st);
    return -1;
}

/* The procedure index: its JSON text as the API serves it, and parsed. */
static int procedures_load(struct kb *kb, struct mc_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    /* json_object() in SQLite escapes for us */
    if (sqlite3_prepare_v2(kb->db,
                           "SELECT json_group_array(json_object('id', id, 'name', name, "
                           "'short_name', short_name, 'domain', domain)) "
                           "FROM (SELECT * FROM procedure ORDER BY domain, id)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        mc_err_set(err, "knowledge db: procedures: %s", sqlite3_errmsg(kb->db));
        goto out;
    }
    kb->procedures_text = kb_column_dup(st, 0);
    kb->procedures_len = (size_t)sqlite3_column_bytes(st, 0);
    kb->procedures = kb->procedures_text ? json_loads(kb->procedures_text, 0, NULL) : NULL;
    if (!kb->procedures || !json_is_array(kb->procedures)) {
        mc_err_set(err, "knowledge db: procedures: out of memory");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

static int snapshot_load(struct kb *kb, struct mc_err *err)
{
    if (table_load(kb->db, "procedure", "SELECT id, body FROM procedure", KB_ROW_GUIDE, &kb->guides,
                   err) ||
        table_load(kb->db, "meta answer", "SELECT id, answer, answer_generic FROM meta_answer",
                   KB_ROW_META, &kb->metas, err) ||
        table_load(kb->db, "office", "SELECT unit_code, body FROM office", KB_ROW_OFFICE,
                   &kb->offices, err) ||
        table_load(kb->db, "unit",
                   "SELECT u.code, u.name, p.name, p.code FROM unit u JOIN province p ON "
                   "p.code = u.province_code",
                   KB_ROW_UNIT, &kb->units, err) ||
        procedures_load(kb, err))
        return -1;
    return 0;
}

struct kb *kb_open(const char *path, struct mc_err *err)
{
    struct kb *kb;
    sqlite3_stmt *st = NULL;
    int version = -1;

    kb = calloc(1, sizeof(*kb));
    if (!kb) {
        mc_err_set(err, "%s: out of memory", path);
        return NULL;
    }
    atomic_init(&kb->refs, 1);
    if (sqlite3_open_v2(path, &kb->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto fail_sqlite;
    if (sqlite3_prepare_v2(kb->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        goto fail_sqlite;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    if (version != KB_SCHEMA_VERSION) {
        mc_err_set(err, "%s: schema version %d, expected %d (rebuild with motcua import)", path,
                   version, KB_SCHEMA_VERSION);
        goto fail;
    }
    kb->places = places_index_new(kb->db, err); /* first: it names a damaged unit row best */
    if (!kb->places)
        goto fail;
    kb->families = kb_family_load(kb->db, err);
    if (!kb->families)
        goto fail;
    kb->portal = kb_portal_load(kb->db, err);
    if (!kb->portal)
        goto fail;
    kb->referrals = kb_referrals_load(kb->db, err);
    if (!kb->referrals)
        goto fail;
    if (snapshot_load(kb, err))
        goto fail;
    sqlite3_finalize(st);
    /* the snapshot holds what turns read: give back the page cache the load filled */
    sqlite3_db_release_memory(kb->db);
    return kb;

fail_sqlite:
    mc_err_set(err, "%s: %s", path, kb->db ? sqlite3_errmsg(kb->db) : "out of memory");
fail:
    sqlite3_finalize(st);
    kb_free(kb);
    return NULL;
}

struct kb *kb_ref(struct kb *kb)
{
    atomic_fetch_add_explicit(&kb->refs, 1, memory_order_relaxed);
    return kb;
}

void kb_unref(struct kb *kb)
{
    if (!kb || atomic_fetch_sub_explicit(&kb->refs, 1, memory_order_acq_rel) != 1)
        return;
    table_fini(&kb->guides);
    table_fini(&kb->metas);
    table_fini(&kb->offices);
    table_fini(&kb->units);
    kb_local_free(kb->local);
    json_decref(kb->procedures);
    free(kb->procedures_text);
    kb_family_set_free(kb->families);
    kb_portal_free(kb->portal);
    kb_referrals_free(kb->referrals);
    places_index_free(kb->places);
    sqlite3_close(kb->db);
    free(kb);
}

void kb_free(struct kb *kb)
{
    kb_unref(kb);
}

const struct kb_portal *kb_portal(const struct kb *kb)
{
    return kb->portal;
}

const struct kb_referrals *kb_referrals(const struct kb *kb)
{
    return kb->referrals;
}

const struct kb_family_set *kb_families(const struct kb *kb)
{
    return kb->families;
}

sqlite3 *kb_db(struct kb *kb)
{
    return kb->db;
}

const struct places_index *kb_places(const struct kb *kb)
{
    return kb->places;
}

const json_t *kb_guide(const struct kb *kb, const char *id)
{
    const struct kb_entry *e = table_find(&kb->guides, id);

    return e ? e->json : NULL;
}

const struct kb_gtext *kb_guide_words(const struct kb *kb, const char *id)
{
    const struct kb_entry *e = table_find(&kb->guides, id);

    return e ? e->gtext : NULL;
}

const char *kb_guide_text(const struct kb *kb, const char *id, size_t *len)
{
    const struct kb_entry *e = table_find(&kb->guides, id);

    if (e && len)
        *len = e->len;
    return e ? e->text : NULL;
}

const json_t *kb_procedures(const struct kb *kb)
{
    return kb->procedures;
}

const char *kb_procedures_text(const struct kb *kb, size_t *len)
{
    if (len)
        *len = kb->procedures_len;
    return kb->procedures_text;
}

const struct kb_meta *kb_meta(const struct kb *kb, const char *id)
{
    const struct kb_entry *e = table_find(&kb->metas, id);

    return e ? &e->meta : NULL;
}

const json_t *kb_office(const struct kb *kb, const char *code)
{
    const json_t *o = kb_local_office(kb, code);

    return o ? o : kb_office_shipped(kb, code);
}

const json_t *kb_office_shipped(const struct kb *kb, const char *code)
{
    const struct kb_entry *e = table_find(&kb->offices, code);

    return e ? e->json : NULL;
}

const char *kb_office_code(const struct kb *kb, size_t i)
{
    return i < kb->offices.n ? kb->offices.e[i].key : NULL;
}

void kb_set_local(struct kb *kb, struct kb_local *l)
{
    kb_local_free(kb->local);
    kb->local = l;
}

const struct kb_local *kb_local_layer(const struct kb *kb)
{
    return kb->local;
}

const json_t *kb_unit(const struct kb *kb, const char *code)
{
    const struct kb_entry *e = table_find(&kb->units, code);

    return e ? e->json : NULL;
}

static char *dup_text(const char *s, size_t len)
{
    char *d = malloc(len + 1);

    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

int kb_get_procedure_json(const struct kb *kb, const char *id, char **json)
{
    size_t len = 0;
    const char *text = kb_guide_text(kb, id, &len);

    if (!text)
        return -ENOENT;
    *json = dup_text(text, len);
    return *json ? 0 : -ENOMEM;
}

bool kb_is_procedure(const struct kb *kb, const char *id)
{
    return table_find(&kb->guides, id) != NULL;
}

int kb_get_meta_answer(const struct kb *kb, const char *id, char **answer, char **generic)
{
    const struct kb_meta *m = kb_meta(kb, id);

    if (!m)
        return -ENOENT;
    *answer = dup_text(m->answer, strlen(m->answer));
    *generic = dup_text(m->generic, strlen(m->generic));
    if (!*answer || !*generic) {
        free(*answer);
        free(*generic);
        return -ENOMEM;
    }
    return 0;
}

int kb_list_procedures_json(const struct kb *kb, char **json)
{
    *json = dup_text(kb->procedures_text, kb->procedures_len);
    return *json ? 0 : -ENOMEM;
}
