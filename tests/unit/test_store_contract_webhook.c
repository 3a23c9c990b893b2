/* tests/unit/test_store_contract_webhook.c - a webhook event's reads and
 * writes (store.h "webhook events"; issue 18), on each back-end
 * (fixture_pg.h): the de-duplication key says new then seen, also to another
 * handle (a node of its own) and again after a unit that was undone; the
 * session, its handoff state and the options are read with it; the outbox
 * rows and options written after the turn are stored with the batch and
 * never due before it commits. On PostgreSQL the reads cost one round trip
 * and the writes none before the COMMIT (store_get_stats); the turn of a
 * session read with its event is saved without a round trip either
 * (store_turn_queue_locked()), and one that misses fails its batch. A
 * citizen's first event (docs/scaling.md "A session's first read"): on
 * PostgreSQL its session is created by the same round trip, there once the
 * batch commits and not before nor after a batch that failed, and two
 * handles taking a new citizen's events at once end with one session and
 * no failed batch; SQLite leaves the creation to the caller, as before. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_pg.h"
#include "session.h"
#include "store.h"

static uint64_t round_trips(const struct store *st)
{
    struct store_stats s;

    store_get_stats(st, &s);
    return s.round_trips;
}

/* store_webhook_event() that also checks what it cost: one round trip on
 * PostgreSQL, none on SQLite. */
static int event(void **state, struct store *st, const char *id, const char *user, bool options,
                 struct store_webhook_read *rd)
{
    uint64_t before = round_trips(st);
    int rc = store_webhook_event(st, "zalo", id, user, options, 100, rd);

    assert_int_equal(round_trips(st) - before, on_pg(state) ? 1 : 0);
    return rc;
}

static void test_new_then_seen(void **state)
{
    struct store *st = store_case_open(state), *b;
    struct store_webhook_read rd;

    assert_int_equal(event(state, st, "e-1", "u-1", true, &rd), 1);
    /* no session yet: PostgreSQL creates it with the reads, SQLite leaves it to the caller */
    assert_int_equal(rd.found, on_pg(state));
    assert_int_equal(rd.created, on_pg(state));
    assert_null(rd.options);
    store_webhook_read_fini(&rd);
    assert_int_equal(event(state, st, "e-1", "u-1", true, &rd), 0); /* in the same batch */
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(st), 0);
    b = store_case_open(state); /* another node: de-duplication is global */
    assert_int_equal(event(state, b, "e-1", "u-1", false, &rd), 0);
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(b), 0);
    store_free(b);
    store_free(st);
}

/* A unit undone undoes the key: the platform's redelivery is answered. */
static void test_undone_key(void **state)
{
    struct store *st = store_case_open(state);
    struct store_webhook_read rd;

    assert_int_equal(store_unit_begin(st), 0);
    assert_int_equal(event(state, st, "e-2", "u-2", false, &rd), 1);
    store_webhook_read_fini(&rd);
    assert_int_equal(store_unit_end(st, false), 0);
    assert_int_equal(event(state, st, "e-2", "u-2", false, &rd), 1);
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(st), 0);
    store_free(st);
}

static void test_reads_session_handoff_options(void **state)
{
    struct store *st = store_case_open(state);
    struct store_webhook_read rd;
    struct store_handoff h;
    struct session s;

    assert_int_equal(session_create_user(st, "zalo", "u-3", &s), 0);
    assert_int_equal(store_options_put(st, "zalo", "u-3", "[{\"title\":\"A\"}]"), 0);
    assert_int_equal(store_commit(st), 0);

    assert_int_equal(event(state, st, "e-3", "u-3", true, &rd), 1);
    assert_true(rd.found);
    assert_int_equal(rd.session.id, s.id);
    assert_string_equal(rd.session.token, s.token);
    assert_string_equal(rd.session.user_key, "u-3"); /* the clear id, as session_load_user() */
    assert_string_equal(rd.session.state, "{}");
    assert_int_equal(rd.session.version, s.version);
    assert_true(rd.session.resumed);
    assert_false(rd.session.handoff_idle); /* the caller decides from rd.handoff */
    assert_string_equal(rd.handoff, "bot");
    assert_non_null(rd.options);
    assert_string_equal(rd.options, "[{\"title\":\"A\"}]");
    store_webhook_read_fini(&rd);
    assert_int_equal(event(state, st, "e-4", "u-3", false, &rd), 1);
    assert_null(rd.options); /* not asked */
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(st), 0);

    memset(&h, 0, sizeof(h));
    h.session_id = s.id;
    snprintf(h.channel, sizeof(h.channel), "%s", "zalo");
    snprintf(h.user_key, sizeof(h.user_key), "%s", "u-3");
    assert_int_equal(store_handoff_request(st, &h, 100), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(event(state, st, "e-5", "u-3", false, &rd), 1);
    assert_true(rd.found);
    assert_string_equal(rd.handoff, "pending");
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(st), 0);
    session_fini(&s);
    store_free(st);
}

/* Whether b (another handle) sees the reply of msg_id in session id. */
static bool stored(struct store *b, int64_t id, const char *msg_id)
{
    char *r = store_find_reply(b, id, msg_id);
    bool found = r != NULL;

    free(r);
    return found;
}

/* The session read with its event is locked by the batch: its turn is
 * queued, costs no round trip, and is there once the batch commits; a save
 * on a wrong version (a fault: the lock makes it impossible otherwise)
 * fails the batch instead of vanishing. SQLite saves as before (-ENOTSUP:
 * the caller waits for its save). */
static void test_locked_save(void **state)
{
    struct store *st = store_case_open(state), *b;
    struct store_webhook_read rd;
    struct session_turn t[2];
    struct session s;
    uint64_t before;
    int64_t v;

    assert_int_equal(session_create_user(st, "zalo", "u-6", &s), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(event(state, st, "e-6", "u-6", false, &rd), 1);
    rd.session.row_locked = true;
    v = rd.session.version;
    fixture_two_records(t, "m-6", "{\"messages\":[]}");
    before = round_trips(st);
    if (!on_pg(state)) {
        assert_int_equal(session_queue_turn_locked(st, &rd.session, t, 2), -ENOTSUP);
        store_webhook_read_fini(&rd);
        assert_int_equal(store_commit(st), 0);
        goto out;
    }
    assert_int_equal(session_queue_turn_locked(st, &rd.session, t, 2), 0);
    assert_int_equal(round_trips(st) - before, 0); /* queued: goes with the COMMIT */
    assert_int_equal(rd.session.version, v + 1);
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(st), 0);
    b = store_case_open(state);
    assert_true(stored(b, s.id, "m-6"));
    store_free(b);

    /* a wrong version: the statement fails, and the batch with everything in it */
    assert_int_equal(event(state, st, "e-7", "u-6", false, &rd), 1);
    rd.session.row_locked = true;
    rd.session.version += 5;
    fixture_two_records(t, "m-7", "{\"messages\":[]}");
    assert_int_equal(session_queue_turn_locked(st, &rd.session, t, 2), 0);
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(st), -EIO);
    b = store_case_open(state);
    assert_false(stored(b, s.id, "m-7"));
    assert_int_equal(event(state, b, "e-7", "u-6", false, &rd), 1); /* the key went too */
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(b), 0);
    store_free(b);
out:
    session_fini(&s);
    store_free(st);
}

static void test_long_user(void **state)
{
    struct store *st = store_case_open(state);
    struct store_webhook_read rd;
    char user[SESSION_USER_KEY_MAX + 2];

    memset(user, 'u', sizeof(user) - 1);
    user[sizeof(user) - 1] = '\0';
    assert_int_equal(store_webhook_event(st, "zalo", "e-6", user, false, 100, &rd), -E2BIG);
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(st), 0);
    store_free(st);
}

/* How many rows are due (each made due again for the next call). */
static size_t due(struct store *st)
{
    struct store_outbox_row rows[8];
    size_t n = 0, i;

    assert_int_equal(store_outbox_due(st, 1000000, rows, 8, &n), 0);
    for (i = 0; i < n; i++) {
        free(rows[i].body);
        assert_int_equal(store_outbox_retry(st, rows[i].id, 0, 0), 0); /* due again */
    }
    return n;
}

/* The writes after the turn: stored with the batch, no round trip before
 * its COMMIT on PostgreSQL, never due before it committed, and undone with
 * their unit. */
static void test_queued_writes(void **state)
{
    struct store *st = store_case_open(state);
    struct store_webhook_read rd;
    uint64_t before;
    char *o;

    /* a row committed before: due; the open batch's rows never are */
    assert_int_equal(store_outbox_add(st, "zalo", "u-0", "{\"n\":0}", 10), 0);
    assert_int_equal(store_commit(st), 0);

    assert_int_equal(store_unit_begin(st), 0);
    assert_int_equal(event(state, st, "e-7", "u-7", false, &rd), 1);
    store_webhook_read_fini(&rd);
    before = round_trips(st);
    assert_int_equal(store_webhook_outbox_add(st, "zalo", "u-7", "{\"n\":1}", 20), 0);
    assert_int_equal(store_webhook_outbox_add(st, "zalo", "u-7", "{\"n\":2}", 20), 0);
    assert_int_equal(store_webhook_options_put(st, "zalo", "u-7", "[1]"), 0);
    assert_int_equal(round_trips(st) - before, 0); /* queued */
    assert_int_equal(store_unit_end(st, true), 0);
    /* a second unit's row, undone */
    assert_int_equal(store_unit_begin(st), 0);
    assert_int_equal(store_webhook_outbox_add(st, "zalo", "u-8", "{\"n\":3}", 20), 0);
    assert_int_equal(store_unit_end(st, false), 0);

    assert_int_equal(due(st), 1); /* only the committed row, not the batch's */
    assert_int_equal(store_outbox_pending(st), 3);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_outbox_pending(st), 3); /* u-0's, u-7's two; u-8's undone */
    assert_int_equal(due(st), 2);                  /* u-0's and u-7's first, now committed */
    o = store_options_get(st, "zalo", "u-7");
    assert_non_null(o);
    assert_string_equal(o, "[1]");
    free(o);
    assert_int_equal(store_commit(st), 0);
    store_free(st);
}

/* A delivery's many replies queued before the next event's reads: the
 * reads still go as one segment and are answered, however full the queue. */
static void test_long_queue(void **state)
{
    struct store *st = store_case_open(state);
    struct store_webhook_read rd;
    char id[16];
    int k, i, rows = 0;

    assert_int_equal(session_create_user(st, "zalo", "u-9", &rd.session), 0);
    session_fini(&rd.session);
    for (k = 28; k <= 33; k++) {
        for (i = 0; i < k; i++, rows++)
            assert_int_equal(store_webhook_outbox_add(st, "zalo", "u-9", "{}", 20), 0);
        snprintf(id, sizeof id, "e-%d", k);
        assert_int_equal(store_webhook_event(st, "zalo", id, "u-9", true, 100, &rd), 1);
        assert_true(rd.found);
        store_webhook_read_fini(&rd);
    }
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_outbox_pending(st), rows);
    store_free(st);
}

/* Whether another handle sees a session of (zalo, user); its id into *id. */
static bool has_session(void **state, const char *user, int64_t *id)
{
    struct store *b = store_case_open(state);
    struct session s;
    int rc = store_session_by_user(b, "zalo", user, &s);

    if (rc == 0) {
        *id = s.id;
        session_fini(&s);
    } else {
        assert_int_equal(rc, -ENOENT);
    }
    store_free(b);
    return rc == 0;
}

/* The session a first event needs: PostgreSQL creates it in the event's
 * round trip (a new session: not resumed, with the bot); SQLite reads none
 * and the caller creates it. Stored once the batch commits, not before. */
static void test_first_event_creates(void **state)
{
    struct store *st = store_case_open(state);
    struct store_webhook_read rd;
    int64_t id = 0, seen = 0;

    assert_int_equal(event(state, st, "f-1", "n-1", false, &rd), 1);
    if (on_pg(state)) {
        assert_true(rd.found);
        assert_true(rd.created);
        assert_false(rd.session.resumed);
        assert_true(rd.session.handoff_none);
        assert_string_equal(rd.handoff, "bot");
        assert_string_equal(rd.session.user_key, "n-1");
        assert_string_equal(rd.session.state, "{}");
        assert_int_equal(strlen(rd.session.token), SESSION_TOKEN_LEN);
    } else {
        assert_false(rd.found);
        assert_int_equal(session_create_user(st, "zalo", "n-1", &rd.session), 0);
        rd.found = true;
    }
    id = rd.session.id;
    assert_false(has_session(state, "n-1", &seen)); /* not committed */
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(st), 0);
    assert_true(has_session(state, "n-1", &seen));
    assert_int_equal(seen, id);
    /* the next event reads it: found, not created */
    assert_int_equal(event(state, st, "f-2", "n-1", false, &rd), 1);
    assert_true(rd.found);
    assert_false(rd.created);
    assert_true(rd.session.resumed);
    assert_int_equal(rd.session.id, id);
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(st), 0);
    store_free(st);
}

/* A batch that fails takes the session its first event created; the
 * redelivery creates it again and commits. PostgreSQL (SQLite creates it
 * with session_create_user(), the store contract's). */
static void test_first_event_failed_batch(void **state)
{
    struct store *st = store_case_open(state);
    struct store_webhook_read rd;
    struct session_turn t[2];
    int64_t seen = 0;

    assert_int_equal(event(state, st, "g-1", "n-2", false, &rd), 1);
    assert_true(rd.created);
    rd.session.row_locked = true;
    rd.session.version += 5; /* a save that fails its statement, and the batch */
    fixture_two_records(t, "m-g", "{}");
    assert_int_equal(session_queue_turn_locked(st, &rd.session, t, 2), 0);
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(st), -EIO);
    assert_false(has_session(state, "n-2", &seen));
    assert_int_equal(event(state, st, "g-1", "n-2", false, &rd), 1); /* the key went too */
    assert_true(rd.created);
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(st), 0);
    assert_true(has_session(state, "n-2", &seen));
    store_free(st);
}

/* A citizen forgotten (store_privacy_forget) after an event: the platform's
 * redelivery of that event is a duplicate and brings no session back, on
 * either back-end; a new event of theirs starts a new session. */
static void test_redelivery_after_forget(void **state)
{
    struct store *st = store_case_open(state);
    struct store_webhook_read rd;
    int64_t id = 0, seen = 0;

    assert_int_equal(event(state, st, "h-1", "n-4", false, &rd), 1);
    if (!rd.found) { /* SQLite: the caller creates it */
        assert_int_equal(session_create_user(st, "zalo", "n-4", &rd.session), 0);
        rd.found = true;
    }
    id = rd.session.id;
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_privacy_forget(st, id, "n-4"), 0);
    assert_int_equal(store_commit(st), 0);
    assert_false(has_session(state, "n-4", &seen));
    assert_int_equal(event(state, st, "h-1", "n-4", false, &rd), 0); /* redelivered */
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(st), 0);
    assert_false(has_session(state, "n-4", &seen)); /* not brought back */
    assert_int_equal(event(state, st, "h-2", "n-4", false, &rd), 1);
    assert_int_equal(rd.found, on_pg(state));
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(has_session(state, "n-4", &seen), on_pg(state));
    store_free(st);
}

/* Two nodes take a new citizen's first two events at once: the second's
 * INSERT waits for the first's batch, then does nothing, and its read sees
 * the first's session; both batches commit, one session. PostgreSQL: the
 * first's COMMIT is sent without waiting, so the second (waiting on the
 * server for its row) can go on in this one thread. SQLite: one writer at a
 * time, the second after the first's commit. */
static void test_first_event_race(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_webhook_read ra, rb;
    struct store_commit_done d[2];
    int64_t seen = 0;

    assert_int_equal(event(state, a, "r-1", "n-3", false, &ra), 1);
    if (on_pg(state)) {
        assert_true(ra.created);
        assert_int_equal(store_commit_send(a), 0); /* in flight */
    } else {
        assert_int_equal(session_create_user(a, "zalo", "n-3", &ra.session), 0);
        ra.found = true;
        assert_int_equal(store_commit(a), 0);
    }
    assert_int_equal(event(state, b, "r-2", "n-3", false, &rb), 1);
    assert_true(rb.found);
    assert_false(rb.created);
    assert_int_equal(rb.session.id, ra.session.id);
    assert_string_equal(rb.session.token, ra.session.token);
    if (on_pg(state)) {
        assert_int_equal(store_commit_poll(a, true, d, 2), 1);
        assert_int_equal(d[0].rc, 0);
    }
    assert_int_equal(store_commit(b), 0);
    assert_true(has_session(state, "n-3", &seen));
    assert_int_equal(seen, ra.session.id);
    store_webhook_read_fini(&ra);
    store_webhook_read_fini(&rb);
    store_free(a);
    store_free(b);
}

int main(void)
{
    const struct CMUnitTest on_sqlite[] = {
        STORE_CASE(test_new_then_seen, &sqlite_backend),
        STORE_CASE(test_undone_key, &sqlite_backend),
        STORE_CASE(test_reads_session_handoff_options, &sqlite_backend),
        STORE_CASE(test_long_user, &sqlite_backend),
        STORE_CASE(test_queued_writes, &sqlite_backend),
        STORE_CASE(test_long_queue, &sqlite_backend),
        STORE_CASE(test_locked_save, &sqlite_backend),
        STORE_CASE(test_first_event_creates, &sqlite_backend),
        STORE_CASE(test_first_event_race, &sqlite_backend),
        STORE_CASE(test_redelivery_after_forget, &sqlite_backend),
    };
    const struct CMUnitTest on_postgresql[] = {
        STORE_CASE(test_new_then_seen, &pg_backend),
        STORE_CASE(test_undone_key, &pg_backend),
        STORE_CASE(test_reads_session_handoff_options, &pg_backend),
        STORE_CASE(test_long_user, &pg_backend),
        STORE_CASE(test_queued_writes, &pg_backend),
        STORE_CASE(test_long_queue, &pg_backend),
        STORE_CASE(test_locked_save, &pg_backend),
        STORE_CASE(test_first_event_creates, &pg_backend),
        STORE_CASE(test_first_event_failed_batch, &pg_backend),
        STORE_CASE(test_first_event_race, &pg_backend),
        STORE_CASE(test_redelivery_after_forget, &pg_backend),
    };
    return store_contract_run("store contract webhook", on_sqlite, on_postgresql);
}
