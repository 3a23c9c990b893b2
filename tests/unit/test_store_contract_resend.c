/* tests/unit/test_store_contract_resend.c - the resend key checked by the
 * turn's save itself (store.h store_turn_save, issue 18), on each back-end
 * (fixture_pg.h): a message whose id the session already answered is
 * refused with -EALREADY and nothing of it is written, on the session as
 * held in memory (its version current), on a stale copy (another handle, a
 * node, answered since: -EALREADY, not -EAGAIN), and however many turns ago
 * it was answered; a turn without an id, or with a new one, is saved as
 * before. PostgreSQL: a resend saved while the first answer's COMMIT is
 * still in flight on another handle waits for it and is then refused. The
 * router answers -EALREADY from store_find_reply() (router.c).
 *
 * And the outbox's writes not waited for (issue 18, store.h
 * store_outbox_claim_send(), store_outbox_outcome_send(); the cases below
 * the resend's): a claim answered later gives what a waited one gives; two
 * handles never share a row; a refused claim or outcome fails alone; a
 * refused outcome leaves its row claimed until the lease ends; one floor
 * for the rows an open batch added. */
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

/* fixture_commit_wait() on PostgreSQL, store_commit() on SQLite. */
static int commit_wait_any(void **state, struct store *st)
{
    return on_pg(state) ? fixture_commit_wait(st) : store_commit(st);
}

/* ---- the outbox not waited for (store_outbox_claim_send(), outcomes on the
 * outbox's own connection, one floor; issue 18) ------------------------------ */

static uint64_t round_trips(struct store *st)
{
    struct store_stats s;

    store_get_stats(st, &s);
    return s.round_trips;
}

static void free_rows(struct store_outbox_row *r, size_t n)
{
    while (n)
        free(r[--n].body);
}

/* Four rows, three citizens, committed: three due (u1's second waits for its first). */
static void four_rows(struct store *st)
{
    assert_int_equal(store_outbox_add(st, "zalo", "u1", "{\"n\":1}", 1000), 0);
    assert_int_equal(store_outbox_add(st, "zalo", "u1", "{\"n\":2}", 1000), 0);
    assert_int_equal(store_outbox_add(st, "messenger", "u2", "{\"n\":3}", 1000), 0);
    assert_int_equal(store_outbox_add(st, "messenger", "u3", "{\"n\":4}", 1000), 0);
    assert_int_equal(store_commit(st), 0);
}

/* Polls until the claim sent is answered (what the outbox's timer does). */
static void claim_wait(struct store *st)
{
    int i;

    for (i = 0; i < 5000 && !store_outbox_claim_answered(st); i++)
        usleep(1000);
    assert_true(store_outbox_claim_answered(st));
}

/* Polls until one outcome is answered; returns it. */
static struct store_outbox_outcome outcome_wait(struct store *st)
{
    struct store_outbox_outcome o = {0};
    int i;

    for (i = 0; i < 5000 && store_outbox_outcomes(st, &o, 1) == 0; i++)
        usleep(1000);
    assert_true(o.id > 0);
    return o;
}

/* Refuses UPDATEs of the outbox's columns (a full disk): an outcome, or a claim. */
static void refuse_outbox(void **state, const char *columns)
{
    char sql[512];

    snprintf(sql, sizeof(sql),
             "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
             "$$BEGIN RAISE EXCEPTION 'disk full'; END$$;"
             "CREATE TRIGGER no_outbox BEFORE UPDATE OF %s ON outbox "
             "FOR EACH ROW EXECUTE FUNCTION refuse();",
             columns);
    fixture_raw(on_pg(state), sql);
}

/* A claim answered later gives the rows a waited claim gives, claimed: the
 * oldest of each citizen; one claim at a time; on PostgreSQL it neither
 * opens the batch nor costs a round trip the caller waits for. */
static void test_outbox_claim_later(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_outbox_row r[8], w[8];
    uint64_t rt;
    size_t n, nw, i;

    four_rows(a);
    rt = round_trips(a);
    assert_int_equal(store_outbox_claim_send(a, 2000, 8), 0);
    assert_int_equal(store_outbox_claim_send(a, 2000, 8), -EBUSY); /* one at a time */
    assert_false(store_in_batch(a));
    assert_int_equal(round_trips(a), rt);
    claim_wait(a);
    assert_int_equal(store_outbox_claimed(a, r, 8, &n), 0);
    assert_int_equal(store_outbox_claimed(a, w, 8, &nw), -ENOENT);
    assert_int_equal(n, 3);
    assert_int_equal(store_outbox_due(b, 2000, w, 8, &nw), 0);
    assert_int_equal(nw, 0); /* claimed: another handle gets none of them */
    assert_int_equal(store_outbox_due(a, 2000, w, 8, &nw), 0); /* the waited claim, by a again */
    assert_int_equal(nw, n);
    for (i = 0; i < n; i++) {
        assert_int_equal(r[i].id, w[i].id);
        assert_string_equal(r[i].user, w[i].user);
        assert_string_equal(r[i].body, w[i].body);
    }
    assert_string_equal(r[0].body, "{\"n\":1}");
    assert_string_equal(r[1].user, "u2");
    free_rows(r, n);
    free_rows(w, nw);
    store_free(a);
    store_free(b);
}

/* Two handles (nodes) claiming at once never claim one row. */
static void test_outbox_claims_disjoint(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_outbox_row ra[8], rb[8];
    size_t na, nb, i, j;

    four_rows(a);
    assert_int_equal(store_outbox_claim_send(a, 2000, 8), 0);
    assert_int_equal(store_outbox_claim_send(b, 2000, 8), 0);
    claim_wait(a);
    claim_wait(b);
    assert_int_equal(store_outbox_claimed(a, ra, 8, &na), 0);
    assert_int_equal(store_outbox_claimed(b, rb, 8, &nb), 0);
    assert_int_equal(na + nb, 3);
    for (i = 0; i < na; i++)
        for (j = 0; j < nb; j++)
            assert_true(ra[i].id != rb[j].id);
    free_rows(ra, na);
    free_rows(rb, nb);
    store_free(a);
    store_free(b);
}

/* A claim the database refuses gives nothing and fails nothing else: the
 * open batch commits; its rows are due once the database takes claims. */
static void test_outbox_claim_refused(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_outbox_row r[8];
    size_t n;
    char *o;

    four_rows(a);
    refuse_outbox(state, "claimed_by, claimed_until");
    assert_int_equal(store_options_put(a, "zalo", "u1", "[1]"), 0); /* a batch open */
    assert_int_equal(store_outbox_claim_send(a, 2000, 8), 0);
    claim_wait(a);
    assert_int_equal(store_outbox_claimed(a, r, 8, &n), -EIO);
    assert_int_equal(n, 0);
    assert_int_equal(fixture_commit_wait(a), 0);
    o = store_options_get(b, "zalo", "u1");
    assert_non_null(o); /* the batch was not touched */
    free(o);
    fixture_raw(true, "DROP TRIGGER no_outbox ON outbox");
    assert_int_equal(store_outbox_due(b, 2000, r, 8, &n), 0);
    assert_int_equal(n, 3);
    free_rows(r, n);
    assert_int_equal(store_outbox_claim_send(a, 2000, 8), 0); /* the next claim may go */
    store_free(a);
    store_free(b);
}

/* An outcome is not waited for and opens no batch; answered, it is
 * committed. Refused, it fails alone (the batch goes on) and leaves the
 * row claimed by its handle until the lease ends, then due to any. */
static void test_outbox_outcome_later(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_outbox_row r[8];
    struct store_outbox_outcome res;
    int64_t lease = store_outbox_lease(a);
    uint64_t rt;
    size_t n;

    assert_int_equal(store_outbox_add(a, "zalo", "u1", "{}", 1000), 0);
    assert_int_equal(store_outbox_add(a, "zalo", "u2", "{}", 1000), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_outbox_due(a, 2000, r, 8, &n), 0);
    assert_int_equal(n, 2);
    rt = round_trips(a);
    assert_int_equal(store_outbox_outcome_send(a, r[0].id, "sent", 1, 0), 1);
    assert_false(store_in_batch(a));
    assert_int_equal(round_trips(a), rt);
    res = outcome_wait(a);
    assert_int_equal(res.id, r[0].id);
    assert_true(res.ok);
    assert_int_equal(store_outbox_pending(b), 1); /* committed on its own */
    refuse_outbox(state, "state, attempts");
    assert_int_equal(store_options_put(a, "zalo", "u1", "[1]"), 0); /* a batch open */
    assert_int_equal(store_outbox_outcome_send(a, r[1].id, "sent", 1, 0), 1);
    res = outcome_wait(a);
    assert_int_equal(res.id, r[1].id);
    assert_false(res.ok);                        /* the caller writes it again */
    assert_int_equal(fixture_commit_wait(a), 0); /* the batch goes on */
    assert_int_equal(store_outbox_pending(b), 1);
    assert_int_equal(store_outbox_due(b, 2000 + lease - 1, r + 2, 4, &n), 0);
    assert_int_equal(n, 0); /* a's claim still holds it */
    assert_int_equal(store_outbox_due(b, 2000 + lease, r + 2, 4, &n), 0);
    assert_int_equal(n, 1); /* the lease ended: due again, to another handle */
    assert_int_equal(r[2].id, r[1].id);
    free_rows(r, 3);
    store_free(a);
    store_free(b);
}

/* One floor: a row added by the waited-for call in an open batch costs no
 * round trip on PostgreSQL, is due neither to another handle nor to its
 * own handle's claims before that batch commits, and is due after. */
static void test_outbox_one_floor(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_outbox_row r[8];
    uint64_t rt = round_trips(a);
    size_t n;

    assert_int_equal(store_outbox_add(a, "zalo", "u1", "{\"officer\":1}", 1000), 0);
    if (on_pg(state))
        assert_int_equal(round_trips(a), rt); /* queued */
    assert_int_equal(store_outbox_due(b, 2000, r, 8, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_outbox_due(a, 2000, r, 8, &n), 0); /* its own batch's: not yet */
    assert_int_equal(n, 0);
    if (on_pg(state)) { /* the claim not waited for: on its own connection, outside the batch */
        assert_int_equal(store_outbox_claim_send(a, 2000, 8), 0);
        claim_wait(a);
        assert_int_equal(store_outbox_claimed(a, r, 8, &n), 0);
        assert_int_equal(n, 0);
    }
    assert_int_equal(commit_wait_any(state, a), 0);
    assert_int_equal(store_outbox_due(b, 2000, r, 8, &n), 0);
    assert_int_equal(n, 1); /* committed: due */
    assert_string_equal(r[0].body, "{\"officer\":1}");
    free_rows(r, n);
    store_free(a);
    store_free(b);
}

int main(void)
{
    const struct CMUnitTest on_sqlite[] = {
        STORE_CASE(test_resend_refused_on_current_session, &sqlite_backend),
        STORE_CASE(test_resend_refused_on_stale_copy, &sqlite_backend),
        STORE_CASE(test_resend_found_however_old, &sqlite_backend),
        STORE_CASE(test_outbox_claim_later, &sqlite_backend),
        STORE_CASE(test_outbox_claims_disjoint, &sqlite_backend),
        STORE_CASE(test_outbox_one_floor, &sqlite_backend),
    };
    const struct CMUnitTest on_postgresql[] = {
        STORE_CASE(test_resend_refused_on_current_session, &pg_backend),
        STORE_CASE(test_resend_refused_on_stale_copy, &pg_backend),
        STORE_CASE(test_resend_found_however_old, &pg_backend),
        STORE_CASE(test_resend_while_commit_in_flight, &pg_backend),
        STORE_CASE(test_outbox_claim_later, &pg_backend),
        STORE_CASE(test_outbox_claims_disjoint, &pg_backend),
        STORE_CASE(test_outbox_claim_refused, &pg_backend),
        STORE_CASE(test_outbox_outcome_later, &pg_backend),
        STORE_CASE(test_outbox_one_floor, &pg_backend),
    };
    return store_contract_run("store contract resend", on_sqlite, on_postgresql);
}
