/* gateway/conv/conv_guide_list.c - the structured twins of the document list
 * and of all the steps (see conv_guide.h). The text of the same answer is
 * still written for Messenger and Zalo; these blocks let a screen lay the
 * same facts out (common papers first, one step at a time) without parsing
 * that text. Only fields the guide already has, copied as they are. */
#include "conv_guide.h"

#include <jansson.h>

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? s : "";
}

/* The guide's condition, or NULL when the paper is for everyone (an empty
 * "when" counts as none, as in the text list). */
static const char *when_of(const json_t *doc)
{
    const char *w = json_string_value(json_object_get(doc, "when"));

    return w && w[0] ? w : NULL;
}

json_t *conv_guide_document_block(const json_t *g)
{
    const json_t *docs = json_object_get(g, "documents"), *doc;
    json_t *items = json_array(), *block = NULL;
    size_t i;

    if (!items)
        return NULL;
    json_array_foreach(docs, i, doc)
    {
        json_int_t count = json_integer_value(json_object_get(doc, "count"));

        if (json_array_append_new(items,
                                  json_pack("{s:s,s:s,s:s,s:I,s:s?}", "id", str(doc, "id"), "name",
                                            str(doc, "name"), "kind", str(doc, "kind"), "count",
                                            count, "when", when_of(doc))))
            goto fail;
    }
    block = json_pack("{s:s,s:s,s:O}", "procedure", str(g, "id"), "title", str(g, "name"), "items",
                      items);
fail:
    json_decref(items);
    return block;
}

json_t *conv_guide_steps_block(const json_t *g)
{
    json_t *items = json_array(), *block = NULL;
    size_t i, n = conv_guide_step_count(g);

    if (!items)
        return NULL;
    for (i = 1; i <= n; i++) {
        const char *text = conv_guide_step_text(g, i);

        if (json_array_append_new(
                items, json_pack("{s:I,s:s}", "n", (json_int_t)i, "text", text ? text : "")))
            goto fail;
    }
    block = json_pack("{s:s,s:s,s:O}", "procedure", str(g, "id"), "title", str(g, "name"), "items",
                      items);
fail:
    json_decref(items);
    return block;
}
