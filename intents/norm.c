/* intents/norm.c - see norm.h. ICU is used only for NFKC_Casefold, which
 * costs 60-470 ns a message (shared/notes/vietnamese-text.md section 1.2);
 * pure ASCII input skips it, since NFKC_Casefold of ASCII is lower-casing. */
#include "norm.h"

#include <errno.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "fold.h"
#include "mc_utf8.h"
#include "tone.h"

#define NORM_U16_MAX (2 * NORM_TEXT_MAX) /* UTF-16 units after NFKC_Casefold */

void norm_tokens_init(struct norm_tokens *t)
{
    t->acc[0] = '\0';
    t->acc_len = 0;
    t->fold[0] = '\0';
    t->fold_len = 0;
    t->n_tok = 0;
    t->n_marked = 0;
    t->n_alpha = 0;
    t->truncated = false;
}

bool norm_is_sole_y(const char *f, size_t len)
{
    static const char *const onsets[] = {"b", "c", "ch", "d",  "g",   "gh", "h", "k",  "kh",
                                         "l", "m", "n",  "ng", "ngh", "nh", "p", "ph", "qu",
                                         "r", "s", "t",  "th", "tr",  "v",  "x"};
    size_t i;

    if (len < 2 || len > 4 || f[len - 1] != 'y')
        return false;
    for (i = 0; i < sizeof(onsets) / sizeof(onsets[0]); i++)
        if (strlen(onsets[i]) == len - 1 && memcmp(onsets[i], f, len - 1) == 0)
            return true;
    return false;
}

int norm_tokens_push(struct norm_tokens *t, const char *acc, size_t len, unsigned flags)
{
    struct norm_token *k;
    struct fold_letter l;
    size_t need_a, need_f, fl = 0, i, n;
    bool digit = false, alpha = false, all_digit = true, marked = false, dbar = false;
    uint32_t cp;
    char f[NORM_TOKEN_MAX * 2];

    if (len == 0)
        return 0;
    /* one pass: fold, and the flags */
    for (i = 0; i < len; i += n) {
        if (fl + 4 >= sizeof(f)) {
            t->truncated = true;
            return -E2BIG;
        }
        if ((unsigned char)acc[i] < 0x80) {
            n = 1;
            cp = (unsigned char)acc[i];
            f[fl++] = (char)(cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp);
        } else {
            n = mc_utf8_decode(acc + i, len - i, &cp);
            if (n == 0) {
                t->truncated = true;
                return -E2BIG; /* callers give valid UTF-8; refuse rather than guess */
            }
            if (cp >= 0x300 && cp <= 0x36F)
                continue;
            if (fold_letter_of(cp, &l)) {
                f[fl++] = l.ascii;
                if (cp == 0x111 || cp == 0x110)
                    dbar = true;
                else if (l.vowel != FOLD_V_NONE &&
                         (l.tone != FOLD_TONE_NONE || fold_vowel_is_shaped(l.vowel)))
                    marked = true;
            } else {
                memcpy(f + fl, acc + i, n);
                fl += n;
            }
        }
        if (cp >= '0' && cp <= '9')
            digit = true;
        else {
            all_digit = false;
            alpha = true;
        }
    }
    if (fl == 0 || t->n_tok == NORM_MAX_TOKENS) {
        t->truncated = true;
        return -E2BIG;
    }
    need_a = len + (t->n_tok ? 1 : 0);
    need_f = fl + (t->n_tok ? 1 : 0);
    if (need_a >= NORM_TEXT_MAX - t->acc_len || need_f >= NORM_TEXT_MAX - t->fold_len) {
        t->truncated = true;
        return -E2BIG;
    }
    if (t->n_tok) {
        t->acc[t->acc_len++] = ' ';
        t->fold[t->fold_len++] = ' ';
    }
    k = &t->tok[t->n_tok++];
    k->acc = (uint16_t)t->acc_len;
    k->acc_len = (uint16_t)len;
    k->fold = (uint16_t)t->fold_len;
    k->fold_len = (uint16_t)fl;
    memcpy(t->acc + t->acc_len, acc, len);
    t->acc_len += len;
    t->acc[t->acc_len] = '\0';
    memcpy(t->fold + t->fold_len, f, fl);
    t->fold_len += fl;
    t->fold[t->fold_len] = '\0';
    k->flags = (uint16_t)flags;
    if (digit)
        k->flags |= NORM_TOK_DIGIT;
    if (all_digit)
        k->flags |= NORM_TOK_NUMBER;
    if (dbar)
        k->flags |= NORM_TOK_DBAR;
    if (alpha && marked && !all_digit)
        k->flags |= NORM_TOK_MARKED;
    if (alpha) {
        k->flags |= NORM_TOK_ALPHA;
        t->n_alpha++;
    }
    if ((k->flags & NORM_TOK_MARKED) && !(k->flags & (NORM_TOK_EXPANDED | NORM_TOK_RESTORED)))
        t->n_marked++;
    return 0;
}

int norm_tokens_copy(struct norm_tokens *t, const struct norm_tokens *in, size_t i, unsigned flags)
{
    const struct norm_token *s = &in->tok[i];
    struct norm_token *k;
    size_t need_a = s->acc_len + (t->n_tok ? 1 : 0), need_f = s->fold_len + (t->n_tok ? 1 : 0);

    if (t->n_tok == NORM_MAX_TOKENS || need_a >= NORM_TEXT_MAX - t->acc_len ||
        need_f >= NORM_TEXT_MAX - t->fold_len) {
        t->truncated = true;
        return -E2BIG;
    }
    if (t->n_tok) {
        t->acc[t->acc_len++] = ' ';
        t->fold[t->fold_len++] = ' ';
    }
    k = &t->tok[t->n_tok++];
    *k = *s;
    k->acc = (uint16_t)t->acc_len;
    k->fold = (uint16_t)t->fold_len;
    k->flags = (uint16_t)(s->flags | flags);
    memcpy(t->acc + t->acc_len, in->acc + s->acc, s->acc_len);
    t->acc_len += s->acc_len;
    t->acc[t->acc_len] = '\0';
    memcpy(t->fold + t->fold_len, in->fold + s->fold, s->fold_len);
    t->fold_len += s->fold_len;
    t->fold[t->fold_len] = '\0';
    if (k->flags & NORM_TOK_ALPHA)
        t->n_alpha++;
    if ((k->flags & NORM_TOK_MARKED) && !(k->flags & (NORM_TOK_EXPANDED | NORM_TOK_RESTORED)))
        t->n_marked++;
    return 0;
}

static bool is_coda_letter(uint32_t cp)
{
    return cp == 'c' || cp == 'g' || cp == 'h' || cp == 'm' || cp == 'n' || cp == 'p' || cp == 't';
}

/* Collapses elongation in one token of n code points; returns the new n.
 * Runs of one vowel letter become one letter ("điiii", "nhaaa"), except a
 * pair "oo" (xoong, boong) or "uu" ("huu", "cuu": hưu, cừu without marks).
 * At the end of a token that has a vowel, runs of three or more of a letter,
 * or doubled coda letters, become one ("khôngggg", "khôngg"); "cccd" and
 * "tt" have no vowel and are left alone. */
static size_t collapse_elongation(uint32_t *cp, size_t n)
{
    struct fold_letter l;
    size_t i, j, o = 0, run, end;
    bool vowel_seen = false;

    for (i = 0; i < n; i = j) {
        bool is_vowel = fold_letter_of(cp[i], &l) && l.vowel != FOLD_V_NONE;
        for (j = i + 1; j < n && cp[j] == cp[i]; j++)
            ;
        run = j - i;
        if (is_vowel) {
            vowel_seen = true;
            if (!((cp[i] == 'o' || cp[i] == 'u') && run == 2))
                run = 1; /* "oo" (xoong) and "uu" (hưu, cừu typed bare) are words */
        }
        end = run;
        if (!is_vowel && j == n && vowel_seen && run >= 2 && (run >= 3 || is_coda_letter(cp[i])) &&
            cp[i] >= 'a' && cp[i] <= 'z')
            end = 1;
        for (run = 0; run < end; run++)
            cp[o++] = cp[i];
    }
    return o;
}

/* True for the code points that make up tokens: letters, marks, numbers. */
static bool is_token_cp(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
    return (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK)) != 0;
}

/* Finishes one token of code points: elongation, tone, push. */
static int emit_token(struct norm_tokens *out, uint32_t *cp, size_t n)
{
    char raw[NORM_TOKEN_MAX + 8], canon[NORM_TOKEN_MAX + 16];
    size_t i, rl = 0, cl, k;
    bool digit = false;

    for (i = 0; i < n; i++)
        if (cp[i] >= '0' && cp[i] <= '9')
            digit = true;
    if (!digit)
        n = collapse_elongation(cp, n);
    for (i = 0; i < n; i++) {
        char enc[4];
        if (cp[i] >= 0x300 && cp[i] <= 0x36F)
            continue; /* a mark NFKC could not compose: drop it */
        if (U_GET_GC_MASK(cp[i]) & U_GC_M_MASK)
            continue;
        k = mc_utf8_encode(cp[i], enc);
        if (k == 0 || k > NORM_TOKEN_MAX - rl)
            break; /* over-long token: cut at a code point */
        memcpy(raw + rl, enc, k);
        rl += k;
    }
    if (rl == 0)
        return 0;
    for (i = 0; i < rl && (unsigned char)raw[i] < 0x80; i++)
        ;
    if (i == rl) /* ASCII: no tone to place, no horn to repair */
        return norm_tokens_push(out, raw, rl, 0);
    if (tone_canon(raw, rl, canon, sizeof(canon), &cl) != 0)
        return -E2BIG;
    return norm_tokens_push(out, canon, cl, 0);
}

/* Splits the case-folded UTF-16 text into tokens. */
static int tokenize_u16(struct norm_tokens *out, const UChar *u, int32_t ulen)
{
    uint32_t cp[NORM_TOKEN_MAX];
    size_t n = 0;
    int32_t i = 0;
    UChar32 c;
    int rc;

    while (i < ulen) {
        U16_NEXT(u, i, ulen, c);
        if (c == 0xF0)
            c = 0x111; /* ð (from Ð, U+00D0, an Đ look-alike) -> đ */
        if (is_token_cp((uint32_t)c)) {
            if (n < NORM_TOKEN_MAX)
                cp[n++] = (uint32_t)c;
            continue;
        }
        if (n) {
            rc = emit_token(out, cp, n);
            n = 0;
            if (rc == -E2BIG)
                return 0; /* full: the rest is dropped, out->truncated says so */
            if (rc)
                return rc;
        }
    }
    if (n) {
        rc = emit_token(out, cp, n);
        if (rc && rc != -E2BIG)
            return rc;
    }
    return 0;
}

/* ASCII-only input: NFKC_Casefold is lower-casing, so ICU is not needed. */
static int tokenize_ascii(struct norm_tokens *out, const char *s, size_t len)
{
    uint32_t cp[NORM_TOKEN_MAX];
    size_t i, n = 0;
    int rc;

    for (i = 0; i <= len; i++) {
        char c = i < len ? s[i] : ' ';
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + ('a' - 'A'));
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (n < NORM_TOKEN_MAX)
                cp[n++] = (uint32_t)c;
            continue;
        }
        if (n) {
            rc = emit_token(out, cp, n);
            n = 0;
            if (rc == -E2BIG)
                return 0;
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Input made only of ASCII and precomposed Vietnamese letters (either case)
 * is its own NFKC form, and its case folding is a table lookup: tokenise it
 * without ICU. Returns -EAGAIN, out untouched, for anything else (combining
 * marks, other scripts, symbols, zero-width characters). */
static int tokenize_viet(struct norm_tokens *out, const char *s, size_t len)
{
    uint32_t cp[NORM_TOKEN_MAX];
    struct fold_letter l;
    size_t i, k, n = 0;
    uint32_t c;
    int rc;

    for (i = 0; i < len; i += k) { /* check first: the fallback must see out untouched */
        if ((unsigned char)s[i] < 0x80) {
            k = 1;
            continue;
        }
        k = mc_utf8_decode(s + i, len - i, &c);
        if (k == 0)
            return -EINVAL;
        if (c != 0x110 && c != 0x111 && !(fold_letter_of(c, &l) && l.vowel != FOLD_V_NONE))
            return -EAGAIN;
    }
    for (i = 0; i <= len; i += k) {
        k = 1;
        if (i == len) {
            c = ' ';
        } else if ((unsigned char)s[i] < 0x80) {
            c = (unsigned char)s[i];
            if (c >= 'A' && c <= 'Z')
                c += 'a' - 'A';
        } else {
            k = mc_utf8_decode(s + i, len - i, &c);
            if (c == 0x110)
                c = 0x111; /* Đ */
            else if (c != 0x111 && fold_letter_of(c, &l))
                c = fold_compose(l.vowel, l.tone); /* lower case */
        }
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
            if (n < NORM_TOKEN_MAX)
                cp[n++] = c;
            continue;
        }
        if (n) {
            rc = emit_token(out, cp, n);
            n = 0;
            if (rc == -E2BIG)
                return 0;
            if (rc)
                return rc;
        }
    }
    return 0;
}

int norm_text(const char *s, size_t len, struct norm_tokens *out)
{
    UChar src[NORM_MAX_INPUT];
    UChar dst[NORM_U16_MAX];
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nfkc_cf;
    int32_t ulen = 0, dlen;
    size_t i;
    bool ascii = true;
    int rc;

    norm_tokens_init(out);
    if (len > NORM_MAX_INPUT)
        return -E2BIG;
    if (!mc_utf8_is_valid(s, len))
        return -EINVAL;
    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80) {
            ascii = false;
            break;
        }
    if (ascii)
        return tokenize_ascii(out, s, len);
    rc = tokenize_viet(out, s, len);
    if (rc != -EAGAIN)
        return rc;
    u_strFromUTF8(src, NORM_MAX_INPUT, &ulen, s, (int32_t)len, &st);
    if (U_FAILURE(st))
        return -EINVAL;
    nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
    if (U_FAILURE(st))
        return -EIO;
    dlen = unorm2_normalize(nfkc_cf, src, ulen, dst, NORM_U16_MAX, &st);
    if (st == U_BUFFER_OVERFLOW_ERROR || st == U_STRING_NOT_TERMINATED_WARNING)
        return -E2BIG;
    if (U_FAILURE(st))
        return -EIO;
    return tokenize_u16(out, dst, dlen);
}
