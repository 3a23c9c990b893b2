/* intents/intent.c - see intent.h.
 *
 * The model is a multinomial logistic regression over sparse features of the
 * normalised message, trained when the index is built (a few tens of
 * milliseconds for a few thousand phrases), with "none" as one more class
 * fed by out-of-scope phrases, plus the similarity to the nearest training
 * phrase of each label and the fixed weights of the PCRE2 rules. Words the
 * index has never seen ("khai thác thủy sản", "phạt nguội") keep part of
 * their weight in the message's length, so a message mostly made of them
 * scores low everywhere and ends as "none" even when generic words ("thủ
 * tục", "hồ sơ", "cấp giấy") are shared. Training is deterministic (fixed
 * shuffling seed): the same data always gives the same index. Docs and
 * figures: docs/understanding.md. */
#include "intent.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"
#include "hmap.h"
#include "lexicon.h"
#include "mc_buf.h"
#include "mc_utf8.h"
#include "norm.h"
#include "restore.h"
#include "rules.h"

#define INTENT_LANES 8       /* floats per block of w rows, so the compiler vectorises */
#define INTENT_FEAT_MAX 1024 /* features of one message; the rest are ignored */
/* Model and decision constants, chosen by 5-fold cross-validation over the
 * training phrases (bench/bench_holdout.c; docs/understanding.md). */
#define INTENT_EPOCHS 6          /* SGD passes over the training phrases */
#define INTENT_LR 3.0            /* SGD learning rate at the first epoch */
#define INTENT_LR_DECAY 0.3      /* lr / (1 + decay * epoch) */
#define INTENT_IDF_POW 0.5       /* a feature's weight is idf^pow before unit scaling */
#define INTENT_UNKNOWN_SHARE 0.5 /* share of an unknown word's weight kept in the norm */
#define INTENT_KNN_WEIGHT 6.0    /* nearest training phrase similarity, added per label */
#define INTENT_KNN_MAX 16384     /* phrases the nearest-phrase score looks at (stack floats) */
#define INTENT_KNN_COMMON 64     /* words in more than 1/64 of the phrases are skipped there */
#define INTENT_CALIB_POW 0.8     /* calibrated confidence = p^pow (fitted on held-out folds) */
#define INTENT_NONE_FLOOR 0.28   /* calibrated confidence under which the answer is "none" */
/* INTENT_CLARIFY_BELOW (intent.h): a best label under it asks "did you mean" */
#define INTENT_CLARIFY_RATIO 0.9 /* ... so does a runner-up this close from another domain */
#define INTENT_ALT_RATIO 0.2     /* a runner-up this close to a match is offered beside it */
#define INTENT_SOCIAL_REST_MIN 4 /* words after a greeting that make an out-of-scope request */
#define INTENT_SOCIAL_NONE_SURE                                                                    \
    0.8 /* ... when "none" is this sure ("cám ơn em đã chỉ tận tình" is not) */
#define INTENT_SEED 0x9E3779B97F4A7C15ULL
#define INTENT_CORPUS_MAX (64u << 20) /* bytes of corpus read */
#define INTENT_EVAL_LINE 8192         /* bytes of one eval line */
#define INTENT_EVAL_CONFUSIONS 15     /* worst confusions printed */

/* Feature groups and their weights before L2 normalisation. */
#define W_UNI 1.0f /* folded word */
#define W_BI 1.0f  /* folded word pair */
#define W_ACC 0.5f /* accented word, when typed or restored with marks */

static const char none_label[] = "none";

struct intent_index {
    char **labels; /* [n_labels], owned; class n_labels is "none" */
    size_t n_labels;
    uint16_t domain[INTENT_MAX_LABELS]; /* domain number of each label (spec.domains) */
    size_t ncls;                        /* n_labels + 1 */
    size_t stride;                      /* ncls rounded up to INTENT_LANES: the row length of w */
    struct lex *lex;
    struct restore *rest;
    struct rules *rules;
    struct entity_set *ents;
    struct hmap_u64 *feat; /* feature key -> fid + 1 */
    unsigned char *fkind;  /* [nfeat] enum feat_kind */
    size_t capfeat;
    float *w; /* [nfeat][stride] */
    float bias[INTENT_MAX_LABELS + INTENT_LANES];
    float *idf;              /* [nfeat] */
    unsigned char *knn_feat; /* [nfeat] 1 for word and pair features (the nearest-phrase score) */
    float *fw;               /* [nfeat] feature weight (idf^INTENT_IDF_POW) */
    float fw_unknown;        /* the weight an unknown feature would have */
    uint32_t *post_off;      /* [nfeat + 1] postings: phrases holding each feature */
    uint32_t *post_ex;
    float *post_w;    /* tf-idf weight of the feature in that phrase (rows unit length) */
    uint16_t *ex_cls; /* [nex] */
    size_t nex;
    size_t nfeat;
};

/* Two token buffers: one pipeline stage reads one and writes the other. */
struct analysis {
    struct norm_tokens a, b;
    const struct norm_tokens *final; /* a or b */
};

struct fvec {
    uint32_t id[INTENT_FEAT_MAX];
    float val[INTENT_FEAT_MAX];
    size_t n;
    double unknown_sq; /* squared weight of the features the index does not know */
};

/* ---------- pipeline ---------- */

static int analyse(const struct intent_index *idx, const char *text, size_t len,
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

/* Features are 64-bit hashes of their text: kind, then the folded word (or
 * the pair of words, or the accented word). With a few tens of thousands of
 * features a collision is improbable (~1e-10), and would only merge two
 * features; in exchange a message is read without building any string. */
enum feat_kind { FEAT_WORD = 1, FEAT_PAIR = 2, FEAT_ACC = 3 };

/* Calls add(ctx, key, kind, weight) for each feature of t. */
typedef int (*feat_fn)(void *ctx, uint64_t key, enum feat_kind kind, float w);

static uint64_t feat_mix(uint64_t h, uint64_t kind)
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

static int each_feature(const struct norm_tokens *t, feat_fn add, void *ctx)
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
        rc = add(ctx, feat_mix(h, FEAT_WORD), FEAT_WORD, W_UNI);
        if (rc)
            return rc;
        if (i + 1 < t->n_tok) {
            next = word_hash(t, &t->tok[i + 1]);
            rc = add(ctx, feat_mix(h * 0x100000001B3ULL + next, FEAT_PAIR), FEAT_PAIR, W_BI);
            if (rc)
                return rc;
        }
        if ((accented || (k->flags & (NORM_TOK_MARKED | NORM_TOK_RESTORED))) &&
            !(k->flags & NORM_TOK_DIGIT)) {
            rc = add(ctx, feat_mix(hmap_hash(t->acc + k->acc, k->acc_len), FEAT_ACC), FEAT_ACC,
                     W_ACC);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Adds a feature to v. A repeated feature is added again: the dot product
 * sums it either way, and not merging keeps matching linear. */
static void fvec_put(struct fvec *v, uint32_t id, float w)
{
    if (v->n < INTENT_FEAT_MAX) {
        v->id[v->n] = id;
        v->val[v->n] = w;
        v->n++;
    }
}

static void fvec_normalise(struct fvec *v)
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

struct lookup_ctx {
    const struct intent_index *idx;
    struct fvec *v;
};

static int lookup_feature(void *ctx, uint64_t key, enum feat_kind kind, float w)
{
    struct lookup_ctx *c = ctx;
    uint32_t id = hmap_u64_get(c->idx->feat, key);
    bool known = id != 0;

    (void)kind;
    id--;
    if (known)
        fvec_put(c->v, id, w * c->idx->fw[id]);
    else
        c->v->unknown_sq += (double)w * w * c->idx->fw_unknown * c->idx->fw_unknown;
    return 0;
}

/* ---------- building ---------- */

struct build {
    struct intent_index *idx;
    struct analysis an;
    struct fvec v;
    /* training matrix, CSR */
    uint32_t *row_off; /* [nex + 1] */
    uint32_t *col;
    float *val;
    size_t nnz, capnz;
    uint16_t *cls; /* [nex] class of each row */
    size_t nex;
};

static int intern_feature(void *ctx, uint64_t key, enum feat_kind kind, float w)
{
    struct build *b = ctx;
    struct intent_index *idx = b->idx;
    uint32_t id = hmap_u64_get(idx->feat, key);
    int rc;

    if (id == 0) {
        if (idx->nfeat == idx->capfeat) {
            size_t nc = idx->capfeat ? idx->capfeat * 2 : 4096;
            unsigned char *q = realloc(idx->fkind, nc);
            if (!q)
                return -ENOMEM;
            idx->fkind = q;
            idx->capfeat = nc;
        }
        idx->fkind[idx->nfeat] = (unsigned char)kind;
        id = (uint32_t)++idx->nfeat;
        rc = hmap_u64_add(idx->feat, key, id);
        if (rc)
            return rc;
    }
    fvec_put(&b->v, id - 1, w);
    return 0;
}

static int label_index(const struct intent_index *idx, const char *label, size_t *out)
{
    size_t i;

    if (strcmp(label, none_label) == 0) {
        *out = idx->n_labels;
        return 0;
    }
    for (i = 0; i < idx->n_labels; i++)
        if (strcmp(idx->labels[i], label) == 0) {
            *out = i;
            return 0;
        }
    return -EINVAL;
}

static int learn_text(struct build *b, const char *s, size_t len)
{
    int rc;

    if (norm_text(s, len, &b->an.a) != 0)
        return 0; /* a corpus line that does not normalise teaches nothing */
    rc = lex_expand(b->idx->lex, &b->an.a, &b->an.b);
    if (rc)
        return rc;
    if (b->an.b.n_alpha == 0 || 2 * b->an.b.n_marked < b->an.b.n_alpha)
        return 0; /* typed without marks: no evidence about accents */
    return restore_learn(b->idx->rest, &b->an.b);
}

/* Teaches the restorer from the corpus, one sentence at a time. */
static int learn_corpus(struct build *b, const char *c, size_t len)
{
    size_t i = 0, j;
    int rc;

    if (len > INTENT_CORPUS_MAX)
        len = INTENT_CORPUS_MAX;
    while (i < len) {
        for (j = i; j < len && c[j] != '\n' && c[j] != '.' && c[j] != ';' && c[j] != '?' &&
                    c[j] != '!' && c[j] != ':' && c[j] != '(' && c[j] != ')';
             j++)
            ;
        if (j - i > 1 && j - i <= NORM_MAX_INPUT && mc_utf8_is_valid(c + i, j - i)) {
            rc = learn_text(b, c + i, j - i);
            if (rc)
                return rc;
        }
        i = j + 1;
    }
    return 0;
}

struct exp_ctx {
    struct build *b;
    int rc;
};

static void learn_expansion(void *ctx, const char *s, size_t len)
{
    struct exp_ctx *e = ctx;

    if (e->rc == 0)
        e->rc = learn_text(e->b, s, len);
}

static int add_row(struct build *b, size_t cls)
{
    size_t i;

    if (b->v.n > b->capnz - b->nnz) {
        size_t nc = b->capnz ? b->capnz : 1 << 16;
        while (b->v.n > nc - b->nnz)
            nc *= 2;
        uint32_t *c = realloc(b->col, nc * sizeof(*c));
        if (!c)
            return -ENOMEM;
        b->col = c;
        float *v = realloc(b->val, nc * sizeof(*v));
        if (!v)
            return -ENOMEM;
        b->val = v;
        b->capnz = nc;
    }
    for (i = 0; i < b->v.n; i++) {
        b->col[b->nnz] = b->v.id[i];
        b->val[b->nnz] = b->v.val[i];
        b->nnz++;
    }
    b->cls[b->nex] = (uint16_t)cls;
    b->nex++;
    b->row_off[b->nex] = (uint32_t)b->nnz;
    return 0;
}

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* z[0..n) += x * w[0..n), n a multiple of INTENT_LANES. */
static void axpy(float *z, const float *w, float x, size_t n)
{
    size_t c, j;

    for (c = 0; c < n; c += INTENT_LANES)
        for (j = 0; j < INTENT_LANES; j++)
            z[c + j] += x * w[c + j];
}

/* Softmax regression by SGD over the CSR rows. The gradient of a class whose
 * probability is negligible is skipped: after the first epoch that is most
 * of them, which keeps training to a few tens of milliseconds. */
static int train(struct build *b)
{
    struct intent_index *idx = b->idx;
    size_t ncls = idx->ncls, st = idx->stride, e, k, i, c, r, na;
    uint32_t *order = NULL;
    float z[INTENT_MAX_LABELS + INTENT_LANES], g[INTENT_MAX_LABELS + 1], mx, sum, lr;
    uint16_t act[INTENT_MAX_LABELS + 1];
    uint64_t seed = INTENT_SEED;

    order = malloc((b->nex ? b->nex : 1) * sizeof(*order));
    if (!order)
        return -ENOMEM;
    for (i = 0; i < b->nex; i++)
        order[i] = (uint32_t)i;
    for (e = 0; e < INTENT_EPOCHS; e++) {
        lr = (float)(INTENT_LR / (1.0 + INTENT_LR_DECAY * (double)e));
        for (i = b->nex; i > 1; i--) { /* Fisher-Yates */
            size_t j = (size_t)(next_rand(&seed) % i);
            uint32_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (k = 0; k < b->nex; k++) {
            r = order[k];
            memcpy(z, idx->bias, st * sizeof(*z));
            for (i = b->row_off[r]; i < b->row_off[r + 1]; i++)
                axpy(z, idx->w + (size_t)b->col[i] * st, b->val[i], st);
            mx = z[0];
            for (c = 1; c < ncls; c++)
                if (z[c] > mx)
                    mx = z[c];
            sum = 0;
            for (c = 0; c < ncls; c++) {
                z[c] = expf(z[c] - mx);
                sum += z[c];
            }
            na = 0;
            for (c = 0; c < ncls; c++) {
                float gc = z[c] / sum - (c == b->cls[r] ? 1.0f : 0.0f);
                if (gc > -1e-4f && gc < 1e-4f)
                    continue;
                act[na] = (uint16_t)c;
                g[na++] = gc;
                idx->bias[c] -= lr * 0.1f * gc;
            }
            for (i = b->row_off[r]; i < b->row_off[r + 1]; i++) {
                float *wr = idx->w + (size_t)b->col[i] * st;
                float x = b->val[i] * lr;
                for (c = 0; c < na; c++)
                    wr[act[c]] -= x * g[c];
            }
        }
    }
    free(order);
    return 0;
}

/* Weights every training row by the features' idf and scales it to unit
 * length; the same weighting is applied to a message in intent_match(). */
static int weight_rows(struct build *b)
{
    struct intent_index *idx = b->idx;
    double pw = INTENT_IDF_POW, sq;
    size_t i, j;
    uint32_t *df = calloc(idx->nfeat + 1, sizeof(*df));

    idx->fw = calloc(idx->nfeat + 1, sizeof(*idx->fw));
    if (!df || !idx->fw) {
        free(df);
        return -ENOMEM;
    }
    for (i = 0; i < b->nnz; i++)
        df[b->col[i]]++;
    idx->fw_unknown = (float)pow(log((double)(b->nex + 1)) + 1.0, pw);
    for (i = 0; i < idx->nfeat; i++)
        idx->fw[i] = (float)pow(log((double)(b->nex + 1) / (double)(df[i] + 1)) + 1.0, pw);
    free(df);
    for (i = 0; i < b->nex; i++) {
        sq = 0;
        for (j = b->row_off[i]; j < b->row_off[i + 1]; j++) {
            b->val[j] *= idx->fw[b->col[j]];
            sq += (double)b->val[j] * b->val[j];
        }
        sq = sq > 0 ? 1.0 / sqrt(sq) : 0;
        for (j = b->row_off[i]; j < b->row_off[i + 1]; j++)
            b->val[j] = (float)(b->val[j] * sq);
    }
    return 0;
}

/* Inverted lists with tf-idf weights, for the nearest-phrase score. */
static int build_postings(struct build *b)
{
    struct intent_index *idx = b->idx;
    uint32_t *df = NULL, *fill = NULL;
    float *norm = NULL;
    size_t i, j, f;

    df = calloc(idx->nfeat + 1, sizeof(*df));
    fill = calloc(idx->nfeat + 1, sizeof(*fill));
    norm = calloc(b->nex + 1, sizeof(*norm));
    idx->idf = calloc(idx->nfeat + 1, sizeof(*idx->idf));
    idx->post_off = calloc(idx->nfeat + 2, sizeof(*idx->post_off));
    idx->post_ex = calloc(b->nnz + 1, sizeof(*idx->post_ex));
    idx->post_w = calloc(b->nnz + 1, sizeof(*idx->post_w));
    idx->ex_cls = calloc(b->nex + 1, sizeof(*idx->ex_cls));
    idx->knn_feat = calloc(idx->nfeat + 1, 1);
    if (!df || !fill || !norm || !idx->idf || !idx->post_off || !idx->post_ex || !idx->post_w ||
        !idx->ex_cls || !idx->knn_feat) {
        free(df);
        free(fill);
        free(norm);
        return -ENOMEM;
    }
    idx->nex = b->nex;
    for (f = 0; f < idx->nfeat; f++)
        idx->knn_feat[f] = idx->fkind[f] != FEAT_ACC;
    for (i = 0; i < b->nnz; i++)
        df[b->col[i]]++;
    for (f = 0; f < idx->nfeat; f++) {
        idx->idf[f] = df[f] ? logf((float)(b->nex + 1) / (float)df[f]) : 0.0f;
        idx->post_off[f + 1] = idx->post_off[f] + df[f];
    }
    for (i = 0; i < b->nex; i++) {
        double sq = 0;
        idx->ex_cls[i] = b->cls[i];
        for (j = b->row_off[i]; j < b->row_off[i + 1]; j++) {
            double v = b->val[j] * idx->idf[b->col[j]];
            sq += v * v;
        }
        norm[i] = sq > 0 ? (float)(1.0 / sqrt(sq)) : 0.0f;
        for (j = b->row_off[i]; j < b->row_off[i + 1]; j++) {
            f = b->col[j];
            idx->post_ex[idx->post_off[f] + fill[f]] = (uint32_t)i;
            idx->post_w[idx->post_off[f] + fill[f]] = b->val[j] * idx->idf[f] * norm[i];
            fill[f]++;
        }
    }
    free(df);
    free(fill);
    free(norm);
    return 0;
}

void intent_index_free(struct intent_index *idx)
{
    size_t i;

    if (!idx)
        return;
    for (i = 0; i < idx->n_labels; i++)
        free(idx->labels[i]);
    free(idx->labels);
    lex_free(idx->lex);
    restore_free(idx->rest);
    rules_free(idx->rules);
    entity_set_free(idx->ents);
    hmap_u64_free(idx->feat);
    free(idx->fkind);
    free(idx->w);
    free(idx->idf);
    free(idx->knn_feat);
    free(idx->fw);
    free(idx->post_off);
    free(idx->post_ex);
    free(idx->post_w);
    free(idx->ex_cls);
    free(idx);
}

struct intent_index *intent_index_new(const struct intent_spec *spec, struct mc_err *err)
{
    struct intent_index *idx = NULL;
    struct build *b = NULL;
    struct exp_ctx ec;
    size_t i, cls;
    int rc;

    if (spec->n_labels == 0 || spec->n_labels > INTENT_MAX_LABELS) {
        mc_err_set(err, "labels: %zu labels (want 1..%d)", spec->n_labels, INTENT_MAX_LABELS);
        return NULL;
    }
    if (spec->n_examples > INTENT_MAX_EXAMPLES) {
        mc_err_set(err, "examples: %zu phrases, more than %d", spec->n_examples,
                   INTENT_MAX_EXAMPLES);
        return NULL;
    }
    idx = calloc(1, sizeof(*idx));
    b = calloc(1, sizeof(*b));
    if (!idx || !b)
        goto fail_nomem;
    idx->labels = calloc(spec->n_labels, sizeof(*idx->labels));
    if (!idx->labels)
        goto fail_nomem;
    for (i = 0; i < spec->n_labels; i++) {
        if (!spec->labels[i] || !spec->labels[i][0] || strcmp(spec->labels[i], none_label) == 0) {
            mc_err_set(err, "labels[%zu]: empty or \"none\"", i);
            goto fail;
        }
        idx->labels[i] = strdup(spec->labels[i]);
        if (!idx->labels[i])
            goto fail_nomem;
        idx->n_labels++;
        /* the number of the first label of the same domain */
        idx->domain[i] = (uint16_t)i;
        if (spec->domains && !spec->domains[i]) {
            mc_err_set(err, "domains[%zu]: NULL", i);
            goto fail;
        }
        for (cls = 0; spec->domains && cls < i; cls++)
            if (strcmp(spec->domains[cls], spec->domains[i]) == 0) {
                idx->domain[i] = idx->domain[cls];
                break;
            }
    }
    idx->ncls = idx->n_labels + 1;
    idx->stride = (idx->ncls + INTENT_LANES - 1) / INTENT_LANES * INTENT_LANES;
    idx->lex = lex_new(spec->lexicon, spec->lexicon ? spec->lexicon_len : 0, err);
    if (!idx->lex)
        goto fail;
    idx->rules = rules_new(spec->rules, spec->rules ? spec->rules_len : 0,
                           (const char *const *)idx->labels, idx->n_labels, err);
    if (!idx->rules)
        goto fail;
    idx->ents = entity_set_new(err);
    if (!idx->ents)
        goto fail;
    idx->feat = hmap_u64_new();
    idx->rest = restore_new();
    b->row_off = calloc(spec->n_examples + 1, sizeof(*b->row_off));
    b->cls = calloc(spec->n_examples + 1, sizeof(*b->cls));
    if (!idx->feat || !idx->rest || !b->row_off || !b->cls)
        goto fail_nomem;
    b->idx = idx;

    /* 1. the restorer learns from the corpus, the expansions and accented phrases */
    if (spec->corpus && spec->corpus_len) {
        rc = learn_corpus(b, spec->corpus, spec->corpus_len);
        if (rc)
            goto fail_rc;
    }
    ec.b = b;
    ec.rc = 0;
    lex_each_expansion(idx->lex, learn_expansion, &ec);
    if (ec.rc) {
        rc = ec.rc;
        goto fail_rc;
    }
    for (i = 0; i < spec->n_examples; i++) {
        const struct intent_example *ex = &spec->examples[i];
        size_t len;
        if (!ex->label || !ex->text) {
            mc_err_set(err, "examples[%zu]: missing label or text", i);
            goto fail;
        }
        if (label_index(idx, ex->label, &cls) != 0) {
            mc_err_set(err, "examples[%zu]: unknown label \"%.60s\"", i, ex->label);
            goto fail;
        }
        len = strlen(ex->text);
        if (len > INTENT_MAX_INPUT || !mc_utf8_is_valid(ex->text, len)) {
            mc_err_set(err, "examples[%zu]: invalid UTF-8 or longer than %d bytes", i,
                       INTENT_MAX_INPUT);
            goto fail;
        }
        if (cls == idx->n_labels)
            continue; /* out-of-scope phrases do not teach the accents of the domain */
        rc = learn_text(b, ex->text, len);
        if (rc)
            goto fail_rc;
    }
    rc = restore_finish(idx->rest);
    if (rc)
        goto fail_rc;

    /* 2. features of every phrase */
    for (i = 0; i < spec->n_examples; i++) {
        const struct intent_example *ex = &spec->examples[i];
        (void)label_index(idx, ex->label, &cls);
        rc = analyse(idx, ex->text, strlen(ex->text), &b->an);
        if (rc == -EINVAL || rc == -E2BIG) {
            mc_err_set(err, "examples[%zu]: cannot normalise", i);
            goto fail;
        }
        if (rc)
            goto fail_rc;
        b->v.n = 0;
        b->v.unknown_sq = 0;
        rc = each_feature(b->an.final, intern_feature, b);
        if (rc)
            goto fail_rc;
        rc = add_row(b, cls);
        if (rc)
            goto fail_rc;
    }
    idx->w = calloc(idx->nfeat * idx->stride + 1, sizeof(*idx->w));
    if (!idx->w)
        goto fail_nomem;
    rc = weight_rows(b);
    if (rc)
        goto fail_rc;
    rc = build_postings(b);
    if (rc)
        goto fail_rc;
    /* 3. the model */
    rc = train(b);
    if (rc)
        goto fail_rc;
    free(b->row_off);
    free(b->col);
    free(b->val);
    free(b->cls);
    free(b);
    return idx;

fail_rc:
    if (rc == -ENOMEM)
        goto fail_nomem;
    mc_err_set(err, "index: %s", rc == -E2BIG ? "too many features" : "internal error");
    goto fail;
fail_nomem:
    mc_err_set(err, "out of memory");
fail:
    if (b) {
        free(b->row_off);
        free(b->col);
        free(b->val);
        free(b->cls);
        free(b);
    }
    intent_index_free(idx);
    return NULL;
}

size_t intent_index_memory(const struct intent_index *idx)
{
    if (!idx)
        return 0;
    return sizeof(*idx) + lex_memory(idx->lex) + restore_memory(idx->rest) +
           rules_memory(idx->rules) + hmap_u64_memory(idx->feat) + idx->capfeat +
           idx->nfeat * (idx->stride * sizeof(*idx->w) + sizeof(*idx->fw) + sizeof(*idx->idf) + 1 +
                         sizeof(*idx->post_off)) +
           idx->post_off[idx->nfeat] * (sizeof(*idx->post_ex) + sizeof(*idx->post_w)) +
           idx->nex * sizeof(*idx->ex_cls);
}

/* ---------- matching ---------- */

struct scored {
    size_t cls;
    double p;
};

/* The k best of p[0..n) into best[], best first (ties: lower class first). */
static size_t top_k(const double *p, size_t n, struct scored *best, size_t k)
{
    size_t c, m = 0, j;

    for (c = 0; c < n; c++) {
        if (m == k && p[c] <= best[m - 1].p)
            continue;
        j = m < k ? m++ : m - 1;
        while (j > 0 && best[j - 1].p < p[c]) {
            best[j] = best[j - 1];
            j--;
        }
        best[j].cls = c;
        best[j].p = p[c];
    }
    return m;
}

/* Adds INTENT_KNN_WEIGHT x the best cosine similarity between the message and
 * a training phrase of each label (idf-weighted): a near paraphrase of one
 * phrase counts even where the linear model averages it away. */
static void knn_scores(const struct intent_index *idx, const struct fvec *v, double *z)
{
    float sims[INTENT_KNN_MAX];
    float best[INTENT_MAX_LABELS + 1];
    double sq = 0;
    size_t i, n = idx->nex < INTENT_KNN_MAX ? idx->nex : INTENT_KNN_MAX;
    uint32_t p, e, common = (uint32_t)(idx->nex / INTENT_KNN_COMMON) + 1;

    for (i = 0; i < v->n; i++) {
        double q = v->val[i] * idx->idf[v->id[i]];
        sq += q * q;
    }
    if (sq <= 0)
        return;
    sq = 1.0 / sqrt(sq);
    memset(sims, 0, n * sizeof(*sims));
    memset(best, 0, idx->ncls * sizeof(*best));
    for (i = 0; i < v->n; i++) {
        uint32_t f = v->id[i];
        float q = (float)(v->val[i] * idx->idf[f] * sq);
        if (idx->post_off[f + 1] - idx->post_off[f] > common || !idx->knn_feat[f])
            continue; /* a word in many phrases says little about which one is near */
        for (p = idx->post_off[f]; p < idx->post_off[f + 1]; p++) {
            e = idx->post_ex[p];
            if (e < n) {
                sims[e] += q * idx->post_w[p];
                if (sims[e] > best[idx->ex_cls[e]])
                    best[idx->ex_cls[e]] = sims[e];
            }
        }
    }
    for (i = 0; i < idx->ncls; i++)
        z[i] += INTENT_KNN_WEIGHT * best[i];
}

static void copy_view(char *dst, const char *src, size_t len)
{
    if (len >= INTENT_NORM_MAX)
        len = mc_utf8_floor(src, len, INTENT_NORM_MAX - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* Where the aspect phrases are in out->folded (a copy of t->fold, maybe cut). */
static void aspect_spans(const struct intent_index *idx, const struct norm_tokens *t,
                         struct intent_result *out)
{
    struct rules_span sp[INTENT_MAX_ASPECT_SPANS];
    size_t i, n, flen = strlen(out->folded);

    n = rules_aspect_spans(idx->rules, t->fold, t->fold_len, t->acc, t->acc_len, sp,
                           INTENT_MAX_ASPECT_SPANS);
    out->n_aspect_spans = 0;
    for (i = 0; i < n; i++) {
        struct intent_span *o = &out->aspect_spans[out->n_aspect_spans];

        if (sp[i].start + sp[i].len > flen)
            continue;
        o->start = sp[i].start;
        o->len = sp[i].len;
        o->bit = 1u << sp[i].index;
        out->n_aspect_spans++;
    }
}

/* Match or clarify for a best label above the none floor (docs/understanding.md,
 * "The model"): ask when the best is weak, or when the runner-up is near-tied
 * and from another domain (no answer could serve both); otherwise answer the
 * best, and offer the runner-ups that are close as alternatives. s[0..ns) is
 * the ranking the candidates were taken from (it may hold "none"). */
static void decide(const struct intent_index *idx, const struct scored *s, size_t ns,
                   struct intent_result *out)
{
    double best = out->candidates[0].confidence;
    size_t i, second = ns;

    for (i = 1; i < ns && second == ns; i++)
        if (s[i].cls != idx->n_labels)
            second = i;
    out->decision = INTENT_MATCH;
    out->n_alternatives = 0;
    if (best < INTENT_CLARIFY_BELOW || (second < ns && s[second].p > INTENT_CLARIFY_RATIO * best &&
                                        idx->domain[s[0].cls] != idx->domain[s[second].cls])) {
        out->decision = INTENT_CLARIFY;
        return;
    }
    for (i = 1; i < out->n_candidates && out->candidates[i].confidence > INTENT_ALT_RATIO * best;
         i++)
        out->n_alternatives++;
}

static int match_once(const struct intent_index *idx, const char *text, size_t len,
                      struct intent_result *out)
{
    struct analysis an;
    struct fvec v;
    struct lookup_ctx lc;
    struct scored s[INTENT_MAX_CANDIDATES + 1];
    float zf[INTENT_MAX_LABELS + INTENT_LANES];
    double z[INTENT_MAX_LABELS + 1], mx, sum, p_none;
    size_t i, c, ncls = idx->ncls, k, ns;
    int rc;

    memset(out, 0, offsetof(struct intent_result, normalized));
    out->label = none_label;
    out->decision = INTENT_NONE;
    out->normalized[0] = '\0';
    out->folded[0] = '\0';
    out->aspects = 0;
    out->n_aspect_spans = 0;
    out->n_entities = 0;
    out->words = out->marked_words = out->expanded_words = out->restored_words = 0;
    if (len > INTENT_MAX_INPUT)
        return -E2BIG;
    if (!mc_utf8_is_valid(text, len))
        return -EINVAL;
    rc = analyse(idx, text, len, &an);
    if (rc)
        return rc;
    out->words = an.final->n_alpha;
    out->marked_words = an.final->n_marked;
    for (i = 0; i < an.final->n_tok; i++) {
        out->expanded_words += (an.final->tok[i].flags & NORM_TOK_EXPANDED) != 0;
        out->restored_words += (an.final->tok[i].flags & NORM_TOK_RESTORED) != 0;
    }
    copy_view(out->normalized, an.final->acc, an.final->acc_len);
    copy_view(out->folded, an.final->fold, an.final->fold_len);
    out->n_entities = entity_find(idx->ents, text, len, out->entities, INTENT_MAX_ENTITIES);

    v.n = 0;
    v.unknown_sq = 0;
    lc.idx = idx;
    lc.v = &v;
    rc = each_feature(an.final, lookup_feature, &lc);
    if (rc)
        return rc;
    fvec_normalise(&v);
    memcpy(zf, idx->bias, idx->stride * sizeof(*zf));
    for (i = 0; i < v.n; i++)
        axpy(zf, idx->w + (size_t)v.id[i] * idx->stride, v.val[i], idx->stride);
    for (c = 0; c < ncls; c++)
        z[c] = zf[c];
    knn_scores(idx, &v, z);
    rc = rules_apply(idx->rules, an.final->fold, an.final->fold_len, an.final->acc,
                     an.final->acc_len, z, &out->aspects);
    if (rc)
        return rc;
    aspect_spans(idx, an.final, out);
    mx = z[0];
    for (c = 1; c < ncls; c++)
        if (z[c] > mx)
            mx = z[c];
    sum = 0;
    for (c = 0; c < ncls; c++) {
        z[c] = exp(z[c] - mx);
        sum += z[c];
    }
    for (c = 0; c < ncls; c++)
        z[c] /= sum;
    ns = top_k(z, ncls, s, INTENT_MAX_CANDIDATES + 1);
    /* calibrated: a label given p^pow is right about that often on held-out
     * phrases; monotone, so applied after ranking */
    for (i = 0; i < ns; i++)
        s[i].p = pow(s[i].p, INTENT_CALIB_POW);
    z[idx->n_labels] = pow(z[idx->n_labels], INTENT_CALIB_POW);
    for (i = 0, k = 0; i < ns && k < INTENT_MAX_CANDIDATES; i++) {
        if (s[i].cls == idx->n_labels)
            continue;
        out->candidates[k].label = idx->labels[s[i].cls];
        out->candidates[k].confidence = s[i].p;
        k++;
    }
    out->n_candidates = k;
    if (k == 0 || s[0].cls == idx->n_labels || s[0].p < INTENT_NONE_FLOOR) {
        out->label = none_label;
        /* how sure "none" is: the none class, or the lack of any confident label */
        p_none = z[idx->n_labels];
        out->confidence = k && 1.0 - out->candidates[0].confidence > p_none
                              ? 1.0 - out->candidates[0].confidence
                              : p_none;
        out->decision = INTENT_NONE;
        return 0;
    }
    out->label = out->candidates[0].label;
    out->confidence = out->candidates[0].confidence;
    decide(idx, s, ns, out);
    return 0;
}

/* ---------- greeting + request ---------- */

/* Social labels: a greeting or thanks says nothing the citizen wants done. */
static const char *const social_labels[] = {"chao-hoi", "cam-on"};
/* Leading words of a greeting without punctuation after it ("chào ad cho
 * hỏi ..."), lower case as typed, with and without marks. */
static const char *const greeting_words[] = {
    "chào",  "chao",  "xin", "hi",  "hello", "alo",  "dạ",  "da",     "ad",  "admin", "bạn",
    "ban",   "anh",   "chị", "chi", "em",    "cán",  "can", "bộ",     "bo",  "shop",  "ơi",
    "oi",    "ạ",     "a",   "cảm", "cam",   "ơn",   "on",  "thanks", "cám", "thank", "you",
    "nhiều", "nhieu", "nha", "nhé", "nhe",   "nhen", "lắm", "hen"};

static bool is_social(const char *label)
{
    size_t i;

    for (i = 0; i < sizeof(social_labels) / sizeof(social_labels[0]); i++)
        if (strcmp(label, social_labels[i]) == 0)
            return true;
    return false;
}

static bool is_greeting_word(const char *w, size_t n)
{
    char low[16];
    size_t i;

    if (n == 0 || n >= sizeof(low))
        return false;
    for (i = 0; i < n; i++)
        low[i] = (w[i] >= 'A' && w[i] <= 'Z') ? (char)(w[i] - 'A' + 'a') : w[i];
    low[n] = '\0';
    if (strncmp(w, "Chào", sizeof "Chào" - 1) == 0 && n == sizeof "Chào" - 1)
        return true;
    for (i = 0; i < sizeof(greeting_words) / sizeof(greeting_words[0]); i++)
        if (strcmp(low, greeting_words[i]) == 0)
            return true;
    return false;
}

/* Byte offset where the request after a greeting starts: after the first
 * clause mark (",.!?;:" or a new line) that has words after it, else after
 * the leading greeting words; len when there is nothing after them. */
static size_t social_rest(const char *text, size_t len)
{
    size_t i, w;

    for (i = 0; i < len; i++) {
        if (strchr(",.!?;:\n", text[i]) == NULL)
            continue;
        for (w = i + 1; w < len && strchr(" ,.!?;:\n\t", text[w]); w++)
            ;
        if (w < len)
            return w;
        break;
    }
    for (i = 0; i < len;) {
        while (i < len && text[i] == ' ')
            i++;
        for (w = i; w < len && text[w] != ' '; w++)
            ;
        if (w == i || !is_greeting_word(text + i, w - i))
            return i;
        i = w;
    }
    return len;
}

/* A message labelled as a greeting or thanks that has more in it ("chào ad,
 * cho hỏi tối nay rạp nào chiếu phim") is decided by that request: the text
 * after the greeting is matched again, and its answer (a procedure, a meta
 * intent, or out of scope) replaces the social one. A remainder too short to
 * be a request ("chào ad, cho hỏi"), or an out-of-scope reading that is not
 * sure (the rest of a thanks: "cám ơn em đã chỉ tận tình"), keeps it. */
int intent_match(const struct intent_index *idx, const char *text, size_t len,
                 struct intent_result *out)
{
    struct intent_result rest; /* ~9 KiB: the second reading, on the stack like the first's */
    size_t off, i;
    int rc = match_once(idx, text, len, out);

    if (rc || out->decision == INTENT_NONE || !is_social(out->label))
        return rc;
    off = social_rest(text, len);
    if (off == 0 || off >= len)
        return 0;
    if (match_once(idx, text + off, len - off, &rest) == 0 &&
        !(rest.decision != INTENT_NONE && is_social(rest.label)) && rest.words >= 2 &&
        (rest.decision != INTENT_NONE || rest.aspects ||
         (rest.words >= INTENT_SOCIAL_REST_MIN && rest.confidence >= INTENT_SOCIAL_NONE_SURE))) {
        for (i = 0; i < rest.n_entities; i++)
            rest.entities[i].start += off;
        *out = rest;
    }
    return 0;
}

/* ---------- names, JSON ---------- */

const char *intent_decision_name(enum intent_decision d)
{
    switch (d) {
    case INTENT_MATCH:
        return "match";
    case INTENT_CLARIFY:
        return "clarify";
    default:
        return "none";
    }
}

const char *intent_aspect_name(unsigned bit)
{
    unsigned i;

    for (i = 0; i < INTENT_ASPECT_COUNT_; i++)
        if (bit == 1u << i)
            return rules_aspect_name(i);
    return NULL;
}

const char *intent_entity_kind_name(enum intent_entity_kind k)
{
    switch (k) {
    case INTENT_ENTITY_DOSSIER:
        return "dossier";
    case INTENT_ENTITY_DATE:
        return "date";
    case INTENT_ENTITY_PHONE:
        return "phone";
    case INTENT_ENTITY_ID:
        return "id";
    default:
        return "email";
    }
}

static int json_str(struct mc_buf *b, const char *s)
{
    const char *p;
    int rc = mc_buf_puts(b, "\"");

    for (p = s; *p && rc == 0; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            rc = mc_buf_append(b, e, 2);
        } else if (c < 0x20) {
            rc = mc_buf_printf(b, "\\u%04x", c);
        } else {
            rc = mc_buf_append(b, p, 1);
        }
    }
    return rc ? rc : mc_buf_puts(b, "\"");
}

int intent_result_to_json(const struct intent_result *r, char **out_json)
{
    struct mc_buf b;
    size_t i;
    unsigned bit;
    int rc;
    bool first = true;

    mc_buf_init(&b, 4 * INTENT_NORM_MAX + 4096);
    rc = mc_buf_puts(&b, "{\"label\":");
    if (!rc)
        rc = json_str(&b, r->label ? r->label : none_label);
    if (!rc)
        rc = mc_buf_printf(&b, ",\"confidence\":%.3f,\"candidates\":[", r->confidence);
    for (i = 0; i < r->n_candidates && !rc; i++) {
        rc = mc_buf_puts(&b, i ? ",{\"label\":" : "{\"label\":");
        if (!rc)
            rc = json_str(&b, r->candidates[i].label);
        if (!rc)
            rc = mc_buf_printf(&b, ",\"confidence\":%.3f}", r->candidates[i].confidence);
    }
    if (!rc)
        rc = mc_buf_puts(&b, "],\"normalized\":");
    if (!rc)
        rc = json_str(&b, r->normalized);
    if (!rc)
        rc = mc_buf_printf(&b, ",\"decision\":\"%s\",\"alternatives\":[",
                           intent_decision_name(r->decision));
    for (i = 0; i < r->n_alternatives && i + 1 < r->n_candidates && !rc; i++) {
        rc = i ? mc_buf_puts(&b, ",") : 0;
        if (!rc)
            rc = json_str(&b, r->candidates[i + 1].label);
    }
    if (!rc)
        rc = mc_buf_puts(&b, "],\"folded\":");
    if (!rc)
        rc = json_str(&b, r->folded);
    if (!rc)
        rc = mc_buf_puts(&b, ",\"aspects\":[");
    for (bit = 0; bit < INTENT_ASPECT_COUNT_ && !rc; bit++) {
        if (!(r->aspects & (1u << bit)))
            continue;
        rc = mc_buf_printf(&b, "%s\"%s\"", first ? "" : ",", rules_aspect_name(bit));
        first = false;
    }
    if (!rc)
        rc = mc_buf_puts(&b, "],\"entities\":[");
    for (i = 0; i < r->n_entities && !rc; i++)
        rc = mc_buf_printf(&b, "%s{\"kind\":\"%s\",\"start\":%zu,\"len\":%zu}", i ? "," : "",
                           intent_entity_kind_name(r->entities[i].kind), r->entities[i].start,
                           r->entities[i].len);
    if (!rc)
        rc = mc_buf_puts(&b, "]}");
    if (rc) {
        mc_buf_fini(&b);
        *out_json = NULL;
        return -ENOMEM;
    }
    *out_json = mc_buf_steal(&b);
    return *out_json ? 0 : -ENOMEM;
}

/* ---------- eval ---------- */

enum eval_style {
    STYLE_ACCENTED,
    STYLE_PLAIN,
    STYLE_TEEN,
    STYLE_SITUATION,
    STYLE_NONE,
    STYLE_COUNT
};

static const char *const style_names[STYLE_COUNT] = {
    "with diacritics", "without diacritics", "teencode/abbrev", "situational", "out of scope",
};

/* A line is right only when the bot answers it right: an in-scope line needs
 * decision "match" with its label, a none line decision "none". A "clarify"
 * (the bot asks "did you mean") is never counted right; it is reported apart,
 * with how often the right label was among the choices offered. */
struct eval_state {
    size_t ncls;
    size_t *conf;    /* [true][pred] counts of answered lines (match or none), ncls x ncls */
    size_t *clar_by; /* [true] lines that got "clarify", ncls */
    size_t style_n[STYLE_COUNT], style_ok[STYLE_COUNT];
    size_t lines, inscope, none, ok, ins_ok, none_ok, top3, plain, plain_ok;
    size_t clar, clar_right, none_clar; /* in-scope clarifies, of them right label offered; none */
};

static enum eval_style style_of(const char *col, const struct intent_result *r, bool is_none)
{
    if (col && *col) {
        if (strstr(col, "situ"))
            return STYLE_SITUATION;
        if (strstr(col, "teen") || strstr(col, "abbr"))
            return STYLE_TEEN;
        if (strstr(col, "without") || strstr(col, "plain") || strstr(col, "unaccent") ||
            strstr(col, "no-diacritics"))
            return STYLE_PLAIN;
        if (strstr(col, "none") || strstr(col, "out"))
            return STYLE_NONE;
        return STYLE_ACCENTED;
    }
    if (is_none)
        return STYLE_NONE;
    if (r->expanded_words)
        return STYLE_TEEN;
    return r->marked_words ? STYLE_ACCENTED : STYLE_PLAIN;
}

/* One labelled line; returns 0 or -EINVAL with *why set. */
static int eval_line(const struct intent_index *idx, struct eval_state *st, char *line,
                     struct intent_result *r, const struct intent_eval_hook *hook, const char **why)
{
    char *tab = strchr(line, '\t'), *label, *style = NULL, *t;
    size_t cls, pred, c;
    bool ok, in3 = false, is_none, clarify, declined;
    int rc;

    if (!tab) {
        *why = "expected text<TAB>label";
        return -EINVAL;
    }
    *tab = '\0';
    label = tab + 1;
    t = strchr(label, '\t');
    if (t) {
        *t = '\0';
        style = t + 1;
    }
    if (label_index(idx, label, &cls) != 0) {
        *why = "unknown label (not in the catalogue, and not \"none\")";
        return -EINVAL;
    }
    rc = intent_match(idx, line, strlen(line), r);
    if (rc == -EINVAL) {
        *why = "text is not valid UTF-8";
        return -EINVAL;
    }
    if (rc == -E2BIG) {
        *why = "text longer than INTENT_MAX_INPUT (2048 bytes)";
        return -EINVAL;
    }
    if (rc)
        return rc;
    is_none = cls == idx->n_labels;
    /* the caller's product answers no label here (a known procedure without
     * a guide): counted as the bot's "none" */
    declined = hook && hook->declines && hook->declines(hook->arg, r);
    clarify = !declined && r->decision == INTENT_CLARIFY;
    if (declined || label_index(idx, r->label, &pred) != 0)
        pred = idx->n_labels;
    ok = !clarify && pred == cls;
    for (c = 0; c < r->n_candidates; c++)
        if (strcmp(r->candidates[c].label, label) == 0)
            in3 = true;
    st->lines++;
    st->ok += ok;
    if (clarify)
        st->clar_by[cls]++;
    else
        st->conf[cls * st->ncls + pred]++;
    if (is_none) {
        st->none++;
        st->none_ok += ok;
        st->none_clar += clarify;
    } else {
        st->inscope++;
        st->ins_ok += ok;
        st->top3 += in3;
        st->clar += clarify;
        st->clar_right += clarify && in3;
        if (r->marked_words == 0) {
            st->plain++;
            st->plain_ok += ok;
        }
    }
    enum eval_style sty = style_of(style, r, is_none);
    st->style_n[sty]++;
    st->style_ok[sty] += ok;
    return 0;
}

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

struct confusion {
    size_t t, p, n;
};

static int by_count(const void *a, const void *b)
{
    const struct confusion *x = a, *y = b;

    return x->n < y->n ? 1 : x->n > y->n ? -1 : (x->t > y->t) - (x->t < y->t);
}

static const char *cls_name(const struct intent_index *idx, size_t c)
{
    return c == idx->n_labels ? none_label : idx->labels[c];
}

static void eval_report(const struct intent_index *idx, const struct eval_state *st, FILE *out)
{
    struct confusion worst[INTENT_EVAL_CONFUSIONS];
    size_t i, j, nw = 0, tp, col, row, n = st->ncls;

    fprintf(out, "%-28s %5s %6s %6s %7s\n", "label", "n", "prec", "recall", "clarify");
    for (i = 0; i < n; i++) {
        tp = st->conf[i * n + i];
        col = 0;
        row = st->clar_by[i];
        for (j = 0; j < n; j++) {
            row += st->conf[i * n + j];
            col += st->conf[j * n + i];
        }
        if (row == 0 && col == 0)
            continue;
        fprintf(out, "%-28s %5zu %6.3f %6.3f %7zu\n", cls_name(idx, i), row, ratio(tp, col),
                ratio(tp, row), st->clar_by[i]);
    }
    fprintf(out, "\n%-20s %5s %6s\n", "style", "n", "top1");
    for (i = 0; i < STYLE_COUNT; i++)
        if (st->style_n[i])
            fprintf(out, "%-20s %5zu %6.3f\n", style_names[i], st->style_n[i],
                    ratio(st->style_ok[i], st->style_n[i]));
    fprintf(out, "unaccented in-scope: %zu lines, top1 %.3f\n", st->plain,
            ratio(st->plain_ok, st->plain));
    fprintf(out,
            "clarify (asked \"did you mean\", not counted right): %zu of %zu in-scope lines, "
            "right label offered in %zu; %zu of %zu none lines\n",
            st->clar, st->inscope, st->clar_right, st->none_clar, st->none);
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            size_t c = st->conf[i * n + j];
            if (i == j || c == 0)
                continue;
            if (nw < INTENT_EVAL_CONFUSIONS) {
                worst[nw].t = i;
                worst[nw].p = j;
                worst[nw++].n = c;
                qsort(worst, nw, sizeof(worst[0]), by_count);
            } else if (c > worst[nw - 1].n) {
                worst[nw - 1].t = i;
                worst[nw - 1].p = j;
                worst[nw - 1].n = c;
                qsort(worst, nw, sizeof(worst[0]), by_count);
            }
        }
    fprintf(out, "\nworst confusions (true -> predicted):\n");
    for (i = 0; i < nw; i++)
        fprintf(out, "  %4zu  %s -> %s\n", worst[i].n, cls_name(idx, worst[i].t),
                cls_name(idx, worst[i].p));
    fprintf(out,
            "accuracy=%.3f inscope=%.3f none=%.3f top3=%.3f nodiac=%.3f clarify=%.3f "
            "clarify_right=%zu/%zu\n",
            ratio(st->ok, st->lines), ratio(st->ins_ok, st->inscope), ratio(st->none_ok, st->none),
            ratio(st->top3, st->inscope), ratio(st->plain_ok, st->plain),
            ratio(st->clar, st->inscope), st->clar_right, st->clar);
}

int intent_eval(const struct intent_index *idx, FILE *in, const char *name, FILE *out,
                struct intent_eval_summary *sum, struct mc_err *err)
{
    return intent_eval_with(idx, NULL, in, name, out, sum, err);
}

int intent_eval_with(const struct intent_index *idx, const struct intent_eval_hook *hook, FILE *in,
                     const char *name, FILE *out, struct intent_eval_summary *sum,
                     struct mc_err *err)
{
    struct eval_state st;
    struct intent_result *r = NULL;
    char *line = NULL;
    const char *why = NULL;
    size_t lineno = 0, len;
    int rc = 0;

    memset(&st, 0, sizeof(st));
    st.ncls = idx->ncls;
    st.conf = calloc(st.ncls * st.ncls, sizeof(*st.conf));
    st.clar_by = calloc(st.ncls, sizeof(*st.clar_by));
    r = malloc(sizeof(*r));
    line = malloc(INTENT_EVAL_LINE + 2);
    if (!st.conf || !st.clar_by || !r || !line) {
        mc_err_set(err, "%s: out of memory", name);
        rc = -ENOMEM;
        goto out;
    }
    while (fgets(line, INTENT_EVAL_LINE + 2, in)) {
        lineno++;
        len = strlen(line);
        if (len == INTENT_EVAL_LINE + 1 && line[len - 1] != '\n') {
            mc_err_set(err, "%s:%zu: line longer than %d bytes", name, lineno, INTENT_EVAL_LINE);
            rc = -EINVAL;
            goto out;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        rc = eval_line(idx, &st, line, r, hook, &why);
        if (rc == -EINVAL) {
            mc_err_set(err, "%s:%zu: %s", name, lineno, why ? why : "invalid line");
            goto out;
        }
        if (rc) {
            mc_err_set(err, "%s:%zu: %s", name, lineno, strerror(-rc));
            goto out;
        }
    }
    if (ferror(in)) {
        mc_err_set(err, "%s: read error", name);
        rc = -EIO;
        goto out;
    }
    eval_report(idx, &st, out);
    if (sum) {
        sum->lines = st.lines;
        sum->inscope = st.inscope;
        sum->none = st.none;
        sum->accuracy = ratio(st.ok, st.lines);
        sum->inscope_acc = ratio(st.ins_ok, st.inscope);
        sum->none_acc = ratio(st.none_ok, st.none);
        sum->top3 = ratio(st.top3, st.inscope);
        sum->unaccented_lines = st.plain;
        sum->unaccented = ratio(st.plain_ok, st.plain);
        sum->clarify = st.clar;
        sum->clarify_right = st.clar_right;
        sum->none_clarify = st.none_clar;
    }
out:
    free(st.conf);
    free(st.clar_by);
    free(r);
    free(line);
    return rc;
}
