/* gateway/admin/unanswered.h - the console's unanswered and uncertain
 * questions (issue 15): every typed citizen message over a range of local
 * days that the bot declined (decision none), asked about (clarify), or
 * answered with low confidence (a match under UNANSWERED_LOW_CONFIDENCE),
 * grouped by similarity so that an admin teaches a question once.
 *
 * Low confidence: the match band is [INTENT_CLARIFY_BELOW, 1]; its lower
 * third, under 0.5 + 0.5 / 3 = 0.667, is "uncertain". The confidence is
 * calibrated (docs/understanding.md: shown 0.8, right about 80 % of the
 * time), so about one such answer in three is wrong: worth a look.
 *
 * Grouping: each message's masked text is folded with the understanding's
 * normaliser (teach_fold) into a word set; messages are taken newest first
 * and each joins the first group whose first (newest) message has a word
 * set with Jaccard >= TEACH_NEAR (identical folded texts: 1.0), else starts
 * a group. At most UNANSWERED_ROWS_MAX messages are read, so the work is
 * bounded (rows x groups comparisons of small sorted sets). */
#ifndef MOTCUA_GATEWAY_ADMIN_UNANSWERED_H
#define MOTCUA_GATEWAY_ADMIN_UNANSWERED_H

#include <stddef.h>

#include "intent.h"
#include "mc_err.h"
#include "teach.h"

#define UNANSWERED_LOW_CONFIDENCE (INTENT_CLARIFY_BELOW + (1.0 - INTENT_CLARIFY_BELOW) / 3.0)
#define UNANSWERED_ROWS_MAX 1000  /* messages read per request, newest first */
#define UNANSWERED_GROUPS_MAX 100 /* groups answered, most asked first */
#define UNANSWERED_EXAMPLES 3     /* newest messages shown per group */
#define UNANSWERED_CANDIDATES 3   /* labels shown per group */

struct kb;
struct store;
struct json_t;

/* Groups w[0..n) (newest first) by the rule above: group_of[i] is the group
 * of message i, numbered from 0 in order of their first message. Returns
 * the number of groups. */
size_t unanswered_group(const struct teach_words *w, size_t n, size_t *group_of);

/* The answer of GET /api/v1/admin/unanswered for from..to (checked with
 * report_check_query) in zone tz: {"from","to","timezone","low_confidence",
 * "messages","truncated","groups":[{"text","count","last_ts","decisions":
 * {"none","clarify","match"},"candidates":[{"label","name","confidence"}],
 * "examples":[{"text","ts","channel","decision","label","confidence",
 * "candidates"}]}]}. kb names the labels (may be NULL). Returns a new
 * object (json_decref()) or NULL with err set. */
struct json_t *unanswered_json(struct store *st, const struct kb *kb, const char *from,
                               const char *to, const char *tz, struct mc_err *err);

/* ---- off the loop (PostgreSQL: offload.h) ------------------------------ */

#define UNANSWERED_ARG_MAX 40 /* bytes of one query argument: a date is 10 */

struct gw;
struct lws;
struct http_req;

/* Answers GET /api/v1/admin/unanswered (teach_http.c's route, its method
 * checked) on a reader thread, the cookie check included, with the route's
 * answers in its order (401, 403, 503 not_ready, 400, 503, 200). Only when
 * offload_on(gw). Returns 0, or -1 to close. */
int unanswered_http_offload(struct gw *gw, struct lws *wsi, struct http_req *r);

#endif
