/* tests/unit/test_mc_utf8.c - strict UTF-8: Vietnamese letters pass;
 * overlongs, surrogates, cut sequences, stray continuation bytes and NUL fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "mc_utf8.h"

static void test_valid(void **state)
{
    static const char *const ok[] = {"",
                                     "abc",
                                     "Đăng ký khai sinh",
                                     "thuỷ hoà ữ ặ ậ",
                                     "😀 emoji",
                                     "\xF4\x8F\xBF\xBF" /* U+10FFFF */};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_true(mc_utf8_is_valid(ok[i], strlen(ok[i])));
}

static void test_invalid(void **state)
{
    static const struct {
        const char *s;
        size_t len;
    } bad[] = {
        {"\xC0\xAF", 2},         /* overlong '/' */
        {"\xE0\x80\xAF", 3},     /* overlong */
        {"\xED\xA0\x80", 3},     /* surrogate U+D800 */
        {"\xF4\x90\x80\x80", 4}, /* above U+10FFFF */
        {"\xC3", 1},             /* cut */
        {"\x80", 1},             /* stray continuation */
        {"ab\0cd", 5},           /* NUL inside */
        {"\xFF\xFE", 2},
        {"\xC3\x28", 2},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(mc_utf8_is_valid(bad[i].s, bad[i].len));
}

static void test_decode_encode_roundtrip(void **state)
{
    char out[4];
    uint32_t cp, probe[] = {0x41, 0x111, 0x1EEF, 0x20AC, 0x1F600};
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
        n = mc_utf8_encode(probe[i], out);
        assert_true(n > 0);
        assert_int_equal(mc_utf8_decode(out, n, &cp), n);
        assert_int_equal(cp, probe[i]);
    }
    assert_int_equal(mc_utf8_encode(0xD800, out), 0);
    assert_int_equal(mc_utf8_encode(0x110000, out), 0);
}

/* A prefix cut at byte n keeps every whole character and drops only a
 * partial last one, for 1- to 4-byte characters. */
static void test_trim_partial(void **state)
{
    const char *s = "aĐẵ😀b"; /* 1 + 2 + 3 + 4 + 1 bytes */
    static const size_t want[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11};
    size_t n;

    (void)state;
    for (n = 0; n <= strlen(s); n++)
        if (mc_utf8_trim_partial(s, n) != want[n])
            fail_msg("trim_partial(\"%s\", %zu) = %zu, want %zu", s, n, mc_utf8_trim_partial(s, n),
                     want[n]);
}

static void test_floor_and_count(void **state)
{
    const char *s = "Đà Nẵng"; /* Đ(2) à(2) space N ẵ(3) n g */
    size_t len = strlen(s);

    (void)state;
    assert_int_equal(mc_utf8_count(s, len), 7);
    assert_int_equal(mc_utf8_floor(s, len, 1), 0); /* inside Đ */
    assert_int_equal(mc_utf8_floor(s, len, 2), 2);
    assert_int_equal(mc_utf8_floor(s, len, 7), 6); /* inside ẵ */
    assert_int_equal(mc_utf8_floor(s, len, 100), len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_decode_encode_roundtrip),
        cmocka_unit_test(test_floor_and_count),
        cmocka_unit_test(test_trim_partial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
