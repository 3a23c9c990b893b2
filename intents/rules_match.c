/* intents/rules_match.c - see rules.h. Running a rule set on a message's
 * two views: rules_apply() (the scores and aspects, a rule tried only where
 * its trigger word is) and rules_aspect_spans() (where the aspect phrases
 * are). The set is built in rules.c. */
#include "rules.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hmap.h"
#include "rules_int.h"
#include "rx.h"

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
