/* gateway/conv/conv_guide.c - see conv_guide.h. The text of a guide's
 * answers: its summary and card, its documents and steps, one aspect of it
 * (fee, time, where, ...), a checklist question and the checklist's result.
 * Which FAQ entry or document a citizen's words ask about: conv_guide_match.c.
 * Sentences are short and say "bạn"; anything a reviewer marked "verify" is
 * said to be unconfirmed rather than stated as fact. */
#include "conv_guide.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "conv_check.h"
#include "conv_text.h"
#include "intent.h"
#include "kb_gtext.h"

#define GUIDE_URL_MAX 160 /* bytes of "/thu-tuc/<id>" */

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? s : "";
}

/* A field that is either a string or {"text": ...} (the API flattens some). */
static const char *text_of(const json_t *g, const char *k)
{
    const json_t *v = json_object_get(g, k);

    if (json_is_object(v))
        return str(v, "text");
    return json_string_value(v) ? json_string_value(v) : "";
}

static bool verify_of(const json_t *g, const char *detail)
{
    return json_is_true(json_object_get(json_object_get(g, detail), "verify"));
}

const char *conv_guide_kind_name(const char *kind)
{
    static const struct {
        const char *kind, *name;
    } names[] = {
        {"original", "bản chính"},
        {"copy", "bản sao"},
        {"certified-copy", "bản sao có chứng thực"},
        {"present", "mang bản chính để xuất trình"},
        {"original-or-certified-copy", "bản chính hoặc bản sao có chứng thực"},
    };
    size_t i;

    for (i = 0; kind && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(kind, names[i].kind) == 0)
            return names[i].name;
    return "";
}

/* "(bản chính, 2 bản)" */
static int kind_note(const json_t *doc, struct mc_buf *b)
{
    const char *k = conv_guide_kind_name(str(doc, "kind"));
    json_int_t count = json_integer_value(json_object_get(doc, "count"));

    if (!k[0])
        return 0;
    if (count > 1)
        return mc_buf_printf(b, " (%s, %" JSON_INTEGER_FORMAT " bản)", k, count);
    return mc_buf_printf(b, " (%s)", k);
}

static const char *online_sentence(const json_t *g)
{
    const char *a = str(json_object_get(g, "online"), "available");

    if (strcmp(a, "full") == 0)
        return "Nộp trực tuyến được";
    if (strcmp(a, "partial") == 0)
        return "Nộp trực tuyến được một phần";
    return "Chưa nộp trực tuyến được";
}

int conv_guide_summary(const json_t *g, struct mc_buf *b)
{
    int rc = mc_buf_printf(
        b, "%s\n• Cơ quan giải quyết: %s\n• Nơi nộp: %s\n• Thời gian: %s\n• Lệ phí: %s",
        str(g, "name"), str(g, "agency"), text_of(g, "where"), text_of(g, "processing_time"),
        text_of(g, "fee"));

    if (!rc && verify_of(g, "fee_detail"))
        rc = mc_buf_puts(b, " (mức phí đang chờ cán bộ xác nhận)");
    if (!rc)
        rc = mc_buf_printf(b, "\n• %s.", online_sentence(g));
    return rc;
}

json_t *conv_guide_card(const json_t *g)
{
    char url[GUIDE_URL_MAX];

    snprintf(url, sizeof(url), "/thu-tuc/%s", str(g, "id"));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", str(g, "id"), "title", str(g, "name"),
                     "where", text_of(g, "where"), "time", text_of(g, "processing_time"), "fee",
                     text_of(g, "fee"), "online", online_sentence(g), "url", url);
}

int conv_guide_documents(const json_t *g, struct mc_buf *b)
{
    const json_t *docs = json_object_get(g, "documents"), *doc;
    size_t i;
    int rc;

    rc = mc_buf_printf(b, "Giấy tờ cần chuẩn bị (%s):", str(g, "name"));
    json_array_foreach(docs, i, doc)
    {
        const char *when = json_string_value(json_object_get(doc, "when"));

        if (!rc)
            rc = mc_buf_printf(b, "\n%zu. %s", i + 1, str(doc, "name"));
        if (!rc)
            rc = kind_note(doc, b);
        if (!rc && when && when[0])
            rc = mc_buf_printf(b, " — chỉ cần %s", when);
    }
    return rc;
}

int conv_guide_document_answer(const json_t *g, const json_t *doc, struct mc_buf *b)
{
    const char *when = json_string_value(json_object_get(doc, "when"));
    const char *how = json_string_value(json_object_get(doc, "how_to_get"));
    int rc = mc_buf_printf(b, "%s (%s): %s", when && when[0] ? "Có thể cần" : "Cần", str(g, "name"),
                           str(doc, "name"));

    if (!rc)
        rc = kind_note(doc, b);
    if (!rc && when && when[0])
        rc = mc_buf_printf(b, " — chỉ cần %s", when);
    if (!rc)
        rc = mc_buf_puts(b, ".");
    if (!rc && how && how[0])
        rc = mc_buf_printf(b, "\n%s", how);
    return rc;
}

size_t conv_guide_step_count(const json_t *g)
{
    return json_array_size(json_object_get(g, "steps"));
}

const char *conv_guide_step_text(const json_t *g, size_t n)
{
    const json_t *s;

    if (n < 1 || n > conv_guide_step_count(g))
        return NULL;
    s = json_array_get(json_object_get(g, "steps"), n - 1);
    /* the API writes {n,text}; a bare string is accepted too */
    return json_is_object(s) ? json_string_value(json_object_get(s, "text")) : json_string_value(s);
}

int conv_guide_step(const json_t *g, size_t n, struct mc_buf *b)
{
    const char *t = conv_guide_step_text(g, n);

    if (!t)
        return -ENOENT;
    return mc_buf_printf(b, "Bước %zu/%zu: %s", n, conv_guide_step_count(g), t);
}

int conv_guide_steps(const json_t *g, struct mc_buf *b)
{
    size_t i, n = conv_guide_step_count(g);
    int rc = mc_buf_printf(b, "Các bước làm %s:", str(g, "name"));

    for (i = 1; !rc && i <= n; i++) {
        const char *t = conv_guide_step_text(g, i);

        rc = mc_buf_printf(b, "\n%zu. %s", i, t ? t : "");
    }
    return rc;
}

static int answer_fee(const json_t *g, struct mc_buf *b)
{
    const json_t *d = json_object_get(g, "fee_detail");
    const char *ex = json_string_value(json_object_get(d, "exemptions"));
    int rc = mc_buf_printf(b, "Lệ phí (%s): %s", str(g, "name"), text_of(g, "fee"));

    if (!rc && ex && ex[0])
        rc = mc_buf_printf(b, "\nMiễn, giảm: %s", ex);
    if (!rc && verify_of(g, "fee_detail"))
        rc = mc_buf_puts(b, "\n(Mức phí này đang chờ cán bộ xác nhận; bạn nên hỏi lại khi nộp.)");
    return rc;
}

static int answer_time(const json_t *g, struct mc_buf *b)
{
    int rc = mc_buf_printf(b, "Thời gian giải quyết (%s): %s", str(g, "name"),
                           text_of(g, "processing_time"));

    if (!rc && verify_of(g, "processing_time_detail"))
        rc = mc_buf_puts(b, "\n(Thời hạn này đang chờ cán bộ xác nhận.)");
    return rc;
}

static int answer_who(const json_t *g, struct mc_buf *b)
{
    const json_t *who = json_object_get(g, "who_may_submit"), *w;
    size_t i;
    int rc = mc_buf_printf(b, "Ai được nộp hồ sơ %s:", str(g, "name"));

    json_array_foreach(who, i, w)
    {
        if (!rc)
            rc = mc_buf_printf(b, "\n• %s", str(w, "who"));
        if (!rc && str(w, "proof")[0])
            rc = mc_buf_printf(b, " — mang theo: %s", str(w, "proof"));
    }
    return rc;
}

static int answer_form(const json_t *g, struct mc_buf *b)
{
    const json_t *docs = json_object_get(g, "documents"), *doc;
    size_t i, forms = 0;
    int rc = 0;

    json_array_foreach(docs, i, doc)
    {
        const json_t *f = json_object_get(doc, "form");

        if (!json_is_object(f))
            continue;
        if (forms++ == 0)
            rc = mc_buf_printf(b, "Mẫu đơn, tờ khai của %s:", str(g, "name"));
        if (!rc)
            rc = mc_buf_printf(b, "\n• %s: %s.", str(f, "name"), str(f, "code"));
        if (!rc && str(doc, "how_to_get")[0])
            rc = mc_buf_printf(b, " %s", str(doc, "how_to_get"));
    }
    if (forms == 0)
        rc = mc_buf_printf(b,
                           "%s không có mẫu tờ khai riêng; bạn chỉ cần chuẩn bị giấy tờ theo "
                           "danh sách.",
                           str(g, "name"));
    return rc;
}

static int answer_online(const json_t *g, struct mc_buf *b)
{
    const json_t *o = json_object_get(g, "online"), *l;
    size_t i;
    int rc = mc_buf_printf(b, "%s (%s). %s", online_sentence(g), str(g, "name"), str(o, "text"));

    json_array_foreach(json_object_get(o, "links"), i, l)
    {
        if (!rc && json_is_string(l))
            rc = mc_buf_printf(b, "%s%s", i == 0 ? "\nĐịa chỉ: " : ", ", json_string_value(l));
    }
    return rc;
}

static int answer_result(const json_t *g, struct mc_buf *b)
{
    return mc_buf_printf(b, "Kết quả bạn nhận được: %s\nThời gian: %s", str(g, "result"),
                         text_of(g, "processing_time"));
}

static int answer_where(const json_t *g, struct mc_buf *b)
{
    int rc = mc_buf_printf(b, "Nơi nộp hồ sơ (%s): %s", str(g, "name"), text_of(g, "where"));

    if (!rc && verify_of(g, "where_detail"))
        rc = mc_buf_puts(b, " (nơi nộp đang chờ cán bộ xác nhận)");
    return rc;
}

static int answer_legal(const json_t *g, struct mc_buf *b)
{
    const json_t *l;
    size_t i, n = 0;
    int rc = 0;

    json_array_foreach(json_object_get(g, "legal_basis"), i, l)
    {
        if (!json_is_string(l))
            continue;
        if (n++ == 0)
            rc = mc_buf_printf(b, "Căn cứ pháp lý của %s:", str(g, "name"));
        if (!rc)
            rc = mc_buf_printf(b, "\n• %s", json_string_value(l));
        if (rc)
            return rc;
    }
    return n ? 0 : -ENOENT;
}

static int aspect(const json_t *g, const struct kb_gtext *x, unsigned bit, const char *folded,
                  struct mc_buf *b)
{
    const json_t *faq;

    switch (bit) {
    case INTENT_ASPECT_FEE:
        return answer_fee(g, b);
    case INTENT_ASPECT_TIME:
        return answer_time(g, b);
    case INTENT_ASPECT_DOCUMENTS:
        return conv_guide_documents(g, b);
    case INTENT_ASPECT_WHERE:
        return answer_where(g, b);
    case INTENT_ASPECT_ONLINE:
        return answer_online(g, b);
    case INTENT_ASPECT_WHO:
        return answer_who(g, b);
    case INTENT_ASPECT_FORM:
        return answer_form(g, b);
    case INTENT_ASPECT_RESULT:
        return answer_result(g, b);
    case INTENT_ASPECT_LEGAL:
        return answer_legal(g, b);
    case INTENT_ASPECT_CONDITION:
        faq = !folded ? NULL : x ? conv_guide_faq_in(x, folded) : conv_guide_faq(g, folded);
        if (!faq)
            return -ENOENT;
        return mc_buf_printf(b, "%s\n%s", str(faq, "q"), str(faq, "a"));
    default:
        return -ENOENT; /* steps and hours are flows or office facts, not guide text */
    }
}

int conv_guide_aspect(const json_t *g, unsigned bit, const char *folded, struct mc_buf *b)
{
    return aspect(g, NULL, bit, folded, b);
}

int conv_guide_aspect_in(const struct kb_gtext *x, unsigned bit, const char *folded,
                         struct mc_buf *b)
{
    return aspect(x->guide, x, bit, folded, b);
}

int conv_guide_question(const struct conv_question *q, struct mc_buf *b)
{
    const char *ask = json_string_value(json_object_get(q->doc, "ask"));
    const char *when = json_string_value(json_object_get(q->doc, "when"));
    int rc = mc_buf_printf(b, "Câu %zu/%zu. ", q->n, q->total);

    if (rc)
        return rc;
    if (q->kind == CONV_Q_CONDITION) {
        if (ask && ask[0])
            return mc_buf_puts(b, ask);
        return mc_buf_printf(b, "Trường hợp của bạn có phải là: %s?", when ? when : "");
    }
    rc = mc_buf_printf(b, "Bạn đã có %s chưa?", str(q->doc, "name"));
    if (!rc)
        rc = kind_note(q->doc, b);
    return rc;
}

static int list_items(const json_t *items, const char *status, const char *head, bool how,
                      struct mc_buf *b)
{
    const json_t *it;
    size_t i, n = 0;
    int rc = 0;

    json_array_foreach(items, i, it)
    {
        if (strcmp(str(it, "status"), status) != 0)
            continue;
        if (n++ == 0 && b->len == 0)
            rc = mc_buf_puts(b, head);
        else if (n == 1)
            rc = mc_buf_printf(b, "\n%s", head);
        if (!rc)
            rc = mc_buf_printf(b, "\n• %s", str(it, "name"));
        if (!rc && how && str(it, "how_to_get")[0])
            rc = mc_buf_printf(b, "\n  Cách có: %s", str(it, "how_to_get"));
        if (rc)
            return rc;
    }
    return 0;
}

static size_t count_status(const json_t *items, const char *status)
{
    const json_t *it;
    size_t i, n = 0;

    json_array_foreach(items, i, it) if (strcmp(str(it, "status"), status) == 0) n++;
    return n;
}

int conv_guide_checklist(const json_t *list, struct mc_buf parts[CONV_GUIDE_CHECKLIST_PARTS])
{
    const json_t *items = json_object_get(list, "items"), *r;
    size_t i;
    int rc;

    rc = mc_buf_printf(&parts[0],
                       "Kết quả kiểm tra hồ sơ %s: đã có %zu, còn thiếu %zu, chưa rõ %zu, "
                       "không cần %zu giấy tờ.",
                       str(list, "title"), count_status(items, "ready"),
                       count_status(items, "missing"), count_status(items, "unknown"),
                       count_status(items, "not_needed"));
    if (!rc && json_is_true(json_object_get(list, "complete")))
        rc = mc_buf_puts(&parts[0], " Hồ sơ của bạn đã đủ giấy tờ theo hướng dẫn.");
    if (!rc)
        rc = list_items(items, "ready", "Đã có:", false, &parts[0]);
    if (!rc)
        rc = mc_buf_puts(&parts[0], "\nBạn có thể xem lại danh sách này bất cứ lúc nào: nhắn "
                                    "\"xem lại danh sách\".");
    if (!rc)
        rc = list_items(items, "missing", "Còn thiếu:", true, &parts[1]);
    if (!rc)
        rc = list_items(items, "unknown", "Chưa rõ (nên hỏi cán bộ hoặc kiểm tra lại):", true,
                        &parts[2]);
    if (!rc)
        rc = list_items(items, "not_needed", "Không cần trong trường hợp của bạn:", false,
                        &parts[2]);
    json_array_foreach(json_object_get(list, "return_reasons"), i, r)
    {
        if (!rc && i == 0)
            rc = mc_buf_puts(&parts[3], "Hồ sơ hay bị trả lại vì:");
        if (!rc && json_is_string(r))
            rc = mc_buf_printf(&parts[3], "\n• %s", json_string_value(r));
    }
    return rc;
}
