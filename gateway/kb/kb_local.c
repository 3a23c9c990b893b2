/* gateway/kb/kb_local.c - see kb_local.h. A deployment serves a handful of
 * communes and a province sets notes on a few guides: jansson objects keyed
 * by code and id are all the index this needs. */
#include "kb_local.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb.h"

struct kb_local {
    int64_t rev;
    json_t *offices; /* code -> the effective office object */
    json_t *notes;   /* guide id -> {"fee_note": sentence, "time_note": sentence} */
    char home[KB_LOCAL_CODE_MAX];
};

struct kb_local *kb_local_new(int64_t rev)
{
    struct kb_local *l = calloc(1, sizeof(*l));

    if (!l)
        return NULL;
    l->rev = rev;
    l->offices = json_object();
    l->notes = json_object();
    if (!l->offices || !l->notes) {
        kb_local_free(l);
        return NULL;
    }
    return l;
}

void kb_local_free(struct kb_local *l)
{
    if (!l)
        return;
    json_decref(l->offices);
    json_decref(l->notes);
    free(l);
}

int kb_local_put_office(struct kb_local *l, const char *code, json_t *o)
{
    return o && json_object_set_new(l->offices, code, o) == 0 ? 0 : -ENOMEM;
}

int kb_local_put_note(struct kb_local *l, const char *id, const char *kind, const char *sentence)
{
    json_t *g = json_object_get(l->notes, id);

    if (!g) {
        g = json_object();
        if (!g || json_object_set_new(l->notes, id, g))
            return -ENOMEM;
    }
    return json_object_set_new(g, kind, json_string(sentence)) ? -ENOMEM : 0;
}

void kb_local_set_home(struct kb_local *l, const char *code)
{
    snprintf(l->home, sizeof(l->home), "%s", code && strlen(code) < sizeof(l->home) ? code : "");
}

int64_t kb_local_rev(const struct kb *kb)
{
    const struct kb_local *l = kb ? kb_local_layer(kb) : NULL;

    return l ? l->rev : -1;
}

const json_t *kb_local_office(const struct kb *kb, const char *code)
{
    const struct kb_local *l = kb_local_layer(kb);

    return l && code ? json_object_get(l->offices, code) : NULL;
}

const char *kb_local_note(const struct kb *kb, const char *id, const char *kind)
{
    const struct kb_local *l = kb_local_layer(kb);

    if (!l || !id)
        return NULL;
    return json_string_value(json_object_get(json_object_get(l->notes, id), kind));
}

const char *kb_default_locality(const struct kb *kb, const char *configured)
{
    const struct kb_local *l = kb ? kb_local_layer(kb) : NULL;

    if (configured && configured[0])
        return configured;
    return l ? l->home : "";
}

const char *kb_commune_name(const struct kb *kb, const char *code)
{
    const json_t *o = code && code[0] ? kb_office(kb, code) : NULL;
    const char *s = json_string_value(json_object_get(o, "display_name"));

    if (s && s[0])
        return s;
    s = json_string_value(json_object_get(o, "unit_name"));
    if (s && s[0])
        return s;
    return code && code[0] ? json_string_value(json_object_get(kb_unit(kb, code), "name")) : NULL;
}
