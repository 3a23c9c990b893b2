/* tests/unit/fixture.h - a fresh state database for each test: its own
 * temporary directory (mkdtemp), the file and SQLite's -wal and -shm beside
 * it removed afterwards. Included by the unit tests that open a store. */
#ifndef MOTCUA_TESTS_FIXTURE_H
#define MOTCUA_TESTS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fixture_dir[64], fixture_db[96];

static inline int fixture_db_setup(void **state)
{
    (void)state;
    snprintf(fixture_dir, sizeof(fixture_dir), "/tmp/motcua-unit-XXXXXX");
    if (!mkdtemp(fixture_dir))
        return -1;
    snprintf(fixture_db, sizeof(fixture_db), "%s/state.db", fixture_dir);
    return 0;
}

static inline int fixture_db_teardown(void **state)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[sizeof(fixture_db) + 16];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", fixture_db, suffix[i]);
        remove(p);
    }
    return rmdir(fixture_dir);
}

#endif
