/* gateway/admin/teach.c - see teach.h. The word sets and the two checks
 * first (pure), then the phrases of an index (knowledge base + taught) and
 * the swap of a worker's index. */
#include "teach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw.h"
#include "kb.h"
#include "mc_log.h"
#include "norm.h"
#include "store.h"

/* ---- word sets ---------------------------------------------------------- */

int teach_fold(const char *text, size_t len, char *out, size_t cap)
{
    struct norm_tokens *t = malloc(sizeof(*t)); /* ~13 KiB: not on the loop's stack */
    int rc;

    if (!t)
        return -ENOMEM;
    rc = norm_text(text, len, t);
    if (!rc && t->fold_len >= cap)
        rc = -E2BIG;
    if (!rc)
        memcpy(out, t->fold, t->fold_len + 1);
    free(t);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

void teach_words_of(const char *folded, struct teach_words *w)
{
    const char *p = folded;
    size_t i, k;
    uint64_t h;

    w->n = 0;
    while (*p && w->n < TEACH_WORDS_MAX) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        for (h = 1469598103934665603ULL; *p && *p != ' '; p++) /* FNV-1a 64 */
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        w->h[w->n++] = h;
    }
    qsort(w->h, w->n, sizeof(w->h[0]), cmp_u64);
    for (i = k = 0; i < w->n; i++) /* a set: "cho con cho con" is {cho, con} */
        if (k == 0 || w->h[i] != w->h[k - 1])
            w->h[k++] = w->h[i];
    w->n = k;
}

double teach_jaccard(const struct teach_words *a, const struct teach_words *b)
{
    size_t i = 0, j = 0, both = 0;

    if (a->n == 0 && b->n == 0)
        return 1.0;
    while (i < a->n && j < b->n) {
        if (a->h[i] == b->h[j]) {
            both++;
            i++;
            j++;
        } else if (a->h[i] < b->h[j]) {
            i++;
        } else {
            j++;
        }
    }
    return (double)both / (double)(a->n + b->n - both);
}

/* ---- the checks ---------------------------------------------------------- */

const char *teach_verdict_name(enum teach_verdict v)
{
    switch (v) {
    case TEACH_DUPLICATE:
        return "duplicate";
    case TEACH_NEAR_OTHER:
        return "near_other";
    case TEACH_BREAKS:
        return "breaks";
    default:
        return "ok";
    }
}

const char *teach_answer(const struct intent_result *r)
{
    if (r->decision == INTENT_MATCH)
        return r->label;
    return r->decision == INTENT_NONE ? "none" : "clarify";
}

static void set_conflict(struct teach_conflict *out, enum teach_verdict v,
                         const struct intent_example *p, double sim)
{
    out->verdict = v;
    snprintf(out->text, sizeof(out->text), "%s", p->text);
    snprintf(out->label, sizeof(out->label), "%s", p->label);
    out->similarity = sim;
}

/* The word set of text; 0 or teach_fold()'s error. */
static int words(const char *text, struct teach_words *w, char *fold)
{
    int rc = teach_fold(text, strlen(text), fold, TEACH_FOLD_MAX);

    if (!rc)
        teach_words_of(fold, w);
    return rc;
}

int teach_check_near(const struct intent_example *phrases, size_t n, const char *text,
                     const char *label, struct teach_conflict *out)
{
    char *fold = malloc(TEACH_FOLD_MAX);
    struct teach_words nw, pw;
    double sim, best = 0;
    size_t i, best_i = n;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!fold)
        return -ENOMEM;
    rc = words(text, &nw, fold);
    for (i = 0; !rc && i < n; i++) {
        if (words(phrases[i].text, &pw, fold))
            continue; /* the index took it; a phrase we cannot fold compares with nothing */
        sim = teach_jaccard(&nw, &pw);
        if (strcmp(phrases[i].label, label) == 0) {
            if (sim == 1.0) {
                set_conflict(out, TEACH_DUPLICATE, &phrases[i], sim);
                break;
            }
        } else if (sim >= TEACH_NEAR && sim > best) {
            best = sim;
            best_i = i;
        }
    }
    if (!rc && out->verdict == TEACH_OK && best_i < n)
        set_conflict(out, TEACH_NEAR_OTHER, &phrases[best_i], best);
    free(fold);
    return rc;
}

struct affected {
    size_t i;
    double sim;
};

static int by_sim(const void *a, const void *b)
{
    const struct affected *x = a, *y = b;

    if (x->sim != y->sim)
        return x->sim < y->sim ? 1 : -1;
    return (x->i > y->i) - (x->i < y->i); /* ties: index order, so the check is deterministic */
}

int teach_check_index(const struct intent_example *phrases, size_t n, const char *text,
                      const struct intent_index *cur, const struct intent_index *trial,
                      struct teach_conflict *out)
{
    char *fold = malloc(TEACH_FOLD_MAX);
    struct intent_result *r = malloc(sizeof(*r)); /* ~10 KiB each */
    struct affected *aff = calloc(n ? n : 1, sizeof(*aff));
    struct teach_words nw, pw;
    size_t i, na = 0;
    double sim;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!fold || !r || !aff) {
        rc = -ENOMEM;
        goto out;
    }
    rc = words(text, &nw, fold);
    for (i = 0; !rc && i < n; i++)
        if (!words(phrases[i].text, &pw, fold) && (sim = teach_jaccard(&nw, &pw)) >= TEACH_AFFECT)
            aff[na++] = (struct affected){i, sim};
    if (rc)
        goto out;
    qsort(aff, na, sizeof(*aff), by_sim);
    if (na > TEACH_AFFECT_MAX)
        na = TEACH_AFFECT_MAX;
    for (i = 0; i < na; i++) {
        const struct intent_example *p = &phrases[aff[i].i];

        /* a phrase the bot did not answer with its label has nothing to lose */
        if (intent_match(cur, p->text, strlen(p->text), r) ||
            strcmp(teach_answer(r), p->label) != 0)
            continue;
        if (intent_match(trial, p->text, strlen(p->text), r))
            continue;
        if (strcmp(teach_answer(r), p->label) != 0) {
            set_conflict(out, TEACH_BREAKS, p, aff[i].sim);
            snprintf(out->answer, sizeof(out->answer), "%s", teach_answer(r));
            break;
        }
    }
out:
    free(fold);
    free(r);
    free(aff);
    return rc;
}

/* ---- the phrases of an index ---------------------------------------------- */

struct teach_phrases {
    struct kb_spec *ks;         /* the knowledge base's labels, phrases, lexicon, rules */
    struct intent_example *all; /* [n_all + 1]: the spec's phrases, the taught ones, a spare */
    size_t n_all;
    char **strs; /* the taught phrases' strings, owned: 2 per taught phrase */
    size_t n_strs;
};

struct collect {
    struct teach_phrases *tp;
    const struct intent_spec *spec;
    char **strs;
    size_t n, cap;
};

static bool has_label(const struct intent_spec *spec, const char *label)
{
    size_t i;

    if (strcmp(label, "none") == 0)
        return true;
    for (i = 0; i < spec->n_labels; i++)
        if (strcmp(spec->labels[i], label) == 0)
            return true;
    return false;
}

static int on_phrase(void *ctx, const struct store_phrase *p)
{
    struct collect *c = ctx;

    if (!has_label(c->spec, p->label)) { /* the catalogue lost it at a reload: skipped */
        mc_log(MC_LOG_WARN, "teach.skip", "id=%lld label=%s", (long long)p->id, p->label);
        return 0;
    }
    if (c->n + 2 > c->cap)
        return -E2BIG; /* more than TEACH_MAX_PHRASES */
    c->strs[c->n] = strdup(p->label);
    c->strs[c->n + 1] = strdup(p->text);
    c->n += 2;
    return c->strs[c->n - 2] && c->strs[c->n - 1] ? 0 : -ENOMEM;
}

void teach_phrases_free(struct teach_phrases *tp)
{
    size_t i;

    if (!tp)
        return;
    for (i = 0; i < tp->n_strs; i++)
        free(tp->strs[i]);
    free(tp->strs);
    free(tp->all);
    kb_spec_free(tp->ks);
    free(tp);
}

struct teach_phrases *teach_phrases_load(struct kb *kb, struct store *st, int64_t *rev,
                                         struct mc_err *err)
{
    struct teach_phrases *tp = calloc(1, sizeof(*tp));
    const struct intent_spec *spec;
    struct collect c = {0};
    size_t i;
    int rc;

    if (!tp)
        goto nomem;
    tp->ks = kb_spec_load(kb, err);
    if (!tp->ks)
        goto fail;
    spec = kb_spec_get(tp->ks);
    c.tp = tp;
    c.spec = spec;
    c.cap = 2 * TEACH_MAX_PHRASES;
    tp->strs = c.strs = calloc(c.cap, sizeof(*c.strs));
    if (!c.strs)
        goto nomem;
    if (store_phrase_rev(st, rev)) {
        mc_err_set(err, "taught phrases: the state database failed");
        goto fail;
    }
    rc = store_phrase_list(st, on_phrase, &c);
    tp->n_strs = c.n;
    if (rc == -E2BIG) {
        mc_err_set(err, "taught phrases: more than %d", TEACH_MAX_PHRASES);
        goto fail;
    }
    if (rc == -ENOMEM)
        goto nomem;
    if (rc) {
        mc_err_set(err, "taught phrases: the state database failed");
        goto fail;
    }
    tp->all = calloc(spec->n_examples + c.n / 2 + 1, sizeof(*tp->all));
    if (!tp->all)
        goto nomem;
    memcpy(tp->all, spec->examples, spec->n_examples * sizeof(*tp->all));
    tp->n_all = spec->n_examples;
    for (i = 0; i < c.n; i += 2)
        tp->all[tp->n_all++] = (struct intent_example){c.strs[i], c.strs[i + 1]};
    return tp;

nomem:
    mc_err_set(err, "out of memory");
fail:
    teach_phrases_free(tp);
    return NULL;
}

const struct intent_example *teach_phrases_get(const struct teach_phrases *tp, size_t *n)
{
    *n = tp->n_all;
    return tp->all;
}

struct intent_index *teach_phrases_index(const struct teach_phrases *tp, const char *text,
                                         const char *label, struct mc_err *err)
{
    struct intent_spec spec = *kb_spec_get(tp->ks);

    spec.examples = tp->all;
    spec.n_examples = tp->n_all;
    if (text) { /* the spare slot: tp itself is not changed */
        tp->all[tp->n_all] = (struct intent_example){label, text};
        spec.n_examples++;
    }
    return intent_index_new(&spec, err);
}

bool teach_label_ok(const struct kb *kb, const struct teach_phrases *tp, const char *label)
{
    if (strcmp(label, "none") == 0)
        return true;
    return has_label(kb_spec_get(tp->ks), label) &&
           (kb_is_procedure(kb, label) || kb_meta(kb, label) != NULL);
}

struct intent_index *teach_build_index(struct kb *kb, struct store *st, int64_t *rev,
                                       struct mc_err *err)
{
    struct teach_phrases *tp = teach_phrases_load(kb, st, rev, err);
    struct intent_index *idx = tp ? teach_phrases_index(tp, NULL, NULL, err) : NULL;

    teach_phrases_free(tp);
    return idx;
}

void teach_swap(struct gw *gw, struct intent_index *idx, int64_t rev)
{
    intent_index_free(gw->index);
    gw->index = idx;
    gw->taught_rev = rev;
}

int teach_refresh(struct gw *gw)
{
    struct mc_err err = {{0}};
    struct intent_index *idx;
    struct timespec t0, t1;
    int64_t rev;

    if (!gw->kb || !gw->store || store_phrase_rev(gw->store, &rev))
        return -EIO;
    if (rev == gw->taught_rev)
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    idx = teach_build_index(gw->kb, gw->store, &rev, &err);
    if (!idx) {
        mc_log(MC_LOG_ERROR, "teach.refresh", "error=\"%s\" kept=previous", err.text);
        gw->taught_rev = rev; /* the same revision would fail the same way: not every turn */
        return -EIO;
    }
    teach_swap(gw, idx, rev);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    mc_log(MC_LOG_INFO, "teach.refresh", "rev=%lld build_ms=%.1f", (long long)rev,
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    return 0;
}
