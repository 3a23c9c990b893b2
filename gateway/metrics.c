/* gateway/metrics.c - see metrics.h. */
#include "metrics.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static const char *const channel_names[METRICS_N_CHANNELS] = {"web", "kiosk", "messenger", "zalo",
                                                              "api"};
static const char *const error_names[METRICS_N_ERRORS] = {"bad_frame", "too_large", "invalid_utf8",
                                                          "internal",  "rejected",  "signature"};
static const char *const decision_names[3] = {"match", "clarify", "none"};

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
    rc |= mc_buf_puts(out, "# HELP motcua_understanding_total Messages understood, by decision.\n"
                           "# TYPE motcua_understanding_total counter\n");
    for (i = 0; i < 3; i++)
        rc |= mc_buf_printf(out, "motcua_understanding_total{decision=\"%s\"} %llu\n",
                            decision_names[i], (unsigned long long)m->decisions[i]);
    rc |= mc_buf_printf(out,
                        "# HELP motcua_understanding_seconds_sum Time spent understanding.\n"
                        "# TYPE motcua_understanding_seconds_sum counter\n"
                        "motcua_understanding_seconds_sum %.6f\n"
                        "motcua_understanding_seconds_count %llu\n"
                        "# HELP motcua_outbox_total Outbound channel replies, by result.\n"
                        "# TYPE motcua_outbox_total counter\n"
                        "motcua_outbox_total{result=\"sent\"} %llu\n"
                        "motcua_outbox_total{result=\"retry\"} %llu\n"
                        "motcua_outbox_total{result=\"failed\"} %llu\n"
                        "# HELP motcua_uptime_seconds Seconds since start.\n"
                        "# TYPE motcua_uptime_seconds gauge\n"
                        "motcua_uptime_seconds %lld\n",
                        (double)m->understand_us_sum / 1e6, (unsigned long long)m->understand_count,
                        (unsigned long long)m->outbox_sent, (unsigned long long)m->outbox_retry,
                        (unsigned long long)m->outbox_failed, (long long)(time(NULL) - m->started));
    return rc ? -E2BIG : 0;
}
