/* intents/hmap.h - the two hash tables the index is made of: interned byte
 * strings (string -> dense id 0..n-1, and back) and 64-bit key -> 32-bit
 * value. Open addressing, power-of-two capacity, load <= 1/2. A table is
 * filled while the index is built and only read afterwards, which any number
 * of threads may do at once. Ids are stable; strings live in one arena. */
#ifndef MOTCUA_INTENTS_HMAP_H
#define MOTCUA_INTENTS_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"

#define HMAP_MAX_ENTRIES (1u << 24) /* entries per table; the index needs ~10^5 */
#define HMAP_STR_MAX 1024           /* bytes of one interned string */

struct hmap_str;
struct hmap_u64;

/* A new empty string table, or NULL (out of memory). Free with hmap_str_free(). */
struct hmap_str *hmap_str_new(void);
/* Frees m; NULL is a no-op. */
void hmap_str_free(struct hmap_str *m);
/* Finds or adds s[0..len) and writes its id. Returns 0, -E2BIG (len >
 * HMAP_STR_MAX or table full) or -ENOMEM. */
MC_MUST_CHECK int hmap_str_intern(struct hmap_str *m, const char *s, size_t len, uint32_t *id);
/* Writes the id of s[0..len) and returns true, or returns false if absent. */
bool hmap_str_find(const struct hmap_str *m, const char *s, size_t len, uint32_t *id);
/* The string of id (borrowed: valid while m lives, NUL-terminated); its
 * length in *len when len is not NULL. id must be < hmap_str_count(m). */
const char *hmap_str_get(const struct hmap_str *m, uint32_t id, size_t *len);
size_t hmap_str_count(const struct hmap_str *m);
/* Heap bytes held. */
size_t hmap_str_memory(const struct hmap_str *m);

/* A new empty u64 table, or NULL. Free with hmap_u64_free(). */
struct hmap_u64 *hmap_u64_new(void);
void hmap_u64_free(struct hmap_u64 *m);
/* Adds delta to the value of key (0 if absent). Returns 0, -E2BIG or -ENOMEM. */
MC_MUST_CHECK int hmap_u64_add(struct hmap_u64 *m, uint64_t key, uint32_t delta);
/* The value of key, 0 if absent. */
uint32_t hmap_u64_get(const struct hmap_u64 *m, uint64_t key);
size_t hmap_u64_memory(const struct hmap_u64 *m);

/* The hash used for strings (64-bit FNV-1a), for callers that pre-hash. */
uint64_t hmap_hash(const char *s, size_t len);

#endif
