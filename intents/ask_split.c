/* intents/ask_split.c - see ask_split.h. */
#include "ask_split.h"

#include <stdbool.h>
#include <string.h>

#include "ask_words.h"

/* Joining words that start a second question after a comma or semicolon. */
static const char *const join_words[] = {"và", "va", "còn", NULL}; /* not "con": a child */
static const char *const with_words[] = {"với", "voi", "vs", NULL};
static const char *const with_next[] = {"cả", "ca", "lại", "lai", NULL};
/* "tiện hỏi", "tiện thể", "thứ hai": a second question anywhere */
static const char *const by_the_way[] = {"tiện", "tien", NULL};
static const char *const by_the_way_next[] = {"hỏi", "hoi", "thể", "the", NULL};
static const char *const ordinal[] = {"thứ", "thu", NULL};
static const char *const second[] = {"hai", "2", NULL};

/* Whether word k starts a second question (ask_split.h). */
static bool is_seam(const char *text, const struct ask_word *w, size_t k, size_t n)
{
    const struct ask_word *next = k + 1 < n ? &w[k + 1] : NULL;
    bool after_clause = w[k].mark == ',' || w[k].mark == ';';

    if (w[k].mark == '?')
        return true;
    if (after_clause && ask_word_in(text, &w[k], join_words))
        return true;
    if (after_clause && next && ask_word_in(text, &w[k], with_words) &&
        ask_word_in(text, next, with_next))
        return true;
    if (next && ask_word_in(text, &w[k], by_the_way) && ask_word_in(text, next, by_the_way_next))
        return true;
    return next && ask_word_in(text, &w[k], ordinal) && ask_word_in(text, next, second);
}

size_t ask_split(const char *text, size_t len, size_t min_words, size_t *first_end)
{
    struct ask_word w[ASK_WORDS_MAX];
    size_t n, k, j;

    if (first_end)
        *first_end = 0;
    if (!text)
        return 0;
    n = ask_words(text, len, w, ASK_WORDS_MAX);
    for (k = 1; k < n; k++) { /* the first seam: "..., và tiện hỏi ..." is one */
        if (!is_seam(text, w, k, n))
            continue;
        if (k < min_words || n - k < min_words)
            continue;
        if (first_end) {
            j = w[k - 1].start + w[k - 1].len;
            *first_end = j;
        }
        return w[k].start;
    }
    return 0;
}
