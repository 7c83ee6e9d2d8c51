/*
 * models.h - the pool's data structures (the seed's models.rs), private to src/pool (the
 * health and memory deciders see only rt_slot_record copies, pool/slot_record.h). Internal:
 * nothing here is API.
 *
 * DESIGN
 * A pool has max_slots permits and max_slots slot entries. Taking a permit and choosing an
 * entry happen in one critical section under pool->lock, so a caller holding a permit always
 * owns an entry: either an IDLE one (a live guest slot with a fresh state, taken
 * most-recently-used first so its pages are warm) or an EMPTY one (no guest slot yet: the
 * caller creates it after dropping the lock). Hence, at every instant under the lock:
 *     available + leased == max_slots,   n_idle + n_empty + leased == max_slots.
 * "Calls in flight" is NOT max - available (the upstream defect): it is an atomic counter
 * incremented only around the guest call itself.
 *
 * Entry states:
 *     EMPTY --lease--> LEASED(slot NULL) --slot_new ok--> LEASED(slot) --release--> IDLE
 *     IDLE  --lease--> LEASED(slot) --release(reset ok)--> IDLE
 *     LEASED --release(discard: timeout, reset failure, creation failure)--> EMPTY
 *     IDLE  --health recycle / idle shrink / memory cleanup (detach)--> EMPTY
 * The guest slot of a LEASED entry belongs to the leasing thread alone (sandbox.h); the
 * fields of an IDLE or EMPTY entry are guarded by pool->lock. Nobody calls into a slot while
 * it is idle: the deciders judge the stats cached at its last release, and the pool frees
 * detached slots after dropping the lock.
 *
 * Lock order (see pool.c): pool->lock is a leaf with respect to every other module: it is
 * never held while calling the guest, the breaker, the metrics, the event bus, the native
 * fallback, or user code. The monitor's lock (maintenance.c) only guards its stop flag and
 * is never held together with pool->lock.
 */
#ifndef RT_POOL_MODELS_H
#define RT_POOL_MODELS_H

#include "riptide.h"
#include "circuit_breaker/breaker.h"
#include "events/events.h"
#include "metrics/metrics.h"
#include "pool/slot_record.h"
#include "sandbox/sandbox.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define RT_POOL_PAGE 65536ull

typedef enum rt_slot_state {
  RT_SLOT_EMPTY = 0, /* no guest slot */
  RT_SLOT_IDLE = 1,  /* live guest slot with a fresh state, waiting for a lease */
  RT_SLOT_LEASED = 2 /* owned by one caller (its guest slot may still be NULL) */
} rt_slot_state;

/* One entry of the pool (the seed's PooledInstance). Guarded by pool->lock, except that the
 * `slot` of a LEASED entry is used by the leasing thread without the lock. */
typedef struct rt_pool_slot {
  rt_slot_state state;
  rt_slot *slot;         /* NULL when EMPTY (and while a LEASED entry is being created) */
  uint64_t instance_id;  /* id of the current guest slot; 0 when EMPTY */
  uint64_t created_ns;   /* injected clock */
  uint64_t last_used_ns; /* injected clock: creation or last release */
  uint64_t uses;         /* calls served by this guest slot */
  uint64_t failures;     /* guest failures of this guest slot (trap, timeout, limit, error) */
  rt_slot_stats stats;   /* cached from slot_stats at creation and at each release */
} rt_pool_slot;

typedef struct rt_pool_monitor rt_pool_monitor; /* maintenance.c */

/* riptide_pool.magic: a live pool, and one riptide_pool_free has started on (misuse checks). */
#define RT_POOL_MAGIC_LIVE 0x52545f504f4f4c31ull /* "RT_POOL1" */
#define RT_POOL_MAGIC_FREEING 0x52545f4652454544ull

struct riptide_pool {
  /* Immutable after rt_pool_new_with_guest returns (read without a lock). */
  riptide_pool_config cfg; /* validated, defaults resolved */
  const rt_guest *guest;
  rt_sandbox_limits limits;
  uint64_t id;
  uint64_t memory_budget;    /* bytes */
  uint64_t memory_threshold; /* bytes: memory_cleanup_pct of the budget */
  rt_breaker *breaker;       /* shareable, own lock */
  rt_events *events;         /* shareable, own lock */
  rt_metrics *metrics;       /* shareable, own lock */
  rt_pool_monitor *monitor;  /* set once by new, cleared by shutdown (owner thread only) */

  pthread_mutex_t lock;     /* guards every field below that is not atomic */
  pthread_cond_t permit_cv; /* signalled when a permit comes back or shutdown starts */
  pthread_cond_t drain_cv;  /* signalled when `active` drops to 0 during shutdown */
  uint32_t available;       /* permits free */
  uint32_t leased;          /* entries LEASED */
  uint32_t waiters;         /* callers blocked in the permit wait */
  uint32_t active;          /* callers inside riptide_pool_extract past the shutdown check */
  uint32_t live;            /* entries with a guest slot (IDLE, or LEASED with slot) */
  uint64_t live_pages;      /* sum of cached stats.pages over entries with a guest slot */
  uint64_t live_resident;   /* sum of cached stats.resident_bytes over the same: the usage */
  uint64_t peak_call_bytes; /* highest stats.call_peak_bytes seen at a release */
  uint64_t next_instance_id;
  bool shutting_down;
  bool health_stopped;  /* shutdown already stopped the monitor */
  rt_pool_slot *slots;  /* [cfg.max_slots] */
  uint32_t *idle_stack; /* indices of IDLE entries; top = most recently released */
  uint32_t n_idle;
  uint32_t *empty_stack; /* indices of EMPTY entries */
  uint32_t n_empty;

  atomic_uint in_flight;  /* guest calls running now (not under lock) */
  atomic_uint entered;    /* threads inside a riptide_pool_* function of this pool */
  _Atomic uint64_t magic; /* RT_POOL_MAGIC_LIVE, then _FREEING once riptide_pool_free starts */

  /* Native fallbacks running now, at most cfg.max_slots (src/pool/extraction.c). Guarded by
   * lock; native_cv is signalled when one ends. */
  uint32_t native_active;
  pthread_cond_t native_cv;
};

#endif
