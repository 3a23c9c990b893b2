/* tests/unit/test_page.c - the guide pages (page.h) over the real knowledge
 * base: the office block from the commune's layer (counters, unconfirmed
 * facts, map link, escaping), the QR code of the page's address, the search
 * page's answers to good, blank, long and broken queries, and the 404 page
 * with no knowledge base at all. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_kb.h"
#include "kb_local.h"
#include "mc_utf8.h"
#include "page.h"

static void must_contain(const char *html, const char *needle)
{
    if (!strstr(html, needle))
        fail_msg("page does not contain \"%s\"", needle);
}

static void must_not_contain(const char *html, const char *needle)
{
    if (strstr(html, needle))
        fail_msg("page contains \"%s\"", needle);
}

/* Commune 00008 as home, its shipped office with counters and a map link
 * added, as the console's layer would serve it. */
static void set_home(const char *map_url)
{
    struct kb_local *l = kb_local_new(1);
    json_t *o = json_deep_copy(kb_office_shipped(fixture_kb, "00008"));

    assert_non_null(l);
    assert_non_null(o);
    assert_int_equal(json_object_set_new(o, "counters",
                                         json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s},i]", "number",
                                                   "1", "name", "Hộ tịch", "number", "2", "name",
                                                   "Đất đai <b>", "number", "3", "name", "", 7)),
                     0);
    if (map_url)
        assert_int_equal(json_object_set_new(o, "map_url", json_string(map_url)), 0);
    assert_int_equal(kb_local_put_office(l, "00008", o), 0);
    kb_local_set_home(l, "00008");
    kb_set_local(fixture_kb, l);
}

static void test_office_block_and_qr(void **state)
{
    char *html = NULL, base[700];

    (void)state;
    set_home("https://maps.example/ngoc-ha?x=1&y=2");
    assert_int_equal(
        page_procedure(fixture_kb, "/thu-tuc/khai-sinh", "https://motcua.example", &html), 0);
    assert_true(mc_utf8_is_valid(html, strlen(html)));
    must_contain(html, "<p class=\"commune\">Phường Ngọc Hà</p>");
    must_contain(html, "<h2 id=\"office-h\">Nơi tiếp nhận hồ sơ</h2><p class=\"office-name\">"
                       "Trung tâm phục vụ hành chính công phường Ngọc Hà</p>");
    must_contain(html, "<dt>Địa chỉ</dt><dd>25 Liễu Giai, phường Ngọc Hà, Hà Nội <span "
                       "class=\"verify\">(đang chờ cán bộ xác minh)</span></dd>");
    /* no number of its own: the hotline, which is confirmed (no mark) */
    must_contain(html, "<dt>Đường dây hỗ trợ</dt><dd>1800 1096</dd>");
    /* counters as the office data lists them (names escaped); the nameless
     * and the malformed ones left out */
    must_contain(html, "<dt>Quầy tiếp nhận</dt><dd><ul class=\"counters\"><li>Quầy 1: Hộ "
                       "tịch</li><li>Quầy 2: Đất đai &lt;b&gt;</li></ul></dd>");
    must_contain(html, "<a href=\"https://maps.example/ngoc-ha?x=1&amp;y=2\">");
    must_contain(html, "<span class=\"url\">https://motcua.example/thu-tuc/khai-sinh</span>");
    must_contain(html, "<figure class=\"qr\"><svg ");
    must_contain(html, "<form class=\"search noprint\" role=\"search\" action=\"/thu-tuc\"");
    free(html);

    /* no base address, or one too long for a QR code: the page, no QR */
    assert_int_equal(page_procedure(fixture_kb, "/thu-tuc/khai-sinh", NULL, &html), 0);
    must_not_contain(html, "<figure");
    free(html);
    memset(base, 'a', sizeof(base) - 1);
    base[sizeof(base) - 1] = '\0';
    memcpy(base, "https://", sizeof "https://" - 1);
    assert_int_equal(page_procedure(fixture_kb, "/thu-tuc/khai-sinh", base, &html), 0);
    must_not_contain(html, "<figure");
    free(html);
    /* the index has the search box and no QR or office block */
    assert_int_equal(page_procedure(fixture_kb, "/thu-tuc", "https://motcua.example", &html), 0);
    must_contain(html, "role=\"search\"");
    must_not_contain(html, "<figure");
    must_not_contain(html, "class=\"office\"");
    free(html);

    /* a map link that is not https is not a link */
    set_home("javascript:alert(1)");
    assert_int_equal(page_procedure(fixture_kb, "/thu-tuc/khai-sinh", NULL, &html), 0);
    must_not_contain(html, "javascript:");
    free(html);
    /* no commune: no office block */
    kb_set_local(fixture_kb, NULL);
    assert_int_equal(page_procedure(fixture_kb, "/thu-tuc/khai-sinh", NULL, &html), 0);
    must_not_contain(html, "class=\"office\"");
    free(html);
    assert_int_equal(page_procedure(fixture_kb, "/thu-tuc/khong-co", NULL, &html), -ENOENT);
}

static void test_search(void **state)
{
    static const char *const hits[][2] = {{"dk khai sinh cho be", "khai-sinh"},
                                          {"dang ky tam tru", "tam-tru"},
                                          {"lam lai can cuoc", "can-cuoc"},
                                          {"khai sinh", "khai-sinh"}};
    char *html = NULL, href[96], big[PAGE_SEARCH_QUERY_MAX + 2];
    unsigned status = 0;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(hits) / sizeof(hits[0]); i++) {
        const char *first;

        assert_int_equal(
            page_search(fixture_kb, fixture_idx, hits[i][0], strlen(hits[i][0]), &status, &html),
            0);
        assert_int_equal(status, 200);
        first = strstr(html, "<ol class=\"results\"");
        assert_non_null(first);
        snprintf(href, sizeof(href), "<li><a href=\"/thu-tuc/%s\">", hits[i][1]);
        if (strncmp(strstr(first, "<li>"), href, strlen(href)) != 0)
            fail_msg("%s: first result is not %s: %.200s", hits[i][0], hits[i][1], first);
        free(html);
    }
    /* out of scope: no guesses */
    assert_int_equal(page_search(fixture_kb, fixture_idx, "thời tiết hôm nay",
                                 strlen("thời tiết hôm nay"), &status, &html),
                     0);
    must_not_contain(html, "<ol");
    must_contain(html, "Không tìm thấy thủ tục nào phù hợp");
    free(html);
    assert_int_equal(page_search(fixture_kb, fixture_idx, " \t ", 3, &status, &html), 0);
    assert_int_equal(status, 200);
    must_contain(html, "Hãy gõ tên thủ tục");
    free(html);
    memset(big, 'a', sizeof(big));
    assert_int_equal(page_search(fixture_kb, fixture_idx, big, sizeof(big), &status, &html), 0);
    assert_int_equal(status, 400);
    must_contain(html, "Câu tìm kiếm dài quá");
    must_not_contain(html, "aaaa");
    free(html);
    assert_int_equal(page_search(fixture_kb, fixture_idx, "khai\xff", 5, &status, &html), 0);
    assert_int_equal(status, 400);
    must_contain(html, "Không đọc được");
    free(html);
    assert_int_equal(page_search(fixture_kb, NULL, "<khai sinh>", 11, &status, &html), 0);
    must_contain(html, "value=\"&lt;khai sinh&gt;\"");
    must_not_contain(html, "<khai");
    free(html);
}

static void test_not_found(void **state)
{
    char *html = NULL;

    (void)state;
    assert_int_equal(page_not_found(NULL, &html), 0);
    assert_true(mc_utf8_is_valid(html, strlen(html)));
    assert_int_equal(strncmp(html, "<!doctype html>\n<html lang=\"vi\">",
                             sizeof "<!doctype html>\n<html lang=\"vi\">" - 1),
                     0);
    must_contain(html, "<p>Không có thủ tục này. <a href=\"/thu-tuc\">Danh sách thủ tục</a></p>");
    must_contain(html, "</main></body></html>\n");
    free(html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_office_block_and_qr),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_not_found),
    };

    return cmocka_run_group_tests(tests, fixture_kb_setup, fixture_kb_teardown);
}
