/*
 * test_circuit_breaker.c - every edge of the breaker's state machine, driven by a fake clock,
 * and the half-open probe limit under concurrent callers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "circuit_breaker/breaker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MS (1000000ull)

typedef struct fake_clock {
  _Atomic uint64_t now;
} fake_clock;

static uint64_t fake_now(void *ctx)
{
  return atomic_load(&((fake_clock *)ctx)->now);
}
static void advance(fake_clock *c, uint64_t ns)
{
  atomic_fetch_add(&c->now, ns);
}

static rt_breaker *mk(const rt_breaker_config *cfg, fake_clock *clk)
{
  rt_breaker *b = NULL;
  assert_int_equal(rt_breaker_new(cfg, fake_now, clk, &b), RIPTIDE_OK);
  assert_non_null(b);
  return b;
}

/* One closed call: acquire must ALLOW; returns the transition of the record. */
static rt_breaker_transition call(rt_breaker *b, bool ok)
{
  rt_breaker_ticket t;
  assert_int_equal(rt_breaker_acquire(b, &t), RT_BREAKER_ALLOW);
  return rt_breaker_record(b, &t, ok, NULL);
}

static void trip_defaults(rt_breaker *b)
{
  for (int i = 0; i < 9; i++)
    assert_int_equal(call(b, false), RT_BREAKER_NONE);
  assert_int_equal(call(b, false), RT_BREAKER_TRIPPED);
  assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_OPEN);
}

static void test_defaults_and_validation(void **state)
{
  (void)state;
  rt_breaker_config c;
  rt_breaker_config_init(&c);
  assert_int_equal(c.window, 20);
  assert_int_equal(c.min_calls, 10);
  assert_int_equal(c.failure_pct, 50);
  assert_int_equal(c.cooldown_ms, 5000);
  assert_int_equal(c.probes, 3);
  assert_int_equal(c.max_cooldown_ms, 60000);

  riptide_pool_config pc;
  memset(&pc, 0, sizeof(pc));
  pc.breaker_window = 40;
  pc.breaker_probes = 5;
  rt_breaker_config_from_pool(&c, &pc);
  assert_int_equal(c.window, 40);
  assert_int_equal(c.probes, 5);
  assert_int_equal(c.min_calls, 10);

  rt_breaker *b = NULL;
  rt_breaker_config bad;
  rt_breaker_config_init(&bad);
  bad.min_calls = 21; /* more than the window */
  assert_int_equal(rt_breaker_new(&bad, NULL, NULL, &b), RIPTIDE_ERR_INVALID_ARG);
  assert_null(b);
  rt_breaker_config_init(&bad);
  bad.failure_pct = 0;
  assert_int_equal(rt_breaker_new(&bad, NULL, NULL, &b), RIPTIDE_ERR_INVALID_ARG);
  rt_breaker_config_init(&bad);
  bad.failure_pct = 101;
  assert_int_equal(rt_breaker_new(&bad, NULL, NULL, &b), RIPTIDE_ERR_INVALID_ARG);
  rt_breaker_config_init(&bad);
  bad.probes = 0;
  assert_int_equal(rt_breaker_new(&bad, NULL, NULL, &b), RIPTIDE_ERR_INVALID_ARG);
  rt_breaker_config_init(&bad);
  bad.max_cooldown_ms = 4999;
  assert_int_equal(rt_breaker_new(&bad, NULL, NULL, &b), RIPTIDE_ERR_INVALID_ARG);
  rt_breaker_config_init(&bad);
  bad.window = 0;
  assert_int_equal(rt_breaker_new(&bad, NULL, NULL, &b), RIPTIDE_ERR_INVALID_ARG);
  assert_int_equal(rt_breaker_new(NULL, NULL, NULL, NULL), RIPTIDE_ERR_INVALID_ARG);

  /* NULL config = defaults, NULL clock = monotonic. */
  assert_int_equal(rt_breaker_new(NULL, NULL, NULL, &b), RIPTIDE_OK);
  assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_CLOSED);
  rt_breaker_free(b);
  rt_breaker_free(NULL);
  assert_string_equal(rt_breaker_state_name(RT_BREAKER_HALF_OPEN), "half_open");
  assert_string_equal(rt_breaker_transition_name(RT_BREAKER_TRIPPED), "tripped");
}

/* The upstream defect: one failure after 9..19 successes tripped the breaker. */
static void test_single_failure_never_trips_at_defaults(void **state)
{
  (void)state;
  fake_clock clk = {0};
  for (int ok = 9; ok <= 19; ok++) {
    rt_breaker *b = mk(NULL, &clk);
    for (int i = 0; i < ok; i++)
      assert_int_equal(call(b, true), RT_BREAKER_NONE);
    assert_int_equal(call(b, false), RT_BREAKER_NONE);
    assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_CLOSED);
    rt_breaker_stats st;
    rt_breaker_stats_get(b, &st);
    assert_int_equal(st.window_failures, 1);
    assert_int_equal(st.trips, 0);
    rt_breaker_free(b);
  }
  /* A 10 % failure rate over many calls never trips either (the seed's stress test expected a
   * trip here; that expectation was the defect). */
  rt_breaker *b = mk(NULL, &clk);
  for (int i = 0; i < 1000; i++)
    assert_int_equal(call(b, i % 10 != 0), RT_BREAKER_NONE);
  assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_CLOSED);
  rt_breaker_free(b);
}

static void test_min_calls_rule(void **state)
{
  (void)state;
  fake_clock clk = {0};
  rt_breaker *b = mk(NULL, &clk);
  /* 9 failures: 100 % failure rate but fewer than min_calls outcomes. */
  for (int i = 0; i < 9; i++)
    assert_int_equal(call(b, false), RT_BREAKER_NONE);
  assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_CLOSED);
  rt_breaker_info info;
  rt_breaker_ticket t;
  assert_int_equal(rt_breaker_acquire(b, &t), RT_BREAKER_ALLOW);
  assert_int_equal(rt_breaker_record(b, &t, false, &info), RT_BREAKER_TRIPPED);
  assert_int_equal(info.state, RT_BREAKER_OPEN);
  assert_int_equal(info.calls, 10);
  assert_int_equal(info.failures, 10);
  assert_int_equal(info.failure_pct, 50);
  assert_int_equal(info.cooldown_ms, 5000);
  assert_int_equal(info.trips, 1);
  rt_breaker_free(b);
}

static void test_threshold_exact(void **state)
{
  (void)state;
  fake_clock clk = {0};
  /* 5 successes + 5 failures = 50 % at the 10th call: trips exactly then. */
  rt_breaker *b = mk(NULL, &clk);
  for (int i = 0; i < 5; i++)
    assert_int_equal(call(b, true), RT_BREAKER_NONE);
  for (int i = 0; i < 4; i++)
    assert_int_equal(call(b, false), RT_BREAKER_NONE);
  assert_int_equal(call(b, false), RT_BREAKER_TRIPPED);
  rt_breaker_free(b);

  /* 6 + 4 = 40 %: no; 5/11 = 45 %: no; 6/12 = 50 %: trips. */
  b = mk(NULL, &clk);
  for (int i = 0; i < 6; i++)
    assert_int_equal(call(b, true), RT_BREAKER_NONE);
  for (int i = 0; i < 4; i++)
    assert_int_equal(call(b, false), RT_BREAKER_NONE);
  assert_int_equal(call(b, false), RT_BREAKER_NONE);
  assert_int_equal(call(b, false), RT_BREAKER_TRIPPED);
  rt_breaker_free(b);
}

static void test_window_slides(void **state)
{
  (void)state;
  fake_clock clk = {0};
  /* Full window of successes; each failure evicts one success. Without sliding, 10 failures
   * over 30 calls would be 33 %; with a window of 20 it is 10/20 = 50 %. */
  rt_breaker *b = mk(NULL, &clk);
  for (int i = 0; i < 20; i++)
    assert_int_equal(call(b, true), RT_BREAKER_NONE);
  for (int i = 0; i < 9; i++)
    assert_int_equal(call(b, false), RT_BREAKER_NONE);
  rt_breaker_stats st;
  rt_breaker_stats_get(b, &st);
  assert_int_equal(st.window_calls, 20);
  assert_int_equal(st.window_failures, 9);
  assert_int_equal(call(b, false), RT_BREAKER_TRIPPED);
  rt_breaker_free(b);

  /* Old failures age out: window 4, min 4. */
  rt_breaker_config c;
  rt_breaker_config_init(&c);
  c.window = 4;
  c.min_calls = 4;
  b = mk(&c, &clk);
  assert_int_equal(call(b, false), RT_BREAKER_NONE);
  for (int i = 0; i < 3; i++)
    assert_int_equal(call(b, true), RT_BREAKER_NONE); /* 1/4 */
  rt_breaker_stats_get(b, &st);
  assert_int_equal(st.window_failures, 1);
  assert_int_equal(call(b, true), RT_BREAKER_NONE); /* evicts the failure */
  rt_breaker_stats_get(b, &st);
  assert_int_equal(st.window_calls, 4);
  assert_int_equal(st.window_failures, 0);
  assert_int_equal(call(b, false), RT_BREAKER_NONE);    /* 1/4 */
  assert_int_equal(call(b, false), RT_BREAKER_TRIPPED); /* 2/4 = 50 % */
  rt_breaker_free(b);
}

static void test_open_rejects_until_cooldown(void **state)
{
  (void)state;
  fake_clock clk = {1000};
  rt_breaker *b = mk(NULL, &clk);
  trip_defaults(b);
  rt_breaker_stats st;
  rt_breaker_stats_get(b, &st);
  assert_int_equal(st.open_until_ns, 1000 + 5000 * MS);
  assert_int_equal(st.cooldown_ms, 5000);

  rt_breaker_ticket t;
  assert_int_equal(rt_breaker_acquire(b, &t), RT_BREAKER_REJECT);
  assert_true(t.done);
  assert_int_equal(rt_breaker_record(b, &t, true, NULL), RT_BREAKER_NONE); /* ignored */
  advance(&clk, 5000 * MS - 1);
  assert_int_equal(rt_breaker_acquire(b, &t), RT_BREAKER_REJECT);
  assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_OPEN);
  assert_int_equal(rt_breaker_state_now(b), RT_BREAKER_OPEN);
  advance(&clk, 1);
  /* The cooldown is over: with no call yet the breaker is still OPEN inside, but what a call
   * would meet (what status, metrics and readiness report) is HALF_OPEN. */
  assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_OPEN);
  assert_int_equal(rt_breaker_state_now(b), RT_BREAKER_HALF_OPEN);
  assert_int_equal(rt_breaker_acquire(b, &t), RT_BREAKER_PROBE);
  assert_int_equal(t.transition, RT_BREAKER_HALF_OPENED);
  assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_HALF_OPEN);
  rt_breaker_ticket t2, t3, t4;
  assert_int_equal(rt_breaker_acquire(b, &t2), RT_BREAKER_PROBE);
  assert_int_equal(t2.transition, RT_BREAKER_NONE);
  assert_int_equal(rt_breaker_acquire(b, &t3), RT_BREAKER_PROBE);
  /* The 4th caller is told to use the fallback. */
  assert_int_equal(rt_breaker_acquire(b, &t4), RT_BREAKER_REJECT);
  rt_breaker_stats_get(b, &st);
  assert_int_equal(st.rejected, 3);
  assert_int_equal(st.probes_issued, 3);

  /* All succeed -> closed, on the last one. */
  assert_int_equal(rt_breaker_record(b, &t, true, NULL), RT_BREAKER_NONE);
  assert_int_equal(rt_breaker_record(b, &t2, true, NULL), RT_BREAKER_NONE);
  assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_HALF_OPEN);
  rt_breaker_info info;
  assert_int_equal(rt_breaker_record(b, &t3, true, &info), RT_BREAKER_RESET);
  assert_int_equal(info.state, RT_BREAKER_CLOSED);
  assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_CLOSED);
  rt_breaker_stats_get(b, &st);
  assert_int_equal(st.window_calls, 0); /* fresh window */
  assert_int_equal(st.resets, 1);
  assert_int_equal(st.trips, 1);
  /* Fresh window: one failure does not trip. */
  assert_int_equal(call(b, false), RT_BREAKER_NONE);
  assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_CLOSED);
  rt_breaker_free(b);
}

static void test_probe_failure_doubles_cooldown_capped(void **state)
{
  (void)state;
  fake_clock clk = {0};
  rt_breaker *b = mk(NULL, &clk);
  trip_defaults(b);
  uint32_t expect[] = {10000, 20000, 40000, 60000, 60000};
  uint32_t cur = 5000;
  for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
    rt_breaker_ticket t;
    advance(&clk, (uint64_t)cur * MS - 1);
    assert_int_equal(rt_breaker_acquire(b, &t), RT_BREAKER_REJECT);
    advance(&clk, 1);
    assert_int_equal(rt_breaker_acquire(b, &t), RT_BREAKER_PROBE);
    rt_breaker_info info;
    assert_int_equal(rt_breaker_record(b, &t, false, &info), RT_BREAKER_REOPENED);
    assert_int_equal(info.state, RT_BREAKER_OPEN);
    assert_int_equal(info.cooldown_ms, expect[i]);
    assert_int_equal(info.trips, 2 + i);
    cur = expect[i];
  }
  /* Recover: probes succeed -> closed; the next trip starts again at the base cool-down. */
  advance(&clk, (uint64_t)cur * MS);
  rt_breaker_ticket p[3];
  for (int i = 0; i < 3; i++)
    assert_int_equal(rt_breaker_acquire(b, &p[i]), RT_BREAKER_PROBE);
  for (int i = 0; i < 3; i++)
    assert_int_equal(rt_breaker_record(b, &p[i], true, NULL),
                     i == 2 ? RT_BREAKER_RESET : RT_BREAKER_NONE);
  for (int i = 0; i < 9; i++)
    call(b, false);
  rt_breaker_info info;
  rt_breaker_ticket t;
  assert_int_equal(rt_breaker_acquire(b, &t), RT_BREAKER_ALLOW);
  assert_int_equal(rt_breaker_record(b, &t, false, &info), RT_BREAKER_TRIPPED);
  assert_int_equal(info.cooldown_ms, 5000);
  rt_breaker_free(b);
}

/* One failed probe reopens; the other outstanding probes of that phase are stale. */
static void test_failed_probe_makes_others_stale(void **state)
{
  (void)state;
  fake_clock clk = {0};
  rt_breaker *b = mk(NULL, &clk);
  trip_defaults(b);
  advance(&clk, 5000 * MS);
  rt_breaker_ticket p[3];
  for (int i = 0; i < 3; i++)
    assert_int_equal(rt_breaker_acquire(b, &p[i]), RT_BREAKER_PROBE);
  assert_int_equal(rt_breaker_record(b, &p[0], true, NULL), RT_BREAKER_NONE);
  assert_int_equal(rt_breaker_record(b, &p[1], false, NULL), RT_BREAKER_REOPENED);
  advance(&clk, 10000 * MS);
  rt_breaker_ticket q;
  assert_int_equal(rt_breaker_acquire(b, &q), RT_BREAKER_PROBE); /* new phase */
  /* The old probe's result must not count in the new phase. */
  assert_int_equal(rt_breaker_record(b, &p[2], false, NULL), RT_BREAKER_NONE);
  assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_HALF_OPEN);
  rt_breaker_stats st;
  rt_breaker_stats_get(b, &st);
  assert_int_equal(st.ignored, 1);
  assert_int_equal(st.probes_issued, 1);
  rt_breaker_free(b);
}

/* A closed call that finishes after the breaker tripped changes nothing. */
static void test_stale_closed_result_ignored(void **state)
{
  (void)state;
  fake_clock clk = {0};
  rt_breaker *b = mk(NULL, &clk);
  rt_breaker_ticket slow;
  assert_int_equal(rt_breaker_acquire(b, &slow), RT_BREAKER_ALLOW);
  trip_defaults(b);
  advance(&clk, 5000 * MS);
  rt_breaker_ticket p;
  assert_int_equal(rt_breaker_acquire(b, &p), RT_BREAKER_PROBE);
  assert_int_equal(rt_breaker_record(b, &slow, false, NULL), RT_BREAKER_NONE);
  assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_HALF_OPEN);
  /* Also after a reset: stale results do not pollute the fresh window. */
  rt_breaker_ticket p2, p3, slow2;
  assert_int_equal(rt_breaker_acquire(b, &p2), RT_BREAKER_PROBE);
  assert_int_equal(rt_breaker_acquire(b, &p3), RT_BREAKER_PROBE);
  rt_breaker_record(b, &p, true, NULL);
  rt_breaker_record(b, &p2, true, NULL);
  slow2 = p3; /* copy of a ticket: the copy records, the original is then stale */
  assert_int_equal(rt_breaker_record(b, &slow2, true, NULL), RT_BREAKER_RESET);
  rt_breaker_stats st;
  rt_breaker_stats_get(b, &st);
  assert_int_equal(st.window_calls, 0);
  assert_int_equal(st.ignored, 1);
  /* The original p3 is from the half-open phase: ignored, window unchanged. */
  assert_int_equal(rt_breaker_record(b, &p3, false, NULL), RT_BREAKER_NONE);
  rt_breaker_stats_get(b, &st);
  assert_int_equal(st.window_calls, 0);
  assert_int_equal(st.ignored, 2);
  rt_breaker_free(b);
}

static void test_cancel_and_double_record(void **state)
{
  (void)state;
  fake_clock clk = {0};
  rt_breaker *b = mk(NULL, &clk);
  rt_breaker_ticket a;
  assert_int_equal(rt_breaker_acquire(b, &a), RT_BREAKER_ALLOW);
  assert_int_equal(rt_breaker_record(b, &a, false, NULL), RT_BREAKER_NONE);
  assert_int_equal(rt_breaker_record(b, &a, false, NULL), RT_BREAKER_NONE); /* second: no-op */
  rt_breaker_stats st;
  rt_breaker_stats_get(b, &st);
  assert_int_equal(st.window_calls, 1);
  rt_breaker_ticket c;
  assert_int_equal(rt_breaker_acquire(b, &c), RT_BREAKER_ALLOW);
  rt_breaker_cancel(b, &c); /* closed cancel: nothing recorded */
  assert_int_equal(rt_breaker_record(b, &c, false, NULL), RT_BREAKER_NONE);
  rt_breaker_stats_get(b, &st);
  assert_int_equal(st.window_calls, 1);

  for (int i = 0; i < 9; i++)
    call(b, false);
  assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_OPEN);
  advance(&clk, 5000 * MS);
  rt_breaker_ticket p[4];
  for (int i = 0; i < 3; i++)
    assert_int_equal(rt_breaker_acquire(b, &p[i]), RT_BREAKER_PROBE);
  assert_int_equal(rt_breaker_acquire(b, &p[3]), RT_BREAKER_REJECT);
  rt_breaker_cancel(b, &p[1]); /* e.g. the pool was exhausted: the probe never ran */
  rt_breaker_cancel(b, &p[1]); /* twice: no double give-back */
  assert_int_equal(rt_breaker_acquire(b, &p[1]), RT_BREAKER_PROBE);
  assert_int_equal(rt_breaker_acquire(b, &p[3]), RT_BREAKER_REJECT);
  for (int i = 0; i < 3; i++)
    assert_int_equal(rt_breaker_record(b, &p[i], true, NULL),
                     i == 2 ? RT_BREAKER_RESET : RT_BREAKER_NONE);
  rt_breaker_free(b);
}

typedef struct counting_clock {
  uint64_t now;
  int reads;
} counting_clock;

static uint64_t counting_now(void *ctx)
{
  counting_clock *c = ctx;
  c->reads++;
  return c->now;
}

/* The closed path (gate and record) never reads the clock; a trip reads it once, after the
 * breaker's lock is released, and the open phase lasts exactly the cool-down from then. */
static void test_clock_reads(void **state)
{
  (void)state;
  counting_clock clk = {.now = 7000};
  rt_breaker *b = NULL;
  assert_int_equal(rt_breaker_new(NULL, counting_now, &clk, &b), RIPTIDE_OK);
  for (int i = 0; i < 100; i++)
    assert_int_equal(call(b, true), RT_BREAKER_NONE);
  assert_int_equal(clk.reads, 0);
  rt_breaker_free(b);
  b = NULL;
  clk.reads = 0;
  assert_int_equal(rt_breaker_new(NULL, counting_now, &clk, &b), RIPTIDE_OK);
  for (int i = 0; i < 9; i++)
    assert_int_equal(call(b, false), RT_BREAKER_NONE);
  assert_int_equal(clk.reads, 0);
  assert_int_equal(call(b, false), RT_BREAKER_TRIPPED);
  assert_int_equal(clk.reads, 1);
  rt_breaker_stats st;
  rt_breaker_stats_get(b, &st);
  assert_int_equal(st.open_until_ns, 7000 + 5000 * MS);
  rt_breaker_ticket t;
  assert_int_equal(rt_breaker_acquire(b, &t), RT_BREAKER_REJECT);
  assert_int_equal(clk.reads, 2); /* the open gate reads the clock */
  rt_breaker_free(b);
}

/* ---- concurrency ------------------------------------------------------------------------- */

#define NTHREADS 16

typedef struct gate_arg {
  rt_breaker *b;
  pthread_barrier_t *bar;
  rt_breaker_ticket t;
  rt_breaker_gate g;
} gate_arg;

static void *gate_thread(void *p)
{
  gate_arg *a = p;
  pthread_barrier_wait(a->bar);
  a->g = rt_breaker_acquire(a->b, &a->t);
  return NULL;
}

/* Many callers hit a half-open breaker at the same instant: exactly `probes` get through. */
static void test_half_open_probe_limit_concurrent(void **state)
{
  (void)state;
  fake_clock clk = {0};
  rt_breaker *b = mk(NULL, &clk);
  trip_defaults(b);
  uint32_t cooldown = 5000;
  for (int round = 0; round < 50; round++) {
    advance(&clk, (uint64_t)cooldown * MS);
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, NTHREADS);
    gate_arg args[NTHREADS];
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
      args[i] = (gate_arg){.b = b, .bar = &bar};
      assert_int_equal(pthread_create(&th[i], NULL, gate_thread, &args[i]), 0);
    }
    int probes = 0, rejects = 0, half_opened = 0;
    for (int i = 0; i < NTHREADS; i++) {
      pthread_join(th[i], NULL);
      probes += args[i].g == RT_BREAKER_PROBE;
      rejects += args[i].g == RT_BREAKER_REJECT;
      half_opened += args[i].t.transition == RT_BREAKER_HALF_OPENED;
    }
    pthread_barrier_destroy(&bar);
    assert_int_equal(probes, 3);
    assert_int_equal(rejects, NTHREADS - 3);
    assert_int_equal(half_opened, 1);
    /* Fail one probe -> reopen with a longer cool-down; the other probes are then stale. */
    rt_breaker_info info;
    int recorded = 0;
    for (int i = 0; i < NTHREADS; i++) {
      if (args[i].g != RT_BREAKER_PROBE)
        continue;
      rt_breaker_transition tr = rt_breaker_record(b, &args[i].t, false, &info);
      assert_int_equal(tr, recorded == 0 ? RT_BREAKER_REOPENED : RT_BREAKER_NONE);
      if (recorded == 0)
        cooldown = info.cooldown_ms;
      recorded++;
    }
    assert_int_equal(rt_breaker_state_get(b), RT_BREAKER_OPEN);
  }
  assert_int_equal(cooldown, 60000);
  rt_breaker_free(b);
}

/* Free-running: threads acquire and record random outcomes while the clock moves. Invariant:
 * no half-open phase (generation) ever issues more than `probes` probe tickets. */
#define GEN_SLOTS (1u << 20)
typedef struct storm {
  rt_breaker *b;
  fake_clock *clk;
  _Atomic uint32_t *per_gen;
  _Atomic int violations;
  _Atomic uint64_t transitions[5];
  _Atomic uint64_t allowed, probed, rejected;
} storm;

typedef struct storm_arg {
  storm *s;
  unsigned seed;
} storm_arg;

static void *storm_thread(void *p)
{
  storm_arg *a = p;
  storm *s = a->s;
  unsigned x = a->seed;
  for (int i = 0; i < 20000; i++) {
    x = x * 1103515245u + 12345u;
    rt_breaker_ticket t;
    rt_breaker_gate g = rt_breaker_acquire(s->b, &t);
    if (t.transition != RT_BREAKER_NONE)
      atomic_fetch_add(&s->transitions[t.transition], 1);
    if (g == RT_BREAKER_REJECT) {
      atomic_fetch_add(&s->rejected, 1);
      advance(s->clk, 1 * MS); /* time passes while callers are turned away */
      continue;
    }
    if (g == RT_BREAKER_PROBE) {
      atomic_fetch_add(&s->probed, 1);
      if (t.generation < GEN_SLOTS && atomic_fetch_add(&s->per_gen[t.generation], 1) + 1 > 3)
        atomic_fetch_add(&s->violations, 1);
    } else {
      atomic_fetch_add(&s->allowed, 1);
    }
    bool ok = ((x >> 16) % 100) >= 45; /* ~45 % failures: trips and recovers repeatedly */
    if (((x >> 8) % 50) == 0) {
      /* Give the count back BEFORE the breaker frees the probe place, so the counter is always
       * an upper bound of the probes outstanding in that phase. */
      if (g == RT_BREAKER_PROBE && t.generation < GEN_SLOTS)
        atomic_fetch_sub(&s->per_gen[t.generation], 1);
      rt_breaker_cancel(s->b, &t);
      continue;
    }
    rt_breaker_transition tr = rt_breaker_record(s->b, &t, ok, NULL);
    atomic_fetch_add(&s->transitions[tr], 1);
  }
  return NULL;
}

static void test_concurrent_storm(void **state)
{
  (void)state;
  fake_clock clk = {0};
  rt_breaker_config c;
  rt_breaker_config_init(&c);
  c.cooldown_ms = 20;
  c.max_cooldown_ms = 80;
  rt_breaker *b = mk(&c, &clk);
  storm s;
  memset(&s, 0, sizeof(s));
  s.b = b;
  s.clk = &clk;
  s.per_gen = calloc(GEN_SLOTS, sizeof(*s.per_gen));
  assert_non_null(s.per_gen);
  pthread_t th[8];
  storm_arg args[8];
  for (int i = 0; i < 8; i++) {
    args[i] = (storm_arg){.s = &s, .seed = 77u + (unsigned)i * 7919u};
    assert_int_equal(pthread_create(&th[i], NULL, storm_thread, &args[i]), 0);
  }
  for (int i = 0; i < 8; i++)
    pthread_join(th[i], NULL);
  assert_int_equal(atomic_load(&s.violations), 0);
  rt_breaker_stats st;
  rt_breaker_stats_get(b, &st);
  uint64_t tripped = atomic_load(&s.transitions[RT_BREAKER_TRIPPED]);
  uint64_t reopened = atomic_load(&s.transitions[RT_BREAKER_REOPENED]);
  uint64_t reset = atomic_load(&s.transitions[RT_BREAKER_RESET]);
  uint64_t half = atomic_load(&s.transitions[RT_BREAKER_HALF_OPENED]);
  assert_true(tripped > 0);
  assert_true(half > 0);
  assert_int_equal(st.trips, tripped + reopened);
  assert_int_equal(st.resets, reset);
  assert_int_equal(st.rejected, atomic_load(&s.rejected));
  /* Every half-open phase ends in a reset or a reopen, except possibly the current one. */
  uint64_t ended = reset + reopened + (st.state == RT_BREAKER_HALF_OPEN ? 1 : 0);
  assert_int_equal(half, ended);
  /* Every trip or reopen leads to a half-open phase, except possibly the current open one. */
  assert_int_equal(tripped + reopened, half + (st.state == RT_BREAKER_OPEN ? 1 : 0));
  print_message("storm: allowed %llu probes %llu rejected %llu trips %llu reopens %llu resets "
                "%llu\n",
                (unsigned long long)atomic_load(&s.allowed),
                (unsigned long long)atomic_load(&s.probed),
                (unsigned long long)atomic_load(&s.rejected), (unsigned long long)tripped,
                (unsigned long long)reopened, (unsigned long long)reset);
  free(s.per_gen);
  rt_breaker_free(b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults_and_validation),
      cmocka_unit_test(test_single_failure_never_trips_at_defaults),
      cmocka_unit_test(test_min_calls_rule),
      cmocka_unit_test(test_threshold_exact),
      cmocka_unit_test(test_window_slides),
      cmocka_unit_test(test_open_rejects_until_cooldown),
      cmocka_unit_test(test_probe_failure_doubles_cooldown_capped),
      cmocka_unit_test(test_failed_probe_makes_others_stale),
      cmocka_unit_test(test_stale_closed_result_ignored),
      cmocka_unit_test(test_cancel_and_double_record),
      cmocka_unit_test(test_clock_reads),
      cmocka_unit_test(test_half_open_probe_limit_concurrent),
      cmocka_unit_test(test_concurrent_storm),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
