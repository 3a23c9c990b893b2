/* gateway/admin/office_http.c - the HTTP side of office.h: the console's
 * office API (admins, same origin, CSRF on writes) and the public commune
 * name the kiosk and the widget show. A write rebuilds this worker's layer
 * from the open batch and is answered once that batch is committed
 * (http_hold.h), so the admin who saved sees it at once; the other workers
 * pick it up at their next poll. */
#include "office.h"
#include "popular.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "gw.h"
#include "http.h"
#include "kb.h"
#include "kb_local.h"
#include "mc_log.h"
#include "officer_http.h"

#define CODE_LEN 5 /* digits of a ward code */

bool office_http_is_route(const char *path)
{
    size_t n = sizeof OFFICE_HTTP_API - 1;

    return strcmp(path, OFFICE_HTTP_COMMUNE) == 0 ||
           (strncmp(path, OFFICE_HTTP_API, n) == 0 && (path[n] == '\0' || path[n] == '/'));
}

int office_http_admin(struct gw *gw, struct lws *wsi, struct http_req *r, bool write,
                      struct store_officer *o, int *rc)
{
    char csrf[STORE_OFFICER_CSRF_MAX], token_hash[OFFICER_TOKEN_LEN + 1];
    int a = officer_http_auth(gw, r, o, csrf, token_hash);

    if (a == -ENOENT)
        *rc = officer_http_error(gw, wsi, r, 401, "unauthorized", "Chưa đăng nhập.");
    else if (a)
        *rc = officer_http_error(gw, wsi, r, 503, "internal", "The state database failed.");
    else if (strcmp(o->role, "admin") != 0)
        *rc = officer_http_error(gw, wsi, r, 403, "forbidden",
                                 "Chỉ quản trị viên được sửa thông tin này.");
    else if (write && !officer_http_has_csrf(r, csrf))
        *rc = officer_http_error(gw, wsi, r, 403, "csrf", "Thiếu hoặc sai X-CSRF-Token.");
    else if (write && !r->json_body && r->method != HTTP_DELETE)
        *rc = officer_http_error(gw, wsi, r, 415, "content_type",
                                 "Gửi dữ liệu dạng application/json.");
    else
        return 0;
    return 1;
}

static void iso_time(int64_t ts, char out[32])
{
    time_t t = (time_t)ts;
    struct tm tm;

    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "?");
}

struct listing {
    json_t *overrides; /* code -> {field: {"value","by","at"}} */
};

static int list_row(void *ctx, const struct store_local_row *row)
{
    struct listing *l = ctx;
    json_t *c = json_object_get(l->overrides, row->key), *v;
    char at[32];

    if (!c) {
        c = json_object();
        if (!c || json_object_set_new(l->overrides, row->key, c))
            return -ENOMEM;
    }
    iso_time(row->ts, at);
    v = json_loads(row->value, JSON_DECODE_ANY, NULL);
    return json_object_set_new(c, row->field,
                               json_pack("{s:o,s:s,s:s,s:I}", "value", v ? v : json_null(), "by",
                                         row->officer, "at", at, "ts", (json_int_t)row->ts))
               ? -ENOMEM
               : 0;
}

static json_t *office_item(struct gw *gw, const char *code, json_t *overrides)
{
    const json_t *o = kb_office(gw->kb, code);
    const char *name = kb_commune_name(gw->kb, code);
    json_t *ov = json_object_get(overrides, code);

    /* a copy of the office: what the snapshot lends is never shared (kb.h) */
    return json_pack("{s:s,s:s?,s:b,s:o?,s:o}", "code", code, "name", name, "shipped",
                     kb_office_shipped(gw->kb, code) != NULL, "office",
                     o ? json_deep_copy(o) : NULL, "overridden",
                     ov ? json_incref(ov) : json_object());
}

static bool listed(json_t *arr, const char *code)
{
    json_t *x;
    size_t i;

    json_array_foreach(arr, i, x)
    {
        if (strcmp(json_string_value(json_object_get(x, "code")), code) == 0)
            return true;
    }
    return false;
}

/* GET /api/v1/admin/office: the configured commune, every office an admin
 * set up, and (so a first admin can pick theirs) every shipped office. */
static int get_offices(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct listing l = {json_object()};
    const char *home = kb_default_locality(gw->kb, gw->cfg->locality_default), *code;
    json_t *arr = json_array(), *fields = json_array(), *v, *res;
    size_t i;
    int rc;

    if (!l.overrides || !arr || !fields)
        goto nomem;
    office_poll(gw); /* an admin reads what another worker just saved, not a poll behind */
    rc = store_office_each(gw->store, list_row, &l);
    if (rc) {
        json_decref(l.overrides);
        json_decref(arr);
        json_decref(fields);
        return officer_http_error(gw, wsi, r, 503, "internal", "The state database failed.");
    }
    if (home[0] && kb_unit(gw->kb, home) &&
        json_array_append_new(arr, office_item(gw, home, l.overrides)))
        goto nomem;
    json_object_foreach(l.overrides, code, v)
    {
        if (!listed(arr, code) && kb_unit(gw->kb, code) &&
            json_array_append_new(arr, office_item(gw, code, l.overrides)))
            goto nomem;
    }
    for (i = 0; (code = kb_office_code(gw->kb, i)) && i < OFFICE_LIST_MAX; i++)
        if (!listed(arr, code) && json_array_append_new(arr, office_item(gw, code, l.overrides)))
            goto nomem;
    for (i = 0; office_fields[i]; i++)
        json_array_append_new(fields, json_string(office_fields[i]));
    res = json_pack("{s:s?,s:s,s:o,s:o}", "home", home[0] ? home : NULL, "configured",
                    gw->cfg->locality_default, "fields", fields, "offices", arr);
    json_decref(l.overrides);
    return officer_http_respond(gw, wsi, r, 200, res, NULL);
nomem:
    json_decref(l.overrides);
    json_decref(arr);
    json_decref(fields);
    return officer_http_error(gw, wsi, r, 503, "internal", "Out of memory.");
}

static bool code_ok(const char *s, size_t n)
{
    size_t i;

    if (n != CODE_LEN)
        return false;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Rebuilds this worker's layer, answers with the office once the write is
 * committed. Should the commit fail, the next office_poll() sees the
 * revision applied is not the stored one and applies the stored data. */
static int after_write(struct gw *gw, struct lws *wsi, struct http_req *r, const char *code)
{
    struct listing l = {json_object()};
    json_t *item;

    if (office_apply(gw))
        mc_log(MC_LOG_WARN, "office.apply", "after=write code=%s", code);
    if (!l.overrides || store_office_each(gw->store, list_row, &l)) {
        json_decref(l.overrides);
        return officer_http_error(gw, wsi, r, 503, "internal", "The state database failed.");
    }
    item = office_item(gw, code, l.overrides);
    json_decref(l.overrides);
    return officer_http_respond_committed(gw, wsi, r, 200, item, NULL, NULL);
}

static int put_office(struct gw *gw, struct lws *wsi, struct http_req *r,
                      const struct store_officer *o, const char *code)
{
    struct mc_err err = {{0}};
    json_error_t jerr;
    json_t *body, *norm = NULL, *v;
    const char *field = NULL, *k;
    char detail[256];
    size_t dl = 0;
    int64_t now = (int64_t)time(NULL);
    int rc;

    body = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!body)
        return officer_http_error(gw, wsi, r, 400, "bad_json", jerr.text);
    rc = office_check_update(gw->kb, code, body, &norm, &field, &err);
    if (rc == -ENOENT) {
        json_decref(body);
        return officer_http_error(gw, wsi, r, 404, "unknown_unit",
                                  "Không có xã/phường nào mang mã này.");
    }
    if (rc == -EINVAL) {
        json_t *e =
            json_pack("{s:s,s:s,s:s}", "error", "bad_field", "field", field, "message", err.text);

        json_decref(body);
        return officer_http_respond(gw, wsi, r, 400, e, NULL);
    }
    json_decref(body);
    if (rc)
        return officer_http_error(gw, wsi, r, 503, "internal", "Out of memory.");
    detail[0] = '\0';
    rc = store_unit_begin(gw->store);
    json_object_foreach(norm, k, v)
    {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

        if (!rc)
            rc = text ? store_office_set(gw->store, code, k, text, o->username, now) : -ENOMEM;
        free(text);
        if (dl < sizeof(detail))
            dl += (size_t)snprintf(detail + dl, sizeof(detail) - dl, "%s%s", dl ? "," : "", k);
    }
    if (!rc)
        rc = store_audit_add(gw->store, now, o->username, "office_set", NULL, r->peer, detail);
    if (store_unit_end(gw->store, rc == 0) || rc) {
        json_decref(norm);
        return officer_http_error(gw, wsi, r, 503, "internal", "The state database failed.");
    }
    json_decref(norm);
    mc_log(MC_LOG_INFO, "office.set", "user=%s code=%s fields=%s", o->username, code, detail);
    return after_write(gw, wsi, r, code);
}

static int delete_field(struct gw *gw, struct lws *wsi, struct http_req *r,
                        const struct store_officer *o, const char *code, const char *field)
{
    char detail[64];
    int64_t now = (int64_t)time(NULL);
    size_t i;
    int rc;

    for (i = 0; office_fields[i] && strcmp(office_fields[i], field) != 0; i++)
        ;
    if (!office_fields[i])
        return officer_http_respond(gw, wsi, r, 400,
                                    json_pack("{s:s,s:s,s:s}", "error", "bad_field", "field", field,
                                              "message", "not an office field"),
                                    NULL);
    rc = store_office_unset(gw->store, code, field);
    if (rc == -ENOENT)
        return officer_http_error(gw, wsi, r, 404, "not_overridden",
                                  "Trường này đang dùng giá trị gốc, không có gì để xoá.");
    snprintf(detail, sizeof(detail), "%s %s", code, field);
    if (rc || store_audit_add(gw->store, now, o->username, "office_unset", NULL, r->peer, detail))
        return officer_http_error(gw, wsi, r, 503, "internal", "The state database failed.");
    mc_log(MC_LOG_INFO, "office.unset", "user=%s code=%s field=%s", o->username, code, field);
    return after_write(gw, wsi, r, code);
}

static const char *fact(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(json_object_get(o, key), "text"));
}

/* GET /api/v1/commune: public, for the kiosk's header, home screen and
 * printouts, the widget title and the demo page: the commune's name and the
 * office facts the bot says (so no page hard-codes hours the bot would
 * contradict), its counters, and the most-asked procedures (popular.h). */
static int get_commune(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    const char *code;
    const json_t *o;
    json_t *j, *popular, *counters;
    char *text;
    int rc;

    office_poll(gw); /* one row read: the page shows the name saved a moment ago */
    code = gw->kb ? kb_default_locality(gw->kb, gw->cfg->locality_default) : "";
    o = code[0] ? kb_office(gw->kb, code) : NULL;
    counters = json_object_get(o, "counters");
    counters = json_is_array(counters) ? json_incref((json_t *)(uintptr_t)counters) : json_array();
    popular = popular_json(gw, &gw->popular);
    j = json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?,s:b,s:s?,s:s?,s:o,s:o}", "code", code[0] ? code : NULL,
                  "name", code[0] ? kb_commune_name(gw->kb, code) : NULL, "office_name",
                  json_string_value(json_object_get(o, "office_name")), "address",
                  fact(o, "address"), "hours", fact(o, "hours"), "hours_verify",
                  json_is_true(json_object_get(json_object_get(o, "hours"), "verify")), "phone",
                  fact(o, "phone"), "hotline", fact(o, "hotline"), "counters", counters, "popular",
                  popular ? popular : json_array()); /* "o" steals both, even on failure */
    text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        return officer_http_error(gw, wsi, r, 503, "internal", "Out of memory.");
    rc = http_respond(gw, wsi, r, 200, "application/json; charset=utf-8", text, strlen(text),
                      "access-control-allow-origin: *");
    free(text);
    return rc;
}

int office_http_route(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    const char *rest = r->path + sizeof OFFICE_HTTP_API - 1, *slash;
    bool get = r->method == HTTP_GET || r->method == HTTP_HEAD;
    struct store_officer o;
    char code[CODE_LEN + 1];
    int rc;

    if (strcmp(r->path, OFFICE_HTTP_COMMUNE) == 0)
        return get ? get_commune(gw, wsi, r)
                   : officer_http_error(gw, wsi, r, 405, "method", "Use GET.");
    if (!gw->kb)
        return officer_http_error(gw, wsi, r, 503, "not_ready", "Data not loaded.");
    if (*rest == '\0' || strcmp(rest, "/") == 0) {
        if (!get)
            return officer_http_error(gw, wsi, r, 405, "method", "Use GET.");
        return office_http_admin(gw, wsi, r, false, &o, &rc) ? rc : get_offices(gw, wsi, r);
    }
    rest++;
    slash = strchr(rest, '/');
    if (!code_ok(rest, slash ? (size_t)(slash - rest) : strlen(rest)))
        return officer_http_error(gw, wsi, r, 404, "unknown_unit",
                                  "Mã xã/phường là 5 chữ số (data/units).");
    memcpy(code, rest, CODE_LEN);
    code[CODE_LEN] = '\0';
    if (!slash) {
        if (r->method != HTTP_PUT)
            return officer_http_error(gw, wsi, r, 405, "method", "Use PUT.");
        return office_http_admin(gw, wsi, r, true, &o, &rc) ? rc : put_office(gw, wsi, r, &o, code);
    }
    if (r->method != HTTP_DELETE)
        return officer_http_error(gw, wsi, r, 405, "method", "Use DELETE.");
    return office_http_admin(gw, wsi, r, true, &o, &rc)
               ? rc
               : delete_field(gw, wsi, r, &o, code, slash + 1);
}
