/* gateway/store/store_sqlite_int.h - what the files of the SQLite back-end
 * share; not part of the store interface (store.h), included by no one
 * else. store_sqlite.c owns the connection and the batch; each other file
 * owns the statements of its part, prepared once at store_open() and
 * finalised at store_free(). */
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
 * store_sqlite.c's own). Returns 0, or -EIO logged with SQLite's message. */
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

#endif
