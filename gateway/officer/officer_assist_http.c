/* gateway/officer/officer_assist_http.c - the assistant's HTTP endpoints
 * (officer_assist_route() in officer_assist.h), apart from the pure functions
 * so that those link without the server (unit tests, tools). */
#include "officer_assist.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <string.h>

#include "gw.h"
#include "http.h"
#include "officer_http.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static const char *after(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);

    return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

static int route_search(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    char buf[OFFICER_ASSIST_QUERY_MAX + 8];
    const char *q = lws_get_urlarg_by_name(wsi, "q=", buf, (int)sizeof(buf));
    json_t *res = NULL;
    int rc;

    /* lws gives NULL both for no q and for a q longer than buf */
    if (!q && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) >= (int)sizeof(buf) - 1)
        return officer_http_error(gw, wsi, r, 413, "too_long", "q is longer than 2048 bytes.");
    if (!q || !q[0])
        return officer_http_error(gw, wsi, r, 400, "missing_query",
                                  "Nhập nội dung cần tra cứu: ?q=khai sinh");
    rc = officer_assist_search(gw->kb, gw->index, q, strlen(q), &res);
    if (rc == -E2BIG)
        return officer_http_error(gw, wsi, r, 413, "too_long", "q is longer than 2048 bytes.");
    if (rc == -EINVAL)
        return officer_http_error(gw, wsi, r, 400, "bad_query", "q must be UTF-8 text.");
    if (rc)
        return officer_http_error(gw, wsi, r, 503, "internal", "The search failed.");
    return officer_http_respond(gw, wsi, r, 200, res, NULL);
}

static int route_view(struct gw *gw, struct lws *wsi, struct http_req *r, const char *id)
{
    json_t *res = NULL;
    int rc = officer_assist_view(gw->kb, id, &res);

    if (rc == -ENOENT)
        return officer_http_error(gw, wsi, r, 404, "unknown_procedure", "Không có thủ tục này.");
    if (rc)
        return officer_http_error(gw, wsi, r, 503, "internal", "Out of memory.");
    return officer_http_respond(gw, wsi, r, 200, res, NULL);
}

static int route_check(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct mc_err err = {{0}};
    json_error_t jerr;
    json_t *req, *res = NULL;
    int rc;

    if (!r->json_body)
        return officer_http_error(gw, wsi, r, 415, "content_type",
                                  "Send the body as Content-Type: application/json.");
    req = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(req) || !json_is_string(json_object_get(req, "procedure"))) {
        json_decref(req);
        return officer_http_error(gw, wsi, r, 400, "bad_json",
                                  "The body must be {\"procedure\": \"<id>\", \"have\": [...]}.");
    }
    rc = officer_assist_check(gw->kb, str(req, "procedure"), json_object_get(req, "have"), &res,
                              &err);
    json_decref(req);
    if (rc == -ENOENT)
        return officer_http_error(gw, wsi, r, 404, "unknown_procedure", "Không có thủ tục này.");
    if (rc == -EINVAL)
        return officer_http_error(gw, wsi, r, 400, "bad_field", err.text);
    if (rc == -E2BIG)
        return officer_http_error(gw, wsi, r, 413, "too_large", err.text);
    if (rc)
        return officer_http_error(gw, wsi, r, 503, "internal", "Out of memory.");
    return officer_http_respond(gw, wsi, r, 200, res, NULL);
}

int officer_assist_route(struct gw *gw, struct lws *wsi, struct http_req *r, const char *rest)
{
    struct store_officer o;
    char csrf[STORE_OFFICER_CSRF_MAX], token_hash[OFFICER_TOKEN_LEN + 1];
    bool get = r->method == HTTP_GET || r->method == HTTP_HEAD;
    const char *id;
    int rc = officer_http_auth(gw, r, &o, csrf, token_hash);

    if (rc == -ENOENT)
        return officer_http_error(gw, wsi, r, 401, "unauthorized", "Chưa đăng nhập.");
    if (rc)
        return officer_http_error(gw, wsi, r, 503, "internal", "The state database failed.");
    if (!gw->kb)
        return officer_http_error(gw, wsi, r, 503, "not_ready",
                                  "The knowledge base is not loaded.");
    if (strcmp(rest, "assistant") == 0 || strcmp(rest, "assistant/") == 0)
        return get ? route_search(gw, wsi, r)
                   : officer_http_error(gw, wsi, r, 405, "method", "Use GET.");
    if ((id = after(rest, "assistant/procedures/")) != NULL)
        return get ? route_view(gw, wsi, r, id)
                   : officer_http_error(gw, wsi, r, 405, "method", "Use GET.");
    if (strcmp(rest, "assistant/check") == 0) {
        if (r->method != HTTP_POST)
            return officer_http_error(gw, wsi, r, 405, "method", "Use POST.");
        if (!officer_http_has_csrf(r, csrf))
            return officer_http_error(gw, wsi, r, 403, "csrf", "X-CSRF-Token is missing or wrong.");
        return route_check(gw, wsi, r);
    }
    return officer_http_error(gw, wsi, r, 404, "not_found", "No such assistant endpoint.");
}
