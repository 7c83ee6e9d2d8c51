/*
 * metrics.c - exact counters, gauges and latency histograms (see metrics.h).
 *
 * DESIGN
 *  - All state is one riptide_metrics struct guarded by one mutex `mu`. Each recording function
 *    is one short critical section (a handful of increments, no allocation, no call-out), and a
 *    snapshot is a struct copy under the same mutex, so a snapshot never sees half of one
 *    extraction: the totals add up in every snapshot (the invariants listed in metrics.h).
 *  - Why a mutex and not per-counter atomics: atomics would make each counter exact but let a
 *    snapshot see `total` incremented and `succeeded` not yet; a seqlock would need every field
 *    read racily. The recorded event (one extraction, ~tens of microseconds of guest work) is far
 *    more expensive than an uncontended lock, so the simple way is also the cheap one.
 *  - Histograms keep counts per power-of-two bucket plus an exact sum and count; quantiles are
 *    estimated from buckets on demand. Nothing is averaged.
 *
 * Lock order: `mu` is a leaf lock. Threads: any.
 */
#include "metrics/metrics.h"
#include "common/document.h"
#include "common/sized.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rt_metrics {
  pthread_mutex_t mu;
  riptide_metrics m; /* guarded by mu */
};

/* ---- histograms -------------------------------------------------------------------------- */

uint64_t riptide_histogram_bound_ns(int i)
{
  if (i < 0)
    return 0;
  if (i >= RIPTIDE_HIST_BUCKETS - 1)
    return UINT64_MAX;
  return 1000ull << i;
}

int rt_histogram_bucket(uint64_t ns)
{
  /* ns < 1000 * 2^i  <=>  floor(ns / 1000) < 2^i, because 1000 * 2^i is a multiple of 1000. */
  uint64_t q = ns / 1000u;
  if (q == 0)
    return 0;
  int i = 64 - __builtin_clzll(q); /* smallest i with q < 2^i */
  return i < RIPTIDE_HIST_BUCKETS - 1 ? i : RIPTIDE_HIST_BUCKETS - 1;
}

void rt_histogram_add(riptide_histogram *h, uint64_t ns)
{
  h->count++;
  h->sum_ns += ns;
  h->buckets[rt_histogram_bucket(ns)]++;
}

uint64_t riptide_histogram_quantile(const riptide_histogram *h, double q)
{
  if (!h)
    return 0;
  uint64_t total = 0;
  for (int i = 0; i < RIPTIDE_HIST_BUCKETS; i++)
    total += h->buckets[i];
  if (total == 0)
    return 0;
  if (!(q > 0.0))
    q = 0.0; /* also NaN */
  if (q > 1.0)
    q = 1.0;
  double rank = q * (double)total;
  uint64_t cum = 0;
  for (int i = 0; i < RIPTIDE_HIST_BUCKETS; i++) {
    uint64_t b = h->buckets[i];
    if (b == 0)
      continue;
    if ((double)(cum + b) >= rank) {
      uint64_t lo = i == 0 ? 0 : riptide_histogram_bound_ns(i - 1);
      if (i == RIPTIDE_HIST_BUCKETS - 1)
        return lo; /* +Inf bucket: its lower bound */
      uint64_t hi = riptide_histogram_bound_ns(i);
      double within = (rank - (double)cum) / (double)b;
      if (within < 0.0)
        within = 0.0;
      return lo + (uint64_t)((double)(hi - lo) * within);
    }
    cum += b;
  }
  return riptide_histogram_bound_ns(RIPTIDE_HIST_BUCKETS - 2); /* rounding: highest finite */
}

/* ---- the recorder ------------------------------------------------------------------------ */

void rt_extraction_outcome_init(rt_extraction_outcome *o)
{
  memset(o, 0, sizeof(*o));
}

riptide_err rt_metrics_new(rt_metrics **out)
{
  if (!out)
    return RIPTIDE_ERR_INVALID_ARG;
  *out = NULL;
  rt_metrics *m = calloc(1, sizeof(*m));
  if (!m)
    return RIPTIDE_ERR_NOMEM;
  if (pthread_mutex_init(&m->mu, NULL) != 0) {
    free(m);
    return RIPTIDE_ERR_INTERNAL;
  }
  *out = m;
  return RIPTIDE_OK;
}

void rt_metrics_free(rt_metrics *m)
{
  if (!m)
    return;
  pthread_mutex_destroy(&m->mu);
  free(m);
}

void rt_metrics_record_extraction(rt_metrics *mt, const rt_extraction_outcome *o)
{
  riptide_fallback_reason reason = o->fb_reason;
  if ((unsigned)reason >= RIPTIDE_FB_COUNT_)
    reason = RIPTIDE_FB_GUEST_ERROR;
  riptide_trap trap = o->trap;
  if ((unsigned)trap >= RIPTIDE_TRAP_COUNT_ || trap == RIPTIDE_TRAP_NONE)
    trap = RIPTIDE_TRAP_OTHER;
  bool exhausted =
      o->err == RIPTIDE_ERR_POOL_EXHAUSTED || (o->fallback && reason == RIPTIDE_FB_POOL_EXHAUSTED);

  pthread_mutex_lock(&mt->mu);
  riptide_metrics *m = &mt->m;
  m->extractions_total++;
  if (o->err == RIPTIDE_OK) {
    m->extractions_succeeded++;
    if (o->native || o->fallback) {
      m->succeeded_native++;
    } else {
      m->succeeded_wasm++;
    }
  } else {
    m->extractions_failed++;
  }
  if (o->fallback) {
    m->fallbacks++;
    m->fallbacks_by_reason[reason]++;
  }
  if (o->guest_error == RIPTIDE_ERR_TIMEOUT)
    m->timeouts++;
  if (o->guest_error == RIPTIDE_ERR_TRAP)
    m->traps_by_kind[trap]++;
  if (exhausted)
    m->pool_exhausted++;
  if (o->waited)
    rt_histogram_add(&m->permit_wait, o->wait_ns);
  if (o->extracted)
    rt_histogram_add(&m->extract_duration, o->extract_ns);
  pthread_mutex_unlock(&mt->mu);
}

void rt_metrics_observe_wait(rt_metrics *mt, uint64_t ns)
{
  pthread_mutex_lock(&mt->mu);
  rt_histogram_add(&mt->m.permit_wait, ns);
  pthread_mutex_unlock(&mt->mu);
}

void rt_metrics_observe_extract(rt_metrics *mt, uint64_t ns)
{
  pthread_mutex_lock(&mt->mu);
  rt_histogram_add(&mt->m.extract_duration, ns);
  pthread_mutex_unlock(&mt->mu);
}

void rt_metrics_add_grow_failures(rt_metrics *mt, uint64_t n)
{
  pthread_mutex_lock(&mt->mu);
  mt->m.grow_failures += n;
  pthread_mutex_unlock(&mt->mu);
}

void rt_metrics_record_breaker(rt_metrics *mt, int state, bool tripped)
{
  pthread_mutex_lock(&mt->mu);
  mt->m.breaker_state = state;
  if (tripped)
    mt->m.breaker_trips++;
  pthread_mutex_unlock(&mt->mu);
}

static void dec32(uint32_t *v)
{
  if (*v > 0)
    (*v)--;
}

void rt_metrics_slot_created(rt_metrics *mt)
{
  pthread_mutex_lock(&mt->mu);
  mt->m.slots_created++;
  mt->m.slots_idle++;
  pthread_mutex_unlock(&mt->mu);
}

void rt_metrics_slot_destroyed(rt_metrics *mt)
{
  pthread_mutex_lock(&mt->mu);
  mt->m.slots_destroyed++;
  dec32(&mt->m.slots_idle);
  pthread_mutex_unlock(&mt->mu);
}

void rt_metrics_slot_leased(rt_metrics *mt)
{
  pthread_mutex_lock(&mt->mu);
  dec32(&mt->m.slots_idle);
  mt->m.slots_leased++;
  pthread_mutex_unlock(&mt->mu);
}

void rt_metrics_slot_returned(rt_metrics *mt)
{
  pthread_mutex_lock(&mt->mu);
  dec32(&mt->m.slots_leased);
  mt->m.slots_idle++;
  pthread_mutex_unlock(&mt->mu);
}

void rt_metrics_in_flight_add(rt_metrics *mt, int delta)
{
  pthread_mutex_lock(&mt->mu);
  if (delta >= 0) {
    mt->m.in_flight += (uint32_t)delta;
  } else {
    uint32_t d = (uint32_t)(-(int64_t)delta);
    mt->m.in_flight = mt->m.in_flight > d ? mt->m.in_flight - d : 0;
  }
  pthread_mutex_unlock(&mt->mu);
}

void rt_metrics_set_guest_pages(rt_metrics *mt, uint64_t pages)
{
  pthread_mutex_lock(&mt->mu);
  mt->m.guest_pages = pages;
  pthread_mutex_unlock(&mt->mu);
}

void rt_metrics_add_guest_pages(rt_metrics *mt, int64_t delta)
{
  pthread_mutex_lock(&mt->mu);
  if (delta >= 0) {
    mt->m.guest_pages += (uint64_t)delta;
  } else {
    uint64_t d = (uint64_t)(-(delta + 1)) + 1u; /* no overflow for INT64_MIN */
    mt->m.guest_pages = mt->m.guest_pages > d ? mt->m.guest_pages - d : 0;
  }
  pthread_mutex_unlock(&mt->mu);
}

void rt_metrics_set_events(rt_metrics *mt, uint64_t emitted, uint64_t dropped)
{
  pthread_mutex_lock(&mt->mu);
  mt->m.events_emitted = emitted;
  mt->m.events_dropped = dropped;
  pthread_mutex_unlock(&mt->mu);
}

void rt_metrics_snapshot(rt_metrics *mt, riptide_metrics *out)
{
  pthread_mutex_lock(&mt->mu);
  *out = mt->m;
  pthread_mutex_unlock(&mt->mu);
  out->size = (uint32_t)sizeof *out;
}

/* ---- Prometheus text exposition ---------------------------------------------------------- */

#define PROM_MAX_BYTES (64u * 1024u) /* the whole exposition is ~8 KiB; beyond this: error */

static void prom_head(rt_buf *b, const char *name, const char *type, const char *help)
{
  rt_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_scalar(rt_buf *b, const char *name, const char *type, const char *help, uint64_t v)
{
  prom_head(b, name, type, help);
  rt_buf_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

static void prom_hist(rt_buf *b, const char *name, const char *help, const riptide_histogram *h)
{
  prom_head(b, name, "histogram", help);
  uint64_t cum = 0;
  for (int i = 0; i < RIPTIDE_HIST_BUCKETS; i++) {
    cum += h->buckets[i];
    if (i == RIPTIDE_HIST_BUCKETS - 1) {
      rt_buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
    } else {
      double le = (double)riptide_histogram_bound_ns(i) / 1e9;
      rt_buf_printf(b, "%s_bucket{le=\"%.9g\"} %llu\n", name, le, (unsigned long long)cum);
    }
  }
  rt_buf_printf(b, "%s_sum %.9f\n", name, (double)h->sum_ns / 1e9);
  /* _count equals the +Inf bucket by construction of the snapshot. */
  rt_buf_printf(b, "%s_count %llu\n", name, (unsigned long long)cum);
}

char *riptide_metrics_to_prometheus(const riptide_metrics *caller_m)
{
  if (!caller_m)
    return NULL;
  /* A snapshot from a program built against another riptide.h: fields past its size are 0. */
  riptide_metrics full;
  memset(&full, 0, sizeof full);
  if (rt_sized_in("riptide_metrics", &full, sizeof full, caller_m, caller_m->size) != RIPTIDE_OK)
    return NULL;
  const riptide_metrics *m = &full;
  rt_buf b = {.max = PROM_MAX_BYTES};

  prom_head(&b, "riptide_extractions_total", "counter",
            "Extractions finished, by engine and outcome (failed = an error was returned).");
  rt_buf_printf(&b, "riptide_extractions_total{engine=\"wasm\",outcome=\"succeeded\"} %llu\n",
                (unsigned long long)m->succeeded_wasm);
  rt_buf_printf(&b, "riptide_extractions_total{engine=\"native\",outcome=\"succeeded\"} %llu\n",
                (unsigned long long)m->succeeded_native);
  rt_buf_printf(&b, "riptide_extractions_total{engine=\"none\",outcome=\"failed\"} %llu\n",
                (unsigned long long)m->extractions_failed);

  prom_head(&b, "riptide_fallbacks_total", "counter",
            "Extractions served by the native fallback, by reason.");
  for (int r = 0; r < RIPTIDE_FB_COUNT_; r++)
    rt_buf_printf(&b, "riptide_fallbacks_total{reason=\"%s\"} %llu\n",
                  riptide_fallback_reason_name((riptide_fallback_reason)r),
                  (unsigned long long)m->fallbacks_by_reason[r]);

  prom_head(&b, "riptide_traps_total", "counter", "Guest traps, by kind.");
  for (int t = RIPTIDE_TRAP_NONE + 1; t < RIPTIDE_TRAP_COUNT_; t++)
    rt_buf_printf(&b, "riptide_traps_total{kind=\"%s\"} %llu\n", riptide_trap_name((riptide_trap)t),
                  (unsigned long long)m->traps_by_kind[t]);

  prom_scalar(&b, "riptide_timeouts_total", "counter", "Guest calls stopped at their deadline.",
              m->timeouts);
  prom_scalar(&b, "riptide_grow_failures_total", "counter",
              "Guest memory.grow requests refused by the memory cap.", m->grow_failures);
  prom_scalar(&b, "riptide_pool_exhausted_total", "counter",
              "Calls that found no permit within the wait limit.", m->pool_exhausted);
  prom_scalar(&b, "riptide_breaker_trips_total", "counter",
              "Circuit breaker openings (closed->open and half-open->open).", m->breaker_trips);
  prom_scalar(&b, "riptide_breaker_state", "gauge",
              "Circuit breaker state: 0 closed, 1 open, 2 half-open.",
              (uint64_t)(m->breaker_state < 0 ? 0 : m->breaker_state));
  prom_scalar(&b, "riptide_slots_created_total", "counter", "Sandbox slots created.",
              m->slots_created);
  prom_scalar(&b, "riptide_slots_destroyed_total", "counter", "Sandbox slots destroyed.",
              m->slots_destroyed);
  prom_head(&b, "riptide_slots", "gauge", "Live sandbox slots, by state.");
  rt_buf_printf(&b, "riptide_slots{state=\"idle\"} %u\n", m->slots_idle);
  rt_buf_printf(&b, "riptide_slots{state=\"leased\"} %u\n", m->slots_leased);
  prom_scalar(&b, "riptide_in_flight", "gauge", "Guest calls running now.", m->in_flight);
  prom_scalar(&b, "riptide_guest_pages", "gauge",
              "Linear-memory pages (64 KiB) held by live slots.", m->guest_pages);
  prom_scalar(&b, "riptide_guest_resident_bytes", "gauge",
              "Private memory live slots hold after their last reset (measured by the sandbox).",
              m->guest_resident_bytes);
  prom_scalar(&b, "riptide_guest_peak_call_bytes", "gauge",
              "Largest private memory one guest call reached since the pool was created.",
              m->guest_peak_call_bytes);
  prom_scalar(&b, "riptide_events_emitted_total", "counter", "Events accepted by the event ring.",
              m->events_emitted);
  prom_scalar(&b, "riptide_events_dropped_total", "counter",
              "Events dropped because the event ring was full.", m->events_dropped);
  prom_hist(&b, "riptide_permit_wait_seconds", "Time spent waiting for a pool permit.",
            &m->permit_wait);
  prom_hist(&b, "riptide_extract_duration_seconds",
            "Time spent in the extractor (guest or native).", &m->extract_duration);

  if (b.failed || !b.p) {
    rt_buf_free(&b);
    return NULL;
  }
  return b.p;
}
