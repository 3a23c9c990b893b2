/* gateway/share.h - the citizen's own checklist page (issue 19): a reply
 * that shows the pre-check's checklist on the web, Messenger or Zalo also
 * gets a short unguessable link /p/<token> to a page of that checklist
 * (printable, with its QR code, shareable) and its picture /p/<token>.png.
 * The page shows a snapshot kept in the state database (store.h, "checklist
 * pages"), not the live conversation: it never changes under the citizen,
 * expires after share.ttl_days, and goes with a forgotten session. The kiosk
 * gets none: it is a shared screen and prints instead. Event-loop thread. */
#ifndef MOTCUA_GATEWAY_SHARE_H
#define MOTCUA_GATEWAY_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_buf.h"
#include "mc_err.h"

struct gw;
struct kb;
struct store_share_plan;
struct json_t;

#define SHARE_PREFIX "/p/"        /* the pages' paths: /p/<token>, /p/<token>.png */
#define SHARE_PER_HOUR 20         /* new pages one session may make an hour (an unchanged one: 0) */
#define SHARE_ITEMS_MAX 40        /* documents kept in a snapshot; a guide has at most ~20 */
#define SHARE_REASONS_MAX 6       /* "hay bị trả lại vì" lines kept */
#define SHARE_TEXT_CHARS 400      /* characters kept of one text (a name, how to get it) */
#define SHARE_URL_MAX 640         /* bytes of the page's absolute URL */
#define SHARE_PNG_WIDTH 1080      /* pixels: a phone screen's width at 3x */
#define SHARE_PNG_HEIGHT_MAX 9000 /* pixels; the rest is on the page */
#define SHARE_PNG_MAX (4 * 1024 * 1024) /* bytes of one picture */

/* The snapshot of checklist (a reply's "checklist" block, conv_check.h) for
 * the page: {"procedure","title","complete","url","reviewed","items":[{"name",
 * "status","count","how_to_get","form","verify"}],"return_reasons":[...],
 * "office":{"name","address","address_verify","hours","hours_verify",
 * "phone","hotline"}|null}; verify and reviewed from the guide in kb, the
 * office of unit code locality (NULL or "": none). Texts are cut at
 * SHARE_TEXT_CHARS characters, lists at their maximum. Returns a new object
 * (json_decref()) or NULL (out of memory, or no procedure). */
struct json_t *share_snapshot(const struct kb *kb, const struct json_t *checklist,
                              const char *locality);

/* After a turn on channel whose reply carries "checklist": keeps its
 * snapshot for the session (in the open batch) and sets the block's
 * "share_url" ("/p/<token>") and, when site.public_url is set, "share_link"
 * (the absolute URL). state is the session's dialogue state (its locality
 * picks the office). plan NULL: the page is written now, in the caller's
 * unit; otherwise (PostgreSQL) it is only decided, into *plan (token[0]
 * set when there is a page to write; store_share_plan_fini() it), for the
 * turn's save to write (store_turn_queue_share()). Returns 0 (also when
 * nothing is made: another channel, no checklist, or over SHARE_PER_HOUR),
 * -ENOMEM or -EIO. */
MC_MUST_CHECK int share_attach(struct gw *gw, int64_t session_id, const char *channel,
                               const struct json_t *state, struct json_t *reply, int64_t now,
                               struct store_share_plan *plan);

/* The page's HTML for snapshot snap (Vietnamese, printable), with the QR
 * code of url (NULL: no QR) and the picture at png_path. Appends to out.
 * Returns 0 or -E2BIG/-ENOMEM. */
MC_MUST_CHECK int share_page_html(const struct kb *kb, const struct json_t *snap, const char *url,
                                  const char *png_path, unsigned ttl_days, struct mc_buf *out);

/* The picture of snap as PNG (SHARE_PNG_WIDTH wide, as tall as its content
 * up to SHARE_PNG_HEIGHT_MAX), drawn with Pango on cairo so Vietnamese text
 * is shaped correctly, with the QR code of url (NULL: none). Appends to out.
 * Returns 0, -E2BIG or -ENOMEM/-EIO. */
MC_MUST_CHECK int share_png(const struct json_t *snap, const char *commune, const char *url,
                            struct mc_buf *out);

#endif
