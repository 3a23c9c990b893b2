/* common/mc_mask_int.h - shared by the files of the masker (mc_mask.c: the
 * output; mc_mask_numbers.c, mc_mask_spoken.c, mc_mask_email.c: numbers and
 * e-mails; mc_mask_words.c with mc_mask_address.c and mc_mask_names.c: the
 * word rules); each rule marks what it finds. Not part of its interface. */
#ifndef MOTCUA_COMMON_MC_MASK_INT_H
#define MOTCUA_COMMON_MC_MASK_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"

/* What happens to one input byte; mark[] holds one per byte of the text. */
enum {
    MASK_KEEP = 0, /* copied */
    MASK_STAR = 1, /* written as '*' (keeps the shape: "**** *** *78") */
    MASK_NAME = 2, /* the first byte of a name: written as "***" */
    MASK_DROP = 3, /* the rest of a name: not written */
};

#define MASK_KEEP_TAIL 2 /* digits left visible so an officer can tell numbers apart */

/* Each marks what it finds in s[0..len) (mark has len bytes): numbers in
 * digits, numbers read out in words, e-mail local parts. */
void mc_mask_mark_numbers(const char *s, size_t len, char *mark);
void mc_mask_mark_spoken(const char *s, size_t len, char *mark);
void mc_mask_mark_emails(const char *s, size_t len, char *mark);

/* Marks house numbers, residential units and names in s[0..len) (mark has
 * len bytes). Returns 0 or -ENOMEM. */
MC_MUST_CHECK int mc_mask_mark_words(const char *s, size_t len, char *mark);

/* One word of the text (mc_mask_words.c splits at ASCII white space). */
struct mc_mask_word {
    size_t start, end; /* the core: s[start..end), without edge punctuation */
    bool colon;        /* ended in ':' ("họ tên:") */
    bool stop;         /* ended in , . ; ! ? (nothing of a name after it) */
};

/* Tests on one word of s (case-blind for ASCII letters only). */
bool mc_mask_word_in(const char *s, const struct mc_mask_word *w, const char *const *list);
bool mc_mask_pair_in(const char *s, const struct mc_mask_word *a, const struct mc_mask_word *b,
                     const char *const (*pairs)[2], size_t n);
bool mc_mask_is_capital(const char *s, const struct mc_mask_word *w);
bool mc_mask_has_digit(const char *s, const struct mc_mask_word *w);
bool mc_mask_is_ascii(const char *s, const struct mc_mask_word *w);
bool mc_mask_is_year(const char *s, const struct mc_mask_word *w);
/* "12", "56B", "123/4", "9/1A" (not a date); sets *slash when it has one */
bool mc_mask_is_house(const char *s, const struct mc_mask_word *w, bool *slash);

/* The word rules, over the n words v of s. */
void mc_mask_mark_houses(const char *s, const struct mc_mask_word *v, size_t n, char *mark);
void mc_mask_mark_names(const char *s, const struct mc_mask_word *v, size_t n, char *mark);
void mc_mask_mark_areas(const char *s, const struct mc_mask_word *v, size_t n, size_t len,
                        char *mark);

#endif
