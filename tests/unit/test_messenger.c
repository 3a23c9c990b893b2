/* tests/unit/test_messenger.c - Messenger signatures, event parsing and
 * rendering within the platform's limits. */
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chan_text.h"
#include "messenger.h"
#include "mc_utf8.h"

static void sign(const char *secret, const char *body, char out[80])
{
    unsigned char md[32];
    unsigned int n = 0;
    int i;

    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, strlen(body), md,
         &n);
    memcpy(out, "sha256=", sizeof "sha256=");
    for (i = 0; i < 32; i++)
        snprintf(out + sizeof "sha256=" - 1 + 2 * i, 3, "%02x", md[i]);
}

static void test_signature(void **state)
{
    const char *body = "{\"object\":\"page\",\"entry\":[]}";
    char sig[80];

    (void)state;
    sign("s3cret", body, sig);
    assert_true(chan_messenger_signature_ok("s3cret", body, strlen(body), sig));
    assert_false(chan_messenger_signature_ok("other", body, strlen(body), sig));
    assert_false(chan_messenger_signature_ok("s3cret", body, strlen(body) - 1, sig));
    assert_false(chan_messenger_signature_ok("s3cret", body, strlen(body), NULL));
    assert_false(chan_messenger_signature_ok("s3cret", body, strlen(body), "sha256=zz"));
    sig[10] = sig[10] == 'a' ? 'b' : 'a';
    assert_false(chan_messenger_signature_ok("s3cret", body, strlen(body), sig));
    assert_false(chan_messenger_signature_ok("", body, strlen(body), sig));
}

static void test_parse(void **state)
{
    const char *body =
        "{\"object\":\"page\",\"entry\":[{\"messaging\":["
        "{\"sender\":{\"id\":\"u1\"},\"message\":{\"mid\":\"m1\",\"text\":\"khai sinh\"}},"
        "{\"sender\":{\"id\":\"u1\"},\"message\":{\"mid\":\"m2\",\"text\":\"Có\","
        "\"quick_reply\":{\"payload\":\"ans:yes\"}}},"
        "{\"sender\":{\"id\":\"p\"},\"message\":{\"mid\":\"m3\",\"text\":\"x\",\"is_echo\":true}},"
        "{\"sender\":{\"id\":\"u1\"},\"delivery\":{\"watermark\":1}},"
        "{\"sender\":{\"id\":\"u2\"},\"message\":{\"mid\":\"m4\",\"attachments\":[{}]}}]},"
        "{\"messaging\":[{\"sender\":{\"id\":\"u3\"},\"postback\":{\"mid\":\"m5\","
        "\"payload\":\"proc:tam-tru\"}}]}]}";
    struct chan_event ev[8];
    size_t n;

    (void)state;
    assert_int_equal(chan_messenger_parse(body, strlen(body), ev, 8, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(ev[0].kind, CHAN_EV_TEXT);
    assert_string_equal(ev[0].text, "khai sinh");
    assert_string_equal(ev[0].event_id, "m1");
    assert_int_equal(ev[1].kind, CHAN_EV_POSTBACK);
    assert_string_equal(ev[1].text, "ans:yes");
    assert_int_equal(ev[2].kind, CHAN_EV_UNSUPPORTED);
    assert_string_equal(ev[2].user, "u2");
    assert_int_equal(ev[3].kind, CHAN_EV_POSTBACK);
    assert_string_equal(ev[3].text, "proc:tam-tru");
    /* more events than room: the first ones and -E2BIG, never a silent drop */
    assert_int_equal(chan_messenger_parse(body, strlen(body), ev, 2, &n), -E2BIG);
    assert_int_equal(n, 2);
    assert_int_equal(chan_messenger_parse("{\"object\":\"user\"}",
                                          sizeof "{\"object\":\"user\"}" - 1, ev, 8, &n),
                     -EINVAL);
    assert_int_equal(chan_messenger_parse("nope", sizeof "nope" - 1, ev, 8, &n), -EINVAL);
}

static void test_render_limits(void **state)
{
    json_t *reply = json_pack("{s:[{s:s}],s:[]}", "messages", "text", "Chào bạn", "quick_replies");
    json_t *qrs = json_object_get(reply, "quick_replies"), *bodies, *last;
    char big[5000], title[40];
    size_t i;
    int k;

    (void)state;
    for (k = 0; k < 16; k++) {
        snprintf(title, sizeof(title), "Lựa chọn thật dài số %d", k);
        json_array_append_new(qrs, json_pack("{s:s,s:s}", "title", title, "payload", "next"));
    }
    for (k = 0, i = 0; k < 90; k++)
        i +=
            (size_t)snprintf(big + i, sizeof(big) - i, "%s", "Câu dài để thử việc chia tin nhắn. ");
    json_array_append_new(json_object_get(reply, "messages"), json_pack("{s:s}", "text", big));
    bodies = chan_messenger_render(reply, "u9");
    assert_non_null(bodies);
    assert_true(json_array_size(bodies) >= 3); /* 1 short + the long one split */
    json_array_foreach(bodies, i, last)
    {
        const char *t =
            json_string_value(json_object_get(json_object_get(last, "message"), "text"));

        assert_string_equal(
            json_string_value(json_object_get(json_object_get(last, "recipient"), "id")), "u9");
        assert_true(mc_utf8_count(t, strlen(t)) <= CHAN_MESSENGER_TEXT_MAX);
        if (i + 1 < json_array_size(bodies))
            assert_null(json_object_get(json_object_get(last, "message"), "quick_replies"));
    }
    { /* the long text's parts, joined with the single spaces it had there, are the text */
        char joined[sizeof(big)];
        size_t used = 0, end = strlen(big);

        for (i = 1; i < json_array_size(bodies); i++) {
            const char *t = json_string_value(
                json_object_get(json_object_get(json_array_get(bodies, i), "message"), "text"));

            assert_true(used + strlen(t) + 1 < sizeof(joined));
            used +=
                (size_t)snprintf(joined + used, sizeof(joined) - used, "%s%s", i > 1 ? " " : "", t);
        }
        while (end > 0 && big[end - 1] == ' ')
            end--;
        assert_int_equal(used, end);
        assert_memory_equal(joined, big, end);
    }
    last = json_object_get(json_array_get(bodies, json_array_size(bodies) - 1), "message");
    qrs = json_object_get(last, "quick_replies");
    assert_int_equal(json_array_size(qrs), CHAN_MESSENGER_QR_MAX);
    json_array_foreach(qrs, i, last)
    {
        const char *t = json_string_value(json_object_get(last, "title"));

        assert_true(mc_utf8_count(t, strlen(t)) <= CHAN_MESSENGER_TITLE_MAX);
    }
    json_decref(bodies);
    json_decref(reply);
}

/* A text that needs more parts than CHAN_TEXT_PARTS_MAX is an error, never
 * a reply with that message silently missing. */
static void test_render_refuses_to_drop_text(void **state)
{
    static char big[CHAN_TEXT_PARTS_MAX * CHAN_MESSENGER_TEXT_MAX + 100];
    json_t *reply;

    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    reply = json_pack("{s:[{s:s},{s:s}]}", "messages", "text", "Chào bạn", "text", big);
    assert_non_null(reply);
    assert_null(chan_messenger_render(reply, "u9"));
    json_decref(reply);
}

/* An officer's message: RESPONSE within 24 h of the person's last message,
 * MESSAGE_TAG + HUMAN_AGENT after it, nothing past 7 days (docs/officer.md). */
static void test_officer_render(void **state)
{
    const long long hour = 3600LL * 1000;
    json_t *b = NULL, *m;
    char long_text[4500];
    size_t i;

    (void)state;
    assert_int_equal(chan_messenger_officer_render("Chào bạn, tôi là cán bộ xã.", "psid1", 0, &b),
                     0);
    assert_int_equal(json_array_size(b), 1);
    m = json_array_get(b, 0);
    assert_string_equal(json_string_value(json_object_get(m, "messaging_type")), "RESPONSE");
    assert_null(json_object_get(m, "tag"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(m, "recipient"), "id")),
                        "psid1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(m, "message"), "text")),
                        "Chào bạn, tôi là cán bộ xã.");
    json_decref(b);

    /* the last moment of the standard window is still a RESPONSE */
    assert_int_equal(chan_messenger_officer_render("x", "p", CHAN_MESSENGER_STANDARD_MS, &b), 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(b, 0), "messaging_type")),
                        "RESPONSE");
    json_decref(b);

    assert_int_equal(chan_messenger_officer_render("Xin lỗi đã trả lời muộn.", "p", 25 * hour, &b),
                     0);
    m = json_array_get(b, 0);
    assert_string_equal(json_string_value(json_object_get(m, "messaging_type")), "MESSAGE_TAG");
    assert_string_equal(json_string_value(json_object_get(m, "tag")), "HUMAN_AGENT");
    json_decref(b);

    assert_int_equal(chan_messenger_officer_render("x", "p", CHAN_MESSENGER_HUMAN_AGENT_MS, &b), 0);
    json_decref(b);
    b = (json_t *)1;
    assert_int_equal(chan_messenger_officer_render("x", "p", CHAN_MESSENGER_HUMAN_AGENT_MS + 1, &b),
                     -ETIME);
    assert_null(b);
    assert_int_equal(chan_messenger_officer_render(" \n ", "p", 0, &b), -EINVAL);

    /* a long share is split into <= 2000-character messages, each tagged */
    for (i = 0; i + 1 < sizeof(long_text); i++)
        long_text[i] = (i % 50 == 49) ? ' ' : 'a';
    long_text[sizeof(long_text) - 1] = '\0';
    assert_int_equal(chan_messenger_officer_render(long_text, "p", 30 * hour, &b), 0);
    assert_int_equal(json_array_size(b), 3);
    json_array_foreach(b, i, m)
    {
        assert_string_equal(json_string_value(json_object_get(m, "tag")), "HUMAN_AGENT");
        assert_true(json_string_length(json_object_get(json_object_get(m, "message"), "text")) <=
                    CHAN_MESSENGER_TEXT_MAX);
    }
    json_decref(b);
}

static void test_classify(void **state)
{
    static const char rate[] = "{\"error\":{\"message\":\"(#613) Calls to this api have exceeded "
                               "the rate limit.\",\"type\":\"OAuthException\",\"code\":613,"
                               "\"fbtrace_id\":\"A\"}}";
    static const char token[] = "{\"error\":{\"message\":\"Invalid OAuth access token.\","
                                "\"type\":\"OAuthException\",\"code\":190}}";
    static const char away[] = "{\"error\":{\"code\":551,\"error_subcode\":1545041}}";
    static const int temporary[] = {1, 2, 4, 17, 341, 368, 613, 1200};
    char body[96];
    size_t i;

    (void)state;
    assert_int_equal(chan_messenger_classify(200, "{}", 2), CHAN_MESSENGER_OK);
    assert_int_equal(chan_messenger_classify(0, NULL, 0), CHAN_MESSENGER_RETRY);
    assert_int_equal(chan_messenger_classify(503, "down", 4), CHAN_MESSENGER_RETRY);
    assert_int_equal(chan_messenger_classify(429, NULL, 0), CHAN_MESSENGER_RETRY);
    assert_int_equal(chan_messenger_classify(400, rate, sizeof rate - 1), CHAN_MESSENGER_RETRY);
    for (i = 0; i < sizeof(temporary) / sizeof(temporary[0]); i++) {
        int n = snprintf(body, sizeof(body), "{\"error\":{\"code\":%d}}", temporary[i]);

        assert_int_equal(chan_messenger_classify(400, body, (size_t)n), CHAN_MESSENGER_RETRY);
    }
    assert_int_equal(chan_messenger_classify(400, token, sizeof token - 1), CHAN_MESSENGER_GIVE_UP);
    assert_int_equal(chan_messenger_classify(400, away, sizeof away - 1), CHAN_MESSENGER_GIVE_UP);
    assert_int_equal(chan_messenger_classify(403, "<html>", 6), CHAN_MESSENGER_GIVE_UP);
}

static int count_one(void *ctx, const struct chan_event *e)
{
    (void)e;
    ++*(size_t *)ctx;
    return 0;
}

/* Meta batches: 3 entries of 400 events each are all walked (issue 17: more
 * than 32 were dropped). */
static void test_each_walks_a_big_batch(void **state)
{
    json_t *root = json_pack("{s:s,s:[]}", "object", "page", "entry");
    char *body, mid[32];
    size_t seen = 0;
    int e, k;

    (void)state;
    for (e = 0; e < 3; e++) {
        json_t *msgs = json_array();

        for (k = 0; k < 400; k++) {
            snprintf(mid, sizeof(mid), "m_%d_%d", e, k);
            json_array_append_new(msgs, json_pack("{s:{s:s},s:{s:s,s:s}}", "sender", "id", "u",
                                                  "message", "mid", mid, "text", "hi"));
        }
        json_array_append_new(json_object_get(root, "entry"),
                              json_pack("{s:s,s:o}", "id", "PAGE", "messaging", msgs));
    }
    body = json_dumps(root, JSON_COMPACT);
    assert_non_null(body);
    assert_int_equal(chan_messenger_each(body, strlen(body), count_one, &seen), 0);
    assert_int_equal(seen, 1200);
    free(body);
    json_decref(root);
}

/* issue 19: a checklist with its page's absolute link gets it as a message of
 * its own, before the quick replies' message; anything but http(s) is not sent */
static void test_render_share_link(void **state)
{
    json_t *reply =
        json_pack("{s:[{s:s}],s:[{s:s,s:s}],s:{s:s,s:s}}", "messages", "text", "Danh sách hồ sơ",
                  "quick_replies", "title", "Các bước", "payload", "steps:khai-sinh", "checklist",
                  "share_url", "/p/AbCdEfGhIjKlMnOpQrStUv", "share_link",
                  "https://motcua.example.gov.vn/p/AbCdEfGhIjKlMnOpQrStUv");
    json_t *bodies, *msg;

    (void)state;
    bodies = chan_messenger_render(reply, "u9");
    assert_int_equal(json_array_size(bodies), 2);
    msg = json_object_get(json_array_get(bodies, 1), "message");
    assert_string_equal(json_string_value(json_object_get(msg, "text")),
                        CHAN_SHARE_LEAD "https://motcua.example.gov.vn/p/AbCdEfGhIjKlMnOpQrStUv");
    assert_non_null(json_object_get(msg, "quick_replies"));
    json_decref(bodies);
    json_object_set_new(json_object_get(reply, "checklist"), "share_link",
                        json_string("javascript:alert(1)"));
    bodies = chan_messenger_render(reply, "u9");
    assert_int_equal(json_array_size(bodies), 1);
    json_decref(bodies);
    json_decref(reply);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_share_link),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_each_walks_a_big_batch),
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_render_limits),
        cmocka_unit_test(test_render_refuses_to_drop_text),
        cmocka_unit_test(test_officer_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
