/*
 * memory.c - the global memory budget (see memory.h).
 *
 * DESIGN: phase-based. Phase 1, under pool->lock: compare live_pages with the threshold and,
 * if over, detach the largest IDLE slots (selection by repeated max over the idle entries,
 * at most max_slots of them) until usage is back under the threshold. Phase 2, no lock:
 * free the detached slots, count them in metrics, emit the events. Concurrent cleanups are
 * harmless: each detaches only what is still idle and over the threshold when it looks.
 */
#include "memory/memory.h"

#include "pool/pool.h"

#include <stdio.h>
#include <stdlib.h>

uint64_t rt_memory_usage(riptide_pool *p)
{
  pthread_mutex_lock(&p->lock);
  uint64_t u = p->live_pages * RT_POOL_PAGE;
  pthread_mutex_unlock(&p->lock);
  return u;
}

typedef struct mem_victim {
  rt_slot *slot;
  uint64_t id;
  uint64_t bytes;
} mem_victim;

uint32_t rt_memory_cleanup(riptide_pool *p, rt_memory_report *r)
{
  rt_memory_report rep = {.budget_bytes = p->memory_budget, .threshold_bytes = p->memory_threshold};
  mem_victim *v = NULL;
  uint32_t nv = 0;

  if (rt_memory_usage(p) > p->memory_threshold)
    v = calloc(p->cfg.max_slots, sizeof *v); /* before the lock: no allocation under it */
  pthread_mutex_lock(&p->lock);
  rep.usage_before = p->live_pages * RT_POOL_PAGE;
  if (v && !p->shutting_down) {
    while (p->n_idle > 0 && p->live_pages * RT_POOL_PAGE > p->memory_threshold) {
      uint32_t best = p->idle_stack[0];
      for (uint32_t i = 1; i < p->n_idle; i++) {
        uint32_t idx = p->idle_stack[i];
        if (p->slots[idx].stats.pages > p->slots[best].stats.pages)
          best = idx;
      }
      uint64_t id = p->slots[best].instance_id;
      uint64_t bytes = (uint64_t)p->slots[best].stats.pages * RT_POOL_PAGE;
      rt_slot *s = rt_pool_detach_idle_locked(p, best);
      if (!s)
        break;
      v[nv++] = (mem_victim){.slot = s, .id = id, .bytes = bytes};
      rep.freed_bytes += bytes;
    }
  }
  rep.usage_after = p->live_pages * RT_POOL_PAGE;
  pthread_mutex_unlock(&p->lock);

  rep.slots_cleared = nv;
  for (uint32_t i = 0; i < nv; i++) {
    p->guest->ops->slot_free(v[i].slot);
    rt_metrics_slot_destroyed(p->metrics);
    char b[24];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v[i].bytes);
    rt_pool_emit(p, RT_EV_INSTANCE_DESTROYED, RIPTIDE_SEV_DEBUG, v[i].id, "reason",
                 "memory_cleanup", "bytes", b, (const char *)NULL);
  }
  free(v);
  if (nv > 0) {
    char freed[24], cnt[24], before[24], after[24], budget[24], thr[24];
    snprintf(freed, sizeof freed, "%llu", (unsigned long long)rep.freed_bytes);
    snprintf(cnt, sizeof cnt, "%u", nv);
    snprintf(before, sizeof before, "%llu", (unsigned long long)rep.usage_before);
    snprintf(after, sizeof after, "%llu", (unsigned long long)rep.usage_after);
    snprintf(budget, sizeof budget, "%llu", (unsigned long long)rep.budget_bytes);
    snprintf(thr, sizeof thr, "%llu", (unsigned long long)rep.threshold_bytes);
    rt_pool_emit(p, RT_EV_MEMORY_CLEANUP, RIPTIDE_SEV_WARN, 0, "freed_bytes", freed,
                 "slots_cleared", cnt, "usage_before", before, "usage_after", after, "budget",
                 budget, "threshold", thr, (const char *)NULL);
  }
  if (r)
    *r = rep;
  return nv;
}
