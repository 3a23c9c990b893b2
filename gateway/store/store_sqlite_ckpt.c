/* gateway/store/store_sqlite_ckpt.c - the SQLite back-end's checkpointer:
 * a thread of the store's own with its own connection, which copies the WAL
 * back into the database file (and syncs it) once the WAL holds
 * STORE_CKPT_FRAMES frames: what SQLite's auto-checkpoint did inside the
 * commit that crossed the limit, stalling the event loop for that pass
 * (ckpt_main). It shares only its wake-up flags (under a mutex) with the
 * loop. A commit is durable when it returns, as before: the checkpoint only
 * moves committed pages. Apart from store_sqlite.c because it is the one
 * part of the back-end that runs on another thread. */
#include "store_sqlite_int.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <time.h>

#define STORE_CKPT_FRAMES 1000 /* WAL frames that wake the checkpointer (SQLite's own default) */
#define STORE_CKPT_BUSY_MS 20  /* the checkpointer's longest wait for the write lock or readers */
#define STORE_CKPT_RESTART_FRAMES                                                                  \
    (4 * STORE_CKPT_FRAMES) /* WAL frames that also restart it: a short stall of the writers */

/* The checkpointer thread and what it shares with the event loop (under mu). */
struct store_ckpt {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool due;     /* the WAL reached STORE_CKPT_FRAMES: checkpoint it (under mu) */
    bool restart; /* ... and STORE_CKPT_RESTART_FRAMES: restart it too (under mu) */
    bool stop;    /* store_free(): end the thread (under mu) */
    sqlite3 *db;  /* the checkpointer's own connection: used by its thread only */
    int woke_at;  /* WAL frames at the last wake-up: read and written by the loop only */
};

/* The checkpointer's busy handler: like busy_wait, but it gives up after
 * STORE_CKPT_BUSY_MS. A RESTART checkpoint waits for readers while it holds
 * the write lock, so every loop's next BEGIN waits as long; it tries again
 * on its next wake-up rather than stall them for long. */
static int ckpt_busy(void *ctx, int tries)
{
    struct timespec ts = {0, STORE_BUSY_STEP_US * 1000L};

    (void)ctx;
    if ((long)tries * STORE_BUSY_STEP_US >= STORE_CKPT_BUSY_MS * 1000L)
        return 0;
    nanosleep(&ts, NULL);
    return 1;
}

/* SQLite's WAL hook, on the event loop after each commit: wakes the
 * checkpointer for every STORE_CKPT_FRAMES written (once the WAL holds that
 * many), never waits for it. Not after every commit: the WAL stays above
 * STORE_CKPT_FRAMES until it restarts, and a checkpoint per commit would
 * sync the database file per commit. */
static int wal_grown(void *ctx, sqlite3 *db, const char *name, int frames)
{
    struct store_ckpt *ck = ctx;

    (void)db;
    (void)name;
    if (frames < ck->woke_at)
        ck->woke_at = 0; /* the WAL started over */
    if (frames >= STORE_CKPT_FRAMES && frames - ck->woke_at >= STORE_CKPT_FRAMES &&
        pthread_mutex_lock(&ck->mu) == 0) {
        ck->woke_at = frames;
        ck->due = true;
        ck->restart = ck->restart || frames >= STORE_CKPT_RESTART_FRAMES;
        pthread_cond_signal(&ck->cv);
        pthread_mutex_unlock(&ck->mu);
    }
    return SQLITE_OK;
}

/* The checkpointer, each time it is woken: a PASSIVE checkpoint copies what
 * the WAL holds while the event loop goes on writing. The loop commits again
 * before that ends, so under steady load the WAL is never all copied and
 * never starts over (SQLite's own auto-checkpoint has the same limit: with
 * two workers the WAL grew by 400-700 MB in 8 s of bench-ws load). So once
 * it holds STORE_CKPT_RESTART_FRAMES, a RESTART checkpoint follows: it takes
 * the write lock between two batches (the loops' next BEGIN waits for it,
 * busy_wait), copies the few frames written meanwhile, and lets the next
 * batch start the WAL from its beginning. One that finds the lock or a
 * reader busy past STORE_CKPT_BUSY_MS (ckpt_busy) is tried again on the
 * next wake-up. */
static void *ckpt_main(void *arg)
{
    struct store_ckpt *ck = arg;
    bool restart;

    pthread_mutex_lock(&ck->mu);
    for (;;) {
        while (!ck->due && !ck->stop)
            pthread_cond_wait(&ck->cv, &ck->mu);
        if (ck->stop)
            break;
        restart = ck->restart;
        ck->due = ck->restart = false;
        pthread_mutex_unlock(&ck->mu);
        (void)sqlite3_wal_checkpoint_v2(ck->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (restart)
            (void)sqlite3_wal_checkpoint_v2(ck->db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
        pthread_mutex_lock(&ck->mu);
    }
    pthread_mutex_unlock(&ck->mu);
    return NULL;
}

/* Ends the checkpointer and closes its connection. NULL is a no-op. */
void store_ckpt_free(struct store_ckpt *ck)
{
    if (!ck)
        return;
    pthread_mutex_lock(&ck->mu);
    ck->stop = true;
    pthread_cond_signal(&ck->cv);
    pthread_mutex_unlock(&ck->mu);
    pthread_join(ck->thread, NULL);
    pthread_cond_destroy(&ck->cv);
    pthread_mutex_destroy(&ck->mu);
    sqlite3_close(ck->db);
    free(ck);
}

/* Starts the checkpointer of the database at path and hands it db's WAL
 * hook. NULL when it cannot start (memory, a thread, the connection): then
 * db keeps SQLite's own auto-checkpoint, which is only slower. */
struct store_ckpt *store_ckpt_start(sqlite3 *db, const char *path)
{
    struct store_ckpt *ck = calloc(1, sizeof(*ck));

    if (!ck)
        return NULL;
    if (sqlite3_open_v2(path, &ck->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(ck->db, "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;", NULL, NULL,
                     NULL) != SQLITE_OK)
        goto fail_db;
    sqlite3_busy_handler(ck->db, ckpt_busy, NULL);
    if (pthread_mutex_init(&ck->mu, NULL))
        goto fail_db;
    if (pthread_cond_init(&ck->cv, NULL))
        goto fail_mu;
    if (pthread_create(&ck->thread, NULL, ckpt_main, ck))
        goto fail_cv;
    sqlite3_wal_hook(db, wal_grown, ck); /* replaces the auto-checkpoint */
    return ck;

fail_cv:
    pthread_cond_destroy(&ck->cv);
fail_mu:
    pthread_mutex_destroy(&ck->mu);
fail_db:
    sqlite3_close(ck->db);
    free(ck);
    return NULL;
}
