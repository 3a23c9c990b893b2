/* intents/fold_words.h - a text in matching form and its words: the folded
 * text that the conversation and the knowledge snapshot compare (lower-case
 * ASCII words separated by single spaces, a "," word marking a clause
 * boundary) and the one tokenizer over it. Here, below both, so that the
 * knowledge snapshot (gateway/kb/) folds its guides with the conversation's
 * own functions without depending on the conversation. One tokenizer and
 * one stop-word list (style rule 16). Pure functions over static const
 * tables; thread safe. */
#ifndef MOTCUA_INTENTS_FOLD_WORDS_H
#define MOTCUA_INTENTS_FOLD_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"

#define FOLD_WORDS_TEXT_MAX 4096 /* bytes of a folded text, NUL included (input is <= 2048) */

/* Folds valid UTF-8 s to matching form: lower-case ASCII words separated by
 * single spaces (marks dropped, đ -> d, "y" kept as typed, unlike the
 * understanding's folded view), sentence punctuation [,.;:!?] and newlines
 * become a "," token so a clause boundary survives, every other character
 * is a space. "Tôi ở P. Hoàn Kiếm, nộp ở đâu?" -> "toi o p , hoan kiem , nop
 * o dau ,". Writes at most cap bytes (NUL included). Returns 0, -E2BIG when
 * out is too small (out then holds the folded prefix, cut at a word), or
 * -EINVAL for invalid UTF-8. */
MC_MUST_CHECK int fold_words_text(const char *s, char *out, size_t cap);

struct fold_word {
    const char *p; /* borrowed: points into the text split */
    size_t len;    /* bytes */
};

/* Splits s[0..len) at spaces into its words, in order, leaving out the ","
 * clause marks when skip_marks is set. Writes up to max words to w and
 * returns how many; *more (may be NULL) says whether words were left out
 * because w was full. */
size_t fold_words_split(const char *s, size_t len, bool skip_marks, struct fold_word *w, size_t max,
                        bool *more);

/* One of 64 bits for the word w (not empty), the same for equal words, so a
 * set of words kept as the OR of their bits rules most other words out in
 * one test (a bit that is set proves nothing: compare the words then). */
static inline uint64_t fold_words_bit(const struct fold_word *w)
{
    unsigned h =
        (unsigned char)w->p[0] * 31u + (unsigned)w->len * 7u + (unsigned char)w->p[w->len - 1];

    return (uint64_t)1 << (h & 63);
}

/* Counts the words of s[0..len), "," marks included. */
size_t fold_words_count(const char *s, size_t len);

/* True if w is exactly the word s. */
bool fold_words_is(const struct fold_word *w, const char *s);

/* True if w is one of set[0..n). */
bool fold_words_in(const struct fold_word *w, const char *const *set, size_t n);

/* True if w is a stop word: a function word, pronoun, particle or one-letter
 * word, too common to say what a message is about (matching a guide's FAQ
 * skips these). With naming set, also a word that names no procedure
 * although it can tell two questions about one apart ("giay", "thu tuc",
 * "dang ky", "nop", "ho so", "mat", kinship terms, "o mo"): the topic of a
 * follow-up skips these too. One list, two tiers. */
bool fold_words_is_stop(const struct fold_word *w, bool naming);

#endif
