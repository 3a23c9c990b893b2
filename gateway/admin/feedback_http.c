/* gateway/admin/feedback_http.c - see feedback_http.h. The question is the
 * turn record's text, masked when it was stored (router.c); the answer is the
 * reply's messages, masked again here because a reply may repeat what the
 * citizen typed. Texts are cut at a character boundary. */
#include "feedback_http.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "gw.h"
#include "http.h"
#include "kb.h"
#include "mc_buf.h"
#include "mc_log.h"
#include "mc_mask.h"
#include "mc_utf8.h"
#include "officer.h"
#include "officer_http.h"
#include "offload.h"
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
static const char *proc_name(const struct kb *kb, const char *id)
{
    const json_t *g = id[0] && kb ? kb_guide(kb, id) : NULL;
    const char *name = json_string_value(json_object_get(g, "short_name"));

    if (!name || !name[0])
        name = json_string_value(json_object_get(g, "name"));
    return name ? name : "";
}

struct lists {
    const struct kb *kb;
    json_t *procs, *downs;
};

static int on_procedure(void *ctx, const char *procedure, uint64_t up, uint64_t down)
{
    struct lists *l = ctx;

    return json_array_append_new(l->procs, json_pack("{s:s?,s:s,s:I,s:I}", "id",
                                                     procedure[0] ? procedure : NULL, "name",
                                                     proc_name(l->kb, procedure), "up",
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
                         "name", proc_name(l->kb, r->procedure), "question",
                         cut_json(r->question, strlen(r->question)), "answer",
                         answer_json(r->answer), "comment", r->comment[0] ? r->comment : NULL))
               ? -ENOMEM
               : 0;
}

/* What a request asks, read on the loop (the arguments live in lws's header
 * buffer), and what answering it needs but the store. */
struct query {
    const char *from, *to; /* into fb, tb, or NULL: missing */
    char fb[ARG_MAX], tb[ARG_MAX];
    char tz[CFG_STR_MAX]; /* report.timezone */
    struct kb *kb;        /* a reference (the procedures' names), or NULL */
};

static void query_read(struct gw *gw, struct lws *wsi, struct query *q)
{
    memset(q, 0, sizeof(*q));
    q->from = lws_get_urlarg_by_name(wsi, "from=", q->fb, (int)sizeof(q->fb));
    q->to = lws_get_urlarg_by_name(wsi, "to=", q->tb, (int)sizeof(q->tb));
    snprintf(q->tz, sizeof(q->tz), "%s", gw->cfg->report_timezone);
    q->kb = gw->kb ? kb_ref(gw->kb) : NULL;
}

static json_t *error_json(unsigned *status, unsigned code, const char *error, const char *message)
{
    *status = code;
    return json_pack("{s:s,s:s}", "error", error, "message", message);
}

/* The answer to q for officer o (auth: 0, -ENOENT without a live session,
 * else the store failed), its reads on st: *status and the JSON body (NULL:
 * out of memory). Touches nothing of the loop's: a reader thread runs it on
 * PostgreSQL (offload.h). */
static json_t *build(struct store *st, const struct query *q, int auth,
                     const struct store_officer *o, unsigned *status)
{
    struct lists l = {q->kb, NULL, NULL};
    struct store_report_span sp;
    struct mc_err err = {{0}};
    enum report_format fmt;
    const char *code;
    uint64_t up = 0, down = 0;
    bool available;
    int rc;

    if (auth == -ENOENT)
        return error_json(status, 401, "unauthorized", "Chưa đăng nhập.");
    if (auth)
        return error_json(status, 503, "internal", "The state database failed.");
    if (strcmp(o->role, "admin") != 0)
        return error_json(status, 403, "forbidden",
                          "Chỉ quản trị viên được xem đánh giá của người dân.");
    code = report_check_query(q->from, q->to, NULL, &fmt, &err);
    if (code)
        return error_json(status, 400, code, err.text);
    if (report_span(q->from, q->to, q->tz, &sp))
        return error_json(status, 503, "internal", "report.timezone is not usable.");
    l.procs = json_array();
    l.downs = json_array();
    rc = l.procs && l.downs ? 0 : -ENOMEM;
    if (!rc)
        rc = store_report_feedback(st, &sp, &available, &up, &down);
    if (!rc)
        rc = store_feedback_by_procedure(st, &sp, FEEDBACK_HTTP_PROCEDURES_MAX, on_procedure, &l);
    if (!rc)
        rc = store_feedback_downs(st, &sp, FEEDBACK_HTTP_DOWNS_MAX, on_down, &l);
    if (rc) {
        json_decref(l.procs);
        json_decref(l.downs);
        mc_log(MC_LOG_ERROR, "admin.feedback", "rc=%d", rc);
        return error_json(status, 503, "internal", "The state database failed.");
    }
    mc_log(MC_LOG_INFO, "admin.feedback", "user=%s from=%s to=%s", o->username, q->from, q->to);
    *status = 200;
    return json_pack("{s:s,s:s,s:s,s:{s:I,s:I},s:o,s:o}", "from", q->from, "to", q->to, "timezone",
                     q->tz, "total", "up", (json_int_t)up, "down", (json_int_t)down, "by_procedure",
                     l.procs, "latest_down", l.downs);
}

/* ---- off the loop (PostgreSQL: offload.h) ------------------------------ */

struct job {
    struct query q;
    char cookie[OFFICER_TOKEN_LEN + 1]; /* the motcua_officer cookie, checked on the thread */
};

static void job_free(void *arg)
{
    struct job *j = arg;

    if (!j)
        return;
    kb_unref(j->q.kb);
    explicit_bzero(j->cookie, sizeof(j->cookie));
    free(j);
}

/* offload_run_fn: the cookie check and the lists on the thread's store st;
 * the body officer_http_respond() would send. */
static int job_run(struct store *st, void *arg, struct offload_reply *out)
{
    struct job *j = arg;
    struct store_officer o;
    char csrf[STORE_OFFICER_CSRF_MAX], token_hash[OFFICER_TOKEN_LEN + 1];
    int auth = st ? officer_http_session_in(st, j->cookie, &o, csrf, token_hash) : -EIO;
    unsigned status = 503;
    json_t *body = build(st, &j->q, auth, &o, &status);

    explicit_bzero(csrf, sizeof(csrf));
    return offload_reply_json(out, status, body);
}

int feedback_http_route(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    char csrf[STORE_OFFICER_CSRF_MAX], token_hash[OFFICER_TOKEN_LEN + 1];
    struct store_officer o;
    struct query q;
    unsigned status = 503;
    json_t *body;
    int auth;

    if (r->method != HTTP_GET && r->method != HTTP_HEAD)
        return officer_http_error(gw, wsi, r, 405, "method", "Use GET.");
    if (offload_on(gw)) { /* PostgreSQL: the cookie check and the lists on a reader thread */
        struct job *j = calloc(1, sizeof(*j));

        if (!j)
            return officer_http_error(gw, wsi, r, 503, "internal", "Out of memory.");
        query_read(gw, wsi, &j->q);
        if (strlen(r->officer_cookie) < sizeof(j->cookie)) /* longer: "" is no session */
            snprintf(j->cookie, sizeof(j->cookie), "%s", r->officer_cookie);
        return offload_answer(gw, wsi, r, job_run, j, job_free);
    }
    auth = officer_http_auth(gw, r, &o, csrf, token_hash);
    query_read(gw, wsi, &q);
    body = build(gw->store, &q, auth, &o, &status);
    kb_unref(q.kb);
    return officer_http_respond(gw, wsi, r, status, body, NULL);
}
