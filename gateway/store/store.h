/* gateway/store/store.h - all state of the server behind one interface: sessions
 * (state JSON, history), turn records, the resend key (a client message id
 * and the reply it got), the Messenger/Zalo outbox, webhook de-duplication
 * keys, numbered options, channel tokens, and officer accounts, their
 * sessions and the audit log.
 *
 * Writes are group-committed. The first write after a commit opens a batch
 * (one transaction); every later write joins it until store_commit(), which
 * the server calls once per pass of its event loop. Nothing written is
 * durable, nor may anything that depends on it leave the process (a reply,
 * a webhook's 200), before store_commit() has returned 0. A unit
 * (store_unit_begin/_end) is all-or-nothing inside the batch; units nest.
 * Reads see the open batch's own writes, except store_outbox_due(): what it
 * returns is sent at once, so never a row of a batch not yet committed.
 *
 * Two back-ends, chosen by what store_open() is given: a file path is the
 * embedded SQLite database (store_sqlite*.c: WAL, every statement prepared
 * once at open), the default; a postgresql:// URL (data.state_url) is the
 * shared state of several nodes (store_pg*.c, issue 18). Dispatch is a
 * per-function switch at the top of each SQLite function ("on PostgreSQL:
 * store_pg_x"), not a table of function pointers: store_sqlite.c owns the
 * one struct store, the helpers' store_<part>.c files keep their plain
 * SQLite code, and a reader sees at each function where the other
 * back-end's version is. A function PostgreSQL does not implement yet fails
 * there (its error value, logged) and store_require_complete() names it,
 * so the server refuses to start rather than lose data (docs/scaling.md).
 * The interface names no back-end type. A struct store belongs to the
 * thread that opened it (the event loop's). */
#ifndef MOTCUA_GATEWAY_STORE_H
#define MOTCUA_GATEWAY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"
#include "session.h"

#define STORE_SCHEMA_VERSION 14
#define STORE_CHANNEL_MAX 16 /* bytes with the NUL; "messenger" is the longest */

struct store;

struct store_stats {
    uint64_t commits;     /* batches committed */
    uint64_t turns;       /* turns written (a queued save: once its verdict, a hit, is read) */
    uint64_t failures;    /* batches that failed to commit (rolled back) */
    uint64_t round_trips; /* PostgreSQL: statements sent and answered together count once */
    uint64_t deferred;    /* PostgreSQL: store_commit_send() calls that left the batch open */
};

/* ---- the store and its transactions ---------------------------------- */

/* Opens (creating if needed) the state database at path and migrates it:
 * a SQLite file, or a PostgreSQL database when path is a postgresql:// (or
 * postgres://) URL. Returns a new store (store_free()) or NULL with err set. */
struct store *store_open(const char *path, struct mc_err *err);

/* 0 when st's back-end implements every function of this interface (SQLite
 * always); else logs the ones it lacks, sets err and returns -ENOSYS: what
 * needs them all (the server) refuses to run. */
MC_MUST_CHECK int store_require_complete(const struct store *st, struct mc_err *err);

/* Rolls back a batch that was never committed, gives back the outbox rows
 * this handle claimed (store_outbox_due), then frees. NULL is a no-op. */
void store_free(struct store *st);

/* Whether a batch is open (something was written since the last commit). */
bool store_in_batch(const struct store *st);

/* Whether the state database can be reached now (/readyz): always for the
 * SQLite file; on PostgreSQL, whether the connection is up, a lost one being
 * reset here (between batches, at most once a second). */
bool store_ready(struct store *st);

/* Commits the open batch; 0 when none is open. Returns 0, or -EIO: the whole
 * batch was rolled back (nothing of it is stored). -EBUSY if a unit is still
 * open (a programmer error). */
MC_MUST_CHECK int store_commit(struct store *st);

/* Opens a unit inside the batch (opening the batch if needed). Returns 0 or
 * -EIO. Every store_unit_begin() that returned 0 is ended by one
 * store_unit_end(): keep true keeps its writes in the batch, false undoes
 * them. Returns 0 or -EIO (the batch is then unusable: commit fails). */
MC_MUST_CHECK int store_unit_begin(struct store *st);
MC_MUST_CHECK int store_unit_end(struct store *st, bool keep);

/* Counters since open. */
void store_get_stats(const struct store *st, struct store_stats *out);

/* ---- sessions and turns ------------------------------------------------ */

/* Loads the session of token into *s (s->state new, session_fini()).
 * Returns 0, -ENOENT, -ENOMEM or -EIO. */
MC_MUST_CHECK int store_session_by_token(struct store *st, const char *token, struct session *s);

/* Loads the session of (channel, user_key) into *s. Same returns. */
MC_MUST_CHECK int store_session_by_user(struct store *st, const char *channel, const char *user_key,
                                        struct session *s);

/* Inserts s (token, channel, user_key if not empty, last_seen; state "{}")
 * and sets s->id, in the open batch (opened if none is). PostgreSQL: with
 * an id the handle holds (a block of the id's sequence, read ahead) the
 * INSERT is queued and not waited for; without one it waits for the id.
 * Either way the row exists once the batch commits, and a failed INSERT
 * fails the batch. Returns 0 or -EIO. */
MC_MUST_CHECK int store_session_insert(struct store *st, struct session *s);

/* One turn as one unit: s->state and s->last_seen, then the n records of t
 * in order (a bot record with msg_id is the resend key). The write is a
 * compare-and-swap on s->version (bumped on success): several processes may
 * serve one session. The same statement checks the resend key: when the
 * session already has a bot record answering the msg_id of t's bot record,
 * nothing is written and -EALREADY returned (a resend: answer it with
 * store_find_reply(), run nothing twice), whatever the version. Returns 0,
 * -EALREADY, -EAGAIN when the stored session is no longer the version s was
 * read at (another worker saved a turn: reload it and run the turn again),
 * or -EIO (no such session, or the database failed); nothing is written
 * unless 0. Costs no round trip more than the save (docs/scaling.md). */
MC_MUST_CHECK int store_turn_save(struct store *st, struct session *s, const struct session_turn *t,
                                  size_t n);

/* store_turn_save() not waited for (PostgreSQL; issue 18): the save is
 * queued in the open batch and its answer, the verdict, is not read now.
 * s->version advances as if it hit. Only for a message and its answer (t:
 * "user" then "bot", alike but for text) in a turn whose unit writes
 * nothing else (a handoff change, a checklist page or a vote: the save
 * writes it, store_turn_queue_handoff(), store_turn_queue_share(),
 * store_turn_queue_feedback()): a miss writes
 * nothing, but undoes nothing either. The
 * verdict is known once the batch's commit is reported (store_commit_poll()
 * or store_commit()): ask store_turn_verdict(*save) before the reply
 * leaves. Returns 0 (*save > 0), -ENOTSUP (SQLite, a turn of another
 * shape, or too many verdicts pending: use store_turn_save()) or -EIO. */
MC_MUST_CHECK int store_turn_queue(struct store *st, struct session *s,
                                   const struct session_turn *t, size_t n, uint64_t *save);

/* store_turn_queue() for a session whose row the open batch holds locked
 * (s->row_locked: read in it FOR UPDATE, store_webhook_event(), or created
 * in it): nobody can move its version before the batch ends, so the save
 * cannot miss but for a handoff gone live (unless_handoff) or a fault, and
 * no verdict is kept: a miss makes the statement fail, and with it the
 * batch (its commit reports -EIO; a webhook is then answered 500 and
 * delivered again). s->version advances. Returns 0, -ENOTSUP (SQLite, a
 * turn of another shape, s not locked: use store_turn_save()) or -EIO. */
MC_MUST_CHECK int store_turn_queue_locked(struct store *st, struct session *s,
                                          const struct session_turn *t, size_t n);

/* The verdict of a save queued by store_turn_queue() in a batch whose commit
 * succeeded and was reported: 0 (saved), -EAGAIN (missed: the session was
 * no longer at that version, or the message was answered already; nothing
 * of the turn was written: read the session back and run it again, which
 * store_turn_save() tells apart) or -ENOENT (not known: not reported yet, or
 * asked already). Each verdict is given once. */
MC_MUST_CHECK int store_turn_verdict(struct store *st, uint64_t save);

/* store_turn_verdict() for a save of the batch still open: its answer is
 * read now if it has not arrived (one round trip: what is queued goes out).
 * For a second turn of one session in one batch, which must not be saved
 * on the first's optimistic version before the first is known to have hit.
 * Returns as store_turn_verdict(). */
MC_MUST_CHECK int store_turn_verdict_now(struct store *st, uint64_t save);

/* Calls fn once per turn record of session id, the last max of them, oldest
 * first; strings are borrowed for the call (msg_id NULL when absent). A
 * non-zero return from fn stops and is returned. Returns 0 or -EIO. */
MC_MUST_CHECK int store_history(struct store *st, int64_t session_id, unsigned max,
                                int (*fn)(void *ctx, const char *role, const char *text, int64_t ts,
                                          const char *msg_id),
                                void *ctx);

/* The reply already given to msg_id in session id, as new JSON text (free()),
 * or NULL if there is none (or on error). */
char *store_find_reply(struct store *st, int64_t session_id, const char *msg_id);

/* ---- outbox ------------------------------------------------------------- */

struct store_outbox_row {
    int64_t id;
    int attempts;
    int64_t created_ms;
    char channel[STORE_CHANNEL_MAX];
    char user[SESSION_USER_KEY_MAX + 1];
    char *body; /* new: free() */
    size_t body_len;
};

/* Queues one request body for (channel, user) at now_ms, in the open batch
 * (opened if none is). On PostgreSQL the INSERT is not waited for: it goes
 * with the next statement that needs an answer or with the COMMIT, and a
 * failure there fails the batch. Returns 0 or -EIO. */
MC_MUST_CHECK int store_outbox_add(struct store *st, const char *channel, const char *user,
                                   const char *body, int64_t now_ms);

/* a claim's life unless store_outbox_set_lease() says otherwise: well past one send
 * (OUTBOX_TIMEOUT_S); the setting outbox.lease_seconds */
#define STORE_OUTBOX_LEASE_MS 30000

/* Fills rows with up to max queued rows due at now_ms, the oldest of each
 * citizen only (order per user), oldest first; *n is their count. A row
 * the open batch added is never among them, nor anything after it of its
 * citizen: it is not committed, and a reply sent from it would answer a turn
 * whose commit may yet fail (the platform then redelivers: two answers). It is
 * due once its batch has committed; a row whose COMMIT is in flight (the
 * other PostgreSQL connection) is not seen before it lands. Each
 * row's body is new (free()). Every row returned is claimed by this store
 * handle until about now_ms + its lease (store_outbox_lease()): other handles (worker
 * processes, nodes) skip it, and skip its citizen, until the lease ends
 * (a handle that died gives its rows back that way; on SQLite, one
 * machine's file, a dead process's at once), store_outbox_retry()
 * releases it, or store_free() (a node stopping) releases all this handle's;
 * this handle gets it again while it is due. A claim need not
 * wait for store_commit(). On SQLite a claim the database refuses (a full
 * disk) still returns the row: one process sends per file. Returns 0,
 * -ENOMEM or -EIO. */
MC_MUST_CHECK int store_outbox_due(struct store *st, int64_t now_ms, struct store_outbox_row *rows,
                                   size_t max, size_t *n);

/* Marks row id "sent" or "failed" after attempts tries. Returns 0 or -EIO. */
MC_MUST_CHECK int store_outbox_done(struct store *st, int64_t id, const char *state, int attempts);

/* Schedules row id again at next_try_ms, releasing its claim. Returns 0 or -EIO. */
MC_MUST_CHECK int store_outbox_retry(struct store *st, int64_t id, int attempts,
                                     int64_t next_try_ms);

/* Rows still queued, or -1 on error. */
long store_outbox_pending(struct store *st);

/* store_outbox_due() without waiting for its answer (issue 18): sends the
 * claim of what is due at now_ms, up to max rows; store_outbox_claimed()
 * gives its rows once answered. On PostgreSQL it goes on the outbox's own
 * connection, outside the batch, after the outcomes sent before it (so it
 * sees them), and commits on its own: a claim that failed gives nothing
 * (-EIO) and its rows stay due to every handle. On SQLite, one machine's
 * file, the claim is made when its rows are taken. One claim at a time. Returns 0, -EBUSY (one is
 * in flight, or its answer not taken) or -EIO. */
MC_MUST_CHECK int store_outbox_claim_send(struct store *st, int64_t now_ms, size_t max);

/* The rows of the claim sent, as store_outbox_due() gives them (up to max,
 * each body new: free()). Returns 0 with *n set, -EAGAIN (not answered yet),
 * -ENOENT (none sent), -EIO (it failed: nothing is claimed) or -ENOMEM (the
 * claims stand until their lease ends). */
MC_MUST_CHECK int store_outbox_claimed(struct store *st, struct store_outbox_row *rows, size_t max,
                                       size_t *n);

/* Whether store_outbox_claimed() would give an answer now (neither -EAGAIN
 * nor -ENOENT). */
bool store_outbox_claim_answered(struct store *st);

/* store_outbox_done() (state "sent" or "failed") or, state NULL,
 * store_outbox_retry(), not waited for (issue 18). SQLite: those, in the
 * batch: 0 or -EIO. PostgreSQL: on the outbox's own connection, outside the
 * batch and alone (a refusal fails nothing else), sent now or after what is
 * in flight there: returns 1 and its answer comes by store_outbox_outcomes()
 * (committed, or not written: the caller writes it again, and meanwhile the
 * row stays claimed by this handle); -EIO when too many wait. */
MC_MUST_CHECK int store_outbox_outcome_send(struct store *st, int64_t id, const char *state,
                                            int attempts, int64_t next_try_ms);

/* An outcome's answer (store_outbox_outcome_send() returned 1). */
struct store_outbox_outcome {
    int64_t id;
    bool ok; /* committed; false: not written (the caller writes it again) */
};

/* Moves up to max answered outcomes into out, oldest first. Returns how many
 * (SQLite: 0, its outcomes are answered at once). */
size_t store_outbox_outcomes(struct store *st, struct store_outbox_outcome *out, size_t max);

/* Whether outcomes or a claim are on their way (PostgreSQL): the caller
 * polls (store_outbox_outcomes(), store_outbox_claim_answered()) soon. */
bool store_outbox_busy(struct store *st);

/* ---- webhooks and channels --------------------------------------------- */

/* Records (channel, event_id) as seen at now_s. Returns 1 if it is new, 0
 * if it was seen before, -EIO on error. */
MC_MUST_CHECK int store_event_first_time(struct store *st, const char *channel,
                                         const char *event_id, int64_t now_s);

/* The options JSON last offered to (channel, user), new (free()), or NULL. */
char *store_options_get(struct store *st, const char *channel, const char *user);

/* Replaces the options offered to (channel, user). Returns 0 or -EIO. */
MC_MUST_CHECK int store_options_put(struct store *st, const char *channel, const char *user,
                                    const char *options_json);

/* Copies the stored tokens of channel (refresh "" when none). Returns 0,
 * -ENOENT, -E2BIG (a buffer too small) or -EIO. */
MC_MUST_CHECK int store_token_get(struct store *st, const char *channel, char *access,
                                  size_t access_cap, char *refresh, size_t refresh_cap);

/* Replaces the tokens of channel. Returns 0 or -EIO. */
MC_MUST_CHECK int store_token_put(struct store *st, const char *channel, const char *access,
                                  const char *refresh, int64_t now_s);

/* ---- officers, their sessions and the audit log ------------------------ */

#define STORE_OFFICER_USER_MAX 64  /* bytes with the NUL (officer.h OFFICER_USERNAME_MAX) */
#define STORE_OFFICER_NAME_MAX 256 /* bytes with the NUL; a full Vietnamese name */
#define STORE_OFFICER_ROLE_MAX 16  /* bytes with the NUL; "officer" or "admin" */
#define STORE_OFFICER_UNIT_MAX 32  /* bytes with the NUL; a ward code, "" for none */
#define STORE_OFFICER_HASH_MAX 160 /* bytes with the NUL (officer.h OFFICER_HASH_MAX) */
#define STORE_OFFICER_CSRF_MAX 65  /* bytes with the NUL; 64 hex characters */

struct store_officer {
    char username[STORE_OFFICER_USER_MAX];
    char name[STORE_OFFICER_NAME_MAX];
    char role[STORE_OFFICER_ROLE_MAX];
    char unit[STORE_OFFICER_UNIT_MAX];
    char hash[STORE_OFFICER_HASH_MAX]; /* "scrypt$..." (officer.h); never logged */
    bool disabled;
    int64_t created; /* seconds since the epoch */
};

/* Inserts o (every field but disabled, which starts false). Returns 0,
 * -EEXIST (the username is taken), -E2BIG (a field is not NUL-terminated in
 * its array) or -EIO. */
MC_MUST_CHECK int store_officer_add(struct store *st, const struct store_officer *o);

/* Loads username into *o. Returns 0, -ENOENT or -EIO. */
MC_MUST_CHECK int store_officer_get(struct store *st, const char *username,
                                    struct store_officer *o);

/* Replaces the password hash of username and ends all its sessions.
 * Returns 0, -ENOENT or -EIO. */
MC_MUST_CHECK int store_officer_set_hash(struct store *st, const char *username, const char *hash);

/* Disables username and ends all its sessions. Returns 0, -ENOENT or -EIO. */
MC_MUST_CHECK int store_officer_disable(struct store *st, const char *username);

/* Calls fn once per officer, by username; o is borrowed for the call, with
 * hash set to "" (a list never carries hashes). A non-zero return from fn
 * stops and is returned. Returns 0 or -EIO. */
MC_MUST_CHECK int store_officer_list(struct store *st,
                                     int (*fn)(void *ctx, const struct store_officer *o),
                                     void *ctx);

/* Records a session: token_hash (SHA-256 hex of the cookie, officer.h) for
 * username with its CSRF token, valid from created to expires (seconds).
 * Returns 0 or -EIO. */
MC_MUST_CHECK int store_officer_session_add(struct store *st, const char *token_hash,
                                            const char *username, const char *csrf, int64_t created,
                                            int64_t expires);

/* Loads the officer of session token_hash into *o (hash "") and its CSRF
 * token into csrf, if the session has not expired at now_s and the account
 * is not disabled. Returns 0, -ENOENT (no such live session) or -EIO. */
MC_MUST_CHECK int store_officer_session_get(struct store *st, const char *token_hash, int64_t now_s,
                                            struct store_officer *o,
                                            char csrf[STORE_OFFICER_CSRF_MAX]);

/* Ends session token_hash (nothing when there is none), and drops every
 * session expired at now_s. Returns 0 or -EIO. */
MC_MUST_CHECK int store_officer_session_end(struct store *st, const char *token_hash,
                                            int64_t now_s);

/* Appends one audit row: who (username, "" if unknown), what (action, e.g.
 * "login", "login_failed", "logout"), which conversation (NULL when none),
 * from where (ip, NULL when not over the network) and detail (NULL or short
 * text; never a password or token). Returns 0 or -EIO. */
MC_MUST_CHECK int store_audit_add(struct store *st, int64_t ts, const char *username,
                                  const char *action, const char *conversation, const char *ip,
                                  const char *detail);

/* Counts "login_failed" audit rows since since_s for username and for ip,
 * and the time of the latest of either (0 when none). Returns 0 or -EIO. */
MC_MUST_CHECK int store_audit_failures(struct store *st, const char *username, const char *ip,
                                       int64_t since_s, unsigned *by_user, unsigned *by_ip,
                                       int64_t *last_s);

/* Calls fn once per audit row, the last max of them, oldest first; strings
 * are borrowed for the call ("" for NULL). Returns 0, fn's non-zero, or -EIO. */
MC_MUST_CHECK int store_audit_list(struct store *st, unsigned max,
                                   int (*fn)(void *ctx, int64_t ts, const char *username,
                                             const char *action, const char *conversation,
                                             const char *ip, const char *detail),
                                   void *ctx);

/* ---- handoff: a conversation a person takes over (issue 14) ----------- *
 * A session's handoff state is "bot" (no row, or the row says so),
 * "pending" (waiting in the officers' queue), "officer" (an officer holds
 * it) or "closed" (an officer ended it; the next citizen message is the
 * bot's again). While "pending" or "officer" the bot never answers: the
 * citizen's messages are handoff messages. The conversation id officers see
 * is the session's row id. */

#define STORE_HANDOFF_STATE_MAX 8   /* bytes with the NUL; "pending" is the longest */
#define STORE_HANDOFF_PROC_MAX 64   /* bytes with the NUL; a procedure id, "" for none */
#define STORE_HANDOFF_TEXT_MAX 2048 /* bytes; a citizen's or officer's message */

struct store_handoff {
    int64_t session_id;
    char state[STORE_HANDOFF_STATE_MAX]; /* bot | pending | officer | closed */
    char channel[STORE_CHANNEL_MAX];
    char user_key[SESSION_USER_KEY_MAX + 1]; /* Messenger/Zalo id, "" on web/kiosk */
    char procedure[STORE_HANDOFF_PROC_MAX];  /* the procedure in talk when asked, "" */
    char locality[STORE_OFFICER_UNIT_MAX];   /* ward code when known, "" */
    int64_t waiting_since;                   /* seconds: when it last became pending */
    char officer[STORE_OFFICER_USER_MAX];    /* who holds it ("officer"), or held it; "" */
    int64_t updated;                         /* seconds: last change of state */
    int64_t last_citizen_ms; /* ms of the citizen's last message (channel windows) */
};

/* Loads the handoff of session_id into *h; a session never handed off reads
 * as state "bot" with the other fields empty. Returns 0, or -EIO. */
MC_MUST_CHECK int store_handoff_get(struct store *st, int64_t session_id, struct store_handoff *h);

/* The citizen asks for a person: "bot" or "closed" -> "pending" at now_s,
 * with h->channel, user_key, procedure and locality as given (session_id
 * and those fields read from h). Returns 0, -EALREADY (already "pending" or
 * "officer": nothing changes) or -EIO. Adds feed event "pending". */
MC_MUST_CHECK int store_handoff_request(struct store *st, const struct store_handoff *h,
                                        int64_t now_s);

/* store_turn_queue() of a turn that changes its session's handoff: h->state
 * "pending", the citizen asks for an officer (as store_handoff_request(),
 * with h's channel, user_key, procedure, locality), or "bot", the citizen
 * cancels (as store_handoff_end(officer NULL, "bot"); the save does not
 * miss for the live handoff it ends). h->session_id is s->id. The change
 * is written by the save's own statement, only if the save hits, with its
 * feed event and that event's notification (sent by the COMMIT); a miss
 * writes neither, and the turn runs again as any missed turn does. A
 * change already made (a request while one waits, a cancel of nothing
 * live) changes nothing, as those functions' -EALREADY and -ENOENT.
 * Returns as store_turn_queue(): -ENOTSUP (SQLite, a turn of another
 * shape, no room for its verdict: the change and store_turn_save() in one
 * unit instead), -EINVAL (h of another session, another state) or -EIO. */
MC_MUST_CHECK int store_turn_queue_handoff(struct store *st, struct session *s,
                                           const struct session_turn *t, size_t n,
                                           const struct store_handoff *h, int64_t now_s,
                                           uint64_t *save);

/* An officer takes a pending conversation: "pending" -> "officer" held by
 * officer. Returns 0 (also when officer already holds it), -EBUSY (another
 * officer holds it: the loser of a race), -ENOENT (not pending nor held:
 * back with the bot or closed) or -EIO. Adds feed event "claimed". */
MC_MUST_CHECK int store_handoff_claim(struct store *st, int64_t session_id, const char *officer,
                                      int64_t now_s);

/* Ends a handoff: to "bot" (an officer releases it, or the citizen cancels
 * while pending or held) or "closed" (an officer closes it). When officer is
 * not NULL the conversation must be held by that officer (-EPERM if held by
 * another, -ENOENT if not held); when NULL (the citizen cancels) it must be
 * "pending" or "officer" (-ENOENT otherwise). Returns 0, -EPERM, -ENOENT,
 * -EINVAL (to is neither "bot" nor "closed") or -EIO. Adds feed event
 * "released", "closed" or "cancelled". */
MC_MUST_CHECK int store_handoff_end(struct store *st, int64_t session_id, const char *officer,
                                    const char *to, int64_t now_s);

/* Calls fn once per handoff in state (pending: oldest waiting first;
 * officer and closed: latest change first), at most max; h is borrowed for
 * the call. A non-zero return from fn stops and is returned. 0 or -EIO. */
MC_MUST_CHECK int store_handoff_list(struct store *st, const char *state, unsigned max,
                                     int (*fn)(void *ctx, const struct store_handoff *h),
                                     void *ctx);

/* Appends a message to the handoff transcript of session_id: from is
 * "citizen", "officer" or "system" (what the bot told the citizen about
 * the handoff); officer is the username for "officer", else NULL; text is
 * already masked for a citizen (the turn records' masking). Sets *id (may
 * be NULL). Adds feed event "message". Returns 0, -EINVAL or -EIO. */
MC_MUST_CHECK int store_handoff_message_add(struct store *st, int64_t session_id, const char *from,
                                            const char *officer, const char *text, int64_t now_ms,
                                            int64_t *id);

/* store_handoff_message_add() for a citizen's message with the client's
 * message id msg_id (NULL: none): when session_id already has a message
 * with msg_id (a resend after a reconnect), stores nothing, sets *id to it
 * and returns -EEXIST. Also sets the handoff's last_citizen_ms (as every
 * citizen message does). Returns 0, -EEXIST, -EINVAL or -EIO. */
MC_MUST_CHECK int store_handoff_citizen_add(struct store *st, int64_t session_id, const char *text,
                                            const char *msg_id, int64_t now_ms, int64_t *id);

/* Calls fn once per handoff message of session_id with id > after_id,
 * oldest first, at most max; strings borrowed for the call (officer "" when
 * none). Returns 0, fn's non-zero, or -EIO. */
MC_MUST_CHECK int
store_handoff_messages(struct store *st, int64_t session_id, int64_t after_id, unsigned max,
                       int (*fn)(void *ctx, int64_t id, const char *from, const char *officer,
                                 const char *text, int64_t ts_ms),
                       void *ctx);

/* ---- the feed: what happened, for every worker process to push --------- *
 * Every handoff change above appends one feed row (id increasing) in the
 * same batch. Each worker polls store_feed_since() with the last id it saw
 * and pushes to the sockets it holds: officer messages to the citizen's
 * WebSocket, new pending conversations and citizen messages to officers'
 * WebSockets. Works the same when the workers are processes, and with a
 * shared database server later. */

/* Calls fn once per feed row with id > after_id, oldest first, at most max:
 * kind ("pending", "claimed", "released", "closed", "cancelled",
 * "message"), session_id, message id (0 unless "message"), the officer
 * involved ("" none) and ts_ms. Returns 0, fn's non-zero, or -EIO. */
MC_MUST_CHECK int store_feed_since(struct store *st, int64_t after_id, unsigned max,
                                   int (*fn)(void *ctx, int64_t id, const char *kind,
                                             int64_t session_id, int64_t message_id,
                                             const char *officer, int64_t ts_ms),
                                   void *ctx);

/* The id of the newest feed row (0 when empty): where a worker starts. */
MC_MUST_CHECK int store_feed_last(struct store *st, int64_t *id);

/* Deletes feed rows older than before_ms. Returns 0 or -EIO. */
MC_MUST_CHECK int store_feed_prune(struct store *st, int64_t before_ms);
/* ---- reports (issue 15): figures over the turn records ----------------- *
 * Read-only aggregate queries for the weekly report (gateway/admin/). A
 * citizen message is a "user" turn record; a conversation is a session with
 * at least one in the span. Each call prepares its statements and finalizes
 * them (a report is rare; nothing is kept). They scan the span's turns: run
 * them on demand, never per turn. */

#define STORE_REPORT_KEY_MAX 64 /* bytes with the NUL: a channel, date, hour or procedure id */

enum store_report_by {
    STORE_REPORT_ALL,       /* one group, key "" (also when there is nothing) */
    STORE_REPORT_CHANNEL,   /* key: channel, by name */
    STORE_REPORT_DAY,       /* key: local date "YYYY-MM-DD", oldest first */
    STORE_REPORT_HOUR,      /* key: local hour "00".."23" */
    STORE_REPORT_DECISION,  /* key: "match", "clarify", "none", "" (a button: no understanding) */
    STORE_REPORT_PROCEDURE, /* key: procedure id; turns with one only; most conversations first */
};

struct store_report_span {
    int64_t from_s; /* first second counted (unix time) */
    int64_t to_s;   /* first second not counted */
    int offset_s;   /* seconds east of UTC: days and hours are local ones */
};

/* Calls fn once per group of the citizen messages with ts in sp, grouped by
 * by, with the group's key (borrowed for the call), its conversations
 * (distinct sessions) and messages. At most max groups (0: no limit). A
 * non-zero return from fn stops and is returned. Returns 0 or -EIO. */
MC_MUST_CHECK int store_report_messages(
    struct store *st, const struct store_report_span *sp, enum store_report_by by, unsigned max,
    int (*fn)(void *ctx, const char *key, uint64_t conversations, uint64_t messages), void *ctx);

/* Pre-checks in sp, a pre-check being one (conversation, procedure): started
 * when a bot reply in sp asked one of its questions or showed its checklist
 * (the reply's "question" or "checklist" block), completed when one showed
 * its checklist. Returns 0 or -EIO. */
MC_MUST_CHECK int store_report_prechecks(struct store *st, const struct store_report_span *sp,
                                         uint64_t *started, uint64_t *completed);

struct store_report_handoffs {
    bool available;       /* the handoff tables exist (else everything is 0) */
    uint64_t requested;   /* handoffs whose waiting_since is in the span */
    uint64_t answered;    /* ... that an officer's message followed */
    double median_wait_s; /* seconds from waiting_since to that message; 0 when none */
};

/* Handoffs that started waiting in sp (from the tables handoff and
 * handoff_message, when they exist). Returns 0, -ENOMEM or -EIO. */
MC_MUST_CHECK int store_report_handoffs(struct store *st, const struct store_report_span *sp,
                                        struct store_report_handoffs *out);

/* Citizens' votes cast in sp (the feedback section below: a vote replaced
 * counts once, at its latest time). *available is always true since schema
 * 9 (the report's JSON keeps the flag). Returns 0 or -EIO. */
MC_MUST_CHECK int store_report_feedback(struct store *st, const struct store_report_span *sp,
                                        bool *available, uint64_t *up, uint64_t *down);

/* ---- the commune's own data (issue 15): office fields, guide notes ------ *
 * What admins edit in the console (gateway/admin/office.h, notes.h): office
 * fields that override data/offices/<code>.json, the local fee/time notes
 * of a guide, and officials' notes on guide fields. Each write is a unit of
 * the open batch and bumps one revision counter in the same unit, which
 * every worker polls (store_local_rev) to rebuild its layer (kb_local.h)
 * once the batch is committed; on PostgreSQL the bump also notifies
 * (STORE_EVENT_OFFICE), so other nodes need not wait for their poll. Rare
 * writes: statements are prepared per call. Values are JSON text for office fields, plain text for
 * notes. */

#define STORE_LOCAL_KEY_MAX 64 /* bytes with the NUL: a ward code, guide id or field name */

/* One row handed to a callback; every pointer borrowed for the call. */
struct store_local_row {
    const char *key;     /* ward code or guide id */
    const char *field;   /* office field, "fee_note"/"time_note", or a guide field path */
    const char *value;   /* JSON text (office), the note's text, or the comment */
    const char *status;  /* guide notes: "confirmed" or "wrong"; else NULL */
    const char *officer; /* who (username) */
    int64_t ts;          /* when (seconds since the epoch) */
    int64_t id;          /* guide notes: the note's id; else 0 */
};

typedef int (*store_local_fn)(void *ctx, const struct store_local_row *row);

/* The revision of the commune's data (0 before any change). Returns 0 or -EIO. */
MC_MUST_CHECK int store_local_rev(struct store *st, int64_t *rev);

/* Sets (or replaces) office field of code to the JSON text value. Returns 0 or -EIO. */
MC_MUST_CHECK int store_office_set(struct store *st, const char *code, const char *field,
                                   const char *value, const char *officer, int64_t ts);

/* Removes office field of code. Returns 0, -ENOENT (not overridden) or -EIO. */
MC_MUST_CHECK int store_office_unset(struct store *st, const char *code, const char *field);

/* Calls fn per office field override, oldest first. A non-zero return from
 * fn stops and is returned. Returns 0 or -EIO. */
MC_MUST_CHECK int store_office_each(struct store *st, store_local_fn fn, void *ctx);

/* Sets guide id's local note field ("fee_note"/"time_note") to text, or
 * removes it when text is NULL (-ENOENT when there was none). Returns 0,
 * -ENOENT or -EIO. */
MC_MUST_CHECK int store_guide_local_set(struct store *st, const char *id, const char *field,
                                        const char *text, const char *officer, int64_t ts);

/* Calls fn per local note, as store_office_each(). */
MC_MUST_CHECK int store_guide_local_each(struct store *st, store_local_fn fn, void *ctx);

/* Adds an official's note on guide id's field path. Sets *id_out. Returns 0 or -EIO. */
MC_MUST_CHECK int store_guide_note_add(struct store *st, const char *id, const char *field,
                                       const char *status, const char *comment, const char *officer,
                                       int64_t ts, int64_t *id_out);

/* Calls fn per guide note of procedure id (NULL: all), newest first, at most
 * max. Returns as store_office_each(). */
MC_MUST_CHECK int store_guide_notes(struct store *st, const char *id, unsigned max,
                                    store_local_fn fn, void *ctx);
/* ---- the console: unanswered questions and taught phrases (issue 15) --- *
 * Read on demand by an admin (gateway/admin/unanswered.h, teach.h), except
 * store_phrase_rev(), which every turn reads: one row by primary key. */

#define STORE_PHRASE_TEXT_MAX 512 /* bytes of a taught phrase (teach.h TEACH_TEXT_MAX) */
#define STORE_PHRASE_LABEL_MAX 64 /* bytes with the NUL: a catalogue id or "none" */

/* One citizen message the bot did not answer surely, with what it considered. */
struct store_unanswered {
    int64_t id;             /* the user turn record */
    int64_t ts;             /* seconds since the epoch */
    const char *channel;    /* borrowed for the call, as every string here */
    const char *text;       /* masked when it was recorded (mc_mask_pii) */
    const char *label;      /* the best label, "none" when declined */
    double confidence;      /* of label */
    const char *decision;   /* "none", "clarify" or "match" */
    const char *candidates; /* the bot reply's understanding.candidates as JSON text, "[]" */
};

/* Calls fn once per typed citizen message with ts in sp whose decision was
 * "none" or "clarify", or "match" with confidence below low_confidence,
 * newest first, at most max. A non-zero return from fn stops and is
 * returned. Returns 0 or -EIO. */
MC_MUST_CHECK int store_unanswered(struct store *st, const struct store_report_span *sp,
                                   double low_confidence, unsigned max,
                                   int (*fn)(void *ctx, const struct store_unanswered *u),
                                   void *ctx);

struct store_phrase {
    int64_t id;
    const char *text;    /* borrowed for the call */
    const char *label;   /* a catalogue id or "none" */
    const char *officer; /* the admin who taught it (username) */
    int64_t created;     /* seconds since the epoch */
};

/* Stores a taught phrase and bumps the revision, as one unit of the open
 * batch (commit before telling anyone). Sets *id and *rev (the new
 * revision). Returns 0, -E2BIG (text or label too long) or -EIO. */
MC_MUST_CHECK int store_phrase_add(struct store *st, const char *text, const char *label,
                                   const char *officer, int64_t now_s, int64_t *id, int64_t *rev);

/* Deletes taught phrase id and bumps the revision, as one unit; copies its
 * label into label[STORE_PHRASE_LABEL_MAX] when not NULL. Returns 0,
 * -ENOENT (no such phrase: nothing changes) or -EIO. */
MC_MUST_CHECK int store_phrase_delete(struct store *st, int64_t id,
                                      char label[STORE_PHRASE_LABEL_MAX], int64_t *rev);

/* Calls fn once per taught phrase, oldest first (the order they are added
 * to an index). Returns 0, fn's non-zero, or -EIO. */
MC_MUST_CHECK int store_phrase_list(struct store *st,
                                    int (*fn)(void *ctx, const struct store_phrase *p), void *ctx);

/* The taught phrases' revision: 0 until the first is taught, then bumped
 * by every add and delete. Returns 0 or -EIO. */
MC_MUST_CHECK int store_phrase_rev(struct store *st, int64_t *rev);

/* ---- citizen feedback (issue 15): a vote on one bot answer ------------- *
 * An answer is a bot turn record; a vote is "up" or "down", one per answer
 * (a second vote replaces the first, time included). A web or kiosk client
 * names an answer by the message id it answered (the turn's msg_id);
 * Messenger and Zalo turns carry none, so a vote there is on the session's
 * latest answer. The report counts votes by their time (store_report_feedback). */

#define STORE_FEEDBACK_COMMENT_MAX 500 /* bytes of a citizen's comment (masked before storing) */
#define STORE_FEEDBACK_TEXT_MAX 2048   /* bytes of a question or answer an admin list shows */

struct store_feedback_answer {
    int64_t turn_id;                       /* the bot turn record */
    char msg_id[STORE_REPORT_KEY_MAX + 1]; /* the client's message id, "" for none */
    char procedure[STORE_REPORT_KEY_MAX];  /* the procedure after that turn, "" for none */
    bool asks;                             /* the reply asked "Có giúp được bạn không?" */
};

/* The answer of session_id to client message msg_id, or (msg_id NULL) the
 * session's latest answer, into *a. Returns 0, -ENOENT (no such answer) or
 * -EIO. */
MC_MUST_CHECK int store_feedback_answer(struct store *st, int64_t session_id, const char *msg_id,
                                        struct store_feedback_answer *a);

/* Records vote ("up" or "down") at ts on answer a of session_id on channel,
 * with comment (NULL or already masked, at most STORE_FEEDBACK_COMMENT_MAX
 * bytes), replacing an earlier vote on it. Returns 0, -EINVAL (a bad vote or
 * comment) or -EIO. */
MC_MUST_CHECK int store_feedback_put(struct store *st, int64_t session_id,
                                     const struct store_feedback_answer *a, const char *channel,
                                     const char *vote, const char *comment, int64_t ts);

/* A vote on the answer of session_id to client message msg_id, as
 * store_feedback_answer() then store_feedback_put() (vote, comment and
 * channel as there). PostgreSQL (issue 18, docs/scaling.md "A vote by
 * WebSocket frame"): one statement queued in the open batch (opened if none
 * is) and not waited for, which writes the vote only if the session has
 * that answer, its verdict read with the batch's results: *verdict > 0, to
 * ask store_feedback_verdict() once the batch's commit is reported. SQLite,
 * or no room for a verdict: the read and the write waited for, *verdict 0.
 * Returns 0, -ENOENT (no such answer: nothing written; known now only when
 * waited for), -EINVAL (a bad vote or comment) or -EIO. */
MC_MUST_CHECK int store_feedback_cast(struct store *st, int64_t session_id, const char *msg_id,
                                      const char *channel, const char *vote, const char *comment,
                                      int64_t ts, uint64_t *verdict);

/* store_feedback_cast()'s queued statement alone: Returns 0 (*verdict > 0),
 * -ENOTSUP (SQLite, or STORE_PG_VERDICTS_MAX verdicts wait already),
 * -EINVAL or -EIO. */
MC_MUST_CHECK int store_feedback_queue(struct store *st, int64_t session_id, const char *msg_id,
                                       const char *channel, const char *vote, const char *comment,
                                       int64_t ts, uint64_t *verdict);

/* The verdict of a vote queued by store_feedback_cast() in a batch whose
 * commit succeeded and was reported: 0 (written), -ENOENT (the session had
 * no such answer: nothing written) or -EIO (not known: not reported yet,
 * asked already, or its statement failed). Each verdict is given once. */
MC_MUST_CHECK int store_feedback_verdict(struct store *st, uint64_t verdict);

/* A vote by quick reply decided and not written yet (feedback_postback()
 * given a plan): the answer voted on, "up" or "down", and its time. */
struct store_feedback_vote {
    struct store_feedback_answer a;
    char vote[8];
    int64_t ts;
};

/* store_turn_queue() of the turn of a vote by quick reply: the vote is
 * written by the save's own statement (as store_feedback_put() on channel
 * s->channel, no comment), only if the save hits; a miss writes neither,
 * and the turn runs again as any missed turn does (docs/scaling.md "Turns
 * that write something else"). save NULL: s->row_locked, queued as
 * store_turn_queue_locked() (no verdict; a miss fails the batch). Returns
 * as store_turn_queue(): -ENOTSUP (SQLite, another shape, no room for a
 * verdict, save NULL and s not locked: store_feedback_put() and
 * store_turn_save() in one unit instead), -EINVAL (a bad vote) or -EIO. */
MC_MUST_CHECK int store_turn_queue_feedback(struct store *st, struct session *s,
                                            const struct session_turn *t, size_t n,
                                            const struct store_feedback_vote *v, uint64_t *save);

/* Calls fn once per procedure with votes in sp ("" for answers about none),
 * most votes first, at most max. Returns 0, fn's non-zero, or -EIO. */
MC_MUST_CHECK int
store_feedback_by_procedure(struct store *st, const struct store_report_span *sp, unsigned max,
                            int (*fn)(void *ctx, const char *procedure, uint64_t up, uint64_t down),
                            void *ctx);

struct store_feedback_row {
    int64_t ts;            /* seconds: when the vote was cast */
    const char *channel;   /* borrowed for the call, like every string here */
    const char *procedure; /* "" for none */
    const char *question;  /* the citizen's message the answer answered (masked when stored) */
    const char *answer;    /* the answer: the reply's JSON text as stored */
    const char *comment;   /* "" for none */
};

/* Calls fn once per "down" vote in sp, newest first, at most max. Returns 0,
 * fn's non-zero, or -EIO. */
MC_MUST_CHECK int store_feedback_downs(struct store *st, const struct store_report_span *sp,
                                       unsigned max,
                                       int (*fn)(void *ctx, const struct store_feedback_row *r),
                                       void *ctx);

/* ---- personal data: keyed user ids, retention, erasure (store_privacy.c) -- */

#define STORE_ID_KEY_LEN 32 /* bytes of the HMAC key of platform user ids */
/* bytes with the NUL: "h:" and 64 hex digits, or a clear id when no key is set */
#define STORE_USER_HKEY_MAX (SESSION_USER_KEY_MAX + 1)
_Static_assert(STORE_USER_HKEY_MAX >= 2 + 64 + 1, "room for a hashed id");

/* Sets the key the store hashes platform user ids with (HMAC-SHA256): from
 * now on sessions and numbered options are stored and looked up by
 * "h:<hex>" instead of the clear id; outbox rows and open handoffs keep the
 * clear id, which sending needs. Without a key (unit tests) ids are stored
 * as given. Rewrites rows written in clear before (an upgrade). Returns 0 or
 * -EIO. */
MC_MUST_CHECK int store_privacy_set_key(struct store *st, const unsigned char *key, size_t len);

/* The key kept in the state database, created (random) by the first caller.
 * Returns 0 with key[STORE_ID_KEY_LEN] filled, or -EIO. Commits. */
MC_MUST_CHECK int store_privacy_db_key(struct store *st, unsigned char key[STORE_ID_KEY_LEN]);

/* What the store keeps for (channel, clear user id): "h:<hex>" with a key,
 * else the id. out has STORE_USER_HKEY_MAX bytes. */
void store_privacy_user_key(struct store *st, const char *channel, const char *user, char *out,
                            size_t cap);

/* Deletes everything of one session, in one unit: its turn records, votes,
 * handoff and handoff messages, feed rows, numbered options, its audit
 * rows' conversation reference (the officer's action stays, not whose
 * conversation), outbox rows for user (the clear id; NULL: none), its checklist pages and the
 * session row. Returns 0 (also when there was no such session) or -EIO. */
MC_MUST_CHECK int store_privacy_forget(struct store *st, int64_t session_id, const char *user);

struct store_purge {
    int64_t before_s;   /* records older than this (unix seconds) are deleted */
    int64_t token_s;    /* session tokens created before this are replaced */
    unsigned max;       /* rows per table in one call: a call stays short */
    unsigned long rows; /* out: rows deleted or changed */
};

/* One small step of retention: deletes up to p->max each of old turn
 * records (and their votes), votes, handoff messages, feed rows,
 * de-duplication keys, sent outbox rows and sessions idle since before
 * p->before_s (with all their rows); clears the user id of closed handoffs;
 * gives sessions created before p->token_s a new random token (the old one
 * no longer resumes anything). Call again while p->rows == the work left
 * (it is 0 when nothing is old). Returns 0 or -EIO. */
MC_MUST_CHECK int store_privacy_purge(struct store *st, struct store_purge *p);

/* ---- citizens' checklist pages /p/<token> (store_share.c) ---------------- */

#define STORE_SHARE_TOKEN_BYTES 16 /* random bytes of a token: 128 bits, unguessable */
/* base64url characters of a token (no padding): 4 per 3 bytes, rounded up */
#define STORE_SHARE_TOKEN_LEN ((STORE_SHARE_TOKEN_BYTES * 4 + 2) / 3)
#define STORE_SHARE_BODY_MAX (32 * 1024) /* bytes of one snapshot (the page's JSON) */
_Static_assert(STORE_SHARE_TOKEN_BYTES * 8 >= 96, "a token has at least 96 random bits");

/* Keeps body (a checklist snapshot, JSON text of at most STORE_SHARE_BODY_MAX
 * bytes) for session_id until expires (unix seconds), and writes its token
 * (STORE_SHARE_TOKEN_LEN base64url characters and a NUL) to token. The same
 * body shared again by the same session while its page lives gets the same
 * token (its expiry moved to expires); a new page is refused once the
 * session made per_hour of them in the hour before now. Inside the open
 * batch. Returns 0, -EBUSY (rate limited: no token), -E2BIG, -ENOMEM or
 * -EIO. */
MC_MUST_CHECK int store_share_put(struct store *st, int64_t session_id, const char *body,
                                  int64_t now, int64_t expires, unsigned per_hour,
                                  char token[STORE_SHARE_TOKEN_LEN + 1]);

/* A checklist page decided and not written yet (store_share_plan()): the
 * token its link gives out, and what keeps it. */
struct store_share_plan {
    char token[STORE_SHARE_TOKEN_LEN + 1];
    char *body; /* a new page's snapshot (new: store_share_plan_fini()); NULL: the page of the
                   same body lives, its expiry moves */
    int64_t session_id, now, expires;
};

/* store_share_put() in two steps, so that the write can go with the turn's
 * save (store_turn_queue_share()): decides the page (its reads: the live
 * page of the same body, the pages of the past hour) and fills *p without
 * writing; store_share_plan_write() or the queued save writes it. Only on
 * PostgreSQL: -ENOTSUP on SQLite (use store_share_put()). Returns 0 (*p to
 * store_share_plan_fini()), -EBUSY, -E2BIG, -ENOMEM or -EIO as
 * store_share_put(). */
MC_MUST_CHECK int store_share_plan(struct store *st, int64_t session_id, const char *body,
                                   int64_t now, int64_t expires, unsigned per_hour,
                                   struct store_share_plan *p);
/* Frees what *p holds; zeroed *p (or one already ended) is a no-op. */
void store_share_plan_fini(struct store_share_plan *p);
/* Writes *p in a unit of the open batch, as store_share_put() would have.
 * Returns 0 or -EIO. */
MC_MUST_CHECK int store_share_plan_write(struct store *st, const struct store_share_plan *p);
/* store_turn_queue() of a turn whose reply gives out p's link: the page is
 * written by the save's own statement, only if the save hits (the link
 * leaves with the reply, after the commit and a hit; a miss writes
 * neither, and the turn runs again). Returns as store_turn_queue():
 * -ENOTSUP (SQLite, another shape, no room for a verdict: write it with
 * store_share_plan_write() in the turn's unit and save waiting), -EINVAL
 * (p of another session) or -EIO. */
MC_MUST_CHECK int store_turn_queue_share(struct store *st, struct session *s,
                                         const struct session_turn *t, size_t n,
                                         const struct store_share_plan *p, uint64_t *save);

/* The snapshot of token while it lives (expires > now): 0 with *body new
 * (free()), -ENOENT (unknown, expired, or not a token's shape), or -EIO. */
MC_MUST_CHECK int store_share_get(struct store *st, const char *token, int64_t now, char **body);

/* Deletes up to max pages expired at now; adds the count to *rows. Returns 0
 * or -EIO. (A forgotten session's pages go with store_privacy_forget().) */
MC_MUST_CHECK int store_share_purge(struct store *st, int64_t now, unsigned max,
                                    unsigned long *rows);

/* ---- cross-node events: LISTEN/NOTIFY (store_pg_listen.c) --------------
 * On PostgreSQL every write that another node must see at once notifies in
 * its own transaction (delivered only when it commits): a feed row
 * (STORE_EVENT_FEED), a taught phrase added or deleted (STORE_EVENT_TEACH),
 * the commune's office data changed (STORE_EVENT_OFFICE: store_local_rev()
 * moved); store_notify_reload() asks every node to reload its knowledge and
 * bumps a durable revision (store_reload_rev()) a node that missed the
 * notification compares with the one it last acted on. Each store handle
 * may hold one listener, a second connection that only LISTENs, driven
 * without blocking by the caller's event loop (gateway/notify.c).
 * On SQLite there is none: the polls are the only way (docs/scaling.md). */

#define STORE_EVENT_FEED 1u   /* feed rows were committed: store_feed_since() has more */
#define STORE_EVENT_TEACH 2u  /* the taught phrases changed: store_phrase_rev() moved */
#define STORE_EVENT_RELOAD 4u /* another process asked every node to reload */
#define STORE_EVENT_LISTENING                                                                      \
    8u                         /* LISTEN took effect (after a (re)connection): read once           \
                                  what was committed before, whose notifications are lost */
#define STORE_EVENT_OFFICE 16u /* the commune's office data changed: store_local_rev() moved */

struct store_listen;

/* Sets *out to a new listener on st's database (store_listen_free(); st
 * must outlive it), not yet connected, or to NULL when st is SQLite.
 * Returns 0, or -ENOMEM with err set. */
MC_MUST_CHECK int store_listen_new(struct store *st, struct store_listen **out, struct mc_err *err);

/* Advances the connection without waiting: starts one when there is none,
 * and goes one step when its socket is ready. Returns the socket (> 0,
 * borrowed: libpq owns it) once connected and LISTEN sent, 0 while still
 * connecting (call again shortly), or -EIO when the attempt failed or took
 * longer than STORE_PG_CONNECT_TIMEOUT (closed; the next call starts another). */
MC_MUST_CHECK int store_listen_connect(struct store_listen *l);

/* Reads what the socket holds (call when it is readable) and sets *events to
 * the STORE_EVENT_* bits received. Returns 0, or -EIO when the connection is
 * lost (store_listen_close() it and connect again later). */
MC_MUST_CHECK int store_listen_read(struct store_listen *l, unsigned *events);

/* Closes the connection (its socket too); the next store_listen_connect()
 * starts again. NULL is a no-op. */
void store_listen_close(struct store_listen *l);

/* Closes and frees. NULL is a no-op. */
void store_listen_free(struct store_listen *l);

/* Asks every node on st's database to reload its knowledge: bumps the reload
 * revision and notifies (STORE_EVENT_RELOAD on the other processes'
 * listeners, not on this one's), both in the open batch (opened if none is)
 * and so seen by others only when it commits. Sets *rev to the new revision,
 * which this process takes as seen: it reloads for its own request. The
 * revisions only grow, and a value is never given twice, even by a batch
 * that rolled back. Returns 0, -ENOTSUP on SQLite (no other node: the
 * caller reloads itself only), or -EIO. */
MC_MUST_CHECK int store_notify_reload(struct store *st, int64_t *rev);

/* The committed reload revision (store_notify_reload()): a node compares it
 * with the one it last acted on when its listener was down (it may have
 * missed the notification). Returns 0, -ENOTSUP on SQLite, or -EIO. */
MC_MUST_CHECK int store_reload_rev(struct store *st, int64_t *rev);

/* ---- outbox claims: the lease and the owner (issue 18) ------------------ */

/* Sets how long this handle's claims on outbox rows last (store_outbox_due),
 * in ms; 0 or less: STORE_OUTBOX_LEASE_MS. It must exceed the longest send
 * (outbox.h: OUTBOX_TIMEOUT_S) with a margin: a claim is renewed at each
 * pump, but a node whose loop or database stalls renews nothing while its
 * request is out, and another node taking the row then would send it too
 * (the setting's bounds, cfg.h CFG_OUTBOX_LEASE_MIN_S, enforce it). */
void store_outbox_set_lease(struct store *st, int64_t lease_ms);

/* This handle's lease in ms. */
int64_t store_outbox_lease(const struct store *st);

/* The owner id this handle writes to outbox.claimed_by, > 0 (logged at start
 * so an operator can tell which node holds a row). */
int64_t store_outbox_owner(const struct store *st);

/* ---- the group commit without waiting (issue 18) ----------------------
 * On PostgreSQL a batch's COMMIT can be sent without waiting for it: the
 * event loop goes on, the next batch opens on another connection, and the
 * replies that waited for the first are released when its answer arrives.
 * SQLite commits a local file: store_commit() as before, never in flight. */

/* One finished commit: its batch's ticket, 0 or -EIO, how long it took. */
struct store_commit_done {
    uint64_t ticket;
    int rc;
    uint64_t us;
};

/* The open batch's ticket (> 0, growing by one a batch: what waits for
 * this batch's commit carries it), or 0 when no batch is open. */
uint64_t store_batch_ticket(const struct store *st);

/* Whether store_commit_send() leaves commits in flight (PostgreSQL). */
bool store_commits_async(const struct store *st);

/* Sends the open batch's COMMIT without waiting for its answer (nothing to
 * do without a batch); its result comes from store_commit_poll(). Returns 0,
 * -EAGAIN (every other connection still carries a COMMIT: the batch stays
 * open and takes more work; call again once one has landed), -EBUSY (a unit
 * is open) or -ENOTSUP (SQLite: use store_commit()). */
MC_MUST_CHECK int store_commit_send(struct store *st);

/* The socket descriptor of the connection carrying the commit of ticket
 * (borrowed: the store's; watch a duplicate of it), or -1. */
int store_commit_socket(const struct store *st, uint64_t ticket);

/* Whether a statement now would wait for a COMMIT in flight: on PostgreSQL
 * the next batch opens on a connection without one (store_commit_send()
 * keeps the batch open otherwise), so only when no other connection could
 * be opened does the batch's own connection still carry the last COMMIT,
 * and the next statement waits for it. Work that can come back later (the
 * outbox's pump, the fallback polls) asks this first and skips its turn
 * instead; a citizen's turn and an officer's action need the store now and
 * do not ask. Never waits itself. SQLite: false. */
bool store_would_wait(struct store *st);

/* How many commits are in flight (sent, answer not yet reported). */
unsigned store_commits_in_flight(const struct store *st);

/* Writes up to max finished commits into done, oldest batch first (a later
 * one is never reported before an earlier one); wait: waits for every one
 * in flight. Returns how many it wrote. */
size_t store_commit_poll(struct store *st, bool wait, struct store_commit_done *done, size_t max);

/* ---- a handoff known in memory (issue 18; docs/scaling.md, "The handoff
 * state not read") ---------------------------------------------------- */

/* Whether store_turn_queue() queues a turn's save (PostgreSQL): a save
 * marked unless_handoff then checks the handoff state in its own statement,
 * so a caller that knows no handoff is live may leave it unread before the
 * turn. SQLite: false (its read is local; keep it). */
bool store_turn_queues(const struct store *st);

/* ---- webhook events: their reads together (issue 18; store_webhook.c) ----
 * A Messenger or Zalo event needs, before its turn, its de-duplication key
 * recorded and the citizen's session, its handoff state and (Zalo) the
 * options last offered; after it, its outbox rows and options written. On
 * PostgreSQL the reads are sent together, one round trip, and the writes are
 * queued to go with the COMMIT (docs/scaling.md, "Webhook events: round
 * trips"); SQLite runs the functions above in turn. */

/* What store_webhook_event() read for a new event. */
struct store_webhook_read {
    bool found;             /* session is (channel, user)'s; false: it has none yet */
    struct session session; /* when found: as store_session_by_user() (session_fini()) */
    char handoff[STORE_HANDOFF_STATE_MAX]; /* when found: its handoff state ("bot": none) */
    char *options; /* new (free()) or NULL: the options last offered, when asked */
    /* found because this read created it (PostgreSQL, an id held: the row
     * queued in the batch before the lock, ON CONFLICT DO NOTHING; docs/
     * scaling.md "A session's first read"): new, resumed false, handoff "bot" */
    bool created;
};

/* Records (channel, event_id) as seen at now_s, as store_event_first_time();
 * when it is new, also reads into *out the session of (channel, user) (in an
 * open batch its row stays locked until the batch ends, as
 * store_session_by_user() there), that session's handoff state and, when
 * options, the options last offered to (channel, user). On PostgreSQL a
 * citizen without a session gets one in the same round trip when the handle
 * holds an id (out->created; two nodes creating it at once end with one
 * row, the second reading the first's once it commits); otherwise found is
 * false and the caller creates it (session_create_user()). *out is zeroed
 * first; free what it holds with store_webhook_read_fini() whatever the
 * return. Returns 1 (new), 0 (seen before: nothing read), -E2BIG (user
 * longer than SESSION_USER_KEY_MAX), -ENOMEM or -EIO. PostgreSQL: one round
 * trip (with the batch's queued BEGIN and SAVEPOINT). */
MC_MUST_CHECK int store_webhook_event(struct store *st, const char *channel, const char *event_id,
                                      const char *user, bool options, int64_t now_s,
                                      struct store_webhook_read *out);

/* Frees what r holds (r itself is the caller's). */
void store_webhook_read_fini(struct store_webhook_read *r);

/* store_outbox_add() whose answer is not waited for: on PostgreSQL the
 * INSERT is queued in the open batch (opened if none is) and goes with the
 * next statement that needs an answer or with the COMMIT; a failure there
 * fails the batch, so nothing of it is committed (its webhook is answered
 * 500 and redelivered). The row is never due before its batch commits
 * (store_outbox_due()). SQLite: store_outbox_add(). Returns 0 or -EIO. */
MC_MUST_CHECK int store_webhook_outbox_add(struct store *st, const char *channel, const char *user,
                                           const char *body, int64_t now_ms);

/* store_options_put(), queued as store_webhook_outbox_add(). Returns 0 or -EIO. */
MC_MUST_CHECK int store_webhook_options_put(struct store *st, const char *channel, const char *user,
                                            const char *options_json);

/* ---- a resumed session's reads together (issue 18; store_resume.c) ------
 * A WebSocket hello with a token needs the session, its last turns, its
 * handoff messages and its handoff state. On PostgreSQL they are four
 * statements sent together, one round trip (docs/scaling.md, "A session's
 * first read"); SQLite runs the functions above in turn. */

/* What store_session_resume() read besides the turns and messages. */
struct store_resume {
    struct session session; /* as store_session_by_token() (session_fini()) */
    /* when messages were asked for: the session's handoff state ("bot": none)
     * and, when "officer", the display name of the officer who holds it ("":
     * unknown), as store_handoff_get() then store_officer_get() */
    char handoff[STORE_HANDOFF_STATE_MAX];
    char officer_name[STORE_OFFICER_NAME_MAX];
};

/* The turn and message callbacks of store_session_resume(): as
 * store_history()'s and store_handoff_messages()'s, the message's with the
 * display name of its officer too ("" when none or unknown: the officer
 * username's store_officer_get()). */
typedef int (*store_resume_turn_fn)(void *ctx, const char *role, const char *text, int64_t ts,
                                    const char *msg_id);
typedef int (*store_resume_msg_fn)(void *ctx, int64_t id, const char *from, const char *officer,
                                   const char *officer_name, const char *text, int64_t ts_ms);

/* Loads the session of token into out->session as store_session_by_token()
 * (in an open batch its row locked, as there), then calls turn once per turn
 * record of it, the last max_turns, oldest first (store_history()), and,
 * when msg is not NULL, msg once per handoff message, the first max_msgs,
 * oldest first (store_handoff_messages() after id 0), and reads its handoff
 * state into out (else out->handoff is "bot"). Strings are borrowed for the
 * call. Returns 0, -ENOENT (no session of token: no callback called), a
 * callback's non-zero (it stops there), -ENOMEM or -EIO; out->session is
 * the caller's (session_fini()) only when 0 is returned. PostgreSQL: one
 * round trip (with what the batch has queued). */
MC_MUST_CHECK int store_session_resume(struct store *st, const char *token, unsigned max_turns,
                                       unsigned max_msgs, store_resume_turn_fn turn,
                                       store_resume_msg_fn msg, void *ctx,
                                       struct store_resume *out);

/* ---- a resumed session's reads not waited for (issue 18; store_pg_resume.c)
 * The reads of store_session_resume() sent on a connection of their own
 * (PostgreSQL) without waiting; their answer is handed to the caller's
 * callbacks from store_session_resume_poll(), which the caller runs on a
 * timer while reads are pending (docs/scaling.md, "Reads off the loop"). */

#define STORE_SESSION_RESUME_MAX 256 /* reads asked for and not yet answered, per handle */

/* The callbacks of one read: turn and msg (NULL: no messages nor handoff
 * state asked for) as store_session_resume()'s, then done, once, with 0
 * (out->session is then done's: session_fini()), -ENOENT (no session of the
 * token), a callback's non-zero, -ENOMEM or -EIO (the statements failed or
 * the connection was lost). */
struct store_resume_cbs {
    store_resume_turn_fn turn;
    store_resume_msg_fn msg;
    void (*done)(void *ctx, int rc, struct store_resume *out);
};

/* Asks for store_session_resume()'s reads of token, without waiting; cbs
 * (kept: static) are called with ctx (not NULL) from a later
 * store_session_resume_poll(), never from this call. The read is sent once
 * every batch the handle had opened by now has landed, so it sees what they
 * wrote, and is never inside a batch (no row locked). *id names it for
 * store_session_resume_cancel(). Returns 0, -ENOTSUP (SQLite: call
 * store_session_resume()), -EAGAIN (STORE_SESSION_RESUME_MAX pending),
 * -EIO (no connection for it now), -EINVAL or -ENOMEM; the caller may then
 * read waiting (store_session_resume()). */
MC_MUST_CHECK int store_session_resume_send(struct store *st, const char *token, unsigned max_turns,
                                            unsigned max_msgs, const struct store_resume_cbs *cbs,
                                            void *ctx, uint64_t *id);

/* Reads what has arrived, calls the callbacks of the reads answered (a lost
 * connection answers them -EIO: never left waiting), and sends the reads
 * that became due. Returns how many reads are still pending (poll again
 * later while > 0). Never waits. SQLite: 0. */
unsigned store_session_resume_poll(struct store *st);

/* Forgets read id: its callbacks are never called. Returns its ctx (the
 * caller's to free), or NULL when it is not pending. */
void *store_session_resume_cancel(struct store *st, uint64_t id);

/* ---- the feed's rows with what each push needs (issue 18; store_feed.c,
 * store_pg_feed.c; docs/scaling.md "Cross-node events") -------------------
 * A worker woken by a feed row used to read the rows (store_feed_since()),
 * then per row the handoff (store_handoff_get()), the officer's name
 * (store_officer_get()) and, for a message, the message
 * (store_handoff_messages()): 1 + 2 or 3 round trips per row, each waited
 * on the loop. Here they are one read; on PostgreSQL one statement (a
 * join), which can also be sent without waiting. */

/* One feed row and what its push needs; every pointer borrowed for the call. */
struct store_feed_item {
    int64_t id;          /* the feed row, increasing */
    const char *kind;    /* as store_feed_since()'s */
    int64_t session_id;  /* the conversation */
    int64_t message_id;  /* kind "message": the handoff message; else 0 */
    const char *officer; /* the officer involved (username), "" none */
    int64_t ts_ms;
    /* the conversation's handoff row as it is now (store_handoff_get(): a
     * session never handed off reads as state "bot"); NULL when it could not
     * be read (SQLite's separate read failed) */
    const struct store_handoff *handoff;
    const char *officer_name; /* officer's display name, "" when none or unknown */
    /* kind "message": the message's sender ("citizen", "officer", "system")
     * and text (store_handoff_messages()'s); NULL when not a message, or
     * its message is gone or could not be read */
    const char *from, *text;
};

typedef int (*store_feed_fn)(void *ctx, const struct store_feed_item *it);

/* store_feed_since()'s rows (id > after_id, oldest first, at most max), each
 * with what the separate reads gave (struct store_feed_item), fn called once
 * per row with no statement open. PostgreSQL: one statement, one round trip;
 * SQLite: the separate reads of a local file. Returns 0, fn's non-zero (it
 * stops the rows), -ENOMEM or -EIO (no row was handed to fn). */
MC_MUST_CHECK int store_feed_read(struct store *st, int64_t after_id, unsigned max,
                                  store_feed_fn fn, void *ctx);

/* The callbacks of a store_feed_read() not waited for: row as fn above, then
 * done once, with 0 and how many rows row saw, or -EIO (the statement
 * failed, the connection was lost: no row was handed to row). */
struct store_feed_cbs {
    store_feed_fn row;
    void (*done)(void *ctx, int rc, unsigned rows);
};

/* store_feed_read() sent without waiting on the handle's read connection
 * (store_session_resume_send()'s: neither the batch's nor the outbox's), in
 * the same queue as the resumed sessions' reads but not held back for the
 * handle's batches: it reads what is committed when it runs (a row of a
 * batch not landed yet is read by a later read, after that batch's
 * notification), and its callbacks (cbs kept: static) are called with ctx (not NULL) from
 * a later store_session_resume_poll(), which polls every read not waited
 * for, never from this call. *id names it for store_feed_read_cancel().
 * Returns 0, -ENOTSUP (SQLite: call store_feed_read()), -EAGAIN
 * (STORE_SESSION_RESUME_MAX reads pending), -EIO (no connection for it
 * now), -EINVAL or -ENOMEM; the caller may then read waiting. */
MC_MUST_CHECK int store_feed_read_send(struct store *st, int64_t after_id, unsigned max,
                                       const struct store_feed_cbs *cbs, void *ctx, uint64_t *id);

/* Forgets read id: its callbacks are never called. Returns its ctx, or NULL
 * when it is not pending. */
void *store_feed_read_cancel(struct store *st, uint64_t id);

/* The socket of the read connection while a segment of the reads not waited
 * for (resumes, the feed's) is in flight, and in *seq that segment's number
 * (a new one each segment): the caller may watch the socket and call
 * store_session_resume_poll() as soon as it is readable, instead of on a
 * timer. -1 when none is in flight (SQLite: always). */
int store_reads_socket(struct store *st, uint64_t *seq);

#endif
