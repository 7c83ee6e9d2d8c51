/*
 * breaker.c - circuit breaker state machine (see breaker.h for the states and the API).
 *
 * DESIGN
 *  - The state and a phase generation are packed in one atomic word: (generation << 2) | state.
 *    Every transition stores a new word (generation + 1) while holding `mu`; readers outside the
 *    lock (the CLOSED fast path of rt_breaker_acquire, rt_breaker_state_get) do one acquire load.
 *    So the common gate costs one load and touches no shared cache line that writers dirty
 *    (the word sits on its own cache line, away from the mutex and the window).
 *  - Everything else (window ring, counters, probes, cool-down) is guarded by `mu`. The lock is
 *    held only for arithmetic: the clock is read outside it (before locking on the gate; after
 *    unlocking when a record opens the breaker - the open phase is first published with the
 *    deadline "never", then the deadline is set), and nothing is ever called out while holding
 *    it (no events, no callbacks): transitions are returned to the caller, which emits after
 *    (phase-based locking, as in the seed). A closed-state record reads no clock at all.
 *  - Tickets carry the generation they were issued in. A record whose generation is not the
 *    current one is stale (the breaker moved on while the call ran) and is ignored, so e.g. a
 *    slow CLOSED call that fails after a trip cannot count as a half-open probe failure.
 *  - Half-open admits exactly cfg.probes probes per phase (probes_issued under `mu`); a cancelled
 *    probe gives its place back. The phase closes when cfg.probes successes are recorded.
 *
 * Lock order: `mu` is a leaf lock (no other lock is taken while holding it).
 * Threads: any caller thread; there is no breaker thread.
 */
#include "circuit_breaker/breaker.h"

#include "common/clock.h"
#include "common/limits.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WORD_STATE(w) ((rt_breaker_state)((w)&3u))
#define WORD_GEN(w) ((w) >> 2)
#define MAKE_WORD(gen, st) (((gen) << 2) | (uint64_t)(st))

struct rt_breaker {
  /* State + generation; written under mu, read lock-free. Own cache line. */
  alignas(64) _Atomic uint64_t word;
  /* Counted outside mu on the REJECT path (relaxed; statistics only). */
  alignas(64) _Atomic uint64_t rejected;

  alignas(64) pthread_mutex_t mu;
  /* Immutable after rt_breaker_new. */
  rt_breaker_config cfg;
  riptide_clock_fn clock;
  void *clock_ctx;
  /* Guarded by mu. */
  uint8_t *ring;       /* cfg.window outcomes, 1 = failure */
  uint32_t ring_head;  /* next write position */
  uint32_t ring_count; /* outcomes held (<= window) */
  uint32_t ring_failures;
  uint32_t probes_issued;
  uint32_t probes_succeeded;
  uint32_t cooldown_ms; /* in force for the current/next open phase */
  uint64_t open_until_ns;
  uint64_t trips;
  uint64_t resets;
  uint64_t ignored;
};

static uint64_t default_clock(void *ctx)
{
  (void)ctx;
  return rt_clock_mono_ns();
}

const char *rt_breaker_transition_name(rt_breaker_transition t)
{
  switch (t) {
  case RT_BREAKER_NONE:
    return "none";
  case RT_BREAKER_TRIPPED:
    return "tripped";
  case RT_BREAKER_HALF_OPENED:
    return "half_opened";
  case RT_BREAKER_RESET:
    return "reset";
  case RT_BREAKER_REOPENED:
    return "reopened";
  }
  return "unknown";
}

const char *rt_breaker_state_name(rt_breaker_state s)
{
  switch (s) {
  case RT_BREAKER_CLOSED:
    return "closed";
  case RT_BREAKER_OPEN:
    return "open";
  case RT_BREAKER_HALF_OPEN:
    return "half_open";
  }
  return "unknown";
}

void rt_breaker_config_init(rt_breaker_config *c)
{
  c->window = RT_DEFAULT_BREAKER_WINDOW;
  c->min_calls = RT_DEFAULT_BREAKER_MIN_CALLS;
  c->failure_pct = RT_DEFAULT_BREAKER_FAILURE_PCT;
  c->cooldown_ms = RT_DEFAULT_BREAKER_COOLDOWN_MS;
  c->probes = RT_DEFAULT_BREAKER_PROBES;
  c->max_cooldown_ms = RT_DEFAULT_BREAKER_MAX_COOLDOWN_MS;
}

void rt_breaker_config_from_pool(rt_breaker_config *c, const riptide_pool_config *pc)
{
  rt_breaker_config_init(c);
  if (!pc)
    return;
  if (pc->breaker_window)
    c->window = pc->breaker_window;
  if (pc->breaker_min_calls)
    c->min_calls = pc->breaker_min_calls;
  if (pc->breaker_failure_pct)
    c->failure_pct = pc->breaker_failure_pct;
  if (pc->breaker_cooldown_ms)
    c->cooldown_ms = pc->breaker_cooldown_ms;
  if (pc->breaker_probes)
    c->probes = pc->breaker_probes;
  if (pc->breaker_max_cooldown_ms)
    c->max_cooldown_ms = pc->breaker_max_cooldown_ms;
}

static bool config_valid(const rt_breaker_config *c)
{
  return c->window >= 1 && c->window <= RT_MAX_BREAKER_WINDOW && c->min_calls >= 1 &&
         c->min_calls <= c->window && c->failure_pct >= 1 && c->failure_pct <= 100 &&
         c->cooldown_ms >= 1 && c->probes >= 1 && c->max_cooldown_ms >= c->cooldown_ms;
}

riptide_err rt_breaker_new(const rt_breaker_config *cfg, riptide_clock_fn clock, void *clock_ctx,
                           rt_breaker **out)
{
  if (!out)
    return RIPTIDE_ERR_INVALID_ARG;
  *out = NULL;
  rt_breaker_config c;
  if (cfg) {
    c = *cfg;
  } else {
    rt_breaker_config_init(&c);
  }
  if (!config_valid(&c))
    return RIPTIDE_ERR_INVALID_ARG;

  size_t size = (sizeof(rt_breaker) + 63) & ~(size_t)63;
  rt_breaker *b = aligned_alloc(64, size);
  if (!b)
    return RIPTIDE_ERR_NOMEM;
  memset(b, 0, sizeof(*b));
  b->ring = calloc(c.window, 1);
  if (!b->ring) {
    free(b);
    return RIPTIDE_ERR_NOMEM;
  }
  if (pthread_mutex_init(&b->mu, NULL) != 0) {
    free(b->ring);
    free(b);
    return RIPTIDE_ERR_INTERNAL;
  }
  b->cfg = c;
  b->clock = clock ? clock : default_clock;
  b->clock_ctx = clock ? clock_ctx : NULL;
  b->cooldown_ms = c.cooldown_ms;
  atomic_init(&b->word, MAKE_WORD(1u, RT_BREAKER_CLOSED));
  atomic_init(&b->rejected, 0);
  *out = b;
  return RIPTIDE_OK;
}

void rt_breaker_free(rt_breaker *b)
{
  if (!b)
    return;
  pthread_mutex_destroy(&b->mu);
  free(b->ring);
  free(b);
}

/* Caller holds mu. Stores a new phase word (generation + 1). */
static void set_state_locked(rt_breaker *b, rt_breaker_state st)
{
  uint64_t w = atomic_load_explicit(&b->word, memory_order_relaxed);
  atomic_store_explicit(&b->word, MAKE_WORD(WORD_GEN(w) + 1, st), memory_order_release);
}

static void window_clear_locked(rt_breaker *b)
{
  memset(b->ring, 0, b->cfg.window);
  b->ring_head = 0;
  b->ring_count = 0;
  b->ring_failures = 0;
}

static void window_push_locked(rt_breaker *b, bool failure)
{
  if (b->ring_count == b->cfg.window) {
    b->ring_failures -= b->ring[b->ring_head]; /* evict the oldest (the slot we overwrite) */
  } else {
    b->ring_count++;
  }
  b->ring[b->ring_head] = failure ? 1 : 0;
  b->ring_failures += failure ? 1u : 0u;
  b->ring_head = (b->ring_head + 1 == b->cfg.window) ? 0 : b->ring_head + 1;
}

static void fill_ticket(rt_breaker_ticket *t, rt_breaker_gate g, uint64_t gen,
                        rt_breaker_transition tr)
{
  t->gate = g;
  t->generation = gen;
  t->transition = tr;
  t->done = (g == RT_BREAKER_REJECT);
}

rt_breaker_gate rt_breaker_acquire(rt_breaker *b, rt_breaker_ticket *t)
{
  uint64_t w = atomic_load_explicit(&b->word, memory_order_acquire);
  if (__builtin_expect(WORD_STATE(w) == RT_BREAKER_CLOSED, 1)) {
    fill_ticket(t, RT_BREAKER_ALLOW, WORD_GEN(w), RT_BREAKER_NONE);
    return RT_BREAKER_ALLOW;
  }

  uint64_t now = b->clock(b->clock_ctx); /* read before the lock: the clock may be user code */
  rt_breaker_gate g;
  rt_breaker_transition tr = RT_BREAKER_NONE;
  pthread_mutex_lock(&b->mu);
  w = atomic_load_explicit(&b->word, memory_order_relaxed);
  rt_breaker_state st = WORD_STATE(w);
  if (st == RT_BREAKER_OPEN && now >= b->open_until_ns) {
    b->probes_issued = 0;
    b->probes_succeeded = 0;
    b->open_until_ns = 0;
    set_state_locked(b, RT_BREAKER_HALF_OPEN);
    w = atomic_load_explicit(&b->word, memory_order_relaxed);
    st = RT_BREAKER_HALF_OPEN;
    tr = RT_BREAKER_HALF_OPENED;
  }
  if (st == RT_BREAKER_CLOSED) {
    g = RT_BREAKER_ALLOW; /* closed again between the load and the lock */
  } else if (st == RT_BREAKER_HALF_OPEN && b->probes_issued < b->cfg.probes) {
    b->probes_issued++;
    g = RT_BREAKER_PROBE;
  } else {
    g = RT_BREAKER_REJECT;
  }
  pthread_mutex_unlock(&b->mu);

  if (g == RT_BREAKER_REJECT)
    atomic_fetch_add_explicit(&b->rejected, 1, memory_order_relaxed);
  fill_ticket(t, g, WORD_GEN(w), tr);
  return g;
}

static void fill_info_locked(const rt_breaker *b, rt_breaker_info *info, uint32_t calls,
                             uint32_t failures)
{
  if (!info)
    return;
  info->state = WORD_STATE(atomic_load_explicit(&b->word, memory_order_relaxed));
  info->calls = calls;
  info->failures = failures;
  info->failure_pct = b->cfg.failure_pct;
  info->cooldown_ms = b->cooldown_ms;
  info->trips = b->trips;
}

rt_breaker_transition rt_breaker_record(rt_breaker *b, rt_breaker_ticket *t, bool success,
                                        rt_breaker_info *info)
{
  if (info)
    memset(info, 0, sizeof(*info));
  if (t->done || t->gate == RT_BREAKER_REJECT) {
    if (info)
      info->state = rt_breaker_state_get(b);
    return RT_BREAKER_NONE;
  }
  t->done = true;

  rt_breaker_transition tr = RT_BREAKER_NONE;
  uint64_t open_word = 0, open_ns = 0;
  pthread_mutex_lock(&b->mu);
  uint64_t w = atomic_load_explicit(&b->word, memory_order_relaxed);
  rt_breaker_state st = WORD_STATE(w);
  uint32_t calls = b->ring_count, failures = b->ring_failures;

  if (WORD_GEN(w) != t->generation) {
    b->ignored++;
  } else if (t->gate == RT_BREAKER_ALLOW && st == RT_BREAKER_CLOSED) {
    window_push_locked(b, !success);
    calls = b->ring_count;
    failures = b->ring_failures;
    if (calls >= b->cfg.min_calls &&
        (uint64_t)failures * 100u >= (uint64_t)b->cfg.failure_pct * calls) {
      b->cooldown_ms = b->cfg.cooldown_ms;
      b->open_until_ns = UINT64_MAX; /* set once the clock is read, after unlocking */
      b->trips++;
      set_state_locked(b, RT_BREAKER_OPEN);
      tr = RT_BREAKER_TRIPPED;
    }
  } else if (t->gate == RT_BREAKER_PROBE && st == RT_BREAKER_HALF_OPEN) {
    calls = b->probes_issued;
    if (success) {
      b->probes_succeeded++;
      failures = 0;
      if (b->probes_succeeded >= b->cfg.probes) {
        window_clear_locked(b);
        b->cooldown_ms = b->cfg.cooldown_ms;
        b->resets++;
        set_state_locked(b, RT_BREAKER_CLOSED);
        tr = RT_BREAKER_RESET;
      }
    } else {
      failures = 1;
      uint64_t next = (uint64_t)b->cooldown_ms * 2u;
      b->cooldown_ms = next > b->cfg.max_cooldown_ms ? b->cfg.max_cooldown_ms : (uint32_t)next;
      b->open_until_ns = UINT64_MAX; /* set once the clock is read, after unlocking */
      b->trips++;
      set_state_locked(b, RT_BREAKER_OPEN);
      tr = RT_BREAKER_REOPENED;
    }
  } else {
    b->ignored++; /* gate/state mismatch cannot happen within one generation; be safe */
  }
  if (tr == RT_BREAKER_TRIPPED || tr == RT_BREAKER_REOPENED) {
    open_word = atomic_load_explicit(&b->word, memory_order_relaxed);
    open_ns = (uint64_t)b->cooldown_ms * 1000000ull;
  }
  fill_info_locked(b, info, calls, failures);
  pthread_mutex_unlock(&b->mu);

  if (open_word) {
    /* The open phase was published with a deadline of "never", so every gate rejects until the
     * real deadline is set here. The clock is read with no lock held (it may be user code), and
     * only on a transition: a closed-state record costs no clock read. Nothing but a gate past
     * the deadline leaves OPEN, so the phase is still ours; the check is defensive. */
    uint64_t now = b->clock(b->clock_ctx);
    pthread_mutex_lock(&b->mu);
    if (atomic_load_explicit(&b->word, memory_order_relaxed) == open_word)
      b->open_until_ns = now + open_ns;
    pthread_mutex_unlock(&b->mu);
  }
  return tr;
}

void rt_breaker_cancel(rt_breaker *b, rt_breaker_ticket *t)
{
  if (t->done)
    return;
  t->done = true;
  if (t->gate != RT_BREAKER_PROBE)
    return;
  pthread_mutex_lock(&b->mu);
  uint64_t w = atomic_load_explicit(&b->word, memory_order_relaxed);
  if (WORD_GEN(w) == t->generation && WORD_STATE(w) == RT_BREAKER_HALF_OPEN &&
      b->probes_issued > 0) {
    b->probes_issued--;
  }
  pthread_mutex_unlock(&b->mu);
}

rt_breaker_state rt_breaker_state_get(const rt_breaker *b)
{
  return WORD_STATE(atomic_load_explicit(&((rt_breaker *)b)->word, memory_order_acquire));
}

rt_breaker_state rt_breaker_state_now(rt_breaker *b)
{
  rt_breaker_state st = rt_breaker_state_get(b);
  if (st != RT_BREAKER_OPEN)
    return st;
  uint64_t now = b->clock(b->clock_ctx); /* before the lock: the clock may be user code */
  pthread_mutex_lock(&b->mu);
  st = WORD_STATE(atomic_load_explicit(&b->word, memory_order_relaxed));
  /* open_until_ns is UINT64_MAX while a new open phase's deadline is being set. */
  if (st == RT_BREAKER_OPEN && now >= b->open_until_ns)
    st = RT_BREAKER_HALF_OPEN;
  pthread_mutex_unlock(&b->mu);
  return st;
}

void rt_breaker_stats_get(rt_breaker *b, rt_breaker_stats *st)
{
  memset(st, 0, sizeof(*st));
  pthread_mutex_lock(&b->mu);
  st->state = WORD_STATE(atomic_load_explicit(&b->word, memory_order_relaxed));
  st->window_calls = b->ring_count;
  st->window_failures = b->ring_failures;
  st->probes_issued = b->probes_issued;
  st->probes_succeeded = b->probes_succeeded;
  st->cooldown_ms = b->cooldown_ms;
  st->open_until_ns = st->state == RT_BREAKER_OPEN ? b->open_until_ns : 0;
  st->trips = b->trips;
  st->resets = b->resets;
  st->ignored = b->ignored;
  pthread_mutex_unlock(&b->mu);
  st->rejected = atomic_load_explicit(&b->rejected, memory_order_relaxed);
}
