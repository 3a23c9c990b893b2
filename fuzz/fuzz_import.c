/* fuzz/fuzz_import.c - the knowledge import (gateway/kb/kb_import.c): a
 * mutated procedure guide (data/procedures/<id>.json) through every check of
 * `motcua import` and, when it passes, written to a database that kb_open()
 * then loads as the server would. A small data folder is made once per
 * process in a temporary directory (the catalogue with one procedure and one
 * meta id, a meta answer, three units): each run rewrites the guide and
 * imports it, so a run costs milliseconds, not the whole data/ folder. The
 * folder is removed at exit. MOTCUA_FUZZ_VERBOSE=1 prints the import's
 * problems (to see why a seed is refused). Inputs above FUZZ_GUIDE_MAX bytes are skipped
 * (a guide is a few KiB). */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kb.h"
#include "kb_import.h"
#include "mc_log.h"

#define FUZZ_GUIDE_MAX (64 * 1024) /* bytes; the largest guide in data/ is ~15 KiB */

static char dir[] = "/tmp/motcua-fuzz-import-XXXXXX";
static char guide[96], out[96];
static FILE *errs;

static void write_file(const char *rel, const char *text)
{
    char p[160];
    FILE *f;

    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    f = fopen(p, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "fuzz: cannot write %s\n", p);
        exit(1);
    }
}

static void cleanup(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *data = getenv("MOTCUA_FUZZ_DATA");
    char cmd[512], phrases[1024], meta[2048];
    size_t i, n = 0;

    (void)argc;
    (void)argv;
    mc_log_set_level(MC_LOG_ERROR);
    if (!data || !data[0])
        data = "data";
    if (!mkdtemp(dir))
        exit(1);
    atexit(cleanup);
    snprintf(cmd, sizeof(cmd),
             "mkdir -p '%s/procedures' '%s/meta' '%s/lexicon' '%s/units' && "
             "cp '%s/schema.sql' '%s/'",
             dir, dir, dir, dir, data, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "fuzz: cannot prepare %s from %s (run from the repository root)\n", dir,
                data);
        exit(1);
    }
    write_file("catalogue.tsv", "id\tkind\tdomain\tname_vi\thandled_by\n"
                                "khai-sinh\tprocedure\tho-tich\tĐăng ký khai sinh\tUBND cấp xã\n"
                                "chao-hoi\tmeta\t-\tChào hỏi\t-\n");
    n += (size_t)snprintf(phrases + n, sizeof(phrases) - n, "[");
    for (i = 0; i < 20; i++)
        n += (size_t)snprintf(phrases + n, sizeof(phrases) - n, "%s\"xin chào bạn %zu\"",
                              i ? "," : "", i);
    snprintf(phrases + n, sizeof(phrases) - n, "]");
    snprintf(meta, sizeof(meta),
             "{\"id\":\"chao-hoi\",\"name\":\"Chào hỏi\",\"answer\":\"Xin chào!\","
             "\"answer_generic\":\"Xin chào!\",\"reviewed\":\"2026-11-22\",\"phrases\":%s}",
             phrases);
    write_file("meta/chao-hoi.json", meta);
    write_file("meta/none.txt", "thời tiết hôm nay thế nào\nkết quả bóng đá\n");
    write_file("units/units-current.csv", "province_code,province_name,ward_code,ward_name\n"
                                          "01,Thành phố Hà Nội,00004,Phường Ba Đình\n"
                                          "01,Thành phố Hà Nội,00008,Phường Ngọc Hà\n");
    write_file("units/old-to-new-2025.csv",
               "old_ward_code,old_ward,old_district,old_province,new_ward_code,new_ward,"
               "new_province,whole\n"
               "00001,Phường Phúc Xá,Quận Ba Đình,Thành phố Hà Nội,00004,Phường Ba Đình,"
               "Thành phố Hà Nội,yes\n");
    snprintf(guide, sizeof(guide), "%s/procedures/khai-sinh.json", dir);
    snprintf(out, sizeof(out), "%s/out.db", dir);
    /* MOTCUA_FUZZ_VERBOSE=1 shows why each input is refused (for one input, not a run) */
    errs = getenv("MOTCUA_FUZZ_VERBOSE") ? stderr : fopen("/dev/null", "w");
    if (!errs)
        exit(1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mc_err err = {{0}};
    struct kb *kb;
    FILE *f;
    int rc;

    if (size > FUZZ_GUIDE_MAX)
        return 0;
    f = fopen(guide, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort(); /* the temporary directory is ours: a failure here is the machine's */
    rc = kb_import(dir, out, errs, &err);
    if (rc != 0 && !err.text[0])
        abort(); /* a refused import always says why */
    if (rc == 0) {
        kb = kb_open(out, &err);
        if (!kb || !kb_guide(kb, "khai-sinh"))
            abort(); /* what import accepted, the server must load */
        kb_free(kb);
        remove(out);
    }
    return 0;
}
