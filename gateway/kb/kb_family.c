/* gateway/kb/kb_family.c - see kb_family.h. The folded naming words and names
 * of every option are computed once, at import, so loading is a copy and a
 * turn only compares words. */
#include "kb_family.h"

#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kb.h"
#include "fold_words.h"
#include "mc_buf.h"

#define FAMILY_ID_MAX 63      /* bytes of a family id (a slug) */
#define FAMILY_WORDS_MAX 512  /* words folded for one option's naming text */
#define FAMILY_PATTERN_MAX 96 /* bytes of one trigger pattern */

/* ---- import ------------------------------------------------------------ */

struct fctx {
    FILE *errs;
    int *nerr;
    const char *file;
    sqlite3 *db;
};

static void ferr(struct fctx *c, const char *field, const char *fmt, ...) MC_PRINTF(3, 4);

static void ferr(struct fctx *c, const char *field, const char *fmt, ...)
{
    va_list ap;

    (*c->nerr)++;
    fprintf(c->errs, "%s:%s: ", c->file, field);
    va_start(ap, fmt);
    vfprintf(c->errs, fmt, ap);
    va_end(ap);
    fputc('\n', c->errs);
}

static bool is_slug(const char *s)
{
    size_t i, n = strlen(s);

    if (n == 0 || n > FAMILY_ID_MAX || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

/* Folded words: [a-z0-9] runs separated by single spaces. */
static bool is_folded_phrase(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
        return false;
    for (i = 0; i < n; i++) {
        char ch = s[i];

        if (ch == ' ' ? s[i + 1] == ' ' : !((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
            return false;
    }
    return true;
}

/* "lam lai + giay": up to KB_FAMILY_PARTS_MAX folded phrases joined by " + ". */
static bool is_pattern(const char *s)
{
    const char *p = s, *plus;
    size_t parts = 0;

    if (strlen(s) > FAMILY_PATTERN_MAX)
        return false;
    for (;;) {
        plus = strstr(p, " + ");
        if (!is_folded_phrase(p, plus ? (size_t)(plus - p) : strlen(p)))
            return false;
        if (++parts > KB_FAMILY_PARTS_MAX)
            return false;
        if (!plus)
            return true;
        p = plus + sizeof " + " - 1;
    }
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* A required non-empty string of at most max bytes (and max_chars characters
 * when not 0), or NULL after reporting. */
static const char *req_text(struct fctx *c, json_t *o, const char *key, const char *path,
                            size_t max, size_t max_chars)
{
    const char *s = json_string_value(json_object_get(o, key));
    char f[256];

    snprintf(f, sizeof(f), "%s.%s", path, key);
    if (!s) {
        ferr(c, f, json_object_get(o, key) ? "must be a string" : "missing");
        return NULL;
    }
    if (strspn(s, " \t\n") == strlen(s)) {
        ferr(c, f, "must not be empty");
        return NULL;
    }
    if (strlen(s) > max)
        ferr(c, f, "longer than %zu bytes", max);
    else if (max_chars && utf8_chars(s) > max_chars)
        ferr(c, f, "longer than %zu characters", max_chars);
    return s;
}

static void check_keys(struct fctx *c, json_t *o, const char *path, const char *const *keys,
                       size_t n)
{
    const char *k;
    json_t *v;
    size_t i;

    json_object_foreach(o, k, v)
    {
        for (i = 0; i < n && strcmp(k, keys[i]) != 0; i++)
            ;
        if (i == n)
            ferr(c, path, "unknown field \"%s\"", k);
    }
    (void)v;
}

/* Appends the folded words of text to b (" w " each), skipping stop words
 * and words already there. */
static int add_words(struct mc_buf *b, const char *text)
{
    char folded[FOLD_WORDS_TEXT_MAX], key[FOLD_WORDS_TEXT_MAX + 2];
    struct fold_word w[FAMILY_WORDS_MAX];
    size_t i, n;
    int rc = fold_words_text(text, folded, sizeof(folded));

    if (rc == -EINVAL)
        return rc;
    n = fold_words_split(folded, strlen(folded), true, w, FAMILY_WORDS_MAX, NULL);
    for (i = 0; i < n; i++) {
        if (fold_words_is_stop(&w[i], true))
            continue;
        snprintf(key, sizeof(key), " %.*s ", (int)w[i].len, w[i].p);
        if (b->data && strstr(b->data, key))
            continue; /* b is " w1 w2 ... ": each word once */
        rc = mc_buf_puts(b, key + 1);
        if (rc)
            return rc;
    }
    return 0;
}

/* Appends the folded form of text as one "\n"-ended line of b. */
static int add_name(struct mc_buf *b, const char *text)
{
    char folded[FOLD_WORDS_TEXT_MAX];
    int rc = fold_words_text(text, folded, sizeof(folded));

    if (rc)
        return rc;
    return mc_buf_printf(b, " %s \n", folded);
}

/* The option's own title and line and the procedure guide's name, short
 * name and aliases (from the rows the import wrote before): naming words and
 * names. Returns 0, -EINVAL for text that does not fold, -E2BIG or -EIO. */
static int option_naming(sqlite3 *db, const char *id, const char *title, const char *line,
                         struct mc_buf *words, struct mc_buf *names)
{
    sqlite3_stmt *st = NULL;
    json_t *g = NULL, *a;
    size_t i;
    int rc;

    rc = mc_buf_puts(words, " ");
    if (!rc)
        rc = add_words(words, title);
    if (!rc)
        rc = add_words(words, line);
    if (!rc)
        rc = add_name(names, title);
    if (!rc)
        rc = add_name(names, line);
    if (rc)
        return rc;
    if (sqlite3_prepare_v2(db, "SELECT body FROM procedure WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return -EIO;
    if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        g = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
    sqlite3_finalize(st);
    if (!g)
        return 0; /* the guide itself failed validation: reported there */
    for (i = 0; !rc; i++) {
        const char *s = i == 0   ? json_string_value(json_object_get(g, "name"))
                        : i == 1 ? json_string_value(json_object_get(g, "short_name"))
                                 : NULL;

        if (i >= 2) {
            a = json_array_get(json_object_get(g, "aliases"), i - 2);
            if (!a)
                break;
            s = json_string_value(a);
        }
        if (!s)
            continue;
        rc = add_words(words, s);
        if (!rc)
            rc = add_name(names, s);
    }
    json_decref(g);
    return rc;
}

static bool is_procedure(sqlite3 *db, const char *id)
{
    sqlite3_stmt *st = NULL;
    bool yes = false;

    if (sqlite3_prepare_v2(db, "SELECT kind FROM label WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
        return false;
    yes = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW &&
          strcmp((const char *)sqlite3_column_text(st, 0), "procedure") == 0;
    sqlite3_finalize(st);
    return yes;
}

static int exec_bind(sqlite3 *db, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *st = NULL;
    va_list ap;
    int i, rc = -EIO, brc = SQLITE_OK;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -EIO;
    va_start(ap, fmt);
    for (i = 0; fmt[i]; i++) { /* SQLITE_OK is 0: one failed bind shows in brc */
        if (fmt[i] == 's')
            brc |= sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
        else
            brc |= sqlite3_bind_int(st, i + 1, va_arg(ap, int));
    }
    va_end(ap);
    if (brc == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE)
        rc = 0;
    sqlite3_finalize(st);
    return rc;
}

static int import_option(struct fctx *c, const char *fam, json_t *o, const char *path, int pos,
                         bool write)
{
    static const char *const keys[] = {"id", "title", "line", "verify"};
    const char *id, *title, *line;
    json_t *verify = json_object_get(o, "verify");
    struct mc_buf words, names;
    char f[256];
    int before = *c->nerr, rc = 0;

    if (!json_is_object(o)) {
        ferr(c, path, "must be an object {\"id\", \"title\", \"line\"}");
        return 0;
    }
    check_keys(c, o, path, keys, sizeof(keys) / sizeof(keys[0]));
    id = req_text(c, o, "id", path, FAMILY_ID_MAX, 0);
    title = req_text(c, o, "title", path, KB_FAMILY_LINE_MAX, KB_FAMILY_TITLE_MAX);
    line = req_text(c, o, "line", path, KB_FAMILY_LINE_MAX, 0);
    snprintf(f, sizeof(f), "%s.id", path);
    if (id && !is_procedure(c->db, id))
        ferr(c, f, "\"%s\" is not a procedure id of data/catalogue.tsv", id);
    snprintf(f, sizeof(f), "%s.verify", path);
    if (verify && !json_is_boolean(verify))
        ferr(c, f, "must be true or false");
    if (*c->nerr != before || !write)
        return 0;
    mc_buf_init(&words, KB_FAMILY_TEXT_MAX);
    mc_buf_init(&names, KB_FAMILY_TEXT_MAX);
    rc = option_naming(c->db, id, title, line, &words, &names);
    if (rc == -EINVAL || rc == -E2BIG) {
        ferr(c, path, rc == -EINVAL ? "text is not valid UTF-8" : "names too long to fold");
        rc = 0;
    } else if (!rc) {
        rc = exec_bind(c->db, "INSERT INTO family_option VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                       "sisssiss", fam, pos, id, title, line, json_is_true(verify) ? 1 : 0,
                       words.data, names.data);
    }
    mc_buf_fini(&words);
    mc_buf_fini(&names);
    return rc;
}

static int import_family(struct fctx *c, json_t *fam, size_t i, json_t *seen)
{
    static const char *const keys[] = {"id", "title", "triggers", "options"};
    json_t *trig, *opts, *x;
    const char *id, *title;
    char path[64], f[160];
    size_t k, m;
    int before = *c->nerr, rc = 0;

    snprintf(path, sizeof(path), "families[%zu]", i);
    if (!json_is_object(fam)) {
        ferr(c, path, "must be an object {\"id\", \"title\", \"triggers\", \"options\"}");
        return 0;
    }
    check_keys(c, fam, path, keys, sizeof(keys) / sizeof(keys[0]));
    id = req_text(c, fam, "id", path, FAMILY_ID_MAX, 0);
    title = req_text(c, fam, "title", path, KB_FAMILY_LINE_MAX, 0);
    snprintf(f, sizeof(f), "%s.id", path);
    if (id && !is_slug(id))
        ferr(c, f, "\"%s\" is not a slug (a-z, 0-9, -)", id);
    else if (id && json_object_get(seen, id))
        ferr(c, f, "\"%s\" is used twice", id);
    else if (id)
        json_object_set_new(seen, id, json_true());
    trig = json_object_get(fam, "triggers");
    opts = json_object_get(fam, "options");
    snprintf(f, sizeof(f), "%s.triggers", path);
    if (!json_is_array(trig) || json_array_size(trig) < 1 ||
        json_array_size(trig) > KB_FAMILY_TRIGGERS_MAX)
        ferr(c, f, "must be an array of 1 to %d patterns", KB_FAMILY_TRIGGERS_MAX);
    json_array_foreach(trig, k, x)
    {
        snprintf(f, sizeof(f), "%s.triggers[%zu]", path, k);
        if (!json_is_string(x) || !is_pattern(json_string_value(x)))
            ferr(c, f,
                 "must be folded words (a-z, 0-9, single spaces), up to %d phrases "
                 "joined by \" + \"",
                 KB_FAMILY_PARTS_MAX);
    }
    snprintf(f, sizeof(f), "%s.options", path);
    if (!json_is_array(opts) || json_array_size(opts) < KB_FAMILY_OPTIONS_MIN ||
        json_array_size(opts) > KB_FAMILY_OPTIONS_MAX)
        ferr(c, f, "must be an array of %d to %d options, has %zu", KB_FAMILY_OPTIONS_MIN,
             KB_FAMILY_OPTIONS_MAX, json_array_size(opts));
    json_array_foreach(opts, k, x)
    {
        const char *oid = json_string_value(json_object_get(x, "id"));

        for (m = 0; oid && m < k; m++) {
            const char *prev = json_string_value(json_object_get(json_array_get(opts, m), "id"));

            if (prev && strcmp(prev, oid) == 0) {
                snprintf(f, sizeof(f), "%s.options[%zu].id", path, k);
                ferr(c, f, "\"%s\" is offered twice", oid);
            }
        }
    }
    if (*c->nerr == before &&
        exec_bind(c->db, "INSERT INTO family VALUES (?1, ?2, ?3)", "ssi", id, title, (int)i))
        return -EIO;
    json_array_foreach(trig, k, x)
    {
        if (*c->nerr == before && exec_bind(c->db, "INSERT INTO family_trigger VALUES (?1, ?2)",
                                            "ss", id, json_string_value(x)))
            return -EIO;
    }
    json_array_foreach(opts, k, x)
    {
        snprintf(f, sizeof(f), "%s.options[%zu]", path, k);
        rc = import_option(c, id, x, f, (int)k, *c->nerr == before);
        if (rc)
            return rc;
    }
    return 0;
}

int kb_family_import(sqlite3 *db, const char *data_dir, FILE *errs, int *nerr)
{
    char path[1024];
    struct fctx c = {errs, nerr, path, db};
    json_error_t jerr;
    json_t *root, *fams, *seen = NULL, *fam;
    size_t i;
    int rc = 0;

    snprintf(path, sizeof(path), "%s/families.json", data_dir);
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        FILE *f = fopen(path, "r");

        if (!f && errno == ENOENT)
            return 0; /* no families: every request is answered as understood */
        if (f)
            fclose(f);
        ferr(&c, "", "line %d: %s", jerr.line, jerr.text);
        return 0;
    }
    fams = json_object_get(root, "families");
    if (!json_is_array(fams) || json_array_size(fams) > KB_FAMILY_MAX) {
        ferr(&c, "families", "must be an array of at most %d families", KB_FAMILY_MAX);
        goto out;
    }
    seen = json_object();
    if (!seen) {
        rc = -EIO;
        goto out;
    }
    json_array_foreach(fams, i, fam)
    {
        rc = import_family(&c, fam, i, seen);
        if (rc)
            break;
    }
out:
    json_decref(seen);
    json_decref(root);
    return rc;
}

/* ---- load -------------------------------------------------------------- */

struct kb_family_set {
    struct kb_family *fam;
    size_t n;
};

static void family_fini(struct kb_family *f)
{
    size_t i;

    free(f->id);
    free(f->title);
    for (i = 0; i < f->n_triggers; i++)
        free(f->triggers[i]);
    free(f->triggers);
    for (i = 0; i < f->n_options; i++) {
        free(f->options[i].id);
        free(f->options[i].title);
        free(f->options[i].line);
        free(f->options[i].words);
        free(f->options[i].names);
    }
    free(f->options);
}

void kb_family_set_free(struct kb_family_set *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < s->n; i++)
        family_fini(&s->fam[i]);
    free(s->fam);
    free(s);
}

/* Fills f's triggers and options from the database. */
static int family_load_rows(sqlite3 *db, struct kb_family *f)
{
    sqlite3_stmt *st = NULL;
    int rc = -EIO;

    f->triggers = calloc(KB_FAMILY_TRIGGERS_MAX, sizeof(*f->triggers));
    f->options = calloc(KB_FAMILY_OPTIONS_MAX, sizeof(*f->options));
    if (!f->triggers || !f->options)
        return -ENOMEM;
    if (sqlite3_prepare_v2(db,
                           "SELECT pattern FROM family_trigger WHERE family = ?1 ORDER BY rowid",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_bind_text(st, 1, f->id, -1, SQLITE_STATIC) != SQLITE_OK)
        goto out;
    while (f->n_triggers < KB_FAMILY_TRIGGERS_MAX && sqlite3_step(st) == SQLITE_ROW) {
        f->triggers[f->n_triggers] = kb_column_dup(st, 0);
        if (!f->triggers[f->n_triggers++]) {
            rc = -ENOMEM;
            goto out;
        }
    }
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db,
                           "SELECT procedure, title, line, verify, words, names FROM "
                           "family_option WHERE family = ?1 ORDER BY position",
                           -1, &st, NULL) != SQLITE_OK) {
        st = NULL;
        goto out;
    }
    if (sqlite3_bind_text(st, 1, f->id, -1, SQLITE_STATIC) != SQLITE_OK)
        goto out;
    while (f->n_options < KB_FAMILY_OPTIONS_MAX && sqlite3_step(st) == SQLITE_ROW) {
        struct kb_family_option *o = &f->options[f->n_options++];

        o->id = kb_column_dup(st, 0);
        o->title = kb_column_dup(st, 1);
        o->line = kb_column_dup(st, 2);
        o->verify = sqlite3_column_int(st, 3) != 0;
        o->words = kb_column_dup(st, 4);
        o->names = kb_column_dup(st, 5);
        if (!o->id || !o->title || !o->line || !o->words || !o->names) {
            rc = -ENOMEM;
            goto out;
        }
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

struct kb_family_set *kb_family_load(sqlite3 *db, struct mc_err *err)
{
    struct kb_family_set *s = calloc(1, sizeof(*s));
    sqlite3_stmt *st = NULL;
    int rc = -ENOMEM;

    if (!s)
        goto fail;
    s->fam = calloc(KB_FAMILY_MAX, sizeof(*s->fam));
    if (!s->fam)
        goto fail;
    rc = -EIO;
    if (sqlite3_prepare_v2(db, "SELECT id, title FROM family ORDER BY position", -1, &st, NULL) !=
        SQLITE_OK)
        goto fail;
    while (s->n < KB_FAMILY_MAX && sqlite3_step(st) == SQLITE_ROW) {
        struct kb_family *f = &s->fam[s->n++];

        f->id = kb_column_dup(st, 0);
        f->title = kb_column_dup(st, 1);
        rc = !f->id || !f->title ? -ENOMEM : family_load_rows(db, f);
        if (rc)
            goto fail;
    }
    sqlite3_finalize(st);
    return s;

fail:
    mc_err_set(err, "knowledge db: families: %s",
               rc == -ENOMEM ? "out of memory" : sqlite3_errmsg(db));
    sqlite3_finalize(st);
    kb_family_set_free(s);
    return NULL;
}

size_t kb_family_count(const struct kb_family_set *s)
{
    return s ? s->n : 0;
}

const struct kb_family *kb_family_at(const struct kb_family_set *s, size_t i)
{
    return &s->fam[i];
}

const struct kb_family *kb_family_find(const struct kb_family_set *s, const char *id)
{
    size_t i;

    for (i = 0; s && i < s->n; i++)
        if (strcmp(s->fam[i].id, id) == 0)
            return &s->fam[i];
    return NULL;
}
