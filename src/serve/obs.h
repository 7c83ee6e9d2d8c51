/*
 * obs.h - the observability endpoints /healthz, /readyz and /metrics, one implementation for
 * `riptide serve` (server.c routes them among its other endpoints, with its auth and access
 * log) and `riptide worker --listen` (which embeds the small server below: GET only, no body
 * read, nothing else served). The caller adds its own readiness reason and its own metrics.
 * Needs only the public API, cli_buf, and libmicrohttpd through serve/mhd.h.
 */
#ifndef RT_SERVE_OBS_H
#define RT_SERVE_OBS_H

#include "riptide.h"
#include "cli/cli.h"

#include <stdbool.h>
#include <stdint.h>

/* The outcome of one request: what is answered. */
typedef struct srv_result {
  unsigned status;        /* HTTP status */
  cli_buf body;           /* response body (document, text or error JSON) */
  const char *mime;       /* static */
  const char *engine;     /* static, NULL when no document */
  const char *error_code; /* static, NULL on success */
  uint64_t fetch_ns, extract_ns;
  unsigned retry_after; /* seconds, 0 = no header */
} srv_result;

void srv_result_clear(srv_result *r);

/* A listen address "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT" (port 0: any free one); host
 * is "" when none was given. False when malformed. */
bool srv_listen_parse(const char *s, char *host, size_t hlen, char port[8]);
/* Prints "http://HOST:PORT" (the bound port) on stdout and flushes: the first line of
 * standard output of `serve` and of `worker --listen`. */
void srv_listen_print(const char *host, uint16_t port);

/* The endpoints. pool may be NULL (a worker with --engine native): no pool condition, no
 * pool metrics. */
void srv_obs_healthz(srv_result *r);
/* 200 {"ready":true}, or 503 {"ready":false,"reason":...} with Retry-After: 1. The caller's
 * reason (NULL when it has none) comes first, then the pool's: shutting down, circuit breaker
 * open, no warm instance. */
void srv_obs_readyz(riptide_pool *pool, const char *reason, srv_result *r);
/* 200 with the pool's Prometheus text; the caller appends its own metrics to r->body. */
void srv_obs_metrics(riptide_pool *pool, srv_result *r);

/* ---- the embeddable server ------------------------------------------------------------------ */

typedef struct srv_obs_config {
  char host[256]; /* as srv_listen_parse gives them */
  char port[8];
  riptide_pool *pool; /* may be NULL; must outlive the server */
  /* The caller's reason not to be ready, or NULL; a static string. Called on the server's
   * thread with no lock held. */
  const char *(*not_ready)(void *ctx);
  /* Appends the caller's own Prometheus lines after the pool's (same thread, no lock). */
  void (*metrics)(void *ctx, cli_buf *b);
  void *ctx;
  const char *who; /* prefix of its log lines, e.g. "riptide worker" */
} srv_obs_config;

typedef struct srv_obs srv_obs;

/* Loads libmicrohttpd and starts listening (one thread). NULL with msg set on failure. */
srv_obs *srv_obs_start(const srv_obs_config *c, char *msg, size_t mlen);
uint16_t srv_obs_port(const srv_obs *o);
/* Stops the server (in-flight answers finish first) and frees it; NULL is fine. */
void srv_obs_stop(srv_obs *o);

#endif
