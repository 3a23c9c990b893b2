/* common/mc_time.h - the monotonic clock in milliseconds or microseconds:
 * for deadlines, timers and durations, never for wall-clock times (a
 * system clock set back must not stretch a timeout). One definition for the
 * eleven places that each had their own copy. */
#ifndef MC_TIME_H
#define MC_TIME_H

#include <stdint.h>
#include <time.h>

static inline int64_t mc_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t mc_mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif
