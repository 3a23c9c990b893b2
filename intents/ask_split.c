/* intents/ask_split.c - see ask_split.h. */
#include "ask_split.h"

#include <stdbool.h>
#include <string.h>

#define SPLIT_MAX_WORDS 512 /* words of one message looked at (INTENT_MAX_INPUT bytes) */

struct sword {
    size_t start, len;
    char mark; /* the clause mark just before this word, or 0 */
};

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_mark(unsigned char c)
{
    return strchr(",.!?;:()\"", c) != NULL;
}

static bool sword_is(const char *text, const struct sword *w, const char *lit)
{
    size_t i, n = strlen(lit);

    if (w->len != n)
        return false;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[w->start + i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)lit[i])
            return false;
    }
    return true;
}

static bool sword_in(const char *text, const struct sword *w, const char *const *list)
{
    for (; *list; list++)
        if (sword_is(text, w, *list))
            return true;
    return false;
}

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
static bool is_seam(const char *text, const struct sword *w, size_t k, size_t n)
{
    const struct sword *next = k + 1 < n ? &w[k + 1] : NULL;
    bool after_clause = w[k].mark == ',' || w[k].mark == ';';

    if (w[k].mark == '?')
        return true;
    if (after_clause && sword_in(text, &w[k], join_words))
        return true;
    if (after_clause && next && sword_in(text, &w[k], with_words) &&
        sword_in(text, next, with_next))
        return true;
    if (next && sword_in(text, &w[k], by_the_way) && sword_in(text, next, by_the_way_next))
        return true;
    return next && sword_in(text, &w[k], ordinal) && sword_in(text, next, second);
}

size_t ask_split(const char *text, size_t len, size_t min_words, size_t *first_end)
{
    struct sword w[SPLIT_MAX_WORDS];
    size_t n = 0, i = 0, k, j;
    char mark = 0;

    if (first_end)
        *first_end = 0;
    if (!text)
        return 0;
    while (i < len && n < SPLIT_MAX_WORDS) {
        while (i < len && (is_space((unsigned char)text[i]) || is_mark((unsigned char)text[i]))) {
            if (is_mark((unsigned char)text[i]) && mark != '?')
                mark = text[i];
            i++;
        }
        if (i >= len)
            break;
        w[n].start = i;
        w[n].mark = n ? mark : 0;
        mark = 0;
        while (i < len && !is_space((unsigned char)text[i]) && !is_mark((unsigned char)text[i]))
            i++;
        w[n].len = i - w[n].start;
        n++;
    }
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
