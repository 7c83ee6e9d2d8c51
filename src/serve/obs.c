/*
 * obs.c - /healthz, /readyz, /metrics for `riptide serve` and `riptide worker --listen`
 * (obs.h), the listen address helpers both commands use, and the small embeddable server.
 *
 * DESIGN: the embedded server is one libmicrohttpd polling thread that answers GETs from
 * what the pool and the caller's callbacks say at that moment; it holds no lock of its own
 * and keeps no per-request state (a request is answered on its last call, once all of it has
 * arrived, so keep-alive works; a body is read and dropped). The callbacks read atomics.
 */
#include "serve/mhd.h"
#include "serve/obs.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void srv_result_clear(srv_result *r)
{
  cli_buf_free(&r->body);
  memset(r, 0, sizeof *r);
}

/* ---- listen address ------------------------------------------------------------------------- */

static bool parse_port(const char *s, char port[8])
{
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end || v < 0 || v > 65535)
    return false;
  snprintf(port, 8, "%ld", v);
  return true;
}

bool srv_listen_parse(const char *s, char *host, size_t hlen, char port[8])
{
  const char *colon;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':' || (size_t)(close - s - 1) >= hlen)
      return false;
    memcpy(host, s + 1, (size_t)(close - s - 1));
    host[close - s - 1] = '\0';
    colon = close + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon) {
      host[0] = '\0';
      colon = s - 1;
    } else {
      if ((size_t)(colon - s) >= hlen)
        return false;
      memcpy(host, s, (size_t)(colon - s));
      host[colon - s] = '\0';
    }
  }
  return parse_port(colon + 1, port);
}

void srv_listen_print(const char *host, uint16_t port)
{
  bool v6 = strchr(host, ':') != NULL;
  printf("http://%s%s%s:%u\n", v6 ? "[" : "", host[0] ? host : "0.0.0.0", v6 ? "]" : "",
         (unsigned)port);
  fflush(stdout);
}

/* ---- endpoints ------------------------------------------------------------------------------ */

void srv_obs_healthz(srv_result *r)
{
  r->status = 200;
  r->mime = "application/json";
  cli_buf_puts(&r->body, "{\"status\":\"ok\"}\n");
}

void srv_obs_readyz(riptide_pool *pool, const char *reason, srv_result *r)
{
  if (!reason && pool) {
    riptide_pool_status st;
    riptide_pool_status_get(pool, &st);
    if (st.shutting_down)
      reason = "shutting down";
    else if (st.breaker_state == 1)
      reason = "circuit breaker open";
    else if (st.idle + st.leased == 0)
      reason = "no warm instance";
  }
  r->mime = "application/json";
  if (reason) {
    r->status = 503;
    r->retry_after = 1;
    r->error_code = "NOT_READY";
    cli_buf_puts(&r->body, "{\"ready\":false,\"reason\":");
    cli_json_string(&r->body, reason);
    cli_buf_puts(&r->body, "}\n");
  } else {
    r->status = 200;
    cli_buf_puts(&r->body, "{\"ready\":true}\n");
  }
}

void srv_obs_metrics(riptide_pool *pool, srv_result *r)
{
  if (pool) {
    riptide_metrics m;
    riptide_pool_metrics(pool, &m);
    char *text = riptide_metrics_to_prometheus(&m);
    if (text) {
      cli_buf_puts(&r->body, text);
      free(text);
    }
  }
  r->status = 200;
  r->mime = "text/plain; version=0.0.4; charset=utf-8";
}

/* ---- the embeddable server ------------------------------------------------------------------ */

struct srv_obs {
  srv_obs_config cfg;
  struct MHD_Daemon *daemon;
  uint16_t port;
  char seen; /* its address marks a request whose headers were seen */
};

static const char *const OBS_PATHS[] = {"/healthz", "/readyz", "/metrics"};

static enum MHD_Result obs_send(struct MHD_Connection *conn, srv_result *r)
{
  size_t len = r->body.len;
  char *p = r->body.p;
  if (!p) {
    p = strdup("");
    len = 0;
  }
  r->body.p = NULL;
  r->body.len = r->body.cap = 0;
  struct MHD_Response *resp = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(p);
    return MHD_NO;
  }
  MHD_add_response_header(resp, "Content-Type", r->mime ? r->mime : "application/json");
  if (r->retry_after) {
    char ra[16];
    snprintf(ra, sizeof ra, "%u", r->retry_after);
    MHD_add_response_header(resp, "Retry-After", ra);
  }
  if (r->status == 405)
    MHD_add_response_header(resp, "Allow", "GET");
  enum MHD_Result ok = MHD_queue_response(conn, r->status, resp);
  MHD_destroy_response(resp);
  return ok;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_size, void **con_cls)
{
  (void)version;
  (void)upload_data;
  srv_obs *o = cls;
  if (!*con_cls) { /* headers only: answer once the whole request is in */
    *con_cls = &o->seen;
    return MHD_YES;
  }
  if (*upload_size) { /* a body is not used */
    *upload_size = 0;
    return MHD_YES;
  }
  srv_result r;
  memset(&r, 0, sizeof r);
  int route = -1;
  for (int i = 0; i < 3; i++)
    if (!strcmp(url, OBS_PATHS[i]))
      route = i;
  if (route < 0) {
    r.status = 404;
    r.mime = "application/json";
    cli_buf_puts(&r.body, "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"this server answers "
                          "GET /healthz, /readyz and /metrics\"}}\n");
  } else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    r.status = 405;
    r.mime = "application/json";
    cli_buf_puts(&r.body, "{\"error\":{\"code\":\"METHOD_NOT_ALLOWED\",\"message\":\"method not "
                          "allowed on this endpoint\"}}\n");
  } else if (route == 0) {
    srv_obs_healthz(&r);
  } else if (route == 1) {
    srv_obs_readyz(o->cfg.pool, o->cfg.not_ready ? o->cfg.not_ready(o->cfg.ctx) : NULL, &r);
  } else {
    srv_obs_metrics(o->cfg.pool, &r);
    if (o->cfg.metrics)
      o->cfg.metrics(o->cfg.ctx, &r.body);
  }
  enum MHD_Result ok = r.body.failed ? MHD_NO : obs_send(conn, &r);
  srv_result_clear(&r);
  return ok;
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
  srv_obs *o = cls;
  fprintf(stderr, "%s: ", o->cfg.who ? o->cfg.who : "riptide");
  vfprintf(stderr, fmt, ap);
}

srv_obs *srv_obs_start(const srv_obs_config *c, char *msg, size_t mlen)
{
  if (!srv_mhd_load(msg, mlen))
    return NULL;
  srv_obs *o = calloc(1, sizeof *o);
  if (!o) {
    snprintf(msg, mlen, "out of memory");
    return NULL;
  }
  o->cfg = *c;
  struct addrinfo hints = {
      .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *ai = NULL;
  int gai = getaddrinfo(c->host[0] ? c->host : NULL, c->port, &hints, &ai);
  if (gai != 0 || !ai) {
    snprintf(msg, mlen, "cannot resolve listen address %s:%s: %s", c->host, c->port,
             gai_strerror(gai));
    free(o);
    return NULL;
  }
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
  if (ai->ai_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  o->daemon =
      MHD_start_daemon(flags, 0, NULL, NULL, on_access, o, MHD_OPTION_EXTERNAL_LOGGER, on_log, o,
                       MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT, 64u,
                       MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
  freeaddrinfo(ai);
  if (!o->daemon) {
    snprintf(msg, mlen, "cannot listen on %s:%s", c->host, c->port);
    free(o);
    return NULL;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(o->daemon, MHD_DAEMON_INFO_BIND_PORT);
  o->port = di ? di->port : 0;
  return o;
}

uint16_t srv_obs_port(const srv_obs *o)
{
  return o->port;
}

void srv_obs_stop(srv_obs *o)
{
  if (!o)
    return;
  if (o->daemon)
    MHD_stop_daemon(o->daemon);
  free(o);
}
