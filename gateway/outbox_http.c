/* gateway/outbox_http.c - the outbox's HTTP requests (outbox.h): a slot's
 * connection to the platform with the lws client, its request written and
 * its answer read; what an answer means is outbox.c's (ob_slot_finish()). */
#include <errno.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "mc_buf.h"
#include "mc_log.h"
#include "outbox.h"
#include "outbox_int.h"

static int split_url(const char *url, bool *tls, char *host, size_t hcap, int *port,
                     const char **path)
{
    const char *p, *h, *slash;
    size_t n;

    if (strncmp(url, "https://", sizeof "https://" - 1) == 0) {
        *tls = true;
        h = url + sizeof "https://" - 1;
        *port = 443;
    } else if (strncmp(url, "http://", sizeof "http://" - 1) == 0) {
        *tls = false;
        h = url + sizeof "http://" - 1;
        *port = 80;
    } else {
        return -EINVAL;
    }
    slash = strchr(h, '/');
    n = slash ? (size_t)(slash - h) : strlen(h);
    p = memchr(h, ':', n);
    if (p) {
        char *end;
        unsigned long v = strtoul(p + 1, &end, 10);

        if (end != h + n || v == 0 || v > 65535)
            return -EINVAL;
        *port = (int)v;
        n = (size_t)(p - h);
    }
    if (n == 0 || n >= hcap)
        return -EINVAL;
    memcpy(host, h, n);
    host[n] = '\0';
    *path = slash ? slash : "/";
    return 0;
}

/* Connects s to url; the body and headers are already in s. */
int ob_slot_connect(struct outbox *ob, struct ob_slot *s, const char *url)
{
    struct lws_client_connect_info i;
    char host[OB_HOST_MAX];
    const char *path;
    bool tls;
    int port;

    if (split_url(url, &tls, host, sizeof(host), &port, &path))
        return -EINVAL;
    memset(&i, 0, sizeof(i));
    i.context = ob->gw->ctx;
    i.address = host;
    i.host = host;
    i.origin = host;
    i.port = port;
    i.path = path;
    i.method = "POST";
    i.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
    i.protocol = OUTBOX_PROTOCOL;
    i.local_protocol_name = OUTBOX_PROTOCOL;
    i.userdata = s;
    i.pwsi = &s->wsi;
    s->busy = true;
    if (!lws_client_connect_via_info(&i)) {
        s->wsi = NULL;
        if (s->busy) { /* lws reported nothing: count it as a failed try */
            s->status = 0;
            ob_slot_finish(s);
        }
        return 0;
    }
    s->started_ms = ob_now_ms();
    lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_REASON_BASE, OUTBOX_TIMEOUT_S);
    return 0;
}

int ob_slot_set_body(struct ob_slot *s, const char *body, size_t len)
{
    s->body = malloc(LWS_PRE + len + 1);
    if (!s->body)
        return -ENOMEM;
    memcpy(s->body + LWS_PRE, body, len);
    s->body_len = len;
    mc_buf_init(&s->resp, OUTBOX_RESPONSE_MAX);
    return 0;
}

/* ---- the lws client callback --------------------------------------------- */

int outbox_callback(struct gw *gw, void *vwsi, int reason, void *user, void *in, size_t len)
{
    struct lws *wsi = vwsi;
    struct ob_slot *s = user;
    char buf[1024 + LWS_PRE], *px;
    int lenx;

    (void)gw;
    if (!s || !s->busy || s->wsi != wsi) {
        if (reason == LWS_CALLBACK_RECEIVE_CLIENT_HTTP) { /* drain what nobody waits for */
            px = buf + LWS_PRE;
            lenx = (int)sizeof(buf) - LWS_PRE;
            return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
        }
        return 0;
    }
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        unsigned char **p = (unsigned char **)in, *end = (*p) + len;

        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                         (const unsigned char *)s->ctype, (int)strlen(s->ctype), p,
                                         end) ||
            lws_add_http_header_content_length(wsi, s->body_len, p, end))
            return -1;
        if (s->hdr_name[0] && lws_add_http_header_by_name(wsi, (const unsigned char *)s->hdr_name,
                                                          (const unsigned char *)s->hdr_value,
                                                          (int)strlen(s->hdr_value), p, end))
            return -1;
        lws_client_http_body_pending(wsi, 1);
        lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
        if (s->body_sent)
            break;
        if (lws_write(wsi, s->body + LWS_PRE, s->body_len, LWS_WRITE_HTTP_FINAL) !=
            (int)s->body_len)
            return -1;
        s->body_sent = true;
        lws_client_http_body_pending(wsi, 0);
        break;
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        s->status = (int)lws_http_client_http_response(wsi);
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if (mc_buf_append(&s->resp, in, len) != 0)
            mc_buf_reset(&s->resp); /* an oversized answer is not one we can read */
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
        px = buf + LWS_PRE;
        lenx = (int)sizeof(buf) - LWS_PRE;
        if (lws_http_client_read(wsi, &px, &lenx) < 0)
            return -1;
        break;
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        ob_slot_finish(s);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        mc_log(MC_LOG_WARN, "outbox.connect", "channel=%s error=\"%.80s\"", s->channel,
               in ? (const char *)in : "");
        s->status = 0;
        ob_slot_finish(s);
        break;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        /* closed before completing: a timeout or a dropped connection. A 5xx
         * or 429 already seen still counts as such; anything else is "no
         * answer" and retried (at least once delivery). */
        if (!(s->status >= 200 && s->status < 300 && s->resp.len > 0) &&
            !(s->status >= 400 && s->resp.len > 0) && s->status != 429 && s->status < 500)
            s->status = 0;
        ob_slot_finish(s);
        break;
    default:
        break;
    }
    return 0;
}
