/*
 * clock.h - the host's one clock helper and its one deadline arithmetic.
 *
 * Everything that measures time or waits with a deadline uses these: CLOCK_MONOTONIC for
 * durations and deadlines (never CLOCK_MONOTONIC_COARSE: after idle on a tickless kernel it
 * lags by more than its resolution, and a deadline must never fire early), CLOCK_REALTIME only
 * for timestamps shown to people (event timestamps). A deadline for pthread_cond_timedwait is an
 * absolute CLOCK_MONOTONIC time, so the condition variable must be created with
 * pthread_condattr_setclock(CLOCK_MONOTONIC).
 */
#ifndef RT_COMMON_CLOCK_H
#define RT_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t rt_clock_ns(clockid_t clk)
{
  struct timespec ts;
  clock_gettime(clk, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Monotonic nanoseconds: durations and deadlines. */
static inline uint64_t rt_clock_mono_ns(void)
{
  return rt_clock_ns(CLOCK_MONOTONIC);
}

/* Wall-clock nanoseconds since the epoch: timestamps for people only. */
static inline uint64_t rt_clock_real_ns(void)
{
  return rt_clock_ns(CLOCK_REALTIME);
}

/* The absolute CLOCK_MONOTONIC time `ns` nanoseconds from now. */
static inline struct timespec rt_deadline_in_ns(uint64_t ns)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t sum = (uint64_t)ts.tv_nsec + ns % 1000000000ull;
  ts.tv_sec += (time_t)(ns / 1000000000ull + sum / 1000000000ull);
  ts.tv_nsec = (long)(sum % 1000000000ull);
  return ts;
}

/* The absolute CLOCK_MONOTONIC time `ms` milliseconds from now. */
static inline struct timespec rt_deadline_in_ms(uint64_t ms)
{
  return rt_deadline_in_ns(ms * 1000000ull);
}

#endif
