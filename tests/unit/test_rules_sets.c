/* tests/unit/test_rules_sets.c - named word sets of rules.tsv
 * (intents/rules_sets.h): definition, expansion, nesting and their errors;
 * a set used by a rule fires on each member through the trigger index; the
 * project's foreigner rules (one nationality list for all: a foreigner asking
 * about their own papers is declined, a host declaring a foreign guest is
 * tam-tru-nguoi-nuoc-ngoai, "người lao động" and "người hạn chế năng lực" are
 * no foreigners); and the fragment rule of intent_match(): a message of a
 * few words whose only rule evidence is a none topic is declined
 * (docs/understanding.md, "Foreigners" and "Fragments"). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_intent.h"
#include "intent.h"
#include "rules.h"
#include "rules_sets.h"

static void test_define_and_expand(void **state)
{
    struct rules_sets *s = rules_sets_new();
    char out[256], why[200];

    (void)state;
    assert_non_null(s);
    assert_int_equal(rules_sets_define(s, "nation", "han quoc|nhat ban", why, sizeof(why)), 0);
    assert_int_equal(
        rules_sets_define(s, "foreigner", "nguoi (?:${nation})|ong tay", why, sizeof(why)), 0);
    assert_int_equal(
        rules_sets_expand(s, "\\b${foreigner}\\b.{0,9}visa", out, sizeof(out), why, sizeof(why)),
        0);
    assert_string_equal(out, "\\b(?:nguoi (?:(?:han quoc|nhat ban))|ong tay)\\b.{0,9}visa");
    /* a pattern without sets is copied; "$" alone stays the end anchor */
    assert_int_equal(rules_sets_expand(s, "^ly hon$", out, sizeof(out), why, sizeof(why)), 0);
    assert_string_equal(out, "^ly hon$");
    /* errors */
    assert_int_equal(rules_sets_expand(s, "a ${nowhere} b", out, sizeof(out), why, sizeof(why)),
                     -EINVAL);
    assert_non_null(strstr(why, "unknown set ${nowhere}"));
    assert_int_equal(rules_sets_expand(s, "a ${nation b", out, sizeof(out), why, sizeof(why)),
                     -EINVAL);
    assert_int_equal(rules_sets_expand(s, "${foreigner}", out, 20, why, sizeof(why)), -EINVAL);
    assert_non_null(strstr(why, "longer than 19 bytes"));
    assert_int_equal(rules_sets_define(s, "nation", "my", why, sizeof(why)), -EINVAL);
    assert_non_null(strstr(why, "defined twice"));
    assert_int_equal(rules_sets_define(s, "Bad-Name", "my", why, sizeof(why)), -EINVAL);
    assert_int_equal(rules_sets_define(s, "empty", "", why, sizeof(why)), -EINVAL);
    rules_sets_free(s);
    rules_sets_free(NULL);
}

static const char *const labels[] = {"tam-tru"};

static double none_score(const struct rules *r, const char *folded)
{
    double s[2] = {0, 0};
    unsigned asp = 0;

    assert_int_equal(rules_apply(r, folded, strlen(folded), folded, strlen(folded), s, &asp), 0);
    return s[1];
}

static void test_rules_use_sets(void **state)
{
    static const char text[] = "$nation\than quoc|nhat ban|my\n"
                               "$foreigner\tnguoi (?:${nation})|ong tay\n"
                               "none\t\\b${foreigner}\\b.{0,30}\\b(?:visa|the tam tru)\\b\t5\n"
                               "none\t\\bnguoi ${nation}\\b\t1\n"
                               "tam-tru\t\\b${nowhere}\\b\t1\n";
    struct mc_err err = {{0}};
    struct rules *r;
    size_t ok_len = strlen(text) - strlen("tam-tru\t\\b${nowhere}\\b\t1\n");

    (void)state;
    r = rules_new(text, ok_len, labels, 1, &err);
    assert_non_null(r);
    assert_int_equal(rules_count(r), 2);        /* definitions are not rules */
    assert_int_equal(rules_always_count(r), 0); /* the set's first words are triggers */
    assert_true(none_score(r, "chong toi nguoi han quoc xin visa") == 6.0);
    assert_true(none_score(r, "ban toi nguoi my gia han the tam tru") == 6.0);
    assert_true(none_score(r, "ong tay o nha toi can visa khong") == 5.0);
    assert_true(none_score(r, "nguoi nhat ban") == 1.0);
    assert_true(none_score(r, "toi xin visa di han quoc") == 0.0);
    rules_free(r);
    r = rules_new(text, strlen(text), labels, 1, &err);
    assert_null(r);
    assert_string_equal(err.text, "rules.tsv:5: unknown set ${nowhere} (define it above: "
                                  "$name<TAB>a|b)");
}

/* The project's rules, with every catalogue id the file names as a label. */
struct project {
    char *text, *names;
    const char *label[512];
    size_t n_labels;
    struct rules *r;
};

static void project_load(struct project *p)
{
    FILE *f = fopen("data/lexicon/rules.tsv", "rb");
    struct mc_err err = {{0}};
    size_t i, j, k, n;
    long len;

    memset(p, 0, sizeof(*p));
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    assert_true(len > 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    n = (size_t)len;
    p->text = malloc(n + 1);
    p->names = malloc(n + 1);
    assert_true(p->text && p->names);
    assert_int_equal(fread(p->text, 1, n, f), n);
    fclose(f);
    p->text[n] = '\0';
    memcpy(p->names, p->text, n + 1);
    for (i = 0; i < n; i = j + 1) {
        for (j = i; j < n && p->names[j] != '\n'; j++)
            ;
        for (k = i; k < j && p->names[k] != '\t'; k++)
            ;
        if (k == j || strchr("#@$", p->names[i]))
            continue;
        p->names[k] = '\0';
        if (strcmp(p->names + i, "none") == 0)
            continue;
        for (k = 0; k < p->n_labels && strcmp(p->label[k], p->names + i) != 0; k++)
            ;
        if (k == p->n_labels && p->n_labels < 512)
            p->label[p->n_labels++] = p->names + i;
    }
    p->r = rules_new(p->text, n, p->label, p->n_labels, &err);
    if (!p->r)
        fail_msg("%s", err.text);
}

static double project_score(const struct project *p, const char *folded, const char *label)
{
    double s[513];
    unsigned asp = 0;
    size_t k;

    memset(s, 0, sizeof(s));
    assert_int_equal(rules_apply(p->r, folded, strlen(folded), folded, strlen(folded), s, &asp), 0);
    if (strcmp(label, "none") == 0)
        return s[p->n_labels];
    for (k = 0; k < p->n_labels; k++)
        if (strcmp(p->label[k], label) == 0)
            return s[k];
    fail_msg("no label %s", label);
    return 0;
}

static void test_project_foreigners(void **state)
{
    /* the foreigner's own papers: declined by a rule that decides (>= 12) */
    static const char *const own[] = {
        "vo toi nguoi campuchia ho chieu ben het han roi ra xa lam lai duoc khong",
        "anh re toi la nguoi uc anh xin giay xac nhan tinh trang hon nhan o phuong duoc khong",
        "ban trai em quoc tich han quoc muon gia han visa",
        "ong tay thue nha toi hoi xin the tam tru o dau",
        "chong em dan dai loan lam giay phep lao dong o dau",
        "co giao nguoi philippines muon nhap quoc tich viet nam",
        "gia han visa cho chong toi la nguoi han o dau", /* the paper first */
    };
    /* a Vietnamese citizen or host with a foreign element: not declined by it */
    static const char *const ours[] = {
        "toi lay chong nguoi nhat gio muon lam ho chieu sang ben",
        "toi muon ket hon voi nguoi han quoc xin xac nhan tinh trang hon nhan o dau",
        "khai sinh cho con bo la nguoi my can ho chieu cua bo khong",
        "nguoi lao dong bi mat can cuoc lam lai o dau",
        "nguoi han che nang luc hanh vi can ho chieu khong",
        "chung thuc ban sao ho chieu cua nguoi nuoc ngoai o xa duoc khong",
    };
    struct project p;
    size_t i;

    (void)state;
    project_load(&p);
    for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        if (project_score(&p, own[i], "none") < 12.0)
            fail_msg("\"%s\": none %g, want >= 12", own[i], project_score(&p, own[i], "none"));
    for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
        if (project_score(&p, ours[i], "none") >= 12.0)
            fail_msg("\"%s\": none %g, want < 12", ours[i], project_score(&p, ours[i], "none"));
    /* a host registering a foreign guest's stay: the guest's guide, not the citizen's */
    assert_true(project_score(&p, "dang ky tam tru cho giam doc nguoi singapore o can ho",
                              "tam-tru-nguoi-nuoc-ngoai") >= 4.0);
    assert_true(project_score(&p, "dang ky tam tru cho nguoi nuoc ngoai o nha minh", "tam-tru") <
                0.0);
    assert_true(project_score(&p, "dang ky tam tru cho con trai o nha chu", "tam-tru") >= 0.0);
    /* one list everywhere: a birth with a Cambodian parent is the foreign-element birth */
    assert_true(
        project_score(&p, "khai sinh cho con me la nguoi campuchia", "khai-sinh-nuoc-ngoai") > 0.0);
    rules_free(p.r);
    free(p.text);
    free(p.names);
}

/* Two subjects (rules.tsv, "two subjects"): a topic that never is one of our
 * procedures weighs at least 5 for none, so that it outweighs a covered word
 * the message shares; the same words in our own procedures' matters stay
 * under it (docs/understanding.md, "Two subjects"). */
static void test_project_two_subjects(void **state)
{
    static const char *const topic[] = {
        "tiem nha toi co ho kinh doanh gio muon dang ky nhan hieu cho ten tiem",
        "me toi co the bhyt roi muon mua them bao hiem suc khoe cua cong ty bao hiem",
        "em co tam tru roi ma chu tro doi duoi em di truoc han hop dong",
        "chi toi da chuyen ho khau theo chong nay bi chong danh thuong xuyen",
        "da dang ky thuong tru roi gio muon xin cho con vao truong mau giao tu thuc",
        "chung thuc ban sao bang xong muon nop ho so thi cong chuc",
        "lam bang lai lan dau",
    };
    static const char *const ours[] = {
        "htx kia lay ten trung nhan hieu ben em da dang ky bao ho",
        "giay chung nhan an toan thuc pham cho bep an truong mam non",
        "da thanh ly hop dong thue dat voi nha may roi xoa dang ky the nao",
        "me toi muon de lai so tiet kiem cho em ut sau khi mat lam giay gi",
        "ban xe roi ma xe bi phat nguoi giay to van ten minh",
        "doi bang lai xe het han o dau",
    };
    struct project p;
    size_t i;

    (void)state;
    project_load(&p);
    for (i = 0; i < sizeof(topic) / sizeof(topic[0]); i++)
        if (project_score(&p, topic[i], "none") < 5.0)
            fail_msg("\"%s\": none %g, want >= 5", topic[i], project_score(&p, topic[i], "none"));
    for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
        if (project_score(&p, ours[i], "none") >= 5.0)
            fail_msg("\"%s\": none %g, want < 5", ours[i], project_score(&p, ours[i], "none"));
    /* a first licence is not a renewal */
    assert_true(project_score(&p, "lam bang lai lan dau", "doi-bang-lai") < 0.0);
    assert_true(project_score(&p, "doi bang lai xe het han o dau", "doi-bang-lai") > 0.0);
    rules_free(p.r);
    free(p.text);
    free(p.names);
}

static const char *const frag_labels[] = {"ghi-chu-ly-hon", "ket-hon"};

static const struct intent_example frag_examples[] = {
    {"ghi-chu-ly-hon", "ghi chú ly hôn đã làm ở nước ngoài"},
    {"ghi-chu-ly-hon", "ly hôn ở nước ngoài về ghi vào sổ hộ tịch"},
    {"ghi-chu-ly-hon", "bản án ly hôn của tòa nước ngoài ghi chú ở đâu"},
    {"ket-hon", "đăng ký kết hôn ở xã"},
    {"ket-hon", "thủ tục đăng ký kết hôn cần giấy tờ gì"},
    {"none", "giá vàng hôm nay bao nhiêu"},
    {"none", "kết quả bóng đá tối qua"},
};

static void test_fragment_declined(void **state)
{
    static const char rules[] = "none\t\\b(?:ly hon|toa an)\\b\t1.0\n"
                                "ghi-chu-ly-hon\t\\b(?:ghi chu|ghi vao so)\\b\t2.0\n";
    struct intent_index *idx = fixture_intent_index(
        frag_labels, 2, frag_examples, sizeof(frag_examples) / sizeof(frag_examples[0]), rules);
    struct intent_result *r = test_malloc(sizeof(*r));

    (void)state;
    /* a fragment whose only rule evidence is a none topic: declined */
    fixture_intent_expect(idx, r, "ly hôn", INTENT_NONE, "none");
    fixture_intent_expect(idx, r, "đơn ly hôn", INTENT_NONE, NULL);
    /* a rule spoke for the label: kept */
    fixture_intent_expect(idx, r, "ghi chú ly hôn", INTENT_MATCH, "ghi-chu-ly-hon");
    /* longer than a fragment: the model decides as before */
    assert_int_equal(intent_match(idx, "ly hôn ở nước ngoài rồi về ghi sổ ở đâu",
                                  strlen("ly hôn ở nước ngoài rồi về ghi sổ ở đâu"), r),
                     0);
    assert_string_equal(r->label, "ghi-chu-ly-hon");
    intent_index_free(idx);
    test_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_define_and_expand),  cmocka_unit_test(test_rules_use_sets),
        cmocka_unit_test(test_project_foreigners), cmocka_unit_test(test_project_two_subjects),
        cmocka_unit_test(test_fragment_declined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
