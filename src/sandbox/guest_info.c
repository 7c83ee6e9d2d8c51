/* guest_info.c - riptide_guest_info(): the built-in extractor guest's info JSON. */
#include "sandbox/wasm_sandbox.h"

const char *riptide_guest_info(void)
{
  return rt_wasm_guest_info(rt_sandbox_extractor());
}
