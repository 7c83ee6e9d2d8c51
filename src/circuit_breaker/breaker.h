/*
 * breaker.h - the circuit breaker in front of the sandbox pool (internal API, prefix rt_breaker_).
 *
 * States: CLOSED (calls allowed; outcomes fill a sliding window), OPEN (calls rejected -> the
 * caller uses the native fallback, reason "circuit_open"), HALF_OPEN (a fixed number of probe
 * calls are admitted; every other caller is rejected).
 *
 *   CLOSED    --window holds >= min_calls outcomes and failures*100 >= failure_pct*calls--> OPEN
 *   OPEN      --cool-down elapsed, noticed by the next rt_breaker_acquire--> HALF_OPEN HALF_OPEN
 * --all `probes` probes recorded success-->                                     CLOSED HALF_OPEN
 * --any probe recorded failure--> OPEN with cool-down doubled (capped at max_cooldown) CLOSED
 * (after a reset) starts with an empty window and the base cool-down again.
 *
 * Use (phase-based locking, as in the seed): the breaker never calls out and never emits
 * events. rt_breaker_acquire and rt_breaker_record return what happened; the CALLER emits
 * `pool.circuit_breaker_tripped` / `pool.circuit_breaker_reset` afterwards with no lock held.
 *
 *   rt_breaker_ticket t;
 *   switch (rt_breaker_acquire(b, &t)) {
 *   case RT_BREAKER_REJECT: -> native fallback, reason circuit_open; no record needed
 *   case RT_BREAKER_ALLOW: case RT_BREAKER_PROBE: break;
 *   }
 *   ... permit, guest call ...
 *   if the guest was never called (pool exhausted, shutdown):  rt_breaker_cancel(b, &t);
 *   else { tr = rt_breaker_record(b, &t, ok, &info); -> emit event for tr, no lock held }
 *
 * What counts as failure is the caller's choice (the pool: trap, timeout, memory limit, guest
 * error, bad result). Outcomes of calls admitted in an earlier phase (a CLOSED call that finishes
 * after the breaker tripped) are ignored: each ticket carries the phase generation it was issued
 * in, so a stale result can neither trip a fresh window nor count as a probe.
 *
 * Thread-safety: an rt_breaker is shareable; every function may be called from any thread at
 * once (except rt_breaker_free). The CLOSED gate is one atomic load (no lock).
 */
#ifndef RT_BREAKER_H
#define RT_BREAKER_H

#include "riptide.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum rt_breaker_state {
  RT_BREAKER_CLOSED = 0, /* same numbers as riptide_pool_status.breaker_state */
  RT_BREAKER_OPEN = 1,
  RT_BREAKER_HALF_OPEN = 2,
} rt_breaker_state;

/* Result of the gate. */
typedef enum rt_breaker_gate {
  RT_BREAKER_ALLOW = 0,  /* closed: call the guest, then record */
  RT_BREAKER_PROBE = 1,  /* half-open probe: call the guest, then record (or cancel) */
  RT_BREAKER_REJECT = 2, /* open, or half-open with all probes taken: use the fallback */
} rt_breaker_gate;

/* A state change, returned so the caller can emit the matching event after the call. */
typedef enum rt_breaker_transition {
  RT_BREAKER_NONE = 0,
  RT_BREAKER_TRIPPED = 1,     /* closed -> open      (event pool.circuit_breaker_tripped) */
  RT_BREAKER_HALF_OPENED = 2, /* open -> half-open   (reported by acquire, in ticket.transition) */
  RT_BREAKER_RESET = 3,       /* half-open -> closed (event pool.circuit_breaker_reset) */
  RT_BREAKER_REOPENED = 4,    /* half-open -> open, longer cool-down (event ..._tripped) */
} rt_breaker_transition;
const char *rt_breaker_transition_name(rt_breaker_transition t); /* "tripped", ...; never NULL */
const char *rt_breaker_state_name(rt_breaker_state s);           /* "closed", "open", "half_open" */

typedef struct rt_breaker_config {
  uint32_t window;          /* outcomes kept; 1..RT_MAX_BREAKER_WINDOW; default 20 */
  uint32_t min_calls;       /* outcomes needed before the rate is judged; 1..window; default 10 */
  uint32_t failure_pct;     /* trip when failure rate >= this; 1..100; default 50 */
  uint32_t cooldown_ms;     /* first open period; >= 1; default 5000 */
  uint32_t probes;          /* half-open probes; >= 1; default 3 */
  uint32_t max_cooldown_ms; /* cap of the doubled cool-down; >= cooldown_ms; default 60000 */
} rt_breaker_config;

/* Fills the defaults of DESIGN.md §4 (src/common/limits.h). */
void rt_breaker_config_init(rt_breaker_config *c);
/* Copies the breaker_* fields of a pool config (0 fields take the default). */
void rt_breaker_config_from_pool(rt_breaker_config *c, const riptide_pool_config *pc);

/* Passed by the caller from acquire to record/cancel; plain data, no ownership. */
typedef struct rt_breaker_ticket {
  rt_breaker_gate gate;
  uint64_t generation;              /* phase the ticket was issued in (internal) */
  rt_breaker_transition transition; /* NONE, or HALF_OPENED when this acquire moved open ->
                                       half-open (no upstream event; the caller may log it) */
  bool done;                        /* set by record/cancel; a second record is ignored */
} rt_breaker_ticket;

/* Detail of the window at a transition, for event metadata. */
typedef struct rt_breaker_info {
  rt_breaker_state state; /* state after the call */
  uint32_t calls;         /* outcomes in the window when it was judged */
  uint32_t failures;
  uint32_t failure_pct; /* configured threshold */
  uint32_t cooldown_ms; /* cool-down now in force (after TRIPPED / REOPENED) */
  uint64_t trips;       /* total closed->open and half-open->open transitions */
} rt_breaker_info;

typedef struct rt_breaker_stats {
  rt_breaker_state state; /* as last stored: an OPEN breaker whose cool-down has elapsed reads
                             OPEN until the next acquire moves it to HALF_OPEN */
  uint32_t window_calls;
  uint32_t window_failures;
  uint32_t probes_issued;    /* in the current half-open phase */
  uint32_t probes_succeeded; /* in the current half-open phase */
  uint32_t cooldown_ms;      /* current (possibly doubled) cool-down */
  uint64_t open_until_ns;    /* clock time the open phase ends (0 when not open; UINT64_MAX
                                for the instant between an opening record and its clock read) */
  uint64_t trips;            /* TRIPPED + REOPENED */
  uint64_t resets;
  uint64_t rejected; /* acquires answered REJECT */
  uint64_t ignored;  /* stale records (ticket from an earlier phase) */
} rt_breaker_stats;

typedef struct rt_breaker rt_breaker;

/* Validates cfg (RIPTIDE_ERR_INVALID_ARG when out of range; NULL cfg = defaults) and creates a
 * closed breaker. clock NULL = CLOCK_MONOTONIC. On error *out is NULL. Free with rt_breaker_free.
 */
riptide_err rt_breaker_new(const rt_breaker_config *cfg, riptide_clock_fn clock, void *clock_ctx,
                           rt_breaker **out);
void rt_breaker_free(rt_breaker *b); /* NULL is a no-op */

/* The gate. Closed: one atomic load, no lock, no clock read. Otherwise takes the breaker's mutex
 * briefly (reads the clock). Always fills *t. */
rt_breaker_gate rt_breaker_acquire(rt_breaker *b, rt_breaker_ticket *t);

/* Records the outcome of a call admitted by acquire. Returns the transition it caused (NONE,
 * TRIPPED, RESET or REOPENED); fills *info (may be NULL) with the window detail. Tickets that were
 * REJECT, already recorded/cancelled, or from an earlier phase change nothing and return NONE. */
rt_breaker_transition rt_breaker_record(rt_breaker *b, rt_breaker_ticket *t, bool success,
                                        rt_breaker_info *info);

/* Gives back a ticket whose guest call never happened (e.g. pool exhausted): a probe slot becomes
 * available again; an ALLOW ticket changes nothing. */
void rt_breaker_cancel(rt_breaker *b, rt_breaker_ticket *t);

/* Current state (one atomic load). */
rt_breaker_state rt_breaker_state_get(const rt_breaker *b);
/* The state a call would meet now: an OPEN breaker whose cooldown has ended reads HALF_OPEN
 * (the next call is admitted as a probe; that call makes the transition). What status and
 * metrics report, so readiness does not wait for traffic to end an open phase. Reads the
 * clock with no lock held. */
rt_breaker_state rt_breaker_state_now(rt_breaker *b);
void rt_breaker_stats_get(rt_breaker *b, rt_breaker_stats *st);

#endif
