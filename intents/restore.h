/* intents/restore.h - diacritic restoration for text typed without marks
 * ("dang ky khai tu" -> "đăng ký khai tử").
 *
 * The restorer learns accented syllables and syllable bigrams from the guide
 * corpus and the accented training phrases. A folded syllable's candidates
 * are the accented syllables that fold to it ("tu": tử, tư, từ, tự, tù ...);
 * a Viterbi pass picks the sequence with the best bigram likelihood, with the
 * tokens the user typed with marks, and the lexicon's expansions, as fixed
 * anchors. Ambiguity is settled by context only: a syllable with several
 * candidates is restored when the chosen one has bigram support from a
 * neighbour or is at least RESTORE_DOMINANT of that folded key's uses;
 * otherwise it stays as typed. Unknown teencode spellings whose rewrite is a
 * known syllable are repaired too (f -> ph, w -> qu, z/dz -> d/v/gi, j -> gi,
 * a final g -> ng: "fải", "wá", "zui", "khôg").
 * Built once (restore_learn() ... restore_finish()), read-only after;
 * restore_tokens() is thread safe. */
#ifndef MOTCUA_INTENTS_RESTORE_H
#define MOTCUA_INTENTS_RESTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"
#include "norm.h"

#define RESTORE_MAX_CAND 8    /* candidates kept per folded syllable */
#define RESTORE_DOMINANT 0.85 /* share of uses that makes a candidate safe without context */
/* messages with at least this share of marked words are left alone */
#define RESTORE_MARKED_SHARE 0.5

struct restore;

/* A new, empty restorer, or NULL (out of memory). */
struct restore *restore_new(void);

/* Frees r; NULL is a no-op. */
void restore_free(struct restore *r);

/* Counts the alphabetic syllables of t and their adjacent pairs (a token with
 * a digit breaks the chain). Feed accented text only. Returns 0 or -ENOMEM /
 * -E2BIG. Not after restore_finish(). */
MC_MUST_CHECK int restore_learn(struct restore *r, const struct norm_tokens *t);

/* Builds the candidate lists; r is read-only afterwards. Returns 0 or -ENOMEM. */
MC_MUST_CHECK int restore_finish(struct restore *r);

/* Writes in to *out (initialised here) with diacritics restored on the
 * tokens typed without marks (flag NORM_TOK_RESTORED on those changed), when
 * fewer than RESTORE_MARKED_SHARE of in's typed words carry marks; otherwise
 * copies in, repairing only unknown teencode spellings. Returns 0. */
MC_MUST_CHECK int restore_tokens(const struct restore *r, const struct norm_tokens *in,
                                 struct norm_tokens *out);

/* True if some learnt syllable folds to fold[0..len). */
bool restore_knows_fold(const struct restore *r, const char *fold, size_t len);

/* Distinct syllables learnt, and heap bytes held. */
size_t restore_count(const struct restore *r);
size_t restore_memory(const struct restore *r);

#endif
