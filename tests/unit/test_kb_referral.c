/* tests/unit/test_kb_referral.c - data/referrals.tsv (gateway/kb/kb_referral.h,
 * issue 16): a declined question is told which body handles it. The table's
 * mistakes are named by line; the first matching row wins; a message the bot
 * answers gets no referral; the project's own table loads clean and sends the
 * classes of question it was written for to the right kind of body. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intent.h"
#include "kb_referral.h"

#define HDR "id\tpattern\tbody\tabout\tsource\tverify\n"

/* A declined message whose folded view is folded (what kb_referral_for reads). */
static void declined(struct intent_result *u, const char *folded)
{
    memset(u, 0, sizeof(*u));
    u->decision = INTENT_NONE;
    u->label = "none";
    snprintf(u->folded, sizeof(u->folded), "%s", folded);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    s = calloc(1, (size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return s;
}

static void test_mistakes_named_by_line(void **state)
{
    const char *text =
        "# comment\n" HDR "toa-an\t\\b(?:ly hon)\\b\tTòa án\tly hôn\tBLTTDS 2015\tno\n"
        "bad-re\t\\b(?:ly hon\tX\tY\tZ\tno\n"         /* line 4: pattern */
        "Toa_An\t\\bkien\\b\tX\tY\tZ\tno\n"           /* line 5: id */
        "thue\t\\bthue\\b\tX\tY\tZ\tmaybe\n"          /* line 6: verify */
        "quan-su\t\\bnhap ngu\\b\tBan CHQS\t\t\tno\n" /* line 7: empty */
        "only\tthree\tcolumns\n"                      /* line 8 */
        "quan-su\t\\bnhap ngu\\b\tBan CHQS\tnghĩa vụ\tLuật NVQS 2015\tyes\n";
    struct kb_referrals *s = NULL;
    char *out = NULL;
    size_t outlen = 0;
    FILE *errs = open_memstream(&out, &outlen);
    int nerr = 0;

    (void)state;
    assert_non_null(errs);
    assert_int_equal(kb_referrals_parse(text, errs, &nerr, &s), 0);
    fclose(errs);
    assert_int_equal(nerr, 5);
    assert_int_equal(kb_referrals_count(s), 2);
    assert_non_null(strstr(out, "data/referrals.tsv:4: pattern"));
    assert_non_null(strstr(out, "data/referrals.tsv:5: id"));
    assert_non_null(strstr(out, "data/referrals.tsv:6: verify"));
    assert_non_null(strstr(out, "data/referrals.tsv:7: about is empty"));
    assert_non_null(strstr(out, "data/referrals.tsv:8: 3 columns"));
    free(out);
    kb_referrals_free(s);

    /* a wrong header is named too */
    nerr = 0;
    assert_int_equal(kb_referrals_parse("id\tpattern\tbody\tabout\tlaw\tverify\n", NULL, &nerr, &s),
                     0);
    assert_int_equal(nerr, 1);
    kb_referrals_free(s);
}

static void test_first_row_wins_only_when_declined(void **state)
{
    const char *text =
        HDR "toa-an-dat\t\\bkien\\b.{0,30}\\bdat\\b\tTòa án nơi có đất\tđất\tLĐĐ\tyes\n"
            "toa-an\t\\bkien\\b\tTòa án\tkiện\tBLTTDS\tno\n";
    struct kb_referrals *s = NULL;
    struct intent_result *u = malloc(sizeof(*u));
    const struct kb_referral *r;
    json_t *j;
    int nerr = 0;

    (void)state;
    assert_non_null(u);
    assert_int_equal(kb_referrals_parse(text, NULL, &nerr, &s), 0);
    assert_int_equal(nerr, 0);
    declined(u, "toi muon kien hang xom lan dat");
    r = kb_referral_for(s, u);
    assert_non_null(r);
    assert_string_equal(r->id, "toa-an-dat");
    assert_true(r->verify);
    declined(u, "toi muon kien chu no");
    r = kb_referral_for(s, u);
    assert_non_null(r);
    assert_string_equal(r->id, "toa-an");
    assert_false(r->verify);
    j = kb_referral_json(r);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "id")), "toa-an");
    assert_string_equal(json_string_value(json_object_get(j, "body")), "Tòa án");
    assert_string_equal(json_string_value(json_object_get(j, "source")), "BLTTDS");
    assert_true(json_is_false(json_object_get(j, "verify")));
    json_decref(j);
    declined(u, "thoi tiet hom nay");
    assert_null(kb_referral_for(s, u));
    /* answered (a guide, a choice): never a referral, whatever its words */
    declined(u, "toi muon kien chu no");
    u->decision = INTENT_MATCH;
    assert_null(kb_referral_for(s, u));
    u->decision = INTENT_CLARIFY;
    assert_null(kb_referral_for(s, u));
    assert_null(kb_referral_for(NULL, u));
    kb_referrals_free(s);
    free(u);
}

/* The project's table: clean, and each class of question to its body. */
static void test_project_table(void **state)
{
    static const struct {
        const char *folded, *id;
    } cases[] = {
        {"vo chong toi muon ly hon thi nop don o dau", "toa-an"},
        {"kien doi no nguoi quen", "toa-an"},
        {"thua ra toa vu hang xom lan dat", "toa-an"},
        {"chong toi nguoi han muon gia han visa", "xuat-nhap-canh"},
        {"nguoi nuoc ngoai co duoc lam thuong tru khong", "xuat-nhap-canh"},
        {"xin visa di nhat du lich can gi", "lanh-su-nuoc-ngoai"},
        {"dang ky nghia vu quan su lan dau o dau", "quan-su"},
        {"xin tam hoan goi nhap ngu vi dang hoc", "quan-su"},
        {"quyet toan thue tncn o dau", "co-quan-thue"},
        {"cong ty khong chot so bao hiem cho em", "lao-dong"},
        {"phi van phong cong chung hop dong mua ban", "cong-chung"},
        {"lap vi bang giao tien", "thua-phat-lai"},
        {"xin lai giay chung sinh o benh vien", "benh-vien"},
        {"nop phat nguoi o dau", "giao-thong"},
        {"bi lua dao qua mang trinh bao o dau", "cong-an"},
        {"cong ty tnhh muon giai the", "dang-ky-kinh-doanh"},
        {"muon hoa tang cho ba", "mai-tang"},
    };
    struct kb_referrals *s = NULL;
    struct intent_result *u = malloc(sizeof(*u));
    const struct kb_referral *r;
    char *text = slurp("data/referrals.tsv");
    int nerr = 0;
    size_t i;

    (void)state;
    assert_non_null(u);
    assert_int_equal(kb_referrals_parse(text, stderr, &nerr, &s), 0);
    assert_int_equal(nerr, 0);
    assert_true(kb_referrals_count(s) >= 15);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        declined(u, cases[i].folded);
        r = kb_referral_for(s, u);
        if (!r || strcmp(r->id, cases[i].id) != 0)
            fail_msg("\"%s\": expected %s, got %s", cases[i].folded, cases[i].id,
                     r ? r->id : "none");
    }
    /* "điều kiện", "ý kiến" are not lawsuits; "tòa nhà" is not a court */
    declined(u, "dieu kien de duoc y kien");
    r = kb_referral_for(s, u);
    assert_true(!r || strcmp(r->id, "toa-an") != 0);
    declined(u, "toa nha chung cu cao tang");
    r = kb_referral_for(s, u);
    assert_true(!r || strcmp(r->id, "toa-an") != 0);
    kb_referrals_free(s);
    free(text);
    free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mistakes_named_by_line),
        cmocka_unit_test(test_first_row_wins_only_when_declined),
        cmocka_unit_test(test_project_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
