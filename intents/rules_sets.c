/* intents/rules_sets.c - see rules_sets.h. */
#include "rules_sets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rules_sets {
    char name[RULES_SETS_MAX][RULES_SETS_NAME_MAX];
    char *body[RULES_SETS_MAX]; /* expanded */
    size_t n;
};

struct rules_sets *rules_sets_new(void)
{
    return calloc(1, sizeof(struct rules_sets));
}

void rules_sets_free(struct rules_sets *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < s->n; i++)
        free(s->body[i]);
    free(s);
}

static int find(const struct rules_sets *s, const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        if (strlen(s->name[i]) == len && memcmp(s->name[i], name, len) == 0)
            return (int)i;
    return -1;
}

static int name_ok(const char *name, size_t len)
{
    size_t i;

    if (len == 0 || len >= RULES_SETS_NAME_MAX)
        return 0;
    for (i = 0; i < len; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '_'))
            return 0;
    return 1;
}

int rules_sets_expand(const struct rules_sets *s, const char *pat, char *out, size_t outlen,
                      char *why, size_t whylen)
{
    size_t o = 0, n, blen;
    const char *p = pat, *end;
    int k;

    while (*p) {
        if (p[0] != '$' || p[1] != '{') {
            if (o + 1 >= outlen)
                goto too_long;
            out[o++] = *p++;
            continue;
        }
        end = strchr(p + 2, '}');
        if (!end) {
            snprintf(why, whylen, "unclosed ${ in the pattern");
            return -EINVAL;
        }
        n = (size_t)(end - (p + 2));
        k = find(s, p + 2, n);
        if (k < 0) {
            snprintf(why, whylen, "unknown set ${%.*s} (define it above: $name<TAB>a|b)",
                     (int)(n < 40 ? n : 40), p + 2);
            return -EINVAL;
        }
        blen = strlen(s->body[k]);
        if (o + blen + sizeof "(?:)" - 1 >= outlen)
            goto too_long;
        memcpy(out + o, "(?:", sizeof "(?:" - 1);
        o += sizeof "(?:" - 1;
        memcpy(out + o, s->body[k], blen);
        o += blen;
        out[o++] = ')';
        p = end + 1;
    }
    out[o] = '\0';
    return 0;
too_long:
    snprintf(why, whylen, "pattern longer than %zu bytes once its sets are written out",
             outlen - 1);
    return -EINVAL;
}

int rules_sets_define(struct rules_sets *s, const char *name, const char *body, char *why,
                      size_t whylen)
{
    size_t len = strlen(name);
    char *buf;
    int rc;

    if (!name_ok(name, len)) {
        snprintf(why, whylen, "set name \"$%.40s\" is not [a-z0-9_]{1,%d}", name,
                 RULES_SETS_NAME_MAX - 1);
        return -EINVAL;
    }
    if (find(s, name, len) >= 0) {
        snprintf(why, whylen, "set $%s defined twice", name);
        return -EINVAL;
    }
    if (s->n >= RULES_SETS_MAX) {
        snprintf(why, whylen, "more than %d sets", RULES_SETS_MAX);
        return -EINVAL;
    }
    if (!body[0]) {
        snprintf(why, whylen, "set $%s is empty", name);
        return -EINVAL;
    }
    buf = malloc(RULES_SETS_PATTERN_MAX);
    if (!buf)
        return -ENOMEM;
    rc = rules_sets_expand(s, body, buf, RULES_SETS_PATTERN_MAX, why, whylen);
    if (rc) {
        free(buf);
        return rc;
    }
    s->body[s->n] = realloc(buf, strlen(buf) + 1); /* shrinking cannot fail in practice */
    if (!s->body[s->n])
        s->body[s->n] = buf;
    memcpy(s->name[s->n], name, len + 1);
    s->n++;
    return 0;
}
