/* bench/ws_proto.c - see ws_proto.h. */
#include "ws_proto.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int ws_buf_reserve(struct ws_buf *b, size_t extra, size_t max)
{
    size_t cap;
    unsigned char *p;

    if (extra > max - b->len)
        return -E2BIG;
    if (b->len + extra <= b->cap)
        return 0;
    cap = b->cap ? b->cap : WS_BUF_FIRST;
    while (cap < b->len + extra)
        cap *= 2;
    if (cap > max)
        cap = max;
    p = realloc(b->p, cap);
    if (!p)
        return -ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

void ws_buf_fini(struct ws_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

size_t ws_head_put(unsigned char h[WS_HEAD_MAX], unsigned b0, uint64_t len,
                   const unsigned char *mask)
{
    unsigned char m = mask ? 0x80 : 0;
    size_t n = 2, i;

    h[0] = (unsigned char)b0;
    if (len < 126) {
        h[1] = (unsigned char)(m | len);
    } else if (len <= 0xffff) {
        h[1] = m | 126;
        h[2] = (unsigned char)(len >> 8);
        h[3] = (unsigned char)len;
        n = 4;
    } else {
        h[1] = m | 127;
        for (i = 0; i < 8; i++)
            h[2 + i] = (unsigned char)(len >> (56 - 8 * i));
        n = 10;
    }
    if (mask) {
        memcpy(h + n, mask, 4);
        n += 4;
    }
    return n;
}

int ws_head_parse(const unsigned char *d, size_t avail, struct ws_head *h)
{
    size_t i;

    if (avail < 2)
        return 0;
    h->fin = (d[0] & 0x80) != 0;
    h->rsv = (d[0] >> 4) & 0x7;
    h->op = d[0] & 0x0f;
    h->masked = (d[1] & 0x80) != 0;
    h->len = d[1] & 0x7f;
    h->size = 2;
    if (h->len == 126) {
        if (avail < 4)
            return 0;
        h->len = ((uint64_t)d[2] << 8) | d[3];
        h->size = 4;
    } else if (h->len == 127) {
        if (avail < 10)
            return 0;
        for (h->len = 0, i = 0; i < 8; i++)
            h->len = (h->len << 8) | d[2 + i];
        h->size = 10;
    }
    if (h->masked) {
        if (avail < h->size + 4)
            return 0;
        memcpy(h->mask, d + h->size, 4);
        h->size += 4;
    }
    return 1;
}

void ws_mask(unsigned char *dst, const unsigned char *src, size_t len, const unsigned char mask[4])
{
    size_t i;

    for (i = 0; i < len; i++)
        dst[i] = src[i] ^ mask[i & 3];
}

size_t ws_http_head_len(const char *s, size_t len)
{
    size_t i;

    for (i = 3; i < len; i++)
        if (memcmp(s + i - 3, "\r\n\r\n", 4) == 0)
            return i + 1;
    return 0;
}

const char *ws_http_header(const char *s, size_t head_len, const char *name, size_t *vlen)
{
    const char *line, *eoh = s + head_len, *v = NULL, *e = NULL;
    size_t nl_len = strlen(name);

    for (line = s; line < eoh;) {
        const char *nl = memchr(line, '\n', (size_t)(eoh - line));

        if (!nl)
            break;
        if ((size_t)(nl - line) > nl_len && strncasecmp(line, name, nl_len) == 0) {
            v = line + nl_len;
            e = nl;
            while (v < e && *v == ' ')
                v++;
            while (e > v && (e[-1] == '\r' || e[-1] == ' '))
                e--;
        }
        line = nl + 1;
    }
    if (v)
        *vlen = (size_t)(e - v);
    return v;
}

int ws_accept(const char *key, size_t key_len, char out[WS_ACCEPT_LEN + 1])
{
    char in[WS_KEY_MAX + sizeof WS_GUID];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;

    if (key_len > WS_KEY_MAX)
        return -E2BIG;
    memcpy(in, key, key_len);
    memcpy(in + key_len, WS_GUID, sizeof WS_GUID - 1);
    if (!EVP_Digest(in, key_len + sizeof WS_GUID - 1, md, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
        return -EIO;
    EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen); /* 28 characters and a NUL */
    return 0;
}
