/* tests/unit/test_leak.c - the similarity behind `motcua check-leak`: one
 * folding (case, marks, đ, punctuation, spaces), distinct 4-gram sets, Dice
 * and the discounted containment of the evaluation line, and the short-line
 * floor. Expected values are worked out by hand in the comments. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "leak.h"

static void score(const char *t, const char *e, struct leak_score *sc)
{
    struct leak_grams gt, ge;

    assert_int_equal(leak_grams_init(&gt, t, strlen(t)), 0);
    assert_int_equal(leak_grams_init(&ge, e, strlen(e)), 0);
    leak_compare(&gt, &ge, sc);
    leak_grams_fini(&gt);
    leak_grams_fini(&ge);
}

static void test_fold(void **state)
{
    const char *s = "  Đăng KÝ, khai-sinh!!  cho bé… (gấp)  ";
    char out[64];
    size_t n;

    (void)state;
    assert_int_equal(leak_fold(s, strlen(s), out, sizeof(out), &n), 0);
    assert_string_equal(out, "dang ky khai sinh cho be gap");
    assert_int_equal(n, sizeof "dang ky khai sinh cho be gap" - 1);
    assert_int_equal(leak_fold("\xff", 1, out, sizeof(out), &n), -EINVAL);
    assert_int_equal(leak_fold(s, strlen(s), out, 8, &n), -E2BIG);
}

static void test_grams(void **state)
{
    static char big[LEAK_TEXT_MAX + 2];
    struct leak_grams g;

    (void)state;
    assert_int_equal(leak_grams_init(&g, "abcdef", 6), 0); /* abcd bcde cdef */
    assert_int_equal(g.n, 3);
    assert_true(g.v[0] < g.v[1] && g.v[1] < g.v[2]); /* sorted, distinct */
    leak_grams_fini(&g);
    assert_int_equal(leak_grams_init(&g, "aaaaaaa", 7), 0); /* four "aaaa", one distinct */
    assert_int_equal(g.n, 1);
    leak_grams_fini(&g);
    assert_int_equal(leak_grams_init(&g, "Ờ", sizeof "Ờ" - 1), 0); /* "o": one short gram */
    assert_int_equal(g.n, 1);
    leak_grams_fini(&g);
    assert_int_equal(leak_grams_init(&g, " ?! ", 4), 0); /* folds to nothing */
    assert_int_equal(g.n, 0);
    assert_null(g.v);
    assert_int_equal(leak_grams_init(&g, "a\xc3", 2), -EINVAL);
    assert_int_equal(g.n, 0);
    memset(big, 'a', sizeof(big) - 1);
    assert_int_equal(leak_grams_init(&g, big, sizeof(big) - 1), -E2BIG);
    assert_int_equal(g.n, 0);
}

static void test_compare(void **state)
{
    /* 20 letters: 17 grams; 26 letters: 23 grams; they share 17 */
    const char *a20 = "abcdefghijklmnopqrst", *a26 = "abcdefghijklmnopqrstuvwxyz";
    struct leak_score sc;

    (void)state;
    /* the same message typed differently is the same text */
    score("Cho em hỏi đăng ký khai sinh cần gì ạ?", "cho em hoi DANG KY khai sinh can gi a", &sc);
    assert_float_equal(sc.dice, 1.0, 1e-9);
    assert_float_equal(sc.score, 1.0, 1e-9);
    /* training = the line plus more: Dice 2*17/40 = 0.85, contained 17/17 = 1 */
    score(a26, a20, &sc);
    assert_float_equal(sc.dice, 0.85, 1e-9);
    assert_float_equal(sc.contain, 1.0, 1e-9);
    assert_float_equal(sc.score, 1.0 - LEAK_CONTAIN_DISCOUNT, 1e-9);
    /* training inside a longer line: contained 17/23 only, so Dice decides */
    score(a20, a26, &sc);
    assert_float_equal(sc.contain, 17.0 / 23.0, 1e-9);
    assert_float_equal(sc.score, 0.85, 1e-9);
    /* nothing shared */
    score(a20, "zyxwvutsrqponmlkjihgfedcba", &sc);
    assert_float_equal(sc.score, 0.0, 1e-9);
    /* an evaluation line under LEAK_MIN_GRAMS is never scored, even when equal */
    score("chao em", "Chào em", &sc);
    assert_float_equal(sc.score, 0.0, 1e-9);
    assert_float_equal(sc.dice, 0.0, 1e-9);
    /* 19 folded characters = 16 grams: the shortest line that is scored */
    score("abcdefghijklmnopqrs", "abcdefghijklmnopqrs", &sc);
    assert_float_equal(sc.score, 1.0, 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_grams),
        cmocka_unit_test(test_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
