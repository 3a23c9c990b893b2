/* tests/unit/test_places.c - the locality index and finder against the real
 * data/units files, imported with kb_units_import() into an in-memory
 * database built from data/schema.sql: namesakes in several provinces,
 * former communes split between units, unit words full and short, no
 * diacritics, any order, residence cues, and everyday words that are not places. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "kb_units.h"
#include "places.h"

static struct places_index *idx;

static int setup(void **state)
{
    sqlite3 *db = NULL;
    struct mc_err err = {{0}};
    char *schema = NULL;
    FILE *f;
    long n;
    int nerr = 0;

    (void)state;
    f = fopen("data/schema.sql", "r");
    if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
        return -1;
    schema = calloc(1, (size_t)n + 1);
    if (!schema || fread(schema, 1, (size_t)n, f) != (size_t)n)
        return -1;
    fclose(f);
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        kb_units_import(db, "data", stderr, &nerr) != 0 || nerr != 0 ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    free(schema);
    idx = places_index_new(db, &err);
    sqlite3_close(db);
    if (!idx)
        fprintf(stderr, "places_index_new: %s\n", err.text);
    return idx ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    places_index_free(idx);
    return 0;
}

static void find(const char *msg, unsigned flags, struct places_result *r)
{
    int rc = places_find_opt(idx, msg, strlen(msg), flags, r);

    if (rc != 0)
        fail_msg("places_find(\"%s\") = %d", msg, rc);
}

/* msg resolves to exactly the units codes (NULL-terminated), in any order. */
static void units_are(const char *msg, const char *const *codes)
{
    struct places_result r;
    size_t want = 0, k, j;

    find(msg, 0, &r);
    while (codes[want])
        want++;
    if (r.n != want)
        fail_msg("\"%s\": %zu units (first %s), want %zu (%s)", msg, r.n,
                 r.n ? r.cand[0].code : "-", want, codes[0]);
    for (k = 0; k < want; k++) {
        for (j = 0; j < r.n && strcmp(r.cand[j].code, codes[k]) != 0; j++)
            ;
        if (j == r.n)
            fail_msg("\"%s\": %s not among the units found", msg, codes[k]);
    }
    assert_true(r.found);
}

static void one_unit(const char *msg, const char *code)
{
    const char *codes[] = {code, NULL};

    units_are(msg, codes);
}

static void no_place(const char *msg)
{
    struct places_result r;

    find(msg, 0, &r);
    if (r.found)
        fail_msg("\"%s\": read a place at \"%.*s\" (%zu units)", msg, (int)r.mention.len,
                 msg + r.mention.start, r.n);
}

static void test_build(void **state)
{
    size_t units, former, districts, names;

    (void)state;
    places_index_counts(idx, &units, &former, &districts, &names);
    assert_int_equal(units, 3321);
    assert_int_equal(former, 10599);
    assert_true(districts > 600 && districts < 800);
    assert_true(places_index_memory(idx) < 4 * 1024 * 1024);
}

/* issue 12 class D/E: the old district picks among namesakes */
static void test_old_district(void **state)
{
    struct places_result r;

    (void)state;
    one_unit("phường An Lạc cũ, quận Bình Tân", "27460");
    one_unit("quận Bình Tân phường An Lạc cũ", "27460");
    one_unit("An Lạc, Bình Tân, HCM", "27460");
    one_unit("phường 12 quận Gò Vấp cũ", "26882");
    one_unit("p12 q.gò vấp", "26882");
    one_unit("phuong 12 quan go vap cu", "26882");
    one_unit("phường 1 thành phố Đà Lạt cũ", "24781");
    /* a former district-level city or town, full or short, is a district hint, also in the
     * lower-case text `motcua ask` passes (not Phường Quang Trung of Thanh Hoá) */
    one_unit("tôi ở phường Quang Trung, thành phố Vinh cũ", "16681");
    one_unit("tôi ở p. Quang Trung, tp Vinh cũ", "16681");
    one_unit("tôi ở p quang trung tp vinh cũ", "16681");
    one_unit("p. Trường Thi, tp Vinh", "16690");
    one_unit("tôi ở x. Mỹ An, tx Chũ cũ", "07612"); /* not Xã Mỹ An of Tây Ninh */
    one_unit("xã mỹ an thị xã chũ", "07612");
    find("phường An Lạc cũ, quận Bình Tân", 0, &r);
    assert_true(r.explicit && r.by_former && r.hints.former);
    assert_string_equal(r.hints.district_name, "Quận Bình Tân");
    assert_string_equal(r.hints.province_name, "Thành phố Hồ Chí Minh");
    assert_int_equal(r.hints.unit_type, PLACES_TYPE_PHUONG);
    assert_string_equal(r.cand[0].former_district, "Quận Bình Tân");
    find("An Lạc, Bình Tân, HCM", 0, &r);
    assert_false(r.explicit); /* no unit word, no cue: three names that agree */
}

/* a current name beats a former one, unless "cũ" or an old district says otherwise */
static void test_current_or_former(void **state)
{
    struct places_result r;

    (void)state;
    one_unit("phường Vĩnh Phúc", "08716");    /* today's ward in Phú Thọ */
    one_unit("phường Vĩnh Phúc cũ", "00008"); /* the former one in Ba Đình, Hà Nội */
    one_unit("phường Vĩnh Phúc, quận Ba Đình", "00008");
    one_unit("phường Vĩnh Phúc Hà Nội", "00008");
    one_unit("phường Vĩnh Phúc trước sáp nhập", "00008");
    find("phường Vĩnh Phúc", 0, &r);
    assert_false(r.by_former);
    assert_null(r.cand[0].former_code);
    assert_true(r.cand[0].whole);
}

static void test_split_commune(void **state)
{
    static const char *const cong_vi[] = {"00008", "00025", NULL};
    static const char *const tan_phu[] = {"25516", "25549", NULL};
    struct places_result r;
    size_t k;

    (void)state;
    units_are("tôi ở trọ ở phường Cống Vị cũ", cong_vi);
    units_are("Tôi ở phường Cống Vị quận Ba Đình cũ, làm khai sinh ở đâu", cong_vi);
    units_are("nhà ở Xã Tân Phú huyện Tân Châu tỉnh Tây Ninh cũ", tan_phu);
    find("phuong cong vi cu", 0, &r);
    assert_int_equal(r.n, 2);
    for (k = 0; k < r.n; k++) {
        assert_false(r.cand[k].whole);
        assert_string_equal(r.cand[k].former_name, "Phường Cống Vị");
    }
}

/* namesakes: the province named wins, and no unit of another province comes back */
static void test_namesakes(void **state)
{
    struct places_result r;
    size_t k;

    (void)state;
    find("xã Tân Phú", 0, &r);
    assert_true(r.n >= 4);
    for (k = 0; k < r.n; k++)
        assert_true(strncmp(r.cand[k].name, "Xã ", sizeof "Xã " - 1) == 0);
    one_unit("xã Tân Phú, tỉnh Nghệ An", "17272");
    one_unit("xa tan phu tinh dong thap", "28468");
    one_unit("Tân Phú, Đồng Tháp", "28468");
    one_unit("xã Tân Phú tỉnh Đồng Nai", "26116"); /* a phường since 2026 */
    find("phường An Lạc, tỉnh Nghệ An", 0, &r);    /* no An Lạc there */
    assert_true(r.found && r.explicit);
    assert_int_equal(r.n, 0);
    find("An Lạc, Nghệ An", 0, &r);
    assert_int_equal(r.n, 0);
}

static void test_written_forms(void **state)
{
    static const char *const van_con[] = {"09871", "09877", NULL};
    const char *msg = "Tôi tạm trú ở P.Bến Thành Q.1 ạ";
    struct places_result r;

    (void)state;
    one_unit("P.An Lạc", "27460");
    one_unit("p. an lac", "27460");
    one_unit("PHUONG AN LAC", "27460");
    one_unit("phường  An  Lạc ,quận Bình Tân", "27460");
    units_are("xã Vân Côn huyện Hoài Đức", van_con); /* split in two */
    find(msg, 0, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.cand[0].code, "26743");
    assert_true(r.hints.cue);
    assert_int_equal(r.mention.len, sizeof "P.Bến Thành Q.1" - 1);
    assert_memory_equal(msg + r.mention.start, "P.Bến Thành Q.1", r.mention.len);
    assert_memory_equal(msg + r.hints.unit.start, "Bến Thành", r.hints.unit.len);
    assert_memory_equal(msg + r.hints.district.start, "1", r.hints.district.len);
    /* "Đ" and decomposed marks fold like the rest */
    one_unit("ĐƯỜNG ở Phường Đống Đa", "00235"); /* unit word "ĐƯỜNG" is no unit word */
    one_unit("phu\xcc\x9b\xcc\x80o\xcc\x9bng An La\xcc\xa3\x63", "27460");
}

static void test_residence(void **state)
{
    struct places_result r;

    (void)state;
    one_unit("toi o tro o phuong an lac", "27460");
    one_unit("Tôi ở Phường 1 Đà Lạt", "24781");
    find("tôi ở Hà Nội", 0, &r);
    assert_true(r.found && r.hints.cue);
    assert_int_equal(r.n, 0);
    assert_string_equal(r.hints.province_name, "Thành phố Hà Nội");
    find("tôi ở quận Gò Vấp", 0, &r); /* a district only: ask which ward */
    assert_true(r.found && r.explicit);
    assert_int_equal(r.n, 0);
    assert_string_equal(r.hints.district_name, "Quận Gò Vấp");
    find("tp.hcm", 0, &r);
    assert_string_equal(r.hints.province_name, "Thành phố Hồ Chí Minh");
    /* a bare name after the bot asked for a place */
    find("an lạc bình tân", PLACES_FIND_EXPECT, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.cand[0].code, "27460");
}

static void test_unknown_place(void **state)
{
    struct places_result r;

    (void)state;
    find("đăng ký khai sinh cho con ở phường Xyz", 0, &r);
    assert_true(r.found && r.explicit);
    assert_int_equal(r.n, 0);
    find("tôi ở xã X huyện Y cũ thì đến đâu làm", 0, &r);
    assert_true(r.found && r.explicit);
    assert_int_equal(r.n, 0);
}

/* everyday words are not places (issue 12: "ở xa", "tân", "xã hội") */
static void test_not_places(void **state)
{
    (void)state;
    no_place("ở xa quá không đi được");
    no_place("bảo hiểm xã hội tự nguyện");
    no_place("làm hồ sơ mua nhà ở xã hội cần giấy xác nhận");
    no_place("xin xác nhận đã thường trú tại phường từ năm 2010");
    no_place("e đi lm xa 6 tháng có cần báo tạm vắng ko ạ");
    no_place("tra cuu ho so ma H12.34-251103-0027 giup toi");
    no_place("gks của e mất r mà xã vẫn còn sổ, xin bản sao ở đâu ad"); /* not Xã Vân Côn */
    no_place("Anh tôi đuối nước mất ở sông, công an đã lập biên bản");  /* not Sông Công */
    no_place("nhà tôi ở từ năm 1990");
    no_place("ra xã làm giấy kết hôn cần mang gì");
    no_place("đăng ký tân gia");
    no_place("địa chỉ trung tâm hành chính công của xã");
    no_place("xe khách ra tp vinh mấy giờ"); /* a lower-case one-word name needs support */
    no_place("");
}

static void test_limits(void **state)
{
    struct places_result r;
    char *big = malloc(PLACES_INPUT_MAX + 1);

    (void)state;
    assert_non_null(big);
    memset(big, 'a', PLACES_INPUT_MAX + 1);
    assert_int_equal(places_find(idx, big, PLACES_INPUT_MAX + 1, &r), -E2BIG);
    memset(big, '1', PLACES_INPUT_MAX);
    assert_int_equal(places_find(idx, big, PLACES_INPUT_MAX, &r), 0);
    for (size_t k = 0; k + 3 <= PLACES_INPUT_MAX; k += 3)
        memcpy(big + k, "p1 ", 3);
    assert_int_equal(places_find(idx, big, PLACES_INPUT_MAX, &r), 0);
    assert_true(r.n <= PLACES_CANDIDATES_MAX);
    free(big);
    assert_int_equal(places_find(idx, "ph\xffng", 5, &r), -EINVAL);
    assert_int_equal(places_find(idx, "a\0b", 3, &r), -EINVAL);
    find("phường 1", 0, &r); /* dozens of former "Phường 1" */
    assert_int_equal(r.n, PLACES_CANDIDATES_MAX);
    assert_true(r.truncated);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_old_district),
        cmocka_unit_test(test_current_or_former),
        cmocka_unit_test(test_split_commune),
        cmocka_unit_test(test_namesakes),
        cmocka_unit_test(test_written_forms),
        cmocka_unit_test(test_residence),
        cmocka_unit_test(test_unknown_place),
        cmocka_unit_test(test_not_places),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
