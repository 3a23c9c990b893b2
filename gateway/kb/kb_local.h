/* gateway/kb/kb_local.h - the commune's own layer over a knowledge snapshot:
 * the office data admins corrected in the console (gateway/admin/office.h),
 * the local fee/time notes a province sets for a guide, and the deployment's
 * home commune. The reviewed data/ files stay the source; this layer only
 * says what differs here, with who and when kept in the state database.
 *
 * A kb_local is built whole from the state database (off the turn path: at
 * start, on a reload, and when a worker sees the layer's revision change),
 * then attached to a snapshot with kb_set_local(), which frees the one it
 * replaces. Attaching happens between turns on the event-loop thread, so a
 * turn reads one layer throughout; kb_office() and the accessors below read
 * it in memory and do no I/O. */
#ifndef MOTCUA_GATEWAY_KB_LOCAL_H
#define MOTCUA_GATEWAY_KB_LOCAL_H

#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"

#define KB_LOCAL_CODE_MAX 16    /* bytes with the NUL of a ward code */
#define KB_LOCAL_NOTE_MAX 600   /* bytes of a local note as an admin types it */
#define KB_LOCAL_FEE "fee_note" /* the kinds of local notes of a guide */
#define KB_LOCAL_TIME "time_note"

struct kb;
struct kb_local;
struct json_t;

/* A new empty layer of revision rev (the state database's counter), or NULL. */
struct kb_local *kb_local_new(int64_t rev);

/* NULL is a no-op. */
void kb_local_free(struct kb_local *l);

/* Sets the effective office object of code (steals o, even on failure).
 * Returns 0 or -ENOMEM. */
MC_MUST_CHECK int kb_local_put_office(struct kb_local *l, const char *code, struct json_t *o);

/* Sets the note of guide id of kind KB_LOCAL_FEE or KB_LOCAL_TIME, as said to
 * citizens ("Theo thông báo của … ngày 05/12/2026: …"; copied). Returns 0 or
 * -ENOMEM. */
MC_MUST_CHECK int kb_local_put_note(struct kb_local *l, const char *id, const char *kind,
                                    const char *sentence);

/* Sets the home commune: the office admins configured, the default place
 * when locality.default is not set. */
void kb_local_set_home(struct kb_local *l, const char *code);

/* Attaches l to kb (steals it; NULL detaches) and frees the layer it had.
 * Event-loop thread, between turns. */
void kb_set_local(struct kb *kb, struct kb_local *l);

/* The revision of kb's layer, -1 when it has none. */
int64_t kb_local_rev(const struct kb *kb);

/* The office of code as data/offices has it, ignoring the layer (borrowed as
 * kb_office()), or NULL. */
const struct json_t *kb_office_shipped(const struct kb *kb, const char *code);

/* The code of the i-th shipped office (by code), NULL past the last. */
const char *kb_office_code(const struct kb *kb, size_t i);

/* The effective office of code from the layer only, or NULL (kb_office()
 * reads this first). */
const struct json_t *kb_local_office(const struct kb *kb, const char *code);

/* The note of guide id of kind, or NULL; borrowed until the next
 * kb_set_local(). */
const char *kb_local_note(const struct kb *kb, const char *id, const char *kind);

/* The deployment's commune: configured (locality.default) when not empty,
 * else the layer's home, else "". Borrowed. */
const char *kb_default_locality(const struct kb *kb, const char *configured);

/* The commune's name as pages show it: the office's display_name, else its
 * unit_name, else the unit's name; NULL for an unknown code. Borrowed. */
const char *kb_commune_name(const struct kb *kb, const char *code);

#endif
