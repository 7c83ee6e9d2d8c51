/*
 * engine.c - where the command's documents come from: the instance pool (default) or, with
 * `--engine native`, the native extractor alone. Every other file calls cli_engine_extract()
 * and does not know which.
 *
 * DESIGN: the pool is shared by all worker threads (riptide_pool_* is thread-safe). The event
 * subscriber runs on the pool's dispatcher thread and writes one JSON line per event to the
 * --events file under events_lock; it is unsubscribed before the pool is freed and the file
 * closed, so no callback can run on a closed file.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The input an event is about: the extraction's call_id (the input's id, set by batch.c). */
static const char *event_input_id(const riptide_event *ev)
{
  for (uint32_t i = 0; i < ev->n_meta && i < RIPTIDE_EVENT_MAX_META; i++)
    if (ev->meta_key[i] && strcmp(ev->meta_key[i], "call_id") == 0)
      return ev->meta_val[i];
  return NULL;
}

/* One JSON line per event; an event about one input starts with its "id", as the output
 * lines do. The first failed write (disk full) is kept in events_errno and ends the writing:
 * cli_engine_close() reports it, and the run's exit status says so. */
static void on_event(const riptide_event *ev, void *ctx)
{
  cli_engine *e = ctx;
  char *line = riptide_event_to_json(ev);
  const char *id = line ? event_input_id(ev) : NULL;
  if (id && line[0] == '{') {
    cli_buf b = {0};
    cli_buf_puts(&b, "{\"id\":");
    cli_json_string(&b, id);
    cli_buf_puts(&b, ",");
    cli_buf_puts(&b, line + 1);
    free(line);
    line = b.p;
    if (b.failed) {
      cli_buf_free(&b);
      line = NULL; /* counted below as an event lost */
    }
  }
  pthread_mutex_lock(&e->events_lock);
  if (!line) {
    if (!e->events_errno)
      e->events_errno = ENOMEM; /* an event lost is an incomplete file too */
  } else if (!e->events_errno) {
    errno = 0;
    if (fputs(line, e->events) == EOF || fputc('\n', e->events) == EOF || ferror(e->events))
      e->events_errno = errno ? errno : EIO;
  }
  pthread_mutex_unlock(&e->events_lock);
  free(line);
}

riptide_err cli_engine_open(cli_engine *e, const cli_config *c, char *detail, size_t dlen)
{
  memset(e, 0, sizeof *e);
  pthread_mutex_init(&e->events_lock, NULL);
  if (c->events_path) {
    e->events = fopen(c->events_path, "w");
    if (!e->events) {
      snprintf(detail, dlen, "cannot open events file %s", c->events_path);
      return RIPTIDE_ERR_IO;
    }
  }
  riptide_native_limits *nl = &e->native_limits;
  riptide_native_limits_init(nl);
  if (c->timeout_ms)
    nl->timeout_ms = c->timeout_ms;
  if (c->memory_limit)
    nl->memory_cap_bytes = c->memory_limit;
  if (c->max_input)
    nl->max_input_bytes = c->max_input;
  nl->max_output_bytes = c->max_output;
  if (c->native)
    return RIPTIDE_OK;
  riptide_pool_config pc;
  riptide_pool_config_init(&pc);
  pc.max_slots = c->parallel;
  pc.warm_slots = c->parallel < 2 ? c->parallel : 2;
  pc.fallback_enabled = !c->no_fallback;
  if (c->timeout_ms)
    pc.timeout_ms = c->timeout_ms;
  if (c->memory_limit)
    pc.memory_cap_bytes = c->memory_limit;
  if (c->max_input)
    pc.max_input_bytes = c->max_input;
  pc.max_output_bytes = c->max_output;
  riptide_err err = riptide_pool_new(&pc, &e->pool);
  if (err != RIPTIDE_OK) {
    snprintf(detail, dlen, "cannot create the instance pool: %s", riptide_strerror(err));
    return err;
  }
  if (e->events) {
    e->sub_id = riptide_pool_subscribe(e->pool, "", RIPTIDE_SEV_TRACE, on_event, e);
    if (e->sub_id == 0) {
      snprintf(detail, dlen, "cannot subscribe to pool events");
      return RIPTIDE_ERR_INTERNAL;
    }
  }
  return RIPTIDE_OK;
}

riptide_err cli_engine_extract(cli_engine *e, const char *html, size_t len, const char *url,
                               const riptide_options *o, riptide_document **out)
{
  if (e->pool)
    return riptide_pool_extract(e->pool, html, len, url, o, out);
  uint64_t t0 = cli_now_ns();
  riptide_err err = riptide_extract_native_limited(html, len, url, o, &e->native_limits, out);
  if (err == RIPTIDE_OK && (*out)->extract_ns == 0)
    (*out)->extract_ns = cli_now_ns() - t0;
  return err;
}

void cli_engine_print_stats(cli_engine *e, FILE *f)
{
  if (!e->pool) {
    fprintf(f, "# --engine native: no pool metrics\n");
    return;
  }
  riptide_metrics m;
  riptide_pool_metrics(e->pool, &m);
  char *text = riptide_metrics_to_prometheus(&m);
  if (text) {
    fputs(text, f);
    free(text);
  }
}

int cli_engine_close(cli_engine *e)
{
  if (e->pool) {
    /* The subscription stays until the pool is freed, so that the events of the shutdown
     * itself reach the file; riptide_pool_free stops the dispatcher before it returns. */
    riptide_pool_shutdown(e->pool, 30000);
    riptide_pool_free(e->pool);
    e->pool = NULL;
  }
  int err = e->events_errno; /* no callback runs any more: the dispatcher has stopped */
  if (e->events) {
    errno = 0;
    if (fclose(e->events) != 0 && !err)
      err = errno ? errno : EIO;
    e->events = NULL;
  }
  pthread_mutex_destroy(&e->events_lock);
  return err;
}
