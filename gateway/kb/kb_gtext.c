/* gateway/kb/kb_gtext.c - see kb_gtext.h. */
#include "kb_gtext.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fold_words.h"

/* A growing list of the words of all strings, and the texts they point into. */
struct gtext_build {
    struct kb_gtext *x;
    size_t cap_words, cap_owned;
};

static int own(struct gtext_build *b, char *s)
{
    struct kb_gtext *x = b->x;

    if (x->n_owned == b->cap_owned) {
        size_t cap = b->cap_owned ? 2 * b->cap_owned : 32;
        char **n = realloc(x->owned, cap * sizeof(*n));

        if (!n) {
            free(s);
            return -ENOMEM;
        }
        x->owned = n;
        b->cap_owned = cap;
    }
    x->owned[x->n_owned++] = s;
    return 0;
}

/* Folds src (NULL: "") into f, the text owned by b. */
static int fold_into(struct gtext_build *b, const char *src, struct kb_gtext_fold *f)
{
    char tmp[FOLD_WORDS_TEXT_MAX];
    struct fold_word w[KB_GTEXT_WORDS_MAX];
    char *t;

    tmp[0] = '\0';
    f->rc = src ? fold_words_text(src, tmp, sizeof(tmp)) : 0;
    if (f->rc == -EINVAL)
        tmp[0] = '\0';
    t = strdup(tmp);
    if (!t || own(b, t))
        return -ENOMEM;
    f->text = t;
    f->n = fold_words_split(t, strlen(t), true, w, KB_GTEXT_WORDS_MAX, NULL);
    f->w = f->n ? malloc(f->n * sizeof(*f->w)) : NULL;
    if (f->n && !f->w)
        return -ENOMEM;
    if (f->n)
        memcpy(f->w, w, f->n * sizeof(*w));
    return 0;
}

static bool same_word(const struct fold_word *a, const struct fold_word *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* The content words of f and whether each is a word of the names nw[0..nn). */
static int content_of(struct kb_gtext_fold *f, const struct fold_word *nw, size_t nn)
{
    size_t i, k;

    f->c = f->n ? malloc(f->n * sizeof(*f->c)) : NULL;
    f->named = f->n ? malloc(f->n * sizeof(*f->named)) : NULL;
    if (f->n && (!f->c || !f->named))
        return -ENOMEM;
    for (i = 0; i < f->n; i++) {
        bool dup = fold_words_is_stop(&f->w[i], false);

        for (k = 0; k < f->nc && !dup; k++)
            dup = same_word(&f->c[k], &f->w[i]);
        if (dup)
            continue;
        f->c[f->nc] = f->w[i];
        f->named[f->nc] = false;
        for (k = 0; k < nn && !f->named[f->nc]; k++)
            f->named[f->nc] = same_word(&f->w[i], &nw[k]);
        f->nc++;
    }
    return 0;
}

static int add_words(struct gtext_build *b, const char *s)
{
    char tmp[FOLD_WORDS_TEXT_MAX];
    struct kb_gtext *x = b->x;
    size_t n;
    char *t;

    if (fold_words_text(s, tmp, sizeof(tmp)) == -EINVAL)
        return 0;
    t = strdup(tmp);
    if (!t || own(b, t))
        return -ENOMEM;
    n = fold_words_count(t, strlen(t));
    if (x->n_words + n > b->cap_words) {
        size_t cap = b->cap_words ? 2 * b->cap_words : 256;
        struct fold_word *nw;

        while (cap < x->n_words + n)
            cap *= 2;
        nw = realloc(x->words, cap * sizeof(*nw));
        if (!nw)
            return -ENOMEM;
        x->words = nw;
        b->cap_words = cap;
    }
    x->n_words += fold_words_split(t, strlen(t), true, x->words + x->n_words, n, NULL);
    return 0;
}

static int walk(struct gtext_build *b, const json_t *v)
{
    const char *key;
    const json_t *e;
    size_t i;
    int rc = 0;

    if (json_is_string(v))
        return add_words(b, json_string_value(v));
    if (json_is_array(v)) {
        json_array_foreach(v, i, e) if (!rc) rc = walk(b, e);
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)(uintptr_t)v, key, e) if (!rc) rc = walk(b, e);
    }
    return rc;
}

static int cmp_word(const void *pa, const void *pb)
{
    const struct fold_word *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->p, b->p, n);

    if (c)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* Sorts the words of every string and keeps each once, copied into one
 * text of their own; the folded texts from owned[walked] on are freed. */
static int compact(struct kb_gtext *x, size_t walked)
{
    size_t i, k, bytes = 0;
    struct fold_word *w;
    char *arena, *p;

    qsort(x->words, x->n_words, sizeof(*x->words), cmp_word);
    for (i = 1, k = 1; i < x->n_words; i++)
        if (cmp_word(&x->words[i], &x->words[k - 1]) != 0)
            x->words[k++] = x->words[i];
    x->n_words = k;
    for (i = 0; i < k; i++)
        bytes += x->words[i].len + 1;
    arena = malloc(bytes);
    if (!arena)
        return -ENOMEM;
    for (i = 0, p = arena; i < k; i++) {
        memcpy(p, x->words[i].p, x->words[i].len);
        p[x->words[i].len] = '\0';
        x->words[i].p = p;
        p += x->words[i].len + 1;
    }
    for (i = walked; i < x->n_owned; i++)
        free(x->owned[i]);
    x->owned[walked] = arena; /* there is room: walk() owned at least one text */
    x->n_owned = walked + 1;
    w = realloc(x->words, k * sizeof(*w));
    if (w)
        x->words = w;
    return 0;
}

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? s : "";
}

struct kb_gtext *kb_gtext_new(const json_t *g)
{
    struct gtext_build b = {0};
    const json_t *aliases = json_object_get(g, "aliases"), *faq = json_object_get(g, "faq"),
                 *docs = json_object_get(g, "documents");
    struct kb_gtext *x = calloc(1, sizeof(*x));
    struct fold_word nw[KB_GTEXT_WORDS_MAX];
    size_t i, k, nn = 0, walked;

    if (!x)
        return NULL;
    b.x = x;
    x->guide = g;
    x->n_names = 2 + json_array_size(aliases);
    x->n_faq = json_array_size(faq);
    x->n_docs = json_array_size(docs);
    x->names = calloc(x->n_names, sizeof(*x->names));
    x->faq = calloc(x->n_faq ? x->n_faq : 1, sizeof(*x->faq));
    x->docs = calloc(x->n_docs ? x->n_docs : 1, sizeof(*x->docs));
    if (!x->names || !x->faq || !x->docs)
        goto fail;
    for (i = 0; i < x->n_names; i++) {
        const char *src = i == 0   ? json_string_value(json_object_get(g, "name"))
                          : i == 1 ? json_string_value(json_object_get(g, "short_name"))
                                   : json_string_value(json_array_get(aliases, i - 2));

        if (fold_into(&b, src, &x->names[i]))
            goto fail;
    }
    for (i = 0; i < 2; i++) /* the words of the names, as conv_guide.c counts them */
        for (k = 0; x->names[i].rc >= 0 && k < x->names[i].n && nn < KB_GTEXT_WORDS_MAX; k++)
            nw[nn++] = x->names[i].w[k];
    for (i = 0; i < x->n_faq; i++)
        if (fold_into(&b, str(json_array_get(faq, i), "q"), &x->faq[i]) ||
            content_of(&x->faq[i], nw, nn))
            goto fail;
    for (i = 0; i < x->n_docs; i++)
        if (fold_into(&b, str(json_array_get(docs, i), "name"), &x->docs[i]))
            goto fail;
    walked = x->n_owned;
    if (walk(&b, g))
        goto fail;
    if (x->n_words && compact(x, walked))
        goto fail;
    return x;
fail:
    kb_gtext_free(x);
    return NULL;
}

static void folds_free(struct kb_gtext_fold *f, size_t n)
{
    size_t i;

    for (i = 0; f && i < n; i++) {
        free(f[i].w);
        free(f[i].c);
        free(f[i].named);
    }
    free(f);
}

void kb_gtext_free(struct kb_gtext *x)
{
    size_t i;

    if (!x)
        return;
    folds_free(x->names, x->n_names);
    folds_free(x->faq, x->n_faq);
    folds_free(x->docs, x->n_docs);
    free(x->words);
    for (i = 0; i < x->n_owned; i++)
        free(x->owned[i]);
    free(x->owned);
    free(x);
}

bool kb_gtext_has_word(const struct kb_gtext *x, const struct fold_word *w)
{
    return x->n_words && bsearch(w, x->words, x->n_words, sizeof(*x->words), cmp_word) != NULL;
}
