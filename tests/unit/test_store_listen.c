/* tests/unit/test_store_listen.c - cross-node events (store.h, "cross-node
 * events") on each back-end (fixture_pg.h). On PostgreSQL: a listener
 * connects without blocking and says when LISTEN took effect; a feed row, a
 * taught phrase and the commune's office data notify only when their batch
 * commits, never when their unit is undone; a reload asked by another handle
 * arrives, one asked by the listener's own handle does not; the reload
 * revision moves only when its batch commits, grows, and is never given
 * twice (a handle that missed the notification still sees it moved); a
 * listener whose connection is killed reports it and connects again. On
 * SQLite there is no listener and a reload of all nodes is refused
 * (-ENOTSUP). */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fixture_pg.h"
#include "session.h"
#include "store.h"

#define WAIT_MS 3000 /* a notification or a connection takes far less on a local socket */

/* Connects l, as the event loop would: a step whenever asked. The socket. */
static int connect_listener(struct store_listen *l)
{
    int fd = 0, i;

    for (i = 0; i < WAIT_MS && fd == 0; i++) {
        fd = store_listen_connect(l);
        if (fd == 0)
            (void)poll(NULL, 0, 1);
    }
    assert_true(fd > 0);
    return fd;
}

/* The events that reach l within ms (0: what is there now), read as the loop
 * does: when the socket is readable. */
static unsigned events_within(struct store_listen *l, int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    unsigned all = 0, ev;

    while (poll(&p, 1, ms) > 0) {
        assert_int_equal(store_listen_read(l, &ev), 0);
        all |= ev;
        ms = 50; /* what came with it, then stop */
    }
    return all;
}

static struct store_listen *listening(struct store *st, int *fd)
{
    struct mc_err e = {{0}};
    struct store_listen *l = NULL;

    assert_int_equal(store_listen_new(st, &l, &e), 0);
    assert_non_null(l);
    *fd = connect_listener(l);
    assert_true(events_within(l, *fd, WAIT_MS) & STORE_EVENT_LISTENING);
    return l;
}

static int64_t new_session(struct store *st, const char *token)
{
    struct session s;

    memset(&s, 0, sizeof(s));
    snprintf(s.token, sizeof(s.token), "%s", token);
    snprintf(s.channel, sizeof(s.channel), "%s", "web");
    s.last_seen = 1;
    assert_int_equal(store_session_insert(st, &s), 0);
    assert_int_equal(store_commit(st), 0);
    return s.id;
}

static void ask(struct store *st, int64_t sid)
{
    struct store_handoff h;

    memset(&h, 0, sizeof(h));
    h.session_id = sid;
    snprintf(h.channel, sizeof(h.channel), "%s", "web");
    assert_int_equal(store_handoff_request(st, &h, 100), 0);
}

static void test_sqlite_has_no_listener(void **state)
{
    struct store *st = store_case_open(state);
    struct store_listen *l = (struct store_listen *)&l; /* must be set to NULL */
    struct mc_err e = {{0}};
    int64_t rev;

    assert_int_equal(store_listen_new(st, &l, &e), 0);
    assert_null(l);
    assert_int_equal(store_notify_reload(st, &rev), -ENOTSUP);
    assert_int_equal(store_reload_rev(st, &rev), -ENOTSUP);
    store_listen_free(NULL);
    store_free(st);
}

static void test_feed_notifies_on_commit_only(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    int64_t s1 = new_session(a, "t-n1"), s2 = new_session(a, "t-n2");
    int fd;
    struct store_listen *l = listening(b, &fd);

    /* a unit undone: its notification goes with it */
    assert_int_equal(store_unit_begin(a), 0);
    ask(a, s1);
    assert_int_equal(store_unit_end(a, false), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(events_within(l, fd, 300), 0);
    /* a row in an open batch: nothing until it commits, then the feed */
    ask(a, s2);
    assert_int_equal(events_within(l, fd, 300), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(events_within(l, fd, WAIT_MS), STORE_EVENT_FEED);
    store_listen_free(l);
    store_free(a);
    store_free(b);
}

static void test_teach_and_reload(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    int64_t id = 0, rev = 0;
    int fd;
    struct store_listen *l = listening(b, &fd);

    assert_int_equal(store_phrase_add(a, "câu dạy thử", "khai-sinh", "lan", 1, &id, &rev), 0);
    assert_int_equal(events_within(l, fd, 300), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(events_within(l, fd, WAIT_MS), STORE_EVENT_TEACH);
    /* another handle's reload arrives; the listener's own handle's does not */
    assert_int_equal(store_notify_reload(a, &rev), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(events_within(l, fd, WAIT_MS), STORE_EVENT_RELOAD);
    assert_int_equal(store_notify_reload(b, &rev), 0);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(events_within(l, fd, 300), 0);
    store_listen_free(l);
    store_free(a);
    store_free(b);
}

static void test_office_notifies_on_commit_only(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    int64_t before = 0, after = 0;
    int fd;
    struct store_listen *l = listening(b, &fd);

    assert_int_equal(store_local_rev(b, &before), 0);
    /* a unit undone: neither the change nor its notification */
    assert_int_equal(store_unit_begin(a), 0);
    assert_int_equal(store_office_set(a, "xa-thu", "phone", "0123", "lan", 1), 0);
    assert_int_equal(store_unit_end(a, false), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(events_within(l, fd, 300), 0);
    /* in an open batch: nothing until it commits, then the office event */
    assert_int_equal(store_office_set(a, "xa-thu", "phone", "0456", "lan", 2), 0);
    assert_int_equal(events_within(l, fd, 300), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(events_within(l, fd, WAIT_MS), STORE_EVENT_OFFICE);
    assert_int_equal(store_local_rev(b, &after), 0);
    assert_true(after > before); /* what the woken node compares with its layer's */
    /* an override removed notifies too */
    assert_int_equal(store_office_unset(a, "xa-thu", "phone"), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(events_within(l, fd, WAIT_MS), STORE_EVENT_OFFICE);
    store_listen_free(l);
    store_free(a);
    store_free(b);
}

/* The reload revision is what a node whose listener was down compares: it
 * moves only on commit, only up, and a value a rolled-back request took is
 * never given again (the asking node took it as seen). */
static void test_reload_rev_is_durable(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    int64_t r0 = -1, r1 = 0, r2 = 0, r3 = 0, seen = 0;
    int fd;
    struct store_listen *l = listening(b, &fd);

    assert_int_equal(store_reload_rev(b, &r0), 0);
    assert_int_equal(store_notify_reload(a, &r1), 0);
    assert_true(r1 > r0);
    assert_int_equal(store_reload_rev(b, &seen), 0);
    assert_int_equal(seen, r0); /* not committed: another node sees nothing yet */
    assert_int_equal(events_within(l, fd, 300), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(events_within(l, fd, WAIT_MS), STORE_EVENT_RELOAD);
    assert_int_equal(store_reload_rev(b, &seen), 0);
    assert_int_equal(seen, r1);
    /* a request undone: the revision stays, nothing is sent */
    assert_int_equal(store_unit_begin(a), 0);
    assert_int_equal(store_notify_reload(a, &r2), 0);
    assert_int_equal(store_unit_end(a, false), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(events_within(l, fd, 300), 0);
    assert_int_equal(store_reload_rev(b, &seen), 0);
    assert_int_equal(seen, r1);
    /* missed while nobody listened: the revision still tells */
    store_listen_close(l);
    assert_int_equal(store_notify_reload(a, &r3), 0);
    assert_int_equal(store_commit(a), 0);
    assert_true(r3 > r2); /* never the undone request's value again */
    fd = connect_listener(l);
    assert_true(events_within(l, fd, WAIT_MS) & STORE_EVENT_LISTENING);
    assert_int_equal(store_reload_rev(b, &seen), 0);
    assert_int_equal(seen, r3);
    store_listen_free(l);
    store_free(a);
    store_free(b);
}

static void test_killed_listener_reconnects(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct pollfd p;
    unsigned ev = 0;
    int64_t rev;
    int fd, rc = 0, i;
    struct store_listen *l = listening(b, &fd);

    fixture_raw(true, "DO $$ BEGIN PERFORM pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND application_name = 'motcua-listen'; "
                      "END $$");
    p.fd = fd;
    p.events = POLLIN;
    for (i = 0; i < 10 && rc == 0; i++) /* the server's goodbye, then the end of the socket */
        if (poll(&p, 1, WAIT_MS) > 0)
            rc = store_listen_read(l, &ev);
    assert_int_equal(rc, -EIO);
    store_listen_close(l);
    fd = connect_listener(l);
    assert_true(events_within(l, fd, WAIT_MS) & STORE_EVENT_LISTENING);
    assert_int_equal(store_notify_reload(a, &rev), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(events_within(l, fd, WAIT_MS), STORE_EVENT_RELOAD);
    store_listen_free(l);
    store_free(a);
    store_free(b);
}

int main(void)
{
    const struct CMUnitTest on_sqlite[] = {
        STORE_CASE(test_sqlite_has_no_listener, &sqlite_backend)};
    const struct CMUnitTest on_postgresql[] = {
        STORE_CASE(test_feed_notifies_on_commit_only, &pg_backend),
        STORE_CASE(test_teach_and_reload, &pg_backend),
        STORE_CASE(test_office_notifies_on_commit_only, &pg_backend),
        STORE_CASE(test_reload_rev_is_durable, &pg_backend),
        STORE_CASE(test_killed_listener_reconnects, &pg_backend),
    };
    return store_contract_run("store contract listen", on_sqlite, on_postgresql);
}
