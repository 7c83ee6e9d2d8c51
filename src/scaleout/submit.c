/*
 * submit.c - `riptide submit`: one job per input (files, directories, URLs, stdin, manifests)
 * added to the jobs stream, pipelined, with the stream's length held under --max-pending.
 *
 * DESIGN: single-threaded. Jobs are read into a batch (at most SO_SUBMIT_BATCH jobs or
 * SO_SUBMIT_BATCH_BYTES of page data), the batch's XADDs go out in one write and their replies
 * are read together: one round trip per batch. Before a batch, the stream's length (jobs not
 * yet done: workers delete a job when its result is written) is checked against --max-pending;
 * while it is full, submit waits on the results stream (XREAD BLOCK), which wakes it when a
 * worker finishes something. If the connection breaks, the XADDs whose replies did not arrive
 * are sent again after reconnecting: a job whose XADD reached Redis but whose reply was lost
 * is then queued twice (at-least-once submission; see docs/scale-out.md).
 *
 * An input that cannot be read (a missing file, a WARC record the reader cannot read, a bad
 * manifest line) is still one job: it carries the error `riptide extract` writes for it
 * (input_error, input_error_message, under the id extract gives it), which the worker turns
 * into that job's error result, so collect's output is extract's line for line.
 *
 * WARC pages of a file of one gzip member per record (what crawlers write) are not inflated
 * here: the reader inflates each record's headers only (riptide_warc_defer_bodies) and the job
 * carries the record's gzip member as the file holds it (warc_member, with where the page lies
 * in it), which the worker inflates. The one reader thread then keeps up with many workers,
 * and the stream carries compressed pages.
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
#include <sys/stat.h>
#include <unistd.h>

typedef struct sjob {
  char *id;
  char *data; /* page bytes, or NULL for a URL or a WARC member; may start inside mem */
  size_t len;
  void *mem; /* the allocation holding data, when it came from the WARC reader (riptide_free) */
  /* or a WARC page still in its gzip member (riptide_warc_body_member); len is then the
   * member's size */
  riptide_warc_body *member;
  char *url; /* the page to fetch (no data), or the page's own address (a manifest's
                "path<TAB>url", a WARC record's WARC-Target-URI) */
  bool gzip;
  /* a WARC record: the HTTP Content-Type (its charset decodes the page), WARC-Date, file */
  char *content_type, *warc_date, *warc_file;
  char *warc_error_id; /* with a member: the id its record's error line takes */
  char *base;          /* a fetched page's address from a manifest's "URL<TAB>address" */
  /* an input that cannot be read: the job carries its error (input_error) and nothing else */
  riptide_err fail;
  char *fail_msg;
} sjob;

typedef struct submitter {
  so_endpoint ep;
  so_conn k;
  const char *stream, *results;
  uint64_t max_pending;
  uint64_t max_input;
  bool warc_any_status; /* --warc-status any */
  const char *base_url;
  char *options; /* JSON or NULL */
  bool quiet;
  sjob batch[SO_SUBMIT_BATCH];
  size_t n, bytes;
  uint64_t submitted, round_trips;
  uint64_t failed;  /* inputs that cannot be read (each a job carrying its error) */
  uint64_t refused; /* XADDs Redis answered with an error: those jobs are not in the stream */
  uint64_t warc_files, warc_skipped; /* WARC files read, records in them that are not pages */
  uint64_t known_len;                /* stream length as last seen plus what was added since */
  bool fatal;
} submitter;

static bool forever(void *ctx)
{
  (void)ctx;
  return true;
}

static bool ensure(submitter *s)
{
  return so_conn_ensure(&s->k, forever, NULL, "submit");
}

static void clear_job(sjob *j)
{
  free(j->id);
  if (j->mem)
    riptide_free(j->mem);
  else
    free(j->data);
  riptide_warc_body_free(j->member);
  free(j->url);
  free(j->content_type);
  free(j->warc_date);
  free(j->warc_file);
  free(j->warc_error_id);
  free(j->base);
  free(j->fail_msg);
  memset(j, 0, sizeof *j);
}

/* Waits until the stream has room for `want` more jobs; returns how many fit now. */
static uint64_t wait_room(submitter *s, uint64_t want)
{
  if (s->known_len + want <= s->max_pending)
    return want;
  for (;;) {
    if (!ensure(s))
      return 0;
    redisReply *r = so_commandf(&s->k, "XLEN %s", s->stream);
    s->round_trips++;
    if (!r)
      continue;
    if (r->type == REDIS_REPLY_INTEGER)
      s->known_len = (uint64_t)r->integer;
    freeReplyObject(r);
    if (s->known_len < s->max_pending) {
      uint64_t room = s->max_pending - s->known_len;
      return room < want ? room : want;
    }
    /* Full: wake when a worker adds a result (or after a second, to look again). */
    r = so_commandf(&s->k, "XREAD COUNT 1 BLOCK 1000 STREAMS %s $", s->results);
    s->round_trips++;
    freeReplyObject(r);
  }
}

/* Sends jobs [from, to) of the batch in one write and reads their replies; after a
 * reconnection, sends again whatever had no reply. */
static void send_jobs(submitter *s, size_t from, size_t to)
{
  size_t done = from;
  while (done < to) {
    if (!ensure(s)) {
      s->fatal = true;
      return;
    }
    for (size_t i = done; i < to; i++) {
      sjob *j = &s->batch[i];
      const char *argv[32];
      size_t lens[32];
      int c = 0;
#define ARG(p, l) (argv[c] = (p), lens[c] = (l), c++)
#define ARGS(p) ARG(p, strlen(p))
      ARGS("XADD");
      ARGS(s->stream);
      ARGS("*");
      ARGS("id");
      ARGS(j->id);
      char at[24], plen[24], off[24];
      if (j->fail) { /* the worker writes this error as the job's result */
        ARGS("input_error");
        ARGS(riptide_err_name(j->fail));
        ARGS("input_error_message");
        ARGS(j->fail_msg);
      } else if (j->member) { /* inflated by the worker: the fields of docs/scale-out.md */
        size_t mlen = 0, mat = 0;
        uint64_t moff = 0;
        const void *m = riptide_warc_body_member(j->member, &mlen, &mat, &moff);
        snprintf(at, sizeof at, "%zu", mat);
        snprintf(plen, sizeof plen, "%zu", riptide_warc_body_size(j->member));
        snprintf(off, sizeof off, "%llu", (unsigned long long)moff);
        ARGS("warc_member");
        ARG(m, mlen);
        ARGS("warc_payload_at");
        ARGS(at);
        ARGS("warc_payload_len");
        ARGS(plen);
        ARGS("warc_offset");
        ARGS(off);
        ARGS("warc_error_id");
        ARGS(j->warc_error_id);
      }
      if (j->fail) {
        /* nothing else: no page, no options */
      } else if (j->data || j->member) {
        if (j->data) {
          ARGS("html");
          ARG(j->data, j->len);
        }
        if (j->gzip) {
          ARGS("encoding");
          ARGS("gzip");
        }
        if (j->url) { /* the page's own address */
          ARGS("url");
          ARGS(j->url);
        }
        if (j->content_type) {
          ARGS("content_type");
          ARGS(j->content_type);
        }
        if (j->warc_file) {
          ARGS("warc_date");
          ARGS(j->warc_date ? j->warc_date : "");
          ARGS("warc_file");
          ARGS(j->warc_file);
        }
      } else {
        ARGS("url");
        ARGS(j->url);
      }
      if (j->fail) {
        /* no base_url */
      } else if (j->base) {
        ARGS("base_url");
        ARGS(j->base);
      } else if (s->base_url && !((j->data || j->member) && j->url)) {
        /* --base-url is the address of pages that have none of their own */
        ARGS("base_url");
        ARGS(s->base_url);
      }
      if (s->options && !j->fail) {
        ARGS("options");
        ARGS(s->options);
      }
#undef ARG
#undef ARGS
      redisAppendCommandArgv(s->k.c, c, argv, lens);
    }
    s->round_trips++;
    for (; done < to; done++) {
      void *r = NULL;
      if (redisGetReply(s->k.c, &r) != REDIS_OK || !r) {
        so_conn_drop(&s->k);
        break; /* the rest is sent again */
      }
      redisReply *rr = r;
      if (rr->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "riptide submit: %s: XADD: %s\n", s->batch[done].id, rr->str);
        s->refused++;
      } else {
        s->submitted++;
        s->known_len++;
      }
      freeReplyObject(rr);
    }
  }
}

static void flush_batch(submitter *s)
{
  size_t off = 0;
  while (off < s->n && !s->fatal) {
    uint64_t room = wait_room(s, s->n - off);
    if (room == 0) {
      s->fatal = true;
      break;
    }
    send_jobs(s, off, off + (size_t)room);
    off += (size_t)room;
  }
  for (size_t i = 0; i < s->n; i++)
    clear_job(&s->batch[i]);
  s->n = 0;
  s->bytes = 0;
}

/* Queues a job (ownership passes to the batch); flushes the batch when it is full. */
static bool queue_job(submitter *s, sjob *j)
{
  s->bytes += j->len;
  s->batch[s->n++] = *j;
  if (s->n == SO_SUBMIT_BATCH || s->bytes >= SO_SUBMIT_BATCH_BYTES)
    flush_batch(s);
  return !s->fatal;
}

/* An input that cannot be read: reported on stderr, and queued as a job carrying its error
 * (code err, message why), under the id `extract` gives its error line (id is consumed; NULL
 * means out of memory). False when submitting must stop. */
static bool input_failed(submitter *s, char *id, riptide_err err, const char *why)
{
  char *eid = id ? cli_escape_terminal(id) : NULL;
  char *ewhy = cli_escape_terminal(why);
  fprintf(stderr, "riptide submit: %s: %s\n", eid ? eid : "?", ewhy ? ewhy : "?");
  free(eid);
  free(ewhy);
  s->failed++;
  sjob j = {0};
  j.id = id;
  j.fail = err != RIPTIDE_OK ? err : RIPTIDE_ERR_IO;
  j.fail_msg = strdup(why);
  if (!j.id || !j.fail_msg) {
    clear_job(&j);
    s->fatal = true;
    return false;
  }
  cli_utf8_clean(j.id);
  return queue_job(s, &j);
}

/* A WARC file: one job per page (id: the record id; url: WARC-Target-URI; the HTTP
 * Content-Type goes with it for the charset), read with the reader `extract` uses, its bodies
 * deferred as `extract` defers them: a page in a gzip member of its own goes as that member,
 * for the worker to inflate (a damaged one is then that job's error result, as it is that
 * record's error line in `extract`). Records that are not pages are counted; a record that
 * cannot be read is one failed input, whose job carries extract's error line for it. */
static bool add_warc(submitter *s, const char *path)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  riptide_warc *w = NULL;
  if (fd < 0)
    return input_failed(s, cli_warc_error_id(path, NULL, 0), RIPTIDE_ERR_IO, strerror(errno));
  riptide_err e = riptide_warc_open(fd, s->max_input, s->warc_any_status, &w);
  if (e != RIPTIDE_OK) {
    close(fd);
    return input_failed(s, cli_warc_error_id(path, NULL, 0), e, riptide_strerror(e));
  }
  s->warc_files++;
  riptide_warc_defer_bodies(w, true); /* the workers inflate the pages */
  riptide_warc_item it;
  int rc;
  while (!s->fatal && (rc = riptide_warc_next(w, &it)) != 0) {
    if (rc < 0) {
      char why[160];
      snprintf(why, sizeof why, "read error: %s", strerror(errno));
      input_failed(s, cli_warc_error_id(path, NULL, it.offset), RIPTIDE_ERR_IO, why);
      break;
    }
    if (it.kind == RIPTIDE_WARC_SKIPPED) {
      s->warc_skipped++;
      continue;
    }
    if (it.kind == RIPTIDE_WARC_ERROR) {
      input_failed(s, cli_warc_error_id(path, it.id, it.offset), it.err, it.error);
      continue;
    }
    sjob j = {0};
    j.id = strdup(it.id[0] ? it.id : path);
    j.member = riptide_warc_take_deferred(w);
    j.url = it.url && cli_is_url(it.url) ? strdup(it.url) : NULL;
    j.content_type = it.content_type && it.content_type[0] ? strdup(it.content_type) : NULL;
    j.warc_date = strdup(it.date);
    j.warc_file = strdup(path);
    if (!j.id || !j.member || !j.warc_date || !j.warc_file) {
      clear_job(&j);
      s->fatal = true;
      break;
    }
    cli_utf8_clean(j.id);
    cli_utf8_clean(j.warc_file);
    size_t at;
    uint64_t off;
    if (riptide_warc_body_member(j.member, &j.len, &at, &off)) {
      if (!(j.warc_error_id = cli_warc_error_id(path, it.id, it.offset))) {
        clear_job(&j);
        s->fatal = true;
        break;
      }
    } else {
      /* decoded by the reader (plain file, chunked, compressed...): the page itself, handed
       * over without a copy */
      riptide_err ie = riptide_warc_body_inflate(j.member, &j.data, &j.len, &j.mem, NULL, 0);
      riptide_warc_body_free(j.member);
      j.member = NULL;
      if (ie != RIPTIDE_OK) { /* a ready body is only handed over: this does not happen */
        clear_job(&j);
        s->fatal = true;
        break;
      }
    }
    queue_job(s, &j);
  }
  riptide_warc_close(w);
  close(fd);
  return !s->fatal;
}

/* One input: a URL, a file (a WARC file gives one job per page), or "-"; url, when not NULL,
 * is the page's own address (a manifest's "path<TAB>url"). */
static bool add_one(submitter *s, const char *src, const char *url)
{
  if (s->fatal)
    return false;
  if (cli_is_warc_file(src))
    return add_warc(s, src);
  sjob j = {0};
  j.id = cli_input_id(src);
  if (!j.id) {
    s->fatal = true;
    return false;
  }
  size_t scheme = cli_url_scheme_len(src);
  if (scheme && !cli_is_url(src)) { /* the command line and the manifest reader refuse these */
    char why[80];
    snprintf(why, sizeof why, "unsupported URL scheme '%.*s' (http and https only)",
             (int)(scheme < 32 ? scheme : 32), src);
    return input_failed(s, j.id, RIPTIDE_ERR_BAD_INPUT, why);
  }
  if (url && !(j.url = strdup(url))) {
    clear_job(&j);
    s->fatal = true;
    return false;
  }
  if (cli_is_url(src)) {
    j.base = j.url; /* the address given after the tab, or NULL: the final URL */
    j.url = strdup(src);
    if (!j.url) {
      clear_job(&j);
      s->fatal = true;
      return false;
    }
  } else {
    char detail[600];
    riptide_err err = cli_read_source(src, s->max_input, &j.data, &j.len, detail, sizeof detail);
    if (err != RIPTIDE_OK) { /* extract's error line for the file: same id, code, message */
      char *id = j.id;
      j.id = NULL;
      clear_job(&j);
      return input_failed(s, id, err, detail);
    }
    j.gzip = j.len >= 2 && (unsigned char)j.data[0] == 0x1f && (unsigned char)j.data[1] == 0x8b;
  }
  return queue_job(s, &j);
}

/* A walk's callback too: error != NULL is an entry the walk could not make an input. */
static bool add_input(const char *src, const char *error, void *ctx)
{
  submitter *s = ctx;
  if (s->fatal)
    return false;
  if (error)
    return input_failed(s, cli_input_id(src), RIPTIDE_ERR_IO, error);
  return add_one(s, src, NULL);
}

static bool is_dir(const char *p)
{
  struct stat st;
  return !cli_is_url(p) && strcmp(p, "-") != 0 && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool add_any(submitter *s, const char *src)
{
  if (!is_dir(src))
    return add_input(src, NULL, s);
  cli_walk_dir(src, add_input, s); /* unreadable entries come back as errors */
  return !s->fatal;
}

/* A manifest (manifest.c, the reader `extract --input-file` uses): one input a line (file,
 * directory, URL, or "path<TAB>url"), read lazily; a line that is not an input, or a manifest
 * that cannot be read, is one failed input, with extract's id, code and message. */
static bool add_manifest(submitter *s, const char *path)
{
  char detail[600];
  cli_manifest *m = NULL;
  if (cli_manifest_open(path, &m, detail, sizeof detail) != RIPTIDE_OK)
    return input_failed(s, cli_input_id(path), RIPTIDE_ERR_IO, detail);
  cli_manifest_entry e;
  int rc;
  while (!s->fatal && (rc = cli_manifest_next(m, &e)) != 0) {
    if (rc < 0) {
      input_failed(s, cli_input_id(path), RIPTIDE_ERR_IO, e.error);
      break;
    }
    if (e.error) {
      snprintf(detail, sizeof detail, "line %llu: %s", (unsigned long long)cli_manifest_line(m),
               e.error);
      input_failed(s, cli_input_id(e.src), RIPTIDE_ERR_BAD_INPUT, detail);
    } else if (is_dir(e.src)) {
      add_any(s, e.src);
    } else {
      add_one(s, e.src, e.url);
    }
  }
  cli_manifest_close(m);
  return !s->fatal;
}

static const char USAGE[] =
    "usage: riptide submit --redis URL [options] [FILE|URL|DIR|-]...\n"
    "\n"
    "Adds one extraction job per input to the jobs stream and prints how many were added.\n"
    "An input that cannot be read is a job too, whose result is its error (as extract's\n"
    "line for it); submit then exits 1.\n"
    "\n"
    "  --redis URL          redis://[:password@]host[:port][/db] or unix://[:password@]/path\n"
    "  --stream NAME        jobs stream (default riptide:jobs)\n"
    "  --results NAME       results stream, watched while the queue is full\n"
    "                       (default riptide:results)\n"
    "  --max-pending N      wait while the jobs stream holds N jobs (default 10000)\n"
    "  -i, --input-dir DIR  every .html, .htm, .gz and .warc file under DIR (may be repeated)\n"
    "      --input-file F   a manifest: one file, directory or URL a line, or PATH<TAB>URL\n"
    "                       (the page's address); '-' reads it from standard input\n"
    "      --warc-status S  200 (default) or any: WARC responses of other statuses are jobs\n"
    "  -m, --mode M / -s, --selector CSS / --links / --images / --no-tables / --html\n"
    "                       extraction options carried by each job\n"
    "      --base-url URL   page address for files and stdin\n"
    "      --max-size SIZE  largest page read (default 64M)\n"
    "  -q, --quiet          no summary on stderr\n";

enum {
  S_REDIS = 400,
  S_STREAM,
  S_RESULTS,
  S_MAX_PENDING,
  S_INPUT_FILE,
  S_LINKS,
  S_IMAGES,
  S_NO_TABLES,
  S_HTML,
  S_BASE_URL,
  S_MAX_SIZE,
  S_WARC_STATUS,
};

static int usage(const char *fmt, const char *arg)
{
  fputs("riptide submit: ", stderr);
  fprintf(stderr, fmt, arg ? arg : "");
  fputs("\nTry 'riptide submit --help'.\n", stderr);
  return CLI_EXIT_USAGE;
}

int cli_submit(int argc, char **argv)
{
  static const struct option longopts[] = {
      {"redis", required_argument, NULL, S_REDIS},
      {"stream", required_argument, NULL, S_STREAM},
      {"results", required_argument, NULL, S_RESULTS},
      {"max-pending", required_argument, NULL, S_MAX_PENDING},
      {"input-dir", required_argument, NULL, 'i'},
      {"input-file", required_argument, NULL, S_INPUT_FILE},
      {"mode", required_argument, NULL, 'm'},
      {"selector", required_argument, NULL, 's'},
      {"links", no_argument, NULL, S_LINKS},
      {"images", no_argument, NULL, S_IMAGES},
      {"no-tables", no_argument, NULL, S_NO_TABLES},
      {"html", no_argument, NULL, S_HTML},
      {"base-url", required_argument, NULL, S_BASE_URL},
      {"max-size", required_argument, NULL, S_MAX_SIZE},
      {"warc-status", required_argument, NULL, S_WARC_STATUS},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  submitter *s = calloc(1, sizeof *s);
  char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
  char **manifests = calloc((size_t)argc + 1, sizeof *manifests);
  json_t *opts = json_object();
  int n_dirs = 0, n_manifests = 0, rc = -1;
  const char *url = NULL, *mode = NULL, *selector = NULL;
  if (!s || !dirs || !manifests || !opts) {
    rc = CLI_EXIT_FAILED;
    goto out;
  }
  s->stream = "riptide:jobs";
  s->results = "riptide:results";
  s->max_pending = SO_DEFAULT_MAX_PENDING;
  s->max_input = 64ull << 20;
  int ch;
  optind = 1;
  while (rc < 0 && (ch = getopt_long(argc, argv, "i:m:s:qh", longopts, NULL)) != -1) {
    switch (ch) {
    case S_REDIS:
      url = optarg;
      break;
    case S_STREAM:
    case S_RESULTS:
      if (!*optarg || strlen(optarg) > SO_MAX_NAME)
        rc = usage("names are 1 to 200 bytes, not '%s'", optarg);
      else if (ch == S_STREAM)
        s->stream = optarg;
      else
        s->results = optarg;
      break;
    case S_MAX_PENDING: {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(optarg, &end, 10);
      if (end == optarg || *end || errno || optarg[0] == '-' || v < 1 || v > (1ull << 40))
        rc = usage("bad --max-pending '%s'", optarg);
      s->max_pending = v;
      break;
    }
    case 'i':
      dirs[n_dirs++] = optarg;
      break;
    case S_INPUT_FILE:
      manifests[n_manifests++] = optarg;
      break;
    case 'm': {
      riptide_mode m;
      if (riptide_mode_parse(optarg, &m) != RIPTIDE_OK)
        rc = usage("unknown mode '%s' (article, full, metadata, custom)", optarg);
      mode = optarg;
      break;
    }
    case 's':
      selector = optarg;
      break;
    case S_LINKS:
      json_object_set_new(opts, "links", json_true());
      break;
    case S_IMAGES:
      json_object_set_new(opts, "images", json_true());
      break;
    case S_NO_TABLES:
      json_object_set_new(opts, "tables", json_false());
      break;
    case S_HTML:
      json_object_set_new(opts, "html", json_true());
      break;
    case S_BASE_URL:
      if (!cli_is_url(optarg))
        rc = usage("--base-url wants an http:// or https:// URL, not '%s'", optarg);
      s->base_url = optarg;
      break;
    case S_MAX_SIZE:
      if (cli_parse_size(optarg, 1, CLI_MAX_INPUT_LIMIT, &s->max_input) != CLI_PARSE_OK)
        rc = usage("bad --max-size '%s' (e.g. 64M)", optarg);
      break;
    case S_WARC_STATUS:
      if (strcmp(optarg, "any") == 0 || strcmp(optarg, "200") == 0)
        s->warc_any_status = strcmp(optarg, "any") == 0;
      else
        rc = usage("--warc-status wants 200 or any, not '%s'", optarg);
      break;
    case 'q':
      s->quiet = true;
      break;
    case 'h':
      fputs(USAGE, stdout);
      rc = CLI_EXIT_OK;
      break;
    default:
      rc = usage("%s", "bad option");
      break;
    }
  }
  if (rc >= 0)
    goto out;
  if (!url) {
    rc = usage("%s", "--redis URL is required");
    goto out;
  }
  if (optind == argc && n_dirs == 0 && n_manifests == 0) {
    rc = usage("%s", "no input: give files, URLs, directories, '-', --input-dir or --input-file");
    goto out;
  }
  /* The inputs `extract` refuses before reading any, refused here alike (usage errors). */
  char why[512];
  if (!cli_inputs_usable(argv + optind, argc - optind, manifests, n_manifests, why, sizeof why)) {
    char *esc = cli_escape_terminal(why); /* no terminal escapes from arguments */
    rc = usage("%s", esc ? esc : why);
    free(esc);
  }
  for (int i = 0; i < n_dirs && rc < 0; i++)
    if (!is_dir(dirs[i]))
      rc = usage("--input-dir %s: not a directory", dirs[i]);
  if (rc >= 0)
    goto out;
  if (mode)
    json_object_set_new(opts, "mode", json_string(mode));
  if (selector) {
    json_t *js = json_string(selector);
    if (!js) {
      rc = usage("%s", "--selector is not valid UTF-8");
      goto out;
    }
    json_object_set_new(opts, "selector", js);
  }
  if (json_object_size(opts) > 0)
    s->options = json_dumps(opts, JSON_COMPACT);
  char detail[600];
  if (!so_endpoint_parse(url, &s->ep, detail, sizeof detail)) {
    rc = usage("%s", detail);
    goto out;
  }
  signal(SIGPIPE, SIG_IGN);
  so_conn_init(&s->k, &s->ep);
  /* Fail fast on a wrong URL or password; an outage later is waited out. */
  if (!so_conn_open(&s->k)) {
    fprintf(stderr, "riptide submit: cannot connect to Redis: %s\n", s->k.err);
    rc = CLI_EXIT_FAILED;
    goto out;
  }
  s->k.ever_connected = true;
  s->known_len = s->max_pending; /* unknown: the first batch looks */
  for (int i = optind; i < argc && !s->fatal; i++)
    add_any(s, argv[i]);
  for (int i = 0; i < n_dirs && !s->fatal; i++)
    add_any(s, dirs[i]);
  for (int i = 0; i < n_manifests && !s->fatal; i++)
    add_manifest(s, manifests[i]);
  if (!s->fatal)
    flush_batch(s);
  printf("%llu\n", (unsigned long long)s->submitted);
  if (!s->quiet) /* a failed input's job, which carries its error, is among those added */
    fprintf(stderr,
            "riptide submit: %llu job%s added to %s, %llu input%s failed, %llu refused by Redis "
            "(%llu round trip%s)\n",
            (unsigned long long)s->submitted, s->submitted == 1 ? "" : "s", s->stream,
            (unsigned long long)s->failed, s->failed == 1 ? "" : "s",
            (unsigned long long)s->refused, (unsigned long long)s->round_trips,
            s->round_trips == 1 ? "" : "s");
  if (!s->quiet && s->warc_files)
    fprintf(stderr, "riptide submit: WARC: %llu file%s, %llu record%s not pages\n",
            (unsigned long long)s->warc_files, s->warc_files == 1 ? "" : "s",
            (unsigned long long)s->warc_skipped, s->warc_skipped == 1 ? "" : "s");
  rc = s->failed || s->refused || s->fatal ? CLI_EXIT_FAILED : CLI_EXIT_OK;
out:
  if (s) {
    for (size_t i = 0; i < s->n; i++)
      clear_job(&s->batch[i]);
    so_conn_close(&s->k);
    so_endpoint_clear(&s->ep);
    free(s->options);
  }
  free(s);
  free(dirs);
  free(manifests);
  json_decref(opts);
  return rc;
}
