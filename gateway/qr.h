/* gateway/qr.h - QR codes as SVG (libqrencode), so the kiosk can show a code
 * that opens the same guide on the citizen's phone, with no image library
 * and nothing sent to a third party. Pure function. */
#ifndef MOTCUA_GATEWAY_QR_H
#define MOTCUA_GATEWAY_QR_H

#include "mc_buf.h"
#include "mc_err.h"

#define QR_TEXT_MAX 512 /* bytes; a URL of ours is far shorter */

/* Appends an SVG image of text as a QR code (error correction M, 4-module
 * quiet zone) to out. Returns 0, -E2BIG (text or out too long), -EINVAL
 * (text empty) or -ENOMEM. */
MC_MUST_CHECK int qr_svg(const char *text, struct mc_buf *out);

#endif
