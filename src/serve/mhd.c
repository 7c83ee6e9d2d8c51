/*
 * mhd.c - loads libmicrohttpd at `riptide serve` (and `worker --listen`) start (see mhd.h for
 * why). Called from the main thread, before the server's threads exist; the library is never
 * unloaded.
 */
#include "serve/mhd.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

srv_mhd_fns srv_mhd;

/* dlsym gives a data pointer; memcpy is the portable way to a function pointer. */
static bool sym(void *lib, const char *name, void *fn_ptr, size_t size, char *msg, size_t mlen)
{
  void *p = dlsym(lib, name);
  if (!p) {
    snprintf(msg, mlen, "libmicrohttpd lacks %s", name);
    return false;
  }
  memcpy(fn_ptr, &p, size);
  return true;
}

bool srv_mhd_load(char *msg, size_t mlen)
{
  if (srv_mhd.start_daemon)
    return true;
  void *lib = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *e = dlerror();
    snprintf(msg, mlen, "cannot load libmicrohttpd: %s (Debian package libmicrohttpd12)",
             e ? e : "libmicrohttpd.so.12 not found");
    return false;
  }
  srv_mhd_fns f;
#define SYM(field, name) sym(lib, name, &f.field, sizeof f.field, msg, mlen)
  bool ok =
      SYM(start_daemon, "MHD_start_daemon") && SYM(stop_daemon, "MHD_stop_daemon") &&
      SYM(quiesce_daemon, "MHD_quiesce_daemon") && SYM(get_daemon_info, "MHD_get_daemon_info") &&
      SYM(lookup_connection_value, "MHD_lookup_connection_value") &&
      SYM(get_connection_values, "MHD_get_connection_values") &&
      SYM(suspend_connection, "MHD_suspend_connection") &&
      SYM(resume_connection, "MHD_resume_connection") &&
      SYM(create_response_from_buffer, "MHD_create_response_from_buffer") &&
      SYM(create_response_from_callback, "MHD_create_response_from_callback") &&
      SYM(add_response_header, "MHD_add_response_header") &&
      SYM(queue_response, "MHD_queue_response") && SYM(destroy_response, "MHD_destroy_response");
#undef SYM
  if (!ok)
    return false;
  srv_mhd = f;
  return true;
}
