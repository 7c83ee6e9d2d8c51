/*
 * ex_eval.c - runs the native guest extractor over a folder of pages and writes pred.jsonl
 * for ../shared/eval/score.py (one line a page: id, title, text, byline, date; with
 * --markdown also markdown). Used by scripts/eval.sh.
 *
 *   ex_eval <dir-with-html> <out.jsonl> [--mode article|full|metadata] [--markdown]
 *
 * The page URL comes from <dir>/truth.jsonl when it has one (so relative links resolve as
 * in the reference), else it is empty.
 */
#include "common/nfc.h"
#include "guest/extract/extract.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  *len = n;
  return buf;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint32_t rd32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: %s <dir> <out.jsonl> [--mode m] [--markdown]\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  ex_options o;
  ex_options_init(&o);
  bool want_md = false;
  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "--markdown") == 0)
      want_md = true;
    else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
      const char *m = argv[++i];
      o.mode = strcmp(m, "full") == 0 ? 1 : strcmp(m, "metadata") == 0 ? 2 : 0;
    }
  }
  o.markdown = want_md;
  o.links = o.media = false;
  char path[4096];
  snprintf(path, sizeof path, "%s/truth.jsonl", dir);
  json_t *urls = json_object();
  FILE *tf = fopen(path, "r");
  if (tf) {
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, tf) > 0) {
      json_t *j = json_loads(line, 0, NULL);
      if (!j)
        continue;
      json_t *id = json_object_get(j, "id"), *url = json_object_get(j, "url");
      if (json_is_string(id) && json_is_string(url))
        json_object_set(urls, json_string_value(id), url);
      json_decref(j);
    }
    free(line);
    fclose(tf);
  }
  DIR *d = opendir(dir);
  if (!d) {
    perror(dir);
    return 1;
  }
  char **names = NULL;
  size_t nn = 0, ncap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l > 5 && strcmp(e->d_name + l - 5, ".html") == 0) {
      if (nn == ncap) {
        ncap = ncap ? ncap * 2 : 256;
        names = realloc(names, ncap * sizeof *names);
      }
      names[nn++] = strdup(e->d_name);
    }
  }
  closedir(d);
  qsort(names, nn, sizeof *names, cmp_str);
  FILE *out = fopen(argv[2], "w");
  if (!out) {
    perror(argv[2]);
    return 1;
  }
  int failures = 0;
  for (size_t i = 0; i < nn; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    size_t len = 0;
    char *html = read_file(path, &len);
    char id[1024];
    snprintf(id, sizeof id, "%.*s", (int)(strlen(names[i]) - 5), names[i]);
    json_t *row = json_object();
    json_object_set_new(row, "id", json_string(id));
    if (html) {
      const char *url = json_string_value(json_object_get(urls, id));
      rt_wire_writer w;
      rt_wire_init(&w);
      rt_guest_status st = ex_extract(html, len, url ? url : "", url ? strlen(url) : 0, &o, &w);
      if (st != RT_GUEST_OK || w.failed) {
        fprintf(stderr, "%s: status %d\n", id, (int)st);
        failures++;
      } else {
        size_t p = 4;
        while (p + 5 <= w.len) {
          uint8_t tag = w.buf[p];
          uint32_t l = rd32(w.buf + p + 1);
          const char *v = (const char *)w.buf + p + 5;
          const char *key = NULL;
          switch (tag) {
          case RT_F_TITLE:
            key = "title";
            break;
          case RT_F_BYLINE:
            key = "byline";
            break;
          case RT_F_DATE:
            key = "date";
            break;
          case RT_F_TEXT:
            key = "text";
            break;
          case RT_F_MARKDOWN:
            key = want_md ? "markdown" : NULL;
            break;
          case RT_F_LANGUAGE:
            key = "language";
            break;
          default:
            break;
          }
          if (key) { /* in NFC, as the library gives it (src/common/nfc.c) */
            bool nomem;
            size_t nl = 0;
            char *nv =
                strcmp(key, "date") && strcmp(key, "language") ? rt_nfc(v, l, &nl, &nomem) : NULL;
            json_object_set_new(row, key,
                                nv ? json_stringn_nocheck(nv, nl) : json_stringn_nocheck(v, l));
            free(nv);
          }
          p += 5 + l;
        }
      }
      rt_wire_reset(&w);
      free(html);
    }
    char *s = json_dumps(row, JSON_COMPACT | JSON_ENSURE_ASCII);
    fprintf(out, "%s\n", s);
    free(s);
    json_decref(row);
    free(names[i]);
  }
  free(names);
  fclose(out);
  json_decref(urls);
  return failures ? 1 : 0;
}
