/* gateway/outbox_guard.h - the outbox's two brakes, kept pure (no I/O, the
 * caller passes the time and the random bits) so they are unit-tested:
 * - a circuit per platform: after a temporary failure (no answer, 5xx, 429,
 *   a rate-limit code) nothing more goes to that platform until an
 *   exponentially growing, jittered wait has passed, and then one probe at a
 *   time until one succeeds;
 * - holds: a row whose outcome (sent, failed, retry at t) could not be
 *   written to the state database, or is written but not yet committed, is
 *   remembered in memory so the pump neither resends it at once nor loses
 *   its back-off. A hold ends when a commit is seen after its write. */
#ifndef MOTCUA_GATEWAY_OUTBOX_GUARD_H
#define MOTCUA_GATEWAY_OUTBOX_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OB_HOLDS_MAX 64          /* rows with an outcome not yet committed */
#define OB_BACKOFF_FIRST_MS 1000 /* first wait after a failure */
#define OB_BACKOFF_CAP_MS 300000 /* longest wait (5 min) */
#define OB_REWRITE_CAP_MS 30000  /* longest wait between two tries of a write */
#define OB_STATE_MAX 8           /* "sent", "failed", "" (retry) */

/* 1 s, 2 s, 4 s ... after the n-th failure (n >= 1), capped, plus 0-50 %
 * jitter taken from rnd. */
int64_t ob_backoff_ms(int n, uint64_t rnd, int64_t cap_ms);

struct ob_circuit {
    int failures;          /* temporary failures in a row; 0 = closed */
    int64_t open_until_ms; /* nothing is sent before this */
    int64_t opened_ms;     /* when the last counted failure opened it */
    bool proven;           /* a request succeeded since start or the last failure */
};

/* A temporary failure of a request started at started_ms. Requests that were
 * already out when the circuit opened fail together in one outage: counted
 * once, not one longer wait each (eight 503s at once would otherwise close
 * the platform for minutes). */
void ob_circuit_failure(struct ob_circuit *c, int64_t now_ms, int64_t started_ms, uint64_t rnd);
void ob_circuit_success(struct ob_circuit *c);
/* Whether one more request may start, given the requests in flight to the
 * platform: all once a request has succeeded; until then (at start, or
 * after a failure once open_until_ms has passed) one probe at a time, so a
 * platform that is down from the start costs one request, not eight. */
bool ob_circuit_allows(const struct ob_circuit *c, int64_t now_ms, int in_flight);

struct ob_hold {
    bool used;
    bool final;   /* "sent" or "failed": never send again */
    bool written; /* the UPDATE returned success */
    int64_t row;
    char state[OB_STATE_MAX];
    int attempts;
    int64_t next_ms;    /* retry holds: not before */
    int64_t rewrite_ms; /* unwritten: next try of the write */
    int rewrites;       /* failed writes in a row */
    uint64_t commits0;  /* the store's commit and failure counts at the write */
    uint64_t failures0;
    bool pending;        /* sent without waiting (PostgreSQL): its answer not read yet */
    bool committed;      /* ... answered: committed on its own */
    bool landed;         /* its commit landed (outbox.c forgets it after the next claim) */
    uint64_t claim_mark; /* the outbox's claims sent when it landed */
    uint64_t claim_seen; /* the outbox's claims sent when it was written */
};

struct ob_holds {
    struct ob_hold h[OB_HOLDS_MAX];
};

/* The hold of row, or NULL. */
struct ob_hold *ob_hold_find(struct ob_holds *hs, int64_t row);
/* The hold of row, claimed if new (zeroed, used, row set); NULL when full. */
struct ob_hold *ob_hold_claim(struct ob_holds *hs, int64_t row);
/* Whether row must not be sent at now_ms: a final hold, or a retry hold
 * whose time has not come. */
bool ob_hold_blocks(struct ob_holds *hs, int64_t row, int64_t now_ms);
/* Holds whose write failed. */
size_t ob_hold_unwritten(const struct ob_holds *hs);
/* Holds in use. */
size_t ob_hold_count(const struct ob_holds *hs);
/* Records the result of a write of h at now_ms with the store's counters. */
void ob_hold_wrote(struct ob_hold *h, bool ok, int64_t now_ms, uint64_t commits, uint64_t failures,
                   uint64_t rnd);
/* What to do with a written or unwritten hold given the store's counters:
 * OB_HOLD_DONE (committed: drop it), OB_HOLD_WRITE (write it, again), or
 * OB_HOLD_WAIT. */
enum ob_hold_next { OB_HOLD_WAIT, OB_HOLD_DONE, OB_HOLD_WRITE };
enum ob_hold_next ob_hold_next(const struct ob_hold *h, int64_t now_ms, uint64_t commits,
                               uint64_t failures);

#endif
