/* bench/bench_holdout.c - how well understanding generalises to phrasings it
 * was not trained on: K-fold cross-validation over the training phrases of
 * the knowledge database `motcua import` built (phrase i is held out in fold
 * i % K; the index of each fold is built from the other phrases with the same
 * lexicon, rules and corpus, read by kb_spec_load(), the loader the server's
 * index comes from). It reports the figures `motcua eval` reports, counted the
 * same way: an in-scope phrase is right only when the decision is "match" with
 * its label; "clarify" is reported apart.
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
           un_ok = 0, fp = 0, clar = 0, clar_right = 0, wrong = 0, none_wrong = 0;
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
    if (!train || !r)
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
                wrong += r->decision == INTENT_MATCH && !ok; /* confidently wrong */
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
    printf("wrong matches (answered with a wrong label): in-scope %.3f (%zu/%zu), "
           "out-of-scope %.3f (%zu/%zu)\n",
           ratio(wrong, ins), wrong, ins, ratio(none_wrong, none), none_wrong, none);
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
    status = 0;
out:
    free(train);
    free(r);
    kb_spec_free(ks);
    kb_free(kb);
    return status;
}
