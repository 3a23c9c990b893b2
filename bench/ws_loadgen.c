/* bench/ws_loadgen.c - a lockstep WebSocket load generator (RFC 6455 client, epoll).
 *
 * N connections upgrade to a path, say hello, wait for the answer, then each sends M messages one
 * after another, waiting for each answer before the next (lockstep per connection; all
 * connections in parallel). Prints one line of figures: messages/s over the measured phase (from
 * the moment every connection has its hello answered to the last answer), latency per message
 * (send -> answer) p50/p90/p99/max, and errors.
 *
 * --mode motcua: the answer to hello is the "welcome" frame, the answer to a message is the frame
 * whose top-level "type" is "reply" (or "error", counted as an error); other frames ("typing")
 * are skipped. --mode echo: the answer is the next text frame, which must equal what was sent.
 * --idle: no messages; after every hello is answered, reads the server's VmRSS (--pid) and
 * reports the bytes it grew per open connection.
 *
 * Loopback only (127.0.0.0/8): this is a benchmark, not a load-testing tool for other hosts.
 * Bounded: --timeout seconds for the whole run, --msgs per connection, LAT_MAX latencies,
 * RX_MAX bytes per frame. Single-threaded; no libwebsockets; OpenSSL only for SHA-1/base64. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ws_proto.h"
#include "ws_text.h"

#define CONNS_MAX 60000      /* connections; the loopback ephemeral port range is ~28k */
#define MSGS_MAX 10000000u   /* messages per connection */
#define LAT_MAX (16u << 20)  /* latencies kept, 8 bytes each; sending stops there */
#define RX_MAX (1024 * 1024) /* bytes; one frame or reassembled message from the server */
#define HS_MAX 8192          /* bytes; the server's handshake response */
#define WINDOW_DEFAULT 256   /* connections in connect/handshake/hello at once */
#define FD_HEADROOM 64       /* descriptors beyond the connections: epoll, stdio, files */

enum conn_state { C_IDLE, C_CONNECTING, C_HANDSHAKE, C_HELLO, C_READY, C_BUSY, C_DONE, C_FAILED };
enum mode { MODE_MOTCUA, MODE_ECHO };

struct conn {
    int fd;
    enum conn_state st;
    unsigned idx;          /* connection number, for texts and ids */
    unsigned done;         /* messages answered */
    uint64_t t_sent;       /* ns, when the message in flight was sent */
    char key[32];          /* Sec-WebSocket-Key sent (base64 of 16 bytes) */
    struct ws_buf rx;      /* bytes read, not yet parsed */
    struct ws_buf tx;      /* frame bytes not yet written */
    struct ws_buf frag;    /* a fragmented message being reassembled */
    struct ws_buf last;    /* payload of the frame in flight (echo mode compares) */
    unsigned char frag_op; /* opcode of the fragmented message, 0 when none */
};

struct gen {
    enum mode mode;
    const char *host, *path;
    unsigned port, conns, msgs, window, pid;
    unsigned port2; /* --port2: every second connection goes there (two nodes, one load) */
    double timeout_s, duration_s, settle_s;
    bool idle;
    struct sockaddr_in addr, addr2;
    int ep;
    struct conn *c;
    struct ws_texts texts; /* what the connections send, in turn */
    uint64_t *lat;
    size_t nlat, lat_cap;
    unsigned next_connect, in_setup, ready, finished, failed;
    uint64_t errors, err_connect, err_handshake, err_protocol, err_answer, err_closed;
    uint64_t t0, t_measure, t_end, deadline, stop_sending_at;
    bool measuring;
    uint64_t rng;
};

static uint64_t now_ns(void)
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

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -EINVAL;
    *out = (unsigned)v;
    return 0;
}

static int parse_secs(const char *s, double min, double max, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= min && v <= max))
        return -EINVAL;
    *out = v;
    return 0;
}

static int base64(const unsigned char *in, size_t len, char *out, size_t cap)
{
    if (cap < 4 * ((len + 2) / 3) + 1)
        return -E2BIG;
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return 0;
}

static void conn_fail(struct gen *g, struct conn *c, uint64_t *counter, const char *why)
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
static int frame_queue(struct gen *g, struct conn *c, unsigned op, const unsigned char *p,
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
    if (frame_queue(g, c, 0x1, p, len) != 0)
        return -E2BIG;
    return conn_flush(g, c);
}

static const char hello_json[] = "{\"type\":\"hello\",\"session\":null,\"channel\":\"web\"}";

static int send_message(struct gen *g, struct conn *c)
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
    c->t_sent = now_ns();
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

static void conn_finish(struct gen *g, struct conn *c)
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
        if (bad) { /* counted by conn_fail() */
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
    record_latency(g, now_ns() - c->t_sent);
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
        (g->stop_sending_at && now_ns() >= g->stop_sending_at)) {
        conn_finish(g, c);
        return 0;
    }
    return send_message(g, c) == 0 ? 0 : -EIO;
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
            if (frame_queue(g, c, 0xA, h, (size_t)len) != 0 || conn_flush(g, c) != 0) {
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

static void conn_start(struct gen *g, struct conn *c)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    int one = 1;

    g->in_setup++;
    c->st = C_CONNECTING;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        conn_fail(g, c, &g->err_connect, "socket() failed (descriptor limit?)");
        return;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, (const struct sockaddr *)(conn_port(g, c) == g->port ? &g->addr : &g->addr2),
                sizeof(g->addr)) != 0 &&
        errno != EINPROGRESS) {
        conn_fail(g, c, &g->err_connect, strerror(errno));
        return;
    }
    if (epoll_ctl(g->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        conn_fail(g, c, &g->err_connect, "epoll_ctl failed");
}

static void on_event(struct gen *g, struct conn *c, uint32_t events)
{
    const char *why = "read failed";
    uint64_t *counter = &g->err_protocol;

    if (c->st == C_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof(err);

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
            conn_fail(g, c, &g->err_connect, err ? strerror(err) : "connect failed");
            return;
        }
        if (!(events & (EPOLLOUT | EPOLLIN)))
            return;
        want_write(g, c, false);
        if (send_handshake(g, c) != 0)
            conn_fail(g, c, &g->err_handshake, "cannot send the handshake");
        return;
    }
    if ((events & EPOLLOUT) && c->tx.len) {
        if (conn_flush(g, c) != 0) {
            conn_fail(g, c, &g->err_closed, "write failed");
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
            conn_fail(g, c, &g->err_protocol, "receive buffer full");
            return;
        }
        n = recv(c->fd, c->rx.p + c->rx.len, c->rx.cap - c->rx.len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            conn_fail(g, c, &g->err_closed,
                      n == 0 ? "the server closed the connection" : strerror(errno));
            return;
        }
        c->rx.len += (size_t)n;
        if (c->st == C_HANDSHAKE) {
            int r = parse_handshake(c);

            if (r < 0) {
                conn_fail(g, c, &g->err_handshake, "bad handshake response (not 101, or accept)");
                return;
            }
            if (r == 0)
                continue;
            c->st = C_HELLO;
            if (send_text(g, c, (const unsigned char *)hello_json, sizeof hello_json - 1) != 0) {
                conn_fail(g, c, &g->err_closed, "cannot send hello");
                return;
            }
        }
        if (parse_frames(g, c, &why) != 0) {
            if (strcmp(why, "wrong answer") == 0)
                counter = &g->err_answer;
            else if (strcmp(why, "the server closed the connection") == 0)
                counter = &g->err_closed;
            conn_fail(g, c, counter, why);
            return;
        }
        if (c->st == C_DONE || c->st == C_FAILED)
            return;
    }
}

static int read_rss_kb(unsigned pid, long *kb)
{
    char path[64], line[256];
    FILE *f;
    int rc = -ENOENT;

    snprintf(path, sizeof(path), "/proc/%u/status", pid);
    f = fopen(path, "r");
    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmRSS:", sizeof "VmRSS:" - 1) == 0) {
            char *end;

            errno = 0;
            *kb = strtol(line + sizeof "VmRSS:" - 1, &end, 10);
            rc = errno ? -EINVAL : 0;
            break;
        }
    }
    fclose(f);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted latencies, in ms. */
static double pct_ms(const struct gen *g, double p)
{
    size_t k;

    if (!g->nlat)
        return 0;
    k = (size_t)(p / 100.0 * (double)g->nlat + 0.999999);
    if (k < 1)
        k = 1;
    if (k > g->nlat)
        k = g->nlat;
    return (double)g->lat[k - 1] / 1e6;
}

/* Raises RLIMIT_NOFILE to cover the connections. Returns 0 or -EMFILE (said why). */
static int raise_nofile(unsigned conns)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)conns + FD_HEADROOM;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -EMFILE;
    if (rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max < need) {
        fprintf(stderr,
                "ws_loadgen: %u connections need %lu descriptors; the hard limit is %lu "
                "(raise it: ulimit -Hn, or /etc/security/limits.conf)\n",
                conns, (unsigned long)need, (unsigned long)rl.rlim_max);
        return -EMFILE;
    }
    rl.rlim_cur = need;
    return setrlimit(RLIMIT_NOFILE, &rl) == 0 ? 0 : -EMFILE;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: ws_loadgen [--host 127.0.0.1] --port P [--port2 P2] [--path /ws] [--conns N]\n"
            "                  [--msgs M]\n"
            "                  [--texts FILE] [--timeout S] [--duration S] [--mode motcua|echo]\n"
            "                  [--window W] [--idle --pid PID [--settle S]]\n"
            "Lockstep WebSocket load on a loopback server; prints one line of figures.\n");
}

static int parse_args(struct gen *g, int argc, char **argv, const char **texts)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;

        if (strcmp(a, "--idle") == 0) {
            g->idle = true;
            continue;
        }
        if (!v) {
            usage();
            return -EINVAL;
        }
        i++;
        if (strcmp(a, "--host") == 0)
            g->host = v;
        else if (strcmp(a, "--port") == 0)
            bad = parse_uint(v, 1, 65535, &g->port);
        else if (strcmp(a, "--port2") == 0)
            bad = parse_uint(v, 1, 65535, &g->port2);
        else if (strcmp(a, "--path") == 0)
            g->path = v;
        else if (strcmp(a, "--conns") == 0)
            bad = parse_uint(v, 1, CONNS_MAX, &g->conns);
        else if (strcmp(a, "--msgs") == 0)
            bad = parse_uint(v, 0, MSGS_MAX, &g->msgs);
        else if (strcmp(a, "--window") == 0)
            bad = parse_uint(v, 1, CONNS_MAX, &g->window);
        else if (strcmp(a, "--pid") == 0)
            bad = parse_uint(v, 1, 4194304, &g->pid);
        else if (strcmp(a, "--texts") == 0)
            *texts = v;
        else if (strcmp(a, "--timeout") == 0)
            bad = parse_secs(v, 0.1, 3600, &g->timeout_s);
        else if (strcmp(a, "--duration") == 0)
            bad = parse_secs(v, 0, 3600, &g->duration_s);
        else if (strcmp(a, "--settle") == 0)
            bad = parse_secs(v, 0, 60, &g->settle_s);
        else if (strcmp(a, "--mode") == 0 && strcmp(v, "motcua") == 0)
            g->mode = MODE_MOTCUA;
        else if (strcmp(a, "--mode") == 0 && strcmp(v, "echo") == 0)
            g->mode = MODE_ECHO;
        else
            bad = -EINVAL;
        if (bad) {
            fprintf(stderr, "ws_loadgen: bad %s %s\n", a, v);
            usage();
            return -EINVAL;
        }
    }
    if (!g->port || g->path[0] != '/' || strlen(g->path) > 200 || strlen(g->host) > 64) {
        usage();
        return -EINVAL;
    }
    if (g->idle && !g->pid) {
        fprintf(stderr, "ws_loadgen: --idle needs --pid of the server\n");
        return -EINVAL;
    }
    g->addr.sin_family = AF_INET;
    g->addr.sin_port = htons((uint16_t)g->port);
    g->addr2 = g->addr;
    g->addr2.sin_port = htons((uint16_t)(g->port2 ? g->port2 : g->port));
    if (inet_pton(AF_INET, g->host, &g->addr.sin_addr) != 1 ||
        (ntohl(g->addr.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "ws_loadgen: %s: refused, only loopback IPv4 addresses (127.x.x.x)\n",
                g->host);
        return -EINVAL;
    }
    return 0;
}

/* Runs the event loop until every connection is past phase `until` or the deadline. */
static void run_loop(struct gen *g, bool setup_only)
{
    struct epoll_event evs[256];

    for (;;) {
        uint64_t t = now_ns();
        int n, i, ms;

        while (g->next_connect < g->conns && g->in_setup < g->window)
            conn_start(g, &g->c[g->next_connect++]);
        if (setup_only && g->next_connect == g->conns && g->in_setup == 0)
            return;
        if (!setup_only && g->finished >= g->ready)
            return;
        if (t >= g->deadline)
            return;
        ms = (int)((g->deadline - t) / 1000000u) + 1;
        n = epoll_wait(g->ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), ms > 100 ? 100 : ms);
        if (n < 0 && errno != EINTR)
            return;
        for (i = 0; i < n; i++)
            on_event(g, evs[i].data.ptr, evs[i].events);
    }
}

int main(int argc, char **argv)
{
    struct gen g = {.host = "127.0.0.1",
                    .path = "/ws",
                    .conns = 1,
                    .msgs = 1,
                    .window = WINDOW_DEFAULT,
                    .timeout_s = 60,
                    .settle_s = 1,
                    .ep = -1};
    const char *texts = NULL;
    unsigned i, unanswered = 0, open = 0;
    long rss0 = 0, rss1 = 0;
    uint64_t seed = 0;
    int rc = 2;

    signal(SIGPIPE, SIG_IGN);
    if (parse_args(&g, argc, argv, &texts) != 0)
        return 2;
    if (raise_nofile(g.conns) != 0)
        return 2;
    if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
        seed = now_ns();
    g.rng = seed | 1;
    if (ws_texts_load(&g.texts, texts) != 0)
        goto out;
    g.c = calloc(g.conns, sizeof(*g.c));
    g.ep = epoll_create1(EPOLL_CLOEXEC);
    if (!g.c || g.ep < 0) {
        fprintf(stderr, "ws_loadgen: out of memory or epoll\n");
        goto out;
    }
    for (i = 0; i < g.conns; i++) {
        g.c[i].fd = -1;
        g.c[i].idx = i;
    }
    if (g.idle && read_rss_kb(g.pid, &rss0) != 0) {
        fprintf(stderr, "ws_loadgen: cannot read /proc/%u/status\n", g.pid);
        goto out;
    }
    g.t0 = now_ns();
    g.deadline = g.t0 + (uint64_t)(g.timeout_s * 1e9);
    run_loop(&g, true); /* phase 1: connect, upgrade, hello */
    g.t_measure = now_ns();
    if (g.idle) {
        uint64_t settle_end = g.t_measure + (uint64_t)(g.settle_s * 1e9);

        if (settle_end < g.deadline)
            g.deadline = settle_end; /* keep serving pings while the server settles */
        run_loop(&g, false);
        if (read_rss_kb(g.pid, &rss1) != 0) {
            fprintf(stderr, "ws_loadgen: cannot read /proc/%u/status\n", g.pid);
            goto out;
        }
        for (i = 0; i < g.conns; i++)
            open += g.c[i].st == C_READY;
        printf("idle conns=%u open=%u errors=%llu setup_s=%.2f rss_before_kb=%ld rss_after_kb=%ld "
               "bytes_per_conn=%.0f\n",
               g.conns, open, (unsigned long long)g.errors, (double)(g.t_measure - g.t0) / 1e9,
               rss0, rss1, g.ready ? (double)(rss1 - rss0) * 1024.0 / (double)g.ready : 0.0);
        rc = open == g.conns && g.errors == 0 ? 0 : 1;
        goto out;
    }
    if (g.duration_s > 0)
        g.stop_sending_at = g.t_measure + (uint64_t)(g.duration_s * 1e9);
    g.measuring = true;
    for (i = 0; i < g.conns; i++) { /* phase 2: the lockstep messages */
        struct conn *c = &g.c[i];

        if (c->st != C_READY)
            continue;
        if (g.msgs == 0)
            conn_finish(&g, c);
        else if (send_message(&g, c) != 0)
            conn_fail(&g, c, &g.err_closed, "cannot send");
    }
    run_loop(&g, false);
    g.t_end = now_ns();
    for (i = 0; i < g.conns; i++) {
        if (g.c[i].st == C_BUSY) {
            unanswered++;
            g.errors++;
        }
    }
    qsort(g.lat, g.nlat, sizeof(*g.lat), cmp_u64);
    {
        double secs = (double)(g.t_end - g.t_measure) / 1e9;

        printf("result mode=%s conns=%u ready=%u messages=%zu errors=%llu seconds=%.3f rate=%.0f "
               "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f setup_s=%.2f timeout=%d "
               "err_connect=%llu err_handshake=%llu err_protocol=%llu err_answer=%llu "
               "err_closed=%llu unanswered=%u\n",
               g.mode == MODE_ECHO ? "echo" : "motcua", g.conns, g.ready, g.nlat,
               (unsigned long long)g.errors, secs, secs > 0 ? (double)g.nlat / secs : 0.0,
               pct_ms(&g, 50), pct_ms(&g, 90), pct_ms(&g, 99), pct_ms(&g, 100),
               (double)(g.t_measure - g.t0) / 1e9, unanswered ? 1 : 0,
               (unsigned long long)g.err_connect, (unsigned long long)g.err_handshake,
               (unsigned long long)g.err_protocol, (unsigned long long)g.err_answer,
               (unsigned long long)g.err_closed, unanswered);
    }
    rc = g.errors == 0 && g.ready == g.conns ? 0 : 1;
out:
    if (g.c) {
        for (i = 0; i < g.conns; i++) {
            struct conn *c = &g.c[i];

            if (c->fd >= 0) {
                static const unsigned char bye[2] = {0x03, 0xe8}; /* close 1000 */

                c->tx.len = 0;
                if (frame_queue(&g, c, 0x8, bye, sizeof(bye)) == 0)
                    (void)send(c->fd, c->tx.p, c->tx.len, MSG_NOSIGNAL | MSG_DONTWAIT);
                close(c->fd);
            }
            ws_buf_fini(&c->rx);
            ws_buf_fini(&c->tx);
            ws_buf_fini(&c->frag);
            ws_buf_fini(&c->last);
        }
    }
    ws_texts_free(&g.texts);
    free(g.c);
    free(g.lat);
    if (g.ep >= 0)
        close(g.ep);
    return rc;
}
