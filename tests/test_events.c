/*
 * test_events.c - the event bus: order, drop counting with a blocked subscriber, filters,
 * unsubscribe guarantees, truncation, emit from many threads, flush, JSON.
 * Synchronisation with the dispatcher uses rt_events_flush and condition variables, no sleeps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "events/events.h"
#include "common/limits.h"

#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- a recording subscriber ---------------------------------------------------------------- */

#define REC_MAX 50000

typedef struct rec_event {
  uint64_t seq, ts, pool_id, instance_id;
  riptide_severity sev;
  char type[64];
  uint32_t n_meta;
  char key0[64], val0[1100], key1[64], val1[64];
  bool truncated;
} rec_event;

typedef struct recorder {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  rec_event *ev; /* REC_MAX */
  size_t n;
  /* Gate: while `blocked`, the handler signals `entered` and waits for the test to open it. */
  bool block;
  bool entered;
  bool running;
  size_t calls_after_unsub;
  bool unsubscribed;
  uint64_t self_unsub_id; /* when set, the handler unsubscribes itself on its first call */
  rt_events *bus;
  riptide_err flush_from_handler;
  bool emit_follow_up;
} recorder;

static void rec_init(recorder *r)
{
  memset(r, 0, sizeof(*r));
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
  r->ev = calloc(REC_MAX, sizeof(rec_event));
  assert_non_null(r->ev);
}

static void rec_destroy(recorder *r)
{
  free(r->ev);
  pthread_cond_destroy(&r->cv);
  pthread_mutex_destroy(&r->mu);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
  snprintf(dst, cap, "%s", src ? src : "(null)");
}

static void rec_handler(const riptide_event *ev, void *ctx)
{
  recorder *r = ctx;
  pthread_mutex_lock(&r->mu);
  r->running = true;
  if (r->unsubscribed)
    r->calls_after_unsub++;
  if (r->block) {
    r->entered = true;
    pthread_cond_broadcast(&r->cv);
    while (r->block)
      pthread_cond_wait(&r->cv, &r->mu);
  }
  if (r->n < REC_MAX) {
    rec_event *e = &r->ev[r->n++];
    e->seq = ev->seq;
    e->ts = ev->timestamp_ns;
    e->pool_id = ev->pool_id;
    e->instance_id = ev->instance_id;
    e->sev = ev->severity;
    copy_str(e->type, sizeof(e->type), ev->type);
    e->n_meta = ev->n_meta;
    e->truncated = ev->truncated;
    if (ev->n_meta > 0) {
      copy_str(e->key0, sizeof(e->key0), ev->meta_key[0]);
      copy_str(e->val0, sizeof(e->val0), ev->meta_val[0]);
    }
    if (ev->n_meta > 1) {
      copy_str(e->key1, sizeof(e->key1), ev->meta_key[1]);
      copy_str(e->val1, sizeof(e->val1), ev->meta_val[1]);
    }
  }
  uint64_t self = r->self_unsub_id;
  r->self_unsub_id = 0;
  bool follow = r->emit_follow_up;
  r->emit_follow_up = false;
  rt_events *bus = r->bus;
  r->running = false;
  pthread_cond_broadcast(&r->cv); /* rec_wait_count */
  pthread_mutex_unlock(&r->mu);
  /* Calls back into the bus from the handler, with no lock of ours held. */
  if (self)
    rt_events_unsubscribe(bus, self);
  if (bus && follow) {
    riptide_err fe = rt_events_flush(bus, 0);
    pthread_mutex_lock(&r->mu);
    r->flush_from_handler = fe;
    pthread_mutex_unlock(&r->mu);
    rt_events_emit(bus, "test.follow_up", RIPTIDE_SEV_INFO, 0, NULL, 0);
  }
}

static size_t rec_count(recorder *r)
{
  pthread_mutex_lock(&r->mu);
  size_t n = r->n;
  pthread_mutex_unlock(&r->mu);
  return n;
}

static void rec_wait_entered(recorder *r)
{
  pthread_mutex_lock(&r->mu);
  while (!r->entered)
    pthread_cond_wait(&r->cv, &r->mu);
  pthread_mutex_unlock(&r->mu);
}

/* Waits (condition variable, up to 30 s as a hang guard) until n events were recorded. */
static bool rec_wait_count(recorder *r, size_t n)
{
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 30;
  bool ok = true;
  pthread_mutex_lock(&r->mu);
  while (r->n < n && ok)
    ok = pthread_cond_timedwait(&r->cv, &r->mu, &dl) == 0 || r->n >= n;
  pthread_mutex_unlock(&r->mu);
  return ok;
}

static void rec_open_gate(recorder *r)
{
  pthread_mutex_lock(&r->mu);
  r->block = false;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

typedef struct fake_clock {
  _Atomic uint64_t now;
} fake_clock;
static uint64_t fake_now(void *ctx)
{
  return atomic_fetch_add(&((fake_clock *)ctx)->now, 10);
}

static rt_events *mk_bus(uint32_t ring, uint64_t pool_id, fake_clock *clk)
{
  rt_events_config c;
  rt_events_config_init(&c);
  assert_int_equal(c.ring_size, 1024);
  c.ring_size = ring;
  c.pool_id = pool_id;
  if (clk) {
    c.clock = fake_now;
    c.clock_ctx = clk;
  }
  rt_events *bus = NULL;
  assert_int_equal(rt_events_new(&c, &bus), RIPTIDE_OK);
  assert_non_null(bus);
  return bus;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_basic_fields(void **state)
{
  (void)state;
  fake_clock clk = {1000};
  rt_events *bus = mk_bus(16, 42, &clk);
  recorder r;
  rec_init(&r);
  uint64_t id = rt_events_subscribe(bus, "", RIPTIDE_SEV_TRACE, rec_handler, &r);
  assert_true(id > 0);
  rt_event_kv meta[] = {{"slot", "7"}, {"reason", "age"}};
  assert_int_equal(rt_events_emit(bus, RT_EV_INSTANCE_CREATED, RIPTIDE_SEV_INFO, 7, meta, 2),
                   RT_EVENTS_QUEUED);
  assert_int_equal(rt_events_emit(bus, RT_EV_HEALTH_CHECK, RIPTIDE_SEV_DEBUG, 0, NULL, 0),
                   RT_EVENTS_QUEUED);
  rt_event_kv nullval[] = {{"k", NULL}};
  assert_int_equal(rt_events_emit(bus, RT_EV_EXTRACTION_FAILED, RIPTIDE_SEV_ERROR, 3, nullval, 1),
                   RT_EVENTS_QUEUED);
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
  assert_int_equal(rec_count(&r), 3);
  rec_event *e = r.ev;
  assert_string_equal(e[0].type, "pool.instance_created");
  assert_int_equal(e[0].seq, 1);
  assert_int_equal(e[0].ts, 1000);
  assert_int_equal(e[0].pool_id, 42);
  assert_int_equal(e[0].instance_id, 7);
  assert_int_equal(e[0].sev, RIPTIDE_SEV_INFO);
  assert_int_equal(e[0].n_meta, 2);
  assert_string_equal(e[0].key0, "slot");
  assert_string_equal(e[0].val0, "7");
  assert_string_equal(e[0].key1, "reason");
  assert_string_equal(e[0].val1, "age");
  assert_false(e[0].truncated);
  assert_string_equal(e[1].type, "pool.health_check");
  assert_int_equal(e[1].seq, 2);
  assert_int_equal(e[1].ts, 1010);
  assert_int_equal(e[1].n_meta, 0);
  assert_int_equal(e[2].seq, 3);
  assert_string_equal(e[2].val0, "");

  rt_events_stats st;
  rt_events_stats_get(bus, &st);
  assert_int_equal(st.emitted, 3);
  assert_int_equal(st.dispatched, 3);
  assert_int_equal(st.dropped, 0);
  assert_int_equal(st.pending, 0);
  assert_int_equal(st.handler_calls, 3);
  assert_int_equal(st.subscribers, 1);
  assert_int_equal(st.ring_size, 16);
  rt_events_free(bus);
  rec_destroy(&r);
}

static void test_order_preserved(void **state)
{
  (void)state;
  rt_events *bus = mk_bus(64, 1, NULL);
  recorder r;
  rec_init(&r);
  rt_events_subscribe(bus, NULL, RIPTIDE_SEV_TRACE, rec_handler, &r);
  size_t accepted = 0;
  for (int i = 0; i < 5000; i++) {
    char buf[16];
    snprintf(buf, sizeof(buf), "%d", i);
    rt_event_kv kv = {"i", buf};
    if (rt_events_emit(bus, "test.order", RIPTIDE_SEV_INFO, 0, &kv, 1) == RT_EVENTS_QUEUED) {
      accepted++;
    } else {
      /* The ring is small: wait until it drains, then go on. Drops are allowed here, but we
       * keep them out of this test to check that every accepted event arrives in order. */
      assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
      i--;
    }
  }
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
  assert_int_equal(rec_count(&r), 5000);
  for (size_t i = 0; i < 5000; i++) {
    char buf[16];
    snprintf(buf, sizeof(buf), "%zu", i);
    assert_string_equal(r.ev[i].val0, buf);
    assert_int_equal(r.ev[i].seq, i + 1);
  }
  rt_events_stats st;
  rt_events_stats_get(bus, &st);
  assert_int_equal(accepted, 5000);
  assert_int_equal(st.emitted, 5000); /* drops (retried above) never consumed a seq */
  rt_events_free(bus);
  rec_destroy(&r);
}

/* A subscriber blocked on a condition the test controls: the ring fills, the rest is dropped
 * and counted, emit never blocks. */
static void test_drop_counting_slow_subscriber(void **state)
{
  (void)state;
  rt_events *bus = mk_bus(8, 1, NULL);
  recorder r;
  rec_init(&r);
  r.block = true;
  rt_events_subscribe(bus, "", RIPTIDE_SEV_TRACE, rec_handler, &r);
  assert_int_equal(rt_events_emit(bus, "test.slow", RIPTIDE_SEV_INFO, 0, NULL, 0),
                   RT_EVENTS_QUEUED);
  rec_wait_entered(&r); /* the dispatcher now holds event 1 in the handler */
  int queued = 0, dropped = 0;
  for (int i = 0; i < 20; i++) {
    rt_events_emit_result res = rt_events_emit(bus, "test.slow", RIPTIDE_SEV_INFO, 0, NULL, 0);
    queued += res == RT_EVENTS_QUEUED;
    dropped += res == RT_EVENTS_DROPPED;
  }
  /* Event 1's slot stays occupied until its handler returns: 7 more fit. */
  assert_int_equal(queued, 7);
  assert_int_equal(dropped, 13);
  rt_events_stats st;
  rt_events_stats_get(bus, &st);
  assert_int_equal(st.dropped, 13);
  assert_int_equal(st.emitted, 8);
  assert_int_equal(st.pending, 8);
  assert_int_equal(st.dispatched, 0);
  assert_int_equal(rt_events_flush(bus, 1), RIPTIDE_ERR_TIMEOUT); /* handler still blocked */
  rec_open_gate(&r);
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
  assert_int_equal(rec_count(&r), 8);
  for (size_t i = 0; i < 8; i++)
    assert_int_equal(r.ev[i].seq, i + 1);
  /* Room again. */
  assert_int_equal(rt_events_emit(bus, "test.slow", RIPTIDE_SEV_INFO, 0, NULL, 0),
                   RT_EVENTS_QUEUED);
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
  assert_int_equal(r.ev[8].seq, 9);
  rt_events_free(bus);
  rec_destroy(&r);
}

static void test_prefix_and_severity_filters(void **state)
{
  (void)state;
  rt_events *bus = mk_bus(128, 1, NULL);
  recorder pool_warn, extraction_all, everything_error, instance_all;
  rec_init(&pool_warn);
  rec_init(&extraction_all);
  rec_init(&everything_error);
  rec_init(&instance_all);
  assert_true(rt_events_subscribe(bus, "pool.", RIPTIDE_SEV_WARN, rec_handler, &pool_warn));
  assert_true(
      rt_events_subscribe(bus, "extraction.", RIPTIDE_SEV_TRACE, rec_handler, &extraction_all));
  assert_true(rt_events_subscribe(bus, "", RIPTIDE_SEV_ERROR, rec_handler, &everything_error));
  assert_true(
      rt_events_subscribe(bus, "pool.instance_", RIPTIDE_SEV_TRACE, rec_handler, &instance_all));
  assert_int_equal(rt_events_subscribe(bus, "", RIPTIDE_SEV_TRACE, NULL, NULL), 0);
  assert_int_equal(rt_events_subscribe(bus, "", (riptide_severity)99, rec_handler, &pool_warn), 0);

  struct {
    const char *type;
    riptide_severity sev;
  } evs[] = {
      {RT_EV_INSTANCE_CREATED, RIPTIDE_SEV_INFO},    /* instance */
      {RT_EV_INSTANCE_UNHEALTHY, RIPTIDE_SEV_WARN},  /* pool_warn, instance */
      {RT_EV_BREAKER_TRIPPED, RIPTIDE_SEV_ERROR},    /* pool_warn, error */
      {RT_EV_EXTRACTION_STARTED, RIPTIDE_SEV_TRACE}, /* extraction */
      {RT_EV_EXTRACTION_FAILED, RIPTIDE_SEV_ERROR},  /* extraction, error */
      {RT_EV_POOL_EXHAUSTED, RIPTIDE_SEV_CRITICAL},  /* pool_warn, error */
      {"poolx.other", RIPTIDE_SEV_CRITICAL},         /* error only ("pool." needs the dot) */
      {"extraction", RIPTIDE_SEV_INFO},              /* nobody: shorter than the prefix */
  };
  for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
    assert_int_equal(rt_events_emit(bus, evs[i].type, evs[i].sev, 0, NULL, 0), RT_EVENTS_QUEUED);
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
  assert_int_equal(rec_count(&pool_warn), 3);
  assert_string_equal(pool_warn.ev[0].type, RT_EV_INSTANCE_UNHEALTHY);
  assert_string_equal(pool_warn.ev[1].type, RT_EV_BREAKER_TRIPPED);
  assert_string_equal(pool_warn.ev[2].type, RT_EV_POOL_EXHAUSTED);
  assert_int_equal(rec_count(&extraction_all), 2);
  assert_string_equal(extraction_all.ev[0].type, RT_EV_EXTRACTION_STARTED);
  assert_int_equal(rec_count(&everything_error), 4);
  assert_string_equal(everything_error.ev[3].type, "poolx.other");
  assert_int_equal(rec_count(&instance_all), 2);
  rt_events_free(bus);
  rec_destroy(&pool_warn);
  rec_destroy(&extraction_all);
  rec_destroy(&everything_error);
  rec_destroy(&instance_all);
}

typedef struct unsub_arg {
  rt_events *bus;
  uint64_t id;
  recorder *r;
  bool running_after; /* the handler was running when unsubscribe returned (must stay false) */
} unsub_arg;

static void *unsub_thread(void *p)
{
  unsub_arg *a = p;
  rt_events_unsubscribe(a->bus, a->id);
  pthread_mutex_lock(&a->r->mu);
  a->running_after = a->r->running;
  a->r->unsubscribed = true;
  pthread_mutex_unlock(&a->r->mu);
  return NULL;
}

static void test_unsubscribe(void **state)
{
  (void)state;
  rt_events *bus = mk_bus(64, 1, NULL);
  recorder r, other;
  rec_init(&r);
  rec_init(&other);
  uint64_t id = rt_events_subscribe(bus, "", RIPTIDE_SEV_TRACE, rec_handler, &r);
  uint64_t id2 = rt_events_subscribe(bus, "", RIPTIDE_SEV_TRACE, rec_handler, &other);
  assert_true(id2 > id);
  rt_events_emit(bus, "a", RIPTIDE_SEV_INFO, 0, NULL, 0);
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
  rt_events_unsubscribe(bus, id);
  rt_events_unsubscribe(bus, id);   /* twice: ignored */
  rt_events_unsubscribe(bus, 9999); /* unknown: ignored */
  rt_events_emit(bus, "b", RIPTIDE_SEV_INFO, 0, NULL, 0);
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
  assert_int_equal(rec_count(&r), 1);
  assert_int_equal(rec_count(&other), 2);

  /* Unsubscribe from another thread while the handler runs: it returns only after the handler
   * returned, and the handler is not called again. */
  id = rt_events_subscribe(bus, "", RIPTIDE_SEV_TRACE, rec_handler, &r);
  pthread_mutex_lock(&r.mu);
  r.block = true;
  r.entered = false;
  pthread_mutex_unlock(&r.mu);
  rt_events_emit(bus, "c", RIPTIDE_SEV_INFO, 0, NULL, 0);
  rt_events_emit(bus, "d", RIPTIDE_SEV_INFO, 0, NULL, 0);
  rec_wait_entered(&r);
  unsub_arg ua = {.bus = bus, .id = id, .r = &r};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, unsub_thread, &ua), 0);
  for (int i = 0; i < 1000; i++)
    sched_yield(); /* let it reach its wait (not needed for
                      correctness, only to exercise the wait) */
  rec_open_gate(&r);
  pthread_join(th, NULL);
  assert_false(ua.running_after);
  rt_events_emit(bus, "e", RIPTIDE_SEV_INFO, 0, NULL, 0);
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
  assert_int_equal(r.calls_after_unsub, 0);
  /* "a" and "c"; "d" too when the dispatcher reached it before the other thread entered
   * unsubscribe (the yields above make that rare, not impossible). Never "e". */
  size_t got = rec_count(&r);
  assert_true(got == 2 || got == 3);
  assert_int_equal(rec_count(&other), 5); /* a b c d e */
  assert_string_equal(r.ev[1].type, "c");
  if (got == 3)
    assert_string_equal(r.ev[2].type, "d");

  /* Unsubscribe from inside the handler: no deadlock, no later call. */
  recorder self;
  rec_init(&self);
  uint64_t sid = rt_events_subscribe(bus, "", RIPTIDE_SEV_TRACE, rec_handler, &self);
  self.bus = bus;
  self.self_unsub_id = sid;
  for (int i = 0; i < 5; i++)
    rt_events_emit(bus, "f", RIPTIDE_SEV_INFO, 0, NULL, 0);
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
  assert_int_equal(rec_count(&self), 1);
  rt_events_stats st;
  rt_events_stats_get(bus, &st);
  assert_int_equal(st.subscribers, 1);
  rt_events_free(bus);
  rec_destroy(&r);
  rec_destroy(&other);
  rec_destroy(&self);
}

static void test_handler_reentry(void **state)
{
  (void)state;
  rt_events *bus = mk_bus(16, 1, NULL);
  recorder r;
  rec_init(&r);
  r.bus = bus;
  r.emit_follow_up = true;
  rt_events_subscribe(bus, "", RIPTIDE_SEV_TRACE, rec_handler, &r);
  rt_events_emit(bus, "test.first", RIPTIDE_SEV_INFO, 0, NULL, 0);
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK); /* waits for "first" */
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK); /* and then for the follow-up */
  assert_int_equal(rec_count(&r), 2);
  assert_string_equal(r.ev[1].type, "test.follow_up");
  assert_int_equal(r.flush_from_handler, RIPTIDE_ERR_INVALID_ARG);
  rt_events_free(bus);
  rec_destroy(&r);
}

static void test_truncation_and_invalid(void **state)
{
  (void)state;
  rt_events *bus = mk_bus(16, 1, NULL);
  recorder r;
  rec_init(&r);
  rt_events_subscribe(bus, "", RIPTIDE_SEV_TRACE, rec_handler, &r);

  char big[2000];
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  rt_event_kv kv = {"html", big};
  assert_int_equal(rt_events_emit(bus, "t.big", RIPTIDE_SEV_INFO, 0, &kv, 1), RT_EVENTS_TRUNCATED);
  /* 30 ASCII bytes + "é" (2 bytes) = 32 > 31: cut before the é, not inside it. */
  char key[40];
  snprintf(key, sizeof(key), "%s\xc3\xa9", "abcdefghijklmnopqrstuvwxyz0123");
  rt_event_kv kv2[] = {{key, "v"}, {"second", "w"}};
  assert_int_equal(rt_events_emit(bus, "t.key", RIPTIDE_SEV_INFO, 0, kv2, 2), RT_EVENTS_TRUNCATED);
  /* 8 values of 200 bytes: the arena (1024) holds the first ones whole, then cuts. */
  char v200[201];
  memset(v200, 'y', 200);
  v200[200] = '\0';
  rt_event_kv many[RIPTIDE_EVENT_MAX_META];
  for (int i = 0; i < RIPTIDE_EVENT_MAX_META; i++)
    many[i] = (rt_event_kv){"k", v200};
  assert_int_equal(rt_events_emit(bus, "t.many", RIPTIDE_SEV_INFO, 0, many, RIPTIDE_EVENT_MAX_META),
                   RT_EVENTS_TRUNCATED);
  rt_event_kv fits[] = {{"a", "1"}, {"b", "2"}};
  assert_int_equal(rt_events_emit(bus, "t.ok", RIPTIDE_SEV_INFO, 0, fits, 2), RT_EVENTS_QUEUED);

  /* Invalid arguments are refused and counted, never queued. */
  char longtype[80];
  memset(longtype, 't', sizeof(longtype) - 1);
  longtype[sizeof(longtype) - 1] = '\0';
  assert_int_equal(rt_events_emit(bus, longtype, RIPTIDE_SEV_INFO, 0, NULL, 0), RT_EVENTS_INVALID);
  assert_int_equal(rt_events_emit(bus, NULL, RIPTIDE_SEV_INFO, 0, NULL, 0), RT_EVENTS_INVALID);
  assert_int_equal(rt_events_emit(bus, "", RIPTIDE_SEV_INFO, 0, NULL, 0), RT_EVENTS_INVALID);
  assert_int_equal(rt_events_emit(bus, "t", (riptide_severity)6, 0, NULL, 0), RT_EVENTS_INVALID);
  assert_int_equal(rt_events_emit(bus, "t", RIPTIDE_SEV_INFO, 0, many, RIPTIDE_EVENT_MAX_META + 1),
                   RT_EVENTS_INVALID);
  assert_int_equal(rt_events_emit(bus, "t", RIPTIDE_SEV_INFO, 0, NULL, 1), RT_EVENTS_INVALID);

  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
  assert_int_equal(rec_count(&r), 4);
  assert_true(r.ev[0].truncated);
  assert_string_equal(r.ev[0].key0, "html");
  size_t vlen = strlen(r.ev[0].val0);
  assert_true(vlen > 900 && vlen < RT_EVENT_SLOT_BYTES);
  assert_true(r.ev[1].truncated);
  assert_string_equal(r.ev[1].key0, "abcdefghijklmnopqrstuvwxyz0123");
  assert_string_equal(r.ev[1].key1, "second");
  assert_string_equal(r.ev[1].val1, "w");
  assert_true(r.ev[2].truncated);
  assert_int_equal(r.ev[2].n_meta, RIPTIDE_EVENT_MAX_META);
  assert_false(r.ev[3].truncated);
  rt_events_stats st;
  rt_events_stats_get(bus, &st);
  assert_int_equal(st.truncated, 3);
  assert_int_equal(st.invalid, 6);
  assert_int_equal(st.emitted, 4);
  rt_events_free(bus);
  rec_destroy(&r);
}

/* ---- many emitters ----------------------------------------------------------------------- */

#define EMITTERS 8
#define PER_EMITTER 5000

typedef struct mt_sub {
  pthread_mutex_t mu;
  int64_t last[EMITTERS]; /* last index received per thread */
  uint64_t last_seq;
  uint64_t received;
  int disorder;
} mt_sub;

static void mt_handler(const riptide_event *ev, void *ctx)
{
  mt_sub *s = ctx;
  int t = 0;
  long idx = 0;
  if (ev->n_meta != 2 || sscanf(ev->meta_val[0], "%d", &t) != 1 ||
      sscanf(ev->meta_val[1], "%ld", &idx) != 1 || t < 0 || t >= EMITTERS) {
    pthread_mutex_lock(&s->mu);
    s->disorder++;
    pthread_mutex_unlock(&s->mu);
    return;
  }
  pthread_mutex_lock(&s->mu);
  if (idx <= s->last[t] || ev->seq <= s->last_seq || (uint64_t)ev->instance_id != (uint64_t)t)
    s->disorder++;
  s->last[t] = idx;
  s->last_seq = ev->seq;
  s->received++;
  pthread_mutex_unlock(&s->mu);
}

typedef struct mt_arg {
  rt_events *bus;
  int t;
  uint64_t queued, dropped, flush_errors;
} mt_arg;

static void *mt_emitter(void *p)
{
  mt_arg *a = p;
  char tb[8];
  snprintf(tb, sizeof(tb), "%d", a->t);
  for (int i = 0; i < PER_EMITTER; i++) {
    char ib[16];
    snprintf(ib, sizeof(ib), "%d", i);
    rt_event_kv kv[] = {{"t", tb}, {"i", ib}};
    rt_events_emit_result res =
        rt_events_emit(a->bus, "test.mt", RIPTIDE_SEV_INFO, (uint64_t)a->t, kv, 2);
    if (res == RT_EVENTS_QUEUED) {
      a->queued++;
    } else if (res == RT_EVENTS_DROPPED) {
      /* Counted; then let the dispatcher catch up (concurrent flushes from several threads), so
       * that most events go through and the order check has something to check. */
      a->dropped++;
      if (rt_events_flush(a->bus, 0) != RIPTIDE_OK)
        a->flush_errors++;
    }
  }
  return NULL;
}

static void test_emit_from_many_threads(void **state)
{
  (void)state;
  rt_events *bus = mk_bus(256, 1, NULL);
  mt_sub s;
  memset(&s, 0, sizeof(s));
  pthread_mutex_init(&s.mu, NULL);
  for (int i = 0; i < EMITTERS; i++)
    s.last[i] = -1;
  rt_events_subscribe(bus, "test.", RIPTIDE_SEV_INFO, mt_handler, &s);
  pthread_t th[EMITTERS];
  mt_arg args[EMITTERS];
  for (int i = 0; i < EMITTERS; i++) {
    args[i] = (mt_arg){.bus = bus, .t = i};
    assert_int_equal(pthread_create(&th[i], NULL, mt_emitter, &args[i]), 0);
  }
  uint64_t queued = 0, dropped = 0;
  for (int i = 0; i < EMITTERS; i++) {
    pthread_join(th[i], NULL);
    queued += args[i].queued;
    dropped += args[i].dropped;
    assert_int_equal(args[i].flush_errors, 0);
  }
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
  assert_int_equal(queued + dropped, EMITTERS * PER_EMITTER);
  rt_events_stats st;
  rt_events_stats_get(bus, &st);
  assert_int_equal(st.emitted, queued);
  assert_int_equal(st.dropped, dropped);
  assert_int_equal(st.dispatched, queued);
  pthread_mutex_lock(&s.mu);
  assert_int_equal(s.received, queued);
  assert_int_equal(s.disorder, 0);
  assert_int_equal(s.last_seq, queued);
  pthread_mutex_unlock(&s.mu);
  print_message("many emitters: %llu queued, %llu dropped (ring 256)\n", (unsigned long long)queued,
                (unsigned long long)dropped);
  rt_events_free(bus);
  pthread_mutex_destroy(&s.mu);
}

/* Subscribe/unsubscribe churn while events flow: no handler call after its unsubscribe. */
typedef struct churn_ctx {
  _Atomic int state; /* 1 subscribed, 2 unsubscribe returned */
  _Atomic int late_calls;
  _Atomic int calls;
} churn_ctx;

static void churn_handler(const riptide_event *ev, void *ctx)
{
  (void)ev;
  churn_ctx *c = ctx;
  atomic_fetch_add(&c->calls, 1);
  if (atomic_load(&c->state) == 2)
    atomic_fetch_add(&c->late_calls, 1);
}

static void *churn_emitter(void *p)
{
  rt_events *bus = p;
  for (int i = 0; i < 20000; i++)
    rt_events_emit(bus, "churn", RIPTIDE_SEV_INFO, 0, NULL, 0);
  return NULL;
}

static void test_subscribe_churn(void **state)
{
  (void)state;
  rt_events *bus = mk_bus(64, 1, NULL);
  pthread_t th[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&th[i], NULL, churn_emitter, bus);
  int total_late = 0, total_calls = 0;
  for (int round = 0; round < 300; round++) {
    churn_ctx c;
    atomic_init(&c.state, 1);
    atomic_init(&c.late_calls, 0);
    atomic_init(&c.calls, 0);
    uint64_t id = rt_events_subscribe(bus, "", RIPTIDE_SEV_TRACE, churn_handler, &c);
    assert_true(id > 0);
    for (int i = 0; i < 100; i++)
      sched_yield();
    rt_events_unsubscribe(bus, id);
    atomic_store(&c.state, 2);
    /* c goes out of scope next round: a late call would also be a use-after-scope for ASan */
    rt_events_emit(bus, "churn", RIPTIDE_SEV_INFO, 0, NULL, 0);
    assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
    total_late += atomic_load(&c.late_calls);
    total_calls += atomic_load(&c.calls);
  }
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  assert_int_equal(total_late, 0);
  print_message("churn: %d handler calls across 300 subscriptions\n", total_calls);
  rt_events_free(bus);
}

static void test_free_drains_pending(void **state)
{
  (void)state;
  recorder r;
  rec_init(&r);
  rt_events *bus = mk_bus(512, 1, NULL);
  rt_events_subscribe(bus, "", RIPTIDE_SEV_TRACE, rec_handler, &r);
  for (int i = 0; i < 500; i++)
    assert_int_equal(rt_events_emit(bus, "x", RIPTIDE_SEV_INFO, 0, NULL, 0), RT_EVENTS_QUEUED);
  rt_events_free(bus); /* no flush: free dispatches what is queued */
  assert_int_equal(r.n, 500);
  rec_destroy(&r);

  rt_events_free(NULL);
  rt_events *b2 = NULL;
  rt_events_config c;
  rt_events_config_init(&c);
  c.ring_size = RT_MAX_EVENT_RING + 1;
  assert_int_equal(rt_events_new(&c, &b2), RIPTIDE_ERR_INVALID_ARG);
  assert_null(b2);
  assert_int_equal(rt_events_new(NULL, &b2), RIPTIDE_OK); /* defaults */
  rt_events_stats st;
  rt_events_stats_get(b2, &st);
  assert_int_equal(st.ring_size, 1024);
  /* Subscriber table cap. */
  recorder dummy;
  rec_init(&dummy);
  for (int i = 0; i < RT_EVENTS_MAX_SUBS; i++)
    assert_true(rt_events_subscribe(b2, "", RIPTIDE_SEV_TRACE, rec_handler, &dummy) > 0);
  assert_int_equal(rt_events_subscribe(b2, "", RIPTIDE_SEV_TRACE, rec_handler, &dummy), 0);
  char longprefix[RT_EVENTS_PREFIX_MAX + 1];
  memset(longprefix, 'p', RT_EVENTS_PREFIX_MAX);
  longprefix[RT_EVENTS_PREFIX_MAX] = '\0';
  rt_events_unsubscribe(b2, 1);
  assert_int_equal(rt_events_subscribe(b2, longprefix, RIPTIDE_SEV_TRACE, rec_handler, &dummy), 0);
  rt_events_free(b2);
  rec_destroy(&dummy);
}

static void test_event_json(void **state)
{
  (void)state;
  const char *keys[2] = {"reason", "bad\xff"};
  const char *vals[2] = {"trap \"oob\"", "v\xc3"};
  riptide_event ev = {
      .type = "pool.circuit_breaker_tripped",
      .severity = RIPTIDE_SEV_ERROR,
      .timestamp_ns = 1700000000123456789ull,
      .seq = 12,
      .pool_id = UINT64_MAX, /* above jansson's integer range: written as a string */
      .instance_id = 0,
      .n_meta = 2,
      .meta_key = {keys[0], keys[1]},
      .meta_val = {vals[0], vals[1]},
  };
  char *s = riptide_event_to_json(&ev);
  assert_non_null(s);
  assert_null(strchr(s, '\n'));
  json_error_t err;
  json_t *j = json_loads(s, 0, &err);
  assert_non_null(j);
  assert_string_equal(json_string_value(json_object_get(j, "type")),
                      "pool.circuit_breaker_tripped");
  assert_string_equal(json_string_value(json_object_get(j, "severity")), "error");
  assert_int_equal(json_integer_value(json_object_get(j, "seq")), 12);
  assert_int_equal(json_integer_value(json_object_get(j, "timestamp_ns")), 1700000000123456789ll);
  assert_string_equal(json_string_value(json_object_get(j, "pool_id")), "18446744073709551615");
  json_t *meta = json_object_get(j, "metadata");
  assert_string_equal(json_string_value(json_object_get(meta, "reason")), "trap \"oob\"");
  assert_string_equal(json_string_value(json_object_get(meta, "bad?")), "v?");
  assert_true(json_is_false(json_object_get(j, "truncated")));
  json_decref(j);
  free(s);
  assert_null(riptide_event_to_json(NULL));
}

static uint64_t counting_clock(void *ctx)
{
  return atomic_fetch_add((_Atomic uint64_t *)ctx, 1) + 1;
}

/* Events nobody wants never enter the ring; rt_events_wanted tells emitters so, lock-free. */
static void test_wanted_and_unwanted(void **state)
{
  (void)state;
  _Atomic uint64_t clock_calls = 0;
  rt_events_config c;
  rt_events_config_init(&c);
  c.ring_size = 4;
  c.clock = counting_clock;
  c.clock_ctx = &clock_calls;
  rt_events *bus = NULL;
  assert_int_equal(rt_events_new(&c, &bus), RIPTIDE_OK);

  assert_false(rt_events_wanted(bus, "pool.x", RIPTIDE_SEV_CRITICAL));
  assert_false(rt_events_wanted(NULL, "pool.x", RIPTIDE_SEV_CRITICAL));
  assert_int_equal(rt_events_emit(bus, "pool.x", RIPTIDE_SEV_INFO, 0, NULL, 0), RT_EVENTS_QUEUED);
  rt_events_stats st;
  rt_events_stats_get(bus, &st);
  assert_int_equal(st.emitted, 1);
  assert_int_equal(st.unwanted, 1);
  assert_int_equal(st.dispatched, 1);
  assert_int_equal(st.pending, 0);
  assert_int_equal(atomic_load(&clock_calls), 0); /* not even timestamped */

  recorder r;
  rec_init(&r);
  uint64_t a = rt_events_subscribe(bus, "pool.", RIPTIDE_SEV_WARN, rec_handler, &r);
  assert_true(rt_events_wanted(bus, "pool.x", RIPTIDE_SEV_WARN));
  assert_true(rt_events_wanted(bus, "pool.", RIPTIDE_SEV_CRITICAL));
  assert_false(rt_events_wanted(bus, "pool.x", RIPTIDE_SEV_INFO));
  assert_false(rt_events_wanted(bus, "extraction.x", RIPTIDE_SEV_CRITICAL));
  assert_false(rt_events_wanted(bus, "pool", RIPTIDE_SEV_CRITICAL));
  uint64_t b =
      rt_events_subscribe(bus, "pool.instance_created", RIPTIDE_SEV_TRACE, rec_handler, &r);
  assert_true(rt_events_wanted(bus, "pool.instance_created", RIPTIDE_SEV_TRACE));
  assert_false(rt_events_wanted(bus, "pool.circuit_breaker_reset", RIPTIDE_SEV_TRACE));
  /* Spurious "wanted" is allowed past 7 prefix bytes; the dispatcher still filters exactly. */
  assert_true(rt_events_wanted(bus, "pool.inXXX", RIPTIDE_SEV_TRACE));
  assert_int_equal(rt_events_emit(bus, "pool.inXXX", RIPTIDE_SEV_TRACE, 0, NULL, 0),
                   RT_EVENTS_QUEUED);

  /* Seq gaps: unwanted events consume a seq. */
  rt_events_emit(bus, "pool.a", RIPTIDE_SEV_ERROR, 0, NULL, 0);  /* seq 3: delivered */
  rt_events_emit(bus, "other.b", RIPTIDE_SEV_ERROR, 0, NULL, 0); /* seq 4: unwanted */
  rt_events_emit(bus, "pool.c", RIPTIDE_SEV_ERROR, 0, NULL, 0);  /* seq 5: delivered */
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
  assert_int_equal(rec_count(&r), 2);
  assert_int_equal(r.ev[0].seq, 3);
  assert_int_equal(r.ev[1].seq, 5);

  /* A full ring drops wanted events only; unwanted ones are never dropped. */
  pthread_mutex_lock(&r.mu);
  r.block = true;
  r.entered = false;
  pthread_mutex_unlock(&r.mu);
  rt_events_emit(bus, "pool.d", RIPTIDE_SEV_ERROR, 0, NULL, 0);
  rec_wait_entered(&r);
  for (int i = 0; i < 3; i++)
    assert_int_equal(rt_events_emit(bus, "pool.e", RIPTIDE_SEV_ERROR, 0, NULL, 0),
                     RT_EVENTS_QUEUED);
  assert_int_equal(rt_events_emit(bus, "pool.f", RIPTIDE_SEV_ERROR, 0, NULL, 0), RT_EVENTS_DROPPED);
  assert_int_equal(rt_events_emit(bus, "other.g", RIPTIDE_SEV_ERROR, 0, NULL, 0), RT_EVENTS_QUEUED);
  rec_open_gate(&r);
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
  rt_events_stats_get(bus, &st);
  assert_int_equal(st.dropped, 1);
  /* pool.x, other.b, other.g. (pool.inXXX passed the summary, went through the ring and
   * matched no subscriber exactly.) */
  assert_int_equal(st.unwanted, 3);
  assert_int_equal(st.emitted, st.dispatched);
  assert_int_equal(rec_count(&r), 6);

  rt_events_unsubscribe(bus, a);
  rt_events_unsubscribe(bus, b);
  assert_false(rt_events_wanted(bus, "pool.x", RIPTIDE_SEV_CRITICAL));
  rt_events_free(bus);
  rec_destroy(&r);
}

/* Wake-up batching. The delay is set to 60 s, far beyond the 30 s hang guard of
 * rec_wait_count: every delivery below can only come from the early-end rules (urgent event,
 * quarter-full ring, flush, free), never from the delay running out, so the test is exact
 * without timing anything. */
static void test_wake_delay_batching(void **state)
{
  (void)state;
  rt_events_config c;
  rt_events_config_init(&c);
  c.ring_size = 64; /* batch limit 16 */
  c.wake_delay_ms = RT_EVENTS_MAX_WAKE_DELAY_MS + 1;
  rt_events *bus = NULL;
  assert_int_equal(rt_events_new(&c, &bus), RIPTIDE_ERR_INVALID_ARG);
  c.wake_delay_ms = RT_EVENTS_MAX_WAKE_DELAY_MS;
  assert_int_equal(rt_events_new(&c, &bus), RIPTIDE_OK);
  recorder r;
  rec_init(&r);
  rt_events_subscribe(bus, "", RIPTIDE_SEV_TRACE, rec_handler, &r);

  /* A DEBUG event opens a batch; a WARN event ends it at once. */
  assert_int_equal(rt_events_wait_idle(bus, 30000), RIPTIDE_OK);
  rt_events_emit(bus, "a", RIPTIDE_SEV_DEBUG, 0, NULL, 0);
  rt_events_emit(bus, "b", RIPTIDE_SEV_WARN, 0, NULL, 0);
  assert_true(rec_wait_count(&r, 2));
  assert_string_equal(r.ev[0].type, "a");
  assert_string_equal(r.ev[1].type, "b");

  /* A flush ends a batch. */
  assert_int_equal(rt_events_wait_idle(bus, 30000), RIPTIDE_OK);
  rt_events_emit(bus, "c", RIPTIDE_SEV_DEBUG, 0, NULL, 0);
  assert_int_equal(rt_events_flush(bus, 30000), RIPTIDE_OK);
  assert_int_equal(rec_count(&r), 3);

  /* A quarter-full ring ends a batch. */
  assert_int_equal(rt_events_wait_idle(bus, 30000), RIPTIDE_OK);
  for (int i = 0; i < 16; i++)
    rt_events_emit(bus, "d", RIPTIDE_SEV_TRACE, 0, NULL, 0);
  assert_true(rec_wait_count(&r, 19));
  for (size_t i = 1; i < 19; i++)
    assert_true(r.ev[i].seq > r.ev[i - 1].seq);

  /* Batching saves wake-ups: 3 bursts above, one wake-up each (the dispatcher was parked
   * before each, and stays awake through its batch). */
  rt_events_stats st;
  rt_events_stats_get(bus, &st);
  assert_int_equal(st.wakeups, 3);
  print_message("wake delay: 19 events, %llu dispatcher wake-ups\n",
                (unsigned long long)st.wakeups);

  /* free ends a batch and delivers what is pending. */
  assert_int_equal(rt_events_wait_idle(bus, 30000), RIPTIDE_OK);
  rt_events_emit(bus, "e", RIPTIDE_SEV_DEBUG, 0, NULL, 0);
  rt_events_free(bus);
  assert_int_equal(r.n, 20);
  rec_destroy(&r);
}

static void sigmask_handler(const riptide_event *ev, void *ctx)
{
  (void)ev;
  sigset_t cur;
  pthread_sigmask(SIG_BLOCK, NULL, &cur);
  int *blocked = ctx;
  *blocked = sigismember(&cur, SIGINT) + sigismember(&cur, SIGTERM) + sigismember(&cur, SIGPIPE);
}

/* The dispatcher is a library thread: process-directed signals must not land on it. */
static void test_dispatcher_blocks_signals(void **state)
{
  (void)state;
  rt_events *bus = mk_bus(8, 1, NULL);
  int blocked = -1;
  rt_events_subscribe(bus, "", RIPTIDE_SEV_TRACE, sigmask_handler, &blocked);
  rt_events_emit(bus, "x", RIPTIDE_SEV_INFO, 0, NULL, 0);
  assert_int_equal(rt_events_flush(bus, 0), RIPTIDE_OK);
  assert_int_equal(blocked, 3);
  /* ... and the caller's own mask is unchanged. */
  sigset_t cur;
  pthread_sigmask(SIG_BLOCK, NULL, &cur);
  assert_int_equal(sigismember(&cur, SIGTERM), 0);
  rt_events_free(bus);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic_fields),
      cmocka_unit_test(test_order_preserved),
      cmocka_unit_test(test_drop_counting_slow_subscriber),
      cmocka_unit_test(test_prefix_and_severity_filters),
      cmocka_unit_test(test_unsubscribe),
      cmocka_unit_test(test_handler_reentry),
      cmocka_unit_test(test_truncation_and_invalid),
      cmocka_unit_test(test_emit_from_many_threads),
      cmocka_unit_test(test_subscribe_churn),
      cmocka_unit_test(test_free_drains_pending),
      cmocka_unit_test(test_event_json),
      cmocka_unit_test(test_dispatcher_blocks_signals),
      cmocka_unit_test(test_wanted_and_unwanted),
      cmocka_unit_test(test_wake_delay_batching),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
