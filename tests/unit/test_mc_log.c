/* tests/unit/test_mc_log.c - log values are quoted only when needed, escaped,
 * and cut at a UTF-8 boundary; levels parse; error texts are cut safely. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
    /* cuts keep every whole letter that fits and never half of one: 8 bytes
     * hold 6 bytes of value (+ room for a closing quote and the NUL) */
    assert_string_equal(mc_log_quote("ĐĐĐĐĐĐĐĐĐĐ", out, 8), "ĐĐĐ");
    assert_string_equal(mc_log_quote("ấấấấ", out, 8), "ấấ");          /* 3-byte letters */
    assert_string_equal(mc_log_quote("a ĐĐĐĐ", out, 10), "\"a ĐĐ\""); /* quoted, cut in Đ */
    assert_string_equal(mc_log_quote("😀😀", out, 8), "😀");             /* 4-byte emoji */
    assert_string_equal(mc_log_quote("ĐĐĐ", out, 3), "");             /* too small: empty */
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
        memcpy(big + i, "đ", sizeof "đ" - 1);
    big[i] = '\0';
    /* 199 two-byte letters: the longest whole prefix that fits 159 bytes is 79 */
    mc_err_set(&e, "%s", big);
    assert_int_equal(strlen(e.text), 79 * 2);
    assert_memory_equal(e.text, big, 79 * 2);
    /* "a" + letters: the cut falls on a boundary (159 bytes) and nothing is lost */
    mc_err_set(&e, "a%s", big);
    assert_int_equal(strlen(e.text), MC_ERR_LEN - 1);
    assert_int_equal(e.text[0], 'a');
    assert_memory_equal(e.text + 1, big, MC_ERR_LEN - 2);
    /* a message of exactly MC_ERR_LEN - 1 bytes is not cut at all */
    mc_err_set(&e, "a%.158s", big);
    assert_int_equal(strlen(e.text), MC_ERR_LEN - 1);
    assert_int_equal(strcmp(e.text + MC_ERR_LEN - 3, "đ"), 0);
    mc_err_set(&e, "khai-sinh: %s", "thiếu trường \"steps\"");
    assert_string_equal(e.text, "khai-sinh: thiếu trường \"steps\"");
    mc_err_clear(&e);
    assert_string_equal(e.text, "");
    mc_err_set(NULL, "ignored %d", 1); /* NULL is allowed */
}

/* Runs mc_log with stderr sent to a file and returns what it wrote. */
static void capture(char *out, size_t cap, enum mc_log_level level, const char *event,
                    const char *value)
{
    FILE *f = tmpfile();
    int saved = dup(2);
    size_t n;

    assert_non_null(f);
    assert_true(saved >= 0);
    fflush(stderr);
    assert_true(dup2(fileno(f), 2) >= 0);
    mc_log(level, event, "k=%s", value);
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    rewind(f);
    n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

static void test_log_line(void **state)
{
    static char big[4000], line[8192];
    const char *p;
    size_t i, n;

    (void)state;
    capture(line, sizeof(line), MC_LOG_WARN, "test.event", "v1");
    assert_true(strncmp(line, "ts=", sizeof "ts=" - 1) == 0);
    p = strstr(line, " level=warn event=test.event k=v1\n");
    assert_non_null(p);
    assert_int_equal(p[strlen(" level=warn event=test.event k=v1\n")], '\0');
    capture(line, sizeof(line), MC_LOG_DEBUG, "test.quiet", "v2"); /* below the level */
    assert_string_equal(line, "");
    /* a line over 2048 bytes is cut after a whole letter, then the newline */
    big[0] = 'a';
    for (i = 1; i + 2 < sizeof(big); i += 2)
        memcpy(big + i, "đ", sizeof "đ" - 1);
    big[i] = '\0';
    for (i = 0; i < 2; i++) { /* "ađđ…" and "đđ…": the cut falls in a letter, then between two */
        capture(line, sizeof(line), MC_LOG_INFO, "test.long", big + i);
        n = strlen(line);
        assert_true(n >= 2040 && n <= 2048);
        assert_int_equal(line[n - 1], '\n');
        assert_true(mc_utf8_is_valid(line, n));
        p = strstr(line, "k=");
        assert_non_null(p);
        assert_memory_equal(p + 2, big + i, line + n - 1 - (p + 2));
        if (n < 2047)
            fail_msg("line cut at %zu bytes: more than a partial letter was dropped", n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_err_cut_at_boundary),
        cmocka_unit_test(test_log_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
