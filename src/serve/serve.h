/*
 * serve.h - internals of `riptide serve`, the HTTP extraction service (prefix srv_).
 *
 * Files, one job each:
 *   cmd.c      the command line, signals, start and graceful shutdown
 *   server.c   the libmicrohttpd daemon, routing, auth, suspend/resume, the work queue and
 *              its worker threads
 *   request.c  turning a request body and its options into a document or an error
 *   batch.c    POST /v1/extract/batch: NDJSON lines in, results streamed back in order
 *   observe.c  /v1/status, the HTTP counters added to /metrics, the access log
 *   obs.c      /healthz, /readyz, /metrics (shared with `riptide worker --listen`, obs.h), the
 *              listen address, and the small server the worker embeds
 *   openapi.c  the OpenAPI 3.1 document served at /openapi.json
 *   mhd.c      libmicrohttpd loaded with dlopen() (mhd.h)
 *
 * Like the CLI, the service uses only the public library API (include/riptide.h) for
 * extraction, plus the internal growing buffer (common/document.h) for its output.
 */
#ifndef RT_SERVE_H
#define RT_SERVE_H

#include "riptide.h"
#include "cli/cli.h"
#include "serve/obs.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct MHD_Daemon;
struct MHD_Connection;

/* Defaults and ceilings of the service's own limits (the pool's are in common/limits.h). */
#define SRV_DEFAULT_PORT 8080
#define SRV_DEFAULT_MAX_CONNECTIONS 1024      /* open sockets, idle keep-alive ones included */
#define SRV_DEFAULT_IDLE_TIMEOUT_S 30         /* a connection silent this long is closed */
#define SRV_DEFAULT_MAX_HEADER (32u << 10)    /* request line + headers must fit this */
#define SRV_DEFAULT_QUEUE_PER_SLOT 32         /* queue capacity = this * --parallel */
#define SRV_DEFAULT_MAX_WAIT_MS 10000         /* queue + permit wait before 503 */
#define SRV_DEFAULT_MAX_BUFFERED (1ull << 30) /* request bodies held at once, all connections */
#define SRV_DEFAULT_SHUTDOWN_MS 30000
/* Answers made at or past the shutdown deadline (the 503s and error lines of the sweep, the
 * requests that finished on a worker after it) get this long to be sent before every
 * connection is closed: without it they were made only to be dropped. */
#define SRV_SHUTDOWN_FLUSH_MS 2000
#define SRV_DEFAULT_FETCH_TIMEOUT_MS 30000
#define SRV_DEFAULT_BODY_TIMEOUT_MS 60000 /* a body trickling in longer than this is cut */
#define SRV_BATCH_WINDOW_PER_SLOT 4       /* results of one batch computed ahead of its stream */
#define SRV_MAX_BATCH_LINES 100000        /* lines of one batch request */
#define SRV_BATCH_SPARE 2                 /* line buffers a batch keeps for reuse... */
#define SRV_BATCH_SPARE_MIN (16u << 10)   /* ...of at least this size */
#define SRV_MAX_API_KEYS 64
#define SRV_MAX_API_KEY_LEN 256

typedef enum srv_format {
  SRV_FMT_JSON = 0, /* the document JSON, exactly as `riptide extract -f json` writes it */
  SRV_FMT_MARKDOWN,
  SRV_FMT_TEXT,
  SRV_FMT_HTML,
} srv_format;

typedef struct srv_config {
  char host[256];
  char port[8];
  char unix_path[108]; /* --listen unix:PATH: a Unix-domain socket instead of host:port */
  unsigned parallel;
  unsigned workers; /* 0 = 2 x parallel */
  unsigned queue_max;
  unsigned max_connections;
  unsigned idle_timeout_s;
  unsigned http_threads;
  uint32_t max_header;
  uint32_t max_wait_ms;
  uint32_t shutdown_ms;
  uint32_t fetch_timeout_ms;
  uint32_t body_timeout_ms;
  uint64_t max_body;     /* 0 = max_input */
  uint64_t max_buffered; /* request body bytes held at once over all connections */
  bool allow_private_fetch;
  const char *api_key_file;
  const char *access_log;
  /* pool */
  uint32_t timeout_ms;
  uint64_t memory_limit;
  uint64_t max_input;
  bool no_fallback;
  /* default extraction options (query and JSON options override them per request) */
  riptide_options opts;
} srv_config;

/* ---- request options and processing (request.c) --------------------------------------------- */

typedef struct srv_params {
  riptide_options opts;
  char *selector; /* owned; opts.selector points here */
  char *url;      /* owned: the page address, or the URL to fetch */
  char *id;       /* owned, may be NULL */
  srv_format format;
  uint32_t timeout_ms; /* fetch and queue-wait bound for this request; 0 = the server's */
  bool mode_set;
} srv_params;

void srv_params_init(srv_params *p, const srv_config *c);
void srv_params_clear(srv_params *p);
void srv_params_copy(srv_params *dst, const srv_params *src); /* deep; on OOM dst stays init'd */
/* Applies one option given as text (query string): false with msg set when invalid. */
bool srv_params_set(srv_params *p, const char *key, const char *value, char *msg, size_t mlen);
/* Final checks (selector vs mode). */
bool srv_params_check(srv_params *p, char *msg, size_t mlen);

/* The outcome of one extraction request, built on a worker thread: srv_result (obs.h). */

typedef struct srv srv;

/* The body kinds a request may have. */
typedef enum srv_body_kind {
  SRV_BODY_HTML = 0, /* raw HTML bytes, charset from Content-Type, gzip allowed */
  SRV_BODY_JSON,     /* {"html"|"url", "url", "id", "options"} */
} srv_body_kind;

/* A JSON body taken apart ahead of srv_run: its top-level "html" string decoded (`html`,
 * NUL-terminated, `hlen` bytes) and the rest of the object with "" in its place (`rest`), both
 * malloc'd. srv_json_split() makes one (false, with nothing allocated, for a body it leaves
 * to jansson whole: no "html" string, an unusual escape, bad UTF-8, ...). */
typedef struct srv_split {
  char *html, *rest;
  size_t hlen, rlen;
} srv_split;
bool srv_json_split(const char *body, size_t len, srv_split *out);
void srv_split_free(srv_split *sp);

/* How long a request may wait for a worker and a permit: --max-wait, or its timeout_ms when
 * smaller (srv_run answers 503 past it, and the reaper for requests still queued). */
uint32_t srv_wait_bound_ms(const srv *s, const srv_params *p);

/*
 * Runs one request on a worker thread: decodes the body, fetches when asked, extracts, and
 * fills r. `line` selects the batch form of the output (one compact line, errors as
 * {"id", "error"} lines). `waited_ns` is how long the request waited for a worker. A JSON
 * body already taken apart comes as `pre` (body then unused), whose buffers srv_run takes
 * over; NULL otherwise.
 */
void srv_run(srv *s, srv_body_kind kind, const char *body, size_t len, srv_split *pre,
             const char *content_type, const srv_params *base, bool line, const char *line_id,
             uint64_t waited_ns, srv_result *r);

/* An error response body {"error":{"code","message"}} (or a batch error line). */
void srv_error_body(cli_buf *b, const char *code, const char *message);
void srv_error_line(cli_buf *b, const char *id, const char *code, const char *message);

/* ---- the server (server.c) ------------------------------------------------------------------ */

typedef struct srv_route {
  const char *method;
  const char *path;
} srv_route;
/* Every route the server answers (the OpenAPI test checks the document against it). */
extern const srv_route srv_routes[];
extern const size_t srv_n_routes;

typedef struct srv_batch srv_batch;

/* A unit of work in the queue: a single request, or a batch with lines left to claim. */
typedef struct srv_job {
  struct srv_job *next;
  struct srv_req *req; /* single request, or NULL */
  srv_batch *batch;    /* batch, or NULL */
} srv_job;

/* HTTP counters and the request-latency histogram (observe.c). */
#define SRV_N_STATUS 16
typedef struct srv_stats {
  _Atomic uint64_t requests[32][SRV_N_STATUS]; /* [route index or 31 = other][status slot] */
  _Atomic uint64_t latency_buckets[RIPTIDE_HIST_BUCKETS];
  _Atomic uint64_t latency_count;
  _Atomic uint64_t latency_sum_ns;
  _Atomic uint64_t bytes_in, bytes_out;
  _Atomic uint64_t rejected_queue_full, rejected_saturated;
} srv_stats;

struct srv {
  srv_config cfg;
  riptide_pool *pool;
  struct MHD_Daemon *daemon;
  uint16_t bound_port;
  bool unix_bound; /* cfg.unix_path was created by srv_start: removed at shutdown */
  int quiesced_fd; /* the listening socket after srv_shutdown stopped it; -1: none */

  /* Lock order: srv.lock, then libmicrohttpd's internal mutex (MHD_suspend_connection is
   * called under srv.lock so that a worker's resume can never come before the suspend);
   * nothing else is taken under srv.lock. */
  pthread_mutex_t lock;
  pthread_cond_t work_cv; /* workers wait here for jobs; shutdown broadcasts */
  pthread_cond_t idle_cv; /* shutdown waits here for active requests to reach 0 */
  pthread_cond_t reap_cv; /* the reaper waits here for the next queued request's deadline */
  srv_job *head, *tail;   /* guarded by lock */
  unsigned queued;        /* guarded by lock: jobs in the queue */
  unsigned active;        /* guarded by lock: requests begun and not completed */
  unsigned busy;          /* guarded by lock: workers running a request or a batch line */
  bool stopping;          /* guarded by lock: workers exit once the queue is empty */
  uint64_t reap_at_ns;    /* guarded by lock: when the reaper wakes next (UINT64_MAX: idle) */
  pthread_t *workers;
  unsigned n_workers;
  pthread_t reaper; /* answers 503 to requests queued past --max-wait (server.c) */
  bool reaper_running;

  _Atomic bool shutting_down; /* set first at SIGTERM: new requests get 503 */
  _Atomic uint64_t buffered;  /* body bytes reserved by requests not yet completed */
  _Atomic uint64_t next_id;
  char id_prefix[12];

  /* API keys (read-only after start). */
  char **keys;
  size_t n_keys;

  srv_stats stats;

  /* Access log: stderr or --access-log FILE, reopened on SIGHUP. */
  int log_fd; /* 2 (stderr) or --access-log's file, opened again in place (dup2) by SIGHUP */
};

int srv_main(int argc, char **argv);
srv *srv_new(const srv_config *c, char *msg, size_t mlen);
/* Waits for active requests to finish (up to the shutdown timeout), then stops everything. */
void srv_shutdown(srv *s);
void srv_free(srv *s);
/* Starts the daemon; the bound port is in s->bound_port. */
bool srv_start(srv *s, char *msg, size_t mlen);
/* Pushes a job (lock held by the caller); false when the queue is full. */
bool srv_enqueue_locked(srv *s, srv_job *j);
uint64_t srv_now_ns(void);

/* ---- batch (batch.c) ------------------------------------------------------------------------ */

typedef struct srv_batch_line {
  char *in;        /* the input line (owned; freed or given back to `spare` once run) */
  size_t len, cap; /* its length, and the size allocated */
  srv_split pre;   /* or, in its place (in NULL), the line taken apart by the network thread */
  size_t lineno;   /* 1-based line number in the body: the default id */
  cli_buf out;     /* the output line, once done */
  bool done;
} srv_batch_line;

/* Every field below `job` is guarded by srv.lock (workers and the network thread share it),
 * except `part`, `lineno` and `backlog`, which are the network thread's. */
struct srv_batch {
  srv_job job; /* the queue entry */
  srv *s;
  struct MHD_Connection *conn;
  srv_params base;        /* the query's options (read-only once made) */
  srv_batch_line **lines; /* the lines received so far (each allocated on its own) */
  size_t n, cap;
  size_t n_done;     /* lines done (run, or given an error line) */
  size_t next_claim; /* next line a worker takes */
  size_t next_emit;  /* next line the stream sends */
  size_t emit_off;   /* bytes of lines[next_emit]->out already sent */
  size_t window;     /* lines received and not done, and lines done ahead of the stream */
  unsigned running;  /* lines being run by workers */
  bool queued;       /* in the work queue */
  bool net;          /* the request still holds it (until on_completed) */
  bool complete;     /* the whole body is in: no more lines */
  bool aborted;      /* the shutdown swept it: lines not run get SHUTTING_DOWN error lines */
  bool paused;       /* the upload is suspended until fewer than `window` lines are held */
  bool waiting;      /* the stream is suspended until lines[next_emit] is done */
  uint64_t bytes_out;
  cli_buf spare[SRV_BATCH_SPARE]; /* buffers of lines run, for the next lines to arrive */
  unsigned n_spare;
  cli_buf part;   /* network thread: the line being received */
  size_t lineno;  /* network thread: lines seen, blank ones included */
  size_t backlog; /* network thread: lines not yet claimed when it last appended one */
};

typedef enum srv_batch_feed_result {
  SRV_FEED_OK = 0,
  SRV_FEED_PAUSED,   /* the connection was suspended: too many lines held */
  SRV_FEED_TOO_MANY, /* over SRV_MAX_BATCH_LINES */
  SRV_FEED_NOMEM,
} srv_batch_feed_result;

/* An empty batch for a request whose headers are in; NULL on out-of-memory. */
srv_batch *srv_batch_new(srv *s, const srv_params *base, struct MHD_Connection *conn);
/* Network thread: appends the complete lines of data (the end of the body when `last`) and
 * keeps a partial one; with may_pause, suspends the connection when `window` lines are held. */
srv_batch_feed_result srv_batch_feed(srv_batch *b, const char *data, size_t len, bool last,
                                     bool may_pause);
/* The body is complete: no more lines (call after the last feed). */
void srv_batch_complete(srv_batch *b);
bool srv_batch_claim_locked(srv_batch *b, srv_batch_line **line);
bool srv_batch_fully_claimed_locked(const srv_batch *b);
/* Runs a claimed line on a worker (no lock held), stores its output, resumes the connection. */
void srv_batch_run_line(srv *s, srv_batch *b, srv_batch_line *line);
/* The streaming response (network thread). */
struct MHD_Response *srv_batch_response(srv_batch *b);
/* The request lets go of the batch (on_completed, or a batch never started); frees it when
 * no worker runs one of its lines. Takes srv.lock. */
void srv_batch_release(srv *s, srv_batch *b);
/* A worker unlinked the batch from the queue (lock held); true when the caller must
 * srv_batch_destroy() it after unlocking. */
bool srv_batch_dequeued_locked(srv_batch *b);
void srv_batch_destroy(srv_batch *b);
/* Shutdown past the deadline: the lines not yet claimed (and any still to arrive) get
 * SHUTTING_DOWN error lines. Returns the connection to resume (after unlocking) or NULL. */
struct MHD_Connection *srv_batch_abort_locked(srv_batch *b);

/* ---- observability (observe.c) -------------------------------------------------------------- */

typedef struct srv_log_entry {
  const char *request_id;
  const char *method;
  const char *path;
  unsigned status;
  uint64_t bytes_in, bytes_out;
  uint64_t latency_ns;
  const char *engine;
  const char *error_code;
  size_t batch_lines;
} srv_log_entry;

bool srv_log_open(srv *s, char *msg, size_t mlen);
void srv_log_reopen(srv *s);
void srv_log_close(srv *s);
void srv_log_request(srv *s, const srv_log_entry *e);
void srv_stats_count(srv *s, int route, unsigned status, uint64_t latency_ns);

/* GET handlers: fill status and body (JSON or text), mime. */
void srv_get_healthz(srv *s, srv_result *r);
void srv_get_readyz(srv *s, srv_result *r);
void srv_get_metrics(srv *s, srv_result *r);
void srv_get_status(srv *s, srv_result *r);
void srv_get_index(srv *s, srv_result *r);

/* ---- OpenAPI (openapi.c) -------------------------------------------------------------------- */

/* The OpenAPI document, in parts to concatenate (NULL-terminated). */
extern const char *const srv_openapi_parts[];

#endif
