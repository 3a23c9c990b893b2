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
 * waited-for way): the unit keeps the change and the save together. A vote
 * by quick reply (store_turn_queue_feedback()) the same way: it lands with
 * its turn or not at all, a miss writes nothing and run again it is
 * written once; a webhook's locked save fails the batch rather than miss.
 * A vote by WebSocket frame (store_feedback_cast()), both back-ends: it
 * lands only on an answer of its session, replacing an earlier vote, and a
 * miss writes nothing and is reported (PostgreSQL: by its verdict, after
 * the commit); an answer erased while its statement waits is a miss.
 * A webhook event's read carries the session's latest answer (PostgreSQL),
 * what a vote by quick reply needs.
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

/* ---- a vote by quick reply, written by its turn's save --------------- */

#define ASKING "{\"messages\":[],\"feedback\":{\"question\":\"Có giúp được bạn không?\"}}"

/* Votes committed, as another handle's report counts them. */
static void committed_votes(void **state, uint64_t *up, uint64_t *down)
{
    struct store *o = store_case_open(state);
    struct store_report_span sp = {0, 4000000000LL, 0};
    bool available = false;

    assert_int_equal(store_report_feedback(o, &sp, &available, up, down), 0);
    assert_true(available);
    assert_int_equal(store_commit(o), 0);
    store_free(o);
}

/* a saves (waited) an answer that asks "Có giúp được bạn không?"; b's copy
 * is then read again (current), and *v is b's vote on that answer. */
static void asked(void **state, struct store *a, struct store *b, struct session *sa,
                  struct session *sb, const char *vote, struct store_feedback_vote *v)
{
    struct session_turn t[2];

    fixture_shared(state, a, b, sa, sb);
    fixture_two_records(t, "m-q", ASKING);
    assert_int_equal(session_save_turn(a, sa, t, 2), 0);
    assert_int_equal(store_commit(a), 0);
    session_fini(sb);
    assert_int_equal(session_load_token(b, sa->token, sb), 0);
    memset(v, 0, sizeof(*v));
    assert_int_equal(store_feedback_answer(b, sb->id, NULL, &v->a), 0);
    assert_true(v->a.asks);
    snprintf(v->vote, sizeof(v->vote), "%s", vote);
    v->ts = 1000;
}

/* The vote's turn (its payload and the thanks), marked as the router marks
 * a bot's turn. */
static void vote_turn(struct session_turn t[2], const char *msg_id, const char *payload)
{
    fixture_two_records(t, msg_id, "{\"messages\":[{\"text\":\"Cảm ơn bạn!\"}]}");
    t[0].text = payload;
    t[0].unless_handoff = t[1].unless_handoff = true;
}

/* The waited-for way (SQLite's; PostgreSQL's when the save cannot be
 * queued, and a turn run again): the vote and the save in one unit. */
static int vote_waited(struct store *st, struct session *s, const struct store_feedback_vote *v,
                       const char *msg_id)
{
    struct session_turn t[2];
    int rc;

    vote_turn(t, msg_id, "feedback:up");
    assert_int_equal(store_unit_begin(st), 0);
    assert_int_equal(store_feedback_put(st, s->id, &v->a, s->channel, v->vote, NULL, v->ts), 0);
    rc = session_save_turn(st, s, t, 2);
    assert_int_equal(store_unit_end(st, rc == 0), 0);
    return rc;
}

/* PostgreSQL: queued alone, the vote lands with the turn's records at the
 * commit, not before; at a version another node moved past, b's vote
 * ("down") misses: no records, no vote; run again on a fresh copy (queued
 * or waited for), its vote ("up") is written once. */
static void vote_queued(void **state, bool rerun_queued)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct session_turn t[2];
    struct session sa, sb;
    struct store_feedback_vote v;
    uint64_t save = 0, up = 9, down = 9;

    asked(state, a, b, &sa, &sb, "up", &v);
    vote_turn(t, "m-v1", "feedback:up");
    assert_int_equal(store_turn_queue_feedback(b, &sb, t, 2, &v, &save), 0);
    assert_true(save > 0);
    committed_votes(state, &up, &down);
    assert_int_equal(up + down, 0); /* nothing before the commit */
    assert_int_equal(fixture_commit_wait(b), 0);
    assert_int_equal(store_turn_verdict(b, save), 0);
    committed_votes(state, &up, &down);
    assert_int_equal(up, 1);
    assert_int_equal(down, 0);
    assert_int_equal(fixture_records(state, &sa), 4);

    /* a's copy is now behind b's: a's vote "down" misses */
    snprintf(v.vote, sizeof(v.vote), "down");
    vote_turn(t, "m-v2", "feedback:down");
    assert_int_equal(store_turn_queue_feedback(a, &sa, t, 2, &v, &save), 0);
    assert_int_equal(fixture_commit_wait(a), 0); /* a miss is not a failure */
    assert_int_equal(store_turn_verdict(a, save), -EAGAIN);
    committed_votes(state, &up, &down);
    assert_int_equal(up, 1);
    assert_int_equal(down, 0); /* no vote written */
    assert_int_equal(fixture_records(state, &sa), 4);
    /* run again: read back, then queued again or saved waiting (ws_turn.c) */
    session_fini(&sa);
    assert_int_equal(session_load_token(a, sb.token, &sa), 0);
    if (rerun_queued) {
        assert_int_equal(store_turn_queue_feedback(a, &sa, t, 2, &v, &save), 0);
        assert_int_equal(fixture_commit_wait(a), 0);
        assert_int_equal(store_turn_verdict(a, save), 0);
    } else {
        assert_int_equal(vote_waited(a, &sa, &v, "m-v2"), 0);
        assert_int_equal(store_commit(a), 0);
    }
    committed_votes(state, &up, &down);
    assert_int_equal(up, 0); /* the vote on the answer replaced, once */
    assert_int_equal(down, 1);
    assert_int_equal(fixture_records(state, &sa), 6);
    session_fini(&sa);
    session_fini(&sb);
    store_free(a);
    store_free(b);
}

static void test_vote_queued_rerun_waited(void **state)
{
    vote_queued(state, false);
}

static void test_vote_queued_rerun_queued(void **state)
{
    vote_queued(state, true);
}

/* PostgreSQL: a webhook's session, its row held by the batch
 * (s->row_locked): the vote is queued without a verdict and lands with the
 * commit; on a wrong version the statement fails the batch, and neither
 * the turn nor the vote is written. */
static void test_vote_locked(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct session_turn t[2];
    struct session sa, sb;
    struct store_feedback_vote v;
    uint64_t up = 9, down = 9;

    asked(state, a, b, &sa, &sb, "down", &v);
    vote_turn(t, NULL, "feedback:down");
    assert_int_equal(store_turn_queue_feedback(b, &sb, t, 2, &v, NULL), -ENOTSUP); /* unlocked */
    sb.row_locked = true;
    assert_int_equal(store_turn_queue_feedback(b, &sb, t, 2, &v, NULL), 0);
    assert_int_equal(store_commit(b), 0);
    committed_votes(state, &up, &down);
    assert_int_equal(down, 1);
    assert_int_equal(fixture_records(state, &sa), 4);
    sb.version += 5; /* wrong: a miss fails the batch */
    snprintf(v.vote, sizeof(v.vote), "up");
    assert_int_equal(store_turn_queue_feedback(b, &sb, t, 2, &v, NULL), 0);
    assert_int_equal(store_commit(b), -EIO);
    committed_votes(state, &up, &down);
    assert_int_equal(up, 0);
    assert_int_equal(down, 1);
    assert_int_equal(fixture_records(state, &sa), 4);
    session_fini(&sa);
    session_fini(&sb);
    store_free(a);
    store_free(b);
}

/* Both back-ends, the waited-for way: a save that misses undoes the vote
 * with it, and run again it is written once; SQLite queues nothing. */
static void test_vote_waited_together(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct session_turn t[2];
    struct session sa, sb;
    struct store_feedback_vote v;
    uint64_t save = 0, up = 9, down = 9;
    int64_t version;

    asked(state, a, b, &sa, &sb, "up", &v);
    if (!on_pg(state)) {
        version = sb.version;
        vote_turn(t, "m-0", "feedback:up");
        assert_int_equal(store_turn_queue_feedback(b, &sb, t, 2, &v, &save), -ENOTSUP);
        sb.row_locked = true;
        assert_int_equal(store_turn_queue_feedback(b, &sb, t, 2, &v, NULL), -ENOTSUP);
        sb.row_locked = false;
        assert_int_equal(sb.version, version);
    }
    fixture_two_records(t, "m-a", "{}");
    assert_int_equal(session_save_turn(a, &sa, t, 2), 0); /* a moves the session */
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(vote_waited(b, &sb, &v, "m-b"), -EAGAIN); /* b's copy is behind */
    assert_int_equal(store_commit(b), 0);
    committed_votes(state, &up, &down);
    assert_int_equal(up + down, 0); /* undone with it */
    assert_int_equal(fixture_records(state, &sa), 4);
    session_fini(&sb);
    assert_int_equal(session_load_token(b, sa.token, &sb), 0); /* run again: both, once */
    assert_int_equal(vote_waited(b, &sb, &v, "m-b"), 0);
    assert_int_equal(store_commit(b), 0);
    committed_votes(state, &up, &down);
    assert_int_equal(up, 1);
    assert_int_equal(down, 0);
    assert_int_equal(fixture_records(state, &sa), 6);
    session_fini(&sa);
    session_fini(&sb);
    store_free(a);
    store_free(b);
}

/* A vote by WebSocket frame (store_feedback_cast()), as the frame's answer
 * learns it: on PostgreSQL queued (a verdict to ask once the commit is
 * reported, once), on SQLite written at once. Returns the vote's outcome:
 * 0 (written) or -ENOENT (no such answer). */
static int cast(void **state, struct store *st, int64_t session_id, const char *msg_id,
                const char *vote, const char *comment, int64_t ts)
{
    uint64_t verdict = 99;
    int rc = store_feedback_cast(st, session_id, msg_id, "web", vote, comment, ts, &verdict);

    if (!on_pg(state)) {
        assert_int_equal(verdict, 0);
        assert_int_equal(store_commit(st), 0);
        return rc;
    }
    assert_int_equal(rc, 0); /* not known before the batch's results */
    assert_true(verdict > 0);
    assert_int_equal(fixture_commit_wait(st), 0); /* a miss does not fail the batch */
    rc = store_feedback_verdict(st, verdict);
    assert_int_equal(store_feedback_verdict(st, verdict), -EIO); /* given once */
    return rc;
}

static int first_down(void *ctx, const struct store_feedback_row *r)
{
    snprintf(ctx, 128, "%s|%s|%s|%lld", r->comment, r->channel, r->procedure, (long long)r->ts);
    return 1;
}

/* Both back-ends: a vote by frame lands when the session has the answer
 * (its procedure and message id copied from it), a second vote replaces
 * it, and a vote on a message of another session or on none writes nothing
 * and is told so. PostgreSQL: nothing before the commit. */
static void test_vote_cast(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct session_turn t[2];
    struct session sa, sb, so;
    uint64_t up = 9, down = 9, verdict = 0;
    char row[128] = "";

    fixture_shared(state, a, b, &sa, &sb);
    fixture_two_records(t, "m-q", ASKING);
    t[0].procedure = t[1].procedure = "khai-sinh";
    assert_int_equal(session_save_turn(a, &sa, t, 2), 0);
    assert_int_equal(session_create(a, "web", &so), 0); /* another citizen's answer */
    fixture_two_records(t, "m-o", "{}");
    assert_int_equal(session_save_turn(a, &so, t, 2), 0);
    assert_int_equal(store_commit(a), 0);

    if (on_pg(state)) { /* queued: not written before its commit */
        assert_int_equal(store_feedback_cast(b, sb.id, "m-q", "web", "up", NULL, 1000, &verdict),
                         0);
        committed_votes(state, &up, &down);
        assert_int_equal(up + down, 0);
        assert_int_equal(fixture_commit_wait(b), 0);
        assert_int_equal(store_feedback_verdict(b, verdict), 0);
    } else {
        assert_int_equal(cast(state, b, sb.id, "m-q", "up", NULL, 1000), 0);
    }
    committed_votes(state, &up, &down);
    assert_int_equal(up, 1);
    assert_int_equal(down, 0);
    assert_int_equal(cast(state, b, sb.id, "m-q", "down", "sai", 2000), 0); /* replaces it */
    committed_votes(state, &up, &down);
    assert_int_equal(up, 0);
    assert_int_equal(down, 1);
    {
        struct store *o = store_case_open(state);
        struct store_report_span sp = {0, 4000000000LL, 0};

        assert_int_equal(store_feedback_downs(o, &sp, 0, first_down, row), 1);
        assert_int_equal(store_commit(o), 0);
        store_free(o);
    }
    assert_string_equal(row, "sai|web|khai-sinh|2000");
    /* another session's answer, and no answer at all: a miss, nothing written */
    assert_int_equal(cast(state, b, sb.id, "m-o", "up", NULL, 3000), -ENOENT);
    assert_int_equal(cast(state, b, sb.id, "m-nope", "up", NULL, 3000), -ENOENT);
    committed_votes(state, &up, &down);
    assert_int_equal(up, 0);
    assert_int_equal(down, 1);
    assert_int_equal(store_feedback_cast(b, sb.id, "m-q", "web", "meh", NULL, 1, &verdict),
                     -EINVAL);
    assert_int_equal(store_commit(b), 0);
    session_fini(&sa);
    session_fini(&sb);
    session_fini(&so);
    store_free(a);
    store_free(b);
}

/* PostgreSQL: the answer erased ("forget me") by a transaction that commits
 * while the vote's statement waits for its row: the vote misses, and its
 * batch commits (without the statement's own lock on the answer, the
 * foreign key's check would fail it). */
static void test_vote_cast_erased(void **state)
{
    struct store *a = store_case_open(state);
    struct session_turn t[2];
    struct store_commit_done d[2];
    struct session sa;
    uint64_t verdict = 0, up = 9, down = 9;
    PGconn *c = PQconnectdb(fixture_pg_url());
    PGresult *r;
    char sql[160];
    int i, waiting = 0;

    assert_int_equal(session_create(a, "web", &sa), 0);
    fixture_two_records(t, "m-q", ASKING);
    assert_int_equal(session_save_turn(a, &sa, t, 2), 0);
    assert_int_equal(store_commit(a), 0);
    snprintf(sql, sizeof(sql), "BEGIN; DELETE FROM turn WHERE session_id = %lld", (long long)sa.id);
    r = PQexec(c, sql);
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    assert_int_equal(store_feedback_cast(a, sa.id, "m-q", "web", "up", NULL, 1000, &verdict), 0);
    assert_int_equal(store_commit_send(a), 0);
    for (i = 0; i < 500 && !waiting; i++) { /* the statement started, waiting for the row */
        PGconn *w = PQconnectdb(fixture_pg_url());

        r = PQexec(w, "SELECT count(*) FROM pg_locks WHERE NOT granted");
        waiting = atoi(PQgetvalue(r, 0, 0));
        PQclear(r);
        PQfinish(w);
        if (!waiting)
            usleep(10000);
    }
    assert_true(waiting > 0);
    r = PQexec(c, "COMMIT");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    PQfinish(c);
    assert_int_equal(store_commit_poll(a, true, d, 2), 1);
    assert_int_equal(d[0].rc, 0);
    assert_int_equal(store_feedback_verdict(a, verdict), -ENOENT);
    committed_votes(state, &up, &down);
    assert_int_equal(up + down, 0);
    session_fini(&sa);
    store_free(a);
}

/* A webhook event's read (store_webhook_event()) of a returning citizen
 * carries the session's latest answer on PostgreSQL (session.answer: what
 * a vote by quick reply needs, feedback_postback()), in the event's one
 * round trip; a session without answers has it read as none. SQLite reads
 * it when asked (not read with the event). */
static void test_vote_answer_with_event(void **state)
{
    struct store *a = store_case_open(state);
    struct store_webhook_read rd;
    struct store_feedback_answer want;
    struct session_turn t[2];
    struct store_stats before, after;

    assert_int_equal(store_webhook_event(a, "messenger", "ev-1", "psid-v", false, 1000, &rd), 1);
    if (!rd.found) {
        assert_int_equal(session_create_user(a, "messenger", "psid-v", &rd.session), 0);
        rd.found = true;
    } else {
        assert_true(rd.session.answer.read); /* created by the read: none yet */
        assert_int_equal(rd.session.answer.turn_id, 0);
    }
    fixture_two_records(t, NULL, ASKING);
    t[0].procedure = t[1].procedure = "khai-sinh";
    assert_int_equal(session_save_turn(a, &rd.session, t, 2), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_feedback_answer(a, rd.session.id, NULL, &want), 0);
    assert_int_equal(store_commit(a), 0);
    store_webhook_read_fini(&rd);

    store_get_stats(a, &before);
    assert_int_equal(store_webhook_event(a, "messenger", "ev-2", "psid-v", false, 1001, &rd), 1);
    store_get_stats(a, &after);
    assert_true(rd.found);
    if (on_pg(state)) {
        assert_int_equal(after.round_trips - before.round_trips, 1); /* the event's one */
        assert_true(rd.session.answer.read);
        assert_int_equal(rd.session.answer.turn_id, want.turn_id);
        assert_true(rd.session.answer.asks);
        assert_string_equal(rd.session.answer.procedure, "khai-sinh");
        assert_string_equal(rd.session.answer.msg_id, "");
    } else {
        assert_false(rd.session.answer.read);
    }
    store_webhook_read_fini(&rd);
    assert_int_equal(store_commit(a), 0);
    store_free(a);
}

int main(void)
{
    const struct CMUnitTest on_sqlite[] = {
        STORE_CASE(test_request_waited_together, &sqlite_backend),
        STORE_CASE(test_vote_waited_together, &sqlite_backend),
        STORE_CASE(test_vote_cast, &sqlite_backend),
        STORE_CASE(test_vote_answer_with_event, &sqlite_backend),
    };
    const struct CMUnitTest on_postgresql[] = {
        STORE_CASE(test_request_queued_hits, &pg_backend),
        STORE_CASE(test_request_misses_rerun_waited, &pg_backend),
        STORE_CASE(test_request_misses_rerun_queued, &pg_backend),
        STORE_CASE(test_request_while_pending, &pg_backend),
        STORE_CASE(test_request_waited_together, &pg_backend),
        STORE_CASE(test_cancel_queued, &pg_backend),
        STORE_CASE(test_vote_queued_rerun_waited, &pg_backend),
        STORE_CASE(test_vote_queued_rerun_queued, &pg_backend),
        STORE_CASE(test_vote_locked, &pg_backend),
        STORE_CASE(test_vote_waited_together, &pg_backend),
        STORE_CASE(test_vote_cast, &pg_backend),
        STORE_CASE(test_vote_cast_erased, &pg_backend),
        STORE_CASE(test_vote_answer_with_event, &pg_backend),
    };
    return store_contract_run("store contract request", on_sqlite, on_postgresql);
}
