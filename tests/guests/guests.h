/*
 * guests.h - descriptors of the test guests (the .c files of tests/guests, built by mk/wasm.mk into
 * TEST_EXTRA_OBJ). Each is an immutable, shareable rt_guest backed by the wasm2c sandbox.
 */
#ifndef TEST_GUESTS_H
#define TEST_GUESTS_H

#include "sandbox/sandbox.h"

const rt_guest *rt_wasm_guest_benign(void);  /* title + visible text; secret/probe hooks */
const rt_guest *rt_wasm_guest_hostile(void); /* misbehaves on "do=<what>" (hostile.c) */
const rt_guest *rt_wasm_guest_badabi(void);  /* announces a wrong ABI version */

#endif
