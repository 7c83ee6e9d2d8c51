/* test_extraction.c - the flow of one document (src/pool/extraction.c) over the fake guest:
 * success, every hostile outcome and its fallback reason, the breaker gate, exhaustion,
 * input errors, fresh state, no lock held during the guest call, shutdown in flight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pool/pool.h"
#include "support/fake_guest.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char HTML[] =
    "<html><head><title>T</title></head><body><p>Hello world.</p></body></html>";

static riptide_pool *mk(pool_fake_guest *f, riptide_pool_config *c)
{
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  return p;
}

static void cfg_small(riptide_pool_config *c, uint32_t max)
{
  riptide_pool_config_init(c);
  c->max_slots = max;
  c->warm_slots = 1;
  c->health_interval_ms = 0;
  c->acquire_wait_ms = 1000;
  c->memory_cap_bytes = 16 * 65536; /* 16 pages */
  c->breaker_min_calls = 1000;      /* out of the way unless a test wants it */
  c->breaker_window = 1000;
}

static void check_totals(const riptide_metrics *m)
{
  assert_int_equal(m->extractions_total, m->extractions_succeeded + m->extractions_failed);
  assert_int_equal(m->extractions_succeeded, m->succeeded_wasm + m->succeeded_native);
  uint64_t fb = 0;
  for (int i = 0; i < RIPTIDE_FB_COUNT_; i++)
    fb += m->fallbacks_by_reason[i];
  assert_int_equal(fb, m->fallbacks);
}

static void test_success(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  cfg_small(&c, 2);
  riptide_pool *p = mk(f, &c);
  size_t wl;
  uint8_t *wire = pool_fake_wire_doc("A real title", "Body text.", &wl);
  pool_fake_step ok = {.kind = POOL_FAKE_OK, .wire = wire, .wire_len = wl};
  pool_fake_guest_push(f, &ok);

  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), "https://ex.test/a", NULL, &d),
                   RIPTIDE_OK);
  assert_non_null(d);
  assert_string_equal(d->engine, "wasm");
  assert_null(d->fallback_reason);
  assert_string_equal(d->title, "A real title");
  assert_string_equal(d->text, "Body text.");
  assert_string_equal(d->url, "https://ex.test/a");
  assert_true(d->instance_id != 0);
  assert_int_equal(d->guest_error, RIPTIDE_OK);
  riptide_document_free(d);

  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  assert_int_equal(m.extractions_total, 1);
  assert_int_equal(m.succeeded_wasm, 1);
  assert_int_equal(m.fallbacks, 0);
  assert_int_equal(m.extract_duration.count, 1);
  assert_int_equal(m.permit_wait.count, 1);
  assert_int_equal(m.in_flight, 0);

  /* Fresh state per document: every call is followed by a reset. */
  for (int i = 0; i < 5; i++) {
    assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
    assert_null(d->url);
    riptide_document_free(d);
  }
  pool_fake_counts k;
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.calls, 6);
  assert_int_equal(k.resets, 6);
  riptide_pool_free(p);
  free(wire);
  pool_fake_guest_free(f);
}

typedef struct hostile_case {
  pool_fake_step step;
  const char *reason;
  riptide_err guest_error;
  riptide_trap trap;
  bool discards; /* the slot is freed rather than reset */
} hostile_case;

static void test_hostile_outcomes_fall_back(void **state)
{
  (void)state;
  const hostile_case cases[] = {
      {{.kind = POOL_FAKE_TRAP, .trap = RIPTIDE_TRAP_OOB},
       "trap",
       RIPTIDE_ERR_TRAP,
       RIPTIDE_TRAP_OOB,
       false},
      {{.kind = POOL_FAKE_TRAP, .trap = RIPTIDE_TRAP_STACK_EXHAUSTION},
       "trap",
       RIPTIDE_ERR_TRAP,
       RIPTIDE_TRAP_STACK_EXHAUSTION,
       false},
      {{.kind = POOL_FAKE_TIMEOUT}, "timeout", RIPTIDE_ERR_TIMEOUT, RIPTIDE_TRAP_NONE, true},
      {{.kind = POOL_FAKE_GROW, .grow_pages = 100},
       "memory_limit",
       RIPTIDE_ERR_MEMORY_LIMIT,
       RIPTIDE_TRAP_NONE,
       false},
      {{.kind = POOL_FAKE_GUEST_ERROR},
       "guest_error",
       RIPTIDE_ERR_GUEST_ERROR,
       RIPTIDE_TRAP_NONE,
       false},
      {{.kind = POOL_FAKE_BAD_RESULT},
       "guest_error",
       RIPTIDE_ERR_BAD_RESULT,
       RIPTIDE_TRAP_NONE,
       false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const hostile_case *hc = &cases[i];
    pool_fake_guest *f = pool_fake_guest_new();
    riptide_pool_config c;
    cfg_small(&c, 2);
    riptide_pool *p = mk(f, &c);
    pool_rec *r = pool_rec_new();
    riptide_pool_subscribe(p, "extraction.", RIPTIDE_SEV_TRACE, pool_rec_fn, r);
    pool_fake_guest_push(f, &hc->step);
    riptide_document *d = NULL;
    assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), "https://ex.test/", NULL, &d),
                     RIPTIDE_OK);
    assert_non_null(d);
    assert_string_equal(d->engine, "native");
    assert_string_equal(d->fallback_reason, hc->reason);
    assert_int_equal(d->guest_error, hc->guest_error);
    assert_int_equal(d->trap, hc->trap);
    assert_int_equal(d->instance_id, 0);
    riptide_document_free(d);

    riptide_metrics m;
    riptide_pool_metrics(p, &m);
    check_totals(&m);
    assert_int_equal(m.extractions_total, 1);
    assert_int_equal(m.succeeded_native, 1);
    assert_int_equal(m.fallbacks, 1);
    riptide_fallback_reason want = hc->guest_error == RIPTIDE_ERR_TRAP      ? RIPTIDE_FB_TRAP
                                   : hc->guest_error == RIPTIDE_ERR_TIMEOUT ? RIPTIDE_FB_TIMEOUT
                                   : hc->guest_error == RIPTIDE_ERR_MEMORY_LIMIT
                                       ? RIPTIDE_FB_MEMORY_LIMIT
                                       : RIPTIDE_FB_GUEST_ERROR;
    assert_int_equal(m.fallbacks_by_reason[want], 1);
    if (hc->trap != RIPTIDE_TRAP_NONE)
      assert_int_equal(m.traps_by_kind[hc->trap], 1);
    assert_int_equal(m.timeouts, hc->guest_error == RIPTIDE_ERR_TIMEOUT ? 1 : 0);
    assert_int_equal(m.grow_failures, hc->guest_error == RIPTIDE_ERR_MEMORY_LIMIT ? 1 : 0);

    pool_fake_counts k;
    pool_fake_guest_counts(f, &k);
    assert_int_equal(k.slots_freed, hc->discards ? 1 : 0);
    assert_int_equal(k.resets, hc->discards ? 0 : 1);
    riptide_pool_status st;
    riptide_pool_status_get(p, &st);
    assert_int_equal(st.leased, 0);
    assert_int_equal(st.available, 2);

    assert_int_equal(rt_events_flush(p->events, 5000), RIPTIDE_OK);
    assert_int_equal(pool_rec_count(r, RT_EV_EXTRACTION_FALLBACK_USED), 1);
    pool_rec_event e;
    assert_true(pool_rec_get(r, RT_EV_EXTRACTION_FALLBACK_USED, 0, &e));
    assert_true(pool_rec_has(&e, "reason", hc->reason));
    assert_int_equal(pool_rec_count(r, RT_EV_EXTRACTION_TIMEOUT),
                     hc->guest_error == RIPTIDE_ERR_TIMEOUT ? 1 : 0);
    assert_int_equal(pool_rec_count(r, RT_EV_EXTRACTION_FAILED),
                     hc->guest_error == RIPTIDE_ERR_TIMEOUT ? 0 : 1);
    riptide_pool_free(p);
    pool_rec_free(r);
    pool_fake_guest_free(f);
  }
}

static void test_instantiation_failure_falls_back(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  cfg_small(&c, 1);
  c.warm_slots = 0;
  riptide_pool *p = mk(f, &c);
  pool_fake_guest_fail_slot_new(f, 1);
  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
  assert_string_equal(d->engine, "native");
  assert_string_equal(d->fallback_reason, "guest_error");
  assert_int_equal(d->guest_error, RIPTIDE_ERR_INSTANTIATE);
  riptide_document_free(d);
  /* The next call creates the slot and uses the guest. */
  assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
  assert_string_equal(d->engine, "wasm");
  riptide_document_free(d);
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_GUEST_ERROR], 1);
  assert_int_equal(m.succeeded_wasm, 1);
  riptide_pool_free(p);
  pool_fake_guest_free(f);
}

static void test_fallback_disabled(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  cfg_small(&c, 2);
  c.fallback_enabled = false;
  riptide_pool *p = mk(f, &c);
  pool_fake_step trap = {.kind = POOL_FAKE_TRAP, .trap = RIPTIDE_TRAP_UNREACHABLE};
  pool_fake_step to = {.kind = POOL_FAKE_TIMEOUT};
  pool_fake_guest_push(f, &trap);
  pool_fake_guest_push(f, &to);
  riptide_document *d = (riptide_document *)0x1;
  assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_ERR_TRAP);
  assert_null(d);
  assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d),
                   RIPTIDE_ERR_TIMEOUT);
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  assert_int_equal(m.extractions_failed, 2);
  assert_int_equal(m.traps_by_kind[RIPTIDE_TRAP_UNREACHABLE], 1);
  assert_int_equal(m.timeouts, 1);
  assert_int_equal(m.fallbacks, 0);
  riptide_pool_free(p);
  pool_fake_guest_free(f);
}

static void test_breaker_gate(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  pool_fake_clock_t clk = {0};
  riptide_pool_config c;
  cfg_small(&c, 2);
  c.clock = pool_fake_clock;
  c.clock_ctx = &clk;
  c.breaker_window = 4;
  c.breaker_min_calls = 2;
  c.breaker_failure_pct = 50;
  c.breaker_cooldown_ms = 100;
  c.breaker_probes = 1;
  c.breaker_max_cooldown_ms = 400;
  riptide_pool *p = mk(f, &c);
  pool_rec *r = pool_rec_new();
  riptide_pool_subscribe(p, "pool.circuit_breaker", RIPTIDE_SEV_TRACE, pool_rec_fn, r);

  pool_fake_step trap = {.kind = POOL_FAKE_TRAP, .trap = RIPTIDE_TRAP_OOB};
  pool_fake_guest_push_n(f, &trap, 2);
  riptide_document *d;
  for (int i = 0; i < 2; i++) {
    assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
    assert_string_equal(d->fallback_reason, "trap");
    riptide_document_free(d);
  }
  riptide_pool_status st;
  riptide_pool_status_get(p, &st);
  assert_int_equal(st.breaker_state, 1);

  /* Open: the guest is not called at all. */
  pool_fake_counts k0, k1;
  pool_fake_guest_counts(f, &k0);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
    assert_string_equal(d->engine, "native");
    assert_string_equal(d->fallback_reason, "circuit_open");
    assert_int_equal(d->guest_error, RIPTIDE_ERR_CIRCUIT_OPEN);
    riptide_document_free(d);
  }
  pool_fake_guest_counts(f, &k1);
  assert_int_equal(k1.calls, k0.calls);

  /* Cool-down over: one probe succeeds -> closed. */
  pool_fake_clock_advance_ms(&clk, 100);
  assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
  assert_string_equal(d->engine, "wasm");
  riptide_document_free(d);
  riptide_pool_status_get(p, &st);
  assert_int_equal(st.breaker_state, 0);

  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  assert_int_equal(m.breaker_trips, 1);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_CIRCUIT_OPEN], 3);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_TRAP], 2);
  assert_int_equal(m.succeeded_wasm, 1);
  assert_int_equal(rt_events_flush(p->events, 5000), RIPTIDE_OK);
  assert_int_equal(pool_rec_count(r, RT_EV_BREAKER_TRIPPED), 1);
  assert_int_equal(pool_rec_count(r, RT_EV_BREAKER_RESET), 1);
  pool_rec_event e;
  assert_true(pool_rec_get(r, RT_EV_BREAKER_TRIPPED, 0, &e));
  assert_true(pool_rec_has(&e, "window_failures", "2"));
  riptide_pool_free(p);
  pool_rec_free(r);
  pool_fake_guest_free(f);
}

typedef struct call_arg {
  riptide_pool *p;
  riptide_err err;
  riptide_document *doc;
} call_arg;

static void *call_main(void *arg)
{
  call_arg *a = arg;
  a->err = riptide_pool_extract(a->p, HTML, strlen(HTML), NULL, NULL, &a->doc);
  return NULL;
}

static void test_exhaustion(void **state)
{
  (void)state;
  for (int fb = 0; fb < 2; fb++) {
    pool_fake_guest *f = pool_fake_guest_new();
    riptide_pool_config c;
    cfg_small(&c, 1);
    c.acquire_wait_ms = 20;
    c.fallback_on_exhausted = fb == 1;
    riptide_pool *p = mk(f, &c);
    pool_rec *r = pool_rec_new();
    riptide_pool_subscribe(p, "pool.pool_exhausted", RIPTIDE_SEV_TRACE, pool_rec_fn, r);
    pool_fake_step block = {.kind = POOL_FAKE_BLOCK};
    pool_fake_guest_push(f, &block);
    call_arg a = {.p = p};
    pthread_t t;
    pthread_create(&t, NULL, call_main, &a);
    assert_true(pool_fake_guest_wait_blocked(f, 1, 10000));

    /* No lock is held while the guest runs: status and metrics answer during the call. */
    riptide_pool_status st;
    riptide_pool_status_get(p, &st);
    assert_int_equal(st.in_flight, 1);
    assert_int_equal(st.leased, 1);
    assert_int_equal(st.available, 0);

    riptide_document *d = NULL;
    riptide_err err = riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d);
    if (fb) {
      assert_int_equal(err, RIPTIDE_OK);
      assert_string_equal(d->engine, "native");
      assert_string_equal(d->fallback_reason, "pool_exhausted");
      assert_true(d->wait_ns >= 20ull * 1000000ull);
      riptide_document_free(d);
    } else {
      assert_int_equal(err, RIPTIDE_ERR_POOL_EXHAUSTED);
      assert_null(d);
    }
    pool_fake_guest_gate_open(f);
    pthread_join(t, NULL);
    assert_int_equal(a.err, RIPTIDE_OK);
    assert_string_equal(a.doc->engine, "wasm");
    riptide_document_free(a.doc);

    /* Recovery: the next call gets the slot at once. */
    assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
    assert_string_equal(d->engine, "wasm");
    riptide_document_free(d);

    riptide_metrics m;
    riptide_pool_metrics(p, &m);
    check_totals(&m);
    assert_int_equal(m.extractions_total, 3);
    assert_int_equal(m.pool_exhausted, 1);
    assert_int_equal(m.extractions_failed, fb ? 0 : 1);
    assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_POOL_EXHAUSTED], fb ? 1 : 0);
    assert_int_equal(m.breaker_state, 0);
    assert_int_equal(rt_events_flush(p->events, 5000), RIPTIDE_OK);
    assert_int_equal(pool_rec_count(r, RT_EV_POOL_EXHAUSTED), 1);
    riptide_pool_free(p);
    pool_rec_free(r);
    pool_fake_guest_free(f);
  }
}

static void test_half_open_probe_limit(void **state)
{
  (void)state;
  /* Upstream defect: half-open admitted unlimited concurrent probes. Here exactly
   * breaker_probes callers reach the guest; everyone else gets the fallback meanwhile. */
  pool_fake_guest *f = pool_fake_guest_new();
  pool_fake_clock_t clk = {0};
  riptide_pool_config c;
  cfg_small(&c, 4);
  c.clock = pool_fake_clock;
  c.clock_ctx = &clk;
  c.breaker_window = 2;
  c.breaker_min_calls = 2;
  c.breaker_failure_pct = 50;
  c.breaker_cooldown_ms = 100;
  c.breaker_probes = 2;
  c.breaker_max_cooldown_ms = 400;
  riptide_pool *p = mk(f, &c);
  pool_fake_step trap = {.kind = POOL_FAKE_TRAP, .trap = RIPTIDE_TRAP_OOB};
  pool_fake_guest_push_n(f, &trap, 2);
  riptide_document *d;
  for (int i = 0; i < 2; i++) {
    assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
    riptide_document_free(d);
  }
  pool_fake_clock_advance_ms(&clk, 100); /* cool-down over: the next callers are probes */
  pool_fake_step block = {.kind = POOL_FAKE_BLOCK};
  pool_fake_guest_push_n(f, &block, 2);
  call_arg a[2] = {{.p = p}, {.p = p}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&t[i], NULL, call_main, &a[i]);
  assert_true(pool_fake_guest_wait_blocked(f, 2, 10000));
  pool_fake_counts k0, k1;
  pool_fake_guest_counts(f, &k0);
  for (int i = 0; i < 10; i++) {
    assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
    assert_string_equal(d->fallback_reason, "circuit_open");
    riptide_document_free(d);
  }
  pool_fake_guest_counts(f, &k1);
  assert_int_equal(k1.calls, k0.calls); /* no third probe reached the guest */
  riptide_pool_status st;
  riptide_pool_status_get(p, &st);
  assert_int_equal(st.breaker_state, 2);
  pool_fake_guest_gate_open(f);
  for (int i = 0; i < 2; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(a[i].err, RIPTIDE_OK);
    assert_string_equal(a[i].doc->engine, "wasm");
    riptide_document_free(a[i].doc);
  }
  riptide_pool_status_get(p, &st);
  assert_int_equal(st.breaker_state, 0); /* both probes succeeded */
  assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
  assert_string_equal(d->engine, "wasm");
  riptide_document_free(d);
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  assert_int_equal(m.fallbacks_by_reason[RIPTIDE_FB_CIRCUIT_OPEN], 10);
  riptide_pool_free(p);
  pool_fake_guest_free(f);
}

static void test_deadline_enforced(void **state)
{
  (void)state;
  /* A guest that never returns by itself is cut at the deadline (the fake's block honours
   * the slot's timeout like the real sandbox), the slot is discarded and a new one made. */
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  cfg_small(&c, 1);
  c.timeout_ms = 30;
  riptide_pool *p = mk(f, &c);
  pool_fake_step block = {.kind = POOL_FAKE_BLOCK};
  pool_fake_guest_push(f, &block);
  riptide_document *d;
  assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
  assert_string_equal(d->fallback_reason, "timeout");
  assert_true(d->extract_ns >= 30ull * 1000000ull);
  riptide_document_free(d);
  assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d), RIPTIDE_OK);
  assert_string_equal(d->engine, "wasm");
  riptide_document_free(d);
  pool_fake_counts k;
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.slots_created, 2);
  assert_int_equal(k.slots_freed, 1);
  riptide_pool_free(p);
  pool_fake_guest_free(f);
}

static void test_input_errors(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  cfg_small(&c, 2);
  c.max_input_bytes = 16;
  c.breaker_window = 2;
  c.breaker_min_calls = 1;
  riptide_pool *p = mk(f, &c);
  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(p, HTML, 8, NULL, NULL, NULL), RIPTIDE_ERR_INVALID_ARG);
  assert_int_equal(riptide_pool_extract(NULL, HTML, 8, NULL, NULL, &d), RIPTIDE_ERR_INVALID_ARG);
  assert_int_equal(riptide_pool_extract(p, NULL, 8, NULL, NULL, &d), RIPTIDE_ERR_INVALID_ARG);
  assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d),
                   RIPTIDE_ERR_INPUT_TOO_LARGE);
  riptide_options o;
  riptide_options_init(&o);
  o.mode = RIPTIDE_MODE_CUSTOM;
  assert_int_equal(riptide_pool_extract(p, HTML, 8, NULL, &o, &d), RIPTIDE_ERR_SELECTOR);
  o.selector = "p\nhtml=1";
  assert_int_equal(riptide_pool_extract(p, HTML, 8, NULL, &o, &d), RIPTIDE_ERR_SELECTOR);
  o.mode = (riptide_mode)7;
  assert_int_equal(riptide_pool_extract(p, HTML, 8, NULL, &o, &d), RIPTIDE_ERR_UNSUPPORTED);

  /* A bad selector reported by the guest is the input's fault: an error, no fallback, and
   * the breaker (min 1 call) does not open. (The host's check refuses "div[[" before the
   * guest: the fake guest reports the error for a selector the check accepts.) */
  o.mode = RIPTIDE_MODE_CUSTOM;
  o.selector = "div";
  pool_fake_step sel = {.kind = POOL_FAKE_SELECTOR};
  pool_fake_guest_push(f, &sel);
  assert_int_equal(riptide_pool_extract(p, HTML, 8, NULL, &o, &d), RIPTIDE_ERR_SELECTOR);
  assert_null(d);
  riptide_pool_status st;
  riptide_pool_status_get(p, &st);
  assert_int_equal(st.breaker_state, 0);
  pool_fake_counts k;
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.calls, 1);
  assert_int_equal(k.resets, 1);

  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  assert_int_equal(m.extractions_total, 5); /* argument errors before the pool are not calls */
  assert_int_equal(m.extractions_failed, 5);
  riptide_pool_free(p);
  pool_fake_guest_free(f);
}

static void test_shutdown_with_calls_in_flight(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  riptide_pool_config c;
  cfg_small(&c, 3);
  c.timeout_ms = 600000;
  riptide_pool *p = mk(f, &c);
  pool_fake_step block = {.kind = POOL_FAKE_BLOCK};
  pool_fake_guest_push_n(f, &block, 3);
  call_arg a[3];
  pthread_t t[3];
  for (int i = 0; i < 3; i++) {
    a[i] = (call_arg){.p = p};
    pthread_create(&t[i], NULL, call_main, &a[i]);
  }
  assert_true(pool_fake_guest_wait_blocked(f, 3, 10000));
  assert_int_equal(riptide_pool_shutdown(p, 20), RIPTIDE_ERR_TIMEOUT);
  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d),
                   RIPTIDE_ERR_SHUTDOWN);
  pool_fake_guest_gate_open(f);
  for (int i = 0; i < 3; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(a[i].err, RIPTIDE_OK); /* calls in flight finish normally */
    riptide_document_free(a[i].doc);
  }
  assert_int_equal(riptide_pool_shutdown(p, 1000), RIPTIDE_OK);
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  assert_int_equal(m.extractions_total, 4);
  assert_int_equal(m.succeeded_wasm, 3);
  assert_int_equal(m.in_flight, 0);
  riptide_pool_free(p);
  pool_fake_counts k;
  pool_fake_guest_counts(f, &k);
  assert_int_equal(k.slots_created, k.slots_freed);
  pool_fake_guest_free(f);
}

/* ---- over the real sandbox (the sandbox helper's hostile test guest), when linked ---------- */

static const char *g_what;
static const char *what_choose(void *ctx, uint64_t no)
{
  (void)ctx;
  (void)no;
  return g_what;
}

static void test_real_sandbox_hostile(void **state)
{
  (void)state;
  const rt_guest *hostile = pool_real_hostile_guest();
  if (!hostile) {
    print_message("real sandbox test guests not linked (mk/wasm.mk); skipped\n");
    skip();
  }
  pool_proxy_guest *x = pool_proxy_guest_new(hostile, what_choose, NULL);
  riptide_pool_config c;
  cfg_small(&c, 2);
  c.timeout_ms = 1000; /* room for the 32 MiB allocation under TSan on a loaded machine */
  c.memory_cap_bytes = 32ull << 20;
  c.max_output_bytes = 1u << 20;
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_proxy_guest_get(x), &p), RIPTIDE_OK);
  static const struct {
    const char *what;
    const char *reason; /* NULL: the guest's document */
    riptide_err guest_error;
    riptide_trap trap;
  } cases[] = {
      {"ok", NULL, RIPTIDE_OK, RIPTIDE_TRAP_NONE},
      {"loop", "timeout", RIPTIDE_ERR_TIMEOUT, RIPTIDE_TRAP_NONE},
      {"alloc", "memory_limit", 0, RIPTIDE_TRAP_NONE},
      {"recurse", "trap", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_STACK_EXHAUSTION},
      {"unreachable", "trap", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_UNREACHABLE},
      {"oob", "trap", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_OOB},
      {"divzero", "trap", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_INT_DIV_ZERO},
      {"indirect", "trap", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_CALL_INDIRECT},
      {"badptr", "guest_error", RIPTIDE_ERR_BAD_RESULT, RIPTIDE_TRAP_NONE},
      {"badlen", "guest_error", RIPTIDE_ERR_BAD_RESULT, RIPTIDE_TRAP_NONE},
      /* Over the output cap: returned as such, not sent to the fallback (its result would be
       * as large). */
      {"big", "", RIPTIDE_ERR_OUTPUT_TOO_LARGE, RIPTIDE_TRAP_NONE},
      {"status", "guest_error", RIPTIDE_ERR_GUEST_ERROR, RIPTIDE_TRAP_NONE},
      {"ok", NULL, RIPTIDE_OK, RIPTIDE_TRAP_NONE}, /* the slots still work afterwards */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    g_what = cases[i].what;
    riptide_document *d = NULL;
    riptide_err err = riptide_pool_extract(p, HTML, strlen(HTML), NULL, NULL, &d);
    print_message("real sandbox: do=%s -> %s engine=%s reason=%s guest_error=%s trap=%s\n",
                  cases[i].what, riptide_err_name(err), d ? d->engine : "-",
                  d && d->fallback_reason ? d->fallback_reason : "-",
                  d ? riptide_err_name(d->guest_error) : "-", d ? riptide_trap_name(d->trap) : "-");
    if (cases[i].reason && !cases[i].reason[0]) {
      assert_int_equal(err, cases[i].guest_error);
      assert_null(d);
      continue;
    }
    assert_int_equal(err, RIPTIDE_OK);
    if (!cases[i].reason) {
      assert_string_equal(d->engine, "wasm");
      assert_string_equal(d->title, HTML); /* the hostile guest echoes its input as title */
    } else {
      assert_string_equal(d->engine, "native");
      assert_string_equal(d->fallback_reason, cases[i].reason);
      if (cases[i].guest_error != 0)
        assert_int_equal(d->guest_error, cases[i].guest_error);
      assert_int_equal(d->trap, cases[i].trap);
    }
    riptide_document_free(d);
  }
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  check_totals(&m);
  assert_int_equal(m.extractions_total, sizeof cases / sizeof cases[0]);
  assert_int_equal(m.succeeded_wasm, 2);
  assert_int_equal(m.timeouts, 1);
  riptide_pool_free(p);
  pool_proxy_guest_free(x);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_success),
      cmocka_unit_test(test_hostile_outcomes_fall_back),
      cmocka_unit_test(test_instantiation_failure_falls_back),
      cmocka_unit_test(test_fallback_disabled),
      cmocka_unit_test(test_breaker_gate),
      cmocka_unit_test(test_exhaustion),
      cmocka_unit_test(test_half_open_probe_limit),
      cmocka_unit_test(test_deadline_enforced),
      cmocka_unit_test(test_input_errors),
      cmocka_unit_test(test_shutdown_with_calls_in_flight),
      cmocka_unit_test(test_real_sandbox_hostile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
