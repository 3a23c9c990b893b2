/* common/mc_lines.h - reads the lines of a text held in memory (the TSV
 * sources of the lexicon and the rules), skipping blank lines and '#'
 * comments, with a line number for "file:LINE: problem" messages. Borrows
 * the text; no allocation. */
#ifndef MOTCUA_COMMON_MC_LINES_H
#define MOTCUA_COMMON_MC_LINES_H

#include <stddef.h>

#include "mc_err.h"

struct mc_lines {
    const char *p;   /* next unread byte */
    const char *end; /* one past the text */
    unsigned lineno; /* number of the line last returned (1-based) */
};

/* Starts reading text[0..len) (text may be NULL: no lines). */
void mc_lines_init(struct mc_lines *it, const char *text, size_t len);

/* Copies the next line that is neither blank nor a comment into out (cap
 * bytes, NUL-terminated, a trailing CR dropped) and its length to *len.
 * Returns 1, 0 at the end, -E2BIG if the line does not fit (it->lineno
 * names it), or -EINVAL if it holds a NUL byte. */
MC_MUST_CHECK int mc_lines_next(struct mc_lines *it, char *out, size_t cap, size_t *len);

#endif
