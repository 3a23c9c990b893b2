/* common/mc_mask.c - see mc_mask.h.
 * Two passes: the first marks, byte by byte, what is personal (numbers, e-mail
 * local parts, house numbers, names a citizen gives); the second writes the
 * copy. Marking first lets the kinds overlap (a name before a phone number)
 * without one rule undoing another. The rules live beside this file:
 * mc_mask_numbers.c (numbers in digits), mc_mask_spoken.c (numbers in
 * words), mc_mask_email.c (e-mail addresses), mc_mask_words.c (house numbers
 * and names). */
#include "mc_mask.h"

#include <errno.h>
#include <stdlib.h>

#include "mc_mask_int.h"

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
    mc_mask_mark_numbers(s, len, mark);
    mc_mask_mark_spoken(s, len, mark);
    mc_mask_mark_emails(s, len, mark);
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
