/* gateway/conv/conv_topic.c - see conv_topic.h. */
#include "conv_topic.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "conv_text.h"
#include "fold_words.h"
#include "intent.h"
#include "kb_gtext.h"

/* True when every content word of a folded name (its words nw[0..nn))
 * occurs in topic's words. */
static bool covers(const struct fold_word *w, size_t n, const struct fold_word *nw, size_t nn)
{
    size_t a, k, content = 0;

    for (a = 0; a < nn; a++) {
        bool hit = false;

        if (fold_words_is_stop(&nw[a], true))
            continue;
        content++;
        for (k = 0; k < n && !hit; k++)
            hit = w[k].len == nw[a].len && memcmp(w[k].p, nw[a].p, w[k].len) == 0;
        if (!hit)
            return false;
    }
    return content > 0;
}

static bool covers_name(const struct fold_word *w, size_t n, const struct kb_gtext_fold *f)
{
    return covers(w, n, f->w, f->n < CONV_TOPIC_WORDS_MAX ? f->n : CONV_TOPIC_WORDS_MAX);
}

bool conv_topic_names_in(const struct kb_gtext *x, const char *topic, bool with_aliases)
{
    struct fold_word w[CONV_TOPIC_WORDS_MAX];
    size_t i, n = fold_words_split(topic, strlen(topic), true, w, CONV_TOPIC_WORDS_MAX, NULL);

    if (n == 0)
        return false;
    /* a missing name or one that does not fold is "" and covers nothing */
    for (i = 0; i < (with_aliases ? x->n_names : 2); i++)
        if (covers_name(w, n, &x->names[i]))
            return true;
    return false;
}

bool conv_topic_names_within_in(const struct kb_gtext *xq, const struct kb_gtext *xp,
                                const char *topic)
{
    struct fold_word w[CONV_TOPIC_WORDS_MAX];
    size_t n = fold_words_split(topic, strlen(topic), true, w, CONV_TOPIC_WORDS_MAX, NULL), i, k;

    for (i = 0; n > 0 && i < xq->n_names; i++) {
        const struct kb_gtext_fold *nq = &xq->names[i];

        if (!covers_name(w, n, nq))
            continue;
        for (k = 0; k < xp->n_names; k++) {
            const struct kb_gtext_fold *np = &xp->names[k];

            if (!covers_name(w, n, np) || !covers_name(nq->w, nq->n, np))
                continue;
            if (!covers_name(np->w, np->n, nq)) /* Q's name says more than P's */
                return true;
        }
    }
    return false;
}

bool conv_topic_covered_in(const struct kb_gtext *x, const char *topic)
{
    struct fold_word w[CONV_TOPIC_WORDS_MAX];
    size_t i, n = fold_words_split(topic, strlen(topic), true, w, CONV_TOPIC_WORDS_MAX, NULL);

    if (n == 0)
        return false;
    for (i = 0; i < n; i++)
        if (!kb_gtext_has_word(x, &w[i]))
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

unsigned conv_topic_asked_in(const struct kb_gtext *x, const struct intent_result *u)
{
    unsigned inside = 0, outside = 0;
    size_t k, i;

    for (k = 0; k < u->n_aspect_spans; k++) {
        const struct intent_span *sp = &u->aspect_spans[k];
        bool in = false;

        for (i = 0; !in && i < x->n_names; i++)
            in = inside_name(u->folded, sp->start, sp->len, x->names[i].text);
        if (in)
            inside |= sp->bit;
        else
            outside |= sp->bit;
    }
    return u->aspects & ~(inside & ~outside);
}

/* ---- the same over a guide's JSON, folded on the spot (tests, cold paths) */

bool conv_topic_names(const json_t *g, const char *topic, bool with_aliases)
{
    struct kb_gtext *x = kb_gtext_new(g);
    bool r = x && conv_topic_names_in(x, topic, with_aliases);

    kb_gtext_free(x);
    return r;
}

bool conv_topic_names_within(const json_t *gq, const json_t *gp, const char *topic)
{
    struct kb_gtext *xq = kb_gtext_new(gq), *xp = kb_gtext_new(gp);
    bool r = xq && xp && conv_topic_names_within_in(xq, xp, topic);

    kb_gtext_free(xq);
    kb_gtext_free(xp);
    return r;
}

bool conv_topic_covered(const json_t *g, const char *topic)
{
    struct kb_gtext *x = kb_gtext_new(g);
    bool r = x && conv_topic_covered_in(x, topic);

    kb_gtext_free(x);
    return r;
}

unsigned conv_topic_asked(const json_t *g, const struct intent_result *u)
{
    struct kb_gtext *x = kb_gtext_new(g);
    unsigned r = x ? conv_topic_asked_in(x, u) : u->aspects;

    kb_gtext_free(x);
    return r;
}
