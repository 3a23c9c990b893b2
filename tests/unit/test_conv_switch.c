/* tests/unit/test_conv_switch.c - the one stay/switch rule of a follow-up
 * (conv_switch.h) and the topic facts it is fed (conv_topic.h), on invented
 * guides and messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "conv.h"
#include "conv_switch.h"
#include "conv_topic.h"
#include "intent.h"

/* Two small invented guides: a residence one and an app account one. */
static const char residence[] =
    "{\"id\":\"cu-tru\",\"name\":\"Đăng ký lưu trú dài hạn\",\"short_name\":\"Lưu trú dài "
    "hạn\",\"aliases\":[\"khai lưu trú\",\"báo lưu trú nhà thuê\"],"
    "\"online\":{\"text\":\"Khai trên ứng dụng VNeID hoặc Cổng Dịch vụ công.\"},"
    "\"documents\":[{\"id\":\"the\",\"name\":\"Thẻ căn cước của người khai\"}]}";
static const char account[] =
    "{\"id\":\"tai-khoan\",\"name\":\"Mở tài khoản trên ứng dụng VNeID\",\"short_name\":\"Tài "
    "khoản VNeID\",\"aliases\":[\"kích hoạt VNeID\",\"mở khóa tài khoản định danh\"]}";

static void test_topic_names(void **state)
{
    json_t *r = json_loads(residence, 0, NULL), *a = json_loads(account, 0, NULL);

    (void)state;
    assert_non_null(r);
    assert_non_null(a);
    assert_true(conv_topic_names(r, "khai luu tru", true));    /* an alias' content words */
    assert_false(conv_topic_names(r, "luu", true));            /* one word of a name */
    assert_true(conv_topic_names(a, "kich hoat vneid", true)); /* an alias, whole */
    assert_false(conv_topic_names(a, "khai tren", true));
    assert_true(conv_topic_names(a, "tai khoan vneid", false)); /* its everyday name */
    assert_false(conv_topic_names(a, "kich hoat vneid", false));
    /* an alias, not asked for */                         /* a word of nothing */
    assert_false(conv_topic_names(a, "kich hoat", true)); /* half an alias is not a name */
    assert_false(conv_topic_names(r, "luu", true));       /* one word of a name */
    assert_false(conv_topic_names(r, "", true));          /* nothing names nothing */
    assert_true(conv_topic_covered(r, "vneid"));          /* its own channel */
    assert_true(conv_topic_covered(r, "the can cuoc"));   /* its own paper */
    assert_false(conv_topic_covered(r, "vneid xe may"));  /* a word it never says */
    assert_false(conv_topic_covered(r, ""));
    json_decref(r);
    json_decref(a);
}

/* A joint procedure whose alias holds the residence guide's short name. */
static const char joint[] =
    "{\"id\":\"lien-thong\",\"name\":\"Liên thông lưu trú và cấp thẻ\",\"short_name\":\"Lưu "
    "trú kèm thẻ\",\"aliases\":[\"liên thông lưu trú dài hạn\"]}";

static void test_topic_names_within(void **state)
{
    json_t *r = json_loads(residence, 0, NULL), *a = json_loads(account, 0, NULL),
           *j = json_loads(joint, 0, NULL);

    (void)state;
    assert_non_null(j);
    /* the joint procedure's alias holds "lưu trú dài hạn" and says more */
    assert_true(conv_topic_names_within(j, r, "lam lien thong luu tru dai han"));
    /* names only the residence itself: no specialisation */
    assert_false(conv_topic_names_within(j, r, "luu tru dai han"));
    /* names both, but the account's names do not hold the residence's */
    assert_false(conv_topic_names_within(a, r, "luu tru dai han tai khoan vneid"));
    /* the other way round is no specialisation either */
    assert_false(conv_topic_names_within(r, j, "lam lien thong luu tru dai han"));
    assert_false(conv_topic_names_within(j, r, ""));
    json_decref(r);
    json_decref(a);
    json_decref(j);
}

/* Aspect phrases inside a procedure's own name ask nothing. */
static void test_topic_asked(void **state)
{
    static const char fund[] = "{\"id\":\"ho-tro\",\"name\":\"Hỗ trợ chi phí chôn cất\","
                               "\"aliases\":[\"tiền chôn cất phí\"]}";
    json_t *g = json_loads(fund, 0, NULL);
    struct intent_result u;

    (void)state;
    assert_non_null(g);
    memset(&u, 0, sizeof(u));
    /* "xin tien chon cat phi the nao": "phi" is the alias' last word */
    snprintf(u.folded, sizeof(u.folded), "%s", "xin tien chon cat phi the nao");
    u.aspects = INTENT_ASPECT_FEE | INTENT_ASPECT_STEPS;
    u.aspect_spans[0] = (struct intent_span){.start = 18, .len = 3, .bit = INTENT_ASPECT_FEE};
    u.aspect_spans[1] = (struct intent_span){.start = 22, .len = 7, .bit = INTENT_ASPECT_STEPS};
    u.n_aspect_spans = 2;
    assert_int_equal(conv_topic_asked(g, &u), INTENT_ASPECT_STEPS);
    /* the same fee word outside the name is asked */
    snprintf(u.folded, sizeof(u.folded), "%s", "phi chon cat bao nhieu");
    u.aspects = INTENT_ASPECT_FEE;
    u.aspect_spans[0] = (struct intent_span){.start = 0, .len = 3, .bit = INTENT_ASPECT_FEE};
    u.n_aspect_spans = 1;
    assert_int_equal(conv_topic_asked(g, &u), INTENT_ASPECT_FEE);
    json_decref(g);
}

static void test_rule(void **state)
{
    static const struct {
        const char *what;
        struct conv_switch_facts f;
        enum conv_switch want;
    } cases[] = {
        {"first message", {.in_context = false, .confidence = 0.9}, CONV_SWITCH},
        {"same procedure", {.in_context = true, .same = true}, CONV_STAY},
        {"a sure correction: \"à nhầm, ý tôi là đăng ký xe\"",
         {.in_context = true,
          .confidence = 0.95,
          .topic_words = 2,
          .names_p = true,
          .faq_fits_p = true,
          .correction = true},
         CONV_SWITCH},
        {"an unsure correction",
         {.in_context = true,
          .confidence = 0.4,
          .topic_words = 2,
          .names_p = true,
          .correction = true},
         CONV_STAY},
        {"bare aspect: \"phí bao nhiêu\"", {.in_context = true, .confidence = 0.95}, CONV_STAY},
        {"its own FAQ: \"có phải báo lưu trú ở quê không\"",
         {.in_context = true,
          .confidence = 0.99,
          .topic_words = 2,
          .names_q = true,
          .faq_fits_p = true},
         CONV_STAY},
        {"names P and Q: \"lưu trú xong có phải mở tài khoản không\"",
         {.in_context = true,
          .confidence = 0.9,
          .topic_words = 4,
          .names_p = true,
          .names_q = true},
         CONV_STAY},
        {"names a specialisation of P: \"làm lưu trú dài hạn liên thông luôn\"",
         {.in_context = true,
          .confidence = 0.99,
          .topic_words = 5,
          .names_p = true,
          .names_q = true,
          .q_within_p = true},
         CONV_SWITCH},
        {"names Q: \"còn kích hoạt VNeID thì sao\"",
         {.in_context = true, .confidence = 0.9, .topic_words = 3, .names_q = true},
         CONV_SWITCH},
        {"a paper of P in an aspect question: \"cần mang thẻ căn cước không\"",
         {.in_context = true,
          .confidence = 0.97,
          .topic_words = 3,
          .asks_aspect = true,
          .names_q = true,
          .covered_by_p = true},
         CONV_STAY},
        {"a channel of P: \"khai trên VNeID được ko\"",
         {.in_context = true,
          .confidence = 0.86,
          .topic_words = 2,
          .asks_aspect = true,
          .covered_by_p = true},
         CONV_STAY},
        {"sure, own words, not an aspect question: \"bán xe máy cũ\"",
         {.in_context = true, .confidence = 0.8, .topic_words = 3},
         CONV_SWITCH},
        {"sure but only an aspect question with words of its own",
         {.in_context = true, .confidence = 0.8, .topic_words = 2, .asks_aspect = true},
         CONV_STAY},
        {"all but certain, an aspect of something P never mentions: \"đi tù về muốn đi làm lại "
         "cần giấy gì\"",
         {.in_context = true,
          .confidence = CONV_SWITCH_SURE,
          .topic_words = 4,
          .asks_aspect = true},
         CONV_SWITCH},
        {"all but certain, an aspect, but one word of its own",
         {.in_context = true, .confidence = 0.99, .topic_words = 1, .asks_aspect = true},
         CONV_STAY},
        {"sure but its words are all P's",
         {.in_context = true, .confidence = 0.9, .topic_words = 1, .covered_by_p = true},
         CONV_STAY},
        {"unsure, own words",
         {.in_context = true, .confidence = CONV_SWITCH_MIN - 0.01, .topic_words = 2},
         CONV_STAY},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (conv_switch_decide(&cases[i].f) != cases[i].want)
            fail_msg("%s: want %s", cases[i].what, cases[i].want == CONV_STAY ? "stay" : "switch");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topic_names),
        cmocka_unit_test(test_topic_names_within),
        cmocka_unit_test(test_topic_asked),
        cmocka_unit_test(test_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
