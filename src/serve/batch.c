/*
 * batch.c - POST /v1/extract/batch: NDJSON lines in, one NDJSON line out per input line, in
 * input order, streamed as soon as the next line in order is ready.
 *
 * DESIGN
 * The body is split into lines on the network thread (one memchr pass; blank lines are not
 * inputs). The batch is one entry in the work queue; workers claim its lines one at a time,
 * at most `window` lines ahead of the stream, so a slow reader holds at most `window` results
 * in memory and a large batch never takes over the queue. A line that is not a JSON object,
 * lacks "html" and "url", has bad options, or fails to extract gets an error line
 * {"id", "error": {"code", "message"}} in its place: one output line per input line, always.
 *
 * The stream is libmicrohttpd's content reader (network thread): it copies finished lines in
 * order; when the next one is not done it sets `waiting` and suspends the connection (both
 * under srv.lock), and the worker that finishes that line clears `waiting` and resumes it.
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

srv_batch *srv_batch_new(srv *s, char *body, size_t len, const srv_params *base,
                         struct MHD_Connection *conn, char *msg, size_t mlen)
{
  msg[0] = '\0';
  size_t n = 0;
  for (size_t i = 0; i < len;) {
    const char *nl = memchr(body + i, '\n', len - i);
    size_t end = nl ? (size_t)(nl - body) : len;
    for (size_t k = i; k < end; k++)
      if (body[k] != ' ' && body[k] != '\t' && body[k] != '\r') {
        n++;
        break;
      }
    i = end + 1;
  }
  if (n > SRV_MAX_BATCH_LINES) {
    snprintf(msg, mlen, "a batch holds at most %d lines", SRV_MAX_BATCH_LINES);
    free(body);
    return NULL;
  }
  srv_batch *b = calloc(1, sizeof *b);
  srv_batch_line *lines = calloc(n ? n : 1, sizeof *lines);
  if (!b || !lines) {
    free(b);
    free(lines);
    free(body);
    return NULL;
  }
  size_t k = 0, lineno = 0;
  for (size_t i = 0; i < len;) {
    const char *nl = memchr(body + i, '\n', len - i);
    size_t end = nl ? (size_t)(nl - body) : len;
    lineno++;
    for (size_t j = i; j < end; j++)
      if (body[j] != ' ' && body[j] != '\t' && body[j] != '\r') {
        lines[k].p = body + i;
        lines[k].len = end - i;
        lines[k].lineno = lineno;
        k++;
        break;
      }
    i = end + 1;
  }
  b->s = s;
  b->conn = conn;
  b->body = body;
  b->lines = lines;
  b->n = n;
  b->window = (size_t)SRV_BATCH_WINDOW_PER_SLOT * s->cfg.parallel;
  b->net = true;
  b->job.batch = b;
  srv_params_copy(&b->base, base);
  return b;
}

bool srv_batch_fully_claimed_locked(const srv_batch *b)
{
  return b->next_claim >= b->n;
}

bool srv_batch_claim_locked(srv_batch *b, size_t *line)
{
  if (b->next_claim >= b->n || b->next_claim >= b->next_emit + b->window)
    return false;
  *line = b->next_claim++;
  b->running++;
  return true;
}

void srv_batch_destroy(srv_batch *b)
{
  if (!b)
    return;
  for (size_t i = 0; i < b->n; i++)
    cli_buf_free(&b->lines[i].out);
  free(b->lines);
  free(b->body);
  srv_params_clear(&b->base);
  free(b);
}

bool srv_batch_dequeued_locked(srv_batch *b)
{
  b->queued = false;
  return !b->net && b->running == 0;
}

void srv_batch_run_line(srv *s, srv_batch *b, size_t i)
{
  srv_batch_line *L = &b->lines[i]; /* p, len, lineno are read-only after srv_batch_new */
  char id[24];
  snprintf(id, sizeof id, "%zu", L->lineno);
  srv_result res;
  srv_run(s, SRV_BODY_JSON, L->p, L->len, NULL, &b->base, true, id, 0, &res);
  struct MHD_Connection *resume = NULL;
  pthread_mutex_lock(&s->lock);
  L->out = res.body; /* moved */
  L->done = true;
  b->running--;
  if (b->waiting && i == b->next_emit) {
    b->waiting = false;
    resume = b->conn;
  }
  bool destroy = !b->net && b->running == 0 && !b->queued;
  pthread_mutex_unlock(&s->lock);
  if (resume)
    MHD_resume_connection(resume);
  if (destroy)
    srv_batch_destroy(b);
}

static ssize_t batch_read(void *cls, uint64_t pos, char *buf, size_t max)
{
  srv_batch *b = cls;
  srv *s = b->s;
  size_t w = 0;
  bool window_moved = false;
  pthread_mutex_lock(&s->lock);
  while (w < max && b->next_emit < b->n && b->lines[b->next_emit].done) {
    srv_batch_line *L = &b->lines[b->next_emit];
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
    char id[24];
    snprintf(id, sizeof id, "%zu", b->lines[i].lineno);
    srv_error_line(&b->lines[i].out, id, "SHUTTING_DOWN", "the server is shutting down");
    b->lines[i].done = true;
  }
  b->next_claim = b->n;
  if (b->waiting && b->next_emit < b->n && b->lines[b->next_emit].done) {
    b->waiting = false;
    return b->conn;
  }
  return NULL;
}
