/* bench/ws_proto.h - the RFC 6455 pieces that bench/ws_echo.c (a server) and bench/ws_loadgen.c
 * (a client) share: a growable byte buffer with a cap, frame headers written and parsed, masking,
 * the HTTP head of the upgrade and the Sec-WebSocket-Accept of a key. One copy, so the two ends
 * of the benchmark cannot drift apart. Single-threaded programs; no global state. OpenSSL only
 * for SHA-1 and base64. */
#ifndef MOTCUA_BENCH_WS_PROTO_H
#define MOTCUA_BENCH_WS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" /* RFC 6455 section 1.3 */
#define WS_ACCEPT_LEN 28 /* base64 of a 20-byte SHA-1, without its NUL */
#define WS_KEY_MAX 64    /* bytes of a Sec-WebSocket-Key we accept */
#define WS_HEAD_MAX 14   /* bytes of a frame header: 2 + 8 (length) + 4 (mask key) */
#define WS_BUF_FIRST 512 /* bytes of a buffer's first allocation */

struct ws_buf {
    unsigned char *p; /* new: ws_buf_fini() */
    size_t len, cap;
};

/* A frame header as read (RFC 6455 section 5.2). */
struct ws_head {
    bool fin;
    unsigned rsv;          /* the three RSV bits, 0 unless an extension was agreed */
    unsigned op;           /* opcode */
    bool masked;           /* the MASK bit: a client frame has it, a server frame must not */
    unsigned char mask[4]; /* the masking key when masked */
    uint64_t len;          /* payload bytes */
    size_t size;           /* header bytes (the payload starts there) */
};

/* Makes room for extra more bytes in b, never beyond max in all. Returns 0, -E2BIG (b
 * unchanged) or -ENOMEM. */
int ws_buf_reserve(struct ws_buf *b, size_t extra, size_t max);

/* Frees what b holds and empties it. */
void ws_buf_fini(struct ws_buf *b);

/* Writes the header of a frame with first byte b0 (FIN and opcode) and len payload bytes into
 * h, with the masking key mask when it is not NULL (a client's frame). Returns its size. */
size_t ws_head_put(unsigned char h[WS_HEAD_MAX], unsigned b0, uint64_t len,
                   const unsigned char *mask);

/* Reads the frame header at the start of d[0..avail). Returns 1 when it is all there (h filled),
 * 0 when more bytes are needed (h->fin, rsv, op and masked are filled once avail >= 2, so a
 * frame can be refused on those before its length arrives). */
int ws_head_parse(const unsigned char *d, size_t avail, struct ws_head *h);

/* dst[i] = src[i] ^ mask[i % 4] for i < len; dst may be src. */
void ws_mask(unsigned char *dst, const unsigned char *src, size_t len, const unsigned char mask[4]);

/* The length of the HTTP head at the start of s[0..len), up to and with its empty line, or 0
 * when it is not complete yet. */
size_t ws_http_head_len(const char *s, size_t len);

/* The value of header name (lower case, with its ':') in the head s[0..head_len), spaces and
 * the CR trimmed, and its length in *vlen; the last such line wins. NULL when absent. */
const char *ws_http_header(const char *s, size_t head_len, const char *name, size_t *vlen);

/* Writes the Sec-WebSocket-Accept for key[0..key_len) (RFC 6455 section 4.2.2) and a NUL into
 * out. Returns 0, -E2BIG for a key longer than WS_KEY_MAX or -EIO. */
int ws_accept(const char *key, size_t key_len, char out[WS_ACCEPT_LEN + 1]);

#endif
