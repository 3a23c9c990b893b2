/* fuzz/fuzz_places.c - the locality search (gateway/kb/places.c): the place
 * finder that reads a commune out of a whole citizen message, over the real
 * units of data/units (built once per process), with and without
 * PLACES_FIND_EXPECT; and the search key of /api/v1/localities
 * (kb_units_key). Checks: every span lies inside the message, at most
 * PLACES_CANDIDATES_MAX candidates, each with its code, name and province. */
#include "common.h"

#include <stdlib.h>
#include <string.h>

#include "kb.h"
#include "kb_units.h"
#include "places.h"

static struct kb *kb;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_kb_open(&kb, NULL);
    return 0;
}

static void check_span(struct places_span sp, size_t len)
{
    if (sp.start > len || sp.len > len - sp.start)
        abort();
}

static void check(const struct places_result *r, size_t len)
{
    size_t i;

    if (r->n > PLACES_CANDIDATES_MAX || (r->n && !r->found))
        abort();
    check_span(r->mention, len);
    check_span(r->statement, len);
    check_span(r->hints.unit, len);
    check_span(r->hints.district, len);
    check_span(r->hints.province, len);
    for (i = 0; i < r->n; i++)
        if (!r->cand[i].code || !r->cand[i].name || !r->cand[i].province ||
            !r->cand[i].province_code)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct places_index *pi = kb_places(kb);
    struct places_result *r = malloc(sizeof(*r));
    char key[UNITS_KEY_MAX], *s;

    if (!r)
        abort();
    if (places_find_opt(pi, (const char *)data, size, 0, r) == 0)
        check(r, size);
    if (places_find_opt(pi, (const char *)data, size, PLACES_FIND_EXPECT, r) == 0)
        check(r, size);
    s = fuzz_strndup(data, size);
    if (kb_units_key(s, key, sizeof(key)) == 0 && !memchr(key, '\0', sizeof(key)))
        abort();
    free(s);
    free(r);
    return 0;
}
