/*
 * inputs.c - what the command reads: files, stdin, URLs, directory walks; ids and safe output
 * names.
 */
#include "cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLI_MAX_WALK_DEPTH 64

bool cli_is_url(const char *s)
{
  return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
  size_t k = strlen(suffix);
  return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

static char *input_id_raw(const char *src);

bool cli_wanted_file(const char *name)
{
  size_t n = strlen(name);
  return ends_with(name, n, ".html") || ends_with(name, n, ".htm") || ends_with(name, n, ".gz");
}

void cli_utf8_clean(char *s)
{
  unsigned char *p = (unsigned char *)s;
  while (*p) {
    size_t n = 0;
    unsigned cp = 0, min = 0;
    if (*p < 0x80) {
      p++;
      continue;
    }
    if (*p >= 0xC2 && *p <= 0xDF)
      n = 2, cp = *p & 0x1Fu, min = 0x80;
    else if (*p >= 0xE0 && *p <= 0xEF)
      n = 3, cp = *p & 0x0Fu, min = 0x800;
    else if (*p >= 0xF0 && *p <= 0xF4)
      n = 4, cp = *p & 0x07u, min = 0x10000;
    size_t i = 1;
    for (; n && i < n; i++) {
      if ((p[i] & 0xC0) != 0x80)
        break;
      cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if (n == 0 || i < n || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      *p++ = '?';
      continue;
    }
    p += n;
  }
}

static char *clean_id(char *id)
{
  if (id)
    cli_utf8_clean(id);
  return id;
}

char *cli_input_id(const char *src)
{
  return clean_id(input_id_raw(src));
}

static char *input_id_raw(const char *src)
{
  if (strcmp(src, "-") == 0)
    return strdup("stdin");
  if (cli_is_url(src))
    return strdup(src);
  const char *base = strrchr(src, '/');
  base = base ? base + 1 : src;
  size_t n = strlen(base);
  if (ends_with(base, n, ".gz"))
    n -= 3;
  if (ends_with(base, n, ".html"))
    n -= 5;
  else if (ends_with(base, n, ".htm"))
    n -= 4;
  if (n == 0)
    return strdup(base[0] ? base : "input");
  return strndup(base, n);
}

riptide_err cli_read_source(const char *path, uint64_t max, char **out, size_t *len, char *detail,
                            size_t dlen)
{
  *out = NULL;
  *len = 0;
  int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(detail, dlen, "%s: %s", path, strerror(errno));
    return RIPTIDE_ERR_IO;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    snprintf(detail, dlen, "%s: %s", path, strerror(errno));
    if (fd != STDIN_FILENO)
      close(fd);
    return RIPTIDE_ERR_IO;
  }
  if (fd != STDIN_FILENO && !S_ISREG(st.st_mode)) {
    snprintf(detail, dlen, "%s: not a regular file", path);
    close(fd);
    return RIPTIDE_ERR_IO;
  }
  if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
    snprintf(detail, dlen, "%s: %llu bytes, over the limit of %llu", path,
             (unsigned long long)st.st_size, (unsigned long long)max);
    if (fd != STDIN_FILENO)
      close(fd);
    return RIPTIDE_ERR_INPUT_TOO_LARGE;
  }
  size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
  char *buf = malloc(cap);
  riptide_err err = buf ? RIPTIDE_OK : RIPTIDE_ERR_NOMEM;
  size_t used = 0;
  while (err == RIPTIDE_OK) {
    if (used + 1 >= cap) {
      if (used >= max + 1)
        break;
      if (S_ISREG(st.st_mode) && used == (size_t)st.st_size) {
        /* The size fstat gave is read: probe for growth before paying for a realloc. */
        char probe;
        ssize_t r = read(fd, &probe, 1);
        if (r == 0)
          break;
        if (r < 0) {
          snprintf(detail, dlen, "%s: %s", path, strerror(errno));
          err = RIPTIDE_ERR_IO;
          break;
        }
        char *nb = realloc(buf, cap * 2 + 1);
        if (!nb) {
          err = RIPTIDE_ERR_NOMEM;
          break;
        }
        buf = nb;
        cap = cap * 2 + 1;
        buf[used++] = probe;
        continue;
      }
      size_t ncap = cap * 2;
      if (ncap > max + 2)
        ncap = (size_t)max + 2;
      char *nb = realloc(buf, ncap);
      if (!nb) {
        err = RIPTIDE_ERR_NOMEM;
        break;
      }
      buf = nb;
      cap = ncap;
    }
    ssize_t r = read(fd, buf + used, cap - used - 1);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      snprintf(detail, dlen, "%s: %s", path, strerror(errno));
      err = RIPTIDE_ERR_IO;
      break;
    }
    if (r == 0)
      break;
    used += (size_t)r;
  }
  if (fd != STDIN_FILENO)
    close(fd);
  if (err == RIPTIDE_OK && used > max) {
    snprintf(detail, dlen, "%s: more than %llu bytes", path, (unsigned long long)max);
    err = RIPTIDE_ERR_INPUT_TOO_LARGE;
  }
  if (err != RIPTIDE_OK) {
    free(buf);
    return err;
  }
  buf[used] = '\0';
  *out = buf;
  *len = used;
  return RIPTIDE_OK;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
  return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
  return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static bool walk(const char *dir, int depth, cli_walk_fn fn, void *ctx, char *detail, size_t dlen)
{
  struct dirent **list = NULL;
  int n = scandir(dir, &list, skip_dots, cmp_names);
  if (n < 0) {
    snprintf(detail, dlen, "%s: %s", dir, strerror(errno));
    return false;
  }
  bool ok = true;
  size_t dl = strlen(dir);
  for (int i = 0; i < n; i++) {
    if (ok) {
      size_t need = dl + 1 + strlen(list[i]->d_name) + 1;
      char *path = malloc(need);
      if (!path) {
        ok = false;
      } else {
        snprintf(path, need, "%s%s%s", dir, (dl && dir[dl - 1] == '/') ? "" : "/", list[i]->d_name);
        struct stat lst, st;
        if (lstat(path, &lst) == 0) {
          if (S_ISDIR(lst.st_mode)) {
            /* An unreadable subdirectory is reported as one failed input; the walk goes on. */
            if (depth < CLI_MAX_WALK_DEPTH && !walk(path, depth + 1, fn, ctx, detail, dlen))
              ok = fn(path, ctx);
          } else if (cli_wanted_file(list[i]->d_name)) {
            /* A symbolic link to a file is read; to anything else (or dangling) it is
             * reported like any other unreadable input. */
            if (S_ISREG(lst.st_mode) ||
                (S_ISLNK(lst.st_mode) && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))))
              ok = fn(path, ctx);
          }
        }
        free(path);
      }
    }
    free(list[i]);
  }
  free(list);
  return ok;
}

bool cli_walk_dir(const char *dir, cli_walk_fn fn, void *ctx, char *detail, size_t dlen)
{
  return walk(dir, 0, fn, ctx, detail, dlen);
}

void cli_safe_name(const char *id, char *out, size_t cap)
{
  size_t k = 0;
  size_t lim = cap - 1 < 150 ? cap - 1 : 150;
  /* Drop a URL's scheme: "https://example.com/a" -> "example.com_a". */
  if (strncasecmp(id, "http://", 7) == 0)
    id += 7;
  else if (strncasecmp(id, "https://", 8) == 0)
    id += 8;
  for (const char *p = id; *p && k < lim; p++) {
    unsigned char c = (unsigned char)*p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_';
    char o = ok ? (char)c : '_';
    if (o == '_' && k > 0 && out[k - 1] == '_')
      continue;
    if (k == 0 && o == '.')
      o = '_';
    out[k++] = o;
  }
  while (k > 0 && (out[k - 1] == '_' || out[k - 1] == '.'))
    k--;
  if (k == 0) {
    snprintf(out, cap, "document");
    return;
  }
  out[k] = '\0';
}
