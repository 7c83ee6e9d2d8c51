/*
 * mhd.h - libmicrohttpd, loaded with dlopen() when `riptide serve` (or `worker --listen`)
 * starts rather than linked: linking it would make every run of the command (extract, bench,
 * version) load it and GnuTLS with their ~10 dependent shared objects, ~2.5 ms of CPU per start for
 * nothing (the same reason src/input/fetch.c loads libcurl lazily). Include this after
 * <microhttpd.h>: the MHD_* calls of src/serve/ then go through the table, with the library's own
 * prototypes.
 */
#ifndef RT_SERVE_MHD_H
#define RT_SERVE_MHD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

/* Written once by srv_mhd_load() before any other thread starts; read-only afterwards. */
typedef struct srv_mhd_fns {
  __typeof__(MHD_start_daemon) *start_daemon;
  __typeof__(MHD_stop_daemon) *stop_daemon;
  __typeof__(MHD_quiesce_daemon) *quiesce_daemon;
  __typeof__(MHD_get_daemon_info) *get_daemon_info;
  __typeof__(MHD_lookup_connection_value) *lookup_connection_value;
  __typeof__(MHD_get_connection_values) *get_connection_values;
  __typeof__(MHD_suspend_connection) *suspend_connection;
  __typeof__(MHD_resume_connection) *resume_connection;
  __typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
  __typeof__(MHD_create_response_from_callback) *create_response_from_callback;
  __typeof__(MHD_add_response_header) *add_response_header;
  __typeof__(MHD_queue_response) *queue_response;
  __typeof__(MHD_destroy_response) *destroy_response;
} srv_mhd_fns;
extern srv_mhd_fns srv_mhd;

/* Loads libmicrohttpd.so.12; false with msg set when it or one of its functions is missing. */
bool srv_mhd_load(char *msg, size_t mlen);

#define MHD_start_daemon (*srv_mhd.start_daemon)
#define MHD_stop_daemon (*srv_mhd.stop_daemon)
#define MHD_quiesce_daemon (*srv_mhd.quiesce_daemon)
#define MHD_get_daemon_info (*srv_mhd.get_daemon_info)
#define MHD_lookup_connection_value (*srv_mhd.lookup_connection_value)
#define MHD_get_connection_values (*srv_mhd.get_connection_values)
#define MHD_suspend_connection (*srv_mhd.suspend_connection)
#define MHD_resume_connection (*srv_mhd.resume_connection)
#define MHD_create_response_from_buffer (*srv_mhd.create_response_from_buffer)
#define MHD_create_response_from_callback (*srv_mhd.create_response_from_callback)
#define MHD_add_response_header (*srv_mhd.add_response_header)
#define MHD_queue_response (*srv_mhd.queue_response)
#define MHD_destroy_response (*srv_mhd.destroy_response)

#endif
