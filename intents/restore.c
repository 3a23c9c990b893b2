/* intents/restore.c - see restore.h. An interpolated bigram model over the
 * learnt syllables,
 *   P(b | a) = (c(a,b) + ALPHA * P(b)) / (c(a) + ALPHA),  P(b) = c(b) / N,
 * so an unseen pair costs both of its words: "ho so" is "hồ sơ", never
 * "hộ sơ", though "hộ" alone is the commoner word. */
#include "restore.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

#define RESTORE_ALPHA 2.0 /* weight of the unigram share against bigram counts */
#define RESTORE_NONE UINT32_MAX
#define RESTORE_MAX_REPAIRS 6  /* spelling rewrites tried per unknown token */
#define RESTORE_MAX_TOKENS 128 /* lattice length; later tokens are copied as typed */

struct restore {
    struct hmap_str *syl; /* accented syllable -> sid */
    uint32_t *syl_count;  /* [sid] uses */
    uint32_t *syl_fold;   /* [sid] fid */
    size_t nsyl, capsyl;
    struct hmap_str *fold; /* folded syllable -> fid */
    uint32_t *fold_count;  /* [fid] uses */
    uint32_t *cand_off;    /* [fid] first candidate in cands */
    unsigned char *cand_n; /* [fid] candidates, <= RESTORE_MAX_CAND */
    size_t nfold, capfold;
    uint32_t *cands;     /* sids, each fid's slice sorted by uses, most first */
    size_t ntok;         /* syllables learnt, with repeats */
    struct hmap_u64 *bi; /* sid_a << 32 | sid_b -> count */
    bool finished;
};

struct restore *restore_new(void)
{
    struct restore *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->syl = hmap_str_new();
    r->fold = hmap_str_new();
    r->bi = hmap_u64_new();
    if (!r->syl || !r->fold || !r->bi) {
        restore_free(r);
        return NULL;
    }
    return r;
}

void restore_free(struct restore *r)
{
    if (!r)
        return;
    hmap_str_free(r->syl);
    hmap_str_free(r->fold);
    hmap_u64_free(r->bi);
    free(r->syl_count);
    free(r->syl_fold);
    free(r->fold_count);
    free(r->cand_off);
    free(r->cand_n);
    free(r->cands);
    free(r);
}

/* Makes room for one more element in each of the n arrays of *cap. */
static int grow_arrays(uint32_t **a, uint32_t **b, size_t n, size_t *cap)
{
    size_t nc;
    uint32_t *q;

    if (n < *cap)
        return 0;
    nc = *cap ? *cap * 2 : 256;
    q = realloc(*a, nc * sizeof(*q));
    if (!q)
        return -ENOMEM;
    *a = q;
    if (b) {
        q = realloc(*b, nc * sizeof(*q));
        if (!q)
            return -ENOMEM;
        *b = q;
    }
    *cap = nc;
    return 0;
}

static int learn_syllable(struct restore *r, const char *acc, size_t alen, const char *fold,
                          size_t flen, uint32_t *sid_out)
{
    uint32_t sid, fid;
    int rc;

    rc = hmap_str_intern(r->fold, fold, flen, &fid);
    if (rc)
        return rc;
    if (fid == r->nfold) {
        if (grow_arrays(&r->fold_count, NULL, r->nfold, &r->capfold))
            return -ENOMEM;
        r->fold_count[r->nfold++] = 0;
    }
    rc = hmap_str_intern(r->syl, acc, alen, &sid);
    if (rc)
        return rc;
    if (sid == r->nsyl) {
        if (grow_arrays(&r->syl_count, &r->syl_fold, r->nsyl, &r->capsyl))
            return -ENOMEM;
        r->syl_count[r->nsyl] = 0;
        r->syl_fold[r->nsyl] = fid;
        r->nsyl++;
    }
    r->syl_count[sid]++;
    r->fold_count[fid]++;
    r->ntok++;
    *sid_out = sid;
    return 0;
}

int restore_learn(struct restore *r, const struct norm_tokens *t)
{
    const struct norm_token *k;
    uint32_t prev = RESTORE_NONE, sid;
    size_t i;
    int rc;

    if (r->finished)
        return -EINVAL;
    for (i = 0; i < t->n_tok; i++) {
        k = &t->tok[i];
        if (k->flags & NORM_TOK_DIGIT) {
            prev = RESTORE_NONE;
            continue;
        }
        rc = learn_syllable(r, t->acc + k->acc, k->acc_len, t->fold + k->fold, k->fold_len, &sid);
        if (rc)
            return rc;
        if (prev != RESTORE_NONE) {
            rc = hmap_u64_add(r->bi, (uint64_t)prev << 32 | sid, 1);
            if (rc)
                return rc;
        }
        prev = sid;
    }
    return 0;
}

int restore_finish(struct restore *r)
{
    size_t i, k, n;
    uint32_t f, *fill = NULL;
    uint32_t *bucket_off = NULL, *bucket = NULL;

    if (r->finished)
        return 0;
    r->cand_off = calloc(r->nfold + 1, sizeof(*r->cand_off));
    r->cand_n = calloc(r->nfold + 1, sizeof(*r->cand_n));
    bucket_off = calloc(r->nfold + 1, sizeof(*bucket_off));
    fill = calloc(r->nfold + 1, sizeof(*fill));
    bucket = calloc(r->nsyl + 1, sizeof(*bucket));
    r->cands = calloc(r->nsyl + 1, sizeof(*r->cands));
    if (!r->cand_off || !r->cand_n || !bucket_off || !fill || !bucket || !r->cands)
        goto fail;
    /* counting sort of sids by fid, then each slice by uses */
    for (i = 0; i < r->nsyl; i++)
        bucket_off[r->syl_fold[i] + 1]++;
    for (f = 0; f < r->nfold; f++)
        bucket_off[f + 1] += bucket_off[f];
    for (i = 0; i < r->nsyl; i++) {
        f = r->syl_fold[i];
        bucket[bucket_off[f] + fill[f]++] = (uint32_t)i;
    }
    n = 0;
    for (f = 0; f < r->nfold; f++) {
        uint32_t *s = bucket + bucket_off[f];
        size_t m = bucket_off[f + 1] - bucket_off[f], j;
        for (k = 1; k < m; k++) /* insertion sort: slices are short */
            for (j = k; j > 0 && r->syl_count[s[j]] > r->syl_count[s[j - 1]]; j--) {
                uint32_t t = s[j];
                s[j] = s[j - 1];
                s[j - 1] = t;
            }
        if (m > RESTORE_MAX_CAND)
            m = RESTORE_MAX_CAND;
        r->cand_off[f] = (uint32_t)n;
        r->cand_n[f] = (unsigned char)m;
        memcpy(r->cands + n, s, m * sizeof(*s));
        n += m;
    }
    free(bucket_off);
    free(fill);
    free(bucket);
    r->finished = true;
    return 0;
fail:
    free(bucket_off);
    free(fill);
    free(bucket);
    return -ENOMEM;
}

bool restore_knows_fold(const struct restore *r, const char *fold, size_t len)
{
    uint32_t fid;

    return hmap_str_find(r->fold, fold, len, &fid);
}

size_t restore_count(const struct restore *r)
{
    return r ? r->nsyl : 0;
}

size_t restore_memory(const struct restore *r)
{
    if (!r)
        return 0;
    return sizeof(*r) + hmap_str_memory(r->syl) + hmap_str_memory(r->fold) +
           hmap_u64_memory(r->bi) + r->capsyl * 2 * sizeof(uint32_t) +
           r->capfold * sizeof(uint32_t) + (r->nfold + 1) * (sizeof(uint32_t) + 1) +
           (r->nsyl + 1) * sizeof(uint32_t);
}

/* One position of the lattice. */
struct slot {
    uint32_t sid[RESTORE_MAX_CAND]; /* RESTORE_NONE: unknown to the model */
    unsigned n;                     /* candidates; 1 for a fixed token */
    bool fixed;                     /* typed with marks, expanded, number, unknown */
    double score[RESTORE_MAX_CAND];
    unsigned char back[RESTORE_MAX_CAND];
};

/* Rewrites a folded unknown token with one teencode spelling rule; returns the
 * new length or 0 when rule k does not apply. */
static size_t repair_fold(const char *s, size_t len, unsigned k, char *out, size_t cap)
{
    static const struct {
        const char *from, *to;
        bool onset; /* at the start, else at the end */
    } rules[RESTORE_MAX_REPAIRS] = {
        {"f", "ph", true}, {"w", "qu", true}, {"dz", "d", true},
        {"z", "d", true},  {"j", "gi", true}, {"g", "ng", false},
    };
    size_t fl = strlen(rules[k].from), tl = strlen(rules[k].to);

    if (len <= fl || len - fl + tl >= cap)
        return 0;
    if (rules[k].onset) {
        if (memcmp(s, rules[k].from, fl) != 0)
            return 0;
        memcpy(out, rules[k].to, tl);
        memcpy(out + tl, s + fl, len - fl);
    } else {
        if (memcmp(s + len - fl, rules[k].from, fl) != 0 || (len >= 2 && s[len - 2] == 'n'))
            return 0;
        memcpy(out, s, len - fl);
        memcpy(out + len - fl, rules[k].to, tl);
    }
    return len - fl + tl;
}

/* Fills sl with the candidates of an unmarked token folded to f[0..len). */
static void candidates_of(const struct restore *r, const char *f, size_t len, struct slot *sl)
{
    char rep[NORM_TOKEN_MAX + 4];
    uint32_t fid;
    size_t rl, j;
    unsigned k;

    sl->n = 0;
    if (hmap_str_find(r->fold, f, len, &fid)) {
        for (j = 0; j < r->cand_n[fid]; j++)
            sl->sid[sl->n++] = r->cands[r->cand_off[fid] + j];
        return;
    }
    for (k = 0; k < RESTORE_MAX_REPAIRS && sl->n < RESTORE_MAX_CAND; k++) {
        rl = repair_fold(f, len, k, rep, sizeof(rep));
        if (rl == 0 || !hmap_str_find(r->fold, rep, rl, &fid))
            continue;
        for (j = 0; j < r->cand_n[fid] && sl->n < RESTORE_MAX_CAND; j++)
            sl->sid[sl->n++] = r->cands[r->cand_off[fid] + j];
    }
}

static double share_of(const struct restore *r, uint32_t b)
{
    uint32_t f = r->syl_fold[b];

    return (r->syl_count[b] + 0.1) / (r->fold_count[f] + 0.1 * r->cand_n[f]);
}

/* log P(b | a) of an interpolated bigram model over all syllables; a or b
 * may be RESTORE_NONE (unknown to the model: no evidence either way). */
static double log_trans(const struct restore *r, uint32_t a, uint32_t b)
{
    double pb, cab;

    if (b == RESTORE_NONE)
        return 0.0;
    pb = (r->syl_count[b] + 0.5) / ((double)r->ntok + 0.5 * (double)r->nsyl);
    if (a == RESTORE_NONE)
        return log(pb);
    cab = hmap_u64_get(r->bi, (uint64_t)a << 32 | b);
    return log((cab + RESTORE_ALPHA * pb) / (r->syl_count[a] + RESTORE_ALPHA));
}

static bool has_bigram(const struct restore *r, uint32_t a, uint32_t b)
{
    return a != RESTORE_NONE && b != RESTORE_NONE && hmap_u64_get(r->bi, (uint64_t)a << 32 | b);
}

int restore_tokens(const struct restore *r, const struct norm_tokens *in, struct norm_tokens *out)
{
    struct slot sl[RESTORE_MAX_TOKENS];
    unsigned char pick[RESTORE_MAX_TOKENS];
    const struct norm_token *k;
    bool all;
    size_t i, nfree, n = in->n_tok < RESTORE_MAX_TOKENS ? in->n_tok : RESTORE_MAX_TOKENS;
    unsigned a, b;
    uint32_t sid;

    norm_tokens_init(out);
    all = in->n_alpha > 0 && (double)in->n_marked < RESTORE_MARKED_SHARE * (double)in->n_alpha;
    nfree = 0;
    for (i = 0; i < n; i++) {
        k = &in->tok[i];
        sl[i].fixed = true;
        sl[i].n = 1;
        sl[i].sid[0] = RESTORE_NONE;
        if (k->flags & (NORM_TOK_DIGIT | NORM_TOK_MARKED | NORM_TOK_EXPANDED))
            continue;
        if (all || !restore_knows_fold(r, in->fold + k->fold, k->fold_len)) {
            candidates_of(r, in->fold + k->fold, k->fold_len, &sl[i]);
            if (sl[i].n > 0) {
                sl[i].fixed = false;
                nfree++;
                continue;
            }
            sl[i].n = 1;
            sl[i].sid[0] = RESTORE_NONE;
        }
    }
    if (nfree == 0) { /* nothing to restore or repair */
        for (i = 0; i < in->n_tok; i++)
            if (norm_tokens_copy(out, in, i, 0) != 0)
                break;
        out->n_marked = in->n_marked;
        out->n_alpha = in->n_alpha;
        out->truncated = out->truncated || in->truncated;
        return 0;
    }
    /* a fixed token matters only as the context of a free neighbour */
    for (i = 0; i < n; i++) {
        k = &in->tok[i];
        if (!sl[i].fixed || (k->flags & NORM_TOK_DIGIT))
            continue;
        if (!((i > 0 && !sl[i - 1].fixed) || (i + 1 < n && !sl[i + 1].fixed)))
            continue;
        if (hmap_str_find(r->syl, in->acc + k->acc, k->acc_len, &sid))
            sl[i].sid[0] = sid;
    }
    /* Viterbi */
    for (i = 0; i < n; i++) {
        for (b = 0; b < sl[i].n; b++) {
            if (i == 0) {
                sl[i].score[b] = sl[i].fixed ? 0.0 : log_trans(r, RESTORE_NONE, sl[i].sid[b]);
                sl[i].back[b] = 0;
                continue;
            }
            double best = -HUGE_VAL;
            unsigned arg = 0;
            for (a = 0; a < sl[i - 1].n; a++) {
                double s = sl[i - 1].score[a] + log_trans(r, sl[i - 1].sid[a], sl[i].sid[b]);
                if (s > best) {
                    best = s;
                    arg = a;
                }
            }
            sl[i].score[b] = best;
            sl[i].back[b] = (unsigned char)arg;
        }
    }
    if (n) {
        double best = -HUGE_VAL;
        i = n - 1;
        pick[i] = 0;
        for (b = 0; b < sl[i].n; b++)
            if (sl[i].score[b] > best) {
                best = sl[i].score[b];
                pick[i] = (unsigned char)b;
            }
        while (i > 0) {
            pick[i - 1] = sl[i].back[pick[i]];
            i--;
        }
    }
    for (i = 0; i < in->n_tok; i++) {
        const char *s = in->acc + in->tok[i].acc;
        size_t len = in->tok[i].acc_len;
        unsigned flags = in->tok[i].flags & (NORM_TOK_EXPANDED | NORM_TOK_RESTORED);
        if (i < n && !sl[i].fixed) {
            uint32_t c = sl[i].sid[pick[i]];
            bool ok = sl[i].n == 1 ? r->syl_count[c] >= 2 : share_of(r, c) >= RESTORE_DOMINANT;
            if (!ok && i > 0)
                ok = has_bigram(r, sl[i - 1].sid[pick[i - 1]], c);
            if (!ok && i + 1 < n)
                ok = has_bigram(r, c, sl[i + 1].sid[pick[i + 1]]);
            if (ok) {
                size_t cl;
                const char *cs = hmap_str_get(r->syl, c, &cl);
                if (cl != len || memcmp(cs, s, len) != 0) {
                    s = cs;
                    len = cl;
                    flags |= NORM_TOK_RESTORED;
                }
            }
        }
        if (s == in->acc + in->tok[i].acc ? norm_tokens_copy(out, in, i, 0) != 0
                                          : norm_tokens_push(out, s, len, flags) != 0)
            break;
    }
    out->n_marked = in->n_marked;
    out->n_alpha = in->n_alpha;
    out->truncated = out->truncated || in->truncated;
    return 0;
}
