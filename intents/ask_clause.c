/* intents/ask_clause.c - see ask_clause.h. */
#include "ask_clause.h"

#include <stdbool.h>
#include <string.h>

#include "ask_words.h"

static bool is_number(const char *text, const struct ask_word *w)
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

static bool is_pivot(const char *text, const struct ask_word *w, size_t i, size_t n)
{
    const struct ask_word *prev = i ? &w[i - 1] : NULL;
    const struct ask_word *next = i + 1 < n ? &w[i + 1] : NULL;

    if (ask_word_in(text, &w[i], now_words)) {
        if (prev && (is_number(text, prev) || ask_word_in(text, prev, hour_before) ||
                     ask_word_in(text, prev, now_words)))
            return false;
        if (next && ask_word_in(text, next, hour_after))
            return false;
        if (next && i + 2 < n &&
            (ask_word_is(text, next, "làm") || ask_word_is(text, next, "lam")) &&
            (ask_word_is(text, &w[i + 2], "việc") || ask_word_is(text, &w[i + 2], "viec")))
            return false; /* giờ làm việc */
        return true;
    }
    return ask_word_in(text, &w[i], done_words);
}

size_t ask_clause(const char *text, size_t len, size_t min_words, size_t *words_after)
{
    struct ask_word w[ASK_WORDS_MAX];
    size_t n, k;

    if (words_after)
        *words_after = 0;
    if (!text)
        return 0;
    n = ask_words(text, len, w, ASK_WORDS_MAX);
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
