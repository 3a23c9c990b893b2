/* intents/tone.c - see tone.h. The placement rule follows Unikey's
 * UkEngine::getTonePosition (ibus-unikey ukengine.cpp) in its old-style mode,
 * restated in shared/notes/vietnamese-text.md section 2.1. */
#include "tone.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fold.h"
#include "mc_utf8.h"

/* Valid onsets, ASCII with 'D' standing for đ; "qu" and "gi" are settled in
 * split_syllable() because their second letter is a vowel. */
static const char *const tone_onsets[] = {
    "b",  "c",   "ch", "d", "D",  "g", "gh", "h", "k", "kh", "l",  "m", "n",
    "ng", "ngh", "nh", "p", "ph", "q", "r",  "s", "t", "th", "tr", "v", "x",
};

/* Valid codas. */
static const char *const tone_codas[] = {"c", "ch", "m", "n", "ng", "nh", "p", "t"};

struct syl {
    uint32_t cp[TONE_SYLLABLE_MAX]; /* the token, code points */
    unsigned char vowel[TONE_SYLLABLE_MAX];
    size_t n;
    size_t v0, nv; /* vowel cluster: cp[v0 .. v0+nv) */
    unsigned tone; /* the one tone found, FOLD_TONE_NONE if none */
};

static bool in_list(const char *const *list, size_t n, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (list[i][0] == s[0] && strncmp(list[i], s, len) == 0 && list[i][len] == '\0')
            return true;
    return false;
}

/* Decodes s into y, strips the tone into y->tone and finds onset, vowel
 * cluster and coda. Returns false if s is not a Vietnamese syllable. */
static bool split_syllable(const char *s, size_t len, struct syl *y)
{
    struct fold_letter l;
    char onset[4], coda[3];
    size_t i = 0, k, n, no = 0, nc = 0;
    unsigned ntones = 0;

    memset(y, 0, sizeof(*y));
    while (i < len) {
        if (y->n == TONE_SYLLABLE_MAX)
            return false;
        n = mc_utf8_decode(s + i, len - i, &y->cp[y->n]);
        if (n == 0 || !fold_letter_of(y->cp[y->n], &l))
            return false;
        if (y->cp[y->n] != 0x111 && l.vowel == FOLD_V_NONE && (l.ascii != (char)y->cp[y->n]))
            return false; /* a consonant with a mark, or upper case */
        if (l.vowel != FOLD_V_NONE) {
            if (fold_compose(l.vowel, l.tone) != y->cp[y->n])
                return false; /* upper case */
            if (l.tone != FOLD_TONE_NONE) {
                ntones++;
                y->tone = l.tone;
            }
            y->cp[y->n] = fold_compose(l.vowel, FOLD_TONE_NONE);
        }
        y->vowel[y->n] = l.vowel;
        y->n++;
        i += n;
    }
    if (ntones > 1 || y->n == 0)
        return false;
    /* onset: leading consonants */
    for (k = 0; k < y->n && y->vowel[k] == FOLD_V_NONE; k++) {
        if (no == sizeof(onset))
            return false;
        onset[no++] = y->cp[k] == 0x111 ? 'D' : (char)y->cp[k];
    }
    if (no && !in_list(tone_onsets, sizeof(tone_onsets) / sizeof(tone_onsets[0]), onset, no))
        return false;
    if (k == y->n)
        return false; /* no vowel */
    if (no == 1 && onset[0] == 'q') {
        if (y->vowel[k] != FOLD_V_U)
            return false;
        k++; /* the u of qu- belongs to the onset */
    } else if (no == 1 && onset[0] == 'g' && y->vowel[k] == FOLD_V_I && k + 1 < y->n &&
               y->vowel[k + 1] != FOLD_V_NONE) {
        k++; /* gi- before another vowel: the i belongs to the onset */
    }
    if (k == y->n || y->vowel[k] == FOLD_V_NONE)
        return false;
    y->v0 = k;
    while (k < y->n && y->vowel[k] != FOLD_V_NONE)
        k++;
    y->nv = k - y->v0;
    if (y->nv > 3)
        return false;
    for (; k < y->n; k++) {
        if (y->vowel[k] != FOLD_V_NONE || nc == sizeof(coda))
            return false;
        coda[nc++] = (char)y->cp[k];
    }
    if (nc && !in_list(tone_codas, sizeof(tone_codas) / sizeof(tone_codas[0]), coda, nc))
        return false;
    return true;
}

/* ưo -> ươ everywhere; uơ -> ươ unless it ends the syllable (thuở, huơ). */
static void repair_horns(struct syl *y)
{
    size_t i, e = y->v0 + y->nv;

    for (i = y->v0; i + 1 < e; i++) {
        if (y->vowel[i] == FOLD_V_UW && y->vowel[i + 1] == FOLD_V_O) {
            y->vowel[i + 1] = FOLD_V_OW;
            y->cp[i + 1] = fold_compose(FOLD_V_OW, FOLD_TONE_NONE);
        } else if (y->vowel[i] == FOLD_V_U && y->vowel[i + 1] == FOLD_V_OW &&
                   (i + 2 < e || e < y->n)) {
            y->vowel[i] = FOLD_V_UW;
            y->cp[i] = fold_compose(FOLD_V_UW, FOLD_TONE_NONE);
        }
    }
}

/* Index in y->cp of the vowel that carries the tone. */
static size_t tone_position(const struct syl *y)
{
    size_t i, e = y->v0 + y->nv;
    bool coda = e < y->n;

    if (y->nv == 1)
        return y->v0;
    for (i = y->v0; i < e; i++) /* ươ, ươi, ươu: the ơ */
        if (y->vowel[i] == FOLD_V_OW)
            return i;
    for (i = y->v0; i < e; i++)
        if (fold_vowel_is_shaped(y->vowel[i]))
            return i;
    if (y->nv == 3)
        return y->v0 + 1;
    if (coda)
        return y->v0 + 1;
    /* Two plain vowels, open syllable: oa, oe, uy are glide + nucleus, and
     * the canonical (old) style still marks the first, like every falling
     * diphthong (ai, ao, ia, ua, ui, ...). */
    return y->v0;
}

int tone_canon(const char *s, size_t len, char *out, size_t cap, size_t *out_len)
{
    struct syl y;
    size_t i, o = 0, pos, n;
    char enc[4];

    *out_len = 0;
    if (!split_syllable(s, len, &y)) {
        if (len >= cap)
            return -E2BIG;
        memcpy(out, s, len);
        out[len] = '\0';
        *out_len = len;
        return 0;
    }
    repair_horns(&y);
    if (y.tone != FOLD_TONE_NONE) {
        pos = tone_position(&y);
        y.cp[pos] = fold_compose(y.vowel[pos], y.tone);
    }
    for (i = 0; i < y.n; i++) {
        n = mc_utf8_encode(y.cp[i], enc);
        if (n >= cap - o)
            return -E2BIG;
        memcpy(out + o, enc, n);
        o += n;
    }
    out[o] = '\0';
    *out_len = o;
    return 0;
}
