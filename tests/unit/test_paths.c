/* tests/unit/test_paths.c - relative data paths found beside the binary when
 * the server is started from another folder (issue 19): the repository's
 * layout (build/motcua, build/asan/motcua), the installed one
 * (<prefix>/bin/motcua, <prefix>/share/motcua), and nowhere (kept as given). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg.h"
#include "paths.h"

struct fx {
    char root[64];  /* a temporary folder standing for "/" */
    char cwd[4096]; /* the test's working folder, restored after */
};

static void mk(const struct fx *f, const char *rel, bool dir)
{
    char p[512];
    FILE *fp;

    snprintf(p, sizeof(p), "%s/%s", f->root, rel);
    if (dir) {
        assert_int_equal(mkdir(p, 0700), 0);
        return;
    }
    fp = fopen(p, "w");
    assert_non_null(fp);
    fclose(fp);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    snprintf(f->root, sizeof(f->root), "/tmp/motcua-paths-XXXXXX");
    if (!mkdtemp(f->root) || !getcwd(f->cwd, sizeof(f->cwd)))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];

    if (chdir(f->cwd) != 0)
        return -1;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static void defaults(struct mc_config *c)
{
    struct mc_err e = {{0}};

    assert_int_equal(cfg_load(c, NULL, NULL, &e), 0);
}

/* <root>/repo/build/motcua started from <root>/elsewhere */
static void test_repo_layout(void **state)
{
    struct fx *f = *state;
    struct paths_report r;
    struct mc_config c;
    char exe[256], want[256];

    mk(f, "repo", true);
    mk(f, "repo/build", true);
    mk(f, "repo/build/state", true);
    mk(f, "repo/build/motcua.db", false);
    mk(f, "repo/channels", true);
    mk(f, "repo/channels/web", true);
    mk(f, "elsewhere", true);
    snprintf(want, sizeof(want), "%s/elsewhere", f->root);
    assert_int_equal(chdir(want), 0);
    defaults(&c);
    snprintf(exe, sizeof(exe), "%s/repo/build/motcua", f->root);
    paths_resolve(&c, exe, &r);
    assert_int_equal(r.web_root, PATHS_REPO);
    snprintf(want, sizeof(want), "%s/repo/channels/web", f->root);
    assert_string_equal(c.data_web_root, want);
    assert_int_equal(r.knowledge_db, PATHS_REPO);
    snprintf(want, sizeof(want), "%s/repo/build/motcua.db", f->root);
    assert_string_equal(c.data_knowledge_db, want);
    assert_int_equal(r.state_db, PATHS_REPO); /* its folder exists: the file is created there */
    snprintf(want, sizeof(want), "%s/repo/build/state/state.db", f->root);
    assert_string_equal(c.data_state_db, want);

    /* the sanitizer build one folder deeper finds the same pages */
    defaults(&c);
    snprintf(exe, sizeof(exe), "%s/repo/build/asan/motcua", f->root);
    paths_resolve(&c, exe, &r);
    assert_int_equal(r.web_root, PATHS_REPO);
    snprintf(want, sizeof(want), "%s/repo/channels/web", f->root);
    assert_string_equal(c.data_web_root, want);
}

/* from the working folder first; absolute paths are never touched */
static void test_cwd_and_absolute_win(void **state)
{
    struct fx *f = *state;
    struct paths_report r;
    struct mc_config c;
    char exe[256], here[256];

    mk(f, "repo", true);
    mk(f, "repo/channels", true);
    mk(f, "repo/channels/web", true);
    mk(f, "here", true);
    mk(f, "here/channels", true);
    mk(f, "here/channels/web", true);
    snprintf(here, sizeof(here), "%s/here", f->root);
    assert_int_equal(chdir(here), 0);
    defaults(&c);
    snprintf(c.data_knowledge_db, sizeof(c.data_knowledge_db), "/nonexistent/motcua.db");
    snprintf(exe, sizeof(exe), "%s/repo/build/motcua", f->root);
    paths_resolve(&c, exe, &r);
    assert_int_equal(r.web_root, PATHS_AS_GIVEN);
    assert_string_equal(c.data_web_root, "channels/web");
    assert_int_equal(r.knowledge_db, PATHS_AS_GIVEN);
    assert_string_equal(c.data_knowledge_db, "/nonexistent/motcua.db");
}

/* <root>/usr/bin/motcua: the pages and the database under <root>/usr/share/motcua */
static void test_installed_layout(void **state)
{
    struct fx *f = *state;
    struct paths_report r;
    struct mc_config c;
    char exe[256], want[256];

    mk(f, "usr", true);
    mk(f, "usr/bin", true);
    mk(f, "usr/share", true);
    mk(f, "usr/share/motcua", true);
    mk(f, "usr/share/motcua/web", true);
    mk(f, "usr/share/motcua/motcua.db", false);
    assert_int_equal(chdir(f->root), 0);
    defaults(&c);
    snprintf(exe, sizeof(exe), "%s/usr/bin/motcua", f->root);
    paths_resolve(&c, exe, &r);
    assert_int_equal(r.web_root, PATHS_FHS);
    snprintf(want, sizeof(want), "%s/usr/share/motcua/web", f->root);
    assert_string_equal(c.data_web_root, want);
    assert_int_equal(r.knowledge_db, PATHS_FHS);
    snprintf(want, sizeof(want), "%s/usr/share/motcua/motcua.db", f->root);
    assert_string_equal(c.data_knowledge_db, want);
}

/* nowhere: kept as given, reported missing; readiness sees no index.html */
static void test_missing(void **state)
{
    struct fx *f = *state;
    struct paths_report r;
    struct mc_config c;
    char exe[256], web[256];

    assert_int_equal(chdir(f->root), 0);
    defaults(&c);
    snprintf(c.data_web_root, sizeof(c.data_web_root), "no-such-folder");
    snprintf(exe, sizeof(exe), "%s/repo/build/motcua", f->root);
    paths_resolve(&c, exe, &r);
    assert_int_equal(r.web_root, PATHS_MISSING);
    assert_string_equal(c.data_web_root, "no-such-folder");
    assert_string_equal(paths_origin_name(r.web_root), "missing");
    assert_false(paths_web_root_ok("no-such-folder"));
    mk(f, "web", true);
    snprintf(web, sizeof(web), "%s/web", f->root);
    assert_false(paths_web_root_ok(web)); /* a folder without the pages */
    mk(f, "web/index.html", false);
    assert_true(paths_web_root_ok(web));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_repo_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cwd_and_absolute_win, setup, teardown),
        cmocka_unit_test_setup_teardown(test_installed_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
