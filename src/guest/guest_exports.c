/*
 * guest_exports.c - the guest side of guest ABI v1 (abi.h) for the extractor module.
 *
 * Compiled into the wasm32 guest only (the native build of src/guest gets an empty unit):
 * exports the version, alloc/free, extract (ex_options_parse + ex_extract) and the result and
 * info buffers. The result buffer stays valid until the next riptide_extract; the host copies
 * it out (after checking it lies inside this guest's memory) before the slot is reset.
 */
#ifdef __wasm__

#include "extract/extract.h"

#include <stdlib.h>
#include <string.h>

#define RT_EXPORT(name) __attribute__((export_name(#name)))

static rt_wire_writer g_out;

RT_EXPORT(riptide_abi_version) uint32_t riptide_abi_version(void)
{
  return RIPTIDE_GUEST_ABI_VERSION;
}

RT_EXPORT(riptide_alloc) uint32_t riptide_alloc(uint32_t size)
{
  return (uint32_t)(uintptr_t)malloc(size ? size : 1);
}

RT_EXPORT(riptide_free) void riptide_free(uint32_t ptr)
{
  free((void *)(uintptr_t)ptr);
}

RT_EXPORT(riptide_extract)
uint32_t riptide_extract(uint32_t html, uint32_t html_len, uint32_t url, uint32_t url_len,
                         uint32_t mode, uint32_t opts, uint32_t opts_len)
{
  rt_wire_reset(&g_out);
  if (mode > 3)
    return RT_GUEST_BAD_ARGS;
  ex_options o;
  ex_options_init(&o);
  o.mode = mode;
  /* The parsed selector points into this scratch copy, which must outlive ex_extract. */
  char *scratch = malloc((size_t)opts_len + 1);
  if (!scratch)
    return RT_GUEST_NOMEM;
  rt_guest_status st =
      ex_options_parse(&o, (const char *)(uintptr_t)opts, opts_len, scratch, (size_t)opts_len + 1);
  if (st == RT_GUEST_OK)
    st = ex_extract((const char *)(uintptr_t)html, html_len,
                    url_len ? (const char *)(uintptr_t)url : NULL, url_len, &o, &g_out);
  free(scratch);
  if (st == RT_GUEST_OK && g_out.failed)
    st = RT_GUEST_NOMEM;
  if (st == RT_GUEST_OK && !g_out.buf)
    rt_wire_put_str(&g_out, RT_F_TEXT, "", 0); /* an empty document is still "RTD1" + ... */
  if (st == RT_GUEST_OK && g_out.failed)
    st = RT_GUEST_NOMEM;
  if (st != RT_GUEST_OK)
    rt_wire_reset(&g_out);
  return (uint32_t)st;
}

RT_EXPORT(riptide_result_ptr) uint32_t riptide_result_ptr(void)
{
  return (uint32_t)(uintptr_t)g_out.buf;
}

RT_EXPORT(riptide_result_len) uint32_t riptide_result_len(void)
{
  return (uint32_t)g_out.len;
}

RT_EXPORT(riptide_info_ptr) uint32_t riptide_info_ptr(void)
{
  return (uint32_t)(uintptr_t)ex_info();
}

RT_EXPORT(riptide_info_len) uint32_t riptide_info_len(void)
{
  const char *i = ex_info();
  return i ? (uint32_t)strlen(i) : 0;
}

#else
/* Native builds (tests, benchmarks) call ex_extract directly; nothing to export. */
typedef int rt_guest_exports_native_only;
#endif
