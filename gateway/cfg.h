/* gateway/cfg.h - the runtime configuration: one table of settings drives
 * JSON parsing (motcua.json), MOTCUA_<SECTION>_<KEY> environment overrides,
 * unknown-key and wrong-type errors, and `motcua serve --help`.
 * A struct mc_config is built once at start-up and read-only after; it is the
 * only global-like state of the process and is passed explicitly. */
#ifndef MOTCUA_GATEWAY_CFG_H
#define MOTCUA_GATEWAY_CFG_H

#include <stdbool.h>
#include <stdio.h>

#include "mc_err.h"

#define CFG_STR_MAX 512    /* bytes; paths, URLs, tokens and secrets */
#define CFG_WORKERS_MAX 64 /* listen.workers: processes sharing the port */
/* outbox.lease_seconds' least value: a send's own timeout (OUTBOX_TIMEOUT_S, 10 s) plus 5 s
 * for the loop's tick and the outcome's commit (outbox.c checks the relation) */
#define CFG_OUTBOX_LEASE_MIN_S 15
/* bytes of site.public_url: with a guide's path it must fit a QR (QR_TEXT_MAX) */
#define CFG_PUBLIC_URL_MAX 200
#define CFG_STATE_READERS_MAX 4 /* data.state_readers: each is a connection per worker */

struct mc_config {
    char listen_host[CFG_STR_MAX];
    unsigned listen_port;
    unsigned listen_max_connections; /* open connections at once, all clients */
    unsigned listen_max_per_ip;      /* open connections at once from one address */
    unsigned listen_workers;         /* worker processes; 0: one per core (cfg_workers()) */
    char listen_trusted_proxies[CFG_STR_MAX]; /* addresses/CIDRs whose X-Forwarded-For we use */
    unsigned listen_header_timeout; /* seconds for a request's headers (and between requests) */
    unsigned listen_body_timeout;   /* seconds for a whole request body, then 408 */
    unsigned listen_max_queued;     /* bytes queued to one WebSocket before it is closed */
    char data_knowledge_db[CFG_STR_MAX];
    char data_state_db[CFG_STR_MAX];
    char data_state_url[CFG_STR_MAX]; /* PostgreSQL URL of the shared state; "": data_state_db */
    unsigned data_state_readers;      /* PostgreSQL: reader threads (offload.h); 0: on the loop */
    unsigned data_state_read_queue;   /* ... reads waiting for one, then 503 busy */
    char data_web_root[CFG_STR_MAX];
    char messenger_app_secret[CFG_STR_MAX];
    char messenger_verify_token[CFG_STR_MAX];
    char messenger_page_token[CFG_STR_MAX];
    char messenger_graph_url[CFG_STR_MAX];
    char zalo_app_id[CFG_STR_MAX];
    char zalo_oa_secret[CFG_STR_MAX];
    char zalo_app_secret[CFG_STR_MAX];
    char zalo_access_token[CFG_STR_MAX];
    char zalo_refresh_token[CFG_STR_MAX];
    char zalo_api_url[CFG_STR_MAX];
    char zalo_oauth_url[CFG_STR_MAX];
    char admin_token[CFG_STR_MAX];
    char locality_default[CFG_STR_MAX];
    char log_level[CFG_STR_MAX];
    char report_timezone[CFG_STR_MAX];
    unsigned session_idle_timeout;   /* seconds without a message before a new conversation */
    unsigned session_history_max;    /* turns returned in `welcome` */
    unsigned session_msg_per_minute; /* frames one session may send a minute; 0: no limit */
    unsigned kiosk_idle_seconds;     /* kiosk: idle time before the privacy wipe */
    unsigned kiosk_speech;           /* 1: kiosk replies read aloud (speech.h) */
    unsigned kiosk_speech_cache_mb;  /* bound of the audio cache folder */
    unsigned outbox_give_up_seconds; /* Messenger/Zalo: stop retrying a reply after this */
    unsigned outbox_lease_seconds;   /* a claim on an outbox row lasts this long (store.h) */
    unsigned shutdown_grace_ms;      /* SIGTERM: time to finish writes before exit */
    unsigned officer_session_hours;  /* an officer's login lasts this long */
    unsigned handoff_enabled; /* 1: "gặp cán bộ" puts the citizen in the officers' queue */
    unsigned privacy_retention_days;   /* personal records older than this are purged */
    char privacy_id_key[CFG_STR_MAX];  /* HMAC key of platform user ids; "": from the state db */
    unsigned session_max_age_days;     /* a session token is not resumed after this */
    char site_public_url[CFG_STR_MAX]; /* "https://host[/prefix]", no trailing '/'; "": Host */
    unsigned share_ttl_days;           /* a checklist page /p/<token> lives this long */
};

/* Fills cfg with the defaults, then the JSON file at path (NULL: none), then
 * MOTCUA_* variables from envp (NULL: none). Returns 0, or -EINVAL with err
 * naming the file or variable and the key ("motcua.json: listen.prot:
 * unknown key"). cfg is the caller's; nothing is allocated. */
MC_MUST_CHECK int cfg_load(struct mc_config *cfg, const char *path, char *const *envp,
                           struct mc_err *err);

/* Writes the settings table (key, environment variable, type, default,
 * meaning) for --help. */
void cfg_print_help(FILE *out);

/* True if the value of a key is a secret that must never be logged. */
bool cfg_is_secret(const char *key);

/* The number of worker processes listen.workers asks for: the value, or
 * the number of online cores (at most CFG_WORKERS_MAX) when it is 0. */
unsigned cfg_workers(const struct mc_config *cfg);

/* Channel switches: a channel whose secrets are not all set is disabled. */
/* Where the state lives, as store_open() takes it: data.state_url when set
 * (PostgreSQL), else the SQLite file data.state_db. Borrowed from cfg. */
const char *cfg_state_store(const struct mc_config *cfg);

bool cfg_messenger_enabled(const struct mc_config *cfg);
bool cfg_zalo_enabled(const struct mc_config *cfg);

#endif
