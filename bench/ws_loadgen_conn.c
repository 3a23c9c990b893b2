/* bench/ws_loadgen_conn.c - one connection of the load generator (ws_loadgen.c), from its
 * connect() to its last answer: the upgrade request and the check of its 101 response, hello,
 * the lockstep messages, the masked frames written (pings answered) and the server's frames read
 * and reassembled, each answer checked and its latency recorded, a failure counted once.
 * Driven by ws_loadgen.c's epoll loop (loadgen_conn_start, loadgen_on_event). Split from
 * ws_loadgen.c. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ws_loadgen_conn.h"
#include "ws_proto.h"
#include "ws_text.h"

#define LAT_MAX (16u << 20)  /* latencies kept, 8 bytes each; sending stops there */
#define RX_MAX (1024 * 1024) /* bytes; one frame or reassembled message from the server */
#define HS_MAX 8192          /* bytes; the server's handshake response */

uint64_t loadgen_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: masking keys. RFC 6455 asks for unpredictable keys to protect intermediaries;
 * on loopback against our own servers a seeded PRNG is enough and keeps the cost off the path. */
static uint32_t rnd32(struct gen *g)
{
    g->rng ^= g->rng >> 12;
    g->rng ^= g->rng << 25;
    g->rng ^= g->rng >> 27;
    return (uint32_t)((g->rng * 2685821657736338717u) >> 32);
}

static int base64(const unsigned char *in, size_t len, char *out, size_t cap)
{
    if (cap < 4 * ((len + 2) / 3) + 1)
        return -E2BIG;
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return 0;
}

void loadgen_conn_fail(struct gen *g, struct conn *c, uint64_t *counter, const char *why)
{
    if (c->st == C_FAILED || c->st == C_DONE)
        return;
    if (g->failed < 3)
        fprintf(stderr, "ws_loadgen: connection %u: %s\n", c->idx, why);
    if (c->st == C_CONNECTING || c->st == C_HANDSHAKE || c->st == C_HELLO)
        g->in_setup--;
    else
        g->finished++; /* it had counted as ready */
    if (c->st == C_BUSY)
        g->errors++; /* the message in flight got no answer */
    (*counter)++;
    g->errors++;
    g->failed++;
    c->st = C_FAILED;
    if (c->fd >= 0)
        close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
    ws_buf_fini(&c->rx);
    ws_buf_fini(&c->tx);
    ws_buf_fini(&c->frag);
    ws_buf_fini(&c->last);
}

static void want_write(struct gen *g, struct conn *c, bool on)
{
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};

    epoll_ctl(g->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what tx holds; arms EPOLLOUT for the rest. Returns 0, or -EIO (connection failed). */
static int conn_flush(struct gen *g, struct conn *c)
{
    while (c->tx.len) {
        ssize_t n = send(c->fd, c->tx.p, c->tx.len, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                want_write(g, c, true);
                return 0;
            }
            if (errno == EINTR)
                continue;
            return -EIO;
        }
        memmove(c->tx.p, c->tx.p + n, c->tx.len - (size_t)n);
        c->tx.len -= (size_t)n;
    }
    return 0;
}

/* Queues one masked client frame (FIN set) with the given opcode and payload. */
int loadgen_frame_queue(struct gen *g, struct conn *c, unsigned op, const unsigned char *p,
                        size_t len)
{
    uint32_t key = rnd32(g);
    unsigned char mk[4] = {(unsigned char)(key >> 24), (unsigned char)(key >> 16),
                           (unsigned char)(key >> 8), (unsigned char)key};

    if (ws_buf_reserve(&c->tx, WS_HEAD_MAX + len, RX_MAX) != 0)
        return -E2BIG;
    c->tx.len += ws_head_put(c->tx.p + c->tx.len, 0x80 | op, len, mk);
    ws_mask(c->tx.p + c->tx.len, p, len, mk);
    c->tx.len += len;
    return 0;
}

/* Sends a text frame and remembers its payload for the echo comparison. */
static int send_text(struct gen *g, struct conn *c, const unsigned char *p, size_t len)
{
    c->last.len = 0;
    if (ws_buf_reserve(&c->last, len, RX_MAX) != 0)
        return -E2BIG;
    memcpy(c->last.p, p, len);
    c->last.len = len;
    if (loadgen_frame_queue(g, c, 0x1, p, len) != 0)
        return -E2BIG;
    return conn_flush(g, c);
}

static const char hello_json[] = "{\"type\":\"hello\",\"session\":null,\"channel\":\"web\"}";

int loadgen_send_message(struct gen *g, struct conn *c)
{
    const struct ws_text *t = &g->texts.t[((size_t)c->idx * 7 + c->done) % g->texts.n];
    char id[24];
    struct ws_buf m = {0};
    int n = snprintf(id, sizeof(id), "m%u", c->done + 1), rc = -ENOMEM;

    if (n < 0 || (size_t)n >= sizeof(id))
        return -E2BIG;
    if (ws_buf_reserve(&m, t->len + (size_t)n + 64, RX_MAX) != 0)
        goto out;
#define PUT(s, l) (memcpy(m.p + m.len, (s), (l)), m.len += (l))
    PUT("{\"type\":\"message\",\"text\":\"", sizeof "{\"type\":\"message\",\"text\":\"" - 1);
    PUT(t->json, t->len);
    PUT("\",\"id\":\"", sizeof "\",\"id\":\"" - 1);
    PUT(id, (size_t)n);
    PUT("\"}", sizeof "\"}" - 1);
#undef PUT
    c->st = C_BUSY;
    c->t_sent = loadgen_now_ns();
    rc = send_text(g, c, m.p, m.len);
out:
    ws_buf_fini(&m);
    return rc;
}

static void record_latency(struct gen *g, uint64_t ns)
{
    if (g->nlat == g->lat_cap) {
        size_t cap = g->lat_cap ? g->lat_cap * 2 : 65536;
        uint64_t *p;

        if (cap > LAT_MAX)
            cap = LAT_MAX;
        if (cap == g->lat_cap)
            return; /* full: the caller stops sending */
        p = realloc(g->lat, cap * sizeof(*p));
        if (!p)
            return;
        g->lat = p;
        g->lat_cap = cap;
    }
    g->lat[g->nlat++] = ns;
}

void loadgen_conn_finish(struct gen *g, struct conn *c)
{
    c->st = C_DONE;
    g->finished++;
}

/* One complete message from the server. Returns 0, or -EPROTO (the connection failed). */
static int on_message(struct gen *g, struct conn *c, const unsigned char *p, size_t len)
{
    char type[32], reply_to[32], want[24];
    bool is_echo = g->mode == MODE_ECHO;
    bool answered = false, bad = false;

    if (is_echo) {
        answered = true;
        bad = len != c->last.len || memcmp(p, c->last.p, len) != 0;
    } else if (!ws_json_get_string((const char *)p, len, "type", type, sizeof(type))) {
        bad = answered = true;
    } else if (c->st == C_HELLO) {
        answered = strcmp(type, "welcome") == 0 || strcmp(type, "error") == 0;
        bad = strcmp(type, "error") == 0;
    } else {
        answered = strcmp(type, "reply") == 0 || strcmp(type, "error") == 0;
        bad = strcmp(type, "error") == 0;
        if (answered && !bad) {
            snprintf(want, sizeof(want), "m%u", c->done + 1);
            bad =
                !ws_json_get_string((const char *)p, len, "reply_to", reply_to, sizeof(reply_to)) ||
                strcmp(reply_to, want) != 0;
        }
    }
    if (c->st == C_HELLO) {
        if (!answered)
            return 0;
        if (bad) { /* counted by loadgen_conn_fail() */
            fprintf(stderr, "ws_loadgen: connection %u: wrong answer to hello: %.*s\n", c->idx,
                    (int)(len > 300 ? 300 : len), (const char *)p);
            return -EPROTO;
        }
        c->st = C_READY;
        g->in_setup--;
        g->ready++;
        return 0;
    }
    if (c->st != C_BUSY) {
        if (is_echo) { /* an echo server sends nothing unasked */
            g->err_answer++;
            g->errors++;
        }
        return 0; /* motcua: e.g. a late "typing" frame */
    }
    if (!answered)
        return 0;
    record_latency(g, loadgen_now_ns() - c->t_sent);
    if (bad) {
        if (g->err_answer < 3)
            fprintf(stderr, "ws_loadgen: connection %u, message %u: wrong answer: %.*s\n", c->idx,
                    c->done + 1, (int)(len > 300 ? 300 : len), (const char *)p);
        g->err_answer++;
        g->errors++;
    }
    c->done++;
    c->st = C_READY;
    if (c->done >= g->msgs || g->nlat >= LAT_MAX ||
        (g->stop_sending_at && loadgen_now_ns() >= g->stop_sending_at)) {
        loadgen_conn_finish(g, c);
        return 0;
    }
    return loadgen_send_message(g, c) == 0 ? 0 : -EIO;
}

/* Parses the frames in rx. Returns 0, or a negative errno (the connection failed; why in *why). */
static int parse_frames(struct gen *g, struct conn *c, const char **why)
{
    size_t off = 0;
    int rc = 0;

    while (c->rx.len - off >= 2) {
        const unsigned char *h = c->rx.p + off;
        size_t avail = c->rx.len - off;
        struct ws_head fh;
        int whole = ws_head_parse(h, avail, &fh);
        uint64_t len = fh.len;
        unsigned op = fh.op;
        bool fin = fh.fin;

        if (fh.rsv || fh.masked) {
            *why = "frame with RSV bits or a mask from the server";
            return -EPROTO;
        }
        if (!whole)
            break;
        if (len > RX_MAX - fh.size) {
            *why = "frame larger than RX_MAX";
            return -E2BIG;
        }
        if (avail < fh.size + len)
            break;
        h += fh.size;
        off += fh.size + (size_t)len;
        if (op == 0x9) { /* ping: answer with a pong carrying the same data */
            if (loadgen_frame_queue(g, c, 0xA, h, (size_t)len) != 0 || conn_flush(g, c) != 0) {
                *why = "cannot answer a ping";
                return -EIO;
            }
        } else if (op == 0xA) {
            continue;
        } else if (op == 0x8) {
            *why = "the server closed the connection";
            return -ECONNRESET;
        } else if (op == 0x1 || op == 0x2 || op == 0x0) {
            if (op != 0 && c->frag_op) {
                *why = "new message inside a fragmented one";
                return -EPROTO;
            }
            if (op == 0 && !c->frag_op) {
                *why = "continuation without a first fragment";
                return -EPROTO;
            }
            if (fin && op != 0) {
                rc = on_message(g, c, h, (size_t)len);
            } else {
                if (op != 0)
                    c->frag_op = (unsigned char)op;
                if (ws_buf_reserve(&c->frag, (size_t)len, RX_MAX) != 0) {
                    *why = "fragmented message larger than RX_MAX";
                    return -E2BIG;
                }
                memcpy(c->frag.p + c->frag.len, h, (size_t)len);
                c->frag.len += (size_t)len;
                if (fin) {
                    rc = on_message(g, c, c->frag.p, c->frag.len);
                    c->frag.len = 0;
                    c->frag_op = 0;
                }
            }
            if (rc != 0) {
                *why = rc == -EPROTO ? "wrong answer" : "cannot send";
                return rc;
            }
        } else {
            *why = "unknown opcode";
            return -EPROTO;
        }
    }
    memmove(c->rx.p, c->rx.p + off, c->rx.len - off);
    c->rx.len -= off;
    return 0;
}

/* The 101 response: status, then Sec-WebSocket-Accept. Returns 1 when complete and right, 0 when
 * more bytes are needed, -EPROTO when wrong. */
static int parse_handshake(struct conn *c)
{
    const char *s = (const char *)c->rx.p, *v;
    char want[WS_ACCEPT_LEN + 1];
    size_t hlen = ws_http_head_len(s, c->rx.len), vlen = 0;

    if (!hlen)
        return c->rx.len >= HS_MAX ? -EPROTO : 0;
    if (hlen < sizeof "HTTP/1.1 101" - 1 || memcmp(s, "HTTP/1.1 101", sizeof "HTTP/1.1 101" - 1))
        return -EPROTO;
    if (ws_accept(c->key, strlen(c->key), want) != 0)
        return -EPROTO;
    v = ws_http_header(s, hlen, "sec-websocket-accept:", &vlen);
    if (!v || vlen != strlen(want) || memcmp(v, want, vlen) != 0)
        return -EPROTO;
    memmove(c->rx.p, c->rx.p + hlen, c->rx.len - hlen);
    c->rx.len -= hlen;
    return 1;
}

/* The port of connection c: with --port2, odd connections go to the second
 * server, so two nodes share one load half and half (bench-ws, docs/performance.md). */
static unsigned conn_port(const struct gen *g, const struct conn *c)
{
    return g->port2 && c->idx % 2 ? g->port2 : g->port;
}

static int send_handshake(struct gen *g, struct conn *c)
{
    unsigned char nonce[16];
    char req[512];
    size_t i;
    int n;

    for (i = 0; i < sizeof(nonce); i += 4) {
        uint32_t r = rnd32(g);

        memcpy(nonce + i, &r, 4);
    }
    if (base64(nonce, sizeof(nonce), c->key, sizeof(c->key)) != 0)
        return -E2BIG;
    n = snprintf(req, sizeof(req),
                 "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                 g->path, g->host, conn_port(g, c), c->key);
    if (n < 0 || (size_t)n >= sizeof(req) || ws_buf_reserve(&c->tx, (size_t)n, RX_MAX) != 0)
        return -E2BIG;
    memcpy(c->tx.p + c->tx.len, req, (size_t)n);
    c->tx.len += (size_t)n;
    c->st = C_HANDSHAKE;
    return conn_flush(g, c);
}

void loadgen_conn_start(struct gen *g, struct conn *c)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    int one = 1;

    g->in_setup++;
    c->st = C_CONNECTING;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        loadgen_conn_fail(g, c, &g->err_connect, "socket() failed (descriptor limit?)");
        return;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, (const struct sockaddr *)(conn_port(g, c) == g->port ? &g->addr : &g->addr2),
                sizeof(g->addr)) != 0 &&
        errno != EINPROGRESS) {
        loadgen_conn_fail(g, c, &g->err_connect, strerror(errno));
        return;
    }
    if (epoll_ctl(g->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        loadgen_conn_fail(g, c, &g->err_connect, "epoll_ctl failed");
}

void loadgen_on_event(struct gen *g, struct conn *c, uint32_t events)
{
    const char *why = "read failed";
    uint64_t *counter = &g->err_protocol;

    if (c->st == C_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof(err);

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
            loadgen_conn_fail(g, c, &g->err_connect, err ? strerror(err) : "connect failed");
            return;
        }
        if (!(events & (EPOLLOUT | EPOLLIN)))
            return;
        want_write(g, c, false);
        if (send_handshake(g, c) != 0)
            loadgen_conn_fail(g, c, &g->err_handshake, "cannot send the handshake");
        return;
    }
    if ((events & EPOLLOUT) && c->tx.len) {
        if (conn_flush(g, c) != 0) {
            loadgen_conn_fail(g, c, &g->err_closed, "write failed");
            return;
        }
        if (!c->tx.len)
            want_write(g, c, false);
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return;
    for (;;) {
        ssize_t n;

        if (ws_buf_reserve(&c->rx, 4096, RX_MAX + 4096 + 16) != 0) {
            loadgen_conn_fail(g, c, &g->err_protocol, "receive buffer full");
            return;
        }
        n = recv(c->fd, c->rx.p + c->rx.len, c->rx.cap - c->rx.len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            loadgen_conn_fail(g, c, &g->err_closed,
                              n == 0 ? "the server closed the connection" : strerror(errno));
            return;
        }
        c->rx.len += (size_t)n;
        if (c->st == C_HANDSHAKE) {
            int r = parse_handshake(c);

            if (r < 0) {
                loadgen_conn_fail(g, c, &g->err_handshake,
                                  "bad handshake response (not 101, or accept)");
                return;
            }
            if (r == 0)
                continue;
            c->st = C_HELLO;
            if (send_text(g, c, (const unsigned char *)hello_json, sizeof hello_json - 1) != 0) {
                loadgen_conn_fail(g, c, &g->err_closed, "cannot send hello");
                return;
            }
        }
        if (parse_frames(g, c, &why) != 0) {
            if (strcmp(why, "wrong answer") == 0)
                counter = &g->err_answer;
            else if (strcmp(why, "the server closed the connection") == 0)
                counter = &g->err_closed;
            loadgen_conn_fail(g, c, counter, why);
            return;
        }
        if (c->st == C_DONE || c->st == C_FAILED)
            return;
    }
}
