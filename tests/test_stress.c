/* test_stress.c - the seed's stress-test list, made real (over the fake guest):
 *   100 threads x 10 extractions with a random hostile mix: no deadlock, metrics add up exactly;
 *   1000 rapid sequential extractions; rapid breaker transitions (sequential and concurrent);
 *   memory pressure (cleanup happens, the pool refills); exhaustion and recovery;
 *   health recycling under load; shutdown with calls in flight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "health/health.h"
#include "memory/memory.h"
#include "pool/pool.h"
#include "support/fake_guest.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char HTML[] = "<html><body><p>stress</p></body></html>";

static void check_totals(const riptide_metrics *m)
{
  assert_int_equal(m->extractions_total, m->extractions_succeeded + m->extractions_failed);
  assert_int_equal(m->extractions_succeeded, m->succeeded_wasm + m->succeeded_native);
  uint64_t fb = 0;
  for (int i = 0; i < RIPTIDE_FB_COUNT_; i++)
    fb += m->fallbacks_by_reason[i];
  assert_int_equal(fb, m->fallbacks);
  uint64_t hw = 0, he = 0;
  for (int i = 0; i < RIPTIDE_HIST_BUCKETS; i++) {
    hw += m->permit_wait.buckets[i];
    he += m->extract_duration.buckets[i];
  }
  assert_int_equal(hw, m->permit_wait.count);
  assert_int_equal(he, m->extract_duration.count);
}

static void check_idle_pool(riptide_pool *p)
{
  riptide_pool_status st;
  riptide_pool_status_get(p, &st);
  assert_int_equal(st.leased, 0);
  assert_int_equal(st.in_flight, 0);
  assert_int_equal(st.waiters, 0);
  assert_int_equal(st.available, st.max_slots);
}

/* A clock that moves 1 ms at every read: breaker cool-downs pass while the test runs. */
static uint64_t tick_clock(void *ctx)
{
  return atomic_fetch_add((_Atomic uint64_t *)ctx, 1000000ull);
}

/* ---- the hostile mix --------------------------------------------------------------------- */

enum {
  MIX_OK,
  MIX_TRAP,
  MIX_TIMEOUT,
  MIX_GROW,
  MIX_GUEST_ERROR,
  MIX_BAD_RESULT,
  MIX_SELECTOR,
  MIX_N
};

typedef struct mix {
  _Atomic uint64_t chosen[MIX_N];
  _Atomic uint64_t traps[RIPTIDE_TRAP_COUNT_];
  uint32_t block_pct; /* extra: percentage of BLOCK outcomes (shutdown test) */
} mix;

static uint64_t mix_hash(uint64_t x)
{
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

static void mix_choose(void *ctx, uint64_t no, pool_fake_step *s)
{
  mix *m = ctx;
  uint64_t h = mix_hash(no + 0x9e3779b97f4a7c15ull);
  uint32_t r = (uint32_t)(h % 100);
  memset(s, 0, sizeof *s);
  int k;
  if (r < 50)
    k = MIX_OK;
  else if (r < 62)
    k = MIX_TRAP;
  else if (r < 70)
    k = MIX_TIMEOUT;
  else if (r < 82)
    k = MIX_GROW;
  else if (r < 90)
    k = MIX_GUEST_ERROR;
  else if (r < 95)
    k = MIX_BAD_RESULT;
  else
    k = MIX_SELECTOR;
  static const pool_fake_kind kinds[MIX_N] = {
      POOL_FAKE_OK,          POOL_FAKE_TRAP,       POOL_FAKE_TIMEOUT, POOL_FAKE_GROW,
      POOL_FAKE_GUEST_ERROR, POOL_FAKE_BAD_RESULT, POOL_FAKE_SELECTOR};
  s->kind = kinds[k];
  if (k == MIX_TRAP) {
    s->trap = (riptide_trap)(RIPTIDE_TRAP_OOB + (h >> 40) % (RIPTIDE_TRAP_STACK_EXHAUSTION));
    atomic_fetch_add(&m->traps[s->trap], 1);
  }
  if (k == MIX_GROW)
    s->grow_pages = 1 + (uint32_t)((h >> 20) % 12);
  atomic_fetch_add(&m->chosen[k], 1);
}

typedef struct worker {
  riptide_pool *p;
  uint32_t calls;
  uint32_t ok, failed;
  bool until_shutdown;
  uint32_t made;
} worker;

static void *worker_main(void *arg)
{
  worker *w = arg;
  for (uint32_t i = 0; w->until_shutdown || i < w->calls; i++) {
    riptide_document *d = NULL;
    riptide_err err =
        riptide_pool_extract(w->p, HTML, strlen(HTML), "https://stress.test/", NULL, &d);
    w->made++;
    if (err == RIPTIDE_OK) {
      w->ok++;
      riptide_document_free(d);
    } else {
      w->failed++;
      if (err == RIPTIDE_ERR_SHUTDOWN)
        break;
    }
  }
  return NULL;
}

static void run_workers(riptide_pool *p, uint32_t threads, uint32_t calls, worker *w)
{
  pthread_t *t = calloc(threads, sizeof *t);
  assert_non_null(t);
  for (uint32_t i = 0; i < threads; i++) {
    w[i] = (worker){.p = p, .calls = calls};
    assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
  }
  for (uint32_t i = 0; i < threads; i++)
    pthread_join(t[i], NULL);
  free(t);
}

static void test_100_threads_hostile_mix(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  pool_fake_guest_set_reset_shrinks(f, false);
  static mix mx;
  memset(&mx, 0, sizeof mx);
  pool_fake_guest_set_chooser(f, mix_choose, &mx);
  _Atomic uint64_t clk = 0;
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  c.max_slots = 4;
  c.warm_slots = 2;
  c.acquire_wait_ms = 60000;
  c.memory_cap_bytes = 16 * 65536;
  c.health_interval_ms = 1;
  c.max_slot_failures = 3;
  c.clock = tick_clock;
  c.clock_ctx = &clk;
  c.event_ring_size = 1 << 16;
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  pool_rec *rec = pool_rec_new();
  riptide_pool_subscribe(p, "pool.circuit_breaker", RIPTIDE_SEV_TRACE, pool_rec_fn, rec);

  enum { THREADS = 100, CALLS = 10 };
  worker w[THREADS];
  run_workers(p, THREADS, CALLS, w);
  uint32_t ok = 0, failed = 0;
  for (int i = 0; i < THREADS; i++) {
    ok += w[i].ok;
    failed += w[i].failed;
  }
  assert_int_equal(ok + failed, THREADS * CALLS);

  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  check_idle_pool(p);
  assert_int_equal(m.extractions_total, THREADS * CALLS);
  assert_int_equal(m.extractions_succeeded, ok);
  assert_int_equal(m.extractions_failed, failed);

  pool_fake_counts k;
  pool_fake_guest_counts(f, &k);
  uint64_t chosen = 0;
  for (int i = 0; i < MIX_N; i++)
    chosen += mx.chosen[i];
  assert_int_equal(k.calls, chosen);
  /* Every document either came from the guest or the fallback; the only errors are the
   * bad-selector outcomes (the input's fault, no fallback). */
  assert_int_equal(failed, mx.chosen[MIX_SELECTOR]);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_CIRCUIT_OPEN], THREADS * CALLS - k.calls);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_TRAP], mx.chosen[MIX_TRAP]);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_TIMEOUT], mx.chosen[MIX_TIMEOUT]);
  assert_int_equal(m.timeouts, mx.chosen[MIX_TIMEOUT]);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_GUEST_ERROR],
                   mx.chosen[MIX_GUEST_ERROR] + mx.chosen[MIX_BAD_RESULT]);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_MEMORY_LIMIT], m.grow_failures);
  assert_int_equal(m.succeeded_wasm + m.grow_failures, mx.chosen[MIX_OK] + mx.chosen[MIX_GROW]);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_POOL_EXHAUSTED], 0);
  for (int t = 0; t < RIPTIDE_TRAP_COUNT_; t++)
    assert_int_equal(m.traps_by_kind[t], mx.traps[t]);

  assert_int_equal(riptide_pool_shutdown(p, 10000), RIPTIDE_OK);
  assert_int_equal(rt_events_flush(p->events, 10000), RIPTIDE_OK);
  rt_breaker_stats bs;
  rt_breaker_stats_get(p->breaker, &bs);
  riptide_pool_metrics(p, &m);
  if (m.events_dropped == 0)
    assert_int_equal(pool_rec_count(rec, RT_EV_BREAKER_TRIPPED), bs.trips);
  assert_int_equal(pool_rec_misordered(rec), 0);
  riptide_pool_free(p);
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.slots_created, k.slots_freed);
  pool_rec_free(rec);
  pool_fake_guest_free(f);
}

static void test_1000_sequential(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  c.max_slots = 2;
  c.warm_slots = 2;
  c.health_interval_ms = 0;
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  for (int i = 0; i < 1000; i++) {
    riptide_document *d = NULL;
    assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
    assert_string_equal(d->engine, "wasm");
    riptide_document_free(d);
  }
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  check_idle_pool(p);
  assert_int_equal(m.extractions_total, 1000);
  assert_int_equal(m.succeeded_wasm, 1000);
  assert_int_equal(m.permit_wait.count, 1000);
  assert_int_equal(m.extract_duration.count, 1000);
  pool_fake_counts k;
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.calls, 1000);
  assert_int_equal(k.resets, 1000);
  assert_int_equal(k.slots_created, 2); /* no churn */
  riptide_pool_free(p);
  pool_fake_guest_free(f);
}

static void test_rapid_breaker_transitions(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  pool_fake_clock_t clk = {0};
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  c.max_slots = 2;
  c.warm_slots = 1;
  c.health_interval_ms = 0;
  c.clock = pool_fake_clock;
  c.clock_ctx = &clk;
  c.breaker_window = 4;
  c.breaker_min_calls = 2;
  c.breaker_failure_pct = 50;
  c.breaker_cooldown_ms = 10;
  c.breaker_probes = 2;
  c.breaker_max_cooldown_ms = 80;
  c.event_ring_size = 1 << 16;
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  pool_rec *rec = pool_rec_new();
  riptide_pool_subscribe(p, "pool.circuit_breaker", RIPTIDE_SEV_TRACE, pool_rec_fn, rec);

  /* Sequential: bursts of failures then successes, time moving 5 ms per call. */
  pool_fake_step trap = {.kind = POOL_FAKE_TRAP, .trap = RIPTIDE_TRAP_UNREACHABLE};
  pool_fake_step ok = {.kind = POOL_FAKE_OK};
  for (int i = 0; i < 400; i++) {
    pool_fake_guest_set_default(f, (i % 20) < 4 ? &trap : &ok);
    riptide_document *d = NULL;
    assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
    riptide_document_free(d);
    pool_fake_clock_advance_ms(&clk, 5);
  }
  rt_breaker_stats bs;
  rt_breaker_stats_get(p->breaker, &bs);
  assert_true(bs.trips >= 10);
  assert_true(bs.resets >= 10);
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  assert_int_equal(m.breaker_trips, bs.trips);
  assert_int_equal(rt_events_flush(p->events, 10000), RIPTIDE_OK);
  assert_int_equal(pool_rec_count(rec, RT_EV_BREAKER_TRIPPED), bs.trips);
  assert_int_equal(pool_rec_count(rec, RT_EV_BREAKER_RESET), bs.resets);

  /* Concurrent: 16 callers with a random mix while time moves on every clock read. */
  riptide_pool_free(p);
  pool_rec_free(rec);
  static mix mx;
  memset(&mx, 0, sizeof mx);
  pool_fake_guest_set_chooser(f, mix_choose, &mx);
  pool_fake_step none = {.kind = POOL_FAKE_OK};
  pool_fake_guest_set_default(f, &none);
  _Atomic uint64_t tclk = 0;
  c.clock = tick_clock;
  c.clock_ctx = &tclk;
  c.max_slots = 4;
  c.acquire_wait_ms = 60000;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  rec = pool_rec_new();
  riptide_pool_subscribe(p, "pool.circuit_breaker", RIPTIDE_SEV_TRACE, pool_rec_fn, rec);
  worker w[16];
  run_workers(p, 16, 100, w);
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  check_idle_pool(p);
  assert_int_equal(m.extractions_total, 1600);
  rt_breaker_stats_get(p->breaker, &bs);
  assert_true(bs.trips > 0);
  assert_int_equal(rt_events_flush(p->events, 10000), RIPTIDE_OK);
  riptide_pool_metrics(p, &m);
  assert_int_equal(m.events_dropped, 0);
  assert_int_equal(pool_rec_count(rec, RT_EV_BREAKER_TRIPPED), bs.trips);
  assert_int_equal(pool_rec_count(rec, RT_EV_BREAKER_RESET), bs.resets);
  riptide_pool_free(p);
  pool_rec_free(rec);
  pool_fake_guest_free(f);
}

static void grow_choose(void *ctx, uint64_t no, pool_fake_step *s)
{
  (void)ctx;
  memset(s, 0, sizeof *s);
  uint64_t h = mix_hash(no);
  if (h % 10 < 7) {
    s->kind = POOL_FAKE_GROW;
    s->grow_pages = 2 + (uint32_t)(h >> 32) % 5;
  } else {
    s->kind = POOL_FAKE_OK;
  }
}

static void test_memory_pressure(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  pool_fake_guest_set_reset_shrinks(f, false);
  pool_fake_guest_set_chooser(f, grow_choose, NULL);
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  c.max_slots = 4;
  c.warm_slots = 4;
  c.acquire_wait_ms = 60000;
  c.health_interval_ms = 0;
  c.memory_cap_bytes = 16 * 65536;
  c.memory_budget_bytes = 24 * 65536;
  c.memory_cleanup_pct = 50; /* threshold: 12 pages, less than one slot's cap (16) */
  c.breaker_min_calls = 4096;
  c.breaker_window = 4096;
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  pool_rec *rec = pool_rec_new();
  riptide_pool_subscribe(p, RT_EV_MEMORY_CLEANUP, RIPTIDE_SEV_TRACE, pool_rec_fn, rec);
  worker w[16];
  run_workers(p, 16, 50, w);
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  check_idle_pool(p);
  assert_int_equal(m.extractions_total, 800);
  assert_int_equal(m.extractions_failed, 0);
  assert_true(m.slots_destroyed > 0);                    /* cleanup happened */
  assert_true(m.slots_created > 4);                      /* and the pool refilled */
  assert_true(rt_pool_memory_usage(p) <= 12 * 65536ull); /* the last release cleaned up */
  assert_int_equal(m.guest_pages * 65536ull, rt_pool_memory_usage(p));
  assert_true(pool_rec_wait(rec, RT_EV_MEMORY_CLEANUP, 1, 10000));
  riptide_pool_free(p);
  pool_fake_counts k;
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.slots_created, k.slots_freed);
  pool_rec_free(rec);
  pool_fake_guest_free(f);
}

typedef struct once_arg {
  riptide_pool *p;
  riptide_err err;
} once_arg;

static void *once_main(void *arg)
{
  once_arg *a = arg;
  riptide_document *d = NULL;
  a->err = riptide_pool_extract(a->p, HTML, strlen(HTML), NULL, NULL, &d);
  riptide_document_free(d);
  return NULL;
}

static void test_exhaustion_and_recovery(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  c.max_slots = 2;
  c.warm_slots = 2;
  c.acquire_wait_ms = 10;
  c.health_interval_ms = 0;
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  pool_fake_step block = {.kind = POOL_FAKE_BLOCK};
  pool_fake_guest_push_n(f, &block, 2);
  once_arg hold[2] = {{.p = p}, {.p = p}};
  pthread_t ht[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&ht[i], NULL, once_main, &hold[i]);
  assert_true(pool_fake_guest_wait_blocked(f, 2, 10000));

  once_arg ex[10];
  pthread_t et[10];
  for (int i = 0; i < 10; i++) {
    ex[i] = (once_arg){.p = p};
    pthread_create(&et[i], NULL, once_main, &ex[i]);
  }
  for (int i = 0; i < 10; i++) {
    pthread_join(et[i], NULL);
    assert_int_equal(ex[i].err, RIPTIDE_ERR_POOL_EXHAUSTED);
  }
  pool_fake_guest_gate_open(f);
  for (int i = 0; i < 2; i++) {
    pthread_join(ht[i], NULL);
    assert_int_equal(hold[i].err, RIPTIDE_OK);
  }
  /* Recovery: full service again, concurrently (as many callers as slots: no wait). */
  worker w[2];
  run_workers(p, 2, 50, w);
  for (int i = 0; i < 2; i++)
    assert_int_equal(w[i].ok, 50);
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  check_idle_pool(p);
  assert_int_equal(m.pool_exhausted, 10);
  assert_int_equal(m.succeeded_wasm, 102);
  riptide_pool_free(p);
  pool_fake_guest_free(f);
}

static void test_exhaustion_recovery_same_pool(void **state)
{
  (void)state;
  /* The same pool recovers: after exhaustion, the next callers are served. */
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  c.max_slots = 2;
  c.warm_slots = 2;
  c.acquire_wait_ms = 10;
  c.health_interval_ms = 0;
  c.breaker_min_calls = 1000;
  c.breaker_window = 1000;
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  pool_fake_step block = {.kind = POOL_FAKE_BLOCK};
  pool_fake_guest_push_n(f, &block, 2);
  once_arg hold[2] = {{.p = p}, {.p = p}};
  pthread_t ht[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&ht[i], NULL, once_main, &hold[i]);
  assert_true(pool_fake_guest_wait_blocked(f, 2, 10000));
  for (int i = 0; i < 5; i++) {
    riptide_document *d = NULL;
    assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d),
                     RIPTIDE_ERR_POOL_EXHAUSTED);
  }
  pool_fake_guest_gate_open(f);
  for (int i = 0; i < 2; i++)
    pthread_join(ht[i], NULL);
  for (int i = 0; i < 100; i++) {
    riptide_document *d = NULL;
    assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
    assert_string_equal(d->engine, "wasm");
    riptide_document_free(d);
  }
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  check_idle_pool(p);
  assert_int_equal(m.pool_exhausted, 5);
  assert_int_equal(m.extractions_failed, 5);
  assert_int_equal(m.succeeded_wasm, 102);
  riptide_pool_free(p);
  pool_fake_guest_free(f);
}

static void trap_choose(void *ctx, uint64_t no, pool_fake_step *s)
{
  (void)ctx;
  memset(s, 0, sizeof *s);
  if (mix_hash(no) % 10 < 3) {
    s->kind = POOL_FAKE_TRAP;
    s->trap = RIPTIDE_TRAP_OOB;
  } else {
    s->kind = POOL_FAKE_OK;
  }
}

static void test_health_recycling_under_load(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  pool_fake_guest_set_chooser(f, trap_choose, NULL);
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  c.max_slots = 4;
  c.warm_slots = 2;
  c.acquire_wait_ms = 60000;
  c.health_interval_ms = 1;
  c.max_slot_failures = 1;
  c.breaker_min_calls = 4096;
  c.breaker_window = 4096;
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  pool_rec *rec = pool_rec_new();
  riptide_pool_subscribe(p, RT_EV_INSTANCE_UNHEALTHY, RIPTIDE_SEV_TRACE, pool_rec_fn, rec);
  worker w[16];
  run_workers(p, 16, 100, w);
  rt_health_report r;
  rt_pool_health_check(p, &r); /* one more pass: every idle slot with a failure goes */
  rt_pool_health_check(p, &r);
  assert_int_equal(r.recycled_failures, 0);
  assert_true(pool_rec_wait(rec, RT_EV_INSTANCE_UNHEALTHY, 1, 10000));
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  check_idle_pool(p);
  assert_int_equal(m.extractions_total, 1600);
  assert_int_equal(m.extractions_failed, 0);
  assert_true(m.slots_destroyed > 0);
  riptide_pool_free(p);
  pool_fake_counts k;
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.slots_created, k.slots_freed);
  pool_rec_free(rec);
  pool_fake_guest_free(f);
}

static void block_choose(void *ctx, uint64_t no, pool_fake_step *s)
{
  (void)ctx;
  memset(s, 0, sizeof *s);
  s->kind = mix_hash(no) % 5 == 0 ? POOL_FAKE_BLOCK : POOL_FAKE_OK;
}

static void test_shutdown_under_load(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  pool_fake_guest_set_chooser(f, block_choose, NULL);
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  c.max_slots = 4;
  c.warm_slots = 2;
  c.acquire_wait_ms = 60000;
  c.timeout_ms = 600000;
  c.health_interval_ms = 1;
  c.breaker_min_calls = 4096;
  c.breaker_window = 4096;
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  enum { N = 50 };
  worker w[N];
  pthread_t t[N];
  for (int i = 0; i < N; i++) {
    w[i] = (worker){.p = p, .until_shutdown = true};
    pthread_create(&t[i], NULL, worker_main, &w[i]);
  }
  /* Every slot ends up holding a blocked call; 46 callers wait for a permit. */
  assert_true(pool_fake_guest_wait_blocked(f, 4, 30000));
  assert_int_equal(riptide_pool_shutdown(p, 20), RIPTIDE_ERR_TIMEOUT);
  pool_fake_guest_gate_open(f);
  for (int i = 0; i < N; i++)
    pthread_join(t[i], NULL);
  assert_int_equal(riptide_pool_shutdown(p, 10000), RIPTIDE_OK);
  uint64_t made = 0, shut = 0;
  for (int i = 0; i < N; i++)
    made += w[i].made;
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  check_idle_pool(p);
  assert_int_equal(m.extractions_total, made);
  for (int i = 0; i < N; i++)
    shut += w[i].failed;
  assert_int_equal(m.extractions_failed, shut); /* SHUTDOWN refusals only */
  assert_int_equal(shut, N);
  riptide_pool_free(p);
  pool_fake_counts k;
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.slots_created, k.slots_freed);
  pool_fake_guest_free(f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_100_threads_hostile_mix),
      cmocka_unit_test(test_1000_sequential),
      cmocka_unit_test(test_rapid_breaker_transitions),
      cmocka_unit_test(test_memory_pressure),
      cmocka_unit_test(test_exhaustion_and_recovery),
      cmocka_unit_test(test_exhaustion_recovery_same_pool),
      cmocka_unit_test(test_health_recycling_under_load),
      cmocka_unit_test(test_shutdown_under_load),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
