/* gateway/admin/feedback_http.c - see feedback_http.h. The question is the
 * turn record's text, masked when it was stored (router.c); the answer is the
 * reply's messages, masked again here because a reply may repeat what the
 * citizen typed. Texts are cut at a character boundary. */
#include "feedback_http.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "gw.h"
#include "http.h"
#include "kb.h"
#include "mc_buf.h"
#include "mc_log.h"
#include "mc_mask.h"
#include "mc_utf8.h"
#include "officer_http.h"
#include "report.h"
#include "store.h"

#define ARG_MAX 40 /* bytes of one query argument: a date is 10 */

bool feedback_http_is_route(const char *path)
{
    return strcmp(path, FEEDBACK_HTTP_API) == 0;
}

/* s cut to FEEDBACK_HTTP_TEXT_MAX bytes at a character boundary, with "…"
 * when cut, as a new JSON string (NULL: no memory). */
static json_t *cut_json(const char *s, size_t len)
{
    static const char ell[] = "…";
    char buf[FEEDBACK_HTTP_TEXT_MAX + sizeof ell];
    size_t n;

    if (len <= FEEDBACK_HTTP_TEXT_MAX)
        return json_stringn(s, len);
    n = mc_utf8_floor(s, len, FEEDBACK_HTTP_TEXT_MAX);
    memcpy(buf, s, n);
    memcpy(buf + n, ell, sizeof ell - 1);
    return json_stringn(buf, n + sizeof ell - 1);
}

/* The answer's messages, one per line, masked and cut. Twice what is shown
 * is gathered before masking, so a number across the cut is masked whole. */
static json_t *answer_json(const char *reply_text)
{
    const size_t gather = FEEDBACK_HTTP_TEXT_MAX * 2;
    json_t *reply = json_loads(reply_text, 0, NULL), *m, *out = NULL;
    struct mc_buf text, masked;
    const char *t;
    size_t i, n;
    int rc = 0;

    mc_buf_init(&text, gather);
    mc_buf_init(&masked, gather * 2);
    json_array_foreach(json_object_get(reply, "messages"), i, m)
    {
        t = json_string_value(json_object_get(m, "text"));
        if (!t || !t[0])
            continue;
        if (text.len && (rc = mc_buf_append(&text, "\n", sizeof "\n" - 1)))
            break;
        n = mc_utf8_floor(t, strlen(t), gather - text.len);
        if ((rc = mc_buf_append(&text, t, n)) || text.len >= gather - 1)
            break;
    }
    if (rc != -ENOMEM && !mc_mask_pii(text.data ? text.data : "", text.len, &masked))
        out = cut_json(masked.data ? masked.data : "", masked.len);
    json_decref(reply);
    mc_buf_fini(&text);
    mc_buf_fini(&masked);
    return out;
}

/* The everyday name of procedure id ("" when unknown or none). */
static const char *proc_name(const struct gw *gw, const char *id)
{
    const json_t *g = id[0] && gw->kb ? kb_guide(gw->kb, id) : NULL;
    const char *name = json_string_value(json_object_get(g, "short_name"));

    if (!name || !name[0])
        name = json_string_value(json_object_get(g, "name"));
    return name ? name : "";
}

struct lists {
    const struct gw *gw;
    json_t *procs, *downs;
};

static int on_procedure(void *ctx, const char *procedure, uint64_t up, uint64_t down)
{
    struct lists *l = ctx;

    return json_array_append_new(l->procs, json_pack("{s:s?,s:s,s:I,s:I}", "id",
                                                     procedure[0] ? procedure : NULL, "name",
                                                     proc_name(l->gw, procedure), "up",
                                                     (json_int_t)up, "down", (json_int_t)down))
               ? -ENOMEM
               : 0;
}

static int on_down(void *ctx, const struct store_feedback_row *r)
{
    struct lists *l = ctx;

    return json_array_append_new(
               l->downs,
               json_pack("{s:I,s:s,s:s?,s:s,s:o?,s:o?,s:s?}", "ts", (json_int_t)r->ts * 1000,
                         "channel", r->channel, "procedure", r->procedure[0] ? r->procedure : NULL,
                         "name", proc_name(l->gw, r->procedure), "question",
                         cut_json(r->question, strlen(r->question)), "answer",
                         answer_json(r->answer), "comment", r->comment[0] ? r->comment : NULL))
               ? -ENOMEM
               : 0;
}

int feedback_http_route(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    char csrf[STORE_OFFICER_CSRF_MAX], token_hash[OFFICER_TOKEN_LEN + 1];
    char fb[ARG_MAX], tb[ARG_MAX];
    struct lists l = {gw, NULL, NULL};
    struct store_report_span sp;
    struct store_officer o;
    struct mc_err err = {{0}};
    enum report_format fmt;
    const char *from, *to, *code;
    uint64_t up = 0, down = 0;
    bool available;
    int rc;

    if (r->method != HTTP_GET && r->method != HTTP_HEAD)
        return officer_http_error(gw, wsi, r, 405, "method", "Use GET.");
    rc = officer_http_auth(gw, r, &o, csrf, token_hash);
    if (rc == -ENOENT)
        return officer_http_error(gw, wsi, r, 401, "unauthorized", "Chưa đăng nhập.");
    if (rc)
        return officer_http_error(gw, wsi, r, 503, "internal", "The state database failed.");
    if (strcmp(o.role, "admin") != 0)
        return officer_http_error(gw, wsi, r, 403, "forbidden",
                                  "Chỉ quản trị viên được xem đánh giá của người dân.");
    from = lws_get_urlarg_by_name(wsi, "from=", fb, (int)sizeof(fb));
    to = lws_get_urlarg_by_name(wsi, "to=", tb, (int)sizeof(tb));
    code = report_check_query(from, to, NULL, &fmt, &err);
    if (code)
        return officer_http_error(gw, wsi, r, 400, code, err.text);
    if (report_span(from, to, gw->cfg->report_timezone, &sp))
        return officer_http_error(gw, wsi, r, 503, "internal", "report.timezone is not usable.");
    l.procs = json_array();
    l.downs = json_array();
    rc = l.procs && l.downs ? 0 : -ENOMEM;
    if (!rc)
        rc = store_report_feedback(gw->store, &sp, &available, &up, &down);
    if (!rc)
        rc = store_feedback_by_procedure(gw->store, &sp, FEEDBACK_HTTP_PROCEDURES_MAX, on_procedure,
                                         &l);
    if (!rc)
        rc = store_feedback_downs(gw->store, &sp, FEEDBACK_HTTP_DOWNS_MAX, on_down, &l);
    if (rc) {
        json_decref(l.procs);
        json_decref(l.downs);
        mc_log(MC_LOG_ERROR, "admin.feedback", "rc=%d", rc);
        return officer_http_error(gw, wsi, r, 503, "internal", "The state database failed.");
    }
    mc_log(MC_LOG_INFO, "admin.feedback", "user=%s from=%s to=%s", o.username, from, to);
    return officer_http_respond(gw, wsi, r, 200,
                                json_pack("{s:s,s:s,s:s,s:{s:I,s:I},s:o,s:o}", "from", from, "to",
                                          to, "timezone", gw->cfg->report_timezone, "total", "up",
                                          (json_int_t)up, "down", (json_int_t)down, "by_procedure",
                                          l.procs, "latest_down", l.downs),
                                NULL);
}
