/* gateway/store/store_pg_outbox.c - the outbox on PostgreSQL (store.h
 * "outbox"; docs/scaling.md "The outbox"): rows added in the batch, the
 * rows due claimed for this handle with FOR UPDATE SKIP LOCKED and a lease,
 * and each reply's outcome. The statements are SQLite's
 * (store_sqlite_chan.c) in PostgreSQL's words; what differs is said where it
 * does.
 *
 * Nothing of the pump makes the event loop wait on the network (issue 18);
 * the waited claim (store_pg_outbox_due()) is kept for callers outside it:
 *   - a row's INSERT is queued in the open batch, its id never read; the
 *     floor that keeps the batch's rows from being due before it commits is
 *     kept by the server (STORE_PG_OUTBOX_FLOOR_GUC), one mechanism for the
 *     webhook's replies and an officer's;
 *   - the outcomes (sent, failed, a retry) and the claim go on the outbox's
 *     own connection, outside any batch: sent together without waiting (one
 *     implicit transaction, outcomes first), their answers read by later
 *     polls. Not in the group batch: a refused outcome or claim there would
 *     fail the whole batch, every turn of the pass with it (a full disk, a
 *     trigger), where here it fails alone, and the outbox writes it again.
 *     The claim follows the outcomes on one connection, so it sees them: a
 *     row marked sent is never claimed again. Its rows are committed once
 *     read (the transaction ends at the segment's sync), so they may go.
 */
#include "mc_time.h"
#include "store_sqlite_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mc_log.h"
#include "store_pg.h"

int store_pg_outbox_add(struct store *st, const char *channel, const char *user, const char *body,
                        int64_t now_ms)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_params p = {0};

    if (store_pg_batch(pg))
        return -EIO;
    store_pg_param_text(&p, channel);
    store_pg_param_text(&p, user);
    store_pg_param_text(&p, body);
    store_pg_param_int(&p, now_ms);
    /* the smallest id the transaction added, in its setting: the rows are
     * not due before they commit (the claim reads it) */
    return store_pg_queue(pg,
                          "WITH r AS (INSERT INTO outbox (channel, user_key, body, created, "
                          "next_try) VALUES ($1, $2, $3, $4, $4) RETURNING id) "
                          "SELECT set_config('" STORE_PG_OUTBOX_FLOOR_GUC "', least(r.id, "
                          "coalesce(nullif(current_setting('" STORE_PG_OUTBOX_FLOOR_GUC
                          "', true), '')::bigint, r.id))::text, true) FROM r",
                          &p)
               ? -EIO
               : 0;
}

/* The oldest queued row of each citizen, if it is due and not claimed by
 * another handle with a live lease, claimed for this one in the same
 * statement. SKIP LOCKED: a row another node is claiming right now is not
 * waited for, it is that node's (and a row whose outcome this handle's
 * COMMIT in flight is writing is skipped too). A claim made outside a batch
 * commits at once (a statement is its own transaction). Rows from the open
 * transaction's floor on are not committed (store_pg_outbox_add()); outside
 * a transaction the setting is empty ('' once set in the session). */
static const char outbox_due_sql[] =
    "WITH due AS (SELECT o.id FROM outbox o WHERE o.state = 'queued' AND o.next_try <= $1 "
    "  AND (o.claimed_until <= $1 OR o.claimed_by = $3) "
    "  AND o.id = (SELECT min(q.id) FROM outbox q WHERE q.channel = o.channel "
    "    AND q.user_key = o.user_key AND q.state = 'queued') "
    "  AND o.id < coalesce(nullif(current_setting('" STORE_PG_OUTBOX_FLOOR_GUC
    "', true), '')::bigint, 9223372036854775807) "
    "  ORDER BY o.id LIMIT $2 FOR UPDATE OF o SKIP LOCKED), "
    "claimed AS (UPDATE outbox SET claimed_by = $3, claimed_until = $1 + $4 FROM due "
    "  WHERE outbox.id = due.id "
    "  RETURNING outbox.id, outbox.channel, outbox.user_key, outbox.body, outbox.attempts, "
    "    outbox.created) "
    "SELECT * FROM claimed ORDER BY id";

static void due_params(struct store *st, int64_t now_ms, size_t max, struct store_pg_params *p)
{
    struct store_pg *pg = store_pg_of(st);

    store_pg_param_int(p, now_ms);
    store_pg_param_int(p, (int64_t)max);
    store_pg_param_int(p, store_pg_owner(pg));
    store_pg_param_int(p, store_outbox_lease(st));
}

/* Fills rows (up to max) from the claim's result r. Returns 0 or -ENOMEM
 * (the claims stand: the lease gives the rows back). */
static int take_rows(const PGresult *r, struct store_outbox_row *rows, size_t max, size_t *n)
{
    struct store_outbox_row *o;
    int i;

    *n = 0;
    for (i = 0; i < PQntuples(r) && *n < max; i++) {
        o = &rows[*n];
        memset(o, 0, sizeof(*o));
        o->id = store_pg_int(r, i, 0);
        snprintf(o->channel, sizeof(o->channel), "%s", store_pg_text(r, i, 1));
        snprintf(o->user, sizeof(o->user), "%s", store_pg_text(r, i, 2));
        o->body_len = (size_t)PQgetlength(r, i, 3);
        o->body = malloc(o->body_len + 1);
        if (!o->body) {
            while (*n)
                free(rows[--*n].body);
            return -ENOMEM;
        }
        memcpy(o->body, PQgetvalue(r, i, 3), o->body_len + 1);
        o->attempts = (int)store_pg_int(r, i, 4);
        o->created_ms = store_pg_int(r, i, 5);
        (*n)++;
    }
    return 0;
}

int store_pg_outbox_due(struct store *st, int64_t now_ms, struct store_outbox_row *rows, size_t max,
                        size_t *n)
{
    struct store_pg_params p = {0};
    PGresult *r;
    int rc;

    *n = 0;
    due_params(st, now_ms, max, &p);
    r = store_pg_exec(store_pg_of(st), outbox_due_sql, &p);
    if (!r)
        return -EIO;
    rc = take_rows(r, rows, max, n);
    PQclear(r);
    return rc;
}

/* ---- the outbox's own connection ------------------------------------------ */

#define OBQ_MAX 64          /* outcomes waiting or in flight; more: -EIO, written again later */
#define OBQ_RESULTS_MAX 128 /* answered outcomes not yet taken by the outbox */
#define OBQ_FLUSH_MS 3000   /* at close, how long what is in flight is waited for */

struct obq_outcome {
    int64_t id;
    bool final; /* store_outbox_done(): state; else a retry at next_try_ms */
    char state[16];
    int attempts;
    int64_t next_try_ms;
};

struct store_pg_obq {
    struct store_pg_link *l;       /* opened on first use */
    int64_t open_retry_ms;         /* it failed to open: not again before (monotonic) */
    bool out;                      /* a segment sent, its answers not all read */
    unsigned sent;                 /* outcomes in it: q[0, sent) */
    bool claim_out;                /* ... followed by a claim */
    struct obq_outcome q[OBQ_MAX]; /* [0, sent) in flight, [sent, n) waiting */
    unsigned n;
    struct store_outbox_outcome res[OBQ_RESULTS_MAX];
    unsigned nres;
    PGresult *rows;    /* the claim's rows, answered, not yet taken */
    bool claim_failed; /* ... or its failure */
};

/* pg's outbox connection, created (not yet connected) on first use; NULL: no memory. */
static struct store_pg_obq *obq(struct store *st)
{
    struct store_pg_obq **q = store_pg_obq_of(store_pg_of(st));

    if (!*q)
        *q = calloc(1, sizeof(**q));
    return *q;
}

/* The connection, usable, opened if needed (blocking, once; after a
 * failure not again before STORE_PG_RETRY_MS), or NULL. */
static struct store_pg_link *obq_link(struct store_pg *pg, struct store_pg_obq *q)
{
    struct mc_err err = {{0}};

    if (!q->l) {
        if (!pg || mc_mono_ms() < q->open_retry_ms)
            return NULL;
        q->l = store_pg_link_open_more(pg, &err);
        if (!q->l) {
            q->open_retry_ms = mc_mono_ms() + STORE_PG_RETRY_MS;
            mc_log(MC_LOG_WARN, "outbox.link", "backend=postgresql result=failed error=\"%s\"",
                   err.text);
            return NULL;
        }
    }
    return store_pg_link_usable(q->l, true) ? q->l : NULL;
}

static void queue_outcome(struct store_pg_link *l, const struct obq_outcome *o, int *rc)
{
    struct store_pg_params p = {0};

    store_pg_param_int(&p, o->id);
    store_pg_param_int(&p, o->attempts);
    if (o->final) {
        store_pg_param_text(&p, o->state);
        if (store_pg_link_queue(l, "UPDATE outbox SET state = $3, attempts = $2 WHERE id = $1", &p))
            *rc = -EIO;
        return;
    }
    store_pg_param_int(&p, o->next_try_ms);
    /* the claim ends: any node may try it when it is due */
    if (store_pg_link_queue(l,
                            "UPDATE outbox SET attempts = $2, next_try = $3, claimed_until = 0 "
                            "WHERE id = $1",
                            &p))
        *rc = -EIO;
}

/* The answers of a segment that failed (or could not be sent): every outcome
 * in it failed, the claim too (one transaction: nothing of it committed). */
static void segment_failed(struct store_pg_obq *q, PGresult *last)
{
    unsigned i;

    for (i = 0; i < q->sent && q->nres < OBQ_RESULTS_MAX; i++)
        q->res[q->nres++] = (struct store_outbox_outcome){.id = q->q[i].id, .ok = false};
    if (q->claim_out)
        q->claim_failed = true;
    PQclear(last);
}

/* Forgets the segment's outcomes: the waiting ones move up. */
static void segment_end(struct store_pg_obq *q)
{
    memmove(q->q, q->q + q->sent, (q->n - q->sent) * sizeof(q->q[0]));
    q->n -= q->sent;
    q->sent = 0;
    q->claim_out = false;
    q->out = false;
}

/* Sends the waiting outcomes (as many as a segment takes) and, with claim,
 * the claim after them. Returns 0 or -EIO (the segment's outcomes are then
 * answered as failed). */
static int obq_send(struct store_pg *pg, struct store_pg_obq *q,
                    const struct store_pg_params *claim)
{
    struct store_pg_link *l = obq_link(pg, q);
    unsigned i, room = STORE_PG_QUEUE_MAX - (claim ? 1 : 0);
    int rc = 0;

    if (!l)
        return -EIO; /* the outcomes wait (the outbox holds them), the claim is not made */
    q->sent = q->n < room ? q->n : room;
    if (q->nres + q->sent > OBQ_RESULTS_MAX)
        return q->sent = 0, -EIO; /* answers not taken yet: nothing more meanwhile */
    for (i = 0; i < q->sent; i++)
        queue_outcome(l, &q->q[i], &rc);
    if (claim && store_pg_link_queue(l, outbox_due_sql, claim))
        rc = -EIO;
    q->claim_out = claim != NULL;
    if (store_pg_link_send(l) || rc) {
        segment_failed(q, NULL);
        segment_end(q);
        return -EIO;
    }
    q->out = true;
    return 0;
}

/* Reads what has arrived of the segment in flight; once it is all read,
 * sends the outcomes that waited (also those a connection that could not
 * be opened left waiting: tried again at most every STORE_PG_RETRY_MS). */
static void obq_poll(struct store_pg *pg, struct store_pg_obq *q)
{
    long changed[STORE_PG_QUEUE_MAX];
    unsigned i, k;
    PGresult *last;
    bool ok;
    int rc;

    if (!q)
        return;
    if (!q->out) {
        if (q->n)
            (void)obq_send(pg, q, NULL);
        return;
    }
    k = q->sent + (q->claim_out ? 1 : 0);
    rc = store_pg_link_poll(q->l, changed, k, &last);
    if (rc == 0)
        return;
    for (ok = rc == 1, i = 0; i < k; i++)
        ok = ok && changed[i] >= 0; /* one transaction: all or nothing */
    if (!ok) {
        segment_failed(q, last);
    } else {
        for (i = 0; i < q->sent; i++)
            q->res[q->nres++] = (struct store_outbox_outcome){.id = q->q[i].id, .ok = true};
        if (q->claim_out)
            q->rows = last;
        else
            PQclear(last);
    }
    segment_end(q);
    if (q->n)
        (void)obq_send(pg, q, NULL);
}

int store_pg_outbox_claim_send(struct store *st, int64_t now_ms, size_t max)
{
    struct store_pg_obq *q = obq(st);
    struct store_pg_params p = {0};

    if (!q)
        return -EIO;
    obq_poll(store_pg_of(st), q);
    if (q->out || q->rows || q->claim_failed)
        return -EBUSY;
    due_params(st, now_ms, max, &p);
    return obq_send(store_pg_of(st), q, &p) && !q->claim_failed ? -EIO : 0;
}

int store_pg_outbox_claimed(struct store *st, struct store_outbox_row *rows, size_t max, size_t *n)
{
    struct store_pg_obq *q = obq(st);
    PGresult *r;
    int rc;

    *n = 0;
    if (!q)
        return -ENOENT;
    obq_poll(store_pg_of(st), q);
    if (q->claim_failed) {
        q->claim_failed = false;
        return -EIO;
    }
    if (!q->rows)
        return q->out && q->claim_out ? -EAGAIN : -ENOENT;
    r = q->rows;
    q->rows = NULL;
    rc = take_rows(r, rows, max, n);
    PQclear(r);
    return rc;
}

bool store_pg_outbox_claim_answered(struct store *st)
{
    struct store_pg_obq *q = obq(st);

    obq_poll(store_pg_of(st), q);
    return q && (q->rows || q->claim_failed);
}

bool store_pg_outbox_busy(struct store *st)
{
    struct store_pg_obq *q = *store_pg_obq_of(store_pg_of(st));

    return q && (q->out || q->n);
}

size_t store_pg_outbox_outcomes(struct store *st, struct store_outbox_outcome *out, size_t max)
{
    struct store_pg_obq *q = *store_pg_obq_of(store_pg_of(st));
    size_t n;

    if (!q)
        return 0;
    obq_poll(store_pg_of(st), q);
    n = q->nres < max ? q->nres : max;
    memcpy(out, q->res, n * sizeof(*out));
    memmove(q->res, q->res + n, (q->nres - n) * sizeof(*out));
    q->nres -= (unsigned)n;
    return n;
}

/* An outcome for the outbox's connection: sent now if nothing is in flight,
 * else with the next segment. Returns 1 (its answer comes by
 * store_outbox_outcomes()) or -EIO (too many waiting: written again later). */
static int outcome(struct store *st, const struct obq_outcome *o)
{
    struct store_pg_obq *q = obq(st);

    if (!q || q->n >= OBQ_MAX)
        return -EIO;
    q->q[q->n++] = *o;
    obq_poll(store_pg_of(st), q);
    if (!q->out)
        (void)obq_send(store_pg_of(st), q, NULL); /* a failure answers it as failed */
    return 1;
}

int store_pg_outbox_outcome_send(struct store *st, int64_t id, const char *state, int attempts,
                                 int64_t next_try_ms)
{
    struct obq_outcome o = {
        .id = id, .final = state != NULL, .attempts = attempts, .next_try_ms = next_try_ms};

    snprintf(o.state, sizeof(o.state), "%s", state ? state : "");
    return outcome(st, &o);
}

/* The waited forms, for callers outside the event loop: in the batch (opened
 * if none is), under their own savepoint, so that one the database refuses
 * fails alone (-EIO) and the batch goes on. */
int store_pg_outbox_done(struct store *st, int64_t id, const char *state, int attempts)
{
    struct store_pg_params p = {0};

    store_pg_param_int(&p, id);
    store_pg_param_text(&p, state);
    store_pg_param_int(&p, attempts);
    return store_pg_change_alone(
               store_pg_of(st), "UPDATE outbox SET state = $2, attempts = $3 WHERE id = $1", &p) < 0
               ? -EIO
               : 0;
}

int store_pg_outbox_retry(struct store *st, int64_t id, int attempts, int64_t next_try_ms)
{
    struct store_pg_params p = {0};

    store_pg_param_int(&p, id);
    store_pg_param_int(&p, attempts);
    store_pg_param_int(&p, next_try_ms);
    /* the claim ends: any node may try it when it is due */
    return store_pg_change_alone(store_pg_of(st),
                                 "UPDATE outbox SET attempts = $2, next_try = $3, "
                                 "claimed_until = 0 WHERE id = $1",
                                 &p) < 0
               ? -EIO
               : 0;
}

void store_pg_obq_free(struct store_pg_obq *q)
{
    int64_t end = mc_mono_ms() + OBQ_FLUSH_MS;

    if (!q)
        return;
    /* what is in flight lands before the handle's claims are given back:
     * an outcome lost here would have its row sent again */
    while ((q->out || (q->n && q->l)) && mc_mono_ms() < end) {
        struct pollfd pfd = {.fd = store_pg_link_socket(q->l), .events = POLLIN};

        q->nres = 0; /* nobody is left to take them */
        if (!q->out) {
            if (obq_send(NULL, q, NULL))
                break;
            continue;
        }
        (void)poll(&pfd, 1, 50);
        obq_poll(NULL, q);
    }
    PQclear(q->rows);
    store_pg_link_free(q->l);
    free(q);
}

long store_pg_outbox_pending(struct store *st)
{
    PGresult *r =
        store_pg_exec(store_pg_of(st), "SELECT count(*) FROM outbox WHERE state = 'queued'", NULL);
    long n = r ? (long)store_pg_int(r, 0, 0) : -1;

    PQclear(r);
    return n;
}
