/*
 * dedup.c - the near-duplicate index of `riptide extract --dedupe` (see corpus.h).
 *
 * DESIGN
 *  Documents are numbered in the order they are added (0, 1, ...); fp[i] is document i's
 *  fingerprint. With distance d the 64 bits are split into nb = d + 1 bands of nearly equal
 *  width (the first 64 % nb bands one bit wider). For band b:
 *   - table[b] is an open-addressing hash table (linear probing, power-of-two size, at most half
 *     full) whose slots hold a document number, the newest with that band value, or EMPTY; the
 *     value itself is not stored: it is read back from fp[slot];
 *   - link[b][i] is the previous document with the same band value as document i, or EMPTY.
 *  A query walks, for each band, the chain of documents sharing that band's value and verifies
 *  each by popcount; the earliest within d wins. By the pigeonhole principle two fingerprints at
 *  most d bits apart have some band equal, so every document within d is a candidate; and no
 *  candidate is reported without its verified distance.
 *  Ids are kept in one arena (NUL-terminated, id_off[i] its start) for "duplicate_of".
 *  Single-threaded (the output role of the batch).
 */
#include "cli/corpus.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY UINT32_MAX
#define MAX_BANDS (CLI_DEDUPE_DISTANCE_MAX + 1)

struct cli_dedup {
  unsigned distance, nb;
  unsigned shift[MAX_BANDS];
  uint64_t mask[MAX_BANDS];
  uint64_t *fp;
  uint32_t *link[MAX_BANDS];
  uint32_t *table[MAX_BANDS];
  size_t tcap[MAX_BANDS], tused[MAX_BANDS];
  size_t n, cap;
  uint64_t *id_off;
  char *ids;
  size_t ids_len, ids_cap;
};

cli_dedup *cli_dedup_new(unsigned distance)
{
  if (distance > CLI_DEDUPE_DISTANCE_MAX)
    return NULL;
  cli_dedup *d = calloc(1, sizeof *d);
  if (!d)
    return NULL;
  d->distance = distance;
  d->nb = distance + 1;
  unsigned at = 0;
  for (unsigned b = 0; b < d->nb; b++) {
    unsigned w = 64 / d->nb + (b < 64 % d->nb ? 1 : 0);
    d->shift[b] = at;
    d->mask[b] = w >= 64 ? UINT64_MAX : (1ull << w) - 1;
    at += w;
  }
  return d;
}

void cli_dedup_free(cli_dedup *d)
{
  if (!d)
    return;
  for (unsigned b = 0; b < d->nb; b++) {
    free(d->link[b]);
    free(d->table[b]);
  }
  free(d->fp);
  free(d->id_off);
  free(d->ids);
  free(d);
}

static uint64_t band(const cli_dedup *d, unsigned b, uint64_t fp)
{
  return (fp >> d->shift[b]) & d->mask[b];
}

static size_t slot_of(uint64_t key, unsigned b, size_t cap)
{
  uint64_t k = key ^ ((uint64_t)b << 58);
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  return (size_t)k & (cap - 1);
}

/* The slot of band b holding `key`, or the empty slot where it would go. */
static size_t probe(const cli_dedup *d, unsigned b, uint64_t key)
{
  const uint32_t *t = d->table[b];
  size_t cap = d->tcap[b];
  size_t s = slot_of(key, b, cap);
  while (t[s] != EMPTY && band(d, b, d->fp[t[s]]) != key)
    s = (s + 1) & (cap - 1);
  return s;
}

static bool table_grow(cli_dedup *d, unsigned b)
{
  size_t nc = d->tcap[b] ? d->tcap[b] * 2 : 1024;
  uint32_t *nt = malloc(nc * sizeof *nt);
  if (!nt)
    return false;
  memset(nt, 0xff, nc * sizeof *nt);
  uint32_t *old = d->table[b];
  size_t oc = d->tcap[b];
  d->table[b] = nt;
  d->tcap[b] = nc;
  for (size_t i = 0; i < oc; i++) {
    if (old[i] == EMPTY)
      continue;
    size_t s = slot_of(band(d, b, d->fp[old[i]]), b, nc);
    while (nt[s] != EMPTY)
      s = (s + 1) & (nc - 1);
    nt[s] = old[i];
  }
  free(old);
  return true;
}

static bool grow_docs(cli_dedup *d)
{
  size_t nc = d->cap ? d->cap * 2 : 1024;
  uint64_t *fp = realloc(d->fp, nc * sizeof *fp);
  if (!fp)
    return false;
  d->fp = fp;
  uint64_t *off = realloc(d->id_off, nc * sizeof *off);
  if (!off)
    return false;
  d->id_off = off;
  for (unsigned b = 0; b < d->nb; b++) {
    uint32_t *l = realloc(d->link[b], nc * sizeof *l);
    if (!l)
      return false;
    d->link[b] = l;
  }
  d->cap = nc;
  return true;
}

int64_t cli_dedup_find(const cli_dedup *d, uint64_t fp, unsigned *distance)
{
  int64_t best = -1;
  unsigned best_dist = 0;
  if (d->n == 0)
    return -1;
  for (unsigned b = 0; b < d->nb; b++) {
    size_t s = probe(d, b, band(d, b, fp));
    for (uint32_t i = d->table[b][s]; i != EMPTY; i = d->link[b][i]) {
      if (best >= 0 && (int64_t)i >= best)
        continue; /* a later document than the best so far: not the first */
      unsigned dist = (unsigned)__builtin_popcountll(d->fp[i] ^ fp);
      if (dist <= d->distance) {
        best = i;
        best_dist = dist;
      }
    }
  }
  if (best >= 0 && distance)
    *distance = best_dist;
  return best;
}

bool cli_dedup_add(cli_dedup *d, uint64_t fp, const char *id)
{
  if (d->n >= EMPTY - 1)
    return false;
  if (d->n == d->cap && !grow_docs(d))
    return false;
  size_t idlen = strlen(id) + 1;
  if (d->ids_len + idlen > d->ids_cap) {
    size_t nc = d->ids_cap ? d->ids_cap : 4096;
    while (nc < d->ids_len + idlen)
      nc *= 2;
    char *ni = realloc(d->ids, nc);
    if (!ni)
      return false;
    d->ids = ni;
    d->ids_cap = nc;
  }
  for (unsigned b = 0; b < d->nb; b++)
    if ((d->tused[b] + 1) * 2 > d->tcap[b] && !table_grow(d, b))
      return false;
  uint32_t i = (uint32_t)d->n;
  d->fp[i] = fp; /* before probing: the tables read band values back from fp[] */
  for (unsigned b = 0; b < d->nb; b++) {
    size_t s = probe(d, b, band(d, b, fp));
    if (d->table[b][s] == EMPTY)
      d->tused[b]++;
    d->link[b][i] = d->table[b][s];
    d->table[b][s] = i;
  }
  memcpy(d->ids + d->ids_len, id, idlen);
  d->id_off[i] = d->ids_len;
  d->ids_len += idlen;
  d->n++;
  return true;
}

const char *cli_dedup_id(const cli_dedup *d, uint64_t i)
{
  return i < d->n ? d->ids + d->id_off[i] : NULL;
}

uint64_t cli_dedup_count(const cli_dedup *d)
{
  return d->n;
}

void cli_dedup_memory(const cli_dedup *d, size_t *index_bytes, size_t *id_bytes)
{
  size_t ib = sizeof *d + d->cap * sizeof *d->fp;
  for (unsigned b = 0; b < d->nb; b++)
    ib += d->cap * sizeof *d->link[b] + d->tcap[b] * sizeof *d->table[b];
  *index_bytes = ib;
  *id_bytes = d->cap * sizeof *d->id_off + d->ids_cap;
}
