/* gateway/cfg.c - see cfg.h. The table below is the single list of settings. */
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc_log.h"
#include "proxy.h"
#include "report.h"

enum cfg_type { CFG_STR, CFG_UINT };

struct cfg_setting {
    const char *key; /* "section.key" as in motcua.json */
    enum cfg_type type;
    size_t offset;     /* into struct mc_config */
    unsigned long min; /* CFG_UINT bounds, inclusive */
    unsigned long max;
    const char *def; /* default, as text */
    bool secret;     /* never logged or printed */
    const char *help;
};

#define S(f) offsetof(struct mc_config, f)
static const struct cfg_setting settings[] = {
    {"listen.host", CFG_STR, S(listen_host), 0, 0, "127.0.0.1", false, "address to listen on"},
    {"listen.port", CFG_UINT, S(listen_port), 0, 65535, "8080", false,
     "TCP port for HTTP and WebSocket (0: any free port, printed at start)"},
    {"listen.max_connections", CFG_UINT, S(listen_max_connections), 1, 100000, "4096", false,
     "open connections at once"},
    {"listen.max_per_ip", CFG_UINT, S(listen_max_per_ip), 1, 100000, "64", false,
     "open connections at once from one client address"},
    {"listen.workers", CFG_UINT, S(listen_workers), 0, CFG_WORKERS_MAX, "0", false,
     "worker processes sharing the port (0: one per core; 1: no fork)"},
    {"listen.trusted_proxies", CFG_STR, S(listen_trusted_proxies), 0, 0, "", false,
     "comma-separated addresses/CIDRs of reverse proxies (e.g. 127.0.0.1,10.0.0.0/8): only "
     "from these is the client taken from X-Forwarded-For; empty: none"},
    {"listen.header_timeout_seconds", CFG_UINT, S(listen_header_timeout), 1, 300, "10", false,
     "seconds a new connection has to send its first request's headers, then closed"},
    {"listen.body_timeout_seconds", CFG_UINT, S(listen_body_timeout), 1, 600, "30", false,
     "seconds a request has to send its whole body, then 408 and close"},
    {"listen.max_queued_bytes", CFG_UINT, S(listen_max_queued), 65536, 64 * 1024 * 1024, "1048576",
     false, "bytes of replies queued to one WebSocket client that does not read; past it, closed"},
    {"data.knowledge_db", CFG_STR, S(data_knowledge_db), 0, 0, "build/motcua.db", false,
     "knowledge database built by `motcua import` (opened read-only)"},
    {"data.state_db", CFG_STR, S(data_state_db), 0, 0, "build/state/state.db", false,
     "writable database for sessions, conversation logs and the outbox"},
    {"data.state_url", CFG_STR, S(data_state_url), 0, 0, "", true,
     "shared state on PostgreSQL instead of data.state_db, e.g. "
     "postgresql://motcua@127.0.0.1:5432/motcua, for several nodes behind one proxy "
     "(docs/scaling.md); empty: the SQLite file data.state_db"},
    {"data.state_readers", CFG_UINT, S(data_state_readers), 0, CFG_STATE_READERS_MAX, "1", false,
     "PostgreSQL: threads per worker that run the officers' and the console's reads (the "
     "report) off the event loop, each with its own connection (docs/scaling.md); 0: on the "
     "loop. SQLite reads on the loop"},
    {"data.state_read_queue", CFG_UINT, S(data_state_read_queue), 1, 1024, "16", false,
     "PostgreSQL: such reads waiting for a reader thread, per worker; past it 503 busy"},
    {"data.web_root", CFG_STR, S(data_web_root), 0, 0, "channels/web", false,
     "folder of the widget, demo page and kiosk files"},
    {"messenger.app_secret", CFG_STR, S(messenger_app_secret), 0, 0, "", true,
     "Meta app secret (webhook signatures); empty disables Messenger"},
    {"messenger.verify_token", CFG_STR, S(messenger_verify_token), 0, 0, "", true,
     "token Meta echoes when verifying the webhook"},
    {"messenger.page_token", CFG_STR, S(messenger_page_token), 0, 0, "", true,
     "page access token for the Send API"},
    {"messenger.graph_url", CFG_STR, S(messenger_graph_url), 0, 0,
     "https://graph.facebook.com/v25.0", false, "Graph API base URL"},
    {"zalo.app_id", CFG_STR, S(zalo_app_id), 0, 0, "", false, "Zalo app id; empty disables Zalo"},
    {"zalo.oa_secret", CFG_STR, S(zalo_oa_secret), 0, 0, "", true,
     "OA secret key (webhook signatures)"},
    {"zalo.app_secret", CFG_STR, S(zalo_app_secret), 0, 0, "", true,
     "app secret key (access-token refresh)"},
    {"zalo.access_token", CFG_STR, S(zalo_access_token), 0, 0, "", true, "OA access token"},
    {"zalo.refresh_token", CFG_STR, S(zalo_refresh_token), 0, 0, "", true, "OA refresh token"},
    {"zalo.api_url", CFG_STR, S(zalo_api_url), 0, 0, "https://openapi.zalo.me", false,
     "Zalo OA API base URL"},
    {"zalo.oauth_url", CFG_STR, S(zalo_oauth_url), 0, 0,
     "https://oauth.zaloapp.com/v4/oa/access_token", false, "Zalo token refresh URL"},
    {"admin.token", CFG_STR, S(admin_token), 0, 0, "", true,
     "bearer token for admin endpoints (reload); empty disables them"},
    {"locality.default", CFG_STR, S(locality_default), 0, 0, "", false,
     "ward code of this deployment's commune/ward (e.g. 00008); empty: none"},
    {"log.level", CFG_STR, S(log_level), 0, 0, "info", false, "debug | info | warn | error"},
    {"session.idle_timeout", CFG_UINT, S(session_idle_timeout), 5, 86400 * 30, "1800", false,
     "seconds of silence after which a new conversation starts (history kept)"},
    {"session.history_max", CFG_UINT, S(session_history_max), 0, 200, "50", false,
     "messages of history sent to a reconnecting client"},
    {"session.messages_per_minute", CFG_UINT, S(session_msg_per_minute), 0, 60000, "60", false,
     "WebSocket frames one session (or connection before hello) may send per minute, in "
     "bursts up to that many; more get a rate_limited error (0: no limit)"},
    {"kiosk.idle_seconds", CFG_UINT, S(kiosk_idle_seconds), 10, 3600, "120", false,
     "kiosk idle time before the privacy wipe"},
    {"kiosk.speech", CFG_UINT, S(kiosk_speech), 0, 1, "0", false,
     "1: kiosk answers carry an \"audio\" file read by espeak-ng's Vietnamese voice (needs the "
     "espeak-ng package)"},
    {"kiosk.speech_cache_mb", CFG_UINT, S(kiosk_speech_cache_mb), 1, 100000, "200", false,
     "megabytes of spoken answers kept beside the state database (least recently used go first)"},
    {"outbox.give_up_seconds", CFG_UINT, S(outbox_give_up_seconds), 10, 7 * 86400, "3600", false,
     "Messenger/Zalo: give up delivering a reply after this long"},
    {"outbox.lease_seconds", CFG_UINT, S(outbox_lease_seconds), CFG_OUTBOX_LEASE_MIN_S, 3600, "30",
     false,
     "several nodes on PostgreSQL: a reply a node claimed and did not send (the node died) goes "
     "to another node after this long; at least a send's timeout (10 s) plus 5 s, or two nodes "
     "could send one reply"},
    {"shutdown.grace_ms", CFG_UINT, S(shutdown_grace_ms), 100, 30000, "3000", false,
     "SIGTERM: time to finish writes before exit"},
    {"officer.session_hours", CFG_UINT, S(officer_session_hours), 1, 720, "12", false,
     "hours an officer's login lasts (then log in again)"},
    {"handoff.enabled", CFG_UINT, S(handoff_enabled), 0, 1, "1", false,
     "1: a citizen who asks for a person waits for an officer (0: the hotline only)"},
    {"privacy.retention_days", CFG_UINT, S(privacy_retention_days), 1, 3650, "180", false,
     "days turn records, sessions, handoff messages, votes and de-duplication keys are kept"},
    {"privacy.id_key", CFG_STR, S(privacy_id_key), 0, 0, "", true,
     "secret keying the hashes of Messenger/Zalo user ids (empty: generated, kept in the state "
     "db)"},
    {"session.max_age_days", CFG_UINT, S(session_max_age_days), 1, 3650, "30", false,
     "days a web/kiosk session token lasts from its creation (then a new conversation starts)"},
    {"site.public_url", CFG_STR, S(site_public_url), 0, 0, "", false,
     "the site's address as citizens reach it (e.g. https://motcua.xa-tanphu.gov.vn): the QR "
     "codes of guide pages and the kiosk encode it; empty: the request's Host header"},
    {"share.ttl_days", CFG_UINT, S(share_ttl_days), 1, 365, "30", false,
     "days a citizen's checklist page /p/<token> lives (then 404; purged with retention)"},
    {"report.timezone", CFG_STR, S(report_timezone), 0, 0, REPORT_TZ_DEFAULT, false,
     "the reports' days: Asia/Ho_Chi_Minh (+07:00), Asia/Bangkok, UTC, or +HH:MM"},
};
#undef S
#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

static const struct cfg_setting *find_setting(const char *key)
{
    size_t i;

    for (i = 0; i < N_SETTINGS; i++)
        if (strcmp(settings[i].key, key) == 0)
            return &settings[i];
    return NULL;
}

static int set_str(struct mc_config *cfg, const struct cfg_setting *s, const char *v,
                   const char *origin, struct mc_err *err)
{
    char *dst = (char *)cfg + s->offset;
    size_t n = strlen(v);

    if (n >= CFG_STR_MAX) {
        mc_err_set(err, "%s: %s: longer than %d bytes", origin, s->key, CFG_STR_MAX - 1);
        return -EINVAL;
    }
    memcpy(dst, v, n + 1);
    return 0;
}

static int set_uint_text(struct mc_config *cfg, const struct cfg_setting *s, const char *v,
                         const char *origin, struct mc_err *err)
{
    unsigned long long n;
    char *end;

    errno = 0;
    if (!isdigit((unsigned char)v[0])) {
        mc_err_set(err, "%s: %s: expected a whole number, got \"%.40s\"", origin, s->key, v);
        return -EINVAL;
    }
    n = strtoull(v, &end, 10);
    if (errno || *end != '\0') {
        mc_err_set(err, "%s: %s: expected a whole number, got \"%.40s\"", origin, s->key, v);
        return -EINVAL;
    }
    if (n < s->min || n > s->max) {
        mc_err_set(err, "%s: %s: %llu is out of range %lu..%lu", origin, s->key, n, s->min, s->max);
        return -EINVAL;
    }
    *(unsigned *)((char *)cfg + s->offset) = (unsigned)n;
    return 0;
}

static int set_text(struct mc_config *cfg, const struct cfg_setting *s, const char *v,
                    const char *origin, struct mc_err *err)
{
    return s->type == CFG_STR ? set_str(cfg, s, v, origin, err)
                              : set_uint_text(cfg, s, v, origin, err);
}

static int load_json(struct mc_config *cfg, const char *path, struct mc_err *err)
{
    json_error_t jerr;
    json_t *root = NULL, *sect, *val;
    const char *sname, *kname;
    char key[128], num[32];
    const struct cfg_setting *s;
    int rc = -EINVAL;

    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        mc_err_set(err, "%s:%d: %s", path, jerr.line, jerr.text);
        goto out;
    }
    if (!json_is_object(root)) {
        mc_err_set(err, "%s: top level must be an object of sections", path);
        goto out;
    }
    json_object_foreach(root, sname, sect)
    {
        if (!json_is_object(sect)) {
            mc_err_set(err, "%s: %s: must be an object (a section)", path, sname);
            goto out;
        }
        json_object_foreach(sect, kname, val)
        {
            if (snprintf(key, sizeof(key), "%s.%s", sname, kname) >= (int)sizeof(key)) {
                mc_err_set(err, "%s: %.60s: key too long", path, sname);
                goto out;
            }
            s = find_setting(key);
            if (!s) {
                mc_err_set(err, "%s: %s: unknown key", path, key);
                goto out;
            }
            if (s->type == CFG_STR) {
                if (!json_is_string(val)) {
                    mc_err_set(err, "%s: %s: expected a string", path, key);
                    goto out;
                }
                if (set_str(cfg, s, json_string_value(val), path, err))
                    goto out;
            } else if (json_is_boolean(val) && s->min == 0 && s->max == 1) {
                if (set_uint_text(cfg, s, json_is_true(val) ? "1" : "0", path, err))
                    goto out; /* a 0..1 setting is a switch: true and false read as 1 and 0 */
            } else {
                if (!json_is_integer(val) || json_integer_value(val) < 0) {
                    mc_err_set(err, "%s: %s: expected a whole number", path, key);
                    goto out;
                }
                snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(val));
                if (set_uint_text(cfg, s, num, path, err))
                    goto out;
            }
        }
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* listen.port -> MOTCUA_LISTEN_PORT; false if it does not fit. */
static bool env_name(const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key), j, pre = sizeof "MOTCUA_" - 1;

    if (klen + pre + 1 > cap)
        return false;
    memcpy(out, "MOTCUA_", pre);
    for (j = 0; j < klen; j++)
        out[pre + j] = key[j] == '.' ? '_' : (char)toupper((unsigned char)key[j]);
    out[pre + klen] = '\0';
    return true;
}

/* MOTCUA_LISTEN_PORT -> listen.port. Sections are matched first so keys with
 * underscores (data.knowledge_db) map back unambiguously. */
static const struct cfg_setting *find_env_setting(const char *name, size_t len, bool *known_section)
{
    size_t i;
    char env[128];

    *known_section = false;
    for (i = 0; i < N_SETTINGS; i++) {
        const char *k = settings[i].key;
        size_t klen = strlen(k);
        const char *dot = strchr(k, '.');

        if (!env_name(k, env, sizeof(env)))
            continue;
        if (len == 7 + klen && memcmp(env, name, len) == 0)
            return &settings[i];
        /* same section prefix, e.g. MOTCUA_LISTEN_ */
        if (len > 7 + (size_t)(dot - k) + 1 && memcmp(env, name, 7 + (size_t)(dot - k) + 1) == 0)
            *known_section = true;
    }
    return NULL;
}

static int load_env(struct mc_config *cfg, char *const *envp, struct mc_err *err)
{
    char origin[96];
    size_t i;

    for (i = 0; envp[i]; i++) {
        const char *e = envp[i];
        const char *eq = strchr(e, '=');
        const struct cfg_setting *s;
        bool known_section;

        if (!eq || strncmp(e, "MOTCUA_", sizeof "MOTCUA_" - 1) != 0)
            continue;
        s = find_env_setting(e, (size_t)(eq - e), &known_section);
        snprintf(origin, sizeof(origin), "environment %.*s", (int)(eq - e > 60 ? 60 : eq - e), e);
        if (!s) {
            /* MOTCUA_LISTEN_PROT is a typo worth stopping for; MOTCUA_BIN (a
             * test harness variable) belongs to no section and is not ours. */
            if (known_section) {
                mc_err_set(err, "%s: unknown key", origin);
                return -EINVAL;
            }
            continue;
        }
        if (set_text(cfg, s, eq + 1, origin, err))
            return -EINVAL;
    }
    return 0;
}

/* site.public_url: empty, or http(s)://host[:port][/path] of URL-safe
 * characters (it is put into QR codes and pages), short enough that a
 * guide's path still fits a QR (QR_TEXT_MAX). A trailing '/' is dropped. */
static int check_public_url(char *u)
{
    size_t n = strlen(u), i, start;

    if (!n)
        return 0;
    while (n > 0 && u[n - 1] == '/')
        u[--n] = '\0';
    if (n > CFG_PUBLIC_URL_MAX)
        return -EINVAL;
    if (strncmp(u, "https://", sizeof "https://" - 1) == 0)
        start = sizeof "https://" - 1;
    else if (strncmp(u, "http://", sizeof "http://" - 1) == 0)
        start = sizeof "http://" - 1;
    else
        return -EINVAL;
    if (!u[start] || u[start] == '/' || u[start] == ':')
        return -EINVAL;
    for (i = start; i < n; i++)
        if (!isalnum((unsigned char)u[i]) && !strchr("-._~:/[]%", u[i]))
            return -EINVAL;
    return 0;
}

int cfg_load(struct mc_config *cfg, const char *path, char *const *envp, struct mc_err *err)
{
    size_t i;
    enum mc_log_level lvl;
    struct proxy_list *proxies = NULL;
    struct mc_err perr = {{0}};
    int offset;

    memset(cfg, 0, sizeof(*cfg));
    for (i = 0; i < N_SETTINGS; i++)
        if (set_text(cfg, &settings[i], settings[i].def, "default", err))
            return -EINVAL; /* a bad default is a programmer error, reported all the same */
    if (path && load_json(cfg, path, err))
        return -EINVAL;
    if (envp && load_env(cfg, envp, err))
        return -EINVAL;
    if (mc_log_parse_level(cfg->log_level, &lvl)) {
        mc_err_set(err, "%s: log.level: expected debug, info, warn or error",
                   path ? path : "config");
        return -EINVAL;
    }
    if (report_tz_offset(cfg->report_timezone, &offset)) {
        mc_err_set(err, "%s: report.timezone: unknown zone (Asia/Ho_Chi_Minh, UTC or +HH:MM)",
                   path ? path : "config");
        return -EINVAL;
    }
    if (proxy_list_parse(cfg->listen_trusted_proxies, &proxies, &perr)) {
        mc_err_set(err, "%s: %s", path ? path : "config", perr.text);
        return -EINVAL;
    }
    proxy_list_free(proxies); /* checked here; gw_new() keeps its own */
    if (check_public_url(cfg->site_public_url)) {
        mc_err_set(err,
                   "%s: site.public_url: expected http(s)://host[:port][/path], at most %d "
                   "bytes, no query",
                   path ? path : "config", CFG_PUBLIC_URL_MAX);
        return -EINVAL;
    }
    if (cfg->listen_host[0] == '\0') {
        mc_err_set(err, "%s: listen.host: must not be empty", path ? path : "config");
        return -EINVAL;
    }
    return 0;
}

void cfg_print_help(FILE *out)
{
    size_t i;
    char env[128];

    fprintf(out, "Settings (motcua.json section.key; environment variable overrides the file):\n");
    for (i = 0; i < N_SETTINGS; i++) {
        const char *k = settings[i].key;

        if (!env_name(k, env, sizeof(env)))
            continue;
        fprintf(out, "  %-29s %-37s %-6s default %s\n      %s\n", k, env,
                settings[i].type == CFG_STR ? "string" : "number",
                settings[i].secret   ? "(secret, empty)"
                : settings[i].def[0] ? settings[i].def
                                     : "\"\"",
                settings[i].help);
    }
}

bool cfg_is_secret(const char *key)
{
    const struct cfg_setting *s = find_setting(key);

    return s && s->secret;
}

unsigned cfg_workers(const struct mc_config *cfg)
{
    long n;

    if (cfg->listen_workers)
        return cfg->listen_workers;
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > CFG_WORKERS_MAX ? CFG_WORKERS_MAX : (unsigned)n;
}

const char *cfg_state_store(const struct mc_config *cfg)
{
    return cfg->data_state_url[0] ? cfg->data_state_url : cfg->data_state_db;
}

bool cfg_messenger_enabled(const struct mc_config *cfg)
{
    return cfg->messenger_app_secret[0] && cfg->messenger_verify_token[0] &&
           cfg->messenger_page_token[0];
}

bool cfg_zalo_enabled(const struct mc_config *cfg)
{
    return cfg->zalo_app_id[0] && cfg->zalo_oa_secret[0] && cfg->zalo_access_token[0];
}
