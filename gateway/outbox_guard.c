/* gateway/outbox_guard.c - see outbox_guard.h. */
#include "outbox_guard.h"

#include <string.h>

int64_t ob_backoff_ms(int n, uint64_t rnd, int64_t cap_ms)
{
    int shift = n < 1 ? 0 : n - 1;
    int64_t wait;

    if (shift > 20)
        shift = 20;
    wait = (int64_t)OB_BACKOFF_FIRST_MS << shift;
    if (wait > cap_ms)
        wait = cap_ms;
    return wait + (int64_t)(rnd % (uint64_t)(wait / 2 + 1)); /* jitter: 1x..1.5x */
}

void ob_circuit_failure(struct ob_circuit *c, int64_t now_ms, int64_t started_ms, uint64_t rnd)
{
    if (c->failures > 0 && started_ms < c->opened_ms)
        return; /* out before the circuit opened: the failure already counted */
    c->opened_ms = now_ms;
    if (c->failures < 1000)
        c->failures++;
    c->open_until_ms = now_ms + ob_backoff_ms(c->failures, rnd, OB_BACKOFF_CAP_MS);
    c->proven = false;
}

void ob_circuit_success(struct ob_circuit *c)
{
    c->failures = 0;
    c->open_until_ms = 0;
    c->proven = true;
}

bool ob_circuit_allows(const struct ob_circuit *c, int64_t now_ms, int in_flight)
{
    if (c->proven)
        return true;
    return now_ms >= c->open_until_ms && in_flight == 0;
}

struct ob_hold *ob_hold_find(struct ob_holds *hs, int64_t row)
{
    size_t i;

    for (i = 0; i < OB_HOLDS_MAX; i++)
        if (hs->h[i].used && hs->h[i].row == row)
            return &hs->h[i];
    return NULL;
}

struct ob_hold *ob_hold_claim(struct ob_holds *hs, int64_t row)
{
    struct ob_hold *h = ob_hold_find(hs, row);
    size_t i;

    if (h)
        return h;
    for (i = 0; i < OB_HOLDS_MAX; i++)
        if (!hs->h[i].used) {
            memset(&hs->h[i], 0, sizeof(hs->h[i]));
            hs->h[i].used = true;
            hs->h[i].row = row;
            return &hs->h[i];
        }
    return NULL;
}

bool ob_hold_blocks(struct ob_holds *hs, int64_t row, int64_t now_ms)
{
    const struct ob_hold *h = ob_hold_find(hs, row);

    return h && (h->final || now_ms < h->next_ms);
}

size_t ob_hold_unwritten(const struct ob_holds *hs)
{
    size_t i, n = 0;

    for (i = 0; i < OB_HOLDS_MAX; i++)
        n += hs->h[i].used && !hs->h[i].written && !hs->h[i].pending;
    return n;
}

size_t ob_hold_count(const struct ob_holds *hs)
{
    size_t i, n = 0;

    for (i = 0; i < OB_HOLDS_MAX; i++)
        n += hs->h[i].used;
    return n;
}

void ob_hold_wrote(struct ob_hold *h, bool ok, int64_t now_ms, uint64_t commits, uint64_t failures,
                   uint64_t rnd)
{
    h->written = ok;
    h->commits0 = commits;
    h->failures0 = failures;
    if (ok) {
        h->rewrites = 0;
        return;
    }
    if (h->rewrites < 1000)
        h->rewrites++;
    h->rewrite_ms = now_ms + ob_backoff_ms(h->rewrites, rnd, OB_REWRITE_CAP_MS);
}

enum ob_hold_next ob_hold_next(const struct ob_hold *h, int64_t now_ms, uint64_t commits,
                               uint64_t failures)
{
    if (h->pending)
        return OB_HOLD_WAIT; /* its answer comes on its own */
    if (h->committed)
        return OB_HOLD_DONE;
    if (h->written) {
        if (failures != h->failures0)
            return OB_HOLD_WRITE; /* a batch was rolled back since: the write may be lost */
        return commits != h->commits0 ? OB_HOLD_DONE : OB_HOLD_WAIT;
    }
    return now_ms >= h->rewrite_ms ? OB_HOLD_WRITE : OB_HOLD_WAIT;
}
