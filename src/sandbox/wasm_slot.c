/*
 * wasm_slot.c - rt_guest_ops for wasm2c-compiled guests: slot creation, fresh state per call
 * by slot reuse, guarded guest calls, result validation, guest info.
 *
 * DESIGN
 *  - A slot = one 8 GiB reservation + one wasm2c instance + a snapshot. Creating it reserves
 *    the address space, instantiates the module (data segments, tables, globals), runs the
 *    reactor's _initialize, checks riptide_abi_version, then maps the module's initialised
 *    memory image copy-on-write (MAP_PRIVATE of a memfd shared by every slot of the module,
 *    created by the first slot) over the memory and snapshots the instance struct and table.
 *  - Reset (wasmtime's pooling-allocator technique, with in-place restore): the image pages the
 *    call made private copies of (found with one pread of /proc/self/pagemap: present and not
 *    file-backed, or swapped) get the image's bytes back by memcpy from a read-only view of
 *    the memfd and stay resident, so the next call takes no copy-on-write faults on them;
 *    without a readable pagemap, madvise(MADV_DONTNEED) drops the copies and the image
 *    reappears. Pages grown past the image are zeroed in place up to RT_SANDBOX_KEEP_RESIDENT
 *    (as wasmtime's keep-resident option: re-faulting them costs more than the memset; pages
 *    never faulted in are skipped) and returned with MADV_DONTNEED beyond it; the grown pages
 *    are mprotect(PROT_NONE)ed again, and the snapshot is copied back over the instance
 *    struct (globals, memory size) and the table. No data segment is copied again and the
 *    reservation is kept. call_extract resets a dirty slot itself, so every call starts from
 *    a fresh state even if the caller forgot slot_reset.
 *  - Every (ptr, len) the guest hands back is checked against its memory size before the host
 *    reads or writes it; the result is copied out, capped at max_output_bytes.
 *  - State machine of a slot: new -> ready(clean) -> call -> dirty -> reset -> ready(clean).
 *    After a trap or timeout the slot is dirty and its guest state is never run again.
 *
 * Threads: a slot is used by one thread at a time (sandbox.h). The module state (shared image,
 * info) is guarded by its own lock; no lock is held while guest code runs.
 */
#include "sandbox/wasm_internal.h"

#include "abi/abi.h"
#include "common/limits.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#define RT_INFO_MAX (64u * 1024u)

static rt_wasm_slot *as_wasm(rt_slot *s)
{
  return (rt_wasm_slot *)s;
}

static uint32_t cap_pages_of(uint64_t cap_bytes)
{
  if (cap_bytes == 0 || cap_bytes > RT_MAX_MEMORY_CAP)
    cap_bytes = RT_MAX_MEMORY_CAP;
  uint64_t p = cap_bytes / RT_WASM_PAGE;
  return p > RT_WASM_MAX_PAGES ? RT_WASM_MAX_PAGES : (uint32_t)p;
}

static bool range_ok(const rt_wasm_slot *s, uint32_t ptr, uint64_t len)
{
  return (uint64_t)ptr + len <= (uint64_t)s->mem->size;
}

/* ---- module image ---------------------------------------------------------------------- */

/* The failure branches need memfd_create, ftruncate, pwrite or sealing to fail (out of memory
 * or descriptors), which the tests cannot force: excluded from coverage. */
static int image_create(const rt_wasm_module *mod, const uint8_t *data, size_t len)
{
  int fd = memfd_create(mod->name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return -1; /* GCOVR_EXCL_LINE: cannot be forced */
  if (ftruncate(fd, (off_t)len) != 0)
    goto fail; /* GCOVR_EXCL_LINE: cannot be forced */
  for (size_t off = 0; off < len;) {
    ssize_t w = pwrite(fd, data + off, len - off, (off_t)off);
    if (w < 0 && errno == EINTR)
      continue; /* GCOVR_EXCL_LINE: cannot be forced */
    if (w <= 0)
      goto fail; /* GCOVR_EXCL_LINE: cannot be forced */
    off += (size_t)w;
  }
  /* Sealed: the image can never change, which the reset relies on (a page still mapped from
   * it holds the image's bytes, so it is not restored). */
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    goto fail; /* GCOVR_EXCL_LINE: cannot be forced */
  return fd;
fail: /* GCOVR_EXCL_START: reached only from the failures above */
  close(fd);
  return -1;
} /* GCOVR_EXCL_STOP */

/* Maps the slot's initialised memory as a copy-on-write view of an image holding the same
 * bytes: the module's shared image when it matches (it always does for a deterministic
 * module), else a per-slot one. */
static riptide_err slot_map_image(rt_wasm_slot *s)
{
  const rt_wasm_module *mod = s->mod;
  rt_wasm_module_state *st = mod->state;
  size_t len = (size_t)s->mem->pages * RT_WASM_PAGE;
  s->image_pages = s->mem->pages;
  if (len == 0)
    return RIPTIDE_OK;
  int fd = -1;
  pthread_mutex_lock(&st->lock);
  if (st->image_fd < 0) {
    int nfd = image_create(mod, s->mem_base, len);
    if (nfd >= 0) {
      void *v = mmap(NULL, len, PROT_READ, MAP_SHARED, nfd, 0);
      if (v == MAP_FAILED) {
        close(nfd); /* GCOVR_EXCL_LINE: mmap failure cannot be forced */
      } else {
        st->image_fd = nfd;
        st->image_len = len;
        st->image_view = v;
      }
    }
  }
  if (st->image_fd >= 0 && st->image_len == len && memcmp(st->image_view, s->mem_base, len) == 0) {
    fd = st->image_fd;
    s->image_src = st->image_view;
  }
  pthread_mutex_unlock(&st->lock);
  if (fd < 0) {
    fd = image_create(mod, s->mem_base, len);
    if (fd < 0)
      return RIPTIDE_ERR_INSTANTIATE; /* GCOVR_EXCL_LINE: memfd failure cannot be forced */
    s->own_image_fd = fd;
    void *v = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    if (v == MAP_FAILED)
      return RIPTIDE_ERR_INSTANTIATE; /* GCOVR_EXCL_LINE: mmap failure cannot be forced */
    s->own_image_view = v;
    s->image_src = v;
  }
  void *m = mmap(s->mem_base, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
  if (m == MAP_FAILED)
    return RIPTIDE_ERR_INSTANTIATE; /* GCOVR_EXCL_LINE: mmap failure cannot be forced */
  return RIPTIDE_OK;
}

/* ---- dirty pages ----------------------------------------------------------------------- */

/* /proc/self/pagemap: one u64 per host page (Documentation/admin-guide/mm/pagemap.rst). */
#define RT_PM_PRESENT (1ull << 63)
#define RT_PM_SWAP (1ull << 62)
#define RT_PM_FILE (1ull << 61) /* file page or shared anonymous: not a private copy */
#define RT_PM_BATCH 512u        /* entries read per pread */

static pthread_once_t g_pm_once = PTHREAD_ONCE_INIT;
static int g_pm_fd = -1;
static pid_t g_pm_pid; /* the process g_pm_fd describes: /proc/self is resolved at open */
static size_t g_host_page;
static _Atomic bool g_pm_off; /* tests: take the path for systems without a pagemap */

void rt_wasm_use_pagemap(bool on)
{
  atomic_store(&g_pm_off, !on);
}

static void pm_open(void)
{
  long ps = sysconf(_SC_PAGESIZE);
  if (ps <= 0 || RT_WASM_PAGE % (size_t)ps != 0)
    return;
  g_host_page = (size_t)ps;
  g_pm_pid = getpid();
  g_pm_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
}

/* The child of a fork has one thread: plain writes are safe here. open/close are
 * async-signal-safe. If the parent never opened the pagemap, the child opens it on first use. */
static void pm_noop(void) {}

void rt_wasm_pagemap_atfork_child(void)
{
  /* Marks the once as done when it was not, so a later pthread_once cannot run pm_open
   * concurrently with what we set up here; then (re)opens for this process. */
  pthread_once(&g_pm_once, pm_noop);
  if (g_host_page == 0) {
    long ps = sysconf(_SC_PAGESIZE);
    if (ps <= 0 || RT_WASM_PAGE % (size_t)ps != 0)
      return;
    g_host_page = (size_t)ps;
  }
  if (g_pm_fd >= 0)
    close(g_pm_fd);
  g_pm_pid = getpid();
  g_pm_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
}

/* What a page of the slot's memory may hold since the last reset. */
typedef enum pm_kind {
  PM_CLEAN, /* not mapped, or mapped from the image file: holds the image's bytes (or zero) */
  PM_DIRTY, /* private page (written, or a read of anonymous memory), or swapped out */
} pm_kind;

typedef void (*pm_run_fn)(rt_wasm_slot *s, size_t off, size_t len, void *ctx);

/* Calls fn for every maximal run of possibly-dirty host pages in [off, off + len) of the
 * slot's memory. Returns false when the pagemap cannot be read (the caller then treats the
 * whole range as dirty); runs already reported stay valid. */
static bool pm_for_dirty_runs(rt_wasm_slot *s, size_t off, size_t len, pm_run_fn fn, void *ctx)
{
  pthread_once(&g_pm_once, pm_open);
  if (g_pm_fd < 0 || atomic_load_explicit(&g_pm_off, memory_order_relaxed))
    return false;
  /* In a child forked after the open, the fd still shows the parent's page tables: trusting
   * it would leave pages the child wrote unrestored. The child takes the slower path. */
  if (getpid() != g_pm_pid)
    return false;
  size_t ps = g_host_page;
  uintptr_t first = ((uintptr_t)s->mem_base + off) / ps;
  size_t n = len / ps;
  uint64_t e[RT_PM_BATCH];
  size_t run = 0, run_len = 0;
  for (size_t i = 0; i < n;) {
    size_t k = n - i < RT_PM_BATCH ? n - i : RT_PM_BATCH;
    ssize_t r = pread(g_pm_fd, e, k * sizeof e[0], (off_t)((first + i) * sizeof e[0]));
    if (r != (ssize_t)(k * sizeof e[0]))
      return false;
    for (size_t j = 0; j < k; j++, i++) {
      bool dirty = (e[j] & RT_PM_PRESENT) ? !(e[j] & RT_PM_FILE) : (e[j] & RT_PM_SWAP) != 0;
      if (dirty) {
        if (!run_len)
          run = off + i * ps;
        run_len += ps;
      } else if (run_len) {
        fn(s, run, run_len, ctx);
        run_len = 0;
      }
    }
  }
  if (run_len)
    fn(s, run, run_len, ctx);
  return true;
}

/* The run callbacks add the bytes they saw to *(size_t *)ctx: the slot's private pages. */
static void restore_run(rt_wasm_slot *s, size_t off, size_t len, void *ctx)
{
  memcpy(s->mem_base + off, s->image_src + off, len);
  *(size_t *)ctx += len;
}

/* The kept pages of grown memory, by host page from the end of the image: a call that grows
 * less than an earlier one leaves the earlier one's kept pages resident (and zero, and
 * PROT_NONE) without touching them, so they are remembered rather than measured again. */
static void kept_mark(rt_wasm_slot *s, size_t off, size_t len, bool on)
{
  size_t ps = g_host_page ? g_host_page : 4096;
  size_t first = off / ps, end = (off + len) / ps;
  if (end > s->kept_bits)
    end = s->kept_bits;
  while (first < end) { /* a word at a time: up to 64 pages per step */
    size_t w = first / 64, lo = first % 64;
    size_t hi = end - w * 64 < 64 ? end - w * 64 : 64; /* bits [lo, hi) of word w */
    uint64_t m = (hi == 64 ? ~0ull : (1ull << hi) - 1) & ~((1ull << lo) - 1);
    if (on)
      s->kept_map[w] |= m;
    else
      s->kept_map[w] &= ~m;
    first = w * 64 + hi;
  }
}

static size_t kept_resident_bytes(const rt_wasm_slot *s)
{
  size_t n = 0;
  for (size_t i = 0; i < (s->kept_bits + 63) / 64; i++)
    n += (size_t)__builtin_popcountll(s->kept_map[i]);
  return n * (g_host_page ? g_host_page : 4096);
}

/* ctx: the image size (offsets in the kept map start there). */
static void zero_run(rt_wasm_slot *s, size_t off, size_t len, void *ctx)
{
  memset(s->mem_base + off, 0, len);
  kept_mark(s, off - *(size_t *)ctx, len, true);
}

static void count_run(rt_wasm_slot *s, size_t off, size_t len, void *ctx)
{
  (void)s;
  (void)off;
  *(size_t *)ctx += len;
}

/* ---- slot lifecycle -------------------------------------------------------------------- */

typedef struct inst_ctx {
  uint32_t abi;
} inst_ctx;

static void body_init_module(rt_wasm_slot *s, void *vctx)
{
  (void)vctx;
  s->mod->init_module();
}

static void body_instantiate(rt_wasm_slot *s, void *vctx)
{
  inst_ctx *c = vctx;
  s->mod->instantiate(s->inst, s);
  RT_WASM_GUEST_BEGIN();
  s->mod->initialize(s->inst);
  c->abi = s->mod->abi_version(s->inst);
  RT_WASM_GUEST_END();
}

static void slot_free(rt_slot *base)
{
  rt_wasm_slot *s = as_wasm(base);
  if (!s)
    return;
  if (s->inst)
    s->mod->free_instance(s->inst);
  rt_wasm_release(s->mem_base);
  if (s->own_image_view)
    munmap(s->own_image_view, (size_t)s->image_pages * RT_WASM_PAGE);
  if (s->own_image_fd >= 0)
    close(s->own_image_fd);
  free(s->inst);
  free(s->inst_snapshot);
  free(s->table_snapshot);
  free(s->kept_map);
  free(s);
}

static riptide_err slot_new(const rt_guest *g, const rt_sandbox_limits *lim, rt_slot **out)
{
  *out = NULL;
  if (!g || !g->module || !lim)
    return RIPTIDE_ERR_INVALID_ARG;
  rt_wasm_runtime_init();
  rt_wasm_reclaim_signals();
  const rt_wasm_module *mod = g->module;
  rt_wasm_slot *s = calloc(1, sizeof *s);
  if (!s)
    return RIPTIDE_ERR_NOMEM; /* GCOVR_EXCL_LINE: allocation failure cannot be forced */
  s->base.guest = g;
  s->mod = mod;
  s->lim = *lim;
  s->own_image_fd = -1;
  s->cap_pages = cap_pages_of(lim->memory_cap_bytes);
  s->inst = calloc(1, mod->instance_size);
  s->inst_snapshot = malloc(mod->instance_size);
  pthread_once(&g_pm_once, pm_open); /* the host page size, for the kept map */
  s->kept_bits = RT_SANDBOX_KEEP_RESIDENT / (g_host_page ? g_host_page : 4096);
  s->kept_map = calloc((s->kept_bits + 63) / 64 + 1, sizeof *s->kept_map);
  if (!s->inst || !s->inst_snapshot || !s->kept_map) {
    slot_free(&s->base);      /* GCOVR_EXCL_LINE: allocation failure cannot be forced */
    return RIPTIDE_ERR_NOMEM; /* GCOVR_EXCL_LINE */
  }
  s->mem_base = rt_wasm_reserve();
  if (!s->mem_base) {
    slot_free(&s->base);            /* GCOVR_EXCL_LINE: mmap failure cannot be forced */
    return RIPTIDE_ERR_INSTANTIATE; /* GCOVR_EXCL_LINE */
  }
  /* The module's func types must be registered before any instance of it is created (the
   * table's elements carry them): once per module, under its lock. A trap inside returns
   * to rt_wasm_run, still under the lock. */
  rt_wasm_module_state *st = mod->state;
  rt_wasm_register_module(st);
  pthread_mutex_lock(&st->lock);
  int code = st->initialised ? 0 : rt_wasm_run(s, 0, body_init_module, NULL);
  if (code == 0)
    st->initialised = true;
  pthread_mutex_unlock(&st->lock);
  if (code != 0) {
    slot_free(&s->base);
    return RIPTIDE_ERR_INSTANTIATE;
  }
  inst_ctx c = {0};
  code = rt_wasm_run(s, lim->timeout_ms, body_instantiate, &c);
  riptide_err err = RIPTIDE_OK;
  if (code == RT_WASM_TRAP_INTERRUPT)
    err = RIPTIDE_ERR_TIMEOUT;
  else if (code != 0 || !s->mem)
    err = RIPTIDE_ERR_INSTANTIATE;
  else if (c.abi != RIPTIDE_GUEST_ABI_VERSION)
    err = RIPTIDE_ERR_ABI_MISMATCH;
  if (!err)
    err = slot_map_image(s);
  if (!err && s->table && s->table->size) {
    s->table_snapshot = malloc((size_t)s->table->size * sizeof *s->table_snapshot);
    if (!s->table_snapshot)
      err = RIPTIDE_ERR_NOMEM; /* GCOVR_EXCL_LINE: allocation failure cannot be forced */
    else
      memcpy(s->table_snapshot, s->table->data, (size_t)s->table->size * sizeof *s->table_snapshot);
  }
  if (err) {
    slot_free(&s->base);
    return err;
  }
  memcpy(s->inst_snapshot, s->inst, mod->instance_size);
  s->pages = s->mem->pages;
  s->ready = true;
  s->dirty = false;
  *out = &s->base;
  return RIPTIDE_OK;
}

static riptide_err slot_reset(rt_slot *base)
{
  rt_wasm_slot *s = as_wasm(base);
  if (!s || !s->ready)
    return RIPTIDE_ERR_INVALID_ARG;
  if (!s->dirty)
    return RIPTIDE_OK;
  rt_wasm_reclaim_signals();
  /* Every page that may have been made accessible since the last reset: hi_pages is raised
   * before grow's mprotect, so an interrupted grow is covered too. */
  uint32_t hi = s->mem->pages;
  if (s->hi_pages > hi)
    hi = s->hi_pages;
  size_t touched = (size_t)hi * RT_WASM_PAGE;
  size_t image = (size_t)s->image_pages * RT_WASM_PAGE;
  /* Grown pages (anonymous memory past the image): the first RT_SANDBOX_KEEP_RESIDENT bytes
   * are zeroed in place, which costs a fraction of faulting them in again on the next call
   * (pages never faulted in are skipped: the pagemap says which); the rest are returned to
   * the kernel. Either way no byte survives. */
  /* Memory figures (README.md, "Memory figures"): the pagemap walks below see every private
   * page of the slot, so the call's peak and what stays resident cost no extra pass except over
   * grown memory past the kept part. Without a pagemap the figures are upper bounds. */
  size_t peak = 0, kept = 0;
  if (touched > image) {
    size_t grown = touched - image;
    size_t keep = grown < RT_SANDBOX_KEEP_RESIDENT ? grown : RT_SANDBOX_KEEP_RESIDENT;
    if (keep) {
      kept_mark(s, 0, keep, false);
      size_t at = image;
      if (!pm_for_dirty_runs(s, image, keep, zero_run, &at)) {
        memset(s->mem_base + image, 0, keep);
        kept_mark(s, 0, keep, true); /* the memset faulted every kept page in */
      }
    }
    if (grown > keep) {
      size_t c = 0;
      if (!pm_for_dirty_runs(s, image + keep, grown - keep, count_run, &c))
        c = grown - keep;
      peak += c;
      if (madvise(s->mem_base + image + keep, grown - keep, MADV_DONTNEED) != 0)
        return RIPTIDE_ERR_INTERNAL; /* GCOVR_EXCL_LINE: cannot fail on our own mapping */
    }
    if (mprotect(s->mem_base + image, grown, PROT_NONE) != 0)
      return RIPTIDE_ERR_INTERNAL; /* GCOVR_EXCL_LINE: cannot fail on our own mapping */
  }
  /* Image pages: the pages the call made private copies of get the image's bytes back in
   * place (they stay resident: no copy-on-write faults next call); pages it only read still
   * map the image. Without a readable pagemap, dropping the private copies makes the image
   * reappear (and the next call faults them in again). */
  size_t img_touched = touched < image ? touched : image;
  if (img_touched) {
    size_t r = 0;
    if (pm_for_dirty_runs(s, 0, img_touched, restore_run, &r)) {
      kept += r;
      peak += r;
    } else {
      if (madvise(s->mem_base, img_touched, MADV_DONTNEED) != 0)
        return RIPTIDE_ERR_INTERNAL; /* GCOVR_EXCL_LINE: cannot fail on our own mapping */
      peak += img_touched;
    }
  }
  /* Kept grown pages, this call's and those earlier calls left beyond its reach. */
  size_t kept_grown = kept_resident_bytes(s);
  kept += kept_grown;
  peak += kept_grown;
  s->call_peak_bytes = peak;
  s->resident_bytes = kept;
  if (peak > s->peak_resident_bytes)
    s->peak_resident_bytes = peak;
  uint32_t tsize = s->table ? s->table->size : 0;
  memcpy(s->inst, s->inst_snapshot, s->mod->instance_size);
  if (s->table) {
    if (tsize > s->table->size)
      memset(s->table->data + s->table->size, 0,
             (size_t)(tsize - s->table->size) * sizeof *s->table->data);
    if (s->table->size)
      memcpy(s->table->data, s->table_snapshot, (size_t)s->table->size * sizeof *s->table->data);
  }
  s->pages = s->mem->pages;
  s->hi_pages = s->image_pages;
  s->dirty = false;
  rt_wasm_count_reset();
  return RIPTIDE_OK;
}

/* ---- calls ----------------------------------------------------------------------------- */

typedef struct extract_ctx {
  const rt_extract_args *a;
  riptide_err err; /* host-side verdict reached inside the body */
  uint32_t status;
  uint32_t rptr, rlen;
  char detail[96];
} extract_ctx;

/* Copies host bytes into fresh guest memory; 0 and ctx->err set on failure. */
static uint32_t guest_put(rt_wasm_slot *s, extract_ctx *c, const char *p, size_t n,
                          const char *what)
{
  if (n > UINT32_MAX - 1) {
    c->err = RIPTIDE_ERR_INPUT_TOO_LARGE;
    snprintf(c->detail, sizeof c->detail, "%s of %zu bytes exceeds the guest's address space", what,
             n);
    return 0;
  }
  RT_WASM_GUEST_BEGIN();
  uint32_t gp = s->mod->alloc(s->inst, (uint32_t)(n ? n : 1));
  RT_WASM_GUEST_END();
  if (gp == 0) {
    c->err = s->call_grow_failures ? RIPTIDE_ERR_MEMORY_LIMIT : RIPTIDE_ERR_GUEST_ERROR;
    snprintf(c->detail, sizeof c->detail, "guest could not allocate %zu bytes for the %s", n, what);
    return 0;
  }
  if (!range_ok(s, gp, n)) {
    c->err = RIPTIDE_ERR_BAD_RESULT;
    snprintf(c->detail, sizeof c->detail, "guest allocation for the %s is outside its memory",
             what);
    return 0;
  }
  if (n)
    memcpy(s->mem->data + gp, p, n);
  return gp;
}

static void body_extract(rt_wasm_slot *s, void *vctx)
{
  extract_ctx *c = vctx;
  const rt_extract_args *a = c->a;
  uint32_t h = guest_put(s, c, a->html, a->html_len, "input");
  if (c->err)
    return;
  uint32_t u = 0, ul = 0, o = 0, ol = 0;
  if (a->url) {
    u = guest_put(s, c, a->url, a->url_len, "url");
    ul = (uint32_t)a->url_len;
    if (c->err)
      return;
  }
  if (a->opts && a->opts_len) {
    o = guest_put(s, c, a->opts, a->opts_len, "options");
    ol = (uint32_t)a->opts_len;
    if (c->err)
      return;
  }
  RT_WASM_GUEST_BEGIN();
  c->status = s->mod->extract(s->inst, h, (uint32_t)a->html_len, u, ul, a->mode, o, ol);
  if (c->status == RT_GUEST_OK) {
    c->rptr = s->mod->result_ptr(s->inst);
    c->rlen = s->mod->result_len(s->inst);
  }
  RT_WASM_GUEST_END();
}

static riptide_trap trap_kind(int code)
{
  switch (code) {
  case WASM_RT_TRAP_OOB:
    return RIPTIDE_TRAP_OOB;
  case WASM_RT_TRAP_INT_OVERFLOW:
    return RIPTIDE_TRAP_INT_OVERFLOW;
  case WASM_RT_TRAP_DIV_BY_ZERO:
    return RIPTIDE_TRAP_INT_DIV_ZERO;
  case WASM_RT_TRAP_INVALID_CONVERSION:
    return RIPTIDE_TRAP_INVALID_CONVERSION;
  case WASM_RT_TRAP_UNREACHABLE:
    return RIPTIDE_TRAP_UNREACHABLE;
  case WASM_RT_TRAP_CALL_INDIRECT:
    return RIPTIDE_TRAP_CALL_INDIRECT;
  case WASM_RT_TRAP_EXHAUSTION:
    return RIPTIDE_TRAP_STACK_EXHAUSTION;
  case RT_WASM_TRAP_INTERRUPT:
    return RIPTIDE_TRAP_INTERRUPT;
  default:
    return RIPTIDE_TRAP_OTHER;
  }
}

/* Maps the end of a protected run to out->err; returns true when it was a failure. */
static bool run_failed(rt_wasm_slot *s, int code, rt_call_result *out)
{
  if (code == 0)
    return false;
  if (code == RT_WASM_TRAP_INTERRUPT) {
    out->err = RIPTIDE_ERR_TIMEOUT;
    out->trap = RIPTIDE_TRAP_INTERRUPT;
    snprintf(out->detail, sizeof out->detail, "guest interrupted after its %u ms deadline",
             s->lim.timeout_ms);
  } else if (code == RT_WASM_TRAP_SETUP) {
    out->err = RIPTIDE_ERR_INTERNAL;
    snprintf(out->detail, sizeof out->detail, "sandbox runtime could not run the call");
  } else {
    out->err = RIPTIDE_ERR_TRAP;
    out->trap = trap_kind(code);
    snprintf(out->detail, sizeof out->detail, "guest trapped: %s%s", riptide_trap_name(out->trap),
             s->call_grow_failures ? " (after memory growth was refused by the cap)" : "");
  }
  return true;
}

static void call_extract(rt_slot *base, const rt_extract_args *a, rt_call_result *out)
{
  rt_wasm_slot *s = as_wasm(base);
  memset(out, 0, sizeof *out);
  if (!s || !s->ready || !a || (!a->html && a->html_len)) {
    out->err = RIPTIDE_ERR_INVALID_ARG;
    return;
  }
  if (s->dirty && slot_reset(base) != RIPTIDE_OK) {
    /* GCOVR_EXCL_START: slot_reset fails only when madvise/mprotect on the slot's own
     * reservation fails, which the tests cannot force */
    out->err = RIPTIDE_ERR_INTERNAL;
    snprintf(out->detail, sizeof out->detail, "slot reset failed");
    s->failures++;
    return;
    /* GCOVR_EXCL_STOP */
  }
  s->dirty = true;
  s->calls++;
  s->call_grow_failures = 0;
  extract_ctx c = {.a = a};
  int code = rt_wasm_run(s, s->lim.timeout_ms, body_extract, &c);
  if (run_failed(s, code, out)) {
    s->failures++;
    return;
  }
  if (c.err) {
    out->err = c.err;
    memcpy(out->detail, c.detail, sizeof c.detail);
    s->failures++;
    return;
  }
  switch (c.status) {
  case RT_GUEST_OK:
    break;
  case RT_GUEST_NOMEM:
    out->err = s->call_grow_failures ? RIPTIDE_ERR_MEMORY_LIMIT : RIPTIDE_ERR_GUEST_ERROR;
    snprintf(out->detail, sizeof out->detail, "guest out of memory (%u pages, cap %u)",
             s->mem->pages, s->cap_pages);
    break;
  case RT_GUEST_PARSE_LIMIT:
    out->err = RIPTIDE_ERR_PARSE_LIMIT;
    break;
  case RT_GUEST_SELECTOR:
    out->err = RIPTIDE_ERR_SELECTOR;
    break;
  case RT_GUEST_BAD_ARGS:
    out->err = RIPTIDE_ERR_GUEST_ERROR;
    snprintf(out->detail, sizeof out->detail, "guest refused the mode or options");
    break;
  default:
    out->err = RIPTIDE_ERR_GUEST_ERROR;
    snprintf(out->detail, sizeof out->detail, "guest returned status %u", c.status);
    break;
  }
  if (out->err) {
    s->failures++;
    return;
  }
  if (!range_ok(s, c.rptr, c.rlen)) {
    out->err = RIPTIDE_ERR_BAD_RESULT;
    snprintf(out->detail, sizeof out->detail,
             "result (ptr %u, len %u) lies outside the guest's %u-byte memory", c.rptr, c.rlen,
             s->mem->size);
    s->failures++;
    return;
  }
  uint64_t cap = s->lim.max_output_bytes ? s->lim.max_output_bytes : RT_DEFAULT_MAX_OUTPUT;
  if (c.rlen > cap) {
    out->err = RIPTIDE_ERR_OUTPUT_TOO_LARGE;
    snprintf(out->detail, sizeof out->detail, "result of %u bytes exceeds the %llu-byte cap",
             c.rlen, (unsigned long long)cap);
    s->failures++;
    return;
  }
  out->data = malloc(c.rlen ? c.rlen : 1);
  if (!out->data) {
    out->err = RIPTIDE_ERR_NOMEM; /* GCOVR_EXCL_START: allocation failure cannot be forced */
    s->failures++;
    return; /* GCOVR_EXCL_STOP */
  }
  memcpy(out->data, s->mem->data + c.rptr, c.rlen);
  out->len = c.rlen;
}

static void slot_stats(const rt_slot *base, rt_slot_stats *st)
{
  const rt_wasm_slot *s = (const rt_wasm_slot *)base;
  memset(st, 0, sizeof *st);
  if (!s)
    return;
  st->pages = s->pages;
  st->peak_pages = s->peak_pages;
  st->grow_failures = s->grow_failures;
  st->calls = s->calls;
  st->failures = s->failures;
  st->resident_bytes = s->resident_bytes;
  st->call_peak_bytes = s->call_peak_bytes;
  st->peak_resident_bytes = s->peak_resident_bytes;
}

const rt_guest_ops rt_wasm_ops = {
    .slot_new = slot_new,
    .slot_free = slot_free,
    .slot_reset = slot_reset,
    .call_extract = call_extract,
    .slot_stats = slot_stats,
};

/* ---- helpers for benchmarks, tests and guest info -------------------------------------- */

static void body_version(rt_wasm_slot *s, void *vctx)
{
  RT_WASM_GUEST_BEGIN();
  *(uint32_t *)vctx = s->mod->abi_version(s->inst);
  RT_WASM_GUEST_END();
}

riptide_err rt_wasm_slot_call_version(rt_slot *base, uint32_t *out)
{
  rt_wasm_slot *s = as_wasm(base);
  if (!s || !s->ready)
    return RIPTIDE_ERR_INVALID_ARG;
  s->dirty = true;
  int code = rt_wasm_run(s, s->lim.timeout_ms, body_version, out);
  return code ? RIPTIDE_ERR_TRAP : RIPTIDE_OK;
}

const void *rt_wasm_slot_base(const rt_slot *s)
{
  return s ? ((const rt_wasm_slot *)s)->mem_base : NULL;
}

typedef struct info_ctx {
  uint32_t ptr, len;
} info_ctx;

static void body_info(rt_wasm_slot *s, void *vctx)
{
  info_ctx *c = vctx;
  RT_WASM_GUEST_BEGIN();
  c->ptr = s->mod->info_ptr(s->inst);
  c->len = s->mod->info_len(s->inst);
  RT_WASM_GUEST_END();
}

const char *rt_wasm_guest_info(const rt_guest *g)
{
  if (!g || g->ops != &rt_wasm_ops)
    return NULL;
  const rt_wasm_module *mod = g->module;
  rt_wasm_module_state *st = mod->state;
  pthread_mutex_lock(&st->lock);
  const char *cached = st->info;
  pthread_mutex_unlock(&st->lock);
  if (cached)
    return cached;

  rt_sandbox_limits lim = {
      .memory_cap_bytes = 64ull << 20, .timeout_ms = 5000, .max_output_bytes = RT_INFO_MAX};
  rt_slot *slot = NULL;
  if (slot_new(g, &lim, &slot) != RIPTIDE_OK)
    return NULL;
  rt_wasm_slot *s = as_wasm(slot);
  info_ctx c = {0};
  char *info = NULL;
  s->dirty = true;
  if (rt_wasm_run(s, lim.timeout_ms, body_info, &c) == 0 && c.len <= RT_INFO_MAX &&
      range_ok(s, c.ptr, c.len) && memchr(s->mem->data + c.ptr, 0, c.len) == NULL) {
    info = malloc((size_t)c.len + 1);
    if (info) {
      memcpy(info, s->mem->data + c.ptr, c.len);
      info[c.len] = '\0';
    }
  }
  slot_free(slot);
  if (!info)
    return NULL;
  pthread_mutex_lock(&st->lock);
  if (!st->info) {
    st->info = info;
    st->info_len = c.len;
    info = NULL;
  }
  cached = st->info;
  pthread_mutex_unlock(&st->lock);
  free(info);
  return cached;
}
