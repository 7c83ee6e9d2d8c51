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

/* "10" (seconds), "10s", "500ms", "2m" */
bool cli_parse_duration_ms(const char *s, uint32_t *out)
{
  if (!s || !*s)
    return false;
  errno = 0;
  char *end;
  double v = strtod(s, &end);
  if (errno || end == s || v < 0)
    return false;
  double ms;
  if (*end == '\0' || strcmp(end, "s") == 0)
    ms = v * 1000;
  else if (strcmp(end, "ms") == 0)
    ms = v;
  else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
    ms = v * 60000;
  else
    return false;
  if (ms < 1 || ms > 3600.0 * 1000)
    return false;
  *out = (uint32_t)ms;
  return true;
}

/* "1048576", "512K", "64M", "1G" (powers of 1024; a trailing "B" or "iB" is accepted) */
bool cli_parse_size(const char *s, uint64_t *out)
{
  if (!s || !*s)
    return false;
  errno = 0;
  char *end;
  double v = strtod(s, &end);
  if (errno || end == s || v <= 0)
    return false;
  double mul = 1;
  char u = (char)toupper((unsigned char)*end);
  if (u == 'K')
    mul = 1024.0, end++;
  else if (u == 'M')
    mul = 1024.0 * 1024, end++;
  else if (u == 'G')
    mul = 1024.0 * 1024 * 1024, end++;
  if (*end == 'i')
    end++;
  if (*end == 'B' || *end == 'b')
    end++;
  if (*end != '\0')
    return false;
  double bytes = v * mul;
  if (bytes < 1 || bytes > 1e15)
    return false;
  *out = (uint64_t)bytes;
  return true;
}

unsigned cli_cpu_count(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1;
}
