/* tests/unit/test_mc_lines.c - reading TSV sources line by line: comments
 * and blank lines skipped, CRLF accepted, numbers kept, limits enforced. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "mc_lines.h"

static void test_lines(void **state)
{
    const char *text = "# header\n\nkey\tvalue\r\n  \n#x\nlast";
    struct mc_lines it;
    char line[32];
    size_t n;

    (void)state;
    mc_lines_init(&it, text, strlen(text));
    assert_int_equal(mc_lines_next(&it, line, sizeof(line), &n), 1);
    assert_string_equal(line, "key\tvalue");
    assert_int_equal(n, 9);
    assert_int_equal(it.lineno, 3);
    assert_int_equal(mc_lines_next(&it, line, sizeof(line), &n), 1); /* "  " is not blank */
    assert_string_equal(line, "  ");
    assert_int_equal(mc_lines_next(&it, line, sizeof(line), &n), 1);
    assert_string_equal(line, "last");
    assert_int_equal(it.lineno, 6);
    assert_int_equal(mc_lines_next(&it, line, sizeof(line), &n), 0);
    mc_lines_init(&it, NULL, 0);
    assert_int_equal(mc_lines_next(&it, line, sizeof(line), &n), 0);
}

static void test_limits(void **state)
{
    const char nul[] = "ok\na\0b\n";
    struct mc_lines it;
    char line[4];
    size_t n;

    (void)state;
    mc_lines_init(&it, "abcd\nx", 6);
    assert_int_equal(mc_lines_next(&it, line, sizeof(line), &n), -E2BIG);
    assert_int_equal(it.lineno, 1);
    mc_lines_init(&it, nul, sizeof(nul) - 1);
    assert_int_equal(mc_lines_next(&it, line, sizeof(line), &n), 1);
    assert_int_equal(mc_lines_next(&it, line, sizeof(line), &n), -EINVAL);
    assert_int_equal(it.lineno, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
