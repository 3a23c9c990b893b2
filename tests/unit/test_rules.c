/* tests/unit/test_rules.c - PCRE2 rules: weights land on the right label (or
 * "none"), aspects set their bit, accented patterns need the accented view,
 * \b knows Vietnamese letters (UTF + UCP), trigger words give the same
 * answers as running every rule, and errors name the line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"

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
    assert_null(rules_aspect_name(11));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_and_aspects),
        cmocka_unit_test(test_word_boundaries_know_vietnamese),
        cmocka_unit_test(test_triggers_agree_with_full_scan),
        cmocka_unit_test(test_errors_name_the_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
