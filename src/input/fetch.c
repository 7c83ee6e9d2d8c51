/*
 * fetch.c - fetching a page over HTTP(S) with libcurl.
 *
 * DESIGN: one easy handle per call (no shared state but curl's global init, done once under
 * pthread_once), so any number of threads may fetch at once. The body is capped while it
 * arrives: the write callback refuses bytes past max_bytes, which aborts the transfer, and the
 * abort is reported as RIPTIDE_ERR_INPUT_TOO_LARGE rather than as a network error. Only http and
 * https are allowed, for the first request and for redirects (no file://, no gopher://).
 * CURLOPT_NOSIGNAL keeps curl from using signals for DNS timeouts, which is required with
 * threads. With public_only (the service's SSRF guard), curl's open-socket callback sees the
 * resolved address of every connection curl makes, the first and each redirect's, and refuses
 * the ones that are not public; checking the name before the transfer would miss redirects
 * and DNS answers that change between the check and the connect.
 *
 * libcurl is loaded with dlopen() at the first fetch, not linked: with its TLS, Kerberos, LDAP
 * and compression libraries it is ~30 shared objects whose loading and relocation cost ~10 ms
 * of CPU at every start of the command, most of which never fetches a URL (that was 2-3 % of
 * a 130-page batch). The functions used are looked up once, under the same pthread_once as
 * curl's global init; when libcurl.so.4 is missing, fetching fails with a clear message.
 */
#include "riptide.h"
#include "common/errors.h"
#include "common/limits.h"
#include "input/addr.h"
#include "common/sized.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The libcurl functions used, looked up at the first fetch. Written once under curl_once,
 * read-only afterwards. */
static struct {
  CURLcode (*global_init)(long flags);
  CURL *(*easy_init)(void);
  CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
  CURLcode (*easy_perform)(CURL *h);
  CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
  void (*easy_cleanup)(CURL *h);
  const char *(*easy_strerror)(CURLcode rc);
} cu;

/* The largest max_bytes taken as given: far above any memory, and max + 1 fits both a size_t
 * and a curl_off_t. */
#define RT_FETCH_MAX_LIMIT ((uint64_t)(SIZE_MAX / 4 < INT64_MAX / 2 ? SIZE_MAX / 4 : INT64_MAX / 2))

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;
static char curl_load_error[160];

/* dlsym gives a data pointer; the copy through memcpy is the portable way to a function
 * pointer (POSIX guarantees the representation). */
static bool sym(void *lib, const char *name, void *fn_ptr, size_t size)
{
  void *p = dlsym(lib, name);
  if (!p) {
    snprintf(curl_load_error, sizeof curl_load_error, "libcurl lacks %s", name);
    return false;
  }
  memcpy(fn_ptr, &p, size);
  return true;
}

static void curl_init(void)
{
  void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *e = dlerror();
    snprintf(curl_load_error, sizeof curl_load_error, "cannot load libcurl: %s",
             e ? e : "libcurl.so.4 not found");
    curl_init_rc = CURLE_FAILED_INIT;
    return;
  }
  /* Never dlclose()d: curl keeps global state (TLS libraries) for the life of the process. */
  bool ok = sym(lib, "curl_global_init", &cu.global_init, sizeof cu.global_init) &&
            sym(lib, "curl_easy_init", &cu.easy_init, sizeof cu.easy_init) &&
            sym(lib, "curl_easy_setopt", &cu.easy_setopt, sizeof cu.easy_setopt) &&
            sym(lib, "curl_easy_perform", &cu.easy_perform, sizeof cu.easy_perform) &&
            sym(lib, "curl_easy_getinfo", &cu.easy_getinfo, sizeof cu.easy_getinfo) &&
            sym(lib, "curl_easy_cleanup", &cu.easy_cleanup, sizeof cu.easy_cleanup) &&
            sym(lib, "curl_easy_strerror", &cu.easy_strerror, sizeof cu.easy_strerror);
  if (!ok) {
    curl_init_rc = CURLE_FAILED_INIT;
    return;
  }
  curl_init_rc = cu.global_init(CURL_GLOBAL_DEFAULT);
  if (curl_init_rc != CURLE_OK)
    snprintf(curl_load_error, sizeof curl_load_error, "curl_global_init failed (%d)",
             (int)curl_init_rc);
}

void riptide_fetch_options_init(riptide_fetch_options *o)
{
  if (!o)
    return;
  memset(o, 0, sizeof *o);
  o->timeout_ms = 30000;
  o->connect_timeout_ms = 10000;
  o->max_redirects = 10;
  o->max_bytes = RT_DEFAULT_MAX_INPUT;
  o->user_agent = NULL;
}

void riptide_fetch_result_clear(riptide_fetch_result *res)
{
  if (!res)
    return;
  free(res->body);
  free(res->content_type);
  free(res->final_url);
  /* Only as far as the caller's struct goes (it may be an older, smaller one); the size stays.
   * Size 0 (never filled): every field of this version. */
  size_t n = res->size >= sizeof res->size && res->size < sizeof *res ? res->size : sizeof *res;
  memset((char *)res + sizeof res->size, 0, n - sizeof res->size);
}

typedef struct sink {
  char *buf;
  size_t len, cap;
  uint64_t max;
  bool too_large;
  bool nomem;
} sink;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
  sink *s = ud;
  size_t n = size * nmemb;
  if ((uint64_t)s->len + n > s->max) {
    s->too_large = true;
    return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
  }
  if (s->len + n + 1 > s->cap) {
    size_t ncap = s->cap ? s->cap : 65536;
    while (ncap < s->len + n + 1)
      ncap *= 2;
    if (ncap > s->max + 1)
      ncap = (size_t)s->max + 1;
    char *nb = realloc(s->buf, ncap);
    if (!nb) {
      s->nomem = true;
      return 0;
    }
    s->buf = nb;
    s->cap = ncap;
  }
  memcpy(s->buf + s->len, ptr, n);
  s->len += n;
  s->buf[s->len] = '\0';
  return n;
}

typedef struct guard {
  bool refused;
  char addr[INET6_ADDRSTRLEN];
} guard;

static curl_socket_t open_public_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *sa)
{
  guard *g = ud;
  bool ok = false;
  if (sa->family == AF_INET && sa->addrlen >= sizeof(struct sockaddr_in)) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)&sa->addr;
    ok = rt_ip_is_public(AF_INET, &in->sin_addr);
    inet_ntop(AF_INET, &in->sin_addr, g->addr, sizeof g->addr);
  } else if (sa->family == AF_INET6 && sa->addrlen >= sizeof(struct sockaddr_in6)) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&sa->addr;
    ok = rt_ip_is_public(AF_INET6, &in6->sin6_addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, g->addr, sizeof g->addr);
  } else {
    snprintf(g->addr, sizeof g->addr, "family %d", sa->family);
  }
  if (!ok) {
    g->refused = true;
    return CURL_SOCKET_BAD;
  }
  return socket(sa->family, sa->socktype | SOCK_CLOEXEC, sa->protocol);
}

static void set_detail(char *detail, size_t dlen, const char *fmt, const char *a, long b)
{
  if (detail && dlen > 0)
    snprintf(detail, dlen, fmt, a, b);
}

static char *dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

static riptide_err fetch_url(const char *url, const riptide_fetch_options *o,
                             riptide_fetch_result *res, char *detail, size_t detail_len)
{
  if (detail && detail_len)
    detail[0] = '\0';
  if (!url || !res)
    return RIPTIDE_ERR_INVALID_ARG;
  memset(res, 0, sizeof *res);
  riptide_fetch_options defaults;
  if (!o) {
    riptide_fetch_options_init(&defaults);
    o = &defaults;
  }
  pthread_once(&curl_once, curl_init);
  if (curl_init_rc != CURLE_OK) {
    set_detail(detail, detail_len, "%s (%ld)", curl_load_error, (long)curl_init_rc);
    return RIPTIDE_ERR_FETCH;
  }
  CURL *h = cu.easy_init();
  if (!h)
    return RIPTIDE_ERR_NOMEM;
  sink s = {.max = o->max_bytes ? o->max_bytes : RT_DEFAULT_MAX_INPUT};
  /* Larger limits mean "no limit": clamped so that max + 1 (room for the NUL) cannot wrap to
   * a zero-sized buffer, and the size fits curl's signed file size. */
  if (s.max > RT_FETCH_MAX_LIMIT)
    s.max = RT_FETCH_MAX_LIMIT;
  char ua[64];
  snprintf(ua, sizeof ua, "riptide/%s", RIPTIDE_VERSION);
  char errbuf[CURL_ERROR_SIZE] = "";
  cu.easy_setopt(h, CURLOPT_URL, url);
  cu.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  cu.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  cu.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  cu.easy_setopt(h, CURLOPT_MAXREDIRS, (long)o->max_redirects);
  cu.easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
  cu.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
  cu.easy_setopt(h, CURLOPT_USERAGENT, o->user_agent ? o->user_agent : ua);
  cu.easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding this libcurl supports */
  cu.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  cu.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  cu.easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s.max);
  cu.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  cu.easy_setopt(h, CURLOPT_WRITEDATA, &s);
  guard g = {0};
  if (o->public_only) {
    cu.easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_public_socket);
    cu.easy_setopt(h, CURLOPT_OPENSOCKETDATA, &g);
    cu.easy_setopt(h, CURLOPT_PROXY, ""); /* the check must see the real peer, not a proxy */
  }

  CURLcode rc = cu.easy_perform(h);
  riptide_err err = RIPTIDE_OK;
  long status = 0;
  cu.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (g.refused) {
    err = RIPTIDE_ERR_INVALID_ARG;
    if (detail && detail_len)
      snprintf(detail, detail_len, "refused to fetch %s: it connects to a non-public address (%s)",
               url, g.addr);
  } else if (s.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    err = RIPTIDE_ERR_INPUT_TOO_LARGE;
    set_detail(detail, detail_len, "%s: body exceeds %ld bytes", url, (long)s.max);
  } else if (s.nomem) {
    err = RIPTIDE_ERR_NOMEM;
  } else if (rc != CURLE_OK) {
    err = RIPTIDE_ERR_FETCH;
    set_detail(detail, detail_len, "%s (curl error %ld)", errbuf[0] ? errbuf : cu.easy_strerror(rc),
               (long)rc);
  } else if (status >= 400) {
    err = RIPTIDE_ERR_FETCH;
    set_detail(detail, detail_len, "%s: HTTP status %ld", url, status);
  }
  if (err == RIPTIDE_OK) {
    char *ct = NULL, *eff = NULL;
    cu.easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    cu.easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
    res->content_type = dup_or_null(ct);
    res->final_url = dup_or_null(eff ? eff : url);
    if (!s.buf)
      s.buf = calloc(1, 1);
    res->body = s.buf;
    res->len = s.len;
    res->status = status;
    s.buf = NULL;
    if (!res->body || (ct && !res->content_type) || !res->final_url) {
      riptide_fetch_result_clear(res);
      err = RIPTIDE_ERR_NOMEM;
    }
  }
  free(s.buf);
  cu.easy_cleanup(h);
  return err;
}

riptide_err riptide_fetch_url_sized(const char *url, const riptide_fetch_options *o,
                                    riptide_fetch_result *res, size_t res_size, char *detail,
                                    size_t detail_len)
{
  rt_error_detail_clear();
  if (detail && detail_len)
    detail[0] = '\0';
  if (!res || !rt_sized_ok("riptide_fetch_result", res_size))
    return RIPTIDE_ERR_INVALID_ARG;
  riptide_fetch_result full;
  char why[RT_ERROR_DETAIL_MAX] = "";
  riptide_err err = fetch_url(url, o, &full, why, sizeof why);
  rt_sized_out(res, res_size, &full, sizeof full);
  if (detail && detail_len)
    snprintf(detail, detail_len, "%s", why);
  if (err != RIPTIDE_OK && why[0])
    rt_error_detail_set("%s", why);
  return err;
}
