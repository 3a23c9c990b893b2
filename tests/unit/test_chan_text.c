/* tests/unit/test_chan_text.c - splitting long answers for platforms with
 * message limits, and cutting titles at character boundaries. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "chan_text.h"
#include "mc_utf8.h"

static void test_short_text_is_one_part(void **state)
{
    struct chan_part p[CHAN_TEXT_PARTS_MAX];
    const char *t = "  Xin chào bạn.  ";

    (void)state;
    assert_int_equal(chan_split_text(t, strlen(t), 2000, p), 1);
    assert_int_equal(p[0].len, strlen("Xin chào bạn."));
    assert_memory_equal(t + p[0].off, "Xin chào bạn.", p[0].len);
    assert_int_equal(chan_split_text("", 0, 2000, p), 0);
}

static void test_splits_at_sentences_within_limit(void **state)
{
    struct chan_part p[CHAN_TEXT_PARTS_MAX];
    char text[6000];
    size_t used = 0;
    int n, i;

    (void)state;
    for (i = 0; i < 60; i++) /* 50 characters each */
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%s",
                                 "Bạn mang giấy chứng sinh bản chính đến trung tâm. ");
    n = chan_split_text(text, strlen(text), 2000, p);
    assert_true(n >= 2);
    for (i = 0; i < n; i++) {
        assert_true(mc_utf8_count(text + p[i].off, p[i].len) <= 2000);
        assert_true(mc_utf8_is_valid(text + p[i].off, p[i].len));
        assert_int_equal(text[p[i].off + p[i].len - 1], '.'); /* ends a sentence */
    }
}

static void test_long_word_cut_at_character(void **state)
{
    struct chan_part p[CHAN_TEXT_PARTS_MAX];
    char text[100];
    int n, i;

    (void)state;
    for (i = 0; i < 30; i++)
        memcpy(text + 2 * i, "đ", 2); /* 30 two-byte characters, no space */
    text[60] = '\0';
    n = chan_split_text(text, 60, 7, p);
    assert_int_equal(n, 5);
    for (i = 0; i < n; i++)
        assert_true(mc_utf8_is_valid(text + p[i].off, p[i].len));
}

static void test_too_many_parts(void **state)
{
    struct chan_part p[CHAN_TEXT_PARTS_MAX];
    char text[400];

    (void)state;
    memset(text, 'a', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    assert_int_equal(chan_split_text(text, strlen(text), 10, p), -E2BIG);
}

static void test_cut_chars_and_hex(void **state)
{
    char out[64];
    unsigned char b[2];

    (void)state;
    assert_string_equal(chan_cut_chars("Giấy tờ cần chuẩn bị thêm", 20, out, sizeof(out)),
                        "Giấy tờ cần chuẩn bị");
    assert_string_equal(chan_cut_chars("Đăng ký", 3, out, sizeof(out)), "Đăn");
    assert_string_equal(chan_cut_chars("Đăng ký", 10, out, 5), "Đă"); /* cap cuts at a boundary */
    assert_string_equal(chan_cut_chars("Đăng ký", 10, out, 4), "Đ");
    assert_true(chan_hex_decode("0aFf", b, 2));
    assert_int_equal(b[0], 0x0a);
    assert_int_equal(b[1], 0xff);
    assert_false(chan_hex_decode("0g", b, 1));
    assert_false(chan_hex_decode("0", b, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_text_is_one_part),
        cmocka_unit_test(test_splits_at_sentences_within_limit),
        cmocka_unit_test(test_long_word_cut_at_character),
        cmocka_unit_test(test_too_many_parts),
        cmocka_unit_test(test_cut_chars_and_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
