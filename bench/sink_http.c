/*
 * sink_http.c - an HTTP/1.1 server that only reads, for scripts/bench-serve.sh's batch run,
 * which builds it with cc: it measures what moving a batch body over loopback TCP costs by
 * itself, with no parsing and no extraction, so the batch figure can be set against the bound
 * the transport alone puts on it.
 *
 *   sink_http READ_SIZE
 *
 * Listens on 127.0.0.1 (a free port, printed on the first line of stdout as PORT), accepts one
 * connection, reads one request whose body has a Content-Length, in reads of READ_SIZE bytes
 * (libmicrohttpd, as `riptide serve` configures it, reads ~25 KiB at a time), answers 200 with
 * an empty body, and prints: RESULT bytes=<body bytes> cpu_ms=<its user + system CPU time from
 * accept to the answer>. Exit 0 on a complete request.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static double cpu_ms(void)
{
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv)
{
  size_t rs = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 0;
  if (rs < 1024) {
    fprintf(stderr, "usage: sink_http READ_SIZE (>= 1024)\n");
    return 2;
  }
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
      getsockname(l, (struct sockaddr *)&a, &al) != 0) {
    perror("sink_http: listen");
    return 1;
  }
  printf("%u\n", (unsigned)ntohs(a.sin_port));
  fflush(stdout);
  int c = accept(l, NULL, NULL);
  if (c < 0) {
    perror("sink_http: accept");
    return 1;
  }
  double t0 = cpu_ms();
  char *buf = malloc(rs);
  if (!buf)
    return 1;
  /* The headers: read until the blank line (they fit the first read or few). */
  size_t have = 0;
  char *end = NULL;
  while (!end) {
    if (have == rs) {
      fprintf(stderr, "sink_http: headers larger than READ_SIZE\n");
      return 1;
    }
    ssize_t r = read(c, buf + have, rs - have);
    if (r <= 0) {
      fprintf(stderr, "sink_http: connection closed in the headers\n");
      return 1;
    }
    have += (size_t)r;
    end = memmem(buf, have, "\r\n\r\n", 4);
  }
  unsigned long long want = 0;
  for (char *p = buf; p && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
    p += *p == '\n';
    if (strncasecmp(p, "Content-Length:", 15) == 0)
      want = strtoull(p + 15, NULL, 10);
  }
  unsigned long long got = have - (size_t)(end + 4 - buf);
  while (got < want) {
    ssize_t r = read(c, buf, rs);
    if (r <= 0) {
      fprintf(stderr, "sink_http: connection closed after %llu of %llu body bytes\n", got, want);
      return 1;
    }
    got += (unsigned long long)r;
  }
  static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  if (write(c, ok, sizeof ok - 1) != (ssize_t)(sizeof ok - 1))
    return 1;
  printf("RESULT bytes=%llu cpu_ms=%.1f\n", got, cpu_ms() - t0);
  close(c);
  free(buf);
  return 0;
}
