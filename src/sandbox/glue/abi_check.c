/*
 * abi_check.c - build-time check of a guest module (mk/wasm.mk runs it after building the
 * module): instantiates it in a real slot and fails unless its riptide_abi_version equals the
 * host's RIPTIDE_GUEST_ABI_VERSION. Compiled with -DRT_GLUE_MOD=<name>.
 */
#include "sandbox/wasm_sandbox.h"

#include "abi/abi.h"

#include <stdio.h>

#define RT_CAT_(a, b) a##b
#define RT_CAT(a, b) RT_CAT_(a, b)
#define RT_STR_(a) #a
#define RT_STR(a) RT_STR_(a)

const rt_guest *RT_CAT(rt_wasm_guest_, RT_GLUE_MOD)(void);

int main(void)
{
  const rt_guest *g = RT_CAT(rt_wasm_guest_, RT_GLUE_MOD)();
  rt_sandbox_limits lim = {
      .memory_cap_bytes = 256u << 20, .timeout_ms = 10000, .max_output_bytes = 1u << 20};
  rt_slot *s = NULL;
  riptide_err err = g->ops->slot_new(g, &lim, &s);
  if (err != RIPTIDE_OK) {
    fprintf(stderr, "guest %s: %s (host ABI %u)\n", RT_STR(RT_GLUE_MOD), riptide_strerror(err),
            RIPTIDE_GUEST_ABI_VERSION);
    return 1;
  }
  g->ops->slot_free(s);
  printf("guest %s: ABI %u ok\n", RT_STR(RT_GLUE_MOD), RIPTIDE_GUEST_ABI_VERSION);
  return 0;
}
