/* common/mc_mask_numbers.c - the number rules of the masker (see mc_mask.h):
 * phone, ID (CCCD, old CMND), bank account, card, social insurance (BHXH),
 * tax (MST) and passport numbers, and licence plates.
 *
 * A number is a run of digits with up to MASK_SEP_MAX separator bytes
 * between groups (spaces, dots, dashes, underscores, commas, brackets,
 * no-break spaces: "0912 345 678", "0 9 7 6 . 1 2 3", "0912 - 345 - 678",
 * "(024) 3825 3536"), where 'o', 'O', 'l' or 'I' beside a digit count as
 * digits ("O912345678", "0l23 456 789"); with 9 or more digits it is masked,
 * also when glued to a word ("sdt0912345678"). A run not starting with 0
 * joins across spaces only when its groups have the shape of a phone or ID
 * number (is_number_shape: "912 345 678", "186 234 567"), of a card, or near
 * a word that announces a number ("stk", "cccd", "bhxh", "mst", a bank's
 * name, …; see context_words): "năm 2020 2021" are two years, "stk 1903 5678
 * 9012" one account, and near such a word 8 digits are enough (bank
 * accounts). What stays: money (thousands dots "150.000.000", or a unit
 * after it "10000000 đồng"), national procedure codes ("1.001193"), dates
 * ("12-05-2024 - 15-05-2024"), lists of years or of short numbers ("01, 02,
 * 03, 04, 05"), and hotlines of public bodies (1800/1900 numbers).
 * Passports: one letter and 7 digits ("C1234567", "C-1234567"). Plates:
 * "29A-123.45", "59-X1 234.56", "30F 67890" (decision: masked always, since a
 * plate leads to its owner through the register and no question about a
 * procedure needs it). Masked digits become '*' except the last
 * MASK_KEEP_TAIL. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "mc_mask_int.h"

#define MASK_MIN_DIGITS 9     /* old CMND has 9 digits, phones 10, CCCD 12 */
#define MASK_CTX_MIN_DIGITS 8 /* bank accounts start at 8 digits */
#define MASK_SEP_MAX 3        /* separator bytes between groups: " - ", " . " */
#define MASK_CTX_BEFORE 48    /* bytes before a number searched for a context word */
#define MASK_CTX_AFTER 24     /* bytes after it ("1903 5678 9012 techcombank") */
#define MASK_GROUPS_MAX 24    /* groups remembered per run (date and year checks) */
#define PASSPORT_DIGITS 7
/* Digits up to which a number written like money ("12.500.000") stays money
 * even beside "stk" or "cmnd": 9 digits with thousands dots near such a word
 * is an old CMND ("cmnd: 186.234.567"), not a fee of a commune. */
#define MASK_MONEY_CTX_MAX 8

/* Words that announce a number (lower case; compared ASCII-case-blind). */
static const char *const context_words[] = {
    "sdt",        "sđt",          "đt",           "dt",        "dth",
    "đth",        "điện thoại",   "dien thoai",   "phone",     "zalo",
    "gọi",        "goi",          "liên hệ",      "lien he",   "số máy",
    "so may",     "cccd",         "cmnd",         "cmt",       "căn cước",
    "can cuoc",   "chứng minh",   "chung minh",   "định danh", "dinh danh",
    "hộ chiếu",   "ho chieu",     "passport",     "stk",       "tk",
    "tài khoản",  "tai khoan",    "account",      "ngân hàng", "ngan hang",
    "bank",       "vietcombank",  "vcb",          "agribank",  "bidv",
    "vietinbank", "techcombank",  "tcb",          "acb",       "vpbank",
    "tpbank",     "sacombank",    "mbbank",       "mb",        "shb",
    "hdbank",     "ocb",          "msb",          "vib",       "seabank",
    "lpbank",     "momo",         "bhxh",         "bhyt",      "bảo hiểm",
    "bao hiem",   "mã số thuế",   "ma so thue",   "mst",       "thuế",
    "thue",       "di động",      "di dong",      "tel",       "mobile",
    "ck",         "chuyển khoản", "chuyen khoan", "số thẻ",    "so the",
    "thẻ",        "the atm",      "atm",          "scb",       "ncb",
    "vpb",        "tpb",          "vbsp",         "nhcsxh",    "chính sách",
    "chinh sach", "zalopay",      "gplx",         "bằng lái",  "bang lai",
    NULL};
/* a word after a number that makes it an amount of money */
static const char *const money_units[] = {"đồng",  "dong",  "đ",    "vnđ", "vnd",
                                          "triệu", "trieu", "tr",   "k",   "nghìn",
                                          "nghin", "ngàn",  "ngan", "usd", NULL};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ascii_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* part of a word: ASCII letters and digits, and every byte of a non-ASCII
 * character (Vietnamese letters) */
static bool is_wordish(char c)
{
    return is_ascii_alpha(c) || is_digit(c) || (unsigned char)c >= 0x80;
}

/* 'o', 'O', 'l', 'I' typed for a digit: beside a digit, not inside a word */
static bool is_letter_digit(const char *s, size_t len, size_t j)
{
    bool before = j > 0 && is_digit(s[j - 1]), after = j + 1 < len && is_digit(s[j + 1]);

    if (!strchr("oOlI", s[j]) || !s[j])
        return false;
    if ((j > 0 && is_ascii_alpha(s[j - 1])) || (j + 1 < len && is_ascii_alpha(s[j + 1])))
        return false;
    return before || after;
}

static bool digit_at(const char *s, size_t len, size_t j)
{
    return is_digit(s[j]) || is_letter_digit(s, len, j);
}

/* between digit groups: "0912 345 678", "0912.345.678", "0912-345-678",
 * "0912_345_678", "0912, 345, 678", "(024) 3825 3536" */
static bool is_sep(char c)
{
    return c == ' ' || c == '.' || c == '-' || c == '_' || c == ',' || c == '(' || c == ')';
}

/* Bytes of the separator at k (0 if none): one of is_sep, or a no-break
 * space (U+00A0, pasted from Zalo or a word processor), which counts as a
 * space. *space says whether it is one. */
static size_t sep_at(const char *s, size_t len, size_t k, bool *space)
{
    *space = s[k] == ' ';
    if (is_sep(s[k]))
        return 1;
    if ((unsigned char)s[k] == 0xC2 && k + 1 < len && (unsigned char)s[k + 1] == 0xA0) {
        *space = true;
        return 2;
    }
    return 0;
}

struct run {
    size_t end, ndigits, ngroups;
    bool comma;                    /* a ',' between groups */
    size_t group[MASK_GROUPS_MAX]; /* start of each group */
    size_t glen[MASK_GROUPS_MAX];  /* its digit count */
};

/* The digit run starting at i. Spaces join groups only when spaces_join. */
static void digit_run(const char *s, size_t len, size_t i, bool spaces_join, struct run *r)
{
    size_t j = i;

    memset(r, 0, sizeof *r);
    r->end = i;
    for (;;) {
        size_t g = j, k;

        while (j < len && digit_at(s, len, j))
            j++;
        if (j == g)
            break;
        if (r->ngroups < MASK_GROUPS_MAX) {
            r->group[r->ngroups] = g;
            r->glen[r->ngroups] = j - g;
        }
        r->ngroups++;
        r->ndigits += j - g;
        r->end = j;
        for (k = j; k < len && k - j < MASK_SEP_MAX;) {
            bool space;
            size_t w = sep_at(s, len, k, &space);

            if (!w || (space && !spaces_join))
                break;
            k += w;
        }
        if (k == j || k == len || !digit_at(s, len, k))
            break;
        r->comma |= memchr(s + j, ',', k - j) != NULL;
        j = k;
    }
}

/* "1.500.000", "150,000,000": a first group of 1-3 digits (not 0) and then
 * groups of exactly 3 after dots or commas. */
static bool is_money(const char *s, size_t i, size_t end)
{
    size_t g = 0, k;
    bool first = true;

    if (s[i] == '0')
        return false;
    for (k = i; k < end; k++) {
        if (is_digit(s[k])) {
            g++;
            continue;
        }
        if (s[k] != '.' && s[k] != ',')
            return false;
        if ((first && g > 3) || (!first && g != 3))
            return false;
        first = false;
        g = 0;
    }
    return !first && g == 3;
}

static bool word_at(const char *s, size_t len, size_t i, const char *w)
{
    size_t n = strlen(w);

    return i + n <= len && !strncasecmp(s + i, w, n) && (i + n == len || !is_wordish(s[i + n]));
}

/* "10000000 đồng", "20000000đ", "50k": the word right after is a money unit */
static bool has_money_unit(const char *s, size_t len, size_t end)
{
    size_t k = end;

    while (k < len && s[k] == ' ')
        k++;
    for (const char *const *u = money_units; *u; u++)
        if (word_at(s, len, k, *u))
            return true;
    return false;
}

/* "1.001193", "2.000986.000.00.00.H12": a national procedure code. */
static bool is_procedure_code(const char *s, size_t i, size_t end)
{
    size_t k;

    if (end - i < 8 || s[i + 1] != '.')
        return false;
    for (k = i + 2; k < i + 8; k++)
        if (!is_digit(s[k]))
            return false;
    return k == end || !is_digit(s[k]);
}

static bool is_year(const char *s, size_t at, size_t n)
{
    return n == 4 && (!strncmp(s + at, "19", 2) || !strncmp(s + at, "20", 2));
}

/* a date inside the run (d{1,2} d{1,2} yyyy), or nothing but years */
static bool has_date_or_years(const char *s, const struct run *r)
{
    size_t n = r->ngroups < MASK_GROUPS_MAX ? r->ngroups : MASK_GROUPS_MAX, g, years = 0;

    for (g = 0; g + 2 < n; g++)
        if (r->glen[g] <= 2 && r->glen[g + 1] <= 2 && is_year(s, r->group[g + 2], r->glen[g + 2]))
            return true;
    for (g = 0; g < n; g++)
        years += is_year(s, r->group[g], r->glen[g]);
    return n >= 2 && years == n;
}

/* "01, 02, 03, 04, 05": a list of short numbers (form numbers, counts) */
static bool is_list(const struct run *r)
{
    if (!r->comma)
        return false;
    for (size_t g = 0; g < r->ngroups && g < MASK_GROUPS_MAX; g++)
        if (r->glen[g] > 2)
            return false;
    return true;
}

/* 1800 xxxx, 1900 xxxx: hotlines of public bodies, public numbers */
static bool is_hotline(const char *s, const struct run *r)
{
    const char *p = s + r->group[0];

    return r->ndigits <= 10 && r->glen[0] >= 4 &&
           (!strncmp(p, "1800", 4) || !strncmp(p, "1900", 4));
}

/* A number written in groups that nothing else writes that way: a mobile
 * number without its 0 or with 84 ("912 345 678", "84 912 345 678"), an old
 * CMND ("186 234 567"), digit by digit ("2 7 1 1 2 3 4 5 6"). Groups of 2 to
 * 4 digits (9 to 12 in all) not all ending in 0 ("100 200 300 500" are
 * amounts), or 9 to 12 single digits. */
static bool is_number_shape(const char *s, const struct run *r)
{
    size_t g, singles = 0, round = 0;

    if (r->ngroups < 3 || r->ngroups > MASK_GROUPS_MAX || r->ndigits < 9 || r->ndigits > 12)
        return false;
    for (g = 0; g < r->ngroups; g++) {
        singles += r->glen[g] == 1;
        round += s[r->group[g] + r->glen[g] - 1] == '0';
        if (r->glen[g] > 4)
            return false;
    }
    if (singles == r->ngroups)
        return true;
    return singles == 0 && round < r->ngroups;
}

/* "350.000.000": ends in 000, an amount */
static bool is_round(const char *s, const struct run *r)
{
    return r->end >= 3 && !strncmp(s + r->end - 3, "000", 3);
}

/* "4111 1111 1111 1234", "9704 …": a payment card number */
static bool is_card_shape(const struct run *r)
{
    if (r->ngroups != 4 || r->ndigits != 16)
        return false;
    for (size_t g = 0; g < 4; g++)
        if (r->glen[g] != 4)
            return false;
    return true;
}

/* "techcombank", "Eximbank", "Kienlongbank": a word ending in "bank" */
static bool is_bank_word(const char *s, size_t len, size_t i)
{
    size_t k = i;

    while (k < len && is_ascii_alpha(s[k]))
        k++;
    return k - i > 4 && (k == len || !is_wordish(s[k])) && !strncasecmp(s + k - 4, "bank", 4);
}

/* Whether a context word starts within MASK_CTX_BEFORE bytes before from or
 * MASK_CTX_AFTER bytes after end (at a word start). */
static bool near_context(const char *s, size_t len, size_t from, size_t end)
{
    size_t lo = from > MASK_CTX_BEFORE ? from - MASK_CTX_BEFORE : 0;
    size_t hi = end + MASK_CTX_AFTER < len ? end + MASK_CTX_AFTER : len;

    for (size_t i = lo; i < hi; i++) {
        if (i > 0 && is_wordish(s[i - 1]))
            continue;
        if (is_bank_word(s, len, i))
            return true;
        for (const char *const *w = context_words; *w; w++) {
            size_t n = strlen(*w);

            /* a digit may follow ("stk0123…"), a letter may not */
            if (i + n <= len && !strncasecmp(s + i, *w, n) &&
                (i + n == len || !is_wordish(s[i + n]) || is_digit(s[i + n])))
                return true;
        }
    }
    return false;
}

static void mark_digits(char *mark, const char *s, size_t len, size_t i, size_t end, size_t nd)
{
    size_t k, seen = 0;

    for (k = i; k < end; k++)
        if (digit_at(s, len, k) && ++seen + MASK_KEEP_TAIL <= nd)
            mark[k] = MASK_STAR;
}

/* "+84 912…", "(+84) 912…", "+84(0)912…": returns where the digits start
 * (after the prefix), or 0 when there is no such prefix at i. */
static size_t after_plus84(const char *s, size_t len, size_t i)
{
    size_t k = i;

    if (k < len && s[k] == '(')
        k++;
    if (k + 3 > len || strncmp(s + k, "+84", 3))
        return 0;
    k += 3;
    if (k < len && s[k] == ')')
        k++;
    while (k < len && s[k] == ' ' && k - i < 8)
        k++;
    if (k + 3 <= len && !strncmp(s + k, "(0)", 3)) /* "+84 (0) 912 …" */
        k += 3;
    while (k < len && is_sep(s[k]) && k - i < 12)
        k++;
    return k < len && is_digit(s[k]) ? k : 0;
}

/* "C1234567", "B 7654321" (the letter a capital, or any case after
 * "hộ chiếu"/"passport"): masks the digits. Returns the end or i. */
static size_t mark_passport(const char *s, size_t len, size_t i, char *mark)
{
    size_t k = i + 1, d;

    if (!is_ascii_alpha(s[i]) || (i > 0 && is_wordish(s[i - 1])))
        return i;
    if (k < len && (s[k] == ' ' || s[k] == '-' || s[k] == '.'))
        k++;
    for (d = k; d < len && is_digit(s[d]); d++)
        ;
    if (d - k != PASSPORT_DIGITS || (d < len && is_wordish(s[d])))
        return i;
    if (!(s[i] >= 'A' && s[i] <= 'Z') && !near_context(s, len, i, d))
        return i;
    mark_digits(mark, s, len, k, d, PASSPORT_DIGITS);
    return d;
}

/* "29A-123.45", "59-X1 234.56", "30F 67890", "51G 1234". Returns the end or i. */
static size_t mark_plate(const char *s, size_t len, size_t i, char *mark)
{
    size_t k = i + 2, letters = 0, from, d;

    if (i + 2 >= len || (i > 0 && is_wordish(s[i - 1])) || !is_digit(s[i]) || !is_digit(s[i + 1]) ||
        s[i] < '1' || (s[i] == '1' && s[i + 1] == '0'))
        return i;
    if (s[k] == '-')
        k++;
    while (k < len && s[k] >= 'A' && s[k] <= 'Z' && letters < 2) {
        k++;
        letters++;
    }
    if (!letters)
        return i;
    if (k < len && is_digit(s[k]) && k + 1 < len && !is_digit(s[k + 1]))
        k++; /* the series digit of "X1" */
    if (k < len && is_sep(s[k]))
        k++;
    from = k;
    for (d = 0; k < len && is_digit(s[k]); k++)
        d++;
    if (d == 3 && k + 2 < len && s[k] == '.' && is_digit(s[k + 1]) && is_digit(s[k + 2])) {
        k += 3;
        d = 5;
    }
    if ((d != 4 && d != 5) || (k < len && is_wordish(s[k])) || (d == 4 && is_year(s, from, 4)))
        return i;
    mark_digits(mark, s, len, from, k, d);
    return k;
}

void mc_mask_mark_numbers(const char *s, size_t len, char *mark)
{
    size_t i = 0, from, next;
    struct run r;
    bool ctx;

    while (i < len) {
        from = after_plus84(s, len, i);
        if (from) {
            digit_run(s, len, from, true, &r);
            if (r.ndigits >= 8) {
                mark_digits(mark, s, len, from, r.end, r.ndigits);
                i = r.end;
                continue;
            }
        }
        if ((next = mark_plate(s, len, i, mark)) != i ||
            (next = mark_passport(s, len, i, mark)) != i) {
            i = next;
            continue;
        }
        if (!digit_at(s, len, i) || (i > 0 && digit_at(s, len, i - 1))) {
            i++;
            continue;
        }
        /* joined across spaces first: a context word may make it one number */
        digit_run(s, len, i, true, &r);
        ctx = r.ndigits >= MASK_CTX_MIN_DIGITS && near_context(s, len, i, r.end);
        if (!ctx && !(s[i] == '0' || s[i] == 'o' || s[i] == 'O') && !is_number_shape(s, &r) &&
            !is_card_shape(&r))
            digit_run(s, len, i, false, &r);
        if (r.ndigits >= (ctx ? MASK_CTX_MIN_DIGITS : MASK_MIN_DIGITS) &&
            !(is_money(s, i, r.end) && (!ctx || r.ndigits <= MASK_MONEY_CTX_MAX) &&
              !(r.ndigits >= MASK_MIN_DIGITS && is_number_shape(s, &r) && !is_round(s, &r))) &&
            !is_procedure_code(s, i, r.end) && !has_money_unit(s, len, r.end) &&
            !has_date_or_years(s, &r) && !is_hotline(s, &r) && !is_list(&r) &&
            (r.end == len || !is_ascii_alpha(s[r.end]) || r.ndigits >= 10))
            mark_digits(mark, s, len, i, r.end, r.ndigits);
        i = r.end > i ? r.end : i + 1;
    }
}
