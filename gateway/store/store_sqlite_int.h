/* gateway/store/store_sqlite_int.h - what the files of the SQLite back-end
 * share; not part of the store interface (store.h), included by no one
 * else. store_sqlite.c owns the connection and the batch (its parts,
 * store_sqlite_*.c, share them: the last section); each other file owns the
 * statements of its part, prepared once at store_open() and finalised at
 * store_free(). */
#ifndef MOTCUA_GATEWAY_STORE_SQLITE_INT_H
#define MOTCUA_GATEWAY_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store.h"

struct store_hq; /* the handoff and feed statements (store_handoff.c) */

/* The store's connection; borrowed, valid until store_free(). */
sqlite3 *store_sqlite_db(struct store *st);

/* The store's handoff statements; borrowed, valid until store_free(). */
struct store_hq *store_sqlite_hq(struct store *st);

/* The key platform user ids are hashed with (store_privacy.c); set: one was given. */
struct store_idkey {
    unsigned char key[STORE_ID_KEY_LEN];
    bool set;
};

/* The store's key; borrowed, valid until store_free(). */
struct store_idkey *store_sqlite_idkey(struct store *st);

/* Prepares the handoff and feed statements on db (migrated already).
 * Returns a new set (store_hq_free()) or NULL (sqlite3_errmsg(db) says why,
 * or out of memory). */
struct store_hq *store_hq_open(sqlite3 *db);

/* Finalises them. NULL is a no-op. */
void store_hq_free(struct store_hq *hq);

struct store_oq; /* the officers' and audit statements (store_officer.c) */

/* The store's officer statements; borrowed, valid until store_free(). */
struct store_oq *store_sqlite_oq(struct store *st);

/* Prepares the officers' and audit statements on db (migrated already).
 * Returns a new set (store_oq_free()) or NULL (sqlite3_errmsg(db) says why,
 * or out of memory). */
struct store_oq *store_oq_open(sqlite3 *db);

/* Finalises them. NULL is a no-op. */
void store_oq_free(struct store_oq *oq);

#include "mc_err.h"

struct store;

/* Opens the batch (BEGIN IMMEDIATE) unless one is open: what a write outside
 * a unit does first. Returns 0 or -EIO. */
MC_MUST_CHECK int store_sqlite_batch(struct store *st);

/* Prepares sql on the store's connection into *q (new: sqlite3_finalize()),
 * for a statement run now and finalized by the caller (the ones kept open are
 * the core's own, below). Returns 0, or -EIO logged with SQLite's message. */
MC_MUST_CHECK int store_sqlite_prepare(struct store *st, const char *sql, sqlite3_stmt **q);

/* ---- the PostgreSQL back-end (store_pg.h) ------------------------------- *
 * A store opened on a postgresql:// URL has no SQLite connection:
 * store_sqlite_db() is NULL and store_sqlite_prepare() fails. Each public
 * function starts with its PostgreSQL version (if (store_pg_of(st)) return
 * store_pg_x(...)) or, not implemented there yet, STORE_PG_MISSING(st, its
 * error value), and is named in store_pg.c's list of missing functions: a
 * new function of store.h gets one or the other (and its contract case in
 * tests/unit/test_store_contract*.c). */

struct store_pg;

/* The PostgreSQL back-end of st, or NULL when st is the SQLite file. */
struct store_pg *store_pg_of(const struct store *st);

/* Logs that fn is not implemented on PostgreSQL yet; returns -ENOSYS. */
int store_pg_missing(const char *fn);

/* Returns fail from the calling function when st is on PostgreSQL. */
#define STORE_PG_MISSING(st, fail)                                                                 \
    do {                                                                                           \
        if (store_pg_of(st)) {                                                                     \
            (void)store_pg_missing(__func__);                                                      \
            return fail;                                                                           \
        }                                                                                          \
    } while (0)

struct session_turn;

/* The message id a turn's bot record answers (the resend key both back-ends'
 * store_turn_save() check), borrowed from t; NULL when it has none. */
const char *store_turn_msg_id(const struct session_turn *t, size_t n);

/* Column i of q's current row as text, "" for NULL: a NULL never reaches
 * "%s" or a JSON string. Borrowed, valid until q's next step or finalize. */
const char *store_sqlite_text(sqlite3_stmt *q, int i);

/* Binds text (copied), or NULL when s is NULL. Returns an SQLite result code. */
static inline int store_sqlite_bind_opt(sqlite3_stmt *q, int i, const char *s)
{
    return s ? sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(q, i);
}

/* Binds text (copied). Returns an SQLite result code. */
static inline int store_sqlite_bind_text(sqlite3_stmt *q, int i, const char *s)
{
    return sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT);
}

/* ---- the core: the connection, its statements and the batch -------------- *
 * store_sqlite.c opens the store and runs the batch; store_sqlite_schema.c,
 * store_sqlite_ckpt.c, store_sqlite_turn.c and store_sqlite_chan.c are the
 * rest of what was one file, split by topic. They share the statements'
 * table and struct store below, defined here rather than in store_sqlite.c
 * so each part reaches the batch and its statements as before the split;
 * the other store_<part>.c files keep to the accessors above and their own
 * statement sets. */

#define STORE_BUSY_MS 2000    /* wait this long for another process's write lock */
#define STORE_BUSY_STEP_US 50 /* ... polling this often: a worker holds it for one short pass */

struct store_ckpt; /* the checkpointer thread (store_sqlite_ckpt.c) */

/* The statements store_open() prepares (store_sqlite.c's table sql[]). */
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
    bool claim_sent;        /* store_outbox_claim_send() called, its rows not taken */
    int64_t claim_now_ms;   /* ... at this time */
    size_t claim_max;       /* ... for at most this many rows */
};

/* Runs statement q to its end. Returns 0 or -EIO. */
int store_sqlite_run(struct store *st, enum store_q q);

/* Steps statement which, bound already, and returns its first column as new
 * text (free()), or NULL (no row, a NULL, out of memory). */
char *store_sqlite_first_text(struct store *st, enum store_q which);

/* Brings the database db (the file at path, for messages) to
 * STORE_SCHEMA_VERSION, one transaction a migration (store_sqlite_schema.c).
 * Returns 0, -EINVAL (a newer schema than this program's) or -EIO, err set. */
MC_MUST_CHECK int store_sqlite_migrate(sqlite3 *db, const char *path, struct mc_err *err);

/* Starts the checkpointer of the database at path and hands it db's WAL
 * hook (store_sqlite_ckpt.c). Returns a new one (store_ckpt_free()), or NULL
 * when it cannot start: then db keeps SQLite's own auto-checkpoint. */
struct store_ckpt *store_ckpt_start(sqlite3 *db, const char *path);

/* Ends the checkpointer and closes its connection. NULL is a no-op. */
void store_ckpt_free(struct store_ckpt *ck);

#endif
