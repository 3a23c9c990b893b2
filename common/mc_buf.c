/* common/mc_buf.c - see mc_buf.h. */
#include "mc_buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MC_BUF_FIRST 256 /* bytes; most of our strings are short chat lines */

void mc_buf_init(struct mc_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void mc_buf_fini(struct mc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void mc_buf_reset(struct mc_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int buf_reserve(struct mc_buf *b, size_t len)
{
    size_t need, cap;
    char *d;

    if (len > b->max - b->len) /* overflow-safe "b->len + len > b->max" */
        return -E2BIG;
    need = b->len + len + 1; /* +1: data stays NUL-terminated */
    if (need <= b->cap)
        return 0;
    for (cap = b->cap ? b->cap : MC_BUF_FIRST; cap < need; cap *= 2)
        ;
    if (cap > b->max + 1)
        cap = b->max + 1;
    d = realloc(b->data, cap);
    if (!d)
        return -ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

int mc_buf_append(struct mc_buf *b, const void *p, size_t len)
{
    int rc = buf_reserve(b, len);

    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int mc_buf_puts(struct mc_buf *b, const char *s)
{
    return mc_buf_append(b, s, strlen(s));
}

int mc_buf_put_html(struct mc_buf *b, const char *s)
{
    const char *run = s;
    const char *ent;
    int rc = 0;

    for (; s && *s && !rc; s++) {
        switch (*s) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&#39;";
            break;
        default:
            continue;
        }
        rc = mc_buf_append(b, run, (size_t)(s - run)); /* the plain run before it, at once */
        if (!rc)
            rc = mc_buf_puts(b, ent);
        run = s + 1;
    }
    return rc || !s ? rc : mc_buf_append(b, run, (size_t)(s - run));
}

int mc_buf_printf(struct mc_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    rc = buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *mc_buf_steal(struct mc_buf *b)
{
    char *d = b->data;

    if (!d)
        return calloc(1, 1);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return d;
}
