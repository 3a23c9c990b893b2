/* intents/known.h - which procedure of the portal's list a message names by
 * its official words, for the procedures that have no guide (issue 16: a
 * question about a known procedure without a guide is told what it is and
 * who handles it, not given a neighbour's guide or "I don't understand").
 *
 * The index holds every entry of data/portal_index.tsv, with and without a
 * guide, so that a message about a guided procedure is never read as one of
 * its guide-less neighbours: the best entry wins, and only a guide-less best
 * is reported. A message is compared by its content words (fold_words, the
 * naming stop words left out) weighted by how rare each word is among the
 * official names (IDF), and word pairs count again: most official names are
 * long, so what matters is how much of the MESSAGE the name explains, and
 * that the message names more than one of the name's rarer words.
 *
 * Built once from the knowledge snapshot; read-only after, thread safe; pure
 * (no I/O). */
#ifndef MOTCUA_INTENTS_KNOWN_H
#define MOTCUA_INTENTS_KNOWN_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"

#define KNOWN_MAX_ENTRIES 4096 /* entries of one index (the portal lists 344 at commune level) */
#define KNOWN_WORDS_MAX 96     /* content words read from one name or message; more are ignored */

struct known_entry_spec {
    const char *key;  /* the portal code; borrowed during known_index_new() */
    const char *name; /* UTF-8 official name (and any other naming words) */
    bool has_guide;   /* a guide covers it: never reported, but it can win */
};

struct known_index; /* opaque */

/* What known_match() found. */
struct known_hit {
    size_t entry;    /* index into the spec given to known_index_new() */
    double coverage; /* 0..1: share of the message's word weight the name explains */
    double name_cov; /* 0..1: share of the name's word weight the message names */
    size_t matched;  /* content words in common */
    double score;    /* the ranking score (known_rank()) */
};

/* A new index over e[0..n), or NULL with err set (out of memory, n too
 * large, a name that is not valid UTF-8). */
struct known_index *known_index_new(const struct known_entry_spec *e, size_t n, struct mc_err *err);

/* Frees k; NULL is a no-op. */
void known_index_free(struct known_index *k);

/* Scores the UTF-8 message text against every entry: scores[i] (the caller
 * gives k's entry count of them) is 0 for an entry sharing fewer than
 * KNOWN_MIN_MATCHED words, else its score (higher is better; comparable
 * between the entries of one message only). Fills *best with the best
 * entry's figures and returns true when there is one. */
bool known_rank(const struct known_index *k, const char *text, double *scores,
                struct known_hit *best);

/* The entry count of k. */
size_t known_count(const struct known_index *k);

/* True when hit (from known_rank()) is sure enough to name its entry:
 * thresholds in known.c, docs/understanding.md. */
bool known_hit_sure(const struct known_hit *hit);

/* Compares the UTF-8 message text (best the understanding's normalised view:
 * abbreviations expanded, diacritics restored) with every entry. Returns true
 * and fills *hit when the best entry has no guide and explains the message
 * well enough to name it (thresholds in known.c, docs/understanding.md); false
 * otherwise (hit is then the best entry, if any, for diagnostics). */
bool known_match(const struct known_index *k, const char *text, struct known_hit *hit);

#endif
