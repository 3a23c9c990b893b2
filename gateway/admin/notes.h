/* gateway/admin/notes.h - officials' notes on the guides, in the browser
 * (docs/admin-office.md): the verify workflow of docs/verify-report.md,
 *   POST /api/v1/admin/notes {"procedure","field","status":"confirmed"|"wrong","comment"}
 *   GET  /api/v1/admin/notes[?procedure=ID]
 * and the local fee/time notes a province sets, shown to citizens beside the
 * reviewed facts with their date (never in place of them):
 *   GET|PUT /api/v1/admin/guides/{id}/local {"fee_note","time_note"}
 * Admins only (office_http_admin). Event-loop thread only. */
#ifndef MOTCUA_GATEWAY_ADMIN_NOTES_H
#define MOTCUA_GATEWAY_ADMIN_NOTES_H

#include <stdbool.h>

#define NOTES_API "/api/v1/admin/notes"
#define NOTES_GUIDES "/api/v1/admin/guides/"
#define NOTES_FIELD_MAX 64     /* bytes of a field path: "documents[12].name" */
#define NOTES_COMMENT_MAX 2000 /* bytes of an official's comment */
#define NOTES_LIST_MAX 500     /* notes one GET lists */

struct gw;
struct lws;
struct http_req;
struct json_t;

/* Whether path names a field of guide g the way verify[] does: keys joined
 * by ".", an array element as "[i]" counted from 0 ("fee", "documents[2]",
 * "faq[1].a", "steps[3]"), and the field exists in g. */
bool notes_field_ok(const struct json_t *g, const char *path);

bool notes_http_is_route(const char *path);

int notes_http_route(struct gw *gw, struct lws *wsi, struct http_req *r);

#endif
