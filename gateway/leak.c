/* gateway/leak.c - see leak.h. Training texts are collected the way
 * kb_import.c reads them (same files, same columns); comparison is all pairs,
 * which for a few thousand training texts and a few hundred evaluation lines
 * takes well under a second. */
#include "leak.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "mc_lines.h"

#define LEAK_FILE_MAX (8 << 20) /* bytes of one source or evaluation file */
#define LEAK_TEXTS_MAX 200000   /* training texts; a sanity cap */
#define LEAK_HIST_BINS 20       /* histogram bins of width 0.05 */
#define LEAK_PATH_MAX 1024 /* bytes of a path we build; longer is cut (it only names a place) */
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

struct ltext {
    char *where;         /* "data/intents/x.tsv:12" or "data/procedures/x.json:phrases[3]" */
    char *text;          /* as written */
    struct leak_grams g; /* of text */
    double best;         /* best score against any evaluation line (histogram) */
};

struct lset {
    struct ltext *t;
    size_t n, cap;
};

static void lset_fini(struct lset *s)
{
    size_t i;

    for (i = 0; i < s->n; i++) {
        free(s->t[i].where);
        free(s->t[i].text);
        leak_grams_fini(&s->t[i].g);
    }
    free(s->t);
    memset(s, 0, sizeof(*s));
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Adds one text; a text of fewer than min_grams 4-grams is skipped. Returns 0 or a
 * negative errno with err set. */
static int lset_add_min(struct lset *s, const char *where, const char *text, size_t len,
                        size_t min_grams, struct mc_err *err)
{
    struct ltext t = {NULL, NULL, {NULL, 0}, 0};
    int rc;

    rc = leak_grams_init(&t.g, text, len);
    if (rc) {
        mc_err_set(err, "%s: %s", where, rc == -E2BIG ? "text too long" : "not valid UTF-8");
        return rc;
    }
    if (t.g.n < min_grams) {
        leak_grams_fini(&t.g);
        return 0;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        struct ltext *p;

        if (cap > LEAK_TEXTS_MAX) {
            mc_err_set(err, "%s: more than %d training texts", where, LEAK_TEXTS_MAX);
            rc = -E2BIG;
            goto fail;
        }
        p = realloc(s->t, cap * sizeof(*p));
        if (!p)
            goto fail_nomem;
        s->t = p;
        s->cap = cap;
    }
    t.where = dup_n(where, strlen(where));
    t.text = dup_n(text, len);
    if (!t.where || !t.text)
        goto fail_nomem;
    s->t[s->n++] = t;
    return 0;

fail_nomem:
    mc_err_set(err, "%s: out of memory", where);
    rc = -ENOMEM;
fail:
    free(t.where);
    free(t.text);
    leak_grams_fini(&t.g);
    return rc;
}

static int lset_add(struct lset *s, const char *where, const char *text, size_t len,
                    struct mc_err *err)
{
    return lset_add_min(s, where, text, len, 1, err);
}
/* Reads a whole file into a new NUL-terminated buffer (free() it); an absent
 * optional file reads as empty. */
static char *read_file(const char *path, size_t *len, bool optional, struct mc_err *err)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    size_t n = 0, got;

    *len = 0;
    if (!f) {
        if (optional && errno == ENOENT)
            return calloc(1, 1); /* an absent optional file has no lines */
        mc_err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    b = malloc(LEAK_FILE_MAX + 1);
    if (!b) {
        mc_err_set(err, "%s: out of memory", path);
        goto fail;
    }
    while ((got = fread(b + n, 1, LEAK_FILE_MAX + 1 - n, f)) > 0)
        n += got;
    if (ferror(f) || n > LEAK_FILE_MAX) {
        mc_err_set(err, "%s: %s", path, ferror(f) ? "read error" : "larger than 8 MB");
        goto fail;
    }
    fclose(f);
    b[n] = '\0';
    *len = n;
    return b;

fail:
    fclose(f);
    free(b);
    return NULL;
}

/* Column col (0-based, TAB-separated) of line; *n gets its length. NULL if
 * the line has fewer columns. */
static const char *column(const char *line, unsigned col, size_t *n)
{
    const char *p = line, *tab;

    while (col-- > 0) {
        p = strchr(p, '\t');
        if (!p)
            return NULL;
        p++;
    }
    tab = strchr(p, '\t');
    *n = tab ? (size_t)(tab - p) : strlen(p);
    return p;
}

/* Literal fragments of a PCRE2 pattern: the runs of text between groups,
 * alternatives and non-literal atoms (\b and quantifiers are dropped, \s is a
 * space). Calls lset_add for each. */
static int add_pattern(struct lset *s, const char *where, const char *pat, size_t len,
                       struct mc_err *err)
{
    char frag[LEAK_TEXT_MAX + 1];
    size_t i, n = 0;
    int rc = 0;

    for (i = 0; i <= len && !rc; i++) {
        char c = i < len ? pat[i] : '\0';
        bool flush = false;

        if (c == '\\' && i + 1 < len) {
            c = pat[++i];
            if (c == 's')
                frag[n++] = ' ';
            else if (c != 'b' && c != 'B')
                flush = true;
        } else if (c == '[' || c == '{') {
            char close = c == '[' ? ']' : '}';

            while (i + 1 < len && pat[i + 1] != close)
                i++;
            i++;
            flush = true;
        } else if (c == '(') {
            while (i + 1 < len && (pat[i + 1] == '?' || pat[i + 1] == ':' || pat[i + 1] == '=' ||
                                   pat[i + 1] == '!' || pat[i + 1] == '<'))
                i++;
            flush = true;
        } else if (c == '?' || c == '*' || c == '+') {
            /* a quantifier: the text around it is kept */
        } else if (c == ')' || c == '|' || c == '.' || c == '^' || c == '$' || c == '\0') {
            flush = true;
        } else if (n < LEAK_TEXT_MAX) {
            frag[n++] = c;
        }
        if (flush && n > 0) {
            rc = lset_add_min(s, where, frag, n, LEAK_MIN_GRAMS, err); /* keywords are not copies */
            n = 0;
        }
    }
    return rc;
}

enum lkind {
    LK_LINE, /* the whole line (data/meta/none.txt) */
    LK_COL1, /* label<TAB>text (the .tsv files of data/intents) */
    LK_NOTE, /* the note column of abbrev.tsv */
    LK_RULE, /* rules.tsv: the pattern's fragments and the note */
};

static int add_lines(struct lset *s, const char *path, enum lkind kind, bool optional,
                     struct mc_err *err)
{
    char line[LEAK_TEXT_MAX + 1], where[2 * LEAK_PATH_MAX];
    struct mc_lines it;
    const char *p;
    size_t len, n;
    char *text;
    int rc = 0, got;

    text = read_file(path, &len, optional, err);
    if (!text)
        return -EINVAL;
    mc_lines_init(&it, text, len);
    while (!rc && (got = mc_lines_next(&it, line, sizeof(line), &n)) != 0) {
        if (got < 0) {
            mc_err_set(err, "%s:%u: line too long or holds a NUL byte", path, it.lineno);
            rc = -EINVAL;
            break;
        }
        snprintf(where, sizeof(where), "%s:%u", path, it.lineno);
        switch (kind) {
        case LK_LINE:
            rc = lset_add(s, where, line, n, err);
            break;
        case LK_COL1:
            p = column(line, 1, &n);
            if (p)
                rc = lset_add(s, where, p, n, err);
            break;
        case LK_NOTE:
            p = column(line, 3, &n);
            if (p)
                rc = lset_add_min(s, where, p, n, LEAK_MIN_GRAMS, err);
            break;
        case LK_RULE:
            p = column(line, 1, &n);
            if (p)
                rc = add_pattern(s, where, p, n, err);
            p = column(line, 3, &n);
            if (p && !rc)
                rc = lset_add_min(s, where, p, n, LEAK_MIN_GRAMS, err);
            break;
        }
    }
    free(text);
    return rc;
}

static int add_phrases(struct lset *s, const char *path, json_t *root, struct mc_err *err)
{
    char where[2 * LEAK_PATH_MAX];
    json_t *x;
    size_t i;
    int rc = 0;

    json_array_foreach(json_object_get(root, "phrases"), i, x)
    {
        if (!json_is_string(x))
            continue;
        snprintf(where, sizeof(where), "%s:phrases[%zu]", path, i);
        rc = lset_add(s, where, json_string_value(x), json_string_length(x), err);
        if (rc)
            break;
    }
    return rc;
}

static int json_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

static int tsv_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return d->d_name[0] != '.' && n > 4 && strcmp(d->d_name + n - 4, ".tsv") == 0;
}

/* Every .json of dir/sub (its "phrases": the guide's names, aliases and FAQ
 * feed only accent restoration, not the intent examples) or .tsv of dir/sub
 * (label<TAB>text). */
static int add_dir(struct lset *s, const char *dir, const char *sub, bool json, bool optional,
                   struct mc_err *err)
{
    char folder[LEAK_PATH_MAX], path[LEAK_PATH_MAX + 256];
    struct dirent **names = NULL;
    json_error_t jerr;
    int n, i, rc = 0;

    snprintf(folder, sizeof(folder), "%s/%s", dir, sub);
    n = scandir(folder, &names, json ? json_filter : tsv_filter, alphasort);
    if (n < 0) {
        if (optional && errno == ENOENT)
            return 0;
        mc_err_set(err, "%s: %s", folder, strerror(errno));
        return -EINVAL;
    }
    for (i = 0; i < n && !rc; i++) {
        json_t *root;

        snprintf(path, sizeof(path), "%s/%s", folder, names[i]->d_name);
        if (!json) {
            rc = add_lines(s, path, LK_COL1, false, err);
            continue;
        }
        root = json_load_file(path, 0, &jerr);
        if (!root) {
            mc_err_set(err, "%s:%d: %s", path, jerr.line, jerr.text);
            rc = -EINVAL;
            break;
        }
        rc = add_phrases(s, path, root, err);
        json_decref(root);
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int collect_training(struct lset *s, const char *dir, struct mc_err *err)
{
    char path[LEAK_PATH_MAX];
    int rc;

    rc = add_dir(s, dir, "procedures", true, false, err);
    if (!rc)
        rc = add_dir(s, dir, "meta", true, false, err);
    if (!rc) {
        snprintf(path, sizeof(path), "%s/meta/none.txt", dir);
        rc = add_lines(s, path, LK_LINE, true, err);
    }
    if (!rc)
        rc = add_dir(s, dir, "intents", false, true, err);
    if (!rc) {
        snprintf(path, sizeof(path), "%s/lexicon/abbrev.tsv", dir);
        rc = add_lines(s, path, LK_NOTE, true, err);
    }
    if (!rc) {
        snprintf(path, sizeof(path), "%s/lexicon/rules.tsv", dir);
        rc = add_lines(s, path, LK_RULE, true, err);
    }
    return rc;
}

/* Loads the text column (up to the first TAB) of every line of a labelled
 * file. */
static int load_labelled(struct lset *s, const char *path, struct mc_err *err)
{
    char line[LEAK_TEXT_MAX + 1], where[2 * LEAK_PATH_MAX];
    struct mc_lines it;
    size_t len, n;
    char *text;
    int got, rc = 0;

    text = read_file(path, &len, false, err);
    if (!text)
        return -EINVAL;
    mc_lines_init(&it, text, len);
    while (!rc && (got = mc_lines_next(&it, line, sizeof(line), &n)) != 0) {
        if (got < 0) {
            mc_err_set(err, "%s:%u: line too long or holds a NUL byte", path, it.lineno);
            rc = -EINVAL;
            break;
        }
        snprintf(where, sizeof(where), "%s:%u", path, it.lineno);
        rc = lset_add(s, where, line, strcspn(line, "\t"), err);
    }
    free(text);
    return rc;
}

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
    if (collect_training(&set, dir, &err))
        goto fail;
    for (i = first_file; i < argc; i++, nfiles++)
        if (load_labelled(&files[nfiles], argv[i], &err))
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
        lset_fini(&files[i]); /* calloc'd: a set never loaded is empty */
    free(files);
    lset_fini(&set);
    return status;
}
