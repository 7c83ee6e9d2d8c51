/*
 * health.h - the health monitor (the seed's health.rs; internal API, prefix rt_health_).
 *
 * Every health_interval_ms a monitor thread started by the pool runs one pass:
 *  - recycles IDLE slots over a limit: age >= max_slot_age_ms, failures >= max_slot_failures,
 *    current memory > max_slot_memory_pct of memory_cap_bytes, grow failures >=
 *    max_grow_failures (a limit of 0 disables its check);
 *  - shrinks an idle pool: IDLE slots unused for idle_shrink_ms are destroyed while more
 *    than warm_slots are live;
 *  - recreates recycled slots (keeping at least warm_slots live);
 *  - runs the memory check (src/memory) and emits pool.instance_unhealthy per recycled slot,
 *    pool.instance_destroyed per freed slot, pool.instance_healthy (trace) per slot that
 *    passed, and one pool.health_check summary.
 * Leased slots are never touched: they are judged at the first pass after their release.
 * Ages are measured with the pool's injected clock, so tests run passes by hand
 * (rt_health_check) with exact times; the interval itself is real time.
 *
 * Thread-safety: rt_health_check may run on any thread at once with the pool's callers
 * (it takes pool->lock only to choose and detach slots). rt_health_start/stop belong to the
 * thread that creates / shuts down the pool.
 */
#ifndef RT_HEALTH_H
#define RT_HEALTH_H

#include "pool/models.h"

typedef struct rt_health_report {
  uint32_t checked; /* idle slots examined */
  uint32_t healthy; /* examined and kept */
  uint32_t recycled_age;
  uint32_t recycled_failures;
  uint32_t recycled_memory;
  uint32_t recycled_grow;
  uint32_t shrunk;   /* idle slots destroyed by the idle shrink */
  uint32_t refilled; /* slots created to replace recycled ones */
} rt_health_report;

/* One pass (see above). r may be NULL. Does nothing once the pool is shutting down. */
void rt_health_check(riptide_pool *p, rt_health_report *r);

/* Starts the monitor thread (interval p->cfg.health_interval_ms > 0). */
riptide_err rt_health_start(riptide_pool *p, rt_health **out);
/* Stops and joins the thread (a running pass finishes first) and frees. NULL is a no-op. */
void rt_health_stop(rt_health *h);
/* Passes completed by the monitor thread so far. */
uint64_t rt_health_passes(rt_health *h);

#endif
