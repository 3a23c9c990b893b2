/* gateway/master.h - several worker processes on one port (listen.workers).
 * The master binds the port once with SO_REUSEPORT (resolving listen.port
 * 0 to one free port for all), forks the workers, forwards SIGTERM/SIGINT
 * (drain and stop) and SIGHUP (reload the knowledge base) to every worker,
 * restarts a worker that died with a growing back-off, and returns when all
 * have stopped. Each worker is a whole server (gw.h) with its own event
 * loop, knowledge snapshot and state-database connection; the kernel spreads
 * new connections over the workers' listening sockets. The master itself
 * loads nothing and serves nothing. See docs/performance.md, "All cores". */
#ifndef MOTCUA_GATEWAY_MASTER_H
#define MOTCUA_GATEWAY_MASTER_H

#include <signal.h>

#include "cfg.h"

/* Serves cfg with workers processes (>= 2), each running worker(cfg, slot,
 * signals, ready_fd) in a forked child (slot 0 .. workers-1; a restarted
 * worker keeps its slot): it serves until the GW_SIGNAL_STOP
 * bit of *signals is set, writes one byte to ready_fd (when >= 0) once it
 * listens, and returns the process's exit status. signals is the flag main()'s
 * handler sets (GW_SIGNAL_* bits of gw.h) for SIGTERM, SIGINT and SIGHUP;
 * the workers inherit the handler and a copy of the flag. Returns the exit
 * status: 0 after a requested stop; the first failing worker's status when
 * a worker cannot start (the others are stopped); 1 when the port cannot be
 * bound or no process can be forked. */
int master_run(const struct mc_config *cfg, unsigned workers, volatile sig_atomic_t *signals,
               int (*worker)(const struct mc_config *cfg, unsigned slot,
                             volatile sig_atomic_t *signals, int ready_fd));

#endif
