/*
 * maintenance.c - the pool acting on its deciders: health passes (src/health decides what to
 * recycle or shrink), the memory budget (src/memory decides what to clear), and the monitor
 * thread that runs a health pass every interval.
 *
 * DESIGN
 * Phase-based, like the rest of the pool. Phase 1, under pool->lock: copy the IDLE entries
 * into rt_slot_record values (least recently used first), ask the pure decider, detach the
 * slots it chose (their entries become EMPTY). Phase 2, no lock: free the detached slots,
 * refill, emit events. The deciders take no lock and call nothing, so calling them under
 * pool->lock keeps it a leaf; every buffer is allocated before the lock is taken. Concurrent
 * passes (the monitor, a release's memory cleanup, a test) are harmless: each detaches only
 * what is still idle when it holds the lock.
 * Threads: the monitor thread (one per pool) runs rt_pool_health_check every interval; it
 * waits on mon->cv with a real-time deadline and stops when rt_pool_monitor_stop sets
 * mon->stop (under mon->lock) and signals. Lock order: mon->lock and pool->lock are never
 * held together (the pass runs with mon->lock released).
 */
#include "pool/pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* ---- shared ------------------------------------------------------------------------------ */

typedef struct mt_victim {
  rt_slot *slot;
  uint64_t id;
  rt_health_reason reason; /* health passes */
  uint64_t value;          /* the figure over the limit (health) or the bytes (memory) */
} mt_victim;

/* Copies the IDLE entries, least recently used first (the bottom of the idle stack). */
static uint32_t mt_records_locked(riptide_pool *p, rt_slot_record *rec)
{
  for (uint32_t i = 0; i < p->n_idle; i++) {
    uint32_t idx = p->idle_stack[i];
    const rt_pool_slot *e = &p->slots[idx];
    rec[i] = (rt_slot_record){.idx = idx,
                              .instance_id = e->instance_id,
                              .created_ns = e->created_ns,
                              .last_used_ns = e->last_used_ns,
                              .uses = e->uses,
                              .failures = e->failures,
                              .stats = e->stats};
  }
  return p->n_idle;
}

static void mt_free_victim(riptide_pool *p, const mt_victim *v, const char *why, bool with_bytes)
{
  p->guest->ops->slot_free(v->slot);
  rt_metrics_slot_destroyed(p->metrics);
  if (with_bytes) {
    char b[24];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v->value);
    rt_pool_emit(p, RT_EV_INSTANCE_DESTROYED, RIPTIDE_SEV_DEBUG, v->id, "reason", why, "bytes", b,
                 (const char *)NULL);
  } else {
    rt_pool_emit(p, RT_EV_INSTANCE_DESTROYED, RIPTIDE_SEV_DEBUG, v->id, "reason", why,
                 (const char *)NULL);
  }
}

/* ---- memory budget ----------------------------------------------------------------------- */

uint64_t rt_pool_memory_usage(riptide_pool *p)
{
  pthread_mutex_lock(&p->lock);
  uint64_t u = p->live_resident;
  pthread_mutex_unlock(&p->lock);
  return u;
}

uint32_t rt_pool_memory_cleanup(riptide_pool *p, rt_memory_report *r)
{
  rt_memory_report rep = {.budget_bytes = p->memory_budget, .threshold_bytes = p->memory_threshold};
  uint32_t n = p->cfg.max_slots, nv = 0;
  rt_slot_record *rec = NULL;
  uint32_t *order = NULL;
  mt_victim *v = NULL;
  if (rt_pool_memory_usage(p) > p->memory_threshold) {
    rec = calloc(n, sizeof *rec);
    order = calloc(n, sizeof *order);
    v = calloc(n, sizeof *v);
  }
  pthread_mutex_lock(&p->lock);
  rep.usage_before = p->live_resident;
  if (rec && order && v && !p->shutting_down && p->live_resident > p->memory_threshold) {
    uint32_t ni = mt_records_locked(p, rec);
    uint32_t k = rt_memory_decide(p->live_resident, p->memory_threshold, rec, ni, order, NULL);
    for (uint32_t j = 0; j < k; j++) {
      const rt_slot_record *c = &rec[order[j]];
      rt_slot *s = rt_pool_detach_idle_locked(p, c->idx);
      if (!s)
        continue;
      v[nv++] = (mt_victim){.slot = s, .id = c->instance_id, .value = c->stats.resident_bytes};
      rep.freed_bytes += c->stats.resident_bytes;
    }
  }
  rep.usage_after = p->live_resident;
  pthread_mutex_unlock(&p->lock);

  rep.slots_cleared = nv;
  for (uint32_t i = 0; i < nv; i++)
    mt_free_victim(p, &v[i], "memory_cleanup", true);
  free(rec);
  free(order);
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

/* ---- health ------------------------------------------------------------------------------ */

void rt_pool_health_check(riptide_pool *p, rt_health_report *r)
{
  rt_health_report rep = {0};
  uint32_t n = p->cfg.max_slots;
  rt_slot_record *rec = calloc(n, sizeof *rec);
  rt_health_verdict *vd = calloc(n, sizeof *vd);
  mt_victim *v = calloc(n, sizeof *v);
  bool want_healthy = rt_pool_wants(p, RT_EV_INSTANCE_HEALTHY, RIPTIDE_SEV_TRACE);
  uint64_t *healthy = want_healthy ? calloc(n, sizeof *healthy) : NULL;
  if (!rec || !vd || !v) {
    free(rec);
    free(vd);
    free(v);
    free(healthy);
    if (r)
      *r = rep;
    return;
  }
  rt_health_config hc;
  rt_health_config_from_pool(&p->cfg, &hc);
  uint32_t nh = 0, nv = 0, live_start = 0;
  uint64_t now = rt_pool_now(p);

  pthread_mutex_lock(&p->lock);
  bool down = p->shutting_down;
  if (!down) {
    live_start = p->live;
    uint32_t ni = mt_records_locked(p, rec);
    uint32_t k = rt_health_decide(&hc, rec, ni, p->live, now, vd);
    rep.checked = ni;
    for (uint32_t j = 0; j < k; j++) {
      const rt_slot_record *c = &rec[vd[j].pos];
      rt_slot *s = rt_pool_detach_idle_locked(p, c->idx);
      if (!s)
        continue;
      v[nv++] = (mt_victim){
          .slot = s, .id = c->instance_id, .reason = vd[j].reason, .value = vd[j].value};
      switch (vd[j].reason) {
      case RT_HEALTH_AGE:
        rep.recycled_age++;
        break;
      case RT_HEALTH_FAILURES:
        rep.recycled_failures++;
        break;
      case RT_HEALTH_MEMORY:
        rep.recycled_memory++;
        break;
      case RT_HEALTH_GROW_FAILURES:
        rep.recycled_grow++;
        break;
      case RT_HEALTH_IDLE:
        rep.shrunk++;
        break;
      case RT_HEALTH_KEEP:
        break;
      }
    }
    rep.healthy = ni - nv;
    /* The slots that stay idle after this pass passed every check. */
    for (uint32_t i = 0; healthy && i < p->n_idle; i++)
      healthy[nh++] = p->slots[p->idle_stack[i]].instance_id;
  }
  pthread_mutex_unlock(&p->lock);

  for (uint32_t i = 0; i < nh; i++)
    rt_pool_emit(p, RT_EV_INSTANCE_HEALTHY, RIPTIDE_SEV_TRACE, healthy[i], (const char *)NULL);
  free(healthy);
  for (uint32_t i = 0; i < nv; i++) {
    bool shrink = v[i].reason == RT_HEALTH_IDLE;
    const char *why = rt_health_reason_name(v[i].reason);
    if (!shrink) {
      char d[24];
      snprintf(d, sizeof d, "%llu", (unsigned long long)v[i].value);
      rt_pool_emit(p, RT_EV_INSTANCE_UNHEALTHY, RIPTIDE_SEV_WARN, v[i].id, "reason", why, "value",
                   d, (const char *)NULL);
    }
    mt_free_victim(p, &v[i], shrink ? "idle_shrink" : why, false);
  }
  free(rec);
  free(vd);
  free(v);
  if (down) {
    if (r)
      *r = rep;
    return;
  }

  uint32_t recycled = nv - rep.shrunk;
  /* Recycled slots are replaced, and the pool is brought back to its warm floor whatever
   * emptied it (a slot discarded after a trap or a timeout is not replaced on the call path):
   * without this a pool with no traffic would stay below warm_slots, and a readiness probe
   * that waits for a warm instance would wait for a request that never comes. */
  uint32_t target = recycled > 0 ? live_start - rep.shrunk : 0;
  if (target < p->cfg.warm_slots)
    target = p->cfg.warm_slots;
  rep.refilled = rt_pool_fill(p, target, recycled > 0 ? "health_recycle" : "warm_floor");
  rt_pool_memory_cleanup(p, NULL);

  char b[5][16];
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

/* ---- the monitor thread ------------------------------------------------------------------ */

struct rt_pool_monitor {
  riptide_pool *pool;   /* immutable */
  pthread_t thread;     /* immutable after start */
  pthread_mutex_t lock; /* guards stop, passes */
  pthread_cond_t cv;
  bool stop;
  uint64_t passes;
};

static void mt_deadline(struct timespec *ts, uint64_t ms)
{
  clock_gettime(CLOCK_MONOTONIC, ts);
  uint64_t ns = (uint64_t)ts->tv_nsec + (ms % 1000) * 1000000ull;
  ts->tv_sec += (time_t)(ms / 1000 + ns / 1000000000ull);
  ts->tv_nsec = (long)(ns % 1000000000ull);
}

static void *mt_main(void *arg)
{
  rt_pool_monitor *m = arg;
  pthread_mutex_lock(&m->lock);
  for (;;) {
    struct timespec dl;
    mt_deadline(&dl, m->pool->cfg.health_interval_ms);
    int rc = 0;
    while (!m->stop && rc != ETIMEDOUT)
      rc = pthread_cond_timedwait(&m->cv, &m->lock, &dl);
    if (m->stop)
      break;
    pthread_mutex_unlock(&m->lock);
    rt_pool_health_check(m->pool, NULL);
    pthread_mutex_lock(&m->lock);
    m->passes++;
  }
  pthread_mutex_unlock(&m->lock);
  return NULL;
}

riptide_err rt_pool_monitor_start(riptide_pool *p, rt_pool_monitor **out)
{
  *out = NULL;
  rt_pool_monitor *m = calloc(1, sizeof *m);
  if (!m)
    return RIPTIDE_ERR_NOMEM;
  m->pool = p;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_mutex_init(&m->lock, NULL);
  pthread_cond_init(&m->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&m->thread, NULL, mt_main, m) != 0) {
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->cv);
    free(m);
    return RIPTIDE_ERR_INTERNAL;
  }
  *out = m;
  return RIPTIDE_OK;
}

void rt_pool_monitor_stop(rt_pool_monitor *m)
{
  if (!m)
    return;
  pthread_mutex_lock(&m->lock);
  m->stop = true;
  pthread_cond_signal(&m->cv);
  pthread_mutex_unlock(&m->lock);
  pthread_join(m->thread, NULL);
  pthread_mutex_destroy(&m->lock);
  pthread_cond_destroy(&m->cv);
  free(m);
}

uint64_t rt_pool_monitor_passes(rt_pool_monitor *m)
{
  pthread_mutex_lock(&m->lock);
  uint64_t n = m->passes;
  pthread_mutex_unlock(&m->lock);
  return n;
}
