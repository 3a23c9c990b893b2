/* tests/unit/test_conv_place.c - office facts said honestly: unconfirmed
 * fields marked, a missing phone sends to the hotline, no office data means
 * generic words with the commune filled in. (Searching units needs the
 * knowledge database and is covered end to end.) */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "conv_place.h"

static json_t *office(void)
{
    json_t *o =
        json_pack("{s:s,s:{s:s,s:b},s:{s:s,s:b},s:{s:n,s:b},s:{s:s,s:b},s:s}", "office_name",
                  "Trung tâm phục vụ hành chính công phường Hoàn Kiếm", "address", "text",
                  "126 Hàng Trống", "verify", 1, "hours", "text", "Thứ Hai đến thứ Sáu", "verify",
                  0, "phone", "text", "verify", 1, "hotline", "text", "1800 1096", "verify", 0,
                  "portal_url", "https://dichvucong.hanoi.gov.vn/");

    assert_non_null(o);
    return o;
}

static void test_office_facts(void **state)
{
    json_t *o = office(), *unit = json_pack("{s:s,s:s,s:s}", "code", "00070", "name",
                                            "Phường Hoàn Kiếm", "province", "Thành phố Hà Nội");
    struct conv_text_var vars[CONV_PLACE_VARS];
    struct conv_place_facts f;
    struct mc_buf b;

    (void)state;
    assert_int_equal(conv_place_facts_init(&f, o, unit), 0);
    assert_string_equal(f.address.data,
                        "126 Hàng Trống (địa chỉ đang chờ xác minh, nên gọi trước)");
    assert_string_equal(f.hours.data, "Thứ Hai đến thứ Sáu");
    assert_string_equal(f.phone.data,
                        "tổng đài 1800 1096 (trung tâm chưa có số điện thoại đã xác minh)");
    assert_string_equal(f.portal_url, "https://dichvucong.hanoi.gov.vn/");
    assert_int_equal(conv_place_vars(&f, vars), CONV_PLACE_VARS);
    mc_buf_init(&b, 4096);
    assert_int_equal(conv_text_fill("{office_name}, {address}, {commune} ({province}), {hotline}",
                                    vars, CONV_PLACE_VARS, &b),
                     0);
    assert_string_equal(b.data, "Trung tâm phục vụ hành chính công phường Hoàn Kiếm, 126 Hàng "
                                "Trống (địa chỉ đang chờ xác minh, nên gọi trước), Phường Hoàn "
                                "Kiếm (Thành phố Hà Nội), 1800 1096");
    mc_buf_reset(&b);
    assert_int_equal(conv_place_office_text(&f, &b), 0);
    assert_non_null(strstr(b.data, "Ở Phường Hoàn Kiếm, bạn đến Trung tâm"));
    assert_non_null(strstr(b.data, "• Điện thoại: tổng đài 1800 1096"));
    mc_buf_fini(&b);
    conv_place_facts_fini(&f);

    /* a confirmed phone is given as it is; an unconfirmed one is marked */
    json_object_set_new(o, "phone", json_pack("{s:s,s:b}", "text", "024 3825 0000", "verify", 1));
    assert_int_equal(conv_place_facts_init(&f, o, unit), 0);
    assert_string_equal(f.phone.data, "024 3825 0000 (số đang chờ xác minh)");
    conv_place_facts_fini(&f);
    json_decref(o);
    json_decref(unit);
}

static void test_no_office(void **state)
{
    json_t *unit = json_pack("{s:s,s:s,s:s}", "code", "00025", "name", "Phường Giảng Võ",
                             "province", "Thành phố Hà Nội");
    struct conv_place_facts f;
    struct mc_buf b;

    (void)state;
    assert_int_equal(conv_place_facts_init(&f, NULL, unit), 0);
    assert_null(f.office_name);
    assert_string_equal(f.commune, "Phường Giảng Võ");
    assert_string_equal(f.hotline, CONV_PLACE_HOTLINE);
    assert_string_equal(f.portal_url, CONV_PLACE_PORTAL);
    mc_buf_init(&b, 256);
    assert_int_equal(conv_place_office_text(&f, &b), -ENOENT); /* never another unit's office */
    mc_buf_fini(&b);
    conv_place_facts_fini(&f);
    /* nothing known at all: words that still read well */
    assert_int_equal(conv_place_facts_init(&f, NULL, NULL), 0);
    assert_string_equal(f.commune, "xã/phường nơi bạn ở");
    assert_string_equal(f.province, "tỉnh/thành phố");
    conv_place_facts_fini(&f);
    json_decref(unit);
}

/* The kiosk stands in the office (conv_ctx.on_site): its counters, and the
 * office said as "here", never "go to". */
static void test_counters_here(void **state)
{
    json_t *o = office(), *unit = json_pack("{s:s,s:s}", "name", "Phường Hoàn Kiếm", "province",
                                            "Thành phố Hà Nội");
    struct conv_text_var vars[CONV_PLACE_VARS];
    struct conv_place_facts f;
    struct mc_buf b;
    char c[128];

    (void)state;
    assert_int_equal(
        json_object_set_new(o, "counters",
                            json_pack("[{s:s,s:s,s:[s,s]},{s:s,s:s}]", "number", "1", "name",
                                      "Hộ tịch, chứng thực", "domains", "ho-tich", "chung-thuc",
                                      "number", "2", "name", "Đất đai")),
        0);
    assert_string_equal(conv_place_counter(o, "chung-thuc", c, sizeof(c)),
                        "quầy số 1 (Hộ tịch, chứng thực)");
    assert_null(conv_place_counter(o, "dat-dai", c, sizeof(c))); /* counter 2 names no domain */
    assert_null(conv_place_counter(o, NULL, c, sizeof(c)));
    assert_null(conv_place_counter(o, "ho-tich", c, 8)); /* too small: nothing cut */
    assert_int_equal(conv_place_facts_init(&f, o, unit), 0);
    assert_string_equal(f.counters.data, ": quầy số 1 — Hộ tịch, chứng thực; quầy số 2 — Đất đai");
    conv_place_vars(&f, vars);
    mc_buf_init(&b, 4096);
    assert_int_equal(conv_text_fill("ở quầy tiếp nhận{counters}.", vars, CONV_PLACE_VARS, &b), 0);
    assert_string_equal(b.data,
                        "ở quầy tiếp nhận: quầy số 1 — Hộ tịch, chứng thực; quầy số 2 — Đất đai.");
    mc_buf_reset(&b);
    assert_int_equal(conv_place_here_text(&f, "quầy số 1 (Hộ tịch, chứng thực)", &b), 0);
    assert_non_null(strstr(b.data, "Bạn đang ở Trung tâm phục vụ hành chính công phường Hoàn "
                                   "Kiếm: bạn nộp hồ sơ ngay tại đây, tại quầy số 1 (Hộ tịch, "
                                   "chứng thực)."));
    assert_null(strstr(b.data, "bạn đến"));
    mc_buf_fini(&b);
    conv_place_facts_fini(&f);
    /* no counters: the word is empty, not "(null)" */
    json_object_del(o, "counters");
    assert_int_equal(conv_place_facts_init(&f, o, unit), 0);
    assert_string_equal(f.counters.data, "");
    conv_place_facts_fini(&f);
    json_decref(o);
    json_decref(unit);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_office_facts),
        cmocka_unit_test(test_no_office),
        cmocka_unit_test(test_counters_here),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
