/* tests/unit/test_mc_json.c - mc_json_dump() writes what json_dumps(j,
 * JSON_COMPACT) writes, byte for byte: escapes, UTF-8, NUL, reals, integers,
 * nesting, key order, refusals; and on random documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "mc_json.h"

/* Both dumps of j are equal (or both NULL); consumes j. */
static void same(json_t *j)
{
    char *want = json_dumps(j, JSON_COMPACT), *got = mc_json_dump(j);

    if (want && got)
        assert_string_equal(got, want);
    else
        assert_true(!want && !got);
    free(want);
    free(got);
    json_decref(j);
}

static void test_scalars_and_strings(void **state)
{
    static const char ctl[] = "\x01\x02\b\t\n\x0b\f\r\x1f\x7f";
    const double reals[] = {0.0,  -0.0, 1.0,         0.1,  1.0 / 3, 2.5e-7, -1e-5,   1e300,
                            1e21, 1e16, 123456789.0, 0.95, -7.25,   1e-300, 4.9e-324};
    static const char *const seqs[] = {"\xc3\xa0",     "a\xc3(b",          "\xc3",
                                       "\xc1\xbf",     "\xdf\xbf",         "\xe1\xba\xa1",
                                       "\xe1\xba(",    "\xe1(\xa1",        "\xe1\xba",
                                       "\xec\xbf\xbf", "\xee\x80\x80",     "\xef\xbf\xbd",
                                       "\xef\xbf",     "\xe0\x80\x80",     "\xe0\xa0\x80",
                                       "\xed\x9f\xbf", "\xf0\x9f\x98\x80", "\xf5\x80\x80\x80"};
    json_t *obj;
    size_t i;

    (void)state;
    same(json_pack("{s:n,s:b,s:b,s:I,s:I,s:I}", "n", "t", 1, "f", 0, "i", (json_int_t)0, "max",
                   (json_int_t)INT64_MAX, "min", (json_int_t)INT64_MIN));
    for (i = 0; i < sizeof(reals) / sizeof(reals[0]); i++)
        same(json_pack("[f]", reals[i]));
    same(json_pack("{s:s}", "q\"b\\s/", "Giải quyết hưởng trợ cấp – 😀 \"x\"\n• y"));
    same(json_pack("[s#]", ctl, sizeof ctl - 1));
    same(json_pack("[s#,s#]", "a\0b", (int)3, "\0", (int)1)); /* NUL inside a string */
    obj = json_object();                                      /* and inside a key */
    assert_int_equal(json_object_setn_new(obj, "k\0y\n", 4, json_integer(1)), 0);
    same(obj);
    same(json_pack("{s:{},s:[],s:[{},[]],s:{s:[i,i,{s:n}]}}", "a", "b", "c", "d", "e", 1, 2, "f"));
    same(json_pack("{s:i,s:i,s:i,s:i}", "z", 1, "a", 2, "m", 3, "b", 4)); /* insertion order */
    same(json_stringn_nocheck("\xc3(", 2));                          /* not an object: both NULL */
    same(json_pack("[o]", json_stringn_nocheck("ok\xff", 3)));       /* not UTF-8: both NULL */
    same(json_pack("[o]", json_stringn_nocheck("\xed\xa0\x80", 3))); /* a surrogate */
    /* each lead byte class of a 2- or 3-byte sequence, well-formed and not */
    for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
        same(json_pack("[o]", json_stringn_nocheck(seqs[i], strlen(seqs[i]))));
}

static void test_deep_and_loop(void **state)
{
    json_t *root = json_array(), *a = root, *b, *loop = json_object();
    int i;

    (void)state;
    for (i = 0; i < MC_JSON_DEPTH_MAX * 2; i++) { /* past the limit: jansson's own walk */
        b = json_array();
        json_array_append_new(a, b);
        a = b;
    }
    same(root);
    b = json_object();
    json_object_set(loop, "b", b); /* a loop (jansson refuses an object in itself) */
    json_object_set(b, "a", loop);
    {
        char *got = mc_json_dump(loop);

        assert_null(got);
        assert_null(json_dumps(loop, JSON_COMPACT));
    }
    json_object_del(b, "a");
    json_decref(b);
    json_decref(loop);
}

static json_t *random_value(unsigned *seed, int depth)
{
    static const char *const pieces[] = {"a", "ư", "\"", "\\", "\n", "\x01", "😀", " ", "/", "ế"};
    char text[64] = "";
    json_t *v;
    int k = rand_r(seed) % (depth > 3 ? 5 : 7), i, n;

    switch (k) {
    case 0:
        return json_integer(rand_r(seed) - RAND_MAX / 2);
    case 1:
        return json_real((double)rand_r(seed) / (rand_r(seed) + 1) * (rand_r(seed) % 2 ? 1 : -1));
    case 2:
        return rand_r(seed) % 2 ? json_true() : json_null();
    case 3:
    case 4:
        for (i = rand_r(seed) % 10; i > 0; i--)
            strcat(text, pieces[rand_r(seed) % 10]);
        return json_string(text);
    case 5:
        v = json_array();
        for (n = rand_r(seed) % 5, i = 0; i < n; i++)
            json_array_append_new(v, random_value(seed, depth + 1));
        return v;
    default:
        v = json_object();
        for (n = rand_r(seed) % 5, i = 0; i < n; i++) {
            snprintf(text, sizeof text, "k%d%s", rand_r(seed) % 20, pieces[rand_r(seed) % 10]);
            json_object_set_new(v, text, random_value(seed, depth + 1));
        }
        return v;
    }
}

static void test_random_documents(void **state)
{
    unsigned seed = 13;
    int i;

    (void)state;
    for (i = 0; i < 2000; i++)
        same(json_pack("{s:o,s:o}", "x", random_value(&seed, 0), "y", random_value(&seed, 0)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_and_strings),
        cmocka_unit_test(test_deep_and_loop),
        cmocka_unit_test(test_random_documents),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
