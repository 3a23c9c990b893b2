/* tests/unit/test_store_pg_link.c - one PostgreSQL connection's settings
 * (store_pg_link.c): the defaults the store adds to data.state_url — a
 * connect timeout, TCP keepalives and a bound on unacknowledged data, so a
 * database host that vanishes without a reset is noticed in seconds — are
 * in effect, and a setting the URL names wins over its default (against the
 * test cluster: make test-pg sets MOTCUA_TEST_PG_URL); and, everywhere, a
 * database that is not there is an error naming the setting, not a hang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "mc_err.h"
#include "store_pg.h"

/* The value of keyword on l's connection, copied into out[cap] ("" if unset). */
static void setting(struct store_pg_link *l, const char *keyword, char *out, size_t cap)
{
    PQconninfoOption *opts = PQconninfo(store_pg_link_conn(l)), *o;

    assert_non_null(opts);
    out[0] = '\0';
    for (o = opts; o->keyword; o++)
        if (strcmp(o->keyword, keyword) == 0 && o->val)
            snprintf(out, cap, "%s", o->val);
    PQconninfoFree(opts);
}

static struct store_pg_link *open_on(const char *url)
{
    struct mc_err err = {{0}};
    struct store_pg_link *l = store_pg_link_open(url, &err);

    if (!l)
        fail_msg("store_pg_link_open: %s", err.text);
    return l;
}

static void test_defaults_in_effect(void **state)
{
    const char *url = getenv("MOTCUA_TEST_PG_URL");
    struct store_pg_link *l;
    char v[64];

    (void)state;
    l = open_on(url);
    setting(l, "connect_timeout", v, sizeof(v));
    assert_string_equal(v, STORE_PG_CONNECT_TIMEOUT);
    setting(l, "keepalives_idle", v, sizeof(v));
    assert_string_equal(v, STORE_PG_KEEPALIVES_IDLE);
    setting(l, "keepalives_interval", v, sizeof(v));
    assert_string_equal(v, STORE_PG_KEEPALIVES_INTERVAL);
    setting(l, "keepalives_count", v, sizeof(v));
    assert_string_equal(v, STORE_PG_KEEPALIVES_COUNT);
    setting(l, "tcp_user_timeout", v, sizeof(v));
    assert_string_equal(v, STORE_PG_TCP_USER_TIMEOUT);
    store_pg_link_free(l);
}

static void test_url_wins(void **state)
{
    const char *url = getenv("MOTCUA_TEST_PG_URL");
    struct store_pg_link *l;
    char mine[1024], v[64];

    (void)state;
    assert_true((size_t)snprintf(mine, sizeof(mine), "%s%skeepalives_idle=60&connect_timeout=7",
                                 url, strchr(url, '?') ? "&" : "?") < sizeof(mine));
    l = open_on(mine);
    setting(l, "keepalives_idle", v, sizeof(v));
    assert_string_equal(v, "60");
    setting(l, "connect_timeout", v, sizeof(v));
    assert_string_equal(v, "7");
    setting(l, "keepalives_count", v, sizeof(v)); /* the rest keep their defaults */
    assert_string_equal(v, STORE_PG_KEEPALIVES_COUNT);
    store_pg_link_free(l);
}

static void test_no_database(void **state)
{
    struct mc_err err = {{0}};
    struct store_pg_link *l;

    (void)state;
    l = store_pg_link_open("postgresql://motcua@/motcua?host=/nonexistent-motcua-dir", &err);
    assert_null(l);
    assert_non_null(strstr(err.text, "data.state_url: cannot connect"));
}

int main(void)
{
    const struct CMUnitTest everywhere[] = {
        cmocka_unit_test(test_no_database),
    };
    const struct CMUnitTest cluster[] = {
        cmocka_unit_test(test_defaults_in_effect),
        cmocka_unit_test(test_url_wins),
    };
    const char *url = getenv("MOTCUA_TEST_PG_URL");
    int rc = cmocka_run_group_tests(everywhere, NULL, NULL);

    if (url && url[0]) /* the settings are read back from a live connection only */
        rc |= cmocka_run_group_tests(cluster, NULL, NULL);
    return rc;
}
