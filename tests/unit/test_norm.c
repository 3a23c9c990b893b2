/* tests/unit/test_norm.c - normalisation: the golden file tests/data/norm.tsv
 * (input<TAB>accented view<TAB>folded view; "\t", "\n", "\\" escapes in the
 * input), invalid UTF-8, the length cap, compatibility expansion, the token
 * cap, flags and the i/y helper. Run from the repository root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "norm.h"

#define GOLDEN "tests/data/norm.tsv"

static struct norm_tokens t; /* too big for cmocka's stack habits */

/* Undoes the \t \n \\ escapes of the golden file, in place. */
static size_t unescape(char *s)
{
    size_t i = 0, o = 0;

    while (s[i]) {
        if (s[i] == '\\' && s[i + 1]) {
            char c = s[i + 1];
            s[o++] = c == 't' ? '\t' : c == 'n' ? '\n' : c;
            i += 2;
        } else {
            s[o++] = s[i++];
        }
    }
    s[o] = '\0';
    return o;
}

static void test_golden_file(void **state)
{
    FILE *f = fopen(GOLDEN, "r");
    char line[4096];
    unsigned lineno = 0, cases = 0, failed = 0;

    (void)state;
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        char *acc, *fold, *nl;
        size_t len;
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        acc = strchr(line, '\t');
        if (!acc) {
            print_error("%s:%u: expected input<TAB>accented<TAB>folded\n", GOLDEN, lineno);
            failed++;
            continue;
        }
        *acc++ = '\0';
        fold = strchr(acc, '\t');
        if (fold)
            *fold++ = '\0';
        len = unescape(line);
        cases++;
        if (norm_text(line, len, &t) != 0) {
            print_error("%s:%u: norm_text failed\n", GOLDEN, lineno);
            failed++;
            continue;
        }
        if (strcmp(t.acc, acc) != 0 || (fold && strcmp(t.fold, fold) != 0)) {
            print_error("%s:%u: got \"%s\" / \"%s\", want \"%s\" / \"%s\"\n", GOLDEN, lineno, t.acc,
                        t.fold, acc, fold ? fold : "");
            failed++;
        }
    }
    fclose(f);
    assert_true(cases >= 30);
    assert_int_equal(failed, 0);
}

static void test_invalid_utf8_is_an_error(void **state)
{
    static const struct {
        const char *s;
        size_t len;
    } bad[] = {
        {"\xFF\xFE \xC4\x91\xC4\x83ng", 9},
        {"ab\0cd", 5},
        {"\xC3", 1},
        {"\xED\xA0\x80", 3},
        {"kh\xC3\x28i", 5},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(norm_text(bad[i].s, bad[i].len, &t), -EINVAL);
}

static void test_length_cap(void **state)
{
    char *s = malloc(NORM_MAX_INPUT + 2);

    (void)state;
    assert_non_null(s);
    memset(s, 'a', NORM_MAX_INPUT + 1);
    assert_int_equal(norm_text(s, NORM_MAX_INPUT + 1, &t), -E2BIG);
    memset(s, ' ', NORM_MAX_INPUT);
    memcpy(s, "hoà", 4);
    assert_int_equal(norm_text(s, NORM_MAX_INPUT, &t), 0);
    assert_string_equal(t.acc, "hòa");
    free(s);
}

static void test_compatibility_expansion_is_bounded(void **state)
{
    /* U+FDFA (an Arabic ligature) expands to 18 letters under NFKC: a message
     * of them must be refused or cut, never overflow. */
    char *s = malloc(NORM_MAX_INPUT);
    size_t i, n = 0;
    int rc;

    (void)state;
    assert_non_null(s);
    for (i = 0; i + 3 <= NORM_MAX_INPUT; i += 3) {
        memcpy(s + i, "\xEF\xB7\xBA", 3);
        n = i + 3;
    }
    rc = norm_text(s, n, &t);
    assert_true(rc == -E2BIG || rc == 0);
    assert_true(t.acc_len < NORM_TEXT_MAX);
    free(s);
}

static void test_token_cap_truncates(void **state)
{
    char *s = malloc(NORM_MAX_INPUT);
    size_t i;

    (void)state;
    assert_non_null(s);
    for (i = 0; i + 2 <= NORM_MAX_INPUT; i += 2)
        memcpy(s + i, "a ", 2);
    assert_int_equal(norm_text(s, NORM_MAX_INPUT, &t), 0);
    assert_int_equal(t.n_tok, NORM_MAX_TOKENS);
    assert_true(t.truncated);
    free(s);
}

static void test_flags(void **state)
{
    (void)state;
    assert_int_equal(norm_text("đăng ký dk 2025 ct01 đi", 27, &t), 0);
    assert_int_equal(t.n_tok, 6);
    assert_true(t.tok[0].flags & NORM_TOK_MARKED);
    assert_true(t.tok[0].flags & NORM_TOK_DBAR);
    assert_false(t.tok[2].flags & NORM_TOK_MARKED);
    assert_true(t.tok[3].flags & NORM_TOK_NUMBER);
    assert_true(t.tok[4].flags & NORM_TOK_DIGIT);
    assert_false(t.tok[4].flags & NORM_TOK_NUMBER);
    assert_false(t.tok[5].flags & NORM_TOK_MARKED); /* đ alone is not a mark */
    assert_int_equal(t.n_marked, 2);
    assert_int_equal(t.n_alpha, 5);
}

static void test_sole_y(void **state)
{
    (void)state;
    assert_true(norm_is_sole_y("ly", 2));
    assert_true(norm_is_sole_y("ky", 2));
    assert_true(norm_is_sole_y("quy", 3));
    assert_true(norm_is_sole_y("my", 2));
    assert_false(norm_is_sole_y("thuy", 4));
    assert_false(norm_is_sole_y("huy", 3));
    assert_false(norm_is_sole_y("tay", 3));
    assert_false(norm_is_sole_y("y", 1));
}

static void test_push_and_copy(void **state)
{
    static struct norm_tokens u;

    (void)state;
    norm_tokens_init(&t);
    assert_int_equal(norm_tokens_push(&t, "hộ", 4, NORM_TOK_EXPANDED), 0);
    assert_int_equal(norm_tokens_push(&t, "khẩu", 6, NORM_TOK_EXPANDED), 0);
    assert_string_equal(t.acc, "hộ khẩu");
    assert_string_equal(t.fold, "ho khau");
    assert_int_equal(t.n_marked, 0); /* expanded, not typed */
    norm_tokens_init(&u);
    assert_int_equal(norm_tokens_copy(&u, &t, 1, NORM_TOK_RESTORED), 0);
    assert_string_equal(u.acc, "khẩu");
    assert_string_equal(u.fold, "khau");
    assert_true(u.tok[0].flags & NORM_TOK_RESTORED);
    assert_true(u.tok[0].flags & NORM_TOK_EXPANDED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_file),
        cmocka_unit_test(test_invalid_utf8_is_an_error),
        cmocka_unit_test(test_length_cap),
        cmocka_unit_test(test_compatibility_expansion_is_bounded),
        cmocka_unit_test(test_token_cap_truncates),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_sole_y),
        cmocka_unit_test(test_push_and_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
