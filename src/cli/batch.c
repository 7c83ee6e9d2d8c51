/*
 * batch.c - `riptide extract`: a streaming batch of inputs through a pool of worker threads.
 *
 * DESIGN
 *  Threads: the main thread produces jobs (arguments, then directory walks, in order); N worker
 *  threads read, decode and extract them, and write the results in input order themselves
 *  (see "output role" below); with a progress bar, one ticker thread redraws it while no
 *  result arrives. There is no writer thread: handing every page to one cost two thread
 *  wake-ups a page, a few percent of the CPU of a batch.
 *
 *  Jobs live in a ring of `window` slots indexed by sequence number (seq % window). Three
 *  counters, all guarded by `lock`, with next_write <= next_take <= next_seq:
 *    next_seq   - the next sequence number the producer will fill;
 *    next_take  - the next job a worker will take;
 *    next_write - the next job to be written (all before it are written and their slots
 *                 free).
 *  The producer waits (cond `space`) while next_seq - next_write == window, so at most
 *  `window` inputs are in memory at once whatever the batch size: a 10,000-file batch uses the
 *  memory of `window` files. It is woken once the ring is half empty, not for every slot. A
 *  slot's state goes EMPTY -> QUEUED (producer) -> RUNNING (worker) -> DONE (worker) -> EMPTY
 *  (output role). Only the thread that owns a state touches the slot's fields outside the
 *  lock: the worker between RUNNING and DONE, the output role after DONE.
 *
 *  Output role: `emitting` (under lock) says a thread is writing results. A worker that marks
 *  its job DONE takes the role if it is free and writes every DONE job at the head of the ring
 *  (the lock is released around each write), then gives it back; a worker that finds the role
 *  taken goes on to its next job, and the holder writes that result after its current one,
 *  since it re-checks the head under the lock before giving the role back. So whenever the
 *  role is free, the head job is not DONE: no result waits for nobody. The ticker takes the
 *  role the same way to draw, and drains the head when it gives it back. All writer state
 *  (statistics, output names, stdout) belongs to the role's holder.
 *  No lock is held while reading files, extracting, or writing output.
 *
 *  Buffers are reused: each worker reads files into one buffer (decoded in place when the page
 *  is already clean UTF-8), and each ring slot keeps the buffer its result is formatted into,
 *  both trimmed back after an outsized page.
 *
 *  Every input gets exactly one result (a document or an error) and every result is written,
 *  so the counts of the summary always add up to the number of inputs.
 *
 *  Stopping early: `stopping` (under lock) is set by the signal thread (SIGINT/SIGTERM, taken
 *  with sigwait: they are blocked in every thread of the run) or by the output role when
 *  standard output fails (EPIPE with SIGPIPE ignored, a full disk). Then the producer submits
 *  nothing more, workers take no new job, the jobs running finish and the output role writes
 *  every DONE job whole; jobs still QUEUED are dropped and counted as not processed. So a
 *  stopped batch still writes only whole results, in order, and its summary counts exactly
 *  what was written (results lost to a failed stdout are counted as failed).
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef enum { SLOT_EMPTY = 0, SLOT_QUEUED, SLOT_RUNNING, SLOT_DONE } slot_state;

/* Buffers above these sizes are freed after use rather than kept for the next page: a
 * worker's read buffer (one per worker, next to the pool slot's 8 MiB kept resident) and a
 * ring slot's output buffer (4 per worker; typical documents are 20-100 KiB of JSON). */
#define CLI_KEEP_READ_BUFFER (4u << 20)
#define CLI_KEEP_OUT_BUFFER (256u << 10)
#define CLI_STDOUT_BUFFER (256u << 10)

typedef struct job {
  slot_state state;
  char *src; /* path, URL or "-" */
  char *id;
  bool prefailed;          /* the walk could not make this an input: err and detail are set */
  riptide_err prefail_err; /* the code of a prefailed input (0: IO) */
  /* a page read from a WARC file: its bytes (NUL-terminated; they may start inside data_mem,
   * the allocation riptide_warc_take_body() gave), address and record fields */
  char *data;
  void *data_mem;
  size_t data_len;
  char *url, *ctype, *warc_date, *warc_file;
  /* or its body still compressed, inflated by the worker (riptide_warc_take_deferred); when
   * that fails, the record is reported as the producer reports a record it cannot read */
  riptide_warc_body *wbody;
  uint64_t warc_offset;
  bool warc_noid; /* the record has no id: an error names it path@offset */
  /* result (worker -> output role) */
  cli_buf out;  /* formatted document or error object; kept across uses of the slot */
  bool has_out; /* false for an error in markdown/txt */
  riptide_err err;
  char detail[512];
  bool fallback;
  cli_corpus_result corpus; /* skipped by a filter (worker) or as a duplicate (output role) */
  uint64_t latency_ns;
} job;

typedef struct name_set { /* hashes of output names used in this run */
  uint64_t *v;
  size_t cap, n;
} name_set;

typedef struct batch {
  cli_config *c;
  cli_engine *eng;
  pthread_mutex_t lock;
  pthread_cond_t work, space, tick;
  job *ring; /* guarded by lock (see DESIGN) */
  size_t window;
  uint64_t next_seq, next_take, next_write; /* guarded by lock */
  bool producing_done;                      /* guarded by lock */
  bool emitting;                            /* guarded by lock: the output role is held */
  bool producer_waiting;                    /* guarded by lock */
  unsigned idle_workers;                    /* guarded by lock: waiting on `work` */
  bool finished;                            /* guarded by lock: tells the ticker to stop */
  /* Guarded by lock: no new job is taken or produced (a signal, or standard output failed);
   * jobs already running finish and everything done is written. */
  bool stopping;
  int signal_received; /* guarded by lock: SIGINT or SIGTERM, 0 if none */
  bool signal_quit;    /* guarded by lock: the signal thread's stop */
  sigset_t signals;    /* SIGINT and SIGTERM, blocked in every thread and taken by sigwait */
  /* output role only */
  uint64_t total; /* expected inputs, 0 = unknown */
  uint64_t ok, failed, fallback;
  cli_latency lat;
  uint64_t t_start, last_draw;
  int out_dirfd;
  name_set names;
  uint64_t tmp_counter; /* temporary file names in the output directory */
  bool json_array;
  uint64_t written_docs;
  bool progress_drawn;
  bool write_error; /* standard output failed: nothing more is written to it */
  int write_errno;
  uint64_t unwritten; /* results lost to the output error (counted in failed) */
  uint64_t unflushed_ok, unflushed_fallback; /* counted ok, still in stdout's buffer */
  cli_dedup *dedup;                          /* --dedupe: the documents kept so far */
  uint64_t skipped[CLI_SKIP_KINDS], skipped_all, unflushed_skipped[CLI_SKIP_KINDS];
  /* producer only (read after it is done): WARC files read, records skipped by reason */
  uint64_t warc_files;
  uint64_t warc_skipped[CLI_WARC_SKIP_KINDS];
} batch;

typedef struct worker {
  batch *b;
  char *rbuf; /* file read buffer, reused from page to page */
  size_t rcap;
  pthread_t th;
} worker;

/* ---- worker -------------------------------------------------------------------------------- */

static bool all_space(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\f')
      return false;
  return true;
}

/* A WARC page's JSON document also names its record (cli_add_warc_fields, docs/schema.md). */
static bool add_warc_fields(const cli_config *c, job *j)
{
  if (c->format != CLI_FMT_JSON && c->format != CLI_FMT_JSONL)
    return true;
  return cli_add_warc_fields(&j->out, c->format == CLI_FMT_JSON, j->warc_date, j->warc_file);
}

static void process(batch *b, worker *w, job *j)
{
  const cli_config *c = b->c;
  uint64_t t0 = cli_now_ns();
  char *raw = NULL, *html = NULL;
  size_t raw_len = 0, html_len = 0;
  riptide_fetch_result fr = {0};
  const char *url = NULL;
  const char *content_type = NULL;
  riptide_err err;
  uint64_t max = c->max_input ? c->max_input : (64ull << 20);
  memset(&j->corpus, 0, sizeof j->corpus);

  if (j->prefailed) {
    err = j->prefail_err ? j->prefail_err : RIPTIDE_ERR_IO; /* detail set by the producer */
  } else if (j->data || j->wbody) {
    j->detail[0] = '\0';
    err = RIPTIDE_OK;
    if (j->wbody) { /* a WARC page's inflate, moved off the reader */
      err = riptide_warc_body_inflate(j->wbody, &j->data, &j->data_len, &j->data_mem, j->detail,
                                      sizeof j->detail);
      riptide_warc_body_free(j->wbody);
      j->wbody = NULL;
      char *id = err != RIPTIDE_OK && j->warc_noid ? cli_warc_error_id(j->src, NULL, j->warc_offset)
                                                   : NULL;
      if (id) { /* the record is named as the producer names one it cannot read */
        free(j->id);
        j->id = id;
      }
    }
    raw = j->data; /* NUL-terminated: decoded in place when clean */
    raw_len = j->data_len;
    url = j->url ? j->url : c->base_url;
    content_type = j->ctype;
  } else if (cli_is_url(j->src)) {
    j->detail[0] = '\0';
    err = cli_fetch_page(j->src, max, c->timeout_ms, &fr, j->detail, sizeof j->detail);
    raw = fr.body;                        /* NUL-terminated, so there is room to decode in place */
    raw_len = fr.len;                     /* empty: reported as such below */
    url = j->url ? j->url : fr.final_url; /* a manifest's "URL<TAB>address" */
    content_type = fr.content_type;
  } else {
    j->detail[0] = '\0';
    err = cli_read_file(j->src, max, &w->rbuf, &w->rcap, &raw_len, j->detail, sizeof j->detail);
    raw = w->rbuf;
    url = j->url ? j->url : c->base_url; /* a manifest's "path<TAB>url" */
  }
  if (err == RIPTIDE_OK && raw_len == 0) {
    err = RIPTIDE_ERR_BAD_INPUT;
    snprintf(j->detail, sizeof j->detail, "empty input");
  }
  if (err == RIPTIDE_OK) {
    /* Clean UTF-8 is decoded in place: html is then raw itself. */
    err = riptide_decode_input_inplace(raw, raw_len, content_type, max, &html, &html_len);
    if (err == RIPTIDE_ERR_BAD_INPUT)
      snprintf(j->detail, sizeof j->detail, "binary data, not HTML");
    else if (err == RIPTIDE_ERR_INPUT_TOO_LARGE)
      snprintf(j->detail, sizeof j->detail, "decoded input exceeds %llu bytes",
               (unsigned long long)max);
    else if (err == RIPTIDE_ERR_DECODE)
      snprintf(j->detail, sizeof j->detail, "corrupt compressed data or undecodable charset");
  }
  if (err == RIPTIDE_OK && all_space(html, html_len)) {
    err = RIPTIDE_ERR_BAD_INPUT;
    snprintf(j->detail, sizeof j->detail, "empty input (whitespace only)");
  }
  riptide_document *doc = NULL;
  if (err == RIPTIDE_OK) {
    riptide_options o = c->opts;
    o.call_id = j->id; /* --events: this input's events carry its id */
    err = cli_engine_extract(b->eng, html, html_len, url, &o, &doc);
    if (err != RIPTIDE_OK && !j->detail[0])
      snprintf(j->detail, sizeof j->detail, "%s", riptide_strerror(err));
  }
  if (html != raw)
    free(html);
  if (w->rcap > CLI_KEEP_READ_BUFFER) {
    free(w->rbuf);
    w->rbuf = NULL;
    w->rcap = 0;
  }
  j->out.len = 0;
  j->out.failed = false;
  j->has_out = false;
  if (err == RIPTIDE_OK) {
    j->fallback = doc->fallback_reason != NULL;
    bool json = c->format == CLI_FMT_JSON || c->format == CLI_FMT_JSONL;
    bool skip = cli_corpus_filter(&c->corpus, doc, &j->corpus); /* corpus.c */
    if (skip)
      j->has_out = !json || cli_corpus_format_skip(c, j->id, &j->corpus, &j->out);
    else
      j->has_out = cli_format_document(c, doc, j->id, &j->out);
    if (j->has_out && j->warc_file && !skip)
      j->has_out = add_warc_fields(c, j);
    if (!j->has_out) { /* malloc failed (the buffer's 1 GiB ceiling is far above any page) */
      err = RIPTIDE_ERR_NOMEM;
      snprintf(j->detail, sizeof j->detail, "out of memory formatting the document");
    }
    if (skip && !json)
      j->has_out = false; /* markdown and txt: no output, noted on stderr */
    riptide_document_free(doc);
  }
  riptide_fetch_result_clear(&fr);
  riptide_free(j->data_mem);
  j->data = NULL;
  j->data_mem = NULL;
  if (err != RIPTIDE_OK) {
    if (!j->detail[0])
      snprintf(j->detail, sizeof j->detail, "%s", riptide_strerror(err));
    cli_utf8_clean(j->detail);
    if (c->format == CLI_FMT_JSON || c->format == CLI_FMT_JSONL) {
      j->out.len = 0;
      j->out.failed = false;
      j->has_out = cli_format_error(c, j->id, err, j->detail, &j->out);
    }
  }
  j->err = err;
  j->latency_ns = cli_now_ns() - t0;
}

static void drain_locked(batch *b);

/* Frees what a job owns but its output buffer (kept by the slot). */
static void job_clear(job *j)
{
  free(j->src);
  free(j->id);
  riptide_free(j->data_mem);
  free(j->url);
  free(j->ctype);
  free(j->warc_date);
  free(j->warc_file);
  riptide_warc_body_free(j->wbody);
  j->src = j->id = j->data = j->url = j->ctype = j->warc_date = j->warc_file = NULL;
  j->data_mem = NULL;
  j->wbody = NULL;
}

static void *worker_main(void *arg)
{
  worker *w = arg;
  batch *b = w->b;
  pthread_mutex_lock(&b->lock);
  for (;;) {
    while (b->next_take == b->next_seq && !b->producing_done && !b->stopping) {
      b->idle_workers++;
      pthread_cond_wait(&b->work, &b->lock);
      b->idle_workers--;
    }
    if (b->next_take == b->next_seq || b->stopping)
      break;
    job *j = &b->ring[b->next_take % b->window];
    b->next_take++;
    j->state = SLOT_RUNNING;
    pthread_mutex_unlock(&b->lock);
    process(b, w, j);
    pthread_mutex_lock(&b->lock);
    j->state = SLOT_DONE;
    drain_locked(b);
  }
  pthread_mutex_unlock(&b->lock);
  return NULL;
}

/* ---- output role ------------------------------------------------------------------------- */

static void draw_progress(batch *b, bool final)
{
  if (!b->c->progress)
    return;
  uint64_t now = cli_now_ns();
  if (!final && now - b->last_draw < 100000000ull)
    return;
  b->last_draw = now;
  char line[512];
  /* The width is asked for at every draw: a resized terminal gets a line that fits. */
  cli_progress_format(line, sizeof line, cli_term_width(STDERR_FILENO),
                      b->ok + b->failed + b->skipped_all, b->total, b->failed,
                      (double)(now - b->t_start) / 1e9);
  fprintf(stderr, "\r\033[K%s", line);
  b->progress_drawn = true;
  fflush(stderr);
}

static void clear_progress(batch *b)
{
  if (b->progress_drawn) {
    fputs("\r\033[K", stderr);
    b->progress_drawn = false;
  }
}

static uint64_t fnv1a(const char *s)
{
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h ? h : 1;
}

/* Inserts h; false if it was already there (or on out-of-memory, to be safe). */
static bool names_add(name_set *s, uint64_t h)
{
  if ((s->n + 1) * 2 > s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 1024;
    uint64_t *nv = calloc(nc, sizeof *nv);
    if (!nv)
      return false;
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->v[i])
        continue;
      size_t k = s->v[i] & (nc - 1);
      while (nv[k])
        k = (k + 1) & (nc - 1);
      nv[k] = s->v[i];
    }
    free(s->v);
    s->v = nv;
    s->cap = nc;
  }
  size_t k = h & (s->cap - 1);
  while (s->v[k]) {
    if (s->v[k] == h)
      return false;
    k = (k + 1) & (s->cap - 1);
  }
  s->v[k] = h;
  s->n++;
  return true;
}

static bool write_all(int fd, const char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/* Writes one result into the output directory under a safe, unique name, through a temporary
 * file in the same directory that is renamed over the name once complete:
 *  - nothing is written through whatever was planted under the name (a symbolic or hard link
 *    to a file outside DIR, a FIFO that would block the open): rename replaces the entry;
 *  - a write that fails (disk full) leaves no truncated file: the temporary file is removed
 *    and the input reported.
 * Temporary names start with a dot, which no output name does (cli_safe_name). */
static riptide_err write_file(batch *b, job *j, char *detail, size_t dlen)
{
  char base[160], name[200];
  cli_safe_name(j->id, base, sizeof base);
  const char *ext = cli_format_ext(b->c->format);
  snprintf(name, sizeof name, "%s%s", base, ext);
  for (int k = 2; !names_add(&b->names, fnv1a(name)); k++) {
    if (k > 100000) {
      snprintf(detail, dlen, "no free output name for %s", base);
      return RIPTIDE_ERR_IO;
    }
    snprintf(name, sizeof name, "%s-%d%s", base, k, ext);
  }
  char tmp[64];
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 100; attempt++) {
    snprintf(tmp, sizeof tmp, ".riptide-%ld-%llu.tmp", (long)getpid(),
             (unsigned long long)b->tmp_counter++);
    fd = openat(b->out_dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0) {
    snprintf(detail, dlen, "%s: cannot create a file: %s", b->c->output_dir, strerror(errno));
    return RIPTIDE_ERR_IO;
  }
  int werr = 0;
  if (!write_all(fd, j->out.p, j->out.len))
    werr = errno ? errno : EIO;
  if (close(fd) != 0 && !werr)
    werr = errno;
  if (!werr && renameat(b->out_dirfd, tmp, b->out_dirfd, name) != 0)
    werr = errno;
  if (werr) {
    unlinkat(b->out_dirfd, tmp, 0);
    snprintf(detail, dlen, "%s/%s: write failed: %s", b->c->output_dir, name, strerror(werr));
    return RIPTIDE_ERR_IO;
  }
  return RIPTIDE_OK;
}

/* Standard output failed: results from now on are not written. Output role only. */
static void output_failed(batch *b, int err)
{
  if (!b->write_error) {
    b->write_error = true;
    b->write_errno = err ? err : EIO;
  }
}

/* Flushes standard output. Results counted ok that were still in the buffer when it failed
 * are counted failed instead: the summary and the exit status agree. Output role only. */
static void flush_stdout(batch *b)
{
  if (!b->write_error && fflush(stdout) != 0)
    output_failed(b, errno);
  if (b->write_error) {
    b->ok -= b->unflushed_ok;
    b->fallback -= b->unflushed_fallback;
    b->failed += b->unflushed_ok;
    b->unwritten += b->unflushed_ok;
    for (size_t k = 0; k < CLI_SKIP_KINDS; k++) { /* skipped lines lost with them */
      b->skipped[k] -= b->unflushed_skipped[k];
      b->skipped_all -= b->unflushed_skipped[k];
      b->failed += b->unflushed_skipped[k];
      b->unwritten += b->unflushed_skipped[k];
    }
  }
  b->unflushed_ok = b->unflushed_fallback = 0;
  memset(b->unflushed_skipped, 0, sizeof b->unflushed_skipped);
}

static void emit(batch *b, job *j)
{
  const cli_config *c = b->c;
  riptide_err err = j->err;
  char detail[600];
  bool lost = false; /* not written because standard output failed */
  snprintf(detail, sizeof detail, "%s", j->detail);
  if (err == RIPTIDE_OK) /* --dedupe is decided here, in input order (corpus.c) */
    cli_corpus_dedupe(b->dedup, c, j->id, &j->corpus, &j->out, &j->has_out);
  bool skipped = err == RIPTIDE_OK && j->corpus.reason != CLI_SKIP_NONE;
  if (skipped && c->output_dir) {
    /* no file for a skipped input (noted on stderr below) */
  } else if (err == RIPTIDE_OK && c->output_dir) {
    err = write_file(b, j, detail, sizeof detail);
  } else if (j->has_out && !c->output_dir) {
    if (!b->write_error) {
      if (b->json_array)
        fputs(b->written_docs ? ",\n" : "[\n", stdout);
      else if (b->written_docs && (c->format == CLI_FMT_MARKDOWN || c->format == CLI_FMT_TXT))
        fputs("\n", stdout); /* then the next one's front matter or header (output.c) */
      size_t n = j->out.len;
      if (b->json_array && n && j->out.p[n - 1] == '\n')
        n--;
      if (n > 0 && fwrite(j->out.p, 1, n, stdout) != n)
        output_failed(b, errno);
      b->written_docs++;
    }
    if (b->write_error && err == RIPTIDE_OK) {
      err = RIPTIDE_ERR_IO;
      lost = true;
    }
  }
  if (skipped && err == RIPTIDE_OK) {
    b->skipped[j->corpus.reason]++;
    b->skipped_all++;
    if (j->has_out && !c->output_dir)
      b->unflushed_skipped[j->corpus.reason]++;
    else if (!c->quiet) { /* not in the output: say so, as for a failed input */
      char why[400];
      cli_corpus_describe(&j->corpus, why, sizeof why);
      clear_progress(b);
      char *eid = cli_escape_terminal(j->id);
      char *ewhy = cli_escape_terminal(why);
      fprintf(stderr, "riptide: %s: skipped: %s\n", eid ? eid : "?", ewhy ? ewhy : "?");
      free(eid);
      free(ewhy);
    }
  } else if (err == RIPTIDE_OK) {
    if (!cli_corpus_remember(b->dedup, &j->corpus, j->id)) { /* written: later ones compare */
      cli_dedup_free(b->dedup);
      b->dedup = NULL;
      clear_progress(b);
      fputs("riptide: out of memory: --dedupe stops here\n", stderr);
    }
    b->ok++;
    if (j->fallback)
      b->fallback++;
    if (!c->output_dir) {
      b->unflushed_ok++;
      b->unflushed_fallback += j->fallback;
    }
  } else {
    b->failed++;
    if (lost) {
      b->unwritten++; /* one line for all of them at the end, not one per input */
    } else if (!c->quiet) {
      clear_progress(b);
      /* ids and details carry file names: escaped, so that they cannot drive the terminal */
      char *eid = cli_escape_terminal(j->id);
      char *edetail = cli_escape_terminal(detail);
      fprintf(stderr, "riptide: %s: %s: %s\n", eid ? eid : "?", riptide_err_name(err),
              edetail ? edetail : "?");
      free(eid);
      free(edetail);
    }
  }
  cli_latency_add(&b->lat, j->latency_ns);
  draw_progress(b, false);
}

/* No new job is taken or produced; called with the lock held. */
static void stop_locked(batch *b)
{
  b->stopping = true;
  pthread_cond_broadcast(&b->work);
  pthread_cond_broadcast(&b->space);
  pthread_cond_signal(&b->tick);
}

/* Takes the output role if it is free and writes every finished job at the head of the ring,
 * in order. Called with the lock held; returns with it held. */
static void drain_locked(batch *b)
{
  if (b->emitting)
    return; /* the holder writes our result too before it lets go (see DESIGN) */
  b->emitting = true;
  for (;;) {
    bool wrote = false;
    while (b->next_write < b->next_seq) {
      job *j = &b->ring[b->next_write % b->window];
      if (j->state != SLOT_DONE)
        break;
      pthread_mutex_unlock(&b->lock);
      emit(b, j);
      job_clear(j);
      j->out.len = 0;
      if (j->out.cap > CLI_KEEP_OUT_BUFFER)
        cli_buf_free(&j->out);
      pthread_mutex_lock(&b->lock);
      j->state = SLOT_EMPTY;
      b->next_write++;
      wrote = true;
      if (b->write_error && !b->stopping)
        stop_locked(b); /* the reader is gone: extracting (or fetching) the rest is waste */
      /* Wake the producer once half the ring is free, not for every slot. */
      if (b->producer_waiting && b->next_seq - b->next_write <= b->window / 2)
        pthread_cond_signal(&b->space);
    }
    if (!wrote || b->c->output_dir)
      break;
    /* Nothing more is ready: what was written goes out now (stdout is buffered in large
     * blocks, which must not hold a result back while the next page is being extracted).
     * Results that finish meanwhile are picked up by the next round, before the role is
     * given back. */
    pthread_mutex_unlock(&b->lock);
    flush_stdout(b);
    pthread_mutex_lock(&b->lock);
    if (b->write_error && !b->stopping)
      stop_locked(b);
  }
  b->emitting = false;
}

/* Progress bar only: redraws every 200 ms while no result arrives (ETA, pages/s). */
static void *ticker_main(void *arg)
{
  batch *b = arg;
  pthread_mutex_lock(&b->lock);
  while (!b->finished) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 200000000;
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&b->tick, &b->lock, &ts);
    if (b->finished || b->emitting)
      continue;
    b->emitting = true;
    pthread_mutex_unlock(&b->lock);
    draw_progress(b, false);
    pthread_mutex_lock(&b->lock);
    b->emitting = false;
    drain_locked(b); /* results that finished while the role was ours */
  }
  pthread_mutex_unlock(&b->lock);
  return NULL;
}

/* ---- producer ------------------------------------------------------------------------------ */

/* Queues a job built by the producer (t: its fields; ownership passes to the ring). False when
 * the batch is stopping: t's allocations are freed and nothing more is produced. */
static bool enqueue(batch *b, job *t)
{
  pthread_mutex_lock(&b->lock);
  while (b->next_seq - b->next_write >= b->window && !b->stopping) {
    b->producer_waiting = true;
    pthread_cond_wait(&b->space, &b->lock);
  }
  b->producer_waiting = false;
  if (b->stopping) {
    pthread_mutex_unlock(&b->lock);
    job_clear(t);
    return false;
  }
  job *j = &b->ring[b->next_seq % b->window];
  cli_buf out = j->out; /* the slot's buffer is kept */
  *j = *t;
  j->out = out;
  j->state = SLOT_QUEUED;
  b->next_seq++;
  if (b->idle_workers > 0)
    pthread_cond_signal(&b->work);
  pthread_mutex_unlock(&b->lock);
  return true;
}

static const char *const warc_skip_names[CLI_WARC_SKIP_KINDS] = {
    "warcinfo", "request", "metadata", "revisit", "status", "not_html", "other"};

static bool warc_failed(batch *b, const char *path, const char *rec_id, uint64_t offset,
                        riptide_err err, const char *why)
{
  job t = {0};
  t.src = strdup(path);
  t.id = cli_warc_error_id(path, rec_id, offset);
  if (!t.src || !t.id) {
    job_clear(&t);
    return false;
  }
  t.prefailed = true;
  t.prefail_err = err;
  snprintf(t.detail, sizeof t.detail, "%s", why);
  cli_utf8_clean(t.detail);
  return enqueue(b, &t);
}

/* Every page of a WARC file is one input (id: the record id; address: WARC-Target-URI);
 * records that are not pages are counted by reason; a record that cannot be read is one
 * failed input, and reading goes on at the next record. */
static bool submit_warc(batch *b, const char *path)
{
  const cli_config *c = b->c;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  riptide_warc *w = NULL;
  if (fd < 0)
    return warc_failed(b, path, NULL, 0, RIPTIDE_ERR_IO, strerror(errno));
  riptide_err e = riptide_warc_open(fd, c->max_input, c->warc_any_status, &w);
  if (e != RIPTIDE_OK) {
    close(fd);
    return warc_failed(b, path, NULL, 0, e, riptide_strerror(e));
  }
  b->warc_files++;
  riptide_warc_defer_bodies(w, true); /* the workers inflate the pages */
  bool go = true;
  riptide_warc_item it;
  int rc;
  while (go && (rc = riptide_warc_next(w, &it)) != 0) {
    if (rc < 0) {
      char why[160];
      snprintf(why, sizeof why, "read error: %s", strerror(errno));
      go = warc_failed(b, path, NULL, it.offset, RIPTIDE_ERR_IO, why);
      break;
    }
    if (it.kind == RIPTIDE_WARC_SKIPPED) {
      size_t k = 0;
      while (k + 1 < CLI_WARC_SKIP_KINDS && strcmp(warc_skip_names[k], it.skip_reason) != 0)
        k++;
      b->warc_skipped[k]++;
      continue;
    }
    if (it.kind == RIPTIDE_WARC_ERROR) {
      go = warc_failed(b, path, it.id, it.offset, it.err, it.error);
      continue;
    }
    job t = {0};
    t.src = strdup(path);
    t.id = strdup(it.id[0] ? it.id : path);
    t.wbody = riptide_warc_take_deferred(w); /* compressed, or the reader's buffer */
    t.warc_offset = it.offset;
    t.warc_noid = !it.id[0];
    t.url = it.url ? strdup(it.url) : NULL;
    t.ctype = it.content_type && it.content_type[0] ? strdup(it.content_type) : NULL;
    t.warc_date = strdup(it.date);
    t.warc_file = strdup(path);
    if (!t.src || !t.id || !t.wbody || !t.warc_date || !t.warc_file || (it.url && !t.url)) {
      job_clear(&t);
      go = false;
      break;
    }
    cli_utf8_clean(t.id);
    cli_utf8_clean(t.warc_file);
    go = enqueue(b, &t);
  }
  riptide_warc_close(w);
  close(fd);
  return go;
}

/* Queues one input with its page address (url, or NULL); error != NULL: one that cannot be
 * read, reported as failed with that reason. False when the batch is stopping, or out of
 * memory: produce no more. */
static bool submit_with_url(batch *b, const char *src, const char *url, const char *error,
                            riptide_err code)
{
  if (!error && cli_is_warc_file(src))
    return submit_warc(b, src); /* its records have their own addresses */
  job t = {0};
  t.src = strdup(src);
  t.id = cli_input_id(src);
  t.url = url ? strdup(url) : NULL;
  if (!t.src || !t.id || (url && !t.url)) {
    job_clear(&t);
    return false;
  }
  if (error) {
    t.prefailed = true;
    t.prefail_err = code;
    snprintf(t.detail, sizeof t.detail, "%s", error);
    cli_utf8_clean(t.detail);
  }
  return enqueue(b, &t);
}

/* The walk's callback (error != NULL: an entry the walk could not make readable). */
static bool submit(const char *src, const char *error, void *ctx)
{
  return submit_with_url(ctx, src, NULL, error, RIPTIDE_ERR_IO);
}

static bool is_dir(const char *p);

/* A manifest (--input-file): every line an input, read as the ring frees room, so the list is
 * never held (manifest.c). A line that is not an input is one failed input; a manifest that
 * cannot be opened or read is one too, named by its path. */
static bool submit_manifest(batch *b, const char *path)
{
  char detail[600];
  cli_manifest *m = NULL;
  if (cli_manifest_open(path, &m, detail, sizeof detail) != RIPTIDE_OK)
    return submit_with_url(b, path, NULL, detail, RIPTIDE_ERR_IO);
  bool go = true;
  cli_manifest_entry e;
  int rc;
  while (go && (rc = cli_manifest_next(m, &e)) != 0) {
    if (rc < 0) {
      go = submit_with_url(b, path, NULL, e.error, RIPTIDE_ERR_IO);
      break;
    }
    if (e.error) {
      snprintf(detail, sizeof detail, "line %llu: %s", (unsigned long long)cli_manifest_line(m),
               e.error);
      go = submit_with_url(b, e.src, NULL, detail, RIPTIDE_ERR_BAD_INPUT);
    } else if (is_dir(e.src)) {
      go = cli_walk_dir(e.src, submit, b);
    } else {
      go = submit_with_url(b, e.src, e.url, NULL, RIPTIDE_OK);
    }
  }
  cli_manifest_close(m);
  return go;
}

typedef struct counter {
  batch *b;
  uint64_t n;
  bool unknown; /* a WARC file: the number of pages is not known before reading it */
} counter;

static bool count_one(const char *path, const char *error, void *ctx)
{
  counter *k = ctx;
  k->n++;
  if (!error && cli_is_warc_file(path))
    k->unknown = true; /* its pages are counted as they are read */
  pthread_mutex_lock(&k->b->lock);
  bool go = !k->b->stopping; /* a signal while counting a huge tree */
  pthread_mutex_unlock(&k->b->lock);
  return go;
}

static bool is_dir(const char *p)
{
  struct stat st;
  return !cli_is_url(p) && strcmp(p, "-") != 0 && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- signals ------------------------------------------------------------------------------- */

/* SIGINT and SIGTERM are blocked in every thread of the run (the pool's too: they are created
 * after the mask is set) and taken here with sigwait, so the batch stops under its lock like
 * any other state change: no job is taken or produced any more, the jobs running finish, every
 * result done is written whole (no half line), the summary says what was done, and the exit
 * status is 128 + the signal. A second signal exits at once. */
static void *signal_main(void *arg)
{
  batch *b = arg;
  for (;;) {
    int sig = 0;
    if (sigwait(&b->signals, &sig) != 0)
      continue;
    pthread_mutex_lock(&b->lock);
    if (b->signal_quit) {
      pthread_mutex_unlock(&b->lock);
      return NULL;
    }
    if (b->signal_received)
      _exit(128 + sig); /* the user insists */
    b->signal_received = sig;
    stop_locked(b);
    pthread_mutex_unlock(&b->lock);
  }
}

static const char *signal_name(int sig)
{
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

/* ---- the run ------------------------------------------------------------------------------- */

static int prepare_output_dir(batch *b)
{
  const cli_config *c = b->c;
  char *esc = cli_escape_terminal(c->output_dir);
  int rc = CLI_EXIT_OK;
  if (mkdir(c->output_dir, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "riptide: cannot create output directory %s: %s\n", esc ? esc : "?",
            strerror(errno));
    rc = CLI_EXIT_FAILED;
  } else {
    b->out_dirfd = open(c->output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (b->out_dirfd < 0) {
      fprintf(stderr, "riptide: cannot open output directory %s: %s\n", esc ? esc : "?",
              strerror(errno));
      rc = CLI_EXIT_FAILED;
    }
  }
  free(esc);
  return rc;
}

int cli_run_extract(cli_config *c)
{
  batch b;
  memset(&b, 0, sizeof b);
  b.c = c;
  b.out_dirfd = -1;
  char detail[600] = "";

  if (c->output_dir && prepare_output_dir(&b) != CLI_EXIT_OK)
    return CLI_EXIT_FAILED;
  for (int i = 0; i < c->n_input_dirs; i++) {
    if (!is_dir(c->input_dirs[i])) {
      char *esc = cli_escape_terminal(c->input_dirs[i]);
      fprintf(stderr, "riptide: --input-dir %s: not a directory\n", esc ? esc : "?");
      free(esc);
      if (b.out_dirfd >= 0)
        close(b.out_dirfd);
      return CLI_EXIT_USAGE;
    }
  }
  pthread_mutex_init(&b.lock, NULL);
  pthread_cond_init(&b.work, NULL);
  pthread_cond_init(&b.space, NULL);
  pthread_cond_init(&b.tick, NULL);
  /* Before any thread exists (the pool's included), so that every thread inherits the mask. */
  sigset_t old_mask;
  sigemptyset(&b.signals);
  sigaddset(&b.signals, SIGINT);
  sigaddset(&b.signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &b.signals, &old_mask);
  pthread_t sig_thread;
  bool sig_started = pthread_create(&sig_thread, NULL, signal_main, &b) == 0;

  bool single = c->n_inputs == 1 && c->n_input_dirs == 0 && c->n_input_files == 0 &&
                !is_dir(c->inputs[0]) && !cli_is_warc_file(c->inputs[0]);
  b.json_array = c->format == CLI_FMT_JSON && !single && !c->output_dir;
  c->multi_doc = !single && !c->output_dir;
  if (c->progress) {
    counter k = {.b = &b};
    for (int i = 0; i < c->n_inputs; i++) {
      if (is_dir(c->inputs[i]))
        cli_walk_dir(c->inputs[i], count_one, &k);
      else
        count_one(c->inputs[i], NULL, &k);
    }
    for (int i = 0; i < c->n_input_dirs; i++)
      cli_walk_dir(c->input_dirs[i], count_one, &k);
    b.total = k.unknown || c->n_input_files ? 0 : k.n; /* a manifest is not read twice */
  }

  cli_engine eng;
  int rc = CLI_EXIT_OK;
  riptide_err err = cli_engine_open(&eng, c, detail, sizeof detail);
  bool engine_open = true; /* closed (once) even when opening failed half-way */
  worker *workers = NULL;
  unsigned started = 0;
  pthread_t ticker;
  bool ticker_started = false;
  if (err != RIPTIDE_OK) {
    fprintf(stderr, "riptide: %s\n", detail[0] ? detail : riptide_strerror(err));
    rc = CLI_EXIT_FAILED;
    goto out;
  }
  b.eng = &eng;
  b.window = c->parallel * 4 < 16 ? 16 : c->parallel * 4;
  b.ring = calloc(b.window, sizeof *b.ring);
  workers = calloc(c->parallel, sizeof *workers);
  if (c->corpus.dedupe)
    b.dedup = cli_dedup_new(c->corpus.dedupe_distance);
  if (!b.ring || !workers || (c->corpus.dedupe && !b.dedup)) {
    fprintf(stderr, "riptide: out of memory\n");
    rc = CLI_EXIT_FAILED;
    goto out;
  }
  /* On pipes and files, results that are ready together go out in one write (flushed as soon
   * as no further result is ready, see drain_locked); a terminal stays line-buffered. */
  if (!c->output_dir && !isatty(STDOUT_FILENO))
    setvbuf(stdout, NULL, _IOFBF, CLI_STDOUT_BUFFER);
  b.t_start = cli_now_ns();

  for (unsigned i = 0; i < c->parallel; i++) {
    workers[i].b = &b;
    if (pthread_create(&workers[i].th, NULL, worker_main, &workers[i]) != 0)
      break;
    started++;
  }
  /* Without the ticker the bar is still drawn as results arrive. */
  ticker_started =
      c->progress && started > 0 && pthread_create(&ticker, NULL, ticker_main, &b) == 0;
  if (started == 0) {
    fprintf(stderr, "riptide: cannot start threads\n");
    rc = CLI_EXIT_FAILED;
  } else {
    /* Produce: arguments in order, then each --input-dir (a directory that cannot be walked
     * is one failed input). Stops when submit says so (a signal, standard output gone). */
    bool go = true;
    for (int i = 0; go && i < c->n_inputs; i++)
      go = is_dir(c->inputs[i]) ? cli_walk_dir(c->inputs[i], submit, &b)
                                : submit(c->inputs[i], NULL, &b);
    for (int i = 0; go && i < c->n_input_dirs; i++)
      go = cli_walk_dir(c->input_dirs[i], submit, &b);
    for (int i = 0; go && i < c->n_input_files; i++)
      go = submit_manifest(&b, c->input_files[i]);
  }
  pthread_mutex_lock(&b.lock);
  b.producing_done = true;
  pthread_cond_broadcast(&b.work);
  pthread_mutex_unlock(&b.lock);
  for (unsigned i = 0; i < started; i++)
    pthread_join(workers[i].th, NULL);
  pthread_mutex_lock(&b.lock);
  b.finished = true;
  pthread_cond_signal(&b.tick);
  pthread_mutex_unlock(&b.lock);
  if (ticker_started)
    pthread_join(ticker, NULL);
  /* Every job taken is DONE now; the last result may have finished while the ticker held the
   * role (it drains before it stops), so this finds nothing left, but costs nothing to make
   * sure. Jobs still QUEUED were never taken (the batch stopped): they are dropped. */
  pthread_mutex_lock(&b.lock);
  drain_locked(&b);
  uint64_t not_processed = b.next_seq - b.next_write;
  for (uint64_t q = b.next_write; q < b.next_seq; q++) {
    job *j = &b.ring[q % b.window];
    job_clear(j);
    j->state = SLOT_EMPTY;
  }
  int signal_received = b.signal_received;
  pthread_mutex_unlock(&b.lock);
  double el = (double)(cli_now_ns() - b.t_start) / 1e9;

  if (b.json_array && !b.write_error)
    fputs(b.written_docs ? "\n]\n" : "[]\n", stdout);
  if (!c->output_dir)
    flush_stdout(&b);
  if (ferror(stdout))
    output_failed(&b, 0);
  draw_progress(&b, true);
  clear_progress(&b);
  if (c->stats)
    cli_engine_print_stats(&eng, stderr);
  /* Closing the engine flushes and closes the events file: its errors are known after. */
  int events_errno = cli_engine_close(&eng);
  engine_open = false;

  if (b.write_error) {
    fprintf(stderr,
            "riptide: error writing standard output: %s; stopped: %llu result%s not written, "
            "%llu queued input%s and any not yet listed not processed\n",
            strerror(b.write_errno), (unsigned long long)b.unwritten, b.unwritten == 1 ? "" : "s",
            (unsigned long long)not_processed, not_processed == 1 ? "" : "s");
    rc = CLI_EXIT_FAILED;
  }
  if (events_errno) {
    char *esc = cli_escape_terminal(c->events_path);
    fprintf(stderr, "riptide: error writing the events file %s: %s\n", esc ? esc : "?",
            strerror(events_errno));
    free(esc);
    rc = CLI_EXIT_FAILED;
  }
  if (signal_received) {
    fprintf(stderr,
            "riptide: interrupted by %s: stopped; %llu queued input%s and any not yet listed "
            "were not processed\n",
            signal_name(signal_received), (unsigned long long)not_processed,
            not_processed == 1 ? "" : "s");
  }
  if (!c->quiet) {
    /* The summary: every figure comes from what was written, and it names whatever else makes
     * the exit status non-zero. */
    uint64_t pages = b.ok + b.skipped_all + b.failed;
    char skips[200] = ""; /* with a filter or --dedupe: "N skipped (a language, b duplicate), " */
    if (cli_corpus_active(&c->corpus)) {
      size_t n =
          (size_t)snprintf(skips, sizeof skips, " %llu skipped", (unsigned long long)b.skipped_all);
      for (size_t k = 1, any = 0; k < CLI_SKIP_KINDS && n < sizeof skips; k++) {
        if (b.skipped[k])
          n += (size_t)snprintf(skips + n, sizeof skips - n, "%s%llu %s", any++ ? ", " : " (",
                                (unsigned long long)b.skipped[k], cli_skip_name(k));
        if (k + 1 == CLI_SKIP_KINDS && any && n < sizeof skips)
          n += (size_t)snprintf(skips + n, sizeof skips - n, ")");
      }
      if (n < sizeof skips)
        snprintf(skips + n, sizeof skips - n, ",");
    }
    char tail[160] = "";
    size_t tl = 0;
    if (b.write_error)
      tl += (size_t)snprintf(tail + tl, sizeof tail - tl, "; standard output failed");
    if (events_errno && tl < sizeof tail)
      tl += (size_t)snprintf(tail + tl, sizeof tail - tl, "; events file incomplete");
    if (signal_received && tl < sizeof tail)
      snprintf(tail + tl, sizeof tail - tl, "; interrupted by %s", signal_name(signal_received));
    fprintf(stderr,
            "riptide: %llu page%s: %llu ok (%llu fallback),%s %llu failed in %.2f s: %.1f pages/s, "
            "latency p50 %.2f ms, p95 %.2f ms%s\n",
            (unsigned long long)pages, pages == 1 ? "" : "s", (unsigned long long)b.ok,
            (unsigned long long)b.fallback, skips, (unsigned long long)b.failed, el,
            el > 0 ? (double)pages / el : 0.0, (double)cli_latency_quantile(&b.lat, 0.50) / 1e6,
            (double)cli_latency_quantile(&b.lat, 0.95) / 1e6, tail);
    if (b.warc_files) {
      char sk[256];
      size_t sl = 0;
      uint64_t total_skipped = 0;
      for (size_t k = 0; k < CLI_WARC_SKIP_KINDS; k++) {
        total_skipped += b.warc_skipped[k];
        if (b.warc_skipped[k] && sl < sizeof sk)
          sl += (size_t)snprintf(sk + sl, sizeof sk - sl, ", %llu %s",
                                 (unsigned long long)b.warc_skipped[k], warc_skip_names[k]);
      }
      fprintf(stderr, "riptide: WARC: %llu file%s, %llu record%s not pages%s%s%s\n",
              (unsigned long long)b.warc_files, b.warc_files == 1 ? "" : "s",
              (unsigned long long)total_skipped, total_skipped == 1 ? "" : "s", sl ? " (" : "",
              sl ? sk + 2 : "", sl ? ")" : "");
    }
  }
  if (b.failed > 0 && rc == CLI_EXIT_OK)
    rc = CLI_EXIT_FAILED;
  if (signal_received)
    rc = 128 + signal_received;

out:
  if (engine_open)
    cli_engine_close(&eng);
  pthread_mutex_lock(&b.lock);
  b.signal_quit = true;
  pthread_mutex_unlock(&b.lock);
  if (sig_started) {
    pthread_kill(sig_thread, SIGTERM); /* taken by its sigwait: blocked everywhere */
    pthread_join(sig_thread, NULL);
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
  pthread_cond_destroy(&b.work);
  pthread_cond_destroy(&b.space);
  pthread_cond_destroy(&b.tick);
  pthread_mutex_destroy(&b.lock);
  if (b.ring) {
    for (size_t i = 0; i < b.window; i++)
      cli_buf_free(&b.ring[i].out);
  }
  if (workers) {
    for (unsigned i = 0; i < c->parallel; i++)
      free(workers[i].rbuf);
  }
  free(b.ring);
  free(workers);
  free(b.names.v);
  cli_dedup_free(b.dedup);
  if (b.out_dirfd >= 0)
    close(b.out_dirfd);
  return rc;
}
