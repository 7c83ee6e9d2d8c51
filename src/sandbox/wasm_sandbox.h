/*
 * wasm_sandbox.h - internal interface of the wasm2c sandbox backend (src/sandbox/wasm_*.c and
 * the per-module glue src/sandbox/glue/module_glue.c). Not public API.
 *
 * A wasm2c module is described by an rt_wasm_module (generated glue, one per guest). A slot
 * (rt_wasm_slot) owns one instance of one module, an 8 GiB address-space reservation for its
 * linear memory, and the snapshot that makes slot_reset cheap.
 *
 * Thread-safety: rt_wasm_module is immutable after rt_wasm_module_prepare() (its state field is
 * guarded by state->lock). A slot is used by one thread at a time (see sandbox.h).
 */
#ifndef RT_WASM_SANDBOX_H
#define RT_WASM_SANDBOX_H

#include "sandbox/sandbox.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RT_WASM_PAGE 65536u
/* Address space reserved per linear memory: 4 GiB of addressable memory plus 4 GiB of guard,
 * so that any u32 address plus any u32 offset lands inside the reservation. */
#define RT_WASM_RESERVE (8ull << 30)
/* wasm_rt_memory_t.size is a u32 in wabt 1.0.32, so 65536 pages (4 GiB) cannot be
 * represented: the largest memory we ever grant is 65535 pages. */
#define RT_WASM_MAX_PAGES 65535u

/* Mutable per-module state: the initialised memory image shared by every slot. */
typedef struct rt_wasm_module_state {
  pthread_mutex_t lock;      /* guards everything below */
  bool initialised;          /* init_module() ran */
  int image_fd;              /* memfd of the memory image after instantiate+_initialize, -1 none */
  size_t image_len;          /* bytes (multiple of the wasm page) */
  const uint8_t *image_view; /* read-only shared view of image_fd (to compare new slots) */
  char *info;                /* guest info JSON, read once; NULL until read */
  size_t info_len;
  /* The runtime's list of module states, whose locks its fork handlers take (wasm_rt.c);
   * both guarded by the runtime's module-list lock, not by `lock`. */
  bool fork_registered;
  struct rt_wasm_module_state *fork_next;
} rt_wasm_module_state;

typedef struct rt_wasm_module {
  const char *name;
  size_t instance_size;
  rt_wasm_module_state *state;
  void (*init_module)(void);
  void (*instantiate)(void *inst, void *host);
  void (*free_instance)(void *inst);
  void (*initialize)(void *inst); /* the reactor's _initialize export */
  uint32_t (*abi_version)(void *inst);
  uint32_t (*alloc)(void *inst, uint32_t size);
  void (*free)(void *inst, uint32_t ptr);
  uint32_t (*extract)(void *inst, uint32_t html, uint32_t html_len, uint32_t url, uint32_t url_len,
                      uint32_t mode, uint32_t opts, uint32_t opts_len);
  uint32_t (*result_ptr)(void *inst);
  uint32_t (*result_len)(void *inst);
  uint32_t (*info_ptr)(void *inst);
  uint32_t (*info_len)(void *inst);
} rt_wasm_module;

/* Per-module rt_guest descriptors are built by the glue: */
extern const rt_guest_ops rt_wasm_ops;

/* Guest info JSON of a module: instantiates a scratch slot once and copies the guest's
 * riptide_info_ptr/len (validated); cached in the module state. NULL on failure. */
const char *rt_wasm_guest_info(const rt_guest *g);

/*
 * The empty guest call (benchmarks): runs riptide_abi_version in the slot under the same
 * protection and deadline machinery as call_extract. Returns RIPTIDE_OK and *out.
 */
riptide_err rt_wasm_slot_call_version(rt_slot *s, uint32_t *out);

/* Whether slot_reset may read /proc/self/pagemap to restore only written pages (default on;
 * tests turn it off to exercise the MADV_DONTNEED path taken where no pagemap is readable). */
void rt_wasm_use_pagemap(bool on);

/* Guest address-space reservation of a slot (tests: proves the reservation is kept). */
const void *rt_wasm_slot_base(const rt_slot *s);

/* Counters of the runtime since process start (tests, benchmarks). */
typedef struct rt_wasm_counters {
  uint64_t reservations; /* 8 GiB reservations made */
  uint64_t resets;       /* slot resets done */
  uint64_t traps;        /* traps caught (any kind, interrupts included) */
  uint64_t interrupts;   /* deadline interrupts delivered to guest code */
} rt_wasm_counters;
void rt_wasm_counters_get(rt_wasm_counters *c);
/* True while the deadline watchdog sleeps (no deadline call for a second; tests). */
bool rt_wasm_watchdog_sleeping(void);

#endif
