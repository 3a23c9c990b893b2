/* intents/intent_build.c - intent_index_new() (intent.h): the index built
 * and trained from the training phrases, deterministic (intent_int.h). */
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

#include "intent_int.h"

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
    intent_fvec_put(&b->v, id - 1, w);
    return 0;
}

int intent_label_index(const struct intent_index *idx, const char *label, size_t *out)
{
    size_t i;

    if (strcmp(label, intent_none_label) == 0) {
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

typedef int (*sentence_fn)(struct build *b, const char *s, size_t len, size_t cls);

/* Calls fn on each sentence of c[0..len) (cut at . ; ? ! : ( ) and new
 * lines) that is valid UTF-8 and short enough to normalise. */
static int each_sentence(struct build *b, const char *c, size_t len, sentence_fn fn, size_t cls)
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
            rc = fn(b, c + i, j - i, cls);
            if (rc)
                return rc;
        }
        i = j + 1;
    }
    return 0;
}

/* The restorer learns from one sentence of the corpus. */
static int learn_sentence(struct build *b, const char *s, size_t len, size_t cls)
{
    (void)cls;
    return learn_text(b, s, len);
}

/* One sentence of a label's own text joins its subject vocabulary, read
 * through the same pipeline as a message. */
static int learn_label_sentence(struct build *b, const char *s, size_t len, size_t cls)
{
    int rc = intent_analyse(b->idx, s, len, &b->an);

    if (rc == -ENOMEM)
        return rc;
    if (rc)
        return 0; /* a sentence that does not normalise teaches nothing */
    return intent_topic_add(b->idx, b->an.final, cls);
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
                intent_axpy(z, idx->w + (size_t)b->col[i] * st, b->val[i], st);
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
    intent_topic_free(idx);
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
        if (!spec->labels[i] || !spec->labels[i][0] ||
            strcmp(spec->labels[i], intent_none_label) == 0) {
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
        rc = each_sentence(b, spec->corpus, spec->corpus_len, learn_sentence, 0);
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
        if (intent_label_index(idx, ex->label, &cls) != 0) {
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
        (void)intent_label_index(idx, ex->label, &cls);
        rc = intent_analyse(idx, ex->text, strlen(ex->text), &b->an);
        if (rc == -EINVAL || rc == -E2BIG) {
            mc_err_set(err, "examples[%zu]: cannot normalise", i);
            goto fail;
        }
        if (rc)
            goto fail_rc;
        b->v.n = 0;
        b->v.unknown_sq = 0;
        rc = intent_each_feature(b->an.final, intern_feature, b);
        if (rc)
            goto fail_rc;
        rc = add_row(b, cls);
        if (rc)
            goto fail_rc;
        rc = intent_topic_add(idx, b->an.final, cls);
        if (rc)
            goto fail_rc;
    }
    for (i = 0; spec->label_texts && i < spec->n_labels; i++) {
        if (!spec->label_texts[i])
            continue;
        idx->topic_checked[i] = true;
        rc = each_sentence(b, spec->label_texts[i], strlen(spec->label_texts[i]),
                           learn_label_sentence, i);
        if (rc)
            goto fail_rc;
    }
    rc = intent_topic_finish(idx);
    if (rc)
        goto fail_rc;
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
           idx->nex * sizeof(*idx->ex_cls) + intent_topic_memory(idx);
}
