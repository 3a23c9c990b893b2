/* gateway/page_int.h - the parts the guide pages share (page.c,
 * page_search.c, page_office.c): the page frame and the search box. Not for
 * other modules. */
#ifndef MOTCUA_GATEWAY_PAGE_INT_H
#define MOTCUA_GATEWAY_PAGE_INT_H

#include "mc_buf.h"

struct kb;
struct json_t;

/* The document head with title, the commune's name above the content when
 * the deployment has one (kb may be NULL), then <main>. Returns 0 or non-0
 * when b is full. */
int page_head(struct mc_buf *b, const struct kb *kb, const char *title);

/* Closes <main> and the document. */
int page_tail(struct mc_buf *b);

/* The search form: a GET to /thu-tuc with q (value: the query to show again,
 * or NULL). Works without JavaScript. */
int page_search_form(struct mc_buf *b, const char *value);

/* The office block of the deployment's commune (name, address, hours,
 * phone, counters, map), facts not yet confirmed marked so; nothing when
 * the deployment has no commune. */
int page_office_block(struct mc_buf *b, const struct kb *kb);

/* The QR code of url in a figure with its caption (the URL, readable). */
int page_qr(struct mc_buf *b, const char *url);

/* " (đang chờ cán bộ xác minh)" when x has "verify": true. */
int page_verify_mark(struct mc_buf *b, const struct json_t *x);

#endif
