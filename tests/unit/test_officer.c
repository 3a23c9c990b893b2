/* tests/unit/test_officer.c - officer passwords (scrypt hash and verify, a
 * wrong password, tampered or malformed hashes), the password and username
 * rules, tokens and the back-off rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "officer.h"

#define PW "mật-khẩu-đủ-dài"

static void test_hash_and_verify(void **state)
{
    char h1[OFFICER_HASH_MAX], h2[OFFICER_HASH_MAX];

    (void)state;
    assert_int_equal(officer_hash_password(PW, strlen(PW), h1), 0);
    assert_int_equal(strncmp(h1, "scrypt$32768$8$1$", sizeof "scrypt$32768$8$1$" - 1), 0);
    assert_int_equal(strlen(h1), sizeof "scrypt$32768$8$1$" - 1 + 24 + 1 + 44);
    assert_true(officer_is_password_ok(PW, strlen(PW), h1));
    assert_false(officer_is_password_ok(PW, strlen(PW) - 1, h1)); /* one byte short */
    assert_false(officer_is_password_ok("mật-khẩu-đủ-dàj", strlen(PW), h1));
    assert_false(officer_is_password_ok("", 0, h1));
    /* a fresh salt each time: the same password never gives the same hash */
    assert_int_equal(officer_hash_password(PW, strlen(PW), h2), 0);
    assert_string_not_equal(h1, h2);
    assert_true(officer_is_password_ok(PW, strlen(PW), h2));
}

static void test_tampered_and_malformed(void **state)
{
    char h[OFFICER_HASH_MAX], t[OFFICER_HASH_MAX + 8];
    size_t n;

    (void)state;
    assert_int_equal(officer_hash_password(PW, strlen(PW), h), 0);
    n = strlen(h);
    /* one character of the key changed */
    memcpy(t, h, n + 1);
    t[n - 2] = t[n - 2] == 'A' ? 'B' : 'A';
    assert_false(officer_is_password_ok(PW, strlen(PW), t));
    /* one character of the salt changed */
    memcpy(t, h, n + 1);
    t[sizeof "scrypt$32768$8$1$" - 1] ^= 1;
    assert_false(officer_is_password_ok(PW, strlen(PW), t));
    /* truncated, extended, other parameters, another scheme, nothing */
    memcpy(t, h, n + 1);
    t[n - 1] = '\0';
    assert_false(officer_is_password_ok(PW, strlen(PW), t));
    snprintf(t, sizeof(t), "%sA", h);
    assert_false(officer_is_password_ok(PW, strlen(PW), t));
    snprintf(t, sizeof(t), "scrypt$16384$8$1$%s", h + sizeof "scrypt$32768$8$1$" - 1);
    assert_false(officer_is_password_ok(PW, strlen(PW), t)); /* N is part of the hash */
    snprintf(t, sizeof(t), "scrypt$30000$8$1$%s", h + sizeof "scrypt$32768$8$1$" - 1);
    assert_false(officer_is_password_ok(PW, strlen(PW), t)); /* N not a power of 2 */
    snprintf(t, sizeof(t), "scrypt$4294967296$8$1$%s", h + sizeof "scrypt$32768$8$1$" - 1);
    assert_false(officer_is_password_ok(PW, strlen(PW), t)); /* absurd cost refused */
    snprintf(t, sizeof(t), "bcrypt%s", h + sizeof "scrypt" - 1);
    assert_false(officer_is_password_ok(PW, strlen(PW), t));
    assert_false(officer_is_password_ok(PW, strlen(PW), ""));
    assert_false(officer_is_password_ok(PW, strlen(PW), NULL));
    assert_false(officer_is_password_ok(PW, strlen(PW), "scrypt$$$$$"));
}

static void test_password_rules(void **state)
{
    struct mc_err e = {{0}};
    char h[OFFICER_HASH_MAX], big[OFFICER_PASSWORD_MAX + 2];

    (void)state;
    assert_int_equal(officer_check_password("123456789", 9, &e), -EINVAL);
    assert_non_null(strstr(e.text, "shorter than 10"));
    assert_int_equal(officer_check_password("1234567890", 10, &e), 0);
    /* ten characters, counted as code points: "đđđđđđđđđ" is 9 of them in 18 bytes */
    assert_int_equal(officer_check_password("đđđđđđđđđ", strlen("đđđđđđđđđ"), &e), -EINVAL);
    assert_int_equal(officer_check_password("đđđđđđđđđđ", strlen("đđđđđđđđđđ"), &e), 0);
    assert_int_equal(officer_check_password("12345\n67890", 11, &e), -EINVAL);
    assert_int_equal(officer_check_password("\xff\xfe"
                                            "34567890ab",
                                            12, &e),
                     -EINVAL);
    memset(big, 'a', sizeof(big));
    assert_int_equal(officer_check_password(big, OFFICER_PASSWORD_MAX + 1, &e), -EINVAL);
    assert_int_equal(officer_hash_password("short", 5, h), -EINVAL);
}

static void test_names_and_roles(void **state)
{
    char long_name[OFFICER_USERNAME_MAX + 1];

    (void)state;
    assert_true(officer_is_username_valid("lan.nt"));
    assert_true(officer_is_username_valid("can_bo-01"));
    assert_false(officer_is_username_valid(""));
    assert_false(officer_is_username_valid("Lan"));
    assert_false(officer_is_username_valid("lan nt"));
    assert_false(officer_is_username_valid("lân"));
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_false(officer_is_username_valid(long_name));
    assert_true(officer_is_role_valid("officer"));
    assert_true(officer_is_role_valid("admin"));
    assert_false(officer_is_role_valid("root"));
    assert_false(officer_is_role_valid(NULL));
}

static void test_tokens(void **state)
{
    char a[OFFICER_TOKEN_LEN + 1], b[OFFICER_TOKEN_LEN + 1], ha[OFFICER_TOKEN_LEN + 1];
    size_t i;

    (void)state;
    assert_int_equal(officer_new_token(a), 0);
    assert_int_equal(officer_new_token(b), 0);
    assert_int_equal(strlen(a), OFFICER_TOKEN_LEN);
    for (i = 0; a[i]; i++)
        assert_non_null(strchr("0123456789abcdef", a[i]));
    assert_string_not_equal(a, b);
    officer_token_hash(a, ha);
    assert_int_equal(strlen(ha), OFFICER_TOKEN_LEN);
    assert_string_not_equal(ha, a);
    /* SHA-256("abc"), FIPS 180-2 appendix B.1 */
    officer_token_hash("abc", ha);
    assert_string_equal(ha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(officer_backoff_seconds(0, OFFICER_FAIL_FREE, 0), 0);
    assert_int_equal(officer_backoff_seconds(4, OFFICER_FAIL_FREE, 0), 0);
    assert_int_equal(officer_backoff_seconds(5, OFFICER_FAIL_FREE, 0), 30);
    assert_int_equal(officer_backoff_seconds(5, OFFICER_FAIL_FREE, 10), 20);
    assert_int_equal(officer_backoff_seconds(5, OFFICER_FAIL_FREE, 30), 0);
    assert_int_equal(officer_backoff_seconds(6, OFFICER_FAIL_FREE, 0), 60); /* doubling */
    assert_int_equal(officer_backoff_seconds(7, OFFICER_FAIL_FREE, 0), 120);
    assert_int_equal(officer_backoff_seconds(100, OFFICER_FAIL_FREE, 0), OFFICER_BACKOFF_MAX);
    assert_int_equal(officer_backoff_seconds(4000000000u, OFFICER_FAIL_FREE, 0),
                     OFFICER_BACKOFF_MAX);
    assert_int_equal(officer_backoff_seconds(19, OFFICER_FAIL_FREE_IP, 0), 0);
    assert_int_equal(officer_backoff_seconds(20, OFFICER_FAIL_FREE_IP, 0), 30);
    assert_int_equal(officer_backoff_seconds(5, OFFICER_FAIL_FREE, -5), 30); /* clock went back */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_and_verify), cmocka_unit_test(test_tampered_and_malformed),
        cmocka_unit_test(test_password_rules),  cmocka_unit_test(test_names_and_roles),
        cmocka_unit_test(test_tokens),          cmocka_unit_test(test_backoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
