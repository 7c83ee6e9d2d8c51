/*
 * memory.c - the memory-budget decider (see memory.h). Pure: no state, no lock, no call out.
 * Selection by repeated maximum: n is at most max_slots (RT_MAX_SLOTS), and it runs only when
 * usage is over the threshold.
 */
#include "memory/memory.h"

#include <stdbool.h>

uint64_t rt_memory_threshold(uint64_t budget, uint32_t pct)
{
  return budget / 100 * pct + budget % 100 * pct / 100;
}

uint32_t rt_memory_decide(uint64_t usage, uint64_t threshold, const rt_slot_record *idle,
                          uint32_t n, uint32_t *out, uint64_t *freed)
{
  uint32_t k = 0;
  uint64_t gone = 0;
  while (usage - gone > threshold && k < n) {
    uint32_t best = n;
    for (uint32_t i = 0; i < n; i++) {
      bool taken = false;
      for (uint32_t j = 0; j < k && !taken; j++)
        taken = out[j] == i;
      if (taken)
        continue;
      if (best == n || idle[i].stats.resident_bytes > idle[best].stats.resident_bytes)
        best = i;
    }
    /* Clearing a slot that holds nothing frees nothing. */
    if (best == n || idle[best].stats.resident_bytes == 0)
      break;
    out[k++] = best;
    gone += idle[best].stats.resident_bytes;
    if (gone > usage)
      gone = usage;
  }
  if (freed)
    *freed = gone;
  return k;
}
