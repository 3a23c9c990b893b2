/* gateway/admin/popular.c - see popular.h. */
#include "popular.h"

#include <jansson.h>
#include <string.h>
#include <time.h>

#include "conv.h"
#include "gw.h"
#include "kb.h"
#include "mc_log.h"
#include "store.h"

static int add_id(struct popular *p, const char *id, unsigned asked)
{
    unsigned i;

    for (i = 0; i < p->n; i++)
        if (strcmp(p->ids[i], id) == 0)
            return 0;
    if (p->n >= POPULAR_MAX || strlen(id) >= POPULAR_ID_MAX)
        return 0;
    memcpy(p->ids[p->n], id, strlen(id) + 1);
    p->asked[p->n++] = asked;
    return 0;
}

struct fill {
    struct popular *p;
    const struct kb *kb;
};

static int one(void *ctx, const char *key, uint64_t conversations, uint64_t messages)
{
    struct fill *f = ctx;

    (void)messages;
    if (key[0] && kb_is_procedure(f->kb, key)) /* a guide removed since is not offered */
        add_id(f->p, key, conversations > 1000000 ? 1000000u : (unsigned)conversations);
    return 0;
}

static void compute(struct gw *gw, struct popular *p, int64_t now)
{
    struct store_report_span sp = {now - (int64_t)POPULAR_DAYS * 86400, now + 1, 0};
    struct fill f = {p, gw->kb};
    const json_t *list = kb_procedures(gw->kb), *x;
    const char *ids[POPULAR_MAX];
    size_t i, n;

    p->n = 0;
    /* more than shown: some keys may be procedures no longer in the kb */
    if (store_report_messages(gw->store, &sp, STORE_REPORT_PROCEDURE, POPULAR_MAX * 2, one, &f))
        mc_log(MC_LOG_WARN, "popular.query", "result=failed fallback=guides");
    /* too few figures yet: the conversation's own most-asked, then the guides' order */
    n = conv_popular_ids(ids, POPULAR_MAX);
    for (i = 0; i < n; i++)
        if (kb_is_procedure(gw->kb, ids[i]))
            add_id(p, ids[i], 0);
    json_array_foreach(list, i, x)
    {
        const char *id = json_string_value(json_object_get(x, "id"));

        if (p->n >= POPULAR_MIN) /* the guides' order is no figure: only to have a few */
            break;
        if (id)
            add_id(p, id, 0);
    }
    p->computed_s = now;
}

/* The entry of id in the procedures' list ({"id","name","short_name","domain"}), or NULL. */
static const json_t *listed(const json_t *list, const char *id)
{
    const json_t *x;
    size_t k;

    json_array_foreach(list, k, x)
    {
        const char *xid = json_string_value(json_object_get(x, "id"));

        if (xid && strcmp(xid, id) == 0)
            return x;
    }
    return NULL;
}

json_t *popular_json(struct gw *gw, struct popular *cache)
{
    int64_t now = (int64_t)time(NULL);
    json_t *out, *x;
    unsigned i;

    if (!gw->kb)
        return NULL;
    if (!cache->computed_s || now - cache->computed_s >= POPULAR_TTL_S || now < cache->computed_s)
        compute(gw, cache, now);
    out = json_array();
    for (i = 0; out && i < cache->n; i++) {
        const json_t *g = listed(kb_procedures(gw->kb), cache->ids[i]);

        if (!g)
            continue; /* reloaded without it */
        x = json_pack("{s:s,s:s?,s:s?,s:s?,s:i}", "id", cache->ids[i], "name",
                      json_string_value(json_object_get(g, "name")), "short_name",
                      json_string_value(json_object_get(g, "short_name")), "domain",
                      json_string_value(json_object_get(g, "domain")), "conversations",
                      (json_int_t)cache->asked[i]);
        if (!x || json_array_append_new(out, x)) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}
