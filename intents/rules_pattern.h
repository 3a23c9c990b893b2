/* intents/rules_pattern.h - what a rule's pattern says before it is compiled.
 *
 * Two readings of a rules.tsv pattern, both conservative (a shape they do
 * not follow is "no answer", never a wrong one), used by rules.c to index a
 * rule so it runs only where it can match:
 *   - its FIRST words: the whole words a match must begin with, for the
 *     common shapes \bword ..., \b(?:alt one|alt two) ..., (?:optional )?word;
 *   - its phrases, when the pattern is only words, spaces and (?:a|b)?
 *     groups: "\b(?:giay khai sinh|dang (?:ky|ki) khai sinh)\b" is a short
 *     list of phrases, checked with memcmp instead of a PCRE2 call.
 * Pure: no state, no PCRE2; split from rules.c so each reads in one sitting. */
#ifndef MOTCUA_INTENTS_RULES_PATTERN_H
#define MOTCUA_INTENTS_RULES_PATTERN_H

#include <stddef.h>

#define RULES_PATTERN_MAX_FIRST 64    /* first words collected from one pattern */
#define RULES_PATTERN_MAX_LITERALS 64 /* phrases a literal pattern expands to */
#define RULES_PATTERN_LITERAL_MAX 200 /* bytes of one expanded phrase */

/* The first words, pointing into the pattern (w[i][0..len[i])). */
struct rules_pattern_first {
    const char *w[RULES_PATTERN_MAX_FIRST];
    size_t len[RULES_PATTERN_MAX_FIRST];
    size_t n;
};

/* Expanded phrases (not NUL-terminated: s[i][0..len[i])). About 13 KB:
 * allocate it, do not put it on the stack. */
struct rules_pattern_lits {
    char s[RULES_PATTERN_MAX_LITERALS][RULES_PATTERN_LITERAL_MAX];
    size_t len[RULES_PATTERN_MAX_LITERALS];
    size_t n;
};

/* FIRST(pat[0..n)) into *f. Returns 0, or -1 when the start is a shape not
 * followed (a class, a dot, \w, a quantified letter, a word glued to a
 * group, a lookaround), a match could begin without a word, or there are
 * more than RULES_PATTERN_MAX_FIRST words: the rule then runs everywhere. */
int rules_pattern_first(const char *pat, size_t n, struct rules_pattern_first *f);

/* The phrases pat[b..e) stands for (the caller strips ^ and \b at the ends)
 * into *out. Returns 0 with out->n > 0, or -1 when the sequence is not
 * literal, expands past the limits, or memory ran out. */
int rules_pattern_literals(const char *pat, size_t b, size_t e, struct rules_pattern_lits *out);

#endif
