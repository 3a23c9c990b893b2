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
#include "conv_family.h"
#include "conv_guide.h"
#include "conv_out.h"
#include "conv_parse.h"
#include "conv_place.h"
#include "conv_switch.h"
#include "conv_text.h"
#include "conv_topic.h"
#include "conv_words.h"
#include "places.h"
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
    struct places_span place_span; /* bytes of the text that named a place (len 0: none) */
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
    json_object_del(t->st, "shown");
    json_object_del(t->st, "pending");
    st_set(t, "procedure", json_string(id));
}

/* Aspect bits (enum intent_aspect) kept in the state under key. */
static unsigned st_bits(const struct turn *t, const char *key)
{
    return (unsigned)json_integer_value(json_object_get(t->st, key));
}

/* Remembers what was asked this turn and adds it to what the citizen has
 * been shown about the procedure in context. */
static void st_answered(struct turn *t, unsigned asked, unsigned shown)
{
    if (asked)
        st_set(t, "asked", json_integer((json_int_t)asked));
    st_set(t, "shown", json_integer((json_int_t)(st_bits(t, "shown") | shown | asked)));
}

/* Brings a state from an older or damaged shape to CONV_STATE_VERSION. */
static void state_normalise(struct turn *t)
{
    json_t *v = json_object_get(t->st, "v");
    const char *proc = st_proc(t);

    if (json_is_integer(v) && json_integer_value(v) == CONV_STATE_VERSION)
        return;
    if (json_is_integer(v) && json_integer_value(v) == 1) {
        /* v2 only adds keys ("asked", "shown", "pending"): v1 is kept as it is */
        st_set(t, "v", json_integer(CONV_STATE_VERSION));
        return;
    }
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
    st_answered(
        t, 0, INTENT_ASPECT_WHERE | INTENT_ASPECT_TIME | INTENT_ASPECT_FEE | INTENT_ASPECT_ONLINE);
    return rc;
}

static int say_documents(struct turn *t, const json_t *g)
{
    const char *id = sget(g, "id");
    int rc = say_guide_text(t, g, conv_guide_documents);

    st_answered(t, 0, INTENT_ASPECT_DOCUMENTS);
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
    st_answered(t, 0, INTENT_ASPECT_STEPS);
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
        if (i > 0 && !json_equal(json_object_get(u, "province"),
                                 json_object_get(json_array_get(units, 0), "province")))
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

/* Asks which commune, when the citizen named only a district or a province. */
static void ask_commune_in(struct turn *t, const struct places_hints *h)
{
    const char *in = h->district_name ? h->district_name : h->province_name;

    conv_out_textf(&t->out,
                   "Bạn ở xã/phường nào%s%s? Bạn nhắn tên xã/phường (tên mới hoặc tên "
                   "cũ trước 1/7/2025) giúp tôi.",
                   in ? " của " : "", in ? in : "");
    st_set(t, "await", json_string("where"));
}

/* Reads a place anywhere in the message with every hint the citizen gave
 * (gateway/places.h): one unit -> the locality is set; several -> they are
 * offered; a commune named but unknown -> said so; only a district or a
 * province -> which commune? A message that names no place leaves *res
 * PLACE_NONE. */
static int try_locality(struct turn *t, enum place_result *res)
{
    const char *src = t->text ? t->text : (t->u ? t->u->normalized : "");
    struct places_result r;
    json_t *units = NULL, *first_former = NULL, *u;
    size_t i;
    int rc;

    *res = PLACE_NONE;
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
            st_set(t, "await", json_string("where"));
        *res = PLACE_ASKED;
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
    int pass;

    *done = false;
    if (json_array_size(codes) == 0)
        return 0;
    if (cmd == CONV_CMD_NUMBER && n >= 1 && n <= json_array_size(codes)) {
        *done = true;
        return choose_unit(t, json_string_value(json_array_get(codes, n - 1)));
    }
    snprintf(padded, sizeof(padded), " %s ", t->folded);
    /* by the unit's name ("Ngọc Hà"), else by its province: namesakes are
     * told apart by the province ("Quảng Ngãi") */
    for (pass = 0; pass < 2 && hits != 1; pass++) {
        hits = 0;
        json_array_foreach(codes, i, c)
        {
            json_t *u = json_is_string(c) ? kb_units_get(t->cx->kb, json_string_value(c)) : NULL;
            const char *name = u ? sget(u, pass == 0 ? "name" : "province") : NULL;

            if (name && kb_units_key(name, key, sizeof(key)) == 0 && key[0]) {
                snprintf(pk, sizeof(pk), " %s ", key);
                if (strstr(padded, pk)) {
                    hit = json_string_value(c);
                    hits++;
                }
            }
            json_decref(u);
        }
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

        st_set(t, "asked", json_integer(INTENT_ASPECT_STEPS));
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
    st_answered(t, bits, 0);
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

/* "Còn nữa không" outside a list being read: offers what has not been shown
 * about g yet (state "shown"), or says that the main points are told. */
static int say_more(struct turn *t, const json_t *g)
{
    static const struct {
        unsigned bit;
        const char *words, *title, *payload;
    } parts[] = {
        {INTENT_ASPECT_DOCUMENTS, "giấy tờ cần chuẩn bị", "Giấy tờ cần chuẩn bị", "docs"},
        {INTENT_ASPECT_STEPS, "các bước thực hiện", "Các bước thực hiện", "steps"},
        {INTENT_ASPECT_WHERE, "nơi nộp", "Nộp ở đâu", "where"},
        {INTENT_ASPECT_ONLINE, "nộp trực tuyến", "Nộp trực tuyến", "online"},
        {INTENT_ASPECT_FEE, "lệ phí", NULL, NULL},
        {INTENT_ASPECT_TIME, "thời gian giải quyết", NULL, NULL},
        {INTENT_ASPECT_RESULT, "kết quả nhận được", NULL, NULL},
        {INTENT_ASPECT_LEGAL, "căn cứ pháp lý", NULL, NULL},
    };
    const char *id = sget(g, "id");
    unsigned shown = st_bits(t, "shown");
    struct mc_buf b;
    size_t i, n = 0;
    int rc;

    mc_buf_init(&b, CONV_TEXT_MAX);
    rc = mc_buf_printf(&b, "Về %s, bạn có thể hỏi thêm:",
                       sget(g, "short_name") ? sget(g, "short_name") : sget(g, "name"));
    for (i = 0; !rc && i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (shown & parts[i].bit)
            continue;
        rc = mc_buf_printf(&b, "%s %s", n++ ? "," : "", parts[i].words);
        if (parts[i].payload)
            conv_out_qr(&t->out, parts[i].title, "%s:%s", parts[i].payload, id);
    }
    if (!rc && n == 0) {
        mc_buf_reset(&b);
        rc = mc_buf_puts(&b, "Tôi đã nói các ý chính của thủ tục này. Bạn có thể kiểm tra hồ sơ "
                             "cùng tôi trước khi đi nộp.");
    } else if (!rc) {
        rc = mc_buf_puts(&b, ".");
    }
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", id);
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
        case CONV_CMD_MORE:
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
        case CONV_CMD_MORE:
            if (cur >= (json_int_t)total) {
                end_flow(t);
                conv_out_text(&t->out, "Bạn đã xem hết các bước.");
                return say_more(t, g);
            }
            return say_step(t, g, (size_t)cur + 1, NULL);
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
    case CONV_CMD_MORE:
        if (g)
            return say_more(t, g);
        /* fall through */
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

    (void)conv_family_take_choice(t->cx->kb, t->st, NULL); /* a button ends the family choice */
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

/* A guide of its own (guide_get() keeps one at a time), or NULL. */
static json_t *guide_load(struct turn *t, const char *id)
{
    char *body = NULL;
    json_t *g;

    if (!id_ok(id) || kb_get_procedure_json(t->cx->kb, id, &body) != 0)
        return NULL;
    g = json_loads(body, 0, NULL);
    free(body);
    return g;
}

static double confidence_of(const struct intent_result *u, const char *id)
{
    size_t i;

    for (i = 0; i < u->n_candidates; i++)
        if (strcmp(u->candidates[i].label, id) == 0)
            return u->candidates[i].confidence;
    return 0;
}

/* Measures the facts of conv_switch.h for a follow-up that the
 * understanding reads as procedure q, and applies the one rule. */
static enum conv_switch switch_to(struct turn *t, const char *q, unsigned aspects,
                                  const char *topic)
{
    struct conv_switch_facts f = {0};
    const char *p = st_proc(t);
    json_t *gp, *gq;
    enum conv_switch d;

    f.in_context = p != NULL;
    f.same = p && strcmp(p, q) == 0;
    if (!f.in_context || f.same)
        return conv_switch_decide(&f);
    f.confidence = confidence_of(t->u, q);
    f.correction = conv_parse_correction(t->folded);
    f.topic_words = conv_words_count(topic, strlen(topic));
    f.asks_aspect = (aspects & ~(unsigned)(INTENT_ASPECT_STEPS | INTENT_ASPECT_CONDITION)) != 0;
    gp = guide_load(t, p);
    gq = guide_load(t, q);
    if (gp) {
        f.names_p = conv_topic_names(gp, topic, true);
        f.covered_by_p = conv_topic_covered(gp, topic);
        f.faq_fits_p = conv_guide_faq(gp, t->folded) != NULL;
    }
    f.names_q = gq && conv_topic_names(gq, topic, true);
    d = conv_switch_decide(&f);
    json_decref(gp);
    json_decref(gq);
    return d;
}

/* A follow-up about proc: the guide's FAQ entry that fits, then the asked
 * aspects. -ENOENT when neither answers it. */
static int answer_about(struct turn *t, const char *proc, unsigned aspects)
{
    const json_t *faq;
    json_t *g;
    int rc = guide_get(t, proc, &g);

    if (rc)
        return rc;
    faq = conv_guide_faq(g, t->folded);
    if (faq) {
        conv_out_textf(&t->out, "%s\n%s", sget(faq, "q"), sget(faq, "a"));
        aspects &= ~(unsigned)(INTENT_ASPECT_CONDITION | INTENT_ASPECT_STEPS);
        if (!aspects) {
            if (st_in_flow(t))
                t->reprompt = true;
            else
                qr_menu(t, proc);
            return 0;
        }
    }
    if (!aspects)
        return -ENOENT;
    rc = say_aspects(t, g, aspects);
    return rc == -ENOENT && faq ? 0 : rc;
}

/* A procedure the conversation moves to (or starts with): the asked
 * aspects, the steps for "làm thế nào", else the summary card; a fitting FAQ
 * entry first. A correction ("à nhầm, ý tôi là X") carries the aspects asked
 * last over to X when it asks nothing itself. */
static int answer_new(struct turn *t, const char *id, unsigned aspects, bool other)
{
    const json_t *faq;
    json_t *g;
    int rc;

    if (!aspects && conv_parse_correction(t->folded))
        aspects = conv_parse_aspects(st_bits(t, "asked"));
    rc = with_procedure(t, id, &g);
    if (rc)
        return rc;
    faq = conv_guide_faq(g, t->folded);
    if (faq) {
        conv_out_textf(&t->out, "%s\n%s", sget(faq, "q"), sget(faq, "a"));
        aspects &= ~(unsigned)INTENT_ASPECT_CONDITION;
    }
    if (aspects & ~(unsigned)INTENT_ASPECT_STEPS) {
        if (!other && st_in_flow(t)) /* a question about the flow's own procedure */
            return say_aspects(t, g, aspects);
        end_flow(t);
        if (other)
            conv_out_set(&t->out, "card", conv_guide_card(g));
        rc = say_aspects(t, g, aspects);
        return rc == -ENOENT ? say_card(t, g) : rc;
    }
    if (aspects & INTENT_ASPECT_STEPS) { /* "làm thế nào", "các bước": step 1 */
        if (other)
            conv_out_set(&t->out, "card", conv_guide_card(g));
        rc = say_aspects(t, g, INTENT_ASPECT_STEPS);
        if (rc != -ENOENT)
            return rc;
    }
    end_flow(t);
    return say_card(t, g);
}

/* The procedure the understanding points at, or NULL: its label, or for a
 * clarification its best candidate. */
static const char *understood_procedure(struct turn *t)
{
    const struct intent_result *u = t->u;

    if (u->decision == INTENT_MATCH && kb_is_procedure(t->cx->kb, u->label))
        return u->label;
    if (u->decision == INTENT_CLARIFY && u->n_candidates > 0 &&
        kb_is_procedure(t->cx->kb, u->candidates[0].label))
        return u->candidates[0].label;
    return NULL;
}

/* True when the topic words name procedure q outright by its name or
 * everyday name, and no other candidate by any of its names ("đăng ký khai
 * sinh" while understanding hesitates between khai sinh and its
 * re-registration; not "giấy tờ nhà đất", which several land procedures
 * answer to). */
static bool names_understood(struct turn *t, const char *q, const char *topic)
{
    json_t *g = guide_load(t, q);
    bool yes = g && conv_topic_names(g, topic, false);
    size_t i;

    json_decref(g);
    for (i = 0; yes && i < t->u->n_candidates; i++) {
        if (strcmp(t->u->candidates[i].label, q) == 0)
            continue;
        g = guide_load(t, t->u->candidates[i].label);
        yes = !(g && conv_topic_names(g, topic, true));
        json_decref(g);
    }
    return yes;
}

/* The understanding's answer, read against the dialogue state
 * (docs/conversation.md, "Dialogue state", step 5). */
static int follow_understanding(struct turn *t, enum place_result place)
{
    const struct intent_result *u = t->u;
    const char *proc = st_proc(t), *q = understood_procedure(t);
    unsigned aspects = conv_parse_aspects(u->aspects);
    /* "none" this sure wins over our keywords ("giá vàng bao nhiêu tiền"); "thế
     * nào" alone is too weak a keyword to hold against a milder "none" */
    bool weak = !(aspects & ~(unsigned)(INTENT_ASPECT_STEPS | INTENT_ASPECT_CONDITION));
    bool sure_none =
        u->decision == INTENT_NONE && u->confidence >= (weak ? CONV_OOS_SURE : CONV_OOS_CERTAIN);
    char topic[CONV_TEXT_FOLD_MAX];
    bool follow, offered;
    int rc;

    conv_parse_topic(u, topic, sizeof(topic));
    /* a bare question ("lệ phí bao nhiêu", nothing but question words) names no
     * other subject: with a procedure in context it is about that procedure,
     * however sure understanding is that it names no procedure itself */
    if (sure_none && proc && aspects && topic[0] == '\0')
        sure_none = false;
    /* a family named, none of its procedures ("làm giấy tờ nhà đất"): a choice,
     * not a guess, however sure understanding is (conv_family.h) */
    conv_family_offer(t->cx->kb, u, proc, t->st, &t->out, &offered);
    if (offered) {
        end_flow(t);
        return 0;
    }
    /* "tôi đang tạm trú ở phường X" states where the citizen lives: with a
     * procedure in context it is not a request for the residence procedure */
    if (q && proc && (place == PLACE_SET || switch_to(t, q, aspects, topic) == CONV_STAY)) {
        if (strcmp(q, proc) == 0 && u->decision == INTENT_MATCH)
            return answer_new(t, q, aspects, false);
        rc = answer_about(t, proc, aspects);
        if (rc != -ENOENT)
            return rc;
        if (place == PLACE_SET) {
            offer_place_next(t);
            return 0;
        }
        return say_not_understood(t);
    }
    if (q && (u->decision == INTENT_MATCH || proc || names_understood(t, q, topic)))
        return answer_new(t, q, aspects, !proc || strcmp(proc, q) != 0);
    if (u->decision == INTENT_MATCH) { /* a meta intent */
        if (is_label(u, "chao-hoi"))
            return say_greeting(t);
        if (is_label(u, "cam-on"))
            return say_thanks(t);
        /* "hồ sơ gồm gì" about the procedure in context is its documents,
         * not the dossier-status lookup its words resemble */
        if (proc && aspects && !is_label(u, "noi-nop-ho-so") && !is_label(u, "gap-can-bo") &&
            !(is_label(u, "tra-cuu-ho-so") && conv_parse_lookup(t->folded))) {
            rc = answer_about(t, proc, aspects);
            if (rc != -ENOENT)
                return rc;
        }
        t->reprompt = true;
        if (is_label(u, "noi-nop-ho-so"))
            return say_where_any(t);
        if (is_label(u, "nop-truc-tuyen") && proc) {
            json_t *g;

            rc = guide_get(t, proc, &g);
            if (rc != -ENOENT)
                return rc ? rc : say_aspects(t, g, INTENT_ASPECT_ONLINE);
        }
        return say_meta(t, u->label);
    }
    if (place == PLACE_SET) { /* "tôi ở phường X" ... and maybe "thì nộp ở đâu" */
        if (proc && aspects) {
            rc = answer_about(t, proc, aspects);
            if (rc != -ENOENT)
                return rc;
        } else if (aspects & INTENT_ASPECT_WHERE && !t->where_done) {
            t->where_done = true;
            return say_where_any(t);
        }
        offer_place_next(t);
        return 0;
    }
    /* a question about the procedure in context, unless it names another subject */
    follow = proc && !sure_none;
    if (follow) {
        rc = answer_about(t, proc, aspects);
        if (rc != -ENOENT)
            return rc;
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

/* "tôi ở xã X huyện Y cũ thì đến đâu làm": the place is set; what is left of
 * the message is understood again without the place's words (names such as
 * "Tân Phú" or "Bình Tân" must not pass for a procedure), and answered when
 * it asks anything; otherwise the citizen is offered what to ask next. */
static int after_place(struct turn *t)
{
    const char *src = t->text ? t->text : t->u->normalized;
    size_t len = strlen(src), a = t->place_span.start, b = a + t->place_span.len;
    const struct intent_result *whole = t->u;
    const char *whole_ufolded = t->ufolded;
    struct intent_result *r = NULL;
    char *rest = NULL, saved[CONV_TEXT_FOLD_MAX];
    bool asks;
    int rc = 0;

    if (!t->cx->index || b > len || b <= a)
        return follow_understanding(t, PLACE_SET);
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
        rc = follow_understanding(t, PLACE_SET);
        goto out;
    }
    /* the rest asks something: a question aspect, or a label understanding
     * matches or hesitates over ("thì đến đâu làm" hesitates over "where to
     * submit"); greetings and thanks around an address ask nothing */
    asks = r->aspects != 0 ||
           (r->decision != INTENT_NONE && !is_label(r, "chao-hoi") && !is_label(r, "cam-on"));
    if (t->where_done && !(r->aspects & ~(unsigned)INTENT_ASPECT_WHERE))
        asks = false; /* the pending "nộp ở đâu" was just answered with the place */
    if (!asks) {
        offer_place_next(t);
        goto out;
    }
    memcpy(saved, t->folded, sizeof(saved));
    if (conv_text_fold(rest, t->folded, sizeof(t->folded)) == -EINVAL)
        t->folded[0] = '\0';
    t->u = r;
    t->ufolded = r->folded;
    rc = follow_understanding(t, PLACE_SET);
    t->u = whole;
    t->ufolded = whole_ufolded;
    memcpy(t->folded, saved, sizeof(saved));
out:
    free(r);
    free(rest);
    return rc;
}

static int handle_text(struct turn *t)
{
    enum conv_cmd cmd;
    enum place_result place;
    unsigned n = 0;
    bool done;
    int rc;
    /* an answer to the family choice offered last turn (conv_family.h) */
    const char *chosen = conv_family_take_choice(t->cx->kb, t->st, t->u);

    if (chosen)
        return answer_new(t, chosen, conv_parse_aspects(t->u->aspects), true);
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
    if (place == PLACE_SET)
        return after_place(t);
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
