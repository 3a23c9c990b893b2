/* gateway/admin/report_json.c - the report as GET /api/v1/reports answers it
 * (docs/reports.md). Counts are JSON integers; median_wait_s a number. */
#include "report.h"

#include <jansson.h>
#include <stdlib.h>

/* [{"<key_name>", "conversations", "messages_in"}] of n counts. */
static json_t *counts_json(const struct report_count *c, size_t n, const char *key_name)
{
    json_t *a = json_array(), *o;
    size_t i;

    for (i = 0; a && i < n; i++) {
        o = json_pack("{s:s,s:I,s:I}", key_name, c[i].key, "conversations",
                      (json_int_t)c[i].conversations, "messages_in", (json_int_t)c[i].messages);
        if (json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *channels_json(const struct report *r)
{
    json_t *o = json_object();
    size_t i;

    for (i = 0; o && i < r->n_channels; i++)
        if (json_object_set_new(o, r->channels[i].key,
                                json_pack("{s:I,s:I}", "conversations",
                                          (json_int_t)r->channels[i].conversations, "messages_in",
                                          (json_int_t)r->channels[i].messages))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

static json_t *top_json(const struct report *r)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; a && i < r->n_top; i++)
        if (json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:I}", "id", r->top[i].key, "name",
                                               r->top[i].name, "count",
                                               (json_int_t)r->top[i].conversations, "messages_in",
                                               (json_int_t)r->top[i].messages))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *hours_json(const struct report *r)
{
    json_t *a = json_array();
    int order[24];
    size_t n = report_busiest_hours(r, order), i;

    for (i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_pack("{s:i,s:I}", "hour", order[i], "messages_in",
                                               (json_int_t)r->hours[order[i]]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

char *report_to_json(const struct report *r)
{
    json_t *j;
    char *text;

    /* json_pack's "o" steals (also when it fails), and a NULL from a helper
     * (no memory) fails the whole pack */
    j = json_pack("{s:s,s:s,s:s,s:I,s:I,s:o,s:o,s:o,s:{s:I,s:I,s:I,s:I},s:{s:I,s:I},"
                  "s:b,s:{s:I,s:I,s:f},s:b,s:{s:I,s:I},s:o}",
                  "from", r->from, "to", r->to, "timezone", r->timezone, "conversations",
                  (json_int_t)r->conversations, "messages_in", (json_int_t)r->messages_in,
                  "by_channel", channels_json(r), "by_day", counts_json(r->days, r->n_days, "date"),
                  "top_procedures", top_json(r), "decisions", "match", (json_int_t)r->match,
                  "clarify", (json_int_t)r->clarify, "none", (json_int_t)r->none, "buttons",
                  (json_int_t)r->buttons, "prechecks", "started", (json_int_t)r->precheck_started,
                  "completed", (json_int_t)r->precheck_completed, "handoffs_available",
                  r->handoffs.available, "handoffs", "requested", (json_int_t)r->handoffs.requested,
                  "answered", (json_int_t)r->handoffs.answered, "median_wait_s",
                  r->handoffs.median_wait_s, "feedback_available", r->feedback_available,
                  "feedback", "up", (json_int_t)r->feedback_up, "down",
                  (json_int_t)r->feedback_down, "busiest_hours", hours_json(r));
    if (!j)
        return NULL;
    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}
