/* gateway/qr.c - see qr.h. */
#include "qr.h"

#include <errno.h>
#include <qrencode.h>
#include <string.h>

#define QR_QUIET 4 /* modules of white border the QR standard asks for */

int qr_svg(const char *text, struct mc_buf *out)
{
    QRcode *qr;
    int x, y, rc, size;

    if (!text[0])
        return -EINVAL;
    if (strlen(text) > QR_TEXT_MAX)
        return -E2BIG;
    qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr)
        return errno == ERANGE ? -E2BIG : -ENOMEM;
    size = qr->width + 2 * QR_QUIET;
    rc = mc_buf_printf(out,
                       "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                       "shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR\">"
                       "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                       size, size, size, size);
    for (y = 0; !rc && y < qr->width; y++)
        for (x = 0; !rc && x < qr->width; x++)
            if (qr->data[y * qr->width + x] & 1)
                rc = mc_buf_printf(out, "M%d %dh1v1h-1z", x + QR_QUIET, y + QR_QUIET);
    if (!rc)
        rc = mc_buf_puts(out, "\"/></svg>\n");
    QRcode_free(qr);
    return rc;
}
