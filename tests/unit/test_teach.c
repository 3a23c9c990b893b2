/* tests/unit/test_teach.c - teaching from the console (gateway/admin/teach.h,
 * unanswered.h): folded word sets and their Jaccard similarity, the grouping
 * of unanswered questions (newest first, each compared with a group's first
 * message), the conflict rules (duplicate, near a phrase of another label,
 * breaks a phrase the index answered) on a small index, and the store's
 * taught phrases, revision and unanswered query on a real SQLite file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "intent.h"
#include "report.h"
#include "session.h"
#include "fixture.h"
#include "store.h"
#include "teach.h"
#include "unanswered.h"

static struct teach_words words(const char *text)
{
    char fold[TEACH_FOLD_MAX];
    struct teach_words w;

    assert_int_equal(teach_fold(text, strlen(text), fold, sizeof(fold)), 0);
    teach_words_of(fold, &w);
    return w;
}

static double jac(const char *a, const char *b)
{
    struct teach_words x = words(a), y = words(b);

    return teach_jaccard(&x, &y);
}

static void test_fold_and_jaccard(void **state)
{
    char fold[TEACH_FOLD_MAX];
    struct teach_words w;

    (void)state;
    assert_int_equal(
        teach_fold("Đăng KÝ khai-sinh!!", strlen("Đăng KÝ khai-sinh!!"), fold, sizeof(fold)), 0);
    assert_string_equal(fold, "dang ky khai sinh");
    /* diacritics, case and punctuation do not tell two questions apart */
    assert_true(jac("Đăng ký khai sinh cho con", "dang ky khai sinh cho con?") == 1.0);
    /* a set: repeated words count once, order does not matter */
    w = words("cho con cho con");
    assert_int_equal(w.n, 2);
    assert_true(jac("con cho", "cho con cho con") == 1.0);
    /* 4 shared of 5 distinct words: 0.8, the near-duplicate line */
    assert_true(jac("xin giấy tờ cho ông", "xin giấy tờ cho") == 0.8);
    assert_true(jac("xin giấy tờ cho ông", "xin giấy tờ") < TEACH_NEAR);
    assert_true(jac("", "") == 1.0);
    assert_true(jac("", "khai sinh") == 0.0);
    assert_int_equal(teach_fold("\xff\xfe", 2, fold, sizeof(fold)), -EINVAL);
    assert_int_equal(teach_fold("khai sinh", 9, fold, 4), -E2BIG);
}

static void test_group(void **state)
{
    /* newest first, as the store gives them */
    const char *msgs[] = {
        "ông ngoại tui về với ông bà rồi giấy tờ lo sao ạ", /* 0: opens group 0 */
        "nuôi ong mật có phải xin phép không",              /* 1: opens group 1 */
        "ông ngoại tui về với ông bà rồi giấy tờ lo sao",   /* 2: 11/12 with 0 */
        "ONG NGOAI TUI VE VOI ONG BA ROI, GIAY TO LO SAO",  /* 3: identical folded to 2 */
        "nuôi ong mật có phải xin phép",                    /* 4: 6/7 with 1 */
        "nuôi ong",                                         /* 5: 2/7 with 1: its own */
    };
    size_t n = sizeof(msgs) / sizeof(msgs[0]), g[6], i;
    struct teach_words w[6];

    (void)state;
    for (i = 0; i < n; i++)
        w[i] = words(msgs[i]);
    assert_int_equal(unanswered_group(w, n, g), 3);
    assert_int_equal(g[0], 0);
    assert_int_equal(g[1], 1);
    assert_int_equal(g[2], 0);
    assert_int_equal(g[3], 0);
    assert_int_equal(g[4], 1);
    assert_int_equal(g[5], 2);
    /* compared with the group's first message only: b is near a and c near
     * b, but c is not near a, so c starts its own group */
    {
        struct teach_words x[3] = {words("một hai ba bốn năm sáu bảy tám chín"),
                                   words("một hai ba bốn năm sáu bảy tám chín mười"),
                                   words("hai ba bốn năm sáu bảy tám chín mười trăm")};

        assert_true(teach_jaccard(&x[0], &x[1]) >= TEACH_NEAR);
        assert_true(teach_jaccard(&x[1], &x[2]) >= TEACH_NEAR);
        assert_true(teach_jaccard(&x[0], &x[2]) < TEACH_NEAR);
        assert_int_equal(unanswered_group(x, 3, g), 2);
        assert_int_equal(g[2], 1);
    }
    assert_int_equal(unanswered_group(w, 0, g), 0);
    /* the threshold is the calibrated match band's lower third */
    assert_true(UNANSWERED_LOW_CONFIDENCE > INTENT_CLARIFY_BELOW);
    assert_true(UNANSWERED_LOW_CONFIDENCE > 0.59 &&
                UNANSWERED_LOW_CONFIDENCE < 0.61); /* 0.4 + 0.6 / 3 */
}

/* ---- the conflict rules on a small index ------------------------------------- */

static const char *const labels[] = {"khai-sinh", "khai-tu", "ket-hon"};

static const struct intent_example phrases[] = {
    {"khai-sinh", "đăng ký khai sinh cho con"},
    {"khai-sinh", "làm giấy khai sinh cho bé mới sinh"},
    {"khai-sinh", "vợ tôi mới sinh em bé làm giấy tờ gì cho cháu"},
    {"khai-sinh", "thủ tục làm giấy khai sinh"},
    {"khai-tu", "đăng ký khai tử cho người mất"},
    {"khai-tu", "làm giấy chứng tử cho bố"},
    {"khai-tu", "bà tôi mất rồi báo tử ở đâu"},
    {"khai-tu", "người thân qua đời cần làm giấy tờ gì"},
    {"ket-hon", "đăng ký kết hôn"},
    {"ket-hon", "sắp cưới muốn làm giấy kết hôn"},
    {"ket-hon", "lấy vợ cần giấy tờ gì"},
    {"none", "thời tiết hôm nay thế nào"},
    {"none", "giá vàng hôm nay"},
    {"none", "cách nấu phở bò"},
};
#define N_PHRASES (sizeof(phrases) / sizeof(phrases[0]))

static struct intent_index *index_of(const char *text, const char *label)
{
    static struct intent_example all[N_PHRASES + 1];
    struct intent_spec s;
    struct mc_err err = {{0}};
    struct intent_index *idx;

    memcpy(all, phrases, sizeof(phrases));
    all[N_PHRASES] = (struct intent_example){label, text};
    memset(&s, 0, sizeof(s));
    s.labels = labels;
    s.n_labels = 3;
    s.examples = all;
    s.n_examples = N_PHRASES + (text != NULL);
    idx = intent_index_new(&s, &err);
    assert_non_null(idx);
    return idx;
}

static void test_check_near(void **state)
{
    struct teach_conflict c;

    (void)state;
    /* the same words under the same label: nothing to teach */
    assert_int_equal(teach_check_near(phrases, N_PHRASES, "ĐĂNG KÝ KẾT HÔN!", "ket-hon", &c), 0);
    assert_int_equal(c.verdict, TEACH_DUPLICATE);
    assert_string_equal(c.text, "đăng ký kết hôn");
    /* near a phrase of another label (5 of 6 words): refused, naming it */
    assert_int_equal(
        teach_check_near(phrases, N_PHRASES, "làm giấy chứng tử cho bố tôi", "khai-sinh", &c), 0);
    assert_int_equal(c.verdict, TEACH_NEAR_OTHER);
    assert_string_equal(c.label, "khai-tu");
    assert_string_equal(c.text, "làm giấy chứng tử cho bố");
    assert_true(c.similarity >= TEACH_NEAR);
    assert_string_equal(teach_verdict_name(c.verdict), "near_other");
    /* near a phrase of its own label, or sharing few words with another: fine */
    assert_int_equal(
        teach_check_near(phrases, N_PHRASES, "làm giấy chứng tử cho bố tôi", "khai-tu", &c), 0);
    assert_int_equal(c.verdict, TEACH_OK);
    assert_int_equal(
        teach_check_near(phrases, N_PHRASES, "ông tui về với ông bà rồi", "khai-tu", &c), 0);
    assert_int_equal(c.verdict, TEACH_OK);
    assert_int_equal(teach_check_near(phrases, N_PHRASES, "\xff", "khai-tu", &c), -EINVAL);
}

static void test_check_index(void **state)
{
    struct intent_index *cur = index_of(NULL, NULL), *trial;
    struct intent_result *r = malloc(sizeof(*r));
    struct teach_conflict c;
    const char *breaker = "Đăng ký kết hôn!";

    (void)state;
    assert_non_null(r);
    /* the phrase it would break is answered right today */
    assert_int_equal(intent_match(cur, "đăng ký kết hôn", sizeof "đăng ký kết hôn" - 1, r), 0);
    assert_string_equal(teach_answer(r), "ket-hon");
    /* rule 3 on its own (rule 2 refuses this one first): with the same words
     * taught as khai-sinh, "đăng ký kết hôn" is no longer answered ket-hon.
     * Each training phrase is its own nearest phrase, so on an index this
     * size only a phrase this close takes one over (docs/admin.md) */
    trial = index_of(breaker, "khai-sinh");
    assert_int_equal(teach_check_index(phrases, N_PHRASES, breaker, cur, trial, &c), 0);
    assert_int_equal(c.verdict, TEACH_BREAKS);
    assert_string_equal(c.text, "đăng ký kết hôn");
    assert_string_equal(c.label, "ket-hon");
    assert_string_not_equal(c.answer, "ket-hon");
    intent_index_free(trial);
    /* a new way to say a death, as khai-tu: every phrase keeps its answer */
    trial = index_of("ông tui về với ông bà rồi", "khai-tu");
    assert_int_equal(
        teach_check_index(phrases, N_PHRASES, "ông tui về với ông bà rồi", cur, trial, &c), 0);
    assert_int_equal(c.verdict, TEACH_OK);
    assert_int_equal(
        intent_match(trial, "ông tui về với ông bà rồi", sizeof "ông tui về với ông bà rồi" - 1, r),
        0);
    assert_string_equal(teach_answer(r), "khai-tu");
    intent_index_free(trial);
    intent_index_free(cur);
    free(r);
}

/* ---- the store ------------------------------------------------------------------ */

static int count_phrase(void *ctx, const struct store_phrase *p)
{
    int *n = ctx;

    assert_string_equal(p->officer, "lan.nt");
    assert_string_equal(p->text, "ông tui về với ông bà rồi");
    (*n)++;
    return 0;
}

struct seen {
    int n;
    char decisions[8][8];
    char candidates[8][128];
};

static int on_unanswered(void *ctx, const struct store_unanswered *u)
{
    struct seen *s = ctx;

    snprintf(s->decisions[s->n], sizeof(s->decisions[0]), "%s", u->decision);
    snprintf(s->candidates[s->n], sizeof(s->candidates[0]), "%s", u->candidates);
    s->n++;
    return 0;
}

static void turn(struct store *st, struct session *s, int64_t ts, const char *decision, double conf,
                 const char *reply)
{
    struct session_turn t[2];

    memset(t, 0, sizeof(t));
    t[0].role = "user";
    t[0].text = "câu hỏi";
    t[0].label = "khai-tu";
    t[0].confidence = conf;
    t[0].decision = decision;
    t[1] = t[0];
    t[1].role = "bot";
    t[1].text = reply;
    s->last_seen = ts;
    assert_int_equal(store_turn_save(st, s, t, 2), 0);
}

static void test_store(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct store_report_span sp;
    struct session s;
    struct seen seen;
    char label[STORE_PHRASE_LABEL_MAX];
    int64_t id, id2, rev;
    int n = 0;

    (void)state;
    assert_non_null(st);
    assert_int_equal(store_phrase_rev(st, &rev), 0);
    assert_int_equal(rev, 0);
    assert_int_equal(
        store_phrase_add(st, "ông tui về với ông bà rồi", "khai-tu", "lan.nt", 1000, &id, &rev), 0);
    assert_int_equal(rev, 1);
    assert_int_equal(store_phrase_add(st, "x", "khai-tu", "lan.nt", 1000, &id2, &rev), 0);
    assert_int_equal(rev, 2);
    assert_int_equal(store_phrase_delete(st, id2, label, &rev), 0);
    assert_string_equal(label, "khai-tu");
    assert_int_equal(rev, 3);
    assert_int_equal(store_phrase_delete(st, id2, label, &rev), -ENOENT);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_phrase_list(st, count_phrase, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(store_phrase_rev(st, &rev), 0);
    assert_int_equal(rev, 3); /* a refused delete does not bump the revision */

    /* unanswered: none, clarify and a match under the line; a sure match and
     * one outside the span are not */
    assert_int_equal(session_create(st, "web", &s), 0);
    turn(st, &s, 5000, "none", 0.9,
         "{\"understanding\":{\"candidates\":[{\"label\":\"khai-tu\"}]}}");
    turn(st, &s, 5001, "clarify", 0.45, "not json");
    turn(st, &s, 5002, "match", UNANSWERED_LOW_CONFIDENCE - 0.01, "{}");
    turn(st, &s, 5003, "match", UNANSWERED_LOW_CONFIDENCE + 0.01, "{}");
    turn(st, &s, 9000, "none", 0.9, "{}");
    assert_int_equal(store_commit(st), 0);
    session_fini(&s);
    memset(&seen, 0, sizeof(seen));
    sp = (struct store_report_span){4000, 6000, 0};
    assert_int_equal(store_unanswered(st, &sp, UNANSWERED_LOW_CONFIDENCE, 10, on_unanswered, &seen),
                     0);
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.decisions[0], "match"); /* newest first */
    assert_string_equal(seen.decisions[1], "clarify");
    assert_string_equal(seen.decisions[2], "none");
    assert_string_equal(seen.candidates[2], "[{\"label\":\"khai-tu\"}]");
    assert_string_equal(seen.candidates[1], "[]"); /* a record that is not JSON */
    assert_string_equal(seen.candidates[0], "[]");
    store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_and_jaccard),
        cmocka_unit_test(test_group),
        cmocka_unit_test(test_check_near),
        cmocka_unit_test(test_check_index),
        cmocka_unit_test_setup_teardown(test_store, fixture_db_setup, fixture_db_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
