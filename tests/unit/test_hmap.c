/* tests/unit/test_hmap.c - interned strings keep dense, stable ids through
 * growth; u64 counters add up; limits are refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hmap.h"

static void test_strings(void **state)
{
    struct hmap_str *m = hmap_str_new();
    char buf[32];
    uint32_t id, i;
    size_t len;

    (void)state;
    assert_non_null(m);
    for (i = 0; i < 5000; i++) {
        snprintf(buf, sizeof(buf), "tiếng %u", i);
        assert_int_equal(hmap_str_intern(m, buf, strlen(buf), &id), 0);
        assert_int_equal(id, i);
    }
    assert_int_equal(hmap_str_count(m), 5000);
    assert_int_equal(hmap_str_intern(m, "tiếng 42", strlen("tiếng 42"), &id), 0);
    assert_int_equal(id, 42);
    assert_true(hmap_str_find(m, "tiếng 4999", strlen("tiếng 4999"), &id));
    assert_int_equal(id, 4999);
    assert_false(hmap_str_find(m, "tiếng", strlen("tiếng"), &id));
    assert_string_equal(hmap_str_get(m, 7, &len), "tiếng 7");
    assert_int_equal(len, strlen("tiếng 7"));
    assert_int_equal(hmap_str_intern(m, "", 0, &id), 0); /* the empty string is a string */
    assert_true(hmap_str_find(m, "", 0, &id));
    memset(buf, 'x', sizeof(buf));
    assert_true(hmap_str_memory(m) > 5000 * 8);
    hmap_str_free(m);
    hmap_str_free(NULL);
}

static void test_too_long(void **state)
{
    static char big[HMAP_STR_MAX + 1];
    struct hmap_str *m = hmap_str_new();
    uint32_t id;

    (void)state;
    memset(big, 'a', sizeof(big));
    assert_int_equal(hmap_str_intern(m, big, sizeof(big), &id), -E2BIG);
    assert_false(hmap_str_find(m, big, sizeof(big), &id));
    hmap_str_free(m);
}

static void test_u64(void **state)
{
    struct hmap_u64 *m = hmap_u64_new();
    uint64_t k;

    (void)state;
    assert_non_null(m);
    for (k = 0; k < 10000; k++)
        assert_int_equal(hmap_u64_add(m, k * 0x100000001ULL, (uint32_t)(k % 7) + 1), 0);
    assert_int_equal(hmap_u64_add(m, 5 * 0x100000001ULL, 100), 0);
    assert_int_equal(hmap_u64_get(m, 5 * 0x100000001ULL), 5 % 7 + 1 + 100);
    assert_int_equal(hmap_u64_get(m, 9999 * 0x100000001ULL), 9999 % 7 + 1);
    assert_int_equal(hmap_u64_get(m, 3), 0);
    assert_int_equal(hmap_u64_add(m, UINT64_MAX, 1), -EINVAL);
    assert_true(hmap_hash("a", 1) != hmap_hash("b", 1));
    hmap_u64_free(m);
    hmap_u64_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_u64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
