/* test_health.c - the health monitor (src/health): recycling by age, failures, memory and
 * grow failures, idle shrink, leased slots untouched, the monitor thread runs and stops.
 * Passes run by hand with a fake clock, so every decision is exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "health/health.h"
#include "pool/pool.h"
#include "support/fake_guest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HTML[] = "<p>hello</p>";

typedef struct fixture {
  pool_fake_guest *f;
  pool_fake_clock_t clk;
  riptide_pool *p;
  pool_rec *r;
} fixture;

static void setup_cfg(riptide_pool_config *c, fixture *x, uint32_t max, uint32_t warm)
{
  riptide_pool_config_init(c);
  c->max_slots = max;
  c->warm_slots = warm;
  c->health_interval_ms = 0;
  c->acquire_wait_ms = 0;
  c->clock = pool_fake_clock;
  c->clock_ctx = &x->clk;
  c->memory_cap_bytes = 16 * 65536; /* 16 pages */
  c->max_slot_age_ms = 1000;
  c->max_slot_failures = 3;
  c->max_slot_memory_pct = 50; /* > 8 pages */
  c->max_grow_failures = 2;
  c->idle_shrink_ms = 5000;
  c->breaker_min_calls = 1000;
  c->breaker_window = 1000;
}

static void start(fixture *x, riptide_pool_config *c)
{
  assert_int_equal(rt_pool_new_with_guest(c, pool_fake_guest_get(x->f), &x->p), RIPTIDE_OK);
  x->r = pool_rec_new();
  riptide_pool_subscribe(x->p, "pool.", RIPTIDE_SEV_TRACE, pool_rec_fn, x->r);
}

static void stop(fixture *x)
{
  riptide_pool_free(x->p);
  pool_fake_counts k;
  pool_fake_guest_counts(x->f, &k);
  assert_int_equal(k.slots_created, k.slots_freed);
  pool_rec_free(x->r);
  pool_fake_guest_free(x->f);
}

static void run(fixture *x, const pool_fake_step *s)
{
  if (s)
    pool_fake_guest_push(x->f, s);
  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(x->p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
  riptide_document_free(d);
}

static uint32_t unhealthy_with(fixture *x, const char *reason)
{
  assert_int_equal(rt_events_flush(x->p->events, 5000), RIPTIDE_OK);
  uint32_t n = 0;
  pool_rec_event e;
  for (uint32_t i = 0; pool_rec_get(x->r, RT_EV_INSTANCE_UNHEALTHY, i, &e); i++)
    if (pool_rec_has(&e, "reason", reason))
      n++;
  return n;
}

static void test_recycle_by_age(void **state)
{
  (void)state;
  fixture x = {.f = pool_fake_guest_new()};
  riptide_pool_config c;
  setup_cfg(&c, &x, 4, 2);
  c.idle_shrink_ms = 0;
  start(&x, &c);
  rt_health_report r;
  pool_fake_clock_advance_ms(&x.clk, 999);
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.checked, 2);
  assert_int_equal(r.healthy, 2);
  assert_int_equal(r.recycled_age, 0);
  assert_int_equal(rt_events_flush(x.p->events, 5000), RIPTIDE_OK);
  assert_int_equal(pool_rec_count(x.r, RT_EV_INSTANCE_HEALTHY), 2);

  pool_fake_clock_advance_ms(&x.clk, 1);
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.recycled_age, 2);
  assert_int_equal(r.refilled, 2);
  riptide_pool_status st;
  riptide_pool_status_get(x.p, &st);
  assert_int_equal(st.idle, 2);
  pool_fake_counts k;
  pool_fake_guest_counts(x.f, &k);
  assert_int_equal(k.slots_created, 4);
  assert_int_equal(k.slots_freed, 2);
  assert_int_equal(unhealthy_with(&x, "age"), 2);
  assert_true(pool_rec_count(x.r, RT_EV_HEALTH_CHECK) == 2);
  pool_rec_event e;
  assert_true(pool_rec_get(x.r, RT_EV_HEALTH_CHECK, 1, &e));
  assert_true(pool_rec_has(&e, "recycled", "2"));
  assert_true(pool_rec_has(&e, "refilled", "2"));

  /* The replacements are young. */
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.recycled_age, 0);
  riptide_metrics m;
  riptide_pool_metrics(x.p, &m);
  assert_int_equal(m.slots_created, 4);
  assert_int_equal(m.slots_destroyed, 2);
  stop(&x);
}

/* A slot discarded on the call path (a timeout) is not replaced there: the next pass brings the
 * pool back to warm_slots with no traffic, so readiness ("a warm instance") recovers alone. */
static void test_refill_to_warm_floor(void **state)
{
  (void)state;
  fixture x = {.f = pool_fake_guest_new()};
  riptide_pool_config c;
  setup_cfg(&c, &x, 2, 1);
  c.idle_shrink_ms = 0;
  c.fallback_enabled = false;
  start(&x, &c);
  riptide_pool_status st;
  riptide_pool_status_get(x.p, &st);
  assert_int_equal(st.idle, 1);
  pool_fake_step timeout = {.kind = POOL_FAKE_TIMEOUT};
  pool_fake_guest_push(x.f, &timeout);
  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(x.p, HTML, strlen(HTML), NULL, NULL, &d),
                   RIPTIDE_ERR_TIMEOUT);
  riptide_pool_status_get(x.p, &st);
  assert_int_equal(st.idle + st.leased, 0); /* the timed-out slot is gone */
  rt_health_report r;
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.recycled_age + r.recycled_failures + r.recycled_memory, 0);
  assert_int_equal(r.refilled, 1);
  riptide_pool_status_get(x.p, &st);
  assert_int_equal(st.idle, 1);
  /* At the floor: the next pass creates nothing. */
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.refilled, 0);
  stop(&x);
}

static void test_recycle_by_failures(void **state)
{
  (void)state;
  fixture x = {.f = pool_fake_guest_new()};
  riptide_pool_config c;
  setup_cfg(&c, &x, 2, 1);
  c.max_slot_age_ms = 0;
  start(&x, &c);
  pool_fake_step trap = {.kind = POOL_FAKE_TRAP, .trap = RIPTIDE_TRAP_OOB};
  run(&x, &trap);
  run(&x, &trap);
  rt_health_report r;
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.recycled_failures, 0); /* 2 < 3 */
  run(&x, &trap);                           /* the same (most recently used) slot */
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.recycled_failures, 1);
  assert_int_equal(r.refilled, 1);
  assert_int_equal(unhealthy_with(&x, "failures"), 1);
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.recycled_failures, 0); /* the replacement starts at 0 failures */
  stop(&x);
}

static void test_recycle_by_memory_and_grow_failures(void **state)
{
  (void)state;
  fixture x = {.f = pool_fake_guest_new()};
  pool_fake_guest_set_reset_shrinks(x.f, false); /* grown memory stays after reset */
  riptide_pool_config c;
  setup_cfg(&c, &x, 2, 1);
  c.max_slot_age_ms = 0;
  c.max_slot_failures = 0;
  start(&x, &c);
  pool_fake_step grow = {.kind = POOL_FAKE_GROW, .grow_pages = 7}; /* 1 + 7 = 8 pages: at 50 % */
  run(&x, &grow);
  rt_health_report r;
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.recycled_memory, 0);
  grow.grow_pages = 1; /* 9 pages > 50 % of 16 */
  run(&x, &grow);
  riptide_metrics m;
  riptide_pool_metrics(x.p, &m);
  assert_int_equal(m.guest_pages, 9);
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.recycled_memory, 1);
  assert_int_equal(unhealthy_with(&x, "memory"), 1);
  riptide_pool_metrics(x.p, &m);
  assert_int_equal(m.guest_pages, 1); /* the replacement */

  /* Grow failures: two refused growths (each also a fallback) -> recycled. */
  pool_fake_step big = {.kind = POOL_FAKE_GROW, .grow_pages = 100};
  run(&x, &big);
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.recycled_grow, 0);
  run(&x, &big);
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.recycled_grow, 1);
  assert_int_equal(unhealthy_with(&x, "grow_failures"), 1);
  riptide_pool_metrics(x.p, &m);
  assert_int_equal(m.grow_failures, 2);
  stop(&x);
}

static void test_leased_untouched_and_idle_shrink(void **state)
{
  (void)state;
  fixture x = {.f = pool_fake_guest_new()};
  riptide_pool_config c;
  setup_cfg(&c, &x, 4, 1);
  c.max_slot_age_ms = 0;
  start(&x, &c);
  rt_lease l[3];
  for (int i = 0; i < 3; i++)
    assert_int_equal(rt_pool_lease(x.p, 0, &l[i]), RIPTIDE_OK);
  rt_slot_stats s;
  x.p->guest->ops->slot_stats(l[0].slot, &s);
  pool_fake_clock_advance_ms(&x.clk, 10000);
  rt_pool_release(x.p, &l[0], RT_RELEASE_KEEP, &s, false);
  rt_pool_release(x.p, &l[1], RT_RELEASE_KEEP, &s, false); /* both used "now" */

  rt_health_report r;
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.checked, 2); /* the leased one is not examined */
  assert_int_equal(r.shrunk, 0);

  pool_fake_clock_advance_ms(&x.clk, 5000);
  rt_pool_health_check(x.p, &r);
  /* 3 live (2 idle + 1 leased), warm 1: both idle ones go, the leased one stays. */
  assert_int_equal(r.shrunk, 2);
  riptide_pool_status st;
  riptide_pool_status_get(x.p, &st);
  assert_int_equal(st.idle, 0);
  assert_int_equal(st.leased, 1);
  rt_pool_release(x.p, &l[2], RT_RELEASE_KEEP, &s, false);
  pool_fake_clock_advance_ms(&x.clk, 5000);
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.shrunk, 0); /* the last one is the warm minimum */
  riptide_pool_status_get(x.p, &st);
  assert_int_equal(st.idle, 1);
  assert_int_equal(unhealthy_with(&x, "idle"), 0); /* shrinking is not "unhealthy" */
  stop(&x);
}

static void test_monitor_thread_runs_and_stops(void **state)
{
  (void)state;
  fixture x = {.f = pool_fake_guest_new()};
  riptide_pool_config c;
  setup_cfg(&c, &x, 2, 2);
  c.health_interval_ms = 5;
  start(&x, &c);
  /* Slots over age are recycled by the thread, with no call from the test. */
  pool_fake_clock_advance_ms(&x.clk, 1000);
  assert_true(pool_rec_wait(x.r, RT_EV_INSTANCE_UNHEALTHY, 2, 10000));
  assert_true(pool_rec_wait(x.r, RT_EV_HEALTH_CHECK, 2, 10000));
  assert_int_equal(riptide_pool_shutdown(x.p, 1000), RIPTIDE_OK);
  /* After shutdown no pass runs: a by-hand pass does nothing either. */
  rt_health_report r;
  rt_pool_health_check(x.p, &r);
  assert_int_equal(r.checked, 0);
  stop(&x);
}

/* ---- the decider alone (pure: records, time, config in; verdicts out) -------------------- */

static void test_decider_is_pure_and_exact(void **state)
{
  (void)state;
  rt_health_config c = {.max_age_ns = 1000,
                        .max_failures = 3,
                        .max_resident_bytes = 100,
                        .max_grow_failures = 2,
                        .idle_shrink_ns = 500,
                        .warm_slots = 2};
  /* Least recently used first. */
  rt_slot_record r[6] = {
      {.idx = 10, .created_ns = 0, .last_used_ns = 100},                        /* age 1000 */
      {.idx = 11, .created_ns = 500, .last_used_ns = 100, .failures = 3},       /* failures */
      {.idx = 12, .created_ns = 500, .last_used_ns = 200, .stats.failures = 4}, /* sandbox's */
      {.idx = 13, .created_ns = 500, .last_used_ns = 300, .stats.resident_bytes = 101},
      {.idx = 14, .created_ns = 500, .last_used_ns = 400, .stats.grow_failures = 2},
      {.idx = 15, .created_ns = 500, .last_used_ns = 900, .stats.resident_bytes = 100},
  };
  rt_health_verdict v[6];
  uint32_t n = rt_health_decide(&c, r, 6, 8, 1000, v);
  assert_int_equal(n, 5);
  const rt_health_reason want[5] = {RT_HEALTH_AGE, RT_HEALTH_FAILURES, RT_HEALTH_FAILURES,
                                    RT_HEALTH_MEMORY, RT_HEALTH_GROW_FAILURES};
  for (uint32_t i = 0; i < 5; i++) {
    assert_int_equal(v[i].pos, i);
    assert_int_equal(v[i].reason, want[i]);
  }
  assert_true(v[3].value == 101);
  /* Shrink: with 3 live and nothing recycled, only the slot idle >= 500 ns goes, and only one
   * (warm 2 stay). */
  rt_slot_record q[3] = {{.created_ns = 900, .last_used_ns = 100},
                         {.created_ns = 900, .last_used_ns = 200},
                         {.created_ns = 900, .last_used_ns = 900}};
  n = rt_health_decide(&c, q, 3, 3, 1000, v);
  assert_int_equal(n, 1);
  assert_int_equal(v[0].pos, 0);
  assert_int_equal(v[0].reason, RT_HEALTH_IDLE);
  assert_string_equal(rt_health_reason_name(v[0].reason), "idle");
  /* Limits of 0 disable their checks; memory UINT64_MAX too. */
  rt_health_config off = {.max_resident_bytes = UINT64_MAX};
  assert_int_equal(rt_health_decide(&off, r, 6, 8, 1000, v), 0);
}

/* ---- the real sandbox -------------------------------------------------------------------- */

static const char *choose_touch(void *ctx, uint64_t call_no)
{
  (void)call_no;
  return *(const char **)ctx;
}

/* With the real sandbox the page count is back to the image after every reset, so a memory
 * check on it never fires; on the resident memory the sandbox measures, it does. */
static void test_real_sandbox_recycles_by_memory(void **state)
{
  (void)state;
  const rt_guest *h = pool_real_hostile_guest();
  if (!h)
    skip();
  const char *what = "touch\nmib=6";
  pool_proxy_guest *px = pool_proxy_guest_new(h, choose_touch, &what);
  pool_fake_clock_t clk = {0};
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  c.max_slots = 1;
  c.warm_slots = 1;
  c.health_interval_ms = 0;
  c.clock = pool_fake_clock;
  c.clock_ctx = &clk;
  c.memory_cap_bytes = 16u << 20;
  c.max_slot_memory_pct = 25; /* 4 MiB */
  c.max_slot_age_ms = 0;
  c.idle_shrink_ms = 0;
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_proxy_guest_get(px), &p), RIPTIDE_OK);
  pool_rec *rec = pool_rec_new();
  riptide_pool_subscribe(p, RT_EV_INSTANCE_UNHEALTHY, RIPTIDE_SEV_TRACE, pool_rec_fn, rec);
  riptide_pool_subscribe(p, RT_EV_INSTANCE_RELEASED, RIPTIDE_SEV_TRACE, pool_rec_fn, rec);
  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
  assert_string_equal(d->engine, "wasm");
  riptide_document_free(d);
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  print_message("after a 6 MiB call: guest_pages %llu (%llu KiB), resident %llu KiB, peak call "
                "%llu KiB\n",
                (unsigned long long)m.guest_pages, (unsigned long long)m.guest_pages * 64,
                (unsigned long long)m.guest_resident_bytes >> 10,
                (unsigned long long)m.guest_peak_call_bytes >> 10);
  assert_true(m.guest_resident_bytes >= 6u << 20);
  assert_true(m.guest_peak_call_bytes >= 6u << 20);
  rt_health_report r;
  rt_pool_health_check(p, &r);
  assert_int_equal(r.recycled_memory, 1);
  assert_int_equal(r.refilled, 1);
  assert_int_equal(rt_events_flush(p->events, 5000), RIPTIDE_OK);
  pool_rec_event e;
  assert_true(pool_rec_get(rec, RT_EV_INSTANCE_UNHEALTHY, 0, &e));
  assert_true(pool_rec_has(&e, "reason", "memory"));
  char want[64];
  snprintf(want, sizeof want, "%llu", (unsigned long long)m.guest_resident_bytes);
  assert_true(pool_rec_has(&e, "value", want));
  /* Per slot, the release event carries the slot's figures. */
  assert_true(pool_rec_get(rec, RT_EV_INSTANCE_RELEASED, 0, &e));
  assert_true(pool_rec_has(&e, "resident_bytes", want));
  riptide_pool_metrics(p, &m);
  assert_true(m.guest_resident_bytes < 1u << 20); /* the replacement holds next to nothing */
  /* A 1 MiB call stays under the limit: kept. */
  what = "touch\nmib=1";
  assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
  riptide_document_free(d);
  rt_pool_health_check(p, &r);
  assert_int_equal(r.recycled_memory, 0);
  assert_int_equal(r.healthy, 1);
  riptide_pool_free(p);
  pool_rec_free(rec);
  pool_proxy_guest_free(px);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_recycle_by_age),
      cmocka_unit_test(test_refill_to_warm_floor),
      cmocka_unit_test(test_recycle_by_failures),
      cmocka_unit_test(test_recycle_by_memory_and_grow_failures),
      cmocka_unit_test(test_leased_untouched_and_idle_shrink),
      cmocka_unit_test(test_monitor_thread_runs_and_stops),
      cmocka_unit_test(test_decider_is_pure_and_exact),
      cmocka_unit_test(test_real_sandbox_recycles_by_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
