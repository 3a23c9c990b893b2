/* tests/unit/test_store_contract_vote.c - votes on answers (issue 18,
 * docs/scaling.md "A vote by quick reply", "A vote by WebSocket frame"), on
 * each back-end (fixture_pg.h). A vote by quick reply
 * (store_turn_queue_feedback()) lands with its turn or not at all, a miss
 * writes nothing and run again it is written once; a webhook's locked save
 * fails the batch rather than miss. A vote by WebSocket frame
 * (store_feedback_cast()), both back-ends: it lands only on an answer of its
 * session, replacing an earlier vote, and a miss writes nothing and is
 * reported (PostgreSQL: by its verdict, after the commit); an answer erased
 * while its statement waits is a miss. A webhook event's read carries the
 * session's latest answer (PostgreSQL), what a vote by quick reply needs.
 * (Split from test_store_contract_request.c: cases moved as they were.) */
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
        STORE_CASE(test_vote_waited_together, &sqlite_backend),
        STORE_CASE(test_vote_cast, &sqlite_backend),
        STORE_CASE(test_vote_answer_with_event, &sqlite_backend),
    };
    const struct CMUnitTest on_postgresql[] = {
        STORE_CASE(test_vote_queued_rerun_waited, &pg_backend),
        STORE_CASE(test_vote_queued_rerun_queued, &pg_backend),
        STORE_CASE(test_vote_locked, &pg_backend),
        STORE_CASE(test_vote_waited_together, &pg_backend),
        STORE_CASE(test_vote_cast, &pg_backend),
        STORE_CASE(test_vote_cast_erased, &pg_backend),
        STORE_CASE(test_vote_answer_with_event, &pg_backend),
    };
    return store_contract_run("store contract vote", on_sqlite, on_postgresql);
}
