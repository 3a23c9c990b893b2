/* tests/unit/test_store_contract_handoff.c - the store's contract on each
 * back-end (fixture_pg.h) for the handoff queue, its transcript and the
 * feed, retention, and the citizens' checklist pages. Across nodes: a claim
 * seen by another handle; two processes claiming one conversation, exactly
 * one wins (the other waits for the first's batch, then loses); a feed row
 * committed late by one node is still read by another node's cursor (ids
 * are committed in order); a resend stored once whichever handle gets it.
 * A checklist page written by its turn's queued save (PostgreSQL), or not
 * at all when the save misses. The feed's rows read with what each push
 * needs: test_store_contract_feed.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture_pg.h"
#include "session.h"
#include "store.h"

struct feed_seen {
    int n;
    int64_t last;
    char kinds[128];    /* "pending,claimed,..." */
    char officers[128]; /* one per row, "-" for none */
    int64_t session[16], message[16];
};

static int on_feed(void *ctx, int64_t id, const char *kind, int64_t session_id, int64_t message_id,
                   const char *officer, int64_t ts_ms)
{
    struct feed_seen *f = ctx;
    size_t k = strlen(f->kinds), o = strlen(f->officers);

    (void)ts_ms;
    assert_true(id > f->last); /* oldest first, each once */
    f->last = id;
    snprintf(f->kinds + k, sizeof(f->kinds) - k, "%s%s", k ? "," : "", kind);
    snprintf(f->officers + o, sizeof(f->officers) - o, "%s%s", o ? "," : "",
             officer[0] ? officer : "-");
    if (f->n < 16) {
        f->session[f->n] = session_id;
        f->message[f->n] = message_id;
    }
    f->n++;
    return 0;
}

struct list_seen {
    int n;
    int64_t ids[8];
};

static int on_handoff(void *ctx, const struct store_handoff *h)
{
    struct list_seen *l = ctx;

    if (l->n < 8)
        l->ids[l->n] = h->session_id;
    l->n++;
    return 0;
}

static void test_handoff_states(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    int64_t s1 = fixture_session_row(a, "t-h1", 1), s2 = fixture_session_row(a, "t-h2", 1);
    struct store_handoff h;
    struct feed_seen f = {0};
    struct list_seen l = {0};
    char key[32];

    assert_int_equal(store_handoff_get(b, s1, &h), 0);
    assert_string_equal(h.state, "bot"); /* never handed off */
    fixture_handoff_ask(a, s2, 90, 0);
    fixture_handoff_ask(a, s1, 100, 0);
    fixture_handoff_ask(a, s1, 101, -EALREADY); /* waiting already: nothing changes */
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_handoff_get(b, s1, &h), 0);
    assert_string_equal(h.state, "pending");
    snprintf(key, sizeof(key), "u-%lld", (long long)s1);
    assert_string_equal(h.user_key, key);
    assert_string_equal(h.procedure, "cccd");
    assert_int_equal(h.waiting_since, 100);
    assert_int_equal(h.last_citizen_ms, 100000);
    assert_int_equal(store_handoff_list(b, "pending", 10, on_handoff, &l), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.ids[0], s2); /* oldest waiting first */
    assert_int_equal(l.ids[1], s1);
    assert_int_equal(store_handoff_list(b, "waiting", 10, on_handoff, &l), -EINVAL);

    /* a claim on one node is seen by the other: it loses */
    assert_int_equal(store_handoff_claim(a, s1, "", 110), -EINVAL);
    assert_int_equal(store_handoff_claim(a, s1, "lan", 110), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_handoff_claim(b, s1, "an", 111), -EBUSY);
    assert_int_equal(store_handoff_claim(b, s1, "lan", 111), 0); /* held already: 0 */
    assert_int_equal(store_handoff_end(b, s1, "an", "bot", 112), -EPERM);
    assert_int_equal(store_handoff_end(b, s1, "lan", "away", 112), -EINVAL);
    assert_int_equal(store_handoff_end(b, s1, "lan", "closed", 113), 0);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(store_handoff_claim(a, s1, "lan", 114), -ENOENT);
    assert_int_equal(store_handoff_end(a, s1, NULL, "bot", 114), -ENOENT);
    assert_int_equal(store_handoff_end(a, s1, "lan", "bot", 114), -ENOENT);
    fixture_handoff_ask(a, s1, 120, 0);                              /* closed: may ask again */
    assert_int_equal(store_handoff_end(a, s1, NULL, "bot", 121), 0); /* the citizen cancels */
    assert_int_equal(store_handoff_claim(a, s2, "an", 122), 0);
    assert_int_equal(store_handoff_end(a, s2, "an", "bot", 123), 0);
    assert_int_equal(store_commit(a), 0);
    l.n = 0;
    assert_int_equal(store_handoff_list(b, "bot", 10, on_handoff, &l), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.ids[0], s2); /* latest change first */
    assert_int_equal(l.ids[1], s1);
    l.n = 0;
    assert_int_equal(store_handoff_list(b, "bot", 1, on_handoff, &l), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(store_handoff_get(b, s2, &h), 0);
    assert_string_equal(h.officer, "an"); /* who held it */
    assert_int_equal(h.updated, 123);

    assert_int_equal(store_feed_since(b, 0, 100, on_feed, &f), 0);
    assert_string_equal(f.kinds,
                        "pending,pending,claimed,closed,pending,cancelled,claimed,released");
    assert_string_equal(f.officers, "-,-,lan,lan,-,-,an,an");
    store_free(a);
    store_free(b);
}

static void test_handoff_messages(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    int64_t s1 = fixture_session_row(a, "t-m1", 1), id1 = 0, id2 = 0, again = 0, last = -1;
    struct store_handoff h;
    struct fixture_msgs m = {0};
    struct feed_seen f = {0};

    assert_int_equal(store_feed_last(b, &last), 0);
    assert_int_equal(last, 0); /* empty */
    fixture_handoff_ask(a, s1, 100, 0);
    assert_int_equal(store_handoff_citizen_add(a, s1, "cho tôi hỏi", "m-1", 100500, &id1), 0);
    assert_int_equal(store_handoff_message_add(a, s1, "officer", "lan", "Chào anh", 100600, &id2),
                     0);
    assert_int_equal(store_handoff_message_add(a, s1, "officer", NULL, "x", 1, NULL), -EINVAL);
    assert_int_equal(store_handoff_message_add(a, s1, "robot", NULL, "x", 1, NULL), -EINVAL);
    assert_int_equal(store_handoff_message_add(a, s1, "citizen", NULL, NULL, 1, NULL), -EINVAL);
    assert_int_equal(store_handoff_message_add(a, s1, "system", NULL, "Đang chờ", 100700, NULL), 0);
    assert_int_equal(store_commit(a), 0);
    assert_true(id1 > 0 && id2 > id1);
    /* a resend arriving on another node: stored once, its id given back */
    assert_int_equal(store_handoff_citizen_add(b, s1, "cho tôi hỏi", "m-1", 100900, &again),
                     -EEXIST);
    assert_int_equal(again, id1);
    assert_int_equal(store_handoff_citizen_add(b, s1, "không id", NULL, 101000, NULL), 0);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(store_handoff_get(a, s1, &h), 0);
    assert_int_equal(h.last_citizen_ms, 101000);

    assert_int_equal(store_handoff_messages(a, s1, 0, 10, fixture_on_msg, &m), 0);
    assert_int_equal(m.n, 4);
    assert_string_equal(m.from[0], "citizen");
    assert_string_equal(m.text[0], "cho tôi hỏi");
    assert_string_equal(m.officer[1], "lan");
    assert_string_equal(m.from[2], "system");
    assert_string_equal(m.officer[2], "");
    assert_string_equal(m.text[3], "không id");
    memset(&m, 0, sizeof(m));
    assert_int_equal(store_handoff_messages(a, s1, id1, 1, fixture_on_msg, &m), 0);
    assert_int_equal(m.n, 1);
    assert_int_equal(m.ids[0], id2);

    assert_int_equal(store_feed_since(a, 0, 100, on_feed, &f), 0);
    assert_string_equal(f.kinds, "pending,message,message,message,message");
    assert_string_equal(f.officers, "-,-,lan,-,-");
    assert_int_equal(f.message[1], id1);
    assert_int_equal(f.message[2], id2);
    assert_int_equal(store_feed_last(b, &last), 0);
    assert_int_equal(last, f.last);
    /* at most max, after a cursor */
    memset(&f, 0, sizeof(f));
    assert_int_equal(store_feed_since(b, 0, 2, on_feed, &f), 0);
    assert_int_equal(f.n, 2);
    /* prune: rows older than the cut-off go (the request's at 100000 ms) */
    assert_int_equal(store_feed_prune(b, 100600), 0);
    assert_int_equal(store_commit(b), 0);
    memset(&f, 0, sizeof(f));
    assert_int_equal(store_feed_since(a, 0, 100, on_feed, &f), 0);
    assert_string_equal(f.kinds, "message,message,message");
    store_free(a);
    store_free(b);
}

/* A child process, forked while the parent holds no handle (SQLite's locks
 * must not cross fork()): waits for a byte on go, then opens its own
 * handle, runs op on session sid (0 a claim by "an", 1 a request) and
 * commits; exits with 0 (op returned 0), 1 (-EBUSY) or 2 (anything else). */
static pid_t child(void **state, int64_t sid, int op, int go[2])
{
    pid_t kid;
    char c;

    assert_int_equal(pipe(go), 0);
    kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        struct mc_err e = {{0}};
        struct store *st;
        struct store_handoff h;
        int rc;

        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(3);
        st = store_open(target(state), &e);
        if (!st)
            _exit(3);
        memset(&h, 0, sizeof(h));
        h.session_id = sid;
        snprintf(h.channel, sizeof(h.channel), "%s", "zalo");
        rc = op ? store_handoff_request(st, &h, 200) : store_handoff_claim(st, sid, "an", 200);
        if (store_commit(st))
            rc = -EIO;
        _exit(rc == 0 ? 0 : rc == -EBUSY ? 1 : 2);
    }
    close(go[0]);
    return kid;
}

static void child_go(int go[2])
{
    assert_int_equal(write(go[1], "g", 1), 1);
    close(go[1]);
}

static int child_result(pid_t kid)
{
    int status;

    assert_int_equal(waitpid(kid, &status, 0), kid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_claim_race(void **state)
{
    struct store *a = store_case_open(state);
    int64_t sid = fixture_session_row(a, "t-race", 1);
    struct store_handoff h;
    int go[2];
    pid_t kid;

    fixture_handoff_ask(a, sid, 100, 0);
    assert_int_equal(store_commit(a), 0);
    store_free(a);
    kid = child(state, sid, 0, go);
    /* node A claims; node B claims while A's batch is still open: B waits
     * for it, then loses */
    a = store_case_open(state);
    assert_int_equal(store_handoff_claim(a, sid, "lan", 150), 0);
    child_go(go);
    fixture_pause_ms(300);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(child_result(kid), 1);
    assert_int_equal(store_handoff_get(a, sid, &h), 0);
    assert_string_equal(h.officer, "lan");
    store_free(a);
}

static void test_feed_cursor_across_nodes(void **state)
{
    struct store *a = store_case_open(state), *c;
    int64_t s1 = fixture_session_row(a, "t-f1", 1), s2 = fixture_session_row(a, "t-f2", 1);
    struct feed_seen f = {0};
    int go[2];
    pid_t kid;

    store_free(a);
    kid = child(state, s2, 1, go);
    /* node A appends a feed row and has not committed when node B appends
     * its own and commits; node C reads meanwhile, then again with its
     * cursor: it must see both rows, whatever their commit order */
    a = store_case_open(state);
    c = store_case_open(state);
    fixture_handoff_ask(a, s1, 100, 0);
    child_go(go);
    fixture_pause_ms(300);
    assert_int_equal(store_feed_since(c, f.last, 100, on_feed, &f), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(child_result(kid), 0);
    assert_int_equal(store_feed_since(c, f.last, 100, on_feed, &f), 0);
    assert_int_equal(f.n, 2);
    assert_true((f.session[0] == s1 && f.session[1] == s2) ||
                (f.session[0] == s2 && f.session[1] == s1));
    store_free(a);
    store_free(c);
}

static void test_share_pages(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    int64_t sid = fixture_session_row(a, "t-share", 1);
    char t1[STORE_SHARE_TOKEN_LEN + 1], t2[STORE_SHARE_TOKEN_LEN + 1],
        t3[STORE_SHARE_TOKEN_LEN + 1];
    unsigned long rows = 0;
    char *body = NULL, *big;

    assert_int_equal(store_share_put(a, sid, "{\"n\":1}", 1000, 2000, 2, t1), 0);
    assert_int_equal(strlen(t1), STORE_SHARE_TOKEN_LEN);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_share_get(b, t1, 1500, &body), 0);
    assert_string_equal(body, "{\"n\":1}");
    free(body);
    /* the same checklist again: the same page, its expiry moved on */
    assert_int_equal(store_share_put(b, sid, "{\"n\":1}", 1100, 3000, 2, t2), 0);
    assert_string_equal(t2, t1);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(store_share_get(a, t1, 2500, &body), 0);
    free(body);
    assert_int_equal(store_share_put(a, sid, "{\"n\":2}", 1200, 3000, 2, t2), 0);
    assert_string_not_equal(t2, t1);
    assert_int_equal(store_share_put(a, sid, "{\"n\":3}", 1300, 3000, 2, t3), -EBUSY);
    assert_string_equal(t3, "");
    assert_int_equal(store_share_put(a, sid, "{\"n\":3}", 1200 + 3600, 9000, 2, t3), 0);
    big = calloc(1, STORE_SHARE_BODY_MAX + 2);
    assert_non_null(big);
    memset(big, 'x', STORE_SHARE_BODY_MAX + 1);
    assert_int_equal(store_share_put(a, sid, big, 1300, 3000, 2, t1), -E2BIG);
    assert_string_equal(t1, "");
    free(big);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_share_get(b, t2, 3000, &body), -ENOENT); /* expired */
    assert_null(body);
    assert_int_equal(store_share_get(b, "AAAAAAAAAAAAAAAAAAAAAA", 10, &body), -ENOENT);
    assert_int_equal(store_share_get(b, "../etc", 10, &body), -ENOENT);
    /* purge: expired pages, at most max a call */
    assert_int_equal(store_share_purge(b, 3000, 1, &rows), 0);
    assert_int_equal(rows, 1);
    assert_int_equal(store_share_purge(b, 3000, 10, &rows), 0);
    assert_int_equal(rows, 2);
    assert_int_equal(store_share_purge(b, 3000, 10, &rows), 0);
    assert_int_equal(rows, 2);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(store_share_get(a, t3, 3000, &body), 0); /* the live one stays */
    free(body);
    store_free(a);
    store_free(b);
}

static int count_turn(void *ctx, const char *role, const char *text, int64_t ts, const char *msg_id)
{
    (void)role;
    (void)text;
    (void)msg_id;
    assert_int_equal(ts, 5000);
    (*(int *)ctx)++;
    return 0;
}

static void save_turn_at(struct store *st, struct session *s, int64_t ts)
{
    struct session_turn t;

    memset(&t, 0, sizeof(t));
    t.role = "user";
    t.text = "xin chào";
    s->last_seen = ts;
    assert_int_equal(store_turn_save(st, s, &t, 1), 0);
}

static void test_privacy_purge(void **state)
{
    struct store *st = store_case_open(state);
    struct session live, old, back;
    struct store_outbox_row r[4];
    struct store_purge p = {.before_s = 1000, .token_s = 200, .max = 100};
    struct store_stats before, after;
    struct store_handoff h;
    struct fixture_msgs m = {0};
    struct feed_seen f = {0};
    size_t n;
    int turns = 0;

    memset(&live, 0, sizeof(live));
    snprintf(live.token, sizeof(live.token), "%s", "t-live");
    snprintf(live.channel, sizeof(live.channel), "%s", "zalo");
    snprintf(live.user_key, sizeof(live.user_key), "%s", "u-live");
    live.last_seen = 100;
    assert_int_equal(store_session_insert(st, &live), 0);
    old = live;
    snprintf(old.token, sizeof(old.token), "%s", "t-old");
    snprintf(old.user_key, sizeof(old.user_key), "%s", "u-old");
    assert_int_equal(store_session_insert(st, &old), 0);
    live.state = strdup("{}");
    old.state = strdup("{}");
    save_turn_at(st, &old, 100);
    save_turn_at(st, &live, 500);
    save_turn_at(st, &live, 5000);
    fixture_handoff_ask(st, live.id, 500, 0);
    assert_int_equal(store_handoff_citizen_add(st, live.id, "cũ", "m-old", 500000, NULL), 0);
    assert_int_equal(store_handoff_end(st, live.id, NULL, "bot", 500), 0);
    assert_int_equal(store_handoff_citizen_add(st, live.id, "mới", "m-new", 5000000, NULL), 0);
    assert_int_equal(store_event_first_time(st, "zalo", "e-old", 500), 1);
    assert_int_equal(store_event_first_time(st, "zalo", "e-new", 5000), 1);
    assert_int_equal(store_outbox_add(st, "zalo", "u-a", "{}", 500), 0);
    assert_int_equal(store_outbox_add(st, "zalo", "u-b", "{}", 500), 0);
    assert_int_equal(store_outbox_add(st, "zalo", "u-c", "{}", 500), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_outbox_due(st, 600, r, 4, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(store_outbox_done(st, r[0].id, "sent", 1), 0);
    assert_int_equal(store_outbox_done(st, r[1].id, "failed", 5), 0);
    assert_int_equal(store_outbox_retry(st, r[2].id, 1, 100000000), 0);
    while (n)
        free(r[--n].body);
    assert_int_equal(store_commit(st), 0);

    assert_int_equal(store_privacy_purge(st, &p), 0);
    assert_int_equal(store_commit(st), 0);
    /* 2 turns, 1 handoff message, 3 feed rows, 1 key, 1 sent + 1 failed
     * reply, 1 handoff's user id, 2 tokens, 1 idle session */
    assert_int_equal(p.rows, 13);
    assert_int_equal(store_session_by_token(st, "t-live", &back), -ENOENT); /* a new token */
    assert_int_equal(store_session_by_token(st, "t-old", &back), -ENOENT);
    assert_int_equal(store_history(st, live.id, 10, count_turn, &turns), 0);
    assert_int_equal(turns, 1);
    assert_int_equal(store_history(st, old.id, 10, count_turn, &turns), 0);
    assert_int_equal(turns, 1); /* the idle session went with its rows */
    assert_int_equal(store_handoff_messages(st, live.id, 0, 10, fixture_on_msg, &m), 0);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.text[0], "mới");
    assert_int_equal(store_handoff_get(st, live.id, &h), 0);
    assert_string_equal(h.user_key, "");
    assert_int_equal(store_feed_since(st, 0, 10, on_feed, &f), 0);
    assert_string_equal(f.kinds, "message");
    assert_int_equal(store_event_first_time(st, "zalo", "e-old", 6000), 1); /* forgotten */
    assert_int_equal(store_event_first_time(st, "zalo", "e-new", 6000), 0);
    assert_int_equal(store_outbox_pending(st), 1);
    assert_int_equal(store_commit(st), 0);
    /* nothing old left: the next step changes nothing; on PostgreSQL its
     * statements go in one round trip and the idle sessions' query in one
     * more (the loop waits for both: a step a minute) */
    p.rows = 99;
    store_get_stats(st, &before);
    assert_int_equal(store_privacy_purge(st, &p), 0);
    store_get_stats(st, &after);
    assert_int_equal(p.rows, 0);
    if (on_pg(state))
        assert_int_equal(after.round_trips - before.round_trips, 2);
    assert_int_equal(store_commit(st), 0);
    session_fini(&live);
    session_fini(&old);
    store_free(st);
}

/* A turn that gives out a checklist page: the page written by its save
 * (store_turn_queue_share(); docs/scaling.md "Turns that write something
 * else"). */

static int queue_page(struct store *st, struct session *s, const char *msg_id,
                      const struct store_share_plan *p, uint64_t *save)
{
    struct session_turn t[2];

    fixture_two_records(t, msg_id, "{\"checklist\":{}}");
    t[0].unless_handoff = t[1].unless_handoff = true;
    return store_turn_queue_share(st, s, t, 2, p, save);
}

/* Whether another handle finds token's page live at 150. */
static bool page_lives(void **state, const char *token)
{
    struct store *o = store_case_open(state);
    char *body = NULL;
    int rc = store_share_get(o, token, 150, &body);

    assert_true(rc == 0 || rc == -ENOENT);
    free(body);
    assert_int_equal(store_commit(o), 0);
    store_free(o);
    return rc == 0;
}

/* On PostgreSQL, alone: the page is not there before the commit, and is
 * after it with the records; the same checklist again keeps its token and
 * is saved with the turn. At a stale version a new page misses: neither
 * records nor page; the turn run again (read back, planned again) writes
 * both once. SQLite plans nothing. */
static void test_page_queued(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_share_plan p, again, q;
    struct session sa, sb;
    uint64_t save = 0;
    char token[STORE_SHARE_TOKEN_LEN + 1];

    fixture_shared(state, a, b, &sa, &sb);
    if (!on_pg(state)) { /* SQLite writes its page at once (store_share_put()): none planned */
        assert_int_equal(store_share_plan(a, sa.id, "{}", 100, 1000, 5, &p), -ENOTSUP);
        assert_int_equal(p.token[0], '\0');
        assert_int_equal(queue_page(a, &sa, "m-1", &p, &save), -ENOTSUP);
        goto out;
    }
    assert_int_equal(store_share_plan(a, sa.id, "{\"v\":1}", 100, 1000, 5, &p), 0);
    assert_non_null(p.body); /* a new page */
    assert_int_equal(queue_page(a, &sa, "m-1", &p, &save), 0);
    assert_false(page_lives(state, p.token)); /* not given out before its commit */
    assert_int_equal(fixture_commit_wait(a), 0);
    assert_int_equal(store_turn_verdict(a, save), 0);
    assert_true(page_lives(state, p.token));
    assert_int_equal(fixture_records(state, &sa), 2);
    /* the same checklist again: the same page, its expiry moved with the save */
    assert_int_equal(store_share_plan(a, sa.id, "{\"v\":1}", 110, 2000, 5, &again), 0);
    assert_null(again.body);
    assert_string_equal(again.token, p.token);
    assert_int_equal(queue_page(a, &sa, "m-2", &again, &save), 0);
    assert_int_equal(fixture_commit_wait(a), 0);
    assert_int_equal(store_turn_verdict(a, save), 0);
    assert_int_equal(fixture_records(state, &sa), 4);
    /* b's copy is two versions behind: its new page misses */
    assert_int_equal(store_share_plan(b, sb.id, "{\"v\":2}", 120, 1000, 5, &q), 0);
    memcpy(token, q.token, sizeof(token));
    assert_int_equal(queue_page(b, &sb, "m-3", &q, &save), 0);
    assert_int_equal(fixture_commit_wait(b), 0);
    assert_int_equal(store_turn_verdict(b, save), -EAGAIN);
    assert_false(page_lives(state, token));
    assert_int_equal(fixture_records(state, &sa), 4);
    store_share_plan_fini(&q);
    /* run again on a fresh copy: planned again, written once with its turn */
    session_fini(&sb);
    assert_int_equal(session_load_token(b, sa.token, &sb), 0);
    assert_int_equal(store_share_plan(b, sb.id, "{\"v\":2}", 120, 1000, 5, &q), 0);
    assert_non_null(q.body);
    assert_int_equal(queue_page(b, &sb, "m-3", &q, &save), 0);
    assert_int_equal(fixture_commit_wait(b), 0);
    assert_int_equal(store_turn_verdict(b, save), 0);
    assert_true(page_lives(state, q.token));
    assert_int_equal(fixture_records(state, &sa), 6);
    store_share_plan_fini(&again);
    store_share_plan_fini(&q);
out:
    store_share_plan_fini(&p);
    session_fini(&sa);
    session_fini(&sb);
    store_free(a);
    store_free(b);
}

#define CASES(b)                                                                                   \
    {                                                                                              \
        STORE_CASE(test_handoff_states, b), STORE_CASE(test_handoff_messages, b),                  \
            STORE_CASE(test_claim_race, b), STORE_CASE(test_feed_cursor_across_nodes, b),          \
            STORE_CASE(test_share_pages, b), STORE_CASE(test_privacy_purge, b),                    \
            STORE_CASE(test_page_queued, b),                                                       \
    }

int main(void)
{
    const struct CMUnitTest on_sqlite[] = CASES(&sqlite_backend);
    const struct CMUnitTest on_postgresql[] = CASES(&pg_backend);
    return store_contract_run("store contract handoff", on_sqlite, on_postgresql);
}
