/*
 * paced_load.c - open-loop (fixed-rate) HTTP load for scripts/bench-serve.sh, which builds it
 * with cc (wrk has no fixed-rate mode).
 *
 *   paced_load HOST PORT RATE DURATION_S CONNECTIONS PAGE_LIST
 *
 * Request i is due at start + i / RATE, whatever happened to the requests before it;
 * CONNECTIONS threads, each with one keep-alive connection, take the next due request in turn
 * (POST /v1/extract, text/html, the pages of PAGE_LIST in turn). A request's latency is measured
 * from its due time, not from when a connection was free to send it, so a stall counts in full
 * for every request it delayed (no coordinated omission). Prints:
 *   RESULT rate=<achieved req/s> p50=<ms> p99=<ms> late=<sent > 1 ms after due> errors=<n>
 * and where the time went, from the server's Server-Timing header (wait: in its queue for a
 * worker; run: on the worker, wall clock; cpu: the worker thread's CPU time for it, so run -
 * cpu is time it was runnable but not running; extract: the guest call; resume: from the
 * worker's end to the response queued by the network thread; total: from the
 * request's headers in to its response queued) and the client's own clock (send: from the due
 * time to the send; outside: the latency the server's total does not cover - the send delay,
 * the network, the server's network thread picking the request up, the client's wake-up on
 * the response):
 *   PARTS p50 latency=.. send=.. outside=.. total=.. wait=.. run=.. cpu=.. extract=.. resume=..
 *   PARTS p99 ...          (each part's own p50 and p99)
 *   PARTS slowest1% ...   (the means over the 1 % slowest requests: what their latency is made of)
 * A send delay is either `busy` (every connection was still waiting for an earlier answer when
 * the request fell due) or the client thread's own wake-up coming late; and the time the
 * client's threads spent runnable but not running (the kernel's run-queue delay,
 * /proc/thread-self/schedstat) says how much of that is this machine's CPUs being taken:
 *   CLIENT busy=<requests due while every connection was busy> runq_ms=<run-queue delay, all
 *          client threads> runq_per_req_ms=<the same per request>
 */
#define _GNU_SOURCE
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *host, *port;
static double rate;
static size_t total;
static char **reqs;
static size_t *req_len, n_pages;
static _Atomic size_t next_i;
static uint64_t start_ns;
static double *lat_ms;
enum { P_LAT, P_SEND, P_OUTSIDE, P_TOTAL, P_WAIT, P_RUN, P_CPU, P_EXTRACT, P_RESUME, P_N };
static const char *const part_name[P_N] = {"latency", "send", "outside", "total", "wait",
                                           "run",     "cpu",  "extract", "resume"};
static double (*parts)[P_N]; /* per request, ms */
static _Atomic size_t late, errors, busy;
static _Atomic uint64_t runq_ns;

/* This thread's run-queue delay so far (ns), 0 when the kernel does not say. */
static uint64_t runq_delay(void)
{
  FILE *f = fopen("/proc/thread-self/schedstat", "r");
  unsigned long long run = 0, delay = 0;
  if (f) {
    if (fscanf(f, "%llu %llu", &run, &delay) != 2)
      delay = 0;
    fclose(f);
  }
  return delay;
}

static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int connect_to(void)
{
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
  if (getaddrinfo(host, port, &hints, &ai) != 0)
    return -1;
  int fd = socket(ai->ai_family, SOCK_STREAM, 0);
  if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    close(fd);
    fd = -1;
  }
  freeaddrinfo(ai);
  return fd;
}

/* Sends one request and reads its response; false on any error. */
static bool roundtrip(int fd, const char *req, size_t len, char *buf, size_t cap, double timing[6])
{
  for (size_t off = 0; off < len;) {
    ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
    if (w <= 0)
      return false;
    off += (size_t)w;
  }
  size_t have = 0;
  char *end = NULL;
  while (!end) {
    if (have + 1 >= cap)
      return false;
    ssize_t r = recv(fd, buf + have, cap - 1 - have, 0);
    if (r <= 0)
      return false;
    have += (size_t)r;
    buf[have] = '\0';
    end = strstr(buf, "\r\n\r\n");
  }
  bool ok = strncmp(buf, "HTTP/1.1 200", 12) == 0;
  const char *st = strcasestr(buf, "\r\nServer-Timing:");
  if (st && st < end) {
    static const char *const keys[6] = {
        "wait;dur=", "extract;dur=", "total;dur=", "run;dur=", "cpu;dur=", "resume;dur="};
    for (int k = 0; k < 6; k++) {
      const char *v = strstr(st, keys[k]);
      if (v && v < end)
        timing[k] = atof(v + strlen(keys[k]));
    }
  }
  const char *cl = strcasestr(buf, "\r\nContent-Length:");
  if (!cl || cl > end)
    return false;
  size_t body = strtoull(cl + 17, NULL, 10);
  size_t got = have - (size_t)(end + 4 - buf);
  while (got < body) {
    ssize_t r = recv(fd, buf, cap, 0);
    if (r <= 0)
      return false;
    got += (size_t)r;
  }
  return ok;
}

static void *worker(void *arg)
{
  (void)arg;
  size_t cap = 1 << 20;
  char *buf = malloc(cap);
  int fd = connect_to();
  uint64_t rq0 = runq_delay();
  for (;;) {
    size_t i = atomic_fetch_add(&next_i, 1);
    if (i >= total)
      break;
    uint64_t due = start_ns + (uint64_t)((double)i * 1e9 / rate);
    uint64_t now = now_ns();
    if (due > now) {
      struct timespec ts = {.tv_sec = (time_t)(due / 1000000000u),
                            .tv_nsec = (long)(due % 1000000000u)};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    } else {
      atomic_fetch_add(&busy, 1); /* this connection was still busy when it fell due */
      if (now - due > 1000000u)
        atomic_fetch_add(&late, 1);
    }
    uint64_t sent = now_ns();
    double timing[6] = {0, 0, 0, 0, 0, 0};
    bool ok = fd >= 0 && roundtrip(fd, reqs[i % n_pages], req_len[i % n_pages], buf, cap, timing);
    if (!ok) {
      atomic_fetch_add(&errors, 1);
      if (fd >= 0)
        close(fd);
      fd = connect_to();
    }
    lat_ms[i] = (double)(now_ns() - due) / 1e6;
    parts[i][P_LAT] = lat_ms[i];
    parts[i][P_SEND] = sent > due ? (double)(sent - due) / 1e6 : 0;
    parts[i][P_OUTSIDE] = lat_ms[i] - timing[2];
    parts[i][P_TOTAL] = timing[2];
    parts[i][P_WAIT] = timing[0];
    parts[i][P_EXTRACT] = timing[1];
    parts[i][P_RUN] = timing[3];
    parts[i][P_CPU] = timing[4];
    parts[i][P_RESUME] = timing[5];
  }
  atomic_fetch_add(&runq_ns, runq_delay() - rq0);
  if (fd >= 0)
    close(fd);
  free(buf);
  return NULL;
}

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
  if (argc != 7) {
    fprintf(stderr, "usage: paced_load HOST PORT RATE DURATION_S CONNECTIONS PAGE_LIST\n");
    return 2;
  }
  host = argv[1];
  port = argv[2];
  rate = atof(argv[3]);
  double duration = atof(argv[4]);
  int conns = (int)strtol(argv[5], NULL, 10);
  FILE *list = fopen(argv[6], "r");
  if (!list || rate <= 0 || conns < 1)
    return 2;
  char path[4096];
  while (fgets(path, sizeof path, list)) {
    path[strcspn(path, "\n")] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
      continue;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "POST /v1/extract HTTP/1.1\r\nHost: %s\r\nContent-Type: text/html\r\n"
                      "Content-Length: %ld\r\n\r\n",
                      host, n);
    reqs = realloc(reqs, (n_pages + 1) * sizeof *reqs);
    req_len = realloc(req_len, (n_pages + 1) * sizeof *req_len);
    char *r = malloc((size_t)hl + (size_t)n);
    memcpy(r, head, (size_t)hl);
    if (fread(r + hl, 1, (size_t)n, f) != (size_t)n)
      return 2;
    fclose(f);
    reqs[n_pages] = r;
    req_len[n_pages++] = (size_t)hl + (size_t)n;
  }
  fclose(list);
  if (!n_pages)
    return 2;
  total = (size_t)(rate * duration);
  if (total < 1)
    total = 1;
  lat_ms = calloc(total, sizeof *lat_ms);
  parts = calloc(total, sizeof *parts);
  pthread_t *t = calloc((size_t)conns, sizeof *t);
  start_ns = now_ns() + 100000000u;
  for (int k = 0; k < conns; k++)
    pthread_create(&t[k], NULL, worker, NULL);
  for (int k = 0; k < conns; k++)
    pthread_join(t[k], NULL);
  double elapsed = (double)(now_ns() - start_ns) / 1e9;
  /* The slowest 1 %, by latency (before lat_ms is sorted: its order is the requests'). */
  double cut = 0;
  {
    double *sorted = malloc(total * sizeof *sorted);
    memcpy(sorted, lat_ms, total * sizeof *sorted);
    qsort(sorted, total, sizeof *sorted, cmp);
    cut = sorted[(size_t)((double)total * 0.99)];
    free(sorted);
  }
  double tail[P_N] = {0};
  size_t n_tail = 0;
  for (size_t i = 0; i < total; i++) {
    if (lat_ms[i] < cut)
      continue;
    n_tail++;
    for (int k = 0; k < P_N; k++)
      tail[k] += parts[i][k];
  }
  qsort(lat_ms, total, sizeof *lat_ms, cmp);
  printf("RESULT rate=%.1f p50=%.2f p99=%.2f late=%zu errors=%zu\n", (double)total / elapsed,
         lat_ms[total / 2], lat_ms[(size_t)((double)total * 0.99)], (size_t)late, (size_t)errors);
  double *col = malloc(total * sizeof *col);
  for (int q = 0; q < 2; q++) {
    printf("PARTS %-10s", q ? "p99" : "p50");
    for (int k = 0; k < P_N; k++) {
      for (size_t i = 0; i < total; i++)
        col[i] = parts[i][k];
      qsort(col, total, sizeof *col, cmp);
      printf(" %s=%.2f", part_name[k], col[q ? (size_t)((double)total * 0.99) : total / 2]);
    }
    printf("\n");
  }
  printf("PARTS %-10s", "slowest1%");
  for (int k = 0; k < P_N; k++)
    printf(" %s=%.2f", part_name[k], n_tail ? tail[k] / (double)n_tail : 0);
  printf("  (%zu requests)\n", n_tail);
  free(col);
  printf("CLIENT busy=%zu runq_ms=%.1f runq_per_req_ms=%.3f\n", (size_t)busy, (double)runq_ns / 1e6,
         (double)runq_ns / 1e6 / (double)total);
  return 0;
}
