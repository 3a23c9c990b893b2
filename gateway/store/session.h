/* gateway/store/session.h - conversations per (channel, user key) and their
 * turns: the session model and its rules (tokens, idle reset, history as
 * the welcome frame shows it). Every read and write goes through the store
 * (store.h); this module holds no SQL. Event-loop thread only. */
#ifndef MOTCUA_GATEWAY_SESSION_H
#define MOTCUA_GATEWAY_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"

#define SESSION_TOKEN_LEN 32          /* hex characters of a session token (128 bits) */
#define SESSION_USER_KEY_MAX 128      /* bytes; a channel's user id (PSID, Zalo id) */
#define SESSION_STATE_MAX (64 * 1024) /* bytes; a conversation's JSON state */

struct store;
struct json_t;

struct session {
    int64_t id;                        /* row id */
    char token[SESSION_TOKEN_LEN + 1]; /* secret handed to web/kiosk clients */
    char channel[16];                  /* web | kiosk | messenger | zalo | api */
    char user_key[SESSION_USER_KEY_MAX + 1];
    int64_t last_seen; /* unix seconds of the last turn */
    int64_t version;   /* row version the state was read at (store_turn_save CAS) */
    bool resumed;      /* loaded, not newly created */
    bool expired;      /* idle longer than the timeout: state was reset */
    /* this node read the session's handoff as with the bot (none pending or
     * held; handoff.h) and nothing it heard since says otherwise: kept with
     * the session in memory so a WebSocket turn need not read it again (its
     * queued save checks it: session_turn.unless_handoff). false: unknown */
    bool handoff_none;
    char *state; /* new: JSON object text, owned; "{}" when fresh */
    /* state parsed, owned, or NULL (parse state when needed). Kept while the
     * session stays in memory (an open WebSocket), so a turn does not parse
     * its state again; whoever replaces state drops doc (session_drop_doc). */
    struct json_t *doc;
    /* its handoff state, read with it (store_webhook_event()), is "bot" or
     * "closed": the turn need not read it again (router.c). A session read
     * back after a lost compare-and-swap has it false: read again. */
    bool handoff_idle;
    /* the open batch holds this session's row locked (read FOR UPDATE in
     * it with its webhook event, or created in it): its save cannot miss
     * and is queued without a verdict (store_turn_queue_locked()). Only
     * for the batch it was read in: set per event by webhook.c */
    bool row_locked;
    /* its latest answer (bot record), read with the session
     * (store_webhook_event(), PostgreSQL) after its row was locked: while
     * row_locked nobody can add one, so a vote by quick reply takes it
     * instead of reading it again (feedback_postback()). read false: not
     * known; turn_id 0: it has none. As store.h's store_feedback_answer. */
    struct {
        bool read;
        int64_t turn_id;
        bool asks;
        char msg_id[65];    /* "" for none */
        char procedure[64]; /* "" for none */
    } answer;
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
    /* store_turn_queue(): the save misses also while the session has a
     * handoff pending or held (a person has the conversation, not the bot) */
    bool unless_handoff;
};

/* Whether t has a token's shape (SESSION_TOKEN_LEN lower-case hex
 * characters): what is not is never looked up (-ENOENT). */
bool session_is_token(const char *t);

/* Loads the session of token (web/kiosk) into *s; -ENOENT if none. */
MC_MUST_CHECK int session_load_token(struct store *st, const char *token, struct session *s);

/* Loads or creates the session for (channel, user_key) (Messenger, Zalo). */
MC_MUST_CHECK int session_load_user(struct store *st, const char *channel, const char *user_key,
                                    struct session *s);

/* Creates the session of (channel, user_key) (Messenger, Zalo) with a fresh
 * random token, when a read found none (store_webhook_event()). Returns 0,
 * -E2BIG (user_key too long) or -EIO. */
MC_MUST_CHECK int session_create_user(struct store *st, const char *channel, const char *user_key,
                                      struct session *s);

/* A fresh random token (SESSION_TOKEN_LEN hex characters and a NUL) into
 * out, from /dev/urandom. Returns 0 or -EIO. (The store's webhook read,
 * which may create the session, draws its token here too.) */
MC_MUST_CHECK int session_random_token(char out[SESSION_TOKEN_LEN + 1]);

/* Creates a new session with a fresh random token. On PostgreSQL its row is
 * queued in the open batch (store_session_insert()): no round trip waited
 * for; it exists once that batch commits. */
MC_MUST_CHECK int session_create(struct store *st, const char *channel, struct session *s);

/* Marks the session expired (state reset to "{}", history kept) when it was
 * idle longer than idle_seconds (its doc dropped). */
void session_apply_idle(struct session *s, int64_t now, unsigned idle_seconds);

/* Saves one turn: sets s->last_seen to now, then writes s->state and the n
 * records of t as one unit of the store's open batch (durable at the next
 * store_commit()). Returns 0, -EALREADY (the session has answered the msg_id
 * of t already: a resend, answer it from store_find_reply()), -EAGAIN
 * (another process saved a turn of this session since s was read: reload and
 * run the turn again) or -EIO; nothing is written unless 0. */
MC_MUST_CHECK int session_save_turn(struct store *st, struct session *s,
                                    const struct session_turn *t, size_t n);

/* session_save_turn() not waited for (store_turn_queue(): PostgreSQL, a
 * message and its answer in a turn that writes nothing else): s->version
 * advances as if it hit, *save names the verdict to ask for
 * (store_turn_verdict()) before the reply leaves. Returns 0, -ENOTSUP (save
 * it with session_save_turn()) or -EIO. */
MC_MUST_CHECK int session_queue_turn(struct store *st, struct session *s,
                                     const struct session_turn *t, size_t n, uint64_t *save);

/* session_save_turn() of a session whose row the open batch holds locked
 * (s->row_locked; store_turn_queue_locked()): queued, no verdict to ask
 * for; a miss fails the batch. Returns 0, -ENOTSUP (save it with
 * session_save_turn()) or -EIO. */
MC_MUST_CHECK int session_queue_turn_locked(struct store *st, struct session *s,
                                            const struct session_turn *t, size_t n);

/* The last max turns of s, oldest first, as a new JSON array
 * [{"role","text"|"reply","ts","msg_id"}] (json_decref()). NULL on error. */
struct json_t *session_history(struct store *st, const struct session *s, unsigned max);

/* Appends one turn record, as session_history() shows it, to ctx (its JSON
 * array): store_history()'s callback, also store_session_resume()'s (a
 * resumed hello's reads together). Returns 0 or -ENOMEM. */
int session_history_add(void *ctx, const char *role, const char *text, int64_t ts,
                        const char *msg_id);

/* Drops s->doc (after s->state was replaced or a turn's save failed). */
void session_drop_doc(struct session *s);

/* Frees what s owns (its state and doc). */
void session_fini(struct session *s);

/* The anonymous tag turn records carry instead of the user key: 16 hex
 * characters and a NUL (FNV-1a 64 of the user key, or the token). */
void session_user_hash(const struct session *s, char out[17]);

#endif
