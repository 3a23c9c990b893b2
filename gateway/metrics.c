/* gateway/metrics.c - see metrics.h. */
#include "metrics.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "intent.h"

static const char *const channel_names[METRICS_N_CHANNELS] = {"web", "kiosk", "messenger", "zalo",
                                                              "api"};
static const char *const error_names[METRICS_N_ERRORS] = {"bad_frame", "too_large", "invalid_utf8",
                                                          "internal",  "rejected",  "signature"};
static const char *const limit_names[METRICS_N_LIMITS] = {
    "per_ip", "header_timeout", "body_timeout", "queued_bytes", "rate", "chunked_body"};
static const char *const decision_names[METRICS_N_DECISIONS] = {"match", "clarify", "none",
                                                                "context"};

_Static_assert(INTENT_MATCH == (int)METRICS_DECISION_MATCH &&
                   INTENT_CLARIFY == (int)METRICS_DECISION_CLARIFY &&
                   INTENT_NONE == (int)METRICS_DECISION_NONE,
               "enum metrics_decision starts with enum intent_decision");

static const uint64_t turn_bounds_us[METRICS_TURN_BUCKETS] = METRICS_TURN_BOUNDS_US;
_Static_assert(sizeof(turn_bounds_us) / sizeof(turn_bounds_us[0]) == METRICS_TURN_BUCKETS,
               "METRICS_TURN_BUCKETS counts METRICS_TURN_BOUNDS_US");

void metrics_count_decision(struct metrics *m, int decision, bool answered_from_context)
{
    if (decision < 0 || decision > METRICS_DECISION_NONE)
        return; /* not a decision of understanding: nothing to count */
    if (decision == METRICS_DECISION_NONE && answered_from_context)
        decision = METRICS_DECISION_CONTEXT;
    m->decisions[decision]++;
}

void metrics_observe_turn(struct metrics *m, uint64_t us)
{
    size_t i = 0;

    while (i < METRICS_TURN_BUCKETS && us > turn_bounds_us[i]) /* le: the bound is inclusive */
        i++;
    m->turn_bucket[i]++;
    m->turn_us_sum += us;
    m->turn_count++;
}

void metrics_observe_commit(struct metrics *m, uint64_t us)
{
    m->state_commit_us_sum += us;
    m->state_commit_count++;
}

/* The histogram: cumulative buckets, as Prometheus reads them. */
static int render_turns(const struct metrics *m, struct mc_buf *out)
{
    uint64_t cum = 0;
    int rc = 0;
    size_t i;

    rc |= mc_buf_puts(out, "# HELP motcua_turn_seconds Server time per turn (message or "
                           "postback), from arrival to reply.\n"
                           "# TYPE motcua_turn_seconds histogram\n");
    for (i = 0; i < METRICS_TURN_BUCKETS; i++) {
        cum += m->turn_bucket[i];
        rc |= mc_buf_printf(out, "motcua_turn_seconds_bucket{le=\"%g\"} %llu\n",
                            (double)turn_bounds_us[i] / 1e6, (unsigned long long)cum);
    }
    rc |= mc_buf_printf(out,
                        "motcua_turn_seconds_bucket{le=\"+Inf\"} %llu\n"
                        "motcua_turn_seconds_sum %.6f\n"
                        "motcua_turn_seconds_count %llu\n",
                        (unsigned long long)m->turn_count, (double)m->turn_us_sum / 1e6,
                        (unsigned long long)m->turn_count);
    /* a summary without quantiles, as motcua_understanding_seconds: the database time of a
     * turn is (sum{op="turn"} + sum{op="commit"}) / count{op="turn"} */
    rc |= mc_buf_printf(
        out,
        "# HELP motcua_state_seconds Time the event loop waited on the state "
        "store: the turns' own calls (op=turn, one per turn) and the group "
        "commits (op=commit, one per batch of turns).\n"
        "# TYPE motcua_state_seconds summary\n"
        "motcua_state_seconds_sum{op=\"turn\"} %.6f\n"
        "motcua_state_seconds_count{op=\"turn\"} %llu\n"
        "motcua_state_seconds_sum{op=\"commit\"} %.6f\n"
        "motcua_state_seconds_count{op=\"commit\"} %llu\n"
        "# HELP motcua_state_poll_reads_total Reads of the state store by the "
        "fallback polls (feed, taught phrases, office data, reload): every "
        "250 ms each while LISTEN is not in effect, every 5 s while it is.\n"
        "# TYPE motcua_state_poll_reads_total counter\n"
        "motcua_state_poll_reads_total %llu\n"
        "# HELP motcua_webhook_events_total Messenger and Zalo events handled "
        "(duplicates too).\n"
        "# TYPE motcua_webhook_events_total counter\n"
        "motcua_webhook_events_total %llu\n"
        "# HELP motcua_webhook_round_trips_total Round trips to the state "
        "database (PostgreSQL) the event loop waited for while handling webhook "
        "events, their COMMIT aside.\n"
        "# TYPE motcua_webhook_round_trips_total counter\n"
        "motcua_webhook_round_trips_total %llu\n",
        (double)m->state_turn_us_sum / 1e6, (unsigned long long)m->turn_count,
        (double)m->state_commit_us_sum / 1e6, (unsigned long long)m->state_commit_count,
        (unsigned long long)m->state_poll_reads, (unsigned long long)m->webhook_events,
        (unsigned long long)m->webhook_round_trips);
    return rc;
}

enum metrics_channel metrics_channel_of(const char *name)
{
    int i;

    for (i = 0; i < METRICS_N_CHANNELS; i++)
        if (strcmp(name, channel_names[i]) == 0)
            return (enum metrics_channel)i;
    return METRICS_API;
}

int metrics_render(const struct metrics *m, struct mc_buf *out)
{
    int rc = 0, i;

    rc |= mc_buf_printf(out,
                        "# HELP motcua_ws_connections WebSocket connections open now.\n"
                        "# TYPE motcua_ws_connections gauge\n"
                        "motcua_ws_connections %llu\n"
                        "# HELP motcua_ws_connections_total WebSocket connections accepted.\n"
                        "# TYPE motcua_ws_connections_total counter\n"
                        "motcua_ws_connections_total %llu\n"
                        "# HELP motcua_http_requests_total HTTP requests answered.\n"
                        "# TYPE motcua_http_requests_total counter\n",
                        (unsigned long long)m->ws_open, (unsigned long long)m->ws_total);
    for (i = 2; i <= 5; i++)
        rc |= mc_buf_printf(out, "motcua_http_requests_total{code=\"%dxx\"} %llu\n", i,
                            (unsigned long long)m->http_status[i]);
    rc |= mc_buf_puts(out, "# HELP motcua_messages_in_total Citizen messages received.\n"
                           "# TYPE motcua_messages_in_total counter\n");
    for (i = 0; i < METRICS_N_CHANNELS; i++)
        rc |= mc_buf_printf(out, "motcua_messages_in_total{channel=\"%s\"} %llu\n",
                            channel_names[i], (unsigned long long)m->msg_in[i]);
    rc |= mc_buf_puts(out, "# HELP motcua_messages_out_total Replies sent.\n"
                           "# TYPE motcua_messages_out_total counter\n");
    for (i = 0; i < METRICS_N_CHANNELS; i++)
        rc |= mc_buf_printf(out, "motcua_messages_out_total{channel=\"%s\"} %llu\n",
                            channel_names[i], (unsigned long long)m->msg_out[i]);
    rc |= mc_buf_puts(out, "# HELP motcua_errors_total Requests or frames refused, by reason.\n"
                           "# TYPE motcua_errors_total counter\n");
    for (i = 0; i < METRICS_N_ERRORS; i++)
        rc |= mc_buf_printf(out, "motcua_errors_total{reason=\"%s\"} %llu\n", error_names[i],
                            (unsigned long long)m->errors[i]);
    rc |= mc_buf_printf(out,
                        "# HELP motcua_connections Client connections open now (HTTP and "
                        "WebSocket).\n"
                        "# TYPE motcua_connections gauge\n"
                        "motcua_connections %llu\n"
                        "# HELP motcua_limit_hits_total Times a limit was applied, by limit "
                        "(serve --help).\n"
                        "# TYPE motcua_limit_hits_total counter\n",
                        (unsigned long long)m->conns_open);
    for (i = 0; i < METRICS_N_LIMITS; i++)
        rc |= mc_buf_printf(out, "motcua_limit_hits_total{limit=\"%s\"} %llu\n", limit_names[i],
                            (unsigned long long)m->limits[i]);
    rc |= mc_buf_puts(out, "# HELP motcua_understanding_total Messages understood, by decision "
                           "(context: out of scope alone, answered from the conversation).\n"
                           "# TYPE motcua_understanding_total counter\n");
    for (i = 0; i < METRICS_N_DECISIONS; i++)
        rc |= mc_buf_printf(out, "motcua_understanding_total{decision=\"%s\"} %llu\n",
                            decision_names[i], (unsigned long long)m->decisions[i]);
    rc |= mc_buf_printf(out,
                        /* a summary without quantiles: _sum and _count under one TYPE line,
                           which is what Prometheus (and promtool check metrics) expects */
                        "# HELP motcua_understanding_seconds Time spent understanding and "
                        "answering a message.\n"
                        "# TYPE motcua_understanding_seconds summary\n"
                        "motcua_understanding_seconds_sum %.6f\n"
                        "motcua_understanding_seconds_count %llu\n"
                        "# HELP motcua_outbox_total Outbound channel replies, by result.\n"
                        "# TYPE motcua_outbox_total counter\n"
                        "motcua_outbox_total{result=\"sent\"} %llu\n"
                        "motcua_outbox_total{result=\"retry\"} %llu\n"
                        "motcua_outbox_total{result=\"failed\"} %llu\n"
                        "# HELP motcua_uptime_seconds Seconds since start.\n"
                        "# TYPE motcua_uptime_seconds gauge\n"
                        "motcua_uptime_seconds %lld\n"
                        "# HELP motcua_worker_pid The process that answered (one of "
                        "listen.workers).\n"
                        "# TYPE motcua_worker_pid gauge\n"
                        "motcua_worker_pid %lld\n",
                        (double)m->understand_us_sum / 1e6, (unsigned long long)m->understand_count,
                        (unsigned long long)m->outbox_sent, (unsigned long long)m->outbox_retry,
                        (unsigned long long)m->outbox_failed, (long long)(time(NULL) - m->started),
                        (long long)m->pid);
    rc |= mc_buf_printf(
        out,
        "# HELP motcua_outbox_circuit_open_total Times a platform's circuit opened after a "
        "temporary failure.\n"
        "# TYPE motcua_outbox_circuit_open_total counter\n"
        "motcua_outbox_circuit_open_total %llu\n"
        "# HELP motcua_state_write_failures_total Outbox outcomes the state database refused.\n"
        "# TYPE motcua_state_write_failures_total counter\n"
        "motcua_state_write_failures_total %llu\n"
        "# HELP motcua_state_unwritable 1 while the state database cannot be written (/readyz "
        "503).\n"
        "# TYPE motcua_state_unwritable gauge\n"
        "motcua_state_unwritable %d\n",
        (unsigned long long)m->outbox_circuit_open, (unsigned long long)m->state_write_failed,
        m->state_unwritable ? 1 : 0);
    rc |= render_turns(m, out);
    return rc ? -E2BIG : 0;
}
