/*
 * worker.c - `riptide worker`: takes jobs from a Redis stream through a consumer group,
 * extracts them in the instance pool, and writes one result per job.
 *
 * DESIGN
 *  Threads: the main thread owns signals and the heartbeat; `parallel` slot threads each own
 *  one Redis connection and at most one job at a time, and the pool has exactly `parallel`
 *  permits. A slot reads (XREADGROUP COUNT 1) only when it has nothing in hand, so the worker
 *  never holds more un-acknowledged jobs than it has slots (backpressure: a busy worker
 *  leaves the jobs to others).
 *
 *  One job, one result: the result is written by one Lua script (atomic like MULTI/EXEC) that
 *  first checks the job is still pending in the group (XPENDING), then XADDs the result, XACKs
 *  the job and XDELs it from the jobs stream. The check makes the write idempotent: a script
 *  sent again after a lost reply, or the second of two workers that ran a reclaimed job (one
 *  slow, one that claimed it after --claim-idle), adds nothing. A crash before the script runs
 *  leaves the job pending (never acked without its result); XAUTOCLAIM gives it to another
 *  worker after --claim-idle. A job delivered more than --max-deliveries times goes to the
 *  dead-letter stream by the same script, so it is also acked exactly once.
 *
 *  Round trips: the result script and the next XREADGROUP go out in one write (pipelined), so
 *  a job costs one round trip in the steady state.
 *
 *  Shared state: `stop` and the counters are atomics; the XAUTOCLAIM cursor and schedule are
 *  guarded by claim_lock, which is never held across a Redis call. The pool is thread-safe.
 *  SIGTERM/SIGINT are blocked in every thread and taken by the main thread with sigtimedwait:
 *  it sets `stop`, slots finish the job in hand, write and ack it, and exit; an idle slot
 *  notices within SO_BLOCK_MS. A slot that cannot reach Redis to write its result keeps trying
 *  (forever while running, up to the drain deadline after a stop); a result it gives up on
 *  leaves its job pending for another worker, so nothing is lost either way.
 */
#include "scaleout/scaleout.h"

#include "cli/cli.h"
#include "serve/obs.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Checks the job is still pending, adds the result, acks and deletes the job.
 * KEYS: jobs stream, output stream. ARGV: group, job entry id, MAXLEN (0: none), field, value...
 * Returns 1 when the result was written, 0 when the job was no longer pending. */
static const char RESULT_SCRIPT[] =
    "local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)\n"
    "if #p == 0 then return 0 end\n"
    "local a = {'XADD', KEYS[2]}\n"
    "if ARGV[3] ~= '0' then a[#a+1] = 'MAXLEN'; a[#a+1] = '~'; a[#a+1] = ARGV[3] end\n"
    "a[#a+1] = '*'\n"
    "for i = 4, #ARGV do a[#a+1] = ARGV[i] end\n"
    "redis.call(unpack(a))\n"
    "redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])\n"
    "redis.call('XDEL', KEYS[1], ARGV[2])\n"
    "return 1\n";

typedef struct wcfg {
  so_endpoint ep;
  const char *stream, *results, *dead, *group;
  char consumer[SO_MAX_NAME + 1];
  uint32_t claim_idle_ms;
  unsigned max_deliveries;
  uint64_t results_maxlen;
  uint64_t max_result;
  cli_config cc; /* pool settings and the default extraction options */
  bool listen;   /* --listen: serve /healthz, /readyz, /metrics (src/serve/obs.c) */
  char listen_host[256];
  char listen_port[8];
} wcfg;

struct slot;

typedef struct worker {
  wcfg *cfg;
  cli_engine eng;
  atomic_bool stop;
  _Atomic uint64_t drain_deadline_ms; /* set with stop */
  _Atomic uint64_t n_ok, n_error, n_dead, n_claimed, n_superseded, n_busy, n_reconnects,
      n_abandoned;
  _Atomic uint64_t n_round_trips; /* of the slots: one per write that waited for replies */
  pthread_mutex_t claim_lock;
  char cursor[64];          /* guarded by claim_lock: the XAUTOCLAIM scan position */
  uint64_t next_claim_ms;   /* guarded by claim_lock */
  bool claiming;            /* guarded by claim_lock: one slot scans at a time */
  struct slot *slots;       /* set before the listener starts; read by /readyz and /metrics */
  _Atomic unsigned n_slots; /* slots whose thread runs */
} worker;

typedef struct slot {
  worker *w;
  so_conn k;
  pthread_t th;
} slot;

/* ---- one job -------------------------------------------------------------------------------- */

typedef struct result {
  bool dead;
  bool ok;
  char *payload; /* document JSON or error JSON; malloc'd */
} result;

static char *error_json(riptide_err err, const char *code_name, char *detail)
{
  cli_utf8_clean(detail);
  json_t *o = json_pack("{s:s, s:s}", "code", code_name ? code_name : riptide_err_name(err),
                        "message", detail[0] ? detail : riptide_strerror(err));
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  return s;
}

static bool all_space(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\f')
      return false;
  return true;
}

/* The job's `options` (JSON object, the names of the HTTP API) over the worker's defaults.
 * *keep holds the parsed JSON (the selector points into it) until the caller decrefs it. */
static riptide_err parse_options(const char *s, riptide_options *o, json_t **keep, char *detail,
                                 size_t dlen)
{
  json_error_t je;
  json_t *root = json_loads(s, JSON_REJECT_DUPLICATES, &je);
  if (!root || !json_is_object(root)) {
    snprintf(detail, dlen, "bad options: %s", root ? "not a JSON object" : je.text);
    json_decref(root);
    return RIPTIDE_ERR_BAD_INPUT;
  }
  *keep = root;
  const char *key;
  json_t *v;
  bool mode_set = false;
  json_object_foreach(root, key, v)
  {
    bool *flag = NULL;
    if (!strcmp(key, "mode")) {
      if (!json_is_string(v) || riptide_mode_parse(json_string_value(v), &o->mode) != RIPTIDE_OK) {
        snprintf(detail, dlen, "bad options: mode is article, full, metadata or custom");
        return RIPTIDE_ERR_BAD_INPUT;
      }
      mode_set = true;
      continue;
    }
    if (!strcmp(key, "selector")) {
      if (!json_is_string(v)) {
        snprintf(detail, dlen, "bad options: selector is a string");
        return RIPTIDE_ERR_BAD_INPUT;
      }
      o->selector = json_string_value(v);
      continue;
    }
    if (!strcmp(key, "links"))
      flag = &o->want_links;
    else if (!strcmp(key, "images"))
      flag = &o->want_media;
    else if (!strcmp(key, "tables"))
      flag = &o->want_tables;
    else if (!strcmp(key, "html"))
      flag = &o->want_html;
    else if (!strcmp(key, "markdown"))
      flag = &o->want_markdown;
    if (!flag) {
      snprintf(detail, dlen, "bad options: unknown option '%.100s'", key);
      return RIPTIDE_ERR_BAD_INPUT;
    }
    if (!json_is_boolean(v)) {
      snprintf(detail, dlen, "bad options: %s is true or false", key);
      return RIPTIDE_ERR_BAD_INPUT;
    }
    *flag = json_is_true(v);
  }
  if (o->selector && !mode_set)
    o->mode = RIPTIDE_MODE_CUSTOM;
  if (o->mode == RIPTIDE_MODE_CUSTOM && (!o->selector || !*o->selector)) {
    snprintf(detail, dlen, "bad options: mode custom needs a selector");
    return RIPTIDE_ERR_BAD_INPUT;
  }
  return RIPTIDE_OK;
}

/* json (malloc'd, consumed) with "warc_date" and "warc_file" added as extract adds them;
 * NULL when out of memory. */
static char *with_warc_fields(char *json, const char *warc_date, const char *warc_file)
{
  cli_buf b = {0};
  cli_buf_puts(&b, json);
  free(json);
  if (!cli_add_warc_fields(&b, false, warc_date, warc_file)) {
    cli_buf_free(&b);
    return NULL;
  }
  return b.p;
}

/* A decimal field of a job (warc_payload_at...): false when it is missing or not a number. */
static bool u64_field(const redisReply *f, uint64_t *v)
{
  if (!f || f->len == 0 || f->len > 20 || strspn(f->str, "0123456789") != f->len)
    return false;
  errno = 0;
  unsigned long long x = strtoull(f->str, NULL, 10);
  *v = x;
  return errno == 0;
}

/* A WARC page sent as its record's gzip member (warc_member, docs/scale-out.md), inflated here
 * as `extract`'s workers inflate a deferred page: *raw and *len are the page, in *mem
 * (riptide_free). A damaged member is the job's error, named as extract names that record's
 * error line (warc_error_id: the record's id, or FILE@OFFSET for a record without one), so *id
 * may be replaced. */
static riptide_err inflate_member(const redisReply *fields, uint64_t max, char **id, char **raw,
                                  size_t *len, void **mem, char *detail, size_t dlen)
{
  const redisReply *f_member = so_field(fields, "warc_member"),
                   *f_errid = so_field(fields, "warc_error_id");
  uint64_t at, plen, off;
  if (!u64_field(so_field(fields, "warc_payload_at"), &at) ||
      !u64_field(so_field(fields, "warc_payload_len"), &plen) ||
      !u64_field(so_field(fields, "warc_offset"), &off) || at > SIZE_MAX || plen > SIZE_MAX) {
    snprintf(detail, dlen,
             "warc_member without warc_payload_at, warc_payload_len and warc_offset numbers");
    return RIPTIDE_ERR_BAD_INPUT;
  }
  if (plen > max) {
    snprintf(detail, dlen, "input exceeds %llu bytes", (unsigned long long)max);
    return RIPTIDE_ERR_INPUT_TOO_LARGE;
  }
  riptide_warc_body *b = NULL;
  riptide_err err = riptide_warc_body_from_member(f_member->str, f_member->len, (size_t)at,
                                                  (size_t)plen, off, max, &b);
  if (err == RIPTIDE_OK)
    err = riptide_warc_body_inflate(b, raw, len, mem, detail, dlen);
  else
    snprintf(detail, dlen, "%s", riptide_strerror(err));
  riptide_warc_body_free(b);
  if (err == RIPTIDE_ERR_BAD_INPUT && f_errid && f_errid->len) {
    char *named = strndup(f_errid->str, f_errid->len);
    if (named) {
      cli_utf8_clean(named);
      free(*id);
      *id = named;
    }
  }
  return err;
}

/* A job for an input submit could not read (input_error: a code's name, as in schema.md;
 * input_error_message): its result is that error, extract's line for the input. A name that
 * is no code is the job's BAD_INPUT. */
static riptide_err input_error(const redisReply *fields, const redisReply *code, char *detail,
                               size_t dlen)
{
  riptide_err err = RIPTIDE_OK;
  if (strlen(code->str) == code->len) {
#define SO_ERR_BY_NAME(name, num, cls, msg)                                                        \
  if (strcmp(code->str, #name) == 0)                                                               \
    err = RIPTIDE_ERR_##name;
    RIPTIDE_ERRORS(SO_ERR_BY_NAME)
#undef SO_ERR_BY_NAME
  }
  if (err == RIPTIDE_OK) {
    snprintf(detail, dlen, "input_error is not an error code: '%.60s'", code->str);
    return RIPTIDE_ERR_BAD_INPUT;
  }
  const redisReply *m = so_field(fields, "input_error_message");
  snprintf(detail, dlen, "%s", m ? m->str : ""); /* cut as extract cuts it (512 bytes) */
  return err;
}

/* Runs one job; *id (malloc'd) is the result's id, which a WARC member's error may rename. */
static void process_job(worker *w, const redisReply *fields, char **id, result *res)
{
  const wcfg *cfg = w->cfg;
  char detail[512] = "";
  riptide_options o = cfg->cc.opts;
  json_t *opts_json = NULL;
  riptide_fetch_result fr = {0};
  const char *raw = NULL;
  size_t raw_len = 0;
  void *member_mem = NULL; /* a WARC member's inflated page, which raw points into */
  char *page = NULL;       /* that page, writable: decoded in place as extract decodes it */
  const char *url = NULL, *content_type = NULL;
  char *html = NULL;
  size_t html_len = 0;
  riptide_document *doc = NULL;
  uint64_t max = cfg->cc.max_input ? cfg->cc.max_input : (64ull << 20);
  riptide_err err = RIPTIDE_OK;

  const redisReply *f_html = so_field(fields, "html"), *f_url = so_field(fields, "url"),
                   *f_base = so_field(fields, "base_url"), *f_enc = so_field(fields, "encoding"),
                   *f_opts = so_field(fields, "options"),
                   *f_ctype = so_field(fields, "content_type"),
                   *f_wdate = so_field(fields, "warc_date"),
                   *f_wfile = so_field(fields, "warc_file"),
                   *f_member = so_field(fields, "warc_member"),
                   *f_ierr = so_field(fields, "input_error");
  if (f_ierr) /* nothing else of the job is looked at */
    err = input_error(fields, f_ierr, detail, sizeof detail);
  if (err == RIPTIDE_OK && f_opts)
    err = parse_options(f_opts->str, &o, &opts_json, detail, sizeof detail);
  if (err == RIPTIDE_OK && f_enc && strcmp(f_enc->str, "gzip") != 0 &&
      strcmp(f_enc->str, "identity") != 0) {
    err = RIPTIDE_ERR_BAD_INPUT;
    snprintf(detail, sizeof detail, "unknown encoding '%.60s' (gzip or identity)", f_enc->str);
  }
  if (err == RIPTIDE_OK && f_base && !cli_is_url(f_base->str)) {
    err = RIPTIDE_ERR_BAD_INPUT;
    snprintf(detail, sizeof detail, "base_url is not an http(s) URL");
  }
  if (err == RIPTIDE_OK && f_html && f_member) {
    err = RIPTIDE_ERR_BAD_INPUT;
    snprintf(detail, sizeof detail, "job has both html and warc_member");
  }
  if (err == RIPTIDE_OK) {
    if (f_html || f_member) {
      if (f_member) {
        err = inflate_member(fields, max, id, &page, &raw_len, &member_mem, detail, sizeof detail);
        raw = page;
      } else {
        raw = f_html->str;
        raw_len = f_html->len;
      }
      /* the HTTP Content-Type the page came with (a WARC record's): its charset decodes it */
      content_type = f_ctype && f_ctype->str[0] ? f_ctype->str : NULL;
      url = f_base ? f_base->str : (f_url ? f_url->str : NULL);
      if (url && !cli_is_url(url))
        url = NULL;
      if (err == RIPTIDE_OK && raw_len > max) {
        err = RIPTIDE_ERR_INPUT_TOO_LARGE;
        snprintf(detail, sizeof detail, "input exceeds %llu bytes", (unsigned long long)max);
      }
    } else if (f_url) {
      if (!cli_is_url(f_url->str)) {
        err = RIPTIDE_ERR_BAD_INPUT;
        snprintf(detail, sizeof detail, "url is not an http(s) URL");
      } else {
        /* as extract fetches; an empty body is reported below */
        err = cli_fetch_page(f_url->str, max, cfg->cc.timeout_ms, &fr, detail, sizeof detail);
        raw = fr.body;
        raw_len = fr.len;
        url = f_base ? f_base->str : fr.final_url;
        content_type = fr.content_type;
      }
    } else {
      err = RIPTIDE_ERR_BAD_INPUT;
      snprintf(detail, sizeof detail, "job has neither html nor url");
    }
  }
  if (err == RIPTIDE_OK && f_html && f_enc && !strcmp(f_enc->str, "gzip") &&
      (raw_len < 2 || (unsigned char)raw[0] != 0x1f || (unsigned char)raw[1] != 0x8b)) {
    err = RIPTIDE_ERR_DECODE;
    snprintf(detail, sizeof detail, "encoding is gzip but the data is not gzip");
  }
  if (err == RIPTIDE_OK && raw_len == 0) {
    err = RIPTIDE_ERR_BAD_INPUT;
    snprintf(detail, sizeof detail, "empty input");
  }
  if (err == RIPTIDE_OK) {
    err = page ? riptide_decode_input_inplace(page, raw_len, content_type, max, &html, &html_len)
               : riptide_decode_input(raw, raw_len, content_type, max, &html, &html_len);
    if (err == RIPTIDE_ERR_BAD_INPUT)
      snprintf(detail, sizeof detail, "binary data, not HTML");
    else if (err == RIPTIDE_ERR_INPUT_TOO_LARGE)
      snprintf(detail, sizeof detail, "decoded input exceeds %llu bytes", (unsigned long long)max);
    else if (err == RIPTIDE_ERR_DECODE)
      snprintf(detail, sizeof detail, "corrupt compressed data or undecodable charset");
  }
  if (err == RIPTIDE_OK && all_space(html, html_len)) {
    err = RIPTIDE_ERR_BAD_INPUT;
    snprintf(detail, sizeof detail, "empty input (whitespace only)");
  }
  if (err == RIPTIDE_OK) {
    atomic_fetch_add(&w->n_busy, 1);
    err = cli_engine_extract(&w->eng, html, html_len, url, &o, &doc);
    atomic_fetch_sub(&w->n_busy, 1);
  }
  if (html != page)
    free(html);
  riptide_free(member_mem);
  riptide_fetch_result_clear(&fr);
  json_decref(opts_json);
  if (err == RIPTIDE_OK) {
    res->payload = riptide_document_to_json(doc, *id, false);
    riptide_document_free(doc);
    if (res->payload && f_wfile) /* a WARC record's page: the fields extract writes too */
      res->payload = with_warc_fields(res->payload, f_wdate ? f_wdate->str : NULL, f_wfile->str);
    if (!res->payload) {
      err = RIPTIDE_ERR_NOMEM;
      snprintf(detail, sizeof detail, "out of memory formatting the document");
    } else if (strlen(res->payload) > cfg->max_result) {
      err = RIPTIDE_ERR_OUTPUT_TOO_LARGE;
      snprintf(detail, sizeof detail, "document JSON of %zu bytes exceeds --max-result %llu",
               strlen(res->payload), (unsigned long long)cfg->max_result);
      free(res->payload);
      res->payload = NULL;
    }
  }
  res->ok = err == RIPTIDE_OK;
  if (!res->ok)
    res->payload = error_json(err, NULL, detail);
}

/* ---- Redis side ------------------------------------------------------------------------------ */

static bool idle_keep_going(void *ctx)
{
  worker *w = ctx;
  return !atomic_load(&w->stop);
}

/* Before the main thread waits for signals (they are blocked): a SIGTERM/SIGINT sent while
 * the first connection is being retried stops the worker. */
static bool startup_keep_going(void *ctx)
{
  worker *w = ctx;
  sigset_t pending;
  if (sigpending(&pending) == 0 &&
      (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1))
    atomic_store(&w->stop, true);
  return !atomic_load(&w->stop);
}

static bool holding_keep_going(void *ctx)
{
  worker *w = ctx;
  return !atomic_load(&w->stop) || so_now_ms() < atomic_load(&w->drain_deadline_ms);
}

/* Keeps the reconnect count of the slot's connection in the worker's counter. */
static bool ensure(slot *s, bool (*keep_going)(void *))
{
  uint64_t before = s->k.reconnects;
  bool ok = so_conn_ensure(&s->k, keep_going, s->w, "worker");
  atomic_fetch_add(&s->w->n_reconnects, s->k.reconnects - before);
  return ok;
}

/* [id, fields] of an entry, or NULL. */
static bool entry_ok(const redisReply *e)
{
  return e && e->type == REDIS_REPLY_ARRAY && e->elements >= 2 &&
         e->element[0]->type == REDIS_REPLY_STRING;
}

/* The first entry of an XREADGROUP reply ([[stream, [[id, fields]...]]]), or NULL. */
static const redisReply *read_entry(const redisReply *r)
{
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1)
    return NULL;
  const redisReply *s = r->element[0];
  if (s->type != REDIS_REPLY_ARRAY || s->elements < 2 || s->element[1]->type != REDIS_REPLY_ARRAY ||
      s->element[1]->elements < 1)
    return NULL;
  const redisReply *e = s->element[1]->element[0];
  return entry_ok(e) ? e : NULL;
}

static void handle_group_error(slot *s, const redisReply *r, const char *what)
{
  worker *w = s->w;
  if (so_reply_is_error(r, "NOGROUP")) {
    /* The stream or the group went away (FLUSHALL, a Redis without persistence restarted):
     * make them again from the start, so no job written since is skipped. */
    char detail[256];
    if (!so_group_create(&s->k, w->cfg->stream, w->cfg->group, "0", detail, sizeof detail))
      fprintf(stderr, "riptide worker: %s\n", detail);
    return;
  }
  fprintf(stderr, "riptide worker: %s: %s\n", what, r->str);
  so_sleep_ms(SO_BACKOFF_MAX_MS); /* a persistent error reply (OOM, ACL): do not spin */
}

/* Is an XAUTOCLAIM scan due? Then the slot does not pipeline its next read after a result,
 * so that a busy queue does not keep the jobs of a dead worker waiting until it drains. */
static bool claim_due(worker *w)
{
  pthread_mutex_lock(&w->claim_lock);
  bool due = !w->claiming && so_now_ms() >= w->next_claim_ms;
  pthread_mutex_unlock(&w->claim_lock);
  return due;
}

/* XAUTOCLAIM one entry idle longer than --claim-idle, if a scan is due. On success returns
 * the reply and sets *entry and *attempts (the delivery count, this delivery included). */
static redisReply *try_claim(slot *s, const redisReply **entry, unsigned *attempts)
{
  worker *w = s->w;
  char cursor[64];
  pthread_mutex_lock(&w->claim_lock);
  uint64_t now = so_now_ms();
  bool due = !w->claiming && now >= w->next_claim_ms;
  if (due) {
    w->claiming = true;
    memcpy(cursor, w->cursor, sizeof cursor);
  }
  pthread_mutex_unlock(&w->claim_lock);
  if (!due)
    return NULL;
  char idle[24];
  snprintf(idle, sizeof idle, "%u", w->cfg->claim_idle_ms);
  const char *argv[] = {"XAUTOCLAIM", w->cfg->stream, w->cfg->group, w->cfg->consumer,
                        idle,         cursor,         "COUNT",       "1"};
  redisReply *r = so_command(&s->k, 8, argv, NULL);
  atomic_fetch_add(&w->n_round_trips, 1);
  bool got = false;
  char next[64] = "0-0";
  if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
      r->element[0]->type == REDIS_REPLY_STRING && r->element[0]->len < sizeof next) {
    memcpy(next, r->element[0]->str, r->element[0]->len + 1);
    const redisReply *es = r->element[1];
    if (es->type == REDIS_REPLY_ARRAY && es->elements >= 1 && entry_ok(es->element[0])) {
      *entry = es->element[0];
      got = true;
    }
  } else if (r && r->type == REDIS_REPLY_ERROR) {
    handle_group_error(s, r, "XAUTOCLAIM");
  }
  pthread_mutex_lock(&w->claim_lock);
  w->claiming = false;
  memcpy(w->cursor, next, sizeof next);
  /* Keep scanning while there is more to see; rest a while after a full pass found nothing. */
  uint32_t every = w->cfg->claim_idle_ms / 2;
  w->next_claim_ms = (got || strcmp(next, "0-0") != 0) ? 0
                                                       : so_now_ms() + (every < 100     ? 100
                                                                        : every > 30000 ? 30000
                                                                                        : every);
  pthread_mutex_unlock(&w->claim_lock);
  if (!got) {
    freeReplyObject(r);
    return NULL;
  }
  /* The delivery count, which XAUTOCLAIM has just increased. */
  *attempts = 2;
  const char *id = (*entry)->element[0]->str;
  redisReply *p =
      so_commandf(&s->k, "XPENDING %s %s %s %s 1", w->cfg->stream, w->cfg->group, id, id);
  atomic_fetch_add(&w->n_round_trips, 1);
  if (p && p->type == REDIS_REPLY_ARRAY && p->elements == 1 &&
      p->element[0]->type == REDIS_REPLY_ARRAY && p->element[0]->elements >= 4 &&
      p->element[0]->element[3]->type == REDIS_REPLY_INTEGER)
    *attempts = (unsigned)p->element[0]->element[3]->integer;
  freeReplyObject(p);
  atomic_fetch_add(&w->n_claimed, 1);
  return r;
}

static int read_argv(worker *w, const char **argv)
{
#define SO_STR2(x) #x
#define SO_STR(x) SO_STR2(x)
  static const char block[] = SO_STR(SO_BLOCK_MS);
  const char *a[] = {"XREADGROUP", "GROUP", w->cfg->group, w->cfg->consumer, "COUNT", "1",
                     "BLOCK",      block,   "STREAMS",     w->cfg->stream,   ">"};
  memcpy(argv, a, sizeof a);
  return 11;
}

/* Writes the result (or dead letter) of the job in hand; with pipeline_read, sends the next
 * XREADGROUP in the same write and returns its reply (NULL when there is none). */
static redisReply *deliver(slot *s, const redisReply *entry, const char *id, unsigned attempts,
                           result *res, bool pipeline_read)
{
  worker *w = s->w;
  const wcfg *cfg = w->cfg;
  const char *job = entry->element[0]->str;
  char maxlen[24], att[16];
  snprintf(maxlen, sizeof maxlen, "%llu",
           res->dead ? 0ull : (unsigned long long)cfg->results_maxlen);
  snprintf(att, sizeof att, "%u", attempts);
  const char *argv[64];
  size_t lens[64];
  int n = 0;
#define ARG(p, l) (argv[n] = (p), lens[n] = (l), n++)
#define ARGS(p) ARG(p, strlen(p))
  ARGS("EVAL");
  ARGS(RESULT_SCRIPT);
  ARGS("2");
  ARGS(cfg->stream);
  ARGS(res->dead ? cfg->dead : cfg->results);
  ARGS(cfg->group);
  ARGS(job);
  ARGS(maxlen);
  ARGS("id");
  ARGS(id);
  ARGS("job");
  ARGS(job);
  if (res->dead) {
    ARGS("status");
    ARGS("dead");
    ARGS("error");
    ARGS(res->payload);
    static const char *const keep[] = {"url",
                                       "html",
                                       "encoding",
                                       "base_url",
                                       "content_type",
                                       "warc_date",
                                       "warc_file",
                                       "warc_member",
                                       "warc_payload_at",
                                       "warc_payload_len",
                                       "warc_offset",
                                       "warc_error_id",
                                       "input_error",
                                       "input_error_message",
                                       "options"};
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
      const redisReply *f = so_field(entry->element[1], keep[i]);
      if (f) {
        ARGS(keep[i]);
        ARG(f->str, f->len);
      }
    }
  } else {
    ARGS("status");
    ARGS(res->ok ? "ok" : "error");
    ARGS(res->ok ? "document" : "error");
    ARGS(res->payload);
  }
  ARGS("worker");
  ARGS(cfg->consumer);
  ARGS("attempts");
  ARGS(att);
#undef ARG
#undef ARGS
  for (;;) {
    if (!ensure(s, holding_keep_going)) {
      atomic_fetch_add(&w->n_abandoned, 1);
      fprintf(stderr, "riptide worker: job %s left pending (Redis unreachable while stopping)\n",
              job);
      return NULL;
    }
    bool pipelined = pipeline_read && !atomic_load(&w->stop);
    const char *rargv[11];
    int rargc = read_argv(w, rargv);
    if (redisAppendCommandArgv(s->k.c, n, argv, lens) != REDIS_OK ||
        (pipelined && redisAppendCommandArgv(s->k.c, rargc, rargv, NULL) != REDIS_OK)) {
      so_conn_drop(&s->k);
      continue;
    }
    void *rv = NULL;
    atomic_fetch_add(&w->n_round_trips, 1);
    if (redisGetReply(s->k.c, &rv) != REDIS_OK || !rv) {
      so_conn_drop(&s->k);
      continue; /* sent again: the script adds nothing if it ran already */
    }
    redisReply *r = rv;
    bool again = false;
    if (r->type == REDIS_REPLY_INTEGER) {
      if (r->integer == 1)
        atomic_fetch_add(res->dead ? &w->n_dead : res->ok ? &w->n_ok : &w->n_error, 1);
      else
        atomic_fetch_add(&w->n_superseded, 1); /* done by another worker meanwhile */
    } else {
      fprintf(stderr, "riptide worker: writing the result of %s: %s\n", job,
              r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
      again = true;
    }
    freeReplyObject(r);
    if (again) {
      /* The next read's reply, if any, is read and dropped: nothing was taken by it that
       * XAUTOCLAIM will not give back. */
      if (pipelined) {
        void *x = NULL;
        if (redisGetReply(s->k.c, &x) != REDIS_OK)
          so_conn_drop(&s->k);
        freeReplyObject(x);
      }
      so_sleep_ms(SO_BACKOFF_MAX_MS);
      if (!holding_keep_going(w))
        return NULL;
      continue;
    }
    if (!pipelined)
      return NULL;
    void *nx = NULL;
    if (redisGetReply(s->k.c, &nx) != REDIS_OK || !nx) {
      so_conn_drop(&s->k); /* a job it delivered stays pending: XAUTOCLAIM gives it back */
      return NULL;
    }
    return nx;
  }
}

static char *entry_id(const redisReply *entry)
{
  const redisReply *f = so_field(entry->element[1], "id");
  char *id = f ? strdup(f->str) : strdup(entry->element[0]->str);
  if (id)
    cli_utf8_clean(id);
  return id;
}

static void *slot_main(void *arg)
{
  slot *s = arg;
  worker *w = s->w;
  redisReply *next = NULL; /* a read reply that came with the last result write */
  for (;;) {
    redisReply *r = next;
    next = NULL;
    const redisReply *entry = NULL;
    unsigned attempts = 1;
    if (r) {
      entry = read_entry(r);
    } else {
      if (atomic_load(&w->stop))
        break;
      if (!ensure(s, idle_keep_going))
        break;
      r = try_claim(s, &entry, &attempts);
      if (!r && s->k.c) {
        const char *argv[11];
        int argc = read_argv(w, argv);
        r = so_command(&s->k, argc, argv, NULL);
        atomic_fetch_add(&w->n_round_trips, 1);
        if (r && r->type == REDIS_REPLY_ERROR)
          handle_group_error(s, r, "XREADGROUP");
        entry = read_entry(r);
      }
    }
    if (!entry) {
      freeReplyObject(r);
      continue;
    }
    char *id = entry_id(entry);
    result res = {0};
    if (attempts > w->cfg->max_deliveries) {
      char detail[256];
      snprintf(detail, sizeof detail,
               "delivered %u times without a result: the workers that took it stopped or "
               "stalled past --claim-idle each time (--max-deliveries %u)",
               attempts, w->cfg->max_deliveries);
      res.dead = true;
      res.payload = error_json(RIPTIDE_ERR_INTERNAL, "DEAD_LETTER", detail);
    } else if (id && entry->element[1]->type == REDIS_REPLY_ARRAY) {
      process_job(w, entry->element[1], &id, &res);
    } else {
      char detail[] = "job entry without fields";
      res.payload = error_json(RIPTIDE_ERR_BAD_INPUT, NULL, detail);
    }
    if (!id || !res.payload) { /* out of memory: leave the job pending for a retry */
      fprintf(stderr, "riptide worker: out of memory on job %s\n", entry->element[0]->str);
      free(id);
      free(res.payload);
      freeReplyObject(r);
      so_sleep_ms(SO_BACKOFF_MAX_MS);
      continue;
    }
    next = deliver(s, entry, id, attempts, &res, !claim_due(w));
    free(id);
    free(res.payload);
    freeReplyObject(r);
  }
  freeReplyObject(next);
  so_conn_close(&s->k);
  return NULL;
}

/* ---- heartbeat ------------------------------------------------------------------------------ */

static bool never(void *ctx)
{
  (void)ctx;
  return false;
}

static void heartbeat(worker *w, so_conn *k, const char *state, uint64_t started_ms,
                      unsigned parallel)
{
  if (!so_conn_ensure(k, never, NULL, NULL))
    return;
  char key[SO_MAX_NAME + 32];
  snprintf(key, sizeof key, "riptide:workers:%s", w->cfg->consumer);
  char v[13][24];
  uint64_t vals[] = {atomic_load(&w->n_ok),
                     atomic_load(&w->n_error),
                     atomic_load(&w->n_dead),
                     atomic_load(&w->n_claimed),
                     atomic_load(&w->n_superseded),
                     atomic_load(&w->n_reconnects),
                     atomic_load(&w->n_busy),
                     parallel,
                     started_ms,
                     so_now_ms(),
                     (uint64_t)getpid(),
                     atomic_load(&w->n_round_trips)};
  for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
    snprintf(v[i], sizeof v[i], "%llu", (unsigned long long)vals[i]);
  const char *argv[] = {"HSET",       key,   "ok",        v[0],           "error",       v[1],
                        "dead",       v[2],  "claimed",   v[3],           "superseded",  v[4],
                        "reconnects", v[5],  "busy",      v[6],           "slots",       v[7],
                        "started",    v[8],  "last_seen", v[9],           "pid",         v[10],
                        "state",      state, "stream",    w->cfg->stream, "round_trips", v[11]};
  redisAppendCommandArgv(k->c, (int)(sizeof argv / sizeof *argv), argv, NULL);
  redisAppendCommand(k->c, "EXPIRE %s %d", key, SO_HEARTBEAT_TTL_S);
  for (int i = 0; i < 2; i++) {
    void *r = NULL;
    if (redisGetReply(k->c, &r) != REDIS_OK) {
      so_conn_drop(k);
      return;
    }
    freeReplyObject(r);
  }
}

/* ---- --listen: /readyz and /metrics (served by src/serve/obs.c) ---------------------------- */

static unsigned slots_connected(worker *w, unsigned *n)
{
  *n = atomic_load(&w->n_slots);
  unsigned up = 0;
  for (unsigned i = 0; i < *n; i++)
    up += atomic_load(&w->slots[i].k.up);
  return up;
}

/* Ready when every slot is connected to Redis (then the pool's conditions: warm, breaker not
 * open), until SIGTERM. */
static const char *worker_not_ready(void *ctx)
{
  worker *w = ctx;
  if (atomic_load(&w->stop))
    return "shutting down";
  unsigned n, up = slots_connected(w, &n);
  if (n == 0 || up < n)
    return "not connected to Redis";
  return NULL;
}

static void worker_metrics(void *ctx, cli_buf *b)
{
  worker *w = ctx;
  unsigned n, up = slots_connected(w, &n);
  char tmp[2048];
  snprintf(tmp, sizeof tmp,
           "# HELP riptide_worker_jobs_total Jobs this worker finished, by outcome (ok, error: "
           "result written; dead_letter: sent to the dead-letter stream; superseded: done by "
           "another worker meanwhile).\n"
           "# TYPE riptide_worker_jobs_total counter\n"
           "riptide_worker_jobs_total{outcome=\"ok\"} %llu\n"
           "riptide_worker_jobs_total{outcome=\"error\"} %llu\n"
           "riptide_worker_jobs_total{outcome=\"dead_letter\"} %llu\n"
           "riptide_worker_jobs_total{outcome=\"superseded\"} %llu\n"
           "# HELP riptide_worker_claims_total Jobs taken over from other workers (XAUTOCLAIM).\n"
           "# TYPE riptide_worker_claims_total counter\n"
           "riptide_worker_claims_total %llu\n"
           "# HELP riptide_worker_redis_reconnects_total Connections to Redis made again.\n"
           "# TYPE riptide_worker_redis_reconnects_total counter\n"
           "riptide_worker_redis_reconnects_total %llu\n"
           "# HELP riptide_worker_redis_round_trips_total Writes of the slots that waited for "
           "replies.\n"
           "# TYPE riptide_worker_redis_round_trips_total counter\n"
           "riptide_worker_redis_round_trips_total %llu\n"
           "# HELP riptide_worker_slots Slots (jobs held at once at most).\n"
           "# TYPE riptide_worker_slots gauge\n"
           "riptide_worker_slots %u\n"
           "# HELP riptide_worker_busy_slots Slots extracting now.\n"
           "# TYPE riptide_worker_busy_slots gauge\n"
           "riptide_worker_busy_slots %llu\n"
           "# HELP riptide_worker_redis_connected_slots Slots connected to Redis now.\n"
           "# TYPE riptide_worker_redis_connected_slots gauge\n"
           "riptide_worker_redis_connected_slots %u\n",
           (unsigned long long)atomic_load(&w->n_ok), (unsigned long long)atomic_load(&w->n_error),
           (unsigned long long)atomic_load(&w->n_dead),
           (unsigned long long)atomic_load(&w->n_superseded),
           (unsigned long long)atomic_load(&w->n_claimed),
           (unsigned long long)atomic_load(&w->n_reconnects),
           (unsigned long long)atomic_load(&w->n_round_trips), n,
           (unsigned long long)atomic_load(&w->n_busy), up);
  cli_buf_puts(b, tmp);
}

/* ---- command -------------------------------------------------------------------------------- */

static const char USAGE[] =
    "usage: riptide worker --redis URL [options]\n"
    "\n"
    "Takes extraction jobs from a Redis stream (consumer group), writes one result per job to\n"
    "the results stream. Stops on SIGTERM/SIGINT after finishing the jobs in hand. See\n"
    "docs/scale-out.md.\n"
    "\n"
    "  --redis URL            redis://[:password@]host[:port][/db] or unix://[:password@]/path\n"
    "  --stream NAME          jobs stream (default riptide:jobs)\n"
    "  --results NAME         results stream (default riptide:results)\n"
    "  --dead NAME            dead-letter stream (default riptide:dead)\n"
    "  --group NAME           consumer group (default riptide)\n"
    "  --consumer NAME        this worker's name (default HOST-PID)\n"
    "  -p, --parallel N       pool slots = jobs held at once (default: CPUs)\n"
    "  --claim-idle T         redo jobs of other workers idle longer than T (default 60s)\n"
    "  --max-deliveries N     dead-letter a job delivered more than N times (default 3)\n"
    "  --results-maxlen N     trim the results stream to about N entries (default: no trim)\n"
    "  --max-result SIZE      largest document JSON written as a result (default 16M)\n"
    "  --listen ADDR:PORT     serve GET /healthz, /readyz (pool warm, breaker not open, every\n"
    "                         slot connected to Redis) and /metrics (the pool's and the\n"
    "                         worker's counters) as `riptide serve` does; port 0 picks a free\n"
    "                         one; the bound address is the first line of standard output\n"
    "  extraction: -m/--mode, -s/--selector, --links/--no-links, --images/--no-images,\n"
    "  --tables/--no-tables, --html (defaults for jobs without options); pool: --timeout,\n"
    "  --memory-limit, --max-size, --no-fallback, --engine, --events, as for extract\n";

enum {
  W_REDIS = 300,
  W_STREAM,
  W_RESULTS,
  W_DEAD,
  W_GROUP,
  W_CONSUMER,
  W_CLAIM_IDLE,
  W_MAX_DELIVERIES,
  W_RESULTS_MAXLEN,
  W_MAX_RESULT,
  W_HTML,
  W_TIMEOUT,
  W_MEMORY,
  W_MAX_SIZE,
  W_NO_FALLBACK,
  W_ENGINE,
  W_EVENTS,
  W_LISTEN,
};

static int usage(const char *fmt, const char *arg)
{
  fputs("riptide worker: ", stderr);
  fprintf(stderr, fmt, arg ? arg : "");
  fputs("\nTry 'riptide worker --help'.\n", stderr);
  return CLI_EXIT_USAGE;
}

static bool name_ok(const char *s)
{
  return s && *s && strlen(s) <= SO_MAX_NAME;
}

static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (end == s || *end || errno || s[0] == '-' || v < lo || v > hi)
    return false;
  *out = v;
  return true;
}

int cli_worker(int argc, char **argv)
{
  static const struct option longopts[] = {
      {"redis", required_argument, NULL, W_REDIS},
      {"stream", required_argument, NULL, W_STREAM},
      {"results", required_argument, NULL, W_RESULTS},
      {"dead", required_argument, NULL, W_DEAD},
      {"group", required_argument, NULL, W_GROUP},
      {"consumer", required_argument, NULL, W_CONSUMER},
      {"parallel", required_argument, NULL, 'p'},
      {"claim-idle", required_argument, NULL, W_CLAIM_IDLE},
      {"max-deliveries", required_argument, NULL, W_MAX_DELIVERIES},
      {"results-maxlen", required_argument, NULL, W_RESULTS_MAXLEN},
      {"max-result", required_argument, NULL, W_MAX_RESULT},
      {"mode", required_argument, NULL, 'm'},
      {"selector", required_argument, NULL, 's'},
      CLI_OUTPUT_LONGOPTS,
      {"html", no_argument, NULL, W_HTML},
      {"timeout", required_argument, NULL, W_TIMEOUT},
      {"memory-limit", required_argument, NULL, W_MEMORY},
      {"max-size", required_argument, NULL, W_MAX_SIZE},
      {"no-fallback", no_argument, NULL, W_NO_FALLBACK},
      {"engine", required_argument, NULL, W_ENGINE},
      {"events", required_argument, NULL, W_EVENTS},
      {"listen", required_argument, NULL, W_LISTEN},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  wcfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.stream = "riptide:jobs";
  cfg.results = "riptide:results";
  cfg.dead = "riptide:dead";
  cfg.group = "riptide";
  cfg.claim_idle_ms = 60000;
  cfg.max_deliveries = 3;
  cfg.max_result = SO_DEFAULT_MAX_RESULT;
  riptide_options_init(&cfg.cc.opts);
  cli_output_defaults(&cfg.cc.opts); /* the defaults of `riptide extract` */
  cfg.cc.opts.want_markdown = true;
  cfg.cc.parallel = cli_cpu_count();
  const char *url = NULL;
  bool mode_set = false;
  uint64_t v;
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "p:m:s:h", longopts, NULL)) != -1) {
    switch (ch) {
    case W_REDIS:
      url = optarg;
      break;
    case W_STREAM:
    case W_RESULTS:
    case W_DEAD:
    case W_GROUP:
    case W_CONSUMER:
      if (!name_ok(optarg))
        return usage("names are 1 to 200 bytes, not '%s'", optarg);
      if (ch == W_STREAM)
        cfg.stream = optarg;
      else if (ch == W_RESULTS)
        cfg.results = optarg;
      else if (ch == W_DEAD)
        cfg.dead = optarg;
      else if (ch == W_GROUP)
        cfg.group = optarg;
      else
        snprintf(cfg.consumer, sizeof cfg.consumer, "%s", optarg);
      break;
    case 'p':
      if (!parse_u64(optarg, 1, 1024, &v))
        return usage("--parallel wants a number from 1 to 1024, not '%s'", optarg);
      cfg.cc.parallel = (unsigned)v;
      break;
    case W_CLAIM_IDLE:
      if (cli_parse_duration_ms(optarg, &cfg.claim_idle_ms) != CLI_PARSE_OK ||
          cfg.claim_idle_ms == 0)
        return usage("bad --claim-idle '%s' (e.g. 60s, 500ms)", optarg);
      break;
    case W_MAX_DELIVERIES:
      if (!parse_u64(optarg, 1, 1000, &v))
        return usage("--max-deliveries wants a number from 1 to 1000, not '%s'", optarg);
      cfg.max_deliveries = (unsigned)v;
      break;
    case W_RESULTS_MAXLEN:
      if (!parse_u64(optarg, 1, UINT64_MAX / 2, &cfg.results_maxlen))
        return usage("bad --results-maxlen '%s'", optarg);
      break;
    case W_MAX_RESULT:
      if (cli_parse_size(optarg, 1, UINT64_MAX, &cfg.max_result) != CLI_PARSE_OK ||
          cfg.max_result < 1024 || cfg.max_result > (512ull << 20))
        return usage("--max-result wants a size from 1K to 512M, not '%s'", optarg);
      break;
    case 'm':
      if (riptide_mode_parse(optarg, &cfg.cc.opts.mode) != RIPTIDE_OK)
        return usage("unknown mode '%s' (article, full, metadata, custom)", optarg);
      mode_set = true;
      break;
    case 's':
      cfg.cc.opts.selector = optarg;
      break;
    case W_HTML:
      cfg.cc.opts.want_html = true;
      break;
    case W_TIMEOUT:
      if (cli_parse_duration_ms(optarg, &cfg.cc.timeout_ms) != CLI_PARSE_OK)
        return usage("bad --timeout '%s' (e.g. 10, 10s, 500ms)", optarg);
      break;
    case W_MEMORY:
      if (cli_parse_size(optarg, CLI_MIN_MEMORY_LIMIT, RIPTIDE_MAX_MEMORY_CAP,
                         &cfg.cc.memory_limit) != CLI_PARSE_OK)
        return usage("bad --memory-limit '%s' (e.g. 256M, 1G)", optarg);
      break;
    case W_MAX_SIZE:
      if (cli_parse_size(optarg, 1, CLI_MAX_INPUT_LIMIT, &cfg.cc.max_input) != CLI_PARSE_OK)
        return usage("bad --max-size '%s' (e.g. 64M)", optarg);
      break;
    case W_NO_FALLBACK:
      cfg.cc.no_fallback = true;
      break;
    case W_ENGINE:
      if (!strcmp(optarg, "native"))
        cfg.cc.native = true;
      else if (strcmp(optarg, "pool") != 0)
        return usage("unknown --engine '%s' (pool, native)", optarg);
      break;
    case W_EVENTS:
      cfg.cc.events_path = optarg;
      break;
    case W_LISTEN:
      if (!srv_listen_parse(optarg, cfg.listen_host, sizeof cfg.listen_host, cfg.listen_port))
        return usage("bad --listen '%s' (e.g. 127.0.0.1:9090, [::1]:0)", optarg);
      cfg.listen = true;
      break;
    case 'h':
      fputs(USAGE, stdout);
      return CLI_EXIT_OK;
    default:
      if (cli_output_option(ch, &cfg.cc.opts))
        break;
      return usage("%s", "bad option");
    }
  }
  if (optind < argc)
    return usage("unexpected argument '%s'", argv[optind]);
  if (!url)
    return usage("%s", "--redis URL is required");
  if (cfg.cc.opts.selector && !mode_set)
    cfg.cc.opts.mode = RIPTIDE_MODE_CUSTOM;
  if (cfg.cc.opts.mode == RIPTIDE_MODE_CUSTOM && !cfg.cc.opts.selector)
    return usage("%s", "--mode custom needs --selector CSS");
  char detail[600];
  if (!so_endpoint_parse(url, &cfg.ep, detail, sizeof detail))
    return usage("%s", detail);
  if (!cfg.consumer[0]) {
    char host[128] = "worker";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf(cfg.consumer, sizeof cfg.consumer, "%s-%ld", host, (long)getpid());
  }

  /* Signals are taken by the main thread only: blocked before any thread is created. */
  signal(SIGPIPE, SIG_IGN);
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);

  worker w;
  memset(&w, 0, sizeof w);
  w.cfg = &cfg;
  atomic_init(&w.stop, false);
  snprintf(w.cursor, sizeof w.cursor, "0-0");
  pthread_mutex_init(&w.claim_lock, NULL);
  int rc = CLI_EXIT_OK;
  so_conn main_k;
  so_conn_init(&main_k, &cfg.ep);
  slot *slots = NULL;
  unsigned started = 0;
  bool engine_open = false;
  srv_obs *obs = NULL;

  /* Start: Redis first (a wrong password or URL fails fast), then the pool. */
  if (!so_conn_ensure(&main_k, startup_keep_going, &w, "worker")) {
    fprintf(stderr, "riptide worker: cannot connect to Redis: %s\n", main_k.err);
    rc = CLI_EXIT_FAILED;
    goto out;
  }
  if (!so_group_create(&main_k, cfg.stream, cfg.group, "0", detail, sizeof detail)) {
    fprintf(stderr, "riptide worker: %s\n", detail);
    rc = CLI_EXIT_FAILED;
    goto out;
  }
  riptide_err err = cli_engine_open(&w.eng, &cfg.cc, detail, sizeof detail);
  engine_open = true;
  if (err != RIPTIDE_OK) {
    fprintf(stderr, "riptide worker: %s\n", detail[0] ? detail : riptide_strerror(err));
    rc = CLI_EXIT_FAILED;
    goto out;
  }
  unsigned parallel = cfg.cc.parallel;
  slots = calloc(parallel, sizeof *slots);
  if (!slots) {
    rc = CLI_EXIT_FAILED;
    goto out;
  }
  uint64_t started_ms = so_now_ms();
  srand((unsigned)(started_ms ^ (uint64_t)getpid()));
  for (unsigned i = 0; i < parallel; i++) {
    slots[i].w = &w;
    so_conn_init(&slots[i].k, &cfg.ep);
  }
  w.slots = slots;
  if (cfg.listen) {
    srv_obs_config oc = {.pool = w.eng.pool,
                         .not_ready = worker_not_ready,
                         .metrics = worker_metrics,
                         .ctx = &w,
                         .who = "riptide worker"};
    memcpy(oc.host, cfg.listen_host, sizeof oc.host);
    memcpy(oc.port, cfg.listen_port, sizeof oc.port);
    obs = srv_obs_start(&oc, detail, sizeof detail);
    if (!obs) {
      fprintf(stderr, "riptide worker: %s\n", detail);
      rc = CLI_EXIT_FAILED;
      goto out;
    }
    srv_listen_print(cfg.listen_host, srv_obs_port(obs));
  }
  for (unsigned i = 0; i < parallel; i++) {
    if (pthread_create(&slots[i].th, NULL, slot_main, &slots[i]) != 0)
      break;
    started++;
    atomic_store(&w.n_slots, started);
  }
  if (started == 0) {
    fprintf(stderr, "riptide worker: cannot start threads\n");
    rc = CLI_EXIT_FAILED;
    goto out;
  }
  fprintf(stderr, "riptide worker: %s: %u slots on %s (group %s)\n", cfg.consumer, started,
          cfg.stream, cfg.group);
  for (;;) {
    heartbeat(&w, &main_k, "running", started_ms, started);
    struct timespec to = {.tv_sec = SO_HEARTBEAT_MS / 1000, .tv_nsec = 0};
    int sig = sigtimedwait(&sigs, NULL, &to);
    if (sig == SIGTERM || sig == SIGINT)
      break;
  }
  atomic_store(&w.drain_deadline_ms, so_now_ms() + SO_DRAIN_MS);
  atomic_store(&w.stop, true);
  fprintf(stderr, "riptide worker: stopping: finishing the jobs in hand\n");
  for (unsigned i = 0; i < started; i++)
    pthread_join(slots[i].th, NULL);
  heartbeat(&w, &main_k, "stopped", started_ms, started);
  uint64_t reconnects = atomic_load(&w.n_reconnects), trips = atomic_load(&w.n_round_trips);
  fprintf(stderr,
          "riptide worker: %s: %llu ok, %llu error, %llu dead-lettered, %llu reclaimed, "
          "%llu superseded, "
          "%llu reconnect%s, %llu round trip%s\n",
          cfg.consumer, (unsigned long long)atomic_load(&w.n_ok),
          (unsigned long long)atomic_load(&w.n_error), (unsigned long long)atomic_load(&w.n_dead),
          (unsigned long long)atomic_load(&w.n_claimed),
          (unsigned long long)atomic_load(&w.n_superseded), (unsigned long long)reconnects,
          reconnects == 1 ? "" : "s", (unsigned long long)trips, trips == 1 ? "" : "s");
  if (atomic_load(&w.n_abandoned))
    rc = CLI_EXIT_FAILED;
out:
  srv_obs_stop(obs); /* before the pool it reports on goes */
  free(slots);
  if (engine_open)
    cli_engine_close(&w.eng);
  so_conn_close(&main_k);
  pthread_mutex_destroy(&w.claim_lock);
  so_endpoint_clear(&cfg.ep);
  return rc;
}
