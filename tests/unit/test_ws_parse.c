/* tests/unit/test_ws_parse.c - the WebSocket protocol's frame checks
 * (gateway/ws_parse.h): what is accepted, and for each refusal the code, the
 * message and the id it answers, in the protocol's order. The e2e file
 * tests/e2e/gateway.test.js sends the same frames to the real server. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "intent.h"
#include "ws_parse.h"

static int parse(const char *frame, bool hello, struct ws_parsed *p)
{
    return ws_parse_frame(frame, strlen(frame), hello, p);
}

/* The error code frame draws, hello or not; reply_to its id or NULL. */
static void refused(const char *frame, bool hello, const char *code, const char *reply_to)
{
    struct ws_parsed p;

    assert_int_equal(parse(frame, hello, &p), -EINVAL);
    assert_int_equal(p.type, WS_PARSE_NONE);
    assert_string_equal(p.code, code);
    assert_non_null(p.message);
    if (reply_to)
        assert_string_equal(p.reply_to, reply_to);
    else
        assert_null(p.reply_to);
    ws_parsed_fini(&p);
}

static void test_hello(void **state)
{
    struct ws_parsed p;

    (void)state;
    assert_int_equal(parse("{\"type\":\"hello\",\"session\":null}", false, &p), 0);
    assert_int_equal(p.type, WS_PARSE_HELLO);
    assert_null(p.session);
    assert_string_equal(p.channel, "web"); /* the default */
    ws_parsed_fini(&p);
    assert_int_equal(
        parse("{\"type\":\"hello\",\"session\":\"abc\",\"channel\":\"kiosk\"}", true, &p), 0);
    assert_string_equal(p.session, "abc");
    assert_string_equal(p.channel, "kiosk");
    ws_parsed_fini(&p);
    refused("{\"type\":\"hello\",\"session\":5}", false, "bad_field", NULL);
    refused("{\"type\":\"hello\",\"channel\":null}", false, "bad_field", NULL);
    refused("{\"type\":\"hello\",\"channel\":\"zalo\"}", false, "bad_channel", NULL);
}

static void test_message(void **state)
{
    struct ws_parsed p;

    (void)state;
    assert_int_equal(parse("{\"type\":\"message\",\"text\":\"dk ks\",\"id\":\"m1\"}", true, &p), 0);
    assert_int_equal(p.type, WS_PARSE_MESSAGE);
    assert_string_equal(p.text, "dk ks");
    assert_int_equal(p.text_len, 5);
    assert_string_equal(p.id, "m1");
    ws_parsed_fini(&p);
    assert_int_equal(parse("{\"type\":\"postback\",\"payload\":\"next\",\"id\":null}", true, &p),
                     0);
    assert_int_equal(p.type, WS_PARSE_POSTBACK);
    assert_string_equal(p.text, "next");
    assert_null(p.id);
    ws_parsed_fini(&p);
    /* a vote: its fields are feedback.h's, after a hello */
    assert_int_equal(parse("{\"type\":\"feedback\",\"reply_to\":\"m1\",\"vote\":\"up\"}", true, &p),
                     0);
    assert_int_equal(p.type, WS_PARSE_FEEDBACK);
    assert_non_null(p.msg);
    ws_parsed_fini(&p);
    refused("{\"type\":\"feedback\",\"vote\":\"up\"}", false, "hello_required", NULL);
    /* erasure: only of a session this connection said hello to */
    assert_int_equal(parse("{\"type\":\"forget\"}", true, &p), 0);
    assert_int_equal(p.type, WS_PARSE_FORGET);
    ws_parsed_fini(&p);
    refused("{\"type\":\"forget\"}", false, "hello_required", NULL);
}

static void test_refusals_in_order(void **state)
{
    char big[INTENT_MAX_INPUT + 64];

    (void)state;
    refused("{\"type\":\"message\",\"text\":\"\xff\"}", true, "invalid_utf8", NULL);
    refused("{\"type\":", true, "bad_json", NULL);
    refused("[1]", true, "bad_json", NULL);
    refused("{\"type\":\"message\",\"type\":\"hello\"}", true, "bad_json", NULL); /* duplicate */
    refused("{\"text\":\"a\"}", true, "missing_field", NULL);
    refused("{\"type\":\"bye\"}", true, "bad_type", NULL);
    /* the id first, then the hello, then the text, each answering the id */
    refused("{\"type\":\"message\",\"id\":7}", false, "bad_field", NULL);
    refused("{\"type\":\"message\",\"id\":\"m2\"}", false, "hello_required", "m2");
    refused("{\"type\":\"message\",\"id\":\"m3\"}", true, "missing_field", "m3");
    refused("{\"type\":\"postback\",\"payload\":1,\"id\":\"m4\"}", true, "bad_field", "m4");
    refused("{\"type\":\"message\",\"text\":\" \\t\\n\",\"id\":\"m5\"}", true, "empty", "m5");
    /* jansson refuses \u0000 without JSON_ALLOW_NUL: no NUL ever reaches a text */
    refused("{\"type\":\"message\",\"text\":\"a\\u0000b\",\"id\":\"m6\"}", true, "bad_json", NULL);
    snprintf(big, sizeof(big), "{\"type\":\"message\",\"text\":\"%0*d\"}", INTENT_MAX_INPUT + 1, 0);
    refused(big, true, "too_long", NULL);
    snprintf(big, sizeof(big), "{\"type\":\"message\",\"text\":\"a\",\"id\":\"%0*d\"}",
             WS_MSG_ID_MAX + 1, 0);
    refused(big, true, "bad_field", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello),
        cmocka_unit_test(test_message),
        cmocka_unit_test(test_refusals_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
