/*
 * test_metrics.c - exact counters, histogram buckets and quantiles, Prometheus exposition, and
 * snapshot consistency while many threads record.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "metrics/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rt_metrics *mk(void)
{
  rt_metrics *m = NULL;
  assert_int_equal(rt_metrics_new(&m), RIPTIDE_OK);
  assert_non_null(m);
  return m;
}

static uint64_t bucket_sum(const riptide_histogram *h)
{
  uint64_t s = 0;
  for (int i = 0; i < RIPTIDE_HIST_BUCKETS; i++)
    s += h->buckets[i];
  return s;
}

static void test_bucket_bounds(void **state)
{
  (void)state;
  assert_int_equal(riptide_histogram_bound_ns(0), 1000);
  assert_int_equal(riptide_histogram_bound_ns(1), 2000);
  assert_int_equal(riptide_histogram_bound_ns(10), 1024000);
  assert_int_equal(riptide_histogram_bound_ns(22), 1000ull << 22);
  assert_true(riptide_histogram_bound_ns(23) == UINT64_MAX);
  assert_true(riptide_histogram_bound_ns(99) == UINT64_MAX);
  assert_int_equal(riptide_histogram_bound_ns(-1), 0);

  assert_int_equal(rt_histogram_bucket(0), 0);
  assert_int_equal(rt_histogram_bucket(999), 0);
  assert_int_equal(rt_histogram_bucket(1000), 1);
  assert_int_equal(rt_histogram_bucket(1999), 1);
  assert_int_equal(rt_histogram_bucket(2000), 2);
  assert_int_equal(rt_histogram_bucket((1000ull << 22) - 1), 22);
  assert_int_equal(rt_histogram_bucket(1000ull << 22), 23);
  assert_int_equal(rt_histogram_bucket(UINT64_MAX), 23);
  /* Property over many values: bucket i holds exactly [bound(i-1), bound(i)). */
  uint64_t v = 1;
  for (int k = 0; k < 2000; k++) {
    int i = rt_histogram_bucket(v);
    assert_true(v < riptide_histogram_bound_ns(i));
    if (i > 0)
      assert_true(v >= riptide_histogram_bound_ns(i - 1));
    v = v + v / 64 + 1;
    if (v > (1ull << 50))
      break;
  }
}

static void test_quantiles(void **state)
{
  (void)state;
  riptide_histogram h;
  memset(&h, 0, sizeof(h));
  assert_int_equal(riptide_histogram_quantile(&h, 0.5), 0);
  assert_int_equal(riptide_histogram_quantile(NULL, 0.5), 0);

  for (int i = 0; i < 100; i++)
    rt_histogram_add(&h, 5000); /* bucket 3: [4000, 8000) */
  assert_int_equal(h.count, 100);
  assert_int_equal(h.sum_ns, 500000);
  assert_int_equal(h.buckets[3], 100);
  assert_int_equal(riptide_histogram_quantile(&h, 0.5), 6000);
  assert_int_equal(riptide_histogram_quantile(&h, 0.0), 4000);
  assert_int_equal(riptide_histogram_quantile(&h, 1.0), 8000);
  assert_int_equal(riptide_histogram_quantile(&h, -3.0), 4000); /* clamped */
  assert_int_equal(riptide_histogram_quantile(&h, 7.0), 8000);

  memset(&h, 0, sizeof(h));
  for (int i = 0; i < 90; i++)
    rt_histogram_add(&h, 500); /* bucket 0 */
  for (int i = 0; i < 10; i++)
    rt_histogram_add(&h, 3000000000ull); /* 3 s: bucket 22 */
  assert_int_equal(h.buckets[0], 90);
  assert_int_equal(h.buckets[22], 10);
  assert_int_equal(riptide_histogram_quantile(&h, 0.45), 500); /* 1000 * 45/90 */
  uint64_t lo = 1000ull << 21, hi = 1000ull << 22;
  uint64_t p99 = riptide_histogram_quantile(&h, 0.99);
  assert_true(p99 >= lo + (hi - lo) * 9 / 10 - 1 && p99 <= lo + (hi - lo) * 9 / 10 + 1);
  /* The quantile is an estimate within the bucket holding the true value. */
  assert_true(p99 >= lo && p99 <= hi);

  rt_histogram_add(&h, 10000000000ull); /* 10 s: +Inf bucket */
  assert_int_equal(h.buckets[23], 1);
  assert_int_equal(riptide_histogram_quantile(&h, 1.0), hi); /* lower bound of +Inf */
}

static void test_record_extraction_exact(void **state)
{
  (void)state;
  rt_metrics *mt = mk();
  rt_extraction_outcome o;

  /* 3 wasm successes. */
  for (int i = 0; i < 3; i++) {
    rt_extraction_outcome_init(&o);
    o.waited = true;
    o.wait_ns = 1500;
    o.extracted = true;
    o.extract_ns = 3000000;
    rt_metrics_record_extraction(mt, &o);
  }
  /* Trap -> native fallback, succeeded. */
  rt_extraction_outcome_init(&o);
  o.native = true;
  o.fallback = true;
  o.fb_reason = RIPTIDE_FB_TRAP;
  o.guest_error = RIPTIDE_ERR_TRAP;
  o.trap = RIPTIDE_TRAP_OOB;
  o.extracted = true;
  o.extract_ns = 100;
  rt_metrics_record_extraction(mt, &o);
  /* Timeout -> fallback. */
  rt_extraction_outcome_init(&o);
  o.native = true;
  o.fallback = true;
  o.fb_reason = RIPTIDE_FB_TIMEOUT;
  o.guest_error = RIPTIDE_ERR_TIMEOUT;
  rt_metrics_record_extraction(mt, &o);
  /* Pool exhausted -> error (no fallback). */
  rt_extraction_outcome_init(&o);
  o.err = RIPTIDE_ERR_POOL_EXHAUSTED;
  o.waited = true;
  o.wait_ns = 30000000000ull;
  rt_metrics_record_extraction(mt, &o);
  /* Pool exhausted -> fallback. */
  rt_extraction_outcome_init(&o);
  o.native = true;
  o.fallback = true;
  o.fb_reason = RIPTIDE_FB_POOL_EXHAUSTED;
  rt_metrics_record_extraction(mt, &o);
  /* Circuit open; the fallback itself fails. */
  rt_extraction_outcome_init(&o);
  o.err = RIPTIDE_ERR_FALLBACK_FAILED;
  o.fallback = true;
  o.fb_reason = RIPTIDE_FB_CIRCUIT_OPEN;
  rt_metrics_record_extraction(mt, &o);
  /* Normalisation: unknown reason -> guest_error, fallback without `native` counts native,
   * trap without a kind counts as "other". */
  rt_extraction_outcome_init(&o);
  o.fallback = true;
  o.fb_reason = (riptide_fallback_reason)99;
  o.guest_error = RIPTIDE_ERR_TRAP;
  o.trap = RIPTIDE_TRAP_NONE;
  rt_metrics_record_extraction(mt, &o);
  /* Bad input: plain failure. */
  rt_extraction_outcome_init(&o);
  o.err = RIPTIDE_ERR_BAD_INPUT;
  rt_metrics_record_extraction(mt, &o);

  riptide_metrics m;
  rt_metrics_snapshot(mt, &m);
  assert_int_equal(m.extractions_total, 10);
  assert_int_equal(m.extractions_succeeded, 7);
  assert_int_equal(m.extractions_failed, 3);
  assert_int_equal(m.succeeded_wasm, 3);
  assert_int_equal(m.succeeded_native, 4);
  assert_int_equal(m.fallbacks, 5);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_TRAP], 1);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_TIMEOUT], 1);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_POOL_EXHAUSTED], 1);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_CIRCUIT_OPEN], 1);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_GUEST_ERROR], 1);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_MEMORY_LIMIT], 0);
  assert_int_equal(m.traps_by_kind[RIPTIDE_TRAP_OOB], 1);
  assert_int_equal(m.traps_by_kind[RIPTIDE_TRAP_OTHER], 1);
  assert_int_equal(m.traps_by_kind[RIPTIDE_TRAP_NONE], 0);
  assert_int_equal(m.timeouts, 1);
  assert_int_equal(m.pool_exhausted, 2);
  assert_int_equal(m.permit_wait.count, 4);
  assert_int_equal(m.permit_wait.sum_ns, 3 * 1500 + 30000000000ull);
  assert_int_equal(m.permit_wait.buckets[1], 3);
  assert_int_equal(m.permit_wait.buckets[23], 1); /* 30 s > 4.19 s */
  assert_int_equal(m.extract_duration.count, 4);
  assert_int_equal(m.extract_duration.sum_ns, 9000100);
  assert_int_equal(m.extract_duration.buckets[0], 1);
  assert_int_equal(m.extract_duration.buckets[12], 3); /* 3 ms: [2.048, 4.096) ms */

  /* Direct histogram observations. */
  rt_metrics_observe_wait(mt, 10);
  rt_metrics_observe_extract(mt, 20);
  rt_metrics_snapshot(mt, &m);
  assert_int_equal(m.permit_wait.count, 5);
  assert_int_equal(m.extract_duration.count, 5);
  rt_metrics_free(mt);
  rt_metrics_free(NULL);
}

static void test_gauges_and_counters(void **state)
{
  (void)state;
  rt_metrics *mt = mk();
  riptide_metrics m;
  rt_metrics_slot_created(mt);
  rt_metrics_slot_created(mt);
  rt_metrics_slot_leased(mt);
  rt_metrics_in_flight_add(mt, 1);
  rt_metrics_snapshot(mt, &m);
  assert_int_equal(m.slots_created, 2);
  assert_int_equal(m.slots_idle, 1);
  assert_int_equal(m.slots_leased, 1);
  assert_int_equal(m.in_flight, 1);
  rt_metrics_in_flight_add(mt, -1);
  rt_metrics_in_flight_add(mt, -5); /* saturates */
  rt_metrics_slot_returned(mt);
  rt_metrics_slot_destroyed(mt);
  rt_metrics_slot_destroyed(mt);
  rt_metrics_slot_destroyed(mt); /* more than created: idle saturates at 0 */
  rt_metrics_snapshot(mt, &m);
  assert_int_equal(m.in_flight, 0);
  assert_int_equal(m.slots_leased, 0);
  assert_int_equal(m.slots_idle, 0);
  assert_int_equal(m.slots_destroyed, 3);

  rt_metrics_set_guest_pages(mt, 100);
  rt_metrics_add_guest_pages(mt, 28);
  rt_metrics_add_guest_pages(mt, -8);
  rt_metrics_snapshot(mt, &m);
  assert_int_equal(m.guest_pages, 120);
  rt_metrics_add_guest_pages(mt, INT64_MIN);
  rt_metrics_snapshot(mt, &m);
  assert_int_equal(m.guest_pages, 0);

  rt_metrics_add_grow_failures(mt, 4);
  rt_metrics_record_breaker(mt, 1, true);
  rt_metrics_record_breaker(mt, 2, false);
  rt_metrics_record_breaker(mt, 1, true);
  rt_metrics_set_events(mt, 50, 3);
  rt_metrics_snapshot(mt, &m);
  assert_int_equal(m.grow_failures, 4);
  assert_int_equal(m.breaker_state, 1);
  assert_int_equal(m.breaker_trips, 2);
  assert_int_equal(m.events_emitted, 50);
  assert_int_equal(m.events_dropped, 3);
  rt_metrics_free(mt);
}

/* Returns the value of the sample line starting with `prefix ` (name + labels), or -1. */
static double prom_value(const char *text, const char *prefix)
{
  size_t pl = strlen(prefix);
  const char *p = text;
  while (p && *p) {
    if (strncmp(p, prefix, pl) == 0 && p[pl] == ' ')
      return strtod(p + pl + 1, NULL);
    p = strchr(p, '\n');
    if (p)
      p++;
  }
  return -1;
}

static void test_prometheus(void **state)
{
  (void)state;
  rt_metrics *mt = mk();
  rt_extraction_outcome o;
  for (int i = 0; i < 5; i++) {
    rt_extraction_outcome_init(&o);
    o.waited = true;
    o.wait_ns = 1500; /* bucket 1 (< 2 us) */
    o.extracted = true;
    o.extract_ns = 3000000;
    rt_metrics_record_extraction(mt, &o);
  }
  rt_extraction_outcome_init(&o);
  o.fallback = true;
  o.native = true;
  o.fb_reason = RIPTIDE_FB_MEMORY_LIMIT;
  o.guest_error = RIPTIDE_ERR_MEMORY_LIMIT;
  rt_metrics_record_extraction(mt, &o);
  rt_extraction_outcome_init(&o);
  o.err = RIPTIDE_ERR_BAD_INPUT;
  o.guest_error = RIPTIDE_ERR_TRAP;
  o.trap = RIPTIDE_TRAP_STACK_EXHAUSTION;
  rt_metrics_record_extraction(mt, &o);
  rt_metrics_set_events(mt, 9, 2);
  rt_metrics_record_breaker(mt, 2, true);
  riptide_metrics m;
  rt_metrics_snapshot(mt, &m);
  m.slots_idle = 3; /* the pool may overwrite its gauges */
  char *txt = riptide_metrics_to_prometheus(&m);
  assert_non_null(txt);

  /* Structure: every sample's family has HELP and TYPE lines before it. */
  char families[64][96];
  int nfam = 0;
  const char *line = txt;
  int samples = 0;
  while (*line) {
    const char *end = strchr(line, '\n');
    assert_non_null(end); /* every line ends with \n */
    size_t len = (size_t)(end - line);
    assert_true(len > 0 && len < 200);
    if (strncmp(line, "# HELP ", 7) == 0) {
      const char *type_line = end + 1;
      assert_int_equal(strncmp(type_line, "# TYPE ", 7), 0);
      size_t nl = strcspn(line + 7, " ");
      assert_true(nl < 96 && nfam < 64);
      memcpy(families[nfam], line + 7, nl);
      families[nfam][nl] = '\0';
      assert_int_equal(strncmp(type_line + 7, families[nfam], nl), 0);
      nfam++;
    } else if (line[0] != '#') {
      samples++;
      bool known = false;
      for (int f = 0; f < nfam; f++) {
        size_t fl = strlen(families[f]);
        if (strncmp(line, families[f], fl) == 0 &&
            (line[fl] == ' ' || line[fl] == '{' || line[fl] == '_'))
          known = true;
      }
      assert_true(known);
    }
    line = end + 1;
  }
  assert_true(samples > 50);

  assert_true(prom_value(txt, "riptide_extractions_total{engine=\"wasm\",outcome=\"succeeded\"}") ==
              5);
  assert_true(
      prom_value(txt, "riptide_extractions_total{engine=\"native\",outcome=\"succeeded\"}") == 1);
  assert_true(prom_value(txt, "riptide_extractions_total{engine=\"none\",outcome=\"failed\"}") ==
              1);
  assert_true(prom_value(txt, "riptide_fallbacks_total{reason=\"memory_limit\"}") == 1);
  assert_true(prom_value(txt, "riptide_fallbacks_total{reason=\"trap\"}") == 0);
  assert_true(prom_value(txt, "riptide_traps_total{kind=\"stack_exhaustion\"}") == 1);
  assert_true(prom_value(txt, "riptide_events_dropped_total") == 2);
  assert_true(prom_value(txt, "riptide_events_emitted_total") == 9);
  assert_true(prom_value(txt, "riptide_breaker_state") == 2);
  assert_true(prom_value(txt, "riptide_breaker_trips_total") == 1);
  assert_true(prom_value(txt, "riptide_slots{state=\"idle\"}") == 3);
  /* Histogram: cumulative buckets, +Inf = _count, _sum in seconds. */
  assert_true(prom_value(txt, "riptide_permit_wait_seconds_bucket{le=\"1e-06\"}") == 0);
  assert_true(prom_value(txt, "riptide_permit_wait_seconds_bucket{le=\"2e-06\"}") == 5);
  assert_true(prom_value(txt, "riptide_permit_wait_seconds_bucket{le=\"4e-06\"}") == 5);
  assert_true(prom_value(txt, "riptide_permit_wait_seconds_bucket{le=\"+Inf\"}") == 5);
  assert_true(prom_value(txt, "riptide_permit_wait_seconds_count") == 5);
  double sum = prom_value(txt, "riptide_permit_wait_seconds_sum");
  assert_true(sum > 0.0000074999 && sum < 0.0000075001);
  assert_true(prom_value(txt, "riptide_extract_duration_seconds_bucket{le=\"4.194304\"}") == 5);
  assert_true(prom_value(txt, "riptide_extract_duration_seconds_bucket{le=\"0.002048\"}") == 0);
  assert_true(prom_value(txt, "riptide_extract_duration_seconds_bucket{le=\"0.004096\"}") == 5);
  double prev = -1;
  const char *p = txt;
  int nb = 0;
  while ((p = strstr(p, "riptide_extract_duration_seconds_bucket{le=")) != NULL) {
    const char *sp = strchr(p, ' ');
    double v = strtod(sp + 1, NULL);
    assert_true(v >= prev);
    prev = v;
    nb++;
    p = sp;
  }
  assert_int_equal(nb, RIPTIDE_HIST_BUCKETS);
  free(txt);
  assert_null(riptide_metrics_to_prometheus(NULL));
  rt_metrics_free(mt);
}

/* ---- concurrent recording: every snapshot adds up ---------------------------------------- */

#define REC_THREADS 8
#define REC_PER_THREAD 20000

typedef struct tally {
  uint64_t total, succeeded, failed, wasm, native, fallbacks, by_reason[RIPTIDE_FB_COUNT_],
      timeouts, traps, exhausted, waits, extracts;
} tally;

typedef struct rec_arg {
  rt_metrics *mt;
  unsigned seed;
  tally t;
} rec_arg;

static void *recorder_thread(void *p)
{
  rec_arg *a = p;
  unsigned x = a->seed;
  for (int i = 0; i < REC_PER_THREAD; i++) {
    x = x * 1103515245u + 12345u;
    unsigned r = (x >> 16) % 10;
    rt_extraction_outcome o;
    rt_extraction_outcome_init(&o);
    o.waited = (x & 1) != 0;
    o.wait_ns = (x >> 4) % 5000000;
    o.extracted = r != 9;
    o.extract_ns = (x >> 3) % 50000000;
    if (r < 6) {
      /* guest success */
    } else if (r < 9) {
      o.native = true;
      o.fallback = true;
      o.fb_reason = (riptide_fallback_reason)((x >> 8) % RIPTIDE_FB_COUNT_);
      if (o.fb_reason == RIPTIDE_FB_TRAP) {
        o.guest_error = RIPTIDE_ERR_TRAP;
        o.trap = RIPTIDE_TRAP_UNREACHABLE;
      } else if (o.fb_reason == RIPTIDE_FB_TIMEOUT) {
        o.guest_error = RIPTIDE_ERR_TIMEOUT;
      }
    } else {
      o.err = RIPTIDE_ERR_POOL_EXHAUSTED;
    }
    rt_metrics_record_extraction(a->mt, &o);
    /* Expected tally, kept by the test independently. */
    a->t.total++;
    if (o.err == RIPTIDE_OK) {
      a->t.succeeded++;
      if (o.native)
        a->t.native++;
      else
        a->t.wasm++;
    } else {
      a->t.failed++;
    }
    if (o.fallback) {
      a->t.fallbacks++;
      a->t.by_reason[o.fb_reason]++;
    }
    if (o.guest_error == RIPTIDE_ERR_TIMEOUT)
      a->t.timeouts++;
    if (o.guest_error == RIPTIDE_ERR_TRAP)
      a->t.traps++;
    if (o.err == RIPTIDE_ERR_POOL_EXHAUSTED ||
        (o.fallback && o.fb_reason == RIPTIDE_FB_POOL_EXHAUSTED))
      a->t.exhausted++;
    a->t.waits += o.waited;
    a->t.extracts += o.extracted;
  }
  return NULL;
}

typedef struct snap_arg {
  rt_metrics *mt;
  _Atomic int *stop;
  uint64_t snapshots;
  int violations;
} snap_arg;

static int check_invariants(const riptide_metrics *m)
{
  int bad = 0;
  bad += m->extractions_total != m->extractions_succeeded + m->extractions_failed;
  bad += m->extractions_succeeded != m->succeeded_wasm + m->succeeded_native;
  uint64_t fb = 0;
  for (int r = 0; r < RIPTIDE_FB_COUNT_; r++)
    fb += m->fallbacks_by_reason[r];
  bad += fb != m->fallbacks;
  bad += bucket_sum(&m->permit_wait) != m->permit_wait.count;
  bad += bucket_sum(&m->extract_duration) != m->extract_duration.count;
  bad += m->extract_duration.count > m->extractions_total;
  return bad;
}

static void *snapshot_thread(void *p)
{
  snap_arg *a = p;
  riptide_metrics prev;
  memset(&prev, 0, sizeof(prev));
  while (!atomic_load(a->stop)) {
    riptide_metrics m;
    rt_metrics_snapshot(a->mt, &m);
    a->violations += check_invariants(&m);
    /* Counters never go backwards. */
    a->violations += m.extractions_total < prev.extractions_total;
    a->violations += m.fallbacks < prev.fallbacks;
    a->violations += m.permit_wait.sum_ns < prev.permit_wait.sum_ns;
    /* The Prometheus text of a consistent snapshot is consistent too. */
    if ((a->snapshots % 64) == 0) {
      char *txt = riptide_metrics_to_prometheus(&m);
      if (!txt)
        a->violations++;
      free(txt);
    }
    prev = m;
    a->snapshots++;
  }
  return NULL;
}

static void test_concurrent_snapshot_consistency(void **state)
{
  (void)state;
  rt_metrics *mt = mk();
  _Atomic int stop = 0;
  snap_arg sa = {.mt = mt, .stop = &stop};
  pthread_t snap;
  assert_int_equal(pthread_create(&snap, NULL, snapshot_thread, &sa), 0);
  pthread_t th[REC_THREADS];
  rec_arg ra[REC_THREADS];
  for (int i = 0; i < REC_THREADS; i++) {
    memset(&ra[i], 0, sizeof(ra[i]));
    ra[i].mt = mt;
    ra[i].seed = 1234u + (unsigned)i * 2654435761u;
    assert_int_equal(pthread_create(&th[i], NULL, recorder_thread, &ra[i]), 0);
  }
  for (int i = 0; i < REC_THREADS; i++)
    pthread_join(th[i], NULL);
  atomic_store(&stop, 1);
  pthread_join(snap, NULL);
  assert_int_equal(sa.violations, 0);
  assert_true(sa.snapshots > 0);

  tally e;
  memset(&e, 0, sizeof(e));
  for (int i = 0; i < REC_THREADS; i++) {
    e.total += ra[i].t.total;
    e.succeeded += ra[i].t.succeeded;
    e.failed += ra[i].t.failed;
    e.wasm += ra[i].t.wasm;
    e.native += ra[i].t.native;
    e.fallbacks += ra[i].t.fallbacks;
    for (int r = 0; r < RIPTIDE_FB_COUNT_; r++)
      e.by_reason[r] += ra[i].t.by_reason[r];
    e.timeouts += ra[i].t.timeouts;
    e.traps += ra[i].t.traps;
    e.exhausted += ra[i].t.exhausted;
    e.waits += ra[i].t.waits;
    e.extracts += ra[i].t.extracts;
  }
  riptide_metrics m;
  rt_metrics_snapshot(mt, &m);
  assert_int_equal(m.extractions_total, REC_THREADS * REC_PER_THREAD);
  assert_int_equal(m.extractions_total, e.total);
  assert_int_equal(m.extractions_succeeded, e.succeeded);
  assert_int_equal(m.extractions_failed, e.failed);
  assert_int_equal(m.succeeded_wasm, e.wasm);
  assert_int_equal(m.succeeded_native, e.native);
  assert_int_equal(m.fallbacks, e.fallbacks);
  for (int r = 0; r < RIPTIDE_FB_COUNT_; r++)
    assert_int_equal(m.fallbacks_by_reason[r], e.by_reason[r]);
  assert_int_equal(m.timeouts, e.timeouts);
  assert_int_equal(m.traps_by_kind[RIPTIDE_TRAP_UNREACHABLE], e.traps);
  assert_int_equal(m.pool_exhausted, e.exhausted);
  assert_int_equal(m.permit_wait.count, e.waits);
  assert_int_equal(m.extract_duration.count, e.extracts);
  assert_int_equal(check_invariants(&m), 0);
  print_message("concurrent: %d records from %d threads, %llu consistent snapshots\n",
                REC_THREADS * REC_PER_THREAD, REC_THREADS, (unsigned long long)sa.snapshots);
  rt_metrics_free(mt);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bucket_bounds),
      cmocka_unit_test(test_quantiles),
      cmocka_unit_test(test_record_extraction_exact),
      cmocka_unit_test(test_gauges_and_counters),
      cmocka_unit_test(test_prometheus),
      cmocka_unit_test(test_concurrent_snapshot_consistency),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
