/* intents/intent_report.c - the understanding's names and JSON (intent.h),
 * and `motcua eval`: labelled messages measured against an index. */
#include "intent.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"
#include "hmap.h"
#include "lexicon.h"
#include "mc_buf.h"
#include "mc_utf8.h"
#include "norm.h"
#include "restore.h"
#include "rules.h"

#include "intent_int.h"

/* ---------- names, JSON ---------- */

const char *intent_decision_name(enum intent_decision d)
{
    switch (d) {
    case INTENT_MATCH:
        return "match";
    case INTENT_CLARIFY:
        return "clarify";
    default:
        return "none";
    }
}

const char *intent_aspect_name(unsigned bit)
{
    unsigned i;

    for (i = 0; i < INTENT_ASPECT_COUNT_; i++)
        if (bit == 1u << i)
            return rules_aspect_name(i);
    return NULL;
}

const char *intent_entity_kind_name(enum intent_entity_kind k)
{
    switch (k) {
    case INTENT_ENTITY_DOSSIER:
        return "dossier";
    case INTENT_ENTITY_DATE:
        return "date";
    case INTENT_ENTITY_PHONE:
        return "phone";
    case INTENT_ENTITY_ID:
        return "id";
    default:
        return "email";
    }
}

static int json_str(struct mc_buf *b, const char *s)
{
    const char *p;
    int rc = mc_buf_puts(b, "\"");

    for (p = s; *p && rc == 0; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            rc = mc_buf_append(b, e, 2);
        } else if (c < 0x20) {
            rc = mc_buf_printf(b, "\\u%04x", c);
        } else {
            rc = mc_buf_append(b, p, 1);
        }
    }
    return rc ? rc : mc_buf_puts(b, "\"");
}

int intent_result_to_json(const struct intent_result *r, char **out_json)
{
    struct mc_buf b;
    size_t i;
    unsigned bit;
    int rc;
    bool first = true;

    mc_buf_init(&b, 4 * INTENT_NORM_MAX + 4096);
    rc = mc_buf_puts(&b, "{\"label\":");
    if (!rc)
        rc = json_str(&b, r->label ? r->label : intent_none_label);
    if (!rc)
        rc = mc_buf_printf(&b, ",\"confidence\":%.3f,\"candidates\":[", r->confidence);
    for (i = 0; i < r->n_candidates && !rc; i++) {
        rc = mc_buf_puts(&b, i ? ",{\"label\":" : "{\"label\":");
        if (!rc)
            rc = json_str(&b, r->candidates[i].label);
        if (!rc)
            rc = mc_buf_printf(&b, ",\"confidence\":%.3f}", r->candidates[i].confidence);
    }
    if (!rc)
        rc = mc_buf_puts(&b, "],\"normalized\":");
    if (!rc)
        rc = json_str(&b, r->normalized);
    if (!rc)
        rc = mc_buf_printf(&b, ",\"decision\":\"%s\",\"alternatives\":[",
                           intent_decision_name(r->decision));
    for (i = 0; i < r->n_alternatives && i + 1 < r->n_candidates && !rc; i++) {
        rc = i ? mc_buf_puts(&b, ",") : 0;
        if (!rc)
            rc = json_str(&b, r->candidates[i + 1].label);
    }
    if (!rc)
        rc = mc_buf_puts(&b, "],\"folded\":");
    if (!rc)
        rc = json_str(&b, r->folded);
    if (!rc)
        rc = mc_buf_puts(&b, ",\"aspects\":[");
    for (bit = 0; bit < INTENT_ASPECT_COUNT_ && !rc; bit++) {
        if (!(r->aspects & (1u << bit)))
            continue;
        rc = mc_buf_printf(&b, "%s\"%s\"", first ? "" : ",", rules_aspect_name(bit));
        first = false;
    }
    if (!rc)
        rc = mc_buf_puts(&b, "],\"entities\":[");
    for (i = 0; i < r->n_entities && !rc; i++)
        rc = mc_buf_printf(&b, "%s{\"kind\":\"%s\",\"start\":%zu,\"len\":%zu}", i ? "," : "",
                           intent_entity_kind_name(r->entities[i].kind), r->entities[i].start,
                           r->entities[i].len);
    if (!rc)
        rc = mc_buf_puts(&b, "]}");
    if (rc) {
        mc_buf_fini(&b);
        *out_json = NULL;
        return -ENOMEM;
    }
    *out_json = mc_buf_steal(&b);
    return *out_json ? 0 : -ENOMEM;
}

/* ---------- eval ---------- */

enum eval_style {
    STYLE_ACCENTED,
    STYLE_PLAIN,
    STYLE_TEEN,
    STYLE_SITUATION,
    STYLE_NONE,
    STYLE_COUNT
};

static const char *const style_names[STYLE_COUNT] = {
    "with diacritics", "without diacritics", "teencode/abbrev", "situational", "out of scope",
};

/* A line is right only when the bot answers it right: an in-scope line needs
 * decision "match" with its label, a none line decision "none". A "clarify"
 * (the bot asks "did you mean") is never counted right; it is reported apart,
 * with how often the right label was among the choices offered. */
struct eval_state {
    size_t ncls;
    size_t *conf;    /* [true][pred] counts of answered lines (match or none), ncls x ncls */
    size_t *clar_by; /* [true] lines that got "clarify", ncls */
    size_t style_n[STYLE_COUNT], style_ok[STYLE_COUNT];
    size_t lines, inscope, none, ok, ins_ok, none_ok, top3, plain, plain_ok;
    size_t clar, clar_right, none_clar; /* in-scope clarifies, of them right label offered; none */
};

static enum eval_style style_of(const char *col, const struct intent_result *r, bool is_none)
{
    if (col && *col) {
        if (strstr(col, "situ"))
            return STYLE_SITUATION;
        if (strstr(col, "teen") || strstr(col, "abbr"))
            return STYLE_TEEN;
        if (strstr(col, "without") || strstr(col, "plain") || strstr(col, "unaccent") ||
            strstr(col, "no-diacritics"))
            return STYLE_PLAIN;
        if (strstr(col, "none") || strstr(col, "out"))
            return STYLE_NONE;
        return STYLE_ACCENTED;
    }
    if (is_none)
        return STYLE_NONE;
    if (r->expanded_words)
        return STYLE_TEEN;
    return r->marked_words ? STYLE_ACCENTED : STYLE_PLAIN;
}

/* One labelled line; returns 0 or -EINVAL with *why set. */
static int eval_line(const struct intent_index *idx, struct eval_state *st, char *line,
                     struct intent_result *r, const struct intent_eval_hook *hook, const char **why)
{
    char *tab = strchr(line, '\t'), *label, *style = NULL, *t;
    size_t cls, pred, c;
    bool ok, in3 = false, is_none, clarify, declined;
    int rc;

    if (!tab) {
        *why = "expected text<TAB>label";
        return -EINVAL;
    }
    *tab = '\0';
    label = tab + 1;
    t = strchr(label, '\t');
    if (t) {
        *t = '\0';
        style = t + 1;
    }
    if (intent_label_index(idx, label, &cls) != 0) {
        *why = "unknown label (not in the catalogue, and not \"none\")";
        return -EINVAL;
    }
    rc = intent_match(idx, line, strlen(line), r);
    if (rc == -EINVAL) {
        *why = "text is not valid UTF-8";
        return -EINVAL;
    }
    if (rc == -E2BIG) {
        *why = "text longer than INTENT_MAX_INPUT (2048 bytes)";
        return -EINVAL;
    }
    if (rc)
        return rc;
    is_none = cls == idx->n_labels;
    /* the caller's product answers no label here (a known procedure without
     * a guide): counted as the bot's "none" */
    declined = hook && hook->declines && hook->declines(hook->arg, r);
    clarify = !declined && r->decision == INTENT_CLARIFY;
    if (declined || intent_label_index(idx, r->label, &pred) != 0)
        pred = idx->n_labels;
    ok = !clarify && pred == cls;
    for (c = 0; c < r->n_candidates; c++)
        if (strcmp(r->candidates[c].label, label) == 0)
            in3 = true;
    st->lines++;
    st->ok += ok;
    if (clarify)
        st->clar_by[cls]++;
    else
        st->conf[cls * st->ncls + pred]++;
    if (is_none) {
        st->none++;
        st->none_ok += ok;
        st->none_clar += clarify;
    } else {
        st->inscope++;
        st->ins_ok += ok;
        st->top3 += in3;
        st->clar += clarify;
        st->clar_right += clarify && in3;
        if (r->marked_words == 0) {
            st->plain++;
            st->plain_ok += ok;
        }
    }
    enum eval_style sty = style_of(style, r, is_none);
    st->style_n[sty]++;
    st->style_ok[sty] += ok;
    return 0;
}

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

struct confusion {
    size_t t, p, n;
};

static int by_count(const void *a, const void *b)
{
    const struct confusion *x = a, *y = b;

    return x->n < y->n ? 1 : x->n > y->n ? -1 : (x->t > y->t) - (x->t < y->t);
}

static const char *cls_name(const struct intent_index *idx, size_t c)
{
    return c == idx->n_labels ? intent_none_label : idx->labels[c];
}

static void eval_report(const struct intent_index *idx, const struct eval_state *st, FILE *out)
{
    struct confusion worst[INTENT_EVAL_CONFUSIONS];
    size_t i, j, nw = 0, tp, col, row, n = st->ncls;

    fprintf(out, "%-28s %5s %6s %6s %7s\n", "label", "n", "prec", "recall", "clarify");
    for (i = 0; i < n; i++) {
        tp = st->conf[i * n + i];
        col = 0;
        row = st->clar_by[i];
        for (j = 0; j < n; j++) {
            row += st->conf[i * n + j];
            col += st->conf[j * n + i];
        }
        if (row == 0 && col == 0)
            continue;
        fprintf(out, "%-28s %5zu %6.3f %6.3f %7zu\n", cls_name(idx, i), row, ratio(tp, col),
                ratio(tp, row), st->clar_by[i]);
    }
    fprintf(out, "\n%-20s %5s %6s\n", "style", "n", "top1");
    for (i = 0; i < STYLE_COUNT; i++)
        if (st->style_n[i])
            fprintf(out, "%-20s %5zu %6.3f\n", style_names[i], st->style_n[i],
                    ratio(st->style_ok[i], st->style_n[i]));
    fprintf(out, "unaccented in-scope: %zu lines, top1 %.3f\n", st->plain,
            ratio(st->plain_ok, st->plain));
    fprintf(out,
            "clarify (asked \"did you mean\", not counted right): %zu of %zu in-scope lines, "
            "right label offered in %zu; %zu of %zu none lines\n",
            st->clar, st->inscope, st->clar_right, st->none_clar, st->none);
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            size_t c = st->conf[i * n + j];
            if (i == j || c == 0)
                continue;
            if (nw < INTENT_EVAL_CONFUSIONS) {
                worst[nw].t = i;
                worst[nw].p = j;
                worst[nw++].n = c;
                qsort(worst, nw, sizeof(worst[0]), by_count);
            } else if (c > worst[nw - 1].n) {
                worst[nw - 1].t = i;
                worst[nw - 1].p = j;
                worst[nw - 1].n = c;
                qsort(worst, nw, sizeof(worst[0]), by_count);
            }
        }
    fprintf(out, "\nworst confusions (true -> predicted):\n");
    for (i = 0; i < nw; i++)
        fprintf(out, "  %4zu  %s -> %s\n", worst[i].n, cls_name(idx, worst[i].t),
                cls_name(idx, worst[i].p));
    fprintf(out,
            "accuracy=%.3f inscope=%.3f none=%.3f top3=%.3f nodiac=%.3f clarify=%.3f "
            "clarify_right=%zu/%zu\n",
            ratio(st->ok, st->lines), ratio(st->ins_ok, st->inscope), ratio(st->none_ok, st->none),
            ratio(st->top3, st->inscope), ratio(st->plain_ok, st->plain),
            ratio(st->clar, st->inscope), st->clar_right, st->clar);
}

int intent_eval(const struct intent_index *idx, FILE *in, const char *name, FILE *out,
                struct intent_eval_summary *sum, struct mc_err *err)
{
    return intent_eval_with(idx, NULL, in, name, out, sum, err);
}

int intent_eval_with(const struct intent_index *idx, const struct intent_eval_hook *hook, FILE *in,
                     const char *name, FILE *out, struct intent_eval_summary *sum,
                     struct mc_err *err)
{
    struct eval_state st;
    struct intent_result *r = NULL;
    char *line = NULL;
    const char *why = NULL;
    size_t lineno = 0, len;
    int rc = 0;

    memset(&st, 0, sizeof(st));
    st.ncls = idx->ncls;
    st.conf = calloc(st.ncls * st.ncls, sizeof(*st.conf));
    st.clar_by = calloc(st.ncls, sizeof(*st.clar_by));
    r = malloc(sizeof(*r));
    line = malloc(INTENT_EVAL_LINE + 2);
    if (!st.conf || !st.clar_by || !r || !line) {
        mc_err_set(err, "%s: out of memory", name);
        rc = -ENOMEM;
        goto out;
    }
    while (fgets(line, INTENT_EVAL_LINE + 2, in)) {
        lineno++;
        len = strlen(line);
        if (len == INTENT_EVAL_LINE + 1 && line[len - 1] != '\n') {
            mc_err_set(err, "%s:%zu: line longer than %d bytes", name, lineno, INTENT_EVAL_LINE);
            rc = -EINVAL;
            goto out;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        rc = eval_line(idx, &st, line, r, hook, &why);
        if (rc == -EINVAL) {
            mc_err_set(err, "%s:%zu: %s", name, lineno, why ? why : "invalid line");
            goto out;
        }
        if (rc) {
            mc_err_set(err, "%s:%zu: %s", name, lineno, strerror(-rc));
            goto out;
        }
    }
    if (ferror(in)) {
        mc_err_set(err, "%s: read error", name);
        rc = -EIO;
        goto out;
    }
    eval_report(idx, &st, out);
    if (sum) {
        sum->lines = st.lines;
        sum->inscope = st.inscope;
        sum->none = st.none;
        sum->accuracy = ratio(st.ok, st.lines);
        sum->inscope_acc = ratio(st.ins_ok, st.inscope);
        sum->none_acc = ratio(st.none_ok, st.none);
        sum->top3 = ratio(st.top3, st.inscope);
        sum->unaccented_lines = st.plain;
        sum->unaccented = ratio(st.plain_ok, st.plain);
        sum->clarify = st.clar;
        sum->clarify_right = st.clar_right;
        sum->none_clarify = st.none_clar;
    }
out:
    free(st.conf);
    free(st.clar_by);
    free(r);
    free(line);
    return rc;
}
