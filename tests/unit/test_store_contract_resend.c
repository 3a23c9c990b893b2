/* tests/unit/test_store_contract_resend.c - the resend key checked by the
 * turn's save itself (store.h store_turn_save, issue 18), on each back-end
 * (fixture_pg.h): a message whose id the session already answered is
 * refused with -EALREADY and nothing of it is written, on the session as
 * held in memory (its version current), on a stale copy (another handle, a
 * node, answered since: -EALREADY, not -EAGAIN), and however many turns ago
 * it was answered; a turn without an id, or with a new one, is saved as
 * before. PostgreSQL: a resend saved while the first answer's COMMIT is
 * still in flight on another handle waits for it and is then refused. The
 * router answers -EALREADY from store_find_reply() (router.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_pg.h"
#include "session.h"
#include "store.h"

#define OLD_TURNS 40 /* turns answered after the resent one: more than any client keeps */

static int save(struct store *st, struct session *s, const char *msg_id, const char *reply)
{
    struct session_turn t[2];

    fixture_two_records(t, msg_id, reply);
    return session_save_turn(st, s, t, 2);
}

static void assert_reply(struct store *st, const struct session *s, const char *msg_id,
                         const char *want)
{
    char *r = store_find_reply(st, s->id, msg_id);

    assert_non_null(r);
    assert_string_equal(r, want);
    free(r);
}

static void test_resend_refused_on_current_session(void **state)
{
    struct store *st = store_case_open(state);
    struct session s;
    int64_t version;

    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(save(st, &s, "m-1", "{\"n\":1}"), 0);
    assert_int_equal(store_commit(st), 0);
    version = s.version;
    /* the same session in memory, its version current: the save itself finds the answer */
    assert_int_equal(save(st, &s, "m-1", "{\"n\":2}"), -EALREADY);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(s.version, version);
    assert_int_equal(fixture_records(state, &s), 2);
    assert_reply(st, &s, "m-1", "{\"n\":1}");
    /* in the same batch as the first answer, not yet committed: refused as well */
    assert_int_equal(save(st, &s, "m-2", "{\"n\":3}"), 0);
    assert_int_equal(save(st, &s, "m-2", "{\"n\":4}"), -EALREADY);
    assert_int_equal(store_commit(st), 0);
    assert_reply(st, &s, "m-2", "{\"n\":3}");
    /* no id, or a new one: saved as before */
    assert_int_equal(save(st, &s, NULL, "{\"n\":5}"), 0);
    assert_int_equal(save(st, &s, NULL, "{\"n\":6}"), 0);
    assert_int_equal(save(st, &s, "m-3", "{\"n\":7}"), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(fixture_records(state, &s), 10);
    session_fini(&s);
    store_free(st);
}

static void test_resend_refused_on_stale_copy(void **state)
{
    struct store *a = store_case_open(state), *b;
    struct session s, other;
    int64_t version;

    assert_int_equal(session_create(a, "web", &s), 0);
    assert_int_equal(store_commit(a), 0);
    b = store_case_open(state);
    assert_int_equal(session_load_token(b, s.token, &other), 0); /* read before a's answer */
    assert_int_equal(save(a, &s, "m-1", "{\"by\":\"a\"}"), 0);
    assert_int_equal(store_commit(a), 0);
    version = other.version;
    /* another node's copy, stale: the answer is found, not "changed, run it again" */
    assert_int_equal(save(b, &other, "m-1", "{\"by\":\"b\"}"), -EALREADY);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(other.version, version);
    /* a new id on the stale copy: the compare-and-swap misses as before */
    assert_int_equal(save(b, &other, "m-2", "{\"by\":\"b\"}"), -EAGAIN);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(fixture_records(state, &s), 2);
    assert_reply(b, &s, "m-1", "{\"by\":\"a\"}");
    session_fini(&other);
    session_fini(&s);
    store_free(b);
    store_free(a);
}

static void test_resend_found_however_old(void **state)
{
    struct store *a = store_case_open(state), *b;
    struct session s, back;
    char id[16];
    int i;

    assert_int_equal(session_create(a, "web", &s), 0);
    assert_int_equal(save(a, &s, "m-old", "{\"old\":true}"), 0);
    for (i = 0; i < OLD_TURNS; i++) {
        snprintf(id, sizeof id, "m-%d", i);
        assert_int_equal(save(a, &s, id, "{}"), 0);
    }
    assert_int_equal(store_commit(a), 0);
    b = store_case_open(state);
    assert_int_equal(session_load_token(b, s.token, &back), 0); /* a resume on another node */
    assert_int_equal(save(b, &back, "m-old", "{\"old\":false}"), -EALREADY);
    assert_int_equal(store_commit(b), 0); /* (on SQLite a batch holds the file) */
    assert_int_equal(save(a, &s, "m-old", "{\"old\":false}"), -EALREADY);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(fixture_records(state, &s), 2 * (1 + OLD_TURNS));
    assert_reply(b, &s, "m-old", "{\"old\":true}");
    session_fini(&back);
    session_fini(&s);
    store_free(b);
    store_free(a);
}

/* The first answer's COMMIT sent, not yet read; another handle holding the
 * session as it was before saves the same id: its UPDATE waits for the row
 * lock, misses the version, and the check that follows sees the record. */
static void test_resend_while_commit_in_flight(void **state)
{
    struct store *a, *b;
    struct store_commit_done d[2];
    struct session s, other;

    if (!on_pg(state))
        return;
    a = store_case_open(state);
    b = store_case_open(state);
    assert_int_equal(session_create(a, "web", &s), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(session_load_token(b, s.token, &other), 0);
    assert_int_equal(save(a, &s, "m-1", "{\"by\":\"a\"}"), 0);
    assert_int_equal(store_commit_send(a), 0);
    assert_int_equal(save(b, &other, "m-1", "{\"by\":\"b\"}"), -EALREADY);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(store_commit_poll(a, true, d, 2), 1);
    assert_int_equal(d[0].rc, 0);
    assert_int_equal(fixture_records(state, &s), 2);
    assert_reply(b, &s, "m-1", "{\"by\":\"a\"}");
    session_fini(&other);
    session_fini(&s);
    store_free(b);
    store_free(a);
}

int main(void)
{
    const struct CMUnitTest on_sqlite[] = {
        STORE_CASE(test_resend_refused_on_current_session, &sqlite_backend),
        STORE_CASE(test_resend_refused_on_stale_copy, &sqlite_backend),
        STORE_CASE(test_resend_found_however_old, &sqlite_backend),
    };
    const struct CMUnitTest on_postgresql[] = {
        STORE_CASE(test_resend_refused_on_current_session, &pg_backend),
        STORE_CASE(test_resend_refused_on_stale_copy, &pg_backend),
        STORE_CASE(test_resend_found_however_old, &pg_backend),
        STORE_CASE(test_resend_while_commit_in_flight, &pg_backend),
    };
    return store_contract_run("store contract resend", on_sqlite, on_postgresql);
}
