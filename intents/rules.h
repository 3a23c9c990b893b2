/* intents/rules.h - hand-written PCRE2 rules (data/lexicon/rules.tsv) that
 * add evidence for a label, for "none", or mark a question aspect:
 *   label<TAB>pattern<TAB>weight[<TAB>note]
 * label is a catalogue id, "none", or "@aspect" (@fee @time @documents @where
 * @online @who @form @steps @hours @condition @result @legal). The @aspect
 * rules are the one vocabulary of question aspects: the conversation reads
 * aspects, and where their phrases are, only from here. A pattern written in
 * plain ASCII runs on the folded view ("dang ki khai tu"), one with any
 * Vietnamese letter on the accented view ("đăng ký khai tử"); both views are
 * lower-case, abbreviations expanded. A line "$name<TAB>a|b" defines a
 * named set that later patterns use as ${name} (rules_sets.h). Patterns are compiled once, with
 * PCRE2_UTF | PCRE2_UCP (so \b and \w know Vietnamese letters) and JIT.
 * weight is added to the label's score when the pattern matches (negative
 * weights count against it); for an aspect it is ignored.
 * Speed: a rule runs only on messages holding one of the words its pattern
 * must start with ("\\b(?:giay khai sinh|khai sinh)\\b" runs when "giay" or
 * "khai" is a token); a pattern that starts otherwise runs on every message.
 * Built once, read-only after; rules_apply() is thread safe and does not
 * allocate from the heap. */
#ifndef MOTCUA_INTENTS_RULES_H
#define MOTCUA_INTENTS_RULES_H

#include <stddef.h>

#include "mc_err.h"

#define RULES_MAX 4000        /* rules in rules.tsv */
#define RULES_MAX_LINE 2048   /* bytes in one line */
#define RULES_MAX_WEIGHT 20.0 /* |weight| */

struct rules;

/* Parses the text of rules.tsv (NULL with len 0: no rules). labels are the
 * valid catalogue ids; a rule's label is stored as its index, n_labels for
 * "none". Returns a new rule set (rules_free()) or NULL with err set to
 * "rules.tsv:LINE: problem" (unknown label, bad weight, the PCRE2 compile
 * error and its offset) or "out of memory". */
struct rules *rules_new(const char *text, size_t len, const char *const *labels, size_t n_labels,
                        struct mc_err *err);

/* Frees r; NULL is a no-op. */
void rules_free(struct rules *r);

/* Runs every rule; adds weights into scores[0..n_labels] (index n_labels is
 * "none") and ORs aspect bits (1 << i for rules_aspect_name(i)) into
 * *aspects. Returns 0, or -ENOMEM if PCRE2 cannot get its small scratch. */
MC_MUST_CHECK int rules_apply(const struct rules *r, const char *folded, size_t flen,
                              const char *accented, size_t alen, double *scores, unsigned *aspects);

struct rules_span {
    size_t start;   /* byte offset in the folded view */
    size_t len;     /* bytes, whole tokens */
    unsigned index; /* aspect index (rules_aspect_name()) */
};

/* Finds every match of the @aspect rules (not only the first, as
 * rules_apply() needs) and writes where each is, as whole tokens of the
 * folded view: a match on the accented view is mapped token for token, both
 * views holding the same tokens. Writes up to max spans, in rule order, and
 * returns how many (more are dropped). Thread safe; no heap allocation. */
size_t rules_aspect_spans(const struct rules *r, const char *folded, size_t flen,
                          const char *accented, size_t alen, struct rules_span *out, size_t max);

/* Number of rules, and heap bytes held (JIT code excluded). */
size_t rules_count(const struct rules *r);
/* Rules whose pattern does not start with known words, so they run on
 * every message (see data/lexicon/README.md: start a pattern with a word). */
size_t rules_always_count(const struct rules *r);
size_t rules_memory(const struct rules *r);

/* The name of aspect bit i ("fee", "time", ...), or NULL past the last. */
const char *rules_aspect_name(unsigned i);

#endif
