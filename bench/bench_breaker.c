/*
 * bench_breaker.c - cost of the circuit breaker gate, event emission and metrics recording,
 * each printed next to a baseline measured in the same run (an uncontended pthread mutex
 * lock+unlock pair) and as a ratio to it.
 *
 * Goal (issue 5): closed-state gate <= 30 ns uncontended.
 * Each figure is the best of 7 runs (least disturbed by other load on the machine).
 */
#include "circuit_breaker/breaker.h"
#include "events/events.h"
#include "metrics/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 7

static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef double (*bench_fn)(void *ctx, long iters); /* returns ns per op */

static double best_of(bench_fn fn, void *ctx, long iters)
{
  double best = 1e30;
  for (int r = 0; r < RUNS; r++) {
    double v = fn(ctx, iters);
    if (v < best)
      best = v;
  }
  return best;
}

static volatile uint64_t sink;

/* ---- baseline: uncontended mutex lock + unlock ------------------------------------------- */
static double bench_mutex(void *ctx, long iters)
{
  pthread_mutex_t *mu = ctx;
  uint64_t t0 = now_ns();
  for (long i = 0; i < iters; i++) {
    pthread_mutex_lock(mu);
    sink++;
    pthread_mutex_unlock(mu);
  }
  return (double)(now_ns() - t0) / (double)iters;
}

/* ---- breaker ----------------------------------------------------------------------------- */
static double bench_gate_closed(void *ctx, long iters)
{
  rt_breaker *b = ctx;
  rt_breaker_ticket t;
  uint64_t acc = 0;
  uint64_t t0 = now_ns();
  for (long i = 0; i < iters; i++)
    acc += (uint64_t)rt_breaker_acquire(b, &t);
  double ns = (double)(now_ns() - t0) / (double)iters;
  sink = acc + t.generation;
  return ns;
}

static double bench_gate_record_closed(void *ctx, long iters)
{
  rt_breaker *b = ctx;
  rt_breaker_ticket t;
  uint64_t t0 = now_ns();
  for (long i = 0; i < iters; i++) {
    rt_breaker_acquire(b, &t);
    rt_breaker_record(b, &t, true, NULL);
  }
  return (double)(now_ns() - t0) / (double)iters;
}

static double bench_gate_open(void *ctx, long iters)
{
  rt_breaker *b = ctx;
  rt_breaker_ticket t;
  uint64_t acc = 0;
  uint64_t t0 = now_ns();
  for (long i = 0; i < iters; i++)
    acc += (uint64_t)rt_breaker_acquire(b, &t);
  double ns = (double)(now_ns() - t0) / (double)iters;
  sink = acc;
  return ns;
}

typedef struct par_arg {
  rt_breaker *b;
  long iters;
  pthread_barrier_t *bar;
  double ns;
} par_arg;

static void *gate_thread(void *p)
{
  par_arg *a = p;
  rt_breaker_ticket t;
  uint64_t acc = 0;
  pthread_barrier_wait(a->bar);
  uint64_t t0 = now_ns();
  for (long i = 0; i < a->iters; i++)
    acc += (uint64_t)rt_breaker_acquire(a->b, &t);
  a->ns = (double)(now_ns() - t0) / (double)a->iters;
  sink = acc;
  return NULL;
}

static double bench_gate_2threads(void *ctx, long iters)
{
  rt_breaker *b = ctx;
  pthread_barrier_t bar;
  pthread_barrier_init(&bar, NULL, 2);
  par_arg a[2] = {{b, iters, &bar, 0}, {b, iters, &bar, 0}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&th[i], NULL, gate_thread, &a[i]);
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  pthread_barrier_destroy(&bar);
  return a[0].ns > a[1].ns ? a[0].ns : a[1].ns;
}

/* ---- events ------------------------------------------------------------------------------ */
typedef struct emit_ctx {
  rt_events *bus;
  uint64_t queued, dropped;
} emit_ctx;

static double bench_emit(void *ctx, long iters)
{
  emit_ctx *c = ctx;
  rt_event_kv kv[] = {{"slot", "12"}, {"reason", "memory_limit"}};
  uint64_t t0 = now_ns();
  for (long i = 0; i < iters; i++) {
    rt_events_emit_result r =
        rt_events_emit(c->bus, RT_EV_INSTANCE_RELEASED, RIPTIDE_SEV_DEBUG, 12, kv, 2);
    if (r == RT_EVENTS_QUEUED) {
      c->queued++;
    } else {
      c->dropped++;
    }
  }
  double ns = (double)(now_ns() - t0) / (double)iters;
  rt_events_flush(c->bus, 0); /* outside the timed part: empty ring for the next run */
  return ns;
}

/* Sparse emits, as in the pool: one wanted event, then ~1 us of other work. Returns ns per
 * iteration; the caller subtracts the work-only baseline. */
static void work_1us(void)
{
  for (volatile int i = 0; i < 400; i++) {
  }
}

static double bench_work_only(void *ctx, long iters)
{
  (void)ctx;
  uint64_t t0 = now_ns();
  for (long i = 0; i < iters; i++)
    work_1us();
  return (double)(now_ns() - t0) / (double)iters;
}

static double bench_sparse_emit(void *ctx, long iters)
{
  emit_ctx *c = ctx;
  uint64_t t0 = now_ns();
  for (long i = 0; i < iters; i++) {
    rt_events_emit(c->bus, RT_EV_INSTANCE_RELEASED, RIPTIDE_SEV_DEBUG, 12, NULL, 0);
    work_1us();
  }
  double ns = (double)(now_ns() - t0) / (double)iters;
  rt_events_flush(c->bus, 0);
  return ns;
}

static double bench_wanted(void *ctx, long iters)
{
  rt_events *bus = ctx;
  uint64_t acc = 0;
  uint64_t t0 = now_ns();
  for (long i = 0; i < iters; i++)
    acc += rt_events_wanted(bus, RT_EV_INSTANCE_RELEASED, RIPTIDE_SEV_DEBUG);
  double ns = (double)(now_ns() - t0) / (double)iters;
  sink = acc;
  return ns;
}

static void count_handler(const riptide_event *ev, void *ctx)
{
  (void)ev;
  atomic_fetch_add_explicit((_Atomic uint64_t *)ctx, 1, memory_order_relaxed);
}

/* ---- metrics ----------------------------------------------------------------------------- */
static double bench_metrics_record(void *ctx, long iters)
{
  rt_metrics *m = ctx;
  rt_extraction_outcome o;
  rt_extraction_outcome_init(&o);
  o.waited = true;
  o.extracted = true;
  uint64_t t0 = now_ns();
  for (long i = 0; i < iters; i++) {
    o.wait_ns = (uint64_t)i & 0xfffff;
    o.extract_ns = (uint64_t)i * 37u;
    rt_metrics_record_extraction(m, &o);
  }
  return (double)(now_ns() - t0) / (double)iters;
}

static double bench_metrics_snapshot(void *ctx, long iters)
{
  rt_metrics *m = ctx;
  riptide_metrics s;
  uint64_t t0 = now_ns();
  for (long i = 0; i < iters; i++) {
    rt_metrics_snapshot(m, &s);
    sink += s.extractions_total;
  }
  return (double)(now_ns() - t0) / (double)iters;
}

static void row(const char *name, double ns, double base)
{
  printf("  %-44s %8.2f ns/op   %6.2fx mutex\n", name, ns, ns / base);
}

static uint64_t fake_clock(void *ctx)
{
  return *(uint64_t *)ctx;
}

int main(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  const long N = 20000000;
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  double base = best_of(bench_mutex, &mu, N);
  printf("baseline: uncontended pthread_mutex lock+unlock   %8.2f ns/op\n", base);

  rt_breaker *b = NULL;
  if (rt_breaker_new(NULL, NULL, NULL, &b) != RIPTIDE_OK)
    return 1;
  printf("circuit breaker (defaults):\n");
  double gate = best_of(bench_gate_closed, b, N);
  row("gate, closed (goal <= 30 ns)", gate, base);
  row("gate, closed, 2 threads at once (per op)", best_of(bench_gate_2threads, b, N / 2), base);
  row("gate + record(success), closed", best_of(bench_gate_record_closed, b, N / 4), base);
  rt_breaker_free(b);

  uint64_t clk = 1;
  b = NULL;
  if (rt_breaker_new(NULL, fake_clock, &clk, &b) != RIPTIDE_OK)
    return 1;
  for (int i = 0; i < 10; i++) {
    rt_breaker_ticket t;
    rt_breaker_acquire(b, &t);
    rt_breaker_record(b, &t, false, NULL);
  }
  row("gate, open (reject; takes the lock)", best_of(bench_gate_open, b, N / 4), base);
  rt_breaker_free(b);
  printf("  gate verdict: %s (%.2f ns vs goal 30 ns)\n", gate <= 30.0 ? "MET" : "MISSED", gate);

  printf("events (ring 1024, emit with 2 metadata pairs):\n");
  rt_events_config ec;
  rt_events_config_init(&ec);
  rt_events *bus = NULL;
  if (rt_events_new(&ec, &bus) != RIPTIDE_OK)
    return 1;
  emit_ctx c = {bus, 0, 0};
  const long E = 1000; /* fits the ring: measures the emit path, not the drop path */
  double emit_nosub = best_of(bench_emit, &c, E);
  row("emit, nobody subscribed (counted, no ring)", emit_nosub, base);
  _Atomic uint64_t calls = 0;
  rt_events_subscribe(bus, "extraction.", RIPTIDE_SEV_WARN, count_handler, &calls);
  row("rt_events_wanted, 1 subscription, no match", best_of(bench_wanted, bus, N / 4), base);
  row("emit, 1 subscription, no match (no ring)", best_of(bench_emit, &c, E), base);
  rt_events_subscribe(bus, "pool.", RIPTIDE_SEV_TRACE, count_handler, &calls);
  row("emit, wanted, ring not full (copy + wake)", best_of(bench_emit, &c, E), base);
  c.queued = c.dropped = 0;
  double flood = best_of(bench_emit, &c, 200000);
  row("emit flood (200k; dispatcher behind, drops)", flood, base);
  printf("  flood, 7 runs x 200k: %llu queued, %llu dropped (counted; emit never waited)\n",
         (unsigned long long)c.queued, (unsigned long long)c.dropped);
  rt_events_stats es;
  rt_events_stats_get(bus, &es);
  printf("  wanted events: %llu dispatched with %llu dispatcher wake-ups\n",
         (unsigned long long)(es.dispatched - es.unwanted), (unsigned long long)es.wakeups);
  double work = best_of(bench_work_only, NULL, 20000);
  uint64_t w0 = es.wakeups;
  double sparse = best_of(bench_sparse_emit, &c, 20000);
  rt_events_stats_get(bus, &es);
  double sparse_wakeups_per_event = (double)(es.wakeups - w0) / (RUNS * 20000.0);
  printf("  sparse emit (1 event per ~%.0f ns of work), wake_delay 0: %8.2f ns/event extra, "
         "%.4f wake-ups/event\n",
         work, sparse - work, sparse_wakeups_per_event);
  rt_events_free(bus);

  /* The same wanted emits with a 2 ms wake delay: one wake-up per batch. */
  ec.wake_delay_ms = 2;
  bus = NULL;
  if (rt_events_new(&ec, &bus) != RIPTIDE_OK)
    return 1;
  rt_events_subscribe(bus, "pool.", RIPTIDE_SEV_TRACE, count_handler, &calls);
  c = (emit_ctx){bus, 0, 0};
  row("emit, wanted, wake_delay 2 ms", best_of(bench_emit, &c, E), base);
  rt_events_stats_get(bus, &es);
  w0 = es.wakeups;
  double sparse2 = best_of(bench_sparse_emit, &c, 20000);
  rt_events_stats_get(bus, &es);
  double wpe0 = sparse_wakeups_per_event;
  double wpe2 = (double)(es.wakeups - w0) / (RUNS * 20000.0);
  printf("  sparse emit, wake_delay 2 ms:                        %8.2f ns/event extra, "
         "%.4f wake-ups/event (%.1fx fewer wake-ups; ns figures are noisy on a loaded box)\n",
         sparse2 - work, wpe2, wpe2 > 0 ? wpe0 / wpe2 : 0.0);
  rt_events_stats_get(bus, &es);
  printf("  wake_delay 2 ms: %llu events dispatched with %llu dispatcher wake-ups\n",
         (unsigned long long)es.dispatched, (unsigned long long)es.wakeups);
  rt_events_free(bus);

  printf("metrics:\n");
  rt_metrics *m = NULL;
  if (rt_metrics_new(&m) != RIPTIDE_OK)
    return 1;
  row("record one extraction (2 histograms)", best_of(bench_metrics_record, m, N / 4), base);
  row("consistent snapshot", best_of(bench_metrics_snapshot, m, N / 20), base);
  char *txt = NULL;
  uint64_t t0 = now_ns();
  for (int i = 0; i < 1000; i++) {
    riptide_metrics s;
    rt_metrics_snapshot(m, &s);
    free(txt);
    txt = riptide_metrics_to_prometheus(&s);
  }
  double prom = (double)(now_ns() - t0) / 1000.0;
  printf("  %-44s %8.2f us/op   (%zu bytes)\n", "snapshot + Prometheus text", prom / 1000.0,
         txt ? strlen(txt) : 0);
  free(txt);
  rt_metrics_free(m);
  return 0;
}
