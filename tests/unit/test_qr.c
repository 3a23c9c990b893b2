/* tests/unit/test_qr.c - QR codes as SVG: well-formed, sized by content,
 * bounded input. The module pattern itself is libqrencode's. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "qr.h"

static int view_size(const char *svg)
{
    const char *p = strstr(svg, "viewBox=\"0 0 ");
    int a = 0;

    assert_non_null(p);
    for (p += 13; *p >= '0' && *p <= '9'; p++)
        a = a * 10 + (*p - '0');
    return a;
}

static void test_svg(void **state)
{
    struct mc_buf a, b;
    char long_url[400];

    (void)state;
    mc_buf_init(&a, 256 * 1024);
    mc_buf_init(&b, 256 * 1024);
    assert_int_equal(qr_svg("https://motcua.example/thu-tuc/khai-sinh", &a), 0);
    assert_true(strncmp(a.data, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
    assert_non_null(strstr(a.data, "</svg>"));
    assert_non_null(
        strstr(a.data, "M4 4h1v1h-1z")); /* finder pattern corner after the quiet zone */
    memset(long_url, 'a', sizeof(long_url) - 1);
    long_url[sizeof(long_url) - 1] = '\0';
    assert_int_equal(qr_svg(long_url, &b), 0);
    assert_true(view_size(b.data) > view_size(a.data)); /* more data, more modules */
    mc_buf_fini(&a);
    mc_buf_fini(&b);
}

static void test_limits(void **state)
{
    struct mc_buf b;
    char big[QR_TEXT_MAX + 2];

    (void)state;
    mc_buf_init(&b, 256 * 1024);
    assert_int_equal(qr_svg("", &b), -EINVAL);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(qr_svg(big, &b), -E2BIG);
    mc_buf_fini(&b);
    mc_buf_init(&b, 64); /* output cap too small */
    assert_int_equal(qr_svg("https://motcua.example/", &b), -E2BIG);
    mc_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_svg),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
