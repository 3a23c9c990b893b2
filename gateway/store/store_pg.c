/* gateway/store/store_pg.c - the PostgreSQL back-end's connection and
 * batch (store_pg.h); its schema is store_pg_schema.c's.
 *
 * The batch is one transaction, opened by the first write after a commit
 * (BEGIN) and ended by store_pg_commit() or store_pg_commit_send(); units are
 * savepoints. PostgreSQL aborts a transaction at its first failed statement
 * outside a savepoint: the commit then finds it in error and rolls it back
 * (-EIO), as SQLite's "broken" batch.
 *
 * Round trips (issue 18): BEGIN, SAVEPOINT, RELEASE and ROLLBACK TO never
 * need their answer at once, so they are queued (store_pg_link.c, pipeline
 * mode) and go with the next statement that does, or with the COMMIT.
 *
 * Several connections (links, STORE_PG_LINKS): store_pg_commit_send() sends
 * the batch's COMMIT and the next batch opens on a link with no COMMIT in
 * flight. Answers are read by store_pg_commit_poll(), oldest batch first.
 * When every other link still carries a COMMIT, the batch is not committed
 * yet (-EAGAIN): it stays open and grows until one lands, so the loop never
 * waits for a COMMIT to take the next batch's statements. At most
 * STORE_PG_LINKS batches are open at once: all but one committing.
 * Rows the committing batch wrote are locked until its COMMIT lands: a write
 * of the same row (a session's compare-and-swap, the FOR UPDATE read after a
 * lost one) waits for it on the server, and sees it once committed, which
 * keeps a session's turns in order; reads see the last committed state, as
 * they would from another node (docs/scaling.md). */
#include "store_pg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mc_log.h"

/* What store.h declares and this back-end does not implement yet (keep in
 * step with the STORE_PG_MISSING lines and docs/scaling.md). */
static const char missing[] = "";

struct store_pg {
    /* [0] opened with the handle, the others when a COMMIT sent without
     * waiting first needs them */
    struct store_pg_link *link[STORE_PG_LINKS];
    unsigned cur;                 /* the link the batch runs on */
    char *url;                    /* for the later links; never logged: it may hold a password */
    int64_t open_retry_ms;        /* a link failed to open: none is tried again before this */
    bool batch;                   /* BEGIN sent, COMMIT not yet */
    unsigned units;               /* savepoints open */
    uint64_t ticket;              /* the open batch's (tickets grow by one a batch) */
    int64_t owner;                /* random, > 0: this handle's outbox claims */
    bool claimed;                 /* it claimed outbox rows: store_pg_free() releases them */
    struct store_pg_obq *obq;     /* the outbox's own connection (store_pg_outbox.c), or NULL */
    struct store_pg_aread *aread; /* the reads' own connection (store_pg_resume.c), or NULL */
    struct store_stats stats;
    struct store_pg_landed landed; /* verdicts of saves not waited for (store_pg_turn.c) */
    struct store_pg_ids ids;       /* session ids held (store_pg_ids.c) */
};

struct store_pg_ids *store_pg_ids_of(struct store_pg *pg)
{
    return &pg->ids;
}

struct store_pg_landed *store_pg_landed_of(struct store_pg *pg)
{
    return &pg->landed;
}

bool store_pg_is_url(const char *target)
{
    return strncmp(target, "postgresql://", sizeof "postgresql://" - 1) == 0 ||
           strncmp(target, "postgres://", sizeof "postgres://" - 1) == 0;
}

const char *store_pg_missing_list(void)
{
    return missing;
}

void store_pg_param_text(struct store_pg_params *p, const char *s)
{
    if (p->n < STORE_PG_PARAMS_MAX)
        p->v[p->n++] = s;
}

void store_pg_param_int(struct store_pg_params *p, int64_t v)
{
    if (p->n >= STORE_PG_PARAMS_MAX)
        return;
    snprintf(p->num[p->n], sizeof(p->num[p->n]), "%lld", (long long)v);
    p->v[p->n] = p->num[p->n];
    p->n++;
}

void store_pg_param_double(struct store_pg_params *p, double v)
{
    if (p->n >= STORE_PG_PARAMS_MAX)
        return;
    snprintf(p->num[p->n], sizeof(p->num[p->n]), "%.17g", v);
    p->v[p->n] = p->num[p->n];
    p->n++;
}

/* The link the batch runs on, once it can take a statement: a COMMIT still in
 * flight on it is waited for (its result stays for store_pg_commit_poll()),
 * and a connection lost (the server restarted, a failover, the network) is
 * reset at most every STORE_PG_RETRY_MS, and only between batches: a batch
 * open when it was lost went with it, so its statements fail until its
 * commit reports it failed (-EIO) and the replies that waited for it become
 * errors, which clients resend. A reset blocks for one connection attempt
 * (the URL's connect_timeout, STORE_PG_CONNECT_TIMEOUT by default). */
static struct store_pg_link *usable(struct store_pg *pg)
{
    struct store_pg_link *l = pg->link[pg->cur];

    (void)store_pg_link_commit_finish(l, true);
    return store_pg_link_usable(l, !pg->batch) ? l : NULL;
}

bool store_pg_ready(struct store_pg *pg)
{
    struct store_pg_link *l = pg->link[pg->cur];

    if (!store_pg_link_commit_finish(l, false)) /* in flight: not waited for by /readyz */
        return store_pg_link_status(l) != PQTRANS_UNKNOWN;
    return usable(pg) != NULL;
}

struct store_pg_link *store_pg_batch_link(struct store_pg *pg)
{
    return usable(pg);
}

PGresult *store_pg_exec(struct store_pg *pg, const char *sql, const struct store_pg_params *p)
{
    struct store_pg_link *l = usable(pg);

    return l ? store_pg_link_exec(l, sql, p) : NULL; /* a lost link: logged once by usable() */
}

int store_pg_queue(struct store_pg *pg, const char *sql, const struct store_pg_params *p)
{
    struct store_pg_link *l = usable(pg);

    return l ? store_pg_link_queue(l, sql, p) : -EIO;
}

int store_pg_sync(struct store_pg *pg, long *changed, unsigned n)
{
    struct store_pg_link *l = usable(pg);
    unsigned i;

    if (l)
        return store_pg_link_sync(l, changed, n);
    for (i = 0; i < n; i++)
        changed[i] = -1;
    return -EIO;
}

long store_pg_change(struct store_pg *pg, const char *sql, const struct store_pg_params *p)
{
    PGresult *r = store_pg_exec(pg, sql, p);
    long n;

    if (!r)
        return -EIO;
    n = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return n;
}

/* Runs a statement without parameters or rows (BEGIN, SAVEPOINT ...). */
int store_pg_run(struct store_pg *pg, const char *sql)
{
    PGresult *r = store_pg_exec(pg, sql, NULL);

    PQclear(r);
    return r ? 0 : -EIO;
}

long store_pg_change_alone(struct store_pg *pg, const char *sql, const struct store_pg_params *p)
{
    long n;

    /* the savepoint goes with the statement, its end with the next one */
    if (store_pg_batch(pg) || store_pg_queue(pg, "SAVEPOINT alone", NULL))
        return -EIO;
    n = store_pg_change(pg, sql, p);
    if (n < 0 && store_pg_queue(pg, "ROLLBACK TO SAVEPOINT alone", NULL))
        return -EIO; /* the transaction stays in error: its commit fails */
    if (store_pg_queue(pg, "RELEASE SAVEPOINT alone", NULL))
        return -EIO;
    return n;
}

const char *store_pg_text(const PGresult *r, int row, int i)
{
    return PQgetisnull(r, row, i) ? "" : PQgetvalue(r, row, i);
}

int64_t store_pg_int(const PGresult *r, int row, int i)
{
    return PQgetisnull(r, row, i) ? 0 : (int64_t)strtoll(PQgetvalue(r, row, i), NULL, 10);
}

struct store_pg *store_pg_open(const char *url, int64_t owner, struct mc_err *err)
{
    struct store_pg *pg = calloc(1, sizeof(*pg));

    if (!pg) {
        mc_err_set(err, "data.state_url: out of memory");
        return NULL;
    }
    pg->owner = owner;
    pg->url = strdup(url);
    if (!pg->url) {
        mc_err_set(err, "data.state_url: out of memory");
        goto fail;
    }
    pg->link[0] = store_pg_link_open(url, err);
    if (!pg->link[0] || store_pg_migrate(pg, err))
        goto fail;
    if (store_pg_ids_fill(pg)) { /* the first block of session ids (store_pg_ids.c) */
        mc_err_set(err, "data.state_url: cannot read the session id sequence");
        goto fail;
    }
    return pg;

fail:
    store_pg_free(pg);
    return NULL;
}

void store_pg_free(struct store_pg *pg)
{
    unsigned i;

    if (!pg)
        return;
    /* the outcomes in flight land before the claims are given back */
    store_pg_obq_free(pg->obq);
    store_pg_aread_free(pg->aread);      /* reads in flight: nobody is left to hear them */
    for (i = 0; i < STORE_PG_LINKS; i++) /* commits in flight land; nobody is left to hear how */
        if (pg->link[i])
            (void)store_pg_link_commit_finish(pg->link[i], true);
    if (pg->batch && pg->link[pg->cur]) {
        mc_log(MC_LOG_WARN, "state.rollback", "backend=postgresql reason=closed_before_commit");
        pg->units = 0;
        (void)store_pg_run(pg, "ROLLBACK");
        pg->batch = false;
    }
    if (pg->claimed && pg->link[pg->cur]) { /* a node stopping gives its claims back */
        struct store_pg_params p = {0};

        store_pg_param_int(&p, pg->owner);
        if (store_pg_change(pg,
                            "UPDATE outbox SET claimed_until = 0 WHERE claimed_by = $1 "
                            "AND state = 'queued'",
                            &p) < 0)
            mc_log(MC_LOG_WARN, "outbox.release_failed", "backend=postgresql action=lease_expires");
    }
    for (i = 0; i < STORE_PG_LINKS; i++)
        store_pg_link_free(pg->link[i]);
    if (pg->url) {
        memset(pg->url, 0, strlen(pg->url)); /* a password leaves memory with the handle */
        free(pg->url);
    }
    free(pg);
}

int64_t store_pg_owner(struct store_pg *pg)
{
    pg->claimed = true;
    return pg->owner;
}

void store_pg_count_turn(struct store_pg *pg)
{
    pg->stats.turns++;
}

bool store_pg_in_batch(const struct store_pg *pg)
{
    return pg->batch;
}

uint64_t store_pg_batch_ticket(const struct store_pg *pg)
{
    return pg->batch ? pg->ticket : 0;
}

void store_pg_get_stats(const struct store_pg *pg, struct store_stats *out)
{
    unsigned i;

    *out = pg->stats;
    for (i = 0; i < STORE_PG_LINKS; i++)
        if (pg->link[i])
            out->round_trips += store_pg_link_round_trips(pg->link[i]);
}

int store_pg_batch(struct store_pg *pg)
{
    if (pg->batch)
        return 0;
    if (store_pg_queue(pg, "BEGIN", NULL)) /* goes with the batch's first statement */
        return -EIO;
    pg->batch = true;
    pg->ticket++;
    return 0;
}

struct store_pg_obq **store_pg_obq_of(struct store_pg *pg)
{
    return &pg->obq;
}

struct store_pg_aread **store_pg_aread_of(struct store_pg *pg)
{
    return &pg->aread;
}

uint64_t store_pg_last_ticket(const struct store_pg *pg)
{
    return pg->ticket;
}

bool store_pg_landed_through(struct store_pg *pg, uint64_t ticket)
{
    struct store_pg_link *l;
    uint64_t t;
    unsigned i;

    if (pg->batch && pg->ticket <= ticket)
        return false;
    for (i = 0; i < STORE_PG_LINKS; i++) {
        l = pg->link[i];
        t = l ? store_pg_link_committing(l) : 0;
        if (t && t <= ticket && !store_pg_link_commit_finish(l, false))
            return false;
    }
    return true;
}

struct store_pg_link *store_pg_link_open_more(struct store_pg *pg, struct mc_err *err)
{
    return store_pg_link_open(pg->url, err);
}

/* Counts and logs one finished commit. */
static void commit_counted(struct store_pg *pg, int rc)
{
    if (!rc) {
        pg->stats.commits++;
        return;
    }
    pg->stats.failures++;
    mc_log(MC_LOG_ERROR, "state.commit_failed", "backend=postgresql action=rolled_back");
}

int store_pg_commit(struct store_pg *pg)
{
    struct store_pg_link *l = pg->link[pg->cur];
    uint64_t us;
    int rc = -EIO;

    if (pg->units)
        return -EBUSY;
    if (!pg->batch)
        return 0;
    pg->batch = false;
    /* straight to the link: usable() might reset a lost connection, and a
     * COMMIT on a fresh one would answer "COMMIT" for a batch that is gone */
    (void)store_pg_link_commit_send(l, pg->ticket); /* a failure is its result: -EIO */
    (void)store_pg_link_commit_finish(l, true);
    (void)store_pg_link_commit_take(l, &rc, &us);
    store_pg_landed_take(&pg->landed, l, pg->ticket);
    store_pg_ids_collect(pg, l);
    commit_counted(pg, rc);
    return rc;
}

/* Whether link i can take the next batch now, without waiting: open (the
 * first time here: blocking, once; a failure is tried again after
 * STORE_PG_RETRY_MS), no COMMIT in flight (one whose answer has arrived is
 * read, its result kept for store_pg_commit_poll()), and not lost. */
static bool link_free(struct store_pg *pg, unsigned i)
{
    struct store_pg_link *l = pg->link[i];
    struct mc_err err = {{0}};
    struct timespec ts;
    int64_t now;

    if (!l) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        if (now < pg->open_retry_ms)
            return false;
        l = pg->link[i] = store_pg_link_open(pg->url, &err);
        if (!l) {
            pg->open_retry_ms = now + STORE_PG_RETRY_MS;
            mc_log(MC_LOG_WARN, "state.second_link",
                   "backend=postgresql result=failed "
                   "commits=waited error=\"%s\"",
                   err.text);
            return false;
        }
    }
    if (store_pg_link_committing(l) && !store_pg_link_commit_finish(l, false))
        return false;
    return store_pg_link_usable(l, true);
}

/* The link the next batch opens on once the current one's COMMIT is sent:
 * a free one already open, else one opened now, or STORE_PG_LINKS when none
 * is free: a light load keeps to two connections. */
static unsigned next_free(struct store_pg *pg)
{
    unsigned pass, k, i;

    for (pass = 0; pass < 2; pass++)
        for (k = 1; k < STORE_PG_LINKS; k++) {
            i = (pg->cur + k) % STORE_PG_LINKS;
            if ((pass == 1 || pg->link[i]) && link_free(pg, i))
                return i;
        }
    return STORE_PG_LINKS;
}

int store_pg_commit_send(struct store_pg *pg)
{
    unsigned next;

    if (pg->units)
        return -EBUSY;
    if (!pg->batch)
        return 0;
    next = next_free(pg);
    if (next == STORE_PG_LINKS && store_pg_commits_in_flight(pg) > 0) {
        /* every other link carries a COMMIT: this batch stays open and
         * grows until one lands, rather than the next statement waiting */
        pg->stats.deferred++;
        return -EAGAIN;
    }
    pg->batch = false;
    (void)store_pg_link_commit_send(pg->link[pg->cur], pg->ticket); /* failed: done, -EIO */
    /* no other link at all (none could be opened): the same one, whose
     * COMMIT the next statement waits for */
    if (next < STORE_PG_LINKS)
        pg->cur = next;
    return 0;
}

bool store_pg_would_wait(struct store_pg *pg)
{
    struct store_pg_link *l = pg->link[pg->cur];

    /* an open batch runs on this link: it is not committing. Otherwise a
     * COMMIT still in flight here (the other link took the batch after it,
     * and sent its own) is what usable() would wait for */
    return !pg->batch && l && store_pg_link_committing(l) && !store_pg_link_commit_finish(l, false);
}

unsigned store_pg_commits_in_flight(const struct store_pg *pg)
{
    unsigned i, n = 0;

    for (i = 0; i < STORE_PG_LINKS; i++)
        n += pg->link[i] && store_pg_link_committing(pg->link[i]);
    return n;
}

int store_pg_commit_socket(const struct store_pg *pg, uint64_t ticket)
{
    unsigned i;

    for (i = 0; i < STORE_PG_LINKS; i++)
        if (pg->link[i] && ticket && store_pg_link_committing(pg->link[i]) == ticket)
            return store_pg_link_socket(pg->link[i]);
    return -1;
}

size_t store_pg_commit_poll(struct store_pg *pg, bool wait, struct store_commit_done *done,
                            size_t max)
{
    struct store_pg_link *l;
    uint64_t t, oldest;
    unsigned i;
    size_t n = 0;

    while (n < max) {
        for (l = NULL, oldest = 0, i = 0; i < STORE_PG_LINKS; i++) {
            t = pg->link[i] ? store_pg_link_committing(pg->link[i]) : 0;
            if (t && (!oldest || t < oldest))
                oldest = t, l = pg->link[i]; /* the older batch first */
        }
        if (!l)
            break;
        if (!store_pg_link_commit_finish(l, wait))
            break; /* a later one waits its turn: replies leave in batch order */
        done[n].ticket = store_pg_link_commit_take(l, &done[n].rc, &done[n].us);
        store_pg_landed_take(&pg->landed, l, done[n].ticket);
        store_pg_ids_collect(pg, l);
        commit_counted(pg, done[n].rc);
        n++;
    }
    return n;
}

int store_pg_unit_begin(struct store_pg *pg)
{
    if (store_pg_batch(pg) || store_pg_queue(pg, "SAVEPOINT unit", NULL))
        return -EIO;
    pg->units++;
    return 0;
}

int store_pg_unit_end(struct store_pg *pg, bool keep)
{
    int rc = 0;

    if (!pg->units)
        return -EINVAL;
    pg->units--;
    /* both go with the next statement or the COMMIT: a failure there leaves
     * the transaction in error, and its commit fails */
    if (!keep && store_pg_queue(pg, "ROLLBACK TO SAVEPOINT unit", NULL))
        rc = -EIO;
    if (store_pg_queue(pg, "RELEASE SAVEPOINT unit", NULL))
        rc = -EIO;
    return rc;
}

PGconn *store_pg_conn(struct store_pg *pg)
{
    return store_pg_link_conn(pg->link[0]); /* always open: its parameters are the handle's */
}

bool store_pg_own_backend(struct store_pg *pg, int pid)
{
    PGconn *c;
    unsigned i;

    for (i = 0; i < STORE_PG_LINKS; i++) {
        c = store_pg_link_conn(pg->link[i]);
        if (pid > 0 && c && PQstatus(c) == CONNECTION_OK && PQbackendPID(c) == pid)
            return true;
    }
    return false;
}
