/* gateway/store/store_sqlite_schema.c - the SQLite back-end's schema: its
 * migrations, in order, and the runner store_open() calls to bring a file up
 * to STORE_SCHEMA_VERSION. In a file of its own because the list only
 * grows (a new table is one migration appended here, and the same one in
 * store_pg.c, the schema in PostgreSQL's words). */
#include "store_sqlite_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>

#include "mc_log.h"

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

int store_sqlite_migrate(sqlite3 *db, const char *path, struct mc_err *err)
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
