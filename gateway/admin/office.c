/* gateway/admin/office.c - see office.h. An override is stored per field as
 * the JSON value it gives the office object, so the layer is the shipped
 * object with those values put in, and the console's check is the
 * importer's check (kb_office_check) run on that very object. */
#include "office.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gw.h"
#include "http.h"
#include "kb.h"
#include "kb_hours.h"
#include "kb_local.h"
#include "kb_office.h"
#include "mc_log.h"
#include "officer_http.h"

const char *const office_fields[] = {"display_name", "office_name", "address", "hours",
                                     "holidays",     "phone",       "hotline", "map_url",
                                     "portal_url",   "counters",    NULL};

enum kind { K_NONE, K_STR, K_FACT, K_HOLIDAYS };

static enum kind kind_of(const char *field)
{
    static const char *const facts[] = {"address", "hours", "phone", "hotline"};
    size_t i;

    for (i = 0; i < sizeof(facts) / sizeof(facts[0]); i++)
        if (strcmp(field, facts[i]) == 0)
            return K_FACT;
    if (strcmp(field, "holidays") == 0)
        return K_HOLIDAYS;
    for (i = 0; office_fields[i]; i++)
        if (strcmp(field, office_fields[i]) == 0)
            return K_STR;
    return K_NONE;
}

/* "dd/mm/yyyy" of ts in Vietnam's time. */
static void local_date(int64_t ts, char out[16])
{
    time_t t = (time_t)(ts + KB_HOURS_TZ_OFFSET_S);
    struct tm tm;

    if (!gmtime_r(&t, &tm))
        snprintf(out, 16, "?");
    else
        snprintf(out, 16, "%02u/%02u/%04u", (unsigned)tm.tm_mday % 100u,
                 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)(tm.tm_year + 1900) % 10000u);
}

/* The office code serves from before any override: the shipped one, or a
 * blank office of the unit (every fact to be filled, marked unconfirmed)
 * so a commune without a reviewed file can still be set up. */
static json_t *office_base(const struct kb *kb, const char *code)
{
    const json_t *o = kb_office_shipped(kb, code), *u;
    char today[16], iso[16];

    if (o)
        return json_deep_copy(o);
    u = kb_unit(kb, code);
    if (!u)
        return NULL;
    local_date((int64_t)time(NULL), today);
    snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", today + 6, today + 3, today);
    return json_pack("{s:s,s:s?,s:s?,s:s+,s:{s:n,s:b},s:{s:n,s:b},s:{s:n,s:b},s:{s:s,s:b},"
                     "s:s,s:s}",
                     "unit_code", code, "unit_name", json_string_value(json_object_get(u, "name")),
                     "province", json_string_value(json_object_get(u, "province")), "office_name",
                     "Trung tâm phục vụ hành chính công ",
                     json_string_value(json_object_get(u, "name")), "address", "text", "verify", 1,
                     "hours", "text", "verify", 1, "phone", "text", "verify", 1, "hotline", "text",
                     "1800 1096", "verify", 0, "portal_url", "https://dichvucong.gov.vn/",
                     "reviewed", iso);
}

/* Puts one stored value into o. hours keeps the holidays it had (they are
 * their own field); holidays go into hours. Returns 0 or -ENOMEM. */
static int put_field(json_t *o, const char *field, const json_t *value)
{
    json_t *hours = json_object_get(o, "hours"), *v = json_deep_copy(value), *keep;

    if (!v)
        return -ENOMEM;
    if (kind_of(field) == K_HOLIDAYS) {
        if (!json_is_object(hours)) {
            json_decref(v);
            return 0; /* the check names "hours" */
        }
        return json_object_set_new(hours, "holidays", v) ? -ENOMEM : 0;
    }
    if (strcmp(field, "hours") == 0 && json_is_object(v) && !json_object_get(v, "holidays") &&
        (keep = json_object_get(hours, "holidays")) && json_object_set(v, "holidays", keep)) {
        json_decref(v);
        return -ENOMEM;
    }
    return json_object_set_new(o, field, v) ? -ENOMEM : 0;
}

/* Puts fields ({field: value}) into o: every field, then holidays, so the
 * holidays land in the hours they belong to. */
static int put_fields(json_t *o, const json_t *fields)
{
    const char *k;
    json_t *v;
    int pass, rc;

    for (pass = 0; pass < 2; pass++)
        json_object_foreach((json_t *)(uintptr_t)fields, k, v)
        {
            if ((kind_of(k) == K_HOLIDAYS) != (pass == 1))
                continue;
            rc = put_field(o, k, v);
            if (rc)
                return rc;
        }
    return 0;
}

/* The value to store for field given by an admin, over the effective
 * office cur: a fact as a string is its text, confirmed; as an object it
 * updates the current fact, confirmed unless it says "verify": true. */
static json_t *normalize(const json_t *cur, const char *field, const json_t *given)
{
    json_t *f;

    if (kind_of(field) != K_FACT)
        return json_deep_copy(given);
    f = json_is_object(json_object_get(cur, field)) ? json_deep_copy(json_object_get(cur, field))
                                                    : json_object();
    if (!f)
        return NULL;
    json_object_del(f, "note"); /* the file's reviewer note does not speak for the official */
    json_object_del(f, "holidays");
    if (json_is_string(given) || json_is_null(given)) {
        json_object_set(f, "text", (json_t *)(uintptr_t)given);
        json_object_set_new(f, "verify", json_boolean(json_is_null(given)));
        return f;
    }
    if (!json_is_object(given) || json_object_update(f, (json_t *)(uintptr_t)given)) {
        json_decref(f);
        return json_string("not an object"); /* caught by the type check before */
    }
    if (!json_object_get(given, "verify"))
        json_object_set_new(f, "verify", json_false());
    return f;
}

struct first_problem {
    const char *field;
    char text[MC_ERR_LEN];
    const json_t *body;
};

static void first_report(void *ctx, const char *field, const char *problem)
{
    struct first_problem *p = ctx;
    const char *k;
    json_t *v;

    if (p->field)
        return;
    /* name the field as the admin sent it (holidays live in hours) */
    json_object_foreach((json_t *)(uintptr_t)p->body, k, v)
    {
        (void)v;
        if (strcmp(k, field) == 0 ||
            (strcmp(k, "holidays") == 0 && strstr(problem, "hours.holidays"))) {
            p->field = k;
            break;
        }
    }
    if (!p->field)
        p->field = "office";
    if (strncmp(problem, field, strlen(field)) == 0)
        snprintf(p->text, sizeof(p->text), "%s", problem);
    else
        snprintf(p->text, sizeof(p->text), "%s: %s", field, problem);
}

static const char *type_problem(const char *k, const json_t *v)
{
    switch (kind_of(k)) {
    case K_NONE:
        return "is not an office field";
    case K_STR:
        if (strcmp(k, "counters") == 0) /* the rest is kb_office_check()'s */
            return json_is_array(v) ? NULL : "must be a list of counters";
        return json_is_string(v) ? NULL : "must be a string";
    case K_HOLIDAYS:
        return json_is_array(v) ? NULL : "must be a list of dates \"YYYY-MM-DD\"";
    case K_FACT:
        if (json_is_string(v) && json_string_length(v) > OFFICE_FACT_MAX)
            return "text longer than 1000 bytes";
        if (json_is_object(v) && json_string_length(json_object_get(v, "text")) > OFFICE_FACT_MAX)
            return "text longer than 1000 bytes";
        return json_is_string(v) || json_is_object(v) ? NULL
                                                      : "must be a text or an object {\"text\", "
                                                        "\"verify\"}";
    }
    return "unknown";
}

int office_check_update(const struct kb *kb, const char *code, const json_t *body,
                        json_t **normalized, const char **field, struct mc_err *err)
{
    const json_t *cur = kb_office(kb, code);
    struct first_problem p = {NULL, "", body};
    json_t *o, *out, *v;
    const char *k, *why;
    int rc = -EINVAL;

    *normalized = NULL;
    *field = "office";
    if (!kb_unit(kb, code))
        return -ENOENT;
    if (!json_is_object(body) || json_object_size(body) == 0) {
        mc_err_set(err, "send an object of office fields, e.g. {\"phone\": \"024 3823 0000\"}");
        return -EINVAL;
    }
    json_object_foreach((json_t *)(uintptr_t)body, k, v)
    {
        if ((why = type_problem(k, v))) {
            *field = k;
            mc_err_set(err, "%s: %s", k, why);
            return -EINVAL;
        }
    }
    o = cur ? json_deep_copy(cur) : office_base(kb, code);
    out = json_object();
    if (!o || !out) {
        rc = -ENOMEM;
        goto out;
    }
    json_object_foreach((json_t *)(uintptr_t)body, k, v)
    {
        json_t *n = normalize(cur ? cur : o, k, v);

        if (!n || json_object_set_new(out, k, n)) {
            rc = -ENOMEM;
            goto out;
        }
    }
    if (put_fields(o, out)) {
        rc = -ENOMEM;
        goto out;
    }
    if (kb_office_check(o, first_report, &p)) {
        *field = p.field;
        mc_err_set(err, "%s", p.text);
        goto out;
    }
    *normalized = out;
    out = NULL;
    rc = 0;
out:
    json_decref(o);
    json_decref(out);
    return rc;
}

/* ---- the layer ----------------------------------------------------------- */

struct build {
    json_t *by_code; /* code -> {field: value} */
    char home[KB_LOCAL_CODE_MAX];
    struct kb_local *l;
    const char *commune; /* the home's name, for the notes' sentence */
};

static int collect_office(void *ctx, const struct store_local_row *row)
{
    struct build *b = ctx;
    json_t *fields = json_object_get(b->by_code, row->key), *v;

    v = json_loads(row->value, JSON_DECODE_ANY, NULL);
    if (!v || kind_of(row->field) == K_NONE) {
        mc_log(MC_LOG_WARN, "office.bad_row", "code=%s field=%s", row->key, row->field);
        json_decref(v);
        return 0; /* one damaged row never takes the commune's other data down */
    }
    if (!fields) {
        fields = json_object();
        if (!fields || json_object_set_new(b->by_code, row->key, fields)) {
            json_decref(v);
            return -ENOMEM;
        }
    }
    if (!b->home[0]) /* rows come oldest first: the first office set up is home */
        snprintf(b->home, sizeof(b->home), "%s", row->key);
    return json_object_set_new(fields, row->field, v) ? -ENOMEM : 0;
}

static int collect_note(void *ctx, const struct store_local_row *row)
{
    struct build *b = ctx;
    char date[16], *s;
    size_t n;
    int rc;

    local_date(row->ts, date);
    n = strlen(b->commune) + strlen(row->value) + 64;
    s = malloc(n);
    if (!s)
        return -ENOMEM;
    snprintf(s, n, "Theo thông báo của %s ngày %s: %s", b->commune, date, row->value);
    rc = kb_local_put_note(b->l, row->key, row->field, s);
    free(s);
    return rc;
}

struct kb_local *office_build(struct kb *kb, struct store *st, const char *configured,
                              struct mc_err *err)
{
    struct build b;
    const char *code, *name;
    json_t *fields;
    int64_t rev;
    int rc;

    memset(&b, 0, sizeof(b));
    if (store_local_rev(st, &rev)) {
        mc_err_set(err, "state database: cannot read the office revision");
        return NULL;
    }
    b.l = kb_local_new(rev);
    b.by_code = json_object();
    if (!b.l || !b.by_code)
        goto nomem;
    rc = store_office_each(st, collect_office, &b);
    if (rc == -ENOMEM)
        goto nomem;
    if (rc) {
        mc_err_set(err, "state database: cannot read the office data");
        goto fail;
    }
    json_object_foreach(b.by_code, code, fields)
    {
        json_t *o = office_base(kb, code);

        if (!o) {
            mc_log(MC_LOG_WARN, "office.unknown_unit", "code=%s", code);
            continue;
        }
        if (put_fields(o, fields) || kb_local_put_office(b.l, code, o))
            goto nomem;
    }
    kb_local_set_home(b.l, configured && configured[0] ? configured : b.home);
    code = configured && configured[0] ? configured : b.home;
    name = NULL;
    if (code[0]) {
        json_t *f = json_object_get(b.by_code, code);
        const json_t *o = kb_office_shipped(kb, code);

        name = json_string_value(json_object_get(f, "display_name"));
        if (!name)
            name = json_string_value(json_object_get(o, "display_name"));
        if (!name)
            name = json_string_value(json_object_get(kb_unit(kb, code), "name"));
    }
    b.commune = name ? name : "xã";
    rc = store_guide_local_each(st, collect_note, &b);
    if (rc == -ENOMEM)
        goto nomem;
    if (rc) {
        mc_err_set(err, "state database: cannot read the local notes");
        goto fail;
    }
    json_decref(b.by_code);
    return b.l;
nomem:
    mc_err_set(err, "office data: out of memory");
fail:
    json_decref(b.by_code);
    kb_local_free(b.l);
    return NULL;
}

int office_apply(struct gw *gw)
{
    struct mc_err err = {{0}};
    struct kb_local *l;

    if (!gw->kb || !gw->store)
        return 0;
    l = office_build(gw->kb, gw->store, gw->cfg->locality_default, &err);
    if (!l) {
        mc_log(MC_LOG_ERROR, "office.apply", "error=\"%s\" kept=previous", err.text);
        return -EIO;
    }
    kb_set_local(gw->kb, l);
    mc_log(MC_LOG_INFO, "office.apply", "rev=%lld pid=%d", (long long)kb_local_rev(gw->kb),
           (int)getpid()); /* which worker serves which revision */
    return 0;
}

void office_poll(struct gw *gw)
{
    int64_t rev;

    if (!gw->kb || !gw->store || store_local_rev(gw->store, &rev))
        return;
    if (rev != kb_local_rev(gw->kb) && office_apply(gw))
        mc_log(MC_LOG_WARN, "office.poll", "result=failed");
}
