/* gateway/page.h - printable HTML pages of the guides: /thu-tuc (index by
 * domain) and /thu-tuc/{id} (one guide). Server-rendered so kiosks, the
 * widget and search engines can link to them and print them without
 * JavaScript. Every value is HTML-escaped. */
#ifndef MOTCUA_GATEWAY_PAGE_H
#define MOTCUA_GATEWAY_PAGE_H

#include "mc_err.h"

struct kb;

#define PAGE_MAX (512 * 1024) /* bytes; one rendered page */

/* Renders the page for path ("/thu-tuc", "/thu-tuc/", "/thu-tuc/khai-sinh").
 * Returns 0 with *html new (free()), -ENOENT for an unknown page, -EIO or
 * -ENOMEM. */
MC_MUST_CHECK int page_procedure(const struct kb *kb, const char *path, char **html);

#endif
