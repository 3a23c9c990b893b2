/* gateway/http.c - see http.h. Every error is JSON {"error": code,
 * "message": text} with the matching status, never an HTML page. */
#include "http.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gw.h"
#include "page.h"
#include "qr.h"
#include "webhook.h"
#include "intent.h"
#include "kb.h"
#include "cfg.h"
#include "kb_units.h"
#include "mc_log.h"
#include "mc_utf8.h"
#include "officer.h"
#include "store.h"

#define HTTP_CHUNK (32 * 1024) /* bytes written per WRITEABLE callback */
#define HTTP_HDRS_MAX 2048     /* bytes of response headers */

/* A string literal and its length in bytes, counted by the compiler; the
 * "" concatenation makes anything but a literal a compile error. */
#define HTTP_LIT(s) ("" s), (sizeof("" s) - 1)

/* The page for /thu-tuc/<unknown id>: a whole, valid UTF-8 document. */
#define HTTP_PAGE_404                                                                              \
    "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"                            \
    "<title>Không có thủ tục này</title></head><body><p>Không có thủ tục này. "      \
    "<a href=\"/thu-tuc\">Danh sách thủ tục</a></p></body></html>\n"

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
    if (r->resp_len == 0)
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    lws_callback_on_writable(wsi);
    return 0;
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

static const char *mime_of(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"},
                 {".js", "text/javascript; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},
                 {".svg", "image/svg+xml"},
                 {".png", "image/png"},
                 {".ico", "image/x-icon"},
                 {".json", "application/json"},
                 {".txt", "text/plain; charset=utf-8"}};
    const char *dot = strrchr(path, '.');
    size_t i;

    for (i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

/* Only plain names under the web root: letters, digits, '-', '_', '.',
 * '/', no "..", no hidden files. Anything else is simply not found. */
static bool is_safe_path(const char *p)
{
    size_t i;

    if (p[0] != '/' || strstr(p, "..") || strstr(p, "/."))
        return false;
    for (i = 0; p[i]; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
              (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '_' || p[i] == '.' ||
              p[i] == '/'))
            return false;
    return true;
}

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
    if (!is_safe_path(path) || !(mime = mime_of(path)))
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
    else if (rc || intent_result_to_json(res, &line))
        rc = respond_error(gw, wsi, r, 503, "internal", "Understanding failed.");
    else {
        gw->metrics.msg_in[METRICS_API]++;
        gw->metrics.decisions[res->decision]++;
        rc = respond_text_json(gw, wsi, r, line);
    }
    free(res);
    return rc;
}

static bool is_id(const char *s)
{
    size_t i;

    if (!s[0] || strlen(s) > 64)
        return false;
    for (i = 0; s[i]; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
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
        json = is_id(id) ? kb_guide_text(gw->kb, id, &len) : NULL;
    if (!json)
        return respond_error(gw, wsi, r, 404, "unknown_procedure",
                             "No procedure with this id (see GET /api/v1/procedures).");
    return respond(gw, wsi, r, 200, "application/json; charset=utf-8", json, len,
                   "access-control-allow-origin: *");
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
 * this server, as the citizen's phone will reach it (Host, and
 * X-Forwarded-Proto behind a TLS proxy). Only our own paths are encoded. */
static int api_qr(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    char pbuf[256], host[128], proto[16], url[QR_TEXT_MAX + 1];
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
    if (lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0)
        snprintf(host, sizeof(host), "%.100s:%d", gw->cfg->listen_host, gw->port);
    for (i = 0; host[i]; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:[]", host[i]))
            return respond_error(gw, wsi, r, 400, "bad_host", "Host header is not a host name.");
    if (lws_hdr_custom_copy(wsi, proto, sizeof(proto),
                            "x-forwarded-proto:", (int)sizeof "x-forwarded-proto:" - 1) <= 0 ||
        strcmp(proto, "https") != 0)
        snprintf(proto, sizeof(proto), "http");
    if (snprintf(url, sizeof(url), "%s://%s%s", proto, host, path) >= (int)sizeof(url))
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

/* POST /admin/reload, Authorization: Bearer <admin.token>. */
static int admin_reload(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct mc_err err = {{0}};
    size_t n = strlen(gw->cfg->admin_token);
    const char *given;

    if (!n)
        return respond_error(gw, wsi, r, 404, "admin_disabled", "Set admin.token to enable.");
    if (r->method != HTTP_POST)
        return respond_error(gw, wsi, r, 405, "method", "Use POST.");
    if (r->auth_len != sizeof "Bearer " - 1 + n || !(given = after_prefix(r->auth, "Bearer ")) ||
        CRYPTO_memcmp(given, gw->cfg->admin_token, n) != 0) {
        return respond_error(gw, wsi, r, 401, "unauthorized", "Bearer token required.");
    }
    if (gw_reload(gw, &err))
        return respond_error(gw, wsi, r, 500, "reload_failed", err.text);
    return respond(gw, wsi, r, 200, "application/json", HTTP_LIT("{\"reloaded\":true}"), NULL);
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
    return respond(gw, wsi, r, res.status, res.ctype, res.body, strlen(res.body), NULL);
}

/* ---- officers: login, logout, who am I ----------------------------------- */

#define OFFICER_COOKIE "motcua_officer"
/* A well-formed hash no password matches in practice: a login for an unknown
 * or disabled user still pays one scrypt, so timing does not tell them apart. */
#define OFFICER_DUMMY_HASH                                                                         \
    "scrypt$32768$8$1$bW90Y3VhLWR1bW15LXNhbHQ=$"                                                   \
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

/* JSON with one extra header, and no CORS header: officer endpoints are
 * same-origin only (the cookie is SameSite=Strict). */
static int respond_officer(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                           json_t *j, const char *extra_hdr)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    int rc;

    json_decref(j);
    if (!text)
        return respond(gw, wsi, r, 503, "application/json",
                       HTTP_LIT("{\"error\":\"internal\",\"message\":\"out of memory\"}"), NULL);
    rc = respond(gw, wsi, r, status, "application/json; charset=utf-8", text, strlen(text),
                 extra_hdr);
    free(text);
    return rc;
}

static int officer_error(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                         const char *code, const char *message)
{
    return respond_officer(gw, wsi, r, status,
                           json_pack("{s:s,s:s}", "error", code, "message", message), NULL);
}

static json_t *officer_json(const struct store_officer *o)
{
    return json_pack("{s:s,s:s,s:s,s:s}", "username", o->username, "name", o->name, "role", o->role,
                     "unit", o->unit);
}

/* The officer whose live session the request's cookie names. Returns 0 with
 * *o, csrf and token_hash filled, -ENOENT (no cookie, unknown, expired or
 * disabled) or -EIO. */
static int officer_auth(struct gw *gw, const struct http_req *r, struct store_officer *o,
                        char csrf[STORE_OFFICER_CSRF_MAX], char token_hash[OFFICER_TOKEN_LEN + 1])
{
    if (strlen(r->officer_cookie) != OFFICER_TOKEN_LEN)
        return -ENOENT;
    officer_token_hash(r->officer_cookie, token_hash);
    return store_officer_session_get(gw->store, token_hash, (int64_t)time(NULL), o, csrf);
}

/* Whether the request carries the session's CSRF token (X-CSRF-Token):
 * required on every state-changing officer request. */
static bool officer_has_csrf(const struct http_req *r, const char *csrf)
{
    size_t n = strlen(csrf);

    return n == OFFICER_TOKEN_LEN && strlen(r->csrf) == n && CRYPTO_memcmp(r->csrf, csrf, n) == 0;
}

/* The Set-Cookie header: value "" with Max-Age=0 ends the cookie. */
static void officer_cookie_header(const struct http_req *r, const char *value, unsigned max_age,
                                  char *out, size_t cap)
{
    snprintf(out, cap,
             "set-cookie: " OFFICER_COOKIE "=%s; Max-Age=%u; HttpOnly; SameSite=Strict; "
             "Path=/%s",
             value, max_age, r->https ? "; Secure" : "");
}

static int api_officer_login(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    json_error_t jerr;
    json_t *req = NULL, *ju, *jp, *res;
    struct store_officer o;
    char token[OFFICER_TOKEN_LEN + 1], csrf[OFFICER_TOKEN_LEN + 1];
    char token_hash[OFFICER_TOKEN_LEN + 1], hdr[256], user[OFFICER_USERNAME_MAX];
    const char *pw;
    unsigned by_user, by_ip, wait, wait_ip, hours = gw->cfg->officer_session_hours;
    int64_t now = (int64_t)time(NULL), last;
    size_t pw_len;
    bool ok;
    int rc;

    if (r->method != HTTP_POST)
        return officer_error(gw, wsi, r, 405, "method", "Use POST.");
    /* a cross-site HTML form can post text/plain or a form without a CORS
     * preflight; application/json cannot: no login CSRF */
    if (!r->json_body)
        return officer_error(gw, wsi, r, 415, "content_type",
                             "Send the body as Content-Type: application/json.");
    req = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &jerr);
    ju = json_object_get(req, "username");
    jp = json_object_get(req, "password");
    if (!json_is_object(req) || !json_is_string(ju) || !json_is_string(jp)) {
        json_decref(req);
        return officer_error(gw, wsi, r, 400, "bad_json",
                             "The body must be {\"username\": \"...\", \"password\": \"...\"}.");
    }
    /* an invalid name is refused like an unknown one, and counted under "" */
    snprintf(user, sizeof(user), "%s",
             officer_is_username_valid(json_string_value(ju)) ? json_string_value(ju) : "");
    if (store_audit_failures(gw->store, user, r->peer, now - OFFICER_FAIL_WINDOW, &by_user, &by_ip,
                             &last)) {
        json_decref(req);
        return officer_error(gw, wsi, r, 503, "internal", "The state database failed.");
    }
    /* last is the latest failure of either: a lock never ends early */
    wait = officer_backoff_seconds(by_user, OFFICER_FAIL_FREE, now - last);
    wait_ip = officer_backoff_seconds(by_ip, OFFICER_FAIL_FREE_IP, now - last);
    if (wait_ip > wait)
        wait = wait_ip;
    if (wait) {
        json_decref(req);
        snprintf(hdr, sizeof(hdr), "retry-after: %u", wait);
        return respond_officer(gw, wsi, r, 429,
                               json_pack("{s:s,s:s,s:i}", "error", "too_many_attempts", "message",
                                         "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau.",
                                         "retry_after", wait),
                               hdr);
    }
    pw = json_string_value(jp);
    pw_len = json_string_length(jp);
    rc = user[0] ? store_officer_get(gw->store, user, &o) : -ENOENT;
    if (rc == -EIO) {
        json_decref(req);
        return officer_error(gw, wsi, r, 503, "internal", "The state database failed.");
    }
    if (rc == 0 && !o.disabled) {
        ok = officer_is_password_ok(pw, pw_len, o.hash);
    } else {
        (void)officer_is_password_ok(pw, pw_len, OFFICER_DUMMY_HASH); /* same cost */
        ok = false;
    }
    json_decref(req);
    if (!ok) {
        mc_log(MC_LOG_INFO, "officer.login_failed", "user=%s peer=%s", user, r->peer);
        if (store_audit_add(gw->store, now, user, "login_failed", NULL, r->peer,
                            rc == 0 && o.disabled ? "disabled" : NULL) ||
            gw_flush(gw))
            return officer_error(gw, wsi, r, 503, "internal", "The state database failed.");
        return officer_error(gw, wsi, r, 401, "bad_credentials",
                             "Sai tên đăng nhập hoặc mật khẩu.");
    }
    if (officer_new_token(token) || officer_new_token(csrf))
        return officer_error(gw, wsi, r, 503, "internal", "No randomness.");
    officer_token_hash(token, token_hash);
    if (store_officer_session_add(gw->store, token_hash, o.username, csrf, now,
                                  now + (int64_t)hours * 3600) ||
        store_audit_add(gw->store, now, o.username, "login", NULL, r->peer, NULL) || gw_flush(gw))
        return officer_error(gw, wsi, r, 503, "internal", "The state database failed.");
    mc_log(MC_LOG_INFO, "officer.login", "user=%s peer=%s", o.username, r->peer);
    officer_cookie_header(r, token, hours * 3600, hdr, sizeof(hdr));
    res = json_pack("{s:s,s:o}", "csrf_token", csrf, "officer", officer_json(&o));
    OPENSSL_cleanse(token, sizeof(token));
    return respond_officer(gw, wsi, r, 200, res, hdr);
}

static int api_officer_logout(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct store_officer o;
    char csrf[STORE_OFFICER_CSRF_MAX], token_hash[OFFICER_TOKEN_LEN + 1], hdr[256];
    int64_t now = (int64_t)time(NULL);
    int rc;

    if (r->method != HTTP_POST)
        return officer_error(gw, wsi, r, 405, "method", "Use POST.");
    rc = officer_auth(gw, r, &o, csrf, token_hash);
    if (rc == -ENOENT)
        return officer_error(gw, wsi, r, 401, "unauthorized", "Chưa đăng nhập.");
    if (rc)
        return officer_error(gw, wsi, r, 503, "internal", "The state database failed.");
    if (!officer_has_csrf(r, csrf))
        return officer_error(gw, wsi, r, 403, "csrf", "X-CSRF-Token is missing or wrong.");
    if (store_officer_session_end(gw->store, token_hash, now) ||
        store_audit_add(gw->store, now, o.username, "logout", NULL, r->peer, NULL) || gw_flush(gw))
        return officer_error(gw, wsi, r, 503, "internal", "The state database failed.");
    mc_log(MC_LOG_INFO, "officer.logout", "user=%s", o.username);
    officer_cookie_header(r, "", 0, hdr, sizeof(hdr));
    return respond_officer(gw, wsi, r, 200, json_pack("{s:b}", "logged_out", 1), hdr);
}

/* GET /api/v1/officer/me: the officer and the session's CSRF token (a page
 * reloaded in the browser gets it back; only same-origin script can read it). */
static int api_officer_me(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct store_officer o;
    char csrf[STORE_OFFICER_CSRF_MAX], token_hash[OFFICER_TOKEN_LEN + 1];
    int rc;

    if (r->method != HTTP_GET && r->method != HTTP_HEAD)
        return officer_error(gw, wsi, r, 405, "method", "Use GET.");
    rc = officer_auth(gw, r, &o, csrf, token_hash);
    if (rc == -ENOENT)
        return officer_error(gw, wsi, r, 401, "unauthorized", "Chưa đăng nhập.");
    if (rc)
        return officer_error(gw, wsi, r, 503, "internal", "The state database failed.");
    return respond_officer(gw, wsi, r, 200,
                           json_pack("{s:s,s:o}", "csrf_token", csrf, "officer", officer_json(&o)),
                           NULL);
}

static int api_officer(struct gw *gw, struct lws *wsi, struct http_req *r, const char *rest)
{
    if (strcmp(rest, "login") == 0)
        return api_officer_login(gw, wsi, r);
    if (strcmp(rest, "logout") == 0)
        return api_officer_logout(gw, wsi, r);
    if (strcmp(rest, "me") == 0)
        return api_officer_me(gw, wsi, r);
    return officer_error(gw, wsi, r, 404, "not_found", "No such officer endpoint.");
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
    if (strcmp(p, "/api/v1/localities") == 0)
        return get ? api_localities(gw, wsi, r)
                   : respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if (strcmp(p, "/api/v1/qr") == 0)
        return get ? api_qr(gw, wsi, r) : respond_error(gw, wsi, r, 405, "method", "Use GET.");
    if ((rest = after_prefix(p, "/api/v1/officer/")))
        return api_officer(gw, wsi, r, rest);
    if (after_prefix(p, "/api/"))
        return respond_error(gw, wsi, r, 404, "not_found", "No such API endpoint.");
    if (after_prefix(p, "/thu-tuc") && get) {
        char *html = NULL;
        int rc = gw->kb ? page_procedure(gw->kb, p, &html) : -EIO;

        if (rc == -ENOENT)
            return respond(gw, wsi, r, 404, "text/html; charset=utf-8", HTTP_LIT(HTTP_PAGE_404),
                           NULL);
        if (rc)
            return respond_error(gw, wsi, r, 503, "internal", "The knowledge base failed.");
        rc = respond(gw, wsi, r, 200, "text/html; charset=utf-8", html, strlen(html), NULL);
        free(html);
        return rc;
    }
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
    if (lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI))
        return HTTP_OPTIONS;
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

    req_init(r);
    r->method = method_of(wsi);
    if (strlen(uri) >= sizeof(r->path))
        return respond_error(gw, wsi, r, 414, "uri_too_long", "The path is too long.");
    snprintf(r->path, sizeof(r->path), "%s", uri);
    if (r->method == HTTP_OTHER)
        return respond_error(gw, wsi, r, 405, "method", "Method not allowed.");
    if (lws_get_peer_simple(wsi, r->peer, sizeof(r->peer)) == NULL)
        r->peer[0] = '\0';
    if (after_prefix(r->path, "/api/v1/officer/")) {
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
    if (r->method != HTTP_POST)
        return route(gw, wsi, r);
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
        lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) < (int)sizeof(r->auth))
        r->auth_len =
            (size_t)lws_hdr_copy(wsi, r->auth, sizeof(r->auth), WSI_TOKEN_HTTP_AUTHORIZATION);
    copy_custom_header(wsi, "x-hub-signature-256:", r->sig, sizeof(r->sig));
    if (!r->sig[0])
        copy_custom_header(wsi, "x-zevent-signature:", r->sig, sizeof(r->sig));
    clen[0] = '\0';
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        lws_hdr_copy(wsi, clen, sizeof(clen), WSI_TOKEN_HTTP_CONTENT_LENGTH);
    n = clen[0] ? strtoull(clen, NULL, 10) : 0;
    if (n > HTTP_BODY_MAX) {
        gw->metrics.errors[METRICS_ERR_TOO_LARGE]++;
        return respond_error(gw, wsi, r, 413, "too_large", "The body is larger than 64 KiB.");
    }
    if (n == 0 && !lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING)) {
        /* no body will come, yet lws 4.1.6 still calls HTTP_BODY_COMPLETION
         * after "content-length: 0": answer (and reload, ...) once only */
        r->routed = true;
        return route(gw, wsi, r);
    }
    return 0; /* wait for HTTP_BODY / HTTP_BODY_COMPLETION */
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
        req_reset(r);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, (enum lws_callback_reasons)reason, r, in, len);
    }
}
