/* tests/unit/test_ask_split.c - two questions in one message
 * (intents/ask_split.h) and their use by intent_match(): a message declined
 * as a whole answers its covered question when the other one is out of scope
 * (docs/understanding.md, "Two questions in one message"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "ask_split.h"
#include "fixture_intent.h"
#include "intent.h"

/* The second question as a string ("" when there is no seam); *first gets
 * the length of the first. */
static const char *second(const char *s, size_t min_words, size_t *first)
{
    size_t off = ask_split(s, strlen(s), min_words, first);

    return off ? s + off : "";
}

static void test_seams(void **state)
{
    size_t end = 0;
    const char *m;

    (void)state;
    m = "cấp lại căn cước bị mất thì làm sao, và tiện hỏi luôn báo mất xe ở đâu";
    assert_string_equal(second(m, 4, &end), "và tiện hỏi luôn báo mất xe ở đâu");
    assert_int_equal(end, strlen("cấp lại căn cước bị mất thì làm sao"));
    assert_string_equal(
        second("đăng ký xe máy mới mua ở đâu, tiện thể hỏi mức phạt là bao nhiêu", 4, NULL),
        "tiện thể hỏi mức phạt là bao nhiêu");
    assert_string_equal(second("Khai sinh cho con cần gì? Còn làm hộ chiếu cho con ở đâu", 4, NULL),
                        "Còn làm hộ chiếu cho con ở đâu");
    assert_string_equal(
        second("hoi 2 viec, dang ky tam tru the nao, voi ca xin giay phep karaoke", 3, NULL),
        "voi ca xin giay phep karaoke");
    assert_string_equal(
        second("thứ nhất làm sổ đỏ ở đâu thứ hai vay ngân hàng được không", 4, NULL),
        "thứ hai vay ngân hàng được không");
}

static void test_not_seams(void **state)
{
    size_t end = 7;

    (void)state;
    /* "và" joining nouns, "con" (a child) after a comma, too few words */
    assert_string_equal(second("cần giấy tờ và lệ phí gì khi đăng ký kết hôn ở xã", 1, &end), "");
    assert_int_equal(end, 0);
    assert_string_equal(second("bố mất rồi, con muốn làm giấy khai tử cho bố thì sao", 1, NULL),
                        "");
    assert_string_equal(second("khai sinh ở đâu, và khi nào", 4, NULL), "");
    assert_string_equal(second("có làm được không? ", 1, NULL), "");
    assert_string_equal(second("", 0, NULL), "");
    assert_int_equal(ask_split(NULL, 0, 0, NULL), 0);
}

static const char *const labels[] = {"ket-hon", "khai-sinh"};

static const struct intent_example examples[] = {
    {"ket-hon", "đăng ký kết hôn"},
    {"ket-hon", "thủ tục đăng ký kết hôn cần giấy tờ gì"},
    {"ket-hon", "sắp cưới muốn làm giấy đăng ký kết hôn ở xã"},
    {"ket-hon", "đăng ký kết hôn ở xã mất bao lâu"},
    {"khai-sinh", "đăng ký khai sinh cho con"},
    {"khai-sinh", "làm giấy khai sinh cho bé mới sinh"},
    {"khai-sinh", "khai sinh cho con cần giấy tờ gì"},
    {"none", "kết quả bóng đá tối qua"},
    {"none", "xem bóng đá trực tiếp ở đâu"},
    {"none", "lịch thi đấu bóng đá tuần này"},
    {"none", "giá vàng hôm nay bao nhiêu"},
    {"none", "mua vé xem bóng đá trực tiếp ở sân vận động"},
    {"none", "tối nay đội tuyển đá với ai"},
};

static void test_covered_half_answered(void **state)
{
    struct intent_index *idx =
        fixture_intent_index(labels, 2, examples, sizeof(examples) / sizeof(examples[0]), NULL);
    struct intent_result *r = test_malloc(sizeof(*r));

    (void)state;
    /* football drowns the birth when read whole; each question alone: the
     * birth is answered */
    fixture_intent_expect(idx, r,
                          "xem bóng đá trực tiếp tối nay ở sân vận động nào, giá vé bao nhiêu, và "
                          "tiện hỏi đăng ký khai sinh cho con",
                          INTENT_MATCH, "khai-sinh");
    /* both questions out of scope: declined */
    fixture_intent_expect(
        idx, r, "xem bóng đá trực tiếp tối nay ở đâu, và tiện hỏi giá vàng hôm nay bao nhiêu",
        INTENT_NONE, NULL);
    intent_index_free(idx);
    test_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seams),
        cmocka_unit_test(test_not_seams),
        cmocka_unit_test(test_covered_half_answered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
