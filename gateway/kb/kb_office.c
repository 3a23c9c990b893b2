/* gateway/kb/kb_office.c - see kb_office.h. The problems' wording is the
 * importer's ("file:field: problem"), so a reviewer and an official read the
 * same sentence. */
#include "kb_office.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "kb_hours.h"

int kb_office_https_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0, i;

    if (n <= sizeof "https://" - 1 || n > KB_OFFICE_URL_MAX ||
        strncmp(s, "https://", sizeof "https://" - 1) != 0)
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || strchr("\"'<>\\`", s[i]))
            return 0;
    return 1;
}

/* {"text": string|null, "verify": bool, "note"?} with text required unless
 * verify is true (an unknown phone is marked, never invented). */
static int check_fact(const json_t *o, const char *key, kb_office_report report, void *ctx)
{
    const json_t *f = json_object_get(o, key), *t;
    int n = 0;

    if (!json_is_object(f)) {
        report(ctx, key, "must be an object {\"text\", \"verify\"}");
        return 1;
    }
    t = json_object_get(f, "text");
    if (!json_is_boolean(json_object_get(f, "verify"))) {
        report(ctx, key, "verify must be true or false");
        n++;
    }
    if (!(json_is_string(t) && json_string_length(t) > 0) &&
        !(json_is_null(t) && json_is_true(json_object_get(f, "verify")))) {
        report(ctx, key, "text must be a non-empty string (or null with verify: true)");
        n++;
    }
    return n;
}

static bool one_line_name(const json_t *x, size_t max)
{
    return json_is_string(x) && json_string_length(x) > 0 && json_string_length(x) <= max &&
           !strpbrk(json_string_value(x), "<>\n\r\t");
}

static bool all_of(const char *s, const char *set)
{
    for (; *s; s++)
        if (!strchr(set, *s))
            return false;
    return true;
}

/* The counters (quầy) the kiosk shows and answers name: "nộp tại quầy số 2". */
static int check_counters(const json_t *x, kb_office_report report, void *ctx)
{
    const json_t *c, *d, *doms;
    size_t i, k;

    if (!json_is_array(x) || json_array_size(x) > KB_OFFICE_COUNTERS_MAX) {
        report(ctx, "counters",
               "must be an array of at most 20 {\"number\", \"name\", \"domains\"}");
        return 1;
    }
    json_array_foreach(x, i, c)
    {
        const json_t *no = json_object_get(c, "number");

        if (!json_is_object(c) || !json_is_string(no) || json_string_length(no) == 0 ||
            json_string_length(no) > KB_OFFICE_COUNTER_NO_MAX ||
            !all_of(json_string_value(no),
                    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")) {
            report(ctx, "counters", "each counter needs a \"number\" of 1 to 8 letters or digits");
            return 1;
        }
        if (!one_line_name(json_object_get(c, "name"), KB_OFFICE_NAME_MAX)) {
            report(ctx, "counters", "each counter needs a \"name\" of 1 to 128 bytes on one line");
            return 1;
        }
        doms = json_object_get(c, "domains");
        if (doms && (!json_is_array(doms) || json_array_size(doms) > KB_OFFICE_DOMAINS_MAX)) {
            report(ctx, "counters", "\"domains\" must be an array of at most 16 domain ids");
            return 1;
        }
        json_array_foreach(doms, k, d)
        {
            if (!json_is_string(d) || json_string_length(d) == 0 || json_string_length(d) > 32 ||
                !all_of(json_string_value(d), "abcdefghijklmnopqrstuvwxyz-")) {
                report(ctx, "counters",
                       "a domain id is lowercase letters and '-' (ho-tich, dat-dai)");
                return 1;
            }
        }
    }
    return 0;
}

int kb_office_check(const json_t *o, kb_office_report report, void *ctx)
{
    static const char *const strs[] = {"unit_name", "province", "office_name", "portal_url",
                                       "reviewed"};
    static const char *const facts[] = {"address", "hours", "phone", "hotline"};
    struct kb_hours hours;
    struct mc_err herr = {{0}};
    const json_t *x;
    const char *url;
    int n = 0;
    size_t i;

    for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (!json_is_string(json_object_get(o, strs[i])) ||
            !json_string_length(json_object_get(o, strs[i]))) {
            report(ctx, strs[i], "missing");
            n++;
        }
    for (i = 0; i < sizeof(facts) / sizeof(facts[0]); i++)
        n += check_fact(o, facts[i], report, ctx);
    /* the server promises "the office opens at ..." from it: refuse a typo here */
    if (kb_hours_parse(json_object_get(o, "hours"), &hours, &herr) == -EINVAL) {
        report(ctx, "hours", herr.text);
        n++;
    }
    url = json_string_value(json_object_get(o, "portal_url"));
    if (url && !kb_office_https_ok(url)) {
        report(ctx, "portal_url", "not a well-formed https URL");
        n++;
    }
    x = json_object_get(o, "map_url");
    if (x && !json_is_null(x) && !kb_office_https_ok(json_string_value(x))) {
        report(ctx, "map_url", "not a well-formed https URL");
        n++;
    }
    x = json_object_get(o, "display_name");
    if (x &&
        (!json_is_string(x) || json_string_length(x) == 0 ||
         json_string_length(x) > KB_OFFICE_NAME_MAX || strpbrk(json_string_value(x), "<>\n\r\t"))) {
        report(ctx, "display_name", "must be a name of 1 to 128 bytes on one line");
        n++;
    }
    x = json_object_get(o, "counters");
    if (x && !json_is_null(x))
        n += check_counters(x, report, ctx);
    return n;
}
