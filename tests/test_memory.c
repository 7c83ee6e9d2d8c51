/* test_memory.c - the global memory budget (src/memory): usage from real per-slot page
 * counts, cleanup of the largest idle slots above the threshold, the memory_cleanup event,
 * recreation on demand, leased slots untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "memory/memory.h"
#include "pool/pool.h"
#include "support/fake_guest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 65536ull

/* max 4 slots x 16 pages = budget 64 pages; cleanup at 50 % = 32 pages. */
static riptide_pool *mk_budget(pool_fake_guest *f, uint64_t budget)
{
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  c.max_slots = 4;
  c.warm_slots = 0;
  c.health_interval_ms = 0;
  c.acquire_wait_ms = 0;
  c.memory_cap_bytes = 16 * PAGE;
  c.memory_cleanup_pct = 50;
  c.memory_budget_bytes = budget;
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  return p;
}

static riptide_pool *mk(pool_fake_guest *f)
{
  return mk_budget(f, 0);
}

/* Leases n entries, grows each by pages[i] through the guest, releases them in order. */
static void grow_slots(riptide_pool *p, pool_fake_guest *f, uint32_t n, const uint32_t *pages)
{
  rt_lease l[4];
  for (uint32_t i = 0; i < n; i++)
    assert_int_equal(rt_pool_lease(p, 0, &l[i]), RIPTIDE_OK);
  for (uint32_t i = 0; i < n; i++) {
    pool_fake_step g = {.kind = POOL_FAKE_GROW, .grow_pages = pages[i]};
    pool_fake_guest_push(f, &g);
    rt_extract_args a = {.html = "x", .html_len = 1};
    rt_call_result res;
    p->guest->ops->call_extract(l[i].slot, &a, &res);
    assert_int_equal(res.err, RIPTIDE_OK);
    free(res.data);
    assert_int_equal(p->guest->ops->slot_reset(l[i].slot), RIPTIDE_OK);
  }
  for (uint32_t i = 0; i < n; i++) {
    rt_slot_stats s;
    p->guest->ops->slot_stats(l[i].slot, &s);
    rt_pool_release(p, &l[i], RT_RELEASE_KEEP, &s, false);
  }
}

static void test_usage_is_real_page_count(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  pool_fake_guest_set_reset_shrinks(f, false);
  riptide_pool *p = mk(f);
  assert_true(rt_pool_memory_usage(p) == 0);
  const uint32_t pages[2] = {3, 5};
  grow_slots(p, f, 2, pages);
  assert_true(rt_pool_memory_usage(p) == (4 + 6) * PAGE);
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  assert_int_equal(m.guest_pages, 10);
  /* Under the threshold: nothing happens. */
  rt_memory_report r;
  assert_int_equal(rt_pool_memory_cleanup(p, &r), 0);
  assert_true(r.usage_before == 10 * PAGE);
  assert_true(r.budget_bytes == 64 * PAGE);
  assert_true(r.threshold_bytes == 32 * PAGE);
  riptide_pool_free(p);
  pool_fake_guest_free(f);
}

static void test_cleanup_largest_idle_and_refill(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  pool_fake_guest_set_reset_shrinks(f, false);
  riptide_pool *p = mk(f);
  pool_rec *rec = pool_rec_new();
  riptide_pool_subscribe(p, "pool.memory_cleanup", RIPTIDE_SEV_TRACE, pool_rec_fn, rec);

  /* 3 slots of 6, 15 and 12 pages = 33 > 32: releasing the last triggers the cleanup,
   * which frees the largest idle slot (15 pages) only. */
  const uint32_t pages[3] = {5, 14, 11};
  grow_slots(p, f, 3, pages);
  riptide_pool_status st;
  riptide_pool_status_get(p, &st);
  assert_int_equal(st.idle, 2);
  assert_true(rt_pool_memory_usage(p) == 18 * PAGE);

  assert_true(pool_rec_wait(rec, RT_EV_MEMORY_CLEANUP, 1, 10000));
  pool_rec_event e;
  assert_true(pool_rec_get(rec, RT_EV_MEMORY_CLEANUP, 0, &e));
  char b[32];
  snprintf(b, sizeof b, "%llu", 15 * PAGE);
  assert_true(pool_rec_has(&e, "freed_bytes", b));
  assert_true(pool_rec_has(&e, "slots_cleared", "1"));
  snprintf(b, sizeof b, "%llu", 33 * PAGE);
  assert_true(pool_rec_has(&e, "usage_before", b));
  snprintf(b, sizeof b, "%llu", 18 * PAGE);
  assert_true(pool_rec_has(&e, "usage_after", b));

  /* Recreated on demand: four leases now need one new slot (+1 for the 4th empty entry). */
  pool_fake_counts k0, k1;
  pool_fake_guest_counts(f, &k0);
  rt_lease l[4];
  for (int i = 0; i < 4; i++)
    assert_int_equal(rt_pool_lease(p, 0, &l[i]), RIPTIDE_OK);
  pool_fake_guest_counts(f, &k1);
  assert_int_equal(k1.slots_created, k0.slots_created + 2);
  for (int i = 0; i < 4; i++) {
    rt_slot_stats s;
    p->guest->ops->slot_stats(l[i].slot, &s);
    rt_pool_release(p, &l[i], RT_RELEASE_KEEP, &s, false);
  }
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  assert_int_equal(m.guest_pages, 20);
  assert_int_equal(m.slots_destroyed, 1);
  riptide_pool_free(p);
  pool_rec_free(rec);
  pool_fake_guest_free(f);
}

static void test_leased_slots_never_cleared(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  pool_fake_guest_set_reset_shrinks(f, false);
  riptide_pool *p = mk(f);
  const uint32_t pages[3] = {15, 15, 1}; /* 16 + 16 + 2 = 34 > 32 */
  grow_slots(p, f, 3, pages);
  /* The cleanup freed one 16-page slot: 18 left. Lease the other big one and push usage
   * over again with a leased slot: only idle slots may go. */
  assert_true(rt_pool_memory_usage(p) == 18 * PAGE);
  rt_lease big;
  assert_int_equal(rt_pool_lease(p, 0, &big), RIPTIDE_OK); /* MRU: the 2-page one */
  rt_lease big2;
  assert_int_equal(rt_pool_lease(p, 0, &big2), RIPTIDE_OK); /* the 16-page one */
  rt_slot_stats s;
  p->guest->ops->slot_stats(big2.slot, &s);
  assert_int_equal(s.pages, 16);
  rt_lease l3;
  assert_int_equal(rt_pool_lease(p, 0, &l3), RIPTIDE_OK); /* new, 1 page */
  pool_fake_step g = {.kind = POOL_FAKE_GROW, .grow_pages = 15};
  pool_fake_guest_push(f, &g);
  rt_extract_args a = {.html = "x", .html_len = 1};
  rt_call_result res;
  p->guest->ops->call_extract(l3.slot, &a, &res);
  free(res.data);
  p->guest->ops->slot_stats(l3.slot, &s);
  rt_pool_release(p, &l3, RT_RELEASE_KEEP, &s, false); /* 2 + 16 + 16 = 34: over */
  /* The only idle slot is l3's (16 pages): it goes; the leased 16-page one stays. */
  riptide_pool_status st;
  riptide_pool_status_get(p, &st);
  assert_int_equal(st.idle, 0);
  assert_int_equal(st.leased, 2);
  assert_true(rt_pool_memory_usage(p) == 18 * PAGE);
  p->guest->ops->slot_stats(big.slot, &s);
  rt_pool_release(p, &big, RT_RELEASE_KEEP, &s, false);
  p->guest->ops->slot_stats(big2.slot, &s);
  rt_pool_release(p, &big2, RT_RELEASE_KEEP, &s, false);
  riptide_pool_free(p);
  pool_fake_counts k;
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.slots_created, k.slots_freed);
  pool_fake_guest_free(f);
}

static void test_pressure_through_extract(void **state)
{
  (void)state;
  /* Sequential documents that each leave memory grown: the pool keeps usage bounded by
   * clearing idle slots and keeps serving. */
  pool_fake_guest *f = pool_fake_guest_new();
  pool_fake_guest_set_reset_shrinks(f, false);
  riptide_pool *p = mk_budget(f, 16 * PAGE); /* threshold 8 pages */
  pool_rec *rec = pool_rec_new();
  riptide_pool_subscribe(p, "pool.memory_cleanup", RIPTIDE_SEV_TRACE, pool_rec_fn, rec);
  pool_fake_step g = {.kind = POOL_FAKE_GROW, .grow_pages = 5};
  for (int i = 0; i < 40; i++) {
    pool_fake_guest_push(f, &g);
    riptide_document *d = NULL;
    assert_int_equal(riptide_pool_extract(p, "<p>x</p>", 8, NULL, NULL, &d), RIPTIDE_OK);
    riptide_document_free(d);
    assert_true(rt_pool_memory_usage(p) <= 8 * PAGE);
  }
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  assert_int_equal(m.extractions_total, 40);
  assert_true(m.slots_destroyed > 0);
  assert_int_equal(rt_events_flush(p->events, 5000), RIPTIDE_OK);
  assert_true(pool_rec_count(rec, RT_EV_MEMORY_CLEANUP) > 0);
  riptide_pool_free(p);
  pool_rec_free(rec);
  pool_fake_guest_free(f);
}

/* ---- the decider alone ------------------------------------------------------------------- */

static void test_decider_largest_first(void **state)
{
  (void)state;
  rt_slot_record r[4] = {{.idx = 0, .stats.resident_bytes = 30},
                         {.idx = 1, .stats.resident_bytes = 50},
                         {.idx = 2, .stats.resident_bytes = 0},
                         {.idx = 3, .stats.resident_bytes = 40}};
  uint32_t out[4];
  uint64_t freed = 0;
  assert_int_equal(rt_memory_decide(100, 100, r, 4, out, &freed), 0); /* not over */
  assert_int_equal(rt_memory_decide(120, 75, r, 4, out, &freed), 1);  /* 120 - 50 <= 75 */
  assert_int_equal(out[0], 1);
  assert_true(freed == 50);
  assert_int_equal(rt_memory_decide(200, 10, r, 4, out, &freed), 3); /* never the empty one */
  assert_int_equal(out[0], 1);
  assert_int_equal(out[1], 3);
  assert_int_equal(out[2], 0);
  assert_true(freed == 120);
  assert_true(rt_memory_threshold(1000, 80) == 800);
  assert_true(rt_memory_threshold(UINT64_MAX, 100) == UINT64_MAX);
}

/* ---- the real sandbox -------------------------------------------------------------------- */

static const char *choose_touch6(void *ctx, uint64_t call_no)
{
  (void)ctx;
  (void)call_no;
  return "touch\nmib=6";
}

/* The real sandbox gives the page count back to the image at each reset: usage measured in
 * pages stays at a constant and the cleanup never runs. Measured as resident memory, two
 * slots that each keep 6 MiB are over a 8 MiB threshold, and the larger is cleared. */
static void test_real_sandbox_cleanup(void **state)
{
  (void)state;
  const rt_guest *h = pool_real_hostile_guest();
  if (!h)
    skip();
  pool_proxy_guest *px = pool_proxy_guest_new(h, choose_touch6, NULL);
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  c.max_slots = 2;
  c.warm_slots = 0;
  c.health_interval_ms = 0;
  c.acquire_wait_ms = 0;
  c.memory_cap_bytes = 32u << 20;
  c.memory_budget_bytes = 16u << 20;
  c.memory_cleanup_pct = 50; /* 8 MiB */
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_proxy_guest_get(px), &p), RIPTIDE_OK);
  pool_rec *rec = pool_rec_new();
  riptide_pool_subscribe(p, "pool.memory_cleanup", RIPTIDE_SEV_TRACE, pool_rec_fn, rec);
  rt_lease l[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(rt_pool_lease(p, 0, &l[i]), RIPTIDE_OK);
  rt_slot_stats s[2];
  for (int i = 0; i < 2; i++) {
    rt_extract_args a = {.html = "x", .html_len = 1};
    rt_call_result res;
    p->guest->ops->call_extract(l[i].slot, &a, &res);
    assert_int_equal(res.err, RIPTIDE_OK);
    free(res.data);
    assert_int_equal(p->guest->ops->slot_reset(l[i].slot), RIPTIDE_OK);
    p->guest->ops->slot_stats(l[i].slot, &s[i]);
    print_message("slot %d after a 6 MiB call and reset: pages %u (%llu KiB), resident %llu KiB\n",
                  i, s[i].pages, (unsigned long long)s[i].pages * 64,
                  (unsigned long long)s[i].resident_bytes >> 10);
    assert_true(s[i].resident_bytes >= 6u << 20);
  }
  rt_pool_release(p, &l[0], RT_RELEASE_KEEP, &s[0], false);
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  assert_int_equal(m.slots_destroyed, 0); /* 6 MiB: under the threshold, nothing cleared */
  rt_pool_release(p, &l[1], RT_RELEASE_KEEP, &s[1], false);
  riptide_pool_metrics(p, &m);
  assert_int_equal(m.slots_destroyed, 1);
  assert_true(pool_rec_wait(rec, RT_EV_MEMORY_CLEANUP, 1, 10000));
  assert_true(rt_pool_memory_usage(p) <= 8u << 20);
  assert_true(m.guest_resident_bytes == rt_pool_memory_usage(p));
  riptide_pool_status st;
  riptide_pool_status_get(p, &st);
  assert_true(st.resident_bytes == m.guest_resident_bytes);
  assert_true(st.peak_call_bytes >= 6u << 20);
  assert_int_equal(st.idle, 1);
  /* Through riptide_pool_extract, one slot: each release is over a 4 MiB threshold, so the
   * slot is cleared every time and usage never stays above it. */
  riptide_pool_free(p);
  c.max_slots = 1;
  c.memory_budget_bytes = 8u << 20;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_proxy_guest_get(px), &p), RIPTIDE_OK);
  for (int i = 0; i < 3; i++) {
    riptide_document *d = NULL;
    assert_int_equal(riptide_pool_extract(p, "<p>x</p>", 8, NULL, NULL, &d), RIPTIDE_OK);
    assert_string_equal(d->engine, "wasm");
    riptide_document_free(d);
    assert_true(rt_pool_memory_usage(p) <= 4u << 20);
  }
  riptide_pool_metrics(p, &m);
  assert_int_equal(m.slots_destroyed, 3);
  riptide_pool_free(p);
  pool_rec_free(rec);
  pool_proxy_guest_free(px);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_usage_is_real_page_count),
      cmocka_unit_test(test_cleanup_largest_idle_and_refill),
      cmocka_unit_test(test_leased_slots_never_cleared),
      cmocka_unit_test(test_pressure_through_extract),
      cmocka_unit_test(test_decider_largest_first),
      cmocka_unit_test(test_real_sandbox_cleanup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
