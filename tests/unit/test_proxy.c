/* tests/unit/test_proxy.c - listen.trusted_proxies: parsing (a bad entry is
 * named), CIDR matching for IPv4 and IPv6, and the client address taken from
 * X-Forwarded-For only from a trusted peer (the right-most untrusted hop). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "proxy.h"

static struct proxy_list *parse_ok(const char *text)
{
    struct mc_err err = {{0}};
    struct proxy_list *l = NULL;

    assert_int_equal(proxy_list_parse(text, &l, &err), 0);
    assert_non_null(l);
    return l;
}

static void test_parse_errors(void **state)
{
    static const char *const bad[] = {"10.0.0.1,nginx", "10.0.0.0/33", "10.0.0.1/",
                                      "::1/129",        "10.0.0.1/8x", "1.2.3",
                                      "10.0.0.1/-1",    "fe80::1%eth0"};
    struct mc_err err = {{0}};
    struct proxy_list *l;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        l = (struct proxy_list *)1;
        assert_int_equal(proxy_list_parse(bad[i], &l, &err), -EINVAL);
        assert_null(l);
        assert_non_null(strstr(err.text, "listen.trusted_proxies"));
    }
    assert_int_equal(proxy_list_parse("10.0.0.1, nginx", &l, &err), -EINVAL);
    assert_non_null(strstr(err.text, "\"nginx\"")); /* the bad entry is named */
}

static void test_match(void **state)
{
    struct proxy_list *l = parse_ok(" 10.0.0.1 , 192.168.0.0/16,fd00::/8 ,::1,172.16.9.9/12");

    (void)state;
    assert_true(proxy_list_trusts(l, "10.0.0.1"));
    assert_false(proxy_list_trusts(l, "10.0.0.2"));
    assert_true(proxy_list_trusts(l, "192.168.44.3"));
    assert_false(proxy_list_trusts(l, "192.169.0.1"));
    assert_true(proxy_list_trusts(l, "172.31.255.255")); /* host bits of the entry ignored */
    assert_false(proxy_list_trusts(l, "172.32.0.1"));
    assert_true(proxy_list_trusts(l, "fd12:3456::1"));
    assert_false(proxy_list_trusts(l, "fe80::1"));
    assert_true(proxy_list_trusts(l, "::1"));
    assert_true(proxy_list_trusts(l, "::ffff:10.0.0.1")); /* mapped form of an IPv4 entry */
    assert_false(proxy_list_trusts(l, "garbage"));
    assert_false(proxy_list_trusts(l, ""));
    assert_false(proxy_list_trusts(NULL, "10.0.0.1"));
    proxy_list_free(l);
    l = parse_ok("");
    assert_false(proxy_list_trusts(l, "10.0.0.1")); /* empty: nobody */
    proxy_list_free(l);
    l = parse_ok("0.0.0.0/0");
    assert_true(proxy_list_trusts(l, "203.0.113.7"));
    assert_false(proxy_list_trusts(l, "2001:db8::1"));
    proxy_list_free(l);
}

static void test_client_addr(void **state)
{
    struct proxy_list *l = parse_ok("127.0.0.1,10.0.0.0/8");
    char out[PROXY_ADDR_MAX];

    (void)state;
    /* untrusted peer: X-Forwarded-For is ignored */
    assert_false(proxy_client_addr(l, "203.0.113.9", "1.2.3.4", out, sizeof(out)));
    assert_string_equal(out, "203.0.113.9");
    /* trusted peer: the right-most hop that is not a proxy */
    assert_true(proxy_client_addr(l, "127.0.0.1", "1.2.3.4", out, sizeof(out)));
    assert_string_equal(out, "1.2.3.4");
    assert_true(proxy_client_addr(l, "127.0.0.1", "6.6.6.6, 1.2.3.4, 10.1.1.1", out, sizeof(out)));
    assert_string_equal(out, "1.2.3.4"); /* 6.6.6.6 is whatever the client wrote */
    assert_true(proxy_client_addr(l, "127.0.0.1", " 2001:DB8::7 ", out, sizeof(out)));
    assert_string_equal(out, "2001:db8::7"); /* canonical form: one key per client */
    /* all hops trusted: the left-most */
    assert_true(proxy_client_addr(l, "127.0.0.1", "10.0.0.5,10.0.0.6", out, sizeof(out)));
    assert_string_equal(out, "10.0.0.5");
    /* garbage stops the walk at the last good hop */
    assert_true(proxy_client_addr(l, "127.0.0.1", "1.1.1.1, evil, 10.2.2.2", out, sizeof(out)));
    assert_string_equal(out, "10.2.2.2");
    assert_false(proxy_client_addr(l, "127.0.0.1", "unknown", out, sizeof(out)));
    assert_string_equal(out, "127.0.0.1");
    assert_false(proxy_client_addr(l, "127.0.0.1", "", out, sizeof(out)));
    assert_string_equal(out, "127.0.0.1");
    assert_false(proxy_client_addr(l, "127.0.0.1", NULL, out, sizeof(out)));
    assert_string_equal(out, "127.0.0.1");
    assert_true(proxy_client_addr(l, "127.0.0.1", ",,5.5.5.5,", out, sizeof(out)));
    assert_string_equal(out, "5.5.5.5");
    assert_false(proxy_client_addr(NULL, "::ffff:8.8.8.8", "1.2.3.4", out, sizeof(out)));
    assert_string_equal(out, "8.8.8.8");
    proxy_list_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_client_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
