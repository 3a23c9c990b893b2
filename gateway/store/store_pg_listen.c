/* gateway/store/store_pg_listen.c - cross-node events on PostgreSQL
 * (store.h, "cross-node events"): the listening side.
 *
 * The senders are the writes themselves: a feed row, a taught phrase's
 * revision, the office data's revision and the reload revision call
 * pg_notify() in the statement that writes them (store_pg_handoff.c,
 * store_pg_admin.c, store_pg_office.c, store_notify_reload() below), so the
 * notification belongs to the writing transaction and PostgreSQL delivers
 * it only when that commits (and never when its unit is rolled back to its
 * savepoint): a node woken by it always finds the row.
 *
 * The listener is a second connection per store handle, made with the main
 * connection's own parameters (PQconninfo: no URL kept), that only ever
 * runs LISTEN. It is non-blocking throughout: the connection is started with
 * PQconnectStartParams() and advanced by store_listen_connect() only when
 * its socket is ready (poll() with no wait), so the event loop that drives it
 * never waits on the network (a host name is still resolved in the start,
 * as by the main connection). Once connected it is PQsetnonblocking(), and
 * store_listen_read() reads what the socket has (PQconsumeInput) and maps
 * the notifications to events. */
#include "mc_time.h"
#include "store_sqlite_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mc_log.h"
#include "store_pg.h"

#define STORE_PG_LISTEN_NAME "motcua-listen" /* its application_name */
#define LISTEN_SQL                                                                                 \
    "LISTEN " STORE_PG_CHANNEL_FEED "; LISTEN " STORE_PG_CHANNEL_TEACH                             \
    "; LISTEN " STORE_PG_CHANNEL_RELOAD "; LISTEN " STORE_PG_CHANNEL_OFFICE

struct store_listen {
    struct store *st;    /* borrowed: its connection's parameters, its backend pid */
    PGconn *conn;        /* NULL between attempts */
    char **keys, **vals; /* the main connection's parameters, copied (NULL-terminated) */
    int64_t deadline_ms; /* an attempt still connecting after this fails */
    bool connected;      /* CONNECTION_OK reached, LISTEN sent */
    bool listening;      /* LISTEN answered: notifications flow */
    bool wants_write;    /* the connection step waits for the socket to be writable */
};

static void free_params(struct store_listen *l)
{
    size_t i;

    for (i = 0; l->keys && l->keys[i]; i++) {
        free(l->keys[i]);
        free(l->vals[i]);
    }
    free(l->keys);
    free(l->vals);
    l->keys = l->vals = NULL;
}

/* Copies the parameters the main connection was made with (set ones only). */
static int copy_params(struct store_listen *l, PGconn *main_conn)
{
    PQconninfoOption *opts = PQconninfo(main_conn), *o;
    size_t n = 0, i = 0;
    int rc = -ENOMEM;

    if (!opts)
        return -ENOMEM;
    for (o = opts; o->keyword; o++)
        n += o->val && o->val[0];
    l->keys = calloc(n + 2, sizeof(*l->keys)); /* + application_name */
    l->vals = calloc(n + 2, sizeof(*l->vals));
    if (!l->keys || !l->vals)
        goto out;
    for (o = opts; o->keyword; o++) {
        /* named for pg_stat_activity: an operator (or a test) tells it from the batch's */
        bool name = strcmp(o->keyword, "application_name") == 0;

        if (!name && (!o->val || !o->val[0]))
            continue;
        l->keys[i] = strdup(o->keyword);
        l->vals[i] = strdup(name ? STORE_PG_LISTEN_NAME : o->val);
        if (!l->keys[i] || !l->vals[i]) {
            free(l->keys[i]); /* the pair is not counted: free_params stops before it */
            free(l->vals[i]);
            l->keys[i] = l->vals[i] = NULL;
            goto out;
        }
        i++;
    }
    rc = 0;
out:
    PQconninfoFree(opts);
    return rc;
}

int store_listen_new(struct store *st, struct store_listen **out, struct mc_err *err)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_listen *l;

    *out = NULL;
    if (!pg)
        return 0; /* SQLite: one file, nothing to listen to */
    l = calloc(1, sizeof(*l));
    if (!l || copy_params(l, store_pg_conn(pg))) {
        mc_err_set(err, "data.state_url: out of memory");
        store_listen_free(l);
        return -ENOMEM;
    }
    l->st = st;
    *out = l;
    return 0;
}

void store_listen_close(struct store_listen *l)
{
    if (!l)
        return;
    PQfinish(l->conn); /* NULL is a no-op */
    l->conn = NULL;
    l->connected = l->listening = l->wants_write = false;
}

void store_listen_free(struct store_listen *l)
{
    if (!l)
        return;
    store_listen_close(l);
    free_params(l);
    free(l);
}

/* libpq prints what the server says outside a query (its "terminating
 * connection" before it closes one) on stderr; the loss is logged as
 * event=notify.down instead. */
static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Whether the socket of a connection in progress is ready for the next
 * PQconnectPoll() (which must not be called before: it would take a connect
 * still in progress for done). */
static bool socket_ready(const struct store_listen *l)
{
    struct pollfd p = {.fd = PQsocket(l->conn), .events = l->wants_write ? POLLOUT : POLLIN};

    return p.fd >= 0 && poll(&p, 1, 0) > 0;
}

int store_listen_connect(struct store_listen *l)
{
    PostgresPollingStatusType s;

    if (l->connected)
        return PQsocket(l->conn);
    if (!l->conn) {
        l->conn =
            PQconnectStartParams((const char *const *)l->keys, (const char *const *)l->vals, 0);
        if (!l->conn || PQstatus(l->conn) == CONNECTION_BAD)
            goto fail;
        PQsetNoticeProcessor(l->conn, quiet_notice, NULL);
        l->deadline_ms = mc_mono_ms() + 1000 * strtol(STORE_PG_CONNECT_TIMEOUT, NULL, 10);
        l->wants_write = true; /* libpq's first step: the connect */
    }
    if (mc_mono_ms() > l->deadline_ms)
        goto fail;
    if (!socket_ready(l))
        return 0;
    s = PQconnectPoll(l->conn);
    if (s == PGRES_POLLING_FAILED)
        goto fail;
    if (s != PGRES_POLLING_OK) {
        l->wants_write = s == PGRES_POLLING_WRITING;
        return 0;
    }
    /* connected: from now on nothing waits, and LISTEN's answer comes with the reads (a
     * fresh socket takes its few bytes at once; store_listen_read() flushes any rest) */
    if (PQsetnonblocking(l->conn, 1) || !PQsendQuery(l->conn, LISTEN_SQL) || PQflush(l->conn) < 0)
        goto fail;
    l->connected = true;
    return PQsocket(l->conn);

fail:
    mc_log(MC_LOG_DEBUG, "notify.connect", "result=failed error=\"%.160s\"",
           l->conn ? PQerrorMessage(l->conn) : "out of memory");
    store_listen_close(l);
    return -EIO;
}

int store_listen_read(struct store_listen *l, unsigned *events)
{
    PGnotify *nt;
    PGresult *r;

    *events = 0;
    if (!l->connected || !PQconsumeInput(l->conn) || PQflush(l->conn) < 0)
        return -EIO;
    /* LISTEN's results (one per statement), then nothing more ever */
    while (!l->listening && !PQisBusy(l->conn)) {
        r = PQgetResult(l->conn);
        if (!r) {
            l->listening = true; /* every LISTEN answered: from now on nothing is missed */
            *events |= STORE_EVENT_LISTENING;
            break;
        }
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            mc_log(MC_LOG_ERROR, "notify.listen", "result=failed error=\"%.160s\"",
                   PQresultErrorMessage(r));
            PQclear(r);
            return -EIO;
        }
        PQclear(r);
    }
    while ((nt = PQnotifies(l->conn)) != NULL) {
        if (strcmp(nt->relname, STORE_PG_CHANNEL_FEED) == 0)
            *events |= STORE_EVENT_FEED;
        else if (strcmp(nt->relname, STORE_PG_CHANNEL_TEACH) == 0)
            *events |= STORE_EVENT_TEACH;
        else if (strcmp(nt->relname, STORE_PG_CHANNEL_OFFICE) == 0)
            *events |= STORE_EVENT_OFFICE;
        else if (strcmp(nt->relname, STORE_PG_CHANNEL_RELOAD) == 0 &&
                 !store_pg_own_backend(store_pg_of(l->st), nt->be_pid))
            *events |= STORE_EVENT_RELOAD; /* its own request this node reloads already */
        PQfreemem(nt);
    }
    return PQstatus(l->conn) == CONNECTION_OK ? 0 : -EIO;
}

int store_notify_reload(struct store *st, int64_t *rev)
{
    struct store_pg *pg = store_pg_of(st);
    PGresult *r;
    int rc = -EIO;

    *rev = 0;
    if (!pg)
        return -ENOTSUP;
    /* a unit of the batch: the revision and the notification leave with its commit (this
     * pass of the loop), or neither does; a failure undoes this unit alone */
    if (store_pg_unit_begin(pg))
        return -EIO;
    r = store_pg_exec(
        pg,
        "WITH u AS (UPDATE reload_rev SET rev = greatest(rev + 1, nextval('reload_rev_seq')) "
        "WHERE id = 1 RETURNING rev) "
        "SELECT rev, pg_notify('" STORE_PG_CHANNEL_RELOAD "', rev::text) FROM u",
        NULL);
    if (r && PQntuples(r) == 1) {
        *rev = store_pg_int(r, 0, 0);
        rc = 0;
    }
    PQclear(r);
    if (store_pg_unit_end(pg, rc == 0))
        rc = -EIO;
    return rc;
}

int store_reload_rev(struct store *st, int64_t *rev)
{
    struct store_pg *pg = store_pg_of(st);
    PGresult *r;
    int rc;

    *rev = 0;
    if (!pg)
        return -ENOTSUP;
    r = store_pg_exec(pg, "SELECT rev FROM reload_rev WHERE id = 1", NULL);
    rc = r && PQntuples(r) == 1 ? 0 : -EIO;
    if (!rc)
        *rev = store_pg_int(r, 0, 0);
    PQclear(r);
    return rc;
}
