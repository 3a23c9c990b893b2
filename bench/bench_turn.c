/* bench/bench_turn.c - the cost of one whole conversation turn (not a test):
 *   build/bench/bench_turn [KNOWLEDGE.db] [SECONDS]
 * Runs understanding (intent_match) and the conversation (conv_handle) over a
 * fixed list of invented citizen turns, typed texts and quick-reply payloads,
 * with a fresh dialogue state every BENCH_SESSION_TURNS turns, the way a
 * session starts, asks a few things and ends. Reports, on one thread (thread
 * CPU time, median of BENCH_TRIALS rounds):
 *   - turns/s and us per turn for understanding + conversation;
 *   - the conversation alone (conv_handle), which is what reads the
 *     knowledge base (issue 13: guides re-parsed from SQLite every turn);
 *   - the time to open the knowledge base and build the understanding
 *     index (what a start or a reload costs), and the heap the open
 *     knowledge base holds (glibc mallinfo2(), places index included).
 * No database is written: state lives in a json_t, as in the router before
 * it saves. The deployment's locality is set, so office answers run too. */
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "conv.h"
#include "intent.h"
#include "kb.h"

#define BENCH_TRIALS 5
#define BENCH_SESSION_TURNS 5    /* turns before a fresh state */
#define BENCH_LOCALITY "00070"   /* a ward with office data (data/offices) */
#define BENCH_PAYLOAD_PREFIX "!" /* a turn starting with this is a quick-reply payload */

/* Invented turns in the styles citizens write (no evaluation text), in the
 * order a few short sessions would send them. */
static const char *const turns[] = {
    "xin chào",
    "đăng ký khai sinh cho con cần giấy tờ gì",
    "lệ phí bao nhiêu",
    "!steps:khai-sinh",
    "tiếp",
    "tôi ở phường An Lạc cũ quận Bình Tân, nộp ở đâu",
    "làm căn cước bị mất thì bao lâu có",
    "!check:can-cuoc",
    "có",
    "chưa có",
    "đăng ký tạm trú ở trọ cần gì",
    "nộp trực tuyến được không",
    "giờ làm việc của ủy ban",
    "!where:tam-tru",
    "cảm ơn",
    "mik mới sinh em bé, đk ks cần j ad",
    "làm giấy tờ nhà đất",
    "xin giấy xác nhận tình trạng hôn nhân để kết hôn",
    "!docs:ket-hon",
    "gặp cán bộ",
    "giá vàng hôm nay bao nhiêu",
    "chứng thực bản sao có mất phí không",
    "xã Tân Phú",
    "1",
    "hồ sơ gồm những gì",
};

#define NTURNS (sizeof(turns) / sizeof(turns[0]))

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* One turn; adds the conversation's own time to *conv_s. Returns 0 or the error. */
static int one_turn(const struct conv_ctx *cx, json_t *state, const char *text, double *conv_s)
{
    struct intent_result u;
    struct conv_turn turn = {NULL, NULL, NULL};
    json_t *reply = NULL;
    double t0;
    int rc;

    if (strncmp(text, BENCH_PAYLOAD_PREFIX, sizeof BENCH_PAYLOAD_PREFIX - 1) == 0) {
        turn.payload = text + sizeof BENCH_PAYLOAD_PREFIX - 1;
    } else {
        rc = intent_match(cx->index, text, strlen(text), &u);
        if (rc)
            return rc;
        turn.u = &u;
        turn.text = text;
    }
    t0 = now_s();
    rc = conv_handle(cx, state, &turn, &reply);
    *conv_s += now_s() - t0;
    json_decref(reply);
    return rc;
}

/* Runs the turns for about seconds; writes the median turns/s of the whole
 * turn and of the conversation alone. Returns 0 or the first error. */
static int run(const struct conv_ctx *cx, double seconds, double *whole, double *conv)
{
    double rate[BENCH_TRIALS], crate[BENCH_TRIALS], t0, el, conv_s;
    json_t *state = NULL;
    size_t i, calls;
    int t, rc = 0;

    for (t = 0; t < BENCH_TRIALS; t++) {
        calls = 0;
        conv_s = 0;
        t0 = now_s();
        do {
            for (i = 0; i < NTURNS; i++, calls++) {
                if (calls % BENCH_SESSION_TURNS == 0) {
                    json_decref(state);
                    state = json_object();
                    if (!state)
                        return -1;
                }
                rc = one_turn(cx, state, turns[i], &conv_s);
                if (rc) {
                    fprintf(stderr, "bench_turn: \"%s\": error %d\n", turns[i], rc);
                    goto out;
                }
            }
            el = now_s() - t0;
        } while (el < seconds / BENCH_TRIALS);
        rate[t] = (double)calls / el;
        crate[t] = (double)calls / conv_s;
    }
    qsort(rate, BENCH_TRIALS, sizeof(rate[0]), cmp_double);
    qsort(crate, BENCH_TRIALS, sizeof(crate[0]), cmp_double);
    *whole = rate[BENCH_TRIALS / 2];
    *conv = crate[BENCH_TRIALS / 2];
out:
    json_decref(state);
    return rc;
}

int main(int argc, char **argv)
{
    const char *db = argc > 1 ? argv[1] : "build/motcua.db";
    double seconds = argc > 2 ? strtod(argv[2], NULL) : 2.0;
    struct mc_err err = {{0}};
    struct mc_config *cfg = NULL;
    struct intent_index *idx = NULL;
    struct kb *kb = NULL;
    struct conv_ctx cx;
    double t0, t_open, t_index, whole = 0, conv = 0;
    size_t heap0;
    int rc = 1;

    if (seconds <= 0)
        seconds = 2.0;
    cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return 1;
    snprintf(cfg->locality_default, sizeof(cfg->locality_default), "%s", BENCH_LOCALITY);
    heap0 = mallinfo2().uordblks;
    t0 = now_s();
    kb = kb_open(db, &err);
    t_open = now_s() - t0;
    heap0 = mallinfo2().uordblks - heap0;
    if (!kb) {
        fprintf(stderr, "bench_turn: %s\n", err.text);
        goto out;
    }
    t0 = now_s();
    idx = kb_build_index(kb, &err);
    t_index = now_s() - t0;
    if (!idx) {
        fprintf(stderr, "bench_turn: %s\n", err.text);
        goto out;
    }
    cx.kb = kb;
    cx.cfg = cfg;
    cx.index = idx;
    cx.on_site = false;
    if (run(&cx, seconds, &whole, &conv))
        goto out;
    printf("load: kb_open %.1f ms (heap %.2f MB), understanding index %.1f ms (thread CPU)\n",
           t_open * 1e3, (double)heap0 / 1e6, t_index * 1e3);
    printf("turns (%zu texts and payloads, fresh state every %d): %.0f turns/s (%.1f us each)\n",
           NTURNS, BENCH_SESSION_TURNS, whole, 1e6 / whole);
    printf("conversation alone (conv_handle): %.0f turns/s (%.1f us each)\n", conv, 1e6 / conv);
    rc = 0;
out:
    intent_index_free(idx);
    kb_free(kb);
    free(cfg);
    return rc;
}
