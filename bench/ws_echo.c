/* bench/ws_echo.c - a minimal WebSocket echo server (RFC 6455), one thread, epoll.
 *
 * The machine's ceiling for bench/bench_ws.sh: it upgrades any GET with a Sec-WebSocket-Key,
 * unmasks each client frame and sends it back unmasked with the same FIN bit and opcode, answers
 * pings, and echoes a close. Nothing else: no JSON, no state. Listens on 127.0.0.1 only; --port 0
 * picks a free port, printed on stdout as "port=N". Bounded: FRAME_MAX bytes per frame (close
 * 1009 above), HS_MAX bytes of request headers, --max-conns connections. */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws_proto.h"

#define FRAME_MAX (1024 * 1024)          /* bytes; one client frame */
#define HS_MAX 8192                      /* bytes; the upgrade request */
#define OUT_MAX (64 * (size_t)FRAME_MAX) /* bytes queued to one client */
#define IN_CAP (64 * 1024)               /* bytes; the shared read buffer */
#define TX_KEEP 256         /* bytes; a drained send buffer larger than this is freed */
#define CONNS_DEFAULT 20000 /* open connections at once */
#define FD_HEADROOM 64      /* descriptors beyond the connections */

struct conn {
    int fd;
    bool upgraded;
    bool closing;   /* close frame sent: drop once tx is written */
    bool out_armed; /* EPOLLOUT is in the epoll set */
    struct ws_buf rx, tx;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void conn_free(struct conn *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->rx.p);
    free(c->tx.p);
    free(c);
}

static void want_write(int ep, struct conn *c, bool on)
{
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};

    if (c->out_armed == on)
        return; /* no system call per message */
    c->out_armed = on;
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what tx holds. Returns 0 (the rest waits for EPOLLOUT) or -EIO. */
static int conn_flush(int ep, struct conn *c)
{
    size_t off = 0;

    while (off < c->tx.len) {
        ssize_t n = send(c->fd, c->tx.p + off, c->tx.len - off, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return -EIO;
        off += (size_t)n;
    }
    memmove(c->tx.p, c->tx.p + off, c->tx.len - off);
    c->tx.len -= off;
    if (c->tx.len == 0 && c->tx.cap > TX_KEEP) { /* an idle connection holds little */
        free(c->tx.p);
        c->tx = (struct ws_buf){0};
    }
    want_write(ep, c, c->tx.len > 0);
    return 0;
}

/* Appends one unmasked server frame to out. */
static int frame_put(struct ws_buf *out, unsigned char b0, const unsigned char *p, size_t len)
{
    if (ws_buf_reserve(out, len + WS_HEAD_MAX, OUT_MAX) != 0)
        return -E2BIG;
    out->len += ws_head_put(out->p + out->len, b0, len, NULL);
    memcpy(out->p + out->len, p, len);
    out->len += len;
    return 0;
}

static int close_with(struct conn *c, struct ws_buf *out, unsigned code)
{
    unsigned char b[2] = {(unsigned char)(code >> 8), (unsigned char)code};

    c->closing = true;
    return frame_put(out, 0x88, b, sizeof(b));
}

/* Answers the upgrade request at the start of d[0..len) into out. Returns the bytes of the
 * request (upgraded), 0 (need more) or -1. */
static long handshake(struct conn *c, const unsigned char *d, size_t len, struct ws_buf *out)
{
    const char *s = (const char *)d, *key;
    char acc[WS_ACCEPT_LEN + 1], resp[256];
    size_t head = ws_http_head_len(s, len), kl = 0;
    int n;

    if (!head)
        return len >= HS_MAX ? -1 : 0;
    if (head < 4 || memcmp(s, "GET ", 4) != 0)
        return -1;
    key = ws_http_header(s, head, "sec-websocket-key:", &kl);
    if (!key || kl == 0 || ws_accept(key, kl, acc) != 0)
        return -1;
    n = snprintf(resp, sizeof(resp),
                 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                 acc);
    if (n < 0 || (size_t)n >= sizeof(resp) || ws_buf_reserve(out, (size_t)n, OUT_MAX) != 0)
        return -1;
    memcpy(out->p + out->len, resp, (size_t)n);
    out->len += (size_t)n;
    c->upgraded = true;
    return (long)head;
}

/* Echoes every complete frame of d[0..len) into out (unmasking d in place). Returns the bytes
 * used, or -1 to drop the connection now. */
static long echo_frames(struct conn *c, unsigned char *d, size_t len, struct ws_buf *out)
{
    size_t off = 0;

    while (!c->closing && len - off >= 2) {
        struct ws_head h;
        int whole = ws_head_parse(d + off, len - off, &h);
        unsigned char b0 = d[off], *p;

        if (!h.masked) /* RFC 6455 5.1: a client frame must be masked */
            return close_with(c, out, 1002) == 0 ? (long)off : -1;
        if (!whole)
            break;
        if (h.len > FRAME_MAX)
            return close_with(c, out, 1009) == 0 ? (long)off : -1;
        if (len - off < h.size + h.len)
            break;
        p = d + off + h.size;
        ws_mask(p, p, (size_t)h.len, h.mask);
        off += h.size + (size_t)h.len;
        if (h.op == 0x8) {
            if (frame_put(out, 0x88, p, h.len < 2 ? 0 : 2) != 0) /* echo the code only */
                return -1;
            c->closing = true;
        } else if (h.op == 0x9) {
            if (frame_put(out, 0x8A, p, (size_t)h.len) != 0)
                return -1;
        } else if (h.op == 0xA) {
            continue;
        } else if (h.op <= 0x2) {
            if (frame_put(out, b0, p, (size_t)h.len) != 0)
                return -1;
        } else {
            return close_with(c, out, 1002) == 0 ? (long)off : -1;
        }
    }
    return (long)off;
}

/* Reads once (level-triggered epoll calls again while more waits) into the shared buffer in,
 * answers through the shared buffer out, and keeps per connection only what is left over: an
 * idle connection holds no buffer. Returns 0, or -1 to drop the connection. */
static int on_readable(int ep, struct conn *c, struct ws_buf *in, struct ws_buf *out)
{
    unsigned char *d;
    size_t len;
    long used;
    ssize_t n;

    do
        n = recv(c->fd, in->p, in->cap, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    if (n <= 0)
        return -1;
    if (c->rx.len) { /* a partial frame waits: add to it */
        if (ws_buf_reserve(&c->rx, (size_t)n, (size_t)FRAME_MAX + HS_MAX + WS_HEAD_MAX) != 0)
            return -1;
        memcpy(c->rx.p + c->rx.len, in->p, (size_t)n);
        c->rx.len += (size_t)n;
        d = c->rx.p;
        len = c->rx.len;
    } else {
        d = in->p;
        len = (size_t)n;
    }
    out->len = 0;
    used = 0;
    if (!c->upgraded) {
        used = handshake(c, d, len, out);
        if (used < 0)
            return -1;
    }
    if (c->upgraded) {
        long m = echo_frames(c, d + used, len - (size_t)used, out);

        if (m < 0)
            return -1;
        used += m;
    }
    if ((size_t)used < len && !c->closing) { /* keep the partial frame */
        size_t rest = len - (size_t)used;

        if (d == c->rx.p) {
            memmove(c->rx.p, d + used, rest);
            c->rx.len = rest;
        } else {
            if (ws_buf_reserve(&c->rx, rest, (size_t)FRAME_MAX + HS_MAX + WS_HEAD_MAX) != 0)
                return -1;
            memcpy(c->rx.p, d + used, rest);
            c->rx.len = rest;
        }
    } else if (c->rx.p) {
        free(c->rx.p);
        c->rx = (struct ws_buf){0};
    }
    if (out->len) {
        if (ws_buf_reserve(&c->tx, out->len, OUT_MAX) != 0)
            return -1;
        memcpy(c->tx.p + c->tx.len, out->p, out->len);
        c->tx.len += out->len;
        if (conn_flush(ep, c) != 0)
            return -1;
    }
    if (c->closing && c->tx.len == 0)
        return -1;
    return 0;
}

static int parse_port(const char *s, unsigned *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > 65535)
        return -EINVAL;
    *out = (unsigned)v;
    return 0;
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);
    struct epoll_event ev = {.events = EPOLLIN}, evs[256];
    struct sigaction act;
    struct rlimit rl;
    struct ws_buf in = {0}, out = {0};
    unsigned port = 0, max_conns = CONNS_DEFAULT, open_conns = 0;
    int lfd = -1, ep = -1, one = 1, i, rc = 1;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0 && parse_port(argv[i + 1], &port) == 0)
            continue;
        if (strcmp(argv[i], "--max-conns") == 0 && parse_port(argv[i + 1], &max_conns) == 0 &&
            max_conns > 0)
            continue;
        break;
    }
    if (i != argc) {
        fprintf(stderr, "usage: ws_echo [--port P (0: any free)] [--max-conns N]\n");
        return 2;
    }
    memset(&act, 0, sizeof(act));
    act.sa_handler = on_signal;
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max_conns + FD_HEADROOM) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)max_conns + FD_HEADROOM
                          ? rl.rlim_max
                          : (rlim_t)max_conns + FD_HEADROOM;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            perror("ws_echo: setrlimit");
    }
    if (ws_buf_reserve(&in, IN_CAP, IN_CAP) != 0)
        goto out;
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (lfd < 0 || ep < 0)
        goto out;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 4096) != 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0) {
        perror("ws_echo: listen");
        goto out;
    }
    ev.data.ptr = NULL; /* the listener */
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0)
        goto out;
    printf("port=%u\n", (unsigned)ntohs(sa.sin_port));
    fflush(stdout);
    while (!stop) {
        int n = epoll_wait(ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), 500);

        if (n < 0 && errno != EINTR)
            goto out;
        for (i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;

            if (!c) { /* accept all that wait */
                for (;;) {
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    struct epoll_event cev = {.events = EPOLLIN};

                    if (fd < 0)
                        break;
                    c = open_conns < max_conns ? calloc(1, sizeof(*c)) : NULL;
                    if (!c) {
                        close(fd);
                        continue;
                    }
                    c->fd = fd;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    cev.data.ptr = c;
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) != 0) {
                        conn_free(c);
                        continue;
                    }
                    open_conns++;
                }
                continue;
            }
            if ((evs[i].events & EPOLLOUT) && conn_flush(ep, c) != 0) {
                conn_free(c);
                open_conns--;
                continue;
            }
            if (c->closing && c->tx.len == 0) {
                conn_free(c);
                open_conns--;
                continue;
            }
            if ((evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
                on_readable(ep, c, &in, &out) != 0) {
                conn_free(c);
                open_conns--;
            }
        }
    }
    rc = 0;
out:
    if (lfd >= 0)
        close(lfd);
    if (ep >= 0)
        close(ep);
    free(in.p);
    free(out.p);
    return rc; /* open connections end with the process */
}
