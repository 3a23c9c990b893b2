/* intents/hmap.c - see hmap.h. */
#include "hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HMAP_MIN_CAP 64 /* slots */

struct str_slot {
    uint32_t hash; /* low 32 bits of the hash, to skip most memcmp */
    uint32_t id1;  /* id + 1; 0 = empty */
};

struct hmap_str {
    struct str_slot *slots;
    size_t cap;     /* slots, a power of two */
    uint32_t *off;  /* [id] offset of the string in arena */
    uint32_t *len;  /* [id] its length */
    size_t n, ncap; /* ids used / allocated */
    char *arena;    /* strings, each NUL-terminated */
    size_t alen, acap;
};

uint64_t hmap_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

struct hmap_str *hmap_str_new(void)
{
    struct hmap_str *m = calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    m->slots = calloc(HMAP_MIN_CAP, sizeof(*m->slots));
    if (!m->slots) {
        free(m);
        return NULL;
    }
    m->cap = HMAP_MIN_CAP;
    return m;
}

void hmap_str_free(struct hmap_str *m)
{
    if (!m)
        return;
    free(m->slots);
    free(m->off);
    free(m->len);
    free(m->arena);
    free(m);
}

static bool str_lookup(const struct hmap_str *m, const char *s, size_t len, uint64_t h,
                       size_t *slot)
{
    size_t mask = m->cap - 1, i = (size_t)h & mask;
    uint32_t h32 = (uint32_t)h;

    for (;;) {
        const struct str_slot *sl = &m->slots[i];
        if (sl->id1 == 0) {
            *slot = i;
            return false;
        }
        if (sl->hash == h32) {
            uint32_t id = sl->id1 - 1;
            if (m->len[id] == len && memcmp(m->arena + m->off[id], s, len) == 0) {
                *slot = i;
                return true;
            }
        }
        i = (i + 1) & mask;
    }
}

static int str_grow(struct hmap_str *m)
{
    struct str_slot *ns;
    size_t ncap = m->cap * 2, i, j, mask = ncap - 1;

    ns = calloc(ncap, sizeof(*ns));
    if (!ns)
        return -ENOMEM;
    for (i = 0; i < m->cap; i++) {
        if (!m->slots[i].id1)
            continue;
        uint32_t id = m->slots[i].id1 - 1;
        j = (size_t)hmap_hash(m->arena + m->off[id], m->len[id]) & mask;
        while (ns[j].id1)
            j = (j + 1) & mask;
        ns[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

int hmap_str_intern(struct hmap_str *m, const char *s, size_t len, uint32_t *id)
{
    uint64_t h;
    size_t slot;
    int rc;

    if (len > HMAP_STR_MAX)
        return -E2BIG;
    h = hmap_hash(s, len);
    if (str_lookup(m, s, len, h, &slot)) {
        *id = m->slots[slot].id1 - 1;
        return 0;
    }
    if (m->n >= HMAP_MAX_ENTRIES)
        return -E2BIG;
    if (m->n == m->ncap) {
        size_t nc = m->ncap ? m->ncap * 2 : 64;
        uint32_t *o = realloc(m->off, nc * sizeof(*o));
        if (!o)
            return -ENOMEM;
        m->off = o;
        o = realloc(m->len, nc * sizeof(*o));
        if (!o)
            return -ENOMEM;
        m->len = o;
        m->ncap = nc;
    }
    if (len + 1 > m->acap - m->alen) {
        size_t nc = m->acap ? m->acap : 4096;
        char *a;
        while (len + 1 > nc - m->alen)
            nc *= 2;
        if (nc > UINT32_MAX)
            return -E2BIG;
        a = realloc(m->arena, nc);
        if (!a)
            return -ENOMEM;
        m->arena = a;
        m->acap = nc;
    }
    memcpy(m->arena + m->alen, s, len);
    m->arena[m->alen + len] = '\0';
    m->off[m->n] = (uint32_t)m->alen;
    m->len[m->n] = (uint32_t)len;
    m->alen += len + 1;
    m->slots[slot].hash = (uint32_t)h;
    m->slots[slot].id1 = (uint32_t)m->n + 1;
    *id = (uint32_t)m->n;
    m->n++;
    if (m->n * 2 > m->cap) {
        rc = str_grow(m);
        if (rc)
            return rc; /* the string is in; the table is merely fuller */
    }
    return 0;
}

bool hmap_str_find(const struct hmap_str *m, const char *s, size_t len, uint32_t *id)
{
    size_t slot;

    if (len > HMAP_STR_MAX || !str_lookup(m, s, len, hmap_hash(s, len), &slot))
        return false;
    *id = m->slots[slot].id1 - 1;
    return true;
}

const char *hmap_str_get(const struct hmap_str *m, uint32_t id, size_t *len)
{
    if (len)
        *len = m->len[id];
    return m->arena + m->off[id];
}

size_t hmap_str_count(const struct hmap_str *m)
{
    return m->n;
}

size_t hmap_str_memory(const struct hmap_str *m)
{
    return m ? sizeof(*m) + m->cap * sizeof(*m->slots) + m->ncap * 2 * sizeof(uint32_t) + m->acap
             : 0;
}

struct u64_slot {
    uint64_t key1; /* key + 1; 0 = empty (the key UINT64_MAX is never used) */
    uint32_t val;
};

struct hmap_u64 {
    struct u64_slot *slots;
    size_t cap, n;
};

struct hmap_u64 *hmap_u64_new(void)
{
    struct hmap_u64 *m = calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    m->slots = calloc(HMAP_MIN_CAP, sizeof(*m->slots));
    if (!m->slots) {
        free(m);
        return NULL;
    }
    m->cap = HMAP_MIN_CAP;
    return m;
}

void hmap_u64_free(struct hmap_u64 *m)
{
    if (!m)
        return;
    free(m->slots);
    free(m);
}

static size_t u64_index(uint64_t k, size_t mask)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k & mask;
}

int hmap_u64_add(struct hmap_u64 *m, uint64_t key, uint32_t delta)
{
    size_t mask = m->cap - 1, i = u64_index(key, mask), j;

    if (key == UINT64_MAX)
        return -EINVAL;
    while (m->slots[i].key1 && m->slots[i].key1 != key + 1)
        i = (i + 1) & mask;
    if (m->slots[i].key1) {
        m->slots[i].val += delta;
        return 0;
    }
    if (m->n >= HMAP_MAX_ENTRIES)
        return -E2BIG;
    m->slots[i].key1 = key + 1;
    m->slots[i].val = delta;
    m->n++;
    if (m->n * 2 > m->cap) {
        size_t ncap = m->cap * 2;
        struct u64_slot *ns = calloc(ncap, sizeof(*ns));
        if (!ns)
            return -ENOMEM;
        mask = ncap - 1;
        for (i = 0; i < m->cap; i++) {
            if (!m->slots[i].key1)
                continue;
            j = u64_index(m->slots[i].key1 - 1, mask);
            while (ns[j].key1)
                j = (j + 1) & mask;
            ns[j] = m->slots[i];
        }
        free(m->slots);
        m->slots = ns;
        m->cap = ncap;
    }
    return 0;
}

uint32_t hmap_u64_get(const struct hmap_u64 *m, uint64_t key)
{
    size_t mask = m->cap - 1, i = u64_index(key, mask);

    while (m->slots[i].key1) {
        if (m->slots[i].key1 == key + 1)
            return m->slots[i].val;
        i = (i + 1) & mask;
    }
    return 0;
}

size_t hmap_u64_memory(const struct hmap_u64 *m)
{
    return m ? sizeof(*m) + m->cap * sizeof(*m->slots) : 0;
}
