/* tests/unit/test_store_contract_report.c - the store's contract on each
 * back-end (fixture_pg.h) for the reports, the unanswered questions and the
 * citizens' feedback: turns on several local days (a record a second before
 * local midnight and one at it), groups with equal counts, limits, replies
 * that are not JSON, a vote changed from another handle (another node). The
 * same data gives the same text of answers on SQLite and PostgreSQL: each
 * case checks the answers, and test_same_answers fills both back-ends and
 * compares everything they say. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture_pg.h"
#include "session.h"
#include "store.h"

#define DAY 86400
#define D0 1796058000LL /* 2026-12-01 00:00 in Vietnam (UTC+7) */
#define VN (7 * 3600)

static const struct store_report_span week = {D0, D0 + 3 * DAY, VN};

struct data {
    struct session s[5];
    struct store_feedback_answer a1, a1_last, a2, a3, a4;
};

static void new_session(struct store *st, struct session *s, const char *token, const char *channel)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->token, sizeof(s->token), "%s", token);
    snprintf(s->channel, sizeof(s->channel), "%s", channel);
    assert_int_equal(store_session_insert(st, s), 0);
    s->state = strdup("{}");
}

/* A citizen message and the bot's reply saved together at ts. */
static void turn(struct store *st, struct session *s, int64_t ts, const char *msg_id,
                 const char *text, const char *label, double confidence, const char *decision,
                 const char *procedure, const char *reply)
{
    struct session_turn t[2];

    memset(t, 0, sizeof(t));
    t[0].role = "user";
    t[0].text = text;
    t[0].label = label;
    t[0].confidence = confidence;
    t[0].decision = decision;
    t[0].procedure = procedure;
    t[0].msg_id = msg_id;
    t[1].role = "bot";
    t[1].text = reply;
    t[1].procedure = procedure;
    t[1].msg_id = msg_id;
    s->last_seen = ts;
    assert_int_equal(store_turn_save(st, s, t, 2), 0);
}

/* The data of every case, written through a (and b: the changed vote). */
static void fill(struct store *a, struct store *b, bool pg, struct data *d)
{
    char sql[1024];

    new_session(a, &d->s[0], "t-1", "web");
    new_session(a, &d->s[1], "t-2", "web");
    new_session(a, &d->s[2], "t-3", "Zalo"); /* upper case: before "messenger" in bytes */
    new_session(a, &d->s[3], "t-4", "messenger");
    new_session(a, &d->s[4], "t-5", "web");
    turn(a, &d->s[0], D0 - 10 * DAY, NULL, "cũ", "ket_hon", 0.1, "none", NULL, "{}"); /* before */
    turn(a, &d->s[0], D0 + 8 * 3600, "m1", "đăng ký kết hôn", "ket_hon", 0.9, "match", "ket_hon",
         "{\"question\":{\"id\":\"q1\"},\"feedback\":{\"ask\":true}}");
    turn(a, &d->s[0], D0 + 8 * 3600 + 60, "m2", "có", "ket_hon", 0.9, "match", "ket_hon",
         "{\"checklist\":{\"items\":[]}}");
    turn(a, &d->s[1], D0 + DAY - 1, NULL, "xin chào", NULL, 0, "none", NULL,
         "{\"understanding\":{\"candidates\":[{\"label\":\"cccd\",\"confidence\":0.42}]}}");
    turn(a, &d->s[1], D0 + DAY, NULL, "làm căn cước", "cccd", 0.55, "clarify", "cccd",
         "{\"question\":{\"id\":\"q2\"},\"understanding\":{\"candidates\":[{\"label\":\"cccd\","
         "\"confidence\":0.55},{\"label\":\"ho_chieu\",\"confidence\":0.3}]}}");
    turn(a, &d->s[2], D0 + DAY + 10 * 3600, NULL, "căn cước", "cccd", 0.5, "match", "cccd",
         "not json \"checklist\":{ \"understanding\":");
    turn(a, &d->s[3], D0 + 2 * DAY + 12 * 3600, NULL, "[nút]", NULL, 0, NULL, "khai_sinh",
         "{\"checklist\":\"x\"}");
    turn(a, &d->s[3], D0 + 2 * DAY + 12 * 3600 + 1800, NULL, "khai sinh", "khai_sinh", 0.95,
         "match", "khai_sinh", "{\"question\":{\"id\":\"q3\"}}");
    turn(a, &d->s[4], 100, NULL, "trước 1970 ở UTC-1", "cccd", 0.9, "match", "cccd", "{}");
    assert_int_equal(store_commit(a), 0);

    /* the handoff tables are another part's: their rows are written directly */
    snprintf(sql, sizeof(sql),
             "INSERT INTO handoff (session_id, state, channel, waiting_since, updated) VALUES "
             "(%lld, 'officer', 'web', %lld, 0), (%lld, 'officer', 'web', %lld, 0), "
             "(%lld, 'pending', 'Zalo', %lld, 0), (%lld, 'pending', 'messenger', %lld, 0);"
             "INSERT INTO handoff_message (session_id, sender, text, ts_ms) VALUES "
             "(%lld, 'officer', 'trước', %lld), (%lld, 'officer', 'chào', %lld), "
             "(%lld, 'officer', 'sau', %lld), (%lld, 'officer', 'chào', %lld), "
             "(%lld, 'citizen', 'alo', %lld);",
             (long long)d->s[0].id, D0, (long long)d->s[1].id, D0 + 10, (long long)d->s[2].id,
             D0 + 20, (long long)d->s[3].id, D0 + 3 * DAY, (long long)d->s[0].id, D0 * 1000 - 5,
             (long long)d->s[0].id, D0 * 1000 + 30500, (long long)d->s[0].id, D0 * 1000 + 99000,
             (long long)d->s[1].id, (D0 + 10) * 1000 + 90000, (long long)d->s[2].id,
             (D0 + 21) * 1000);
    fixture_raw(pg, sql);

    assert_int_equal(store_feedback_answer(a, d->s[0].id, "m1", &d->a1), 0);
    assert_int_equal(store_feedback_answer(a, d->s[0].id, NULL, &d->a1_last), 0);
    assert_int_equal(store_feedback_answer(a, d->s[1].id, NULL, &d->a2), 0);
    assert_int_equal(store_feedback_answer(a, d->s[2].id, NULL, &d->a3), 0);
    assert_int_equal(store_feedback_answer(a, d->s[3].id, NULL, &d->a4), 0);
    assert_int_equal(store_feedback_put(a, d->s[0].id, &d->a1, "web", "up", NULL, D0 + 100), 0);
    assert_int_equal(store_feedback_put(a, d->s[1].id, &d->a2, "web", "down", "sai", D0 + 200), 0);
    assert_int_equal(store_feedback_put(a, d->s[2].id, &d->a3, "Zalo", "down", "", D0 + 200), 0);
    assert_int_equal(store_feedback_put(a, d->s[3].id, &d->a4, "messenger", "up", NULL, D0 + 300),
                     0);
    assert_int_equal(store_commit(a), 0);
    /* the citizen changes the vote; the request lands on another node */
    assert_int_equal(store_feedback_put(b, d->s[0].id, &d->a1, "web", "down", "đổi ý", D0 + 400),
                     0);
    assert_int_equal(store_commit(b), 0);
}

static void free_data(struct data *d)
{
    size_t i;

    for (i = 0; i < sizeof(d->s) / sizeof(d->s[0]); i++)
        session_fini(&d->s[i]);
}

/* Everything the functions answer, as text. */
struct out {
    char text[8192];
    size_t len;
};

static void say(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(o->text + o->len, sizeof(o->text) - o->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(o->text) - o->len);
    o->len += (size_t)n;
}

static int on_group(void *ctx, const char *key, uint64_t conversations, uint64_t messages)
{
    say(ctx, " %s=%llu/%llu", key, (unsigned long long)conversations, (unsigned long long)messages);
    return 0;
}

static int on_unanswered(void *ctx, const struct store_unanswered *u)
{
    say(ctx, " [%lld %s %s %s %.2f %s %s]", (long long)(u->ts - D0), u->channel, u->text, u->label,
        u->confidence, u->decision, u->candidates);
    return 0;
}

static int on_procedure(void *ctx, const char *procedure, uint64_t up, uint64_t down)
{
    say(ctx, " %s=%llu+%llu-", procedure, (unsigned long long)up, (unsigned long long)down);
    return 0;
}

static int on_down(void *ctx, const struct store_feedback_row *r)
{
    say(ctx, " [%lld %s %s %s|%s|%s]", (long long)(r->ts - D0), r->channel, r->procedure,
        r->question, r->answer, r->comment);
    return 0;
}

static void messages(struct store *st, struct out *o, const char *name,
                     const struct store_report_span *sp, enum store_report_by by, unsigned max)
{
    say(o, "%s:", name);
    assert_int_equal(store_report_messages(st, sp, by, max, on_group, o), 0);
    say(o, "\n");
}

static void dump(struct store *st, struct out *o)
{
    static const struct store_report_span before_1970 = {0, 200, -3600};
    static const struct store_report_span first_vote = {D0 + 100, D0 + 150, VN};
    struct store_report_handoffs h;
    uint64_t started, completed, up, down;
    bool available;

    memset(o, 0, sizeof(*o));
    messages(st, o, "all", &week, STORE_REPORT_ALL, 0);
    messages(st, o, "channel", &week, STORE_REPORT_CHANNEL, 0);
    messages(st, o, "day", &week, STORE_REPORT_DAY, 0);
    messages(st, o, "day max 2", &week, STORE_REPORT_DAY, 2);
    messages(st, o, "day utc", &(struct store_report_span){D0, D0 + 3 * DAY, 0}, STORE_REPORT_DAY,
             0);
    messages(st, o, "hour", &week, STORE_REPORT_HOUR, 0);
    messages(st, o, "decision", &week, STORE_REPORT_DECISION, 0);
    messages(st, o, "procedure", &week, STORE_REPORT_PROCEDURE, 0);
    messages(st, o, "procedure max 2", &week, STORE_REPORT_PROCEDURE, 2);
    messages(st, o, "1969 day", &before_1970, STORE_REPORT_DAY, 0);
    messages(st, o, "1969 hour", &before_1970, STORE_REPORT_HOUR, 0);
    assert_int_equal(store_report_prechecks(st, &week, &started, &completed), 0);
    say(o, "prechecks: %llu %llu\n", (unsigned long long)started, (unsigned long long)completed);
    assert_int_equal(store_report_handoffs(st, &week, &h), 0);
    say(o, "handoffs: %d %llu %llu %.3f\n", h.available, (unsigned long long)h.requested,
        (unsigned long long)h.answered, h.median_wait_s);
    assert_int_equal(store_report_feedback(st, &week, &available, &up, &down), 0);
    say(o, "feedback: %d %llu %llu\n", available, (unsigned long long)up, (unsigned long long)down);
    assert_int_equal(store_report_feedback(st, &first_vote, &available, &up, &down), 0);
    say(o, "feedback at the first vote: %llu %llu\n", (unsigned long long)up,
        (unsigned long long)down);
    say(o, "unanswered:");
    assert_int_equal(store_unanswered(st, &week, 0.6, 10, on_unanswered, o), 0);
    say(o, "\nunanswered max 1:");
    assert_int_equal(store_unanswered(st, &week, 0.6, 1, on_unanswered, o), 0);
    say(o, "\nunanswered max 0:");
    assert_int_equal(store_unanswered(st, &week, 0.6, 0, on_unanswered, o), 0);
    say(o, "\nby procedure:");
    assert_int_equal(store_feedback_by_procedure(st, &week, 0, on_procedure, o), 0);
    say(o, "\nby procedure max 2:");
    assert_int_equal(store_feedback_by_procedure(st, &week, 2, on_procedure, o), 0);
    say(o, "\ndowns:");
    assert_int_equal(store_feedback_downs(st, &week, 0, on_down, o), 0);
    say(o, "\ndowns max 2:");
    assert_int_equal(store_feedback_downs(st, &week, 2, on_down, o), 0);
    say(o, "\n");
}

static const char expected[] =
    "all: =4/7\n"
    "channel: Zalo=1/1 messenger=1/2 web=2/4\n"
    "day: 2026-12-01=2/3 2026-12-02=2/2 2026-12-03=1/2\n"
    "day max 2: 2026-12-01=2/3 2026-12-02=2/2\n"
    "day utc: 2026-12-01=2/4 2026-12-02=1/1 2026-12-03=1/2\n"
    "hour: 00=1/1 08=1/2 10=1/1 12=1/2 23=1/1\n"
    "decision: =1/1 clarify=1/1 match=3/4 none=1/1\n"
    "procedure: cccd=2/2 ket_hon=1/2 khai_sinh=1/2\n"
    "procedure max 2: cccd=2/2 ket_hon=1/2\n"
    "1969 day: 1969-12-31=1/1\n"
    "1969 hour: 23=1/1\n"
    "prechecks: 3 1\n"
    "handoffs: 1 3 2 60.250\n"
    "feedback: 1 1 3\n"
    "feedback at the first vote: 0 0\n"
    "unanswered: [122400 Zalo căn cước cccd 0.50 match []] [86400 web làm căn cước cccd 0.55 "
    "clarify "
    "[{\"label\":\"cccd\",\"confidence\":0.55},{\"label\":\"ho_chieu\",\"confidence\":0.3}]]"
    " [86399 web xin chào none 0.00 none [{\"label\":\"cccd\",\"confidence\":0.42}]]\n"
    "unanswered max 1: [122400 Zalo căn cước cccd 0.50 match []]\n"
    "unanswered max 0:\n"
    "by procedure: cccd=0+2- ket_hon=0+1- khai_sinh=1+0-\n"
    "by procedure max 2: cccd=0+2- ket_hon=0+1-\n"
    "downs: [400 web ket_hon đăng ký kết hôn|{\"question\":{\"id\":\"q1\"},\"feedback\":{\"ask\":"
    "true}}|đổi ý] [200 Zalo cccd căn cước|not json \"checklist\":{ \"understanding\":|] [200 web "
    "cccd làm căn cước|{\"question\":{\"id\":\"q2\"},\"understanding\":{\"candidates\":[{\"label\":"
    "\"cccd\",\"confidence\":0.55},{\"label\":\"ho_chieu\",\"confidence\":0.3}]}}|sai]\n"
    "downs max 2: [400 web ket_hon đăng ký kết hôn|{\"question\":{\"id\":\"q1\"},\"feedback\":{"
    "\"ask\":true}}|đổi ý] [200 Zalo cccd căn cước|not json \"checklist\":{ \"understanding\":|]\n";

static void test_report_answers(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct data d;
    struct out o;
    char *opts;

    /* keys in bytes' order whatever the columns' collation (on PostgreSQL
     * the database's locale; an ICU one puts "Zalo" after "web") */
    if (on_pg(state))
        fixture_raw(true,
                    "ALTER TABLE turn ALTER COLUMN channel TYPE text COLLATE \"und-x-icu\";"
                    "ALTER TABLE turn ALTER COLUMN procedure TYPE text COLLATE \"und-x-icu\";"
                    "ALTER TABLE feedback ALTER COLUMN procedure TYPE text COLLATE \"und-x-icu\"");
    fill(a, b, on_pg(state), &d);
    /* read inside an open batch: a reply that is not JSON fails no statement,
     * so the batch's write survives */
    assert_int_equal(store_options_put(b, "zalo", "u-1", "[1]"), 0);
    dump(b, &o);
    assert_string_equal(o.text, expected);
    assert_int_equal(store_commit(b), 0);
    opts = store_options_get(a, "zalo", "u-1");
    assert_non_null(opts);
    assert_string_equal(opts, "[1]");
    free(opts);
    store_free(a);
    store_free(b);
    free_data(&d);
}

static int first_candidates(void *ctx, const struct store_unanswered *u)
{
    snprintf(ctx, 128, "%s", u->candidates);
    return 1; /* the newest only */
}

/* Two nodes saving turns at once interleave PostgreSQL's ids (user A, user
 * B, bot A, bot B): a citizen message's reply is its session's next record,
 * not id + 1. A reading that rolled back (the unit undone) leaves the next
 * reading working, and a vote the database refuses (its answer is gone)
 * fails alone: the batch's other writes stay. PostgreSQL only: one SQLite
 * writer never interleaves, and SQLite does not check the foreign key. */
static void test_two_nodes(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_feedback_answer gone = {.turn_id = 999999};
    uint64_t started, completed;
    struct session s1, s2;
    char sql[1024], cand[128] = "";
    char *opts;

    new_session(a, &s1, "t-a", "web");
    new_session(a, &s2, "t-b", "web");
    assert_int_equal(store_commit(a), 0);
    snprintf(sql, sizeof(sql),
             "INSERT INTO turn (id, session_id, ts, channel, role, text, decision) VALUES "
             "(1000, %lld, %lld, 'web', 'user', 'a', 'none'),"
             "(1001, %lld, %lld, 'web', 'user', 'b', 'match'),"
             "(1002, %lld, %lld, 'web', 'bot', "
             "'{\"understanding\":{\"candidates\":[{\"label\":\"cccd\"}]}}', NULL),"
             "(1003, %lld, %lld, 'web', 'bot', '{}', NULL)",
             (long long)s1.id, D0, (long long)s2.id, D0, (long long)s1.id, D0, (long long)s2.id,
             D0);
    fixture_raw(true, sql);
    assert_int_equal(store_unanswered(b, &week, 0.6, 5, first_candidates, cand), 1);
    assert_string_equal(cand, "[{\"label\":\"cccd\"}]");

    assert_int_equal(store_unit_begin(b), 0);
    assert_int_equal(store_report_prechecks(b, &week, &started, &completed), 0);
    assert_int_equal(store_unit_end(b, false), 0);
    assert_int_equal(store_report_prechecks(b, &week, &started, &completed), 0);
    assert_int_equal(store_commit(b), 0);

    assert_int_equal(store_options_put(a, "zalo", "u-2", "[2]"), 0);
    assert_int_equal(store_feedback_put(a, s1.id, &gone, "web", "up", NULL, D0), -EIO);
    assert_int_equal(store_commit(a), 0);
    opts = store_options_get(b, "zalo", "u-2");
    assert_non_null(opts);
    assert_string_equal(opts, "[2]");
    free(opts);
    session_fini(&s1);
    session_fini(&s2);
    store_free(a);
    store_free(b);
}

static void test_feedback(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_feedback_answer x;
    char big[STORE_FEEDBACK_COMMENT_MAX + 2];
    struct data d;

    fill(a, b, on_pg(state), &d);
    /* an answer by the client's message id, the latest one, none */
    assert_string_equal(d.a1.msg_id, "m1");
    assert_string_equal(d.a1.procedure, "ket_hon");
    assert_true(d.a1.asks);
    assert_string_equal(d.a1_last.msg_id, "m2");
    assert_false(d.a1_last.asks);
    assert_true(d.a1_last.turn_id > d.a1.turn_id);
    assert_string_equal(d.a2.msg_id, "");
    assert_string_equal(d.a2.procedure, "cccd");
    assert_int_equal(store_feedback_answer(b, d.s[0].id, "m9", &x), -ENOENT);
    assert_int_equal(store_feedback_answer(b, d.s[0].id + 1000, NULL, &x), -ENOENT);
    assert_int_equal(store_feedback_answer(b, d.s[0].id, "m1", &x), 0);
    assert_int_equal(x.turn_id, d.a1.turn_id);
    /* bad votes change nothing, and the batch goes on */
    assert_int_equal(store_feedback_put(a, d.s[0].id, &d.a1, "web", "meh", NULL, D0), -EINVAL);
    assert_int_equal(store_feedback_put(a, d.s[0].id, &d.a1, "web", NULL, NULL, D0), -EINVAL);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(store_feedback_put(a, d.s[0].id, &d.a1, "web", "up", big, D0), -EINVAL);
    big[STORE_FEEDBACK_COMMENT_MAX] = '\0'; /* at the limit: accepted */
    assert_int_equal(store_feedback_put(a, d.s[3].id, &d.a4, "messenger", "up", big, D0 + 500), 0);
    assert_int_equal(store_commit(a), 0);
    store_free(a);
    store_free(b);
    free_data(&d);
}

/* The same data on both back-ends, every answer compared (PostgreSQL only:
 * the case opens the SQLite file beside the cluster's database). */
static void test_same_answers(void **state)
{
    struct store *sa, *sb, *pa, *pb;
    struct mc_err e = {{0}};
    struct data ds, dp;
    static struct out os, op;

    sa = store_open(fixture_db, &e);
    sb = store_open(fixture_db, &e);
    assert_non_null(sa);
    assert_non_null(sb);
    pa = store_case_open(state);
    pb = store_case_open(state);
    fill(sa, sb, false, &ds);
    fill(pa, pb, true, &dp);
    dump(sa, &os);
    dump(pa, &op);
    assert_string_equal(op.text, os.text);
    store_free(sa);
    store_free(sb);
    store_free(pa);
    store_free(pb);
    free_data(&ds);
    free_data(&dp);
}

#define CASES(b)                                                                                   \
    {                                                                                              \
        STORE_CASE(test_report_answers, b), STORE_CASE(test_feedback, b),                          \
    }

int main(void)
{
    const struct CMUnitTest on_sqlite[] = CASES(&sqlite_backend);
    const struct CMUnitTest on_postgresql[] = {
        STORE_CASE(test_report_answers, &pg_backend),
        STORE_CASE(test_feedback, &pg_backend),
        STORE_CASE(test_same_answers, &pg_backend),
        STORE_CASE(test_two_nodes, &pg_backend),
    };
    return store_contract_run("store contract report", on_sqlite, on_postgresql);
}
