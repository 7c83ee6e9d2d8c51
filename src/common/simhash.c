/*
 * simhash.c - a document text's fingerprints: text_hash (SHA-256 of the normalised text) and
 * fingerprint (a 64-bit SimHash of its word shingles). See simhash.h for the definitions and
 * docs/schema.md for what users are told.
 *
 * One pass over the text (allocating only OpenSSL's digest context): each character is normalised
 * (ASCII folded, white space collapsed) and the normalised bytes go both into SHA-256 and into the
 * word tokenizer; each word is hashed as it ends, and each run of RT_SIMHASH_SHINGLE words (a
 * shingle) adds its 64-bit hash to 64 signed counters, one per bit: the fingerprint's bit i is
 * set when more shingles had bit i set than clear (Charikar's SimHash). A repeated shingle
 * counts each time it occurs. A text of fewer words than a shingle is one shingle of all its
 * words; a text with no word has the fingerprint 0.
 *
 * The cost is small beside extraction: SHA-256 at a few hundred MB/s, and per word eight
 * additions into byte-wide counters (eight counters a 64-bit word, moved into the 32-bit ones
 * every 255 shingles), on text that is a fraction of the page's bytes.
 */
#include "common/simhash.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

/* ---- SHA-256 (OpenSSL's libcrypto) ------------------------------------------------------- */

static EVP_MD *sha256_md; /* fetched once; EVP_sha256() would look it up at every init */

static void sha256_fetch(void)
{
  sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

bool rt_sha256_init(rt_sha256 *s)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, sha256_fetch);
  s->ctx = sha256_md ? EVP_MD_CTX_new() : NULL;
  if (s->ctx && EVP_DigestInit_ex2(s->ctx, sha256_md, NULL) == 1)
    return true;
  EVP_MD_CTX_free(s->ctx);
  s->ctx = NULL;
  return false;
}

void rt_sha256_update(rt_sha256 *s, const void *data, size_t n)
{
  if (s->ctx && n && EVP_DigestUpdate(s->ctx, data, n) != 1) {
    EVP_MD_CTX_free(s->ctx);
    s->ctx = NULL;
  }
}

bool rt_sha256_final(rt_sha256 *s, uint8_t out[32])
{
  unsigned len = 0;
  bool ok = s->ctx && EVP_DigestFinal_ex(s->ctx, out, &len) == 1 && len == 32;
  EVP_MD_CTX_free(s->ctx);
  s->ctx = NULL;
  return ok;
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

/* BIT_BYTES[b]: byte j is bit j of b. Adding BIT_BYTES[h >> 8k & 0xFF] to a word of eight
 * byte-wide counters counts bits 8k..8k+7 of h in one addition instead of eight. */
static uint64_t BIT_BYTES[256];

static void bit_bytes_init(void)
{
  for (unsigned b = 0; b < 256; b++) {
    uint64_t v = 0;
    for (unsigned j = 0; j < 8; j++)
      v |= (uint64_t)(b >> j & 1) << (8 * j);
    BIT_BYTES[b] = v;
  }
}

typedef struct simhash_state {
  uint64_t packed[8]; /* byte j of packed[k]: shingles since the last flush with bit 8k+j set;
                       * flushed every 255 shingles, so a byte never overflows */
  uint32_t ones[64];  /* shingles with bit i set, flushed from packed */
  uint32_t shingles;
  uint64_t last[RT_SIMHASH_SHINGLE]; /* hashes of the last words, newest last */
  uint64_t words;                    /* words seen */
  uint64_t word;                     /* FNV-1a of the word being read */
  bool in_word;
} simhash_state;

/* Moves the byte-wide counts into ones[] before a byte can overflow, and at the end. */
static void flush_packed(simhash_state *s)
{
  for (unsigned k = 0; k < 8; k++) {
    for (unsigned j = 0; j < 8; j++)
      s->ones[8 * k + j] += (uint32_t)(s->packed[k] >> (8 * j) & 0xFF);
    s->packed[k] = 0;
  }
}

static void add_shingle(simhash_state *s, uint64_t n_words)
{
  uint64_t h = 0x9e3779b97f4a7c15ull * n_words;
  for (unsigned i = 0; i < RT_SIMHASH_SHINGLE; i++)
    h ^= rotl64(s->last[i], 1 + 23 * i); /* order matters: "a b c" is not "c b a" */
  h = fmix64(h);
  for (unsigned k = 0; k < 8; k++)
    s->packed[k] += BIT_BYTES[h >> (8 * k) & 0xFF];
  if (++s->shingles % 255 == 0)
    flush_packed(s);
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

/* 64-bit FNV-1a */
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static void word_bytes(simhash_state *s, const uint8_t *p, size_t n)
{
  if (!s->in_word) {
    s->in_word = true;
    s->word = FNV_OFFSET;
  }
  for (size_t i = 0; i < n; i++)
    s->word = (s->word ^ p[i]) * FNV_PRIME;
}

bool rt_text_fingerprint(const char *text, size_t len, uint64_t *simhash, uint8_t hash[16])
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, bit_bytes_init);
  const uint8_t *p = (const uint8_t *)text;
  simhash_state s;
  memset(&s, 0, sizeof s);
  rt_sha256 sha;
  if (!rt_sha256_init(&sha))
    return false;
  uint8_t out[256]; /* normalised bytes on their way into SHA-256 */
  size_t on = 0;
  bool pending_space = false, any = false;

  for (size_t i = 0; i < len;) {
    if (p[i] < 0x80 && p[i] > ' ' && on + 2 <= sizeof out) {
      /* ASCII that is not white space (most text): the same steps as below, without decoding
       * a character or copying it through memcpy */
      uint8_t c = p[i++];
      bool word = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (c >= 'A' && c <= 'Z')
        c = (uint8_t)(c + ('a' - 'A'));
      if (pending_space)
        out[on++] = ' ';
      pending_space = false;
      any = true;
      out[on++] = c;
      if (word) {
        if (!s.in_word) {
          s.in_word = true;
          s.word = FNV_OFFSET;
        }
        s.word = (s.word ^ c) * FNV_PRIME;
      } else {
        end_word(&s);
      }
      continue;
    }
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
  if (!rt_sha256_final(&sha, full))
    return false;
  memcpy(hash, full, 16);

  if (s.words > 0 && s.words < RT_SIMHASH_SHINGLE) {
    /* A short text: one shingle of all its words (the missing ones are zero). */
    uint64_t got = s.words;
    memmove(s.last, s.last + (RT_SIMHASH_SHINGLE - got), got * sizeof s.last[0]);
    memset(s.last + got, 0, (RT_SIMHASH_SHINGLE - got) * sizeof s.last[0]);
    add_shingle(&s, got);
  }
  flush_packed(&s);
  uint64_t f = 0;
  for (unsigned i = 0; i < 64; i++)
    if (2ull * s.ones[i] > s.shingles)
      f |= 1ull << i;
  *simhash = s.words ? f : 0;
  return true;
}

void rt_document_fingerprint(riptide_document *doc)
{
  if (!doc || !doc->text) {
    if (doc)
      doc->has_fingerprint = false;
    return;
  }
  doc->has_fingerprint =
      rt_text_fingerprint(doc->text, strlen(doc->text), &doc->fingerprint, doc->text_hash);
}

riptide_err riptide_text_fingerprint(const char *text, size_t len, uint64_t *simhash,
                                     uint8_t text_hash[16])
{
  if ((!text && len) || !simhash || !text_hash)
    return RIPTIDE_ERR_INVALID_ARG;
  return rt_text_fingerprint(text ? text : "", len, simhash, text_hash) ? RIPTIDE_OK
                                                                        : RIPTIDE_ERR_NOMEM;
}
