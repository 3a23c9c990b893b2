/* gateway/officer/officer_http.c - see officer_http.h. Accounts and
 * sessions (login, logout, me) first, then the handoff conversations. A
 * state change, its outbox rows (Messenger/Zalo) and its audit row are one
 * unit of the store's batch, answered once it is committed
 * (officer_http_respond_committed: on PostgreSQL the request is held for the
 * loop's group commit, http_hold.h; SQLite commits at once). */
#include "officer_http.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw.h"
#include "http.h"
#include "http_hold.h"
#include "mc_log.h"
#include "officer_assist.h"
#include "officer_reply.h"

/* A well-formed hash no password matches in practice: a login for an unknown
 * or disabled user still pays one scrypt, so timing does not tell them apart. */
#define OFFICER_DUMMY_HASH                                                                         \
    "scrypt$32768$8$1$bW90Y3VhLWR1bW15LXNhbHQ=$"                                                   \
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

int officer_http_respond(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                         json_t *j, const char *extra_hdr)
{
    static const char oom[] = "{\"error\":\"internal\",\"message\":\"out of memory\"}";
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    int rc;

    json_decref(j);
    if (!text)
        return http_respond(gw, wsi, r, 503, "application/json", oom, sizeof oom - 1, NULL);
    rc = http_respond(gw, wsi, r, status, "application/json; charset=utf-8", text, strlen(text),
                      extra_hdr);
    free(text);
    return rc;
}

int officer_http_respond_committed(struct gw *gw, struct lws *wsi, struct http_req *r,
                                   unsigned status, json_t *j, const char *extra_hdr,
                                   void (*done)(struct gw *gw, int rc))
{
    static const char oom[] = "{\"error\":\"internal\",\"message\":\"out of memory\"}";
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    struct http_hold_answer ok = {status, "application/json; charset=utf-8", text,
                                  text ? strlen(text) : 0, extra_hdr};
    int rc;

    json_decref(j);
    if (!text) { /* written but unanswerable: the pass's commit keeps it, as a reply lost */
        ok = (struct http_hold_answer){503, "application/json", oom, sizeof oom - 1, NULL};
        return http_hold_commit(gw, wsi, r, &ok, NULL, NULL);
    }
    rc = http_hold_commit(gw, wsi, r, &ok, NULL, done);
    free(text);
    return rc;
}

void officer_http_pump_when_committed(struct gw *gw, int rc)
{
    if (!rc)
        gw_pump_outbox(gw);
}

int officer_http_error(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                       const char *code, const char *message)
{
    return officer_http_respond(gw, wsi, r, status,
                                json_pack("{s:s,s:s}", "error", code, "message", message), NULL);
}

static int db_error(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    return officer_http_error(gw, wsi, r, 503, "internal", "The state database failed.");
}

static json_t *officer_json(const struct store_officer *o)
{
    return json_pack("{s:s,s:s,s:s,s:s}", "username", o->username, "name", o->name, "role", o->role,
                     "unit", o->unit);
}

int officer_http_session_in(struct store *st, const char *cookie, struct store_officer *o,
                            char csrf[STORE_OFFICER_CSRF_MAX],
                            char token_hash[OFFICER_TOKEN_LEN + 1])
{
    if (strlen(cookie) != OFFICER_TOKEN_LEN)
        return -ENOENT;
    officer_token_hash(cookie, token_hash);
    return store_officer_session_get(st, token_hash, (int64_t)time(NULL), o, csrf);
}

int officer_http_session(struct gw *gw, const char *cookie, struct store_officer *o,
                         char csrf[STORE_OFFICER_CSRF_MAX], char token_hash[OFFICER_TOKEN_LEN + 1])
{
    return officer_http_session_in(gw->store, cookie, o, csrf, token_hash);
}

int officer_http_auth(struct gw *gw, const struct http_req *r, struct store_officer *o,
                      char csrf[STORE_OFFICER_CSRF_MAX], char token_hash[OFFICER_TOKEN_LEN + 1])
{
    return officer_http_session(gw, r->officer_cookie, o, csrf, token_hash);
}

bool officer_http_has_csrf(const struct http_req *r, const char *csrf)
{
    size_t n = strlen(csrf);

    return n == OFFICER_TOKEN_LEN && strlen(r->csrf) == n && CRYPTO_memcmp(r->csrf, csrf, n) == 0;
}

/* The Set-Cookie header: value "" with Max-Age=0 ends the cookie. */
static void cookie_header(const struct http_req *r, const char *value, unsigned max_age, char *out,
                          size_t cap)
{
    snprintf(out, cap,
             "set-cookie: " OFFICER_COOKIE "=%s; Max-Age=%u; HttpOnly; SameSite=Strict; "
             "Path=/%s",
             value, max_age, r->https ? "; Secure" : "");
}

/* ---- login, logout, me ------------------------------------------------- */

static int api_login(struct gw *gw, struct lws *wsi, struct http_req *r)
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
        return officer_http_error(gw, wsi, r, 405, "method", "Use POST.");
    /* a cross-site HTML form can post text/plain or a form without a CORS
     * preflight; application/json cannot: no login CSRF */
    if (!r->json_body)
        return officer_http_error(gw, wsi, r, 415, "content_type",
                                  "Send the body as Content-Type: application/json.");
    req = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &jerr);
    ju = json_object_get(req, "username");
    jp = json_object_get(req, "password");
    if (!json_is_object(req) || !json_is_string(ju) || !json_is_string(jp)) {
        json_decref(req);
        return officer_http_error(
            gw, wsi, r, 400, "bad_json",
            "The body must be {\"username\": \"...\", \"password\": \"...\"}.");
    }
    /* an invalid name is refused like an unknown one, and counted under "" */
    snprintf(user, sizeof(user), "%s",
             officer_is_username_valid(json_string_value(ju)) ? json_string_value(ju) : "");
    if (store_audit_failures(gw->store, user, r->peer, now - OFFICER_FAIL_WINDOW, &by_user, &by_ip,
                             &last)) {
        json_decref(req);
        return db_error(gw, wsi, r);
    }
    /* last is the latest failure of either: a lock never ends early */
    wait = officer_backoff_seconds(by_user, OFFICER_FAIL_FREE, now - last);
    wait_ip = officer_backoff_seconds(by_ip, OFFICER_FAIL_FREE_IP, now - last);
    if (wait_ip > wait)
        wait = wait_ip;
    if (wait) {
        json_decref(req);
        snprintf(hdr, sizeof(hdr), "retry-after: %u", wait);
        return officer_http_respond(
            gw, wsi, r, 429,
            json_pack("{s:s,s:s,s:i}", "error", "too_many_attempts", "message",
                      "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau.", "retry_after", wait),
            hdr);
    }
    pw = json_string_value(jp);
    pw_len = json_string_length(jp);
    rc = user[0] ? store_officer_get(gw->store, user, &o) : -ENOENT;
    if (rc == -EIO) {
        json_decref(req);
        return db_error(gw, wsi, r);
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
        /* the failure counts toward the back-off only once committed */
        if (store_audit_add(gw->store, now, user, "login_failed", NULL, r->peer,
                            rc == 0 && o.disabled ? "disabled" : NULL))
            return db_error(gw, wsi, r);
        return officer_http_respond_committed(gw, wsi, r, 401,
                                              json_pack("{s:s,s:s}", "error", "bad_credentials",
                                                        "message",
                                                        "Sai tên đăng nhập hoặc mật khẩu."),
                                              NULL, NULL);
    }
    if (officer_new_token(token) || officer_new_token(csrf))
        return officer_http_error(gw, wsi, r, 503, "internal", "No randomness.");
    officer_token_hash(token, token_hash);
    if (store_unit_begin(gw->store))
        return db_error(gw, wsi, r);
    rc = store_officer_session_add(gw->store, token_hash, o.username, csrf, now,
                                   now + (int64_t)hours * 3600);
    if (!rc)
        rc = store_audit_add(gw->store, now, o.username, "login", NULL, r->peer, NULL);
    if (store_unit_end(gw->store, rc == 0) || rc)
        return db_error(gw, wsi, r);
    mc_log(MC_LOG_INFO, "officer.login", "user=%s peer=%s", o.username, r->peer);
    /* the cookie goes only with the 200, once the session is committed */
    cookie_header(r, token, hours * 3600, hdr, sizeof(hdr));
    OPENSSL_cleanse(token, sizeof(token));
    res = json_pack("{s:s,s:o}", "csrf_token", csrf, "officer", officer_json(&o));
    rc = officer_http_respond_committed(gw, wsi, r, 200, res, hdr, NULL);
    OPENSSL_cleanse(hdr, sizeof(hdr));
    return rc;
}

/* The session of a request: 0 with *o and csrf, or an answer already sent
 * (401, 403 for a POST without the CSRF token, 503) and *sent set. */
static int authorize(struct gw *gw, struct lws *wsi, struct http_req *r, struct store_officer *o,
                     char token_hash[OFFICER_TOKEN_LEN + 1], bool *sent)
{
    char csrf[STORE_OFFICER_CSRF_MAX];
    int rc = officer_http_auth(gw, r, o, csrf, token_hash);

    *sent = true;
    if (rc == -ENOENT)
        return officer_http_error(gw, wsi, r, 401, "unauthorized", "Chưa đăng nhập.");
    if (rc)
        return db_error(gw, wsi, r);
    if (r->method == HTTP_POST && !officer_http_has_csrf(r, csrf))
        return officer_http_error(gw, wsi, r, 403, "csrf", "X-CSRF-Token is missing or wrong.");
    *sent = false;
    return 0;
}

static int api_logout(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct store_officer o;
    char token_hash[OFFICER_TOKEN_LEN + 1], hdr[256];
    int64_t now = (int64_t)time(NULL);
    bool sent;
    int rc;

    if (r->method != HTTP_POST)
        return officer_http_error(gw, wsi, r, 405, "method", "Use POST.");
    rc = authorize(gw, wsi, r, &o, token_hash, &sent);
    if (sent)
        return rc;
    if (store_unit_begin(gw->store))
        return db_error(gw, wsi, r);
    rc = store_officer_session_end(gw->store, token_hash, now);
    if (!rc)
        rc = store_audit_add(gw->store, now, o.username, "logout", NULL, r->peer, NULL);
    if (store_unit_end(gw->store, rc == 0) || rc)
        return db_error(gw, wsi, r);
    mc_log(MC_LOG_INFO, "officer.logout", "user=%s", o.username);
    cookie_header(r, "", 0, hdr, sizeof(hdr));
    return officer_http_respond_committed(gw, wsi, r, 200, json_pack("{s:b}", "logged_out", 1), hdr,
                                          NULL);
}

/* GET /api/v1/officer/me: the officer and the session's CSRF token (a page
 * reloaded in the browser gets it back; only same-origin script can read it). */
static int api_me(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct store_officer o;
    char csrf[STORE_OFFICER_CSRF_MAX], token_hash[OFFICER_TOKEN_LEN + 1];
    int rc;

    if (r->method != HTTP_GET && r->method != HTTP_HEAD)
        return officer_http_error(gw, wsi, r, 405, "method", "Use GET.");
    rc = officer_http_auth(gw, r, &o, csrf, token_hash);
    if (rc == -ENOENT)
        return officer_http_error(gw, wsi, r, 401, "unauthorized", "Chưa đăng nhập.");
    if (rc)
        return db_error(gw, wsi, r);
    return officer_http_respond(
        gw, wsi, r, 200, json_pack("{s:s,s:o}", "csrf_token", csrf, "officer", officer_json(&o)),
        NULL);
}

/* ---- conversations ----------------------------------------------------- */

bool officer_http_may_see(const char *role, const char *unit, const struct store_handoff *h)
{
    return strcmp(role, "admin") == 0 || !unit[0] || !h->locality[0] ||
           strcmp(unit, h->locality) == 0;
}

static json_t *str_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

struct list_ctx {
    struct gw *gw;
    const struct store_officer *o;
    json_t *arr;
    int rc;
};

json_t *officer_http_conversation_json(struct gw *gw, const struct store_handoff *h)
{
    json_t *c, *t = officer_reply_transcript(gw, h->session_id, OFFICER_HTTP_LAST_MESSAGES);

    if (!t)
        return NULL;
    c = json_pack("{s:I,s:s,s:s,s:o,s:o,s:I,s:I,s:o,s:o}", "id", (json_int_t)h->session_id,
                  "channel", h->channel, "state", h->state, "procedure", str_or_null(h->procedure),
                  "locality", str_or_null(h->locality), "waiting_since",
                  (json_int_t)h->waiting_since * 1000, "updated", (json_int_t)h->updated * 1000,
                  "officer",
                  /* the holder, or who held it last (closed) */
                  strcmp(h->state, "pending") != 0 ? str_or_null(h->officer) : json_null(),
                  "last_messages", t);
    return c;
}

static int list_item(void *ctx, const struct store_handoff *h)
{
    struct list_ctx *l = ctx;

    if (!officer_http_may_see(l->o->role, l->o->unit, h))
        return 0;
    if (json_array_append_new(l->arr, officer_http_conversation_json(l->gw, h))) {
        l->rc = -ENOMEM;
        return 1;
    }
    return 0;
}

static int api_list(struct gw *gw, struct lws *wsi, struct http_req *r,
                    const struct store_officer *o)
{
    char buf[32];
    const char *state;
    struct list_ctx l = {gw, o, NULL, 0};

    if (r->method != HTTP_GET && r->method != HTTP_HEAD)
        return officer_http_error(gw, wsi, r, 405, "method", "Use GET.");
    state = lws_get_urlarg_by_name(wsi, "state=", buf, (int)sizeof(buf));
    if (!state)
        state = "pending";
    if (strcmp(state, "pending") != 0 && strcmp(state, "officer") != 0 &&
        strcmp(state, "closed") != 0)
        return officer_http_error(gw, wsi, r, 400, "bad_state",
                                  "state must be pending, officer or closed.");
    l.arr = json_array();
    if (!l.arr)
        return officer_http_error(gw, wsi, r, 503, "internal", "Out of memory.");
    if (store_handoff_list(gw->store, state, OFFICER_HTTP_LIST_MAX, list_item, &l) || l.rc) {
        json_decref(l.arr);
        return db_error(gw, wsi, r);
    }
    return officer_http_respond(gw, wsi, r, 200, json_pack("{s:o}", "conversations", l.arr), NULL);
}

/* "123" -> 123; 0 for anything else (ids start at 1). */
static int64_t parse_id(const char *s, size_t n)
{
    int64_t v = 0;
    size_t i;

    if (n == 0 || n > 18)
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int api_get(struct gw *gw, struct lws *wsi, struct http_req *r,
                   const struct store_handoff *h)
{
    json_t *t, *c;

    if (r->method != HTTP_GET && r->method != HTTP_HEAD)
        return officer_http_error(gw, wsi, r, 405, "method", "Use GET.");
    t = officer_reply_transcript(gw, h->session_id, 0);
    c = t ? officer_http_conversation_json(gw, h) : NULL;
    if (!c) {
        json_decref(t);
        return db_error(gw, wsi, r);
    }
    return officer_http_respond(gw, wsi, r, 200,
                                json_pack("{s:o,s:o}", "conversation", c, "transcript", t), NULL);
}

/* Answers an action (claim, messages, release, close) on conversation h. */
static int api_action(struct gw *gw, struct lws *wsi, struct http_req *r,
                      const struct store_officer *o, struct store_handoff *h, const char *action)
{
    struct officer_reply_result res;
    json_t *j;
    int rc;

    if (r->method != HTTP_POST)
        return officer_http_error(gw, wsi, r, 405, "method", "Use POST.");
    memset(&res, 0, sizeof(res));
    if (strcmp(action, "claim") == 0)
        rc = officer_reply_claim(gw, o, h, r->peer, &res);
    else if (strcmp(action, "release") == 0 || strcmp(action, "close") == 0)
        rc = officer_reply_end(gw, o, h, action, r->peer, &res);
    else
        rc = officer_reply_message(gw, o, h, r->body.data ? r->body.data : "", r->body.len,
                                   r->json_body, r->peer, &res);
    if (rc)
        return officer_http_error(gw, wsi, r, res.status, res.code, res.message);
    j = res.body;
    res.body = NULL;
    /* the officer and the citizen hear of it only once it is committed: the
     * outbox after the commit, the web citizen from the feed (committed rows) */
    return officer_http_respond_committed(gw, wsi, r, 200, j, NULL,
                                          res.pump ? officer_http_pump_when_committed : NULL);
}

enum officer_http_conv_path officer_http_conversation_path(const char *rest, int64_t *id,
                                                           const char **action)
{
    const char *slash;

    *id = 0;
    *action = NULL;
    if (rest[0] == '\0' || strcmp(rest, "/") == 0)
        return OFFICER_HTTP_CONV_LIST;
    if (rest[0] != '/')
        return OFFICER_HTTP_CONV_NOT_FOUND;
    rest++;
    slash = strchr(rest, '/');
    *id = parse_id(rest, slash ? (size_t)(slash - rest) : strlen(rest));
    if (!*id)
        return OFFICER_HTTP_CONV_BAD_ID;
    *action = slash ? slash + 1 : NULL;
    return OFFICER_HTTP_CONV_ONE;
}

bool officer_http_is_action(const char *action)
{
    return strcmp(action, "claim") == 0 || strcmp(action, "messages") == 0 ||
           strcmp(action, "release") == 0 || strcmp(action, "close") == 0;
}

/* conversations, conversations/{id}, conversations/{id}/{action} */
static int api_conversations(struct gw *gw, struct lws *wsi, struct http_req *r, const char *rest)
{
    struct store_officer o;
    struct store_handoff h;
    char token_hash[OFFICER_TOKEN_LEN + 1];
    const char *action;
    int64_t id;
    bool sent;
    int rc;

    rc = authorize(gw, wsi, r, &o, token_hash, &sent);
    if (sent)
        return rc;
    switch (officer_http_conversation_path(rest, &id, &action)) {
    case OFFICER_HTTP_CONV_LIST:
        return api_list(gw, wsi, r, &o);
    case OFFICER_HTTP_CONV_NOT_FOUND:
        return officer_http_error(gw, wsi, r, 404, "not_found", "No such officer endpoint.");
    case OFFICER_HTTP_CONV_BAD_ID:
        return officer_http_error(gw, wsi, r, 404, "unknown_conversation",
                                  "Không có cuộc trò chuyện này.");
    case OFFICER_HTTP_CONV_ONE:
        break;
    }
    if (store_handoff_get(gw->store, id, &h))
        return db_error(gw, wsi, r);
    if (!h.channel[0]) /* never handed off (or no such session): not the officers' */
        return officer_http_error(gw, wsi, r, 404, "unknown_conversation",
                                  "Không có cuộc trò chuyện này.");
    if (!officer_http_may_see(o.role, o.unit, &h))
        return officer_http_error(gw, wsi, r, 403, "other_unit",
                                  "Cuộc trò chuyện này thuộc xã/phường khác.");
    if (!action)
        return api_get(gw, wsi, r, &h);
    if (officer_http_is_action(action))
        return api_action(gw, wsi, r, &o, &h, action);
    return officer_http_error(gw, wsi, r, 404, "not_found", "No such officer endpoint.");
}

int officer_http_route(struct gw *gw, struct lws *wsi, struct http_req *r, const char *rest)
{
    const char *sub;

    if (strcmp(rest, "login") == 0)
        return api_login(gw, wsi, r);
    if (strcmp(rest, "logout") == 0)
        return api_logout(gw, wsi, r);
    if (strcmp(rest, "me") == 0)
        return api_me(gw, wsi, r);
    if (strncmp(rest, "conversations", sizeof "conversations" - 1) == 0) {
        sub = rest + sizeof "conversations" - 1;
        if (sub[0] == '\0' || sub[0] == '/')
            return api_conversations(gw, wsi, r, sub);
    }
    if (strncmp(rest, "assistant", sizeof "assistant" - 1) == 0)
        return officer_assist_route(gw, wsi, r, rest);
    return officer_http_error(gw, wsi, r, 404, "not_found", "No such officer endpoint.");
}
