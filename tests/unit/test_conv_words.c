/* tests/unit/test_conv_words.c - the conversation's one tokenizer and one
 * stop-word list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "conv_words.h"

static void test_split(void **state)
{
    static const char s[] = "toi o p , hoan kiem ,";
    struct conv_word w[8];
    bool more = true;
    size_t n;

    (void)state;
    n = conv_words_split(s, sizeof s - 1, true, w, 8, &more);
    assert_int_equal(n, 5);
    assert_false(more);
    assert_true(conv_words_is(&w[0], "toi"));
    assert_true(conv_words_is(&w[3], "hoan"));
    assert_true(conv_words_is(&w[4], "kiem"));
    n = conv_words_split(s, sizeof s - 1, false, w, 8, NULL);
    assert_int_equal(n, 7); /* the "," marks kept */
    assert_true(conv_words_is(&w[3], ","));
    n = conv_words_split(s, sizeof s - 1, true, w, 2, &more);
    assert_int_equal(n, 2);
    assert_true(more);
    n = conv_words_split(s, 5, true, w, 8, NULL); /* a prefix: "toi o" */
    assert_int_equal(n, 2);
    assert_int_equal(conv_words_split("", 0, true, w, 8, NULL), 0);
    assert_int_equal(conv_words_count(s, sizeof s - 1), 7);
    assert_int_equal(conv_words_count("", 0), 0);
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
        struct conv_word w = {cases[i].word, strlen(cases[i].word)};

        if (conv_words_is_stop(&w, false) != cases[i].stop ||
            conv_words_is_stop(&w, true) != cases[i].naming)
            fail_msg("\"%s\": stop %d naming %d", cases[i].word, conv_words_is_stop(&w, false),
                     conv_words_is_stop(&w, true));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
