/* tests/unit/test_conv_guide.c - the words built from a guide: summary and
 * card, documents, steps, follow-up answers (with unconfirmed facts said to
 * be unconfirmed), pre-check questions and the checklist text. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "conv_check.h"
#include "conv_guide.h"
#include "conv_text.h"
#include "intent.h"

/* The API's shape: "where", "fee", "processing_time" flattened to text,
 * details beside them, steps as {n,text}. */
static json_t *guide(void)
{
    json_t *g = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:b},s:{s:b},s:s,s:{s:s,s:s,s:[s]},"
        "s:[{s:s,s:s},{s:s,s:s}],s:[{s:i,s:s},{s:i,s:s},{s:i,s:s}],"
        "s:[{s:s,s:s,s:s,s:i,s:n,s:n,s:s,s:{s:s,s:s}},{s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:n}],"
        "s:[{s:s,s:s},{s:s,s:s}],s:[s]}",
        "id", "khai-sinh", "name", "Đăng ký khai sinh", "agency", "UBND cấp xã", "level", "xa",
        "where", "Trung tâm phục vụ hành chính công", "processing_time", "Trong ngày", "fee",
        "Miễn lệ phí nếu đúng hạn", "fee_detail", "text", "Miễn lệ phí nếu đúng hạn", "exemptions",
        "Hộ nghèo được miễn", "verify", 1, "processing_time_detail", "verify", 0, "result",
        "Giấy khai sinh", "online", "available", "partial", "text", "Nộp trên Cổng Dịch vụ công.",
        "links", "https://dichvucong.gov.vn/", "who_may_submit", "who", "Cha hoặc mẹ", "proof",
        "Thẻ căn cước", "who", "Ông, bà", "proof", "Giấy tờ tùy thân", "steps", "n", 1, "text",
        "Xin giấy chứng sinh.", "n", 2, "text", "Điền tờ khai.", "n", 3, "text", "Nhận kết quả.",
        "documents", "id", "to-khai", "name", "Tờ khai đăng ký khai sinh", "kind", "original",
        "count", 1, "when", "ask", "how_to_get", "Lấy tại trung tâm.", "form", "name",
        "Tờ khai đăng ký khai sinh", "code", "Mẫu Thông tư 04/2020/TT-BTP", "id", "uy-quyen",
        "name", "Văn bản ủy quyền", "kind", "original", "count", 2, "when",
        "nếu người đi nộp là người khác", "ask", "Bạn nộp thay theo ủy quyền phải không?",
        "how_to_get", "Chứng thực chữ ký.", "form", "faq", "q",
        "Quá 60 ngày mới đi khai sinh cho con thì có làm được không?", "a", "Vẫn làm được.", "q",
        "Khai sinh cho con ở nơi tạm trú được không?", "a", "Được.", "return_reasons",
        "Thiếu giấy chứng sinh");

    assert_non_null(g);
    return g;
}

static void test_summary_and_card(void **state)
{
    json_t *g = guide(), *card;
    struct mc_buf b;

    (void)state;
    mc_buf_init(&b, 4096);
    assert_int_equal(conv_guide_summary(g, &b), 0);
    assert_non_null(strstr(b.data, "Đăng ký khai sinh\n• Cơ quan giải quyết: UBND cấp xã"));
    assert_non_null(
        strstr(b.data, "• Lệ phí: Miễn lệ phí nếu đúng hạn (mức phí đang chờ cán bộ xác nhận)"));
    assert_non_null(strstr(b.data, "Nộp trực tuyến được một phần"));
    mc_buf_fini(&b);
    card = conv_guide_card(g);
    assert_string_equal(json_string_value(json_object_get(card, "url")), "/thu-tuc/khai-sinh");
    assert_string_equal(json_string_value(json_object_get(card, "time")), "Trong ngày");
    assert_string_equal(json_string_value(json_object_get(card, "online")),
                        "Nộp trực tuyến được một phần");
    json_decref(card);
    json_decref(g);
}

static void test_documents_and_steps(void **state)
{
    json_t *g = guide();
    struct mc_buf b;

    (void)state;
    mc_buf_init(&b, 4096);
    assert_int_equal(conv_guide_documents(g, &b), 0);
    assert_string_equal(b.data, "Giấy tờ cần chuẩn bị (Đăng ký khai sinh):\n"
                                "1. Tờ khai đăng ký khai sinh (bản chính)\n"
                                "2. Văn bản ủy quyền (bản chính, 2 bản) — chỉ cần nếu người đi "
                                "nộp là người khác");
    mc_buf_reset(&b);
    assert_int_equal(conv_guide_step_count(g), 3);
    assert_int_equal(conv_guide_step(g, 2, &b), 0);
    assert_string_equal(b.data, "Bước 2/3: Điền tờ khai.");
    assert_int_equal(conv_guide_step(g, 4, &b), -ENOENT);
    assert_int_equal(conv_guide_step(g, 0, &b), -ENOENT);
    assert_null(conv_guide_step_text(g, 4));
    mc_buf_reset(&b);
    assert_int_equal(conv_guide_steps(g, &b), 0);
    assert_non_null(strstr(b.data, "\n3. Nhận kết quả."));
    mc_buf_fini(&b);
    json_decref(g);
}

static void test_aspects(void **state)
{
    char folded[FOLD_WORDS_TEXT_MAX];
    json_t *g = guide();
    struct mc_buf b;

    (void)state;
    mc_buf_init(&b, 4096);
    assert_int_equal(conv_guide_aspect(g, INTENT_ASPECT_FEE, NULL, &b), 0);
    assert_non_null(strstr(b.data, "Miễn, giảm: Hộ nghèo được miễn"));
    assert_non_null(strstr(b.data, "đang chờ cán bộ xác nhận"));
    mc_buf_reset(&b);
    assert_int_equal(conv_guide_aspect(g, INTENT_ASPECT_TIME, NULL, &b), 0);
    assert_null(strstr(b.data, "xác nhận")); /* processing time is confirmed */
    mc_buf_reset(&b);
    assert_int_equal(conv_guide_aspect(g, INTENT_ASPECT_WHO, NULL, &b), 0);
    assert_non_null(strstr(b.data, "• Ông, bà — mang theo: Giấy tờ tùy thân"));
    mc_buf_reset(&b);
    assert_int_equal(conv_guide_aspect(g, INTENT_ASPECT_FORM, NULL, &b), 0);
    assert_non_null(strstr(b.data, "Tờ khai đăng ký khai sinh: Mẫu Thông tư 04/2020/TT-BTP."));
    mc_buf_reset(&b);
    assert_int_equal(conv_guide_aspect(g, INTENT_ASPECT_ONLINE, NULL, &b), 0);
    assert_non_null(strstr(b.data, "Địa chỉ: https://dichvucong.gov.vn/"));
    mc_buf_reset(&b);
    assert_int_equal(conv_guide_aspect(g, INTENT_ASPECT_RESULT, NULL, &b), 0);
    assert_non_null(strstr(b.data, "Giấy khai sinh"));
    mc_buf_reset(&b);
    assert_int_equal(
        fold_words_text("con tôi quá 60 ngày rồi có khai sinh được không", folded, sizeof(folded)),
        0);
    assert_int_equal(conv_guide_aspect(g, INTENT_ASPECT_CONDITION, folded, &b), 0);
    assert_non_null(strstr(b.data, "Vẫn làm được."));
    mc_buf_reset(&b);
    assert_int_equal(fold_words_text("giá vàng hôm nay", folded, sizeof(folded)), 0);
    assert_int_equal(conv_guide_aspect(g, INTENT_ASPECT_CONDITION, folded, &b), -ENOENT);
    assert_int_equal(conv_guide_aspect(g, INTENT_ASPECT_HOURS, NULL, &b), -ENOENT);
    /* no document has a form */
    json_object_set_new(json_array_get(json_object_get(g, "documents"), 0), "form", json_null());
    assert_int_equal(conv_guide_aspect(g, INTENT_ASPECT_FORM, NULL, &b), 0);
    assert_non_null(strstr(b.data, "không có mẫu tờ khai riêng"));
    mc_buf_fini(&b);
    json_decref(g);
}

/* Which FAQ entry fits a follow-up: telling words, short questions, runs. */
static void test_faq(void **state)
{
    static const char *const more[][2] = {
        {"Một mình tôi đi nộp hồ sơ được không?", "Được, một người nộp là đủ."},
        {"Giấy khai sinh có ghi nhiều bản được không?", "Được cấp thêm bản sao."},
        {"Đăng ký khai sinh có mất phí không?", "Đúng hạn thì miễn phí."}};
    static const struct {
        const char *text;
        const char *want; /* the answer of the entry that fits, or NULL */
    } cases[] = {
        /* stop words one by one, a run of them together */
        {"một mình tôi đi nộp thì được không anh", "Được, một người nộp là đủ."},
        {"ông đi nộp ở đâu", NULL},
        /* a short question all of whose words the entry asks */
        {"có ghi được nhiều bản không", "Được cấp thêm bản sao."},
        {"ghi được không", NULL},
        /* the guide's own name shared is no fit: every question says it */
        {"đăng ký khai sinh ở đâu", NULL},
        {"đăng ký khai sinh có mất phí gì không", "Đúng hạn thì miễn phí."},
        {"quá 60 ngày mới khai sinh có được không", "Vẫn làm được."},
    };
    char folded[FOLD_WORDS_TEXT_MAX];
    json_t *g = guide(), *faq = json_object_get(g, "faq");
    const json_t *e;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(more) / sizeof(more[0]); i++)
        json_array_append_new(faq, json_pack("{s:s,s:s}", "q", more[i][0], "a", more[i][1]));
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(fold_words_text(cases[i].text, folded, sizeof(folded)), 0);
        e = conv_guide_faq(g, folded);
        if (!cases[i].want && e)
            fail_msg("%s: fits \"%s\"", cases[i].text, json_string_value(json_object_get(e, "q")));
        if (cases[i].want &&
            (!e || strcmp(json_string_value(json_object_get(e, "a")), cases[i].want) != 0))
            fail_msg("%s: want \"%s\"", cases[i].text, cases[i].want);
    }
    json_decref(g);
}

/* A question about one paper of the guide. */
static void test_document(void **state)
{
    char folded[FOLD_WORDS_TEXT_MAX];
    json_t *g = guide();
    const json_t *doc;
    struct mc_buf b;

    (void)state;
    assert_int_equal(fold_words_text("ủy quyền thì sao", folded, sizeof(folded)), 0);
    doc = conv_guide_document(g, folded);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), "uy-quyen");
    mc_buf_init(&b, 4096);
    assert_int_equal(conv_guide_document_answer(g, doc, &b), 0);
    assert_non_null(strstr(b.data, "Có thể cần (Đăng ký khai sinh): Văn bản ủy quyền"));
    assert_non_null(strstr(b.data, "chỉ cần nếu người đi nộp là người khác"));
    assert_non_null(strstr(b.data, "\nChứng thực chữ ký."));
    mc_buf_reset(&b);
    assert_int_equal(fold_words_text("tờ khai có cần không", folded, sizeof(folded)), 0);
    doc = conv_guide_document(g, folded);
    assert_non_null(doc);
    assert_int_equal(conv_guide_document_answer(g, doc, &b), 0);
    assert_true(strncmp(b.data, "Cần (Đăng ký khai sinh): Tờ khai đăng ký khai sinh", 20) == 0);
    mc_buf_fini(&b);
    /* "căn cước" folds to "can cuoc", "can" like the function word "cần";
     * "#" stands where the caller left the question's own phrases out */
    json_array_append_new(json_object_get(g, "documents"),
                          json_pack("{s:s,s:s}", "id", "the", "name", "Thẻ căn cước của cha mẹ"));
    doc = conv_guide_document(g, "# can cuoc khong");
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), "the");
    /* function words alone name no paper */
    assert_null(conv_guide_document(g, "cua cha"));
    /* the guide's own name is no paper; one word is not a run */
    assert_int_equal(fold_words_text("đăng ký khai sinh có cần không", folded, sizeof(folded)), 0);
    assert_null(conv_guide_document(g, folded));
    assert_int_equal(fold_words_text("quyền", folded, sizeof(folded)), 0);
    assert_null(conv_guide_document(g, folded));
    json_decref(g);
}

static void test_questions_and_checklist(void **state)
{
    struct mc_buf parts[CONV_GUIDE_CHECKLIST_PARTS], b;
    json_t *g = guide(), *st, *list;
    struct conv_question q;
    size_t i;

    (void)state;
    mc_buf_init(&b, 4096);
    q = (struct conv_question){CONV_Q_DOCUMENT, 1, 2,
                               json_array_get(json_object_get(g, "documents"), 0)};
    assert_int_equal(conv_guide_question(&q, &b), 0);
    assert_string_equal(b.data, "Câu 1/2. Bạn đã có Tờ khai đăng ký khai sinh chưa? (bản chính)");
    mc_buf_reset(&b);
    q = (struct conv_question){CONV_Q_CONDITION, 2, 2,
                               json_array_get(json_object_get(g, "documents"), 1)};
    assert_int_equal(conv_guide_question(&q, &b), 0);
    assert_string_equal(b.data, "Câu 2/2. Bạn nộp thay theo ủy quyền phải không?");
    mc_buf_fini(&b);

    st = json_pack("{s:s,s:s}", "to-khai", "missing", "uy-quyen", "not_needed");
    list = conv_check_list(g, st);
    for (i = 0; i < CONV_GUIDE_CHECKLIST_PARTS; i++)
        mc_buf_init(&parts[i], 4096);
    assert_int_equal(conv_guide_checklist(list, parts), 0);
    assert_non_null(strstr(parts[0].data, "đã có 0, còn thiếu 1, chưa rõ 0, không cần 1"));
    assert_null(strstr(parts[0].data, "Đã có:"));
    assert_non_null(strstr(parts[1].data, "Còn thiếu:\n• Tờ khai đăng ký khai sinh\n  Cách có: "
                                          "Lấy tại trung tâm."));
    assert_non_null(
        strstr(parts[2].data, "Không cần trong trường hợp của bạn:\n• Văn bản ủy quyền"));
    assert_string_equal(parts[3].data, "Hồ sơ hay bị trả lại vì:\n• Thiếu giấy chứng sinh");
    for (i = 0; i < CONV_GUIDE_CHECKLIST_PARTS; i++)
        mc_buf_fini(&parts[i]);
    json_decref(list);
    json_decref(st);
    json_decref(g);
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(conv_guide_kind_name("certified-copy"), "bản sao có chứng thực");
    assert_string_equal(conv_guide_kind_name("present"), "mang bản chính để xuất trình");
    assert_string_equal(conv_guide_kind_name("bogus"), "");
    assert_string_equal(conv_guide_kind_name(NULL), "");
}

/* The structured twins a screen lays out: "when" null for a paper everyone
 * needs (also when the guide's "when" is empty), the condition otherwise;
 * every step numbered from 1 (docs/api.md, reply "documents" and "steps"). */
static void test_document_and_steps_blocks(void **state)
{
    json_t *g = guide(), *d, *s, *items, *empty;

    (void)state;
    d = conv_guide_document_block(g);
    assert_non_null(d);
    assert_string_equal(json_string_value(json_object_get(d, "procedure")), "khai-sinh");
    assert_string_equal(json_string_value(json_object_get(d, "title")), "Đăng ký khai sinh");
    items = json_object_get(d, "items");
    assert_int_equal(json_array_size(items), 2);
    assert_true(json_is_null(json_object_get(json_array_get(items, 0), "when")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "when")),
                        "nếu người đi nộp là người khác");
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "id")),
                        "uy-quyen");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 1), "count")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "kind")),
                        "original");
    json_decref(d);

    empty = json_pack("{s:s,s:s,s:[{s:s,s:s,s:s}]}", "id", "x", "name", "X", "documents", "id", "a",
                      "name", "A", "when", "");
    assert_non_null(empty);
    d = conv_guide_document_block(empty);
    assert_non_null(d);
    assert_true(
        json_is_null(json_object_get(json_array_get(json_object_get(d, "items"), 0), "when")));
    json_decref(d);
    s = conv_guide_steps_block(empty); /* no steps: an empty list, not an error */
    assert_non_null(s);
    assert_int_equal(json_array_size(json_object_get(s, "items")), 0);
    json_decref(s);
    json_decref(empty);

    s = conv_guide_steps_block(g);
    assert_non_null(s);
    items = json_object_get(s, "items");
    assert_int_equal(json_array_size(items), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 2), "n")), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "text")),
                        "Xin giấy chứng sinh.");
    json_decref(s);
    json_decref(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_and_card), cmocka_unit_test(test_documents_and_steps),
        cmocka_unit_test(test_aspects),          cmocka_unit_test(test_questions_and_checklist),
        cmocka_unit_test(test_kind_names),       cmocka_unit_test(test_faq),
        cmocka_unit_test(test_document),         cmocka_unit_test(test_document_and_steps_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
