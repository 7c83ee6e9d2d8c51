/*
 * fake_guest.c - the scripted fake rt_guest (see fake_guest.h).
 *
 * DESIGN: one mutex (f->lock) guards the script, the counters and the gate; the gate has a
 * condition variable (gate_cv) that blocked calls wait on and that wait_blocked watches.
 * A slot's own fields (pages, stats) belong to the thread that leases it, as the sandbox
 * contract says, so they need no lock. No callback into the pool is ever made.
 */
#include "fake_guest.h"

#include "abi/abi.h"

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_PAGE 65536ull

typedef struct fake_slot {
  rt_slot base;
  pool_fake_guest *f;
  rt_sandbox_limits lim;
  rt_slot_stats st;
} fake_slot;

struct pool_fake_guest {
  rt_guest guest;       /* immutable after new */
  pthread_mutex_t lock; /* guards everything below */
  pthread_cond_t gate_cv;
  pool_fake_step *script; /* FIFO ring */
  size_t head, n, cap;
  pool_fake_step dflt;
  pool_fake_chooser chooser;
  void *chooser_ctx;
  uint32_t fail_slot_new;
  uint32_t initial_pages;
  bool reset_shrinks;
  bool gate_open;
  uint64_t gate_gen; /* bumped on open so waiters from before leave even if closed again */
  pool_fake_counts c;
};

static const rt_guest_ops fake_ops;

static void fake_deadline(struct timespec *ts, uint64_t ms)
{
  clock_gettime(CLOCK_MONOTONIC, ts);
  uint64_t ns = (uint64_t)ts->tv_nsec + (ms % 1000) * 1000000ull;
  ts->tv_sec += (time_t)(ms / 1000 + ns / 1000000000ull);
  ts->tv_nsec = (long)(ns % 1000000000ull);
}

pool_fake_guest *pool_fake_guest_new(void)
{
  pool_fake_guest *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_mutex_init(&f->lock, NULL);
  pthread_cond_init(&f->gate_cv, &ca);
  pthread_condattr_destroy(&ca);
  f->guest.ops = &fake_ops;
  f->guest.name = "fake";
  f->guest.module = f;
  f->guest.info = "{\"name\":\"fake\",\"version\":\"0\",\"abi\":1,\"features\":[],\"modes\":[]}";
  f->initial_pages = 1;
  f->reset_shrinks = true;
  return f;
}

void pool_fake_guest_free(pool_fake_guest *f)
{
  if (!f)
    return;
  pthread_mutex_destroy(&f->lock);
  pthread_cond_destroy(&f->gate_cv);
  free(f->script);
  free(f);
}

const rt_guest *pool_fake_guest_get(pool_fake_guest *f)
{
  return &f->guest;
}

void pool_fake_guest_push_n(pool_fake_guest *f, const pool_fake_step *step, uint32_t n)
{
  pthread_mutex_lock(&f->lock);
  for (uint32_t i = 0; i < n; i++) {
    if (f->n == f->cap) {
      size_t ncap = f->cap ? f->cap * 2 : 64;
      pool_fake_step *ns = malloc(ncap * sizeof *ns);
      if (!ns)
        break; /* tests notice: the step then comes from the default */
      for (size_t k = 0; k < f->n; k++)
        ns[k] = f->script[(f->head + k) % f->cap];
      free(f->script);
      f->script = ns;
      f->cap = ncap;
      f->head = 0;
    }
    f->script[(f->head + f->n) % f->cap] = *step;
    f->n++;
  }
  pthread_mutex_unlock(&f->lock);
}

void pool_fake_guest_push(pool_fake_guest *f, const pool_fake_step *step)
{
  pool_fake_guest_push_n(f, step, 1);
}

void pool_fake_guest_set_default(pool_fake_guest *f, const pool_fake_step *step)
{
  pthread_mutex_lock(&f->lock);
  f->dflt = *step;
  pthread_mutex_unlock(&f->lock);
}

void pool_fake_guest_set_chooser(pool_fake_guest *f, pool_fake_chooser fn, void *ctx)
{
  pthread_mutex_lock(&f->lock);
  f->chooser = fn;
  f->chooser_ctx = ctx;
  pthread_mutex_unlock(&f->lock);
}

void pool_fake_guest_fail_slot_new(pool_fake_guest *f, uint32_t n)
{
  pthread_mutex_lock(&f->lock);
  f->fail_slot_new = n;
  pthread_mutex_unlock(&f->lock);
}

void pool_fake_guest_set_initial_pages(pool_fake_guest *f, uint32_t pages)
{
  pthread_mutex_lock(&f->lock);
  f->initial_pages = pages;
  pthread_mutex_unlock(&f->lock);
}

void pool_fake_guest_set_reset_shrinks(pool_fake_guest *f, bool shrinks)
{
  pthread_mutex_lock(&f->lock);
  f->reset_shrinks = shrinks;
  pthread_mutex_unlock(&f->lock);
}

void pool_fake_guest_gate_open(pool_fake_guest *f)
{
  pthread_mutex_lock(&f->lock);
  f->gate_open = true;
  f->gate_gen++;
  pthread_cond_broadcast(&f->gate_cv);
  pthread_mutex_unlock(&f->lock);
}

void pool_fake_guest_gate_close(pool_fake_guest *f)
{
  pthread_mutex_lock(&f->lock);
  f->gate_open = false;
  pthread_mutex_unlock(&f->lock);
}

bool pool_fake_guest_wait_blocked(pool_fake_guest *f, uint32_t n, uint32_t timeout_ms)
{
  struct timespec dl;
  fake_deadline(&dl, timeout_ms);
  pthread_mutex_lock(&f->lock);
  int rc = 0;
  while (f->c.blocked < n && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&f->gate_cv, &f->lock, &dl);
  bool ok = f->c.blocked >= n;
  pthread_mutex_unlock(&f->lock);
  return ok;
}

void pool_fake_guest_counts(pool_fake_guest *f, pool_fake_counts *out)
{
  pthread_mutex_lock(&f->lock);
  *out = f->c;
  pthread_mutex_unlock(&f->lock);
}

static void fake_put(uint8_t *p, size_t *off, uint8_t tag, const char *s)
{
  size_t n = strlen(s);
  p[(*off)++] = tag;
  for (int i = 0; i < 4; i++)
    p[(*off)++] = (uint8_t)((uint32_t)n >> (8 * i));
  memcpy(p + *off, s, n);
  *off += n;
}

uint8_t *pool_fake_wire_doc(const char *title, const char *text, size_t *len)
{
  size_t cap = 4 + 10 + strlen(title) + strlen(text);
  uint8_t *p = malloc(cap);
  if (!p)
    return NULL;
  memcpy(p, RT_WIRE_MAGIC, 4);
  size_t off = 4;
  fake_put(p, &off, RT_F_TITLE, title);
  fake_put(p, &off, RT_F_TEXT, text);
  *len = off;
  return p;
}

/* ---- ops ------------------------------------------------------------------------------- */

static riptide_err fake_slot_new(const rt_guest *g, const rt_sandbox_limits *lim, rt_slot **out)
{
  pool_fake_guest *f = (pool_fake_guest *)g->module;
  *out = NULL;
  pthread_mutex_lock(&f->lock);
  if (f->fail_slot_new > 0) {
    f->fail_slot_new--;
    f->c.slot_new_failures++;
    pthread_mutex_unlock(&f->lock);
    return RIPTIDE_ERR_INSTANTIATE;
  }
  uint32_t pages = f->initial_pages;
  pthread_mutex_unlock(&f->lock);
  fake_slot *s = calloc(1, sizeof *s);
  if (!s)
    return RIPTIDE_ERR_NOMEM;
  s->base.guest = g;
  s->f = f;
  s->lim = *lim;
  s->st.pages = s->st.peak_pages = pages;
  pthread_mutex_lock(&f->lock);
  f->c.slots_created++;
  pthread_mutex_unlock(&f->lock);
  *out = &s->base;
  return RIPTIDE_OK;
}

static void fake_slot_free(rt_slot *base)
{
  if (!base)
    return;
  fake_slot *s = (fake_slot *)base;
  pool_fake_guest *f = s->f;
  pthread_mutex_lock(&f->lock);
  f->c.slots_freed++;
  pthread_mutex_unlock(&f->lock);
  free(s);
}

static riptide_err fake_slot_reset(rt_slot *base)
{
  fake_slot *s = (fake_slot *)base;
  pool_fake_guest *f = s->f;
  pthread_mutex_lock(&f->lock);
  f->c.resets++;
  s->st.call_peak_bytes = (uint64_t)s->st.pages * FAKE_PAGE;
  if (s->st.call_peak_bytes > s->st.peak_resident_bytes)
    s->st.peak_resident_bytes = s->st.call_peak_bytes;
  if (f->reset_shrinks)
    s->st.pages = f->initial_pages;
  pthread_mutex_unlock(&f->lock);
  return RIPTIDE_OK;
}

/* The fake's memory is its page count: every page counts as resident (the real sandbox
 * measures its private pages instead; tests of that use the real guests). */
static void fake_slot_stats(const rt_slot *base, rt_slot_stats *st)
{
  *st = ((const fake_slot *)base)->st;
  st->resident_bytes = (uint64_t)st->pages * FAKE_PAGE;
}

static void fake_next_step(pool_fake_guest *f, pool_fake_step *step)
{
  pthread_mutex_lock(&f->lock);
  uint64_t no = f->c.calls++;
  f->c.running++;
  if (f->c.running > f->c.max_running)
    f->c.max_running = f->c.running;
  if (f->n > 0) {
    *step = f->script[f->head];
    f->head = (f->head + 1) % f->cap;
    f->n--;
    pthread_mutex_unlock(&f->lock);
    return;
  }
  pool_fake_chooser fn = f->chooser;
  void *ctx = f->chooser_ctx;
  *step = f->dflt;
  pthread_mutex_unlock(&f->lock);
  if (fn)
    fn(ctx, no, step);
}

static void fake_ok(const pool_fake_step *step, rt_call_result *out)
{
  if (step->wire) {
    out->data = malloc(step->wire_len ? step->wire_len : 1);
    if (!out->data) {
      out->err = RIPTIDE_ERR_NOMEM;
      return;
    }
    memcpy(out->data, step->wire, step->wire_len);
    out->len = step->wire_len;
  } else {
    out->data = pool_fake_wire_doc("Fake title", "Fake text.", &out->len);
    if (!out->data) {
      out->err = RIPTIDE_ERR_NOMEM;
      return;
    }
  }
  out->err = RIPTIDE_OK;
}

static bool fake_grow(fake_slot *s, uint32_t pages)
{
  uint64_t want = (uint64_t)s->st.pages + pages;
  if (s->lim.memory_cap_bytes && want * FAKE_PAGE > s->lim.memory_cap_bytes) {
    s->st.grow_failures++;
    return false;
  }
  s->st.pages = (uint32_t)want;
  if (s->st.pages > s->st.peak_pages)
    s->st.peak_pages = s->st.pages;
  return true;
}

static void fake_call_extract(rt_slot *base, const rt_extract_args *a, rt_call_result *out)
{
  fake_slot *s = (fake_slot *)base;
  pool_fake_guest *f = s->f;
  pool_fake_step step;
  fake_next_step(f, &step);
  memset(out, 0, sizeof *out);
  s->st.calls++;

  volatile uint64_t sink = a->html_len;
  for (uint32_t i = 0; i < step.spin_iters; i++)
    sink = sink * 6364136223846793005ull + 1442695040888963407ull;
  (void)sink;

  switch (step.kind) {
  case POOL_FAKE_OK:
    if (step.grow_pages && !fake_grow(s, step.grow_pages)) {
      out->err = RIPTIDE_ERR_MEMORY_LIMIT;
      break;
    }
    fake_ok(&step, out);
    break;
  case POOL_FAKE_TRAP:
    out->err = RIPTIDE_ERR_TRAP;
    out->trap = step.trap ? step.trap : RIPTIDE_TRAP_UNREACHABLE;
    break;
  case POOL_FAKE_TIMEOUT:
    out->err = RIPTIDE_ERR_TIMEOUT;
    out->trap = RIPTIDE_TRAP_INTERRUPT;
    break;
  case POOL_FAKE_GROW:
    if (fake_grow(s, step.grow_pages))
      fake_ok(&step, out);
    else
      out->err = RIPTIDE_ERR_MEMORY_LIMIT;
    break;
  case POOL_FAKE_GUEST_ERROR:
    out->err = RIPTIDE_ERR_GUEST_ERROR;
    break;
  case POOL_FAKE_BAD_RESULT:
    out->err = RIPTIDE_ERR_BAD_RESULT;
    break;
  case POOL_FAKE_SELECTOR:
    out->err = RIPTIDE_ERR_SELECTOR;
    break;
  case POOL_FAKE_BLOCK: {
    struct timespec dl;
    uint64_t ms = s->lim.timeout_ms ? s->lim.timeout_ms : 3600000u;
    fake_deadline(&dl, ms);
    pthread_mutex_lock(&f->lock);
    uint64_t gen = f->gate_gen;
    f->c.blocked++;
    pthread_cond_broadcast(&f->gate_cv);
    int rc = 0;
    while (!f->gate_open && f->gate_gen == gen && rc != ETIMEDOUT)
      rc = pthread_cond_timedwait(&f->gate_cv, &f->lock, &dl);
    bool passed = f->gate_open || f->gate_gen != gen;
    f->c.blocked--;
    pthread_mutex_unlock(&f->lock);
    if (passed) {
      fake_ok(&step, out);
    } else {
      out->err = RIPTIDE_ERR_TIMEOUT;
      out->trap = RIPTIDE_TRAP_INTERRUPT;
    }
    break;
  }
  }
  if (out->err != RIPTIDE_OK && out->err != RIPTIDE_ERR_SELECTOR)
    s->st.failures++;
  if (out->err != RIPTIDE_OK && out->detail[0] == '\0') {
    const char *m = riptide_strerror(out->err);
    size_t n = strlen(m);
    if (n >= sizeof out->detail)
      n = sizeof out->detail - 1;
    memcpy(out->detail, m, n);
    out->detail[n] = '\0';
  }
  pthread_mutex_lock(&f->lock);
  f->c.running--;
  pthread_mutex_unlock(&f->lock);
}

static const rt_guest_ops fake_ops = {
    .slot_new = fake_slot_new,
    .slot_free = fake_slot_free,
    .slot_reset = fake_slot_reset,
    .call_extract = fake_call_extract,
    .slot_stats = fake_slot_stats,
};

/* ---- test helpers ------------------------------------------------------------------------ */

uint64_t pool_fake_clock(void *ctx)
{
  return atomic_load(&((pool_fake_clock_t *)ctx)->now_ns);
}

void pool_fake_clock_advance_ms(pool_fake_clock_t *c, uint64_t ms)
{
  atomic_fetch_add(&c->now_ns, ms * 1000000ull);
}

/* DESIGN: r->lock guards the array and counters; r->cv is broadcast on each event. The
 * recorder is called on the event dispatcher thread. */
struct pool_rec {
  pthread_mutex_t lock;
  pthread_cond_t cv;
  uint32_t n;
  uint64_t total;
  uint64_t last_seq;
  uint32_t misordered;
  pool_rec_event ev[POOL_REC_MAX];
};

pool_rec *pool_rec_new(void)
{
  pool_rec *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_mutex_init(&r->lock, NULL);
  pthread_cond_init(&r->cv, &ca);
  pthread_condattr_destroy(&ca);
  return r;
}

void pool_rec_free(pool_rec *r)
{
  if (!r)
    return;
  pthread_mutex_destroy(&r->lock);
  pthread_cond_destroy(&r->cv);
  free(r);
}

void pool_rec_fn(const riptide_event *ev, void *ctx)
{
  pool_rec *r = ctx;
  pthread_mutex_lock(&r->lock);
  if (ev->seq <= r->last_seq)
    r->misordered++;
  r->last_seq = ev->seq;
  r->total++;
  if (r->n < POOL_REC_MAX) {
    pool_rec_event *e = &r->ev[r->n++];
    snprintf(e->type, sizeof e->type, "%s", ev->type);
    e->severity = (int)ev->severity;
    e->instance_id = ev->instance_id;
    e->seq = ev->seq;
    size_t off = 0;
    e->meta[0] = '\0';
    for (uint32_t i = 0; i < ev->n_meta && off < sizeof e->meta; i++) {
      int k =
          snprintf(e->meta + off, sizeof e->meta - off, "%s=%s;", ev->meta_key[i], ev->meta_val[i]);
      if (k < 0)
        break;
      off += (size_t)k;
    }
  }
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->lock);
}

static uint32_t rec_count_locked(pool_rec *r, const char *type)
{
  uint32_t c = 0;
  for (uint32_t i = 0; i < r->n; i++)
    if (!type || strcmp(r->ev[i].type, type) == 0)
      c++;
  return c;
}

uint32_t pool_rec_count(pool_rec *r, const char *type)
{
  pthread_mutex_lock(&r->lock);
  uint32_t c = rec_count_locked(r, type);
  pthread_mutex_unlock(&r->lock);
  return c;
}

bool pool_rec_get(pool_rec *r, const char *type, uint32_t idx, pool_rec_event *out)
{
  bool found = false;
  pthread_mutex_lock(&r->lock);
  for (uint32_t i = 0, k = 0; i < r->n; i++) {
    if (type && strcmp(r->ev[i].type, type) != 0)
      continue;
    if (k++ == idx) {
      *out = r->ev[i];
      found = true;
      break;
    }
  }
  pthread_mutex_unlock(&r->lock);
  return found;
}

bool pool_rec_wait(pool_rec *r, const char *type, uint32_t n, uint32_t timeout_ms)
{
  struct timespec dl;
  fake_deadline(&dl, timeout_ms);
  pthread_mutex_lock(&r->lock);
  int rc = 0;
  while (rec_count_locked(r, type) < n && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&r->cv, &r->lock, &dl);
  bool ok = rec_count_locked(r, type) >= n;
  pthread_mutex_unlock(&r->lock);
  return ok;
}

bool pool_rec_has(const pool_rec_event *e, const char *key, const char *val)
{
  char want[128];
  snprintf(want, sizeof want, "%s=%s;", key, val);
  const char *m = e->meta;
  size_t wl = strlen(want);
  while ((m = strstr(m, want)) != NULL) {
    if (m == e->meta || m[-1] == ';')
      return true;
    m += wl;
  }
  return false;
}

uint32_t pool_rec_misordered(pool_rec *r)
{
  pthread_mutex_lock(&r->lock);
  uint32_t m = r->misordered;
  pthread_mutex_unlock(&r->lock);
  return m;
}

/* ---- scripting proxy ----------------------------------------------------------------------- */

/* DESIGN: immutable after new except the atomic call counter. A proxy slot wraps an inner
 * slot (base.guest = the proxy, so the ops can find the chooser) and forwards every op. */
struct pool_proxy_guest {
  rt_guest guest;
  const rt_guest *inner;
  pool_proxy_chooser fn;
  void *ctx;
  _Atomic uint64_t calls;
};

typedef struct px_slot {
  rt_slot base;
  rt_slot *inner;
} px_slot;

static riptide_err px_slot_new(const rt_guest *g, const rt_sandbox_limits *lim, rt_slot **out)
{
  const pool_proxy_guest *x = g->module;
  *out = NULL;
  px_slot *ps = calloc(1, sizeof *ps);
  if (!ps)
    return RIPTIDE_ERR_NOMEM;
  riptide_err err = x->inner->ops->slot_new(x->inner, lim, &ps->inner);
  if (err != RIPTIDE_OK) {
    free(ps);
    return err;
  }
  ps->base.guest = g;
  *out = &ps->base;
  return RIPTIDE_OK;
}

static void px_slot_free(rt_slot *s)
{
  if (!s)
    return;
  px_slot *ps = (px_slot *)s;
  ps->inner->guest->ops->slot_free(ps->inner);
  free(ps);
}

static riptide_err px_slot_reset(rt_slot *s)
{
  px_slot *ps = (px_slot *)s;
  return ps->inner->guest->ops->slot_reset(ps->inner);
}

static void px_slot_stats(const rt_slot *s, rt_slot_stats *st)
{
  const px_slot *ps = (const px_slot *)s;
  ps->inner->guest->ops->slot_stats(ps->inner, st);
}

static void px_call_extract(rt_slot *s, const rt_extract_args *a, rt_call_result *out)
{
  px_slot *ps = (px_slot *)s;
  pool_proxy_guest *x = (pool_proxy_guest *)s->guest->module;
  uint64_t no = atomic_fetch_add(&x->calls, 1);
  const char *what = x->fn ? x->fn(x->ctx, no) : NULL;
  rt_extract_args b = *a;
  char *o = NULL;
  if (what) {
    size_t wl = strlen(what);
    o = malloc(4 + wl + a->opts_len);
    if (!o) {
      memset(out, 0, sizeof *out);
      out->err = RIPTIDE_ERR_NOMEM;
      return;
    }
    memcpy(o, "do=", 3);
    memcpy(o + 3, what, wl);
    o[3 + wl] = '\n';
    if (a->opts_len)
      memcpy(o + 4 + wl, a->opts, a->opts_len);
    b.opts = o;
    b.opts_len = 4 + wl + a->opts_len;
  }
  ps->inner->guest->ops->call_extract(ps->inner, &b, out);
  free(o);
}

static const rt_guest_ops px_ops = {
    .slot_new = px_slot_new,
    .slot_free = px_slot_free,
    .slot_reset = px_slot_reset,
    .call_extract = px_call_extract,
    .slot_stats = px_slot_stats,
};

pool_proxy_guest *pool_proxy_guest_new(const rt_guest *inner, pool_proxy_chooser fn, void *ctx)
{
  if (!inner)
    return NULL;
  pool_proxy_guest *x = calloc(1, sizeof *x);
  if (!x)
    return NULL;
  x->guest.ops = &px_ops;
  x->guest.name = "proxy";
  x->guest.module = x;
  x->guest.info = inner->info;
  x->inner = inner;
  x->fn = fn;
  x->ctx = ctx;
  return x;
}

const rt_guest *pool_proxy_guest_get(pool_proxy_guest *x)
{
  return &x->guest;
}

void pool_proxy_guest_free(pool_proxy_guest *x)
{
  free(x);
}

/* Weak: defined by the sandbox helper's test guests when mk/wasm.mk links them in. */
__attribute__((weak)) const rt_guest *rt_wasm_guest_hostile(void);

const rt_guest *pool_real_hostile_guest(void)
{
  return rt_wasm_guest_hostile ? rt_wasm_guest_hostile() : NULL;
}
