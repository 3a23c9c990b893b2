/* intents/entity.c - see entity.h. Formats:
 * - dossier codes of the national and provincial portals:
 *   "H12.34-250101-0001", "000.00.12.H12-250101-0001", or any code after
 *   "mã hồ sơ" / "ma ho so" / "mã hs";
 * - dates dd/mm/yyyy, dd-mm-yy, dd.mm.yyyy, dd/mm, "ngày 5 tháng 3 năm 2024";
 * - phones: 0 or +84 then 9 digits (mobile 03/05/07/08/09) or 10 digits
 *   (landline 02x), optionally grouped by spaces, dots or dashes;
 * - ID numbers: 12 digits (căn cước) or 9 digits (old CMND);
 * - e-mail addresses. */
#include "entity.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rx.h"

enum {
    PAT_DOSSIER,
    PAT_DOSSIER_NAMED,
    PAT_EMAIL,
    PAT_PHONE,
    PAT_ID,
    PAT_DATE,
    PAT_DATE_WORDS,
    PAT_COUNT
};

static const char *const entity_patterns[PAT_COUNT] = {
    /* a code with a dotted agency prefix and a date-serial tail */
    "(?<![\\w.-])(?:[a-z0-9]{1,6}(?:\\.[a-z0-9]{1,6}){1,5}-)\\d{6}-\\d{3,6}(?![\\w-])",
    /* anything code-like after "mã hồ sơ" */
    "\\b(?:m[ãa]\\s*(?:s[ốo]\\s*)?h[ồo]\\s*s[ơo]|m[ãa]\\s*hs|mhs)\\s*(?:l[àa]|:|#)?\\s*"
    "([a-z0-9](?:[a-z0-9./-]){5,39})(?<![./-])",
    "(?<![\\w.+-])[\\w.+-]{1,64}@[\\w-]{1,63}(?:\\.[\\w-]{1,63})+",
    "(?<![\\d+])(?:\\+\\s?84|0084|84|0)(?:[\\s.-]?\\d){8,10}(?![\\d])",
    "(?<!\\d)(?<!\\d[.,/-])(?:\\d{12}|\\d{9})(?!\\d|[.,/-]\\d)",
    "(?<!\\d)(?<!\\d[./-])(\\d{1,2})\\s?([/.-])\\s?(\\d{1,2})(?:\\s?\\2\\s?(\\d{4}|\\d{2}))?"
    "(?!\\d|[./-]\\d)",
    "\\bng[àa]y\\s+(\\d{1,2})\\s+th[áa]ng\\s+(\\d{1,2})(?:\\s+n[ăa]m\\s+(\\d{4}))?\\b",
};

struct entity_set {
    pcre2_code *code[PAT_COUNT];
};

void entity_set_free(struct entity_set *s)
{
    int i;

    if (!s)
        return;
    for (i = 0; i < PAT_COUNT; i++)
        pcre2_code_free(s->code[i]);
    free(s);
}

struct entity_set *entity_set_new(struct mc_err *err)
{
    struct entity_set *s = calloc(1, sizeof(*s));
    char why[160];
    int i;

    if (!s) {
        mc_err_set(err, "entities: out of memory");
        return NULL;
    }
    for (i = 0; i < PAT_COUNT; i++) {
        s->code[i] = rx_compile(entity_patterns[i], PCRE2_CASELESS, why, sizeof(why));
        if (!s->code[i]) {
            mc_err_set(err, "entities: pattern %d: %s", i, why);
            entity_set_free(s);
            return NULL;
        }
    }
    return s;
}

/* Digits of s[0..len) into out (cap bytes); returns their count. */
static size_t digits_of(const char *s, size_t len, char *out, size_t cap)
{
    size_t i, n = 0;

    for (i = 0; i < len && n + 1 < cap; i++)
        if (s[i] >= '0' && s[i] <= '9')
            out[n++] = s[i];
    out[n] = '\0';
    return n;
}

static long num_at(const char *s, PCRE2_SIZE a, PCRE2_SIZE b)
{
    long v = 0;

    if (a == PCRE2_UNSET)
        return -1;
    for (; a < b; a++)
        v = v * 10 + (s[a] - '0');
    return v;
}

/* Validates and writes a date value; false if it is not a date. */
static bool date_value(long d, long m, long y, char *out, size_t cap)
{
    if (d < 1 || d > 31 || m < 1 || m > 12)
        return false;
    if (y >= 0 && y < 100)
        y += 2000;
    if (y >= 0 && (y < 1900 || y > 2100))
        return false;
    if (y >= 0)
        snprintf(out, cap, "%04ld-%02ld-%02ld", y, m, d);
    else
        snprintf(out, cap, "%02ld/%02ld", d, m);
    return true;
}

/* Checks a match of pattern p and writes its value; false to reject it. */
static bool accept(int p, const char *t, const PCRE2_SIZE *ov, struct intent_entity *e)
{
    size_t n;
    char dg[32];

    switch (p) {
    case PAT_DOSSIER:
    case PAT_DOSSIER_NAMED:
        e->kind = INTENT_ENTITY_DOSSIER;
        if (p == PAT_DOSSIER_NAMED) { /* the code alone, not "mã hồ sơ" */
            e->start = ov[2];
            e->len = ov[3] - ov[2];
            if (digits_of(t + e->start, e->len, dg, sizeof(dg)) < 4)
                return false; /* "mã hồ sơ của tôi" is not a code */
        }
        n = e->len < sizeof(e->value) - 1 ? e->len : sizeof(e->value) - 1;
        memcpy(e->value, t + e->start, n);
        e->value[n] = '\0';
        for (size_t i = 0; i < n; i++)
            if (e->value[i] >= 'a' && e->value[i] <= 'z')
                e->value[i] = (char)(e->value[i] - 'a' + 'A');
        return true;
    case PAT_EMAIL:
        e->kind = INTENT_ENTITY_EMAIL;
        n = e->len < sizeof(e->value) - 1 ? e->len : sizeof(e->value) - 1;
        memcpy(e->value, t + e->start, n);
        e->value[n] = '\0';
        return true;
    case PAT_PHONE:
        e->kind = INTENT_ENTITY_PHONE;
        n = digits_of(t + e->start, e->len, dg, sizeof(dg));
        if (n >= 2 && dg[0] == '8' && dg[1] == '4') { /* +84 / 84 -> 0 */
            memmove(dg + 1, dg + 2, n - 1);
            dg[0] = '0';
            n--;
        } else if (n >= 4 && memcmp(dg, "0084", 4) == 0) {
            memmove(dg + 1, dg + 4, n - 3);
            n -= 3;
        }
        if (dg[0] != '0')
            return false;
        if (!(n == 10 && strchr("35789", dg[1])) && !(n == 11 && dg[1] == '2'))
            return false;
        snprintf(e->value, sizeof(e->value), "%s", dg);
        return true;
    case PAT_ID:
        e->kind = INTENT_ENTITY_ID;
        digits_of(t + e->start, e->len, e->value, sizeof(e->value));
        return true;
    case PAT_DATE:
        e->kind = INTENT_ENTITY_DATE;
        return date_value(num_at(t, ov[2], ov[3]), num_at(t, ov[6], ov[7]), num_at(t, ov[8], ov[9]),
                          e->value, sizeof(e->value));
    case PAT_DATE_WORDS:
        e->kind = INTENT_ENTITY_DATE;
        return date_value(num_at(t, ov[2], ov[3]), num_at(t, ov[4], ov[5]), num_at(t, ov[6], ov[7]),
                          e->value, sizeof(e->value));
    default:
        return false;
    }
}

static bool overlaps(const struct intent_entity *out, size_t n, size_t a, size_t len)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (a < out[i].start + out[i].len && out[i].start < a + len)
            return true;
    return false;
}

static int by_start(const void *a, const void *b)
{
    const struct intent_entity *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

size_t entity_find(const struct entity_set *s, const char *text, size_t len,
                   struct intent_entity *out, size_t max)
{
    struct rx_scratch sc;
    pcre2_match_data *md;
    PCRE2_SIZE *ov, off;
    struct intent_entity e;
    size_t n = 0;
    int p, rc;

    bool digit = false, at = false;
    size_t i;

    for (i = 0; i < len; i++) { /* every format needs a digit or an @ */
        digit = digit || (text[i] >= '0' && text[i] <= '9');
        at = at || text[i] == '@';
    }
    if ((!digit && !at) || max == 0)
        return 0;
    md = rx_match_data(&sc, 5);
    if (!md)
        return 0;
    ov = pcre2_get_ovector_pointer(md);
    for (p = 0; p < PAT_COUNT && n < max; p++) {
        if (p == PAT_EMAIL ? !at : !digit)
            continue;
        for (off = 0; off < len && n < max;) {
            rc = pcre2_match(s->code[p], (PCRE2_SPTR)text, len, off, PCRE2_NO_UTF_CHECK, md, NULL);
            if (rc < 0)
                break;
            memset(&e, 0, sizeof(e));
            e.start = ov[0];
            e.len = ov[1] - ov[0];
            if (accept(p, text, ov, &e) && !overlaps(out, n, e.start, e.len))
                out[n++] = e;
            off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
            while (off < len && ((unsigned char)text[off] & 0xC0) == 0x80)
                off++; /* never restart inside a UTF-8 sequence */
        }
    }
    qsort(out, n, sizeof(*out), by_start);
    return n;
}
