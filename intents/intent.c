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
 * figures: docs/understanding.md. The parts are in intent_int.h; this file
 * reads a message and matches it. */
#include "intent.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ask_clause.h"
#include "ask_split.h"
#include "entity.h"
#include "hmap.h"
#include "mc_buf.h"
#include "mc_utf8.h"
#include "norm.h"
#include "rules.h"

#include "intent_int.h"

const char intent_none_label[] = "none";

/* ---------- matching ---------- */

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
        intent_fvec_put(c->v, id, w * c->idx->fw[id]);
    else
        c->v->unknown_sq += (double)w * w * c->idx->fw_unknown * c->idx->fw_unknown;
    return 0;
}

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

/* A match or clarify whose message is largely about a subject that no label
 * uses and out-of-scope text does ("chó" in a message that otherwise reads
 * as a residence registration) is declined: the shared words made it look
 * like the guide, its subject is something else (intent_topic.c;
 * docs/understanding.md, "Subject words no guide uses"). Only labels with a
 * guide text are judged (for a clarify: every label offered). The candidates
 * stay, and a declined message still goes through the known-procedure
 * lookup (gateway/kb/kb_portal.h) as every "none" does. */
static void decline_unexplained(const struct intent_index *idx, const struct norm_tokens *t,
                                const struct scored *s, size_t ns, double p_none,
                                struct intent_result *out)
{
    size_t cls[INTENT_MAX_CANDIDATES], n = 0, i;
    double share;

    for (i = 0; i < ns && n < INTENT_MAX_CANDIDATES; i++) {
        if (s[i].cls == idx->n_labels)
            continue;
        cls[n++] = s[i].cls;
        if (out->decision == INTENT_MATCH)
            break;
    }
    share = intent_topic_unexplained(idx, t, cls, n);
    if (share < INTENT_TOPIC_SHARE)
        return;
    out->confidence = p_none > share ? p_none : share;
    out->label = intent_none_label;
    out->decision = INTENT_NONE;
    out->n_alternatives = 0;
}

static int match_once(const struct intent_index *idx, const char *text, size_t len,
                      struct intent_result *out, double *none_class)
{
    struct analysis an;
    struct fvec v;
    struct lookup_ctx lc;
    struct scored s[INTENT_MAX_CANDIDATES + 1];
    float zf[INTENT_MAX_LABELS + INTENT_LANES];
    double z[INTENT_MAX_LABELS + 1], ruled[INTENT_MAX_LABELS + 1], mx, sum, p_none;
    size_t i, c, ncls = idx->ncls, k, ns;
    int rc;

    memset(out, 0, offsetof(struct intent_result, normalized));
    out->label = intent_none_label;
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
    rc = intent_analyse(idx, text, len, &an);
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
    rc = intent_each_feature(an.final, lookup_feature, &lc);
    if (rc)
        return rc;
    intent_fvec_normalise(&v);
    memcpy(zf, idx->bias, idx->stride * sizeof(*zf));
    for (i = 0; i < v.n; i++)
        intent_axpy(zf, idx->w + (size_t)v.id[i] * idx->stride, v.val[i], idx->stride);
    for (c = 0; c < ncls; c++)
        z[c] = zf[c];
    knn_scores(idx, &v, z);
    memcpy(ruled, z, ncls * sizeof(*z));
    rc = rules_apply(idx->rules, an.final->fold, an.final->fold_len, an.final->acc,
                     an.final->acc_len, z, &out->aspects);
    if (rc)
        return rc;
    for (c = 0; c < ncls; c++)
        ruled[c] = z[c] - ruled[c]; /* what the rules said of each class */
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
    if (none_class)
        *none_class = z[idx->n_labels];
    for (i = 0, k = 0; i < ns && k < INTENT_MAX_CANDIDATES; i++) {
        if (s[i].cls == idx->n_labels)
            continue;
        out->candidates[k].label = idx->labels[s[i].cls];
        out->candidates[k].confidence = s[i].p;
        k++;
    }
    out->n_candidates = k;
    if (k == 0 || s[0].cls == idx->n_labels || s[0].p < INTENT_NONE_FLOOR) {
        out->label = intent_none_label;
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
    if (out->words <= INTENT_FRAGMENT_WORDS && ruled[idx->n_labels] > 0 && ruled[s[0].cls] <= 0) {
        /* a fragment: no room for a second subject beside the out-of-scope
         * topic a none rule found, and no rule spoke for the label */
        out->confidence =
            z[idx->n_labels] > 1.0 - out->confidence ? z[idx->n_labels] : 1.0 - out->confidence;
        out->label = intent_none_label;
        out->decision = INTENT_NONE;
        return 0;
    }
    decide(idx, s, ns, out);
    decline_unexplained(idx, an.final, s, ns, z[idx->n_labels], out);
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

/* A message that tells what was already done before it asks ("đăng ký kết
 * hôn ở xã rồi, giờ ... muốn ly hôn thì nộp ở đâu") is matched on the
 * procedure of its background. Its request, the words after the last time
 * pivot (ask_clause.h), is read alone: when that reading is surely out of
 * scope - the none class itself, not merely a lack of any label, since an
 * elliptic request ("giờ xin cấp lại thì làm sao") names nothing - the
 * message is declined (docs/understanding.md, "The request after the
 * background"). A request that names a procedure, or nothing, keeps the
 * whole message's answer, and so does a whole message read with near
 * certainty: a follow-up of the background procedure ("đăng ký hộ kinh
 * doanh xong thì có mã số thuế không") leaves the label sure, a request
 * about something else dilutes it. The officer stays the officer. rest is
 * scratch. */
static int decline_background(const struct intent_index *idx, const char *text, size_t len,
                              struct intent_result *out, struct intent_result *rest)
{
    double p_none = 0;
    size_t off;

    if (strcmp(out->label, "gap-can-bo") == 0 || out->confidence >= INTENT_ASK_WHOLE_SURE)
        return 0;
    off = ask_clause(text, len, INTENT_ASK_MIN_WORDS, NULL);
    if (off == 0 || match_once(idx, text + off, len - off, rest, &p_none) != 0)
        return 0;
    if (rest->decision != INTENT_NONE || p_none < INTENT_ASK_NONE_SURE)
        return 0;
    out->label = intent_none_label;
    out->confidence = p_none;
    out->decision = INTENT_NONE;
    out->n_alternatives = 0;
    return 0;
}

/* Whether r answers one question surely: a match, confident enough that the
 * other question of the message cannot be what it is about. */
static bool half_sure(const struct intent_result *r)
{
    return r->decision == INTENT_MATCH && r->confidence >= INTENT_SPLIT_SURE &&
           !is_social(r->label);
}

/* Two questions in one message ("cấp lại căn cước bị mất thì làm sao, và
 * tiện hỏi luôn báo mất điện thoại bị trộm ở đâu"): when the whole message
 * is declined or unsure, each side of the seam (ask_split.h) is read alone,
 * and when one side is surely a procedure and the other surely out of
 * scope, the message answers the covered question (docs/understanding.md,
 * "Two questions in one message"). Two covered sides, or none, keep the
 * whole message's reading. a and b are scratch. */
static int answer_covered_half(const struct intent_index *idx, const char *text, size_t len,
                               struct intent_result *out, struct intent_result *a,
                               struct intent_result *b)
{
    size_t off, end = 0, i;

    if (out->decision == INTENT_MATCH)
        return 0;
    off = ask_split(text, len, INTENT_SPLIT_MIN_WORDS, &end);
    if (off == 0 || match_once(idx, text, end, a, NULL) != 0 ||
        match_once(idx, text + off, len - off, b, NULL) != 0)
        return 0;
    if (half_sure(a) && b->decision == INTENT_NONE) {
        *out = *a;
    } else if (half_sure(b) && a->decision == INTENT_NONE) {
        for (i = 0; i < b->n_entities; i++)
            b->entities[i].start += off;
        *out = *b;
    }
    return 0;
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
    struct intent_result other;
    size_t off, i;
    int rc = match_once(idx, text, len, out, NULL);

    if (rc)
        return rc;
    if (out->decision != INTENT_MATCH)
        rc = answer_covered_half(idx, text, len, out, &rest, &other);
    if (rc || out->decision == INTENT_NONE)
        return rc;
    if (!is_social(out->label))
        return decline_background(idx, text, len, out, &rest);
    off = social_rest(text, len);
    if (off == 0 || off >= len)
        return 0;
    if (match_once(idx, text + off, len - off, &rest, NULL) == 0 &&
        !(rest.decision != INTENT_NONE && is_social(rest.label)) && rest.words >= 2 &&
        (rest.decision != INTENT_NONE || rest.aspects ||
         (rest.words >= INTENT_SOCIAL_REST_MIN && rest.confidence >= INTENT_SOCIAL_NONE_SURE))) {
        for (i = 0; i < rest.n_entities; i++)
            rest.entities[i].start += off;
        *out = rest;
    }
    return 0;
}
