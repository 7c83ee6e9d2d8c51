/*
 * main.c - the `riptide` command: subcommands, options, help.
 *
 *   riptide extract [options] [FILE|URL|DIR|-]...
 *   riptide bench DIR [options]
 *   riptide serve [options]      (src/serve/)
 *   riptide version
 */
#include "cli/cli.h"
#include "scaleout/scaleout.h"
#include "serve/serve.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The help, in parts (ISO C bounds one string literal to 4095 bytes; add options to any). */
static const char *const USAGE[] = {
    "usage: riptide extract [options] [FILE|URL|DIR|-]...\n"
    "       riptide bench DIR [options]                  (riptide bench --help)\n"
    "       riptide serve [--listen ADDR:PORT] [options] (riptide serve --help)\n"
    "       riptide worker|submit|collect [options]      (riptide CMD --help)\n"
    "       riptide version\n"
    "       riptide --help\n"
    "\n"
    "Extracts the main content of HTML pages (files, directories, stdin, http(s) URLs) in\n"
    "sandboxed WebAssembly instances, with a native fallback.\n"
    "\n",
    "extract options (every value accepted is listed; defaults in parentheses):\n"
    "  -i, --input-dir DIR      extract every .html, .htm, .gz and .warc file under DIR\n"
    "                           (recursive; may be repeated)\n"
    "      --input-file FILE    a manifest, '-' for stdin: one input a line (path, URL, or\n"
    "                           PATH<TAB>URL: the URL is the page address); read lazily\n"
    "                           (default: none)\n"
    "  -o, --output-dir DIR     one output file per input in DIR (safe names; nothing is\n"
    "                           written outside DIR) (default: standard output)\n"
    "  -f, --output-format F    json | jsonl | markdown | txt (also ndjson, md, text)\n"
    "                           (default: markdown for one input, jsonl for several)\n"
    "  -m, --mode M             article | full | metadata | custom (default: article)\n"
    "  -s, --selector CSS       CSS selector list for --mode custom (implies it)\n"
    "  -p, --parallel N         worker threads and pool slots, 1 to 1024 (default: CPUs)\n"
    "      --with-metadata      metadata header in markdown (YAML front matter) and txt\n"
    "                           output (default: none)\n",
    CLI_OUTPUT_USAGE,
    "      --html               include the cleaned content HTML in JSON output (default: no)\n"
    "      --base-url URL       page address for files and stdin: relative links and media\n"
    "                           resolve against it (default: the page's canonical URL)\n"
    "      --warc-status S      200 | any (default: 200): with 200, WARC responses with\n"
    "                           another HTTP status are skipped and counted; any extracts them\n"
    "\n",
    "corpus filters (a filtered input is a skipped line, counted in the summary):\n"
    "      --target-language L  keep documents in language L: en, or en,de,... (primary\n"
    "                           subtags; a document without a language is skipped)\n"
    "                           (default: every language)\n"
    "      --min-words N        keep documents of at least N words (default: 0)\n"
    "      --min-quality Q      keep documents with quality_score at least Q, 0 to 100\n"
    "                           (default: 0)\n"
    "      --dedupe             skip documents whose text duplicates an earlier one's,\n"
    "                           exactly or nearly (fingerprints a few bits apart) (default: no)\n"
    "      --dedupe-distance D  near-duplicates differ in at most D fingerprint bits, 0 to 16\n"
    "                           (default: 3; implies --dedupe)\n"
    "\n",
    "limits:\n"
    "      --timeout T          per-page extraction deadline: 10, 10s, 500ms, 1ms to 600s\n"
    "                           (default: 10s)\n"
    "      --memory-limit SIZE  per-instance memory cap: 256M, 1G, 4M to 4G (default: 256M)\n"
    "      --max-size SIZE      input size limit, after decompression too, 1 to 1T\n"
    "                           (default: 64M)\n"
    "      --max-output SIZE    result size limit, 1K to 1T (default: 16M + 4 bytes per input\n"
    "                           byte)\n"
    "      --no-fallback        report guest failures instead of using the native extractor\n"
    "                           (default: fall back)\n"
    "      --engine E           pool | native (default: pool; native: no sandbox, the native\n"
    "                           extractor only)\n"
    "      --events FILE        write the pool's event stream to FILE as JSON lines\n"
    "                           (default: none)\n"
    "      --stats              print the final pool metrics (Prometheus text) on stderr\n"
    "  -q, --quiet              no progress bar, no per-input errors, no summary\n"
    "  -h, --help               this text\n"
    "\n",
    "WARC files (.warc, .warc.gz, or any input that holds WARC records) give one input per\n"
    "HTML page: id is the record id, the page address WARC-Target-URI; other records are\n"
    "counted by kind in the summary.\n"
    "With no input named, a page piped or redirected to standard input is read ('-').\n"
    "Output: jsonl is one object a line, \"id\" (file name without extension, or the URL)\n"
    "first; a failed input is {\"id\", \"error\": {\"code\", \"message\"}}, a filtered one\n"
    "{\"id\", \"skipped\": {\"reason\", ...}} (with markdown, txt or -o DIR: a line on\n"
    "stderr). Outputs follow the input order. With several inputs on standard output, each\n"
    "markdown document starts with front matter (---, id:, url:, title:, ---) and each txt\n"
    "document with a line \"==> ID <==\", so the stream can be split; one input is written\n"
    "bare. A progress bar is drawn on a terminal only; a summary goes to stderr.\n"
    "Exit status: 0 every input extracted, 1 some failed (or output could not be written),\n"
    "2 usage error, 130/143 interrupted by SIGINT/SIGTERM (what was done is written whole and\n"
    "summarised; a second signal exits at once).\n",
};

static void usage_print(void)
{
  for (size_t i = 0; i < sizeof USAGE / sizeof USAGE[0]; i++)
    fputs(USAGE[i], stdout);
}

enum {
  OPT_WITH_METADATA = 256,
  OPT_HTML,
  OPT_BASE_URL,
  OPT_WARC_STATUS,
  OPT_TIMEOUT,
  OPT_MEMORY,
  OPT_MAX_SIZE,
  OPT_MAX_OUTPUT,
  OPT_NO_FALLBACK,
  OPT_ENGINE,
  OPT_EVENTS,
  OPT_STATS,
  OPT_INPUT_FILE,
  OPT_TARGET_LANGUAGE,
  OPT_MIN_WORDS,
  OPT_MIN_QUALITY,
  OPT_DEDUPE,
  OPT_DEDUPE_DISTANCE,
};

static int usage_error(const char *fmt, const char *arg)
{
  char *esc = cli_escape_terminal(arg ? arg : ""); /* no terminal escapes from arguments */
  fputs("riptide: ", stderr);
  fprintf(stderr, fmt, esc ? esc : "?");
  free(esc);
  fputs("\nTry 'riptide --help'.\n", stderr);
  return CLI_EXIT_USAGE;
}

/* "--timeout '0' is out of range (1ms to 600s)": the bounds come from the constants. */
int cli_range_error(const char *cmd, const char *opt, const char *arg, const char *lo,
                    unsigned long long hi, const char *unit)
{
  char *esc = cli_escape_terminal(arg);
  fprintf(stderr, "%s: %s '%s' is out of range (%s to %llu%s)\nTry '%s --help'.\n", cmd, opt,
          esc ? esc : "?", lo, hi, unit, cmd);
  free(esc);
  return CLI_EXIT_USAGE;
}

static int range_error(const char *opt, const char *arg, const char *lo, unsigned long long hi,
                       const char *unit)
{
  return cli_range_error("riptide", opt, arg, lo, hi, unit);
}

static bool parse_format(const char *s, cli_format *f)
{
  if (!strcmp(s, "json"))
    *f = CLI_FMT_JSON;
  else if (!strcmp(s, "jsonl") || !strcmp(s, "ndjson"))
    *f = CLI_FMT_JSONL;
  else if (!strcmp(s, "markdown") || !strcmp(s, "md"))
    *f = CLI_FMT_MARKDOWN;
  else if (!strcmp(s, "txt") || !strcmp(s, "text"))
    *f = CLI_FMT_TXT;
  else
    return false;
  return true;
}

static int cmd_extract(int argc, char **argv)
{
  static const struct option longopts[] = {
      {"input-dir", required_argument, NULL, 'i'},
      {"input-file", required_argument, NULL, OPT_INPUT_FILE},
      {"output-dir", required_argument, NULL, 'o'},
      {"output-format", required_argument, NULL, 'f'},
      {"mode", required_argument, NULL, 'm'},
      {"selector", required_argument, NULL, 's'},
      {"parallel", required_argument, NULL, 'p'},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {"with-metadata", no_argument, NULL, OPT_WITH_METADATA},
      CLI_OUTPUT_LONGOPTS,
      {"html", no_argument, NULL, OPT_HTML},
      {"base-url", required_argument, NULL, OPT_BASE_URL},
      {"warc-status", required_argument, NULL, OPT_WARC_STATUS},
      {"timeout", required_argument, NULL, OPT_TIMEOUT},
      {"memory-limit", required_argument, NULL, OPT_MEMORY},
      {"max-size", required_argument, NULL, OPT_MAX_SIZE},
      {"max-output", required_argument, NULL, OPT_MAX_OUTPUT},
      {"no-fallback", no_argument, NULL, OPT_NO_FALLBACK},
      {"engine", required_argument, NULL, OPT_ENGINE},
      {"events", required_argument, NULL, OPT_EVENTS},
      {"stats", no_argument, NULL, OPT_STATS},
      {"target-language", required_argument, NULL, OPT_TARGET_LANGUAGE},
      {"min-words", required_argument, NULL, OPT_MIN_WORDS},
      {"min-quality", required_argument, NULL, OPT_MIN_QUALITY},
      {"dedupe", no_argument, NULL, OPT_DEDUPE},
      {"dedupe-distance", required_argument, NULL, OPT_DEDUPE_DISTANCE},
      {NULL, 0, NULL, 0},
  };
  cli_config c;
  memset(&c, 0, sizeof c);
  riptide_options_init(&c.opts);
  cli_output_defaults(&c.opts);
  c.parallel = cli_cpu_count();
  cli_corpus_opts_init(&c.corpus);
  bool format_set = false, mode_set = false;
  /* --input-dir values, then --input-file values: one allocation, freed as `dirs`. */
  char **dirs = calloc(2 * ((size_t)argc + 1), sizeof *dirs);
  if (!dirs)
    return CLI_EXIT_FAILED;
  char **manifests = dirs + argc + 1;
  c.input_files = manifests;
  optind = 1;
  int ch;
  int rc = -1;
  cli_parse_result pr;
  while (rc < 0 && (ch = getopt_long(argc, argv, "i:o:f:m:s:p:qh", longopts, NULL)) != -1) {
    switch (ch) {
    case 'i':
      dirs[c.n_input_dirs++] = optarg;
      break;
    case 'o':
      c.output_dir = optarg;
      break;
    case 'f':
      if (!parse_format(optarg, &c.format))
        rc = usage_error("unknown output format '%s' (json, jsonl, markdown, txt)", optarg);
      format_set = true;
      break;
    case 'm':
      if (riptide_mode_parse(optarg, &c.opts.mode) != RIPTIDE_OK)
        rc = usage_error("unknown mode '%s' (article, full, metadata, custom)", optarg);
      mode_set = true;
      break;
    case 's':
      c.opts.selector = optarg;
      break;
    case 'p': {
      char *end;
      long v = strtol(optarg, &end, 10);
      if (end == optarg || *end || v < 1 || v > 1024)
        rc = usage_error("--parallel wants a number from 1 to 1024, not '%s'", optarg);
      else
        c.parallel = (unsigned)v;
      break;
    }
    case 'q':
      c.quiet = true;
      break;
    case 'h':
      usage_print();
      rc = CLI_EXIT_OK;
      break;
    case OPT_WITH_METADATA:
      c.with_metadata = true;
      break;
    case OPT_HTML:
      c.opts.want_html = true;
      break;
    case OPT_BASE_URL:
      if (!cli_is_url(optarg) || !cli_url_clean(optarg))
        rc = usage_error("--base-url wants an http:// or https:// URL without spaces or "
                         "control characters, not '%s'",
                         optarg);
      c.base_url = optarg;
      break;
    case OPT_WARC_STATUS:
      if (strcmp(optarg, "any") == 0)
        c.warc_any_status = true;
      else if (strcmp(optarg, "200") == 0)
        c.warc_any_status = false;
      else
        rc = usage_error("--warc-status wants 200 or any, not '%s'", optarg);
      break;
    case OPT_TIMEOUT:
      pr = cli_parse_duration_ms(optarg, &c.timeout_ms);
      if (pr == CLI_PARSE_BAD)
        rc = usage_error("bad --timeout '%s' (e.g. 10, 10s, 500ms)", optarg);
      else if (pr == CLI_PARSE_RANGE)
        rc = range_error("--timeout", optarg, "1ms",
                         (unsigned long long)RIPTIDE_MAX_TIMEOUT_MS / 1000, "s");
      break;
    case OPT_MEMORY:
      pr = cli_parse_size(optarg, CLI_MIN_MEMORY_LIMIT, RIPTIDE_MAX_MEMORY_CAP, &c.memory_limit);
      if (pr == CLI_PARSE_BAD)
        rc = usage_error("bad --memory-limit '%s' (e.g. 256M, 1G)", optarg);
      else if (pr == CLI_PARSE_RANGE)
        rc = range_error("--memory-limit", optarg, CLI_MIN_MEMORY_LIMIT_TEXT,
                         RIPTIDE_MAX_MEMORY_CAP >> 30, "G");
      break;
    case OPT_MAX_SIZE:
      pr = cli_parse_size(optarg, 1, CLI_MAX_INPUT_LIMIT, &c.max_input);
      if (pr == CLI_PARSE_BAD)
        rc = usage_error("bad --max-size '%s' (e.g. 64M)", optarg);
      else if (pr == CLI_PARSE_RANGE)
        rc = range_error("--max-size", optarg, "1", CLI_MAX_INPUT_LIMIT >> 40, "T");
      break;
    case OPT_MAX_OUTPUT:
      pr = cli_parse_size(optarg, 1024, CLI_MAX_INPUT_LIMIT, &c.max_output);
      if (pr == CLI_PARSE_BAD)
        rc = usage_error("bad --max-output '%s' (e.g. 64M)", optarg);
      else if (pr == CLI_PARSE_RANGE)
        rc = range_error("--max-output", optarg, "1K", CLI_MAX_INPUT_LIMIT >> 40, "T");
      break;
    case OPT_NO_FALLBACK:
      c.no_fallback = true;
      break;
    case OPT_ENGINE:
      if (!strcmp(optarg, "native"))
        c.native = true;
      else if (strcmp(optarg, "pool") != 0)
        rc = usage_error("unknown --engine '%s' (pool, native)", optarg);
      break;
    case OPT_EVENTS:
      c.events_path = optarg;
      break;
    case OPT_STATS:
      c.stats = true;
      break;
    case OPT_INPUT_FILE:
      manifests[c.n_input_files++] = optarg;
      break;
    case OPT_TARGET_LANGUAGE:
      if (!cli_corpus_parse_languages(optarg, &c.corpus))
        rc = usage_error("--target-language wants primary language subtags like en or en,de "
                         "(2-3 letters each, at most 16), not '%s'",
                         optarg);
      break;
    case OPT_MIN_WORDS:
    case OPT_MIN_QUALITY:
    case OPT_DEDUPE_DISTANCE: {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(optarg, &end, 10);
      unsigned long long hi = ch == OPT_MIN_WORDS     ? UINT32_MAX
                              : ch == OPT_MIN_QUALITY ? 100
                                                      : CLI_DEDUPE_DISTANCE_MAX;
      const char *name = ch == OPT_MIN_WORDS     ? "--min-words"
                         : ch == OPT_MIN_QUALITY ? "--min-quality"
                                                 : "--dedupe-distance";
      if (end == optarg || *end || optarg[0] < '0' || optarg[0] > '9')
        rc = usage_error(ch == OPT_MIN_WORDS     ? "--min-words wants a number, not '%s'"
                         : ch == OPT_MIN_QUALITY ? "--min-quality wants a number, not '%s'"
                                                 : "--dedupe-distance wants a number, not '%s'",
                         optarg);
      else if (errno == ERANGE || v > hi)
        rc = range_error(name, optarg, "0", hi, "");
      else if (ch == OPT_MIN_WORDS)
        c.corpus.min_words = (uint32_t)v;
      else if (ch == OPT_MIN_QUALITY)
        c.corpus.min_quality = (int)v;
      else {
        c.corpus.dedupe_distance = (unsigned)v;
        c.corpus.dedupe = true;
      }
      break;
    }
    case OPT_DEDUPE:
      c.corpus.dedupe = true;
      break;
    default:
      if (!cli_output_option(ch, &c.opts))
        rc = usage_error("%s", "bad option");
      break;
    }
  }
  if (rc >= 0) {
    free(dirs);
    return rc;
  }
  c.inputs = argv + optind;
  c.n_inputs = argc - optind;
  c.input_dirs = dirs;
  /* No input named and a page piped or redirected in: it is the input, as '-' would be. A
   * terminal, /dev/null or a closed stdin is no page (the usage error says what to give). */
  static char *stdin_only[] = {"-", NULL};
  if (c.n_inputs == 0 && c.n_input_dirs == 0 && c.n_input_files == 0 && cli_stdin_has_page()) {
    c.inputs = stdin_only;
    c.n_inputs = 1;
  }
  if (c.n_inputs == 0 && c.n_input_dirs == 0 && c.n_input_files == 0) {
    free(dirs);
    return usage_error("%s", "no input: give files, URLs, directories, '-', --input-dir or "
                             "--input-file (or pipe a page to standard input)");
  }
  char unusable[512];
  if (!cli_inputs_usable(c.inputs, c.n_inputs, c.input_files, c.n_input_files, unusable,
                         sizeof unusable)) {
    free(dirs);
    return usage_error("%s", unusable);
  }
  if (c.opts.selector && !mode_set)
    c.opts.mode = RIPTIDE_MODE_CUSTOM;
  if (c.opts.mode == RIPTIDE_MODE_CUSTOM && (!c.opts.selector || !*c.opts.selector)) {
    free(dirs);
    return usage_error("%s", "--mode custom needs --selector CSS");
  }
  if (c.opts.selector && c.opts.mode != RIPTIDE_MODE_CUSTOM) {
    free(dirs);
    return usage_error("%s", "--selector works with --mode custom only");
  }
  char why[200];
  if (c.opts.mode == RIPTIDE_MODE_CUSTOM &&
      riptide_selector_check(c.opts.selector, why, sizeof why) == RIPTIDE_ERR_SELECTOR) {
    free(dirs);
    return usage_error("invalid --selector: %s", why);
  }
  if (c.opts.mode == RIPTIDE_MODE_METADATA && (c.corpus.dedupe || c.corpus.min_words)) {
    free(dirs);
    return usage_error("%s", "--dedupe and --min-words look at the text: --mode metadata has "
                             "none");
  }
  if (c.no_fallback && c.native) {
    free(dirs);
    return usage_error("%s", "--no-fallback makes no sense with --engine native");
  }
  if (!format_set) {
    bool single = c.n_inputs == 1 && c.n_input_dirs == 0 && c.n_input_files == 0;
    c.format = single ? CLI_FMT_MARKDOWN : CLI_FMT_JSONL;
  }
  c.opts.want_markdown = true;
  c.progress = !c.quiet && isatty(STDERR_FILENO);
  rc = cli_run_extract(&c);
  free(dirs);
  return rc;
}

static int cmd_version(void)
{
  printf("riptide %s\n", riptide_version());
  const char *info = riptide_guest_info();
  printf("guest: %s\n", info ? info : "(unavailable)");
  return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
  if (argc < 2)
    return usage_error("%s", "missing command (extract, bench, version)");
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    usage_print();
    return CLI_EXIT_OK;
  }
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version"))
    return cmd_version();
  if (!strcmp(cmd, "extract"))
    return cmd_extract(argc - 1, argv + 1);
  if (!strcmp(cmd, "bench"))
    return cli_bench(argc - 1, argv + 1);
  if (!strcmp(cmd, "worker"))
    return cli_worker(argc - 1, argv + 1);
  if (!strcmp(cmd, "submit"))
    return cli_submit(argc - 1, argv + 1);
  if (!strcmp(cmd, "collect"))
    return cli_collect(argc - 1, argv + 1);
  if (!strcmp(cmd, "serve"))
    return srv_main(argc - 1, argv + 1);
  return usage_error(
      "unknown command '%s' (extract, bench, serve, worker, submit, collect, version)", cmd);
}
