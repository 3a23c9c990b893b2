/* gateway/session.h - the writable state database: conversations per
 * (channel, user key), their turns, and (later) the channel outbox.
 * SQLite in WAL mode with a busy timeout; schema versions are migrations
 * keyed on PRAGMA user_version, applied at open. One struct session_store
 * belongs to the event-loop thread; every query is short and indexed. */
#ifndef MOTCUA_GATEWAY_SESSION_H
#define MOTCUA_GATEWAY_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"

#define SESSION_TOKEN_LEN 32          /* hex characters of a session token (128 bits) */
#define SESSION_USER_KEY_MAX 128      /* bytes; a channel's user id (PSID, Zalo id) */
#define SESSION_STATE_MAX (64 * 1024) /* bytes; a conversation's JSON state */
#define SESSION_SCHEMA_VERSION 3

struct session_store;
struct json_t;

struct session {
    int64_t id;                        /* row id */
    char token[SESSION_TOKEN_LEN + 1]; /* secret handed to web/kiosk clients */
    char channel[16];                  /* web | kiosk | messenger | zalo | api */
    char user_key[SESSION_USER_KEY_MAX + 1];
    int64_t last_seen; /* unix seconds of the last turn */
    bool resumed;      /* loaded, not newly created */
    bool expired;      /* idle longer than the timeout: state was reset */
    char *state;       /* new: JSON object text, owned; "{}" when fresh */
};

/* One logged turn, for history and for the records reports are built from. */
struct session_turn {
    const char *role;  /* "user" | "bot" */
    const char *text;  /* masked text (user) or the reply JSON (bot) */
    const char *label; /* understanding label or NULL */
    double confidence;
    const char *decision;  /* match | clarify | none | NULL */
    const char *procedure; /* procedure after the turn or NULL */
    int64_t latency_us;
    const char *msg_id; /* client or platform message id, or NULL */
};

/* Opens (creating if needed) the database at path and migrates it. Returns
 * a new store (session_store_free()) or NULL with err set. */
struct session_store *session_store_open(const char *path, struct mc_err *err);

/* NULL is a no-op. */
void session_store_free(struct session_store *st);

/* Loads the session of token (web/kiosk) into *s; -ENOENT if none. */
MC_MUST_CHECK int session_load_token(struct session_store *st, const char *token,
                                     struct session *s);

/* Loads or creates the session for (channel, user_key) (Messenger, Zalo). */
MC_MUST_CHECK int session_load_user(struct session_store *st, const char *channel,
                                    const char *user_key, struct session *s);

/* Creates a new session with a fresh random token. */
MC_MUST_CHECK int session_create(struct session_store *st, const char *channel, struct session *s);

/* Marks the session expired (state reset to "{}", history kept) when it was
 * idle longer than idle_seconds. */
void session_apply_idle(struct session *s, int64_t now, unsigned idle_seconds);

/* Writes s->state and last_seen. Returns 0 or -EIO. */
MC_MUST_CHECK int session_save(struct session_store *st, struct session *s);

/* Appends a turn. Returns 0 or -EIO. */
MC_MUST_CHECK int session_log_turn(struct session_store *st, const struct session *s,
                                   const struct session_turn *t);

/* The last max turns of s, oldest first, as a new JSON array
 * [{"role","text"|"reply","ts","msg_id"}] (json_decref()). NULL on error. */
struct json_t *session_history(struct session_store *st, const struct session *s, unsigned max);

/* The reply already given to msg_id in this session (a message resent after
 * a reconnect), as new JSON text (free()), or NULL if there is none. */
char *session_find_reply(struct session_store *st, const struct session *s, const char *msg_id);

/* Frees what s owns (its state). */
void session_fini(struct session *s);

/* The database handle, borrowed (for the outbox). */
struct sqlite3 *session_store_db(struct session_store *st);

#endif
