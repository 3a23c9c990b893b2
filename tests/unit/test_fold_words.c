/* tests/unit/test_fold_words.c - the one folded form of a text (fold_words_text) and its one
 * tokenizer and stop-word list (intents/fold_words.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fold_words.h"

static void test_fold(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"Tôi ở P. Hoàn Kiếm, nộp ở đâu?", "toi o p , hoan kiem , nop o dau ,"},
        {"Đăng KÝ khai sinh", "dang ky khai sinh"},
        {"  tiếp   theo  ", "tiep theo"},
        {"có!!!?", "co ,"},
        {"bước 3", "buoc 3"},
        {"Mỹ Đức", "my duc"},
        {"😀 chào", "chao"},
        {"a-b_c", "a b c"},
        {"", ""},
        {"xa\xCC\x83 Tân Phú", "xa tan phu"}, /* combining tilde (NFD) */
    };
    char out[FOLD_WORDS_TEXT_MAX];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(fold_words_text(cases[i].in, out, sizeof(out)), 0);
        assert_string_equal(out, cases[i].out);
    }
}

static void test_fold_limits(void **state)
{
    char small[12];

    (void)state;
    /* a cut keeps whole words only */
    assert_int_equal(fold_words_text("hoàn kiếm thành phố", small, sizeof(small)), -E2BIG);
    assert_string_equal(small, "hoan kiem");
    assert_int_equal(fold_words_text("\xC3\x28", small, sizeof(small)), -EINVAL);
    assert_int_equal(fold_words_text("abc", small, 0), -E2BIG);
}

static void test_split(void **state)
{
    static const char s[] = "toi o p , hoan kiem ,";
    struct fold_word w[8];
    bool more = true;
    size_t n;

    (void)state;
    n = fold_words_split(s, sizeof s - 1, true, w, 8, &more);
    assert_int_equal(n, 5);
    assert_false(more);
    assert_true(fold_words_is(&w[0], "toi"));
    assert_true(fold_words_is(&w[3], "hoan"));
    assert_true(fold_words_is(&w[4], "kiem"));
    n = fold_words_split(s, sizeof s - 1, false, w, 8, NULL);
    assert_int_equal(n, 7); /* the "," marks kept */
    assert_true(fold_words_is(&w[3], ","));
    n = fold_words_split(s, sizeof s - 1, true, w, 2, &more);
    assert_int_equal(n, 2);
    assert_true(more);
    n = fold_words_split(s, 5, true, w, 8, NULL); /* a prefix: "toi o" */
    assert_int_equal(n, 2);
    assert_int_equal(fold_words_split("", 0, true, w, 8, NULL), 0);
    assert_int_equal(fold_words_count(s, sizeof s - 1), 7);
    assert_int_equal(fold_words_count("", 0), 0);
}

static void test_stop(void **state)
{
    static const struct {
        const char *word;
        bool stop, naming;
    } cases[] = {
        {"toi", true, true},   {"duoc", true, true},   {"a", true, true},
        {"p", true, true},     {"giay", false, true},  {"mat", false, true},
        {"dang", false, true}, {"khai", false, false}, {"chieu", false, false},
        {"ket", false, false},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fold_word w = {cases[i].word, strlen(cases[i].word)};

        if (fold_words_is_stop(&w, false) != cases[i].stop ||
            fold_words_is_stop(&w, true) != cases[i].naming)
            fail_msg("\"%s\": stop %d naming %d", cases[i].word, fold_words_is_stop(&w, false),
                     fold_words_is_stop(&w, true));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_fold_limits),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
