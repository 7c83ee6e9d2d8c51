/*
 * simhash.c - a document text's fingerprints: text_hash (SHA-256 of the normalised text) and
 * fingerprint (a 64-bit SimHash of its word shingles). See simhash.h for the definitions and
 * docs/schema.md for what users are told.
 *
 * One pass over the text, allocating nothing: each character is normalised (ASCII folded,
 * white space collapsed) and the normalised bytes go both into SHA-256 and into the word
 * tokenizer; each word is hashed as it ends, and each run of RT_SIMHASH_SHINGLE words (a
 * shingle) adds its 64-bit hash to 64 signed counters, one per bit: the fingerprint's bit i is
 * set when more shingles had bit i set than clear (Charikar's SimHash). A repeated shingle
 * counts each time it occurs. A text of fewer words than a shingle is one shingle of all its
 * words; a text with no word has the fingerprint 0.
 *
 * The cost is small beside extraction: SHA-256 at a few hundred MB/s and 64 counter updates
 * per word, on text that is a fraction of the page's bytes.
 */
#include "common/simhash.h"

#include <string.h>

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------------------------ */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror32(uint32_t x, unsigned n)
{
  return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           (uint32_t)p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 =
        k + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
    uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += k;
}

void rt_sha256_init(rt_sha256 *s)
{
  static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, H0, sizeof H0);
  s->total = 0;
  s->used = 0;
}

void rt_sha256_update(rt_sha256 *s, const void *data, size_t n)
{
  const uint8_t *p = data;
  s->total += n;
  if (s->used) {
    size_t take = 64 - s->used < n ? 64 - s->used : n;
    memcpy(s->block + s->used, p, take);
    s->used += take;
    p += take;
    n -= take;
    if (s->used < 64)
      return;
    sha256_block(s->h, s->block);
    s->used = 0;
  }
  for (; n >= 64; p += 64, n -= 64)
    sha256_block(s->h, p);
  memcpy(s->block, p, n);
  s->used = n;
}

void rt_sha256_final(rt_sha256 *s, uint8_t out[32])
{
  uint64_t bits = s->total * 8;
  uint8_t pad = 0x80;
  uint64_t total = s->total;
  rt_sha256_update(s, &pad, 1);
  uint8_t zero[64] = {0};
  rt_sha256_update(s, zero, (s->used <= 56 ? 56 : 120) - s->used);
  uint8_t len[8];
  for (int i = 0; i < 8; i++)
    len[i] = (uint8_t)(bits >> (56 - 8 * i));
  rt_sha256_update(s, len, 8);
  s->total = total;
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(s->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)s->h[i];
  }
}

/* ---- characters ---------------------------------------------------------------------------- */

typedef enum { CH_SPACE, CH_PUNCT, CH_WORD, CH_SOLO } ch_class;

/* The class of a code point at or above U+0080. */
static ch_class cp_class(uint32_t c)
{
  if (c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 ||
      c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF)
    return CH_SPACE;
  if (c < 0xA0 || (c <= 0xBF && c != 0xAA && c != 0xB5 && c != 0xBA) || c == 0xD7 || c == 0xF7 ||
      (c >= 0x2010 && c <= 0x205E) || (c >= 0x20A0 && c <= 0x20CF) ||
      (c >= 0x3001 && c <= 0x303F) || (c >= 0xFE30 && c <= 0xFE4F) ||
      (c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) ||
      (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65))
    return CH_PUNCT;
  if ((c >= 0x2E80 && c <= 0x2FDF) || (c >= 0x3040 && c <= 0x31FF) ||
      (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
      (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF) ||
      (c >= 0x20000 && c <= 0x3FFFF))
    return CH_SOLO;
  return CH_WORD;
}

/* Decodes the character at p (n >= 1 bytes left): its length and class. A byte that does not
 * start a well-formed sequence is one character of its own, a word character, kept as it is. */
static size_t next_char(const uint8_t *p, size_t n, ch_class *cls)
{
  uint8_t b = p[0];
  if (b < 0x80) {
    bool alnum = (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
    bool space = b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == '\v';
    *cls = space ? CH_SPACE : alnum ? CH_WORD : CH_PUNCT;
    return 1;
  }
  size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
  uint32_t c = len == 4 ? b & 0x07u : len == 3 ? b & 0x0Fu : b & 0x1Fu;
  if (len == 0 || len > n || b > 0xF4) {
    *cls = CH_WORD;
    return 1;
  }
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xC0) != 0x80) {
      *cls = CH_WORD;
      return 1;
    }
    c = c << 6 | (p[i] & 0x3Fu);
  }
  if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
      (c >= 0xD800 && c <= 0xDFFF)) {
    *cls = CH_WORD;
    return 1;
  }
  *cls = cp_class(c);
  return len;
}

/* ---- SimHash ------------------------------------------------------------------------------- */

/* The finaliser of MurmurHash3: every input bit affects every output bit. */
static uint64_t fmix64(uint64_t k)
{
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

static uint64_t rotl64(uint64_t x, unsigned n)
{
  return (x << n) | (x >> (64 - n));
}

typedef struct simhash_state {
  uint32_t ones[64]; /* shingles with bit i set */
  uint32_t shingles;
  uint64_t last[RT_SIMHASH_SHINGLE]; /* hashes of the last words, newest last */
  uint64_t words;                    /* words seen */
  uint64_t word;                     /* FNV-1a of the word being read */
  bool in_word;
} simhash_state;

static void add_shingle(simhash_state *s, uint64_t n_words)
{
  uint64_t h = 0x9e3779b97f4a7c15ull * n_words;
  for (unsigned i = 0; i < RT_SIMHASH_SHINGLE; i++)
    h ^= rotl64(s->last[i], 1 + 23 * i); /* order matters: "a b c" is not "c b a" */
  h = fmix64(h);
  for (unsigned i = 0; i < 64; i++)
    s->ones[i] += (uint32_t)(h >> i) & 1; /* branch-free: the compiler vectorises it */
  s->shingles++;
}

static void end_word(simhash_state *s)
{
  if (!s->in_word)
    return;
  s->in_word = false;
  memmove(s->last, s->last + 1, sizeof s->last - sizeof s->last[0]);
  s->last[RT_SIMHASH_SHINGLE - 1] = fmix64(s->word);
  if (++s->words >= RT_SIMHASH_SHINGLE)
    add_shingle(s, RT_SIMHASH_SHINGLE);
}

static void word_bytes(simhash_state *s, const uint8_t *p, size_t n)
{
  if (!s->in_word) {
    s->in_word = true;
    s->word = 0xcbf29ce484222325ull;
  }
  for (size_t i = 0; i < n; i++)
    s->word = (s->word ^ p[i]) * 0x100000001b3ull;
}

void rt_text_fingerprint(const char *text, size_t len, uint64_t *simhash, uint8_t hash[16])
{
  const uint8_t *p = (const uint8_t *)text;
  simhash_state s;
  memset(&s, 0, sizeof s);
  rt_sha256 sha;
  rt_sha256_init(&sha);
  uint8_t out[256]; /* normalised bytes on their way into SHA-256 */
  size_t on = 0;
  bool pending_space = false, any = false;

  for (size_t i = 0; i < len;) {
    ch_class cls;
    size_t n = next_char(p + i, len - i, &cls);
    if (cls == CH_SPACE) {
      pending_space = any;
      end_word(&s);
      i += n;
      continue;
    }
    if (on + 5 > sizeof out) {
      rt_sha256_update(&sha, out, on);
      on = 0;
    }
    if (pending_space)
      out[on++] = ' ';
    pending_space = false;
    any = true;
    uint8_t *c = out + on;
    memcpy(c, p + i, n);
    if (n == 1 && c[0] >= 'A' && c[0] <= 'Z')
      c[0] = (uint8_t)(c[0] + ('a' - 'A'));
    on += n;
    i += n;
    if (cls == CH_WORD) {
      word_bytes(&s, c, n);
    } else {
      end_word(&s);
      if (cls == CH_SOLO) {
        word_bytes(&s, c, n);
        end_word(&s);
      }
    }
  }
  end_word(&s);
  rt_sha256_update(&sha, out, on);
  uint8_t full[32];
  rt_sha256_final(&sha, full);
  memcpy(hash, full, 16);

  if (s.words > 0 && s.words < RT_SIMHASH_SHINGLE) {
    /* A short text: one shingle of all its words (the missing ones are zero). */
    uint64_t got = s.words;
    memmove(s.last, s.last + (RT_SIMHASH_SHINGLE - got), got * sizeof s.last[0]);
    memset(s.last + got, 0, (RT_SIMHASH_SHINGLE - got) * sizeof s.last[0]);
    add_shingle(&s, got);
  }
  uint64_t f = 0;
  for (unsigned i = 0; i < 64; i++)
    if (2ull * s.ones[i] > s.shingles)
      f |= 1ull << i;
  *simhash = s.words ? f : 0;
}

void rt_document_fingerprint(riptide_document *doc)
{
  if (!doc || !doc->text) {
    if (doc)
      doc->has_fingerprint = false;
    return;
  }
  rt_text_fingerprint(doc->text, strlen(doc->text), &doc->fingerprint, doc->text_hash);
  doc->has_fingerprint = true;
}

riptide_err riptide_text_fingerprint(const char *text, size_t len, uint64_t *simhash,
                                     uint8_t text_hash[16])
{
  if ((!text && len) || !simhash || !text_hash)
    return RIPTIDE_ERR_INVALID_ARG;
  rt_text_fingerprint(text ? text : "", len, simhash, text_hash);
  return RIPTIDE_OK;
}
