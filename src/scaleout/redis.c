/*
 * redis.c - the --redis URL, one connection with AUTH and SELECT, and reconnection with
 * exponential backoff. Every scale-out command talks to Redis through so_conn.
 *
 * DESIGN: a so_conn is bound to one thread (hiredis contexts are not thread-safe); a process
 * that works from several threads opens one per thread. Any I/O error drops the context, and
 * the next so_conn_ensure() connects again, waiting SO_BACKOFF_MIN_MS doubling to
 * SO_BACKOFF_MAX_MS (with jitter, so a fleet of workers does not reconnect in lockstep after
 * a Redis restart). Whether a command that was in flight when the connection broke took
 * effect is unknown to this layer: the callers make their writes idempotent (see worker.c).
 */
#include "scaleout/scaleout.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void so_sleep_ms(uint32_t ms)
{
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

uint64_t so_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- URL ----------------------------------------------------------------------------------- */

static int hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* A malloc'd copy of s[0..n) with %XX decoded; NULL on a bad escape or out of memory. */
static char *pct_decode(const char *s, size_t n)
{
  char *out = malloc(n + 1);
  if (!out)
    return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%') {
      if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
        free(out);
        return NULL;
      }
      char ch = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      if (ch == '\0') {
        free(out);
        return NULL;
      }
      out[o++] = ch;
      i += 2;
    } else {
      out[o++] = s[i];
    }
  }
  out[o] = '\0';
  return out;
}

static bool parse_int(const char *s, size_t n, long lo, long hi, int *out)
{
  if (n == 0 || n > 10)
    return false;
  long v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (s[i] - '0');
  }
  if (v < lo || v > hi)
    return false;
  *out = (int)v;
  return true;
}

/* userinfo "[user]:password" (or "password" alone, as redis-cli takes it) */
static bool parse_userinfo(const char *s, size_t n, so_endpoint *ep)
{
  const char *colon = memchr(s, ':', n);
  if (colon) {
    if (colon > s && !(ep->user = pct_decode(s, (size_t)(colon - s))))
      return false;
    ep->password = pct_decode(colon + 1, n - (size_t)(colon + 1 - s));
  } else {
    ep->password = pct_decode(s, n);
  }
  return ep->password != NULL;
}

bool so_endpoint_parse(const char *url, so_endpoint *ep, char *detail, size_t dlen)
{
  memset(ep, 0, sizeof *ep);
  ep->port = 6379;
  const char *rest;
  if (!strncmp(url, "redis://", 8)) {
    rest = url + 8;
  } else if (!strncmp(url, "unix://", 7)) {
    rest = url + 7;
    ep->is_unix = true;
  } else {
    snprintf(detail, dlen,
             "--redis wants redis://[:password@]host[:port][/db] or "
             "unix://[:password@]/path/redis.sock, not '%s'",
             url);
    return false;
  }
  /* userinfo: up to the last '@' before the path */
  const char *at = NULL;
  for (const char *p = rest; *p && *p != '/'; p++)
    if (*p == '@')
      at = p;
  if (at) {
    if (!parse_userinfo(rest, (size_t)(at - rest), ep)) {
      snprintf(detail, dlen, "bad user or password in --redis URL");
      goto fail;
    }
    rest = at + 1;
  }
  if (ep->is_unix) {
    if (rest[0] != '/') {
      snprintf(detail, dlen, "unix:// URL wants an absolute socket path (unix:///path)");
      goto fail;
    }
    const char *q = strchr(rest, '?');
    size_t plen = q ? (size_t)(q - rest) : strlen(rest);
    if (plen >= 108) { /* sun_path */
      snprintf(detail, dlen, "unix socket path longer than 107 bytes");
      goto fail;
    }
    if (!(ep->host = pct_decode(rest, plen))) {
      snprintf(detail, dlen, "bad unix socket path");
      goto fail;
    }
    if (q) {
      if (strncmp(q, "?db=", 4) != 0 || !parse_int(q + 4, strlen(q + 4), 0, 100000, &ep->db)) {
        snprintf(detail, dlen, "unix:// URL takes only ?db=N, not '%s'", q);
        goto fail;
      }
    }
    return true;
  }
  const char *slash = strchr(rest, '/');
  size_t hlen = slash ? (size_t)(slash - rest) : strlen(rest);
  const char *hs = rest, *ps = NULL;
  size_t hn = hlen, pn = 0;
  if (hlen && rest[0] == '[') { /* [IPv6]:port */
    const char *rb = memchr(rest, ']', hlen);
    if (!rb) {
      snprintf(detail, dlen, "bad IPv6 address in --redis URL");
      goto fail;
    }
    hs = rest + 1;
    hn = (size_t)(rb - rest - 1);
    if (rb + 1 < rest + hlen) {
      if (rb[1] != ':') {
        snprintf(detail, dlen, "bad host in --redis URL");
        goto fail;
      }
      ps = rb + 2;
      pn = (size_t)(rest + hlen - ps);
    }
  } else {
    const char *colon = memchr(rest, ':', hlen);
    if (colon) {
      hn = (size_t)(colon - rest);
      ps = colon + 1;
      pn = (size_t)(rest + hlen - ps);
    }
  }
  if (hn == 0) {
    snprintf(detail, dlen, "no host in --redis URL '%s'", url);
    goto fail;
  }
  if (ps && !parse_int(ps, pn, 1, 65535, &ep->port)) {
    snprintf(detail, dlen, "bad port in --redis URL '%s'", url);
    goto fail;
  }
  if (!(ep->host = pct_decode(hs, hn))) {
    snprintf(detail, dlen, "bad host in --redis URL");
    goto fail;
  }
  if (slash && slash[1] && !parse_int(slash + 1, strlen(slash + 1), 0, 100000, &ep->db)) {
    snprintf(detail, dlen, "bad database number in --redis URL '%s'", url);
    goto fail;
  }
  return true;
fail:
  so_endpoint_clear(ep);
  return false;
}

void so_endpoint_clear(so_endpoint *ep)
{
  free(ep->host);
  free(ep->user);
  free(ep->password);
  memset(ep, 0, sizeof *ep);
}

/* ---- connection ---------------------------------------------------------------------------- */

void so_conn_init(so_conn *k, const so_endpoint *ep)
{
  memset(k, 0, sizeof *k);
  k->ep = ep;
  atomic_init(&k->up, false);
}

void so_conn_drop(so_conn *k)
{
  atomic_store(&k->up, false);
  if (k->c) {
    if (k->c->err && !k->err[0])
      snprintf(k->err, sizeof k->err, "%s", k->c->errstr);
    redisFree(k->c);
    k->c = NULL;
  }
}

void so_conn_close(so_conn *k)
{
  so_conn_drop(k);
}

bool so_conn_open(so_conn *k)
{
  so_conn_drop(k);
  k->err[0] = '\0';
  k->auth_failed = false;
  const so_endpoint *ep = k->ep;
  struct timeval tv = {.tv_sec = SO_IO_TIMEOUT_MS / 1000, .tv_usec = 0};
  redisContext *c = ep->is_unix ? redisConnectUnixWithTimeout(ep->host, tv)
                                : redisConnectWithTimeout(ep->host, ep->port, tv);
  if (!c) {
    snprintf(k->err, sizeof k->err, "out of memory");
    return false;
  }
  if (c->err) {
    snprintf(k->err, sizeof k->err, "%s", c->errstr);
    redisFree(c);
    return false;
  }
  redisSetTimeout(c, tv);
  if (!ep->is_unix)
    redisEnableKeepAlive(c);
  k->c = c;
  if (ep->password) {
    redisReply *r = ep->user ? so_commandf(k, "AUTH %s %s", ep->user, ep->password)
                             : so_commandf(k, "AUTH %s", ep->password);
    if (!r)
      return false;
    if (r->type == REDIS_REPLY_ERROR) {
      snprintf(k->err, sizeof k->err, "AUTH refused: %s", r->str);
      k->auth_failed = true;
      freeReplyObject(r);
      so_conn_drop(k);
      return false;
    }
    freeReplyObject(r);
  }
  if (ep->db) {
    redisReply *r = so_commandf(k, "SELECT %d", ep->db);
    if (!r)
      return false;
    bool bad = r->type == REDIS_REPLY_ERROR;
    if (bad)
      snprintf(k->err, sizeof k->err, "SELECT %d: %s", ep->db, r->str);
    freeReplyObject(r);
    if (bad) {
      so_conn_drop(k);
      return false;
    }
  }
  /* A restarted Redis accepts connections while it loads its data and answers LOADING to
   * everything else until done: not connected yet, as far as the callers are concerned. */
  redisReply *r = so_commandf(k, "PING");
  if (!r)
    return false;
  bool ready = r->type != REDIS_REPLY_ERROR;
  if (!ready) {
    snprintf(k->err, sizeof k->err, "%s", r->str);
    k->auth_failed = so_reply_is_error(r, "NOAUTH"); /* a password is needed */
  }
  freeReplyObject(r);
  if (!ready)
    so_conn_drop(k);
  else
    atomic_store(&k->up, true);
  return ready;
}

bool so_conn_ensure(so_conn *k, bool (*keep_going)(void *), void *ctx, const char *who)
{
  if (k->c && !k->c->err)
    return true;
  so_conn_drop(k);
  bool logged = false;
  for (;;) {
    if (so_conn_open(k)) {
      if (k->ever_connected)
        k->reconnects++;
      if (logged)
        fprintf(stderr, "riptide %s: connected to Redis again\n", who);
      k->ever_connected = true;
      k->backoff_ms = 0;
      return true;
    }
    /* A refused password at start is a configuration error, not an outage. */
    if (k->auth_failed && !k->ever_connected)
      return false;
    if (!logged && who) {
      fprintf(stderr, "riptide %s: Redis: %s; retrying with backoff\n", who, k->err);
      logged = true;
    }
    if (!keep_going(ctx))
      return false;
    k->backoff_ms = k->backoff_ms ? k->backoff_ms * 2 : SO_BACKOFF_MIN_MS;
    if (k->backoff_ms > SO_BACKOFF_MAX_MS)
      k->backoff_ms = SO_BACKOFF_MAX_MS;
    /* jitter: 75 % to 125 % of the step */
    uint32_t j =
        (uint32_t)(((uint64_t)rand() * (k->backoff_ms / 2 + 1)) / ((uint64_t)RAND_MAX + 1));
    so_sleep_ms(k->backoff_ms - k->backoff_ms / 4 + j);
    if (!keep_going(ctx))
      return false;
  }
}

static redisReply *finish(so_conn *k, void *r)
{
  if (!r) {
    snprintf(k->err, sizeof k->err, "%s", k->c && k->c->err ? k->c->errstr : "connection lost");
    so_conn_drop(k);
    return NULL;
  }
  return r;
}

redisReply *so_command(so_conn *k, int argc, const char **argv, const size_t *lens)
{
  if (!k->c)
    return NULL;
  return finish(k, redisCommandArgv(k->c, argc, argv, lens));
}

redisReply *so_commandf(so_conn *k, const char *fmt, ...)
{
  if (!k->c)
    return NULL;
  va_list ap;
  va_start(ap, fmt);
  void *r = redisvCommand(k->c, fmt, ap);
  va_end(ap);
  return finish(k, r);
}

bool so_reply_is_error(const redisReply *r, const char *prefix)
{
  return r && r->type == REDIS_REPLY_ERROR && r->str &&
         strncmp(r->str, prefix, strlen(prefix)) == 0;
}

bool so_group_create(so_conn *k, const char *stream, const char *group, const char *start,
                     char *detail, size_t dlen)
{
  redisReply *r = so_commandf(k, "XGROUP CREATE %s %s %s MKSTREAM", stream, group, start);
  if (!r) {
    snprintf(detail, dlen, "%s", k->err);
    return false;
  }
  bool ok = r->type != REDIS_REPLY_ERROR || so_reply_is_error(r, "BUSYGROUP");
  if (!ok)
    snprintf(detail, dlen, "XGROUP CREATE %s %s: %s", stream, group, r->str);
  freeReplyObject(r);
  return ok;
}

const redisReply *so_field(const redisReply *fields, const char *name)
{
  if (!fields || fields->type != REDIS_REPLY_ARRAY)
    return NULL;
  size_t n = strlen(name);
  for (size_t i = 0; i + 1 < fields->elements; i += 2) {
    const redisReply *f = fields->element[i];
    if (f->type == REDIS_REPLY_STRING && f->len == n && memcmp(f->str, name, n) == 0)
      return fields->element[i + 1]->type == REDIS_REPLY_STRING ? fields->element[i + 1] : NULL;
  }
  return NULL;
}
