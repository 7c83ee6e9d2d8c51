/*
 * hostile.c - a test guest that misbehaves on request (guest ABI v1). The option line
 * "do=<what>" picks the behaviour of riptide_extract:
 *   ok           echo the input as the title (a correct, small result)
 *   loop         spin forever                     loop_log   spin calling host.log
 *   alloc        malloc 1 MiB blocks until refused, touching each, then report NOMEM
 *   recurse      unbounded recursion (native call stack)
 *   unreachable  execute `unreachable`            oob        read far outside memory
 *   divzero      integer division by zero         overflow   INT_MIN / -1
 *   indirect     call through a bad table index
 *   badptr       result pointer outside memory    badlen     result length past the end
 *   big          a valid result of 2 MiB          status     return RT_GUEST_INTERNAL
 *   touch        malloc "mib=<n>" MiB (option line), write every byte, then behave as ok
 *   conv         a trapping float-to-int conversion of NaN
 *   log_oob      call host.log with a range outside memory
 *   ret          return the status "code=<n>" (option line) with no result
 */
#include "guest_common.h"

static rt_wire_writer g_out;
static uint32_t g_rptr, g_rlen;
static const char g_info[] = "{\"name\":\"hostile\",\"abi\":1}";

GUEST_EXPORT(riptide_abi_version) uint32_t riptide_abi_version(void)
{
  return RIPTIDE_GUEST_ABI_VERSION;
}
GUEST_EXPORT(riptide_alloc) uint32_t riptide_alloc(uint32_t n)
{
  return guest_addr(malloc(n));
}
GUEST_EXPORT(riptide_free) void riptide_free(uint32_t p)
{
  free(guest_ptr(p));
}
GUEST_EXPORT(riptide_result_ptr) uint32_t riptide_result_ptr(void)
{
  return g_rptr;
}
GUEST_EXPORT(riptide_result_len) uint32_t riptide_result_len(void)
{
  return g_rlen;
}
GUEST_EXPORT(riptide_info_ptr) uint32_t riptide_info_ptr(void)
{
  return guest_addr(g_info);
}
GUEST_EXPORT(riptide_info_len) uint32_t riptide_info_len(void)
{
  return (uint32_t)(sizeof g_info - 1);
}

static int recurse(int n);
static int (*volatile g_recurse)(int) = recurse;
static int recurse(int n)
{
  return g_recurse(n + 1) * 3 + 1;
}

static volatile int g_zero;
static volatile int g_int_min = -2147483647 - 1, g_minus_one = -1;
static char *volatile g_sink; /* keeps allocations observable (no malloc elision) */
static volatile uint32_t g_far = 0xFFFFFFF0u;
static volatile uint32_t g_bad_index = 123456u;
static volatile double g_nan = __builtin_nan("");

static int is(const char *v, size_t n, const char *w)
{
  return n == strlen(w) && !memcmp(v, w, n);
}

GUEST_EXPORT(riptide_extract)
uint32_t riptide_extract(uint32_t html, uint32_t html_len, uint32_t url, uint32_t url_len,
                         uint32_t mode, uint32_t opts, uint32_t opts_len)
{
  (void)url;
  (void)url_len;
  (void)mode;
  size_t n = 0;
  const char *what = guest_opt(guest_ptr(opts), opts_len, "do", &n);
  if (!what)
    what = "ok", n = 2;
  rt_wire_reset(&g_out);
  if (is(what, n, "loop")) {
    for (;;)
      __asm__ volatile("" ::: "memory");
  }
  if (is(what, n, "loop_log")) {
    for (;;)
      host_log(opts, opts_len);
  }
  if (is(what, n, "alloc")) {
    for (;;) {
      char *p = malloc(1u << 20);
      if (!p)
        return RT_GUEST_NOMEM;
      memset(p, 0x5a, 1u << 20);
      g_sink = p;
    }
  }
  if (is(what, n, "touch")) {
    size_t ml = 0, mib = 0;
    const char *m = guest_opt(guest_ptr(opts), opts_len, "mib", &ml);
    for (size_t i = 0; m && i < ml && m[i] >= '0' && m[i] <= '9'; i++)
      mib = mib * 10 + (size_t)(m[i] - '0');
    char *p = mib ? malloc(mib << 20) : NULL;
    if (mib && !p)
      return RT_GUEST_NOMEM;
    if (p)
      memset(p, 0x5a, mib << 20);
    g_sink = p;
  }
  if (is(what, n, "recurse"))
    return (uint32_t)g_recurse(0);
  if (is(what, n, "conv"))
    return (uint32_t)__builtin_wasm_trunc_s_i32_f64(g_nan);
  if (is(what, n, "log_oob")) {
    host_log(g_far, 0x100u);
    return RT_GUEST_OK;
  }
  if (is(what, n, "ret")) {
    size_t cl = 0;
    uint32_t code = 0;
    const char *c = guest_opt(guest_ptr(opts), opts_len, "code", &cl);
    for (size_t i = 0; c && i < cl && c[i] >= '0' && c[i] <= '9'; i++)
      code = code * 10 + (uint32_t)(c[i] - '0');
    return code;
  }
  if (is(what, n, "unreachable"))
    __builtin_trap();
  if (is(what, n, "oob"))
    return *(volatile uint32_t *)guest_ptr(g_far);
  if (is(what, n, "overflow"))
    return (uint32_t)(g_int_min / g_minus_one);
  if (is(what, n, "divzero"))
    return (uint32_t)(7 / g_zero);
  if (is(what, n, "indirect")) {
    void (*f)(void) = (void (*)(void))guest_ptr(g_bad_index);
    f();
    return RT_GUEST_OK;
  }
  if (is(what, n, "status"))
    return RT_GUEST_INTERNAL;
  if (is(what, n, "badptr")) {
    g_rptr = 0xFFFFFF00u;
    g_rlen = 1000;
    return RT_GUEST_OK;
  }
  if (is(what, n, "big")) {
    size_t big = 2u << 20;
    char *p = malloc(big);
    if (!p)
      return RT_GUEST_NOMEM;
    memset(p, 'x', big);
    rt_wire_put_str(&g_out, RT_F_TEXT, p, big);
    free(p);
  } else {
    rt_wire_put_str(&g_out, RT_F_TITLE, guest_ptr(html), html_len);
  }
  if (g_out.failed)
    return RT_GUEST_NOMEM;
  g_rptr = guest_addr(g_out.buf);
  g_rlen = (uint32_t)g_out.len;
  if (is(what, n, "badlen"))
    g_rlen = 0x7FFFFFFFu;
  return RT_GUEST_OK;
}
