/* tests/unit/test_kb_units.c - the search key that lets current and former
 * unit names meet citizens' spelling: folded, unit words dropped, "cũ" dropped. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "kb_units.h"

static void key_is(const char *name, const char *want)
{
    char k[UNITS_KEY_MAX];

    assert_int_equal(kb_units_key(name, k, sizeof(k)), 0);
    if (strcmp(k, want) != 0)
        fail_msg("key(\"%s\") = \"%s\", want \"%s\"", name, k, want);
}

static void test_keys(void **state)
{
    (void)state;
    key_is("Phường Cống Vị", "cong vi");
    key_is("phuong cong vi", "cong vi");
    key_is("P. Cống Vị", "cong vi");
    key_is("Xã Đắk Mil", "dak mil");
    key_is("Thành phố Hồ Chí Minh", "ho chi minh");
    key_is("TP.HCM", "hcm");
    key_is("Tỉnh Thanh Hoá", "thanh hoa");
    key_is("Tỉnh Thanh Hóa", "thanh hoa");
    key_is("Thị trấn Phú Lộc", "phu loc");
    key_is("Đặc khu Phú Quốc", "phu quoc");
    key_is("Phường 1", "1");
    key_is("phường Cống Vị quận Ba Đình cũ", "cong vi quan ba dinh");
    key_is("Phường Quán Thánh", "quan thanh"); /* a name that starts like a unit word */
    key_is("xã", "xa");                        /* a bare unit word stays */
}

static void test_errors(void **state)
{
    char k[4];

    (void)state;
    assert_int_equal(kb_units_key("Phường Hoàn Kiếm", k, sizeof(k)), -E2BIG);
    assert_int_equal(kb_units_key("\xff\xfe", k, sizeof(k)), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
