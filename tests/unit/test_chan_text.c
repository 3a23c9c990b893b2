/* tests/unit/test_chan_text.c - splitting long answers for platforms with
 * message limits, and cutting titles at character boundaries. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "chan_text.h"
#include "mc_utf8.h"

static bool is_gap(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* True if a part starting at off splits what a person sees as one character:
 * it starts with a combining mark (U+0300..036F), a variation selector
 * (U+FE0F), a skin tone (U+1F3FB..1F3FF), a ZWJ, or follows a ZWJ. */
static bool splits_a_character(const char *text, size_t len, size_t off)
{
    uint32_t cp = 0;

    if (!mc_utf8_decode(text + off, len - off, &cp))
        return true;
    if ((cp >= 0x300 && cp <= 0x36F) || cp == 0xFE0F || (cp >= 0x1F3FB && cp <= 0x1F3FF) ||
        cp == 0x200D)
        return true;
    return off >= 3 && memcmp(text + off - 3, "\xe2\x80\x8d", 3) == 0; /* after U+200D */
}

/* The property every split must have, stated exactly: text is
 *   g0 P1 g1 P2 ... Pn gn
 * where P1..Pn are the parts in order (contiguous, not overlapping) and every
 * gap gi is whitespace only (space, newline, tab, CR; possibly empty). So the
 * parts joined with the whitespace that lay between them give back the input
 * byte for byte, and nothing but whitespace at the split points is dropped.
 * Each part is also non-empty, valid UTF-8, at most max characters, and
 * neither starts nor ends with whitespace. */
static void check_cover(const char *what, const char *text, size_t len, size_t max,
                        const struct chan_part *p, int n)
{
    size_t at = 0, k, kept = 0, nonspace = 0;
    int i;

    if (n < 0)
        fail_msg("%s: split failed with %d", what, n);
    for (i = 0; i < n; i++) {
        if (p[i].off < at || p[i].off + p[i].len > len)
            fail_msg("%s: part %d [%zu,+%zu) out of order", what, i, p[i].off, p[i].len);
        for (k = at; k < p[i].off; k++)
            if (!is_gap(text[k]))
                fail_msg("%s: byte %zu (0x%02x) before part %d was dropped", what, k,
                         (unsigned char)text[k], i);
        if (p[i].len == 0 || is_gap(text[p[i].off]) || is_gap(text[p[i].off + p[i].len - 1]))
            fail_msg("%s: part %d is empty or not trimmed", what, i);
        if (!mc_utf8_is_valid(text + p[i].off, p[i].len))
            fail_msg("%s: part %d is not valid UTF-8 (cut inside a character)", what, i);
        if (mc_utf8_count(text + p[i].off, p[i].len) > max)
            fail_msg("%s: part %d has %zu characters > %zu", what, i,
                     mc_utf8_count(text + p[i].off, p[i].len), max);
        if (max >= 8 && i > 0 && splits_a_character(text, len, p[i].off))
            fail_msg("%s: part %d starts inside an emoji or before a combining mark", what, i);
        for (k = p[i].off; k < p[i].off + p[i].len; k++)
            kept += !is_gap(text[k]);
        at = p[i].off + p[i].len;
    }
    for (k = at; k < len; k++)
        if (!is_gap(text[k]))
            fail_msg("%s: byte %zu (0x%02x) after the last part was dropped", what, k,
                     (unsigned char)text[k]);
    for (k = 0; k < len; k++)
        nonspace += !is_gap(text[k]);
    assert_int_equal(kept, nonspace); /* the same statement, counted */
}

static void split_and_check(const char *what, const char *text, size_t max)
{
    struct chan_part p[CHAN_TEXT_PARTS_MAX];
    size_t len = strlen(text);

    check_cover(what, text, len, max, p, chan_split_text(text, len, max, p));
}

/* Vietnamese sentences, an overlong "word" (a link), emoji (also joined and
 * skin-toned ones), tabs and blank lines, at several limits. */
static void test_parts_cover_the_text(void **state)
{
    static char text[8000];
    size_t used = 0, max;
    int i;

    (void)state;
    for (i = 0; i < 12; i++)
        used += (size_t)snprintf(
            text + used, sizeof(text) - used, "%s",
            "Bước 1: Người đi đăng ký nộp tờ khai theo mẫu; giấy chứng sinh bản chính.\n"
            "- Trường hợp trẻ sinh ra ngoài cơ sở y tế: văn bản xác nhận của người làm chứng!\n\n"
            "\tL\u1EC7 ph\u00ED: mi\u1EC5n \U0001F44D\U0001F3FD \u2014 h\u1ECFi th\u00EAm "
            "\U0001F468\u200D\U0001F469\u200D\U0001F467 \u260E\uFE0F nh\u00E9? ");
    used += (size_t)snprintf(text + used, sizeof(text) - used,
                             "https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-hanh-chinh."
                             "html?ma_thu_tuc=1.001193&đường=dẫn&rất=dàiiiiiiiiiiiiiiiiiiiiiiii");
    for (max = 300; max <= 2000; max += 170)
        split_and_check("mixed", text, max);
    split_and_check("mixed, Messenger limit", text, 2000);
    split_and_check("newlines only", "dòng một\ndòng hai\n\n\ndòng ba\ndòng bốn\n", 9);
    split_and_check("tabs", "một\thai\tba\tbốn\tnăm\tsáu", 8);
    split_and_check("emoji without spaces",
                    "😀😃😄😁😆😅😂🤣🥲☺️😊😇🙂🙃😉😌😍🥰",
                    4);
    split_and_check("joined emoji",
                    "👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧", 6);
    split_and_check("one long word", "Nghiêngnghiêngnghiêngnghiêngnghiêngnghiêng", 5);
    split_and_check("sentence ends", "Một. Hai? Ba! Bốn: năm. Sáu.", 6);
    split_and_check("one character per part", "ạ b ư 😀 đ", 1);
}

/* The same property on pseudo-random texts built from pieces that stress
 * the cutter: multi-byte letters, emoji, runs of spaces, newlines, tabs,
 * sentence ends, long words. Deterministic (fixed seed). */
static void test_parts_cover_random_texts(void **state)
{
    static const char *const pieces[] = {"đăng ",    "ký ",
                                         "khai",     "sinh",
                                         "Nghiêng",  "ạ",
                                         "ữ",        "😀",
                                         "👍🏽", "👨‍👩‍👧",
                                         "☎️",   " ",
                                         "  ",       "\n",
                                         "\n\n",     "\t",
                                         ". ",       "? ",
                                         "! ",       ": ",
                                         "—",        "https://x.vn/aaaa",
                                         "e\xcc\x81"}; /* e + combining acute */
    static char text[1200], what[64];
    struct chan_part p[CHAN_TEXT_PARTS_MAX];
    uint32_t seed = 12345;
    int round, ok = 0;

    (void)state;
    for (round = 0; round < 3000; round++) {
        size_t used = 0, max, len;
        int rc;

        seed = seed * 1103515245u + 12345u;
        max = 1 + (seed >> 16) % 60;
        while (used < 200 + (seed >> 8) % 900) {
            const char *piece;

            seed = seed * 1103515245u + 12345u;
            piece = pieces[(seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
            if (used + strlen(piece) >= sizeof(text))
                break;
            memcpy(text + used, piece, strlen(piece));
            used += strlen(piece);
        }
        text[used] = '\0';
        len = used;
        rc = chan_split_text(text, len, max, p);
        if (rc == -E2BIG)
            continue; /* more than CHAN_TEXT_PARTS_MAX parts at this limit */
        snprintf(what, sizeof(what), "round %d (max %zu)", round, max);
        check_cover(what, text, len, max, p, rc);
        ok++;
    }
    assert_true(ok > 500); /* most rounds split; the property was really tested */
}

static void test_zero_limit_is_an_error(void **state)
{
    struct chan_part p[CHAN_TEXT_PARTS_MAX];

    (void)state;
    assert_int_equal(chan_split_text("abc", 3, 0, p), -EINVAL); /* never an endless loop */
}

static void test_short_text_is_one_part(void **state)
{
    struct chan_part p[CHAN_TEXT_PARTS_MAX];
    const char *t = "  Xin chào bạn.  ";

    (void)state;
    assert_int_equal(chan_split_text(t, strlen(t), 2000, p), 1);
    assert_int_equal(p[0].len, strlen("Xin chào bạn."));
    assert_memory_equal(t + p[0].off, "Xin chào bạn.", p[0].len);
    assert_int_equal(chan_split_text("", 0, 2000, p), 0);
}

static void test_splits_at_sentences_within_limit(void **state)
{
    struct chan_part p[CHAN_TEXT_PARTS_MAX];
    char text[6000];
    size_t used = 0;
    int n, i;

    (void)state;
    for (i = 0; i < 60; i++) /* 50 characters each */
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%s",
                                 "Bạn mang giấy chứng sinh bản chính đến trung tâm. ");
    n = chan_split_text(text, strlen(text), 2000, p);
    assert_true(n >= 2);
    for (i = 0; i < n; i++) {
        assert_true(mc_utf8_count(text + p[i].off, p[i].len) <= 2000);
        assert_true(mc_utf8_is_valid(text + p[i].off, p[i].len));
        assert_int_equal(text[p[i].off + p[i].len - 1], '.'); /* ends a sentence */
    }
}

static void test_long_word_cut_at_character(void **state)
{
    struct chan_part p[CHAN_TEXT_PARTS_MAX];
    char text[100];
    int n, i;

    (void)state;
    for (i = 0; i < 30; i++)
        memcpy(text + 2 * i, "đ", 2); /* 30 two-byte characters, no space */
    text[60] = '\0';
    n = chan_split_text(text, 60, 7, p);
    assert_int_equal(n, 5);
    for (i = 0; i < n; i++)
        assert_true(mc_utf8_is_valid(text + p[i].off, p[i].len));
}

static void test_too_many_parts(void **state)
{
    struct chan_part p[CHAN_TEXT_PARTS_MAX];
    char text[400];

    (void)state;
    memset(text, 'a', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    assert_int_equal(chan_split_text(text, strlen(text), 10, p), -E2BIG);
}

static void test_cut_chars_and_hex(void **state)
{
    char out[64];
    unsigned char b[2];

    (void)state;
    assert_string_equal(chan_cut_chars("Giấy tờ cần chuẩn bị thêm", 20, out, sizeof(out)),
                        "Giấy tờ cần chuẩn bị");
    assert_string_equal(chan_cut_chars("Đăng ký", 3, out, sizeof(out)), "Đăn");
    assert_string_equal(chan_cut_chars("Đăng ký", 10, out, 5), "Đă"); /* cap cuts at a boundary */
    assert_string_equal(chan_cut_chars("Đăng ký", 10, out, 4), "Đ");
    assert_true(chan_hex_decode("0aFf", b, 2));
    assert_int_equal(b[0], 0x0a);
    assert_int_equal(b[1], 0xff);
    assert_false(chan_hex_decode("0g", b, 1));
    assert_false(chan_hex_decode("0", b, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_text_is_one_part),
        cmocka_unit_test(test_splits_at_sentences_within_limit),
        cmocka_unit_test(test_long_word_cut_at_character),
        cmocka_unit_test(test_too_many_parts),
        cmocka_unit_test(test_parts_cover_the_text),
        cmocka_unit_test(test_parts_cover_random_texts),
        cmocka_unit_test(test_zero_limit_is_an_error),
        cmocka_unit_test(test_cut_chars_and_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
