/* tests/unit/test_outbox.c - the outbox's brakes (gateway/outbox_guard.h):
 * exponential back-off with jitter, the per-platform circuit, and holds that
 * keep a row's outcome in memory while the state database refuses it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "outbox_guard.h"

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(ob_backoff_ms(1, 0, OB_BACKOFF_CAP_MS), 1000);
    assert_int_equal(ob_backoff_ms(2, 0, OB_BACKOFF_CAP_MS), 2000);
    assert_int_equal(ob_backoff_ms(4, 0, OB_BACKOFF_CAP_MS), 8000);
    assert_int_equal(ob_backoff_ms(1, 500, OB_BACKOFF_CAP_MS), 1500); /* jitter up to +50 % */
    assert_int_equal(ob_backoff_ms(1, 501, OB_BACKOFF_CAP_MS), 1000); /* 501 % 501 */
    assert_int_equal(ob_backoff_ms(60, 0, OB_BACKOFF_CAP_MS), OB_BACKOFF_CAP_MS);
    assert_true(ob_backoff_ms(60, UINT64_MAX, OB_BACKOFF_CAP_MS) <= OB_BACKOFF_CAP_MS * 3 / 2);
}

/* A down platform gets one probe per growing wait, never a loop. */
static void test_circuit(void **state)
{
    struct ob_circuit c;
    int64_t now = 10000;
    int sends = 0, t;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_true(ob_circuit_allows(&c, now, 0)); /* at start: one probe */
    assert_false(ob_circuit_allows(&c, now, 1));
    ob_circuit_success(&c);
    assert_true(ob_circuit_allows(&c, now, 7)); /* proven: all */
    ob_circuit_failure(&c, now, now - 10, 0);
    assert_false(ob_circuit_allows(&c, now + 999, 0));
    assert_true(ob_circuit_allows(&c, now + 1000, 0));
    assert_false(ob_circuit_allows(&c, now + 1000, 1)); /* one probe at a time */
    ob_circuit_failure(&c, now + 1000, now + 1000, 0);
    assert_int_equal(c.open_until_ms, now + 1000 + 2000);
    ob_circuit_success(&c);
    assert_true(ob_circuit_allows(&c, now, 3));
    /* 60 s of a platform that always fails, polled every millisecond */
    memset(&c, 0, sizeof(c));
    for (t = 0; t < 60000; t++)
        if (ob_circuit_allows(&c, t, 0)) {
            sends++;
            ob_circuit_failure(&c, t, t, (uint64_t)t * 2654435761u);
        }
    assert_true(sends >= 5 && sends <= 7); /* 0, ~1, ~3, ~7, ~15, ~31 s */
    /* eight requests out together, all failing (a 503 burst): one failure, a
     * 1 s wait, not 2^7 s; the probe after it that fails counts again */
    memset(&c, 0, sizeof(c));
    ob_circuit_success(&c);
    for (t = 0; t < 8; t++)
        ob_circuit_failure(&c, now + t, now - 500, 0);
    assert_int_equal(c.failures, 1);
    assert_int_equal(c.open_until_ms, now + 1000);
    ob_circuit_failure(&c, now + 1500, now + 1200, 0);
    assert_int_equal(c.failures, 2);
    assert_int_equal(c.open_until_ms, now + 1500 + 2000);
}

/* A row whose outcome cannot be written is held: not sent again, written
 * again with back-off, and forgotten only once a commit follows its write. */
static void test_holds(void **state)
{
    static struct ob_holds hs;
    struct ob_hold *h;
    int64_t i;

    (void)state;
    memset(&hs, 0, sizeof(hs));
    h = ob_hold_claim(&hs, 42);
    assert_non_null(h);
    h->final = true;
    ob_hold_wrote(h, false, 1000, 5, 0, 0); /* the UPDATE failed */
    assert_true(ob_hold_blocks(&hs, 42, 1000000));
    assert_false(ob_hold_blocks(&hs, 43, 0));
    assert_int_equal(ob_hold_unwritten(&hs), 1);
    assert_int_equal(ob_hold_next(h, 1999, 5, 0), OB_HOLD_WAIT);
    assert_int_equal(ob_hold_next(h, 2000, 5, 0), OB_HOLD_WRITE);
    ob_hold_wrote(h, false, 2000, 5, 0, 0);
    assert_int_equal(h->rewrite_ms, 4000); /* the write backs off too */
    ob_hold_wrote(h, true, 4000, 5, 0, 0);
    assert_int_equal(ob_hold_unwritten(&hs), 0);
    assert_int_equal(ob_hold_next(h, 4000, 5, 0), OB_HOLD_WAIT);  /* not committed yet */
    assert_int_equal(ob_hold_next(h, 4000, 6, 1), OB_HOLD_WRITE); /* a rollback: again */
    ob_hold_wrote(h, true, 4000, 6, 1, 0);
    assert_int_equal(ob_hold_next(h, 4000, 7, 1), OB_HOLD_DONE);
    /* sent without waiting (PostgreSQL): its answer decides, not the batches' commits */
    h->written = false;
    h->pending = true;
    assert_int_equal(ob_hold_next(h, 4000, 9, 2), OB_HOLD_WAIT);
    assert_int_equal(ob_hold_unwritten(&hs), 0);
    h->pending = false;
    h->committed = true;
    assert_int_equal(ob_hold_next(h, 4000, 9, 2), OB_HOLD_DONE);
    /* a retry hold lets the row go at its time, not before */
    h = ob_hold_claim(&hs, 7);
    h->next_ms = 5000;
    assert_true(ob_hold_blocks(&hs, 7, 4999));
    assert_false(ob_hold_blocks(&hs, 7, 5000));
    /* full: claim says so */
    memset(&hs, 0, sizeof(hs));
    for (i = 0; i < OB_HOLDS_MAX; i++)
        assert_non_null(ob_hold_claim(&hs, i));
    assert_null(ob_hold_claim(&hs, 1000));
    assert_int_equal(ob_hold_count(&hs), OB_HOLDS_MAX);
    assert_ptr_equal(ob_hold_claim(&hs, 3), ob_hold_find(&hs, 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_circuit),
        cmocka_unit_test(test_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
