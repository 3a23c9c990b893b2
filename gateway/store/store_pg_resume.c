/* gateway/store/store_pg_resume.c - a resumed session's reads in one round
 * trip, on PostgreSQL (store.h "a resumed session's reads together"; issue
 * 18, docs/scaling.md "A session's first read").
 *
 * A WebSocket hello with a token used to wait for four round trips, one
 * after the other: the session, its turns, its handoff messages (and one
 * more per officer named in them, for the display name), its handoff state
 * (and one more for the name of the officer who holds it). Here they are
 * four statements sent together in the batch link's pipeline, with what the
 * batch has queued, and their four results are read after one sync. Each
 * later statement finds the session by its token itself (the id is not
 * known before the answer), and the officers' names are joined in.
 *
 * Each statement takes its own snapshot when it starts (READ COMMITTED), as
 * the separate reads did: in an open batch the first locks the session's row
 * (FOR UPDATE, as store_pg_session_by_token() there), and the three after it
 * start once the lock is granted, so they see what the batch that held it
 * committed. Without a batch they run in the pipeline's implicit
 * transaction, reads only, nothing locked. A failure of any fails the ones
 * after it, and all are then unread (-EIO). */
#include "mc_time.h"
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mc_log.h"
#include "store_pg.h"

#define RESUME_STATEMENTS 4 /* session, turns, handoff messages, handoff state */

/* the columns of store_pg_state.c's SESSION_COLS */
static const char session_sql[] =
    "SELECT id, token, channel, coalesce(user_key, ''), last_seen, state, version "
    "FROM session WHERE token = $1";
static const char session_locked_sql[] =
    "SELECT id, token, channel, coalesce(user_key, ''), last_seen, state, version "
    "FROM session WHERE token = $1 FOR UPDATE";
/* store_pg_history()'s */
static const char turns_sql[] =
    "SELECT role, text, ts, msg_id FROM (SELECT t.id, t.role, t.text, t.ts, t.msg_id "
    "FROM turn t WHERE t.session_id = (SELECT id FROM session WHERE token = $1) "
    "ORDER BY t.id DESC LIMIT $2) t ORDER BY id";
/* store_pg_handoff_messages()'s after id 0, with each officer's name */
static const char msgs_sql[] =
    "SELECT m.id, m.sender, m.officer, m.text, m.ts_ms, coalesce(o.name, '') "
    "FROM handoff_message m LEFT JOIN officer o ON o.username = m.officer "
    "WHERE m.session_id = (SELECT id FROM session WHERE token = $1) AND m.id > 0 "
    "ORDER BY m.id LIMIT $2";
/* store_pg_handoff_get()'s state, with the holder's name; no row: "bot" */
static const char state_sql[] =
    "SELECT h.state, coalesce(o.name, '') FROM handoff h "
    "LEFT JOIN officer o ON h.state = 'officer' AND o.username = h.officer "
    "WHERE h.session_id = (SELECT id FROM session WHERE token = $1)";

/* Hands the rows read to the callbacks and out. */
static int take(PGresult *const res[RESUME_STATEMENTS], store_resume_turn_fn turn,
                store_resume_msg_fn msg, void *ctx, struct store_resume *out)
{
    const PGresult *r;
    int i, rc = store_pg_session_row(res[0], &out->session);

    for (r = res[1], i = 0; !rc && i < PQntuples(r); i++)
        rc = turn(ctx, store_pg_text(r, i, 0), store_pg_text(r, i, 1), store_pg_int(r, i, 2),
                  PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3));
    if (!msg)
        return rc;
    for (r = res[2], i = 0; !rc && i < PQntuples(r); i++)
        rc = msg(ctx, store_pg_int(r, i, 0), store_pg_text(r, i, 1), store_pg_text(r, i, 2),
                 store_pg_text(r, i, 5), store_pg_text(r, i, 3), store_pg_int(r, i, 4));
    if (!rc && PQntuples(res[3]) == 1) {
        snprintf(out->handoff, sizeof(out->handoff), "%s", store_pg_text(res[3], 0, 0));
        snprintf(out->officer_name, sizeof(out->officer_name), "%s", store_pg_text(res[3], 0, 1));
    }
    return rc;
}

int store_pg_session_resume(struct store *st, const char *token, unsigned max_turns,
                            unsigned max_msgs, store_resume_turn_fn turn, store_resume_msg_fn msg,
                            void *ctx, struct store_resume *out)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params who = {0}, turns = {0}, msgs = {0};
    PGresult *res[RESUME_STATEMENTS] = {NULL};
    struct store_pg_link *l = store_pg_batch_link(pg);
    unsigned i, n = msg ? RESUME_STATEMENTS : 2;
    int rc;

    if (!l)
        return -EIO;
    store_pg_param_text(&who, token);
    turns = who; /* text parameters only: their pointers stay valid in the copy */
    msgs = who;
    store_pg_param_int(&turns, max_turns);
    store_pg_param_int(&msgs, max_msgs);
    /* the statements must go in one segment, whose answers are read together:
     * a queue too full to take them goes first */
    if (store_pg_link_queued(l) > STORE_PG_QUEUE_MAX - n && store_pg_link_sync(l, NULL, 0))
        return -EIO;
    if (store_pg_link_queue(l, store_pg_in_batch(pg) ? session_locked_sql : session_sql, &who) ||
        store_pg_link_queue(l, turns_sql, &turns) ||
        (msg &&
         (store_pg_link_queue(l, msgs_sql, &msgs) || store_pg_link_queue(l, state_sql, &who))))
        return -EIO;
    if (store_pg_link_sync_results(l, res, n))
        return -EIO;
    rc = take(res, turn, msg, ctx, out);
    for (i = 0; i < n; i++)
        PQclear(res[i]);
    if (rc && out->session.state)
        session_fini(&out->session);
    return rc;
}

/* ---- reads not waited for (store.h "a resumed session's reads not waited
 * for"; docs/scaling.md "Reads off the loop") ------------------------------
 * The same statements on a connection of their own, sent without waiting and
 * read by the caller's timer (store_session_resume_poll()). One segment in
 * flight at a time; the reads asked for meanwhile go together in the next
 * (up to STORE_PG_QUEUE_MAX statements). A read is sent only once every
 * batch this handle had opened when it was asked for has landed
 * (store_pg_landed_through()): it then sees what this node wrote before,
 * as the waited read in the batch did.
 * The feed's read (store_pg_feed_read_send(), one statement: store_pg_feed.c)
 * takes its turn in the same queue, on the same connection, answered by the
 * same poll: one segment in flight per handle, whoever asked. */

#define AREAD_PER_SEGMENT (STORE_PG_QUEUE_MAX / RESUME_STATEMENTS)

struct aread {
    uint64_t id;
    const struct store_resume_cbs *cbs;
    void *ctx; /* NULL: cancelled, its answer dropped */
    char token[SESSION_TOKEN_LEN + 1];
    unsigned max_turns, max_msgs;
    uint64_t after; /* sent once the handle's batches up to this one landed */
    unsigned at, n; /* its statements in the segment in flight */
    /* a feed read (store_pg_feed_read_send()) instead of a resume: its
     * callbacks, cursor and rows; cbs is then NULL */
    const struct store_feed_cbs *fcbs;
    int64_t feed_after;
    unsigned feed_max;
};

struct store_pg_aread {
    struct store_pg_link *l;                  /* opened on first use */
    int64_t open_retry_ms;                    /* it failed to open: not again before (monotonic) */
    struct aread r[STORE_SESSION_RESUME_MAX]; /* [0, sent) in flight, then waiting, in order */
    unsigned n, sent;
    PGresult *res[STORE_PG_QUEUE_MAX]; /* the answers of the segment in flight */
    unsigned nres;
    uint64_t next_id;
    uint64_t seg; /* segments sent (store_reads_socket()) */
};

void store_pg_aread_free(struct store_pg_aread *a)
{
    unsigned i;

    if (!a)
        return;
    store_pg_link_free(a->l);
    for (i = 0; i < a->nres; i++)
        PQclear(a->res[i]);
    free(a);
}

/* The connection, usable, opened if needed (blocking, once a handle; after a
 * failure not again before STORE_PG_RETRY_MS), or NULL. */
static struct store_pg_link *aread_link(struct store_pg *pg, struct store_pg_aread *a)
{
    struct mc_err err = {{0}};

    if (!a->l) {
        if (mc_mono_ms() < a->open_retry_ms)
            return NULL;
        a->l = store_pg_link_open_more(pg, &err);
        if (!a->l) {
            a->open_retry_ms = mc_mono_ms() + STORE_PG_RETRY_MS;
            mc_log(MC_LOG_WARN, "state.read_link", "backend=postgresql result=failed error=\"%s\"",
                   err.text);
            return NULL;
        }
    }
    return store_pg_link_usable(a->l, true) ? a->l : NULL;
}

/* Queues one read's statements on l. Returns 0 or -EIO. */
static int aread_queue(struct store_pg_link *l, const struct aread *r)
{
    struct store_pg_params who = {0}, turns, msgs;

    if (r->fcbs)
        return store_pg_feed_read_queue(l, r->feed_after, r->feed_max);
    store_pg_param_text(&who, r->token);
    turns = who; /* text parameters only: their pointers stay valid in the copy */
    msgs = who;
    store_pg_param_int(&turns, r->max_turns);
    store_pg_param_int(&msgs, r->max_msgs);
    if (store_pg_link_queue(l, session_sql, &who) || store_pg_link_queue(l, turns_sql, &turns))
        return -EIO;
    if (r->n == RESUME_STATEMENTS &&
        (store_pg_link_queue(l, msgs_sql, &msgs) || store_pg_link_queue(l, state_sql, &who)))
        return -EIO;
    return 0;
}

/* Sends the reads that are due (their batches landed) in one segment, if
 * none is in flight. A segment that cannot be sent leaves them waiting:
 * the next poll tries again, and a connection that stays lost fails them
 * (aread_fail_unsendable()). */
static void aread_pump(struct store_pg *pg, struct store_pg_aread *a)
{
    struct store_pg_link *l;
    unsigned k, q = 0;

    if (a->sent || !a->n || !store_pg_landed_through(pg, a->r[0].after))
        return;
    if (!(l = aread_link(pg, a)))
        return;
    for (k = 0; k < a->n && k < AREAD_PER_SEGMENT; k++) {
        if (!store_pg_landed_through(pg, a->r[k].after))
            break; /* in order: the later ones wait for later batches */
        a->r[k].at = q;
        if (aread_queue(l, &a->r[k]))
            break;
        q += a->r[k].n;
    }
    if (k == 0 || store_pg_link_queued(l) != q || store_pg_link_keep_all(l, a->res, q) ||
        store_pg_link_send(l)) {
        /* half queued (the connection failing): the segment goes, waited
         * for, its answers dropped; the reads stay and go in the next */
        if (store_pg_link_queued(l) && store_pg_link_sync(l, NULL, 0))
            mc_log(MC_LOG_WARN, "state.read_lost", "backend=postgresql reads=%u", a->n);
        return;
    }
    a->sent = k;
    a->nres = q;
    a->seg++;
}

/* Answers feed read r with its statement's result res (NULL: failed). */
static void feed_answer(const struct aread *r, const PGresult *res)
{
    unsigned rows = 0;
    int rc = res ? store_pg_feed_rows(res, r->fcbs->row, r->ctx, &rows) : -EIO;

    /* a row callback's non-zero only stopped the rows */
    r->fcbs->done(r->ctx, rc < 0 && rows == 0 ? -EIO : 0, rows);
}

/* Answers the reads of the segment that ended (lost: -EIO) and drops them. */
static void aread_answer(struct store_pg_aread *a, bool lost)
{
    struct aread done[AREAD_PER_SEGMENT];
    PGresult *res[STORE_PG_QUEUE_MAX];
    struct store_resume out;
    unsigned i, j, n = a->sent, nres = a->nres;
    int rc;

    /* taken out first: a callback may ask for another read (a second hello) */
    memcpy(done, a->r, n * sizeof(done[0]));
    memcpy(res, a->res, nres * sizeof(res[0]));
    memmove(a->r, a->r + n, (a->n - n) * sizeof(a->r[0]));
    a->n -= n;
    a->sent = a->nres = 0;
    for (i = 0; i < n; i++) {
        memset(&out, 0, sizeof(out));
        snprintf(out.handoff, sizeof(out.handoff), "bot");
        rc = lost ? -EIO : 0;
        for (j = 0; !rc && j < done[i].n; j++)
            if (!res[done[i].at + j])
                rc = -EIO; /* failed, or skipped after a failure in the segment */
        if (!done[i].ctx)
            continue;
        if (done[i].fcbs) {
            feed_answer(&done[i], rc ? NULL : res[done[i].at]);
            continue;
        }
        if (!rc)
            rc = take(res + done[i].at, done[i].cbs->turn,
                      done[i].n == RESUME_STATEMENTS ? done[i].cbs->msg : NULL, done[i].ctx, &out);
        if (rc && out.session.state)
            session_fini(&out.session);
        done[i].cbs->done(done[i].ctx, rc < 0 ? rc : rc ? -EIO : 0, &out);
    }
    for (i = 0; i < nres; i++)
        PQclear(res[i]);
}

/* A new read of pg's read connection, zeroed, its id in *id: the handle's
 * reads made on first use, the connection opened if it is not. Returns 0,
 * -ENOMEM, -EAGAIN (STORE_SESSION_RESUME_MAX reads pending) or -EIO (no
 * connection for it: the caller reads waiting). */
static int aread_add(struct store_pg *pg, struct store_pg_aread **out, struct aread **r,
                     uint64_t *id)
{
    struct store_pg_aread **slot = store_pg_aread_of(pg), *a;

    if (!*slot && !(*slot = calloc(1, sizeof(**slot))))
        return -ENOMEM;
    a = *slot;
    if (a->n >= STORE_SESSION_RESUME_MAX)
        return -EAGAIN;
    if (!a->l && !aread_link(pg, a))
        return -EIO;
    *r = &a->r[a->n++];
    memset(*r, 0, sizeof(**r));
    (*r)->id = *id = ++a->next_id;
    *out = a;
    return 0;
}

int store_pg_session_resume_send(struct store *st, const char *token, unsigned max_turns,
                                 unsigned max_msgs, const struct store_resume_cbs *cbs, void *ctx,
                                 uint64_t *id)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_aread *a;
    struct aread *r;
    int rc;

    if (strlen(token) > SESSION_TOKEN_LEN || !ctx || !cbs || !cbs->done || !cbs->turn)
        return -EINVAL;
    if ((rc = aread_add(pg, &a, &r, id)) != 0)
        return rc;
    r->cbs = cbs;
    r->ctx = ctx;
    snprintf(r->token, sizeof(r->token), "%s", token);
    r->max_turns = max_turns;
    r->max_msgs = max_msgs;
    r->n = cbs->msg ? RESUME_STATEMENTS : 2;
    r->after = store_pg_last_ticket(pg);
    aread_pump(pg, a);
    return 0;
}

int store_pg_feed_read_send(struct store *st, int64_t after_id, unsigned max,
                            const struct store_feed_cbs *cbs, void *ctx, uint64_t *id)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_aread *a;
    struct aread *r;
    int rc;

    if (!ctx || !cbs || !cbs->row || !cbs->done || !max)
        return -EINVAL;
    if ((rc = aread_add(pg, &a, &r, id)) != 0)
        return rc;
    r->fcbs = cbs;
    r->ctx = ctx;
    r->feed_after = after_id;
    r->feed_max = max;
    r->n = 1;
    /* sent at once, not after this handle's batches landed (as a resume is):
     * on its own connection it reads only committed rows, and the rows of a
     * batch still in flight come with that batch's own notification. Waiting
     * for the landing put a commit's round trip before most pushes. */
    r->after = 0;
    aread_pump(pg, a);
    return 0;
}

unsigned store_pg_session_resume_poll(struct store *st)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_aread *a = *store_pg_aread_of(pg);
    long changed;
    PGresult *last;
    int rc;

    if (!a)
        return 0;
    if (a->sent) {
        rc = store_pg_link_poll(a->l, &changed, 0, &last);
        PQclear(last);
        if (rc != 0) {
            if (rc < 0)
                mc_log(MC_LOG_WARN, "state.read_lost", "backend=postgresql reads=%u", a->sent);
            aread_answer(a, rc < 0);
        }
    } else if (a->n && !a->l) {
        a->sent = a->n < AREAD_PER_SEGMENT ? a->n : AREAD_PER_SEGMENT; /* never connected */
        aread_answer(a, true);
    }
    aread_pump(pg, a); /* also after answers: what waited goes now */
    if (!a->sent && a->n && a->l && !store_pg_link_usable(a->l, false) &&
        store_pg_landed_through(pg, a->r[0].after)) {
        /* due, and the connection is lost (tried again at most every
         * STORE_PG_RETRY_MS): answered as failed rather than kept waiting */
        a->sent = a->n < AREAD_PER_SEGMENT ? a->n : AREAD_PER_SEGMENT;
        aread_answer(a, true);
    }
    return a->n;
}

void *store_pg_session_resume_cancel(struct store *st, uint64_t id)
{
    struct store_pg_aread *a = *store_pg_aread_of(store_pg_of(st));
    void *ctx;
    unsigned i;

    for (i = 0; a && i < a->n; i++)
        if (a->r[i].id == id) {
            ctx = a->r[i].ctx;
            a->r[i].ctx = NULL; /* in flight: its answer is read and dropped */
            if (i >= a->sent) { /* waiting: gone */
                memmove(a->r + i, a->r + i + 1, (a->n - i - 1) * sizeof(a->r[0]));
                a->n--;
            }
            return ctx;
        }
    return NULL;
}

/* ---- store.h's ---------------------------------------------------------- */

int store_reads_socket(struct store *st, uint64_t *seq)
{
    struct store_pg_aread *a = store_pg_of(st) ? *store_pg_aread_of(store_pg_of(st)) : NULL;

    if (!a || !a->sent || !a->l)
        return -1;
    *seq = a->seg;
    return store_pg_link_socket(a->l);
}

int store_session_resume_send(struct store *st, const char *token, unsigned max_turns,
                              unsigned max_msgs, const struct store_resume_cbs *cbs, void *ctx,
                              uint64_t *id)
{
    if (!store_pg_of(st))
        return -ENOTSUP; /* SQLite: a local file, read waiting (store_session_resume()) */
    return store_pg_session_resume_send(st, token, max_turns, max_msgs, cbs, ctx, id);
}

unsigned store_session_resume_poll(struct store *st)
{
    return store_pg_of(st) ? store_pg_session_resume_poll(st) : 0;
}

void *store_session_resume_cancel(struct store *st, uint64_t id)
{
    return store_pg_of(st) ? store_pg_session_resume_cancel(st, id) : NULL;
}
