/* gateway/officer/officer.h - officer accounts: password hashing (scrypt from
 * OpenSSL 3), session and CSRF tokens, the login back-off rule and the checks
 * on what an administrator types (username, role, password length).
 * Pure functions, no state: safe from any thread. Nothing here logs a
 * password, a hash or a token. */
#ifndef MOTCUA_GATEWAY_OFFICER_H
#define MOTCUA_GATEWAY_OFFICER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"

/* scrypt cost: N = 2^15, r = 8, p = 1 is the parameter set RFC 7914 s. 2 and
 * OWASP's password storage cheat sheet give for interactive logins: 32 MiB
 * of memory (128 * N * r bytes) and about 50-100 ms of one core per hash, so
 * a stolen state database costs an attacker that much per guess, while a
 * login (rare, and behind the back-off) stays well under a second. */
#define OFFICER_SCRYPT_N 32768u
#define OFFICER_SCRYPT_R 8u
#define OFFICER_SCRYPT_P 1u
#define OFFICER_SCRYPT_MAXMEM (64u * 1024 * 1024) /* bytes; >= 128 * N * r * p, with margin */
#define OFFICER_SALT_LEN 16                       /* bytes of RAND_bytes() salt */
#define OFFICER_KEY_LEN 32                        /* bytes of derived key */
#define OFFICER_HASH_MAX 160                      /* bytes with the NUL; "scrypt$N$r$p$salt$hash" */

#define OFFICER_PASSWORD_MIN 10   /* characters (code points); shorter is refused */
#define OFFICER_PASSWORD_MAX 1024 /* bytes; longer is refused (one stdin line, one JSON field) */
#define OFFICER_USERNAME_MAX 64   /* bytes; [a-z0-9._-] */
#define OFFICER_TOKEN_LEN 64      /* hex characters of a 256-bit token, without the NUL */

#define OFFICER_FAIL_WINDOW 900  /* seconds: failed logins counted over 15 minutes */
#define OFFICER_FAIL_FREE 5      /* failures of one username in the window before back-off */
#define OFFICER_FAIL_FREE_IP 20  /* ... of one address: several officers share an office's NAT */
#define OFFICER_BACKOFF_BASE 30  /* seconds locked after the 5th failure, doubling after */
#define OFFICER_BACKOFF_MAX 3600 /* seconds; the doubling stops at one hour */

/* Hashes the password pw (len bytes) with a fresh random salt into out as
 * "scrypt$N$r$p$salt_b64$hash_b64". Returns 0, -EINVAL (pw fails
 * officer_check_password) or -EIO (OpenSSL failed: no randomness, no memory). */
MC_MUST_CHECK int officer_hash_password(const char *pw, size_t len, char out[OFFICER_HASH_MAX]);

/* Whether pw matches the stored hash, compared in constant time. A stored
 * value that does not parse (tampered, truncated, unknown scheme, absurd
 * parameters) never matches. */
bool officer_is_password_ok(const char *pw, size_t len, const char *stored);

/* Returns 0, or -EINVAL with err saying why: fewer than OFFICER_PASSWORD_MIN
 * characters, more than OFFICER_PASSWORD_MAX bytes, not UTF-8, or a control
 * character. */
MC_MUST_CHECK int officer_check_password(const char *pw, size_t len, struct mc_err *err);

/* Usernames: 1..OFFICER_USERNAME_MAX-1 bytes of [a-z0-9._-]. */
bool officer_is_username_valid(const char *s);

/* Roles: "officer" or "admin". */
bool officer_is_role_valid(const char *s);

/* Writes a fresh 256-bit random token as 64 lowercase hex characters + NUL.
 * Returns 0 or -EIO (no randomness). */
MC_MUST_CHECK int officer_new_token(char out[OFFICER_TOKEN_LEN + 1]);

/* Writes SHA-256 of token as 64 hex characters + NUL: what the store keeps,
 * so a copy of the database holds no usable session cookie. */
void officer_token_hash(const char *token, char out[OFFICER_TOKEN_LEN + 1]);

/* Seconds a login stays refused, given the failures counted in the last
 * OFFICER_FAIL_WINDOW seconds, the number of them allowed free
 * (OFFICER_FAIL_FREE or OFFICER_FAIL_FREE_IP) and the seconds since the last
 * of them; 0 when a try is allowed. From the free-th failure on the lock is
 * OFFICER_BACKOFF_BASE seconds, doubling with each further failure, at most
 * OFFICER_BACKOFF_MAX. */
unsigned officer_backoff_seconds(unsigned failures, unsigned free, int64_t since_last);

#endif
