/* tests/unit/test_store_contract_commit.c - the group commit without waiting
 * (store.h, issue 18), on each back-end (fixture_pg.h). PostgreSQL: a batch's
 * COMMIT is sent, its result comes from store_commit_poll() with the batch's
 * ticket; the next batch opens on the second connection while it is in
 * flight, even on the same session (its compare-and-swap waits on the
 * server for the first batch's row lock, then sees it), and results come
 * oldest first; a COMMIT that fails reports -EIO for its batch only and
 * leaves nothing of it; a connection lost with a batch open fails that batch
 * and the store reconnects; an outbox row is due only once its COMMIT has
 * landed (neither in the open batch nor in flight); when every other
 * connection carries a COMMIT, the next is not sent (-EAGAIN) and its batch
 * stays open, taking more work without waiting, until one lands. SQLite:
 * nothing is in flight, store_commit() as before. */
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

#include "fixture_pg.h"
#include "session.h"
#include "store.h"
#include "store_pg.h"

/* Saves a turn of s (msg_id) into st's batch. */
static void save_turn(struct store *st, struct session *s, const char *msg_id)
{
    struct session_turn t[2];

    fixture_two_records(t, msg_id, "{\"messages\":[]}");
    assert_int_equal(session_save_turn(st, s, t, 2), 0);
}

/* Whether b (another handle) sees the reply of msg_id in s. */
static bool stored(struct store *b, const struct session *s, const char *msg_id)
{
    char *r = store_find_reply(b, s->id, msg_id);
    bool found = r != NULL;

    free(r);
    return found;
}

static void test_sqlite_commits_at_once(void **state)
{
    struct store *st = store_case_open(state);
    struct store_commit_done d[2];
    struct session s;

    assert_false(store_commits_async(st));
    assert_int_equal(store_batch_ticket(st), 0);
    assert_int_equal(session_create(st, "web", &s), 0);
    assert_true(store_batch_ticket(st) > 0);
    assert_int_equal(store_commit_send(st), -ENOTSUP);
    assert_true(store_in_batch(st)); /* untouched: store_commit() commits it */
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_commits_in_flight(st), 0);
    assert_int_equal(store_commit_poll(st, true, d, 2), 0);
    session_fini(&s);
    store_free(st);
}

static void test_commit_sent_lands(void **state)
{
    struct store *st = store_case_open(state), *b;
    struct store_commit_done d[2];
    struct session s;
    uint64_t ticket;

    assert_true(store_commits_async(st));
    assert_int_equal(session_create(st, "web", &s), 0);
    save_turn(st, &s, "m-1");
    ticket = store_batch_ticket(st);
    assert_true(ticket > 0);
    assert_int_equal(store_unit_begin(st), 0);
    assert_int_equal(store_commit_send(st), -EBUSY); /* never with a unit open */
    assert_int_equal(store_unit_end(st, true), 0);
    assert_int_equal(store_commit_send(st), 0);
    assert_false(store_in_batch(st));
    assert_int_equal(store_batch_ticket(st), 0);
    assert_int_equal(store_commits_in_flight(st), 1);
    assert_true(store_commit_socket(st, ticket) >= 0);
    assert_int_equal(store_commit_poll(st, true, d, 2), 1);
    assert_int_equal(d[0].ticket, ticket);
    assert_int_equal(d[0].rc, 0);
    assert_int_equal(store_commits_in_flight(st), 0);
    assert_int_equal(store_commit_socket(st, ticket), -1);
    b = store_case_open(state);
    assert_true(stored(b, &s, "m-1"));
    store_free(b);
    session_fini(&s);
    store_free(st);
}

static void test_two_batches_in_flight(void **state)
{
    struct store *st = store_case_open(state), *b;
    struct store_commit_done d[4];
    struct session s, back;
    uint64_t t1, t2, t3;
    size_t n = 0;

    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(store_commit(st), 0);
    save_turn(st, &s, "m-1");
    t1 = store_batch_ticket(st);
    assert_int_equal(store_commit_send(st), 0);
    /* the next batch, the same session, while the first may be in flight:
     * its row lock (store_pg_turn_lock(), before the compare-and-swap) waits
     * for the first's, and the compare-and-swap then sees it: it failed 1
     * run in 10-15 without the lock, the UPDATE's snapshot older than the
     * first's COMMIT */
    save_turn(st, &s, "m-2");
    t2 = store_batch_ticket(st);
    assert_true(t2 > t1);
    assert_int_equal(store_commit_send(st), 0);
    while (n < 2) /* oldest first, whatever order they land in */
        n += store_commit_poll(st, true, d + n, 4 - n);
    assert_int_equal(d[0].ticket, t1);
    assert_int_equal(d[1].ticket, t2);
    assert_int_equal(d[0].rc, 0);
    assert_int_equal(d[1].rc, 0);
    /* a third: on the first connection again, free by now */
    save_turn(st, &s, "m-3");
    t3 = store_batch_ticket(st);
    assert_int_equal(store_commit_send(st), 0);
    assert_int_equal(store_commit_poll(st, true, d, 4), 1);
    assert_int_equal(d[0].ticket, t3);
    assert_int_equal(d[0].rc, 0);
    b = store_case_open(state);
    assert_true(stored(b, &s, "m-1") && stored(b, &s, "m-2") && stored(b, &s, "m-3"));
    assert_int_equal(session_load_token(b, s.token, &back), 0);
    assert_int_equal(back.version, s.version); /* three turns, none lost */
    session_fini(&back);
    store_free(b);
    session_fini(&s);
    store_free(st);
}

static void test_failed_commit_is_its_batch_only(void **state)
{
    struct store *st = store_case_open(state), *b;
    struct store_commit_done d[4];
    struct session s;
    uint64_t t1, t2;
    size_t n = 0;
    char *o;

    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(store_commit(st), 0);
    /* checked at COMMIT, as a WAL write that fails: the COMMIT itself fails */
    fixture_raw(true, "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                      "$$BEGIN IF NEW.options = '[0]' THEN RAISE EXCEPTION 'disk full'; END IF;"
                      " RETURN NULL; END$$;"
                      "CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON chan_options "
                      "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse();");
    save_turn(st, &s, "m-lost");
    assert_int_equal(store_options_put(st, "zalo", "u1", "[0]"), 0);
    t1 = store_batch_ticket(st);
    assert_int_equal(store_commit_send(st), 0);
    s.version--; /* the turn is not stored: the next one compares with the old version */
    assert_int_equal(store_options_put(st, "zalo", "u2", "[2]"), 0);
    t2 = store_batch_ticket(st);
    assert_int_equal(store_commit_send(st), 0);
    while (n < 2)
        n += store_commit_poll(st, true, d + n, 4 - n);
    assert_int_equal(d[0].ticket, t1);
    assert_int_equal(d[0].rc, -EIO);
    assert_int_equal(d[1].ticket, t2);
    assert_int_equal(d[1].rc, 0);
    b = store_case_open(state);
    assert_false(stored(b, &s, "m-lost"));
    assert_null(store_options_get(b, "zalo", "u1"));
    o = store_options_get(b, "zalo", "u2");
    assert_non_null(o);
    free(o);
    /* the connection of the failed batch serves the next one */
    save_turn(st, &s, "m-again");
    assert_int_equal(store_commit_send(st), 0);
    assert_int_equal(store_commit_poll(st, true, d, 4), 1);
    assert_int_equal(d[0].rc, 0);
    assert_true(stored(b, &s, "m-again"));
    store_free(b);
    session_fini(&s);
    store_free(st);
}

static void test_lost_connection_fails_the_batch(void **state)
{
    struct store *st = store_case_open(state), *b;
    struct store_commit_done d[4];
    struct session s;
    size_t n = 0;
    int i, rc;

    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(store_commit_send(st), 0); /* both connections open */
    assert_int_equal(store_commit_poll(st, true, d, 4), 1);
    save_turn(st, &s, "m-lost");
    /* the server ends every session but the one asking: a restart, a failover */
    fixture_raw(true, "DO $$BEGIN PERFORM pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid(); END$$");
    assert_int_equal(store_commit_send(st), 0);
    while (n < 1)
        n += store_commit_poll(st, true, d + n, 4 - n);
    assert_int_equal(d[0].rc, -EIO);
    s.version--;
    for (i = 0, rc = -EIO; i < 30 && rc; i++) { /* back within STORE_PG_RETRY_MS or so */
        struct session_turn t[2];

        fixture_two_records(t, "m-back", "{\"messages\":[]}");
        rc = session_save_turn(st, &s, t, 2);
        if (rc) {
            if (store_in_batch(st))
                assert_int_equal(store_commit(st), -EIO); /* the failed attempt ends */
            usleep(100 * 1000);
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(store_commit_send(st), 0);
    assert_int_equal(store_commit_poll(st, true, d, 4), 1);
    assert_int_equal(d[0].rc, 0);
    b = store_case_open(state);
    assert_false(stored(b, &s, "m-lost"));
    assert_true(stored(b, &s, "m-back"));
    store_free(b);
    session_fini(&s);
    store_free(st);
}

static void free_rows(struct store_outbox_row *r, size_t n)
{
    while (n)
        free(r[--n].body);
}

/* Issue 18: a reply is sent only after its turn is committed. The outbox's
 * pump reads due rows on the connection of the open batch (the timer and
 * the socket callbacks of an lws pass interleave with the units that queue
 * replies) or, while a COMMIT is in flight, on the other one: neither the
 * open batch's rows nor those of a COMMIT not yet landed are due, and the
 * rows of a COMMIT that fails never are. */
static void test_outbox_due_sees_committed_only(void **state)
{
    struct store *st = store_case_open(state);
    struct store_commit_done d[4];
    struct store_outbox_row r[8];
    size_t n, got = 0;
    uint64_t t1, t2;

    fixture_raw(true, "CREATE FUNCTION at_commit() RETURNS trigger LANGUAGE plpgsql AS "
                      "$$BEGIN IF NEW.body LIKE '%slow%' THEN PERFORM pg_sleep(0.8); END IF;"
                      " IF NEW.body LIKE '%fail%' THEN RAISE EXCEPTION 'disk full'; END IF;"
                      " RETURN NULL; END$$;"
                      "CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON outbox "
                      "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION at_commit();");
    assert_int_equal(store_outbox_add(st, "zalo", "u1", "{\"slow\":1}", 1000), 0);
    assert_int_equal(store_outbox_due(st, 5000, r, 8, &n), 0);
    assert_int_equal(n, 0); /* in the open batch */
    t1 = store_batch_ticket(st);
    assert_int_equal(store_commit_send(st), 0); /* lands in 0.8 s */
    assert_int_equal(store_outbox_add(st, "messenger", "u2", "{\"n\":2}", 1000), 0);
    assert_int_equal(store_outbox_due(st, 5000, r, 8, &n), 0);
    assert_int_equal(n, 0); /* u1's COMMIT in flight, u2's batch open */
    assert_int_equal(store_commit_poll(st, false, d, 4), 0); /* it was in flight all along */
    t2 = store_batch_ticket(st);
    assert_int_equal(store_commit_send(st), 0);
    while (got < 2)
        got += store_commit_poll(st, true, d + got, 4 - got);
    assert_int_equal(d[0].ticket, t1);
    assert_int_equal(d[0].rc, 0);
    assert_int_equal(d[1].ticket, t2);
    assert_int_equal(d[1].rc, 0);
    assert_int_equal(store_outbox_due(st, 5000, r, 8, &n), 0);
    assert_int_equal(n, 2); /* both committed: due */
    assert_string_equal(r[0].body, "{\"slow\":1}");
    assert_string_equal(r[1].body, "{\"n\":2}");
    assert_int_equal(store_outbox_done(st, r[0].id, "sent", 1), 0);
    assert_int_equal(store_outbox_done(st, r[1].id, "sent", 1), 0);
    free_rows(r, n);
    assert_int_equal(store_commit(st), 0);

    /* a COMMIT that fails: its row is never due, before, during or after */
    assert_int_equal(store_outbox_add(st, "zalo", "u3", "{\"fail\":3}", 1000), 0);
    assert_int_equal(store_outbox_due(st, 5000, r, 8, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_commit_send(st), 0);
    assert_int_equal(store_outbox_due(st, 5000, r, 8, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_commit_poll(st, true, d, 4), 1);
    assert_int_equal(d[0].rc, -EIO);
    assert_int_equal(store_outbox_due(st, 5000, r, 8, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_outbox_pending(st), 0);
    store_free(st);
}

static double ms_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Issue 18: the loop never waits for a COMMIT to take the next batch's
 * statements. With STORE_PG_LINKS - 1 COMMITs in flight (each 0.8 s), the
 * next batch's COMMIT is put off and the batch keeps taking work at once;
 * sent once the oldest has landed, it commits everything it took. */
static void test_batch_grows_while_links_commit(void **state)
{
    struct store *st = store_case_open(state), *b;
    struct store_commit_done d[STORE_PG_LINKS + 2];
    struct store_stats stats;
    uint64_t t[STORE_PG_LINKS], last;
    char body[32];
    size_t n = 0;
    double t0;
    unsigned i;

    fixture_raw(true, "CREATE FUNCTION at_commit() RETURNS trigger LANGUAGE plpgsql AS "
                      "$$BEGIN IF NEW.body LIKE '%slow%' THEN PERFORM pg_sleep(0.8); END IF;"
                      " RETURN NULL; END$$;"
                      "CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON outbox "
                      "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION at_commit();");
    for (i = 0; i + 1 < STORE_PG_LINKS; i++) { /* every link but one carries a slow COMMIT */
        snprintf(body, sizeof(body), "{\"slow\":%u}", i);
        assert_int_equal(store_outbox_add(st, "zalo", "u1", body, 1000), 0);
        t[i] = store_batch_ticket(st);
        assert_int_equal(store_commit_send(st), 0);
    }
    assert_int_equal(store_commits_in_flight(st), STORE_PG_LINKS - 1);
    t0 = ms_now();
    assert_int_equal(store_outbox_add(st, "zalo", "u1", "{\"n\":1}", 1000), 0);
    last = store_batch_ticket(st);
    assert_int_equal(store_commit_send(st), -EAGAIN); /* nowhere to open the next batch */
    assert_true(store_in_batch(st));
    assert_int_equal(store_batch_ticket(st), last); /* the same batch, still open */
    assert_int_equal(store_outbox_add(st, "zalo", "u1", "{\"n\":2}", 1000), 0);
    assert_int_equal(store_commit_send(st), -EAGAIN);
    assert_false(store_would_wait(st));
    assert_true(ms_now() - t0 < 400); /* not one COMMIT's 800 ms waited */
    while (n < STORE_PG_LINKS - 1)
        n += store_commit_poll(st, true, d + n, STORE_PG_LINKS + 2 - n);
    for (i = 0; i + 1 < STORE_PG_LINKS; i++) {
        assert_int_equal(d[i].ticket, t[i]);
        assert_int_equal(d[i].rc, 0);
    }
    assert_int_equal(store_commit_send(st), 0); /* a link is free now */
    assert_int_equal(store_commit_poll(st, true, d, 2), 1);
    assert_int_equal(d[0].ticket, last);
    assert_int_equal(d[0].rc, 0);
    store_get_stats(st, &stats);
    assert_true(stats.deferred >= 2);
    b = store_case_open(state);
    assert_int_equal(store_outbox_pending(b), STORE_PG_LINKS + 1); /* nothing of it lost */
    store_free(b);
    store_free(st);
}

int main(void)
{
    /* what is in flight exists on PostgreSQL only; SQLite's case says nothing is */
    const struct CMUnitTest on_sqlite[] = {
        STORE_CASE(test_sqlite_commits_at_once, &sqlite_backend)};
    const struct CMUnitTest on_postgresql[] = {
        STORE_CASE(test_commit_sent_lands, &pg_backend),
        STORE_CASE(test_two_batches_in_flight, &pg_backend),
        STORE_CASE(test_failed_commit_is_its_batch_only, &pg_backend),
        STORE_CASE(test_lost_connection_fails_the_batch, &pg_backend),
        STORE_CASE(test_outbox_due_sees_committed_only, &pg_backend),
        STORE_CASE(test_batch_grows_while_links_commit, &pg_backend),
    };
    return store_contract_run("store contract commit", on_sqlite, on_postgresql);
}
