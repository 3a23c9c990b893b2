/* common/mc_json.c - see mc_json.h. The rules are jansson's dump.c with
 * JSON_COMPACT and no other flag: "," and ":" without spaces, object keys
 * in insertion order, strings escaped only for '"', '\\' and bytes below
 * 0x20 (\b \f \n \r \t by name, others \u00XX in upper case hex), other
 * UTF-8 as is; integers as JSON_INTEGER_FORMAT. */
#include "mc_json.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_utf8.h"

#define MC_JSON_MAX ((size_t)1 << 30) /* bytes; a bound for the buffer, never reached */
#define MC_JSON_FIRST 4096            /* bytes allocated first */
#define MC_JSON_SLACK 512             /* unused bytes that are given back */

/* The text being written: grows by doubling, from MC_JSON_FIRST bytes (a
 * reply is 1-4 KB). Appends are inline: most are one byte ('"', ',', ':'). */
struct jbuf {
    char *data;
    size_t len, cap;
};

static int grow(struct jbuf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : MC_JSON_FIRST;
    char *p;

    while (cap - b->len < need + 1) {
        if (cap > MC_JSON_MAX)
            return -ENOMEM;
        cap *= 2;
    }
    p = realloc(b->data, cap);
    if (!p)
        return -ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

static inline int put(struct jbuf *b, const void *p, size_t len)
{
    if (b->cap - b->len < len + 1 && grow(b, len))
        return -ENOMEM;
    memcpy(b->data + b->len, p, len);
    b->len += len;
    return 0;
}

/* Appends s[0..len) as a JSON string, checking its UTF-8 on the way (as
 * jansson does: text that is not UTF-8 is -EINVAL). A NUL is \u0000. */
static int put_string(struct jbuf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0, from = 0, n;
    uint32_t cp;
    char esc[6];

    if (put(b, "\"", sizeof "\"" - 1))
        return -ENOMEM;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x80) {
            /* inline, the sequences of Vietnamese letters: 2 bytes, and 3 bytes
             * whose lead allows any continuation (E1..EC, EE..EF: never an
             * overlong form nor a surrogate); the rest as mc_utf8_decode says */
            if (c >= 0xC2 && c <= 0xDF && len - i >= 2 &&
                ((unsigned char)s[i + 1] & 0xC0) == 0x80) {
                i += 2;
                continue;
            }
            if (((c >= 0xE1 && c <= 0xEC) || c >= 0xEE) && c <= 0xEF && len - i >= 3 &&
                ((unsigned char)s[i + 1] & 0xC0) == 0x80 &&
                ((unsigned char)s[i + 2] & 0xC0) == 0x80) {
                i += 3;
                continue;
            }
            n = mc_utf8_decode(s + i, len - i, &cp);
            if (!n)
                return -EINVAL;
            i += n;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (i > from && put(b, s + from, i - from))
            return -ENOMEM;
        esc[0] = '\\';
        n = 2;
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", sizeof "u00" - 1);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = sizeof esc;
        }
        if (put(b, esc, n))
            return -ENOMEM;
        from = ++i;
    }
    if (i > from && put(b, s + from, i - from))
        return -ENOMEM;
    return put(b, "\"", sizeof "\"" - 1);
}

static int put_value(struct jbuf *b, const json_t *j, unsigned depth)
{
    char num[128];
    size_t n, i;
    json_t *obj;
    void *it;
    int rc;

    switch (json_typeof(j)) {
    case JSON_NULL:
        return put(b, "null", sizeof "null" - 1);
    case JSON_TRUE:
        return put(b, "true", sizeof "true" - 1);
    case JSON_FALSE:
        return put(b, "false", sizeof "false" - 1);
    case JSON_INTEGER:
        rc = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        return rc <= 0 || (size_t)rc >= sizeof num ? -EINVAL : put(b, num, (size_t)rc);
    case JSON_REAL:
        n = json_dumpb(j, num, sizeof num, JSON_ENCODE_ANY | JSON_COMPACT);
        return n == 0 || n >= sizeof num ? -EINVAL : put(b, num, n);
    case JSON_STRING:
        return put_string(b, json_string_value(j), json_string_length(j));
    case JSON_ARRAY:
        if (depth >= MC_JSON_DEPTH_MAX)
            return -E2BIG;
        if (put(b, "[", 1))
            return -ENOMEM;
        n = json_array_size(j);
        for (i = 0; i < n; i++) {
            if (i && put(b, ",", 1))
                return -ENOMEM;
            rc = put_value(b, json_array_get(j, i), depth + 1);
            if (rc)
                return rc;
        }
        return put(b, "]", 1) ? -ENOMEM : 0;
    case JSON_OBJECT:
        if (depth >= MC_JSON_DEPTH_MAX)
            return -E2BIG;
        if (put(b, "{", 1))
            return -ENOMEM;
        /* jansson's iterators take a json_t *; nothing is changed through it */
        obj = (json_t *)(uintptr_t)j;
        for (it = json_object_iter(obj), i = 0; it; it = json_object_iter_next(obj, it), i++) {
            if (i && put(b, ",", 1))
                return -ENOMEM;
            rc = put_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
            if (!rc && put(b, ":", 1))
                rc = -ENOMEM;
            if (!rc)
                rc = put_value(b, json_object_iter_value(it), depth + 1);
            if (rc)
                return rc;
        }
        return put(b, "}", 1) ? -ENOMEM : 0;
    }
    return -EINVAL;
}

char *mc_json_dump(const json_t *j)
{
    struct jbuf b = {NULL, 0, 0};
    int rc;

    if (!json_is_object(j) && !json_is_array(j))
        return NULL;
    rc = put_value(&b, j, 0);
    if (!rc) {
        b.data[b.len] = '\0';                /* put() always leaves room for it */
        if (b.cap - b.len > MC_JSON_SLACK) { /* a state kept in a session: no 4 KB for 140 bytes */
            char *fit = realloc(b.data, b.len + 1);

            if (fit)
                b.data = fit;
        }
        return b.data;
    }
    free(b.data);
    return rc == -E2BIG ? json_dumps(j, JSON_COMPACT) : NULL; /* deep: jansson's walk */
}
