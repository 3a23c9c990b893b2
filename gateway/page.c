/* gateway/page.c - see page.h: the frame, the index and one guide. The
 * search page is page_search.c, the office block and the QR page_office.c. */
#include "page.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb.h"
#include "kb_local.h"
#include "mc_buf.h"
#include "page_int.h"
#include "qr.h"

static const struct {
    const char *id, *name;
} domains[] = {
    {"ho-tich", "Hộ tịch"},
    {"chung-thuc", "Chứng thực"},
    {"cu-tru", "Cư trú, giấy tờ tùy thân"},
    {"tu-phap", "Tư pháp"},
    {"giao-thong", "Giao thông"},
    {"dat-dai", "Đất đai"},
    {"xay-dung", "Xây dựng"},
    {"kinh-doanh", "Kinh doanh"},
    {"xa-hoi", "Xã hội"},
    {"lao-dong", "Lao động"},
    {"bao-hiem", "Bảo hiểm"},
    {"giao-duc", "Giáo dục"},
    {"nuoi-con-nuoi", "Nuôi con nuôi"},
    {"hoa-giai", "Hòa giải ở cơ sở"},
    {"khieu-nai-to-cao", "Khiếu nại, tố cáo"},
    {"toa-an", "Tòa án"},
    {"xuat-nhap-canh", "Xuất nhập cảnh"},
    {"an-ninh-trat-tu", "An ninh, trật tự"},
    {"phong-chay-chua-chay", "Phòng cháy, chữa cháy"},
    {"duong-thuy", "Đường thủy nội địa"},
    {"nha-o", "Nhà ở"},
    {"hop-tac-xa", "Hợp tác xã, tổ hợp tác"},
    {"nguoi-co-cong", "Người có công"},
    {"nong-nghiep", "Nông nghiệp"},
    {"lam-nghiep", "Lâm nghiệp"},
    {"thuy-san", "Thủy sản, biển"},
    {"thuy-loi", "Thủy lợi"},
    {"phong-chong-thien-tai", "Phòng, chống thiên tai"},
    {"moi-truong", "Môi trường"},
};

/* True if domain id is one of the table's. */
static bool domain_known(const char *id)
{
    size_t i;

    for (i = 0; id && i < sizeof(domains) / sizeof(domains[0]); i++)
        if (strcmp(domains[i].id, id) == 0)
            return true;
    return false;
}

static const char *domain_name(const char *id)
{
    size_t i;

    for (i = 0; id && i < sizeof(domains) / sizeof(domains[0]); i++)
        if (strcmp(domains[i].id, id) == 0)
            return domains[i].name;
    return id ? id : "";
}

/* The page's head, with the commune's name above the content when the
 * deployment has one (locality.default or the office set up in the console),
 * so a printout says whose guide it is. */
int page_head(struct mc_buf *b, const struct kb *kb, const char *title)
{
    const char *commune = kb ? kb_commune_name(kb, kb_default_locality(kb, "")) : NULL;
    int rc =
        mc_buf_puts(b, "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                       "<title>");

    rc |= mc_buf_put_html(b, title);
    rc |= mc_buf_puts(b, " — Một cửa</title><link rel=\"stylesheet\" href=\"/guide.css\">"
                         "</head><body><main>");
    if (commune) {
        rc |= mc_buf_puts(b, "<p class=\"commune\">");
        rc |= mc_buf_put_html(b, commune);
        rc |= mc_buf_puts(b, "</p>");
    }
    return rc;
}

int page_tail(struct mc_buf *b)
{
    return mc_buf_puts(b, "</main></body></html>\n");
}

int page_search_form(struct mc_buf *b, const char *value)
{
    int rc = mc_buf_printf(b,
                           "<form class=\"search noprint\" role=\"search\" action=\"/thu-tuc\" "
                           "method=\"get\"><label for=\"q\">Tìm thủ tục</label>"
                           "<span class=\"search-row\"><input id=\"q\" name=\"q\" type=\"search\" "
                           "maxlength=\"%d\" autocomplete=\"off\" "
                           "placeholder=\"Ví dụ: đăng ký khai sinh\" value=\"",
                           PAGE_SEARCH_CHARS);

    rc |= mc_buf_put_html(b, value ? value : "");
    rc |= mc_buf_puts(b, "\"><button type=\"submit\">Tìm</button></span></form>");
    return rc;
}

static const char *js(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? s : "";
}

/* A field an official has not confirmed yet says so where it is read. */
int page_verify_mark(struct mc_buf *b, const json_t *x)
{
    if (!json_is_true(json_object_get(x, "verify")))
        return 0;
    return mc_buf_puts(b, " <span class=\"verify\">(đang chờ cán bộ xác minh)</span>");
}

static int section_list(struct mc_buf *b, const char *title, json_t *arr, const char *key,
                        bool ordered)
{
    json_t *x;
    size_t i;
    int rc = 0;

    if (!json_array_size(arr))
        return 0;
    rc |= mc_buf_puts(b, "<h2>");
    rc |= mc_buf_put_html(b, title);
    rc |= mc_buf_puts(b, ordered ? "</h2><ol>" : "</h2><ul>");
    json_array_foreach(arr, i, x)
    {
        rc |= mc_buf_puts(b, "<li>");
        rc |= mc_buf_put_html(b, key ? js(x, key) : json_string_value(x));
        rc |= page_verify_mark(b, x);
        rc |= mc_buf_puts(b, "</li>");
    }
    rc |= mc_buf_puts(b, ordered ? "</ol>" : "</ul>");
    return rc;
}

static const char *kind_text(const char *kind)
{
    if (strcmp(kind, "original") == 0)
        return "bản chính";
    if (strcmp(kind, "copy") == 0)
        return "bản sao";
    if (strcmp(kind, "certified-copy") == 0)
        return "bản sao có chứng thực";
    if (strcmp(kind, "present") == 0)
        return "xuất trình bản chính";
    return "bản chính hoặc bản sao có chứng thực";
}

/* A local note of the commune (kb_local.h) under the reviewed fact. */
static int local_note(struct mc_buf *b, const struct kb *kb, const json_t *g, const char *kind)
{
    const char *note = kb_local_note(kb, json_string_value(json_object_get(g, "id")), kind);
    int rc = 0;

    if (note) {
        rc |= mc_buf_puts(b, "<br><span class=\"local-note\">");
        rc |= mc_buf_put_html(b, note);
        rc |= mc_buf_puts(b, "</span>");
    }
    return rc;
}

static int render_guide(struct mc_buf *b, const struct kb *kb, const json_t *g, const char *url)
{
    json_t *docs = json_object_get(g, "documents"), *d, *faq = json_object_get(g, "faq"), *x;
    size_t i;
    int rc = 0;

    rc |= page_head(b, kb, js(g, "name"));
    rc |= page_search_form(b, NULL);
    rc |= mc_buf_puts(b, "<p class=\"crumb\"><a href=\"/thu-tuc\">Thủ tục</a> › ");
    rc |= mc_buf_put_html(b, domain_name(js(g, "domain")));
    rc |= mc_buf_puts(b, "</p><h1>");
    rc |= mc_buf_put_html(b, js(g, "name"));
    rc |= mc_buf_puts(b, "</h1><dl class=\"facts\"><dt>Cơ quan giải quyết</dt><dd>");
    rc |= mc_buf_put_html(b, js(g, "agency"));
    rc |= mc_buf_puts(b, "</dd><dt>Nộp ở đâu</dt><dd>");
    rc |= mc_buf_put_html(b, js(g, "where"));
    rc |= mc_buf_puts(b, "</dd><dt>Thời gian giải quyết</dt><dd>");
    rc |= mc_buf_put_html(b, js(g, "processing_time"));
    rc |= local_note(b, kb, g, KB_LOCAL_TIME);
    rc |= mc_buf_puts(b, "</dd><dt>Lệ phí</dt><dd>");
    rc |= mc_buf_put_html(b, js(g, "fee"));
    rc |= local_note(b, kb, g, KB_LOCAL_FEE);
    rc |= mc_buf_puts(b, "</dd><dt>Kết quả</dt><dd>");
    rc |= mc_buf_put_html(b, js(g, "result"));
    rc |= mc_buf_puts(b, "</dd><dt>Nộp trực tuyến</dt><dd>");
    rc |= mc_buf_put_html(b, js(json_object_get(g, "online"), "text"));
    rc |= mc_buf_puts(b, "</dd></dl>");
    rc |= page_office_block(b, kb);
    rc |= section_list(b, "Các bước thực hiện", json_object_get(g, "steps"), "text", true);
    rc |= mc_buf_puts(b, "<h2>Giấy tờ cần chuẩn bị</h2><ul class=\"docs\">");
    json_array_foreach(docs, i, d)
    {
        json_t *form = json_object_get(d, "form");
        const char *when = json_string_value(json_object_get(d, "when"));

        rc |= mc_buf_puts(b, "<li><strong>");
        rc |= mc_buf_put_html(b, js(d, "name"));
        rc |= mc_buf_printf(b, "</strong> (%s", kind_text(js(d, "kind")));
        if (json_integer_value(json_object_get(d, "count")) > 1)
            rc |=
                mc_buf_printf(b, ", %d bản", (int)json_integer_value(json_object_get(d, "count")));
        rc |= mc_buf_puts(b, ")");
        if (when && when[0]) {
            rc |= mc_buf_puts(b, " — <em>");
            rc |= mc_buf_put_html(b, when);
            rc |= mc_buf_puts(b, "</em>");
        }
        if (json_is_object(form)) {
            rc |= mc_buf_puts(b, "<br>Mẫu: ");
            rc |= mc_buf_put_html(b, js(form, "name"));
            if (js(form, "code")[0]) {
                rc |= mc_buf_puts(b, " (");
                rc |= mc_buf_put_html(b, js(form, "code"));
                rc |= mc_buf_puts(b, ")");
            }
        }
        rc |= page_verify_mark(b, d);
        rc |= mc_buf_puts(b, "</li>");
    }
    rc |= mc_buf_puts(b, "</ul>");
    rc |= section_list(b, "Hồ sơ hay bị trả lại vì", json_object_get(g, "return_reasons"), NULL,
                       false);
    if (json_array_size(faq)) {
        rc |= mc_buf_puts(b, "<h2>Câu hỏi thường gặp</h2><dl class=\"faq\">");
        json_array_foreach(faq, i, x)
        {
            rc |= mc_buf_puts(b, "<dt>");
            rc |= mc_buf_put_html(b, js(x, "q"));
            rc |= mc_buf_puts(b, "</dt><dd>");
            rc |= mc_buf_put_html(b, js(x, "a"));
            rc |= page_verify_mark(b, x);
            rc |= mc_buf_puts(b, "</dd>");
        }
        rc |= mc_buf_puts(b, "</dl>");
    }
    rc |= section_list(b, "Căn cứ pháp lý", json_object_get(g, "legal_basis"), NULL, false);
    rc |= mc_buf_puts(b, "<p class=\"meta\">Mã thủ tục trên Cổng Dịch vụ công quốc gia: ");
    json_array_foreach(json_object_get(g, "portal_codes"), i, x)
    {
        rc |= mc_buf_puts(b, i ? ", " : "");
        rc |= mc_buf_put_html(b, json_string_value(x));
    }
    if (!json_array_size(json_object_get(g, "portal_codes")))
        rc |= mc_buf_puts(b, "chưa có");
    if (js(g, "reviewed")[0]) {
        rc |= mc_buf_puts(b, ". Cán bộ rà soát ngày ");
        rc |= mc_buf_put_html(b, js(g, "reviewed"));
    } else {
        rc |= mc_buf_puts(b, ". Hướng dẫn này chưa được cán bộ rà soát");
    }
    if (json_array_size(json_object_get(g, "verify")))
        rc |= mc_buf_puts(b, ". Một số thông tin đang chờ cán bộ xác minh; hãy hỏi lại nơi nộp "
                             "hồ sơ trước khi đi.");
    rc |= mc_buf_puts(b, "</p>");
    if (url)
        rc |= page_qr(b, url);
    rc |= mc_buf_puts(b, "<p class=\"noprint\"><button onclick=\"print()\">In trang này</button>"
                         "</p>");
    rc |= page_tail(b);
    return rc ? -E2BIG : 0;
}

static int render_index(struct mc_buf *b, const struct kb *kb, const json_t *list)
{
    json_t *x;
    size_t i, k;
    int rc = 0;

    rc |= page_head(b, kb, "Thủ tục hành chính");
    rc |= mc_buf_puts(b, "<h1>Thủ tục hành chính thường gặp</h1>");
    rc |= page_search_form(b, NULL);
    for (k = 0; k < sizeof(domains) / sizeof(domains[0]); k++) {
        bool any = false;

        json_array_foreach(list, i, x)
        {
            if (strcmp(js(x, "domain"), domains[k].id) != 0)
                continue;
            if (!any) {
                rc |= mc_buf_puts(b, "<h2>");
                rc |= mc_buf_put_html(b, domains[k].name);
                rc |= mc_buf_puts(b, "</h2><ul>");
                any = true;
            }
            rc |= mc_buf_printf(b, "<li><a href=\"/thu-tuc/%s\">", js(x, "id"));
            rc |= mc_buf_put_html(b, js(x, "name"));
            rc |= mc_buf_puts(b, "</a></li>");
        }
        if (any)
            rc |= mc_buf_puts(b, "</ul>");
    }
    /* a guide of a domain the table does not name yet is listed all the same:
     * the index never hides a guide */
    k = 0;
    json_array_foreach(list, i, x)
    {
        if (domain_known(js(x, "domain")))
            continue;
        if (!k++)
            rc |= mc_buf_puts(b, "<h2>Thủ tục khác</h2><ul>");
        rc |= mc_buf_printf(b, "<li><a href=\"/thu-tuc/%s\">", js(x, "id"));
        rc |= mc_buf_put_html(b, js(x, "name"));
        rc |= mc_buf_puts(b, "</a></li>");
    }
    if (k)
        rc |= mc_buf_puts(b, "</ul>");
    rc |= page_tail(b);
    return rc ? -E2BIG : 0;
}

int page_procedure(const struct kb *kb, const char *path, const char *base_url, char **html)
{
    struct mc_buf b;
    const json_t *j; /* borrowed from the kb snapshot */
    const char *id;
    char url[QR_TEXT_MAX + 1]; /* the longest text a QR takes */
    int rc;

    if (strcmp(path, "/thu-tuc") == 0 || strcmp(path, "/thu-tuc/") == 0) {
        id = NULL;
        j = kb_procedures(kb);
    } else if (strncmp(path, "/thu-tuc/", sizeof "/thu-tuc/" - 1) == 0) {
        id = path + sizeof "/thu-tuc/" - 1;
        if (strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(id) || !id[0])
            return -ENOENT;
        j = kb_guide(kb, id);
        if (!j)
            return -ENOENT;
    } else {
        return -ENOENT;
    }
    /* a base too long for a URL of ours makes no QR rather than a wrong one */
    if (!base_url || !base_url[0] ||
        snprintf(url, sizeof(url), "%s%s", base_url, path) >= (int)sizeof(url))
        url[0] = '\0';
    mc_buf_init(&b, PAGE_MAX);
    rc = id ? render_guide(&b, kb, j, url[0] ? url : NULL) : render_index(&b, kb, j);
    if (rc) {
        mc_buf_fini(&b);
        return rc;
    }
    *html = mc_buf_steal(&b);
    return *html ? 0 : -ENOMEM;
}

int page_not_found(const struct kb *kb, char **html)
{
    struct mc_buf b;
    int rc = 0;

    mc_buf_init(&b, PAGE_MAX);
    rc |= page_head(&b, kb, "Không có thủ tục này");
    rc |= mc_buf_puts(&b, "<h1>Không tìm thấy trang này</h1><p>Không có thủ tục này. "
                          "<a href=\"/thu-tuc\">Danh sách thủ tục</a></p>");
    rc |= page_search_form(&b, NULL);
    rc |= page_tail(&b);
    if (rc) {
        mc_buf_fini(&b);
        return -ENOMEM;
    }
    *html = mc_buf_steal(&b);
    return *html ? 0 : -ENOMEM;
}
