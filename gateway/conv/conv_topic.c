/* gateway/conv/conv_topic.c - see conv_topic.h. */
#include "conv_topic.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "conv_text.h"
#include "conv_words.h"
#include "intent.h"

/* True when every content word of folded name occurs in topic's words. */
static bool covers(const struct conv_word *w, size_t n, const char *name)
{
    struct conv_word nw[CONV_TOPIC_WORDS_MAX];
    size_t nn = conv_words_split(name, strlen(name), true, nw, CONV_TOPIC_WORDS_MAX, NULL), a, k,
           content = 0;

    for (a = 0; a < nn; a++) {
        bool hit = false;

        if (conv_words_is_stop(&nw[a], true))
            continue;
        content++;
        for (k = 0; k < n && !hit; k++)
            hit = w[k].len == nw[a].len && memcmp(w[k].p, nw[a].p, w[k].len) == 0;
        if (!hit)
            return false;
    }
    return content > 0;
}

bool conv_topic_names(const json_t *g, const char *topic, bool with_aliases)
{
    struct conv_word w[CONV_TOPIC_WORDS_MAX];
    char name[CONV_TEXT_FOLD_MAX];
    size_t i, n = conv_words_split(topic, strlen(topic), true, w, CONV_TOPIC_WORDS_MAX, NULL);
    const json_t *aliases = json_object_get(g, "aliases");

    if (n == 0)
        return false;
    for (i = 0; i < 2 + (with_aliases ? json_array_size(aliases) : 0); i++) {
        const char *src = i == 0   ? json_string_value(json_object_get(g, "name"))
                          : i == 1 ? json_string_value(json_object_get(g, "short_name"))
                                   : json_string_value(json_array_get(aliases, i - 2));

        if (src && conv_text_fold(src, name, sizeof(name)) != -EINVAL && covers(w, n, name))
            return true;
    }
    return false;
}

/* The folded i-th name of g (0 name, 1 short name, then aliases) in out, or
 * false past the last one or when it does not fold. */
static bool name_at(const json_t *g, size_t i, char *out, size_t cap)
{
    const json_t *aliases = json_object_get(g, "aliases");
    const char *src = i == 0   ? json_string_value(json_object_get(g, "name"))
                      : i == 1 ? json_string_value(json_object_get(g, "short_name"))
                               : json_string_value(json_array_get(aliases, i - 2));

    if (i >= 2 + json_array_size(aliases))
        return false;
    if (!src || conv_text_fold(src, out, cap) == -EINVAL)
        out[0] = '\0';
    return true;
}

bool conv_topic_names_within(const json_t *gq, const json_t *gp, const char *topic)
{
    struct conv_word w[CONV_TOPIC_WORDS_MAX], qw[CONV_TOPIC_WORDS_MAX], pw[CONV_TOPIC_WORDS_MAX];
    char nq[CONV_TEXT_FOLD_MAX], np[CONV_TEXT_FOLD_MAX];
    size_t n = conv_words_split(topic, strlen(topic), true, w, CONV_TOPIC_WORDS_MAX, NULL), i, k,
           nqw, npw;

    for (i = 0; n > 0 && name_at(gq, i, nq, sizeof(nq)); i++) {
        if (!covers(w, n, nq))
            continue;
        nqw = conv_words_split(nq, strlen(nq), true, qw, CONV_TOPIC_WORDS_MAX, NULL);
        for (k = 0; name_at(gp, k, np, sizeof(np)); k++) {
            if (!covers(w, n, np) || !covers(qw, nqw, np))
                continue;
            npw = conv_words_split(np, strlen(np), true, pw, CONV_TOPIC_WORDS_MAX, NULL);
            if (!covers(pw, npw, nq)) /* Q's name says more than P's */
                return true;
        }
    }
    return false;
}

/* Marks in found[] the topic words that occur in folded text s. */
static void mark_words(const char *s, const struct conv_word *w, size_t n, bool *found)
{
    char f[CONV_TEXT_FOLD_MAX];
    struct conv_word t[CONV_TEXT_FOLD_MAX / 2];
    size_t nt, i, k;

    if (conv_text_fold(s, f, sizeof(f)) == -EINVAL)
        return;
    nt = conv_words_split(f, strlen(f), true, t, sizeof(t) / sizeof(t[0]), NULL);
    for (k = 0; k < n; k++)
        for (i = 0; i < nt && !found[k]; i++)
            found[k] = t[i].len == w[k].len && memcmp(t[i].p, w[k].p, w[k].len) == 0;
}

static void walk(const json_t *v, const struct conv_word *w, size_t n, bool *found)
{
    const char *key;
    const json_t *x;
    size_t i;

    if (json_is_string(v)) {
        mark_words(json_string_value(v), w, n, found);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) walk(x, w, n, found);
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)(uintptr_t)v, key, x) walk(x, w, n, found);
    }
}

bool conv_topic_covered(const json_t *g, const char *topic)
{
    struct conv_word w[CONV_TOPIC_WORDS_MAX];
    bool found[CONV_TOPIC_WORDS_MAX] = {false};
    size_t i, n = conv_words_split(topic, strlen(topic), true, w, CONV_TOPIC_WORDS_MAX, NULL);

    if (n == 0)
        return false;
    walk(g, w, n, found);
    for (i = 0; i < n; i++)
        if (!found[i])
            return false;
    return true;
}

/* True when bytes [a, a+len) of folded text s lie inside a whole-word
 * occurrence of folded name. */
static bool inside_name(const char *s, size_t a, size_t len, const char *name)
{
    size_t nl = strlen(name);
    const char *p = s;

    if (nl == 0)
        return false;
    while ((p = strstr(p, name)) != NULL) {
        size_t at = (size_t)(p - s);

        if ((at == 0 || s[at - 1] == ' ') && (p[nl] == '\0' || p[nl] == ' ') && at <= a &&
            a + len <= at + nl)
            return true;
        p++;
    }
    return false;
}

unsigned conv_topic_asked(const json_t *g, const struct intent_result *u)
{
    const json_t *aliases = json_object_get(g, "aliases");
    unsigned inside = 0, outside = 0;
    char name[CONV_TEXT_FOLD_MAX];
    size_t k, i;

    for (k = 0; k < u->n_aspect_spans; k++) {
        const struct intent_span *sp = &u->aspect_spans[k];
        bool in = false;

        for (i = 0; !in && i < 2 + json_array_size(aliases); i++) {
            const char *src = i == 0   ? json_string_value(json_object_get(g, "name"))
                              : i == 1 ? json_string_value(json_object_get(g, "short_name"))
                                       : json_string_value(json_array_get(aliases, i - 2));

            in = src && conv_text_fold(src, name, sizeof(name)) != -EINVAL &&
                 inside_name(u->folded, sp->start, sp->len, name);
        }
        if (in)
            inside |= sp->bit;
        else
            outside |= sp->bit;
    }
    return u->aspects & ~(inside & ~outside);
}
