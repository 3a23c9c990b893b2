/* tests/unit/test_office_admin.c - the commune's own data (issue 15): the
 * holidays of an office's week (kb_hours.h: a holiday is closed, the next
 * opening skips it), the office check the importer and the console share
 * (kb_office.h), a console update checked and normalised
 * (office_check_update: the field at fault is named), the layer over the
 * knowledge snapshot built from the state database (office_build,
 * kb_set_local: kb_office() answers the override, the shipped office stays
 * readable, the revision moves, a removed override gives the shipped value
 * back, the local notes are dated sentences, the home commune), the coming
 * holidays and the map said with the office facts (conv_place.h), and the
 * field paths of guide notes (notes_field_ok). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "conv_place.h"
#include "fixture.h"
#include "fixture_kb.h"
#include "kb.h"
#include "kb_hours.h"
#include "kb_local.h"
#include "kb_office.h"
#include "notes.h"
#include "office.h"
#include "store.h"

/* A fresh state database per test; the layer it built is dropped after. */
static int fresh_store(void **state)
{
    return fixture_db_setup(state);
}

static int drop_store(void **state)
{
    kb_set_local(fixture_kb, NULL);
    return fixture_db_teardown(state);
}

/* local time of day d (days since 1970) at hh:mm, as unix seconds */
static int64_t local_at(int32_t d, int hh, int mm)
{
    return (int64_t)d * 86400 + hh * 3600 + mm * 60 - KB_HOURS_TZ_OFFSET_S;
}

static void test_holidays(void **state)
{
    json_t *hours = json_pack("{s:[{s:[iiiii],s:s,s:s}],s:[s,s],s:b}", "schedule", "days", 1, 2, 3,
                              4, 5, "from", "08:00", "to", "12:00", "holidays", "2026-12-24",
                              "2026-12-25", "verify", 0);
    struct mc_err err = {{0}};
    struct kb_hours h;
    int64_t next;

    (void)state;
    assert_int_equal(kb_hours_day("1970-01-01"), -1); /* before 2000: refused */
    assert_int_equal(kb_hours_day("2000-03-01"), 11017);
    assert_int_equal(kb_hours_day("2024-02-29"), 19782);
    assert_int_equal(kb_hours_day("2026-12-24"), 20811);
    assert_int_equal(kb_hours_day("2099-12-31"), 47481);
    assert_int_equal(kb_hours_day("2026-02-29"), -1);
    assert_int_equal(kb_hours_day("2026-13-01"), -1);
    assert_int_equal(kb_hours_day("24/12/2026"), -1);
    assert_int_equal(kb_hours_parse(hours, &h, &err), 0);
    assert_int_equal(h.n_holidays, 2);
    /* Wednesday 23rd 9:00 open; Thursday 24th 9:00 a holiday: closed, and
     * Friday 25th too, so the next opening is Monday 28th 8:00 (day 20815) */
    assert_true(kb_hours_open(&h, local_at(20810, 9, 0), &next));
    assert_false(kb_hours_open(&h, local_at(20811, 9, 0), &next));
    assert_int_equal(next, local_at(20815, 8, 0));
    /* without the holidays it opens on Friday */
    json_object_del(hours, "holidays");
    assert_int_equal(kb_hours_parse(hours, &h, &err), 0);
    assert_false(kb_hours_open(&h, local_at(20811, 13, 0), &next));
    assert_int_equal(next, local_at(20812, 8, 0));
    /* a wrong date names itself, and nothing is promised from it */
    json_object_set_new(hours, "holidays", json_pack("[s,s]", "2026-12-24", "2026-12-32"));
    assert_int_equal(kb_hours_parse(hours, &h, &err), -EINVAL);
    assert_string_equal(err.text, "hours.holidays[1]: not a date \"YYYY-MM-DD\"");
    assert_true(h.national);
    assert_int_equal(h.n_holidays, 0);
    json_decref(hours);
}

static void collect(void *ctx, const char *field, const char *problem)
{
    char *out = ctx;
    size_t n = strlen(out);

    snprintf(out + n, 512 - n, "%s: %s;", field, problem);
}

static void test_office_check(void **state)
{
    json_t *o = json_deep_copy(kb_office_shipped(fixture_kb, "00008"));
    char probs[512] = "";

    (void)state;
    assert_non_null(o);
    assert_int_equal(kb_office_check(o, collect, probs), 0);
    json_object_set_new(o, "portal_url", json_string("http://x.gov.vn"));
    json_object_set_new(o, "map_url", json_string("https://maps.example/a b"));
    json_object_set_new(o, "display_name", json_string(""));
    json_object_set_new(json_object_get(o, "phone"), "verify", json_false()); /* text null */
    assert_int_equal(kb_office_check(o, collect, probs), 4);
    assert_string_equal(probs, "phone: text must be a non-empty string (or null with verify: true);"
                               "portal_url: not a well-formed https URL;"
                               "map_url: not a well-formed https URL;"
                               "display_name: must be a name of 1 to 128 bytes on one line;");
    json_decref(o);
    assert_true(kb_office_https_ok("https://maps.app.goo.gl/abc"));
    assert_false(kb_office_https_ok("https://"));
    assert_false(kb_office_https_ok("https://x\"onmouseover=1"));
}

static void test_check_update(void **state)
{
    struct mc_err err = {{0}};
    const char *field;
    json_t *body, *norm;

    (void)state;
    /* a phone as a text: confirmed by the official who typed it */
    body = json_pack("{s:s}", "phone", "024 3823 4567");
    assert_int_equal(office_check_update(fixture_kb, "00008", body, &norm, &field, &err), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(norm, "phone"), "text")),
                        "024 3823 4567");
    assert_true(json_is_false(json_object_get(json_object_get(norm, "phone"), "verify")));
    json_decref(norm);
    json_decref(body);
    /* a schedule only: the hours keep their text; a wrong slot is named */
    body = json_pack("{s:{s:[{s:[i],s:s,s:s}]}}", "hours", "schedule", "days", 1, "from", "07:30",
                     "to", "11:30");
    assert_int_equal(office_check_update(fixture_kb, "00008", body, &norm, &field, &err), 0);
    assert_non_null(json_string_value(json_object_get(json_object_get(norm, "hours"), "text")));
    json_decref(norm);
    json_decref(body);
    body = json_pack("{s:s,s:{s:[{s:[i],s:s,s:s}]}}", "phone", "1", "hours", "schedule", "days", 1,
                     "from", "12:00", "to", "08:00");
    assert_int_equal(office_check_update(fixture_kb, "00008", body, &norm, &field, &err), -EINVAL);
    assert_null(norm);
    assert_string_equal(field, "hours");
    assert_string_equal(err.text, "hours.schedule[0]: to must be after from");
    json_decref(body);
    body = json_pack("{s:[s]}", "holidays", "2026-02-30");
    assert_int_equal(office_check_update(fixture_kb, "00008", body, &norm, &field, &err), -EINVAL);
    assert_string_equal(field, "holidays");
    assert_string_equal(err.text, "hours.holidays[0]: not a date \"YYYY-MM-DD\"");
    json_decref(body);
    body = json_pack("{s:s}", "fax", "024");
    assert_int_equal(office_check_update(fixture_kb, "00008", body, &norm, &field, &err), -EINVAL);
    assert_string_equal(field, "fax");
    json_decref(body);
    body = json_pack("{s:i}", "display_name", 5);
    assert_int_equal(office_check_update(fixture_kb, "00008", body, &norm, &field, &err), -EINVAL);
    assert_string_equal(err.text, "display_name: must be a string");
    json_decref(body);
    body = json_pack("{s:s}", "portal_url", "ftp://x");
    assert_int_equal(office_check_update(fixture_kb, "00008", body, &norm, &field, &err), -EINVAL);
    assert_string_equal(field, "portal_url");
    json_decref(body);
    body = json_pack("{s:s}", "phone", "1");
    assert_int_equal(office_check_update(fixture_kb, "99999", body, &norm, &field, &err), -ENOENT);
    /* a unit without an office file starts from a blank office */
    assert_null(kb_office_shipped(fixture_kb, "00025"));
    assert_int_equal(office_check_update(fixture_kb, "00025", body, &norm, &field, &err), 0);
    json_decref(norm);
    json_decref(body);
}

static void test_layer(void **state)
{
    struct mc_err err = {{0}};
    struct store *st = store_open(fixture_db, &err);
    struct kb_local *l;
    int64_t rev0, rev;
    const char *note;

    (void)state;
    assert_non_null(st);
    assert_int_equal(store_local_rev(st, &rev0), 0);
    assert_int_equal(store_office_set(st, "00008", "phone",
                                      "{\"text\":\"024 3823 4567\",\"verify\":false}", "lan", 100),
                     0);
    assert_int_equal(store_office_set(st, "00008", "holidays", "[\"2099-12-24\"]", "lan", 101), 0);
    assert_int_equal(store_office_set(st, "00070", "display_name", "\"Phường Hai\"", "lan", 102),
                     0);
    assert_int_equal(store_guide_local_set(st, "khai-sinh", KB_LOCAL_FEE, "Miễn phí bản sao.",
                                           "lan", 1796599278 /* 2026-12-07 06:21 local */),
                     0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_local_rev(st, &rev), 0);
    assert_int_equal(rev, rev0 + 4);
    l = office_build(fixture_kb, st, "", &err);
    assert_non_null(l);
    kb_set_local(fixture_kb, l);
    assert_int_equal(kb_local_rev(fixture_kb), rev);
    /* the override wins; the file's value stays readable */
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(kb_office(fixture_kb, "00008"), "phone"), "text")),
                        "024 3823 4567");
    assert_true(json_is_null(
        json_object_get(json_object_get(kb_office_shipped(fixture_kb, "00008"), "phone"), "text")));
    /* holidays live in hours, where the handoff reads them */
    assert_string_equal(
        json_string_value(json_array_get(
            json_object_get(json_object_get(kb_office(fixture_kb, "00008"), "hours"), "holidays"),
            0)),
        "2099-12-24");
    /* the first office set up is home while locality.default is empty */
    assert_string_equal(kb_default_locality(fixture_kb, ""), "00008");
    assert_string_equal(kb_default_locality(fixture_kb, "00070"), "00070");
    assert_string_equal(kb_commune_name(fixture_kb, "00070"), "Phường Hai");
    note = kb_local_note(fixture_kb, "khai-sinh", KB_LOCAL_FEE);
    assert_non_null(note);
    assert_string_equal(note,
                        "Theo thông báo của Phường Ngọc Hà ngày 07/12/2026: Miễn phí bản sao.");
    assert_null(kb_local_note(fixture_kb, "khai-sinh", KB_LOCAL_TIME));
    assert_null(kb_local_note(fixture_kb, "ket-hon", KB_LOCAL_FEE));
    /* removed: the shipped value is back once the layer is rebuilt */
    assert_int_equal(store_office_unset(st, "00008", "phone"), 0);
    assert_int_equal(store_office_unset(st, "00008", "phone"), -ENOENT);
    assert_int_equal(store_guide_local_set(st, "khai-sinh", KB_LOCAL_FEE, NULL, "lan", 200), 0);
    assert_int_equal(store_commit(st), 0);
    l = office_build(fixture_kb, st, "", &err);
    assert_non_null(l);
    kb_set_local(fixture_kb, l);
    assert_int_equal(kb_local_rev(fixture_kb), rev + 2);
    assert_true(json_is_null(
        json_object_get(json_object_get(kb_office(fixture_kb, "00008"), "phone"), "text")));
    assert_null(kb_local_note(fixture_kb, "khai-sinh", KB_LOCAL_FEE));
    store_free(st);
}

static void test_place_facts(void **state)
{
    json_t *o = json_deep_copy(kb_office_shipped(fixture_kb, "00008"));
    struct conv_place_facts f;
    struct mc_buf b;

    (void)state;
    json_object_set_new(json_object_get(o, "hours"), "holidays",
                        json_pack("[s,s]", "2001-01-01", "2099-09-02"));
    json_object_set_new(o, "map_url", json_string("https://maps.example/ngoc-ha"));
    assert_int_equal(conv_place_facts_init(&f, o, NULL), 0);
    /* a past holiday is not said; a coming one is */
    assert_null(strstr(f.hours.data, "01/01/2001"));
    assert_non_null(strstr(f.hours.data, " (nghỉ các ngày 02/09/2099)"));
    mc_buf_init(&b, 4096);
    assert_int_equal(conv_place_office_text(&f, &b), 0);
    assert_non_null(strstr(b.data, "\n• Bản đồ: https://maps.example/ngoc-ha"));
    mc_buf_fini(&b);
    conv_place_facts_fini(&f);
    json_decref(o);
}

static void test_field_paths(void **state)
{
    const json_t *g = kb_guide(fixture_kb, "khai-sinh");

    (void)state;
    assert_non_null(g);
    assert_true(notes_field_ok(g, "fee"));
    assert_true(notes_field_ok(g, "documents[2]"));
    assert_true(notes_field_ok(g, "faq[1].a"));
    assert_true(notes_field_ok(g, "steps[3]"));
    assert_true(notes_field_ok(g, "fee_detail.exemptions"));
    assert_false(notes_field_ok(g, "documents[99]"));
    assert_false(notes_field_ok(g, "documents[01]"));
    assert_false(notes_field_ok(g, "documents[]"));
    assert_false(notes_field_ok(g, "fee."));
    assert_false(notes_field_ok(g, "[0]"));
    assert_false(notes_field_ok(g, "faq[1].z"));
    assert_false(notes_field_ok(g, "fee[0]"));
    assert_false(notes_field_ok(g, "nope"));
    assert_false(notes_field_ok(g, ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holidays),
        cmocka_unit_test(test_office_check),
        cmocka_unit_test(test_check_update),
        cmocka_unit_test_setup_teardown(test_layer, fresh_store, drop_store),
        cmocka_unit_test(test_place_facts),
        cmocka_unit_test(test_field_paths),
    };

    return cmocka_run_group_tests(tests, fixture_kb_setup, fixture_kb_teardown);
}
