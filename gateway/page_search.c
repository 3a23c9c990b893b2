/* gateway/page_search.c - the guide search page, /thu-tuc?q=... (page.h).
 * The ranking is the officials' assistant's (officer_assist_search): the
 * understanding of the question as a citizen types it ("dk khai sinh cho
 * be", no diacritics), then the guides whose names hold its words, so the
 * page, the bot and the desk find the same guides. */
#include "page.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mc_buf.h"
#include "mc_utf8.h"
#include "officer_assist.h"
#include "page_int.h"

/* A question understood as out of scope lists only guides that matched by
 * name at least this well (the assistant's "every word of the query is a
 * word of a name"): its understanding candidates are guesses. */
#define PAGE_SEARCH_NONE_MIN 0.6

enum problem { P_NONE, P_EMPTY, P_LONG, P_UTF8 };

static bool is_blank(const char *q, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (!strchr(" \t\r\n", q[i]))
            return false;
    return true;
}

static int results(struct mc_buf *b, const json_t *res)
{
    const char *decision =
        json_string_value(json_object_get(json_object_get(res, "understanding"), "decision"));
    bool none = decision && strcmp(decision, "none") == 0;
    const json_t *x;
    size_t i, n = 0;
    int rc = 0;

    json_array_foreach(json_object_get(res, "results"), i, x)
    {
        const char *id = json_string_value(json_object_get(x, "procedure"));
        const char *name = json_string_value(json_object_get(x, "name"));

        if (!id || !name ||
            (none && json_real_value(json_object_get(x, "score")) < PAGE_SEARCH_NONE_MIN))
            continue;
        if (!n++)
            rc |= mc_buf_puts(b, "<h2 id=\"results-h\">Các thủ tục phù hợp</h2>"
                                 "<ol class=\"results\" aria-labelledby=\"results-h\">");
        rc |= mc_buf_printf(b, "<li><a href=\"/thu-tuc/%s\">", id); /* ids are [a-z0-9-] */
        rc |= mc_buf_put_html(b, name);
        rc |= mc_buf_puts(b, "</a></li>");
    }
    if (n)
        return rc | mc_buf_puts(b, "</ol>");
    return rc | mc_buf_puts(b, "<p class=\"empty\">Không tìm thấy thủ tục nào phù hợp. Hãy thử "
                               "gõ tên thủ tục ngắn hơn (ví dụ “khai sinh”, “tạm trú”), hoặc xem "
                               "<a href=\"/thu-tuc\">danh sách tất cả thủ tục</a>.</p>");
}

int page_search(const struct kb *kb, const struct intent_index *idx, const char *q, size_t len,
                unsigned *status, char **html)
{
    enum problem p = P_NONE;
    struct mc_buf b;
    json_t *res = NULL;
    int rc = 0, src;

    if (len > PAGE_SEARCH_QUERY_MAX)
        p = P_LONG;
    else if (!mc_utf8_is_valid(q, len) || memchr(q, '\0', len))
        p = P_UTF8;
    else if (is_blank(q, len))
        p = P_EMPTY;
    if (p == P_NONE) {
        src = officer_assist_search(kb, idx, q, len, &res);
        if (src == -ENOMEM)
            return -ENOMEM;
        if (src) /* -EINVAL/-E2BIG were ruled out above: a bug, said plainly */
            p = P_UTF8;
    }
    *status = p == P_LONG || p == P_UTF8 ? 400 : 200;
    mc_buf_init(&b, PAGE_MAX);
    rc |= page_head(&b, kb, p == P_NONE ? "Kết quả tìm thủ tục" : "Tìm thủ tục");
    rc |= mc_buf_puts(&b, "<p class=\"crumb\"><a href=\"/thu-tuc\">Thủ tục</a> › Tìm kiếm</p>");
    if (p == P_NONE) {
        rc |= mc_buf_puts(&b, "<h1>Kết quả tìm: “");
        rc |= mc_buf_put_html(&b, json_string_value(json_object_get(res, "query")));
        rc |= mc_buf_puts(&b, "”</h1>");
    } else {
        rc |= mc_buf_puts(&b, "<h1>Tìm thủ tục</h1>");
    }
    /* the box shows the query again so it can be corrected (not a long or
     * broken one: that is what is being refused) */
    rc |=
        page_search_form(&b, p == P_NONE ? json_string_value(json_object_get(res, "query")) : NULL);
    if (p == P_EMPTY)
        rc |= mc_buf_puts(&b, "<p class=\"empty\">Hãy gõ tên thủ tục hoặc câu hỏi của bạn, ví "
                              "dụ “đăng ký khai sinh cho con”, rồi bấm Tìm.</p>");
    else if (p == P_LONG)
        rc |= mc_buf_printf(&b,
                            "<p class=\"empty\" role=\"alert\">Câu tìm kiếm dài quá. Hãy gõ "
                            "ngắn hơn (tối đa %d ký tự), ví dụ “đăng ký tạm trú”.</p>",
                            PAGE_SEARCH_CHARS);
    else if (p == P_UTF8)
        rc |= mc_buf_puts(&b, "<p class=\"empty\" role=\"alert\">Không đọc được câu tìm kiếm. "
                              "Hãy gõ lại.</p>");
    else
        rc |= results(&b, res);
    rc |= page_tail(&b);
    json_decref(res);
    if (rc) {
        mc_buf_fini(&b);
        return -E2BIG;
    }
    *html = mc_buf_steal(&b);
    return *html ? 0 : -ENOMEM;
}
