/* gateway/store/store_feed.c - the feed's rows with what each push needs
 * (store.h "the feed's rows with what each push needs"). PostgreSQL: one
 * statement (store_pg_feed.c), waited or not. SQLite: the rows, then per
 * row the separate reads of a local file, as gateway/feed.c made them. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"

struct feed_row {
    int64_t id, session_id, message_id, ts_ms;
    char kind[16]; /* "cancelled" is the longest */
    char officer[STORE_OFFICER_USER_MAX];
};

struct feed_rows {
    struct feed_row *row;
    unsigned n, max;
};

/* A message read for a row; copied, the store lends it only for its callback. */
struct feed_msg {
    int64_t want, id;
    char from[16];
    char *text; /* new: free() */
};

static int on_row(void *ctx, int64_t id, const char *kind, int64_t session_id, int64_t message_id,
                  const char *officer, int64_t ts_ms)
{
    struct feed_rows *rs = ctx;
    struct feed_row *r;

    if (rs->n >= rs->max)
        return 1;
    r = &rs->row[rs->n++];
    r->id = id;
    r->session_id = session_id;
    r->message_id = message_id;
    r->ts_ms = ts_ms;
    snprintf(r->kind, sizeof(r->kind), "%s", kind);
    snprintf(r->officer, sizeof(r->officer), "%s", officer);
    return 0;
}

static int on_msg(void *ctx, int64_t id, const char *from, const char *officer, const char *text,
                  int64_t ts_ms)
{
    struct feed_msg *m = ctx;

    (void)officer;
    (void)ts_ms;
    if (id != m->want)
        return 1;
    snprintf(m->from, sizeof(m->from), "%s", from);
    m->text = strdup(text); /* an officer's shared checklist may be long: never cut */
    if (m->text)
        m->id = id;
    return 1;
}

/* One row's separate reads, then fn; a read that fails leaves its part
 * NULL (the handoff) or "" (the name) or the message out, as before. */
static int sqlite_item(struct store *st, const struct feed_row *r, store_feed_fn fn, void *ctx)
{
    struct store_handoff h;
    struct store_officer o;
    struct feed_msg m = {0, 0, "", NULL};
    struct store_feed_item it;
    int rc;

    memset(&it, 0, sizeof(it));
    it.id = r->id;
    it.kind = r->kind;
    it.session_id = r->session_id;
    it.message_id = r->message_id;
    it.officer = r->officer;
    it.ts_ms = r->ts_ms;
    it.officer_name = "";
    if (store_handoff_get(st, r->session_id, &h) == 0)
        it.handoff = &h;
    if (r->officer[0] && store_officer_get(st, r->officer, &o) == 0)
        it.officer_name = o.name;
    if (strcmp(r->kind, "message") == 0) {
        m.want = r->message_id;
        if (store_handoff_messages(st, r->session_id, r->message_id - 1, 1, on_msg, &m) >= 0 &&
            m.id == r->message_id) {
            it.from = m.from;
            it.text = m.text;
        }
    }
    rc = fn(ctx, &it);
    free(m.text);
    return rc;
}

int store_feed_read(struct store *st, int64_t after_id, unsigned max, store_feed_fn fn, void *ctx)
{
    struct feed_rows rs = {NULL, 0, max};
    unsigned i;
    int rc;

    if (store_pg_of(st))
        return store_pg_feed_read(st, after_id, max, fn, ctx);
    if (!max)
        return 0;
    if (!(rs.row = calloc(max, sizeof(*rs.row))))
        return -ENOMEM;
    /* the rows first: no statement stays open while fn runs */
    rc = store_feed_since(st, after_id, max, on_row, &rs);
    for (i = 0; rc == 0 && i < rs.n; i++)
        rc = sqlite_item(st, &rs.row[i], fn, ctx);
    free(rs.row);
    return rc;
}

int store_feed_read_send(struct store *st, int64_t after_id, unsigned max,
                         const struct store_feed_cbs *cbs, void *ctx, uint64_t *id)
{
    if (!store_pg_of(st))
        return -ENOTSUP; /* SQLite: a local file, read waiting (store_feed_read()) */
    return store_pg_feed_read_send(st, after_id, max, cbs, ctx, id);
}

void *store_feed_read_cancel(struct store *st, uint64_t id)
{
    return store_session_resume_cancel(st, id); /* one queue, one id space */
}
