/* intents/fold.c - see fold.h. The two tables cover U+00C0..U+01B0 (Latin-1
 * Supplement and Latin Extended-A/B up to ư) and U+1EA0..U+1EF9 (Latin
 * Extended Additional: the Vietnamese stacked letters); they were generated
 * from Unicode 14 NFD data and test_fold.c re-derives them from ICU. */
#include "fold.h"

#include <errno.h>
#include <string.h>

#include "mc_utf8.h"

/* one table entry: ASCII letter, vowel, tone */
#define L(c, v, t)                                                                                 \
    {                                                                                              \
        c, v, t                                                                                    \
    }

static const struct fold_letter fold_latin[0x1B0 - 0xC0 + 1] = {
    L('a', 1, 1),  L('a', 1, 2),  L('a', 3, 0),
    L('a', 1, 4),  L('a', 0, 0),  L('a', 0, 0), /* U+00C0 */
    {0, 0, 0},     L('c', 0, 0),  L('e', 4, 1),
    L('e', 4, 2),  L('e', 5, 0),  L('e', 0, 0), /* U+00C6 */
    L('i', 6, 1),  L('i', 6, 2),  L('i', 0, 0),
    L('i', 0, 0),  L('d', 0, 0),  L('n', 0, 0), /* U+00CC */
    L('o', 7, 1),  L('o', 7, 2),  L('o', 8, 0),
    L('o', 7, 4),  L('o', 0, 0),  {0, 0, 0}, /* U+00D2 */
    {0, 0, 0},     L('u', 10, 1), L('u', 10, 2),
    L('u', 0, 0),  L('u', 0, 0),  L('y', 12, 2), /* U+00D8 */
    {0, 0, 0},     {0, 0, 0},     L('a', 1, 1),
    L('a', 1, 2),  L('a', 3, 0),  L('a', 1, 4), /* U+00DE */
    L('a', 0, 0),  L('a', 0, 0),  {0, 0, 0},
    L('c', 0, 0),  L('e', 4, 1),  L('e', 4, 2), /* U+00E4 */
    L('e', 5, 0),  L('e', 0, 0),  L('i', 6, 1),
    L('i', 6, 2),  L('i', 0, 0),  L('i', 0, 0), /* U+00EA */
    L('d', 0, 0),  L('n', 0, 0),  L('o', 7, 1),
    L('o', 7, 2),  L('o', 8, 0),  L('o', 7, 4), /* U+00F0 */
    L('o', 0, 0),  {0, 0, 0},     {0, 0, 0},
    L('u', 10, 1), L('u', 10, 2), L('u', 0, 0), /* U+00F6 */
    L('u', 0, 0),  L('y', 12, 2), {0, 0, 0},
    L('y', 0, 0),  L('a', 0, 0),  L('a', 0, 0), /* U+00FC */
    L('a', 2, 0),  L('a', 2, 0),  L('a', 0, 0),
    L('a', 0, 0),  L('c', 0, 0),  L('c', 0, 0), /* U+0102 */
    L('c', 0, 0),  L('c', 0, 0),  L('c', 0, 0),
    L('c', 0, 0),  L('c', 0, 0),  L('c', 0, 0), /* U+0108 */
    L('d', 0, 0),  L('d', 0, 0),  L('d', 0, 0),
    L('d', 0, 0),  L('e', 0, 0),  L('e', 0, 0), /* U+010E */
    L('e', 0, 0),  L('e', 0, 0),  L('e', 0, 0),
    L('e', 0, 0),  L('e', 0, 0),  L('e', 0, 0), /* U+0114 */
    L('e', 0, 0),  L('e', 0, 0),  L('g', 0, 0),
    L('g', 0, 0),  L('g', 0, 0),  L('g', 0, 0), /* U+011A */
    L('g', 0, 0),  L('g', 0, 0),  L('g', 0, 0),
    L('g', 0, 0),  L('h', 0, 0),  L('h', 0, 0), /* U+0120 */
    {0, 0, 0},     {0, 0, 0},     L('i', 6, 4),
    L('i', 6, 4),  L('i', 0, 0),  L('i', 0, 0), /* U+0126 */
    L('i', 0, 0),  L('i', 0, 0),  L('i', 0, 0),
    L('i', 0, 0),  L('i', 0, 0),  {0, 0, 0}, /* U+012C */
    {0, 0, 0},     {0, 0, 0},     L('j', 0, 0),
    L('j', 0, 0),  L('k', 0, 0),  L('k', 0, 0), /* U+0132 */
    {0, 0, 0},     L('l', 0, 0),  L('l', 0, 0),
    L('l', 0, 0),  L('l', 0, 0),  L('l', 0, 0), /* U+0138 */
    L('l', 0, 0),  {0, 0, 0},     {0, 0, 0},
    {0, 0, 0},     {0, 0, 0},     L('n', 0, 0), /* U+013E */
    L('n', 0, 0),  L('n', 0, 0),  L('n', 0, 0),
    L('n', 0, 0),  L('n', 0, 0),  {0, 0, 0}, /* U+0144 */
    {0, 0, 0},     {0, 0, 0},     L('o', 0, 0),
    L('o', 0, 0),  L('o', 0, 0),  L('o', 0, 0), /* U+014A */
    L('o', 0, 0),  L('o', 0, 0),  {0, 0, 0},
    {0, 0, 0},     L('r', 0, 0),  L('r', 0, 0), /* U+0150 */
    L('r', 0, 0),  L('r', 0, 0),  L('r', 0, 0),
    L('r', 0, 0),  L('s', 0, 0),  L('s', 0, 0), /* U+0156 */
    L('s', 0, 0),  L('s', 0, 0),  L('s', 0, 0),
    L('s', 0, 0),  L('s', 0, 0),  L('s', 0, 0), /* U+015C */
    L('t', 0, 0),  L('t', 0, 0),  L('t', 0, 0),
    L('t', 0, 0),  {0, 0, 0},     {0, 0, 0}, /* U+0162 */
    L('u', 10, 4), L('u', 10, 4), L('u', 0, 0),
    L('u', 0, 0),  L('u', 0, 0),  L('u', 0, 0), /* U+0168 */
    L('u', 0, 0),  L('u', 0, 0),  L('u', 0, 0),
    L('u', 0, 0),  L('u', 0, 0),  L('u', 0, 0), /* U+016E */
    L('w', 0, 0),  L('w', 0, 0),  L('y', 0, 0),
    L('y', 0, 0),  L('y', 0, 0),  L('z', 0, 0), /* U+0174 */
    L('z', 0, 0),  L('z', 0, 0),  L('z', 0, 0),
    L('z', 0, 0),  L('z', 0, 0),  {0, 0, 0}, /* U+017A */
    {0, 0, 0},     {0, 0, 0},     {0, 0, 0},
    {0, 0, 0},     {0, 0, 0},     {0, 0, 0}, /* U+0180 */
    {0, 0, 0},     {0, 0, 0},     {0, 0, 0},
    {0, 0, 0},     {0, 0, 0},     {0, 0, 0}, /* U+0186 */
    {0, 0, 0},     {0, 0, 0},     {0, 0, 0},
    {0, 0, 0},     {0, 0, 0},     {0, 0, 0}, /* U+018C */
    {0, 0, 0},     {0, 0, 0},     {0, 0, 0},
    {0, 0, 0},     {0, 0, 0},     {0, 0, 0}, /* U+0192 */
    {0, 0, 0},     {0, 0, 0},     {0, 0, 0},
    {0, 0, 0},     {0, 0, 0},     {0, 0, 0}, /* U+0198 */
    {0, 0, 0},     {0, 0, 0},     L('o', 9, 0),
    L('o', 9, 0),  {0, 0, 0},     {0, 0, 0}, /* U+019E */
    {0, 0, 0},     {0, 0, 0},     {0, 0, 0},
    {0, 0, 0},     {0, 0, 0},     {0, 0, 0}, /* U+01A4 */
    {0, 0, 0},     {0, 0, 0},     {0, 0, 0},
    {0, 0, 0},     {0, 0, 0},     L('u', 11, 0), /* U+01AA */
    L('u', 11, 0),                               /* U+01B0 */
};
static const struct fold_letter fold_viet[0x1EF9 - 0x1EA0 + 1] = {
    L('a', 1, 5),  L('a', 1, 5),  L('a', 1, 3),
    L('a', 1, 3),  L('a', 3, 2),  L('a', 3, 2), /* U+1EA0 */
    L('a', 3, 1),  L('a', 3, 1),  L('a', 3, 3),
    L('a', 3, 3),  L('a', 3, 4),  L('a', 3, 4), /* U+1EA6 */
    L('a', 3, 5),  L('a', 3, 5),  L('a', 2, 2),
    L('a', 2, 2),  L('a', 2, 1),  L('a', 2, 1), /* U+1EAC */
    L('a', 2, 3),  L('a', 2, 3),  L('a', 2, 4),
    L('a', 2, 4),  L('a', 2, 5),  L('a', 2, 5), /* U+1EB2 */
    L('e', 4, 5),  L('e', 4, 5),  L('e', 4, 3),
    L('e', 4, 3),  L('e', 4, 4),  L('e', 4, 4), /* U+1EB8 */
    L('e', 5, 2),  L('e', 5, 2),  L('e', 5, 1),
    L('e', 5, 1),  L('e', 5, 3),  L('e', 5, 3), /* U+1EBE */
    L('e', 5, 4),  L('e', 5, 4),  L('e', 5, 5),
    L('e', 5, 5),  L('i', 6, 3),  L('i', 6, 3), /* U+1EC4 */
    L('i', 6, 5),  L('i', 6, 5),  L('o', 7, 5),
    L('o', 7, 5),  L('o', 7, 3),  L('o', 7, 3), /* U+1ECA */
    L('o', 8, 2),  L('o', 8, 2),  L('o', 8, 1),
    L('o', 8, 1),  L('o', 8, 3),  L('o', 8, 3), /* U+1ED0 */
    L('o', 8, 4),  L('o', 8, 4),  L('o', 8, 5),
    L('o', 8, 5),  L('o', 9, 2),  L('o', 9, 2), /* U+1ED6 */
    L('o', 9, 1),  L('o', 9, 1),  L('o', 9, 3),
    L('o', 9, 3),  L('o', 9, 4),  L('o', 9, 4), /* U+1EDC */
    L('o', 9, 5),  L('o', 9, 5),  L('u', 10, 5),
    L('u', 10, 5), L('u', 10, 3), L('u', 10, 3), /* U+1EE2 */
    L('u', 11, 2), L('u', 11, 2), L('u', 11, 1),
    L('u', 11, 1), L('u', 11, 3), L('u', 11, 3), /* U+1EE8 */
    L('u', 11, 4), L('u', 11, 4), L('u', 11, 5),
    L('u', 11, 5), L('y', 12, 1), L('y', 12, 1), /* U+1EEE */
    L('y', 12, 5), L('y', 12, 5), L('y', 12, 3),
    L('y', 12, 3), L('y', 12, 4), L('y', 12, 4), /* U+1EF4 */
};

#undef L

/* [vowel - 1][tone]: lower-case precomposed letters. */
static const uint16_t fold_vowels[FOLD_V_COUNT - 1][FOLD_TONE_COUNT] = {
    {0x0061, 0x00E0, 0x00E1, 0x1EA3, 0x00E3, 0x1EA1}, /* a */
    {0x0103, 0x1EB1, 0x1EAF, 0x1EB3, 0x1EB5, 0x1EB7}, /* ă */
    {0x00E2, 0x1EA7, 0x1EA5, 0x1EA9, 0x1EAB, 0x1EAD}, /* â */
    {0x0065, 0x00E8, 0x00E9, 0x1EBB, 0x1EBD, 0x1EB9}, /* e */
    {0x00EA, 0x1EC1, 0x1EBF, 0x1EC3, 0x1EC5, 0x1EC7}, /* ê */
    {0x0069, 0x00EC, 0x00ED, 0x1EC9, 0x0129, 0x1ECB}, /* i */
    {0x006F, 0x00F2, 0x00F3, 0x1ECF, 0x00F5, 0x1ECD}, /* o */
    {0x00F4, 0x1ED3, 0x1ED1, 0x1ED5, 0x1ED7, 0x1ED9}, /* ô */
    {0x01A1, 0x1EDD, 0x1EDB, 0x1EDF, 0x1EE1, 0x1EE3}, /* ơ */
    {0x0075, 0x00F9, 0x00FA, 0x1EE7, 0x0169, 0x1EE5}, /* u */
    {0x01B0, 0x1EEB, 0x1EE9, 0x1EED, 0x1EEF, 0x1EF1}, /* ư */
    {0x0079, 0x1EF3, 0x00FD, 0x1EF7, 0x1EF9, 0x1EF5}, /* y */
};

bool fold_letter_of(uint32_t cp, struct fold_letter *out)
{
    static const unsigned char ascii_vowel[26] = {
        FOLD_V_A, 0,        0, 0, FOLD_V_E, 0, 0, 0,        FOLD_V_I, 0, 0, 0,        0,
        0,        FOLD_V_O, 0, 0, 0,        0, 0, FOLD_V_U, 0,        0, 0, FOLD_V_Y, 0,
    };
    const struct fold_letter *l = NULL;

    if (cp < 0x80) {
        if (cp >= 'A' && cp <= 'Z')
            cp += 'a' - 'A';
        if (cp < 'a' || cp > 'z')
            return false;
        out->ascii = (char)cp;
        out->vowel = ascii_vowel[cp - 'a'];
        out->tone = FOLD_TONE_NONE;
        return true;
    }
    if (cp >= 0xC0 && cp <= 0x1B0)
        l = &fold_latin[cp - 0xC0];
    else if (cp >= 0x1EA0 && cp <= 0x1EF9)
        l = &fold_viet[cp - 0x1EA0];
    if (!l || !l->ascii)
        return false;
    *out = *l;
    return true;
}

uint32_t fold_compose(unsigned v, unsigned t)
{
    if (v == FOLD_V_NONE || v >= FOLD_V_COUNT || t >= FOLD_TONE_COUNT)
        return 0;
    return fold_vowels[v - 1][t];
}

bool fold_vowel_is_shaped(unsigned v)
{
    return v == FOLD_V_AW || v == FOLD_V_AA || v == FOLD_V_EE || v == FOLD_V_OO || v == FOLD_V_OW ||
           v == FOLD_V_UW;
}

int fold_text(const char *s, size_t len, char *out, size_t cap, size_t *out_len)
{
    struct fold_letter l;
    size_t i = 0, o = 0, n;
    uint32_t cp;
    int rc = 0;

    if (cap == 0)
        return -E2BIG;
    while (i < len) {
        if ((unsigned char)s[i] < 0x80) { /* ASCII fast path */
            if (o + 1 >= cap) {
                rc = -E2BIG;
                break;
            }
            char c = s[i++];
            out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
            continue;
        }
        n = mc_utf8_decode(s + i, len - i, &cp);
        if (n == 0) {
            rc = -EINVAL;
            break;
        }
        if (cp >= 0x300 && cp <= 0x36F) { /* stray combining mark */
            i += n;
            continue;
        }
        if (fold_letter_of(cp, &l)) {
            if (o + 1 >= cap) {
                rc = -E2BIG;
                break;
            }
            out[o++] = l.ascii;
        } else {
            if (n >= cap - o) {
                rc = -E2BIG;
                break;
            }
            memcpy(out + o, s + i, n);
            o += n;
        }
        i += n;
    }
    out[o] = '\0';
    *out_len = o;
    return rc;
}
