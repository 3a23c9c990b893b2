/* gateway/admin/unanswered.c - see unanswered.h. The store hands the
 * messages newest first; each is copied with its word set, then grouped,
 * and the groups are written most asked first. */
#include "unanswered.h"

#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "gw.h"
#include "http.h"
#include "kb.h"
#include "mc_log.h"
#include "officer.h"
#include "officer_http.h"
#include "offload.h"
#include "report.h"
#include "store.h"

size_t unanswered_group(const struct teach_words *w, size_t n, size_t *group_of)
{
    size_t *first = malloc((n ? n : 1) * sizeof(*first)); /* message that opened each group */
    size_t i, g, ng = 0;

    if (!first) { /* no memory: every message its own group, still an answer */
        for (i = 0; i < n; i++)
            group_of[i] = i;
        return n;
    }
    for (i = 0; i < n; i++) {
        for (g = 0; g < ng && teach_jaccard(&w[first[g]], &w[i]) < TEACH_NEAR; g++)
            ;
        if (g == ng)
            first[ng++] = i;
        group_of[i] = g;
    }
    free(first);
    return ng;
}

struct row {
    int64_t id, ts;
    char channel[STORE_CHANNEL_MAX];
    char label[TEACH_LABEL_MAX];
    char decision[8];
    double confidence;
    char *text;
    json_t *candidates; /* the reply's understanding.candidates, or an empty array */
};

struct rows {
    struct row *r;
    struct teach_words *w;
    size_t n;
};

static int on_row(void *ctx, const struct store_unanswered *u)
{
    struct rows *rs = ctx;
    struct row *r = &rs->r[rs->n];
    char *fold;

    if (rs->n >= UNANSWERED_ROWS_MAX)
        return 1;
    memset(r, 0, sizeof(*r));
    r->id = u->id;
    r->ts = u->ts;
    snprintf(r->channel, sizeof(r->channel), "%s", u->channel);
    snprintf(r->label, sizeof(r->label), "%s", u->label);
    snprintf(r->decision, sizeof(r->decision), "%s", u->decision);
    r->confidence = u->confidence;
    r->text = strdup(u->text);
    r->candidates = json_loads(u->candidates, 0, NULL);
    if (!json_is_array(r->candidates)) {
        json_decref(r->candidates);
        r->candidates = json_array();
    }
    fold = malloc(TEACH_FOLD_MAX);
    if (!r->text || !r->candidates || !fold) {
        free(fold);
        free(r->text);
        json_decref(r->candidates);
        return -ENOMEM;
    }
    if (teach_fold(r->text, strlen(r->text), fold, TEACH_FOLD_MAX))
        fold[0] = '\0'; /* stored text that does not fold groups with the empty ones */
    teach_words_of(fold, &rs->w[rs->n]);
    free(fold);
    rs->n++;
    return 0;
}

struct group {
    size_t num;          /* its number in group_of */
    size_t first, count; /* first: its newest message */
    unsigned none, clarify, match;
    size_t examples[UNANSWERED_EXAMPLES], n_examples;
};

static int by_count(const void *a, const void *b)
{
    const struct group *x = a, *y = b;

    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return (x->first > y->first) - (x->first < y->first); /* ties: the newest first */
}

static const char *label_name(const struct kb *kb, const char *label)
{
    const json_t *g = kb ? kb_guide(kb, label) : NULL;
    const char *name = json_string_value(json_object_get(g, "short_name"));

    if (!name || !name[0])
        name = json_string_value(json_object_get(g, "name"));
    return name ? name : "";
}

/* The group's labels: each with the highest confidence any of its messages
 * gave it, highest first, at most UNANSWERED_CANDIDATES. */
static json_t *group_candidates(const struct kb *kb, const struct rows *rs, const size_t *group_of,
                                size_t g)
{
    json_t *best = json_object(), *out = json_array(), *c, *v;
    const char *label, *pick;
    size_t i, k;
    double conf, top;

    if (!best || !out)
        goto fail;
    for (i = 0; i < rs->n; i++) {
        if (group_of[i] != g)
            continue;
        json_array_foreach(rs->r[i].candidates, k, c)
        {
            label = json_string_value(json_object_get(c, "label"));
            conf = json_number_value(json_object_get(c, "confidence"));
            v = label ? json_object_get(best, label) : NULL;
            if (label && (!v || json_real_value(v) < conf) &&
                json_object_set_new(best, label, json_real(conf)))
                goto fail;
        }
    }
    for (k = 0; k < UNANSWERED_CANDIDATES && json_object_size(best); k++) {
        pick = NULL;
        top = -1;
        json_object_foreach(best, label, v) if (json_real_value(v) > top)
        {
            top = json_real_value(v);
            pick = label;
        }
        if (json_array_append_new(out, json_pack("{s:s,s:s,s:f}", "label", pick, "name",
                                                 label_name(kb, pick), "confidence", top)) ||
            json_object_del(best, pick))
            goto fail;
    }
    json_decref(best);
    return out;
fail:
    json_decref(best);
    json_decref(out);
    return NULL;
}

static json_t *example(const struct row *r)
{
    return json_pack("{s:s,s:I,s:s,s:s,s:s,s:f,s:O}", "text", r->text, "ts", (json_int_t)r->ts,
                     "channel", r->channel, "decision", r->decision, "label", r->label,
                     "confidence", r->confidence, "candidates", r->candidates);
}

static json_t *group_json(const struct kb *kb, const struct rows *rs, const size_t *group_of,
                          const struct group *gr)
{
    json_t *ex = json_array(), *j;
    size_t i;

    for (i = 0; ex && i < gr->n_examples; i++)
        if (json_array_append_new(ex, example(&rs->r[gr->examples[i]]))) {
            json_decref(ex);
            ex = NULL;
        }
    j = json_pack("{s:s,s:I,s:I,s:{s:i,s:i,s:i},s:o*,s:o*}", "text", rs->r[gr->first].text, "count",
                  (json_int_t)gr->count, "last_ts", (json_int_t)rs->r[gr->first].ts, "decisions",
                  "none", gr->none, "clarify", gr->clarify, "match", gr->match, "candidates",
                  group_candidates(kb, rs, group_of, gr->num), "examples", ex);
    if (j && (!json_is_array(json_object_get(j, "candidates")) ||
              !json_is_array(json_object_get(j, "examples")))) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

struct json_t *unanswered_json(struct store *st, const struct kb *kb, const char *from,
                               const char *to, const char *tz, struct mc_err *err)
{
    struct store_report_span sp;
    struct rows rs = {0};
    struct group *groups = NULL;
    size_t *group_of = NULL, ng = 0, i, g;
    json_t *out = NULL, *arr = NULL;
    int rc;

    if (report_span(from, to, tz, &sp)) {
        mc_err_set(err, "bad range or report.timezone");
        return NULL;
    }
    rs.r = calloc(UNANSWERED_ROWS_MAX, sizeof(*rs.r));
    rs.w = calloc(UNANSWERED_ROWS_MAX, sizeof(*rs.w));
    group_of = calloc(UNANSWERED_ROWS_MAX, sizeof(*group_of));
    groups = calloc(UNANSWERED_ROWS_MAX, sizeof(*groups));
    if (!rs.r || !rs.w || !group_of || !groups)
        goto nomem;
    rc = store_unanswered(st, &sp, UNANSWERED_LOW_CONFIDENCE, UNANSWERED_ROWS_MAX, on_row, &rs);
    if (rc == -ENOMEM)
        goto nomem;
    if (rc) {
        mc_err_set(err, "the state database failed");
        goto out;
    }
    ng = unanswered_group(rs.w, rs.n, group_of);
    for (i = 0; i < rs.n; i++) {
        struct group *gr = &groups[group_of[i]];

        if (gr->count++ == 0) {
            gr->num = group_of[i];
            gr->first = i;
        }
        gr->none += strcmp(rs.r[i].decision, "none") == 0;
        gr->clarify += strcmp(rs.r[i].decision, "clarify") == 0;
        gr->match += strcmp(rs.r[i].decision, "match") == 0;
        if (gr->n_examples < UNANSWERED_EXAMPLES)
            gr->examples[gr->n_examples++] = i;
    }
    qsort(groups, ng, sizeof(*groups), by_count);
    arr = json_array();
    if (!arr)
        goto nomem;
    for (g = 0; g < ng && g < UNANSWERED_GROUPS_MAX; g++)
        if (json_array_append_new(arr, group_json(kb, &rs, group_of, &groups[g])))
            goto nomem;
    out = json_pack("{s:s,s:s,s:s,s:f,s:I,s:b,s:O}", "from", from, "to", to, "timezone", tz,
                    "low_confidence", UNANSWERED_LOW_CONFIDENCE, "messages", (json_int_t)rs.n,
                    "truncated", rs.n >= UNANSWERED_ROWS_MAX, "groups", arr);
    if (!out)
        goto nomem;
    goto out;
nomem:
    mc_err_set(err, "out of memory");
out:
    json_decref(arr);
    for (i = 0; rs.r && i < rs.n; i++) {
        free(rs.r[i].text);
        json_decref(rs.r[i].candidates);
    }
    free(rs.r);
    free(rs.w);
    free(group_of);
    free(groups);
    return out;
}

/* ---- off the loop (PostgreSQL: offload.h) ------------------------------ */

struct job {
    char fb[UNANSWERED_ARG_MAX], tb[UNANSWERED_ARG_MAX];
    const char *from, *to; /* into fb, tb, or NULL: missing */
    char tz[CFG_STR_MAX];  /* report.timezone */
    struct kb *kb;         /* a reference: names the labels; NULL: not loaded */
    bool ready;            /* the knowledge and its index were loaded (teach_http.c's check) */
    char cookie[OFFICER_TOKEN_LEN + 1];
};

static void job_free(void *arg)
{
    struct job *j = arg;

    if (!j)
        return;
    kb_unref(j->kb);
    explicit_bzero(j->cookie, sizeof(j->cookie));
    free(j);
}

static json_t *job_error(unsigned *status, unsigned code, const char *error, const char *message)
{
    *status = code;
    return json_pack("{s:s,s:s}", "error", error, "message", message);
}

/* The answer teach_http.c's route and api_unanswered() make, in their order. */
static json_t *job_answer(struct store *st, struct job *j, unsigned *status)
{
    struct store_officer o;
    char csrf[STORE_OFFICER_CSRF_MAX], token_hash[OFFICER_TOKEN_LEN + 1];
    struct mc_err err = {{0}};
    enum report_format fmt;
    const char *code;
    json_t *out;
    int auth = st ? officer_http_session_in(st, j->cookie, &o, csrf, token_hash) : -EIO;

    explicit_bzero(csrf, sizeof(csrf));
    if (auth == -ENOENT)
        return job_error(status, 401, "unauthorized", "Chưa đăng nhập.");
    if (auth)
        return job_error(status, 503, "internal", "The state database failed.");
    if (strcmp(o.role, "admin") != 0)
        return job_error(status, 403, "forbidden", "Chỉ quản trị viên được dùng trang quản trị.");
    if (!j->ready)
        return job_error(status, 503, "not_ready", "The knowledge base is not loaded.");
    code = report_check_query(j->from, j->to, NULL, &fmt, &err);
    if (code)
        return job_error(status, 400, code, err.text);
    out = unanswered_json(st, j->kb, j->from, j->to, j->tz, &err);
    if (!out) {
        mc_log(MC_LOG_ERROR, "admin.unanswered", "error=\"%s\"", err.text);
        return job_error(status, 503, "internal", "The list could not be built.");
    }
    *status = 200;
    return out;
}

/* offload_run_fn: the body officer_http_respond() would send. */
static int job_run(struct store *st, void *arg, struct offload_reply *out)
{
    unsigned status = 503;
    json_t *body = job_answer(st, arg, &status); /* sets status: before it is passed */

    return offload_reply_json(out, status, body);
}

int unanswered_http_offload(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    struct job *j = calloc(1, sizeof(*j));

    if (!j)
        return officer_http_error(gw, wsi, r, 503, "internal", "Out of memory.");
    j->from = lws_get_urlarg_by_name(wsi, "from=", j->fb, (int)sizeof(j->fb));
    j->to = lws_get_urlarg_by_name(wsi, "to=", j->tb, (int)sizeof(j->tb));
    snprintf(j->tz, sizeof(j->tz), "%s", gw->cfg->report_timezone);
    j->kb = gw->kb ? kb_ref(gw->kb) : NULL;
    j->ready = gw->kb && gw->index;
    if (strlen(r->officer_cookie) < sizeof(j->cookie)) /* longer: "" is no session */
        snprintf(j->cookie, sizeof(j->cookie), "%s", r->officer_cookie);
    return offload_answer(gw, wsi, r, job_run, j, job_free);
}
