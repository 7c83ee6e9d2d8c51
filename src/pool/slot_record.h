/*
 * slot_record.h - what the health and memory deciders (src/health, src/memory) see of one pool
 * entry: a copy the pool takes under its lock. Internal: nothing here is API.
 *
 * The deciders are pure functions of these records, the time and their config; they never see
 * the pool, take no lock and call nothing. The pool (src/pool/maintenance.c) gathers the
 * records, asks them, and acts on the answer (detach, free, refill, emit).
 */
#ifndef RT_POOL_SLOT_RECORD_H
#define RT_POOL_SLOT_RECORD_H

#include "sandbox/sandbox.h"

#include <stdint.h>

typedef struct rt_slot_record {
  uint32_t idx;          /* the entry's index in the pool */
  uint64_t instance_id;  /* its guest slot's id */
  uint64_t created_ns;   /* injected clock */
  uint64_t last_used_ns; /* injected clock: creation or last release */
  uint64_t uses;         /* calls served */
  uint64_t failures;     /* guest failures counted by the pool */
  rt_slot_stats stats;   /* from slot_stats, cached at creation and at each release */
} rt_slot_record;

#endif
