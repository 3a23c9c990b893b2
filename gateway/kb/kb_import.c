/* gateway/kb/kb_import.c - see kb_import.h.
 * The validator is deliberately strict: these files are advice citizens act
 * on, so a missing legal basis or a malformed link must stop the build, not
 * reach a citizen. */
#include "kb_import.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unistd.h>

#include "kb.h"
#include "kb_family.h"
#include "kb_portal.h"
#include "kb_referral.h"
#include "kb_units.h"
#include "mc_buf.h"

#define PATH_MAX_LEN 1024   /* bytes; a path under data/ */
#define FILES_MAX 512       /* source files of one kind */
#define TEXT_FIELD_MAX 4000 /* bytes; one field a citizen reads */
#define PHRASE_MAX 300      /* bytes; one training phrase */
#define PHRASES_MIN 20      /* issue 3: at least 20 per catalogue id */
#define STEPS_MIN 3
#define FAQ_MAX 8           /* a guide that groups variants answers a few more questions */
#define PORTAL_CODES_MAX 40 /* a guide groups the portal's variants of one need */
#define CATALOGUE_MAX 256   /* ids in data/catalogue.tsv (= INTENT_MAX_LABELS) */
#define TSV_LINE_MAX 4096   /* bytes */

struct label_row {
    char id[64];
    char kind[16];
    char domain[32];
    char name[256];
    bool seen; /* a source file was found for it */
};

struct vctx {
    FILE *errs;
    int nerr;
    const char *file; /* the file being checked, for every message */
};

static void verr(struct vctx *v, const char *field, const char *fmt, ...) MC_PRINTF(3, 4);

static void verr(struct vctx *v, const char *field, const char *fmt, ...)
{
    va_list ap;

    v->nerr++;
    if (v->nerr > KB_IMPORT_MAX_ERRORS)
        return;
    fprintf(v->errs, "%s:%s: ", v->file, field);
    va_start(ap, fmt);
    vfprintf(v->errs, fmt, ap);
    va_end(ap);
    fputc('\n', v->errs);
}

/* ---- text checks ---------------------------------------------------- */

static bool is_nfc(const char *s)
{
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);
    UChar small[1024], *u = small;
    int32_t n = 0;
    bool ok;

    if (U_FAILURE(st))
        return false;
    u_strFromUTF8(NULL, 0, &n, s, -1, &st);
    if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
        return false;
    st = U_ZERO_ERROR;
    if (n >= (int32_t)(sizeof(small) / sizeof(small[0]))) {
        u = malloc(((size_t)n + 1) * sizeof(*u));
        if (!u)
            return false;
    }
    u_strFromUTF8(u, n + 1, NULL, s, -1, &st);
    ok = U_SUCCESS(st) && unorm2_isNormalized(nfc, u, n, &st) && U_SUCCESS(st);
    if (u != small)
        free(u);
    return ok;
}

/* Walks every string of a JSON value and reports the ones that are not NFC. */
static void check_nfc_tree(struct vctx *v, json_t *j, const char *path)
{
    char sub[256];
    const char *k;
    json_t *x;
    size_t i;

    if (json_is_string(j)) {
        if (!is_nfc(json_string_value(j)))
            verr(v, path, "text is not NFC (re-save as NFC, e.g. `uconv -x any-nfc`)");
    } else if (json_is_object(j)) {
        json_object_foreach(j, k, x)
        {
            snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", k);
            check_nfc_tree(v, x, sub);
        }
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, x)
        {
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            check_nfc_tree(v, x, sub);
        }
    }
}

static bool is_date(const char *s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, i;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    return y >= 2024 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1];
}

/* ---- field accessors that report ------------------------------------ */

static const char *req_str(struct vctx *v, json_t *o, const char *key, const char *path, size_t max)
{
    json_t *x = json_object_get(o, key);
    char f[256];
    const char *s;

    snprintf(f, sizeof(f), "%s%s%s", path, path[0] ? "." : "", key);
    if (!x) {
        verr(v, f, "missing");
        return NULL;
    }
    if (!json_is_string(x)) {
        verr(v, f, "must be a string");
        return NULL;
    }
    s = json_string_value(x);
    if (s[0] == '\0' || strspn(s, " \t\n") == strlen(s)) {
        verr(v, f, "must not be empty");
        return NULL;
    }
    if (strlen(s) > max)
        verr(v, f, "longer than %zu bytes", max);
    return s;
}

static json_t *req_array(struct vctx *v, json_t *o, const char *key, size_t min, size_t max)
{
    json_t *x = json_object_get(o, key);

    if (!x) {
        verr(v, key, "missing");
        return NULL;
    }
    if (!json_is_array(x)) {
        verr(v, key, "must be an array");
        return NULL;
    }
    if (json_array_size(x) < min)
        verr(v, key, "needs at least %zu entries, has %zu", min, json_array_size(x));
    if (json_array_size(x) > max)
        verr(v, key, "has %zu entries, at most %zu allowed", json_array_size(x), max);
    return x;
}

/* An array of non-empty strings. */
static json_t *req_str_array(struct vctx *v, json_t *o, const char *key, size_t min, size_t max,
                             size_t len_max)
{
    json_t *a = req_array(v, o, key, min, max), *x;
    char f[128];
    size_t i;

    if (!a)
        return NULL;
    json_array_foreach(a, i, x)
    {
        snprintf(f, sizeof(f), "%s[%zu]", key, i);
        if (!json_is_string(x) || json_string_length(x) == 0)
            verr(v, f, "must be a non-empty string");
        else if (json_string_length(x) > len_max)
            verr(v, f, "longer than %zu bytes", len_max);
    }
    return a;
}

static bool opt_verify(struct vctx *v, json_t *o, const char *path)
{
    json_t *x = json_object_get(o, "verify");
    char f[128];

    if (!x)
        return false;
    if (!json_is_boolean(x)) {
        snprintf(f, sizeof(f), "%s.verify", path);
        verr(v, f, "must be true or false");
        return false;
    }
    return json_is_true(x);
}

/* {"text": ..., "verify": bool, "note": ...} objects. */
static json_t *req_text_obj(struct vctx *v, json_t *o, const char *key, json_t *verify)
{
    json_t *x = json_object_get(o, key);

    if (!x) {
        verr(v, key, "missing");
        return NULL;
    }
    if (!json_is_object(x)) {
        verr(v, key, "must be an object {\"text\": ..., \"verify\": false}");
        return NULL;
    }
    req_str(v, x, "text", key, TEXT_FIELD_MAX);
    if (opt_verify(v, x, key))
        json_array_append_new(verify, json_string(key));
    return x;
}

/* An optional "note" (why a field is marked verify) must be text. */
static void opt_note(struct vctx *v, json_t *o, const char *path)
{
    json_t *x = json_object_get(o, "note");
    char f[128];

    if (x && !json_is_string(x)) {
        snprintf(f, sizeof(f), "%s.note", path);
        verr(v, f, "must be text (why the field is marked verify)");
    }
}

/* A step is a sentence, or {"text", "verify", "note"} when an officer must
 * confirm it (issue 16: verify works on every field a citizen reads).
 * Returns the step's text (borrowed) or NULL after an error. */
static const char *check_step(struct vctx *v, json_t *x, size_t i, json_t *verify)
{
    const char *t;
    char f[64];

    snprintf(f, sizeof(f), "steps[%zu]", i);
    if (json_is_object(x)) {
        t = req_str(v, x, "text", f, 600);
        opt_note(v, x, f);
        if (opt_verify(v, x, f))
            json_array_append_new(verify, json_string(f));
        return t;
    }
    t = json_string_value(x);
    if (!t || !t[0] || strlen(t) > 600) {
        verr(v, f, "must be a sentence (1..600 bytes) or {\"text\", \"verify\", \"note\"}");
        return NULL;
    }
    return t;
}

static const char *str_or(json_t *o, const char *key, const char *def)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : def;
}

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

static struct label_row *find_label(struct label_row *rows, size_t n, const char *id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(rows[i].id, id) == 0)
            return &rows[i];
    return NULL;
}

/* ---- listing --------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the files of dir ending in suffix, sorted; returns count or -errno. names[] are new (free
 * each). */
static int list_files(const char *dir, const char *suffix, char **names, size_t max)
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

/* ---- procedure files ------------------------------------------------- */

static const char *const kinds[] = {"original", "copy", "certified-copy", "present",
                                    "original-or-certified-copy"};
static const char *const levels[] = {"xa", "tinh", "trung-uong", "khac"};
static const char *const online_modes[] = {"full", "partial", "none"};

static bool in_list(const char *s, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; s && i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

#define IN_LIST(s, l) in_list((s), (l), sizeof(l) / sizeof((l)[0]))

static void check_documents(struct vctx *v, json_t *docs, json_t *verify, json_t *api_docs)
{
    json_t *d, *x;
    size_t i, j;
    char p[64], f[96];

    json_array_foreach(docs, i, d)
    {
        json_t *out;
        const char *id, *when;

        snprintf(p, sizeof(p), "documents[%zu]", i);
        if (!json_is_object(d)) {
            verr(v, p, "must be an object");
            continue;
        }
        id = req_str(v, d, "id", p, 64);
        req_str(v, d, "name", p, 300);
        req_str(v, d, "how_to_get", p, TEXT_FIELD_MAX);
        if (!IN_LIST(str_or(d, "kind", NULL), kinds)) {
            snprintf(f, sizeof(f), "%s.kind", p);
            verr(v, f,
                 "must be one of original, copy, certified-copy, present, "
                 "original-or-certified-copy");
        }
        x = json_object_get(d, "count");
        if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > 20) {
            snprintf(f, sizeof(f), "%s.count", p);
            verr(v, f, "must be a whole number 0..20");
        }
        x = json_object_get(d, "form");
        if (x && !json_is_null(x)) {
            snprintf(f, sizeof(f), "%s.form", p);
            if (!json_is_object(x))
                verr(v, f, "must be null or {\"name\", \"code\"}");
            else
                req_str(v, x, "name", f, 300);
        }
        x = json_object_get(d, "when");
        when = json_string_value(x);
        if (x && !json_is_null(x) && !when) {
            snprintf(f, sizeof(f), "%s.when", p);
            verr(v, f, "must be null or a condition in words");
        }
        if (when && when[0]) {
            const char *ask = json_string_value(json_object_get(d, "ask"));

            if (!ask || !ask[0]) {
                snprintf(f, sizeof(f), "%s.ask", p);
                verr(v, f, "a conditional document needs a yes/no question");
            } else if (!strchr(ask, '?')) {
                snprintf(f, sizeof(f), "%s.ask", p);
                verr(v, f, "must be a question ending in '?'");
            }
        }
        for (j = 0; id && j < i; j++) {
            const char *other = json_string_value(json_object_get(json_array_get(docs, j), "id"));

            if (other && strcmp(other, id) == 0) {
                snprintf(f, sizeof(f), "%s.id", p);
                verr(v, f, "\"%s\" is used twice (ids must be unique in a file)", id);
            }
        }
        if (opt_verify(v, d, p))
            json_array_append_new(verify, json_string(p));
        out = json_deep_copy(d);
        if (out) {
            json_object_del(out, "verify");
            json_object_set_new(out, "verify",
                                json_boolean(json_is_true(json_object_get(d, "verify"))));
            json_array_append_new(api_docs, out);
        }
    }
}

/* Validates one procedure file and returns its API body (new), or NULL. */
static json_t *check_procedure(struct vctx *v, json_t *root, const char *expect_id,
                               struct label_row *labels, size_t nlabels)
{
    json_t *api = NULL, *verify, *steps_out, *docs_out, *faq_out = NULL, *a, *x;
    struct label_row *lab;
    const char *id, *s;
    size_t i;
    char f[96];
    int before = v->nerr;

    if (!json_is_object(root)) {
        verr(v, "", "top level must be an object");
        return NULL;
    }
    id = req_str(v, root, "id", "", 64);
    if (id && strcmp(id, expect_id) != 0)
        verr(v, "id", "\"%s\" does not match the file name (%s.json)", id, expect_id);
    lab = id ? find_label(labels, nlabels, id) : NULL;
    if (id && (!lab || strcmp(lab->kind, "procedure") != 0))
        verr(v, "id", "\"%s\" is not a procedure id of data/catalogue.tsv", id);
    if (lab && lab->seen)
        verr(v, "id", "\"%s\" is defined twice", id);
    if (lab)
        lab->seen = true;
    req_str(v, root, "name", "", 300);
    s = req_str(v, root, "short_name", "", 80);
    req_str_array(v, root, "aliases", 3, 40, 120);
    s = req_str(v, root, "domain", "", 32);
    if (s && lab && strcmp(s, lab->domain) != 0)
        verr(v, "domain", "\"%s\" differs from the catalogue's \"%s\"", s, lab->domain);
    req_str(v, root, "agency", "", 300);
    if (!IN_LIST(str_or(root, "level", NULL), levels))
        verr(v, "level", "must be one of xa, tinh, trung-uong, khac");

    verify = json_array();
    docs_out = json_array();
    steps_out = json_array();
    faq_out = json_array();
    if (!verify || !docs_out || !steps_out || !faq_out)
        goto fail;
    req_text_obj(v, root, "where", verify);
    req_text_obj(v, root, "processing_time", verify);
    x = req_text_obj(v, root, "fee", verify);
    (void)x;

    x = json_object_get(root, "online");
    if (!json_is_object(x)) {
        verr(v, "online", "must be an object {\"available\", \"text\", \"links\"}");
    } else {
        if (!IN_LIST(str_or(x, "available", NULL), online_modes))
            verr(v, "online.available", "must be full, partial or none");
        req_str(v, x, "text", "online", TEXT_FIELD_MAX);
        a = json_object_get(x, "links");
        if (a && !json_is_array(a))
            verr(v, "online.links", "must be an array of https URLs");
        json_array_foreach(a, i, x)
        {
            snprintf(f, sizeof(f), "online.links[%zu]", i);
            if (!json_is_string(x) || !kb_portal_is_url(json_string_value(x)))
                verr(v, f, "not a well-formed https URL");
        }
    }

    a = req_array(v, root, "who_may_submit", 1, 20);
    json_array_foreach(a, i, x)
    {
        snprintf(f, sizeof(f), "who_may_submit[%zu]", i);
        if (!json_is_object(x)) {
            verr(v, f, "must be an object {\"who\", \"proof\"}");
            continue;
        }
        req_str(v, x, "who", f, 300);
        req_str(v, x, "proof", f, TEXT_FIELD_MAX);
        if (opt_verify(v, x, f))
            json_array_append_new(verify, json_string(f));
    }

    a = req_array(v, root, "steps", STEPS_MIN, 30);
    json_array_foreach(a, i, x)
    {
        const char *t = check_step(v, x, i, verify);

        json_array_append_new(
            steps_out,
            json_pack("{s:I,s:s,s:b}", "n", (json_int_t)(i + 1), "text", t ? t : "", "verify",
                      json_is_object(x) && json_is_true(json_object_get(x, "verify"))));
    }
    a = req_array(v, root, "documents", 1, 40);
    if (a)
        check_documents(v, a, verify, docs_out);

    req_str(v, root, "result", "", TEXT_FIELD_MAX);
    req_str_array(v, root, "legal_basis", 1, 30, 400);
    a = req_array(v, root, "portal_codes", 0, PORTAL_CODES_MAX);
    json_array_foreach(a, i, x)
    {
        const char *c = json_string_value(x);

        snprintf(f, sizeof(f), "portal_codes[%zu]", i);
        if (!c || strlen(c) < 7 || strlen(c) > 12 || strspn(c, "0123456789.") != strlen(c) ||
            c[1] != '.')
            verr(v, f, "must look like a portal code, e.g. \"1.001193\"");
    }
    if (a && json_array_size(a) == 0)
        req_str(v, root, "sources_note", "", TEXT_FIELD_MAX); /* say where facts came from */
    /* null: no person has checked this guide yet (pages and the API say so) */
    x = json_object_get(root, "reviewed");
    if (!x)
        verr(v, "reviewed", "missing (a date YYYY-MM-DD, or null when no person checked it)");
    else if (!json_is_null(x) && (!json_is_string(x) || !is_date(json_string_value(x))))
        verr(v, "reviewed", "must be a date YYYY-MM-DD or null");
    req_str_array(v, root, "return_reasons", 2, 20, 600);
    a = req_array(v, root, "faq", 3, FAQ_MAX);
    json_array_foreach(a, i, x)
    {
        json_t *fo = json_is_object(x) ? json_deep_copy(x) : NULL;

        if (fo) { /* the API always says whether an answer awaits checking */
            json_object_set_new(fo, "verify",
                                json_boolean(json_is_true(json_object_get(x, "verify"))));
            json_array_append_new(faq_out, fo);
        }
        snprintf(f, sizeof(f), "faq[%zu]", i);
        if (!json_is_object(x)) {
            verr(v, f, "must be an object {\"q\", \"a\"}");
            continue;
        }
        req_str(v, x, "q", f, 400);
        req_str(v, x, "a", f, TEXT_FIELD_MAX);
        opt_note(v, x, f);
        if (opt_verify(v, x, f))
            json_array_append_new(verify, json_string(f));
    }
    req_str_array(v, root, "phrases", PHRASES_MIN, 400, PHRASE_MAX);
    check_nfc_tree(v, root, "");
    if (v->nerr != before)
        goto fail;

    api = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:O,s:s,s:O,s:O,s:s,s:s,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,"
        "s:s,s:O}",
        "id", id, "name", str_or(root, "name", ""), "short_name", str_or(root, "short_name", ""),
        "domain", str_or(root, "domain", ""), "agency", str_or(root, "agency", ""), "level",
        str_or(root, "level", ""), "aliases", json_object_get(root, "aliases"), "where",
        str_or(json_object_get(root, "where"), "text", ""), "online",
        json_object_get(root, "online"), "who_may_submit", json_object_get(root, "who_may_submit"),
        "processing_time", str_or(json_object_get(root, "processing_time"), "text", ""), "fee",
        str_or(json_object_get(root, "fee"), "text", ""), "fee_detail",
        json_object_get(root, "fee"), "processing_time_detail",
        json_object_get(root, "processing_time"), "steps", steps_out, "documents", docs_out,
        "legal_basis", json_object_get(root, "legal_basis"), "portal_codes",
        json_object_get(root, "portal_codes"), "return_reasons",
        json_object_get(root, "return_reasons"), "faq", faq_out, "verify", verify, "where_detail",
        json_object_get(root, "where"), "result", str_or(root, "result", ""), "reviewed",
        json_object_get(root, "reviewed"));
    if (api && json_object_get(root, "sources_note"))
        json_object_set(api, "sources_note", json_object_get(root, "sources_note"));
fail:
    json_decref(verify);
    json_decref(steps_out);
    json_decref(docs_out);
    json_decref(faq_out);
    return api;
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
    n = list_files(folder, ".json", names, FILES_MAX);
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
            verr(cx->v, "", "line %d: %s", jerr.line, jerr.text);
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
    json_t *api = check_procedure(cx->v, root, id, cx->labels, cx->nlabels);
    char *body;
    int rc = 0;

    if (!api)
        return 0; /* problems reported; the import will fail at the end */
    body = json_dumps(api, JSON_COMPACT);
    if (!body ||
        bind_text_step(cx->o->ins_proc, 5, id, str_or(root, "name", ""),
                       str_or(root, "short_name", ""), str_or(root, "domain", ""), body) ||
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
    struct label_row *lab = find_label(cx->labels, cx->nlabels, id);
    const char *ans, *gen;
    int before = v->nerr;

    if (!lab || strcmp(lab->kind, "meta") != 0)
        verr(v, "id", "\"%s\" is not a meta id of data/catalogue.tsv", id);
    else
        lab->seen = true;
    if (strcmp(str_or(root, "id", ""), id) != 0)
        verr(v, "id", "must be \"%s\" (the file name)", id);
    ans = req_str(v, root, "answer", "", TEXT_FIELD_MAX);
    gen = req_str(v, root, "answer_generic", "", TEXT_FIELD_MAX);
    if (gen && strchr(gen, '{') && !strstr(gen, "{commune}") && !strstr(gen, "{province}"))
        verr(v, "answer_generic", "may use only {commune} and {province}");
    if (!is_date(str_or(root, "reviewed", "")))
        verr(v, "reviewed", "must be a date YYYY-MM-DD");
    req_str_array(v, root, "phrases", PHRASES_MIN, 400, PHRASE_MAX);
    check_nfc_tree(v, root, "");
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
                verr(v, field, "expected label<TAB>phrase");
                continue;
            }
            *tab = '\0';
            text = tab + 1;
            lab = line;
            if (strcmp(lab, "none") != 0 && !find_label(labels, nlabels, lab)) {
                verr(v, field, "\"%s\" is not a catalogue id or none", lab);
                continue;
            }
        }
        if (strlen(text) > PHRASE_MAX || !is_nfc(text)) {
            verr(v, field, "phrase too long or not NFC");
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
    n = list_files(sub, ".tsv", names, FILES_MAX);
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
    n = list_files(sub, ".tsv", names, FILES_MAX);
    if (n < 0)
        return -EIO;
    for (i = 0; i < n && !rc; i++) {
        mc_buf_init(&b, 8 << 20);
        snprintf(path, sizeof(path), "%s/%s", sub, names[i]);
        snprintf(name, sizeof(name), "lexicon/%s", names[i]);
        if (read_whole(path, &b)) {
            v->file = path;
            verr(v, "", "cannot read");
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
            verr(&v, labels[i].id, "no source file (data/%s/%s.json)",
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

/* ---- verify report ------------------------------------------------------ */

static void report_field(FILE *out, const char *file, const char *field, json_t *o)
{
    const char *text = json_string_value(json_object_get(o, "text"));
    const char *note = json_string_value(json_object_get(o, "note"));

    if (!text)
        text = json_string_value(json_object_get(o, "name"));
    if (!text)
        text = json_string_value(json_object_get(o, "who"));
    if (!text)
        text = json_string_value(json_object_get(o, "a"));
    fprintf(out, "| %s | `%s` | %s | %s |\n", file, field, text ? text : "", note ? note : "");
}

int kb_verify_report(const char *data_dir, FILE *out, struct mc_err *err)
{
    char sub[PATH_MAX_LEN], path[PATH_MAX_LEN * 2];
    char *names[FILES_MAX];
    const size_t ucap = FILES_MAX * 72;
    char *unreviewed = calloc(1, ucap); /* file names of guides no person checked */
    json_error_t jerr;
    int n, i, total = 0, n_unreviewed = 0;

    if (!unreviewed) {
        mc_err_set(err, "out of memory");
        return -ENOMEM;
    }
    snprintf(sub, sizeof(sub), "%s/procedures", data_dir);
    n = list_files(sub, ".json", names, FILES_MAX);
    if (n < 0) {
        mc_err_set(err, "%s: cannot list: %s", sub, strerror(-n));
        free(unreviewed);
        return -EINVAL;
    }
    fprintf(out, "# Fields waiting for an official's check\n\n"
                 "Generated by `make verify-report` (`motcua verify-report data`) from the guide "
                 "files. Each row is a field marked `\"verify\": true`: confirm it against the "
                 "legal text or the office, correct the file, and remove the mark.\n\n"
                 "| file | field | current text | why it is marked |\n|---|---|---|---|\n");
    for (i = 0; i < n; i++) {
        static const char *const objs[] = {"where", "processing_time", "fee"};
        static const char *const arrays[] = {"documents", "who_may_submit", "steps", "faq"};
        json_t *root, *a, *x;
        size_t k, j;
        char field[64];

        snprintf(path, sizeof(path), "%s/%s", sub, names[i]);
        root = json_load_file(path, 0, &jerr);
        if (!root) {
            mc_err_set(err, "%s:%d: %s", path, jerr.line, jerr.text);
            while (i < n)
                free(names[i++]);
            free(unreviewed);
            return -EINVAL;
        }
        for (k = 0; k < 3; k++) {
            x = json_object_get(root, objs[k]);
            if (json_is_true(json_object_get(x, "verify"))) {
                report_field(out, names[i], objs[k], x);
                total++;
            }
        }
        for (k = 0; k < 4; k++) {
            a = json_object_get(root, arrays[k]);
            json_array_foreach(a, j, x)
            {
                if (!json_is_true(json_object_get(x, "verify")))
                    continue;
                snprintf(field, sizeof(field), "%s[%zu]", arrays[k], j);
                report_field(out, names[i], field, x);
                total++;
            }
        }
        if (json_is_null(json_object_get(root, "reviewed"))) {
            snprintf(unreviewed + strlen(unreviewed), ucap - strlen(unreviewed), "%s`%s`",
                     n_unreviewed ? ", " : "", names[i]);
            n_unreviewed++;
        }
        json_decref(root);
        free(names[i]);
    }
    fprintf(out, "\n%d field%s to verify.\n", total, total == 1 ? "" : "s");
    fprintf(out,
            "\n## Guides no person has checked yet (`\"reviewed\": null`)\n\n%d of %d "
            "guide%s%s%s\n",
            n_unreviewed, n, n == 1 ? "" : "s", n_unreviewed ? ": " : ".", unreviewed);
    free(unreviewed);
    return kb_portal_coverage(data_dir, out, err);
}
