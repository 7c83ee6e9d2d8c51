/*
 * pool.c - the instance pool (the seed's pool.rs): configuration, permits, slot entries,
 * lease and release, warm-up, status, metrics snapshot, events, shutdown.
 *
 * DESIGN
 * See models.h for the entry state machine and the invariants. The threads that touch a pool:
 *  - callers of riptide_pool_extract (any number): lease, call the guest, release;
 *  - the monitor thread (maintenance.c): one health pass every interval, acting on the
 *    health decider (src/health) and the memory decider (src/memory);
 *  - the event dispatcher (src/events): calls subscribers, never touches the pool's state;
 *  - the thread calling riptide_pool_shutdown / riptide_pool_free.
 *
 * LOCK ORDER
 *   1. pool->lock  - a leaf: held only to move entries and permits, never while calling the
 *                    guest (slot_new, slot_reset, slot_free, call_extract, slot_stats), the
 *                    breaker, metrics, the event bus, the native fallback or user code.
 *   (the monitor's lock, the breaker's, the metrics' and the event bus's locks are each taken
 *    alone, never with pool->lock held; none of those modules calls back into the pool, and
 *    the health and memory deciders take no lock at all.)
 * This is the seed's phase-based locking: phase 1 decides under the lock and copies out what
 * is needed, phase 2 calls out with no lock held.
 *
 * Field guards: see struct riptide_pool in models.h. `cfg`, `guest`, `limits`, `id`,
 * `memory_*`, `breaker`, `events`, `metrics` are immutable after creation; `in_flight`,
 * `entered` and `magic` are atomic; everything else is guarded by pool->lock; `monitor` is
 * written only by the thread that creates or shuts down the pool, under pool->lock.
 *
 * API MISUSE
 * riptide_pool_free must be called once, when no other thread uses the pool. Calls already
 * inside the pool when it starts are waited for (shutdown refuses new work, so they end); a
 * call that starts afterwards would use freed memory, so it is detected instead: every
 * riptide_pool_* entry counts itself in `entered` and then checks `magic` (both seq_cst, and
 * free stores `magic` before it reads `entered`: one of the two always sees the other), and
 * aborts with a message naming the call. Event handlers are exempt: free joins the
 * dispatcher before destroying anything they could touch.
 */
#include "pool/pool.h"

#include "common/clock.h"
#include "common/errors.h"
#include "common/limits.h"
#include "common/sized.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- clocks ------------------------------------------------------------------------------ */

uint64_t rt_pool_mono_ns(void)
{
  return rt_clock_mono_ns();
}

uint64_t rt_pool_now(const riptide_pool *p)
{
  if (p->cfg.clock)
    return p->cfg.clock(p->cfg.clock_ctx);
  return rt_pool_mono_ns();
}

/* ---- configuration ----------------------------------------------------------------------- */

void riptide_pool_config_init(riptide_pool_config *c)
{
  if (!c)
    return;
  memset(c, 0, sizeof *c);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < RT_DEFAULT_MIN_SLOTS)
    cpus = RT_DEFAULT_MIN_SLOTS;
  if (cpus > RT_MAX_SLOTS)
    cpus = RT_MAX_SLOTS;
  c->max_slots = (uint32_t)cpus;
  c->warm_slots = RT_DEFAULT_WARM_SLOTS;
  c->acquire_wait_ms = RT_DEFAULT_ACQUIRE_WAIT_MS;
  c->fallback_on_exhausted = false;
  c->fallback_enabled = true;
  c->timeout_ms = RT_DEFAULT_TIMEOUT_MS;
  c->memory_cap_bytes = RT_DEFAULT_MEMORY_CAP;
  c->max_input_bytes = RT_DEFAULT_MAX_INPUT;
  c->max_output_bytes = 0; /* automatic: RT_DEFAULT_MAX_OUTPUT + RT_OUTPUT_PER_INPUT_BYTE x input */
  c->breaker_window = RT_DEFAULT_BREAKER_WINDOW;
  c->breaker_min_calls = RT_DEFAULT_BREAKER_MIN_CALLS;
  c->breaker_failure_pct = RT_DEFAULT_BREAKER_FAILURE_PCT;
  c->breaker_cooldown_ms = RT_DEFAULT_BREAKER_COOLDOWN_MS;
  c->breaker_probes = RT_DEFAULT_BREAKER_PROBES;
  c->breaker_max_cooldown_ms = RT_DEFAULT_BREAKER_MAX_COOLDOWN_MS;
  c->health_interval_ms = RT_DEFAULT_HEALTH_INTERVAL_MS;
  c->max_slot_age_ms = RT_DEFAULT_MAX_SLOT_AGE_MS;
  c->max_slot_failures = RT_DEFAULT_MAX_SLOT_FAILURES;
  c->max_slot_memory_pct = RT_DEFAULT_MAX_SLOT_MEMORY_PCT;
  c->max_grow_failures = RT_DEFAULT_MAX_GROW_FAILURES;
  c->idle_shrink_ms = RT_DEFAULT_IDLE_SHRINK_MS;
  c->memory_budget_bytes = 0; /* = max_slots x memory_cap_bytes, resolved by the pool */
  c->memory_cleanup_pct = RT_DEFAULT_MEMORY_CLEANUP_PCT;
  c->event_ring_size = RT_DEFAULT_EVENT_RING;
  c->clock = NULL;
  c->clock_ctx = NULL;
}

/*
 * Ranges (anything else is RIPTIDE_ERR_INVALID_ARG):
 *   max_slots 1..RT_MAX_SLOTS; warm_slots <= max_slots; timeout_ms 1..RT_MAX_TIMEOUT_MS (every
 *   call has a deadline); memory_cap_bytes one wasm page..RT_MAX_MEMORY_CAP; max_input_bytes
 *   >= 1; max_output_bytes 0 = automatic (per input); max_slot_memory_pct and
 *   memory_cleanup_pct 1..100; event_ring_size <= RT_MAX_EVENT_RING (0 = default);
 *   memory_budget_bytes 0 = max_slots x memory_cap_bytes. max_slot_age_ms, max_slot_failures,
 *   max_grow_failures and idle_shrink_ms 0 disable that health check. Breaker fields are
 *   checked by rt_breaker_new (0 takes the default).
 */
riptide_err rt_pool_config_resolve(const riptide_pool_config *in, riptide_pool_config *out)
{
  if (!in || !out)
    return RIPTIDE_ERR_INVALID_ARG;
  riptide_pool_config c = *in;
  if (c.max_slots < 1 || c.max_slots > RT_MAX_SLOTS)
    return RIPTIDE_ERR_INVALID_ARG;
  if (c.warm_slots > c.max_slots)
    return RIPTIDE_ERR_INVALID_ARG;
  if (c.timeout_ms < 1 || c.timeout_ms > RT_MAX_TIMEOUT_MS)
    return RIPTIDE_ERR_INVALID_ARG;
  if (c.memory_cap_bytes < RT_POOL_PAGE || c.memory_cap_bytes > RT_MAX_MEMORY_CAP)
    return RIPTIDE_ERR_INVALID_ARG;
  if (c.max_input_bytes < 1) /* max_output_bytes 0 = automatic */
    return RIPTIDE_ERR_INVALID_ARG;
  if (c.max_slot_memory_pct < 1 || c.max_slot_memory_pct > 100)
    return RIPTIDE_ERR_INVALID_ARG;
  if (c.memory_cleanup_pct < 1 || c.memory_cleanup_pct > 100)
    return RIPTIDE_ERR_INVALID_ARG;
  if (c.event_ring_size == 0)
    c.event_ring_size = RT_DEFAULT_EVENT_RING;
  if (c.event_ring_size > RT_MAX_EVENT_RING)
    return RIPTIDE_ERR_INVALID_ARG;
  if (c.memory_budget_bytes == 0)
    c.memory_budget_bytes = (uint64_t)c.max_slots * c.memory_cap_bytes;
  *out = c;
  return RIPTIDE_OK;
}

/* ---- events ------------------------------------------------------------------------------ */

/* The call_id of the riptide_pool_extract call running on this thread (NULL: none). */
static _Thread_local const char *pool_call_id;

void rt_pool_call_id_set(const char *call_id)
{
  pool_call_id = call_id;
}

void rt_pool_emit(riptide_pool *p, const char *type, riptide_severity sev, uint64_t instance_id,
                  ...)
{
  if (!rt_pool_wants(p, type, sev))
    return;
  rt_event_kv kv[RIPTIDE_EVENT_MAX_META];
  size_t n = 0;
  va_list ap;
  va_start(ap, instance_id);
  for (;;) {
    const char *k = va_arg(ap, const char *);
    if (!k)
      break;
    const char *v = va_arg(ap, const char *);
    if (n < RIPTIDE_EVENT_MAX_META) {
      kv[n].key = k;
      kv[n].val = v;
      n++;
    }
  }
  va_end(ap);
  if (pool_call_id && n < RIPTIDE_EVENT_MAX_META) {
    kv[n].key = "call_id";
    kv[n].val = pool_call_id;
    n++;
  }
  rt_events_emit(p->events, type, sev, instance_id, kv, n);
}

static void pool_u64(char *buf, size_t n, uint64_t v)
{
  snprintf(buf, n, "%llu", (unsigned long long)v);
}

/* ---- entries (all *_locked helpers run under p->lock) ------------------------------------ */

static void pool_push_empty_locked(riptide_pool *p, uint32_t idx)
{
  rt_pool_slot *e = &p->slots[idx];
  e->state = RT_SLOT_EMPTY;
  e->slot = NULL;
  e->instance_id = 0;
  memset(&e->stats, 0, sizeof e->stats);
  p->empty_stack[p->n_empty++] = idx;
}

static void pool_remove_idle_locked(riptide_pool *p, uint32_t idx)
{
  for (uint32_t i = p->n_idle; i-- > 0;) {
    if (p->idle_stack[i] == idx) {
      memmove(&p->idle_stack[i], &p->idle_stack[i + 1], (p->n_idle - i - 1) * sizeof(uint32_t));
      p->n_idle--;
      return;
    }
  }
}

rt_slot *rt_pool_detach_idle_locked(riptide_pool *p, uint32_t idx)
{
  rt_pool_slot *e = &p->slots[idx];
  if (e->state != RT_SLOT_IDLE || !e->slot)
    return NULL;
  rt_slot *s = e->slot;
  pool_remove_idle_locked(p, idx);
  p->live--;
  p->live_pages -= e->stats.pages;
  p->live_resident -= e->stats.resident_bytes;
  pool_push_empty_locked(p, idx);
  return s;
}

/* Creates a guest slot with no lock held; fills its stats. */
static riptide_err pool_create_slot(riptide_pool *p, rt_slot **out, rt_slot_stats *st)
{
  riptide_err err = p->guest->ops->slot_new(p->guest, &p->limits, out);
  if (err != RIPTIDE_OK) {
    *out = NULL;
    return err;
  }
  p->guest->ops->slot_stats(*out, st);
  return RIPTIDE_OK;
}

/* Installs a created slot into entry idx (LEASED or IDLE target) under the lock. */
static uint64_t pool_install_locked(riptide_pool *p, uint32_t idx, rt_slot *s,
                                    const rt_slot_stats *st, uint64_t now)
{
  rt_pool_slot *e = &p->slots[idx];
  e->slot = s;
  e->instance_id = ++p->next_instance_id;
  e->created_ns = now;
  e->last_used_ns = now;
  e->uses = 0;
  e->failures = 0;
  e->stats = *st;
  p->live++;
  p->live_pages += st->pages;
  p->live_resident += st->resident_bytes;
  return e->instance_id;
}

static void pool_emit_created(riptide_pool *p, uint64_t id, const rt_slot_stats *st,
                              const char *why)
{
  char pages[24];
  pool_u64(pages, sizeof pages, st->pages);
  rt_metrics_slot_created(p->metrics);
  rt_pool_emit(p, RT_EV_INSTANCE_CREATED, RIPTIDE_SEV_DEBUG, id, "reason", why, "pages", pages,
               (const char *)NULL);
}

static void pool_emit_creation_failed(riptide_pool *p, riptide_err err, const char *why)
{
  rt_pool_emit(p, RT_EV_INSTANCE_CREATION_FAILED, RIPTIDE_SEV_ERROR, 0, "reason", why, "error",
               riptide_err_name(err), (const char *)NULL);
}

uint32_t rt_pool_fill(riptide_pool *p, uint32_t target, const char *why)
{
  uint32_t created = 0;
  /* At most one attempt per missing slot: a failing guest costs a bounded number of tries. */
  for (uint32_t attempts = target; attempts > 0; attempts--) {
    pthread_mutex_lock(&p->lock);
    bool need = !p->shutting_down && p->live < target && p->n_empty > 0;
    pthread_mutex_unlock(&p->lock);
    if (!need)
      break;
    rt_slot *s;
    rt_slot_stats st;
    riptide_err err = pool_create_slot(p, &s, &st);
    if (err != RIPTIDE_OK) {
      pool_emit_creation_failed(p, err, why);
      continue;
    }
    uint64_t now = rt_pool_now(p);
    uint64_t id = 0;
    pthread_mutex_lock(&p->lock);
    /* An entry may have been leased meanwhile: install only if one is still empty. */
    if (!p->shutting_down && p->n_empty > 0 && p->live < target) {
      uint32_t idx = p->empty_stack[--p->n_empty];
      id = pool_install_locked(p, idx, s, &st, now);
      p->slots[idx].state = RT_SLOT_IDLE;
      p->idle_stack[p->n_idle++] = idx;
      s = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    if (s) {
      p->guest->ops->slot_free(s);
      break;
    }
    created++;
    pool_emit_created(p, id, &st, why);
  }
  return created;
}

/* ---- lease / release --------------------------------------------------------------------- */

riptide_err rt_pool_lease(riptide_pool *p, uint32_t wait_ms, rt_lease *l)
{
  memset(l, 0, sizeof *l);
  uint64_t t0 = 0;
  pthread_mutex_lock(&p->lock);
  if (p->shutting_down) {
    pthread_mutex_unlock(&p->lock);
    return RIPTIDE_ERR_SHUTDOWN;
  }
  if (p->available == 0) {
    if (wait_ms == 0) {
      pthread_mutex_unlock(&p->lock);
      return RIPTIDE_ERR_POOL_EXHAUSTED;
    }
    t0 = rt_pool_mono_ns();
    struct timespec dl;
    dl = rt_deadline_in_ms(wait_ms);
    p->waiters++;
    int rc = 0;
    while (p->available == 0 && !p->shutting_down && rc != ETIMEDOUT)
      rc = pthread_cond_timedwait(&p->permit_cv, &p->lock, &dl);
    p->waiters--;
    l->waited = true;
    if (p->shutting_down || p->available == 0) {
      riptide_err err = p->shutting_down ? RIPTIDE_ERR_SHUTDOWN : RIPTIDE_ERR_POOL_EXHAUSTED;
      pthread_mutex_unlock(&p->lock);
      l->wait_ns = rt_pool_mono_ns() - t0;
      return err;
    }
  }
  p->available--;
  p->leased++;
  uint32_t idx;
  if (p->n_idle > 0)
    idx = p->idle_stack[--p->n_idle];
  else
    idx = p->empty_stack[--p->n_empty]; /* invariant: n_idle + n_empty >= available + 1 */
  rt_pool_slot *e = &p->slots[idx];
  e->state = RT_SLOT_LEASED;
  l->idx = idx;
  l->slot = e->slot;
  l->instance_id = e->instance_id;
  pthread_mutex_unlock(&p->lock);
  if (l->waited)
    l->wait_ns = rt_pool_mono_ns() - t0;
  if (l->slot)
    return RIPTIDE_OK;

  /* Empty entry: create its guest slot with no lock held. */
  rt_slot *s;
  rt_slot_stats st;
  riptide_err err = pool_create_slot(p, &s, &st);
  uint64_t now = rt_pool_now(p);
  pthread_mutex_lock(&p->lock);
  if (err == RIPTIDE_OK) {
    l->instance_id = pool_install_locked(p, idx, s, &st, now);
    l->slot = s;
  } else {
    pool_push_empty_locked(p, idx);
    p->leased--;
    p->available++;
    if (p->waiters)
      pthread_cond_signal(&p->permit_cv);
    if (p->shutting_down && p->leased == 0 && p->active == 0)
      pthread_cond_broadcast(&p->drain_cv);
  }
  pthread_mutex_unlock(&p->lock);
  if (err == RIPTIDE_OK)
    pool_emit_created(p, l->instance_id, &st, "on_demand");
  else
    pool_emit_creation_failed(p, err, "on_demand");
  return err;
}

void rt_pool_release(riptide_pool *p, rt_lease *l, rt_release_kind kind, const rt_slot_stats *st,
                     bool failed)
{
  uint64_t now = rt_pool_now(p);
  rt_slot *to_free = NULL;
  uint64_t freed_id = 0, grow_delta = 0;
  bool over;
  pthread_mutex_lock(&p->lock);
  rt_pool_slot *e = &p->slots[l->idx];
  e->uses++;
  if (failed)
    e->failures++;
  if (st && st->grow_failures > e->stats.grow_failures)
    grow_delta = st->grow_failures - e->stats.grow_failures;
  if (kind == RT_RELEASE_DISCARD || !e->slot || !st) {
    to_free = e->slot;
    freed_id = e->instance_id;
    if (e->slot) {
      p->live--;
      p->live_pages -= e->stats.pages;
      p->live_resident -= e->stats.resident_bytes;
    }
    pool_push_empty_locked(p, l->idx);
  } else {
    p->live_pages = p->live_pages - e->stats.pages + st->pages;
    p->live_resident = p->live_resident - e->stats.resident_bytes + st->resident_bytes;
    if (st->call_peak_bytes > p->peak_call_bytes)
      p->peak_call_bytes = st->call_peak_bytes;
    e->stats = *st;
    e->last_used_ns = now;
    e->state = RT_SLOT_IDLE;
    p->idle_stack[p->n_idle++] = l->idx;
  }
  p->leased--;
  p->available++;
  if (p->waiters)
    pthread_cond_signal(&p->permit_cv);
  if (p->shutting_down && p->leased == 0 && p->active == 0)
    pthread_cond_broadcast(&p->drain_cv);
  over = p->live_resident > p->memory_threshold;
  pthread_mutex_unlock(&p->lock);
  l->slot = NULL;

  if (grow_delta)
    rt_metrics_add_grow_failures(p->metrics, grow_delta);
  if (to_free) {
    p->guest->ops->slot_free(to_free);
    rt_metrics_slot_destroyed(p->metrics);
    rt_pool_emit(p, RT_EV_INSTANCE_DESTROYED, RIPTIDE_SEV_DEBUG, freed_id, "reason",
                 failed ? "discarded_after_failure" : "discarded", (const char *)NULL);
  }
  if (over)
    rt_pool_memory_cleanup(p, NULL);
}

/* ---- creation ---------------------------------------------------------------------------- */

static atomic_uint_fast64_t pool_counter;

static void pool_destroy(riptide_pool *p)
{
  if (!p)
    return;
  if (p->slots) {
    for (uint32_t i = 0; i < p->cfg.max_slots; i++) {
      if (p->slots[i].slot) {
        p->guest->ops->slot_free(p->slots[i].slot);
        p->slots[i].slot = NULL;
      }
    }
  }
  rt_events_free(p->events);
  rt_metrics_free(p->metrics);
  rt_breaker_free(p->breaker);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->permit_cv);
  pthread_cond_destroy(&p->drain_cv);
  pthread_cond_destroy(&p->native_cv);
  free(p->slots);
  free(p->idle_stack);
  free(p->empty_stack);
  atomic_store(&p->magic, 0); /* a later call most likely sees "not live" (best effort) */
  free(p);
}

riptide_err rt_pool_new_with_guest(const riptide_pool_config *cfg_in, const rt_guest *guest,
                                   riptide_pool **out)
{
  if (!out)
    return RIPTIDE_ERR_INVALID_ARG;
  *out = NULL;
  if (!guest || !guest->ops)
    return RIPTIDE_ERR_INVALID_ARG;
  riptide_pool_config dflt;
  if (!cfg_in) {
    riptide_pool_config_init(&dflt);
    cfg_in = &dflt;
  }
  riptide_pool_config cfg;
  riptide_err err = rt_pool_config_resolve(cfg_in, &cfg);
  if (err != RIPTIDE_OK)
    return err;

  rt_breaker_config bc;
  rt_breaker_config_from_pool(&bc, &cfg);
  rt_breaker *breaker = NULL;
  err = rt_breaker_new(&bc, cfg.clock, cfg.clock_ctx, &breaker);
  if (err != RIPTIDE_OK)
    return err;

  riptide_pool *p = calloc(1, sizeof *p);
  if (!p) {
    rt_breaker_free(breaker);
    return RIPTIDE_ERR_NOMEM;
  }
  p->breaker = breaker;
  p->cfg = cfg;
  p->guest = guest;
  p->limits.memory_cap_bytes = cfg.memory_cap_bytes;
  p->limits.timeout_ms = cfg.timeout_ms;
  /* Automatic output cap: the sandbox copies out up to the largest one an input may get; the
   * per-call cap is checked by extraction.c. */
  p->limits.max_output_bytes =
      cfg.max_output_bytes ? cfg.max_output_bytes
                           : RT_DEFAULT_MAX_OUTPUT + RT_OUTPUT_PER_INPUT_BYTE * cfg.max_input_bytes;
  p->id = ((uint64_t)(uint32_t)getpid() << 32) | (uint32_t)(atomic_fetch_add(&pool_counter, 1) + 1);
  p->memory_budget = cfg.memory_budget_bytes;
  p->memory_threshold = rt_memory_threshold(cfg.memory_budget_bytes, cfg.memory_cleanup_pct);
  atomic_init(&p->in_flight, 0);
  atomic_init(&p->entered, 0);
  atomic_init(&p->magic, RT_POOL_MAGIC_LIVE);

  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->permit_cv, &ca);
  pthread_cond_init(&p->drain_cv, &ca);
  pthread_cond_init(&p->native_cv, &ca);
  pthread_condattr_destroy(&ca);

  p->slots = calloc(cfg.max_slots, sizeof *p->slots);
  p->idle_stack = calloc(cfg.max_slots, sizeof *p->idle_stack);
  p->empty_stack = calloc(cfg.max_slots, sizeof *p->empty_stack);
  if (!p->slots || !p->idle_stack || !p->empty_stack) {
    pool_destroy(p);
    return RIPTIDE_ERR_NOMEM;
  }
  for (uint32_t i = cfg.max_slots; i-- > 0;)
    pool_push_empty_locked(p, i); /* not shared yet: no lock needed */
  p->available = cfg.max_slots;

  err = rt_metrics_new(&p->metrics);
  if (err != RIPTIDE_OK) {
    pool_destroy(p);
    return err;
  }
  rt_events_config ec;
  rt_events_config_init(&ec);
  ec.ring_size = cfg.event_ring_size;
  /* Batch the dispatcher's wake-ups: sub-WARN events reach subscribers up to 2 ms later, and
   * a DEBUG/TRACE subscriber no longer costs every extraction a futex wake-up. */
  ec.wake_delay_ms = 2;
  ec.pool_id = p->id;
  err = rt_events_new(&ec, &p->events);
  if (err != RIPTIDE_OK) {
    pool_destroy(p);
    return err;
  }

  /* Warm-up: a guest that cannot be instantiated at all is reported here, not on the first
   * document. */
  if (cfg.warm_slots > 0) {
    uint64_t t0 = rt_pool_mono_ns();
    uint32_t made = rt_pool_fill(p, cfg.warm_slots, "warmup");
    char nb[24], wb[24], us[24];
    pool_u64(nb, sizeof nb, made);
    pool_u64(wb, sizeof wb, cfg.warm_slots);
    pool_u64(us, sizeof us, (rt_pool_mono_ns() - t0) / 1000);
    rt_pool_emit(p, RT_EV_POOL_WARMUP,
                 made == cfg.warm_slots ? RIPTIDE_SEV_INFO : RIPTIDE_SEV_ERROR, 0, "created", nb,
                 "requested", wb, "duration_us", us, (const char *)NULL);
    if (made == 0) {
      pool_destroy(p);
      return RIPTIDE_ERR_INSTANTIATE;
    }
  }
  if (cfg.health_interval_ms > 0) {
    err = rt_pool_monitor_start(p, &p->monitor);
    if (err != RIPTIDE_OK) {
      pool_destroy(p);
      return err;
    }
  }
  *out = p;
  return RIPTIDE_OK;
}

riptide_err riptide_pool_new(const riptide_pool_config *cfg, riptide_pool **out)
{
  rt_error_detail_clear();
  const rt_guest *g = rt_sandbox_extractor();
  if (!g) {
    if (out)
      *out = NULL;
    rt_error_detail_set("the built-in extractor guest is not available");
    return RIPTIDE_ERR_INSTANTIATE;
  }
  riptide_err err = rt_pool_new_with_guest(cfg, g, out);
  if (err == RIPTIDE_ERR_INSTANTIATE && !riptide_last_error_detail()[0])
    rt_error_detail_set("a sandbox instance could not be created: each reserves 8 GiB of address "
                        "space (check ulimit -v) and the guest's memory image");
  return err;
}

/* ---- status, metrics, events ------------------------------------------------------------- */

static void pool_status_fill(riptide_pool *p, riptide_pool_status *st)
{
  memset(st, 0, sizeof *st);
  if (!p)
    return;
  rt_pool_enter(p, "riptide_pool_status_get");
  st->pool_id = p->id;
  st->max_slots = p->cfg.max_slots;
  pthread_mutex_lock(&p->lock);
  st->available = p->available;
  st->leased = p->leased;
  st->idle = p->n_idle;
  st->waiters = p->waiters;
  st->shutting_down = p->shutting_down;
  st->resident_bytes = p->live_resident;
  st->peak_call_bytes = p->peak_call_bytes;
  pthread_mutex_unlock(&p->lock);
  st->in_flight = atomic_load(&p->in_flight);
  st->breaker_state = (int)rt_breaker_state_now(p->breaker);
  rt_pool_leave(p);
}

/* The checks of the *_sized getters: a struct to fill, of an acceptable size. */
static riptide_err sized_get_check(const char *what, const void *dst, size_t size)
{
  rt_error_detail_clear();
  if (!dst) {
    rt_error_detail_set("%s: no struct to fill (NULL)", what);
    return RIPTIDE_ERR_INVALID_ARG;
  }
  return rt_sized_ok(what, size) ? RIPTIDE_OK : RIPTIDE_ERR_INVALID_ARG;
}

riptide_err riptide_pool_status_get_sized(riptide_pool *p, riptide_pool_status *st, size_t size)
{
  riptide_err err = sized_get_check("riptide_pool_status", st, size);
  if (err != RIPTIDE_OK)
    return err;
  riptide_pool_status full;
  pool_status_fill(p, &full);
  rt_sized_out(st, size, &full, sizeof full);
  return RIPTIDE_OK;
}

static void pool_metrics_fill(riptide_pool *p, riptide_metrics *m)
{
  memset(m, 0, sizeof *m);
  if (!p)
    return;
  rt_pool_enter(p, "riptide_pool_metrics");
  rt_metrics_snapshot(p->metrics, m);
  pthread_mutex_lock(&p->lock);
  m->slots_idle = p->n_idle;
  m->slots_leased = p->leased;
  m->guest_pages = p->live_pages;
  m->guest_resident_bytes = p->live_resident;
  m->guest_peak_call_bytes = p->peak_call_bytes;
  pthread_mutex_unlock(&p->lock);
  m->in_flight = atomic_load(&p->in_flight);
  rt_breaker_stats bs;
  rt_breaker_stats_get(p->breaker, &bs);
  m->breaker_state = (int)rt_breaker_state_now(p->breaker);
  m->breaker_trips = bs.trips;
  rt_events_stats es;
  rt_events_stats_get(p->events, &es);
  m->events_emitted = es.emitted;
  m->events_dropped = es.dropped;
  rt_pool_leave(p);
}

riptide_err riptide_pool_metrics_sized(riptide_pool *p, riptide_metrics *m, size_t size)
{
  riptide_err err = sized_get_check("riptide_metrics", m, size);
  if (err != RIPTIDE_OK)
    return err;
  riptide_metrics full;
  pool_metrics_fill(p, &full);
  rt_sized_out(m, size, &full, sizeof full);
  return RIPTIDE_OK;
}

uint64_t riptide_pool_subscribe(riptide_pool *p, const char *prefix, riptide_severity min,
                                riptide_event_fn fn, void *ctx)
{
  if (!p)
    return 0;
  rt_pool_enter(p, "riptide_pool_subscribe");
  uint64_t id = rt_events_subscribe(p->events, prefix, min, fn, ctx);
  rt_pool_leave(p);
  return id;
}

void riptide_pool_unsubscribe(riptide_pool *p, uint64_t sub_id)
{
  if (!p)
    return;
  rt_pool_enter(p, "riptide_pool_unsubscribe");
  rt_events_unsubscribe(p->events, sub_id);
  rt_pool_leave(p);
}

/* ---- shutdown ---------------------------------------------------------------------------- */

/* Waits for active callers and leases to drain; deadline_ms UINT32_MAX = no limit. */
static riptide_err pool_shutdown(riptide_pool *p, uint32_t deadline_ms)
{
  struct timespec dl;
  dl = rt_deadline_in_ms(deadline_ms);
  pthread_mutex_lock(&p->lock);
  bool first = !p->shutting_down;
  p->shutting_down = true;
  pthread_cond_broadcast(&p->permit_cv);
  int rc = 0;
  while ((p->active > 0 || p->leased > 0) && rc != ETIMEDOUT) {
    if (deadline_ms == UINT32_MAX)
      rc = pthread_cond_wait(&p->drain_cv, &p->lock);
    else
      rc = pthread_cond_timedwait(&p->drain_cv, &p->lock, &dl);
  }
  bool busy = p->active > 0 || p->leased > 0;
  uint32_t active = p->active;
  rt_pool_monitor *mon = NULL;
  if (!p->health_stopped) {
    mon = p->monitor;
    p->monitor = NULL;
    p->health_stopped = true;
  }
  pthread_mutex_unlock(&p->lock);
  rt_pool_monitor_stop(mon);
  if (first) {
    char ab[24];
    pool_u64(ab, sizeof ab, active);
    rt_pool_emit(p, "pool.shutdown", busy ? RIPTIDE_SEV_WARN : RIPTIDE_SEV_INFO, 0, "in_flight", ab,
                 (const char *)NULL);
  }
  if (busy)
    rt_error_detail_set("%u calls were still running after %u ms", active, deadline_ms);
  return busy ? RIPTIDE_ERR_TIMEOUT : RIPTIDE_OK;
}

riptide_err riptide_pool_shutdown(riptide_pool *p, uint32_t deadline_ms)
{
  rt_error_detail_clear();
  if (!p)
    return RIPTIDE_ERR_INVALID_ARG;
  rt_pool_enter(p, "riptide_pool_shutdown");
  riptide_err err = pool_shutdown(p, deadline_ms);
  rt_pool_leave(p);
  return err;
}

/* ---- API misuse ---------------------------------------------------------------------------- */

static void pool_misuse(const char *fn, const char *what)
{
  /* A program bug that would otherwise be a use-after-free: say so and stop. */
  fprintf(stderr, "riptide: API misuse: %s %s\n", fn, what);
  fflush(stderr);
  abort();
}

void rt_pool_enter(riptide_pool *p, const char *fn)
{
  atomic_fetch_add(&p->entered, 1);
  uint64_t m = atomic_load(&p->magic);
  if (m == RT_POOL_MAGIC_LIVE)
    return;
  if (m == RT_POOL_MAGIC_FREEING) {
    if (rt_events_in_handler(p->events))
      return; /* riptide_pool_free joins the dispatcher before destroying anything else */
    pool_misuse(fn, "called on a pool that riptide_pool_free is freeing (another thread still "
                    "uses it; free a pool only once no other thread does)");
  }
  pool_misuse(fn, "called on a pool that is not live (freed already, or not a pool)");
}

void rt_pool_leave(riptide_pool *p)
{
  atomic_fetch_sub(&p->entered, 1);
}

void riptide_pool_free(riptide_pool *p)
{
  if (!p)
    return;
  uint64_t live = RT_POOL_MAGIC_LIVE;
  if (!atomic_compare_exchange_strong(&p->magic, &live, RT_POOL_MAGIC_FREEING))
    pool_misuse("riptide_pool_free", live == RT_POOL_MAGIC_FREEING
                                         ? "called twice on the same pool"
                                         : "called on a pool that is not live");
  /* Calls inside the pool now are waited for: shutdown drains the ones doing work, and the
   * rest (refused, or reading status) leave within microseconds. New ones abort (enter). */
  pool_shutdown(p, UINT32_MAX);
  while (atomic_load(&p->entered) > 0)
    sched_yield();
  pool_destroy(p);
}
