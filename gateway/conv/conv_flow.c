/* gateway/conv/conv_flow.c - the two flows a conversation can be in (the
 * steps one at a time, the dossier pre-check), what brings the citizen back
 * to them after an aside, the commands that move through them ("tiếp",
 * "quay lại", "có", "hủy"), and the quick-reply payloads. See conv_turn.h. */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv_check.h"
#include "conv_family.h"
#include "conv_guide.h"
#include "conv_out.h"
#include "conv_parse.h"
#include "conv_turn.h"
#include "intent.h"
#include "kb.h"
#include "mc_buf.h"

/* ---- steps -------------------------------------------------------------- */

/* Shows step n (clamped to the guide) and makes stepping the active flow. */
int turn_say_step(struct turn *t, const json_t *g, size_t n, const char *note)
{
    const char *id = turn_sget(g, "id");
    size_t total = conv_guide_step_count(g);
    struct mc_buf b;
    int rc;

    if (total == 0)
        return -ENOENT;
    if (n < 1)
        n = 1;
    if (n > total)
        n = total;
    turn_end_flow(t);
    turn_set(t, "flow", json_string("steps"));
    turn_set(t, "step", json_integer((json_int_t)n));
    turn_answered(t, 0, INTENT_ASPECT_STEPS);
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
    const char *id = turn_sget(g, "id");
    int rc = turn_say_guide_text(t, g, conv_guide_steps);

    conv_out_set(&t->out, "steps", conv_guide_steps_block(g));
    /* stepping stays the flow, so "quay lại" or "bước 3" still mean steps */
    if (!turn_flow_is(t, "steps")) {
        turn_end_flow(t);
        turn_set(t, "flow", json_string("steps"));
        turn_set(t, "step", json_integer(1));
    }
    conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", id);
    conv_out_qr(&t->out, "Giấy tờ cần chuẩn bị", "docs:%s", id);
    conv_out_qr(&t->out, "Nộp ở đâu", "where:%s", id);
    conv_out_qr(&t->out, "Nộp trực tuyến", "online:%s", id);
    return rc;
}

/* ---- pre-check ---------------------------------------------------------- */

/* Says the checklist list (conv_check_list(), stolen) as the citizen's
 * messages, in conv_guide_checklist()'s parts, and sets it as the reply's
 * "checklist" block. Returns 0 or -ENOMEM/-E2BIG. */
static int say_checklist_list(struct turn *t, json_t *list)
{
    struct mc_buf parts[CONV_GUIDE_CHECKLIST_PARTS];
    size_t i;
    int rc;

    for (i = 0; i < CONV_GUIDE_CHECKLIST_PARTS; i++)
        mc_buf_init(&parts[i], CONV_TEXT_MAX);
    rc = conv_guide_checklist(list, parts);
    for (i = 0; !rc && i < CONV_GUIDE_CHECKLIST_PARTS; i++)
        conv_out_buf(&t->out, &parts[i]);
    for (i = 0; i < CONV_GUIDE_CHECKLIST_PARTS; i++)
        mc_buf_fini(&parts[i]);
    conv_out_set(&t->out, "checklist", list);
    return rc;
}

static int finish_check(struct turn *t, const json_t *g)
{
    json_t *statuses = json_object(), *list = NULL;
    const char *id = turn_sget(g, "id");
    struct conv_question q;
    int rc;

    if (!statuses)
        return -ENOMEM;
    rc = conv_check_walk(g, json_object_get(t->st, "check"), &q, statuses);
    if (rc < 0) {
        json_decref(statuses);
        return rc;
    }
    turn_end_flow(t);
    turn_set(t, "checklist", json_pack("{s:s,s:O}", "procedure", id, "items", statuses));
    list = conv_check_list(g, statuses);
    json_decref(statuses);
    if (!list)
        return -ENOMEM;
    rc = say_checklist_list(t, list);
    /* the end of a pre-check asks whether it helped (gateway/feedback.h draws
     * the question per channel; the reopened checklist does not ask again) */
    conv_out_set(&t->out, "feedback", json_pack("{s:s}", "question", "Có giúp được bạn không?"));
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
                           turn_sget(q.doc, "id"), "n", (json_int_t)q.n, "total",
                           (json_int_t)q.total));
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

    turn_end_flow(t);
    turn_set(t, "flow", json_string("check"));
    turn_set(t, "check", conv_check_new());
    snprintf(lead, sizeof(lead),
             "Mình cùng kiểm tra hồ sơ %s nhé. Tôi hỏi lần lượt từng giấy tờ; bạn trả lời Có, "
             "Chưa có hoặc Không rõ.",
             turn_sget(g, "name") ? turn_sget(g, "name") : "");
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
    const char *id = turn_sget(cl, "procedure");
    const json_t *g;
    json_t *list;
    int rc;

    if (!id) {
        const char *proc = turn_proc(t);

        conv_out_text(&t->out, "Bạn chưa kiểm tra hồ sơ nào trong lần trò chuyện này.");
        if (proc)
            conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", proc);
        return 0;
    }
    rc = turn_guide_get(t, id, &g);
    if (rc)
        return rc;
    list = conv_check_list(g, json_object_get(cl, "items"));
    if (!list)
        return -ENOMEM;
    rc = say_checklist_list(t, list);
    if (!turn_in_flow(t)) {
        turn_set_procedure(t, id);
        conv_out_qr(&t->out, "Nộp ở đâu", "where:%s", id);
        conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", id);
        conv_out_qr(&t->out, "Các bước thực hiện", "steps:%s", id);
    }
    return 0;
}

/* ---- after an aside ----------------------------------------------------- */

/* Repeats where an active flow stands, after an aside. */
int turn_reprompt(struct turn *t)
{
    const char *proc = turn_proc(t);
    const json_t *g;
    int rc;

    if (!proc || !turn_in_flow(t))
        return 0;
    rc = turn_guide_get(t, proc, &g);
    if (rc)
        return rc == -ENOENT ? 0 : rc;
    if (turn_flow_is(t, "check"))
        return ask_question(t, g, "Mình tiếp tục kiểm tra hồ sơ nhé.");
    if (turn_flow_is(t, "steps")) {
        json_int_t n = json_integer_value(json_object_get(t->st, "step"));

        return turn_say_step(t, g, n > 0 ? (size_t)n : 1, "Mình tiếp tục các bước nhé.");
    }
    return 0;
}

/* ---- commands ----------------------------------------------------------- */

/* The command cmd from a button or typed text, where it makes sense.
 * Sets *done when the turn is answered. */
int turn_do_command(struct turn *t, enum conv_cmd cmd, unsigned n, bool *done)
{
    const char *proc = turn_proc(t);
    const json_t *g = NULL;
    int rc = 0;

    *done = false;
    if (proc) {
        rc = turn_guide_get(t, proc, &g);
        if (rc == -ENOENT) { /* the guide left the knowledge base: forget it */
            json_object_del(t->st, "procedure");
            turn_end_flow(t);
            g = NULL;
            proc = NULL;
            rc = 0;
        }
        if (rc)
            return rc;
    }
    if (turn_flow_is(t, "check") && g) {
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
            turn_end_flow(t);
            conv_out_text(&t->out, "Đã dừng kiểm tra hồ sơ. Khi cần, bạn chọn \"Kiểm tra hồ sơ\" "
                                   "để làm lại từ đầu.");
            turn_qr_menu(t, proc);
            return 0;
        case CONV_CMD_DOCS:
            t->reprompt = true;
            return turn_say_documents(t, g);
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
    if (turn_flow_is(t, "steps") && g) {
        json_int_t cur = json_integer_value(json_object_get(t->st, "step"));
        size_t total = conv_guide_step_count(g);

        *done = true;
        switch (cmd) {
        case CONV_CMD_MORE:
            if (cur >= (json_int_t)total) {
                turn_end_flow(t);
                conv_out_text(&t->out, "Bạn đã xem hết các bước.");
                return turn_say_more(t, g);
            }
            return turn_say_step(t, g, (size_t)cur + 1, NULL);
        case CONV_CMD_NEXT:
            if (cur >= (json_int_t)total)
                return turn_say_step(t, g, total, "Bạn đã xem hết các bước.");
            return turn_say_step(t, g, (size_t)cur + 1, NULL);
        case CONV_CMD_PREV:
            if (cur <= 1)
                return turn_say_step(t, g, 1, "Đây là bước đầu tiên.");
            return turn_say_step(t, g, (size_t)cur - 1, NULL);
        case CONV_CMD_STEP:
        case CONV_CMD_NUMBER:
            if (n > total) {
                char note[96];

                snprintf(note, sizeof(note), "Thủ tục này có %zu bước.", total);
                return turn_say_step(t, g, total, note);
            }
            return turn_say_step(t, g, n, NULL);
        case CONV_CMD_ALL:
            return say_steps_all(t, g);
        case CONV_CMD_RESTART:
            return turn_say_step(t, g, 1, NULL);
        case CONV_CMD_STEPS:
            return turn_say_step(t, g, cur > 0 ? (size_t)cur : 1, NULL);
        case CONV_CMD_DOCS:
            t->reprompt = true;
            return turn_say_documents(t, g);
        case CONV_CMD_CANCEL:
            turn_end_flow(t);
            conv_out_text(&t->out, "Vâng, tôi dừng xem các bước ở đây. Bạn cần gì thêm?");
            turn_qr_menu(t, proc);
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
        return turn_say_documents(t, g);
    case CONV_CMD_MORE:
        if (g)
            return turn_say_more(t, g);
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
            return turn_qr_popular(t);
        }
        if (cmd == CONV_CMD_ALL)
            return say_steps_all(t, g);
        if (cmd == CONV_CMD_CHECK)
            return start_check(t, g);
        return turn_say_step(t, g, cmd == CONV_CMD_STEP ? n : 1, NULL);
    case CONV_CMD_CHECKLIST:
        return say_checklist(t);
    case CONV_CMD_CANCEL:
        conv_out_text(&t->out, "Vâng ạ. Khi cần, bạn cứ nhắn cho tôi.");
        if (proc)
            turn_qr_menu(t, proc);
        return 0;
    case CONV_CMD_RESTART: {
        json_t *loc = json_object_get(t->st, "locality"), *keep = loc ? json_incref(loc) : NULL;

        json_object_clear(t->st); /* a new start keeps only where the citizen lives */
        turn_set(t, "v", json_integer(CONV_STATE_VERSION));
        if (keep)
            turn_set(t, "locality", keep);
        return turn_say_greeting(t);
    }
    default:
        break;
    }
    *done = false;
    return 0;
}

/* ---- payloads ----------------------------------------------------------- */

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
    return turn_id_ok(id) && kb_meta(t->cx->kb, id) != NULL;
}

int turn_handle_payload(struct turn *t, const char *p)
{
    static const struct {
        const char *word;
        enum conv_cmd cmd;
    } words[] = {{"next", CONV_CMD_NEXT},           {"prev", CONV_CMD_PREV},
                 {"cancel", CONV_CMD_CANCEL},       {"restart", CONV_CMD_RESTART},
                 {"checklist", CONV_CMD_CHECKLIST}, {"ans:yes", CONV_CMD_YES},
                 {"ans:no", CONV_CMD_NO},           {"ans:unknown", CONV_CMD_UNKNOWN}};
    const char *rest;
    const json_t *g;
    size_t i;
    bool done;
    int rc = -ENOENT;

    (void)conv_family_take_choice(t->cx->kb, t->st, NULL); /* a button ends the family choice */
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcmp(p, words[i].word) != 0)
            continue;
        rc = turn_do_command(t, words[i].cmd, 0, &done);
        if (!rc && !done) {
            conv_out_text(&t->out, "Lựa chọn này không còn dùng được nữa. Bạn cần hỏi gì tiếp?");
            if (turn_proc(t))
                turn_qr_menu(t, turn_proc(t));
        }
        return rc;
    }
    if (payload_is(p, "proc", &rest)) {
        if (!kb_is_procedure(t->cx->kb, rest) && is_meta(t, rest))
            return turn_say_meta(t, rest);
        rc = turn_with_procedure(t, rest, &g);
        if (!rc) {
            turn_end_flow(t);
            rc = turn_say_card(t, g);
        }
    } else if (payload_is(p, "docs", &rest)) {
        rc = turn_with_procedure(t, rest, &g);
        if (!rc)
            rc = turn_say_documents(t, g);
    } else if (payload_is(p, "steps", &rest)) {
        rc = turn_with_procedure(t, rest, &g);
        if (!rc)
            rc = turn_say_step(t, g, 1, NULL);
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
        rc = turn_with_procedure(t, id, &g);
        if (!rc)
            rc = turn_say_step(t, g, (size_t)n, NULL);
    } else if (payload_is(p, "all", &rest)) {
        rc = turn_with_procedure(t, rest, &g);
        if (!rc)
            rc = say_steps_all(t, g);
    } else if (payload_is(p, "check", &rest)) {
        rc = turn_with_procedure(t, rest, &g);
        if (!rc)
            rc = start_check(t, g);
    } else if (payload_is(p, "where", &rest)) {
        rc = turn_with_procedure(t, rest, &g);
        if (!rc)
            rc = turn_say_where(t, g);
        t->reprompt = true;
    } else if (payload_is(p, "online", &rest)) {
        rc = turn_with_procedure(t, rest, &g);
        if (!rc)
            rc = turn_say_aspects(t, g, INTENT_ASPECT_ONLINE);
    } else if (payload_is(p, "meta", &rest)) {
        rc = turn_id_ok(rest) ? turn_say_meta(t, rest) : -ENOENT;
        t->reprompt = true;
    } else if (payload_is(p, "unit", &rest)) {
        rc = turn_choose_unit(t, rest);
    }
    return rc;
}
