/* tests/unit/test_officer_assist.c - the officials' assistant against the real
 * data/ (imported once into a temporary knowledge database, as
 * test_conv_alt.c does): the texts an officer shares (card, checklist,
 * steps) and their errors, the officer view carrying the guide's facts and
 * `verify` marks as the data has them, the desk check (what is missing and
 * why) and the search by free text and by name. Expected values are read
 * from the guide itself, never copied from the output. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "intent.h"
#include "fixture_kb.h"
#include "kb.h"
#include "kb_import.h"
#include "officer_assist.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void share(const char *proc, const char *part, struct mc_buf *b)
{
    mc_buf_init(b, OFFICER_ASSIST_SHARE_MAX);
    assert_int_equal(officer_assist_share_text(fixture_kb, proc, part, b), 0);
    assert_non_null(b->data);
}

/* The checklist names every document, a conditional one with its condition,
 * and the common return reasons; the card says an unconfirmed fee is so. */
static void test_share_text(void **state)
{
    const json_t *g = kb_guide(fixture_kb, "khai-sinh"), *doc, *s;
    struct mc_buf b;
    char want[1024];
    size_t i, conditional = 0;

    (void)state;
    assert_non_null(g);
    share("khai-sinh", "checklist", &b);
    json_array_foreach(json_object_get(g, "documents"), i, doc)
    {
        assert_non_null(strstr(b.data, str(doc, "name")));
        if (str(doc, "when")) {
            snprintf(want, sizeof(want), "chỉ cần %s", str(doc, "when"));
            assert_non_null(strstr(b.data, want));
            conditional++;
        }
    }
    assert_true(conditional > 0); /* the guide has conditional papers to show */
    assert_non_null(strstr(b.data, "Hồ sơ hay bị trả lại vì:"));
    json_array_foreach(json_object_get(g, "return_reasons"), i, s)
        assert_non_null(strstr(b.data, json_string_value(s)));
    mc_buf_fini(&b);

    share("khai-sinh", "steps", &b);
    json_array_foreach(json_object_get(g, "steps"), i, s)
    {
        snprintf(want, sizeof(want), "\n%zu. %s", i + 1, str(s, "text"));
        assert_non_null(strstr(b.data, want));
    }
    mc_buf_fini(&b);

    share("khai-sinh", "card", &b);
    assert_non_null(strstr(b.data, str(g, "name")));
    assert_non_null(strstr(b.data, str(g, "fee")));
    assert_non_null(strstr(b.data, str(g, "processing_time")));
    assert_true(json_is_true(json_object_get(json_object_get(g, "fee_detail"), "verify")));
    assert_non_null(strstr(b.data, "chờ cán bộ xác nhận"));
    mc_buf_fini(&b);
}

static void test_share_errors(void **state)
{
    struct mc_buf b;

    (void)state;
    mc_buf_init(&b, OFFICER_ASSIST_SHARE_MAX);
    assert_int_equal(officer_assist_share_text(fixture_kb, "khong-co", "card", &b), -ENOENT);
    assert_int_equal(officer_assist_share_text(fixture_kb, NULL, "card", &b), -ENOENT);
    assert_int_equal(officer_assist_share_text(fixture_kb, "khai-sinh", "everything", &b), -EINVAL);
    assert_int_equal(officer_assist_share_text(fixture_kb, "khai-sinh", NULL, &b), -EINVAL);
    mc_buf_fini(&b);
    mc_buf_init(&b, 16); /* far too small for any guide's steps */
    assert_int_equal(officer_assist_share_text(fixture_kb, "khai-sinh", "steps", &b), -E2BIG);
    mc_buf_fini(&b);
}

/* Every document, with its form's code, its condition and its verify mark;
 * legal basis, fee and time exactly as the guide has them. */
static void test_view(void **state)
{
    static const char *const procs[] = {"khai-sinh", "an-toan-thuc-pham", "chuyen-truong"};
    json_t *v = NULL;
    size_t p, i, marked = 0;

    (void)state;
    for (p = 0; p < sizeof(procs) / sizeof(procs[0]); p++) {
        const json_t *g = kb_guide(fixture_kb, procs[p]), *doc, *vd;
        const json_t *gdocs = json_object_get(g, "documents");

        assert_int_equal(officer_assist_view(fixture_kb, procs[p], &v), 0);
        assert_string_equal(str(v, "name"), str(g, "name"));
        assert_string_equal(str(v, "fee"), str(g, "fee"));
        assert_string_equal(str(v, "processing_time"), str(g, "processing_time"));
        assert_true(
            json_equal(json_object_get(v, "legal_basis"), json_object_get(g, "legal_basis")));
        assert_true(
            json_equal(json_object_get(v, "return_reasons"), json_object_get(g, "return_reasons")));
        assert_true(json_equal(json_object_get(v, "verify"), json_object_get(g, "verify")));
        assert_int_equal(json_array_size(json_object_get(v, "documents")), json_array_size(gdocs));
        assert_int_equal(json_array_size(json_object_get(v, "checklist")), json_array_size(gdocs));
        assert_int_equal(json_array_size(json_object_get(v, "steps")),
                         json_array_size(json_object_get(g, "steps")));
        json_array_foreach(gdocs, i, doc)
        {
            const json_t *form = json_object_get(doc, "form");
            const json_t *ck = json_array_get(json_object_get(v, "checklist"), i);

            vd = json_array_get(json_object_get(v, "documents"), i);
            assert_string_equal(str(vd, "key"), str(doc, "id"));
            assert_string_equal(str(ck, "key"), str(doc, "id"));
            assert_non_null(str(ck, "why"));
            if (json_is_object(form))
                assert_string_equal(str(vd, "form"), str(form, "code"));
            else
                assert_true(json_is_null(json_object_get(vd, "form")) ||
                            !json_object_get(vd, "form"));
            if (str(doc, "when"))
                assert_string_equal(str(vd, "condition"), str(doc, "when"));
            assert_int_equal(json_is_true(json_object_get(vd, "verify")),
                             json_is_true(json_object_get(doc, "verify")));
            marked += json_is_true(json_object_get(vd, "verify"));
        }
        json_decref(v);
    }
    assert_true(marked > 0); /* these guides have unconfirmed papers */
    assert_int_equal(officer_assist_view(fixture_kb, "khong-co", &v), -ENOENT);
    assert_null(v);
}

static json_t *desk(const char *proc, json_t *have, int want_rc)
{
    struct mc_err err = {{0}};
    json_t *res = NULL;

    assert_int_equal(officer_assist_check(fixture_kb, proc, have, &res, &err), want_rc);
    json_decref(have);
    if (want_rc)
        assert_true(err.text[0] != '\0');
    return res;
}

static const json_t *find_key(const json_t *list, const char *key)
{
    const json_t *it;
    size_t i;

    json_array_foreach(list, i, it) if (strcmp(str(it, "key"), key) == 0) return it;
    return NULL;
}

/* Nothing brought: every paper missing, the required ones say so, the
 * conditional ones say when. Every required paper brought: complete, and
 * the conditional ones left to ask about. */
static void test_desk_check(void **state)
{
    const json_t *g = kb_guide(fixture_kb, "khai-sinh"), *doc, *it;
    json_t *res, *have = json_array();
    char want[512];
    size_t i, required = 0;

    (void)state;
    res = desk("khai-sinh", json_array(), 0);
    assert_false(json_is_true(json_object_get(res, "complete")));
    assert_int_equal(json_array_size(json_object_get(res, "present")), 0);
    json_array_foreach(json_object_get(g, "documents"), i, doc)
    {
        it = find_key(json_object_get(res, "missing"), str(doc, "id"));
        assert_non_null(it);
        assert_string_equal(str(it, "text"), str(doc, "name"));
        if (str(doc, "when")) {
            snprintf(want, sizeof(want), "Chỉ cần %s.", str(doc, "when"));
            assert_string_equal(str(it, "why"), want);
            assert_false(json_is_true(json_object_get(it, "required")));
        } else {
            assert_string_equal(str(it, "why"), "Bắt buộc với mọi hồ sơ.");
            assert_true(json_is_true(json_object_get(it, "required")));
            json_array_append_new(have, json_string(str(doc, "id")));
            required++;
        }
    }
    json_decref(res);
    assert_true(required > 0);

    res = desk("khai-sinh", have, 0);
    assert_true(json_is_true(json_object_get(res, "complete")));
    assert_int_equal(json_array_size(json_object_get(res, "present")), required);
    json_array_foreach(json_object_get(res, "missing"), i, it)
        assert_false(json_is_true(json_object_get(it, "required")));
    json_decref(res);

    /* one required paper short: not complete, and that paper is named */
    res = desk("khai-sinh", json_pack("[s,s]", "giay-chung-sinh", "van-ban-uy-quyen"), 0);
    assert_false(json_is_true(json_object_get(res, "complete")));
    assert_non_null(find_key(json_object_get(res, "missing"), "to-khai-khai-sinh"));
    assert_non_null(find_key(json_object_get(res, "present"), "van-ban-uy-quyen"));
    assert_null(find_key(json_object_get(res, "missing"), "van-ban-uy-quyen"));
    json_decref(res);
}

static void test_desk_check_errors(void **state)
{
    json_t *many = json_array();
    size_t i;

    (void)state;
    assert_null(desk("khong-co", json_array(), -ENOENT));
    assert_null(desk("khai-sinh", json_string("to-khai-khai-sinh"), -EINVAL));
    assert_null(desk("khai-sinh", json_pack("[i]", 1), -EINVAL));
    assert_null(desk("khai-sinh", json_pack("[s]", "so-ho-khau"), -EINVAL));
    for (i = 0; i <= OFFICER_ASSIST_HAVE_MAX; i++)
        json_array_append_new(many, json_string("giay-chung-sinh"));
    assert_null(desk("khai-sinh", many, -E2BIG));
}

static json_t *search(const struct intent_index *ix, const char *q, int want_rc)
{
    json_t *res = NULL;

    assert_int_equal(officer_assist_search(fixture_kb, ix, q, strlen(q), &res), want_rc);
    return res;
}

/* Free text as citizens type it goes through the understanding; a short
 * name finds the procedure even without it; the best result's view comes
 * with the answer. */
static void test_search(void **state)
{
    json_t *res;
    char *big;

    (void)state;
    res = search(fixture_idx, "dk ks cho be can j", 0);
    assert_string_equal(str(json_object_get(res, "understanding"), "label"), "khai-sinh");
    assert_string_equal(str(json_array_get(json_object_get(res, "results"), 0), "procedure"),
                        "khai-sinh");
    assert_string_equal(str(json_object_get(res, "guide"), "id"), "khai-sinh");
    json_decref(res);

    res = search(NULL, "khai sinh", 0); /* names only */
    assert_true(json_is_null(json_object_get(res, "understanding")));
    assert_string_equal(str(json_array_get(json_object_get(res, "results"), 0), "procedure"),
                        "khai-sinh");
    assert_true(json_array_size(json_object_get(res, "results")) <= OFFICER_ASSIST_RESULTS_MAX);
    json_decref(res);

    res = search(NULL, "KẾT HÔN", 0);
    assert_string_equal(str(json_array_get(json_object_get(res, "results"), 0), "procedure"),
                        "ket-hon");
    json_decref(res);

    res = search(NULL, "xyzzy qwerty", 0);
    assert_int_equal(json_array_size(json_object_get(res, "results")), 0);
    assert_true(json_is_null(json_object_get(res, "guide")));
    json_decref(res);

    assert_null(search(fixture_idx, "   ", -EINVAL));
    assert_null(search(fixture_idx, "\xc3\x28", -EINVAL));
    big = malloc(OFFICER_ASSIST_QUERY_MAX + 2);
    assert_non_null(big);
    memset(big, 'a', OFFICER_ASSIST_QUERY_MAX + 1);
    big[OFFICER_ASSIST_QUERY_MAX + 1] = '\0';
    assert_null(search(fixture_idx, big, -E2BIG));
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share_text),
        cmocka_unit_test(test_share_errors),
        cmocka_unit_test(test_view),
        cmocka_unit_test(test_desk_check),
        cmocka_unit_test(test_desk_check_errors),
        cmocka_unit_test(test_search),
    };

    return cmocka_run_group_tests(tests, fixture_kb_setup, fixture_kb_teardown);
}
