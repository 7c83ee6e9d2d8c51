/*
 * collect.c - `riptide collect`: reads the results stream (and the dead-letter stream)
 * through its own consumer group and writes one JSON line per job, as `riptide extract -f
 * jsonl` does; an entry is acknowledged only after its line is written (flushed, and synced
 * when writing a file).
 *
 * DESIGN: single-threaded. A round: XREADGROUP on both streams (COUNT, BLOCK), write the lines,
 * flush (+ fsync for -o), XACK what was written. Entries read by an earlier run that ended
 * before acknowledging them are read first (XREADGROUP ... 0), and again after a reconnection
 * (a read whose reply was lost left its entries in our pending list). So a crash of collect
 * can repeat a few lines (those written but not yet acked), never lose one. `-o FILE` appends
 * to FILE: a temporary file renamed at the end would lose acknowledged lines on a crash.
 */
#include "scaleout/scaleout.h"

#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
  (void)sig;
  g_stop = 1;
}

typedef struct collector {
  so_endpoint ep;
  so_conn k;
  const char *results, *dead, *group;
  char consumer[SO_MAX_NAME + 1];
  uint64_t wait; /* 0: follow */
  FILE *out;
  int out_fd; /* -o FILE, or -1 */
  uint64_t written, n_ok, n_error, n_dead;
  cli_buf line;
} collector;

static bool until_stopped(void *ctx)
{
  (void)ctx;
  return !g_stop;
}

static bool done(const collector *c)
{
  return c->wait && c->written >= c->wait;
}

/* The output line of one entry into c->line. */
static void format_entry(collector *c, const redisReply *fields, bool dead)
{
  c->line.len = 0;
  c->line.failed = false;
  const redisReply *status = so_field(fields, "status");
  const redisReply *doc = so_field(fields, "document");
  if (!dead && status && !strcmp(status->str, "ok") && doc) {
    cli_buf_put(&c->line, doc->str, doc->len);
    cli_buf_put(&c->line, "\n", 1);
    c->n_ok++;
    return;
  }
  dead ? c->n_dead++ : c->n_error++;
  const redisReply *id = so_field(fields, "id"), *err = so_field(fields, "error");
  json_t *o = json_object();
  json_t *e = err ? json_loads(err->str, 0, NULL) : NULL;
  if (!e || !json_is_object(e)) {
    json_decref(e);
    e = json_pack("{s:s, s:s}", "code", "BAD_RESULT", "message",
                  "result entry without a document or an error");
  }
  char *idc = id ? strdup(id->str) : NULL;
  if (idc)
    cli_utf8_clean(idc);
  json_object_set_new(o, "id", json_string(idc ? idc : "?"));
  json_object_set_new(o, "error", e);
  free(idc);
  char *s = json_dumps(o, JSON_COMPACT);
  if (s) {
    cli_buf_puts(&c->line, s);
    cli_buf_puts(&c->line, "\n");
  } else {
    c->line.failed = true;
  }
  free(s);
  json_decref(o);
}

static bool flush_out(collector *c)
{
  if (fflush(c->out) != 0)
    return false;
  /* EINVAL: a file that cannot be synced (-o /dev/null, a pipe); nothing to wait for. */
  if (c->out_fd >= 0 && fsync(c->out_fd) != 0 && errno != EINVAL && errno != EROFS)
    return false;
  return true;
}

/* Acks ids (XACK stream group id...), reconnecting as needed. */
static bool ack(collector *c, const char *stream, char **ids, size_t n)
{
  if (n == 0)
    return true;
  const char **argv = malloc((n + 3) * sizeof *argv);
  if (!argv)
    return false;
  argv[0] = "XACK";
  argv[1] = stream;
  argv[2] = c->group;
  for (size_t i = 0; i < n; i++)
    argv[3 + i] = ids[i];
  bool ok = false;
  for (;;) {
    if (!so_conn_ensure(&c->k, until_stopped, NULL, "collect"))
      break;
    redisReply *r = so_command(&c->k, (int)n + 3, argv, NULL);
    if (!r)
      continue; /* XACK is idempotent: sent again */
    ok = r->type == REDIS_REPLY_INTEGER;
    if (!ok) /* LOADING, OOM...: the lines are written, so keep trying to ack them */
      fprintf(stderr, "riptide collect: XACK: %s\n", r->type == REDIS_REPLY_ERROR ? r->str : "?");
    freeReplyObject(r);
    if (ok)
      break;
    so_sleep_ms(SO_BACKOFF_MAX_MS);
  }
  free(argv);
  return ok;
}

/* One read on both streams from `from` (">" new entries, "0" our pending ones); writes and
 * acks what it got. Returns the number of entries seen, -1 on an I/O error (reconnect and read
 * the pending list again), -2 on a fatal error. */
static long round_once(collector *c, const char *from, uint32_t block_ms)
{
  char count[16], block[16];
  uint64_t left = c->wait ? c->wait - c->written : SO_COLLECT_COUNT;
  snprintf(count, sizeof count, "%llu",
           (unsigned long long)(left < SO_COLLECT_COUNT ? left : SO_COLLECT_COUNT));
  snprintf(block, sizeof block, "%u", block_ms);
  const char *argv[] = {"XREADGROUP", "GROUP",   c->group,   c->consumer, "COUNT", count, "BLOCK",
                        block,        "STREAMS", c->results, c->dead,     from,    from};
  int argc = 13;
  if (!block_ms) { /* no BLOCK */
    memmove(&argv[6], &argv[8], 5 * sizeof *argv);
    argc = 11;
  }
  redisReply *r = so_command(&c->k, argc, argv, NULL);
  if (!r)
    return -1;
  if (r->type == REDIS_REPLY_ERROR) {
    long rc = -2;
    if (so_reply_is_error(r, "NOGROUP")) {
      char detail[256];
      if (so_group_create(&c->k, c->results, c->group, "0", detail, sizeof detail) &&
          so_group_create(&c->k, c->dead, c->group, "0", detail, sizeof detail))
        rc = 0;
    } else {
      fprintf(stderr, "riptide collect: XREADGROUP: %s\n", r->str);
    }
    freeReplyObject(r);
    return rc;
  }
  long got = 0;
  bool write_ok = true, acked = true;
  if (r->type == REDIS_REPLY_ARRAY) {
    for (size_t si = 0; si < r->elements && write_ok; si++) {
      const redisReply *s = r->element[si];
      if (s->type != REDIS_REPLY_ARRAY || s->elements < 2 ||
          s->element[0]->type != REDIS_REPLY_STRING || s->element[1]->type != REDIS_REPLY_ARRAY)
        continue;
      bool dead = strcmp(s->element[0]->str, c->dead) == 0;
      const redisReply *es = s->element[1];
      char **ids = calloc(es->elements + 1, sizeof *ids);
      size_t n_ids = 0;
      if (!ids) {
        write_ok = false;
        break;
      }
      for (size_t i = 0; i < es->elements && !done(c); i++) {
        const redisReply *e = es->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
            e->element[0]->type != REDIS_REPLY_STRING)
          continue;
        got++;
        if (e->element[1]->type == REDIS_REPLY_ARRAY) { /* nil: trimmed away, ack only */
          format_entry(c, e->element[1], dead);
          if (c->line.failed || fwrite(c->line.p, 1, c->line.len, c->out) != c->line.len) {
            write_ok = false;
            break;
          }
          c->written++;
        }
        ids[n_ids++] = e->element[0]->str;
      }
      /* Written lines reach the file (or pipe) before their entries are acknowledged. */
      if (write_ok && !flush_out(c))
        write_ok = false;
      if (write_ok && !ack(c, s->element[0]->str, ids, n_ids))
        acked = false;
      free(ids);
    }
  }
  freeReplyObject(r);
  if (!write_ok) {
    fprintf(stderr, "riptide collect: writing the output failed: %s\n", strerror(errno));
    return -2;
  }
  return acked ? got : -2; /* not acked: stopped by a signal while Redis was away */
}

static const char USAGE[] =
    "usage: riptide collect --redis URL [options]\n"
    "\n"
    "Writes the results of the workers as JSON lines (one per job, as `riptide extract -f\n"
    "jsonl`; dead-lettered jobs as error lines), acknowledging each after it is written.\n"
    "\n"
    "  --redis URL          redis://[:password@]host[:port][/db] or unix://[:password@]/path\n"
    "  --results NAME       results stream (default riptide:results)\n"
    "  --dead NAME          dead-letter stream (default riptide:dead)\n"
    "  --group NAME         collect's consumer group (default riptide-collect)\n"
    "  --consumer NAME      consumer name in the group (default collect)\n"
    "  --wait N             stop after N results (default: follow until SIGTERM/SIGINT)\n"
    "  -o, --output FILE    append to FILE, synced before acknowledging (default stdout)\n"
    "  -f, --output-format  jsonl (the only format)\n"
    "  -q, --quiet          no summary on stderr\n";

enum {
  C_REDIS = 500,
  C_RESULTS,
  C_DEAD,
  C_GROUP,
  C_CONSUMER,
  C_WAIT,
};

static int usage(const char *fmt, const char *arg)
{
  fputs("riptide collect: ", stderr);
  fprintf(stderr, fmt, arg ? arg : "");
  fputs("\nTry 'riptide collect --help'.\n", stderr);
  return CLI_EXIT_USAGE;
}

int cli_collect(int argc, char **argv)
{
  static const struct option longopts[] = {
      {"redis", required_argument, NULL, C_REDIS},
      {"results", required_argument, NULL, C_RESULTS},
      {"dead", required_argument, NULL, C_DEAD},
      {"group", required_argument, NULL, C_GROUP},
      {"consumer", required_argument, NULL, C_CONSUMER},
      {"wait", required_argument, NULL, C_WAIT},
      {"output", required_argument, NULL, 'o'},
      {"output-format", required_argument, NULL, 'f'},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  collector c;
  memset(&c, 0, sizeof c);
  c.results = "riptide:results";
  c.dead = "riptide:dead";
  c.group = "riptide-collect";
  snprintf(c.consumer, sizeof c.consumer, "collect");
  c.out = stdout;
  c.out_fd = -1;
  const char *url = NULL, *output = NULL;
  bool quiet = false;
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "o:f:qh", longopts, NULL)) != -1) {
    switch (ch) {
    case C_REDIS:
      url = optarg;
      break;
    case C_RESULTS:
    case C_DEAD:
    case C_GROUP:
    case C_CONSUMER:
      if (!*optarg || strlen(optarg) > SO_MAX_NAME)
        return usage("names are 1 to 200 bytes, not '%s'", optarg);
      if (ch == C_RESULTS)
        c.results = optarg;
      else if (ch == C_DEAD)
        c.dead = optarg;
      else if (ch == C_GROUP)
        c.group = optarg;
      else
        snprintf(c.consumer, sizeof c.consumer, "%s", optarg);
      break;
    case C_WAIT: {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(optarg, &end, 10);
      if (end == optarg || *end || errno || optarg[0] == '-' || v < 1)
        return usage("--wait wants a positive number, not '%s'", optarg);
      c.wait = v;
      break;
    }
    case 'o':
      output = optarg;
      break;
    case 'f':
      if (strcmp(optarg, "jsonl") != 0 && strcmp(optarg, "ndjson") != 0)
        return usage("collect writes jsonl only, not '%s'", optarg);
      break;
    case 'q':
      quiet = true;
      break;
    case 'h':
      fputs(USAGE, stdout);
      return CLI_EXIT_OK;
    default:
      return usage("%s", "bad option");
    }
  }
  if (optind < argc)
    return usage("unexpected argument '%s'", argv[optind]);
  if (!url)
    return usage("%s", "--redis URL is required");
  if (!strcmp(c.results, c.dead))
    return usage("%s", "--results and --dead must differ");
  char detail[600];
  if (!so_endpoint_parse(url, &c.ep, detail, sizeof detail))
    return usage("%s", detail);
  int rc = CLI_EXIT_OK;
  if (output) {
    c.out_fd = open(output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
    c.out = c.out_fd >= 0 ? fdopen(c.out_fd, "a") : NULL;
    if (!c.out) {
      fprintf(stderr, "riptide collect: cannot open %s: %s\n", output, strerror(errno));
      if (c.out_fd >= 0)
        close(c.out_fd);
      so_endpoint_clear(&c.ep);
      return CLI_EXIT_FAILED;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  so_conn_init(&c.k, &c.ep);
  if (!so_conn_open(&c.k)) {
    fprintf(stderr, "riptide collect: cannot connect to Redis: %s\n", c.k.err);
    rc = CLI_EXIT_FAILED;
    goto out;
  }
  c.k.ever_connected = true;
  if (!so_group_create(&c.k, c.results, c.group, "0", detail, sizeof detail) ||
      !so_group_create(&c.k, c.dead, c.group, "0", detail, sizeof detail)) {
    fprintf(stderr, "riptide collect: %s\n", detail);
    rc = CLI_EXIT_FAILED;
    goto out;
  }
  bool read_pending = true; /* entries delivered to this consumer before and not acked */
  while (!g_stop && !done(&c)) {
    if (!so_conn_ensure(&c.k, until_stopped, NULL, "collect"))
      break;
    long got = round_once(&c, read_pending ? "0" : ">", read_pending ? 0 : SO_BLOCK_MS);
    if (got == -2) {
      rc = CLI_EXIT_FAILED;
      break;
    }
    if (got == -1) {
      read_pending = true;
      continue;
    }
    if (read_pending && got == 0)
      read_pending = false; /* the pending list is empty: new entries from now on */
  }
out:
  if (!quiet)
    fprintf(stderr, "riptide collect: %llu result%s: %llu ok, %llu error, %llu dead-lettered\n",
            (unsigned long long)c.written, c.written == 1 ? "" : "s", (unsigned long long)c.n_ok,
            (unsigned long long)c.n_error, (unsigned long long)c.n_dead);
  if (c.out != stdout && c.out)
    fclose(c.out);
  else if (fflush(stdout) != 0)
    rc = CLI_EXIT_FAILED;
  cli_buf_free(&c.line);
  so_conn_close(&c.k);
  so_endpoint_clear(&c.ep);
  return rc;
}
