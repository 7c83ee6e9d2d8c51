/*
 * badabi.c - a test guest announcing a wrong ABI version: the host must refuse to create a
 * slot for it (RIPTIDE_ERR_ABI_MISMATCH). mk/wasm.mk skips its build-time ABI check on purpose.
 */
#include "guest_common.h"

GUEST_EXPORT(riptide_abi_version) uint32_t riptide_abi_version(void)
{
  return RIPTIDE_GUEST_ABI_VERSION + 1000u;
}
GUEST_EXPORT(riptide_alloc) uint32_t riptide_alloc(uint32_t n)
{
  return guest_addr(malloc(n));
}
GUEST_EXPORT(riptide_free) void riptide_free(uint32_t p)
{
  free(guest_ptr(p));
}
GUEST_EXPORT(riptide_extract)
uint32_t riptide_extract(uint32_t h, uint32_t hl, uint32_t u, uint32_t ul, uint32_t m, uint32_t o,
                         uint32_t ol)
{
  (void)h, (void)hl, (void)u, (void)ul, (void)m, (void)o, (void)ol;
  return RT_GUEST_INTERNAL;
}
GUEST_EXPORT(riptide_result_ptr) uint32_t riptide_result_ptr(void)
{
  return 0;
}
GUEST_EXPORT(riptide_result_len) uint32_t riptide_result_len(void)
{
  return 0;
}
GUEST_EXPORT(riptide_info_ptr) uint32_t riptide_info_ptr(void)
{
  return 0;
}
GUEST_EXPORT(riptide_info_len) uint32_t riptide_info_len(void)
{
  return 0;
}
