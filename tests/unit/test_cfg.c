/* tests/unit/test_cfg.c - configuration: defaults, JSON file, environment
 * overrides, and errors that name the key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg.h"

static char path[64];

static void write_file(const char *text)
{
    FILE *f;

    snprintf(path, sizeof(path), "/tmp/motcua-cfg-%d.json", (int)getpid());
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_defaults(void **state)
{
    struct mc_config c;
    struct mc_err e = {{0}};

    (void)state;
    assert_int_equal(cfg_load(&c, NULL, NULL, &e), 0);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 8080);
    assert_int_equal(c.session_idle_timeout, 1800);
    assert_false(cfg_messenger_enabled(&c));
    assert_false(cfg_zalo_enabled(&c));
}

static void test_file_then_env(void **state)
{
    struct mc_config c;
    struct mc_err e = {{0}};
    char *env[] = {"MOTCUA_LISTEN_PORT=9090", "MOTCUA_DATA_STATE_DB=/tmp/s.db", "HOME=/root",
                   "MOTCUA_BIN=/x" /* not a section of ours: ignored */, NULL};

    (void)state;
    write_file(
        "{\"listen\": {\"port\": 8081, \"host\": \"0.0.0.0\"},"
        " \"messenger\": {\"app_secret\": \"a\", \"verify_token\": \"v\", \"page_token\": \"p\"}}");
    assert_int_equal(cfg_load(&c, path, env, &e), 0);
    assert_int_equal(c.listen_port, 9090); /* environment wins */
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_string_equal(c.data_state_db, "/tmp/s.db");
    assert_true(cfg_messenger_enabled(&c));
    assert_true(cfg_is_secret("messenger.app_secret"));
    assert_false(cfg_is_secret("listen.port"));
    remove(path);
}

static void expect_error(const char *file_text, char **env, const char *needle)
{
    struct mc_config c;
    struct mc_err e = {{0}};

    if (file_text)
        write_file(file_text);
    assert_int_equal(cfg_load(&c, file_text ? path : NULL, env, &e), -EINVAL);
    if (!strstr(e.text, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", e.text, needle);
    if (file_text)
        remove(path);
}

static void test_errors_name_the_key(void **state)
{
    char *env1[] = {"MOTCUA_LISTEN_PORT=abc", NULL};
    char *env2[] = {"MOTCUA_LISTEN_PORT=65536", NULL};
    char *env3[] = {"MOTCUA_LISTEN_PROT=1", NULL};
    char *env4[] = {"MOTCUA_LISTEN_PORT=-1", NULL};
    char *env5[] = {"MOTCUA_LISTEN_TRUSTED_PROXIES=127.0.0.1, nginx.local", NULL};
    char *env6[] = {"MOTCUA_LISTEN_TRUSTED_PROXIES=10.0.0.0/8, ::1", NULL};
    struct mc_config c;
    struct mc_err e = {{0}};

    (void)state;
    expect_error("{\"listen\": {\"prot\": 1}}", NULL, "listen.prot: unknown key");
    expect_error("{\"lisen\": {\"port\": 1}}", NULL, "lisen.port: unknown key");
    expect_error("{\"listen\": {\"port\": \"80\"}}", NULL, "listen.port: expected a whole number");
    expect_error("{\"listen\": {\"host\": 5}}", NULL, "listen.host: expected a string");
    expect_error("{\"listen\": 5}", NULL, "listen: must be an object");
    expect_error("[1]", NULL, "top level");
    expect_error("{\"listen\": ", NULL, ":1:");
    expect_error("{\"log\": {\"level\": \"loud\"}}", NULL, "log.level");
    expect_error("{\"session\": {\"idle_timeout\": 4}}", NULL,
                 "session.idle_timeout: 4 is out of range");
    expect_error(NULL, env1, "MOTCUA_LISTEN_PORT: listen.port: expected a whole number");
    expect_error(NULL, env2, "out of range");
    expect_error(NULL, env3, "MOTCUA_LISTEN_PROT: unknown key");
    expect_error(NULL, env4, "listen.port");
    /* a bad proxy entry stops the start (exit 2), named */
    expect_error(NULL, env5, "listen.trusted_proxies: \"nginx.local\"");
    expect_error("{\"listen\": {\"trusted_proxies\": \"10.0.0.0/40\"}}", NULL, "\"10.0.0.0/40\"");
    assert_int_equal(cfg_load(&c, NULL, env6, &e), 0);
    assert_string_equal(c.listen_trusted_proxies, "10.0.0.0/8, ::1");
    assert_int_equal(c.listen_body_timeout, 30);
}

/* issue 19: share.ttl_days bounds a citizen's checklist page (its address is
 * site.public_url's: test_public_url) */
static void test_share_settings(void **state)
{
    char *ok[] = {"MOTCUA_SHARE_TTL_DAYS=7", NULL};
    char *bad[] = {"MOTCUA_SHARE_TTL_DAYS=0", NULL};
    struct mc_config c;
    struct mc_err e = {{0}};

    (void)state;
    assert_int_equal(cfg_load(&c, NULL, NULL, &e), 0);
    assert_int_equal(c.share_ttl_days, 30);
    assert_int_equal(cfg_load(&c, NULL, ok, &e), 0);
    assert_int_equal(c.share_ttl_days, 7);
    expect_error(NULL, bad, "share.ttl_days: 0 is out of range");
}

/* issue 18: the console's reads off the loop (offload.h): one reader thread
 * and 16 waiting by default; 0 reads on the loop; more than
 * CFG_STATE_READERS_MAX threads (each a connection per worker), or no queue,
 * is refused */
static void test_state_readers(void **state)
{
    char *off[] = {"MOTCUA_DATA_STATE_READERS=0", "MOTCUA_DATA_STATE_READ_QUEUE=1", NULL};
    char *many[] = {"MOTCUA_DATA_STATE_READERS=5", NULL};
    char *no_queue[] = {"MOTCUA_DATA_STATE_READ_QUEUE=0", NULL};
    struct mc_config c;
    struct mc_err e = {{0}};

    (void)state;
    assert_int_equal(cfg_load(&c, NULL, NULL, &e), 0);
    assert_int_equal(c.data_state_readers, 1);
    assert_int_equal(c.data_state_read_queue, 16);
    assert_int_equal(cfg_load(&c, NULL, off, &e), 0);
    assert_int_equal(c.data_state_readers, 0);
    assert_int_equal(c.data_state_read_queue, 1);
    expect_error(NULL, many, "data.state_readers: 5 is out of range");
    expect_error(NULL, no_queue, "data.state_read_queue: 0 is out of range");
}

/* issue 18: outbox.lease_seconds must exceed a send's timeout (OUTBOX_TIMEOUT_S,
 * 10 s) with a margin, or two live nodes could send one reply: 14 is refused */
static void test_outbox_lease(void **state)
{
    char *ok[] = {"MOTCUA_OUTBOX_LEASE_SECONDS=15", NULL};
    char *short_lease[] = {"MOTCUA_OUTBOX_LEASE_SECONDS=14", NULL};
    char *send_timeout[] = {"MOTCUA_OUTBOX_LEASE_SECONDS=10", NULL};
    struct mc_config c;
    struct mc_err e = {{0}};

    (void)state;
    assert_int_equal(cfg_load(&c, NULL, NULL, &e), 0);
    assert_int_equal(c.outbox_lease_seconds, 30);
    assert_int_equal(cfg_load(&c, NULL, ok, &e), 0);
    assert_int_equal(c.outbox_lease_seconds, 15);
    expect_error(NULL, short_lease, "outbox.lease_seconds: 14 is out of range");
    expect_error(NULL, send_timeout, "outbox.lease_seconds: 10 is out of range");
    expect_error("{\"outbox\": {\"lease_seconds\": 3601}}", NULL, "out of range");
}

static void test_missing_file(void **state)
{
    struct mc_config c;
    struct mc_err e = {{0}};

    (void)state;
    assert_int_equal(cfg_load(&c, "/nonexistent/motcua.json", NULL, &e), -EINVAL);
    assert_non_null(strstr(e.text, "/nonexistent/motcua.json"));
}

static void test_string_too_long(void **state)
{
    char big[CFG_STR_MAX + 64], file[CFG_STR_MAX + 128];

    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    snprintf(file, sizeof(file), "{\"admin\": {\"token\": \"%s\"}}", big);
    expect_error(file, NULL, "admin.token: longer than");
}

/* site.public_url goes into QR codes and pages: only an http(s) address of
 * URL-safe characters, its trailing '/' dropped so a path can follow. */
static void test_public_url(void **state)
{
    char *ok1[] = {"MOTCUA_SITE_PUBLIC_URL=https://motcua.xa-tanphu.gov.vn/", NULL};
    char *ok2[] = {"MOTCUA_SITE_PUBLIC_URL=http://10.0.0.5:8080/motcua", NULL};
    char *bad[][2] = {{"MOTCUA_SITE_PUBLIC_URL=ftp://x.example", NULL},
                      {"MOTCUA_SITE_PUBLIC_URL=https://", NULL},
                      {"MOTCUA_SITE_PUBLIC_URL=https://x.example/a b", NULL},
                      {"MOTCUA_SITE_PUBLIC_URL=https://x.example/\"><script>", NULL},
                      {"MOTCUA_SITE_PUBLIC_URL=https://x.example/?q=1", NULL},
                      {"MOTCUA_SITE_PUBLIC_URL=motcua.example", NULL}};
    char long_url[CFG_PUBLIC_URL_MAX + 32], env_long[CFG_PUBLIC_URL_MAX + 64];
    char *envl[] = {env_long, NULL};
    struct mc_config c;
    struct mc_err e = {{0}};
    size_t i;

    (void)state;
    assert_int_equal(cfg_load(&c, NULL, NULL, &e), 0);
    assert_string_equal(c.site_public_url, ""); /* default: from the request's Host */
    assert_int_equal(cfg_load(&c, NULL, ok1, &e), 0);
    assert_string_equal(c.site_public_url, "https://motcua.xa-tanphu.gov.vn");
    assert_int_equal(cfg_load(&c, NULL, ok2, &e), 0);
    assert_string_equal(c.site_public_url, "http://10.0.0.5:8080/motcua");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_error(NULL, bad[i], "site.public_url");
    memset(long_url, 'a', sizeof(long_url) - 1);
    long_url[sizeof(long_url) - 1] = '\0';
    snprintf(env_long, sizeof(env_long), "MOTCUA_SITE_PUBLIC_URL=https://%s", long_url);
    expect_error(NULL, envl, "site.public_url");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_file_then_env),
        cmocka_unit_test(test_errors_name_the_key),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_share_settings),
        cmocka_unit_test(test_state_readers),
        cmocka_unit_test(test_outbox_lease),
        cmocka_unit_test(test_string_too_long),
        cmocka_unit_test(test_public_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
