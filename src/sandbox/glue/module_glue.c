/*
 * module_glue.c - binds one wasm2c-generated module to the sandbox backend (wasm_sandbox.h).
 *
 * Compiled once per guest module by mk/wasm.mk with -DRT_GLUE_MOD=<name> and
 * -include <build>/wasm/<name>.h (the header wasm2c generated for that module). Defines
 * rt_wasm_module_<name> and `const rt_guest *rt_wasm_guest_<name>(void)`; with
 * -DRT_GLUE_EXTRACTOR it also defines rt_sandbox_extractor().
 */
#include "sandbox/wasm_sandbox.h"

#include <pthread.h>

#ifndef RT_GLUE_MOD
#error "compile with -DRT_GLUE_MOD=<module name> -include <module>.h"
#endif

#define RT_CAT_(a, b) a##b
#define RT_CAT(a, b) RT_CAT_(a, b)
#define RT_STR_(a) #a
#define RT_STR(a) RT_STR_(a)

#define INST RT_CAT(RT_CAT(Z_, RT_GLUE_MOD), _instance_t)
#define MODFN(f) RT_CAT(RT_CAT(RT_CAT(Z_, RT_GLUE_MOD), _), f)
#define EXPORT(f) RT_CAT(RT_CAT(RT_CAT(Z_, RT_GLUE_MOD), Z_), f)

/* wasm2c gives instantiate a host-instance argument only when the module has imports. */
static void g_instantiate(void *i, void *host)
{
#ifdef RT_GLUE_HOST
  MODFN(instantiate)((INST *)i, (struct Z_host_instance_t *)host);
#else
  (void)host;
  MODFN(instantiate)((INST *)i);
#endif
}
static void g_free_instance(void *i)
{
  MODFN(free)((INST *)i);
}
static void g_initialize(void *i)
{
  EXPORT(_initialize)((INST *)i);
}
static uint32_t g_abi_version(void *i)
{
  return EXPORT(riptide_abi_version)((INST *)i);
}
static uint32_t g_alloc(void *i, uint32_t n)
{
  return EXPORT(riptide_alloc)((INST *)i, n);
}
static void g_free(void *i, uint32_t p)
{
  EXPORT(riptide_free)((INST *)i, p);
}
static uint32_t g_extract(void *i, uint32_t h, uint32_t hl, uint32_t u, uint32_t ul, uint32_t m,
                          uint32_t o, uint32_t ol)
{
  return EXPORT(riptide_extract)((INST *)i, h, hl, u, ul, m, o, ol);
}
static uint32_t g_result_ptr(void *i)
{
  return EXPORT(riptide_result_ptr)((INST *)i);
}
static uint32_t g_result_len(void *i)
{
  return EXPORT(riptide_result_len)((INST *)i);
}
static uint32_t g_info_ptr(void *i)
{
  return EXPORT(riptide_info_ptr)((INST *)i);
}
static uint32_t g_info_len(void *i)
{
  return EXPORT(riptide_info_len)((INST *)i);
}

static rt_wasm_module_state g_state = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .image_fd = -1,
};

static const rt_wasm_module g_module = {
    .name = RT_STR(RT_GLUE_MOD),
    .instance_size = sizeof(INST),
    .state = &g_state,
    .init_module = MODFN(init_module),
    .instantiate = g_instantiate,
    .free_instance = g_free_instance,
    .initialize = g_initialize,
    .abi_version = g_abi_version,
    .alloc = g_alloc,
    .free = g_free,
    .extract = g_extract,
    .result_ptr = g_result_ptr,
    .result_len = g_result_len,
    .info_ptr = g_info_ptr,
    .info_len = g_info_len,
};

static const rt_guest g_guest = {
    .ops = &rt_wasm_ops,
    .name = RT_STR(RT_GLUE_MOD),
    .module = &g_module,
    .info = NULL,
};

const rt_guest *RT_CAT(rt_wasm_guest_, RT_GLUE_MOD)(void);
const rt_guest *RT_CAT(rt_wasm_guest_, RT_GLUE_MOD)(void)
{
  return &g_guest;
}

#ifdef RT_GLUE_EXTRACTOR
const rt_guest *rt_sandbox_extractor(void)
{
  return &g_guest;
}
#endif
