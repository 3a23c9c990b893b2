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

int store_pg_turn_verdict(struct store_pg *pg, uint64_t save)
{
    struct store_pg_landed *ld = store_pg_landed_of(pg);
    unsigned i;
    long changed;

    for (i = 0; i < ld->n; i++) {
        if (ld->v[i].save != save)
            continue;
        changed = ld->v[i].changed;
        ld->v[i] = ld->v[--ld->n]; /* asked once: forgotten */
        if (changed <= 0)
            return -EAGAIN;
        store_pg_count_turn(pg); /* counted once known written */
        return 0;
    }
    return -ENOENT;
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

int store_pg_turn_queue(struct store *st, struct session *s, const struct session_turn *t, size_t n,
                        uint64_t *save)
{
    struct store_pg_landed *ld = store_pg_landed_of(store_pg_of(st));
    struct store_pg_params p = {0};
    struct store_pg_link *l = NULL;
    char hash[17];
    int rc = save_params(st, s, t, n, &p, hash, &l);

    if (rc)
        return rc;
    if (store_pg_turn_lock(store_pg_of(st), s->id))
        return -EIO;
    /* its row count, 2 or 0, is the verdict */
    rc = store_pg_link_queue_save(l, TURN_SAVE_CAS TURN_SAVE_INSERT, &p, ld->next_save + 1);
    if (rc)
        return rc == -ENOSPC ? -ENOTSUP : -EIO;
    *save = ++ld->next_save;
    s->version++; /* as if it hit: a miss is learnt before the reply leaves */
    return 0;
}

int store_pg_turn_queue_locked(struct store *st, struct session *s, const struct session_turn *t,
                               size_t n)
{
    struct store_pg_params p = {0};
    struct store_pg_link *l = NULL;
    char hash[17];
    int rc = save_params(st, s, t, n, &p, hash, &l);

    if (rc)
        return rc;
    /* a miss divides by zero: the statement fails, the batch with it */
    if (store_pg_link_queue(l,
                            TURN_SAVE_CAS ", i AS (" TURN_SAVE_INSERT
                                          ") SELECT 1 / (SELECT count(*)::int FROM s)",
                            &p))
        return -EIO;
    s->version++;
    store_pg_count_turn(store_pg_of(st)); /* written unless its batch fails */
    return 0;
}
