/*
 * events.h - the event bus: a bounded ring and one dispatcher thread (internal API, rt_events_).
 *
 * Emitters (any thread, any lock state) copy an event into a ring slot and return at once; the
 * ring full -> the event is dropped and counted, emit never waits for the dispatcher or a handler.
 * The dispatcher thread takes events in emission order and calls every matching subscriber
 * (type prefix + minimum severity) with no lock of the bus held, so a handler may emit,
 * subscribe or unsubscribe.
 *
 * Event content is copied into the slot: the type (at most RT_EVENT_TYPE_MAX - 1 bytes, longer
 * types are refused), up to RIPTIDE_EVENT_MAX_META key/value strings sharing a per-slot arena of
 * RT_EVENT_SLOT_BYTES. A key over RT_EVENT_KEY_MAX - 1 bytes, or a value that does not fit the
 * arena, is cut at a UTF-8 boundary: the event then has `truncated` set, emit returns
 * RT_EVENTS_TRUNCATED and the truncation is counted. Nothing overflows silently.
 *
 * Sequence numbers: every accepted event gets the next seq (1, 2, ...) in emission order, so
 * subscribers see strictly increasing seqs; drops do not consume a seq (see stats.dropped).
 *
 * Events no current subscriber wants (type prefix / severity) are accepted and counted but never
 * enter the ring: no copy, no dispatcher wake-up (they consume a seq, so subscribers may see
 * gaps). rt_events_wanted answers the same question lock-free, so an emitter can skip even
 * formatting such an event. A subscription made while an event is being emitted may or may not
 * receive it; one completed before the emit does (unless the ring is full).
 *
 * Unsubscribe guarantee: after rt_events_unsubscribe returns, the handler is never called again
 * and no call of it is running - except when unsubscribe is called from inside a handler (on the
 * dispatcher thread): then it does not wait (that would deadlock), the running call finishes,
 * and no later call happens.
 *
 * Thread-safety: an rt_events is shareable; every function may be called from any thread at once
 * (including from handlers), except rt_events_free.
 */
#ifndef RT_EVENTS_H
#define RT_EVENTS_H

#include "riptide.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RT_EVENT_TYPE_MAX 64     /* bytes incl. NUL; longest upstream name is 38 */
#define RT_EVENT_KEY_MAX 32      /* bytes incl. NUL per metadata key */
#define RT_EVENT_SLOT_BYTES 1024 /* arena per slot for metadata keys and values (with NULs) */
#define RT_EVENTS_MAX_SUBS 64    /* subscribers per bus; subscribe returns 0 beyond */
#define RT_EVENTS_PREFIX_MAX 64  /* bytes incl. NUL of a subscription prefix */
#define RT_EVENTS_MAX_WAKE_DELAY_MS 60000 /* ceiling of the batching delay (tests use it) */

/* Upstream event names (DESIGN.md §4). */
#define RT_EV_INSTANCE_CREATED "pool.instance_created"
#define RT_EV_INSTANCE_DESTROYED "pool.instance_destroyed"
#define RT_EV_INSTANCE_ACQUIRED "pool.instance_acquired"
#define RT_EV_INSTANCE_RELEASED "pool.instance_released"
#define RT_EV_INSTANCE_CREATION_FAILED "pool.instance_creation_failed"
#define RT_EV_INSTANCE_UNHEALTHY "pool.instance_unhealthy"
#define RT_EV_INSTANCE_HEALTHY "pool.instance_healthy"
#define RT_EV_HEALTH_CHECK "pool.health_check"
#define RT_EV_MEMORY_CLEANUP "pool.memory_cleanup"
#define RT_EV_POOL_WARMUP "pool.pool_warmup"
#define RT_EV_POOL_EXHAUSTED "pool.pool_exhausted"
#define RT_EV_BREAKER_TRIPPED "pool.circuit_breaker_tripped"
#define RT_EV_BREAKER_RESET "pool.circuit_breaker_reset"
#define RT_EV_EXTRACTION_STARTED "extraction.started"
#define RT_EV_EXTRACTION_COMPLETED "extraction.completed"
#define RT_EV_EXTRACTION_FAILED "extraction.failed"
#define RT_EV_EXTRACTION_TIMEOUT "extraction.timeout"
#define RT_EV_EXTRACTION_FALLBACK_USED "extraction.fallback_used"

typedef struct rt_events_config {
  uint32_t ring_size; /* slots; 0 = RT_DEFAULT_EVENT_RING; max RT_MAX_EVENT_RING */
  uint64_t pool_id;   /* stamped on every event */
  /* 0 (default): the dispatcher is woken for every event. > 0: an event below RIPTIDE_SEV_WARN
   * that finds the dispatcher asleep wakes it, and it then waits up to this long for more events
   * (ended early by a WARN-or-above event, a quarter-full ring, a flush or free), so one wake-up
   * serves a whole batch: cheaper emits, delivery delayed by at most this. Max
   * RT_EVENTS_MAX_WAKE_DELAY_MS. */
  uint32_t wake_delay_ms;
  /* Timestamp source (ns); NULL = CLOCK_REALTIME. For tests. */
  riptide_clock_fn clock;
  void *clock_ctx;
} rt_events_config;
void rt_events_config_init(rt_events_config *c);

typedef struct rt_event_kv {
  const char *key; /* NULL key ends the list early */
  const char *val; /* NULL is stored as "" */
} rt_event_kv;

typedef enum rt_events_emit_result {
  RT_EVENTS_QUEUED = 0,    /* copied into the ring */
  RT_EVENTS_TRUNCATED = 1, /* queued, with a key or value cut (event.truncated set) */
  RT_EVENTS_DROPPED = 2,   /* ring full or bus stopped: counted in stats.dropped */
  RT_EVENTS_INVALID = 3,   /* NULL/empty/too long type, bad severity, n_meta > MAX: counted */
} rt_events_emit_result;

typedef struct rt_events_stats {
  uint64_t emitted;    /* accepted (= last seq): into the ring, or unwanted */
  uint64_t dropped;    /* ring full or stopped */
  uint64_t invalid;    /* refused arguments */
  uint64_t truncated;  /* accepted with truncation */
  uint64_t dispatched; /* done: taken off the ring with all handlers called, or unwanted */
  uint64_t unwanted;   /* accepted with no subscriber interested (never in the ring) */
  uint64_t handler_calls;
  uint64_t wakeups; /* times the dispatcher woke up from idle */
  uint32_t pending; /* in the ring now */
  uint32_t subscribers;
  uint32_t ring_size;
} rt_events_stats;

typedef struct rt_events rt_events;

/* Creates the bus and starts its dispatcher thread. On error *out is NULL (NOMEM, INVALID_ARG,
 * INTERNAL when the thread cannot start). */
riptide_err rt_events_new(const rt_events_config *cfg, rt_events **out);

/* Dispatches everything already queued, stops the thread and frees. Later emits are impossible
 * (the caller guarantees no other thread uses the bus). Blocks while a handler runs. Never call
 * it from a handler (it joins the dispatcher thread). NULL ok. */
void rt_events_free(rt_events *ev);

/* Never blocks on the dispatcher or a handler (only a short internal mutex held for the copy).
 * meta may be NULL when n_meta is 0. instance_id 0 = none. */
rt_events_emit_result rt_events_emit(rt_events *ev, const char *type, riptide_severity sev,
                                     uint64_t instance_id, const rt_event_kv *meta, size_t n_meta);

/* True when at least one current subscriber may want an event of this type and severity.
 * Lock-free (one atomic load per subscription slot in use). May answer true spuriously (a
 * prefix longer than 7 bytes is only compared on its first 7), never false for a subscription
 * whose rt_events_subscribe returned before this call. NULL bus/type: false. */
bool rt_events_wanted(rt_events *ev, const char *type, riptide_severity sev);

/* Subscribes fn to events whose type starts with prefix ("" or NULL = all) with severity >= min.
 * Returns an id > 0, or 0 (NULL fn, prefix too long, RT_EVENTS_MAX_SUBS reached). The handler
 * runs on the dispatcher thread; the event is valid only during the call. */
uint64_t rt_events_subscribe(rt_events *ev, const char *prefix, riptide_severity min,
                             riptide_event_fn fn, void *ctx);
/* See the guarantee above. Unknown or already removed ids are ignored. */
void rt_events_unsubscribe(rt_events *ev, uint64_t id);
/* Whether the calling thread is this bus's dispatcher, inside a handler. */
bool rt_events_in_handler(const rt_events *ev);

/* Waits until every event accepted before this call has been dispatched (its handlers returned).
 * timeout_ms 0 = no limit. Returns OK, TIMEOUT, or INVALID_ARG when called from a handler (it would
 * wait for itself). Uses a condition variable, no polling. */
riptide_err rt_events_flush(rt_events *ev, uint32_t timeout_ms);

/* Waits until the ring is empty and the dispatcher is parked waiting for work (for tests that
 * need a known dispatcher state, e.g. wake-up batching). OK, TIMEOUT, or INVALID_ARG from a
 * handler. Condition variable, no polling. */
riptide_err rt_events_wait_idle(rt_events *ev, uint32_t timeout_ms);

void rt_events_stats_get(rt_events *ev, rt_events_stats *st);

/* riptide_event_to_json (include/riptide.h) is implemented in events.c: one line,
 * {"type","severity","timestamp_ns","seq","pool_id","instance_id","metadata":{...}}. */

#endif
