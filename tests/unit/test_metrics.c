/* tests/unit/test_metrics.c - the Prometheus exposition: every series
 * present with its labels and value, channel names mapped, decisions counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "intent.h"
#include "metrics.h"

static void test_render(void **state)
{
    struct metrics m;
    struct mc_buf b;

    (void)state;
    memset(&m, 0, sizeof(m));
    m.ws_open = 3;
    m.msg_in[METRICS_ZALO] = 7;
    m.errors[METRICS_ERR_SIGNATURE] = 2;
    m.decisions[1] = 5;
    m.outbox_failed = 1;
    m.limits[METRICS_LIMIT_BODY_TIMEOUT] = 4;
    m.limits[METRICS_LIMIT_RATE] = 6;
    m.conns_open = 9;
    mc_buf_init(&b, 64 * 1024);
    assert_int_equal(metrics_render(&m, &b), 0);
    assert_non_null(strstr(b.data, "\nmotcua_ws_connections 3\n"));
    assert_non_null(strstr(b.data, "motcua_messages_in_total{channel=\"zalo\"} 7\n"));
    assert_non_null(strstr(b.data, "motcua_errors_total{reason=\"signature\"} 2\n"));
    assert_non_null(strstr(b.data, "motcua_understanding_total{decision=\"clarify\"} 5\n"));
    assert_non_null(strstr(b.data, "motcua_outbox_total{result=\"failed\"} 1\n"));
    assert_non_null(strstr(b.data, "# TYPE motcua_messages_out_total counter\n"));
    assert_non_null(strstr(b.data, "motcua_limit_hits_total{limit=\"body_timeout\"} 4\n"));
    assert_non_null(strstr(b.data, "motcua_limit_hits_total{limit=\"rate\"} 6\n"));
    assert_non_null(strstr(b.data, "motcua_limit_hits_total{limit=\"per_ip\"} 0\n"));
    assert_non_null(strstr(b.data, "\nmotcua_connections 9\n"));
    mc_buf_fini(&b);
    mc_buf_init(&b, 100); /* too small: an error, not a cut exposition */
    assert_int_not_equal(metrics_render(&m, &b), 0);
    mc_buf_fini(&b);
}

/* motcua_turn_seconds: a bound is inclusive (le), buckets are cumulative,
 * +Inf and _count hold every turn, _sum the time in seconds. */
static void test_turn_histogram(void **state)
{
    struct metrics m;
    struct mc_buf b;

    (void)state;
    memset(&m, 0, sizeof(m));
    metrics_observe_turn(&m, 300);     /* 0.3 ms */
    metrics_observe_turn(&m, 1000);    /* exactly 1 ms: in le="0.001" */
    metrics_observe_turn(&m, 40000);   /* 40 ms */
    metrics_observe_turn(&m, 2000000); /* 2 s: over the highest bound */
    mc_buf_init(&b, 64 * 1024);
    assert_int_equal(metrics_render(&m, &b), 0);
    assert_non_null(strstr(b.data, "# TYPE motcua_turn_seconds histogram\n"));
    assert_non_null(strstr(b.data, "\nmotcua_turn_seconds_bucket{le=\"0.0005\"} 1\n"
                                   "motcua_turn_seconds_bucket{le=\"0.001\"} 2\n"
                                   "motcua_turn_seconds_bucket{le=\"0.0025\"} 2\n"
                                   "motcua_turn_seconds_bucket{le=\"0.005\"} 2\n"
                                   "motcua_turn_seconds_bucket{le=\"0.01\"} 2\n"
                                   "motcua_turn_seconds_bucket{le=\"0.025\"} 2\n"
                                   "motcua_turn_seconds_bucket{le=\"0.05\"} 3\n"
                                   "motcua_turn_seconds_bucket{le=\"0.1\"} 3\n"
                                   "motcua_turn_seconds_bucket{le=\"0.25\"} 3\n"
                                   "motcua_turn_seconds_bucket{le=\"0.5\"} 3\n"
                                   "motcua_turn_seconds_bucket{le=\"1\"} 3\n"
                                   "motcua_turn_seconds_bucket{le=\"+Inf\"} 4\n"
                                   "motcua_turn_seconds_sum 2.041300\n"
                                   "motcua_turn_seconds_count 4\n"));
    mc_buf_fini(&b);
}

/* motcua_state_seconds: one summary, the turns' store time counted per turn
 * (its _count is the turns'), the commits per commit. */
static void test_state_summary(void **state)
{
    struct metrics m;
    struct mc_buf b;

    (void)state;
    memset(&m, 0, sizeof(m));
    metrics_observe_turn(&m, 900);
    metrics_observe_turn(&m, 1100);
    m.state_turn_us_sum = 250;
    metrics_observe_commit(&m, 1500);
    metrics_observe_commit(&m, 500);
    mc_buf_init(&b, 64 * 1024);
    assert_int_equal(metrics_render(&m, &b), 0);
    assert_non_null(strstr(b.data, "# TYPE motcua_state_seconds summary\n"
                                   "motcua_state_seconds_sum{op=\"turn\"} 0.000250\n"
                                   "motcua_state_seconds_count{op=\"turn\"} 2\n"
                                   "motcua_state_seconds_sum{op=\"commit\"} 0.002000\n"
                                   "motcua_state_seconds_count{op=\"commit\"} 2\n"));
    mc_buf_fini(&b);
}

/* promtool check metrics: the understanding time is one summary (_sum and
 * _count under its TYPE), and a "none" answered from the conversation is
 * counted as "context". */
static void test_understanding(void **state)
{
    struct metrics m;
    struct mc_buf b;

    (void)state;
    memset(&m, 0, sizeof(m));
    metrics_count_decision(&m, INTENT_MATCH, true); /* a match stays a match */
    metrics_count_decision(&m, INTENT_NONE, true);
    metrics_count_decision(&m, INTENT_NONE, true);
    metrics_count_decision(&m, INTENT_NONE, false);
    metrics_count_decision(&m, 7, false); /* not a decision: ignored */
    m.understand_us_sum = 1500;
    m.understand_count = 4;
    mc_buf_init(&b, 64 * 1024);
    assert_int_equal(metrics_render(&m, &b), 0);
    assert_non_null(strstr(b.data, "motcua_understanding_total{decision=\"match\"} 1\n"));
    assert_non_null(strstr(b.data, "motcua_understanding_total{decision=\"none\"} 1\n"));
    assert_non_null(strstr(b.data, "motcua_understanding_total{decision=\"context\"} 2\n"));
    assert_non_null(strstr(b.data, "# TYPE motcua_understanding_seconds summary\n"
                                   "motcua_understanding_seconds_sum 0.001500\n"
                                   "motcua_understanding_seconds_count 4\n"));
    assert_null(strstr(b.data, "TYPE motcua_understanding_seconds_sum"));
    mc_buf_fini(&b);
}

static void test_channels(void **state)
{
    (void)state;
    assert_int_equal(metrics_channel_of("web"), METRICS_WEB);
    assert_int_equal(metrics_channel_of("kiosk"), METRICS_KIOSK);
    assert_int_equal(metrics_channel_of("messenger"), METRICS_MESSENGER);
    assert_int_equal(metrics_channel_of("zalo"), METRICS_ZALO);
    assert_int_equal(metrics_channel_of("other"), METRICS_API);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),        cmocka_unit_test(test_turn_histogram),
        cmocka_unit_test(test_understanding), cmocka_unit_test(test_state_summary),
        cmocka_unit_test(test_channels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
