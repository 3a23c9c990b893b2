/* gateway/store/store_commit.c - the group commit without waiting (store.h,
 * issue 18): PostgreSQL's in store_pg.c; SQLite has none (a local file is
 * committed at once by store_commit()). */
#include "store_sqlite_int.h"

#include <errno.h>

#include "store_pg.h"

uint64_t store_batch_ticket(const struct store *st)
{
    if (store_pg_of(st))
        return store_pg_batch_ticket(store_pg_of(st));
    return store_in_batch(st) ? 1 : 0; /* never in flight: one number serves */
}

bool store_commits_async(const struct store *st)
{
    return store_pg_of(st) != NULL;
}

int store_commit_send(struct store *st)
{
    return store_pg_of(st) ? store_pg_commit_send(store_pg_of(st)) : -ENOTSUP;
}

size_t store_commit_poll(struct store *st, bool wait, struct store_commit_done *done, size_t max)
{
    return store_pg_of(st) ? store_pg_commit_poll(store_pg_of(st), wait, done, max) : 0;
}

bool store_would_wait(struct store *st)
{
    return store_pg_of(st) ? store_pg_would_wait(store_pg_of(st)) : false;
}

unsigned store_commits_in_flight(const struct store *st)
{
    return store_pg_of(st) ? store_pg_commits_in_flight(store_pg_of(st)) : 0;
}

int store_commit_socket(const struct store *st, uint64_t ticket)
{
    return store_pg_of(st) ? store_pg_commit_socket(store_pg_of(st), ticket) : -1;
}

int store_turn_queue(struct store *st, struct session *s, const struct session_turn *t, size_t n,
                     uint64_t *save)
{
    return store_pg_of(st) ? store_pg_turn_queue(st, s, t, n, save) : -ENOTSUP;
}

int store_turn_queue_locked(struct store *st, struct session *s, const struct session_turn *t,
                            size_t n)
{
    return store_pg_of(st) && s->row_locked ? store_pg_turn_queue_locked(st, s, t, n) : -ENOTSUP;
}

int store_turn_verdict(struct store *st, uint64_t save)
{
    return store_pg_of(st) ? store_pg_turn_verdict(store_pg_of(st), save) : -ENOENT;
}

int store_turn_verdict_now(struct store *st, uint64_t save)
{
    return store_pg_of(st) ? store_pg_turn_verdict_now(store_pg_of(st), save) : -ENOENT;
}
