/* common/mc_mask_spoken.c - numbers read out in words (see mc_mask.h):
 * "không chín một hai ba bốn năm sáu bảy tám", "khong 9 mot 2 3 bon 5 6 bay
 * 8", "0913 năm năm năm một hai ba", as elderly citizens and voice typing
 * write them. A run of digit words and digit groups, separated only by
 * spaces, commas, dots or dashes, with 9 or more digits of which at least
 * MIN_WORDS are words and no group is a year ("năm 2019 năm 2020"), is a number: each word becomes
 * one '*' and each digit a '*', except the last MASK_KEEP_TAIL units. Many digit words are also
 * ordinary words ("năm" year, "ba" father, "sau" after, "không" not); nine
 * of them in a row never are. Runs of digits alone are mc_mask_numbers.c's. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "mc_mask_int.h"

#define SPOKEN_MIN_DIGITS 9
#define MIN_WORDS 2      /* fewer words: a digit run for mc_mask_numbers.c */
#define UNITS_MAX 32     /* words and digits remembered per run */
#define SPOKEN_SEP_MAX 3 /* separator bytes between two units: ", " */

/* digit words, with and without diacritics ("ko": teen code for "không";
 * "o": the letter read for 0), and in English */
static const char *const digit_words[] = {
    "không", "khong", "ko",   "một",  "mốt",   "mot",   "hai",  "ba",  "bốn",
    "bon",   "tư",    "năm",  "nam",  "lăm",   "sáu",   "sau",  "bảy", "bẩy",
    "bay",   "tám",   "tam",  "chín", "chin",  "o",     "zero", "one", "two",
    "three", "four",  "five", "six",  "seven", "eight", "nine", NULL};

static bool is_wordish(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (unsigned char)c >= 0x80;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Length of the digit word at i (a whole word), or 0. */
static size_t digit_word_at(const char *s, size_t len, size_t i)
{
    if (i > 0 && is_wordish(s[i - 1]))
        return 0;
    for (const char *const *w = digit_words; *w; w++) {
        size_t n = strlen(*w);

        if (i + n <= len && !strncasecmp(s + i, *w, n) && (i + n == len || !is_wordish(s[i + n])))
            return n;
    }
    return 0;
}

/* Length of the digit group at i (digits only, a whole word), or 0. */
static size_t digit_group_at(const char *s, size_t len, size_t i)
{
    size_t k = i;

    if (i > 0 && is_wordish(s[i - 1]))
        return 0;
    while (k < len && is_digit(s[k]))
        k++;
    return k < len && is_wordish(s[k]) ? 0 : k - i;
}

struct unit {
    size_t start, len;
    bool word;
};

/* "năm 2019 năm 2020": a 4-digit group 19xx/20xx makes the run years */
static bool has_year(const char *s, const struct unit *u, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!u[k].word && u[k].len == 4 &&
            (!strncmp(s + u[k].start, "19", 2) || !strncmp(s + u[k].start, "20", 2)))
            return true;
    return false;
}

/* Masks the run of units (see the file comment). */
static void mark_run(const struct unit *u, size_t n, size_t digits, char *mark)
{
    size_t keep = MASK_KEEP_TAIL, seen = 0;

    for (size_t k = 0; k < n; k++) {
        size_t count = u[k].word ? 1 : u[k].len;

        for (size_t d = 0; d < count; d++, seen++) {
            if (seen + keep >= digits)
                return;
            if (u[k].word) {
                mark[u[k].start] = MASK_STAR;
                memset(mark + u[k].start + 1, MASK_DROP, u[k].len - 1);
            } else {
                mark[u[k].start + d] = MASK_STAR;
            }
        }
    }
}

void mc_mask_mark_spoken(const char *s, size_t len, char *mark)
{
    struct unit u[UNITS_MAX];
    size_t i = 0;

    while (i < len) {
        size_t n = 0, digits = 0, words = 0, k = i, w, sep;

        for (;;) {
            bool word = false;

            if ((w = digit_word_at(s, len, k)) != 0)
                word = true;
            else if ((w = digit_group_at(s, len, k)) == 0)
                break;
            if (n < UNITS_MAX) {
                u[n].start = k;
                u[n].len = w;
                u[n].word = word;
                n++;
                digits += word ? 1 : w;
                words += word;
            }
            k += w;
            sep = k;
            while (sep < len && sep - k < SPOKEN_SEP_MAX && strchr(" ,.-", s[sep]) && s[sep])
                sep++;
            if (sep == k || sep == len ||
                (!digit_word_at(s, len, sep) && !digit_group_at(s, len, sep)))
                break;
            k = sep;
        }
        if (n && digits >= SPOKEN_MIN_DIGITS && words >= MIN_WORDS && !has_year(s, u, n))
            mark_run(u, n, digits, mark);
        if (n) {
            i = k; /* after the run's last unit */
        } else if (is_wordish(s[i])) {
            while (i < len && is_wordish(s[i]))
                i++;
        } else {
            i++;
        }
    }
}
