/* gateway/kb/kb_spec.c - what understanding is built from, read from the
 * knowledge database (kb.h: kb_build_index(), kb_spec_load(),
 * kb_check_understanding()): labels and their domains, each guide's own
 * words (kb_ltext.h), the training phrases, the lexicon, the rules and the
 * corpus. Apart from kb.c, which keeps the snapshot tables a turn reads. */
#include "kb.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "kb_ltext.h"

#define KB_PHRASES_MAX 100000 /* training phrases; a sanity cap */

/* Everything an intent_spec borrows, owned here until the index is built. */
struct spec_store {
    char **labels;
    char **domains; /* [n_labels] label.domain */
    char **texts;   /* [n_labels] a guide's own words (kb_ltext.h), NULL for a meta label */
    size_t n_labels;
    struct intent_example *ex;
    char **ex_strs; /* 2 per example: label, text */
    size_t n_ex;
    char *lexicon, *rules, *corpus;
};

static void spec_store_fini(struct spec_store *s)
{
    size_t i;

    for (i = 0; i < s->n_labels; i++) {
        free(s->labels[i]);
        free(s->domains[i]);
        free(s->texts[i]);
    }
    free(s->labels);
    free(s->domains);
    free(s->texts);
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
        s = kb_column_dup(st, 0);
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
    s->domains = calloc(nl ? nl : 1, sizeof(*s->domains));
    s->texts = calloc(nl ? nl : 1, sizeof(*s->texts));
    s->ex = calloc(np ? np : 1, sizeof(*s->ex));
    s->ex_strs = calloc(2 * (np ? np : 1), sizeof(*s->ex_strs));
    if (!s->labels || !s->domains || !s->texts || !s->ex || !s->ex_strs)
        goto fail_nomem;
    if (sqlite3_prepare_v2(db, "SELECT id, domain FROM label ORDER BY rowid", -1, &st, NULL) !=
        SQLITE_OK)
        goto fail_sqlite;
    while (s->n_labels < nl && sqlite3_step(st) == SQLITE_ROW) {
        s->labels[s->n_labels] = kb_column_dup(st, 0);
        s->domains[s->n_labels] = kb_column_dup(st, 1);
        s->n_labels++;
        if (!s->labels[s->n_labels - 1] || !s->domains[s->n_labels - 1])
            goto fail_nomem;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT p.body FROM label l LEFT JOIN procedure p ON p.id = l.id "
                           "ORDER BY l.rowid",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail_sqlite;
    for (i = 0; i < s->n_labels && sqlite3_step(st) == SQLITE_ROW; i++) {
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
            continue; /* a meta label: no guide to say what it is about */
        s->texts[i] = kb_ltext_new((const char *)sqlite3_column_text(st, 0),
                                   (size_t)sqlite3_column_bytes(st, 0));
        if (!s->texts[i])
            goto fail_nomem;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT label, text FROM phrase ORDER BY rowid", -1, &st, NULL) !=
        SQLITE_OK)
        goto fail_sqlite;
    while (s->n_ex < np && sqlite3_step(st) == SQLITE_ROW) {
        i = s->n_ex;
        s->ex_strs[2 * i] = kb_column_dup(st, 0);
        s->ex_strs[2 * i + 1] = kb_column_dup(st, 1);
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
    spec->domains = (const char *const *)s->domains;
    spec->n_labels = s->n_labels;
    spec->examples = s->ex;
    spec->n_examples = s->n_ex;
    spec->lexicon = s->lexicon;
    spec->lexicon_len = strlen(s->lexicon);
    spec->rules = s->rules;
    spec->rules_len = strlen(s->rules);
    spec->corpus = s->corpus;
    spec->corpus_len = strlen(s->corpus);
    spec->label_texts = (const char *const *)s->texts;
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
    return build_index(kb_db(kb), err);
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
    if (spec_store_load(&ks->store, kb_db(kb), err)) {
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
