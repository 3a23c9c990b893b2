/* tests/unit/test_conv_text.c - cutting quick-reply titles to 20 characters,
 * filling answer templates (folding: test_fold_words.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conv_text.h"
#include "mc_utf8.h"

static void test_cut(void **state)
{
    char out[128];
    const char *r;

    (void)state;
    assert_string_equal(conv_text_cut("Bước tiếp", 20, out, sizeof(out)), "Bước tiếp");
    /* exactly 20 characters stay whole */
    assert_string_equal(conv_text_cut("Giấy tờ cần chuẩn bị", 20, out, sizeof(out)),
                        "Giấy tờ cần chuẩn bị");
    /* longer: cut after a whole word, marked, within the limit */
    r = conv_text_cut("Làm giấy khai sinh cho con", 20, out, sizeof(out));
    assert_string_equal(r, "Làm giấy khai sinh…");
    assert_true(mc_utf8_count(r, strlen(r)) <= 20);
    /* one long word: cut at a character boundary */
    r = conv_text_cut("Thànhphốđặcbiệtrấtdàikhôngcókhoảngtrắng", 20, out, sizeof(out));
    assert_int_equal(mc_utf8_count(r, strlen(r)), 20);
    assert_true(mc_utf8_is_valid(r, strlen(r)));
    /* a space early in the title is not a good cut point */
    r = conv_text_cut("Ab Cdefghijklmnopqrstuvwxyz", 20, out, sizeof(out));
    assert_string_equal(r, "Ab Cdefghijklmnopqr…");
    /* a small output buffer still gets valid UTF-8 */
    {
        char tiny[8];

        r = conv_text_cut("Đăng ký kết hôn với người nước ngoài", 20, tiny, sizeof(tiny));
        assert_true(strlen(r) < sizeof(tiny));
        assert_true(mc_utf8_is_valid(r, strlen(r)));
    }
    assert_string_equal(conv_text_cut("abc", 0, out, sizeof(out)), "");
}

static void test_fill(void **state)
{
    const struct conv_text_var vars[] = {
        {"office_name", "Trung tâm phường Hoàn Kiếm"},
        {"phone", "tổng đài 1800 1096"},
        {"commune", "Phường Hoàn Kiếm"},
        {"hours", NULL},
    };
    struct mc_buf b;

    (void)state;
    mc_buf_init(&b, 1024);
    assert_int_equal(conv_text_fill("Gọi {phone} ({office_name}, {commune}).", vars, 4, &b), 0);
    assert_string_equal(b.data,
                        "Gọi tổng đài 1800 1096 (Trung tâm phường Hoàn Kiếm, Phường Hoàn Kiếm).");
    mc_buf_reset(&b);
    /* unknown and valueless placeholders stay visible for a reviewer */
    assert_int_equal(conv_text_fill("{nope} {hours} {} { {phone", vars, 4, &b), 0);
    assert_string_equal(b.data, "{nope} {hours} {} { {phone");
    mc_buf_reset(&b);
    assert_int_equal(conv_text_fill("{commune}{commune}", vars, 4, &b), 0);
    assert_string_equal(b.data, "Phường Hoàn KiếmPhường Hoàn Kiếm");
    mc_buf_fini(&b);
    mc_buf_init(&b, 8);
    assert_int_equal(conv_text_fill("{office_name}", vars, 4, &b), -E2BIG);
    mc_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_fill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
