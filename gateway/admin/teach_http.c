/* gateway/admin/teach_http.c - see teach_http.h. Access first (401, 403,
 * CSRF), then the request's checks (400 naming the problem), then the
 * work. A taught phrase is checked against the phrases the worker's index
 * was built from; the trial index built for the check becomes the worker's
 * index when the phrase is accepted, and the other workers rebuild theirs
 * when they see the new revision (teach.h). */
#include "teach_http.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw.h"
#include "http.h"
#include "kb.h"
#include "mc_buf.h"
#include "mc_log.h"
#include "officer_http.h"
#include "report.h"
#include "store.h"
#include "teach.h"
#include "teach_build.h"
#include "offload.h"
#include "unanswered.h"

#define ARG_MAX 40                /* bytes of one query argument and its name: a date is 10 */
#define TSV_MAX (2 * 1024 * 1024) /* bytes of the export: 2000 phrases of 512 bytes fit */

static const char unanswered_path[] = TEACH_HTTP_PREFIX "unanswered";
static const char phrases_path[] = TEACH_HTTP_PREFIX "phrases";
static const char tsv_path[] = TEACH_HTTP_PREFIX "phrases.tsv";

/* The id of /phrases/{id}, or 0 when rest is not a positive decimal. */
static int64_t phrase_id(const char *path)
{
    const char *s = path + sizeof phrases_path; /* after "phrases/" */
    int64_t id = 0;

    if (strncmp(path, phrases_path, sizeof phrases_path - 1) != 0 ||
        path[sizeof phrases_path - 1] != '/' || !*s || strlen(s) > 15)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        id = id * 10 + (*s - '0');
    }
    return id;
}

bool teach_http_is_route(const char *path)
{
    return strcmp(path, unanswered_path) == 0 || strcmp(path, phrases_path) == 0 ||
           strcmp(path, tsv_path) == 0 ||
           (strncmp(path, phrases_path, sizeof phrases_path - 1) == 0 &&
            path[sizeof phrases_path - 1] == '/');
}

static int error(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                 const char *code, const char *message)
{
    return officer_http_error(gw, wsi, r, status, code, message);
}

static int db_error(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    return error(gw, wsi, r, 503, "internal", "The state database failed.");
}

/* ---- GET /unanswered ------------------------------------------------------ */

static int api_unanswered(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    char fb[ARG_MAX], tb[ARG_MAX];
    const char *from, *to, *code;
    enum report_format fmt;
    struct mc_err err = {{0}};
    json_t *j;

    from = lws_get_urlarg_by_name(wsi, "from=", fb, (int)sizeof(fb));
    to = lws_get_urlarg_by_name(wsi, "to=", tb, (int)sizeof(tb));
    code = report_check_query(from, to, NULL, &fmt, &err);
    if (code)
        return error(gw, wsi, r, 400, code, err.text);
    j = unanswered_json(gw->store, gw->kb, from, to, gw->cfg->report_timezone, &err);
    if (!j) {
        mc_log(MC_LOG_ERROR, "admin.unanswered", "error=\"%s\"", err.text);
        return error(gw, wsi, r, 503, "internal", "The list could not be built.");
    }
    return officer_http_respond(gw, wsi, r, 200, j, NULL);
}

/* ---- GET /phrases, /phrases.tsv -------------------------------------------- */

struct list_ctx {
    const struct kb *kb;
    json_t *arr;
    struct mc_buf *tsv;
};

static int on_list(void *ctx, const struct store_phrase *p)
{
    struct list_ctx *c = ctx;
    const json_t *g = c->kb ? kb_guide(c->kb, p->label) : NULL;
    const char *name = json_string_value(json_object_get(g, "short_name"));

    if (c->tsv) /* label<TAB>phrase, as data/intents/ files (a phrase has no tab nor line end) */
        return mc_buf_append(c->tsv, p->label, strlen(p->label)) ||
                       mc_buf_append(c->tsv, "\t", sizeof "\t" - 1) ||
                       mc_buf_append(c->tsv, p->text, strlen(p->text)) ||
                       mc_buf_append(c->tsv, "\n", sizeof "\n" - 1)
                   ? -ENOMEM
                   : 0;
    return json_array_append_new(c->arr, json_pack("{s:I,s:s,s:s,s:s,s:s,s:I}", "id",
                                                   (json_int_t)p->id, "text", p->text, "label",
                                                   p->label, "name", name ? name : "", "officer",
                                                   p->officer, "created", (json_int_t)p->created))
               ? -ENOMEM
               : 0;
}

static int api_list(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct list_ctx c = {gw->kb, json_array(), NULL};
    int rc;

    if (!c.arr)
        return error(gw, wsi, r, 503, "internal", "Out of memory.");
    rc = store_phrase_list(gw->store, on_list, &c);
    if (rc) {
        json_decref(c.arr);
        return rc == -ENOMEM ? error(gw, wsi, r, 503, "internal", "Out of memory.")
                             : db_error(gw, wsi, r);
    }
    return officer_http_respond(gw, wsi, r, 200, json_pack("{s:o}", "phrases", c.arr), NULL);
}

static int api_tsv(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    static const char head[] =
        "# taught-phrases.tsv - phrases commune admins taught in the console (/admin), "
        "label<TAB>phrase.\n"
        "# Review each line before adding it to a data/intents/ files file (docs/admin.md).\n";
    struct mc_buf b;
    struct list_ctx c = {gw->kb, NULL, &b};
    int rc;

    mc_buf_init(&b, TSV_MAX);
    rc = mc_buf_append(&b, head, sizeof head - 1) ? -ENOMEM
                                                  : store_phrase_list(gw->store, on_list, &c);
    if (rc) {
        mc_buf_fini(&b);
        return rc == -EIO ? db_error(gw, wsi, r)
                          : error(gw, wsi, r, 503, "internal", "Out of memory.");
    }
    rc = http_respond(gw, wsi, r, 200, "text/tab-separated-values; charset=utf-8", b.data, b.len,
                      "content-disposition: attachment; filename=\"taught-phrases.tsv\"");
    mc_buf_fini(&b);
    return rc;
}

/* ---- POST /phrases ----------------------------------------------------------- */

/* 0 when text is one line of printable text; else the 400 was sent. */
static int check_text(const char *text, size_t len, const char **why)
{
    size_t i;

    *why = NULL;
    if (len > TEACH_TEXT_MAX)
        *why = "too_long";
    for (i = 0; !*why && i < len; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            *why = "bad_text";
    return *why ? -EINVAL : 0;
}

static int api_teach(struct gw *gw, struct lws *wsi, struct http_req *r,
                     const struct store_officer *o)
{
    json_error_t jerr;
    json_t *req, *jt, *jl;
    char fold[TEACH_FOLD_MAX], label[TEACH_LABEL_MAX], *text = NULL;
    const char *why = NULL;
    size_t len;
    int rc;

    if (!r->json_body)
        return error(gw, wsi, r, 415, "content_type",
                     "Send the body as Content-Type: application/json.");
    req = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &jerr);
    jt = json_object_get(req, "text");
    jl = json_object_get(req, "label");
    if (!json_is_object(req) || !json_is_string(jt) || !json_is_string(jl)) {
        json_decref(req);
        return error(gw, wsi, r, 400, "bad_json",
                     "The body must be {\"text\": \"...\", \"label\": \"...\"}.");
    }
    len = json_string_length(jt);
    snprintf(label, sizeof(label), "%s", json_string_value(jl));
    if (json_string_length(jl) >= sizeof(label) || check_text(json_string_value(jt), len, &why)) {
        json_decref(req);
        if (json_string_length(jl) >= sizeof(label))
            return error(gw, wsi, r, 400, "unknown_label", "label: không có thủ tục này.");
        return error(gw, wsi, r, 400, why,
                     strcmp(why, "too_long") == 0
                         ? "text: dài quá 512 byte."
                         : "text: chỉ một dòng, không có ký tự điều khiển (tab, xuống dòng).");
    }
    text = strdup(json_string_value(jt));
    json_decref(req);
    if (!text)
        return error(gw, wsi, r, 503, "internal", "Out of memory.");
    rc = teach_fold(text, len, fold, sizeof(fold));
    if (rc || !fold[0]) {
        free(text);
        return rc == -ENOMEM ? error(gw, wsi, r, 503, "internal", "Out of memory.")
               : rc          ? error(gw, wsi, r, 400, "bad_text", "text: không đọc được.")
                             : error(gw, wsi, r, 400, "empty_text", "text: chưa có câu hỏi.");
    }
    /* checked and built off the loop (teach_build.h); the answer comes when done */
    rc = teach_build_teach(gw, wsi, text, label, o->username, r->peer);
    free(text);
    if (rc == -EBUSY)
        return officer_http_respond(gw, wsi, r, 503,
                                    json_pack("{s:s,s:s}", "error", "teach_busy", "message",
                                              "Đang dạy nhiều câu khác; thử lại sau giây lát."),
                                    "retry-after: 1");
    return rc ? error(gw, wsi, r, 503, "internal", "Out of memory.") : 0;
}

/* ---- DELETE /phrases/{id} ---------------------------------------------------- */

static int api_delete(struct gw *gw, struct lws *wsi, struct http_req *r,
                      const struct store_officer *o, int64_t id)
{
    char label[STORE_PHRASE_LABEL_MAX], detail[128];
    int64_t rev, now = (int64_t)time(NULL);
    int rc = id ? store_phrase_delete(gw->store, id, label, &rev) : -ENOENT;

    if (rc == -ENOENT)
        return error(gw, wsi, r, 404, "unknown_phrase", "Không có câu đã dạy này.");
    snprintf(detail, sizeof(detail), "phrase=%lld label=%s", (long long)id, rc ? "" : label);
    if (rc || store_audit_add(gw->store, now, o->username, "unteach", NULL, r->peer, detail))
        return db_error(gw, wsi, r);
    mc_log(MC_LOG_INFO, "admin.unteach", "user=%s id=%lld label=%s rev=%lld", o->username,
           (long long)id, label, (long long)rev);
    /* in the open batch: answered once committed (the loop never waits for
     * it) and rebuilt without it, off the loop: in effect from the 200 */
    rc = teach_build_deleted(gw, wsi, id, label);
    if (rc == -EBUSY) /* too many waiting: answered once committed, in effect after them */
        return officer_http_respond_committed(
            gw, wsi, r, 200, json_pack("{s:I,s:s}", "deleted", (json_int_t)id, "label", label),
            NULL, NULL);
    return rc ? error(gw, wsi, r, 503, "internal", "Out of memory.") : 0;
}

static bool method_ok(const char *path, int method)
{
    bool get = method == HTTP_GET || method == HTTP_HEAD;

    if (strcmp(path, phrases_path) == 0)
        return get || method == HTTP_POST;
    if (strcmp(path, unanswered_path) == 0 || strcmp(path, tsv_path) == 0)
        return get;
    return method == HTTP_DELETE; /* phrases/{id} */
}

int teach_http_route(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct store_officer o;
    char csrf[STORE_OFFICER_CSRF_MAX], token_hash[OFFICER_TOKEN_LEN + 1];
    bool get = r->method == HTTP_GET || r->method == HTTP_HEAD;
    int64_t id = phrase_id(r->path);
    int rc;

    if (!method_ok(r->path, r->method)) /* wrong for everybody: before the session */
        return error(gw, wsi, r, 405, "method", "Method not allowed here.");
    if (get && strcmp(r->path, unanswered_path) == 0 && offload_on(gw))
        return unanswered_http_offload(gw, wsi, r); /* PostgreSQL: read off the loop, all of it */
    rc = officer_http_auth(gw, r, &o, csrf, token_hash);
    if (rc == -ENOENT)
        return error(gw, wsi, r, 401, "unauthorized", "Chưa đăng nhập.");
    if (rc)
        return db_error(gw, wsi, r);
    if (strcmp(o.role, "admin") != 0)
        return error(gw, wsi, r, 403, "forbidden", "Chỉ quản trị viên được dùng trang quản trị.");
    if (!get && !officer_http_has_csrf(r, csrf))
        return error(gw, wsi, r, 403, "csrf", "X-CSRF-Token is missing or wrong.");
    if (!gw->kb || !gw->index)
        return error(gw, wsi, r, 503, "not_ready", "The knowledge base is not loaded.");
    if (!get && gw->draining) {
        /* stopping: a teach would be built and stored while the process goes away, and its
         * answer might never leave; nothing is done, the client sends it again (another
         * node, or this one restarted). Answered whole, then closed: the drain may end
         * before a WRITEABLE */
        r->close_after = true;
        return officer_http_respond(gw, wsi, r, 503,
                                    json_pack("{s:s,s:s}", "error", "shutting_down", "message",
                                              "The server is stopping; nothing was changed."),
                                    "retry-after: 1");
    }
    if (strcmp(r->path, unanswered_path) == 0)
        return api_unanswered(gw, wsi, r);
    if (strcmp(r->path, tsv_path) == 0)
        return api_tsv(gw, wsi, r);
    if (strcmp(r->path, phrases_path) == 0)
        return get ? api_list(gw, wsi, r) : api_teach(gw, wsi, r, &o);
    return api_delete(gw, wsi, r, &o, id);
}
