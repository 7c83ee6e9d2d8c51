/*
 * scaleout.h - `riptide worker`, `riptide submit`, `riptide collect`: extraction fed from a
 * Redis stream (consumer groups), results to another stream. Internal to the command (prefix
 * so_ for the pieces shared between the files of src/scaleout; cli_* for the commands).
 *
 * See docs/scale-out.md for the data flow and the delivery guarantees.
 */
#ifndef RT_SCALEOUT_H
#define RT_SCALEOUT_H

#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- limits -------------------------------------------------------------------------------- */

/* Longest stream, group or consumer name accepted on the command line: names are keys, and a
 * typo'd multi-kilobyte name is a mistake, not a use. */
#define SO_MAX_NAME 200
/* Socket timeout for every command (a BLOCK read adds its own block time): a Redis that stops
 * answering for this long is treated as gone, and the connection is made again. */
#define SO_IO_TIMEOUT_MS 10000
/* Reconnect backoff: starts here, doubles, with jitter, up to the ceiling. */
#define SO_BACKOFF_MIN_MS 50
#define SO_BACKOFF_MAX_MS 2000
/* How long an idle read blocks in Redis: also the longest a SIGTERM waits for an idle slot. */
#define SO_BLOCK_MS 500

/* Heartbeat hash riptide:workers:<name>: written every SO_HEARTBEAT_MS, expires after three
 * missed beats, so a dead worker's hash disappears on its own. */
#define SO_HEARTBEAT_MS 5000
#define SO_HEARTBEAT_TTL_S 15
/* After SIGTERM, how long a slot keeps trying to reach Redis to write the result it holds. */
#define SO_DRAIN_MS 30000
/* Default --max-result: larger documents are OUTPUT_TOO_LARGE error results (Redis's own
 * bulk limit, proto-max-bulk-len, is 512 MiB). */
#define SO_DEFAULT_MAX_RESULT (16ull << 20)
/* submit: XADDs per pipelined write, and the page bytes one write may carry (memory held by
 * submit while a batch is in flight). */
#define SO_SUBMIT_BATCH 64
#define SO_SUBMIT_BATCH_BYTES (8u << 20)
/* submit --max-pending default: jobs not yet done that the jobs stream may hold. */
#define SO_DEFAULT_MAX_PENDING 10000
/* collect: entries per read (one write and one XACK per stream each). */
#define SO_COLLECT_COUNT 256

/* ---- Redis endpoint and connection (redis.c) ----------------------------------------------- */

/* A parsed --redis URL:
 *   redis://[[user]:password@]host[:port][/db]
 *   unix://[[user]:password@]/path/to/redis.sock[?db=N]
 * Strings are malloc'd; so_endpoint_clear frees them. */
typedef struct so_endpoint {
  bool is_unix;
  char *host; /* or the socket path */
  int port;
  char *user;     /* NULL: AUTH password (the default user) */
  char *password; /* NULL: no AUTH */
  int db;
} so_endpoint;

bool so_endpoint_parse(const char *url, so_endpoint *ep, char *detail, size_t dlen);
void so_endpoint_clear(so_endpoint *ep);

/* One connection, made again with backoff after any I/O error. Bound to one thread. */
typedef struct so_conn {
  const so_endpoint *ep;
  redisContext *c; /* NULL while disconnected */
  uint32_t backoff_ms;
  uint64_t reconnects; /* successful connections after the first */
  bool ever_connected;
  bool auth_failed; /* the last attempt was refused by AUTH (a configuration error) */
  char err[256];    /* why the last attempt or command failed */
  atomic_bool up;   /* connected (set by so_conn_open, cleared by a drop): read by other
                       threads, e.g. the worker's /readyz */
} so_conn;

void so_conn_init(so_conn *k, const so_endpoint *ep);
/* Connects once (socket, timeouts, AUTH, SELECT). False with k->err set on failure. */
bool so_conn_open(so_conn *k);
/* Returns true once connected, retrying with backoff while keep_going(ctx) says so; false
 * when keep_going() said stop first. Logs the first failure and the recovery on stderr
 * (prefixed with who). */
bool so_conn_ensure(so_conn *k, bool (*keep_going)(void *), void *ctx, const char *who);
void so_conn_drop(so_conn *k);
void so_conn_close(so_conn *k);
/* Sends one command and reads its reply. NULL on an I/O error (the connection is dropped and
 * k->err says why); a Redis error reply (REDIS_REPLY_ERROR) is returned as a reply. The
 * caller frees the reply with freeReplyObject. */
redisReply *so_command(so_conn *k, int argc, const char **argv, const size_t *lens);
/* Printf-style command for fixed-shape commands (hiredis format: %s, %b, %d...). */
redisReply *so_commandf(so_conn *k, const char *fmt, ...);
/* Is r an error reply starting with prefix (e.g. "NOGROUP", "BUSYGROUP")? */
bool so_reply_is_error(const redisReply *r, const char *prefix);

/* Creates the group on stream at `start` ("$" or "0") with MKSTREAM; an existing group is
 * fine. False on any other error (detail set) or an I/O error. */
bool so_group_create(so_conn *k, const char *stream, const char *group, const char *start,
                     char *detail, size_t dlen);

/* Sleeps ms milliseconds (backoff waits; never used as synchronisation). */
void so_sleep_ms(uint32_t ms);
uint64_t so_now_ms(void); /* wall clock, for heartbeats and field values */

/* A stream entry's field by name in a [field, value, ...] array reply; NULL when absent. */
const redisReply *so_field(const redisReply *fields, const char *name);

/* ---- the commands -------------------------------------------------------------------------- */

int cli_worker(int argc, char **argv);
int cli_submit(int argc, char **argv);
int cli_collect(int argc, char **argv);

#endif
