/*
 * wasm_rt.c - Riptide's own implementation of the runtime that wasm2c-generated code needs
 * (the functions declared in <wasm-rt.h>, wabt 1.0.32), safe for many instances on many
 * threads at once, plus the traps, signals and deadline watchdog of the sandbox.
 *
 * DESIGN
 *  - Trap target: per thread (tl.trap_jb). rt_wasm_run() sets it around a body that calls the
 *    guest; wasm_rt_trap() and the signal handlers siglongjmp to it. sigsetjmp does not save
 *    the signal mask (a syscall per call); when a trap comes out of a signal handler the
 *    signals the handler had blocked are unblocked again on the way out.
 *  - Bounds checks: WASM_RT_MEMCHECK_SIGNAL_HANDLER (wasm2c's default on 64-bit). Each memory
 *    lives in an 8 GiB PROT_NONE reservation of which only the first `pages` are accessible, so
 *    any u32 address + u32 offset lands inside it. SIGSEGV/SIGBUS become an OOB trap only when
 *    the faulting thread is running guest code (rt_wasm_tl_in_guest) of a slot whose
 *    reservation contains the address; anything else is a host bug and goes to the previous
 *    handler (or the default action: the process dies loudly).
 *  - Stack exhaustion: guard-page based (WASM_RT_USE_STACK_DEPTH_COUNT = 0, wasm2c's default
 *    with the signal handler). With depth counting, wabt 1.0.32 keeps the depth in one plain
 *    global (`extern uint32_t wasm_rt_call_stack_depth`) shared by all threads, which is not
 *    thread-safe; the guard page costs nothing per call. A fault near the thread's stack limit
 *    while guest code runs is reported as STACK_EXHAUSTION. The handler runs on a per-thread
 *    alternate signal stack (an existing one, e.g. ASan's, is reused).
 *  - Deadlines: one watchdog thread, started with the first slot. A call with a deadline
 *    publishes (generation, deadline) in its thread record; the watchdog ticks every
 *    RT_WD_TICK_MS while calls with deadlines exist (and sleeps after 1 s without any) and sends
 * RT_SIG_INTERRUPT to a thread whose deadline has passed (again every tick until the call ends).
 * The handler longjmps out only while guest code runs and the interrupt is for the current call;
 * inside a host import it only marks the interrupt pending, and the import traps when it returns.
 * Worst-case latency: deadline + one tick (10 ms) + scheduling.
 *  - Func types: one registry for all modules, guarded by g_types_lock.
 *  - fork(): the watchdog thread does not exist in a child, and the records of the parent's
 *    other threads name threads that do not either. pthread_atfork handlers (registered with
 *    the runtime) hold every runtime lock across the fork (module states, func types, signal
 *    reclaim, thread records), so the child never inherits one held by a thread that is gone;
 *    in the child they keep only the forking thread's record, re-create the watchdog's
 *    condition variable, re-register membarrier, reopen the pagemap and mark the watchdog
 *    absent and asleep: the child's first deadline call then wakes it, which starts a new
 *    watchdog thread (rt_wake_watchdog). The parent is untouched. See README.md, "fork".
 *
 * Threads: any thread may call rt_wasm_run (one slot per thread at a time). The watchdog thread
 * reads the thread records under g_threads_lock.
 * Lock order: g_modules_lock, a module's state lock, g_types_lock, g_reclaim_lock,
 * g_threads_lock (each is otherwise taken alone, except a module's state lock around its first
 * instantiation, which may take g_types_lock and g_threads_lock inside).
 */
#include "sandbox/wasm_internal.h"

#include "common/clock.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
#define RT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RT_TSAN 1
#endif
#endif

#define RT_WD_TICK_MS 10
#define RT_WD_IDLE_TICKS 100 /* the watchdog sleeps after 1 s without deadline calls */
#define RT_ALTSTACK_SIZE (64u * 1024u)
#define RT_SIG_INTERRUPT (SIGRTMIN + 7)

/* ---- per-thread state ------------------------------------------------------------------ */

/* Thread record, shared with the watchdog (which reads it under g_threads_lock). */
typedef struct rt_thread_rec {
  pthread_t tid;
  _Atomic uint64_t gen;           /* current call generation (odd: a deadline call runs) */
  _Atomic uint64_t deadline_ns;   /* 0 = no deadline call running */
  _Atomic uint64_t interrupt_gen; /* set by the watchdog: interrupt call `gen` */
  struct rt_thread_rec *next;     /* guarded by g_threads_lock */
} rt_thread_rec;

typedef struct rt_thread {
  sigjmp_buf *trap_jb;               /* non-NULL inside rt_wasm_run */
  rt_wasm_slot *slot;                /* current slot inside rt_wasm_run */
  volatile sig_atomic_t from_signal; /* the trap came out of a signal handler */
  uint64_t gen;                      /* generation of the running deadline call (0 none) */
  rt_thread_rec *rec;
  uintptr_t stack_lo; /* lowest address of this thread's stack */
  void *altstack;     /* our own alternate stack (NULL if reused or none) */
  bool init;
} rt_thread;

_Thread_local volatile sig_atomic_t rt_wasm_tl_in_guest __attribute__((tls_model("initial-exec")));
static _Thread_local rt_thread tl __attribute__((tls_model("initial-exec")));

static pthread_mutex_t g_threads_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wd_cond;
static rt_thread_rec *g_threads; /* guarded by g_threads_lock */
static _Atomic int g_wd_sleeping;
static bool g_wd_alive;   /* a watchdog thread runs in this process; guarded by g_threads_lock */
static bool g_membarrier; /* membarrier(PRIVATE_EXPEDITED) registered: see rt_watchdog */
static pthread_key_t g_thread_key;

static _Atomic uint64_t g_reservations, g_resets, g_traps, g_interrupts;

static struct sigaction g_old_segv, g_old_bus;
static pthread_once_t g_init_once = PTHREAD_ONCE_INIT;
static _Atomic bool g_initialised;
static bool g_init_ok;

static uint64_t rt_now_ns(void)
{
  return rt_clock_mono_ns();
}

/* Deadlines are registered with the precise monotonic clock, the one the watchdog reads.
 * CLOCK_MONOTONIC_COARSE saved ~15 ns per call but lags by more than its advertised
 * resolution on a tickless kernel after idle, so a 100 ms deadline fired after 98 ms (seen in
 * CI); a deadline must never fire early. */
static uint64_t rt_deadline_now_ns(void)
{
  return rt_clock_mono_ns();
}

static void rt_fatal(const char *what)
{
  /* A host-side invariant broke: say so loudly. Only async-signal-safe calls. */
  static const char pre[] = "riptide sandbox: fatal: ";
  ssize_t r = write(2, pre, sizeof pre - 1);
  r = write(2, what, strlen(what));
  r = write(2, "\n", 1);
  (void)r;
  abort();
}

/* ---- signal handlers ------------------------------------------------------------------- */

static void rt_chain(int sig, siginfo_t *si, void *uc)
{
  const struct sigaction *old = sig == SIGBUS ? &g_old_bus : &g_old_segv;
  if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
    old->sa_sigaction(sig, si, uc);
    return;
  }
  if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
    old->sa_handler(sig);
    return;
  }
  /* Default action: reinstall it and return; the faulting instruction faults again and the
   * process dies with the original signal (a host bug must crash loudly). */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, NULL);
}

static void rt_on_fault(int sig, siginfo_t *si, void *uc)
{
  int saved_errno = errno;
  uintptr_t a = (uintptr_t)si->si_addr;
  rt_wasm_slot *s = tl.slot;
  if (tl.trap_jb && s && rt_wasm_tl_in_guest) {
    uintptr_t base = (uintptr_t)s->mem_base;
    if (base && a >= base && a - base < RT_WASM_RESERVE) {
      tl.from_signal = 1;
      rt_wasm_tl_in_guest = 0;
      siglongjmp(*tl.trap_jb, WASM_RT_TRAP_OOB);
    }
    /* Stack guard: within 1 MiB below the stack's low end, or its first pages. */
    if (tl.stack_lo && a + (1u << 20) >= tl.stack_lo && a < tl.stack_lo + 4 * 4096) {
      tl.from_signal = 1;
      rt_wasm_tl_in_guest = 0;
      siglongjmp(*tl.trap_jb, WASM_RT_TRAP_EXHAUSTION);
    }
  }
  errno = saved_errno;
  rt_chain(sig, si, uc);
}

static void rt_on_interrupt(int sig, siginfo_t *si, void *uc)
{
  (void)sig;
  (void)si;
  (void)uc;
  rt_thread_rec *rec = tl.rec;
  if (!rec || !tl.trap_jb || !tl.gen)
    return;
  if (atomic_load_explicit(&rec->interrupt_gen, memory_order_acquire) != tl.gen)
    return; /* stale: meant for an earlier call */
  if (rt_wasm_tl_in_guest) {
    tl.from_signal = 1;
    rt_wasm_tl_in_guest = 0;
    siglongjmp(*tl.trap_jb, RT_WASM_TRAP_INTERRUPT);
  }
  /* In host code (an import, the runtime): the import checks on return. */
}

typedef int (*rt_sigaction_fn)(int, const struct sigaction *, struct sigaction *);

/* The interrupt handler must run as soon as the signal arrives, even while guest code (which
 * is not instrumented) spins. ThreadSanitizer defers asynchronous signals until the thread
 * next enters an intercepted function, so under TSan the handler is installed with libc's own
 * sigaction, bypassing the interceptor. */
static rt_sigaction_fn rt_real_sigaction(void)
{
#ifdef RT_TSAN
  void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  if (h) {
    void *f = dlsym(h, "sigaction");
    if (f) {
      rt_sigaction_fn fn;
      memcpy(&fn, &f, sizeof fn);
      return fn;
    }
  }
#endif
  return sigaction;
}

static void rt_thread_exit(void *arg);
static void *rt_watchdog(void *arg);
static void rt_atfork_prepare(void);
static void rt_atfork_parent(void);
static void rt_atfork_child(void);

static void rt_wd_cond_init(void)
{
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g_wd_cond, &ca);
  pthread_condattr_destroy(&ca);
}

/* Starts the watchdog thread. Caller holds g_threads_lock (the new thread waits for it). */
static bool rt_start_watchdog_locked(void)
{
  pthread_t wd;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  int rc = pthread_create(&wd, &at, rt_watchdog, NULL);
  pthread_attr_destroy(&at);
  g_wd_alive = rc == 0;
  return g_wd_alive;
}

static void rt_init_once(void)
{
  if (pthread_key_create(&g_thread_key, rt_thread_exit) != 0)
    return;
  rt_wd_cond_init();

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = rt_on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, &g_old_segv) != 0 || sigaction(SIGBUS, &sa, &g_old_bus) != 0)
    return;
  struct sigaction si;
  memset(&si, 0, sizeof si);
  si.sa_sigaction = rt_on_interrupt;
  si.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset(&si.sa_mask);
  if (rt_real_sigaction()(RT_SIG_INTERRUPT, &si, NULL) != 0)
    return;

  g_membarrier = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
  if (pthread_atfork(rt_atfork_prepare, rt_atfork_parent, rt_atfork_child) != 0)
    return;
  pthread_mutex_lock(&g_threads_lock);
  bool started = rt_start_watchdog_locked();
  pthread_mutex_unlock(&g_threads_lock);
  if (!started)
    return;
  g_init_ok = true;
  atomic_store(&g_initialised, true);
}

void rt_wasm_runtime_init(void)
{
  pthread_once(&g_init_once, rt_init_once);
}

static pthread_mutex_t g_reclaim_lock = PTHREAD_MUTEX_INITIALIZER;

/* Someone (a test harness, a crash reporter) may install its own SIGSEGV/SIGBUS handler after
 * ours without chaining to it; guest faults would then go to it. Re-install ours and chain to
 * theirs. Called where a syscall is already paid (slot creation and reset), not per call.
 * The chain target is updated under g_reclaim_lock; a handler on another thread may read the
 * old or new target, both of which are valid handlers. */
void rt_wasm_reclaim_signals(void)
{
  static const int sigs[2] = {SIGSEGV, SIGBUS};
  for (int i = 0; i < 2; i++) {
    struct sigaction cur;
    if (sigaction(sigs[i], NULL, &cur) != 0)
      continue;
    if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == rt_on_fault)
      continue;
    pthread_mutex_lock(&g_reclaim_lock);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = rt_on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(sigs[i], &sa, sigs[i] == SIGBUS ? &g_old_bus : &g_old_segv);
    pthread_mutex_unlock(&g_reclaim_lock);
  }
}

/* ---- fork ------------------------------------------------------------------------------ */

static pthread_mutex_t g_modules_lock = PTHREAD_MUTEX_INITIALIZER;
static rt_wasm_module_state *g_modules; /* guarded by g_modules_lock */

void rt_wasm_register_module(rt_wasm_module_state *st)
{
  pthread_mutex_lock(&g_modules_lock);
  if (!st->fork_registered) {
    st->fork_registered = true;
    st->fork_next = g_modules;
    g_modules = st;
  }
  pthread_mutex_unlock(&g_modules_lock);
}

static pthread_mutex_t g_types_lock;

/* Before fork, in the forking thread: take every runtime lock, in the lock order. */
static void rt_atfork_prepare(void)
{
  pthread_mutex_lock(&g_modules_lock);
  for (rt_wasm_module_state *m = g_modules; m; m = m->fork_next)
    pthread_mutex_lock(&m->lock);
  pthread_mutex_lock(&g_types_lock);
  pthread_mutex_lock(&g_reclaim_lock);
  pthread_mutex_lock(&g_threads_lock);
}

static void rt_atfork_unlock(void)
{
  pthread_mutex_unlock(&g_threads_lock);
  pthread_mutex_unlock(&g_reclaim_lock);
  pthread_mutex_unlock(&g_types_lock);
  for (rt_wasm_module_state *m = g_modules; m; m = m->fork_next)
    pthread_mutex_unlock(&m->lock);
  pthread_mutex_unlock(&g_modules_lock);
}

static void rt_atfork_parent(void)
{
  rt_atfork_unlock();
}

/* In the child, which has one thread (the forking one) and still holds every runtime lock. */
static void rt_atfork_child(void)
{
  rt_thread_rec *keep = NULL, *r = g_threads;
  while (r) {
    rt_thread_rec *next = r->next;
    if (r == tl.rec) {
      keep = r;
      keep->next = NULL;
    } else {
      free(r); /* a thread of the parent: it does not exist here */
    }
    r = next;
  }
  g_threads = keep;
  /* The parent's watchdog may have been waiting on the condition variable: start afresh. */
  rt_wd_cond_init();
  g_wd_alive = false;
  /* "Asleep": the next deadline call wakes it, and waking an absent watchdog starts one. */
  atomic_store(&g_wd_sleeping, 1);
  if (g_membarrier)
    g_membarrier = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
  rt_wasm_pagemap_atfork_child();
  rt_atfork_unlock();
}

/* ---- threads --------------------------------------------------------------------------- */

static void rt_thread_exit(void *arg)
{
  rt_thread_rec *rec = arg;
  pthread_mutex_lock(&g_threads_lock);
  for (rt_thread_rec **p = &g_threads; *p; p = &(*p)->next) {
    if (*p == rec) {
      *p = rec->next;
      break;
    }
  }
  pthread_mutex_unlock(&g_threads_lock);
  free(rec);
  tl.rec = NULL;
  if (tl.altstack) {
    stack_t ss = {.ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    free(tl.altstack);
    tl.altstack = NULL;
  }
}

/* After a stack-exhaustion trap the guest's recursion has dirtied the thread's whole stack (8 MiB
 * by default) and nothing below the current frame is in use any more: give those pages back, so
 * a hostile page does not leave every worker thread holding a full stack of resident memory.
 * Only on this rare trap path; a margin below the current frame is kept for the calls that
 * follow. Pages not mapped (the main thread's stack grows on demand) are skipped by madvise. */
static void rt_release_dead_stack(void)
{
  volatile char here = 0;
  uintptr_t sp = (uintptr_t)&here;
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t lo = (tl.stack_lo + page - 1) & ~(page - 1);
  uintptr_t margin = 256u * 1024u;
  if (!tl.stack_lo || sp < lo + margin)
    return;
  uintptr_t hi = (sp - margin) & ~(page - 1);
  if (hi > lo)
    (void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* First use on a thread: thread record, alternate signal stack, stack bounds. */
static bool rt_thread_init(void)
{
  rt_wasm_runtime_init();
  if (!g_init_ok)
    return false;
  rt_thread_rec *rec = calloc(1, sizeof *rec);
  if (!rec)
    return false;
  rec->tid = pthread_self();

  stack_t cur;
  if (sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_DISABLE)) {
    /* From the heap rather than mmap: mmap would place it right next to thread stacks, and
     * valgrind then takes the longjmp from the handler back to the thread's stack for a
     * stack adjustment and marks the memory in between as undefined. */
    void *m = malloc(RT_ALTSTACK_SIZE);
    if (!m) {
      free(rec);
      return false;
    }
    stack_t ss = {.ss_sp = m, .ss_size = RT_ALTSTACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
      free(m);
      free(rec);
      return false;
    }
    tl.altstack = m;
  }

  pthread_attr_t at;
  if (pthread_getattr_np(pthread_self(), &at) == 0) {
    void *addr;
    size_t size;
    if (pthread_attr_getstack(&at, &addr, &size) == 0)
      tl.stack_lo = (uintptr_t)addr;
    pthread_attr_destroy(&at);
  }

  pthread_mutex_lock(&g_threads_lock);
  rec->next = g_threads;
  g_threads = rec;
  pthread_mutex_unlock(&g_threads_lock);
  tl.rec = rec;
  pthread_setspecific(g_thread_key, rec);
  tl.init = true;
  return true;
}

/* ---- watchdog -------------------------------------------------------------------------- */

static bool rt_any_deadline(void)
{
  for (rt_thread_rec *r = g_threads; r; r = r->next)
    if (atomic_load(&r->deadline_ns))
      return true;
  return false;
}

/* Holds g_threads_lock except while waiting. Sleeps (no ticks) after RT_WD_IDLE_TICKS ticks
 * without any deadline call; a thread starting a deadline call wakes it (rt_wake_watchdog).
 * No lost wake-up: the worker stores its deadline then reads g_wd_sleeping, the watchdog
 * stores g_wd_sleeping then re-reads every deadline, with a full fence between on both sides,
 * so one sees the other. The worker's fence is the expensive half (an xchg per call), so when
 * the kernel has membarrier(PRIVATE_EXPEDITED) the watchdog issues it instead, which runs a
 * full barrier on every thread of the process (asymmetric fence, as in liburcu),
 * and the worker signals under g_threads_lock, which the watchdog holds until it waits. */
static void *rt_watchdog(void *arg)
{
  (void)arg;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  int idle = 0;
  pthread_mutex_lock(&g_threads_lock);
  atomic_store(&g_wd_sleeping, 0); /* ticking from now on (a child's watchdog starts "asleep") */
  for (;;) {
    if (rt_any_deadline()) {
      idle = 0;
    } else if (++idle >= RT_WD_IDLE_TICKS) {
      atomic_store(&g_wd_sleeping, 1);
      if (g_membarrier)
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
      while (!rt_any_deadline())
        pthread_cond_wait(&g_wd_cond, &g_threads_lock);
      atomic_store(&g_wd_sleeping, 0);
      idle = 0;
    }
    struct timespec ts = rt_deadline_in_ms(RT_WD_TICK_MS);
    pthread_cond_timedwait(&g_wd_cond, &g_threads_lock, &ts);
    uint64_t now = rt_now_ns();
    for (rt_thread_rec *r = g_threads; r; r = r->next) {
      uint64_t gen = atomic_load_explicit(&r->gen, memory_order_acquire);
      uint64_t dl = atomic_load_explicit(&r->deadline_ns, memory_order_acquire);
      if (!dl || now < dl || !(gen & 1))
        continue;
      if (atomic_load_explicit(&r->gen, memory_order_acquire) != gen)
        continue; /* that call just ended */
      atomic_store_explicit(&r->interrupt_gen, gen, memory_order_release);
      pthread_kill(r->tid, RT_SIG_INTERRUPT);
    }
  }
  return NULL;
}

/* Wakes the watchdog, starting it if this process has none (a child after fork). False
 * when it cannot be started: the caller's deadline would then never fire. */
static bool rt_wake_watchdog(void)
{
  pthread_mutex_lock(&g_threads_lock);
  bool ok = g_wd_alive || rt_start_watchdog_locked();
  pthread_cond_signal(&g_wd_cond);
  pthread_mutex_unlock(&g_threads_lock);
  return ok;
}

/* ---- protected runs -------------------------------------------------------------------- */

int rt_wasm_run(rt_wasm_slot *s, uint32_t timeout_ms, rt_wasm_body body, void *ctx)
{
  if (!tl.init && !rt_thread_init())
    return RT_WASM_TRAP_SETUP;
  if (tl.trap_jb)
    rt_fatal("rt_wasm_run is not reentrant");
  sigjmp_buf jb;
  rt_thread_rec *rec = tl.rec;
  if (timeout_ms) {
    /* Odd generation = a deadline call runs; published before the deadline. */
    tl.gen = atomic_load_explicit(&rec->gen, memory_order_relaxed) + 1;
    atomic_store_explicit(&rec->gen, tl.gen, memory_order_release);
    uint64_t dl = rt_deadline_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    bool wd_ok = true;
    if (g_membarrier) {
      /* The watchdog's membarrier() stands in for our half of the fence (see rt_watchdog). */
      atomic_store_explicit(&rec->deadline_ns, dl, memory_order_release);
      atomic_signal_fence(memory_order_seq_cst);
      if (atomic_load_explicit(&g_wd_sleeping, memory_order_relaxed))
        wd_ok = rt_wake_watchdog();
    } else {
      atomic_store(&rec->deadline_ns, dl);
      if (atomic_load(&g_wd_sleeping))
        wd_ok = rt_wake_watchdog();
    }
    if (!wd_ok) { /* no watchdog (thread creation failed): refuse rather than run unbounded */
      atomic_store_explicit(&rec->deadline_ns, 0, memory_order_release);
      atomic_store_explicit(&rec->gen, tl.gen + 1, memory_order_release);
      tl.gen = 0;
      return RT_WASM_TRAP_SETUP;
    }
  }
  int code = sigsetjmp(jb, 0);
  if (code == 0) {
    tl.slot = s;
    tl.trap_jb = &jb;
    body(s, ctx);
  }
  rt_wasm_tl_in_guest = 0;
  tl.trap_jb = NULL;
  tl.slot = NULL;
  if (timeout_ms) {
    atomic_store_explicit(&rec->deadline_ns, 0, memory_order_release);
    atomic_store_explicit(&rec->gen, tl.gen + 1, memory_order_release);
    tl.gen = 0;
  }
  if (code != 0) {
    if (tl.from_signal) {
      /* The handler's mask (its own signal) is still in force after the longjmp. */
      sigset_t un;
      sigemptyset(&un);
      sigaddset(&un, SIGSEGV);
      sigaddset(&un, SIGBUS);
      sigaddset(&un, RT_SIG_INTERRUPT);
      pthread_sigmask(SIG_UNBLOCK, &un, NULL);
      tl.from_signal = 0;
    }
    rt_wasm_count_trap(code);
    if (code == WASM_RT_TRAP_EXHAUSTION)
      rt_release_dead_stack();
  }
  return code;
}

/* Host import host.log(ptr, len): diagnostics are ignored (bounds checked only), and a
 * deadline interrupt that arrived meanwhile is delivered as the import returns. */
struct Z_host_instance_t;
void Z_hostZ_log(struct Z_host_instance_t *host, uint32_t ptr, uint32_t len);
void Z_hostZ_log(struct Z_host_instance_t *host, uint32_t ptr, uint32_t len)
{
  rt_wasm_slot *s = (rt_wasm_slot *)host;
  RT_WASM_GUEST_END();
  if (s && s->mem && ((uint64_t)ptr + len > s->mem->size))
    wasm_rt_trap(WASM_RT_TRAP_OOB);
  if (tl.gen && atomic_load_explicit(&tl.rec->interrupt_gen, memory_order_acquire) == tl.gen)
    wasm_rt_trap((wasm_rt_trap_t)RT_WASM_TRAP_INTERRUPT);
  RT_WASM_GUEST_BEGIN();
}

/* ---- reservations and counters --------------------------------------------------------- */

uint8_t *rt_wasm_reserve(void)
{
  void *p =
      mmap(NULL, RT_WASM_RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return NULL; /* GCOVR_EXCL_LINE: mmap failure cannot be forced */
  atomic_fetch_add_explicit(&g_reservations, 1, memory_order_relaxed);
  return p;
}

void rt_wasm_release(uint8_t *base)
{
  if (base)
    munmap(base, RT_WASM_RESERVE);
}

void rt_wasm_count_reset(void)
{
  atomic_fetch_add_explicit(&g_resets, 1, memory_order_relaxed);
}

void rt_wasm_count_trap(int code)
{
  atomic_fetch_add_explicit(&g_traps, 1, memory_order_relaxed);
  if (code == RT_WASM_TRAP_INTERRUPT)
    atomic_fetch_add_explicit(&g_interrupts, 1, memory_order_relaxed);
}

bool rt_wasm_watchdog_sleeping(void)
{
  return atomic_load(&g_wd_sleeping) != 0;
}

void rt_wasm_counters_get(rt_wasm_counters *c)
{
  c->reservations = atomic_load(&g_reservations);
  c->resets = atomic_load(&g_resets);
  c->traps = atomic_load(&g_traps);
  c->interrupts = atomic_load(&g_interrupts);
}

/* ---- wasm-rt.h: init, traps ------------------------------------------------------------ */

void wasm_rt_init(void)
{
  rt_wasm_runtime_init();
}

bool wasm_rt_is_initialized(void)
{
  return atomic_load(&g_initialised);
}

void wasm_rt_free(void)
{
  /* Process-wide state (handlers, watchdog, func types) lives until exit: other threads
   * may still be using it. */
}

void wasm_rt_trap(wasm_rt_trap_t code)
{
  if (!tl.trap_jb)
    rt_fatal("wasm trap outside a sandboxed call");
  rt_wasm_tl_in_guest = 0;
  siglongjmp(*tl.trap_jb, code == WASM_RT_TRAP_NONE ? WASM_RT_TRAP_UNREACHABLE : (int)code);
}

const char *wasm_rt_strerror(wasm_rt_trap_t trap)
{
  switch (trap) {
  case WASM_RT_TRAP_NONE:
    return "no error";
  case WASM_RT_TRAP_OOB:
    return "out of bounds memory access";
  case WASM_RT_TRAP_INT_OVERFLOW:
    return "integer overflow";
  case WASM_RT_TRAP_DIV_BY_ZERO:
    return "integer divide by zero";
  case WASM_RT_TRAP_INVALID_CONVERSION:
    return "invalid conversion to integer";
  case WASM_RT_TRAP_UNREACHABLE:
    return "unreachable executed";
  case WASM_RT_TRAP_CALL_INDIRECT:
    return "invalid call_indirect";
  case WASM_RT_TRAP_UNCAUGHT_EXCEPTION:
    return "uncaught exception";
  case WASM_RT_TRAP_EXHAUSTION:
    return "call stack exhausted";
  }
  return "unknown trap";
}

/* ---- wasm-rt.h: func types ------------------------------------------------------------- */

typedef struct rt_func_type {
  uint32_t params, results;
  wasm_rt_type_t *types; /* params then results */
} rt_func_type;

#define RT_MAX_FUNC_TYPES 65536u
static pthread_mutex_t g_types_lock = PTHREAD_MUTEX_INITIALIZER; /* declared above (fork) */
static rt_func_type *g_types;                                    /* guarded by g_types_lock */
static uint32_t g_ntypes, g_types_cap;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...)
{
  uint32_t n = params + results;
  if (n < params || n > 1024)
    wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
  wasm_rt_type_t local[64];
  wasm_rt_type_t *t = n <= 64 ? local : malloc(n * sizeof *t);
  if (!t)
    wasm_rt_trap((wasm_rt_trap_t)RT_WASM_TRAP_SETUP); /* GCOVR_EXCL_LINE: malloc failure */
  va_list ap;
  va_start(ap, results);
  for (uint32_t i = 0; i < n; i++)
    t[i] = (wasm_rt_type_t)va_arg(ap, int);
  va_end(ap);

  uint32_t idx = 0;
  pthread_mutex_lock(&g_types_lock);
  for (uint32_t i = 0; i < g_ntypes; i++) {
    if (g_types[i].params == params && g_types[i].results == results &&
        (n == 0 || memcmp(g_types[i].types, t, n * sizeof *t) == 0)) {
      idx = i + 1;
      break;
    }
  }
  if (!idx && g_ntypes < RT_MAX_FUNC_TYPES) {
    if (g_ntypes == g_types_cap) {
      uint32_t cap = g_types_cap ? g_types_cap * 2 : 32;
      rt_func_type *nt = realloc(g_types, cap * sizeof *nt);
      if (nt) {
        g_types = nt;
        g_types_cap = cap;
      }
    }
    wasm_rt_type_t *copy = malloc(n ? n * sizeof *copy : 1);
    if (g_ntypes < g_types_cap && copy) {
      if (n)
        memcpy(copy, t, n * sizeof *copy);
      g_types[g_ntypes] = (rt_func_type){params, results, copy};
      idx = ++g_ntypes;
    } else {
      free(copy);
    }
  }
  pthread_mutex_unlock(&g_types_lock);
  if (t != local)
    free(t);
  if (!idx)
    wasm_rt_trap((wasm_rt_trap_t)RT_WASM_TRAP_SETUP);
  return idx;
}

uint32_t wasm_rt_register_tag(uint32_t size)
{
  (void)size;
  /* Exceptions are not enabled for guests (clang does not emit them for C). */
  wasm_rt_trap((wasm_rt_trap_t)RT_WASM_TRAP_SETUP);
}

/* ---- wasm-rt.h: memories --------------------------------------------------------------- */

/* Called by the module's instantiate, inside rt_wasm_run for the slot being created: the
 * memory goes into the slot's reservation. One memory per module. */
void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial_pages, uint32_t max_pages)
{
  rt_wasm_slot *s = tl.slot;
  if (!s || !s->mem_base || s->mem) {
    if (s)
      s->setup_errno = EINVAL;
    wasm_rt_trap((wasm_rt_trap_t)RT_WASM_TRAP_SETUP);
  }
  if (initial_pages > RT_WASM_MAX_PAGES || initial_pages > s->cap_pages) {
    s->setup_errno = ENOMEM;
    wasm_rt_trap((wasm_rt_trap_t)RT_WASM_TRAP_SETUP);
  }
  size_t bytes = (size_t)initial_pages * RT_WASM_PAGE;
  if (bytes && mprotect(s->mem_base, bytes, PROT_READ | PROT_WRITE) != 0) {
    s->setup_errno = errno; /* GCOVR_EXCL_START: mprotect of our own reservation */
    wasm_rt_trap((wasm_rt_trap_t)RT_WASM_TRAP_SETUP);
  } /* GCOVR_EXCL_STOP */
  mem->data = s->mem_base;
  mem->pages = initial_pages;
  mem->max_pages = max_pages > RT_WASM_MAX_PAGES ? RT_WASM_MAX_PAGES : max_pages;
  mem->size = (uint32_t)bytes;
  s->mem = mem;
  s->pages = initial_pages;
  s->hi_pages = initial_pages;
  if (initial_pages > s->peak_pages)
    s->peak_pages = initial_pages;
}

/* memory.grow. Runs on the guest's thread with no lock: interruptible at any point (the slot
 * is then reset). Growth past the slot's cap fails inside the guest and is counted. */
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t delta)
{
  rt_wasm_slot *s = tl.slot;
  uint32_t old = mem->pages;
  if (!s || s->mem != mem)
    return UINT32_MAX;
  if (delta == 0)
    return old;
  uint64_t want = (uint64_t)old + delta;
  if (want > mem->max_pages || want > s->cap_pages) {
    s->grow_failures++;
    s->call_grow_failures++;
    return UINT32_MAX;
  }
  if (want > s->hi_pages)
    s->hi_pages = (uint32_t)want; /* before mprotect: an interrupted grow is reset too */
  if (mprotect(mem->data + (size_t)old * RT_WASM_PAGE, (size_t)delta * RT_WASM_PAGE,
               PROT_READ | PROT_WRITE) != 0) {
    s->grow_failures++; /* GCOVR_EXCL_START: mprotect of our own reservation */
    s->call_grow_failures++;
    return UINT32_MAX;
  } /* GCOVR_EXCL_STOP */
  mem->pages = (uint32_t)want;
  mem->size = (uint32_t)(want * RT_WASM_PAGE);
  s->pages = mem->pages;
  if (s->pages > s->peak_pages)
    s->peak_pages = s->pages;
  return old;
}

/* The reservation belongs to the slot, which releases it in slot_free. */
void wasm_rt_free_memory(wasm_rt_memory_t *mem)
{
  mem->data = NULL;
  mem->pages = 0;
  mem->size = 0;
}

/* ---- wasm-rt.h: tables ----------------------------------------------------------------- */

#define RT_TABLE_MAX 1000000u

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *t, uint32_t elements,
                                    uint32_t max_elements)
{
  rt_wasm_slot *s = tl.slot;
  if (!s || s->table || elements > RT_TABLE_MAX) {
    if (s)
      s->setup_errno = EINVAL;
    wasm_rt_trap((wasm_rt_trap_t)RT_WASM_TRAP_SETUP);
  }
  /* Capacity fixed at creation, so that the data pointer never moves (the slot's snapshot
   * keeps it): the declared maximum, bounded. */
  uint32_t cap = max_elements < RT_TABLE_MAX ? max_elements : RT_TABLE_MAX;
  if (cap < elements)
    cap = elements;
  t->data = calloc(cap ? cap : 1, sizeof *t->data);
  if (!t->data) {
    s->setup_errno = ENOMEM; /* GCOVR_EXCL_START: allocation failure cannot be forced */
    wasm_rt_trap((wasm_rt_trap_t)RT_WASM_TRAP_SETUP);
  } /* GCOVR_EXCL_STOP */
  t->size = elements;
  t->max_size = cap;
  s->table = t;
  s->table_cap = cap;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *t)
{
  free(t->data);
  t->data = NULL;
  t->size = 0;
}

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *t, uint32_t delta,
                                    wasm_rt_funcref_t init)
{
  uint32_t old = t->size;
  if ((uint64_t)old + delta > t->max_size)
    return UINT32_MAX;
  for (uint32_t i = 0; i < delta; i++)
    t->data[old + i] = init;
  t->size = old + delta;
  return old;
}

void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t *t, uint32_t elements,
                                      uint32_t max_elements)
{
  (void)t;
  (void)elements;
  (void)max_elements;
  /* externref tables are not used by C guests; refuse rather than half-support them. */
  if (tl.slot)
    tl.slot->setup_errno = ENOTSUP;
  wasm_rt_trap((wasm_rt_trap_t)RT_WASM_TRAP_SETUP);
}

void wasm_rt_free_externref_table(wasm_rt_externref_table_t *t)
{
  free(t->data);
  t->data = NULL;
}

uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t *t, uint32_t delta,
                                      wasm_rt_externref_t init)
{
  (void)t;
  (void)delta;
  (void)init;
  return UINT32_MAX;
}

/* ---- wasm-rt.h: exceptions (not used by C guests) -------------------------------------- */

void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void *values)
{
  (void)tag;
  (void)size;
  (void)values;
}

void wasm_rt_throw(void)
{
  wasm_rt_trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
}

static _Thread_local WASM_RT_UNWIND_TARGET *tl_unwind;
WASM_RT_UNWIND_TARGET *wasm_rt_get_unwind_target(void)
{
  return tl_unwind;
}
void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET *target)
{
  tl_unwind = target;
}
uint32_t wasm_rt_exception_tag(void)
{
  return 0;
}
uint32_t wasm_rt_exception_size(void)
{
  return 0;
}
void *wasm_rt_exception(void)
{
  return NULL;
}
