/* tests/unit/test_intent.c - the public API on a small spec (decisions,
 * candidates, alternatives beside a match, aspects, entities, errors that
 * name their source, JSON, eval
 * output and its clarify accounting), then accuracy on tests/data/intents.tsv
 * with the index the importer builds: `motcua import`'s kb_import() writes a
 * temporary knowledge database from the real data/ folder and
 * kb_build_index() builds the index from it, the server's own path. The
 * threshold catches a regression in the lexicon, the rules, the phrases or the
 * model. Run from the repository root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "intent.h"
#include "kb.h"
#include "kb_import.h"

#define INTENTS_TSV "tests/data/intents.tsv"
#define MIN_INSCOPE 0.93 /* top-1 over in-scope lines of INTENTS_TSV */
#define MIN_NONE 0.85    /* out-of-scope lines answered "none" */
#define MIN_TOP3 0.97

static struct intent_result r;

static const char *const labels[] = {"khai-sinh", "khai-tu", "ket-hon", "chao-hoi"};

static const struct intent_example examples[] = {
    {"khai-sinh", "đăng ký khai sinh cho con"},
    {"khai-sinh", "làm giấy khai sinh cho bé mới sinh"},
    {"khai-sinh", "khai sinh cho trẻ cần giấy chứng sinh"},
    {"khai-sinh", "vợ tôi mới sinh em bé, làm giấy tờ gì cho cháu"},
    {"khai-sinh", "thủ tục làm giấy khai sinh"},
    {"khai-tu", "đăng ký khai tử cho người mất"},
    {"khai-tu", "làm giấy chứng tử cho bố"},
    {"khai-tu", "bà tôi mất rồi báo tử ở đâu"},
    {"khai-tu", "thủ tục khai tử"},
    {"khai-tu", "người thân qua đời cần làm giấy tờ gì"},
    {"ket-hon", "đăng ký kết hôn"},
    {"ket-hon", "thủ tục đăng ký kết hôn cần gì"},
    {"ket-hon", "sắp cưới muốn làm giấy kết hôn"},
    {"ket-hon", "lấy vợ cần giấy tờ gì"},
    {"chao-hoi", "xin chào"},
    {"chao-hoi", "chào ad"},
    {"chao-hoi", "alo có ai không"},
    {"none", "thời tiết hôm nay thế nào"},
    {"none", "kết quả bóng đá tối qua"},
    {"none", "giá vàng hôm nay"},
    {"none", "vay tiền ngân hàng cần gì"},
    {"none", "cách nấu phở bò"},
};

static const char lexicon[] = "dk\tđăng ký\t*\nks\tkhai sinh\t*\nkt\tkhai tử\t*\nj\tgì\t*\n"
                              "ad\tadmin\t*\n";
static const char rules[] = "khai-tu\t\\b(?:khai tu|chung tu)\\b\t1\n"
                            "none\t\\b(?:thoi tiet|bong da)\\b\t2\n"
                            "@fee\t\\b(?:bao nhieu tien|le phi)\\b\t0\n"
                            "@where\t\\bo dau\\b\t0\n";
static const char corpus[] = "Đăng ký khai sinh cho trẻ em.\nĐăng ký khai tử cho người đã mất.\n"
                             "Giấy chứng tử. Giấy khai sinh. Lệ phí đăng ký kết hôn.\n";

static struct intent_spec small_spec(void)
{
    struct intent_spec s;

    memset(&s, 0, sizeof(s));
    s.labels = labels;
    s.n_labels = 4;
    s.examples = examples;
    s.n_examples = sizeof(examples) / sizeof(examples[0]);
    s.lexicon = lexicon;
    s.lexicon_len = strlen(lexicon);
    s.rules = rules;
    s.rules_len = strlen(rules);
    s.corpus = corpus;
    s.corpus_len = strlen(corpus);
    return s;
}

static int match(const struct intent_index *idx, const char *s)
{
    return intent_match(idx, s, strlen(s), &r);
}

static void test_small_index(void **state)
{
    struct intent_spec s = small_spec();
    struct mc_err err = {{0}};
    struct intent_index *idx = intent_index_new(&s, &err);
    size_t i;

    (void)state;
    assert_non_null(idx);
    assert_true(intent_index_memory(idx) > 0);
    assert_int_equal(match(idx, "dk ks cho be can j"), 0);
    assert_string_equal(r.label, "khai-sinh");
    assert_true(r.confidence > 0.5 && r.confidence <= 1.0);
    assert_string_equal(r.normalized, "đăng ký khai sinh cho bé cần gì");
    assert_string_equal(r.folded, "dang ky khai sinh cho be can gi");
    assert_true(r.n_candidates >= 1 && r.n_candidates <= INTENT_MAX_CANDIDATES);
    for (i = 1; i < r.n_candidates; i++)
        assert_true(r.candidates[i].confidence <= r.candidates[i - 1].confidence);
    assert_int_equal(match(idx, "Bố tôi vừa mất, làm giấy chứng tử ở đâu?"), 0);
    assert_string_equal(r.label, "khai-tu");
    assert_true(r.aspects & INTENT_ASPECT_WHERE);
    assert_int_equal(match(idx, "le phi dang ky ket hon bao nhieu tien"), 0);
    assert_string_equal(r.label, "ket-hon");
    assert_true(r.aspects & INTENT_ASPECT_FEE);
    assert_int_equal(match(idx, "thời tiết ngày mai có mưa không"), 0);
    assert_string_equal(r.label, "none");
    assert_int_equal(r.decision, INTENT_NONE);
    assert_int_equal(match(idx, "😀😀😀"), 0); /* nothing to read */
    assert_string_equal(r.label, "none");
    assert_string_equal(r.normalized, "");
    assert_int_equal(match(idx, "cccd 079123456789, gọi 0912345678"), 0);
    assert_int_equal(r.n_entities, 2);
    assert_int_equal(r.entities[0].kind, INTENT_ENTITY_ID);
    assert_int_equal(r.entities[0].start, 5);
    assert_int_equal(r.entities[1].kind, INTENT_ENTITY_PHONE);
    intent_index_free(idx);
    intent_index_free(NULL);
}

static void test_bad_input(void **state)
{
    struct intent_spec s = small_spec();
    struct mc_err err = {{0}};
    struct intent_index *idx = intent_index_new(&s, &err);
    char *big = malloc(INTENT_MAX_INPUT + 1);

    (void)state;
    assert_non_null(idx);
    assert_non_null(big);
    assert_int_equal(intent_match(idx, "\xFF\xFE", 2, &r), -EINVAL);
    assert_string_equal(r.label, "none");
    assert_int_equal(intent_match(idx, "ab\0cd", 5, &r), -EINVAL);
    memset(big, 'a', INTENT_MAX_INPUT + 1);
    assert_int_equal(intent_match(idx, big, INTENT_MAX_INPUT + 1, &r), -E2BIG);
    memset(big, ' ', INTENT_MAX_INPUT);
    memcpy(big, "khai tử", strlen("khai tử"));
    assert_int_equal(intent_match(idx, big, INTENT_MAX_INPUT, &r), 0);
    assert_string_equal(r.label, "khai-tu");
    assert_int_equal(intent_match(idx, "", 0, &r), 0);
    assert_string_equal(r.label, "none");
    free(big);
    intent_index_free(idx);
}

static void test_spec_errors_name_their_source(void **state)
{
    static const struct intent_example bad_ex[] = {{"khai-sinh", "ok"}, {"no-such", "x"}};
    static const char *const with_none[] = {"khai-sinh", "none"};
    struct intent_spec s;
    struct mc_err err;

    (void)state;
    s = small_spec();
    s.examples = bad_ex;
    s.n_examples = 2;
    assert_null(intent_index_new(&s, &err));
    assert_string_equal(err.text, "examples[1]: unknown label \"no-such\"");
    s = small_spec();
    s.lexicon = "dk\tđăng ký\n\nks\n";
    s.lexicon_len = strlen(s.lexicon);
    assert_null(intent_index_new(&s, &err));
    assert_int_equal(strncmp(err.text, "abbrev.tsv:3: ", 14), 0);
    s = small_spec();
    s.rules = "khai-sinh\t(\t1\n";
    s.rules_len = strlen(s.rules);
    assert_null(intent_index_new(&s, &err));
    assert_int_equal(strncmp(err.text, "rules.tsv:1: pattern at offset", 30), 0);
    s = small_spec();
    s.n_labels = 0;
    assert_null(intent_index_new(&s, &err));
    s = small_spec();
    s.labels = with_none;
    s.n_labels = 2;
    assert_null(intent_index_new(&s, &err));
    s = small_spec(); /* no lexicon, rules or corpus: still an index */
    s.lexicon = s.rules = s.corpus = NULL;
    s.lexicon_len = s.rules_len = s.corpus_len = 0;
    struct intent_index *idx = intent_index_new(&s, &err);
    assert_non_null(idx);
    intent_index_free(idx);
}

static void test_json(void **state)
{
    struct intent_spec s = small_spec();
    struct mc_err err = {{0}};
    struct intent_index *idx = intent_index_new(&s, &err);
    json_error_t jerr;
    json_t *j;
    char *out = NULL;

    (void)state;
    assert_non_null(idx);
    assert_int_equal(match(idx, "làm giấy khai sinh cho con \"gấp\" \\ ở đâu, gọi 0912345678"), 0);
    assert_int_equal(intent_result_to_json(&r, &out), 0);
    j = json_loads(out, 0, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "label")), "khai-sinh");
    assert_true(json_is_number(json_object_get(j, "confidence")));
    assert_true(json_array_size(json_object_get(j, "candidates")) >= 1);
    assert_true(json_is_string(
        json_object_get(json_array_get(json_object_get(j, "candidates"), 0), "label")));
    assert_string_equal(json_string_value(json_object_get(j, "normalized")), r.normalized);
    assert_string_equal(json_string_value(json_object_get(j, "decision")),
                        intent_decision_name(r.decision));
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "aspects"), 0)),
                        "where");
    /* entity values are personal data: spans only (the views keep the
     * digits; callers mask text with mc_mask_pii() before logging it) */
    assert_null(strstr(out, "\"value\""));
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "entities"), 0), "kind")),
                        "phone");
    json_decref(j);
    free(out);
    intent_index_free(idx);
}

/* The decision (intent.h): a near-tie within one domain is answered, the
 * runner-up kept as an alternative; across domains it asks; a clear winner
 * has no alternatives. */
static void test_decision_alternatives(void **state)
{
    static const char *const domains[] = {"ho-tich", "ho-tich", "ho-tich", "-"};
    static const char *const apart[] = {"ho-tich", "tu-tuat", "hon-nhan", "-"};
    struct intent_spec s = small_spec();
    struct mc_err err = {{0}};
    struct intent_index *idx;
    json_t *j, *alt;
    char *out = NULL;

    (void)state;
    s.domains = domains;
    idx = intent_index_new(&s, &err);
    assert_non_null(idx);
    assert_int_equal(match(idx, "giấy khai sinh hay khai tử"), 0); /* near-tied, one domain */
    assert_int_equal(r.decision, INTENT_MATCH);
    assert_int_equal(r.n_alternatives, 1);
    assert_true(r.n_candidates >= 2);
    assert_string_equal(r.label, r.candidates[0].label);
    assert_true(strcmp(r.candidates[1].label, "khai-sinh") == 0 ||
                strcmp(r.candidates[1].label, "khai-tu") == 0);
    assert_int_equal(intent_result_to_json(&r, &out), 0);
    j = json_loads(out, 0, NULL);
    assert_non_null(j);
    alt = json_object_get(j, "alternatives");
    assert_int_equal(json_array_size(alt), 1);
    assert_string_equal(json_string_value(json_array_get(alt, 0)), r.candidates[1].label);
    json_decref(j);
    free(out);
    out = NULL;
    assert_int_equal(match(idx, "đăng ký khai sinh cho con"), 0); /* a clear winner */
    assert_int_equal(r.decision, INTENT_MATCH);
    assert_string_equal(r.label, "khai-sinh");
    assert_int_equal(r.n_alternatives, 0);
    assert_int_equal(intent_result_to_json(&r, &out), 0);
    assert_non_null(strstr(out, "\"alternatives\":[]"));
    free(out);
    assert_int_equal(match(idx, "thời tiết ngày mai có mưa không"), 0);
    assert_int_equal(r.decision, INTENT_NONE);
    assert_int_equal(r.n_alternatives, 0);
    intent_index_free(idx);

    s.domains = apart; /* the same near-tie across domains asks */
    idx = intent_index_new(&s, &err);
    assert_non_null(idx);
    assert_int_equal(match(idx, "giấy khai sinh hay khai tử"), 0);
    assert_int_equal(r.decision, INTENT_CLARIFY);
    assert_int_equal(r.n_alternatives, 0);
    intent_index_free(idx);

    s.domains = NULL; /* no domains: every label is its own */
    idx = intent_index_new(&s, &err);
    assert_non_null(idx);
    assert_int_equal(match(idx, "giấy khai sinh hay khai tử"), 0);
    assert_int_equal(r.decision, INTENT_CLARIFY);
    intent_index_free(idx);

    s.domains = (const char *const[]){"ho-tich", NULL, "ho-tich", "-"};
    assert_null(intent_index_new(&s, &err));
    assert_string_equal(err.text, "domains[1]: NULL");
}

/* A read stream over a copy of s (fmemopen wants writable memory). */
static FILE *open_text(const char *s)
{
    static char copy[4096];
    size_t n = strlen(s);

    assert_true(n < sizeof(copy));
    memcpy(copy, s, n + 1);
    return fmemopen(copy, n, "r");
}

static void test_eval_output(void **state)
{
    struct intent_spec s = small_spec();
    struct mc_err err = {{0}};
    struct intent_index *idx = intent_index_new(&s, &err);
    struct intent_eval_summary sum;
    /* 5 lines: 4 in scope, 1 none. The third gets "clarify" with khai-tu, its
     * own label, as best candidate: asked, not answered, so not right. */
    static const char good[] = "# comment\n\nlàm giấy khai sinh\tkhai-sinh\n"
                               "giấy chứng tử\tkhai-tu\tsituational\r\n"
                               "giấy khai sinh hay khai tử\tkhai-tu\n"
                               "lam giay khai sinh\tkhai-sinh\n"
                               "bóng đá tối nay\tnone\n";
    char buf[8192] = {0}, *last;
    FILE *in, *out;

    (void)state;
    assert_non_null(idx);
    assert_int_equal(match(idx, "giấy khai sinh hay khai tử"), 0); /* the premise */
    assert_int_equal(r.decision, INTENT_CLARIFY);
    assert_string_equal(r.label, "khai-tu");
    in = open_text(good);
    out = fmemopen(buf, sizeof(buf) - 1, "w");
    assert_int_equal(intent_eval(idx, in, "good.tsv", out, &sum, &err), 0);
    fclose(in);
    fclose(out);
    assert_int_equal(sum.lines, 5);
    assert_int_equal(sum.inscope, 4);
    assert_int_equal(sum.none, 1);
    assert_int_equal(sum.unaccented_lines, 1);
    assert_int_equal(sum.clarify, 1);
    assert_int_equal(sum.clarify_right, 1);
    assert_int_equal(sum.none_clarify, 0);
    assert_true(sum.inscope_acc == 0.75 && sum.none_acc == 1.0 && sum.top3 == 1.0);
    assert_true(sum.accuracy == 0.8 && sum.unaccented == 1.0);
    assert_non_null(strstr(buf, "situational"));
    last = buf + strlen(buf) - 1; /* the last line, exactly */
    assert_true(*last == '\n');
    while (last > buf && last[-1] != '\n')
        last--;
    assert_string_equal(last, "accuracy=0.800 inscope=0.750 none=1.000 top3=1.000 nodiac=1.000 "
                              "clarify=0.250 clarify_right=1/1\n");

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"ok\tkhai-sinh\nno tab here\n", "bad.tsv:2: expected text<TAB>label"},
        {"x\tkhai-sinh\ny\tno-such\n", "bad.tsv:2: unknown label"},
        {"\xFF\tkhai-sinh\n", "bad.tsv:1: text is not valid UTF-8"},
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        in = open_text(bad[i].text);
        out = fmemopen(buf, sizeof(buf) - 1, "w");
        assert_int_equal(intent_eval(idx, in, "bad.tsv", out, NULL, &err), -EINVAL);
        fclose(in);
        fclose(out);
        assert_int_equal(strncmp(err.text, bad[i].want, strlen(bad[i].want)), 0);
    }
    intent_index_free(idx);
}

/* Random bytes, random letters and marks, huge repetitions: every call
 * returns 0, -EINVAL or -E2BIG, and a normal message still works after. */
static void test_hostile_input(void **state)
{
    static const char *const pieces[] = {
        "đ",  "ư",  "\xCC\x80", "\xCC\x9B", "a", " ", "k", "\xEF\xB7\xBA", "😀",  "\xE2\x80\x8B",
        "dk", "hk", "0",        "@",        "/", "-", ".", "ｋ",           "\t", "ffff",
        "qu", "gi", "ươ",       "ỷ",
    };
    struct intent_spec s = small_spec();
    struct mc_err err = {{0}};
    struct intent_index *idx = intent_index_new(&s, &err);
    char *buf = calloc(1, INTENT_MAX_INPUT + 64); /* zeroed: PCRE2 JIT may read past the subject */
    unsigned long long seed = 42;
    size_t i, n, k;
    int rc;

    (void)state;
    assert_non_null(idx);
    assert_non_null(buf);
    for (i = 0; i < 3000; i++) {
        n = 0;
        size_t want =
            (size_t)((seed = seed * 6364136223846793005ULL + 1) >> 33) % (INTENT_MAX_INPUT + 40);
        while (n < want) {
            seed = seed * 6364136223846793005ULL + 1;
            if (i % 3 == 0) { /* raw bytes */
                buf[n++] = (char)(seed >> 56);
                continue;
            }
            const char *p = pieces[(seed >> 33) % (sizeof(pieces) / sizeof(pieces[0]))];
            k = strlen(p);
            if (n + k > want)
                break;
            memcpy(buf + n, p, k);
            n += k;
        }
        rc = intent_match(idx, buf, n, &r);
        assert_true(rc == 0 || rc == -EINVAL || rc == -E2BIG);
        assert_non_null(r.label);
        assert_true(r.confidence >= 0.0 && r.confidence <= 1.0);
        assert_true(strlen(r.normalized) < INTENT_NORM_MAX);
    }
    assert_int_equal(match(idx, "làm giấy khai sinh cho con"), 0);
    assert_string_equal(r.label, "khai-sinh");
    free(buf);
    intent_index_free(idx);
}

/* The index the importer builds from the whole data/ folder, against the
 * hand-written messages. */
static void test_accuracy_on_intents_tsv(void **state)
{
    char db[64];
    struct mc_err err = {{0}};
    struct intent_index *idx;
    struct intent_eval_summary sum;
    struct kb *kb;
    FILE *in, *errs = tmpfile();
    int rc;

    (void)state;
    assert_non_null(errs);
    snprintf(db, sizeof(db), "/tmp/motcua-test-intent-%d.db", (int)getpid());
    rc = kb_import("data", db, errs, &err);
    if (rc)
        print_error("motcua import data: %s\n", err.text);
    fclose(errs);
    assert_int_equal(rc, 0);
    kb = kb_open(db, &err);
    unlink(db); /* the open handle keeps it readable */
    if (!kb)
        print_error("%s\n", err.text);
    assert_non_null(kb);
    idx = kb_build_index(kb, &err);
    if (!idx)
        print_error("%s\n", err.text);
    assert_non_null(idx);
    in = fopen(INTENTS_TSV, "r");
    assert_non_null(in);
    assert_int_equal(intent_eval(idx, in, INTENTS_TSV, stdout, &sum, &err), 0);
    fclose(in);
    assert_true(sum.lines >= 150);
    print_message("%s: inscope %.3f (>= %.2f), none %.3f (>= %.2f), top3 %.3f (>= %.2f)\n",
                  INTENTS_TSV, sum.inscope_acc, MIN_INSCOPE, sum.none_acc, MIN_NONE, sum.top3,
                  MIN_TOP3);
    assert_true(sum.inscope_acc >= MIN_INSCOPE);
    assert_true(sum.none_acc >= MIN_NONE);
    assert_true(sum.top3 >= MIN_TOP3);
    intent_index_free(idx);
    kb_free(kb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_index),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_spec_errors_name_their_source),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_decision_alternatives),
        cmocka_unit_test(test_eval_output),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_accuracy_on_intents_tsv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
