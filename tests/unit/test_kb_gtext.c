/* tests/unit/test_kb_gtext.c - the folded words of a guide built once with
 * the snapshot (kb_gtext.h), on an invented guide: what each text folds to,
 * the content words of an FAQ question and which of them name the guide,
 * the word set of the whole guide, and that the conversation's matching
 * gives the same answer from them as from the guide's JSON. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "conv_guide.h"
#include "conv_topic.h"
#include "kb_gtext.h"

static const char guide[] =
    "{\"id\":\"cu-tru\",\"name\":\"Đăng ký lưu trú dài hạn\","
    "\"aliases\":[\"khai lưu trú\",\"báo lưu trú nhà thuê\"],"
    "\"online\":{\"text\":\"Khai trên ứng dụng VNeID.\",\"links\":[\"x\"]},"
    "\"documents\":[{\"id\":\"the\",\"name\":\"Thẻ căn cước của người khai\"}],"
    "\"faq\":[{\"q\":\"Người nước ngoài có được khai lưu trú không?\",\"a\":\"Được.\"},"
    "{\"q\":\"Khai muộn có bị phạt không?\",\"a\":\"Có thể bị phạt.\"}]}";

static bool word_is(const struct fold_word *w, const char *s)
{
    return w->len == strlen(s) && memcmp(w->p, s, w->len) == 0;
}

static void test_folds(void **state)
{
    json_t *g = json_loads(guide, 0, NULL);
    struct kb_gtext *x;

    (void)state;
    assert_non_null(g);
    x = kb_gtext_new(g);
    assert_non_null(x);
    assert_ptr_equal(x->guide, g);
    assert_int_equal(x->n_names, 4); /* name, short name, 2 aliases */
    assert_string_equal(x->names[0].text, "dang ky luu tru dai han");
    assert_string_equal(x->names[1].text, ""); /* no short name */
    assert_int_equal(x->names[1].n, 0);
    assert_string_equal(x->names[3].text, "bao luu tru nha thue");
    assert_int_equal(x->names[3].n, 5);
    assert_int_equal(x->n_docs, 1);
    assert_string_equal(x->docs[0].text, "the can cuoc cua nguoi khai");
    assert_int_equal(x->n_faq, 2);
    assert_string_equal(x->faq[0].text, "nguoi nuoc ngoai co duoc khai luu tru khong ,");
    assert_int_equal(x->faq[0].n, 9); /* the "," mark is no word */
    kb_gtext_free(x);
    json_decref(g);
}

static void test_faq_content(void **state)
{
    json_t *g = json_loads(guide, 0, NULL);
    struct kb_gtext *x = kb_gtext_new(g);
    static const char *const want[] = {"nguoi", "nuoc", "ngoai", "khai", "luu", "tru"};
    static const bool named[] = {false, false, false, false, true, true};
    size_t i;

    (void)state;
    assert_non_null(x);
    /* "co", "duoc", "khong" are stop words; "luu tru" is the guide's name */
    assert_int_equal(x->faq[0].nc, sizeof(want) / sizeof(want[0]));
    for (i = 0; i < x->faq[0].nc; i++) {
        assert_true(word_is(&x->faq[0].c[i], want[i]));
        assert_int_equal(x->faq[0].named[i], named[i]);
    }
    kb_gtext_free(x);
    json_decref(g);
}

static void test_words(void **state)
{
    json_t *g = json_loads(guide, 0, NULL);
    struct kb_gtext *x = kb_gtext_new(g);
    struct fold_word w;

    (void)state;
    assert_non_null(x);
    w.p = "vneid"; /* from online.text, two levels down */
    w.len = 5;
    assert_true(kb_gtext_has_word(x, &w));
    w.p = "cuoc"; /* from a document's name inside an array */
    w.len = 4;
    assert_true(kb_gtext_has_word(x, &w));
    w.p = "cuo"; /* a prefix of a word is not a word */
    w.len = 3;
    assert_false(kb_gtext_has_word(x, &w));
    w.p = "cu"; /* the id "cu-tru" folds to "cu tru" */
    w.len = 2;
    assert_true(kb_gtext_has_word(x, &w));
    assert_true(conv_topic_covered_in(x, "vneid the can cuoc"));
    assert_false(conv_topic_covered_in(x, "vneid xe may"));
    kb_gtext_free(x);
    json_decref(g);
}

static void test_same_as_json(void **state)
{
    json_t *g = json_loads(guide, 0, NULL);
    struct kb_gtext *x = kb_gtext_new(g);
    const json_t *faq = json_array_get(json_object_get(g, "faq"), 0);

    (void)state;
    assert_non_null(x);
    assert_ptr_equal(conv_guide_faq_in(x, "nguoi nuoc ngoai khai luu tru duoc khong"), faq);
    assert_ptr_equal(conv_guide_faq(g, "nguoi nuoc ngoai khai luu tru duoc khong"), faq);
    assert_null(conv_guide_faq_in(x, "luu tru o dau"));
    assert_ptr_equal(conv_guide_document_in(x, "can the can cuoc khong"),
                     json_array_get(json_object_get(g, "documents"), 0));
    assert_true(conv_topic_names_in(x, "bao luu tru nha thue", true));
    assert_false(conv_topic_names_in(x, "bao luu tru nha thue", false));
    kb_gtext_free(x);
    json_decref(g);
}

static void test_invalid_text(void **state)
{
    json_t *g = json_pack("{s:s,s:s}", "id", "x", "name", "ok");
    struct kb_gtext *x;

    (void)state;
    assert_non_null(g);
    /* jansson refuses invalid UTF-8 in json_string(); json_stringn_nocheck() keeps it */
    assert_int_equal(json_object_set_new(g, "short_name", json_stringn_nocheck("a\xff", 2)), 0);
    x = kb_gtext_new(g);
    assert_non_null(x);
    assert_int_equal(x->names[1].rc, -EINVAL);
    assert_string_equal(x->names[1].text, "");
    assert_string_equal(x->names[0].text, "ok");
    kb_gtext_free(x);
    json_decref(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folds),        cmocka_unit_test(test_faq_content),
        cmocka_unit_test(test_words),        cmocka_unit_test(test_same_as_json),
        cmocka_unit_test(test_invalid_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
