/* intents/intent_feature.c - a message as the model reads it (intent_int.h):
 * normalised, its words expanded by the lexicon and their marks restored
 * (intent_analyse()), then its sparse features — words, word pairs, marked
 * forms — hashed (intent_each_feature()) into a vector (intent_fvec_*).
 * Shared by matching (intent.c) and training (intent_build.c). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hmap.h"
#include "lexicon.h"
#include "norm.h"
#include "restore.h"

#include "intent_int.h"

int intent_analyse(const struct intent_index *idx, const char *text, size_t len,
                   struct analysis *an)
{
    int rc;

    rc = norm_text(text, len, &an->a);
    if (rc)
        return rc;
    rc = lex_expand(idx->lex, &an->a, &an->b);
    if (rc)
        return rc;
    if (idx->rest) {
        rc = restore_tokens(idx->rest, &an->b, &an->a);
        if (rc)
            return rc;
        an->final = &an->a;
    } else {
        an->final = &an->b;
    }
    return 0;
}

uint64_t intent_mix(uint64_t h, uint64_t kind)
{
    h ^= kind * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 29;
    return h == UINT64_MAX ? h - 1 : h; /* hmap_u64 reserves UINT64_MAX */
}

/* The hash of the matching key of token k: its folded form, a long number
 * as "#num" (phone, ID and dossier numbers: the value never matters), a sole
 * y as i ("ly" = "li"). */
static uint64_t word_hash(const struct norm_tokens *t, const struct norm_token *k)
{
    char buf[8];

    if ((k->flags & NORM_TOK_NUMBER) && k->fold_len >= 5)
        return hmap_hash("#num", 4);
    if (!norm_is_sole_y(t->fold + k->fold, k->fold_len))
        return hmap_hash(t->fold + k->fold, k->fold_len);
    memcpy(buf, t->fold + k->fold, k->fold_len);
    buf[k->fold_len - 1] = 'i';
    return hmap_hash(buf, k->fold_len);
}

int intent_each_feature(const struct norm_tokens *t, feat_fn add, void *ctx)
{
    uint64_t h, next = 0;
    size_t i;
    bool accented = t->n_alpha > 0 && 2 * t->n_marked >= t->n_alpha;
    int rc;

    if (t->n_tok)
        next = word_hash(t, &t->tok[0]);
    for (i = 0; i < t->n_tok; i++) {
        const struct norm_token *k = &t->tok[i];
        h = next;
        rc = add(ctx, intent_mix(h, FEAT_WORD), FEAT_WORD, W_UNI);
        if (rc)
            return rc;
        if (i + 1 < t->n_tok) {
            next = word_hash(t, &t->tok[i + 1]);
            rc = add(ctx, intent_mix(h * 0x100000001B3ULL + next, FEAT_PAIR), FEAT_PAIR, W_BI);
            if (rc)
                return rc;
        }
        if ((accented || (k->flags & (NORM_TOK_MARKED | NORM_TOK_RESTORED))) &&
            !(k->flags & NORM_TOK_DIGIT)) {
            rc = add(ctx, intent_mix(hmap_hash(t->acc + k->acc, k->acc_len), FEAT_ACC), FEAT_ACC,
                     W_ACC);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Adds a feature to v. A repeated feature is added again: the dot product
 * sums it either way, and not merging keeps matching linear. */
void intent_fvec_put(struct fvec *v, uint32_t id, float w)
{
    if (v->n < INTENT_FEAT_MAX) {
        v->id[v->n] = id;
        v->val[v->n] = w;
        v->n++;
    }
}

void intent_fvec_normalise(struct fvec *v)
{
    double s = v->unknown_sq * INTENT_UNKNOWN_SHARE;
    size_t i;

    for (i = 0; i < v->n; i++)
        s += (double)v->val[i] * v->val[i];
    if (s <= 0)
        return;
    s = 1.0 / sqrt(s);
    for (i = 0; i < v->n; i++)
        v->val[i] = (float)(v->val[i] * s);
}

/* z[0..n) += x * w[0..n), n a multiple of INTENT_LANES. */
void intent_axpy(float *z, const float *w, float x, size_t n)
{
    size_t c, j;

    for (c = 0; c < n; c += INTENT_LANES)
        for (j = 0; j < INTENT_LANES; j++)
            z[c + j] += x * w[c + j];
}
