/* gateway/store/store_turn_guard.c - whether a turn's save can carry the
 * handoff check (store.h, "a handoff known in memory"). The check itself is
 * in the queued save's statement (store_pg_turn.c). */
#include "store_sqlite_int.h"

#include "store_pg.h"

bool store_turn_queues(const struct store *st)
{
    return store_pg_of(st) != NULL;
}
