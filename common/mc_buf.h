/* common/mc_buf.h - a growable byte buffer whose maximum is fixed at init
 * (curl dynbuf's idea), so nothing fed by the network grows without bound.
 * The data is always NUL-terminated. Not thread safe; one owner at a time. */
#ifndef MOTCUA_COMMON_MC_BUF_H
#define MOTCUA_COMMON_MC_BUF_H

#include <stddef.h>

#include "mc_err.h"

struct mc_buf {
    char *data; /* owned; NULL until the first append */
    size_t len; /* bytes used, excluding the terminating NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* the most len may ever be */
};

/* Prepares an empty buffer that will refuse to grow past max bytes. */
void mc_buf_init(struct mc_buf *b, size_t max);

/* Frees what b owns and leaves it empty (re-usable after mc_buf_init). */
void mc_buf_fini(struct mc_buf *b);

/* Empties b, keeping its allocation. */
void mc_buf_reset(struct mc_buf *b);

/* Appends len bytes. Returns 0, -E2BIG if b would exceed b->max (b unchanged),
 * or -ENOMEM. */
MC_MUST_CHECK int mc_buf_append(struct mc_buf *b, const void *p, size_t len);

/* Appends a NUL-terminated string; as mc_buf_append. */
MC_MUST_CHECK int mc_buf_puts(struct mc_buf *b, const char *s);

/* Appends s (NULL: nothing) with & < > " ' escaped for HTML text and
 * attribute values. Returns 0 or -E2BIG/-ENOMEM as mc_buf_append (b then
 * holds s escaped up to some point: drop the page). */
MC_MUST_CHECK int mc_buf_put_html(struct mc_buf *b, const char *s);

/* Appends printf-formatted text; as mc_buf_append (-EINVAL on a format error). */
MC_MUST_CHECK int mc_buf_printf(struct mc_buf *b, const char *fmt, ...) MC_PRINTF(2, 3);

/* Hands the data to the caller (new: free() it) and leaves b empty. Returns
 * an empty allocated string when b is empty, or NULL on -ENOMEM. */
char *mc_buf_steal(struct mc_buf *b);

#endif
