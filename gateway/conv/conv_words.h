/* gateway/conv/conv_words.h - the words of a folded text, for the whole
 * conversation: one tokenizer and one stop-word list. Folded text is what
 * conv_text_fold() or the understanding's folded view writes: lower-case
 * ASCII words separated by single spaces, where a "," word marks a clause
 * boundary. Pure functions over static const tables; thread safe. */
#ifndef MOTCUA_GATEWAY_CONV_WORDS_H
#define MOTCUA_GATEWAY_CONV_WORDS_H

#include <stdbool.h>
#include <stddef.h>

struct conv_word {
    const char *p; /* borrowed: points into the text split */
    size_t len;    /* bytes */
};

/* Splits s[0..len) at spaces into its words, in order, leaving out the ","
 * clause marks when skip_marks is set. Writes up to max words to w and
 * returns how many; *more (may be NULL) says whether words were left out
 * because w was full. */
size_t conv_words_split(const char *s, size_t len, bool skip_marks, struct conv_word *w, size_t max,
                        bool *more);

/* Counts the words of s[0..len), "," marks included. */
size_t conv_words_count(const char *s, size_t len);

/* True if w is exactly the word s. */
bool conv_words_is(const struct conv_word *w, const char *s);

/* True if w is one of set[0..n). */
bool conv_words_in(const struct conv_word *w, const char *const *set, size_t n);

/* True if w is a stop word: a function word, pronoun, particle or one-letter
 * word, too common to say what a message is about (matching a guide's FAQ
 * skips these). With naming set, also a word that names no procedure
 * although it can tell two questions about one apart ("giay", "thu tuc",
 * "dang ky", "nop", "ho so", "mat", kinship terms, "o mo"): the topic of a
 * follow-up skips these too. One list, two tiers. */
bool conv_words_is_stop(const struct conv_word *w, bool naming);

#endif
