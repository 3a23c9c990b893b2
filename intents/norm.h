/* intents/norm.h - the first step of understanding: turn a citizen's message
 * into tokens with two views each.
 *
 * norm_text() checks the UTF-8, applies ICU NFKC_Casefold (composes text
 * pasted decomposed from Word or typed CP1258-style, lower-cases Đ -> đ, maps
 * full-width letters, drops zero-width characters), maps ð to đ, splits into
 * tokens on everything that is not a letter, digit or mark (punctuation, emoji
 * and symbols vanish; numbers are kept), collapses letter elongation
 * ("khôngggg", "điiii", "nhaaa") and canonicalises tone placement (tone.h).
 * Each token has an accented form and a folded form (ASCII, đ -> d).
 * Pure functions; thread safe; no allocation. */
#ifndef MOTCUA_INTENTS_NORM_H
#define MOTCUA_INTENTS_NORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"

#define NORM_MAX_INPUT 2048 /* bytes of UTF-8 accepted by norm_text(); more is -E2BIG */
#define NORM_TEXT_MAX 4096  /* bytes of each view, NUL included */
#define NORM_MAX_TOKENS 512 /* tokens kept; more are dropped and flagged */
#define NORM_TOKEN_MAX 64   /* bytes of one token; longer ones are cut at a code point */

enum norm_token_flag {
    NORM_TOK_MARKED = 1u << 0,   /* typed with a tone or shape mark (đ alone does not count) */
    NORM_TOK_NUMBER = 1u << 1,   /* only digits */
    NORM_TOK_DIGIT = 1u << 2,    /* holds at least one digit */
    NORM_TOK_EXPANDED = 1u << 3, /* written by the lexicon, not typed */
    NORM_TOK_RESTORED = 1u << 4, /* diacritics restored from context */
    NORM_TOK_DBAR = 1u << 5,     /* holds đ */
    NORM_TOK_ALPHA = 1u << 6     /* holds a letter */
};

struct norm_token {
    uint16_t acc;      /* offset of the accented form in norm_tokens.acc */
    uint16_t acc_len;  /* bytes */
    uint16_t fold;     /* offset of the folded form in norm_tokens.fold */
    uint16_t fold_len; /* bytes */
    uint16_t flags;    /* enum norm_token_flag bits */
};

/* Tokens and the two views, each view the tokens joined by one space. */
struct norm_tokens {
    char acc[NORM_TEXT_MAX]; /* accented view, NUL-terminated */
    size_t acc_len;
    char fold[NORM_TEXT_MAX]; /* folded view, NUL-terminated */
    size_t fold_len;
    struct norm_token tok[NORM_MAX_TOKENS];
    size_t n_tok;
    size_t n_marked; /* tokens with NORM_TOK_MARKED */
    size_t n_alpha;  /* tokens holding a letter */
    bool truncated;  /* tokens were dropped because a view or the token array was full */
};

/* Empties t. */
void norm_tokens_init(struct norm_tokens *t);

/* Appends one token whose accented form acc[0..len) is already lower-case,
 * NFC, canonical (as norm_text() writes it); computes its folded form and the
 * digit/đ flags, and ORs in flags. Returns 0, or -E2BIG when t is full (t is
 * unchanged apart from truncated = true). */
MC_MUST_CHECK int norm_tokens_push(struct norm_tokens *t, const char *acc, size_t len,
                                   unsigned flags);

/* Appends token i of in to t unchanged (both views, flags), ORing in flags.
 * Returns 0, or -E2BIG when t is full (t->truncated set). */
MC_MUST_CHECK int norm_tokens_copy(struct norm_tokens *t, const struct norm_tokens *in, size_t i,
                                   unsigned flags);

/* Normalises s[0..len) into *out (which it initialises). Returns 0, -EINVAL
 * for invalid UTF-8 or a NUL byte, -E2BIG if len > NORM_MAX_INPUT or the
 * compatibility mappings expand the text past NORM_TEXT_MAX, or -EIO if ICU
 * fails. Tokens past NORM_MAX_TOKENS are dropped (out->truncated). */
MC_MUST_CHECK int norm_text(const char *s, size_t len, struct norm_tokens *out);

/* True if the folded token f[0..len) is a consonant onset (qu included) and
 * a sole y: "ly", "ky", "quy", "my" but not "thuy", "huy" or "tay". Such a y
 * is a spelling variant of i ("lý/lí", "kỹ/kĩ"), so matching reads it as i. */
bool norm_is_sole_y(const char *f, size_t len);

#endif
