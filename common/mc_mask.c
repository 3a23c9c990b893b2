/* common/mc_mask.c - see mc_mask.h.
 * A run of digits (spaces, dots and dashes inside it allowed, as people write
 * "0912 345 678" or "0912.345.678") with 9 or more digits in all is personal
 * (phone or ID); shorter runs are dates, fees and counts and stay readable. */
#include "mc_mask.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#define MASK_MIN_DIGITS 9 /* old CMND has 9 digits, phones 10, CCCD 12 */
#define MASK_KEEP_TAIL 2  /* digits left visible so an officer can tell numbers apart */

static bool is_sep(char c)
{
    return c == ' ' || c == '.' || c == '-';
}

/* End of the digit run starting at i, and its digit count. */
static size_t digit_run(const char *s, size_t len, size_t i, size_t *ndigits)
{
    size_t j = i, last = i, n = 0;

    while (j < len) {
        if (isdigit((unsigned char)s[j])) {
            n++;
            last = j + 1;
            j++;
        } else if (is_sep(s[j]) && j + 1 < len && isdigit((unsigned char)s[j + 1])) {
            j++;
        } else {
            break;
        }
    }
    *ndigits = n;
    return last;
}

static bool is_email_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' || c == '+';
}

int mc_mask_pii(const char *s, size_t len, struct mc_buf *out)
{
    size_t i = 0, end, nd, seen, k;
    int rc;

    while (i < len) {
        char c = s[i];

        if (isdigit((unsigned char)c) && (i == 0 || !isalnum((unsigned char)s[i - 1]))) {
            end = digit_run(s, len, i, &nd);
            if (nd >= MASK_MIN_DIGITS) {
                for (k = i, seen = 0; k < end; k++) {
                    char o = s[k];

                    if (isdigit((unsigned char)o)) {
                        seen++;
                        if (seen <= nd - MASK_KEEP_TAIL)
                            o = '*';
                    }
                    rc = mc_buf_append(out, &o, 1);
                    if (rc)
                        return rc;
                }
                i = end;
                continue;
            }
            rc = mc_buf_append(out, s + i, end - i);
            if (rc)
                return rc;
            i = end;
            continue;
        }
        if (c == '+' && i + 3 < len && s[i + 1] == '8' && s[i + 2] == '4') {
            /* +84 912 345 678: keep "+84", mask the rest as a phone */
            end = digit_run(s, len, i + 3 + (s[i + 3] == ' '), &nd);
            if (nd >= 8) {
                rc = mc_buf_append(out, "+84", 3);
                for (k = i + 3; !rc && k < end; k++)
                    rc = mc_buf_append(
                        out, isdigit((unsigned char)s[k]) && k < end - MASK_KEEP_TAIL ? "*" : s + k,
                        1);
                if (rc)
                    return rc;
                i = end;
                continue;
            }
        }
        if (c == '@' && i > 0 && is_email_char(s[i - 1]) && i + 1 < len &&
            isalnum((unsigned char)s[i + 1])) {
            /* mask the local part already written: walk back in out */
            k = out->len;
            while (k > 0 && is_email_char(out->data[k - 1]))
                out->data[--k] = '*';
        }
        rc = mc_buf_append(out, &c, 1);
        if (rc)
            return rc;
        i++;
    }
    return 0;
}
