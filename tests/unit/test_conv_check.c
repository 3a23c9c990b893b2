/* tests/unit/test_conv_check.c - the dossier pre-check as data: questions
 * in guide order, a condition asked before its document, one answer for
 * documents sharing a question, going back, and the final checklist. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "conv_check.h"

/* d1 always; d2 and d3 share condition A; d4 has condition B; d5 only a "when". */
static json_t *guide(void)
{
    json_t *g = json_pack(
        "{s:s,s:s,s:[{s:s,s:s,s:s,s:i,s:n,s:n,s:s,s:n},"
        "{s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:n},"
        "{s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:{s:s,s:s}},"
        "{s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:n},"
        "{s:s,s:s,s:s,s:i,s:s,s:n,s:s,s:n}],s:[s,s]}",
        "id", "thu-nghiem", "name", "Thủ tục thử", "documents", "id", "d1", "name", "Tờ khai",
        "kind", "original", "count", 1, "when", "ask", "how_to_get", "Lấy tại trung tâm.", "form",
        "id", "d2", "name", "Hộ chiếu", "kind", "copy", "count", 1, "when",
        "nếu là người nước ngoài", "ask", "Bạn là người nước ngoài phải không?", "how_to_get",
        "Photo hộ chiếu.", "form", "id", "d3", "name", "Giấy xác nhận", "kind", "original", "count",
        2, "when", "nếu là người nước ngoài", "ask", "Bạn là người nước ngoài phải không?",
        "how_to_get", "Xin ở nước sở tại.", "form", "name", "Mẫu XN", "code", "Mẫu 01", "id", "d4",
        "name", "Giấy ủy quyền", "kind", "original", "count", 1, "when", "nếu nộp thay", "ask",
        "Bạn nộp thay người khác phải không?", "how_to_get", "Viết giấy.", "form", "id", "d5",
        "name", "Giấy khám", "kind", "original", "count", 1, "when", "nếu trên 60 tuổi", "ask",
        "how_to_get", "Khám ở bệnh viện.", "form", "return_reasons", "Thiếu tờ khai", "Ảnh mờ");

    assert_non_null(g);
    return g;
}

static void expect_q(const json_t *g, const json_t *check, const char *doc,
                     enum conv_question_kind kind, size_t n)
{
    struct conv_question q;

    assert_int_equal(conv_check_walk(g, check, &q, NULL), 1);
    assert_string_equal(json_string_value(json_object_get(q.doc, "id")), doc);
    assert_int_equal(q.kind, kind);
    assert_int_equal(q.n, n);
    assert_int_equal(q.total, 5);
}

static const char *status(const json_t *statuses, const char *id)
{
    return json_string_value(json_object_get(statuses, id));
}

static void test_walk_and_checklist(void **state)
{
    json_t *g = guide(), *c = conv_check_new(), *st = json_object(), *list, *it;
    struct conv_question q;

    (void)state;
    expect_q(g, c, "d1", CONV_Q_DOCUMENT, 1);
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_YES), 0);
    expect_q(g, c, "d2", CONV_Q_CONDITION, 2);
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_YES), 0);
    expect_q(g, c, "d2", CONV_Q_DOCUMENT, 2);
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_NO), 0);
    /* d3 shares d2's question: asked directly as a document */
    expect_q(g, c, "d3", CONV_Q_DOCUMENT, 3);
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_UNKNOWN), 0);
    expect_q(g, c, "d4", CONV_Q_CONDITION, 4);
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_NO), 0);
    /* a "when" without an "ask" is still a condition */
    expect_q(g, c, "d5", CONV_Q_CONDITION, 5);
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_UNKNOWN), 0);
    assert_int_equal(conv_check_walk(g, c, &q, st), 0);
    assert_string_equal(status(st, "d1"), "ready");
    assert_string_equal(status(st, "d2"), "missing");
    assert_string_equal(status(st, "d3"), "unknown");
    assert_string_equal(status(st, "d4"), "not_needed");
    assert_string_equal(status(st, "d5"), "unknown"); /* not sure it applies */
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_YES), -ENOENT);

    list = conv_check_list(g, st);
    assert_non_null(list);
    assert_string_equal(json_string_value(json_object_get(list, "procedure")), "thu-nghiem");
    assert_string_equal(json_string_value(json_object_get(list, "title")), "Thủ tục thử");
    assert_string_equal(json_string_value(json_object_get(list, "url")), "/thu-tuc/thu-nghiem");
    assert_true(json_is_false(json_object_get(list, "complete")));
    assert_int_equal(json_array_size(json_object_get(list, "items")), 5);
    it = json_array_get(json_object_get(list, "items"), 2);
    assert_string_equal(json_string_value(json_object_get(it, "id")), "d3");
    assert_string_equal(json_string_value(json_object_get(it, "status")), "unknown");
    assert_int_equal(json_integer_value(json_object_get(it, "count")), 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(it, "form"), "name")),
                        "Mẫu XN");
    assert_true(
        json_is_null(json_object_get(json_array_get(json_object_get(list, "items"), 0), "form")));
    assert_int_equal(json_array_size(json_object_get(list, "return_reasons")), 2);
    json_decref(list);
    json_decref(st);
    json_decref(c);
    json_decref(g);
}

static void test_conditions_not_applying(void **state)
{
    json_t *g = guide(), *c = conv_check_new(), *st = json_object(), *list;
    struct conv_question q;

    (void)state;
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_YES), 0); /* d1 */
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_NO), 0);  /* A: no -> d2, d3 */
    expect_q(g, c, "d4", CONV_Q_CONDITION, 4);
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_NO), 0); /* B */
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_NO), 0); /* d5's when */
    assert_int_equal(conv_check_walk(g, c, &q, st), 0);
    assert_string_equal(status(st, "d3"), "not_needed");
    list = conv_check_list(g, st);
    assert_true(json_is_true(json_object_get(list, "complete")));
    json_decref(list);
    json_decref(st);
    json_decref(c);
    json_decref(g);
}

static void test_undo(void **state)
{
    json_t *g = guide(), *c = conv_check_new();

    (void)state;
    assert_int_equal(conv_check_undo(c), -ENOENT);
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_YES), 0); /* d1 */
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_YES), 0); /* A */
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_YES), 0); /* d2 */
    expect_q(g, c, "d3", CONV_Q_DOCUMENT, 3);
    assert_int_equal(conv_check_undo(c), 0);
    expect_q(g, c, "d2", CONV_Q_DOCUMENT, 2);
    assert_int_equal(conv_check_undo(c), 0);
    expect_q(g, c, "d2", CONV_Q_CONDITION, 2);
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_NO), 0);
    expect_q(g, c, "d4", CONV_Q_CONDITION, 4);
    json_decref(c);
    json_decref(g);
}

static void test_guide_changed_between_turns(void **state)
{
    json_t *g = guide(), *c = conv_check_new(), *docs;

    (void)state;
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_YES), 0); /* d1 */
    /* a reviewer removed d1 and the state still names it: the walk ignores it */
    docs = json_object_get(g, "documents");
    assert_int_equal(json_array_remove(docs, 0), 0);
    {
        struct conv_question q;

        assert_int_equal(conv_check_walk(g, c, &q, NULL), 1);
        assert_string_equal(json_string_value(json_object_get(q.doc, "id")), "d2");
        assert_int_equal(q.n, 1);
        assert_int_equal(q.total, 4);
    }
    json_decref(c);
    json_decref(g);
}

static void test_empty_guide(void **state)
{
    json_t *g = json_pack("{s:s,s:s,s:[]}", "id", "x", "name", "X", "documents");
    json_t *c = conv_check_new(), *list;
    struct conv_question q;

    (void)state;
    assert_int_equal(conv_check_walk(g, c, &q, NULL), 0);
    assert_int_equal(conv_check_answer(g, c, CONV_ANSWER_YES), -ENOENT);
    list = conv_check_list(g, NULL);
    assert_true(json_is_true(json_object_get(list, "complete")));
    assert_int_equal(json_array_size(json_object_get(list, "return_reasons")), 0);
    json_decref(list);
    json_decref(c);
    json_decref(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_and_checklist),
        cmocka_unit_test(test_conditions_not_applying),
        cmocka_unit_test(test_undo),
        cmocka_unit_test(test_guide_changed_between_turns),
        cmocka_unit_test(test_empty_guide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
