/* tests/unit/test_ask_clause.c - the request after a background
 * (intents/ask_clause.h) and its use by intent_match(): a message whose
 * request, read alone, is surely out of scope is declined even though its
 * background names a procedure (docs/understanding.md, "The request after
 * the background"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "ask_clause.h"
#include "fixture_intent.h"
#include "intent.h"

/* The request as a string ("" when there is no pivot). */
static const char *request(const char *s, size_t min_words, size_t *words)
{
    size_t off = ask_clause(s, strlen(s), min_words, words);

    return off ? s + off : "";
}

static void test_pivots(void **state)
{
    size_t n;

    (void)state;
    assert_string_equal(request("đăng ký kết hôn rồi, giờ em muốn ly hôn thì nộp ở đâu", 4, &n),
                        "em muốn ly hôn thì nộp ở đâu");
    assert_int_equal(n, 8);
    /* the last pivot wins; unmarked and capitalised forms count */
    assert_string_equal(request("Giờ tôi làm xong sổ đỏ rồi, gio muốn vay ngân hàng", 4, NULL),
                        "muốn vay ngân hàng");
    assert_string_equal(request("chứng thực bản sao xong tôi muốn hợp pháp hóa lãnh sự", 4, NULL),
                        "tôi muốn hợp pháp hóa lãnh sự");
    assert_string_equal(request("bây giờ làm căn cước cho con ở đâu", 4, NULL),
                        "làm căn cước cho con ở đâu");
}

static void test_not_pivots(void **state)
{
    size_t n = 99;

    (void)state;
    /* hours, "when", "until now", office hours */
    assert_string_equal(request("mấy giờ xã mở cửa làm hồ sơ khai sinh", 1, &n), "");
    assert_int_equal(n, 0);
    assert_string_equal(request("8 giờ sáng nộp hồ sơ được chưa ạ", 1, NULL), "");
    assert_string_equal(request("bao giờ thì có kết quả đăng ký kết hôn", 1, NULL), "");
    assert_string_equal(request("nộp từ tháng trước đến giờ vẫn chưa có kết quả", 1, NULL), "");
    assert_string_equal(request("cho hỏi giờ làm việc của bộ phận một cửa thế nào", 1, NULL), "");
    assert_string_equal(request("giờ hành chính thứ bảy có làm không", 1, NULL), "");
    /* too few words after it, or nothing before it */
    assert_string_equal(request("mất căn cước rồi giờ làm lại ở đâu", 5, NULL), "");
    assert_string_equal(request("giờ", 0, NULL), "");
    assert_string_equal(request("", 0, NULL), "");
    assert_int_equal(ask_clause(NULL, 0, 0, NULL), 0);
}

static const char *const labels[] = {"ket-hon", "khai-sinh"};

static const struct intent_example examples[] = {
    {"ket-hon", "đăng ký kết hôn"},
    {"ket-hon", "thủ tục đăng ký kết hôn cần giấy tờ gì"},
    {"ket-hon", "sắp cưới muốn làm giấy đăng ký kết hôn ở xã"},
    {"ket-hon", "đăng ký kết hôn ở xã mất bao lâu"},
    {"khai-sinh", "đăng ký khai sinh cho con"},
    {"khai-sinh", "làm giấy khai sinh cho bé mới sinh"},
    {"none", "kết quả bóng đá tối qua"},
    {"none", "xem bóng đá trực tiếp ở đâu"},
    {"none", "lịch thi đấu bóng đá tuần này"},
    {"none", "giá vàng hôm nay bao nhiêu"},
};

static void test_decline_background(void **state)
{
    struct intent_index *idx =
        fixture_intent_index(labels, 2, examples, sizeof(examples) / sizeof(examples[0]), NULL);
    struct intent_result *r = test_malloc(sizeof(*r));

    (void)state;
    /* the background is a marriage, the request is football: declined */
    fixture_intent_expect(
        idx, r, "đăng ký kết hôn ở xã xong rồi, giờ muốn xem bóng đá trực tiếp tối qua ở đâu",
        INTENT_NONE, "none");
    fixture_intent_expect(
        idx, r, "đăng ký kết hôn ở xã cần giấy tờ gì, xong giờ muốn xem bóng đá trực tiếp",
        INTENT_NONE, "none");
    assert_true(r->confidence >= 0.95);
    fixture_intent_expect(
        idx, r, "làm giấy đăng ký kết hôn ở xã xong rồi giờ muốn xem bóng đá trực tiếp ở đâu",
        INTENT_NONE, NULL);
    /* a request about the background procedure keeps it */
    fixture_intent_expect(idx, r, "đăng ký kết hôn xong giờ đăng ký khai sinh cho con",
                          INTENT_MATCH, "khai-sinh");
    /* an elliptic request names nothing: the background answers */
    assert_int_equal(intent_match(idx, "sắp cưới muốn đăng ký kết hôn, giờ thì làm sao ạ",
                                  strlen("sắp cưới muốn đăng ký kết hôn, giờ thì làm sao ạ"), r),
                     0);
    assert_string_equal(r->label, "ket-hon");
    intent_index_free(idx);
    test_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pivots),
        cmocka_unit_test(test_not_pivots),
        cmocka_unit_test(test_decline_background),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
