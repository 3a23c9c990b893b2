/* gateway/kb/kb_office.c - see kb_office.h. The problems' wording is the
 * importer's ("file:field: problem"), so a reviewer and an official read the
 * same sentence. */
#include "kb_office.h"

#include <errno.h>
#include <jansson.h>
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
    return n;
}
