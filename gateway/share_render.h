/* gateway/share_render.h - the checklist's picture (GET /p/<token>.png)
 * drawn off the event loop. Drawing one with Pango on cairo takes ~65 ms
 * (~100 ms the first time, fontconfig's start); on the loop that held every
 * turn of the worker for as long, per request, so a few requests a second for
 * a page of one's own could stall everyone. Here the loop hands the snapshot
 * to a drawing thread, goes on serving, and answers the request when the
 * picture is done. One picture is drawn at a time (fontconfig and Pango's
 * font map are shared state, and one core is what a worker should spend on
 * pictures); up to SHARE_RENDER_QUEUE requests wait, more get 503 with
 * Retry-After. The last SHARE_RENDER_CACHE pictures are kept, so a picture
 * asked for again (a reload, "Lưu ảnh" after viewing) is not drawn again.
 * Everything here runs on the event-loop thread except the drawing. */
#ifndef MOTCUA_GATEWAY_SHARE_RENDER_H
#define MOTCUA_GATEWAY_SHARE_RENDER_H

#include <stdbool.h>

#define SHARE_RENDER_QUEUE 8   /* requests waiting for a picture, per worker */
#define SHARE_RENDER_CACHE 8   /* pictures kept, per worker (each up to ~0.5 MB) */
#define SHARE_RENDER_WAIT_S 60 /* seconds a request may wait for its picture (lws: 20) */

struct gw;
struct lws;
struct json_t;
struct share_render; /* opaque; gw->share_render */

/* A new, idle renderer (share_render_free()), or NULL (out of memory). */
struct share_render *share_render_new(void);

/* Waits for the picture being drawn, answers every waiting request 503
 * (the server is stopping) and frees sr (NULL: nothing). Loop thread. */
void share_render_free(struct gw *gw, struct share_render *sr);

/* Answers the request on wsi with the picture of snapshot snap (not
 * consumed) for key (the token and the page's URL: what the picture shows
 * besides snap), commune and url as share_png() takes them: at once from the
 * cache, else when drawn. Returns 0 (answered, or the answer will come), -1
 * to close, or -EBUSY when SHARE_RENDER_QUEUE requests wait already (the
 * caller answers 503). */
int share_render_answer(struct gw *gw, struct lws *wsi, const char *key, const struct json_t *snap,
                        const char *commune, const char *url);

/* Answers the requests whose picture is done and starts the next drawing.
 * Cheap when nothing finished: call it every loop pass. */
void share_render_poll(struct gw *gw);

/* The connection of wsi is closing: its waiting request is dropped (the
 * drawing goes on and is cached). */
void share_render_forget(struct gw *gw, struct lws *wsi);

#endif
