/* gateway/admin/feedback_http.h - GET /api/v1/admin/feedback?from=&to= for
 * officers with role "admin" (issue 15; docs/api.md): the citizens' votes
 * on the bot's answers over a range of local days (the report's date rules,
 * report_check_query), their totals, per procedure, and the latest 👎 with
 * the question and the answer, masked. The console draws it
 * (channels/web/admin-feedback.js). Event-loop thread only; on PostgreSQL
 * the cookie check and the lists are read by a reader thread (offload.h). */
#ifndef MOTCUA_GATEWAY_ADMIN_FEEDBACK_HTTP_H
#define MOTCUA_GATEWAY_ADMIN_FEEDBACK_HTTP_H

#include <stdbool.h>

#define FEEDBACK_HTTP_API "/api/v1/admin/feedback"
#define FEEDBACK_HTTP_PROCEDURES_MAX                                                               \
    100                             /* procedures listed: more than a commune's catalogue uses */
#define FEEDBACK_HTTP_DOWNS_MAX 50  /* 👎 listed, newest first: a week's worth to read */
#define FEEDBACK_HTTP_TEXT_MAX 1000 /* bytes of a question or answer shown (cut with "…") */

struct gw;
struct lws;
struct http_req;

/* Whether path is this module's route. */
bool feedback_http_is_route(const char *path);

/* Answers a request for FEEDBACK_HTTP_API: 405 but for GET/HEAD, 401 without
 * a live session, 403 for a role other than admin, 400 for bad dates (the
 * report's codes), 503 when the state database fails. Returns what the
 * http callback returns (0, or -1 to close). */
int feedback_http_route(struct gw *gw, struct lws *wsi, struct http_req *r);

#endif
