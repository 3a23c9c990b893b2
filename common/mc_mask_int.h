/* common/mc_mask_int.h - shared by the two files of the masker (mc_mask.c:
 * numbers, e-mails and the output; mc_mask_words.c: house numbers and names);
 * not part of its interface. */
#ifndef MOTCUA_COMMON_MC_MASK_INT_H
#define MOTCUA_COMMON_MC_MASK_INT_H

#include <stddef.h>

#include "mc_err.h"

/* What happens to one input byte; mark[] holds one per byte of the text. */
enum {
    MASK_KEEP = 0, /* copied */
    MASK_STAR = 1, /* written as '*' (keeps the shape: "**** *** *78") */
    MASK_NAME = 2, /* the first byte of a name: written as "***" */
    MASK_DROP = 3, /* the rest of a name: not written */
};

/* Marks house numbers and names in s[0..len) (mark has len bytes). Returns 0
 * or -ENOMEM. */
MC_MUST_CHECK int mc_mask_mark_words(const char *s, size_t len, char *mark);

#endif
