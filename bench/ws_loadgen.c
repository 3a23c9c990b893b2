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
 * RX_MAX bytes per frame (both in ws_loadgen_conn.c). Single-threaded; no libwebsockets; OpenSSL
 * only for SHA-1/base64.
 *
 * Here: the command line, the two phases (connect and hello, then the messages) and the
 * figures; one connection's life (connect, upgrade, frames written and read, answers checked)
 * is in ws_loadgen_conn.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws_loadgen_conn.h"
#include "ws_proto.h"
#include "ws_text.h"

#define CONNS_MAX 60000    /* connections; the loopback ephemeral port range is ~28k */
#define MSGS_MAX 10000000u /* messages per connection */
#define WINDOW_DEFAULT 256 /* connections in connect/handshake/hello at once */
#define FD_HEADROOM 64     /* descriptors beyond the connections: epoll, stdio, files */

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
        uint64_t t = loadgen_now_ns();
        int n, i, ms;

        while (g->next_connect < g->conns && g->in_setup < g->window)
            loadgen_conn_start(g, &g->c[g->next_connect++]);
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
            loadgen_on_event(g, evs[i].data.ptr, evs[i].events);
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
        seed = loadgen_now_ns();
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
    g.t0 = loadgen_now_ns();
    g.deadline = g.t0 + (uint64_t)(g.timeout_s * 1e9);
    run_loop(&g, true); /* phase 1: connect, upgrade, hello */
    g.t_measure = loadgen_now_ns();
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
            loadgen_conn_finish(&g, c);
        else if (loadgen_send_message(&g, c) != 0)
            loadgen_conn_fail(&g, c, &g.err_closed, "cannot send");
    }
    run_loop(&g, false);
    g.t_end = loadgen_now_ns();
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
                if (loadgen_frame_queue(&g, c, 0x8, bye, sizeof(bye)) == 0)
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
