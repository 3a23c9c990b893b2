/* gateway/conv_parse.c - see conv_parse.h. The phrase tables are folded
 * ASCII; to teach a new way of saying "next", add it to its table (and a
 * case to tests/unit/test_conv_parse.c). */
#include "conv_parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"

#define PARSE_TOKENS_MAX 24 /* words looked at in one command; more is a sentence */
#define PARSE_PHRASE_MAX 96 /* bytes of a command after particles are dropped */

struct tok {
    const char *p;
    size_t len;
};

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
    {"con gi", CONV_CMD_NEXT},
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

static size_t tokenize(const char *s, struct tok *t, size_t max, bool *overflow)
{
    size_t n = 0;

    *overflow = false;
    while (*s) {
        const char *e;

        while (*s == ' ')
            s++;
        if (!*s)
            break;
        e = strchr(s, ' ');
        if (!e)
            e = s + strlen(s);
        if (!(e - s == 1 && *s == ',')) { /* clause marks do not count as words */
            if (n == max) {
                *overflow = true;
                break;
            }
            t[n].p = s;
            t[n].len = (size_t)(e - s);
            n++;
        }
        s = e;
    }
    return n;
}

static bool tok_is(const struct tok *t, const char *w)
{
    return strlen(w) == t->len && memcmp(t->p, w, t->len) == 0;
}

static bool tok_in(const struct tok *t, const char *const *set, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (tok_is(t, set[i]))
            return true;
    return false;
}

#define IN(t, set) tok_in((t), (set), sizeof(set) / sizeof((set)[0]))

/* A step number: digits 1..CONV_PARSE_STEP_MAX or a number word. */
static unsigned tok_number(const struct tok *t)
{
    char d[4];
    char *end;
    unsigned long v;
    size_t i;

    for (i = 1; i < sizeof(number_words) / sizeof(number_words[0]); i++)
        if (tok_is(t, number_words[i]))
            return (unsigned)i;
    if (tok_is(t, "nhat"))
        return 1; /* "bước thứ nhất" */
    if (tok_is(t, "tu"))
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
static unsigned parse_step(const struct tok *t, size_t n)
{
    size_t i, b = n;
    unsigned v;

    for (i = 0; i < n; i++) {
        if (tok_is(&t[i], "buoc")) {
            b = i;
            break;
        }
        if (!IN(&t[i], step_before))
            return 0;
    }
    if (b + 1 >= n)
        return 0;
    i = b + 1;
    if (i + 1 < n && (tok_is(&t[i], "so") || tok_is(&t[i], "thu")))
        i++;
    v = tok_number(&t[i]);
    if (!v)
        return 0;
    for (i++; i < n; i++)
        if (!IN(&t[i], step_after))
            return 0;
    return v;
}

enum conv_cmd conv_parse_command(const char *folded, unsigned *n)
{
    struct tok t[PARSE_TOKENS_MAX];
    char joined[PARSE_PHRASE_MAX];
    size_t count, first = 0, i, o = 0;
    bool overflow;

    *n = 0;
    count = tokenize(folded, t, PARSE_TOKENS_MAX, &overflow);
    if (overflow || count == 0)
        return CONV_CMD_NONE;
    if (count == 1 && tok_number(&t[0]) && t[0].p[0] >= '0' && t[0].p[0] <= '9') {
        *n = tok_number(&t[0]);
        return CONV_CMD_NUMBER;
    }
    /* "dạ" alone is a polite yes; before more words it is only politeness */
    while (count - first > 1 && (IN(&t[first], leading) || tok_is(&t[first], "da")))
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

struct aspect_word {
    const char *text; /* folded words, matched as whole words */
    unsigned bit;     /* enum intent_aspect */
};

static const struct aspect_word aspect_words[] = {
    {"le phi", INTENT_ASPECT_FEE},
    {"phi", INTENT_ASPECT_FEE},
    {"bao nhieu tien", INTENT_ASPECT_FEE},
    {"mat tien", INTENT_ASPECT_FEE},
    {"ton tien", INTENT_ASPECT_FEE},
    {"chi phi", INTENT_ASPECT_FEE},
    {"tien", INTENT_ASPECT_FEE},
    {"mien phi", INTENT_ASPECT_FEE},

    {"mat bao lau", INTENT_ASPECT_TIME},
    {"mat may ngay", INTENT_ASPECT_TIME},
    {"bao lau", INTENT_ASPECT_TIME},
    {"may ngay", INTENT_ASPECT_TIME},
    {"bao nhieu ngay", INTENT_ASPECT_TIME},
    {"thoi gian", INTENT_ASPECT_TIME},
    {"thoi han", INTENT_ASPECT_TIME},
    {"lau khong", INTENT_ASPECT_TIME},
    {"lau ko", INTENT_ASPECT_TIME},
    {"mat may", INTENT_ASPECT_TIME},
    {"may hom", INTENT_ASPECT_TIME},
    {"nhanh khong", INTENT_ASPECT_TIME},
    {"bao gio xong", INTENT_ASPECT_TIME},
    {"khi nao xong", INTENT_ASPECT_TIME},
    {"may tuan", INTENT_ASPECT_TIME},

    {"giay to", INTENT_ASPECT_DOCUMENTS},
    {"ho so gom", INTENT_ASPECT_DOCUMENTS},
    {"can mang", INTENT_ASPECT_DOCUMENTS},
    {"mang gi", INTENT_ASPECT_DOCUMENTS},
    {"mang theo", INTENT_ASPECT_DOCUMENTS},
    {"can gi", INTENT_ASPECT_DOCUMENTS},
    {"can nhung gi", INTENT_ASPECT_DOCUMENTS},
    {"chuan bi gi", INTENT_ASPECT_DOCUMENTS},
    {"chuan bi nhung gi", INTENT_ASPECT_DOCUMENTS},
    {"thanh phan ho so", INTENT_ASPECT_DOCUMENTS},
    {"ho so can", INTENT_ASPECT_DOCUMENTS},
    {"can chuan bi", INTENT_ASPECT_DOCUMENTS},
    {"can j", INTENT_ASPECT_DOCUMENTS},
    {"mang j", INTENT_ASPECT_DOCUMENTS},

    {"o dau", INTENT_ASPECT_WHERE},
    {"cho nao", INTENT_ASPECT_WHERE},
    {"noi nop", INTENT_ASPECT_WHERE},
    {"dia chi", INTENT_ASPECT_WHERE},
    {"o mo", INTENT_ASPECT_WHERE},
    {"tai dau", INTENT_ASPECT_WHERE},
    {"den dau", INTENT_ASPECT_WHERE},
    {"di dau", INTENT_ASPECT_WHERE},
    {"nop dau", INTENT_ASPECT_WHERE},
    {"nop tai", INTENT_ASPECT_WHERE},
    {"o cho nao", INTENT_ASPECT_WHERE},

    {"online", INTENT_ASPECT_ONLINE},
    {"truc tuyen", INTENT_ASPECT_ONLINE},
    {"qua mang", INTENT_ASPECT_ONLINE},
    {"dich vu cong", INTENT_ASPECT_ONLINE},
    {"vneid", INTENT_ASPECT_ONLINE},
    {"tren mang", INTENT_ASPECT_ONLINE},
    {"dichvucong", INTENT_ASPECT_ONLINE},
    {"qua app", INTENT_ASPECT_ONLINE},
    {"tren app", INTENT_ASPECT_ONLINE},
    {"onl", INTENT_ASPECT_ONLINE},

    {"ai duoc", INTENT_ASPECT_WHO},
    {"nop thay", INTENT_ASPECT_WHO},
    {"lam thay", INTENT_ASPECT_WHO},
    {"nho nguoi", INTENT_ASPECT_WHO},
    {"uy quyen", INTENT_ASPECT_WHO},
    {"di thay", INTENT_ASPECT_WHO},
    {"ai nop", INTENT_ASPECT_WHO},
    {"ai lam", INTENT_ASPECT_WHO},
    {"nguoi khac", INTENT_ASPECT_WHO},
    {"ai co the", INTENT_ASPECT_WHO},
    {"nho ai", INTENT_ASPECT_WHO},

    {"mau to khai", INTENT_ASPECT_FORM},
    {"to khai", INTENT_ASPECT_FORM},
    {"mau don", INTENT_ASPECT_FORM},
    {"bieu mau", INTENT_ASPECT_FORM},
    {"mau so", INTENT_ASPECT_FORM},
    {"mau giay", INTENT_ASPECT_FORM},
    {"don xin", INTENT_ASPECT_FORM},

    {"cac buoc", INTENT_ASPECT_STEPS},
    {"trinh tu", INTENT_ASPECT_STEPS},
    {"quy trinh", INTENT_ASPECT_STEPS},
    {"lam the nao", INTENT_ASPECT_STEPS},
    {"lam sao", INTENT_ASPECT_STEPS},
    {"nhu the nao", INTENT_ASPECT_STEPS},
    {"the nao", INTENT_ASPECT_STEPS},
    {"ntn", INTENT_ASPECT_STEPS},
    {"huong dan", INTENT_ASPECT_STEPS},
    {"cach lam", INTENT_ASPECT_STEPS},

    {"gio lam viec", INTENT_ASPECT_HOURS},
    {"may gio", INTENT_ASPECT_HOURS},
    {"thu bay", INTENT_ASPECT_HOURS},
    {"chu nhat", INTENT_ASPECT_HOURS},
    {"gio mo cua", INTENT_ASPECT_HOURS},
    {"mo cua", INTENT_ASPECT_HOURS},
    {"dong cua", INTENT_ASPECT_HOURS},
    {"ngay le", INTENT_ASPECT_HOURS},
    {"t7", INTENT_ASPECT_HOURS},
    {"gio giac", INTENT_ASPECT_HOURS},

    {"dieu kien", INTENT_ASPECT_CONDITION},
    {"co duoc khong", INTENT_ASPECT_CONDITION},
    {"duoc khong", INTENT_ASPECT_CONDITION},
    {"duoc ko", INTENT_ASPECT_CONDITION},

    {"nhan ket qua", INTENT_ASPECT_RESULT},
    {"ket qua", INTENT_ASPECT_RESULT},
    {"bao gio co", INTENT_ASPECT_RESULT},
    {"khi nao co", INTENT_ASPECT_RESULT},
    {"nhan giay", INTENT_ASPECT_RESULT},
    {"duoc cap gi", INTENT_ASPECT_RESULT},
    {"nhan duoc gi", INTENT_ASPECT_RESULT},
    {"tra ket qua", INTENT_ASPECT_RESULT},
};

/* True if the words of w occur in s as whole words. */
static bool has_words(const char *s, const char *w)
{
    size_t wl = strlen(w);
    const char *p = s;

    while ((p = strstr(p, w)) != NULL) {
        bool left = p == s || p[-1] == ' ';
        bool right = p[wl] == '\0' || p[wl] == ' ';

        if (left && right)
            return true;
        p++;
    }
    return false;
}

unsigned conv_parse_aspects(const char *folded)
{
    unsigned bits = 0, specific;
    size_t i;

    for (i = 0; i < sizeof(aspect_words) / sizeof(aspect_words[0]); i++)
        if (!(bits & aspect_words[i].bit) && has_words(folded, aspect_words[i].text))
            bits |= aspect_words[i].bit;
    if (bits & INTENT_ASPECT_FORM)
        bits &= ~(unsigned)INTENT_ASPECT_WHERE; /* "mẫu tờ khai ở đâu": where to get the form */
    specific = bits & ~(unsigned)(INTENT_ASPECT_STEPS | INTENT_ASPECT_CONDITION);
    if (specific)
        bits = specific;
    else if (bits & INTENT_ASPECT_STEPS)
        bits = INTENT_ASPECT_STEPS; /* "thế nào" alone asks how it is done */
    return bits;
}

/* Words before a unit word that make it a statement of residence. */
static const char *const place_lead[] = {"o", "tai", "thuoc", "chi", "tu", "la"};
static const char *const place_sure[] = {"toi",  "em",   "minh", "tui",  "nha", "song", "dia",
                                         "tru",  "que",  "con",  "chau", "ba",  "ong",  "me",
                                         "dang", "hien", "gia",  "dinh", "ho",  "khau"};

bool conv_parse_locality(const char *folded, size_t *start, size_t *len, bool *sure)
{
    struct tok t[PARSE_TOKENS_MAX * 4];
    bool overflow;
    size_t n = tokenize(folded, t, sizeof(t) / sizeof(t[0]), &overflow), i;

    for (i = 0; i < n; i++) {
        size_t words = 1, k;
        const char *end;

        if (tok_is(&t[i], "phuong") || tok_is(&t[i], "xa"))
            words = 1;
        else if (i + 1 < n && ((tok_is(&t[i], "thi") && tok_is(&t[i + 1], "tran")) ||
                               (tok_is(&t[i], "dac") && tok_is(&t[i + 1], "khu"))))
            words = 2;
        else
            continue;
        if (i > 0 && !IN(&t[i - 1], place_lead))
            continue;
        if (i + words >= n)
            continue; /* a unit word with no name after it */
        /* the name must come before any clause boundary */
        end = t[i + words - 1].p + t[i + words - 1].len;
        if (strncmp(end, " ,", 2) == 0)
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

/* Function words that never name a topic. */
static const char *const topic_stop[] = {
    "toi", "em",  "minh", "ban",  "co",   "khong", "thi",  "la",    "cua",  "cho",  "va",    "o",
    "gi",  "nao", "the",  "a",    "duoc", "phai",  "hay",  "hoac",  "neu",  "ma",   "de",    "voi",
    "nhu", "vay", "roi",  "can",  "lam",  "bi",    "con",  "ai",    "mot",  "nay",  "do",    "day",
    "nhe", "ad",  "oi",   "ha",   "sao",  "gium",  "giup", "hoi",   "muon", "xin",  "biet",  "thu",
    "tuc", "j",   "k",    "ko",   "dc",   "nop",   "khi",  "nhung", "cac",  "bao",  "nhieu", "tui",
    "chi", "anh", "ong",  "ba",   "me",   "cha",   "vo",   "chong", "minh", "di",   "den",   "tu",
    "tai", "ve",  "len",  "ra",   "vao",  "dang",  "ky",   "ki",    "xong", "chua", "se",    "da",
    "van", "nua", "ho",   "giay", "to",   "so",    "mat"};

size_t conv_parse_topic(const char *folded, char *out, size_t cap)
{
    char padded[512], *p;
    size_t i, words = 0, o = 0;
    struct tok t[PARSE_TOKENS_MAX * 4];
    bool overflow;
    size_t n;

    if (cap == 0)
        return 0;
    out[0] = '\0';
    if (strlen(folded) + 3 > sizeof(padded))
        return 0; /* a long message is not a short follow-up: the caller treats it as a topic */
    snprintf(padded, sizeof(padded), " %s ", folded);
    /* blank out every aspect phrase, longest phrases first as listed */
    for (i = 0; i < sizeof(aspect_words) / sizeof(aspect_words[0]); i++) {
        size_t wl = strlen(aspect_words[i].text);

        while ((p = strstr(padded, aspect_words[i].text)) != NULL) {
            if (p[-1] != ' ' || (p[wl] != ' ' && p[wl] != '\0'))
                break; /* inside another word: leave it (rare, and only costs a keyword) */
            memset(p, ' ', wl);
        }
    }
    n = tokenize(padded, t, sizeof(t) / sizeof(t[0]), &overflow);
    for (i = 0; i < n; i++) {
        /* "nha" ends a sentence politely but is "nhà" (house) inside one */
        if (IN(&t[i], topic_stop) || (i + 1 == n && IN(&t[i], trailing)) ||
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
