/* gateway/leak.c - see leak.h. Scoring two texts (folded character
 * 4-grams) and the check-leak command that compares every training text with
 * every evaluation line; the texts are collected in leak_collect.c.
 * Comparison is all pairs, which for a few thousand training texts and a few
 * hundred evaluation lines takes well under a second. */
#include "leak.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "leak_int.h"

#define LEAK_HIST_BINS 20 /* histogram bins of width 0.05 */
#define LEAK_EXIT_LEAKS 1
#define LEAK_EXIT_USAGE 2

int leak_fold(const char *s, size_t len, char *out, size_t cap, size_t *out_len)
{
    size_t i, o = 0, n = 0;
    bool sep = false;
    int rc;

    /* fold_text never makes text longer; the filter below works in place */
    rc = fold_text(s, len, out, cap, &n);
    if (rc)
        return rc;
    for (i = 0; i < n; i++) {
        char c = out[i];

        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (sep && o > 0)
                out[o++] = ' ';
            sep = false;
            out[o++] = c;
        } else {
            sep = true; /* punctuation, space, any byte left non-ASCII by folding */
        }
    }
    out[o] = '\0';
    *out_len = o;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

static uint32_t pack4(const char *p, size_t n)
{
    uint32_t v = 0;
    size_t i;

    for (i = 0; i < 4; i++)
        v = (v << 8) | (i < n ? (unsigned char)p[i] : 0u);
    return v;
}

int leak_grams_init(struct leak_grams *g, const char *s, size_t len)
{
    char f[LEAK_TEXT_MAX + 1];
    size_t flen, i, n, k;
    int rc;

    g->v = NULL;
    g->n = 0;
    if (len > LEAK_TEXT_MAX)
        return -E2BIG;
    rc = leak_fold(s, len, f, sizeof(f), &flen);
    if (rc)
        return rc;
    if (flen == 0)
        return 0;
    n = flen < 4 ? 1 : flen - 3;
    g->v = malloc(n * sizeof(*g->v));
    if (!g->v)
        return -ENOMEM;
    if (flen < 4)
        g->v[0] = pack4(f, flen);
    else
        for (i = 0; i < n; i++)
            g->v[i] = pack4(f + i, 4);
    qsort(g->v, n, sizeof(*g->v), cmp_u32);
    for (i = 1, k = 1; i < n; i++)
        if (g->v[i] != g->v[k - 1])
            g->v[k++] = g->v[i];
    g->n = k;
    return 0;
}

void leak_grams_fini(struct leak_grams *g)
{
    free(g->v);
    g->v = NULL;
    g->n = 0;
}

void leak_compare(const struct leak_grams *t, const struct leak_grams *e, struct leak_score *out)
{
    const struct leak_grams *a = t, *b = e;
    size_t i = 0, j = 0, common = 0;

    out->dice = out->contain = out->score = 0;
    if (a->n == 0 || b->n < LEAK_MIN_GRAMS)
        return;
    while (i < a->n && j < b->n) {
        if (a->v[i] < b->v[j]) {
            i++;
        } else if (a->v[i] > b->v[j]) {
            j++;
        } else {
            common++;
            i++;
            j++;
        }
    }
    out->dice = 2.0 * (double)common / (double)(a->n + b->n);
    out->contain = (double)common / (double)e->n;
    out->score = out->contain - LEAK_CONTAIN_DISCOUNT;
    if (out->dice > out->score)
        out->score = out->dice;
}

/* ---- the command -------------------------------------------------------- */

/* Compares every text of copies with every line of eval, prints the pairs at
 * or above threshold and returns their number. Each eval line's best score
 * goes to bins (NULL: not wanted). */
static long compare_sets(struct lset *copies, const struct lset *eval, double threshold,
                         unsigned *bins, double *top)
{
    struct leak_score sc;
    size_t i, j;
    long leaks = 0;
    double best;

    for (j = 0; j < eval->n; j++) {
        best = 0;
        for (i = 0; i < copies->n; i++) {
            leak_compare(&copies->t[i].g, &eval->t[j].g, &sc);
            if (sc.score > best)
                best = sc.score;
            if (sc.score > copies->t[i].best)
                copies->t[i].best = sc.score;
            if (sc.score >= threshold) {
                printf("%s <-> %s score %.2f (dice %.2f, contained %.2f): %s\n", copies->t[i].where,
                       eval->t[j].where, sc.score, sc.dice, sc.contain, copies->t[i].text);
                leaks++;
            }
        }
        if (bins)
            bins[(size_t)(best * LEAK_HIST_BINS)]++;
        if (best > *top)
            *top = best;
    }
    return leaks;
}

static size_t count_short(const struct lset *s)
{
    size_t i, n = 0;

    for (i = 0; i < s->n; i++)
        n += s->t[i].g.n < LEAK_MIN_GRAMS;
    return n;
}

static void print_bins(const unsigned *bins)
{
    size_t k;

    for (k = 0; k < LEAK_HIST_BINS; k++)
        if (bins[k])
            printf("  %.2f-%.2f %5u\n", (double)k / LEAK_HIST_BINS,
                   (double)(k + 1) / LEAK_HIST_BINS, bins[k]);
    if (bins[LEAK_HIST_BINS])
        printf("  1.00      %5u\n", bins[LEAK_HIST_BINS]);
}

static void cli_usage(FILE *out)
{
    fprintf(out,
            "usage: motcua check-leak [--threshold T] [--histogram] DATA_DIR FILE...\n\n"
            "Compares every training text of DATA_DIR (guide and meta phrases,\n"
            "meta/none.txt, intents/*.tsv, message-long lexicon notes and literal\n"
            "fragments of rule patterns) with every line of each labelled FILE (text first,\n"
            "TAB-separated). Score: folded character 4-grams, max(Dice, containment); a pair\n"
            "scoring >= T (default %.2f) is printed as a leak (the evaluation text itself is\n"
            "not printed). --histogram adds the distribution of each line's best score.\n"
            "Exit codes: 0 clean, 1 leaks found, 2 bad usage or unreadable input.\n",
            LEAK_THRESHOLD_DEFAULT);
}

int leak_cli(int argc, char **argv)
{
    struct mc_err err = {{0}};
    struct lset set = {NULL, 0, 0};
    struct lset *files = NULL;
    double threshold = LEAK_THRESHOLD_DEFAULT, top;
    const char *dir = NULL;
    bool hist = false;
    long leaks = 0, r;
    int i, j, nfiles = 0, first_file = -1, status = LEAK_EXIT_USAGE;

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_usage(stdout);
            return 0;
        }
    }
    for (i = 0; i < argc && first_file < 0; i++) {
        if (strcmp(argv[i], "--threshold") == 0 && i + 1 < argc) {
            char *end;

            errno = 0;
            threshold = strtod(argv[++i], &end);
            if (errno || *end || end == argv[i] || !(threshold > 0 && threshold <= 1)) {
                fprintf(stderr, "motcua check-leak: --threshold must be a number in (0, 1]\n");
                return LEAK_EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--histogram") == 0) {
            hist = true;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "motcua check-leak: unexpected argument \"%s\" (see --help)\n",
                    argv[i]);
            return LEAK_EXIT_USAGE;
        } else if (!dir) {
            dir = argv[i];
        } else {
            first_file = i;
        }
    }
    if (!dir || first_file < 0) {
        fprintf(stderr, "motcua check-leak: expected DATA_DIR FILE... (see --help)\n");
        return LEAK_EXIT_USAGE;
    }
    files = calloc((size_t)(argc - first_file), sizeof(*files));
    if (!files) {
        mc_err_set(&err, "out of memory");
        goto fail;
    }
    if (leak_collect_training(&set, dir, &err))
        goto fail;
    for (i = first_file; i < argc; i++, nfiles++)
        if (leak_load_labelled(&files[nfiles], argv[i], &err))
            goto fail;
    printf("%s: %zu training texts\n", dir, set.n);
    for (i = 0; i < nfiles; i++) {
        unsigned bins[LEAK_HIST_BINS + 1] = {0};

        top = 0;
        r = compare_sets(&set, &files[i], threshold, bins, &top);
        printf("%s: %zu lines (%zu too short to score), %ld pair%s with training texts at or "
               "above %.2f, highest %.2f\n",
               argv[first_file + i], files[i].n, count_short(&files[i]), r, r == 1 ? "" : "s",
               threshold, top);
        if (hist) {
            printf("  best score of each line against the training texts:\n");
            print_bins(bins);
        }
        leaks += r;
        for (j = 0; j < i; j++) {
            top = 0;
            r = compare_sets(&files[i], &files[j], threshold, NULL, &top);
            printf("%s vs %s: %ld pair%s at or above %.2f, highest %.2f\n", argv[first_file + i],
                   argv[first_file + j], r, r == 1 ? "" : "s", threshold, top);
            leaks += r;
        }
    }
    if (hist) {
        unsigned bins[LEAK_HIST_BINS + 1] = {0};
        size_t k;

        for (k = 0; k < set.n; k++)
            bins[(size_t)(set.t[k].best * LEAK_HIST_BINS)]++;
        printf("best score of each training text against all lines:\n");
        print_bins(bins);
    }
    printf("check-leak: %ld pair%s at or above %.2f\n", leaks, leaks == 1 ? "" : "s", threshold);
    status = leaks ? LEAK_EXIT_LEAKS : 0;
    goto out;

fail:
    fprintf(stderr, "motcua check-leak: %s\n", err.text);
out:
    for (i = 0; files && first_file >= 0 && i < argc - first_file; i++)
        leak_set_fini(&files[i]); /* calloc'd: a set never loaded is empty */
    free(files);
    leak_set_fini(&set);
    return status;
}
