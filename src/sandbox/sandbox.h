/*
 * sandbox.h - the sandbox behind a small ops table.
 *
 * The pool (src/pool) talks to guests only through rt_guest_ops, so its logic can be tested
 * with a scripted fake guest (tests/fake_guest.c) as well as the real wasm2c-compiled ones.
 *
 * Thread-safety: an rt_guest is immutable and shareable. An rt_slot is movable but used by one
 * thread at a time (the pool leases it to one caller). slot_stats may be read by the health and
 * memory threads while the slot is idle only.
 */
#ifndef RT_SANDBOX_H
#define RT_SANDBOX_H

#include "riptide.h"

#include <stddef.h>
#include <stdint.h>

typedef struct rt_guest rt_guest;
typedef struct rt_guest_ops rt_guest_ops;

/* Base of every slot; a backend embeds it as its first member. */
typedef struct rt_slot {
  const rt_guest *guest;
} rt_slot;

typedef struct rt_sandbox_limits {
  uint64_t memory_cap_bytes; /* growth past this fails inside the guest */
  uint32_t timeout_ms;       /* per-call deadline; 0 = none */
  uint64_t max_output_bytes; /* result size cap */
} rt_sandbox_limits;

typedef struct rt_slot_stats {
  uint32_t pages;         /* current linear-memory pages (64 KiB) */
  uint32_t peak_pages;    /* highest since the slot was created */
  uint64_t grow_failures; /* memory.grow refused by the cap, since created */
  uint64_t calls;
  uint64_t failures; /* traps, timeouts, guest errors, since created */
  /* Real memory, in bytes: the slot's private pages of linear memory (the host pages only this
   * slot holds; image pages it merely read are shared by every slot of the module and not
   * counted). Measured by slot_reset (see README.md, "Memory figures"). */
  uint64_t resident_bytes;      /* held now: what the last reset kept resident (0 when new) */
  uint64_t call_peak_bytes;     /* held at the end of the last call, before its reset: the call's
                                   peak, as linear memory never shrinks during a call */
  uint64_t peak_resident_bytes; /* highest call_peak_bytes since the slot was created */
} rt_slot_stats;

typedef struct rt_extract_args {
  const char *html;
  size_t html_len;
  const char *url; /* may be NULL */
  size_t url_len;
  uint32_t mode;    /* riptide_mode */
  const char *opts; /* "key=value\n" lines, see abi.h */
  size_t opts_len;
} rt_extract_args;

typedef struct rt_call_result {
  riptide_err err;   /* OK, TIMEOUT, TRAP, MEMORY_LIMIT, GUEST_ERROR, BAD_RESULT,
                        OUTPUT_TOO_LARGE, PARSE_LIMIT, SELECTOR, NOMEM */
  riptide_trap trap; /* when err == TRAP */
  uint8_t *data;     /* on OK: malloc'd copy of the guest's result (wire format); caller frees */
  size_t len;
  char detail[160]; /* human detail on failure */
} rt_call_result;

struct rt_guest_ops {
  /* Creates a slot: reserves its address space and instantiates the guest. */
  riptide_err (*slot_new)(const rt_guest *g, const rt_sandbox_limits *lim, rt_slot **out);
  /* Frees a slot and its reservation. NULL is a no-op. */
  void (*slot_free)(rt_slot *s);
  /* Gives the slot a fresh guest state (no data survives), keeping its reservation and
   * returning touched pages; updates the memory figures of slot_stats. Must be called after a
   * failed call before the slot is reused. */
  riptide_err (*slot_reset)(rt_slot *s);
  /* Runs the guest's extract under the slot's limits. The slot is in an undefined state
   * afterwards until slot_reset. Never returns with a guest pointer unchecked. */
  void (*call_extract)(rt_slot *s, const rt_extract_args *a, rt_call_result *out);
  void (*slot_stats)(const rt_slot *s, rt_slot_stats *st);
};

struct rt_guest {
  const rt_guest_ops *ops;
  const char *name;
  const void *module; /* backend data, e.g. the wasm2c module descriptor */
  const char *info;   /* guest info JSON (may be NULL) */
};

/* The built-in extractor guest, compiled from src/guest with wasm2c. */
const rt_guest *rt_sandbox_extractor(void);

#endif
