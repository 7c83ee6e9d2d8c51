/* tags.c - tag name interning. */
#include "tags.h"

#include <string.h>

static const char *const tag_names[HTML_TAG_COUNT_] = {"",
#define HTML_TAG_NAME_(id, name) name,
                                                       HTML_TAG_LIST(HTML_TAG_NAME_)
#undef HTML_TAG_NAME_
};

static const uint8_t tag_name_lens[HTML_TAG_COUNT_] = {0,
#define HTML_TAG_LEN_(id, name) (uint8_t)(sizeof(name) - 1),
                                                       HTML_TAG_LIST(HTML_TAG_LEN_)
#undef HTML_TAG_LEN_
};

/* Open-addressing hash table over the names, filled once on first use: the guest is single
 * threaded; natively (tests, benchmarks, library) pthread_once guards the fill. */
#define TAG_HASH_SIZE 512
static uint16_t tag_hash[TAG_HASH_SIZE];
static uint32_t tag_hash_fn(const char *s, size_t n)
{
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (uint8_t)s[i]) * 16777619u;
  return h;
}

static void tags_init(void)
{
  uint16_t tmp[TAG_HASH_SIZE];
  memset(tmp, 0, sizeof tmp);
  for (int t = 1; t < HTML_TAG_COUNT_; t++) {
    size_t n = strlen(tag_names[t]);
    uint32_t i = tag_hash_fn(tag_names[t], n) & (TAG_HASH_SIZE - 1);
    while (tmp[i])
      i = (i + 1) & (TAG_HASH_SIZE - 1);
    tmp[i] = (uint16_t)t;
  }
  memcpy(tag_hash, tmp, sizeof tmp);
}

#ifdef __wasm__
static int tag_hash_ready;
static void tags_ensure(void)
{
  if (!tag_hash_ready) {
    tags_init();
    tag_hash_ready = 1;
  }
}
#else
#include <pthread.h>
static pthread_once_t tag_once = PTHREAD_ONCE_INIT;
static void tags_ensure(void)
{
  pthread_once(&tag_once, tags_init);
}
#endif

html_tag html_tag_lookup(const char *name, size_t len)
{
  tags_ensure();
  if (len == 0 || len > 16)
    return HTML_TAG_UNKNOWN;
  uint32_t i = tag_hash_fn(name, len) & (TAG_HASH_SIZE - 1);
  while (tag_hash[i]) {
    uint16_t t = tag_hash[i];
    if (tag_name_lens[t] == len && memcmp(tag_names[t], name, len) == 0)
      return (html_tag)t;
    i = (i + 1) & (TAG_HASH_SIZE - 1);
  }
  return HTML_TAG_UNKNOWN;
}

const char *html_tag_name(html_tag t)
{
  return (t > 0 && t < HTML_TAG_COUNT_) ? tag_names[t] : "";
}

size_t html_tag_name_len(html_tag t)
{
  return (t > 0 && t < HTML_TAG_COUNT_) ? tag_name_lens[t] : 0;
}
