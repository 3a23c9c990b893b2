/* intents/rules.c - see rules.h. Reading rules.tsv into a rule set: each
 * line parsed and compiled, each rule indexed under the trigger words (or,
 * for a literal rule, the phrases) it must start with; the set's accessors
 * and its freeing. Running the rules on a message: rules_match.c. */
#include "rules.h"
#include "mc_lines.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "rules_int.h"
#include "rules_pattern.h"
#include "rules_sets.h"
#include "rx.h"

static const char *const aspect_names[] = {
    "fee",   "time",  "documents", "where",  "online", "who", "form",
    "steps", "hours", "condition", "result", "legal",  NULL,
};

const char *rules_aspect_name(unsigned i)
{
    return i < sizeof(aspect_names) / sizeof(aspect_names[0]) ? aspect_names[i] : NULL;
}

void rules_free(struct rules *r)
{
    size_t i;

    if (!r)
        return;
    for (i = 0; i < r->n; i++) {
        pcre2_code_free(r->r[i].code);
        pcre2_code_free(r->r[i].at);
    }
    free(r->r);
    hmap_str_free(r->trig);
    free(r->trig_head);
    free(r->link_rule);
    free(r->link_next);
    free(r->lit_head);
    free(r->lit_rule);
    free(r->lit_next);
    free(r->lit_off);
    free(r->lit_len);
    free(r->lit_edge);
    free(r->arena);
    free(r);
}

/* True if the pattern has an upper-case letter that is not an escape
 * (\\D, \\S, \\W ...): only then is PCRE2_CASELESS worth its cost, since
 * both views are lower-case. */
static bool has_upper(const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            continue;
        }
        if ((*s >= 'A' && *s <= 'Z') || ((unsigned char)*s >= 0xC3))
            return true; /* non-ASCII letters may be upper case too */
    }
    return false;
}

static bool is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* Links phrase p[0..len) of literal rule `rule` under trigger tid. */
static int add_phrase(struct rules *rs, uint32_t tid, uint32_t rule, const char *p, size_t len,
                      bool edge)
{
    if (rs->nlit == rs->caplit) {
        size_t nc = rs->caplit ? rs->caplit * 2 : 256;
        uint32_t **arrs[] = {&rs->lit_rule, &rs->lit_next, &rs->lit_off, &rs->lit_len};
        size_t a;
        for (a = 0; a < 4; a++) {
            uint32_t *q = realloc(*arrs[a], nc * sizeof(*q));
            if (!q)
                return -ENOMEM;
            *arrs[a] = q;
        }
        unsigned char *e = realloc(rs->lit_edge, nc);
        if (!e)
            return -ENOMEM;
        rs->lit_edge = e;
        rs->caplit = nc;
    }
    if (len + 1 > rs->acap - rs->alen) {
        size_t nc = rs->acap ? rs->acap : 4096;
        char *q;
        while (len + 1 > nc - rs->alen)
            nc *= 2;
        q = realloc(rs->arena, nc);
        if (!q)
            return -ENOMEM;
        rs->arena = q;
        rs->acap = nc;
    }
    memcpy(rs->arena + rs->alen, p, len);
    rs->lit_off[rs->nlit] = (uint32_t)rs->alen;
    rs->lit_len[rs->nlit] = (uint32_t)len;
    rs->alen += len + 1;
    rs->lit_rule[rs->nlit] = rule;
    rs->lit_edge[rs->nlit] = edge;
    rs->lit_next[rs->nlit] = rs->lit_head[tid];
    rs->lit_head[tid] = (uint32_t)rs->nlit++;
    return 0;
}

/* Doubles two parallel arrays that share one capacity (256 at first). Both
 * stay valid on failure. Returns 0 or -ENOMEM. */
static int grow_pair(uint32_t **a, uint32_t **b, size_t *cap)
{
    size_t nc = *cap ? *cap * 2 : 256;
    uint32_t *q = realloc(*a, nc * sizeof(*q));

    if (!q)
        return -ENOMEM;
    *a = q;
    q = realloc(*b, nc * sizeof(*q));
    if (!q)
        return -ENOMEM;
    *b = q;
    *cap = nc;
    return 0;
}

static int add_trigger(struct rules *rs, const char *w, size_t len, bool accented, uint32_t rule,
                       const char *phrase, size_t plen, bool edge)
{
    char key[HMAP_STR_MAX];
    uint32_t tid;
    int rc;

    if (len + 2 > sizeof(key))
        return -E2BIG;
    key[0] = accented ? 'a' : 'f';
    key[1] = ':';
    memcpy(key + 2, w, len);
    rc = hmap_str_intern(rs->trig, key, len + 2, &tid);
    if (rc)
        return rc;
    if (tid == rs->ntrig) {
        if (rs->ntrig == rs->captrig && grow_pair(&rs->trig_head, &rs->lit_head, &rs->captrig))
            return -ENOMEM;
        rs->lit_head[rs->ntrig] = UINT32_MAX;
        rs->trig_head[rs->ntrig++] = UINT32_MAX;
    }
    if (phrase) /* a literal rule: the phrase, not the rule, hangs off the word */
        return add_phrase(rs, tid, rule, phrase, plen, edge);
    if (rs->nlink == rs->caplink && grow_pair(&rs->link_rule, &rs->link_next, &rs->caplink))
        return -ENOMEM;
    rs->link_rule[rs->nlink] = rule;
    rs->link_next[rs->nlink] = rs->trig_head[tid];
    rs->trig_head[tid] = (uint32_t)rs->nlink++;
    return 0;
}

/* Registers rule k as a literal rule if its pattern is one. Returns 1 if it
 * is, 0 if not, or -ENOMEM. */
static int index_literal(struct rules *rs, size_t k, const char *pat)
{
    struct rules_pattern_lits *out = NULL;
    size_t n = strlen(pat), b = 0, e, i, w;
    bool edge = false;
    int rc = 0;

    if (n >= 2 && pat[0] == '^') {
        b = 1;
    }
    if (n - b >= 2 && pat[b] == '\\' && pat[b + 1] == 'b')
        b += 2;
    e = n;
    if (e >= b + 2 && pat[e - 2] == '\\' && pat[e - 1] == 'b') {
        e -= 2;
        edge = true;
    }
    out = malloc(sizeof(*out));
    if (!out) {
        rc = -ENOMEM;
        goto done;
    }
    if (rules_pattern_literals(pat, b, e, out))
        goto done;                 /* not a phrase list: indexed by its first words instead */
    for (i = 0; i < out->n; i++) { /* whole words, single spaces, no empty phrase */
        if (out->len[i] == 0 || out->s[i][0] == ' ' || out->s[i][out->len[i] - 1] == ' ')
            goto done;
        for (w = 1; w < out->len[i]; w++)
            if (out->s[i][w] == ' ' && out->s[i][w - 1] == ' ')
                goto done;
    }
    for (i = 0; i < out->n; i++) {
        for (w = 0; w < out->len[i] && out->s[i][w] != ' '; w++)
            ;
        rc = add_trigger(rs, out->s[i], w, rs->r[k].accented, (uint32_t)k, out->s[i], out->len[i],
                         edge);
        if (rc)
            goto done;
    }
    rs->r[k].literal = true;
    rc = 1;
done:
    free(out);
    return rc;
}

/* Finds the trigger words of rule k (pattern pat) or marks it "always". */
static int index_rule(struct rules *rs, size_t k, const char *pat)
{
    struct rules_pattern_first f;
    size_t i, n = strlen(pat);
    int rc;

    rs->r[k].at_start = n > 0 && pat[0] == '^';
    for (i = 0; i < n; i++)
        if (pat[i] >= 'A' && pat[i] <= 'Z' && (i == 0 || pat[i - 1] != '\\'))
            break;
    if (i == n) {
        rc = index_literal(rs, k, pat);
        if (rc)
            return rc < 0 ? rc : 0;
    }
    for (i = 0; i < n; i++)
        if (pat[i] >= 'A' && pat[i] <= 'Z' && (i == 0 || pat[i - 1] != '\\'))
            break; /* upper case: CASELESS would match what a token compare misses */
    if (i < n || rules_pattern_first(pat, n, &f)) {
        rs->r[k].always = true;
        return 0;
    }
    for (i = 0; i < f.n; i++) {
        rc = add_trigger(rs, f.w[i], f.len[i], rs->r[k].accented, (uint32_t)k, NULL, 0, false);
        if (rc)
            return rc;
    }
    return 0;
}

/* Compiles "\\G(?:pat)", the pattern anchored where matching starts. */
static pcre2_code *compile_anchored(const char *pat, unsigned opts, char *why, size_t whylen)
{
    char *buf = malloc(RULES_SETS_PATTERN_MAX + 16);
    pcre2_code *code = NULL;
    int n;

    if (!buf) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    n = snprintf(buf, RULES_SETS_PATTERN_MAX + 16, "\\G(?:%s)", pat);
    if (n < 0 || (size_t)n >= RULES_SETS_PATTERN_MAX + 16)
        snprintf(why, whylen, "pattern too long");
    else
        code = rx_compile(buf, opts, why, whylen);
    free(buf);
    return code;
}

static int parse_rule(struct rules *rs, struct rules_sets *sets, char *pat, char *line,
                      unsigned lineno, const char *const *labels, char *why, size_t whylen)
{
    char *f[4], *s = line, *end;
    size_t nf = 0, i;
    struct rule *r;
    double w;
    int rc;

    f[nf++] = s;
    while (nf < 4 && (s = strchr(s, '\t')) != NULL) {
        *s++ = '\0';
        f[nf++] = s;
    }
    if (nf >= 2 && f[0][0] == '$') /* a named set: rules_sets.h */
        return rules_sets_define(sets, f[0] + 1, f[1], why, whylen);
    if (nf < 3) {
        snprintf(why, whylen, "expected label<TAB>pattern<TAB>weight[<TAB>note]");
        return -EINVAL;
    }
    rc = rules_sets_expand(sets, f[1], pat, RULES_SETS_PATTERN_MAX, why, whylen);
    if (rc)
        return rc;
    f[1] = pat;
    if (rs->n == rs->cap) {
        size_t nc = rs->cap ? rs->cap * 2 : 64;
        struct rule *q = realloc(rs->r, nc * sizeof(*q));
        if (!q)
            return -ENOMEM;
        rs->r = q;
        rs->cap = nc;
    }
    r = &rs->r[rs->n];
    memset(r, 0, sizeof(*r));
    r->line = lineno;
    r->target = -2;
    if (f[0][0] == '@') {
        for (i = 0; aspect_names[i]; i++)
            if (strcmp(f[0] + 1, aspect_names[i]) == 0) {
                r->target = -1;
                r->aspect = (int)i;
            }
    } else if (strcmp(f[0], "none") == 0) {
        r->target = (int)rs->n_labels;
    } else {
        for (i = 0; i < rs->n_labels; i++)
            if (strcmp(f[0], labels[i]) == 0)
                r->target = (int)i;
    }
    if (r->target == -2) {
        snprintf(why, whylen, "unknown label \"%.60s\" (a catalogue id, none, or @aspect)", f[0]);
        return -EINVAL;
    }
    errno = 0;
    w = strtod(f[2], &end);
    while (*end == ' ' || *end == '\r')
        end++;
    if (errno || end == f[2] || *end || !isfinite(w) || fabs(w) > RULES_MAX_WEIGHT) {
        snprintf(why, whylen, "weight \"%.30s\" is not a number in [-%g, %g]", f[2],
                 RULES_MAX_WEIGHT, RULES_MAX_WEIGHT);
        return -EINVAL;
    }
    r->weight = w;
    if (!f[1][0]) {
        snprintf(why, whylen, "empty pattern");
        return -EINVAL;
    }
    r->accented = !is_ascii(f[1]);
    r->code = rx_compile(f[1], has_upper(f[1]) ? PCRE2_CASELESS : 0, why, whylen);
    if (!r->code)
        return -EINVAL;
    rs->n++;
    if (index_rule(rs, rs->n - 1, f[1]) != 0)
        return -ENOMEM;
    if (!r->always && !r->literal) {
        r->at = compile_anchored(f[1], has_upper(f[1]) ? PCRE2_CASELESS : 0, why, whylen);
        if (!r->at)
            return -EINVAL;
    }
    return 0;
}

struct rules *rules_new(const char *text, size_t len, const char *const *labels, size_t n_labels,
                        struct mc_err *err)
{
    struct rules *rs;
    char line[RULES_MAX_LINE + 1], why[200], *pat = NULL;
    struct rules_sets *sets = NULL;
    struct mc_lines it;
    size_t ll;
    int rc;

    rs = calloc(1, sizeof(*rs));
    sets = rules_sets_new();
    pat = malloc(RULES_SETS_PATTERN_MAX);
    if (!rs || !sets || !pat) {
        mc_err_set(err, "rules.tsv: out of memory");
        goto fail;
    }
    rs->n_labels = n_labels;
    rs->trig = hmap_str_new();
    if (!rs->trig) {
        mc_err_set(err, "rules.tsv: out of memory");
        goto fail;
    }
    mc_lines_init(&it, text, len);
    while ((rc = mc_lines_next(&it, line, sizeof(line), &ll)) != 0) {
        if (rc < 0) {
            if (rc == -E2BIG)
                mc_err_set(err, "rules.tsv:%u: line longer than %d bytes", it.lineno,
                           RULES_MAX_LINE);
            else
                mc_err_set(err, "rules.tsv:%u: NUL byte", it.lineno);
            goto fail;
        }
        if (rs->n >= RULES_MAX) {
            mc_err_set(err, "rules.tsv:%u: more than %d rules", it.lineno, RULES_MAX);
            goto fail;
        }
        why[0] = '\0';
        rc = parse_rule(rs, sets, pat, line, it.lineno, labels, why, sizeof(why));
        if (rc == -ENOMEM) {
            mc_err_set(err, "rules.tsv: out of memory");
            goto fail;
        }
        if (rc) {
            mc_err_set(err, "rules.tsv:%u: %s", it.lineno, why);
            goto fail;
        }
    }
    rules_sets_free(sets);
    free(pat);
    return rs;
fail:
    rules_sets_free(sets);
    free(pat);
    rules_free(rs);
    return NULL;
}

/* Number of rules that run on every message (no trigger word found). */
size_t rules_always_count(const struct rules *rs)
{
    size_t i, n = 0;

    for (i = 0; rs && i < rs->n; i++)
        n += rs->r[i].always;
    return n;
}

size_t rules_count(const struct rules *rs)
{
    return rs ? rs->n : 0;
}

size_t rules_memory(const struct rules *rs)
{
    size_t i, n = 0;

    if (!rs)
        return 0;
    for (i = 0; i < rs->n; i++) {
        size_t sz = 0;
        if (pcre2_pattern_info(rs->r[i].code, PCRE2_INFO_SIZE, &sz) == 0)
            n += sz;
    }
    return sizeof(*rs) + rs->cap * sizeof(*rs->r) + n + hmap_str_memory(rs->trig) +
           rs->captrig * 2 * sizeof(uint32_t) + rs->caplink * 2 * sizeof(uint32_t) +
           rs->caplit * (4 * sizeof(uint32_t) + 1) + rs->acap;
}
