/* gateway/conv/conv_parse.c - see conv_parse.h. The phrase tables are folded
 * ASCII; to teach a new way of saying "next", add it to its table (and a
 * case to tests/unit/test_conv_parse.c). */
#include "conv_parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold_words.h"
#include "intent.h"

#define PARSE_TOKENS_MAX 24 /* words looked at in one command; more is a sentence */
#define PARSE_PHRASE_MAX 96 /* bytes of a command after particles are dropped */

struct phrase {
    const char *text;
    enum conv_cmd cmd;
};

/* Whole-message commands, after particles are dropped. Answers come first:
 * "khong biet" must not be read as "khong". */
static const struct phrase phrases[] = {
    {"khong biet", CONV_CMD_UNKNOWN},
    {"khong ro", CONV_CMD_UNKNOWN},
    {"chua biet", CONV_CMD_UNKNOWN},
    {"chua ro", CONV_CMD_UNKNOWN},
    {"khong chac", CONV_CMD_UNKNOWN},
    {"chua chac", CONV_CMD_UNKNOWN},
    {"khong chac chan", CONV_CMD_UNKNOWN},
    {"chua chac chan", CONV_CMD_UNKNOWN},
    {"ko biet", CONV_CMD_UNKNOWN},
    {"ko ro", CONV_CMD_UNKNOWN},
    {"k biet", CONV_CMD_UNKNOWN},
    {"k ro", CONV_CMD_UNKNOWN},
    {"kg biet", CONV_CMD_UNKNOWN},
    {"hong biet", CONV_CMD_UNKNOWN},
    {"hong ro", CONV_CMD_UNKNOWN},
    {"hok biet", CONV_CMD_UNKNOWN},
    {"khong nho", CONV_CMD_UNKNOWN},
    {"chua kiem tra", CONV_CMD_UNKNOWN},
    {"de xem lai", CONV_CMD_UNKNOWN},
    {"bo qua", CONV_CMD_UNKNOWN},
    {"chiu", CONV_CMD_UNKNOWN},
    {"idk", CONV_CMD_UNKNOWN},
    {"khong biet co khong", CONV_CMD_UNKNOWN},
    {"khong ro lam", CONV_CMD_UNKNOWN},

    {"co", CONV_CMD_YES},
    {"co roi", CONV_CMD_YES},
    {"da co", CONV_CMD_YES},
    {"da co roi", CONV_CMD_YES},
    {"roi", CONV_CMD_YES},
    {"co san", CONV_CMD_YES},
    {"co chu", CONV_CMD_YES},
    {"co day", CONV_CMD_YES},
    {"co du", CONV_CMD_YES},
    {"du roi", CONV_CMD_YES},
    {"vang", CONV_CMD_YES},
    {"vang co", CONV_CMD_YES},
    {"da", CONV_CMD_YES},
    {"u", CONV_CMD_YES},
    {"uh", CONV_CMD_YES},
    {"um", CONV_CMD_YES},
    {"uk", CONV_CMD_YES},
    {"ok", CONV_CMD_YES},
    {"oke", CONV_CMD_YES},
    {"okay", CONV_CMD_YES},
    {"yes", CONV_CMD_YES},
    {"dung roi", CONV_CMD_YES},
    {"dung vay", CONV_CMD_YES},
    {"dung the", CONV_CMD_YES},
    {"phai", CONV_CMD_YES},
    {"phai roi", CONV_CMD_YES},
    {"co a", CONV_CMD_YES},
    {"co mang", CONV_CMD_YES},
    {"co luon", CONV_CMD_YES},

    {"khong", CONV_CMD_NO},
    {"chua", CONV_CMD_NO},
    {"chua co", CONV_CMD_NO},
    {"khong co", CONV_CMD_NO},
    {"ko", CONV_CMD_NO},
    {"ko co", CONV_CMD_NO},
    {"k", CONV_CMD_NO},
    {"k co", CONV_CMD_NO},
    {"kg", CONV_CMD_NO},
    {"hong", CONV_CMD_NO},
    {"hong co", CONV_CMD_NO},
    {"hok", CONV_CMD_NO},
    {"no", CONV_CMD_NO},
    {"khong phai", CONV_CMD_NO},
    {"ko phai", CONV_CMD_NO},
    {"hong phai", CONV_CMD_NO},
    {"sai", CONV_CMD_NO},
    {"khong dung", CONV_CMD_NO},
    {"chua lam", CONV_CMD_NO},
    {"chua xin", CONV_CMD_NO},
    {"mat roi", CONV_CMD_NO},
    {"bi mat", CONV_CMD_NO},
    {"chua co gi", CONV_CMD_NO},
    {"chua co dau", CONV_CMD_NO},
    {"khong co dau", CONV_CMD_NO},
    {"thieu", CONV_CMD_NO},

    {"tiep", CONV_CMD_NEXT},
    {"tiep theo", CONV_CMD_NEXT},
    {"tiep tuc", CONV_CMD_NEXT},
    {"buoc tiep", CONV_CMD_NEXT},
    {"buoc tiep theo", CONV_CMD_NEXT},
    {"buoc sau", CONV_CMD_NEXT},
    {"buoc ke tiep", CONV_CMD_NEXT},
    {"ke tiep", CONV_CMD_NEXT},
    {"next", CONV_CMD_NEXT},
    {"sau do", CONV_CMD_NEXT},
    {"sau do thi sao", CONV_CMD_NEXT},
    {"roi sao nua", CONV_CMD_NEXT},
    {"roi sao", CONV_CMD_NEXT},
    {"xem tiep", CONV_CMD_NEXT},
    {"ok tiep", CONV_CMD_NEXT},
    {"roi tiep", CONV_CMD_NEXT},
    {"tiep nao", CONV_CMD_NEXT},
    {"lam gi tiep", CONV_CMD_NEXT},
    {"tiep theo la gi", CONV_CMD_NEXT},

    {"quay lai", CONV_CMD_PREV},
    {"lui", CONV_CMD_PREV},
    {"lui lai", CONV_CMD_PREV},
    {"buoc truoc", CONV_CMD_PREV},
    {"buoc truoc do", CONV_CMD_PREV},
    {"truoc do", CONV_CMD_PREV},
    {"back", CONV_CMD_PREV},
    {"prev", CONV_CMD_PREV},
    {"tro lai", CONV_CMD_PREV},
    {"quay ve", CONV_CMD_PREV},
    {"quay lai buoc truoc", CONV_CMD_PREV},
    {"xem lai buoc truoc", CONV_CMD_PREV},
    {"lui mot buoc", CONV_CMD_PREV},
    {"cau truoc", CONV_CMD_PREV},
    {"quay lai cau truoc", CONV_CMD_PREV},

    {"xem tat ca", CONV_CMD_ALL},
    {"tat ca", CONV_CMD_ALL},
    {"xem het", CONV_CMD_ALL},
    {"tat ca cac buoc", CONV_CMD_ALL},
    {"xem tat ca cac buoc", CONV_CMD_ALL},
    {"xem het cac buoc", CONV_CMD_ALL},
    {"liet ke het", CONV_CMD_ALL},
    {"cho xem het", CONV_CMD_ALL},
    {"xem toan bo", CONV_CMD_ALL},
    {"toan bo", CONV_CMD_ALL},
    {"all", CONV_CMD_ALL},

    {"lam lai tu dau", CONV_CMD_RESTART},
    {"lam lai", CONV_CMD_RESTART},
    {"bat dau lai", CONV_CMD_RESTART},
    {"bat dau lai tu dau", CONV_CMD_RESTART},
    {"tu dau", CONV_CMD_RESTART},
    {"lai tu dau", CONV_CMD_RESTART},
    {"quay lai tu dau", CONV_CMD_RESTART},
    {"xem lai tu dau", CONV_CMD_RESTART},
    {"restart", CONV_CMD_RESTART},
    {"reset", CONV_CMD_RESTART},

    {"huy", CONV_CMD_CANCEL},
    {"huy bo", CONV_CMD_CANCEL},
    {"thoi", CONV_CMD_CANCEL},
    {"thoi khoi", CONV_CMD_CANCEL},
    {"thoi khong can", CONV_CMD_CANCEL},
    {"khong can nua", CONV_CMD_CANCEL},
    {"khong can", CONV_CMD_CANCEL},
    {"cancel", CONV_CMD_CANCEL},
    {"stop", CONV_CMD_CANCEL},
    {"dung lai", CONV_CMD_CANCEL},
    {"ket thuc", CONV_CMD_CANCEL},
    {"thoat", CONV_CMD_CANCEL},
    {"huy kiem tra", CONV_CMD_CANCEL},
    {"de sau", CONV_CMD_CANCEL},
    {"thoi de sau", CONV_CMD_CANCEL},

    {"xem lai danh sach", CONV_CMD_CHECKLIST},
    {"danh sach", CONV_CMD_CHECKLIST},
    {"xem danh sach", CONV_CMD_CHECKLIST},
    {"danh sach giay to", CONV_CMD_CHECKLIST},
    {"xem lai danh sach giay to", CONV_CMD_CHECKLIST},
    {"xem lai ket qua", CONV_CMD_CHECKLIST},
    {"ket qua kiem tra", CONV_CMD_CHECKLIST},
    {"xem lai ket qua kiem tra", CONV_CMD_CHECKLIST},
    {"checklist", CONV_CMD_CHECKLIST},
    {"xem lai checklist", CONV_CMD_CHECKLIST},
    {"in danh sach", CONV_CMD_CHECKLIST},
    {"mo lai danh sach", CONV_CMD_CHECKLIST},

    {"kiem tra ho so", CONV_CMD_CHECK},
    {"kiem tra giay to", CONV_CMD_CHECK},
    {"kiem tra", CONV_CMD_CHECK},
    {"check ho so", CONV_CMD_CHECK},
    {"kiem tra lai", CONV_CMD_CHECK},
    {"kiem tra lai ho so", CONV_CMD_CHECK},
    {"tu kiem tra ho so", CONV_CMD_CHECK},
    {"kiem tra ho so giup", CONV_CMD_CHECK},

    {"cac buoc thuc hien", CONV_CMD_STEPS},
    {"cac buoc", CONV_CMD_STEPS},
    {"xem cac buoc", CONV_CMD_STEPS},
    {"cac buoc lam", CONV_CMD_STEPS},
    {"huong dan tung buoc", CONV_CMD_STEPS},
    {"trinh tu thuc hien", CONV_CMD_STEPS},

    {"giay to can chuan bi", CONV_CMD_DOCS},
    {"giay to", CONV_CMD_DOCS},
    {"xem giay to", CONV_CMD_DOCS},
    {"danh sach giay to can chuan bi", CONV_CMD_DOCS},
    {"thanh phan ho so", CONV_CMD_DOCS},
};

/* Politeness around a command: "dạ có ạ", "tôi chưa có nhé", "tiếp đi". */
static const char *const leading[] = {"toi",  "em",  "minh", "tui", "to",  "con",
                                      "chau", "thi", "vay",  "ok",  "oke", "the"};
static const char *const trailing[] = {
    "a",    "nha", "nhe", "ne",  "ha",  "ad", "ak",    "ah",    "oi",  "nhen", "hen", "nua",
    "luon", "di",  "voi", "nhi", "ban", "em", "admin", "nghen", "nhe", "vay",  "ha",  "giup"};

/* Words that may surround "bước N": "cho xem bước 3", "quay lại bước 2 nhé". */
static const char *const step_before[] = {"xem", "den", "toi", "nhay", "sang", "qua", "quay",
                                          "lai", "ve",  "cho", "coi",  "doc",  "mo"};
static const char *const step_after[] = {"la", "gi", "the", "nao", "sao", "lam"};

static const char *const number_words[] = {"",    "mot", "hai", "ba",   "bon", "nam",
                                           "sau", "bay", "tam", "chin", "muoi"};

#define IN(w, set) fold_words_in((w), (set), sizeof(set) / sizeof((set)[0]))

/* A step number: digits 1..CONV_PARSE_STEP_MAX or a number word. */
static unsigned tok_number(const struct fold_word *t)
{
    char d[4];
    char *end;
    unsigned long v;
    size_t i;

    for (i = 1; i < sizeof(number_words) / sizeof(number_words[0]); i++)
        if (fold_words_is(t, number_words[i]))
            return (unsigned)i;
    if (fold_words_is(t, "nhat"))
        return 1; /* "bước thứ nhất" */
    if (fold_words_is(t, "tu"))
        return 4; /* "bước thứ tư" */
    if (t->len == 0 || t->len >= sizeof(d))
        return 0;
    for (i = 0; i < t->len; i++)
        if (t->p[i] < '0' || t->p[i] > '9')
            return 0;
    memcpy(d, t->p, t->len);
    d[t->len] = '\0';
    errno = 0;
    v = strtoul(d, &end, 10);
    if (errno || *end || v < 1 || v > CONV_PARSE_STEP_MAX)
        return 0;
    return (unsigned)v;
}

/* "bước 3", "xem bước số 3", "quay lại bước thứ hai nhé". */
static unsigned parse_step(const struct fold_word *t, size_t n)
{
    size_t i, b = n;
    unsigned v;

    for (i = 0; i < n; i++) {
        if (fold_words_is(&t[i], "buoc")) {
            b = i;
            break;
        }
        if (!IN(&t[i], step_before))
            return 0;
    }
    if (b + 1 >= n)
        return 0;
    i = b + 1;
    if (i + 1 < n && (fold_words_is(&t[i], "so") || fold_words_is(&t[i], "thu")))
        i++;
    v = tok_number(&t[i]);
    if (!v)
        return 0;
    for (i++; i < n; i++)
        if (!IN(&t[i], step_after))
            return 0;
    return v;
}

/* "More of what you showed", matched with only trailing particles dropped
 * (a leading "còn" is the question itself here, not a pronoun). */
static const char *const more_phrases[] = {"con nua khong",
                                           "con nua hong",
                                           "con gi nua khong",
                                           "con gi nua hong",
                                           "con gi khong",
                                           "con gi",
                                           "con gi them khong",
                                           "con gi them",
                                           "het chua",
                                           "da het chua",
                                           "het chua vay",
                                           "them gi",
                                           "them gi khong",
                                           "them gi nua khong",
                                           "con buoc nao nua khong",
                                           "con buoc nao khong",
                                           "con buoc nao",
                                           "con buoc nao nua",
                                           "con khong",
                                           "con nua ko",
                                           "con gi nua ko",
                                           "het chua ta",
                                           "con j nua khong",
                                           "con j nua ko",
                                           "con j khong",
                                           "con j"};

static bool is_more(const struct fold_word *t, size_t count)
{
    char joined[PARSE_PHRASE_MAX];
    size_t i, o = 0;

    while (count > 1 && IN(&t[count - 1], trailing))
        count--;
    for (i = 0; i < count; i++) {
        if (o + t[i].len + 1 >= sizeof(joined))
            return false;
        if (o)
            joined[o++] = ' ';
        memcpy(joined + o, t[i].p, t[i].len);
        o += t[i].len;
    }
    joined[o] = '\0';
    for (i = 0; i < sizeof(more_phrases) / sizeof(more_phrases[0]); i++)
        if (strcmp(joined, more_phrases[i]) == 0)
            return true;
    return false;
}

static bool starts_with_words(const char *folded, const char *prefix)
{
    size_t n = strlen(prefix);

    return strncmp(folded, prefix, n) == 0 && (folded[n] == ' ' || folded[n] == '\0');
}

bool conv_parse_correction(const char *folded)
{
    static const char *const lead[] = {
        "a nham",       "a nham roi",   "nham",         "nham roi",  "toi nham", "em nham",
        "minh nham",    "xin loi nham", "khong phai ,", "ko phai ,", "k phai ,", "hong phai ,",
        "khong phai y", "ko phai y",    "a khong phai", "y toi la",  "y em la",  "y minh la",
        "y tui la",     "y e la",       "y la",         "sua lai"};
    static const char *const mid[] = {" y toi la ", " y em la ", " y minh la ", " y tui la ",
                                      " y e la "};
    size_t i;

    for (i = 0; i < sizeof(lead) / sizeof(lead[0]); i++)
        if (starts_with_words(folded, lead[i]))
            return true;
    for (i = 0; i < sizeof(mid) / sizeof(mid[0]); i++)
        if (strstr(folded, mid[i]))
            return true;
    return false;
}

bool conv_parse_lookup(const char *folded)
{
    static const char *const words[] = {" tra cuu ",       " ma ho so ",     " den dau roi ",
                                        " da nop ",        " nop roi ",      " tinh trang ho so ",
                                        " ho so cua toi ", " ho so cua em ", " theo doi ho so "};
    char padded[PARSE_PHRASE_MAX * 8];
    size_t i;

    snprintf(padded, sizeof(padded), " %s ", folded);
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strstr(padded, words[i]))
            return true;
    return false;
}

enum conv_cmd conv_parse_command(const char *folded, unsigned *n)
{
    struct fold_word t[PARSE_TOKENS_MAX];
    char joined[PARSE_PHRASE_MAX];
    size_t count, first = 0, i, o = 0;
    bool overflow;

    *n = 0;
    count = fold_words_split(folded, strlen(folded), true, t, PARSE_TOKENS_MAX, &overflow);
    if (overflow || count == 0)
        return CONV_CMD_NONE;
    if (is_more(t, count))
        return CONV_CMD_MORE;
    if (count == 1 && tok_number(&t[0]) && t[0].p[0] >= '0' && t[0].p[0] <= '9') {
        *n = tok_number(&t[0]);
        return CONV_CMD_NUMBER;
    }
    /* "dạ" alone is a polite yes; before more words it is only politeness */
    while (count - first > 1 && (IN(&t[first], leading) || fold_words_is(&t[first], "da")))
        first++;
    while (count - first > 1 && IN(&t[count - 1], trailing))
        count--;
    if (count - first > CONV_PARSE_CMD_WORDS_MAX)
        return CONV_CMD_NONE;
    *n = parse_step(t + first, count - first);
    if (*n)
        return CONV_CMD_STEP;
    for (i = first; i < count; i++) {
        if (o + t[i].len + 1 >= sizeof(joined))
            return CONV_CMD_NONE;
        if (o)
            joined[o++] = ' ';
        memcpy(joined + o, t[i].p, t[i].len);
        o += t[i].len;
    }
    joined[o] = '\0';
    for (i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
        if (strcmp(joined, phrases[i].text) == 0)
            return phrases[i].cmd;
    return CONV_CMD_NONE;
}

unsigned conv_parse_aspects(unsigned asked)
{
    unsigned bits = asked;

    if (bits & INTENT_ASPECT_FORM)
        bits &= ~(unsigned)INTENT_ASPECT_WHERE; /* "mẫu tờ khai ở đâu": where to get the form */
    if (bits & ~(unsigned)INTENT_ASPECT_STEPS)
        bits &= ~(unsigned)INTENT_ASPECT_STEPS; /* "thế nào" alone asks how it is done */
    return bits;
}

/* Words before a unit word that make it a statement of residence. */
static const char *const place_lead[] = {"o", "tai", "thuoc", "chi", "tu", "la"};
static const char *const place_sure[] = {"toi",  "em",   "minh", "tui",  "nha", "song", "dia",
                                         "tru",  "que",  "con",  "chau", "ba",  "ong",  "me",
                                         "dang", "hien", "gia",  "dinh", "ho",  "khau"};

/* Words that cannot begin the name after a unit word (place names may begin
 * with many common words, "Ba Vì", "Cô Tô", "Minh Khai": only question words
 * and particles are listed). */
static const char *const not_name[] = {"duoc", "khong", "ko",  "nao", "gi",  "dau",
                                       "roi",  "nhe",   "vay", "nay", "khac"};

bool conv_parse_locality(const char *folded, size_t *start, size_t *len, bool *sure)
{
    struct fold_word t[PARSE_TOKENS_MAX * 4];
    bool overflow;
    size_t n = fold_words_split(folded, strlen(folded), true, t, sizeof(t) / sizeof(t[0]),
                                &overflow),
           i;

    for (i = 0; i < n; i++) {
        size_t words = 1, k;
        const char *end;

        if (fold_words_is(&t[i], "phuong") || fold_words_is(&t[i], "xa"))
            words = 1;
        else if (i + 1 < n && ((fold_words_is(&t[i], "thi") && fold_words_is(&t[i + 1], "tran")) ||
                               (fold_words_is(&t[i], "dac") && fold_words_is(&t[i + 1], "khu"))))
            words = 2;
        else
            continue;
        if (i > 0 && !IN(&t[i - 1], place_lead))
            continue;
        if (i + words >= n)
            continue; /* a unit word with no name after it */
        if (IN(&t[i + words], not_name))
            continue; /* "nộp ở phường được không": the ward in general, no name */
        /* the name must come before any clause boundary */
        end = t[i + words - 1].p + t[i + words - 1].len;
        if (strncmp(end, " ,", sizeof " ," - 1) == 0)
            continue;
        *start = (size_t)(t[i].p - folded);
        end = strstr(t[i].p, " ,");
        *len = end ? (size_t)(end - t[i].p) : strlen(t[i].p);
        *sure = i == 0;
        for (k = i >= 1 ? i - 1 : 0; !*sure && k > 0 && k + 3 >= i; k--)
            if (IN(&t[k - 1], place_sure))
                *sure = true;
        return true;
    }
    return false;
}

/* "ho" is a stop word ("nộp hộ", "hồ sơ", "họ") except before these, where
 * it is "hộ" of a subject: "hộ chiếu", "hộ khẩu", "hộ tịch", "hộ kinh doanh",
 * "hộ nghèo". */
static const char *const ho_nouns[] = {"chieu", "khau", "tich", "kinh", "ngheo"};

size_t conv_parse_topic(const struct intent_result *u, char *out, size_t cap)
{
    char blanked[INTENT_NORM_MAX];
    struct fold_word t[PARSE_TOKENS_MAX * 4];
    size_t i, n, len = strlen(u->folded), words = 0, o = 0;

    if (cap == 0)
        return 0;
    out[0] = '\0';
    memcpy(blanked, u->folded, len + 1);
    for (i = 0; i < u->n_aspect_spans; i++)
        if (u->aspect_spans[i].start + u->aspect_spans[i].len <= len)
            memset(blanked + u->aspect_spans[i].start, ' ', u->aspect_spans[i].len);
    n = fold_words_split(blanked, len, true, t, sizeof(t) / sizeof(t[0]), NULL);
    for (i = 0; i < n; i++) {
        /* "nha" ends a sentence politely but is "nhà" (house) inside one */
        bool compound = fold_words_is(&t[i], "ho") && i + 1 < n && IN(&t[i + 1], ho_nouns);

        if ((fold_words_is_stop(&t[i], true) && !compound) || (i + 1 == n && IN(&t[i], trailing)) ||
            (i == 0 && IN(&t[i], leading)))
            continue;
        if (o + t[i].len + 2 > cap)
            break;
        if (o)
            out[o++] = ' ';
        memcpy(out + o, t[i].p, t[i].len);
        o += t[i].len;
        words++;
    }
    out[o] = '\0';
    return words;
}
