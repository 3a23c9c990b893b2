/* tests/unit/test_store_contract.c - the store's contract on each back-end:
 * the same cases against the SQLite file and, when MOTCUA_TEST_PG_URL is set
 * (make test-pg: tests/lib/pg.sh starts a throwaway cluster), PostgreSQL
 * (fixture_pg.h). What a conversation needs: sessions round-trip (state,
 * user key, history); a turn's records and the resend key; the turn's
 * compare-and-swap between two handles; de-duplication keys are global (two
 * store handles on one database see each other's); the outbox is claimed by
 * two handles, and by two processes draining it at once, without
 * duplicates, in order per citizen; a claim whose lease ended (a dead
 * node's) comes back (on SQLite, one machine, a dead process's at once), and
 * a handle closed gives its claims back; a batch rolled back leaves nothing,
 * a unit undone neither; options and channel tokens; a refused write fails
 * alone; a session read in an open batch is held; an outbox row of the
 * open batch is not due before its commit. Officers, phrases and
 * the commune's data: test_store_contract_admin.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture_pg.h"
#include "session.h"
#include "store.h"

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

struct seen {
    int n;
    char text[4][64];
    char msg_id[4][16];
};

static int collect(void *ctx, const char *role, const char *text, int64_t ts, const char *msg_id)
{
    struct seen *s = ctx;

    (void)role;
    (void)ts;
    if (s->n < 4) {
        snprintf(s->text[s->n], sizeof(s->text[0]), "%s", text);
        snprintf(s->msg_id[s->n], sizeof(s->msg_id[0]), "%s", msg_id ? msg_id : "(null)");
    }
    s->n++;
    return 0;
}

static void test_sessions_and_turns(void **state)
{
    struct store *st = store_case_open(state);
    struct session s, back, by_user;
    struct session_turn t[2];
    struct seen h = {0};
    char *r;

    assert_int_equal(session_create(st, "web", &s), 0);
    memset(&by_user, 0, sizeof(by_user));
    snprintf(by_user.token, sizeof(by_user.token), "%s", "t-zalo-1");
    snprintf(by_user.channel, sizeof(by_user.channel), "%s", "zalo");
    snprintf(by_user.user_key, sizeof(by_user.user_key), "%s", "zalo-user-9");
    by_user.last_seen = 100;
    assert_int_equal(store_session_insert(st, &by_user), 0);
    assert_true(by_user.id > 0 && by_user.id != s.id);
    free(s.state);
    s.state = strdup("{\"procedure\":\"cccd\"}");
    two_records(t, "m-1", "{\"messages\":[{\"text\":\"một\"}]}");
    assert_int_equal(session_save_turn(st, &s, t, 2), 0);
    assert_int_equal(store_commit(st), 0);
    store_free(st);

    st = store_case_open(state); /* what was committed is there for a new handle */
    assert_int_equal(session_load_token(st, s.token, &back), 0);
    assert_string_equal(back.state, "{\"procedure\":\"cccd\"}");
    assert_string_equal(back.channel, "web");
    assert_int_equal(back.version, s.version);
    assert_true(back.resumed);
    session_fini(&back);
    assert_int_equal(store_session_by_user(st, "zalo", "zalo-user-9", &back), 0);
    assert_int_equal(back.id, by_user.id);
    assert_string_equal(back.user_key, "zalo-user-9");
    session_fini(&back);
    assert_int_equal(store_session_by_user(st, "zalo", "nobody", &back), -ENOENT);
    assert_int_equal(store_session_by_token(st, "no-such-token", &back), -ENOENT);

    assert_int_equal(store_history(st, s.id, 10, collect, &h), 0);
    assert_int_equal(h.n, 2);
    assert_string_equal(h.text[0], "lam lai cccd");
    assert_string_equal(h.text[1], "{\"messages\":[{\"text\":\"một\"}]}");
    assert_string_equal(h.msg_id[1], "m-1");
    r = store_find_reply(st, s.id, "m-1"); /* the resend key */
    assert_non_null(r);
    assert_string_equal(r, "{\"messages\":[{\"text\":\"một\"}]}");
    free(r);
    assert_null(store_find_reply(st, s.id, "m-2"));
    assert_null(store_find_reply(st, by_user.id, "m-1"));
    session_fini(&s);
    session_fini(&by_user);
    store_free(st);
}

static void test_turn_compare_and_swap(void **state)
{
    struct store *a = store_case_open(state), *b;
    struct session s, other;
    struct session_turn t[2];

    assert_int_equal(session_create(a, "web", &s), 0);
    assert_int_equal(store_commit(a), 0);
    b = store_case_open(state);
    assert_int_equal(session_load_token(b, s.token, &other), 0);
    two_records(t, "m-1", "{}");
    assert_int_equal(session_save_turn(b, &other, t, 2), 0); /* another node's turn */
    assert_int_equal(store_commit(b), 0);
    two_records(t, "m-2", "{}");
    assert_int_equal(session_save_turn(a, &s, t, 2), -EAGAIN); /* a read an older version */
    assert_int_equal(store_commit(a), 0);
    assert_null(store_find_reply(a, s.id, "m-2")); /* nothing of the refused turn */
    s.version = other.version;
    assert_int_equal(session_save_turn(a, &s, t, 2), 0);
    assert_int_equal(store_commit(a), 0);
    s.id = 999999; /* no such session: never records without one */
    assert_int_equal(session_save_turn(a, &s, t, 2), -EIO);
    assert_int_equal(store_commit(a), 0);
    session_fini(&s);
    session_fini(&other);
    store_free(a);
    store_free(b);
}

/* A session read inside an open batch is the handle's until it commits: the
 * turn run on it saves without losing the compare-and-swap to another node
 * meanwhile (router.c's retry after a lost one reads this way). On
 * PostgreSQL the read takes the row lock: another node's save waits (here:
 * gives up after its lock_timeout) instead of changing the row in between;
 * without it a busy session shared by two nodes lost GW_TURN_TRIES times in
 * a row. On SQLite the batch's write lock holds the whole file (not run: the
 * other handle would wait for its busy timeout). */
static void test_session_read_in_batch_is_held(void **state)
{
    struct store *a, *b;
    struct session s, mine, other;
    struct session_turn t[2];
    struct mc_err e = {{0}};
    char url[1024];

    if (!on_pg(state))
        return;
    a = store_case_open(state);
    assert_int_equal(session_create(a, "web", &s), 0);
    assert_int_equal(store_commit(a), 0);
    snprintf(url, sizeof url, "%s&options=-c%%20lock_timeout%%3D200", target(state));
    b = store_open(url, &e);
    assert_non_null(b);
    assert_int_equal(session_load_token(b, s.token, &other), 0);    /* no batch: no lock */
    assert_int_equal(store_options_put(a, "zalo", "u1", "[1]"), 0); /* a's batch is open */
    assert_int_equal(session_load_token(a, s.token, &mine), 0);     /* read in it: held */
    two_records(t, "m-b", "{}");
    assert_int_equal(session_save_turn(b, &other, t, 2), -EIO); /* waited, gave up */
    assert_int_equal(store_commit(b), 0);
    two_records(t, "m-a", "{}");
    assert_int_equal(session_save_turn(a, &mine, t, 2), 0); /* a's turn did not lose */
    assert_int_equal(store_commit(a), 0);
    assert_null(store_find_reply(a, s.id, "m-b"));
    session_fini(&s);
    session_fini(&mine);
    session_fini(&other);
    store_free(b);
    store_free(a);
}

static void test_dedup_is_global(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);

    assert_int_equal(store_event_first_time(a, "messenger", "mid.1", 10), 1);
    assert_int_equal(store_event_first_time(a, "messenger", "mid.1", 11), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_event_first_time(b, "messenger", "mid.1", 12), 0); /* a's key */
    assert_int_equal(store_event_first_time(b, "zalo", "mid.1", 12), 1);      /* per channel */
    assert_int_equal(store_event_first_time(b, "messenger", "mid.2", 12), 1);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(store_event_first_time(a, "messenger", "mid.2", 13), 0); /* b's key */
    assert_int_equal(store_commit(a), 0);
    store_free(a);
    store_free(b);
}

static void free_rows(struct store_outbox_row *rows, size_t n)
{
    while (n)
        free(rows[--n].body);
}

static void test_outbox_claimed_once(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_outbox_row ra[8], rb[8];
    size_t na, nb, i, j;

    assert_int_equal(store_outbox_add(a, "zalo", "u1", "{\"n\":1}", 1000), 0);
    assert_int_equal(store_outbox_add(a, "zalo", "u1", "{\"n\":2}", 1000), 0);
    assert_int_equal(store_outbox_add(a, "messenger", "u2", "{\"n\":3}", 1000), 0);
    assert_int_equal(store_outbox_add(a, "messenger", "u3", "{\"n\":4}", 1000), 0);
    assert_int_equal(store_commit(a), 0);

    assert_int_equal(store_outbox_due(a, 2000, ra, 2, &na), 0); /* a takes two */
    assert_int_equal(na, 2);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_outbox_due(b, 2000, rb, 8, &nb), 0); /* b: the rest, never u1's 2nd */
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(nb, 1);
    for (i = 0; i < na; i++)
        for (j = 0; j < nb; j++)
            assert_true(ra[i].id != rb[j].id);
    assert_string_equal(ra[0].body, "{\"n\":1}");
    assert_string_equal(rb[0].body, "{\"n\":4}");
    free_rows(rb, nb);
    assert_int_equal(store_outbox_due(b, 2500, rb, 8, &nb), 0); /* b: its own claim only */
    assert_int_equal(nb, 1);
    assert_string_equal(rb[0].body, "{\"n\":4}");
    free_rows(rb, nb);
    assert_int_equal(store_commit(b), 0);
    free_rows(ra, na);
    assert_int_equal(store_outbox_due(a, 2500, ra, 8, &na), 0); /* a's own claims come again */
    assert_int_equal(na, 2);
    assert_int_equal(store_outbox_done(a, ra[0].id, "sent", 1), 0);
    assert_int_equal(store_commit(a), 0);
    free_rows(ra, na);
    assert_int_equal(store_outbox_due(b, 3000, rb, 8, &nb), 0); /* u1's 2nd follows, to b */
    assert_int_equal(nb, 2);
    assert_string_equal(rb[0].body, "{\"n\":2}");
    assert_string_equal(rb[1].body, "{\"n\":4}"); /* and b's own claim again */
    free_rows(rb, nb);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(store_outbox_pending(a), 3);
    store_free(a);
    store_free(b);
}

/* Issue 18: a reply is sent only after its turn is committed. The outbox's
 * pump may run while a batch is open (a timer or a socket callback of the
 * same lws pass, after a webhook or an officer queued rows in it): the rows
 * of that batch are not due until it commits, nor anything after them of
 * their citizen; the committed rows before them are. */
static void test_outbox_uncommitted_not_due(void **state)
{
    struct store *st = store_case_open(state);
    struct store_outbox_row r[8];
    size_t n;

    assert_int_equal(store_outbox_add(st, "zalo", "u1", "{\"n\":1}", 1000), 0);
    assert_int_equal(store_commit(st), 0);
    /* a batch never committed: a crash, a COMMIT that fails */
    assert_int_equal(store_outbox_add(st, "messenger", "u2", "{\"lost\":2}", 1000), 0);
    assert_int_equal(store_outbox_add(st, "zalo", "u1", "{\"lost\":3}", 1000), 0);
    assert_true(store_in_batch(st));
    assert_int_equal(store_outbox_due(st, 5000, r, 8, &n), 0);
    assert_int_equal(n, 1); /* the committed row only */
    assert_string_equal(r[0].body, "{\"n\":1}");
    free_rows(r, n);
    store_free(st); /* rolled back */
    st = store_case_open(state);
    assert_int_equal(store_outbox_pending(st), 1);

    /* the same rows again, committed this time */
    assert_int_equal(store_outbox_add(st, "messenger", "u2", "{\"n\":2}", 1000), 0);
    assert_int_equal(store_outbox_due(st, 5000, r, 8, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].body, "{\"n\":1}");
    assert_int_equal(store_outbox_done(st, r[0].id, "sent", 1), 0); /* outcomes: the same batch */
    free_rows(r, n);
    assert_int_equal(store_outbox_add(st, "zalo", "u1", "{\"n\":3}", 1000), 0);
    assert_int_equal(store_outbox_due(st, 5000, r, 8, &n), 0);
    assert_int_equal(n, 0); /* u1's first is sent, its next and u2's are not committed */
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_outbox_due(st, 5000, r, 8, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].body, "{\"n\":2}");
    assert_string_equal(r[1].body, "{\"n\":3}");
    free_rows(r, n);
    /* a batch opened by an outcome alone holds back nothing */
    assert_int_equal(store_outbox_retry(st, r[0].id, 1, 1000), 0);
    assert_true(store_in_batch(st));
    assert_int_equal(store_outbox_due(st, 5000, r, 8, &n), 0);
    assert_int_equal(n, 2);
    free_rows(r, n);
    assert_int_equal(store_commit(st), 0);
    store_free(st);
}

#define RACE_ROWS 300 /* rows two processes drain at once */

/* A child: drains the outbox on its own store handle, writing the id of
 * every row it claimed to fd. Exits 0, or 1 when the store failed. */
static void drain_child(void **state, int fd)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(target(state), &e);
    struct store_outbox_row r[8];
    size_t n, i;
    int idle = 0;

    if (!st)
        _exit(1);
    while (idle < 3) {
        if (store_outbox_due(st, 5000, r, 8, &n))
            _exit(1);
        idle = n ? 0 : idle + 1;
        for (i = 0; i < n; i++) {
            if (write(fd, &r[i].id, sizeof r[i].id) != (ssize_t)sizeof r[i].id ||
                store_outbox_done(st, r[i].id, "sent", 1))
                _exit(1);
            free(r[i].body);
        }
        if (store_commit(st))
            _exit(1);
    }
    store_free(st);
    _exit(0);
}

static void test_outbox_two_processes(void **state)
{
    struct store *st = store_case_open(state);
    static unsigned char seen[RACE_ROWS + 1];
    char user[16];
    int fd[2], status, k, total = 0;
    pid_t kid[2];
    int64_t id;

    memset(seen, 0, sizeof(seen));
    for (k = 0; k < RACE_ROWS; k++) { /* a citizen each: all due at once */
        snprintf(user, sizeof(user), "u%d", k);
        assert_int_equal(store_outbox_add(st, "zalo", user, "{}", 1000), 0);
    }
    assert_int_equal(store_commit(st), 0);
    store_free(st); /* no handle across fork() */
    assert_int_equal(pipe(fd), 0);
    for (k = 0; k < 2; k++) {
        kid[k] = fork();
        assert_true(kid[k] >= 0);
        if (kid[k] == 0) {
            close(fd[0]);
            drain_child(state, fd[1]);
        }
    }
    close(fd[1]);
    while (read(fd[0], &id, sizeof id) == (ssize_t)sizeof id) {
        assert_true(id >= 1 && id <= RACE_ROWS);
        assert_int_equal(seen[id], 0); /* never claimed twice */
        seen[id] = 1;
        total++;
    }
    close(fd[0]);
    for (k = 0; k < 2; k++) {
        assert_int_equal(waitpid(kid[k], &status, 0), kid[k]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_int_equal(total, RACE_ROWS); /* and none lost */
    st = store_case_open(state);
    assert_int_equal(store_outbox_pending(st), 0);
    store_free(st);
}

/* A node that dies holding claims: a child claims every due row and ends
 * without store_free() (its connection simply closes). */
static void claim_and_die(void **state, int64_t now_ms)
{
    pid_t kid = fork();
    int status;

    assert_true(kid >= 0);
    if (kid == 0) {
        struct mc_err e = {{0}};
        struct store *st = store_open(target(state), &e);
        struct store_outbox_row r[4];
        size_t n;

        if (!st || store_outbox_due(st, now_ms, r, 4, &n) || n != 2 || store_commit(st))
            _exit(1);
        _exit(0);
    }
    assert_int_equal(waitpid(kid, &status, 0), kid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_outbox_lease_returns(void **state)
{
    struct store *a = store_case_open(state), *b;
    struct store_outbox_row r[4];
    size_t n;

    assert_int_equal(store_outbox_add(a, "zalo", "u1", "{\"n\":1}", 1000), 0);
    assert_int_equal(store_outbox_add(a, "zalo", "u2", "{\"n\":2}", 1000), 0);
    assert_int_equal(store_commit(a), 0);
    store_free(a);
    claim_and_die(state, 1000);
    b = store_case_open(state);
    if (on_pg(state)) { /* another machine's node may be alive: its lease decides */
        assert_int_equal(store_outbox_due(b, 1000 + STORE_OUTBOX_LEASE_MS - 1, r, 4, &n), 0);
        assert_int_equal(n, 0);
    } else { /* one machine: the claims of a process that is gone are void at once */
        assert_int_equal(store_outbox_due(b, 1001, r, 4, &n), 0);
        assert_int_equal(n, 2);
        free_rows(r, n);
    }
    assert_int_equal(store_outbox_due(b, 1000 + STORE_OUTBOX_LEASE_MS, r, 4, &n), 0);
    assert_int_equal(n, 2); /* the lease ended: b sends them */
    assert_int_equal(store_commit(b), 0);
    /* a retry releases the claim at once: another handle may send it when due */
    assert_int_equal(store_outbox_retry(b, r[0].id, 1, 1000 + STORE_OUTBOX_LEASE_MS + 10), 0);
    assert_int_equal(store_commit(b), 0);
    free_rows(r, n);
    a = store_case_open(state);
    assert_int_equal(store_outbox_due(a, 1000 + STORE_OUTBOX_LEASE_MS + 10, r, 4, &n), 0);
    assert_int_equal(n, 1); /* r[1] is still b's */
    assert_int_equal(r[0].attempts, 1);
    free_rows(r, n);
    assert_int_equal(store_commit(a), 0);
    store_free(a);
    /* a node stopping (store_free) gives its claims back: a restart resends at once */
    store_free(b);
    a = store_case_open(state);
    assert_int_equal(store_outbox_due(a, 1000 + STORE_OUTBOX_LEASE_MS + 20, r, 4, &n), 0);
    assert_int_equal(n, 2);
    free_rows(r, n);
    assert_int_equal(store_commit(a), 0);
    store_free(a);
}

/* outbox.lease_seconds: a handle's claims last its own lease (here 15 s, the
 * setting's least value), not STORE_OUTBOX_LEASE_MS; the owner ids differ. */
static void test_outbox_lease_set(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_outbox_row r[4];
    size_t n;

    assert_true(store_outbox_owner(a) > 0 && store_outbox_owner(b) > 0);
    assert_true(store_outbox_owner(a) != store_outbox_owner(b));
    assert_int_equal(store_outbox_lease(a), STORE_OUTBOX_LEASE_MS);
    store_outbox_set_lease(a, 0);
    assert_int_equal(store_outbox_lease(a), STORE_OUTBOX_LEASE_MS);
    store_outbox_set_lease(a, 15000);
    assert_int_equal(store_outbox_lease(a), 15000);
    assert_int_equal(store_outbox_add(a, "messenger", "u1", "{\"n\":1}", 1000), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_outbox_due(a, 1000, r, 4, &n), 0);
    assert_int_equal(n, 1);
    free_rows(r, n);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_outbox_due(b, 1000 + 15000 - 1, r, 4, &n), 0);
    assert_int_equal(n, 0); /* a's claim still runs (a is alive: this process) */
    assert_int_equal(store_outbox_due(b, 1000 + 15000, r, 4, &n), 0);
    assert_int_equal(n, 1); /* a's 15 s ended, though b's own lease is 30 s */
    free_rows(r, n);
    assert_int_equal(store_commit(b), 0);
    store_free(a);
    store_free(b);
}

static void test_rollback_leaves_nothing(void **state)
{
    struct store *st = store_case_open(state);
    struct session s, back;
    struct session_turn t[2];
    char token[SESSION_TOKEN_LEN + 1];

    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(store_commit(st), 0);
    memcpy(token, s.token, sizeof(token));
    /* a unit undone: its writes go, the batch's others stay */
    assert_int_equal(store_outbox_add(st, "zalo", "u1", "{\"kept\":1}", 1), 0);
    assert_int_equal(store_unit_begin(st), 0);
    assert_int_equal(store_event_first_time(st, "zalo", "undone", 1), 1);
    assert_int_equal(store_unit_end(st, false), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_outbox_pending(st), 1);
    assert_int_equal(store_event_first_time(st, "zalo", "undone", 2), 1);
    assert_int_equal(store_commit(st), 0);

    /* a batch never committed: nothing of it, for this handle's successor */
    free(s.state);
    s.state = strdup("{\"lost\":true}");
    two_records(t, "m-lost", "{}");
    assert_int_equal(session_save_turn(st, &s, t, 2), 0);
    assert_int_equal(store_outbox_add(st, "zalo", "u9", "{\"lost\":1}", 1), 0);
    assert_int_equal(store_event_first_time(st, "zalo", "lost", 1), 1);
    assert_int_equal(store_options_put(st, "zalo", "u9", "[9]"), 0);
    assert_true(store_in_batch(st));
    store_free(st);

    st = store_case_open(state);
    assert_int_equal(session_load_token(st, token, &back), 0);
    assert_string_equal(back.state, "{}");
    session_fini(&back);
    assert_null(store_find_reply(st, s.id, "m-lost"));
    assert_int_equal(store_outbox_pending(st), 1);
    assert_null(store_options_get(st, "zalo", "u9"));
    assert_int_equal(store_event_first_time(st, "zalo", "lost", 2), 1);
    assert_int_equal(store_commit(st), 0);
    session_fini(&s);
    store_free(st);
}

static void test_options_and_tokens(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    char at[32], rt[32], small[4];
    char *o;

    assert_null(store_options_get(a, "zalo", "u1"));
    assert_int_equal(store_options_put(a, "zalo", "u1", "[1]"), 0);
    assert_int_equal(store_options_put(a, "zalo", "u1", "[2]"), 0);
    assert_int_equal(store_token_get(a, "zalo", at, sizeof(at), rt, sizeof(rt)), -ENOENT);
    assert_int_equal(store_token_put(a, "zalo", "acc-1", "ref-1", 10), 0);
    assert_int_equal(store_token_put(a, "zalo", "acc-2", "", 11), 0);
    assert_int_equal(store_commit(a), 0);
    o = store_options_get(b, "zalo", "u1");
    assert_non_null(o);
    assert_string_equal(o, "[2]");
    free(o);
    assert_int_equal(store_token_get(b, "zalo", at, sizeof(at), rt, sizeof(rt)), 0);
    assert_string_equal(at, "acc-2");
    assert_string_equal(rt, "");
    assert_int_equal(store_token_get(b, "zalo", small, sizeof(small), rt, sizeof(rt)), -E2BIG);
    store_free(a);
    store_free(b);
}

/* A write the database refuses (a trigger standing for a full disk or a
 * constraint) fails alone: the other writes of the batch commit, as on
 * SQLite, where the transaction survives a failed statement. The outbox's
 * outcomes and the channel tokens are such writes: their callers hold them
 * in memory and go on (outbox.c). On PostgreSQL a failed statement used to
 * leave the whole transaction in error: the pass's commit undid everything. */
static void test_refused_write_fails_alone(void **state)
{
    struct store *a = store_case_open(state), *b;
    struct store_outbox_row r[2];
    size_t n;
    char *o;

    assert_int_equal(store_outbox_add(a, "zalo", "u1", "{\"n\":1}", 1000), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_outbox_due(a, 1000, r, 2, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(store_commit(a), 0);
    if (on_pg(state))
        fixture_raw(on_pg(state),
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$BEGIN RAISE EXCEPTION 'disk full'; END$$;"
                    "CREATE TRIGGER no_token BEFORE INSERT ON chan_token "
                    "FOR EACH ROW EXECUTE FUNCTION refuse();"
                    "CREATE TRIGGER no_outcome BEFORE UPDATE OF state, attempts ON outbox "
                    "FOR EACH ROW EXECUTE FUNCTION refuse();");
    else
        fixture_raw(on_pg(state),
                    "CREATE TRIGGER no_token BEFORE INSERT ON chan_token "
                    "BEGIN SELECT RAISE(ABORT, 'disk full'); END;"
                    "CREATE TRIGGER no_outcome BEFORE UPDATE OF state, attempts ON outbox "
                    "BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
    assert_int_equal(store_options_put(a, "zalo", "u1", "[1]"), 0);
    assert_int_equal(store_token_put(a, "zalo", "acc-2", "ref-2", 10), -EIO);
    assert_int_equal(store_outbox_done(a, r[0].id, "sent", 1), -EIO);
    assert_int_equal(store_outbox_retry(a, r[0].id, 1, 2000), -EIO);
    assert_int_equal(store_options_put(a, "zalo", "u2", "[2]"), 0); /* the batch goes on */
    assert_int_equal(store_commit(a), 0);
    free_rows(r, n);
    b = store_case_open(state);
    o = store_options_get(b, "zalo", "u2");
    assert_non_null(o); /* both options, before and after the refused writes, committed */
    free(o);
    o = store_options_get(b, "zalo", "u1");
    assert_non_null(o);
    free(o);
    assert_int_equal(store_outbox_pending(b), 1); /* the refused outcome changed nothing */
    store_free(b);
    store_free(a);
}

#define CASES(b)                                                                                   \
    {                                                                                              \
        STORE_CASE(test_sessions_and_turns, b), STORE_CASE(test_turn_compare_and_swap, b),         \
            STORE_CASE(test_dedup_is_global, b), STORE_CASE(test_outbox_claimed_once, b),          \
            STORE_CASE(test_outbox_two_processes, b), STORE_CASE(test_outbox_lease_returns, b),    \
            STORE_CASE(test_outbox_lease_set, b), STORE_CASE(test_rollback_leaves_nothing, b),     \
            STORE_CASE(test_options_and_tokens, b), STORE_CASE(test_refused_write_fails_alone, b), \
            STORE_CASE(test_session_read_in_batch_is_held, b),                                     \
            STORE_CASE(test_outbox_uncommitted_not_due, b),                                        \
    }

int main(void)
{
    const struct CMUnitTest on_sqlite[] = CASES(&sqlite_backend);
    const struct CMUnitTest on_postgresql[] = CASES(&pg_backend);
    return store_contract_run("store contract", on_sqlite, on_postgresql);
}
