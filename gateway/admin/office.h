/* gateway/admin/office.h - the commune's office data, edited by admins in
 * the console (docs/admin-office.md):
 *   GET    /api/v1/admin/office                 effective data, what is overridden, by whom, when
 *   PUT    /api/v1/admin/office/{code}          a partial update, checked as motcua import does
 *   DELETE /api/v1/admin/office/{code}/{field}  back to data/offices/<code>.json
 *   GET    /api/v1/commune                      the commune's name for the kiosk and widget
 * and the layer every worker serves from (kb_local.h): built from the state
 * database at start and reload, and again whenever the revision the writes
 * bump has moved (office_poll, from the feed's timer), so a change made on
 * one worker reaches new messages on all of them within one poll.
 * Event-loop thread only. */
#ifndef MOTCUA_GATEWAY_ADMIN_OFFICE_H
#define MOTCUA_GATEWAY_ADMIN_OFFICE_H

#include <stdbool.h>

#include "mc_err.h"
#include "store.h"

#define OFFICE_HTTP_API "/api/v1/admin/office"
#define OFFICE_HTTP_COMMUNE "/api/v1/commune"
#define OFFICE_FACT_MAX 1000 /* bytes of an office fact's text an admin may type */
#define OFFICE_LIST_MAX 64   /* offices one GET lists */

struct gw;
struct lws;
struct http_req;
struct kb;
struct json_t;

/* The fields an admin may set, in the order the console shows them. */
extern const char *const office_fields[];

/* Builds the layer of gw->kb from the state database and attaches it.
 * Returns 0 or -EIO/-ENOMEM (the previous layer stays). */
MC_MUST_CHECK int office_apply(struct gw *gw);

/* Rebuilds the layer when the state database's revision differs from the
 * one it was built from. Cheap when nothing changed (one row read). */
void office_poll(struct gw *gw);

/* The layer for kb from the store: every office override applied over the
 * shipped office (or a blank one for a unit without a file), the local
 * notes as said to citizens, the home commune (configured, else the first
 * office an admin configured). Returns a new layer or NULL with err set.
 * (For tests: office_apply() is this plus kb_set_local().) */
struct kb_local *office_build(struct kb *kb, struct store *st, const char *configured,
                              struct mc_err *err);

/* Applies a PUT body (an object of office fields) to code's effective
 * office and checks the result as motcua import does. Returns 0 with
 * *normalized a new object of the fields to store (their JSON values as
 * they will be served), or -EINVAL with *field the field at fault (static
 * or borrowed from body) and err the problem, or -ENOENT (unknown unit), or
 * -ENOMEM. */
MC_MUST_CHECK int office_check_update(const struct kb *kb, const char *code,
                                      const struct json_t *body, struct json_t **normalized,
                                      const char **field, struct mc_err *err);

/* Whether path is one of the routes above. */
bool office_http_is_route(const char *path);

/* Answers them. Returns what the http callback returns. */
int office_http_route(struct gw *gw, struct lws *wsi, struct http_req *r);

/* The admin check of every console API: a live officer session (401), role
 * admin (403), and on a write the CSRF token (403). Returns 0 with *o
 * filled, or 1 when it answered the request (its result in *rc). */
int office_http_admin(struct gw *gw, struct lws *wsi, struct http_req *r, bool write,
                      struct store_officer *o, int *rc);

#endif
