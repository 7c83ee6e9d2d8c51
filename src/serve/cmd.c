/*
 * cmd.c - `riptide serve`: options, signals, start, graceful shutdown.
 *
 * DESIGN: SIGTERM, SIGINT and SIGHUP are blocked before any thread starts, so every thread
 * inherits the mask and the main thread alone receives them, with sigwait(): no handler runs
 * in the middle of a lock. SIGHUP reopens the access log; the first SIGTERM/SIGINT starts the
 * graceful shutdown (stop accepting, answer what is in flight, drain batch streams, free the
 * pool) bounded by --shutdown-timeout, after which the process exits 0.
 */
#include "cli/cli.h"
#include "serve/mhd.h"
#include "serve/serve.h"

#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char USAGE[] =
    "usage: riptide serve [options]\n"
    "\n"
    "HTTP extraction service: POST /v1/extract, POST /v1/extract/batch, GET /healthz, /readyz,\n"
    "/metrics, /v1/status, /openapi.json (see docs/serve.md).\n"
    "\n"
    "  -l, --listen ADDR:PORT   address to listen on (default 127.0.0.1:8080; port 0 picks a\n"
    "                           free one; [::1]:8080 for IPv6; unix:PATH for a Unix-domain\n"
    "                           socket, e.g. behind a reverse proxy on the same host). The\n"
    "                           bound address is printed as the first line of standard output.\n"
    "  -p, --parallel N         pool slots (default: CPUs)\n"
    "      --workers N          threads running requests (default 2N: half can wait on\n"
    "                           fetches while the other half extracts)\n"
    "      --queue N            requests waiting for a worker before 429 (default 32 x N)\n"
    "      --max-wait T         longest wait for a worker and a permit before 503 (default 10s)\n"
    "      --max-body SIZE      largest request body, after gzip too (default: --max-size;\n"
    "                           at most 1G)\n"
    "      --max-buffered SIZE  request bodies held at once, all connections (default 1G);\n"
    "                           past it, 429\n"
    "      --max-connections N  open connections, idle ones included (default 1024)\n"
    "      --idle-timeout T     close a connection silent this long (default 30s)\n"
    "      --body-timeout T     cut a request whose body takes longer to arrive (default 60s)\n"
    "      --max-header SIZE    request line and headers (default 32K)\n"
    "      --http-threads N     network threads (default 1)\n"
    "      --shutdown-timeout T bound on the graceful shutdown (default 30s)\n"
    "      --fetch-timeout T    fetching a URL given by a client (default 30s)\n"
    "      --allow-private-fetch  fetch URLs that resolve to loopback/private/link-local\n"
    "                           addresses too (refused by default: SSRF)\n"
    "      --api-key-file FILE  require Authorization: Bearer KEY (keys one a line);\n"
    "                           /healthz stays open\n"
    "      --access-log FILE    JSON access log (default: standard error); SIGHUP reopens it\n"
    "pool and extraction defaults of every request (a request's own options override them):\n"
    "  -m, --mode M             article | full | metadata | custom (default: "
    "article)\n" CLI_OUTPUT_USAGE
    "      --html, --timeout T, --memory-limit SIZE, --max-size SIZE, --no-fallback: as in\n"
    "                           riptide extract --help\n";

enum {
  OPT_QUEUE = 300,
  OPT_WORKERS,
  OPT_MAX_WAIT,
  OPT_MAX_BODY,
  OPT_MAX_BUFFERED,
  OPT_MAX_CONN,
  OPT_IDLE,
  OPT_BODY_TIMEOUT,
  OPT_MAX_HEADER,
  OPT_HTTP_THREADS,
  OPT_SHUTDOWN,
  OPT_FETCH_TIMEOUT,
  OPT_ALLOW_PRIVATE,
  OPT_KEYS,
  OPT_ACCESS_LOG,
  OPT_HTML,
  OPT_TIMEOUT,
  OPT_MEMORY,
  OPT_MAX_SIZE,
  OPT_NO_FALLBACK,
};

static int usage_error(const char *fmt, const char *arg)
{
  fputs("riptide serve: ", stderr);
  fprintf(stderr, fmt, arg ? arg : "");
  fputs("\nTry 'riptide serve --help'.\n", stderr);
  return CLI_EXIT_USAGE;
}

static int range_error(const char *opt, const char *arg, const char *lo, unsigned long long hi,
                       const char *unit)
{
  return cli_range_error("riptide serve", opt, arg, lo, hi, unit);
}

static bool parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end || v < (long)lo || v > (long)hi)
    return false;
  *out = (unsigned)v;
  return true;
}

int srv_main(int argc, char **argv)
{
  static const struct option longopts[] = {
      {"listen", required_argument, NULL, 'l'},
      {"parallel", required_argument, NULL, 'p'},
      {"mode", required_argument, NULL, 'm'},
      {"help", no_argument, NULL, 'h'},
      {"queue", required_argument, NULL, OPT_QUEUE},
      {"workers", required_argument, NULL, OPT_WORKERS},
      {"max-wait", required_argument, NULL, OPT_MAX_WAIT},
      {"max-body", required_argument, NULL, OPT_MAX_BODY},
      {"max-buffered", required_argument, NULL, OPT_MAX_BUFFERED},
      {"max-connections", required_argument, NULL, OPT_MAX_CONN},
      {"idle-timeout", required_argument, NULL, OPT_IDLE},
      {"body-timeout", required_argument, NULL, OPT_BODY_TIMEOUT},
      {"max-header", required_argument, NULL, OPT_MAX_HEADER},
      {"http-threads", required_argument, NULL, OPT_HTTP_THREADS},
      {"shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN},
      {"fetch-timeout", required_argument, NULL, OPT_FETCH_TIMEOUT},
      {"allow-private-fetch", no_argument, NULL, OPT_ALLOW_PRIVATE},
      {"api-key-file", required_argument, NULL, OPT_KEYS},
      {"access-log", required_argument, NULL, OPT_ACCESS_LOG},
      CLI_OUTPUT_LONGOPTS,
      {"html", no_argument, NULL, OPT_HTML},
      {"timeout", required_argument, NULL, OPT_TIMEOUT},
      {"memory-limit", required_argument, NULL, OPT_MEMORY},
      {"max-size", required_argument, NULL, OPT_MAX_SIZE},
      {"no-fallback", no_argument, NULL, OPT_NO_FALLBACK},
      {NULL, 0, NULL, 0},
  };
  srv_config c;
  memset(&c, 0, sizeof c);
  snprintf(c.host, sizeof c.host, "127.0.0.1");
  snprintf(c.port, sizeof c.port, "%d", SRV_DEFAULT_PORT);
  c.parallel = cli_cpu_count();
  c.max_connections = SRV_DEFAULT_MAX_CONNECTIONS;
  c.idle_timeout_s = SRV_DEFAULT_IDLE_TIMEOUT_S;
  c.max_header = SRV_DEFAULT_MAX_HEADER;
  c.http_threads = 1;
  c.max_wait_ms = SRV_DEFAULT_MAX_WAIT_MS;
  c.shutdown_ms = SRV_DEFAULT_SHUTDOWN_MS;
  c.fetch_timeout_ms = SRV_DEFAULT_FETCH_TIMEOUT_MS;
  c.body_timeout_ms = SRV_DEFAULT_BODY_TIMEOUT_MS;
  /* The same defaults as `riptide extract`: markdown on, links, media and html off. */
  riptide_options_init(&c.opts);
  cli_output_defaults(&c.opts);
  c.opts.want_markdown = true;
  unsigned queue = 0;
  optind = 1;
  int ch;
  uint32_t ms;
  uint64_t size;
  cli_parse_result pr;
  while ((ch = getopt_long(argc, argv, "l:p:m:h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'l':
      if (!strncmp(optarg, "unix:", 5)) {
        if (!optarg[5] || strlen(optarg + 5) >= sizeof c.unix_path)
          return usage_error("bad --listen '%s' (unix: and a path of at most 107 bytes)", optarg);
        snprintf(c.unix_path, sizeof c.unix_path, "%s", optarg + 5);
      } else if (!srv_listen_parse(optarg, c.host, sizeof c.host, c.port)) {
        return usage_error("bad --listen '%s' (e.g. 127.0.0.1:8080, [::1]:0, unix:/run/rt.sock)",
                           optarg);
      }
      break;
    case 'p':
      if (!parse_uint(optarg, 1, 1024, &c.parallel))
        return usage_error("--parallel wants a number from 1 to 1024, not '%s'", optarg);
      break;
    case 'm':
      if (riptide_mode_parse(optarg, &c.opts.mode) != RIPTIDE_OK ||
          c.opts.mode == RIPTIDE_MODE_CUSTOM)
        return usage_error("--mode wants article, full or metadata, not '%s' (custom is per "
                           "request, with its selector)",
                           optarg);
      break;
    case 'h':
      fputs(USAGE, stdout);
      return CLI_EXIT_OK;
    case OPT_QUEUE:
      if (!parse_uint(optarg, 1, 1000000, &queue))
        return usage_error("--queue wants a number from 1 to 1000000, not '%s'", optarg);
      break;
    case OPT_WORKERS:
      if (!parse_uint(optarg, 1, 4096, &c.workers))
        return usage_error("--workers wants a number from 1 to 4096, not '%s'", optarg);
      break;
    case OPT_MAX_WAIT:
      if ((pr = cli_parse_duration_ms(optarg, &c.max_wait_ms)) == CLI_PARSE_RANGE)
        return range_error("--max-wait", optarg, "1ms", RIPTIDE_MAX_TIMEOUT_MS / 1000, "s");
      if (pr != CLI_PARSE_OK)
        return usage_error("bad --max-wait '%s' (e.g. 10s, 500ms)", optarg);
      break;
    case OPT_MAX_BODY:
      if (cli_parse_size(optarg, 0, UINT64_MAX, &c.max_body) != CLI_PARSE_OK || c.max_body == 0)
        return usage_error("bad --max-body '%s' (e.g. 8M)", optarg);
      if (c.max_body > CLI_BUF_MAX) /* a body is held in one buffer, which stops there */
        return usage_error("--max-body '%s' is over the largest body the server holds (1G)",
                           optarg);
      break;
    case OPT_MAX_BUFFERED:
      if (cli_parse_size(optarg, 0, UINT64_MAX, &c.max_buffered) != CLI_PARSE_OK ||
          c.max_buffered == 0)
        return usage_error("bad --max-buffered '%s' (e.g. 1G)", optarg);
      break;
    case OPT_MAX_CONN:
      if (!parse_uint(optarg, 1, 1000000, &c.max_connections))
        return usage_error("--max-connections wants a number from 1 to 1000000, not '%s'", optarg);
      break;
    case OPT_IDLE:
      if ((pr = cli_parse_duration_ms(optarg, &ms)) == CLI_PARSE_RANGE ||
          (pr == CLI_PARSE_OK && ms < 1000))
        return range_error("--idle-timeout", optarg, "1s", RIPTIDE_MAX_TIMEOUT_MS / 1000, "s");
      if (pr != CLI_PARSE_OK)
        return usage_error("bad --idle-timeout '%s' (whole seconds, e.g. 30s)", optarg);
      c.idle_timeout_s = ms / 1000;
      break;
    case OPT_BODY_TIMEOUT:
      if ((pr = cli_parse_duration_ms(optarg, &c.body_timeout_ms)) == CLI_PARSE_RANGE)
        return range_error("--body-timeout", optarg, "1ms", RIPTIDE_MAX_TIMEOUT_MS / 1000, "s");
      if (pr != CLI_PARSE_OK)
        return usage_error("bad --body-timeout '%s' (e.g. 60s)", optarg);
      break;
    case OPT_MAX_HEADER:
      if ((pr = cli_parse_size(optarg, 1024, 16u << 20, &size)) == CLI_PARSE_RANGE)
        return range_error("--max-header", optarg, "1K", 16, "M");
      if (pr != CLI_PARSE_OK)
        return usage_error("bad --max-header '%s' (e.g. 32K)", optarg);
      c.max_header = (uint32_t)size;
      break;
    case OPT_HTTP_THREADS:
      if (!parse_uint(optarg, 1, 64, &c.http_threads))
        return usage_error("--http-threads wants a number from 1 to 64, not '%s'", optarg);
      break;
    case OPT_SHUTDOWN:
      if ((pr = cli_parse_duration_ms(optarg, &c.shutdown_ms)) == CLI_PARSE_RANGE)
        return range_error("--shutdown-timeout", optarg, "1ms", RIPTIDE_MAX_TIMEOUT_MS / 1000, "s");
      if (pr != CLI_PARSE_OK)
        return usage_error("bad --shutdown-timeout '%s' (e.g. 30s)", optarg);
      break;
    case OPT_FETCH_TIMEOUT:
      if ((pr = cli_parse_duration_ms(optarg, &c.fetch_timeout_ms)) == CLI_PARSE_RANGE)
        return range_error("--fetch-timeout", optarg, "1ms", RIPTIDE_MAX_TIMEOUT_MS / 1000, "s");
      if (pr != CLI_PARSE_OK)
        return usage_error("bad --fetch-timeout '%s' (e.g. 30s)", optarg);
      break;
    case OPT_ALLOW_PRIVATE:
      c.allow_private_fetch = true;
      break;
    case OPT_KEYS:
      c.api_key_file = optarg;
      break;
    case OPT_ACCESS_LOG:
      c.access_log = optarg;
      break;
    case OPT_HTML:
      c.opts.want_html = true;
      break;
    case OPT_TIMEOUT:
      if ((pr = cli_parse_duration_ms(optarg, &c.timeout_ms)) == CLI_PARSE_RANGE)
        return range_error("--timeout", optarg, "1ms", RIPTIDE_MAX_TIMEOUT_MS / 1000, "s");
      if (pr != CLI_PARSE_OK)
        return usage_error("bad --timeout '%s' (e.g. 10, 10s, 500ms)", optarg);
      break;
    case OPT_MEMORY:
      if ((pr = cli_parse_size(optarg, CLI_MIN_MEMORY_LIMIT, RIPTIDE_MAX_MEMORY_CAP,
                               &c.memory_limit)) == CLI_PARSE_RANGE)
        return range_error("--memory-limit", optarg, CLI_MIN_MEMORY_LIMIT_TEXT,
                           RIPTIDE_MAX_MEMORY_CAP >> 30, "G");
      if (pr != CLI_PARSE_OK)
        return usage_error("bad --memory-limit '%s' (e.g. 256M, 1G)", optarg);
      break;
    case OPT_MAX_SIZE:
      if ((pr = cli_parse_size(optarg, 1, CLI_MAX_INPUT_LIMIT, &c.max_input)) == CLI_PARSE_RANGE)
        return range_error("--max-size", optarg, "1", CLI_MAX_INPUT_LIMIT >> 40, "T");
      if (pr != CLI_PARSE_OK || c.max_input == 0)
        return usage_error("bad --max-size '%s' (e.g. 64M)", optarg);
      break;
    case OPT_NO_FALLBACK:
      c.no_fallback = true;
      break;
    default:
      if (cli_output_option(ch, &c.opts))
        break;
      return usage_error("%s", "bad option");
    }
  }
  if (optind < argc)
    return usage_error("unexpected argument '%s'", argv[optind]);
  c.queue_max = queue ? queue : SRV_DEFAULT_QUEUE_PER_SLOT * c.parallel;

  /* One descriptor per connection, plus the pool's and a margin: raise the soft limit
   * towards the hard one when --max-connections needs it (the default soft limit is often
   * 1024, the default --max-connections too). */
  struct rlimit rl;
  rlim_t need = (rlim_t)c.max_connections + 64;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < need)
      fprintf(stderr,
              "riptide serve: warning: %llu file descriptors allowed, fewer than "
              "--max-connections needs\n",
              (unsigned long long)rl.rlim_cur);
  }

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  /* Request bodies and batch lines are page-sized buffers (~180 KB for a dev page), malloc'd
   * on the network thread and freed on a worker. With glibc's default (dynamic) thresholds,
   * freed buffers were unmapped or trimmed from the arena's top and the next ones faulted in
   * again page by page: ~7 page faults per batch line, 1-2 % of the server's CPU. Fixed
   * thresholds, set before any thread starts, keep that memory in the arenas (0.5-1 fault per
   * line); the resident size after a batch is the same, as the default kept its peak too. */
  mallopt(M_MMAP_THRESHOLD, 8 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  char msg[512] = "";
  if (!srv_mhd_load(msg, sizeof msg)) {
    fprintf(stderr, "riptide serve: %s\n", msg);
    return CLI_EXIT_FAILED;
  }
  srv *s = srv_new(&c, msg, sizeof msg);
  if (!s) {
    fprintf(stderr, "riptide serve: %s\n", msg);
    return CLI_EXIT_FAILED;
  }
  if (!srv_start(s, msg, sizeof msg)) {
    fprintf(stderr, "riptide serve: %s\n", msg);
    srv_free(s);
    return CLI_EXIT_FAILED;
  }
  if (c.unix_path[0]) {
    printf("unix:%s\n", c.unix_path);
    fflush(stdout);
  } else {
    srv_listen_print(c.host, s->bound_port);
  }
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0)
      continue;
    if (sig == SIGHUP) {
      srv_log_reopen(s);
      continue;
    }
    break;
  }
  srv_shutdown(s);
  srv_free(s);
  return CLI_EXIT_OK;
}
