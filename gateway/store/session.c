/* gateway/store/session.c - see session.h. */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

void session_drop_doc(struct session *s)
{
    json_decref(s->doc);
    s->doc = NULL;
}

void session_fini(struct session *s)
{
    free(s->state);
    s->state = NULL;
    session_drop_doc(s);
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

bool session_is_token(const char *t)
{
    size_t i;

    for (i = 0; i < SESSION_TOKEN_LEN; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
            return false;
    return t[SESSION_TOKEN_LEN] == '\0';
}

int session_load_token(struct store *st, const char *token, struct session *s)
{
    if (!session_is_token(token))
        return -ENOENT;
    return store_session_by_token(st, token, s);
}

int session_random_token(char out[SESSION_TOKEN_LEN + 1])
{
    unsigned char raw[SESSION_TOKEN_LEN / 2];
    static const char hex[] = "0123456789abcdef";
    size_t i, got = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -EIO;
    while (got < sizeof(raw)) {
        ssize_t n = read(fd, raw + got, sizeof(raw) - got);

        if (n <= 0) {
            close(fd);
            return -EIO;
        }
        got += (size_t)n;
    }
    close(fd);
    for (i = 0; i < sizeof(raw); i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[SESSION_TOKEN_LEN] = '\0';
    return 0;
}

static int create(struct store *st, const char *channel, const char *user_key, struct session *s)
{
    memset(s, 0, sizeof(*s));
    if (session_random_token(s->token))
        return -EIO;
    snprintf(s->channel, sizeof(s->channel), "%s", channel);
    snprintf(s->user_key, sizeof(s->user_key), "%s", user_key ? user_key : "");
    s->last_seen = now_s();
    s->handoff_none = true; /* a session just made: no handoff names it */
    s->state = strdup("{}");
    if (!s->state)
        return -ENOMEM;
    if (store_session_insert(st, s)) {
        session_fini(s);
        return -EIO;
    }
    return 0;
}

int session_create(struct store *st, const char *channel, struct session *s)
{
    return create(st, channel, NULL, s);
}

int session_create_user(struct store *st, const char *channel, const char *user_key,
                        struct session *s)
{
    if (strlen(user_key) > SESSION_USER_KEY_MAX)
        return -E2BIG;
    return create(st, channel, user_key, s);
}

int session_load_user(struct store *st, const char *channel, const char *user_key,
                      struct session *s)
{
    int rc;

    if (strlen(user_key) > SESSION_USER_KEY_MAX)
        return -E2BIG;
    rc = store_session_by_user(st, channel, user_key, s);
    if (rc == -ENOENT)
        rc = create(st, channel, user_key, s);
    return rc;
}

void session_apply_idle(struct session *s, int64_t now, unsigned idle_seconds)
{
    char *fresh;

    if (!s->resumed || now - s->last_seen <= (int64_t)idle_seconds)
        return;
    fresh = strdup("{}");
    if (!fresh)
        return; /* keep the old state rather than lose the session */
    free(s->state);
    s->state = fresh;
    session_drop_doc(s);
    s->expired = true;
}

int session_save_turn(struct store *st, struct session *s, const struct session_turn *t, size_t n)
{
    s->last_seen = now_s();
    return store_turn_save(st, s, t, n);
}

int session_queue_turn(struct store *st, struct session *s, const struct session_turn *t, size_t n,
                       uint64_t *save)
{
    int64_t seen = s->last_seen;
    int rc;

    s->last_seen = now_s();
    rc = store_turn_queue(st, s, t, n, save);
    if (rc)
        s->last_seen = seen;
    return rc;
}

int session_queue_turn_locked(struct store *st, struct session *s, const struct session_turn *t,
                              size_t n)
{
    int64_t seen = s->last_seen;
    int rc;

    s->last_seen = now_s();
    rc = store_turn_queue_locked(st, s, t, n);
    if (rc)
        s->last_seen = seen;
    return rc;
}

/* The user key is anonymised in turn records: a stable, non-reversible tag
 * (FNV-1a 64) is enough to count distinct users without storing the id. */
void session_user_hash(const struct session *s, char out[17])
{
    uint64_t h = 1469598103934665603ULL;
    const char *p;

    for (p = s->user_key[0] ? s->user_key : s->token; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

int session_history_add(void *ctx, const char *role, const char *text, int64_t ts,
                        const char *msg_id)
{
    json_t *arr = ctx, *item;

    if (strcmp(role, "bot") == 0) {
        json_t *reply = json_loads(text, 0, NULL);

        item = json_pack("{s:s,s:o*,s:I}", "role", "bot", "reply", reply, "ts", (json_int_t)ts);
    } else {
        item = json_pack("{s:s,s:s,s:I}", "role", "user", "text", text, "ts", (json_int_t)ts);
    }
    if (item && msg_id && json_object_set_new(item, "msg_id", json_string(msg_id))) {
        json_decref(item);
        item = NULL;
    }
    return !item || json_array_append_new(arr, item) ? -ENOMEM : 0;
}

json_t *session_history(struct store *st, const struct session *s, unsigned max)
{
    json_t *arr = json_array();

    if (!arr)
        return NULL;
    if (store_history(st, s->id, max, session_history_add, arr)) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}
