/* gateway/store/store_pg.h - the PostgreSQL back-end of store.h (issue 18),
 * internal to gateway/store/: store_sqlite.c, which owns struct store, hands
 * each call to these functions when the store was opened on a
 * postgresql:// URL (store_pg_of() is not NULL), before touching SQLite.
 *
 * Same contract as store.h, function by function; what is not listed here
 * is not implemented on PostgreSQL yet: those functions return their error
 * value there (STORE_PG_MISSING in store_sqlite_int.h) and
 * store_require_complete() lists them, so the server refuses to start on an
 * incomplete back-end instead of losing data (docs/scaling.md).
 *
 * Connections: two libpq connections per store ("links", store_pg_link.c),
 * used from the caller's (event-loop) thread. Statements whose answer is
 * not needed at once (BEGIN, SAVEPOINT, RELEASE) are queued in libpq's
 * pipeline mode and go with the next one that needs its answer; a batch's
 * COMMIT is sent without waiting (store_pg_commit_send()) and the next batch
 * opens on the other link meanwhile (store_pg.c says why that keeps order). */
#ifndef MOTCUA_GATEWAY_STORE_PG_H
#define MOTCUA_GATEWAY_STORE_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct store_pg;

/* Whether target names a PostgreSQL database (postgresql:// or postgres://). */
bool store_pg_is_url(const char *target);

/* Connects to url and migrates its schema (under an advisory lock: nodes
 * starting together migrate once); owner (> 0, random) marks the outbox
 * rows this handle claims. Returns a new back-end (store_pg_free()) or NULL
 * with err set (never the URL: it may hold a password). */
struct store_pg *store_pg_open(const char *url, int64_t owner, struct mc_err *err);

/* Rolls back an uncommitted batch, releases the outbox rows this handle
 * claimed, closes. NULL is a no-op. */
void store_pg_free(struct store_pg *pg);

/* Applies the migrations the database lacks (store_pg_schema.c), under an
 * advisory lock: nodes starting together migrate once. Returns 0, -EINVAL (a
 * newer schema than this program's) or -EIO, with err set. */
MC_MUST_CHECK int store_pg_migrate(struct store_pg *pg, struct mc_err *err);

#define STORE_PG_RETRY_MS 1000 /* a lost connection is tried again at most this often */
/* Connections of one store: up to STORE_PG_LINKS - 1 COMMITs in flight and
 * one batch being built (store_pg.c); the later ones opened when first
 * needed. Per node: this times listen.workers, plus one listener each, and
 * the outbox's own connection on the worker that sends it (store_pg_outbox.c). */
#define STORE_PG_LINKS 3
#define STORE_PG_CONNECT_TIMEOUT "3" /* seconds, libpq's connect_timeout unless the URL sets it */
/* TCP keepalives and a bound on unacknowledged data, unless the URL sets
 * them: a database host that vanishes without a reset (power, a network
 * partition) is noticed in about 10 + 3 x 5 = 25 s instead of the kernel's
 * two hours, by the batch's connections and by the listener, which copies
 * them (docs/scaling.md, "Cross-node events"). Unix sockets ignore them. */
#define STORE_PG_KEEPALIVES_IDLE "10"
#define STORE_PG_KEEPALIVES_INTERVAL "5"
#define STORE_PG_KEEPALIVES_COUNT "3"
#define STORE_PG_TCP_USER_TIMEOUT "25000" /* ms */

/* Whether the connection can take statements now; a lost one is reset here
 * (between batches, at most every STORE_PG_RETRY_MS). */
bool store_pg_ready(struct store_pg *pg);

/* The functions of store.h not implemented here yet, comma-separated; "" when none. */
const char *store_pg_missing_list(void);

/* ---- for the store_pg_*.c files ---------------------------------------- */

/* parameters of the longest statement (a turn queued with a checklist page: 20) */
#define STORE_PG_PARAMS_MAX 20

/* One statement's parameters as text (libpq's text format). */
struct store_pg_params {
    const char *v[STORE_PG_PARAMS_MAX];
    char num[STORE_PG_PARAMS_MAX][32]; /* room for the numbers' text */
    int n;
};

void store_pg_param_text(struct store_pg_params *p, const char *s); /* NULL: SQL NULL */
void store_pg_param_int(struct store_pg_params *p, int64_t v);
void store_pg_param_double(struct store_pg_params *p, double v);

/* Runs sql with p on pg's connection; p NULL: no parameters, and sql may be
 * several statements (the last one's result is returned). Returns the result (new:
 * PQclear()) when its status is PGRES_COMMAND_OK or PGRES_TUPLES_OK, else
 * NULL, logged with the server's message. */
PGresult *store_pg_exec(struct store_pg *pg, const char *sql, const struct store_pg_params *p);

/* Runs a statement without parameters or rows (BEGIN, SAVEPOINT ...).
 * Returns 0 or -EIO. */
int store_pg_run(struct store_pg *pg, const char *sql);

/* store_pg_exec() that keeps only the count of rows the statement changed:
 * returns it (>= 0) or -EIO. */
MC_MUST_CHECK long store_pg_change(struct store_pg *pg, const char *sql,
                                   const struct store_pg_params *p);

/* store_pg_change() in the batch (opened if none is) under its own savepoint:
 * a statement that fails is undone alone and the batch goes on, as a failed
 * statement on SQLite, where the transaction survives it. Without this, one
 * refused write leaves the whole transaction in error: every later statement
 * of the pass fails and its commit undoes the turns of every conversation in
 * it. For the writes whose failure their callers survive (held in memory,
 * retried): the outbox's outcomes and the channel tokens. Returns the changed
 * row count (>= 0) or -EIO. */
MC_MUST_CHECK long store_pg_change_alone(struct store_pg *pg, const char *sql,
                                         const struct store_pg_params *p);

/* Queues sql with p (copied by libpq): it is sent with the next statement
 * that needs its answer (store_pg_exec(), store_pg_change(), store_pg_sync())
 * or with the COMMIT, in one round trip. Its failure is seen there: that
 * statement fails too (the server skips what follows a failed statement up
 * to the sync) and the transaction is in error. Returns 0 or -EIO. */
MC_MUST_CHECK int store_pg_queue(struct store_pg *pg, const char *sql,
                                 const struct store_pg_params *p);

/* Sends what is queued and reads every answer: changed[i] gets the rows the
 * i-th of the last n statements queued changed (-1: it failed or was
 * skipped). Returns 0 when every statement succeeded, else -EIO. */
MC_MUST_CHECK int store_pg_sync(struct store_pg *pg, long *changed, unsigned n);

/* Opens the batch if none is open (BEGIN, queued). Returns 0 or -EIO. */
MC_MUST_CHECK int store_pg_batch(struct store_pg *pg);

/* The random id of this store handle, for the outbox rows it claims: asking
 * for it marks the handle as a claimer, whose claims store_pg_free() releases. */
int64_t store_pg_owner(struct store_pg *pg);

/* The outbox's own connection (store_pg_outbox.c): pg's slot for it (NULL
 * until first used), and a new link on pg's URL (store_pg_link_free()) or
 * NULL with err set. */
struct store_pg_obq;
struct store_pg_obq **store_pg_obq_of(struct store_pg *pg);
struct store_pg_link *store_pg_link_open_more(struct store_pg *pg, struct mc_err *err);
void store_pg_obq_free(struct store_pg_obq *q); /* NULL: no-op */

/* The reads' own connection (store_pg_resume.c, "reads not waited for"):
 * pg's slot for it (NULL until first used); store_pg_aread_free() drops the
 * reads in flight without calling anyone (NULL: no-op). */
struct store_pg_aread;
struct store_pg_aread **store_pg_aread_of(struct store_pg *pg);
void store_pg_aread_free(struct store_pg_aread *a);
/* The ticket of the last batch opened (open, committing or landed; 0: none yet). */
uint64_t store_pg_last_ticket(const struct store_pg *pg);
/* Whether every batch up to ticket has had its COMMIT answered (committed
 * or rolled back: what it wrote is visible to other connections, or never
 * will be). Never waits. */
bool store_pg_landed_through(struct store_pg *pg, uint64_t ticket);

/* Counts one saved turn in the stats. */
void store_pg_count_turn(struct store_pg *pg);

/* Column i of row r as text ("" for NULL) or as a number (0 for NULL). */
const char *store_pg_text(const PGresult *r, int row, int i);
int64_t store_pg_int(const PGresult *r, int row, int i);

/* ---- one connection (store_pg_link.c) ---------------------------------- */

#define STORE_PG_QUEUE_MAX 32 /* statements queued before they go out anyway: a unit's few */

struct store_pg_link;

/* Connects to url. Returns a new link (store_pg_link_free()) or NULL with err set. */
struct store_pg_link *store_pg_link_open(const char *url, struct mc_err *err);
void store_pg_link_free(struct store_pg_link *l); /* NULL: no-op */
/* Whether l can take a statement; a lost connection is reset when may_reset
 * (no batch open on it), at most every STORE_PG_RETRY_MS. */
bool store_pg_link_usable(struct store_pg_link *l, bool may_reset);
/* store_pg_exec(), store_pg_queue(), store_pg_sync() on l. */
PGresult *store_pg_link_exec(struct store_pg_link *l, const char *sql,
                             const struct store_pg_params *p);
MC_MUST_CHECK int store_pg_link_queue(struct store_pg_link *l, const char *sql,
                                      const struct store_pg_params *p);
MC_MUST_CHECK int store_pg_link_sync(struct store_pg_link *l, long *changed, unsigned n);

#define STORE_PG_VERDICTS_MAX 256 /* saves queued in one batch on one link; more: synchronous */

/* A queued save's verdict: the rows its statement changed (-1: it failed). */
struct store_pg_verdict {
    uint64_t save;   /* the id store_pg_turn_queue() gave it */
    uint64_t ticket; /* its batch (set once its commit is taken) */
    long changed;
};

/* store_pg_link_queue() of a save whose answer is not read by anyone
 * waiting: when it arrives (with the next statement that needs an answer,
 * or the COMMIT) it is kept as the verdict of save (> 0). Returns 0,
 * -ENOSPC (STORE_PG_VERDICTS_MAX are kept already: save synchronously) or
 * -EIO. */
MC_MUST_CHECK int store_pg_link_queue_save(struct store_pg_link *l, const char *sql,
                                           const struct store_pg_params *p, uint64_t save);
/* Sends what is queued on l (one pipeline segment, ended by a sync: one
 * implicit transaction, outside any batch) without waiting for its answers,
 * which store_pg_link_poll() reads. Returns 0 or -EIO (nothing is in flight). */
MC_MUST_CHECK int store_pg_link_send(struct store_pg_link *l);
/* Reads the answers of what store_pg_link_send() sent, as far as they have
 * arrived. Returns 0 while some are on their way, 1 once all are read:
 * changed[i] then holds the rows the i-th of the n first statements changed
 * (-1: failed or skipped) and *last the last statement's result (new:
 * PQclear(); NULL when it failed); -EIO when the connection is lost (reset
 * at the next use). */
int store_pg_link_poll(struct store_pg_link *l, long *changed, unsigned n, PGresult **last);
/* Before store_pg_link_send(): the results of the n statements queued on l
 * (all of them) go to out[] as they are read by store_pg_link_poll(), out[i]
 * NULL for one that failed or was skipped (the caller's: PQclear()). out
 * must live until that poll returns non-zero. Returns 0 or -EIO (n is not
 * what is queued). */
MC_MUST_CHECK int store_pg_link_keep_all(struct store_pg_link *l, PGresult **out, unsigned n);
/* The verdict of save if its answer was read on l (and not taken):
 * *changed, removed from l. Returns 0 or -ENOENT. */
int store_pg_link_verdict_get(struct store_pg_link *l, uint64_t save, long *changed);
/* Moves up to max verdicts read on l into out (the batch's: taken with its
 * commit) and forgets the rest. Returns how many. */
unsigned store_pg_link_verdicts_take(struct store_pg_link *l, struct store_pg_verdict *out,
                                     unsigned max);
PGTransactionStatusType store_pg_link_status(const struct store_pg_link *l);
/* Sends COMMIT (after what is queued) without waiting for its answer, on a
 * non-blocking connection; ticket names the batch. Returns 0, or -EIO: the
 * commit is then finished already, failed. */
int store_pg_link_commit_send(struct store_pg_link *l, uint64_t ticket);
/* The ticket of the COMMIT in flight (or finished, not taken) on l; 0: none. */
uint64_t store_pg_link_committing(const struct store_pg_link *l);
/* Reads the COMMIT's answer; block: waits for it, else takes what arrived.
 * Returns whether it is finished (true when there is none). A failed one is
 * rolled back. */
bool store_pg_link_commit_finish(struct store_pg_link *l, bool block);
/* The finished commit's ticket, its result (0 or -EIO) and how long it took;
 * 0 when none is finished. l is then free of it. */
uint64_t store_pg_link_commit_take(struct store_pg_link *l, int *rc, uint64_t *us);
uint64_t store_pg_link_round_trips(const struct store_pg_link *l);
int store_pg_link_socket(const struct store_pg_link *l); /* PQsocket() */
PGconn *store_pg_link_conn(struct store_pg_link *l);     /* borrowed; NULL: l is NULL */

/* ---- session ids held by the handle (store_pg_ids.c; docs/scaling.md, "A
 * session's first read") ------------------------------------------------ */

#define STORE_PG_IDS_BLOCK 64 /* ids asked for at once (a block of the sequence) */
/* fewer held than this: the next block is asked for. At open the pool is
 * filled to twice that: 100 clients connecting at once to a node just
 * started find an id each */
#define STORE_PG_IDS_LOW 64

/* Queues the SELECT of n (<= STORE_PG_IDS_BLOCK) values of the session id's
 * sequence on l; its answer is kept on l when it is read, with whatever
 * statement or COMMIT next reads l's pipeline. Returns 0, -EBUSY (a block is
 * asked for or held on l already) or -EIO. */
MC_MUST_CHECK int store_pg_link_queue_ids(struct store_pg_link *l, unsigned n);
/* Whether l's block is asked for and its answer not read yet. */
bool store_pg_link_ids_asked(const struct store_pg_link *l);
/* Moves the ids read on l (up to max) into out. Returns how many. */
unsigned store_pg_link_ids_take(struct store_pg_link *l, int64_t *out, unsigned max);

/* The ids a handle holds (embedded in struct store_pg). */
struct store_pg_ids {
    int64_t id[2 * STORE_PG_IDS_BLOCK];
    unsigned n;
    struct store_pg_link *asked; /* the link a block was asked on, answer not taken; NULL: none */
};

/* pg's, borrowed. */
struct store_pg_ids *store_pg_ids_of(struct store_pg *pg);
/* The first ids (2 x STORE_PG_IDS_BLOCK), waited for (store_pg_open(): one
 * round trip at start).
 * Returns 0 or -EIO. */
MC_MUST_CHECK int store_pg_ids_fill(struct store_pg *pg);
/* Takes the ids read on l into the pool (a commit of l taken, or l about to
 * carry the batch's statements). */
void store_pg_ids_collect(struct store_pg *pg, struct store_pg_link *l);
/* Takes one id for a session row queued in the open batch (opened if none
 * is), asking for the next block in that batch's pipeline when few are
 * left. Returns 0, -ENOENT (none held: the caller lets the database choose,
 * waiting for the id) or -EIO. */
MC_MUST_CHECK int store_pg_ids_take(struct store_pg *pg, int64_t *id);
/* Gives back an id taken but not used (an INSERT that found the row). */
void store_pg_ids_give_back(struct store_pg *pg, int64_t id);

/* ---- saves not waited for (store_pg_turn.c) ------------------------------ */

#define STORE_PG_LANDED_MAX 1024 /* verdicts of committed batches kept until asked for */

/* The verdicts of batches whose commit was taken, until store_turn_verdict()
 * asks for each (embedded in struct store_pg). */
struct store_pg_landed {
    struct store_pg_verdict v[STORE_PG_LANDED_MAX];
    unsigned n;
    uint64_t next_save; /* the last save id given */
};

/* Takes the verdicts read on l, whose commit of batch ticket was just taken
 * (a failed batch's too: its frames become errors, they are never asked). */
void store_pg_landed_take(struct store_pg_landed *ld, struct store_pg_link *l, uint64_t ticket);
/* pg's, borrowed. */
struct store_pg_landed *store_pg_landed_of(struct store_pg *pg);
/* The link the open batch runs on, usable (store_pg.c's usable()), or NULL. */
struct store_pg_link *store_pg_batch_link(struct store_pg *pg);
int store_pg_turn_queue_locked(struct store *st, struct session *s, const struct session_turn *t,
                               size_t n);
/* Queues the lock of session_id's row, sent with the save that follows it.
 * Why a statement of its own: under READ COMMITTED the save's UPDATE finds
 * its row in the snapshot it starts with, and a compare-and-swap on the
 * version that another batch (of another node, or this store's previous
 * one, its COMMIT in flight) is moving sees the old version, which fails
 * the condition, and misses without waiting; a SELECT ... FOR UPDATE
 * waits for that batch, and the save, started after it, sees its commit.
 * Returns 0 or -EIO. */
int store_pg_turn_lock(struct store_pg *pg, int64_t session_id);
int store_pg_turn_queue(struct store *st, struct session *s, const struct session_turn *t, size_t n,
                        uint64_t *save);
/* store_turn_queue_handoff() (store.h): the save's statement also writes
 * h's request and its feed row, only for the row its compare-and-swap
 * changed; the feed lock is queued before it (store_pg_feed_lock_queue()). */
int store_pg_turn_queue_handoff(struct store *st, struct session *s, const struct session_turn *t,
                                size_t n, const struct store_handoff *h, int64_t now_s,
                                uint64_t *save);
int store_pg_turn_verdict(struct store_pg *pg, uint64_t save);
int store_pg_turn_verdict_now(struct store_pg *pg, uint64_t save);

/* ---- store.h, implemented (store_pg.c: the batch; store_pg_state.c) ---- */

bool store_pg_in_batch(const struct store_pg *pg);
uint64_t store_pg_batch_ticket(const struct store_pg *pg);
int store_pg_commit(struct store_pg *pg);
int store_pg_commit_send(struct store_pg *pg);
unsigned store_pg_commits_in_flight(const struct store_pg *pg);
bool store_pg_would_wait(struct store_pg *pg);
/* The user hash a turn record carries (store_pg_state.c; the keyed id's when
 * privacy keys are set), into hash[17]: the saved and the queued save agree. */
void store_pg_turn_hash(struct store *st, const struct session *s, char hash[17]);
int store_pg_commit_socket(const struct store_pg *pg, uint64_t ticket);
size_t store_pg_commit_poll(struct store_pg *pg, bool wait, struct store_commit_done *done,
                            size_t max);
int store_pg_unit_begin(struct store_pg *pg);
int store_pg_unit_end(struct store_pg *pg, bool keep);
void store_pg_get_stats(const struct store_pg *pg, struct store_stats *out);

/* Fills s (zeroed first) from row 0 of r, a SELECT of the session's
 * columns in store_pg_state.c's order (SESSION_COLS): 0, -ENOENT (no row) or
 * -ENOMEM. */
int store_pg_session_row(const PGresult *r, struct session *s);
/* store.h's store_session_resume_send(), _poll(), _cancel() (store_pg_resume.c). */
MC_MUST_CHECK int store_pg_session_resume_send(struct store *st, const char *token,
                                               unsigned max_turns, unsigned max_msgs,
                                               const struct store_resume_cbs *cbs, void *ctx,
                                               uint64_t *id);
unsigned store_pg_session_resume_poll(struct store *st);
void *store_pg_session_resume_cancel(struct store *st, uint64_t id);
int store_pg_session_by_token(struct store *st, const char *token, struct session *s);
int store_pg_session_by_user(struct store *st, const char *channel, const char *user_key,
                             struct session *s);
int store_pg_session_insert(struct store *st, struct session *s);
int store_pg_turn_save(struct store *st, struct session *s, const struct session_turn *t, size_t n);
int store_pg_history(struct store *st, int64_t session_id, unsigned max,
                     int (*fn)(void *ctx, const char *role, const char *text, int64_t ts,
                               const char *msg_id),
                     void *ctx);
char *store_pg_find_reply(struct store *st, int64_t session_id, const char *msg_id);

/* ---- the outbox (store_pg_outbox.c) ---- */

/* The smallest outbox id the open transaction added, whose id the C side
 * never reads (every INSERT is queued): kept by the server in this
 * transaction-local setting (undone with a unit that is rolled back, gone
 * at the transaction's end), and read by the claim (store_pg_outbox_due(),
 * which may run in the batch; the claim on the outbox's own connection
 * cannot see them at all): those rows are not committed, so never due. Ids come from one sequence,
 * so a row of an earlier batch (of this handle: its COMMIT may be in flight; of another node,
 * committed) is below it or, another node's, only put off until this batch ends. */
#define STORE_PG_OUTBOX_FLOOR_GUC "motcua.outbox_floor"

int store_pg_outbox_add(struct store *st, const char *channel, const char *user, const char *body,
                        int64_t now_ms);
int store_pg_outbox_due(struct store *st, int64_t now_ms, struct store_outbox_row *rows, size_t max,
                        size_t *n);
int store_pg_outbox_claim_send(struct store *st, int64_t now_ms, size_t max);
int store_pg_outbox_claimed(struct store *st, struct store_outbox_row *rows, size_t max, size_t *n);
bool store_pg_outbox_claim_answered(struct store *st);
bool store_pg_outbox_busy(struct store *st);
size_t store_pg_outbox_outcomes(struct store *st, struct store_outbox_outcome *out, size_t max);
int store_pg_outbox_outcome_send(struct store *st, int64_t id, const char *state, int attempts,
                                 int64_t next_try_ms);
int store_pg_outbox_done(struct store *st, int64_t id, const char *state, int attempts);
int store_pg_outbox_retry(struct store *st, int64_t id, int attempts, int64_t next_try_ms);
long store_pg_outbox_pending(struct store *st);

int store_pg_event_first_time(struct store *st, const char *channel, const char *event_id,
                              int64_t now_s);
char *store_pg_options_get(struct store *st, const char *channel, const char *user);
int store_pg_options_put(struct store *st, const char *channel, const char *user,
                         const char *options_json);
/* The options' upsert, waited for or (queued) sent with the next statement
 * or the COMMIT (store_pg_webhook_options_put()). Returns 0 or -EIO. */
int store_pg_options_write(struct store *st, const char *channel, const char *user,
                           const char *options_json, bool queued);
int store_pg_token_get(struct store *st, const char *channel, char *access, size_t access_cap,
                       char *refresh, size_t refresh_cap);
int store_pg_token_put(struct store *st, const char *channel, const char *access,
                       const char *refresh, int64_t now_s);

/* store_pg_officer.c: officers, their sessions and the audit log */
int store_pg_officer_add(struct store *st, const struct store_officer *o);
int store_pg_officer_get(struct store *st, const char *username, struct store_officer *o);
int store_pg_officer_set_hash(struct store *st, const char *username, const char *hash);
int store_pg_officer_disable(struct store *st, const char *username);
int store_pg_officer_list(struct store *st, int (*fn)(void *ctx, const struct store_officer *o),
                          void *ctx);
int store_pg_officer_session_add(struct store *st, const char *token_hash, const char *username,
                                 const char *csrf, int64_t created, int64_t expires);
int store_pg_officer_session_get(struct store *st, const char *token_hash, int64_t now_s,
                                 struct store_officer *o, char csrf[STORE_OFFICER_CSRF_MAX]);
int store_pg_officer_session_end(struct store *st, const char *token_hash, int64_t now_s);
int store_pg_audit_add(struct store *st, int64_t ts, const char *username, const char *action,
                       const char *conversation, const char *ip, const char *detail);
int store_pg_audit_failures(struct store *st, const char *username, const char *ip, int64_t since_s,
                            unsigned *by_user, unsigned *by_ip, int64_t *last_s);
int store_pg_audit_list(struct store *st, unsigned max,
                        int (*fn)(void *ctx, int64_t ts, const char *username, const char *action,
                                  const char *conversation, const char *ip, const char *detail),
                        void *ctx);

/* store_pg_admin.c: the phrases admins taught */
int store_pg_phrase_add(struct store *st, const char *text, const char *label, const char *officer,
                        int64_t now_s, int64_t *id, int64_t *rev);
int store_pg_phrase_delete(struct store *st, int64_t id, char label[STORE_PHRASE_LABEL_MAX],
                           int64_t *rev);
int store_pg_phrase_list(struct store *st, int (*fn)(void *ctx, const struct store_phrase *p),
                         void *ctx);
int store_pg_phrase_rev(struct store *st, int64_t *rev);

/* store_pg_office.c: the commune's own data */
int store_pg_local_rev(struct store *st, int64_t *rev);
int store_pg_office_set(struct store *st, const char *code, const char *field, const char *value,
                        const char *officer, int64_t ts);
int store_pg_office_unset(struct store *st, const char *code, const char *field);
int store_pg_guide_local_set(struct store *st, const char *id, const char *field, const char *text,
                             const char *officer, int64_t ts);
int store_pg_office_each(struct store *st, store_local_fn fn, void *ctx);
int store_pg_guide_local_each(struct store *st, store_local_fn fn, void *ctx);
int store_pg_guide_note_add(struct store *st, const char *id, const char *field, const char *status,
                            const char *comment, const char *officer, int64_t ts, int64_t *id_out);
int store_pg_guide_notes(struct store *st, const char *id, unsigned max, store_local_fn fn,
                         void *ctx);

/* store_pg_privacy.c: the key of platform user ids' hashes */
int store_pg_privacy_db_key(struct store *st, unsigned char key[STORE_ID_KEY_LEN]);
int store_pg_privacy_set_key(struct store *st, const unsigned char *key, size_t len);
int store_pg_privacy_forget(struct store *st, int64_t session_id, const char *user);

/* ---- handoff (h10a): the handoff queue and the feed (store_pg_handoff.c),
 * retention (store_pg_privacy.c), the checklist pages (store_pg_share.c) -- */
int store_pg_handoff_get(struct store *st, int64_t session_id, struct store_handoff *h);
/* The handoff row's columns, in the order every statement names them. */
#define STORE_PG_HANDOFF_COLS                                                                      \
    "session_id, state, channel, user_key, procedure, locality, waiting_since, officer, updated, " \
    "last_citizen_ms"
/* A request's upsert, after its row: only from "bot" or "closed", so a
 * second request while one waits or is held changes nothing. */
#define STORE_PG_HANDOFF_REQUEST_CONFLICT                                                          \
    "ON CONFLICT (session_id) DO UPDATE SET state = 'pending', "                                   \
    "channel = excluded.channel, user_key = excluded.user_key, "                                   \
    "procedure = excluded.procedure, locality = excluded.locality, "                               \
    "waiting_since = excluded.waiting_since, officer = '', "                                       \
    "updated = excluded.updated, last_citizen_ms = excluded.last_citizen_ms "                      \
    "WHERE handoff.state IN ('bot', 'closed')"
/* Queues the feed lock (store_pg_handoff.c: taken before any feed row,
 * held until the batch ends) in the open batch. 0 or -EIO. */
int store_pg_feed_lock_queue(struct store_pg *pg);
int store_pg_handoff_request(struct store *st, const struct store_handoff *h, int64_t now_s);
int store_pg_handoff_claim(struct store *st, int64_t session_id, const char *officer,
                           int64_t now_s);
int store_pg_handoff_end(struct store *st, int64_t session_id, const char *officer, const char *to,
                         int64_t now_s);
int store_pg_handoff_list(struct store *st, const char *state, unsigned max,
                          int (*fn)(void *ctx, const struct store_handoff *h), void *ctx);
int store_pg_handoff_message_add(struct store *st, int64_t session_id, const char *from,
                                 const char *officer, const char *text, int64_t now_ms,
                                 int64_t *id);
int store_pg_handoff_citizen_add(struct store *st, int64_t session_id, const char *text,
                                 const char *msg_id, int64_t now_ms, int64_t *id);
int store_pg_handoff_messages(struct store *st, int64_t session_id, int64_t after_id, unsigned max,
                              int (*fn)(void *ctx, int64_t id, const char *from,
                                        const char *officer, const char *text, int64_t ts_ms),
                              void *ctx);
int store_pg_feed_since(struct store *st, int64_t after_id, unsigned max,
                        int (*fn)(void *ctx, int64_t id, const char *kind, int64_t session_id,
                                  int64_t message_id, const char *officer, int64_t ts_ms),
                        void *ctx);
int store_pg_feed_last(struct store *st, int64_t *id);
int store_pg_feed_prune(struct store *st, int64_t before_ms);
int store_pg_privacy_purge(struct store *st, struct store_purge *p);
int store_pg_share_put(struct store *st, int64_t session_id, const char *body, int64_t now,
                       int64_t expires, unsigned per_hour, char token[STORE_SHARE_TOKEN_LEN + 1]);
int store_pg_share_get(struct store *st, const char *token, int64_t now, char **body);
int store_pg_share_plan(struct store *st, int64_t session_id, const char *body, int64_t now,
                        int64_t expires, unsigned per_hour, struct store_share_plan *p);
int store_pg_share_plan_write(struct store *st, const struct store_share_plan *p);
/* Appends the parameters of p's write to q (token, expires, and for a new
 * page its digest, written into digest[STORE_SHARE_DIGEST_LEN + 1], body
 * and creation time): 1 for a new page, 0 for one whose expiry moves. */
int store_pg_share_plan_more(const struct store_share_plan *p, char *digest,
                             struct store_pg_params *q);
int store_pg_turn_queue_share(struct store *st, struct session *s, const struct session_turn *t,
                              size_t n, const struct store_share_plan *p, uint64_t *save);
int store_pg_share_purge(struct store *st, int64_t now, unsigned max, unsigned long *rows);

/* store_share.c's helpers, shared by both back-ends so they make the same pages */
#define STORE_SHARE_DIGEST_LEN 64 /* hex digits of a snapshot's SHA-256 */
/* Whether t has a token's shape (STORE_SHARE_TOKEN_LEN base64url characters). */
bool store_share_is_token(const char *t);
/* The hex SHA-256 of body into out. */
void store_share_digest(const char *body, char out[STORE_SHARE_DIGEST_LEN + 1]);
/* A new random token into token. Returns 0 or -EIO (no random bytes). */
MC_MUST_CHECK int store_share_new_token(char token[STORE_SHARE_TOKEN_LEN + 1]);

/* ---- reports, unanswered questions, citizens' feedback (store_pg_report.c) ---- */
int store_pg_report_messages(
    struct store *st, const struct store_report_span *sp, enum store_report_by by, unsigned max,
    int (*fn)(void *ctx, const char *key, uint64_t conversations, uint64_t messages), void *ctx);
int store_pg_report_prechecks(struct store *st, const struct store_report_span *sp,
                              uint64_t *started, uint64_t *completed);
int store_pg_report_handoffs(struct store *st, const struct store_report_span *sp,
                             struct store_report_handoffs *out);
int store_pg_report_feedback(struct store *st, const struct store_report_span *sp, bool *available,
                             uint64_t *up, uint64_t *down);
int store_pg_unanswered(struct store *st, const struct store_report_span *sp, double low_confidence,
                        unsigned max, int (*fn)(void *ctx, const struct store_unanswered *u),
                        void *ctx);
int store_pg_feedback_answer(struct store *st, int64_t session_id, const char *msg_id,
                             struct store_feedback_answer *a);
int store_pg_feedback_put(struct store *st, int64_t session_id,
                          const struct store_feedback_answer *a, const char *channel,
                          const char *vote, const char *comment, int64_t ts);
int store_pg_feedback_by_procedure(
    struct store *st, const struct store_report_span *sp, unsigned max,
    int (*fn)(void *ctx, const char *procedure, uint64_t up, uint64_t down), void *ctx);
int store_pg_feedback_downs(struct store *st, const struct store_report_span *sp, unsigned max,
                            int (*fn)(void *ctx, const struct store_feedback_row *row), void *ctx);

/* ---- cross-node events (store_pg_listen.c; store.h's "cross-node events") ----
 * The channels: a write that notifies runs pg_notify() in its own statement,
 * inside its transaction (store_pg_handoff.c: feed rows; store_pg_admin.c:
 * the taught phrases' revision; store_pg_office.c: the office data's
 * revision; store_pg_listen.c: the reload revision). */
#define STORE_PG_CHANNEL_FEED "motcua_feed"
#define STORE_PG_CHANNEL_TEACH "motcua_teach"
#define STORE_PG_CHANNEL_RELOAD "motcua_reload"
#define STORE_PG_CHANNEL_OFFICE "motcua_office"

/* pg's first connection, borrowed (the listener copies its parameters;
 * store_pg_own_backend() tells this process's own notifications). */
PGconn *store_pg_conn(struct store_pg *pg);

/* Whether pid is the backend of one of pg's connections (a notification
 * this process sent itself, on whichever link its batch ran). */
bool store_pg_own_backend(struct store_pg *pg, int pid);

/* ---- webhook events (store_pg_webhook.c; store.h "webhook events") ---- */

/* The last statement's result of the segment store_pg_link_sync() just
 * read (new: PQclear()), or NULL when it failed; l forgets it. */
PGresult *store_pg_link_last(struct store_pg_link *l);

/* Statements queued on l, answers not read yet (<= STORE_PG_QUEUE_MAX). */
unsigned store_pg_link_queued(const struct store_pg_link *l);

/* store_pg_link_sync() that keeps the results of the last n statements
 * queued (all in this segment: n <= store_pg_link_queued()), in order, into
 * out[0..n-1] (new: PQclear() each). Returns 0, or -EIO with every out[i]
 * NULL (one of the segment's statements failed, or the connection did). */
MC_MUST_CHECK int store_pg_link_sync_results(struct store_pg_link *l, PGresult **out, unsigned n);

int store_pg_webhook_event(struct store *st, const char *channel, const char *event_id,
                           const char *user, bool options, int64_t now_s,
                           struct store_webhook_read *out);
int store_pg_webhook_options_put(struct store *st, const char *channel, const char *user,
                                 const char *options_json);

/* ---- a resumed session's reads (store_pg_resume.c; store.h "a resumed
 * session's reads together") ---- */
int store_pg_session_resume(struct store *st, const char *token, unsigned max_turns,
                            unsigned max_msgs, store_resume_turn_fn turn, store_resume_msg_fn msg,
                            void *ctx, struct store_resume *out);

/* ---- the feed's rows with what each push needs (store_pg_feed.c; store.h
 * "the feed's rows with what each push needs") ---- */
int store_pg_feed_read(struct store *st, int64_t after_id, unsigned max, store_feed_fn fn,
                       void *ctx);
/* Queues store_pg_feed_read()'s one statement on l. Returns 0 or -EIO. */
MC_MUST_CHECK int store_pg_feed_read_queue(struct store_pg_link *l, int64_t after_id, unsigned max);
/* Hands the rows of that statement's result r to fn; *rows: how many it
 * saw. Returns 0, fn's non-zero, or -EIO (r is not that statement's). */
int store_pg_feed_rows(const PGresult *r, store_feed_fn fn, void *ctx, unsigned *rows);
/* store_feed_read_send() (store_pg_resume.c: the reads' queue and connection). */
int store_pg_feed_read_send(struct store *st, int64_t after_id, unsigned max,
                            const struct store_feed_cbs *cbs, void *ctx, uint64_t *id);

#endif
