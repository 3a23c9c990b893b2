/* tests/unit/test_fold.c - the letter tables against ICU's own NFD data:
 * every code point of U+00C0..U+01B0 and U+1EA0..U+1EF9 that ICU decomposes to
 * an ASCII letter plus marks must fold to that letter, and every Vietnamese
 * vowel with a tone must decompose to (vowel, tone) and compose back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>

#include "fold.h"

static void test_table_matches_icu_nfd(void **state)
{
    static const uint32_t ranges[][2] = {{0xC0, 0x1B0}, {0x1EA0, 0x1EF9}};
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nfd = unorm2_getNFDInstance(&st);
    struct fold_letter l;
    UChar src[2], dst[8];
    size_t r;
    uint32_t cp;
    int32_t n;
    unsigned checked = 0;

    (void)state;
    assert_true(U_SUCCESS(st));
    for (r = 0; r < 2; r++)
        for (cp = ranges[r][0]; cp <= ranges[r][1]; cp++) {
            st = U_ZERO_ERROR;
            src[0] = (UChar)cp;
            n = unorm2_normalize(nfd, src, 1, dst, 8, &st);
            assert_true(U_SUCCESS(st));
            if (n < 2 || dst[0] >= 0x80 || !u_isalpha(dst[0]))
                continue; /* not base letter + marks (or a stroke letter like đ) */
            if (!fold_letter_of(cp, &l) || l.ascii != (char)u_tolower(dst[0]))
                print_error("U+%04X: table says '%c', ICU NFD starts with '%c'\n", (unsigned)cp,
                            fold_letter_of(cp, &l) ? l.ascii : '?', (char)dst[0]);
            assert_true(fold_letter_of(cp, &l));
            assert_int_equal(l.ascii, (char)u_tolower(dst[0]));
            checked++;
        }
    assert_true(checked > 250);
    assert_true(fold_letter_of(0x111, &l) && l.ascii == 'd'); /* đ */
    assert_true(fold_letter_of(0x110, &l) && l.ascii == 'd'); /* Đ */
    assert_true(fold_letter_of(0xD0, &l) && l.ascii == 'd');  /* Ð eth */
    assert_false(fold_letter_of(0x3B1, &l));                  /* α */
    assert_false(fold_letter_of('1', &l));
}

static void test_vowels_compose_back(void **state)
{
    struct fold_letter l;
    unsigned v, t;
    uint32_t cp;

    (void)state;
    for (v = FOLD_V_A; v < FOLD_V_COUNT; v++)
        for (t = 0; t < FOLD_TONE_COUNT; t++) {
            cp = fold_compose(v, t);
            assert_true(cp != 0);
            assert_true(fold_letter_of(cp, &l));
            assert_int_equal(l.vowel, v);
            assert_int_equal(l.tone, t);
            assert_int_equal(u_tolower((UChar32)cp), (UChar32)cp);
        }
    assert_int_equal(fold_compose(FOLD_V_NONE, 0), 0);
    assert_int_equal(fold_compose(FOLD_V_COUNT, 0), 0);
    assert_int_equal(fold_compose(FOLD_V_A, FOLD_TONE_COUNT), 0);
    assert_int_equal(fold_compose(FOLD_V_UW, FOLD_TONE_TILDE), 0x1EEF); /* ữ */
    assert_true(fold_vowel_is_shaped(FOLD_V_OW));
    assert_false(fold_vowel_is_shaped(FOLD_V_O));
}

static void test_fold_text(void **state)
{
    char out[64];
    size_t n;

    (void)state;
    assert_int_equal(fold_text("Đường NGUYỄN Trãi, ữ ặ ậ", strlen("Đường NGUYỄN Trãi, ữ ặ ậ"), out,
                               sizeof(out), &n),
                     0);
    assert_string_equal(out, "duong nguyen trai, u a a");
    assert_int_equal(fold_text("hoa\xCC\x80", 5, out, sizeof(out), &n), 0); /* stray U+0300 */
    assert_string_equal(out, "hoa");
    assert_int_equal(fold_text("日本 ok", strlen("日本 ok"), out, sizeof(out), &n), 0);
    assert_string_equal(out, "日本 ok");
    assert_int_equal(fold_text("đăng ký", strlen("đăng ký"), out, 4, &n), -E2BIG);
    assert_int_equal(n, 3);
    assert_int_equal(fold_text("\xFF", 1, out, sizeof(out), &n), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_icu_nfd),
        cmocka_unit_test(test_vowels_compose_back),
        cmocka_unit_test(test_fold_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
