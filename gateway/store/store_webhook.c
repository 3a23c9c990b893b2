/* gateway/store/store_webhook.c - a webhook event's reads and writes
 * (store.h, "webhook events"): on PostgreSQL handed to store_pg_webhook.c,
 * which sends the reads as one statement and queues the writes; on SQLite,
 * a local file where a read costs no round trip, the functions of store.h
 * in turn, so both back-ends answer alike by construction. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"

void store_webhook_read_fini(struct store_webhook_read *r)
{
    if (r->found)
        session_fini(&r->session);
    r->found = false;
    free(r->options);
    r->options = NULL;
}

int store_webhook_event(struct store *st, const char *channel, const char *event_id,
                        const char *user, bool options, int64_t now_s,
                        struct store_webhook_read *out)
{
    struct store_handoff h;
    int fresh, rc;

    memset(out, 0, sizeof(*out));
    if (strlen(user) > SESSION_USER_KEY_MAX)
        return -E2BIG; /* as session_load_user(): before the key is recorded */
    if (store_pg_of(st))
        return store_pg_webhook_event(st, channel, event_id, user, options, now_s, out);
    fresh = store_event_first_time(st, channel, event_id, now_s);
    if (fresh <= 0)
        return fresh;
    if (options)
        out->options = store_options_get(st, channel, user); /* NULL: none offered */
    rc = store_session_by_user(st, channel, user, &out->session);
    if (rc == -ENOENT)
        return 1;
    if (rc)
        return rc;
    out->found = true;
    rc = store_handoff_get(st, out->session.id, &h);
    if (rc)
        return rc;
    snprintf(out->handoff, sizeof(out->handoff), "%s", h.state);
    return 1;
}

int store_webhook_outbox_add(struct store *st, const char *channel, const char *user,
                             const char *body, int64_t now_ms)
{
    return store_outbox_add(st, channel, user, body, now_ms); /* PostgreSQL: queued there */
}

int store_webhook_options_put(struct store *st, const char *channel, const char *user,
                              const char *options_json)
{
    if (store_pg_of(st))
        return store_pg_webhook_options_put(st, channel, user, options_json);
    return store_options_put(st, channel, user, options_json);
}
