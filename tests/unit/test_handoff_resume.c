/* tests/unit/test_handoff_resume.c - a resumed hello's reads together
 * (docs/scaling.md "A session's first read"), on each back-end
 * (fixture_pg.h; in make test-pg's list, on its cluster).
 * store_session_resume(): the same session, turns, handoff messages with the
 * officers' names, and handoff state as the separate reads, with and without
 * a handoff, in or out of a batch; an unknown token -ENOENT; PostgreSQL: one
 * round trip. handoff_resume(), the welcome's parts: the history (turns with
 * the handoff messages merged by time, the newest session_history_max kept)
 * and the "handoff" object are, JSON for JSON, what the separate reads built
 * (session_load_token(), session_history(), and the handoff's messages and
 * state read alone: ref_history() and ref_state_json() below, the product's
 * code before the resume, kept here as the reference), for a conversation an officer holds and
 * wrote in, one waiting, one never handed off, and with handoff.enabled off; an unknown or
 * malformed token is -ENOENT. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cfg.h"
#include "fixture_pg.h"
#include "gw.h"
#include "handoff.h"
#include "handoff_int.h"
#include "handoff_resume.h"
#include "session.h"
#include "store.h"

static uint64_t round_trips(const struct store *st)
{
    struct store_stats s;

    store_get_stats(st, &s);
    return s.round_trips;
}

/* ---- a resumed session's reads together (store_session_resume()) -------- */

/* What the reads gave, as text: turns and handoff messages in order. */
struct resume_seen {
    struct store *st; /* for the separate reads: the officers' names */
    char turns[1024];
    char msgs[1024];
};

static int seen_turn(void *ctx, const char *role, const char *text, int64_t ts, const char *msg_id)
{
    struct resume_seen *x = ctx;
    size_t n = strlen(x->turns);

    snprintf(x->turns + n, sizeof(x->turns) - n, "%s|%s|%lld|%s;", role, text, (long long)ts,
             msg_id ? msg_id : "(null)");
    return 0;
}

static int seen_msg(void *ctx, int64_t id, const char *from, const char *officer,
                    const char *officer_name, const char *text, int64_t ts_ms)
{
    struct resume_seen *x = ctx;
    size_t n = strlen(x->msgs);

    snprintf(x->msgs + n, sizeof(x->msgs) - n, "%lld|%s|%s|%s|%s|%lld;", (long long)id, from,
             officer, officer_name, text, (long long)ts_ms);
    return 0;
}

/* store_handoff_messages()'s callback for the separate reads: the name
 * looked up as handoff.c did (store_officer_get(), "" when unknown). */
static int seen_msg_alone(void *ctx, int64_t id, const char *from, const char *officer,
                          const char *text, int64_t ts_ms)
{
    struct resume_seen *x = ctx;
    struct store_officer o;

    if (!officer[0] || store_officer_get(x->st, officer, &o))
        o.name[0] = '\0';
    return seen_msg(ctx, id, from, officer, o.name, text, ts_ms);
}

/* Reads token both ways on st and checks they agree; returns the combined
 * read's handoff state (into out) and its round trips. */
static uint64_t resume_both(struct store *st, const char *token, struct store_resume *out,
                            struct resume_seen *x)
{
    struct resume_seen alone = {.st = st};
    struct store_handoff h;
    struct store_officer o;
    struct session s;
    uint64_t before = round_trips(st), trips;

    memset(x, 0, sizeof(*x));
    assert_int_equal(store_session_resume(st, token, 3, 200, seen_turn, seen_msg, x, out), 0);
    trips = round_trips(st) - before;
    assert_int_equal(store_session_by_token(st, token, &s), 0);
    assert_int_equal(s.id, out->session.id);
    assert_string_equal(s.token, out->session.token);
    assert_string_equal(s.channel, out->session.channel);
    assert_string_equal(s.user_key, out->session.user_key);
    assert_int_equal(s.last_seen, out->session.last_seen);
    assert_int_equal(s.version, out->session.version);
    assert_string_equal(s.state, out->session.state);
    assert_true(out->session.resumed);
    assert_int_equal(store_history(st, s.id, 3, seen_turn, &alone), 0);
    assert_int_equal(store_handoff_messages(st, s.id, 0, 200, seen_msg_alone, &alone), 0);
    assert_string_equal(x->turns, alone.turns);
    assert_string_equal(x->msgs, alone.msgs);
    assert_int_equal(store_handoff_get(st, s.id, &h), 0);
    assert_string_equal(out->handoff, h.state);
    if (strcmp(h.state, "officer") != 0 || store_officer_get(st, h.officer, &o))
        o.name[0] = '\0';
    assert_string_equal(out->officer_name, o.name);
    session_fini(&s);
    return trips;
}

static void test_resume_together(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_officer lan = {.username = "lan",
                                .name = "Nguyễn Thị Lan",
                                .role = "officer",
                                .hash = "scrypt$x",
                                .created = 1};
    struct session s1, s2, s3;
    struct session_turn t[2];
    struct store_handoff h = {0};
    struct store_resume r;
    struct resume_seen x;
    char id[16];
    int i;

    assert_int_equal(store_officer_add(a, &lan), 0);
    assert_int_equal(session_create(a, "web", &s1), 0);
    assert_int_equal(session_create(a, "kiosk", &s2), 0);
    assert_int_equal(session_create(a, "web", &s3), 0);
    assert_int_equal(store_commit(a), 0);
    for (i = 0; i < 3; i++) { /* 6 records each: the last 3 are read */
        snprintf(id, sizeof id, "m-%d", i);
        fixture_two_records(t, id, i == 2 ? "{\"messages\":[]}" : "{}");
        assert_int_equal(session_save_turn(a, &s1, t, 2), 0);
        assert_int_equal(session_save_turn(a, &s2, t, 2), 0);
        assert_int_equal(store_commit(a), 0);
    }
    /* s1 held by an officer, with the citizen's, the officer's and the bot's messages */
    h.session_id = s1.id;
    snprintf(h.channel, sizeof h.channel, "web");
    assert_int_equal(store_handoff_request(a, &h, 100), 0);
    assert_int_equal(store_handoff_message_add(a, s1.id, "system", NULL, "Đang chờ", 100100, NULL),
                     0);
    assert_int_equal(store_handoff_claim(a, s1.id, "lan", 101), 0);
    assert_int_equal(store_handoff_citizen_add(a, s1.id, "cho tôi hỏi", "c-1", 101500, NULL), 0);
    assert_int_equal(
        store_handoff_message_add(a, s1.id, "officer", "lan", "Chào anh", 101600, NULL), 0);
    /* s3 waiting: no officer's name */
    h.session_id = s3.id;
    assert_int_equal(store_handoff_request(a, &h, 102), 0);
    assert_int_equal(store_commit(a), 0);

    /* another handle (node): the same as the separate reads, in one round trip */
    assert_int_equal(resume_both(b, s1.token, &r, &x), on_pg(state) ? 1 : 0);
    assert_string_equal(r.handoff, "officer");
    assert_string_equal(r.officer_name, "Nguyễn Thị Lan");
    assert_non_null(strstr(x.turns, "bot|{\"messages\":[]}|"));
    assert_null(strstr(x.turns, "m-0")); /* the last 3 records only */
    assert_non_null(strstr(x.msgs, "|officer|lan|Nguyễn Thị Lan|Chào anh|101600;"));
    assert_non_null(strstr(x.msgs, "|citizen|||cho tôi hỏi|101500;"));
    assert_int_equal(r.session.id, s1.id);
    session_fini(&r.session);
    assert_int_equal(resume_both(b, s2.token, &r, &x), on_pg(state) ? 1 : 0);
    assert_string_equal(r.handoff, "bot"); /* never handed off */
    assert_string_equal(r.officer_name, "");
    assert_string_equal(x.msgs, "");
    assert_string_equal(r.session.channel, "kiosk");
    session_fini(&r.session);
    assert_int_equal(resume_both(b, s3.token, &r, &x), on_pg(state) ? 1 : 0);
    assert_string_equal(r.handoff, "pending");
    assert_string_equal(r.officer_name, "");
    assert_string_equal(x.turns, "");
    session_fini(&r.session);
    /* inside an open batch (its row locked, as store_session_by_token() there), with what the
     * batch queued: still one round trip */
    assert_int_equal(store_unit_begin(b), 0);
    assert_int_equal(store_unit_end(b, true), 0);
    assert_int_equal(resume_both(b, s1.token, &r, &x), on_pg(state) ? 1 : 0);
    session_fini(&r.session);
    assert_int_equal(store_commit(b), 0);
    /* without the handoff asked for: neither messages nor state */
    memset(&x, 0, sizeof x);
    assert_int_equal(store_session_resume(b, s1.token, 3, 200, seen_turn, NULL, &x, &r), 0);
    assert_string_equal(r.handoff, "bot");
    assert_string_equal(x.msgs, "");
    assert_true(x.turns[0] != '\0');
    session_fini(&r.session);
    /* an unknown token: -ENOENT, no callback */
    memset(&x, 0, sizeof x);
    assert_int_equal(store_session_resume(b, "0123456789abcdef0123456789abcdef", 3, 200, seen_turn,
                                          seen_msg, &x, &r),
                     -ENOENT);
    assert_string_equal(x.turns, "");
    assert_string_equal(x.msgs, "");
    session_fini(&s1);
    session_fini(&s2);
    session_fini(&s3);
    store_free(a);
    store_free(b);
}

/* ---- the same reads not waited for (store_session_resume_send()) -------- */

/* What one read's callbacks saw. */
struct async_seen {
    struct resume_seen x; /* first: the turn and message callbacks take it as theirs */
    int done;             /* times done was called */
    int rc;
    struct store_resume r;
};

static void seen_done(void *ctx, int rc, struct store_resume *r)
{
    struct async_seen *a = ctx;

    a->done++;
    a->rc = rc;
    if (rc == 0)
        a->r = *r; /* the session's state is ours now */
}

static const struct store_resume_cbs seen_cbs = {seen_turn, seen_msg, seen_done};

/* Polls st every 2 ms until a's read is answered (at most ~5 s: never a hang). */
static void poll_until_done(struct store *st, const struct async_seen *a)
{
    struct timespec ms2 = {0, 2000000};
    int i;

    for (i = 0; i < 2500 && !a->done; i++) {
        (void)store_session_resume_poll(st);
        if (!a->done)
            nanosleep(&ms2, NULL);
    }
    assert_int_equal(a->done, 1);
}

/* Polls st for about ms without expecting an answer. */
static void poll_for(struct store *st, int ms)
{
    struct timespec ms2 = {0, 2000000};
    int i;

    for (i = 0; i < ms / 2; i++) {
        (void)store_session_resume_poll(st);
        nanosleep(&ms2, NULL);
    }
}

static void test_resume_not_waited(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    struct store_officer lan = {.username = "lan",
                                .name = "Nguyễn Thị Lan",
                                .role = "officer",
                                .hash = "scrypt$x",
                                .created = 1};
    struct async_seen got, got2, gone;
    struct resume_seen want;
    struct store_resume r;
    struct store_handoff h = {0};
    struct session s1, s2;
    struct session_turn t[2];
    uint64_t id, id2, before;

    if (!on_pg(state)) { /* SQLite: a local file, the waited read (store_session_resume()) */
        assert_int_equal(store_session_resume_send(b, "0123456789abcdef0123456789abcdef", 3, 200,
                                                   &seen_cbs, &got, &id),
                         -ENOTSUP);
        assert_int_equal(store_session_resume_poll(b), 0);
        store_free(a);
        store_free(b);
        return;
    }
    assert_int_equal(store_officer_add(a, &lan), 0);
    assert_int_equal(session_create(a, "web", &s1), 0);
    assert_int_equal(session_create(a, "kiosk", &s2), 0);
    assert_int_equal(store_commit(a), 0);
    fixture_two_records(t, "m-1", "{}");
    assert_int_equal(session_save_turn(a, &s1, t, 2), 0);
    h.session_id = s1.id;
    snprintf(h.channel, sizeof h.channel, "web");
    assert_int_equal(store_handoff_request(a, &h, 100), 0);
    assert_int_equal(store_handoff_claim(a, s1.id, "lan", 101), 0);
    assert_int_equal(
        store_handoff_message_add(a, s1.id, "officer", "lan", "Chào anh", 101600, NULL), 0);
    assert_int_equal(store_commit(a), 0);

    /* another handle: the answer the waited read gives, by callback from a later poll, and
     * not one round trip of the batch's connections waited for */
    memset(&want, 0, sizeof want);
    assert_int_equal(store_session_resume(b, s1.token, 3, 200, seen_turn, seen_msg, &want, &r), 0);
    memset(&got, 0, sizeof got);
    before = round_trips(b);
    assert_int_equal(store_session_resume_send(b, s1.token, 3, 200, &seen_cbs, &got, &id), 0);
    assert_int_equal(got.done, 0); /* never from the call itself */
    poll_until_done(b, &got);
    assert_int_equal(round_trips(b), before);
    assert_int_equal(got.rc, 0);
    assert_string_equal(got.x.turns, want.turns);
    assert_string_equal(got.x.msgs, want.msgs);
    assert_non_null(strstr(got.x.msgs, "|officer|lan|Nguyễn Thị Lan|Chào anh|101600;"));
    assert_int_equal(got.r.session.id, r.session.id);
    assert_int_equal(got.r.session.version, r.session.version);
    assert_string_equal(got.r.session.state, r.session.state);
    assert_string_equal(got.r.handoff, "officer");
    assert_string_equal(got.r.officer_name, "Nguyễn Thị Lan");
    session_fini(&got.r.session);
    session_fini(&r.session);
    assert_int_equal(store_session_resume_poll(b), 0);

    /* the handle's own batch still open (a turn of s2 queued in it): the read waits for that
     * batch's commit, then sees the turn (the waited read in the batch saw it too) */
    fixture_two_records(t, "m-2", "{}");
    assert_int_equal(session_save_turn(b, &s2, t, 2), 0);
    assert_true(store_batch_ticket(b) > 0);
    memset(&got, 0, sizeof got);
    assert_int_equal(store_session_resume_send(b, s2.token, 3, 200, &seen_cbs, &got, &id), 0);
    poll_for(b, 100);
    assert_int_equal(got.done, 0);
    assert_true(store_session_resume_poll(b) > 0);
    assert_int_equal(store_commit(b), 0);
    poll_until_done(b, &got);
    assert_int_equal(got.rc, 0);
    assert_non_null(strstr(got.x.turns, "m-2"));
    assert_string_equal(got.r.handoff, "bot");
    session_fini(&got.r.session);

    /* a read cancelled is never answered: its ctx given back; two at once, in one segment,
     * an unknown token -ENOENT without a turn or message; turns only without msg */
    memset(&got, 0, sizeof got);
    memset(&got2, 0, sizeof got2);
    memset(&gone, 0, sizeof gone);
    assert_int_equal(store_session_resume_send(b, s1.token, 3, 200, &seen_cbs, &gone, &id), 0);
    assert_int_equal(store_session_resume_send(b, "0123456789abcdef0123456789abcdef", 3, 200,
                                               &seen_cbs, &got, &id2),
                     0);
    assert_ptr_equal(store_session_resume_cancel(b, id), &gone);
    assert_null(store_session_resume_cancel(b, id)); /* once */
    {
        static const struct store_resume_cbs turns_only = {seen_turn, NULL, seen_done};

        assert_int_equal(store_session_resume_send(b, s1.token, 3, 200, &turns_only, &got2, &id),
                         0);
    }
    poll_until_done(b, &got);
    poll_until_done(b, &got2);
    poll_for(b, 20);
    assert_int_equal(gone.done, 0);
    assert_int_equal(got.rc, -ENOENT);
    assert_string_equal(got.x.turns, "");
    assert_int_equal(got2.rc, 0);
    assert_string_equal(got2.x.msgs, "");
    assert_string_equal(got2.r.handoff, "bot");
    assert_non_null(strstr(got2.x.turns, "m-1"));
    session_fini(&got2.r.session);

    /* the connection lost under the read: answered -EIO, never left waiting; the next read
     * reconnects (after STORE_PG_RETRY_MS at most) */
    fixture_raw(true, "DO $$ BEGIN PERFORM pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid(); END $$");
    memset(&got, 0, sizeof got);
    assert_int_equal(store_session_resume_send(b, s1.token, 3, 200, &seen_cbs, &got, &id), 0);
    poll_until_done(b, &got);
    assert_int_equal(got.rc, -EIO);
    assert_int_equal(store_session_resume_poll(b), 0);
    {
        struct timespec wait = {1, 100000000}; /* past STORE_PG_RETRY_MS */

        nanosleep(&wait, NULL);
    }
    memset(&got, 0, sizeof got);
    assert_int_equal(store_session_resume_send(b, s1.token, 3, 200, &seen_cbs, &got, &id), 0);
    poll_until_done(b, &got);
    assert_int_equal(got.rc, 0);
    session_fini(&got.r.session);
    session_fini(&s1);
    session_fini(&s2);
    store_free(a);
    store_free(b);
}

/* ---- the reference: the separate reads the resume replaced ----------- */

/* The handoff of session_id for the welcome, read alone (the product's
 * before store_session_resume()): {"state","officer"} or NULL. */
static json_t *ref_state_json(struct gw *gw, int64_t session_id)
{
    struct store_handoff h;
    struct store_officer o;
    bool held;

    if (store_handoff_get(gw->store, session_id, &h) ||
        (strcmp(h.state, "pending") != 0 && strcmp(h.state, "officer") != 0))
        return NULL;
    held = strcmp(h.state, "officer") == 0;
    if (held && store_officer_get(gw->store, h.officer, &o))
        o.name[0] = '\0';
    return handoff_state_build(h.state, held ? o.name : "");
}

/* The handoff messages of session_id merged into history, read alone (the
 * product's before store_session_resume()), officers' names looked up. */
#define HANDOFF_NAMES 4 /* officers' display names looked up once per welcome */

struct history_ctx {
    struct gw *gw;
    json_t *items; /* new array of {"ms", "item"} in time order */
    struct {
        char user[STORE_OFFICER_USER_MAX];
        char name[STORE_OFFICER_NAME_MAX];
    } names[HANDOFF_NAMES];
    size_t n_names;
};

static const char *officer_display(struct history_ctx *x, const char *user)
{
    struct store_officer o;
    size_t i;

    for (i = 0; i < x->n_names; i++)
        if (strcmp(x->names[i].user, user) == 0)
            return x->names[i].name;
    if (!user[0] || store_officer_get(x->gw->store, user, &o))
        return "";
    i = x->n_names < HANDOFF_NAMES ? x->n_names++ : HANDOFF_NAMES - 1;
    snprintf(x->names[i].user, sizeof(x->names[i].user), "%s", user);
    snprintf(x->names[i].name, sizeof(x->names[i].name), "%s", o.name);
    return x->names[i].name;
}

/* One handoff message as the welcome's history shows it: the citizen's as
 * "user", an officer's as "officer" (docs/api.md), what the bot said about
 * the handoff as a bot reply. */
static int history_msg(void *ctx, int64_t id, const char *from, const char *officer,
                       const char *text, int64_t ts_ms)
{
    struct history_ctx *x = ctx;

    (void)id;
    return handoff_history_item(x->items, from,
                                strcmp(from, "officer") == 0 ? officer_display(x, officer) : "",
                                text, ts_ms);
}

static int ref_history(struct gw *gw, int64_t session_id, json_t *history, unsigned max)
{
    struct history_ctx x = {.gw = gw};
    int rc;

    x.items = json_array();
    if (!x.items)
        return -ENOMEM;
    rc = store_handoff_messages(gw->store, session_id, 0, HANDOFF_HISTORY_LOAD, history_msg, &x);
    if (!rc)
        rc = handoff_history_merge(history, x.items, max);
    json_decref(x.items);
    return rc;
}

/* The welcome's parts the old way: the separate reads, one after the other. */
static void separately(struct gw *gw, const char *token, json_t **history, json_t **handoff)
{
    struct session s;

    assert_int_equal(session_load_token(gw->store, token, &s), 0);
    *history = session_history(gw->store, &s, gw->cfg->session_history_max);
    assert_non_null(*history);
    *handoff = NULL;
    if (gw->cfg->handoff_enabled) {
        assert_int_equal(ref_history(gw, s.id, *history, gw->cfg->session_history_max), 0);
        *handoff = ref_state_json(gw, s.id);
    }
    session_fini(&s);
}

/* What handoff_resume_send()'s done was given. */
struct async_welcome {
    int done;
    int rc;
    struct session s;
    json_t *history, *handoff;
};

static void welcome_done(struct gw *gw, void *ctx, int rc, struct session *s, json_t *history,
                         json_t *handoff)
{
    struct async_welcome *w = ctx;

    (void)gw;
    w->done++;
    w->rc = rc;
    w->s = *s;
    w->history = history;
    w->handoff = handoff;
}

/* The welcome's parts from the reads not waited for (PostgreSQL), compared
 * with h1 and o1; SQLite: -ENOTSUP, read waiting instead. */
static void same_not_waited(struct gw *gw, const struct session *want, const json_t *h1,
                            const json_t *o1, const char *why)
{
    struct async_welcome w = {0};
    struct timespec ms2 = {0, 2000000};
    uint64_t id;
    int i, rc = handoff_resume_send(gw, want->token, welcome_done, &w, &id);

    if (rc == -ENOTSUP)
        return;
    assert_int_equal(rc, 0);
    for (i = 0; i < 2500 && !w.done; i++) {
        (void)store_session_resume_poll(gw->store);
        if (!w.done)
            nanosleep(&ms2, NULL);
    }
    assert_int_equal(w.done, 1);
    assert_int_equal(w.rc, 0);
    assert_int_equal(w.s.id, want->id);
    assert_true(w.s.resumed);
    if (!json_equal(h1, w.history) || (o1 || w.handoff) != (o1 && w.handoff) ||
        (o1 && !json_equal(o1, w.handoff))) {
        fprintf(stderr, "%s: the welcome from the reads not waited for differs\n", why);
        fail();
    }
    session_fini(&w.s);
    json_decref(w.history);
    json_decref(w.handoff);
}

/* handoff_resume() gives the same session and JSON as separately(), and so
 * do the same reads not waited for (handoff_resume_send(), PostgreSQL). */
static void same(struct gw *gw, const struct session *want, const char *why)
{
    json_t *h1, *o1, *h2 = NULL, *o2 = NULL;
    struct session s;

    separately(gw, want->token, &h1, &o1);
    assert_int_equal(handoff_resume(gw, want->token, &s, &h2, &o2), 0);
    assert_int_equal(s.id, want->id);
    assert_string_equal(s.channel, want->channel);
    assert_true(s.resumed);
    if (!json_equal(h1, h2) || (o1 || o2) != (o1 && o2) || (o1 && !json_equal(o1, o2))) {
        char *a = json_dumps(h1, JSON_COMPACT), *b = json_dumps(h2, JSON_COMPACT);

        fprintf(stderr, "%s: history\n  separately %s\n  together   %s\n", why, a, b);
        free(a);
        free(b);
        fail();
    }
    same_not_waited(gw, want, h1, o1, why);
    session_fini(&s);
    json_decref(h1);
    json_decref(h2);
    json_decref(o1);
    json_decref(o2);
}

static void save(struct store *st, struct session *s, const char *msg_id)
{
    struct session_turn t[2];

    fixture_two_records(t, msg_id, "{\"messages\":[{\"text\":\"Chào bạn\"}],\"quick_replies\":[]}");
    assert_int_equal(session_save_turn(st, s, t, 2), 0);
    assert_int_equal(store_commit(st), 0);
}

static void test_welcome_the_same(void **state)
{
    struct store *st = store_case_open(state);
    struct mc_config cfg;
    struct gw gw;
    struct store_officer lan = {.username = "lan",
                                .name = "Nguyễn Thị Lan",
                                .role = "officer",
                                .hash = "scrypt$x",
                                .created = 1};
    struct store_handoff h = {0};
    struct session held, waiting, plain;
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    json_t *history, *handoff;
    struct session s;

    memset(&cfg, 0, sizeof cfg);
    memset(&gw, 0, sizeof gw);
    cfg.session_history_max = 5;
    cfg.handoff_enabled = 1;
    gw.cfg = &cfg;
    gw.store = st;
    assert_int_equal(store_officer_add(st, &lan), 0);
    assert_int_equal(session_create(st, "web", &held), 0);
    assert_int_equal(session_create(st, "kiosk", &waiting), 0);
    assert_int_equal(session_create(st, "web", &plain), 0);
    assert_int_equal(store_commit(st), 0);
    save(st, &held, "m-1");
    save(st, &held, "m-2");
    save(st, &plain, "m-3");
    /* held: the bot's note and the citizen's message before the turns, the officer's after
     * (merged by time; 4 turn records + 4 messages, the newest 5 kept) */
    h.session_id = held.id;
    snprintf(h.channel, sizeof h.channel, "web");
    assert_int_equal(store_handoff_request(st, &h, now_ms / 1000 - 20), 0);
    assert_int_equal(
        store_handoff_message_add(st, held.id, "system", NULL, "Đang chờ", now_ms - 20000, NULL),
        0);
    assert_int_equal(store_handoff_claim(st, held.id, "lan", now_ms / 1000 - 15), 0);
    assert_int_equal(
        store_handoff_citizen_add(st, held.id, "cho tôi hỏi", "c-1", now_ms - 15000, NULL), 0);
    assert_int_equal(
        store_handoff_message_add(st, held.id, "officer", "lan", "Chào anh", now_ms + 5000, NULL),
        0);
    assert_int_equal(
        store_handoff_message_add(st, held.id, "officer", "an", "Tôi là An", now_ms + 6000, NULL),
        0); /* no such officer: no name, as before */
    h.session_id = waiting.id;
    snprintf(h.channel, sizeof h.channel, "kiosk");
    assert_int_equal(store_handoff_request(st, &h, now_ms / 1000), 0);
    assert_int_equal(store_commit(st), 0);

    same(&gw, &held, "held by an officer");
    same(&gw, &waiting, "waiting");
    same(&gw, &plain, "never handed off");
    /* the held one's welcome: the officer's messages in it, the holder's name */
    assert_int_equal(handoff_resume(&gw, held.token, &s, &history, &handoff), 0);
    assert_int_equal(json_array_size(history), 5);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(history, 3), "officer"), "name")),
                        "Nguyễn Thị Lan");
    assert_string_equal(json_string_value(json_object_get(handoff, "state")), "officer");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(handoff, "officer"), "name")),
        "Nguyễn Thị Lan");
    session_fini(&s);
    json_decref(history);
    json_decref(handoff);
    cfg.handoff_enabled = 0; /* the turns only, no "handoff" */
    same(&gw, &held, "handoff off");
    assert_int_equal(handoff_resume(&gw, held.token, &s, &history, &handoff), 0);
    assert_null(handoff);
    assert_int_equal(json_array_size(history), 4);
    session_fini(&s);
    json_decref(history);
    /* unknown, malformed: -ENOENT, nothing to free */
    assert_int_equal(
        handoff_resume(&gw, "0123456789abcdef0123456789abcdef", &s, &history, &handoff), -ENOENT);
    assert_null(history);
    assert_int_equal(handoff_resume(&gw, "not-a-token", &s, &history, &handoff), -ENOENT);
    assert_null(history);
    session_fini(&held);
    session_fini(&waiting);
    session_fini(&plain);
    store_free(st);
}

int main(void)
{
    const struct CMUnitTest on_sqlite[] = {
        STORE_CASE(test_resume_together, &sqlite_backend),
        STORE_CASE(test_welcome_the_same, &sqlite_backend),
        STORE_CASE(test_resume_not_waited, &sqlite_backend),
    };
    const struct CMUnitTest on_postgresql[] = {
        STORE_CASE(test_resume_together, &pg_backend),
        STORE_CASE(test_welcome_the_same, &pg_backend),
        STORE_CASE(test_resume_not_waited, &pg_backend),
    };
    return store_contract_run("handoff resume", on_sqlite, on_postgresql);
}
