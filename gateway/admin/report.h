/* gateway/admin/report.h - the weekly report (issue 15): what citizens asked
 * over a range of local days, aggregated from the store's turn records into
 * one struct that the writers (JSON, CSV, xlsx, the HTML page) read.
 *
 * Days are those of the deployment's time zone (report.timezone). The zone
 * is a fixed UTC offset from a table (report_tz_offset), not the C library's
 * TZ database: tzdata is not in every image this runs in, and TZ is process
 * state. Vietnam has kept +07:00 without daylight saving since 1975, so the
 * table is exact for every date a report can cover. A struct report is
 * built, read and freed by one thread. */
#ifndef MOTCUA_GATEWAY_ADMIN_REPORT_H
#define MOTCUA_GATEWAY_ADMIN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"
#include "store.h"

#define REPORT_DAYS_MAX 366   /* days in one report: a leap year */
#define REPORT_TOP_MAX 10     /* procedures listed in top_procedures */
#define REPORT_CHANNELS_MAX 8 /* channels listed (web, kiosk, messenger, zalo, api, ...) */
#define REPORT_DATE_LEN 10    /* "YYYY-MM-DD" */
#define REPORT_NAME_MAX 160   /* bytes with the NUL: a procedure's short name */
#define REPORT_TZ_DEFAULT "Asia/Ho_Chi_Minh"

enum report_format { REPORT_JSON, REPORT_CSV, REPORT_XLSX };

struct report_count {
    char key[STORE_REPORT_KEY_MAX]; /* channel, date or procedure id */
    char name[REPORT_NAME_MAX];     /* a procedure's name when known, else "" */
    uint64_t conversations;         /* distinct sessions */
    uint64_t messages;              /* citizen messages */
};

struct report {
    char from[REPORT_DATE_LEN + 1]; /* first local day, inclusive */
    char to[REPORT_DATE_LEN + 1];   /* last local day, inclusive */
    char timezone[64];              /* report.timezone as configured */
    int offset_s;                   /* its offset, seconds east of UTC */
    uint64_t conversations;         /* sessions with a citizen message in the range */
    uint64_t messages_in;           /* citizen messages (user turn records) */
    struct report_count channels[REPORT_CHANNELS_MAX];
    size_t n_channels;
    struct report_count days[REPORT_DAYS_MAX]; /* every day from..to, zeros included */
    size_t n_days;
    struct report_count top[REPORT_TOP_MAX]; /* most conversations first */
    size_t n_top;
    uint64_t hours[24];            /* citizen messages per local hour */
    uint64_t match, clarify, none; /* typed messages by decision */
    uint64_t buttons;              /* button presses (no understanding) */
    uint64_t precheck_started, precheck_completed;
    struct store_report_handoffs handoffs;
    bool feedback_available;
    uint64_t feedback_up, feedback_down;
};

/* The offset (seconds east of UTC) of time zone name: a name of the table
 * (Asia/Ho_Chi_Minh, Asia/Saigon, Asia/Bangkok, Asia/Jakarta, UTC) or
 * "+HH:MM" / "-HH:MM". Returns 0 or -EINVAL. */
MC_MUST_CHECK int report_tz_offset(const char *name, int *offset_s);

/* Checks a request's from, to (local dates "YYYY-MM-DD", either may be NULL
 * when missing) and format (NULL: json). Returns NULL when they are good,
 * else the error code for a 400 ("missing_date", "bad_date", "reversed_range",
 * "range_too_long", "bad_format") with err naming the problem. */
const char *report_check_query(const char *from, const char *to, const char *format,
                               enum report_format *fmt, struct mc_err *err);

/* The span of the local days from..to (both checked with report_check_query)
 * in zone tz, for the store's queries: what report_build counts, and what
 * the console's other lists (unanswered questions, feedback) use. Returns 0 or -EINVAL (a bad
 * date or zone). */
MC_MUST_CHECK int report_span(const char *from, const char *to, const char *tz,
                              struct store_report_span *sp);

/* The local date offset_s east of UTC at unix time t, plus days (may be
 * negative), as "YYYY-MM-DD". */
void report_local_date(int64_t t, int offset_s, int days, char out[REPORT_DATE_LEN + 1]);

/* Builds the report of from..to (checked with report_check_query) in zone
 * tz. Returns a new report (report_free()) or NULL with err set (a bad zone,
 * out of memory, the store failed). */
struct report *report_build(struct store *st, const char *from, const char *to, const char *tz,
                            struct mc_err *err);

/* NULL is a no-op. */
void report_free(struct report *r);

/* The hours sorted by messages, busiest first (ties: earlier hour first),
 * only those with messages; returns their count (<= 24). */
size_t report_busiest_hours(const struct report *r, int order[24]);

/* ---- writers (report_json.c, report_csv.c, report_xlsx.c) -------------- */

/* The report as the API's JSON text, new (free()), or NULL (no memory). */
char *report_to_json(const struct report *r);

/* The report as one CSV file of sections (UTF-8 with a BOM, CRLF), new in
 * *out (free()) with its length. Returns 0 or -ENOMEM. */
MC_MUST_CHECK int report_to_csv(const struct report *r, char **out, size_t *len);

/* The report as an xlsx workbook (libxlsxwriter; sheets "Tổng quan", "Theo
 * ngày", "Thủ tục", "Giờ cao điểm"), new in *out (free()) with its length.
 * Uses a temporary file under $TMPDIR or /tmp. Returns 0, -ENOMEM or -EIO. */
MC_MUST_CHECK int report_to_xlsx(const struct report *r, char **out, size_t *len);

/* The report page /admin/bao-cao (report_page.c): r, or NULL when there is
 * none to show; the form's dates from and to (NULL: empty); error, NULL or a
 * message shown above the figures; who, the viewer's name or NULL. New HTML
 * in *out (free()) with its length. Returns 0 or -ENOMEM. */
MC_MUST_CHECK int report_page_html(const struct report *r, const char *from, const char *to,
                                   const char *error, const char *who, char **out, size_t *len);

#endif
