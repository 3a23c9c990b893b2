/* gateway/conv/conv_family.c - see conv_family.h. Everything read here was
 * folded at import (kb_family.c); a turn only compares words. */
#include "conv_family.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "conv.h"
#include "conv_out.h"
#include "conv_parse.h"
#include "fold_words.h"
#include "intent.h"
#include "kb.h"
#include "mc_buf.h"

#define FAMILY_NEEDLE_MAX 256      /* bytes of " w1 w2 " searched in an option's text */
#define FAMILY_ANSWER_WORDS_MAX 5  /* words of an answer read as an ordinal ("cái thứ hai") */
#define FAMILY_TEXT_MAX (4 * 1024) /* bytes of the choice's text */
#define FAMILY_NAMED_MIN 2         /* score that names an option: two words, or one pair */

_Static_assert(KB_FAMILY_OPTIONS_MAX <= CONV_QR_MAX, "one quick reply per option");
_Static_assert(KB_FAMILY_TITLE_MAX <= CONV_QR_TITLE_MAX, "option titles are never cut");

/* The words of one message and what each one is. */
struct msg {
    struct fold_word w[CONV_FAMILY_WORDS_MAX];
    size_t n;
    bool aspect[CONV_FAMILY_WORDS_MAX]; /* inside an aspect phrase ("le phi", "o dau") */
    bool used[CONV_FAMILY_WORDS_MAX];   /* part of the family's trigger */
    uint64_t seen;                      /* fold_words_bit() of each of w */
    char padded[INTENT_NORM_MAX + 2];   /* " folded " for whole-phrase search */
};

static void msg_init(struct msg *m, const struct intent_result *u)
{
    size_t i, k;

    memset(m->aspect, 0, sizeof(m->aspect));
    memset(m->used, 0, sizeof(m->used));
    m->n = fold_words_split(u->folded, strlen(u->folded), true, m->w, CONV_FAMILY_WORDS_MAX, NULL);
    m->seen = 0;
    for (i = 0; i < m->n; i++) {
        size_t at = (size_t)(m->w[i].p - u->folded);

        m->seen |= fold_words_bit(&m->w[i]);

        for (k = 0; k < u->n_aspect_spans; k++)
            if (at >= u->aspect_spans[k].start &&
                at < u->aspect_spans[k].start + u->aspect_spans[k].len)
                m->aspect[i] = true;
    }
    snprintf(m->padded, sizeof(m->padded), " %s ", u->folded);
}

/* Marks every occurrence of the phrase p[0..len) (folded words); true if found. */
static bool mark_phrase(struct msg *m, const char *p, size_t len)
{
    struct fold_word pw[KB_FAMILY_PARTS_MAX * 8];
    size_t np, i, k;
    bool found = false;

    /* most phrases of most families are not in the message: look at the first word first */
    np = fold_words_split(p, len, true, pw, 1, NULL);
    if (np && !(m->seen & fold_words_bit(&pw[0])))
        return false;
    np = fold_words_split(p, len, true, pw, sizeof(pw) / sizeof(pw[0]), NULL);

    for (i = 0; np && i + np <= m->n; i++) {
        for (k = 0; k < np; k++)
            if (m->w[i + k].len != pw[k].len || memcmp(m->w[i + k].p, pw[k].p, pw[k].len) != 0)
                break;
        if (k < np)
            continue;
        found = true;
        for (k = 0; k < np; k++)
            m->used[i + k] = true;
    }
    return found;
}

/* True when some trigger of f occurs (all its " + " parts, in any order);
 * marks the words of every trigger that occurs. */
static bool triggered(struct msg *m, const struct kb_family *f)
{
    bool any = false, saved[CONV_FAMILY_WORDS_MAX];
    size_t t;

    for (t = 0; t < f->n_triggers; t++) {
        const char *p = f->triggers[t], *plus;
        bool all = true;

        memcpy(saved, m->used, sizeof(saved));
        for (;;) {
            plus = strstr(p, " + ");
            if (!mark_phrase(m, p, plus ? (size_t)(plus - p) : strlen(p)))
                all = false;
            if (!plus)
                break;
            p = plus + sizeof " + " - 1;
        }
        if (all)
            any = true;
        else
            memcpy(m->used, saved, sizeof(saved)); /* a partial match marks nothing */
    }
    return any;
}

static bool contains(const char *hay, const struct fold_word *w, size_t nw)
{
    char needle[FAMILY_NEEDLE_MAX];
    size_t i, len = 1;

    needle[0] = ' ';
    for (i = 0; i < nw; i++) {
        if (w[i].len + 2 > sizeof(needle) - len)
            return false;
        memcpy(needle + len, w[i].p, w[i].len);
        len += w[i].len;
        needle[len++] = ' ';
    }
    needle[len] = '\0';
    return strstr(hay, needle) != NULL;
}

/* A word the message says beyond the family: not its trigger, not an aspect
 * phrase, not a stop word. */
static bool is_rest(const struct msg *m, size_t i)
{
    return !m->used[i] && !m->aspect[i] && !fold_words_is_stop(&m->w[i], true);
}

/* Adds nw to s[k] for every option k whose text (its naming words, or its
 * names for a pair) holds the feature w[0..nw) - unless more than half of the
 * family's options hold it: "đăng ký" names most residence procedures, so it
 * tells none apart. A pair weighs two words: "bản sao" is one name. */
static void score_feature(const struct kb_family *f, const struct fold_word *w, size_t nw,
                          unsigned s[KB_FAMILY_OPTIONS_MAX])
{
    bool has[KB_FAMILY_OPTIONS_MAX];
    size_t k, hits = 0;

    for (k = 0; k < f->n_options; k++) {
        has[k] = contains(nw == 1 ? f->options[k].words : f->options[k].names, w, nw);
        hits += has[k];
    }
    if (2 * hits > f->n_options)
        return;
    for (k = 0; k < f->n_options; k++)
        s[k] += has[k] ? (unsigned)nw : 0;
}

/* How well the message's own words name each option of f: content words
 * (not aspect words: "bao lâu" is no "lâu dài") found in its naming words,
 * plus word pairs found in its title, line or names ("bản sao", "căn cước":
 * a pair keeps what stop words would lose). */
static void score(const struct msg *m, const struct kb_family *f, unsigned s[KB_FAMILY_OPTIONS_MAX])
{
    size_t i;

    memset(s, 0, KB_FAMILY_OPTIONS_MAX * sizeof(*s));
    for (i = 0; i < m->n; i++) {
        if (is_rest(m, i))
            score_feature(f, &m->w[i], 1, s);
        /* pairs may lie in an aspect phrase: "ủy quyền" asks who, and names
         * the signature option */
        if (i + 1 < m->n && !m->used[i] && !m->used[i + 1])
            score_feature(f, &m->w[i], 2, s);
    }
}

static size_t rest_count(const struct msg *m)
{
    size_t i, n = 0;

    for (i = 0; i < m->n; i++)
        n += is_rest(m, i);
    return n;
}

/* The option one of whose whole names (title, line, guide name, alias)
 * occurs in the message and is longer than any other option's, or -1. */
static int named_whole(const struct msg *m, const struct kb_family *f)
{
    size_t i, best_len = 0;
    int best = -1;
    bool tie = false;

    for (i = 0; i < f->n_options; i++) {
        const char *line = f->options[i].names;

        while (line && *line) {
            const char *end = strchr(line, '\n');
            size_t len = end ? (size_t)(end - line) : strlen(line);
            char needle[FAMILY_NEEDLE_MAX];

            if (len > 2 && len < sizeof(needle)) {
                memcpy(needle, line, len);
                needle[len] = '\0';
                if (strstr(m->padded, needle) && len >= best_len) {
                    tie = len == best_len && best != (int)i;
                    best_len = len;
                    best = (int)i;
                }
            }
            line = end ? end + 1 : NULL;
        }
    }
    return tie ? -1 : best;
}

/* Options with the best score, when it reaches FAMILY_NAMED_MIN, into pick;
 * returns that score (0 when too low: one stray word such as "đâu", which
 * folds like "đầu", names nothing). */
static unsigned best_options(const struct msg *m, const struct kb_family *f,
                             struct conv_family_pick *pick)
{
    unsigned s[KB_FAMILY_OPTIONS_MAX], best = 0;
    size_t i;

    pick->family = f;
    pick->n = 0;
    score(m, f, s);
    for (i = 0; i < f->n_options; i++)
        if (s[i] > best)
            best = s[i];
    if (best < FAMILY_NAMED_MIN)
        return 0;
    for (i = 0; best && i < f->n_options; i++)
        if (s[i] == best)
            pick->opt[pick->n++] = i;
    return best;
}

static bool offers(const struct kb_family *f, const char *id)
{
    size_t i;

    for (i = 0; id && i < f->n_options; i++)
        if (strcmp(f->options[i].id, id) == 0)
            return true;
    return false;
}

static void pick_all(const struct kb_family *f, struct conv_family_pick *pick)
{
    pick->family = f;
    for (pick->n = 0; pick->n < f->n_options; pick->n++)
        pick->opt[pick->n] = pick->n;
}

bool conv_family_match(const struct kb *kb, const struct intent_result *u, const char *context_proc,
                       struct conv_family_pick *pick)
{
    const struct kb_family_set *set = kb_families(kb);
    struct conv_family_pick cand = {0}, first = {0};
    /* understanding points away: a procedure (checked against each family
     * below) or, surely, nothing we handle */
    bool proc_label = u->decision == INTENT_MATCH && kb_is_procedure(kb, u->label);
    bool sure_none = u->decision == INTENT_NONE && u->confidence >= CONV_OOS_SURE;
    struct msg m;
    size_t i;

    if (kb_family_count(set) == 0 || !u->folded[0])
        return false;
    msg_init(&m, u);
    for (i = 0; i < kb_family_count(set); i++) {
        const struct kb_family *f = kb_family_at(set, i);

        memset(m.used, 0, sizeof(m.used));
        if (!triggered(&m, f) || offers(f, context_proc))
            continue;
        if (named_whole(&m, f) >= 0)
            return false; /* "đăng ký hộ kinh doanh": a guide's own name */
        if (best_options(&m, f, &cand) > 0) {
            if (cand.n == 1)
                return false; /* the other words name one member */
        } else if (rest_count(&m) > 0 &&
                   (context_proc || sure_none || (proc_label && !offers(f, u->label)))) {
            continue; /* words about something else: not this family */
        } else {
            pick_all(f, &cand);
        }
        if (!first.family)
            first = cand;
    }
    if (!first.family)
        return false;
    *pick = first;
    return true;
}

void conv_family_say(const struct conv_family_pick *pick, json_t *state, struct conv_out *out)
{
    const struct kb_family *f = pick->family;
    json_t *pending = NULL, *ids = json_array();
    struct mc_buf b;
    size_t i;
    int rc;

    mc_buf_init(&b, FAMILY_TEXT_MAX);
    rc = mc_buf_printf(&b, "%s gồm mấy thủ tục khác nhau. Bạn muốn hỏi về việc nào dưới đây?",
                       f->title);
    for (i = 0; !rc && i < pick->n; i++) {
        const struct kb_family_option *o = &f->options[pick->opt[i]];

        rc = mc_buf_printf(&b, "\n%zu. %s", i + 1, o->line);
        conv_out_qr(out, o->title, "proc:%s", o->id);
        if (!ids || json_array_append_new(ids, json_string(o->id)))
            rc = -ENOMEM;
    }
    if (!rc)
        rc = mc_buf_puts(&b, "\nBạn bấm chọn, hoặc trả lời số thứ tự hay tên việc cần làm.");
    if (!rc)
        conv_out_buf(out, &b);
    mc_buf_fini(&b);
    if (!rc) {
        pending = json_pack("{s:s,s:s,s:O}", "kind", "family", "family", f->id, "options", ids);
        if (!pending || json_object_set_new(state, "pending", pending))
            rc = -ENOMEM;
    }
    json_decref(ids);
    if (rc)
        conv_out_fail(out, rc);
}

void conv_family_offer(const struct kb *kb, const struct intent_result *u, const char *context_proc,
                       json_t *state, struct conv_out *out, bool *offered)
{
    struct conv_family_pick pick;

    *offered = conv_family_match(kb, u, context_proc, &pick);
    if (*offered)
        conv_family_say(&pick, state, out);
}

/* An ordinal answer among n options ("2", "số 2", "cái đầu", "đầu tiên",
 * "thứ hai", "cái cuối"), 1-based, or 0. Short answers only: "ở đâu" is a
 * question, not "the first". */
static size_t ordinal(const char *folded, size_t n_options)
{
    static const char *const nums[] = {"", "mot", "hai", "ba", "bon", "nam", "sau"};
    static const char *const lead[] = {"cai", "so", "thu", "muc", "y", "phuong", "lua"};
    struct fold_word w[FAMILY_ANSWER_WORDS_MAX + 1];
    size_t n = fold_words_split(folded, strlen(folded), true, w, FAMILY_ANSWER_WORDS_MAX + 1, NULL);
    size_t i, k, v = 0;
    unsigned num = 0;

    if (n == 0 || n > FAMILY_ANSWER_WORDS_MAX)
        return 0;
    if (conv_parse_command(folded, &num) == CONV_CMD_NUMBER)
        v = num;
    for (i = 0; !v && i < n; i++) {
        bool led = i > 0 && fold_words_in(&w[i - 1], lead, sizeof(lead) / sizeof(lead[0]));

        if (fold_words_is(&w[i], "dau") && (led || (i + 1 < n && fold_words_is(&w[i + 1], "tien"))))
            v = 1;
        else if (fold_words_is(&w[i], "cuoi") &&
                 (led || (i + 1 < n && fold_words_is(&w[i + 1], "cung"))))
            v = n_options;
        else if (led && fold_words_is(&w[i], "nhat"))
            v = 1;
        else if (led && w[i].len == 1 && w[i].p[0] >= '1' && w[i].p[0] <= '9')
            v = (size_t)(w[i].p[0] - '0');
        for (k = 1; !v && led && k < sizeof(nums) / sizeof(nums[0]); k++)
            if (fold_words_is(&w[i], nums[k]))
                v = k;
    }
    return v <= n_options ? v : 0;
}

const char *conv_family_take_choice(const struct kb *kb, json_t *state,
                                    const struct intent_result *u)
{
    json_t *pending = json_incref(json_object_get(state, "pending"));
    const char *kind = json_string_value(json_object_get(pending, "kind")), *fid;
    const struct kb_family *f;
    struct conv_family_pick offered = {0}, best;
    const char *chosen = NULL;
    json_t *id;
    size_t i, k, v;
    struct msg m;

    json_object_del(state, "pending");
    if (!u || !kind || strcmp(kind, "family") != 0)
        goto out;
    fid = json_string_value(json_object_get(pending, "family"));
    f = fid ? kb_family_find(kb_families(kb), fid) : NULL;
    if (!f)
        goto out;
    offered.family = f;
    json_array_foreach(json_object_get(pending, "options"), i, id)
    {
        for (k = 0; k < f->n_options && offered.n < KB_FAMILY_OPTIONS_MAX; k++)
            if (json_string_value(id) && strcmp(f->options[k].id, json_string_value(id)) == 0)
                offered.opt[offered.n++] = k;
    }
    if (offered.n == 0)
        goto out;
    v = ordinal(u->folded, offered.n);
    if (v) {
        chosen = f->options[offered.opt[v - 1]].id;
        goto out;
    }
    /* words first: "bản sao" may be understood as another procedure's copy */
    msg_init(&m, u);
    if (best_options(&m, f, &best) > 0) {
        size_t hit = 0, n_hits = 0;

        for (i = 0; i < best.n; i++)
            for (k = 0; k < offered.n; k++)
                if (best.opt[i] == offered.opt[k]) {
                    hit = best.opt[i];
                    n_hits++;
                }
        if (n_hits == 1) {
            chosen = f->options[hit].id;
            goto out;
        }
    }
    for (k = 0; u->decision == INTENT_MATCH && k < offered.n; k++)
        if (strcmp(f->options[offered.opt[k]].id, u->label) == 0)
            chosen = f->options[offered.opt[k]].id;
out:
    json_decref(pending);
    return chosen;
}
