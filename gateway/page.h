/* gateway/page.h - printable HTML pages of the guides: /thu-tuc (index by
 * domain), /thu-tuc/{id} (one guide, with the commune's office block and a QR
 * code of its own address), /thu-tuc?q=... (the guide search) and the 404
 * page of an unknown guide. Server-rendered so kiosks, the widget and search
 * engines can link to them and print them, and the search works without
 * JavaScript. Every value is HTML-escaped. Pure functions of one knowledge
 * snapshot (and its understanding index); no I/O. The HTTP side is
 * page_http.h. */
#ifndef MOTCUA_GATEWAY_PAGE_H
#define MOTCUA_GATEWAY_PAGE_H

#include <stddef.h>

#include "mc_err.h"

struct kb;
struct intent_index;

#define PAGE_MAX (512 * 1024) /* bytes; one rendered page */
/* bytes of a search query: a citizen's question fits, the form's maxlength
 * (PAGE_SEARCH_CHARS characters) always does */
#define PAGE_SEARCH_QUERY_MAX 512
#define PAGE_SEARCH_CHARS 120 /* the search box's maxlength, in characters */

/* Renders the page for path ("/thu-tuc", "/thu-tuc/", "/thu-tuc/khai-sinh").
 * base_url is the site's address as a citizen's phone reaches it
 * ("https://motcua.example", no trailing slash): a guide page carries a QR
 * code of base_url + path; NULL or "" for none. Returns 0 with *html new
 * (free()), -ENOENT for an unknown page, -EIO or -ENOMEM. */
MC_MUST_CHECK int page_procedure(const struct kb *kb, const char *path, const char *base_url,
                                 char **html);

/* The search page for q (len bytes, as typed: diacritics optional): the
 * guides the understanding of idx and the assistant's name search rank for
 * it (officer_assist_search), best first, as links. A blank q asks for a
 * query; *status is 200, or 400 when q is longer than PAGE_SEARCH_QUERY_MAX
 * or not UTF-8 (the page says so). idx may be NULL (names only). Returns 0
 * with *html new (free()), or -ENOMEM / -E2BIG. */
MC_MUST_CHECK int page_search(const struct kb *kb, const struct intent_index *idx, const char *q,
                              size_t len, unsigned *status, char **html);

/* The 404 page of an unknown guide: the message, the search box and the
 * link to the list. kb may be NULL (no commune name). Returns 0 with *html
 * new (free()) or -ENOMEM. */
MC_MUST_CHECK int page_not_found(const struct kb *kb, char **html);

#endif
