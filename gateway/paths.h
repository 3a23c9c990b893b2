/* gateway/paths.h - where the server finds its files when it was started from
 * another folder. The defaults of data.knowledge_db, data.state_db and
 * data.web_root are relative to the repository ("build/motcua.db",
 * "channels/web"), so `cd /tmp && /src/motcua/build/motcua serve` used to
 * answer ready and serve 404 for every page. A relative path that does not
 * exist from the working folder is looked up beside the binary instead:
 *   repository: <dir of the binary>/.. and /../.. (build/motcua, build/asan/motcua)
 *   installed:  <prefix>/share/motcua/... and /var/lib/motcua for the state
 *               (<prefix>/bin/motcua; the layout of the Dockerfile)
 * The first place that exists wins; when none does the path is left as it
 * was, and the server says so (paths_announce() and GET /readyz). */
#ifndef MOTCUA_GATEWAY_PATHS_H
#define MOTCUA_GATEWAY_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"

/* Where each of the three paths was found. */
enum paths_origin {
    PATHS_AS_GIVEN, /* absolute, or present relative to the working folder */
    PATHS_REPO,     /* beside the binary, in the repository's layout */
    PATHS_FHS,      /* beside the binary, in the installed layout */
    PATHS_MISSING   /* nowhere: left as given */
};

struct paths_report {
    enum paths_origin knowledge_db, state_db, web_root;
};

/* Rewrites the relative data paths of cfg that do not exist from the working
 * folder, as above. exe is the binary's own path (NULL: /proc/self/exe).
 * Fills *report (may be NULL). Never fails: a path it cannot place is kept. */
void paths_resolve(struct mc_config *cfg, const char *exe, struct paths_report *report);

/* True when dir holds the pages (index.html): what GET /readyz checks. */
bool paths_web_root_ok(const char *dir);

/* The name of an origin for the logs ("as_given", "repo", "installed", "missing"). */
const char *paths_origin_name(enum paths_origin o);

/* Logs event=server.ready with the URL to open and where the pages are served
 * from (a warning when they are missing), and when stdout is a terminal also
 * prints "motcua: open http://HOST:PORT" there: a person ran `make run`. */
void paths_announce(const struct mc_config *cfg, int port);

#endif
