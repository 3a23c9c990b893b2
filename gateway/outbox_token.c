/* gateway/outbox_token.c - the Zalo tokens of the outbox: loading (stored or
 * configured, whichever is newer), saving, refreshing on -216 and before
 * expiry. See outbox_int.h and docs/channels.md, "Tokens". */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "mc_log.h"
#include "outbox_int.h"
#include "store.h"

void ob_tokens_load(struct outbox *ob)
{
    const struct mc_config *cfg = ob->gw->cfg;
    char at[CFG_STR_MAX], rt[CFG_STR_MAX];

    snprintf(ob->zalo_token, sizeof(ob->zalo_token), "%s", cfg->zalo_access_token);
    snprintf(ob->zalo_refresh, sizeof(ob->zalo_refresh), "%s", cfg->zalo_refresh_token);
    /* A token refreshed before a restart is newer than the configured one,
     * unless the operator re-authorised the OA since: then the configured
     * refresh token differs from the one the stored tokens descend from, and
     * the configured tokens win (docs/channels.md, "Tokens"). */
    if (store_token_get(ob->st, "zalo", at, sizeof(at), rt, sizeof(rt)) == 0) {
        char origin[CFG_STR_MAX], unused[8];

        if (store_token_get(ob->st, OB_ORIGIN, origin, sizeof(origin), unused, sizeof(unused)) ==
                0 &&
            cfg->zalo_refresh_token[0] && strcmp(origin, cfg->zalo_refresh_token) != 0) {
            mc_log(MC_LOG_INFO, "outbox.tokens", "channel=zalo source=config reason=reauthorised");
            return;
        }
        snprintf(ob->zalo_token, sizeof(ob->zalo_token), "%s", at);
        if (rt[0])
            snprintf(ob->zalo_refresh, sizeof(ob->zalo_refresh), "%s", rt);
    }
}

/* Writes the current Zalo tokens to chan_token, so a restart uses them (the
 * refresh token is single-use: the one in the config is spent). Returns 0
 * or -EIO. */
int ob_tokens_save(struct outbox *ob)
{
    if (store_token_put(ob->st, "zalo", ob->zalo_token, ob->zalo_refresh, ob_now_ms() / 1000) ||
        store_token_put(ob->st, OB_ORIGIN, ob->gw->cfg->zalo_refresh_token, "",
                        ob_now_ms() / 1000)) {
        mc_log(MC_LOG_ERROR, "outbox.token_save_failed",
               "channel=zalo action=kept_in_memory_retrying");
        return -EIO;
    }
    return 0;
}

/* Retries a failed ob_tokens_save(); the tokens stay in memory meanwhile. */
void ob_tokens_save_again(struct outbox *ob)
{
    if (!ob->tokens_unsaved || ob_tokens_save(ob))
        return;
    ob->tokens_unsaved = false;
    mc_log(MC_LOG_INFO, "outbox.token_saved", "channel=zalo after=retry");
}

/* expires_in: seconds, a string or a number (Zalo sends "90000"). */
static void set_expiry(struct outbox *ob, json_t *v)
{
    long long secs = 0;

    if (json_is_integer(v))
        secs = (long long)json_integer_value(v);
    else if (json_is_string(v))
        secs = strtoll(json_string_value(v), NULL, 10);
    if (secs <= 0 || secs > 366LL * 86400) {
        ob->zalo_expires_ms = 0;
        return;
    }
    ob->zalo_lifetime_ms = secs * 1000;
    ob->zalo_expires_ms = ob_now_ms() + ob->zalo_lifetime_ms;
}

/* Refreshes the Zalo token before it expires: an hour early, or a tenth of
 * its lifetime for shorter ones, so no citizen's reply meets -216. */
void ob_refresh_early(struct outbox *ob)
{
    int64_t margin = ob->zalo_lifetime_ms / 10;

    if (margin > OB_REFRESH_MARGIN_MS)
        margin = OB_REFRESH_MARGIN_MS;
    if (ob->zalo_expires_ms && ob_now_ms() >= ob->zalo_expires_ms - margin) {
        mc_log(MC_LOG_INFO, "outbox.refresh_early", "channel=zalo");
        ob->zalo_expires_ms = 0; /* set again by the refresh's answer */
        ob_refresh_start(ob);
    }
}

void ob_refresh_finish(struct outbox *ob, struct ob_slot *s)
{
    json_t *j = s->status >= 200 && s->status < 300 && s->resp.data
                    ? json_loads(s->resp.data, 0, NULL)
                    : NULL;
    const char *at = json_string_value(json_object_get(j, "access_token"));
    const char *rt = json_string_value(json_object_get(j, "refresh_token"));

    ob->refreshing = false;
    if (!at || !at[0] || strlen(at) >= sizeof(ob->zalo_token)) {
        ob->refresh_not_before = ob_now_ms() + OB_REFRESH_PAUSE_MS;
        mc_log(MC_LOG_ERROR, "outbox.refresh_failed", "channel=zalo status=%d", s->status);
        json_decref(j);
        return;
    }
    snprintf(ob->zalo_token, sizeof(ob->zalo_token), "%s", at);
    set_expiry(ob, json_object_get(j, "expires_in"));
    if (rt && strlen(rt) < sizeof(ob->zalo_refresh))
        snprintf(ob->zalo_refresh, sizeof(ob->zalo_refresh), "%s", rt);
    ob->tokens_unsaved = ob_tokens_save(ob) != 0; /* retried by every pump until it works */
    mc_log(MC_LOG_INFO, "outbox.refreshed", "channel=zalo saved=%s",
           ob->tokens_unsaved ? "no" : "yes");
    json_decref(j);
}

void ob_refresh_start(struct outbox *ob)
{
    const struct mc_config *cfg = ob->gw->cfg;
    struct ob_slot *s;
    char form[CFG_STR_MAX * 3];
    int n;

    if (ob->refreshing || ob_now_ms() < ob->refresh_not_before)
        return;
    if (!ob->zalo_refresh[0] || !cfg->zalo_app_secret[0]) {
        mc_log(MC_LOG_ERROR, "outbox.refresh_failed", "channel=zalo reason=no_refresh_token");
        ob->refresh_not_before = ob_now_ms() + OB_REFRESH_PAUSE_MS;
        return;
    }
    s = ob_free_slot(ob);
    if (!s)
        return; /* the next pump tries again */
    /* tokens are URL-safe by the platform's design; form-encode all the same */
    n = snprintf(form, sizeof(form), "app_id=%s&grant_type=refresh_token&refresh_token=%s",
                 cfg->zalo_app_id, ob->zalo_refresh);
    if (n < 0 || (size_t)n >= sizeof(form) || ob_slot_set_body(s, form, (size_t)n))
        return;
    s->ob = ob;
    s->kind = OB_REFRESH;
    s->ctype = "application/x-www-form-urlencoded";
    snprintf(s->hdr_name, sizeof(s->hdr_name), "secret_key:");
    snprintf(s->hdr_value, sizeof(s->hdr_value), "%s", cfg->zalo_app_secret);
    snprintf(s->channel, sizeof(s->channel), "zalo");
    ob->refreshing = true;
    if (ob_slot_connect(ob, s, cfg->zalo_oauth_url)) {
        ob->refreshing = false;
        mc_log(MC_LOG_ERROR, "outbox.refresh_failed", "channel=zalo reason=bad_oauth_url");
        ob_slot_release(s);
    }
}
