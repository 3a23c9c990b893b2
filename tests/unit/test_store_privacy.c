/* tests/unit/test_store_privacy.c - personal data in the state database
 * (store.h, "personal data"): user ids stored as keyed hashes and found again,
 * clear ids written before a key rewritten, one session forgotten without
 * touching another, and retention purging in bounded steps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture.h"
#include "session.h"
#include "store.h"

static const unsigned char key[STORE_ID_KEY_LEN] = "0123456789abcdef0123456789abcde";

static long count(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    long n = -1;

    assert_int_equal(sqlite3_open(fixture_db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    if (sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

static void exec(const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(fixture_db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void save_turn(struct store *st, struct session *s, const char *text)
{
    struct session_turn t = {.role = "user", .text = text};

    assert_int_equal(store_turn_save(st, s, &t, 1), 0);
}

static void test_ids_are_keyed_hashes(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct session s, back;
    char hk[STORE_USER_HKEY_MAX];

    (void)state;
    assert_non_null(st);
    /* written in clear before a key was set (an upgrade) */
    assert_int_equal(session_load_user(st, "messenger", "1234567890123456", &s), 0);
    assert_int_equal(store_commit(st), 0);
    session_fini(&s);
    assert_int_equal(count("SELECT count(*) FROM session WHERE user_key = '1234567890123456'"), 1);

    assert_int_equal(store_privacy_set_key(st, key, sizeof key), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(count("SELECT count(*) FROM session WHERE user_key LIKE '%1234567890%'"), 0);
    store_privacy_user_key(st, "messenger", "1234567890123456", hk, sizeof hk);
    assert_int_equal(strncmp(hk, "h:", 2), 0);
    assert_int_equal(strlen(hk), 2 + 64);

    /* found again by the clear id, which stays in memory for sending */
    assert_int_equal(store_session_by_user(st, "messenger", "1234567890123456", &back), 0);
    assert_string_equal(back.user_key, "1234567890123456");
    session_fini(&back);
    /* the channel is part of the hash */
    store_privacy_user_key(st, "zalo", "1234567890123456", hk + 0, sizeof hk);
    assert_int_equal(store_session_by_user(st, "zalo", "1234567890123456", &back), -ENOENT);
    store_free(st);
}

static void test_forget_one_session(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct session a, b;

    (void)state;
    assert_non_null(st);
    assert_int_equal(store_privacy_set_key(st, key, sizeof key), 0);
    assert_int_equal(session_load_user(st, "messenger", "psid-a", &a), 0);
    assert_int_equal(session_create(st, "web", &b), 0);
    save_turn(st, &a, "của a");
    save_turn(st, &b, "của b");
    assert_int_equal(store_outbox_add(st, "messenger", "psid-a", "{}", 1), 0);
    assert_int_equal(store_options_put(st, "messenger", "psid-a", "[]"), 0);
    assert_int_equal(store_commit(st), 0);

    assert_int_equal(store_privacy_forget(st, a.id, "psid-a"), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(count("SELECT count(*) FROM turn WHERE text = 'của a'"), 0);
    assert_int_equal(count("SELECT count(*) FROM session WHERE channel = 'messenger'"), 0);
    assert_int_equal(count("SELECT count(*) FROM outbox"), 0);
    assert_int_equal(count("SELECT count(*) FROM chan_options"), 0);
    assert_int_equal(count("SELECT count(*) FROM turn WHERE text = 'của b'"), 1);
    assert_int_equal(count("SELECT count(*) FROM session WHERE channel = 'web'"), 1);
    session_fini(&a);
    session_fini(&b);
    store_free(st);
}

static void test_purge_in_steps(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct session s;
    int64_t now = (int64_t)time(NULL);
    struct store_purge p = {.before_s = now - 100, .token_s = now - 1000, .max = 3};
    char sql[256];
    unsigned steps = 0;

    (void)state;
    assert_non_null(st);
    assert_int_equal(session_create(st, "web", &s), 0);
    for (int i = 0; i < 10; i++)
        save_turn(st, &s, "cũ");
    save_turn(st, &s, "mới");
    assert_int_equal(store_commit(st), 0);
    snprintf(sql, sizeof sql, "UPDATE turn SET ts = %lld WHERE text = 'cũ'",
             (long long)(now - 500));
    exec(sql);

    do {
        assert_int_equal(store_privacy_purge(st, &p), 0);
        assert_int_equal(store_commit(st), 0);
        assert_true(p.rows <= 3 * 11 + 64); /* bounded per step */
    } while (p.rows && ++steps < 20);
    assert_true(steps >= 3); /* 10 old turns, 3 a step */
    assert_int_equal(count("SELECT count(*) FROM turn WHERE text = 'cũ'"), 0);
    assert_int_equal(count("SELECT count(*) FROM turn WHERE text = 'mới'"), 1);
    assert_int_equal(count("SELECT count(*) FROM session"), 1); /* not idle */
    session_fini(&s);
    store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ids_are_keyed_hashes, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_forget_one_session, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_purge_in_steps, fixture_db_setup, fixture_db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
