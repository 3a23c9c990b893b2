/* gateway/admin/teach.h - teaching the bot from the console (issue 15): an
 * admin assigns a question to a catalogue id (or "none") and every worker's
 * understanding index includes it for the next message, without a restart.
 *
 * Taught phrases live in the state database (store.h, store_phrase_*) with
 * a revision bumped by every add and delete. A worker's index is built from
 * the knowledge base's phrases plus the taught ones (teach_build_index), and
 * the worker remembers the revision it was built at (gw->taught_rev). Before
 * each turn, on its housekeeping tick and on a notification,
 * teach_build_refresh() compares it with the stored revision and, when
 * another process changed the phrases, rebuilds the index off the loop and
 * swaps it in between turns (teach_build.h), as a reload swaps the knowledge
 * snapshot. The worker that answers the POST swaps in the index it already
 * built for the conflict check. teach_refresh() builds on the calling
 * thread: at start only, before the loop serves.
 *
 * A phrase is refused (teach_check_near, teach_check_index) when it would
 * break what the bot already understands - docs/admin.md, "Conflicts":
 *   1. duplicate: its folded words equal those of a phrase with the same
 *      label (data/ or taught): it teaches nothing;
 *   2. near_other: its folded word set has Jaccard >= TEACH_NEAR with a
 *      phrase labelled differently: the same question cannot mean both;
 *   3. breaks: with it in the index, a phrase the index was built from that
 *      the bot answered with its own label (decision match, or none for a
 *      "none" phrase) is no longer answered so. Only the phrases sharing
 *      words with it (Jaccard >= TEACH_AFFECT, at most TEACH_AFFECT_MAX, the
 *      most similar first) are re-read: the rest are out of its reach in
 *      practice, and the work stays bounded (one index build, a few hundred
 *      matches).
 * The pure parts (folding, word sets, the two checks) take no gw and are
 * tested in tests/unit/test_teach.c. Event-loop thread only. */
#ifndef MOTCUA_GATEWAY_ADMIN_TEACH_H
#define MOTCUA_GATEWAY_ADMIN_TEACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "intent.h"
#include "mc_err.h"

#define TEACH_TEXT_MAX 512     /* bytes of a taught phrase (store.h STORE_PHRASE_TEXT_MAX) */
#define TEACH_LABEL_MAX 64     /* bytes with the NUL: a catalogue id or "none" */
#define TEACH_WORDS_MAX 64     /* distinct words a word set keeps (the first ones) */
#define TEACH_NEAR 0.8         /* Jaccard of two word sets that ask the same question */
#define TEACH_AFFECT 0.3       /* ... of a phrase re-read with a new phrase in the index */
#define TEACH_AFFECT_MAX 256   /* phrases re-read per check */
#define TEACH_FOLD_MAX 4096    /* bytes of a folded view (intent.h INTENT_NORM_MAX) */
#define TEACH_MAX_PHRASES 2000 /* taught phrases one index takes */

struct gw;
struct kb;
struct store;

/* The set of distinct words of a folded text (64-bit hashes, sorted). */
struct teach_words {
    uint64_t h[TEACH_WORDS_MAX];
    size_t n;
};

/* Folds text with the understanding's normaliser (norm_text(): NFKC
 * casefold, tokens, marks dropped, đ -> d; no abbreviation expansion) into
 * out[cap]: the words joined by one space. Returns 0, -EINVAL (not valid
 * UTF-8 or a NUL byte), -E2BIG (too long) or -EIO (ICU failed). */
MC_MUST_CHECK int teach_fold(const char *text, size_t len, char *out, size_t cap);

/* The word set of a folded text (teach_fold()'s output). */
void teach_words_of(const char *folded, struct teach_words *w);

/* |a ∩ b| / |a ∪ b|; 1.0 for two empty sets (nothing tells them apart). */
double teach_jaccard(const struct teach_words *a, const struct teach_words *b);

enum teach_verdict { TEACH_OK, TEACH_DUPLICATE, TEACH_NEAR_OTHER, TEACH_BREAKS };

struct teach_conflict {
    enum teach_verdict verdict;
    char text[TEACH_TEXT_MAX + 1]; /* the existing phrase it conflicts with */
    char label[TEACH_LABEL_MAX];   /* that phrase's label */
    char answer[TEACH_LABEL_MAX];  /* TEACH_BREAKS: what the bot would answer it with
                                      ("clarify" when it would ask) */
    double similarity;             /* Jaccard with the new phrase */
};

/* "duplicate", "near_other", "breaks" or "ok". */
const char *teach_verdict_name(enum teach_verdict v);

/* Rules 1 and 2 over phrases[0..n) (the index's phrases: data and taught)
 * for a new phrase text labelled label. Fills *out (verdict TEACH_OK when
 * neither applies). Returns 0, or what teach_fold() returns for text. */
MC_MUST_CHECK int teach_check_near(const struct intent_example *phrases, size_t n, const char *text,
                                   const char *label, struct teach_conflict *out);

/* Rule 3: cur is the index built from phrases[0..n), trial the one built
 * from them plus the new phrase text. Fills *out. Returns 0, -ENOMEM, or
 * what teach_fold() returns for text. */
MC_MUST_CHECK int teach_check_index(const struct intent_example *phrases, size_t n,
                                    const char *text, const struct intent_index *cur,
                                    const struct intent_index *trial, struct teach_conflict *out);

/* What the bot answers with for r: its label for a match, "none" for a
 * none, "clarify" when it asks. */
const char *teach_answer(const struct intent_result *r);

/* ---- with the server's knowledge base and store ------------------------ */

/* The phrases an index is built from: the knowledge base's and the taught
 * ones whose label the knowledge base still has. */
struct teach_phrases;

/* Loads them; *rev is the taught phrases' revision read first (a change
 * after it is seen again by the next teach_refresh). Returns a new set
 * (teach_phrases_free()) or NULL with err set. */
struct teach_phrases *teach_phrases_load(struct kb *kb, struct store *st, int64_t *rev,
                                         struct mc_err *err);

void teach_phrases_free(struct teach_phrases *tp);

/* The phrases, in index order (data first, then taught ones, oldest first). */
const struct intent_example *teach_phrases_get(const struct teach_phrases *tp, size_t *n);

/* The index of tp plus, when text is not NULL, one more phrase (text,
 * label). Returns a new index or NULL with err set. */
struct intent_index *teach_phrases_index(const struct teach_phrases *tp, const char *text,
                                         const char *label, struct mc_err *err);

/* Whether label may be taught: "none", or a label of the index that has a
 * guide or a meta answer in kb. */
bool teach_label_ok(const struct kb *kb, const struct teach_phrases *tp, const char *label);

/* kb's index with the taught phrases of st (gw_new). Sets *rev.
 * Returns a new index or NULL with err set. */
struct intent_index *teach_build_index(struct kb *kb, struct store *st, int64_t *rev,
                                       struct mc_err *err);

/* Rebuilds gw's index when the stored revision differs from
 * gw->taught_rev, and swaps it in, on the calling thread (gw_new(); the loop
 * uses teach_build_refresh()). Returns 0, or
 * -EIO (logged; the index in use stays). */
int teach_refresh(struct gw *gw);

/* Swaps idx (built at revision rev) in as gw's index, freeing the old one. */
void teach_swap(struct gw *gw, struct intent_index *idx, int64_t rev);

#endif
