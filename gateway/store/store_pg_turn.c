/* gateway/store/store_pg_turn.c - a turn's save not waited for, on
 * PostgreSQL (store.h: store_turn_queue(), store_turn_verdict(); issue 18,
 * docs/scaling.md "The save not waited for").
 *
 * The save is one statement: a data-modifying CTE whose UPDATE is the
 * compare-and-swap of store_pg_turn_save() (version and resend key) and
 * whose INSERT writes the turn's records only for the row it changed, so a
 * miss writes nothing and needs no ROLLBACK TO (which would need the answer
 * first). It is queued in the batch's pipeline and not read: its answer
 * ("INSERT 0 2" or "INSERT 0 0") arrives in pipeline order, before the
 * COMMIT's, and is kept by the link (store_pg_link.c) as the save's verdict;
 * store_pg_commit_poll() moves a batch's verdicts here when it takes its
 * commit, and the loop asks for each before the reply leaves.
 *
 * A turn marked unless_handoff (the bot's answer, handoff.enabled) misses
 * also while the session's handoff row is pending or held: the router may
 * then skip reading the handoff state before the turn (router.c, handoff.h;
 * docs/scaling.md "The handoff state not read"), and a miss runs the turn
 * again with the state read, so the message goes to the officer. The row is
 * read by its primary key, in the statement: no round trip more.
 *
 * A turn that asks for an officer or cancels (store_turn_queue_handoff())
 * writes that change in the same statement, read from s too: a miss
 * writes none of it (docs/scaling.md "Turns that write something else");
 * so do a checklist page (store_turn_queue_share()) and a vote by quick
 * reply (store_turn_queue_feedback()).
 *
 * A vote by WebSocket frame (store_feedback_queue()) is no turn, but its
 * statement is queued and its verdict kept the same way (docs/scaling.md
 * "A vote by WebSocket frame").
 *
 * Single-threaded, as the rest of the back-end: the loop's thread. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mc_log.h"
#include "store_pg.h"

void store_pg_landed_take(struct store_pg_landed *ld, struct store_pg_link *l, uint64_t ticket)
{
    struct store_pg_verdict got[STORE_PG_VERDICTS_MAX];
    unsigned n = store_pg_link_verdicts_take(l, got, STORE_PG_VERDICTS_MAX), i, j, old;

    for (i = 0; i < n; i++) {
        if (ld->n == STORE_PG_LANDED_MAX) {
            /* full: nobody asked for the oldest (their connection closed); it goes */
            for (old = 0, j = 1; j < ld->n; j++)
                if (ld->v[j].ticket < ld->v[old].ticket)
                    old = j;
            ld->v[old] = ld->v[--ld->n];
        }
        got[i].ticket = ticket;
        ld->v[ld->n++] = got[i];
    }
}

/* The rows the statement of save (a turn's or a vote's) changed, once its
 * batch's commit was taken, into *changed (asked once: forgotten). Returns
 * 0 or -ENOENT (not known). */
static int landed_get(struct store_pg *pg, uint64_t save, long *changed)
{
    struct store_pg_landed *ld = store_pg_landed_of(pg);
    unsigned i;

    for (i = 0; i < ld->n; i++) {
        if (ld->v[i].save != save)
            continue;
        *changed = ld->v[i].changed;
        ld->v[i] = ld->v[--ld->n];
        return 0;
    }
    return -ENOENT;
}

int store_pg_turn_verdict(struct store_pg *pg, uint64_t save)
{
    long changed;

    if (landed_get(pg, save, &changed))
        return -ENOENT;
    if (changed <= 0)
        return -EAGAIN;
    store_pg_count_turn(pg); /* counted once known written */
    return 0;
}

int store_pg_turn_verdict_now(struct store_pg *pg, uint64_t save)
{
    struct store_pg_link *l;
    long changed;
    int rc = store_pg_turn_verdict(pg, save);

    if (rc != -ENOENT)
        return rc;
    l = store_pg_batch_link(pg);
    if (!l || !store_pg_in_batch(pg))
        return -ENOENT;
    /* not read yet: the queue goes out now, one round trip (its failure is
     * the batch's, seen by its commit) */
    if (store_pg_link_verdict_get(l, save, &changed) == -ENOENT) {
        if (store_pg_link_sync(l, NULL, 0))
            mc_log(MC_LOG_WARN, "state.verdict", "backend=postgresql result=batch_failed");
        if (store_pg_link_verdict_get(l, save, &changed))
            return -ENOENT;
    }
    if (changed <= 0)
        return -EAGAIN;
    store_pg_count_turn(pg);
    return 0;
}

/* Whether t is the pair the queued statement writes: a message and its
 * answer, alike but for role and text (router.c's). */
static bool is_pair(const struct session_turn *t, size_t n)
{
    const struct session_turn *a = &t[0], *b = &t[1];

    if (n != 2 || strcmp(a->role, "user") != 0 || strcmp(b->role, "bot") != 0)
        return false;
#define SAME_TEXT(f) ((!a->f && !b->f) || (a->f && b->f && strcmp(a->f, b->f) == 0))
    return SAME_TEXT(label) && SAME_TEXT(decision) && SAME_TEXT(procedure) && SAME_TEXT(msg_id) &&
           a->confidence == b->confidence && a->latency_us == b->latency_us &&
           a->unless_handoff == b->unless_handoff;
#undef SAME_TEXT
}

/* The save's one statement: the compare-and-swap (version, resend key and,
 * when $15, no live handoff), then both records, inserted in r.ord's order
 * so that ids keep user before bot, as the history and the reports read. */
#define TURN_SAVE_CAS                                                                              \
    "WITH s AS (UPDATE session SET state = $2, last_seen = $3, version = version + 1 "             \
    "WHERE id = $1 AND version = $4 AND NOT EXISTS (SELECT 1 FROM turn WHERE "                     \
    "session_id = $1 AND msg_id = $5 AND role = 'bot') AND ($15::int = 0 OR NOT EXISTS "           \
    "(SELECT 1 FROM handoff WHERE session_id = $1 AND state IN ('pending', 'officer'))) "          \
    "RETURNING id) "
#define TURN_SAVE_INSERT                                                                           \
    "INSERT INTO turn (session_id, ts, channel, user_hash, role, text, label, confidence, "        \
    "decision, procedure, latency_us, msg_id) "                                                    \
    "SELECT s.id, $3, $6, $7, r.role, r.text, $8, $9::double precision, $10, $11, "                \
    "$12::bigint, $5 FROM s CROSS JOIN (VALUES (1, 'user', $13::text), (2, 'bot', $14::text)) "    \
    "AS r (ord, role, text) ORDER BY r.ord"

/* The parameters of the save's statement (TURN_SAVE_CAS, TURN_SAVE_INSERT) for t (a pair) of s, on
 * the open batch's link (*l). Returns 0, -ENOTSUP (not a pair) or -EIO. */
static int save_params(struct store *st, struct session *s, const struct session_turn *t, size_t n,
                       struct store_pg_params *p, char hash[17], struct store_pg_link **l)
{
    struct store_pg *pg = store_pg_of(st);

    if (!is_pair(t, n))
        return -ENOTSUP;
    store_pg_turn_hash(st, s, hash);
    if (store_pg_batch(pg))
        return -EIO;
    *l = store_pg_batch_link(pg);
    if (!*l)
        return -EIO;
    store_pg_param_int(p, s->id);
    store_pg_param_text(p, s->state ? s->state : "{}");
    store_pg_param_int(p, s->last_seen);
    store_pg_param_int(p, s->version);
    store_pg_param_text(p, t[0].msg_id);
    store_pg_param_text(p, s->channel);
    store_pg_param_text(p, hash);
    store_pg_param_text(p, t[0].label);
    if (t[0].label)
        store_pg_param_double(p, t[0].confidence);
    else
        store_pg_param_text(p, NULL);
    store_pg_param_text(p, t[0].decision);
    store_pg_param_text(p, t[0].procedure);
    store_pg_param_int(p, t[0].latency_us);
    store_pg_param_text(p, t[0].text ? t[0].text : "");
    store_pg_param_text(p, t[1].text ? t[1].text : "");
    store_pg_param_int(p, t[0].unless_handoff ? 1 : 0);
    return 0;
}

int store_pg_turn_lock(struct store_pg *pg, int64_t session_id)
{
    struct store_pg_params p = {0};

    store_pg_param_int(&p, session_id);
    return store_pg_queue(pg, "SELECT 1 FROM session WHERE id = $1 FOR UPDATE", &p) ? -EIO : 0;
}

/* What a queued save also does (queue_save()). */
enum save_kind {
    SAVE_LOCKED,  /* the row held by the batch: no verdict, a miss fails the batch */
    SAVE_VERDICT, /* the row locked first, the verdict kept */
    SAVE_HANDOFF, /* SAVE_VERDICT after the feed lock, with a handoff request */
};

/* Queues the save of t (a pair) of s as sql, whose parameters are the
 * save's (save_params()) then more's (may be NULL), in the open batch.
 * *save gets the verdict's id (but for SAVE_LOCKED). s->version advances,
 * as if it hit. Returns 0, -ENOTSUP (not a pair, no room for a verdict:
 * save it waiting) or -EIO. */
static int queue_save(struct store *st, struct session *s, const struct session_turn *t, size_t n,
                      enum save_kind kind, const char *sql, const struct store_pg_params *more,
                      uint64_t *save)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_landed *ld = store_pg_landed_of(pg);
    struct store_pg_params p = {0};
    struct store_pg_link *l = NULL;
    char hash[17];
    int i, rc = save_params(st, s, t, n, &p, hash, &l);

    if (rc)
        return rc;
    for (i = 0; more && i < more->n; i++) {
        if (p.n == STORE_PG_PARAMS_MAX)
            return -EIO;         /* STORE_PG_PARAMS_MAX says how many: never */
        p.v[p.n++] = more->v[i]; /* more's texts outlive the statement's sending */
    }
    if (kind == SAVE_LOCKED) {
        if (store_pg_link_queue(l, sql, &p))
            return -EIO;
        s->version++;
        store_pg_count_turn(pg); /* written unless its batch fails */
        return 0;
    }
    /* the feed lock first, as every unit that appends a feed row takes it
     * (store_pg_handoff.c), then the session's row */
    if ((kind == SAVE_HANDOFF && store_pg_feed_lock_queue(pg)) || store_pg_turn_lock(pg, s->id))
        return -EIO;
    /* its row count, 2 or 0, is the verdict */
    rc = store_pg_link_queue_save(l, sql, &p, ld->next_save + 1);
    if (rc)
        return rc == -ENOSPC ? -ENOTSUP : -EIO;
    *save = ++ld->next_save;
    s->version++; /* as if it hit: a miss is learnt before the reply leaves */
    return 0;
}

int store_pg_turn_queue(struct store *st, struct session *s, const struct session_turn *t, size_t n,
                        uint64_t *save)
{
    return queue_save(st, s, t, n, SAVE_VERDICT, TURN_SAVE_CAS TURN_SAVE_INSERT, NULL, save);
}

int store_pg_turn_queue_locked(struct store *st, struct session *s, const struct session_turn *t,
                               size_t n)
{
    /* a miss divides by zero: the statement fails, the batch with it */
    return queue_save(st, s, t, n, SAVE_LOCKED,
                      TURN_SAVE_CAS ", i AS (" TURN_SAVE_INSERT
                                    ") SELECT 1 / (SELECT count(*)::int FROM s)",
                      NULL, NULL);
}

/* The save's statement when it also changes the handoff: its records,
 * returned (their count is the verdict), then h, the change, and f, its
 * feed row (none when h changed nothing), whose notification is sent with
 * the COMMIT. */
#define TURN_SAVE_RECORDS TURN_SAVE_CAS ", t AS (" TURN_SAVE_INSERT " RETURNING 1 AS one), "
#define TURN_SAVE_NOTIFY                                                                           \
    "SELECT one FROM t WHERE (SELECT count(*) FROM (SELECT pg_notify('" STORE_PG_CHANNEL_FEED      \
    "', '') FROM f) AS n) >= 0"

/* A request ($16 user key, $17 procedure, $18 locality, $19 now in s):
 * store_pg_handoff_request()'s upsert and feed row, read from s. */
#define TURN_SAVE_REQUEST                                                                          \
    TURN_SAVE_RECORDS                                                                              \
    "h AS (INSERT INTO handoff (" STORE_PG_HANDOFF_COLS ") "                                       \
    "SELECT s.id, 'pending', $6, $16, $17, $18, $19::bigint, '', $19::bigint, "                    \
    "$19::bigint * 1000 FROM s " STORE_PG_HANDOFF_REQUEST_CONFLICT " RETURNING session_id), "      \
    "f AS (INSERT INTO feed (kind, session_id, message_id, officer, ts_ms) "                       \
    "SELECT 'pending', session_id, 0, '', $19::bigint * 1000 FROM h RETURNING "                    \
    "id) " TURN_SAVE_NOTIFY

/* The citizen's cancel ($16 now in s): back to the bot if still waiting or
 * held, its feed row naming who held it, as store_pg_handoff_end()'s. */
#define TURN_SAVE_CANCEL                                                                           \
    TURN_SAVE_RECORDS                                                                              \
    "h AS (UPDATE handoff SET state = 'bot', updated = $16 FROM s "                                \
    "WHERE handoff.session_id = s.id AND handoff.state IN ('pending', 'officer') "                 \
    "RETURNING handoff.session_id, handoff.officer), "                                             \
    "f AS (INSERT INTO feed (kind, session_id, message_id, officer, ts_ms) "                       \
    "SELECT 'cancelled', session_id, 0, officer, $16::bigint * 1000 FROM h RETURNING "             \
    "id) " TURN_SAVE_NOTIFY

int store_pg_turn_queue_handoff(struct store *st, struct session *s, const struct session_turn *t,
                                size_t n, const struct store_handoff *h, int64_t now_s,
                                uint64_t *save)
{
    struct store_pg_params more = {0};
    struct session_turn c[2];

    if (h->session_id != s->id)
        return -EINVAL;
    if (strcmp(h->state, "pending") == 0) {
        store_pg_param_text(&more, h->user_key);
        store_pg_param_text(&more, h->procedure);
        store_pg_param_text(&more, h->locality);
        store_pg_param_int(&more, now_s);
        return queue_save(st, s, t, n, SAVE_HANDOFF, TURN_SAVE_REQUEST, &more, save);
    }
    if (strcmp(h->state, "bot") != 0)
        return -EINVAL;
    if (n != 2)
        return -ENOTSUP; /* not the pair the statement writes */
    /* the turn that ends a live handoff: its save must not miss for it */
    memcpy(c, t, sizeof(c));
    c[0].unless_handoff = c[1].unless_handoff = false;
    store_pg_param_int(&more, now_s);
    return queue_save(st, s, c, n, SAVE_HANDOFF, TURN_SAVE_CANCEL, &more, save);
}

/* A checklist page ($16 token, $17 expires; a new one's $18 digest, $19
 * body, $20 creation time in s): store_pg_share_put()'s write, read from s.
 * The page's link is in the reply, which leaves only after a hit. */
#define TURN_SAVE_PAGE_NEW                                                                         \
    TURN_SAVE_RECORDS                                                                              \
    "h AS (INSERT INTO share (token, session_id, digest, body, created, expires) "                 \
    "SELECT $16, s.id, $18, $19, $20::bigint, $17::bigint FROM s RETURNING 1) SELECT one FROM t"
#define TURN_SAVE_PAGE_KEPT                                                                        \
    TURN_SAVE_RECORDS                                                                              \
    "h AS (UPDATE share SET expires = greatest(share.expires, $17::bigint) FROM s "                \
    "WHERE share.token = $16 AND share.session_id = s.id RETURNING 1) SELECT one FROM t"

int store_pg_turn_queue_share(struct store *st, struct session *s, const struct session_turn *t,
                              size_t n, const struct store_share_plan *p, uint64_t *save)
{
    struct store_pg_params more = {0};
    char digest[STORE_SHARE_DIGEST_LEN + 1];
    int fresh;

    if (p->session_id != s->id || !p->token[0])
        return -EINVAL;
    fresh = store_pg_share_plan_more(p, digest, &more);
    return queue_save(st, s, t, n, SAVE_VERDICT, fresh ? TURN_SAVE_PAGE_NEW : TURN_SAVE_PAGE_KEPT,
                      &more, save);
}

/* A vote by quick reply ($16 the answer's turn id, $17 its msg_id, $18 the
 * vote's time, $19 "up" or "down", $20 the answer's procedure; the channel
 * is $6): store_pg_feedback_put()'s upsert, read from s. */
#define TURN_SAVE_VOTE_UPSERT                                                                      \
    "h AS (INSERT INTO feedback (session_id, turn_id, msg_id, ts, vote, procedure, channel, "      \
    "comment) SELECT s.id, $16::bigint, nullif($17, ''), $18::bigint, $19, $20, $6, NULL FROM s "  \
    "ON CONFLICT (session_id, turn_id) DO UPDATE SET ts = excluded.ts, vote = excluded.vote, "     \
    "comment = excluded.comment RETURNING 1) "
#define TURN_SAVE_VOTE TURN_SAVE_RECORDS TURN_SAVE_VOTE_UPSERT "SELECT one FROM t"
/* the locked save's (store_pg_turn_queue_locked()): a miss fails the statement */
#define TURN_SAVE_VOTE_LOCKED                                                                      \
    TURN_SAVE_RECORDS TURN_SAVE_VOTE_UPSERT "SELECT 1 / (SELECT count(*)::int FROM s)"

/* Not dispatched from store_feedback.c: only PostgreSQL queues a save, and
 * the statement is the save's (store.h). */
int store_turn_queue_feedback(struct store *st, struct session *s, const struct session_turn *t,
                              size_t n, const struct store_feedback_vote *v, uint64_t *save)
{
    struct store_pg_params more = {0};

    if (!store_pg_of(st))
        return -ENOTSUP; /* SQLite: the vote and the save in one unit, waited for */
    if (strcmp(v->vote, "up") != 0 && strcmp(v->vote, "down") != 0)
        return -EINVAL;
    if (!save && !s->row_locked)
        return -ENOTSUP;
    store_pg_param_int(&more, v->a.turn_id);
    store_pg_param_text(&more, v->a.msg_id);
    store_pg_param_int(&more, v->ts);
    store_pg_param_text(&more, v->vote);
    store_pg_param_text(&more, v->a.procedure);
    if (!save)
        return queue_save(st, s, t, n, SAVE_LOCKED, TURN_SAVE_VOTE_LOCKED, &more, NULL);
    return queue_save(st, s, t, n, SAVE_VERDICT, TURN_SAVE_VOTE, &more, save);
}

/* A vote by WebSocket frame ($1 session, $2 the message id answered, $3
 * time, $4 "up" or "down", $5 channel, $6 comment or NULL):
 * store_pg_feedback_answer()'s read and store_pg_feedback_put()'s upsert
 * in one statement, the answer's row read from the turn table, so a
 * session without that answer gets no row ("INSERT 0 0": the verdict). The
 * answer's row is locked (FOR KEY SHARE, as the foreign key's check locks
 * it): an answer erased by a batch that committed while the statement ran
 * is skipped (a miss), where the foreign key's check would fail the
 * statement, and with it the batch. */
static const char vote_sql[] =
    "INSERT INTO feedback (session_id, turn_id, msg_id, ts, vote, procedure, channel, comment) "
    "SELECT session_id, id, msg_id, $3::bigint, $4, coalesce(procedure, ''), $5, $6 FROM turn "
    "WHERE session_id = $1 AND msg_id = $2 AND role = 'bot' ORDER BY id DESC LIMIT 1 "
    "FOR KEY SHARE ON CONFLICT (session_id, turn_id) DO UPDATE SET ts = excluded.ts, "
    "vote = excluded.vote, comment = excluded.comment";

/* Not dispatched from store_feedback.c: only PostgreSQL queues it. */
int store_feedback_queue(struct store *st, int64_t session_id, const char *msg_id,
                         const char *channel, const char *vote, const char *comment, int64_t ts,
                         uint64_t *verdict)
{
    struct store_pg *pg = store_pg_of(st);
    struct store_pg_landed *ld;
    struct store_pg_params p = {0};
    struct store_pg_link *l;
    int rc;

    if (!pg)
        return -ENOTSUP; /* SQLite: read and written waiting (store_feedback_cast()) */
    if (!msg_id || !vote || (strcmp(vote, "up") != 0 && strcmp(vote, "down") != 0))
        return -EINVAL;
    if (comment && strlen(comment) > STORE_FEEDBACK_COMMENT_MAX)
        return -EINVAL;
    ld = store_pg_landed_of(pg);
    store_pg_param_int(&p, session_id);
    store_pg_param_text(&p, msg_id);
    store_pg_param_int(&p, ts);
    store_pg_param_text(&p, vote);
    store_pg_param_text(&p, channel);
    store_pg_param_text(&p, comment && comment[0] ? comment : NULL);
    if (store_pg_batch(pg))
        return -EIO;
    l = store_pg_batch_link(pg);
    if (!l)
        return -EIO;
    /* its row count, 1 or 0, is the verdict */
    rc = store_pg_link_queue_save(l, vote_sql, &p, ld->next_save + 1);
    if (rc)
        return rc == -ENOSPC ? -ENOTSUP : -EIO;
    *verdict = ++ld->next_save;
    return 0;
}

int store_feedback_verdict(struct store *st, uint64_t verdict)
{
    struct store_pg *pg = store_pg_of(st);
    long changed;

    if (!pg || landed_get(pg, verdict, &changed) || changed < 0)
        return -EIO; /* SQLite queues none */
    return changed > 0 ? 0 : -ENOENT;
}
