/* gateway/privacy.c - see privacy.h. */
#include "privacy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libwebsockets.h>
#include <openssl/sha.h>

#include "gw.h"
#include "mc_log.h"
#include "session.h"
#include "store.h"

#define PRIVACY_IDLE_US (60 * LWS_US_PER_SEC) /* between steps when nothing was old */
#define PRIVACY_BUSY_US (50 * LWS_US_PER_MS)  /* between steps while old rows remain */
/* a step put off while others' commits are in flight, at most this long: then it runs anyway */
#define PRIVACY_DEFER_MAX_US (10 * LWS_US_PER_SEC)
#define DAY_S 86400

struct privacy {
    lws_sorted_usec_list_t sul; /* first: the timer callback recovers the struct from it */
    struct gw *gw;
    uint64_t ticket;     /* the batch of the last step that changed rows (0: none to wait for) */
    lws_usec_t deferred; /* how long the step due has been put off for others' commits */
};

long privacy_purge_step(struct gw *gw)
{
    int64_t now = (int64_t)time(NULL);
    struct store_purge p = {
        .before_s = now - (int64_t)gw->cfg->privacy_retention_days * DAY_S,
        .token_s = now - (int64_t)gw->cfg->session_max_age_days * DAY_S,
        .max = PRIVACY_PURGE_ROWS,
    };

    /* expired checklist pages (share.h) go with the rest of retention */
    if (store_privacy_purge(gw->store, &p) ||
        store_share_purge(gw->store, now, PRIVACY_PURGE_ROWS, &p.rows)) {
        mc_log(MC_LOG_WARN, "privacy.purge", "result=failed");
        return -EIO;
    }
    if (p.rows)
        mc_log(MC_LOG_INFO, "privacy.purge", "rows=%lu retention_days=%u", p.rows,
               gw->cfg->privacy_retention_days);
    return (long)p.rows; /* committed by the loop's next flush, with the turns */
}

static void tick(lws_sorted_usec_list_t *sul)
{
    struct privacy *p = lws_container_of(sul, struct privacy, sul);
    long n = 0;

    /* A step writes in the open batch and the pass's COMMIT carries it, sent without
     * waiting on PostgreSQL. Until that COMMIT lands its rows stay locked, and the next
     * step would pick the same oldest rows and wait for those locks on the loop for as
     * long as the COMMIT takes: it looks again every PRIVACY_BUSY_US instead, with no I/O. */
    if (p->ticket && store_commit_socket(p->gw->store, p->ticket) >= 0) {
        lws_sul_schedule(p->gw->ctx, 0, &p->sul, tick, PRIVACY_BUSY_US);
        return;
    }
    p->ticket = 0;
    /* On PostgreSQL each store has two connections: a COMMIT in flight on one, the step's batch
     * takes the other and sends its own COMMIT, and the next statement (a citizen's turn) then
     * waits on the loop for the first (tests/e2e/teach-commit.test.js saw a turn wait 1.5 s
     * behind a slow teach). The purge can come later: while a commit is in flight it waits,
     * up to PRIVACY_DEFER_MAX_US so that a server always committing still purges. */
    if (store_commits_in_flight(p->gw->store) > 0 && p->deferred < PRIVACY_DEFER_MAX_US) {
        p->deferred += PRIVACY_BUSY_US;
        lws_sul_schedule(p->gw->ctx, 0, &p->sul, tick, PRIVACY_BUSY_US);
        return;
    }
    p->deferred = 0;
    if (p->gw->outbox_sender)
        n = privacy_purge_step(p->gw);
    if (n > 0)
        p->ticket = store_batch_ticket(p->gw->store); /* sent at the end of this pass */
    lws_sul_schedule(p->gw->ctx, 0, &p->sul, tick, n > 0 ? PRIVACY_BUSY_US : PRIVACY_IDLE_US);
}

struct privacy *privacy_new(struct gw *gw, struct mc_err *err)
{
    unsigned char key[STORE_ID_KEY_LEN];
    struct privacy *p = calloc(1, sizeof(*p));
    const char *cfg_key = gw->cfg->privacy_id_key;
    int rc;

    if (!p) {
        mc_err_set(err, "privacy: out of memory");
        return NULL;
    }
    p->gw = gw;
    _Static_assert(SHA256_DIGEST_LENGTH == STORE_ID_KEY_LEN, "the key is one SHA-256 digest");
    if (cfg_key[0]) /* any length of secret, one key size */
        rc = SHA256((const unsigned char *)cfg_key, strlen(cfg_key), key) ? 0 : -EIO;
    else
        rc = store_privacy_db_key(gw->store, key);
    if (!rc)
        rc = store_privacy_set_key(gw->store, key, sizeof key);
    if (!rc)
        rc = store_commit(gw->store);
    OPENSSL_cleanse(key, sizeof key);
    if (rc) {
        mc_err_set(err, "%s: cannot set up the key of user ids (privacy.id_key)",
                   gw->cfg->data_state_db);
        free(p);
        return NULL;
    }
    /* the first step soon after start: a server down for months purges at once */
    lws_sul_schedule(gw->ctx, 0, &p->sul, tick, LWS_US_PER_SEC);
    return p;
}

void privacy_free(struct privacy *p)
{
    if (!p)
        return;
    lws_sul_cancel(&p->sul);
    free(p);
}

/* The phrasings, lower case (ASCII letters are folded before comparing). */
static const char *const forget_words[] = {
    "xoá dữ liệu của tôi", "xóa dữ liệu của tôi", "xoa du lieu cua toi",
    "xoá dữ liệu của em",  "xóa dữ liệu của em",  "xoa du lieu cua em",
};

bool privacy_is_forget_words(const char *text)
{
    size_t n;

    while (*text == ' ')
        text++;
    n = strlen(text);
    while (n && strchr(" .!?", text[n - 1]))
        n--;
    for (size_t i = 0; i < sizeof forget_words / sizeof forget_words[0]; i++)
        if (strlen(forget_words[i]) == n && !strncasecmp(text, forget_words[i], n))
            return true;
    return false;
}

int privacy_forget(struct gw *gw, int64_t session_id, const char *user)
{
    int rc = store_privacy_forget(gw->store, session_id, user);

    mc_log(rc ? MC_LOG_WARN : MC_LOG_INFO, "privacy.forget", "result=%s",
           rc ? "failed" : "deleted");
    return rc;
}

int privacy_forget_user(struct gw *gw, const char *channel, const char *user)
{
    struct session s = {0};
    int rc = store_session_by_user(gw->store, channel, user, &s);

    if (rc == -ENOENT) /* nothing kept */
        return 0;
    if (!rc)
        rc = privacy_forget(gw, s.id, user);
    session_fini(&s);
    return rc ? -EIO : 0;
}
