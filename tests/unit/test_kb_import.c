/* tests/unit/test_kb_import.c - `motcua import`: a valid data folder builds
 * a database kb_open() accepts; each kind of invalid file is refused with
 * "file:field: problem" and nothing is written. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "intent.h"
#include "kb.h"
#include "kb_import.h"
#include "kb_portal.h"

static char dir[64], out[96];

static void write_text(const char *rel, const char *text)
{
    char p[160];
    FILE *f;

    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static json_t *valid_guide(void)
{
    json_t *phrases = json_array(), *g;
    char buf[64];
    int i;

    for (i = 0; i < 20; i++) {
        snprintf(buf, sizeof(buf), "đăng ký khai sinh cho con lần %d", i);
        json_array_append_new(phrases, json_string(buf));
    }
    g = json_pack("{s:s,s:s,s:s,s:[s,s,s],s:s,s:s,s:s,s:{s:s,s:b},s:{s:s,s:s,s:[s]},s:[{s:s,s:s}],"
                  "s:[s,s,s],s:[{s:s,s:s,s:s,s:i,s:n,s:n,s:n,s:s}],s:{s:s,s:b},s:{s:s,s:b,s:s},s:s,"
                  "s:[s],s:[s],s:s,s:[s,s],s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}],s:o}",
                  "id", "khai-sinh", "name", "Đăng ký khai sinh", "short_name",
                  "Làm giấy khai sinh", "aliases", "giấy khai sinh", "khai sinh", "làm khai sinh",
                  "domain", "ho-tich", "agency", "Ủy ban nhân dân cấp xã", "level", "xa", "where",
                  "text", "Trung tâm phục vụ hành chính công", "verify", 0, "online", "available",
                  "full", "text", "Nộp trên Cổng Dịch vụ công.", "links",
                  "https://dichvucong.gov.vn/", "who_may_submit", "who", "Cha hoặc mẹ", "proof",
                  "Thẻ căn cước", "steps", "Chuẩn bị giấy tờ.", "Nộp hồ sơ.", "Nhận kết quả.",
                  "documents", "id", "giay-chung-sinh", "name", "Giấy chứng sinh", "kind",
                  "original", "count", 1, "form", "when", "ask", "how_to_get", "Bệnh viện cấp.",
                  "processing_time", "text", "Trong ngày", "verify", 0, "fee", "text", "Miễn phí",
                  "verify", 1, "note", "lệ phí do tỉnh quy định", "result", "Giấy khai sinh",
                  "legal_basis", "Luật Hộ tịch 2014", "portal_codes", "1.001193", "reviewed",
                  "2026-11-22", "return_reasons", "Thiếu giấy", "Sai tên", "faq", "q",
                  "Mất bao lâu?", "a", "Trong ngày.", "q", "Ai được nộp?", "a", "Cha mẹ.", "q",
                  "Có mất phí không?", "a", "Không.", "phrases", phrases);
    assert_non_null(g);
    return g;
}

static void write_guide(json_t *g)
{
    char p[160];

    snprintf(p, sizeof(p), "%s/procedures/khai-sinh.json", dir);
    assert_int_equal(json_dump_file(g, p, JSON_INDENT(2)), 0);
    json_decref(g);
}

static int setup(void **state)
{
    char p[160], cmd[600];
    json_t *meta, *phrases;
    int i;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/motcua-kbtest-%d", (int)getpid());
    snprintf(out, sizeof(out), "%s/out.db", dir);
    snprintf(cmd, sizeof(cmd),
             "rm -rf %s && mkdir -p %s/procedures %s/meta %s/lexicon && "
             "cp data/schema.sql %s/ && cp -r data/units %s/",
             dir, dir, dir, dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    write_text("catalogue.tsv", "id\tkind\tdomain\tname_vi\thandled_by\n"
                                "khai-sinh\tprocedure\tho-tich\tĐăng ký khai sinh\tUBND cấp xã\n"
                                "chao-hoi\tmeta\t-\tChào hỏi\t-\n");
    write_guide(valid_guide());
    phrases = json_array();
    for (i = 0; i < 20; i++) {
        char buf[48];

        snprintf(buf, sizeof(buf), "xin chào bạn %d", i);
        json_array_append_new(phrases, json_string(buf));
    }
    meta = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "id", "chao-hoi", "name", "Chào hỏi", "answer",
                     "Xin chào!", "answer_generic", "Xin chào!", "reviewed", "2026-11-22",
                     "phrases", phrases);
    snprintf(p, sizeof(p), "%s/meta/chao-hoi.json", dir);
    assert_int_equal(json_dump_file(meta, p, 0), 0);
    json_decref(meta);
    write_text("meta/none.txt", "thời tiết hôm nay thế nào\nkết quả bóng đá\n");
    return 0;
}

static int teardown(void **state)
{
    char cmd[120];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

/* The snapshot kb_open() loaded: parsed guides, meta answers, units and the
 * procedure list by key, borrowed, alive as long as a reference is held. */
static void check_snapshot(struct kb *kb)
{
    const json_t *g = kb_guide(kb, "khai-sinh"), *u, *list = kb_procedures(kb);
    const struct kb_meta *m = kb_meta(kb, "chao-hoi");
    const char *text;
    size_t len = 0;

    assert_non_null(g);
    assert_string_equal(json_string_value(json_object_get(g, "id")), "khai-sinh");
    assert_ptr_equal(kb_guide(kb, "khai-sinh"), g); /* parsed once, not per call */
    assert_null(kb_guide(kb, "chao-hoi"));
    assert_null(kb_guide(kb, "khai-tu"));
    assert_null(kb_guide(kb, ""));
    text = kb_guide_text(kb, "khai-sinh", &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    assert_non_null(strstr(text, "\"verify\":[\"fee\"]"));
    assert_non_null(m);
    assert_string_equal(m->answer, "Xin chào!");
    assert_string_equal(m->generic, "Xin chào!");
    assert_null(kb_meta(kb, "khai-sinh"));
    assert_true(json_is_array(list));
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "id")),
                        "khai-sinh");
    assert_non_null(strstr(kb_procedures_text(kb, NULL), "\"short_name\""));
    u = kb_unit(kb, "00004");
    assert_non_null(u);
    assert_string_equal(json_string_value(json_object_get(u, "name")), "Phường Ba Đình");
    assert_string_equal(json_string_value(json_object_get(u, "province")), "Thành phố Hà Nội");
    assert_string_equal(json_string_value(json_object_get(u, "province_code")), "01");
    assert_null(kb_unit(kb, "99999"));
    assert_null(kb_office(kb, "00004")); /* the fixture has no office data */
}

static void test_valid_builds_and_opens(void **state)
{
    struct mc_err e = {{0}};
    struct kb *kb, *held;
    struct intent_index *idx;
    const json_t *g;
    char *json = NULL;
    FILE *errs = tmpfile();

    (void)state;
    assert_int_equal(kb_import(dir, out, errs, &e), 0);
    fclose(errs);
    kb = kb_open(out, &e);
    assert_non_null(kb);
    assert_int_equal(kb_get_procedure_json(kb, "khai-sinh", &json), 0);
    assert_non_null(strstr(json, "\"verify\":[\"fee\"]"));
    assert_non_null(strstr(json, "\"steps\":[{\"n\":1,"));
    free(json);
    assert_int_equal(kb_get_procedure_json(kb, "khai-tu", &json), -ENOENT);
    assert_true(kb_is_procedure(kb, "khai-sinh"));
    assert_false(kb_is_procedure(kb, "chao-hoi"));
    check_snapshot(kb);
    idx = kb_build_index(kb, &e);
    assert_non_null(idx);
    intent_index_free(idx);
    /* a holder's reference keeps the snapshot after the opener lets go (a
     * miscount is a use after free under ASan and valgrind) */
    held = kb_ref(kb);
    assert_ptr_equal(held, kb);
    g = kb_guide(held, "khai-sinh");
    kb_free(kb);
    assert_string_equal(json_string_value(json_object_get(g, "id")), "khai-sinh");
    assert_non_null(kb_unit(held, "00004"));
    kb_unref(held);
}

/* Imports and expects failure with every needle in the error output. */
static void expect_problem(const char *needle)
{
    struct mc_err e = {{0}};
    char text[8192];
    FILE *errs = tmpfile();
    size_t n;
    struct stat st;

    remove(out);
    assert_int_equal(kb_import(dir, out, errs, &e), -EINVAL);
    rewind(errs);
    n = fread(text, 1, sizeof(text) - 1, errs);
    text[n] = '\0';
    fclose(errs);
    if (!strstr(text, needle))
        fail_msg("expected \"%s\" in:\n%s", needle, text);
    assert_int_not_equal(stat(out, &st), 0); /* nothing written */
}

static void mutate(const char *key, json_t *value)
{
    json_t *g = valid_guide();

    if (value)
        json_object_set_new(g, key, value);
    else
        json_object_del(g, key);
    write_guide(g);
}

static void test_missing_and_wrong_fields(void **state)
{
    (void)state;
    mutate("legal_basis", NULL);
    expect_problem("procedures/khai-sinh.json:legal_basis: missing");
    mutate("steps", json_pack("[s,s]", "Một.", "Hai."));
    expect_problem("khai-sinh.json:steps: needs at least 3 entries, has 2");
    mutate("documents", json_array());
    expect_problem("khai-sinh.json:documents: needs at least 1 entries");
    mutate("reviewed", json_string("22/11/2026"));
    expect_problem("khai-sinh.json:reviewed: must be a date YYYY-MM-DD");
    mutate("domain", json_string("cu-tru"));
    expect_problem("khai-sinh.json:domain: \"cu-tru\" differs from the catalogue's \"ho-tich\"");
    mutate("id", json_string("khai-tu"));
    expect_problem("khai-sinh.json:id: \"khai-tu\" does not match the file name");
    mutate("online", json_pack("{s:s,s:s,s:[s]}", "available", "full", "text", "x", "links",
                               "http://dichvucong.gov.vn"));
    expect_problem("khai-sinh.json:online.links[0]: not a well-formed https URL");
    mutate("name", json_string("Đa\xcc\x86ng ky\xcc\x81")); /* NFD */
    expect_problem("khai-sinh.json:name: text is not NFC");
    mutate("phrases", json_pack("[s]", "khai sinh"));
    expect_problem("khai-sinh.json:phrases: needs at least 20 entries, has 1");
}

static void test_document_checks(void **state)
{
    json_t *g = valid_guide(), *docs = json_object_get(g, "documents");

    (void)state;
    json_array_append(docs, json_array_get(docs, 0)); /* duplicate id */
    json_object_set_new(json_array_get(docs, 0), "kind", json_string("photocopy"));
    write_guide(g);
    expect_problem("documents[0].kind: must be one of");
    expect_problem("documents[1].id: \"giay-chung-sinh\" is used twice");
    g = valid_guide();
    json_object_set_new(json_array_get(json_object_get(g, "documents"), 0), "when",
                        json_string("nếu nộp thay"));
    write_guide(g);
    expect_problem("documents[0].ask: a conditional document needs a yes/no question");
}

static void test_bad_json_and_unknown_id(void **state)
{
    (void)state;
    write_text("procedures/khai-sinh.json", "{\"id\": \"khai-sinh\",");
    expect_problem("khai-sinh.json:: line 1:");
    write_text("procedures/khai-sinh.json", "{}");
    write_text("procedures/lam-gi-do.json", "{\"id\": \"lam-gi-do\"}");
    expect_problem("lam-gi-do.json:id: \"lam-gi-do\" is not a procedure id");
    expect_problem("catalogue.tsv:khai-sinh: no source file");
}

static void test_family_checks(void **state)
{
    (void)state;
    write_text(
        "families.json",
        "{\"families\": [\n"
        " {\"id\": \"ho-tich\", \"title\": \"Hộ tịch\", \"triggers\": [\"ho tich\"],\n"
        "  \"options\": [{\"id\": \"khai-sinh\", \"title\": \"Khai sinh\", \"line\": \" \"},\n"
        "   {\"id\": \"khong-co\", \"title\": \"Gì đó\", \"line\": \"Một việc\"},\n"
        "   {\"id\": \"chao-hoi\", \"title\": \"Chào\", \"line\": \"Lời chào\"}]},\n"
        " {\"id\": \"dat\", \"title\": \"Đất\", \"triggers\": [\"Đất đai\", \"so  do\"],\n"
        "  \"options\": [{\"id\": \"khai-sinh\", \"title\": \"Một tiêu đề quá dài cho nút\","
        " \"line\": \"x\"}]}]}\n");
    expect_problem("families.json:families[0].options[0].line: must not be empty");
    expect_problem("families.json:families[0].options[1].id: \"khong-co\" is not a procedure id "
                   "of data/catalogue.tsv");
    expect_problem("families.json:families[0].options[2].id: \"chao-hoi\" is not a procedure id");
    expect_problem("families.json:families[1].triggers[0]: must be folded words");
    expect_problem("families.json:families[1].triggers[1]: must be folded words");
    expect_problem("families.json:families[1].options: must be an array of 2 to 6 options, has 1");
    expect_problem("families.json:families[1].options[0].title: longer than 20 characters");
    write_text("families.json",
               "{\"families\": [{\"id\": \"nhieu\", \"title\": \"Nhiều\", \"triggers\": [\"a b\"],"
               " \"options\": [1, 2, 3, 4, 5, 6, 7]}]}");
    expect_problem("families.json:families[0].options: must be an array of 2 to 6 options, has 7");
    write_text("families.json", "{\"families\": [");
    expect_problem("families.json:: line 1:");
}

/* An office's opening week feeds "the office opens at ..." answers: a typo
 * in it is refused at import, naming the slot. */
static void test_office_schedule(void **state)
{
    char cmd[200];
    static const char office[] =
        "{\"unit_code\": \"00004\", \"unit_name\": \"Phường Ba Đình\",\n"
        " \"province\": \"Thành phố Hà Nội\", \"office_name\": \"Trung tâm\",\n"
        " \"address\": {\"text\": \"Số 1\", \"verify\": true},\n"
        " \"hours\": {\"text\": \"Thứ Hai đến thứ Sáu\", \"verify\": true, \"schedule\": [\n"
        "   {\"days\": [1, 2, 3, 4, 5], \"from\": \"08:00\", \"to\": \"12:00\"},\n"
        "   {\"days\": [1, %s], \"from\": \"%s\", \"to\": \"17:00\"}]},\n"
        " \"phone\": {\"text\": null, \"verify\": true},\n"
        " \"hotline\": {\"text\": \"1800 1096\", \"verify\": false},\n"
        " \"portal_url\": \"https://dichvucong.hanoi.gov.vn/\", \"reviewed\": \"2026-11-22\"}\n";
    char text[1200];
    struct mc_err e = {{0}};
    FILE *errs;

    (void)state;
    snprintf(cmd, sizeof(cmd), "mkdir -p %s/offices", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(text, sizeof(text), office, "2", "13:00");
    write_text("offices/00004.json", text);
    errs = tmpfile();
    assert_int_equal(kb_import(dir, out, errs, &e), 0); /* the valid week imports */
    fclose(errs);
    snprintf(text, sizeof(text), office, "8", "13:00");
    write_text("offices/00004.json", text);
    expect_problem("offices/00004.json:hours: hours.schedule[1].days[1]: not a weekday");
    snprintf(text, sizeof(text), office, "2", "18:00");
    write_text("offices/00004.json", text);
    expect_problem("offices/00004.json:hours: hours.schedule[1]: to must be after from");
    snprintf(text, sizeof(text), office, "2", "1:00");
    write_text("offices/00004.json", text);
    expect_problem("offices/00004.json:hours: hours.schedule[1]: from and to must be \"HH:MM\"");
}

/* Issue 16: `verify` on every field a citizen reads (steps and FAQ answers
 * too), and `reviewed` null for a guide no person has checked: both reach the
 * API, and a half-written step object is refused. */
static void test_verify_everywhere(void **state)
{
    struct mc_err e = {{0}};
    json_t *g = valid_guide(), *api;
    struct kb *kb;
    char *json = NULL;
    FILE *errs;

    (void)state;
    json_array_set_new(
        json_object_get(g, "steps"), 1,
        json_pack("{s:s,s:b,s:s}", "text", "Nộp hồ sơ.", "verify", 1, "note", "bản ghi không rõ"));
    json_object_set_new(json_array_get(json_object_get(g, "faq"), 0), "verify", json_true());
    json_object_set_new(g, "reviewed", json_null());
    write_guide(g);
    errs = tmpfile();
    assert_int_equal(kb_import(dir, out, errs, &e), 0);
    fclose(errs);
    kb = kb_open(out, &e);
    assert_non_null(kb);
    assert_int_equal(kb_get_procedure_json(kb, "khai-sinh", &json), 0);
    api = json_loads(json, 0, NULL);
    free(json);
    assert_non_null(api);
    assert_true(json_is_null(json_object_get(api, "reviewed")));
    assert_true(
        json_is_true(json_object_get(json_array_get(json_object_get(api, "steps"), 1), "verify")));
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(api, "steps"), 1), "text")),
                        "Nộp hồ sơ.");
    assert_true(
        json_is_false(json_object_get(json_array_get(json_object_get(api, "steps"), 0), "verify")));
    assert_true(
        json_is_true(json_object_get(json_array_get(json_object_get(api, "faq"), 0), "verify")));
    assert_true(
        json_is_false(json_object_get(json_array_get(json_object_get(api, "faq"), 1), "verify")));
    json = json_dumps(json_object_get(api, "verify"), JSON_COMPACT);
    assert_string_equal(json, "[\"fee\",\"steps[1]\",\"faq[0]\"]");
    free(json);
    json_decref(api);
    kb_free(kb);

    g = valid_guide();
    json_array_set_new(json_object_get(g, "steps"), 2, json_pack("{s:b}", "verify", 1));
    json_object_set_new(json_array_get(json_object_get(g, "faq"), 1), "verify", json_string("có"));
    write_guide(g);
    expect_problem("khai-sinh.json:steps[2].text: missing");
    expect_problem("khai-sinh.json:faq[1].verify: must be true or false");
    mutate("reviewed", json_integer(2026));
    expect_problem("khai-sinh.json:reviewed: must be a date YYYY-MM-DD or null");
    mutate("reviewed", NULL);
    expect_problem("khai-sinh.json:reviewed: missing");
}

static const char portal_header[] =
    "# comment\ncode\tbody\tdomain\tname\tagency\tfor_whom\turl\treason\n";

/* Issue 16: the portal's whole list. Each code is linked to the guide that
 * names it; a guide-less code is named by its official words (and only
 * then); a malformed row is refused naming its line. */
static void test_portal_index(void **state)
{
    struct mc_err e = {{0}};
    const struct kb_portal_entry *x;
    struct kb *kb;
    char text[4096];
    FILE *errs, *rep;
    size_t n;

    (void)state;
    snprintf(text, sizeof(text), "%s%s", portal_header,
             "1.001193\tbo-tu-phap\tHộ tịch\tThủ tục đăng ký khai sinh\tỦy ban nhân dân cấp "
             "xã\tCông dân Việt Nam\thttps://dichvucong.gov.vn/a\t\n"
             "1.002693\tbo-xay-dung\tHạ tầng kỹ thuật\tCấp giấy phép chặt hạ, dịch chuyển cây "
             "xanh\t-\tTổ chức\thttps://dichvucong.gov.vn/b\tChưa biên soạn.\n"
             "1.009794\tbo-xay-dung\tQuản lý chất lượng\tKiểm tra công tác nghiệm thu hoàn thành "
             "công trình\tSở Xây dựng\tDoanh nghiệp\thttps://dichvucong.gov.vn/c\t\n");
    write_text("portal_index.tsv", text);
    errs = tmpfile();
    assert_int_equal(kb_import(dir, out, errs, &e), 0);
    fclose(errs);
    kb = kb_open(out, &e);
    assert_non_null(kb);
    x = kb_portal_find(kb_portal(kb), "1.001193");
    assert_non_null(x);
    assert_string_equal(x->guide, "khai-sinh");
    x = kb_portal_find(kb_portal(kb), "1.002693");
    assert_non_null(x);
    assert_null(x->guide);
    assert_string_equal(x->reason, "Chưa biên soạn.");
    assert_null(kb_portal_find(kb_portal(kb), "9.999999"));
    x = kb_portal_known(kb_portal(kb), "tôi muốn xin phép chặt cây xanh trước nhà");
    assert_non_null(x);
    assert_string_equal(x->code, "1.002693");
    /* the guided entry is the better name: never reported as guide-less */
    assert_null(kb_portal_known(kb_portal(kb), "thủ tục đăng ký khai sinh"));
    /* one shared word says what a message is near, not what it is */
    assert_null(kb_portal_known(kb_portal(kb), "cây xoài nhà tôi"));
    kb_free(kb);

    rep = tmpfile();
    assert_int_equal(kb_verify_report(dir, rep, &e), 0);
    rewind(rep);
    n = fread(text, 1, sizeof(text) - 1, rep);
    text[n] = '\0';
    fclose(rep);
    assert_non_null(strstr(text, "| with a guide | 1 | 33.3% |"));
    assert_non_null(strstr(text, "| 1.002693 | Cấp giấy phép chặt hạ, dịch chuyển cây xanh | "
                                 "Chưa biên soạn. |"));
    assert_non_null(strstr(text, "| missing (no guide, no reason) | 1 |"));
    assert_non_null(strstr(text, "| 1.009794 | Kiểm tra"));

    snprintf(text, sizeof(text), "%s%s", portal_header,
             "1.001193\tbo-tu-phap\tHộ tịch\tKhai sinh\tUBND\tCông dân\thttps://x.vn/\tVì sao\n"
             "1.0x\tb\td\tn\ta\tf\thttps://x.vn/\t\n"
             "1.002693\tb\td\tn\ta\tf\thttp://x.vn/\t\n"
             "1.002693\tb\td\tn\ta\tf\thttps://x.vn/\t\n"
             "1.003000\tb\td\t\ta\tf\thttps://x.vn/\t\n"
             "1.004000\tb\td\tn\n");
    write_text("portal_index.tsv", text);
    expect_problem("portal_index.tsv:3: code 1.001193 is covered by the guide \"khai-sinh\": "
                   "remove the reason");
    expect_problem("portal_index.tsv:4: code \"1.0x\" does not look like a portal code");
    expect_problem("portal_index.tsv:5: url is not a well-formed https URL");
    expect_problem("portal_index.tsv:6: code 1.002693 is listed twice (first on line 5)");
    expect_problem("portal_index.tsv:7: name is empty");
    expect_problem("portal_index.tsv:8: 4 fields, expected 8");
    write_text("portal_index.tsv", "code\tname\n");
    expect_problem("portal_index.tsv:1: the header must be");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_builds_and_opens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_wrong_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_document_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_json_and_unknown_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_family_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_office_schedule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_everywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_portal_index, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
