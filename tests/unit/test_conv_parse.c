/* tests/unit/test_conv_parse.c - typed navigation, pre-check answers,
 * follow-up aspects, place statements and topic words, from raw Vietnamese
 * as citizens type it (folded with fold_words_text() first). Aspects and
 * topics go through the one aspect vocabulary, the @aspect rules of
 * data/lexicon/rules.tsv, as understanding runs them (without its lexicon).
 * Every expected value is what a citizen should get, not what the code
 * printed. A failing case prints its line in this file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conv_parse.h"
#include "conv_text.h"
#include "intent.h"
#include "norm.h"
#include "rules.h"

#define RULES_TSV "data/lexicon/rules.tsv"

static const char *fold(const char *raw, char *buf, size_t cap)
{
    assert_int_equal(fold_words_text(raw, buf, cap), 0);
    return buf;
}

static void test_commands(void **state)
{
    static const struct {
        const char *text;
        enum conv_cmd cmd;
        unsigned n;
        int line;
    } cases[] = {
        {"tiếp", CONV_CMD_NEXT, 0, __LINE__},
        {"còn nữa không ạ", CONV_CMD_MORE, 0, __LINE__},
        {"hết chưa", CONV_CMD_MORE, 0, __LINE__},
        {"con gi nua ko", CONV_CMD_MORE, 0, __LINE__},
        {"thêm gì nữa không", CONV_CMD_MORE, 0, __LINE__},
        {"còn bước nào nữa không", CONV_CMD_MORE, 0, __LINE__},
        {"còn hộ chiếu thì sao", CONV_CMD_NONE, 0, __LINE__},
        {"tiep theo", CONV_CMD_NEXT, 0, __LINE__},
        {"Bước tiếp", CONV_CMD_NEXT, 0, __LINE__},
        {"tiếp đi ạ", CONV_CMD_NEXT, 0, __LINE__},
        {"quay lai", CONV_CMD_PREV, 0, __LINE__},
        {"Quay lại", CONV_CMD_PREV, 0, __LINE__},
        {"bước 3", CONV_CMD_STEP, 3, __LINE__},
        {"buoc 3", CONV_CMD_STEP, 3, __LINE__},
        {"cho xem bước số hai", CONV_CMD_STEP, 2, __LINE__},
        {"quay lại bước thứ nhất nhé", CONV_CMD_STEP, 1, __LINE__},
        {"bước 12", CONV_CMD_STEP, 12, __LINE__},
        {"bước 100", CONV_CMD_NONE, 0, __LINE__},
        {"bước 0", CONV_CMD_NONE, 0, __LINE__},
        {"4", CONV_CMD_NUMBER, 4, __LINE__},
        {"Xem tất cả", CONV_CMD_ALL, 0, __LINE__},
        {"làm lại từ đầu", CONV_CMD_RESTART, 0, __LINE__},
        {"hủy", CONV_CMD_CANCEL, 0, __LINE__},
        {"huy", CONV_CMD_CANCEL, 0, __LINE__},
        {"thôi", CONV_CMD_CANCEL, 0, __LINE__},
        {"thôi không cần nữa", CONV_CMD_CANCEL, 0, __LINE__},
        {"xem lại danh sách", CONV_CMD_CHECKLIST, 0, __LINE__},
        {"kiểm tra hồ sơ", CONV_CMD_CHECK, 0, __LINE__},
        {"Các bước thực hiện", CONV_CMD_STEPS, 0, __LINE__},
        {"Giấy tờ cần chuẩn bị", CONV_CMD_DOCS, 0, __LINE__},
        {"có", CONV_CMD_YES, 0, __LINE__},
        {"co", CONV_CMD_YES, 0, __LINE__},
        {"dạ có ạ", CONV_CMD_YES, 0, __LINE__},
        {"tôi có rồi", CONV_CMD_YES, 0, __LINE__},
        {"Dạ", CONV_CMD_YES, 0, __LINE__},
        {"vâng", CONV_CMD_YES, 0, __LINE__},
        {"chưa", CONV_CMD_NO, 0, __LINE__},
        {"chua co", CONV_CMD_NO, 0, __LINE__},
        {"Chưa có", CONV_CMD_NO, 0, __LINE__},
        {"em chưa có nha", CONV_CMD_NO, 0, __LINE__},
        {"không", CONV_CMD_NO, 0, __LINE__},
        {"ko", CONV_CMD_NO, 0, __LINE__},
        {"ko biet", CONV_CMD_UNKNOWN, 0, __LINE__},
        {"Không rõ", CONV_CMD_UNKNOWN, 0, __LINE__},
        {"không biết nữa", CONV_CMD_UNKNOWN, 0, __LINE__},
        {"tôi không chắc", CONV_CMD_UNKNOWN, 0, __LINE__},
        /* sentences are for understanding, not commands */
        {"có làm online được không", CONV_CMD_NONE, 0, __LINE__},
        {"tôi chưa có giấy chứng sinh thì làm sao", CONV_CMD_NONE, 0, __LINE__},
        {"đăng ký khai sinh", CONV_CMD_NONE, 0, __LINE__},
        {"", CONV_CMD_NONE, 0, __LINE__},
        {"a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a", CONV_CMD_NONE, 0, __LINE__},
    };
    char buf[FOLD_WORDS_TEXT_MAX];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned n = 99;
        enum conv_cmd got = conv_parse_command(fold(cases[i].text, buf, sizeof(buf)), &n);

        if (got != cases[i].cmd || n != cases[i].n)
            fail_msg("test_conv_parse.c:%d: \"%s\": got command %d n %u", cases[i].line,
                     cases[i].text, (int)got, n);
    }
}

/* The @aspect rules of rules.tsv (the other rules need the catalogue). */
static struct rules *aspect_rules(void)
{
    static char text[64 * 1024];
    char line[4096];
    size_t len = 0, n;
    struct mc_err err = {{0}};
    struct rules *r;
    FILE *f = fopen(RULES_TSV, "r");

    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        if (line[0] != '@')
            continue;
        n = strlen(line);
        assert_true(n < sizeof(text) - len);
        memcpy(text + len, line, n);
        len += n;
    }
    fclose(f);
    assert_true(len > 0);
    r = rules_new(text, len, NULL, 0, &err);
    if (!r)
        fail_msg("%s", err.text);
    return r;
}

/* What understanding reports of raw: its folded view, aspects and their spans. */
static void understand(const struct rules *r, const char *raw, struct intent_result *u)
{
    struct norm_tokens *t = malloc(sizeof(*t));
    struct rules_span sp[INTENT_MAX_ASPECT_SPANS];
    double none = 0;
    size_t i, n;

    assert_non_null(t);
    memset(u, 0, sizeof(*u));
    assert_int_equal(norm_text(raw, strlen(raw), t), 0);
    memcpy(u->folded, t->fold, t->fold_len + 1);
    assert_int_equal(rules_apply(r, t->fold, t->fold_len, t->acc, t->acc_len, &none, &u->aspects),
                     0);
    n = rules_aspect_spans(r, t->fold, t->fold_len, t->acc, t->acc_len, sp,
                           INTENT_MAX_ASPECT_SPANS);
    for (i = 0; i < n; i++) {
        u->aspect_spans[i].start = sp[i].start;
        u->aspect_spans[i].len = sp[i].len;
        u->aspect_spans[i].bit = 1u << sp[i].index;
    }
    u->n_aspect_spans = n;
    free(t);
}

static void test_correction_lookup(void **state)
{
    (void)state;
    assert_true(conv_parse_correction("a nham , y toi la lam ho chieu"));
    assert_true(conv_parse_correction("khong phai , y em la dang ky xe"));
    assert_true(conv_parse_correction("nham roi , giay phep lai xe"));
    assert_true(conv_parse_correction("xin loi y minh la dang ky xe"));
    assert_false(conv_parse_correction("khong phai nop le phi a"));
    assert_false(conv_parse_correction("le phi bao nhieu"));
    assert_true(conv_parse_lookup("tra cuu ho so o dau"));
    assert_true(conv_parse_lookup("ho so cua toi den dau roi"));
    assert_true(conv_parse_lookup("toi da nop ho so tuan truoc"));
    assert_false(conv_parse_lookup("ho so gom gi"));
    assert_false(conv_parse_lookup("can mang giay gi"));
}

static void test_aspects(void **state)
{
    static const struct {
        const char *text;
        unsigned bits;
        int line;
    } cases[] = {
        {"lệ phí bao nhiêu", INTENT_ASPECT_FEE, __LINE__},
        {"mất bao lâu", INTENT_ASPECT_TIME, __LINE__},
        {"cần mang gì", INTENT_ASPECT_DOCUMENTS, __LINE__},
        {"nộp trực tuyến được không", INTENT_ASPECT_ONLINE | INTENT_ASPECT_CONDITION, __LINE__},
        {"ai được nộp thay", INTENT_ASPECT_WHO, __LINE__},
        {"mẫu tờ khai ở đâu", INTENT_ASPECT_FORM, __LINE__},
        {"nộp ở đâu", INTENT_ASPECT_WHERE, __LINE__},
        {"thứ bảy có làm việc không", INTENT_ASPECT_HOURS, __LINE__},
        {"bao giờ có kết quả", INTENT_ASPECT_TIME | INTENT_ASPECT_RESULT, __LINE__},
        {"làm thế nào", INTENT_ASPECT_STEPS, __LINE__},
        {"thủ tục thế nào, lệ phí bao nhiêu", INTENT_ASPECT_FEE, __LINE__}, /* steps gives way */
        {"lệ phí thế nào, mất mấy ngày", INTENT_ASPECT_FEE | INTENT_ASPECT_TIME, __LINE__},
        {"có được không", INTENT_ASPECT_CONDITION, __LINE__},
        {"căn cứ pháp lý là gì", INTENT_ASPECT_LEGAL, __LINE__},
        {"theo nghị định nào", INTENT_ASPECT_LEGAL, __LINE__},
        {"dựa vào văn bản nào vậy", INTENT_ASPECT_LEGAL, __LINE__},
        {"luật gì quy định", INTENT_ASPECT_LEGAL, __LINE__},
        {"hồ sơ xin cấp gồm những gì", INTENT_ASPECT_DOCUMENTS, __LINE__},
        {"cần giấy gì", INTENT_ASPECT_DOCUMENTS, __LINE__},
        {"giá bao nhiêu", INTENT_ASPECT_FEE, __LINE__},
        /* words of a subject that only look like aspect words */
        {"lệ phí làm hộ chiếu", INTENT_ASPECT_FEE, __LINE__}, /* not "làm hộ" (who) */
        {"nộp hồ sơ ở đâu", INTENT_ASPECT_WHERE, __LINE__},   /* not "nộp hộ" (who) */
        {"gia hạn tạm trú cho hộ gia đình", 0, __LINE__},     /* not "giá" (fee) */
        {"số điện thoại của phường", 0, __LINE__},            /* not online */
        {"nhờ người khác làm hộ", INTENT_ASPECT_WHO, __LINE__},
        {"xin chào", 0, __LINE__},
        {"phía", 0, __LINE__}, /* "phi" only as a whole word */
    };
    struct rules *r = aspect_rules();
    struct intent_result *u = malloc(sizeof(*u));
    size_t i;

    (void)state;
    assert_non_null(u);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned got;

        understand(r, cases[i].text, u);
        got = conv_parse_aspects(u->aspects);
        if (got != cases[i].bits)
            fail_msg("test_conv_parse.c:%d: \"%s\": aspects %#x, want %#x", cases[i].line,
                     cases[i].text, got, cases[i].bits);
    }
    assert_int_equal(conv_parse_aspects(INTENT_ASPECT_FORM | INTENT_ASPECT_WHERE),
                     INTENT_ASPECT_FORM);
    assert_int_equal(conv_parse_aspects(INTENT_ASPECT_STEPS | INTENT_ASPECT_CONDITION),
                     INTENT_ASPECT_CONDITION);
    assert_int_equal(conv_parse_aspects(INTENT_ASPECT_STEPS), INTENT_ASPECT_STEPS);
    free(u);
    rules_free(r);
}

static void test_locality(void **state)
{
    static const struct {
        const char *text;
        const char *name; /* the folded clause found, or NULL */
        int sure;
        int line;
    } cases[] = {
        {"tôi ở phường Hoàn Kiếm", "phuong hoan kiem", 1, __LINE__},
        {"phường Cống Vị quận Ba Đình cũ", "phuong cong vi quan ba dinh cu", 1, __LINE__},
        {"Tôi ở phường Hoàn Kiếm, nộp khai sinh ở đâu?", "phuong hoan kiem", 1, __LINE__},
        {"nhà em thuộc xã Tân Phú", "xa tan phu", 1, __LINE__},
        {"địa chỉ: thị trấn Văn Điển", "thi tran van dien", 1, __LINE__},
        {"phường Cô Giang", "phuong co giang", 1, __LINE__}, /* a name may start with "co" */
        {"tôi ở xã Ba Vì", "xa ba vi", 1, __LINE__},
        /* the ward in general, with no name: not a statement of residence */
        {"nộp ở phường được không", NULL, 0, __LINE__},
        {"tôi ở phường này", NULL, 0, __LINE__},
        {"mới mua nhà ở phường khác", NULL, 0, __LINE__},
        {"tôi ở xa", NULL, 0, __LINE__},
        {"phường", NULL, 0, __LINE__},
        {"lên xã làm giấy", NULL, 0, __LINE__},
        {"tôi ở phường, nộp ở đâu", NULL, 0, __LINE__},
        {"đăng ký khai sinh", NULL, 0, __LINE__},
    };
    char buf[FOLD_WORDS_TEXT_MAX];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t start = 0, len = 0;
        bool sure = false;
        bool found =
            conv_parse_locality(fold(cases[i].text, buf, sizeof(buf)), &start, &len, &sure);

        if (found != (cases[i].name != NULL))
            fail_msg("test_conv_parse.c:%d: \"%s\": found %d", cases[i].line, cases[i].text, found);
        if (!found)
            continue;
        if (strlen(cases[i].name) != len || strncmp(buf + start, cases[i].name, len) != 0 ||
            sure != (cases[i].sure != 0))
            fail_msg("test_conv_parse.c:%d: \"%s\": got \"%.*s\" sure %d", cases[i].line,
                     cases[i].text, (int)len, buf + start, sure);
    }
}

static void test_topic(void **state)
{
    static const struct {
        const char *text, *topic;
        int line;
    } cases[] = {
        {"giấy tờ nhà đất", "nha dat", __LINE__},
        {"lệ phí bao nhiêu", "", __LINE__},
        {"mất bao lâu", "", __LINE__},
        {"ai được nộp thay ạ", "", __LINE__},
        {"mẫu tờ khai ở đâu", "", __LINE__},
        {"lệ phí làm hộ chiếu", "ho chieu", __LINE__},
        {"nộp hồ sơ ở đâu", "", __LINE__},
        {"căn cứ pháp lý của khai sinh", "khai sinh", __LINE__},
        {"mẹ tôi mất, làm hộ khẩu thế nào", "ho khau", __LINE__},
    };
    struct rules *r = aspect_rules();
    struct intent_result *u = malloc(sizeof(*u));
    char out[256];
    size_t i;

    (void)state;
    assert_non_null(u);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        understand(r, cases[i].text, u);
        conv_parse_topic(u, out, sizeof(out));
        if (strcmp(out, cases[i].topic) != 0)
            fail_msg("test_conv_parse.c:%d: \"%s\": topic \"%s\"", cases[i].line, cases[i].text,
                     out);
    }
    understand(r, "nhà đất", u);
    assert_int_equal(conv_parse_topic(u, out, 4), 0); /* too small for a word */
    free(u);
    rules_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_aspects),
        cmocka_unit_test(test_correction_lookup),
        cmocka_unit_test(test_locality),
        cmocka_unit_test(test_topic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
