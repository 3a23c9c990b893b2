/* gateway/paths.c - see paths.h. */
#include "paths.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mc_log.h"

#define PATHS_STATE_DIR "/var/lib/motcua" /* the installed layout's state (Dockerfile) */
#define PATHS_SHARE "share/motcua"        /* under the prefix: the database and the pages */

enum paths_kind {
    KIND_FILE,  /* must exist (the knowledge database) */
    KIND_STATE, /* its folder must exist: the file is created there */
    KIND_DIR    /* a folder (the web root) */
};

static bool is_dir(const char *p)
{
    struct stat st;

    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* True when path p can serve as a path of that kind. */
static bool usable(const char *p, enum paths_kind kind)
{
    char dir[CFG_STR_MAX];
    const char *slash;
    struct stat st;

    if (kind == KIND_DIR)
        return is_dir(p);
    if (stat(p, &st) == 0)
        return S_ISREG(st.st_mode);
    if (kind == KIND_FILE)
        return false;
    slash = strrchr(p, '/');
    if (!slash)
        return true; /* a bare name: the working folder exists */
    if ((size_t)(slash - p) >= sizeof(dir))
        return false;
    memcpy(dir, p, (size_t)(slash - p));
    dir[slash - p] = '\0';
    return is_dir(slash == p ? "/" : dir);
}

/* Cuts the last component off p in place ("/a/b/c" -> "/a/b"); false at the root. */
static bool up(char *p)
{
    char *slash = strrchr(p, '/');

    if (!slash || slash == p)
        return false;
    *slash = '\0';
    return true;
}

/* Tries candidate "<base>/<rel>" and copies it into out (size CFG_STR_MAX) when usable. */
static bool try_at(const char *base, const char *rel, enum paths_kind kind, char *out)
{
    char cand[CFG_STR_MAX];
    int n = snprintf(cand, sizeof(cand), "%s/%s", base, rel);

    if (n < 0 || (size_t)n >= sizeof(cand) || !usable(cand, kind))
        return false;
    memcpy(out, cand, (size_t)n + 1);
    return true;
}

/* The folder of the installed layout for a path of that kind, when the binary
 * is <prefix>/bin/motcua: <prefix>/share/motcua, or /var/lib/motcua for the
 * state. Writes it to base (CFG_STR_MAX bytes); false when not installed. */
static bool installed_base(const char *exe_dir, enum paths_kind kind, char *base)
{
    const char *slash = strrchr(exe_dir, '/');
    size_t prefix;
    int n;

    if (!slash || strcmp(slash, "/bin") != 0)
        return false;
    if (kind == KIND_STATE) {
        memcpy(base, PATHS_STATE_DIR, sizeof PATHS_STATE_DIR);
        return true;
    }
    prefix = (size_t)(slash - exe_dir); /* "" for /bin: the prefix is the root */
    n = snprintf(base, CFG_STR_MAX, "%.*s/" PATHS_SHARE, (int)prefix, exe_dir);
    return n > 0 && n < CFG_STR_MAX;
}

/* One setting: leaves path alone when absolute or usable from the working
 * folder, else the first usable place beside the binary (paths.h). */
static enum paths_origin resolve_one(char *path, enum paths_kind kind, const char *exe_dir,
                                     const char *key)
{
    char base[CFG_STR_MAX], lbuf[CFG_STR_MAX * 2 + 64];
    const char *name = strrchr(path, '/');
    enum paths_origin o = PATHS_MISSING;
    int i;

    if (!path[0] || path[0] == '/' || usable(path, kind))
        return PATHS_AS_GIVEN;
    name = name ? name + 1 : path;
    if (exe_dir[0]) {
        /* the repository: build/motcua or build/asan/motcua */
        snprintf(base, sizeof(base), "%s", exe_dir);
        for (i = 0; i < 2 && o == PATHS_MISSING && up(base); i++)
            if (try_at(base, path, kind, path))
                o = PATHS_REPO;
    }
    if (o == PATHS_MISSING && name[0] && installed_base(exe_dir, kind, base) &&
        try_at(base, name, kind, path))
        o = PATHS_FHS;
    if (o == PATHS_MISSING)
        mc_log(MC_LOG_WARN, "paths.missing", "key=%s path=%s cwd_relative=1", key,
               mc_log_quote(path, lbuf, sizeof(lbuf)));
    else
        mc_log(MC_LOG_INFO, "paths.resolved", "key=%s path=%s from=%s", key,
               mc_log_quote(path, lbuf, sizeof(lbuf)), paths_origin_name(o));
    return o;
}

void paths_resolve(struct mc_config *cfg, const char *exe, struct paths_report *report)
{
    char self[PATH_MAX], exe_dir[CFG_STR_MAX] = "";
    struct paths_report r;
    ssize_t n;

    if (!exe) {
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        self[n > 0 ? n : 0] = '\0';
        exe = self;
    }
    /* the binary's folder, when it is known and absolute */
    if (exe[0] == '/' && strlen(exe) < sizeof(exe_dir)) {
        memcpy(exe_dir, exe, strlen(exe) + 1);
        if (!up(exe_dir))
            exe_dir[0] = '\0';
    }
    r.knowledge_db = resolve_one(cfg->data_knowledge_db, KIND_FILE, exe_dir, "data.knowledge_db");
    r.state_db = cfg->data_state_url[0] /* PostgreSQL: the file is not used, nor looked for */
                     ? PATHS_AS_GIVEN
                     : resolve_one(cfg->data_state_db, KIND_STATE, exe_dir, "data.state_db");
    r.web_root = resolve_one(cfg->data_web_root, KIND_DIR, exe_dir, "data.web_root");
    if (report)
        *report = r;
}

bool paths_web_root_ok(const char *dir)
{
    char index[CFG_STR_MAX + sizeof "/index.html"];
    struct stat st;

    snprintf(index, sizeof(index), "%s/index.html", dir);
    return stat(index, &st) == 0 && S_ISREG(st.st_mode);
}

const char *paths_origin_name(enum paths_origin o)
{
    switch (o) {
    case PATHS_AS_GIVEN:
        return "as_given";
    case PATHS_REPO:
        return "repo";
    case PATHS_FHS:
        return "installed";
    case PATHS_MISSING:
        break;
    }
    return "missing";
}

void paths_announce(const struct mc_config *cfg, int port)
{
    char abs[PATH_MAX], qbuf[PATH_MAX + 64], url[CFG_STR_MAX + 32];
    const char *host = cfg->listen_host;
    const char *web = realpath(cfg->data_web_root, abs) ? abs : cfg->data_web_root;
    bool ok = paths_web_root_ok(cfg->data_web_root);

    /* a wildcard address is opened on this machine as the loopback */
    if (!host[0] || strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    snprintf(url, sizeof(url), strchr(host, ':') ? "http://[%s]:%d" : "http://%s:%d", host, port);
    if (ok)
        mc_log(MC_LOG_INFO, "server.ready", "url=%s web_root=%s", url,
               mc_log_quote(web, qbuf, sizeof(qbuf)));
    else
        mc_log(MC_LOG_WARN, "server.ready", "url=%s web_root=%s pages=missing readyz=503", url,
               mc_log_quote(web, qbuf, sizeof(qbuf)));
    /* the line for a person who ran `make run`; logs stay key=value lines on stderr */
    if (isatty(STDOUT_FILENO)) {
        printf("motcua: open %s\n", url);
        if (!ok)
            printf("motcua: no pages to serve: %s has no index.html (data.web_root)\n", web);
        fflush(stdout);
    }
}
