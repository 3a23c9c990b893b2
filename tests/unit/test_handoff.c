/* tests/unit/test_handoff.c - the handoff state store (store.h, "handoff" and
 * "the feed"): request, claim (also two processes racing for it), release,
 * close and the citizen's cancel with their errors; the queue's order;
 * messages and the de-duplication of a resent citizen message; the feed
 * (one row per change, in order, ids never given twice, pruning); a change
 * undone with its unit leaves no feed row; a version 5 database migrated
 * to 6 with its sessions kept. And the citizen side's pure parts
 * (handoff.h): office hours in Vietnam's time with the next opening, and
 * the words that cancel. */
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
#include <jansson.h>
#include <sqlite3.h>

#include "handoff.h"
#include "kb_hours.h"
#include "mc_buf.h"
#include "session.h"
#include "fixture.h"
#include "store.h"

/* A new committed web session; returns its id. */
static int64_t new_session(struct store *st)
{
    struct session s;
    int64_t id;

    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(store_commit(st), 0);
    id = s.id;
    session_fini(&s);
    return id;
}

static void ask(struct store *st, int64_t sid, const char *proc, int64_t now_s, int expect)
{
    struct store_handoff h;

    memset(&h, 0, sizeof(h));
    h.session_id = sid;
    snprintf(h.channel, sizeof(h.channel), "web");
    snprintf(h.procedure, sizeof(h.procedure), "%s", proc);
    snprintf(h.locality, sizeof(h.locality), "00008");
    assert_int_equal(store_handoff_request(st, &h, now_s), expect);
}

/* The feed as one string: "kind:session:officer,..." after id after. */
struct feed_acc {
    char text[1024];
    int64_t last;
    int64_t msg;
};

static int feed_fn(void *ctx, int64_t id, const char *kind, int64_t session_id, int64_t message_id,
                   const char *officer, int64_t ts_ms)
{
    struct feed_acc *a = ctx;
    size_t n = strlen(a->text);

    (void)ts_ms;
    assert_true(id > a->last); /* increasing */
    a->last = id;
    if (message_id)
        a->msg = message_id;
    snprintf(a->text + n, sizeof(a->text) - n, "%s%s:%lld:%s", n ? "," : "", kind,
             (long long)session_id, officer);
    return 0;
}

static void feed_after(struct store *st, int64_t after, struct feed_acc *a)
{
    memset(a, 0, sizeof(*a));
    a->last = after;
    assert_int_equal(store_feed_since(st, after, 100, feed_fn, a), 0);
}

static void test_request_claim_end(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct store_handoff h;
    struct feed_acc a;
    int64_t sid, other, start;
    char want[128];

    (void)state;
    assert_non_null(st);
    sid = new_session(st);
    other = new_session(st);
    assert_int_equal(store_feed_last(st, &start), 0);
    assert_int_equal(start, 0);

    assert_int_equal(store_handoff_get(st, sid, &h), 0);
    assert_string_equal(h.state, "bot"); /* never handed off */
    assert_int_equal(store_handoff_claim(st, sid, "lan.nt", 100), -ENOENT);
    assert_int_equal(store_handoff_end(st, sid, NULL, "bot", 100), -ENOENT);

    ask(st, sid, "khai-sinh", 1000, 0);
    ask(st, sid, "khai-sinh", 1001, -EALREADY); /* waiting already: nothing changes */
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_handoff_get(st, sid, &h), 0);
    assert_string_equal(h.state, "pending");
    assert_string_equal(h.channel, "web");
    assert_string_equal(h.procedure, "khai-sinh");
    assert_string_equal(h.locality, "00008");
    assert_int_equal(h.waiting_since, 1000);
    assert_int_equal(h.last_citizen_ms, 1000000);

    assert_int_equal(store_handoff_claim(st, sid, "", 1010), -EINVAL);
    assert_int_equal(store_handoff_claim(st, sid, "lan.nt", 1010), 0);
    assert_int_equal(store_handoff_claim(st, sid, "lan.nt", 1011), 0); /* already hers */
    assert_int_equal(store_handoff_claim(st, sid, "binh.vt", 1012), -EBUSY);
    ask(st, sid, "", 1013, -EALREADY);
    assert_int_equal(store_handoff_get(st, sid, &h), 0);
    assert_string_equal(h.state, "officer");
    assert_string_equal(h.officer, "lan.nt");
    assert_int_equal(h.updated, 1010);

    assert_int_equal(store_handoff_end(st, sid, "binh.vt", "bot", 1020), -EPERM);
    assert_int_equal(store_handoff_end(st, sid, "lan.nt", "elsewhere", 1020), -EINVAL);
    assert_int_equal(store_handoff_end(st, other, "lan.nt", "bot", 1020), -ENOENT);
    assert_int_equal(store_handoff_end(st, sid, "lan.nt", "bot", 1020), 0); /* released */
    assert_int_equal(store_handoff_end(st, sid, "lan.nt", "bot", 1021), -ENOENT);
    assert_int_equal(store_handoff_get(st, sid, &h), 0);
    assert_string_equal(h.state, "bot");

    ask(st, sid, "ket-hon", 1030, 0); /* again, from "bot" */
    assert_int_equal(store_handoff_get(st, sid, &h), 0);
    assert_string_equal(h.officer, ""); /* the old holder is forgotten */
    assert_string_equal(h.procedure, "ket-hon");
    assert_int_equal(store_handoff_end(st, sid, "lan.nt", "closed", 1031), -ENOENT); /* not held */
    assert_int_equal(store_handoff_claim(st, sid, "lan.nt", 1032), 0);
    assert_int_equal(store_handoff_end(st, sid, "lan.nt", "closed", 1033), 0);
    assert_int_equal(store_handoff_get(st, sid, &h), 0);
    assert_string_equal(h.state, "closed");
    assert_int_equal(store_handoff_end(st, sid, NULL, "bot", 1034),
                     -ENOENT); /* nothing to cancel */

    ask(st, sid, "", 1040, 0);                                          /* and from "closed" */
    assert_int_equal(store_handoff_end(st, sid, NULL, "bot", 1041), 0); /* the citizen cancels */
    assert_int_equal(store_handoff_get(st, sid, &h), 0);
    assert_string_equal(h.state, "bot");
    assert_int_equal(store_commit(st), 0);

    feed_after(st, start, &a);
    snprintf(want, sizeof(want),
             "pending:%lld:,claimed:%lld:lan.nt,released:%lld:lan.nt,pending:%lld:,"
             "claimed:%lld:lan.nt,closed:%lld:lan.nt,pending:%lld:,cancelled:%lld:",
             (long long)sid, (long long)sid, (long long)sid, (long long)sid, (long long)sid,
             (long long)sid, (long long)sid, (long long)sid);
    /* one row per change, none for a refused one; the cancel names no officer:
     * the request from "closed" forgot the old holder */
    assert_string_equal(a.text, want);
    store_free(st);
}

/* Two processes claim the same conversation at the same moment: one wins. */
static int claim_child(const char *officer, int go_fd, int64_t sid)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    char c;
    int rc;

    if (!st || read(go_fd, &c, 1) != 1)
        return 3;
    rc = store_handoff_claim(st, sid, officer, 2000);
    if (store_commit(st))
        rc = -EIO;
    store_free(st);
    return rc == 0 ? 0 : rc == -EBUSY ? 1 : 2;
}

static void test_claim_race_between_processes(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct store_handoff h;
    const char *names[2] = {"lan.nt", "binh.vt"};
    int go[2], status[2], wins = 0, losses = 0, i;
    pid_t pid[2];
    int64_t sid;

    (void)state;
    assert_non_null(st);
    sid = new_session(st);
    ask(st, sid, "", 1000, 0);
    assert_int_equal(store_commit(st), 0);
    /* no store open across fork(), as in the server (master.c frees its own
     * before forking the workers): a child of a process with the store's
     * checkpoint thread could inherit a lock that thread held */
    store_free(st);
    assert_int_equal(pipe(go), 0);
    for (i = 0; i < 2; i++) {
        pid[i] = fork();
        assert_true(pid[i] >= 0);
        if (pid[i] == 0) {
            close(go[1]);
            _exit(claim_child(names[i], go[0], sid));
        }
    }
    close(go[0]);
    assert_int_equal(write(go[1], "go", 2), 2); /* both start together */
    close(go[1]);
    for (i = 0; i < 2; i++) {
        assert_int_equal(waitpid(pid[i], &status[i], 0), pid[i]);
        assert_true(WIFEXITED(status[i]));
        wins += WEXITSTATUS(status[i]) == 0;
        losses += WEXITSTATUS(status[i]) == 1;
    }
    assert_int_equal(wins, 1);
    assert_int_equal(losses, 1);
    st = store_open(fixture_db, &e);
    assert_non_null(st);
    assert_int_equal(store_handoff_get(st, sid, &h), 0);
    assert_string_equal(h.state, "officer");
    assert_string_equal(h.officer, names[WEXITSTATUS(status[0]) == 0 ? 0 : 1]);
    store_free(st);
}

struct list_acc {
    int64_t ids[8];
    size_t n;
};

static int list_fn(void *ctx, const struct store_handoff *h)
{
    struct list_acc *a = ctx;

    if (a->n < 8)
        a->ids[a->n++] = h->session_id;
    return 0;
}

static void test_list_order(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct list_acc a;
    int64_t s1, s2, s3, s4;

    (void)state;
    assert_non_null(st);
    s1 = new_session(st);
    s2 = new_session(st);
    s3 = new_session(st);
    s4 = new_session(st);
    ask(st, s2, "", 500, 0); /* s2 has waited longest */
    ask(st, s1, "", 600, 0);
    ask(st, s3, "", 700, 0);
    ask(st, s4, "", 800, 0);
    assert_int_equal(store_handoff_claim(st, s3, "lan.nt", 900), 0);
    assert_int_equal(store_handoff_claim(st, s4, "lan.nt", 950), 0);
    assert_int_equal(store_commit(st), 0);

    memset(&a, 0, sizeof(a));
    assert_int_equal(store_handoff_list(st, "pending", 10, list_fn, &a), 0);
    assert_int_equal(a.n, 2); /* oldest waiting first */
    assert_int_equal(a.ids[0], s2);
    assert_int_equal(a.ids[1], s1);
    memset(&a, 0, sizeof(a));
    assert_int_equal(store_handoff_list(st, "officer", 10, list_fn, &a), 0);
    assert_int_equal(a.n, 2); /* latest change first */
    assert_int_equal(a.ids[0], s4);
    assert_int_equal(a.ids[1], s3);
    memset(&a, 0, sizeof(a));
    assert_int_equal(store_handoff_list(st, "officer", 1, list_fn, &a), 0);
    assert_int_equal(a.n, 1);
    memset(&a, 0, sizeof(a));
    assert_int_equal(store_handoff_list(st, "closed", 10, list_fn, &a), 0);
    assert_int_equal(a.n, 0);
    assert_int_equal(store_handoff_list(st, "nonsense", 10, list_fn, &a), -EINVAL);
    store_free(st);
}

struct msg_acc {
    char text[512];
    size_t n;
};

static int msg_fn(void *ctx, int64_t id, const char *from, const char *officer, const char *text,
                  int64_t ts_ms)
{
    struct msg_acc *a = ctx;
    size_t len = strlen(a->text);

    (void)id;
    (void)ts_ms;
    a->n++;
    snprintf(a->text + len, sizeof(a->text) - len, "%s%s/%s/%s", len ? "|" : "", from, officer,
             text);
    return 0;
}

static void test_messages_and_resend(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct store_handoff h;
    struct msg_acc m;
    struct feed_acc a;
    int64_t sid, id1 = 0, id2 = 0, again = 0, start;

    (void)state;
    assert_non_null(st);
    sid = new_session(st);
    ask(st, sid, "", 1000, 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_feed_last(st, &start), 0);

    assert_int_equal(store_handoff_citizen_add(st, sid, "con tôi sinh ở *** ạ", "m1", 1500, &id1),
                     0);
    assert_int_equal(store_handoff_citizen_add(st, sid, "con tôi sinh ở *** ạ", "m1", 1600, &again),
                     -EEXIST); /* a resend: stored once, same id */
    assert_int_equal(again, id1);
    assert_int_equal(
        store_handoff_message_add(st, sid, "officer", "lan.nt", "Chào bạn", 1700, &id2), 0);
    assert_true(id2 > id1);
    assert_int_equal(store_handoff_message_add(st, sid, "system", NULL, "Đã chuyển", 1800, NULL),
                     0);
    assert_int_equal(store_handoff_message_add(st, sid, "bot", NULL, "x", 1800, NULL), -EINVAL);
    assert_int_equal(store_handoff_message_add(st, sid, "officer", NULL, "x", 1800, NULL), -EINVAL);
    assert_int_equal(store_handoff_message_add(st, sid, "system", NULL, NULL, 1800, NULL), -EINVAL);
    assert_int_equal(store_commit(st), 0);

    memset(&m, 0, sizeof(m));
    assert_int_equal(store_handoff_messages(st, sid, 0, 10, msg_fn, &m), 0);
    assert_string_equal(m.text, "citizen//con tôi sinh ở *** ạ|officer/lan.nt/Chào bạn|"
                                "system//Đã chuyển");
    memset(&m, 0, sizeof(m));
    assert_int_equal(store_handoff_messages(st, sid, id1, 1, msg_fn, &m), 0);
    assert_string_equal(m.text, "officer/lan.nt/Chào bạn"); /* after id1, at most 1 */
    assert_int_equal(store_handoff_get(st, sid, &h), 0);
    assert_int_equal(h.last_citizen_ms, 1500); /* the citizen's last message, not the officer's */

    feed_after(st, start, &a);
    {
        char want[128];

        snprintf(want, sizeof(want),
                 "message:%lld:,message:%lld:lan.nt,message:%lld:", (long long)sid, (long long)sid,
                 (long long)sid);
        assert_string_equal(a.text, want);
    }
    store_free(st);
}

static void test_feed_ids_prune_and_units(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct store_handoff h;
    struct feed_acc a;
    int64_t sid, last, before;

    (void)state;
    assert_non_null(st);
    sid = new_session(st);
    ask(st, sid, "", 1, 0); /* feed ts 1000 ms */
    assert_int_equal(store_handoff_message_add(st, sid, "system", NULL, "x", 5000, NULL), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_feed_last(st, &before), 0);
    assert_true(before >= 2);

    assert_int_equal(store_feed_prune(st, 2000), 0); /* only the "pending" row is older */
    assert_int_equal(store_commit(st), 0);
    feed_after(st, 0, &a);
    assert_null(strstr(a.text, "pending"));
    assert_non_null(strstr(a.text, "message"));
    assert_int_equal(store_feed_prune(st, 10000), 0); /* all of them */
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_feed_last(st, &last), 0);
    assert_int_equal(last, 0);

    /* a change undone with its unit leaves neither its state nor its feed row */
    assert_int_equal(store_unit_begin(st), 0);
    assert_int_equal(store_handoff_end(st, sid, NULL, "bot", 6), 0);
    assert_int_equal(store_unit_end(st, false), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_handoff_get(st, sid, &h), 0);
    assert_string_equal(h.state, "pending");
    assert_int_equal(store_feed_last(st, &last), 0);
    assert_int_equal(last, 0);

    assert_int_equal(store_handoff_end(st, sid, NULL, "bot", 7), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_feed_last(st, &last), 0);
    assert_true(last > before); /* never an id given before, even after pruning */
    store_free(st);
}

/* A state database of version 5 (before handoff) with a session in it opens,
 * migrates to 6, and keeps the session. */
static void test_migrates_version_5(void **state)
{
    struct mc_err e = {{0}};
    struct store *st = store_open(fixture_db, &e);
    struct session s, back;
    struct store_handoff h;
    char token[SESSION_TOKEN_LEN + 1];
    sqlite3 *raw = NULL;
    sqlite3_stmt *q = NULL;

    (void)state;
    assert_non_null(st);
    assert_int_equal(session_create(st, "web", &s), 0);
    assert_int_equal(store_commit(st), 0);
    memcpy(token, s.token, sizeof(token));
    session_fini(&s);
    store_free(st);

    /* back to what version 5 had: none of the tables and indexes of migrations 6 and later */
    assert_int_equal(sqlite3_open(fixture_db, &raw), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(
            raw,
            "DROP TABLE handoff; DROP TABLE handoff_message; DROP TABLE feed; DROP INDEX turn_ts;"
            /* and what later versions add (8: the commune's own data, 9: citizens' votes) */
            "DROP TABLE office_override; DROP TABLE guide_local; DROP TABLE guide_note;"
            "DROP TABLE local_rev;"
            /* 9: the phrases admins taught */
            "DROP TABLE taught_phrase; DROP TABLE taught_rev;"
            /* 10: the citizens' votes */
            "DROP TABLE feedback;"
            /* 11: personal data (store_privacy.c) */
            "DROP TABLE privacy_key; DROP INDEX session_last_seen; DROP INDEX session_created;"
            "DROP INDEX seen_event_ts; DROP INDEX audit_conversation;"
            /* 12: the citizens' checklist pages (store_share.c) */
            "DROP TABLE share;"
            /* 13: outbox claims (issue 18) */
            "ALTER TABLE outbox DROP COLUMN claimed_by; ALTER TABLE outbox DROP COLUMN "
            "claimed_until;"
            /* 14: the reload revision of every node (issue 18) */
            "DROP TABLE reload_rev;"
            "DELETE FROM sqlite_sequence; PRAGMA user_version=5;",
            NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(raw);

    st = store_open(fixture_db, &e);
    assert_non_null(st);
    assert_int_equal(session_load_token(st, token, &back), 0);
    assert_int_equal(store_handoff_get(st, back.id, &h), 0);
    assert_string_equal(h.state, "bot");
    ask(st, back.id, "", 10, 0);
    assert_int_equal(store_commit(st), 0);
    session_fini(&back);
    store_free(st);

    assert_int_equal(sqlite3_open(fixture_db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), STORE_SCHEMA_VERSION);
    assert_true(STORE_SCHEMA_VERSION >= 7); /* the handoff tables came with 7 */
    sqlite3_finalize(q);
    sqlite3_close(raw);
}

/* 2026-12-07 is a Monday; Vietnam's time is UTC+7. */
#define MON_0000_VN 1796576400LL /* 2026-12-07 00:00 +07:00 */
#define AT(day, h, m) (MON_0000_VN + (day)*86400LL + (h)*3600LL + (m)*60LL)

static void when(const struct kb_hours *h, int64_t now, bool open, const char *text)
{
    struct mc_buf b;
    int64_t next = -1;

    assert_int_equal(kb_hours_open(h, now, &next), open);
    if (open)
        return;
    mc_buf_init(&b, 256);
    assert_int_equal(handoff_when_text(next, now, &b), 0);
    assert_string_equal(b.data, text);
    mc_buf_fini(&b);
}

static void test_office_hours(void **state)
{
    struct kb_hours h;
    struct mc_err err = {0};
    json_t *office;

    (void)state;
    kb_hours_national(&h); /* national default: Mon-Fri 8-12, 13-17, to verify */
    assert_true(h.national);
    assert_true(h.verify);
    when(&h, AT(0, 9, 0), true, NULL);
    when(&h, AT(0, 5, 45), false, "8:00 hôm nay");
    when(&h, AT(0, 12, 0), false, "13:00 hôm nay"); /* closing time is closed */
    when(&h, AT(0, 16, 59), true, NULL);
    when(&h, AT(0, 17, 0), false, "8:00 ngày mai (thứ Ba, 8/12)");
    when(&h, AT(4, 18, 0), false, "8:00 thứ Hai, 14/12"); /* Friday evening */
    when(&h, AT(5, 9, 0), false, "8:00 thứ Hai, 14/12");  /* Saturday */
    when(&h, AT(6, 23, 59), false, "8:00 ngày mai (thứ Hai, 14/12)");
    /* 2026-12-06 23:00 UTC is already Monday 6:00 in Vietnam */
    when(&h, 1796598000LL, false, "8:00 hôm nay");

    office = json_loads("{\"hours\":{\"verify\":false,\"schedule\":["
                        "{\"days\":[1,2,3,4,5],\"from\":\"07:30\",\"to\":\"11:30\"},"
                        "{\"days\":[6],\"from\":\"07:30\",\"to\":\"11:30\"}]}}",
                        0, NULL);
    assert_non_null(office);
    assert_int_equal(kb_hours_parse(json_object_get(office, "hours"), &h, &err), 0);
    assert_false(h.national);
    assert_false(h.verify);
    assert_int_equal(h.n, 2);
    when(&h, AT(0, 7, 29), false, "7:30 hôm nay");
    when(&h, AT(0, 12, 0), false, "7:30 ngày mai (thứ Ba, 8/12)");
    when(&h, AT(5, 8, 0), true, NULL); /* Saturday morning */
    when(&h, AT(5, 12, 0), false, "7:30 thứ Hai, 14/12");
    json_decref(office);

    /* a typo never makes the bot promise wrong hours: the national default */
    office = json_loads("{\"hours\":{\"verify\":false,\"schedule\":["
                        "{\"days\":[1,8],\"from\":\"07:30\",\"to\":\"11:30\"}]}}",
                        0, NULL);
    assert_int_equal(kb_hours_parse(json_object_get(office, "hours"), &h, &err), -EINVAL);
    assert_true(h.national);
    assert_non_null(strstr(err.text, "hours.schedule[0]"));
    json_decref(office);
    office = json_loads("{\"hours\":{\"schedule\":[{\"days\":[1],\"from\":\"7:30\",\"to\":"
                        "\"11:30\"}]}}",
                        0, NULL);
    assert_int_equal(kb_hours_parse(json_object_get(office, "hours"), &h, &err), -EINVAL);
    assert_true(h.national);
    assert_non_null(strstr(err.text, "hours.schedule[0]"));
    json_decref(office);
    office = json_loads("{\"hours\":{\"schedule\":[{\"days\":[1],\"from\":\"12:00\",\"to\":"
                        "\"11:30\"}]}}",
                        0, NULL);
    assert_int_equal(kb_hours_parse(json_object_get(office, "hours"), &h, &err), -EINVAL);
    assert_true(h.national);
    assert_non_null(strstr(err.text, "hours.schedule[0]"));
    json_decref(office);
    office = json_loads("{\"hours\":{\"text\":\"8-17\"}}", 0, NULL); /* no schedule */
    assert_int_equal(kb_hours_parse(json_object_get(office, "hours"), &h, &err), -ENOENT);
    assert_true(h.national);
    json_decref(office);
}

static void test_cancel_words(void **state)
{
    (void)state;
    assert_true(handoff_is_cancel("hủy", NULL));
    assert_true(handoff_is_cancel("  Hủy! ", NULL));
    assert_true(handoff_is_cancel("huỷ", NULL));
    assert_true(handoff_is_cancel("huy", NULL));
    assert_true(handoff_is_cancel("Quay lại trợ lý", NULL));
    assert_true(handoff_is_cancel("quay lai tro ly.", NULL));
    assert_true(handoff_is_cancel(NULL, "handoff:cancel"));
    assert_false(handoff_is_cancel(NULL, "meta:gap-can-bo"));
    assert_false(
        handoff_is_cancel("hủy hồ sơ khai sinh thế nào", NULL)); /* a question for the officer */
    assert_false(handoff_is_cancel("quay lại", NULL));
    assert_false(handoff_is_cancel("", NULL));
    assert_false(handoff_is_cancel(NULL, NULL));
    assert_true(handoff_is_delivered(HANDOFF_DELIVERED_JSON));
    assert_false(handoff_is_delivered("{\"messages\":[]}"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_claim_end, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_claim_race_between_processes, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_list_order, fixture_db_setup, fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_messages_and_resend, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_feed_ids_prune_and_units, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test_setup_teardown(test_migrates_version_5, fixture_db_setup,
                                        fixture_db_teardown),
        cmocka_unit_test(test_office_hours),
        cmocka_unit_test(test_cancel_words),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
