/* tests/unit/test_zalo.c - Zalo OA signatures, events, payload detection,
 * rendering with numbered options, and API error classification. */
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "chan_text.h"
#include "zalo.h"

static void mac(const char *app, const char *body, const char *ts, const char *secret, char out[80])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int i;

    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    EVP_DigestUpdate(c, app, strlen(app));
    EVP_DigestUpdate(c, body, strlen(body));
    EVP_DigestUpdate(c, ts, strlen(ts));
    EVP_DigestUpdate(c, secret, strlen(secret));
    EVP_DigestFinal_ex(c, md, &n);
    EVP_MD_CTX_free(c);
    memcpy(out, "mac=", sizeof "mac=");
    for (i = 0; i < 32; i++)
        snprintf(out + sizeof "mac=" - 1 + 2 * i, 3, "%02x", md[i]);
}

static const char *text_event =
    "{\"app_id\":\"42\",\"event_name\":\"user_send_text\",\"timestamp\":\"1700000000000\","
    "\"sender\":{\"id\":\"2512523625412515\"},\"recipient\":{\"id\":\"579745863508352884\"},"
    "\"message\":{\"msg_id\":\"abc\",\"text\":\"lam cccd\"}}";

static void test_signature(void **state)
{
    char sig[80];

    (void)state;
    mac("42", text_event, "1700000000000", "oa", sig);
    assert_true(chan_zalo_signature_ok("42", "oa", text_event, strlen(text_event), sig));
    assert_false(chan_zalo_signature_ok("42", "other", text_event, strlen(text_event), sig));
    assert_false(chan_zalo_signature_ok("43", "oa", text_event, strlen(text_event), sig));
    assert_false(chan_zalo_signature_ok("42", "oa", text_event, strlen(text_event), NULL));
    mac("42", text_event, "1700000000001", "oa", sig); /* wrong timestamp */
    assert_false(chan_zalo_signature_ok("42", "oa", text_event, strlen(text_event), sig));
}

static void test_parse(void **state)
{
    struct chan_event e;
    size_t n;
    const char *numeric = "{\"event_name\":\"user_send_text\",\"timestamp\":1,\"sender\":{\"id\":"
                          "1234567890123},\"message\":{\"msg_id\":77,\"text\":\"next\"}}";
    const char *echo =
        "{\"event_name\":\"oa_send_text\",\"timestamp\":\"1\",\"sender\":{\"id\":\"1\"}}";
    const char *image =
        "{\"event_name\":\"user_send_image\",\"timestamp\":\"1\",\"sender\":{\"id\":"
        "\"9\"},\"message\":{\"msg_id\":\"i1\",\"attachments\":[]}}";
    const char *follow =
        "{\"event_name\":\"follow\",\"timestamp\":\"5\",\"sender\":{\"id\":\"9\"}}";

    (void)state;
    assert_int_equal(chan_zalo_parse(text_event, strlen(text_event), &e, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(e.kind, CHAN_EV_TEXT);
    assert_string_equal(e.user, "2512523625412515");
    assert_string_equal(e.event_id, "abc");
    assert_string_equal(e.text, "lam cccd");
    assert_int_equal(chan_zalo_parse(numeric, strlen(numeric), &e, &n), 0);
    assert_string_equal(e.user, "1234567890123");
    assert_string_equal(e.event_id, "77");
    assert_int_equal(e.kind, CHAN_EV_POSTBACK);
    assert_int_equal(chan_zalo_parse(echo, strlen(echo), &e, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(chan_zalo_parse(image, strlen(image), &e, &n), 0);
    assert_int_equal(e.kind, CHAN_EV_UNSUPPORTED);
    assert_int_equal(chan_zalo_parse(follow, strlen(follow), &e, &n), 0);
    assert_int_equal(e.kind, CHAN_EV_FOLLOW);
    assert_non_null(strstr(e.event_id, "follow-9-5"));
    {
        /* a 19-digit id past int64, unquoted: kept exactly as a string */
        const char *big = "{\"event_name\":\"user_send_text\",\"timestamp\":1,\"sender\":{\"id\":"
                          "9876543210987654321},\"message\":{\"msg_id\":\"q\",\"text\":"
                          "\"so \\\"12345678901234567890\\\" trong chu\"}}";

        assert_int_equal(chan_zalo_parse(big, strlen(big), &e, &n), 0);
        assert_string_equal(e.user, "9876543210987654321");
        assert_string_equal(e.text,
                            "so \"12345678901234567890\" trong chu"); /* strings untouched */
    }
    assert_int_equal(chan_zalo_parse("{}", 2, &e, &n), -EINVAL);
    assert_int_equal(chan_zalo_parse("[", 1, &e, &n), -EINVAL);
}

static void test_payload_shapes(void **state)
{
    (void)state;
    assert_true(chan_zalo_is_payload("docs:khai-sinh"));
    assert_true(chan_zalo_is_payload("step:khai-sinh:3"));
    assert_true(chan_zalo_is_payload("next"));
    assert_false(chan_zalo_is_payload("Giấy tờ: cần gì"));
    assert_false(chan_zalo_is_payload("toi o phuong 1"));
    assert_false(chan_zalo_is_payload("http://x.y"));
}

static void test_render_and_classify(void **state)
{
    json_t *reply = json_pack("{s:[{s:s}],s:[{s:s,s:s},{s:s,s:s}]}", "messages", "text", "Chào",
                              "quick_replies", "title", "Giấy tờ cần chuẩn bị", "payload",
                              "docs:ket-hon", "title", "Nộp ở đâu", "payload", "where:ket-hon");
    json_t *opts = NULL, *bodies = chan_zalo_render(reply, "u1", &opts), *last;
    const char *t;

    (void)state;
    assert_int_equal(json_array_size(bodies), 2);
    last = json_object_get(json_array_get(bodies, 1), "message");
    t = json_string_value(json_object_get(last, "text"));
    assert_string_equal(t, "Gõ số để chọn:\n1. Giấy tờ cần chuẩn bị\n2. Nộp ở đâu");
    assert_int_equal(
        json_array_size(json_object_get(
            json_object_get(json_object_get(last, "attachment"), "payload"), "buttons")),
        2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(opts, 1), "payload")),
                        "where:ket-hon");
    assert_string_equal(json_string_value(json_object_get(json_array_get(opts, 1), "title")),
                        "Nộp ở đâu");
    {
        json_t *b0 = json_array_get(
            json_object_get(json_object_get(json_object_get(last, "attachment"), "payload"),
                            "buttons"),
            0);

        assert_string_equal(json_string_value(json_object_get(b0, "type")), "oa.query.show");
        assert_string_equal(json_string_value(json_object_get(b0, "payload")),
                            "Giấy tờ cần chuẩn bị");
    }
    json_decref(opts);
    json_decref(bodies);
    json_decref(reply);
    assert_int_equal(chan_zalo_classify("{\"error\":0}", sizeof "{\"error\":0}" - 1), CHAN_ZALO_OK);
    assert_int_equal(chan_zalo_classify("{\"error\":-216}", sizeof "{\"error\":-216}" - 1),
                     CHAN_ZALO_TOKEN_EXPIRED);
    assert_int_equal(chan_zalo_classify("{\"error\":-230}", sizeof "{\"error\":-230}" - 1),
                     CHAN_ZALO_GIVE_UP);
    assert_int_equal(chan_zalo_classify("{\"error\":-32}", sizeof "{\"error\":-32}" - 1),
                     CHAN_ZALO_RETRY);
    assert_int_equal(chan_zalo_classify("<html>", sizeof "<html>" - 1), CHAN_ZALO_RETRY);
}

/* A text that needs more parts than CHAN_TEXT_PARTS_MAX is an error, never
 * a reply with that message silently missing. */
static void test_render_refuses_to_drop_text(void **state)
{
    static char big[CHAN_TEXT_PARTS_MAX * CHAN_ZALO_TEXT_MAX + 100];
    json_t *reply, *opts = NULL;

    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    reply = json_pack("{s:[{s:s},{s:s}]}", "messages", "text", "Chào bạn", "text", big);
    assert_non_null(reply);
    assert_null(chan_zalo_render(reply, "u1", &opts));
    assert_null(opts);
    json_decref(reply);
}

/* An officer's message is a consultation (message/cs) message, refused past
 * the 7-day window (docs/officer.md). */
static void test_officer_render(void **state)
{
    json_t *b = NULL, *m;

    (void)state;
    assert_int_equal(chan_zalo_officer_render("Chào bạn, tôi là cán bộ xã.", "u1",
                                              CHAN_ZALO_REPLY_FREE_MS + 1, &b),
                     0);
    assert_int_equal(json_array_size(b), 1);
    m = json_array_get(b, 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(m, "recipient"), "user_id")), "u1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(m, "message"), "text")),
                        "Chào bạn, tôi là cán bộ xã.");
    assert_null(json_object_get(json_object_get(m, "message"), "attachment"));
    json_decref(b);
    assert_int_equal(chan_zalo_officer_render("x", "u1", CHAN_ZALO_CS_WINDOW_MS, &b), 0);
    json_decref(b);
    b = (json_t *)1;
    assert_int_equal(chan_zalo_officer_render("x", "u1", CHAN_ZALO_CS_WINDOW_MS + 1, &b), -ETIME);
    assert_null(b);
    assert_int_equal(chan_zalo_officer_render("", "u1", 0, &b), -EINVAL);
}

#define CLASSIFY(lit) chan_zalo_classify(lit, sizeof lit - 1)

/* Only the documented temporary codes are retried; any other code stops the
 * row at once, so one reply cannot hold back a citizen's later answers for
 * outbox.give_up_seconds (issue 17). */
static void test_classify_codes(void **state)
{
    (void)state;
    assert_int_equal(CLASSIFY("{\"error\":0,\"message\":\"Success\"}"), CHAN_ZALO_OK);
    assert_int_equal(CLASSIFY("{\"error\":-216,\"message\":\"Access token is invalid\"}"),
                     CHAN_ZALO_TOKEN_EXPIRED);
    assert_int_equal(CLASSIFY("{\"error\":-32}"), CHAN_ZALO_RETRY);
    assert_int_equal(CLASSIFY("{\"error\":-50}"), CHAN_ZALO_RETRY);
    assert_int_equal(CLASSIFY("{\"error\":-100}"), CHAN_ZALO_RETRY);
    assert_int_equal(CLASSIFY("{\"error\":-201}"), CHAN_ZALO_GIVE_UP); /* bad parameter */
    assert_int_equal(CLASSIFY("{\"error\":-213}"), CHAN_ZALO_GIVE_UP); /* not a follower */
    assert_int_equal(CLASSIFY("{\"error\":-240}"), CHAN_ZALO_GIVE_UP);
    assert_int_equal(CLASSIFY("{\"error\":-999}"), CHAN_ZALO_GIVE_UP); /* unknown: final */
    assert_int_equal(CLASSIFY("<html>502</html>"), CHAN_ZALO_RETRY);   /* not Zalo's answer */
    assert_int_equal(CLASSIFY("{\"error\":\"x\"}"), CHAN_ZALO_RETRY);
}

/* Zalo's follow event names the citizen in follower.id and has no sender. */
static void test_follow_without_sender(void **state)
{
    static const char body[] =
        "{\"app_id\":\"1\",\"oa_id\":\"579745863508352884\",\"event_name\":\"follow\","
        "\"timestamp\":\"1700000000000\",\"source\":\"oa_profile\","
        "\"follower\":{\"id\":\"6180795416226423201\"},\"user_id_by_app\":\"55\"}";
    static const char unf[] = "{\"event_name\":\"unfollow\",\"timestamp\":\"2\","
                              "\"follower\":{\"id\":6180795416226423201}}";
    static struct chan_event ev;
    size_t n = 9;

    (void)state;
    assert_int_equal(chan_zalo_parse(body, sizeof body - 1, &ev, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ev.kind, CHAN_EV_FOLLOW);
    assert_string_equal(ev.user, "6180795416226423201");
    assert_non_null(strstr(ev.event_id, "follow-6180795416226423201-1700000000000"));
    assert_int_equal(chan_zalo_parse(unf, sizeof unf - 1, &ev, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ev.kind, CHAN_EV_UNFOLLOW);
    assert_string_equal(ev.user, "6180795416226423201");
}

/* issue 19: the checklist page's absolute link, as a message of its own */
static void test_render_share_link(void **state)
{
    json_t *reply = json_pack("{s:[{s:s}],s:[],s:{s:s}}", "messages", "text", "Danh sách hồ sơ",
                              "quick_replies", "checklist", "share_link",
                              "https://motcua.example.gov.vn/p/AbCdEfGhIjKlMnOpQrStUv");
    json_t *opts = NULL, *bodies;

    (void)state;
    bodies = chan_zalo_render(reply, "u1", &opts);
    assert_int_equal(json_array_size(bodies), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(bodies, 1), "message"), "text")),
                        CHAN_SHARE_LEAD "https://motcua.example.gov.vn/p/AbCdEfGhIjKlMnOpQrStUv");
    json_decref(bodies);
    json_decref(opts);
    json_decref(reply);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_share_link),
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_payload_shapes),
        cmocka_unit_test(test_render_and_classify),
        cmocka_unit_test(test_render_refuses_to_drop_text),
        cmocka_unit_test(test_officer_render),
        cmocka_unit_test(test_classify_codes),
        cmocka_unit_test(test_follow_without_sender),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
