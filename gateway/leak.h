/* gateway/leak.h - keeps evaluation text out of the training data: every
 * intent example the importer builds the model from (guide and meta
 * phrases, data/meta/none.txt, the .tsv files of
 * data/intents, and, when message-long, the notes of the lexicon and literal
 * fragments of the rules' patterns) is compared with
 * every line of labelled files (../shared/eval, tests/data/intents.tsv, the
 * held-out split) by the similarity of their character 4-gram sets over the
 * folded text (intents/fold.h, then only a-z, 0-9 and single spaces).
 * Pure functions over caller-owned values, except leak_cli(), which reads
 * files and prints; thread safe. docs/understanding.md, "Keeping evaluation
 * apart", records how the threshold was chosen. */
#ifndef MOTCUA_GATEWAY_LEAK_H
#define MOTCUA_GATEWAY_LEAK_H

#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"

#define LEAK_THRESHOLD_DEFAULT 0.65 /* score at or above which a pair is a leak (measured) */
/* Containment counts this much less than Dice: a short line inside a longer text is often a shared
 * template ("... có cần ... không"), so only a line held almost whole (>= 0.80) is a copy. */
#define LEAK_CONTAIN_DISCOUNT 0.15
/* 4-grams (about 19 folded characters) an evaluation line needs to be scored: shorter lines (a
 * greeting, a procedure's name) coincide between independent writers, so a match proves nothing */
#define LEAK_MIN_GRAMS 16
#define LEAK_TEXT_MAX 4096 /* bytes of one text or line; longer is -E2BIG */

/* The distinct character 4-grams of one folded text, sorted. */
struct leak_grams {
    uint32_t *v; /* new: freed by leak_grams_fini() */
    size_t n;    /* count */
};

struct leak_score {
    double dice;    /* 2|T∩E| / (|T| + |E|) */
    double contain; /* |T∩E| / |E|: how much of the evaluation line the training text holds */
    double score;   /* max(dice, contain - LEAK_CONTAIN_DISCOUNT), compared with the threshold;
                       all three are 0 when |E| < LEAK_MIN_GRAMS */
};

/* Folds UTF-8 s[0..len) for comparison: letters lower-case ASCII without marks
 * (đ -> d), digits kept, every other character a separator, separators
 * collapsed to one space, none at either end. Writes a NUL-terminated result
 * to out (cap bytes) and its length to *out_len. Returns 0, -E2BIG if out is
 * too small, or -EINVAL for invalid UTF-8. */
MC_MUST_CHECK int leak_fold(const char *s, size_t len, char *out, size_t cap, size_t *out_len);

/* Fills g with the 4-grams of the folded s[0..len) (a folded text shorter
 * than 4 bytes gives one gram, itself). Returns 0, -E2BIG if len >
 * LEAK_TEXT_MAX, -EINVAL for invalid UTF-8, or -ENOMEM; g is then empty. */
MC_MUST_CHECK int leak_grams_init(struct leak_grams *g, const char *s, size_t len);

/* Frees what g owns and empties it. */
void leak_grams_fini(struct leak_grams *g);

/* Compares the grams of a training text t with those of an evaluation line e.
 * Dice is symmetric; containment is not: a training text that holds most of
 * an evaluation line (the line plus words around it) is a copy, while a short
 * training text inside a long line (a procedure's name) is only shared
 * vocabulary. An evaluation line of fewer than LEAK_MIN_GRAMS grams scores 0. */
void leak_compare(const struct leak_grams *t, const struct leak_grams *e, struct leak_score *out);

/* The `motcua check-leak [--threshold T] [--histogram] DATA_DIR FILE...`
 * command. Compares every training text with every line of each FILE, and
 * every line of each FILE with every line of the FILEs named before it (so
 * the unit-test file and a held-out split, named after ../shared/eval, are
 * kept apart from it too). Prints each pair at or above the threshold as
 * "copy-place <-> FILE:LINE score S (dice D, contained C): copy text" (the
 * evaluation text itself is never printed) and a summary. Returns the
 * process exit status: 0 clean, 1 leaks found, 2 bad usage or unreadable
 * input. */
int leak_cli(int argc, char **argv);

#endif
