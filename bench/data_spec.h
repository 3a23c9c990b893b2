/* bench/data_spec.h - builds a struct intent_spec straight from the data/
 * folder, the way `motcua import` + kb_build_index() do from the database:
 * labels from data/catalogue.tsv, phrases from data/procedures/<id>.json and
 * data/meta/<id>.json ("phrases"), data/meta/none.txt (label "none"),
 * the .tsv files of data/intents (label<TAB>phrase), the lexicon and rule
 * files, and the corpus from the guide texts. It is lenient (a file that does
 * not parse is skipped with a warning), so the benchmark and test_intent run
 * while others are still editing data/. Shared by bench/ and tests/unit/ as
 * static functions; not part of the library (intents/ does no I/O). */
#ifndef MOTCUA_BENCH_DATA_SPEC_H
#define MOTCUA_BENCH_DATA_SPEC_H

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "mc_buf.h"

#define DATA_SPEC_FILE_MAX (16u << 20) /* bytes of one data file */
#define DATA_SPEC_FILES_MAX 512        /* files per folder */

struct data_spec {
    struct intent_spec spec; /* points into the fields below */
    char **labels;
    size_t n_labels;
    struct intent_example *ex;
    char *src; /* [n_ex]: 'p' phrase, 'n' name or alias, 'f' FAQ question, 'g' guide sentence */
    size_t n_ex, cap_ex;
    char **strs; /* every string the examples point to */
    size_t n_strs, cap_strs;
    char *lexicon, *rules;
    struct mc_buf corpus;
};

static char *data_spec_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct mc_buf b;
    char chunk[8192];
    size_t n;

    if (!f)
        return NULL;
    mc_buf_init(&b, DATA_SPEC_FILE_MAX);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (mc_buf_append(&b, chunk, n) != 0) {
            fclose(f);
            mc_buf_fini(&b);
            return NULL;
        }
    fclose(f);
    *len = b.len;
    return mc_buf_steal(&b);
}

static char *data_spec_keep(struct data_spec *d, const char *s)
{
    char *c;

    if (d->n_strs == d->cap_strs) {
        size_t nc = d->cap_strs ? d->cap_strs * 2 : 1024;
        char **q = realloc(d->strs, nc * sizeof(*q));
        if (!q)
            return NULL;
        d->strs = q;
        d->cap_strs = nc;
    }
    c = strdup(s);
    if (c)
        d->strs[d->n_strs++] = c;
    return c;
}

static int data_spec_add_src(struct data_spec *d, const char *label, const char *text, char src)
{
    const char *l = NULL, *t;
    size_t i;

    for (i = 0; i < d->n_labels; i++)
        if (strcmp(d->labels[i], label) == 0)
            l = d->labels[i];
    if (strcmp(label, "none") == 0)
        l = "none";
    if (!l)
        return -EINVAL;
    if (d->n_ex == d->cap_ex) {
        size_t nc = d->cap_ex ? d->cap_ex * 2 : 1024;
        struct intent_example *q = realloc(d->ex, nc * sizeof(*q));
        char *sq;
        if (!q)
            return -ENOMEM;
        d->ex = q;
        sq = realloc(d->src, nc);
        if (!sq)
            return -ENOMEM;
        d->src = sq;
        d->cap_ex = nc;
    }
    t = data_spec_keep(d, text);
    if (!t)
        return -ENOMEM;
    d->ex[d->n_ex].label = l;
    d->ex[d->n_ex].text = t;
    d->src[d->n_ex] = src;
    d->n_ex++;
    return 0;
}

static int data_spec_add(struct data_spec *d, const char *label, const char *text)
{
    return data_spec_add_src(d, label, text, 'p');
}

/* Adds each sentence of guide text s as a weak example of label. */
static void data_spec_guide(struct data_spec *d, const char *label, const char *s)
{
    char buf[512];
    size_t i = 0, j, n = strlen(s);

    while (i < n) {
        for (j = i; j < n && s[j] != '.' && s[j] != ';' && s[j] != '\n'; j++)
            ;
        if (j - i > 12 && j - i < sizeof(buf)) {
            memcpy(buf, s + i, j - i);
            buf[j - i] = '\0';
            (void)data_spec_add_src(d, label, buf, 'g');
        }
        i = j + 1;
    }
}

static void data_spec_guide_json(struct data_spec *d, const char *label, json_t *j)
{
    static const char *const skip[] = {"legal_basis",  "portal_codes", "links",   "id",
                                       "kind",         "level",        "domain",  "reviewed",
                                       "sources_note", "note",         "phrases", "faq",
                                       "name",         "short_name",   "aliases", NULL};
    const char *k;
    json_t *x;
    size_t i;

    if (json_is_string(j)) {
        data_spec_guide(d, label, json_string_value(j));
    } else if (json_is_object(j)) {
        json_object_foreach(j, k, x)
        {
            for (i = 0; skip[i] && strcmp(skip[i], k) != 0; i++)
                ;
            if (!skip[i])
                data_spec_guide_json(d, label, x);
        }
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, x) data_spec_guide_json(d, label, x);
    }
}

static void data_spec_corpus(struct data_spec *d, json_t *j)
{
    static const char *const skip[] = {"legal_basis",  "portal_codes", "links",   "id",
                                       "kind",         "level",        "domain",  "reviewed",
                                       "sources_note", "note",         "phrases", NULL};
    const char *k;
    json_t *x;
    size_t i;

    if (json_is_string(j)) {
        if (mc_buf_puts(&d->corpus, json_string_value(j)) == 0 &&
            mc_buf_puts(&d->corpus, "\n") != 0)
            return;
    } else if (json_is_object(j)) {
        json_object_foreach(j, k, x)
        {
            for (i = 0; skip[i] && strcmp(skip[i], k) != 0; i++)
                ;
            if (!skip[i])
                data_spec_corpus(d, x);
        }
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, x) data_spec_corpus(d, x);
    }
}

static int data_spec_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every DIR/sub/<id>.json; with_names also adds name, short_name and
 * aliases as phrases. */
static int data_spec_json_dir(struct data_spec *d, const char *dir, const char *sub, int with_names,
                              int corpus)
{
    char path[1024], id[256];
    char *names[DATA_SPEC_FILES_MAX];
    size_t n = 0, i, k, l;
    struct dirent *e;
    DIR *dh;
    json_error_t jerr;
    json_t *root, *x;

    snprintf(path, sizeof(path), "%s/%s", dir, sub);
    dh = opendir(path);
    if (!dh)
        return 0;
    while ((e = readdir(dh)) != NULL && n < DATA_SPEC_FILES_MAX) {
        l = strlen(e->d_name);
        if (l > 5 && l < sizeof(id) && strcmp(e->d_name + l - 5, ".json") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(dh);
    qsort(names, n, sizeof(names[0]), data_spec_cmp);
    for (i = 0; i < n; i++) {
        if (!names[i])
            continue;
        snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, names[i]);
        snprintf(id, sizeof(id), "%.*s", (int)(strlen(names[i]) - 5), names[i]);
        root = json_load_file(path, 0, &jerr);
        if (!root) {
            fprintf(stderr, "data_spec: %s:%d: %s (skipped)\n", path, jerr.line, jerr.text);
            continue;
        }
        json_array_foreach(json_object_get(root, "phrases"), k, x)
        {
            if (json_is_string(x) && data_spec_add(d, id, json_string_value(x)) == -EINVAL) {
                fprintf(stderr, "data_spec: %s: label %s not in the catalogue\n", path, id);
                break;
            }
        }
        if (with_names) {
            x = json_object_get(root, "name");
            if (json_is_string(x))
                (void)data_spec_add_src(d, id, json_string_value(x), 'n');
            x = json_object_get(root, "short_name");
            if (json_is_string(x))
                (void)data_spec_add_src(d, id, json_string_value(x), 'n');
            json_array_foreach(json_object_get(root, "aliases"), k, x)
            {
                if (json_is_string(x))
                    (void)data_spec_add_src(d, id, json_string_value(x), 'n');
            }
            if (with_names > 1) {
                json_t *q;
                json_array_foreach(json_object_get(root, "faq"), k, x)
                {
                    q = json_object_get(x, "q");
                    if (json_is_string(q))
                        (void)data_spec_add_src(d, id, json_string_value(q), 'f');
                }
            }
            if (with_names > 2)
                data_spec_guide_json(d, id, root);
        }
        if (corpus)
            data_spec_corpus(d, root);
        json_decref(root);
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    return 0;
}

/* Reads label<TAB>text lines (label fixed when label is not NULL). */
static void data_spec_lines(struct data_spec *d, const char *path, const char *label)
{
    size_t len, i = 0, j;
    char *t = data_spec_slurp(path, &len), *tab;

    if (!t)
        return;
    while (i < len) {
        for (j = i; j < len && t[j] != '\n'; j++)
            ;
        t[j] = '\0';
        if (j > i && t[j - 1] == '\r')
            t[j - 1] = '\0';
        if (t[i] && t[i] != '#') {
            if (label) {
                (void)data_spec_add(d, label, t + i);
            } else if ((tab = strchr(t + i, '\t')) != NULL) {
                *tab = '\0';
                if (data_spec_add(d, t + i, tab + 1) == -EINVAL)
                    fprintf(stderr, "data_spec: %s: unknown label %s\n", path, t + i);
            }
        }
        i = j + 1;
    }
    free(t);
}

/* Reads every .tsv file of DIR/intents in name order, as motcua import does. */
static void data_spec_phrase_dir(struct data_spec *d, const char *dir)
{
    char path[1024], *names[DATA_SPEC_FILES_MAX];
    size_t n = 0, i, l;
    struct dirent *e;
    DIR *dh;

    snprintf(path, sizeof(path), "%s/intents", dir);
    dh = opendir(path);
    if (!dh)
        return;
    while ((e = readdir(dh)) != NULL && n < DATA_SPEC_FILES_MAX) {
        l = strlen(e->d_name);
        if (l > 4 && e->d_name[0] != '.' && strcmp(e->d_name + l - 4, ".tsv") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(dh);
    qsort(names, n, sizeof(names[0]), data_spec_cmp);
    for (i = 0; i < n; i++) {
        if (names[i]) {
            snprintf(path, sizeof(path), "%s/intents/%s", dir, names[i]);
            data_spec_lines(d, path, NULL);
        }
        free(names[i]);
    }
}

static void data_spec_fini(struct data_spec *d)
{
    size_t i;

    for (i = 0; i < d->n_labels; i++)
        free(d->labels[i]);
    free(d->labels);
    for (i = 0; i < d->n_strs; i++)
        free(d->strs[i]);
    free(d->strs);
    free(d->ex);
    free(d->src);
    free(d->lexicon);
    free(d->rules);
    mc_buf_fini(&d->corpus);
    memset(d, 0, sizeof(*d));
}

/* Loads dir (the data/ folder). with_names: also train on names and aliases.
 * Returns 0, or -errno when the catalogue is missing or memory runs out. */
static int data_spec_load(struct data_spec *d, const char *dir, int with_names)
{
    char path[1024];
    size_t len, i = 0, j, cap = 0;
    char *cat, *tab;

    memset(d, 0, sizeof(*d));
    mc_buf_init(&d->corpus, 64u << 20);
    snprintf(path, sizeof(path), "%s/catalogue.tsv", dir);
    cat = data_spec_slurp(path, &len);
    if (!cat)
        return -ENOENT;
    while (i < len) {
        for (j = i; j < len && cat[j] != '\n'; j++)
            ;
        cat[j] = '\0';
        tab = strchr(cat + i, '\t');
        if (tab && i > 0) { /* skip the header line */
            *tab = '\0';
            if (d->n_labels == cap) {
                cap = cap ? cap * 2 : 64;
                char **q = realloc(d->labels, cap * sizeof(*q));
                if (!q) {
                    free(cat);
                    return -ENOMEM;
                }
                d->labels = q;
            }
            d->labels[d->n_labels++] = strdup(cat + i);
        }
        i = j + 1;
    }
    free(cat);
    data_spec_json_dir(d, dir, "procedures", with_names, 1);
    data_spec_json_dir(d, dir, "meta", 0, 0);
    snprintf(path, sizeof(path), "%s/meta/none.txt", dir);
    data_spec_lines(d, path, "none");
    data_spec_phrase_dir(d, dir);
    snprintf(path, sizeof(path), "%s/lexicon/abbrev.tsv", dir);
    d->lexicon = data_spec_slurp(path, &len);
    d->spec.lexicon_len = d->lexicon ? len : 0;
    snprintf(path, sizeof(path), "%s/lexicon/rules.tsv", dir);
    d->rules = data_spec_slurp(path, &len);
    d->spec.rules_len = d->rules ? len : 0;
    d->spec.labels = (const char *const *)d->labels;
    d->spec.n_labels = d->n_labels;
    d->spec.examples = d->ex;
    d->spec.n_examples = d->n_ex;
    d->spec.lexicon = d->lexicon;
    d->spec.rules = d->rules;
    d->spec.corpus = d->corpus.data;
    d->spec.corpus_len = d->corpus.len;
    return 0;
}

#endif
