/* gateway/http.c - see http.h. Every error of the API is JSON {"error":
 * code, "message": text} with the matching status; the pages people open
 * in a browser (the guides, page_http.h; the report page) answer theirs in
 * HTML. Every body's length is counted (strlen, a buffer's length, or
 * HTTP_LIT for a literal), never typed. */
#include "http.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gw.h"
#include "http_path.h"
#include "conn.h"
#include "page_http.h"
#include "notify.h"
#include "paths.h"
#include "qr.h"
#include "reload.h"
#include "speech.h"
#include "store.h"
#include "share_http.h"
#include "share_render.h"
#include "webhook.h"
#include "http_hold.h"
#include "intent.h"
#include "kb.h"
#include "kb_portal.h"
#include "cfg.h"
#include "kb_units.h"
#include "mc_log.h"
#include "mc_utf8.h"
#include "officer_http.h"
#include "notes.h"
#include "office.h"
#include "feedback_http.h"
#include "report_http.h"
#include "teach_build.h"
#include "teach_http.h"

#define HTTP_CHUNK (32 * 1024) /* bytes written per WRITEABLE callback */
#define HTTP_HDRS_MAX 2048     /* bytes of response headers */

/* A string literal and its length in bytes, counted by the compiler; the
 * "" concatenation makes anything but a literal a compile error. */
#define HTTP_LIT(s) ("" s), (sizeof("" s) - 1)

/* s after prefix, or NULL when s does not start with prefix. */
static const char *after_prefix(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);

    return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

static void req_reset(struct http_req *r)
{
    if (r->active) {
        mc_buf_fini(&r->body);
        free(r->resp);
    }
    memset(r, 0, sizeof(*r));
}

static void req_init(struct http_req *r)
{
    req_reset(r);
    r->active = true;
    mc_buf_init(&r->body, HTTP_BODY_MAX);
}

/* Sends status + headers now and queues body (copied) for WRITEABLE. */
static int respond(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                   const char *ctype, const char *body, size_t len, const char *extra_hdr)
{
    unsigned char hdr[LWS_PRE + HTTP_HDRS_MAX], *start = hdr + LWS_PRE, *p = start,
                                                *end = hdr + sizeof(hdr) - 1;

    gw->metrics.http_requests++;
    if (status / 100 >= 2 && status / 100 <= 5)
        gw->metrics.http_status[status / 100]++;
    free(r->resp);
    r->resp = malloc(LWS_PRE + len + 1);
    if (!r->resp)
        return -1;
    if (len)
        memcpy(r->resp + LWS_PRE, body, len);
    r->resp_len = r->method == HTTP_HEAD ? 0 : len;
    r->resp_sent = 0;
    if (lws_add_http_common_headers(wsi, status, ctype, len, &p, end) ||
        lws_add_http_header_by_name(
            wsi, (const unsigned char *)"x-content-type-options:", (const unsigned char *)"nosniff",
            (int)sizeof "nosniff" - 1, &p, end) ||
        lws_add_http_header_by_name(
            wsi, (const unsigned char *)"cache-control:", (const unsigned char *)"no-store",
            (int)sizeof "no-store" - 1, &p, end))
        return -1;
    if (extra_hdr) {
        const char *colon = strchr(extra_hdr, ':');
        char name[64];

        if (colon && (size_t)(colon - extra_hdr) < sizeof(name) - 1) {
            memcpy(name, extra_hdr, (size_t)(colon - extra_hdr) + 1);
            name[colon - extra_hdr + 1] = '\0';
            if (lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                            (const unsigned char *)colon + 2,
                                            (int)strlen(colon + 2), &p, end))
                return -1;
        }
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    if (r->close_after) { /* the rest of the request cannot be read: answer whole, then close */
        if (r->resp_len)
            (void)lws_write(wsi, r->resp + LWS_PRE, r->resp_len, LWS_WRITE_HTTP_FINAL);
        r->resp_sent = r->resp_len;
        return -1;
    }
    if (r->resp_len == 0)
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    lws_callback_on_writable(wsi);
    return 0;
}

int http_respond(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                 const char *ctype, const char *body, size_t len, const char *extra_hdr)
{
    return respond(gw, wsi, r, status, ctype, body, len, extra_hdr);
}

static int respond_json(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                        json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    int rc;

    json_decref(j);
    if (!text)
        return respond(gw, wsi, r, 503, "application/json",
                       HTTP_LIT("{\"error\":\"internal\",\"message\":\"out of memory\"}"), NULL);
    rc = respond(gw, wsi, r, status, "application/json; charset=utf-8", text, strlen(text),
                 "access-control-allow-origin: *");
    free(text);
    return rc;
}

static int respond_error(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                         const char *code, const char *message)
{
    return respond_json(gw, wsi, r, status,
                        json_pack("{s:s,s:s}", "error", code, "message", message));
}

static int respond_text_json(struct gw *gw, struct lws *wsi, struct http_req *r, char *json)
{
    int rc = respond(gw, wsi, r, 200, "application/json; charset=utf-8", json, strlen(json),
                     "access-control-allow-origin: *");

    free(json);
    return rc;
}

/* ---- static files ----------------------------------------------------- */

static int serve_static(struct gw *gw, struct lws *wsi, struct http_req *r, const char *path)
{
    char file[HTTP_PATH_MAX + 600];
    struct stat st;
    const char *mime;
    int n;

    if (strcmp(path, "/") == 0)
        path = "/index.html";
    else if (strcmp(path, "/kiosk") == 0 || strcmp(path, "/kiosk/") == 0)
        path = "/kiosk.html";
    else if (strcmp(path, "/officer") == 0 || strcmp(path, "/officer/") == 0)
        path = "/officer.html";
    else if (strcmp(path, "/admin") == 0 || strcmp(path, "/admin/") == 0)
        path = "/admin.html";
    if (!http_path_is_safe(path) || !(mime = http_path_mime(path)))
        return respond_error(gw, wsi, r, 404, "not_found", "No such page.");
    snprintf(file, sizeof(file), "%s%s", gw->cfg->data_web_root, path);
    if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
        return respond_error(gw, wsi, r, 404, "not_found", "No such page.");
    gw->metrics.http_requests++;
    gw->metrics.http_status[2]++;
    n = lws_serve_http_file(wsi, file, mime, NULL, 0);
    if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
        return -1;
    return 0;
}

/* ---- API ---------------------------------------------------------------- */

static int api_ask(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    json_error_t jerr;
    json_t *req, *jt;
    struct intent_result *res;
    char *line = NULL;
    int rc;

    if (!gw->index)
        return respond_error(gw, wsi, r, 503, "not_ready", "Understanding is not loaded.");
    if (!mc_utf8_is_valid(r->body.data ? r->body.data : "", r->body.len))
        return respond_error(gw, wsi, r, 400, "invalid_utf8", "The body is not valid UTF-8.");
    req = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req || !json_is_object(req)) {
        json_decref(req);
        return respond_error(gw, wsi, r, 400, "bad_json",
                             "The body must be a JSON object {\"text\": \"...\"}.");
    }
    jt = json_object_get(req, "text");
    if (!json_is_string(jt)) {
        json_decref(req);
        return respond_error(gw, wsi, r, 400, "missing_field", "\"text\" must be a string.");
    }
    res = malloc(sizeof(*res)); /* ~10 KiB: not on the event loop's stack */
    if (!res) {
        json_decref(req);
        return respond_error(gw, wsi, r, 503, "internal", "Out of memory.");
    }
    rc = intent_match(gw->index, json_string_value(jt), json_string_length(jt), res);
    json_decref(req);
    if (rc == -E2BIG)
        rc = respond_error(gw, wsi, r, 413, "too_long", "\"text\" is longer than 2048 bytes.");
    else if (rc == -EINVAL)
        rc = respond_error(gw, wsi, r, 400, "bad_text", "\"text\" is not valid UTF-8 text.");
    else if (rc || kb_portal_result_json(gw->kb ? kb_portal(gw->kb) : NULL,
                                         gw->kb ? kb_referrals(gw->kb) : NULL, res, &line))
        rc = respond_error(gw, wsi, r, 503, "internal", "Understanding failed.");
    else {
        gw->metrics.msg_in[METRICS_API]++;
        gw->metrics.decisions[res->decision]++;
        rc = respond_text_json(gw, wsi, r, line);
    }
    free(res);
    return rc;
}

/* Served from the kb snapshot: the JSON text stored at import, as it is. */
static int api_procedure(struct gw *gw, struct lws *wsi, struct http_req *r, const char *id)
{
    const char *json;
    size_t len = 0;

    if (!gw->kb)
        return respond_error(gw, wsi, r, 503, "not_ready", "The knowledge base is not loaded.");
    if (!id)
        json = kb_procedures_text(gw->kb, &len);
    else
        json = http_path_is_id(id) ? kb_guide_text(gw->kb, id, &len) : NULL;
    if (!json)
        return respond_error(gw, wsi, r, 404, "unknown_procedure",
                             "No procedure with this id (see GET /api/v1/procedures).");
    return respond(gw, wsi, r, 200, "application/json; charset=utf-8", json, len,
                   "access-control-allow-origin: *");
}

/* GET /api/v1/portal/{code}: one procedure of the portal's commune-level list
 * (kb_portal.h): its official name, who handles it, its portal page, and the
 * guide that covers it or why there is none. */
static int api_portal(struct gw *gw, struct lws *wsi, struct http_req *r, const char *code)
{
    const struct kb_portal_entry *e;

    if (!gw->kb)
        return respond_error(gw, wsi, r, 503, "not_ready", "The knowledge base is not loaded.");
    e = kb_portal_find(kb_portal(gw->kb), code);
    if (!e)
        return respond_error(gw, wsi, r, 404, "unknown_portal_code",
                             "No commune-level procedure with this portal code (e.g. 1.001193).");
    return respond_json(gw, wsi, r, 200, kb_portal_entry_json(e));
}

/* GET /api/v1/localities?q=NAME: current or former commune/ward names,
 * diacritics optional; a split former commune lists every unit it went into. */
static int api_localities(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    char buf[UNITS_NAME_MAX + 8];
    const char *q;
    json_t *res = NULL;
    int rc;

    if (!gw->kb)
        return respond_error(gw, wsi, r, 503, "not_ready", "The knowledge base is not loaded.");
    q = lws_get_urlarg_by_name(wsi, "q=", buf, (int)sizeof(buf));
    if (!q || !q[0])
        return respond_error(gw, wsi, r, 400, "missing_query",
                             "Give a name: /api/v1/localities?q=Cống Vị");
    if (!mc_utf8_is_valid(q, strlen(q)))
        return respond_error(gw, wsi, r, 400, "invalid_utf8", "q is not valid UTF-8.");
    rc = kb_units_search(gw->kb, q, &res);
    if (rc == -EINVAL || rc == -E2BIG)
        return respond_error(gw, wsi, r, 400, "bad_query", "q must contain a name.");
    if (rc)
        return respond_error(gw, wsi, r, 503, "internal", "The locality search failed.");
    return respond_json(gw, wsi, r, 200, res);
}

/* GET /api/v1/qr?path=/thu-tuc/khai-sinh: an SVG QR code of that page on
 * this server, as the citizen's phone will reach it (page_http_base_url:
 * site.public_url, else Host and X-Forwarded-Proto). Only our own paths are
 * encoded. */
static int api_qr(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    char pbuf[256], base[QR_TEXT_MAX + 1], url[QR_TEXT_MAX + 1];
    const char *path;
    struct mc_buf svg;
    size_t i;
    int rc;

    path = lws_get_urlarg_by_name(wsi, "path=", pbuf, (int)sizeof(pbuf));
    if (!path || path[0] != '/' || strstr(path, "//") || strstr(path, ".."))
        return respond_error(gw, wsi, r, 400, "bad_path", "path must be a page of this site.");
    for (i = 0; path[i]; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-_.?=&",
                    path[i]))
            return respond_error(gw, wsi, r, 400, "bad_path", "path has characters we never use.");
    rc = page_http_base_url(gw, wsi, base, sizeof(base));
    if (rc == -EINVAL)
        return respond_error(gw, wsi, r, 400, "bad_host", "Host header is not a host name.");
    if (rc || snprintf(url, sizeof(url), "%s%s", base, path) >= (int)sizeof(url))
        return respond_error(gw, wsi, r, 400, "bad_path", "path is too long.");
    mc_buf_init(&svg, 256 * 1024);
    rc = qr_svg(url, &svg);
    if (rc) {
        mc_buf_fini(&svg);
        return respond_error(gw, wsi, r, rc == -ENOMEM ? 503 : 400, "qr_failed",
                             "Cannot make a QR code for this path.");
    }
    rc = respond(gw, wsi, r, 200, "image/svg+xml", svg.data, svg.len, NULL);
    mc_buf_fini(&svg);
    return rc;
}

static int serve_metrics(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct mc_buf b;
    int rc;

    mc_buf_init(&b, 64 * 1024);
    if (metrics_render(&gw->metrics, &b)) {
        mc_buf_fini(&b);
        return respond_error(gw, wsi, r, 503, "internal", "Out of memory.");
    }
    rc = respond(gw, wsi, r, 200, "text/plain; version=0.0.4", b.data, b.len, NULL);
    mc_buf_fini(&b);
    return rc;
}

/* POST /admin/reload[?all=1], Authorization: Bearer <admin.token>. */
static int admin_reload(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    size_t n = strlen(gw->cfg->admin_token);
    const char *given;
    int all;

    if (!n)
        return respond_error(gw, wsi, r, 404, "admin_disabled", "Set admin.token to enable.");
    if (r->method != HTTP_POST)
        return respond_error(gw, wsi, r, 405, "method", "Use POST.");
    if (r->auth_len != sizeof "Bearer " - 1 + n || !(given = after_prefix(r->auth, "Bearer ")) ||
        CRYPTO_memcmp(given, gw->cfg->admin_token, n) != 0) {
        return respond_error(gw, wsi, r, 401, "unauthorized", "Bearer token required.");
    }
    all = reload_all_asked(wsi);
    if (all < 0)
        return respond_error(gw, wsi, r, 400, "bad_query", "all must be 1 or 0.");
    if (all && notify_reload_all(gw) == -EIO) /* SQLite: -ENOTSUP, this node only */
        return respond_error(gw, wsi, r, 503, "state_unreachable",
                             "Cannot ask the other nodes to reload; nothing was reloaded.");
    /* built off the loop; reload.c answers once the new knowledge is in use */
    if (reload_answer(gw, wsi) == -EBUSY)
        return respond_error(gw, wsi, r, 503, "reload_busy",
                             "Too many reloads are waiting; try again shortly.");
    return 0;
}

static int webhook(struct gw *gw, struct lws *wsi, struct http_req *r, bool messenger)
{
    struct webhook_result res;
    char mode[32], token[CFG_STR_MAX + 16], challenge[96];
    const char *m, *t, *c;

    memset(&res, 0, sizeof(res));
    if (messenger && (r->method == HTTP_GET || r->method == HTTP_HEAD)) {
        m = lws_get_urlarg_by_name(wsi, "hub.mode=", mode, (int)sizeof(mode));
        t = lws_get_urlarg_by_name(wsi, "hub.verify_token=", token, (int)sizeof(token));
        c = lws_get_urlarg_by_name(wsi, "hub.challenge=", challenge, (int)sizeof(challenge));
        webhook_messenger_verify(gw, m, t, c, &res);
    } else if (r->method != HTTP_POST) {
        return respond_error(gw, wsi, r, 405, "method",
                             messenger ? "Use GET or POST." : "Use POST.");
    } else if (messenger) {
        webhook_messenger_post(gw, r->body.data ? r->body.data : "", r->body.len, r->sig, &res);
    } else {
        webhook_zalo_post(gw, r->body.data ? r->body.data : "", r->body.len, r->sig, &res);
    }
    if (res.commit) { /* the 200 once committed; PostgreSQL: held, the loop goes on */
        struct webhook_result failed;
        struct http_hold_answer ok = {res.status, res.ctype, res.body, strlen(res.body), NULL};
        struct http_hold_answer no;

        webhook_failed(&failed);
        no = (struct http_hold_answer){failed.status, failed.ctype, failed.body,
                                       strlen(failed.body), NULL};
        return http_hold_commit(gw, wsi, r, &ok, &no, webhook_commit_done);
    }
    return respond(gw, wsi, r, res.status, res.ctype, res.body, strlen(res.body), NULL);
}

/* GET /api/v1/reports and /admin/bao-cao: admin officers only; the rest is
 * gateway/admin/report_http.c. */
static int admin_report(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct store_officer o;
    char csrf[STORE_OFFICER_CSRF_MAX], token_hash[OFFICER_TOKEN_LEN + 1];
    struct report_http_reply out;
    int rc;

    if (r->method != HTTP_GET && r->method != HTTP_HEAD)
        return officer_http_error(gw, wsi, r, 405, "method", "Use GET.");
    if (report_http_serve(gw, wsi, r->path, officer_http_auth(gw, r, &o, csrf, token_hash), &o,
                          &out))
        return officer_http_error(gw, wsi, r, 503, "internal", "Out of memory.");
    rc = respond(gw, wsi, r, out.status, out.ctype, out.body, out.len,
                 out.header[0] ? out.header : NULL);
    report_http_reply_fini(&out);
    return rc;
}

/* GET-like routes; POST routes run after the body arrives. */
static int route(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    const char *p = r->path, *rest;
    bool get = r->method == HTTP_GET || r->method == HTTP_HEAD;

    if (r->method == HTTP_OPTIONS) /* CORS preflight for the JSON API */
        return respond(gw, wsi, r, 204, "text/plain", HTTP_LIT(""),
                       "access-control-allow-headers: content-type");
    if (strcmp(p, "/healthz") == 0)
        return get ? respond(gw, wsi, r, 200, "application/json", HTTP_LIT("{\"status\":\"ok\"}"),
                             NULL)
                   : respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if (strcmp(p, "/readyz") == 0) {
        if (!get)
            return respond_error(gw, wsi, r, 405, "method", "Use GET.");
        if (!gw->kb || !gw->index || gw->draining)
            return respond_error(gw, wsi, r, 503, "not_ready",
                                 gw->draining ? "Shutting down." : "Data not loaded.");
        if (!paths_web_root_ok(gw->cfg->data_web_root)) /* would serve 404 for every page */
            return respond_error(gw, wsi, r, 503, "web_root_missing",
                                 "data.web_root has no index.html: no page can be served.");
        if (gw->store && !store_ready(gw->store)) /* PostgreSQL unreachable (docs/scaling.md) */
            return respond_error(gw, wsi, r, 503, "state_unreachable",
                                 "The state database cannot be reached.");
        if (gw->metrics.state_unwritable) /* set by the outbox (outbox.c check_state) */
            return respond_error(gw, wsi, r, 503, "state_unwritable",
                                 "The state database cannot be written.");
        return respond(gw, wsi, r, 200, "application/json", HTTP_LIT("{\"status\":\"ready\"}"),
                       NULL);
    }
    if (strcmp(p, "/metrics") == 0)
        return get ? serve_metrics(gw, wsi, r)
                   : respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if (strcmp(p, "/api/v1/ask") == 0)
        return r->method == HTTP_POST ? api_ask(gw, wsi, r)
                                      : respond_error(gw, wsi, r, 405, "method", "Use POST.");
    if (strcmp(p, "/api/v1/procedures") == 0 || strcmp(p, "/api/v1/procedures/") == 0)
        return get ? api_procedure(gw, wsi, r, NULL)
                   : respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if ((rest = after_prefix(p, "/api/v1/procedures/")))
        return get ? api_procedure(gw, wsi, r, rest)
                   : respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if ((rest = after_prefix(p, "/api/v1/portal/")))
        return get ? api_portal(gw, wsi, r, rest)
                   : respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if (strcmp(p, "/api/v1/localities") == 0)
        return get ? api_localities(gw, wsi, r)
                   : respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if (strcmp(p, "/api/v1/qr") == 0)
        return get ? api_qr(gw, wsi, r) : respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if ((rest = after_prefix(p, "/api/v1/officer/")))
        return officer_http_route(gw, wsi, r, rest);
    if (report_http_is_route(p))
        return admin_report(gw, wsi, r);
    if (office_http_is_route(p))
        return office_http_route(gw, wsi, r);
    if (notes_http_is_route(p))
        return notes_http_route(gw, wsi, r);
    if (teach_http_is_route(p))
        return teach_http_route(gw, wsi, r);
    if (feedback_http_is_route(p))
        return feedback_http_route(gw, wsi, r);
    if (after_prefix(p, "/api/"))
        return respond_error(gw, wsi, r, 404, "not_found", "No such API endpoint.");
    if (speech_http_is_route(p))
        return speech_http_route(gw, wsi, r);
    if (page_http_is_route(p) && get) /* the guides, their search and 404 (page_http.h) */
        return page_http_route(gw, wsi, r);
    if (share_http_is_route(p)) /* the citizen's checklist page /p/<token> */
        return share_http_route(gw, wsi, r);
    if (strcmp(p, "/webhooks/messenger") == 0)
        return webhook(gw, wsi, r, true);
    if (strcmp(p, "/webhooks/zalo") == 0)
        return webhook(gw, wsi, r, false);
    if (after_prefix(p, "/webhooks/"))
        return respond_error(gw, wsi, r, 404, "not_found", "No such webhook.");
    if (strcmp(p, "/admin/reload") == 0)
        return admin_reload(gw, wsi, r);
    if (!get)
        return respond_error(gw, wsi, r, 405, "method", "Use GET.");
    return serve_static(gw, wsi, r, p);
}

static int method_of(struct lws *wsi)
{
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
        return HTTP_GET;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
        return HTTP_POST;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI))
        return HTTP_HEAD;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI))
        return HTTP_DELETE;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI))
        return HTTP_OPTIONS;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI))
        return HTTP_PUT; /* the console's updates (gateway/admin/) */
    return HTTP_OTHER;
}

static void copy_custom_header(struct lws *wsi, const char *name, char *dst, size_t size)
{
    int n = lws_hdr_custom_length(wsi, name, (int)strlen(name));

    dst[0] = '\0';
    if (n > 0 && (size_t)n < size)
        lws_hdr_custom_copy(wsi, dst, (int)size, name, (int)strlen(name));
}

static int on_request(struct gw *gw, struct lws *wsi, struct http_req *r, const char *uri)
{
    char clen[32];
    unsigned long long n;

    http_hold_forget(gw, r); /* never held here (lws waits for its answer); kept safe anyway */
    req_init(r);
    r->method = method_of(wsi);
    if (conn_request(gw, wsi)) { /* this client (behind the proxy) is at listen.max_per_ip */
        r->close_after = true;
        return respond_error(gw, wsi, r, 429, "too_many_connections",
                             "Too many connections from your address; close some and retry.");
    }
    if (strlen(uri) >= sizeof(r->path))
        return respond_error(gw, wsi, r, 414, "uri_too_long", "The path is too long.");
    snprintf(r->path, sizeof(r->path), "%s", uri);
    if (r->method == HTTP_OTHER || (r->method == HTTP_DELETE && !teach_http_is_route(r->path) &&
                                    !office_http_is_route(r->path)))
        return respond_error(gw, wsi, r, 405, "method", "Method not allowed.");
    snprintf(r->peer, sizeof(r->peer), "%s", conn_client_addr(wsi)); /* after the proxy */
    if (after_prefix(r->path, "/api/v1/officer/") || report_http_is_route(r->path) ||
        office_http_is_route(r->path) || notes_http_is_route(r->path) ||
        after_prefix(r->path, TEACH_HTTP_PREFIX) || feedback_http_is_route(r->path)) {
        char proto[16], ctype[64];
        size_t max = sizeof(r->officer_cookie);

        if (lws_http_cookie_get(wsi, OFFICER_COOKIE, r->officer_cookie, &max))
            r->officer_cookie[0] = '\0';
        copy_custom_header(wsi, "x-csrf-token:", r->csrf, sizeof(r->csrf));
        copy_custom_header(wsi, "x-forwarded-proto:", proto, sizeof(proto));
        r->https = strcmp(proto, "https") == 0;
        r->json_body = lws_hdr_copy(wsi, ctype, sizeof(ctype), WSI_TOKEN_HTTP_CONTENT_TYPE) > 0 &&
                       strncmp(ctype, "application/json", sizeof "application/json" - 1) == 0;
    }
    if (r->method != HTTP_POST && r->method != HTTP_PUT) {
        r->routed = true; /* answered now: a body (a DELETE may carry one) is ignored */
        return route(gw, wsi, r);
    }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
        lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) < (int)sizeof(r->auth))
        r->auth_len =
            (size_t)lws_hdr_copy(wsi, r->auth, sizeof(r->auth), WSI_TOKEN_HTTP_AUTHORIZATION);
    copy_custom_header(wsi, "x-hub-signature-256:", r->sig, sizeof(r->sig));
    if (!r->sig[0])
        copy_custom_header(wsi, "x-zevent-signature:", r->sig, sizeof(r->sig));
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING)) {
        /* lws 4.1.6 never delivers a chunked request body: say so now rather
         * than wait for a body that never completes */
        gw->metrics.limits[METRICS_LIMIT_CHUNKED]++;
        r->close_after = true;
        return respond_error(gw, wsi, r, 411, "length_required",
                             "Send the body with Content-Length; chunked bodies are not accepted.");
    }
    clen[0] = '\0';
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        lws_hdr_copy(wsi, clen, sizeof(clen), WSI_TOKEN_HTTP_CONTENT_LENGTH);
    n = clen[0] ? strtoull(clen, NULL, 10) : 0;
    if (after_prefix(r->path, "/webhooks/"))
        r->body.max = HTTP_WEBHOOK_BODY_MAX; /* grows as bytes come, up to this */
    if (n > r->body.max) {
        gw->metrics.errors[METRICS_ERR_TOO_LARGE]++;
        return respond_error(gw, wsi, r, 413, "too_large",
                             r->body.max == HTTP_BODY_MAX ? "The body is larger than 64 KiB."
                                                          : "The body is larger than 2 MiB.");
    }
    if (n == 0) {
        /* no body will come, yet lws 4.1.6 still calls HTTP_BODY_COMPLETION
         * after "content-length: 0": answer (and reload, ...) once only */
        r->routed = true;
        return route(gw, wsi, r);
    }
    conn_body_wait(gw, wsi); /* a body that trickles is answered 408 */
    return 0;                /* wait for HTTP_BODY / HTTP_BODY_COMPLETION */
}

void http_body_timeout(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    if (!r->active || r->routed)
        return;
    r->routed = true;
    r->close_after = true;
    (void)respond_error(gw, wsi, r, 408, "body_timeout",
                        "The request body did not arrive in time; send it again.");
}

int http_callback(struct gw *gw, struct lws *wsi, int reason, struct http_req *r, void *in,
                  size_t len)
{
    size_t n;

    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_request(gw, wsi, r, (const char *)in) ? -1 : 0;
    case LWS_CALLBACK_HTTP_BODY:
        if (!r->active || r->body_too_large)
            return 0;
        if (mc_buf_append(&r->body, in, len) != 0)
            r->body_too_large = true; /* answered once the body ends */
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        conn_body_done(wsi);
        if (!r->active)
            return -1;
        if (r->routed)
            return 0;
        if (r->body_too_large) {
            gw->metrics.errors[METRICS_ERR_TOO_LARGE]++;
            return respond_error(gw, wsi, r, 413, "too_large", "The body is larger than 64 KiB.");
        }
        return route(gw, wsi, r) ? -1 : 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (r->active && http_hold_is_due(r))
            return http_hold_write(gw, wsi, r) ? -1 : 0;
        if (!r->active || !r->resp || r->resp_sent >= r->resp_len)
            return 0;
        n = r->resp_len - r->resp_sent;
        if (n > HTTP_CHUNK)
            n = HTTP_CHUNK;
        if (lws_write(wsi, r->resp + LWS_PRE + r->resp_sent, n,
                      r->resp_sent + n == r->resp_len ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
            (int)n)
            return -1;
        r->resp_sent += n;
        if (r->resp_sent < r->resp_len) {
            lws_callback_on_writable(wsi);
            return 0;
        }
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        conn_body_done(wsi);
        reload_forget(gw, wsi);       /* a POST /admin/reload no longer waiting */
        teach_build_forget(gw, wsi);  /* nor a taught phrase's answer */
        share_render_forget(gw, wsi); /* nor a checklist's picture */
        http_hold_forget(gw, r);      /* nor an answer held for a commit (before r is freed) */
        req_reset(r);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, (enum lws_callback_reasons)reason, r, in, len);
    }
}
