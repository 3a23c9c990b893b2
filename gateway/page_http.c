/* gateway/page_http.c - see page_http.h. Pages answer in HTML, a 404 too:
 * a citizen follows these links from a phone, a kiosk or a printout; the
 * JSON API keeps its JSON errors (http.c). */
#include "page_http.h"

#include <errno.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "gw.h"
#include "http.h"
#include "office.h"
#include "page.h"

#define PAGE_HTML "text/html; charset=utf-8"
#define PAGE_HOST_MAX 128 /* bytes of a Host header we put into a URL */

/* The page when the knowledge base is not there to render one: whole and
 * valid UTF-8, its length counted by the compiler. */
#define PAGE_UNAVAILABLE                                                                                    \
    "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"                                     \
    "<title>Tạm thời chưa xem được</title></head><body><main><h1>Tạm thời chưa xem được " \
    "hướng dẫn</h1><p>Hãy thử lại sau ít phút.</p></main></body></html>\n"

bool page_http_is_route(const char *path)
{
    return strncmp(path, "/thu-tuc", sizeof "/thu-tuc" - 1) == 0;
}

int page_http_base_url(struct gw *gw, struct lws *wsi, char *out, size_t size)
{
    char host[PAGE_HOST_MAX], proto[16];
    size_t i;

    if (gw->cfg->site_public_url[0])
        return snprintf(out, size, "%s", gw->cfg->site_public_url) < (int)size ? 0 : -E2BIG;
    if (lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0)
        snprintf(host, sizeof(host), "%.100s:%d", gw->cfg->listen_host, gw->port);
    for (i = 0; host[i]; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:[]", host[i]))
            return -EINVAL;
    if (lws_hdr_custom_copy(wsi, proto, sizeof(proto),
                            "x-forwarded-proto:", (int)sizeof "x-forwarded-proto:" - 1) <= 0 ||
        strcmp(proto, "https") != 0)
        snprintf(proto, sizeof(proto), "http");
    return snprintf(out, size, "%s://%s", proto, host) < (int)size ? 0 : -E2BIG;
}

/* The q= argument into a new string (free()), *present false when there is
 * none. lws 4.1.6 cannot tell an argument longer than the buffer from a
 * missing one, so the buffer holds every argument there is. */
static int query_arg(struct lws *wsi, char **q, bool *present)
{
    int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
    const char *v;
    char *buf;

    *q = NULL;
    *present = false;
    if (total <= 0)
        return 0;
    buf = malloc((size_t)total + 1);
    if (!buf)
        return -ENOMEM;
    v = lws_get_urlarg_by_name(wsi, "q=", buf, total + 1);
    if (v) {
        *present = true;
        memmove(buf, v, strlen(v) + 1);
        *q = buf;
        return 0;
    }
    free(buf);
    return 0;
}

static int send_html(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                     char *html)
{
    int rc = http_respond(gw, wsi, r, status, PAGE_HTML, html, strlen(html), NULL);

    free(html);
    return rc;
}

int page_http_route(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    char base[CFG_STR_MAX + PAGE_HOST_MAX], *html = NULL, *q = NULL;
    bool search;
    unsigned status = 200;
    int rc;

    if (!gw->kb)
        return http_respond(gw, wsi, r, 503, PAGE_HTML, PAGE_UNAVAILABLE,
                            sizeof PAGE_UNAVAILABLE - 1, NULL);
    office_poll(gw); /* one row read: the office block as an admin just saved it */
    if (query_arg(wsi, &q, &search))
        return http_respond(gw, wsi, r, 503, PAGE_HTML, PAGE_UNAVAILABLE,
                            sizeof PAGE_UNAVAILABLE - 1, NULL);
    if (search && (strcmp(r->path, "/thu-tuc") == 0 || strcmp(r->path, "/thu-tuc/") == 0)) {
        rc = page_search(gw->kb, gw->index, q, strlen(q), &status, &html);
        free(q);
    } else {
        free(q);
        if (page_http_base_url(gw, wsi, base, sizeof(base)))
            base[0] = '\0'; /* no QR rather than a QR of a forged host */
        rc = page_procedure(gw->kb, r->path, base, &html);
        if (rc == -ENOENT) {
            status = 404;
            rc = page_not_found(gw->kb, &html);
        }
    }
    if (rc)
        return http_respond(gw, wsi, r, 503, PAGE_HTML, PAGE_UNAVAILABLE,
                            sizeof PAGE_UNAVAILABLE - 1, NULL);
    return send_html(gw, wsi, r, status, html);
}
