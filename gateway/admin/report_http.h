/* gateway/admin/report_http.h - the report's two routes: GET /api/v1/reports
 * (json, csv or xlsx) and the page GET /admin/bao-cao, for officers with
 * role "admin" only. The server's HTTP code authenticates the officer's
 * cookie session and sends what this builds; everything else is here.
 * Event-loop thread only, but report_http_job_run() (a reader thread's:
 * on PostgreSQL the cookie check and the report run off the loop). */
#ifndef MOTCUA_GATEWAY_ADMIN_REPORT_HTTP_H
#define MOTCUA_GATEWAY_ADMIN_REPORT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"

struct gw;
struct lws;
struct store_officer;

#define REPORT_HTTP_PAGE "/admin/bao-cao"
#define REPORT_HTTP_API "/api/v1/reports"

struct report_http_reply {
    unsigned status;   /* HTTP status */
    const char *ctype; /* Content-Type, static */
    char *body;        /* new: report_http_reply_fini() */
    size_t len;
    char header[192]; /* one extra header line "name: value", or "" */
};

/* Whether path is one of the report's routes. */
bool report_http_is_route(const char *path);

/* Builds the answer to a GET of path (report_http_is_route) in *out: auth
 * is 0 when officer o holds a live session, -ENOENT when the request has
 * none (401), anything else when the session store failed (503); a role
 * other than "admin" is 403. Query arguments are read from wsi. Returns 0,
 * or -ENOMEM when not even an error could be built (*out is then empty). */
MC_MUST_CHECK int report_http_serve(struct gw *gw, struct lws *wsi, const char *path, int auth,
                                    const struct store_officer *o, struct report_http_reply *out);

/* ---- off the loop (PostgreSQL: offload.h) ------------------------------ */

struct report_http_job;
struct store;
struct offload_reply;

/* What a report request (GET of path, report_http_is_route) needs, copied on
 * the loop: its query, report.timezone, the officer's cookie value (checked
 * on the thread) and a reference to the knowledge snapshot. NULL: out of
 * memory. */
struct report_http_job *report_http_job_new(struct gw *gw, struct lws *wsi, const char *path,
                                            const char *cookie);

/* offload_run_fn: checks the cookie and builds the answer on st (a reader
 * thread's own store; NULL: 503), the same answer report_http_serve makes. */
int report_http_job_run(struct store *st, void *arg, struct offload_reply *out);

/* Frees a job (offload's free_arg). NULL is a no-op. */
void report_http_job_free(void *arg);

/* Frees what out owns. */
void report_http_reply_fini(struct report_http_reply *out);

#endif
