/* gateway/conv/conv_meta.c - answers that come from no procedure's guide:
 * the meta answers of data/meta/ (greeting, thanks, office hours, where to
 * submit in general, an officer) with the place's facts filled in, the
 * clarification among candidates, and "not understood". See conv_turn.h. */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "cfg.h"
#include "conv_out.h"
#include "conv_place.h"
#include "conv_text.h"
#include "conv_turn.h"
#include "intent.h"
#include "kb.h"
#include "kb_portal.h"
#include "kb_referral.h"
#include "kb_local.h"
#include "mc_buf.h"

#define CONV_POPULAR_MAX 4 /* example procedures offered after a greeting */

/* Offered after a greeting or when we could not help: the most asked, with
 * titles short enough for every channel. */
static const struct {
    const char *id, *title;
} popular[] = {
    {"khai-sinh", "Khai sinh"},
    {"tam-tru", "Tạm trú"},
    {"can-cuoc", "Căn cước"},
    {"ket-hon", "Kết hôn"},
};

size_t conv_popular_ids(const char *ids[], size_t max)
{
    size_t k;

    for (k = 0; k < max && k < sizeof(popular) / sizeof(popular[0]); k++)
        ids[k] = popular[k].id;
    return k;
}

/* Short titles of meta intents for clarification buttons. */
static const struct {
    const char *id, *title;
} meta_titles[] = {
    {"gio-lam-viec", "Giờ làm việc"},     {"noi-nop-ho-so", "Nơi nộp hồ sơ"},
    {"nop-truc-tuyen", "Nộp trực tuyến"}, {"tra-cuu-ho-so", "Tra cứu hồ sơ"},
    {"gap-can-bo", "Gặp cán bộ"},
};

/* The citizen asked for a person and handoff is on (handoff.enabled): the
 * router puts the conversation in the officers' queue and says so first
 * (gateway/handoff.c); this is how to reach the office meanwhile. The meta
 * answer's own text says the bot cannot transfer, which is then untrue. */
static const char handoff_contact[] =
    "Nếu cần gấp, bạn có thể gọi {phone} trong giờ làm việc ({hours}) hoặc đến {office_name}: "
    "{address}. Phản ánh, kiến nghị về thủ tục: gọi {hotline}.";
static const char handoff_contact_generic[] =
    "Nếu cần gấp, bạn có thể đến Trung tâm phục vụ hành chính công của {commune} trong giờ hành "
    "chính, hoặc gọi tổng đài Cổng Dịch vụ công quốc gia {hotline}.";

/* For a citizen standing in the centre (turn_is_here: the kiosk): the
 * answers that would send them to it say it is here. {answer with office
 * data, generic}, by meta id ("handoff": the contact above). */
static const struct {
    const char *id, *answer, *generic;
} here_texts[] = {
    {"noi-nop-ho-so",
     "Bạn đang ở {office_name}: phần lớn thủ tục của người dân nộp ngay tại đây, ở quầy tiếp "
     "nhận{counters}. Giờ làm việc: {hours}. Một số việc do tỉnh giải quyết (thành lập doanh "
     "nghiệp, hộ chiếu, lý lịch tư pháp, trợ cấp thất nghiệp...) thì nộp ở cơ quan của {province} "
     "hoặc cơ quan chuyên ngành; cán bộ ở quầy sẽ chỉ cho bạn. Cho tôi biết thủ tục bạn cần làm để "
     "tôi chỉ đúng quầy.",
     "Bạn đang ở trung tâm phục vụ hành chính công: phần lớn thủ tục của người dân nộp ngay tại "
     "đây, ở quầy tiếp nhận. Một số việc do tỉnh giải quyết thì nộp ở cơ quan của tỉnh hoặc cơ "
     "quan chuyên ngành; cán bộ ở quầy sẽ chỉ cho bạn. Cho tôi biết thủ tục bạn cần làm."},
    {"gap-can-bo",
     "Tôi là trợ lý tự động nên không chuyển máy được. Cán bộ của {office_name} làm việc ngay tại "
     "đây: bạn hỏi ở quầy tiếp nhận{counters}, trong giờ làm việc ({hours}). Phản ánh, kiến nghị "
     "về thủ tục: gọi {hotline}.",
     "Tôi là trợ lý tự động nên không chuyển máy được. Cán bộ làm việc ngay tại đây: bạn hỏi ở "
     "quầy tiếp nhận trong giờ hành chính. Phản ánh, kiến nghị về thủ tục: gọi {hotline}."},
    {"handoff",
     "Trong lúc chờ, bạn cũng có thể hỏi trực tiếp cán bộ ở quầy tiếp nhận ngay tại "
     "đây{counters}, trong giờ làm việc ({hours}).",
     "Trong lúc chờ, bạn cũng có thể hỏi trực tiếp cán bộ ở quầy tiếp nhận ngay tại đây, trong "
     "giờ hành chính."},
};

static bool handoff_on(const struct turn *t)
{
    return t->cx->cfg && t->cx->cfg->handoff_enabled;
}

/* ---- meta answers ------------------------------------------------------- */

static int say_place_text(struct turn *t, const char *id, const char *answer, const char *generic,
                          struct mc_buf *b);

/* A meta answer (data/meta/<id>.json) with the place's facts filled in:
 * the office's own text when we have its data, else the generic one. */
static int say_meta_text(struct turn *t, const char *id, struct mc_buf *b)
{
    const struct kb_meta *meta = kb_meta(t->cx->kb, id);

    if (!meta)
        return -ENOENT;
    return say_place_text(t, id, meta->answer, meta->generic, b);
}

/* answer (with office data) or generic, with the place's facts filled in. */
static int say_place_text(struct turn *t, const char *id, const char *answer, const char *generic,
                          struct mc_buf *b)
{
    struct conv_text_var vars[CONV_PLACE_VARS];
    struct conv_place_facts f;
    const json_t *office, *unit;
    bool def;
    size_t k;
    int rc;

    for (k = 0; k < sizeof(here_texts) / sizeof(here_texts[0]); k++)
        if (strcmp(id, here_texts[k].id) == 0 && turn_is_here(t)) {
            answer = here_texts[k].answer;
            generic = here_texts[k].generic;
        }
    unit = turn_place_unit(t, &def);
    office = turn_place_office(t);
    if (strcmp(id, "chao-hoi") == 0 && !def) {
        /* the greeting introduces this deployment, not the citizen's commune */
        const char *home =
            kb_default_locality(t->cx->kb, t->cx->cfg ? t->cx->cfg->locality_default : "");

        unit = NULL;
        if (home[0]) {
            if (!t->default_unit)
                t->default_unit = kb_unit(t->cx->kb, home);
            unit = t->default_unit;
        }
        office = unit ? kb_office(t->cx->kb, turn_sget(unit, "code")) : NULL;
    }
    rc = conv_place_facts_init(&f, office, unit);
    if (!rc)
        rc = conv_text_fill(office && f.office_name ? answer : generic, vars,
                            conv_place_vars(&f, vars), b);
    conv_place_facts_fini(&f);
    return rc;
}

static void set_officer(struct turn *t)
{
    struct conv_place_facts f;
    int rc = conv_place_facts_init(&f, turn_place_office(t), NULL);

    if (!rc) {
        json_t *o = json_pack("{s:s}", "hotline", f.hotline);

        if (o && f.office_name && json_object_set_new(o, "office_name", json_string(f.office_name)))
            rc = -ENOMEM;
        conv_out_set(&t->out, "officer", o);
    }
    conv_place_facts_fini(&f);
    conv_out_fail(&t->out, rc);
}

/* Buttons for a few common procedures. */
int turn_qr_popular(struct turn *t)
{
    size_t k;

    for (k = 0; k < CONV_POPULAR_MAX && k < sizeof(popular) / sizeof(popular[0]); k++)
        if (kb_is_procedure(t->cx->kb, popular[k].id))
            conv_out_qr(&t->out, popular[k].title, "proc:%s", popular[k].id);
    return 0;
}

/* The officer answer. intro NULL: the citizen asked for one; with handoff
 * on, the reply is marked "handoff": {"state": "pending"} for the router,
 * which queues the conversation (conv/ does no I/O), and offers the way
 * back. With intro: the bot offers one after misunderstanding twice; with
 * handoff on, the "Gặp cán bộ" button accepts the offer. */
static int say_officer(struct turn *t, const char *intro)
{
    struct mc_buf b;
    int rc;

    mc_buf_init(&b, CONV_TEXT_MAX);
    if (intro)
        conv_out_text(&t->out, intro);
    if (handoff_on(t) && !intro) {
        rc = say_place_text(t, "handoff", handoff_contact, handoff_contact_generic, &b);
        conv_out_set(&t->out, "handoff", json_pack("{s:s}", "state", "pending"));
        conv_out_qr(&t->out, "Quay lại trợ lý", "handoff:cancel");
    } else if (handoff_on(t)) {
        conv_out_text(&t->out, "Bấm \"Gặp cán bộ\" để chuyển câu hỏi của bạn đến cán bộ xã/phường; "
                               "cán bộ sẽ trả lời ngay trong cuộc trò chuyện này.");
        conv_out_qr(&t->out, "Gặp cán bộ", "meta:gap-can-bo");
        rc = say_place_text(t, "handoff", handoff_contact, handoff_contact_generic, &b);
    } else {
        rc = say_meta_text(t, "gap-can-bo", &b);
    }
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    set_officer(t);
    return rc;
}

int turn_say_meta(struct turn *t, const char *id)
{
    struct mc_buf b;
    bool def;
    int rc;

    if (strcmp(id, "gap-can-bo") == 0)
        return say_officer(t, NULL);
    mc_buf_init(&b, CONV_TEXT_MAX);
    rc = say_meta_text(t, id, &b);
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    if (rc)
        return rc;
    if (strcmp(id, "noi-nop-ho-so") == 0 || strcmp(id, "gio-lam-viec") == 0) {
        const json_t *unit = turn_place_unit(t, &def);

        if (unit) {
            conv_out_set(&t->out, "locality", turn_locality_json(unit));
        } else {
            conv_out_text(&t->out, "Cho tôi biết bạn ở xã/phường nào (ví dụ \"tôi ở phường Hoàn "
                                   "Kiếm\") để tôi chỉ đúng địa chỉ và giờ làm việc.");
            if (strcmp(id, "noi-nop-ho-so") == 0)
                turn_set(t, "await", json_string("where"));
        }
    }
    if (turn_proc(t) && !turn_in_flow(t))
        turn_qr_menu(t, turn_proc(t));
    return 0;
}

/* Greetings and thanks: a short word inside a flow (the pending question is
 * asked again), else the meta answer. with_menu adds what to do next. */
static int say_social(struct turn *t, const char *meta_id, const char *in_flow, bool with_menu)
{
    struct mc_buf b;
    int rc;

    if (turn_in_flow(t)) {
        conv_out_text(&t->out, in_flow);
        t->reprompt = true;
        return 0;
    }
    mc_buf_init(&b, CONV_TEXT_MAX);
    rc = say_meta_text(t, meta_id, &b);
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    if (rc || !with_menu)
        return rc;
    if (turn_proc(t)) {
        turn_qr_menu(t, turn_proc(t));
        return 0;
    }
    return turn_qr_popular(t);
}

int turn_say_greeting(struct turn *t)
{
    return say_social(t, "chao-hoi", "Xin chào bạn!", true);
}

int turn_say_thanks(struct turn *t)
{
    return say_social(t, "cam-on", "Không có gì ạ!", false);
}

/* ---- clarification, not understood -------------------------------------- */

int turn_say_clarify(struct turn *t)
{
    const json_t *list = kb_procedures(t->cx->kb), *p;
    struct mc_buf b;
    size_t i, k, shown = 0;
    int rc;

    mc_buf_init(&b, CONV_TEXT_MAX);
    rc = mc_buf_puts(&b, "Bạn muốn hỏi về việc nào dưới đây?");
    for (i = 0; !rc && i < t->u->n_candidates; i++) {
        const char *id = t->u->candidates[i].label, *title = NULL;
        bool proc = false;

        json_array_foreach(list, k, p)
        {
            if (turn_sget(p, "id") && strcmp(turn_sget(p, "id"), id) == 0) {
                title =
                    turn_sget(p, "short_name") ? turn_sget(p, "short_name") : turn_sget(p, "name");
                proc = true;
            }
        }
        for (k = 0; !title && k < sizeof(meta_titles) / sizeof(meta_titles[0]); k++)
            if (strcmp(meta_titles[k].id, id) == 0)
                title = meta_titles[k].title;
        if (!title)
            continue; /* greetings and thanks are not worth a button */
        rc = mc_buf_printf(&b, "\n%zu. %s", ++shown, title);
        conv_out_qr(&t->out, title, "%s:%s", proc ? "proc" : "meta", id);
    }
    if (!rc && shown > 0)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    if (rc)
        return rc;
    return shown > 0 ? 0 : -ENOENT;
}

/* A procedure the portal lists that has no guide (kb_portal.h): say what it
 * is, who handles it, why there is no guide, where its portal page is, and
 * offer an officer: a neighbour's guide would mislead, "I don't understand"
 * would be untrue (issue 16). */
int turn_say_known(struct turn *t, const struct kb_portal_entry *e)
{
    struct mc_buf b;
    int rc;

    mc_buf_init(&b, CONV_TEXT_MAX);
    rc = mc_buf_printf(&b, "Bạn đang hỏi về thủ tục \"%s\" (mã %s trên Cổng Dịch vụ công quốc gia)",
                       e->name, e->code);
    if (!rc && strcmp(e->agency, "-") != 0)
        rc = mc_buf_printf(&b, ", do %s giải quyết", e->agency);
    if (!rc)
        rc = mc_buf_puts(&b, ". Tôi chưa có hướng dẫn từng bước cho thủ tục này");
    if (!rc && e->reason[0])
        rc = mc_buf_printf(&b, ": %s", e->reason);
    if (!rc)
        rc = mc_buf_printf(&b,
                           "%s Xem thành phần hồ sơ, cách nộp trên trang của thủ tục: %s — hoặc "
                           "bấm \"Gặp cán bộ\" để cán bộ xã/phường giúp bạn.",
                           e->reason[0] ? "" : ".", e->url);
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    if (rc)
        return rc;
    conv_out_set(&t->out, "known", kb_portal_entry_json(e));
    conv_out_qr(&t->out, "Gặp cán bộ", "meta:gap-can-bo");
    set_officer(t);
    return 0;
}

/* A question the commune desk does not handle, of a kind data/referrals.tsv
 * knows: say which body handles it rather than "I don't understand" (the
 * citizen knows where to go next), and offer an officer. A row nobody has
 * confirmed yet says so (issue 16: a fact without a source is not written,
 * or is written with "verify"). Not a miss: the question was understood. */
int turn_say_referral(struct turn *t, const struct kb_referral *r)
{
    conv_out_textf(&t->out,
                   "Việc này không phải thủ tục của bộ phận một cửa xã, phường nên tôi chưa có "
                   "hướng dẫn.\nNơi giải quyết: %s.\nLoại việc: %s. Căn cứ: %s.%s\nBấm \"Gặp cán "
                   "bộ\" nếu bạn cần được chỉ dẫn thêm.",
                   r->body, r->about, r->source,
                   r->verify ? "\nThông tin này chưa được cán bộ kiểm tra lại: bạn nên hỏi cán bộ "
                               "để chắc chắn."
                             : "");
    conv_out_set(&t->out, "referral", kb_referral_json(r));
    conv_out_qr(&t->out, "Gặp cán bộ", "meta:gap-can-bo");
    set_officer(t);
    return 0;
}

/* Not understood: what the bot can do and the hotline; the second time in
 * a row, an officer. Inside a flow, the flow's question comes back too. */
int turn_say_not_understood(struct turn *t)
{
    json_int_t misses = json_integer_value(json_object_get(t->st, "misses")) + 1;
    struct conv_place_facts f;
    const char *proc = turn_proc(t);
    int rc;

    t->missed = true;
    turn_set(t, "misses", json_integer(misses));
    if (turn_in_flow(t)) {
        conv_out_text(&t->out, "Xin lỗi, tôi chưa hiểu ý bạn.");
        rc = turn_reprompt(t);
        if (!rc && misses >= CONV_MISSES_OFFICER) {
            conv_out_qr(&t->out, "Gặp cán bộ", "meta:gap-can-bo");
            set_officer(t);
        }
        return rc;
    }
    if (misses >= CONV_MISSES_OFFICER) {
        rc = say_officer(t, "Xin lỗi, tôi vẫn chưa hiểu ý bạn. Bạn nên trao đổi trực tiếp với cán "
                            "bộ:");
        if (!rc && proc)
            turn_qr_menu(t, proc);
        else if (!rc)
            rc = turn_qr_popular(t);
        return rc;
    }
    rc = conv_place_facts_init(&f, turn_place_office(t), NULL);
    if (!rc)
        conv_out_textf(&t->out,
                       "Xin lỗi, tôi chưa hiểu câu này hoặc nó nằm ngoài các việc tôi hỗ trợ. Tôi "
                       "hướng dẫn các thủ tục hành chính: khai sinh, kết hôn, khai tử, tạm trú, "
                       "thường trú, căn cước, chứng thực, đất đai, xây dựng, hộ kinh doanh, bảo "
                       "hiểm, trợ cấp xã hội... Bạn có thể gọi tổng đài %s, hoặc gặp cán bộ để "
                       "được hỗ trợ trực tiếp.",
                       f.hotline);
    conv_place_facts_fini(&f);
    conv_out_qr(&t->out, "Gặp cán bộ", "meta:gap-can-bo");
    set_officer(t);
    if (!rc && proc)
        turn_qr_menu(t, proc);
    return rc;
}
