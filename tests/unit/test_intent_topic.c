/* tests/unit/test_intent_topic.c - subject words no guide uses
 * (intents/intent_topic.c, docs/understanding.md "Subject words no guide
 * uses"): a message that reads as a covered procedure but whose subject only
 * out-of-scope text speaks of is declined; a word the guide or a label uses,
 * a word never seen, or a word seen in too few out-of-scope phrases is not a
 * subject. The same index without guide texts (no label judged) answers the
 * message: the decline comes from the vocabulary, not from the model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "intent.h"

static const char *const labels[] = {"tam-tru", "khai-sinh"};

static const char *const texts[] = {
    "Đăng ký tạm trú. Công dân đến sinh sống tại chỗ ở hợp pháp ngoài nơi thường trú. "
    "Tờ khai thay đổi thông tin cư trú; hợp đồng thuê nhà, cho ở nhờ.",
    "Đăng ký khai sinh. Giấy chứng sinh do bệnh viện cấp; tờ khai đăng ký khai sinh."};

static const struct intent_example examples[] = {
    {"tam-tru", "đăng ký tạm trú"},
    {"tam-tru", "đăng ký tạm trú cho người thuê trọ"},
    {"tam-tru", "tạm trú cần giấy tờ gì"},
    {"tam-tru", "đăng ký tạm trú cho con ở nhà bà ngoại"},
    {"khai-sinh", "đăng ký khai sinh cho con"},
    {"khai-sinh", "làm giấy khai sinh cho bé mới sinh"},
    {"none", "giá vàng hôm nay bao nhiêu"},
    {"none", "kết quả bóng đá tối qua"},
    {"none", "tiêm phòng dại cho chó ở đâu"},
    {"none", "chó cắn người thì xử lý thế nào"},
    {"none", "chợ mua bán chó cảnh"},
    {"none", "mèo nhà hàng xóm hay sang"},
    {"none", "xem bóng đá trực tiếp ở đâu"},
};

static struct intent_index *build(bool with_texts)
{
    struct intent_spec s;
    struct mc_err err = {{0}};
    struct intent_index *idx;

    memset(&s, 0, sizeof(s));
    s.labels = labels;
    s.n_labels = 2;
    s.examples = examples;
    s.n_examples = sizeof(examples) / sizeof(examples[0]);
    s.label_texts = with_texts ? texts : NULL;
    idx = intent_index_new(&s, &err);
    assert_non_null(idx);
    return idx;
}

static void expect(const struct intent_index *idx, const char *m, enum intent_decision d,
                   const char *label)
{
    struct intent_result *r = test_malloc(sizeof(*r));

    assert_int_equal(intent_match(idx, m, strlen(m), r), 0);
    assert_int_equal(r->decision, d);
    assert_string_equal(r->label, label);
    test_free(r);
}

static void test_subject_declined(void **state)
{
    struct intent_index *plain = build(false), *idx = build(true);

    (void)state;
    /* without guide texts no label is judged: the model answers tạm trú */
    expect(plain, "đăng ký tạm trú cho con chó", INTENT_MATCH, "tam-tru");
    /* "chó": no label uses it, three out-of-scope phrases do */
    expect(idx, "đăng ký tạm trú cho con chó", INTENT_NONE, "none");
    /* the same message about a word the guide uses is answered */
    expect(idx, "đăng ký tạm trú cho con thuê nhà", INTENT_MATCH, "tam-tru");
    /* a word never seen (a name, a typo) is no subject */
    expect(idx, "đăng ký tạm trú cho con zyxqv", INTENT_MATCH, "tam-tru");
    /* a word of one out-of-scope phrase only is more often a typo than a subject */
    expect(idx, "đăng ký tạm trú cho con mèo", INTENT_MATCH, "tam-tru");
    intent_index_free(plain);
    intent_index_free(idx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subject_declined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
