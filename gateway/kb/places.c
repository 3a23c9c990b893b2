/* gateway/kb/places.c - see places.h. One table maps every folded word sequence
 * the finder knows (unit names, district and province names, short names,
 * unit words, residence cues, "cũ") to its postings, so reading a message is
 * one left-to-right pass of hash probes, then a choice among at most a few
 * parts of one address. Build-time tables are sorted once; nothing is
 * allocated or parsed again by places_find(). The finder's parts are in
 * places_int.h; this file has the words it reads besides names, a message's
 * tokens and the index's upkeep. */
#include "places_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "hmap.h"
#include "mc_utf8.h"

/* The words the finder reads besides names; one list, read once at build. */
const struct word places_words[] = {
    {"xa", WK_TYPE, PLACES_TYPE_XA, false},
    {"x", WK_TYPE, PLACES_TYPE_XA, true},
    {"phuong", WK_TYPE, PLACES_TYPE_PHUONG, false},
    {"p", WK_TYPE, PLACES_TYPE_PHUONG, true},
    {"f", WK_TYPE, PLACES_TYPE_PHUONG, true}, /* Saigon spelling "F12" */
    {"thi tran", WK_TYPE, PLACES_TYPE_THI_TRAN, false},
    {"tt", WK_TYPE, PLACES_TYPE_THI_TRAN, true},
    {"dac khu", WK_TYPE, PLACES_TYPE_DAC_KHU, false},
    {"quan", WK_TYPE, PLACES_TYPE_QUAN, false},
    {"q", WK_TYPE, PLACES_TYPE_QUAN, true},
    {"huyen", WK_TYPE, PLACES_TYPE_HUYEN, false},
    {"h", WK_TYPE, PLACES_TYPE_HUYEN, true},
    {"thi xa", WK_TYPE, PLACES_TYPE_THI_XA, false},
    {"tx", WK_TYPE, PLACES_TYPE_THI_XA, true},
    {"thanh pho", WK_TYPE, PLACES_TYPE_THANH_PHO, false},
    {"tp", WK_TYPE, PLACES_TYPE_THANH_PHO, true},
    {"tinh", WK_TYPE, PLACES_TYPE_TINH, false},
    /* residence statements (issue 12: "ở trọ", "tạm trú ở", "quê", "nhà ở", "sống ở") */
    {"toi o", WK_CUE, 0, false},
    {"toi dang o", WK_CUE, 0, false},
    {"em o", WK_CUE, 0, false},
    {"minh o", WK_CUE, 0, false},
    {"nha o", WK_CUE, 0, false},
    {"nha toi o", WK_CUE, 0, false},
    {"nha em o", WK_CUE, 0, false},
    {"nha minh o", WK_CUE, 0, false},
    {"o tro o", WK_CUE, 0, false},
    {"o tro tai", WK_CUE, 0, false},
    {"tro o", WK_CUE, 0, false},
    {"tro tai", WK_CUE, 0, false},
    {"thue tro o", WK_CUE, 0, false},
    {"thue nha o", WK_CUE, 0, false},
    {"tam tru o", WK_CUE, 0, false},
    {"tam tru tai", WK_CUE, 0, false},
    {"thuong tru o", WK_CUE, 0, false},
    {"thuong tru tai", WK_CUE, 0, false},
    {"cu tru o", WK_CUE, 0, false},
    {"cu tru tai", WK_CUE, 0, false},
    {"ho khau o", WK_CUE, 0, false},
    {"ho khau tai", WK_CUE, 0, false},
    {"que", WK_CUE, 0, false},
    {"que o", WK_CUE, 0, false},
    {"que toi o", WK_CUE, 0, false},
    {"que em o", WK_CUE, 0, false},
    {"que quan", WK_CUE, 0, false},
    {"song o", WK_CUE, 0, false},
    {"song tai", WK_CUE, 0, false},
    {"dang o", WK_CUE, 0, false},
    {"dia chi", WK_CUE_WEAK, 0, false},
    {"o", WK_CUE_WEAK, 0, false},
    {"tai", WK_CUE_WEAK, 0, false},
    /* "cũ": a former name; "trước đây", "trước sáp nhập" anywhere in the message */
    {"cu", WK_FORMER, 0, false},
    {"truoc day", WK_FORMER, 0, false},
    {"truoc sap nhap", WK_FORMER, 0, false},
    {"truoc khi sap nhap", WK_FORMER, 0, false},
    {"thuoc", WK_CONNECTOR, 0, false},
    {"cua", WK_CONNECTOR, 0, false},
    {"la", WK_CONNECTOR, 0, false},
    {"nay la", WK_CONNECTOR, 0, false},
};
const size_t places_nwords = sizeof places_words / sizeof places_words[0];

/* ---- tokens -------------------------------------------------------------- */

/* Upper-case Latin letters among those fold.h folds (Vietnamese needs Latin-1,
 * Extended-A and Extended Additional, where upper case is the even code point). */
static bool is_upper_cp(uint32_t cp)
{
    if (cp >= 'A' && cp <= 'Z')
        return true;
    if (cp >= 0xC0 && cp <= 0xDE)
        return cp != 0xD7;
    if ((cp >= 0x100 && cp <= 0x17F) || (cp >= 0x1EA0 && cp <= 0x1EF9))
        return (cp & 1) == 0;
    return cp == 0x1A0 || cp == 0x1AF;
}

/* What marks a letter carries, in a form where the two tone-placement
 * styles agree ("hoà" = "hòa"): its tone, and which shaped letter it is. */
static uint16_t mark_sig(uint32_t cp, const struct fold_letter *l)
{
    static const unsigned char shape[FOLD_V_COUNT] = {
        [FOLD_V_AW] = 1, [FOLD_V_AA] = 2, [FOLD_V_EE] = 3,
        [FOLD_V_OO] = 4, [FOLD_V_OW] = 5, [FOLD_V_UW] = 6};

    if (cp == 0x110 || cp == 0x111) /* Đ đ */
        return 1u << (3 + 7);
    return (uint16_t)(l->tone | (shape[l->vowel] ? 1u << (3 + shape[l->vowel]) : 0u));
}

/* Splits s into words of ASCII letters or of digits ("p12" is two words),
 * folded with fold.h; anything else separates words, combining marks are
 * dropped. The one tokenizer for names at build time and for messages. */
int places_tokenize(const char *s, size_t len, struct toks *tk)
{
    size_t i = 0, n;
    int cls = 0; /* 0: outside a word, 1: letters, 2: digits */
    bool sep = false;
    uint32_t cp;

    tk->n = 0;
    tk->fl = 0;
    tk->marked = false;
    while (i < len) {
        struct fold_letter l;
        char c;
        int want;
        bool up, plain = true;
        uint16_t sig = 0;

        if ((unsigned char)s[i] < 0x80) {
            c = s[i];
            n = 1;
            if (c == '\0')
                return -EINVAL;
            cp = (unsigned char)c;
            up = c >= 'A' && c <= 'Z';
            if (up)
                c = (char)(c + ('a' - 'A'));
        } else {
            n = mc_utf8_decode(s + i, len - i, &cp);
            if (n == 0)
                return -EINVAL;
            if (cp >= 0x300 && cp <= 0x36F) { /* a combining mark stays in its word */
                if (cls && tk->n > 0) {       /* decomposed text: marks not compared */
                    tk->t[tk->n - 1].plain = false;
                    tk->t[tk->n - 1].sig = PLACES_SIG_ANY;
                }
                tk->marked = true;
                i += n;
                continue;
            }
            c = fold_letter_of(cp, &l) ? l.ascii : ' ';
            up = is_upper_cp(cp);
            plain = false;
            if (c != ' ')
                sig = mark_sig(cp, &l);
        }
        want = (c >= 'a' && c <= 'z') ? 1 : (c >= '0' && c <= '9') ? 2 : 0;
        if (want == 0) {
            if (cls && c == '.')
                tk->t[tk->n - 1].dot_after = true;
            if (strchr(",;.()?!", c))
                sep = true;
            cls = 0;
            i += n;
            continue;
        }
        if (want != cls) { /* a new word */
            struct tok *t;

            if (tk->n == PLACES_TOKENS_MAX)
                return -E2BIG;
            if (tk->n > 0)
                tk->fb[tk->fl++] = ' ';
            t = &tk->t[tk->n++];
            memset(t, 0, sizeof(*t));
            t->start = (uint16_t)i;
            t->f = (uint16_t)tk->fl;
            t->plain = true;
            t->upper = up;
            t->digit = want == 2;
            t->sep_before = sep;
            sep = false;
            cls = want;
        }
        if (!plain) {
            tk->t[tk->n - 1].plain = false;
            tk->t[tk->n - 1].sig |= sig;
            tk->marked = true;
        }
        tk->fb[tk->fl++] = c;
        tk->t[tk->n - 1].flen++;
        tk->t[tk->n - 1].end = (uint16_t)(i + n);
        i += n;
    }
    tk->fb[tk->fl] = '\0';
    return 0;
}

/* ---- the index's upkeep ---------------------------------------------------- */

void places_index_free(struct places_index *idx)
{
    if (!idx)
        return;
    hmap_str_free(idx->keys);
    free(idx->post_first);
    free(idx->postings);
    free(idx->units);
    free(idx->formers);
    free(idx->districts);
    free(idx->dist_of);
    free(idx->arena);
    free(idx->sigs);
    free(idx);
}

size_t places_index_memory(const struct places_index *idx)
{
    if (!idx)
        return 0;
    return sizeof(*idx) + hmap_str_memory(idx->keys) + (idx->nkeys + 1) * sizeof(*idx->post_first) +
           idx->npostings * sizeof(*idx->postings) + idx->nunits * sizeof(*idx->units) +
           idx->nformers * sizeof(*idx->formers) + idx->ndistricts * sizeof(*idx->districts) +
           idx->nformers * sizeof(*idx->dist_of) + idx->arena_cap +
           idx->sigs_cap * sizeof(*idx->sigs);
}

void places_index_counts(const struct places_index *idx, size_t *units, size_t *former,
                         size_t *districts, size_t *names)
{
    if (units)
        *units = idx->nunits;
    if (former)
        *former = idx->nformers;
    if (districts)
        *districts = idx->ndistricts;
    if (names)
        *names = idx->nkeys;
}
