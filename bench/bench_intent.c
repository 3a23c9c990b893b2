/* bench/bench_intent.c - the understanding benchmark (not a test):
 *   build/bench/bench_intent [KNOWLEDGE.db] [SECONDS]
 * Reads the inputs of the index from the knowledge database `motcua import`
 * built (default build/motcua.db; `make bench` passes $(BUILD)/motcua.db)
 * with kb_spec_load(), the loader kb_build_index() uses, then reports
 *   - load: CPU time to build the whole index from them (median of 5 builds;
 *     reading the database is not counted);
 *   - memory: heap bytes the index holds;
 *   - throughput: normalise + match, one thread (thread CPU time, so other
 *     processes on a shared machine do not count), over every training phrase
 *     of 20..120 bytes, in 5 rounds over SECONDS (2): the best and the median;
 *   - the same for normalisation alone.
 * Targets (issue 3): >= 100,000 messages/s, <= 20 MB, <= 100 ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intent.h"
#include "kb.h"
#include "norm.h"

#define BENCH_MIN_LEN 20  /* bytes: the "typical 20-120 character messages" */
#define BENCH_MAX_LEN 120 /* bytes */
#define BENCH_BUILDS 5
#define BENCH_TRIALS 5 /* timed rounds of matching */

/* CPU time of this thread: the figure "on one core" means, and it does not
 * count the time other processes on a shared machine take the core away. */
static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *db = "build/motcua.db";
    double seconds = 2.0, builds[BENCH_BUILDS], trial[BENCH_TRIALS], t0, t1, el;
    struct kb *kb = NULL;
    struct kb_spec *ks = NULL;
    const struct intent_spec *sp;
    struct intent_index *idx = NULL;
    struct intent_result *r = NULL;
    struct norm_tokens *nt = NULL;
    struct mc_err err = {{0}};
    const char **msg = NULL;
    size_t *mlen = NULL, nmsg = 0, i, n, bytes = 0, labelled = 0;
    int a;

    for (a = 1; a < argc; a++) {
        if (strspn(argv[a], "0123456789.") == strlen(argv[a]))
            seconds = strtod(argv[a], NULL);
        else
            db = argv[a];
    }
    kb = kb_open(db, &err);
    ks = kb ? kb_spec_load(kb, &err) : NULL;
    if (!ks) {
        fprintf(stderr, "bench_intent: %s (build it with make db)\n", err.text);
        kb_free(kb);
        return 1;
    }
    sp = kb_spec_get(ks);
    r = malloc(sizeof(*r));
    nt = malloc(sizeof(*nt));
    msg = calloc(sp->n_examples + 1, sizeof(*msg));
    mlen = calloc(sp->n_examples + 1, sizeof(*mlen));
    if (!r || !nt || !msg || !mlen)
        return 1;
    for (i = 0; i < BENCH_BUILDS; i++) {
        t0 = now_s();
        idx = intent_index_new(sp, &err);
        builds[i] = now_s() - t0;
        if (!idx) {
            fprintf(stderr, "bench_intent: %s\n", err.text);
            return 1;
        }
        if (i + 1 < BENCH_BUILDS)
            intent_index_free(idx);
    }
    qsort(builds, BENCH_BUILDS, sizeof(builds[0]), cmp_double);
    for (i = 0; i < sp->n_examples; i++) {
        size_t l = strlen(sp->examples[i].text);
        if (l >= BENCH_MIN_LEN && l <= BENCH_MAX_LEN) {
            msg[nmsg] = sp->examples[i].text;
            mlen[nmsg++] = l;
            bytes += l;
        }
    }
    printf("data: %s, %zu labels, %zu phrases, corpus %zu bytes\n", db, sp->n_labels,
           sp->n_examples, sp->corpus_len);
    printf("load: %.1f ms (median of %d builds; min %.1f, max %.1f)\n",
           builds[BENCH_BUILDS / 2] * 1e3, BENCH_BUILDS, builds[0] * 1e3,
           builds[BENCH_BUILDS - 1] * 1e3);
    printf("memory: %.2f MB held by the index\n", (double)intent_index_memory(idx) / 1048576.0);
    if (nmsg == 0) {
        printf("no messages of %d..%d bytes\n", BENCH_MIN_LEN, BENCH_MAX_LEN);
        return 0;
    }
    /* warm-up, and a count of how many of them the model gets right */
    for (i = 0; i < nmsg; i++)
        if (intent_match(idx, msg[i], mlen[i], r) == 0 && strcmp(r->label, "none") != 0)
            labelled++;
    for (a = 0; a < BENCH_TRIALS; a++) { /* the machine may be shared: best and median */
        n = 0;
        t0 = now_s();
        do {
            for (i = 0; i < nmsg; i++)
                if (intent_match(idx, msg[i], mlen[i], r) == 0)
                    n++;
            t1 = now_s();
        } while (t1 - t0 < seconds / BENCH_TRIALS);
        trial[a] = (t1 - t0) / (double)n;
    }
    qsort(trial, BENCH_TRIALS, sizeof(trial[0]), cmp_double);
    printf("match: %.0f messages/s, %.2f us each (best of %d trials; median %.0f/s, %.2f us; "
           "%zu messages, mean %.0f bytes, one thread)\n",
           1.0 / trial[0], trial[0] * 1e6, BENCH_TRIALS, 1.0 / trial[BENCH_TRIALS / 2],
           trial[BENCH_TRIALS / 2] * 1e6, nmsg, (double)bytes / (double)nmsg);
    n = 0;
    t0 = now_s();
    do {
        for (i = 0; i < nmsg; i++)
            if (norm_text(msg[i], mlen[i], nt) == 0)
                n++;
        t1 = now_s();
    } while (t1 - t0 < seconds / 2);
    el = t1 - t0;
    printf("normalise only: %.0f messages/s, %.2f us each\n", (double)n / el, el * 1e6 / (double)n);
    printf("(%zu of the %zu messages got a label)\n", labelled, nmsg);
    intent_index_free(idx);
    kb_spec_free(ks);
    kb_free(kb);
    free(r);
    free(nt);
    free(msg);
    free(mlen);
    return 0;
}
