/* common/mc_mask_words.c - the word rules of the masker (see mc_mask.h):
 * house numbers and names a citizen gives. Both are found from the words
 * around them, since "12" alone is a count and "Mai" alone a month or a
 * flower:
 * - a house number ("12", "56B", "123/4", "9/1A") is masked after "ngõ",
 *   "ngách", "hẻm", "kiệt"; before one of those or "đường", "phố"; or before
 *   a capitalised word (a street name) when it follows "số", "nhà", "ở",
 *   "tại", "địa chỉ" or has a slash ("123/4 Lê Lợi");
 * - a name is masked after "tên" ("tôi tên là …", "con tôi tên …", "họ tên:
 *   …") or "tôi là …": its capitalised words, or, typed without capitals,
 *   up to 4 words when "là"/":" said a name follows or the first word is a
 *   family name ("toi ten tran van hai"), ending at a word that cannot be
 *   part of a name ("muốn", "cần", "ở", …) or at punctuation.
 * Keywords are listed with and without diacritics, as citizens type both. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mc_mask_int.h"

#define NAME_MAX_WORDS 5
#define NAME_MAX_LOWER 4 /* words taken from a name typed without capitals */
#define HOUSE_MAX_LEN 16 /* bytes; "123/45/6B" is long already */

struct word {
    size_t start, end; /* the core: s[start..end), without edge punctuation */
    bool colon;        /* ended in ':' ("họ tên:") */
    bool stop;         /* ended in , . ; ! ? (nothing of a name after it) */
};

static const char *const strong_words[] = {"ngõ", "ngo",  "ngách", "ngach", "hẻm",
                                           "hem", "kiệt", "kiet",  NULL};
static const char *const street_words[] = {"đường", "duong", "phố", "pho", "Đường", NULL};
static const char *const number_words[] = {"số", "so", "nhà", "nha", NULL};
static const char *const place_words[] = {"ở",   "Ở",   "o",  "tại", "tai",
                                          "chỉ", "chi", "về", "ve",  NULL};
static const char *const date_words[] = {"ngày", "ngay", "tháng", "thang", "hạn", NULL};
static const char *const name_words[] = {"tên", "ten", "Tên", NULL};
static const char *const is_words[] = {"là", "la", NULL};
static const char *const own_words[] = {"con", "cháu", "chau", "tôi", "toi", "em",
                                        "e",   "mình", "minh", "bé",  "be",  NULL};
static const char *const self_words[] = {"tôi",  "toi",  "tui",  "em",  "mình",
                                         "minh", "cháu", "chau", "con", NULL};
static const char *const family_names[] = {
    "nguyễn", "nguyen", "trần", "tran", "lê",  "le",    "phạm",  "pham", "hoàng", "hoang", "huỳnh",
    "huynh",  "phan",   "vũ",   "vu",   "võ",  "vo",    "đặng",  "dang", "bùi",   "bui",   "đỗ",
    "do",     "hồ",     "ho",   "ngô",  "ngo", "dương", "duong", "lý",   "ly",    "đinh",  "dinh",
    "trương", "truong", "lâm",  "lam",  "mai", "tạ",    "ta",    "cao",  "đào",   "dao",   "kha",
    "mạc",    "mac",    "hà",   "ha",   "lữ",  "lu",    "chu",   NULL};
/* words that end a name typed without capitals */
static const char *const stop_words[] = {
    "muốn", "muon", "cần",  "can",   "hỏi", "hoi",  "làm",   "lam",   "ở",   "o",   "sinh", "đăng",
    "dang", "xin",  "thì",  "nha",   "nhé", "nhe",  "ạ",     "a",     "và",  "va",  "cho",  "có",
    "co",   "đi",   "di",   "bị",    "bi",  "đang", "không", "khong", "ko",  "k",   "gì",   "gi",
    "vậy",  "vay",  "theo", "trong", "của", "cua",  "con",   "em",    "tôi", "toi", "mình", "minh",
    "sđt",  "sdt",  "số",   "so",    "nè",  "ne",   "là",    "la",    "ơi",  "oi",  "đệm",  "dem",
    "gọi",  "goi",  "cha",  "mẹ",    "me",  "ghi",  "khác",  "khac",  NULL};

static bool word_in(const char *s, const struct word *w, const char *const *list)
{
    size_t n = w->end - w->start;

    for (; *list; list++)
        if (strlen(*list) == n && !strncasecmp(s + w->start, *list, n))
            return true;
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
static bool is_capital(const char *s, const struct word *w)
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

static bool has_digit(const char *s, const struct word *w)
{
    for (size_t k = w->start; k < w->end; k++)
        if (is_digit(s[k]))
            return true;
    return false;
}

/* "12", "56B", "123/4", "9/1A": digits with at most one letter after each
 * group, groups joined by '/'. Sets *slash when there is one. */
static bool is_house(const char *s, const struct word *w, bool *slash)
{
    size_t k = w->start, digits;

    *slash = false;
    if (w->end - w->start > HOUSE_MAX_LEN)
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
static size_t split(const char *s, size_t len, struct word **out)
{
    size_t i = 0, n = 0, cap = 16;
    struct word *v = malloc(cap * sizeof *v), *bigger;

    while (v && i < len) {
        struct word w = {0};

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

static void mark_houses(const char *s, const struct word *v, size_t n, char *mark)
{
    bool slash;

    for (size_t i = 0; i < n; i++) {
        const struct word *p = i ? &v[i - 1] : NULL, *x = i + 1 < n ? &v[i + 1] : NULL;
        bool hit;

        if (!is_house(s, &v[i], &slash))
            continue;
        hit = p && word_in(s, p, strong_words);
        hit = hit || (x && (word_in(s, x, strong_words) || word_in(s, x, street_words)));
        hit =
            hit || (x && !v[i].stop && is_capital(s, x) && !(p && word_in(s, p, date_words)) &&
                    (slash || (p && (word_in(s, p, number_words) || word_in(s, p, place_words)))));
        for (size_t k = v[i].start; hit && k < v[i].end; k++)
            if (s[k] != '/')
                mark[k] = MASK_STAR;
    }
}

/* Masks the name starting at word j (explicit: "là" or ':' announced it).
 * Returns the index after it. */
static size_t mark_name(const char *s, const struct word *v, size_t n, size_t j, bool explicit,
                        char *mark)
{
    size_t first = j, last = j, max;
    bool capital;

    if (j >= n || v[j].end == v[j].start || has_digit(s, &v[j]))
        return j;
    capital = is_capital(s, &v[j]);
    if (!capital && !explicit && !word_in(s, &v[j], family_names))
        return j;
    max = capital ? NAME_MAX_WORDS : NAME_MAX_LOWER;
    for (; j < n && j - first < max; j++) {
        if (v[j].end == v[j].start || has_digit(s, &v[j]) ||
            (capital ? !is_capital(s, &v[j]) : word_in(s, &v[j], stop_words)))
            break;
        last = j + 1;
        if (v[j].stop)
            break;
    }
    if (last == first)
        return first;
    mark[v[first].start] = MASK_NAME;
    for (size_t k = v[first].start + 1; k < v[last - 1].end; k++)
        mark[k] = MASK_DROP;
    return last;
}

static void mark_names(const char *s, const struct word *v, size_t n, char *mark)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = i + 1;
        bool explicit = v[i].colon;

        if (word_in(s, &v[i], name_words) && !v[i].stop) {
            if (!explicit && j + 1 < n && word_in(s, &v[j], own_words) &&
                word_in(s, &v[j + 1], is_words))
                j++;
            if (!explicit && j < n && word_in(s, &v[j], is_words)) {
                explicit = true;
                j++;
            }
            i = mark_name(s, v, n, j, explicit, mark) - 1;
        } else if (i && word_in(s, &v[i], is_words) && word_in(s, &v[i - 1], self_words) && j < n &&
                   is_capital(s, &v[j])) {
            i = mark_name(s, v, n, j, false, mark) - 1;
        }
    }
}

int mc_mask_mark_words(const char *s, size_t len, char *mark)
{
    struct word *v;
    size_t n = split(s, len, &v);

    if (!v)
        return -ENOMEM;
    mark_houses(s, v, n, mark);
    mark_names(s, v, n, mark);
    free(v);
    return 0;
}
