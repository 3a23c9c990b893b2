/* intents/tone.h - one canonical tone-mark placement per Vietnamese syllable.
 * Old style ("hoà", "thuỷ", "khoẻ") and new style ("hòa", "thủy", "khỏe")
 * differ only in open syllables whose vowels are oa, oe or uy; both become the
 * form with the tone on the first vowel ("hòa", "thủy", "khỏe"), as underthesea
 * and VietnameseTextNormalizer do (shared/notes/vietnamese-text.md section 2).
 * Misplaced tones from typing ("hoàn" typed "hòan", "gịa") move to the right
 * vowel, and horns are repaired (ưo -> ươ, uơ + coda -> ươ: "nguời" -> "người").
 * Pure functions; thread safe. */
#ifndef MOTCUA_INTENTS_TONE_H
#define MOTCUA_INTENTS_TONE_H

#include <stddef.h>

#include "mc_err.h"

#define TONE_SYLLABLE_MAX 12 /* code points; longer tokens are not syllables */

/* Writes the canonical form of one lower-case token s[0..len) (valid UTF-8,
 * NFC) to out (cap bytes, NUL included) and its length to *out_len. A token
 * that is not a Vietnamese syllable (foreign word, abbreviation, number, two
 * tone marks) is copied unchanged. The output is never more than len + 4
 * bytes. Returns 0 or -E2BIG (out too small; *out_len is 0). */
MC_MUST_CHECK int tone_canon(const char *s, size_t len, char *out, size_t cap, size_t *out_len);

#endif
