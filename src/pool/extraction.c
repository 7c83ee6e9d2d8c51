/*
 * extraction.c - the flow of one document through the pool (DESIGN.md §1; the seed's
 * extraction.rs):
 *
 *   1. breaker gate: REJECT -> native fallback, reason "circuit_open"
 *   2. permit with a bounded wait: expired -> RIPTIDE_ERR_POOL_EXHAUSTED (or the fallback,
 *      reason "pool_exhausted", when cfg.fallback_on_exhausted) + pool.pool_exhausted event
 *   3. slot: an idle one (fresh state) or a new one
 *   4. the guest call, under the slot's deadline and memory cap (enforced by the sandbox)
 *   5. the result: the sandbox copied and bounds-checked it; here it is size-checked again
 *      and decoded by the wire decoder, which validates every record
 *   6. the slot gets a fresh state (slot_reset) or is discarded (timeout, reset failure) and
 *      goes back; then the outcome is recorded in the breaker and the metrics
 *   7. trap, timeout, memory limit, guest error -> native fallback with the reason; an
 *      output over the cap is returned as OUTPUT_TOO_LARGE (the native result would be as
 *      large); see "Fallback policy" below
 *
 * Fallback policy (docs/fallback.md). The native engine runs under the pool's configured
 * limits, the same as a guest call: its own deadline of timeout_ms, memory_cap_bytes for its
 * parse, the call's output cap. Its concurrency is bounded like the guest's: each fallback
 * takes one of max_slots native places (pool->native_active), waiting at most acquire_wait_ms
 * (POOL_EXHAUSTED otherwise). The guest slot of a failed call is given back first, so its
 * memory is reset or freed before the native parse starts. Per reason:
 *   trap, guest error, bad result    fall back: a guest bug; libxml2 is another code path
 *   timeout                          fall back under a fresh deadline: the guest's slow shapes
 *                                    are not libxml2's, whose input is bounded to stay linear;
 *                                    a call can so take up to 2 x timeout_ms
 *   memory limit                     fall back: the native parse stops at the same cap
 *                                    (MEMORY_LIMIT) as soon as it passes it
 *   circuit open, pool exhausted     fall back (the latter only with fallback_on_exhausted)
 *   output too large                 no fallback: the native text and Markdown are as large;
 *                                    the error names the sizes
 *   parse limit, selector, mode      no fallback: the input's fault, reported as such
 * A native failure is returned as it is when it says something about the input or the limits
 * (bad input, limit, timeout); anything else is FALLBACK_FAILED.
 *
 * DESIGN
 * Runs on the caller's thread. No lock of this file: every step calls a module that takes
 * its own lock briefly (pool->lock in lease/release, the breaker's, the metrics', the event
 * bus's), and none is held while the guest, the native extractor or the event bus runs.
 * The caller counts in pool->active from entry to exit, so shutdown can wait for it, and
 * every call is recorded exactly once in the metrics (rt_metrics_record_extraction) before it
 * leaves: the totals of a snapshot taken after shutdown add up to the calls made.
 */
#include "pool/pool.h"

#include "abi/wire.h"
#include "common/errors.h"
#include "common/sized.h"
#include "common/limits.h"
#include "common/nfc.h"
#include "fallback/fallback.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Is this guest result a failure of the guest (counted by the breaker, fallback)? Input
 * problems the guest reported correctly (bad selector, parser limit) are not. */
static bool ex_guest_failed(riptide_err e)
{
  switch (e) {
  case RIPTIDE_OK:
  case RIPTIDE_ERR_SELECTOR:
  case RIPTIDE_ERR_PARSE_LIMIT:
  case RIPTIDE_ERR_UNSUPPORTED:
  case RIPTIDE_ERR_OUTPUT_TOO_LARGE: /* the page's size, not the guest's fault */
    return false;
  default:
    return true;
  }
}

static riptide_fallback_reason ex_reason(riptide_err e)
{
  switch (e) {
  case RIPTIDE_ERR_TRAP:
    return RIPTIDE_FB_TRAP;
  case RIPTIDE_ERR_TIMEOUT:
    return RIPTIDE_FB_TIMEOUT;
  case RIPTIDE_ERR_MEMORY_LIMIT:
  case RIPTIDE_ERR_NOMEM:
    return RIPTIDE_FB_MEMORY_LIMIT;
  default:
    return RIPTIDE_FB_GUEST_ERROR;
  }
}

/* Builds the options lines of abi.h (no printf: this runs on every call). Returns a malloc'd
 * string (caller frees) or NULL with *err set. */
static char *ex_opts(const riptide_options *o, size_t *len, riptide_err *err)
{
  const char *sel = o->selector ? o->selector : "";
  size_t sl = strlen(sel);
  char *s = malloc(sl + 64);
  if (!s) {
    *err = RIPTIDE_ERR_NOMEM;
    return NULL;
  }
  size_t n = 0;
  if (sl) {
    memcpy(s, "selector=", 9);
    /* Options are lines: a newline of the selector (checked already, so outside any string)
     * is whitespace like a space. */
    for (size_t i = 0; i < sl; i++)
      s[9 + i] = sel[i] == '\n' ? ' ' : sel[i];
    s[9 + sl] = '\n';
    n = sl + 10;
  }
  static const char *const keys[5] = {"markdown=", "html=", "links=", "media=", "tables="};
  const bool vals[5] = {o->want_markdown, o->want_html, o->want_links, o->want_media,
                        o->want_tables};
  for (int k = 0; k < 5; k++) {
    size_t kl = strlen(keys[k]);
    memcpy(s + n, keys[k], kl);
    n += kl;
    s[n++] = vals[k] ? '1' : '0';
    s[n++] = '\n';
  }
  s[n] = '\0';
  *len = n;
  return s;
}

/* The output cap of one call: the configured one, or 16 MiB + 4 bytes per input byte. */
static uint64_t ex_output_cap(const riptide_pool *p, size_t len)
{
  if (p->cfg.max_output_bytes)
    return p->cfg.max_output_bytes;
  return RT_DEFAULT_MAX_OUTPUT + (uint64_t)RT_OUTPUT_PER_INPUT_BYTE * len;
}

/* A native place for a fallback that holds no permit: at most max_slots at once, waiting at
 * most acquire_wait_ms. Returns OK, POOL_EXHAUSTED or SHUTDOWN. */
static riptide_err ex_native_enter(riptide_pool *p, uint64_t *wait_ns)
{
  uint64_t t0 = rt_pool_mono_ns();
  struct timespec dl;
  clock_gettime(CLOCK_MONOTONIC, &dl);
  uint64_t ns = (uint64_t)dl.tv_nsec + (uint64_t)p->cfg.acquire_wait_ms % 1000 * 1000000ull;
  dl.tv_sec += (time_t)(p->cfg.acquire_wait_ms / 1000 + ns / 1000000000ull);
  dl.tv_nsec = (long)(ns % 1000000000ull);
  riptide_err err = RIPTIDE_OK;
  pthread_mutex_lock(&p->lock);
  while (p->native_active >= p->cfg.max_slots && err == RIPTIDE_OK) {
    if (pthread_cond_timedwait(&p->native_cv, &p->lock, &dl) != 0 &&
        p->native_active >= p->cfg.max_slots)
      err = RIPTIDE_ERR_POOL_EXHAUSTED;
  }
  if (err == RIPTIDE_OK)
    p->native_active++;
  pthread_mutex_unlock(&p->lock);
  *wait_ns += rt_pool_mono_ns() - t0;
  return err;
}

static void ex_native_leave(riptide_pool *p)
{
  pthread_mutex_lock(&p->lock);
  p->native_active--;
  pthread_cond_signal(&p->native_cv);
  pthread_mutex_unlock(&p->lock);
}

typedef struct ex_call {
  riptide_pool *p;
  const char *html;
  size_t len;
  const char *url;
  const riptide_options *opts;
  rt_extraction_outcome o;
  uint64_t instance_id;
  char guest_detail[160]; /* why the guest failed, in words (riptide_last_error_detail) */
} ex_call;

/* The error detail of an invalid selector: what the selector check refuses, and where. */
static void ex_selector_detail(const char *sel)
{
  if (!sel || !sel[0]) {
    rt_error_detail_set("custom mode needs a CSS selector (riptide_options.selector)");
    return;
  }
  char d[320];
  if (riptide_selector_check(sel, d, sizeof d) == RIPTIDE_ERR_SELECTOR)
    rt_error_detail_set("invalid CSS selector '%.200s': %s", sel, d);
  else
    rt_error_detail_set("CSS selector '%.200s' is not understood", sel);
}

static void ex_breaker_event(riptide_pool *p, rt_breaker_transition tr, const rt_breaker_info *in)
{
  if (tr == RT_BREAKER_NONE || tr == RT_BREAKER_HALF_OPENED)
    return;
  bool trip = tr == RT_BREAKER_TRIPPED || tr == RT_BREAKER_REOPENED;
  rt_metrics_record_breaker(p->metrics, (int)in->state, trip);
  char calls[16], fails[16], pct[16], cool[16], trips[24];
  snprintf(calls, sizeof calls, "%u", in->calls);
  snprintf(fails, sizeof fails, "%u", in->failures);
  snprintf(pct, sizeof pct, "%u", in->failure_pct);
  snprintf(cool, sizeof cool, "%u", in->cooldown_ms);
  snprintf(trips, sizeof trips, "%llu", (unsigned long long)in->trips);
  rt_pool_emit(p, trip ? RT_EV_BREAKER_TRIPPED : RT_EV_BREAKER_RESET,
               trip ? RIPTIDE_SEV_ERROR : RIPTIDE_SEV_INFO, 0, "transition",
               rt_breaker_transition_name(tr), "window_calls", calls, "window_failures", fails,
               "threshold_pct", pct, "cooldown_ms", cool, "trips", trips, (const char *)NULL);
}

/* Step 7: the native engine, under the pool's limits, in one of its max_slots native places.
 * `guest_err` is why the guest was not used or failed. */
static riptide_err ex_fallback(ex_call *c, riptide_fallback_reason reason, riptide_err guest_err,
                               riptide_trap trap, riptide_document **out)
{
  riptide_pool *p = c->p;
  if (!p->cfg.fallback_enabled) {
    c->o.err = guest_err;
    if (guest_err == RIPTIDE_ERR_CIRCUIT_OPEN)
      rt_error_detail_set("the circuit breaker is open: too many recent guest calls failed; it "
                          "lets calls through again after its cool-down");
    else if (c->guest_detail[0])
      rt_error_detail_set("%s", c->guest_detail);
    return guest_err;
  }
  riptide_document *doc = NULL;
  riptide_err err = RIPTIDE_OK;
  uint64_t waited = 0;
  err = ex_native_enter(p, &waited);
  c->o.wait_ns += waited;
  if (err != RIPTIDE_OK) {
    c->o.err = err;
    rt_pool_emit(p, RT_EV_EXTRACTION_FAILED, RIPTIDE_SEV_ERROR, c->instance_id, "error",
                 riptide_err_name(err), "guest_error", riptide_err_name(guest_err), "reason",
                 riptide_fallback_reason_name(reason), "detail",
                 "no native place within the wait limit", (const char *)NULL);
    return err;
  }
  uint64_t t0 = rt_pool_mono_ns();
  fb_limits lim = {
      .deadline_ns = fb_now_ns() + (uint64_t)p->cfg.timeout_ms * 1000000ull,
      .memory_cap = p->cfg.memory_cap_bytes,
      .max_output = ex_output_cap(p, c->len),
  };
  err = fb_extract(c->html, c->len, c->url, c->opts, &lim, &doc);
  uint64_t dt = rt_pool_mono_ns() - t0;
  ex_native_leave(p);
  c->o.extracted = true;
  c->o.extract_ns += dt;
  if (err != RIPTIDE_OK || !doc) {
    riptide_document_free(doc);
    doc = NULL;
    riptide_err_class cls = riptide_err_class_of(err);
    err = (err != RIPTIDE_OK && (cls == RIPTIDE_CLASS_BAD_INPUT || cls == RIPTIDE_CLASS_LIMIT ||
                                 cls == RIPTIDE_CLASS_TIMEOUT))
              ? err
              : RIPTIDE_ERR_FALLBACK_FAILED;
    c->o.err = err;
    rt_pool_emit(p, RT_EV_EXTRACTION_FAILED, RIPTIDE_SEV_ERROR, c->instance_id, "error",
                 riptide_err_name(err), "guest_error", riptide_err_name(guest_err), "reason",
                 riptide_fallback_reason_name(reason), (const char *)NULL);
    return err;
  }
  doc->engine = "native";
  doc->fallback_reason = riptide_fallback_reason_name(reason);
  doc->guest_error = guest_err;
  doc->trap = guest_err == RIPTIDE_ERR_TRAP ? trap : RIPTIDE_TRAP_NONE;
  doc->wait_ns = c->o.wait_ns;
  doc->extract_ns = c->o.extract_ns;
  doc->instance_id = 0;
  c->o.err = RIPTIDE_OK;
  c->o.native = true;
  c->o.fallback = true;
  c->o.fb_reason = reason;
  rt_pool_emit(p, RT_EV_EXTRACTION_FALLBACK_USED, RIPTIDE_SEV_WARN, c->instance_id, "reason",
               doc->fallback_reason, "guest_error", riptide_err_name(guest_err), "trap",
               riptide_trap_name(doc->trap), (const char *)NULL);
  *out = doc;
  return RIPTIDE_OK;
}

/* Steps 1-7 for one admitted caller. Fills c->o; returns what riptide_pool_extract returns. */
static riptide_err ex_run(ex_call *c, riptide_document **out)
{
  riptide_pool *p = c->p;
  const rt_guest_ops *ops = p->guest->ops;
  riptide_err err = RIPTIDE_OK;
  size_t opts_len = 0;
  char *opts = ex_opts(c->opts, &opts_len, &err);
  if (!opts) {
    if (err == RIPTIDE_ERR_SELECTOR)
      ex_selector_detail(c->opts->selector);
    c->o.err = err;
    return err;
  }

  /* 1. breaker gate */
  rt_breaker_ticket t;
  if (rt_breaker_acquire(p->breaker, &t) == RT_BREAKER_REJECT) {
    free(opts);
    return ex_fallback(c, RIPTIDE_FB_CIRCUIT_OPEN, RIPTIDE_ERR_CIRCUIT_OPEN, RIPTIDE_TRAP_NONE,
                       out);
  }

  /* 2-3. permit (bounded wait) and slot */
  rt_lease l;
  err = rt_pool_lease(p, p->cfg.acquire_wait_ms, &l);
  c->o.waited = true;
  c->o.wait_ns = l.wait_ns;
  if (err == RIPTIDE_ERR_POOL_EXHAUSTED || err == RIPTIDE_ERR_SHUTDOWN) {
    rt_breaker_cancel(p->breaker, &t);
    free(opts);
    if (err == RIPTIDE_ERR_SHUTDOWN) {
      rt_error_detail_set("the pool is shutting down and takes no new calls");
      c->o.err = err;
      return err;
    }
    char w[16], m[16];
    snprintf(w, sizeof w, "%u", p->cfg.acquire_wait_ms);
    snprintf(m, sizeof m, "%u", p->cfg.max_slots);
    rt_pool_emit(p, RT_EV_POOL_EXHAUSTED, RIPTIDE_SEV_WARN, 0, "wait_ms", w, "max_slots", m,
                 (const char *)NULL);
    if (p->cfg.fallback_on_exhausted)
      return ex_fallback(c, RIPTIDE_FB_POOL_EXHAUSTED, err, RIPTIDE_TRAP_NONE, out);
    rt_error_detail_set("no instance became free within %u ms (max_slots %u, all busy)",
                        p->cfg.acquire_wait_ms, p->cfg.max_slots);
    c->o.err = err;
    return err;
  }
  if (err != RIPTIDE_OK) { /* the guest slot could not be created: a guest failure */
    free(opts);
    rt_breaker_info bi;
    rt_breaker_transition tr = rt_breaker_record(p->breaker, &t, false, &bi);
    ex_breaker_event(p, tr, &bi);
    c->o.guest_error = err;
    snprintf(c->guest_detail, sizeof c->guest_detail,
             "a sandbox instance could not be created (%s)", riptide_err_name(err));
    return ex_fallback(c, RIPTIDE_FB_GUEST_ERROR, err, RIPTIDE_TRAP_NONE, out);
  }
  c->instance_id = l.instance_id;
  rt_pool_emit(p, RT_EV_INSTANCE_ACQUIRED, RIPTIDE_SEV_TRACE, l.instance_id, (const char *)NULL);

  /* 4. the guest call */
  rt_extract_args a = {
      .html = c->html,
      .html_len = c->len,
      .url = c->url,
      .url_len = c->url ? strlen(c->url) : 0,
      .mode = (uint32_t)c->opts->mode,
      .opts = opts,
      .opts_len = opts_len,
  };
  rt_call_result res;
  memset(&res, 0, sizeof res);
  atomic_fetch_add(&p->in_flight, 1);
  uint64_t t0 = rt_pool_mono_ns();
  ops->call_extract(l.slot, &a, &res);
  uint64_t dt = rt_pool_mono_ns() - t0;
  atomic_fetch_sub(&p->in_flight, 1);
  free(opts);
  c->o.extracted = true;
  c->o.extract_ns = dt;

  /* 5. validate and decode (the wire decoder checks every record against the length) */
  riptide_document *doc = NULL;
  if (res.err == RIPTIDE_OK) {
    uint64_t cap = ex_output_cap(p, c->len);
    if (!res.data || res.len > cap) {
      res.err = res.data ? RIPTIDE_ERR_OUTPUT_TOO_LARGE : RIPTIDE_ERR_BAD_RESULT;
      if (res.data)
        snprintf(res.detail, sizeof res.detail, "result of %zu bytes exceeds the %llu-byte cap",
                 res.len, (unsigned long long)cap);
    } else {
      riptide_err derr = rt_wire_decode(res.data, res.len, &doc, res.detail, sizeof res.detail);
      if (derr != RIPTIDE_OK) {
        doc = NULL;
        res.err = derr == RIPTIDE_ERR_NOMEM ? RIPTIDE_ERR_NOMEM : RIPTIDE_ERR_BAD_RESULT;
      }
    }
  }
  free(res.data);
  res.data = NULL;

  /* 6. fresh state (or discard) and release, then record */
  bool failed = ex_guest_failed(res.err);
  rt_release_kind kind = RT_RELEASE_KEEP;
  rt_slot_stats st;
  if (res.err == RIPTIDE_ERR_TIMEOUT) {
    kind = RT_RELEASE_DISCARD; /* an interrupted guest is never reused, not even reset */
    ops->slot_stats(l.slot, &st);
  } else if (ops->slot_reset(l.slot) != RIPTIDE_OK) {
    kind = RT_RELEASE_DISCARD;
    ops->slot_stats(l.slot, &st);
  } else {
    ops->slot_stats(l.slot, &st);
  }
  uint64_t iid = l.instance_id;
  rt_pool_release(p, &l, kind, &st, failed);
  if (rt_pool_wants(p, RT_EV_INSTANCE_RELEASED, RIPTIDE_SEV_TRACE)) {
    /* The slot's real memory (sandbox.h): held now, and the call's peak. */
    char rb[24], pb[24];
    snprintf(rb, sizeof rb, "%llu", (unsigned long long)st.resident_bytes);
    snprintf(pb, sizeof pb, "%llu", (unsigned long long)st.call_peak_bytes);
    rt_pool_emit(p, RT_EV_INSTANCE_RELEASED, RIPTIDE_SEV_TRACE, iid, "kept",
                 kind == RT_RELEASE_KEEP ? "1" : "0", "resident_bytes", rb, "call_peak_bytes", pb,
                 (const char *)NULL);
  }

  rt_breaker_info bi;
  rt_breaker_transition tr = rt_breaker_record(p->breaker, &t, !failed, &bi);
  ex_breaker_event(p, tr, &bi);

  if (res.err == RIPTIDE_OK) {
    rt_document_finish(doc); /* the native engine does the same (fb_extract) */
    doc->engine = "wasm";
    doc->fallback_reason = NULL;
    doc->guest_error = RIPTIDE_OK;
    doc->trap = RIPTIDE_TRAP_NONE;
    doc->wait_ns = c->o.wait_ns;
    doc->extract_ns = dt;
    doc->instance_id = iid;
    if (c->url && !doc->url) {
      doc->url = strdup(c->url);
      if (!doc->url) {
        riptide_document_free(doc);
        c->o.err = RIPTIDE_ERR_NOMEM;
        return RIPTIDE_ERR_NOMEM;
      }
    }
    c->o.err = RIPTIDE_OK;
    if (rt_pool_wants(p, RT_EV_EXTRACTION_COMPLETED, RIPTIDE_SEV_DEBUG)) {
      char us[24];
      snprintf(us, sizeof us, "%llu", (unsigned long long)(dt / 1000));
      rt_pool_emit(p, RT_EV_EXTRACTION_COMPLETED, RIPTIDE_SEV_DEBUG, iid, "engine", "wasm",
                   "duration_us", us, (const char *)NULL);
    }
    *out = doc;
    return RIPTIDE_OK;
  }

  c->o.guest_error = res.err;
  c->o.trap = res.err == RIPTIDE_ERR_TRAP ? res.trap : RIPTIDE_TRAP_NONE;
  if (!failed) { /* the input's fault, reported correctly by the guest */
    c->o.guest_error = RIPTIDE_OK;
    c->o.err = res.err;
    if (res.err == RIPTIDE_ERR_SELECTOR)
      ex_selector_detail(c->opts->selector);
    else
      rt_error_detail_set("%s", res.detail[0] ? res.detail : riptide_strerror(res.err));
    rt_pool_emit(p, RT_EV_EXTRACTION_FAILED, RIPTIDE_SEV_INFO, iid, "error",
                 riptide_err_name(res.err), "detail", res.detail, (const char *)NULL);
    return res.err;
  }
  if (res.err == RIPTIDE_ERR_TIMEOUT) {
    char ms[16];
    snprintf(ms, sizeof ms, "%u", p->cfg.timeout_ms);
    rt_pool_emit(p, RT_EV_EXTRACTION_TIMEOUT, RIPTIDE_SEV_WARN, iid, "timeout_ms", ms,
                 (const char *)NULL);
  } else {
    rt_pool_emit(p, RT_EV_EXTRACTION_FAILED, RIPTIDE_SEV_WARN, iid, "error",
                 riptide_err_name(res.err), "trap", riptide_trap_name(c->o.trap), "detail",
                 res.detail, (const char *)NULL);
  }
  snprintf(c->guest_detail, sizeof c->guest_detail, "%s",
           res.detail[0] ? res.detail : riptide_strerror(res.err));
  return ex_fallback(c, ex_reason(res.err), res.err, res.trap, out);
}

static riptide_err ex_extract(riptide_pool *p, const char *html, size_t len, const char *url,
                              const riptide_options *opts, riptide_document **out);
static riptide_err ex_extract_call(riptide_pool *p, const char *html, size_t len, const char *url,
                                   const riptide_options *opts, riptide_document **out);

riptide_err riptide_pool_extract(riptide_pool *p, const char *html, size_t len, const char *url,
                                 const riptide_options *opts, riptide_document **out)
{
  rt_error_detail_clear();
  if (!out)
    return RIPTIDE_ERR_INVALID_ARG;
  *out = NULL;
  if (!p || (!html && len > 0))
    return RIPTIDE_ERR_INVALID_ARG;
  /* Counted from here to the last access to p, so riptide_pool_free waits for the whole call
   * (refused calls and input errors too, which record metrics outside `active`). */
  rt_pool_enter(p, "riptide_pool_extract");
  riptide_err err = ex_extract(p, html, len, url, opts, out);
  rt_pool_leave(p);
  return err;
}

static riptide_err ex_extract(riptide_pool *p, const char *html, size_t len, const char *url,
                              const riptide_options *opts, riptide_document **out)
{
  riptide_options loaded; /* the caller's options, whatever riptide.h they were built with */
  riptide_err lerr = rt_options_load(opts, &loaded);
  if (lerr != RIPTIDE_OK)
    return lerr;
  opts = &loaded;
  /* Every event this call emits on this thread carries its call_id (rt_pool_emit). */
  rt_pool_call_id_set(opts->call_id);
  riptide_err r = ex_extract_call(p, html, len, url, opts, out);
  rt_pool_call_id_set(NULL);
  return r;
}

static riptide_err ex_extract_call(riptide_pool *p, const char *html, size_t len, const char *url,
                                   const riptide_options *opts, riptide_document **out)
{
  ex_call c = {.p = p, .html = html ? html : "", .len = len, .url = url, .opts = opts};
  rt_extraction_outcome_init(&c.o);

  riptide_err err = RIPTIDE_OK;
  if ((unsigned)opts->mode > RIPTIDE_MODE_CUSTOM) {
    err = RIPTIDE_ERR_UNSUPPORTED;
    rt_error_detail_set("mode %u is not article, full, metadata or custom", (unsigned)opts->mode);
  } else if (opts->mode == RIPTIDE_MODE_CUSTOM &&
             (err = riptide_selector_check(opts->selector, NULL, 0)) != RIPTIDE_OK) {
    /* checked before the breaker: the caller's error, never a guest failure */
    if (err == RIPTIDE_ERR_SELECTOR)
      ex_selector_detail(opts->selector);
  } else if (len > p->cfg.max_input_bytes) {
    err = RIPTIDE_ERR_INPUT_TOO_LARGE;
    rt_error_detail_set("input of %zu bytes exceeds the pool's max_input_bytes (%llu)", len,
                        (unsigned long long)p->cfg.max_input_bytes);
  }
  if (err != RIPTIDE_OK) {
    c.o.err = err;
    rt_metrics_record_extraction(p->metrics, &c.o);
    return err;
  }

  pthread_mutex_lock(&p->lock);
  if (p->shutting_down) {
    pthread_mutex_unlock(&p->lock);
    rt_error_detail_set("the pool is shutting down and takes no new calls");
    c.o.err = RIPTIDE_ERR_SHUTDOWN;
    rt_metrics_record_extraction(p->metrics, &c.o);
    return RIPTIDE_ERR_SHUTDOWN;
  }
  p->active++;
  pthread_mutex_unlock(&p->lock);

  rt_pool_emit(p, RT_EV_EXTRACTION_STARTED, RIPTIDE_SEV_DEBUG, 0, "mode",
               riptide_mode_name(opts->mode), (const char *)NULL);
  err = ex_run(&c, out);
  c.o.err = err;
  if (err == RIPTIDE_OK)
    rt_error_detail_clear(); /* a fallback's guest failure is in doc->guest_error, not here */
  else if (!riptide_last_error_detail()[0] && c.guest_detail[0])
    rt_error_detail_set("the guest failed (%s), then the native fallback failed", c.guest_detail);
  else if (!riptide_last_error_detail()[0] && err == RIPTIDE_ERR_FALLBACK_FAILED)
    rt_error_detail_set("the native fallback failed (the guest was not used: %s)",
                        riptide_err_name(c.o.guest_error));
  if (err != RIPTIDE_OK) {
    c.o.native = false;
    c.o.fallback = false;
  }
  rt_metrics_record_extraction(p->metrics, &c.o);

  pthread_mutex_lock(&p->lock);
  p->active--;
  if (p->shutting_down && p->active == 0 && p->leased == 0)
    pthread_cond_broadcast(&p->drain_cv);
  pthread_mutex_unlock(&p->lock);
  return err;
}
