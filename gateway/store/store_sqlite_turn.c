/* gateway/store/store_sqlite_turn.c - sessions and their turn records on
 * SQLite (store.h, "sessions and turns"): a session found by its token or
 * its channel user, created, and saved with its turns in one unit, under a
 * compare-and-swap on its version so worker processes never interleave a
 * session's turns; the history and the resend key (a message answered
 * already is answered again from its record). The statements are
 * store_sqlite.c's table (Q_BY_TOKEN ... Q_FIND_REPLY). */
#include "store_sqlite_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"

/* Binds text without copying it: only for a statement that
 * store_sqlite_run() steps and unbinds (or that is unbound on failure)
 * before s can change. The state and the reply, the largest texts of a
 * turn, are bound this way. */
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
        store_sqlite_run(st, Q_SESSION_INSERT))
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
    return store_sqlite_run(st, Q_TURN_INSERT);
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
        rc = store_sqlite_run(st, Q_SESSION_SAVE);
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
    return store_sqlite_first_text(st, Q_FIND_REPLY);
}
