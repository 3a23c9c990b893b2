/* gateway/admin/notes.c - see notes.h. A note is history (every one kept,
 * newest first); a local fee/time note is one current text per guide, which
 * the layer (kb_local.h) turns into the sentence citizens read. */
#include "notes.h"

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
#include "kb_local.h"
#include "mc_log.h"
#include "office.h"
#include "officer_http.h"
#include "store.h"

#define ID_MAX 64 /* bytes of a procedure id in a path or query */

bool notes_field_ok(const json_t *g, const char *path)
{
    const json_t *cur = g;
    const char *p = path;
    char key[NOTES_FIELD_MAX];

    if (!path || !path[0] || strlen(path) >= NOTES_FIELD_MAX)
        return false;
    while (*p) {
        size_t n = strcspn(p, ".[");

        if (n == 0 || !json_is_object(cur))
            return false;
        memcpy(key, p, n);
        key[n] = '\0';
        cur = json_object_get(cur, key);
        if (!cur)
            return false;
        p += n;
        while (*p == '[') {
            char *end;
            unsigned long i;

            if (p[1] < '0' || p[1] > '9' || !json_is_array(cur))
                return false;
            i = strtoul(p + 1, &end, 10);
            if (*end != ']' || i >= json_array_size(cur) || (p[1] == '0' && end != p + 2))
                return false;
            cur = json_array_get(cur, i);
            p = end + 1;
        }
        if (*p == '.')
            p++;
        else if (*p)
            return false;
        if (p > path && p[-1] == '.' && !*p)
            return false; /* "fee." */
    }
    return true;
}

bool notes_http_is_route(const char *path)
{
    return strcmp(path, NOTES_API) == 0 ||
           strncmp(path, NOTES_GUIDES, sizeof NOTES_GUIDES - 1) == 0;
}

static void iso_time(int64_t ts, char out[32])
{
    time_t t = (time_t)ts;
    struct tm tm;

    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "?");
}

static int bad(struct gw *gw, struct lws *wsi, struct http_req *r, const char *code,
               const char *field, const char *message)
{
    return officer_http_respond(
        gw, wsi, r, 400,
        json_pack("{s:s,s:s,s:s}", "error", code, "field", field, "message", message), NULL);
}

static int unknown_procedure(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    return officer_http_error(gw, wsi, r, 404, "unknown_procedure",
                              "Không có thủ tục nào mang mã này.");
}

static int note_row(void *ctx, const struct store_local_row *row)
{
    char at[32];

    iso_time(row->ts, at);
    return json_array_append_new(ctx, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "id",
                                                (json_int_t)row->id, "procedure", row->key, "field",
                                                row->field, "status", row->status, "comment",
                                                row->value, "by", row->officer, "at", at))
               ? -ENOMEM
               : 0;
}

static int list_notes(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    char idb[ID_MAX + 16];
    const char *id = lws_get_urlarg_by_name(wsi, "procedure=", idb, (int)sizeof(idb));
    json_t *arr = json_array();

    if (id && !id[0])
        id = NULL;
    if (id && !kb_is_procedure(gw->kb, id)) {
        json_decref(arr);
        return unknown_procedure(gw, wsi, r);
    }
    if (!arr || store_guide_notes(gw->store, id, NOTES_LIST_MAX, note_row, arr)) {
        json_decref(arr);
        return officer_http_error(gw, wsi, r, 503, "internal", "The state database failed.");
    }
    return officer_http_respond(gw, wsi, r, 200, json_pack("{s:o}", "notes", arr), NULL);
}

/* The note and its audit row, one unit: both or neither go with the batch. */
static int note_add(struct gw *gw, const struct http_req *r, const struct store_officer *o,
                    const char *id, const char *field, const char *status, const char *comment,
                    int64_t now, const char *detail, int64_t *nid)
{
    int rc = store_unit_begin(gw->store);

    if (rc)
        return rc;
    rc = store_guide_note_add(gw->store, id, field, status, comment ? comment : "", o->username,
                              now, nid);
    if (!rc)
        rc = store_audit_add(gw->store, now, o->username, "guide_note", NULL, r->peer, detail);
    if (store_unit_end(gw->store, rc == 0) && !rc)
        rc = -EIO;
    return rc;
}

static int add_note(struct gw *gw, struct lws *wsi, struct http_req *r,
                    const struct store_officer *o)
{
    json_error_t jerr;
    json_t *body =
        json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &jerr);
    const char *id = json_string_value(json_object_get(body, "procedure"));
    const char *field = json_string_value(json_object_get(body, "field"));
    const char *status = json_string_value(json_object_get(body, "status"));
    const char *comment = json_string_value(json_object_get(body, "comment"));
    int64_t now = (int64_t)time(NULL), nid = 0;
    char detail[160];
    int rc;

    if (!body)
        return officer_http_error(gw, wsi, r, 400, "bad_json", jerr.text);
    if (!id) {
        rc = bad(gw, wsi, r, "missing_field", "procedure", "procedure: the guide's id");
    } else if (!kb_is_procedure(gw->kb, id)) {
        rc = unknown_procedure(gw, wsi, r);
    } else if (!field || !notes_field_ok(kb_guide(gw->kb, id), field)) {
        rc = bad(gw, wsi, r, "bad_field", "field",
                 "field: not a field of this guide (as in verify[]: \"fee\", \"documents[2]\", "
                 "\"faq[1].a\")");
    } else if (!status || (strcmp(status, "confirmed") && strcmp(status, "wrong"))) {
        rc = bad(gw, wsi, r, "bad_field", "status", "status: \"confirmed\" or \"wrong\"");
    } else if (json_object_get(body, "comment") && !comment) {
        rc = bad(gw, wsi, r, "bad_field", "comment", "comment: a text");
    } else if (comment && strlen(comment) > NOTES_COMMENT_MAX) {
        rc = bad(gw, wsi, r, "too_long", "comment", "comment: longer than 2000 bytes");
    } else if (strcmp(status, "wrong") == 0 && (!comment || !comment[0])) {
        rc = bad(gw, wsi, r, "missing_field", "comment",
                 "comment: say what is wrong, so it can be corrected in data/");
    } else {
        snprintf(detail, sizeof(detail), "%.64s %.63s %s", id, field, status);
        if (note_add(gw, r, o, id, field, status, comment, now, detail, &nid)) {
            rc = officer_http_error(gw, wsi, r, 503, "internal", "The state database failed.");
        } else {
            char at[32];

            iso_time(now, at);
            mc_log(MC_LOG_INFO, "guide.note", "user=%s procedure=%s field=%s status=%s",
                   o->username, id, field, status);
            /* the 201 once committed (http_hold.h) */
            rc = officer_http_respond_committed(
                gw, wsi, r, 201,
                json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)nid, "procedure", id,
                          "field", field, "status", status, "comment", comment ? comment : "", "by",
                          o->username, "at", at),
                NULL, NULL);
        }
    }
    json_decref(body);
    return rc;
}

struct local_find {
    const char *id;
    json_t *out; /* {"fee_note": {...}|null, "time_note": ...} */
};

static int local_row(void *ctx, const struct store_local_row *row)
{
    struct local_find *f = ctx;
    char at[32];

    if (strcmp(row->key, f->id) != 0)
        return 0;
    iso_time(row->ts, at);
    return json_object_set_new(
               f->out, row->field,
               json_pack("{s:s,s:s,s:s}", "text", row->value, "by", row->officer, "at", at))
               ? -ENOMEM
               : 0;
}

/* {"procedure","fee_note":{text,by,at,shown}|null,"time_note":…} */
/* committed: answered once the batch is (after a write, http_hold.h) */
static int show_local(struct gw *gw, struct lws *wsi, struct http_req *r, const char *id,
                      bool committed)
{
    static const char *const kinds[] = {KB_LOCAL_FEE, KB_LOCAL_TIME};
    struct local_find f = {
        id, json_pack("{s:s,s:n,s:n}", "procedure", id, KB_LOCAL_FEE, KB_LOCAL_TIME)};
    size_t i;

    if (!committed)
        office_poll(gw); /* "shown" as this worker says it now (a write applied it already) */
    if (!f.out || store_guide_local_each(gw->store, local_row, &f)) {
        json_decref(f.out);
        return officer_http_error(gw, wsi, r, 503, "internal", "The state database failed.");
    }
    for (i = 0; i < 2; i++) {
        json_t *x = json_object_get(f.out, kinds[i]);
        const char *shown = kb_local_note(gw->kb, id, kinds[i]);

        if (json_is_object(x) && shown)
            json_object_set_new(x, "shown", json_string(shown));
    }
    return committed ? officer_http_respond_committed(gw, wsi, r, 200, f.out, NULL, NULL)
                     : officer_http_respond(gw, wsi, r, 200, f.out, NULL);
}

static int put_local(struct gw *gw, struct lws *wsi, struct http_req *r,
                     const struct store_officer *o, const char *id)
{
    static const char *const kinds[] = {KB_LOCAL_FEE, KB_LOCAL_TIME};
    json_error_t jerr;
    json_t *body = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES,
                              &jerr),
           *v;
    int64_t now = (int64_t)time(NULL);
    const char *k;
    size_t i, n = 0;
    int rc = 0;

    if (!body)
        return officer_http_error(gw, wsi, r, 400, "bad_json", jerr.text);
    json_object_foreach(body, k, v)
    {
        const char *why = NULL;
        char msg[160];

        if (strcmp(k, KB_LOCAL_FEE) != 0 && strcmp(k, KB_LOCAL_TIME) != 0)
            why = "only \"fee_note\" and \"time_note\" are local";
        else if (!json_is_null(v) && !json_is_string(v))
            why = "a text, or null to remove it";
        else if (json_string_length(v) > KB_LOCAL_NOTE_MAX ||
                 strpbrk(json_string_value(v) ? json_string_value(v) : "", "<>"))
            why = "at most 600 bytes, no < or >";
        if (why) {
            snprintf(msg, sizeof(msg), "%.40s: %s", k, why);
            rc = bad(gw, wsi, r, "bad_field", k, msg);
            json_decref(body);
            return rc; /* answered */
        }
        n++;
    }
    if (n == 0) {
        json_decref(body);
        return bad(gw, wsi, r, "missing_field", "fee_note",
                   "send {\"fee_note\": \"…\"} and/or {\"time_note\": \"…\"}");
    }
    if (store_unit_begin(gw->store)) {
        json_decref(body);
        return officer_http_error(gw, wsi, r, 503, "internal", "The state database failed.");
    }
    for (i = 0; i < 2 && !rc; i++) {
        v = json_object_get(body, kinds[i]);
        if (!v)
            continue;
        /* "" or null: back to the reviewed guide alone */
        rc = store_guide_local_set(gw->store, id, kinds[i],
                                   json_string_length(v) ? json_string_value(v) : NULL, o->username,
                                   now);
        if (rc == -ENOENT)
            rc = 0;
    }
    if (!rc)
        rc = store_audit_add(gw->store, now, o->username, "guide_local", NULL, r->peer, id);
    json_decref(body);
    if (store_unit_end(gw->store, rc == 0) || rc)
        return officer_http_error(gw, wsi, r, 503, "internal", "The state database failed.");
    /* this worker's layer from the open batch, so the answer shows the note;
     * should the commit fail, the next office_poll() sees the revision it
     * applied is not the stored one and applies the stored data again */
    if (office_apply(gw))
        mc_log(MC_LOG_WARN, "office.apply", "after=guide_local procedure=%s", id);
    mc_log(MC_LOG_INFO, "guide.local", "user=%s procedure=%s", o->username, id);
    return show_local(gw, wsi, r, id, true);
}

int notes_http_route(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    bool get = r->method == HTTP_GET || r->method == HTTP_HEAD;
    struct store_officer o;
    char id[ID_MAX];
    const char *rest, *slash;
    int rc;

    if (!gw->kb)
        return officer_http_error(gw, wsi, r, 503, "not_ready", "Data not loaded.");
    if (strcmp(r->path, NOTES_API) == 0) {
        if (!get && r->method != HTTP_POST)
            return officer_http_error(gw, wsi, r, 405, "method", "Use GET or POST.");
        if (office_http_admin(gw, wsi, r, !get, &o, &rc))
            return rc;
        return get ? list_notes(gw, wsi, r) : add_note(gw, wsi, r, &o);
    }
    rest = r->path + sizeof NOTES_GUIDES - 1;
    slash = strchr(rest, '/');
    if (!slash || strcmp(slash, "/local") != 0 || (size_t)(slash - rest) >= sizeof(id))
        return officer_http_error(gw, wsi, r, 404, "not_found", "No such API endpoint.");
    memcpy(id, rest, (size_t)(slash - rest));
    id[slash - rest] = '\0';
    if (!get && r->method != HTTP_PUT)
        return officer_http_error(gw, wsi, r, 405, "method", "Use GET or PUT.");
    if (office_http_admin(gw, wsi, r, !get, &o, &rc))
        return rc;
    if (!kb_is_procedure(gw->kb, id))
        return unknown_procedure(gw, wsi, r);
    return get ? show_local(gw, wsi, r, id, false) : put_local(gw, wsi, r, &o, id);
}
