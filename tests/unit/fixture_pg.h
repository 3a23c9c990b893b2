/* tests/unit/fixture_pg.h - the store contract tests' two back-ends: each
 * case runs against a fresh SQLite file (fixture.h) and, when
 * MOTCUA_TEST_PG_URL names a PostgreSQL database (make test-pg: the
 * throwaway cluster of tests/lib/pg.sh), against that database with its
 * public schema dropped first. A case gets its back-end as the cmocka state
 * (STORE_CASE); store_case_open() opens a store on it. */
#ifndef MOTCUA_TESTS_FIXTURE_PG_H
#define MOTCUA_TESTS_FIXTURE_PG_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"
#include "session.h"
#include "store.h"

struct store_backend {
    const char *name;
    bool pg;
};

static struct store_backend sqlite_backend = {"sqlite", false};
static struct store_backend pg_backend = {"postgresql", true};

/* The test cluster's URL, or NULL when none is given (PostgreSQL not run). */
static inline const char *fixture_pg_url(void)
{
    const char *url = getenv("MOTCUA_TEST_PG_URL");

    return url && url[0] ? url : NULL;
}

/* Where the case's database is: the fixture's file, or the test cluster. */
static inline const char *target(void **state)
{
    const struct store_backend *b = *state;

    return b->pg ? fixture_pg_url() : fixture_db;
}

static inline bool on_pg(void **state)
{
    return ((const struct store_backend *)*state)->pg;
}

static inline int store_case_setup(void **state)
{
    const struct store_backend *b = *state;
    PGconn *c;
    PGresult *r;
    int rc = 0;

    if (fixture_db_setup(NULL))
        return -1;
    if (!b->pg)
        return 0;
    c = PQconnectdb(fixture_pg_url());
    /* a case that failed midway left its handles open, maybe in a transaction: end them */
    r = PQexec(c, "SET client_min_messages TO warning;"
                  "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE datname = current_database() AND pid <> pg_backend_pid();"
                  "DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "reset: %s", PQerrorMessage(c));
        rc = -1;
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

static inline int store_case_teardown(void **state)
{
    (void)state;
    return fixture_db_teardown(NULL);
}

static inline struct store *store_case_open(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(target(state), &e);

    if (!st)
        fprintf(stderr, "store_open: %s\n", e.text);
    assert_non_null(st);
    return st;
}

#define STORE_CASE(f, b)                                                                           \
    cmocka_unit_test_prestate_setup_teardown(f, store_case_setup, store_case_teardown, b)

/* A user record and its bot record (reply) with msg_id, the resend key: the
 * turn the contract cases save, queue and resend. */
static inline void fixture_two_records(struct session_turn t[2], const char *msg_id,
                                       const char *reply)
{
    memset(t, 0, 2 * sizeof(*t));
    t[0].role = "user";
    t[0].text = "lam lai cccd";
    t[0].msg_id = msg_id;
    t[1] = t[0];
    t[1].role = "bot";
    t[1].text = reply;
}

static inline int fixture_count_record(void *ctx, const char *role, const char *text, int64_t ts,
                                       const char *msg_id)
{
    (void)role, (void)text, (void)ts, (void)msg_id;
    ++*(int *)ctx;
    return 0;
}

/* How many turn records of s another handle sees (what is committed). */
static inline int fixture_records(void **state, const struct session *s)
{
    struct store *b = store_case_open(state);
    int n = 0;

    assert_int_equal(store_history(b, s->id, 1000, fixture_count_record, &n), 0);
    store_free(b);
    return n;
}

/* Sends st's batch and waits for its commit: 0 when it succeeded. */
static inline int fixture_commit_wait(struct store *st)
{
    struct store_commit_done d[2];
    size_t n;

    assert_int_equal(store_commit_send(st), 0);
    n = store_commit_poll(st, true, d, 2);
    assert_int_equal(n, 1);
    return d[0].rc;
}

/* A session row (handoff rows reference one); committed. */
static inline int64_t fixture_session_row(struct store *st, const char *token, int64_t last_seen)
{
    struct session s;

    memset(&s, 0, sizeof(s));
    snprintf(s.token, sizeof(s.token), "%s", token);
    snprintf(s.channel, sizeof(s.channel), "%s", "zalo");
    s.last_seen = last_seen;
    assert_int_equal(store_session_insert(st, &s), 0);
    assert_int_equal(store_commit(st), 0);
    return s.id;
}

/* A handoff request of sid (channel zalo, procedure cccd) at now_s: expect its result. */
/* A handoff request of sid (channel zalo, procedure cccd) at now_s: expect its result. */
static inline void fixture_handoff_ask(struct store *st, int64_t sid, int64_t now_s, int expect)
{
    struct store_handoff h;

    memset(&h, 0, sizeof(h));
    h.session_id = sid;
    snprintf(h.channel, sizeof(h.channel), "%s", "zalo");
    snprintf(h.user_key, sizeof(h.user_key), "u-%lld", (long long)sid);
    snprintf(h.procedure, sizeof(h.procedure), "%s", "cccd");
    assert_int_equal(store_handoff_request(st, &h, now_s), expect);
}

/* Handoff messages as store_handoff_messages() gives them (the first 8 kept). */
struct fixture_msgs {
    int n;
    int64_t ids[8];
    char text[8][32];
    char from[8][16];
    char officer[8][16];
};

static inline int fixture_on_msg(void *ctx, int64_t id, const char *from, const char *officer,
                                 const char *text, int64_t ts_ms)
{
    struct fixture_msgs *m = ctx;

    (void)ts_ms;
    if (m->n < 8) {
        m->ids[m->n] = id;
        snprintf(m->text[m->n], sizeof(m->text[0]), "%s", text);
        snprintf(m->from[m->n], sizeof(m->from[0]), "%s", from);
        snprintf(m->officer[m->n], sizeof(m->officer[0]), "%s", officer);
    }
    m->n++;
    return 0;
}

/* Sleeps ms milliseconds (a test's pause, never a wait for a result). */
static inline void fixture_pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* A session stored, and a second handle's copy of it (another node). */
static inline void fixture_shared(void **state, struct store *a, struct store *b,
                                  struct session *sa, struct session *sb)
{
    assert_int_equal(session_create(a, "web", sa), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(session_load_token(b, sa->token, sb), 0);
    assert_int_equal(sb->version, sa->version);
    (void)state;
}

/* Runs sql on a back-end's database from a connection of its own (its own
 * SQL: triggers, rows no function of the part under test writes). */
static inline void fixture_raw(bool pg, const char *sql)
{
    if (pg) {
        PGconn *c = PQconnectdb(fixture_pg_url());
        PGresult *r = PQexec(c, sql);

        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fprintf(stderr, "raw: %s", PQerrorMessage(c));
        assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
        PQclear(r);
        PQfinish(c);
    } else {
        sqlite3 *db = NULL;

        assert_int_equal(sqlite3_open(fixture_db, &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 2000);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
    }
}

/* A contract file's main: runs its cases on SQLite always, and on
 * PostgreSQL when `make test-pg` gave a cluster (MOTCUA_TEST_PG_URL), saying
 * which ran ("<name>: sqlite", "<name>: postgresql", or why not). Returns
 * the number of failures. */
#define store_contract_run(name, on_sqlite, on_postgresql)                                         \
    store_contract_run_n(name, on_sqlite, sizeof(on_sqlite) / sizeof((on_sqlite)[0]),              \
                         on_postgresql, sizeof(on_postgresql) / sizeof((on_postgresql)[0]))

static inline int store_contract_run_n(const char *name, const struct CMUnitTest *on_sqlite,
                                       size_t n_sqlite, const struct CMUnitTest *on_postgresql,
                                       size_t n_postgresql)
{
    char group[128];
    int failed;

    snprintf(group, sizeof(group), "%s: sqlite", name);
    printf("%s\n", group);
    failed = _cmocka_run_group_tests(group, on_sqlite, n_sqlite, NULL, NULL);
    if (!fixture_pg_url()) {
        printf("%s: postgresql not run (MOTCUA_TEST_PG_URL unset; make test-pg)\n", name);
        return failed;
    }
    snprintf(group, sizeof(group), "%s: postgresql", name);
    printf("%s\n", group);
    return failed + _cmocka_run_group_tests(group, on_postgresql, n_postgresql, NULL, NULL);
}

#endif
