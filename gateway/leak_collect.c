/* gateway/leak_collect.c - the texts check-leak compares (leak.c): the
 * training texts of data/, collected the way kb_import.c reads them (same
 * files, same columns), and the lines of a labelled evaluation file, each
 * kept with where it came from and its 4-grams. */
#include "leak.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leak_int.h"
#include "mc_lines.h"

#define LEAK_FILE_MAX (8 << 20) /* bytes of one source or evaluation file */
#define LEAK_TEXTS_MAX 200000   /* training texts; a sanity cap */
#define LEAK_PATH_MAX 1024 /* bytes of a path we build; longer is cut (it only names a place) */

void leak_set_fini(struct lset *s)
{
    size_t i;

    for (i = 0; i < s->n; i++) {
        free(s->t[i].where);
        free(s->t[i].text);
        leak_grams_fini(&s->t[i].g);
    }
    free(s->t);
    memset(s, 0, sizeof(*s));
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Adds one text; a text of fewer than min_grams 4-grams is skipped. Returns 0 or a
 * negative errno with err set. */
static int lset_add_min(struct lset *s, const char *where, const char *text, size_t len,
                        size_t min_grams, struct mc_err *err)
{
    struct ltext t = {NULL, NULL, {NULL, 0}, 0};
    int rc;

    rc = leak_grams_init(&t.g, text, len);
    if (rc) {
        mc_err_set(err, "%s: %s", where, rc == -E2BIG ? "text too long" : "not valid UTF-8");
        return rc;
    }
    if (t.g.n < min_grams) {
        leak_grams_fini(&t.g);
        return 0;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        struct ltext *p;

        if (cap > LEAK_TEXTS_MAX) {
            mc_err_set(err, "%s: more than %d training texts", where, LEAK_TEXTS_MAX);
            rc = -E2BIG;
            goto fail;
        }
        p = realloc(s->t, cap * sizeof(*p));
        if (!p)
            goto fail_nomem;
        s->t = p;
        s->cap = cap;
    }
    t.where = dup_n(where, strlen(where));
    t.text = dup_n(text, len);
    if (!t.where || !t.text)
        goto fail_nomem;
    s->t[s->n++] = t;
    return 0;

fail_nomem:
    mc_err_set(err, "%s: out of memory", where);
    rc = -ENOMEM;
fail:
    free(t.where);
    free(t.text);
    leak_grams_fini(&t.g);
    return rc;
}

static int lset_add(struct lset *s, const char *where, const char *text, size_t len,
                    struct mc_err *err)
{
    return lset_add_min(s, where, text, len, 1, err);
}
/* Reads a whole file into a new NUL-terminated buffer (free() it); an absent
 * optional file reads as empty. */
static char *read_file(const char *path, size_t *len, bool optional, struct mc_err *err)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    size_t n = 0, got;

    *len = 0;
    if (!f) {
        if (optional && errno == ENOENT)
            return calloc(1, 1); /* an absent optional file has no lines */
        mc_err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    b = malloc(LEAK_FILE_MAX + 1);
    if (!b) {
        mc_err_set(err, "%s: out of memory", path);
        goto fail;
    }
    while ((got = fread(b + n, 1, LEAK_FILE_MAX + 1 - n, f)) > 0)
        n += got;
    if (ferror(f) || n > LEAK_FILE_MAX) {
        mc_err_set(err, "%s: %s", path, ferror(f) ? "read error" : "larger than 8 MB");
        goto fail;
    }
    fclose(f);
    b[n] = '\0';
    *len = n;
    return b;

fail:
    fclose(f);
    free(b);
    return NULL;
}

/* Column col (0-based, TAB-separated) of line; *n gets its length. NULL if
 * the line has fewer columns. */
static const char *column(const char *line, unsigned col, size_t *n)
{
    const char *p = line, *tab;

    while (col-- > 0) {
        p = strchr(p, '\t');
        if (!p)
            return NULL;
        p++;
    }
    tab = strchr(p, '\t');
    *n = tab ? (size_t)(tab - p) : strlen(p);
    return p;
}

/* Literal fragments of a PCRE2 pattern: the runs of text between groups,
 * alternatives and non-literal atoms (\b and quantifiers are dropped, \s is a
 * space). Calls lset_add for each. */
static int add_pattern(struct lset *s, const char *where, const char *pat, size_t len,
                       struct mc_err *err)
{
    char frag[LEAK_TEXT_MAX + 1];
    size_t i, n = 0;
    int rc = 0;

    for (i = 0; i <= len && !rc; i++) {
        char c = i < len ? pat[i] : '\0';
        bool flush = false;

        if (c == '\\' && i + 1 < len) {
            c = pat[++i];
            if (c == 's')
                frag[n++] = ' ';
            else if (c != 'b' && c != 'B')
                flush = true;
        } else if (c == '[' || c == '{') {
            char close = c == '[' ? ']' : '}';

            while (i + 1 < len && pat[i + 1] != close)
                i++;
            i++;
            flush = true;
        } else if (c == '(') {
            while (i + 1 < len && (pat[i + 1] == '?' || pat[i + 1] == ':' || pat[i + 1] == '=' ||
                                   pat[i + 1] == '!' || pat[i + 1] == '<'))
                i++;
            flush = true;
        } else if (c == '?' || c == '*' || c == '+') {
            /* a quantifier: the text around it is kept */
        } else if (c == ')' || c == '|' || c == '.' || c == '^' || c == '$' || c == '\0') {
            flush = true;
        } else if (n < LEAK_TEXT_MAX) {
            frag[n++] = c;
        }
        if (flush && n > 0) {
            rc = lset_add_min(s, where, frag, n, LEAK_MIN_GRAMS, err); /* keywords are not copies */
            n = 0;
        }
    }
    return rc;
}

enum lkind {
    LK_LINE, /* the whole line (data/meta/none.txt) */
    LK_COL1, /* label<TAB>text (the .tsv files of data/intents) */
    LK_NOTE, /* the note column of abbrev.tsv */
    LK_RULE, /* rules.tsv: the pattern's fragments and the note */
};

static int add_lines(struct lset *s, const char *path, enum lkind kind, bool optional,
                     struct mc_err *err)
{
    char line[LEAK_TEXT_MAX + 1], where[2 * LEAK_PATH_MAX];
    struct mc_lines it;
    const char *p;
    size_t len, n;
    char *text;
    int rc = 0, got;

    text = read_file(path, &len, optional, err);
    if (!text)
        return -EINVAL;
    mc_lines_init(&it, text, len);
    while (!rc && (got = mc_lines_next(&it, line, sizeof(line), &n)) != 0) {
        if (got < 0) {
            mc_err_set(err, "%s:%u: line too long or holds a NUL byte", path, it.lineno);
            rc = -EINVAL;
            break;
        }
        snprintf(where, sizeof(where), "%s:%u", path, it.lineno);
        switch (kind) {
        case LK_LINE:
            rc = lset_add(s, where, line, n, err);
            break;
        case LK_COL1:
            p = column(line, 1, &n);
            if (p)
                rc = lset_add(s, where, p, n, err);
            break;
        case LK_NOTE:
            p = column(line, 3, &n);
            if (p)
                rc = lset_add_min(s, where, p, n, LEAK_MIN_GRAMS, err);
            break;
        case LK_RULE:
            p = column(line, 1, &n);
            if (p)
                rc = add_pattern(s, where, p, n, err);
            p = column(line, 3, &n);
            if (p && !rc)
                rc = lset_add_min(s, where, p, n, LEAK_MIN_GRAMS, err);
            break;
        }
    }
    free(text);
    return rc;
}

static int add_phrases(struct lset *s, const char *path, json_t *root, struct mc_err *err)
{
    char where[2 * LEAK_PATH_MAX];
    json_t *x;
    size_t i;
    int rc = 0;

    json_array_foreach(json_object_get(root, "phrases"), i, x)
    {
        if (!json_is_string(x))
            continue;
        snprintf(where, sizeof(where), "%s:phrases[%zu]", path, i);
        rc = lset_add(s, where, json_string_value(x), json_string_length(x), err);
        if (rc)
            break;
    }
    return rc;
}

static int json_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

static int tsv_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return d->d_name[0] != '.' && n > 4 && strcmp(d->d_name + n - 4, ".tsv") == 0;
}

/* Every .json of dir/sub (its "phrases": the guide's names, aliases and FAQ
 * feed only accent restoration, not the intent examples) or .tsv of dir/sub
 * (label<TAB>text). */
static int add_dir(struct lset *s, const char *dir, const char *sub, bool json, bool optional,
                   struct mc_err *err)
{
    char folder[LEAK_PATH_MAX], path[LEAK_PATH_MAX + 256];
    struct dirent **names = NULL;
    json_error_t jerr;
    int n, i, rc = 0;

    snprintf(folder, sizeof(folder), "%s/%s", dir, sub);
    n = scandir(folder, &names, json ? json_filter : tsv_filter, alphasort);
    if (n < 0) {
        if (optional && errno == ENOENT)
            return 0;
        mc_err_set(err, "%s: %s", folder, strerror(errno));
        return -EINVAL;
    }
    for (i = 0; i < n && !rc; i++) {
        json_t *root;

        snprintf(path, sizeof(path), "%s/%s", folder, names[i]->d_name);
        if (!json) {
            rc = add_lines(s, path, LK_COL1, false, err);
            continue;
        }
        root = json_load_file(path, 0, &jerr);
        if (!root) {
            mc_err_set(err, "%s:%d: %s", path, jerr.line, jerr.text);
            rc = -EINVAL;
            break;
        }
        rc = add_phrases(s, path, root, err);
        json_decref(root);
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int leak_collect_training(struct lset *s, const char *dir, struct mc_err *err)
{
    char path[LEAK_PATH_MAX];
    int rc;

    rc = add_dir(s, dir, "procedures", true, false, err);
    if (!rc)
        rc = add_dir(s, dir, "meta", true, false, err);
    if (!rc) {
        snprintf(path, sizeof(path), "%s/meta/none.txt", dir);
        rc = add_lines(s, path, LK_LINE, true, err);
    }
    if (!rc)
        rc = add_dir(s, dir, "intents", false, true, err);
    if (!rc) {
        snprintf(path, sizeof(path), "%s/lexicon/abbrev.tsv", dir);
        rc = add_lines(s, path, LK_NOTE, true, err);
    }
    if (!rc) {
        snprintf(path, sizeof(path), "%s/lexicon/rules.tsv", dir);
        rc = add_lines(s, path, LK_RULE, true, err);
    }
    return rc;
}

/* Loads the text column (up to the first TAB) of every line of a labelled
 * file. */
int leak_load_labelled(struct lset *s, const char *path, struct mc_err *err)
{
    char line[LEAK_TEXT_MAX + 1], where[2 * LEAK_PATH_MAX];
    struct mc_lines it;
    size_t len, n;
    char *text;
    int got, rc = 0;

    text = read_file(path, &len, false, err);
    if (!text)
        return -EINVAL;
    mc_lines_init(&it, text, len);
    while (!rc && (got = mc_lines_next(&it, line, sizeof(line), &n)) != 0) {
        if (got < 0) {
            mc_err_set(err, "%s:%u: line too long or holds a NUL byte", path, it.lineno);
            rc = -EINVAL;
            break;
        }
        snprintf(where, sizeof(where), "%s:%u", path, it.lineno);
        rc = lset_add(s, where, line, strcspn(line, "\t"), err);
    }
    free(text);
    return rc;
}
