/* gateway/conv/conv_place.h - where the citizen lives and what we know of its
 * office: finding a commune/ward named in a message (current or pre-2025
 * name, through the kb's places index), and the office facts put into answers,
 * each one said honestly (a field an official has not confirmed is marked,
 * a missing phone sends the citizen to the hotline; never another unit's
 * office). Reads only the kb's immutable snapshot: safe from any thread. */
#ifndef MOTCUA_GATEWAY_CONV_PLACE_H
#define MOTCUA_GATEWAY_CONV_PLACE_H

#include <stdbool.h>
#include <stddef.h>

#include "conv_text.h"
#include "mc_buf.h"
#include "mc_err.h"

#define CONV_PLACE_HOTLINE "1800 1096" /* Cổng Dịch vụ công quốc gia, free of charge */
#define CONV_PLACE_PORTAL "https://dichvucong.gov.vn"
#define CONV_PLACE_FACT_MAX 2048 /* bytes of one annotated office fact */
#define CONV_PLACE_VARS 9        /* placeholders of the meta answers */
#define CONV_PLACE_HOLIDAYS 5    /* coming holidays said with the hours */

struct kb;
struct json_t;
struct places_result;

/* Reads the place named anywhere in the raw message text[0..len) with the
 * in-memory index of kb (gateway/kb/places.h: every hint the citizen gave,
 * unit, former district, province, "cũ", in any order), fills *r and sets
 * *units to a new array of the candidates in the shape kb_units_search()
 * writes ({"code","name","province","province_code","match","former":[{code,
 * name,district,province,whole}],"whole"}; json_decref()). flags as
 * places_find_opt(). Returns 0, -E2BIG, -EINVAL (bad UTF-8) or -ENOMEM. */
MC_MUST_CHECK int conv_place_find(const struct kb *kb, const char *text, size_t len, unsigned flags,
                                  struct places_result *r, struct json_t **units);

/* The facts of a place as they are said to a citizen. */
struct conv_place_facts {
    const char *office_name; /* borrowed from the office JSON, or NULL without office data */
    const char *commune;     /* unit name, or "xã/phường nơi bạn ở" */
    const char *province;    /* unit province, or "tỉnh/thành phố" */
    const char *hotline;     /* the office's hotline, or CONV_PLACE_HOTLINE */
    const char *portal_url;  /* the office's portal, or CONV_PLACE_PORTAL */
    const char *map_url;     /* the office's map link (office.map_url), or NULL */
    struct mc_buf address; /* "126 Hàng Trống… (địa chỉ đang chờ xác minh, nên gọi trước)" */
    struct mc_buf hours; /* with "(giờ làm việc đang chờ xác minh)" when unconfirmed, and
                            the coming holidays (hours.holidays) */
    struct mc_buf phone; /* the number, or the hotline and why */
    struct mc_buf counters; /* ": quầy số 1 — Hộ tịch; quầy số 2 — Đất đai" (office.counters),
                               or "" */
};

/* Fills f from office (kb_office(), may be NULL) and unit
 * ({name, province}, may be NULL); f borrows from both, which must outlive
 * it. Returns 0 or -ENOMEM; call conv_place_facts_fini() either way. */
MC_MUST_CHECK int conv_place_facts_init(struct conv_place_facts *f, const struct json_t *office,
                                        const struct json_t *unit);

void conv_place_facts_fini(struct conv_place_facts *f);

/* The placeholders of data/meta answers ({office_name} {address} {hours}
 * {phone} {hotline} {portal_url} {commune} {province} {counters}) bound to f, for
 * conv_text_fill(). Returns how many were written (CONV_PLACE_VARS). */
size_t conv_place_vars(const struct conv_place_facts *f,
                       struct conv_text_var vars[CONV_PLACE_VARS]);

/* "Ở <commune>, bạn đến <office>:\n• Địa chỉ: …\n• Giờ làm việc: …\n•
 * Điện thoại: …[\n• Bản đồ: …]" (requires office data). */
MC_MUST_CHECK int conv_place_office_text(const struct conv_place_facts *f, struct mc_buf *b);

/* The same for a citizen standing in that office (conv_ctx.on_site): "Bạn
 * đang ở <office>: bạn nộp hồ sơ ngay tại đây, <counter>.\n• Giờ làm
 * việc: …\n• Điện thoại: …". counter is "quầy số 2 (Đất đai)" from
 * conv_place_counter(), or NULL: "ở quầy tiếp nhận". */
MC_MUST_CHECK int conv_place_here_text(const struct conv_place_facts *f, const char *counter,
                                       struct mc_buf *b);

/* "quầy số 2 (Đất đai, xây dựng)": the office's counter that takes domain
 * (office.counters[].domains), written to out (cap bytes). Returns out, or
 * NULL when no counter names the domain. */
const char *conv_place_counter(const struct json_t *office, const char *domain, char *out,
                               size_t cap);

#endif
