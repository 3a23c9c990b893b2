/* gateway/conv/conv_where.c - where the citizen lives: the place answers are
 * about (the citizen's locality, else the deployment's), reading a place out
 * of a message, the units offered to choose from, and "nộp ở đâu" with the
 * office of that place. See conv_turn.h. */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "conv_guide.h"
#include "conv_out.h"
#include "conv_parse.h"
#include "conv_place.h"
#include "conv_text.h"
#include "conv_turn.h"
#include "intent.h"
#include "kb.h"
#include "kb_local.h"
#include "kb_office.h"
#include "kb_units.h"
#include "mc_buf.h"
#include "places.h"

/* ---- the place in use --------------------------------------------------- */

/* The place answers are about: the citizen's, else the deployment's. */
const json_t *turn_place_unit(struct turn *t, bool *is_default)
{
    const json_t *loc = json_object_get(t->st, "locality");
    /* configured, else the office admins set up (kb_local.h) */
    const char *def =
        kb_default_locality(t->cx->kb, t->cx->cfg ? t->cx->cfg->locality_default : "");

    *is_default = false;
    if (json_is_object(loc) && turn_sget(loc, "code"))
        return loc;
    if (!def || !def[0])
        return NULL;
    if (!t->default_unit)
        t->default_unit = kb_unit(t->cx->kb, def);
    *is_default = t->default_unit != NULL;
    return t->default_unit;
}

/* The office of the place in use, or NULL: never another unit's. */
const json_t *turn_place_office(struct turn *t)
{
    bool def;
    const json_t *unit = turn_place_unit(t, &def);

    if (!t->office_loaded && unit) {
        t->office = kb_office(t->cx->kb, turn_sget(unit, "code"));
        t->office_loaded = true;
    }
    return t->office;
}

bool turn_is_here(struct turn *t)
{
    const char *home, *code;
    const json_t *unit;
    bool def;

    if (!t->cx->on_site)
        return false;
    unit = turn_place_unit(t, &def);
    if (!unit)
        return false;
    if (def)
        return true;
    home = kb_default_locality(t->cx->kb, t->cx->cfg ? t->cx->cfg->locality_default : "");
    code = turn_sget(unit, "code");
    return home && code && strcmp(home, code) == 0;
}

json_t *turn_locality_json(const json_t *unit)
{
    return json_pack("{s:s?,s:s?,s:s?}", "code", turn_sget(unit, "code"), "name",
                     turn_sget(unit, "name"), "province", turn_sget(unit, "province"));
}

/* ---- where to submit ---------------------------------------------------- */

/* The office block, or an honest generic sentence, for a procedure handled
 * at the commune's public administrative service centre; for a citizen
 * standing in it (turn_is_here), the counter of the procedure's domain. */
static int say_commune_office(struct turn *t, const json_t *g, const json_t *unit, bool is_default)
{
    struct conv_place_facts f;
    struct mc_buf b;
    char counter[2 * KB_OFFICE_NAME_MAX];
    bool here = turn_is_here(t);
    int rc;

    mc_buf_init(&b, CONV_TEXT_MAX);
    rc = conv_place_facts_init(&f, turn_place_office(t), unit);
    if (!rc && here && f.office_name)
        rc = conv_place_here_text(&f,
                                  conv_place_counter(turn_place_office(t), turn_sget(g, "domain"),
                                                     counter, sizeof(counter)),
                                  &b);
    else if (!rc && here)
        rc = mc_buf_puts(&b, "Bạn nộp hồ sơ ngay tại đây, ở quầy tiếp nhận của trung tâm; cán bộ "
                             "ở quầy sẽ hướng dẫn bạn.");
    else if (!rc && f.office_name)
        rc = conv_place_office_text(&f, &b);
    else if (!rc)
        rc = mc_buf_printf(&b,
                           "Ở %s (%s), bạn đến Trung tâm phục vụ hành chính công của %s. Tôi chưa "
                           "có địa chỉ và số điện thoại đã xác minh của trung tâm này; bạn hỏi "
                           "tại trụ sở UBND %s hoặc gọi tổng đài %s.",
                           f.commune, f.province, f.commune, f.commune, f.hotline);
    if (!rc && is_default && !here)
        rc = mc_buf_puts(&b, "\nNếu bạn ở xã/phường khác, hãy nhắn \"tôi ở phường/xã ...\".");
    if (!rc)
        conv_out_buf(&t->out, &b);
    conv_place_facts_fini(&f);
    mc_buf_fini(&b);
    return rc;
}

static bool where_is_commune_centre(const json_t *g)
{
    const json_t *w = json_object_get(g, "where");
    const char *text = json_is_object(w) ? turn_sget(w, "text") : json_string_value(w);
    const char *level = turn_sget(g, "level");

    return level && strcmp(level, "xa") == 0 && text &&
           strstr(text, "Trung tâm phục vụ hành chính công") != NULL;
}

/* "Nộp ở đâu" about procedure g: the guide's own answer, then the citizen's
 * office only when the procedure is handled at the commune centre. */
int turn_say_where(struct turn *t, const json_t *g)
{
    const char *level = turn_sget(g, "level"), *online;
    const json_t *unit;
    struct mc_buf b;
    bool def;
    int rc;

    mc_buf_init(&b, CONV_TEXT_MAX);
    rc = conv_guide_aspect(g, INTENT_ASPECT_WHERE, NULL, &b);
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    if (rc)
        return rc;
    unit = turn_place_unit(t, &def);
    if (where_is_commune_centre(g)) {
        if (unit) {
            rc = say_commune_office(t, g, unit, def);
            conv_out_set(&t->out, "locality", turn_locality_json(unit));
        } else {
            conv_out_text(&t->out, "Bạn ở xã/phường nào? Nhắn cho tôi, ví dụ \"tôi ở phường Hoàn "
                                   "Kiếm\", để tôi chỉ địa chỉ, giờ làm việc và số điện thoại.");
            turn_set(t, "await", json_string("where"));
        }
    } else if (level && strcmp(level, "xa") != 0) {
        /* handled above the commune: never send the citizen to its centre blindly */
        if (unit)
            conv_out_textf(&t->out,
                           "Thủ tục này do %s giải quyết, nên bạn nộp theo hướng dẫn trên, không "
                           "nhất thiết ở Trung tâm phục vụ hành chính công của %s.",
                           turn_sget(g, "agency") ? turn_sget(g, "agency") : "cơ quan cấp trên",
                           turn_sget(unit, "name"));
    } else if (unit) {
        conv_out_textf(&t->out,
                       "Với bạn ở %s: đó là cơ quan nêu trên của %s (tôi chưa có địa chỉ riêng "
                       "của nơi này).",
                       turn_sget(unit, "name"), turn_sget(unit, "name"));
    }
    online = turn_sget(json_object_get(g, "online"), "available");
    if (!turn_in_flow(t)) {
        if (online && strcmp(online, "none") != 0)
            conv_out_qr(&t->out, "Nộp trực tuyến", "online:%s", turn_sget(g, "id"));
        conv_out_qr(&t->out, "Giấy tờ cần chuẩn bị", "docs:%s", turn_sget(g, "id"));
        conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", turn_sget(g, "id"));
        conv_out_qr(&t->out, "Các bước thực hiện", "steps:%s", turn_sget(g, "id"));
    }
    return rc;
}

/* Answers "where" for the procedure in context, or in general. */
int turn_say_where_any(struct turn *t)
{
    const char *proc = turn_proc(t);
    const json_t *g;
    int rc;

    if (proc) {
        rc = turn_guide_get(t, proc, &g);
        if (rc != -ENOENT)
            return rc ? rc : turn_say_where(t, g);
    }
    return turn_say_meta(t, "noi-nop-ho-so");
}

/* ---- setting the place -------------------------------------------------- */

/* "Phường Ngọc Hà" -> "phường Ngọc Hà" inside a sentence. */
static const char *lower_first(const char *s, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", s ? s : "");
    if (buf[0] >= 'A' && buf[0] <= 'Z')
        buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
}

/* What to ask next once the place is known. */
void turn_offer_place_next(struct turn *t)
{
    const char *proc = turn_proc(t);

    if (t->where_done)
        return;
    if (proc)
        conv_out_qr(&t->out, "Nộp ở đâu", "where:%s", proc);
    else
        conv_out_qr(&t->out, "Nộp ở đâu", "meta:noi-nop-ho-so");
    conv_out_qr(&t->out, "Giờ làm việc", "meta:gio-lam-viec");
}

/* Makes unit the citizen's locality and says so; former is the pre-2025
 * unit that was named, or NULL. Then answers a pending "where", or offers
 * what to ask next when offer is set (a message that also asks something
 * else gets that answer's buttons instead). */
static int set_locality(struct turn *t, const json_t *unit, const json_t *former, bool offer)
{
    char low[UNITS_NAME_MAX + 8], district[UNITS_NAME_MAX + 8];
    bool where = t->await_where;
    json_t *loc = turn_locality_json(unit);

    turn_set(t, "locality", loc ? json_incref(loc) : NULL);
    conv_out_set(&t->out, "locality", loc);
    t->await_where = false;
    t->office = NULL; /* the office follows the new place */
    t->office_loaded = false;
    if (former) {
        const char *d = turn_sget(former, "district");

        if (d && d[0])
            conv_out_textf(&t->out, "%s (%s) cũ nay thuộc %s, %s. Tôi đã ghi nhận địa chỉ của bạn.",
                           turn_sget(former, "name"), lower_first(d, district, sizeof(district)),
                           lower_first(turn_sget(unit, "name"), low, sizeof(low)),
                           turn_sget(unit, "province"));
        else
            conv_out_textf(&t->out, "%s cũ nay thuộc %s, %s. Tôi đã ghi nhận địa chỉ của bạn.",
                           turn_sget(former, "name"),
                           lower_first(turn_sget(unit, "name"), low, sizeof(low)),
                           turn_sget(unit, "province"));
    } else {
        conv_out_textf(&t->out, "Tôi đã ghi nhận: bạn ở %s, %s.", turn_sget(unit, "name"),
                       turn_sget(unit, "province"));
    }
    if (where) {
        t->where_done = true;
        return turn_say_where_any(t);
    }
    if (offer)
        turn_offer_place_next(t);
    return 0;
}

int turn_choose_unit(struct turn *t, const char *code)
{
    const json_t *unit;

    if (!turn_id_ok(code) || !(unit = kb_unit(t->cx->kb, code))) {
        conv_out_text(&t->out, "Xin lỗi, tôi không tìm thấy xã/phường này. Bạn nhắn lại tên giúp "
                               "tôi, ví dụ \"tôi ở phường Hoàn Kiếm\".");
        return 0;
    }
    return set_locality(t, unit, NULL, true);
}

/* "Tân Phú, Đồng Nai": a button title that tells namesakes apart. */
static void unit_title(const json_t *u, bool with_province, char *out, size_t cap)
{
    const char *name = turn_sget(u, "name"), *prov = turn_sget(u, "province"), *sp;
    static const char *const types[] = {"Phường ", "Xã ", "Thị trấn ", "Đặc khu "};
    static const char *const ptypes[] = {"Thành phố ", "Tỉnh "};
    size_t i;

    for (i = 0; name && i < sizeof(types) / sizeof(types[0]); i++)
        if (with_province && strncmp(name, types[i], strlen(types[i])) == 0)
            name += strlen(types[i]);
    sp = prov;
    for (i = 0; sp && i < sizeof(ptypes) / sizeof(ptypes[0]); i++)
        if (strncmp(sp, ptypes[i], strlen(ptypes[i])) == 0)
            sp += strlen(ptypes[i]);
    if (with_province && sp)
        snprintf(out, cap, "%s, %s", name ? name : "", sp);
    else
        snprintf(out, cap, "%s", name ? name : "");
}

/* Lists units to choose from (a split former commune, or namesakes). */
static void offer_units(struct turn *t, const json_t *units, const json_t *former)
{
    char title[UNITS_NAME_MAX * 2], low[UNITS_NAME_MAX + 8];
    json_t *codes = json_array(), *u;
    struct mc_buf b;
    size_t i, n = json_array_size(units);
    bool provinces = false;
    int rc;

    if (!codes) {
        conv_out_fail(&t->out, -ENOMEM);
        return;
    }
    json_array_foreach(units, i, u)
    {
        if (i > 0 && !json_equal(json_object_get(u, "province"),
                                 json_object_get(json_array_get(units, 0), "province")))
            provinces = true;
    }
    mc_buf_init(&b, CONV_TEXT_MAX);
    if (former) {
        const char *d = turn_sget(former, "district");

        rc =
            mc_buf_printf(&b, "%s%s%s%s cũ nay được chia về %zu đơn vị:", turn_sget(former, "name"),
                          d && d[0] ? " (" : "", d && d[0] ? lower_first(d, low, sizeof(low)) : "",
                          d && d[0] ? ")" : "", n);
    } else {
        rc = mc_buf_printf(&b, "Tôi tìm thấy %zu xã/phường có tên này:", n);
    }
    json_array_foreach(units, i, u)
    {
        if (i >= CONV_UNITS_MAX)
            break;
        if (!rc)
            rc = mc_buf_printf(&b, "\n• %s, %s", turn_sget(u, "name"), turn_sget(u, "province"));
        unit_title(u, provinces, title, sizeof(title));
        conv_out_qr(&t->out, title, "unit:%s", turn_sget(u, "code"));
        if (json_array_append_new(codes, json_string(turn_sget(u, "code"))))
            rc = -ENOMEM;
    }
    if (!rc)
        rc = mc_buf_puts(&b, former ? "\nNhà bạn thuộc phần nào?" : "\nBạn ở đơn vị nào?");
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    conv_out_fail(&t->out, rc);
    turn_set(t, "units", codes);
    if (t->await_where) /* still waiting for the place to answer "nộp ở đâu" */
        turn_set(t, "await", json_string("where"));
}

/* ---- reading a place in a message --------------------------------------- */

/* Asks which commune, when the citizen named only a district or a province. */
static void ask_commune_in(struct turn *t, const struct places_hints *h)
{
    const char *in = h->district_name ? h->district_name : h->province_name;

    conv_out_textf(&t->out,
                   "Bạn ở xã/phường nào%s%s? Bạn nhắn tên xã/phường (tên mới hoặc tên "
                   "cũ trước 1/7/2025) giúp tôi.",
                   in ? " của " : "", in ? in : "");
    turn_set(t, "await", json_string("where"));
}

/* Reads a place anywhere in the message with every hint the citizen gave
 * (gateway/kb/places.h): one unit -> the locality is set; several -> they are
 * offered; a commune named but unknown -> said so; only a district or a
 * province -> which commune? A message that names no place leaves *res
 * TURN_PLACE_NONE. */
int turn_try_locality(struct turn *t, enum turn_place *res)
{
    const char *src = t->text ? t->text : (t->u ? t->u->normalized : "");
    struct places_result r;
    json_t *units = NULL, *first_former = NULL, *u;
    size_t i;
    int rc;

    *res = TURN_PLACE_NONE;
    rc = conv_place_find(t->cx->kb, src, strlen(src), t->await_where ? PLACES_FIND_EXPECT : 0, &r,
                         &units);
    if (rc == -E2BIG || rc == -EINVAL) /* too long to be an address; understanding decides */
        return 0;
    if (rc)
        return rc;
    if (!r.found) {
        json_decref(units);
        return 0;
    }
    t->place_span = r.statement;
    if (r.n == 0) {
        json_decref(units);
        if (!r.explicit)
            return 0;
        if (r.hints.unit.len > 0)
            conv_out_text(&t->out, "Xin lỗi, tôi chưa tìm thấy xã/phường này. Bạn kiểm tra lại "
                                   "tên giúp tôi (có thể thêm tên tỉnh, hoặc tên xã/phường và "
                                   "quận/huyện cũ).");
        else
            ask_commune_in(t, &r.hints);
        if (t->await_where)
            turn_set(t, "await", json_string("where"));
        *res = TURN_PLACE_ASKED;
        return 0;
    }
    /* one former commune behind every result: name it in the answer */
    if (r.by_former) {
        first_former = json_array_get(json_object_get(json_array_get(units, 0), "former"), 0);
        json_array_foreach(units, i, u)
        {
            const json_t *f = json_array_get(json_object_get(u, "former"), 0);

            if (!f || !first_former ||
                !json_equal(json_object_get(f, "code"), json_object_get(first_former, "code")))
                first_former = NULL;
        }
    }
    if (json_array_size(units) == 1) {
        rc = set_locality(t, json_array_get(units, 0), first_former, false);
        *res = TURN_PLACE_SET;
    } else {
        offer_units(t, units, first_former);
        *res = TURN_PLACE_ASKED;
    }
    json_decref(units);
    return rc;
}

/* A typed choice among the units we listed: "Ngọc Hà", "phường Giảng Võ", "2". */
int turn_try_unit_choice(struct turn *t, enum conv_cmd cmd, unsigned n, bool *done)
{
    const json_t *codes = t->units, *c;
    char key[UNITS_KEY_MAX], padded[FOLD_WORDS_TEXT_MAX + 2], pk[UNITS_KEY_MAX + 2];
    const char *hit = NULL;
    size_t i, hits = 0;
    int pass;

    *done = false;
    if (json_array_size(codes) == 0)
        return 0;
    if (cmd == CONV_CMD_NUMBER && n >= 1 && n <= json_array_size(codes)) {
        *done = true;
        return turn_choose_unit(t, json_string_value(json_array_get(codes, n - 1)));
    }
    snprintf(padded, sizeof(padded), " %s ", t->folded);
    /* by the unit's name ("Ngọc Hà"), else by its province: namesakes are
     * told apart by the province ("Quảng Ngãi") */
    for (pass = 0; pass < 2 && hits != 1; pass++) {
        hits = 0;
        json_array_foreach(codes, i, c)
        {
            const json_t *u = json_is_string(c) ? kb_unit(t->cx->kb, json_string_value(c)) : NULL;
            const char *name = u ? turn_sget(u, pass == 0 ? "name" : "province") : NULL;

            if (name && kb_units_key(name, key, sizeof(key)) == 0 && key[0]) {
                snprintf(pk, sizeof(pk), " %s ", key);
                if (strstr(padded, pk)) {
                    hit = json_string_value(c);
                    hits++;
                }
            }
        }
    }
    if (hits != 1)
        return 0;
    *done = true;
    return turn_choose_unit(t, hit);
}

/* "tôi ở xã X huyện Y cũ thì đến đâu làm": the place is set; what is left of
 * the message is understood again without the place's words (names such as
 * "Tân Phú" or "Bình Tân" must not pass for a procedure), and answered when
 * it asks anything; otherwise the citizen is offered what to ask next. */
int turn_after_place(struct turn *t)
{
    const char *src = t->text ? t->text : t->u->normalized;
    size_t len = strlen(src), a = t->place_span.start, b = a + t->place_span.len;
    const struct intent_result *whole = t->u;
    const char *whole_ufolded = t->ufolded;
    struct intent_result *r = NULL;
    char *rest = NULL, saved[FOLD_WORDS_TEXT_MAX];
    bool asks;
    int rc = 0;

    if (!t->cx->index || b > len || b <= a)
        return turn_follow_understanding(t, TURN_PLACE_SET);
    rest = malloc(len + 2);
    r = malloc(sizeof(*r));
    if (!rest || !r) {
        rc = -ENOMEM;
        goto out;
    }
    memcpy(rest, src, a);
    rest[a] = ' ';
    memcpy(rest + a + 1, src + b, len - b + 1);
    if (intent_match(t->cx->index, rest, strlen(rest), r) != 0) {
        rc = turn_follow_understanding(t, TURN_PLACE_SET);
        goto out;
    }
    /* the rest asks something: a question aspect, or a label understanding
     * matches or hesitates over ("thì đến đâu làm" hesitates over "where to
     * submit"); greetings and thanks around an address ask nothing */
    asks = r->aspects != 0 || (r->decision != INTENT_NONE && !turn_is_label(r, "chao-hoi") &&
                               !turn_is_label(r, "cam-on"));
    if (t->where_done && !(r->aspects & ~(unsigned)INTENT_ASPECT_WHERE))
        asks = false; /* the pending "nộp ở đâu" was just answered with the place */
    if (!asks) {
        turn_offer_place_next(t);
        goto out;
    }
    memcpy(saved, t->folded, sizeof(saved));
    if (fold_words_text(rest, t->folded, sizeof(t->folded)) == -EINVAL)
        t->folded[0] = '\0';
    turn_folded_changed(t);
    t->u = r;
    t->ufolded = r->folded;
    rc = turn_follow_understanding(t, TURN_PLACE_SET);
    t->u = whole;
    t->ufolded = whole_ufolded;
    memcpy(t->folded, saved, sizeof(saved));
    turn_folded_changed(t);
out:
    free(r);
    free(rest);
    return rc;
}
