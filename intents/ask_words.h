/* intents/ask_words.h - the words of a message as typed, for the scanners
 * that look for where its request starts (ask_clause.h) or where a second
 * question starts (ask_split.h): both read the raw text, before
 * normalisation, so their cue words keep their diacritics ("giờ" is not
 * "gió"). One word is a run of bytes between spaces and clause marks
 * (,.!?;:()"); each remembers the mark before it. Pure, no allocation. */
#ifndef MOTCUA_INTENTS_ASK_WORDS_H
#define MOTCUA_INTENTS_ASK_WORDS_H

#include <stdbool.h>
#include <stddef.h>

#define ASK_WORDS_MAX 512 /* words of one message looked at (INTENT_MAX_INPUT bytes) */

struct ask_word {
    size_t start, len; /* bytes of the text */
    char mark;         /* the clause mark just before it ('?' wins over later ones), or 0 */
};

/* Fills w[0..max) with the words of text[0..len) in order; returns how many
 * (at most max: the rest is not looked at). The first word has no mark. */
size_t ask_words(const char *text, size_t len, struct ask_word *w, size_t max);

/* Whether w equals lit, ASCII letters compared without case, other bytes as
 * typed ("và" and "va" are different words). */
bool ask_word_is(const char *text, const struct ask_word *w, const char *lit);

/* Whether w equals one of the words of list (NULL-terminated). */
bool ask_word_in(const char *text, const struct ask_word *w, const char *const *list);

#endif
