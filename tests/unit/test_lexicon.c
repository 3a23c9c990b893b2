/* tests/unit/test_lexicon.c - abbreviation expansion with context rules:
 * the conflicting keys (dk, hk, ks, bn, kh) read by their neighbours, the
 * real data/lexicon/abbrev.tsv on real messages, đ variants, multi-word keys,
 * "-" (keep), and errors that name the line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lexicon.h"

static struct norm_tokens in, out;

static const char *expand(const struct lex *lx, const char *s)
{
    assert_int_equal(norm_text(s, strlen(s), &in), 0);
    assert_int_equal(lex_expand(lx, &in, &out), 0);
    return out.acc;
}

static const char small[] = "# test lexicon\n"
                            "dk\tđăng ký\tnext=khai sinh|kết hôn|tạm trú|ks\n"
                            "dk\tđăng ký\tprev=muốn|cần\n"
                            "dk\tđược\t*\tcó dk ko = có được không\n"
                            "ks\tkỹ sư\tnear=bằng|tốt nghiệp\n"
                            "ks\tkhai sinh\t\n"
                            "hk\tkhông\tlast\n"
                            "hk\thộ khẩu\tprev=nhập|sổ|có\n"
                            "hk\tkhông\t*\n"
                            "bn\tbao nhiêu\tnext=tiền|ngày|#\n"
                            "bn\tbạn\t*\n"
                            "ở mô\tở đâu\t*\n"
                            "tt\t-\t*\n"
                            "k\tnghìn\tprev=#\n"
                            "k\tkhông\tfirst;!next=có\n";

static void test_context_rules(void **state)
{
    struct mc_err err = {{0}};
    struct lex *lx = lex_new(small, strlen(small), &err);

    (void)state;
    assert_non_null(lx);
    assert_int_equal(lex_count(lx), 14);
    assert_string_equal(expand(lx, "dk ks cho bé"), "đăng ký khai sinh cho bé");
    assert_string_equal(expand(lx, "muốn dk xe"), "muốn đăng ký xe");
    assert_string_equal(expand(lx, "có dk ko"), "có được ko");
    assert_string_equal(expand(lx, "đk kết hôn"), "đăng ký kết hôn"); /* đ variant of dk */
    assert_string_equal(expand(lx, "bằng ks xây dựng"), "bằng kỹ sư xây dựng");
    assert_string_equal(expand(lx, "nhập hk cho con"), "nhập hộ khẩu cho con");
    assert_string_equal(expand(lx, "có hk"), "có không"); /* last wins first */
    assert_string_equal(expand(lx, "hk biết"), "không biết");
    assert_string_equal(expand(lx, "mất bn tiền"), "mất bao nhiêu tiền");
    assert_string_equal(expand(lx, "bn 3 ngày"), "bao nhiêu 3 ngày");
    assert_string_equal(expand(lx, "bn ơi"), "bạn ơi");
    assert_string_equal(expand(lx, "làm ở mô"), "làm ở đâu");
    assert_string_equal(expand(lx, "đk tt"), "được tt"); /* "-": kept */
    assert_string_equal(expand(lx, "50 k"), "50 nghìn");
    assert_string_equal(expand(lx, "k biết"), "không biết");
    assert_string_equal(expand(lx, "k có"), "k có"); /* no line holds */
    assert_true(out.tok[0].flags == 0 || !(out.tok[0].flags & NORM_TOK_EXPANDED));
    expand(lx, "dk ks");
    assert_true(out.tok[0].flags & NORM_TOK_EXPANDED);
    assert_true(lex_is_key(lx, "dk", 2));
    assert_true(lex_is_key(lx, "đk", 3));
    assert_false(lex_is_key(lx, "khai", 4));
    lex_free(lx);
}

static void test_errors_name_the_line(void **state)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"dk\n", "abbrev.tsv:1: expected key<TAB>expansion"},
        {"# c\n\nok\tđược\n!!!\tx\n", "abbrev.tsv:4: empty or invalid key"},
        {"dk\tđược\tbefore=x\n", "abbrev.tsv:1: unknown context condition"},
        {"dk\tđược\tnext=a||b\n", "abbrev.tsv:1: empty word in a context list"},
        {"a b c d e\tx\n", "abbrev.tsv:1: key has more than 4 words"},
        {"dk\t\xFF\n", "abbrev.tsv:1: empty or invalid expansion"},
    };
    struct mc_err err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mc_err_clear(&err);
        assert_null(lex_new(bad[i].text, strlen(bad[i].text), &err));
        if (strncmp(err.text, bad[i].want, strlen(bad[i].want)) != 0)
            print_error("got \"%s\", want \"%s...\"\n", err.text, bad[i].want);
        assert_int_equal(strncmp(err.text, bad[i].want, strlen(bad[i].want)), 0);
    }
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b;
    long n;

    *len = 0;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    *len = (size_t)n;
    return b;
}

static void test_project_lexicon(void **state)
{
    static const char *const cases[][2] = {
        {"dk ks cho be can j", "đăng ký khai sinh cho be can gì"},
        {"cccd mất làm lại sao ad", "căn cước công dân mất làm lại sao admin"},
        {"ko có hk thì đky tạm trú dc ko", "không có hộ khẩu thì đăng ký tạm trú được không"},
        {"có dk ko", "có được không"},
        {"phí bn vậy", "phí bao nhiêu vậy"},
        {"bn ơi cho hỏi", "bạn ơi cho hỏi"},
        {"làm răng để đk kết hôn", "làm sao để đăng ký kết hôn"},
        {"ở mô làm cccd", "ở đâu làm căn cước công dân"},
        {"ba tui mới mất", "cha tôi mới mất"},
        {"hs chuyển trường cho con", "học sinh chuyển trường cho con"},
        {"nộp hs ở đâu", "nộp hồ sơ ở đâu"},
        {"tách sđ ra 2 cuốn", "tách sổ đỏ ra 2 cuốn"},
        {"đk gì để làm hc", "điều kiện gì để làm hộ chiếu"},
        {"thẻ bhyt hông có", "thẻ bảo hiểm y tế không có"},
        {"đăng ký khai sanh", "đăng ký khai sinh"},
        {"chi phí làm chi vậy", "chi phí làm gì vậy"},
    };
    struct mc_err err = {{0}};
    size_t len = 0, i;
    char *text = slurp("data/lexicon/abbrev.tsv", &len);
    struct lex *lx;

    (void)state;
    assert_non_null(text);
    lx = lex_new(text, len, &err);
    if (!lx)
        print_error("%s\n", err.text);
    assert_non_null(lx);
    assert_true(lex_count(lx) >= 150);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = expand(lx, cases[i][0]);
        if (strcmp(got, cases[i][1]) != 0)
            print_error("\"%s\" -> \"%s\", want \"%s\"\n", cases[i][0], got, cases[i][1]);
        assert_string_equal(got, cases[i][1]);
    }
    lex_free(lx);
    free(text);
}

static void test_empty(void **state)
{
    struct mc_err err = {{0}};
    struct lex *lx = lex_new(NULL, 0, &err);

    (void)state;
    assert_non_null(lx);
    assert_string_equal(expand(lx, "dk ks"), "dk ks");
    lex_free(lx);
    lex_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_rules),
        cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_project_lexicon),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
