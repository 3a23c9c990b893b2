/* intents/rules_sets.h - named word sets of rules.tsv.
 *
 * Several rules must agree on one vocabulary: every rule about a foreigner
 * needs the same list of nationalities in every spelling ("người hàn",
 * "dân hàn quốc", "quốc tịch mỹ", "ông tây"), and a list copied into ten
 * patterns drifts (one rule knew "campuchia", its neighbour did not). A line
 *   $name<TAB>alternatives[<TAB>weight<TAB>note]
 * defines a set (a PCRE2 alternation, which may use earlier sets), and a
 * pattern writes ${name} where the set goes; it becomes (?:alternatives)
 * before the pattern is compiled, so trigger words and literal matching work
 * as if the list were written out. "${" never occurs in a real pattern ("$"
 * is the end of the subject). Built once at load; read-only after. */
#ifndef MOTCUA_INTENTS_RULES_SETS_H
#define MOTCUA_INTENTS_RULES_SETS_H

#include <stddef.h>

#define RULES_SETS_MAX 64            /* sets in one rules.tsv */
#define RULES_SETS_NAME_MAX 32       /* bytes of a name, [a-z0-9_] */
#define RULES_SETS_PATTERN_MAX 16384 /* bytes of a pattern once expanded */

struct rules_sets;

/* A new empty table, or NULL when out of memory. */
struct rules_sets *rules_sets_new(void);
void rules_sets_free(struct rules_sets *s);

/* Defines set name (without "$") as body, itself expanded first. Returns 0,
 * -ENOMEM, or -EINVAL with why filled (bad or repeated name, empty body,
 * unknown set, too long, too many sets). */
int rules_sets_define(struct rules_sets *s, const char *name, const char *body, char *why,
                      size_t whylen);

/* Writes pat with every ${name} replaced by (?:body) into out[0..outlen).
 * Returns 0, or -EINVAL with why filled (unknown or unclosed name, result
 * longer than outlen - 1). */
int rules_sets_expand(const struct rules_sets *s, const char *pat, char *out, size_t outlen,
                      char *why, size_t whylen);

#endif
