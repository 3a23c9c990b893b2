/* common/mc_mask.c - see mc_mask.h.
 * Two passes: the first marks, byte by byte, what is personal (numbers, e-mail
 * local parts, house numbers, names a citizen gives); the second writes the
 * copy. Marking first lets the kinds overlap (a name before a phone number)
 * without one rule undoing another.
 *
 * Numbers: a run of digits (one space, dot or dash between digits allowed, as
 * people write "0912 345 678") with 9 or more digits is a phone or ID number,
 * also when glued to a word ("sdt0912345678", "cccd001203004567"). A run not
 * starting with 0 does not join across spaces ("năm 2020 2021" are two
 * years), money written with thousands dots ("150.000.000") and procedure
 * codes ("1.001193") stay; shorter runs (dates, fees, counts) stay.
 * Words (house numbers, names) are in mc_mask_words.c. */
#include "mc_mask.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mc_mask_int.h"

#define MASK_MIN_DIGITS 9 /* old CMND has 9 digits, phones 10, CCCD 12 */
#define MASK_KEEP_TAIL 2  /* digits left visible so an officer can tell numbers apart */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_sep(char c)
{
    return c == ' ' || c == '.' || c == '-';
}

/* End of the digit run starting at i, and its digit count. Spaces join
 * groups only when spaces_join. */
static size_t digit_run(const char *s, size_t len, size_t i, bool spaces_join, size_t *ndigits)
{
    size_t j = i, last = i, n = 0;

    while (j < len) {
        if (is_digit(s[j])) {
            n++;
            last = j + 1;
            j++;
        } else if (is_sep(s[j]) && (spaces_join || s[j] != ' ') && j + 1 < len &&
                   is_digit(s[j + 1])) {
            j++;
        } else {
            break;
        }
    }
    *ndigits = n;
    return last;
}

/* "1.500.000", "150,000,000": a first group of 1-3 digits (not 0) and then
 * groups of exactly 3 after dots or commas. */
static bool is_money(const char *s, size_t i, size_t end)
{
    size_t g = 0, k;
    bool first = true;

    if (s[i] == '0')
        return false;
    for (k = i; k < end; k++) {
        if (is_digit(s[k])) {
            g++;
            continue;
        }
        if (s[k] != '.' && s[k] != ',')
            return false;
        if ((first && g > 3) || (!first && g != 3))
            return false;
        first = false;
        g = 0;
    }
    return !first && g == 3;
}

/* "1.001193", "2.000986.000.00.00.H12": a national procedure code. */
static bool is_procedure_code(const char *s, size_t i, size_t end)
{
    size_t k;

    if (end - i < 8 || s[i + 1] != '.')
        return false;
    for (k = i + 2; k < i + 8; k++)
        if (!is_digit(s[k]))
            return false;
    return k == end || !is_digit(s[k]);
}

static void mark_digits(char *mark, const char *s, size_t i, size_t end, size_t nd)
{
    size_t k, seen = 0;

    for (k = i; k < end; k++)
        if (is_digit(s[k]) && ++seen <= nd - MASK_KEEP_TAIL)
            mark[k] = MASK_STAR;
}

static void mark_numbers(const char *s, size_t len, char *mark)
{
    size_t i = 0, end, nd;

    while (i < len) {
        if (s[i] == '+' && i + 3 < len && s[i + 1] == '8' && s[i + 2] == '4') {
            /* +84 912 345 678: keep "+84", mask the rest as a phone */
            size_t from = i + 3 + (s[i + 3] == ' ' || s[i + 3] == '.' || s[i + 3] == '-');

            end = from < len && is_digit(s[from]) ? digit_run(s, len, from, true, &nd) : from;
            if (end > from && nd >= 8) {
                mark_digits(mark, s, from, end, nd);
                i = end;
                continue;
            }
        }
        if (!is_digit(s[i]) || (i > 0 && is_digit(s[i - 1]))) {
            i++;
            continue;
        }
        end = digit_run(s, len, i, s[i] == '0', &nd);
        if (nd >= MASK_MIN_DIGITS && !is_money(s, i, end) && !is_procedure_code(s, i, end) &&
            (end == len || !isalpha((unsigned char)s[end]) || nd >= 10))
            mark_digits(mark, s, i, end, nd);
        i = end;
    }
}

static bool is_email_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' || c == '+';
}

static void mark_emails(const char *s, size_t len, char *mark)
{
    size_t i, k;

    for (i = 1; i + 1 < len; i++) {
        if (s[i] != '@' || !is_email_char(s[i - 1]) || !isalnum((unsigned char)s[i + 1]))
            continue;
        for (k = i; k > 0 && is_email_char(s[k - 1]); k--)
            mark[k - 1] = MASK_STAR;
    }
}

int mc_mask_pii(const char *s, size_t len, struct mc_buf *out)
{
    char *mark;
    size_t i, from;
    int rc = 0;

    if (!len)
        return 0;
    mark = calloc(len, 1);
    if (!mark)
        return -ENOMEM;
    mark_numbers(s, len, mark);
    mark_emails(s, len, mark);
    rc = mc_mask_mark_words(s, len, mark);
    for (i = 0; !rc && i < len;) {
        for (from = i; i < len && mark[i] == MASK_KEEP; i++)
            ;
        rc = mc_buf_append(out, s + from, i - from);
        if (rc || i == len)
            break;
        if (mark[i] == MASK_STAR)
            rc = mc_buf_append(out, "*", sizeof "*" - 1);
        else if (mark[i] == MASK_NAME)
            rc = mc_buf_append(out, "***", sizeof "***" - 1);
        i++;
    }
    free(mark);
    return rc;
}
