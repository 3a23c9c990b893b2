/* tests/unit/test_conv_parse.c - typed navigation, pre-check answers,
 * follow-up aspects, place statements and topic words, from raw Vietnamese
 * as citizens type it (folded with conv_text_fold() first). A failing case
 * prints its line in this file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conv_parse.h"
#include "conv_text.h"
#include "intent.h"

static const char *fold(const char *raw, char *buf, size_t cap)
{
    assert_int_equal(conv_text_fold(raw, buf, cap), 0);
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
    char buf[CONV_TEXT_FOLD_MAX];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned n = 99;
        enum conv_cmd got = conv_parse_command(fold(cases[i].text, buf, sizeof(buf)), &n);

        if (got != cases[i].cmd || (cases[i].n && n != cases[i].n))
            fail_msg("test_conv_parse.c:%d: \"%s\": got command %d n %u", cases[i].line,
                     cases[i].text, (int)got, n);
    }
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
        {"nộp online được không", INTENT_ASPECT_ONLINE, __LINE__},
        {"ai được nộp thay", INTENT_ASPECT_WHO, __LINE__},
        {"mẫu tờ khai ở đâu", INTENT_ASPECT_FORM, __LINE__},
        {"nộp ở đâu", INTENT_ASPECT_WHERE, __LINE__},
        {"thứ bảy có làm việc không", INTENT_ASPECT_HOURS, __LINE__},
        {"bao giờ có kết quả", INTENT_ASPECT_RESULT, __LINE__},
        {"làm thế nào", INTENT_ASPECT_STEPS, __LINE__},
        {"lệ phí thế nào, mất mấy ngày", INTENT_ASPECT_FEE | INTENT_ASPECT_TIME, __LINE__},
        {"có được không", INTENT_ASPECT_CONDITION, __LINE__},
        {"xin chào", 0, __LINE__},
        {"phía", 0, __LINE__}, /* "phi" only as a whole word */
    };
    char buf[CONV_TEXT_FOLD_MAX];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned got = conv_parse_aspects(fold(cases[i].text, buf, sizeof(buf)));

        if (got != cases[i].bits)
            fail_msg("test_conv_parse.c:%d: \"%s\": aspects %#x, want %#x", cases[i].line,
                     cases[i].text, got, cases[i].bits);
    }
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
        {"nộp ở phường được không", "phuong duoc khong", 0, __LINE__},
        {"tôi ở xa", NULL, 0, __LINE__},
        {"phường", NULL, 0, __LINE__},
        {"lên xã làm giấy", NULL, 0, __LINE__},
        {"tôi ở phường, nộp ở đâu", NULL, 0, __LINE__},
        {"đăng ký khai sinh", NULL, 0, __LINE__},
    };
    char buf[CONV_TEXT_FOLD_MAX];
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
        {"lệ phí làm hộ chiếu", "chieu", __LINE__},
    };
    char buf[CONV_TEXT_FOLD_MAX], out[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        conv_parse_topic(fold(cases[i].text, buf, sizeof(buf)), out, sizeof(out));
        if (strcmp(out, cases[i].topic) != 0)
            fail_msg("test_conv_parse.c:%d: \"%s\": topic \"%s\"", cases[i].line, cases[i].text,
                     out);
    }
    assert_int_equal(conv_parse_topic("nha dat", out, 4), 0); /* too small for a word */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_aspects),
        cmocka_unit_test(test_locality),
        cmocka_unit_test(test_topic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
