/* bench/lat_relay.c - a TCP relay that adds network latency, for bench/bench_latency.sh.
 *
 * It listens on 127.0.0.1 (--port 0: a free port, printed on stdout as "port=N"), connects each
 * accepted connection to 127.0.0.1:--to (the benchmark's PostgreSQL) and forwards every chunk it
 * reads, in either direction, --delay-us microseconds after reading it: a round trip through the
 * relay costs 2 x the delay more than one without it. Order is kept (a FIFO of chunks per
 * direction; every chunk waits the same delay). The delay is applied per chunk read, not per
 * packet: a message larger than one read is delayed once per read, which at PostgreSQL's
 * message sizes (well under CHUNK_MAX) is once. `tc netem` would do this in the kernel, but
 * needs privileges a container lacks and would slow every test on the machine; this touches
 * only the connections a benchmark points at it.
 *
 * One thread, epoll, level-triggered; a timerfd set to the earliest due chunk wakes it with
 * microsecond precision (epoll_wait's millisecond timeout alone would round a 0.5 ms delay up
 * to 1 ms or more). At exit it prints how late the chunks left against their due time. Bounded:
 * CHUNKS x CHUNK_MAX bytes queued per direction (a full queue stops reading its source, so TCP
 * pushes back), --max-conns pairs. The connection to the target is a blocking connect on loopback
 * (immediate), then non-blocking. Exits 0 on SIGTERM or SIGINT; at exit prints "relay conns=N
 * bytes_up=N bytes_down=N chunks=N late_us_avg=N late_us_max=N" on stdout. */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_MAX 16384      /* bytes; one read */
#define CHUNKS 16            /* chunks queued per direction: 256 KiB */
#define CONNS_DEFAULT 256    /* relayed connections at once */
#define DELAY_MAX_US 1000000 /* one second each way at most */
#define WAIT_MAX_MS 100      /* epoll_wait's longest sleep: SIGTERM is seen within it */

struct chunk {
    uint64_t due_us; /* monotonic time at which it may be written */
    size_t len, off; /* bytes in data; bytes of them already written */
    char data[CHUNK_MAX];
};

/* one direction: read from src, queued, written to dst after the delay */
struct dir {
    struct chunk q[CHUNKS];
    unsigned head, count;
    bool eof;          /* src said EOF: shut dst's write side once the queue drains */
    bool shut;         /* that shutdown is done */
    bool blocked;      /* the last write to dst would block: wait for EPOLLOUT */
    bool head_counted; /* the head chunk's lateness is counted */
};

struct end {
    struct pair *p;
    int side; /* 0: the client side, 1: the target side */
};

/* dir[0]: client -> target, dir[1]: target -> client */
struct pair {
    int fd[2];
    uint32_t armed[2]; /* the events in the epoll set for fd[i] */
    struct end end[2];
    struct dir dir[2];
    struct pair *next;
};

static volatile sig_atomic_t stop;
static uint64_t delay_us;
static unsigned long long n_conns, n_chunks, n_bytes[2];
static unsigned long long late_sum_us, late_max_us, n_late; /* first write after due */

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

static void pair_free(struct pair *p)
{
    if (!p)
        return;
    for (int i = 0; i < 2; i++)
        if (p->fd[i] >= 0)
            close(p->fd[i]); /* also removes it from the epoll set */
    free(p);
}

/* reads what src has into the direction's queue, stamping each chunk's due time */
static int dir_read(struct dir *d, int src)
{
    while (d->count < CHUNKS && !d->eof) {
        struct chunk *c = &d->q[(d->head + d->count) % CHUNKS];
        ssize_t n = read(src, c->data, sizeof c->data);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
        if (n == 0) {
            d->eof = true;
            return 0;
        }
        c->len = (size_t)n;
        c->off = 0;
        c->due_us = now_us() + delay_us;
        d->count++;
        n_chunks++;
    }
    return 0;
}

/* writes the queue's due chunks to dst, in order; *next_due gets the earliest one not yet due */
static int dir_write(struct dir *d, int dst, uint64_t now, uint64_t *next_due,
                     unsigned long long *bytes)
{
    d->blocked = false;
    while (d->count > 0) {
        struct chunk *c = &d->q[d->head];
        if (c->due_us > now) {
            if (c->due_us < *next_due)
                *next_due = c->due_us;
            return 0;
        }
        if (c->off == 0 && !d->head_counted) { /* its first try: how late it is */
            unsigned long long late = now - c->due_us;
            late_sum_us += late;
            late_max_us = late > late_max_us ? late : late_max_us;
            n_late++;
            d->head_counted = true;
        }
        ssize_t n = send(dst, c->data + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                d->blocked = true;
                return 0;
            }
            return -errno;
        }
        c->off += (size_t)n;
        *bytes += (unsigned long long)n;
        if (c->off == c->len) {
            d->head_counted = false;
            d->head = (d->head + 1) % CHUNKS;
            d->count--;
        }
    }
    if (d->eof && !d->shut) {
        shutdown(dst, SHUT_WR);
        d->shut = true;
    }
    return 0;
}

/* sets fd[i]'s epoll events from its two directions' state */
static int pair_arm(int ep, struct pair *p)
{
    for (int i = 0; i < 2; i++) {
        const struct dir *in = &p->dir[i], *out = &p->dir[1 - i]; /* fd[i] reads dir[i] */
        uint32_t ev = 0;
        if (!in->eof && in->count < CHUNKS)
            ev |= EPOLLIN;
        if (out->blocked)
            ev |= EPOLLOUT;
        if (ev == p->armed[i])
            continue;
        struct epoll_event e = {.events = ev, .data.ptr = &p->end[i]};
        if (epoll_ctl(ep, EPOLL_CTL_MOD, p->fd[i], &e) < 0)
            return -errno;
        p->armed[i] = ev;
    }
    return 0;
}

static bool pair_is_done(const struct pair *p)
{
    return p->dir[0].shut && p->dir[1].shut;
}

static struct pair *pair_open(int ep, int lfd, uint16_t to)
{
    struct pair *p = NULL;
    int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0)
        return NULL;
    p = calloc(1, sizeof(*p));
    if (!p)
        goto fail;
    p->fd[0] = cfd;
    cfd = -1;
    p->fd[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->fd[1] < 0)
        goto fail;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(to)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(p->fd[1], (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "lat_relay: connect 127.0.0.1:%u: %s\n", to, strerror(errno));
        goto fail;
    }
    int one = 1;
    for (int i = 0; i < 2; i++) {
        /* no Nagle: the relay's delay is the only one wanted */
        if (setsockopt(p->fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
            goto fail;
        int fl = fcntl(p->fd[i], F_GETFL);
        if (fl < 0 || fcntl(p->fd[i], F_SETFL, fl | O_NONBLOCK) < 0)
            goto fail;
        p->end[i] = (struct end){.p = p, .side = i};
        p->armed[i] = EPOLLIN;
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = &p->end[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, p->fd[i], &e) < 0)
            goto fail;
    }
    n_conns++;
    return p;
fail:
    if (cfd >= 0)
        close(cfd);
    pair_free(p);
    return NULL;
}

int main(int argc, char **argv)
{
    unsigned long port = 0, to = 0, delay = 0, max_conns = CONNS_DEFAULT, open_conns = 0;
    bool have_to = false;
    int lfd = -1, ep = -1, tfd = -1, rc = 1;
    struct pair *pairs = NULL;
    static struct end listener = {.p = NULL, .side = -1}, timer = {.p = NULL, .side = -2};

    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = !v;
        if (v && !strcmp(argv[i], "--port"))
            bad = parse_num(v, 65535, &port) < 0;
        else if (v && !strcmp(argv[i], "--to")) {
            bad = parse_num(v, 65535, &to) < 0 || to == 0;
            have_to = true;
        } else if (v && !strcmp(argv[i], "--delay-us"))
            bad = parse_num(v, DELAY_MAX_US, &delay) < 0;
        else if (v && !strcmp(argv[i], "--max-conns"))
            bad = parse_num(v, 65536, &max_conns) < 0 || max_conns == 0;
        else
            bad = 1;
        if (bad) {
            fprintf(stderr,
                    "usage: lat_relay --to PORT [--port PORT] [--delay-us US (<= %d)] "
                    "[--max-conns N]\n",
                    DELAY_MAX_US);
            return 2;
        }
        i++;
    }
    if (!have_to) {
        fprintf(stderr, "lat_relay: --to PORT is required\n");
        return 2;
    }
    delay_us = delay;

    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: epoll_wait returns */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
        goto out;
    signal(SIGPIPE, SIG_IGN);

    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        goto out;
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 128) < 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
        perror("lat_relay: listen");
        goto out;
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event le = {.events = EPOLLIN, .data.ptr = &listener};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &le) < 0)
        goto out;
    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct epoll_event te = {.events = EPOLLIN, .data.ptr = &timer};
    if (tfd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &te) < 0)
        goto out;
    printf("port=%u to=%lu delay_us=%lu\n", ntohs(a.sin_port), to, delay);
    fflush(stdout);

    struct epoll_event evs[64];
    uint64_t next_due = UINT64_MAX, armed_due = UINT64_MAX;
    while (!stop) {
        int wait_ms = WAIT_MAX_MS;
        if (next_due != UINT64_MAX && next_due <= now_us())
            wait_ms = 0;
        else if (next_due != armed_due) { /* the timer fires at the earliest due chunk */
            struct itimerspec its = {0};
            if (next_due != UINT64_MAX) {
                its.it_value.tv_sec = (time_t)(next_due / 1000000u);
                its.it_value.tv_nsec = (long)(next_due % 1000000u) * 1000;
            }
            if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
                perror("lat_relay: timerfd_settime");
                goto out;
            }
            armed_due = next_due;
        }
        int n = epoll_wait(ep, evs, (int)(sizeof evs / sizeof evs[0]), wait_ms);
        if (n < 0 && errno != EINTR) {
            perror("lat_relay: epoll_wait");
            goto out;
        }
        for (int k = 0; k < n; k++) {
            struct end *e = evs[k].data.ptr;
            if (e == &timer) {
                uint64_t ticks;
                if (read(tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
                    goto out;
                armed_due = UINT64_MAX; /* fired: set it again for the next chunk */
                continue;
            }
            if (e == &listener) {
                for (;;) {
                    if (open_conns >= max_conns) { /* over the limit: refused, not queued */
                        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                        if (fd < 0)
                            break;
                        close(fd);
                        continue;
                    }
                    struct pair *p = pair_open(ep, lfd, (uint16_t)to);
                    if (!p)
                        break;
                    p->next = pairs;
                    pairs = p;
                    open_conns++;
                }
                continue;
            }
            /* a hang-up or an error shows up as a read of 0 or an error below */
            if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                if (dir_read(&e->p->dir[e->side], e->p->fd[e->side]) < 0)
                    e->p->dir[0].shut = e->p->dir[1].shut = true; /* reset: drop the pair */
            }
        }
        /* every pair: write what is due, re-arm, drop the finished ones */
        uint64_t now = now_us();
        next_due = UINT64_MAX;
        for (struct pair **pp = &pairs; *pp;) {
            struct pair *p = *pp;
            bool dead = pair_is_done(p);
            for (int i = 0; i < 2 && !dead; i++)
                if (dir_write(&p->dir[i], p->fd[1 - i], now, &next_due, &n_bytes[i]) < 0)
                    dead = true;
            if (!dead && pair_arm(ep, p) < 0)
                dead = true;
            if (dead || pair_is_done(p)) {
                *pp = p->next;
                pair_free(p);
                open_conns--;
                continue;
            }
            pp = &p->next;
        }
    }
    rc = 0;
out:
    printf("relay conns=%llu bytes_up=%llu bytes_down=%llu chunks=%llu late_us_avg=%llu "
           "late_us_max=%llu\n",
           n_conns, n_bytes[0], n_bytes[1], n_chunks, n_late ? late_sum_us / n_late : 0,
           late_max_us);
    while (pairs) {
        struct pair *p = pairs;
        pairs = p->next;
        pair_free(p);
    }
    if (tfd >= 0)
        close(tfd);
    if (ep >= 0)
        close(ep);
    if (lfd >= 0)
        close(lfd);
    return rc;
}
