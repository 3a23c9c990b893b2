/* common/mc_mask_names.c - names a citizen gives (see mc_mask.h,
 * mc_mask_words.c). A name is masked after "tên" ("tôi tên là …", "con tôi
 * tên …", "họ tên: …", "tên đầy đủ là …", "họ tên người yêu cầu: …"), after
 * "tôi là …"/"em là …" (a title may come between: "tôi là bà …"), after the
 * end of a letter ("Trân trọng, …", "Người làm đơn: …", "Người đề nghị: …"),
 * after "Tôi, " in a formal letter, and, with no word announcing it, as a
 * full name in capitals that starts with a family name ("Nguyễn Thị Hoa,
 * sinh 1990", "ông Nguyễn Văn Định") unless a street, school or city is named
 * ("đường Nguyễn Văn Linh", "Hồ Chí Minh"). Masked: its capitalised words,
 * or, typed without capitals, up to 4 words when "là"/":" said a name
 * follows or the first word is a family name ("toi ten tran van hai"),
 * ending at a word that cannot be part of a name ("muốn", "cần", "ở", …) or
 * at punctuation. Keywords are listed with and without diacritics. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "mc_mask_int.h"

#define NAME_MAX_WORDS 5
#define NAME_MAX_LOWER 4 /* words taken from a name typed without capitals */
#define NAME_GAP_MAX 4   /* words between "tên" and its "là" or ':' */

static const char *const name_words[] = {"tên", "ten", "Tên", NULL};
static const char *const is_words[] = {"là", "la", NULL};
/* between "tên" and "là" when the name is announced: "tên con là …",
 * "tên tui là …", "tên mẹ là …" */
static const char *const own_words[] = {
    "con", "cháu", "chau",  "tôi",   "toi", "tui", "em", "e",   "mình", "minh",
    "mk",  "tớ",   "bé",    "be",    "bố",  "bo",  "mẹ", "me",  "ba",   "má",
    "vợ",  "vo",   "chồng", "chong", "ông", "ong", "bà", "anh", "chị",  NULL};
static const char *const self_words[] = {"tôi", "toi", "tui",  "em",   "mình", "minh", "mk",
                                         "mik", "tớ",  "cháu", "chau", "con",  NULL};
/* a title between "là" and the name ("tôi là bà Trần Thị Hiền") */
static const char *const titles[] = {"ông", "ong", "bà",  "ba", "cô", "co",  "chú", "chu",
                                     "anh", "chị", "chi", "cụ", "cu", "bác", "bac", NULL};
/* the word before which ends a letter and precedes the writer's name:
 * "Trân trọng, …", "Người làm đơn: …", "người viết đơn …" */
static const char *const sign_pairs[][2] = {
    {"trân", "trọng"}, {"tran", "trong"}, {"làm", "đơn"},    {"lam", "don"},
    {"viết", "đơn"},   {"viet", "don"},   {"người", "viết"}, {"nguoi", "viet"},
};
/* "Người đề nghị: …" (not "văn bản đề nghị", "hạn nộp đề nghị") */
static const char *const proposer_pairs[][2] = {{"đề", "nghị"}, {"de", "nghi"}};
static const char *const person_words[] = {"người", "nguoi", "Người", NULL};
/* capitalised words that begin no name: "ghi tên Ban quản trị", "đứng tên
 * Giấy chứng nhận", "Do Cục Sở hữu trí tuệ" */
static const char *const not_name_capitals[] = {
    "ban", "giấy", "giay", "thông", "sở",     "quỹ",  "hội",   "ủy",   "uỷ",   "cơ",
    "bộ",  "cục",  "bệnh", "xã",    "phường", "tỉnh", "huyện", "quận", "cộng", "đảng",
    "mẫu", "nghị", "luật", "quyết", "tờ",     "chủ",  "Ủy",    "Uỷ",   "Đảng", NULL};
/* before a capitalised full name, words that make it a place named after a
 * person ("đường Nguyễn Văn Linh", "trường Phan Bội Châu") */
static const char *const place_before[] = {
    "đường", "duong", "phố",   "pho",   "quận",  "quan",  "huyện", "huyen",  "phường", "phuong",
    "xã",    "xa",    "tỉnh",  "tinh",  "thành", "thanh", "tp",    "trường", "truong", "viện",
    "vien",  "hẻm",   "hem",   "ngõ",   "ngo",   "kiệt",  "kiet",  "ngách",  "cầu",    "cau",
    "chợ",   "cho",   "làng",  "lang",  "thôn",  "thon",  "ấp",    "ap",     "bản",    "khu",
    "tổ",    "to",    "số",    "so",    "lộ",    "tuyến", "tuyen", "giải",   "giai",   "tượng",
    "đền",   "den",   "chùa",  "chua",  "nhà",   "nha",   "tâm",   "tam",    "viên",   "bến",
    "ben",   "sân",   "san",   "thpt",  "thcs",  "th",    "mn",    "non",    "học",    "hoc",
    "lăng",  "tàng",  "phòng", "phong", "cty",   "ty",    "tuyến", "ở",      "o",      "tại",
    "tai",   NULL};
/* after "tôi là", single lowercase words that are not names */
static const char *const not_names[] = {
    "người", "nguoi", "ai",    "đây", "day", "đó",    "chủ",  "chu",  "dân",  "dan",  "khách",
    "khach", "hộ",    "nữ",    "nu",  "nam", "gái",   "gai",  "trai", "bạn",  "ban",  "vợ",
    "vo",    "chồng", "chong", "bố",  "mẹ",  "cha",   "con",  "cháu", "chau", "em",   "anh",
    "chị",   "chi",   "ông",   "ông", "bà",  "học",   "hs",   "sv",   "gv",   "mình", "minh",
    "tôi",   "toi",   "ng",    "ai",  "ad",  "admin", "nông", "công", "thợ",  "tho",  NULL};
static const char *const not_after_name[] = {"kiều", "kieu", NULL};
/* "Tôi, Nguyễn Văn Quang, sinh năm …": a formal letter's writer */
static const char *const formal_self[] = {"tôi", "toi", "Tôi", NULL};
static const char *const family_names[] = {
    "nguyễn", "nguyen", "trần", "tran", "lê",  "le",    "phạm",  "pham", "hoàng", "hoang", "huỳnh",
    "huynh",  "phan",   "vũ",   "vu",   "võ",  "vo",    "đặng",  "dang", "bùi",   "bui",   "đỗ",
    "do",     "hồ",     "ho",   "ngô",  "ngo", "dương", "duong", "lý",   "ly",    "đinh",  "dinh",
    "trương", "truong", "lâm",  "lam",  "mai", "tạ",    "ta",    "cao",  "đào",   "dao",   "kha",
    "mạc",    "mac",    "hà",   "ha",   "lữ",  "lu",    "chu",   NULL};
/* more family names, taken only with a capital: in lower case they are
 * ordinary words ("triệu" million, "lương" salary, "nông dân" farmer) */
static const char *const capital_family_names[] = {
    "triệu",  "trịnh", "lưu",  "lương", "kiều",  "đoàn", "phùng", "quan", "nông", "hứa",
    "tôn",    "thái",  "lò",   "sùng",  "giàng", "thào", "vàng",  "mùa",  "lục",  "khúc",
    "doãn",   "châu",  "tăng", "điểu",  "ksor",  "tô",   "bế",    "lã",   "giáp", "khổng",
    "khương", "thân",  "ninh", "âu",    "đàm",   "la",   "lạc",   "từ",   NULL};
/* words that end a name typed without capitals */
static const char *const stop_words[] = {
    "muốn",  "muon",   "cần",    "can",  "hỏi", "hoi", "làm",   "lam",   "ở",     "o",
    "sinh",  "đăng",   "dang",   "xin",  "thì", "nha", "nhé",   "nhe",   "ạ",     "a",
    "và",    "va",     "cho",    "có",   "co",  "đi",  "di",    "bị",    "bi",    "đang",
    "không", "khong",  "ko",     "k",    "gì",  "gi",  "vậy",   "vay",   "theo",  "trong",
    "của",   "cua",    "con",    "em",   "tôi", "toi", "mình",  "minh",  "sđt",   "sdt",
    "số",    "so",     "nè",     "ne",   "là",  "la",  "ơi",    "oi",    "đệm",   "dem",
    "gọi",   "goi",    "cha",    "mẹ",   "me",  "ghi", "khác",  "khac",  "khai",  "thật",
    "that",  "thường", "thuong", "đầy",  "cũ",  "mới", "moi",   "lót",   "lot",   "riêng",
    "rieng", "viết",   "viet",   "tắt",  "bị",  "sai", "đúng",  "xấu",   "xau",   "đẹp",
    "dep",   "hay",    "dài",    "ngắn", "lạ",  "khó", "kho",   "dễ",    "trùng", "giống",
    "giong", "bố",     "ông",    "bà",   "chị", "vợ",  "chồng", "chong", NULL};

/* Masks the name starting at word j (explicit: "là" or ':' announced it).
 * Returns the index after it. */
static size_t mark_name(const char *s, const struct mc_mask_word *v, size_t n, size_t j,
                        bool explicit, char *mark)
{
    size_t first = j, last = j, max;
    bool capital;

    if (j >= n || v[j].end == v[j].start || mc_mask_has_digit(s, &v[j]))
        return j;
    capital = mc_mask_is_capital(s, &v[j]);
    if (!capital && !explicit && !mc_mask_word_in(s, &v[j], family_names))
        return j;
    if (capital && mc_mask_word_in(s, &v[j], not_name_capitals))
        return j;
    max = capital ? NAME_MAX_WORDS : NAME_MAX_LOWER;
    for (; j < n && j - first < max; j++) {
        if (v[j].end == v[j].start || mc_mask_has_digit(s, &v[j]) ||
            (capital ? !mc_mask_is_capital(s, &v[j]) : mc_mask_word_in(s, &v[j], stop_words)))
            break;
        last = j + 1;
        if (v[j].stop)
            break;
    }
    if (last == first)
        return first;
    mark[v[first].start] = MASK_NAME;
    for (size_t k = v[first].start + 1; k < v[last - 1].end; k++)
        mark[k] = MASK_DROP;
    return last;
}

static bool is_family_name(const char *s, const struct mc_mask_word *w)
{
    return mc_mask_word_in(s, w, family_names) ||
           (mc_mask_is_capital(s, w) && mc_mask_word_in(s, w, capital_family_names));
}

/* Whether a full name in capitals, with no word announcing it, starts at
 * word i: a family name and 2 more capitalised words ("Nguyễn Thị Hoa, sinh
 * 1990", "ông Nguyễn Văn Định (bố tôi)"; after a title 1 more is enough),
 * not the name of a street, school or city ("đường Nguyễn Văn Linh", "Hồ
 * Chí Minh"). */
static bool starts_full_name(const char *s, const struct mc_mask_word *v, size_t n, size_t i)
{
    const struct mc_mask_word *p = i ? &v[i - 1] : NULL;
    static const char *const chi[] = {"chí", "chi", "Chí", "Chi", NULL};
    bool title = p && !p->stop && mc_mask_word_in(s, p, titles);
    size_t c = 0;

    if (!mc_mask_is_capital(s, &v[i]) || !is_family_name(s, &v[i]))
        return false;
    if (p && !p->stop && !title &&
        (mc_mask_is_capital(s, p) || mc_mask_has_digit(s, p) ||
         mc_mask_word_in(s, p, place_before)))
        return false;
    if (i + 1 < n && mc_mask_word_in(s, &v[i + 1], chi)) /* "Hồ Chí Minh": a city */
        return false;
    for (size_t j = i; j < n && mc_mask_is_capital(s, &v[j]) && !mc_mask_has_digit(s, &v[j]); j++) {
        /* "Do Cục …": a family name without diacritics before words with
         * them is a word ("Do" because), not "Đỗ" */
        if (mc_mask_word_in(s, &v[j], not_name_capitals) ||
            (j > i && mc_mask_is_ascii(s, &v[i]) && !mc_mask_is_ascii(s, &v[j])))
            return false;
        c++;
        if (v[j].stop)
            break;
    }
    return c >= (title ? 2u : 3u);
}

/* After "tên" at i: "là" or a word ending in ':' within NAME_GAP_MAX words
 * ("tên đầy đủ là …", "họ tên người yêu cầu: …") says where the name starts.
 * Returns that index (and *explicit) or 0 when there is none. */
static size_t name_after_gap(const char *s, const struct mc_mask_word *v, size_t n, size_t i,
                             bool *explicit)
{
    for (size_t j = i + 1; j < n && j - i <= NAME_GAP_MAX; j++) {
        if (mc_mask_has_digit(s, &v[j]))
            return 0;
        if (mc_mask_word_in(s, &v[j], is_words)) {
            /* "tên con là": one own word, the name announced; longer gaps
             * ("tên trong giấy khai sinh là") need a capital or family name */
            *explicit = j == i + 2 && mc_mask_word_in(s, &v[i + 1], own_words);
            return j + 1;
        }
        if (v[j].colon) {
            *explicit = true;
            return j + 1;
        }
        if (v[j].stop)
            return 0;
    }
    return 0;
}

void mc_mask_mark_names(const char *s, const struct mc_mask_word *v, size_t n, char *mark)
{
    size_t nsign = sizeof sign_pairs / sizeof sign_pairs[0];

    for (size_t i = 0; i < n; i++) {
        size_t j = i + 1, at, end;
        bool explicit = v[i].colon;

        if (mc_mask_word_in(s, &v[i], name_words) && !v[i].stop) {
            if (!explicit && j < n && mc_mask_word_in(s, &v[j], is_words)) {
                explicit = true;
                j++;
            } else if (!explicit && (at = name_after_gap(s, v, n, i, &explicit)) != 0) {
                end = mark_name(s, v, n, at, explicit, mark);
                if (end != at) {
                    i = end - 1;
                    continue;
                }
                explicit = false;
            }
            /* "em tên hoa": a name right after "tên" of someone named */
            explicit =
                explicit || (i > 0 && mc_mask_word_in(s, &v[i - 1], own_words) && !v[i - 1].stop);
            i = mark_name(s, v, n, j, explicit, mark) - 1;
        } else if (i && mc_mask_word_in(s, &v[i], is_words) &&
                   mc_mask_word_in(s, &v[i - 1], self_words) && j < n) {
            bool title = j + 1 < n && mc_mask_word_in(s, &v[j], titles) && !v[j].stop;

            j += title;
            /* "Tôi là Việt kiều …" is not a name */
            if (j + 1 < n && mc_mask_word_in(s, &v[j + 1], not_after_name))
                continue;
            end = mark_name(s, v, n, j, false, mark);
            /* "em là hoa, …": one word alone, typed without a capital (after
             * a title it is kin: "tôi là ông nội") */
            if (end == j && !title && v[j].end > v[j].start && (v[j].stop || j + 1 == n) &&
                !mc_mask_has_digit(s, &v[j]) && !mc_mask_word_in(s, &v[j], stop_words) &&
                !mc_mask_word_in(s, &v[j], not_names)) {
                mark[v[j].start] = MASK_NAME;
                memset(mark + v[j].start + 1, MASK_DROP, v[j].end - v[j].start - 1);
                end = j + 1;
            }
            i = end - 1;
        } else if (i && !v[i - 1].stop &&
                   (mc_mask_pair_in(s, &v[i - 1], &v[i], sign_pairs, nsign) ||
                    (i > 1 && mc_mask_word_in(s, &v[i - 2], person_words) &&
                     mc_mask_pair_in(s, &v[i - 1], &v[i], proposer_pairs, 2))) &&
                   j < n &&
                   (explicit || (mc_mask_is_capital(s, &v[j]) && is_family_name(s, &v[j])))) {
            /* a colon, or a family name: "đề nghị Văn phòng …" is no one */
            i = mark_name(s, v, n, j, explicit, mark) - 1;
        } else if ((v[i].stop || v[i].colon) && mc_mask_word_in(s, &v[i], formal_self) && j < n &&
                   mc_mask_is_capital(s, &v[j]) && is_family_name(s, &v[j])) {
            i = mark_name(s, v, n, j, false, mark) - 1;
        } else if (starts_full_name(s, v, n, i)) {
            i = mark_name(s, v, n, i, false, mark) - 1;
        }
    }
}
