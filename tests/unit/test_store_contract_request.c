/* tests/unit/test_store_contract_request.c - a turn that asks for an
 * officer or cancels, its change written by its save's statement (store.h
 * store_turn_queue_handoff(); docs/scaling.md "Turns that write something
 * else"; issue 18), on each back-end (fixture_pg.h). PostgreSQL: alone, the
 * request lands with the turn's records, one feed row and its notification,
 * which comes with the commit and not before; at a stale version nothing of
 * it is written (no records, request, feed row or notification), and run
 * again, waited for or queued, it is written once; a request while one is
 * pending misses and adds no feed row; a cancel while an officer holds the
 * conversation misses, and run again ends it once. SQLite (and PostgreSQL's
 * waited-for way): the unit keeps the change and the save together. The
 * votes are test_store_contract_vote.c.
 * (Split from test_store_contract_queue.c: cases moved as they were.) */
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

struct feed_count {
    int pending, cancelled;
    char officer[32]; /* the last cancelled's */
};

static int count_feed(void *ctx, int64_t id, const char *kind, int64_t session_id,
                      int64_t message_id, const char *officer, int64_t ts_ms)
{
    struct feed_count *f = ctx;

    (void)id, (void)session_id, (void)message_id, (void)ts_ms;
    if (strcmp(kind, "pending") == 0)
        f->pending++;
    if (strcmp(kind, "cancelled") == 0) {
        f->cancelled++;
        snprintf(f->officer, sizeof(f->officer), "%s", officer);
    }
    return 0;
}

/* What another handle sees committed of s's handoff: its state into st_out
 * (a session never handed off reads "bot"), and the feed's "pending" rows. */
static int committed_feed(void **state, const struct session *s, char *st_out, size_t cap,
                          struct feed_count *f)
{
    struct store *o = store_case_open(state);
    struct store_handoff h;

    memset(f, 0, sizeof(*f));
    assert_int_equal(store_handoff_get(o, s->id, &h), 0);
    snprintf(st_out, cap, "%s", h.state);
    assert_int_equal(store_feed_since(o, 0, 100, count_feed, f), 0);
    assert_int_equal(store_commit(o), 0);
    store_free(o);
    return f->pending;
}

static int committed_handoff(void **state, const struct session *s, char *st_out, size_t cap)
{
    struct feed_count f;

    return committed_feed(state, s, st_out, cap, &f);
}

static void request_of(const struct session *s, struct store_handoff *h)
{
    memset(h, 0, sizeof(*h));
    h->session_id = s->id;
    snprintf(h->state, sizeof(h->state), "%s", "pending"); /* the change: a request */
    snprintf(h->channel, sizeof(h->channel), "%s", s->channel);
    snprintf(h->procedure, sizeof(h->procedure), "%s", "cccd");
    snprintf(h->locality, sizeof(h->locality), "%s", "00001");
}

static int queue_request(struct store *st, struct session *s, const char *msg_id, uint64_t *save)
{
    struct session_turn t[2];
    struct store_handoff h;

    fixture_two_records(t, msg_id, "{\"handoff\":{\"state\":\"pending\"}}");
    t[0].unless_handoff = t[1].unless_handoff = true; /* as the router marks a bot's turn */
    request_of(s, &h);
    return store_turn_queue_handoff(st, s, t, 2, &h, 100, save);
}

/* The waited-for way (SQLite's; PostgreSQL's when the save cannot be
 * queued, and a turn run again): the request and the save in one unit,
 * kept only if the save succeeded. Returns the save's result. */
static int request_waited(struct store *st, struct session *s, const char *msg_id)
{
    struct session_turn t[2];
    struct store_handoff h;
    int rc;

    fixture_two_records(t, msg_id, "{\"handoff\":{\"state\":\"pending\"}}");
    request_of(s, &h);
    assert_int_equal(store_unit_begin(st), 0);
    assert_int_equal(store_handoff_request(st, &h, 100), 0);
    rc = session_save_turn(st, s, t, 2);
    assert_int_equal(store_unit_end(st, rc == 0), 0);
    return rc;
}

/* A NOTIFY on the feed's channel arrived on c (a listener of its own). */
static bool notified(PGconn *c)
{
    PGnotify *n;
    bool got = false;

    assert_int_equal(PQconsumeInput(c), 1);
    while ((n = PQnotifies(c)) != NULL) {
        got = got || strcmp(n->relname, "motcua_feed") == 0;
        PQfreemem(n);
    }
    return got;
}

static PGconn *listener(void)
{
    PGconn *c = PQconnectdb(fixture_pg_url());
    PGresult *r = PQexec(c, "LISTEN motcua_feed");

    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    return c;
}

/* Alone: a hit; the turn's records, the request pending and its one feed
 * row land with the commit, and the feed's notification is sent by it. */
static void test_request_queued_hits(void **state)
{
    struct store *st = store_case_open(state);
    PGconn *ear = listener();
    struct session s;
    uint64_t save = 0;
    char hs[16];

    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(queue_request(st, &s, "m-1", &save), 0);
    assert_true(save > 0);
    assert_int_equal(committed_handoff(state, &s, hs, sizeof(hs)), 0); /* nothing before */
    assert_string_equal(hs, "bot");
    assert_false(notified(ear));
    assert_int_equal(fixture_commit_wait(st), 0);
    assert_int_equal(store_turn_verdict(st, save), 0);
    assert_int_equal(fixture_records(state, &s), 2);
    assert_int_equal(committed_handoff(state, &s, hs, sizeof(hs)), 1);
    assert_string_equal(hs, "pending");
    usleep(100 * 1000); /* the notification crosses the server */
    assert_true(notified(ear));
    PQfinish(ear);
    session_fini(&s);
    store_free(st);
}

/* Two handles, one session: b's request saved at the version a moved past
 * misses: neither its records nor its request nor a feed row, nor a
 * notification; b's turn run again (read back, waited for) writes both once. */
static void request_misses(void **state, bool rerun_queued)
{
    struct session_turn plain[2];
    struct store *a = store_case_open(state), *b = store_case_open(state);
    PGconn *ear = listener();
    struct session sa, sb;
    uint64_t save_a = 0, save_b = 0;
    char hs[16];

    fixture_shared(state, a, b, &sa, &sb);
    fixture_two_records(plain, "m-a", "{}"); /* a plain turn's save, first */
    assert_int_equal(session_queue_turn(a, &sa, plain, 2, &save_a), 0);
    assert_int_equal(fixture_commit_wait(a), 0);
    assert_int_equal(store_turn_verdict(a, save_a), 0);
    assert_int_equal(queue_request(b, &sb, "m-b", &save_b), 0);
    assert_int_equal(fixture_commit_wait(b), 0); /* a miss is not a failure */
    assert_int_equal(store_turn_verdict(b, save_b), -EAGAIN);
    assert_int_equal(fixture_records(state, &sa), 2); /* a's only */
    assert_int_equal(committed_handoff(state, &sa, hs, sizeof(hs)), 0);
    assert_string_equal(hs, "bot");
    usleep(100 * 1000);
    assert_false(notified(ear));
    /* run again: read back, then saved waiting (ws_turn.c) or queued again */
    session_fini(&sb);
    assert_int_equal(session_load_token(b, sa.token, &sb), 0);
    if (rerun_queued) {
        assert_int_equal(queue_request(b, &sb, "m-b", &save_b), 0);
        assert_int_equal(fixture_commit_wait(b), 0);
        assert_int_equal(store_turn_verdict(b, save_b), 0);
    } else {
        assert_int_equal(request_waited(b, &sb, "m-b"), 0);
        assert_int_equal(store_commit(b), 0);
    }
    assert_int_equal(fixture_records(state, &sa), 4);
    assert_int_equal(committed_handoff(state, &sa, hs, sizeof(hs)), 1);
    assert_string_equal(hs, "pending");
    usleep(100 * 1000);
    assert_true(notified(ear));
    PQfinish(ear);
    session_fini(&sa);
    session_fini(&sb);
    store_free(a);
    store_free(b);
}

static void test_request_misses_rerun_waited(void **state)
{
    request_misses(state, false);
}

static void test_request_misses_rerun_queued(void **state)
{
    request_misses(state, true);
}

/* A request while one is pending changes nothing, and the save marked
 * unless_handoff misses: no second feed row, no records. */
static void test_request_while_pending(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct session sa, sb;
    uint64_t save = 0;
    char hs[16];

    fixture_shared(state, a, b, &sa, &sb);
    assert_int_equal(request_waited(a, &sa, "m-a"), 0);
    assert_int_equal(store_commit(a), 0);
    session_fini(&sb);
    assert_int_equal(session_load_token(b, sa.token, &sb), 0); /* a current copy */
    assert_int_equal(queue_request(b, &sb, "m-b", &save), 0);
    assert_int_equal(fixture_commit_wait(b), 0);
    assert_int_equal(store_turn_verdict(b, save), -EAGAIN);
    assert_int_equal(fixture_records(state, &sa), 2);
    assert_int_equal(committed_handoff(state, &sa, hs, sizeof(hs)), 1);
    assert_string_equal(hs, "pending");
    session_fini(&sa);
    session_fini(&sb);
    store_free(a);
    store_free(b);
}

/* The citizen's cancel ("bot"), queued with its save (marked unless_handoff
 * as the router marks every bot turn: the save must not miss for the
 * handoff it ends). */
static int queue_cancel(struct store *st, struct session *s, const char *msg_id, uint64_t *save)
{
    struct session_turn t[2];
    struct store_handoff h;

    fixture_two_records(t, msg_id, "{\"handoff\":{\"state\":\"bot\"}}");
    t[0].unless_handoff = t[1].unless_handoff = true;
    memset(&h, 0, sizeof(h));
    h.session_id = s->id;
    snprintf(h.state, sizeof(h.state), "bot");
    return store_turn_queue_handoff(st, s, t, 2, &h, 200, save);
}

/* A cancel queued while an officer holds the conversation: a hit ends it,
 * one "cancelled" feed row naming the officer; the same cancel saved at a
 * stale version misses and leaves the officer holding it, no feed row;
 * run again on a fresh copy, it ends it once. */
static void test_cancel_queued(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct session sa, sb;
    struct feed_count f;
    uint64_t save = 0, save_a = 0;
    char hs[16];

    fixture_shared(state, a, b, &sa, &sb);
    assert_int_equal(request_waited(a, &sa, "m-r"), 0);
    assert_int_equal(store_handoff_claim(a, sa.id, "an", 101), 0);
    assert_int_equal(store_commit(a), 0);
    /* b's copy is behind (a's request moved it): a miss, the officer keeps it */
    assert_int_equal(queue_cancel(b, &sb, "m-c", &save), 0);
    assert_int_equal(fixture_commit_wait(b), 0);
    assert_int_equal(store_turn_verdict(b, save), -EAGAIN);
    committed_feed(state, &sa, hs, sizeof(hs), &f);
    assert_string_equal(hs, "officer");
    assert_int_equal(f.cancelled, 0);
    assert_int_equal(fixture_records(state, &sa), 2);
    /* run again on a fresh copy: ended once, with the turn */
    session_fini(&sb);
    assert_int_equal(session_load_token(b, sa.token, &sb), 0);
    assert_int_equal(queue_cancel(b, &sb, "m-c", &save), 0);
    assert_int_equal(fixture_commit_wait(b), 0);
    assert_int_equal(store_turn_verdict(b, save), 0);
    committed_feed(state, &sa, hs, sizeof(hs), &f);
    assert_string_equal(hs, "bot");
    assert_int_equal(f.cancelled, 1);
    assert_string_equal(f.officer, "an");
    assert_int_equal(fixture_records(state, &sa), 4);
    /* nothing live: a cancel saves its turn and changes nothing */
    session_fini(&sa);
    assert_int_equal(session_load_token(a, sb.token, &sa), 0);
    assert_int_equal(queue_cancel(a, &sa, "m-c2", &save_a), 0);
    assert_int_equal(fixture_commit_wait(a), 0);
    assert_int_equal(store_turn_verdict(a, save_a), 0);
    committed_feed(state, &sa, hs, sizeof(hs), &f);
    assert_int_equal(f.cancelled, 1);
    assert_int_equal(fixture_records(state, &sa), 6);
    session_fini(&sa);
    session_fini(&sb);
    store_free(a);
    store_free(b);
}

/* Both back-ends, the waited-for way: a save that misses undoes the
 * request with it; SQLite queues nothing. */
static void test_request_waited_together(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct session sa, sb;
    uint64_t save = 0;
    int64_t version;
    char hs[16];

    fixture_shared(state, a, b, &sa, &sb);
    if (!on_pg(state)) {
        version = sb.version;
        assert_int_equal(queue_request(b, &sb, "m-0", &save), -ENOTSUP);
        assert_int_equal(sb.version, version);
    }
    {
        struct session_turn t[2];

        fixture_two_records(t, "m-a", "{}");
        assert_int_equal(session_save_turn(a, &sa, t, 2), 0); /* a moves the session */
        assert_int_equal(store_commit(a), 0);
    }
    assert_int_equal(request_waited(b, &sb, "m-b"), -EAGAIN); /* b's copy is behind */
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(fixture_records(state, &sa), 2);                   /* a's */
    assert_int_equal(committed_handoff(state, &sa, hs, sizeof(hs)), 0); /* undone with it */
    assert_string_equal(hs, "bot");
    session_fini(&sb);
    assert_int_equal(session_load_token(b, sa.token, &sb), 0); /* run again: both, once */
    assert_int_equal(request_waited(b, &sb, "m-b"), 0);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(fixture_records(state, &sa), 4);
    assert_int_equal(committed_handoff(state, &sa, hs, sizeof(hs)), 1);
    assert_string_equal(hs, "pending");
    session_fini(&sa);
    session_fini(&sb);
    store_free(a);
    store_free(b);
}

int main(void)
{
    const struct CMUnitTest on_sqlite[] = {
        STORE_CASE(test_request_waited_together, &sqlite_backend),
    };
    const struct CMUnitTest on_postgresql[] = {
        STORE_CASE(test_request_queued_hits, &pg_backend),
        STORE_CASE(test_request_misses_rerun_waited, &pg_backend),
        STORE_CASE(test_request_misses_rerun_queued, &pg_backend),
        STORE_CASE(test_request_while_pending, &pg_backend),
        STORE_CASE(test_request_waited_together, &pg_backend),
        STORE_CASE(test_cancel_queued, &pg_backend),
    };
    return store_contract_run("store contract request", on_sqlite, on_postgresql);
}
