/* gateway/kb.c - see kb.h. */
#include "kb.h"
#include "places.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "kb_family.h"
#include "mc_buf.h"

#define KB_LIST_MAX (4 << 20) /* bytes; the procedure index as JSON */
#define KB_PHRASES_MAX 100000 /* training phrases; a sanity cap */

struct kb {
    sqlite3 *db;
    sqlite3_stmt *get_procedure; /* kept until kb_free() */
    sqlite3_stmt *get_meta;
    struct places_index *places;    /* built once at open: the turn path never scans a table */
    struct kb_family_set *families; /* parsed once at open, read every turn */
};

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
    if (sqlite3_prepare_v2(kb->db, "SELECT body FROM procedure WHERE id = ?1", -1,
                           &kb->get_procedure, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(kb->db, "SELECT answer, answer_generic FROM meta_answer WHERE id = ?1",
                           -1, &kb->get_meta, NULL) != SQLITE_OK)
        goto fail_sqlite;
    kb->places = places_index_new(kb->db, err);
    if (!kb->places)
        goto fail;
    kb->families = kb_family_load(kb->db, err);
    if (!kb->families)
        goto fail;
    sqlite3_finalize(st);
    return kb;

fail_sqlite:
    mc_err_set(err, "%s: %s", path, kb->db ? sqlite3_errmsg(kb->db) : "out of memory");
fail:
    sqlite3_finalize(st);
    kb_free(kb);
    return NULL;
}

void kb_free(struct kb *kb)
{
    if (!kb)
        return;
    sqlite3_finalize(kb->get_procedure);
    sqlite3_finalize(kb->get_meta);
    kb_family_set_free(kb->families);
    places_index_free(kb->places);
    sqlite3_close(kb->db);
    free(kb);
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

static char *dup_col(sqlite3_stmt *st, int col)
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

int kb_get_procedure_json(struct kb *kb, const char *id, char **json)
{
    int rc;

    sqlite3_reset(kb->get_procedure);
    if (sqlite3_bind_text(kb->get_procedure, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK)
        return -EIO;
    rc = sqlite3_step(kb->get_procedure);
    if (rc == SQLITE_DONE)
        return -ENOENT;
    if (rc != SQLITE_ROW)
        return -EIO;
    *json = dup_col(kb->get_procedure, 0);
    sqlite3_reset(kb->get_procedure);
    return *json ? 0 : -ENOMEM;
}

bool kb_is_procedure(struct kb *kb, const char *id)
{
    bool found;

    sqlite3_reset(kb->get_procedure);
    found = sqlite3_bind_text(kb->get_procedure, 1, id, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
            sqlite3_step(kb->get_procedure) == SQLITE_ROW;
    sqlite3_reset(kb->get_procedure);
    return found;
}

int kb_get_meta_answer(struct kb *kb, const char *id, char **answer, char **generic)
{
    int rc;

    sqlite3_reset(kb->get_meta);
    if (sqlite3_bind_text(kb->get_meta, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK)
        return -EIO;
    rc = sqlite3_step(kb->get_meta);
    if (rc == SQLITE_DONE)
        return -ENOENT;
    if (rc != SQLITE_ROW)
        return -EIO;
    *answer = dup_col(kb->get_meta, 0);
    *generic = dup_col(kb->get_meta, 1);
    sqlite3_reset(kb->get_meta);
    if (!*answer || !*generic) {
        free(*answer);
        free(*generic);
        return -ENOMEM;
    }
    return 0;
}

int kb_list_procedures_json(struct kb *kb, char **json)
{
    sqlite3_stmt *st = NULL;
    struct mc_buf b;
    int rc = -EIO, step;

    mc_buf_init(&b, KB_LIST_MAX);
    /* json_object() in SQLite escapes for us; the body already is JSON */
    if (sqlite3_prepare_v2(kb->db,
                           "SELECT json_group_array(json_object('id', id, 'name', name, "
                           "'short_name', short_name, 'domain', domain)) "
                           "FROM (SELECT * FROM procedure ORDER BY domain, id)",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    step = sqlite3_step(st);
    if (step != SQLITE_ROW)
        goto out;
    *json = dup_col(st, 0);
    rc = *json ? 0 : -ENOMEM;
out:
    sqlite3_finalize(st);
    mc_buf_fini(&b);
    return rc;
}

/* Everything an intent_spec borrows, owned here until the index is built. */
struct spec_store {
    char **labels;
    size_t n_labels;
    struct intent_example *ex;
    char **ex_strs; /* 2 per example: label, text */
    size_t n_ex;
    char *lexicon, *rules, *corpus;
};

static void spec_store_fini(struct spec_store *s)
{
    size_t i;

    for (i = 0; i < s->n_labels; i++)
        free(s->labels[i]);
    free(s->labels);
    for (i = 0; i < 2 * s->n_ex; i++)
        free(s->ex_strs[i]);
    free(s->ex_strs);
    free(s->ex);
    free(s->lexicon);
    free(s->rules);
    free(s->corpus);
}

static char *get_resource(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    char *s = NULL;
    int rc;

    if (sqlite3_prepare_v2(db, "SELECT body FROM resource WHERE name = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return NULL;
    rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        s = dup_col(st, 0);
    else if (rc == SQLITE_DONE)
        s = calloc(1, 1); /* absent resource: empty text */
    sqlite3_finalize(st);
    return s;
}

static int count_rows(sqlite3 *db, const char *sql, size_t *n)
{
    sqlite3_stmt *st = NULL;
    int rc = -EIO;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        *n = (size_t)sqlite3_column_int64(st, 0);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

static int spec_store_load(struct spec_store *s, sqlite3 *db, struct mc_err *err)
{
    sqlite3_stmt *st = NULL;
    size_t nl = 0, np = 0, i;

    memset(s, 0, sizeof(*s));
    if (count_rows(db, "SELECT count(*) FROM label", &nl) ||
        count_rows(db, "SELECT count(*) FROM phrase", &np))
        goto fail_sqlite;
    if (np > KB_PHRASES_MAX) {
        mc_err_set(err, "knowledge db: %zu phrases, more than %d", np, KB_PHRASES_MAX);
        return -EINVAL;
    }
    s->labels = calloc(nl ? nl : 1, sizeof(*s->labels));
    s->ex = calloc(np ? np : 1, sizeof(*s->ex));
    s->ex_strs = calloc(2 * (np ? np : 1), sizeof(*s->ex_strs));
    if (!s->labels || !s->ex || !s->ex_strs)
        goto fail_nomem;
    if (sqlite3_prepare_v2(db, "SELECT id FROM label ORDER BY rowid", -1, &st, NULL) != SQLITE_OK)
        goto fail_sqlite;
    while (s->n_labels < nl && sqlite3_step(st) == SQLITE_ROW) {
        s->labels[s->n_labels] = dup_col(st, 0);
        if (!s->labels[s->n_labels])
            goto fail_nomem;
        s->n_labels++;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT label, text FROM phrase ORDER BY rowid", -1, &st, NULL) !=
        SQLITE_OK)
        goto fail_sqlite;
    while (s->n_ex < np && sqlite3_step(st) == SQLITE_ROW) {
        i = s->n_ex;
        s->ex_strs[2 * i] = dup_col(st, 0);
        s->ex_strs[2 * i + 1] = dup_col(st, 1);
        s->n_ex++;
        if (!s->ex_strs[2 * i] || !s->ex_strs[2 * i + 1])
            goto fail_nomem;
        s->ex[i].label = s->ex_strs[2 * i];
        s->ex[i].text = s->ex_strs[2 * i + 1];
    }
    sqlite3_finalize(st);
    st = NULL;
    s->lexicon = get_resource(db, "lexicon/abbrev.tsv");
    s->rules = get_resource(db, "lexicon/rules.tsv");
    s->corpus = get_resource(db, "corpus");
    if (!s->lexicon || !s->rules || !s->corpus)
        goto fail_nomem;
    return 0;

fail_nomem:
    sqlite3_finalize(st);
    mc_err_set(err, "knowledge db: out of memory");
    spec_store_fini(s);
    return -ENOMEM;
fail_sqlite:
    mc_err_set(err, "knowledge db: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    spec_store_fini(s);
    return -EIO;
}

static void spec_store_view(const struct spec_store *s, struct intent_spec *spec)
{
    memset(spec, 0, sizeof(*spec));
    spec->labels = (const char *const *)s->labels;
    spec->n_labels = s->n_labels;
    spec->examples = s->ex;
    spec->n_examples = s->n_ex;
    spec->lexicon = s->lexicon;
    spec->lexicon_len = strlen(s->lexicon);
    spec->rules = s->rules;
    spec->rules_len = strlen(s->rules);
    spec->corpus = s->corpus;
    spec->corpus_len = strlen(s->corpus);
}

static struct intent_index *build_index(sqlite3 *db, struct mc_err *err)
{
    struct spec_store s;
    struct intent_spec spec;
    struct intent_index *idx;

    if (spec_store_load(&s, db, err))
        return NULL;
    spec_store_view(&s, &spec);
    idx = intent_index_new(&spec, err);
    spec_store_fini(&s);
    return idx;
}

struct intent_index *kb_build_index(struct kb *kb, struct mc_err *err)
{
    return build_index(kb->db, err);
}

int kb_check_understanding(sqlite3 *db, struct mc_err *err)
{
    struct intent_index *idx = build_index(db, err);

    if (!idx)
        return -EINVAL;
    intent_index_free(idx);
    return 0;
}

struct kb_spec {
    struct spec_store store; /* owns every string spec points to */
    struct intent_spec spec;
};

struct kb_spec *kb_spec_load(struct kb *kb, struct mc_err *err)
{
    struct kb_spec *ks = calloc(1, sizeof(*ks));

    if (!ks) {
        mc_err_set(err, "knowledge db: out of memory");
        return NULL;
    }
    if (spec_store_load(&ks->store, kb->db, err)) {
        free(ks);
        return NULL;
    }
    spec_store_view(&ks->store, &ks->spec);
    return ks;
}

const struct intent_spec *kb_spec_get(const struct kb_spec *ks)
{
    return &ks->spec;
}

void kb_spec_free(struct kb_spec *ks)
{
    if (!ks)
        return;
    spec_store_fini(&ks->store);
    free(ks);
}
