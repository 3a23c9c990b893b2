/* bench/bench_holdout.c - how well understanding generalises to phrasings it
 * was not trained on: K-fold cross-validation over the training phrases of
 * the knowledge database `motcua import` built (phrase i is held out in fold
 * i % K; the index of each fold is built from the other phrases with the same
 * lexicon, rules and corpus, read by kb_spec_load(), the loader the server's
 * index comes from). It reports the figures `motcua eval` reports, counted the
 * same way: an in-scope phrase is right only when the decision is "match" with
 * its label; "clarify" is reported apart. A wrong match is split by whether
 * the right label was among the alternatives offered beside it (one tap away)
 * or not. Last, a sweep re-decides every held-out answer under a grid of
 * decision thresholds (the rule of intent.c's decide(), replayed here on the
 * candidates) so they can be chosen on these folds alone.
 * Usage: bench_holdout [KNOWLEDGE.db] [K] [-v]  (default build/motcua.db,
 * 5 folds; -v lists every miss). Not a test: a tool for whoever tunes the
 * lexicon, the rules or the phrases. Cross-validation measures phrases written
 * by the same hands as the training data, so it is an optimistic figure;
 * tests/heldout/ is the one written in other voices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intent.h"
#include "kb.h"

#define HOLDOUT_CONFUSIONS 4096 /* distinct (true, predicted) pairs kept */
#define HOLDOUT_FLOORS 12       /* confidence floors 0.05 .. 0.60 */

/* One held-out answer, kept for the decision sweep. */
struct held {
    int is_none;                         /* the phrase is out of scope */
    int said_none;                       /* the decision was "none" (the sweep keeps it) */
    size_t n;                            /* candidates */
    int right[INTENT_MAX_CANDIDATES];    /* candidate i is the phrase's label */
    int same_dom[INTENT_MAX_CANDIDATES]; /* candidate i shares the best one's domain */
    double conf[INTENT_MAX_CANDIDATES];
};

/* The domain of label (spec.domains), or label itself when there are none. */
static const char *domain_of(const struct intent_spec *sp, const char *label)
{
    size_t i;

    for (i = 0; sp->domains && i < sp->n_labels; i++)
        if (strcmp(sp->labels[i], label) == 0)
            return sp->domains[i];
    return label;
}

/* Counts of one decision rule over the held-out answers. */
struct tally {
    size_t ok, wrong_alt, wrong_bare, clar, clar_right, none_match, none_clar, alt_shown;
};

/* intent.c's decide() with thresholds below (weak best), tie (runner-up
 * ratio that asks when cross-domain; any domain when cross is 0) and alt
 * (runner-up ratio offered beside a match). */
static void replay(const struct held *h, size_t n, double below, double tie, double alt, int cross,
                   struct tally *t)
{
    size_t i, c, na;

    memset(t, 0, sizeof(*t));
    for (i = 0; i < n; i++) {
        const struct held *e = &h[i];
        int ask, in_alt = 0, any = 0;

        if (e->said_none)
            continue;
        ask = e->conf[0] < below ||
              (e->n > 1 && e->conf[1] > tie * e->conf[0] && (!cross || !e->same_dom[1]));
        for (c = 0; c < e->n; c++)
            any |= e->right[c];
        if (ask) {
            if (e->is_none)
                t->none_clar++;
            else {
                t->clar++;
                t->clar_right += any;
            }
            continue;
        }
        for (na = 0; na + 1 < e->n && e->conf[na + 1] > alt * e->conf[0]; na++)
            in_alt |= e->right[na + 1];
        t->alt_shown += na > 0;
        if (e->is_none)
            t->none_match++;
        else if (e->right[0])
            t->ok++;
        else if (in_alt)
            t->wrong_alt++;
        else
            t->wrong_bare++;
    }
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

int main(int argc, char **argv)
{
    const char *db = "build/motcua.db";
    struct kb *kb = NULL;
    struct kb_spec *ks = NULL;
    const struct intent_spec *all;
    struct intent_spec sp;
    struct intent_example *train = NULL;
    struct intent_result *r = NULL;
    struct mc_err err = {{0}};
    size_t k = 5, f, i, n_tr, ins = 0, ins_ok = 0, top3 = 0, none = 0, none_ok = 0, un = 0,
           un_ok = 0, fp = 0, clar = 0, clar_right = 0, wrong = 0, wrong_alt = 0, none_wrong = 0,
           nheld = 0, alts = 0;
    struct held *held = NULL;
    struct tally cur;
    int verbose = 0, a, status = 1;
    /* what a confidence floor would do: [t] counts for floors 0.05 .. 0.60 */
    size_t th_ins_ok[HOLDOUT_FLOORS] = {0}, th_none_ok[HOLDOUT_FLOORS] = {0};
    /* reliability: predictions by confidence decile, and how many were right */
    size_t rel_n[10] = {0}, rel_ok[10] = {0};
    double rel_sum[10] = {0};
    /* per style: 0 with diacritics, 1 without, 2 teencode/abbreviations, 3 out of scope */
    static const char *const style[] = {"with diacritics", "without diacritics", "teencode/abbrev",
                                        "out of scope"};
    size_t st_n[4] = {0}, st_ok[4] = {0};
    /* confusions, by (true, predicted) label text; predicted "clarify" when asked */
    static char conf_t[HOLDOUT_CONFUSIONS][48], conf_p[HOLDOUT_CONFUSIONS][48];
    static size_t conf_n[HOLDOUT_CONFUSIONS];
    size_t nconf = 0;
    double build_ms = 0;

    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "-v") == 0)
            verbose = 1;
        else if (strspn(argv[a], "0123456789") == strlen(argv[a]))
            k = strtoul(argv[a], NULL, 10);
        else
            db = argv[a];
    }
    if (k < 2)
        k = 2;
    kb = kb_open(db, &err);
    ks = kb ? kb_spec_load(kb, &err) : NULL;
    if (!ks) {
        fprintf(stderr, "bench_holdout: %s (build it with make db)\n", err.text);
        goto out;
    }
    all = kb_spec_get(ks);
    train = calloc(all->n_examples + 1, sizeof(*train));
    r = malloc(sizeof(*r));
    held = calloc(all->n_examples + 1, sizeof(*held));
    if (!train || !r || !held)
        goto out;
    for (f = 0; f < k; f++) {
        struct intent_index *idx;
        double t0;

        sp = *all;
        n_tr = 0;
        for (i = 0; i < all->n_examples; i++)
            if (i % k != f)
                train[n_tr++] = all->examples[i];
        sp.examples = train;
        sp.n_examples = n_tr;
        t0 = now_ms();
        idx = intent_index_new(&sp, &err);
        build_ms += now_ms() - t0;
        if (!idx) {
            fprintf(stderr, "bench_holdout: %s\n", err.text);
            goto out;
        }
        for (i = f; i < all->n_examples; i += k) {
            const struct intent_example *e = &all->examples[i];
            int is_none = strcmp(e->label, "none") == 0, ok, in3 = 0, asked;
            size_t c, sty, q, b;
            const char *pred;

            if (intent_match(idx, e->text, strlen(e->text), r) != 0)
                continue;
            asked = r->decision == INTENT_CLARIFY;
            ok = !asked && strcmp(r->label, e->label) == 0;
            pred = asked ? "clarify" : r->label;
            sty = is_none ? 3 : r->expanded_words ? 2 : r->marked_words ? 0 : 1;
            st_n[sty]++;
            st_ok[sty] += ok;
            for (q = 0; !ok && q < nconf; q++)
                if (strcmp(conf_t[q], e->label) == 0 && strcmp(conf_p[q], pred) == 0) {
                    conf_n[q]++;
                    break;
                }
            if (!ok && q == nconf && nconf < HOLDOUT_CONFUSIONS) {
                snprintf(conf_t[nconf], sizeof(conf_t[0]), "%s", e->label);
                snprintf(conf_p[nconf], sizeof(conf_p[0]), "%s", pred);
                conf_n[nconf++] = 1;
            }
            for (c = 0; c < r->n_candidates; c++)
                if (strcmp(r->candidates[c].label, e->label) == 0)
                    in3 = 1;
            {
                struct held *h = &held[nheld++];
                const char *d0 = r->n_candidates ? domain_of(all, r->candidates[0].label) : "";

                h->is_none = is_none;
                h->said_none = r->decision == INTENT_NONE;
                h->n = r->n_candidates;
                for (c = 0; c < r->n_candidates; c++) {
                    h->right[c] = strcmp(r->candidates[c].label, e->label) == 0;
                    h->same_dom[c] = strcmp(domain_of(all, r->candidates[c].label), d0) == 0;
                    h->conf[c] = r->candidates[c].confidence;
                }
            }
            alts += r->decision == INTENT_MATCH && r->n_alternatives > 0;
            for (c = 0; c < HOLDOUT_FLOORS; c++) {
                double t = 0.05 * (double)(c + 1);
                int says_none = strcmp(r->label, "none") == 0 || r->confidence < t;
                if (is_none)
                    th_none_ok[c] += says_none;
                else
                    th_ins_ok[c] += !says_none && ok;
            }
            b = (size_t)(r->confidence * 10.0);
            if (b > 9)
                b = 9;
            rel_n[b]++;
            rel_ok[b] += ok;
            rel_sum[b] += r->confidence;
            if (is_none) {
                none++;
                none_ok += ok;
                none_wrong += r->decision == INTENT_MATCH; /* a procedure answered */
            } else {
                ins++;
                ins_ok += ok;
                top3 += in3;
                clar += asked;
                clar_right += asked && in3;
                wrong += r->decision == INTENT_MATCH && !ok; /* answered wrong ... */
                for (c = 1; r->decision == INTENT_MATCH && !ok && c <= r->n_alternatives; c++)
                    wrong_alt += strcmp(r->candidates[c].label, e->label) == 0; /* ... one tap */
                if (strcmp(r->label, "none") == 0)
                    fp++;
                if (r->marked_words == 0) {
                    un++;
                    un_ok += ok;
                }
            }
            if (verbose && !ok)
                printf("MISS %-26s -> %-26s %.2f | %s | %s\n", e->label, pred, r->confidence,
                       e->text, r->normalized);
        }
        intent_index_free(idx);
    }
    printf("db=%s phrases=%zu labels=%zu folds=%zu build=%.1fms/index\n", db, all->n_examples,
           all->n_labels, k, build_ms / (double)k);
    printf("inscope=%.3f (%zu/%zu) nodiac=%.3f (%zu/%zu) top3=%.3f none=%.3f (%zu/%zu) "
           "clarify=%.3f (%zu, right label offered in %zu) inscope-rejected=%zu\n",
           ratio(ins_ok, ins), ins_ok, ins, ratio(un_ok, un), un_ok, un, ratio(top3, ins),
           ratio(none_ok, none), none_ok, none, ratio(clar, ins), clar, clar_right, fp);
    printf("wrong matches (answered with a wrong label): in-scope %.3f (%zu/%zu: right label "
           "among the alternatives %zu, not offered %zu), out-of-scope %.3f (%zu/%zu); "
           "matches with alternatives %zu\n",
           ratio(wrong, ins), wrong, ins, wrong_alt, wrong - wrong_alt, ratio(none_wrong, none),
           none_wrong, none, alts);
    for (i = 0; i < 4; i++)
        printf("style %-20s n=%4zu top1=%.3f\n", style[i], st_n[i], ratio(st_ok[i], st_n[i]));
    for (a = 0; a < 12; a++) { /* the 12 worst confusions */
        size_t best = 0, bi = 0, q;
        for (q = 0; q < nconf; q++)
            if (conf_n[q] > best) {
                best = conf_n[q];
                bi = q;
            }
        if (best == 0)
            break;
        printf("confusion %3zu  %s -> %s\n", best, conf_t[bi], conf_p[bi]);
        conf_n[bi] = 0;
    }
    for (i = 0; i < 10; i++)
        if (rel_n[i])
            printf("confidence %.1f-%.1f: n=%zu mean=%.2f right=%.2f\n", 0.1 * (double)i,
                   0.1 * (double)(i + 1), rel_n[i], rel_sum[i] / (double)rel_n[i],
                   ratio(rel_ok[i], rel_n[i]));
    for (i = 0; i < HOLDOUT_FLOORS; i++)
        printf("floor %.2f: inscope=%.3f none=%.3f\n", 0.05 * (double)(i + 1),
               ratio(th_ins_ok[i], ins), ratio(th_none_ok[i], none));
    /* the decision sweep: below x tie x alt, with and without the domain rule */
    printf("sweep: below tie alt cross | inscope wrong-alt wrong-bare clarify clar-right | "
           "none-match none-clarify | with-alts\n");
    for (a = 0; a < 2; a++)
        for (i = 0; i < 9; i++) /* below 0.28 (the none floor: never weak), 0.30 .. 0.65 */
            for (size_t ti = 0; ti < 6; ti++)       /* tie 0.5 .. 1.0 (1.0: never) */
                for (size_t ai = 0; ai < 6; ai++) { /* alt 0.1 .. 0.6 */
                    double below = i ? 0.25 + 0.05 * (double)i : 0.28;
                    double tie = 0.5 + 0.1 * (double)ti, alt = 0.1 + 0.1 * (double)ai;

                    replay(held, nheld, below, tie, alt, a, &cur);
                    printf("sweep %.2f %.1f %.1f %d | %.3f %.3f %.3f %.3f %zu | %.3f %.3f | %zu\n",
                           below, tie, alt, a, ratio(cur.ok, ins), ratio(cur.wrong_alt, ins),
                           ratio(cur.wrong_bare, ins), ratio(cur.clar, ins), cur.clar_right,
                           ratio(cur.none_match, none), ratio(cur.none_clar, none), cur.alt_shown);
                }
    status = 0;
out:
    free(held);
    free(train);
    free(r);
    kb_spec_free(ks);
    kb_free(kb);
    return status;
}
