/* test_pool.c - the pool (src/pool/pool.c): config, warm-up, permits, lease/release, status,
 * events, shutdown; over the scripted fake guest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/limits.h"
#include "pool/pool.h"
#include "support/fake_guest.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
/* The misuse test's child starts threads after fork (the parent has none then). */
const char *__tsan_default_options(void);
__attribute__((visibility("default"))) const char *__tsan_default_options(void)
{
  return "die_after_fork=0";
}
#endif

static void cfg_small(riptide_pool_config *c, uint32_t max, uint32_t warm)
{
  riptide_pool_config_init(c);
  c->max_slots = max;
  c->warm_slots = warm;
  c->health_interval_ms = 0; /* passes are run by hand in test_health */
  c->acquire_wait_ms = 0;
}

static void test_config_defaults(void **state)
{
  (void)state;
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  assert_int_equal(c.max_slots, cpus < 2 ? 2 : (uint32_t)cpus);
  assert_int_equal(c.warm_slots, RT_DEFAULT_WARM_SLOTS);
  assert_int_equal(c.acquire_wait_ms, 30000);
  assert_false(c.fallback_on_exhausted);
  assert_true(c.fallback_enabled);
  assert_int_equal(c.timeout_ms, 10000);
  assert_true(c.memory_cap_bytes == 256ull << 20);
  assert_true(c.max_input_bytes == 64ull << 20);
  assert_true(c.max_output_bytes == 0); /* automatic: 16 MiB + 4 bytes per input byte */
  assert_int_equal(c.breaker_window, 20);
  assert_int_equal(c.breaker_min_calls, 10);
  assert_int_equal(c.breaker_failure_pct, 50);
  assert_int_equal(c.breaker_cooldown_ms, 5000);
  assert_int_equal(c.breaker_probes, 3);
  assert_int_equal(c.breaker_max_cooldown_ms, 60000);
  assert_int_equal(c.health_interval_ms, 30000);
  assert_int_equal(c.max_slot_age_ms, 3600000);
  assert_int_equal(c.max_slot_failures, 5);
  assert_int_equal(c.max_slot_memory_pct, 80);
  assert_int_equal(c.max_grow_failures, 10);
  assert_int_equal(c.idle_shrink_ms, 1800000);
  assert_int_equal(c.memory_cleanup_pct, 80);
  assert_int_equal(c.event_ring_size, 1024);
  assert_null(c.clock);

  riptide_pool_config r;
  assert_int_equal(rt_pool_config_resolve(&c, &r), RIPTIDE_OK);
  assert_true(r.memory_budget_bytes == (uint64_t)c.max_slots * c.memory_cap_bytes);
  riptide_pool_config_init(NULL); /* no crash */
}

static void test_config_invalid(void **state)
{
  (void)state;
  riptide_pool_config c, r;
#define BAD(field, value)                                                                          \
  do {                                                                                             \
    riptide_pool_config_init(&c);                                                                  \
    c.field = value;                                                                               \
    assert_int_equal(rt_pool_config_resolve(&c, &r), RIPTIDE_ERR_INVALID_ARG);                     \
  } while (0)
  BAD(max_slots, 0);
  BAD(max_slots, RT_MAX_SLOTS + 1);
  BAD(timeout_ms, 0);
  BAD(timeout_ms, RT_MAX_TIMEOUT_MS + 1);
  BAD(memory_cap_bytes, 1000);
  BAD(memory_cap_bytes, RT_MAX_MEMORY_CAP + 1);
  BAD(max_input_bytes, 0);
  BAD(max_slot_memory_pct, 0);
  BAD(max_slot_memory_pct, 101);
  BAD(memory_cleanup_pct, 101);
  BAD(event_ring_size, RT_MAX_EVENT_RING + 1);
#undef BAD
  riptide_pool_config_init(&c);
  c.max_slots = 2;
  c.warm_slots = 3;
  assert_int_equal(rt_pool_config_resolve(&c, &r), RIPTIDE_ERR_INVALID_ARG);

  /* The pool refuses the same configs, and a breaker config out of range. */
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool *p = (riptide_pool *)0x1;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_ERR_INVALID_ARG);
  assert_null(p);
  riptide_pool_config_init(&c);
  c.breaker_failure_pct = 101;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_ERR_INVALID_ARG);
  assert_null(p);
  assert_int_equal(rt_pool_new_with_guest(&c, NULL, &p), RIPTIDE_ERR_INVALID_ARG);
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), NULL),
                   RIPTIDE_ERR_INVALID_ARG);
  pool_fake_counts k;
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.slots_created, 0);
  pool_fake_guest_free(f);
}

static void test_warmup_and_status(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  cfg_small(&c, 4, 2);
  riptide_pool *p = NULL, *q = NULL;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &q), RIPTIDE_OK);
  pool_fake_counts k;
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.slots_created, 4); /* 2 warm slots per pool */

  riptide_pool_status st, sq;
  riptide_pool_status_get(p, &st);
  riptide_pool_status_get(q, &sq);
  assert_true(st.pool_id != 0);
  assert_true(st.pool_id != sq.pool_id);
  assert_int_equal(st.max_slots, 4);
  assert_int_equal(st.available, 4);
  assert_int_equal(st.idle, 2);
  assert_int_equal(st.leased, 0);
  assert_int_equal(st.in_flight, 0);
  assert_int_equal(st.waiters, 0);
  assert_int_equal(st.breaker_state, 0);
  assert_false(st.shutting_down);

  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  assert_int_equal(m.slots_created, 2);
  assert_int_equal(m.slots_idle, 2);
  assert_int_equal(m.guest_pages, 2); /* the fake's slots start with one page */
  assert_int_equal(m.extractions_total, 0);

  riptide_pool_free(p);
  riptide_pool_free(q);
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.slots_freed, 4);
  riptide_pool_free(NULL);
  riptide_pool_status_get(NULL, &st);
  assert_int_equal(st.max_slots, 0);
  pool_fake_guest_free(f);
}

static void test_warmup_failure(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  pool_fake_guest_fail_slot_new(f, 100);
  riptide_pool_config c;
  cfg_small(&c, 2, 2);
  riptide_pool *p = (riptide_pool *)0x1;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_ERR_INSTANTIATE);
  assert_null(p);
  /* A partial warm-up (one of two slots) still gives a usable pool. */
  pool_fake_guest_fail_slot_new(f, 1);
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  riptide_pool_status st;
  riptide_pool_status_get(p, &st);
  assert_int_equal(st.idle, 1);
  assert_int_equal(st.available, 2);
  riptide_pool_free(p);
  pool_fake_guest_free(f);
}

static void test_lease_release_mru(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  cfg_small(&c, 2, 2);
  riptide_pool *p;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);

  rt_lease a, b, x;
  assert_int_equal(rt_pool_lease(p, 0, &a), RIPTIDE_OK);
  assert_non_null(a.slot);
  assert_true(a.instance_id != 0);
  assert_false(a.waited);
  riptide_pool_status st;
  riptide_pool_status_get(p, &st);
  assert_int_equal(st.leased, 1);
  assert_int_equal(st.available, 1);
  assert_int_equal(st.idle, 1);
  assert_int_equal(st.in_flight, 0); /* leased is not "in flight" (upstream defect) */

  assert_int_equal(rt_pool_lease(p, 0, &b), RIPTIDE_OK);
  assert_true(b.instance_id != a.instance_id);
  assert_int_equal(rt_pool_lease(p, 0, &x), RIPTIDE_ERR_POOL_EXHAUSTED);

  rt_slot_stats s;
  p->guest->ops->slot_stats(a.slot, &s);
  uint64_t aid = a.instance_id;
  rt_pool_release(p, &a, RT_RELEASE_KEEP, &s, false);
  /* most recently released first */
  assert_int_equal(rt_pool_lease(p, 0, &x), RIPTIDE_OK);
  assert_int_equal(x.instance_id, aid);
  rt_pool_release(p, &x, RT_RELEASE_KEEP, &s, false);

  /* Discard: the entry becomes empty, the next lease creates a new slot on demand. */
  pool_fake_counts k0, k1;
  pool_fake_guest_counts(f, &k0);
  p->guest->ops->slot_stats(b.slot, &s);
  uint64_t bid = b.instance_id;
  rt_pool_release(p, &b, RT_RELEASE_DISCARD, &s, true);
  pool_fake_guest_counts(f, &k1);
  assert_int_equal(k1.slots_freed, k0.slots_freed + 1);
  riptide_pool_status_get(p, &st);
  assert_int_equal(st.idle, 1);
  assert_int_equal(st.available, 2);
  rt_lease y, z;
  assert_int_equal(rt_pool_lease(p, 0, &y), RIPTIDE_OK);
  assert_int_equal(y.instance_id, aid);
  assert_int_equal(rt_pool_lease(p, 0, &z), RIPTIDE_OK);
  assert_true(z.instance_id != bid && z.instance_id != aid);
  pool_fake_guest_counts(f, &k1);
  assert_int_equal(k1.slots_created, k0.slots_created + 1);
  p->guest->ops->slot_stats(y.slot, &s);
  rt_pool_release(p, &y, RT_RELEASE_KEEP, &s, false);
  rt_pool_release(p, &z, RT_RELEASE_KEEP, &s, false);

  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  assert_int_equal(m.slots_created, 3);
  assert_int_equal(m.slots_destroyed, 1);
  assert_int_equal(m.slots_idle, 2);
  assert_int_equal(m.slots_leased, 0);
  riptide_pool_free(p);
  pool_fake_guest_free(f);
}

static void test_creation_failure_on_demand(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  cfg_small(&c, 2, 0);
  riptide_pool *p;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  pool_rec *r = pool_rec_new();
  assert_true(riptide_pool_subscribe(p, "pool.instance_", RIPTIDE_SEV_TRACE, pool_rec_fn, r) > 0);

  pool_fake_guest_fail_slot_new(f, 1);
  rt_lease l;
  assert_int_equal(rt_pool_lease(p, 0, &l), RIPTIDE_ERR_INSTANTIATE);
  riptide_pool_status st;
  riptide_pool_status_get(p, &st);
  assert_int_equal(st.available, 2); /* the permit came back */
  assert_int_equal(st.leased, 0);
  assert_int_equal(rt_pool_lease(p, 0, &l), RIPTIDE_OK);
  rt_slot_stats s;
  p->guest->ops->slot_stats(l.slot, &s);
  rt_pool_release(p, &l, RT_RELEASE_KEEP, &s, false);

  assert_true(pool_rec_wait(r, RT_EV_INSTANCE_CREATED, 1, 5000));
  assert_int_equal(rt_events_flush(p->events, 5000), RIPTIDE_OK);
  assert_int_equal(pool_rec_count(r, RT_EV_INSTANCE_CREATION_FAILED), 1);
  assert_int_equal(pool_rec_count(r, RT_EV_INSTANCE_CREATED), 1);
  pool_rec_event e;
  assert_true(pool_rec_get(r, RT_EV_INSTANCE_CREATION_FAILED, 0, &e));
  assert_true(pool_rec_has(&e, "error", "INSTANTIATE"));
  assert_int_equal(e.severity, RIPTIDE_SEV_ERROR);
  riptide_pool_free(p);
  pool_rec_free(r);
  pool_fake_guest_free(f);
}

typedef struct waiter_arg {
  riptide_pool *p;
  uint32_t wait_ms;
  riptide_err err;
  rt_lease l;
} waiter_arg;

static void *waiter_main(void *arg)
{
  waiter_arg *w = arg;
  w->err = rt_pool_lease(w->p, w->wait_ms, &w->l);
  return NULL;
}

/* Waits until the pool reports n waiters (bounded spin on observable state, no sleep). */
static bool wait_waiters(riptide_pool *p, uint32_t n)
{
  for (long i = 0; i < 200000000L; i++) {
    riptide_pool_status st;
    riptide_pool_status_get(p, &st);
    if (st.waiters >= n)
      return true;
    sched_yield();
  }
  return false;
}

static void test_bounded_wait(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  cfg_small(&c, 1, 1);
  riptide_pool *p;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  rt_lease l;
  assert_int_equal(rt_pool_lease(p, 0, &l), RIPTIDE_OK);

  /* A waiter whose wait expires: POOL_EXHAUSTED, having waited at least the limit. */
  waiter_arg w1 = {.p = p, .wait_ms = 30};
  pthread_t t;
  pthread_create(&t, NULL, waiter_main, &w1);
  pthread_join(t, NULL);
  assert_int_equal(w1.err, RIPTIDE_ERR_POOL_EXHAUSTED);
  assert_true(w1.l.waited);
  assert_true(w1.l.wait_ns >= 30ull * 1000000ull);

  /* A waiter that gets the permit when it is released. */
  waiter_arg w2 = {.p = p, .wait_ms = 60000};
  pthread_create(&t, NULL, waiter_main, &w2);
  assert_true(wait_waiters(p, 1));
  rt_slot_stats s;
  p->guest->ops->slot_stats(l.slot, &s);
  uint64_t id = l.instance_id;
  rt_pool_release(p, &l, RT_RELEASE_KEEP, &s, false);
  pthread_join(t, NULL);
  assert_int_equal(w2.err, RIPTIDE_OK);
  assert_int_equal(w2.l.instance_id, id);
  assert_true(w2.l.waited);

  /* A waiter woken by shutdown: SHUTDOWN, not a hang. */
  waiter_arg w3 = {.p = p, .wait_ms = 60000};
  pthread_create(&t, NULL, waiter_main, &w3);
  assert_true(wait_waiters(p, 1));
  assert_int_equal(riptide_pool_shutdown(p, 10), RIPTIDE_ERR_TIMEOUT); /* w2 still holds */
  pthread_join(t, NULL);
  assert_int_equal(w3.err, RIPTIDE_ERR_SHUTDOWN);
  rt_pool_release(p, &w2.l, RT_RELEASE_KEEP, &s, false);
  assert_int_equal(riptide_pool_shutdown(p, 1000), RIPTIDE_OK);
  assert_int_equal(rt_pool_lease(p, 0, &l), RIPTIDE_ERR_SHUTDOWN);
  riptide_pool_free(p);
  pool_fake_guest_free(f);
}

static void test_shutdown_refuses_and_frees(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  cfg_small(&c, 3, 3);
  c.health_interval_ms = 5; /* a running monitor is stopped by shutdown */
  riptide_pool *p;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  assert_int_equal(riptide_pool_shutdown(p, 1000), RIPTIDE_OK);
  assert_int_equal(riptide_pool_shutdown(p, 1000), RIPTIDE_OK); /* idempotent */
  riptide_pool_status st;
  riptide_pool_status_get(p, &st);
  assert_true(st.shutting_down);
  riptide_document *d = (riptide_document *)0x1;
  assert_int_equal(riptide_pool_extract(p, "<p>x</p>", 8, NULL, NULL, &d), RIPTIDE_ERR_SHUTDOWN);
  assert_null(d);
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  assert_int_equal(m.extractions_total, 1);
  assert_int_equal(m.extractions_failed, 1);
  riptide_pool_free(p);
  pool_fake_counts k;
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.slots_created, k.slots_freed);
  assert_int_equal(riptide_pool_shutdown(NULL, 0), RIPTIDE_ERR_INVALID_ARG);
  pool_fake_guest_free(f);
}

static void test_subscribe_unsubscribe(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  cfg_small(&c, 2, 0);
  riptide_pool *p;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  /* Nobody listening: per-call events are not even queued. */
  riptide_document *d0;
  assert_int_equal(riptide_pool_extract(p, "<p>x</p>", 8, NULL, NULL, &d0), RIPTIDE_OK);
  riptide_document_free(d0);
  riptide_metrics m0;
  riptide_pool_metrics(p, &m0);
  assert_int_equal(m0.events_emitted, 0);

  pool_rec *all = pool_rec_new(), *warn = pool_rec_new();
  uint64_t s1 = riptide_pool_subscribe(p, "", RIPTIDE_SEV_TRACE, pool_rec_fn, all);
  uint64_t s2 = riptide_pool_subscribe(p, "extraction.", RIPTIDE_SEV_WARN, pool_rec_fn, warn);
  assert_true(s1 > 0 && s2 > 0 && s1 != s2);
  assert_int_equal(riptide_pool_subscribe(p, "", RIPTIDE_SEV_TRACE, NULL, NULL), 0);
  assert_int_equal(riptide_pool_subscribe(NULL, "", RIPTIDE_SEV_TRACE, pool_rec_fn, all), 0);

  riptide_document *d;
  assert_int_equal(riptide_pool_extract(p, "<p>x</p>", 8, NULL, NULL, &d), RIPTIDE_OK);
  riptide_document_free(d);
  assert_int_equal(rt_events_flush(p->events, 5000), RIPTIDE_OK);
  assert_int_equal(pool_rec_count(all, RT_EV_EXTRACTION_STARTED), 1);
  assert_int_equal(pool_rec_count(all, RT_EV_EXTRACTION_COMPLETED), 1);
  assert_int_equal(pool_rec_count(all, RT_EV_INSTANCE_CREATED), 0); /* made before */
  assert_int_equal(pool_rec_count(all, RT_EV_INSTANCE_ACQUIRED), 1);
  assert_int_equal(pool_rec_count(all, RT_EV_INSTANCE_RELEASED), 1);
  assert_int_equal(pool_rec_count(warn, NULL), 0); /* all were below warn */
  assert_int_equal(pool_rec_misordered(all), 0);

  riptide_pool_unsubscribe(p, s1);
  uint32_t before = pool_rec_count(all, NULL);
  riptide_pool_metrics(p, &m0);
  uint64_t emitted_before = m0.events_emitted;
  pool_fake_step trap = {.kind = POOL_FAKE_TRAP, .trap = RIPTIDE_TRAP_OOB};
  pool_fake_guest_push(f, &trap);
  assert_int_equal(riptide_pool_extract(p, "<p>x</p>", 8, NULL, NULL, &d), RIPTIDE_OK);
  riptide_document_free(d);
  assert_int_equal(rt_events_flush(p->events, 5000), RIPTIDE_OK);
  assert_int_equal(pool_rec_count(all, NULL), before);
  assert_int_equal(pool_rec_count(warn, RT_EV_EXTRACTION_FAILED), 1);
  assert_int_equal(pool_rec_count(warn, RT_EV_EXTRACTION_FALLBACK_USED), 1);
  /* Only WARN and above are queued now (the remaining subscriber's minimum). */
  riptide_pool_metrics(p, &m0);
  assert_int_equal(m0.events_emitted - emitted_before, 2);
  riptide_pool_unsubscribe(p, s2);
  riptide_pool_unsubscribe(p, 12345); /* unknown: ignored */
  riptide_pool_unsubscribe(NULL, s2);
  riptide_pool_free(p);
  pool_rec_free(all);
  pool_rec_free(warn);
  pool_fake_guest_free(f);
}

/* A subscriber that blocks (on a condition the test controls) until released. */
typedef struct slow_sub {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool open;
  pool_rec *rec;
} slow_sub;

static void slow_fn(const riptide_event *ev, void *ctx)
{
  slow_sub *s = ctx;
  pthread_mutex_lock(&s->mu);
  while (!s->open)
    pthread_cond_wait(&s->cv, &s->mu);
  pthread_mutex_unlock(&s->mu);
  pool_rec_fn(ev, s->rec);
}

static void test_slow_subscriber_drops_counted(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  cfg_small(&c, 2, 2);
  c.event_ring_size = 8;
  riptide_pool *p;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  slow_sub s = {.rec = pool_rec_new()};
  pthread_mutex_init(&s.mu, NULL);
  pthread_cond_init(&s.cv, NULL);
  riptide_metrics m0;
  riptide_pool_metrics(p, &m0); /* warm-up events went nowhere (no subscriber yet) */
  assert_true(riptide_pool_subscribe(p, "", RIPTIDE_SEV_TRACE, slow_fn, &s) > 0);

  /* Each successful call emits 4 events (started, acquired, released, completed). The
   * blocked subscriber holds the dispatcher: the ring (8) fills and the rest are dropped,
   * counted, and no caller ever waits for it. */
  for (int i = 0; i < 50; i++) {
    riptide_document *d = NULL;
    assert_int_equal(riptide_pool_extract(p, "<p>x</p>", 8, NULL, NULL, &d), RIPTIDE_OK);
    riptide_document_free(d);
  }
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  assert_int_equal((m.events_emitted - m0.events_emitted) + (m.events_dropped - m0.events_dropped),
                   200);
  assert_true(m.events_dropped > 0);
  assert_true(m.events_emitted - m0.events_emitted <= 9); /* ring + the one being handled */

  pthread_mutex_lock(&s.mu);
  s.open = true;
  pthread_cond_broadcast(&s.cv);
  pthread_mutex_unlock(&s.mu);
  assert_int_equal(rt_events_flush(p->events, 10000), RIPTIDE_OK);
  assert_int_equal(pool_rec_count(s.rec, NULL), m.events_emitted - m0.events_emitted);
  assert_int_equal(pool_rec_misordered(s.rec), 0);
  pool_rec_event e;
  assert_true(pool_rec_get(s.rec, NULL, 0, &e));
  assert_string_equal(e.type, RT_EV_EXTRACTION_STARTED); /* emission order kept */
  riptide_pool_free(p);
  pthread_mutex_destroy(&s.mu);
  pthread_cond_destroy(&s.cv);
  pool_rec_free(s.rec);
  pool_fake_guest_free(f);
}

/* ---- API misuse ---------------------------------------------------------------------------- */

static void test_mode_parse_misuse(void **state)
{
  (void)state;
  riptide_mode m = RIPTIDE_MODE_FULL;
  assert_int_equal(riptide_mode_parse("article", NULL), RIPTIDE_ERR_INVALID_ARG);
  assert_int_equal(riptide_mode_parse(NULL, &m), RIPTIDE_ERR_UNSUPPORTED);
  assert_int_equal(riptide_mode_parse("bogus", &m), RIPTIDE_ERR_UNSUPPORTED);
  assert_int_equal(m, RIPTIDE_MODE_FULL);
  assert_int_equal(riptide_mode_parse("metadata", &m), RIPTIDE_OK);
  assert_int_equal(m, RIPTIDE_MODE_METADATA);
}

typedef struct bg_call {
  riptide_pool *p;
  riptide_err err;
  riptide_document *d;
} bg_call;

static void *bg_extract(void *arg)
{
  bg_call *b = arg;
  b->err = riptide_pool_extract(b->p, "<p>x</p>", 8, NULL, NULL, &b->d);
  return NULL;
}

static void *bg_free(void *arg)
{
  riptide_pool_free(arg);
  return NULL;
}

/* A call blocked in the guest, then riptide_pool_free on another thread: returns with the
 * thread that frees inside riptide_pool_free (a synchronisation on the pool's own state). */
static void start_free_during_call(pool_fake_guest *f, riptide_pool **pp, bg_call *b, pthread_t *tb,
                                   pthread_t *tf)
{
  pool_fake_step blk = {.kind = POOL_FAKE_BLOCK};
  pool_fake_guest_set_default(f, &blk);
  riptide_pool_config c;
  cfg_small(&c, 1, 1);
  c.timeout_ms = 60000;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), pp), RIPTIDE_OK);
  b->p = *pp;
  assert_int_equal(pthread_create(tb, NULL, bg_extract, b), 0);
  assert_true(pool_fake_guest_wait_blocked(f, 1, 10000));
  assert_int_equal(pthread_create(tf, NULL, bg_free, *pp), 0);
  while (atomic_load(&(*pp)->magic) != RT_POOL_MAGIC_FREEING)
    sched_yield();
}

/* riptide_pool_free with a call in flight waits for it; the call completes normally. */
static void test_free_waits_for_calls_in_flight(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool *p = NULL;
  bg_call b = {0};
  pthread_t tb, tf;
  start_free_during_call(f, &p, &b, &tb, &tf);
  pool_fake_guest_gate_open(f);
  assert_int_equal(pthread_join(tb, NULL), 0);
  assert_int_equal(pthread_join(tf, NULL), 0);
  assert_int_equal(b.err, RIPTIDE_OK);
  assert_non_null(b.d);
  assert_string_equal(b.d->engine, "wasm");
  riptide_document_free(b.d);
  pool_fake_counts k;
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.slots_created, k.slots_freed);
  pool_fake_guest_free(f);
}

/* A call that starts on a pool being freed would use freed memory: it is detected, and the
 * process stops with a message naming the call (in a child, which must die of SIGABRT). */
static void test_call_on_pool_being_freed_aborts(void **state)
{
  (void)state;
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    alarm(20);
    close(fds[0]);
    dup2(fds[1], 2);
    pool_fake_guest *f = pool_fake_guest_new();
    riptide_pool *p = NULL;
    bg_call b = {0};
    pthread_t tb, tf;
    start_free_during_call(f, &p, &b, &tb, &tf);
    riptide_pool_status st;
    riptide_pool_status_get(p, &st); /* misuse: must not return */
    fprintf(stderr, "status_get returned\n");
    _exit(0);
  }
  close(fds[1]);
  char buf[4096];
  size_t n = 0;
  ssize_t r;
  while (n < sizeof buf - 1 && (r = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0)
    n += (size_t)r;
  buf[n] = '\0';
  close(fds[0]);
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  print_message("child stderr: %s", buf);
  assert_true(WIFSIGNALED(st));
  assert_int_equal(WTERMSIG(st), SIGABRT);
  assert_non_null(strstr(buf, "API misuse: riptide_pool_status_get"));
  assert_non_null(strstr(buf, "riptide_pool_free"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mode_parse_misuse),
      cmocka_unit_test(test_free_waits_for_calls_in_flight),
      cmocka_unit_test(test_call_on_pool_being_freed_aborts),
      cmocka_unit_test(test_config_defaults),
      cmocka_unit_test(test_config_invalid),
      cmocka_unit_test(test_warmup_and_status),
      cmocka_unit_test(test_warmup_failure),
      cmocka_unit_test(test_lease_release_mru),
      cmocka_unit_test(test_creation_failure_on_demand),
      cmocka_unit_test(test_bounded_wait),
      cmocka_unit_test(test_shutdown_refuses_and_frees),
      cmocka_unit_test(test_subscribe_unsubscribe),
      cmocka_unit_test(test_slow_subscriber_drops_counted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
