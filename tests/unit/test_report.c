/* tests/unit/test_report.c - the weekly report (gateway/admin/report.h and the
 * store's report queries) on a real SQLite file: known turns written through
 * the store's own session and turn functions at known times around local
 * midnight in UTC+7, and every figure checked by hand; the handoff figures
 * with and without their tables, the feedback figures (test_feedback.c
 * votes through the store); the request checks; the
 * JSON, CSV and xlsx writers and the page. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "report.h"
#include "session.h"
#include "fixture.h"
#include "store.h"

/* 2026-03-02 00:00:00 in Asia/Ho_Chi_Minh (+07:00) = 2026-03-01T17:00:00Z */
#define T0 1772384400LL
#define DAY 86400LL
#define HOUR 3600LL

/* One turn of s at ts: the citizen's record and the bot's reply. */
static void turn(struct store *st, struct session *s, int64_t ts, const char *decision,
                 const char *procedure, const char *reply)
{
    struct session_turn t[2];

    memset(t, 0, sizeof(t));
    t[0].role = "user";
    t[0].text = decision ? "cau hoi" : "check:x";
    t[0].label = decision ? (procedure ? procedure : "none") : NULL;
    t[0].confidence = 0.5;
    t[0].decision = decision;
    t[0].procedure = procedure;
    t[1] = t[0];
    t[1].role = "bot";
    t[1].text = reply;
    s->last_seen = ts;
    assert_int_equal(store_turn_save(st, s, t, 2), 0);
}

#define Q "{\"messages\":[{\"text\":\"Câu 1/6\"}],\"question\":{\"kind\":\"document\",\"n\":1}}"
#define CL "{\"messages\":[{\"text\":\"xong\"}],\"checklist\":{\"procedure\":\"khai-sinh\"}}"
/* "question" only nested in another block, and "checklist" only inside a
 * message text (escaped): neither is a pre-check */
#define NOT_PC                                                                                     \
    "{\"messages\":[{\"text\":\"\\\"checklist\\\":{}\"}],\"card\":{\"question\":{\"n\":1}}}"

/* The known turns (local time, +07:00):
 *   A web:       03-01 23:59:59 match khai-sinh (out of 03-02..03-03)
 *                03-02 00:00:00 match khai-sinh, question
 *                03-02 09:00:05 clarify khai-sinh, checklist
 *   B web:       03-02 23:59:59 none, no procedure
 *                03-03 00:00:00 button, ket-hon, question
 *   C messenger: 03-03 09:00:00 match khai-sinh, not a pre-check
 *                03-04 00:00:00 match khai-sinh, checklist (out) */
static void write_turns(struct store *st)
{
    struct session a, b, c;

    assert_int_equal(session_create(st, "web", &a), 0);
    assert_int_equal(session_create(st, "web", &b), 0);
    assert_int_equal(session_load_user(st, "messenger", "psid-1", &c), 0);
    turn(st, &a, T0 - 1, "match", "khai-sinh", "{}");
    turn(st, &a, T0, "match", "khai-sinh", Q);
    turn(st, &a, T0 + 9 * HOUR + 5, "clarify", "khai-sinh", CL);
    turn(st, &b, T0 + DAY - 1, "none", NULL, "{}");
    turn(st, &b, T0 + DAY, NULL, "ket-hon", Q);
    turn(st, &c, T0 + DAY + 9 * HOUR, "match", "khai-sinh", NOT_PC);
    turn(st, &c, T0 + 2 * DAY, "match", "khai-sinh", CL);
    assert_int_equal(store_commit(st), 0);
    session_fini(&a);
    session_fini(&b);
    session_fini(&c);
}

/* Whether the state database has table name (the handoff tables come with
 * migration 6 of issue 14; feedback later): the figures say so. */
static bool has_table(const char *name)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *q = NULL;
    bool found;

    assert_int_equal(sqlite3_open(fixture_db, &h), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(h, "SELECT 1 FROM sqlite_master WHERE name = ?1", -1, &q, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC), SQLITE_OK);
    found = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    sqlite3_close(h);
    return found;
}

static void check_count(const struct report_count *c, const char *key, uint64_t conv, uint64_t msgs)
{
    assert_string_equal(c->key, key);
    assert_int_equal(c->conversations, conv);
    assert_int_equal(c->messages, msgs);
}

static void test_figures_equal_the_turns(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct report *r;
    int order[24];

    (void)state;
    assert_non_null(st);
    write_turns(st);
    r = report_build(st, "2026-03-02", "2026-03-03", "Asia/Ho_Chi_Minh", &e);
    assert_non_null(r);
    assert_int_equal(r->offset_s, 7 * 3600);
    assert_int_equal(r->conversations, 3);
    assert_int_equal(r->messages_in, 5);
    assert_int_equal(r->n_channels, 2);
    check_count(&r->channels[0], "messenger", 1, 1);
    check_count(&r->channels[1], "web", 2, 4);
    assert_int_equal(r->n_days, 2);
    check_count(&r->days[0], "2026-03-02", 2, 3); /* A twice, B at 23:59:59 */
    check_count(&r->days[1], "2026-03-03", 2, 2); /* B at 00:00:00, C */
    assert_int_equal(r->match, 2);
    assert_int_equal(r->clarify, 1);
    assert_int_equal(r->none, 1);
    assert_int_equal(r->buttons, 1);
    assert_int_equal(r->n_top, 2);
    check_count(&r->top[0], "khai-sinh", 2, 3); /* A and C */
    check_count(&r->top[1], "ket-hon", 1, 1);
    assert_int_equal(r->hours[0], 2);
    assert_int_equal(r->hours[9], 2);
    assert_int_equal(r->hours[23], 1);
    assert_int_equal(r->hours[17], 0); /* 00:00 local is 17:00 UTC: hours are local */
    assert_int_equal(report_busiest_hours(r, order), 3);
    assert_int_equal(order[0], 0);
    assert_int_equal(order[1], 9);
    assert_int_equal(order[2], 23);
    assert_int_equal(r->precheck_started, 2);   /* A khai-sinh, B ket-hon */
    assert_int_equal(r->precheck_completed, 1); /* A's checklist; C's is on 03-04 */
    assert_int_equal(r->handoffs.available, has_table("handoff"));
    assert_int_equal(r->handoffs.requested, 0);
    assert_int_equal(r->handoffs.answered, 0);
    assert_true(r->feedback_available); /* the table comes with schema 9 */
    assert_int_equal(r->feedback_up + r->feedback_down, 0);
    report_free(r);

    /* the days on either side: each edge turn lands on its own local day */
    r = report_build(st, "2026-03-01", "2026-03-04", "Asia/Ho_Chi_Minh", &e);
    assert_non_null(r);
    assert_int_equal(r->n_days, 4);
    check_count(&r->days[0], "2026-03-01", 1, 1);
    check_count(&r->days[3], "2026-03-04", 1, 1);
    assert_int_equal(r->messages_in, 7);
    assert_int_equal(r->precheck_completed, 2);
    report_free(r);

    /* the same turns in UTC: 2026-03-01 holds A's first two (16:59:59Z, 17:00Z) */
    r = report_build(st, "2026-03-01", "2026-03-01", "UTC", &e);
    assert_non_null(r);
    assert_int_equal(r->messages_in, 2);
    assert_int_equal(r->hours[16], 1);
    assert_int_equal(r->hours[17], 1);
    report_free(r);

    /* a day with nothing: zeros, one by_day row */
    r = report_build(st, "2026-05-01", "2026-05-01", "Asia/Ho_Chi_Minh", &e);
    assert_non_null(r);
    assert_int_equal(r->conversations, 0);
    assert_int_equal(r->n_days, 1);
    check_count(&r->days[0], "2026-05-01", 0, 0);
    assert_int_equal(r->n_top, 0);
    report_free(r);
    store_free(st);
}

static void exec_sql(const char *sql)
{
    sqlite3 *h = NULL;

    assert_int_equal(sqlite3_open(fixture_db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

static void test_handoffs_and_feedback_when_their_tables_exist(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct report *r;
    char sql[2048];

    (void)state;
    assert_non_null(st);
    /* migration 6's handoff tables (issue 14) and migration 8's feedback table */
    snprintf(sql, sizeof(sql),
             "INSERT INTO handoff (session_id, state, channel, waiting_since, updated) VALUES"
             " (1, 'officer', 'web', %lld, 0), (2, 'closed', 'web', %lld, 0),"
             " (3, 'pending', 'web', %lld, 0), (4, 'closed', 'web', %lld, 0);"
             /* 1: answered after 30 s (a citizen line and an older officer line first) */
             "INSERT INTO handoff_message (session_id, sender, text, ts_ms) VALUES"
             " (1, 'officer', '', %lld), (1, 'citizen', '', %lld), (1, 'officer', '', %lld),"
             /* 2: after 90 s; 3: only the citizen; 4: before the range */
             " (2, 'officer', '', %lld), (3, 'citizen', '', %lld), (4, 'officer', '', %lld);"
             "INSERT INTO feedback (session_id, turn_id, channel, ts, vote) VALUES"
             " (1, 1, 'web', %lld, 'up'), (1, 2, 'web', %lld, 'up'), (2, 3, 'web', %lld, 'down'),"
             " (2, 4, 'web', %lld, 'up');",
             T0 + 100, T0 + 200, T0 + 300, T0 - 500, (T0 - 1000) * 1000, (T0 + 110) * 1000,
             (T0 + 130) * 1000, (T0 + 290) * 1000, (T0 + 310) * 1000, (T0 - 400) * 1000, T0 + 5,
             T0 + DAY + 5, T0 + 2 * DAY - 1, T0 - 1);
    exec_sql(sql);
    r = report_build(st, "2026-03-02", "2026-03-03", "Asia/Ho_Chi_Minh", &e);
    assert_non_null(r);
    assert_true(r->handoffs.available);
    assert_int_equal(r->handoffs.requested, 3);
    assert_int_equal(r->handoffs.answered, 2);
    assert_true(r->handoffs.median_wait_s > 59.99 && r->handoffs.median_wait_s < 60.01);
    assert_true(r->feedback_available);
    assert_int_equal(r->feedback_up, 2);
    assert_int_equal(r->feedback_down, 1);
    report_free(r);
    store_free(st);
}

static void test_query_checks(void **state)
{
    struct mc_err e = {{0}};
    enum report_format f = REPORT_JSON;
    int off = 0;

    (void)state;
    assert_null(report_check_query("2026-03-02", "2026-03-08", NULL, &f, &e));
    assert_int_equal(f, REPORT_JSON);
    assert_null(report_check_query("2024-02-29", "2024-03-01", "xlsx", &f, &e));
    assert_int_equal(f, REPORT_XLSX);
    assert_null(report_check_query("2026-01-01", "2026-01-01", "csv", &f, &e));
    assert_int_equal(f, REPORT_CSV);
    assert_string_equal(report_check_query(NULL, "2026-03-08", NULL, &f, &e), "missing_date");
    assert_non_null(strstr(e.text, "from"));
    assert_string_equal(report_check_query("2026-03-01", "", NULL, &f, &e), "missing_date");
    assert_non_null(strstr(e.text, "to"));
    assert_string_equal(report_check_query("2026-3-1", "2026-03-08", NULL, &f, &e), "bad_date");
    assert_string_equal(report_check_query("2026-02-29", "2026-03-08", NULL, &f, &e), "bad_date");
    assert_string_equal(report_check_query("2026-03-01", "2026-13-01", NULL, &f, &e), "bad_date");
    assert_non_null(strstr(e.text, "to"));
    assert_string_equal(report_check_query("2026-03-01", "2026-03-08x", NULL, &f, &e), "bad_date");
    assert_string_equal(report_check_query("2026-03-08", "2026-03-01", NULL, &f, &e),
                        "reversed_range");
    assert_null(report_check_query("2025-01-01", "2025-12-31", NULL, &f, &e)); /* 365 */
    assert_null(report_check_query("2024-01-01", "2024-12-31", NULL, &f, &e)); /* 366 */
    assert_null(report_check_query("2025-01-01", "2026-01-01", NULL, &f, &e)); /* 366 */
    assert_string_equal(report_check_query("2024-01-01", "2025-01-01", NULL, &f, &e),
                        "range_too_long"); /* 367 */
    assert_non_null(strstr(e.text, "367 days"));
    assert_string_equal(report_check_query("2016-01-01", "2026-01-01", NULL, &f, &e),
                        "range_too_long");
    assert_string_equal(report_check_query("2026-03-01", "2026-03-08", "pdf", &f, &e),
                        "bad_format");

    assert_int_equal(report_tz_offset("Asia/Ho_Chi_Minh", &off), 0);
    assert_int_equal(off, 25200);
    assert_int_equal(report_tz_offset("-03:30", &off), 0);
    assert_int_equal(off, -12600);
    assert_int_equal(report_tz_offset("Europe/Nowhere", &off), -EINVAL);
    assert_int_equal(report_tz_offset("+7", &off), -EINVAL);
}

static void test_local_date(void **state)
{
    char d[REPORT_DATE_LEN + 1];

    (void)state;
    report_local_date(T0 - 1, 7 * 3600, 0, d);
    assert_string_equal(d, "2026-03-01");
    report_local_date(T0, 7 * 3600, 0, d);
    assert_string_equal(d, "2026-03-02");
    report_local_date(T0, 7 * 3600, -6, d);
    assert_string_equal(d, "2026-02-24");
    report_local_date(T0, 0, 0, d);
    assert_string_equal(d, "2026-03-01");
}

static void test_writers(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct report *r;
    json_t *j;
    char *text, *csv, *xlsx, *html;
    size_t len;

    (void)state;
    write_turns(st);
    r = report_build(st, "2026-03-02", "2026-03-03", "Asia/Ho_Chi_Minh", &e);
    assert_non_null(r);
    snprintf(r->top[0].name, sizeof(r->top[0].name), "Khai sinh <cho con>");

    text = report_to_json(r);
    assert_non_null(text);
    j = json_loads(text, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "conversations")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "messages_in")), 5);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(j, "by_channel"), "web"), "messages_in")),
                     4);
    assert_int_equal(json_array_size(json_object_get(j, "by_day")), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "top_procedures"), 0), "id")),
                        "khai-sinh");
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(j, "top_procedures"), 0), "count")),
                     2);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "decisions"), "clarify")), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "prechecks"), "started")), 2);
    assert_int_equal(json_is_true(json_object_get(j, "handoffs_available")), has_table("handoff"));
    assert_int_equal(json_array_size(json_object_get(j, "busiest_hours")), 3);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(j, "busiest_hours"), 2), "hour")),
                     23);
    json_decref(j);
    free(text);

    assert_int_equal(report_to_csv(r, &csv, &len), 0);
    assert_int_equal(strlen(csv), len);
    assert_memory_equal(csv, "\xEF\xBB\xBF# overview\r\n", 15);
    assert_non_null(strstr(csv, "\r\n# by_day\r\ndate,conversations,messages_in\r\n"
                                "2026-03-02,2,3\r\n2026-03-03,2,2\r\n"));
    assert_non_null(strstr(csv, "\r\nmessenger,1,1\r\nweb,2,4\r\n"));
    assert_non_null(strstr(csv, "\r\nkhai-sinh,Khai sinh <cho con>,2,3\r\n"));
    assert_non_null(strstr(csv, "\r\n00,2\r\n09,2\r\n23,1\r\n"));
    assert_non_null(strstr(csv, "\r\nprechecks.completed,Kiểm tra hồ sơ: hoàn tất,1\r\n"));
    free(csv);

    assert_int_equal(report_to_xlsx(r, &xlsx, &len), 0);
    assert_true(len > 1000);
    assert_memory_equal(xlsx, "PK\x03\x04", 4); /* a zip; the sheets are checked end to end */
    free(xlsx);

    assert_int_equal(report_page_html(r, r->from, r->to, NULL, "Quản <trị>", &html, &len), 0);
    assert_non_null(strstr(html, "<h1>Báo cáo tuần</h1>"));
    assert_non_null(strstr(html, "Từ ngày 02/03/2026 đến ngày 03/03/2026"));
    assert_non_null(strstr(html, "Quản &lt;trị&gt;"));
    assert_non_null(strstr(html, "Khai sinh &lt;cho con&gt;"));
    assert_null(strstr(html, "<cho con>"));
    assert_non_null(strstr(html, "<svg"));
    assert_non_null(strstr(html, "@media print"));
    assert_null(strstr(html, "<script"));
    free(html);
    report_free(r);
    store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_figures_equal_the_turns, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_handoffs_and_feedback_when_their_tables_exist,
                                        fixture_db_setup, fixture_db_teardown),
        cmocka_unit_test(test_query_checks),
        cmocka_unit_test(test_local_date),
        cmocka_unit_test_setup_teardown(test_writers, fixture_db_setup, fixture_db_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
