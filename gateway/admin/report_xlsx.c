/* gateway/admin/report_xlsx.c - the report as an Excel workbook, written by
 * libxlsxwriter (Debian's libxlsxwriter-dev; a maintained library, no zip of
 * our own). Debian 12's 1.1.4 writes only to a file: the workbook goes to a
 * temporary file that is read back and removed before returning. Sheets:
 * Tổng quan (figures and channels), Theo ngày (with a column chart), Thủ
 * tục, Giờ cao điểm. */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define XLSX_MAX (16 * 1024 * 1024) /* bytes; a year's workbook is well under 100 KiB */

struct sheets {
    lxw_workbook *wb;
    lxw_format *bold;
    lxw_error err; /* the first failure; writes after it are skipped */
};

static void put_s(struct sheets *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s,
                  bool bold)
{
    if (!x->err)
        x->err = worksheet_write_string(ws, r, c, s, bold ? x->bold : NULL);
}

static void put_n(struct sheets *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, double v)
{
    if (!x->err)
        x->err = worksheet_write_number(ws, r, c, v, NULL);
}

static void header(struct sheets *x, lxw_worksheet *ws, const char *const *titles, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        put_s(x, ws, 0, (lxw_col_t)i, titles[i], true);
    if (!x->err)
        x->err = worksheet_set_column(ws, 0, (lxw_col_t)(n - 1), 22, NULL);
}

static void overview(struct sheets *x, lxw_worksheet *ws, const struct report *r)
{
    static const char *const titles[] = {"Chỉ số", "Giá trị"};
    const struct {
        const char *label;
        double v;
    } m[] = {
        {"Cuộc hội thoại", (double)r->conversations},
        {"Tin nhắn của người dân", (double)r->messages_in},
        {"Trả lời được", (double)r->match},
        {"Hỏi lại cho rõ", (double)r->clarify},
        {"Chưa trả lời được", (double)r->none},
        {"Bấm nút", (double)r->buttons},
        {"Kiểm tra hồ sơ: bắt đầu", (double)r->precheck_started},
        {"Kiểm tra hồ sơ: hoàn tất", (double)r->precheck_completed},
        {"Yêu cầu gặp cán bộ", (double)r->handoffs.requested},
        {"Cán bộ đã trả lời", (double)r->handoffs.answered},
        {"Thời gian chờ trung vị (giây)", r->handoffs.median_wait_s},
        {"Đánh giá hữu ích", (double)r->feedback_up},
        {"Đánh giá chưa hữu ích", (double)r->feedback_down},
    };
    lxw_row_t row = 1;
    size_t i;

    header(x, ws, titles, 2);
    put_s(x, ws, row, 0, "Từ ngày", false);
    put_s(x, ws, row++, 1, r->from, false);
    put_s(x, ws, row, 0, "Đến ngày", false);
    put_s(x, ws, row++, 1, r->to, false);
    for (i = 0; i < sizeof(m) / sizeof(m[0]); i++, row++) {
        put_s(x, ws, row, 0, m[i].label, false);
        put_n(x, ws, row, 1, m[i].v);
    }
    row++;
    put_s(x, ws, row, 0, "Kênh", true);
    put_s(x, ws, row, 1, "Cuộc hội thoại", true);
    put_s(x, ws, row++, 2, "Tin nhắn", true);
    for (i = 0; i < r->n_channels; i++, row++) {
        put_s(x, ws, row, 0, r->channels[i].key, false);
        put_n(x, ws, row, 1, (double)r->channels[i].conversations);
        put_n(x, ws, row, 2, (double)r->channels[i].messages);
    }
}

static void by_day(struct sheets *x, lxw_worksheet *ws, const struct report *r)
{
    static const char *const titles[] = {"Ngày", "Cuộc hội thoại", "Tin nhắn"};
    lxw_chart *chart;
    lxw_chart_series *s;
    size_t i;

    header(x, ws, titles, 3);
    for (i = 0; i < r->n_days; i++) {
        put_s(x, ws, (lxw_row_t)i + 1, 0, r->days[i].key, false);
        put_n(x, ws, (lxw_row_t)i + 1, 1, (double)r->days[i].conversations);
        put_n(x, ws, (lxw_row_t)i + 1, 2, (double)r->days[i].messages);
    }
    chart = x->err ? NULL : workbook_add_chart(x->wb, LXW_CHART_COLUMN);
    if (!chart)
        return;
    s = chart_add_series(chart, NULL, NULL);
    if (s) {
        chart_series_set_categories(s, "Theo ngày", 1, 0, (lxw_row_t)r->n_days, 0);
        chart_series_set_values(s, "Theo ngày", 1, 2, (lxw_row_t)r->n_days, 2);
        chart_series_set_name(s, "Tin nhắn");
    }
    x->err = worksheet_insert_chart(ws, 1, 4, chart);
}

static void procedures(struct sheets *x, lxw_worksheet *ws, const struct report *r)
{
    static const char *const titles[] = {"Mã thủ tục", "Tên", "Cuộc hội thoại", "Tin nhắn"};
    size_t i;

    header(x, ws, titles, 4);
    for (i = 0; i < r->n_top; i++) {
        put_s(x, ws, (lxw_row_t)i + 1, 0, r->top[i].key, false);
        put_s(x, ws, (lxw_row_t)i + 1, 1, r->top[i].name, false);
        put_n(x, ws, (lxw_row_t)i + 1, 2, (double)r->top[i].conversations);
        put_n(x, ws, (lxw_row_t)i + 1, 3, (double)r->top[i].messages);
    }
}

static void hours(struct sheets *x, lxw_worksheet *ws, const struct report *r)
{
    static const char *const titles[] = {"Giờ", "Tin nhắn"};
    char h[8];
    int order[24];
    size_t n = report_busiest_hours(r, order), i;

    header(x, ws, titles, 2);
    for (i = 0; i < n; i++) {
        snprintf(h, sizeof(h), "%02d:00", order[i]);
        put_s(x, ws, (lxw_row_t)i + 1, 0, h, false);
        put_n(x, ws, (lxw_row_t)i + 1, 1, (double)r->hours[order[i]]);
    }
}

/* Reads the whole file at path into *out (new, free()). */
static int slurp(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long n;
    int rc = -EIO;

    if (!f)
        return -EIO;
    if (fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || n > XLSX_MAX || fseek(f, 0, SEEK_SET))
        goto out;
    data = malloc((size_t)n);
    if (!data) {
        rc = -ENOMEM;
        goto out;
    }
    if (fread(data, 1, (size_t)n, f) != (size_t)n)
        goto out;
    *out = data;
    *len = (size_t)n;
    data = NULL;
    rc = 0;
out:
    free(data);
    fclose(f);
    return rc;
}

int report_to_xlsx(const struct report *r, char **out, size_t *len)
{
    struct sheets x = {NULL, NULL, LXW_NO_ERROR};
    lxw_worksheet *ws[4];
    const char *tmp = getenv("TMPDIR");
    char path[512];
    int fd, rc = -EIO;

    if (snprintf(path, sizeof(path), "%s/motcua-report-XXXXXX", tmp && tmp[0] ? tmp : "/tmp") >=
        (int)sizeof(path))
        return -EIO;
    fd = mkstemp(path);
    if (fd < 0)
        return -EIO;
    close(fd);
    x.wb = workbook_new(path);
    if (!x.wb)
        goto out;
    x.bold = workbook_add_format(x.wb);
    ws[0] = workbook_add_worksheet(x.wb, "Tổng quan");
    ws[1] = workbook_add_worksheet(x.wb, "Theo ngày");
    ws[2] = workbook_add_worksheet(x.wb, "Thủ tục");
    ws[3] = workbook_add_worksheet(x.wb, "Giờ cao điểm");
    if (!x.bold || !ws[0] || !ws[1] || !ws[2] || !ws[3]) {
        (void)workbook_close(x.wb);
        goto out;
    }
    format_set_bold(x.bold);
    overview(&x, ws[0], r);
    by_day(&x, ws[1], r);
    procedures(&x, ws[2], r);
    hours(&x, ws[3], r);
    /* closing writes the file and frees the workbook, also after a failure */
    if (workbook_close(x.wb) != LXW_NO_ERROR || x.err != LXW_NO_ERROR)
        goto out;
    rc = slurp(path, out, len);
out:
    unlink(path);
    return rc;
}
