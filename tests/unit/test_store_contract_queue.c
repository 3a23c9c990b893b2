/* tests/unit/test_store_contract_queue.c - a turn's save not waited for
 * (store.h store_turn_queue(), store_turn_verdict(); issue 18), on each
 * back-end (fixture_pg.h). PostgreSQL: a queued save's verdict is known
 * once its batch's commit is reported; alone it is a hit and its records
 * are stored; two handles saving one session at the same version (a node
 * each): the second's verdict is a miss and nothing of it is written,
 * whether the first's commit landed before or was still in flight; the
 * second's message resent with the first's id is then refused by the
 * waited-for save (-EALREADY) and finds the first's answer; a verdict of
 * the batch still open is read on demand; a save marked unless_handoff
 * misses while another handle has the session's handoff pending or held,
 * and hits once it is back with the bot (a turn that asks for an officer
 * or cancels: test_store_contract_request.c). SQLite: nothing is queued.
 * A new session (session_create(); docs/scaling.md "A session's first
 * read"), both back-ends: its row is in the open batch, seen by another
 * handle only once it committed, and never after a batch that failed or a
 * unit undone; PostgreSQL waits for no round trip to create it (an id the
 * handle holds), and two handles creating sessions past several blocks of
 * ids never give two the same id. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture_pg.h"
#include "session.h"
#include "store.h"

static int queue_as(struct store *st, struct session *s, const char *msg_id, const char *reply,
                    bool unless_handoff, uint64_t *save)
{
    struct session_turn t[2];

    fixture_two_records(t, msg_id, reply);
    t[0].unless_handoff = t[1].unless_handoff = unless_handoff;
    return session_queue_turn(st, s, t, 2, save);
}

static int queue(struct store *st, struct session *s, const char *msg_id, const char *reply,
                 uint64_t *save)
{
    return queue_as(st, s, msg_id, reply, false, save);
}

static void test_sqlite_waits(void **state)
{
    struct store *st = store_case_open(state);
    struct session s;
    uint64_t save = 0;
    int64_t version;

    assert_int_equal(session_create(st, "web", &s), 0);
    version = s.version;
    assert_false(store_turn_queues(st)); /* the router reads the handoff state first */
    assert_int_equal(queue(st, &s, "m-1", "{}", &save), -ENOTSUP);
    assert_int_equal(s.version, version); /* untouched: the caller saves it waiting */
    assert_int_equal(store_turn_verdict(st, 1), -ENOENT);
    assert_int_equal(store_commit(st), 0);
    session_fini(&s);
    store_free(st);
}

static void test_alone_hits(void **state)
{
    struct store *st = store_case_open(state), *b;
    struct session s, back;
    uint64_t save = 0;
    int64_t version;
    char *r;

    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(store_commit(st), 0);
    version = s.version;
    assert_int_equal(queue(st, &s, "m-1", "{\"a\":1}", &save), 0);
    assert_true(save > 0);
    assert_int_equal(s.version, version + 1);                /* optimistic */
    assert_int_equal(store_turn_verdict(st, save), -ENOENT); /* not reported yet */
    assert_int_equal(fixture_commit_wait(st), 0);
    assert_int_equal(store_turn_verdict(st, save), 0);
    assert_int_equal(store_turn_verdict(st, save), -ENOENT); /* given once */
    assert_int_equal(fixture_records(state, &s), 2);
    b = store_case_open(state);
    r = store_find_reply(b, s.id, "m-1");
    assert_non_null(r);
    assert_string_equal(r, "{\"a\":1}");
    free(r);
    assert_int_equal(session_load_token(b, s.token, &back), 0);
    assert_int_equal(back.version, s.version);
    session_fini(&back);
    store_free(b);
    session_fini(&s);
    store_free(st);
}

/* The second handle's save at the version the first moved past: a miss,
 * nothing written; its resend with the first's id finds the first's answer. */
static void second_misses(void **state, bool in_flight)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_commit_done d[2];
    struct session sa, sb;
    uint64_t save_a = 0, save_b = 0;
    size_t n;
    char *r;

    fixture_shared(state, a, b, &sa, &sb);
    assert_int_equal(queue(a, &sa, "m-a", "{\"from\":\"a\"}", &save_a), 0);
    assert_int_equal(store_commit_send(a), 0);
    if (!in_flight) {
        assert_int_equal(store_commit_poll(a, true, d, 2), 1);
        assert_int_equal(d[0].rc, 0);
    }
    /* b's statement waits on the server for a's row lock when a's commit is
     * in flight, then sees a's version: no row changed, no record */
    assert_int_equal(queue(b, &sb, "m-b", "{\"from\":\"b\"}", &save_b), 0);
    assert_int_equal(store_commit_send(b), 0);
    if (in_flight) {
        assert_int_equal(store_commit_poll(a, true, d, 2), 1);
        assert_int_equal(d[0].rc, 0);
    }
    n = store_commit_poll(b, true, d, 2);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].rc, 0); /* a miss is not a failure: the batch commits */
    assert_int_equal(store_turn_verdict(a, save_a), 0);
    assert_int_equal(store_turn_verdict(b, save_b), -EAGAIN);
    assert_int_equal(fixture_records(state, &sa), 2); /* a's two, none of b's */
    r = store_find_reply(b, sa.id, "m-b");
    assert_null(r);
    /* b's copy is behind: a resend of a's message, read back and saved
     * waiting, is refused and answered from a's record */
    session_fini(&sb);
    assert_int_equal(session_load_token(b, sa.token, &sb), 0);
    {
        struct session_turn t[2];

        fixture_two_records(t, "m-a", "{\"from\":\"b-again\"}");
        assert_int_equal(session_save_turn(b, &sb, t, 2), -EALREADY);
    }
    r = store_find_reply(b, sa.id, "m-a");
    assert_non_null(r);
    assert_string_equal(r, "{\"from\":\"a\"}");
    free(r);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(fixture_records(state, &sa), 2);
    session_fini(&sa);
    session_fini(&sb);
    store_free(a);
    store_free(b);
}

static void test_second_misses_after_commit(void **state)
{
    second_misses(state, false);
}

static void test_second_misses_commit_in_flight(void **state)
{
    second_misses(state, true);
}

/* A verdict asked for while its batch is open: read now. A chain of two on
 * one copy after another node moved the session: the first misses. */
static void test_verdict_now(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct session sa, sb;
    uint64_t s1 = 0, s2 = 0;

    fixture_shared(state, a, b, &sa, &sb);
    assert_int_equal(queue(a, &sa, "m-1", "{}", &s1), 0);
    assert_int_equal(store_turn_verdict_now(a, s1), 0);
    assert_int_equal(store_turn_verdict_now(a, s1), -ENOENT); /* given once */
    assert_int_equal(fixture_commit_wait(a), 0);
    assert_int_equal(store_turn_verdict(a, s1), -ENOENT);
    /* b's copy is one version behind: its save misses, known at once */
    assert_int_equal(queue(b, &sb, "m-2", "{}", &s2), 0);
    assert_int_equal(store_turn_verdict_now(b, s2), -EAGAIN);
    assert_int_equal(fixture_commit_wait(b), 0);
    assert_int_equal(fixture_records(state, &sa), 2);
    session_fini(&sa);
    session_fini(&sb);
    store_free(a);
    store_free(b);
}

/* One guarded save of a's copy, read back first: its verdict. */
static int guarded(void **state, struct store *a, struct session *sa, const char *msg_id,
                   bool unless_handoff)
{
    uint64_t save = 0;
    char token[sizeof(sa->token)];

    memcpy(token, sa->token, sizeof(token));
    session_fini(sa);
    assert_int_equal(session_load_token(a, token, sa), 0);
    assert_int_equal(queue_as(a, sa, msg_id, "{}", unless_handoff, &save), 0);
    assert_int_equal(fixture_commit_wait(a), 0);
    (void)state;
    return store_turn_verdict(a, save);
}

/* a's node knows nothing of the handoff b's node queued and took: a turn of
 * the bot saved unless_handoff misses (nothing written) while it is pending
 * or held, and hits once it is released; unmarked, the save does not look. */
static void test_handoff_misses(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_handoff h;
    struct session sa, sb;

    fixture_shared(state, a, b, &sa, &sb);
    assert_true(store_turn_queues(a));
    assert_int_equal(guarded(state, a, &sa, "m-0", true), 0); /* no handoff row: a hit */
    memset(&h, 0, sizeof(h));
    h.session_id = sa.id;
    snprintf(h.channel, sizeof(h.channel), "%s", "web");
    assert_int_equal(store_handoff_request(b, &h, 100), 0);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(guarded(state, a, &sa, "m-1", true), -EAGAIN); /* pending */
    assert_int_equal(store_handoff_claim(b, sa.id, "an", 101), 0);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(guarded(state, a, &sa, "m-2", true), -EAGAIN); /* held */
    assert_int_equal(fixture_records(state, &sa), 2);               /* m-0's only */
    assert_int_equal(guarded(state, a, &sa, "m-3", false), 0);      /* not asked to look */
    assert_int_equal(store_handoff_end(b, sa.id, "an", "bot", 102), 0);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(guarded(state, a, &sa, "m-4", true), 0); /* back with the bot */
    assert_int_equal(fixture_records(state, &sa), 6);
    session_fini(&sa);
    session_fini(&sb);
    store_free(a);
    store_free(b);
}

static uint64_t round_trips(const struct store *st)
{
    struct store_stats s;

    store_get_stats(st, &s);
    return s.round_trips;
}

/* Whether another handle (another node) sees the session of token. */
static bool visible(void **state, const char *token, int64_t id)
{
    struct store *b = store_case_open(state);
    struct session s;
    int rc = session_load_token(b, token, &s);

    if (rc == 0) {
        assert_int_equal(s.id, id);
        session_fini(&s);
    } else {
        assert_int_equal(rc, -ENOENT);
    }
    store_free(b);
    return rc == 0;
}

/* A session created in the open batch: no round trip waited for on
 * PostgreSQL, there once the batch committed and not before; a unit undone
 * and (PostgreSQL) a batch that fails take it with them. */
static void test_create_queued(void **state)
{
    struct store *st = store_case_open(state);
    struct session s, t;
    struct session_turn r[2];
    uint64_t before = round_trips(st);

    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(round_trips(st) - before, 0); /* PostgreSQL: queued, an id held */
    assert_true(s.id > 0);
    assert_false(s.resumed);
    assert_true(store_in_batch(st));
    assert_false(visible(state, s.token, s.id)); /* not committed */
    assert_int_equal(store_commit(st), 0);
    assert_true(visible(state, s.token, s.id));
    session_fini(&s);

    /* a unit undone takes it */
    assert_int_equal(store_unit_begin(st), 0);
    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(store_unit_end(st, false), 0);
    assert_int_equal(store_commit(st), 0);
    assert_false(visible(state, s.token, s.id));
    session_fini(&s);

    if (on_pg(state)) {
        /* a batch that fails takes it: a save on a wrong version, locked,
         * fails its statement and so the COMMIT (store_turn_queue_locked()) */
        assert_int_equal(session_create(st, "web", &s), 0);
        assert_int_equal(session_create(st, "web", &t), 0);
        t.row_locked = true;
        t.version += 5;
        fixture_two_records(r, "m-f", "{}");
        assert_int_equal(session_queue_turn_locked(st, &t, r, 2), 0);
        assert_int_equal(store_commit(st), -EIO);
        assert_false(visible(state, s.token, s.id));
        assert_false(visible(state, t.token, t.id));
        session_fini(&t);
        session_fini(&s);
    }
    /* and the next batch creates and commits as before */
    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(store_commit(st), 0);
    assert_true(visible(state, s.token, s.id));
    session_fini(&s);
    store_free(st);
}

/* sessions per handle: past the 128 ids read at open and the block of 64 after */
#define CREATED 200

static int by_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* Two handles (two nodes) creating sessions in turn, committing every ten
 * (SQLite: every one):
 * every id differs, every session is stored under its id, and on
 * PostgreSQL no creation waited for a round trip (the next block of ids
 * arrived with a commit, before the pool ran dry): the only round trips
 * are the commits'. */
static void test_ids_two_handles(void **state)
{
    struct store *h[2] = {store_case_open(state), store_case_open(state)};
    static int64_t ids[2 * CREATED];
    uint64_t before[2] = {round_trips(h[0]), round_trips(h[1])};
    unsigned commits = 0, i, k;
    struct session s;

    for (i = 0; i < CREATED; i++)
        for (k = 0; k < 2; k++) {
            assert_int_equal(session_create(h[k], "web", &s), 0);
            ids[2 * i + k] = s.id;
            if (i % 37 == 0)
                assert_true(visible(state, s.token, s.id) == false);
            session_fini(&s);
            /* SQLite: one writer at a time (a batch holds the file's write lock) */
            if (i % 10 == 9 || !on_pg(state)) {
                assert_int_equal(store_commit(h[k]), 0);
                commits += k == 0;
            }
        }
    for (k = 0; k < 2; k++)
        if (on_pg(state))
            assert_int_equal(round_trips(h[k]) - before[k], commits); /* the COMMITs only */
    qsort(ids, 2 * CREATED, sizeof(ids[0]), by_id);
    for (i = 1; i < 2 * CREATED; i++)
        assert_true(ids[i] > ids[i - 1]); /* no two alike */
    store_free(h[0]);
    store_free(h[1]);
}

int main(void)
{
    const struct CMUnitTest on_sqlite[] = {
        STORE_CASE(test_sqlite_waits, &sqlite_backend),
        STORE_CASE(test_create_queued, &sqlite_backend),
        STORE_CASE(test_ids_two_handles, &sqlite_backend),
    };
    const struct CMUnitTest on_postgresql[] = {
        STORE_CASE(test_create_queued, &pg_backend),
        STORE_CASE(test_ids_two_handles, &pg_backend),
        STORE_CASE(test_alone_hits, &pg_backend),
        STORE_CASE(test_second_misses_after_commit, &pg_backend),
        STORE_CASE(test_second_misses_commit_in_flight, &pg_backend),
        STORE_CASE(test_verdict_now, &pg_backend),
        STORE_CASE(test_handoff_misses, &pg_backend),
    };
    return store_contract_run("store contract queue", on_sqlite, on_postgresql);
}
