/* gateway/page_office.c - the office block and the QR code of a guide page
 * (page_int.h). The office is the deployment's commune (locality.default,
 * else the office admins set up in the console) as kb_office() serves it:
 * the reviewed data/offices file with the console's corrections over it,
 * the same facts the bot answers with, so page and bot never disagree. A
 * fact not yet confirmed by an official says so; a missing one is never
 * invented. */
#include <jansson.h>
#include <string.h>

#include "kb.h"
#include "kb_local.h"
#include "kb_office.h"
#include "page_int.h"
#include "qr.h"

#define PAGE_QR_SVG_MAX (256 * 1024) /* bytes; a QR of QR_TEXT_MAX bytes is ~100 KiB of path */
#define PAGE_COUNTERS_MAX 20         /* counters listed; an office has a handful */

static const char *text_of(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? s : "";
}

/* One fact {"text": string|null, "verify": bool} as <dt>/<dd>. */
static int fact(struct mc_buf *b, const char *title, const json_t *f)
{
    const char *t = json_string_value(json_object_get(f, "text"));
    int rc = 0;

    if (!f)
        return 0;
    rc |= mc_buf_puts(b, "<dt>");
    rc |= mc_buf_put_html(b, title);
    rc |= mc_buf_puts(b, "</dt><dd>");
    rc |= mc_buf_put_html(b, t && t[0] ? t : "Chưa có thông tin");
    rc |= page_verify_mark(b, f);
    rc |= mc_buf_puts(b, "</dd>");
    return rc;
}

/* "counters": the desks of the centre as the office data lists them
 * ({"number", "name", "domains"?}, checked by kb_office.c), shown as the
 * kiosk and the bot name them: "Quầy 1: Hộ tịch, chứng thực". Absent in the
 * shipped data until a commune lists them. */
static int counters(struct mc_buf *b, const json_t *arr)
{
    const json_t *x;
    size_t i;
    int rc = 0;

    if (!json_array_size(arr))
        return 0;
    rc |= mc_buf_puts(b, "<dt>Quầy tiếp nhận</dt><dd><ul class=\"counters\">");
    json_array_foreach(arr, i, x)
    {
        const char *num = text_of(x, "number"), *name = text_of(x, "name");

        if (i >= PAGE_COUNTERS_MAX)
            break;
        if (!num[0] || !name[0])
            continue;
        rc |= mc_buf_puts(b, "<li>Quầy ");
        rc |= mc_buf_put_html(b, num);
        rc |= mc_buf_puts(b, ": ");
        rc |= mc_buf_put_html(b, name);
        rc |= mc_buf_puts(b, "</li>");
    }
    rc |= mc_buf_puts(b, "</ul></dd>");
    return rc;
}

int page_office_block(struct mc_buf *b, const struct kb *kb)
{
    const char *code = kb_default_locality(kb, ""), *map;
    const json_t *o = code[0] ? kb_office(kb, code) : NULL, *phone;
    int rc = 0;

    if (!o)
        return 0;
    rc |= mc_buf_puts(b, "<section class=\"office\" aria-labelledby=\"office-h\">"
                         "<h2 id=\"office-h\">Nơi tiếp nhận hồ sơ</h2><p class=\"office-name\">");
    rc |= mc_buf_put_html(b, text_of(o, "office_name"));
    rc |= mc_buf_puts(b, "</p><dl class=\"facts\">");
    rc |= fact(b, "Địa chỉ", json_object_get(o, "address"));
    rc |= fact(b, "Giờ làm việc", json_object_get(o, "hours"));
    /* the office's own number when known, else the hotline the bot gives */
    phone = json_object_get(o, "phone");
    if (!json_string_value(json_object_get(phone, "text")))
        phone = json_object_get(o, "hotline") ? json_object_get(o, "hotline") : phone;
    rc |= fact(b, phone == json_object_get(o, "phone") ? "Điện thoại" : "Đường dây hỗ trợ", phone);
    rc |= counters(b, json_object_get(o, "counters"));
    rc |= mc_buf_puts(b, "</dl>");
    map = json_string_value(json_object_get(o, "map_url"));
    if (map && kb_office_https_ok(map)) {
        rc |= mc_buf_puts(b, "<p class=\"noprint\"><a href=\"");
        rc |= mc_buf_put_html(b, map);
        rc |= mc_buf_puts(b, "\">Xem đường đến trên bản đồ</a></p>");
    }
    rc |= mc_buf_puts(b, "</section>");
    return rc;
}

int page_qr(struct mc_buf *b, const char *url)
{
    struct mc_buf svg;
    int rc;

    mc_buf_init(&svg, PAGE_QR_SVG_MAX);
    if (qr_svg(url, &svg)) { /* a page without its QR beats no page */
        mc_buf_fini(&svg);
        return 0;
    }
    rc = mc_buf_puts(b, "<figure class=\"qr\">");
    rc |= mc_buf_append(b, svg.data, svg.len);
    rc |= mc_buf_puts(b, "<figcaption>Quét mã để mở trang này trên điện thoại:<br>"
                         "<span class=\"url\">");
    rc |= mc_buf_put_html(b, url);
    rc |= mc_buf_puts(b, "</span></figcaption></figure>");
    mc_buf_fini(&svg);
    return rc;
}
