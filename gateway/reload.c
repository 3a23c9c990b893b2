/* gateway/reload.c - see reload.h. */
#include "reload.h"

#include <errno.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "gw.h"
#include "intent.h"
#include "kb.h"
#include "mc_log.h"
#include "office.h"
#include "teach.h"

struct reload {
    struct lws_context *ctx; /* woken when the build is done */
    struct kb *kb;           /* the new snapshot (owned until swapped in) */
    struct teach_phrases *tp;
    int64_t rev;
    struct intent_index *idx; /* built by the thread */
    struct mc_err err;
    struct timespec t0;
    pthread_t thread;
    atomic_bool done;
    bool again; /* another SIGHUP came while this one built */
};

static void *build(void *arg)
{
    struct reload *r = arg;

    r->idx = teach_phrases_index(r->tp, NULL, NULL, &r->err);
    atomic_store(&r->done, true);
    lws_cancel_service(r->ctx); /* the loop swaps it in on its next pass */
    return NULL;
}

static void job_free(struct reload *r)
{
    teach_phrases_free(r->tp);
    intent_index_free(r->idx);
    kb_free(r->kb);
    free(r);
}

void reload_start(struct gw *gw)
{
    struct reload *r;

    if (gw->reload) {
        gw->reload->again = true;
        return;
    }
    r = calloc(1, sizeof(*r));
    if (!r) {
        mc_log(MC_LOG_ERROR, "kb.reload", "error=\"out of memory\" kept=previous");
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    r->ctx = gw->ctx;
    r->kb = kb_open(gw->cfg->data_knowledge_db, &r->err);
    r->tp = r->kb ? teach_phrases_load(r->kb, gw->store, &r->rev, &r->err) : NULL;
    if (!r->tp || pthread_create(&r->thread, NULL, build, r) != 0) {
        mc_log(MC_LOG_ERROR, "kb.reload", "error=\"%s\" kept=previous",
               r->err.text[0] ? r->err.text : "cannot start the build thread");
        job_free(r);
        return;
    }
    gw->reload = r;
}

bool reload_poll(struct gw *gw)
{
    struct reload *r = gw->reload;
    struct timespec t1;
    bool again;

    if (!r)
        return false;
    if (!atomic_load(&r->done))
        return true;
    pthread_join(r->thread, NULL);
    gw->reload = NULL;
    again = r->again;
    if (!r->idx) {
        mc_log(MC_LOG_ERROR, "kb.reload", "error=\"%s\" kept=previous", r->err.text);
    } else {
        intent_index_free(gw->index);
        kb_free(gw->kb);
        gw->kb = r->kb;
        gw->index = r->idx;
        gw->taught_rev = r->rev;
        r->kb = NULL;
        r->idx = NULL;
        if (office_apply(gw)) /* the commune's layer over the new snapshot (office.h) */
            mc_log(MC_LOG_WARN, "office.apply", "at=reload result=shipped_data");
        clock_gettime(CLOCK_MONOTONIC, &t1);
        mc_log(MC_LOG_INFO, "kb.reload", "path=%s index_bytes=%zu build_ms=%.0f background=1",
               gw->cfg->data_knowledge_db, intent_index_memory(gw->index),
               (double)(t1.tv_sec - r->t0.tv_sec) * 1e3 +
                   (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e6);
    }
    job_free(r);
    if (again)
        reload_start(gw);
    return gw->reload != NULL;
}

void reload_cancel(struct gw *gw)
{
    struct reload *r = gw->reload;

    if (!r)
        return;
    pthread_join(r->thread, NULL);
    gw->reload = NULL;
    job_free(r);
}
