/*
 * metrics.h - exact counters and histograms behind riptide_metrics (internal API, rt_metrics_).
 *
 * One extraction's outcome is recorded by ONE call (rt_metrics_record_extraction) that updates
 * every counter and histogram it touches under one short mutex; snapshots copy under the same
 * mutex. So every snapshot is consistent even while many threads record:
 *   extractions_total = extractions_succeeded + extractions_failed
 *   extractions_succeeded = succeeded_wasm + succeeded_native
 *   sum(fallbacks_by_reason) = fallbacks
 *   permit_wait.count = sum(permit_wait.buckets), same for extract_duration.
 * Nothing is averaged: sums, counts and bucket counts only (the upstream `(avg + new) / 2` is
 * the defect this replaces).
 *
 * Histogram buckets (include/riptide.h): bucket i counts values < 2^i microseconds, i.e. upper
 * bound 2^i * 1000 ns; bucket RIPTIDE_HIST_BUCKETS-1 is +Inf. Bucket 0 = < 1 us.
 *
 * Thread-safety: an rt_metrics is shareable; every function may be called from any thread at
 * once, except rt_metrics_free. No function calls out or blocks on anything but the mutex.
 */
#ifndef RT_METRICS_H
#define RT_METRICS_H

#include "riptide.h"

#include <stdbool.h>
#include <stdint.h>

/* Everything about one finished riptide_pool_extract call. */
typedef struct rt_extraction_outcome {
  riptide_err err; /* RIPTIDE_OK when a document was returned (guest or fallback) */
  bool native;     /* the document came from the native engine (only when err == OK) */
  bool fallback;   /* the native fallback was used because of fb_reason */
  riptide_fallback_reason fb_reason;
  riptide_err guest_error; /* the guest's failure, RIPTIDE_OK if it succeeded or never ran.
                              TIMEOUT -> timeouts++; TRAP -> traps_by_kind[trap]++ */
  riptide_trap trap;       /* when guest_error == TRAP */
  bool waited;             /* a permit wait happened: wait_ns goes into permit_wait */
  uint64_t wait_ns;
  bool extracted; /* an extractor ran: extract_ns goes into extract_duration */
  uint64_t extract_ns;
} rt_extraction_outcome;
/* Zeroes o (err OK, no fallback, no guest error, nothing timed). */
void rt_extraction_outcome_init(rt_extraction_outcome *o);

typedef struct rt_metrics rt_metrics;

riptide_err rt_metrics_new(rt_metrics **out); /* NOMEM; *out NULL on error */
void rt_metrics_free(rt_metrics *m);          /* NULL is a no-op */

/* Records one extraction atomically with respect to snapshots. pool_exhausted is counted when
 * err == POOL_EXHAUSTED or the fallback reason is POOL_EXHAUSTED. Inconsistent input (fallback
 * without native, reason out of range) is normalised: a fallback always counts as native and an
 * unknown reason as GUEST_ERROR, so the invariants above hold whatever the caller passes. */
void rt_metrics_record_extraction(rt_metrics *m, const rt_extraction_outcome *o);

/* Single histograms, for callers that time something outside an extraction record. */
void rt_metrics_observe_wait(rt_metrics *m, uint64_t ns);
void rt_metrics_observe_extract(rt_metrics *m, uint64_t ns);

/* Counters and gauges outside the extraction record. */
void rt_metrics_add_grow_failures(rt_metrics *m, uint64_t n);
void rt_metrics_record_breaker(rt_metrics *m, int state, bool tripped); /* state 0/1/2 */
void rt_metrics_slot_created(rt_metrics *m);   /* slots_created++ , slots_idle++ */
void rt_metrics_slot_destroyed(rt_metrics *m); /* slots_destroyed++, slots_idle-- (saturating) */
void rt_metrics_slot_leased(rt_metrics *m);    /* idle-- (saturating), leased++ */
void rt_metrics_slot_returned(rt_metrics *m);  /* leased-- (saturating), idle++ */
void rt_metrics_in_flight_add(rt_metrics *m, int delta); /* saturating at 0 */
void rt_metrics_set_guest_pages(rt_metrics *m, uint64_t pages);
void rt_metrics_add_guest_pages(rt_metrics *m, int64_t delta); /* saturating at 0 */
void rt_metrics_set_events(rt_metrics *m, uint64_t emitted, uint64_t dropped);

/* Consistent copy of everything (see invariants above). The pool may overwrite the gauges it
 * owns (slots, in_flight, breaker_state, events_*) from its own state after the call. */
void rt_metrics_snapshot(rt_metrics *m, riptide_metrics *out);

/* Pure helpers on snapshots. */
/* Index of the bucket a value falls in. */
int rt_histogram_bucket(uint64_t ns);
/* Adds one value to a (non-shared) histogram. */
void rt_histogram_add(riptide_histogram *h, uint64_t ns);

/* riptide_histogram_bound_ns, riptide_histogram_quantile and riptide_metrics_to_prometheus
 * (include/riptide.h) are implemented in metrics.c. Quantile: linear interpolation inside the
 * bucket holding rank q*count; the +Inf bucket answers its lower bound; empty histogram -> 0. */

#endif
