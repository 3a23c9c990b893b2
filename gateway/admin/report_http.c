/* gateway/admin/report_http.c - see report_http.h. Access first (401, 403),
 * then the query (400 naming the problem), then the report in the format
 * asked for. The API's errors are JSON {"error","message"}; the page's are
 * the page itself with the message. No CORS header: same origin only, like
 * every officer endpoint. */
#include "report_http.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "gw.h"
#include "kb.h"
#include "mc_log.h"
#include "report.h"
#include "store.h"

#define ARG_MAX 40 /* bytes of one query argument and its name: a date is 10 */

#define CT_JSON "application/json; charset=utf-8"
#define CT_HTML "text/html; charset=utf-8"

bool report_http_is_route(const char *path)
{
    return strcmp(path, REPORT_HTTP_API) == 0 || strcmp(path, REPORT_HTTP_PAGE) == 0;
}

void report_http_reply_fini(struct report_http_reply *out)
{
    free(out->body);
    out->body = NULL;
    out->len = 0;
}

static int set_json(struct report_http_reply *out, unsigned status, char *text)
{
    if (!text)
        return -ENOMEM;
    out->status = status;
    out->ctype = CT_JSON;
    out->body = text;
    out->len = strlen(text);
    return 0;
}

static int api_error(struct report_http_reply *out, unsigned status, const char *code,
                     const char *message)
{
    json_t *j = json_pack("{s:s,s:s}", "error", code, "message", message);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

    json_decref(j);
    return set_json(out, status, text);
}

static int page(struct report_http_reply *out, unsigned status, const struct report *r,
                const char *from, const char *to, const char *error, const char *who)
{
    out->status = status;
    out->ctype = CT_HTML;
    return report_page_html(r, from, to, error, who, &out->body, &out->len);
}

/* Fills the procedures' everyday names from the knowledge snapshot. */
static void name_procedures(const struct kb *kb, struct report *r)
{
    const json_t *g;
    const char *name;
    size_t i;

    for (i = 0; kb && i < r->n_top; i++) {
        g = kb_guide(kb, r->top[i].key);
        name = json_string_value(json_object_get(g, "short_name"));
        if (!name || !name[0])
            name = json_string_value(json_object_get(g, "name"));
        if (name)
            snprintf(r->top[i].name, sizeof(r->top[i].name), "%s", name);
    }
}

static int send_report(struct report_http_reply *out, const struct report *r,
                       enum report_format fmt)
{
    int rc;

    if (fmt == REPORT_JSON)
        return set_json(out, 200, report_to_json(r));
    out->status = 200;
    if (fmt == REPORT_CSV) {
        out->ctype = "text/csv; charset=utf-8";
        rc = report_to_csv(r, &out->body, &out->len);
    } else {
        out->ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        rc = report_to_xlsx(r, &out->body, &out->len);
    }
    if (rc == 0)
        snprintf(out->header, sizeof(out->header),
                 "content-disposition: attachment; filename=\"bao-cao-%s-%s.%s\"", r->from, r->to,
                 fmt == REPORT_CSV ? "csv" : "xlsx");
    else
        mc_log(MC_LOG_ERROR, "report.write", "format=%s rc=%d", fmt == REPORT_CSV ? "csv" : "xlsx",
               rc);
    return rc;
}

int report_http_serve(struct gw *gw, struct lws *wsi, const char *path, int auth,
                      const struct store_officer *o, struct report_http_reply *out)
{
    bool is_page = strcmp(path, REPORT_HTTP_PAGE) == 0;
    char fb[ARG_MAX], tb[ARG_MAX], mb[ARG_MAX];
    char dfrom[REPORT_DATE_LEN + 1], dto[REPORT_DATE_LEN + 1];
    const char *from, *to, *format, *code;
    struct mc_err err = {{0}};
    struct report *r = NULL;
    enum report_format fmt = REPORT_JSON;
    int off, rc;

    memset(out, 0, sizeof(*out));
    if (auth == -ENOENT)
        return is_page ? page(out, 401, NULL, NULL, NULL,
                              "Bạn cần đăng nhập bằng tài khoản quản trị (trang /officer) "
                              "để xem báo cáo.",
                              NULL)
                       : api_error(out, 401, "unauthorized", "Chưa đăng nhập.");
    if (auth)
        return api_error(out, 503, "internal", "The state database failed.");
    if (strcmp(o->role, "admin") != 0)
        return is_page ? page(out, 403, NULL, NULL, NULL,
                              "Chỉ tài khoản quản trị (admin) được xem báo cáo.", o->name)
                       : api_error(out, 403, "forbidden", "Chỉ quản trị viên được xem báo cáo.");
    from = lws_get_urlarg_by_name(wsi, "from=", fb, (int)sizeof(fb));
    to = lws_get_urlarg_by_name(wsi, "to=", tb, (int)sizeof(tb));
    format = lws_get_urlarg_by_name(wsi, "format=", mb, (int)sizeof(mb));
    if (is_page && !from && !to && report_tz_offset(gw->cfg->report_timezone, &off) == 0) {
        /* the page opens on the last seven days, today included */
        report_local_date((int64_t)time(NULL), off, -6, dfrom);
        report_local_date((int64_t)time(NULL), off, 0, dto);
        from = dfrom;
        to = dto;
    }
    code = report_check_query(from, to, is_page ? NULL : format, &fmt, &err);
    if (code)
        return is_page ? page(out, 400, NULL, from, to, err.text, o->name)
                       : api_error(out, 400, code, err.text);
    r = report_build(gw->store, from, to, gw->cfg->report_timezone, &err);
    if (!r) {
        mc_log(MC_LOG_ERROR, "report.build", "error=\"%s\"", err.text);
        return api_error(out, 503, "internal", "The report could not be built.");
    }
    name_procedures(gw->kb, r);
    mc_log(MC_LOG_INFO, "report", "user=%s from=%s to=%s format=%s", o->username, from, to,
           is_page              ? "page"
           : fmt == REPORT_JSON ? "json"
           : fmt == REPORT_CSV  ? "csv"
                                : "xlsx");
    rc = is_page ? page(out, 200, r, from, to, NULL, o->name) : send_report(out, r, fmt);
    report_free(r);
    if (rc) {
        report_http_reply_fini(out);
        return api_error(out, 503, "internal", "The report could not be written.");
    }
    return 0;
}
