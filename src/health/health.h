/*
 * health.h - the health decider (the seed's health.rs; internal API, prefix rt_health_).
 *
 * A pure function: given the records of the pool's IDLE slots, the time and the limits, it
 * says which slots to recycle and which to shrink away. It never sees the pool, takes no lock
 * and calls nothing; the pool acts on its answer (src/pool/maintenance.c: the monitor thread,
 * detaching, freeing, refilling, events). The rules:
 *  - recycle a slot over a limit: age >= max_slot_age_ms, failures >= max_slot_failures,
 *    resident memory (rt_slot_stats.resident_bytes: the private pages it holds after its last
 *    reset) > max_slot_memory_pct of memory_cap_bytes, grow failures >= max_grow_failures
 *    (a limit of 0 disables its check); checked in that order, the first one over is the
 *    reason;
 *  - shrink an idle pool: slots unused for idle_shrink_ms, least recently used first, while
 *    more than warm_slots stay live (after the recycled ones are gone).
 * Leased slots are not given to it: they are judged at the first pass after their release.
 *
 * Thread-safety: every function is pure (reentrant, no shared state).
 */
#ifndef RT_HEALTH_H
#define RT_HEALTH_H

#include "pool/slot_record.h"
#include "riptide.h"

#include <stdint.h>

typedef struct rt_health_config {
  uint64_t max_age_ns;         /* 0 = no age check */
  uint64_t max_failures;       /* 0 = no failure check */
  uint64_t max_resident_bytes; /* recycle above this; UINT64_MAX = no memory check */
  uint64_t max_grow_failures;  /* 0 = no grow-failure check */
  uint64_t idle_shrink_ns;     /* 0 = no shrink */
  uint32_t warm_slots;         /* the shrink keeps this many live */
} rt_health_config;

/* The decider's limits from a validated pool config. */
void rt_health_config_from_pool(const riptide_pool_config *c, rt_health_config *out);

typedef enum rt_health_reason {
  RT_HEALTH_KEEP = 0,
  RT_HEALTH_AGE,
  RT_HEALTH_FAILURES,
  RT_HEALTH_MEMORY,
  RT_HEALTH_GROW_FAILURES,
  RT_HEALTH_IDLE, /* shrink, not a fault of the slot */
} rt_health_reason;
/* "keep", "age", "failures", "memory", "grow_failures", "idle" (static strings). */
const char *rt_health_reason_name(rt_health_reason r);

typedef struct rt_health_verdict {
  uint32_t pos; /* position of the record in the caller's array */
  rt_health_reason reason;
  uint64_t value; /* the figure over the limit: ms, count or bytes */
} rt_health_verdict;

/* Judges the idle slots `idle[0..n)`, least recently used first; `live` counts every slot
 * with a guest instance (idle or leased). Writes to `out` (room for n) one verdict per slot to
 * remove: first every recycle, in record order, then the shrinks. Returns how many. */
uint32_t rt_health_decide(const rt_health_config *c, const rt_slot_record *idle, uint32_t n,
                          uint32_t live, uint64_t now_ns, rt_health_verdict *out);

/* What a pass did (the pool fills it; tests read it). */
typedef struct rt_health_report {
  uint32_t checked; /* idle slots examined */
  uint32_t healthy; /* examined and kept */
  uint32_t recycled_age;
  uint32_t recycled_failures;
  uint32_t recycled_memory;
  uint32_t recycled_grow;
  uint32_t shrunk;   /* idle slots destroyed by the idle shrink */
  uint32_t refilled; /* slots created to replace recycled ones or restore warm_slots */
} rt_health_report;

#endif
