/*
 * memory.h - the memory-budget decider (the seed's memory.rs; internal API, prefix rt_memory_).
 *
 * Usage is the real memory of the live slots: the sum of their resident bytes
 * (rt_slot_stats.resident_bytes, the private pages each holds after its last reset, as the
 * sandbox measures them; cached by the pool at creation and at each release). The budget is
 * memory_budget_bytes (default max_slots x memory_cap_bytes). When usage exceeds
 * memory_cleanup_pct of the budget, the largest IDLE slots are cleared until usage is back
 * under the threshold (or no idle slot is left); the pool frees them (their entries become
 * EMPTY and are recreated on demand) and emits pool.memory_cleanup. Leased slots are never
 * chosen: the pool does not give them to the decider.
 *
 * A pure function: no pool, no lock, no call out. The pool acts (src/pool/maintenance.c).
 * Thread-safety: every function is pure.
 */
#ifndef RT_MEMORY_H
#define RT_MEMORY_H

#include "pool/slot_record.h"

#include <stdint.h>

/* pct (1..100) of budget, without overflow. */
uint64_t rt_memory_threshold(uint64_t budget, uint32_t pct);

/* Given the usage (bytes) and the idle records, writes to `out` (room for n) the positions of
 * the idle slots to clear, largest resident first, until usage - cleared <= threshold. Returns
 * how many; 0 when usage is not over the threshold. *freed (may be NULL) gets their bytes. */
uint32_t rt_memory_decide(uint64_t usage, uint64_t threshold, const rt_slot_record *idle,
                          uint32_t n, uint32_t *out, uint64_t *freed);

/* What a cleanup did (the pool fills it; tests read it). */
typedef struct rt_memory_report {
  uint64_t budget_bytes;
  uint64_t threshold_bytes;
  uint64_t usage_before; /* bytes */
  uint64_t usage_after;
  uint64_t freed_bytes;
  uint32_t slots_cleared;
} rt_memory_report;

#endif
