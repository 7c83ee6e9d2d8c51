/*
 * _riptide.c - the CPython extension under `import riptide`: a thin layer over the public C
 * API (include/riptide.h), linked statically with libriptide.a.
 *
 * DESIGN
 *  Pool (riptide._riptide.Pool) owns one riptide_pool. Python threads call extract() on it at
 *  once; the GIL is released while a page is decoded, extracted and formatted, so threads
 *  scale with cores. Arguments are checked (and bytes/str pinned) before the GIL is released.
 *
 *  Lifetime: `users` counts the calls inside the pool (an atomic, so the batch workers, which
 *  never take the GIL, enter and leave without a lock). close() sets `closed`, shuts the pool
 *  down (callers waiting for a permit get SHUTDOWN), waits with the GIL released until `users`
 *  is 0 and frees the pool; a call that enters after `closed` is set leaves again with
 *  SHUTDOWN. The wait uses `lock`/`drained`, touched only on the close path (a leaving caller
 *  signals only when `closed` is set).
 *
 *  Fork: only the forking thread survives in the child, and the pool's threads and locks are
 *  the parent's. A Pool used in a process other than the one that made it abandons the
 *  inherited riptide_pool (never freed: freeing would wait for the parent's threads) and
 *  builds a new one from the same config. This happens under the GIL, so two Python threads
 *  of the child cannot both rebuild it.
 *
 *  Batch (extract_many): the consumer (the Python thread iterating) pulls items from the
 *  iterable, pins them and queues them in a window of 4 x workers jobs; C worker threads
 *  (signals other than the synchronous ones blocked, so Ctrl-C goes to Python's main thread)
 *  take queued jobs in order, extract without the GIL and mark them done. All job states and
 *  counters are guarded by Batch.lock. The consumer waits for a result on an eventfd with
 *  poll(), so a signal (SIGINT) interrupts the wait and Python's handler runs at once
 *  (KeyboardInterrupt), even while a slow page holds the head of an ordered batch. Only the
 *  consumer touches the Python objects of a job; workers touch its C fields between
 *  QUEUED -> DONE. Dealloc stops and joins the workers before freeing the jobs. An item that
 *  is not a page gets its TypeError as its result; an error of the iterable itself is raised
 *  after the results of the items read before it. One consumer at a time (`busy`, as a
 *  generator's "already executing").
 *  No lock is held while extracting or while calling into Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "riptide.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum { OUT_DICT = 0, OUT_JSON, OUT_MARKDOWN, OUT_TEXT };

/* ---- errors -------------------------------------------------------------------------------- */

static PyObject *g_error_base;     /* riptide.RiptideError */
static PyObject *g_error_by_class; /* dict: class name -> exception type */

/* A new exception instance for err (not raised). */
static PyObject *make_error(riptide_err err, const char *detail)
{
  const char *cls = riptide_err_class_name(riptide_err_class_of(err));
  PyObject *type = g_error_by_class ? PyDict_GetItemString(g_error_by_class, cls) : NULL;
  if (!type)
    type = g_error_base ? g_error_base : PyExc_RuntimeError;
  const char *msg = detail && *detail ? detail : riptide_strerror(err);
  return PyObject_CallFunction(type, "sssi", msg, riptide_err_name(err), cls, (int)err);
}

static PyObject *raise_error(riptide_err err, const char *detail)
{
  PyObject *e = make_error(err, detail);
  if (e) {
    PyErr_SetObject((PyObject *)Py_TYPE(e), e);
    Py_DECREF(e);
  }
  return NULL;
}

/* ---- signals ------------------------------------------------------------------------------- */

/* The asynchronous signals (SIGINT, SIGTERM, ...): everything but the synchronous ones and the
 * real-time signals (the sandbox's deadline interrupt is one). Threads that are not Python's
 * block them, so a Ctrl-C reaches the interpreter's main thread. */
static void async_signals(sigset_t *s)
{
  sigfillset(s);
  static const int sync[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};
  for (size_t i = 0; i < sizeof sync / sizeof sync[0]; i++)
    sigdelset(s, sync[i]);
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
    sigdelset(s, sig);
}

static void block_async_signals(sigset_t *old)
{
  sigset_t s;
  async_signals(&s);
  pthread_sigmask(SIG_BLOCK, &s, old);
}

/* riptide_pool_new with the asynchronous signals blocked, so the threads it starts (health,
 * events, the sandbox's watchdog) inherit that mask. */
static riptide_err pool_new_quiet(const riptide_pool_config *c, riptide_pool **out)
{
  sigset_t old;
  block_async_signals(&old);
  riptide_err err = riptide_pool_new(c, out);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return err;
}

/* ---- pool ---------------------------------------------------------------------------------- */

typedef struct {
  PyObject_HEAD riptide_pool *pool; /* NULL once closed */
  riptide_pool_config cfg;
  uint64_t max_input;
  pid_t pid;
  _Atomic int users;
  _Atomic bool closed;
  pthread_mutex_t lock; /* close path only: guards nothing but the wait on `drained` */
  pthread_cond_t drained;
} PoolObject;

static PyTypeObject PoolType;

/* Under the GIL: rebuilds the pool in a forked child. */
static int pool_check_fork(PoolObject *p)
{
  if (p->pid == getpid() || atomic_load(&p->closed))
    return 0;
  riptide_pool *np = NULL;
  riptide_err err;
  /* The GIL stays held: another Python thread of the child must not rebuild it too. */
  err = pool_new_quiet(&p->cfg, &np);
  if (err != RIPTIDE_OK) {
    raise_error(err, "could not create the pool in the forked child");
    return -1;
  }
  /* The parent's pool is abandoned, not freed (see DESIGN); so are its lock and cond. */
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->drained, NULL);
  atomic_store(&p->users, 0);
  p->pool = np;
  p->pid = getpid();
  return 0;
}

/* Any thread, no GIL needed. False when the pool is closed. */
static bool pool_enter(PoolObject *p)
{
  atomic_fetch_add(&p->users, 1);
  if (atomic_load(&p->closed)) {
    if (atomic_fetch_sub(&p->users, 1) == 1) {
      pthread_mutex_lock(&p->lock);
      pthread_cond_broadcast(&p->drained);
      pthread_mutex_unlock(&p->lock);
    }
    return false;
  }
  return true;
}

static void pool_leave(PoolObject *p)
{
  if (atomic_fetch_sub(&p->users, 1) == 1 && atomic_load(&p->closed)) {
    pthread_mutex_lock(&p->lock);
    pthread_cond_broadcast(&p->drained);
    pthread_mutex_unlock(&p->lock);
  }
}

/* Under the GIL (released while waiting). */
static void pool_close(PoolObject *p)
{
  if (atomic_exchange(&p->closed, true))
    return;
  if (p->pid != getpid()) { /* inherited and never used here: abandon it */
    p->pool = NULL;
    return;
  }
  riptide_pool *pool = p->pool;
  Py_BEGIN_ALLOW_THREADS;
  /* Callers waiting for a permit get SHUTDOWN now; calls in flight finish. */
  riptide_pool_shutdown(pool, UINT32_MAX);
  pthread_mutex_lock(&p->lock);
  while (atomic_load(&p->users) > 0)
    pthread_cond_wait(&p->drained, &p->lock);
  pthread_mutex_unlock(&p->lock);
  riptide_pool_free(pool);
  Py_END_ALLOW_THREADS;
  p->pool = NULL;
}

static uint64_t get_u64(PyObject *o, const char *name, uint64_t dflt, uint64_t lo, uint64_t hi,
                        int *bad)
{
  if (!o || o == Py_None)
    return dflt;
  if (!PyLong_Check(o) || PyBool_Check(o)) {
    PyErr_Format(PyExc_TypeError, "%s must be an int", name);
    *bad = 1;
    return 0;
  }
  unsigned long long v = PyLong_AsUnsignedLongLong(o);
  if (PyErr_Occurred() || v < lo || v > hi) {
    PyErr_Clear();
    PyErr_Format(PyExc_ValueError, "%s must be between %llu and %llu", name, (unsigned long long)lo,
                 (unsigned long long)hi);
    *bad = 1;
    return 0;
  }
  return v;
}

static int Pool_init(PoolObject *self, PyObject *args, PyObject *kw)
{
  static char *kwlist[] = {"max_slots", "timeout_ms", "memory_cap",      "fallback",
                           "max_input", "warm_slots", "acquire_wait_ms", NULL};
  PyObject *max_slots = NULL, *timeout_ms = NULL, *memory_cap = NULL, *max_input = NULL,
           *warm = NULL, *wait_ms = NULL;
  int fallback = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "|$OOOpOOO", kwlist, &max_slots, &timeout_ms,
                                   &memory_cap, &fallback, &max_input, &warm, &wait_ms))
    return -1;
  if (self->pool) {
    PyErr_SetString(PyExc_RuntimeError, "Pool is already initialised");
    return -1;
  }
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  int bad = 0;
  c.max_slots = (uint32_t)get_u64(max_slots, "parallel", c.max_slots, 1, 1024, &bad);
  if (!bad)
    c.timeout_ms = (uint32_t)get_u64(timeout_ms, "timeout", c.timeout_ms, 1, 600000, &bad);
  if (!bad)
    c.memory_cap_bytes =
        get_u64(memory_cap, "memory_limit", c.memory_cap_bytes, 65536, 4ull << 30, &bad);
  if (!bad)
    c.max_input_bytes = get_u64(max_input, "max_input", c.max_input_bytes, 1, 1ull << 30, &bad);
  if (!bad)
    c.warm_slots = (uint32_t)get_u64(warm, "warm", c.warm_slots, 0, c.max_slots, &bad);
  if (!bad)
    c.acquire_wait_ms =
        (uint32_t)get_u64(wait_ms, "acquire_timeout", c.acquire_wait_ms, 0, UINT32_MAX, &bad);
  if (bad)
    return -1;
  if ((!warm || warm == Py_None) && c.warm_slots > c.max_slots)
    c.warm_slots = c.max_slots;
  c.fallback_enabled = fallback != 0;
  riptide_pool *pool = NULL;
  riptide_err err;
  Py_BEGIN_ALLOW_THREADS;
  err = pool_new_quiet(&c, &pool);
  Py_END_ALLOW_THREADS;
  if (err != RIPTIDE_OK) {
    raise_error(err, NULL);
    return -1;
  }
  self->cfg = c;
  self->max_input = c.max_input_bytes;
  self->pool = pool;
  self->pid = getpid();
  atomic_store(&self->users, 0);
  atomic_store(&self->closed, false);
  pthread_mutex_init(&self->lock, NULL);
  pthread_cond_init(&self->drained, NULL);
  return 0;
}

static PyObject *Pool_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
  PoolObject *self = (PoolObject *)type->tp_alloc(type, 0);
  if (self)
    atomic_store(&self->closed, true); /* until __init__ succeeds */
  return (PyObject *)self;
}

static void Pool_dealloc(PoolObject *self)
{
  if (self->pool)
    pool_close(self);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Pool_close(PoolObject *self, PyObject *unused)
{
  if (self->pool)
    pool_close(self);
  Py_RETURN_NONE;
}

static PyObject *Pool_closed(PoolObject *self, void *unused)
{
  return PyBool_FromLong(atomic_load(&self->closed));
}

/* Enters the pool for a call made under the GIL; raises when closed. */
static int pool_enter_checked(PoolObject *p)
{
  if (pool_check_fork(p) < 0)
    return -1;
  if (!pool_enter(p)) {
    raise_error(RIPTIDE_ERR_SHUTDOWN, "the extractor is closed");
    return -1;
  }
  return 0;
}

static int set_u64(PyObject *d, const char *k, uint64_t v)
{
  PyObject *o = PyLong_FromUnsignedLongLong(v);
  int rc = o ? PyDict_SetItemString(d, k, o) : -1;
  Py_XDECREF(o);
  return rc;
}

static int set_str(PyObject *d, const char *k, const char *v)
{
  PyObject *o = PyUnicode_FromString(v);
  int rc = o ? PyDict_SetItemString(d, k, o) : -1;
  Py_XDECREF(o);
  return rc;
}

static PyObject *hist_dict(const riptide_histogram *h)
{
  PyObject *d = PyDict_New();
  if (!d)
    return NULL;
  PyObject *b = PyList_New(RIPTIDE_HIST_BUCKETS);
  if (!b)
    goto fail;
  for (int i = 0; i < RIPTIDE_HIST_BUCKETS; i++) {
    PyObject *v = PyLong_FromUnsignedLongLong(h->buckets[i]);
    if (!v) {
      Py_DECREF(b);
      goto fail;
    }
    PyList_SET_ITEM(b, i, v);
  }
  if (set_u64(d, "count", h->count) < 0 || PyDict_SetItemString(d, "buckets", b) < 0) {
    Py_DECREF(b);
    goto fail;
  }
  Py_DECREF(b);
  PyObject *sum = PyFloat_FromDouble((double)h->sum_ns / 1e6);
  PyObject *p50 = PyFloat_FromDouble((double)riptide_histogram_quantile(h, 0.50) / 1e6);
  PyObject *p95 = PyFloat_FromDouble((double)riptide_histogram_quantile(h, 0.95) / 1e6);
  PyObject *p99 = PyFloat_FromDouble((double)riptide_histogram_quantile(h, 0.99) / 1e6);
  int rc = sum && p50 && p95 && p99 && PyDict_SetItemString(d, "sum_ms", sum) == 0 &&
           PyDict_SetItemString(d, "p50_ms", p50) == 0 &&
           PyDict_SetItemString(d, "p95_ms", p95) == 0 &&
           PyDict_SetItemString(d, "p99_ms", p99) == 0;
  Py_XDECREF(sum);
  Py_XDECREF(p50);
  Py_XDECREF(p95);
  Py_XDECREF(p99);
  if (!rc)
    goto fail;
  return d;
fail:
  Py_DECREF(d);
  return NULL;
}

static PyObject *Pool_metrics(PoolObject *self, PyObject *unused)
{
  if (pool_enter_checked(self) < 0)
    return NULL;
  riptide_metrics m;
  Py_BEGIN_ALLOW_THREADS;
  riptide_pool_metrics(self->pool, &m);
  pool_leave(self); /* before the GIL: a finalizing interpreter may never give it back */
  Py_END_ALLOW_THREADS;
  PyObject *d = PyDict_New();
  if (!d)
    return NULL;
  static const char *const breaker[] = {"closed", "open", "half_open"};
  int ok = set_u64(d, "extractions_total", m.extractions_total) == 0 &&
           set_u64(d, "extractions_succeeded", m.extractions_succeeded) == 0 &&
           set_u64(d, "extractions_failed", m.extractions_failed) == 0 &&
           set_u64(d, "succeeded_wasm", m.succeeded_wasm) == 0 &&
           set_u64(d, "succeeded_native", m.succeeded_native) == 0 &&
           set_u64(d, "fallbacks", m.fallbacks) == 0 && set_u64(d, "timeouts", m.timeouts) == 0 &&
           set_u64(d, "grow_failures", m.grow_failures) == 0 &&
           set_u64(d, "pool_exhausted", m.pool_exhausted) == 0 &&
           set_u64(d, "breaker_trips", m.breaker_trips) == 0 &&
           set_str(d, "breaker_state",
                   m.breaker_state >= 0 && m.breaker_state <= 2 ? breaker[m.breaker_state]
                                                                : "unknown") == 0 &&
           set_u64(d, "slots_created", m.slots_created) == 0 &&
           set_u64(d, "slots_destroyed", m.slots_destroyed) == 0 &&
           set_u64(d, "slots_idle", m.slots_idle) == 0 &&
           set_u64(d, "slots_leased", m.slots_leased) == 0 &&
           set_u64(d, "in_flight", m.in_flight) == 0 &&
           set_u64(d, "guest_pages", m.guest_pages) == 0 &&
           set_u64(d, "events_emitted", m.events_emitted) == 0 &&
           set_u64(d, "events_dropped", m.events_dropped) == 0;
  PyObject *fb = ok ? PyDict_New() : NULL;
  for (int i = 0; fb && i < RIPTIDE_FB_COUNT_; i++)
    if (set_u64(fb, riptide_fallback_reason_name((riptide_fallback_reason)i),
                m.fallbacks_by_reason[i]) < 0)
      Py_CLEAR(fb);
  PyObject *tr = fb ? PyDict_New() : NULL;
  for (int i = 1; tr && i < RIPTIDE_TRAP_COUNT_; i++)
    if (set_u64(tr, riptide_trap_name((riptide_trap)i), m.traps_by_kind[i]) < 0)
      Py_CLEAR(tr);
  PyObject *pw = tr ? hist_dict(&m.permit_wait) : NULL;
  PyObject *ed = pw ? hist_dict(&m.extract_duration) : NULL;
  ok = ed && PyDict_SetItemString(d, "fallbacks_by_reason", fb) == 0 &&
       PyDict_SetItemString(d, "traps_by_kind", tr) == 0 &&
       PyDict_SetItemString(d, "permit_wait", pw) == 0 &&
       PyDict_SetItemString(d, "extract_duration", ed) == 0;
  Py_XDECREF(fb);
  Py_XDECREF(tr);
  Py_XDECREF(pw);
  Py_XDECREF(ed);
  if (!ok) {
    Py_DECREF(d);
    return NULL;
  }
  return d;
}

static PyObject *Pool_prometheus(PoolObject *self, PyObject *unused)
{
  if (pool_enter_checked(self) < 0)
    return NULL;
  riptide_metrics m;
  char *text;
  Py_BEGIN_ALLOW_THREADS;
  riptide_pool_metrics(self->pool, &m);
  text = riptide_metrics_to_prometheus(&m);
  pool_leave(self); /* before the GIL: a finalizing interpreter may never give it back */
  Py_END_ALLOW_THREADS;
  if (!text)
    return PyErr_NoMemory();
  PyObject *s = PyUnicode_FromString(text);
  free(text);
  return s;
}

static PyObject *Pool_status(PoolObject *self, PyObject *unused)
{
  if (pool_enter_checked(self) < 0)
    return NULL;
  riptide_pool_status st;
  Py_BEGIN_ALLOW_THREADS;
  riptide_pool_status_get(self->pool, &st);
  pool_leave(self); /* before the GIL: a finalizing interpreter may never give it back */
  Py_END_ALLOW_THREADS;
  static const char *const breaker[] = {"closed", "open", "half_open"};
  PyObject *d = PyDict_New();
  if (!d)
    return NULL;
  if (set_u64(d, "pool_id", st.pool_id) < 0 || set_u64(d, "max_slots", st.max_slots) < 0 ||
      set_u64(d, "available", st.available) < 0 || set_u64(d, "leased", st.leased) < 0 ||
      set_u64(d, "idle", st.idle) < 0 || set_u64(d, "in_flight", st.in_flight) < 0 ||
      set_u64(d, "waiters", st.waiters) < 0 ||
      set_str(d, "breaker_state",
              st.breaker_state >= 0 && st.breaker_state <= 2 ? breaker[st.breaker_state]
                                                             : "unknown") < 0 ||
      PyDict_SetItemString(d, "shutting_down", st.shutting_down ? Py_True : Py_False) < 0) {
    Py_DECREF(d);
    return NULL;
  }
  return d;
}

/* ---- one page ------------------------------------------------------------------------------ */

/* A page's input, pinned under the GIL and read without it. */
typedef struct page_in {
  PyObject *html_obj; /* owned reference (bytes-like or str) */
  PyObject *url_obj;  /* owned reference or NULL */
  Py_buffer view;     /* for bytes-like inputs */
  bool has_view;
  bool is_text;     /* str: already text, not charset-decoded */
  const char *data; /* UTF-8 (str) or raw bytes */
  size_t len;
  const char *url; /* UTF-8 owned by url_obj, or NULL */
} page_in;

/* Options shared by all pages of a call. */
typedef struct page_opts {
  riptide_options opts;
  int output;
  PyObject *selector_obj; /* owned; keeps opts.selector alive */
} page_opts;

/* A page's result, made without the GIL. */
typedef struct page_out {
  riptide_err err;
  char detail[256];
  riptide_document *doc; /* OUT_DICT */
  char *text;            /* other outputs, malloc'd */
  size_t text_len;
} page_out;

static void page_in_release(page_in *in)
{
  if (in->has_view)
    PyBuffer_Release(&in->view);
  in->has_view = false;
  Py_CLEAR(in->html_obj);
  Py_CLEAR(in->url_obj);
}

/* Under the GIL. Returns 0, or -1 with TypeError/ValueError set. */
static int page_in_set(page_in *in, PyObject *html, PyObject *url)
{
  memset(in, 0, sizeof *in);
  if (url && url != Py_None) {
    if (!PyUnicode_Check(url)) {
      PyErr_Format(PyExc_TypeError, "url must be a str or None, not %.100s", Py_TYPE(url)->tp_name);
      return -1;
    }
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(url, &n);
    if (!u)
      return -1;
    if (strlen(u) != (size_t)n) {
      PyErr_SetString(PyExc_ValueError, "url contains a NUL character");
      return -1;
    }
    in->url = u;
    Py_INCREF(url);
    in->url_obj = url;
  }
  if (PyUnicode_Check(html)) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(html, &n);
    if (!s) {
      page_in_release(in);
      return -1;
    }
    in->data = s;
    in->len = (size_t)n;
    in->is_text = true;
  } else if (PyObject_CheckBuffer(html) && !PyUnicode_Check(html)) {
    if (PyObject_GetBuffer(html, &in->view, PyBUF_SIMPLE) < 0) {
      page_in_release(in);
      return -1;
    }
    in->has_view = true;
    in->data = in->view.buf;
    in->len = (size_t)in->view.len;
  } else {
    PyErr_Format(PyExc_TypeError, "html must be str or bytes, not %.100s", Py_TYPE(html)->tp_name);
    page_in_release(in);
    return -1;
  }
  Py_INCREF(html);
  in->html_obj = html;
  return 0;
}

static bool all_space(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\f')
      return false;
  return true;
}

typedef struct sbuf {
  char *p;
  size_t len, cap;
  bool failed;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
  if (b->failed)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap : 256;
    while (nc < b->len + n + 1)
      nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) {
      b->failed = true;
      return;
    }
    b->p = np;
    b->cap = nc;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
  sb_put(b, s, strlen(s));
}

/* The text `riptide extract -f markdown|txt|json` prints for one page (json without "id"). */
static bool format_output(const riptide_document *d, int output, char **out, size_t *len)
{
  sbuf b = {0};
  if (output == OUT_JSON) {
    char *j = riptide_document_to_json(d, NULL, true);
    if (!j)
      return false;
    sb_puts(&b, j);
    free(j);
  } else if (output == OUT_MARKDOWN) {
    const char *md = d->markdown ? d->markdown : "";
    if (d->title && strncmp(md, "# ", 2) != 0) {
      sb_puts(&b, "# ");
      sb_puts(&b, d->title);
      sb_puts(&b, "\n\n");
    }
    sb_puts(&b, md);
  } else {
    sb_puts(&b, d->text ? d->text : "");
  }
  if (output == OUT_JSON || b.len == 0 || b.p[b.len - 1] != '\n')
    sb_put(&b, "\n", 1);
  if (b.failed) {
    free(b.p);
    return false;
  }
  *out = b.p;
  *len = b.len;
  return true;
}

/* Without the GIL: decode (bytes), extract, format. The caller has entered the pool. */
static void page_run(riptide_pool *pool, uint64_t max_input, const page_in *in, const page_opts *po,
                     page_out *out)
{
  memset(out, 0, sizeof *out);
  char *html = NULL;
  size_t len = 0;
  riptide_err err = RIPTIDE_OK;
  if (in->len == 0) {
    err = RIPTIDE_ERR_BAD_INPUT;
    snprintf(out->detail, sizeof out->detail, "empty input");
  } else if (in->is_text) {
    if (in->len > max_input) {
      err = RIPTIDE_ERR_INPUT_TOO_LARGE;
      snprintf(out->detail, sizeof out->detail, "input exceeds %llu bytes",
               (unsigned long long)max_input);
    }
  } else {
    err = riptide_decode_input(in->data, in->len, NULL, max_input, &html, &len);
    if (err == RIPTIDE_ERR_BAD_INPUT)
      snprintf(out->detail, sizeof out->detail, "binary data, not HTML");
    else if (err == RIPTIDE_ERR_INPUT_TOO_LARGE)
      snprintf(out->detail, sizeof out->detail, "decoded input exceeds %llu bytes",
               (unsigned long long)max_input);
    else if (err == RIPTIDE_ERR_DECODE)
      snprintf(out->detail, sizeof out->detail, "corrupt compressed data or undecodable charset");
  }
  const char *src = html ? html : in->data;
  size_t src_len = html ? len : in->len;
  if (err == RIPTIDE_OK && all_space(src, src_len)) {
    err = RIPTIDE_ERR_BAD_INPUT;
    snprintf(out->detail, sizeof out->detail, "empty input (whitespace only)");
  }
  riptide_document *doc = NULL;
  if (err == RIPTIDE_OK)
    err = riptide_pool_extract(pool, src, src_len, in->url, &po->opts, &doc);
  free(html);
  if (err == RIPTIDE_OK && po->output != OUT_DICT) {
    if (!format_output(doc, po->output, &out->text, &out->text_len)) {
      err = RIPTIDE_ERR_NOMEM;
      snprintf(out->detail, sizeof out->detail, "out of memory formatting the document");
    }
    riptide_document_free(doc);
    doc = NULL;
  }
  out->err = err;
  out->doc = doc;
}

/* Interned dict keys, in schema order. */
enum {
  K_URL,
  K_TITLE,
  K_BYLINE,
  K_DATE,
  K_SITE_NAME,
  K_DESCRIPTION,
  K_LANGUAGE,
  K_CANONICAL_URL,
  K_TEXT,
  K_MARKDOWN,
  K_HTML,
  K_LINKS,
  K_MEDIA,
  K_CATEGORIES,
  K_WORD_COUNT,
  K_READING_TIME,
  K_QUALITY_SCORE,
  K_FINGERPRINT,
  K_TEXT_HASH,
  K_ENGINE,
  K_FALLBACK_REASON,
  K_GUEST_ERROR,
  K_TRAP,
  K_WAIT_MS,
  K_EXTRACT_MS,
  K_HREF,
  K_SRC,
  K_ALT,
  K_KIND,
  K_CAPTION,
  K_COUNT_
};
static const char *const key_names[K_COUNT_] = {"url",
                                                "title",
                                                "byline",
                                                "date",
                                                "site_name",
                                                "description",
                                                "language",
                                                "canonical_url",
                                                "text",
                                                "markdown",
                                                "html",
                                                "links",
                                                "media",
                                                "categories",
                                                "word_count",
                                                "reading_time",
                                                "quality_score",
                                                "fingerprint",
                                                "text_hash",
                                                "engine",
                                                "fallback_reason",
                                                "guest_error",
                                                "trap",
                                                "wait_ms",
                                                "extract_ms",
                                                "href",
                                                "src",
                                                "alt",
                                                "kind",
                                                "caption"};
static PyObject *g_keys[K_COUNT_];

static PyObject *str_or_none(const char *s)
{
  if (!s)
    Py_RETURN_NONE;
  return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

static int put(PyObject *d, int k, PyObject *v)
{
  if (!v)
    return -1;
  int rc = PyDict_SetItem(d, g_keys[k], v);
  Py_DECREF(v);
  return rc;
}

/* The document as a dict with the keys and values of riptide_document_to_json (no "id"). */
static PyObject *doc_to_dict(const riptide_document *d)
{
  PyObject *o = PyDict_New();
  if (!o)
    return NULL;
  if (put(o, K_URL, str_or_none(d->url)) < 0 || put(o, K_TITLE, str_or_none(d->title)) < 0 ||
      put(o, K_BYLINE, str_or_none(d->byline)) < 0 || put(o, K_DATE, str_or_none(d->date)) < 0 ||
      put(o, K_SITE_NAME, str_or_none(d->site_name)) < 0 ||
      put(o, K_DESCRIPTION, str_or_none(d->description)) < 0 ||
      put(o, K_LANGUAGE, str_or_none(d->language)) < 0 ||
      put(o, K_CANONICAL_URL, str_or_none(d->canonical_url)) < 0 ||
      put(o, K_TEXT, str_or_none(d->text)) < 0 || put(o, K_MARKDOWN, str_or_none(d->markdown)) < 0)
    goto fail;
  if (d->html && put(o, K_HTML, str_or_none(d->html)) < 0)
    goto fail;
  PyObject *links = PyList_New((Py_ssize_t)d->n_links);
  if (!links)
    goto fail;
  for (size_t i = 0; i < d->n_links; i++) {
    PyObject *l = PyDict_New();
    if (!l || put(l, K_HREF, str_or_none(d->links[i].href)) < 0 ||
        put(l, K_TEXT, str_or_none(d->links[i].text)) < 0) {
      Py_XDECREF(l);
      Py_DECREF(links);
      goto fail;
    }
    PyList_SET_ITEM(links, (Py_ssize_t)i, l);
  }
  if (put(o, K_LINKS, links) < 0)
    goto fail;
  PyObject *media = PyList_New((Py_ssize_t)d->n_media);
  if (!media)
    goto fail;
  for (size_t i = 0; i < d->n_media; i++) {
    PyObject *m = PyDict_New();
    if (!m || put(m, K_SRC, str_or_none(d->media[i].src)) < 0 ||
        put(m, K_ALT, str_or_none(d->media[i].alt)) < 0 ||
        put(m, K_KIND, str_or_none(d->media[i].kind)) < 0 ||
        put(m, K_CAPTION, str_or_none(d->media[i].caption)) < 0) {
      Py_XDECREF(m);
      Py_DECREF(media);
      goto fail;
    }
    PyList_SET_ITEM(media, (Py_ssize_t)i, m);
  }
  if (put(o, K_MEDIA, media) < 0)
    goto fail;
  PyObject *cats = PyList_New((Py_ssize_t)d->n_categories);
  if (!cats)
    goto fail;
  for (size_t i = 0; i < d->n_categories; i++) {
    PyObject *c = str_or_none(d->categories[i]);
    if (!c) {
      Py_DECREF(cats);
      goto fail;
    }
    PyList_SET_ITEM(cats, (Py_ssize_t)i, c);
  }
  if (put(o, K_CATEGORIES, cats) < 0 ||
      put(o, K_WORD_COUNT, PyLong_FromUnsignedLong(d->word_count)) < 0 ||
      put(o, K_READING_TIME, PyLong_FromUnsignedLong(d->reading_time)) < 0)
    goto fail;
  if (d->quality_score < 0) {
    Py_INCREF(Py_None);
    if (put(o, K_QUALITY_SCORE, Py_None) < 0)
      goto fail;
  } else if (put(o, K_QUALITY_SCORE, PyLong_FromLong(d->quality_score)) < 0) {
    goto fail;
  }
  if (d->has_fingerprint) {
    char fp[17], th[33];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)d->fingerprint);
    for (int i = 0; i < 16; i++)
      snprintf(th + 2 * i, 3, "%02x", d->text_hash[i]);
    if (put(o, K_FINGERPRINT, str_or_none(fp)) < 0 || put(o, K_TEXT_HASH, str_or_none(th)) < 0)
      goto fail;
  } else if (put(o, K_FINGERPRINT, str_or_none(NULL)) < 0 ||
             put(o, K_TEXT_HASH, str_or_none(NULL)) < 0) {
    goto fail;
  }
  if (put(o, K_ENGINE, str_or_none(d->engine)) < 0 ||
      put(o, K_FALLBACK_REASON, str_or_none(d->fallback_reason)) < 0)
    goto fail;
  if (d->fallback_reason && d->guest_error != RIPTIDE_OK &&
      put(o, K_GUEST_ERROR, str_or_none(riptide_err_name(d->guest_error))) < 0)
    goto fail;
  if (d->trap != RIPTIDE_TRAP_NONE && put(o, K_TRAP, str_or_none(riptide_trap_name(d->trap))) < 0)
    goto fail;
  /* Whole microseconds over 1000, as the JSON writer prints them (so json.loads agrees). */
  if (put(o, K_WAIT_MS, PyFloat_FromDouble((double)(d->wait_ns / 1000) / 1000.0)) < 0 ||
      put(o, K_EXTRACT_MS, PyFloat_FromDouble((double)(d->extract_ns / 1000) / 1000.0)) < 0)
    goto fail;
  return o;
fail:
  Py_DECREF(o);
  return NULL;
}

/* Under the GIL: the Python value of a result, or an exception instance when as_value and the
 * page failed (NULL with an exception set otherwise). Frees the result's C parts. */
static PyObject *page_out_take(page_out *out, int output, bool as_value)
{
  PyObject *r = NULL;
  if (out->err != RIPTIDE_OK) {
    if (as_value)
      r = make_error(out->err, out->detail);
    else
      raise_error(out->err, out->detail);
  } else if (output == OUT_DICT) {
    r = doc_to_dict(out->doc);
  } else {
    r = PyUnicode_DecodeUTF8(out->text, (Py_ssize_t)out->text_len, "replace");
  }
  riptide_document_free(out->doc);
  out->doc = NULL;
  free(out->text);
  out->text = NULL;
  return r;
}

/* Validated options: (mode, selector or None, output, links, images, tables). */
static int page_opts_set(page_opts *po, int mode, PyObject *selector, int output, int links,
                         int images, int tables)
{
  memset(po, 0, sizeof *po);
  riptide_options_init(&po->opts);
  if (mode < RIPTIDE_MODE_ARTICLE || mode > RIPTIDE_MODE_CUSTOM) {
    PyErr_SetString(PyExc_ValueError, "bad mode");
    return -1;
  }
  if (output < OUT_DICT || output > OUT_TEXT) {
    PyErr_SetString(PyExc_ValueError, "bad output");
    return -1;
  }
  po->opts.mode = (riptide_mode)mode;
  po->opts.want_links = links != 0;
  po->opts.want_media = images != 0;
  po->opts.want_tables = tables != 0;
  po->output = output;
  if (selector && selector != Py_None) {
    if (!PyUnicode_Check(selector)) {
      PyErr_SetString(PyExc_TypeError, "selector must be a str");
      return -1;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(selector, &n);
    if (!s)
      return -1;
    if (strlen(s) != (size_t)n) {
      PyErr_SetString(PyExc_ValueError, "selector contains a NUL character");
      return -1;
    }
    po->opts.selector = s;
    Py_INCREF(selector);
    po->selector_obj = selector;
  }
  return 0;
}

/* extract(pool, html, url, mode, selector, output, links, images, tables) */
static PyObject *mod_extract(PyObject *m, PyObject *args)
{
  PoolObject *p;
  PyObject *html, *url, *selector;
  int mode, output, links, images, tables;
  if (!PyArg_ParseTuple(args, "O!OOiOippp", &PoolType, &p, &html, &url, &mode, &selector, &output,
                        &links, &images, &tables))
    return NULL;
  page_opts po;
  if (page_opts_set(&po, mode, selector, output, links, images, tables) < 0)
    return NULL;
  page_in in;
  if (page_in_set(&in, html, url) < 0) {
    Py_XDECREF(po.selector_obj);
    return NULL;
  }
  if (pool_enter_checked(p) < 0) {
    page_in_release(&in);
    Py_XDECREF(po.selector_obj);
    return NULL;
  }
  page_out out;
  Py_BEGIN_ALLOW_THREADS;
  page_run(p->pool, p->max_input, &in, &po, &out);
  pool_leave(p); /* before the GIL: a finalizing interpreter may never give it back */
  Py_END_ALLOW_THREADS;
  page_in_release(&in);
  Py_XDECREF(po.selector_obj);
  return page_out_take(&out, output, false);
}

/* ---- batch --------------------------------------------------------------------------------- */

typedef enum { JOB_EMPTY = 0, JOB_QUEUED, JOB_RUNNING, JOB_DONE } job_state;

typedef struct job {
  job_state state; /* guarded by Batch.lock */
  uint64_t index;
  page_in in;
  PyObject *bad; /* consumer only: an exception instance for an item that is not a page */
  page_out out;
} job;

typedef struct {
  PyObject_HEAD PoolObject *pool;
  PyObject *iter; /* NULL once exhausted */
  page_opts po;
  bool ordered;
  unsigned n_workers;
  pthread_t *workers;
  unsigned started;
  job *ring; /* window slots; job of index i lives at ring[i % window] */
  size_t window;
  pthread_mutex_t lock;
  pthread_cond_t work;
  uint64_t next_index;  /* consumer: next index to read from the iterable */
  uint64_t next_take;   /* guarded by lock: next index a worker takes */
  uint64_t next_yield;  /* consumer: ordered mode, next index to yield */
  uint64_t queued;      /* guarded by lock: highest queued index + 1 */
  size_t in_flight;     /* consumer: jobs in the ring not yet yielded */
  bool stop;            /* guarded by lock */
  bool waiting;         /* guarded by lock: the consumer waits on efd */
  pid_t pid;            /* process that made the batch (its workers live there only) */
  bool busy;            /* consumer: inside Batch_next (the GIL is released while waiting) */
  bool closed;          /* consumer: close() was called; no more results */
  PyObject *iter_error; /* consumer: the iterable's exception, raised after the results */
  int efd;              /* eventfd: a job became DONE while the consumer waited */
} BatchObject;

static PyTypeObject BatchType;

static void *batch_worker(void *arg)
{
  BatchObject *b = arg;
  block_async_signals(NULL);
  pthread_mutex_lock(&b->lock);
  for (;;) {
    while (!b->stop && b->next_take == b->queued)
      pthread_cond_wait(&b->work, &b->lock);
    if (b->stop)
      break;
    job *j = &b->ring[b->next_take % b->window];
    b->next_take++;
    if (j->state != JOB_QUEUED)
      continue; /* an item that was not a page: already DONE */
    j->state = JOB_RUNNING;
    pthread_mutex_unlock(&b->lock);
    if (pool_enter(b->pool)) {
      page_run(b->pool->pool, b->pool->max_input, &j->in, &b->po, &j->out);
      pool_leave(b->pool);
    } else {
      memset(&j->out, 0, sizeof j->out);
      j->out.err = RIPTIDE_ERR_SHUTDOWN;
      snprintf(j->out.detail, sizeof j->out.detail, "the extractor is closed");
    }
    pthread_mutex_lock(&b->lock);
    j->state = JOB_DONE;
    if (b->waiting) {
      b->waiting = false;
      uint64_t one = 1;
      ssize_t w = write(b->efd, &one, sizeof one);
      (void)w;
    }
  }
  pthread_mutex_unlock(&b->lock);
  return NULL;
}

static void batch_stop(BatchObject *b)
{
  if (!b->started)
    return;
  if (b->pid != getpid()) { /* a forked copy: the workers are the parent's */
    b->started = 0;
    return;
  }
  pthread_mutex_lock(&b->lock);
  b->stop = true;
  pthread_cond_broadcast(&b->work);
  pthread_mutex_unlock(&b->lock);
  Py_BEGIN_ALLOW_THREADS;
  for (unsigned i = 0; i < b->started; i++)
    pthread_join(b->workers[i], NULL);
  Py_END_ALLOW_THREADS;
  b->started = 0;
}

static void Batch_dealloc(BatchObject *b)
{
  PyObject_GC_UnTrack(b);
  batch_stop(b);
  if (b->ring) {
    for (size_t i = 0; i < b->window; i++) {
      job *j = &b->ring[i];
      page_in_release(&j->in);
      Py_CLEAR(j->bad);
      riptide_document_free(j->out.doc);
      free(j->out.text);
    }
    free(b->ring);
  }
  free(b->workers);
  if (b->efd >= 0)
    close(b->efd);
  if (b->pid == getpid()) {
    pthread_mutex_destroy(&b->lock);
    pthread_cond_destroy(&b->work);
  }
  Py_XDECREF(b->po.selector_obj);
  Py_XDECREF(b->iter);
  Py_XDECREF(b->iter_error);
  Py_XDECREF(b->pool);
  Py_TYPE(b)->tp_free((PyObject *)b);
}

static int Batch_traverse(BatchObject *b, visitproc visit, void *arg)
{
  Py_VISIT(b->iter);
  Py_VISIT(b->iter_error);
  Py_VISIT(b->pool);
  return 0;
}

/* Consumer, under the GIL: fills the window from the iterable. -1 on an error of the iterable
 * itself (raised to the caller). */
static int batch_fill(BatchObject *b)
{
  while (b->iter && b->next_index - b->next_yield < b->window) {
    PyObject *item = PyIter_Next(b->iter);
    if (!item) {
      Py_CLEAR(b->iter);
      if (PyErr_Occurred()) { /* raised once the items read before it have their results */
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyErr_NormalizeException(&t, &v, &tb);
        if (tb)
          PyException_SetTraceback(v, tb);
        Py_XDECREF(t);
        Py_XDECREF(tb);
        b->iter_error = v;
      }
      break;
    }
    job *j = &b->ring[b->next_index % b->window];
    j->index = b->next_index;
    j->bad = NULL;
    PyObject *html = item, *url = NULL;
    int rc;
    if (PyTuple_Check(item)) {
      if (PyTuple_GET_SIZE(item) != 2) {
        PyErr_SetString(PyExc_TypeError, "an item must be html or a (html, url) pair");
        rc = -1;
      } else {
        html = PyTuple_GET_ITEM(item, 0);
        url = PyTuple_GET_ITEM(item, 1);
        rc = page_in_set(&j->in, html, url);
      }
    } else {
      rc = page_in_set(&j->in, html, NULL);
    }
    Py_DECREF(item);
    b->next_index++;
    b->in_flight++;
    if (rc < 0) { /* not a page: its result is the exception, in its place */
      PyObject *t, *v, *tb;
      PyErr_Fetch(&t, &v, &tb);
      PyErr_NormalizeException(&t, &v, &tb);
      if (tb)
        PyException_SetTraceback(v, tb);
      Py_XDECREF(t);
      Py_XDECREF(tb);
      j->bad = v;
      memset(&j->in, 0, sizeof j->in);
      pthread_mutex_lock(&b->lock);
      j->state = JOB_DONE;
      pthread_mutex_unlock(&b->lock);
      continue;
    }
    pthread_mutex_lock(&b->lock);
    j->state = JOB_QUEUED;
    /* Workers take indexes in order; a bad item is skipped over when it is the next one. */
    pthread_mutex_unlock(&b->lock);
  }
  /* Publish: `queued` covers every index read; workers skip jobs that are already DONE. */
  pthread_mutex_lock(&b->lock);
  b->queued = b->next_index;
  pthread_cond_broadcast(&b->work);
  pthread_mutex_unlock(&b->lock);
  return 0;
}

static int batch_start(BatchObject *b)
{
  b->workers = calloc(b->n_workers, sizeof *b->workers);
  if (!b->workers) {
    PyErr_NoMemory();
    return -1;
  }
  for (unsigned i = 0; i < b->n_workers; i++) {
    if (pthread_create(&b->workers[i], NULL, batch_worker, b) != 0)
      break;
    b->started++;
  }
  if (!b->started) {
    PyErr_SetString(PyExc_RuntimeError, "could not start worker threads");
    return -1;
  }
  return 0;
}

/* Consumer: the job to yield next, or NULL when none is ready. Lock held. */
static job *batch_ready_locked(BatchObject *b)
{
  if (b->ordered) {
    if (b->next_yield < b->next_index) {
      job *j = &b->ring[b->next_yield % b->window];
      if (j->state == JOB_DONE)
        return j;
    }
    return NULL;
  }
  for (uint64_t i = b->next_yield; i < b->next_index; i++) {
    job *j = &b->ring[i % b->window];
    if (j->state == JOB_DONE)
      return j;
  }
  return NULL;
}

static PyObject *batch_next(BatchObject *b)
{
  if (b->pid != getpid()) {
    PyErr_SetString(PyExc_RuntimeError,
                    "an extract_many batch cannot be continued in a forked child");
    return NULL;
  }
  if (pool_check_fork(b->pool) < 0)
    return NULL;
  if (!b->started && batch_start(b) < 0)
    return NULL;
  if (b->closed)
    return NULL;
  if (batch_fill(b) < 0)
    return NULL;
  if (b->in_flight == 0) {
    if (b->iter_error) {
      PyObject *e = b->iter_error;
      b->iter_error = NULL;
      PyErr_SetObject((PyObject *)Py_TYPE(e), e);
      Py_DECREF(e);
    }
    return NULL; /* StopIteration, or the iterable's error */
  }
  job *j;
  for (;;) {
    /* Race-free wait for a signal or a result: the asynchronous signals are blocked, pending
     * Python handlers run, and ppoll unblocks them atomically while it waits. A signal that
     * came before the block has set Python's flag (PyErr_CheckSignals sees it); one that comes
     * after stays pending until ppoll, which then returns EINTR. */
    sigset_t old;
    block_async_signals(&old);
    if (PyErr_CheckSignals() < 0) {
      pthread_sigmask(SIG_SETMASK, &old, NULL);
      return NULL; /* KeyboardInterrupt: the batch stays usable */
    }
    pthread_mutex_lock(&b->lock);
    j = batch_ready_locked(b);
    if (!j)
      b->waiting = true;
    pthread_mutex_unlock(&b->lock);
    if (j) {
      pthread_sigmask(SIG_SETMASK, &old, NULL);
      break;
    }
    Py_BEGIN_ALLOW_THREADS;
    struct pollfd pfd = {.fd = b->efd, .events = POLLIN};
    if (ppoll(&pfd, 1, NULL, &old) > 0) {
      uint64_t v;
      ssize_t r = read(b->efd, &v, sizeof v);
      (void)r;
    }
    Py_END_ALLOW_THREADS;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_mutex_lock(&b->lock);
    b->waiting = false;
    pthread_mutex_unlock(&b->lock);
  }
  /* j is DONE: only the consumer touches it now. */
  PyObject *r;
  if (j->bad) {
    r = j->bad;
    j->bad = NULL;
  } else {
    r = page_out_take(&j->out, b->po.output, true);
  }
  page_in_release(&j->in);
  uint64_t index = j->index;
  pthread_mutex_lock(&b->lock);
  j->state = JOB_EMPTY;
  pthread_mutex_unlock(&b->lock);
  b->in_flight--;
  if (b->ordered) {
    b->next_yield++;
  } else {
    /* Advance past yielded jobs at the head, so the window moves on. */
    while (b->next_yield < b->next_index && b->ring[b->next_yield % b->window].state == JOB_EMPTY)
      b->next_yield++;
  }
  if (!r)
    return NULL;
  if (b->ordered)
    return r;
  PyObject *pair = Py_BuildValue("(KN)", (unsigned long long)index, r);
  return pair;
}

static PyObject *Batch_next(BatchObject *b)
{
  if (b->busy) {
    PyErr_SetString(PyExc_ValueError, "extract_many iterator already executing");
    return NULL;
  }
  b->busy = true;
  PyObject *r = batch_next(b);
  b->busy = false;
  return r;
}

/* extract_many(pool, iterable, ordered, workers, mode, selector, output, links, images,
 * tables) */
static PyObject *mod_extract_many(PyObject *m, PyObject *args)
{
  PoolObject *p;
  PyObject *iterable, *selector;
  int ordered, workers, mode, output, links, images, tables;
  if (!PyArg_ParseTuple(args, "O!OpiiOippp", &PoolType, &p, &iterable, &ordered, &workers, &mode,
                        &selector, &output, &links, &images, &tables))
    return NULL;
  if (workers < 1 || workers > 1024) {
    PyErr_SetString(PyExc_ValueError, "workers must be between 1 and 1024");
    return NULL;
  }
  if (atomic_load(&p->closed))
    return raise_error(RIPTIDE_ERR_SHUTDOWN, "the extractor is closed");
  PyObject *it = PyObject_GetIter(iterable);
  if (!it)
    return NULL;
  BatchObject *b = PyObject_GC_New(BatchObject, &BatchType);
  if (!b) {
    Py_DECREF(it);
    return NULL;
  }
  memset((char *)b + sizeof(PyObject), 0, sizeof *b - sizeof(PyObject));
  b->efd = -1;
  b->pid = getpid();
  pthread_mutex_init(&b->lock, NULL);
  pthread_cond_init(&b->work, NULL);
  b->iter = it;
  Py_INCREF(p);
  b->pool = p;
  b->ordered = ordered != 0;
  b->n_workers = (unsigned)workers;
  b->window = (size_t)workers * 4;
  PyObject_GC_Track(b);
  if (page_opts_set(&b->po, mode, selector, output, links, images, tables) < 0) {
    Py_DECREF(b);
    return NULL;
  }
  b->ring = calloc(b->window, sizeof *b->ring);
  b->efd = eventfd(0, EFD_CLOEXEC);
  if (!b->ring || b->efd < 0) {
    Py_DECREF(b);
    return PyErr_NoMemory();
  }
  return (PyObject *)b;
}

static PyObject *Batch_close(BatchObject *b, PyObject *unused)
{
  if (b->busy) {
    PyErr_SetString(PyExc_ValueError, "extract_many iterator already executing");
    return NULL;
  }
  b->closed = true;
  batch_stop(b);
  Py_CLEAR(b->iter);
  Py_RETURN_NONE;
}

/* ---- module -------------------------------------------------------------------------------- */

static PyObject *mod_version(PyObject *m, PyObject *unused)
{
  return PyUnicode_FromString(riptide_version());
}

static PyObject *mod_guest_info(PyObject *m, PyObject *unused)
{
  const char *s;
  Py_BEGIN_ALLOW_THREADS;
  s = riptide_guest_info();
  Py_END_ALLOW_THREADS;
  if (!s)
    Py_RETURN_NONE;
  return PyUnicode_FromString(s);
}

static PyObject *mod_init_errors(PyObject *m, PyObject *args)
{
  PyObject *base, *by_class;
  if (!PyArg_ParseTuple(args, "OO!", &base, &PyDict_Type, &by_class))
    return NULL;
  Py_INCREF(base);
  Py_INCREF(by_class);
  Py_XSETREF(g_error_base, base);
  Py_XSETREF(g_error_by_class, by_class);
  Py_RETURN_NONE;
}

/* error_info(number) -> (name, class, message), for tests and docs. */
static PyObject *mod_error_info(PyObject *m, PyObject *args)
{
  int n;
  if (!PyArg_ParseTuple(args, "i", &n))
    return NULL;
  riptide_err e = (riptide_err)n;
  return Py_BuildValue("(sss)", riptide_err_name(e),
                       riptide_err_class_name(riptide_err_class_of(e)), riptide_strerror(e));
}

static PyMethodDef Pool_methods[] = {
    {"close", (PyCFunction)Pool_close, METH_NOARGS, "Waits for calls in flight, frees the pool."},
    {"metrics", (PyCFunction)Pool_metrics, METH_NOARGS, "Metrics snapshot as a dict."},
    {"prometheus", (PyCFunction)Pool_prometheus, METH_NOARGS, "Metrics in Prometheus text."},
    {"status", (PyCFunction)Pool_status, METH_NOARGS, "Pool status as a dict."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef Pool_getset[] = {{"closed", (getter)Pool_closed, NULL, NULL, NULL},
                                    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject PoolType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "riptide._riptide.Pool",
    .tp_basicsize = sizeof(PoolObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A riptide_pool (use riptide.Extractor).",
    .tp_new = Pool_new,
    .tp_init = (initproc)Pool_init,
    .tp_dealloc = (destructor)Pool_dealloc,
    .tp_methods = Pool_methods,
    .tp_getset = Pool_getset,
};

static PyMethodDef Batch_methods[] = {
    {"close", (PyCFunction)Batch_close, METH_NOARGS, "Stops the workers; no more results."},
    {NULL, NULL, 0, NULL}};

static PyTypeObject BatchType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "riptide._riptide.Batch",
    .tp_basicsize = sizeof(BatchObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Results of Extractor.extract_many.",
    .tp_dealloc = (destructor)Batch_dealloc,
    .tp_traverse = (traverseproc)Batch_traverse,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)Batch_next,
    .tp_methods = Batch_methods,
};

static PyMethodDef mod_methods[] = {{"extract", mod_extract, METH_VARARGS, NULL},
                                    {"extract_many", mod_extract_many, METH_VARARGS, NULL},
                                    {"version", mod_version, METH_NOARGS, NULL},
                                    {"guest_info", mod_guest_info, METH_NOARGS, NULL},
                                    {"_init_errors", mod_init_errors, METH_VARARGS, NULL},
                                    {"error_info", mod_error_info, METH_VARARGS, NULL},
                                    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moddef = {
    PyModuleDef_HEAD_INIT, .m_name = "_riptide",     .m_doc = "C extension of the riptide package.",
    .m_size = -1,          .m_methods = mod_methods,
};

PyMODINIT_FUNC PyInit__riptide(void)
{
  if (PyType_Ready(&PoolType) < 0 || PyType_Ready(&BatchType) < 0)
    return NULL;
  for (int i = 0; i < K_COUNT_; i++) {
    g_keys[i] = PyUnicode_InternFromString(key_names[i]);
    if (!g_keys[i])
      return NULL;
  }
  PyObject *m = PyModule_Create(&moddef);
  if (!m)
    return NULL;
  Py_INCREF(&PoolType);
  if (PyModule_AddObject(m, "Pool", (PyObject *)&PoolType) < 0 ||
      PyModule_AddIntConstant(m, "OUT_DICT", OUT_DICT) < 0 ||
      PyModule_AddIntConstant(m, "OUT_JSON", OUT_JSON) < 0 ||
      PyModule_AddIntConstant(m, "OUT_MARKDOWN", OUT_MARKDOWN) < 0 ||
      PyModule_AddIntConstant(m, "OUT_TEXT", OUT_TEXT) < 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
