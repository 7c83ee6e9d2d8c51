/* errors.c - the error table, trap, mode, severity and fallback-reason names. */
#include "riptide.h"
#include "common/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *riptide_strerror(riptide_err err)
{
  switch (err) {
#define ERR_MSG_(name, num, cls, msg)                                                              \
  case RIPTIDE_ERR_##name:                                                                         \
    return msg;
    RIPTIDE_ERRORS(ERR_MSG_)
#undef ERR_MSG_
  }
  return "unknown error";
}

const char *riptide_err_name(riptide_err err)
{
  switch (err) {
#define ERR_NAME_(name, num, cls, msg)                                                             \
  case RIPTIDE_ERR_##name:                                                                         \
    return #name;
    RIPTIDE_ERRORS(ERR_NAME_)
#undef ERR_NAME_
  }
  return "UNKNOWN";
}

riptide_err_class riptide_err_class_of(riptide_err err)
{
  switch (err) {
#define ERR_CLASS_(name, num, cls, msg)                                                            \
  case RIPTIDE_ERR_##name:                                                                         \
    return RIPTIDE_CLASS_##cls;
    RIPTIDE_ERRORS(ERR_CLASS_)
#undef ERR_CLASS_
  }
  return RIPTIDE_CLASS_INTERNAL;
}

const char *riptide_err_class_name(riptide_err_class cls)
{
  static const char *const names[] = {
      [RIPTIDE_CLASS_NONE] = "none",
      [RIPTIDE_CLASS_TIMEOUT] = "timeout",
      [RIPTIDE_CLASS_TRAP] = "trap",
      [RIPTIDE_CLASS_LIMIT] = "limit",
      [RIPTIDE_CLASS_BREAKER_OPEN] = "breaker_open",
      [RIPTIDE_CLASS_POOL_EXHAUSTED] = "pool_exhausted",
      [RIPTIDE_CLASS_BAD_INPUT] = "bad_input",
      [RIPTIDE_CLASS_NOMEM] = "nomem",
      [RIPTIDE_CLASS_BUSY] = "busy",
      [RIPTIDE_CLASS_IO] = "io",
      [RIPTIDE_CLASS_INTERNAL] = "internal",
  };
  if ((unsigned)cls < sizeof names / sizeof names[0] && names[cls])
    return names[cls];
  return "internal";
}

const char *riptide_trap_name(riptide_trap t)
{
  static const char *const names[RIPTIDE_TRAP_COUNT_] = {
      [RIPTIDE_TRAP_NONE] = "none",
      [RIPTIDE_TRAP_OOB] = "oob",
      [RIPTIDE_TRAP_UNREACHABLE] = "unreachable",
      [RIPTIDE_TRAP_INT_DIV_ZERO] = "int_div_zero",
      [RIPTIDE_TRAP_INT_OVERFLOW] = "int_overflow",
      [RIPTIDE_TRAP_INVALID_CONVERSION] = "invalid_conversion",
      [RIPTIDE_TRAP_CALL_INDIRECT] = "call_indirect",
      [RIPTIDE_TRAP_STACK_EXHAUSTION] = "stack_exhaustion",
      [RIPTIDE_TRAP_INTERRUPT] = "interrupt",
      [RIPTIDE_TRAP_OTHER] = "other",
  };
  return ((unsigned)t < RIPTIDE_TRAP_COUNT_) ? names[t] : "other";
}

const char *riptide_mode_name(riptide_mode m)
{
  switch (m) {
  case RIPTIDE_MODE_ARTICLE:
    return "article";
  case RIPTIDE_MODE_FULL:
    return "full";
  case RIPTIDE_MODE_METADATA:
    return "metadata";
  case RIPTIDE_MODE_CUSTOM:
    return "custom";
  }
  return "unknown";
}

riptide_err riptide_mode_parse(const char *s, riptide_mode *out)
{
  static const riptide_mode modes[] = {RIPTIDE_MODE_ARTICLE, RIPTIDE_MODE_FULL,
                                       RIPTIDE_MODE_METADATA, RIPTIDE_MODE_CUSTOM};
  rt_error_detail_clear();
  if (!out)
    return RIPTIDE_ERR_INVALID_ARG;
  for (size_t i = 0; s && i < sizeof modes / sizeof modes[0]; i++) {
    if (strcmp(s, riptide_mode_name(modes[i])) == 0) {
      *out = modes[i];
      return RIPTIDE_OK;
    }
  }
  rt_error_detail_set("mode '%.64s' is not article, full, metadata or custom", s ? s : "(null)");
  return RIPTIDE_ERR_UNSUPPORTED;
}

const char *riptide_severity_name(riptide_severity s)
{
  static const char *const names[] = {"trace", "debug", "info", "warn", "error", "critical"};
  return ((unsigned)s < 6) ? names[s] : "unknown";
}

const char *riptide_fallback_reason_name(riptide_fallback_reason r)
{
  static const char *const names[RIPTIDE_FB_COUNT_] = {
      [RIPTIDE_FB_TRAP] = "trap",
      [RIPTIDE_FB_TIMEOUT] = "timeout",
      [RIPTIDE_FB_MEMORY_LIMIT] = "memory_limit",
      [RIPTIDE_FB_GUEST_ERROR] = "guest_error",
      [RIPTIDE_FB_CIRCUIT_OPEN] = "circuit_open",
      [RIPTIDE_FB_POOL_EXHAUSTED] = "pool_exhausted",
  };
  return ((unsigned)r < RIPTIDE_FB_COUNT_) ? names[r] : "unknown";
}

const char *riptide_version(void)
{
  return RIPTIDE_VERSION;
}

int riptide_version_number(void)
{
  return RIPTIDE_VERSION_NUM;
}

/* The detail of the last error on this thread (riptide_last_error_detail). */
static _Thread_local char last_detail[RT_ERROR_DETAIL_MAX];

void rt_error_detail_clear(void)
{
  last_detail[0] = '\0';
}

void rt_error_detail_set(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(last_detail, sizeof last_detail, fmt, ap);
  va_end(ap);
  if (n >= (int)sizeof last_detail) {
    /* Cut: drop a UTF-8 sequence left incomplete at the end. */
    size_t end = sizeof last_detail - 1, lead = end;
    while (lead > 0 && ((unsigned char)last_detail[lead - 1] & 0xC0) == 0x80)
      lead--;
    if (lead > 0) {
      unsigned char c = (unsigned char)last_detail[lead - 1];
      size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      if (end - (lead - 1) < want)
        last_detail[lead - 1] = '\0';
    }
  }
}

const char *riptide_last_error_detail(void)
{
  return last_detail;
}

void riptide_free(void *p)
{
  free(p);
}
