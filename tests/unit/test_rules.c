/* tests/unit/test_rules.c - PCRE2 rules: weights land on the right label (or
 * "none"), aspects set their bit, accented patterns need the accented view,
 * \b knows Vietnamese letters (UTF + UCP), trigger words give the same
 * answers as running every rule, a literal phrase and a lookahead rule on the
 * same first word both fire, every phrase of data/lexicon/rules.tsv fires its
 * rule, and errors name the line. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"
#include "rules_sets.h"
#include "rx.h"

#define RULES_TSV "data/lexicon/rules.tsv"

static const char *const labels[] = {"khai-sinh", "khai-tu", "ly-lich-tu-phap"};

static const char text[] = "# label\tpattern\tweight\n"
                           "khai-sinh\t\\b(?:giay khai sinh|dang (?:ky|ki) khai sinh)\\b\t2\n"
                           "khai-tu\t\\b(?:khai tu|chung tu)\\b\t1.5\n"
                           "khai-tu\t\\bkhai sinh\\b\t-0.5\tnegative weight\n"
                           "ly-lich-tu-phap\t(?:phieu )?(?:ly|li) lich tu phap\t3\n"
                           "none\t\\b(?:thoi tiet|bong da)\\b\t2.5\n"
                           "khai-tu\t\\bchứng tử\\b\t1\taccented view only\n"
                           "khai-sinh\t.*sinh con\t1\tno trigger word: runs on every message\n"
                           "@fee\t\\b(?:bao nhieu tien|le phi)\\b\t0\n"
                           "@where\t\\bo dau\\b\t0\n";

static void apply(const struct rules *r, const char *folded, const char *acc, double *s,
                  unsigned *aspects)
{
    memset(s, 0, 4 * sizeof(*s));
    *aspects = 0;
    assert_int_equal(rules_apply(r, folded, strlen(folded), acc, strlen(acc), s, aspects), 0);
}

static void test_scores_and_aspects(void **state)
{
    struct mc_err err = {{0}};
    struct rules *r = rules_new(text, strlen(text), labels, 3, &err);
    double s[4];
    unsigned asp;

    (void)state;
    assert_non_null(r);
    assert_int_equal(rules_count(r), 9);
    assert_int_equal(rules_always_count(r), 1);
    apply(r, "dang ky khai sinh o dau", "đăng ký khai sinh ở đâu", s, &asp);
    assert_true(s[0] == 2.0 && s[1] == -0.5 && s[2] == 0 && s[3] == 0);
    assert_int_equal(asp, 1u << 3); /* where */
    apply(r, "le phi lam phieu li lich tu phap", "lệ phí làm phiếu lí lịch tư pháp", s, &asp);
    assert_true(s[2] == 3.0);
    assert_int_equal(asp, 1u << 0); /* fee */
    apply(r, "giay chung tu", "giấy chứng tử", s, &asp);
    assert_true(s[1] == 2.5); /* folded rule + accented rule */
    apply(r, "giay chung tu", "giấy chứng từ", s, &asp);
    assert_true(s[1] == 1.5); /* chứng từ (receipt) is not chứng tử */
    apply(r, "thoi tiet hom nay", "thời tiết hôm nay", s, &asp);
    assert_true(s[3] == 2.5);
    apply(r, "vo moi sinh con", "vợ mới sinh con", s, &asp);
    assert_true(s[0] == 1.0);
    rules_free(r);
    rules_free(NULL);
}

static void test_word_boundaries_know_vietnamese(void **state)
{
    static const char t[] = "khai-tu\t\\bthu\\b\t1\n";
    struct mc_err err = {{0}};
    struct rules *r = rules_new(t, strlen(t), labels, 3, &err);
    double s[4];
    unsigned asp;

    (void)state;
    assert_non_null(r);
    /* without UCP, \bthu\b would match inside "thuế" */
    apply(r, "nop thue", "nộp thuế đất", s, &asp);
    assert_true(s[1] == 0);
    rules_free(r);
    static const char t2[] = "khai-tu\tthu\\b\t1\n"; /* no leading \b: runs everywhere */
    r = rules_new(t2, strlen(t2), labels, 3, &err);
    assert_non_null(r);
    apply(r, "x", "nộp thuế đất", s, &asp);
    assert_true(s[1] == 0);
    rules_free(r);
}

static void test_triggers_agree_with_full_scan(void **state)
{
    /* the same rules with and without trigger words ('.*' disables them) */
    static const char a[] = "khai-sinh\t\\b(?:giay khai sinh|lam khai sinh)\\b\t1\n"
                            "khai-tu\t\\b(?:cha|me)\\b.{0,20}\\b(?:qua doi|mat)\\b\t1\n"
                            "khai-tu\t(?:vua )?mat roi\t1\n";
    static const char b[] = "khai-sinh\t.*?\\b(?:giay khai sinh|lam khai sinh)\\b\t1\n"
                            "khai-tu\t.*?\\b(?:cha|me)\\b.{0,20}\\b(?:qua doi|mat)\\b\t1\n"
                            "khai-tu\t.*?(?:vua )?mat roi\t1\n";
    static const char *const msgs[] = {
        "lam khai sinh cho con",
        "cha toi vua mat roi",
        "me qua doi hom qua",
        "me toi khoe",
        "giay khai sinh cua cha toi mat roi",
        "mat roi",
        "chua lam khai sinh",
        "",
    };
    struct mc_err err = {{0}};
    struct rules *ra = rules_new(a, strlen(a), labels, 3, &err);
    struct rules *rb = rules_new(b, strlen(b), labels, 3, &err);
    double sa[4], sb[4];
    unsigned asp;
    size_t i;

    (void)state;
    assert_non_null(ra);
    assert_non_null(rb);
    assert_int_equal(rules_always_count(ra), 0);
    assert_int_equal(rules_always_count(rb), 3);
    for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
        apply(ra, msgs[i], msgs[i], sa, &asp);
        apply(rb, msgs[i], msgs[i], sb, &asp);
        assert_memory_equal(sa, sb, sizeof(sa));
    }
    rules_free(ra);
    rules_free(rb);
}

/* Aspect bit of name ("where" -> 1 << 3). */
static unsigned bit(const char *name)
{
    unsigned i;

    for (i = 0; rules_aspect_name(i); i++)
        if (strcmp(rules_aspect_name(i), name) == 0)
            return 1u << i;
    fail_msg("no aspect \"%s\"", name);
    return 0;
}

static void test_literal_and_lookahead_share_a_word(void **state)
{
    /* "nop" starts phrases of the literal @where and khai-tu rules and the
     * @who rule with a lookahead; each must run whatever the others do, in
     * either order */
    static const char lit[] = "@where\t\\b(?:noi nao|noi nop|nop dau|nop tai)\\b\t0\n"
                              "khai-tu\t\\bnop ho so\\b\t1\n";
    static const char look[] = "@who\t\\b(?:lam|nop) ho\\b(?! (?:so|chieu))\t0\n";
    static const struct {
        const char *folded;
        unsigned aspects;
        double khai_tu;
    } cases[] = {
        {"thi nop dau", 1u << 3, 0},          {"thi noi nop", 1u << 3, 0},
        {"thi nop tai xa", 1u << 3, 0},       {"thi noi nao", 1u << 3, 0},
        {"noi nop ho so", 1u << 3, 1},        {"nop ho so o dau", 0, 1},
        {"nop ho cho toi", 1u << 5, 0},       {"lam ho chieu", 0, 0},
        {"nop ho so roi nop ho", 1u << 5, 1}, {"nop ho roi nop dau", (1u << 3) | (1u << 5), 0},
        {"ai nop ho so noi nop", 1u << 3, 1},
    };
    char both[2][512];
    unsigned asp;
    double s[4];
    size_t i, o;

    (void)state;
    snprintf(both[0], sizeof(both[0]), "%s%s", lit, look);
    snprintf(both[1], sizeof(both[1]), "%s%s", look, lit);
    for (o = 0; o < 2; o++) {
        struct mc_err err = {{0}};
        struct rules *r = rules_new(both[o], strlen(both[o]), labels, 3, &err);

        assert_non_null(r);
        assert_int_equal(rules_always_count(r), 0);
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            apply(r, cases[i].folded, cases[i].folded, s, &asp);
            if (asp != cases[i].aspects || s[1] != cases[i].khai_tu)
                fail_msg("order %zu, \"%s\": aspects %#x khai-tu %g, want %#x %g", o,
                         cases[i].folded, asp, s[1], cases[i].aspects, cases[i].khai_tu);
        }
        rules_free(r);
    }
}

/* The project's rules.tsv, with its own labels as the catalogue. */
struct project_rules {
    char *text;
    size_t len;
    const char *label[RULES_MAX];
    size_t n_labels;
    char *names; /* the label strings, NUL-separated */
    struct rules *r;
};

static void project_rules_load(struct project_rules *p)
{
    FILE *f = fopen(RULES_TSV, "rb");
    struct mc_err err = {{0}};
    size_t i, j, k;
    long n;

    memset(p, 0, sizeof(*p));
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    p->text = malloc((size_t)n + 1);
    p->names = malloc((size_t)n + 1);
    assert_non_null(p->text);
    assert_non_null(p->names);
    assert_int_equal(fread(p->text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    p->text[n] = '\0';
    p->len = (size_t)n;
    memcpy(p->names, p->text, p->len + 1);
    for (i = 0; i < p->len; i = j + 1) { /* first field of each rule line */
        for (j = i; j < p->len && p->names[j] != '\n'; j++)
            ;
        for (k = i; k < j && p->names[k] != '\t'; k++)
            ;
        if (k == j || p->names[i] == '#' || p->names[i] == '@' || p->names[i] == '$')
            continue; /* a comment, an aspect or a named set */
        p->names[k] = '\0';
        if (strcmp(p->names + i, "none") == 0)
            continue;
        for (k = 0; k < p->n_labels && strcmp(p->label[k], p->names + i) != 0; k++)
            ;
        if (k == p->n_labels && p->n_labels < RULES_MAX)
            p->label[p->n_labels++] = p->names + i;
    }
    p->r = rules_new(p->text, p->len, p->label, p->n_labels, &err);
    if (!p->r)
        fail_msg("%s", err.text);
}

static void project_rules_free(struct project_rules *p)
{
    rules_free(p->r);
    free(p->text);
    free(p->names);
}

static void test_project_where_and_who(void **state)
{
    static const struct {
        const char *folded, *accented;
        const char *has, *lacks;
    } cases[] = {
        {"thi nop dau", "thì nộp đâu", "where", NULL},
        {"nop dau", "nộp đâu", "where", NULL},
        {"den dau", "đến đâu", "where", NULL},
        {"thi noi nop", "thì nơi nộp", "where", NULL},
        {"thi nop tai", "thì nộp tại", "where", NULL},
        {"thi noi nao", "thì nơi nào", "where", NULL},
        {"thi cho nao", "thì chỗ nào", "where", NULL},
        {"thi tai dau", "thì tại đâu", "where", NULL},
        {"thi lam o", "thì làm ở", "where", NULL},
        {"noi nop ho so", "nơi nộp hồ sơ", "where", "who"},
        {"nop ho so o dau", "nộp hồ sơ ở đâu", "where", "who"},
        {"lam ho chieu", "làm hộ chiếu", NULL, "who"},
        {"nop ho toi duoc khong", "nộp hộ tôi được không", "who", NULL},
    };
    struct project_rules p;
    double *s;
    unsigned asp;
    size_t i;

    (void)state;
    project_rules_load(&p);
    s = calloc(p.n_labels + 1, sizeof(*s));
    assert_non_null(s);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        asp = 0;
        assert_int_equal(rules_apply(p.r, cases[i].folded, strlen(cases[i].folded),
                                     cases[i].accented, strlen(cases[i].accented), s, &asp),
                         0);
        if ((cases[i].has && !(asp & bit(cases[i].has))) ||
            (cases[i].lacks && (asp & bit(cases[i].lacks))))
            fail_msg("\"%s\": aspects %#x, want %s%s, not %s", cases[i].folded, asp,
                     cases[i].has ? "@" : "", cases[i].has ? cases[i].has : "-",
                     cases[i].lacks ? cases[i].lacks : "-");
    }
    free(s);
    project_rules_free(&p);
}

/* Runs every rule of p the slow way (each pattern compiled alone,
 * unanchored) on msg: the answer the trigger index must give. *fired says whether
 * rule `want` (its 0-based rule number) matched. */
static void full_scan(const struct project_rules *p, pcre2_code *const *code, const int *target,
                      const double *weight, size_t n, const char *msg, double *s, unsigned *asp,
                      size_t want, bool *fired)
{
    struct rx_scratch sc = {.used = 0};
    pcre2_match_data *md = rx_match_data(&sc, 1);
    size_t k;

    assert_non_null(md);
    memset(s, 0, (p->n_labels + 1) * sizeof(*s));
    *asp = 0;
    *fired = false;
    for (k = 0; k < n; k++) {
        if (pcre2_match(code[k], (PCRE2_SPTR)msg, strlen(msg), 0, 0, md, NULL) < 0)
            continue;
        if (target[k] < 0)
            *asp |= 1u << -(target[k] + 1);
        else
            s[target[k]] += weight[k];
        *fired = *fired || k == want;
    }
}

static void test_every_project_phrase_fires(void **state)
{
    /* every phrase of a "\b(?:a|b c|...)\b" rule, alone, fires its rule, and
     * the trigger index agrees with running every rule on it */
    struct project_rules p;
    static pcre2_code *code[RULES_MAX];
    static int target[RULES_MAX];
    static double weight[RULES_MAX];
    size_t n = 0, checked = 0, i, j, k, a;
    double *s, *want;
    unsigned asp, want_asp;
    char why[200], *line, *save = NULL, *copy;
    static char expanded[RULES_SETS_PATTERN_MAX];
    struct rules_sets *sets = rules_sets_new();
    bool fired;

    (void)state;
    assert_non_null(sets);
    project_rules_load(&p);
    s = calloc(p.n_labels + 1, sizeof(*s));
    want = calloc(p.n_labels + 1, sizeof(*want));
    copy = strdup(p.text);
    assert_true(s && want && copy);
    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *pat, *w, *end;

        if (line[0] == '$' && (pat = strchr(line, '\t')) != NULL) { /* a named set */
            *pat++ = '\0';
            if ((w = strchr(pat, '\t')) != NULL)
                *w = '\0';
            assert_int_equal(rules_sets_define(sets, line + 1, pat, why, sizeof(why)), 0);
            continue;
        }
        if (line[0] == '#' || !(pat = strchr(line, '\t')) || !(w = strchr(pat + 1, '\t')))
            continue;
        *pat++ = '\0';
        *w++ = '\0';
        assert_true(n < RULES_MAX);
        assert_int_equal(rules_sets_expand(sets, pat, expanded, sizeof(expanded), why, sizeof(why)),
                         0);
        code[n] = rx_compile(expanded, 0, why, sizeof(why));
        assert_non_null(code[n]);
        weight[n] = strtod(w, &end);
        target[n] = (int)p.n_labels; /* none */
        for (k = 0; line[0] == '@' && rules_aspect_name((unsigned)k); k++)
            if (strcmp(line + 1, rules_aspect_name((unsigned)k)) == 0)
                target[n] = -(int)k - 1;
        for (k = 0; line[0] != '@' && k < p.n_labels; k++)
            if (strcmp(line, p.label[k]) == 0)
                target[n] = (int)k;
        n++;
    }
    assert_int_equal(n, rules_count(p.r));
    /* second pass: the phrases of each flat "\b(?:...)\b" pattern */
    free(copy);
    copy = strdup(p.text);
    assert_non_null(copy);
    k = 0;
    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *pat, *w, phrase[256];
        size_t len;

        if (line[0] == '#' || !(pat = strchr(line, '\t')) || !(w = strchr(pat + 1, '\t')))
            continue;
        pat++;
        len = (size_t)(w - pat);
        if (len > sizeof "\\b(?:)\\b" - 1 && strncmp(pat, "\\b(?:", sizeof "\\b(?:" - 1) == 0 &&
            strncmp(pat + len - (sizeof ")\\b" - 1), ")\\b", sizeof ")\\b" - 1) == 0) {
            const char *b = pat + sizeof "\\b(?:" - 1, *e = pat + len - (sizeof ")\\b" - 1);
            bool flat = true;

            for (i = 0; b + i < e; i++)
                flat = flat && b[i] != '(' && b[i] != ')' && b[i] != '\\' && b[i] != '?';
            for (i = 0; flat && b + i < e; i = j + 1) {
                for (j = i; b + j < e && b[j] != '|'; j++)
                    ;
                assert_true(j - i < sizeof(phrase));
                memcpy(phrase, b + i, j - i);
                phrase[j - i] = '\0';
                asp = 0;
                memset(s, 0, (p.n_labels + 1) * sizeof(*s));
                assert_int_equal(
                    rules_apply(p.r, phrase, strlen(phrase), phrase, strlen(phrase), s, &asp), 0);
                full_scan(&p, code, target, weight, n, phrase, want, &want_asp, k, &fired);
                if (!fired)
                    fail_msg("rule %zu of %s: \"%s\" does not match its own pattern", k + 1,
                             RULES_TSV, phrase);
                if (asp != want_asp)
                    fail_msg("rule %zu of " RULES_TSV
                             ", \"%s\": aspects %#x, every rule run gives %#x",
                             k + 1, phrase, asp, want_asp);
                for (a = 0; a <= p.n_labels; a++)
                    if (fabs(s[a] - want[a]) > 1e-9)
                        fail_msg("rule %zu of " RULES_TSV
                                 ", \"%s\": score %g for %s, every rule run gives %g",
                                 k + 1, phrase, s[a], a < p.n_labels ? p.label[a] : "none",
                                 want[a]);
                checked++;
            }
        }
        k++;
    }
    print_message("%zu phrases of %zu rules checked\n", checked, n);
    assert_true(checked >= 500); /* most rules are flat phrase lists */
    for (k = 0; k < n; k++)
        pcre2_code_free(code[k]);
    free(copy);
    free(s);
    free(want);
    rules_sets_free(sets);
    project_rules_free(&p);
}

static void test_errors_name_the_line(void **state)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"khai-sinh\tabc\n", "rules.tsv:1: expected label<TAB>pattern<TAB>weight"},
        {"# x\nno-such\tabc\t1\n", "rules.tsv:2: unknown label \"no-such\""},
        {"khai-sinh\tabc\tlots\n", "rules.tsv:1: weight \"lots\" is not a number"},
        {"khai-sinh\tabc\t99\n", "rules.tsv:1: weight \"99\" is not a number"},
        {"khai-sinh\t(abc\t1\n", "rules.tsv:1: pattern at offset 4: missing closing"},
        {"@colour\tabc\t0\n", "rules.tsv:1: unknown label \"@colour\""},
        {"khai-sinh\t\t1\n", "rules.tsv:1: empty pattern"},
    };
    struct mc_err err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mc_err_clear(&err);
        assert_null(rules_new(bad[i].text, strlen(bad[i].text), labels, 3, &err));
        if (strncmp(err.text, bad[i].want, strlen(bad[i].want)) != 0)
            print_error("got \"%s\", want \"%s...\"\n", err.text, bad[i].want);
        assert_int_equal(strncmp(err.text, bad[i].want, strlen(bad[i].want)), 0);
    }
    assert_string_equal(rules_aspect_name(0), "fee");
    assert_string_equal(rules_aspect_name(10), "result");
    assert_string_equal(rules_aspect_name(11), "legal");
    assert_null(rules_aspect_name(12));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_and_aspects),
        cmocka_unit_test(test_word_boundaries_know_vietnamese),
        cmocka_unit_test(test_triggers_agree_with_full_scan),
        cmocka_unit_test(test_literal_and_lookahead_share_a_word),
        cmocka_unit_test(test_project_where_and_who),
        cmocka_unit_test(test_every_project_phrase_fires),
        cmocka_unit_test(test_errors_name_the_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
