/* gateway/kb/kb_import.c - see kb_import.h: reads data/ (every file checked
 * by kb_check.c) and writes the knowledge database, only when all is valid. */
#include "kb_import.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kb.h"
#include "kb_family.h"
#include "kb_import_int.h"
#include "kb_portal.h"
#include "kb_referral.h"
#include "kb_units.h"
#include "mc_buf.h"

/* ---- catalogue ------------------------------------------------------- */

static int read_catalogue(const char *dir, struct label_row *rows, size_t *n, FILE *errs)
{
    char path[PATH_MAX_LEN], line[TSV_LINE_MAX];
    FILE *f;
    size_t lineno = 0;
    int rc = 0;

    snprintf(path, sizeof(path), "%s/catalogue.tsv", dir);
    f = fopen(path, "r");
    if (!f) {
        fprintf(errs, "%s: cannot open: %s\n", path, strerror(errno));
        return -EINVAL;
    }
    *n = 0;
    while (fgets(line, sizeof(line), f)) {
        char *fields[5], *p = line;
        int k;

        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (lineno == 1 || line[0] == '\0')
            continue; /* header */
        for (k = 0; k < 5; k++) {
            fields[k] = p;
            p = strchr(p, '\t');
            if (!p && k < 4) {
                fprintf(errs, "%s:%zu: expected 5 tab-separated fields\n", path, lineno);
                rc = -EINVAL;
                goto out;
            }
            if (p)
                *p++ = '\0';
        }
        if (*n == CATALOGUE_MAX) {
            fprintf(errs, "%s:%zu: more than %d ids\n", path, lineno, CATALOGUE_MAX);
            rc = -EINVAL;
            goto out;
        }
        snprintf(rows[*n].id, sizeof(rows[*n].id), "%s", fields[0]);
        snprintf(rows[*n].kind, sizeof(rows[*n].kind), "%s", fields[1]);
        snprintf(rows[*n].domain, sizeof(rows[*n].domain), "%s", fields[2]);
        snprintf(rows[*n].name, sizeof(rows[*n].name), "%s", fields[3]);
        rows[*n].seen = false;
        (*n)++;
    }
out:
    fclose(f);
    return rc;
}

void kb_import_line_err(FILE *errs, int *nerr, const char *file, size_t line, const char *fmt, ...)
{
    va_list ap;

    (*nerr)++;
    if (!errs || *nerr > KB_IMPORT_MAX_ERRORS)
        return;
    fprintf(errs, "%s:%zu: ", file, line);
    va_start(ap, fmt);
    vfprintf(errs, fmt, ap);
    va_end(ap);
    fputc('\n', errs);
}

/* ---- listing --------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the files of dir ending in suffix, sorted; returns count or -errno. names[] are new (free
 * each). */
int kbi_list_files(const char *dir, const char *suffix, char **names, size_t max)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0, sl = strlen(suffix);

    if (!d)
        return errno == ENOENT ? 0 : -errno;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);

        if (e->d_name[0] == '.' || l <= sl || strcmp(e->d_name + l - sl, suffix) != 0)
            continue;
        if (n == max) {
            closedir(d);
            while (n)
                free(names[--n]);
            return -E2BIG;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) {
            closedir(d);
            while (n)
                free(names[--n]);
            return -ENOMEM;
        }
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    return (int)n;
}

/* ---- database -------------------------------------------------------- */

struct out_db {
    sqlite3 *db;
    sqlite3_stmt *ins_label, *ins_proc, *ins_meta, *ins_phrase, *ins_res;
};

static int db_exec_file(sqlite3 *db, const char *path, struct mc_err *err)
{
    struct mc_buf b;
    char chunk[4096];
    size_t n;
    FILE *f = fopen(path, "r");
    char *msg = NULL;
    int rc = -EIO;

    mc_buf_init(&b, 1 << 20);
    if (!f) {
        mc_err_set(err, "%s: cannot open: %s", path, strerror(errno));
        return -EINVAL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (mc_buf_append(&b, chunk, n)) {
            mc_err_set(err, "%s: too large", path);
            goto out;
        }
    if (sqlite3_exec(db, b.data ? b.data : "", NULL, NULL, &msg) != SQLITE_OK) {
        mc_err_set(err, "%s: %s", path, msg ? msg : "SQL error");
        rc = -EINVAL;
        goto out;
    }
    rc = 0;
out:
    sqlite3_free(msg);
    fclose(f);
    mc_buf_fini(&b);
    return rc;
}

static int bind_text_step(sqlite3_stmt *st, int n, ...)
{
    va_list ap;
    int i, rc;

    sqlite3_reset(st);
    rc = SQLITE_OK;
    va_start(ap, n);
    for (i = 1; i <= n; i++) {
        const char *s = va_arg(ap, const char *);

        rc |= sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT); /* SQLITE_OK is 0 */
    }
    va_end(ap);
    if (rc != SQLITE_OK)
        return -EIO;
    rc = sqlite3_step(st);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

static void out_db_close(struct out_db *o)
{
    sqlite3_finalize(o->ins_label);
    sqlite3_finalize(o->ins_proc);
    sqlite3_finalize(o->ins_meta);
    sqlite3_finalize(o->ins_phrase);
    sqlite3_finalize(o->ins_res);
    sqlite3_close(o->db);
    memset(o, 0, sizeof(*o));
}

static int out_db_open(struct out_db *o, const char *path, const char *schema, struct mc_err *err)
{
    memset(o, 0, sizeof(*o));
    remove(path);
    if (sqlite3_open_v2(path, &o->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        goto fail_sqlite;
    if (sqlite3_exec(o->db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN", NULL, NULL,
                     NULL) != SQLITE_OK)
        goto fail_sqlite;
    if (db_exec_file(o->db, schema, err))
        goto fail;
    if (sqlite3_prepare_v2(o->db, "INSERT INTO label VALUES (?1, ?2, ?3, ?4)", -1, &o->ins_label,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(o->db, "INSERT INTO procedure VALUES (?1, ?2, ?3, ?4, ?5)", -1,
                           &o->ins_proc, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(o->db, "INSERT INTO meta_answer VALUES (?1, ?2, ?3)", -1, &o->ins_meta,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(o->db, "INSERT INTO phrase VALUES (?1, ?2, ?3)", -1, &o->ins_phrase,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(o->db, "INSERT OR REPLACE INTO resource VALUES (?1, ?2)", -1,
                           &o->ins_res, NULL) != SQLITE_OK)
        goto fail_sqlite;
    return 0;

fail_sqlite:
    mc_err_set(err, "%s: %s", path, o->db ? sqlite3_errmsg(o->db) : "out of memory");
fail:
    out_db_close(o);
    return -EIO;
}

static int read_whole(const char *path, struct mc_buf *b)
{
    char chunk[8192];
    size_t n;
    FILE *f = fopen(path, "r");
    int rc = 0;

    if (!f)
        return -errno;
    while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = mc_buf_append(b, chunk, n);
    fclose(f);
    return rc;
}

static int add_phrases(struct out_db *o, json_t *arr, const char *label, const char *source)
{
    json_t *x;
    size_t i;

    json_array_foreach(arr, i, x)
    {
        if (bind_text_step(o->ins_phrase, 3, label, json_string_value(x), source))
            return -EIO;
    }
    return 0;
}

/* Appends guide text (accented Vietnamese) to the understanding corpus. */
static void corpus_add_json(struct mc_buf *c, json_t *j)
{
    const char *k;
    json_t *x;
    size_t i;

    if (json_is_string(j)) {
        /* a corpus cut short at its cap only loses restoration hints */
        if (mc_buf_puts(c, json_string_value(j)) == 0 && mc_buf_puts(c, "\n") != 0)
            return;
    } else if (json_is_object(j)) {
        json_object_foreach(j, k, x)
        {
            if (strcmp(k, "legal_basis") && strcmp(k, "portal_codes") && strcmp(k, "links") &&
                strcmp(k, "id") && strcmp(k, "kind") && strcmp(k, "level") && strcmp(k, "domain") &&
                strcmp(k, "reviewed") && strcmp(k, "sources_note") && strcmp(k, "note"))
                corpus_add_json(c, x);
        }
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, x) corpus_add_json(c, x);
    }
}

/* What a source-file importer needs besides the file itself. */
struct import_ctx {
    struct vctx *v;
    struct out_db *o;
    struct label_row *labels;
    size_t nlabels;
    struct mc_buf *corpus;
};

/* Calls fn for every dir/sub/<id>.json that parses (a file that does not is
 * reported). Returns the first non-zero fn result (a runtime failure). */
static int for_each_json(struct import_ctx *cx, const char *dir, const char *sub,
                         int (*fn)(struct import_ctx *, json_t *, const char *path, const char *id))
{
    char folder[PATH_MAX_LEN], path[PATH_MAX_LEN * 2], id[128];
    char *names[FILES_MAX];
    json_error_t jerr;
    int n, i, rc = 0;

    snprintf(folder, sizeof(folder), "%s/%s", dir, sub);
    n = kbi_list_files(folder, ".json", names, FILES_MAX);
    if (n < 0) {
        fprintf(cx->v->errs, "%s: cannot list: %s\n", folder, strerror(-n));
        cx->v->nerr++;
        return 0;
    }
    for (i = 0; i < n && !rc; i++) {
        json_t *root;

        snprintf(path, sizeof(path), "%s/%s", folder, names[i]);
        snprintf(id, sizeof(id), "%.*s", (int)(strlen(names[i]) - 5), names[i]);
        cx->v->file = path;
        root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
            kbi_err(cx->v, "", "line %d: %s", jerr.line, jerr.text);
            continue;
        }
        rc = fn(cx, root, path, id);
        json_decref(root);
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    return rc;
}

static int import_procedure(struct import_ctx *cx, json_t *root, const char *path, const char *id)
{
    json_t *api = kbi_check_procedure(cx->v, root, id, cx->labels, cx->nlabels);
    char *body;
    int rc = 0;

    if (!api)
        return 0; /* problems reported; the import will fail at the end */
    body = json_dumps(api, JSON_COMPACT);
    if (!body ||
        bind_text_step(cx->o->ins_proc, 5, id, kbi_str_or(root, "name", ""),
                       kbi_str_or(root, "short_name", ""), kbi_str_or(root, "domain", ""), body) ||
        add_phrases(cx->o, json_object_get(root, "phrases"), id, path))
        rc = -EIO;
    free(body);
    corpus_add_json(cx->corpus, api);
    json_decref(api);
    return rc;
}

static int import_meta(struct import_ctx *cx, json_t *root, const char *path, const char *id)
{
    struct vctx *v = cx->v;
    struct label_row *lab = kbi_find_label(cx->labels, cx->nlabels, id);
    const char *ans, *gen;
    int before = v->nerr;

    if (!lab || strcmp(lab->kind, "meta") != 0)
        kbi_err(v, "id", "\"%s\" is not a meta id of data/catalogue.tsv", id);
    else
        lab->seen = true;
    if (strcmp(kbi_str_or(root, "id", ""), id) != 0)
        kbi_err(v, "id", "must be \"%s\" (the file name)", id);
    ans = kbi_req_str(v, root, "answer", "", TEXT_FIELD_MAX);
    gen = kbi_req_str(v, root, "answer_generic", "", TEXT_FIELD_MAX);
    if (gen && strchr(gen, '{') && !strstr(gen, "{commune}") && !strstr(gen, "{province}"))
        kbi_err(v, "answer_generic", "may use only {commune} and {province}");
    if (!kbi_is_date(kbi_str_or(root, "reviewed", "")))
        kbi_err(v, "reviewed", "must be a date YYYY-MM-DD");
    kbi_req_str_array(v, root, "phrases", PHRASES_MIN, 400, PHRASE_MAX);
    kbi_check_nfc_tree(v, root, "");
    if (v->nerr == before && (bind_text_step(cx->o->ins_meta, 3, id, ans, gen) ||
                              add_phrases(cx->o, json_object_get(root, "phrases"), id, path)))
        return -EIO;
    return 0;
}

/* Plain phrase lists: one message per line (label given) or label<TAB>text. */
static int import_phrase_file(struct vctx *v, struct out_db *o, const char *path, const char *label,
                              struct label_row *labels, size_t nlabels)
{
    char line[TSV_LINE_MAX];
    FILE *f = fopen(path, "r");
    size_t lineno = 0;
    char field[32];
    int rc = 0;

    if (!f)
        return errno == ENOENT ? 0 : -EIO;
    v->file = path;
    while (fgets(line, sizeof(line), f)) {
        char *text = line, *tab;
        const char *lab = label;

        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        snprintf(field, sizeof(field), "%zu", lineno);
        if (!label) {
            tab = strchr(line, '\t');
            if (!tab) {
                kbi_err(v, field, "expected label<TAB>phrase");
                continue;
            }
            *tab = '\0';
            text = tab + 1;
            lab = line;
            if (strcmp(lab, "none") != 0 && !kbi_find_label(labels, nlabels, lab)) {
                kbi_err(v, field, "\"%s\" is not a catalogue id or none", lab);
                continue;
            }
        }
        if (strlen(text) > PHRASE_MAX || !kbi_is_nfc(text)) {
            kbi_err(v, field, "phrase too long or not NFC");
            continue;
        }
        if (bind_text_step(o->ins_phrase, 3, lab, text, path)) {
            rc = -EIO;
            break;
        }
    }
    fclose(f);
    return rc;
}

/* Every .tsv file of data/intents (label<TAB>phrase), in name order. */
static int import_phrase_dir(struct vctx *v, struct out_db *o, const char *dir,
                             struct label_row *labels, size_t nlabels)
{
    char sub[PATH_MAX_LEN], path[PATH_MAX_LEN * 2];
    char *names[FILES_MAX];
    int n, i, rc = 0;

    snprintf(sub, sizeof(sub), "%s/intents", dir);
    n = kbi_list_files(sub, ".tsv", names, FILES_MAX);
    if (n < 0)
        return -EIO;
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", sub, names[i]);
        if (!rc)
            rc = import_phrase_file(v, o, path, NULL, labels, nlabels);
        free(names[i]);
    }
    return rc;
}

static int import_resources(struct vctx *v, struct out_db *o, const char *dir,
                            struct mc_buf *corpus)
{
    char sub[PATH_MAX_LEN], path[PATH_MAX_LEN * 2], name[PATH_MAX_LEN];
    char *names[FILES_MAX];
    struct mc_buf b;
    int n, i, rc = 0;

    snprintf(sub, sizeof(sub), "%s/lexicon", dir);
    n = kbi_list_files(sub, ".tsv", names, FILES_MAX);
    if (n < 0)
        return -EIO;
    for (i = 0; i < n && !rc; i++) {
        mc_buf_init(&b, 8 << 20);
        snprintf(path, sizeof(path), "%s/%s", sub, names[i]);
        snprintf(name, sizeof(name), "lexicon/%s", names[i]);
        if (read_whole(path, &b)) {
            v->file = path;
            kbi_err(v, "", "cannot read");
        } else if (bind_text_step(o->ins_res, 2, name, b.data ? b.data : "")) {
            rc = -EIO;
        }
        mc_buf_fini(&b);
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    if (!rc && bind_text_step(o->ins_res, 2, "corpus", corpus->data ? corpus->data : ""))
        rc = -EIO;
    return rc;
}

int kb_import(const char *data_dir, const char *out_path, FILE *errs, struct mc_err *err)
{
    struct label_row labels[CATALOGUE_MAX];
    struct vctx v = {errs, 0, ""};
    struct out_db o = {0};
    struct import_ctx cx;
    struct mc_buf corpus;
    char tmp[PATH_MAX_LEN], path[PATH_MAX_LEN * 2], ver[64];
    size_t nlabels = 0, i;
    int rc = -EIO;

    mc_buf_init(&corpus, 16 << 20);
    if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", out_path, (long)getpid()) >= (int)sizeof(tmp)) {
        mc_err_set(err, "%s: path too long", out_path);
        return -EINVAL;
    }
    if (read_catalogue(data_dir, labels, &nlabels, errs)) {
        mc_err_set(err, "%s/catalogue.tsv: invalid", data_dir);
        rc = -EINVAL;
        goto out;
    }
    snprintf(path, sizeof(path), "%s/schema.sql", data_dir);
    if (out_db_open(&o, tmp, path, err))
        goto out;
    for (i = 0; i < nlabels; i++)
        if (bind_text_step(o.ins_label, 4, labels[i].id, labels[i].kind, labels[i].domain,
                           labels[i].name))
            goto fail_sqlite;
    cx.v = &v;
    cx.o = &o;
    cx.labels = labels;
    cx.nlabels = nlabels;
    cx.corpus = &corpus;
    if (for_each_json(&cx, data_dir, "procedures", import_procedure) ||
        for_each_json(&cx, data_dir, "meta", import_meta))
        goto fail_sqlite;
    snprintf(path, sizeof(path), "%s/meta/none.txt", data_dir);
    if (import_phrase_file(&v, &o, path, "none", labels, nlabels))
        goto fail_sqlite;
    if (import_phrase_dir(&v, &o, data_dir, labels, nlabels))
        goto fail_sqlite;
    if (import_resources(&v, &o, data_dir, &corpus))
        goto fail_sqlite;
    if (kb_units_import(o.db, data_dir, errs, &v.nerr) ||
        kb_units_import_offices(o.db, data_dir, errs, &v.nerr) ||
        kb_family_import(o.db, data_dir, errs, &v.nerr) ||
        kb_portal_import(o.db, data_dir, errs, &v.nerr) ||
        kb_referrals_import(o.db, data_dir, errs, &v.nerr))
        goto fail_sqlite;
    v.file = "data/catalogue.tsv";
    for (i = 0; i < nlabels; i++)
        if (!labels[i].seen)
            kbi_err(&v, labels[i].id, "no source file (data/%s/%s.json)",
                    strcmp(labels[i].kind, "meta") == 0 ? "meta" : "procedures", labels[i].id);
    if (v.nerr) {
        if (v.nerr > KB_IMPORT_MAX_ERRORS)
            fprintf(errs, "... %d more problems not shown\n", v.nerr - KB_IMPORT_MAX_ERRORS);
        mc_err_set(err, "%s: %d problem%s; nothing was written", data_dir, v.nerr,
                   v.nerr == 1 ? "" : "s");
        rc = -EINVAL;
        goto out;
    }
    if (kb_check_understanding(o.db, err)) {
        rc = -EINVAL;
        goto out;
    }
    snprintf(ver, sizeof(ver), "PRAGMA user_version=%d", KB_SCHEMA_VERSION);
    if (sqlite3_exec(o.db, ver, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(o.db, "INSERT INTO build_info VALUES ('built', datetime('now')); COMMIT", NULL,
                     NULL, NULL) != SQLITE_OK)
        goto fail_sqlite;
    out_db_close(&o);
    if (rename(tmp, out_path) != 0) {
        mc_err_set(err, "%s: cannot replace: %s", out_path, strerror(errno));
        goto out;
    }
    rc = 0;
    goto out;

fail_sqlite:
    if (!err->text[0])
        mc_err_set(err, "%s: %s", tmp, o.db ? sqlite3_errmsg(o.db) : "write failed");
    if (v.nerr)
        rc = -EINVAL;
out:
    out_db_close(&o);
    if (rc)
        remove(tmp);
    mc_buf_fini(&corpus);
    return rc;
}
