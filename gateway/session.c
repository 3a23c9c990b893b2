/* gateway/session.c - see session.h. */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mc_log.h"

#define SESSION_BUSY_MS 2000 /* wait this long for another process's write lock */

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
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == SESSION_SCHEMA_VERSION,
               "one migration per schema version");

struct session_store {
    sqlite3 *db;
    sqlite3_stmt *by_token, *by_user, *insert, *save, *log, *history, *has_msg;
};

static int migrate(sqlite3 *db, const char *path, struct mc_err *err)
{
    sqlite3_stmt *st = NULL;
    int version = -1, i;
    char *msg = NULL;
    char sql[64];

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        mc_err_set(err, "%s: %s", path, sqlite3_errmsg(db));
        return -EIO;
    }
    version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > SESSION_SCHEMA_VERSION) {
        mc_err_set(err, "%s: schema version %d is newer than this program's %d", path, version,
                   SESSION_SCHEMA_VERSION);
        return -EINVAL;
    }
    for (i = version; i < SESSION_SCHEMA_VERSION; i++) {
        snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", i + 1);
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, migrations[i], NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
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

struct session_store *session_store_open(const char *path, struct mc_err *err)
{
    struct session_store *st;

    st = calloc(1, sizeof(*st));
    if (!st) {
        mc_err_set(err, "%s: out of memory", path);
        return NULL;
    }
    make_parent_dir(path);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        goto fail_sqlite;
    sqlite3_busy_timeout(st->db, SESSION_BUSY_MS);
    /* WAL: readers never block the writer; NORMAL sync is durable across
     * process crashes, which is what a restart-in-the-middle test checks. */
    if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
                     NULL) != SQLITE_OK)
        goto fail_sqlite;
    if (migrate(st->db, path, err))
        goto fail;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT id, token, channel, coalesce(user_key, ''), last_seen, state "
                           "FROM session WHERE token = ?1",
                           -1, &st->by_token, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "SELECT id, token, channel, coalesce(user_key, ''), last_seen, state "
                           "FROM session WHERE channel = ?1 AND user_key = ?2",
                           -1, &st->by_user, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "INSERT INTO session (token, channel, user_key, created, last_seen) "
                           "VALUES (?1, ?2, ?3, ?4, ?4)",
                           -1, &st->insert, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "UPDATE session SET state = ?2, last_seen = ?3 WHERE id = ?1",
                           -1, &st->save, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "INSERT INTO turn (session_id, ts, channel, user_hash, role, text, "
                           "label, confidence, decision, procedure, latency_us, msg_id) VALUES "
                           "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                           -1, &st->log, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "SELECT role, text, ts, msg_id FROM (SELECT id, role, text, ts, msg_id "
                           "FROM turn WHERE session_id = ?1 ORDER BY id DESC LIMIT ?2) "
                           "ORDER BY id",
                           -1, &st->history, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(
            st->db,
            "SELECT text FROM turn WHERE session_id = ?1 AND msg_id = ?2 AND role = 'bot' "
            "ORDER BY id DESC LIMIT 1",
            -1, &st->has_msg, NULL) != SQLITE_OK)
        goto fail_sqlite;
    return st;

fail_sqlite:
    mc_err_set(err, "%s: %s", path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
fail:
    session_store_free(st);
    return NULL;
}

void session_store_free(struct session_store *st)
{
    if (!st)
        return;
    sqlite3_finalize(st->by_token);
    sqlite3_finalize(st->by_user);
    sqlite3_finalize(st->insert);
    sqlite3_finalize(st->save);
    sqlite3_finalize(st->log);
    sqlite3_finalize(st->history);
    sqlite3_finalize(st->has_msg);
    sqlite3_close(st->db);
    free(st);
}

sqlite3 *session_store_db(struct session_store *st)
{
    return st->db;
}

void session_fini(struct session *s)
{
    free(s->state);
    s->state = NULL;
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* Column i as text, "" for NULL: a NULL never reaches "%s" (the queries
 * already coalesce user_key, NULL for web and kiosk sessions). */
static const char *col_text(sqlite3_stmt *q, int i)
{
    const char *t = (const char *)sqlite3_column_text(q, i);

    return t ? t : "";
}

/* Binds text, or NULL when s is NULL. Returns an SQLite result code. */
static int bind_opt(sqlite3_stmt *q, int i, const char *s)
{
    return s ? sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(q, i);
}

static int row_to_session(sqlite3_stmt *q, struct session *s)
{
    const char *state = (const char *)sqlite3_column_text(q, 5);

    memset(s, 0, sizeof(*s));
    s->id = sqlite3_column_int64(q, 0);
    snprintf(s->token, sizeof(s->token), "%s", col_text(q, 1));
    snprintf(s->channel, sizeof(s->channel), "%s", col_text(q, 2));
    snprintf(s->user_key, sizeof(s->user_key), "%s", col_text(q, 3));
    s->last_seen = sqlite3_column_int64(q, 4);
    s->resumed = true;
    s->state = strdup(state ? state : "{}");
    return s->state ? 0 : -ENOMEM;
}

static int load_one(sqlite3_stmt *q, struct session *s)
{
    int rc = sqlite3_step(q);

    if (rc == SQLITE_ROW)
        rc = row_to_session(q, s);
    else
        rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
    sqlite3_reset(q);
    return rc;
}

static bool is_token(const char *t)
{
    size_t i;

    for (i = 0; i < SESSION_TOKEN_LEN; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
            return false;
    return t[SESSION_TOKEN_LEN] == '\0';
}

int session_load_token(struct session_store *st, const char *token, struct session *s)
{
    if (!is_token(token))
        return -ENOENT;
    if (sqlite3_bind_text(st->by_token, 1, token, -1, SQLITE_TRANSIENT) != SQLITE_OK)
        return -EIO;
    return load_one(st->by_token, s);
}

static int random_token(char out[SESSION_TOKEN_LEN + 1])
{
    unsigned char raw[SESSION_TOKEN_LEN / 2];
    static const char hex[] = "0123456789abcdef";
    size_t i, got = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -EIO;
    while (got < sizeof(raw)) {
        ssize_t n = read(fd, raw + got, sizeof(raw) - got);

        if (n <= 0) {
            close(fd);
            return -EIO;
        }
        got += (size_t)n;
    }
    close(fd);
    for (i = 0; i < sizeof(raw); i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[SESSION_TOKEN_LEN] = '\0';
    return 0;
}

static int create(struct session_store *st, const char *channel, const char *user_key,
                  struct session *s)
{
    int rc;

    memset(s, 0, sizeof(*s));
    if (random_token(s->token))
        return -EIO;
    snprintf(s->channel, sizeof(s->channel), "%s", channel);
    snprintf(s->user_key, sizeof(s->user_key), "%s", user_key ? user_key : "");
    s->last_seen = now_s();
    s->state = strdup("{}");
    if (!s->state)
        return -ENOMEM;
    /* binds are OR-ed: SQLITE_OK is 0, so any failed one makes the sum non-zero */
    rc = sqlite3_bind_text(st->insert, 1, s->token, -1, SQLITE_TRANSIENT) |
         sqlite3_bind_text(st->insert, 2, channel, -1, SQLITE_TRANSIENT) |
         bind_opt(st->insert, 3, user_key) | sqlite3_bind_int64(st->insert, 4, s->last_seen);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st->insert);
    sqlite3_reset(st->insert);
    if (rc != SQLITE_DONE) {
        session_fini(s);
        return -EIO;
    }
    s->id = sqlite3_last_insert_rowid(st->db);
    return 0;
}

int session_create(struct session_store *st, const char *channel, struct session *s)
{
    return create(st, channel, NULL, s);
}

int session_load_user(struct session_store *st, const char *channel, const char *user_key,
                      struct session *s)
{
    int rc;

    if (strlen(user_key) > SESSION_USER_KEY_MAX)
        return -E2BIG;
    if ((sqlite3_bind_text(st->by_user, 1, channel, -1, SQLITE_TRANSIENT) |
         sqlite3_bind_text(st->by_user, 2, user_key, -1, SQLITE_TRANSIENT)) != SQLITE_OK)
        return -EIO;
    rc = load_one(st->by_user, s);
    if (rc == -ENOENT)
        rc = create(st, channel, user_key, s);
    return rc;
}

void session_apply_idle(struct session *s, int64_t now, unsigned idle_seconds)
{
    char *fresh;

    if (!s->resumed || now - s->last_seen <= (int64_t)idle_seconds)
        return;
    fresh = strdup("{}");
    if (!fresh)
        return; /* keep the old state rather than lose the session */
    free(s->state);
    s->state = fresh;
    s->expired = true;
}

int session_save(struct session_store *st, struct session *s)
{
    int rc;

    s->last_seen = now_s();
    rc = sqlite3_bind_int64(st->save, 1, s->id) |
         sqlite3_bind_text(st->save, 2, s->state ? s->state : "{}", -1, SQLITE_TRANSIENT) |
         sqlite3_bind_int64(st->save, 3, s->last_seen);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st->save);
    sqlite3_reset(st->save);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

/* The user key is anonymised in turn records: a stable, non-reversible tag
 * (FNV-1a 64) is enough to count distinct users without storing the id. */
static void user_hash(const struct session *s, char out[17])
{
    uint64_t h = 1469598103934665603ULL;
    const char *p;

    for (p = s->user_key[0] ? s->user_key : s->token; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

int session_log_turn(struct session_store *st, const struct session *s,
                     const struct session_turn *t)
{
    char hash[17];
    int rc;

    user_hash(s, hash);
    rc = sqlite3_bind_int64(st->log, 1, s->id) | sqlite3_bind_int64(st->log, 2, now_s()) |
         sqlite3_bind_text(st->log, 3, s->channel, -1, SQLITE_TRANSIENT) |
         sqlite3_bind_text(st->log, 4, hash, -1, SQLITE_TRANSIENT) |
         sqlite3_bind_text(st->log, 5, t->role, -1, SQLITE_STATIC) |
         sqlite3_bind_text(st->log, 6, t->text ? t->text : "", -1, SQLITE_TRANSIENT) |
         bind_opt(st->log, 7, t->label) |
         (t->label ? sqlite3_bind_double(st->log, 8, t->confidence)
                   : sqlite3_bind_null(st->log, 8)) |
         bind_opt(st->log, 9, t->decision) | bind_opt(st->log, 10, t->procedure) |
         sqlite3_bind_int64(st->log, 11, t->latency_us) | bind_opt(st->log, 12, t->msg_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st->log);
    sqlite3_reset(st->log);
    sqlite3_clear_bindings(st->log);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

json_t *session_history(struct session_store *st, const struct session *s, unsigned max)
{
    json_t *arr = json_array(), *item;
    int rc;

    if (!arr)
        return NULL;
    if ((sqlite3_bind_int64(st->history, 1, s->id) | sqlite3_bind_int(st->history, 2, (int)max)) !=
        SQLITE_OK) {
        json_decref(arr);
        return NULL;
    }
    while ((rc = sqlite3_step(st->history)) == SQLITE_ROW) {
        const char *role = col_text(st->history, 0);
        const char *text = (const char *)sqlite3_column_text(st->history, 1);
        const char *mid = (const char *)sqlite3_column_text(st->history, 3);

        if (strcmp(role, "bot") == 0) {
            json_t *reply = json_loads(text ? text : "{}", 0, NULL);

            item = json_pack("{s:s,s:o*,s:I}", "role", "bot", "reply", reply, "ts",
                             (json_int_t)sqlite3_column_int64(st->history, 2));
        } else {
            item = json_pack("{s:s,s:s,s:I}", "role", "user", "text", text ? text : "", "ts",
                             (json_int_t)sqlite3_column_int64(st->history, 2));
        }
        if (item && mid && json_object_set_new(item, "msg_id", json_string(mid))) {
            json_decref(item);
            item = NULL;
        }
        if (!item || json_array_append_new(arr, item)) {
            rc = SQLITE_ERROR;
            break;
        }
    }
    sqlite3_reset(st->history);
    if (rc != SQLITE_DONE) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

char *session_find_reply(struct session_store *st, const struct session *s, const char *msg_id)
{
    char *text = NULL;

    if ((sqlite3_bind_int64(st->has_msg, 1, s->id) |
         sqlite3_bind_text(st->has_msg, 2, msg_id, -1, SQLITE_TRANSIENT)) == SQLITE_OK &&
        sqlite3_step(st->has_msg) == SQLITE_ROW && sqlite3_column_text(st->has_msg, 0))
        text = strdup((const char *)sqlite3_column_text(st->has_msg, 0));
    sqlite3_reset(st->has_msg);
    return text;
}
