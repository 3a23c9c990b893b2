/* gateway/share_png.c - the checklist's picture (share_png, share.h): drawn
 * with Pango on cairo, so Vietnamese (stacked diacritics, "ệ", "ữ") is
 * shaped by HarfBuzz from a real font (fonts-dejavu-core) rather than by a
 * glyph table of our own. Drawn twice: once to measure the height, once on
 * a surface of that height. CPU only, bounded by the snapshot's limits. */
#include "share.h"

#include <cairo.h>
#include <errno.h>
#include <jansson.h>
#include <pango/pangocairo.h>
#include <qrencode.h>
#include <stdbool.h>
#include <string.h>

#include "qr.h"

#define PAD 64.0    /* pixels of margin */
#define BOX 44.0    /* pixels: an item's check box */
#define GAP 22.0    /* pixels between blocks */
#define QR_PX 420.0 /* pixels: the QR code's side, quiet zone included */
#define QR_QUIET 4  /* modules of white border (the QR standard) */
#define FONTS "DejaVu Sans, Noto Sans, sans-serif"

struct pen {
    cairo_t *cr;
    PangoLayout *lay;
    double y; /* the next line's top */
};

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? s : "";
}

static void rgb(cairo_t *cr, unsigned c)
{
    cairo_set_source_rgb(cr, (c >> 16) / 255.0, (c >> 8 & 255) / 255.0, (c & 255) / 255.0);
}

/* Draws s wrapped to width at (x, p->y); returns its height in pixels. */
static double text_at(struct pen *p, const char *s, double size, bool bold, unsigned color,
                      double x, double width)
{
    PangoFontDescription *fd = pango_font_description_from_string(FONTS);
    int h = 0;

    if (fd) {
        pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
        pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
        pango_layout_set_font_description(p->lay, fd);
        pango_font_description_free(fd);
    }
    pango_layout_set_width(p->lay, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(p->lay, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_text(p->lay, s, -1);
    rgb(p->cr, color);
    cairo_move_to(p->cr, x, p->y);
    pango_cairo_show_layout(p->cr, p->lay);
    pango_layout_get_pixel_size(p->lay, NULL, &h);
    return h;
}

/* A full-width paragraph; moves the pen below it. */
static void para(struct pen *p, const char *s, double size, bool bold, unsigned color, double after)
{
    p->y += text_at(p, s, size, bold, color, PAD, SHARE_PNG_WIDTH - 2 * PAD) + after;
}

static void check_box(cairo_t *cr, double x, double y, const char *status)
{
    bool ready = strcmp(status, "ready") == 0, none = strcmp(status, "not_needed") == 0;

    cairo_set_line_width(cr, 4);
    rgb(cr, ready ? 0x1b6e2d : none ? 0x6b7280 : 0xa11d21);
    cairo_rectangle(cr, x, y, BOX, BOX);
    cairo_stroke(cr);
    if (ready) { /* a tick */
        cairo_set_line_width(cr, 6);
        cairo_move_to(cr, x + 9, y + BOX / 2);
        cairo_line_to(cr, x + BOX / 2 - 2, y + BOX - 10);
        cairo_line_to(cr, x + BOX - 7, y + 9);
        cairo_stroke(cr);
    } else if (none) { /* a dash: not needed for this dossier */
        cairo_move_to(cr, x + 10, y + BOX / 2);
        cairo_line_to(cr, x + BOX - 10, y + BOX / 2);
        cairo_stroke(cr);
    }
}

static const char *label_of(const char *status)
{
    return strcmp(status, "ready") == 0        ? "Đã có: "
           : strcmp(status, "missing") == 0    ? "Còn thiếu: "
           : strcmp(status, "not_needed") == 0 ? "Không cần: "
                                               : "Chưa rõ: ";
}

static void items(struct pen *p, const json_t *list)
{
    const double x = PAD + BOX + 28, width = SHARE_PNG_WIDTH - PAD - x;
    const json_t *it;
    size_t i;

    json_array_foreach(list, i, it)
    {
        const char *status = str(it, "status");
        json_int_t n = json_integer_value(json_object_get(it, "count"));
        char line[SHARE_TEXT_CHARS * 4 + 200];
        double top = p->y;

        snprintf(line, sizeof line, "%s%s%s%s", label_of(status), str(it, "name"),
                 n > 1 ? (n == 2 ? " (2 bản)" : " (nhiều bản)") : "",
                 json_is_true(json_object_get(it, "verify")) ? " (đang chờ cán bộ xác minh)" : "");
        check_box(p->cr, PAD, top + 2, status);
        p->y += text_at(p, line, 36, false, 0x1a1a1a, x, width);
        if ((strcmp(status, "missing") == 0 || strcmp(status, "unknown") == 0) &&
            str(it, "how_to_get")[0]) {
            snprintf(line, sizeof line, "Cách có: %s", str(it, "how_to_get"));
            p->y += 6 + text_at(p, line, 28, false, 0x4a5260, x, width);
        }
        if (p->y < top + BOX + 4)
            p->y = top + BOX + 4;
        p->y += GAP;
    }
}

static void office(struct pen *p, const json_t *o)
{
    char line[SHARE_TEXT_CHARS * 4 + 64];

    if (!json_is_object(o) || !str(o, "name")[0])
        return;
    cairo_set_line_width(p->cr, 2);
    rgb(p->cr, 0xc5ccd6);
    cairo_move_to(p->cr, PAD, p->y);
    cairo_line_to(p->cr, SHARE_PNG_WIDTH - PAD, p->y);
    cairo_stroke(p->cr);
    p->y += GAP;
    para(p, str(o, "name"), 34, true, 0x1f3a5f, 8);
    if (str(o, "address")[0]) {
        snprintf(line, sizeof line, "Địa chỉ: %s%s", str(o, "address"),
                 json_is_true(json_object_get(o, "address_verify")) ? " (đang chờ xác minh)" : "");
        para(p, line, 30, false, 0x1a1a1a, 8);
    }
    if (str(o, "hours")[0]) {
        snprintf(line, sizeof line, "Giờ làm việc: %s%s", str(o, "hours"),
                 json_is_true(json_object_get(o, "hours_verify")) ? " (đang chờ xác minh)" : "");
        para(p, line, 30, false, 0x1a1a1a, 8);
    }
    if (str(o, "phone")[0] || str(o, "hotline")[0]) {
        snprintf(line, sizeof line, "Điện thoại: %s",
                 str(o, str(o, "phone")[0] ? "phone" : "hotline"));
        para(p, line, 30, false, 0x1a1a1a, 8);
    }
    p->y += GAP;
}

/* The QR code of url, centred, with the URL under it. */
static void qr_block(struct pen *p, const QRcode *qr, const char *url)
{
    int size = qr->width + 2 * QR_QUIET;
    double m = QR_PX / size, x0 = (SHARE_PNG_WIDTH - QR_PX) / 2;

    rgb(p->cr, 0x000000);
    for (int y = 0; y < qr->width; y++)
        for (int x = 0; x < qr->width; x++)
            if (qr->data[y * qr->width + x] & 1)
                cairo_rectangle(p->cr, x0 + (x + QR_QUIET) * m, p->y + (y + QR_QUIET) * m, m, m);
    cairo_fill(p->cr);
    p->y += QR_PX + 4;
    para(p, "Quét mã để mở lại danh sách này:", 28, false, 0x4a5260, 2);
    para(p, url, 26, false, 0x0a4aa8, GAP);
}

static double draw(cairo_t *cr, PangoFontMap *fm, const json_t *snap, const char *commune,
                   const QRcode *qr, const char *url)
{
    PangoContext *ctx = pango_font_map_create_context(fm);
    struct pen p = {cr, NULL, PAD};

    if (!ctx)
        return -1;
    pango_cairo_update_context(cr, ctx);
    p.lay = pango_layout_new(ctx);
    g_object_unref(ctx); /* the layout holds it */
    if (!p.lay)
        return -1;
    rgb(cr, 0xffffff);
    cairo_paint(cr);
    rgb(cr, 0xa11d21); /* the red band of the commune's pages */
    cairo_rectangle(cr, 0, 0, SHARE_PNG_WIDTH, 16);
    cairo_fill(cr);
    if (commune && commune[0])
        para(&p, commune, 30, true, 0x1f3a5f, 4);
    para(&p, "Danh sách hồ sơ cần chuẩn bị", 30, false, 0x4a5260, 8);
    para(&p, str(snap, "title"), 50, true, 0x7d1418, GAP);
    items(&p, json_object_get(snap, "items"));
    office(&p, json_object_get(snap, "office"));
    if (qr)
        qr_block(&p, qr, url);
    para(&p,
         str(snap, "reviewed")[0] ? "Do trợ lý tự động lập; cán bộ tiếp nhận sẽ kiểm tra lại hồ sơ."
                                  : "Hướng dẫn này chưa được cán bộ rà soát. Do trợ lý tự động "
                                    "lập; cán bộ tiếp nhận sẽ kiểm tra lại hồ sơ.",
         24, false, 0x4a5260, 0);
    g_object_unref(p.lay);
    return p.y + PAD;
}

static cairo_status_t to_buf(void *closure, const unsigned char *data, unsigned int len)
{
    return mc_buf_append(closure, data, len) ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

int share_png(const json_t *snap, const char *commune, const char *url, struct mc_buf *out)
{
    cairo_surface_t *s = NULL;
    cairo_t *cr = NULL;
    QRcode *qr = NULL;
    /* a font map of this picture's own, not Pango's per-thread default: its
     * fontconfig patterns are freed with it, so nothing grows or is left
     * behind between pictures (LeakSanitizer checks the server at exit) */
    PangoFontMap *fm = pango_cairo_font_map_new();
    double h;
    int rc = -ENOMEM;

    if (url && strlen(url) <= QR_TEXT_MAX)
        qr = QRcode_encodeString(url, 0, QR_ECLEVEL_M, QR_MODE_8, 1); /* NULL: no QR */
    s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);         /* to measure */
    cr = cairo_create(s);
    if (!fm || cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        goto out;
    h = draw(cr, fm, snap, commune, qr, url);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    cr = NULL;
    s = NULL;
    if (h <= 0)
        goto out;
    if (h > SHARE_PNG_HEIGHT_MAX)
        h = SHARE_PNG_HEIGHT_MAX; /* the page has the rest */
    s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, SHARE_PNG_WIDTH, (int)h);
    cr = cairo_create(s);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS || draw(cr, fm, snap, commune, qr, url) <= 0)
        goto out;
    cairo_surface_flush(s);
    rc = cairo_surface_write_to_png_stream(s, to_buf, out) == CAIRO_STATUS_SUCCESS ? 0 : -E2BIG;
out:
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    QRcode_free(qr);
    if (fm)
        g_object_unref(fm);
    return rc;
}
