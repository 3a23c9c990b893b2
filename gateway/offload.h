/* gateway/offload.h - the officers' and the console's reads off the event
 * loop (PostgreSQL, issue 18). The report (/api/v1/reports, /admin/bao-cao)
 * runs several aggregate queries over a period's turns; on a big database
 * they take long enough that, waited for on the loop, every citizen's
 * WebSocket on that worker would stall. Here a small pool of reader threads
 * (data.state_readers, 1 by default), each with its own store handle (its own
 * connection, opened on its first job, reset by the store after a failure),
 * runs such a read-only request and hands the finished answer back to the
 * loop, which writes it as a held answer (http_hold_ready()).
 *
 * What a job's run function may touch: its own argument (everything it needs
 * copied from the request and the config by the loop, or a reference taken
 * for it, such as a kb snapshot's kb_ref()), the thread's store handle, and
 * mc_log() (one write a line). Never struct gw: its metrics, its store and
 * its session cache belong to the loop.
 *
 * Bounded: at most data.state_read_queue jobs wait for a thread; past it the
 * request is answered 503 {"error":"busy"} with Retry-After at once. A
 * connection closed while its job waits or runs cancels it (offload_forget(),
 * from the request's CLOSED_HTTP through http_hold_forget()): a job not
 * started is never run, a finished answer is dropped, nothing is written to
 * the connection. SQLite (a local file) and data.state_readers 0 answer on
 * the loop, as before (offload_on() is false). Loop thread only, but run. */
#ifndef MOTCUA_GATEWAY_OFFLOAD_H
#define MOTCUA_GATEWAY_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "http_hold.h"
#include "mc_err.h"

#define OFFLOAD_WAIT_S 60 /* seconds a request may wait for its answer (lws: 20), then closed */

struct gw;
struct lws;
struct http_req;
struct store;
struct json_t;

/* A finished answer, made on the reader thread. */
struct offload_reply {
    unsigned status;             /* HTTP status */
    const char *ctype;           /* static: its content type */
    char *body;                  /* malloc()ed, owned by the pool once returned */
    size_t len;                  /* bytes of body */
    char hdr[HTTP_HOLD_HDR_MAX]; /* one extra header "name: value", or "" */
};

/* Runs on a reader thread: st is that thread's own store handle, or NULL
 * when it cannot be opened now (the database is down: answer 503). Fills
 * *out; returns 0, or -ENOMEM when not even an error could be made (the
 * request is then answered 503 "internal"). */
typedef int (*offload_run_fn)(struct store *st, void *arg, struct offload_reply *out);

/* Fills *out with body (a JSON answer, taken: json_decref()ed) as status,
 * or, body NULL or not dumpable, 503 {"error":"internal"}. For a run
 * function's JSON answers. Returns 0, or -ENOMEM when not even the error
 * could be made. */
int offload_reply_json(struct offload_reply *out, unsigned status, struct json_t *body);

/* Starts gw->offload: the reader threads when the state is on PostgreSQL and
 * data.state_readers > 0, else none (gw->offload stays NULL). Returns 0, or
 * -1 with err set (out of memory, a thread that cannot start). */
MC_MUST_CHECK int offload_start(struct gw *gw, struct mc_err *err);

/* Whether reads go to the reader threads. */
bool offload_on(const struct gw *gw);

/* Answers r (on wsi) by run(arg) on a reader thread: queued, 0 returned at
 * once; the answer is written from the loop when it is done. The pool owns
 * arg from here (free_arg(arg) once run or dropped). A full queue answers
 * 503 busy now, an allocation that fails 503 internal. Returns 0, or -1 to
 * close. */
int offload_answer(struct gw *gw, struct lws *wsi, struct http_req *r, offload_run_fn run,
                   void *arg, void (*free_arg)(void *arg));

/* Hands the finished answers to their requests (http_hold_ready()). Cheap
 * when nothing finished: called every loop pass (the threads wake the loop
 * with lws_cancel_service()). */
void offload_poll(struct gw *gw);

/* r's connection is closing or taking a new request: its job, if any, is
 * cancelled (not run if it has not started; its answer dropped). */
void offload_forget(struct gw *gw, const struct http_req *r);

/* Whether a job is queued, running or finished and not yet handed over
 * (SIGTERM's drain waits for them). */
bool offload_busy(const struct gw *gw);

/* Cancels what is left, joins the threads (each closes its store handle)
 * and frees. Before the context is destroyed. NULL gw->offload: nothing. */
void offload_stop(struct gw *gw);

#endif
