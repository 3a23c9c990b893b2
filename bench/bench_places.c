/* bench/bench_places.c - the locality finder benchmark (not a test):
 *   build/bench/bench_places [KNOWLEDGE.db] [SECONDS]
 * Reports, in one run on one thread (thread CPU time):
 *   - build: time to load the places index from the database (median of 5),
 *     and the heap bytes it holds;
 *   - places_find() on whole citizen messages (with and without a place);
 *   - places_find() and kb_units_search() (the SQL search, issue 13's 42%)
 *     side by side on the same place phrases.
 * Goal (issue 13): finding a place costs about the number of words of the
 * message, not the size of the unit tables. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kb.h"
#include "kb_units.h"
#include "places.h"

#define BENCH_BUILDS 5
#define BENCH_TRIALS 5

/* Invented messages in the styles citizens write (no evaluation text). */
static const char *const messages[] = {
    "Tôi ở phường An Lạc cũ, quận Bình Tân thì làm khai sinh ở đâu ạ",
    "cho hỏi đăng ký tạm trú cần giấy tờ gì",
    "toi o tro o p12 q.go vap cu, muon xin xac nhan cu tru",
    "làm lại căn cước bị mất thì mất bao lâu",
    "nhà ở xã Tân Phú huyện Tân Châu tỉnh Tây Ninh cũ, giờ nộp hồ sơ đất ở đâu",
    "mik mới sinh em bé, đk ks cần j ad",
    "An Lạc, Bình Tân, HCM",
    "thủ tục chứng thực bản sao ở xã mất phí không",
    "quê tôi ở Nghệ An, đang ở trọ tại Bình Dương",
    "phường Cống Vị quận Ba Đình cũ nay thuộc phường nào",
    "xin giấy xác nhận tình trạng hôn nhân để kết hôn",
    "tạm trú tại phường Bến Thành, trung tâm hành chính công mở cửa mấy giờ",
};

/* Place phrases as the SQL search takes them (the place part only). */
static const char *const phrases[] = {
    "phường An Lạc quận Bình Tân",
    "phường Cống Vị quận Ba Đình",
    "xã Tân Phú",
    "phuong 12 quan go vap",
    "Bến Thành",
    "xã Vân Côn",
    "phường Vĩnh Phúc",
    "thị trấn Phú Lộc",
    "Hoàn Kiếm",
    "xã Đắk Mil",
};

#define NMSG (sizeof(messages) / sizeof(messages[0]))
#define NPHR (sizeof(phrases) / sizeof(phrases[0]))

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

/* Runs places_find() over texts for about seconds; returns finds/s (median
 * of BENCH_TRIALS rounds), or -1 on an error. */
static double rate_places(const struct places_index *idx, const char *const *texts, size_t n,
                          unsigned flags, double seconds, size_t *found)
{
    double trial[BENCH_TRIALS], t0, el;
    struct places_result r;
    size_t i, k, calls;
    int t;

    *found = 0;
    for (i = 0; i < n; i++) {
        if (places_find_opt(idx, texts[i], strlen(texts[i]), flags, &r) != 0)
            return -1;
        *found += r.found;
    }
    for (t = 0; t < BENCH_TRIALS; t++) {
        calls = 0;
        t0 = now_s();
        do {
            for (k = 0; k < 100; k++)
                for (i = 0; i < n; i++, calls++)
                    if (places_find_opt(idx, texts[i], strlen(texts[i]), flags, &r) != 0)
                        return -1;
            el = now_s() - t0;
        } while (el < seconds / BENCH_TRIALS);
        trial[t] = (double)calls / el;
    }
    qsort(trial, BENCH_TRIALS, sizeof(trial[0]), cmp_double);
    return trial[BENCH_TRIALS / 2];
}

static double rate_sql(struct kb *kb, double seconds, size_t *found)
{
    double trial[BENCH_TRIALS], t0, el;
    size_t i, calls;
    json_t *res;
    int t;

    *found = 0;
    for (i = 0; i < NPHR; i++) {
        if (kb_units_search(kb, phrases[i], &res) != 0)
            return -1;
        *found += json_array_size(res) > 0;
        json_decref(res);
    }
    for (t = 0; t < BENCH_TRIALS; t++) {
        calls = 0;
        t0 = now_s();
        do {
            for (i = 0; i < NPHR; i++, calls++) {
                if (kb_units_search(kb, phrases[i], &res) != 0)
                    return -1;
                json_decref(res);
            }
            el = now_s() - t0;
        } while (el < seconds / BENCH_TRIALS);
        trial[t] = (double)calls / el;
    }
    qsort(trial, BENCH_TRIALS, sizeof(trial[0]), cmp_double);
    return trial[BENCH_TRIALS / 2];
}

int main(int argc, char **argv)
{
    const char *db = argc > 1 ? argv[1] : "build/motcua.db";
    double seconds = argc > 2 ? strtod(argv[2], NULL) : 2.0;
    double builds[BENCH_BUILDS], t0, r_msg, r_phr, r_sql;
    struct mc_err err = {{0}};
    struct places_index *idx = NULL;
    struct kb *kb;
    size_t units, former, districts, names, f_msg, f_phr, f_sql;
    int b, rc = 1;

    if (seconds <= 0)
        seconds = 2.0;
    kb = kb_open(db, &err);
    if (!kb) {
        fprintf(stderr, "bench_places: %s\n", err.text);
        return 1;
    }
    for (b = 0; b < BENCH_BUILDS; b++) {
        places_index_free(idx);
        t0 = now_s();
        idx = places_index_new(kb_db(kb), &err);
        builds[b] = now_s() - t0;
        if (!idx) {
            fprintf(stderr, "bench_places: %s\n", err.text);
            goto out;
        }
    }
    qsort(builds, BENCH_BUILDS, sizeof(builds[0]), cmp_double);
    places_index_counts(idx, &units, &former, &districts, &names);
    printf("places: %zu units, %zu former units, %zu former districts, %zu keys\n", units, former,
           districts, names);
    printf("places build: %.1f ms (median of %d), memory %.2f MB\n", builds[BENCH_BUILDS / 2] * 1e3,
           BENCH_BUILDS, (double)places_index_memory(idx) / 1e6);
    r_msg = rate_places(idx, messages, NMSG, 0, seconds, &f_msg);
    /* the phrases are answers to "which commune?": PLACES_FIND_EXPECT */
    r_phr = rate_places(idx, phrases, NPHR, PLACES_FIND_EXPECT, seconds, &f_phr);
    r_sql = rate_sql(kb, seconds, &f_sql);
    if (r_msg < 0 || r_phr < 0 || r_sql < 0) {
        fprintf(stderr, "bench_places: a find failed\n");
        goto out;
    }
    printf("places_find, %zu whole messages (%zu with a place): %.0f finds/s (%.2f us each)\n",
           NMSG, f_msg, r_msg, 1e6 / r_msg);
    printf("places_find, %zu place phrases (%zu found):   %.0f finds/s (%.2f us each)\n", NPHR,
           f_phr, r_phr, 1e6 / r_phr);
    printf("kb_units_search (SQL), same phrases (%zu found): %.0f searches/s (%.1f us each)\n",
           f_sql, r_sql, 1e6 / r_sql);
    printf("places_find / kb_units_search on the same phrases: %.0fx\n", r_phr / r_sql);
    rc = 0;
out:
    places_index_free(idx);
    kb_free(kb);
    return rc;
}
