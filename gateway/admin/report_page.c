/* gateway/admin/report_page.c - the report page /admin/bao-cao: one HTML
 * document in Vietnamese, readable without JavaScript, the charts drawn here
 * as inline SVG (no CDN, no script), a GET form for the dates, and a print
 * stylesheet that fits "Báo cáo tuần" on one A4 page. Every text from the
 * data is HTML-escaped. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mc_buf.h"

#define PAGE_MAX (2 * 1024 * 1024) /* bytes; a year's page is ~150 KiB */
#define CHART_W 480                /* SVG user units: about the column's pixels */
#define ROW_H 46                   /* a horizontal bar's row: its label above, the bar */

static const char css[] =
    "body{font-family:system-ui,'Segoe UI',Roboto,Arial,sans-serif;font-size:18px;"
    "line-height:1.45;color:#1a1a1a;margin:0 auto;max-width:1000px;padding:16px}"
    "h1{font-size:30px;margin:0 0 4px}h2{font-size:22px;margin:24px 0 8px}"
    ".sub{color:#444;margin:0 0 16px}"
    "form{display:flex;flex-wrap:wrap;gap:12px;align-items:end;background:#f3f6fa;"
    "padding:12px;border-radius:8px}label{display:flex;flex-direction:column;font-size:16px}"
    "input,button{font-size:18px;padding:6px 10px}button{background:#0b5cad;color:#fff;"
    "border:0;border-radius:6px}.dl a{margin-right:16px;font-size:17px}"
    ".err{background:#fde8e8;border-left:6px solid #c62828;padding:10px 14px;margin:12px 0}"
    ".tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px}"
    ".tile{border:1px solid #cfd8e3;border-radius:8px;padding:10px 12px}"
    ".tile b{display:block;font-size:30px}.tile span{font-size:15px;color:#333}"
    ".grid{display:grid;grid-template-columns:1fr 1fr;gap:8px 24px}"
    "svg{width:100%;height:auto}svg text{font-family:inherit}"
    ".note{font-size:15px;color:#555}"
    "@media (max-width:720px){.grid{grid-template-columns:1fr}}"
    "@media print{@page{size:A4 portrait;margin:10mm}body{font-size:11pt;max-width:none;"
    "padding:0}form,.dl,.noprint{display:none}h1{font-size:18pt}h2{font-size:12pt;margin:8px 0 "
    "4px}.tile{padding:4px 8px}.tile b{font-size:16pt}.tile span{font-size:9pt}"
    ".tiles{grid-template-columns:repeat(5,1fr);gap:6px}.grid{grid-template-columns:1fr 1fr}"
    "section{break-inside:avoid}.note{font-size:8pt}}";

/* "2026-12-01" as "01/12/2026", as Vietnamese dates are written. */
static void vn_date(const char *iso, char out[REPORT_DATE_LEN + 1])
{
    snprintf(out, REPORT_DATE_LEN + 1, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
}

static uint64_t max_of(const uint64_t *v, size_t n)
{
    uint64_t m = 0;
    size_t i;

    for (i = 0; i < n; i++)
        if (v[i] > m)
            m = v[i];
    return m;
}

/* Vertical bars: one per label, value on top when they are wide enough. */
static int vbars(struct mc_buf *b, const char *title, const char *const *labels, const uint64_t *v,
                 size_t n, size_t label_every)
{
    const int h = 230, top = 22, base = 196;
    uint64_t m = max_of(v, n);
    double w = n ? (double)(CHART_W - 20) / (double)n : 0, bh;
    size_t i;
    int rc;

    rc = mc_buf_printf(b, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", CHART_W, h);
    rc = rc ? rc : mc_buf_put_html(b, title);
    rc = rc ? rc
            : mc_buf_printf(b,
                            "\"><line x1=\"10\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                            "stroke=\"#888\"/>",
                            base, CHART_W - 10, base);
    for (i = 0; !rc && i < n; i++) {
        bh = m ? (double)v[i] * (base - top) / (double)m : 0;
        rc = mc_buf_printf(b,
                           "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                           "fill=\"#0b5cad\"><title>%s: %" PRIu64 "</title></rect>",
                           10 + i * w + w * 0.1, base - bh, w * 0.8, bh, labels[i], v[i]);
        if (!rc && v[i] && w >= 16)
            rc = mc_buf_printf(b,
                               "<text x=\"%.1f\" y=\"%.1f\" font-size=\"15\" "
                               "text-anchor=\"middle\">%" PRIu64 "</text>",
                               10 + i * w + w / 2, base - bh - 4, v[i]);
        if (!rc && i % label_every == 0)
            rc = mc_buf_printf(b,
                               "<text x=\"%.1f\" y=\"%d\" font-size=\"15\" "
                               "text-anchor=\"middle\">%s</text>",
                               10 + i * w + w / 2, base + 22, labels[i]);
    }
    return rc ? rc : mc_buf_puts(b, "</svg>");
}

/* Horizontal bars: each label on its own line (a procedure's name is long),
 * the bar and its value under it. */
static int hbars(struct mc_buf *b, const char *title, const char *const *labels, const uint64_t *v,
                 size_t n)
{
    const int h = (int)n * ROW_H + 8;
    uint64_t m = max_of(v, n);
    double bw;
    size_t i;
    int rc;

    rc = mc_buf_printf(b, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", CHART_W,
                       h < 40 ? 40 : h);
    rc = rc ? rc : mc_buf_put_html(b, title);
    rc = rc ? rc : mc_buf_puts(b, "\">");
    if (!rc && n == 0)
        rc = mc_buf_puts(b, "<text x=\"0\" y=\"26\" font-size=\"17\">Chưa có dữ liệu</text>");
    for (i = 0; !rc && i < n; i++) {
        bw = m ? (double)v[i] * (CHART_W - 60) / (double)m : 0;
        rc = mc_buf_printf(b, "<text x=\"0\" y=\"%d\" font-size=\"17\">", (int)i * ROW_H + 18);
        rc = rc ? rc : mc_buf_put_html(b, labels[i]);
        rc = rc ? rc
                : mc_buf_printf(b,
                                "</text><rect x=\"0\" y=\"%d\" width=\"%.1f\" height=\"18\" "
                                "fill=\"#2e7d32\"/><text x=\"%.1f\" y=\"%d\" font-size=\"17\" "
                                "font-weight=\"bold\">%" PRIu64 "</text>",
                                (int)i * ROW_H + 24, bw, bw + 6, (int)i * ROW_H + 40, v[i]);
    }
    return rc ? rc : mc_buf_puts(b, "</svg>");
}

static int tile(struct mc_buf *b, const char *value, const char *label)
{
    return mc_buf_printf(b, "<div class=\"tile\"><b>%s</b><span>%s</span></div>", value, label);
}

static int share(struct mc_buf *b, uint64_t part, uint64_t whole, const char *label)
{
    char v[32];

    snprintf(v, sizeof(v), "%" PRIu64 " (%.0f%%)", part,
             whole ? 100.0 * (double)part / (double)whole : 0.0);
    return tile(b, v, label);
}

static int num_tile(struct mc_buf *b, uint64_t n, const char *label)
{
    char v[32];

    snprintf(v, sizeof(v), "%" PRIu64, n);
    return tile(b, v, label);
}

static int tiles(struct mc_buf *b, const struct report *r)
{
    uint64_t typed = r->match + r->clarify + r->none;
    char v[64];
    int rc = mc_buf_puts(b, "<section><div class=\"tiles\">");

    rc = rc ? rc : num_tile(b, r->conversations, "cuộc hội thoại");
    rc = rc ? rc : num_tile(b, r->messages_in, "tin nhắn của người dân");
    rc = rc ? rc : share(b, r->match, typed, "trả lời được");
    rc = rc ? rc : share(b, r->clarify, typed, "hỏi lại cho rõ");
    rc = rc ? rc : share(b, r->none, typed, "chưa trả lời được");
    snprintf(v, sizeof(v), "%" PRIu64 " / %" PRIu64, r->precheck_completed, r->precheck_started);
    rc = rc ? rc : tile(b, v, "kiểm tra hồ sơ: hoàn tất / bắt đầu");
    if (r->handoffs.available) {
        snprintf(v, sizeof(v), "%" PRIu64 " / %" PRIu64, r->handoffs.answered,
                 r->handoffs.requested);
        rc = rc ? rc : tile(b, v, "gặp cán bộ: đã trả lời / yêu cầu");
        snprintf(v, sizeof(v), "%.0f phút", r->handoffs.median_wait_s / 60.0);
        rc = rc ? rc : tile(b, v, "thời gian chờ cán bộ (trung vị)");
    } else {
        rc = rc ? rc : tile(b, "—", "gặp cán bộ: chưa có chức năng");
    }
    if (r->feedback_available) {
        snprintf(v, sizeof(v), "%" PRIu64 " 👍 / %" PRIu64 " 👎", r->feedback_up, r->feedback_down);
        rc = rc ? rc : tile(b, v, "đánh giá của người dân");
    } else {
        rc = rc ? rc : tile(b, "—", "đánh giá: chưa có chức năng");
    }
    return rc ? rc : mc_buf_puts(b, "</div></section>");
}

static int charts(struct mc_buf *b, const struct report *r)
{
    const char *labels[REPORT_DAYS_MAX];
    uint64_t v[REPORT_DAYS_MAX];
    char hours[24][4], days[REPORT_DAYS_MAX][6];
    size_t i;
    int rc;

    for (i = 0; i < r->n_days; i++) {
        snprintf(days[i], sizeof(days[i]), "%.2s/%.2s", r->days[i].key + 8, r->days[i].key + 5);
        labels[i] = days[i];
        v[i] = r->days[i].messages;
    }
    rc = mc_buf_puts(b, "<div class=\"grid\"><section><h2>Tin nhắn theo ngày</h2>");
    rc = rc ? rc
            : vbars(b, "Tin nhắn theo ngày", labels, v, r->n_days,
                    r->n_days > 7 ? (r->n_days + 6) / 7 : 1);
    for (i = 0; i < r->n_channels; i++) {
        labels[i] = r->channels[i].key;
        v[i] = r->channels[i].messages;
    }
    rc = rc ? rc : mc_buf_puts(b, "</section><section><h2>Tin nhắn theo kênh</h2>");
    rc = rc ? rc : hbars(b, "Tin nhắn theo kênh", labels, v, r->n_channels);
    for (i = 0; i < r->n_top; i++) {
        labels[i] = r->top[i].name[0] ? r->top[i].name : r->top[i].key;
        v[i] = r->top[i].conversations;
    }
    rc = rc ? rc
            : mc_buf_puts(b, "</section><section><h2>Thủ tục được hỏi nhiều nhất</h2>"
                             "<p class=\"note\">số cuộc hội thoại về thủ tục</p>");
    rc = rc ? rc : hbars(b, "Thủ tục được hỏi nhiều nhất", labels, v, r->n_top);
    for (i = 0; i < 24; i++) {
        snprintf(hours[i], sizeof(hours[i]), "%zu", i);
        labels[i] = hours[i];
        v[i] = r->hours[i];
    }
    rc = rc ? rc
            : mc_buf_puts(b, "</section><section><h2>Giờ cao điểm</h2>"
                             "<p class=\"note\">tin nhắn theo giờ trong ngày</p>");
    rc = rc ? rc : vbars(b, "Tin nhắn theo giờ", labels, v, 24, 3);
    return rc ? rc : mc_buf_puts(b, "</section></div>");
}

int report_page_html(const struct report *r, const char *from, const char *to, const char *error,
                     const char *who, char **out, size_t *len)
{
    struct mc_buf b;
    char f[REPORT_DATE_LEN + 1], t[REPORT_DATE_LEN + 1];
    int rc;

    mc_buf_init(&b, PAGE_MAX);
    rc = mc_buf_printf(&b,
                       "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
                       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                       "<title>Báo cáo tuần</title><style>%s</style></head><body>"
                       "<h1>Báo cáo tuần</h1>",
                       css);
    if (!rc && r) {
        vn_date(r->from, f);
        vn_date(r->to, t);
        rc = mc_buf_printf(&b, "<p class=\"sub\">Từ ngày %s đến ngày %s (giờ %s)", f, t,
                           r->timezone);
    } else if (!rc) {
        rc = mc_buf_puts(&b, "<p class=\"sub\">");
    }
    if (!rc && who && who[0]) {
        rc = mc_buf_puts(&b, " · người xem: ");
        rc = rc ? rc : mc_buf_put_html(&b, who);
    }
    rc = rc ? rc
            : mc_buf_puts(&b, "</p><form method=\"get\" action=\"/admin/bao-cao\">"
                              "<label>Từ ngày<input type=\"date\" name=\"from\" value=\"");
    rc = rc ? rc : mc_buf_put_html(&b, from ? from : "");
    rc = rc ? rc
            : mc_buf_puts(&b, "\" required></label><label>Đến ngày<input type=\"date\" "
                              "name=\"to\" value=\"");
    rc = rc ? rc : mc_buf_put_html(&b, to ? to : "");
    rc = rc ? rc : mc_buf_puts(&b, "\" required></label><button>Xem báo cáo</button></form>");
    if (!rc && error) {
        rc = mc_buf_puts(&b, "<p class=\"err\" role=\"alert\">");
        rc = rc ? rc : mc_buf_put_html(&b, error);
        rc = rc ? rc : mc_buf_puts(&b, "</p>");
    }
    if (!rc && r)
        rc = mc_buf_printf(&b,
                           "<p class=\"dl\"><a href=\"/api/v1/reports?from=%s&amp;to=%s&amp;"
                           "format=xlsx\">Tải về Excel (.xlsx)</a><a href=\"/api/v1/reports?"
                           "from=%s&amp;to=%s&amp;format=csv\">Tải về CSV</a><a href=\"/api/"
                           "v1/reports?from=%s&amp;to=%s\">JSON</a></p>",
                           r->from, r->to, r->from, r->to, r->from, r->to);
    rc = rc || !r ? rc : tiles(&b, r);
    rc = rc || !r ? rc : charts(&b, r);
    rc = rc ? rc
            : mc_buf_puts(&b, "<p class=\"note\">Số liệu lấy từ nhật ký hội thoại của hệ thống "
                              "(docs/reports.md).</p></body></html>\n");
    if (rc) {
        mc_buf_fini(&b);
        return rc == -E2BIG ? -ENOMEM : rc;
    }
    *len = b.len;
    *out = mc_buf_steal(&b);
    return *out ? 0 : -ENOMEM;
}
