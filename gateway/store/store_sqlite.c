/* gateway/store/store_sqlite.c - the SQLite back-end of store.h: one WAL database
 * file, every statement prepared once in store_open() and kept until
 * store_free(). The batch is one BEGIN IMMEDIATE transaction; units are
 * savepoints inside it.
 *
 * This file opens and closes the store (pragmas, the busy handler, the
 * owner id of its outbox claims), holds the table of its statements, and
 * runs the batch, the units and the commit every write goes through. The
 * rest of the back-end is split by topic, so each file reads in one
 * sitting: store_sqlite_schema.c (the migrations), store_sqlite_ckpt.c (the
 * checkpointer thread), store_sqlite_turn.c (sessions and turn records),
 * store_sqlite_chan.c (the outbox, seen webhook events, the channels'
 * options and tokens); what they share is in store_sqlite_int.h.
 *
 * Threads: everything here runs on the caller's (event-loop) thread; the
 * checkpointer (store_sqlite_ckpt.c) is the one other thread, with its own
 * connection. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mc_log.h"
#include "store_pg.h"

#define SESSION_COLS "id, token, channel, coalesce(user_key, ''), last_seen, state, version"

/* Every statement the store runs; nothing else is ever prepared. */
static const char *const sql[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SAVEPOINT] = "SAVEPOINT unit",
    [Q_RELEASE] = "RELEASE unit",
    [Q_ROLLBACK_TO] = "ROLLBACK TO unit",
    [Q_BY_TOKEN] = "SELECT " SESSION_COLS " FROM session WHERE token = ?1",
    [Q_BY_USER] = "SELECT " SESSION_COLS " FROM session WHERE channel = ?1 AND user_key = ?2",
    [Q_SESSION_INSERT] = "INSERT INTO session (token, channel, user_key, created, last_seen) "
                         "VALUES (?1, ?2, ?3, ?4, ?4)",
    /* compare-and-swap on the version: a worker holding an older copy of the
     * session changes nothing and reloads (see store_turn_save); and the
     * resend key: a message (?5) answered already changes nothing either */
    [Q_SESSION_SAVE] = "UPDATE session SET state = ?2, last_seen = ?3, version = version + 1 "
                       "WHERE id = ?1 AND version = ?4 AND NOT EXISTS (SELECT 1 FROM turn "
                       "WHERE session_id = ?1 AND msg_id = ?5 AND role = 'bot')",
    [Q_SESSION_EXISTS] = "SELECT 1 FROM session WHERE id = ?1",
    [Q_TURN_INSERT] = "INSERT INTO turn (session_id, ts, channel, user_hash, role, text, label, "
                      "confidence, decision, procedure, latency_us, msg_id) VALUES "
                      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [Q_HISTORY] = "SELECT role, text, ts, msg_id FROM (SELECT id, role, text, ts, msg_id "
                  "FROM turn WHERE session_id = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id",
    [Q_FIND_REPLY] = "SELECT text FROM turn WHERE session_id = ?1 AND msg_id = ?2 AND "
                     "role = 'bot' ORDER BY id DESC LIMIT 1",
    [Q_OUTBOX_ADD] = "INSERT INTO outbox (channel, user_key, body, created, next_try) "
                     "VALUES (?1, ?2, ?3, ?4, ?4)",
    /* the oldest queued row of each citizen, if it is due and no other handle's live claim
     * holds it: order per user, one sender per row */
    [Q_OUTBOX_DUE] = "SELECT o.id, o.channel, o.user_key, o.body, o.attempts, o.created, "
                     "o.claimed_by, o.claimed_until "
                     "FROM outbox o WHERE o.state = 'queued' AND o.next_try <= ?1 AND "
                     "(o.claimed_until <= ?1 OR o.claimed_by = ?3 OR "
                     "NOT motcua_owner_alive(o.claimed_by)) AND "
                     "o.id = (SELECT min(p.id) FROM outbox p WHERE p.channel = o.channel "
                     "AND p.user_key = o.user_key AND p.state = 'queued') AND o.id < ?4 "
                     "ORDER BY o.id LIMIT ?2",
    [Q_OUTBOX_DONE] = "UPDATE outbox SET state = ?2, attempts = ?3 WHERE id = ?1",
    /* under the write lock the claim is checked again: of two handles, one wins */
    [Q_OUTBOX_CLAIM] = "UPDATE outbox SET claimed_by = ?2, claimed_until = ?3 WHERE id = ?1 AND "
                       "(claimed_until <= ?4 OR claimed_by = ?2 OR "
                       "NOT motcua_owner_alive(claimed_by))",
    /* a handle closing gives its claims back: a restarted node resends at once */
    [Q_OUTBOX_RELEASE] = "UPDATE outbox SET claimed_until = 0 WHERE claimed_by = ?1 AND "
                         "state = 'queued'",
    [Q_OUTBOX_RETRY] = "UPDATE outbox SET attempts = ?2, next_try = ?3, claimed_until = 0 "
                       "WHERE id = ?1",
    [Q_OUTBOX_PENDING] = "SELECT count(*) FROM outbox WHERE state = 'queued'",
    [Q_EVENT_SEEN] = "INSERT OR IGNORE INTO seen_event VALUES (?1, ?2, ?3)",
    [Q_OPTIONS_GET] = "SELECT options FROM chan_options WHERE channel = ?1 AND user_key = ?2",
    [Q_OPTIONS_PUT] = "INSERT OR REPLACE INTO chan_options VALUES (?1, ?2, ?3)",
    [Q_TOKEN_GET] = "SELECT access_token, coalesce(refresh_token, '') FROM chan_token "
                    "WHERE channel = ?1",
    [Q_TOKEN_PUT] = "INSERT OR REPLACE INTO chan_token VALUES (?1, ?2, ?3, ?4)",
};

struct store_pg *store_pg_of(const struct store *st)
{
    return st->pg;
}

int store_pg_missing(const char *fn)
{
    mc_log(MC_LOG_ERROR, "state.not_implemented", "backend=postgresql function=%s", fn);
    return -ENOSYS;
}

int store_require_complete(const struct store *st, struct mc_err *err)
{
    if (!st->pg || !store_pg_missing_list()[0])
        return 0;
    mc_log(MC_LOG_ERROR, "state.incomplete", "backend=postgresql not_implemented=\"%s\"",
           store_pg_missing_list());
    mc_err_set(err, "data.state_url: the PostgreSQL back-end is not complete yet (the functions "
                    "it lacks are in the log; docs/scaling.md)");
    return -ENOSYS;
}

sqlite3 *store_sqlite_db(struct store *st)
{
    return st->db;
}

struct store_hq *store_sqlite_hq(struct store *st)
{
    return st->hq;
}

struct store_oq *store_sqlite_oq(struct store *st)
{
    return st->oq;
}

struct store_idkey *store_sqlite_idkey(struct store *st)
{
    return &st->idk;
}

/* Creates the database's folder when it is missing (one level, like a fresh
 * build/state or /var/lib/motcua), so a first start needs no manual step. */
static void make_parent_dir(const char *path)
{
    char dir[1024];
    char *slash;

    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return;
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    (void)mkdir(dir, 0750);
}

/* SQLite's own busy_timeout sleeps 1, 2, 5, 10 ... 100 ms between tries:
 * with several worker processes (listen.workers), each holding the write
 * lock for one pass of its event loop (well under a millisecond to a few),
 * that turned a short wait into tens of milliseconds of p99. Poll finely
 * instead, for the same total. */
static int busy_wait(void *ctx, int tries)
{
    struct timespec ts = {0, STORE_BUSY_STEP_US * 1000L};

    (void)ctx;
    if ((long)tries * STORE_BUSY_STEP_US >= STORE_BUSY_MS * 1000L)
        return 0; /* give up: SQLITE_BUSY, the batch fails and its replies become errors */
    nanosleep(&ts, NULL);
    return 1;
}

/* 32 random bits (never 0). */
static uint32_t random32(void)
{
    uint32_t v = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        if (read(fd, &v, sizeof v) != (ssize_t)sizeof v)
            v = 0;
        close(fd);
    }
    if (!v) /* no /dev/urandom: still distinct per handle */
        v = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)&v ^ (uint32_t)getpid();
    return v ? v : 1;
}

/* The owner id of a handle's outbox claims, > 0. SQLite: the process id in
 * the high 32 bits (motcua_owner_alive), random low bits (handles of one
 * process differ). PostgreSQL: random, 63 bits (nodes in containers share
 * process ids). */
static int64_t new_owner(bool pg)
{
    uint64_t high = pg ? random32() & 0x7fffffffu : (uint64_t)getpid();

    return (int64_t)(high << 32 | random32());
}

/* SQL function motcua_owner_alive(owner): whether the process that made
 * the claim still runs. A SQLite file is one machine's: a claim of a
 * process that died (SIGKILL, a crash) is void at once, and its rows are
 * sent again without waiting for the lease, as before claims existed. On
 * PostgreSQL, nodes on other machines, the lease decides (store_pg_state.c). */
static void owner_alive(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int64_t pid = argc == 1 ? sqlite3_value_int64(argv[0]) >> 32 : 0;

    sqlite3_result_int(ctx, pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM));
}

struct store *store_open(const char *path, struct mc_err *err)
{
    struct store *st;
    int i;

    st = calloc(1, sizeof(*st));
    if (!st) {
        mc_err_set(err, "%s: out of memory", store_pg_is_url(path) ? "data.state_url" : path);
        return NULL;
    }
    st->owner = new_owner(store_pg_is_url(path));
    st->lease_ms = STORE_OUTBOX_LEASE_MS;
    if (store_pg_is_url(path)) { /* never in a message: the URL may hold a password */
        st->pg = store_pg_open(path, st->owner, err);
        if (!st->pg)
            goto fail;
        return st;
    }
    make_parent_dir(path);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        goto fail_sqlite;
    sqlite3_busy_handler(st->db, busy_wait, NULL);
    /* WAL: readers never block the writer. NORMAL sync makes a commit durable
     * across a process crash (SIGKILL), which is what a reply promises; an OS
     * crash or power loss may lose the last batches, never corrupt the file. */
    if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
                     NULL) != SQLITE_OK)
        goto fail_sqlite;
    if (store_sqlite_migrate(st->db, path, err))
        goto fail;
    if (sqlite3_create_function(st->db, "motcua_owner_alive", 1, SQLITE_UTF8, NULL, owner_alive,
                                NULL, NULL) != SQLITE_OK)
        goto fail_sqlite;
    for (i = 0; i < Q_COUNT; i++)
        if (sqlite3_prepare_v3(st->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->q[i], NULL) !=
            SQLITE_OK)
            goto fail_sqlite;
    st->hq = store_hq_open(st->db);
    if (!st->hq)
        goto fail_sqlite;
    st->oq = store_oq_open(st->db);
    if (!st->oq)
        goto fail_sqlite;
    st->ck = store_ckpt_start(st->db, path);
    if (!st->ck)
        mc_log(MC_LOG_WARN, "state.checkpointer", "path=%s result=not_started fallback=inline",
               path);
    return st;

fail_sqlite:
    mc_err_set(err, "%s: %s", path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
fail:
    store_free(st);
    return NULL;
}

void store_free(struct store *st)
{
    int i;

    if (!st)
        return;
    store_pg_free(st->pg);
    if (st->batch && st->q[Q_ROLLBACK]) {
        mc_log(MC_LOG_WARN, "state.rollback", "reason=closed_before_commit");
        sqlite3_step(st->q[Q_ROLLBACK]);
    }
    if (st->claimed) { /* a node stopping gives its claims back: a restart resends at once */
        sqlite3_stmt *q = st->q[Q_OUTBOX_RELEASE];

        if (sqlite3_bind_int64(q, 1, st->owner) != SQLITE_OK || sqlite3_step(q) != SQLITE_DONE)
            mc_log(MC_LOG_WARN, "outbox.release_failed", "action=lease_expires");
        sqlite3_reset(q);
    }
    if (st->ck) {
        sqlite3_wal_hook(st->db, NULL, NULL);
        store_ckpt_free(st->ck); /* first: the last connection to close checkpoints the WAL */
    }
    for (i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(st->q[i]);
    store_hq_free(st->hq);
    store_oq_free(st->oq);
    sqlite3_close(st->db);
    free(st);
}

int store_sqlite_prepare(struct store *st, const char *text, sqlite3_stmt **q)
{
    *q = NULL;
    if (st->pg) /* a function PostgreSQL lacks, reached anyway: an error, never a crash */
        return store_pg_missing("store_sqlite_prepare");
    if (sqlite3_prepare_v2(st->db, text, -1, q, NULL) == SQLITE_OK)
        return 0;
    mc_log(MC_LOG_ERROR, "state.db", "prepare error=\"%s\"", sqlite3_errmsg(st->db));
    sqlite3_finalize(*q);
    *q = NULL;
    return -EIO;
}

void store_get_stats(const struct store *st, struct store_stats *out)
{
    if (st->pg)
        store_pg_get_stats(st->pg, out);
    else
        *out = st->stats;
}

/* Runs statement q to its end. Returns 0 or -EIO. */
int store_sqlite_run(struct store *st, enum store_q q)
{
    int rc = sqlite3_step(st->q[q]);

    sqlite3_reset(st->q[q]);
    sqlite3_clear_bindings(st->q[q]);
    if (rc == SQLITE_DONE)
        return 0;
    mc_log(MC_LOG_ERROR, "state.db", "q=%d error=\"%s\"", (int)q, sqlite3_errmsg(st->db));
    return -EIO;
}

/* Steps a bound query and returns its first column as new text, or NULL. */
char *store_sqlite_first_text(struct store *st, enum store_q which)
{
    sqlite3_stmt *q = st->q[which];
    char *text = NULL;

    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
        text = strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return text;
}

bool store_in_batch(const struct store *st)
{
    if (st->pg)
        return store_pg_in_batch(st->pg);
    return st->batch;
}

bool store_ready(struct store *st)
{
    return !st->pg || store_pg_ready(st->pg);
}

/* Opens the batch if none is open. A batch that SQLite rolled back on its
 * own (an I/O error, a full disk) is marked broken first: the writes it held
 * are gone, so its commit must fail even if later writes succeed. */
int store_sqlite_batch(struct store *st)
{
    if (st->batch && sqlite3_get_autocommit(st->db)) {
        st->broken = true;
        st->batch = false;
        st->units = 0;
    }
    if (st->batch)
        return 0;
    if (store_sqlite_run(st, Q_BEGIN))
        return -EIO;
    st->batch = true;
    st->outbox_floor = INT64_MAX;
    return 0;
}

int store_commit(struct store *st)
{
    bool lost;

    if (st->pg)
        return store_pg_commit(st->pg);
    if (st->units)
        return -EBUSY;
    if (!st->batch && !st->broken)
        return 0;
    lost = st->broken || sqlite3_get_autocommit(st->db);
    if (!lost && store_sqlite_run(st, Q_COMMIT) == 0) {
        st->batch = false;
        st->stats.commits++;
        return 0;
    }
    if (!sqlite3_get_autocommit(st->db))
        (void)store_sqlite_run(st, Q_ROLLBACK);
    st->batch = false;
    st->broken = false;
    st->stats.failures++;
    mc_log(MC_LOG_ERROR, "state.commit_failed", "action=rolled_back");
    return -EIO;
}

int store_unit_begin(struct store *st)
{
    if (st->pg)
        return store_pg_unit_begin(st->pg);
    if (store_sqlite_batch(st) || store_sqlite_run(st, Q_SAVEPOINT))
        return -EIO;
    st->units++;
    return 0;
}

int store_unit_end(struct store *st, bool keep)
{
    int rc = 0;

    if (st->pg)
        return store_pg_unit_end(st->pg, keep);
    if (!st->units)
        return -EINVAL;
    st->units--;
    if (!keep)
        rc = store_sqlite_run(st, Q_ROLLBACK_TO);
    if (store_sqlite_run(st, Q_RELEASE))
        rc = -EIO;
    if (rc)
        st->broken = true; /* a unit half undone: the batch cannot be trusted */
    return rc;
}

const char *store_sqlite_text(sqlite3_stmt *q, int i)
{
    const char *t = (const char *)sqlite3_column_text(q, i);

    return t ? t : "";
}
