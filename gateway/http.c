/* gateway/http.c - see http.h. An HTTP transaction's life: the request read
 * (method, headers, the body up to its limit), the answer sent (status,
 * headers, then the body in chunks on WRITEABLE) and the state freed when
 * the connection closes. Which handler answers a path: http_route.c.
 * Every error of the API is JSON {"error": code, "message": text} with the
 * matching status; the pages people open in a browser (the guides,
 * page_http.h; the report page) answer theirs in HTML. Every body's length
 * is counted (strlen, a buffer's length, or HTTP_LIT for a literal), never
 * typed. */
#include "http.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "http_int.h"
#include "conn.h"
#include "reload.h"
#include "share_render.h"
#include "http_hold.h"
#include "officer_http.h"
#include "notes.h"
#include "office.h"
#include "feedback_http.h"
#include "report_http.h"
#include "teach_build.h"
#include "teach_http.h"

#define HTTP_CHUNK (32 * 1024) /* bytes written per WRITEABLE callback */
#define HTTP_HDRS_MAX 2048     /* bytes of response headers */

/* s after prefix, or NULL when s does not start with prefix. */
const char *http_after_prefix(const char *s, const char *prefix)
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

int http_respond_json(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
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

int http_respond_error(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                       const char *code, const char *message)
{
    return http_respond_json(gw, wsi, r, status,
                             json_pack("{s:s,s:s}", "error", code, "message", message));
}

int http_respond_text_json(struct gw *gw, struct lws *wsi, struct http_req *r, char *json)
{
    int rc = respond(gw, wsi, r, 200, "application/json; charset=utf-8", json, strlen(json),
                     "access-control-allow-origin: *");

    free(json);
    return rc;
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
        return http_respond_error(gw, wsi, r, 429, "too_many_connections",
                                  "Too many connections from your address; close some and retry.");
    }
    if (strlen(uri) >= sizeof(r->path))
        return http_respond_error(gw, wsi, r, 414, "uri_too_long", "The path is too long.");
    snprintf(r->path, sizeof(r->path), "%s", uri);
    if (r->method == HTTP_OTHER || (r->method == HTTP_DELETE && !teach_http_is_route(r->path) &&
                                    !office_http_is_route(r->path)))
        return http_respond_error(gw, wsi, r, 405, "method", "Method not allowed.");
    snprintf(r->peer, sizeof(r->peer), "%s", conn_client_addr(wsi)); /* after the proxy */
    if (http_after_prefix(r->path, "/api/v1/officer/") || report_http_is_route(r->path) ||
        office_http_is_route(r->path) || notes_http_is_route(r->path) ||
        http_after_prefix(r->path, TEACH_HTTP_PREFIX) || feedback_http_is_route(r->path)) {
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
        return http_route(gw, wsi, r);
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
        return http_respond_error(
            gw, wsi, r, 411, "length_required",
            "Send the body with Content-Length; chunked bodies are not accepted.");
    }
    clen[0] = '\0';
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        lws_hdr_copy(wsi, clen, sizeof(clen), WSI_TOKEN_HTTP_CONTENT_LENGTH);
    n = clen[0] ? strtoull(clen, NULL, 10) : 0;
    if (http_after_prefix(r->path, "/webhooks/"))
        r->body.max = HTTP_WEBHOOK_BODY_MAX; /* grows as bytes come, up to this */
    if (n > r->body.max) {
        gw->metrics.errors[METRICS_ERR_TOO_LARGE]++;
        return http_respond_error(gw, wsi, r, 413, "too_large",
                                  r->body.max == HTTP_BODY_MAX ? "The body is larger than 64 KiB."
                                                               : "The body is larger than 2 MiB.");
    }
    if (n == 0) {
        /* no body will come, yet lws 4.1.6 still calls HTTP_BODY_COMPLETION
         * after "content-length: 0": answer (and reload, ...) once only */
        r->routed = true;
        return http_route(gw, wsi, r);
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
    (void)http_respond_error(gw, wsi, r, 408, "body_timeout",
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
            return http_respond_error(gw, wsi, r, 413, "too_large",
                                      "The body is larger than 64 KiB.");
        }
        return http_route(gw, wsi, r) ? -1 : 0;
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
