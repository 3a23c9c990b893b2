/* gateway/kb/places_int.h - what the parts of the locality finder share;
 * places.h is its interface. places.c: the words it reads besides names, the
 * message's tokens and the index's upkeep; places_build.c: the index from
 * the units database; places_scan.c: reading the parts of an address in a
 * message; places_find.c: choosing the unit they name. */
#ifndef MOTCUA_GATEWAY_KB_PLACES_INT_H
#define MOTCUA_GATEWAY_KB_PLACES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "places.h"

struct hmap_str;

#define PLACES_KEY_WORDS_MAX 8             /* words of the longest key (names have <= 6) */
#define PLACES_TOKENS_MAX PLACES_INPUT_MAX /* a token is at least one byte */
#define PLACES_COMPS_MAX 32                /* place parts considered in one message */
#define PLACES_ROLES 3                     /* commune, district, province: one part each */
#define PLACES_DIST_HINT_MAX 64 /* districts one district name can mean ("Châu Thành": 10) */
#define PLACES_PROV_MAX 64      /* current and former provinces each fit a 64-bit mask */
#define PLACES_CODE_MAX 8       /* bytes of a ward/province code, NUL included */
#define PLACES_NAME_MAX 256     /* bytes of a name from the database */
#define PLACES_SIG_END 0xFFFEu  /* ends the marks of one name in sigs[] */
#define PLACES_SIG_ANY 0xFFFFu  /* a word's marks are unknown: matches any */

/* posting = kind << 28 | index */
#define POST_KIND(p) ((p) >> 28)
#define POST_INDEX(p) ((p)&0x07FFFFFFu)
#define POST_ALIAS (1u << 27) /* a short name: its words are not the province's */
enum post_kind {
    POST_UNIT = 1, /* current unit */
    POST_FORMER,   /* former_unit row */
    POST_DISTRICT, /* former district */
    POST_PROV_CUR, /* current province */
    POST_PROV_OLD, /* pre-2025 province */
    POST_WORD,     /* an entry of places_words[] */
};

enum role { ROLE_COMMUNE = 1, ROLE_DISTRICT = 2, ROLE_PROVINCE = 4 };

enum word_kind {
    WK_TYPE,      /* unit word; type says which */
    WK_CUE,       /* residence statement: a bare name may follow */
    WK_CUE_WEAK,  /* "ở", "tại": a place or anything else may follow */
    WK_FORMER,    /* "cũ": the name is a former one */
    WK_CONNECTOR, /* may sit between the parts of one address */
};

struct word {
    const char *key; /* folded */
    unsigned char kind;
    unsigned char type; /* enum places_type, for WK_TYPE */
    bool abbr;          /* a short form ("p", "q", "tp"): never alone before a one-word name */
};

/* The words the finder reads besides names (places.c), places_nwords of them;
 * a POST_WORD posting is an index into it. */
extern const struct word places_words[];
extern const size_t places_nwords;

struct unit {
    char code[PLACES_CODE_MAX];
    uint32_t name;       /* arena offset */
    uint32_t sig;        /* marks of its key's words: sigs[sig ..] */
    uint32_t dist_first; /* former districts it covers: dist_of[dist_first ..] */
    uint16_t dist_n;
    uint8_t prov;       /* current province index */
    uint8_t type;       /* enum places_type */
    uint64_t old_provs; /* pre-2025 provinces it covers */
};

struct former {
    char code[PLACES_CODE_MAX];
    uint32_t name; /* arena offset */
    uint32_t sig;
    uint32_t unit;     /* index of the current unit */
    uint16_t district; /* index */
    uint8_t old_prov;  /* index */
    uint8_t type;
    bool whole;
};

struct district {
    uint32_t name; /* arena offset */
    uint32_t sig;
    uint8_t old_prov;
    uint8_t type;
    uint64_t cur_provs; /* current provinces its communes went to */
};

struct province {
    char code[PLACES_CODE_MAX]; /* "" for a pre-2025 province */
    uint32_t name;
    uint32_t sig;
    uint64_t cur_provs; /* pre-2025: the current provinces it went to */
};

struct places_index {
    struct hmap_str *keys; /* folded word sequence (and every prefix of one) -> key id */
    uint32_t *post_first;  /* key id -> postings[post_first[id] .. post_first[id + 1]) */
    uint32_t *postings;
    size_t nkeys, npostings;
    struct unit *units;
    struct former *formers;
    struct district *districts;
    struct province cur[PLACES_PROV_MAX], old[PLACES_PROV_MAX];
    size_t nunits, nformers, ndistricts, ncur, nold;
    uint16_t *dist_of; /* districts of each unit (see struct unit) */
    char *arena;       /* display names, NUL-terminated */
    uint16_t *sigs;    /* marks of each word of each name (tok.sig) */
    size_t nsigs, sigs_cap;
    size_t arena_len, arena_cap;
    size_t max_words; /* words of the longest key */
};

/* ---- a message's tokens (places.c) ---- */

struct tok {
    uint16_t start, end; /* bytes of the message */
    uint16_t f, flen;    /* folded text: fb[f .. f + flen) */
    bool plain;          /* written without any diacritic */
    bool upper;          /* first letter upper case */
    bool digit;
    bool dot_after;  /* "p." "tp.": an abbreviation marked as one */
    bool sep_before; /* , ; . ( ) ? ! between it and the word before */
    uint16_t sig;    /* its marks: tone | shaped letters << 3 (0 when plain) */
};

struct toks {
    struct tok t[PLACES_TOKENS_MAX];
    size_t n;
    char fb[2 * PLACES_INPUT_MAX + 2]; /* tokens folded, one space between */
    size_t fl;
    bool marked; /* the message uses diacritics somewhere */
};

/* Splits s (len bytes) into tk's tokens: words of ASCII letters or of digits
 * ("p12" is two words), folded, with their marks. Returns 0, or -E2BIG when
 * s has more than PLACES_TOKENS_MAX tokens. */
int places_tokenize(const char *s, size_t len, struct toks *tk);

/* ---- reading the parts of an address (places_scan.c) ---- */

/* One part of an address read in the message: a name, with the unit word
 * before it if any. */
struct comp {
    uint16_t w0, t0, t1; /* tokens: unit word from w0, name [t0, t1) */
    uint32_t key;        /* key id of the name */
    unsigned char roles; /* enum role the name can play */
    unsigned char type;  /* enum places_type of the unit word */
    bool typed;          /* a unit word precedes the name */
    bool cue;            /* a residence statement precedes it */
    bool cue_weak;       /* "ở" / "tại" precedes it */
    uint16_t cue0;       /* with cue or cue_weak: the token where the statement starts */
    bool former;         /* "cũ" before or after it */
    bool joined;         /* only connectors and markers since the previous part */
    bool unresolved;     /* a unit word followed by no known name */
    bool weak;           /* a one-word name not written as one ("tp vinh", "tp Vinh"): read
                            only as a further part of an address the other parts confirm */
};

struct hint {
    uint16_t dist[PLACES_DIST_HINT_MAX];
    size_t nd;
    bool has_d, has_p;
    uint64_t pcur, pold; /* provinces named (current, pre-2025) */
};

struct finder {
    const struct places_index *idx;
    struct toks tk;
    struct comp comps[PLACES_COMPS_MAX];
    size_t ncomps;
    bool former_any; /* "trước đây", "trước sáp nhập" somewhere in the message */
    unsigned flags;
};

/* Reads f->tk's parts of an address into f->comps. */
void places_scan(struct finder *f);

/* True when posting post may be read at token t0 of f's message (its
 * marks fit the words as written). */
bool places_post_ok(const struct finder *f, size_t t0, uint32_t post);

#endif
