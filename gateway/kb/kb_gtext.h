/* gateway/kb/kb_gtext.h - the folded words of one procedure guide, built
 * once with the snapshot (style.md rule 18: nothing is parsed twice) so
 * that the conversation matches a message against a guide's names, FAQ
 * questions, document names and text without folding any of them per turn.
 * Folding and splitting are the conversation's own (fold_words_text(),
 * fold_words_split(): pure text helpers, as kb_family.c uses them), so the
 * result is exactly what a turn used to compute. Immutable after
 * kb_gtext_new(); safe to read from any thread. */
#ifndef MOTCUA_GATEWAY_KB_GTEXT_H
#define MOTCUA_GATEWAY_KB_GTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "fold_words.h"

struct json_t;

#define KB_GTEXT_WORDS_MAX 64 /* words kept of one name, FAQ question or document name */

/* One text of the guide, folded by fold_words_text(). */
struct kb_gtext_fold {
    const char *text;    /* folded ("" for a missing text or invalid UTF-8) */
    int rc;              /* what fold_words_text() returned (0, -E2BIG, -EINVAL) */
    struct fold_word *w; /* text's words, "," marks left out, first KB_GTEXT_WORDS_MAX */
    size_t n;            /* of w */
    /* FAQ questions only: the distinct words of w that are not stop words
     * (fold_words_is_stop(), function tier), in order, and for each whether
     * it is a word of the guide's name or short name (their first
     * KB_GTEXT_WORDS_MAX words together; a name cut short by folding counts
     * as none), which tells no question apart. */
    struct fold_word *c;
    bool *named;
    size_t nc;
};

struct kb_gtext {
    const struct json_t *guide;  /* borrowed: the guide this was built from */
    struct kb_gtext_fold *names; /* name, short_name, then each of "aliases" */
    size_t n_names;              /* 2 + aliases */
    struct kb_gtext_fold *faq;   /* "q" of each "faq" entry, by index */
    size_t n_faq;
    struct kb_gtext_fold *docs; /* "name" of each "documents" entry, by index */
    size_t n_docs;
    struct fold_word *words; /* distinct words of every string of the guide, sorted */
    size_t n_words;
    char **owned; /* the folded texts the words point into */
    size_t n_owned;
};

/* Builds the folded words of guide g (borrowed; it must outlive the
 * result). Returns a new kb_gtext (kb_gtext_free()) or NULL on ENOMEM. */
struct kb_gtext *kb_gtext_new(const struct json_t *g);

/* Frees x and all it owns. NULL is a no-op. */
void kb_gtext_free(struct kb_gtext *x);

/* True when w is a word of some string of the guide. */
bool kb_gtext_has_word(const struct kb_gtext *x, const struct fold_word *w);

#endif
