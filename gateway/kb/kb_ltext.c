/* gateway/kb/kb_ltext.c - see kb_ltext.h. Legal bases, sources, portal
 * codes, addresses and links are left out: they name laws and places, not
 * what a citizen asks about. */
#include "kb_ltext.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mc_buf.h"

static const char *const ltext_fields[] = {"name",           "short_name", "aliases",
                                           "who_may_submit", "steps",      "documents",
                                           "return_reasons", "result",     "faq"};

/* Appends every string under v, one per line; stops quietly at the cap. */
static int ltext_walk(struct mc_buf *b, json_t *v, int depth)
{
    const char *key;
    json_t *x;
    size_t i;
    int rc = 0;

    if (depth > 8)
        return 0; /* guides are shallow; deeper is not citizen text */
    if (json_is_string(v)) {
        rc = mc_buf_append(b, json_string_value(v), json_string_length(v));
        if (rc == 0)
            rc = mc_buf_append(b, "\n", 1);
        return rc == -E2BIG ? 0 : rc;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            rc = ltext_walk(b, x, depth + 1);
            if (rc)
                return rc;
        }
    } else if (json_is_object(v)) {
        json_object_foreach(v, key, x)
        {
            rc = ltext_walk(b, x, depth + 1);
            if (rc)
                return rc;
        }
    }
    return 0;
}

char *kb_ltext_new(const char *body, size_t len)
{
    struct mc_buf b;
    json_t *g = json_loadb(body, len, 0, NULL);
    size_t i;
    char *out = NULL;

    mc_buf_init(&b, KB_LTEXT_MAX);
    for (i = 0; g && i < sizeof(ltext_fields) / sizeof(ltext_fields[0]); i++)
        if (ltext_walk(&b, json_object_get(g, ltext_fields[i]), 0) != 0)
            goto out;
    out = mc_buf_steal(&b);
out:
    mc_buf_fini(&b);
    json_decref(g);
    return out;
}
