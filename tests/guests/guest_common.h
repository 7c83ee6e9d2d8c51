/*
 * guest_common.h - helpers shared by the test guests in tests/guests, compiled only with
 * clang-19 --target=wasm32-wasi (mk/wasm.mk). Each guest implements guest ABI v1 (abi.h).
 */
#ifndef TEST_GUEST_COMMON_H
#define TEST_GUEST_COMMON_H

#include "abi/abi.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GUEST_EXPORT(name) __attribute__((export_name(#name)))

__attribute__((import_module("host"), import_name("log"))) void host_log(uint32_t ptr,
                                                                         uint32_t len);

static inline uint32_t guest_addr(const void *p)
{
  return (uint32_t)(uintptr_t)p;
}
static inline void *guest_ptr(uint32_t a)
{
  return (void *)(uintptr_t)a;
}

/* Value of "key=" in the option lines, or NULL; *n gets its length. */
static inline const char *guest_opt(const char *o, size_t ol, const char *key, size_t *n)
{
  size_t kl = strlen(key);
  size_t i = 0;
  while (i < ol) {
    size_t e = i;
    while (e < ol && o[e] != '\n')
      e++;
    if (e - i > kl && memcmp(o + i, key, kl) == 0 && o[i + kl] == '=') {
      *n = e - i - kl - 1;
      return o + i + kl + 1;
    }
    i = e + 1;
  }
  return NULL;
}

#endif
