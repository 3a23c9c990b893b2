/* gateway/http_route.c - which handler answers a request (http_route()),
 * and the handlers of the server's own paths: health and readiness,
 * metrics, the JSON API (ask, procedures, portal, localities, QR codes),
 * POST /admin/reload, the webhooks' entry, the report page's entry and the
 * static files of channels/web. The routes of other modules (the officer
 * API, the console, the guides, speech, checklists) are handed on to them.
 * The request's life and the answer's sending: http.c. */
#include "http.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gw.h"
#include "http_int.h"
#include "http_path.h"
#include "page_http.h"
#include "notify.h"
#include "offload.h"
#include "paths.h"
#include "qr.h"
#include "reload.h"
#include "speech.h"
#include "store.h"
#include "share_http.h"
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
#include "teach_http.h"

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
        return http_respond_error(gw, wsi, r, 404, "not_found", "No such page.");
    snprintf(file, sizeof(file), "%s%s", gw->cfg->data_web_root, path);
    if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
        return http_respond_error(gw, wsi, r, 404, "not_found", "No such page.");
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
        return http_respond_error(gw, wsi, r, 503, "not_ready", "Understanding is not loaded.");
    if (!mc_utf8_is_valid(r->body.data ? r->body.data : "", r->body.len))
        return http_respond_error(gw, wsi, r, 400, "invalid_utf8", "The body is not valid UTF-8.");
    req = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req || !json_is_object(req)) {
        json_decref(req);
        return http_respond_error(gw, wsi, r, 400, "bad_json",
                                  "The body must be a JSON object {\"text\": \"...\"}.");
    }
    jt = json_object_get(req, "text");
    if (!json_is_string(jt)) {
        json_decref(req);
        return http_respond_error(gw, wsi, r, 400, "missing_field", "\"text\" must be a string.");
    }
    res = malloc(sizeof(*res)); /* ~10 KiB: not on the event loop's stack */
    if (!res) {
        json_decref(req);
        return http_respond_error(gw, wsi, r, 503, "internal", "Out of memory.");
    }
    rc = intent_match(gw->index, json_string_value(jt), json_string_length(jt), res);
    json_decref(req);
    if (rc == -E2BIG)
        rc = http_respond_error(gw, wsi, r, 413, "too_long", "\"text\" is longer than 2048 bytes.");
    else if (rc == -EINVAL)
        rc = http_respond_error(gw, wsi, r, 400, "bad_text", "\"text\" is not valid UTF-8 text.");
    else if (rc || kb_portal_result_json(gw->kb ? kb_portal(gw->kb) : NULL,
                                         gw->kb ? kb_referrals(gw->kb) : NULL, res, &line))
        rc = http_respond_error(gw, wsi, r, 503, "internal", "Understanding failed.");
    else {
        gw->metrics.msg_in[METRICS_API]++;
        gw->metrics.decisions[res->decision]++;
        rc = http_respond_text_json(gw, wsi, r, line);
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
        return http_respond_error(gw, wsi, r, 503, "not_ready",
                                  "The knowledge base is not loaded.");
    if (!id)
        json = kb_procedures_text(gw->kb, &len);
    else
        json = http_path_is_id(id) ? kb_guide_text(gw->kb, id, &len) : NULL;
    if (!json)
        return http_respond_error(gw, wsi, r, 404, "unknown_procedure",
                                  "No procedure with this id (see GET /api/v1/procedures).");
    return http_respond(gw, wsi, r, 200, "application/json; charset=utf-8", json, len,
                        "access-control-allow-origin: *");
}

/* GET /api/v1/portal/{code}: one procedure of the portal's commune-level list
 * (kb_portal.h): its official name, who handles it, its portal page, and the
 * guide that covers it or why there is none. */
static int api_portal(struct gw *gw, struct lws *wsi, struct http_req *r, const char *code)
{
    const struct kb_portal_entry *e;

    if (!gw->kb)
        return http_respond_error(gw, wsi, r, 503, "not_ready",
                                  "The knowledge base is not loaded.");
    e = kb_portal_find(kb_portal(gw->kb), code);
    if (!e)
        return http_respond_error(
            gw, wsi, r, 404, "unknown_portal_code",
            "No commune-level procedure with this portal code (e.g. 1.001193).");
    return http_respond_json(gw, wsi, r, 200, kb_portal_entry_json(e));
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
        return http_respond_error(gw, wsi, r, 503, "not_ready",
                                  "The knowledge base is not loaded.");
    q = lws_get_urlarg_by_name(wsi, "q=", buf, (int)sizeof(buf));
    if (!q || !q[0])
        return http_respond_error(gw, wsi, r, 400, "missing_query",
                                  "Give a name: /api/v1/localities?q=Cống Vị");
    if (!mc_utf8_is_valid(q, strlen(q)))
        return http_respond_error(gw, wsi, r, 400, "invalid_utf8", "q is not valid UTF-8.");
    rc = kb_units_search(gw->kb, q, &res);
    if (rc == -EINVAL || rc == -E2BIG)
        return http_respond_error(gw, wsi, r, 400, "bad_query", "q must contain a name.");
    if (rc)
        return http_respond_error(gw, wsi, r, 503, "internal", "The locality search failed.");
    return http_respond_json(gw, wsi, r, 200, res);
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
        return http_respond_error(gw, wsi, r, 400, "bad_path", "path must be a page of this site.");
    for (i = 0; path[i]; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-_.?=&",
                    path[i]))
            return http_respond_error(gw, wsi, r, 400, "bad_path",
                                      "path has characters we never use.");
    rc = page_http_base_url(gw, wsi, base, sizeof(base));
    if (rc == -EINVAL)
        return http_respond_error(gw, wsi, r, 400, "bad_host", "Host header is not a host name.");
    if (rc || snprintf(url, sizeof(url), "%s%s", base, path) >= (int)sizeof(url))
        return http_respond_error(gw, wsi, r, 400, "bad_path", "path is too long.");
    mc_buf_init(&svg, 256 * 1024);
    rc = qr_svg(url, &svg);
    if (rc) {
        mc_buf_fini(&svg);
        return http_respond_error(gw, wsi, r, rc == -ENOMEM ? 503 : 400, "qr_failed",
                                  "Cannot make a QR code for this path.");
    }
    rc = http_respond(gw, wsi, r, 200, "image/svg+xml", svg.data, svg.len, NULL);
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
        return http_respond_error(gw, wsi, r, 503, "internal", "Out of memory.");
    }
    rc = http_respond(gw, wsi, r, 200, "text/plain; version=0.0.4", b.data, b.len, NULL);
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
        return http_respond_error(gw, wsi, r, 404, "admin_disabled", "Set admin.token to enable.");
    if (r->method != HTTP_POST)
        return http_respond_error(gw, wsi, r, 405, "method", "Use POST.");
    if (r->auth_len != sizeof "Bearer " - 1 + n ||
        !(given = http_after_prefix(r->auth, "Bearer ")) ||
        CRYPTO_memcmp(given, gw->cfg->admin_token, n) != 0) {
        return http_respond_error(gw, wsi, r, 401, "unauthorized", "Bearer token required.");
    }
    all = reload_all_asked(wsi);
    if (all < 0)
        return http_respond_error(gw, wsi, r, 400, "bad_query", "all must be 1 or 0.");
    if (all && notify_reload_all(gw) == -EIO) /* SQLite: -ENOTSUP, this node only */
        return http_respond_error(gw, wsi, r, 503, "state_unreachable",
                                  "Cannot ask the other nodes to reload; nothing was reloaded.");
    /* built off the loop; reload.c answers once the new knowledge is in use */
    if (reload_answer(gw, wsi) == -EBUSY)
        return http_respond_error(gw, wsi, r, 503, "reload_busy",
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
        return http_respond_error(gw, wsi, r, 405, "method",
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
    return http_respond(gw, wsi, r, res.status, res.ctype, res.body, strlen(res.body), NULL);
}

/* GET /api/v1/reports and /admin/bao-cao: admin officers only; the rest is
 * gateway/admin/report_http.c. On PostgreSQL the whole answer, cookie check
 * included, is made by a reader thread (offload.h): the loop waits for no
 * round trip of it. */
static int admin_report(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct store_officer o;
    char csrf[STORE_OFFICER_CSRF_MAX], token_hash[OFFICER_TOKEN_LEN + 1];
    struct report_http_reply out;
    struct store_stats before, after;
    int rc;

    if (r->method != HTTP_GET && r->method != HTTP_HEAD)
        return officer_http_error(gw, wsi, r, 405, "method", "Use GET.");
    store_get_stats(gw->store, &before); /* what the loop waits for (bench/report_offload.sh) */
    if (offload_on(gw)) { /* PostgreSQL: the cookie check and the report on a reader thread */
        struct report_http_job *job = report_http_job_new(gw, wsi, r->path, r->officer_cookie);

        rc = job ? offload_answer(gw, wsi, r, report_http_job_run, job, report_http_job_free)
                 : officer_http_error(gw, wsi, r, 503, "internal", "Out of memory.");
    } else if (report_http_serve(gw, wsi, r->path, officer_http_auth(gw, r, &o, csrf, token_hash),
                                 &o, &out)) {
        rc = officer_http_error(gw, wsi, r, 503, "internal", "Out of memory.");
    } else {
        rc = http_respond(gw, wsi, r, out.status, out.ctype, out.body, out.len,
                          out.header[0] ? out.header : NULL);
        report_http_reply_fini(&out);
    }
    store_get_stats(gw->store, &after);
    mc_log(MC_LOG_DEBUG, "report.loop", "offloaded=%d round_trips=%llu", offload_on(gw) ? 1 : 0,
           (unsigned long long)(after.round_trips - before.round_trips));
    return rc;
}

/* GET-like routes; POST routes run after the body arrives. */
int http_route(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    const char *p = r->path, *rest;
    bool get = r->method == HTTP_GET || r->method == HTTP_HEAD;

    if (r->method == HTTP_OPTIONS) /* CORS preflight for the JSON API */
        return http_respond(gw, wsi, r, 204, "text/plain", HTTP_LIT(""),
                            "access-control-allow-headers: content-type");
    if (strcmp(p, "/healthz") == 0)
        return get ? http_respond(gw, wsi, r, 200, "application/json",
                                  HTTP_LIT("{\"status\":\"ok\"}"), NULL)
                   : http_respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if (strcmp(p, "/readyz") == 0) {
        if (!get)
            return http_respond_error(gw, wsi, r, 405, "method", "Use GET.");
        if (!gw->kb || !gw->index || gw->draining)
            return http_respond_error(gw, wsi, r, 503, "not_ready",
                                      gw->draining ? "Shutting down." : "Data not loaded.");
        if (!paths_web_root_ok(gw->cfg->data_web_root)) /* would serve 404 for every page */
            return http_respond_error(gw, wsi, r, 503, "web_root_missing",
                                      "data.web_root has no index.html: no page can be served.");
        if (gw->store && !store_ready(gw->store)) /* PostgreSQL unreachable (docs/scaling.md) */
            return http_respond_error(gw, wsi, r, 503, "state_unreachable",
                                      "The state database cannot be reached.");
        if (gw->metrics.state_unwritable) /* set by the outbox (outbox.c check_state) */
            return http_respond_error(gw, wsi, r, 503, "state_unwritable",
                                      "The state database cannot be written.");
        return http_respond(gw, wsi, r, 200, "application/json", HTTP_LIT("{\"status\":\"ready\"}"),
                            NULL);
    }
    if (strcmp(p, "/metrics") == 0)
        return get ? serve_metrics(gw, wsi, r)
                   : http_respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if (strcmp(p, "/api/v1/ask") == 0)
        return r->method == HTTP_POST ? api_ask(gw, wsi, r)
                                      : http_respond_error(gw, wsi, r, 405, "method", "Use POST.");
    if (strcmp(p, "/api/v1/procedures") == 0 || strcmp(p, "/api/v1/procedures/") == 0)
        return get ? api_procedure(gw, wsi, r, NULL)
                   : http_respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if ((rest = http_after_prefix(p, "/api/v1/procedures/")))
        return get ? api_procedure(gw, wsi, r, rest)
                   : http_respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if ((rest = http_after_prefix(p, "/api/v1/portal/")))
        return get ? api_portal(gw, wsi, r, rest)
                   : http_respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if (strcmp(p, "/api/v1/localities") == 0)
        return get ? api_localities(gw, wsi, r)
                   : http_respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if (strcmp(p, "/api/v1/qr") == 0)
        return get ? api_qr(gw, wsi, r) : http_respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if ((rest = http_after_prefix(p, "/api/v1/officer/")))
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
    if (http_after_prefix(p, "/api/"))
        return http_respond_error(gw, wsi, r, 404, "not_found", "No such API endpoint.");
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
    if (http_after_prefix(p, "/webhooks/"))
        return http_respond_error(gw, wsi, r, 404, "not_found", "No such webhook.");
    if (strcmp(p, "/admin/reload") == 0)
        return admin_reload(gw, wsi, r);
    if (!get)
        return http_respond_error(gw, wsi, r, 405, "method", "Use GET.");
    return serve_static(gw, wsi, r, p);
}
