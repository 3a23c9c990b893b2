/* common/mc_mask_words.c - the words of a text for the word rules of the
 * masker (see mc_mask.h): house numbers and residential units
 * (mc_mask_address.c) and names a citizen gives (mc_mask_names.c). Both are
 * found from the words around them, since "12" alone is a count and "Mai"
 * alone a month or a flower. This file splits the text into words and holds
 * the tests on one word both rule files use. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mc_mask_int.h"

#define HOUSE_MAX_LEN 16 /* bytes; "123/45/6B" is long already */

bool mc_mask_word_in(const char *s, const struct mc_mask_word *w, const char *const *list)
{
    size_t n = w->end - w->start;

    for (; *list; list++)
        if (strlen(*list) == n && !strncasecmp(s + w->start, *list, n))
            return true;
    return false;
}

bool mc_mask_pair_in(const char *s, const struct mc_mask_word *a, const struct mc_mask_word *b,
                     const char *const (*pairs)[2], size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const char *one[] = {pairs[k][0], NULL}, *two[] = {pairs[k][1], NULL};

        if (mc_mask_word_in(s, a, one) && mc_mask_word_in(s, b, two))
            return true;
    }
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Whether the word starts with a capital: ASCII, Latin-1 (À-Þ), Latin
 * Extended-A (Ă, Đ, Ũ: even code points), Ơ, Ư, and the Vietnamese block
 * U+1EA0-U+1EF9 (capitals at even code points). */
bool mc_mask_is_capital(const char *s, const struct mc_mask_word *w)
{
    const unsigned char *p = (const unsigned char *)s + w->start;
    size_t n = w->end - w->start;
    unsigned cp;

    if (!n)
        return false;
    if (p[0] >= 'A' && p[0] <= 'Z')
        return true;
    if (n >= 2 && p[0] >= 0xC3 && p[0] <= 0xC6) {
        cp = ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
        if (cp >= 0xC0 && cp <= 0xDE)
            return cp != 0xD7;
        if (cp >= 0x100 && cp <= 0x17F)
            return cp % 2 == 0;
        return cp == 0x1A0 || cp == 0x1AF;
    }
    if (n >= 3 && p[0] == 0xE1 && (p[1] == 0xBA || p[1] == 0xBB)) {
        cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
        return cp >= 0x1EA0 && cp <= 0x1EF9 && cp % 2 == 0;
    }
    return false;
}

bool mc_mask_has_digit(const char *s, const struct mc_mask_word *w)
{
    for (size_t k = w->start; k < w->end; k++)
        if (is_digit(s[k]))
            return true;
    return false;
}

/* "31/12/2025", "1/7/2025": a date, two slashes and a year */
static bool is_date(const char *s, const struct mc_mask_word *w)
{
    size_t slashes = 0;

    for (size_t k = w->start; k < w->end; k++)
        slashes += s[k] == '/';
    return slashes == 2 && w->end - w->start >= 6 && is_digit(s[w->end - 1]) &&
           is_digit(s[w->end - 4]) && s[w->end - 5] == '/';
}

/* "12", "56B", "123/4", "9/1A": digits with at most one letter after each
 * group, groups joined by '/'. Sets *slash when there is one. */
bool mc_mask_is_house(const char *s, const struct mc_mask_word *w, bool *slash)
{
    size_t k = w->start, digits;

    *slash = false;
    if (w->end - w->start > HOUSE_MAX_LEN || is_date(s, w))
        return false;
    for (;;) {
        for (digits = 0; k < w->end && is_digit(s[k]); k++)
            digits++;
        if (!digits || digits > 4)
            return false;
        if (k < w->end && is_alpha(s[k]))
            k++;
        if (k == w->end)
            return true;
        if (s[k] != '/')
            return false;
        *slash = true;
        k++;
    }
}

/* Splits s into words at ASCII white space. Returns the count; *out new. */
static size_t split(const char *s, size_t len, struct mc_mask_word **out)
{
    size_t i = 0, n = 0, cap = 16;
    struct mc_mask_word *v = malloc(cap * sizeof *v), *bigger;

    while (v && i < len) {
        struct mc_mask_word w = {0};

        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            i++;
        if (i == len)
            break;
        w.start = i;
        while (i < len && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            i++;
        w.end = i;
        while (w.start < w.end && strchr("(\"'", s[w.start]))
            w.start++;
        while (w.end > w.start && strchr(",.:;!?)\"'", s[w.end - 1])) {
            w.colon |= s[w.end - 1] == ':';
            w.stop |= s[w.end - 1] != ':';
            w.end--;
        }
        if (n == cap) {
            cap *= 2;
            bigger = realloc(v, cap * sizeof *v);
            if (!bigger) {
                free(v);
                v = NULL;
                break;
            }
            v = bigger;
        }
        v[n++] = w;
    }
    *out = v;
    return v ? n : 0;
}

bool mc_mask_is_year(const char *s, const struct mc_mask_word *w)
{
    return w->end - w->start == 4 &&
           (!strncmp(s + w->start, "19", 2) || !strncmp(s + w->start, "20", 2));
}

bool mc_mask_is_ascii(const char *s, const struct mc_mask_word *w)
{
    for (size_t k = w->start; k < w->end; k++)
        if ((unsigned char)s[k] >= 0x80)
            return false;
    return true;
}

int mc_mask_mark_words(const char *s, size_t len, char *mark)
{
    struct mc_mask_word *v;
    size_t n = split(s, len, &v);

    if (!v)
        return -ENOMEM;
    mc_mask_mark_houses(s, v, n, mark);
    mc_mask_mark_names(s, v, n, mark);
    mc_mask_mark_areas(s, v, n, len, mark);
    free(v);
    return 0;
}
