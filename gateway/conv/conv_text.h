/* gateway/conv/conv_text.h - text helpers of the conversation: folding a
 * citizen's words for matching, cutting quick-reply titles, and filling the
 * {placeholders} of reviewed answer templates. Pure functions (no I/O, no
 * state); safe from any thread. */
#ifndef MOTCUA_GATEWAY_CONV_TEXT_H
#define MOTCUA_GATEWAY_CONV_TEXT_H

#include <stddef.h>

#include "fold_words.h"

#include "mc_buf.h"
#include "mc_err.h"

#define CONV_TEXT_VAR_NAME_MAX 32 /* bytes of a placeholder name inside { } */

/* Copies valid UTF-8 s into out (cap bytes, NUL included) as at most
 * max_chars code points. A longer s is cut after a whole word when one ends
 * in the second half of the limit (else at a code point boundary) and "…"
 * marks the cut, within the limit: "Làm giấy khai sinh cho con" -> "Làm giấy
 * khai sinh…". Returns out. Messenger: titles <= 20 characters. */
char *conv_text_cut(const char *s, size_t max_chars, char *out, size_t cap);

struct conv_text_var {
    const char *name;  /* placeholder name without braces, e.g. "office_name" */
    const char *value; /* text put in its place; NULL leaves the placeholder as written */
};

/* Appends tmpl to out with each {name} of vars[0..n) replaced by its value.
 * A placeholder that is not in vars is kept as written, so a reviewer sees
 * it rather than a silent gap. Returns 0, or -E2BIG/-ENOMEM from out. */
MC_MUST_CHECK int conv_text_fill(const char *tmpl, const struct conv_text_var *vars, size_t n,
                                 struct mc_buf *out);

#endif
