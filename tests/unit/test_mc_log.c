/* tests/unit/test_mc_log.c - log values are quoted only when needed, escaped,
 * and cut at a UTF-8 boundary; levels parse; error texts are cut safely. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "mc_err.h"
#include "mc_log.h"
#include "mc_utf8.h"

static void test_quote(void **state)
{
    char out[64];

    (void)state;
    assert_string_equal(mc_log_quote("khai-sinh", out, sizeof(out)), "khai-sinh");
    assert_string_equal(mc_log_quote("hai từ", out, sizeof(out)), "\"hai từ\"");
    assert_string_equal(mc_log_quote("a\"b\\c", out, sizeof(out)), "\"a\\\"b\\\\c\"");
    assert_string_equal(mc_log_quote("x\ny", out, sizeof(out)), "\"x\\ny\"");
    assert_string_equal(mc_log_quote("k=v", out, sizeof(out)), "\"k=v\"");
    assert_string_equal(mc_log_quote("", out, sizeof(out)), "\"\"");
    mc_log_quote("ĐĐĐĐĐĐĐĐĐĐ", out, 8); /* cut inside a letter must not split it */
    assert_true(mc_utf8_is_valid(out, strlen(out)));
}

static void test_levels(void **state)
{
    enum mc_log_level l;

    (void)state;
    assert_int_equal(mc_log_parse_level("debug", &l), 0);
    assert_int_equal(l, MC_LOG_DEBUG);
    assert_int_equal(mc_log_parse_level("error", &l), 0);
    assert_int_equal(l, MC_LOG_ERROR);
    assert_int_equal(mc_log_parse_level("loud", &l), -EINVAL);
}

static void test_err_cut_at_boundary(void **state)
{
    struct mc_err e;
    char big[400];
    size_t i;

    (void)state;
    for (i = 0; i + 2 < sizeof(big); i += 2)
        memcpy(big + i, "đ", 2);
    big[i] = '\0';
    mc_err_set(&e, "%s", big);
    assert_true(strlen(e.text) < MC_ERR_LEN);
    assert_true(mc_utf8_is_valid(e.text, strlen(e.text)));
    mc_err_clear(&e);
    assert_string_equal(e.text, "");
    mc_err_set(NULL, "ignored %d", 1); /* NULL is allowed */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_err_cut_at_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
