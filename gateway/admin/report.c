/* gateway/admin/report.c - see report.h. Request checks, local dates, and
 * the aggregation: one store query per figure, each filling its part of the
 * struct. */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Zones a deployment may name, with their offset. Vietnam: +07:00 since
 * 1975-06-13, no daylight saving (IANA tzdata, asia: Asia/Ho_Chi_Minh). */
static const struct {
    const char *name;
    int offset_s;
} zones[] = {
    {"Asia/Ho_Chi_Minh", 7 * 3600},
    {"Asia/Saigon", 7 * 3600},
    {"Asia/Bangkok", 7 * 3600},
    {"Asia/Jakarta", 7 * 3600},
    {"UTC", 0},
    {"Etc/UTC", 0},
};

#define DAY_S 86400

int report_tz_offset(const char *name, int *offset_s)
{
    size_t i;
    int h, m;

    for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
        if (strcmp(name, zones[i].name) == 0) {
            *offset_s = zones[i].offset_s;
            return 0;
        }
    /* "+HH:MM" or "-HH:MM", -12:00 .. +14:00 */
    if (strlen(name) != 6 || (name[0] != '+' && name[0] != '-') || name[3] != ':')
        return -EINVAL;
    for (i = 1; i < 6; i++)
        if (i != 3 && (name[i] < '0' || name[i] > '9'))
            return -EINVAL;
    h = (name[1] - '0') * 10 + (name[2] - '0');
    m = (name[4] - '0') * 10 + (name[5] - '0');
    if (m > 59 || h > 14 || (name[0] == '-' && h > 12))
        return -EINVAL;
    *offset_s = (name[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return 0;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, char out[REPORT_DATE_LEN + 1])
{
    int64_t era, doe, yoe, y, doy, mp, d, m;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    y %= 10000; /* dates are checked to 2000-2999; this keeps the width */
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

/* Parses a strict "YYYY-MM-DD" (a real calendar day, years 2000-2999)
 * into days since the epoch. Returns 0 or -EINVAL. */
static int parse_date(const char *s, int64_t *days)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 0, m, d, i;

    if (strlen(s) != REPORT_DATE_LEN || s[4] != '-' || s[7] != '-')
        return -EINVAL;
    for (i = 0; i < REPORT_DATE_LEN; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -EINVAL;
    for (i = 0; i < 4; i++)
        y = y * 10 + (s[i] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return -EINVAL;
    if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return -EINVAL;
    *days = days_from_civil(y, m, d);
    return 0;
}

void report_local_date(int64_t t, int offset_s, int days, char out[REPORT_DATE_LEN + 1])
{
    int64_t local = t + offset_s;

    civil_from_days((local >= 0 ? local / DAY_S : (local - DAY_S + 1) / DAY_S) + days, out);
}

const char *report_check_query(const char *from, const char *to, const char *format,
                               enum report_format *fmt, struct mc_err *err)
{
    int64_t df, dt;

    if (!from || !from[0] || !to || !to[0]) {
        mc_err_set(err, "%s: missing (give from=YYYY-MM-DD&to=YYYY-MM-DD)",
                   !from || !from[0] ? "from" : "to");
        return "missing_date";
    }
    if (parse_date(from, &df) || parse_date(to, &dt)) {
        mc_err_set(err, "%s: not a date YYYY-MM-DD", parse_date(from, &df) ? "from" : "to");
        return "bad_date";
    }
    if (df > dt) {
        mc_err_set(err, "from: %s is after to: %s", from, to);
        return "reversed_range";
    }
    if (dt - df + 1 > REPORT_DAYS_MAX) {
        mc_err_set(err, "from..to: %lld days, at most %d", (long long)(dt - df + 1),
                   REPORT_DAYS_MAX);
        return "range_too_long";
    }
    if (!format || !format[0] || strcmp(format, "json") == 0)
        *fmt = REPORT_JSON;
    else if (strcmp(format, "csv") == 0)
        *fmt = REPORT_CSV;
    else if (strcmp(format, "xlsx") == 0)
        *fmt = REPORT_XLSX;
    else {
        mc_err_set(err, "format: must be json, csv or xlsx");
        return "bad_format";
    }
    return NULL;
}

int report_span(const char *from, const char *to, const char *tz, struct store_report_span *sp)
{
    int64_t df, dt;
    int off;

    if (parse_date(from, &df) || parse_date(to, &dt) || dt < df || report_tz_offset(tz, &off))
        return -EINVAL;
    sp->from_s = df * DAY_S - off;
    sp->to_s = (dt + 1) * DAY_S - off;
    sp->offset_s = off;
    return 0;
}

struct fill {
    struct report *r;
    int64_t first_day; /* days since the epoch of r->from */
};

static void count_set(struct report_count *c, const char *key, uint64_t conv, uint64_t msgs)
{
    snprintf(c->key, sizeof(c->key), "%s", key);
    c->name[0] = '\0';
    c->conversations = conv;
    c->messages = msgs;
}

static int on_all(void *ctx, const char *key, uint64_t conv, uint64_t msgs)
{
    struct fill *f = ctx;

    (void)key;
    f->r->conversations = conv;
    f->r->messages_in = msgs;
    return 0;
}

static int on_channel(void *ctx, const char *key, uint64_t conv, uint64_t msgs)
{
    struct fill *f = ctx;

    if (f->r->n_channels < REPORT_CHANNELS_MAX)
        count_set(&f->r->channels[f->r->n_channels++], key, conv, msgs);
    return 0;
}

static int on_day(void *ctx, const char *key, uint64_t conv, uint64_t msgs)
{
    struct fill *f = ctx;
    int64_t d;

    if (parse_date(key, &d) || d < f->first_day || d - f->first_day >= (int64_t)f->r->n_days)
        return -EIO; /* the query returned a day outside its own span */
    f->r->days[d - f->first_day].conversations = conv;
    f->r->days[d - f->first_day].messages = msgs;
    return 0;
}

static int on_hour(void *ctx, const char *key, uint64_t conv, uint64_t msgs)
{
    struct fill *f = ctx;
    int h;

    (void)conv;
    if (strlen(key) != 2 || key[0] < '0' || key[0] > '2' || key[1] < '0' || key[1] > '9')
        return -EIO;
    h = (key[0] - '0') * 10 + (key[1] - '0');
    if (h > 23)
        return -EIO;
    f->r->hours[h] = msgs;
    return 0;
}

static int on_decision(void *ctx, const char *key, uint64_t conv, uint64_t msgs)
{
    struct fill *f = ctx;

    (void)conv;
    if (strcmp(key, "match") == 0)
        f->r->match = msgs;
    else if (strcmp(key, "clarify") == 0)
        f->r->clarify = msgs;
    else if (strcmp(key, "none") == 0)
        f->r->none = msgs;
    else
        f->r->buttons += msgs;
    return 0;
}

static int on_procedure(void *ctx, const char *key, uint64_t conv, uint64_t msgs)
{
    struct fill *f = ctx;

    if (f->r->n_top < REPORT_TOP_MAX)
        count_set(&f->r->top[f->r->n_top++], key, conv, msgs);
    return 0;
}

struct report *report_build(struct store *st, const char *from, const char *to, const char *tz,
                            struct mc_err *err)
{
    static const struct {
        enum store_report_by by;
        unsigned max;
        int (*fn)(void *ctx, const char *key, uint64_t conv, uint64_t msgs);
    } parts[] = {
        {STORE_REPORT_ALL, 0, on_all},
        {STORE_REPORT_CHANNEL, REPORT_CHANNELS_MAX, on_channel},
        {STORE_REPORT_DAY, REPORT_DAYS_MAX, on_day},
        {STORE_REPORT_HOUR, 24, on_hour},
        {STORE_REPORT_DECISION, 0, on_decision},
        {STORE_REPORT_PROCEDURE, REPORT_TOP_MAX, on_procedure},
    };
    struct report *r = NULL;
    struct store_report_span sp;
    struct fill f;
    int64_t df, dt, i;
    enum report_format fmt;
    size_t k;

    if (report_check_query(from, to, NULL, &fmt, err))
        return NULL;
    r = calloc(1, sizeof(*r));
    if (!r) {
        mc_err_set(err, "out of memory");
        return NULL;
    }
    if (snprintf(r->timezone, sizeof(r->timezone), "%s", tz) >= (int)sizeof(r->timezone) ||
        report_tz_offset(tz, &r->offset_s)) {
        mc_err_set(err, "report.timezone: unknown zone \"%.60s\"", tz);
        goto fail;
    }
    if (parse_date(from, &df) || parse_date(to, &dt) || dt < df || dt - df >= REPORT_DAYS_MAX)
        goto fail; /* checked above; r->days must hold them all */
    memcpy(r->from, from, REPORT_DATE_LEN + 1);
    memcpy(r->to, to, REPORT_DATE_LEN + 1);
    r->n_days = (size_t)(dt - df + 1);
    for (i = 0; i < (int64_t)r->n_days; i++)
        civil_from_days(df + i, r->days[i].key);
    sp.from_s = df * DAY_S - r->offset_s;
    sp.to_s = (dt + 1) * DAY_S - r->offset_s;
    sp.offset_s = r->offset_s;
    f.r = r;
    f.first_day = df;
    for (k = 0; k < sizeof(parts) / sizeof(parts[0]); k++)
        if (store_report_messages(st, &sp, parts[k].by, parts[k].max, parts[k].fn, &f))
            goto fail_store;
    if (store_report_prechecks(st, &sp, &r->precheck_started, &r->precheck_completed) ||
        store_report_handoffs(st, &sp, &r->handoffs) ||
        store_report_feedback(st, &sp, &r->feedback_available, &r->feedback_up, &r->feedback_down))
        goto fail_store;
    return r;

fail_store:
    mc_err_set(err, "the state database failed");
fail:
    report_free(r);
    return NULL;
}

void report_free(struct report *r)
{
    free(r);
}

size_t report_busiest_hours(const struct report *r, int order[24])
{
    size_t n = 0, i, j;
    int h, t;

    for (h = 0; h < 24; h++)
        if (r->hours[h])
            order[n++] = h;
    for (i = 1; i < n; i++) /* insertion sort: 24 at most, stable for ties */
        for (j = i; j > 0 && r->hours[order[j]] > r->hours[order[j - 1]]; j--) {
            t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    return n;
}
