/* tests/unit/test_mc_mask.c - personal data is masked before logging:
 * phones, ID numbers, e-mails; dates, fees and counts stay readable. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "mc_mask.h"

static void check(const char *in, const char *want)
{
    struct mc_buf b;

    mc_buf_init(&b, 4096);
    assert_int_equal(mc_mask_pii(in, strlen(in), &b), 0);
    assert_string_equal(b.data ? b.data : "", want);
    mc_buf_fini(&b);
}

static void test_phones_and_ids(void **state)
{
    (void)state;
    check("sđt của tôi 0912345678 nhé", "sđt của tôi ********78 nhé");
    check("gọi 0912 345 678", "gọi **** *** *78");
    check("0912.345.678", "****.***.*78");
    check("cccd 001203004005", "cccd **********05");
    check("cmnd 123456789", "cmnd *******89");
    check("+84 912 345 678", "+84 *** *** *78");
}

static void test_keeps_ordinary_numbers(void **state)
{
    (void)state;
    check("sinh ngày 12/03/2024", "sinh ngày 12/03/2024");
    check("lệ phí 50.000 đồng", "lệ phí 50.000 đồng");
    check("mất 5 ngày làm việc", "mất 5 ngày làm việc");
    check("mẫu CT01", "mẫu CT01");
}

static void test_email(void **state)
{
    (void)state;
    check("mail nguyen.van.a@gmail.com", "mail ************@gmail.com");
}

static void test_limit(void **state)
{
    struct mc_buf b;

    (void)state;
    mc_buf_init(&b, 4);
    assert_int_equal(mc_mask_pii("0912345678", 10, &b), -E2BIG);
    mc_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phones_and_ids),
        cmocka_unit_test(test_keeps_ordinary_numbers),
        cmocka_unit_test(test_email),
        cmocka_unit_test(test_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
