/* tests/unit/test_session.c - sessions on the store: by token and by user,
 * idle reset, turns, history, resent-message lookup, survival across reopen
 * (a server restart), and the schema check at open. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "session.h"
#include "fixture.h"
#include "store.h"

static void test_create_save_reload(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct session s, s2;
    char token[SESSION_TOKEN_LEN + 1];

    (void)state;
    assert_non_null(st);
    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(strlen(s.token), SESSION_TOKEN_LEN);
    assert_string_equal(s.state, "{}");
    free(s.state);
    s.state = strdup("{\"procedure\":\"khai-sinh\",\"step\":2}");
    assert_int_equal(session_save_turn(st, &s, NULL, 0), 0);
    assert_int_equal(store_commit(st), 0);
    memcpy(token, s.token, sizeof(token));
    session_fini(&s);
    store_free(st);

    st = store_open(fixture_db, &e); /* a restart */
    assert_non_null(st);
    assert_int_equal(session_load_token(st, token, &s2), 0);
    assert_true(s2.resumed);
    assert_string_equal(s2.state, "{\"procedure\":\"khai-sinh\",\"step\":2}");
    assert_string_equal(s2.channel, "web");
    assert_string_equal(s2.user_key, ""); /* NULL in the table: never "(null)" */
    session_fini(&s2);
    assert_int_equal(session_load_token(st, "not-a-token", &s2), -ENOENT);
    assert_int_equal(session_load_token(st, "0123456789abcdef0123456789abcdef", &s2), -ENOENT);
    store_free(st);
}

static void test_by_user_and_idle(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct session a, b;

    (void)state;
    assert_int_equal(session_load_user(st, "zalo", "1234567890123456789", &a), 0);
    assert_false(a.resumed);
    assert_int_equal(session_load_user(st, "zalo", "1234567890123456789", &b), 0);
    assert_true(b.resumed);
    assert_true(a.id == b.id);
    free(b.state);
    b.state = strdup("{\"procedure\":\"tam-tru\"}");
    session_apply_idle(&b, b.last_seen + 10, 1800);
    assert_false(b.expired);
    session_apply_idle(&b, b.last_seen + 1801, 1800);
    assert_true(b.expired);
    assert_string_equal(b.state, "{}");
    session_fini(&a);
    session_fini(&b);
    store_free(st);
}

static void test_turns_history_and_resend(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct session s;
    struct session_turn t[2] = {{0}};
    json_t *h;
    char *again;
    int i;

    (void)state;
    assert_int_equal(session_create(st, "kiosk", &s), 0);
    for (i = 0; i < 5; i++) {
        t[0].role = "user";
        t[0].text = "đăng ký tạm trú";
        t[0].label = "tam-tru";
        t[0].confidence = 0.9;
        t[0].decision = "match";
        t[0].msg_id = i == 4 ? "m-4" : NULL;
        t[1] = t[0];
        t[1].role = "bot";
        t[1].text = "{\"messages\":[{\"text\":\"ok\"}]}";
        assert_int_equal(session_save_turn(st, &s, t, 2), 0);
    }
    assert_int_equal(store_commit(st), 0);
    h = session_history(st, &s, 4);
    assert_non_null(h);
    assert_int_equal(json_array_size(h), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "role")), "user");
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(
                json_object_get(json_object_get(json_array_get(h, 1), "reply"), "messages"), 0),
            "text")),
        "ok");
    json_decref(h);
    again = store_find_reply(st, s.id, "m-4");
    assert_non_null(again);
    assert_string_equal(again, "{\"messages\":[{\"text\":\"ok\"}]}");
    free(again);
    assert_null(store_find_reply(st, s.id, "m-unknown"));
    session_fini(&s);
    store_free(st);
}

static void test_newer_schema_refused(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    char cmd[400];

    (void)state;
    assert_non_null(st);
    store_free(st);
    snprintf(cmd, sizeof(cmd),
             "sqlite3 %s 'PRAGMA user_version=99' 2>/dev/null || "
             "/usr/bin/python3 -c \"import sqlite3;c=sqlite3.connect('%s');c.execute('PRAGMA "
             "user_version=99');c.commit()\"",
             fixture_db, fixture_db);
    assert_int_equal(system(cmd), 0);
    st = store_open(fixture_db, &e);
    assert_null(st);
    assert_non_null(strstr(e.text, "newer"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_save_reload, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_by_user_and_idle, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_turns_history_and_resend, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, fixture_db_setup,
                                        fixture_db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
