/* gateway/kb/kb_hours.c - see kb_hours.h. */
#include "kb_hours.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#define KB_HOURS_DAY_S 86400

static const struct kb_hours_slot national[] = {
    {0x3e, 8 * 60, 12 * 60}, /* bits 1..5: Monday .. Friday */
    {0x3e, 13 * 60, 17 * 60},
};

void kb_hours_national(struct kb_hours *h)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->slot, national, sizeof(national));
    h->n = sizeof(national) / sizeof(national[0]);
    h->verify = true;
    h->national = true;
}

/* "HH:MM" -> minutes of the day (24:00 allowed as an end), or -1. */
static int parse_hhmm(const char *s)
{
    int h, m;

    if (!s || strlen(s) != 5 || s[2] != ':')
        return -1;
    if (s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9' || s[3] < '0' || s[3] > '5' ||
        s[4] < '0' || s[4] > '9')
        return -1;
    h = (s[0] - '0') * 10 + (s[1] - '0');
    m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || (h == 24 && m))
        return -1;
    return h * 60 + m;
}

static int parse_slot(const json_t *slot, size_t i, struct kb_hours_slot *s, struct mc_err *err)
{
    const json_t *days = json_object_get(slot, "days"), *d;
    int from = parse_hhmm(json_string_value(json_object_get(slot, "from")));
    int to = parse_hhmm(json_string_value(json_object_get(slot, "to")));
    size_t k;

    if (!json_is_object(slot)) {
        mc_err_set(err, "hours.schedule[%zu]: not an object", i);
        return -EINVAL;
    }
    if (from < 0 || to < 0) {
        mc_err_set(err, "hours.schedule[%zu]: from and to must be \"HH:MM\"", i);
        return -EINVAL;
    }
    if (to <= from) {
        mc_err_set(err, "hours.schedule[%zu]: to must be after from", i);
        return -EINVAL;
    }
    if (!json_is_array(days) || json_array_size(days) == 0) {
        mc_err_set(err, "hours.schedule[%zu]: days must be a list of weekdays 1..7", i);
        return -EINVAL;
    }
    s->days = 0;
    json_array_foreach(days, k, d)
    {
        if (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > 7) {
            mc_err_set(err,
                       "hours.schedule[%zu].days[%zu]: not a weekday 1 (thứ Hai)..7 (Chủ nhật)", i,
                       k);
            return -EINVAL;
        }
        s->days |= 1u << json_integer_value(d);
    }
    s->from = (unsigned)from;
    s->to = (unsigned)to;
    return 0;
}

int32_t kb_hours_day(const char *s)
{
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, m, d, i;
    int32_t days;

    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    y = (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'));
    m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
    d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
    if (y < 2000 || y > 2099 || m < 1 || m > 12 || d < 1 ||
        d > mdays[m - 1] + (m == 2 && y % 4 == 0)) /* 2000..2099: every 4th year is leap */
        return -1;
    days = (int32_t)((y - 1970) * 365 + (y - 1969) / 4); /* leap days of 1972..y-1 */
    for (i = 1; i < m; i++)
        days += (int32_t)(mdays[i - 1] + (i == 2 && y % 4 == 0));
    return days + (int32_t)d - 1;
}

/* hours.holidays into h; absent is none. */
static int parse_holidays(const json_t *list, struct kb_hours *h, struct mc_err *err)
{
    const json_t *x;
    size_t i;

    h->n_holidays = 0;
    if (!list)
        return 0;
    if (!json_is_array(list) || json_array_size(list) > KB_HOURS_HOLIDAYS_MAX) {
        mc_err_set(err, "hours.holidays: a list of at most %d dates \"YYYY-MM-DD\"",
                   KB_HOURS_HOLIDAYS_MAX);
        return -EINVAL;
    }
    json_array_foreach(list, i, x)
    {
        int32_t day = kb_hours_day(json_string_value(x));

        if (day < 0) {
            mc_err_set(err, "hours.holidays[%zu]: not a date \"YYYY-MM-DD\"", i);
            h->n_holidays = 0;
            return -EINVAL;
        }
        h->holiday[h->n_holidays++] = day;
    }
    return 0;
}

static bool is_holiday(const struct kb_hours *h, int64_t day)
{
    size_t i;

    for (i = 0; i < h->n_holidays; i++)
        if (h->holiday[i] == day)
            return true;
    return false;
}

int kb_hours_parse(const json_t *hours, struct kb_hours *h, struct mc_err *err)
{
    const json_t *sched = json_object_get(hours, "schedule"), *slot;
    size_t i;
    int rc;

    kb_hours_national(h);
    if (parse_holidays(json_object_get(hours, "holidays"), h, err))
        return -EINVAL;
    if (!sched)
        return -ENOENT;
    if (!json_is_array(sched) || json_array_size(sched) == 0 ||
        json_array_size(sched) > KB_HOURS_SLOTS_MAX) {
        mc_err_set(err, "hours.schedule: a list of 1 to %d opening slots", KB_HOURS_SLOTS_MAX);
        return -EINVAL;
    }
    h->n = 0;
    json_array_foreach(sched, i, slot)
    {
        rc = parse_slot(slot, i, &h->slot[h->n], err);
        if (rc) {
            kb_hours_national(h); /* holidays dropped too: one wrong field, nothing promised */
            return rc;
        }
        h->n++;
    }
    h->verify = !json_is_false(json_object_get(hours, "verify"));
    h->national = false;
    return 0;
}

bool kb_hours_open(const struct kb_hours *h, int64_t now_s, int64_t *next_s)
{
    int64_t local = now_s + KB_HOURS_TZ_OFFSET_S, day = local / KB_HOURS_DAY_S, best = 0, at;
    unsigned minute = (unsigned)(local % KB_HOURS_DAY_S / 60), wd;
    size_t i;
    int d;

    *next_s = 0;
    for (d = 0; d <= 7 + (int)h->n_holidays; d++) { /* a week, and every holiday skipped */
        if (is_holiday(h, day + d))
            continue;
        wd = (unsigned)((day + d + 3) % 7) + 1; /* 1 January 1970 was a Thursday (ISO 4) */
        for (i = 0; i < h->n; i++) {
            if (!(h->slot[i].days & (1u << wd)))
                continue;
            if (d == 0 && minute >= h->slot[i].from && minute < h->slot[i].to)
                return true;
            at = (day + d) * KB_HOURS_DAY_S + (int64_t)h->slot[i].from * 60;
            if (at > local && (!best || at < best))
                best = at;
        }
    }
    if (best)
        *next_s = best - KB_HOURS_TZ_OFFSET_S;
    return false;
}
