/* common/mc_mask_address.c - house numbers and residential units (see
 * mc_mask.h, mc_mask_words.c):
 * - a house number ("12", "56B", "123/4", "9/1A", "K12/3") is masked after
 *   "ngõ", "ngách", "hẻm", "kiệt", "lô", "số nhà", "sn", "căn hộ", an address
 *   cue ("địa chỉ", "đ/c", "thường trú"); before "ngõ" … "đường", "phố" or a
 *   village word ("số 15 xóm 6"); or before a capitalised word (a street
 *   name) when it follows "số", "nhà", "ở", "tại" or has a slash ("123/4 Lê
 *   Lợi"). Not when it counts something ("hẻm 2 ngày"), numbers a document
 *   ("Mẫu số 02 Phụ lục", "Điều 26 Luật …"), is a date ("trước 30/9") or
 *   belongs to a public body named before it in the clause ("bộ phận một
 *   cửa ở số 1 đường Hùng Vương");
 * - a residential unit below the commune ("tổ 5", "thôn Hạ", "ấp Bình An",
 *   "khu phố 3") is masked when said as where someone lives or in a message
 *   that already gives personal data (see mc_mask_mark_areas); wards and
 *   communes ("phường 3", "xã An Bình") stay.
 * Keywords are listed with and without diacritics, as citizens type both. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "mc_mask_int.h"

#define AREA_MAX_WORDS 3    /* words of a village's name ("Bình An 2") */
#define ADDRESS_CUE_WORDS 4 /* "địa chỉ nhà tôi: 123": words between cue and number */

static const char *const strong_words[] = {"ngõ", "ngo",  "ngách", "ngach", "hẻm",
                                           "hem", "kiệt", "kiet",  NULL};
static const char *const lot_words[] = {"lô", "Lô",
                                        NULL}; /* "lô 15": before only ("2 lô" is a count) */
static const char *const street_words[] = {"đường", "duong", "phố", "pho", "Đường", NULL};
static const char *const number_words[] = {"số", "so", "nhà", "nha", NULL};
/* "đc"/"dc" and "đ/c": địa chỉ; "trú": thường trú, tạm trú */
static const char *const place_words[] = {"ở",  "Ở",  "o",  "tại", "tai", "chỉ", "chi", "về",
                                          "ve", "đc", "dc", "đ/c", "d/c", "trú", "tru", NULL};
/* before a house number with a slash ("dc 34/7 le van sy"); not "về", as
 * "về 12/3" is a date */
static const char *const slash_place_words[] = {"ở",  "Ở",  "o",   "tại", "tai", "chỉ", "chi",
                                                "đc", "dc", "đ/c", "d/c", "trú", "tru", NULL};
static const char *const is_place_words[] = {"là", "la", NULL}; /* "chỗ em ở là 120 …" */
static const char *const flat_words[] = {"hộ", "ho", NULL};     /* "căn hộ 1205" */
static const char *const flat_first[] = {"căn", "can", NULL};
static const char *const sn_words[] = {"sn", "SN", "Sn", NULL}; /* số nhà */
/* "địa chỉ (nhà tôi): 123 …", "thường trú tại 17 …": an address follows */
static const char *const address_pairs[][2] = {
    {"địa", "chỉ"}, {"Địa", "chỉ"}, {"dia", "chi"}, {"thường", "trú"}, {"thuong", "tru"},
    {"tạm", "trú"}, {"tam", "tru"}, {"cư", "trú"},  {"cu", "tru"},
};
static const char *const address_words[] = {"đ/c", "d/c", NULL};
/* before a village: someone lives there ("ở" also in "nhà ở", "quê ở") */
static const char *const residence_words[] = {"ở",   "Ở",   "o",   "tại", "tai", "sống",
                                              "trú", "quê", "que", "đ/c", "d/c", NULL};
static const char *const address_colon_words[] = {"đc", "dc", "nhà", "nha", NULL}; /* "đc: 12" */
/* after a number, words that make it a count, not a house ("địa chỉ 2 nơi") */
static const char *const count_words[] = {
    "ngày", "ngay", "tháng", "thang", "năm",  "nam",  "bản",  "ban",  "người", "nguoi", "lần",
    "lan",  "nơi",  "noi",   "chỗ",   "cho",  "cái",  "tuổi", "tuoi", "giờ",   "gio",   "tuần",
    "tuan", "bộ",   "bo",    "tờ",    "loại", "loai", "cách", "cach", "con",   NULL};
/* a number after these (or after "số" after them) is a document's, not a
 * house's: "Mẫu số 02 Phụ lục", "Điều 26 Luật Cư trú"; also the capitalised
 * word after a number that names a document */
static const char *const doc_words[] = {
    "mẫu",  "mau",  "điều", "Điều", "dieu",   "khoản", "khoan", "điểm", "Điểm", "diem",
    "phụ",  "phu",  "lục",  "luc",  "chương", "mục",   "muc",   "biểu", "bieu", "form",
    "nghị", "nghi", "định", "dinh", "thông",  "tư",    "luật",  "luat", "nđ",   "nd",
    "tt",   "qđ",   "qd",   "văn",  "quyết",  "lệnh",  "lenh",  "công", NULL};

/* a public body before a house number in the same clause: its address is
 * public ("bộ phận một cửa ở số 1 đường Hùng Vương") */
static const char *const public_pairs[][2] = {
    {"một", "cửa"},  {"mot", "cua"},   {"trụ", "sở"},    {"tru", "so"},    {"ủy", "ban"},
    {"uỷ", "ban"},   {"uy", "ban"},    {"công", "an"},   {"cong", "an"},   {"bưu", "điện"},
    {"buu", "dien"}, {"trung", "tâm"}, {"trung", "tam"}, {"văn", "phòng"}, {"van", "phong"},
};
static const char *const public_words[] = {"ubnd", "hđnd", "hdnd", NULL};
/* before a number with a slash that is a date: "trước 30/9", "từ 1/7" */
static const char *const date_words[] = {"ngày", "ngay", "tháng", "thang", "hạn", "trước", "truoc",
                                         "sau",  "từ",   "đến",   "den",   "tới", "lúc",   "hết",
                                         "het",  "đầu",  "cuối",  "cuoi",  NULL};
/* residential units below the commune, masked with what follows them only
 * in a message that already gives personal data (see mark_areas) */
static const char *const area_words[] = {"tổ",   "to",  "thôn", "thon", "ấp",   "ap",   "xóm",
                                         "xom",  "bản", "buôn", "buon", "khóm", "khom", "khu",
                                         "Thôn", "Tổ",  "Ấp",   "Xóm",  NULL};
static const char *const khu_words[] = {"khu", NULL};
/* skipped after an area word: "tổ dân phố 4", "khu phố 3", "khu vực 2" */
static const char *const area_fill[] = {"dân", "dan", "phố", "pho", "vực", "vuc", NULL};

/* Whether a public body is named before word i in its clause. */
static bool after_public_body(const char *s, const struct mc_mask_word *v, size_t i)
{
    size_t npairs = sizeof public_pairs / sizeof public_pairs[0];

    while (i > 0 && !v[i - 1].stop) {
        i--;
        if (mc_mask_word_in(s, &v[i], public_words) ||
            (i > 0 && !v[i - 1].stop && mc_mask_pair_in(s, &v[i - 1], &v[i], public_pairs, npairs)))
            return true;
    }
    return false;
}

/* Whether an address cue ("địa chỉ", "đ/c", "thường trú") is among the
 * ADDRESS_CUE_WORDS words before word i, in its clause. ("đc" only with a
 * colon: without one it is mostly "được".) */
static bool after_address_cue(const char *s, const struct mc_mask_word *v, size_t i)
{
    size_t npairs = sizeof address_pairs / sizeof address_pairs[0];

    for (size_t k = i; k > 0 && i - k < ADDRESS_CUE_WORDS && !v[k - 1].stop; k--) {
        const struct mc_mask_word *w = &v[k - 1];

        if (mc_mask_has_digit(s, w)) /* the first number after the cue is the house */
            return false;
        if (mc_mask_word_in(s, w, address_words) ||
            (w->colon && mc_mask_word_in(s, w, address_colon_words)) ||
            (k > 1 && !v[k - 2].stop && mc_mask_pair_in(s, &v[k - 2], w, address_pairs, npairs)))
            return true;
    }
    return false;
}

/* "K12/3 Lê Duẩn": kiệt written as a letter before the number (Đà Nẵng) */
static bool is_kiet(const char *s, const struct mc_mask_word *w, bool *slash)
{
    struct mc_mask_word rest = *w;

    if (w->end - w->start < 2 || (s[w->start] != 'K' && s[w->start] != 'k'))
        return false;
    rest.start++;
    return mc_mask_is_house(s, &rest, slash);
}

void mc_mask_mark_houses(const char *s, const struct mc_mask_word *v, size_t n, char *mark)
{
    bool slash;

    for (size_t i = 0; i < n; i++) {
        const struct mc_mask_word *p = i ? &v[i - 1] : NULL, *x = i + 1 < n ? &v[i + 1] : NULL;
        const struct mc_mask_word *pp = i > 1 ? &v[i - 2] : NULL;
        bool hit, place, kiet = false;

        if (!mc_mask_is_house(s, &v[i], &slash) && !(kiet = is_kiet(s, &v[i], &slash)))
            continue;
        if (after_public_body(s, v, i) ||
            (x && !mc_mask_is_capital(s, x) && mc_mask_word_in(s, x, count_words)) ||
            (p && mc_mask_word_in(s, p, doc_words)) ||
            (pp && !pp->stop && mc_mask_word_in(s, pp, doc_words)))
            continue;
        if (kiet) {
            hit = slash || (x && (mc_mask_is_capital(s, x) || mc_mask_word_in(s, x, street_words)));
            for (size_t k = v[i].start + 1; hit && k < v[i].end; k++)
                if (s[k] != '/')
                    mark[k] = MASK_STAR;
            continue;
        }
        /* "số nhà 12", "nhà số 12", "sn 12", "căn hộ 1205": a dwelling said */
        hit = p && pp && !pp->stop && mc_mask_word_in(s, p, number_words) &&
              mc_mask_word_in(s, pp, number_words);
        hit = hit || (p && mc_mask_word_in(s, p, sn_words));
        hit = hit || (p && pp && !pp->stop && mc_mask_word_in(s, p, flat_words) &&
                      mc_mask_word_in(s, pp, flat_first));
        hit = hit || (slash && p && mc_mask_word_in(s, p, slash_place_words));
        /* "số 15 xóm 6": a number said to be one, before a village */
        hit = hit || (p && x && !v[i].stop && mc_mask_word_in(s, p, number_words) &&
                      mc_mask_word_in(s, x, area_words));
        place = p && (mc_mask_word_in(s, p, place_words) ||
                      (pp && !pp->stop && mc_mask_word_in(s, p, is_place_words) &&
                       mc_mask_word_in(s, pp, place_words)));
        hit =
            hit || (p && (mc_mask_word_in(s, p, strong_words) || mc_mask_word_in(s, p, lot_words)));
        hit = hit || (after_address_cue(s, v, i) && !mc_mask_is_year(s, &v[i]));
        hit = hit ||
              (x && (mc_mask_word_in(s, x, strong_words) || mc_mask_word_in(s, x, street_words)));
        hit = hit ||
              (x && !v[i].stop && mc_mask_is_capital(s, x) && !mc_mask_word_in(s, x, doc_words) &&
               !(p && mc_mask_word_in(s, p, date_words)) &&
               (slash || (p && (mc_mask_word_in(s, p, number_words) || place))));
        for (size_t k = v[i].start; hit && k < v[i].end; k++)
            if (s[k] != '/')
                mark[k] = MASK_STAR;
    }
}

static bool any_marked(const char *mark, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if (mark[k] != MASK_KEEP)
            return true;
    return false;
}

/* Whether the clause before word i says someone lives there ("em ở thôn 2",
 * "tôi sống ở ấp …", "quê em ở xóm 4 thôn …"). */
static bool after_residence(const char *s, const struct mc_mask_word *v, size_t i)
{
    size_t npairs = sizeof address_pairs / sizeof address_pairs[0];

    for (; i > 0 && !v[i - 1].stop; i--)
        if (mc_mask_word_in(s, &v[i - 1], residence_words) ||
            (i > 1 && mc_mask_pair_in(s, &v[i - 2], &v[i - 1], address_pairs, npairs)))
            return true;
    return false;
}

/* After an area word ("tổ 5", "thôn Hạ", "ấp Bình An 2", "tổ dân phố 4"):
 * a number and up to AREA_MAX_WORDS capitalised words. A village named in a
 * question ("ấp 3 xã Tân Phú thuộc huyện nào") is a place and stays; said as
 * where someone lives, or beside a name, a phone or a house number, it is
 * part of that person's address (in a village of a few hundred people it
 * nearly names them) and is masked. */
void mc_mask_mark_areas(const char *s, const struct mc_mask_word *v, size_t n, size_t len,
                        char *mark)
{
    bool slash, personal = any_marked(mark, len);

    for (size_t i = 0; i + 1 < n; i++) {
        size_t j = i + 1, words = 0;

        if (!mc_mask_word_in(s, &v[i], area_words) || v[i].stop ||
            !(personal || after_residence(s, v, i)))
            continue;
        while (j < n && j - i <= 2 && mc_mask_word_in(s, &v[j], area_fill) && !v[j - 1].stop)
            j++;
        /* "Khu Quản lý đường bộ" is a body: "khu" alone takes a number only */
        if (j == i + 1 && mc_mask_word_in(s, &v[i], khu_words) &&
            !mc_mask_is_house(s, &v[j], &slash))
            continue;
        for (; j < n && !v[j - 1].stop && words < AREA_MAX_WORDS; j++, words++) {
            if (mc_mask_is_house(s, &v[j], &slash)) {
                for (size_t k = v[j].start; k < v[j].end; k++)
                    if (s[k] != '/')
                        mark[k] = MASK_STAR;
                j++;
                break;
            }
            if (!mc_mask_is_capital(s, &v[j]))
                break;
            mark[v[j].start] = MASK_NAME;
            memset(mark + v[j].start + 1, MASK_DROP, v[j].end - v[j].start - 1);
        }
        i = j - 1;
    }
}
