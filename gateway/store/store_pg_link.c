/* gateway/store/store_pg_link.c - one libpq connection of the PostgreSQL
 * back-end (store_pg.h): statements answered at once, statements queued in
 * libpq's pipeline mode and sent with the next one that needs an answer (one
 * round trip for both), and a COMMIT sent without waiting, whose answer is
 * read when it has arrived.
 *
 * Invariants: the link is in pipeline mode exactly while queued > 0; a
 * statement that needs its answer sends the queue with it, then reads every
 * answer up to the pipeline's sync, so nothing is ever left unread except the
 * answers of a COMMIT in flight (ticket > 0, done false). In a pipeline the
 * server skips every statement after a failed one until the sync: a queued
 * statement that fails makes the one that needed an answer fail too, and the
 * transaction is then in error, as it would be had each gone alone. */
#include "mc_time.h"
#include "store_pg.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mc_log.h"

struct store_pg_link {
    PGconn *conn;
    int64_t retry_ms; /* a lost connection is not tried again before this (monotonic) */
    bool lost;        /* lost and not back yet (logged once) */
    unsigned queued;  /* statements sent in pipeline mode, answers not read */
    unsigned got;     /* answers read of those */
    bool failed;      /* one of those answers was an error */
    bool commit;      /* the last one queued is a COMMIT */
    long changed[STORE_PG_QUEUE_MAX]; /* rows each changed, -1 when it failed */
    uint64_t tag[STORE_PG_QUEUE_MAX]; /* a queued save's id, whose answer is its verdict; 0: none */
    struct store_pg_verdict verdict[STORE_PG_VERDICTS_MAX]; /* read, not yet taken (the batch's) */
    unsigned verdicts;                                      /* entries of verdict[] */
    unsigned tagged;                                        /* saves queued, verdicts not read */
    /* a block of session ids asked for (store_pg_link_queue_ids()): the
     * index of its statement in the segment, while its answer is unread */
    bool ids_asked;
    unsigned ids_at;
    int64_t ids[STORE_PG_IDS_BLOCK]; /* ... the ids it answered, not yet taken */
    unsigned nids;
    PGresult *last; /* the last statement's result when it succeeded */
    /* store_pg_link_sync_results(): the results of statements keep_from ..
     * keep_from + keep_n - 1 of the segment go to keep[] (NULL: none kept) */
    PGresult **keep;
    unsigned keep_from, keep_n;
    uint64_t ticket; /* the batch whose COMMIT is in flight here; 0: none */
    int64_t sent_us; /* when that COMMIT was sent (monotonic) */
    bool done;       /* ... its answer is read: rc and us hold it */
    int rc;
    uint64_t us;
    uint64_t round_trips;
};

/* libpq's notices (e.g. "relation already exists, skipping") are not errors. */
static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

struct store_pg_link *store_pg_link_open(const char *url, struct mc_err *err)
{
    /* defaults the URL may override (later keywords win) */
    const char *const keys[] = {"connect_timeout",
                                "keepalives_idle",
                                "keepalives_interval",
                                "keepalives_count",
                                "tcp_user_timeout",
                                "dbname",
                                NULL};
    const char *const vals[] = {STORE_PG_CONNECT_TIMEOUT,
                                STORE_PG_KEEPALIVES_IDLE,
                                STORE_PG_KEEPALIVES_INTERVAL,
                                STORE_PG_KEEPALIVES_COUNT,
                                STORE_PG_TCP_USER_TIMEOUT,
                                url,
                                NULL};
    struct store_pg_link *l = calloc(1, sizeof(*l));

    if (!l) {
        mc_err_set(err, "data.state_url: out of memory");
        return NULL;
    }
    l->conn = PQconnectdbParams(keys, vals, 1);
    if (!l->conn || PQstatus(l->conn) != CONNECTION_OK) {
        mc_err_set(err, "data.state_url: cannot connect: %.120s",
                   l->conn ? PQerrorMessage(l->conn) : "out of memory");
        store_pg_link_free(l);
        return NULL;
    }
    PQsetNoticeProcessor(l->conn, quiet_notice, NULL);
    return l;
}

void store_pg_link_free(struct store_pg_link *l)
{
    if (!l)
        return;
    PQclear(l->last);
    PQfinish(l->conn);
    free(l);
}

uint64_t store_pg_link_round_trips(const struct store_pg_link *l)
{
    return l->round_trips;
}

PGconn *store_pg_link_conn(struct store_pg_link *l)
{
    return l ? l->conn : NULL;
}

int store_pg_link_socket(const struct store_pg_link *l)
{
    return PQsocket(l->conn);
}

bool store_pg_link_usable(struct store_pg_link *l, bool may_reset)
{
    struct timespec ts;
    int64_t now;

    if (PQstatus(l->conn) == CONNECTION_OK)
        return true;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (!may_reset || l->queued || (l->ticket && !l->done) || now < l->retry_ms)
        return false;
    l->retry_ms = now + STORE_PG_RETRY_MS;
    if (!l->lost)
        mc_log(MC_LOG_ERROR, "state.unreachable", "backend=postgresql readyz=503 error=\"%.160s\"",
               PQerrorMessage(l->conn));
    l->lost = true;
    PQreset(l->conn); /* leaves pipeline mode: the old connection's state goes with it */
    if (PQstatus(l->conn) != CONNECTION_OK)
        return false;
    PQsetNoticeProcessor(l->conn, quiet_notice, NULL);
    l->lost = false;
    mc_log(MC_LOG_INFO, "state.reconnected", "backend=postgresql");
    return true;
}

/* Keeps the ids a queued block's answer holds (r NULL: it failed, was
 * skipped or lost: none; the pool asks again). */
static void ids_answer(struct store_pg_link *l, const PGresult *r)
{
    int i, n = r ? PQntuples(r) : 0;

    l->ids_asked = false;
    for (i = 0; i < n && l->nids < STORE_PG_IDS_BLOCK; i++)
        l->ids[l->nids++] = store_pg_int(r, i, 0);
}

/* Takes one answer of the pipeline (steals r). */
static void answer(struct store_pg_link *l, PGresult *r)
{
    ExecStatusType s = PQresultStatus(r);
    unsigned i = l->got++;
    bool ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;

    /* COMMIT of a transaction in error answers "ROLLBACK", not an error */
    if (ok && l->commit && i + 1 == l->queued && strcmp(PQcmdStatus(r), "COMMIT") != 0)
        ok = false;
    if (i < STORE_PG_QUEUE_MAX)
        l->changed[i] = ok ? strtol(PQcmdTuples(r), NULL, 10) : -1;
    if (i < STORE_PG_QUEUE_MAX && l->tag[i]) { /* a save's verdict, kept for the batch's end */
        if (l->verdicts < STORE_PG_VERDICTS_MAX) {
            l->verdict[l->verdicts].save = l->tag[i];
            l->verdict[l->verdicts].changed = l->changed[i];
            l->verdicts++;
        }
        l->tag[i] = 0;
        l->tagged -= l->tagged > 0;
    }
    if (l->ids_asked && i == l->ids_at)
        ids_answer(l, ok ? r : NULL);
    if (!ok && !l->failed && s != PGRES_PIPELINE_ABORTED && s != PGRES_COMMAND_OK)
        mc_log(MC_LOG_ERROR, "state.db", "backend=postgresql error=\"%.200s\"",
               PQresultErrorMessage(r));
    if (!ok)
        l->failed = true;
    if (ok && l->keep && i >= l->keep_from && i - l->keep_from < l->keep_n) {
        l->keep[i - l->keep_from] = r; /* store_pg_link_sync_results()'s caller's */
        return;
    }
    if (ok && i + 1 == l->queued) {
        PQclear(l->last);
        l->last = r;
    } else {
        PQclear(r);
    }
}

/* Reads the pipeline's answers up to its sync; block: waits for them, else
 * takes only what has arrived. Returns 1 once the sync is read (pipeline mode
 * left), 0 while answers are on their way (never when block), -EIO when the
 * connection is lost. */
static int pipe_read(struct store_pg_link *l, bool block)
{
    PGresult *r;
    int nulls = 0;

    for (;;) {
        if (!block && (!PQconsumeInput(l->conn) || PQisBusy(l->conn)))
            return PQstatus(l->conn) == CONNECTION_OK ? 0 : -EIO;
        r = PQgetResult(l->conn);
        if (!r) { /* the end of one statement's answers; twice in a row: nothing is coming */
            if (PQstatus(l->conn) != CONNECTION_OK || ++nulls > 1)
                return -EIO;
            continue;
        }
        nulls = 0;
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            if (!PQexitPipelineMode(l->conn))
                return -EIO;
            return 1;
        }
        answer(l, r);
    }
}

/* Starts a pipeline segment's bookkeeping when nothing is queued yet. */
static int pipe_enter(struct store_pg_link *l)
{
    if (l->queued)
        return 0;
    if (!PQenterPipelineMode(l->conn))
        return -EIO;
    l->got = 0;
    l->failed = false;
    l->commit = false;
    memset(l->tag, 0, sizeof(l->tag));
    l->tagged = 0; /* the answers of the last segment were all read, or the connection reset */
    l->ids_asked = false;
    PQclear(l->last);
    l->last = NULL;
    return 0;
}

int store_pg_link_queue(struct store_pg_link *l, const char *sql, const struct store_pg_params *p)
{
    return store_pg_link_queue_save(l, sql, p, 0);
}

int store_pg_link_queue_save(struct store_pg_link *l, const char *sql,
                             const struct store_pg_params *p, uint64_t save)
{
    if (save && l->verdicts + l->tagged >= STORE_PG_VERDICTS_MAX)
        return -ENOSPC; /* no room for its verdict: the caller saves synchronously */
    if (l->queued >= STORE_PG_QUEUE_MAX && store_pg_link_sync(l, NULL, 0))
        return -EIO; /* a long queue goes out now; its failure stays the transaction's */
    if (pipe_enter(l) ||
        !PQsendQueryParams(l->conn, sql, p ? p->n : 0, NULL, p ? p->v : NULL, NULL, NULL, 0)) {
        mc_log(MC_LOG_ERROR, "state.db", "backend=postgresql error=\"%.200s\"",
               PQerrorMessage(l->conn));
        return -EIO;
    }
    l->tag[l->queued] = save;
    l->tagged += save != 0;
    l->queued++;
    return 0;
}

int store_pg_link_verdict_get(struct store_pg_link *l, uint64_t save, long *changed)
{
    unsigned i;

    for (i = 0; i < l->verdicts; i++)
        if (l->verdict[i].save == save) {
            *changed = l->verdict[i].changed;
            l->verdict[i] = l->verdict[--l->verdicts];
            return 0;
        }
    return -ENOENT;
}

unsigned store_pg_link_verdicts_take(struct store_pg_link *l, struct store_pg_verdict *out,
                                     unsigned max)
{
    unsigned n = l->verdicts < max ? l->verdicts : max;

    memcpy(out, l->verdict, n * sizeof(*out));
    l->verdicts = 0;
    return n;
}

int store_pg_link_sync(struct store_pg_link *l, long *changed, unsigned n)
{
    unsigned i, queued = l->queued;
    int rc;

    if (!queued) /* nothing to send: the caller's statements all went in an earlier segment */
        return n ? -EIO : 0;
    l->round_trips++;
    rc = PQpipelineSync(l->conn) ? pipe_read(l, true) : -EIO;
    l->queued = 0;
    l->tagged = 0;
    l->ids_asked = false;
    for (i = 0; i < n; i++) /* the last n statements queued */
        changed[i] = rc == 1 && n <= queued && queued - n + i < STORE_PG_QUEUE_MAX
                         ? l->changed[queued - n + i]
                         : -1;
    return rc == 1 && !l->failed ? 0 : -EIO;
}

PGresult *store_pg_link_exec(struct store_pg_link *l, const char *sql,
                             const struct store_pg_params *p)
{
    PGresult *r;
    ExecStatusType s;

    if (l->queued) { /* the queue goes with this statement: one round trip */
        if (store_pg_link_queue(l, sql, p) || store_pg_link_sync(l, NULL, 0))
            return NULL; /* logged by answer() */
        r = l->last;
        l->last = NULL;
        return r;
    }
    l->round_trips++;
    /* no parameters: the simple protocol, which also runs a migration's several statements */
    r = p ? PQexecParams(l->conn, sql, p->n, NULL, p->v, NULL, NULL, 0) : PQexec(l->conn, sql);
    s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
        return r;
    mc_log(MC_LOG_ERROR, "state.db", "backend=postgresql error=\"%.200s\"",
           r ? PQresultErrorMessage(r) : PQerrorMessage(l->conn));
    PQclear(r);
    return NULL;
}

PGTransactionStatusType store_pg_link_status(const struct store_pg_link *l)
{
    return PQtransactionStatus(l->conn);
}

/* Writes out what libpq holds for the server. The COMMIT must have left
 * before anything waits on the other link: a statement there may wait for
 * a row lock this transaction holds until its COMMIT arrives. A COMMIT is a
 * few bytes on an idle socket, so the poll almost never waits. */
static int flush_all(struct store_pg_link *l)
{
    struct pollfd pfd = {.fd = PQsocket(l->conn), .events = POLLOUT};
    int rc;

    while ((rc = PQflush(l->conn)) == 1)
        if (poll(&pfd, 1, atoi(STORE_PG_CONNECT_TIMEOUT) * 1000) <= 0)
            return -EIO;
    return rc ? -EIO : 0;
}

int store_pg_link_commit_send(struct store_pg_link *l, uint64_t ticket)
{
    l->ticket = ticket;
    l->done = false;
    l->sent_us = mc_mono_us();
    l->round_trips++;
    if (store_pg_link_queue(l, "COMMIT", NULL)) /* with the batch's last RELEASE, if queued */
        goto fail;
    l->commit = true;
    if (PQsetnonblocking(l->conn, 1) || !PQpipelineSync(l->conn) || flush_all(l))
        goto fail;
    return 0;

fail:
    (void)PQsetnonblocking(l->conn, 0);
    if (PQstatus(l->conn) == CONNECTION_OK) {
        /* half sent: the transaction may be open on the server still; a new
         * connection is the only state known (rare: a send fails when the
         * connection does) */
        mc_log(MC_LOG_ERROR, "state.commit_unsent", "backend=postgresql action=reconnect");
        PQreset(l->conn);
    }
    l->queued = 0;
    l->tagged = 0;
    l->ids_asked = false;
    l->done = true;
    l->rc = -EIO;
    l->us = 0;
    return -EIO;
}

uint64_t store_pg_link_committing(const struct store_pg_link *l)
{
    return l->ticket;
}

bool store_pg_link_commit_finish(struct store_pg_link *l, bool block)
{
    int n;

    if (!l->ticket || l->done)
        return true;
    n = pipe_read(l, block);
    if (n == 0)
        return false;
    l->done = true;
    l->queued = 0;
    l->tagged = 0;
    l->ids_asked = false; /* read above if it was answered */
    l->us = (uint64_t)(mc_mono_us() - l->sent_us);
    l->rc = n == 1 && !l->failed ? 0 : -EIO;
    (void)PQsetnonblocking(l->conn, 0);
    if (l->rc && PQstatus(l->conn) == CONNECTION_OK &&
        PQtransactionStatus(l->conn) != PQTRANS_IDLE) {
        PGresult *r = PQexec(l->conn, "ROLLBACK"); /* rare: the end of a failed batch */

        PQclear(r);
    }
    return true;
}

uint64_t store_pg_link_commit_take(struct store_pg_link *l, int *rc, uint64_t *us)
{
    uint64_t ticket = l->ticket;

    if (!ticket || !l->done)
        return 0;
    *rc = l->rc;
    *us = l->us;
    l->ticket = 0;
    l->done = false;
    return ticket;
}

PGresult *store_pg_link_last(struct store_pg_link *l)
{
    PGresult *r = l->last;

    l->last = NULL;
    return r;
}

unsigned store_pg_link_queued(const struct store_pg_link *l)
{
    return l->queued;
}

/* ---- session ids asked for without waiting (store_pg_ids.c) ------------ */

int store_pg_link_queue_ids(struct store_pg_link *l, unsigned n)
{
    struct store_pg_params p = {0};

    if (l->ids_asked || l->nids || n > STORE_PG_IDS_BLOCK)
        return -EBUSY; /* one block at a time: its answer has room */
    store_pg_param_int(&p, n);
    /* nextval() is not transactional: the ids are this handle's whatever
     * becomes of the batch the statement rides in */
    if (store_pg_link_queue(l,
                            "SELECT nextval(pg_get_serial_sequence('session', 'id')) "
                            "FROM generate_series(1, $1::int)",
                            &p))
        return -EIO;
    l->ids_asked = true;
    l->ids_at = l->queued - 1;
    return 0;
}

bool store_pg_link_ids_asked(const struct store_pg_link *l)
{
    return l->ids_asked;
}

unsigned store_pg_link_ids_take(struct store_pg_link *l, int64_t *out, unsigned max)
{
    unsigned n = l->nids < max ? l->nids : max;

    memcpy(out, l->ids, n * sizeof(*out));
    l->nids = 0; /* more than max: never (the pool takes a block into room for one) */
    return n;
}

/* ---- the outbox's own connection (store_pg_outbox.c) ------------------- */

int store_pg_link_send(struct store_pg_link *l)
{
    if (!l->queued)
        return -EIO;
    l->round_trips++;
    if (PQsetnonblocking(l->conn, 1) || !PQpipelineSync(l->conn) || flush_all(l)) {
        (void)PQsetnonblocking(l->conn, 0);
        if (PQstatus(l->conn) == CONNECTION_OK)
            PQreset(l->conn); /* half sent: a new connection is the only state known */
        l->queued = 0;
        l->keep = NULL;
        return -EIO;
    }
    return 0;
}

int store_pg_link_poll(struct store_pg_link *l, long *changed, unsigned n, PGresult **last)
{
    unsigned i, queued = l->queued;
    int rc = pipe_read(l, false);

    *last = NULL;
    if (rc == 0)
        return 0;
    l->keep = NULL; /* store_pg_link_keep_all()'s results are the caller's now */
    (void)PQsetnonblocking(l->conn, 0);
    l->queued = 0;
    l->tagged = 0;
    for (i = 0; i < n; i++)
        changed[i] = rc == 1 && i < queued && i < STORE_PG_QUEUE_MAX ? l->changed[i] : -1;
    if (rc < 0)
        return -EIO;
    *last = store_pg_link_last(l);
    return 1;
}

/* ---- several results of one segment (store_pg_resume.c) ---------------- */

int store_pg_link_sync_results(struct store_pg_link *l, PGresult **out, unsigned n)
{
    unsigned i;
    int rc;

    for (i = 0; i < n; i++)
        out[i] = NULL;
    if (n == 0 || n > l->queued)
        return -EIO; /* they went in an earlier segment: their answers are read */
    l->keep = out;
    l->keep_from = l->queued - n;
    l->keep_n = n;
    rc = store_pg_link_sync(l, NULL, 0);
    l->keep = NULL;
    for (i = 0; i < n && rc; i++) { /* one failed: the others were skipped, or are moot */
        PQclear(out[i]);
        out[i] = NULL;
    }
    return rc;
}

int store_pg_link_keep_all(struct store_pg_link *l, PGresult **out, unsigned n)
{
    unsigned i;

    if (n == 0 || n != l->queued)
        return -EIO;
    for (i = 0; i < n; i++)
        out[i] = NULL;
    l->keep = out;
    l->keep_from = 0;
    l->keep_n = n;
    return 0;
}
