/* gateway/kb/places.h - the administrative units in memory, and a finder that
 * reads one place out of a whole citizen message.
 *
 * A places_index is built once from the knowledge database (tables province,
 * unit, former_unit written by `motcua import`) and is immutable afterwards:
 * places_find() does no I/O (one scratch allocation of ~40 KB), and any
 * number of threads may call it at once. Every name (current communes/wards, pre-2025 communes,
 * pre-2025 districts, current and pre-2025 provinces, a few well-known short
 * names) is folded once with fold.h (ASCII, đ -> d, lower case, letters and
 * digits only) and kept in one hash table keyed by its word sequence, so a
 * message costs about one probe per word, whatever the size of the tables.
 *
 * What the finder reads (docs in places.c, next to the word lists):
 *  - unit words, full or short: xã/x., phường/p./p12, thị trấn/tt, đặc khu;
 *    quận/q./q1, huyện/h., thị xã/tx, thành phố/tp; tỉnh;
 *  - the parts of an address in any order, joined by commas or nothing
 *    ("quận Bình Tân phường An Lạc cũ", "An Lạc, Bình Tân, HCM");
 *  - "cũ", "trước đây", "trước sáp nhập": the citizen gave a former name;
 *  - residence statements ("tôi ở", "ở trọ tại", "tạm trú ở", "quê", ...)
 *    as a cue that a bare name follows.
 * A bare name (no unit word, no cue, not part of a longer address) counts
 * only when it is at least PLACES_BARE_WORDS_MIN words and names one unit,
 * so everyday words are not read as places. A one-word name after a unit word
 * that is not written as a name ("tp vinh" in lower-case text, "tp Vinh"
 * without the dot) counts only as a further part that the other parts of the
 * address confirm, or after a residence statement. */
#ifndef MOTCUA_GATEWAY_PLACES_H
#define MOTCUA_GATEWAY_PLACES_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"

#define PLACES_INPUT_MAX 2048    /* bytes of one message; longer is -E2BIG */
#define PLACES_CANDIDATES_MAX 20 /* units returned for one mention */
#define PLACES_BARE_WORDS_MIN 3  /* words of a name read without unit word or cue */
#define PLACES_FIND_EXPECT 1u    /* flag: the citizen was just asked for a place */

struct sqlite3;
struct places_index; /* opaque, immutable */

enum places_type {
    PLACES_TYPE_NONE = 0,
    PLACES_TYPE_XA,        /* xã */
    PLACES_TYPE_PHUONG,    /* phường */
    PLACES_TYPE_THI_TRAN,  /* thị trấn (only former units) */
    PLACES_TYPE_DAC_KHU,   /* đặc khu */
    PLACES_TYPE_QUAN,      /* quận (former district) */
    PLACES_TYPE_HUYEN,     /* huyện (former district) */
    PLACES_TYPE_THI_XA,    /* thị xã (former district) */
    PLACES_TYPE_THANH_PHO, /* thành phố: a former district-level city or a province */
    PLACES_TYPE_TINH,      /* tỉnh */
};

struct places_span {
    size_t start; /* byte offset in the message */
    size_t len;   /* bytes; 0 when absent */
};

/* One current unit. Every string is borrowed from the index (valid while it
 * lives) and NUL-terminated. */
struct places_candidate {
    const char *code;            /* current ward code, "27460" */
    const char *name;            /* "Phường An Lạc" */
    const char *province;        /* "Thành phố Hồ Chí Minh" */
    const char *province_code;   /* "79" */
    const char *former_code;     /* the former commune matched, or NULL (current name) */
    const char *former_name;     /* "Phường An Lạc A", or NULL */
    const char *former_district; /* "Quận Bình Tân", or NULL */
    const char *former_province; /* "Thành phố Hồ Chí Minh", or NULL */
    bool whole;                  /* false: only part of the former commune went into this unit */
};

/* The hints the citizen gave, as found in the message. */
struct places_hints {
    enum places_type unit_type;     /* the unit word before the commune name, or NONE */
    struct places_span unit;        /* the commune name (without unit word) */
    enum places_type district_type; /* the unit word before the district, or NONE */
    struct places_span district;    /* the former district name */
    const char *district_name;      /* "Quận Bình Tân" when the hints leave one, else NULL */
    struct places_span province;    /* the province name or short name */
    const char *province_name;      /* current province when the hints leave one, else NULL */
    bool former;                    /* "cũ", "trước đây", "trước sáp nhập" */
    bool cue;                       /* a residence statement ("tôi ở", "tạm trú tại" ...) */
};

struct places_result {
    size_t n;       /* candidates written, best first; 0 = none */
    bool truncated; /* more than PLACES_CANDIDATES_MAX units matched */
    bool found;     /* a place mention was read (n may still be 0: not in the index) */
    bool explicit;  /* the mention had a unit word or a residence cue, not a bare name */
    bool by_former; /* the candidates come from a former commune's name */
    struct places_span mention;   /* the whole mention: unit word to last part */
    struct places_span statement; /* the mention with the residence statement before it
                                     ("tôi đang tạm trú ở phường X"): what says where one lives */
    struct places_hints hints;
    struct places_candidate cand[PLACES_CANDIDATES_MAX];
};

/* Loads every province, unit and former unit from db (read only; the caller
 * keeps db, which may be closed afterwards). Returns a new index (free with
 * places_index_free()) or NULL with err set (database error, out of memory,
 * empty tables). */
struct places_index *places_index_new(struct sqlite3 *db, struct mc_err *err);

/* Frees idx and all it owns. NULL is a no-op. */
void places_index_free(struct places_index *idx);

/* Heap bytes idx holds. */
size_t places_index_memory(const struct places_index *idx);

/* Counts of what idx holds (any pointer may be NULL). */
void places_index_counts(const struct places_index *idx, size_t *units, size_t *former,
                         size_t *districts, size_t *names);

/* Reads the place named in text[0..len) (raw UTF-8, any case, with or
 * without diacritics) into *out, which borrows from idx and keeps no
 * pointer to text. With no place mention, out->found is false and n is 0; a
 * mention the index cannot resolve (a commune word followed by an unknown
 * name, or a unit not in the named province) gives found and explicit true,
 * n 0; hints.unit.len > 0 then tells "commune not found" from a mention of a
 * district or province only (hints.unit.len == 0: ask which commune). Never returns a unit outside
 * a province or district the same mention named. flags: 0 or PLACES_FIND_EXPECT (a bare name is
 * then read as if a residence cue preceded it). Returns 0, -E2BIG if len > PLACES_INPUT_MAX,
 * -EINVAL for invalid UTF-8 or a NUL byte, or -ENOMEM. */
MC_MUST_CHECK int places_find_opt(const struct places_index *idx, const char *text, size_t len,
                                  unsigned flags, struct places_result *out);

/* places_find_opt() with flags 0. */
MC_MUST_CHECK int places_find(const struct places_index *idx, const char *text, size_t len,
                              struct places_result *out);

#endif
