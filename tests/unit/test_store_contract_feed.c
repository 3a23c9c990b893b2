/* tests/unit/test_store_contract_feed.c - the feed's rows with what each
 * push needs (store_feed_read(); issue 18, docs/scaling.md "Cross-node
 * events"), on each back-end (fixture_pg.h): equal to the separate reads,
 * one round trip on PostgreSQL; not waited for there
 * (store_feed_read_send()): in order, only committed rows, a lost read
 * answered -EIO and read again whole.
 * (Split from test_store_contract_handoff.c: cases moved as they were.) */
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

/* ---- the feed's rows with what each push needs (store_feed_read()) ------ */

static uint64_t round_trips(const struct store *st)
{
    struct store_stats x;

    store_get_stats(st, &x);
    return x.round_trips;
}

/* Items as text, in order: what a push uses of each. */
struct items {
    char text[4096];
    unsigned n;
    int64_t last;
};

static void item_add(struct items *x, int64_t id, const char *kind, int64_t sid, int64_t mid,
                     const char *officer, int64_t ts, const struct store_handoff *h,
                     const char *name, const char *from, const char *text)
{
    size_t k = strlen(x->text);

    assert_true(id > x->last); /* oldest first, each once */
    x->last = id;
    x->n++;
    snprintf(x->text + k, sizeof(x->text) - k, "%lld|%s|%lld|%lld|%s|%lld|", (long long)id, kind,
             (long long)sid, (long long)mid, officer, (long long)ts);
    k = strlen(x->text);
    if (h)
        snprintf(x->text + k, sizeof(x->text) - k, "%lld,%s,%s,%s,%s,%s,%lld,%s,%lld,%lld|",
                 (long long)h->session_id, h->state, h->channel, h->user_key, h->procedure,
                 h->locality, (long long)h->waiting_since, h->officer, (long long)h->updated,
                 (long long)h->last_citizen_ms);
    else
        snprintf(x->text + k, sizeof(x->text) - k, "-|");
    k = strlen(x->text);
    snprintf(x->text + k, sizeof(x->text) - k, "%s|%s|%s;\n", name, from ? from : "-",
             text ? text : "-");
}

static int on_item(void *ctx, const struct store_feed_item *it)
{
    item_add(ctx, it->id, it->kind, it->session_id, it->message_id, it->officer, it->ts_ms,
             it->handoff, it->officer_name, it->from, it->text);
    return 0;
}

/* The separate reads gateway/feed.c made before store_feed_read(): the rows,
 * then per row the handoff, the officer's name and the message. */
struct sep_rows {
    int n;
    int64_t id[32], sid[32], mid[32], ts[32];
    char kind[32][16], officer[32][32];
};

static int on_sep_row(void *ctx, int64_t id, const char *kind, int64_t session_id,
                      int64_t message_id, const char *officer, int64_t ts_ms)
{
    struct sep_rows *r = ctx;

    assert_true(r->n < 32);
    r->id[r->n] = id;
    r->sid[r->n] = session_id;
    r->mid[r->n] = message_id;
    r->ts[r->n] = ts_ms;
    snprintf(r->kind[r->n], sizeof(r->kind[0]), "%s", kind);
    snprintf(r->officer[r->n], sizeof(r->officer[0]), "%s", officer);
    r->n++;
    return 0;
}

static void separately(struct store *st, int64_t after, struct items *x)
{
    struct sep_rows r = {0};
    struct fixture_msgs m;
    struct store_handoff h;
    struct store_officer o;
    int i;

    assert_int_equal(store_feed_since(st, after, 32, on_sep_row, &r), 0);
    for (i = 0; i < r.n; i++) {
        bool msg = strcmp(r.kind[i], "message") == 0;

        memset(&m, 0, sizeof(m));
        assert_int_equal(store_handoff_get(st, r.sid[i], &h), 0);
        if (!r.officer[i][0] || store_officer_get(st, r.officer[i], &o))
            o.name[0] = '\0';
        if (msg)
            assert_int_equal(
                store_handoff_messages(st, r.sid[i], r.mid[i] - 1, 1, fixture_on_msg, &m), 0);
        msg = msg && m.n == 1 && m.ids[0] == r.mid[i];
        item_add(x, r.id[i], r.kind[i], r.sid[i], r.mid[i], r.officer[i], r.ts[i], &h, o.name,
                 msg ? m.from[0] : NULL, msg ? m.text[0] : NULL);
    }
}

/* Every kind of row: the officer known or not, messages of all three senders, one whose
 * message row is gone, one of a session never handed off. Returns the cursor before. */
static int64_t feed_rows(void **state, struct store *a, int64_t s1, int64_t s2, int64_t s3)
{
    struct store_officer lan = {.username = "lan",
                                .name = "Nguyễn Thị Lan",
                                .role = "officer",
                                .hash = "scrypt$x",
                                .created = 1};
    int64_t start, gone = 0;
    char sql[128];

    assert_int_equal(store_officer_add(a, &lan), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_feed_last(a, &start), 0);
    fixture_handoff_ask(a, s1, 100, 0);
    assert_int_equal(store_handoff_citizen_add(a, s1, "cho tôi hỏi", "m-1", 100500, NULL), 0);
    assert_int_equal(store_handoff_claim(a, s1, "lan", 101), 0);
    assert_int_equal(store_handoff_message_add(a, s1, "officer", "lan", "Chào anh", 101600, NULL),
                     0);
    assert_int_equal(store_handoff_message_add(a, s1, "system", NULL, "Đang chờ", 101700, &gone),
                     0);
    fixture_handoff_ask(a, s2, 102, 0);
    assert_int_equal(store_handoff_claim(a, s2, "an", 103), 0); /* no such officer: no name */
    assert_int_equal(store_handoff_end(a, s2, "an", "bot", 104), 0);
    assert_int_equal(store_handoff_end(a, s1, "lan", "closed", 105), 0);
    assert_int_equal(store_handoff_message_add(a, s3, "system", NULL, "Xin chào", 106000, NULL), 0);
    assert_int_equal(store_commit(a), 0);
    snprintf(sql, sizeof(sql), "DELETE FROM handoff_message WHERE id = %lld", (long long)gone);
    fixture_raw(on_pg(state), sql);
    return start;
}

/* The end of the line of text holding key: from its last-but-two '|' on. */
static const char *line_end(const char *text, const char *key)
{
    static char out[256];
    const char *at = strstr(text, key), *nl;
    size_t n;
    int bars = 0;

    assert_non_null(at);
    nl = strchr(at, '\n');
    assert_non_null(nl);
    n = (size_t)(nl - at);
    while (n > 0 && bars < 3)
        bars += at[--n] == '|';
    assert_int_equal(bars, 3);
    snprintf(out, sizeof(out), "%.*s", (int)(nl - at - n), at + n);
    return out;
}

static void test_feed_read_joined(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    int64_t s1 = fixture_session_row(a, "t-j1", 1), s2 = fixture_session_row(a, "t-j2", 1);
    int64_t s3 = fixture_session_row(a, "t-j3", 1), start = feed_rows(state, a, s1, s2, s3);
    struct items want = {0}, got = {0}, part = {0};
    uint64_t t0, t1, t2;

    t0 = round_trips(b);
    separately(b, start, &want);
    t1 = round_trips(b);
    assert_int_equal(store_feed_read(b, start, 100, on_item, &got), 0);
    t2 = round_trips(b);
    assert_int_equal(got.n, 10);
    assert_string_equal(got.text, want.text);
    /* what each push needs is there: the name, the texts, none for the gone message, the
     * never handed off session read as "bot" */
    assert_non_null(strstr(got.text, "|claimed|"));
    assert_non_null(strstr(got.text, "|Nguyễn Thị Lan|officer|Chào anh;"));
    assert_non_null(strstr(got.text, "||citizen|cho tôi hỏi;"));
    assert_string_equal(line_end(got.text, "|101700|"), "||-|-;");          /* its message gone */
    assert_string_equal(line_end(got.text, "|an|103000|"), "||-|-;");       /* no such officer */
    assert_non_null(strstr(got.text, ",bot,,,,,0,,0,0||system|Xin chào;")); /* never asked */
    fprintf(stderr, "feed read %s: %u rows, round trips separate=%llu joined=%llu\n",
            on_pg(state) ? "postgresql" : "sqlite", got.n, (unsigned long long)(t1 - t0),
            (unsigned long long)(t2 - t1));
    if (on_pg(state))
        assert_int_equal(t2 - t1, 1);
    /* at most max, from a cursor: the same rows in two reads */
    assert_int_equal(store_feed_read(b, start, 4, on_item, &part), 0);
    assert_int_equal(part.n, 4);
    assert_int_equal(store_feed_read(b, part.last, 100, on_item, &part), 0);
    assert_string_equal(part.text, want.text);
    store_free(a);
    store_free(b);
}

/* ---- the same read not waited for (store_feed_read_send()) -------------- */

struct feed_async {
    struct items x; /* first: the row callback takes it as its own */
    int done, rc;
    unsigned rows;
};

static void feed_async_done(void *ctx, int rc, unsigned rows)
{
    struct feed_async *a = ctx;

    a->done++;
    a->rc = rc;
    a->rows = rows;
}

static const struct store_feed_cbs feed_async_cbs = {on_item, feed_async_done};

/* Polls st every 2 ms until a is answered (at most ~5 s: never a hang). */
static void feed_poll_done(struct store *st, const struct feed_async *a)
{
    int i;

    for (i = 0; i < 2500 && !a->done; i++) {
        (void)store_session_resume_poll(st);
        if (!a->done)
            fixture_pause_ms(2);
    }
    assert_int_equal(a->done, 1);
}

/* Sends a read of the rows after *last on st, waits for its answer, moves *last. */
static void feed_async_read(struct store *st, int64_t *last, struct feed_async *a)
{
    uint64_t id;

    memset(a, 0, sizeof(*a));
    a->x.last = *last;
    assert_int_equal(store_feed_read_send(st, *last, 100, &feed_async_cbs, a, &id), 0);
    assert_int_equal(a->done, 0); /* never from the call itself */
    feed_poll_done(st, a);
    if (a->rc == 0)
        *last = a->x.last;
}

static void test_feed_read_not_waited(void **state)
{
    struct store *a = store_case_open(state), *b = store_case_open(state);
    int64_t s1 = fixture_session_row(a, "t-w1", 1), s2 = fixture_session_row(a, "t-w2", 1);
    int64_t s3 = fixture_session_row(a, "t-w3", 1), s4 = fixture_session_row(a, "t-w4", 1);
    int64_t start = feed_rows(state, a, s1, s2, s3), last;
    struct items want = {0}, both = {0};
    struct feed_async got, lost;
    uint64_t id, before;

    if (!on_pg(state)) { /* SQLite: a local file, the waited read (store_feed_read()) */
        assert_int_equal(store_feed_read_send(b, start, 100, &feed_async_cbs, &got, &id), -ENOTSUP);
        store_free(a);
        store_free(b);
        return;
    }
    /* the waited read's rows, by callback from a later poll, no round trip of the batch's
     * connections waited for */
    assert_int_equal(store_feed_read(b, start, 100, on_item, &want), 0);
    before = round_trips(b);
    last = start;
    feed_async_read(b, &last, &got);
    assert_int_equal(round_trips(b), before);
    assert_int_equal(got.rc, 0);
    assert_int_equal(got.rows, 10);
    assert_string_equal(got.x.text, want.text);
    assert_int_equal(store_session_resume_poll(b), 0);

    /* two notifications' rows, each read from where the last answer left the cursor: in
     * order, each once, each as the waited read gives it then */
    fixture_handoff_ask(a, s4, 200, 0);
    assert_int_equal(store_commit(a), 0);
    feed_async_read(b, &last, &got);
    assert_int_equal(got.rows, 1);
    memset(&want, 0, sizeof(want));
    assert_int_equal(store_feed_read(b, start + 10, 100, on_item, &want), 0);
    assert_string_equal(got.x.text, want.text);
    both.last = start + 10;
    assert_int_equal(store_feed_read(b, start + 10, 100, on_item, &both), 0);
    assert_int_equal(store_handoff_citizen_add(a, s4, "còn đó không", NULL, 200500, NULL), 0);
    assert_int_equal(store_handoff_claim(a, s4, "lan", 201), 0);
    assert_int_equal(store_commit(a), 0);
    feed_async_read(b, &last, &got);
    assert_int_equal(got.rows, 2);
    memset(&want, 0, sizeof(want));
    assert_int_equal(store_feed_read(b, start + 11, 100, on_item, &want), 0);
    assert_string_equal(got.x.text, want.text);
    assert_int_equal(store_feed_read(b, both.last, 100, on_item, &both), 0); /* ids increase */
    assert_int_equal(both.n, 3);
    {
        const char *p = strstr(both.text, "|pending|"),
                   *m = strstr(both.text, "||citizen|còn đó không;"),
                   *c = strstr(both.text, "|claimed|");

        assert_true(p && m && c && p < m && m < c);
    }
    assert_int_equal(last, start + 13);

    /* a row of the handle's own batch, still open: not read (only committed rows), and
     * read once that batch has committed */
    assert_int_equal(store_handoff_end(b, s4, "lan", "closed", 202), 0);
    assert_true(store_batch_ticket(b) > 0);
    feed_async_read(b, &last, &got);
    assert_int_equal(got.rc, 0);
    assert_int_equal(got.rows, 0);
    assert_int_equal(store_commit(b), 0);
    feed_async_read(b, &last, &got);
    assert_int_equal(got.rows, 1);
    assert_non_null(strstr(got.x.text, "|closed|"));

    /* the connection lost under a read: answered -EIO with no row, the cursor where it was;
     * the next read (reconnected after STORE_PG_RETRY_MS) gives every row once */
    assert_int_equal(store_handoff_end(a, s4, NULL, "bot", 203), -ENOENT); /* closed already */
    fixture_handoff_ask(a, s4, 204, 0);
    assert_int_equal(store_handoff_citizen_add(a, s4, "lại là tôi", NULL, 204500, NULL), 0);
    assert_int_equal(store_commit(a), 0);
    fixture_raw(true, "DO $$ BEGIN PERFORM pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                      "AND application_name <> 'motcua-listen'; END $$");
    feed_async_read(b, &last, &lost);
    assert_int_equal(lost.rc, -EIO);
    assert_int_equal(lost.rows, 0);
    assert_string_equal(lost.x.text, "");
    fixture_pause_ms(1100); /* past STORE_PG_RETRY_MS */
    feed_async_read(b, &last, &got);
    assert_int_equal(got.rc, 0);
    assert_int_equal(got.rows, 2);
    assert_non_null(strstr(got.x.text, "|pending|"));
    assert_non_null(strstr(got.x.text, "||citizen|lại là tôi;"));

    /* a read cancelled is never answered */
    memset(&got, 0, sizeof(got));
    assert_int_equal(store_feed_read_send(b, start, 100, &feed_async_cbs, &got, &id), 0);
    assert_ptr_equal(store_feed_read_cancel(b, id), &got);
    for (int i = 0; i < 20; i++) {
        (void)store_session_resume_poll(b);
        fixture_pause_ms(2);
    }
    assert_int_equal(got.done, 0);
    store_free(a);
    store_free(b);
}

#define CASES(b)                                                                                   \
    {                                                                                              \
        STORE_CASE(test_feed_read_joined, b), STORE_CASE(test_feed_read_not_waited, b),            \
    }

int main(void)
{
    const struct CMUnitTest on_sqlite[] = CASES(&sqlite_backend);
    const struct CMUnitTest on_postgresql[] = CASES(&pg_backend);
    return store_contract_run("store contract feed", on_sqlite, on_postgresql);
}
