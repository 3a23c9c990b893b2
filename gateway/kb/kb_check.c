/* gateway/kb/kb_check.c - validation of the source files citizens read
 * (kb_import_int.h). Deliberately strict: these files are advice citizens act
 * on, so a missing legal basis or a malformed link must stop the build, not
 * reach a citizen. */
#include "kb_import_int.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "kb_import.h"
#include "kb_portal.h"

void kbi_err(struct vctx *v, const char *field, const char *fmt, ...)
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

bool kbi_is_nfc(const char *s)
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
void kbi_check_nfc_tree(struct vctx *v, json_t *j, const char *path)
{
    char sub[256];
    const char *k;
    json_t *x;
    size_t i;

    if (json_is_string(j)) {
        if (!kbi_is_nfc(json_string_value(j)))
            kbi_err(v, path, "text is not NFC (re-save as NFC, e.g. `uconv -x any-nfc`)");
    } else if (json_is_object(j)) {
        json_object_foreach(j, k, x)
        {
            snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", k);
            kbi_check_nfc_tree(v, x, sub);
        }
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, x)
        {
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            kbi_check_nfc_tree(v, x, sub);
        }
    }
}

bool kbi_is_date(const char *s)
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

const char *kbi_req_str(struct vctx *v, json_t *o, const char *key, const char *path, size_t max)
{
    json_t *x = json_object_get(o, key);
    char f[256];
    const char *s;

    snprintf(f, sizeof(f), "%s%s%s", path, path[0] ? "." : "", key);
    if (!x) {
        kbi_err(v, f, "missing");
        return NULL;
    }
    if (!json_is_string(x)) {
        kbi_err(v, f, "must be a string");
        return NULL;
    }
    s = json_string_value(x);
    if (s[0] == '\0' || strspn(s, " \t\n") == strlen(s)) {
        kbi_err(v, f, "must not be empty");
        return NULL;
    }
    if (strlen(s) > max)
        kbi_err(v, f, "longer than %zu bytes", max);
    return s;
}

static json_t *req_array(struct vctx *v, json_t *o, const char *key, size_t min, size_t max)
{
    json_t *x = json_object_get(o, key);

    if (!x) {
        kbi_err(v, key, "missing");
        return NULL;
    }
    if (!json_is_array(x)) {
        kbi_err(v, key, "must be an array");
        return NULL;
    }
    if (json_array_size(x) < min)
        kbi_err(v, key, "needs at least %zu entries, has %zu", min, json_array_size(x));
    if (json_array_size(x) > max)
        kbi_err(v, key, "has %zu entries, at most %zu allowed", json_array_size(x), max);
    return x;
}

/* An array of non-empty strings. */
json_t *kbi_req_str_array(struct vctx *v, json_t *o, const char *key, size_t min, size_t max,
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
            kbi_err(v, f, "must be a non-empty string");
        else if (json_string_length(x) > len_max)
            kbi_err(v, f, "longer than %zu bytes", len_max);
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
        kbi_err(v, f, "must be true or false");
        return false;
    }
    return json_is_true(x);
}

/* {"text": ..., "verify": bool, "note": ...} objects. */
static json_t *req_text_obj(struct vctx *v, json_t *o, const char *key, json_t *verify)
{
    json_t *x = json_object_get(o, key);

    if (!x) {
        kbi_err(v, key, "missing");
        return NULL;
    }
    if (!json_is_object(x)) {
        kbi_err(v, key, "must be an object {\"text\": ..., \"verify\": false}");
        return NULL;
    }
    kbi_req_str(v, x, "text", key, TEXT_FIELD_MAX);
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
        kbi_err(v, f, "must be text (why the field is marked verify)");
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
        t = kbi_req_str(v, x, "text", f, 600);
        opt_note(v, x, f);
        if (opt_verify(v, x, f))
            json_array_append_new(verify, json_string(f));
        return t;
    }
    t = json_string_value(x);
    if (!t || !t[0] || strlen(t) > 600) {
        kbi_err(v, f, "must be a sentence (1..600 bytes) or {\"text\", \"verify\", \"note\"}");
        return NULL;
    }
    return t;
}

const char *kbi_str_or(json_t *o, const char *key, const char *def)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : def;
}

struct label_row *kbi_find_label(struct label_row *rows, size_t n, const char *id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(rows[i].id, id) == 0)
            return &rows[i];
    return NULL;
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
            kbi_err(v, p, "must be an object");
            continue;
        }
        id = kbi_req_str(v, d, "id", p, 64);
        kbi_req_str(v, d, "name", p, 300);
        kbi_req_str(v, d, "how_to_get", p, TEXT_FIELD_MAX);
        if (!IN_LIST(kbi_str_or(d, "kind", NULL), kinds)) {
            snprintf(f, sizeof(f), "%s.kind", p);
            kbi_err(v, f,
                    "must be one of original, copy, certified-copy, present, "
                    "original-or-certified-copy");
        }
        x = json_object_get(d, "count");
        if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > 20) {
            snprintf(f, sizeof(f), "%s.count", p);
            kbi_err(v, f, "must be a whole number 0..20");
        }
        x = json_object_get(d, "form");
        if (x && !json_is_null(x)) {
            snprintf(f, sizeof(f), "%s.form", p);
            if (!json_is_object(x))
                kbi_err(v, f, "must be null or {\"name\", \"code\"}");
            else
                kbi_req_str(v, x, "name", f, 300);
        }
        x = json_object_get(d, "when");
        when = json_string_value(x);
        if (x && !json_is_null(x) && !when) {
            snprintf(f, sizeof(f), "%s.when", p);
            kbi_err(v, f, "must be null or a condition in words");
        }
        if (when && when[0]) {
            const char *ask = json_string_value(json_object_get(d, "ask"));

            if (!ask || !ask[0]) {
                snprintf(f, sizeof(f), "%s.ask", p);
                kbi_err(v, f, "a conditional document needs a yes/no question");
            } else if (!strchr(ask, '?')) {
                snprintf(f, sizeof(f), "%s.ask", p);
                kbi_err(v, f, "must be a question ending in '?'");
            }
        }
        for (j = 0; id && j < i; j++) {
            const char *other = json_string_value(json_object_get(json_array_get(docs, j), "id"));

            if (other && strcmp(other, id) == 0) {
                snprintf(f, sizeof(f), "%s.id", p);
                kbi_err(v, f, "\"%s\" is used twice (ids must be unique in a file)", id);
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
json_t *kbi_check_procedure(struct vctx *v, json_t *root, const char *expect_id,
                            struct label_row *labels, size_t nlabels)
{
    json_t *api = NULL, *verify, *steps_out, *docs_out, *faq_out = NULL, *a, *x;
    struct label_row *lab;
    const char *id, *s;
    size_t i;
    char f[96];
    int before = v->nerr;

    if (!json_is_object(root)) {
        kbi_err(v, "", "top level must be an object");
        return NULL;
    }
    id = kbi_req_str(v, root, "id", "", 64);
    if (id && strcmp(id, expect_id) != 0)
        kbi_err(v, "id", "\"%s\" does not match the file name (%s.json)", id, expect_id);
    lab = id ? kbi_find_label(labels, nlabels, id) : NULL;
    if (id && (!lab || strcmp(lab->kind, "procedure") != 0))
        kbi_err(v, "id", "\"%s\" is not a procedure id of data/catalogue.tsv", id);
    if (lab && lab->seen)
        kbi_err(v, "id", "\"%s\" is defined twice", id);
    if (lab)
        lab->seen = true;
    kbi_req_str(v, root, "name", "", 300);
    s = kbi_req_str(v, root, "short_name", "", 80);
    kbi_req_str_array(v, root, "aliases", 3, 40, 120);
    s = kbi_req_str(v, root, "domain", "", 32);
    if (s && lab && strcmp(s, lab->domain) != 0)
        kbi_err(v, "domain", "\"%s\" differs from the catalogue's \"%s\"", s, lab->domain);
    kbi_req_str(v, root, "agency", "", 300);
    if (!IN_LIST(kbi_str_or(root, "level", NULL), levels))
        kbi_err(v, "level", "must be one of xa, tinh, trung-uong, khac");

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
        kbi_err(v, "online", "must be an object {\"available\", \"text\", \"links\"}");
    } else {
        if (!IN_LIST(kbi_str_or(x, "available", NULL), online_modes))
            kbi_err(v, "online.available", "must be full, partial or none");
        kbi_req_str(v, x, "text", "online", TEXT_FIELD_MAX);
        a = json_object_get(x, "links");
        if (a && !json_is_array(a))
            kbi_err(v, "online.links", "must be an array of https URLs");
        json_array_foreach(a, i, x)
        {
            snprintf(f, sizeof(f), "online.links[%zu]", i);
            if (!json_is_string(x) || !kb_portal_is_url(json_string_value(x)))
                kbi_err(v, f, "not a well-formed https URL");
        }
    }

    a = req_array(v, root, "who_may_submit", 1, 20);
    json_array_foreach(a, i, x)
    {
        snprintf(f, sizeof(f), "who_may_submit[%zu]", i);
        if (!json_is_object(x)) {
            kbi_err(v, f, "must be an object {\"who\", \"proof\"}");
            continue;
        }
        kbi_req_str(v, x, "who", f, 300);
        kbi_req_str(v, x, "proof", f, TEXT_FIELD_MAX);
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

    kbi_req_str(v, root, "result", "", TEXT_FIELD_MAX);
    kbi_req_str_array(v, root, "legal_basis", 1, 30, 400);
    a = req_array(v, root, "portal_codes", 0, PORTAL_CODES_MAX);
    json_array_foreach(a, i, x)
    {
        const char *c = json_string_value(x);

        snprintf(f, sizeof(f), "portal_codes[%zu]", i);
        if (!c || strlen(c) < 7 || strlen(c) > 12 || strspn(c, "0123456789.") != strlen(c) ||
            c[1] != '.')
            kbi_err(v, f, "must look like a portal code, e.g. \"1.001193\"");
    }
    if (a && json_array_size(a) == 0)
        kbi_req_str(v, root, "sources_note", "", TEXT_FIELD_MAX); /* say where facts came from */
    /* null: no person has checked this guide yet (pages and the API say so) */
    x = json_object_get(root, "reviewed");
    if (!x)
        kbi_err(v, "reviewed", "missing (a date YYYY-MM-DD, or null when no person checked it)");
    else if (!json_is_null(x) && (!json_is_string(x) || !kbi_is_date(json_string_value(x))))
        kbi_err(v, "reviewed", "must be a date YYYY-MM-DD or null");
    kbi_req_str_array(v, root, "return_reasons", 2, 20, 600);
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
            kbi_err(v, f, "must be an object {\"q\", \"a\"}");
            continue;
        }
        kbi_req_str(v, x, "q", f, 400);
        kbi_req_str(v, x, "a", f, TEXT_FIELD_MAX);
        opt_note(v, x, f);
        if (opt_verify(v, x, f))
            json_array_append_new(verify, json_string(f));
    }
    kbi_req_str_array(v, root, "phrases", PHRASES_MIN, 400, PHRASE_MAX);
    kbi_check_nfc_tree(v, root, "");
    if (v->nerr != before)
        goto fail;

    api = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:O,s:s,s:O,s:O,s:s,s:s,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,"
        "s:s,s:O}",
        "id", id, "name", kbi_str_or(root, "name", ""), "short_name",
        kbi_str_or(root, "short_name", ""), "domain", kbi_str_or(root, "domain", ""), "agency",
        kbi_str_or(root, "agency", ""), "level", kbi_str_or(root, "level", ""), "aliases",
        json_object_get(root, "aliases"), "where",
        kbi_str_or(json_object_get(root, "where"), "text", ""), "online",
        json_object_get(root, "online"), "who_may_submit", json_object_get(root, "who_may_submit"),
        "processing_time", kbi_str_or(json_object_get(root, "processing_time"), "text", ""), "fee",
        kbi_str_or(json_object_get(root, "fee"), "text", ""), "fee_detail",
        json_object_get(root, "fee"), "processing_time_detail",
        json_object_get(root, "processing_time"), "steps", steps_out, "documents", docs_out,
        "legal_basis", json_object_get(root, "legal_basis"), "portal_codes",
        json_object_get(root, "portal_codes"), "return_reasons",
        json_object_get(root, "return_reasons"), "faq", faq_out, "verify", verify, "where_detail",
        json_object_get(root, "where"), "result", kbi_str_or(root, "result", ""), "reviewed",
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
