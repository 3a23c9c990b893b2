/* gateway/kb/kb_hours.h - an office's opening week, as the server computes
 * with it: data/offices/<code>.json "hours.schedule" (docs/data.md). The
 * importer refuses a malformed schedule (kb_hours_parse with an error);
 * the server reads the imported one, or the national default. Pure. */
#ifndef MOTCUA_GATEWAY_KB_HOURS_H
#define MOTCUA_GATEWAY_KB_HOURS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"

#define KB_HOURS_TZ_OFFSET_S (7 * 3600) /* Asia/Ho_Chi_Minh: UTC+7, no DST since 1975 */
#define KB_HOURS_SLOTS_MAX 16           /* opening slots of one office's week */
#define KB_HOURS_HOLIDAYS_MAX 64        /* closed dates of one office (a year of Tết, holidays) */

struct json_t;

/* One opening slot: the ISO weekdays (bit d for day d, 1 Monday .. 7
 * Sunday) and the minutes of the day it opens and closes [from, to). */
struct kb_hours_slot {
    unsigned days;
    unsigned from, to;
};

struct kb_hours {
    struct kb_hours_slot slot[KB_HOURS_SLOTS_MAX];
    size_t n;
    int32_t holiday[KB_HOURS_HOLIDAYS_MAX]; /* local days (since 1970-01-01) the office is closed */
    size_t n_holidays;
    bool verify;   /* not confirmed by an official: said so */
    bool national; /* the national default (no schedule for the place) */
};

/* The national default: Monday to Friday 8:00-12:00 and 13:00-17:00, the
 * usual hours of communes' notices, marked to verify. */
void kb_hours_national(struct kb_hours *h);

/* Reads hours.schedule ([{"days":[1..7],"from":"HH:MM","to":"HH:MM"}]) of
 * an office's "hours" object into *h, verify from hours.verify (true unless
 * false), and hours.holidays (optional: ["YYYY-MM-DD", ...], dates the office
 * is closed, kept with the national default too). Returns 0, -ENOENT (no
 * schedule: *h is the national default) or -EINVAL with err naming the slot
 * or date and what is wrong (*h is the national default: a reviewer's typo
 * never makes the bot promise wrong hours). */
MC_MUST_CHECK int kb_hours_parse(const struct json_t *hours, struct kb_hours *h,
                                 struct mc_err *err);

/* Whether h is open at now_s (seconds since the epoch); a holiday is closed
 * all day. When it is not, *next_s is the next opening within a week plus
 * the holidays on the way (0 when it never opens). */
bool kb_hours_open(const struct kb_hours *h, int64_t now_s, int64_t *next_s);

/* The local day (days since 1970-01-01, Vietnam time) of "YYYY-MM-DD", or
 * -1 when date is not a real calendar date of 2000..2099. */
int32_t kb_hours_day(const char *date);

#endif
