/* gateway/officer/officer.c - see officer.h. */
#include "officer.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_utf8.h"

#define B64_LEN(n) (((n) + 2) / 3 * 4) /* base64 characters of n bytes, padded */
#define SALT_B64 B64_LEN(OFFICER_SALT_LEN)
#define KEY_B64 B64_LEN(OFFICER_KEY_LEN)

/* Stored parameters we accept back: what we write, and room to raise N. */
#define SCRYPT_N_MIN 1024u
#define SCRYPT_N_MAX (1u << 20)
#define SCRYPT_R_MAX 32u
#define SCRYPT_P_MAX 16u

static int derive(const char *pw, size_t len, const unsigned char *salt, uint64_t n, uint64_t r,
                  uint64_t p, unsigned char key[OFFICER_KEY_LEN])
{
    return EVP_PBE_scrypt(pw, len, salt, OFFICER_SALT_LEN, n, r, p,
                          (uint64_t)OFFICER_SCRYPT_MAXMEM * (r > 8 ? r / 8 + 1 : 1) * p, key,
                          OFFICER_KEY_LEN) == 1
               ? 0
               : -EIO;
}

int officer_check_password(const char *pw, size_t len, struct mc_err *err)
{
    size_t i, chars = 0;

    if (len > OFFICER_PASSWORD_MAX) {
        mc_err_set(err, "password: longer than %d bytes", OFFICER_PASSWORD_MAX);
        return -EINVAL;
    }
    if (!mc_utf8_is_valid(pw, len)) {
        mc_err_set(err, "password: not valid UTF-8");
        return -EINVAL;
    }
    for (i = 0; i < len; i++) {
        if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f) {
            mc_err_set(err, "password: contains a control character");
            return -EINVAL;
        }
        if (((unsigned char)pw[i] & 0xc0) != 0x80) /* not a continuation byte: one code point */
            chars++;
    }
    if (chars < OFFICER_PASSWORD_MIN) {
        mc_err_set(err, "password: shorter than %d characters", OFFICER_PASSWORD_MIN);
        return -EINVAL;
    }
    return 0;
}

int officer_hash_password(const char *pw, size_t len, char out[OFFICER_HASH_MAX])
{
    struct mc_err err;
    unsigned char salt[OFFICER_SALT_LEN], key[OFFICER_KEY_LEN];
    unsigned char salt64[SALT_B64 + 1], key64[KEY_B64 + 1];
    int n;

    if (officer_check_password(pw, len, &err))
        return -EINVAL;
    if (RAND_bytes(salt, sizeof(salt)) != 1 ||
        derive(pw, len, salt, OFFICER_SCRYPT_N, OFFICER_SCRYPT_R, OFFICER_SCRYPT_P, key))
        return -EIO;
    EVP_EncodeBlock(salt64, salt, sizeof(salt));
    EVP_EncodeBlock(key64, key, sizeof(key));
    OPENSSL_cleanse(key, sizeof(key));
    n = snprintf(out, OFFICER_HASH_MAX, "scrypt$%u$%u$%u$%s$%s", OFFICER_SCRYPT_N, OFFICER_SCRYPT_R,
                 OFFICER_SCRYPT_P, (const char *)salt64, (const char *)key64);
    return n > 0 && n < OFFICER_HASH_MAX ? 0 : -EIO;
}

/* Parses a decimal field ending at '$' into *v within [min, max]; returns the
 * position after the '$', or NULL. */
static const char *field_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
    char *end;
    unsigned long long x;

    if (*s < '0' || *s > '9')
        return NULL;
    errno = 0;
    x = strtoull(s, &end, 10);
    if (errno || *end != '$' || x < min || x > max)
        return NULL;
    *v = x;
    return end + 1;
}

bool officer_is_password_ok(const char *pw, size_t len, const char *stored)
{
    const char *s;
    uint64_t n, r, p;
    unsigned char salt[SALT_B64], key[OFFICER_KEY_LEN], key64[KEY_B64 + 1];
    bool ok;

    if (!stored || strncmp(stored, "scrypt$", sizeof "scrypt$" - 1) != 0)
        return false;
    s = stored + sizeof "scrypt$" - 1;
    if (!(s = field_u64(s, SCRYPT_N_MIN, SCRYPT_N_MAX, &n)) || (n & (n - 1)) != 0 ||
        !(s = field_u64(s, 1, SCRYPT_R_MAX, &r)) || !(s = field_u64(s, 1, SCRYPT_P_MAX, &p)))
        return false;
    /* salt: exactly SALT_B64 characters then '$'; the key: exactly KEY_B64 */
    if (strlen(s) != SALT_B64 + 1 + KEY_B64 || s[SALT_B64] != '$')
        return false;
    /* EVP_DecodeBlock counts the padding's zero bytes: 16 bytes decode as 18 */
    if (EVP_DecodeBlock(salt, (const unsigned char *)s, SALT_B64) != SALT_B64 / 4 * 3)
        return false;
    if (len > OFFICER_PASSWORD_MAX || derive(pw, len, salt, n, r, p, key))
        return false;
    EVP_EncodeBlock(key64, key, sizeof(key));
    OPENSSL_cleanse(key, sizeof(key));
    ok = CRYPTO_memcmp(key64, s + SALT_B64 + 1, KEY_B64) == 0;
    OPENSSL_cleanse(key64, sizeof(key64));
    return ok;
}

bool officer_is_username_valid(const char *s)
{
    size_t i;

    if (!s || !s[0] || strlen(s) >= OFFICER_USERNAME_MAX)
        return false;
    for (i = 0; s[i]; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
              s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

bool officer_is_role_valid(const char *s)
{
    return s && (strcmp(s, "officer") == 0 || strcmp(s, "admin") == 0);
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

int officer_new_token(char out[OFFICER_TOKEN_LEN + 1])
{
    unsigned char b[OFFICER_TOKEN_LEN / 2];

    if (RAND_bytes(b, sizeof(b)) != 1)
        return -EIO;
    to_hex(b, sizeof(b), out);
    OPENSSL_cleanse(b, sizeof(b));
    return 0;
}

void officer_token_hash(const char *token, char out[OFFICER_TOKEN_LEN + 1])
{
    unsigned char md[SHA256_DIGEST_LENGTH];

    _Static_assert(SHA256_DIGEST_LENGTH * 2 == OFFICER_TOKEN_LEN, "hex of SHA-256 fits");
    SHA256((const unsigned char *)token, strlen(token), md);
    to_hex(md, sizeof(md), out);
}

unsigned officer_backoff_seconds(unsigned failures, unsigned free, int64_t since_last)
{
    unsigned lock = OFFICER_BACKOFF_BASE, i;

    if (failures < free)
        return 0;
    for (i = free; i < failures && lock < OFFICER_BACKOFF_MAX; i++)
        lock *= 2;
    if (lock > OFFICER_BACKOFF_MAX)
        lock = OFFICER_BACKOFF_MAX;
    if (since_last < 0)
        since_last = 0;
    return since_last >= (int64_t)lock ? 0 : lock - (unsigned)since_last;
}
