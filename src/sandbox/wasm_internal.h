/*
 * wasm_internal.h - shared between the runtime (wasm_rt.c: wasm-rt.h functions, signals,
 * watchdog) and the slot backend (wasm_slot.c). Not public API.
 */
#ifndef RT_WASM_INTERNAL_H
#define RT_WASM_INTERNAL_H

#include "sandbox/wasm_sandbox.h"

#include <signal.h>
#include <wasm-rt.h>

/* Longjmp value of a deadline interrupt (beyond wasm_rt_trap_t's range). */
#define RT_WASM_TRAP_INTERRUPT 100
/* Longjmp value of a runtime failure during instantiate (reservation, allocation). */
#define RT_WASM_TRAP_SETUP 101

/*
 * One slot. Used by one thread at a time; the fields below are touched only by that thread,
 * except the counters read by slot_stats while the slot is idle (sandbox.h).
 */
typedef struct rt_wasm_slot {
  rt_slot base; /* first: rt_slot* <-> rt_wasm_slot* */
  const rt_wasm_module *mod;
  rt_sandbox_limits lim;
  uint8_t *mem_base; /* the 8 GiB reservation */
  void *inst;        /* the wasm2c instance struct (mod->instance_size bytes) */
  void *inst_snapshot;
  wasm_rt_memory_t *mem;          /* the instance's memory (inside inst) */
  wasm_rt_funcref_table_t *table; /* the instance's table (inside inst) or NULL */
  uint32_t table_cap;             /* elements allocated for table->data */
  wasm_rt_funcref_t *table_snapshot;
  int own_image_fd;         /* per-slot image when the module's shared one does not match */
  void *own_image_view;     /* read-only view of own_image_fd (image_pages long) or NULL */
  const uint8_t *image_src; /* the image's bytes (shared or own view): restores dirty pages */
  uint32_t image_pages;     /* pages mapped from the image (fresh state size) */
  uint32_t cap_pages;       /* memory cap in pages */
  uint32_t pages;           /* == mem->pages, mirrored for stats */
  uint32_t peak_pages;
  uint32_t hi_pages; /* highest page count made accessible since the last reset */
  uint64_t grow_failures;
  uint64_t calls;
  uint64_t failures;
  uint64_t call_grow_failures; /* during the current call */
  uint64_t *kept_map; /* one bit per host page of the first RT_SANDBOX_KEEP_RESIDENT bytes of
                         grown memory: resident after a reset (zeroed in place, PROT_NONE) */
  size_t kept_bits;
  uint64_t resident_bytes;  /* private pages kept by the last reset (slot_stats) */
  uint64_t call_peak_bytes; /* private pages at the end of the last call */
  uint64_t peak_resident_bytes;
  bool dirty;      /* guest ran since the last reset */
  bool ready;      /* snapshot taken; slot usable */
  int setup_errno; /* errno of a failed runtime step during instantiate */
} rt_wasm_slot;

typedef void (*rt_wasm_body)(rt_wasm_slot *s, void *ctx);

/*
 * Runs body(s, ctx) with s as the thread's current slot and a trap target set. When
 * timeout_ms > 0 the watchdog interrupts guest code after that many milliseconds. Returns 0,
 * a wasm_rt_trap_t, RT_WASM_TRAP_INTERRUPT or RT_WASM_TRAP_SETUP. Not reentrant.
 */
int rt_wasm_run(rt_wasm_slot *s, uint32_t timeout_ms, rt_wasm_body body, void *ctx);

/* Set to 1 around calls into guest code (read by the signal handlers). */
extern _Thread_local volatile sig_atomic_t rt_wasm_tl_in_guest;

#define RT_WASM_GUEST_BEGIN()                                                                      \
  do {                                                                                             \
    rt_wasm_tl_in_guest = 1;                                                                       \
    atomic_signal_fence(memory_order_seq_cst);                                                     \
  } while (0)
#define RT_WASM_GUEST_END()                                                                        \
  do {                                                                                             \
    atomic_signal_fence(memory_order_seq_cst);                                                     \
    rt_wasm_tl_in_guest = 0;                                                                       \
  } while (0)

/* Address-space reservation; NULL on failure (errno set). */
uint8_t *rt_wasm_reserve(void);
void rt_wasm_release(uint8_t *base);

/* Counters (relaxed atomics in wasm_rt.c). */
void rt_wasm_count_reset(void);
void rt_wasm_count_trap(int code);

/* In a child after fork: reopens /proc/self/pagemap (the parent's descriptor describes the
 * parent's pages). Called by the runtime's pthread_atfork child handler only. */
void rt_wasm_pagemap_atfork_child(void);

/* Installs the process-wide signal handlers, the fork handlers and the watchdog; idempotent. */
void rt_wasm_runtime_init(void);
/* Adds a module's state to the list whose locks are held across fork() (so a child never
 * inherits one locked by another thread); idempotent, called by slot_new. */
void rt_wasm_register_module(rt_wasm_module_state *st);
/* Re-installs the fault handlers if something replaced them (chaining to it). */
void rt_wasm_reclaim_signals(void);

#endif
