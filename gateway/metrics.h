/* gateway/metrics.h - counters for GET /metrics (Prometheus text format
 * 0.0.4). A struct metrics lives in struct gw and is touched only from the
 * event-loop thread, so plain integers suffice. */
#ifndef MOTCUA_GATEWAY_METRICS_H
#define MOTCUA_GATEWAY_METRICS_H

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

struct metrics {
    uint64_t ws_open;  /* WebSocket connections open now */
    uint64_t ws_total; /* accepted since start */
    uint64_t http_requests;
    uint64_t http_status[6]; /* by class: [2] = 2xx ... [5] = 5xx */
    uint64_t msg_in[METRICS_N_CHANNELS];
    uint64_t msg_out[METRICS_N_CHANNELS];
    uint64_t errors[METRICS_N_ERRORS];
    uint64_t decisions[3]; /* match, clarify, none */
    uint64_t outbox_sent, outbox_retry, outbox_failed;
    uint64_t understand_us_sum; /* time spent in understanding, microseconds */
    uint64_t understand_count;
    int64_t started; /* unix seconds */
};

/* Channel name -> index; METRICS_API for anything unknown. */
enum metrics_channel metrics_channel_of(const char *name);

/* Appends the Prometheus exposition to out. Returns 0 or the mc_buf error. */
MC_MUST_CHECK int metrics_render(const struct metrics *m, struct mc_buf *out);

#endif
