/* tests/unit/test_conv_alt.c - the alternatives beside an answered match,
 * against the real data/ (imported once into a temporary knowledge
 * database): one "proc:<id>" quick reply per runner-up that is a procedure,
 * titled with its short name within the channels' limits, after the answer's
 * own buttons; nothing for a clarify, for an answer about another procedure,
 * or when the buttons are full. The understanding results are built by hand:
 * this tests the conversation's side of intent_result.n_alternatives. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conv_alt.h"
#include "conv_out.h"
#include "intent.h"
#include "fixture_kb.h"
#include "kb.h"
#include "kb_import.h"
#include "mc_utf8.h"

/* A match for labels[0] with the n_alt runner-ups labels[1..n) close. */
static void result(struct intent_result *u, enum intent_decision d, const char *const *labels,
                   size_t n, size_t n_alt)
{
    size_t i;

    memset(u, 0, sizeof(*u));
    u->decision = d;
    u->label = labels[0];
    u->confidence = 0.7;
    for (i = 0; i < n; i++) {
        u->candidates[i].label = labels[i];
        u->candidates[i].confidence = 0.7 - 0.2 * (double)i;
    }
    u->n_candidates = n;
    u->n_alternatives = n_alt;
}

static json_t *qrs(struct conv_out *out)
{
    return json_object_get(out->reply, "quick_replies");
}

static const char *qr_field(struct conv_out *out, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(qrs(out), i), key));
}

static void test_alternatives_become_buttons(void **state)
{
    static const char *const l[] = {"an-toan-thuc-pham", "ho-kinh-doanh", "gio-lam-viec"};
    static const char *const l2[] = {"khai-sinh", "thuong-tru", "thay-doi-ho-kinh-doanh"};
    static struct intent_result u;
    struct conv_out out;
    size_t i;

    (void)state;
    assert_int_equal(conv_out_init(&out), 0);
    conv_out_qr(&out, "Giấy tờ cần chuẩn bị", "docs:%s", l[0]); /* the answer's own */
    result(&u, INTENT_MATCH, l, 3, 2);
    conv_alt_offer(fixture_kb, &u, l[0], &out);
    assert_int_equal(out.rc, 0);
    assert_int_equal(conv_out_qr_count(&out), 2); /* the meta intent is no procedure button */
    assert_string_equal(qr_field(&out, 0, "payload"), "docs:an-toan-thuc-pham");
    assert_string_equal(qr_field(&out, 1, "payload"), "proc:ho-kinh-doanh");
    conv_out_fini(&out);

    assert_int_equal(conv_out_init(&out), 0);
    result(&u, INTENT_MATCH, l2, 3, 2);
    conv_alt_offer(fixture_kb, &u, l2[0], &out);
    assert_int_equal(conv_out_qr_count(&out), 2);
    assert_string_equal(qr_field(&out, 0, "payload"), "proc:thuong-tru");
    /* "Nhập hộ khẩu (đăng ký thường trú)": the name before the brackets */
    assert_string_equal(qr_field(&out, 0, "title"), "Nhập hộ khẩu");
    assert_string_equal(qr_field(&out, 1, "payload"), "proc:thay-doi-ho-kinh-doanh");
    for (i = 0; i < 2; i++)
        assert_true(mc_utf8_count(qr_field(&out, i, "title"), strlen(qr_field(&out, i, "title"))) <=
                    CONV_QR_TITLE_MAX);
    conv_out_fini(&out);

    assert_int_equal(conv_out_init(&out), 0);
    result(&u, INTENT_MATCH, l2, 3, 1); /* only the close ones */
    conv_alt_offer(fixture_kb, &u, l2[0], &out);
    assert_int_equal(conv_out_qr_count(&out), 1);
    conv_out_fini(&out);
}

static void test_no_buttons_otherwise(void **state)
{
    static const char *const l[] = {"an-toan-thuc-pham", "ho-kinh-doanh", "khai-sinh"};
    static struct intent_result u;
    struct conv_out out;
    unsigned i;

    (void)state;
    assert_int_equal(conv_out_init(&out), 0);
    result(&u, INTENT_MATCH, l, 3, 0); /* a clear winner */
    conv_alt_offer(fixture_kb, &u, l[0], &out);
    result(&u, INTENT_CLARIFY, l, 3, 0); /* the clarification offers them itself */
    conv_alt_offer(fixture_kb, &u, l[0], &out);
    result(&u, INTENT_MATCH, l, 3, 2); /* the answer is about another procedure */
    conv_alt_offer(fixture_kb, &u, "ket-hon", &out);
    conv_alt_offer(fixture_kb, &u, NULL, &out);
    assert_int_equal(conv_out_qr_count(&out), 0);
    for (i = 0; i < CONV_QR_MAX; i++) /* full: nothing more, nothing failed */
        conv_out_qr(&out, "x", "step:x:%u", i);
    conv_alt_offer(fixture_kb, &u, l[0], &out);
    assert_int_equal(out.rc, 0);
    assert_int_equal(conv_out_qr_count(&out), CONV_QR_MAX);
    assert_string_equal(qr_field(&out, CONV_QR_MAX - 1, "payload"), "step:x:12");
    conv_out_fini(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alternatives_become_buttons),
        cmocka_unit_test(test_no_buttons_otherwise),
    };

    return cmocka_run_group_tests(tests, fixture_kb_setup, fixture_kb_teardown);
}
