/* intents/known.c - see known.h. */
#include "known.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fold_words.h"
#include "hmap.h"

/* How sure a name must be to be named (docs/understanding.md, "Known
 * procedures without a guide"): the name explains at least this share of the
 * message's word weight, ... */
#define KNOWN_MIN_COVERAGE 0.6
/* ... the message names this share of the name's own weight, ... */
#define KNOWN_MIN_NAME_COV 0.3
/* ... and at least this many content words are shared: one shared word
 * ("rừng", "tàu") says what a message is near, not what it is. */
#define KNOWN_MIN_MATCHED 2
/* A message word no official name uses ("visa", "ly hôn") weighs this
 * much: it is often the real subject, but also a typo or a filler word. */
#define KNOWN_UNKNOWN_WEIGHT 1.5
/* A shared word pair counts this share of its two words' weight again. */
#define KNOWN_PAIR_BONUS 0.5

struct kentry {
    uint32_t *words; /* sorted, unique word ids of the name's content words */
    size_t n_words;
    uint64_t *pairs; /* sorted keys of adjacent content-word pairs */
    size_t n_pairs;
    double mass; /* sum of the words' weights */
    bool has_guide;
};

struct known_index {
    struct hmap_str *vocab;
    double *idf; /* by word id */
    struct kentry *e;
    size_t n;
    uint32_t **postings; /* by word id: entries whose name has the word */
    uint32_t *n_postings;
};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static uint64_t pair_key(uint32_t a, uint32_t b)
{
    return (uint64_t)a << 32 | b;
}

/* The content words of text, folded, in order (repeats kept), as word ids;
 * with intern set new words are added to the vocabulary, otherwise an
 * unknown word is UINT32_MAX. Returns the count, or -1 (bad UTF-8, memory). */
static int content_ids(struct hmap_str *vocab, const char *text, bool intern, uint32_t *ids,
                       size_t max)
{
    char folded[FOLD_WORDS_TEXT_MAX];
    struct fold_word w[KNOWN_WORDS_MAX];
    size_t nw, i, n = 0;

    if (fold_words_text(text, folded, sizeof(folded)) == -EINVAL)
        return -1;
    nw = fold_words_split(folded, strlen(folded), true, w, KNOWN_WORDS_MAX, NULL);
    for (i = 0; i < nw && n < max; i++) {
        uint32_t id = UINT32_MAX;

        if (fold_words_is_stop(&w[i], true))
            continue;
        if (intern) {
            if (hmap_str_intern(vocab, w[i].p, w[i].len, &id))
                return -1;
        } else if (!hmap_str_find(vocab, w[i].p, w[i].len, &id)) {
            id = UINT32_MAX;
        }
        ids[n++] = id;
    }
    return (int)n;
}

/* Sorts ids[0..n) and drops repeats; returns the new count. */
static size_t unique_u32(uint32_t *ids, size_t n)
{
    size_t i, m = 0;

    qsort(ids, n, sizeof(*ids), cmp_u32);
    for (i = 0; i < n; i++)
        if (m == 0 || ids[m - 1] != ids[i])
            ids[m++] = ids[i];
    return m;
}

static int build_entry(struct known_index *k, const struct known_entry_spec *s, struct kentry *e)
{
    uint32_t ids[KNOWN_WORDS_MAX];
    int n = content_ids(k->vocab, s->name ? s->name : "", true, ids, KNOWN_WORDS_MAX);
    size_t i;

    if (n < 0)
        return -1;
    e->has_guide = s->has_guide;
    e->pairs = calloc((size_t)n + 1, sizeof(*e->pairs));
    e->words = calloc((size_t)n + 1, sizeof(*e->words));
    if (!e->pairs || !e->words)
        return -1;
    for (i = 1; i < (size_t)n; i++)
        e->pairs[e->n_pairs++] = pair_key(ids[i - 1], ids[i]);
    qsort(e->pairs, e->n_pairs, sizeof(*e->pairs), cmp_u64);
    memcpy(e->words, ids, (size_t)n * sizeof(*ids));
    e->n_words = unique_u32(e->words, (size_t)n);
    return 0;
}

/* Document frequencies -> weights, entry masses and postings. */
static int build_weights(struct known_index *k)
{
    size_t nv = hmap_str_count(k->vocab), i, j;

    k->idf = calloc(nv + 1, sizeof(*k->idf));
    k->n_postings = calloc(nv + 1, sizeof(*k->n_postings));
    k->postings = calloc(nv + 1, sizeof(*k->postings));
    if (!k->idf || !k->n_postings || !k->postings)
        return -1;
    for (i = 0; i < k->n; i++)
        for (j = 0; j < k->e[i].n_words; j++)
            k->n_postings[k->e[i].words[j]]++;
    for (i = 0; i < nv; i++) {
        k->idf[i] = log(((double)k->n + 1.0) / ((double)k->n_postings[i] + 0.5));
        k->postings[i] = calloc(k->n_postings[i] + 1, sizeof(**k->postings));
        if (!k->postings[i])
            return -1;
        k->n_postings[i] = 0;
    }
    for (i = 0; i < k->n; i++)
        for (j = 0; j < k->e[i].n_words; j++) {
            uint32_t w = k->e[i].words[j];

            k->postings[w][k->n_postings[w]++] = (uint32_t)i;
            k->e[i].mass += k->idf[w];
        }
    return 0;
}

struct known_index *known_index_new(const struct known_entry_spec *e, size_t n, struct mc_err *err)
{
    struct known_index *k;

    if (n > KNOWN_MAX_ENTRIES) {
        mc_err_set(err, "known procedures: %zu entries, at most %d", n, KNOWN_MAX_ENTRIES);
        return NULL;
    }
    k = calloc(1, sizeof(*k));
    if (!k)
        goto nomem;
    k->vocab = hmap_str_new();
    k->e = calloc(n + 1, sizeof(*k->e));
    if (!k->vocab || !k->e)
        goto nomem;
    for (k->n = 0; k->n < n; k->n++)
        if (build_entry(k, &e[k->n], &k->e[k->n])) {
            mc_err_set(err, "known procedures: %s: cannot read its name (UTF-8, memory)",
                       e[k->n].key ? e[k->n].key : "?");
            k->n++;
            known_index_free(k);
            return NULL;
        }
    if (build_weights(k))
        goto nomem;
    return k;
nomem:
    mc_err_set(err, "out of memory");
    known_index_free(k);
    return NULL;
}

void known_index_free(struct known_index *k)
{
    size_t i, nv;

    if (!k)
        return;
    nv = k->vocab ? hmap_str_count(k->vocab) : 0;
    for (i = 0; k->e && i < k->n; i++) {
        free(k->e[i].words);
        free(k->e[i].pairs);
    }
    for (i = 0; k->postings && i < nv; i++)
        free(k->postings[i]);
    free(k->postings);
    free(k->n_postings);
    free(k->idf);
    free(k->e);
    hmap_str_free(k->vocab);
    free(k);
}

static bool has_pair(const struct kentry *e, uint64_t key)
{
    return bsearch(&key, e->pairs, e->n_pairs, sizeof(key), cmp_u64) != NULL;
}

size_t known_count(const struct known_index *k)
{
    return k ? k->n : 0;
}

bool known_hit_sure(const struct known_hit *hit)
{
    return hit->coverage >= KNOWN_MIN_COVERAGE && hit->name_cov >= KNOWN_MIN_NAME_COV &&
           hit->matched >= KNOWN_MIN_MATCHED;
}

bool known_rank(const struct known_index *k, const char *text, double *scores,
                struct known_hit *best_hit)
{
    uint32_t ids[KNOWN_WORDS_MAX], uniq[KNOWN_WORDS_MAX];
    double score[KNOWN_MAX_ENTRIES], mass = 0.0, best_score = 0.0;
    uint16_t shared[KNOWN_MAX_ENTRIES];
    size_t nu, i, j, best = SIZE_MAX;
    int n;

    memset(best_hit, 0, sizeof(*best_hit));
    if (!k || !k->n)
        return false;
    memset(scores, 0, k->n * sizeof(*scores));
    n = content_ids(k->vocab, text, false, ids, KNOWN_WORDS_MAX);
    if (n <= 0)
        return false;
    memcpy(uniq, ids, (size_t)n * sizeof(*ids));
    nu = unique_u32(uniq, (size_t)n);
    memset(score, 0, k->n * sizeof(*score));
    memset(shared, 0, k->n * sizeof(*shared));
    for (i = 0; i < nu; i++) {
        if (uniq[i] == UINT32_MAX) { /* sorted last: every unknown word once */
            mass += KNOWN_UNKNOWN_WEIGHT * (double)(nu - i);
            break;
        }
        mass += k->idf[uniq[i]];
        for (j = 0; j < k->n_postings[uniq[i]]; j++) {
            uint32_t x = k->postings[uniq[i]][j];

            score[x] += k->idf[uniq[i]];
            shared[x]++;
        }
    }
    for (i = 0; i < k->n; i++) {
        double s = score[i];
        size_t p;

        if (shared[i] < KNOWN_MIN_MATCHED)
            continue;
        for (p = 1; p < (size_t)n; p++)
            if (ids[p - 1] != UINT32_MAX && ids[p] != UINT32_MAX &&
                has_pair(&k->e[i], pair_key(ids[p - 1], ids[p])))
                s += KNOWN_PAIR_BONUS * (k->idf[ids[p - 1]] + k->idf[ids[p]]);
        /* the message explained, tempered by how much of the name it names */
        scores[i] =
            (score[i] / mass) * sqrt(score[i] / k->e[i].mass) + (s - score[i]) / (mass + 1.0);
        if (scores[i] > best_score) {
            best_score = scores[i];
            best = i;
        }
    }
    if (best == SIZE_MAX)
        return false;
    best_hit->entry = best;
    best_hit->coverage = score[best] / mass;
    best_hit->name_cov = k->e[best].mass > 0 ? score[best] / k->e[best].mass : 0.0;
    best_hit->matched = shared[best];
    best_hit->score = best_score;
    return true;
}

bool known_match(const struct known_index *k, const char *text, struct known_hit *hit)
{
    double scores[KNOWN_MAX_ENTRIES];

    return known_rank(k, text, scores, hit) && !k->e[hit->entry].has_guide && known_hit_sure(hit);
}
