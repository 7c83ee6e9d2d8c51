/*
 * server.c - the HTTP side of `riptide serve`: the libmicrohttpd daemon, routing, auth, and
 * the bounded work queue served by worker threads.
 *
 * DESIGN
 * Threads: libmicrohttpd's network thread(s) (--http-threads, epoll) run on_access and
 * on_completed; worker threads (--workers, default 2 x --parallel: one half can fetch URLs
 * while the other half holds pool permits) run requests; the main thread (cmd.c) waits for
 * signals and runs the shutdown. Network threads never run an extraction, a fetch or a decode
 * of HTML.
 *
 * A request's life: headers arrive -> route, auth, Content-Type/-Encoding/-Length checks
 * (answered at once when wrong) -> the body is read whole into a buffer capped at --max-body
 * (413 past it; all bodies together are bounded by --max-buffered, 429 past it) -> the
 * request enters the queue (429 with Retry-After when the queue holds --queue jobs: the queue
 * is never unbounded) and its connection is suspended -> a worker runs it (503 when it waited
 * past --max-wait or the pool had no permit within that wait) -> the worker stores the result
 * and resumes the connection -> on_access runs again on the network thread and queues the
 * response. A batch is one queue entry that stays at its place until all its lines are
 * claimed; see batch.c for its stream.
 *
 * The reaper thread answers 503 to a request still queued at its deadline (--max-wait, or its
 * timeout_ms when smaller), so the bound holds while every worker is busy (on fetches that
 * take up to --fetch-timeout, say). It sleeps until the earliest deadline in the queue
 * (`reap_at_ns`); enqueueing wakes it only when the new request's deadline is earlier.
 *
 * Invariants: a suspended connection is resumed exactly once, by the worker that finished
 * its request (or by the reaper or the shutdown path, which took the request out of the queue
 * and then own its result); the request struct (srv_req) belongs to the network thread except
 * `done` and `result`, which the worker writes before it sets `done` under srv.lock, and which
 * the network thread reads only after the resume. A request is freed in on_completed only.
 *
 * Lock order: srv.lock, then libmicrohttpd's internal mutex (MHD_suspend_connection under
 * srv.lock, so a resume can never come before its suspend); workers, the reaper and the
 * shutdown call MHD_resume_connection with no lock held. No lock is held while running a
 * request, writing the access log or building a response. libmicrohttpd (0.9.75) calls
 * on_access and on_completed with none of its mutexes held, and the batch content reader with
 * only that response's mutex, which nothing takes under srv.lock; under the mutex that
 * MHD_suspend_connection and MHD_resume_connection take (cleanup_connection_mutex) it calls
 * only on_mhd_log, which takes no lock of ours: srv.lock -> that mutex is the only order.
 */
#include "serve/mhd.h"
#include "serve/serve.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

const srv_route srv_routes[] = {
    {"GET", "/"},
    {"GET", "/healthz"},
    {"GET", "/readyz"},
    {"GET", "/metrics"},
    {"GET", "/v1/status"},
    {"GET", "/openapi.json"},
    {"POST", "/v1/extract"},
    {"POST", "/v1/extract/batch"},
};
const size_t srv_n_routes = sizeof srv_routes / sizeof srv_routes[0];
enum { R_INDEX, R_HEALTHZ, R_READYZ, R_METRICS, R_STATUS, R_OPENAPI, R_EXTRACT, R_BATCH };

typedef enum req_state {
  REQ_HEADERS,
  REQ_GET,
  REQ_BODY,
  REQ_DISCARD,
  REQ_REJECT, /* a batch refused in the middle of its body: the rest is read and dropped */
  REQ_QUEUED,
  REQ_ANSWERED
} req_state;

typedef struct srv_req {
  srv *s;
  struct MHD_Connection *conn;
  req_state state;
  int route;   /* index in srv_routes, -1 unknown path */
  char id[40]; /* request id (X-Request-Id) */
  char method[8];
  char path[128];                          /* for the log only (query string not included) */
  uint64_t t0, queued_ns, work_ns, end_ns; /* headers in; queued; on a worker; worker done */
  uint64_t cpu_ns;                         /* the worker thread's CPU time on the request */
  srv_body_kind kind;
  bool gzip;       /* Content-Encoding: gzip */
  char ctype[128]; /* Content-Type as sent (charset included) */
  cli_buf body;    /* max = --max-body */
  uint64_t bytes_in;
  uint64_t reserved; /* share of srv.buffered held by this request */
  srv_params params;
  srv_job job;
  bool done; /* guarded by srv.lock: the worker stored `result` */
  srv_result result;
  srv_batch *batch;
  uint64_t paused_ns, pause_t0; /* a streamed batch's upload suspended (backpressure) */
  unsigned reject_status;       /* REQ_REJECT: the answer once the body is in */
  const char *reject_code;
  char reject_msg[96];
  unsigned status; /* what was answered, for the log and the counters */
  uint64_t bytes_out;
  const char *engine;
  const char *error_code;
} srv_req;

uint64_t srv_now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- responses ------------------------------------------------------------------------------ */

static enum MHD_Result send_buf(srv_req *r, unsigned status, const char *mime, cli_buf *body,
                                unsigned retry_after, bool close)
{
  size_t len = body->len;
  char *p = body->p;
  if (!p) {
    p = strdup("");
    len = 0;
  }
  body->p = NULL;
  body->len = body->cap = 0;
  struct MHD_Response *resp = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(p);
    return MHD_NO;
  }
  MHD_add_response_header(resp, "Content-Type", mime);
  MHD_add_response_header(resp, "X-Request-Id", r->id);
  if (retry_after) {
    char ra[16];
    snprintf(ra, sizeof ra, "%u", retry_after);
    MHD_add_response_header(resp, "Retry-After", ra);
  }
  if (status == 401)
    MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
  if (status == 405)
    MHD_add_response_header(resp, "Allow", r->route >= 0 ? srv_routes[r->route].method : "GET");
  if (close)
    MHD_add_response_header(resp, "Connection", "close");
  if (r->state == REQ_QUEUED || r->result.extract_ns || r->result.fetch_ns) {
    /* wait: in the queue for a worker; read: the body, from the headers to the queue;
     * run: on the worker (wall), cpu: the worker thread's CPU time for it (run - cpu is time
     * the worker was runnable but not running, or waiting for a pool permit); resume: from
     * the worker's end to this response; total: from the headers to here. */
    char st[256];
    uint64_t now = srv_now_ns();
    double wait = r->work_ns > r->queued_ns ? (double)(r->work_ns - r->queued_ns) / 1e6 : 0;
    double read = r->queued_ns > r->t0 ? (double)(r->queued_ns - r->t0) / 1e6 : 0;
    double resume = r->end_ns && now > r->end_ns ? (double)(now - r->end_ns) / 1e6 : 0;
    double run = r->end_ns > r->work_ns ? (double)(r->end_ns - r->work_ns) / 1e6 : 0;
    snprintf(st, sizeof st,
             "wait;dur=%.3f, fetch;dur=%.3f, extract;dur=%.3f, read;dur=%.3f, run;dur=%.3f, "
             "cpu;dur=%.3f, resume;dur=%.3f, total;dur=%.3f",
             wait, (double)r->result.fetch_ns / 1e6, (double)r->result.extract_ns / 1e6, read, run,
             (double)r->cpu_ns / 1e6, resume, (double)(now - r->t0) / 1e6);
    MHD_add_response_header(resp, "Server-Timing", st);
  }
  r->status = status;
  r->bytes_out = len;
  r->state = REQ_ANSWERED;
  enum MHD_Result ok = MHD_queue_response(r->conn, status, resp);
  MHD_destroy_response(resp);
  return ok;
}

static enum MHD_Result send_error(srv_req *r, unsigned status, const char *code, const char *msg,
                                  unsigned retry_after, bool close)
{
  cli_buf b = {0};
  srv_error_body(&b, code, msg);
  r->error_code = code;
  enum MHD_Result ok = send_buf(r, status, "application/json", &b, retry_after, close);
  cli_buf_free(&b);
  return ok;
}

static enum MHD_Result send_result(srv_req *r, srv_result *res)
{
  r->engine = res->engine;
  r->error_code = res->error_code;
  return send_buf(r, res->status, res->mime ? res->mime : "application/json", &res->body,
                  res->retry_after, false);
}

/* ---- auth ----------------------------------------------------------------------------------- */

/* Compares against every key over a fixed length, so the time taken says nothing about how
 * much of a key matched, nor which. */
static bool key_ok(const srv *s, const char *got)
{
  size_t gl = strlen(got);
  unsigned ok = 0;
  for (size_t k = 0; k < s->n_keys; k++) {
    const char *key = s->keys[k];
    size_t kl = strlen(key);
    unsigned diff = (unsigned)(gl != kl) | (unsigned)(gl > SRV_MAX_API_KEY_LEN);
    for (size_t i = 0; i < SRV_MAX_API_KEY_LEN; i++) {
      unsigned char a = i < gl ? (unsigned char)got[i] : 0;
      unsigned char b = i < kl ? (unsigned char)key[i] : 0;
      diff |= (unsigned)(a ^ b);
    }
    ok |= (unsigned)(diff == 0);
  }
  return ok != 0;
}

static bool authorized(srv *s, struct MHD_Connection *c)
{
  if (s->n_keys == 0)
    return true;
  const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  if (!h || strncasecmp(h, "Bearer ", 7) != 0)
    return false;
  h += 7;
  while (*h == ' ')
    h++;
  return key_ok(s, h);
}

/* ---- the body budget ------------------------------------------------------------------------ */

/* Every body is bounded by --max-body, and all of them together by --max-buffered: a thousand
 * connections each sending --max-body cannot make the server hold a thousand bodies. */
static bool reserve(srv *s, srv_req *r, uint64_t n)
{
  uint64_t total = atomic_fetch_add(&s->buffered, n) + n;
  if (total > s->cfg.max_buffered) {
    atomic_fetch_sub(&s->buffered, n);
    return false;
  }
  r->reserved += n;
  return true;
}

/* ---- query options -------------------------------------------------------------------------- */

typedef struct query_ctx {
  srv_params *p;
  char msg[256];
  bool bad;
} query_ctx;

static enum MHD_Result on_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
  query_ctx *q = cls;
  if (!q->bad && !srv_params_set(q->p, key, value, q->msg, sizeof q->msg))
    q->bad = true;
  return MHD_YES;
}

/* Media type without parameters, lower case, compared to a list. */
static bool media_is(const char *ct, const char *const *list)
{
  size_t n = strcspn(ct, "; \t");
  for (; *list; list++)
    if (strlen(*list) == n && strncasecmp(ct, *list, n) == 0)
      return true;
  return false;
}

/* ---- the queue ------------------------------------------------------------------------------ */

bool srv_enqueue_locked(srv *s, srv_job *j)
{
  if (s->queued >= s->cfg.queue_max)
    return false;
  j->next = NULL;
  if (s->tail)
    s->tail->next = j;
  else
    s->head = j;
  s->tail = j;
  s->queued++;
  pthread_cond_signal(&s->work_cv);
  return true;
}

static void unlink_locked(srv *s, srv_job *prev, srv_job *j)
{
  if (prev)
    prev->next = j->next;
  else
    s->head = j->next;
  if (s->tail == j)
    s->tail = prev;
  s->queued--;
}

/* When a queued request stops waiting for a worker: --max-wait after it was queued, or its
 * timeout_ms when smaller (srv_run applies the same bound when a worker takes it). */
static uint64_t wait_deadline_ns(const srv *s, const srv_req *r)
{
  return r->queued_ns + (uint64_t)srv_wait_bound_ms(s, &r->params) * 1000000u;
}

/* A queued request taken out of the queue unrun (lock held): its answer is an error, stored
 * for the network thread, which reads it once the caller has resumed the connection. */
static void answer_unrun_locked(srv_req *r, unsigned status, const char *code, const char *msg)
{
  memset(&r->result, 0, sizeof r->result);
  r->result.status = status;
  r->result.retry_after = 1;
  r->result.error_code = code;
  r->result.mime = "application/json";
  srv_error_body(&r->result.body, code, msg);
  r->done = true;
}

/* The reaper (see DESIGN): requests queued past their deadline are answered 503
 * POOL_SATURATED, as srv_run would answer them once a worker took them. */
static void *reaper_main(void *arg)
{
  srv *s = arg;
  enum { N_LATE = 64 };
  struct MHD_Connection *late[N_LATE];
  pthread_mutex_lock(&s->lock);
  while (!s->stopping) {
    uint64_t now = srv_now_ns(), next = UINT64_MAX;
    size_t n = 0;
    srv_job *prev = NULL, *j = s->head;
    while (j) {
      srv_job *nx = j->next;
      if (j->req) {
        srv_req *r = j->req;
        uint64_t due = wait_deadline_ns(s, r);
        if (due <= now && n < N_LATE) {
          unlink_locked(s, prev, j);
          r->work_ns = r->end_ns = now;
          answer_unrun_locked(r, 503, "POOL_SATURATED", "the request waited longer than its bound");
          late[n++] = r->conn;
          j = nx;
          continue;
        }
        if (due < next)
          next = due;
      }
      prev = j;
      j = nx;
    }
    s->reap_at_ns = next;
    if (n) {
      pthread_mutex_unlock(&s->lock);
      atomic_fetch_add(&s->stats.rejected_saturated, n);
      for (size_t i = 0; i < n; i++)
        MHD_resume_connection(late[i]);
      pthread_mutex_lock(&s->lock);
      continue;
    }
    if (next == UINT64_MAX) {
      pthread_cond_wait(&s->reap_cv, &s->lock);
    } else {
      struct timespec ts = {.tv_sec = (time_t)(next / 1000000000u),
                            .tv_nsec = (long)(next % 1000000000u)};
      pthread_cond_timedwait(&s->reap_cv, &s->lock, &ts);
    }
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

static uint64_t thread_cpu_ns(void)
{
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void run_single(srv *s, srv_req *r)
{
  r->work_ns = srv_now_ns();
  uint64_t cpu0 = thread_cpu_ns();
  srv_result res;
  const char *ct = r->ctype;
  if (r->gzip && r->kind == SRV_BODY_JSON)
    ct = "application/json; charset=utf-8";
  if (r->gzip && r->kind == SRV_BODY_JSON) {
    /* A gzip JSON body: inflate (capped) before parsing. */
    char *plain = NULL;
    size_t plen = 0;
    riptide_err e =
        riptide_decode_input(r->body.p, r->body.len, ct, s->cfg.max_body, &plain, &plen);
    if (e != RIPTIDE_OK) {
      memset(&res, 0, sizeof res);
      res.status = e == RIPTIDE_ERR_INPUT_TOO_LARGE ? 413 : 400;
      res.error_code = e == RIPTIDE_ERR_INPUT_TOO_LARGE ? "BODY_TOO_LARGE" : "BAD_REQUEST";
      res.mime = "application/json";
      srv_error_body(&res.body, res.error_code, "the gzip body could not be inflated");
    } else {
      srv_run(s, r->kind, plain, plen, NULL, ct, &r->params, false, NULL, r->work_ns - r->queued_ns,
              &res);
      free(plain);
    }
  } else {
    srv_run(s, r->kind, r->body.p, r->body.len, NULL, ct, &r->params, false, NULL,
            r->work_ns - r->queued_ns, &res);
  }
  uint64_t end = srv_now_ns(), cpu = thread_cpu_ns() - cpu0;
  pthread_mutex_lock(&s->lock);
  r->result = res;
  r->end_ns = end;
  r->cpu_ns = cpu;
  r->done = true;
  pthread_mutex_unlock(&s->lock);
  MHD_resume_connection(r->conn); /* r belongs to the network thread from here on */
}

static void *worker_main(void *arg)
{
  srv *s = arg;
  pthread_mutex_lock(&s->lock);
  for (;;) {
    srv_job *prev = NULL, *j = s->head;
    srv_req *single = NULL;
    srv_batch *batch = NULL, *destroy = NULL;
    srv_batch_line *line = NULL;
    while (j) {
      srv_job *next = j->next;
      if (j->req) {
        single = j->req;
        unlink_locked(s, prev, j);
        break;
      }
      if (srv_batch_claim_locked(j->batch, &line)) {
        batch = j->batch;
        if (srv_batch_fully_claimed_locked(batch)) {
          unlink_locked(s, prev, j);
          srv_batch_dequeued_locked(batch); /* a line runs: never the last holder here */
        } else {
          pthread_cond_signal(&s->work_cv); /* more lines to claim: wake another worker */
        }
        break;
      }
      if (srv_batch_fully_claimed_locked(j->batch)) { /* empty, or aborted at shutdown */
        unlink_locked(s, prev, j);
        if (srv_batch_dequeued_locked(j->batch))
          destroy = j->batch;
        break;
      }
      prev = j;
      j = next;
    }
    if (destroy) {
      pthread_mutex_unlock(&s->lock);
      srv_batch_destroy(destroy);
      pthread_mutex_lock(&s->lock);
      continue;
    }
    if (!single && !batch) {
      if (s->stopping && !s->head)
        break;
      pthread_cond_wait(&s->work_cv, &s->lock);
      continue;
    }
    s->busy++;
    pthread_mutex_unlock(&s->lock);
    if (single)
      run_single(s, single);
    else
      srv_batch_run_line(s, batch, line);
    pthread_mutex_lock(&s->lock);
    s->busy--;
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

/* ---- request handling ----------------------------------------------------------------------- */

static int find_route(const char *path, const char *method, bool *method_ok)
{
  *method_ok = false;
  for (size_t i = 0; i < srv_n_routes; i++) {
    if (strcmp(srv_routes[i].path, path) != 0)
      continue;
    if (!strcmp(srv_routes[i].method, method) ||
        (!strcmp(method, "HEAD") && !strcmp(srv_routes[i].method, "GET")))
      *method_ok = true;
    return (int)i;
  }
  return -1;
}

static enum MHD_Result answer_get(srv *s, srv_req *r)
{
  srv_result res;
  memset(&res, 0, sizeof res);
  switch (r->route) {
  case R_INDEX:
    srv_get_index(s, &res);
    break;
  case R_HEALTHZ:
    srv_get_healthz(s, &res);
    break;
  case R_READYZ:
    srv_get_readyz(s, &res);
    break;
  case R_METRICS:
    srv_get_metrics(s, &res);
    break;
  case R_STATUS:
    srv_get_status(s, &res);
    break;
  case R_OPENAPI:
    res.status = 200;
    res.mime = "application/json";
    for (const char *const *part = srv_openapi_parts; *part; part++)
      cli_buf_puts(&res.body, *part);
    break;
  }
  enum MHD_Result ok = send_result(r, &res);
  srv_result_clear(&res);
  return ok;
}

static const char *const HTML_TYPES[] = {"text/html", "application/xhtml+xml", NULL};
static const char *const JSON_TYPES[] = {"application/json", NULL};
static const char *const NDJSON_TYPES[] = {"application/x-ndjson", "application/ndjson",
                                           "application/jsonl", "application/x-jsonlines", NULL};

/* Makes the batch and queues it (before its body when streamed, after when gzip). */
static enum MHD_Result batch_start(srv *s, srv_req *r)
{
  srv_batch *b = srv_batch_new(s, &r->params, r->conn);
  if (!b)
    return send_error(r, 500, "INTERNAL", "out of memory", 0, true);
  pthread_mutex_lock(&s->lock);
  if (s->stopping) {
    pthread_mutex_unlock(&s->lock);
    srv_batch_release(s, b);
    return send_error(r, 503, "SHUTTING_DOWN", "the server is shutting down", 1, true);
  }
  bool ok = srv_enqueue_locked(s, &b->job);
  b->queued = ok;
  pthread_mutex_unlock(&s->lock);
  if (!ok) {
    srv_batch_release(s, b);
    atomic_fetch_add(&s->stats.rejected_queue_full, 1);
    return send_error(r, 429, "QUEUE_FULL", "the request queue is full; retry later", 1, true);
  }
  r->batch = b;
  return MHD_YES;
}

/* A streamed batch refused mid-body: it is let go, the rest of the body is dropped, and the
 * answer goes out once it is in. */
static enum MHD_Result batch_reject(srv *s, srv_req *r, srv_batch_feed_result fr)
{
  srv_batch_release(s, r->batch);
  r->batch = NULL;
  r->state = REQ_REJECT;
  if (fr == SRV_FEED_TOO_MANY) {
    r->reject_status = 400;
    r->reject_code = "BAD_REQUEST";
    snprintf(r->reject_msg, sizeof r->reject_msg, "a batch holds at most %d lines",
             SRV_MAX_BATCH_LINES);
  } else {
    r->reject_status = 500;
    r->reject_code = "INTERNAL";
    snprintf(r->reject_msg, sizeof r->reject_msg, "out of memory");
  }
  return MHD_YES;
}

/* First call for a request: headers are known, no body byte has been handed over yet. */
static enum MHD_Result begin(srv *s, srv_req *r, const char *method)
{
  struct MHD_Connection *c = r->conn;
  if (atomic_load(&s->shutting_down))
    return send_error(r, 503, "SHUTTING_DOWN", "the server is shutting down", 1, true);
  bool method_ok;
  r->route = find_route(r->path, method, &method_ok);
  if (r->route < 0)
    return send_error(r, 404, "NOT_FOUND", "no such endpoint; GET / lists them", 0, false);
  if (!method_ok)
    return send_error(r, 405, "METHOD_NOT_ALLOWED", "method not allowed on this endpoint", 0,
                      false);
  if (r->route != R_HEALTHZ && !authorized(s, c))
    return send_error(r, 401, "UNAUTHORIZED", "a valid API key is required (Authorization: Bearer)",
                      0, false);
  if (r->route != R_EXTRACT && r->route != R_BATCH) {
    /* Answered at the next call, once the whole request is in: a response queued before
     * that makes libmicrohttpd close the connection (no keep-alive). */
    r->state = REQ_GET;
    return MHD_YES;
  }

  /* POST: check what is coming before reading it. */
  const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
  if (!ct || strlen(ct) >= sizeof r->ctype)
    return send_error(r, 415, "UNSUPPORTED_MEDIA_TYPE", "a Content-Type is required", 0, true);
  snprintf(r->ctype, sizeof r->ctype, "%s", ct);
  if (r->route == R_EXTRACT) {
    if (media_is(ct, HTML_TYPES))
      r->kind = SRV_BODY_HTML;
    else if (media_is(ct, JSON_TYPES))
      r->kind = SRV_BODY_JSON;
    else
      return send_error(r, 415, "UNSUPPORTED_MEDIA_TYPE",
                        "Content-Type must be text/html or application/json", 0, true);
  } else if (!media_is(ct, NDJSON_TYPES)) {
    return send_error(r, 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/x-ndjson",
                      0, true);
  }
  const char *ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Encoding");
  if (ce && strcasecmp(ce, "identity") != 0) {
    if (strcasecmp(ce, "gzip") != 0 && strcasecmp(ce, "x-gzip") != 0)
      return send_error(r, 415, "UNSUPPORTED_MEDIA_TYPE",
                        "Content-Encoding must be gzip or identity", 0, true);
    r->gzip = true;
  }
  const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
  if (cl) {
    char *end;
    errno = 0;
    unsigned long long n = strtoull(cl, &end, 10);
    if (errno || end == cl || n > s->cfg.max_body)
      return send_error(r, 413, "BODY_TOO_LARGE", "the body exceeds --max-body", 0, true);
    if (!reserve(s, r, n)) {
      atomic_fetch_add(&s->stats.rejected_queue_full, 1);
      return send_error(r, 429, "BUFFERS_FULL",
                        "too much request data is buffered now; retry later", 1, true);
    }
  }
  query_ctx q = {.p = &r->params};
  MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, on_query_arg, &q);
  if (q.bad)
    return send_error(r, 400, "BAD_REQUEST", q.msg, 0, false);
  r->body.max = (size_t)s->cfg.max_body; /* a body of max_body bytes fits, one more does not */
  r->state = REQ_BODY;
  if (r->route == R_BATCH && !r->gzip) /* streamed: lines run while the body arrives */
    return batch_start(s, r);
  return MHD_YES;
}

static enum MHD_Result body_complete(srv *s, srv_req *r)
{
  if (r->route == R_EXTRACT) {
    pthread_mutex_lock(&s->lock);
    r->job.req = r;
    r->job.batch = NULL;
    r->queued_ns = srv_now_ns();
    if (s->stopping) { /* the body finished arriving after the shutdown swept the queue */
      pthread_mutex_unlock(&s->lock);
      return send_error(r, 503, "SHUTTING_DOWN", "the server is shutting down", 1, true);
    }
    if (!srv_enqueue_locked(s, &r->job)) {
      pthread_mutex_unlock(&s->lock);
      atomic_fetch_add(&s->stats.rejected_queue_full, 1);
      return send_error(r, 429, "QUEUE_FULL", "the request queue is full; retry later", 1, false);
    }
    r->state = REQ_QUEUED;
    uint64_t due = wait_deadline_ns(s, r);
    if (due < s->reap_at_ns) { /* earlier than the reaper's next wake-up: wake it */
      s->reap_at_ns = due;
      pthread_cond_signal(&s->reap_cv);
    }
    MHD_suspend_connection(r->conn);
    pthread_mutex_unlock(&s->lock);
    return MHD_YES;
  }
  /* Batch: the rest of the lines (all of them when gzip), then the stream of results. */
  srv_batch_feed_result fr;
  if (r->gzip) {
    char *plain = NULL;
    size_t plen = 0;
    riptide_err e = RIPTIDE_OK;
    if (r->body.len)
      e = riptide_decode_input(r->body.p, r->body.len, "application/x-ndjson; charset=utf-8",
                               s->cfg.max_body, &plain, &plen);
    cli_buf_free(&r->body);
    if (e != RIPTIDE_OK)
      return e == RIPTIDE_ERR_INPUT_TOO_LARGE
                 ? send_error(r, 413, "BODY_TOO_LARGE", "the inflated body exceeds --max-body", 0,
                              false)
                 : send_error(r, 400, "BAD_REQUEST", "the gzip body could not be inflated", 0,
                              false);
    enum MHD_Result st = batch_start(s, r);
    if (!r->batch) {
      free(plain);
      return st;
    }
    fr = srv_batch_feed(r->batch, plain, plen, true, false);
    free(plain);
  } else {
    fr = srv_batch_feed(r->batch, NULL, 0, true, false);
  }
  if (fr != SRV_FEED_OK) {
    batch_reject(s, r, fr);
    return send_error(r, r->reject_status, r->reject_code, r->reject_msg, 0, false);
  }
  srv_batch *b = r->batch;
  srv_batch_complete(b);
  struct MHD_Response *resp = srv_batch_response(b);
  if (!resp) {
    srv_batch_release(s, b);
    r->batch = NULL;
    return send_error(r, 500, "INTERNAL", "out of memory", 0, false);
  }
  r->status = 200;
  r->state = REQ_ANSWERED;
  MHD_add_response_header(resp, "Content-Type", "application/x-ndjson");
  MHD_add_response_header(resp, "X-Request-Id", r->id);
  enum MHD_Result res = MHD_queue_response(r->conn, 200, resp);
  MHD_destroy_response(resp);
  return res;
}

/* A body still arriving --body-timeout after its headers (time suspended for backpressure not
 * counted), each piece just inside --idle-timeout: the connection is to be cut, as
 * libmicrohttpd cannot answer in the middle of a body. The same bound holds for a body being
 * read only to be dropped (over --max-body, a batch refused mid-body, a body sent with a GET). */
static bool body_timed_out(srv *s, srv_req *r)
{
  if (srv_now_ns() - r->t0 - r->paused_ns <= (uint64_t)s->cfg.body_timeout_ms * 1000000u)
    return false;
  r->status = 408;
  r->error_code = "BODY_TIMEOUT";
  r->state = REQ_ANSWERED;
  return true;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_size, void **con_cls)
{
  srv *s = cls;
  srv_req *r = *con_cls;
  if (!r) {
    r = calloc(1, sizeof *r);
    if (!r)
      return MHD_NO;
    *con_cls = r;
    r->s = s;
    r->conn = conn;
    r->t0 = srv_now_ns();
    r->route = -1;
    srv_params_init(&r->params, &s->cfg);
    snprintf(r->id, sizeof r->id, "%s-%llu", s->id_prefix,
             (unsigned long long)atomic_fetch_add(&s->next_id, 1) + 1);
    snprintf(r->method, sizeof r->method, "%s", method);
    snprintf(r->path, sizeof r->path, "%s", url);
    pthread_mutex_lock(&s->lock);
    s->active++;
    pthread_mutex_unlock(&s->lock);
    return begin(s, r, method);
  }
  switch (r->state) {
  case REQ_GET:
    if (*upload_size) { /* a body on a GET is ignored, but must not take longer to arrive */
      if (body_timed_out(s, r))
        return MHD_NO;
      *upload_size = 0;
      return MHD_YES;
    }
    return answer_get(s, r);
  case REQ_BODY:
    if (r->pause_t0) { /* resumed: time spent suspended is not the client's */
      r->paused_ns += srv_now_ns() - r->pause_t0;
      r->pause_t0 = 0;
    }
    if (*upload_size && body_timed_out(s, r))
      return MHD_NO;
    if (*upload_size) {
      uint64_t need = r->bytes_in + *upload_size;
      if (need > r->reserved && need <= s->cfg.max_body + 1 && !reserve(s, r, need - r->reserved)) {
        /* A chunked body (no Content-Length reserved up front) past the budget. */
        r->status = 429;
        r->error_code = "BUFFERS_FULL";
        r->state = REQ_ANSWERED;
        return MHD_NO;
      }
      atomic_fetch_add(&s->stats.bytes_in, *upload_size);
      r->bytes_in += *upload_size;
      if (r->batch) { /* streamed batch */
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->bytes_in > s->cfg.max_body) { /* chunked, past --max-body: as below */
          srv_batch_release(s, r->batch);
          r->batch = NULL;
          r->state = REQ_DISCARD;
          return MHD_YES;
        }
        srv_batch_feed_result fr = srv_batch_feed(r->batch, upload_data, n, false, true);
        if (fr == SRV_FEED_PAUSED)
          r->pause_t0 = srv_now_ns();
        else if (fr != SRV_FEED_OK)
          return batch_reject(s, r, fr);
        return MHD_YES;
      }
      cli_buf_put(&r->body, upload_data, *upload_size);
      *upload_size = 0;
      if (r->body.failed) {
        /* Over --max-body: a chunked body, with no Content-Length to refuse up front.
         * libmicrohttpd cannot answer in the middle of a body, so the rest is read and
         * dropped (never stored) to give the 413, but only up to another --max-body: past
         * that the connection is closed without an answer. */
        cli_buf_free(&r->body);
        r->body.failed = true;
        r->state = REQ_DISCARD;
      }
      return MHD_YES;
    }
    return body_complete(s, r);
  case REQ_DISCARD:
    if (*upload_size) {
      if (body_timed_out(s, r))
        return MHD_NO;
      r->bytes_in += *upload_size;
      *upload_size = 0;
      if (r->bytes_in > 2 * s->cfg.max_body) {
        r->status = 413;
        r->error_code = "BODY_TOO_LARGE";
        r->state = REQ_ANSWERED;
        return MHD_NO;
      }
      return MHD_YES;
    }
    return send_error(r, 413, "BODY_TOO_LARGE", "the body exceeds --max-body", 0, true);
  case REQ_REJECT:
    if (*upload_size) {
      if (body_timed_out(s, r))
        return MHD_NO;
      r->bytes_in += *upload_size;
      *upload_size = 0;
      if (r->bytes_in > 2 * s->cfg.max_body) {
        r->status = r->reject_status;
        r->error_code = r->reject_code;
        r->state = REQ_ANSWERED;
        return MHD_NO;
      }
      return MHD_YES;
    }
    return send_error(r, r->reject_status, r->reject_code, r->reject_msg, 0, true);
  case REQ_QUEUED: {
    pthread_mutex_lock(&s->lock);
    bool done = r->done;
    pthread_mutex_unlock(&s->lock);
    if (!done) /* not ours: a resume always follows `done` */
      return MHD_YES;
    return send_result(r, &r->result);
  }
  default:
    *upload_size = 0;
    return MHD_YES;
  }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
  srv *s = cls;
  srv_req *r = *con_cls;
  if (!r)
    return;
  *con_cls = NULL;
  uint64_t lat = srv_now_ns() - r->t0;
  size_t lines = 0;
  if (r->batch) {
    pthread_mutex_lock(&s->lock);
    r->bytes_out = r->batch->bytes_out;
    pthread_mutex_unlock(&s->lock);
    lines = r->batch->n;
    srv_batch_release(s, r->batch);
  }
  unsigned status = r->status ? r->status : 500;
  srv_log_entry e = {
      .request_id = r->id,
      .method = r->method,
      .path = r->path,
      .status = status,
      .bytes_in = r->bytes_in,
      .bytes_out = r->bytes_out,
      .latency_ns = lat,
      .engine = r->engine,
      .error_code =
          toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? r->error_code : "CONNECTION_CLOSED",
      .batch_lines = lines,
  };
  srv_log_request(s, &e);
  srv_stats_count(s, r->route, status, lat);
  atomic_fetch_add(&s->stats.bytes_out, r->bytes_out);
  srv_result_clear(&r->result);
  srv_params_clear(&r->params);
  cli_buf_free(&r->body);
  atomic_fetch_sub(&s->buffered, r->reserved);
  free(r);
  pthread_mutex_lock(&s->lock);
  if (--s->active == 0)
    pthread_cond_broadcast(&s->idle_cv);
  pthread_mutex_unlock(&s->lock);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
  (void)cls;
  fputs("riptide serve: ", stderr);
  vfprintf(stderr, fmt, ap);
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

static bool load_keys(srv *s, char *msg, size_t mlen)
{
  FILE *f = fopen(s->cfg.api_key_file, "r");
  if (!f) {
    snprintf(msg, mlen, "cannot open --api-key-file %s: %s", s->cfg.api_key_file, strerror(errno));
    return false;
  }
  s->keys = calloc(SRV_MAX_API_KEYS, sizeof *s->keys);
  char line[SRV_MAX_API_KEY_LEN + 8];
  bool ok = s->keys != NULL;
  while (ok && fgets(line, sizeof line, f)) {
    size_t n = strlen(line);
    if (n && line[n - 1] != '\n' && !feof(f)) {
      snprintf(msg, mlen, "a key in %s is longer than %d bytes", s->cfg.api_key_file,
               SRV_MAX_API_KEY_LEN);
      ok = false;
      break;
    }
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
      line[--n] = '\0';
    if (!n || line[0] == '#')
      continue;
    if (s->n_keys == SRV_MAX_API_KEYS) {
      snprintf(msg, mlen, "more than %d keys in %s", SRV_MAX_API_KEYS, s->cfg.api_key_file);
      ok = false;
      break;
    }
    if (!(s->keys[s->n_keys++] = strdup(line)))
      ok = false;
  }
  fclose(f);
  if (ok && s->n_keys == 0) {
    snprintf(msg, mlen, "no key in %s", s->cfg.api_key_file);
    ok = false;
  }
  return ok;
}

srv *srv_new(const srv_config *c, char *msg, size_t mlen)
{
  srv *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(msg, mlen, "out of memory");
    return NULL;
  }
  s->cfg = *c;
  if (!s->cfg.max_input)
    s->cfg.max_input = 64ull << 20;
  if (!s->cfg.max_body)
    s->cfg.max_body = s->cfg.max_input;
  if (!s->cfg.workers)
    s->cfg.workers = 2 * s->cfg.parallel;
  if (!s->cfg.max_buffered)
    s->cfg.max_buffered = SRV_DEFAULT_MAX_BUFFERED;
  pthread_mutex_init(&s->lock, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->idle_cv, &ca);
  pthread_cond_init(&s->reap_cv, &ca);
  pthread_condattr_destroy(&ca);
  s->reap_at_ns = UINT64_MAX;
  s->quiesced_fd = -1;
  pthread_cond_init(&s->work_cv, NULL);
  unsigned seed = (unsigned)(srv_now_ns() ^ (uint64_t)getpid() << 16);
  snprintf(s->id_prefix, sizeof s->id_prefix, "%08x", seed * 2654435761u);
  if (c->api_key_file && !load_keys(s, msg, mlen)) {
    srv_free(s);
    return NULL;
  }
  if (!srv_log_open(s, msg, mlen)) {
    srv_free(s);
    return NULL;
  }
  riptide_pool_config pc;
  riptide_pool_config_init(&pc);
  pc.max_slots = c->parallel;
  pc.warm_slots = c->parallel < 2 ? c->parallel : 2;
  pc.fallback_enabled = !c->no_fallback;
  pc.acquire_wait_ms = c->max_wait_ms;
  if (c->timeout_ms)
    pc.timeout_ms = c->timeout_ms;
  if (c->memory_limit)
    pc.memory_cap_bytes = c->memory_limit;
  pc.max_input_bytes = s->cfg.max_input;
  riptide_err err = riptide_pool_new(&pc, &s->pool);
  if (err != RIPTIDE_OK) {
    snprintf(msg, mlen, "cannot create the instance pool: %s", riptide_strerror(err));
    srv_free(s);
    return NULL;
  }
  s->n_workers = c->workers ? c->workers : 2 * c->parallel;
  s->workers = calloc(s->n_workers, sizeof *s->workers);
  if (!s->workers) {
    snprintf(msg, mlen, "out of memory");
    srv_free(s);
    return NULL;
  }
  for (unsigned i = 0; i < s->n_workers; i++) {
    if (pthread_create(&s->workers[i], NULL, worker_main, s) != 0) {
      s->n_workers = i;
      snprintf(msg, mlen, "cannot start worker threads");
      srv_free(s);
      return NULL;
    }
  }
  if (pthread_create(&s->reaper, NULL, reaper_main, s) != 0) {
    snprintf(msg, mlen, "cannot start the reaper thread");
    srv_free(s);
    return NULL;
  }
  s->reaper_running = true;
  return s;
}

/* A listening Unix-domain socket at path: a stale socket file left by a previous run is
 * replaced, anything else at the path is refused. -1 with msg set on failure. */
static int listen_unix(const char *path, char *msg, size_t mlen)
{
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  struct stat st;
  if (strlen(path) >= sizeof sa.sun_path) {
    snprintf(msg, mlen, "--listen unix:%s: the path is too long", path);
    return -1;
  }
  memcpy(sa.sun_path, path, strlen(path) + 1);
  if (lstat(path, &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      snprintf(msg, mlen, "--listen unix:%s: the path exists and is not a socket", path);
      return -1;
    }
    unlink(path);
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || bind(fd, (const struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1024) != 0) {
    snprintf(msg, mlen, "cannot listen on unix:%s: %s", path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}

bool srv_start(srv *s, char *msg, size_t mlen)
{
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_ITC | MHD_USE_ERROR_LOG;
  /* Where to listen: host:port (resolved here), or a Unix-domain socket made here and handed
   * to libmicrohttpd (which accepts on it as on a TCP one, without the TCP options). */
  struct addrinfo *ai = NULL;
  int ufd = -1;
  struct MHD_OptionItem listen_opt[] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}};
  if (s->cfg.unix_path[0]) {
    if ((ufd = listen_unix(s->cfg.unix_path, msg, mlen)) < 0)
      return false;
    listen_opt[0] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, ufd, NULL};
  } else {
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    int gai = getaddrinfo(s->cfg.host[0] ? s->cfg.host : NULL, s->cfg.port, &hints, &ai);
    if (gai != 0 || !ai) {
      snprintf(msg, mlen, "cannot resolve listen address %s:%s: %s", s->cfg.host, s->cfg.port,
               gai_strerror(gai));
      return false;
    }
    if (ai->ai_family == AF_INET6)
      flags |= MHD_USE_IPv6;
    listen_opt[0] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, ai->ai_addr};
  }
  struct MHD_OptionItem pool_opt[] = {
      {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)s->cfg.http_threads, NULL},
      {MHD_OPTION_END, 0, NULL},
  };
  if (s->cfg.http_threads <= 1)
    pool_opt[0].option = MHD_OPTION_END;
  /* The connection's memory (--max-header) holds its read buffer. libmicrohttpd grows that
   * buffer only when a read would have less than MEMORY_INCREMENT bytes of room (default 1 KiB),
   * so a body was read 16 KiB at a time, half the default 32 KiB. An increment as large as the
   * memory makes every read grow the buffer as far as libmicrohttpd lets it (it stops with
   * less than 8 KiB free, for the request's own data): 25 KiB reads, 35 % fewer reads and
   * wake-ups on a batch upload, with the same memory per connection and the same header limit. */
  s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_access, s, MHD_OPTION_EXTERNAL_LOGGER,
                               on_mhd_log, NULL, MHD_OPTION_ARRAY, pool_opt, MHD_OPTION_ARRAY,
                               listen_opt, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                               MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->cfg.max_connections,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->cfg.idle_timeout_s,
                               MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)s->cfg.max_header,
                               MHD_OPTION_CONNECTION_MEMORY_INCREMENT, (size_t)s->cfg.max_header,
                               MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
  if (ai)
    freeaddrinfo(ai);
  if (!s->daemon) {
    if (ufd >= 0) {
      close(ufd);
      unlink(s->cfg.unix_path);
      snprintf(msg, mlen, "cannot listen on unix:%s", s->cfg.unix_path);
    } else {
      snprintf(msg, mlen, "cannot listen on %s:%s", s->cfg.host, s->cfg.port);
    }
    return false;
  }
  s->unix_bound = ufd >= 0;
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->bound_port = di ? di->port : 0;
  return true;
}

/* CLOCK_MONOTONIC now + ms, for the condition variables' timed waits. */
static struct timespec monotonic_in(uint32_t ms)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000L;
  }
  return t;
}

void srv_shutdown(srv *s)
{
  atomic_store(&s->shutting_down, true);
  if (s->daemon) {
    /* No new connections. libmicrohttpd's thread may still use the listening socket it hands
     * back (its epoll set), so it is closed only after MHD_stop_daemon (srv_free); shutdown()
     * makes it stop listening now: a new client is refused at once, not left in the backlog. */
    MHD_socket ls = MHD_quiesce_daemon(s->daemon);
    if (ls != MHD_INVALID_SOCKET) {
      shutdown(ls, SHUT_RDWR);
      s->quiesced_fd = ls;
    }
    if (s->unix_bound) { /* new clients find no socket rather than one nobody accepts on */
      unlink(s->cfg.unix_path);
      s->unix_bound = false;
    }
  }
  struct timespec until = monotonic_in(s->cfg.shutdown_ms);
  pthread_mutex_lock(&s->lock);
  while (s->active > 0) {
    if (pthread_cond_timedwait(&s->idle_cv, &s->lock, &until) == ETIMEDOUT)
      break;
  }
  /* Past the deadline: queued singles are answered 503, batches get error lines for what is
   * left; requests on a worker finish (the pool's timeout bounds them). */
  struct MHD_Connection **to_resume = calloc(s->queued + 1, sizeof *to_resume);
  size_t n_resume = 0;
  srv_job *prev = NULL, *j = s->head;
  while (j && to_resume) {
    srv_job *next = j->next;
    if (j->req) {
      srv_req *r = j->req;
      unlink_locked(s, prev, j);
      answer_unrun_locked(r, 503, "SHUTTING_DOWN", "the server is shutting down");
      to_resume[n_resume++] = r->conn;
    } else {
      struct MHD_Connection *c = srv_batch_abort_locked(j->batch);
      if (c)
        to_resume[n_resume++] = c;
      prev = j;
    }
    j = next;
  }
  s->stopping = true;
  pthread_cond_broadcast(&s->work_cv);
  pthread_cond_broadcast(&s->reap_cv);
  pthread_mutex_unlock(&s->lock);
  for (size_t i = 0; i < n_resume; i++)
    MHD_resume_connection(to_resume[i]);
  free(to_resume);
  for (unsigned i = 0; i < s->n_workers; i++)
    pthread_join(s->workers[i], NULL);
  s->n_workers = 0;
  if (s->reaper_running) {
    pthread_join(s->reaper, NULL);
    s->reaper_running = false;
  }
  /* Nothing runs any more: let the answers made so far go out (those just resumed, those of
   * requests that finished on a worker past the deadline), within what is left of the
   * deadline but at least SRV_SHUTDOWN_FLUSH_MS, before srv_free closes every connection. */
  struct timespec flush = monotonic_in(SRV_SHUTDOWN_FLUSH_MS);
  if (flush.tv_sec < until.tv_sec ||
      (flush.tv_sec == until.tv_sec && flush.tv_nsec < until.tv_nsec))
    flush = until;
  pthread_mutex_lock(&s->lock);
  while (s->active > 0) {
    if (pthread_cond_timedwait(&s->idle_cv, &s->lock, &flush) == ETIMEDOUT)
      break;
  }
  pthread_mutex_unlock(&s->lock);
}

void srv_free(srv *s)
{
  if (!s)
    return;
  if (s->n_workers || s->reaper_running) {
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->work_cv);
    pthread_cond_broadcast(&s->reap_cv);
    pthread_mutex_unlock(&s->lock);
    for (unsigned i = 0; i < s->n_workers; i++)
      pthread_join(s->workers[i], NULL);
    if (s->reaper_running)
      pthread_join(s->reaper, NULL);
  }
  if (s->daemon)
    MHD_stop_daemon(s->daemon);
  if (s->quiesced_fd >= 0)
    close(s->quiesced_fd);
  if (s->unix_bound)
    unlink(s->cfg.unix_path);
  if (s->pool) {
    riptide_pool_shutdown(s->pool, s->cfg.shutdown_ms);
    riptide_pool_free(s->pool);
  }
  for (size_t i = 0; i < s->n_keys; i++) {
    explicit_bzero(s->keys[i], strlen(s->keys[i]));
    free(s->keys[i]);
  }
  free(s->keys);
  free(s->workers);
  srv_log_close(s);
  pthread_cond_destroy(&s->work_cv);
  pthread_cond_destroy(&s->idle_cv);
  pthread_cond_destroy(&s->reap_cv);
  pthread_mutex_destroy(&s->lock);
  free(s);
}
