/* intents/intent_int.h - what the parts of the understanding share (intent.h
 * is its interface): intent.c reads a message (normalisation, features) and
 * matches it, intent_build.c builds and trains the index, intent_report.c
 * writes results as JSON and runs `motcua eval`. */
#ifndef MOTCUA_INTENTS_INTENT_INT_H
#define MOTCUA_INTENTS_INTENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "intent.h"
#include "norm.h"

struct lex;
struct restore;
struct rules;
struct entity_set;
struct hmap_u64;
struct intent_topic_build;

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
/* the request after a background (ask_clause.h): at least this many words,
 * declined when read alone its none class is at least this sure (elliptic
 * requests that name nothing read 0.5-0.87 on the near-miss dev sets, out of
 * scope requests 0.98-1.0) */
#define INTENT_ASK_MIN_WORDS 4
#define INTENT_ASK_NONE_SURE 0.97
/* ... unless the whole message's best label is this sure (follow-ups of the
 * background procedure read 0.97-1.0 on the training phrases, requests about
 * something else 0.60-0.90 on the near-miss dev sets) */
#define INTENT_ASK_WHOLE_SURE 0.92
/* a message of at most this many words is a fragment: a topic that a none
 * rule found there is its subject, unless a rule also spoke for the best
 * label ("ly hôn", "thuế hộ kinh doanh"; docs/understanding.md, "Fragments") */
#define INTENT_FRAGMENT_WORDS 4
/* two questions in one message (ask_split.h): each side has at least this
 * many words, and the covered side is answered when its best label is at
 * least this sure and the other side is out of scope */
#define INTENT_SPLIT_MIN_WORDS 4
#define INTENT_SPLIT_SURE 0.9
/* subject words no guide uses (intent_topic.c): a word no label uses and at
 * least this many out-of-scope phrases do is a subject the desk does not
 * handle; a match or clarify on labels with a text is declined when such
 * subjects carry this share of the message's known words' weight (chosen on
 * cross-validation and the near-miss dev sets: docs/understanding.md,
 * "Subject words no guide uses") */
#define INTENT_TOPIC_NONE_MIN 3
#define INTENT_TOPIC_SHARE 0.4
#define INTENT_SEED 0x9E3779B97F4A7C15ULL
#define INTENT_CORPUS_MAX (64u << 20) /* bytes of corpus read */
#define INTENT_EVAL_LINE 8192         /* bytes of one eval line */
#define INTENT_EVAL_CONFUSIONS 15     /* worst confusions printed */

/* Feature groups and their weights before L2 normalisation. */
#define W_UNI 1.0f /* folded word */
#define W_BI 1.0f  /* folded word pair */
#define W_ACC 0.5f /* accented word, when typed or restored with marks */

/* The label of the "none" class; results point at it. */
extern const char intent_none_label[];

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
    /* subject vocabulary (intent_topic.c) */
    struct hmap_u64 *topic;                 /* word key -> row + 1 */
    float *topic_w;                         /* [rows] IDF over labels with a text; < 0: subject */
    size_t topic_rows;                      /* words known */
    struct intent_topic_build *topic_build; /* build scratch, NULL after */
    bool topic_checked[INTENT_MAX_LABELS];  /* the label was given a text */
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

/* Features are 64-bit hashes of their text: kind, then the folded word (or
 * the pair of words, or the accented word). With a few tens of thousands of
 * features a collision is improbable (~1e-10), and would only merge two
 * features; in exchange a message is read without building any string. */
enum feat_kind { FEAT_WORD = 1, FEAT_PAIR = 2, FEAT_ACC = 3 };

/* Calls add(ctx, key, kind, weight) for each feature of t. */
typedef int (*feat_fn)(void *ctx, uint64_t key, enum feat_kind kind, float w);

/* Normalises text (len bytes) through idx's pipeline into an. */
int intent_analyse(const struct intent_index *idx, const char *text, size_t len,
                   struct analysis *an);
/* Calls add(ctx, key, kind, weight) for each feature of t; stops at the first non-zero return. */
int intent_each_feature(const struct norm_tokens *t, feat_fn add, void *ctx);
/* A 64-bit hash h of a token, mixed with what kind of key it is (word, pair,
 * accented form...) so equal hashes of different kinds do not collide; never
 * UINT64_MAX, which hmap_u64 reserves. */
uint64_t intent_mix(uint64_t h, uint64_t kind);
void intent_fvec_put(struct fvec *v, uint32_t id, float w);
/* Scales v to unit length (its unknown features' weight counted in the length). */
void intent_fvec_normalise(struct fvec *v);
/* z[0..n) += x * w[0..n) (n a multiple of INTENT_LANES: vectorised). */
void intent_axpy(float *z, const float *w, float x, size_t n);
/* Adds the content words of t to the vocabulary of class cls. Returns 0 or -ENOMEM. */
int intent_topic_add(struct intent_index *idx, const struct norm_tokens *t, size_t cls);
/* Weighs the vocabulary once every text is added and frees the build's
 * scratch. Returns 0 or -ENOMEM. */
int intent_topic_finish(struct intent_index *idx);
/* The share (0..1) of the weight of t's known words that subjects no label
 * uses carry; 0 when one of the labels cls[0..n) was given no text. */
double intent_topic_unexplained(const struct intent_index *idx, const struct norm_tokens *t,
                                const size_t *cls, size_t n);
void intent_topic_free(struct intent_index *idx);
size_t intent_topic_memory(const struct intent_index *idx);
/* The class of label in idx ("none": the last); returns 0 or -ENOENT. */
int intent_label_index(const struct intent_index *idx, const char *label, size_t *out);

#endif
