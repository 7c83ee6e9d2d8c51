/*
 * pool.h - the pool's internal API (prefix rt_pool_), used by extraction.c, maintenance.c,
 * tests and benchmarks. The public API is in include/riptide.h.
 *
 * Thread-safety: every function may be called from any thread at once on a shared pool,
 * except rt_pool_release / rt_pool_slot_* on one lease, which belong to the thread that
 * holds that lease.
 */
#ifndef RT_POOL_H
#define RT_POOL_H

#include "health/health.h"
#include "memory/memory.h"
#include "pool/models.h"

/* Validates `in` and writes it to `out` with defaults resolved (memory_budget_bytes 0 ->
 * max_slots x memory_cap_bytes). RIPTIDE_ERR_INVALID_ARG names nothing: see the ranges in
 * pool.c (each one a limit of src/common/limits.h). */
riptide_err rt_pool_config_resolve(const riptide_pool_config *in, riptide_pool_config *out);

/* Creates a pool over any guest (the real sandbox, or tests' fake guest). Warms up
 * cfg.warm_slots slots and starts the health monitor (unless health_interval_ms is 0).
 * `guest` must outlive the pool. On error *out is NULL. Free with riptide_pool_free. */
riptide_err rt_pool_new_with_guest(const riptide_pool_config *cfg, const rt_guest *guest,
                                   riptide_pool **out);

/* The pool's clock (cfg.clock, or CLOCK_MONOTONIC), in ns. */
uint64_t rt_pool_now(const riptide_pool *p);
/* CLOCK_MONOTONIC in ns, for durations (never injected). */
uint64_t rt_pool_mono_ns(void);

/* A leased entry: a permit plus an entry with a live guest slot. */
typedef struct rt_lease {
  uint32_t idx;
  rt_slot *slot;
  uint64_t instance_id;
  uint64_t wait_ns; /* time spent waiting for the permit (0 if none was needed) */
  bool waited;      /* the caller had to wait */
} rt_lease;

/* Takes a permit (waiting up to wait_ms; 0 = no wait) and an entry; creates the guest slot
 * when the entry is empty (emitting pool.instance_created / instance_creation_failed).
 * Returns OK, POOL_EXHAUSTED (wait expired), SHUTDOWN, or the slot_new error (the permit is
 * then already given back). */
riptide_err rt_pool_lease(riptide_pool *p, uint32_t wait_ms, rt_lease *l);

typedef enum rt_release_kind {
  RT_RELEASE_KEEP = 0,   /* the caller reset the slot: it goes back IDLE */
  RT_RELEASE_DISCARD = 1 /* the slot is freed (timeout, failed reset): entry becomes EMPTY */
} rt_release_kind;

/* Gives the entry and the permit back. `st` (may be NULL when discarding) is the slot's
 * stats read after the reset; `failed` counts a guest failure against the slot. Frees a
 * discarded slot and emits pool.instance_destroyed with no lock held. Then, when usage is over
 * the threshold, runs the memory cleanup (rt_pool_memory_cleanup). */
void rt_pool_release(riptide_pool *p, rt_lease *l, rt_release_kind kind, const rt_slot_stats *st,
                     bool failed);

/* Detaches an IDLE entry's guest slot (the entry becomes EMPTY). Caller holds p->lock.
 * Returns the slot, which the caller frees with guest->ops->slot_free after unlocking. */
rt_slot *rt_pool_detach_idle_locked(riptide_pool *p, uint32_t idx);

/* Creates guest slots for EMPTY entries until `target` entries are live (or none are empty,
 * or creation fails). Returns how many were created. No lock held on entry. */
uint32_t rt_pool_fill(riptide_pool *p, uint32_t target, const char *why);

/* ---- maintenance (maintenance.c): the pool acting on the health and memory deciders ---- */

/* One health pass: gathers the IDLE entries' records under pool->lock, asks rt_health_decide,
 * detaches the chosen slots; then, with no lock held, frees them, recreates the recycled ones
 * (keeping at least warm_slots live), runs the memory cleanup and emits
 * pool.instance_unhealthy per recycled slot, pool.instance_destroyed per freed slot,
 * pool.instance_healthy (trace) per slot kept and one pool.health_check. Leased slots are
 * never touched. r may be NULL. Does nothing once the pool is shutting down. Any thread. */
void rt_pool_health_check(riptide_pool *p, rt_health_report *r);

/* Usage for the memory budget, in bytes: the resident memory of the live slots. */
uint64_t rt_pool_memory_usage(riptide_pool *p);
/* When usage is over the threshold, clears the idle slots rt_memory_decide picks (largest
 * first), frees them with no lock held and emits pool.memory_cleanup. Returns the number of
 * slots cleared; fills r (may be NULL). Any thread, no pool lock held. */
uint32_t rt_pool_memory_cleanup(riptide_pool *p, rt_memory_report *r);

/* The monitor thread: one rt_pool_health_check every cfg.health_interval_ms (real time).
 * start/stop belong to the thread that creates / shuts down the pool; stop joins (a running
 * pass finishes first) and frees; NULL is a no-op. */
riptide_err rt_pool_monitor_start(riptide_pool *p, rt_pool_monitor **out);
void rt_pool_monitor_stop(rt_pool_monitor *m);
uint64_t rt_pool_monitor_passes(rt_pool_monitor *m);

/* ---- API misuse (pool.c) ----------------------------------------------------------------- */

/* Every riptide_pool_* function but riptide_pool_free brackets its work with these: enter
 * counts the caller in p->entered, then aborts with a message naming `fn` if
 * riptide_pool_free has started on the pool (unless the caller is one of the pool's event
 * handlers, which riptide_pool_free waits for); free waits for p->entered to drain. */
void rt_pool_enter(riptide_pool *p, const char *fn);
void rt_pool_leave(riptide_pool *p);

/* Whether any subscriber could receive an event of this type and severity (lock-free, see
 * rt_events_wanted). Callers check it before formatting metadata; rt_pool_emit checks it too,
 * so with nobody listening a per-call event costs a few atomic loads. */
static inline bool rt_pool_wants(riptide_pool *p, const char *type, riptide_severity sev)
{
  return rt_events_wanted(p->events, type, sev);
}

/* Emits one event with up to 8 key/value pairs given as a NULL-terminated list of strings
 * key1, val1, key2, val2, ..., NULL, unless no subscriber could receive it. Never called
 * with p->lock held. */
void rt_pool_emit(riptide_pool *p, const char *type, riptide_severity sev, uint64_t instance_id,
                  ...);
/* The riptide_options.call_id of the extraction running on the calling thread, or NULL after
 * it: rt_pool_emit adds it to the events emitted on this thread as "call_id" (when one of the
 * 8 metadata places is free). */
void rt_pool_call_id_set(const char *call_id);

#endif
