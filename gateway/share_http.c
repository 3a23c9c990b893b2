/* gateway/share_http.c - see share_http.h; the page's HTML is here too
 * (share_page_html, share.h), the picture in share_png.c. */
#include "share_http.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "gw.h"
#include "http.h"
#include "kb.h"
#include "kb_local.h"
#include "mc_log.h"
#include "qr.h"
#include "share.h"
#include "share_render.h"
#include "store.h"

#define SHARE_PAGE_MAX (256 * 1024) /* bytes of one page; a snapshot is at most 32 KiB */
#define SHARE_SVG_MAX (256 * 1024)  /* bytes of the QR's SVG */

/* A whole, valid UTF-8 document (its length is counted by the compiler). */
#define SHARE_404_PAGE                                                                                                      \
    "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"                                                     \
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"                                              \
    "<title>Không tìm thấy danh sách</title><link rel=\"stylesheet\" href=\"/guide.css\">"                             \
    "</head><body><main><h1>Không tìm thấy danh sách hồ sơ này</h1>"                                               \
    "<p>Liên kết không đúng, hoặc danh sách đã hết hạn và được xoá để bảo vệ thông tin của " \
    "bạn. Bạn hãy hỏi lại trợ lý để có danh sách mới.</p>"                                               \
    "<p><a href=\"/\">Về trang chủ</a> · <a href=\"/thu-tuc\">Danh sách thủ tục</a></p>"                          \
    "</main></body></html>\n"
#define SHARE_404_JSON                                                                             \
    "{\"error\":\"not_found\",\"message\":\"No such checklist, or it has expired.\"}"
#define LIT(s) ("" s), (sizeof("" s) - 1)

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? s : "";
}

bool share_http_is_route(const char *path)
{
    return strncmp(path, SHARE_PREFIX, sizeof SHARE_PREFIX - 1) == 0;
}

/* ---- the page --------------------------------------------------------- */

static const struct {
    const char *status, *mark, *label;
} marks[] = {
    {"ready", "☑", "Đã có"},
    {"missing", "☐", "Còn thiếu"},
    {"unknown", "☐", "Chưa rõ"},
    {"not_needed", "–", "Không cần"},
};

static size_t mark_of(const char *status)
{
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (strcmp(marks[i].status, status) == 0)
            return i;
    return 2; /* unknown */
}

/* As the guide pages say it (page.c): a fact an official has not confirmed. */
static int verify_mark(struct mc_buf *b, bool verify)
{
    return verify ? mc_buf_puts(b, " <span class=\"verify\">(đang chờ cán bộ xác minh)</span>") : 0;
}

static int summary(struct mc_buf *b, const json_t *items, bool complete)
{
    size_t i, missing = 0, unknown = 0;
    const json_t *it;

    json_array_foreach(items, i, it)
    {
        missing += strcmp(str(it, "status"), "missing") == 0;
        unknown += strcmp(str(it, "status"), "unknown") == 0;
    }
    if (complete || (!missing && !unknown))
        return mc_buf_puts(b, "<p class=\"sh-sum sh-ok\">Hồ sơ đã đủ giấy tờ cần thiết.</p>");
    if (missing && unknown)
        return mc_buf_printf(b,
                             "<p class=\"sh-sum\">Hồ sơ còn thiếu %zu giấy tờ, %zu giấy tờ "
                             "chưa rõ.</p>",
                             missing, unknown);
    return missing
               ? mc_buf_printf(b, "<p class=\"sh-sum\">Hồ sơ còn thiếu %zu giấy tờ.</p>", missing)
               : mc_buf_printf(b, "<p class=\"sh-sum\">Hồ sơ có %zu giấy tờ chưa rõ.</p>", unknown);
}

static int items_html(struct mc_buf *b, const json_t *items)
{
    const json_t *it;
    size_t i;
    int rc = mc_buf_puts(b, "<ul class=\"sh-items\">");

    json_array_foreach(items, i, it)
    {
        size_t m = mark_of(str(it, "status"));
        json_int_t n = json_integer_value(json_object_get(it, "count"));

        rc |= mc_buf_printf(b,
                            "<li class=\"sh-%s\"><span class=\"sh-box\" aria-hidden=\"true\">"
                            "%s</span><div><p class=\"sh-name\"><span class=\"sh-st\">%s: "
                            "</span>",
                            marks[m].status, marks[m].mark, marks[m].label);
        rc |= mc_buf_put_html(b, str(it, "name"));
        if (n > 1)
            rc |= mc_buf_printf(b, " <span class=\"sh-count\">(%lld bản)</span>", (long long)n);
        rc |= verify_mark(b, json_is_true(json_object_get(it, "verify")));
        rc |= mc_buf_puts(b, "</p>");
        if (str(it, "form")[0]) {
            rc |= mc_buf_puts(b, "<p class=\"sh-more\">Mẫu: ");
            rc |= mc_buf_put_html(b, str(it, "form"));
            rc |= mc_buf_puts(b, "</p>");
        }
        if (m == 1 || m == 2) {
            if (str(it, "how_to_get")[0]) {
                rc |= mc_buf_puts(b, "<p class=\"sh-more\">Cách có: ");
                rc |= mc_buf_put_html(b, str(it, "how_to_get"));
                rc |= mc_buf_puts(b, "</p>");
            }
        }
        rc |= mc_buf_puts(b, "</div></li>");
    }
    return rc | mc_buf_puts(b, "</ul>");
}

static int office_html(struct mc_buf *b, const json_t *o)
{
    int rc = 0;

    if (!json_is_object(o) || !str(o, "name")[0])
        return 0;
    rc |=
        mc_buf_puts(b, "<h2>Nơi nộp hồ sơ</h2><dl class=\"facts sh-office\"><dt>Nơi nộp</dt><dd>");
    rc |= mc_buf_put_html(b, str(o, "name"));
    if (str(o, "address")[0]) {
        rc |= mc_buf_puts(b, "</dd><dt>Địa chỉ</dt><dd>");
        rc |= mc_buf_put_html(b, str(o, "address"));
        rc |= verify_mark(b, json_is_true(json_object_get(o, "address_verify")));
    }
    if (str(o, "hours")[0]) {
        rc |= mc_buf_puts(b, "</dd><dt>Giờ làm việc</dt><dd>");
        rc |= mc_buf_put_html(b, str(o, "hours"));
        rc |= verify_mark(b, json_is_true(json_object_get(o, "hours_verify")));
    }
    if (str(o, "phone")[0] || str(o, "hotline")[0]) {
        rc |= mc_buf_puts(b, "</dd><dt>Điện thoại</dt><dd>");
        rc |= mc_buf_put_html(b, str(o, str(o, "phone")[0] ? "phone" : "hotline"));
    }
    return rc | mc_buf_puts(b, "</dd></dl>");
}

int share_page_html(const struct kb *kb, const json_t *snap, const char *url, const char *png_path,
                    unsigned ttl_days, struct mc_buf *b)
{
    const char *commune = kb ? kb_commune_name(kb, kb_default_locality(kb, "")) : NULL;
    const json_t *reasons = json_object_get(snap, "return_reasons"), *x;
    size_t i;
    int rc = 0;

    rc |= mc_buf_puts(b, "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
                         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                         "<meta name=\"robots\" content=\"noindex\"><title>Danh sách hồ sơ: ");
    rc |= mc_buf_put_html(b, str(snap, "title"));
    rc |= mc_buf_puts(b, "</title><link rel=\"stylesheet\" href=\"/guide.css\">"
                         "<link rel=\"stylesheet\" href=\"/share.css\">"
                         "<script src=\"/share.js\" defer></script></head><body><main>");
    if (commune) {
        rc |= mc_buf_puts(b, "<p class=\"commune\">");
        rc |= mc_buf_put_html(b, commune);
        rc |= mc_buf_puts(b, "</p>");
    }
    rc |= mc_buf_puts(b, "<p class=\"crumb\">Danh sách hồ sơ cần chuẩn bị</p><h1>");
    rc |= mc_buf_put_html(b, str(snap, "title"));
    rc |= mc_buf_puts(b, "</h1>");
    rc |=
        summary(b, json_object_get(snap, "items"), json_is_true(json_object_get(snap, "complete")));
    rc |= items_html(b, json_object_get(snap, "items"));
    if (json_array_size(reasons)) {
        rc |= mc_buf_puts(b, "<h2>Lý do hồ sơ hay bị trả lại</h2><ul>");
        json_array_foreach(reasons, i, x)
        {
            rc |= mc_buf_puts(b, "<li>");
            rc |= mc_buf_put_html(b, json_string_value(x) ? json_string_value(x) : "");
            rc |= mc_buf_puts(b, "</li>");
        }
        rc |= mc_buf_puts(b, "</ul>");
    }
    rc |= office_html(b, json_object_get(snap, "office"));
    rc |=
        mc_buf_puts(b, "<div class=\"sh-actions noprint\" role=\"group\" aria-label=\"Lưu và chia "
                       "sẻ\"><button type=\"button\" data-share>Chia sẻ qua Zalo</button>"
                       "<a class=\"sh-btn\" download=\"danh-sach-ho-so.png\" href=\"");
    rc |= mc_buf_put_html(b, png_path);
    rc |= mc_buf_puts(b, "\">Lưu ảnh</a><button type=\"button\" data-print>In trang này</button>"
                         "<p class=\"sh-status\" role=\"status\" aria-live=\"polite\"></p></div>");
    if (url) {
        struct mc_buf svg;

        mc_buf_init(&svg, SHARE_SVG_MAX);
        if (qr_svg(url, &svg) == 0) { /* without a QR the page is still whole */
            rc |= mc_buf_puts(b, "<figure class=\"sh-qr\">");
            rc |= mc_buf_append(b, svg.data, svg.len);
            rc |= mc_buf_puts(b, "<figcaption>Quét mã để mở lại danh sách này trên điện thoại:"
                                 "<br><span class=\"sh-url\">");
            rc |= mc_buf_put_html(b, url);
            rc |= mc_buf_puts(b, "</span></figcaption></figure>");
        }
        mc_buf_fini(&svg);
    }
    rc |= mc_buf_puts(b, "<p class=\"meta\">");
    if (str(snap, "reviewed")[0]) {
        rc |= mc_buf_puts(b, "Hướng dẫn được cán bộ rà soát ngày ");
        rc |= mc_buf_put_html(b, str(snap, "reviewed"));
    } else {
        rc |= mc_buf_puts(b, "Hướng dẫn này chưa được cán bộ rà soát");
    }
    rc |= mc_buf_printf(b,
                        ". Danh sách do trợ lý tự động lập theo câu trả lời của bạn; cán bộ tiếp "
                        "nhận sẽ kiểm tra lại hồ sơ. Liên kết này hết hạn sau %u ngày kể từ khi "
                        "tạo. <a href=\"",
                        ttl_days);
    rc |= mc_buf_put_html(b, str(snap, "url"));
    rc |= mc_buf_puts(b, "\">Xem hướng dẫn đầy đủ</a></p></main></body></html>\n");
    return rc ? -E2BIG : 0;
}

/* ---- the route ---------------------------------------------------------- */

/* host[:port] of a loopback name: a QR of it is harmless (it opens nothing
 * elsewhere), so a page opened on the machine itself gets one without
 * site.public_url. Any other Host is the client's word, never encoded. */
static bool is_loopback_host(const char *h)
{
    static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);

        if (strncmp(h, names[i], n) == 0 &&
            (!h[n] ||
             (h[n] == ':' && h[n + 1] && strspn(h + n + 1, "0123456789") == strlen(h + n + 1) &&
              strlen(h + n + 1) <= 5)))
            return true;
    }
    return false;
}

/* The page's absolute URL into url, or false when it is not known. */
static bool page_url(struct gw *gw, struct lws *wsi, const char *path, char *url, size_t cap)
{
    char host[128];
    int n;

    if (gw->cfg->site_public_url[0])
        n = snprintf(url, cap, "%s%s", gw->cfg->site_public_url, path);
    else if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) > 0 && is_loopback_host(host))
        n = snprintf(url, cap, "http://%s%s", host, path);
    else
        return false;
    return n > 0 && (size_t)n < cap;
}

int share_http_route(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    char token[STORE_SHARE_TOKEN_LEN + 8], path[sizeof SHARE_PREFIX + sizeof token];
    char png_path[sizeof path + 4], url[SHARE_URL_MAX];
    const char *rest = r->path + sizeof SHARE_PREFIX - 1;
    size_t n = strlen(rest);
    bool png = n > 4 && strcmp(rest + n - 4, ".png") == 0;
    char *body = NULL;
    json_t *snap = NULL;
    struct mc_buf out;
    int rc;

    if (r->method != HTTP_GET && r->method != HTTP_HEAD)
        return http_respond(gw, wsi, r, 405, "application/json",
                            LIT("{\"error\":\"method\",\"message\":\"Use GET.\"}"), NULL);
    if (png)
        n -= 4;
    rc = n < sizeof token ? 0 : -ENOENT;
    if (!rc) {
        memcpy(token, rest, n);
        token[n] = '\0';
        rc = store_share_get(gw->store, token, (int64_t)time(NULL), &body);
    }
    if (rc == 0 && !(snap = json_loads(body, 0, NULL)))
        rc = -EIO;
    free(body);
    if (rc == -ENOENT)
        return png ? http_respond(gw, wsi, r, 404, "application/json", LIT(SHARE_404_JSON), NULL)
                   : http_respond(gw, wsi, r, 404, "text/html; charset=utf-8", LIT(SHARE_404_PAGE),
                                  NULL);
    if (rc)
        return http_respond(gw, wsi, r, 503, "application/json",
                            LIT("{\"error\":\"internal\",\"message\":\"The state database "
                                "failed.\"}"),
                            NULL);
    snprintf(path, sizeof path, SHARE_PREFIX "%s", token);
    snprintf(png_path, sizeof png_path, "%s.png", path);
    if (png) { /* drawn off the loop (share_render.h) */
        char key[sizeof token + SHARE_URL_MAX + 2];
        bool has_url = page_url(gw, wsi, path, url, sizeof url);

        snprintf(key, sizeof key, "%s %s", token, has_url ? url : "");
        rc = share_render_answer(gw, wsi, key, snap,
                                 gw->kb ? kb_commune_name(gw->kb, kb_default_locality(gw->kb, ""))
                                        : NULL,
                                 has_url ? url : NULL);
        json_decref(snap);
        if (rc == -EBUSY)
            return http_respond(gw, wsi, r, 503, "application/json",
                                LIT("{\"error\":\"busy\",\"message\":\"Too many pictures are "
                                    "being drawn; try again in a moment.\"}"),
                                "retry-after: 2");
        return rc;
    }
    mc_buf_init(&out, SHARE_PAGE_MAX);
    rc = share_page_html(gw->kb, snap, page_url(gw, wsi, path, url, sizeof url) ? url : NULL,
                         png_path, gw->cfg->share_ttl_days, &out);
    json_decref(snap);
    if (rc) {
        mc_buf_fini(&out);
        mc_log(MC_LOG_WARN, "share.render", "kind=html rc=%d", rc);
        return http_respond(gw, wsi, r, 503, "application/json",
                            LIT("{\"error\":\"internal\",\"message\":\"Cannot draw this "
                                "checklist.\"}"),
                            NULL);
    }
    rc = http_respond(gw, wsi, r, 200, "text/html; charset=utf-8", out.data, out.len,
                      "x-robots-tag: noindex");
    mc_buf_fini(&out);
    return rc;
}
