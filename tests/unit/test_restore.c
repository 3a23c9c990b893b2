/* tests/unit/test_restore.c - diacritic restoration from a small corpus:
 * context settles "tu" (tử / tư / từ) and "ban" (bản / bán), an ambiguous
 * word without context stays as typed, typed marks are anchors, mostly
 * accented messages are left alone, teencode spellings are repaired. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "restore.h"

static struct norm_tokens in, out;

static const char *const corpus[] = {
    "đăng ký khai tử cho người đã mất",
    "giấy chứng tử do ủy ban cấp khi đăng ký khai tử",
    "phiếu lý lịch tư pháp số một",
    "xin phiếu lý lịch tư pháp ở sở tư pháp",
    "chứng thực bản sao từ bản chính",
    "bản sao giấy khai sinh",
    "hợp đồng mua bán nhà đất",
    "hợp đồng mua bán xe máy",
    "đăng ký khai sinh cho con",
    "làm giấy khai sinh cho con",
    "người dân nộp hồ sơ",
    "người đi làm thủ tục",
    "phải nộp lệ phí không",
    "phải có giấy tờ",
};

static struct restore *build(void)
{
    struct restore *r = restore_new();
    size_t i;

    assert_non_null(r);
    for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
        assert_int_equal(norm_text(corpus[i], strlen(corpus[i]), &in), 0);
        assert_int_equal(restore_learn(r, &in), 0);
    }
    assert_int_equal(restore_finish(r), 0);
    assert_int_equal(restore_learn(r, &in), -EINVAL); /* read-only once finished */
    return r;
}

static const char *restore(const struct restore *r, const char *s)
{
    assert_int_equal(norm_text(s, strlen(s), &in), 0);
    assert_int_equal(restore_tokens(r, &in, &out), 0);
    return out.acc;
}

static void test_context_settles_ambiguity(void **state)
{
    struct restore *r = build();

    (void)state;
    assert_string_equal(restore(r, "dang ky khai tu"), "đăng ký khai tử");
    assert_string_equal(restore(r, "lam ly lich tu phap"), "làm lý lịch tư pháp");
    assert_string_equal(restore(r, "chung thuc ban sao tu ban chinh"),
                        "chứng thực bản sao từ bản chính");
    assert_string_equal(restore(r, "hop dong mua ban nha dat"), "hợp đồng mua bán nhà đất");
    assert_true(out.tok[3].flags & NORM_TOK_RESTORED);
    assert_false(out.tok[2].flags & NORM_TOK_RESTORED); /* "mua" needs no mark */
    assert_string_equal(restore(r, "dang ky khai sinh cho con"), "đăng ký khai sinh cho con");
    assert_true(restore_knows_fold(r, "tu", 2));
    assert_false(restore_knows_fold(r, "xyz", 3));
    restore_free(r);
}

static void test_no_context_no_guess(void **state)
{
    struct restore *r = build();

    (void)state;
    /* "tu" alone: tử, tư and từ are all common; nothing says which */
    assert_string_equal(restore(r, "tu"), "tu");
    assert_string_equal(restore(r, "ban"), "ban");
    /* a word with one accented form that dominates is restored */
    assert_string_equal(restore(r, "nguoi"), "người");
    restore_free(r);
}

static void test_marks_are_anchors(void **state)
{
    struct restore *r = build();

    (void)state;
    /* mostly accented: the user's unmarked words are meant as typed */
    assert_string_equal(restore(r, "đăng ký khai tu cho bé"), "đăng ký khai tu cho bé");
    /* mostly unaccented: restored around the typed anchor */
    assert_string_equal(restore(r, "dang ky khai tử"), "đăng ký khai tử");
    restore_free(r);
}

static void test_teencode_spelling_repaired(void **state)
{
    struct restore *r = build();

    (void)state;
    assert_string_equal(restore(r, "fai nop le phi khong"), "phải nộp lệ phí không");
    assert_string_equal(restore(r, "nguoi zan nop ho so"), "người dân nộp hồ sơ");
    assert_string_equal(restore(r, "zalo"), "zalo"); /* no known rewrite */
    restore_free(r);
    restore_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_settles_ambiguity),
        cmocka_unit_test(test_no_context_no_guess),
        cmocka_unit_test(test_marks_are_anchors),
        cmocka_unit_test(test_teencode_spelling_repaired),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
