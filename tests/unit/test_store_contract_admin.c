/* tests/unit/test_store_contract_admin.c - the store's contract on each
 * back-end (fixture_pg.h), beyond the conversation (test_store_contract.c):
 * officers, their sessions (seen by every handle: a login on one node holds
 * on all) and the audit log; taught phrases and their revision (a phrase
 * taught on one node reaches the other); the commune's own data (office
 * fields, guide notes) and its revision; the key of platform user ids'
 * hashes (one for every node) and the rewrite of ids stored in clear; the
 * erasure of one session; and
 * what PostgreSQL does not
 * implement yet fails cleanly (-ENOSYS, and store_require_complete()
 * refuses). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_pg.h"
#include "session.h"
#include "store.h"

struct seen {
    int n;
    char text[4][64];
};

static int count_officer(void *ctx, const struct store_officer *o)
{
    assert_string_equal(o->hash, ""); /* a list never carries hashes */
    (*(int *)ctx)++;
    return 0;
}

struct audit_seen {
    int n;
    char first[16], last[16], conversation[24];
};

static int collect_audit(void *ctx, int64_t ts, const char *username, const char *action,
                         const char *conversation, const char *ip, const char *detail)
{
    struct audit_seen *a = ctx;

    (void)ts;
    (void)username;
    (void)ip;
    (void)detail;
    snprintf(a->conversation, sizeof(a->conversation), "%s", conversation);
    if (!a->n)
        snprintf(a->first, sizeof(a->first), "%s", action);
    snprintf(a->last, sizeof(a->last), "%s", action);
    a->n++;
    return 0;
}

static void test_officers_and_audit(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_officer o, got;
    struct audit_seen seen = {0};
    char csrf[STORE_OFFICER_CSRF_MAX];
    unsigned by_user, by_ip;
    int64_t last;
    int n = 0;

    memset(&o, 0, sizeof(o));
    snprintf(o.username, sizeof(o.username), "%s", "lan");
    snprintf(o.name, sizeof(o.name), "%s", "Nguyễn Thị Lan");
    snprintf(o.role, sizeof(o.role), "%s", "officer");
    snprintf(o.unit, sizeof(o.unit), "%s", "00008");
    snprintf(o.hash, sizeof(o.hash), "%s", "scrypt$1");
    o.created = 100;
    assert_int_equal(store_officer_add(a, &o), 0);
    assert_int_equal(store_officer_add(a, &o), -EEXIST);
    snprintf(o.username, sizeof(o.username), "%s", "an");
    snprintf(o.role, sizeof(o.role), "%s", "admin");
    assert_int_equal(store_officer_add(a, &o), 0);
    memset(o.unit, 'x', sizeof(o.unit)); /* not NUL-terminated */
    assert_int_equal(store_officer_add(a, &o), -E2BIG);
    assert_int_equal(store_officer_session_add(a, "tok-1", "lan", "csrf-1", 100, 200), 0);
    assert_int_equal(store_commit(a), 0);

    /* logged in on one node, known on the other */
    assert_int_equal(store_officer_get(b, "lan", &got), 0);
    assert_string_equal(got.name, "Nguyễn Thị Lan");
    assert_string_equal(got.hash, "scrypt$1");
    assert_string_equal(got.unit, "00008");
    assert_int_equal(got.created, 100);
    assert_false(got.disabled);
    assert_int_equal(store_officer_get(b, "nobody", &got), -ENOENT);
    assert_int_equal(store_officer_list(b, count_officer, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(store_officer_session_get(b, "tok-1", 150, &got, csrf), 0);
    assert_string_equal(got.username, "lan");
    assert_string_equal(got.hash, "");
    assert_string_equal(csrf, "csrf-1");
    assert_int_equal(store_officer_session_get(b, "tok-1", 200, &got, csrf), -ENOENT); /* expired */
    /* a new password ends the sessions */
    assert_int_equal(store_officer_set_hash(b, "lan", "scrypt$2"), 0);
    assert_int_equal(store_officer_set_hash(b, "nobody", "scrypt$2"), -ENOENT);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(store_officer_session_get(a, "tok-1", 150, &got, csrf), -ENOENT);
    assert_int_equal(store_officer_session_add(a, "tok-2", "lan", "csrf-2", 100, 300), 0);
    assert_int_equal(store_officer_session_add(a, "tok-3", "an", "csrf-3", 100, 120), 0);
    assert_int_equal(store_officer_session_end(a, "tok-none", 130), 0); /* drops tok-3 too */
    assert_int_equal(store_officer_session_get(a, "tok-3", 110, &got, csrf), -ENOENT);
    assert_int_equal(store_officer_disable(a, "lan"), 0);
    assert_int_equal(store_officer_session_get(a, "tok-2", 150, &got, csrf), -ENOENT);
    assert_int_equal(store_officer_get(a, "lan", &got), 0);
    assert_true(got.disabled);

    assert_int_equal(store_audit_add(a, 10, "lan", "login_failed", NULL, "10.0.0.1", NULL), 0);
    assert_int_equal(store_audit_add(a, 20, "lan", "login_failed", NULL, "10.0.0.2", NULL), 0);
    assert_int_equal(store_audit_add(a, 30, "x", "login_failed", NULL, "10.0.0.1", NULL), 0);
    assert_int_equal(store_audit_add(a, 40, NULL, "logout", "7", NULL, "bye"), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_audit_failures(b, "lan", "10.0.0.1", 15, &by_user, &by_ip, &last), 0);
    assert_int_equal(by_user, 1);
    assert_int_equal(by_ip, 1);
    assert_int_equal(last, 30);
    assert_int_equal(store_audit_list(b, 3, collect_audit, &seen), 0);
    assert_int_equal(seen.n, 3); /* the last 3, oldest first */
    assert_string_equal(seen.first, "login_failed");
    assert_string_equal(seen.last, "logout");
    store_free(a);
    store_free(b);
}

static int collect_phrase(void *ctx, const struct store_phrase *p)
{
    struct seen *s = ctx;

    if (s->n < 4)
        snprintf(s->text[s->n], sizeof(s->text[0]), "%s=%s", p->text, p->label);
    s->n++;
    return 0;
}

static void test_taught_phrases(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    char label[STORE_PHRASE_LABEL_MAX], big[STORE_PHRASE_TEXT_MAX + 2];
    int64_t id1, id2, rev, seen_rev;
    struct seen s = {0};

    assert_int_equal(store_phrase_rev(b, &seen_rev), 0);
    assert_int_equal(seen_rev, 0);
    assert_int_equal(store_phrase_add(a, "làm lại căn cước", "cccd", "an", 10, &id1, &rev), 0);
    assert_int_equal(rev, 1);
    assert_int_equal(store_phrase_add(a, "đăng ký kết hôn", "ket_hon", "an", 11, &id2, &rev), 0);
    assert_int_equal(rev, 2);
    assert_true(id2 > id1);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(store_phrase_add(a, big, "cccd", "an", 12, &id2, &rev), -E2BIG);
    assert_int_equal(store_commit(a), 0);
    /* taught on one node: the other sees the new revision, then the phrases */
    assert_int_equal(store_phrase_rev(b, &seen_rev), 0);
    assert_int_equal(seen_rev, 2);
    assert_int_equal(store_phrase_list(b, collect_phrase, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.text[0], "làm lại căn cước=cccd");
    assert_int_equal(store_phrase_delete(b, id1, label, &rev), 0);
    assert_string_equal(label, "cccd");
    assert_int_equal(rev, 3);
    assert_int_equal(store_phrase_delete(b, id1, label, &rev), -ENOENT);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(store_phrase_rev(a, &seen_rev), 0);
    assert_int_equal(seen_rev, 3);
    store_free(a);
    store_free(b);
}

struct local_seen {
    int n;
    char last[96];
};

static int collect_local(void *ctx, const struct store_local_row *r)
{
    struct local_seen *l = ctx;

    snprintf(l->last, sizeof(l->last), "%s/%s=%s by %s%s%s", r->key, r->field, r->value, r->officer,
             r->status ? " " : "", r->status ? r->status : "");
    l->n++;
    return 0;
}

static void test_commune_data(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct local_seen l = {0};
    int64_t rev, id1, id2;

    assert_int_equal(store_local_rev(b, &rev), 0);
    assert_int_equal(rev, 0);
    assert_int_equal(store_office_set(a, "00008", "phone", "\"024 1\"", "an", 10), 0);
    assert_int_equal(store_office_set(a, "00008", "phone", "\"024 2\"", "lan", 11), 0);
    assert_int_equal(store_office_unset(a, "00008", "hours"), -ENOENT);
    assert_int_equal(store_guide_local_set(a, "cccd", "fee_note", "miễn phí", "an", 12), 0);
    assert_int_equal(store_guide_local_set(a, "cccd", "time_note", NULL, "an", 12), -ENOENT);
    assert_int_equal(store_guide_note_add(a, "cccd", "steps[0]", "wrong", "sai", "an", 13, &id1),
                     0);
    assert_int_equal(
        store_guide_note_add(a, "ket_hon", "fee", "confirmed", "đúng", "lan", 14, &id2), 0);
    assert_true(id2 > id1);
    assert_int_equal(store_commit(a), 0);
    /* changed on one node: the other sees the revision move and the rows */
    assert_int_equal(store_local_rev(b, &rev), 0);
    assert_int_equal(rev, 3); /* three changes; officials' notes and no-ops bump nothing */
    assert_int_equal(store_office_each(b, collect_local, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.last, "00008/phone=\"024 2\" by lan");
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_guide_local_each(b, collect_local, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.last, "cccd/fee_note=miễn phí by an");
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_guide_notes(b, NULL, 0, collect_local, &l), 0);
    assert_int_equal(l.n, 2); /* newest first: the last is the oldest */
    assert_string_equal(l.last, "cccd/steps[0]=sai by an wrong");
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_guide_notes(b, "ket_hon", 5, collect_local, &l), 0);
    assert_int_equal(l.n, 1);
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_guide_notes(b, NULL, 1, collect_local, &l), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(store_office_unset(b, "00008", "phone"), 0);
    assert_int_equal(store_guide_local_set(b, "cccd", "fee_note", NULL, "an", 15), 0);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(store_local_rev(a, &rev), 0);
    assert_int_equal(rev, 5);
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_office_each(a, collect_local, &l), 0);
    assert_int_equal(l.n, 0);
    store_free(a);
    store_free(b);
}

static void test_privacy_keys(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    unsigned char ka[STORE_ID_KEY_LEN], kb[STORE_ID_KEY_LEN];
    struct session s, back;
    char *o;

    memset(&s, 0, sizeof(s)); /* written in clear, before any key (an old database) */
    snprintf(s.token, sizeof(s.token), "%s", "t-zalo-9");
    snprintf(s.channel, sizeof(s.channel), "%s", "zalo");
    snprintf(s.user_key, sizeof(s.user_key), "%s", "u-9");
    s.last_seen = 100;
    assert_int_equal(store_session_insert(a, &s), 0);
    assert_int_equal(store_options_put(a, "zalo", "u-9", "[1]"), 0);
    assert_int_equal(store_commit(a), 0);
    /* one key for every node: the first creates it */
    assert_int_equal(store_privacy_db_key(a, ka), 0);
    assert_int_equal(store_privacy_db_key(b, kb), 0);
    assert_memory_equal(ka, kb, sizeof ka);
    assert_int_equal(store_privacy_set_key(b, kb, sizeof kb - 1), -EINVAL);
    assert_int_equal(store_privacy_set_key(b, kb, sizeof kb), 0); /* rewrites the clear ids */
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(store_session_by_user(b, "zalo", "u-9", &back), 0);
    assert_int_equal(back.id, s.id);
    assert_string_equal(back.user_key, "u-9"); /* in memory the clear id */
    session_fini(&back);
    o = store_options_get(b, "zalo", "u-9");
    assert_non_null(o);
    assert_string_equal(o, "[1]");
    free(o);
    /* a keyless handle no longer finds the clear id: it is not stored any more */
    assert_int_equal(store_session_by_user(a, "zalo", "u-9", &back), -ENOENT);
    assert_null(store_options_get(a, "zalo", "u-9"));
    store_free(a);
    store_free(b);
}

static int count_turn(void *ctx, const char *role, const char *text, int64_t ts, const char *msg_id)
{
    (void)role;
    (void)text;
    (void)ts;
    (void)msg_id;
    (*(int *)ctx)++;
    return 0;
}

static void test_forget_session(void **state)
{
    struct store *st = store_case_open(state);
    struct session s, keep, back;
    struct session_turn t[1];
    struct audit_seen seen = {0};
    char conv[24];
    int turns = 0;

    memset(&s, 0, sizeof(s));
    snprintf(s.token, sizeof(s.token), "%s", "t-forget");
    snprintf(s.channel, sizeof(s.channel), "%s", "zalo");
    snprintf(s.user_key, sizeof(s.user_key), "%s", "u-gone");
    s.last_seen = 100;
    assert_int_equal(store_session_insert(st, &s), 0);
    s.state = strdup("{}");
    memset(t, 0, sizeof(t));
    t[0].role = "user";
    t[0].text = "tôi tên là ...";
    assert_int_equal(store_turn_save(st, &s, t, 1), 0);
    assert_int_equal(store_options_put(st, "zalo", "u-gone", "[1]"), 0);
    assert_int_equal(store_outbox_add(st, "zalo", "u-gone", "{}", 1), 0);
    assert_int_equal(store_outbox_add(st, "zalo", "u-stays", "{}", 1), 0);
    snprintf(conv, sizeof(conv), "%lld", (long long)s.id);
    assert_int_equal(store_audit_add(st, 5, "lan", "reply", conv, NULL, NULL), 0);
    assert_int_equal(session_create(st, "web", &keep), 0);
    assert_int_equal(store_commit(st), 0);

    assert_int_equal(store_privacy_forget(st, s.id, "u-gone"), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_session_by_token(st, "t-forget", &back), -ENOENT);
    assert_int_equal(store_history(st, s.id, 10, count_turn, &turns), 0);
    assert_int_equal(turns, 0);
    assert_null(store_options_get(st, "zalo", "u-gone"));
    assert_int_equal(store_outbox_pending(st), 1); /* another citizen's reply stays */
    assert_int_equal(store_audit_list(st, 10, collect_audit, &seen), 0);
    assert_int_equal(seen.n, 1); /* the officer's action stays, not whose conversation */
    assert_string_equal(seen.conversation, "");
    assert_int_equal(session_load_token(st, keep.token, &back), 0); /* others untouched */
    session_fini(&back);
    assert_int_equal(store_privacy_forget(st, s.id, "u-gone"), 0); /* nothing left: still 0 */
    assert_int_equal(store_commit(st), 0);
    session_fini(&s);
    session_fini(&keep);
    store_free(st);
}

/* Every function of store.h exists on both back-ends: the server starts on
 * either (store_require_complete() is what it asks at start). */
static void test_completeness(void **state)
{
    struct store *st = store_case_open(state);
    struct mc_err e = {{0}};

    assert_int_equal(store_require_complete(st, &e), 0);
    assert_string_equal(e.text, "");
    assert_false(store_in_batch(st));
    store_free(st);
}

#define CASES(b)                                                                                   \
    {                                                                                              \
        STORE_CASE(test_officers_and_audit, b), STORE_CASE(test_taught_phrases, b),                \
            STORE_CASE(test_commune_data, b), STORE_CASE(test_privacy_keys, b),                    \
            STORE_CASE(test_forget_session, b), STORE_CASE(test_completeness, b),                  \
    }

int main(void)
{
    const struct CMUnitTest on_sqlite[] = CASES(&sqlite_backend);
    const struct CMUnitTest on_postgresql[] = CASES(&pg_backend);
    return store_contract_run("store contract admin", on_sqlite, on_postgresql);
}
