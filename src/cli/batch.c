/*
 * batch.c - `riptide extract`: a streaming batch of inputs through a pool of worker threads.
 *
 * DESIGN
 *  Threads: the main thread produces jobs (arguments, then directory walks, in order); N worker
 *  threads read, decode and extract them; one writer thread writes the results in input order,
 *  keeps the statistics and draws the progress bar.
 *
 *  Jobs live in a ring of `window` slots indexed by sequence number (seq % window). Three
 *  counters, all guarded by `lock`, with next_write <= next_take <= next_seq:
 *    next_seq   - the next sequence number the producer will fill;
 *    next_take  - the next job a worker will take;
 *    next_write - the next job the writer will write (all before it are written and freed).
 *  The producer waits (cond `space`) while next_seq - next_write == window, so at most
 *  `window` inputs are in memory at once whatever the batch size: a 10,000-file batch uses the
 *  memory of `window` files. A slot's state goes EMPTY -> QUEUED (producer) -> RUNNING (worker)
 *  -> DONE (worker) -> EMPTY (writer). Only the thread that owns a state touches the slot's
 *  fields outside the lock: the worker between RUNNING and DONE, the writer after DONE.
 *  No lock is held while reading files, extracting, or writing output.
 *
 *  Every input gets exactly one result (a document or an error) and the writer writes every
 *  result, so the counts of the summary always add up to the number of inputs.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef enum { SLOT_EMPTY = 0, SLOT_QUEUED, SLOT_RUNNING, SLOT_DONE } slot_state;

typedef struct job {
  slot_state state;
  char *src; /* path, URL or "-" */
  char *id;
  /* result (worker -> writer) */
  char *out; /* formatted document or error object; NULL for an error in markdown/txt */
  riptide_err err;
  char detail[512];
  bool fallback;
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
  pthread_cond_t work, done, space;
  job *ring; /* guarded by lock (see DESIGN) */
  size_t window;
  uint64_t next_seq, next_take, next_write; /* guarded by lock */
  bool producing_done;                      /* guarded by lock */
  /* writer thread only */
  uint64_t total; /* expected inputs, 0 = unknown */
  uint64_t ok, failed, fallback;
  cli_latency lat;
  uint64_t t_start, last_draw;
  int out_dirfd;
  name_set names;
  bool json_array;
  uint64_t written_docs;
  bool progress_drawn;
  bool write_error;
} batch;

/* ---- worker -------------------------------------------------------------------------------- */

static bool all_space(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\f')
      return false;
  return true;
}

static void process(batch *b, job *j)
{
  const cli_config *c = b->c;
  uint64_t t0 = cli_now_ns();
  char *raw = NULL, *html = NULL;
  size_t raw_len = 0, html_len = 0;
  riptide_fetch_result fr = {0};
  const char *url = NULL;
  const char *content_type = NULL;
  riptide_err err;
  j->detail[0] = '\0';
  uint64_t max = c->max_input ? c->max_input : (64ull << 20);

  if (cli_is_url(j->src)) {
    riptide_fetch_options fo;
    riptide_fetch_options_init(&fo);
    fo.max_bytes = max;
    if (c->timeout_ms)
      fo.timeout_ms = c->timeout_ms * 3 > 30000 ? c->timeout_ms * 3 : 30000;
    err = riptide_fetch_url(j->src, &fo, &fr, j->detail, sizeof j->detail);
    raw = fr.body;
    raw_len = fr.len;
    url = fr.final_url;
    content_type = fr.content_type;
  } else {
    err = cli_read_source(j->src, max, &raw, &raw_len, j->detail, sizeof j->detail);
  }
  if (err == RIPTIDE_OK && raw_len == 0) {
    err = RIPTIDE_ERR_BAD_INPUT;
    snprintf(j->detail, sizeof j->detail, "empty input");
  }
  if (err == RIPTIDE_OK) {
    err = riptide_decode_input(raw, raw_len, content_type, max, &html, &html_len);
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
  if (fr.body)
    raw = NULL; /* owned by fr */
  free(raw);
  riptide_document *doc = NULL;
  if (err == RIPTIDE_OK) {
    err = cli_engine_extract(b->eng, html, html_len, url, &c->opts, &doc);
    if (err != RIPTIDE_OK && !j->detail[0])
      snprintf(j->detail, sizeof j->detail, "%s", riptide_strerror(err));
  }
  free(html);
  if (err == RIPTIDE_OK) {
    j->fallback = doc->fallback_reason != NULL;
    j->out = cli_format_document(c, doc, j->id);
    if (!j->out) {
      err = RIPTIDE_ERR_NOMEM;
      snprintf(j->detail, sizeof j->detail, "out of memory formatting the document");
    }
    riptide_document_free(doc);
  }
  riptide_fetch_result_clear(&fr);
  if (err != RIPTIDE_OK) {
    if (!j->detail[0])
      snprintf(j->detail, sizeof j->detail, "%s", riptide_strerror(err));
    cli_utf8_clean(j->detail);
    j->out = (c->format == CLI_FMT_JSON || c->format == CLI_FMT_JSONL)
                 ? cli_format_error(c, j->id, err, j->detail)
                 : NULL;
  }
  j->err = err;
  j->latency_ns = cli_now_ns() - t0;
}

static void *worker_main(void *arg)
{
  batch *b = arg;
  pthread_mutex_lock(&b->lock);
  for (;;) {
    while (b->next_take == b->next_seq && !b->producing_done)
      pthread_cond_wait(&b->work, &b->lock);
    if (b->next_take == b->next_seq)
      break;
    job *j = &b->ring[b->next_take % b->window];
    b->next_take++;
    j->state = SLOT_RUNNING;
    pthread_mutex_unlock(&b->lock);
    process(b, j);
    pthread_mutex_lock(&b->lock);
    j->state = SLOT_DONE;
    pthread_cond_broadcast(&b->done);
  }
  pthread_mutex_unlock(&b->lock);
  return NULL;
}

/* ---- writer -------------------------------------------------------------------------------- */

static void fmt_duration(char *out, size_t cap, double s)
{
  if (s < 0 || s > 359999)
    snprintf(out, cap, "--:--");
  else if (s >= 3600)
    snprintf(out, cap, "%d:%02d:%02d", (int)s / 3600, ((int)s / 60) % 60, (int)s % 60);
  else
    snprintf(out, cap, "%d:%02d", (int)s / 60, (int)s % 60);
}

static void draw_progress(batch *b, bool final)
{
  if (!b->c->progress)
    return;
  uint64_t now = cli_now_ns();
  if (!final && now - b->last_draw < 100000000ull)
    return;
  b->last_draw = now;
  uint64_t done = b->ok + b->failed;
  double el = (double)(now - b->t_start) / 1e9;
  double rate = el > 0 ? (double)done / el : 0;
  char eta[32] = "--:--";
  char bar[32];
  int width = 24, fill = 0;
  if (b->total) {
    fill = (int)((double)done * width / (double)b->total);
    if (fill > width)
      fill = width;
    if (rate > 0)
      fmt_duration(eta, sizeof eta,
                   (double)(b->total - (done < b->total ? done : b->total)) / rate);
  }
  for (int i = 0; i < width; i++)
    bar[i] = i < fill ? '#' : '.';
  bar[width] = '\0';
  if (b->total)
    fprintf(stderr, "\r\033[K[%s] %llu/%llu %3d%%  %.1f pages/s  ETA %s  failed %llu", bar,
            (unsigned long long)done, (unsigned long long)b->total, (int)(done * 100 / b->total),
            rate, eta, (unsigned long long)b->failed);
  else
    fprintf(stderr, "\r\033[K%llu done  %.1f pages/s  failed %llu", (unsigned long long)done, rate,
            (unsigned long long)b->failed);
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

/* Writes one result into the output directory under a safe, unique name. */
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
  /* The name has no '/' and does not start with '.', and O_NOFOLLOW refuses a symbolic link
   * planted under that name: nothing is written outside the output directory. */
  int fd = openat(b->out_dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    snprintf(detail, dlen, "%s/%s: %s", b->c->output_dir, name, strerror(errno));
    return RIPTIDE_ERR_IO;
  }
  bool ok = write_all(fd, j->out, strlen(j->out));
  if (close(fd) != 0)
    ok = false;
  if (!ok) {
    snprintf(detail, dlen, "%s/%s: write failed: %s", b->c->output_dir, name, strerror(errno));
    return RIPTIDE_ERR_IO;
  }
  return RIPTIDE_OK;
}

static void emit(batch *b, job *j)
{
  const cli_config *c = b->c;
  riptide_err err = j->err;
  char detail[600];
  snprintf(detail, sizeof detail, "%s", j->detail);
  if (err == RIPTIDE_OK && c->output_dir) {
    err = write_file(b, j, detail, sizeof detail);
  } else if (j->out && !c->output_dir) {
    if (b->json_array)
      fputs(b->written_docs ? ",\n" : "[\n", stdout);
    else if (b->written_docs && c->format == CLI_FMT_MARKDOWN)
      fputs("\n* * *\n\n", stdout);
    else if (b->written_docs && c->format == CLI_FMT_TXT)
      fputs("\n", stdout);
    size_t n = strlen(j->out);
    if (b->json_array && n && j->out[n - 1] == '\n')
      n--;
    if (fwrite(j->out, 1, n, stdout) != n)
      b->write_error = true;
    b->written_docs++;
  }
  if (err == RIPTIDE_OK) {
    b->ok++;
    if (j->fallback)
      b->fallback++;
  } else {
    b->failed++;
    if (!c->quiet) {
      clear_progress(b);
      fprintf(stderr, "riptide: %s: %s: %s\n", j->id, riptide_err_name(err), detail);
    }
  }
  cli_latency_add(&b->lat, j->latency_ns);
  draw_progress(b, false);
}

static void *writer_main(void *arg)
{
  batch *b = arg;
  pthread_mutex_lock(&b->lock);
  for (;;) {
    if (b->next_write == b->next_seq && b->producing_done)
      break;
    job *j = &b->ring[b->next_write % b->window];
    if (b->next_write < b->next_seq && j->state == SLOT_DONE) {
      pthread_mutex_unlock(&b->lock);
      emit(b, j);
      free(j->out);
      free(j->src);
      free(j->id);
      memset(j, 0, sizeof *j);
      pthread_mutex_lock(&b->lock);
      j->state = SLOT_EMPTY;
      b->next_write++;
      pthread_cond_signal(&b->space);
      continue;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 200000000;
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    int rc = pthread_cond_timedwait(&b->done, &b->lock, &ts);
    if (rc == ETIMEDOUT && b->c->progress) {
      pthread_mutex_unlock(&b->lock);
      draw_progress(b, false);
      pthread_mutex_lock(&b->lock);
    }
  }
  pthread_mutex_unlock(&b->lock);
  return NULL;
}

/* ---- producer ------------------------------------------------------------------------------ */

static bool submit(const char *src, void *ctx)
{
  batch *b = ctx;
  char *s = strdup(src);
  char *id = cli_input_id(src);
  if (!s || !id) {
    free(s);
    free(id);
    return false;
  }
  pthread_mutex_lock(&b->lock);
  while (b->next_seq - b->next_write >= b->window)
    pthread_cond_wait(&b->space, &b->lock);
  job *j = &b->ring[b->next_seq % b->window];
  memset(j, 0, sizeof *j);
  j->src = s;
  j->id = id;
  j->state = SLOT_QUEUED;
  b->next_seq++;
  pthread_cond_signal(&b->work);
  pthread_mutex_unlock(&b->lock);
  return true;
}

static bool count_one(const char *path, void *ctx)
{
  (void)path;
  (*(uint64_t *)ctx)++;
  return true;
}

static bool is_dir(const char *p)
{
  struct stat st;
  return !cli_is_url(p) && strcmp(p, "-") != 0 && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int cli_run_extract(cli_config *c)
{
  batch b;
  memset(&b, 0, sizeof b);
  b.c = c;
  b.out_dirfd = -1;
  char detail[600] = "";

  if (c->output_dir) {
    if (mkdir(c->output_dir, 0755) != 0 && errno != EEXIST) {
      fprintf(stderr, "riptide: cannot create output directory %s: %s\n", c->output_dir,
              strerror(errno));
      return CLI_EXIT_FAILED;
    }
    b.out_dirfd = open(c->output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (b.out_dirfd < 0) {
      fprintf(stderr, "riptide: cannot open output directory %s: %s\n", c->output_dir,
              strerror(errno));
      return CLI_EXIT_FAILED;
    }
  }
  for (int i = 0; i < c->n_input_dirs; i++) {
    if (!is_dir(c->input_dirs[i])) {
      fprintf(stderr, "riptide: --input-dir %s: not a directory\n", c->input_dirs[i]);
      if (b.out_dirfd >= 0)
        close(b.out_dirfd);
      return CLI_EXIT_USAGE;
    }
  }
  bool single = c->n_inputs == 1 && c->n_input_dirs == 0 && !is_dir(c->inputs[0]);
  b.json_array = c->format == CLI_FMT_JSON && !single && !c->output_dir;
  if (c->progress) {
    for (int i = 0; i < c->n_inputs; i++) {
      if (is_dir(c->inputs[i]))
        cli_walk_dir(c->inputs[i], count_one, &b.total, detail, sizeof detail);
      else
        b.total++;
    }
    for (int i = 0; i < c->n_input_dirs; i++)
      cli_walk_dir(c->input_dirs[i], count_one, &b.total, detail, sizeof detail);
  }

  cli_engine eng;
  riptide_err err = cli_engine_open(&eng, c, detail, sizeof detail);
  if (err != RIPTIDE_OK) {
    fprintf(stderr, "riptide: %s\n", detail[0] ? detail : riptide_strerror(err));
    cli_engine_close(&eng);
    if (b.out_dirfd >= 0)
      close(b.out_dirfd);
    return CLI_EXIT_FAILED;
  }
  b.eng = &eng;
  b.window = c->parallel * 4 < 16 ? 16 : c->parallel * 4;
  b.ring = calloc(b.window, sizeof *b.ring);
  pthread_t *workers = calloc(c->parallel, sizeof *workers);
  if (!b.ring || !workers) {
    fprintf(stderr, "riptide: out of memory\n");
    free(b.ring);
    free(workers);
    cli_engine_close(&eng);
    return CLI_EXIT_FAILED;
  }
  pthread_mutex_init(&b.lock, NULL);
  pthread_cond_init(&b.work, NULL);
  pthread_cond_init(&b.done, NULL);
  pthread_cond_init(&b.space, NULL);
  b.t_start = cli_now_ns();

  pthread_t writer;
  unsigned started = 0;
  bool writer_started = pthread_create(&writer, NULL, writer_main, &b) == 0;
  for (unsigned i = 0; writer_started && i < c->parallel; i++) {
    if (pthread_create(&workers[i], NULL, worker_main, &b) != 0)
      break;
    started++;
  }
  int rc = CLI_EXIT_OK;
  if (!writer_started || started == 0) {
    fprintf(stderr, "riptide: cannot start threads\n");
    rc = CLI_EXIT_FAILED;
  } else {
    /* Produce: arguments in order, then each --input-dir. A walk that fails to open a
     * directory given as an argument reports it as one failed input. */
    for (int i = 0; i < c->n_inputs; i++) {
      if (is_dir(c->inputs[i])) {
        if (!cli_walk_dir(c->inputs[i], submit, &b, detail, sizeof detail))
          submit(c->inputs[i], &b);
      } else {
        submit(c->inputs[i], &b);
      }
    }
    for (int i = 0; i < c->n_input_dirs; i++) {
      if (!cli_walk_dir(c->input_dirs[i], submit, &b, detail, sizeof detail)) {
        fprintf(stderr, "riptide: %s\n", detail);
        rc = CLI_EXIT_FAILED;
      }
    }
  }
  pthread_mutex_lock(&b.lock);
  b.producing_done = true;
  pthread_cond_broadcast(&b.work);
  pthread_cond_broadcast(&b.done);
  pthread_mutex_unlock(&b.lock);
  for (unsigned i = 0; i < started; i++)
    pthread_join(workers[i], NULL);
  if (writer_started)
    pthread_join(writer, NULL);
  double el = (double)(cli_now_ns() - b.t_start) / 1e9;

  if (b.json_array)
    fputs(b.written_docs ? "\n]\n" : "[]\n", stdout);
  if (fflush(stdout) != 0 || ferror(stdout))
    b.write_error = true;
  draw_progress(&b, true);
  clear_progress(&b);
  if (c->stats)
    cli_engine_print_stats(&eng, stderr);
  if (!c->quiet) {
    uint64_t pages = b.ok + b.failed;
    fprintf(stderr,
            "riptide: %llu pages: %llu ok (%llu fallback), %llu failed in %.2f s: %.1f pages/s, "
            "latency p50 %.2f ms, p95 %.2f ms\n",
            (unsigned long long)pages, (unsigned long long)b.ok, (unsigned long long)b.fallback,
            (unsigned long long)b.failed, el, el > 0 ? (double)pages / el : 0.0,
            (double)cli_latency_quantile(&b.lat, 0.50) / 1e6,
            (double)cli_latency_quantile(&b.lat, 0.95) / 1e6);
  }
  if (b.write_error) {
    fprintf(stderr, "riptide: error writing standard output\n");
    rc = CLI_EXIT_FAILED;
  }
  if (b.failed > 0 && rc == CLI_EXIT_OK)
    rc = CLI_EXIT_FAILED;
  cli_engine_close(&eng);
  pthread_cond_destroy(&b.work);
  pthread_cond_destroy(&b.done);
  pthread_cond_destroy(&b.space);
  pthread_mutex_destroy(&b.lock);
  free(b.ring);
  free(workers);
  free(b.names.v);
  if (b.out_dirfd >= 0)
    close(b.out_dirfd);
  return rc;
}
