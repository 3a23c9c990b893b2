/* fuzz/fuzz_http.c - the HTTP request path as far as it goes without a
 * socket: what gateway/http_route.c and the officer and report modules do with a
 * path, a query argument or a body once lws has handed them over (the lws
 * parser itself is the library's). The first byte modulo 6 chooses (the
 * seeds use the digits '0'..'5', so they stay text files), the rest is the
 * request's part (fields one per line):
 *   0  a path: http_path_is_safe/_mime (static files), /thu-tuc pages
 *      (page_procedure, page_search), /api/v1/procedures/{id} (http_path_is_id + the
 *      stored guide), /api/v1/officer/conversations/... (the path reader),
 *      the report's routes;
 *   1  from, to, format, timezone: report_check_query, report_tz_offset and
 *      the report page's error answer (report_page_html), as report_http.c;
 *   2  a POST /api/v1/ask body: the JSON {"text"} and its understanding;
 *   3  ?q= of /api/v1/officer/assistant: officer_assist_search;
 *   4  a POST /api/v1/officer/assistant/check body: officer_assist_check,
 *      and its procedure through officer_assist_view and, with its "part",
 *      officer_assist_share_text (a message body's {"share"} of
 *      officer_reply.c);
 *   5  ?q= of /api/v1/localities: kb_units_search.
 * Checks: a safe path has no "..", no hidden file and a known type; every
 * page and JSON answer built from valid UTF-8 input is valid UTF-8. */
#include "common.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "http_path.h"
#include "intent.h"
#include "kb.h"
#include "kb_units.h"
#include "mc_buf.h"
#include "mc_err.h"
#include "mc_utf8.h"
#include "officer_assist.h"
#include "officer_http.h"
#include "page.h"
#include "report.h"
#include "report_http.h"

#define ARG_MAX 34 /* bytes of a report query argument (report_http.c's ARG_MAX less the name) */

static struct kb *kb;
static struct intent_index *idx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_kb_open(&kb, &idx);
    return 0;
}

static bool valid(const char *s)
{
    return !s || mc_utf8_is_valid(s, strlen(s));
}

static void check_text(const char *s, size_t len)
{
    if (!mc_utf8_is_valid(s, len))
        abort();
}

static void check_json(json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

    if (j && !text)
        abort();
    if (text)
        check_text(text, strlen(text));
    free(text);
    json_decref(j);
}

static const char *after(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);

    return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

static void path(const char *p)
{
    const char *rest;
    char *html = NULL;
    int64_t id;
    const char *action;
    unsigned status;

    if (http_path_is_safe(p) && (strstr(p, "..") || strstr(p, "/.") || p[0] != '/'))
        abort();
    (void)http_path_mime(p);
    if (after(p, "/thu-tuc") && page_procedure(kb, p, "https://motcua.example", &html) == 0)
        check_text(html, strlen(html));
    free(html);
    html = NULL;
    if (page_search(kb, NULL, p, strlen(p), &status, &html) == 0) /* the path as a query */
        check_text(html, strlen(html));
    free(html);
    if ((rest = after(p, "/api/v1/procedures/")) && http_path_is_id(rest)) {
        size_t len = 0;
        const char *json = kb_guide_text(kb, rest, &len);

        if (json)
            check_text(json, len);
    }
    if ((rest = after(p, "/api/v1/officer/conversations"))) {
        enum officer_http_conv_path k = officer_http_conversation_path(rest, &id, &action);

        if ((k == OFFICER_HTTP_CONV_ONE) != (id > 0))
            abort();
        if (action)
            (void)officer_http_is_action(action);
    }
    (void)report_http_is_route(p);
}

static void report_query(char **f)
{
    struct mc_err err = {{0}};
    enum report_format fmt = REPORT_JSON;
    const char *code;
    char *html = NULL;
    size_t i, len = 0;
    int off;

    for (i = 0; i < 3; i++)
        if (f[i] && strlen(f[i]) > ARG_MAX)
            f[i][ARG_MAX] = '\0'; /* lws gives no longer argument */
    if (f[3])
        (void)report_tz_offset(f[3], &off);
    code = report_check_query(f[0], f[1], f[2], &fmt, &err);
    if (!code)
        return;
    if (!err.text[0])
        abort(); /* a 400 always says why */
    if (report_page_html(NULL, f[0], f[1], err.text, "Nguyễn Văn A", &html, &len) == 0 &&
        valid(f[0]) && valid(f[1]))
        check_text(html, len);
    free(html);
    if (valid(f[0]) && valid(f[1]) && valid(f[2]))
        check_json(json_pack("{s:s,s:s}", "error", code, "message", err.text));
}

static void ask(const uint8_t *data, size_t size)
{
    json_t *req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    json_t *jt = json_object_get(req, "text");
    struct intent_result *res;
    char *line = NULL;

    if (!json_is_string(jt)) {
        json_decref(req);
        return;
    }
    res = malloc(sizeof(*res));
    if (!res)
        abort();
    if (intent_match(idx, json_string_value(jt), json_string_length(jt), res) == 0 &&
        intent_result_to_json(res, &line) == 0)
        check_text(line, strlen(line));
    free(line);
    free(res);
    json_decref(req);
}

static void share(const char *proc, const char *part)
{
    struct mc_buf out;

    mc_buf_init(&out, OFFICER_ASSIST_SHARE_MAX);
    if (part && officer_assist_share_text(kb, proc, part, &out) == 0)
        check_text(out.data ? out.data : "", out.len);
    mc_buf_fini(&out);
}

static void desk_check(const uint8_t *data, size_t size)
{
    struct mc_err err = {{0}};
    json_t *req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    const char *proc = json_string_value(json_object_get(req, "procedure"));
    json_t *res = NULL;

    if (json_is_object(req) && proc) {
        if (officer_assist_check(kb, proc, json_object_get(req, "have"), &res, &err) == 0)
            check_json(res);
        else if (res)
            abort();
        res = NULL;
        if (officer_assist_view(kb, proc, &res) == 0)
            check_json(res);
        share(proc, json_string_value(json_object_get(req, "part")));
    }
    json_decref(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s, *f[4];
    json_t *res = NULL;

    if (size < 1)
        return 0;
    s = fuzz_strndup(data + 1, size - 1);
    switch (data[0] % 6) {
    case 0:
        fuzz_fields(s, f, 1);
        if (strlen(s) < 512) /* HTTP_PATH_MAX: longer is 414 before any of this */
            path(s);
        break;
    case 1:
        fuzz_fields(s, f, 4);
        report_query(f);
        break;
    case 2:
        ask(data + 1, size - 1);
        break;
    case 3:
        if (officer_assist_search(kb, idx, s, strlen(s), &res) == 0)
            check_json(res);
        break;
    case 4:
        desk_check(data + 1, size - 1);
        break;
    default:
        /* api_localities: a non-empty UTF-8 q that fit lws's buffer */
        if (s[0] && strlen(s) < UNITS_NAME_MAX + 8 && valid(s) && kb_units_search(kb, s, &res) == 0)
            check_json(res);
        break;
    }
    free(s);
    return 0;
}
