/*
 * health.c - the health monitor (see health.h).
 *
 * DESIGN
 * Threads: the monitor thread (one per pool) runs rt_health_check every interval; tests may
 * run rt_health_check from their own thread too. The monitor waits on h->cv with a real-time
 * deadline and stops when rt_health_stop sets h->stop (under h->lock) and signals.
 * A pass is phase-based: phase 1 (pool->lock) picks and detaches IDLE slots; phase 2 (no lock)
 * frees them, recreates replacements, runs the memory check and emits events.
 * Lock order: h->lock and pool->lock are never held together (the pass runs with h->lock
 * released).
 */
#include "health/health.h"

#include "common/clock.h"

#include "memory/memory.h"
#include "pool/pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct rt_health {
  riptide_pool *pool;   /* immutable */
  pthread_t thread;     /* immutable after start */
  pthread_mutex_t lock; /* guards stop, passes */
  pthread_cond_t cv;
  bool stop;
  uint64_t passes;
};

typedef struct health_victim {
  rt_slot *slot;
  uint64_t id;
  const char *reason; /* static */
  uint64_t detail;    /* the value over the limit */
} health_victim;

static const char *health_judge(const riptide_pool *p, const rt_pool_slot *e, uint64_t now,
                                uint64_t *detail)
{
  const riptide_pool_config *c = &p->cfg;
  uint64_t age = now > e->created_ns ? now - e->created_ns : 0;
  if (c->max_slot_age_ms && age >= (uint64_t)c->max_slot_age_ms * 1000000ull) {
    *detail = age / 1000000ull;
    return "age";
  }
  uint64_t fails = e->failures > e->stats.failures ? e->failures : e->stats.failures;
  if (c->max_slot_failures && fails >= c->max_slot_failures) {
    *detail = fails;
    return "failures";
  }
  uint64_t bytes = (uint64_t)e->stats.pages * RT_POOL_PAGE;
  if (bytes * 100 > c->memory_cap_bytes * c->max_slot_memory_pct) {
    *detail = bytes;
    return "memory";
  }
  if (c->max_grow_failures && e->stats.grow_failures >= c->max_grow_failures) {
    *detail = e->stats.grow_failures;
    return "grow_failures";
  }
  return NULL;
}

void rt_health_check(riptide_pool *p, rt_health_report *r)
{
  rt_health_report rep = {0};
  uint32_t n = p->cfg.max_slots;
  health_victim *v = calloc(n, sizeof *v);
  if (!v) {
    if (r)
      *r = rep;
    return;
  }
  bool want_healthy = rt_pool_wants(p, RT_EV_INSTANCE_HEALTHY, RIPTIDE_SEV_TRACE);
  uint64_t *healthy = want_healthy ? calloc(n, sizeof *healthy) : NULL;
  uint32_t nh = 0;
  uint32_t nv = 0, live_start = 0;
  uint64_t now = rt_pool_now(p);

  pthread_mutex_lock(&p->lock);
  bool down = p->shutting_down;
  if (!down) {
    live_start = p->live;
    /* Recycle: every idle slot over a limit. Iterate over a stable view: detaching only
     * shortens idle_stack at or after the current position, so walk it from the top. */
    for (uint32_t i = p->n_idle; i-- > 0;) {
      uint32_t idx = p->idle_stack[i];
      rt_pool_slot *e = &p->slots[idx];
      rep.checked++;
      uint64_t detail = 0;
      const char *why = health_judge(p, e, now, &detail);
      if (!why) {
        rep.healthy++;
        continue;
      }
      uint64_t id = e->instance_id;
      rt_slot *s = rt_pool_detach_idle_locked(p, idx);
      if (!s)
        continue;
      v[nv++] = (health_victim){.slot = s, .id = id, .reason = why, .detail = detail};
      if (why[0] == 'a')
        rep.recycled_age++;
      else if (why[0] == 'f')
        rep.recycled_failures++;
      else if (why[0] == 'm')
        rep.recycled_memory++;
      else
        rep.recycled_grow++;
    }
    /* Shrink: idle slots unused for idle_shrink_ms, least recently used first (the bottom of
     * the idle stack), while more than warm_slots are live. */
    if (p->cfg.idle_shrink_ms) {
      uint64_t lim = (uint64_t)p->cfg.idle_shrink_ms * 1000000ull;
      uint32_t i = 0;
      while (i < p->n_idle && p->live > p->cfg.warm_slots) {
        uint32_t idx = p->idle_stack[i];
        rt_pool_slot *e = &p->slots[idx];
        if (now > e->last_used_ns && now - e->last_used_ns >= lim) {
          uint64_t id = e->instance_id;
          uint64_t idle_ms = (now - e->last_used_ns) / 1000000ull;
          rt_slot *s = rt_pool_detach_idle_locked(p, idx); /* shifts the stack down */
          if (s) {
            v[nv++] = (health_victim){.slot = s, .id = id, .reason = "idle", .detail = idle_ms};
            rep.shrunk++;
            rep.healthy--;
          }
          continue;
        }
        i++;
      }
    }
    /* The slots that stay idle after this pass passed every check. */
    for (uint32_t i = 0; healthy && i < p->n_idle; i++)
      healthy[nh++] = p->slots[p->idle_stack[i]].instance_id;
  }
  pthread_mutex_unlock(&p->lock);

  for (uint32_t i = 0; i < nh; i++)
    rt_pool_emit(p, RT_EV_INSTANCE_HEALTHY, RIPTIDE_SEV_TRACE, healthy[i], (const char *)NULL);
  free(healthy);
  for (uint32_t i = 0; i < nv; i++) {
    char d[24];
    snprintf(d, sizeof d, "%llu", (unsigned long long)v[i].detail);
    bool shrink = v[i].reason[0] == 'i';
    if (!shrink)
      rt_pool_emit(p, RT_EV_INSTANCE_UNHEALTHY, RIPTIDE_SEV_WARN, v[i].id, "reason", v[i].reason,
                   "value", d, (const char *)NULL);
    p->guest->ops->slot_free(v[i].slot);
    rt_metrics_slot_destroyed(p->metrics);
    rt_pool_emit(p, RT_EV_INSTANCE_DESTROYED, RIPTIDE_SEV_DEBUG, v[i].id, "reason",
                 shrink ? "idle_shrink" : v[i].reason, (const char *)NULL);
  }
  free(v);
  if (down) {
    if (r)
      *r = rep;
    return;
  }

  uint32_t recycled = nv - rep.shrunk;
  if (recycled > 0) {
    uint32_t target = live_start - rep.shrunk;
    if (target < p->cfg.warm_slots)
      target = p->cfg.warm_slots;
    rep.refilled = rt_pool_fill(p, target, "health_recycle");
  }
  rt_memory_cleanup(p, NULL);

  char b[7][16];
  snprintf(b[0], sizeof b[0], "%u", rep.checked);
  snprintf(b[1], sizeof b[1], "%u", rep.healthy);
  snprintf(b[2], sizeof b[2], "%u", recycled);
  snprintf(b[3], sizeof b[3], "%u", rep.shrunk);
  snprintf(b[4], sizeof b[4], "%u", rep.refilled);
  rt_pool_emit(p, RT_EV_HEALTH_CHECK, RIPTIDE_SEV_DEBUG, 0, "checked", b[0], "healthy", b[1],
               "recycled", b[2], "shrunk", b[3], "refilled", b[4], (const char *)NULL);
  if (r)
    *r = rep;
}

static void *health_main(void *arg)
{
  rt_health *h = arg;
  pthread_mutex_lock(&h->lock);
  for (;;) {
    struct timespec dl;
    dl = rt_deadline_in_ms(h->pool->cfg.health_interval_ms);
    int rc = 0;
    while (!h->stop && rc != ETIMEDOUT)
      rc = pthread_cond_timedwait(&h->cv, &h->lock, &dl);
    if (h->stop)
      break;
    pthread_mutex_unlock(&h->lock);
    rt_health_check(h->pool, NULL);
    pthread_mutex_lock(&h->lock);
    h->passes++;
  }
  pthread_mutex_unlock(&h->lock);
  return NULL;
}

riptide_err rt_health_start(riptide_pool *p, rt_health **out)
{
  *out = NULL;
  rt_health *h = calloc(1, sizeof *h);
  if (!h)
    return RIPTIDE_ERR_NOMEM;
  h->pool = p;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_mutex_init(&h->lock, NULL);
  pthread_cond_init(&h->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&h->thread, NULL, health_main, h) != 0) {
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->cv);
    free(h);
    return RIPTIDE_ERR_INTERNAL;
  }
  *out = h;
  return RIPTIDE_OK;
}

void rt_health_stop(rt_health *h)
{
  if (!h)
    return;
  pthread_mutex_lock(&h->lock);
  h->stop = true;
  pthread_cond_signal(&h->cv);
  pthread_mutex_unlock(&h->lock);
  pthread_join(h->thread, NULL);
  pthread_mutex_destroy(&h->lock);
  pthread_cond_destroy(&h->cv);
  free(h);
}

uint64_t rt_health_passes(rt_health *h)
{
  pthread_mutex_lock(&h->lock);
  uint64_t n = h->passes;
  pthread_mutex_unlock(&h->lock);
  return n;
}
