/* gateway/admin/teach_build_answer.c - the answers teach_build.c sends to
 * the requests it holds: a taught phrase's 201 and 409, a DELETE's 200, the
 * errors (500 when a commit failed, 503), each on a connection that may have
 * closed meanwhile. */
#include "teach_build.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <stdio.h>

#include "gw.h"
#include "http.h"
#include "http_hold.h"
#include "officer_http.h"
#include "teach.h"
#include "teach_build_int.h"

/* Answers the request waiting on wsi with j (consumed); a connection that
 * cannot take it is closed (outside its callback: no -1 to return). */
void teach_build_respond(struct gw *gw, struct lws *wsi, unsigned status, json_t *j,
                         const char *hdr)
{
    struct http_req *r = wsi ? gw_http_req(wsi) : NULL;

    if (!r) {
        json_decref(j);
        return;
    }
    if (gw->draining) /* stopping: the whole answer now, then close (the drain may end first) */
        r->close_after = true;
    if (officer_http_respond(gw, wsi, r, status, j, hdr))
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* A write whose commit failed: the 500 every held write answers then (http_hold.h). */
void teach_build_respond_failed(struct gw *gw, struct lws *wsi)
{
    static const char body[] = HTTP_HOLD_FAILED_BODY;
    struct http_req *r = wsi ? gw_http_req(wsi) : NULL;

    if (!r)
        return;
    if (gw->draining)
        r->close_after = true;
    if (http_respond(gw, wsi, r, 500, "application/json", body, sizeof body - 1, NULL))
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void teach_build_respond_error(struct gw *gw, struct lws *wsi, unsigned status, const char *code,
                               const char *message)
{
    teach_build_respond(gw, wsi, status, json_pack("{s:s,s:s}", "error", code, "message", message),
                        NULL);
}

void teach_build_answer_deleted(struct gw *gw, const struct pending *p)
{
    teach_build_respond(gw, p->wsi, 200,
                        json_pack("{s:I,s:s}", "deleted", (json_int_t)p->id, "label", p->label),
                        NULL);
}

/* A 409 naming the phrase it conflicts with. */
void teach_build_answer_conflict(struct gw *gw, struct lws *wsi, const struct teach_conflict *c)
{
    char msg[TEACH_TEXT_MAX + 256];

    if (c->verdict == TEACH_DUPLICATE)
        snprintf(msg, sizeof(msg), "Câu này đã có trong dữ liệu của thủ tục \"%s\": \"%s\".",
                 c->label, c->text);
    else if (c->verdict == TEACH_NEAR_OTHER)
        snprintf(msg, sizeof(msg),
                 "Câu này gần giống câu \"%s\" đã được gán cho \"%s\" (giống %.0f%%): "
                 "không thể gán cho thủ tục khác.",
                 c->text, c->label, c->similarity * 100);
    else
        snprintf(msg, sizeof(msg),
                 "Nếu dạy câu này, chatbot sẽ hiểu sai câu \"%s\" (của \"%s\", sẽ thành \"%s\").",
                 c->text, c->label, c->answer);
    teach_build_respond(gw, wsi, 409,
                        json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:f}}", "error", "conflict",
                                  "reason", teach_verdict_name(c->verdict), "message", msg,
                                  "conflict", "text", c->text, "label", c->label, "answer",
                                  c->answer, "similarity", c->similarity),
                        NULL);
}

void teach_build_answer_waiters(struct gw *gw, struct job *j)
{
    size_t i;

    for (i = 0; i < j->n_waiters; i++)
        teach_build_answer_deleted(gw, &j->waiters[i]);
    j->n_waiters = 0;
}

/* The server stops before p is done: a teach was not stored (503, sent again
 * later); a DELETE was committed before it waited, so it is answered as done
 * (this worker's index no longer matters, the others rebuild by themselves). */
void teach_build_answer_stopping(struct gw *gw, const struct pending *p)
{
    if (p->post)
        teach_build_respond_error(gw, p->wsi, 503, "shutting_down", "The server is stopping.");
    else
        teach_build_answer_deleted(gw, p);
}
