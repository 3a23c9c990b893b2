/* tests/unit/test_http_path.c - the path checks of gateway/http_path.h and
 * the officer API's conversation paths (officer_http.h): what may be served
 * or looked up, and that anything unusual is simply not found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http_path.h"
#include "officer_http.h"

static void test_safe_paths(void **state)
{
    (void)state;
    assert_true(http_path_is_safe("/widget.js"));
    assert_true(http_path_is_safe("/img/logo-1_a.svg"));
    assert_false(http_path_is_safe("widget.js"));
    assert_false(http_path_is_safe("/../etc/passwd"));
    assert_false(http_path_is_safe("/img/..%2fetc"));
    assert_false(http_path_is_safe("/.env"));
    assert_false(http_path_is_safe("/img/.hidden"));
    assert_false(http_path_is_safe("/a b.html"));
    assert_false(http_path_is_safe("/trang-chủ.html"));
    assert_string_equal(http_path_mime("/kiosk.html"), "text/html; charset=utf-8");
    assert_string_equal(http_path_mime("/a.b/c.css"), "text/css; charset=utf-8");
    assert_null(http_path_mime("/a.html.bak"));
    assert_null(http_path_mime("/Makefile"));
}

static void test_ids(void **state)
{
    char id[HTTP_PATH_ID_MAX + 2];

    (void)state;
    assert_true(http_path_is_id("khai-sinh"));
    assert_true(http_path_is_id("a1"));
    assert_false(http_path_is_id(""));
    assert_false(http_path_is_id("Khai-sinh"));
    assert_false(http_path_is_id("khai_sinh"));
    assert_false(http_path_is_id("khai-sinh/x"));
    memset(id, 'a', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    assert_false(http_path_is_id(id)); /* 65 bytes */
    id[HTTP_PATH_ID_MAX] = '\0';
    assert_true(http_path_is_id(id)); /* 64 */
}

static void test_conversation_paths(void **state)
{
    const char *action;
    int64_t id;

    (void)state;
    assert_int_equal(officer_http_conversation_path("", &id, &action), OFFICER_HTTP_CONV_LIST);
    assert_int_equal(officer_http_conversation_path("/", &id, &action), OFFICER_HTTP_CONV_LIST);
    assert_int_equal(officer_http_conversation_path("x", &id, &action),
                     OFFICER_HTTP_CONV_NOT_FOUND);
    assert_int_equal(officer_http_conversation_path("/0", &id, &action), OFFICER_HTTP_CONV_BAD_ID);
    assert_int_equal(officer_http_conversation_path("/-1", &id, &action), OFFICER_HTTP_CONV_BAD_ID);
    assert_int_equal(officer_http_conversation_path("//claim", &id, &action),
                     OFFICER_HTTP_CONV_BAD_ID);
    assert_int_equal(officer_http_conversation_path("/1234567890123456789", &id, &action),
                     OFFICER_HTTP_CONV_BAD_ID); /* 19 digits: could overflow */
    assert_int_equal(officer_http_conversation_path("/42", &id, &action), OFFICER_HTTP_CONV_ONE);
    assert_int_equal(id, 42);
    assert_null(action);
    assert_int_equal(officer_http_conversation_path("/999999999999999999/claim", &id, &action),
                     OFFICER_HTTP_CONV_ONE);
    assert_true(id == 999999999999999999LL);
    assert_string_equal(action, "claim");
    assert_true(officer_http_is_action(action));
    assert_int_equal(officer_http_conversation_path("/7/claim/x", &id, &action),
                     OFFICER_HTTP_CONV_ONE);
    assert_false(officer_http_is_action(action));
    assert_false(officer_http_is_action(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_safe_paths),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_conversation_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
