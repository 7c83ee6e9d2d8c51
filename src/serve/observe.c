/*
 * observe.c - what the service says about itself: /healthz, /readyz, /metrics (the pool's
 * Prometheus text, from obs.c, plus HTTP counters and a latency histogram), /v1/status, the
 * index page, and the JSON access log (one line per request; never a body or a key).
 *
 * DESIGN: counters are atomics written by the network threads in on_completed and read by
 * /metrics without a lock (each value is exact; the set is not one snapshot). The access log
 * needs no lock: on_completed writes each line with write(2) on log_fd (O_APPEND, one call per
 * line but for a short write), and SIGHUP's reopen puts the new file on that same descriptor
 * with dup2(), which swaps it atomically: a line goes whole to the old file or to the new one.
 * So no lock is held while writing, and a stalled log (a full pipe, a slow disk) stalls the
 * network thread writing it, never the signal thread's reopen.
 */
#include "serve/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const unsigned STATUS_SLOTS[SRV_N_STATUS] = {200, 400, 401, 404, 405, 413, 415, 422,
                                                    429, 500, 502, 503, 504, 0,   0,   0};

static int status_slot(unsigned st)
{
  for (int i = 0; i < SRV_N_STATUS; i++)
    if (STATUS_SLOTS[i] == st)
      return i;
  return SRV_N_STATUS - 1; /* other */
}

void srv_stats_count(srv *s, int route, unsigned status, uint64_t latency_ns)
{
  int ri = route >= 0 && (size_t)route < srv_n_routes ? route : 31;
  atomic_fetch_add(&s->stats.requests[ri][status_slot(status)], 1);
  int b = 0;
  while (b < RIPTIDE_HIST_BUCKETS - 1 && latency_ns >= riptide_histogram_bound_ns(b))
    b++;
  atomic_fetch_add(&s->stats.latency_buckets[b], 1);
  atomic_fetch_add(&s->stats.latency_count, 1);
  atomic_fetch_add(&s->stats.latency_sum_ns, latency_ns);
}

/* ---- access log ----------------------------------------------------------------------------- */

static int log_open_file(const char *path)
{
  return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
}

bool srv_log_open(srv *s, char *msg, size_t mlen)
{
  if (!s->cfg.access_log) {
    s->log_fd = STDERR_FILENO;
    return true;
  }
  s->log_fd = log_open_file(s->cfg.access_log);
  if (s->log_fd < 0) {
    snprintf(msg, mlen, "cannot open --access-log %s: %s", s->cfg.access_log, strerror(errno));
    return false;
  }
  return true;
}

void srv_log_reopen(srv *s)
{
  if (!s->cfg.access_log || s->log_fd < 0)
    return;
  int fd = log_open_file(s->cfg.access_log);
  if (fd < 0 || dup2(fd, s->log_fd) < 0) {
    fprintf(stderr, "riptide serve: cannot reopen %s: %s (keeping the old file)\n",
            s->cfg.access_log, strerror(errno));
  }
  if (fd >= 0)
    close(fd);
}

void srv_log_close(srv *s)
{
  if (s->log_fd > STDERR_FILENO)
    close(s->log_fd);
  s->log_fd = -1;
}

void srv_log_request(srv *s, const srv_log_entry *e)
{
  cli_buf b = {0};
  char tmp[256];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[40];
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(tmp, sizeof tmp, "{\"ts\":\"%s.%03ldZ\",\"request_id\":", when, ts.tv_nsec / 1000000);
  cli_buf_puts(&b, tmp);
  cli_json_string(&b, e->request_id);
  cli_buf_puts(&b, ",\"method\":");
  cli_json_string(&b, e->method);
  cli_buf_puts(&b, ",\"path\":");
  cli_json_string(&b, e->path);
  snprintf(tmp, sizeof tmp,
           ",\"status\":%u,\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64
           ",\"latency_ms\":%.3f,\"engine\":",
           e->status, e->bytes_in, e->bytes_out, (double)e->latency_ns / 1e6);
  cli_buf_puts(&b, tmp);
  cli_json_string(&b, e->engine);
  if (e->error_code) {
    cli_buf_puts(&b, ",\"error\":");
    cli_json_string(&b, e->error_code);
  }
  if (e->batch_lines) {
    snprintf(tmp, sizeof tmp, ",\"lines\":%zu", e->batch_lines);
    cli_buf_puts(&b, tmp);
  }
  cli_buf_puts(&b, "}\n");
  for (size_t off = 0; !b.failed && s->log_fd >= 0 && off < b.len;) {
    ssize_t w = write(s->log_fd, b.p + off, b.len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break; /* the log is lost, not the request */
    off += (size_t)w;
  }
  cli_buf_free(&b);
}

/* ---- endpoints ------------------------------------------------------------------------------ */

static void json_reply(srv_result *r, unsigned status)
{
  r->status = status;
  r->mime = "application/json";
}

/* /healthz and /readyz are obs.c's (shared with `riptide worker --listen`); the server adds
 * its own reason not to be ready. */
void srv_get_healthz(srv *s, srv_result *r)
{
  (void)s;
  srv_obs_healthz(r);
}

void srv_get_readyz(srv *s, srv_result *r)
{
  srv_obs_readyz(s->pool, atomic_load(&s->shutting_down) ? "shutting down" : NULL, r);
}

static const char *breaker_name(int st)
{
  return st == 1 ? "open" : st == 2 ? "half_open" : "closed";
}

void srv_get_status(srv *s, srv_result *r)
{
  riptide_pool_status st;
  riptide_pool_status_get(s->pool, &st);
  pthread_mutex_lock(&s->lock);
  unsigned queued = s->queued, active = s->active, busy = s->busy;
  pthread_mutex_unlock(&s->lock);
  char tmp[768];
  snprintf(tmp, sizeof tmp,
           "{\"version\":\"%s\",\"pool\":{\"pool_id\":%" PRIu64
           ",\"max_slots\":%u,\"available\":%u,\"leased\":%u,\"idle\":%u,\"in_flight\":%u,"
           "\"waiters\":%u,\"breaker\":\"%s\",\"shutting_down\":%s},"
           "\"server\":{\"workers\":%u,\"busy_workers\":%u,\"queue\":%u,\"queue_max\":%u,\"active_"
           "requests\":%u,"
           "\"max_body\":%" PRIu64 ",\"buffered_bytes\":%" PRIu64 ",\"max_buffered\":%" PRIu64
           ",\"shutting_down\":%s}}\n",
           riptide_version(), st.pool_id, st.max_slots, st.available, st.leased, st.idle,
           st.in_flight, st.waiters, breaker_name(st.breaker_state),
           st.shutting_down ? "true" : "false", s->cfg.workers, busy, queued, s->cfg.queue_max,
           active, s->cfg.max_body, atomic_load(&s->buffered), s->cfg.max_buffered,
           atomic_load(&s->shutting_down) ? "true" : "false");
  json_reply(r, 200);
  cli_buf_puts(&r->body, tmp);
}

/* The pool's metrics (obs.c, as `riptide worker --listen` serves them), then the server's. */
void srv_get_metrics(srv *s, srv_result *r)
{
  srv_obs_metrics(s->pool, r);
  cli_buf *b = &r->body;
  char tmp[256];
  cli_buf_puts(b, "# HELP riptide_http_requests_total HTTP requests answered, by route and "
                  "status.\n# TYPE riptide_http_requests_total counter\n");
  for (size_t ri = 0; ri < 32; ri++) {
    if (ri >= srv_n_routes && ri != 31)
      continue;
    for (int si = 0; si < SRV_N_STATUS; si++) {
      uint64_t v = atomic_load(&s->stats.requests[ri][si]);
      if (!v)
        continue;
      const char *route = ri == 31 ? "other" : srv_routes[ri].path;
      char code[16];
      if (STATUS_SLOTS[si])
        snprintf(code, sizeof code, "%u", STATUS_SLOTS[si]);
      else
        snprintf(code, sizeof code, "other");
      snprintf(tmp, sizeof tmp,
               "riptide_http_requests_total{route=\"%s\",code=\"%s\"} %" PRIu64 "\n", route, code,
               v);
      cli_buf_puts(b, tmp);
    }
  }
  cli_buf_puts(b, "# HELP riptide_http_request_duration_seconds Time from the first byte of a "
                  "request to its completion.\n# TYPE riptide_http_request_duration_seconds "
                  "histogram\n");
  uint64_t cum = 0;
  for (int i = 0; i < RIPTIDE_HIST_BUCKETS; i++) {
    cum += atomic_load(&s->stats.latency_buckets[i]);
    if (i == RIPTIDE_HIST_BUCKETS - 1)
      snprintf(tmp, sizeof tmp,
               "riptide_http_request_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
    else
      snprintf(tmp, sizeof tmp,
               "riptide_http_request_duration_seconds_bucket{le=\"%.6f\"} %" PRIu64 "\n",
               (double)riptide_histogram_bound_ns(i) / 1e9, cum);
    cli_buf_puts(b, tmp);
  }
  snprintf(tmp, sizeof tmp,
           "riptide_http_request_duration_seconds_sum %.6f\n"
           "riptide_http_request_duration_seconds_count %" PRIu64 "\n",
           (double)atomic_load(&s->stats.latency_sum_ns) / 1e9,
           atomic_load(&s->stats.latency_count));
  cli_buf_puts(b, tmp);
  pthread_mutex_lock(&s->lock);
  unsigned queued = s->queued, active = s->active;
  pthread_mutex_unlock(&s->lock);
  snprintf(tmp, sizeof tmp,
           "# TYPE riptide_http_queue_depth gauge\nriptide_http_queue_depth %u\n"
           "# TYPE riptide_http_active_requests gauge\nriptide_http_active_requests %u\n"
           "# TYPE riptide_http_buffered_bytes gauge\nriptide_http_buffered_bytes %" PRIu64 "\n",
           queued, active, atomic_load(&s->buffered));
  cli_buf_puts(b, tmp);
  snprintf(tmp, sizeof tmp,
           "# TYPE riptide_http_rejected_total counter\n"
           "riptide_http_rejected_total{reason=\"queue_full\"} %" PRIu64 "\n"
           "riptide_http_rejected_total{reason=\"saturated\"} %" PRIu64 "\n",
           atomic_load(&s->stats.rejected_queue_full), atomic_load(&s->stats.rejected_saturated));
  cli_buf_puts(b, tmp);
  snprintf(
      tmp, sizeof tmp,
      "# TYPE riptide_http_received_bytes_total counter\nriptide_http_received_bytes_total %" PRIu64
      "\n# TYPE riptide_http_sent_bytes_total counter\nriptide_http_sent_bytes_total %" PRIu64 "\n",
      atomic_load(&s->stats.bytes_in), atomic_load(&s->stats.bytes_out));
  cli_buf_puts(b, tmp);
}

void srv_get_index(srv *s, srv_result *r)
{
  (void)s;
  r->status = 200;
  r->mime = "text/plain; charset=utf-8";
  cli_buf_puts(&r->body,
               "riptide serve " RIPTIDE_VERSION " - article extraction over HTTP\n\n"
               "POST /v1/extract        one page: text/html body (?url=, ?mode=, ...) or JSON\n"
               "                        {\"html\"|\"url\", \"url\", \"id\", \"options\"}\n"
               "POST /v1/extract/batch  NDJSON in, NDJSON out in input order\n"
               "GET  /healthz           process alive\n"
               "GET  /readyz            pool warm and breaker not open\n"
               "GET  /metrics           Prometheus metrics\n"
               "GET  /v1/status         pool and server status (JSON)\n"
               "GET  /openapi.json      OpenAPI 3.1 description of all of the above\n");
}
