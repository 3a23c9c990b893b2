/* gateway/conv/conv_check.c - see conv_check.h. */
#include "conv_check.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define CHECK_URL_MAX 160 /* bytes of "/thu-tuc/<id>" */

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* A document is conditional when the guide says when it is needed. */
static bool is_conditional(const json_t *doc)
{
    const char *when = str(doc, "when"), *ask = str(doc, "ask");

    return (when && when[0]) || (ask && ask[0]);
}

/* The condition's identity: its question, or its "when" when no question
 * was written. Documents with the same one share one answer. */
static const char *condition_key(const json_t *doc)
{
    const char *ask = str(doc, "ask");

    return ask && ask[0] ? ask : str(doc, "when");
}

/* The answer to doc's condition: its own, or that of an earlier document
 * with the same question. NULL when not answered yet. */
static const char *condition_answer(const json_t *docs, size_t i, const json_t *c)
{
    const json_t *doc = json_array_get(docs, i);
    const char *key = condition_key(doc), *own = str(c, str(doc, "id"));
    size_t j;

    if (own)
        return own;
    for (j = 0; j < i; j++) {
        const json_t *d = json_array_get(docs, j);
        const char *k = is_conditional(d) ? condition_key(d) : NULL, *a;

        if (k && key && strcmp(k, key) == 0 && (a = str(c, str(d, "id"))) != NULL)
            return a;
    }
    return NULL;
}

static const char *doc_status(const char *answer)
{
    if (strcmp(answer, "y") == 0)
        return "ready";
    if (strcmp(answer, "n") == 0)
        return "missing";
    return "unknown";
}

json_t *conv_check_new(void)
{
    return json_pack("{s:{},s:{},s:[]}", "a", "c", "log");
}

int conv_check_walk(const json_t *guide, const json_t *check, struct conv_question *q,
                    json_t *statuses)
{
    const json_t *docs = json_object_get(guide, "documents");
    const json_t *a = json_object_get(check, "a"), *c = json_object_get(check, "c");
    size_t i, total = json_array_size(docs);

    for (i = 0; i < total; i++) {
        const json_t *doc = json_array_get(docs, i);
        const char *id = str(doc, "id"), *status = NULL, *ans;

        if (!id)
            continue; /* the importer requires ids; never ask about a nameless paper */
        if (is_conditional(doc)) {
            const char *cond = condition_answer(docs, i, c);

            if (!cond) {
                *q = (struct conv_question){CONV_Q_CONDITION, i + 1, total, doc};
                return 1;
            }
            if (strcmp(cond, "n") == 0)
                status = "not_needed";
            else if (strcmp(cond, "u") == 0)
                status = "unknown"; /* not sure it applies: the officer decides */
        }
        if (!status) {
            ans = str(a, id);
            if (!ans) {
                *q = (struct conv_question){CONV_Q_DOCUMENT, i + 1, total, doc};
                return 1;
            }
            status = doc_status(ans);
        }
        if (statuses && json_object_set_new(statuses, id, json_string(status)))
            return -ENOMEM;
    }
    return 0;
}

int conv_check_answer(const json_t *guide, json_t *check, enum conv_answer ans)
{
    static const char *const code[] = {"y", "n", "u"};
    struct conv_question q;
    const char *id, *which;
    json_t *log = json_object_get(check, "log");
    char entry[128];
    int rc = conv_check_walk(guide, check, &q, NULL);

    if (rc < 0)
        return rc;
    if (rc == 0)
        return -ENOENT;
    if (!json_is_array(log)) {
        log = json_array();
        if (!log || json_object_set_new(check, "log", log))
            return -ENOMEM;
    }
    which = q.kind == CONV_Q_CONDITION ? "c" : "a";
    id = str(q.doc, "id");
    if (!json_is_object(json_object_get(check, which)) &&
        json_object_set_new(check, which, json_object()))
        return -ENOMEM;
    if (snprintf(entry, sizeof(entry), "%s:%s", q.kind == CONV_Q_CONDITION ? "c" : "d", id) >=
        (int)sizeof(entry))
        return -E2BIG; /* ids are short slugs; the importer checks them */
    if (json_object_set_new(json_object_get(check, which), id, json_string(code[ans])) ||
        json_array_append_new(log, json_string(entry)))
        return -ENOMEM;
    return 0;
}

int conv_check_undo(json_t *check)
{
    json_t *log = json_object_get(check, "log");
    size_t n = json_array_size(log);
    const char *e;

    if (n == 0)
        return -ENOENT;
    e = json_string_value(json_array_get(log, n - 1));
    if (e && strlen(e) > 2 && e[1] == ':')
        json_object_del(json_object_get(check, e[0] == 'c' ? "c" : "a"), e + 2);
    json_array_remove(log, n - 1);
    return 0;
}

json_t *conv_check_list(const json_t *guide, const json_t *statuses)
{
    const json_t *docs = json_object_get(guide, "documents"), *doc;
    json_t *list, *items, *reasons;
    const char *id = str(guide, "id");
    char url[CHECK_URL_MAX];
    bool complete = true;
    size_t i;

    snprintf(url, sizeof(url), "/thu-tuc/%s", id ? id : "");
    reasons = json_deep_copy(json_object_get(guide, "return_reasons"));
    list = json_pack("{s:s?,s:s?,s:b,s:s,s:[],s:o}", "procedure", id, "title", str(guide, "name"),
                     "complete", 0, "url", url, "items", "return_reasons",
                     reasons ? reasons : json_array());
    if (!list)
        return NULL;
    items = json_object_get(list, "items");
    json_array_foreach(docs, i, doc)
    {
        const char *s = str(statuses, str(doc, "id") ? str(doc, "id") : "");
        json_t *form = json_object_get(doc, "form");

        if (!str(doc, "id"))
            continue;
        if (!s)
            s = "unknown";
        if (strcmp(s, "ready") != 0 && strcmp(s, "not_needed") != 0)
            complete = false;
        if (json_array_append_new(
                items, json_pack("{s:s,s:s?,s:s,s:s?,s:I,s:s?,s:O}", "id", str(doc, "id"), "name",
                                 str(doc, "name"), "status", s, "kind", str(doc, "kind"), "count",
                                 json_integer_value(json_object_get(doc, "count")), "how_to_get",
                                 str(doc, "how_to_get"), "form", form ? form : json_null()))) {
            json_decref(list);
            return NULL;
        }
    }
    if (json_object_set_new(list, "complete", json_boolean(complete))) {
        json_decref(list);
        return NULL;
    }
    return list;
}
