/* gateway/store/store_sqlite.c - the SQLite back-end of store.h: one WAL database
 * file, every statement prepared once in store_open() and kept until
 * store_free(). The batch is one BEGIN IMMEDIATE transaction; units are
 * savepoints inside it.
 *
 * Threads: everything here runs on the caller's (event-loop) thread except
 * the checkpointer, a thread of the store's own with its own connection,
 * which copies the WAL back into the database file (and syncs it) once the
 * WAL holds STORE_CKPT_FRAMES frames: what SQLite's auto-checkpoint did
 * inside the commit that crossed the limit, stalling the event loop for
 * that pass (ckpt_main). It shares only its wake-up flags (under a mutex)
 * with the loop. A commit is durable when it returns, as before: the
 * checkpoint only moves committed pages. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

#define STORE_BUSY_MS 2000     /* wait this long for another process's write lock */
#define STORE_BUSY_STEP_US 50  /* ... polling this often: a worker holds it for one short pass */
#define STORE_CKPT_FRAMES 1000 /* WAL frames that wake the checkpointer (SQLite's own default) */
#define STORE_CKPT_BUSY_MS 20  /* the checkpointer's longest wait for the write lock or readers */
#define STORE_CKPT_RESTART_FRAMES                                                                  \
    (4 * STORE_CKPT_FRAMES) /* WAL frames that also restart it: a short stall of the writers */

/* The checkpointer thread and what it shares with the event loop (under mu). */
struct store_ckpt {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool due;     /* the WAL reached STORE_CKPT_FRAMES: checkpoint it (under mu) */
    bool restart; /* ... and STORE_CKPT_RESTART_FRAMES: restart it too (under mu) */
    bool stop;    /* store_free(): end the thread (under mu) */
    sqlite3 *db;  /* the checkpointer's own connection: used by its thread only */
    int woke_at;  /* WAL frames at the last wake-up: read and written by the loop only */
};

/* Migrations, applied in order; migration i brings user_version from i to
 * i + 1. Never edit one that has shipped: add the next. */
static const char *const migrations[] = {
    /* 0 -> 1: sessions and turns */
    "CREATE TABLE session ("
    "  id INTEGER PRIMARY KEY,"
    "  token TEXT NOT NULL UNIQUE,"
    "  channel TEXT NOT NULL,"
    "  user_key TEXT,"
    "  created INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT '{}');"
    "CREATE UNIQUE INDEX session_user ON session (channel, user_key) WHERE user_key IS NOT NULL;"
    "CREATE TABLE turn ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id INTEGER NOT NULL REFERENCES session (id),"
    "  ts INTEGER NOT NULL,"
    "  channel TEXT NOT NULL,"
    "  user_hash TEXT,"
    "  role TEXT NOT NULL CHECK (role IN ('user', 'bot')),"
    "  text TEXT NOT NULL,"
    "  label TEXT, confidence REAL, decision TEXT, procedure TEXT,"
    "  latency_us INTEGER, msg_id TEXT);"
    "CREATE INDEX turn_session ON turn (session_id, id);",
    /* 1 -> 2: de-duplication of resent messages and the channel outbox */
    "CREATE INDEX turn_msg ON turn (session_id, msg_id) WHERE msg_id IS NOT NULL;"
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  channel TEXT NOT NULL,"
    "  user_key TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_try INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')));"
    "CREATE INDEX outbox_due ON outbox (state, next_try);"
    "CREATE TABLE seen_event (channel TEXT NOT NULL, event_id TEXT NOT NULL, ts INTEGER NOT NULL,"
    "  PRIMARY KEY (channel, event_id));",
    /* 2 -> 3: refreshed channel tokens, numbered options offered per user */
    "CREATE TABLE chan_token (channel TEXT PRIMARY KEY, access_token TEXT NOT NULL,"
    "  refresh_token TEXT, updated INTEGER NOT NULL);"
    "CREATE TABLE chan_options (channel TEXT NOT NULL, user_key TEXT NOT NULL,"
    "  options TEXT NOT NULL, PRIMARY KEY (channel, user_key));"
    "CREATE INDEX outbox_user ON outbox (channel, user_key, state, id);",
    /* 3 -> 4: a row version, so worker processes never interleave a session's turns */
    "ALTER TABLE session ADD COLUMN version INTEGER NOT NULL DEFAULT 0;",
    /* 4 -> 5: officer accounts, their sessions (only a hash of the cookie) and the audit log */
    "CREATE TABLE officer (username TEXT PRIMARY KEY, name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('officer', 'admin')), unit TEXT NOT NULL DEFAULT '',"
    "  hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
    "CREATE TABLE officer_session (token_hash TEXT PRIMARY KEY,"
    "  username TEXT NOT NULL REFERENCES officer (username), csrf TEXT NOT NULL,"
    "  created INTEGER NOT NULL, expires INTEGER NOT NULL);"
    "CREATE INDEX officer_session_user ON officer_session (username);"
    "CREATE INDEX officer_session_expires ON officer_session (expires);"
    "CREATE TABLE audit (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, username TEXT NOT NULL,"
    "  action TEXT NOT NULL, conversation TEXT, ip TEXT, detail TEXT);"
    "CREATE INDEX audit_user ON audit (action, username, ts);"
    "CREATE INDEX audit_ip ON audit (action, ip, ts);",
    /* 5 -> 6: handoff to an officer (a row per session ever handed off), its
     * messages (msg_id: a citizen's client id, so a resend is stored once),
     * and the feed every worker polls; AUTOINCREMENT: a feed id is never
     * given twice, even after the newest rows were pruned */
    "CREATE TABLE handoff (session_id INTEGER PRIMARY KEY REFERENCES session (id),"
    "  state TEXT NOT NULL CHECK (state IN ('bot', 'pending', 'officer', 'closed')),"
    "  channel TEXT NOT NULL, user_key TEXT NOT NULL DEFAULT '',"
    "  procedure TEXT NOT NULL DEFAULT '', locality TEXT NOT NULL DEFAULT '',"
    "  waiting_since INTEGER NOT NULL DEFAULT 0, officer TEXT NOT NULL DEFAULT '',"
    "  updated INTEGER NOT NULL, last_citizen_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX handoff_queue ON handoff (state, waiting_since, session_id);"
    "CREATE INDEX handoff_recent ON handoff (state, updated, session_id);"
    "CREATE TABLE handoff_message (id INTEGER PRIMARY KEY,"
    "  session_id INTEGER NOT NULL REFERENCES session (id),"
    "  sender TEXT NOT NULL CHECK (sender IN ('citizen', 'officer', 'system')),"
    "  officer TEXT NOT NULL DEFAULT '', text TEXT NOT NULL, ts_ms INTEGER NOT NULL, msg_id TEXT);"
    "CREATE INDEX handoff_message_session ON handoff_message (session_id, id);"
    "CREATE UNIQUE INDEX handoff_message_msg ON handoff_message (session_id, msg_id)"
    "  WHERE msg_id IS NOT NULL;"
    "CREATE TABLE feed (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
    "  session_id INTEGER NOT NULL, message_id INTEGER NOT NULL DEFAULT 0,"
    "  officer TEXT NOT NULL DEFAULT '', ts_ms INTEGER NOT NULL);"
    "CREATE INDEX feed_ts ON feed (ts_ms);",
    /* 6 -> 7: reports read the turn records by time (a range search, not a scan) */
    "CREATE INDEX turn_ts ON turn (ts);",
    /* 7 -> 8: the commune's own data, edited by admins (store_office.c): office
     * fields over data/offices, local fee/time notes and officials' notes on
     * guides, and the revision every worker polls to pick up a change */
    "CREATE TABLE office_override (code TEXT NOT NULL, field TEXT NOT NULL,"
    "  value TEXT NOT NULL, officer TEXT NOT NULL, ts INTEGER NOT NULL,"
    "  PRIMARY KEY (code, field));"
    "CREATE TABLE guide_local (procedure TEXT NOT NULL, field TEXT NOT NULL,"
    "  text TEXT NOT NULL, officer TEXT NOT NULL, ts INTEGER NOT NULL,"
    "  PRIMARY KEY (procedure, field));"
    "CREATE TABLE guide_note (id INTEGER PRIMARY KEY, procedure TEXT NOT NULL,"
    "  field TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('confirmed', 'wrong')),"
    "  comment TEXT NOT NULL, officer TEXT NOT NULL, ts INTEGER NOT NULL);"
    "CREATE INDEX guide_note_procedure ON guide_note (procedure, id);"
    "CREATE TABLE local_rev (id INTEGER PRIMARY KEY CHECK (id = 1), rev INTEGER NOT NULL);"
    "INSERT INTO local_rev VALUES (1, 0);",
    /* 8 -> 9: phrases admins taught (gateway/admin/teach.h) and their revision, bumped by every
     * add and delete in the same unit: each worker compares it with the one its index was built
     * at; AUTOINCREMENT: an id is never given twice, so a DELETE never hits a newer phrase */
    "CREATE TABLE taught_phrase (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL,"
    "  label TEXT NOT NULL, officer TEXT NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE taught_rev (id INTEGER PRIMARY KEY CHECK (id = 1), rev INTEGER NOT NULL);"
    "INSERT INTO taught_rev VALUES (1, 0);",
    /* 9 -> 10: citizens' votes on the bot's answers, one per answer (its bot
     * turn record): a second vote replaces the first (store_feedback.c) */
    "CREATE TABLE feedback (session_id INTEGER NOT NULL REFERENCES session (id),"
    "  turn_id INTEGER NOT NULL REFERENCES turn (id), msg_id TEXT, ts INTEGER NOT NULL,"
    "  vote TEXT NOT NULL CHECK (vote IN ('up', 'down')), procedure TEXT NOT NULL DEFAULT '',"
    "  channel TEXT NOT NULL, comment TEXT, PRIMARY KEY (session_id, turn_id));"
    "CREATE INDEX feedback_ts ON feedback (ts);",
    /* 10 -> 11: personal data (store_privacy.c): the key of the platform user
     * ids' hashes when none is configured, and the indexes retention deletes
     * by (a purge step reads a few old rows, never the whole table) */
    "CREATE TABLE privacy_key (id INTEGER PRIMARY KEY CHECK (id = 1), key TEXT NOT NULL);"
    "CREATE INDEX session_last_seen ON session (last_seen);"
    "CREATE INDEX session_created ON session (created);"
    "CREATE INDEX handoff_message_ts ON handoff_message (ts_ms);"
    "CREATE INDEX seen_event_ts ON seen_event (ts);"
    "CREATE INDEX audit_conversation ON audit (conversation) WHERE conversation IS NOT NULL;",
    /* 11 -> 12: citizens' checklist pages /p/<token> (store_share.c): a snapshot of the
     * checklist, found by its token, reused while the same session shares the same content
     * (digest), deleted when it expires (retention) or its session is forgotten */
    "CREATE TABLE share (token TEXT PRIMARY KEY, session_id INTEGER NOT NULL,"
    "  digest TEXT NOT NULL, body TEXT NOT NULL, created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL);"
    "CREATE INDEX share_session ON share (session_id, digest);"
    "CREATE INDEX share_expires ON share (expires);",
    /* 12 -> 13: outbox claims: which store handle sends a row, until when (a lease), so
     * worker processes and nodes (PostgreSQL) never send one row twice (store_outbox_due) */
    ("ALTER TABLE outbox ADD COLUMN claimed_by INTEGER NOT NULL DEFAULT 0;" /* (): one element */
     "ALTER TABLE outbox ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;"),
    /* 13 -> 14: the revision of reloads asked of every node (POST /admin/reload?all=1), so a
     * node whose LISTEN was down when it was asked still reloads (store_reload_rev). Used on
     * PostgreSQL only (one SQLite file has no other node): kept here so both schemas match */
    "CREATE TABLE reload_rev (id INTEGER PRIMARY KEY CHECK (id = 1), rev INTEGER NOT NULL);"
    "INSERT INTO reload_rev VALUES (1, 0);",
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
               "one migration per schema version");

enum store_q {
    Q_BEGIN,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_SAVEPOINT,
    Q_RELEASE,
    Q_ROLLBACK_TO,
    Q_BY_TOKEN,
    Q_BY_USER,
    Q_SESSION_INSERT,
    Q_SESSION_SAVE,
    Q_SESSION_EXISTS,
    Q_TURN_INSERT,
    Q_HISTORY,
    Q_FIND_REPLY,
    Q_OUTBOX_ADD,
    Q_OUTBOX_DUE,
    Q_OUTBOX_CLAIM,
    Q_OUTBOX_RELEASE,
    Q_OUTBOX_DONE,
    Q_OUTBOX_RETRY,
    Q_OUTBOX_PENDING,
    Q_EVENT_SEEN,
    Q_OPTIONS_GET,
    Q_OPTIONS_PUT,
    Q_TOKEN_GET,
    Q_TOKEN_PUT,
    Q_COUNT
};

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

struct store {
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
    bool batch;     /* BEGIN IMMEDIATE done, COMMIT not yet */
    bool broken;    /* the batch lost writes (SQLite rolled it back): its commit fails */
    unsigned units; /* savepoints open */
    struct store_stats stats;
    struct store_hq *hq;    /* the handoff and feed statements (store_handoff.c) */
    struct store_oq *oq;    /* the officers' and audit statements (store_officer.c) */
    struct store_ckpt *ck;  /* NULL: SQLite checkpoints inside commits (the thread did not start) */
    struct store_idkey idk; /* the key of platform user ids' hashes (store_privacy.c) */
    struct store_pg *pg;    /* not NULL: the PostgreSQL back-end serves every call (no db) */
    int64_t owner;          /* > 0: this handle's outbox claims (new_owner) */
    bool claimed;           /* it claimed outbox rows: store_free() releases them */
    int64_t lease_ms;       /* a claim's life (store_outbox_set_lease) */
    int64_t outbox_floor;   /* the first outbox row the open batch added (INT64_MAX: none) */
};

struct store_pg *store_pg_of(const struct store *st)
{
    return st->pg;
}

void store_outbox_set_lease(struct store *st, int64_t lease_ms)
{
    st->lease_ms = lease_ms > 0 ? lease_ms : STORE_OUTBOX_LEASE_MS;
}

int64_t store_outbox_lease(const struct store *st)
{
    return st->lease_ms;
}

int64_t store_outbox_owner(const struct store *st)
{
    return st->owner;
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

static int migrate(sqlite3 *db, const char *path, struct mc_err *err)
{
    sqlite3_stmt *st = NULL;
    int version = -1, i;
    char *msg = NULL;
    char pragma[64];

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        mc_err_set(err, "%s: %s", path, sqlite3_errmsg(db));
        return -EIO;
    }
    version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > STORE_SCHEMA_VERSION) {
        mc_err_set(err, "%s: schema version %d is newer than this program's %d", path, version,
                   STORE_SCHEMA_VERSION);
        return -EINVAL;
    }
    for (i = version; i < STORE_SCHEMA_VERSION; i++) {
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", i + 1);
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, migrations[i], NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, pragma, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            mc_err_set(err, "%s: migration %d: %s", path, i + 1, msg ? msg : "failed");
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -EIO;
        }
        mc_log(MC_LOG_INFO, "state.migrate", "path=%s version=%d", path, i + 1);
    }
    return 0;
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

/* The checkpointer's busy handler: like busy_wait, but it gives up after
 * STORE_CKPT_BUSY_MS. A RESTART checkpoint waits for readers while it holds
 * the write lock, so every loop's next BEGIN waits as long; it tries again
 * on its next wake-up rather than stall them for long. */
static int ckpt_busy(void *ctx, int tries)
{
    struct timespec ts = {0, STORE_BUSY_STEP_US * 1000L};

    (void)ctx;
    if ((long)tries * STORE_BUSY_STEP_US >= STORE_CKPT_BUSY_MS * 1000L)
        return 0;
    nanosleep(&ts, NULL);
    return 1;
}

/* SQLite's WAL hook, on the event loop after each commit: wakes the
 * checkpointer for every STORE_CKPT_FRAMES written (once the WAL holds that
 * many), never waits for it. Not after every commit: the WAL stays above
 * STORE_CKPT_FRAMES until it restarts, and a checkpoint per commit would
 * sync the database file per commit. */
static int wal_grown(void *ctx, sqlite3 *db, const char *name, int frames)
{
    struct store_ckpt *ck = ctx;

    (void)db;
    (void)name;
    if (frames < ck->woke_at)
        ck->woke_at = 0; /* the WAL started over */
    if (frames >= STORE_CKPT_FRAMES && frames - ck->woke_at >= STORE_CKPT_FRAMES &&
        pthread_mutex_lock(&ck->mu) == 0) {
        ck->woke_at = frames;
        ck->due = true;
        ck->restart = ck->restart || frames >= STORE_CKPT_RESTART_FRAMES;
        pthread_cond_signal(&ck->cv);
        pthread_mutex_unlock(&ck->mu);
    }
    return SQLITE_OK;
}

/* The checkpointer, each time it is woken: a PASSIVE checkpoint copies what
 * the WAL holds while the event loop goes on writing. The loop commits again
 * before that ends, so under steady load the WAL is never all copied and
 * never starts over (SQLite's own auto-checkpoint has the same limit: with
 * two workers the WAL grew by 400-700 MB in 8 s of bench-ws load). So once
 * it holds STORE_CKPT_RESTART_FRAMES, a RESTART checkpoint follows: it takes
 * the write lock between two batches (the loops' next BEGIN waits for it,
 * busy_wait), copies the few frames written meanwhile, and lets the next
 * batch start the WAL from its beginning. One that finds the lock or a
 * reader busy past STORE_CKPT_BUSY_MS (ckpt_busy) is tried again on the
 * next wake-up. */
static void *ckpt_main(void *arg)
{
    struct store_ckpt *ck = arg;
    bool restart;

    pthread_mutex_lock(&ck->mu);
    for (;;) {
        while (!ck->due && !ck->stop)
            pthread_cond_wait(&ck->cv, &ck->mu);
        if (ck->stop)
            break;
        restart = ck->restart;
        ck->due = ck->restart = false;
        pthread_mutex_unlock(&ck->mu);
        (void)sqlite3_wal_checkpoint_v2(ck->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (restart)
            (void)sqlite3_wal_checkpoint_v2(ck->db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
        pthread_mutex_lock(&ck->mu);
    }
    pthread_mutex_unlock(&ck->mu);
    return NULL;
}

/* Ends the checkpointer and closes its connection. NULL is a no-op. */
static void ckpt_free(struct store_ckpt *ck)
{
    if (!ck)
        return;
    pthread_mutex_lock(&ck->mu);
    ck->stop = true;
    pthread_cond_signal(&ck->cv);
    pthread_mutex_unlock(&ck->mu);
    pthread_join(ck->thread, NULL);
    pthread_cond_destroy(&ck->cv);
    pthread_mutex_destroy(&ck->mu);
    sqlite3_close(ck->db);
    free(ck);
}

/* Starts the checkpointer of the database at path and hands it db's WAL
 * hook. NULL when it cannot start (memory, a thread, the connection): then
 * db keeps SQLite's own auto-checkpoint, which is only slower. */
static struct store_ckpt *ckpt_start(sqlite3 *db, const char *path)
{
    struct store_ckpt *ck = calloc(1, sizeof(*ck));

    if (!ck)
        return NULL;
    if (sqlite3_open_v2(path, &ck->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(ck->db, "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;", NULL, NULL,
                     NULL) != SQLITE_OK)
        goto fail_db;
    sqlite3_busy_handler(ck->db, ckpt_busy, NULL);
    if (pthread_mutex_init(&ck->mu, NULL))
        goto fail_db;
    if (pthread_cond_init(&ck->cv, NULL))
        goto fail_mu;
    if (pthread_create(&ck->thread, NULL, ckpt_main, ck))
        goto fail_cv;
    sqlite3_wal_hook(db, wal_grown, ck); /* replaces the auto-checkpoint */
    return ck;

fail_cv:
    pthread_cond_destroy(&ck->cv);
fail_mu:
    pthread_mutex_destroy(&ck->mu);
fail_db:
    sqlite3_close(ck->db);
    free(ck);
    return NULL;
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
    if (migrate(st->db, path, err))
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
    st->ck = ckpt_start(st->db, path);
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
        ckpt_free(st->ck); /* first: the last connection to close checkpoints the WAL */
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
static int run(struct store *st, enum store_q q)
{
    int rc = sqlite3_step(st->q[q]);

    sqlite3_reset(st->q[q]);
    sqlite3_clear_bindings(st->q[q]);
    if (rc == SQLITE_DONE)
        return 0;
    mc_log(MC_LOG_ERROR, "state.db", "q=%d error=\"%s\"", (int)q, sqlite3_errmsg(st->db));
    return -EIO;
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
    if (run(st, Q_BEGIN))
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
    if (!lost && run(st, Q_COMMIT) == 0) {
        st->batch = false;
        st->stats.commits++;
        return 0;
    }
    if (!sqlite3_get_autocommit(st->db))
        (void)run(st, Q_ROLLBACK);
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
    if (store_sqlite_batch(st) || run(st, Q_SAVEPOINT))
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
        rc = run(st, Q_ROLLBACK_TO);
    if (run(st, Q_RELEASE))
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

/* Binds text without copying it: only for a statement that run() steps and
 * unbinds (or that is unbound on failure) before s can change. The state
 * and the reply, the largest texts of a turn, are bound this way. */
static int bind_static(sqlite3_stmt *q, int i, const char *s)
{
    return sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

/* Steps a session query already bound; fills s from its one row. */
static int load_session(struct store *st, enum store_q which, struct session *s)
{
    sqlite3_stmt *q = st->q[which];
    const char *state;
    int rc = sqlite3_step(q);

    if (rc == SQLITE_ROW) {
        memset(s, 0, sizeof(*s));
        s->id = sqlite3_column_int64(q, 0);
        snprintf(s->token, sizeof(s->token), "%s", store_sqlite_text(q, 1));
        snprintf(s->channel, sizeof(s->channel), "%s", store_sqlite_text(q, 2));
        snprintf(s->user_key, sizeof(s->user_key), "%s", store_sqlite_text(q, 3));
        s->last_seen = sqlite3_column_int64(q, 4);
        s->resumed = true;
        state = (const char *)sqlite3_column_text(q, 5);
        s->state = strdup(state ? state : "{}");
        s->version = sqlite3_column_int64(q, 6);
        rc = s->state ? 0 : -ENOMEM;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc;
}

int store_session_by_token(struct store *st, const char *token, struct session *s)
{
    if (st->pg)
        return store_pg_session_by_token(st, token, s);
    if (store_sqlite_bind_text(st->q[Q_BY_TOKEN], 1, token) != SQLITE_OK)
        return -EIO;
    return load_session(st, Q_BY_TOKEN, s);
}

int store_session_by_user(struct store *st, const char *channel, const char *user_key,
                          struct session *s)
{
    sqlite3_stmt *q = st->q[Q_BY_USER];
    char hk[STORE_USER_HKEY_MAX];
    int rc;

    if (st->pg)
        return store_pg_session_by_user(st, channel, user_key, s);
    store_privacy_user_key(st, channel, user_key, hk, sizeof hk);
    /* binds are OR-ed: SQLITE_OK is 0, so any failed one makes the sum non-zero */
    if ((store_sqlite_bind_text(q, 1, channel) | store_sqlite_bind_text(q, 2, hk)) != SQLITE_OK)
        return -EIO;
    rc = load_session(st, Q_BY_USER, s);
    if (!rc) /* in memory the clear id: replies and handoffs are sent to it */
        snprintf(s->user_key, sizeof(s->user_key), "%s", user_key);
    return rc;
}

int store_session_insert(struct store *st, struct session *s)
{
    sqlite3_stmt *q = st->q[Q_SESSION_INSERT];
    char hk[STORE_USER_HKEY_MAX];

    if (st->pg)
        return store_pg_session_insert(st, s);
    if (store_sqlite_batch(st))
        return -EIO;
    store_privacy_user_key(st, s->channel, s->user_key, hk, sizeof hk);
    if ((store_sqlite_bind_text(q, 1, s->token) | store_sqlite_bind_text(q, 2, s->channel) |
         store_sqlite_bind_opt(q, 3, s->user_key[0] ? hk : NULL) |
         sqlite3_bind_int64(q, 4, s->last_seen)) != SQLITE_OK ||
        run(st, Q_SESSION_INSERT))
        return -EIO;
    s->id = sqlite3_last_insert_rowid(st->db);
    return 0;
}

static int turn_insert(struct store *st, const struct session *s, const char *hash,
                       const struct session_turn *t)
{
    sqlite3_stmt *q = st->q[Q_TURN_INSERT];

    if ((sqlite3_bind_int64(q, 1, s->id) | sqlite3_bind_int64(q, 2, s->last_seen) |
         store_sqlite_bind_text(q, 3, s->channel) | store_sqlite_bind_text(q, 4, hash) |
         sqlite3_bind_text(q, 5, t->role, -1, SQLITE_STATIC) |
         bind_static(q, 6, t->text ? t->text : "") | store_sqlite_bind_opt(q, 7, t->label) |
         (t->label ? sqlite3_bind_double(q, 8, t->confidence) : sqlite3_bind_null(q, 8)) |
         store_sqlite_bind_opt(q, 9, t->decision) | store_sqlite_bind_opt(q, 10, t->procedure) |
         sqlite3_bind_int64(q, 11, t->latency_us) | store_sqlite_bind_opt(q, 12, t->msg_id)) !=
        SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return run(st, Q_TURN_INSERT);
}

static bool session_exists(struct store *st, int64_t id)
{
    sqlite3_stmt *q = st->q[Q_SESSION_EXISTS];
    bool found = sqlite3_bind_int64(q, 1, id) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW;

    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return found;
}

/* Whether session id has a bot record answering msg_id (NULL: none). */
static bool is_answered(struct store *st, int64_t id, const char *msg_id)
{
    char *text = msg_id ? store_find_reply(st, id, msg_id) : NULL;
    bool found = text != NULL;

    free(text);
    return found;
}

const char *store_turn_msg_id(const struct session_turn *t, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (t[i].msg_id && strcmp(t[i].role, "bot") == 0)
            return t[i].msg_id;
    return NULL;
}

int store_turn_save(struct store *st, struct session *s, const struct session_turn *t, size_t n)
{
    sqlite3_stmt *q = st->q[Q_SESSION_SAVE];
    char hash[17];
    size_t i;
    int rc;

    if (st->pg)
        return store_pg_turn_save(st, s, t, n);
    session_user_hash(s, hash);
    if (s->user_key[0] && st->idk.set) { /* keyed: the clear id cannot be tried against it */
        char hk[STORE_USER_HKEY_MAX];

        store_privacy_user_key(st, s->channel, s->user_key, hk, sizeof hk);
        snprintf(hash, sizeof hash, "%.16s", hk + 2);
    }
    if (store_unit_begin(st))
        return -EIO;
    if ((sqlite3_bind_int64(q, 1, s->id) | bind_static(q, 2, s->state ? s->state : "{}") |
         sqlite3_bind_int64(q, 3, s->last_seen) | sqlite3_bind_int64(q, 4, s->version) |
         store_sqlite_bind_opt(q, 5, store_turn_msg_id(t, n))) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        rc = -EIO;
    } else {
        rc = run(st, Q_SESSION_SAVE);
    }
    /* the message was answered already (a resend): nothing written; another
     * worker saved a turn since s was read: never records on top of a state
     * we did not see; no such session: never records without it */
    if (!rc && sqlite3_changes(st->db) != 1)
        rc = is_answered(st, s->id, store_turn_msg_id(t, n)) ? -EALREADY
             : session_exists(st, s->id)                     ? -EAGAIN
                                                             : -EIO;
    for (i = 0; i < n && !rc; i++)
        rc = turn_insert(st, s, hash, &t[i]);
    if (store_unit_end(st, rc == 0))
        rc = -EIO;
    if (!rc) {
        s->version++;
        st->stats.turns++;
    }
    return rc;
}

int store_history(struct store *st, int64_t session_id, unsigned max,
                  int (*fn)(void *ctx, const char *role, const char *text, int64_t ts,
                            const char *msg_id),
                  void *ctx)
{
    sqlite3_stmt *q = st->q[Q_HISTORY];
    int rc, out = 0;

    if (st->pg)
        return store_pg_history(st, session_id, max, fn, ctx);
    if ((sqlite3_bind_int64(q, 1, session_id) | sqlite3_bind_int(q, 2, (int)max)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        out = fn(ctx, store_sqlite_text(q, 0), store_sqlite_text(q, 1), sqlite3_column_int64(q, 2),
                 (const char *)sqlite3_column_text(q, 3));
        if (out)
            break;
    }
    if (!out && rc != SQLITE_DONE)
        out = -EIO;
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return out;
}

/* Steps a bound query and returns its first column as new text, or NULL. */
static char *first_text(struct store *st, enum store_q which)
{
    sqlite3_stmt *q = st->q[which];
    char *text = NULL;

    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
        text = strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return text;
}

char *store_find_reply(struct store *st, int64_t session_id, const char *msg_id)
{
    sqlite3_stmt *q = st->q[Q_FIND_REPLY];

    if (st->pg)
        return store_pg_find_reply(st, session_id, msg_id);
    if ((sqlite3_bind_int64(q, 1, session_id) | store_sqlite_bind_text(q, 2, msg_id)) !=
        SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return NULL;
    }
    return first_text(st, Q_FIND_REPLY);
}

int store_outbox_add(struct store *st, const char *channel, const char *user, const char *body,
                     int64_t now_ms)
{
    sqlite3_stmt *q = st->q[Q_OUTBOX_ADD];

    if (st->pg)
        return store_pg_outbox_add(st, channel, user, body, now_ms);
    if (store_sqlite_batch(st))
        return -EIO;
    if ((store_sqlite_bind_text(q, 1, channel) | store_sqlite_bind_text(q, 2, user) |
         store_sqlite_bind_text(q, 3, body) | sqlite3_bind_int64(q, 4, now_ms)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    if (run(st, Q_OUTBOX_ADD))
        return -EIO;
    /* the write lock is held since BEGIN IMMEDIATE: every row of another
     * batch has a smaller id, and this batch's rows never go below its first */
    if (st->outbox_floor == INT64_MAX)
        st->outbox_floor = sqlite3_last_insert_rowid(st->db);
    return 0;
}

/* Claims row id for st until now_ms + its lease, unless another
 * handle's live claim holds it (checked again under the write lock). Returns
 * 1 when claimed, 0 when another handle has it, -EIO. */
static int outbox_claim(struct store *st, int64_t id, int64_t now_ms)
{
    sqlite3_stmt *q = st->q[Q_OUTBOX_CLAIM];

    if ((sqlite3_bind_int64(q, 1, id) | sqlite3_bind_int64(q, 2, st->owner) |
         sqlite3_bind_int64(q, 3, now_ms + st->lease_ms) | sqlite3_bind_int64(q, 4, now_ms)) !=
        SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    if (run(st, Q_OUTBOX_CLAIM))
        return -EIO;
    st->claimed = true;
    return sqlite3_changes(st->db) == 1;
}

int store_outbox_due(struct store *st, int64_t now_ms, struct store_outbox_row *rows, size_t max,
                     size_t *n)
{
    sqlite3_stmt *q = st->q[Q_OUTBOX_DUE];
    struct store_outbox_row *r;
    uint64_t fresh = 0; /* bit i: row i is ours for more than half a lease yet (no write) */
    size_t i, kept, unclaimed = 0;
    int rc = SQLITE_DONE, out = 0;

    if (st->pg)
        return store_pg_outbox_due(st, now_ms, rows, max, n);
    *n = 0;
    /* the open batch's own rows are not committed: a reply sent from them
     * could answer a turn whose commit then fails (issue 18) */
    if ((sqlite3_bind_int64(q, 1, now_ms) | sqlite3_bind_int64(q, 2, (sqlite3_int64)max) |
         sqlite3_bind_int64(q, 3, st->owner) |
         sqlite3_bind_int64(q, 4, st->batch ? st->outbox_floor : INT64_MAX)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    while (*n < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        r = &rows[*n];
        memset(r, 0, sizeof(*r));
        r->id = sqlite3_column_int64(q, 0);
        snprintf(r->channel, sizeof(r->channel), "%s", store_sqlite_text(q, 1));
        snprintf(r->user, sizeof(r->user), "%s", store_sqlite_text(q, 2));
        r->body_len = (size_t)sqlite3_column_bytes(q, 3);
        r->body = malloc(r->body_len + 1);
        if (!r->body) {
            out = -ENOMEM;
            break;
        }
        memcpy(r->body, store_sqlite_text(q, 3), r->body_len);
        r->body[r->body_len] = '\0';
        r->attempts = sqlite3_column_int(q, 4);
        r->created_ms = sqlite3_column_int64(q, 5);
        if (*n < 64 && sqlite3_column_int64(q, 6) == st->owner &&
            sqlite3_column_int64(q, 7) - now_ms > st->lease_ms / 2)
            fresh |= (uint64_t)1 << *n;
        (*n)++;
    }
    if (!out && *n < max && rc != SQLITE_DONE)
        out = -EIO;
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    /* claim what is not ours yet (or soon no longer); a row another handle
     * claimed meanwhile is dropped from the answer. A claim the database
     * refuses (a full disk) still sends the row, as before claims: on one
     * SQLite file a single process sends (gw's outbox_sender), the claim is
     * its second guard, and the outcome is held in memory anyway (outbox.c). */
    for (i = kept = 0; i < *n; i++) {
        rc = out ? 0 : i < 64 && (fresh >> i & 1) ? 1 : outbox_claim(st, rows[i].id, now_ms);
        if (rc < 0 && !unclaimed++)
            mc_log(MC_LOG_WARN, "outbox.claim_failed", "row=%lld action=send_unclaimed",
                   (long long)rows[i].id);
        if (rc != 0) {
            rows[kept++] = rows[i];
            continue;
        }
        free(rows[i].body);
    }
    *n = kept;
    if (out)
        while (*n)
            free(rows[--*n].body);
    return out;
}

int store_outbox_done(struct store *st, int64_t id, const char *state, int attempts)
{
    sqlite3_stmt *q = st->q[Q_OUTBOX_DONE];

    if (st->pg)
        return store_pg_outbox_done(st, id, state, attempts);
    if (store_sqlite_batch(st))
        return -EIO;
    if ((sqlite3_bind_int64(q, 1, id) | store_sqlite_bind_text(q, 2, state) |
         sqlite3_bind_int(q, 3, attempts)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return run(st, Q_OUTBOX_DONE);
}

int store_outbox_retry(struct store *st, int64_t id, int attempts, int64_t next_try_ms)
{
    sqlite3_stmt *q = st->q[Q_OUTBOX_RETRY];

    if (st->pg)
        return store_pg_outbox_retry(st, id, attempts, next_try_ms);
    if (store_sqlite_batch(st))
        return -EIO;
    if ((sqlite3_bind_int64(q, 1, id) | sqlite3_bind_int(q, 2, attempts) |
         sqlite3_bind_int64(q, 3, next_try_ms)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return run(st, Q_OUTBOX_RETRY);
}

long store_outbox_pending(struct store *st)
{
    sqlite3_stmt *q = st->q[Q_OUTBOX_PENDING];
    long n = -1;

    if (st->pg)
        return store_pg_outbox_pending(st);
    if (sqlite3_step(q) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return n;
}

int store_event_first_time(struct store *st, const char *channel, const char *event_id,
                           int64_t now_s)
{
    sqlite3_stmt *q = st->q[Q_EVENT_SEEN];

    if (st->pg)
        return store_pg_event_first_time(st, channel, event_id, now_s);
    if (store_sqlite_batch(st))
        return -EIO;
    if ((store_sqlite_bind_text(q, 1, channel) | store_sqlite_bind_text(q, 2, event_id) |
         sqlite3_bind_int64(q, 3, now_s)) != SQLITE_OK ||
        run(st, Q_EVENT_SEEN)) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

char *store_options_get(struct store *st, const char *channel, const char *user)
{
    sqlite3_stmt *q = st->q[Q_OPTIONS_GET];
    char hk[STORE_USER_HKEY_MAX];

    if (st->pg)
        return store_pg_options_get(st, channel, user);
    store_privacy_user_key(st, channel, user, hk, sizeof hk);
    if ((store_sqlite_bind_text(q, 1, channel) | store_sqlite_bind_text(q, 2, hk)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return NULL;
    }
    return first_text(st, Q_OPTIONS_GET);
}

int store_options_put(struct store *st, const char *channel, const char *user,
                      const char *options_json)
{
    sqlite3_stmt *q = st->q[Q_OPTIONS_PUT];
    char hk[STORE_USER_HKEY_MAX];

    if (st->pg)
        return store_pg_options_put(st, channel, user, options_json);
    if (store_sqlite_batch(st))
        return -EIO;
    store_privacy_user_key(st, channel, user, hk, sizeof hk);
    if ((store_sqlite_bind_text(q, 1, channel) | store_sqlite_bind_text(q, 2, hk) |
         store_sqlite_bind_text(q, 3, options_json)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return run(st, Q_OPTIONS_PUT);
}

int store_token_get(struct store *st, const char *channel, char *access, size_t access_cap,
                    char *refresh, size_t refresh_cap)
{
    sqlite3_stmt *q = st->q[Q_TOKEN_GET];
    int rc;

    if (st->pg)
        return store_pg_token_get(st, channel, access, access_cap, refresh, refresh_cap);
    if (store_sqlite_bind_text(q, 1, channel) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        if ((size_t)sqlite3_column_bytes(q, 0) >= access_cap ||
            (size_t)sqlite3_column_bytes(q, 1) >= refresh_cap)
            rc = -E2BIG;
        else {
            snprintf(access, access_cap, "%s", store_sqlite_text(q, 0));
            snprintf(refresh, refresh_cap, "%s", store_sqlite_text(q, 1));
            rc = 0;
        }
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc;
}

int store_token_put(struct store *st, const char *channel, const char *access, const char *refresh,
                    int64_t now_s)
{
    sqlite3_stmt *q = st->q[Q_TOKEN_PUT];

    if (st->pg)
        return store_pg_token_put(st, channel, access, refresh, now_s);
    if (store_sqlite_batch(st))
        return -EIO;
    if ((store_sqlite_bind_text(q, 1, channel) | store_sqlite_bind_text(q, 2, access) |
         store_sqlite_bind_text(q, 3, refresh) | sqlite3_bind_int64(q, 4, now_s)) != SQLITE_OK) {
        sqlite3_clear_bindings(q);
        return -EIO;
    }
    return run(st, Q_TOKEN_PUT);
}
