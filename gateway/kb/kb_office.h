/* gateway/kb/kb_office.h - the checks of an office object
 * (data/offices/<code>.json), shared by motcua import and the console's
 * office editor (gateway/admin/office.h) so that what an official types in
 * the browser passes exactly the rules a reviewed file does. Pure. */
#ifndef MOTCUA_GATEWAY_KB_OFFICE_H
#define MOTCUA_GATEWAY_KB_OFFICE_H

#include <stddef.h>

#define KB_OFFICE_NAME_MAX 128     /* bytes of display_name: a commune's name in a header */
#define KB_OFFICE_URL_MAX 512      /* bytes of portal_url and map_url */
#define KB_OFFICE_COUNTERS_MAX 20  /* counters (quầy) of one centre */
#define KB_OFFICE_COUNTER_NO_MAX 8 /* bytes of a counter's number ("1", "2A") */
#define KB_OFFICE_DOMAINS_MAX 16   /* domains one counter takes */

struct json_t;

/* Called once per problem with the field ("hours", "portal_url") and what is
 * wrong; both borrowed for the call. */
typedef void (*kb_office_report)(void *ctx, const char *field, const char *problem);

/* Checks office o as the importer does: unit_name, province, office_name,
 * portal_url and reviewed non-empty strings; address, hours, phone and
 * hotline facts {"text": string|null, "verify": bool} (text null only with
 * verify true); hours.schedule and hours.holidays (kb_hours_parse);
 * portal_url and map_url (optional) https URLs; display_name (optional) a
 * name of 1..KB_OFFICE_NAME_MAX bytes; counters (optional) an array of at
 * most KB_OFFICE_COUNTERS_MAX {"number": 1..KB_OFFICE_COUNTER_NO_MAX bytes
 * of letters and digits, "name": a name as display_name, "domains"?: up to
 * KB_OFFICE_DOMAINS_MAX domain ids [a-z-]}. Returns how many problems it
 * reported (0: valid). Not checked here: the unit code against the units. */
int kb_office_check(const struct json_t *o, kb_office_report report, void *ctx);

/* Whether s is a well-formed https URL of at most KB_OFFICE_URL_MAX bytes
 * with no space, quote or angle bracket (it is put into pages and links). */
int kb_office_https_ok(const char *s);

#endif
