/* gateway/conv.c - see conv.h and docs/conversation.md.
 *
 * One turn: payloads are explicit and handled directly. Typed text is read
 * in this order, because understanding is trained on procedures and knows
 * nothing of the conversation: a choice among communes we just listed, a
 * command or answer that the active flow expects ("tiếp", "chưa có"), a
 * statement of where the citizen lives, and only then the understanding's
 * label, with follow-up aspects ("lệ phí bao nhiêu") answered about the
 * procedure in context even when the label is weak. An aside inside a flow
 * (thanks, a fee question) is answered and the flow's question repeated. */
#include "conv.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "conv_check.h"
#include "conv_guide.h"
#include "conv_out.h"
#include "conv_parse.h"
#include "conv_place.h"
#include "conv_text.h"
#include "intent.h"
#include "kb.h"
#include "kb_units.h"

#define CONV_ID_MAX 64            /* bytes of a catalogue id or unit code in a payload */
#define CONV_TEXT_MAX (16 * 1024) /* bytes of one composed message */
#define CONV_POPULAR_MAX 4        /* example procedures offered after a greeting */

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

/* Short titles of meta intents for clarification buttons. */
static const struct {
    const char *id, *title;
} meta_titles[] = {
    {"gio-lam-viec", "Giờ làm việc"},     {"noi-nop-ho-so", "Nơi nộp hồ sơ"},
    {"nop-truc-tuyen", "Nộp trực tuyến"}, {"tra-cuu-ho-so", "Tra cứu hồ sơ"},
    {"gap-can-bo", "Gặp cán bộ"},
};

struct turn {
    const struct conv_ctx *cx;
    json_t *st;                      /* working copy of the state; replaces it on success */
    const struct intent_result *u;   /* NULL for a payload */
    const char *text;                /* typed text, or NULL */
    const char *ufolded;             /* understanding's folded view, or "" */
    char folded[CONV_TEXT_FOLD_MAX]; /* our fold of the typed text (keeps "y", place names) */
    struct conv_out out;
    json_t *guide; /* owned: the last guide loaded */
    char guide_id[CONV_ID_MAX];
    json_t *default_unit; /* owned: the deployment's unit, when looked up */
    json_t *office;       /* owned: office of the place in use, when looked up */
    bool office_loaded;
    json_t *units;    /* owned: communes offered last turn (a choice is valid for one turn) */
    bool await_where; /* last turn asked where the citizen lives to answer "nộp ở đâu" */
    bool where_done;  /* "nộp ở đâu" was answered this turn */
    bool missed;      /* not understood: counts towards the officer offer */
    bool reprompt;    /* an aside inside a flow: repeat the flow's question */
};

/* ---- state ------------------------------------------------------------- */

static const char *sget(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static const char *st_proc(const struct turn *t)
{
    return sget(t->st, "procedure");
}

static bool st_flow_is(const struct turn *t, const char *flow)
{
    const char *f = sget(t->st, "flow");

    return f && strcmp(f, flow) == 0;
}

static bool st_in_flow(const struct turn *t)
{
    return sget(t->st, "flow") != NULL;
}

static void st_set(struct turn *t, const char *key, json_t *v)
{
    if (!v || json_object_set_new(t->st, key, v))
        conv_out_fail(&t->out, -ENOMEM);
}

static void end_flow(struct turn *t)
{
    json_object_del(t->st, "flow");
    json_object_del(t->st, "step");
    json_object_del(t->st, "check");
}

/* The conversation is about id from now on; a flow about another procedure ends. */
static void set_procedure(struct turn *t, const char *id)
{
    const char *cur = st_proc(t);

    if (cur && strcmp(cur, id) == 0)
        return;
    end_flow(t);
    json_object_del(t->st, "await");
    st_set(t, "procedure", json_string(id));
}

/* Brings a state from an older or damaged shape to CONV_STATE_VERSION. */
static void state_normalise(struct turn *t)
{
    json_t *v = json_object_get(t->st, "v");
    const char *proc = st_proc(t);

    if (json_is_integer(v) && json_integer_value(v) == CONV_STATE_VERSION)
        return;
    if (!v && proc) { /* the first, minimal conversation kept only the procedure */
        json_t *keep = json_string(proc);

        json_object_clear(t->st);
        st_set(t, "procedure", keep);
    } else {
        json_object_clear(t->st);
    }
    st_set(t, "v", json_integer(CONV_STATE_VERSION));
}

/* ---- knowledge --------------------------------------------------------- */

static bool id_ok(const char *id)
{
    size_t n = strlen(id);

    return n > 0 && n < CONV_ID_MAX;
}

/* The guide of id, cached for the turn (borrowed until the next load).
 * Returns 0, -ENOENT for an unknown id, or -EIO/-ENOMEM. */
static int guide_get(struct turn *t, const char *id, json_t **g)
{
    char *body = NULL;
    int rc;

    if (!id_ok(id))
        return -ENOENT;
    if (t->guide && strcmp(t->guide_id, id) == 0) {
        *g = t->guide;
        return 0;
    }
    rc = kb_get_procedure_json(t->cx->kb, id, &body);
    if (rc)
        return rc;
    json_decref(t->guide);
    t->guide = json_loads(body, 0, NULL);
    free(body);
    if (!t->guide)
        return -EIO;
    snprintf(t->guide_id, sizeof(t->guide_id), "%s", id);
    *g = t->guide;
    return 0;
}

/* The place answers are about: the citizen's, else the deployment's. */
static const json_t *place_unit(struct turn *t, bool *is_default)
{
    const json_t *loc = json_object_get(t->st, "locality");
    const char *def = t->cx->cfg ? t->cx->cfg->locality_default : "";

    *is_default = false;
    if (json_is_object(loc) && sget(loc, "code"))
        return loc;
    if (!def || !def[0])
        return NULL;
    if (!t->default_unit)
        t->default_unit = kb_units_get(t->cx->kb, def);
    *is_default = t->default_unit != NULL;
    return t->default_unit;
}

/* The office of the place in use, or NULL: never another unit's. */
static const json_t *place_office(struct turn *t)
{
    bool def;
    const json_t *unit = place_unit(t, &def);

    if (!t->office_loaded && unit) {
        t->office = kb_units_office(t->cx->kb, sget(unit, "code"));
        t->office_loaded = true;
    }
    return t->office;
}

static json_t *locality_json(const json_t *unit)
{
    return json_pack("{s:s?,s:s?,s:s?}", "code", sget(unit, "code"), "name", sget(unit, "name"),
                     "province", sget(unit, "province"));
}

/* A meta answer (data/meta/<id>.json) with the place's facts filled in:
 * the office's own text when we have its data, else the generic one. */
static int say_meta_text(struct turn *t, const char *id, struct mc_buf *b)
{
    struct conv_text_var vars[CONV_PLACE_VARS];
    struct conv_place_facts f;
    char *answer = NULL, *generic = NULL;
    const json_t *office, *unit;
    json_t *own_office = NULL;
    bool def;
    int rc;

    rc = kb_get_meta_answer(t->cx->kb, id, &answer, &generic);
    if (rc)
        return rc;
    unit = place_unit(t, &def);
    office = place_office(t);
    if (strcmp(id, "chao-hoi") == 0 && !def) {
        /* the greeting introduces this deployment, not the citizen's commune */
        unit = NULL;
        if (t->cx->cfg && t->cx->cfg->locality_default[0]) {
            if (!t->default_unit)
                t->default_unit = kb_units_get(t->cx->kb, t->cx->cfg->locality_default);
            unit = t->default_unit;
        }
        own_office = unit ? kb_units_office(t->cx->kb, sget(unit, "code")) : NULL;
        office = own_office;
    }
    rc = conv_place_facts_init(&f, office, unit);
    if (!rc)
        rc = conv_text_fill(office && f.office_name ? answer : generic, vars,
                            conv_place_vars(&f, vars), b);
    conv_place_facts_fini(&f);
    json_decref(own_office);
    free(answer);
    free(generic);
    return rc;
}

static void set_officer(struct turn *t)
{
    struct conv_place_facts f;
    int rc = conv_place_facts_init(&f, place_office(t), NULL);

    if (!rc) {
        json_t *o = json_pack("{s:s}", "hotline", f.hotline);

        if (o && f.office_name && json_object_set_new(o, "office_name", json_string(f.office_name)))
            rc = -ENOMEM;
        conv_out_set(&t->out, "officer", o);
    }
    conv_place_facts_fini(&f);
    conv_out_fail(&t->out, rc);
}

/* ---- quick replies ------------------------------------------------------ */

static void qr_menu(struct turn *t, const char *id)
{
    conv_out_qr(&t->out, "Giấy tờ cần chuẩn bị", "docs:%s", id);
    conv_out_qr(&t->out, "Các bước thực hiện", "steps:%s", id);
    conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", id);
    conv_out_qr(&t->out, "Nộp ở đâu", "where:%s", id);
    conv_out_qr(&t->out, "Nộp trực tuyến", "online:%s", id);
}

/* Buttons for a few common procedures. */
static int qr_popular(struct turn *t)
{
    size_t k;

    for (k = 0; k < CONV_POPULAR_MAX && k < sizeof(popular) / sizeof(popular[0]); k++)
        if (kb_is_procedure(t->cx->kb, popular[k].id))
            conv_out_qr(&t->out, popular[k].title, "proc:%s", popular[k].id);
    return 0;
}

/* ---- procedure views ---------------------------------------------------- */

/* Writes one view of guide g (summary, documents, all steps) as a message. */
static int say_guide_text(struct turn *t, const json_t *g,
                          int (*view)(const json_t *, struct mc_buf *))
{
    struct mc_buf b;
    int rc;

    mc_buf_init(&b, CONV_TEXT_MAX);
    rc = view(g, &b);
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    return rc;
}

static int say_card(struct turn *t, const json_t *g)
{
    int rc = say_guide_text(t, g, conv_guide_summary);

    conv_out_set(&t->out, "card", conv_guide_card(g));
    qr_menu(t, sget(g, "id"));
    return rc;
}

static int say_documents(struct turn *t, const json_t *g)
{
    const char *id = sget(g, "id");
    int rc = say_guide_text(t, g, conv_guide_documents);

    if (!st_in_flow(t)) {
        conv_out_text(&t->out, "Chọn \"Kiểm tra hồ sơ\" để tôi cùng bạn rà từng giấy tờ.");
        conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", id);
        conv_out_qr(&t->out, "Các bước thực hiện", "steps:%s", id);
        conv_out_qr(&t->out, "Nộp ở đâu", "where:%s", id);
        conv_out_qr(&t->out, "Nộp trực tuyến", "online:%s", id);
    }
    return rc;
}

/* Shows step n (clamped to the guide) and makes stepping the active flow. */
static int say_step(struct turn *t, const json_t *g, size_t n, const char *note)
{
    const char *id = sget(g, "id");
    size_t total = conv_guide_step_count(g);
    struct mc_buf b;
    int rc;

    if (total == 0)
        return -ENOENT;
    if (n < 1)
        n = 1;
    if (n > total)
        n = total;
    end_flow(t);
    st_set(t, "flow", json_string("steps"));
    st_set(t, "step", json_integer((json_int_t)n));
    mc_buf_init(&b, CONV_TEXT_MAX);
    if (note)
        conv_out_text(&t->out, note);
    rc = conv_guide_step(g, n, &b);
    if (!rc && n == total)
        rc = mc_buf_puts(&b, "\nĐây là bước cuối cùng.");
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    conv_out_set(&t->out, "step",
                 json_pack("{s:I,s:I,s:s}", "n", (json_int_t)n, "total", (json_int_t)total, "text",
                           conv_guide_step_text(g, n)));
    if (n < total)
        conv_out_qr(&t->out, "Bước tiếp", "next");
    if (n > 1)
        conv_out_qr(&t->out, "Quay lại", "prev");
    conv_out_qr(&t->out, "Xem tất cả", "all:%s", id);
    if (n == total) {
        conv_out_qr(&t->out, "Giấy tờ cần chuẩn bị", "docs:%s", id);
        conv_out_qr(&t->out, "Nộp ở đâu", "where:%s", id);
    }
    conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", id);
    if (n < total)
        conv_out_qr(&t->out, "Hủy", "cancel");
    return rc;
}

static int say_steps_all(struct turn *t, const json_t *g)
{
    const char *id = sget(g, "id");
    int rc = say_guide_text(t, g, conv_guide_steps);
    /* stepping stays the flow, so "quay lại" or "bước 3" still mean steps */
    if (!st_flow_is(t, "steps")) {
        end_flow(t);
        st_set(t, "flow", json_string("steps"));
        st_set(t, "step", json_integer(1));
    }
    conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", id);
    conv_out_qr(&t->out, "Giấy tờ cần chuẩn bị", "docs:%s", id);
    conv_out_qr(&t->out, "Nộp ở đâu", "where:%s", id);
    conv_out_qr(&t->out, "Nộp trực tuyến", "online:%s", id);
    return rc;
}

/* ---- pre-check ------------------------------------------------------------ */

static int finish_check(struct turn *t, const json_t *g)
{
    struct mc_buf parts[CONV_GUIDE_CHECKLIST_PARTS];
    json_t *statuses = json_object(), *list = NULL;
    const char *id = sget(g, "id");
    struct conv_question q;
    size_t i;
    int rc;

    if (!statuses)
        return -ENOMEM;
    rc = conv_check_walk(g, json_object_get(t->st, "check"), &q, statuses);
    if (rc < 0) {
        json_decref(statuses);
        return rc;
    }
    end_flow(t);
    st_set(t, "checklist", json_pack("{s:s,s:O}", "procedure", id, "items", statuses));
    list = conv_check_list(g, statuses);
    json_decref(statuses);
    if (!list)
        return -ENOMEM;
    for (i = 0; i < CONV_GUIDE_CHECKLIST_PARTS; i++)
        mc_buf_init(&parts[i], CONV_TEXT_MAX);
    rc = conv_guide_checklist(list, parts);
    for (i = 0; !rc && i < CONV_GUIDE_CHECKLIST_PARTS; i++)
        conv_out_buf(&t->out, &parts[i]);
    for (i = 0; i < CONV_GUIDE_CHECKLIST_PARTS; i++)
        mc_buf_fini(&parts[i]);
    conv_out_set(&t->out, "checklist", list);
    conv_out_qr(&t->out, "Nộp ở đâu", "where:%s", id);
    conv_out_qr(&t->out, "Nộp trực tuyến", "online:%s", id);
    conv_out_qr(&t->out, "Các bước thực hiện", "steps:%s", id);
    conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", id);
    return rc;
}

/* Asks the pending question (after an optional lead-in), or ends the
 * pre-check with the checklist when nothing is pending. */
static int ask_question(struct turn *t, const json_t *g, const char *lead)
{
    struct conv_question q;
    struct mc_buf b;
    int rc = conv_check_walk(g, json_object_get(t->st, "check"), &q, NULL);

    if (rc < 0)
        return rc;
    if (rc == 0)
        return finish_check(t, g);
    mc_buf_init(&b, CONV_TEXT_MAX);
    rc = lead ? mc_buf_printf(&b, "%s ", lead) : 0;
    if (!rc)
        rc = conv_guide_question(&q, &b);
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    conv_out_set(&t->out, "question",
                 json_pack("{s:s,s:s?,s:I,s:I}", "kind",
                           q.kind == CONV_Q_CONDITION ? "condition" : "document", "doc",
                           sget(q.doc, "id"), "n", (json_int_t)q.n, "total", (json_int_t)q.total));
    conv_out_qr(&t->out, "Có", "ans:yes");
    conv_out_qr(&t->out, q.kind == CONV_Q_CONDITION ? "Không" : "Chưa có", "ans:no");
    conv_out_qr(&t->out, "Không rõ", "ans:unknown");
    if (json_array_size(json_object_get(json_object_get(t->st, "check"), "log")) > 0)
        conv_out_qr(&t->out, "Quay lại", "prev");
    conv_out_qr(&t->out, "Hủy", "cancel");
    return rc;
}

static int start_check(struct turn *t, const json_t *g)
{
    char lead[256];

    end_flow(t);
    st_set(t, "flow", json_string("check"));
    st_set(t, "check", conv_check_new());
    snprintf(lead, sizeof(lead),
             "Mình cùng kiểm tra hồ sơ %s nhé. Tôi hỏi lần lượt từng giấy tờ; bạn trả lời Có, "
             "Chưa có hoặc Không rõ.",
             sget(g, "name") ? sget(g, "name") : "");
    conv_out_text(&t->out, lead);
    return ask_question(t, g, NULL);
}

static int answer_question(struct turn *t, const json_t *g, enum conv_answer a)
{
    int rc = conv_check_answer(g, json_object_get(t->st, "check"), a);

    if (rc == -ENOENT)
        return finish_check(t, g);
    if (rc)
        return rc;
    return ask_question(t, g, NULL);
}

static int say_checklist(struct turn *t)
{
    const json_t *cl = json_object_get(t->st, "checklist");
    const char *id = sget(cl, "procedure");
    struct mc_buf parts[CONV_GUIDE_CHECKLIST_PARTS];
    json_t *g, *list;
    size_t i;
    int rc;

    if (!id) {
        const char *proc = st_proc(t);

        conv_out_text(&t->out, "Bạn chưa kiểm tra hồ sơ nào trong lần trò chuyện này.");
        if (proc)
            conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", proc);
        return 0;
    }
    rc = guide_get(t, id, &g);
    if (rc)
        return rc;
    list = conv_check_list(g, json_object_get(cl, "items"));
    if (!list)
        return -ENOMEM;
    for (i = 0; i < CONV_GUIDE_CHECKLIST_PARTS; i++)
        mc_buf_init(&parts[i], CONV_TEXT_MAX);
    rc = conv_guide_checklist(list, parts);
    for (i = 0; !rc && i < CONV_GUIDE_CHECKLIST_PARTS; i++)
        conv_out_buf(&t->out, &parts[i]);
    for (i = 0; i < CONV_GUIDE_CHECKLIST_PARTS; i++)
        mc_buf_fini(&parts[i]);
    conv_out_set(&t->out, "checklist", list);
    if (!st_in_flow(t)) {
        set_procedure(t, id);
        conv_out_qr(&t->out, "Nộp ở đâu", "where:%s", id);
        conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", id);
        conv_out_qr(&t->out, "Các bước thực hiện", "steps:%s", id);
    }
    return 0;
}

/* Repeats where an active flow stands, after an aside. */
static int reprompt(struct turn *t)
{
    const char *proc = st_proc(t);
    json_t *g;
    int rc;

    if (!proc || !st_in_flow(t))
        return 0;
    rc = guide_get(t, proc, &g);
    if (rc)
        return rc == -ENOENT ? 0 : rc;
    if (st_flow_is(t, "check"))
        return ask_question(t, g, "Mình tiếp tục kiểm tra hồ sơ nhé.");
    if (st_flow_is(t, "steps")) {
        json_int_t n = json_integer_value(json_object_get(t->st, "step"));

        return say_step(t, g, n > 0 ? (size_t)n : 1, "Mình tiếp tục các bước nhé.");
    }
    return 0;
}

/* ---- places --------------------------------------------------------------- */

/* The office block, or an honest generic sentence, for a procedure handled
 * at the commune's public administrative service centre. */
static int say_commune_office(struct turn *t, const json_t *unit, bool is_default)
{
    struct conv_place_facts f;
    struct mc_buf b;
    int rc;

    mc_buf_init(&b, CONV_TEXT_MAX);
    rc = conv_place_facts_init(&f, place_office(t), unit);
    if (!rc && f.office_name)
        rc = conv_place_office_text(&f, &b);
    else if (!rc)
        rc = mc_buf_printf(&b,
                           "Ở %s (%s), bạn đến Trung tâm phục vụ hành chính công của %s. Tôi chưa "
                           "có địa chỉ và số điện thoại đã xác minh của trung tâm này; bạn hỏi "
                           "tại trụ sở UBND %s hoặc gọi tổng đài %s.",
                           f.commune, f.province, f.commune, f.commune, f.hotline);
    if (!rc && is_default)
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
    const char *text = json_is_object(w) ? sget(w, "text") : json_string_value(w);
    const char *level = sget(g, "level");

    return level && strcmp(level, "xa") == 0 && text &&
           strstr(text, "Trung tâm phục vụ hành chính công") != NULL;
}

/* "Nộp ở đâu" about procedure g: the guide's own answer, then the citizen's
 * office only when the procedure is handled at the commune centre. */
static int say_where(struct turn *t, const json_t *g)
{
    const char *level = sget(g, "level"), *online;
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
    unit = place_unit(t, &def);
    if (where_is_commune_centre(g)) {
        if (unit) {
            rc = say_commune_office(t, unit, def);
            conv_out_set(&t->out, "locality", locality_json(unit));
        } else {
            conv_out_text(&t->out, "Bạn ở xã/phường nào? Nhắn cho tôi, ví dụ \"tôi ở phường Hoàn "
                                   "Kiếm\", để tôi chỉ địa chỉ, giờ làm việc và số điện thoại.");
            st_set(t, "await", json_string("where"));
        }
    } else if (level && strcmp(level, "xa") != 0) {
        /* handled above the commune: never send the citizen to its centre blindly */
        if (unit)
            conv_out_textf(&t->out,
                           "Thủ tục này do %s giải quyết, nên bạn nộp theo hướng dẫn trên, không "
                           "nhất thiết ở Trung tâm phục vụ hành chính công của %s.",
                           sget(g, "agency") ? sget(g, "agency") : "cơ quan cấp trên",
                           sget(unit, "name"));
    } else if (unit) {
        conv_out_textf(&t->out,
                       "Với bạn ở %s: đó là cơ quan nêu trên của %s (tôi chưa có địa chỉ riêng "
                       "của nơi này).",
                       sget(unit, "name"), sget(unit, "name"));
    }
    online = sget(json_object_get(g, "online"), "available");
    if (!st_in_flow(t)) {
        if (online && strcmp(online, "none") != 0)
            conv_out_qr(&t->out, "Nộp trực tuyến", "online:%s", sget(g, "id"));
        conv_out_qr(&t->out, "Giấy tờ cần chuẩn bị", "docs:%s", sget(g, "id"));
        conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", sget(g, "id"));
        conv_out_qr(&t->out, "Các bước thực hiện", "steps:%s", sget(g, "id"));
    }
    return rc;
}

static int say_meta(struct turn *t, const char *id);

/* Answers "where" for the procedure in context, or in general. */
static int say_where_any(struct turn *t)
{
    const char *proc = st_proc(t);
    json_t *g;
    int rc;

    if (proc) {
        rc = guide_get(t, proc, &g);
        if (rc != -ENOENT)
            return rc ? rc : say_where(t, g);
    }
    return say_meta(t, "noi-nop-ho-so");
}

/* "Phường Ngọc Hà" -> "phường Ngọc Hà" inside a sentence. */
static const char *lower_first(const char *s, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", s ? s : "");
    if (buf[0] >= 'A' && buf[0] <= 'Z')
        buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
}

/* What to ask next once the place is known. */
static void offer_place_next(struct turn *t)
{
    const char *proc = st_proc(t);

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
    json_t *loc = locality_json(unit);

    st_set(t, "locality", loc ? json_incref(loc) : NULL);
    conv_out_set(&t->out, "locality", loc);
    t->await_where = false;
    json_decref(t->office); /* the office follows the new place */
    t->office = NULL;
    t->office_loaded = false;
    if (former) {
        const char *d = sget(former, "district");

        if (d && d[0])
            conv_out_textf(&t->out, "%s (%s) cũ nay thuộc %s, %s. Tôi đã ghi nhận địa chỉ của bạn.",
                           sget(former, "name"), lower_first(d, district, sizeof(district)),
                           lower_first(sget(unit, "name"), low, sizeof(low)),
                           sget(unit, "province"));
        else
            conv_out_textf(&t->out, "%s cũ nay thuộc %s, %s. Tôi đã ghi nhận địa chỉ của bạn.",
                           sget(former, "name"), lower_first(sget(unit, "name"), low, sizeof(low)),
                           sget(unit, "province"));
    } else {
        conv_out_textf(&t->out, "Tôi đã ghi nhận: bạn ở %s, %s.", sget(unit, "name"),
                       sget(unit, "province"));
    }
    if (where) {
        t->where_done = true;
        return say_where_any(t);
    }
    if (offer)
        offer_place_next(t);
    return 0;
}

static int choose_unit(struct turn *t, const char *code)
{
    json_t *unit;
    int rc;

    if (!id_ok(code) || !(unit = kb_units_get(t->cx->kb, code))) {
        conv_out_text(&t->out, "Xin lỗi, tôi không tìm thấy xã/phường này. Bạn nhắn lại tên giúp "
                               "tôi, ví dụ \"tôi ở phường Hoàn Kiếm\".");
        return 0;
    }
    rc = set_locality(t, unit, NULL, true);
    json_decref(unit);
    return rc;
}

/* "Tân Phú, Đồng Nai": a button title that tells namesakes apart. */
static void unit_title(const json_t *u, bool with_province, char *out, size_t cap)
{
    const char *name = sget(u, "name"), *prov = sget(u, "province"), *sp;
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
        if (i > 0 && strcmp(sget(u, "province"), sget(json_array_get(units, 0), "province")) != 0)
            provinces = true;
    }
    mc_buf_init(&b, CONV_TEXT_MAX);
    if (former) {
        const char *d = sget(former, "district");

        rc = mc_buf_printf(&b, "%s%s%s%s cũ nay được chia về %zu đơn vị:", sget(former, "name"),
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
            rc = mc_buf_printf(&b, "\n• %s, %s", sget(u, "name"), sget(u, "province"));
        unit_title(u, provinces, title, sizeof(title));
        conv_out_qr(&t->out, title, "unit:%s", sget(u, "code"));
        if (json_array_append_new(codes, json_string(sget(u, "code"))))
            rc = -ENOMEM;
    }
    if (!rc)
        rc = mc_buf_puts(&b, former ? "\nNhà bạn thuộc phần nào?" : "\nBạn ở đơn vị nào?");
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    conv_out_fail(&t->out, rc);
    st_set(t, "units", codes);
    if (t->await_where) /* still waiting for the place to answer "nộp ở đâu" */
        st_set(t, "await", json_string("where"));
}

enum place_result {
    PLACE_NONE, /* the text names no place: go on */
    PLACE_SET,  /* a locality was set: go on if the text asks more */
    PLACE_ASKED /* we asked which one, or said we found none: the turn is answered */
};

static bool text_has_x_tilde(const char *s)
{
    /* "xã" typed with its tone mark, in NFC or with a combining tilde */
    return strstr(s, "xã") || strstr(s, "Xã") || strstr(s, "XÃ") || strstr(s, "xa\xCC\x83") ||
           strstr(s, "Xa\xCC\x83");
}

static bool text_is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

static size_t count_words(const char *s, size_t len)
{
    size_t i, n = len > 0;

    for (i = 0; i < len; i++)
        if (s[i] == ' ')
            n++;
    return n;
}

static int try_locality(struct turn *t, enum place_result *res)
{
    const char *src = t->text ? t->text : (t->u ? t->u->normalized : "");
    size_t start, len;
    bool sure;
    json_t *units = NULL, *u, *current, *first_former = NULL;
    size_t i, n;
    int rc;

    *res = PLACE_NONE;
    if (!conv_parse_locality(t->folded, &start, &len, &sure))
        return 0;
    /* "ở xa" (far away) folds like "ở xã": believe it only with the tone mark,
     * or, in text typed without any marks, when a name of two words follows */
    if (strncmp(t->folded + start, "xa ", 3) == 0 && !text_has_x_tilde(src) &&
        !(text_is_ascii(src) && count_words(t->folded + start, len) >= 3))
        return 0;
    rc = conv_place_search(t->cx->kb, t->folded + start, len, &units);
    if (rc)
        return rc;
    n = json_array_size(units);
    if (n == 0) {
        if (sure) {
            conv_out_text(&t->out, "Xin lỗi, tôi chưa tìm thấy xã/phường này. Bạn kiểm tra lại "
                                   "tên giúp tôi (có thể thêm tên tỉnh, hoặc tên xã/phường và "
                                   "quận/huyện cũ).");
            *res = PLACE_ASKED;
            if (t->await_where)
                st_set(t, "await", json_string("where"));
        }
        json_decref(units);
        return 0;
    }
    /* a current name beats a former one: "phường Ba Đình" is today's Ba Đình */
    current = json_array();
    if (!current) {
        json_decref(units);
        return -ENOMEM;
    }
    json_array_foreach(units, i, u)
    {
        if (strcmp(sget(u, "match") ? sget(u, "match") : "", "current") == 0)
            json_array_append(current, u);
    }
    if (json_array_size(current) > 0) {
        json_decref(units);
        units = current;
    } else {
        json_decref(current);
        first_former = json_array_get(json_object_get(json_array_get(units, 0), "former"), 0);
        /* one former commune behind every result: name it in the answer */
        json_array_foreach(units, i, u)
        {
            const json_t *f = json_array_get(json_object_get(u, "former"), 0);

            if (!f || strcmp(sget(f, "code"), sget(first_former, "code")) != 0)
                first_former = NULL;
            if (!first_former)
                break;
        }
    }
    if (json_array_size(units) == 1) {
        rc = set_locality(t, json_array_get(units, 0), first_former, false);
        *res = PLACE_SET;
    } else {
        offer_units(t, units, first_former);
        *res = PLACE_ASKED;
    }
    json_decref(units);
    return rc;
}

/* A typed choice among the units we listed: "Ngọc Hà", "phường Giảng Võ", "2". */
static int try_unit_choice(struct turn *t, enum conv_cmd cmd, unsigned n, bool *done)
{
    const json_t *codes = t->units, *c;
    char key[UNITS_KEY_MAX], padded[CONV_TEXT_FOLD_MAX + 2], pk[UNITS_KEY_MAX + 2];
    const char *hit = NULL;
    size_t i, hits = 0;

    *done = false;
    if (json_array_size(codes) == 0)
        return 0;
    if (cmd == CONV_CMD_NUMBER && n >= 1 && n <= json_array_size(codes)) {
        *done = true;
        return choose_unit(t, json_string_value(json_array_get(codes, n - 1)));
    }
    snprintf(padded, sizeof(padded), " %s ", t->folded);
    json_array_foreach(codes, i, c)
    {
        json_t *u = json_is_string(c) ? kb_units_get(t->cx->kb, json_string_value(c)) : NULL;

        if (u && kb_units_key(sget(u, "name"), key, sizeof(key)) == 0 && key[0]) {
            snprintf(pk, sizeof(pk), " %s ", key);
            if (strstr(padded, pk)) {
                hit = json_string_value(c);
                hits++;
            }
        }
        json_decref(u);
    }
    if (hits != 1)
        return 0;
    *done = true;
    return choose_unit(t, hit);
}

/* ---- answers ----------------------------------------------------------------- */

static int say_officer(struct turn *t, const char *intro)
{
    struct mc_buf b;
    int rc;

    mc_buf_init(&b, CONV_TEXT_MAX);
    if (intro)
        conv_out_text(&t->out, intro);
    rc = say_meta_text(t, "gap-can-bo", &b);
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    set_officer(t);
    return rc;
}

static int say_meta(struct turn *t, const char *id)
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
        const json_t *unit = place_unit(t, &def);

        if (unit) {
            conv_out_set(&t->out, "locality", locality_json(unit));
        } else {
            conv_out_text(&t->out, "Cho tôi biết bạn ở xã/phường nào (ví dụ \"tôi ở phường Hoàn "
                                   "Kiếm\") để tôi chỉ đúng địa chỉ và giờ làm việc.");
            if (strcmp(id, "noi-nop-ho-so") == 0)
                st_set(t, "await", json_string("where"));
        }
    }
    if (st_proc(t) && !st_in_flow(t))
        qr_menu(t, st_proc(t));
    return 0;
}

/* Greetings and thanks: a short word inside a flow (the pending question is
 * asked again), else the meta answer. with_menu adds what to do next. */
static int say_social(struct turn *t, const char *meta_id, const char *in_flow, bool with_menu)
{
    struct mc_buf b;
    int rc;

    if (st_in_flow(t)) {
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
    if (st_proc(t)) {
        qr_menu(t, st_proc(t));
        return 0;
    }
    return qr_popular(t);
}

static int say_greeting(struct turn *t)
{
    return say_social(t, "chao-hoi", "Xin chào bạn!", true);
}

static int say_thanks(struct turn *t)
{
    return say_social(t, "cam-on", "Không có gì ạ!", false);
}

/* Answers each asked aspect about g from its fields. Returns -ENOENT when
 * none of them could be answered. */
static int say_aspects(struct turn *t, const json_t *g, unsigned bits)
{
    const char *folded = t->folded;
    struct mc_buf b;
    unsigned bit, answered = 0;
    int rc = 0;

    if (bits & INTENT_ASPECT_STEPS) {
        json_int_t n = json_integer_value(json_object_get(t->st, "step"));

        return say_step(t, g, st_flow_is(t, "steps") && n > 0 ? (size_t)n : 1, NULL);
    }
    mc_buf_init(&b, CONV_TEXT_MAX);
    for (bit = 1; bit < (1u << INTENT_ASPECT_COUNT_) && !rc; bit <<= 1) {
        if (!(bits & bit))
            continue;
        if (bit == INTENT_ASPECT_WHERE) {
            rc = say_where(t, g);
            answered++;
            continue;
        }
        if (bit == INTENT_ASPECT_HOURS) {
            rc = say_meta(t, "gio-lam-viec");
            answered++;
            continue;
        }
        if (bit == INTENT_ASPECT_DOCUMENTS) {
            rc = say_documents(t, g);
            answered++;
            continue;
        }
        rc = conv_guide_aspect(g, bit, folded, &b);
        if (rc == -ENOENT) {
            rc = 0;
            continue;
        }
        if (!rc) {
            conv_out_buf(&t->out, &b);
            answered++;
        }
    }
    mc_buf_fini(&b);
    if (rc)
        return rc;
    if (!answered)
        return -ENOENT;
    if (st_in_flow(t))
        t->reprompt = true;
    else
        qr_menu(t, sget(g, "id"));
    return 0;
}

static int say_clarify(struct turn *t)
{
    char *body = NULL;
    json_t *list = NULL, *p;
    struct mc_buf b;
    size_t i, k, shown = 0;
    int rc;

    rc = kb_list_procedures_json(t->cx->kb, &body);
    if (rc)
        return rc;
    list = json_loads(body, 0, NULL);
    free(body);
    if (!list)
        return -EIO;
    mc_buf_init(&b, CONV_TEXT_MAX);
    rc = mc_buf_puts(&b, "Bạn muốn hỏi về việc nào dưới đây?");
    for (i = 0; !rc && i < t->u->n_candidates; i++) {
        const char *id = t->u->candidates[i].label, *title = NULL;
        bool proc = false;

        json_array_foreach(list, k, p)
        {
            if (sget(p, "id") && strcmp(sget(p, "id"), id) == 0) {
                title = sget(p, "short_name") ? sget(p, "short_name") : sget(p, "name");
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
    json_decref(list);
    if (!rc && shown > 0)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    if (rc)
        return rc;
    return shown > 0 ? 0 : -ENOENT;
}

/* Not understood: what the bot can do and the hotline; the second time in
 * a row, an officer. Inside a flow, the flow's question comes back too. */
static int say_not_understood(struct turn *t)
{
    json_int_t misses = json_integer_value(json_object_get(t->st, "misses")) + 1;
    struct conv_place_facts f;
    const char *proc = st_proc(t);
    int rc;

    t->missed = true;
    st_set(t, "misses", json_integer(misses));
    if (st_in_flow(t)) {
        conv_out_text(&t->out, "Xin lỗi, tôi chưa hiểu ý bạn.");
        rc = reprompt(t);
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
            qr_menu(t, proc);
        else if (!rc)
            rc = qr_popular(t);
        return rc;
    }
    rc = conv_place_facts_init(&f, place_office(t), NULL);
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
        qr_menu(t, proc);
    return rc;
}

/* ---- commands ---------------------------------------------------------------- */

/* The command cmd from a button or typed text, where it makes sense.
 * Sets *done when the turn is answered. */
static int do_command(struct turn *t, enum conv_cmd cmd, unsigned n, bool *done)
{
    const char *proc = st_proc(t);
    json_t *g = NULL;
    int rc = 0;

    *done = false;
    if (proc) {
        rc = guide_get(t, proc, &g);
        if (rc == -ENOENT) { /* the guide left the knowledge base: forget it */
            json_object_del(t->st, "procedure");
            end_flow(t);
            g = NULL;
            proc = NULL;
            rc = 0;
        }
        if (rc)
            return rc;
    }
    if (st_flow_is(t, "check") && g) {
        *done = true;
        switch (cmd) {
        case CONV_CMD_YES:
            return answer_question(t, g, CONV_ANSWER_YES);
        case CONV_CMD_NO:
            return answer_question(t, g, CONV_ANSWER_NO);
        case CONV_CMD_UNKNOWN:
            return answer_question(t, g, CONV_ANSWER_UNKNOWN);
        case CONV_CMD_PREV:
            if (conv_check_undo(json_object_get(t->st, "check")) == -ENOENT)
                conv_out_text(&t->out, "Đây là câu hỏi đầu tiên.");
            return ask_question(t, g, NULL);
        case CONV_CMD_RESTART:
        case CONV_CMD_CHECK:
            return start_check(t, g);
        case CONV_CMD_CANCEL:
            end_flow(t);
            conv_out_text(&t->out, "Đã dừng kiểm tra hồ sơ. Khi cần, bạn chọn \"Kiểm tra hồ sơ\" "
                                   "để làm lại từ đầu.");
            qr_menu(t, proc);
            return 0;
        case CONV_CMD_DOCS:
            t->reprompt = true;
            return say_documents(t, g);
        case CONV_CMD_NEXT:
        case CONV_CMD_ALL:
        case CONV_CMD_STEP:
        case CONV_CMD_NUMBER:
        case CONV_CMD_STEPS:
            return ask_question(t, g, "Bạn trả lời câu này trước nhé: Có, Chưa có hoặc Không rõ.");
        case CONV_CMD_CHECKLIST:
            if (json_object_get(t->st, "checklist")) {
                rc = say_checklist(t);
                t->reprompt = true;
                return rc;
            }
            return ask_question(t, g, "Danh sách sẽ có khi bạn trả lời xong các câu hỏi.");
        case CONV_CMD_NONE:
            break;
        }
        *done = false;
    }
    if (st_flow_is(t, "steps") && g) {
        json_int_t cur = json_integer_value(json_object_get(t->st, "step"));
        size_t total = conv_guide_step_count(g);

        *done = true;
        switch (cmd) {
        case CONV_CMD_NEXT:
            if (cur >= (json_int_t)total)
                return say_step(t, g, total, "Bạn đã xem hết các bước.");
            return say_step(t, g, (size_t)cur + 1, NULL);
        case CONV_CMD_PREV:
            if (cur <= 1)
                return say_step(t, g, 1, "Đây là bước đầu tiên.");
            return say_step(t, g, (size_t)cur - 1, NULL);
        case CONV_CMD_STEP:
        case CONV_CMD_NUMBER:
            if (n > total) {
                char note[96];

                snprintf(note, sizeof(note), "Thủ tục này có %zu bước.", total);
                return say_step(t, g, total, note);
            }
            return say_step(t, g, n, NULL);
        case CONV_CMD_ALL:
            return say_steps_all(t, g);
        case CONV_CMD_RESTART:
            return say_step(t, g, 1, NULL);
        case CONV_CMD_STEPS:
            return say_step(t, g, cur > 0 ? (size_t)cur : 1, NULL);
        case CONV_CMD_DOCS:
            t->reprompt = true;
            return say_documents(t, g);
        case CONV_CMD_CANCEL:
            end_flow(t);
            conv_out_text(&t->out, "Vâng, tôi dừng xem các bước ở đây. Bạn cần gì thêm?");
            qr_menu(t, proc);
            return 0;
        case CONV_CMD_CHECK:
            return start_check(t, g);
        case CONV_CMD_CHECKLIST:
            return say_checklist(t);
        default:
            break;
        }
        *done = false;
    }
    *done = true;
    switch (cmd) {
    case CONV_CMD_DOCS:
        if (!g)
            break; /* "giấy tờ" alone: understanding may know more */
        return say_documents(t, g);
    case CONV_CMD_NEXT:
    case CONV_CMD_PREV:
    case CONV_CMD_ALL:
    case CONV_CMD_STEP:
    case CONV_CMD_STEPS:
    case CONV_CMD_CHECK:
        if (!g) { /* "tiếp" with nothing to go on from */
            conv_out_text(&t->out, "Bạn muốn xem thủ tục nào? Ví dụ: khai sinh, kết hôn, tạm trú, "
                                   "làm căn cước.");
            return qr_popular(t);
        }
        if (cmd == CONV_CMD_ALL)
            return say_steps_all(t, g);
        if (cmd == CONV_CMD_CHECK)
            return start_check(t, g);
        return say_step(t, g, cmd == CONV_CMD_STEP ? n : 1, NULL);
    case CONV_CMD_CHECKLIST:
        return say_checklist(t);
    case CONV_CMD_CANCEL:
        conv_out_text(&t->out, "Vâng ạ. Khi cần, bạn cứ nhắn cho tôi.");
        if (proc)
            qr_menu(t, proc);
        return 0;
    case CONV_CMD_RESTART: {
        json_t *loc = json_object_get(t->st, "locality"), *keep = loc ? json_incref(loc) : NULL;

        json_object_clear(t->st); /* a new start keeps only where the citizen lives */
        st_set(t, "v", json_integer(CONV_STATE_VERSION));
        if (keep)
            st_set(t, "locality", keep);
        return say_greeting(t);
    }
    default:
        break;
    }
    *done = false;
    return 0;
}

/* ---- payloads ------------------------------------------------------------------ */

/* Splits "kind:rest" at the first ':'; *rest points into p. */
static bool payload_is(const char *p, const char *kind, const char **rest)
{
    size_t n = strlen(kind);

    if (strncmp(p, kind, n) != 0 || p[n] != ':')
        return false;
    *rest = p + n + 1;
    return true;
}

static bool is_meta(struct turn *t, const char *id)
{
    char *answer = NULL, *generic = NULL;
    bool yes = id_ok(id) && kb_get_meta_answer(t->cx->kb, id, &answer, &generic) == 0;

    free(answer);
    free(generic);
    return yes;
}

static int with_procedure(struct turn *t, const char *id, json_t **g)
{
    int rc = guide_get(t, id, g);

    if (rc)
        return rc;
    set_procedure(t, id);
    return 0;
}

static int handle_payload(struct turn *t, const char *p)
{
    static const struct {
        const char *word;
        enum conv_cmd cmd;
    } words[] = {{"next", CONV_CMD_NEXT},           {"prev", CONV_CMD_PREV},
                 {"cancel", CONV_CMD_CANCEL},       {"restart", CONV_CMD_RESTART},
                 {"checklist", CONV_CMD_CHECKLIST}, {"ans:yes", CONV_CMD_YES},
                 {"ans:no", CONV_CMD_NO},           {"ans:unknown", CONV_CMD_UNKNOWN}};
    const char *rest;
    json_t *g;
    size_t i;
    bool done;
    int rc = -ENOENT;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcmp(p, words[i].word) != 0)
            continue;
        rc = do_command(t, words[i].cmd, 0, &done);
        if (!rc && !done) {
            conv_out_text(&t->out, "Lựa chọn này không còn dùng được nữa. Bạn cần hỏi gì tiếp?");
            if (st_proc(t))
                qr_menu(t, st_proc(t));
        }
        return rc;
    }
    if (payload_is(p, "proc", &rest)) {
        if (!kb_is_procedure(t->cx->kb, rest) && is_meta(t, rest))
            return say_meta(t, rest);
        rc = with_procedure(t, rest, &g);
        if (!rc) {
            end_flow(t);
            rc = say_card(t, g);
        }
    } else if (payload_is(p, "docs", &rest)) {
        rc = with_procedure(t, rest, &g);
        if (!rc)
            rc = say_documents(t, g);
    } else if (payload_is(p, "steps", &rest)) {
        rc = with_procedure(t, rest, &g);
        if (!rc)
            rc = say_step(t, g, 1, NULL);
    } else if (payload_is(p, "step", &rest)) {
        const char *colon = strrchr(rest, ':');
        char id[CONV_ID_MAX], *end;
        unsigned long n;

        if (!colon || (size_t)(colon - rest) >= sizeof(id))
            return -ENOENT;
        memcpy(id, rest, (size_t)(colon - rest));
        id[colon - rest] = '\0';
        errno = 0;
        n = strtoul(colon + 1, &end, 10);
        if (errno || *end || end == colon + 1 || n < 1 || n > CONV_PARSE_STEP_MAX)
            return -ENOENT;
        rc = with_procedure(t, id, &g);
        if (!rc)
            rc = say_step(t, g, (size_t)n, NULL);
    } else if (payload_is(p, "all", &rest)) {
        rc = with_procedure(t, rest, &g);
        if (!rc)
            rc = say_steps_all(t, g);
    } else if (payload_is(p, "check", &rest)) {
        rc = with_procedure(t, rest, &g);
        if (!rc)
            rc = start_check(t, g);
    } else if (payload_is(p, "where", &rest)) {
        rc = with_procedure(t, rest, &g);
        if (!rc)
            rc = say_where(t, g);
        t->reprompt = true;
    } else if (payload_is(p, "online", &rest)) {
        rc = with_procedure(t, rest, &g);
        if (!rc)
            rc = say_aspects(t, g, INTENT_ASPECT_ONLINE);
    } else if (payload_is(p, "meta", &rest)) {
        rc = id_ok(rest) ? say_meta(t, rest) : -ENOENT;
        t->reprompt = true;
    } else if (payload_is(p, "unit", &rest)) {
        rc = choose_unit(t, rest);
    }
    return rc;
}

/* ---- typed text -------------------------------------------------------------------- */

static bool is_label(const struct intent_result *u, const char *id)
{
    return strcmp(u->label, id) == 0;
}

/* True when the topic words (conv_parse_topic()) occur in the name, the
 * everyday name or an alias of procedure id: "giấy tờ nhà đất" names the
 * land procedures, "lệ phí bao nhiêu" names nothing. */
static bool names_procedure(struct turn *t, const char *topic, const char *id)
{
    char *body = NULL, name[CONV_TEXT_FOLD_MAX], word[CONV_ID_MAX];
    json_t *g;
    const char *p = topic;
    bool found = false;
    size_t i;

    if (!topic[0] || kb_get_procedure_json(t->cx->kb, id, &body) != 0)
        return false;
    g = json_loads(body, 0, NULL);
    free(body);
    while (g && *p && !found) {
        const char *e = strchr(p, ' ');
        size_t wl = e ? (size_t)(e - p) : strlen(p);
        char padded[CONV_TEXT_FOLD_MAX + 2], pw[CONV_ID_MAX + 2];

        if (wl > 0 && wl < sizeof(word)) {
            memcpy(word, p, wl);
            word[wl] = '\0';
            snprintf(pw, sizeof(pw), " %s ", word);
            for (i = 0; !found; i++) {
                const char *src =
                    i == 0 ? sget(g, "name")
                    : i == 1
                        ? sget(g, "short_name")
                        : json_string_value(json_array_get(json_object_get(g, "aliases"), i - 2));

                if (!src && i >= 2)
                    break;
                if (!src || conv_text_fold(src, name, sizeof(name)) < 0)
                    continue;
                snprintf(padded, sizeof(padded), " %s ", name);
                found = strstr(padded, pw) != NULL;
            }
        }
        p = e ? e + 1 : p + wl;
    }
    json_decref(g);
    return found;
}

/* True when the text names a subject that is not procedure proc: a
 * candidate of understanding other than proc is named by its words. */
static bool about_other(struct turn *t, const char *topic, const char *proc)
{
    size_t i;

    if (!topic[0] || names_procedure(t, topic, proc))
        return false;
    for (i = 0; i < t->u->n_candidates; i++)
        if (strcmp(t->u->candidates[i].label, proc) != 0 &&
            names_procedure(t, topic, t->u->candidates[i].label))
            return true;
    return false;
}

/* The understanding's answer, read in the context of the conversation. */
static int follow_understanding(struct turn *t, enum place_result place)
{
    const struct intent_result *u = t->u;
    const char *proc = st_proc(t);
    unsigned aspects = u->aspects | conv_parse_aspects(t->ufolded) | conv_parse_aspects(t->folded);
    /* "none" this sure wins over our keywords ("giá vàng bao nhiêu tiền"); "thế
     * nào" alone is too weak a keyword to hold against a milder "none" */
    bool weak = !(aspects & ~(unsigned)(INTENT_ASPECT_STEPS | INTENT_ASPECT_CONDITION));
    bool sure_none =
        u->decision == INTENT_NONE && u->confidence >= (weak ? CONV_OOS_SURE : CONV_OOS_CERTAIN);
    json_t *g = NULL;
    char topic[CONV_TEXT_FOLD_MAX];
    bool follow;
    int rc;

    conv_parse_topic(t->folded, topic, sizeof(topic));
    /* a bare question ("lệ phí bao nhiêu", nothing but question words) names no
     * other subject: with a procedure in context it is about that procedure,
     * however sure understanding is that it names no procedure itself */
    if (sure_none && proc && aspects && topic[0] == '\0')
        sure_none = false;
    if (aspects & ~(unsigned)INTENT_ASPECT_STEPS)
        aspects &= ~(unsigned)INTENT_ASPECT_STEPS;
    if (u->decision == INTENT_MATCH && kb_is_procedure(t->cx->kb, u->label)) {
        bool other = !proc || strcmp(proc, u->label) != 0;

        if (other && proc && u->confidence < CONV_SWITCH_MIN &&
            (aspects || st_in_flow(t) || count_words(t->ufolded, strlen(t->ufolded)) <= 2) &&
            !names_procedure(t, topic, u->label)) {
            /* weak and about something else: "quay lai" is not a driving licence */
            if (aspects) {
                rc = guide_get(t, proc, &g);
                if (!rc)
                    rc = say_aspects(t, g, aspects);
                if (rc != -ENOENT)
                    return rc;
            }
            if (place == PLACE_SET) {
                offer_place_next(t);
                return 0;
            }
            return say_not_understood(t);
        }
        rc = with_procedure(t, u->label, &g);
        if (rc)
            return rc;
        if (aspects & ~(unsigned)INTENT_ASPECT_STEPS) {
            if (!other && st_in_flow(t)) /* a question about the flow's own procedure */
                return say_aspects(t, g, aspects);
            end_flow(t);
            if (other)
                conv_out_set(&t->out, "card", conv_guide_card(g));
            rc = say_aspects(t, g, aspects);
            return rc == -ENOENT ? say_card(t, g) : rc;
        }
        end_flow(t);
        return say_card(t, g);
    }
    if (u->decision == INTENT_MATCH) { /* a meta intent */
        if (is_label(u, "chao-hoi"))
            return say_greeting(t);
        if (is_label(u, "cam-on"))
            return say_thanks(t);
        t->reprompt = true;
        if (is_label(u, "noi-nop-ho-so"))
            return say_where_any(t);
        if (is_label(u, "nop-truc-tuyen") && proc) {
            rc = guide_get(t, proc, &g);
            if (rc != -ENOENT)
                return rc ? rc : say_aspects(t, g, INTENT_ASPECT_ONLINE);
        }
        return say_meta(t, u->label);
    }
    if (place == PLACE_SET) { /* "tôi ở phường X" says nothing more */
        offer_place_next(t);
        return 0;
    }
    /* a question about the procedure in context, unless it names another subject */
    follow = proc && !sure_none && !about_other(t, topic, proc);
    if (follow && aspects) {
        rc = guide_get(t, proc, &g);
        if (!rc)
            rc = say_aspects(t, g, aspects);
        if (rc != -ENOENT)
            return rc;
    }
    if (follow) {
        rc = guide_get(t, proc, &g);
        if (rc && rc != -ENOENT)
            return rc;
        if (!rc) {
            const json_t *faq = conv_guide_faq(g, t->folded);

            if (faq) {
                conv_out_textf(&t->out, "%s\n%s", sget(faq, "q"), sget(faq, "a"));
                if (st_in_flow(t))
                    t->reprompt = true;
                else
                    qr_menu(t, proc);
                return 0;
            }
        }
    }
    if (u->decision == INTENT_CLARIFY && u->n_candidates > 0) {
        rc = say_clarify(t);
        if (rc != -ENOENT)
            return rc;
    }
    if (aspects && !sure_none && !proc) {
        if (aspects & (INTENT_ASPECT_WHERE | INTENT_ASPECT_HOURS | INTENT_ASPECT_ONLINE)) {
            t->reprompt = true;
            return say_meta(t, aspects & INTENT_ASPECT_WHERE   ? "noi-nop-ho-so"
                               : aspects & INTENT_ASPECT_HOURS ? "gio-lam-viec"
                                                               : "nop-truc-tuyen");
        }
        if (aspects != INTENT_ASPECT_STEPS && aspects != INTENT_ASPECT_CONDITION) {
            conv_out_text(&t->out, "Bạn hỏi về thủ tục nào? Ví dụ: khai sinh, kết hôn, tạm trú, "
                                   "làm căn cước.");
            return qr_popular(t);
        }
    }
    return say_not_understood(t);
}

static int handle_text(struct turn *t)
{
    enum conv_cmd cmd;
    enum place_result place;
    unsigned n = 0;
    bool done;
    int rc;

    cmd = conv_parse_command(t->ufolded, &n);
    if (cmd == CONV_CMD_NONE)
        cmd = conv_parse_command(t->folded, &n);
    rc = try_unit_choice(t, cmd, n, &done);
    if (rc || done)
        return rc;
    if (cmd != CONV_CMD_NONE) {
        rc = do_command(t, cmd, n, &done);
        if (rc || done)
            return rc;
    }
    rc = try_locality(t, &place);
    if (rc || place == PLACE_ASKED)
        return rc;
    return follow_understanding(t, place);
}

/* ---- entry --------------------------------------------------------------------------- */

int conv_handle(const struct conv_ctx *cx, json_t *state, const struct conv_turn *turn,
                json_t **reply)
{
    struct turn t;
    const char *proc;
    int rc;

    if (!turn->u && !turn->payload)
        return -EINVAL;
    memset(&t, 0, sizeof(t));
    t.cx = cx;
    t.u = turn->u;
    t.text = turn->text;
    t.ufolded = turn->u ? turn->u->folded : "";
    if (conv_out_init(&t.out))
        return -ENOMEM;
    t.st = json_deep_copy(state);
    if (!t.st || !json_is_object(t.st)) {
        json_decref(t.st);
        t.st = json_object();
        if (!t.st) {
            rc = -ENOMEM;
            goto out;
        }
    }
    state_normalise(&t);
    /* a list of communes or a "which commune?" is answered now or never */
    t.units = json_incref(json_object_get(t.st, "units"));
    json_object_del(t.st, "units");
    t.await_where = sget(t.st, "await") && strcmp(sget(t.st, "await"), "where") == 0;
    json_object_del(t.st, "await");
    if (turn->u) {
        const char *src = turn->text ? turn->text : turn->u->normalized;

        /* -E2BIG keeps the folded prefix, which is all a command or place needs */
        if (conv_text_fold(src, t.folded, sizeof(t.folded)) == -EINVAL)
            t.folded[0] = '\0';
        rc = handle_text(&t);
    } else {
        rc = handle_payload(&t, turn->payload);
        if (rc == -ENOENT) { /* an old or forged button: say what we can do */
            conv_out_text(&t.out, "Xin lỗi, lựa chọn này không còn dùng được.");
            rc = say_greeting(&t);
        }
    }
    if (!rc && t.reprompt)
        rc = reprompt(&t);
    if (!rc && !t.missed)
        json_object_del(t.st, "misses");
    proc = st_proc(&t);
    if (!rc)
        conv_out_set(&t.out, "procedure", proc ? json_string(proc) : json_null());
    if (!rc)
        rc = t.out.rc;
    if (!rc && json_object_update(state, t.st) == 0) {
        /* keys the turn removed must go too */
        const char *k;
        json_t *v;
        void *tmp;

        json_object_foreach_safe(state, tmp, k, v)
        {
            if (!json_object_get(t.st, k))
                json_object_del(state, k);
        }
        (void)v;
        *reply = t.out.reply;
        t.out.reply = NULL;
    } else if (!rc) {
        rc = -ENOMEM;
    }
out:
    conv_out_fini(&t.out);
    json_decref(t.st);
    json_decref(t.guide);
    json_decref(t.default_unit);
    json_decref(t.office);
    json_decref(t.units);
    return rc;
}

int conv_respond(const struct conv_ctx *cx, json_t *state, const struct intent_result *u,
                 const char *payload, json_t **reply)
{
    struct conv_turn turn = {u, NULL, u ? NULL : payload};

    return conv_handle(cx, state, &turn, reply);
}
