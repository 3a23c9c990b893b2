/* intents/rules.c - see rules.h. */
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
#include "rules_pattern.h"
#include "rules_sets.h"
#include "rx.h"

static const char *const aspect_names[] = {
    "fee",   "time",  "documents", "where",  "online", "who", "form",
    "steps", "hours", "condition", "result", "legal",  NULL,
};

struct rule {
    pcre2_code *code; /* the pattern as written */
    pcre2_code *at;   /* "\\G(?:pattern)": tried only where a trigger word starts */
    bool always;      /* no trigger words could be found: run on every message */
    bool at_start;    /* the pattern starts with ^: only a trigger at offset 0 counts */
    bool literal;     /* only words, spaces and (?:a|b)? groups: matched as phrases, no PCRE2 */
    int target;       /* label index, n_labels for none, -1 for an aspect */
    int aspect;       /* aspect index when target < 0 */
    double weight;
    bool accented; /* runs on the accented view */
    unsigned line;
};

struct rules {
    struct rule *r;
    size_t n, cap;
    size_t n_labels;
    /* trigger words -> rules: a rule runs only when a token of its view is
     * one of the words its pattern must start with */
    struct hmap_str *trig; /* "f:word" (folded view) or "a:word" (accented) -> tid */
    uint32_t *trig_head;   /* [tid] first link, UINT32_MAX at the end */
    size_t ntrig, captrig;
    uint32_t *link_rule, *link_next; /* linked lists of rules per trigger */
    size_t nlink, caplink;
    /* literal rules: their phrases, listed under the phrase's first word */
    uint32_t *lit_head; /* [tid] first phrase link */
    uint32_t *lit_rule, *lit_next, *lit_off, *lit_len;
    unsigned char *lit_edge; /* 1: the phrase must end where a word ends */
    size_t nlit, caplit;
    char *arena; /* phrase bytes */
    size_t alen, acap;
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

#define RULES_MAX_HITS 256 /* (rule, position) pairs tried per message; past it, unanchored */

struct hits {
    const struct rules *rs;
    double *scores;
    unsigned *aspects;
    unsigned char *done; /* bitset: rules already credited */
    uint32_t rule[RULES_MAX_HITS];
    uint32_t pos[RULES_MAX_HITS]; /* byte offset of the trigger token in its view */
    size_t n;
    unsigned char *overflow; /* bitset: rules to run unanchored */
};

/* Adds rule r's evidence. */
static void credit(const struct rule *r, double *scores, unsigned *aspects)
{
    if (r->target < 0)
        *aspects |= 1u << r->aspect;
    else
        scores[r->target] += r->weight;
}

/* Credits the literal rules whose phrases start at s[i] (a token start). */
static void match_phrases(struct hits *h, uint32_t tid, const char *s, size_t len, size_t i)
{
    const struct rules *rs = h->rs;
    uint32_t l, r, pl;

    for (l = rs->lit_head[tid]; l != UINT32_MAX; l = rs->lit_next[l]) {
        r = rs->lit_rule[l];
        pl = rs->lit_len[l];
        if (h->done[r >> 3] & (1u << (r & 7)))
            continue;
        if ((i > 0 && rs->r[r].at_start) || pl > len - i)
            continue;
        if (rs->lit_edge[l] && i + pl < len && s[i + pl] != ' ')
            continue;
        if (memcmp(s + i, rs->arena + rs->lit_off[l], pl) != 0)
            continue;
        if (rs->r[r].target < 0 && (*h->aspects & (1u << rs->r[r].aspect)))
            continue;
        h->done[r >> 3] |= (unsigned char)(1u << (r & 7));
        credit(&rs->r[r], h->scores, h->aspects);
    }
}

/* Records where the tokens of view s[0..len) trigger rules. */
static void find_triggers(const struct rules *rs, const char *s, size_t len, char view,
                          struct hits *h)
{
    char key[HMAP_STR_MAX];
    size_t i = 0, j;
    uint32_t tid, l, r;

    key[0] = view;
    key[1] = ':';
    while (i < len) {
        for (j = i; j < len && s[j] != ' '; j++)
            ;
        if (j - i + 2 <= sizeof(key)) {
            memcpy(key + 2, s + i, j - i);
            if (hmap_str_find(rs->trig, key, j - i + 2, &tid)) {
                match_phrases(h, tid, s, len, i);
                for (l = rs->trig_head[tid]; l != UINT32_MAX; l = rs->link_next[l]) {
                    r = rs->link_rule[l];
                    if (i > 0 && rs->r[r].at_start)
                        continue;
                    if (h->n < RULES_MAX_HITS) {
                        h->rule[h->n] = r;
                        h->pos[h->n] = (uint32_t)i;
                        h->n++;
                    } else {
                        h->overflow[r >> 3] |= (unsigned char)(1u << (r & 7));
                    }
                }
            }
        }
        i = j + 1;
    }
}

int rules_apply(const struct rules *rs, const char *folded, size_t flen, const char *accented,
                size_t alen, double *scores, unsigned *aspects)
{
    struct rx_scratch sc;
    pcre2_match_data *md;
    unsigned char done[(RULES_MAX + 7) / 8], overflow[(RULES_MAX + 7) / 8];
    struct hits h;
    size_t i, nb;
    int m;

    if (!rs || rs->n == 0)
        return 0;
    md = rx_match_data(&sc, 1);
    if (!md)
        return -ENOMEM;
    nb = (rs->n + 7) / 8;
    memset(done, 0, nb);
    memset(overflow, 0, nb);
    h.n = 0;
    h.overflow = overflow;
    h.rs = rs;
    h.scores = scores;
    h.aspects = aspects;
    h.done = done;
    if (rs->ntrig) {
        find_triggers(rs, folded, flen, 'f', &h);
        find_triggers(rs, accented, alen, 'a', &h);
    }
    /* triggered rules, tried only where their first word is */
    for (i = 0; i < h.n; i++) {
        const struct rule *r = &rs->r[h.rule[i]];
        if (done[h.rule[i] >> 3] & (1u << (h.rule[i] & 7)))
            continue;
        if (r->target < 0 && (*aspects & (1u << r->aspect)))
            continue; /* that aspect is already known */
        if (r->accented)
            m = pcre2_jit_match(r->at, (PCRE2_SPTR)accented, alen, h.pos[i], 0, md, NULL);
        else
            m = pcre2_jit_match(r->at, (PCRE2_SPTR)folded, flen, h.pos[i], 0, md, NULL);
        if (m == PCRE2_ERROR_JIT_BADOPTION) /* no JIT on this CPU: the interpreter */
            m = pcre2_match(r->at, (PCRE2_SPTR)(r->accented ? accented : folded),
                            r->accented ? alen : flen, h.pos[i], PCRE2_NO_UTF_CHECK, md, NULL);
        if (m < 0)
            continue; /* no match here, or a match limit: no evidence */
        done[h.rule[i] >> 3] |= (unsigned char)(1u << (h.rule[i] & 7));
        credit(r, scores, aspects);
    }
    /* rules without trigger words, and triggered ones past RULES_MAX_HITS */
    for (i = 0; i < rs->n; i++) {
        const struct rule *r = &rs->r[i];
        if (done[i >> 3] & (1u << (i & 7)))
            continue;
        if (!r->always && !(overflow[i >> 3] & (1u << (i & 7))))
            continue;
        m = pcre2_match(r->code, (PCRE2_SPTR)(r->accented ? accented : folded),
                        r->accented ? alen : flen, 0, PCRE2_NO_UTF_CHECK, md, NULL);
        if (m >= 0)
            credit(r, scores, aspects);
    }
    return 0;
}

/* The byte offset where token k of view s[0..len) starts (len past the last). */
static size_t token_start(const char *s, size_t len, size_t k)
{
    size_t i;

    for (i = 0; i < len && k > 0; i++)
        if (s[i] == ' ')
            k--;
    return i;
}

/* The number of spaces in s[from..to): the token index of byte to when from
 * starts a token. */
static size_t count_spaces(const char *s, size_t from, size_t to)
{
    size_t n = 0;

    for (; from < to; from++)
        n += s[from] == ' ';
    return n;
}

size_t rules_aspect_spans(const struct rules *rs, const char *folded, size_t flen,
                          const char *accented, size_t alen, struct rules_span *out, size_t max)
{
    struct rx_scratch sc;
    pcre2_match_data *md;
    size_t i, n = 0;

    if (!rs || max == 0)
        return 0;
    md = rx_match_data(&sc, 1);
    if (!md)
        return 0;
    for (i = 0; i < rs->n && n < max; i++) {
        const struct rule *r = &rs->r[i];
        const char *s = r->accented ? accented : folded;
        size_t len = r->accented ? alen : flen, off = 0;

        if (r->target >= 0)
            continue;
        while (off < len && n < max) {
            PCRE2_SIZE *ov;
            size_t first, last;

            if (pcre2_match(r->code, (PCRE2_SPTR)s, len, off, PCRE2_NO_UTF_CHECK, md, NULL) < 0)
                break;
            ov = pcre2_get_ovector_pointer(md);
            if (ov[1] <= ov[0]) { /* an empty match: go on after the next space */
                while (off < len && s[off] != ' ')
                    off++;
                off++;
                continue;
            }
            first = count_spaces(s, 0, ov[0]);
            last = first + count_spaces(s, ov[0], ov[1]);
            out[n].start = token_start(folded, flen, first);
            out[n].len = token_start(folded, flen, last + 1);
            if (out[n].len > out[n].start && out[n].len <= flen && folded[out[n].len - 1] == ' ')
                out[n].len--; /* token_start() stops after the space */
            if (out[n].len > out[n].start) {
                out[n].len -= out[n].start;
                out[n].index = (unsigned)r->aspect;
                n++;
            }
            off = ov[1];
        }
    }
    return n;
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
