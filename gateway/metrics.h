/* gateway/metrics.h - counters for GET /metrics (Prometheus text format
 * 0.0.4). A struct metrics lives in struct gw and is touched only from the
 * event-loop thread, so plain integers suffice. */
#ifndef MOTCUA_GATEWAY_METRICS_H
#define MOTCUA_GATEWAY_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "mc_buf.h"

enum metrics_channel {
    METRICS_WEB,
    METRICS_KIOSK,
    METRICS_MESSENGER,
    METRICS_ZALO,
    METRICS_API,
    METRICS_N_CHANNELS
};

enum metrics_error {
    METRICS_ERR_BAD_FRAME, /* WS: not JSON, wrong type, missing field */
    METRICS_ERR_TOO_LARGE, /* WS frame or HTTP body over its cap */
    METRICS_ERR_UTF8,      /* invalid UTF-8 */
    METRICS_ERR_INTERNAL,  /* database or memory failure */
    METRICS_ERR_REJECTED,  /* connection refused by a limit */
    METRICS_ERR_SIGNATURE, /* webhook signature missing or wrong */
    METRICS_N_ERRORS
};

/* Limits that held (serve --help lists each setting); one counter each. */
enum metrics_limit {
    METRICS_LIMIT_PER_IP,         /* listen.max_per_ip: a connection refused */
    METRICS_LIMIT_HEADER_TIMEOUT, /* listen.header_timeout_seconds: closed before a request */
    METRICS_LIMIT_BODY_TIMEOUT,   /* listen.body_timeout_seconds: 408, closed */
    METRICS_LIMIT_QUEUED_BYTES,   /* listen.max_queued_bytes: a WebSocket that did not read */
    METRICS_LIMIT_RATE,           /* session.messages_per_minute: a rate_limited frame */
    METRICS_LIMIT_CHUNKED,        /* a chunked request body: 411, closed */
    METRICS_N_LIMITS
};

/* What became of a typed message: understanding's decision (the order of
 * enum intent_decision), or METRICS_DECISION_CONTEXT for a message
 * understanding placed out of scope ("none") that the conversation answered
 * from the procedure in context ("còn lệ phí?"): counted apart, so that the
 * share of "none" stays the share of questions the bot could not answer. */
enum metrics_decision {
    METRICS_DECISION_MATCH,
    METRICS_DECISION_CLARIFY,
    METRICS_DECISION_NONE,
    METRICS_DECISION_CONTEXT,
    METRICS_N_DECISIONS
};

/* Upper bounds of the turn-latency histogram, in microseconds (0.5 ms .. 1 s;
 * one turn costs tens of microseconds when all is well, a slow disk shows as
 * milliseconds). Prometheus adds +Inf. */
#define METRICS_TURN_BOUNDS_US                                                                     \
    {                                                                                              \
        500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000                \
    }
#define METRICS_TURN_BUCKETS 11 /* entries of METRICS_TURN_BOUNDS_US */

struct metrics {
    uint64_t ws_open;  /* WebSocket connections open now */
    uint64_t ws_total; /* accepted since start */
    uint64_t http_requests;
    uint64_t http_status[6]; /* by class: [2] = 2xx ... [5] = 5xx */
    uint64_t msg_in[METRICS_N_CHANNELS];
    uint64_t msg_out[METRICS_N_CHANNELS];
    uint64_t errors[METRICS_N_ERRORS];
    uint64_t limits[METRICS_N_LIMITS];       /* times each limit was applied */
    uint64_t conns_open;                     /* client connections open now (HTTP and WebSocket) */
    uint64_t decisions[METRICS_N_DECISIONS]; /* by enum metrics_decision */
    uint64_t outbox_sent, outbox_retry, outbox_failed;
    uint64_t outbox_circuit_open; /* a platform's circuit opened (outbox_guard.h) */
    uint64_t state_write_failed;  /* outbox outcomes the state database refused */
    int state_unwritable;         /* 1: the state database takes no writes: /readyz 503 */
    uint64_t understand_us_sum;   /* time spent in understanding, microseconds */
    uint64_t understand_count;
    uint64_t turn_bucket[METRICS_TURN_BUCKETS + 1]; /* turns per bucket, not cumulative;
                                                       the last is over the highest bound */
    uint64_t turn_us_sum;                           /* server time of all turns, microseconds */
    uint64_t turn_count;
    /* time the event loop waited on the state store (SQLite or PostgreSQL),
     * microseconds: the turns' own store calls (session load, resend key,
     * taught-phrase revision, state and records save), and the group
     * commits, counted apart since one commit serves many turns */
    uint64_t state_turn_us_sum;
    uint64_t state_commit_us_sum;
    uint64_t state_commit_count;
    /* reads of the state store by the fallback polls' timers (the feed, the
     * phrases' and the office data's revisions, the reload revision): one
     * per poll, each a SELECT on the loop; few while LISTEN is in effect
     * (notify.h), none of the reads a notification asks for */
    uint64_t state_poll_reads;
    /* webhook events walked (duplicates too) and the round trips to the
     * state database the loop waited for while handling them, their
     * delivery's COMMIT aside (sent without waiting: held answers wait for
     * it, not the loop); PostgreSQL only, SQLite counts none
     * (docs/scaling.md, "Webhook events: round trips") */
    uint64_t webhook_events;
    uint64_t webhook_round_trips;
    int64_t started; /* unix seconds */
    int64_t pid;     /* this process: /metrics is per worker process (listen.workers) */
};

/* Channel name -> index; METRICS_API for anything unknown. */
enum metrics_channel metrics_channel_of(const char *name);

/* Counts one understood message. decision is an enum intent_decision;
 * answered_from_context turns a "none" into METRICS_DECISION_CONTEXT. */
void metrics_count_decision(struct metrics *m, int decision, bool answered_from_context);

/* Counts one turn (a message or postback through the router, answered or
 * refused) that took us microseconds of server time. */
void metrics_observe_turn(struct metrics *m, uint64_t us);

/* Counts one group commit that took us microseconds. */
void metrics_observe_commit(struct metrics *m, uint64_t us);

/* Appends the Prometheus exposition to out. Returns 0 or the mc_buf error. */
MC_MUST_CHECK int metrics_render(const struct metrics *m, struct mc_buf *out);

#endif
