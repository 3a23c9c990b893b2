/* intents/fold.h - Vietnamese letters as data: a precomposed letter is a base
 * vowel (a ă â e ê i o ô ơ u ư y) plus one of six tones, and every Latin letter
 * folds to one lower-case ASCII letter (all marks removed, đ/Đ/ð/Ð -> d).
 * ICU's transliterators do the same 100x slower (shared/notes/vietnamese-text.md
 * section 1.1), so this is a static table, checked against ICU's NFD data by
 * tests/unit/test_fold.c. Pure functions over static const tables; thread safe. */
#ifndef MOTCUA_INTENTS_FOLD_H
#define MOTCUA_INTENTS_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"

enum fold_tone {
    FOLD_TONE_NONE = 0, /* ngang */
    FOLD_TONE_GRAVE,    /* huyền: à */
    FOLD_TONE_ACUTE,    /* sắc: á */
    FOLD_TONE_HOOK,     /* hỏi: ả */
    FOLD_TONE_TILDE,    /* ngã: ã */
    FOLD_TONE_DOT,      /* nặng: ạ */
    FOLD_TONE_COUNT
};

enum fold_vowel {
    FOLD_V_NONE = 0, /* not a Vietnamese vowel letter */
    FOLD_V_A,        /* a */
    FOLD_V_AW,       /* ă */
    FOLD_V_AA,       /* â */
    FOLD_V_E,        /* e */
    FOLD_V_EE,       /* ê */
    FOLD_V_I,        /* i */
    FOLD_V_O,        /* o */
    FOLD_V_OO,       /* ô */
    FOLD_V_OW,       /* ơ */
    FOLD_V_U,        /* u */
    FOLD_V_UW,       /* ư */
    FOLD_V_Y,        /* y */
    FOLD_V_COUNT
};

struct fold_letter {
    char ascii;          /* lower-case ASCII letter it folds to, or 0 */
    unsigned char vowel; /* enum fold_vowel */
    unsigned char tone;  /* enum fold_tone */
};

/* Describes code point cp (either case). Returns true and fills *out for an
 * ASCII letter or a Latin letter that folds to one; false otherwise. */
bool fold_letter_of(uint32_t cp, struct fold_letter *out);

/* The lower-case code point of vowel v with tone t, or 0 if v or t is out of
 * range or v is FOLD_V_NONE. */
uint32_t fold_compose(unsigned v, unsigned t);

/* True if vowel v carries a hat, breve or horn (ă â ê ô ơ ư). */
bool fold_vowel_is_shaped(unsigned v);

/* Folds valid UTF-8 s[0..len) to out: Latin letters become lower-case ASCII
 * (đ -> d, every mark dropped), combining marks U+0300..U+036F are dropped,
 * everything else is copied. Writes the length to *out_len and a NUL after it.
 * Returns 0, -E2BIG if out (cap bytes, NUL included) is too small (out then
 * holds a truncated prefix), or -EINVAL for invalid UTF-8. */
MC_MUST_CHECK int fold_text(const char *s, size_t len, char *out, size_t cap, size_t *out_len);

#endif
