/* intents/intent_topic.c - is a message about the procedure it matched at
 * all? (docs/understanding.md, "Subject words no guide uses").
 *
 * When the index is built every class gets a vocabulary: the words of its
 * training phrases and, for a label given a text (intent_spec.label_texts:
 * its guide's name, steps, documents, FAQ), the words of that text. A word's
 * weight is its IDF over the labels that have a text, so the words most
 * guides use ("làm", "giấy", "cần", "con", "cho") weigh about nothing: what
 * is generic comes from the corpus, not from a stop-word list. A word is a
 * SUBJECT no guide explains when no label uses it (not in any phrase of a
 * procedure or meta intent, not in any guide) while at least INTENT_TOPIC_NONE_MIN
 * out-of-scope phrases do: the corpus knows it, and knows it only as
 * something the desk does not do ("chó", "mộ", "xăm"). Words the corpus
 * never saw (invented names, typos) are not subjects, and a word seen in one
 * or two out-of-scope phrases only is more often a typo or a dialect word
 * than a subject. A message matched on a label with a text is declined when
 * such subjects carry INTENT_TOPIC_SHARE of its known words' weight.
 *
 * The vocabulary is keyed by the accented word when it is typed or restored
 * with marks ("chó" is not "cho"), else by the folded word (a folded key
 * merges senses, so it is used by more labels: the conservative side).
 * Read-only after the build; the check allocates nothing. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "norm.h"

#include "intent_int.h"

/* Kinds of vocabulary keys, apart from the model's feature kinds. */
#define TOPIC_KEY_FOLD 0x71u
#define TOPIC_KEY_ACC 0x72u
#define TOPIC_SETW ((INTENT_MAX_LABELS + 1 + 63) / 64) /* uint64 per set of classes */

/* The build's scratch: for each word, the set of classes using it, and how
 * many out-of-scope phrases do. Dropped by intent_topic_finish(). */
struct intent_topic_build {
    uint64_t *uses;  /* [rows][TOPIC_SETW] */
    uint16_t *nnone; /* [rows] */
    size_t cap;      /* rows allocated */
};

static bool topic_is_word(const struct norm_token *k)
{
    return (k->flags & NORM_TOK_ALPHA) && !(k->flags & NORM_TOK_DIGIT) && k->fold_len > 0;
}

static uint64_t topic_key(const struct norm_tokens *t, const struct norm_token *k, bool acc)
{
    if (acc)
        return intent_mix(hmap_hash(t->acc + k->acc, k->acc_len), TOPIC_KEY_ACC);
    return intent_mix(hmap_hash(t->fold + k->fold, k->fold_len), TOPIC_KEY_FOLD);
}

static int topic_use(struct intent_index *idx, uint64_t key, size_t cls)
{
    struct intent_topic_build *b = idx->topic_build;
    uint32_t row = hmap_u64_get(idx->topic, key);
    int rc;

    if (row == 0) {
        if (idx->topic_rows == b->cap) {
            size_t nc = b->cap ? b->cap * 2 : 4096;
            uint64_t *u = realloc(b->uses, nc * TOPIC_SETW * sizeof(*u));
            uint16_t *nn;

            if (!u)
                return -ENOMEM;
            b->uses = u;
            nn = realloc(b->nnone, nc * sizeof(*nn));
            if (!nn)
                return -ENOMEM;
            b->nnone = nn;
            b->cap = nc;
        }
        memset(b->uses + idx->topic_rows * TOPIC_SETW, 0, TOPIC_SETW * sizeof(*b->uses));
        b->nnone[idx->topic_rows] = 0;
        row = (uint32_t)++idx->topic_rows;
        rc = hmap_u64_add(idx->topic, key, row);
        if (rc)
            return rc;
    }
    row--;
    b->uses[row * TOPIC_SETW + cls / 64] |= (uint64_t)1 << (cls % 64);
    if (cls == idx->n_labels && b->nnone[row] < UINT16_MAX)
        b->nnone[row]++;
    return 0;
}

int intent_topic_add(struct intent_index *idx, const struct norm_tokens *t, size_t cls)
{
    bool accented = t->n_alpha > 0 && 2 * t->n_marked >= t->n_alpha;
    size_t i;
    int rc;

    if (!idx->topic) {
        idx->topic = hmap_u64_new();
        idx->topic_build = calloc(1, sizeof(*idx->topic_build));
        if (!idx->topic || !idx->topic_build)
            return -ENOMEM;
    }
    for (i = 0; i < t->n_tok; i++) {
        const struct norm_token *k = &t->tok[i];
        if (!topic_is_word(k))
            continue;
        rc = topic_use(idx, topic_key(t, k, false), cls);
        /* an unmarked word of an accented text is its accented form too */
        if (rc == 0 && (accented || (k->flags & (NORM_TOK_MARKED | NORM_TOK_RESTORED))))
            rc = topic_use(idx, topic_key(t, k, true), cls);
        if (rc)
            return rc;
    }
    return 0;
}

static void topic_build_free(struct intent_index *idx)
{
    if (idx->topic_build) {
        free(idx->topic_build->uses);
        free(idx->topic_build->nnone);
        free(idx->topic_build);
        idx->topic_build = NULL;
    }
}

int intent_topic_finish(struct intent_index *idx)
{
    const struct intent_topic_build *b = idx->topic_build;
    size_t r, l, df, nl = 0;
    bool any;

    for (l = 0; l < idx->n_labels; l++)
        nl += idx->topic_checked[l];
    if (nl == 0 || idx->topic_rows == 0) {
        topic_build_free(idx);
        return 0;
    }
    idx->topic_w = calloc(idx->topic_rows, sizeof(*idx->topic_w));
    if (!idx->topic_w)
        return -ENOMEM;
    for (r = 0; r < idx->topic_rows; r++) {
        const uint64_t *u = b->uses + r * TOPIC_SETW;
        for (df = 0, any = false, l = 0; l < idx->n_labels; l++) {
            bool used = u[l / 64] >> (l % 64) & 1;
            df += idx->topic_checked[l] && used;
            any = any || used;
        }
        idx->topic_w[r] = (float)log((double)(nl + 1) / (double)(df + 1));
        /* a subject: no label uses it (meta intents included), out-of-scope
         * text does (kept as a negative weight: one array, one lookup) */
        if (!any && b->nnone[r] >= INTENT_TOPIC_NONE_MIN)
            idx->topic_w[r] = -idx->topic_w[r];
    }
    topic_build_free(idx);
    return 0;
}

double intent_topic_unexplained(const struct intent_index *idx, const struct norm_tokens *t,
                                const size_t *cls, size_t n)
{
    double total = 0, subject = 0, w;
    size_t i;
    uint32_t row;

    if (!idx->topic_w || n == 0)
        return 0;
    for (i = 0; i < n; i++)
        if (cls[i] >= idx->n_labels || !idx->topic_checked[cls[i]])
            return 0; /* a label without a text has no vocabulary to judge by */
    for (i = 0; i < t->n_tok; i++) {
        const struct norm_token *k = &t->tok[i];
        if (!topic_is_word(k))
            continue;
        /* the token's own marks decide: a word typed without marks in an
         * accented message is looked up folded, as typed */
        row = hmap_u64_get(
            idx->topic, topic_key(t, k, (k->flags & (NORM_TOK_MARKED | NORM_TOK_RESTORED)) != 0));
        if (row == 0)
            continue; /* never seen anywhere: a name or a typo says nothing */
        w = idx->topic_w[row - 1];
        total += fabs(w);
        if (w < 0)
            subject -= w;
    }
    return total > 0 ? subject / total : 0;
}

void intent_topic_free(struct intent_index *idx)
{
    topic_build_free(idx);
    hmap_u64_free(idx->topic);
    free(idx->topic_w);
}

size_t intent_topic_memory(const struct intent_index *idx)
{
    return (idx->topic ? hmap_u64_memory(idx->topic) : 0) +
           (idx->topic_w ? idx->topic_rows * sizeof(*idx->topic_w) : 0);
}
