/* bench/bench_holdout.c - how well understanding generalises to phrasings it
 * was not trained on: K-fold cross-validation over the training phrases of
 * data/ (phrase i is held out in fold i % K), reporting the same figures as
 * `motcua eval`. Usage: bench_holdout [DATA_DIR | ignored.db] [K] [-v]
 * (default data, 5 folds; -v lists every miss). Not a test: a tool for
 * whoever tunes the lexicon, the rules or the phrases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data_spec.h"
#include "intent.h"
#include "norm.h"

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    const char *dir = "data";
    struct data_spec d;
    struct intent_spec sp;
    struct intent_example *train = NULL;
    struct intent_result *r = NULL;
    static struct norm_tokens nt;
    struct mc_err err = {{0}};
    size_t k = 5, f, i, n_tr, ins = 0, ins_ok = 0, top3 = 0, none = 0, none_ok = 0, un = 0,
           un_ok = 0, fp = 0;
    int verbose = 0, a, with = 1;
    /* what a confidence floor would do: [t] counts for floors 0.05 .. 0.60 */
    size_t th_ins_ok[12] = {0}, th_none_ok[12] = {0};
    /* reliability: predictions by confidence decile, and how many were right */
    size_t rel_n[10] = {0}, rel_ok[10] = {0};
    double rel_sum[10] = {0};
    /* per style: 0 with diacritics, 1 without, 2 teencode/abbreviations, 3 out of scope */
    static const char *const style[] = {"with diacritics", "without diacritics", "teencode/abbrev",
                                        "out of scope"};
    size_t st_n[4] = {0}, st_ok[4] = {0};
    /* confusions, by (true, predicted) label text */
    static char conf_t[4096][48], conf_p[4096][48];
    static size_t conf_n[4096];
    size_t nconf = 0;
    double build_ms = 0;

    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "-v") == 0)
            verbose = 1;
        else if (strncmp(argv[a], "-w", 2) == 0)
            with = (int)strtol(argv[a] + 2, NULL, 10);
        else if (strspn(argv[a], "0123456789") == strlen(argv[a]))
            k = strtoul(argv[a], NULL, 10);
        else if (!strstr(argv[a], ".db"))
            dir = argv[a];
    }
    if (k < 2)
        k = 2;
    if (data_spec_load(&d, dir, with) != 0) {
        fprintf(stderr, "bench_holdout: cannot read %s/catalogue.tsv\n", dir);
        return 1;
    }
    train = calloc(d.n_ex + 1, sizeof(*train));
    r = malloc(sizeof(*r));
    if (!train || !r)
        return 1;
    for (f = 0; f < k; f++) {
        struct intent_index *idx;
        double t0;
        sp = d.spec;
        n_tr = 0;
        for (i = 0; i < d.n_ex; i++)
            if (i % k != f || d.src[i] != 'p')
                train[n_tr++] = d.ex[i];
        sp.examples = train;
        sp.n_examples = n_tr;
        t0 = now_ms();
        idx = intent_index_new(&sp, &err);
        build_ms += now_ms() - t0;
        if (!idx) {
            fprintf(stderr, "bench_holdout: %s\n", err.text);
            return 1;
        }
        for (i = f; i < d.n_ex; i += k) {
            const struct intent_example *e = &d.ex[i];
            int is_none = strcmp(e->label, "none") == 0, ok, in3 = 0;
            size_t c;
            if (d.src[i] != 'p')
                continue;
            if (intent_match(idx, e->text, strlen(e->text), r) != 0)
                continue;
            ok = strcmp(r->label, e->label) == 0;
            {
                size_t sty = is_none ? 3 : r->expanded_words ? 2 : r->marked_words ? 0 : 1, q;
                st_n[sty]++;
                st_ok[sty] += ok;
                for (q = 0; !ok && q < nconf; q++)
                    if (strcmp(conf_t[q], e->label) == 0 && strcmp(conf_p[q], r->label) == 0) {
                        conf_n[q]++;
                        break;
                    }
                if (!ok && q == nconf && nconf < 4096) {
                    snprintf(conf_t[nconf], sizeof(conf_t[0]), "%s", e->label);
                    snprintf(conf_p[nconf], sizeof(conf_p[0]), "%s", r->label);
                    conf_n[nconf++] = 1;
                }
            }
            for (c = 0; c < r->n_candidates; c++)
                if (strcmp(r->candidates[c].label, e->label) == 0)
                    in3 = 1;
            for (c = 0; c < 12; c++) {
                double t = 0.05 * (double)(c + 1);
                int says_none = strcmp(r->label, "none") == 0 || r->confidence < t;
                if (is_none)
                    th_none_ok[c] += says_none;
                else
                    th_ins_ok[c] += !says_none && ok;
            }
            {
                size_t b = (size_t)(r->confidence * 10.0);
                if (b > 9)
                    b = 9;
                rel_n[b]++;
                rel_ok[b] += ok;
                rel_sum[b] += r->confidence;
            }
            if (is_none) {
                none++;
                none_ok += ok;
            } else {
                ins++;
                ins_ok += ok;
                top3 += in3;
                if (strcmp(r->label, "none") == 0)
                    fp++;
                if (norm_text(e->text, strlen(e->text), &nt) == 0 && nt.n_marked == 0) {
                    un++;
                    un_ok += ok;
                }
            }
            if (verbose && !ok)
                printf("MISS %-26s -> %-26s %.2f | %s | %s\n", e->label, r->label, r->confidence,
                       e->text, r->normalized);
        }
        intent_index_free(idx);
    }
    printf("phrases=%zu labels=%zu folds=%zu build=%.1fms/index\n", d.n_ex, d.n_labels, k,
           build_ms / (double)k);
    printf("inscope=%.3f (%zu/%zu) unaccented=%.3f (%zu/%zu) top3=%.3f none=%.3f (%zu/%zu) "
           "inscope-rejected=%zu\n",
           ins ? (double)ins_ok / ins : 0, ins_ok, ins, un ? (double)un_ok / un : 0, un_ok, un,
           ins ? (double)top3 / ins : 0, none ? (double)none_ok / none : 0, none_ok, none, fp);
    for (i = 0; i < 4; i++)
        printf("style %-20s n=%4zu top1=%.3f\n", style[i], st_n[i],
               st_n[i] ? (double)st_ok[i] / (double)st_n[i] : 0);
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
                   (double)rel_ok[i] / (double)rel_n[i]);
    for (i = 0; i < 12; i++)
        printf("floor %.2f: inscope=%.3f none=%.3f\n", 0.05 * (double)(i + 1),
               ins ? (double)th_ins_ok[i] / ins : 0, none ? (double)th_none_ok[i] / none : 0);
    free(train);
    free(r);
    data_spec_fini(&d);
    return 0;
}
