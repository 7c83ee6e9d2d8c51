/* lang.c - language guess (first version: none). */
#include "guest/extract/ex_internal.h"

const char *ex_lang_guess(const char *s, size_t n)
{
  (void)s;
  (void)n;
  return NULL;
}
