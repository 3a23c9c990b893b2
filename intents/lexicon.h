/* intents/lexicon.h - abbreviations and teencode (data/lexicon/abbrev.tsv),
 * expanded with context rules: a key such as "dk" (đăng ký or được), "hk"
 * (hộ khẩu or không) or "ks" (khai sinh or kỹ sư) has several lines, tried in
 * file order; the first whose context holds wins, and with none the token is
 * left as typed. The file format is in data/lexicon/README.md:
 *   key<TAB>expansion<TAB>context<TAB>note
 * key: 1..LEX_KEY_TOKENS tokens as typed ("dk", "ở mô"); an ASCII key with d
 *      also matches đ ("dk" matches "đk").
 * expansion: the words it stands for, or "-" to keep the key as typed.
 * context: empty or "*" (always), or conditions joined by ";", all must hold:
 *      next=A|B  the following words begin with A or B
 *      prev=A|B  the preceding words end with A or B
 *      near=A|B  A or B within LEX_NEAR_WORDS words either side
 *      !next= !prev= !near=   the negations
 *      first, last, alone     position in the message
 *   Words are compared folded, so "kết hôn" also matches "ket hon"; "#" is
 *   any number. Contexts look at the message as typed, not expanded.
 * A lex is built once and read-only after; lex_expand() is thread safe. */
#ifndef MOTCUA_INTENTS_LEXICON_H
#define MOTCUA_INTENTS_LEXICON_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"
#include "norm.h"

#define LEX_KEY_TOKENS 4      /* tokens in one key */
#define LEX_NEAR_WORDS 4      /* words either side for near= */
#define LEX_MAX_ENTRIES 20000 /* lines in abbrev.tsv */
#define LEX_MAX_LINE 1024     /* bytes in one line */

struct lex;

/* Parses the text of abbrev.tsv (text may be NULL when len is 0: an empty
 * lexicon). Returns a new lex (free with lex_free()) or NULL with err set to
 * "abbrev.tsv:LINE: problem" or "out of memory". */
struct lex *lex_new(const char *text, size_t len, struct mc_err *err);

/* Frees lx; NULL is a no-op. */
void lex_free(struct lex *lx);

/* Writes in, with abbreviations expanded, to *out (initialised here).
 * Expanded tokens carry NORM_TOK_EXPANDED. Returns 0; when out fills up the
 * rest is dropped and out->truncated is set. */
MC_MUST_CHECK int lex_expand(const struct lex *lx, const struct norm_tokens *in,
                             struct norm_tokens *out);

/* True if acc[0..len) (one canonical token) is a key of some entry. */
bool lex_is_key(const struct lex *lx, const char *acc, size_t len);

/* Number of entries (lines) and heap bytes held. */
size_t lex_count(const struct lex *lx);
size_t lex_memory(const struct lex *lx);

/* Calls fn for each expansion text (normalised, accented), e.g. to teach the
 * restorer the words expansions produce. */
void lex_each_expansion(const struct lex *lx, void (*fn)(void *ctx, const char *s, size_t len),
                        void *ctx);

#endif
