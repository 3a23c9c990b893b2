/* gateway/conv/conv_place.c - see conv_place.h. */
#include "conv_place.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fold_words.h"
#include "kb.h"
#include "kb_hours.h"
#include "kb_units.h"
#include "places.h"

/* One candidate in the shape kb_units_search() gives (the API's), so the
 * conversation has one representation of a unit. */
static json_t *candidate_json(const struct places_candidate *c)
{
    json_t *u = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[],s:b}", "code", c->code, "name", c->name,
                          "province", c->province, "province_code", c->province_code, "match",
                          c->former_code ? "former" : "current", "former", "whole", c->whole);
    json_t *f;

    if (!u || !c->former_code)
        return u;
    f = json_pack("{s:s,s:s,s:s,s:s,s:b}", "code", c->former_code, "name",
                  c->former_name ? c->former_name : "", "district",
                  c->former_district ? c->former_district : "", "province",
                  c->former_province ? c->former_province : "", "whole", c->whole);
    if (!f || json_array_append_new(json_object_get(u, "former"), f) != 0) {
        json_decref(u);
        return NULL;
    }
    return u;
}

int conv_place_find(const struct kb *kb, const char *text, size_t len, unsigned flags,
                    struct places_result *r, json_t **units)
{
    json_t *arr;
    size_t i;
    int rc;

    *units = NULL;
    rc = places_find_opt(kb_places(kb), text, len, flags, r);
    if (rc)
        return rc;
    arr = json_array();
    if (!arr)
        return -ENOMEM;
    for (i = 0; i < r->n; i++) {
        json_t *u = candidate_json(&r->cand[i]);

        if (!u || json_array_append_new(arr, u) != 0) {
            json_decref(arr);
            return -ENOMEM;
        }
    }
    *units = arr;
    return 0;
}

static const char *fact_text(const json_t *office, const char *key)
{
    return json_string_value(json_object_get(json_object_get(office, key), "text"));
}

static bool fact_verify(const json_t *office, const char *key)
{
    return json_is_true(json_object_get(json_object_get(office, key), "verify"));
}

/* " (nghỉ các ngày 24/12/2026, 01/01/2027)" for the holidays from today on,
 * at most CONV_PLACE_HOLIDAYS of them (they were checked at import or in the
 * console: a date that does not parse is skipped). */
static int say_holidays(const json_t *list, struct mc_buf *b)
{
    int32_t today = (int32_t)(((int64_t)time(NULL) + KB_HOURS_TZ_OFFSET_S) / 86400);
    const json_t *x;
    size_t i, n = 0;
    int rc = 0;

    json_array_foreach(list, i, x)
    {
        const char *d = json_string_value(x);

        if (kb_hours_day(d) < today || n >= CONV_PLACE_HOLIDAYS)
            continue;
        rc = mc_buf_printf(b, "%s%.2s/%.2s/%.4s", n ? ", " : " (nghỉ các ngày ", d + 8, d + 5, d);
        if (rc)
            return rc;
        n++;
    }
    return n ? mc_buf_puts(b, ")") : 0;
}

/* ": quầy số 1 — Hộ tịch, chứng thực; quầy số 2 — Đất đai" (checked at
 * import or in the console: kb_office_check), or nothing. */
static int say_counters(const json_t *list, struct mc_buf *b)
{
    const json_t *c;
    size_t i;
    int rc = mc_buf_puts(b, ""); /* "" rather than NULL when there are none */

    json_array_foreach(list, i, c)
    {
        const char *no = json_string_value(json_object_get(c, "number"));
        const char *name = json_string_value(json_object_get(c, "name"));

        if (!no || !name)
            continue;
        rc = mc_buf_printf(b, "%squầy số %s — %s", b->len ? "; " : ": ", no, name);
        if (rc)
            return rc;
    }
    return rc;
}

const char *conv_place_counter(const json_t *office, const char *domain, char *out, size_t cap)
{
    const json_t *c, *d;
    size_t i, k;

    if (!domain)
        return NULL;
    json_array_foreach(json_object_get(office, "counters"), i, c)
    {
        json_array_foreach(json_object_get(c, "domains"), k, d)
        {
            int n;

            if (!json_is_string(d) || strcmp(json_string_value(d), domain) != 0)
                continue;
            n = snprintf(out, cap, "quầy số %s (%s)",
                         json_string_value(json_object_get(c, "number")),
                         json_string_value(json_object_get(c, "name")));
            return n > 0 && (size_t)n < cap ? out : NULL;
        }
    }
    return NULL;
}

int conv_place_facts_init(struct conv_place_facts *f, const json_t *office, const json_t *unit)
{
    const char *s;
    int rc = 0;

    memset(f, 0, sizeof(*f));
    mc_buf_init(&f->address, CONV_PLACE_FACT_MAX);
    mc_buf_init(&f->hours, CONV_PLACE_FACT_MAX);
    mc_buf_init(&f->phone, CONV_PLACE_FACT_MAX);
    mc_buf_init(&f->counters, CONV_PLACE_FACT_MAX);
    f->commune = json_string_value(json_object_get(unit, "name"));
    if (!f->commune)
        f->commune = "xã/phường nơi bạn ở";
    f->province = json_string_value(json_object_get(unit, "province"));
    if (!f->province)
        f->province = "tỉnh/thành phố";
    s = fact_text(office, "hotline");
    f->hotline = s && s[0] ? s : CONV_PLACE_HOTLINE;
    s = json_string_value(json_object_get(office, "portal_url"));
    f->portal_url = s && s[0] ? s : CONV_PLACE_PORTAL;
    if (!office)
        return 0;
    f->office_name = json_string_value(json_object_get(office, "office_name"));
    s = fact_text(office, "address");
    rc = mc_buf_puts(&f->address, s ? s : "chưa có địa chỉ đã xác minh");
    if (!rc && s && fact_verify(office, "address"))
        rc = mc_buf_puts(&f->address, " (địa chỉ đang chờ xác minh, nên gọi trước)");
    s = fact_text(office, "hours");
    if (!rc)
        rc = mc_buf_puts(&f->hours, s ? s : "chưa có giờ làm việc đã xác minh");
    if (!rc && s && fact_verify(office, "hours"))
        rc = mc_buf_puts(&f->hours, " (giờ làm việc đang chờ xác minh)");
    if (!rc && s)
        rc = say_holidays(json_object_get(json_object_get(office, "hours"), "holidays"), &f->hours);
    s = json_string_value(json_object_get(office, "map_url"));
    f->map_url = s && s[0] ? s : NULL;
    s = fact_text(office, "phone");
    if (!rc && s && s[0])
        rc = mc_buf_printf(&f->phone, "%s%s", s,
                           fact_verify(office, "phone") ? " (số đang chờ xác minh)" : "");
    else if (!rc) /* never invent a number: the hotline answers until the centre's is known */
        rc = mc_buf_printf(&f->phone, "tổng đài %s (trung tâm chưa có số điện thoại đã xác minh)",
                           f->hotline);
    if (!rc)
        rc = say_counters(json_object_get(office, "counters"), &f->counters);
    return rc;
}

void conv_place_facts_fini(struct conv_place_facts *f)
{
    mc_buf_fini(&f->address);
    mc_buf_fini(&f->hours);
    mc_buf_fini(&f->phone);
    mc_buf_fini(&f->counters);
}

size_t conv_place_vars(const struct conv_place_facts *f, struct conv_text_var vars[CONV_PLACE_VARS])
{
    vars[0] = (struct conv_text_var){"office_name", f->office_name};
    vars[1] = (struct conv_text_var){"address", f->address.data};
    vars[2] = (struct conv_text_var){"hours", f->hours.data};
    vars[3] = (struct conv_text_var){"phone", f->phone.data};
    vars[4] = (struct conv_text_var){"hotline", f->hotline};
    vars[5] = (struct conv_text_var){"portal_url", f->portal_url};
    vars[6] = (struct conv_text_var){"commune", f->commune};
    vars[7] = (struct conv_text_var){"province", f->province};
    vars[8] = (struct conv_text_var){"counters", f->counters.data ? f->counters.data : ""};
    return CONV_PLACE_VARS;
}

int conv_place_office_text(const struct conv_place_facts *f, struct mc_buf *b)
{
    if (!f->office_name)
        return -ENOENT;
    int rc =
        mc_buf_printf(b, "Ở %s, bạn đến %s:\n• Địa chỉ: %s\n• Giờ làm việc: %s\n• Điện thoại: %s",
                      f->commune, f->office_name, f->address.data ? f->address.data : "",
                      f->hours.data ? f->hours.data : "", f->phone.data ? f->phone.data : "");

    if (!rc && f->map_url)
        rc = mc_buf_printf(b, "\n• Bản đồ: %s", f->map_url);
    return rc;
}

int conv_place_here_text(const struct conv_place_facts *f, const char *counter, struct mc_buf *b)
{
    if (!f->office_name)
        return -ENOENT;
    return mc_buf_printf(b,
                         "Bạn đang ở %s: bạn nộp hồ sơ ngay tại đây, %s%s.\n• Giờ làm việc: "
                         "%s\n• Điện thoại: %s",
                         f->office_name, counter ? "tại " : "ở quầy tiếp nhận",
                         counter ? counter : (f->counters.len ? f->counters.data : ""),
                         f->hours.data ? f->hours.data : "", f->phone.data ? f->phone.data : "");
}
