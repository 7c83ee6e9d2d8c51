/*
 * fake_guest.h - a scripted fake rt_guest for pool, breaker, health and memory tests.
 *
 * The fake implements rt_guest_ops without any sandbox: each call_extract takes its outcome
 * from (in order of priority) the FIFO script pushed by the test, a chooser callback, or the
 * default step. Outcomes: ok with a given wire result, a trap of a given kind, a timeout,
 * memory growth (which fails with MEMORY_LIMIT past the slot's cap and counts a grow
 * failure), a guest error, an invalid result, or a block on a gate the test opens (a blocked
 * call returns TIMEOUT when the slot's deadline passes first, like the real sandbox).
 *
 * Thread-safety: a pool_fake_guest is shareable; every function may be called from any
 * thread. Each slot is used by one thread at a time (the pool's lease), as in sandbox.h.
 */
#ifndef POOL_FAKE_GUEST_H
#define POOL_FAKE_GUEST_H

#include "sandbox/sandbox.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pool_fake_kind {
  POOL_FAKE_OK = 0,      /* returns `wire` (or a small default document) */
  POOL_FAKE_TRAP,        /* traps with `trap` */
  POOL_FAKE_TIMEOUT,     /* deadline interrupt */
  POOL_FAKE_GROW,        /* grows by `grow_pages`; ok under the cap, MEMORY_LIMIT over it */
  POOL_FAKE_GUEST_ERROR, /* guest returned an error status */
  POOL_FAKE_BAD_RESULT,  /* guest returned an invalid (pointer, length) */
  POOL_FAKE_BLOCK,       /* waits for the gate, then behaves like OK; TIMEOUT at the deadline */
  POOL_FAKE_SELECTOR,    /* invalid CSS selector (an input error, not a guest failure) */
} pool_fake_kind;

typedef struct pool_fake_step {
  pool_fake_kind kind;
  riptide_trap trap;   /* POOL_FAKE_TRAP */
  uint32_t grow_pages; /* POOL_FAKE_GROW; also applied before OK when non-zero */
  const uint8_t *wire; /* POOL_FAKE_OK: result bytes (copied); NULL = default document */
  size_t wire_len;
  uint32_t spin_iters; /* busy work before the outcome (benchmarks); 0 = none */
} pool_fake_step;

/* Chooser: called for each call not covered by the script; fills *step. Must be thread-safe. */
typedef void (*pool_fake_chooser)(void *ctx, uint64_t call_no, pool_fake_step *step);

typedef struct pool_fake_guest pool_fake_guest;

typedef struct pool_fake_counts {
  uint64_t calls;
  uint64_t slots_created;
  uint64_t slots_freed;
  uint64_t resets;
  uint64_t slot_new_failures;
  uint32_t blocked; /* calls waiting on the gate now */
  uint32_t running; /* calls inside call_extract now */
  uint32_t max_running;
} pool_fake_counts;

/* Returns a new fake (default step: OK with the default document), or NULL on OOM. */
pool_fake_guest *pool_fake_guest_new(void);
/* Frees the fake. Every slot must have been freed first. NULL is a no-op. */
void pool_fake_guest_free(pool_fake_guest *f);
/* The rt_guest view, valid until pool_fake_guest_free. */
const rt_guest *pool_fake_guest_get(pool_fake_guest *f);

/* Appends steps consumed by the next calls, in order (across all slots). */
void pool_fake_guest_push(pool_fake_guest *f, const pool_fake_step *step);
void pool_fake_guest_push_n(pool_fake_guest *f, const pool_fake_step *step, uint32_t n);
void pool_fake_guest_set_default(pool_fake_guest *f, const pool_fake_step *step);
void pool_fake_guest_set_chooser(pool_fake_guest *f, pool_fake_chooser fn, void *ctx);
/* Makes the next n slot_new calls fail with RIPTIDE_ERR_INSTANTIATE. */
void pool_fake_guest_fail_slot_new(pool_fake_guest *f, uint32_t n);
/* Pages a new slot starts with (default 1). */
void pool_fake_guest_set_initial_pages(pool_fake_guest *f, uint32_t pages);
/* Whether slot_reset returns grown memory to the initial size (default true). */
void pool_fake_guest_set_reset_shrinks(pool_fake_guest *f, bool shrinks);

/* Gate for POOL_FAKE_BLOCK: closed at start. Opening wakes every blocked call; a call
 * arriving at an open gate passes. Closing re-arms it. */
void pool_fake_guest_gate_open(pool_fake_guest *f);
void pool_fake_guest_gate_close(pool_fake_guest *f);
/* Waits (on a condition variable, no polling) until at least n calls are blocked at the
 * gate, or timeout_ms passes; returns true when reached. */
bool pool_fake_guest_wait_blocked(pool_fake_guest *f, uint32_t n, uint32_t timeout_ms);

void pool_fake_guest_counts(pool_fake_guest *f, pool_fake_counts *out);

/* Builds a wire result (RTD1) with a title and a text; caller frees with free(). */
uint8_t *pool_fake_wire_doc(const char *title, const char *text, size_t *len);

/* ---- test helpers shared by the pool's tests (same file to keep one support unit) ------ */

/* A fake clock for riptide_pool_config.clock: ctx points to a pool_fake_clock_t. */
typedef struct pool_fake_clock_t {
  _Atomic uint64_t now_ns;
} pool_fake_clock_t;
uint64_t pool_fake_clock(void *ctx);
void pool_fake_clock_advance_ms(pool_fake_clock_t *c, uint64_t ms);

/* An event recorder: subscribe pool_rec_fn with a pool_rec as ctx. Keeps the first
 * POOL_REC_MAX events (type, severity, instance id, seq, "k=v;k=v;" metadata). */
#define POOL_REC_MAX 8192
typedef struct pool_rec_event {
  char type[64];
  int severity;
  uint64_t instance_id;
  uint64_t seq;
  char meta[256];
} pool_rec_event;
typedef struct pool_rec pool_rec;
pool_rec *pool_rec_new(void);
void pool_rec_free(pool_rec *r);
void pool_rec_fn(const riptide_event *ev, void *ctx);
/* Events of exactly this type so far (NULL = all). */
uint32_t pool_rec_count(pool_rec *r, const char *type);
/* Copy of the i-th event of this type; false if none. */
bool pool_rec_get(pool_rec *r, const char *type, uint32_t i, pool_rec_event *out);
/* Waits (condition variable) until n events of this type were seen, or timeout_ms. */
bool pool_rec_wait(pool_rec *r, const char *type, uint32_t n, uint32_t timeout_ms);
/* Whether the metadata string of an event has key=value. */
bool pool_rec_has(const pool_rec_event *e, const char *key, const char *val);
/* Events out of seq order seen (should be 0). */
uint32_t pool_rec_misordered(pool_rec *r);

/* ---- a scripting proxy over a real guest ------------------------------------------------ */
/* Wraps a real rt_guest (e.g. the sandbox's hostile test guest): every call is forwarded with
 * an extra option line "do=<what>\n" prepended, `what` chosen per call by fn (thread-safe;
 * returns a static string, or NULL for none). Slots are the inner guest's own. */
typedef const char *(*pool_proxy_chooser)(void *ctx, uint64_t call_no);
typedef struct pool_proxy_guest pool_proxy_guest;
pool_proxy_guest *pool_proxy_guest_new(const rt_guest *inner, pool_proxy_chooser fn, void *ctx);
const rt_guest *pool_proxy_guest_get(pool_proxy_guest *x);
void pool_proxy_guest_free(pool_proxy_guest *x);

/* The sandbox helper's test guests when linked in (tests/guests via TEST_EXTRA_OBJ), else
 * NULL: lets pool tests run over the real sandbox when it is there and skip otherwise. */
const rt_guest *pool_real_hostile_guest(void);

#endif
