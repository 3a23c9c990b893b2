/* gateway/officer/officer_assist.c - see officer_assist.h. The wording of the
 * shared texts is the citizens' (conv_guide.c) and the desk check is the
 * citizens' pre-check (conv_check.c) with every answer given at once, so
 * there is one source of truth for what a dossier needs (style.md rule 16). */
#include "officer_assist.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv_check.h"
#include "conv_guide.h"
#include "fold_words.h"
#include "intent.h"
#include "kb.h"
#include "kb_gtext.h"
#include "mc_utf8.h"

#define ASSIST_FOLD_MAX (2 * OFFICER_ASSIST_QUERY_MAX + 16) /* bytes; "," marks add spaces */
#define ASSIST_PATH_MAX 32                                  /* bytes of "documents[NN]" */
#define ASSIST_URL_MAX 160                                  /* bytes of "/thu-tuc/<id>" */
#define ASSIST_SCORE_NAME 0.9   /* the query is words of the name, short name or id */
#define ASSIST_SCORE_ALIAS 0.85 /* ... of an alias */
#define ASSIST_SCORE_WORDS 0.6  /* every word of the query is a word of some name */

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* A field the API writes as a string or as {"text": ...}. */
static const char *text_of(const json_t *g, const char *k)
{
    const json_t *v = json_object_get(g, k);

    return json_is_object(v) ? str(v, "text") : json_string_value(v);
}

static bool is_conditional(const json_t *doc)
{
    const char *when = str(doc, "when"), *ask = str(doc, "ask");

    return (when && when[0]) || (ask && ask[0]);
}

/* True when the guide's verify[] lists path ("fee", "documents[2]"). */
static bool is_unverified(const json_t *g, const char *path)
{
    const json_t *v;
    size_t i;

    json_array_foreach(json_object_get(g, "verify"), i,
                       v) if (json_is_string(v) &&
                              strcmp(json_string_value(v), path) == 0) return true;
    return false;
}

/* Why a document is on the checklist: its condition, or that every dossier
 * needs it. New string or NULL. */
static json_t *why_of(const json_t *doc)
{
    const char *when = str(doc, "when"), *ask = str(doc, "ask");
    char buf[512];

    if (when && when[0]) {
        if (snprintf(buf, sizeof(buf), "Chỉ cần %s.", when) < (int)sizeof(buf))
            return json_string(buf);
        return json_string(when); /* a very long condition: as written */
    }
    if (ask && ask[0])
        return json_string(ask);
    return json_string("Bắt buộc với mọi hồ sơ.");
}

static json_t *checklist_item(const json_t *doc)
{
    json_int_t count = json_integer_value(json_object_get(doc, "count"));

    return json_pack("{s:s,s:s?,s:o*,s:s,s:I,s:b}", "key", str(doc, "id"), "text", str(doc, "name"),
                     "why", why_of(doc), "kind", conv_guide_kind_name(str(doc, "kind")), "count",
                     count, "required", !is_conditional(doc));
}

static int view_documents(const json_t *g, json_t *view)
{
    json_t *docs = json_object_get(view, "documents"), *forms = json_object_get(view, "forms");
    json_t *checklist = json_object_get(view, "checklist");
    const json_t *doc;
    char path[ASSIST_PATH_MAX];
    size_t i;

    json_array_foreach(json_object_get(g, "documents"), i, doc)
    {
        const json_t *form = json_object_get(doc, "form");
        const char *when = str(doc, "when"), *code = str(form, "code");
        json_t *d;
        bool unverified;

        if (!str(doc, "id"))
            continue; /* the importer requires ids */
        snprintf(path, sizeof(path), "documents[%zu]", i);
        unverified = json_is_true(json_object_get(doc, "verify")) || is_unverified(g, path);
        d = json_pack("{s:s,s:s?,s:s,s:I,s:s?,s:s?}", "key", str(doc, "id"), "name",
                      str(doc, "name"), "kind", conv_guide_kind_name(str(doc, "kind")), "count",
                      json_integer_value(json_object_get(doc, "count")), "form",
                      code ? code : str(form, "name"), "how_to_get", str(doc, "how_to_get"));
        if (!d || json_array_append_new(docs, d))
            return -ENOMEM;
        if (when && when[0] && json_object_set_new(d, "condition", json_string(when)))
            return -ENOMEM;
        if (unverified && json_object_set_new(d, "verify", json_true()))
            return -ENOMEM;
        if (json_is_object(form) &&
            json_array_append_new(forms, json_pack("{s:s?,s:s?,s:s?}", "name", str(form, "name"),
                                                   "code", code, "document", str(doc, "name"))))
            return -ENOMEM;
        if (json_array_append_new(checklist, checklist_item(doc)))
            return -ENOMEM;
    }
    return 0;
}

static json_t *copy_or_empty(const json_t *v)
{
    return json_is_array(v) ? json_deep_copy(v) : json_array();
}

int officer_assist_view(const struct kb *kb, const char *procedure, json_t **out)
{
    const json_t *g = procedure && kb_is_procedure(kb, procedure) ? kb_guide(kb, procedure) : NULL;
    const json_t *s, *fee = json_object_get(g, "fee_detail");
    json_t *view, *steps;
    char url[ASSIST_URL_MAX];
    size_t i;

    *out = NULL;
    if (!g)
        return -ENOENT;
    snprintf(url, sizeof(url), "/thu-tuc/%s", procedure);
    view = json_pack(
        "{s:s,s:s?,s:s?,s:s?,s:s?,s:o,s:[],s:[],s:o,s:s?,s:s?,s:s?,s:b,s:b,s:s?,s:[],"
        "s:[],s:o,s:o,s:o,s:s}",
        "id", procedure, "name", str(g, "name"), "short_name", str(g, "short_name"), "agency",
        str(g, "agency"), "where", text_of(g, "where"), "legal_basis",
        copy_or_empty(json_object_get(g, "legal_basis")), "documents", "forms", "return_reasons",
        copy_or_empty(json_object_get(g, "return_reasons")), "processing_time",
        text_of(g, "processing_time"), "fee", text_of(g, "fee"), "fee_exemptions",
        str(fee, "exemptions"), "fee_verify",
        json_is_true(json_object_get(fee, "verify")) || is_unverified(g, "fee"),
        "processing_time_verify",
        json_is_true(json_object_get(json_object_get(g, "processing_time_detail"), "verify")) ||
            is_unverified(g, "processing_time"),
        "result", str(g, "result"), "checklist", "steps", "verify",
        copy_or_empty(json_object_get(g, "verify")), "portal_codes",
        copy_or_empty(json_object_get(g, "portal_codes")), "who_may_submit",
        copy_or_empty(json_object_get(g, "who_may_submit")), "url", url);
    if (!view)
        return -ENOMEM;
    if (view_documents(g, view))
        goto fail;
    steps = json_object_get(view, "steps");
    for (i = 1; i <= conv_guide_step_count(g); i++) {
        const char *t = conv_guide_step_text(g, i);

        if (json_array_append_new(steps, json_string(t ? t : "")))
            goto fail;
    }
    s = json_object_get(g, "reviewed");
    if (json_is_string(s) &&
        json_object_set_new(view, "reviewed", json_string(json_string_value(s))))
        goto fail;
    *out = view;
    return 0;

fail:
    json_decref(view);
    return -ENOMEM;
}

/* ---- shared texts --------------------------------------------------------- */

/* "Hồ sơ hay bị trả lại vì: …" as the citizens' checklist says it. */
static int share_return_reasons(const json_t *g, struct mc_buf *out)
{
    struct mc_buf parts[CONV_GUIDE_CHECKLIST_PARTS];
    json_t *list = conv_check_list(g, NULL);
    size_t i;
    int rc;

    if (!list)
        return -ENOMEM;
    for (i = 0; i < CONV_GUIDE_CHECKLIST_PARTS; i++)
        mc_buf_init(&parts[i], OFFICER_ASSIST_SHARE_MAX);
    rc = conv_guide_checklist(list, parts);
    if (!rc && parts[3].len)
        rc = mc_buf_printf(out, "\n\n%s", parts[3].data);
    for (i = 0; i < CONV_GUIDE_CHECKLIST_PARTS; i++)
        mc_buf_fini(&parts[i]);
    json_decref(list);
    return rc;
}

int officer_assist_share_text(const struct kb *kb, const char *procedure, const char *part,
                              struct mc_buf *out)
{
    const json_t *g = procedure && kb_is_procedure(kb, procedure) ? kb_guide(kb, procedure) : NULL;
    int rc;

    if (!g)
        return -ENOENT;
    if (part && strcmp(part, "card") == 0)
        return conv_guide_summary(g, out);
    if (part && strcmp(part, "steps") == 0)
        return conv_guide_steps(g, out);
    if (!part || strcmp(part, "checklist") != 0)
        return -EINVAL;
    rc = conv_guide_documents(g, out);
    if (!rc)
        rc = share_return_reasons(g, out);
    return rc;
}

/* ---- the desk check ------------------------------------------------------- */

static bool has_key(const json_t *have, const char *key)
{
    const json_t *v;
    size_t i;

    json_array_foreach(have, i, v) if (strcmp(json_string_value(v), key) == 0) return true;
    return false;
}

/* The pre-check state a citizen would reach by answering "yes" for every
 * ticked document and "no" for every other one, and "not sure" for the
 * condition of an unticked conditional document (the officer asks). */
static json_t *desk_answers(const json_t *g, const json_t *have)
{
    json_t *check = conv_check_new();
    const json_t *doc;
    size_t i;

    if (!check)
        return NULL;
    json_array_foreach(json_object_get(g, "documents"), i, doc)
    {
        const char *id = str(doc, "id");
        bool got;

        if (!id)
            continue;
        got = has_key(have, id);
        if (json_object_set_new(json_object_get(check, "a"), id, json_string(got ? "y" : "n")) ||
            (is_conditional(doc) &&
             json_object_set_new(json_object_get(check, "c"), id, json_string(got ? "y" : "u")))) {
            json_decref(check);
            return NULL;
        }
    }
    return check;
}

static int check_have(const json_t *g, const json_t *have, struct mc_err *err)
{
    const json_t *v, *doc;
    size_t i, j;

    if (!json_is_array(have)) {
        mc_err_set(err, "\"have\" must be an array of checklist keys");
        return -EINVAL;
    }
    if (json_array_size(have) > OFFICER_ASSIST_HAVE_MAX) {
        mc_err_set(err, "\"have\" lists more than %d keys", OFFICER_ASSIST_HAVE_MAX);
        return -E2BIG;
    }
    json_array_foreach(have, i, v)
    {
        bool known = false;

        if (!json_is_string(v)) {
            mc_err_set(err, "have[%zu]: not a string", i);
            return -EINVAL;
        }
        json_array_foreach(json_object_get(g, "documents"), j, doc) known =
            known || (str(doc, "id") && strcmp(str(doc, "id"), json_string_value(v)) == 0);
        if (!known) {
            mc_err_set(err, "have[%zu]: \"%.64s\" is not a checklist key of this procedure", i,
                       json_string_value(v));
            return -EINVAL;
        }
    }
    return 0;
}

int officer_assist_check(const struct kb *kb, const char *procedure, const json_t *have,
                         json_t **out, struct mc_err *err)
{
    const json_t *g = procedure && kb_is_procedure(kb, procedure) ? kb_guide(kb, procedure) : NULL;
    json_t *check = NULL, *statuses = NULL, *res = NULL, *missing, *present;
    const json_t *doc;
    struct conv_question q;
    bool complete = true;
    size_t i;
    int rc;

    *out = NULL;
    if (!g) {
        mc_err_set(err, "\"procedure\": no such procedure");
        return -ENOENT;
    }
    if ((rc = check_have(g, have, err)))
        return rc;
    rc = -ENOMEM;
    check = desk_answers(g, have);
    statuses = json_object();
    if (!check || !statuses || conv_check_walk(g, check, &q, statuses) != 0)
        goto out; /* every question is answered, so the walk ends at 0 */
    res = json_pack("{s:s,s:b,s:[],s:[]}", "procedure", procedure, "complete", 0, "missing",
                    "present");
    if (!res)
        goto out;
    missing = json_object_get(res, "missing");
    present = json_object_get(res, "present");
    json_array_foreach(json_object_get(g, "documents"), i, doc)
    {
        const char *s = str(statuses, str(doc, "id") ? str(doc, "id") : "");
        json_t *item;

        if (!s)
            continue;
        if (strcmp(s, "missing") == 0)
            complete = false;
        item = checklist_item(doc);
        if (!item ||
            json_object_set_new(item, "how_to_get",
                                json_string(str(doc, "how_to_get") ? str(doc, "how_to_get") : "")))
            goto fail_item;
        if (json_array_append_new(strcmp(s, "ready") == 0 ? present : missing, item))
            goto fail;
        continue;
    fail_item:
        json_decref(item);
        goto fail;
    }
    if (json_object_set_new(res, "complete", json_boolean(complete)))
        goto fail;
    *out = res;
    res = NULL;
    rc = 0;
    goto out;

fail:
    json_decref(res);
    res = NULL;
out:
    json_decref(check);
    json_decref(statuses);
    return rc;
}

/* ---- search --------------------------------------------------------------- */

/* True when the folded words of needle occur in hay as whole words. */
static bool has_words(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    const char *p;

    for (p = strstr(hay, needle); p && n; p = strstr(p + 1, needle))
        if ((p == hay || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return true;
    return false;
}

/* How well folded query names procedure id by its names (kb_gtext.h: name,
 * short name, aliases, folded once with the snapshot), or 0. */
static double name_score(const struct kb *kb, const char *id, const char *folded,
                         const struct fold_word *w, size_t nw)
{
    const struct kb_gtext *x = kb_guide_words(kb, id);
    char idw[128];
    size_t i, j, k, found = 0;

    if (!x)
        return 0;
    for (i = 0; id[i] && i + 1 < sizeof(idw); i++)
        idw[i] = id[i] == '-' ? ' ' : id[i];
    idw[i] = '\0';
    if (strcmp(folded, idw) == 0)
        return 1.0;
    for (i = 0; i < x->n_names; i++)
        if (strcmp(x->names[i].text, folded) == 0)
            return 1.0;
    if (has_words(idw, folded))
        return ASSIST_SCORE_NAME;
    for (i = 0; i < x->n_names; i++)
        if (has_words(x->names[i].text, folded))
            return i < 2 ? ASSIST_SCORE_NAME : ASSIST_SCORE_ALIAS;
    for (k = 0; k < nw; k++) {
        bool in = false;

        for (i = 0; i < x->n_names && !in; i++)
            for (j = 0; j < x->names[i].n && !in; j++)
                in = x->names[i].w[j].len == w[k].len &&
                     memcmp(x->names[i].w[j].p, w[k].p, w[k].len) == 0;
        found += in;
    }
    return nw && found == nw ? ASSIST_SCORE_WORDS : 0;
}

/* Adds or raises procedure id's score in results. */
static int add_result(const struct kb *kb, json_t *results, const char *id, double score)
{
    const json_t *g = kb_guide(kb, id);
    json_t *r;
    size_t i;

    json_array_foreach(results, i, r) if (strcmp(str(r, "procedure"), id) == 0)
    {
        if (json_real_value(json_object_get(r, "score")) < score &&
            json_object_set_new(r, "score", json_real(score)))
            return -ENOMEM;
        return 0;
    }
    return json_array_append_new(results, json_pack("{s:s,s:s?,s:s?,s:f}", "procedure", id, "name",
                                                    str(g, "name"), "short_name",
                                                    str(g, "short_name"), "score", score))
               ? -ENOMEM
               : 0;
}

static int by_score(const void *a, const void *b)
{
    double x = json_real_value(json_object_get(*(json_t *const *)a, "score"));
    double y = json_real_value(json_object_get(*(json_t *const *)b, "score"));

    return x < y ? 1 : x > y ? -1 : 0;
}

/* Sorts results best first and keeps OFFICER_ASSIST_RESULTS_MAX. */
static json_t *ranked(json_t *results)
{
    size_t i, n = json_array_size(results);
    json_t **v = calloc(n ? n : 1, sizeof(*v)), *out = json_array();

    if (!v || !out)
        goto fail;
    for (i = 0; i < n; i++)
        v[i] = json_array_get(results, i);
    qsort(v, n, sizeof(*v), by_score);
    for (i = 0; i < n && i < OFFICER_ASSIST_RESULTS_MAX; i++)
        if (json_array_append(out, v[i]))
            goto fail;
    free(v);
    return out;

fail:
    free(v);
    json_decref(out);
    return NULL;
}

static int search_understanding(const struct kb *kb, const struct intent_index *idx, const char *q,
                                size_t len, json_t *res, json_t *results)
{
    struct intent_result *u;
    json_t *j;
    size_t i;
    int rc;

    u = malloc(sizeof(*u)); /* ~10 KiB: not on the event loop's stack */
    if (!u)
        return -ENOMEM;
    rc = intent_match(idx, q, len, u);
    if (rc)
        goto out;
    rc = -ENOMEM;
    j = json_pack("{s:s,s:f,s:s,s:s}", "label", u->label, "confidence", u->confidence, "decision",
                  intent_decision_name(u->decision), "normalized", u->normalized);
    if (!j || json_object_set_new(res, "understanding", j))
        goto out;
    for (i = 0; i < u->n_candidates; i++)
        if (kb_is_procedure(kb, u->candidates[i].label) &&
            add_result(kb, results, u->candidates[i].label, u->candidates[i].confidence))
            goto out;
    rc = 0;
out:
    free(u);
    return rc;
}

static int search_names(const struct kb *kb, const char *q, json_t *results)
{
    struct fold_word w[KB_GTEXT_WORDS_MAX];
    const json_t *p;
    char *folded = malloc(ASSIST_FOLD_MAX);
    size_t i, nw;
    int rc;

    if (!folded)
        return -ENOMEM;
    rc = fold_words_text(q, folded, ASSIST_FOLD_MAX);
    if (rc)
        goto out;
    nw = fold_words_split(folded, strlen(folded), true, w, KB_GTEXT_WORDS_MAX, NULL);
    json_array_foreach(kb_procedures(kb), i, p)
    {
        const char *id = str(p, "id");
        double s = id ? name_score(kb, id, folded, w, nw) : 0;

        if (s > 0 && (rc = add_result(kb, results, id, s)))
            goto out;
    }
out:
    free(folded);
    return rc;
}

int officer_assist_search(const struct kb *kb, const struct intent_index *idx, const char *q,
                          size_t len, json_t **out)
{
    json_t *res = NULL, *all = NULL, *best = NULL, *guide = NULL;
    const char *id;
    size_t i;
    int rc;

    *out = NULL;
    if (len > OFFICER_ASSIST_QUERY_MAX)
        return -E2BIG;
    if (!mc_utf8_is_valid(q, len) || memchr(q, '\0', len))
        return -EINVAL;
    for (i = 0; i < len && (q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r'); i++)
        ;
    if (i == len)
        return -EINVAL;
    res = json_pack("{s:s%,s:n,s:[],s:n}", "query", q, len, "understanding", "results", "guide");
    all = json_array();
    rc = -ENOMEM;
    if (!res || !all)
        goto fail;
    if (idx && (rc = search_understanding(kb, idx, q, len, res, all)))
        goto fail;
    if ((rc = search_names(kb, json_string_value(json_object_get(res, "query")), all)))
        goto fail;
    rc = -ENOMEM;
    best = ranked(all);
    if (!best || json_object_set_new(res, "results", best))
        goto fail;
    id = str(json_array_get(best, 0), "procedure");
    if (id && (rc = officer_assist_view(kb, id, &guide)))
        goto fail;
    if (guide && json_object_set_new(res, "guide", guide))
        goto fail;
    json_decref(all);
    *out = res;
    return 0;

fail:
    json_decref(all);
    json_decref(res);
    return rc;
}
