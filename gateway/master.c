/* gateway/master.c - see master.h. The master only forks, forwards signals,
 * reaps and restarts; it polls its children every MASTER_POLL_MS rather than
 * reacting to SIGCHLD, so its one signal flag stays the one main() owns. */
#include "mc_time.h"
#include "master.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gw.h"
#include "mc_log.h"
#include "paths.h"
#include "store.h"

#define MASTER_POLL_MS 50         /* how often children are reaped and signals forwarded */
#define MASTER_START_MS 30000     /* a worker that is not listening by then failed to start */
#define MASTER_BACKOFF_MIN_MS 100 /* first restart delay of a worker that died */
#define MASTER_BACKOFF_MAX_MS 10000
#define MASTER_STABLE_MS 30000    /* a worker that lived this long restarts at the minimum delay */
#define MASTER_KILL_AFTER_MS 2000 /* beyond shutdown.grace_ms: then SIGKILL */

struct master_slot {
    pid_t pid;          /* 0: not running */
    int ready_fd;       /* read end of the start pipe, -1 once read or closed */
    int64_t started_ms; /* when it was forked */
    int64_t restart_ms; /* when to fork it again (pid 0, not stopping) */
    unsigned backoff_ms;
    int status; /* exit status once it ended */
};

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    (void)nanosleep(&ts, NULL); /* a signal ends it early: the loop looks at the flag */
}

/* Forks slot i. The child never returns. Returns 0 or -errno. */
static int spawn(struct master_slot *slots, unsigned n, unsigned i, int keep_fd,
                 const struct mc_config *wcfg, volatile sig_atomic_t *signals,
                 int (*worker)(const struct mc_config *, unsigned, volatile sig_atomic_t *, int),
                 bool want_ready)
{
    int pfd[2] = {-1, -1};
    unsigned j;
    pid_t pid;

    if (want_ready && pipe(pfd))
        return -errno;
    pid = fork();
    if (pid < 0) {
        int e = errno;

        if (pfd[0] >= 0)
            close(pfd[0]), close(pfd[1]);
        return -e;
    }
    if (pid == 0) {
        if (keep_fd >= 0)
            close(keep_fd);
        for (j = 0; j < n; j++)
            if (slots[j].ready_fd >= 0)
                close(slots[j].ready_fd);
        if (pfd[0] >= 0)
            close(pfd[0]);
        *signals = 0; /* a signal meant for the master before the fork is its own */
        exit(worker(wcfg, i, signals, pfd[1]));
    }
    if (pfd[1] >= 0)
        close(pfd[1]);
    slots[i].pid = pid;
    slots[i].ready_fd = pfd[0];
    slots[i].started_ms = mc_mono_ms();
    mc_log(MC_LOG_INFO, "worker.start", "slot=%u pid=%d", i, (int)pid);
    return 0;
}

static int exit_status(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    return 1;
}

static void signal_all(struct master_slot *slots, unsigned n, int sig)
{
    unsigned i;

    for (i = 0; i < n; i++)
        if (slots[i].pid > 0)
            kill(slots[i].pid, sig);
}

static unsigned running(const struct master_slot *slots, unsigned n)
{
    unsigned i, k = 0;

    for (i = 0; i < n; i++)
        k += slots[i].pid > 0;
    return k;
}

/* Reaps every child that ended; returns how many. */
static unsigned reap(struct master_slot *slots, unsigned n)
{
    unsigned i, k = 0;
    int ws;

    for (i = 0; i < n; i++) {
        if (slots[i].pid <= 0 || waitpid(slots[i].pid, &ws, WNOHANG) != slots[i].pid)
            continue;
        slots[i].status = exit_status(ws);
        mc_log(slots[i].status ? MC_LOG_WARN : MC_LOG_INFO, "worker.exit",
               "slot=%u pid=%d status=%d signal=%d", i, (int)slots[i].pid, slots[i].status,
               WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
        slots[i].pid = 0;
        if (slots[i].ready_fd >= 0) {
            close(slots[i].ready_fd);
            slots[i].ready_fd = -1;
        }
        k++;
    }
    return k;
}

/* Sends SIGTERM to all, waits for them (SIGKILL after the grace), and
 * returns 0 if every worker ended with status 0. */
static int stop_all(struct master_slot *slots, unsigned n, const struct mc_config *cfg)
{
    int64_t deadline = mc_mono_ms() + cfg->shutdown_grace_ms + MASTER_KILL_AFTER_MS;
    bool killed = false;
    unsigned i;
    int worst = 0;

    for (i = 0; i < n; i++)
        slots[i].status = 0;
    signal_all(slots, n, SIGTERM);
    while (running(slots, n)) {
        (void)reap(slots, n);
        for (i = 0; i < n; i++)
            if (slots[i].status)
                worst = slots[i].status;
        if (!running(slots, n))
            break;
        if (!killed && mc_mono_ms() > deadline) {
            mc_log(MC_LOG_WARN, "worker.kill", "reason=grace_exceeded left=%u", running(slots, n));
            signal_all(slots, n, SIGKILL);
            killed = true;
        }
        sleep_ms(MASTER_POLL_MS / 5);
    }
    return killed ? 1 : worst;
}

/* Waits until every worker wrote its ready byte. Returns 0, or the exit
 * status of a worker that ended (or timed out) first. */
static int wait_ready(struct master_slot *slots, unsigned n, volatile sig_atomic_t *signals)
{
    int64_t deadline = mc_mono_ms() + MASTER_START_MS;
    struct pollfd pfd;
    unsigned i, waiting;
    char byte;

    for (;;) {
        waiting = 0;
        for (i = 0; i < n; i++) {
            if (slots[i].ready_fd < 0)
                continue;
            pfd.fd = slots[i].ready_fd;
            pfd.events = POLLIN;
            if (poll(&pfd, 1, 0) == 1) {
                if (read(slots[i].ready_fd, &byte, 1) != 1) { /* EOF: it ended before listening */
                    waitpid(slots[i].pid, &slots[i].status, 0);
                    slots[i].status = exit_status(slots[i].status);
                    slots[i].pid = 0;
                    close(slots[i].ready_fd);
                    slots[i].ready_fd = -1;
                    return slots[i].status ? slots[i].status : 1;
                }
                close(slots[i].ready_fd);
                slots[i].ready_fd = -1;
                continue;
            }
            waiting++;
        }
        if (!waiting)
            return 0;
        if ((*signals & GW_SIGNAL_STOP) || mc_mono_ms() > deadline)
            return 1;
        sleep_ms(MASTER_POLL_MS / 5);
    }
}

int master_run(const struct mc_config *cfg, unsigned workers, volatile sig_atomic_t *signals,
               int (*worker)(const struct mc_config *cfg, unsigned slot,
                             volatile sig_atomic_t *signals, int ready_fd))
{
    struct master_slot slots[CFG_WORKERS_MAX];
    struct mc_config wcfg = *cfg;
    struct mc_err err = {{0}};
    struct store *st;
    int keep_fd, rc = 0;
    unsigned i, n = workers > CFG_WORKERS_MAX ? CFG_WORKERS_MAX : workers;
    int64_t now;

    memset(slots, 0, sizeof(slots));
    for (i = 0; i < n; i++)
        slots[i].ready_fd = -1;
    /* create and migrate the state database once, before the workers open it together */
    st = store_open(cfg_state_store(cfg), &err);
    if (!st || store_require_complete(st, &err)) {
        store_free(st);
        mc_log(MC_LOG_ERROR, "server.start", "error=\"%s\"", err.text);
        fprintf(stderr, "motcua serve: %s\n", err.text);
        return 1;
    }
    store_free(st);
    /* bound, not listening: the kernel hands connections only to the workers'
     * listening sockets; its port makes "port 0" one free port for every worker */
    keep_fd = gw_socket_open(cfg, false, &wcfg.listen_port, &err);
    if (keep_fd < 0) {
        mc_log(MC_LOG_ERROR, "server.start", "error=\"%s\"", err.text);
        fprintf(stderr, "motcua serve: %s\n", err.text);
        return 1;
    }
    wcfg.listen_workers = n; /* each worker binds the port with SO_REUSEPORT too */
    mc_log(MC_LOG_INFO, "master.start", "pid=%d workers=%u port=%u", (int)getpid(), n,
           wcfg.listen_port);
    for (i = 0; i < n; i++) {
        rc = spawn(slots, n, i, keep_fd, &wcfg, signals, worker, true);
        if (rc) {
            mc_log(MC_LOG_ERROR, "worker.fork", "error=\"%s\"", strerror(-rc));
            rc = 1;
            goto stop;
        }
    }
    rc = wait_ready(slots, n, signals);
    if (rc) {
        mc_log(MC_LOG_ERROR, "master.start", "result=failed status=%d", rc);
        goto stop;
    }
    close(keep_fd); /* every worker listens now; a restarted one joins their group */
    keep_fd = -1;
    mc_log(MC_LOG_INFO, "master.ready", "workers=%u port=%u", n, wcfg.listen_port);
    paths_announce(&wcfg, (int)wcfg.listen_port);
    while (!(*signals & GW_SIGNAL_STOP)) {
        if (*signals & GW_SIGNAL_RELOAD) {
            *signals &= ~GW_SIGNAL_RELOAD;
            mc_log(MC_LOG_INFO, "master.reload", "workers=%u", running(slots, n));
            signal_all(slots, n, SIGHUP);
        }
        if (reap(slots, n)) {
            now = mc_mono_ms();
            for (i = 0; i < n; i++) {
                if (slots[i].pid || slots[i].restart_ms)
                    continue;
                if (now - slots[i].started_ms >= MASTER_STABLE_MS || !slots[i].backoff_ms)
                    slots[i].backoff_ms = MASTER_BACKOFF_MIN_MS;
                else if (slots[i].backoff_ms < MASTER_BACKOFF_MAX_MS)
                    slots[i].backoff_ms *= 2;
                slots[i].restart_ms = now + slots[i].backoff_ms;
                mc_log(MC_LOG_WARN, "worker.restart", "slot=%u in_ms=%u", i, slots[i].backoff_ms);
            }
        }
        now = mc_mono_ms();
        for (i = 0; i < n; i++) {
            if (slots[i].pid || !slots[i].restart_ms || now < slots[i].restart_ms)
                continue;
            slots[i].restart_ms = 0;
            if (spawn(slots, n, i, -1, &wcfg, signals, worker, false))
                slots[i].restart_ms = now + slots[i].backoff_ms; /* fork failed: try later */
        }
        sleep_ms(MASTER_POLL_MS);
    }
    rc = 0;
stop:
    if (keep_fd >= 0)
        close(keep_fd);
    i = (unsigned)stop_all(slots, n, cfg);
    if (!rc)
        rc = (int)i;
    mc_log(MC_LOG_INFO, "master.stop", "status=%d", rc);
    return rc;
}
