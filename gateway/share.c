/* gateway/share.c - see share.h: the snapshot and the link in the reply. */
#include "share.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "chan_text.h"
#include "gw.h"
#include "kb.h"
#include "kb_local.h"
#include "mc_json.h"
#include "mc_log.h"
#include "store.h"

#define DAY_S 86400

/* s cut at SHARE_TEXT_CHARS characters, as a new JSON string (json_null()
 * for none, so every key is there). */
static json_t *text_of(const char *s)
{
    char cut[SHARE_TEXT_CHARS * 4 + 1];

    if (!s || !s[0])
        return json_null();
    return json_string(chan_cut_chars(s, SHARE_TEXT_CHARS, cut, sizeof cut));
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The guide's document with this id, or NULL. */
static const json_t *guide_doc(const json_t *guide, const char *id)
{
    const json_t *d;
    size_t i;

    json_array_foreach(json_object_get(guide, "documents"), i, d)
    {
        if (id && str(d, "id") && strcmp(str(d, "id"), id) == 0)
            return d;
    }
    return NULL;
}

/* A fact of the office ({"text","verify"}): its text and whether it waits
 * for an official. */
static int office_fact(json_t *out, const json_t *office, const char *key, const char *verify_key)
{
    const json_t *f = json_object_get(office, key);
    int rc = json_object_set_new(out, key, text_of(str(f, "text")));

    if (verify_key)
        rc |= json_object_set_new(out, verify_key,
                                  json_boolean(json_is_true(json_object_get(f, "verify"))));
    return rc;
}

static json_t *office_block(const struct kb *kb, const char *locality)
{
    const json_t *office = locality && locality[0] ? kb_office(kb, locality) : NULL;
    json_t *o;
    int rc;

    if (!office)
        return json_null();
    o = json_object();
    if (!o)
        return NULL;
    rc = json_object_set_new(o, "name", text_of(str(office, "office_name")));
    rc |= office_fact(o, office, "address", "address_verify");
    rc |= office_fact(o, office, "hours", "hours_verify");
    rc |= office_fact(o, office, "phone", NULL);
    rc |= office_fact(o, office, "hotline", NULL);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *share_snapshot(const struct kb *kb, const json_t *checklist, const char *locality)
{
    const char *id = str(checklist, "procedure");
    const json_t *guide = id ? kb_guide(kb, id) : NULL, *it, *r;
    json_t *snap, *items, *reasons, *office;
    size_t i;
    int rc = 0;

    if (!guide)
        return NULL;
    office = office_block(kb, locality);
    if (!office)
        return NULL;
    snap = json_pack("{s:s,s:o,s:b,s:s+,s:o,s:[],s:[],s:o}", "procedure", id, "title",
                     text_of(str(checklist, "title")), "complete",
                     json_is_true(json_object_get(checklist, "complete")), "url", "/thu-tuc/", id,
                     "reviewed", text_of(str(guide, "reviewed")), "items", "return_reasons",
                     "office", office);
    if (!snap)
        return NULL;
    items = json_object_get(snap, "items");
    reasons = json_object_get(snap, "return_reasons");
    json_array_foreach(json_object_get(checklist, "items"), i, it)
    {
        const json_t *doc = guide_doc(guide, str(it, "id")), *form = json_object_get(it, "form");
        const char *status = str(it, "status");

        if (i >= SHARE_ITEMS_MAX)
            break;
        rc |= json_array_append_new(
            items,
            json_pack("{s:o,s:s,s:I,s:o,s:o,s:b}", "name", text_of(str(it, "name")), "status",
                      status ? status : "unknown", "count",
                      json_integer_value(json_object_get(it, "count")), "how_to_get",
                      text_of(str(it, "how_to_get")), "form",
                      text_of(json_is_object(form) ? str(form, "name") : json_string_value(form)),
                      "verify", json_is_true(json_object_get(doc, "verify"))));
    }
    json_array_foreach(json_object_get(checklist, "return_reasons"), i, r)
    {
        if (i >= SHARE_REASONS_MAX)
            break;
        if (json_is_string(r))
            rc |= json_array_append_new(reasons, text_of(json_string_value(r)));
    }
    if (rc) {
        json_decref(snap);
        return NULL;
    }
    return snap;
}

/* Only where the citizen holds the device: not the kiosk, not the API. */
static bool channel_gets_page(const char *channel)
{
    return strcmp(channel, "web") == 0 || strcmp(channel, "messenger") == 0 ||
           strcmp(channel, "zalo") == 0;
}

int share_attach(struct gw *gw, int64_t session_id, const char *channel, const json_t *state,
                 json_t *reply, int64_t now, struct store_share_plan *plan)
{
    json_t *cl = json_object_get(reply, "checklist"), *snap;
    const char *locality = str(json_object_get(state, "locality"), "code");
    char token[STORE_SHARE_TOKEN_LEN + 1], path[sizeof SHARE_PREFIX + STORE_SHARE_TOKEN_LEN];
    char link[SHARE_URL_MAX];
    char *body;
    int rc;

    if (!json_is_object(cl) || !gw->kb || !channel_gets_page(channel))
        return 0;
    if (!locality || !kb_office(gw->kb, locality))
        locality = kb_default_locality(gw->kb, gw->cfg->locality_default);
    snap = share_snapshot(gw->kb, cl, locality);
    if (!snap) { /* a reply without a page is still the answer: never fail the turn for it */
        mc_log(MC_LOG_WARN, "share.skip", "reason=snapshot");
        return 0;
    }
    body = mc_json_dump(snap);
    json_decref(snap);
    if (!body)
        return -ENOMEM;
    if (plan) { /* decided now, written with the turn's save */
        rc = store_share_plan(gw->store, session_id, body, now,
                              now + (int64_t)gw->cfg->share_ttl_days * DAY_S, SHARE_PER_HOUR, plan);
        memcpy(token, plan->token, sizeof(token));
    } else {
        rc = store_share_put(gw->store, session_id, body, now,
                             now + (int64_t)gw->cfg->share_ttl_days * DAY_S, SHARE_PER_HOUR, token);
    }
    free(body);
    if (rc == -EBUSY || rc == -E2BIG) { /* the reply goes out all the same, without a page */
        mc_log(MC_LOG_INFO, "share.skip", "reason=%s", rc == -EBUSY ? "rate_limited" : "too_big");
        return 0;
    }
    if (rc)
        return -EIO;
    snprintf(path, sizeof path, SHARE_PREFIX "%s", token);
    if (json_object_set_new(cl, "share_url", json_string(path)))
        return -ENOMEM;
    if (gw->cfg->site_public_url[0] &&
        snprintf(link, sizeof link, "%s%s", gw->cfg->site_public_url, path) < (int)sizeof link &&
        json_object_set_new(cl, "share_link", json_string(link)))
        return -ENOMEM;
    return 0;
}
