/* tests/unit/test_entity.c - dossier codes, dates, phones, ID numbers and
 * e-mail addresses in real message shapes, with byte spans that mask the
 * original text, and the look-alikes that must not match. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "entity.h"

static struct entity_set *set;
static struct intent_entity e[INTENT_MAX_ENTITIES];

static size_t find(const char *s)
{
    return entity_find(set, s, strlen(s), e, INTENT_MAX_ENTITIES);
}

static void expect(const char *s, size_t k, enum intent_entity_kind kind, const char *span,
                   const char *value)
{
    size_t n = find(s);

    if (n <= k || e[k].kind != kind || e[k].len != strlen(span) ||
        memcmp(s + e[k].start, span, e[k].len) != 0 || strcmp(e[k].value, value) != 0)
        print_error("\"%s\": entity %zu of %zu: kind %d span \"%.*s\" value \"%s\"\n", s, k, n,
                    n > k ? (int)e[k].kind : -1, n > k ? (int)e[k].len : 0,
                    n > k ? s + e[k].start : "", n > k ? e[k].value : "");
    assert_true(n > k);
    assert_int_equal(e[k].kind, kind);
    assert_int_equal(e[k].len, strlen(span));
    assert_memory_equal(s + e[k].start, span, e[k].len);
    assert_string_equal(e[k].value, value);
}

static int setup(void **state)
{
    struct mc_err err = {{0}};

    (void)state;
    set = entity_set_new(&err);
    return set ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    entity_set_free(set);
    return 0;
}

static void test_dossier_codes(void **state)
{
    (void)state;
    expect("hồ sơ H12.34-250101-0001 đến đâu rồi", 0, INTENT_ENTITY_DOSSIER, "H12.34-250101-0001",
           "H12.34-250101-0001");
    expect("ma 000.00.12.h12-241231-0042 nha", 0, INTENT_ENTITY_DOSSIER,
           "000.00.12.h12-241231-0042", "000.00.12.H12-241231-0042");
    expect("mã hồ sơ: BN2025/000123 của tôi", 0, INTENT_ENTITY_DOSSIER, "BN2025/000123",
           "BN2025/000123");
    expect("ma ho so la 20250312ABC", 0, INTENT_ENTITY_DOSSIER, "20250312ABC", "20250312ABC");
    assert_int_equal(find("mã hồ sơ của tôi bị sai"), 0);
}

static void test_dates(void **state)
{
    (void)state;
    expect("hẹn ngày 05/03/2025 trả", 0, INTENT_ENTITY_DATE, "05/03/2025", "2025-03-05");
    expect("nộp hôm 5-3-25", 0, INTENT_ENTITY_DATE, "5-3-25", "2025-03-05");
    expect("sinh ngày 12.11.1990", 0, INTENT_ENTITY_DATE, "12.11.1990", "1990-11-12");
    expect("hẹn 20/4 lấy", 0, INTENT_ENTITY_DATE, "20/4", "20/04");
    expect("ngày 2 tháng 9 năm 2025", 0, INTENT_ENTITY_DATE, "ngày 2 tháng 9 năm 2025",
           "2025-09-02");
    assert_int_equal(find("tỷ lệ 45/60 người"), 0); /* not a date */
    assert_int_equal(find("32/13/2020"), 0);
}

static void test_phones(void **state)
{
    (void)state;
    expect("gọi 0912345678 nhé", 0, INTENT_ENTITY_PHONE, "0912345678", "0912345678");
    expect("sđt 0912.345.678", 0, INTENT_ENTITY_PHONE, "0912.345.678", "0912345678");
    expect("+84 912 345 678", 0, INTENT_ENTITY_PHONE, "+84 912 345 678", "0912345678");
    expect("bàn 0243 8251 234", 0, INTENT_ENTITY_PHONE, "0243 8251 234", "02438251234");
    assert_int_equal(find("0112345678"), 0); /* no such prefix */
}

static void test_ids_and_email(void **state)
{
    (void)state;
    expect("cccd 079123456789 bị mất", 0, INTENT_ENTITY_ID, "079123456789", "079123456789");
    expect("cmnd 123456789", 0, INTENT_ENTITY_ID, "123456789", "123456789");
    expect("gửi vào an.nguyen+hs@gmail.com giúp", 0, INTENT_ENTITY_EMAIL, "an.nguyen+hs@gmail.com",
           "an.nguyen+hs@gmail.com");
    assert_int_equal(find("số 1234567890123 dài quá"), 0);
    assert_int_equal(find("không có số nào"), 0);
}

static void test_several_in_order(void **state)
{
    const char *s = "tôi 079123456789, sđt 0987654321, hẹn 01/02/2025";

    (void)state;
    assert_int_equal(find(s), 3);
    assert_int_equal(e[0].kind, INTENT_ENTITY_ID);
    assert_int_equal(e[1].kind, INTENT_ENTITY_PHONE);
    assert_int_equal(e[2].kind, INTENT_ENTITY_DATE);
    assert_true(e[0].start < e[1].start && e[1].start < e[2].start);
    assert_int_equal(entity_find(set, s, strlen(s), e, 1), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dossier_codes),    cmocka_unit_test(test_dates),
        cmocka_unit_test(test_phones),           cmocka_unit_test(test_ids_and_email),
        cmocka_unit_test(test_several_in_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
