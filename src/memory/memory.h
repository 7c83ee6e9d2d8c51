/*
 * memory.h - the global memory budget (the seed's memory.rs; internal API, prefix rt_memory_).
 *
 * Usage is the sum of the real page counts of every live slot (slot_stats, cached by the
 * pool at creation and at each release; pool->live_pages). The budget is
 * memory_budget_bytes (default max_slots x memory_cap_bytes). When usage exceeds
 * memory_cleanup_pct of the budget, the largest IDLE slots are freed until usage is back
 * under the threshold (or no idle slot is left); their entries become EMPTY and are
 * recreated on demand by the next lease. A pool.memory_cleanup event says what was freed.
 * Leased slots are never touched.
 *
 * Thread-safety: any thread, at any time, with no pool lock held (it takes pool->lock only to
 * choose and detach slots, and frees them after dropping it).
 */
#ifndef RT_MEMORY_H
#define RT_MEMORY_H

#include "pool/models.h"

typedef struct rt_memory_report {
  uint64_t budget_bytes;
  uint64_t threshold_bytes;
  uint64_t usage_before; /* bytes */
  uint64_t usage_after;
  uint64_t freed_bytes;
  uint32_t slots_cleared;
} rt_memory_report;

/* Current usage in bytes (sum of live slots' pages x 64 KiB). */
uint64_t rt_memory_usage(riptide_pool *p);

/* Clears the largest idle slots when usage is over the threshold. Returns the number of
 * slots cleared; fills r (may be NULL). */
uint32_t rt_memory_cleanup(riptide_pool *p, rt_memory_report *r);

#endif
