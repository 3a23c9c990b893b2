/* tests/unit/test_conv_out.c - the reply builder keeps every channel's
 * limits: at most 13 quick replies, titles of at most 20 characters, no
 * payload offered twice, payloads bounded; empty texts are not sent. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conv_out.h"
#include "mc_utf8.h"

static void test_shape_and_texts(void **state)
{
    struct conv_out o;
    struct mc_buf b;

    (void)state;
    assert_int_equal(conv_out_init(&o), 0);
    assert_true(json_is_null(json_object_get(o.reply, "procedure")));
    conv_out_text(&o, "");
    conv_out_text(&o, NULL);
    conv_out_text(&o, "Xin chào");
    conv_out_textf(&o, "Bước %d/%d", 2, 7);
    mc_buf_init(&b, 64);
    assert_int_equal(mc_buf_puts(&b, "từ bộ đệm"), 0);
    conv_out_buf(&o, &b);
    assert_int_equal(b.len, 0); /* emptied for the next part */
    conv_out_buf(&o, &b);       /* empty: nothing added */
    mc_buf_fini(&b);
    assert_int_equal(json_array_size(json_object_get(o.reply, "messages")), 3);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(o.reply, "messages"), 1), "text")),
                        "Bước 2/7");
    conv_out_set(&o, "card", json_pack("{s:s}", "id", "khai-sinh"));
    assert_int_equal(o.rc, 0);
    conv_out_set(&o, "x", NULL); /* a failed allocation is remembered */
    assert_int_equal(o.rc, -ENOMEM);
    conv_out_text(&o, "ignored after a failure");
    assert_int_equal(json_array_size(json_object_get(o.reply, "messages")), 3);
    conv_out_fini(&o);
    conv_out_fini(&o); /* twice is harmless */
}

static void test_quick_reply_limits(void **state)
{
    char title[32], long_payload[CONV_PAYLOAD_MAX + 8];
    struct conv_out o;
    json_t *q;
    int i;

    (void)state;
    assert_int_equal(conv_out_init(&o), 0);
    conv_out_qr(&o, "Giấy tờ cần chuẩn bị", "docs:%s", "khai-sinh");
    conv_out_qr(&o, "Again", "docs:%s", "khai-sinh"); /* same payload: not offered twice */
    conv_out_qr(&o, "Đăng ký kết hôn với người nước ngoài", "proc:ket-hon");
    memset(long_payload, 'a', sizeof(long_payload) - 1);
    long_payload[sizeof(long_payload) - 1] = '\0';
    conv_out_qr(&o, "Too long", "proc:%s", long_payload);
    assert_int_equal(conv_out_qr_count(&o), 2);
    q = json_array_get(json_object_get(o.reply, "quick_replies"), 1);
    {
        const char *t = json_string_value(json_object_get(q, "title"));

        assert_true(mc_utf8_count(t, strlen(t)) <= CONV_QR_TITLE_MAX);
        assert_true(mc_utf8_is_valid(t, strlen(t)));
    }
    for (i = 0; i < 20; i++) {
        snprintf(title, sizeof(title), "Mục %d", i);
        conv_out_qr(&o, title, "unit:%05d", i);
    }
    assert_int_equal(conv_out_qr_count(&o), CONV_QR_MAX);
    assert_int_equal(o.rc, 0);
    conv_out_fini(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_and_texts),
        cmocka_unit_test(test_quick_reply_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
