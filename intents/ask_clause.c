/* intents/ask_clause.c - see ask_clause.h. */
#include "ask_clause.h"

#include <stdbool.h>
#include <string.h>

#define ASK_MAX_WORDS 512 /* words of one message looked at (INTENT_MAX_INPUT bytes) */

struct word {
    size_t start, len;
};

static bool is_sep(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || strchr(",.!?;:()\"", c) != NULL;
}

/* w equals lit, ASCII letters compared without case. */
static bool word_is(const char *text, const struct word *w, const char *lit)
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

static bool word_in(const char *text, const struct word *w, const char *const *list)
{
    for (; *list; list++)
        if (word_is(text, w, *list))
            return true;
    return false;
}

static bool is_number(const char *text, const struct word *w)
{
    size_t i;

    for (i = 0; i < w->len; i++)
        if (text[w->start + i] < '0' || text[w->start + i] > '9')
            return false;
    return w->len > 0;
}

/* "giờ" as "now", not as an hour: not after a number or "mấy/bao/đến/tới",
 * not before "làm việc/hành chính/mở/đóng/nào/chiều/sáng". */
static const char *const hour_before[] = {"mấy", "may", "bao", "đến",  "den",  "tới", "vài",
                                          "vai", "nửa", "nua", "từng", "tung", NULL};
static const char *const hour_after[] = {"hành", "hanh", "mở",    "đóng", "nào",
                                         "nao",  "giấc", "chiều", "sáng", "trưa",
                                         "tối",  "đêm",  "rưỡi",  "ruoi", NULL};
static const char *const now_words[] = {"giờ", "gio", "giừ", NULL};
static const char *const done_words[] = {"xong", NULL};

static bool is_pivot(const char *text, const struct word *w, size_t i, size_t n)
{
    const struct word *prev = i ? &w[i - 1] : NULL;
    const struct word *next = i + 1 < n ? &w[i + 1] : NULL;

    if (word_in(text, &w[i], now_words)) {
        if (prev && (is_number(text, prev) || word_in(text, prev, hour_before) ||
                     word_in(text, prev, now_words)))
            return false;
        if (next && word_in(text, next, hour_after))
            return false;
        if (next && i + 2 < n && (word_is(text, next, "làm") || word_is(text, next, "lam")) &&
            (word_is(text, &w[i + 2], "việc") || word_is(text, &w[i + 2], "viec")))
            return false; /* giờ làm việc */
        return true;
    }
    return word_in(text, &w[i], done_words);
}

size_t ask_clause(const char *text, size_t len, size_t min_words, size_t *words_after)
{
    struct word w[ASK_MAX_WORDS];
    size_t n = 0, i = 0, k;

    if (words_after)
        *words_after = 0;
    if (!text)
        return 0;
    while (i < len && n < ASK_MAX_WORDS) {
        while (i < len && is_sep((unsigned char)text[i]))
            i++;
        if (i >= len)
            break;
        w[n].start = i;
        while (i < len && !is_sep((unsigned char)text[i]))
            i++;
        w[n].len = i - w[n].start;
        n++;
    }
    for (k = n; k-- > 1;) {
        if (n - k - 1 < min_words)
            continue;
        if (is_pivot(text, w, k, n)) {
            if (words_after)
                *words_after = n - k - 1;
            return w[k + 1].start;
        }
    }
    return 0;
}
