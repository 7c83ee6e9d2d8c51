/* url.c - RFC 3986 section 5.2 reference resolution (no normalisation beyond dot segments). */
#include "guest/extract/ex_internal.h"

#include <string.h>

typedef struct url_parts {
  const char *scheme, *auth, *path, *query, *frag;
  size_t scheme_n, auth_n, path_n, query_n, frag_n;
  bool has_scheme, has_auth, has_query, has_frag;
} url_parts;

static bool is_alpha(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void url_split(const char *s, size_t n, url_parts *u)
{
  memset(u, 0, sizeof *u);
  size_t i = 0;
  if (n && is_alpha(s[0])) {
    size_t k = 1;
    while (k < n && (is_alpha(s[k]) || (s[k] >= '0' && s[k] <= '9') || s[k] == '+' || s[k] == '-' ||
                     s[k] == '.'))
      k++;
    if (k < n && s[k] == ':') {
      u->has_scheme = true;
      u->scheme = s;
      u->scheme_n = k;
      i = k + 1;
    }
  }
  if (i + 1 < n && s[i] == '/' && s[i + 1] == '/') {
    size_t k = i + 2;
    while (k < n && s[k] != '/' && s[k] != '?' && s[k] != '#')
      k++;
    u->has_auth = true;
    u->auth = s + i + 2;
    u->auth_n = k - i - 2;
    i = k;
  }
  size_t k = i;
  while (k < n && s[k] != '?' && s[k] != '#')
    k++;
  u->path = s + i;
  u->path_n = k - i;
  i = k;
  if (i < n && s[i] == '?') {
    k = i + 1;
    while (k < n && s[k] != '#')
      k++;
    u->has_query = true;
    u->query = s + i + 1;
    u->query_n = k - i - 1;
    i = k;
  }
  if (i < n && s[i] == '#') {
    u->has_frag = true;
    u->frag = s + i + 1;
    u->frag_n = n - i - 1;
  }
}

bool ex_url_is_absolute(const char *s, size_t n)
{
  url_parts u;
  url_split(s, n, &u);
  return u.has_scheme;
}

/* Appends `path` to out with dot segments removed (RFC 3986 5.2.4), operating in place on the
 * output buffer from position `start`. */
static void put_path_clean(ex_buf *out, const char *p, size_t n)
{
  size_t start = out->len;
  size_t i = 0;
  while (i < n) {
    /* A: ../ or ./ prefixes */
    if (n - i >= 3 && memcmp(p + i, "../", 3) == 0) {
      i += 3;
      continue;
    }
    if (n - i >= 2 && memcmp(p + i, "./", 2) == 0) {
      i += 2;
      continue;
    }
    /* B: /./ or /. at the end */
    if (n - i >= 3 && memcmp(p + i, "/./", 3) == 0) {
      i += 2;
      continue;
    }
    if (n - i == 2 && memcmp(p + i, "/.", 2) == 0) {
      exb_putc(out, '/');
      i += 2;
      continue;
    }
    /* C: /../ or /.. at the end: drop the last output segment */
    bool up_end = n - i == 3 && memcmp(p + i, "/..", 3) == 0;
    if ((n - i >= 4 && memcmp(p + i, "/../", 4) == 0) || up_end) {
      size_t l = out->len;
      while (l > start && out->p[l - 1] != '/')
        l--;
      if (l > start)
        l--;
      out->len = l;
      if (out->p)
        out->p[l] = '\0';
      if (up_end) {
        exb_putc(out, '/');
        i += 3;
      } else {
        i += 3; /* keep the '/' that starts the next segment */
      }
      continue;
    }
    /* D: lone . or .. */
    if ((n - i == 1 && p[i] == '.') || (n - i == 2 && memcmp(p + i, "..", 2) == 0))
      break;
    /* E: move the first segment */
    size_t k = i;
    if (p[k] == '/')
      k++;
    while (k < n && p[k] != '/')
      k++;
    exb_put(out, p + i, k - i);
    i = k;
  }
}

static bool has_bad_scheme(const url_parts *r)
{
  if (!r->has_scheme)
    return false;
  return ex_ieq(r->scheme, r->scheme_n, "javascript") || ex_ieq(r->scheme, r->scheme_n, "vbscript");
}

bool ex_url_unsafe(const char *s, size_t n)
{
  /* As a browser reads it: leading C0 controls and spaces dropped, tabs and newlines removed
   * anywhere, the scheme compared without case. */
  static const char *const bad[] = {"javascript", "vbscript", "data"};
  size_t i = 0;
  while (i < n && (unsigned char)s[i] <= 0x20)
    i++;
  char scheme[12];
  size_t k = 0;
  for (; i < n; i++) {
    char c = s[i];
    if (c == '\t' || c == '\n' || c == '\r')
      continue;
    if (c == ':')
      break;
    if (k == sizeof scheme - 1 || !is_alpha(c))
      return false;
    scheme[k++] = ex_lower(c);
  }
  if (i >= n)
    return false;
  for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
    if (strlen(bad[b]) == k && memcmp(scheme, bad[b], k) == 0)
      return true;
  return false;
}

static bool resolve(const char *base, size_t bn, const char *ref, size_t rn, ex_buf *out);

bool ex_url_resolve(const char *base, size_t bn, const char *ref, size_t rn, ex_buf *out)
{
  size_t start = out->len;
  if (!resolve(base, bn, ref, rn, out))
    return false;
  /* The result is checked, not only the reference: a <base href="javascript:..."> or a
   * reference with control bytes before its scheme must not come out as script or data. */
  if (ex_url_unsafe(out->p + start, out->len - start)) {
    out->len = start;
    out->p[start] = '\0';
    return false;
  }
  return true;
}

static bool resolve(const char *base, size_t bn, const char *ref, size_t rn, ex_buf *out)
{
  size_t tn = rn;
  const char *t = ex_trim(ref, &tn);
  /* drop tabs and newlines inside the reference (the URL standard does) */
  char tmp[2048];
  if (tn <= sizeof tmp) {
    size_t k = 0;
    for (size_t i = 0; i < tn; i++)
      if (t[i] != '\t' && t[i] != '\n' && t[i] != '\r')
        tmp[k++] = t[i];
    t = tmp;
    tn = k;
  }
  if (!tn)
    return false;
  url_parts r, b;
  url_split(t, tn, &r);
  if (has_bad_scheme(&r))
    return false;
  url_split(base ? base : "", base ? bn : 0, &b);
  if (r.has_scheme || !b.has_scheme) {
    /* absolute, or no usable base: keep the reference as written */
    exb_put(out, t, tn);
    return true;
  }
  exb_put(out, b.scheme, b.scheme_n);
  exb_putc(out, ':');
  if (r.has_auth) {
    exb_put(out, "//", 2);
    exb_put(out, r.auth, r.auth_n);
    put_path_clean(out, r.path, r.path_n);
    if (r.has_query) {
      exb_putc(out, '?');
      exb_put(out, r.query, r.query_n);
    }
  } else {
    if (b.has_auth) {
      exb_put(out, "//", 2);
      exb_put(out, b.auth, b.auth_n);
    }
    if (r.path_n == 0) {
      exb_put(out, b.path, b.path_n);
      if (r.has_query) {
        exb_putc(out, '?');
        exb_put(out, r.query, r.query_n);
      } else if (b.has_query) {
        exb_putc(out, '?');
        exb_put(out, b.query, b.query_n);
      }
    } else {
      if (r.path[0] == '/') {
        put_path_clean(out, r.path, r.path_n);
      } else {
        /* merge: base path up to its last '/', then the reference path */
        ex_buf merged;
        exb_init(&merged, out->max);
        if (b.has_auth && b.path_n == 0) {
          exb_putc(&merged, '/');
        } else {
          size_t l = b.path_n;
          while (l && b.path[l - 1] != '/')
            l--;
          exb_put(&merged, b.path, l);
        }
        exb_put(&merged, r.path, r.path_n);
        if (merged.failed) {
          exb_free(&merged);
          out->failed = true;
          return false;
        }
        put_path_clean(out, merged.p, merged.len);
        exb_free(&merged);
      }
      if (r.has_query) {
        exb_putc(out, '?');
        exb_put(out, r.query, r.query_n);
      }
    }
  }
  if (r.has_frag) {
    exb_putc(out, '#');
    exb_put(out, r.frag, r.frag_n);
  }
  return !out->failed;
}
