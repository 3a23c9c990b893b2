/* tests/unit/test_speech.c - what the kiosk reads aloud (speech.h): the
 * reply's messages without links or bullets, bounded at a space, with an id
 * that depends on the text alone; ids validated strictly. Synthesis, the
 * cache and GET /audio/ are covered end to end (tests/e2e/speech.test.js). */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "speech.h"

static json_t *reply(const char *a, const char *b)
{
    json_t *r = json_pack("{s:[{s:s}]}", "messages", "text", a);

    assert_non_null(r);
    if (b)
        assert_int_equal(
            json_array_append_new(json_object_get(r, "messages"), json_pack("{s:s}", "text", b)),
            0);
    return r;
}

static void test_text_and_id(void **state)
{
    json_t *r = reply("Nơi nộp: Trung tâm. Xem https://dichvucong.gov.vn/p/1 nhé.",
                      "• Giờ làm việc: 8:00–17:00");
    json_t *same = reply("Nơi nộp: Trung tâm. Xem https://dichvucong.gov.vn/p/1 nhé.",
                         "• Giờ làm việc: 8:00–17:00");
    json_t *other = reply("Nơi nộp: Trung tâm.", NULL);
    char id[SPEECH_ID_LEN + 1], id2[SPEECH_ID_LEN + 1], id3[SPEECH_ID_LEN + 1];
    char *text = NULL, *t2 = NULL, *t3 = NULL;

    (void)state;
    assert_int_equal(speech_text(r, &text, id), 0);
    assert_string_equal(text, "Nơi nộp: Trung tâm. Xem nhé.\nGiờ làm việc: 8:00–17:00");
    assert_true(speech_is_id(id, strlen(id)));
    assert_int_equal(speech_text(same, &t2, id2), 0);
    assert_string_equal(id, id2);
    assert_int_equal(speech_text(other, &t3, id3), 0);
    assert_string_not_equal(id, id3);
    free(text);
    free(t2);
    free(t3);
    json_decref(r);
    json_decref(same);
    json_decref(other);
}

static void test_bounded_at_a_space(void **state)
{
    static const char unit[] = "ồ a "; /* 6 bytes: a 3-byte letter, never cut inside */
    size_t n = (SPEECH_TEXT_MAX * 2) / (sizeof unit - 1), i;
    char *big = malloc(n * (sizeof unit - 1) + 1), *text = NULL;
    char id[SPEECH_ID_LEN + 1];
    json_t *r;

    (void)state;
    assert_non_null(big);
    for (i = 0; i < n; i++)
        memcpy(big + i * (sizeof unit - 1), unit, sizeof unit - 1);
    big[n * (sizeof unit - 1)] = '\0';
    r = reply(big, NULL);
    free(big);
    assert_int_equal(speech_text(r, &text, id), 0);
    assert_true(strlen(text) <= SPEECH_TEXT_MAX);
    assert_true(strlen(text) > SPEECH_TEXT_MAX - sizeof unit);
    assert_string_equal(text + strlen(text) - 1, "a"); /* cut at a space, trailing space dropped */
    json_decref(r);
    free(text);
}

static void test_nothing_to_say(void **state)
{
    json_t *r = json_pack("{s:[]}", "messages");
    json_t *links = reply("https://dichvucong.gov.vn", NULL);
    char id[SPEECH_ID_LEN + 1];
    char *text = NULL;

    (void)state;
    assert_int_equal(speech_text(r, &text, id), -ENOENT);
    assert_null(text);
    assert_int_equal(speech_text(links, &text, id), -ENOENT);
    json_decref(r);
    json_decref(links);
}

static void test_ids(void **state)
{
    (void)state;
    assert_true(speech_is_id("0123456789abcdef0123456789abcdef", SPEECH_ID_LEN));
    assert_false(speech_is_id("0123456789ABCDEF0123456789abcdef", SPEECH_ID_LEN));
    assert_false(speech_is_id("0123456789abcdef0123456789abcde", SPEECH_ID_LEN - 1));
    assert_false(speech_is_id("0123456789abcdef0123456789abcd/.", SPEECH_ID_LEN));
    assert_false(speech_is_id("../../../../../../etc/passwd.wav", SPEECH_ID_LEN));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_and_id),
        cmocka_unit_test(test_bounded_at_a_space),
        cmocka_unit_test(test_nothing_to_say),
        cmocka_unit_test(test_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
