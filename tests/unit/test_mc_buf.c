/* tests/unit/test_mc_buf.c - the bounded buffer: exact fit, over the limit,
 * formatted appends, stealing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mc_buf.h"

static void test_exact_fit_and_over(void **state)
{
    struct mc_buf b;

    (void)state;
    mc_buf_init(&b, 8);
    assert_int_equal(mc_buf_append(&b, "12345678", 8), 0);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    assert_int_equal(mc_buf_append(&b, "9", 1), -E2BIG);
    assert_int_equal(b.len, 8); /* unchanged on failure */
    assert_string_equal(b.data, "12345678");
    mc_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    mc_buf_fini(&b);
}

static void test_growth_keeps_content(void **state)
{
    struct mc_buf b;
    int i;

    (void)state;
    mc_buf_init(&b, 100000);
    for (i = 0; i < 1000; i++)
        assert_int_equal(mc_buf_append(&b, "abcdefghij", 10), 0);
    assert_int_equal(b.len, 10000);
    assert_memory_equal(b.data + 9990, "abcdefghij", 10);
    assert_int_equal(b.data[b.len], '\0');
    mc_buf_fini(&b);
}

static void test_printf_and_limit(void **state)
{
    struct mc_buf b;

    (void)state;
    mc_buf_init(&b, 16);
    assert_int_equal(mc_buf_printf(&b, "%s=%d", "port", 8080), 0);
    assert_string_equal(b.data, "port=8080");
    assert_int_equal(mc_buf_printf(&b, "%s", "0123456789"), -E2BIG);
    assert_string_equal(b.data, "port=8080");
    mc_buf_fini(&b);
}

static void test_steal(void **state)
{
    struct mc_buf b;
    char *s;

    (void)state;
    mc_buf_init(&b, 64);
    s = mc_buf_steal(&b); /* empty: an allocated "" */
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    assert_int_equal(mc_buf_puts(&b, "xin chào"), 0);
    s = mc_buf_steal(&b);
    assert_string_equal(s, "xin chào");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(s);
    mc_buf_fini(&b);
}

static void test_zero_max(void **state)
{
    struct mc_buf b;

    (void)state;
    mc_buf_init(&b, 0);
    assert_int_equal(mc_buf_append(&b, "", 0), 0);
    assert_int_equal(mc_buf_append(&b, "x", 1), -E2BIG);
    mc_buf_fini(&b);
}

static void test_html(void **state)
{
    struct mc_buf b;

    (void)state;
    mc_buf_init(&b, 128);
    assert_int_equal(mc_buf_put_html(&b, "Giấy <b>khai sinh</b> & \"bản sao\" 'x'"), 0);
    assert_string_equal(b.data,
                        "Giấy &lt;b&gt;khai sinh&lt;/b&gt; &amp; &quot;bản sao&quot; &#39;x&#39;");
    assert_int_equal(mc_buf_put_html(&b, NULL), 0);
    assert_int_equal(mc_buf_put_html(&b, ""), 0);
    assert_int_equal(mc_buf_put_html(&b, "plain"), 0);
    assert_string_equal(b.data + b.len - 5, "plain");
    assert_int_equal(mc_buf_put_html(&b, "<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<"), -E2BIG);
    mc_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_fit_and_over), cmocka_unit_test(test_growth_keeps_content),
        cmocka_unit_test(test_printf_and_limit),   cmocka_unit_test(test_steal),
        cmocka_unit_test(test_zero_max),           cmocka_unit_test(test_html),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
