/* intents/rules_pattern.c - see rules_pattern.h. */
#include "rules_pattern.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- trigger words ----
 * A conservative reading of the start of a pattern: FIRST(pattern), the set of
 * whole words a match must begin with, for the common shapes
 *   \bword ..., \b(?:alt one|alt two) ..., (?:optional )?word ...
 * Anything else (a class, a dot, \w, a quantified letter, a word glued to a
 * group) gives up, and the rule then runs on every message. */
static bool is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Index just past the group opening at p[i] == '(' (its ')' at depth 0), or
 * 0 if unbalanced or it holds a class or escape we do not follow. */
static size_t group_end(const char *p, size_t i, size_t n)
{
    int depth = 0;

    for (; i < n; i++) {
        if (p[i] == '\\') {
            i++;
            continue;
        }
        if (p[i] == '[')
            return 0;
        if (p[i] == '(')
            depth++;
        else if (p[i] == ')' && --depth == 0)
            return i + 1;
    }
    return 0;
}

static int first_seq(const char *p, size_t i, size_t n, bool tail_ok, struct rules_pattern_first *f,
                     bool *nullable);

/* True if p[i] starts a word delimiter: a space, \s or \b. */
static bool is_delim(const char *p, size_t i, size_t n)
{
    return i < n &&
           (p[i] == ' ' || (p[i] == '\\' && i + 1 < n && (p[i + 1] == 's' || p[i + 1] == 'b')));
}

/* Calls fn(ctx, start, end) for each alternative of p[i..n), split at the
 * '|' outside any group; stops at the first non-zero result, which it
 * returns. Both readings of a pattern below walk its alternatives so. */
static int each_alt(const char *p, size_t i, size_t n, int (*fn)(void *, size_t, size_t), void *ctx)
{
    size_t j, start = i;
    int depth = 0, rc;

    for (j = i; j <= n; j++) {
        if (j < n && p[j] == '\\') {
            j++;
            continue;
        }
        if (j < n && p[j] == '(')
            depth++;
        else if (j < n && p[j] == ')')
            depth--;
        if (j == n || (p[j] == '|' && depth == 0)) {
            rc = fn(ctx, start, j);
            if (rc)
                return rc;
            start = j + 1;
        }
    }
    return 0;
}

struct first_walk {
    const char *p;
    bool tail_ok;
    struct rules_pattern_first *f;
    bool nullable;
};

static int first_one(void *ctx, size_t start, size_t end)
{
    struct first_walk *w = ctx;
    bool nul;

    if (first_seq(w->p, start, end, w->tail_ok, w->f, &nul))
        return -1;
    w->nullable = w->nullable || nul;
    return 0;
}

/* FIRST of the alternatives in p[i..n). tail_ok: what follows p[n) ends a
 * word, so a word reaching the end of an alternative is whole. */
static int first_alts(const char *p, size_t i, size_t n, bool tail_ok,
                      struct rules_pattern_first *f, bool *nullable)
{
    struct first_walk w = {p, tail_ok, f, false};
    int rc = each_alt(p, i, n, first_one, &w);

    *nullable = w.nullable;
    return rc;
}

static int first_seq(const char *p, size_t i, size_t n, bool tail_ok, struct rules_pattern_first *f,
                     bool *nullable)
{
    size_t e, w, after;
    bool nul, inner_tail;

    *nullable = true;
    while (i < n) {
        if (p[i] == '^' || (p[i] == '\\' && i + 1 < n && p[i + 1] == 'b')) {
            i += p[i] == '^' ? 1 : 2;
            continue;
        }
        if (p[i] == '(') {
            e = group_end(p, i, n);
            if (e == 0)
                return -1;
            w = i + 1;
            if (w + 1 < e && p[w] == '?') {
                if (p[w + 1] != ':')
                    return -1; /* lookaround, named group, inline option */
                w += 2;
            }
            after = e;
            if (after < n && (p[after] == '?' || p[after] == '*'))
                after++;
            else if (after < n && (p[after] == '{' || p[after] == '+'))
                return -1;
            inner_tail = after == n ? tail_ok : is_delim(p, after, n);
            if (first_alts(p, w, e - 1, inner_tail, f, &nul))
                return -1;
            if (after > e)
                nul = true;
            if (!nul) {
                *nullable = false;
                return 0;
            }
            i = after;
            continue;
        }
        if (!is_word_byte((unsigned char)p[i]))
            return -1;
        for (w = i; w < n && is_word_byte((unsigned char)p[w]); w++)
            ;
        if (w == n ? !tail_ok : !is_delim(p, w, n))
            return -1; /* quantified letter, class, dot, group glued to the word */
        if (f->n == RULES_PATTERN_MAX_FIRST)
            return -1;
        f->w[f->n] = p + i;
        f->len[f->n] = w - i;
        f->n++;
        *nullable = false;
        return 0;
    }
    return 0;
}

/* ---- literal rules ----
 * Most rules are phrases: "\\b(?:giay khai sinh|dang (?:ky|ki) khai sinh)\\b".
 * Such a pattern expands to a short list of phrases, and checking a phrase
 * where its first word stands is a memcmp: no PCRE2 call on the hot path.
 * The pattern is still compiled, so a typo in it is reported at load. */
/* Extends every phrase of in by the sequence p[i..n) into out; -1 if the
 * sequence is not literal or expands too far. */
static int expand_seq(const char *p, size_t i, size_t n, const struct rules_pattern_lits *in,
                      struct rules_pattern_lits *out);

struct expand_walk {
    const char *p;
    const struct rules_pattern_lits *in;
    struct rules_pattern_lits *part, *out;
};

static int expand_one(void *ctx, size_t start, size_t end)
{
    struct expand_walk *w = ctx;
    size_t k;

    if (expand_seq(w->p, start, end, w->in, w->part))
        return -1;
    for (k = 0; k < w->part->n; k++) {
        if (w->out->n == RULES_PATTERN_MAX_LITERALS)
            return -1;
        memcpy(w->out->s[w->out->n], w->part->s[k], w->part->len[k]);
        w->out->len[w->out->n++] = w->part->len[k];
    }
    return 0;
}

static int expand_alts(const char *p, size_t i, size_t n, const struct rules_pattern_lits *in,
                       struct rules_pattern_lits *out)
{
    struct expand_walk w = {p, in, malloc(sizeof(*w.part)), out};
    int rc;

    if (!w.part)
        return -1;
    out->n = 0;
    rc = each_alt(p, i, n, expand_one, &w);
    free(w.part);
    return rc;
}

static int expand_seq(const char *p, size_t i, size_t n, const struct rules_pattern_lits *in,
                      struct rules_pattern_lits *out)
{
    struct rules_pattern_lits *cur = malloc(sizeof(*cur)), *alt = NULL;
    size_t k, e, m;
    int rc = -1;

    if (!cur)
        return -1;
    *cur = *in;
    while (i < n) {
        char c = p[i];
        if (c == '\\' && i + 1 < n && p[i + 1] == 's') { /* \s or \s+: one space */
            c = ' ';
            i += (i + 2 < n && p[i + 2] == '+') ? 3 : 2;
        } else if (c == '(' && i + 2 < n && p[i + 1] == '?' && p[i + 2] == ':') {
            e = group_end(p, i, n);
            if (e == 0)
                goto out;
            alt = alt ? alt : malloc(sizeof(*alt));
            if (!alt || expand_alts(p, i + 3, e - 1, cur, alt))
                goto out;
            if (e < n && p[e] == '?') { /* optional: keep the phrases without it too */
                for (k = 0; k < cur->n; k++) {
                    if (alt->n == RULES_PATTERN_MAX_LITERALS)
                        goto out;
                    memcpy(alt->s[alt->n], cur->s[k], cur->len[k]);
                    alt->len[alt->n++] = cur->len[k];
                }
                e++;
            }
            *cur = *alt;
            i = e;
            continue;
        } else if (is_word_byte((unsigned char)c) || c == ' ') {
            i++;
        } else {
            goto out; /* any other syntax: not a literal pattern */
        }
        if (i < n && (p[i] == '?' || p[i] == '*' || p[i] == '+' || p[i] == '{'))
            goto out; /* a quantified letter */
        for (k = 0; k < cur->n; k++) {
            m = cur->len[k];
            if (m + 1 >= RULES_PATTERN_LITERAL_MAX)
                goto out;
            cur->s[k][m] = c;
            cur->len[k] = m + 1;
        }
    }
    *out = *cur;
    rc = 0;
out:
    free(cur);
    free(alt);
    return rc;
}

int rules_pattern_first(const char *pat, size_t n, struct rules_pattern_first *f)
{
    bool nullable;

    f->n = 0;
    if (first_alts(pat, 0, n, true, f, &nullable) || nullable || f->n == 0)
        return -1;
    return 0;
}

int rules_pattern_literals(const char *pat, size_t b, size_t e, struct rules_pattern_lits *out)
{
    struct rules_pattern_lits *start = calloc(1, sizeof(*start));
    int rc;

    if (!start)
        return -1;
    start->n = 1; /* one empty phrase, extended by the whole sequence */
    rc = expand_seq(pat, b, e, start, out);
    free(start);
    return rc == 0 && out->n > 0 ? 0 : -1;
}
