/*
 * batch.c - POST /v1/extract/batch: NDJSON lines in, one NDJSON line out per input line, in
 * input order, streamed as soon as the next line in order is ready.
 *
 * DESIGN
 * The batch is made when the request's headers are in, and enters the work queue then (one
 * entry; it stays there until its body is complete and every line is claimed). The body is
 * fed to it piece by piece as it arrives (srv_batch_feed, network thread): every complete line
 * is copied out and appended at once, so workers run the first lines while the rest of the
 * body is still on the wire, and each line's JSON is parsed by the worker that runs it, except
 * while lines wait for a worker: then the network thread, which has time to spare, decodes the
 * line's "html" string itself (add_line), so a pool slot's thread only extracts. A line
 * longer than the piece it started in (a page: libmicrohttpd reads ~25 KiB at a time) is
 * gathered in a buffer that a worker hands back once it has run the line (`spare`, at most
 * SRV_BATCH_SPARE of them, none kept once the body is complete): the next long line is received
 * into it without growing a new buffer from 4 KiB by reallocations. Blank
 * lines are not inputs. A line that is not a JSON object, lacks "html" and "url", has bad
 * options, or fails to extract gets an error line {"id", "error": {"code", "message"}} in its
 * place: one output line per input line, always.
 *
 * Bounds: while the body arrives, at most `window` received lines wait for or run on a worker
 * (plus the lines of the piece just received); past that the connection is suspended, so the
 * server reads no more of the body (TCP backpressure on the client) until a worker finishes a
 * line and resumes it. libmicrohttpd sends a response only once the whole body is in, so the
 * output lines of the lines finished by then are held until the stream starts. Once it has
 * started, workers claim lines at most `window` ahead of the stream, so a slow reader holds at
 * most `window` results.
 *
 * The stream is libmicrohttpd's content reader (network thread): it copies finished lines in
 * order; when the next one is not done it sets `waiting` and suspends the connection (both
 * under srv.lock), and the worker that finishes that line clears `waiting` and resumes it. The
 * upload pause works the same way with `paused`. Only one of the two can be set: `paused` only
 * before `complete`, `waiting` only after.
 *
 * Lifetime: the batch is freed by whoever comes last of the request (srv_batch_release from
 * on_completed), the workers running its lines (`running`), and the queue (`queued`).
 */
#include "serve/mhd.h"
#include "serve/serve.h"

#include <stdlib.h>
#include <string.h>

static const char NOMEM_LINE[] =
    "{\"id\":null,\"error\":{\"code\":\"NOMEM\",\"message\":\"out of memory\"}}\n";

srv_batch *srv_batch_new(srv *s, const srv_params *base, struct MHD_Connection *conn)
{
  srv_batch *b = calloc(1, sizeof *b);
  if (!b)
    return NULL;
  b->s = s;
  b->conn = conn;
  b->window = (size_t)SRV_BATCH_WINDOW_PER_SLOT * s->cfg.parallel;
  b->net = true;
  b->job.batch = b;
  srv_params_copy(&b->base, base);
  return b;
}

static bool blank(const char *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
      return false;
  return true;
}

/* Appends one complete line (its bytes, `in_cap` allocated, are owned by the line from here on),
 * and gives the network thread a spare buffer for the next line that spans pieces, when
 * workers have handed one back. Network thread. */
static srv_batch_feed_result append_line(srv_batch *b, char *in, size_t len, size_t in_cap,
                                         srv_split *pre, size_t lineno)
{
  srv *s = b->s;
  srv_batch_line *L = calloc(1, sizeof *L);
  if (!L) {
    free(in);
    srv_split_free(pre);
    return SRV_FEED_NOMEM;
  }
  L->in = in;
  L->len = len;
  L->cap = in_cap;
  L->pre = *pre; /* moved */
  memset(pre, 0, sizeof *pre);
  L->lineno = lineno;
  pthread_mutex_lock(&s->lock);
  if (b->n == SRV_MAX_BATCH_LINES) {
    pthread_mutex_unlock(&s->lock);
    free(in);
    srv_split_free(&L->pre);
    free(L);
    return SRV_FEED_TOO_MANY;
  }
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 64;
    srv_batch_line **nl = realloc(b->lines, cap * sizeof *nl);
    if (!nl) {
      pthread_mutex_unlock(&s->lock);
      free(in);
      srv_split_free(&L->pre);
      free(L);
      return SRV_FEED_NOMEM;
    }
    b->lines = nl;
    b->cap = cap;
  }
  b->lines[b->n++] = L;
  /* Lines received and not claimed: while there are some, the workers are the bottleneck
   * and the network thread has time to take the next line apart itself (add_line). */
  b->backlog = b->n - b->next_claim;
  if (b->aborted) { /* the shutdown swept the queue: this line will not run */
    char id[24];
    snprintf(id, sizeof id, "%zu", lineno);
    free(L->in);
    L->in = NULL;
    srv_split_free(&L->pre);
    srv_error_line(&L->out, id, "SHUTTING_DOWN", "the server is shutting down");
    L->done = true;
    b->n_done++;
    b->next_claim = b->n;
  } else if (b->queued) {
    pthread_cond_signal(&s->work_cv);
  }
  if (!b->part.p && b->n_spare > 0)
    b->part = b->spare[--b->n_spare];
  pthread_mutex_unlock(&s->lock);
  return SRV_FEED_OK;
}

/* Appends a complete line. When lines were waiting for a worker at the last append (the
 * workers are the bottleneck), the network thread takes the line apart first (its "html"
 * string decoded, srv_json_split), work a worker would otherwise do before extracting; the
 * line's own buffer then becomes the buffer the next long line is received into. When the
 * workers keep up, the line goes as it came, so that at many slots the one network thread
 * does not become the limit. Network thread. */
static srv_batch_feed_result add_line(srv_batch *b, char *line, size_t ll, size_t cap,
                                      size_t lineno)
{
  srv_split pre = {0};
  if (b->backlog > 0 && srv_json_split(line, ll, &pre)) {
    if (!b->part.p && cap >= SRV_BATCH_SPARE_MIN)
      b->part = (cli_buf){.p = line, .cap = cap};
    else
      free(line);
    return append_line(b, NULL, 0, 0, &pre, lineno);
  }
  return append_line(b, line, ll, cap, &pre, lineno);
}

srv_batch_feed_result srv_batch_feed(srv_batch *b, const char *data, size_t len, bool last,
                                     bool may_pause)
{
  size_t i = 0;
  while (i < len) {
    const char *nl = memchr(data + i, '\n', len - i);
    if (!nl) { /* the start of a line whose end has not arrived */
      cli_buf_put(&b->part, data + i, len - i);
      if (b->part.failed)
        return SRV_FEED_NOMEM;
      break;
    }
    size_t end = (size_t)(nl - data);
    b->lineno++;
    char *line = NULL;
    size_t ll = 0, cap = 0;
    if (b->part.len) {
      cli_buf_put(&b->part, data + i, end - i);
      if (b->part.failed)
        return SRV_FEED_NOMEM;
      line = b->part.p; /* taken over */
      ll = b->part.len;
      cap = b->part.cap;
      memset(&b->part, 0, sizeof b->part);
      if (blank(line, ll)) {
        free(line);
        line = NULL;
      }
    } else if (!blank(data + i, end - i)) {
      ll = end - i;
      cap = ll ? ll : 1;
      line = malloc(cap);
      if (!line)
        return SRV_FEED_NOMEM;
      memcpy(line, data + i, ll);
    }
    if (line) {
      srv_batch_feed_result fr = add_line(b, line, ll, cap, b->lineno);
      if (fr != SRV_FEED_OK)
        return fr;
    }
    i = end + 1;
  }
  if (last) {
    if (b->part.len) { /* the last line has no newline */
      b->lineno++;
      char *line = b->part.p;
      size_t ll = b->part.len, cap = b->part.cap;
      memset(&b->part, 0, sizeof b->part);
      if (blank(line, ll)) {
        free(line);
      } else {
        srv_batch_feed_result fr = add_line(b, line, ll, cap, b->lineno);
        if (fr != SRV_FEED_OK)
          return fr;
      }
    }
    cli_buf_free(&b->part);
    return SRV_FEED_OK;
  }
  if (!may_pause)
    return SRV_FEED_OK;
  srv *s = b->s;
  srv_batch_feed_result fr = SRV_FEED_OK;
  pthread_mutex_lock(&s->lock);
  if (!b->aborted && b->n - b->n_done >= b->window) {
    b->paused = true;
    MHD_suspend_connection(b->conn); /* under the lock: the resume cannot come first */
    fr = SRV_FEED_PAUSED;
  }
  pthread_mutex_unlock(&s->lock);
  return fr;
}

void srv_batch_complete(srv_batch *b)
{
  srv *s = b->s;
  pthread_mutex_lock(&s->lock);
  b->complete = true;
  if (b->queued)
    pthread_cond_broadcast(&s->work_cv); /* the stream window now applies; or nothing is left */
  pthread_mutex_unlock(&s->lock);
}

bool srv_batch_fully_claimed_locked(const srv_batch *b)
{
  return (b->complete || b->aborted) && b->next_claim >= b->n;
}

bool srv_batch_claim_locked(srv_batch *b, srv_batch_line **line)
{
  if (b->next_claim >= b->n || (b->complete && b->next_claim >= b->next_emit + b->window))
    return false;
  *line = b->lines[b->next_claim++];
  b->running++;
  return true;
}

void srv_batch_destroy(srv_batch *b)
{
  if (!b)
    return;
  for (size_t i = 0; i < b->n; i++) {
    cli_buf_free(&b->lines[i]->out);
    free(b->lines[i]->in);
    srv_split_free(&b->lines[i]->pre);
    free(b->lines[i]);
  }
  free(b->lines);
  for (unsigned i = 0; i < b->n_spare; i++)
    cli_buf_free(&b->spare[i]);
  cli_buf_free(&b->part);
  srv_params_clear(&b->base);
  free(b);
}

bool srv_batch_dequeued_locked(srv_batch *b)
{
  b->queued = false;
  return !b->net && b->running == 0;
}

void srv_batch_run_line(srv *s, srv_batch *b, srv_batch_line *L)
{
  /* in, len, lineno are the worker's alone once claimed */
  char id[24];
  snprintf(id, sizeof id, "%zu", L->lineno);
  srv_result res;
  srv_run(s, SRV_BODY_JSON, L->in, L->len, &L->pre, NULL, &b->base, true, id, 0, &res);
  char *in = L->in;
  L->in = NULL;
  struct MHD_Connection *resume = NULL;
  pthread_mutex_lock(&s->lock);
  /* A line that spanned pieces had its buffer grown piece by piece: handed back, the next such
   * line is received into it without reallocating or touching fresh pages. */
  if (L->cap >= SRV_BATCH_SPARE_MIN && b->n_spare < SRV_BATCH_SPARE && !b->complete) {
    b->spare[b->n_spare++] = (cli_buf){.p = in, .cap = L->cap};
    in = NULL;
  }
  L->out = res.body; /* moved */
  L->done = true;
  b->n_done++;
  b->running--;
  if (b->waiting && b->next_emit < b->n && b->lines[b->next_emit] == L) {
    b->waiting = false;
    resume = b->conn;
  } else if (b->paused && b->n - b->n_done < b->window) {
    b->paused = false;
    resume = b->conn;
  }
  bool destroy = !b->net && b->running == 0 && !b->queued;
  pthread_mutex_unlock(&s->lock);
  free(in);
  if (resume)
    MHD_resume_connection(resume);
  if (destroy)
    srv_batch_destroy(b);
}

static ssize_t batch_read(void *cls, uint64_t pos, char *buf, size_t max)
{
  (void)pos;
  srv_batch *b = cls;
  srv *s = b->s;
  size_t w = 0;
  bool window_moved = false;
  pthread_mutex_lock(&s->lock);
  while (w < max && b->next_emit < b->n && b->lines[b->next_emit]->done) {
    srv_batch_line *L = b->lines[b->next_emit];
    const char *src = L->out.len ? L->out.p : NOMEM_LINE;
    size_t len = L->out.len ? L->out.len : sizeof NOMEM_LINE - 1;
    size_t c = len - b->emit_off < max - w ? len - b->emit_off : max - w;
    memcpy(buf + w, src + b->emit_off, c);
    w += c;
    b->emit_off += c;
    if (b->emit_off == len) {
      cli_buf_free(&L->out);
      b->next_emit++;
      b->emit_off = 0;
      window_moved = true;
    }
  }
  if (window_moved && b->queued)
    pthread_cond_broadcast(&s->work_cv); /* lines may be claimable again */
  if (w > 0) {
    b->bytes_out += w;
    pthread_mutex_unlock(&s->lock);
    return (ssize_t)w;
  }
  if (b->next_emit >= b->n) {
    pthread_mutex_unlock(&s->lock);
    return MHD_CONTENT_READER_END_OF_STREAM;
  }
  b->waiting = true;
  MHD_suspend_connection(b->conn); /* under the lock: the resume cannot come first */
  pthread_mutex_unlock(&s->lock);
  return 0;
}

struct MHD_Response *srv_batch_response(srv_batch *b)
{
  return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, batch_read, b, NULL);
}

void srv_batch_release(srv *s, srv_batch *b)
{
  pthread_mutex_lock(&s->lock);
  b->net = false;
  if (b->queued) { /* the client went away before every line was claimed */
    srv_job *prev = NULL;
    for (srv_job *j = s->head; j; prev = j, j = j->next) {
      if (j != &b->job)
        continue;
      if (prev)
        prev->next = j->next;
      else
        s->head = j->next;
      if (s->tail == j)
        s->tail = prev;
      s->queued--;
      break;
    }
    b->queued = false;
  }
  b->next_claim = b->n; /* nothing more to run */
  bool destroy = b->running == 0;
  pthread_mutex_unlock(&s->lock);
  if (destroy)
    srv_batch_destroy(b);
}

struct MHD_Connection *srv_batch_abort_locked(srv_batch *b)
{
  for (size_t i = b->next_claim; i < b->n; i++) {
    srv_batch_line *L = b->lines[i];
    char id[24];
    snprintf(id, sizeof id, "%zu", L->lineno);
    free(L->in);
    L->in = NULL;
    srv_split_free(&L->pre);
    srv_error_line(&L->out, id, "SHUTTING_DOWN", "the server is shutting down");
    L->done = true;
    b->n_done++;
  }
  b->next_claim = b->n;
  b->aborted = true;
  if (b->waiting && b->next_emit < b->n && b->lines[b->next_emit]->done) {
    b->waiting = false;
    return b->conn;
  }
  if (b->paused) { /* let the rest of the body in: its lines get error lines at once */
    b->paused = false;
    return b->conn;
  }
  return NULL;
}
