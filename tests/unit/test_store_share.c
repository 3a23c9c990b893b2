/* tests/unit/test_store_share.c - the citizens' checklist pages in a real
 * temporary state database (store.h, "checklist pages"): a token of the
 * promised shape, the same checklist reusing its page, a changed one making a
 * new page up to the hourly limit, expiry, the retention purge and a
 * forgotten session taking its pages along. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "session.h"
#include "store.h"

#define NOW 1765000000
#define DAY 86400

static struct store *open_store(struct session *s)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);

    assert_non_null(st);
    assert_int_equal(session_create(st, "web", s), 0);
    assert_int_equal(store_commit(st), 0);
    return st;
}

static void test_token_shape_and_reuse(void **state)
{
    struct session s;
    struct store *st = open_store(&s);
    char t1[STORE_SHARE_TOKEN_LEN + 1], t2[STORE_SHARE_TOKEN_LEN + 1];
    char t3[STORE_SHARE_TOKEN_LEN + 1];
    char *body = NULL;

    (void)state;
    assert_int_equal(store_share_put(st, s.id, "{\"a\":1}", NOW, NOW + 30 * DAY, 10, t1), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(strlen(t1), 22); /* 128 bits, base64url, no padding */
    assert_int_equal(strspn(t1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                     22);
    /* the same checklist again: the same page */
    assert_int_equal(store_share_put(st, s.id, "{\"a\":1}", NOW + 5, NOW + 30 * DAY, 10, t2), 0);
    assert_string_equal(t1, t2);
    /* a changed one: a new page */
    assert_int_equal(store_share_put(st, s.id, "{\"a\":2}", NOW + 6, NOW + 30 * DAY, 10, t3), 0);
    assert_string_not_equal(t1, t3);
    assert_int_equal(store_commit(st), 0);

    assert_int_equal(store_share_get(st, t1, NOW + 10, &body), 0);
    assert_string_equal(body, "{\"a\":1}");
    free(body);
    assert_int_equal(store_share_get(st, t3, NOW + 10, &body), 0);
    assert_string_equal(body, "{\"a\":2}");
    free(body);
    /* unknown, or not a token at all */
    assert_int_equal(store_share_get(st, "AAAAAAAAAAAAAAAAAAAAAA", NOW, &body), -ENOENT);
    assert_int_equal(store_share_get(st, "x' OR 1=1 --", NOW, &body), -ENOENT);
    assert_null(body);
    session_fini(&s);
    store_free(st);
}

static void test_rate_limit_per_session(void **state)
{
    struct session s, other;
    struct store *st = open_store(&s);
    char t[STORE_SHARE_TOKEN_LEN + 1], body[32];
    int i;

    (void)state;
    assert_int_equal(session_create(st, "web", &other), 0);
    for (i = 0; i < 3; i++) {
        snprintf(body, sizeof body, "{\"v\":%d}", i);
        assert_int_equal(store_share_put(st, s.id, body, NOW + i, NOW + DAY, 3, t), 0);
    }
    assert_int_equal(store_share_put(st, s.id, "{\"v\":9}", NOW + 10, NOW + DAY, 3, t), -EBUSY);
    assert_string_equal(t, "");
    /* an unchanged checklist is not a new page: still served */
    assert_int_equal(store_share_put(st, s.id, "{\"v\":1}", NOW + 11, NOW + DAY, 3, t), 0);
    /* another session has its own allowance; an hour later this one too */
    assert_int_equal(store_share_put(st, other.id, "{\"v\":9}", NOW + 12, NOW + DAY, 3, t), 0);
    assert_int_equal(store_share_put(st, s.id, "{\"v\":9}", NOW + 3700, NOW + DAY, 3, t), 0);
    assert_int_equal(store_commit(st), 0);
    session_fini(&s);
    session_fini(&other);
    store_free(st);
}

static void test_expiry_purge_and_forget(void **state)
{
    struct session s, keep;
    struct store *st = open_store(&s);
    char old[STORE_SHARE_TOKEN_LEN + 1], live[STORE_SHARE_TOKEN_LEN + 1];
    char mine[STORE_SHARE_TOKEN_LEN + 1];
    char *body = NULL;
    unsigned long rows = 0;

    (void)state;
    assert_int_equal(session_create(st, "web", &keep), 0);
    assert_int_equal(store_share_put(st, keep.id, "{\"old\":1}", NOW, NOW + DAY, 10, old), 0);
    assert_int_equal(store_share_put(st, keep.id, "{\"live\":1}", NOW, NOW + 30 * DAY, 10, live),
                     0);
    assert_int_equal(store_share_put(st, s.id, "{\"mine\":1}", NOW, NOW + 30 * DAY, 10, mine), 0);
    assert_int_equal(store_commit(st), 0);

    /* expired: no longer served, even before the purge */
    assert_int_equal(store_share_get(st, old, NOW + DAY, &body), -ENOENT);
    assert_int_equal(
        store_share_put(st, keep.id, "{\"old\":1}", NOW + DAY, NOW + 2 * DAY, 10, mine + 0) == 0 &&
            strcmp(mine, old) != 0,
        1); /* an expired page is never handed out again */
    assert_int_equal(store_share_purge(st, NOW + DAY, 100, &rows), 0);
    assert_int_equal(rows, 1);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_share_get(st, live, NOW + DAY, &body), 0);
    free(body);

    /* a forgotten session takes its pages along, and only its own */
    assert_int_equal(store_share_put(st, s.id, "{\"mine\":1}", NOW, NOW + 30 * DAY, 10, mine), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_privacy_forget(st, s.id, NULL), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_share_get(st, mine, NOW + 1, &body), -ENOENT);
    assert_int_equal(store_share_get(st, live, NOW + 1, &body), 0);
    free(body);
    session_fini(&s);
    session_fini(&keep);
    store_free(st);
}

static void test_bounded_body(void **state)
{
    struct session s;
    struct store *st = open_store(&s);
    char t[STORE_SHARE_TOKEN_LEN + 1];
    char *big = malloc(STORE_SHARE_BODY_MAX + 2);

    (void)state;
    assert_non_null(big);
    memset(big, 'a', STORE_SHARE_BODY_MAX + 1);
    big[STORE_SHARE_BODY_MAX + 1] = '\0';
    assert_int_equal(store_share_put(st, s.id, big, NOW, NOW + DAY, 10, t), -E2BIG);
    free(big);
    session_fini(&s);
    store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_token_shape_and_reuse, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_per_session, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_expiry_purge_and_forget, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_bounded_body, fixture_db_setup, fixture_db_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
