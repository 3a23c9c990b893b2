/* gateway/admin/report_csv.c - the report as one CSV file of sections
 * (docs/reports.md): a "# name" line, a header row, the rows, an empty line.
 * UTF-8 with a BOM (so Excel reads the Vietnamese labels) and CRLF line ends
 * (RFC 4180). Every field is quoted when it holds a comma, quote or line
 * end, and a text field that a spreadsheet would read as a formula
 * (=, +, -, @ first) gets a leading quote mark ("CSV injection"). */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_buf.h"

#define CSV_MAX (4 * 1024 * 1024) /* bytes; a year of days is ~20 KiB */

static int field(struct mc_buf *b, const char *s)
{
    const char *p;
    int rc = 0;

    if (s[0] && strchr("=+-@", s[0]))
        rc = mc_buf_puts(b, "'");
    if (!strpbrk(s, ",\"\r\n"))
        return rc ? rc : mc_buf_puts(b, s);
    rc = rc ? rc : mc_buf_puts(b, "\"");
    for (p = s; !rc && *p; p++)
        rc = *p == '"' ? mc_buf_puts(b, "\"\"") : mc_buf_append(b, p, 1);
    return rc ? rc : mc_buf_puts(b, "\"");
}

/* One row: text fields then number fields. */
static int row(struct mc_buf *b, const char *a, const char *c, size_t nnum, const uint64_t *num)
{
    size_t i;
    int rc = field(b, a);

    if (!rc && c)
        rc = mc_buf_puts(b, ",");
    if (!rc && c)
        rc = field(b, c);
    for (i = 0; !rc && i < nnum; i++)
        rc = mc_buf_printf(b, ",%" PRIu64, num[i]);
    return rc ? rc : mc_buf_puts(b, "\r\n");
}

static int counts(struct mc_buf *b, const char *section, const char *header,
                  const struct report_count *c, size_t n, bool names)
{
    uint64_t v[2];
    size_t i;
    int rc = mc_buf_printf(b, "# %s\r\n%s\r\n", section, header);

    for (i = 0; !rc && i < n; i++) {
        v[0] = c[i].conversations;
        v[1] = c[i].messages;
        rc = row(b, c[i].key, names ? c[i].name : NULL, 2, v);
    }
    return rc ? rc : mc_buf_puts(b, "\r\n");
}

static int overview(struct mc_buf *b, const struct report *r)
{
    const struct {
        const char *key, *label;
        uint64_t v;
    } m[] = {
        {"conversations", "Cuộc hội thoại", r->conversations},
        {"messages_in", "Tin nhắn của người dân", r->messages_in},
        {"decisions.match", "Trả lời được", r->match},
        {"decisions.clarify", "Hỏi lại cho rõ", r->clarify},
        {"decisions.none", "Chưa trả lời được", r->none},
        {"decisions.buttons", "Bấm nút", r->buttons},
        {"prechecks.started", "Kiểm tra hồ sơ: bắt đầu", r->precheck_started},
        {"prechecks.completed", "Kiểm tra hồ sơ: hoàn tất", r->precheck_completed},
        {"handoffs.requested", "Yêu cầu gặp cán bộ", r->handoffs.requested},
        {"handoffs.answered", "Cán bộ đã trả lời", r->handoffs.answered},
        {"feedback.up", "Đánh giá hữu ích", r->feedback_up},
        {"feedback.down", "Đánh giá chưa hữu ích", r->feedback_down},
    };
    size_t i;
    int rc = mc_buf_printf(b,
                           "# overview\r\nmetric,label,value\r\nfrom,Từ ngày,%s\r\n"
                           "to,Đến ngày,%s\r\ntimezone,Múi giờ,%s\r\n",
                           r->from, r->to, r->timezone);

    for (i = 0; !rc && i < sizeof(m) / sizeof(m[0]); i++)
        rc = row(b, m[i].key, m[i].label, 1, &m[i].v);
    if (!rc)
        rc = mc_buf_printf(b, "handoffs.median_wait_s,Thời gian chờ trung vị (giây),%.0f\r\n\r\n",
                           r->handoffs.median_wait_s);
    return rc;
}

int report_to_csv(const struct report *r, char **out, size_t *len)
{
    struct mc_buf b;
    int order[24];
    size_t n = report_busiest_hours(r, order), i;
    char hour[8];
    uint64_t v;
    int rc;

    mc_buf_init(&b, CSV_MAX);
    rc = mc_buf_puts(&b, "\xEF\xBB\xBF");
    rc = rc ? rc : overview(&b, r);
    rc =
        rc ? rc : counts(&b, "by_day", "date,conversations,messages_in", r->days, r->n_days, false);
    rc = rc ? rc
            : counts(&b, "by_channel", "channel,conversations,messages_in", r->channels,
                     r->n_channels, false);
    rc = rc ? rc
            : counts(&b, "top_procedures", "id,name,conversations,messages_in", r->top, r->n_top,
                     true);
    rc = rc ? rc : mc_buf_puts(&b, "# busiest_hours\r\nhour,messages_in\r\n");
    for (i = 0; !rc && i < n; i++) {
        snprintf(hour, sizeof(hour), "%02d", order[i]);
        v = r->hours[order[i]];
        rc = row(&b, hour, NULL, 1, &v);
    }
    if (rc) {
        mc_buf_fini(&b);
        return rc == -E2BIG ? -ENOMEM : rc;
    }
    *len = b.len;
    *out = mc_buf_steal(&b);
    return *out ? 0 : -ENOMEM;
}
