/*
 * events.c - the event bus: bounded ring + one dispatcher thread (see events.h for the contract).
 *
 * DESIGN
 *  - Ring: `cap` fixed-size slots (type, severity, timestamps, ids, and a per-slot byte arena for
 *    metadata). `head` and `tail` are monotonic counts: slots [head, tail) hold events waiting for
 *    dispatch. An emitter copies its event into slot tail % cap under `ring_mu` and returns; when
 *    tail - head == cap the event is dropped and counted. Emitters never wait for the dispatcher
 *    or a handler: `ring_mu` is only ever held for a bounded copy or a counter update.
 *  - The dispatcher thread takes the slot at `head` WITHOUT copying it: producers never write a
 *    slot in [head, tail), and head only advances after every handler for that slot returned.
 *    Advancing head is what makes the slot reusable and what rt_events_flush waits for.
 *  - Subscribers live in a fixed table guarded by `sub_mu`. For each matching subscriber the
 *    dispatcher copies fn/ctx, marks `in_call_id`, releases `sub_mu`, calls the handler with no
 *    lock held, then retakes `sub_mu`. rt_events_unsubscribe clears the entry and, unless it runs
 *    on the dispatcher thread itself, waits on `sub_cv` until in_call_id is no longer its id:
 *    after it returns the handler is not running and is never called again.
 *  - Interest summary: each subscription is also published as one atomic 64-bit word (first 7
 *    prefix bytes, prefix length, minimum severity, active bit) in `sub_summary`, written under
 *    sub_mu and read lock-free by rt_events_wanted. An event no current subscriber wants is
 *    counted (and given a seq) but never enters the ring: no copy, no dispatcher wake-up. The
 *    summary may answer "wanted" spuriously (prefixes longer than 7 bytes) - then the dispatcher
 *    filters exactly - but never "not wanted" for a subscription that was complete before.
 *  - Wake-ups: an emitter signals `work_cv` only when the dispatcher is parked (dispatcher_idle).
 *    With a wake delay configured, the dispatcher that wakes for a sub-WARN event holds the batch
 *    open (`batching`, timed wait on work_cv) until the delay passes or something ends it early:
 *    a WARN+ event or a quarter-full ring (emitter sets `hurry`), a flush (flush_waiters), a stop.
 *    One futex wake then serves a batch instead of every event.
 *  - Seq numbers are assigned under ring_mu in emission order (seq = ++next_seq), so
 *    dispatch order = seq order = emission order for any one thread.
 *
 * Lock order: `ring_mu` and `sub_mu` are never held at the same time (each is a leaf). No lock is
 * held while calling a handler or the clock function.
 *
 * Threads: any number of emitters / subscribers / flushers; one dispatcher thread (created by
 * rt_events_new, joined by rt_events_free).
 */
#include "events/events.h"

#include "common/clock.h"
#include "common/limits.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct ev_slot {
  uint64_t seq;
  uint64_t timestamp_ns;
  uint64_t instance_id;
  riptide_severity severity;
  uint32_t n_meta;
  bool truncated;
  uint16_t key_off[RIPTIDE_EVENT_MAX_META];
  uint16_t val_off[RIPTIDE_EVENT_MAX_META];
  char type[RT_EVENT_TYPE_MAX];
  char arena[RT_EVENT_SLOT_BYTES + 1]; /* last byte stays NUL: the "" every cut string can use */
} ev_slot;

typedef struct ev_sub {
  uint64_t id; /* 0 = free entry */
  riptide_event_fn fn;
  void *ctx;
  riptide_severity min;
  size_t prefix_len;
  char prefix[RT_EVENTS_PREFIX_MAX];
} ev_sub;

struct rt_events {
  /* Immutable after rt_events_new. */
  uint32_t cap;
  uint32_t batch_limit;   /* pending events that end a batch wait: cap / 4, at least 1 */
  uint64_t wake_delay_ns; /* 0 = dispatch at once */
  uint64_t pool_id;
  riptide_clock_fn clock;
  void *clock_ctx;
  ev_slot *slots;
  pthread_t thread;

  /* Guarded by ring_mu. */
  pthread_mutex_t ring_mu;
  pthread_cond_t work_cv;    /* dispatcher waits for head != tail or stopping */
  pthread_cond_t drained_cv; /* flushers wait for head to pass their target (CLOCK_MONOTONIC) */
  uint64_t head;             /* ring events dispatched (handlers returned) */
  uint64_t tail;             /* ring events accepted */
  uint64_t next_seq;         /* events accepted = last seq (ring + unwanted) */
  uint64_t unwanted;         /* accepted without entering the ring: nobody subscribed to them */
  bool stopping;
  bool dispatcher_idle; /* dispatcher is (about to be) waiting on work_cv */
  bool batching;        /* dispatcher is holding a batch open (wake_delay) on work_cv */
  bool hurry;           /* end the batch wait now (urgent event, full enough) */
  uint32_t flush_waiters;
  uint32_t idle_waiters; /* rt_events_wait_idle callers (they also wait on drained_cv) */
  uint64_t dropped;
  uint64_t invalid;
  uint64_t truncated;
  uint64_t wakeups;

  /* Guarded by sub_mu. */
  pthread_mutex_t sub_mu;
  pthread_cond_t sub_cv; /* unsubscribers wait for in_call_id to change */
  ev_sub subs[RT_EVENTS_MAX_SUBS];
  uint32_t n_subs;
  uint64_t next_sub_id;
  uint64_t in_call_id; /* subscription whose handler runs now, 0 = none */
  /* Written under sub_mu, read lock-free (rt_events_wanted): see summary_word(). */
  _Atomic uint64_t sub_summary[RT_EVENTS_MAX_SUBS]; /* 0 = free entry */
  _Atomic uint32_t sub_hwm;                         /* entries [0, hwm) may be active */
  uint32_t unsub_waiters;
  uint64_t handler_calls;
};

/* The bus whose dispatcher runs on this thread (NULL elsewhere): unsubscribe and flush use it to
 * avoid waiting for themselves. */
static _Thread_local const rt_events *tls_dispatching;

static uint64_t realtime_clock(void *ctx)
{
  (void)ctx;
  return rt_clock_real_ns();
}

void rt_events_config_init(rt_events_config *c)
{
  memset(c, 0, sizeof(*c));
  c->ring_size = RT_DEFAULT_EVENT_RING;
}

/* ---- dispatcher -------------------------------------------------------------------------- */

static void slot_to_event(const ev_slot *s, uint64_t pool_id, riptide_event *ev)
{
  memset(ev, 0, sizeof(*ev));
  ev->size = (uint32_t)sizeof(*ev);
  ev->type = s->type;
  ev->severity = s->severity;
  ev->timestamp_ns = s->timestamp_ns;
  ev->seq = s->seq;
  ev->pool_id = pool_id;
  ev->instance_id = s->instance_id;
  ev->n_meta = s->n_meta;
  for (uint32_t i = 0; i < s->n_meta; i++) {
    ev->meta_key[i] = s->arena + s->key_off[i];
    ev->meta_val[i] = s->arena + s->val_off[i];
  }
  ev->truncated = s->truncated;
}

static void dispatch_one(rt_events *bus, const ev_slot *s)
{
  riptide_event ev;
  slot_to_event(s, bus->pool_id, &ev);
  pthread_mutex_lock(&bus->sub_mu);
  for (uint32_t i = 0; i < RT_EVENTS_MAX_SUBS; i++) {
    ev_sub *sub = &bus->subs[i];
    if (sub->id == 0 || ev.severity < sub->min)
      continue;
    if (strncmp(ev.type, sub->prefix, sub->prefix_len) != 0)
      continue;
    riptide_event_fn fn = sub->fn;
    void *ctx = sub->ctx;
    bus->in_call_id = sub->id;
    pthread_mutex_unlock(&bus->sub_mu);
    fn(&ev, ctx); /* no lock held */
    pthread_mutex_lock(&bus->sub_mu);
    bus->in_call_id = 0;
    bus->handler_calls++;
    if (bus->unsub_waiters)
      pthread_cond_broadcast(&bus->sub_cv);
  }
  pthread_mutex_unlock(&bus->sub_mu);
}

/* Caller holds ring_mu. With a wake delay, the first event after an idle period opens a batch:
 * the dispatcher waits up to wake_delay for more events so one wake-up serves many. The wait
 * ends early for an urgent event (severity >= WARN), a quarter-full ring, a flush or a stop. */
static void hold_batch_locked(rt_events *bus)
{
  struct timespec dl = rt_deadline_in_ns(bus->wake_delay_ns);
  bus->batching = true;
  while (!bus->hurry && !bus->stopping && bus->flush_waiters == 0 &&
         bus->tail - bus->head < bus->batch_limit) {
    if (pthread_cond_timedwait(&bus->work_cv, &bus->ring_mu, &dl) == ETIMEDOUT)
      break;
  }
  bus->batching = false;
  bus->hurry = false;
}

static void *dispatcher_main(void *arg)
{
  rt_events *bus = arg;
  tls_dispatching = bus;
  pthread_mutex_lock(&bus->ring_mu);
  for (;;) {
    bool woke = false;
    while (bus->head == bus->tail && !bus->stopping) {
      bus->dispatcher_idle = true;
      if (bus->idle_waiters)
        pthread_cond_broadcast(&bus->drained_cv);
      pthread_cond_wait(&bus->work_cv, &bus->ring_mu);
      bus->dispatcher_idle = false;
      woke = true;
    }
    if (woke)
      bus->wakeups++;
    if (bus->head == bus->tail)
      break; /* stopping and drained */
    if (woke && bus->wake_delay_ns)
      hold_batch_locked(bus);
    const ev_slot *s = &bus->slots[bus->head % bus->cap];
    pthread_mutex_unlock(&bus->ring_mu);
    dispatch_one(bus, s); /* the slot is ours until head moves */
    pthread_mutex_lock(&bus->ring_mu);
    bus->head++;
    if (bus->flush_waiters)
      pthread_cond_broadcast(&bus->drained_cv);
  }
  pthread_mutex_unlock(&bus->ring_mu);
  tls_dispatching = NULL;
  return NULL;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

riptide_err rt_events_new(const rt_events_config *cfg, rt_events **out)
{
  if (!out)
    return RIPTIDE_ERR_INVALID_ARG;
  *out = NULL;
  rt_events_config c;
  if (cfg) {
    c = *cfg;
  } else {
    rt_events_config_init(&c);
  }
  if (c.ring_size == 0)
    c.ring_size = RT_DEFAULT_EVENT_RING;
  if (c.ring_size > RT_MAX_EVENT_RING || c.wake_delay_ms > RT_EVENTS_MAX_WAKE_DELAY_MS)
    return RIPTIDE_ERR_INVALID_ARG;

  rt_events *bus = calloc(1, sizeof(*bus));
  if (!bus)
    return RIPTIDE_ERR_NOMEM;
  bus->slots = calloc(c.ring_size, sizeof(ev_slot));
  if (!bus->slots) {
    free(bus);
    return RIPTIDE_ERR_NOMEM;
  }
  bus->cap = c.ring_size;
  bus->batch_limit = c.ring_size / 4 ? c.ring_size / 4 : 1;
  bus->wake_delay_ns = (uint64_t)c.wake_delay_ms * 1000000u;
  bus->pool_id = c.pool_id;
  bus->clock = c.clock ? c.clock : realtime_clock;
  bus->clock_ctx = c.clock ? c.clock_ctx : NULL;
  bus->next_sub_id = 1;

  int inited = 0;
  pthread_condattr_t ca;
  if (pthread_condattr_init(&ca) != 0)
    goto fail;
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  if (pthread_mutex_init(&bus->ring_mu, NULL) != 0)
    goto fail_attr;
  inited = 1;
  if (pthread_cond_init(&bus->work_cv, &ca) != 0) /* timed batch waits: CLOCK_MONOTONIC */
    goto fail_attr;
  inited = 2;
  if (pthread_cond_init(&bus->drained_cv, &ca) != 0)
    goto fail_attr;
  inited = 3;
  if (pthread_mutex_init(&bus->sub_mu, NULL) != 0)
    goto fail_attr;
  inited = 4;
  if (pthread_cond_init(&bus->sub_cv, NULL) != 0)
    goto fail_attr;
  inited = 5;
  pthread_condattr_destroy(&ca);
  /* The dispatcher is a library thread: it blocks every asynchronous signal (it inherits the
   * mask at creation), so process-directed signals (SIGINT, SIGTERM, SIGPIPE, ...) go to the
   * application's threads, never to a thread the application does not know about. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&bus->thread, NULL, dispatcher_main, bus);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0)
    goto fail;
  *out = bus;
  return RIPTIDE_OK;

fail_attr:
  pthread_condattr_destroy(&ca);
fail:
  if (inited >= 5)
    pthread_cond_destroy(&bus->sub_cv);
  if (inited >= 4)
    pthread_mutex_destroy(&bus->sub_mu);
  if (inited >= 3)
    pthread_cond_destroy(&bus->drained_cv);
  if (inited >= 2)
    pthread_cond_destroy(&bus->work_cv);
  if (inited >= 1)
    pthread_mutex_destroy(&bus->ring_mu);
  free(bus->slots);
  free(bus);
  return RIPTIDE_ERR_INTERNAL;
}

void rt_events_free(rt_events *bus)
{
  if (!bus)
    return;
  pthread_mutex_lock(&bus->ring_mu);
  bus->stopping = true;
  pthread_cond_signal(&bus->work_cv);
  pthread_mutex_unlock(&bus->ring_mu);
  pthread_join(bus->thread, NULL); /* the dispatcher drains the ring before it exits */
  pthread_cond_destroy(&bus->sub_cv);
  pthread_mutex_destroy(&bus->sub_mu);
  pthread_cond_destroy(&bus->drained_cv);
  pthread_cond_destroy(&bus->work_cv);
  pthread_mutex_destroy(&bus->ring_mu);
  free(bus->slots);
  free(bus);
}

/* ---- interest summary -------------------------------------------------------------------- */

/* One subscription in one word: bytes 0..6 = the first (up to) 7 prefix bytes, bits 56..58 =
 * how many of them count, bits 59..61 = minimum severity, bit 63 = active. */
#define SUM_PREFIX_BYTES 7u
#define SUM_ACTIVE (1ull << 63)

static uint64_t summary_word(const char *prefix, size_t len, riptide_severity min)
{
  uint64_t w = SUM_ACTIVE | ((uint64_t)min << 59);
  size_t n = len < SUM_PREFIX_BYTES ? len : SUM_PREFIX_BYTES;
  for (size_t k = 0; k < n; k++)
    w |= (uint64_t)(unsigned char)prefix[k] << (8 * k);
  return w | ((uint64_t)n << 56);
}

static bool summary_match(uint64_t w, const char *type, riptide_severity sev)
{
  if (!(w & SUM_ACTIVE) || (unsigned)sev < ((w >> 59) & 7u))
    return false;
  unsigned n = (unsigned)((w >> 56) & 7u);
  for (unsigned k = 0; k < n; k++) {
    /* prefix bytes are never NUL, so a shorter type fails here at its terminator */
    if ((unsigned char)type[k] != (unsigned char)(w >> (8 * k)))
      return false;
  }
  return true;
}

bool rt_events_wanted(rt_events *bus, const char *type, riptide_severity sev)
{
  if (!bus || !type)
    return false;
  uint32_t n = atomic_load_explicit(&bus->sub_hwm, memory_order_acquire);
  for (uint32_t i = 0; i < n; i++) {
    uint64_t w = atomic_load_explicit(&bus->sub_summary[i], memory_order_acquire);
    if (summary_match(w, type, sev))
      return true;
  }
  return false;
}

/* ---- emit -------------------------------------------------------------------------------- */

/* Length of the longest prefix of s (at most max bytes) that does not end inside a UTF-8
 * sequence. Sets *cut when s is longer than max. */
static size_t utf8_fit(const char *s, size_t max, bool *cut)
{
  size_t n = strnlen(s, max + 1);
  if (n <= max)
    return n;
  *cut = true;
  n = max;
  /* Back off continuation bytes, then the lead byte of the cut sequence. */
  size_t k = n;
  while (k > 0 && ((unsigned char)s[k] & 0xC0u) == 0x80u)
    k--;
  return k;
}

/* Copies s into the arena at *used; returns its offset. Cuts (and flags) to fit `limit` bytes
 * of text and what is left of the arena. */
static uint16_t arena_put(ev_slot *slot, size_t *used, const char *s, size_t limit, bool *cut)
{
  if (!s)
    s = "";
  size_t room = RT_EVENT_SLOT_BYTES - *used; /* includes the NUL */
  if (room == 0) {
    if (*s)
      *cut = true;
    return RT_EVENT_SLOT_BYTES; /* the permanent NUL */
  }
  size_t max = room - 1;
  if (limit < max)
    max = limit;
  size_t n = utf8_fit(s, max, cut);
  uint16_t off = (uint16_t)*used;
  memcpy(slot->arena + *used, s, n);
  slot->arena[*used + n] = '\0';
  *used += n + 1;
  return off;
}

rt_events_emit_result rt_events_emit(rt_events *bus, const char *type, riptide_severity sev,
                                     uint64_t instance_id, const rt_event_kv *meta, size_t n_meta)
{
  size_t type_len = type ? strnlen(type, RT_EVENT_TYPE_MAX) : 0;
  bool bad = type_len == 0 || type_len >= RT_EVENT_TYPE_MAX ||
             (unsigned)sev > RIPTIDE_SEV_CRITICAL || n_meta > RIPTIDE_EVENT_MAX_META ||
             (n_meta > 0 && !meta);
  bool wanted = !bad && rt_events_wanted(bus, type, sev);
  /* Outside the lock: the clock may be user code. */
  uint64_t ts = wanted ? bus->clock(bus->clock_ctx) : 0;

  pthread_mutex_lock(&bus->ring_mu);
  if (bad) {
    bus->invalid++;
    pthread_mutex_unlock(&bus->ring_mu);
    return RT_EVENTS_INVALID;
  }
  if (!wanted) {
    bus->next_seq++;
    bus->unwanted++;
    pthread_mutex_unlock(&bus->ring_mu);
    return RT_EVENTS_QUEUED;
  }
  if (bus->stopping || bus->tail - bus->head >= bus->cap) {
    bus->dropped++;
    pthread_mutex_unlock(&bus->ring_mu);
    return RT_EVENTS_DROPPED;
  }
  ev_slot *s = &bus->slots[bus->tail % bus->cap];
  bus->tail++;
  s->seq = ++bus->next_seq;
  s->timestamp_ns = ts;
  s->instance_id = instance_id;
  s->severity = sev;
  memcpy(s->type, type, type_len);
  s->type[type_len] = '\0';
  s->arena[RT_EVENT_SLOT_BYTES] = '\0';
  bool cut = false;
  size_t used = 0;
  uint32_t n = 0;
  for (size_t i = 0; i < n_meta; i++) {
    if (!meta[i].key)
      break;
    s->key_off[n] = arena_put(s, &used, meta[i].key, RT_EVENT_KEY_MAX - 1, &cut);
    s->val_off[n] = arena_put(s, &used, meta[i].val, RT_EVENT_SLOT_BYTES, &cut);
    n++;
  }
  s->n_meta = n;
  s->truncated = cut;
  if (cut)
    bus->truncated++;
  bool urgent = sev >= RIPTIDE_SEV_WARN || bus->tail - bus->head >= bus->batch_limit;
  if (bus->dispatcher_idle) {
    if (urgent)
      bus->hurry = true; /* skips the batch wait; only the dispatcher clears it */
    pthread_cond_signal(&bus->work_cv);
  } else if (bus->batching && urgent) {
    bus->hurry = true;
    pthread_cond_signal(&bus->work_cv);
  }
  pthread_mutex_unlock(&bus->ring_mu);
  return cut ? RT_EVENTS_TRUNCATED : RT_EVENTS_QUEUED;
}

/* ---- subscriptions ----------------------------------------------------------------------- */

uint64_t rt_events_subscribe(rt_events *bus, const char *prefix, riptide_severity min,
                             riptide_event_fn fn, void *ctx)
{
  if (!bus || !fn || (unsigned)min > RIPTIDE_SEV_CRITICAL)
    return 0;
  if (!prefix)
    prefix = "";
  size_t plen = strnlen(prefix, RT_EVENTS_PREFIX_MAX);
  if (plen >= RT_EVENTS_PREFIX_MAX)
    return 0;
  uint64_t id = 0;
  pthread_mutex_lock(&bus->sub_mu);
  for (uint32_t i = 0; i < RT_EVENTS_MAX_SUBS; i++) {
    ev_sub *sub = &bus->subs[i];
    if (sub->id != 0)
      continue;
    id = bus->next_sub_id++;
    sub->id = id;
    sub->fn = fn;
    sub->ctx = ctx;
    sub->min = min;
    sub->prefix_len = plen;
    memcpy(sub->prefix, prefix, plen);
    sub->prefix[plen] = '\0';
    bus->n_subs++;
    atomic_store_explicit(&bus->sub_summary[i], summary_word(prefix, plen, min),
                          memory_order_release);
    if (atomic_load_explicit(&bus->sub_hwm, memory_order_relaxed) < i + 1)
      atomic_store_explicit(&bus->sub_hwm, i + 1, memory_order_release);
    break;
  }
  pthread_mutex_unlock(&bus->sub_mu);
  return id;
}

void rt_events_unsubscribe(rt_events *bus, uint64_t id)
{
  if (!bus || id == 0)
    return;
  pthread_mutex_lock(&bus->sub_mu);
  for (uint32_t i = 0; i < RT_EVENTS_MAX_SUBS; i++) {
    if (bus->subs[i].id != id)
      continue;
    memset(&bus->subs[i], 0, sizeof(bus->subs[i]));
    atomic_store_explicit(&bus->sub_summary[i], 0, memory_order_release);
    bus->n_subs--;
    break;
  }
  if (tls_dispatching != bus) {
    bus->unsub_waiters++;
    while (bus->in_call_id == id)
      pthread_cond_wait(&bus->sub_cv, &bus->sub_mu);
    bus->unsub_waiters--;
  }
  pthread_mutex_unlock(&bus->sub_mu);
}

bool rt_events_in_handler(const rt_events *bus)
{
  return bus && tls_dispatching == bus;
}

/* ---- flush and stats --------------------------------------------------------------------- */

riptide_err rt_events_flush(rt_events *bus, uint32_t timeout_ms)
{
  if (!bus)
    return RIPTIDE_ERR_INVALID_ARG;
  if (tls_dispatching == bus)
    return RIPTIDE_ERR_INVALID_ARG;                         /* would wait for itself */
  struct timespec deadline = rt_deadline_in_ms(timeout_ms); /* used when timeout_ms > 0 */
  riptide_err err = RIPTIDE_OK;
  pthread_mutex_lock(&bus->ring_mu);
  uint64_t target = bus->tail;
  bus->flush_waiters++;
  if (bus->batching)
    pthread_cond_signal(&bus->work_cv); /* a flush ends a batch wait */
  while (bus->head < target) {
    if (timeout_ms) {
      int rc = pthread_cond_timedwait(&bus->drained_cv, &bus->ring_mu, &deadline);
      if (rc == ETIMEDOUT && bus->head < target) {
        err = RIPTIDE_ERR_TIMEOUT;
        break;
      }
    } else {
      pthread_cond_wait(&bus->drained_cv, &bus->ring_mu);
    }
  }
  bus->flush_waiters--;
  pthread_mutex_unlock(&bus->ring_mu);
  return err;
}

riptide_err rt_events_wait_idle(rt_events *bus, uint32_t timeout_ms)
{
  if (!bus || tls_dispatching == bus)
    return RIPTIDE_ERR_INVALID_ARG;
  struct timespec deadline = rt_deadline_in_ms(timeout_ms);
  riptide_err err = RIPTIDE_OK;
  pthread_mutex_lock(&bus->ring_mu);
  bus->idle_waiters++;
  while (!(bus->dispatcher_idle && bus->head == bus->tail) && !bus->stopping) {
    if (pthread_cond_timedwait(&bus->drained_cv, &bus->ring_mu, &deadline) == ETIMEDOUT &&
        !(bus->dispatcher_idle && bus->head == bus->tail)) {
      err = RIPTIDE_ERR_TIMEOUT;
      break;
    }
  }
  bus->idle_waiters--;
  pthread_mutex_unlock(&bus->ring_mu);
  return err;
}

void rt_events_stats_get(rt_events *bus, rt_events_stats *st)
{
  memset(st, 0, sizeof(*st));
  pthread_mutex_lock(&bus->ring_mu);
  st->emitted = bus->next_seq;
  st->dropped = bus->dropped;
  st->invalid = bus->invalid;
  st->truncated = bus->truncated;
  st->dispatched = bus->head + bus->unwanted;
  st->unwanted = bus->unwanted;
  st->wakeups = bus->wakeups;
  st->pending = (uint32_t)(bus->tail - bus->head);
  st->ring_size = bus->cap;
  pthread_mutex_unlock(&bus->ring_mu);
  pthread_mutex_lock(&bus->sub_mu);
  st->handler_calls = bus->handler_calls;
  st->subscribers = bus->n_subs;
  pthread_mutex_unlock(&bus->sub_mu);
}

/* ---- JSON -------------------------------------------------------------------------------- */

/* Numbers above INT64_MAX (jansson's integer range) are written as decimal strings. */
static json_t *json_u64(uint64_t v)
{
  if (v <= (uint64_t)INT64_MAX)
    return json_integer((json_int_t)v);
  char buf[24];
  snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
  return json_string(buf);
}

/* A JSON string even for invalid UTF-8 (a metadata value may come from hostile input): bytes
 * of the invalid string that are not ASCII become '?'. */
static json_t *json_str_lossy(const char *s)
{
  json_t *j = json_string(s);
  if (j)
    return j;
  size_t n = strlen(s);
  char *copy = malloc(n + 1);
  if (!copy)
    return NULL;
  for (size_t i = 0; i < n; i++)
    copy[i] = ((unsigned char)s[i] < 0x80u) ? s[i] : '?';
  copy[n] = '\0';
  j = json_string(copy);
  free(copy);
  return j;
}

static int set_new(json_t *obj, const char *key, json_t *val)
{
  if (!val)
    return -1;
  return json_object_set_new(obj, key, val);
}

char *riptide_event_to_json(const riptide_event *ev)
{
  if (!ev || !ev->type)
    return NULL;
  json_t *o = json_object();
  json_t *meta = json_object();
  char *out = NULL;
  if (!o || !meta)
    goto done;
  int rc = 0;
  rc |= set_new(o, "type", json_str_lossy(ev->type));
  rc |= set_new(o, "severity", json_string(riptide_severity_name(ev->severity)));
  rc |= set_new(o, "timestamp_ns", json_u64(ev->timestamp_ns));
  rc |= set_new(o, "seq", json_u64(ev->seq));
  rc |= set_new(o, "pool_id", json_u64(ev->pool_id));
  rc |= set_new(o, "instance_id", json_u64(ev->instance_id));
  uint32_t n = ev->n_meta > RIPTIDE_EVENT_MAX_META ? RIPTIDE_EVENT_MAX_META : ev->n_meta;
  for (uint32_t i = 0; i < n; i++) {
    if (!ev->meta_key[i])
      continue;
    json_t *k = json_str_lossy(ev->meta_key[i]); /* object keys must be valid UTF-8 too */
    if (!k) {
      rc = -1;
      break;
    }
    rc |=
        set_new(meta, json_string_value(k), json_str_lossy(ev->meta_val[i] ? ev->meta_val[i] : ""));
    json_decref(k);
  }
  rc |= json_object_set(o, "metadata", meta);
  rc |= set_new(o, "truncated", json_boolean(ev->truncated));
  if (rc == 0)
    out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
done:
  json_decref(meta);
  json_decref(o);
  return out;
}
