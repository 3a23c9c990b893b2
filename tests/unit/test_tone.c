/* tests/unit/test_tone.c - tone placement (shared/notes/vietnamese-text.md
 * section 2): old and new style give one form, misplaced tones move, horns
 * are repaired, non-syllables are untouched, and the rule is idempotent. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tone.h"

static const char *canon(const char *s)
{
    static char out[64];
    size_t n;

    assert_int_equal(tone_canon(s, strlen(s), out, sizeof(out), &n), 0);
    assert_int_equal(strlen(out), n);
    return out;
}

static void test_cases(void **state)
{
    static const char *const cases[][2] = {
        /* open oa / oe / uy: both styles -> tone on the first vowel */
        {"hoà", "hòa"},
        {"hòa", "hòa"},
        {"thuỷ", "thủy"},
        {"thủy", "thủy"},
        {"khoẻ", "khỏe"},
        {"uỷ", "ủy"},
        {"luỹ", "lũy"},
        {"nguỵ", "ngụy"},
        {"choá", "chóa"},
        /* with a coda: the second */
        {"hoàn", "hoàn"},
        {"hòan", "hoàn"},
        {"tóan", "toán"},
        {"huýt", "huýt"},
        {"lóet", "loét"},
        /* hats and horns carry the tone */
        {"người", "người"},
        {"rượu", "rượu"},
        {"tuyết", "tuyết"},
        {"khuyến", "khuyến"},
        {"thuở", "thuở"},
        {"huệ", "huệ"},
        {"nguyễn", "nguyễn"},
        /* three plain vowels: the middle */
        {"ngoài", "ngoài"},
        {"khuỷu", "khuỷu"},
        {"ngoáy", "ngoáy"},
        /* falling diphthongs: the first */
        {"mía", "mía"},
        {"mùa", "mùa"},
        {"múi", "múi"},
        {"cháo", "cháo"},
        {"máy", "máy"},
        /* qu- and gi- */
        {"quý", "quý"},
        {"quỳnh", "quỳnh"},
        {"qùa", "quà"},
        {"giữ", "giữ"},
        {"gìn", "gìn"},
        {"già", "già"},
        {"gịa", "giạ"},
        /* horn repair */
        {"hưóng", "hướng"},
        {"lựơng", "lượng"},
        {"nguời", "người"},
        {"tuơng", "tương"},
        {"huơ", "huơ"},
        /* not syllables: unchanged */
        {"cccd", "cccd"},
        {"vneid", "vneid"},
        {"ct01", "ct01"},
        {"zalo", "zalo"},
        {"ấá", "ấá"},
        {"HOÀ", "HOÀ"},
        {"façade", "façade"},
        {"", ""},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = canon(cases[i][0]);
        if (strcmp(got, cases[i][1]) != 0)
            print_error("tone_canon(\"%s\") = \"%s\", want \"%s\"\n", cases[i][0], got,
                        cases[i][1]);
        assert_string_equal(got, cases[i][1]);
    }
}

static void test_idempotent(void **state)
{
    static const char *const words[] = {"hoà", "thuỷ", "khuỷu", "người", "gịa", "hưóng", "qùa"};
    char once[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        snprintf(once, sizeof(once), "%s", canon(words[i]));
        assert_string_equal(canon(once), once);
    }
}

static void test_small_buffer(void **state)
{
    char out[3];
    size_t n;

    (void)state;
    assert_int_equal(tone_canon("hưóng", 8, out, sizeof(out), &n), -E2BIG);
    assert_int_equal(n, 0);
    assert_int_equal(tone_canon("abcd", 4, out, sizeof(out), &n), -E2BIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
