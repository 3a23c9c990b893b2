/* intents/ask_words.c - see ask_words.h. */
#include "ask_words.h"

#include <string.h>

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A NUL byte counts as a mark too (strchr finds the terminator): it ends a word. */
static bool is_mark(unsigned char c)
{
    return strchr(",.!?;:()\"", c) != NULL;
}

size_t ask_words(const char *text, size_t len, struct ask_word *w, size_t max)
{
    size_t n = 0, i = 0;
    char mark = 0;

    while (text && i < len && n < max) {
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
    return n;
}

bool ask_word_is(const char *text, const struct ask_word *w, const char *lit)
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

bool ask_word_in(const char *text, const struct ask_word *w, const char *const *list)
{
    for (; *list; list++)
        if (ask_word_is(text, w, *list))
            return true;
    return false;
}
