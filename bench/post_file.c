/*
 * post_file.c - a lean HTTP/1.1 client for scripts/bench-serve.sh's batch run, which builds it
 * with cc: one POST whose body is a file, sent with sendfile(2) (no copy through user space,
 * no read of the whole file first, as `curl --data-binary @file` does), and the response
 * body, de-chunked, written to a file. The client shares the machine's CPUs with the server
 * it measures, so the less it costs the closer the figure is to the server's own.
 *
 *   post_file HOST PORT PATH CONTENT_TYPE BODY_FILE OUT_FILE
 *
 * HOST unix:SOCKET_PATH connects to a Unix-domain socket (PORT is then not used).
 *
 * Prints one line: RESULT status=<code> ms=<from the first byte sent to the last received>
 * bytes_in=<response body bytes>. Exit 0 on a complete response, 1 otherwise.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Buffered reader over the socket. */
static int sock;
static char rbuf[1 << 16];
static size_t rpos, rlen;

static bool fill(void)
{
  if (rpos < rlen)
    return true;
  ssize_t n = recv(sock, rbuf, sizeof rbuf, 0);
  if (n <= 0)
    return false;
  rpos = 0;
  rlen = (size_t)n;
  return true;
}

/* One CRLF-terminated line (CR and LF dropped); false at EOF or when longer than cap. */
static bool read_line(char *out, size_t cap)
{
  size_t o = 0;
  for (;;) {
    if (!fill())
      return false;
    char c = rbuf[rpos++];
    if (c == '\n')
      break;
    if (c != '\r') {
      if (o + 1 >= cap)
        return false;
      out[o++] = c;
    }
  }
  out[o] = '\0';
  return true;
}

/* Copies n body bytes to f. */
static bool copy_bytes(FILE *f, uint64_t n, uint64_t *total)
{
  while (n > 0) {
    if (!fill())
      return false;
    size_t c = rlen - rpos < n ? rlen - rpos : (size_t)n;
    if (fwrite(rbuf + rpos, 1, c, f) != c)
      return false;
    rpos += c;
    n -= c;
    *total += c;
  }
  return true;
}

int main(int argc, char **argv)
{
  if (argc != 7) {
    fprintf(stderr, "usage: post_file HOST PORT PATH CONTENT_TYPE BODY_FILE OUT_FILE\n");
    return 2;
  }
  int fd = open(argv[5], O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    perror(argv[5]);
    return 1;
  }
  FILE *out = fopen(argv[6], "wb");
  if (!out) {
    perror(argv[6]);
    return 1;
  }
  if (!strncmp(argv[1], "unix:", 5)) { /* a Unix-domain socket; PORT is not used */
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t plen = strlen(argv[1] + 5);
    if (plen >= sizeof sa.sun_path)
      return 1;
    memcpy(sa.sun_path, argv[1] + 5, plen + 1);
    sock = socket(AF_UNIX, SOCK_STREAM, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof sa) != 0) {
      perror("connect");
      return 1;
    }
  } else {
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0)
      return 1;
    sock = socket(ai->ai_family, SOCK_STREAM, 0);
    if (sock < 0 || connect(sock, ai->ai_addr, ai->ai_addrlen) != 0) {
      perror("connect");
      return 1;
    }
    freeaddrinfo(ai);
  }
  char head[1024];
  int hl = snprintf(head, sizeof head,
                    "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: %s\r\n"
                    "Content-Length: %lld\r\nConnection: close\r\n\r\n",
                    argv[3], strncmp(argv[1], "unix:", 5) ? argv[1] : "localhost", argv[2], argv[4],
                    (long long)st.st_size);
  uint64_t t0 = now_ns();
  if (send(sock, head, (size_t)hl, MSG_NOSIGNAL | MSG_MORE) != hl)
    return 1;
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(sock, fd, &off, (size_t)(st.st_size - off));
    if (n <= 0) {
      perror("sendfile");
      return 1;
    }
  }
  char line[4096];
  int status = 0;
  bool chunked = false;
  long long clen = -1;
  if (!read_line(line, sizeof line) || sscanf(line, "HTTP/1.%*d %d", &status) != 1)
    return 1;
  while (read_line(line, sizeof line) && line[0]) {
    if (!strncasecmp(line, "Transfer-Encoding:", 18) && strstr(line + 18, "chunked"))
      chunked = true;
    else if (!strncasecmp(line, "Content-Length:", 15))
      clen = atoll(line + 15);
  }
  uint64_t total = 0;
  bool ok = true;
  if (chunked) {
    for (;;) {
      if (!read_line(line, sizeof line)) {
        ok = false;
        break;
      }
      uint64_t n = strtoull(line, NULL, 16);
      if (n == 0) {
        read_line(line, sizeof line); /* the empty line after the last chunk */
        break;
      }
      if (!copy_bytes(out, n, &total) || !read_line(line, sizeof line)) {
        ok = false;
        break;
      }
    }
  } else if (clen >= 0) {
    ok = copy_bytes(out, (uint64_t)clen, &total);
  } else {
    while (fill())
      copy_bytes(out, rlen - rpos, &total);
  }
  uint64_t t1 = now_ns();
  fclose(out);
  close(sock);
  close(fd);
  printf("RESULT status=%d ms=%.1f bytes_in=%llu\n", status, (double)(t1 - t0) / 1e6,
         (unsigned long long)total);
  return ok && status == 200 ? 0 : 1;
}
