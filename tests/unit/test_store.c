/* tests/unit/test_store.c - the store's contract: writes are one batch that
 * only store_commit() makes durable; a unit is all-or-nothing; a turn is one
 * unit (state and records together, never records without their session);
 * reads see the open batch; many turns, one commit; and the outbox,
 * de-duplication keys, options and channel tokens; officers, their sessions
 * (expiry, disable, new password) and the audit log; a WAL that stays
 * bounded under steady writes (the checkpointer). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "session.h"
#include "fixture.h"
#include "store.h"

/* A user record and its bot record with msg_id (the resend key). */
static void two_records(struct session_turn t[2], const char *msg_id, const char *reply)
{
    memset(t, 0, 2 * sizeof(*t));
    t[0].role = "user";
    t[0].text = "lam lai cccd";
    t[0].label = "cccd";
    t[0].confidence = 0.8;
    t[0].decision = "match";
    t[0].msg_id = msg_id;
    t[1] = t[0];
    t[1].role = "bot";
    t[1].text = reply;
}

static void test_batch_is_durable_only_after_commit(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct session s, back;
    struct session_turn t[2];
    char token[SESSION_TOKEN_LEN + 1];
    char *r;

    (void)state;
    assert_non_null(st);
    assert_false(store_in_batch(st));
    assert_int_equal(store_commit(st), 0); /* nothing open: nothing to do */
    assert_int_equal(session_create(st, "web", &s), 0);
    assert_true(store_in_batch(st));
    assert_int_equal(store_commit(st), 0);
    assert_false(store_in_batch(st));
    memcpy(token, s.token, sizeof(token));

    free(s.state);
    s.state = strdup("{\"procedure\":\"cccd\"}");
    two_records(t, "m-1", "{\"messages\":[{\"text\":\"one\"}]}");
    assert_int_equal(session_save_turn(st, &s, t, 2), 0);
    /* the open batch is visible to its own reads (a resend in the same pass) */
    r = store_find_reply(st, s.id, "m-1");
    assert_non_null(r);
    free(r);
    store_free(st); /* a crash before the commit: the turn was never promised */

    st = store_open(fixture_db, &e);
    assert_non_null(st);
    assert_null(store_find_reply(st, s.id, "m-1"));
    assert_int_equal(session_load_token(st, token, &back), 0);
    assert_string_equal(back.state, "{}");
    assert_int_equal(session_save_turn(st, &s, t, 2), -EAGAIN); /* s claims the lost turn */
    s.version = back.version; /* read back, as the server does after a failed commit */
    session_fini(&back);

    assert_int_equal(session_save_turn(st, &s, t, 2), 0);
    assert_int_equal(store_commit(st), 0);
    store_free(st);
    st = store_open(fixture_db, &e);
    r = store_find_reply(st, s.id, "m-1");
    assert_non_null(r);
    assert_string_equal(r, "{\"messages\":[{\"text\":\"one\"}]}");
    free(r);
    assert_int_equal(session_load_token(st, token, &back), 0);
    assert_string_equal(back.state, "{\"procedure\":\"cccd\"}");
    session_fini(&back);
    session_fini(&s);
    store_free(st);
}

static void test_group_commit_counts(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct session s[5];
    struct session_turn t[2];
    struct store_stats stats;
    char id[16];
    int i;

    (void)state;
    for (i = 0; i < 5; i++) {
        assert_int_equal(session_create(st, "web", &s[i]), 0);
        snprintf(id, sizeof(id), "g-%d", i);
        two_records(t, id, "{}");
        assert_int_equal(session_save_turn(st, &s[i], t, 2), 0);
    }
    assert_int_equal(store_commit(st), 0);
    store_get_stats(st, &stats);
    assert_int_equal(stats.commits, 1); /* five sessions and five turns: one commit */
    assert_int_equal(stats.turns, 5);
    for (i = 0; i < 5; i++)
        session_fini(&s[i]);
    store_free(st);
}

/* Size of the WAL beside db, in bytes (0 when there is none). */
static long wal_bytes(void)
{
    char p[sizeof(fixture_db) + 8];
    FILE *f;
    long n = 0;

    snprintf(p, sizeof(p), "%s-wal", fixture_db);
    f = fopen(p, "rb");
    if (!f)
        return 0;
    if (fseek(f, 0, SEEK_END) == 0)
        n = ftell(f);
    fclose(f);
    return n;
}

/* Steady writes, a commit after each batch as the event loop does (with the
 * short gap of a pass between), must not grow the WAL without end: the
 * checkpointer copies it back and makes it start over (a PASSIVE checkpoint
 * alone never catches up with a writer that does not pause). ~135 MB are
 * written; the WAL stays a few MB. */
static void test_wal_stays_bounded(void **state)
{
    static char reply[6000];
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct session s;
    struct session_turn t[2];
    struct timespec gap = {0, 100 * 1000L}; /* the rest of a pass of the event loop */
    long max_wal = 0;
    int i;

    (void)state;
    assert_non_null(st);
    memset(reply, 'x', sizeof(reply) - 1);
    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(store_commit(st), 0);
    for (i = 0; i < 10000; i++) {
        two_records(t, NULL, reply);
        assert_int_equal(session_save_turn(st, &s, t, 2), 0);
        assert_int_equal(store_commit(st), 0);
        if (wal_bytes() > max_wal)
            max_wal = wal_bytes();
        nanosleep(&gap, NULL);
    }
    session_fini(&s);
    store_free(st);
    printf("wal: %ld bytes at most\n", max_wal);
    assert_true(max_wal < 64L * 1024 * 1024); /* unbounded: ~135 MB */
}

static void test_unit_all_or_nothing(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct session s, ghost;
    struct session_turn t[2];

    (void)state;
    assert_int_equal(session_create(st, "web", &s), 0);
    /* kept unit, undone unit, nested: only the kept rows stay */
    assert_int_equal(store_unit_begin(st), 0);
    assert_int_equal(store_outbox_add(st, "zalo", "u1", "{\"a\":1}", 1000), 0);
    assert_int_equal(store_unit_begin(st), 0);
    assert_int_equal(store_outbox_add(st, "zalo", "u1", "{\"a\":2}", 1000), 0);
    assert_int_equal(store_unit_end(st, false), 0);
    assert_int_equal(store_commit(st), -EBUSY); /* a unit still open */
    assert_int_equal(store_unit_end(st, true), 0);
    assert_int_equal(store_unit_begin(st), 0);
    assert_int_equal(store_outbox_add(st, "zalo", "u2", "{\"a\":3}", 1000), 0);
    assert_int_equal(store_unit_end(st, false), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_outbox_pending(st), 1);

    /* a turn of a session that is not stored writes nothing at all */
    ghost = s;
    ghost.id = s.id + 1000;
    two_records(t, "m-ghost", "{}");
    assert_int_equal(session_save_turn(st, &ghost, t, 2), -EIO);
    assert_int_equal(store_commit(st), 0);
    assert_null(store_find_reply(st, ghost.id, "m-ghost"));
    session_fini(&s);
    store_free(st);
}

/* Two copies of one session, as two worker processes hold it: the second
 * save is refused (-EAGAIN) and writes nothing, and after reading the
 * session back it goes through on top of the first. */
static void test_turn_save_is_compare_and_swap(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct session s, a, b;
    struct session_turn t[2];
    char *r;

    (void)state;
    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(session_load_token(st, s.token, &a), 0);
    assert_int_equal(session_load_token(st, s.token, &b), 0);
    assert_int_equal(a.version, b.version);
    two_records(t, "m-a", "{\"a\":1}");
    assert_int_equal(session_save_turn(st, &a, t, 2), 0);
    assert_int_equal(a.version, b.version + 1);
    two_records(t, "m-b", "{\"b\":1}");
    assert_int_equal(session_save_turn(st, &b, t, 2), -EAGAIN);
    assert_null(store_find_reply(st, s.id, "m-b")); /* nothing of it written */
    session_fini(&b);
    assert_int_equal(session_load_token(st, s.token, &b), 0);
    assert_int_equal(b.version, a.version);
    assert_int_equal(session_save_turn(st, &b, t, 2), 0);
    assert_int_equal(store_commit(st), 0);
    r = store_find_reply(st, s.id, "m-b");
    assert_non_null(r);
    free(r);
    /* a is stale now; m-b is answered, whatever the version: the resend key wins */
    assert_int_equal(session_save_turn(st, &a, t, 2), -EALREADY);
    two_records(t, "m-c", "{\"c\":1}");
    assert_int_equal(session_save_turn(st, &a, t, 2), -EAGAIN);
    assert_int_equal(store_commit(st), 0);
    session_fini(&a);
    session_fini(&b);
    session_fini(&s);
    store_free(st);
}

static void test_outbox_order_and_results(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct store_outbox_row rows[4];
    size_t n, i;

    (void)state;
    assert_int_equal(store_outbox_add(st, "zalo", "u1", "{\"n\":1}", 1000), 0);
    assert_int_equal(store_outbox_add(st, "zalo", "u1", "{\"n\":2}", 1000), 0);
    assert_int_equal(store_outbox_add(st, "messenger", "u2", "{\"n\":3}", 5000), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_outbox_due(st, 2000, rows, 4, &n), 0);
    assert_int_equal(n, 1); /* u1's first only; u2's is not due yet */
    assert_string_equal(rows[0].body, "{\"n\":1}");
    assert_int_equal(rows[0].body_len, sizeof "{\"n\":1}" - 1);
    assert_string_equal(rows[0].channel, "zalo");
    assert_string_equal(rows[0].user, "u1");
    assert_int_equal(store_outbox_retry(st, rows[0].id, 1, 9000), 0);
    free(rows[0].body);
    assert_int_equal(store_outbox_due(st, 6000, rows, 4, &n), 0);
    assert_int_equal(n, 1); /* u1 waits for its first row: order per user */
    assert_string_equal(rows[0].body, "{\"n\":3}");
    assert_int_equal(store_outbox_done(st, rows[0].id, "sent", 1), 0);
    free(rows[0].body);
    assert_int_equal(store_outbox_due(st, 9000, rows, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].attempts, 1);
    assert_int_equal(store_outbox_done(st, rows[0].id, "failed", 2), 0);
    for (i = 0; i < n; i++)
        free(rows[i].body);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_outbox_pending(st), 1);
    store_free(st);
}

static void test_events_options_tokens(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    char at[32], rt[32], small[4];
    char *o;

    (void)state;
    assert_int_equal(store_event_first_time(st, "zalo", "ev-1", 1), 1);
    assert_int_equal(store_event_first_time(st, "zalo", "ev-1", 2), 0);
    assert_int_equal(store_event_first_time(st, "messenger", "ev-1", 2), 1);
    assert_null(store_options_get(st, "zalo", "u1"));
    assert_int_equal(store_options_put(st, "zalo", "u1", "[1]"), 0);
    assert_int_equal(store_options_put(st, "zalo", "u1", "[2]"), 0);
    o = store_options_get(st, "zalo", "u1");
    assert_non_null(o);
    assert_string_equal(o, "[2]");
    free(o);
    assert_int_equal(store_token_get(st, "zalo", at, sizeof(at), rt, sizeof(rt)), -ENOENT);
    assert_int_equal(store_token_put(st, "zalo", "acc-1", "ref-1", 10), 0);
    assert_int_equal(store_commit(st), 0);
    store_free(st);

    st = store_open(fixture_db, &e);
    assert_int_equal(store_event_first_time(st, "zalo", "ev-1", 3), 0); /* kept across restart */
    assert_int_equal(store_token_get(st, "zalo", at, sizeof(at), rt, sizeof(rt)), 0);
    assert_string_equal(at, "acc-1");
    assert_string_equal(rt, "ref-1");
    assert_int_equal(store_token_get(st, "zalo", small, sizeof(small), rt, sizeof(rt)), -E2BIG);
    assert_int_equal(store_commit(st), 0);
    store_free(st);
}

static int count_officer(void *ctx, const struct store_officer *o)
{
    assert_string_equal(o->hash, ""); /* a list never carries hashes */
    (*(int *)ctx)++;
    return 0;
}

static int count_audit(void *ctx, int64_t ts, const char *username, const char *action,
                       const char *conversation, const char *ip, const char *detail)
{
    (void)ts;
    (void)username;
    (void)action;
    (void)conversation;
    (void)ip;
    (void)detail;
    (*(int *)ctx)++;
    return 0;
}

static void test_officers_sessions_audit(void **state)
{
    struct mc_err e = {{0}};
    struct store *st;
    struct store_officer o, got;
    char csrf[STORE_OFFICER_CSRF_MAX];
    unsigned by_user, by_ip;
    int64_t last;
    int n = 0;

    (void)state;
    st = store_open(fixture_db, &e);
    assert_non_null(st);
    memset(&o, 0, sizeof(o));
    snprintf(o.username, sizeof(o.username), "lan.nt");
    snprintf(o.name, sizeof(o.name), "Nguyễn Thị Lan");
    snprintf(o.role, sizeof(o.role), "admin");
    snprintf(o.unit, sizeof(o.unit), "00008");
    snprintf(o.hash, sizeof(o.hash), "scrypt$h1");
    o.created = 100;
    assert_int_equal(store_officer_add(st, &o), 0);
    assert_int_equal(store_officer_add(st, &o), -EEXIST);
    memset(o.name, 'x', sizeof(o.name)); /* not NUL-terminated */
    assert_int_equal(store_officer_add(st, &o), -E2BIG);
    assert_int_equal(store_commit(st), 0);

    assert_int_equal(store_officer_get(st, "lan.nt", &got), 0);
    assert_string_equal(got.name, "Nguyễn Thị Lan");
    assert_string_equal(got.unit, "00008");
    assert_string_equal(got.hash, "scrypt$h1");
    assert_false(got.disabled);
    assert_int_equal(store_officer_get(st, "nobody", &got), -ENOENT);
    assert_int_equal(store_officer_list(st, count_officer, &n), 0);
    assert_int_equal(n, 1);

    /* a session lives until it expires */
    assert_int_equal(store_officer_session_add(st, "th1", "lan.nt", "c1", 1000, 2000), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_officer_session_get(st, "th1", 1999, &got, csrf), 0);
    assert_string_equal(got.username, "lan.nt");
    assert_string_equal(got.hash, "");
    assert_string_equal(csrf, "c1");
    assert_int_equal(store_officer_session_get(st, "th1", 2000, &got, csrf), -ENOENT);
    assert_int_equal(store_officer_session_get(st, "other", 1500, &got, csrf), -ENOENT);
    /* ending one session also drops the expired ones */
    assert_int_equal(store_officer_session_add(st, "th2", "lan.nt", "c2", 1000, 5000), 0);
    assert_int_equal(store_officer_session_end(st, "th2", 3000), 0);
    assert_int_equal(store_officer_session_get(st, "th2", 1500, &got, csrf), -ENOENT);
    assert_int_equal(store_officer_session_get(st, "th1", 1500, &got, csrf), -ENOENT);
    /* a new password and disabling both end the open sessions */
    assert_int_equal(store_officer_session_add(st, "th3", "lan.nt", "c3", 1000, 5000), 0);
    assert_int_equal(store_officer_set_hash(st, "lan.nt", "scrypt$h2"), 0);
    assert_int_equal(store_officer_session_get(st, "th3", 1500, &got, csrf), -ENOENT);
    assert_int_equal(store_officer_get(st, "lan.nt", &got), 0);
    assert_string_equal(got.hash, "scrypt$h2");
    assert_int_equal(store_officer_session_add(st, "th4", "lan.nt", "c4", 1000, 5000), 0);
    assert_int_equal(store_officer_disable(st, "lan.nt"), 0);
    assert_int_equal(store_officer_session_get(st, "th4", 1500, &got, csrf), -ENOENT);
    assert_int_equal(store_officer_get(st, "lan.nt", &got), 0);
    assert_true(got.disabled);
    /* a session of a disabled account is never live, however it got there */
    assert_int_equal(store_officer_session_add(st, "th5", "lan.nt", "c5", 1000, 5000), 0);
    assert_int_equal(store_officer_session_get(st, "th5", 1500, &got, csrf), -ENOENT);
    assert_int_equal(store_officer_disable(st, "nobody"), -ENOENT);
    assert_int_equal(store_officer_set_hash(st, "nobody", "x"), -ENOENT);

    /* audit: failures counted per username and per address since a time */
    assert_int_equal(store_audit_add(st, 10, "lan.nt", "login_failed", NULL, "1.2.3.4", NULL), 0);
    assert_int_equal(store_audit_add(st, 20, "lan.nt", "login_failed", NULL, "5.6.7.8", NULL), 0);
    assert_int_equal(store_audit_add(st, 30, "minh", "login_failed", NULL, "1.2.3.4", NULL), 0);
    assert_int_equal(store_audit_add(st, 40, "lan.nt", "login", NULL, "1.2.3.4", NULL), 0);
    assert_int_equal(store_audit_add(st, 50, "lan.nt", "claim", "conv-1", NULL, "x"), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_audit_failures(st, "lan.nt", "1.2.3.4", 0, &by_user, &by_ip, &last), 0);
    assert_int_equal(by_user, 2);
    assert_int_equal(by_ip, 2);
    assert_int_equal(last, 30);
    assert_int_equal(store_audit_failures(st, "lan.nt", "1.2.3.4", 15, &by_user, &by_ip, &last), 0);
    assert_int_equal(by_user, 1);
    assert_int_equal(by_ip, 1);
    n = 0;
    assert_int_equal(store_audit_list(st, 3, count_audit, &n), 0);
    assert_int_equal(n, 3);
    store_free(st);

    st = store_open(fixture_db, &e); /* kept across restart */
    assert_int_equal(store_officer_get(st, "lan.nt", &got), 0);
    assert_true(got.disabled);
    store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batch_is_durable_only_after_commit, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_counts, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_unit_all_or_nothing, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_wal_stays_bounded, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_turn_save_is_compare_and_swap, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_outbox_order_and_results, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_events_options_tokens, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_officers_sessions_audit, fixture_db_setup,
                                        fixture_db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
