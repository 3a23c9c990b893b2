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
#include "officer.h"
#include "officer_http.h"
#include "offload.h"
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

/* What a report request asks, read on the loop (the query's arguments live
 * in lws's header buffer): everything build() needs but the store. */
struct query {
    bool is_page;
    const char *from, *to, *format; /* into the buffers below, or NULL: missing */
    char fb[ARG_MAX], tb[ARG_MAX], mb[ARG_MAX];
    char tz[CFG_STR_MAX]; /* report.timezone */
};

static void query_read(struct gw *gw, struct lws *wsi, const char *path, struct query *q)
{
    int off;

    memset(q, 0, sizeof(*q));
    q->is_page = strcmp(path, REPORT_HTTP_PAGE) == 0;
    snprintf(q->tz, sizeof(q->tz), "%s", gw->cfg->report_timezone);
    q->from = lws_get_urlarg_by_name(wsi, "from=", q->fb, (int)sizeof(q->fb));
    q->to = lws_get_urlarg_by_name(wsi, "to=", q->tb, (int)sizeof(q->tb));
    q->format = lws_get_urlarg_by_name(wsi, "format=", q->mb, (int)sizeof(q->mb));
    if (q->is_page && !q->from && !q->to && report_tz_offset(q->tz, &off) == 0) {
        /* the page opens on the last seven days, today included */
        report_local_date((int64_t)time(NULL), off, -6, q->fb);
        report_local_date((int64_t)time(NULL), off, 0, q->tb);
        q->from = q->fb;
        q->to = q->tb;
    }
}

/* The answer to q for officer o (auth as report_http_serve takes it), with
 * the queries on st and the procedures' names from kb (NULL: none). Touches
 * nothing of the loop's: it runs on a reader thread too (offload.h). */
static int build(struct store *st, const struct kb *kb, const struct query *q, int auth,
                 const struct store_officer *o, struct report_http_reply *out)
{
    bool is_page = q->is_page;
    const char *from = q->from, *to = q->to, *code;
    struct mc_err err = {{0}};
    struct report *r = NULL;
    enum report_format fmt = REPORT_JSON;
    int rc;

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
    code = report_check_query(from, to, is_page ? NULL : q->format, &fmt, &err);
    if (code)
        return is_page ? page(out, 400, NULL, from, to, err.text, o->name)
                       : api_error(out, 400, code, err.text);
    r = report_build(st, from, to, q->tz, &err);
    if (!r) {
        mc_log(MC_LOG_ERROR, "report.build", "error=\"%s\"", err.text);
        return api_error(out, 503, "internal", "The report could not be built.");
    }
    name_procedures(kb, r);
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

int report_http_serve(struct gw *gw, struct lws *wsi, const char *path, int auth,
                      const struct store_officer *o, struct report_http_reply *out)
{
    struct query q;

    query_read(gw, wsi, path, &q);
    return build(gw->store, gw->kb, &q, auth, o, out);
}

/* ---- off the loop (offload.h) ------------------------------------------ */

struct report_http_job {
    struct query q;
    char cookie[OFFICER_TOKEN_LEN + 1]; /* the motcua_officer cookie, checked on the thread */
    struct kb *kb;                      /* a reference: a reload may swap gw->kb meanwhile */
};

struct report_http_job *report_http_job_new(struct gw *gw, struct lws *wsi, const char *path,
                                            const char *cookie)
{
    struct report_http_job *j = calloc(1, sizeof(*j));

    if (!j)
        return NULL;
    query_read(gw, wsi, path, &j->q);
    /* q's pointers are into its own buffers: j does not move */
    if (strlen(cookie) < sizeof(j->cookie))
        snprintf(j->cookie, sizeof(j->cookie), "%s", cookie); /* longer: "" is no session */
    j->kb = gw->kb ? kb_ref(gw->kb) : NULL;
    return j;
}

void report_http_job_free(void *arg)
{
    struct report_http_job *j = arg;

    if (!j)
        return;
    kb_unref(j->kb);
    explicit_bzero(j->cookie, sizeof(j->cookie));
    free(j);
}

int report_http_job_run(struct store *st, void *arg, struct offload_reply *out)
{
    struct report_http_job *j = arg;
    struct store_officer o;
    char csrf[STORE_OFFICER_CSRF_MAX], token_hash[OFFICER_TOKEN_LEN + 1];
    struct report_http_reply rep;
    int auth = st ? officer_http_session_in(st, j->cookie, &o, csrf, token_hash) : -EIO;

    explicit_bzero(csrf, sizeof(csrf));
    if (build(st, j->kb, &j->q, auth, &o, &rep))
        return -ENOMEM;
    out->status = rep.status;
    out->ctype = rep.ctype;
    out->body = rep.body; /* moved */
    out->len = rep.len;
    snprintf(out->hdr, sizeof(out->hdr), "%s", rep.header);
    return 0;
}
