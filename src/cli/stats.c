/*
 * stats.c - latency histogram, clock, and the parsers of sizes and durations.
 *
 * The histogram is log-spaced (bucket i holds values below 1.03^(i+1) microseconds), fixed in
 * size, so a batch of any length uses the same memory and quantiles are exact to ~3 %.
 */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LAT_BASE 1.03

uint64_t cli_now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void cli_latency_add(cli_latency *h, uint64_t ns)
{
  double us = (double)ns / 1000.0;
  int i = us < 1.0 ? 0 : (int)(log(us) / log(LAT_BASE));
  if (i < 0)
    i = 0;
  if (i >= CLI_LAT_BUCKETS)
    i = CLI_LAT_BUCKETS - 1;
  h->buckets[i]++;
  h->count++;
}

uint64_t cli_latency_quantile(const cli_latency *h, double q)
{
  if (h->count == 0)
    return 0;
  uint64_t rank = (uint64_t)ceil(q * (double)h->count);
  if (rank == 0)
    rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < CLI_LAT_BUCKETS; i++) {
    seen += h->buckets[i];
    if (seen >= rank) /* midpoint of the bucket, geometrically */
      return (uint64_t)(pow(LAT_BASE, i + 0.5) * 1000.0);
  }
  return (uint64_t)(pow(LAT_BASE, CLI_LAT_BUCKETS) * 1000.0);
}

void cli_latency_merge(cli_latency *into, const cli_latency *from)
{
  for (int i = 0; i < CLI_LAT_BUCKETS; i++)
    into->buckets[i] += from->buckets[i];
  into->count += from->count;
}

/* A plain decimal number at the start of s: digits, optionally '.' and more digits. No sign,
 * exponent, hex, "nan" or "inf" (strtod takes all of them). *end is left after it. */
static bool decimal(const char *s, double *v, const char **end)
{
  const char *p = s;
  while (isdigit((unsigned char)*p))
    p++;
  if (p == s)
    return false;
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p))
      return false;
    while (isdigit((unsigned char)*p))
      p++;
  }
  if (p - s > 20)
    return false; /* more digits than any value in range needs */
  char tmp[32];
  memcpy(tmp, s, (size_t)(p - s));
  tmp[p - s] = '\0';
  *v = strtod(tmp, NULL);
  *end = p;
  return true;
}

cli_parse_result cli_parse_duration_ms(const char *s, uint32_t *out)
{
  double v;
  const char *end;
  if (!s || !decimal(s, &v, &end))
    return CLI_PARSE_BAD;
  double ms;
  if (*end == '\0' || strcmp(end, "s") == 0)
    ms = v * 1000;
  else if (strcmp(end, "ms") == 0)
    ms = v;
  else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
    ms = v * 60000;
  else
    return CLI_PARSE_BAD;
  if (!(ms >= 1 && ms <= (double)RIPTIDE_MAX_TIMEOUT_MS))
    return CLI_PARSE_RANGE;
  *out = (uint32_t)ms;
  return CLI_PARSE_OK;
}

cli_parse_result cli_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
  double v;
  const char *end;
  if (!s || !decimal(s, &v, &end))
    return CLI_PARSE_BAD;
  double mul = 1;
  char u = (char)toupper((unsigned char)*end);
  if (u == 'K')
    mul = 1024.0, end++;
  else if (u == 'M')
    mul = 1024.0 * 1024, end++;
  else if (u == 'G')
    mul = 1024.0 * 1024 * 1024, end++;
  else if (u == 'T')
    mul = 1024.0 * 1024 * 1024 * 1024, end++;
  if (mul > 1 && *end == 'i')
    end++;
  if (*end == 'B' || *end == 'b')
    end++;
  if (*end != '\0')
    return CLI_PARSE_BAD;
  double bytes = v * mul;
  if (!(bytes >= (double)min && bytes <= (double)max))
    return CLI_PARSE_RANGE;
  *out = (uint64_t)bytes;
  return CLI_PARSE_OK;
}

unsigned cli_cpu_count(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1;
}
