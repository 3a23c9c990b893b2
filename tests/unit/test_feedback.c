/* tests/unit/test_feedback.c - citizens' votes in the store (store.h, "citizen
 * feedback"; gateway/store/store_feedback.c) on a real SQLite file: the
 * answer a vote names (by message id, or the session's latest), one vote per
 * answer with the second replacing the first, bad votes and comments
 * refused, the admin's lists (per procedure, the latest 👎 with their
 * question and answer, newest first, bounded) and the report's figures
 * counting the votes of a span; and feedback_offer, the pre-check question
 * as quick replies for Messenger and Zalo only. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "feedback.h"
#include "session.h"
#include "fixture.h"
#include "store.h"

#define T0 1772384400LL /* 2026-03-02 00:00:00 +07:00 */

/* One turn of s: the citizen's question and the bot's reply, under msg_id. */
static void turn(struct store *st, struct session *s, const char *question, const char *reply,
                 const char *procedure, const char *msg_id)
{
    struct session_turn t[2];

    memset(t, 0, sizeof(t));
    t[0].role = "user";
    t[0].text = question;
    t[0].procedure = procedure;
    t[0].msg_id = msg_id;
    t[1] = t[0];
    t[1].role = "bot";
    t[1].text = reply;
    assert_int_equal(store_turn_save(st, s, t, 2), 0);
}

#define ASKS "{\"messages\":[{\"text\":\"xong\"}],\"feedback\":{\"question\":\"Có giúp?\"}}"
/* the key only inside a text (escaped): not a question */
#define TEXT_ONLY "{\"messages\":[{\"text\":\"\\\"feedback\\\":{\"}]}"

static int on_proc(void *ctx, const char *procedure, uint64_t up, uint64_t down)
{
    char *out = ctx;
    size_t n = strlen(out);

    snprintf(out + n, 256 - n, "%s:%llu/%llu;", procedure, (unsigned long long)up,
             (unsigned long long)down);
    return 0;
}

static int on_down(void *ctx, const struct store_feedback_row *r)
{
    char *out = ctx;
    size_t n = strlen(out);

    snprintf(out + n, 512 - n, "%lld|%s|%s|%s|%s|%s;", (long long)(r->ts - T0), r->channel,
             r->procedure, r->question, r->answer, r->comment);
    return 0;
}

static void test_votes(void **state)
{
    struct store_report_span sp = {T0, T0 + 86400, 7 * 3600};
    struct store_feedback_answer a, b, c;
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct session s1, s2;
    char procs[256] = "", downs[512] = "";
    uint64_t up, down;
    bool avail;

    (void)state;
    assert_non_null(st);
    assert_int_equal(session_create(st, "web", &s1), 0);
    assert_int_equal(session_load_user(st, "messenger", "psid-9", &s2), 0);
    turn(st, &s1, "khai sinh can gi", "{\"messages\":[{\"text\":\"Cần tờ khai\"}]}", "khai-sinh",
         "m1");
    turn(st, &s1, "tam tru", TEXT_ONLY, "tam-tru", "m2");
    turn(st, &s2, "ans:yes", ASKS, "khai-sinh", NULL);

    /* the answer a vote names */
    assert_int_equal(store_feedback_answer(st, s1.id, "m1", &a), 0);
    assert_string_equal(a.msg_id, "m1");
    assert_string_equal(a.procedure, "khai-sinh");
    assert_false(a.asks);
    assert_int_equal(store_feedback_answer(st, s1.id, "nope", &b), -ENOENT);
    assert_int_equal(store_feedback_answer(st, s2.id, "m1", &b), -ENOENT); /* not its session */
    assert_int_equal(store_feedback_answer(st, s1.id, NULL, &b), 0);       /* the latest */
    assert_string_equal(b.msg_id, "m2");
    assert_false(b.asks);
    assert_int_equal(store_feedback_answer(st, s2.id, NULL, &c), 0);
    assert_true(c.asks);
    assert_string_equal(c.msg_id, "");

    /* bad votes and comments change nothing */
    assert_int_equal(store_feedback_put(st, s1.id, &a, "web", "meh", NULL, T0), -EINVAL);
    {
        char big[STORE_FEEDBACK_COMMENT_MAX + 2];

        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(store_feedback_put(st, s1.id, &a, "web", "up", big, T0), -EINVAL);
    }
    /* one vote per answer: the second replaces the first, its time too */
    assert_int_equal(store_feedback_put(st, s1.id, &a, "web", "up", NULL, T0 + 10), 0);
    assert_int_equal(store_feedback_put(st, s1.id, &a, "web", "down", "chua ro", T0 + 20), 0);
    assert_int_equal(store_feedback_put(st, s1.id, &b, "web", "up", NULL, T0 + 30), 0);
    assert_int_equal(store_feedback_put(st, s2.id, &c, "messenger", "down", NULL, T0 + 40), 0);
    assert_int_equal(store_commit(st), 0);

    assert_int_equal(store_report_feedback(st, &sp, &avail, &up, &down), 0);
    assert_true(avail);
    assert_int_equal(up, 1);
    assert_int_equal(down, 2);
    assert_int_equal(store_feedback_by_procedure(st, &sp, 0, on_proc, procs), 0);
    assert_string_equal(procs, "khai-sinh:0/2;tam-tru:1/0;");
    procs[0] = '\0';
    assert_int_equal(store_feedback_by_procedure(st, &sp, 1, on_proc, procs), 0);
    assert_string_equal(procs, "khai-sinh:0/2;"); /* bounded */
    assert_int_equal(store_feedback_downs(st, &sp, 0, on_down, downs), 0);
    assert_string_equal(downs, "40|messenger|khai-sinh|ans:yes|" ASKS "|;"
                               "20|web|khai-sinh|khai sinh can gi|"
                               "{\"messages\":[{\"text\":\"Cần tờ khai\"}]}|chua ro;");
    downs[0] = '\0';
    assert_int_equal(store_feedback_downs(st, &sp, 1, on_down, downs), 0);
    assert_non_null(strstr(downs, "40|messenger"));
    assert_null(strstr(downs, "20|web"));

    /* a span without the votes: zeros */
    sp.from_s = T0 + 41;
    assert_int_equal(store_report_feedback(st, &sp, &avail, &up, &down), 0);
    assert_int_equal(up + down, 0);
    session_fini(&s1);
    session_fini(&s2);
    store_free(st);
}

static void test_offer_only_where_the_page_has_no_buttons(void **state)
{
    json_t *r = json_loads("{\"messages\":[{\"text\":\"xong\"}],\"quick_replies\":[{\"title\":"
                           "\"Nộp ở đâu\",\"payload\":\"where:x\"}],\"feedback\":{\"question\":"
                           "\"Có giúp được bạn không?\"}}",
                           0, NULL);
    json_t *copy = json_deep_copy(r), *plain = json_loads(TEXT_ONLY, 0, NULL);
    json_t *qrs;

    (void)state;
    assert_non_null(r);
    assert_int_equal(feedback_offer(r, "web"), 0);
    assert_int_equal(feedback_offer(r, "kiosk"), 0);
    assert_true(json_equal(r, copy)); /* the widget and the kiosk draw their own */
    assert_int_equal(feedback_offer(plain, "messenger"), 0);
    assert_int_equal(json_array_size(json_object_get(plain, "messages")), 1);
    assert_int_equal(feedback_offer(r, "zalo"), 0);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(r, "messages"), 1), "text")),
                        "Có giúp được bạn không?");
    qrs = json_object_get(r, "quick_replies");
    assert_int_equal(json_array_size(qrs), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(qrs, 0), "payload")),
                        FEEDBACK_PAYLOAD_UP);
    assert_string_equal(json_string_value(json_object_get(json_array_get(qrs, 1), "payload")),
                        FEEDBACK_PAYLOAD_DOWN);
    assert_true(feedback_is_payload("feedback:down"));
    assert_false(feedback_is_payload("feedback:maybe"));
    assert_false(feedback_is_payload(NULL));
    json_decref(r);
    json_decref(copy);
    json_decref(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_votes, fixture_db_setup, fixture_db_teardown),
        cmocka_unit_test(test_offer_only_where_the_page_has_no_buttons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
