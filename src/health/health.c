/*
 * health.c - the health decider (see health.h). Pure: no state, no lock, no call out.
 */
#include "health/health.h"

void rt_health_config_from_pool(const riptide_pool_config *c, rt_health_config *out)
{
  out->max_age_ns = (uint64_t)c->max_slot_age_ms * 1000000ull;
  out->max_failures = c->max_slot_failures;
  /* max_slot_memory_pct is 1..100 (validated), so this never overflows for a cap <= 4 GiB. */
  out->max_resident_bytes = c->memory_cap_bytes / 100 * c->max_slot_memory_pct +
                            c->memory_cap_bytes % 100 * c->max_slot_memory_pct / 100;
  out->max_grow_failures = c->max_grow_failures;
  out->idle_shrink_ns = (uint64_t)c->idle_shrink_ms * 1000000ull;
  out->warm_slots = c->warm_slots;
}

const char *rt_health_reason_name(rt_health_reason r)
{
  switch (r) {
  case RT_HEALTH_KEEP:
    return "keep";
  case RT_HEALTH_AGE:
    return "age";
  case RT_HEALTH_FAILURES:
    return "failures";
  case RT_HEALTH_MEMORY:
    return "memory";
  case RT_HEALTH_GROW_FAILURES:
    return "grow_failures";
  case RT_HEALTH_IDLE:
    return "idle";
  }
  return "unknown";
}

static rt_health_reason judge(const rt_health_config *c, const rt_slot_record *r, uint64_t now,
                              uint64_t *value)
{
  uint64_t age = now > r->created_ns ? now - r->created_ns : 0;
  if (c->max_age_ns && age >= c->max_age_ns) {
    *value = age / 1000000ull;
    return RT_HEALTH_AGE;
  }
  /* The pool's count and the sandbox's own (which also sees failed resets) may differ. */
  uint64_t fails = r->failures > r->stats.failures ? r->failures : r->stats.failures;
  if (c->max_failures && fails >= c->max_failures) {
    *value = fails;
    return RT_HEALTH_FAILURES;
  }
  if (r->stats.resident_bytes > c->max_resident_bytes) {
    *value = r->stats.resident_bytes;
    return RT_HEALTH_MEMORY;
  }
  if (c->max_grow_failures && r->stats.grow_failures >= c->max_grow_failures) {
    *value = r->stats.grow_failures;
    return RT_HEALTH_GROW_FAILURES;
  }
  return RT_HEALTH_KEEP;
}

uint32_t rt_health_decide(const rt_health_config *c, const rt_slot_record *idle, uint32_t n,
                          uint32_t live, uint64_t now, rt_health_verdict *out)
{
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t v = 0;
    rt_health_reason why = judge(c, &idle[i], now, &v);
    if (why != RT_HEALTH_KEEP)
      out[k++] = (rt_health_verdict){.pos = i, .reason = why, .value = v};
  }
  uint32_t recycled = k;
  if (!c->idle_shrink_ns)
    return k;
  uint32_t left = live > recycled ? live - recycled : 0;
  /* Shrink: least recently used first among the slots that stay, while more than warm live. */
  for (uint32_t i = 0, j = 0; i < n && left > c->warm_slots; i++) {
    if (j < recycled && out[j].pos == i) { /* already recycled */
      j++;
      continue;
    }
    const rt_slot_record *r = &idle[i];
    if (now > r->last_used_ns && now - r->last_used_ns >= c->idle_shrink_ns) {
      out[k++] = (rt_health_verdict){
          .pos = i, .reason = RT_HEALTH_IDLE, .value = (now - r->last_used_ns) / 1000000ull};
      left--;
    }
  }
  return k;
}
