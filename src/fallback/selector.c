/*
 * selector.c - a CSS selector list translated to XPath 1.0, for the native engine's custom mode.
 *
 * Supported: type and universal selectors, #id, .class, [attr], [attr=v], [attr~=v],
 * [attr^=v], [attr$=v], [attr*=v], [attr|=v], the descendant and child combinators, and
 * comma-separated lists. Anything else (pseudo-classes, sibling combinators, escapes) is
 * refused, so the caller gets RIPTIDE_ERR_SELECTOR instead of a silently different match.
 */
#include "fallback/fallback.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct xw {
  char *out;
  size_t cap, len;
  bool overflow;
} xw;

static void emit(xw *w, const char *fmt, ...)
{
  if (w->overflow)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(w->out + w->len, w->cap - w->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= w->cap - w->len) {
    w->overflow = true;
    return;
  }
  w->len += (size_t)n;
}

static bool ident_char(unsigned char c)
{
  return isalnum(c) || c == '-' || c == '_' || c >= 0x80;
}

/* Reads an identifier into buf; returns its length (0 = none). */
static size_t read_ident(const char **pp, char *buf, size_t cap, bool lower)
{
  const char *p = *pp;
  size_t n = 0;
  while (ident_char((unsigned char)*p)) {
    if (n + 1 >= cap)
      return 0;
    buf[n++] = lower ? (char)tolower((unsigned char)*p) : *p;
    p++;
  }
  buf[n] = '\0';
  *pp = p;
  return n;
}

/* A quoted or bare attribute value, put in XPath quotes. */
static bool read_value(const char **pp, char *buf, size_t cap)
{
  const char *p = *pp;
  size_t n = 0;
  if (*p == '"' || *p == '\'') {
    char q = *p++;
    while (*p && *p != q) {
      if (*p == '\\' || n + 1 >= cap)
        return false;
      buf[n++] = *p++;
    }
    if (*p != q)
      return false;
    p++;
  } else {
    while (ident_char((unsigned char)*p)) {
      if (n + 1 >= cap)
        return false;
      buf[n++] = *p++;
    }
    if (n == 0)
      return false;
  }
  buf[n] = '\0';
  *pp = p;
  return true;
}

static const char *xq(const char *v)
{
  /* XPath 1.0 has no escapes: pick the quote the value does not contain. */
  return strchr(v, '\'') ? "\"" : "'";
}

static bool compound(const char **pp, xw *w)
{
  const char *p = *pp;
  char name[128], val[512];
  bool any = true;
  if (*p == '*') {
    p++;
    emit(w, "*");
  } else if (ident_char((unsigned char)*p)) {
    if (!read_ident(&p, name, sizeof name, true))
      return false;
    emit(w, "%s", name);
  } else {
    emit(w, "*");
    any = false; /* needs at least one of #id, .class, [attr] below */
  }
  for (;; any = true) {
    if (*p == '#') {
      p++;
      if (!read_ident(&p, name, sizeof name, false))
        return false;
      emit(w, "[@id='%s']", name);
    } else if (*p == '.') {
      p++;
      if (!read_ident(&p, name, sizeof name, false))
        return false;
      emit(w, "[contains(concat(' ',normalize-space(@class),' '),' %s ')]", name);
    } else if (*p == '[') {
      p++;
      while (*p == ' ')
        p++;
      if (!read_ident(&p, name, sizeof name, true))
        return false;
      while (*p == ' ')
        p++;
      char op = 0;
      if (*p == ']') {
        emit(w, "[@%s]", name);
        p++;
        continue;
      }
      if (*p == '=') {
        op = '=';
        p++;
      } else if (*p && strchr("~^$*|", *p) && p[1] == '=') {
        op = *p;
        p += 2;
      } else {
        return false;
      }
      while (*p == ' ')
        p++;
      if (!read_value(&p, val, sizeof val))
        return false;
      if (strchr(val, '\'') && strchr(val, '"'))
        return false;
      while (*p == ' ')
        p++;
      if (*p != ']')
        return false;
      p++;
      const char *q = xq(val);
      switch (op) {
      case '=':
        emit(w, "[@%s=%s%s%s]", name, q, val, q);
        break;
      case '~':
        emit(w, "[contains(concat(' ',normalize-space(@%s),' '),%s %s %s)]", name, q, val, q);
        break;
      case '^':
        emit(w, "[starts-with(@%s,%s%s%s)]", name, q, val, q);
        break;
      case '*':
        emit(w, "[contains(@%s,%s%s%s)]", name, q, val, q);
        break;
      case '$':
        emit(w, "[substring(@%s,string-length(@%s)-string-length(%s%s%s)+1)=%s%s%s]", name, name, q,
             val, q, q, val, q);
        break;
      case '|':
        emit(w, "[@%s=%s%s%s or starts-with(@%s,%s%s-%s)]", name, q, val, q, name, q, val, q);
        break;
      }
    } else {
      break;
    }
  }
  *pp = p;
  return any && !w->overflow;
}

bool fb_css_to_xpath(const char *css, char *out, size_t cap)
{
  if (!css || !out || cap < 2)
    return false;
  xw w = {.out = out, .cap = cap};
  out[0] = '\0';
  const char *p = css;
  bool first_in_list = true;
  for (;;) {
    while (isspace((unsigned char)*p))
      p++;
    if (!*p)
      return false; /* empty selector or trailing comma */
    if (!first_in_list)
      emit(&w, " | ");
    first_in_list = false;
    emit(&w, "//");
    if (!compound(&p, &w))
      return false;
    for (;;) {
      const char *before = p;
      while (isspace((unsigned char)*p))
        p++;
      if (*p == '\0' || *p == ',')
        break;
      if (*p == '>') {
        p++;
        while (isspace((unsigned char)*p))
          p++;
        emit(&w, "/");
      } else if (p != before) {
        emit(&w, "//");
      } else {
        return false; /* a character no rule accepts, e.g. ':' or '+' */
      }
      if (!*p || *p == ',' || *p == '>')
        return false;
      if (!ident_char((unsigned char)*p) && !strchr("*#.[", *p))
        return false;
      if (!compound(&p, &w))
        return false;
    }
    if (*p == ',') {
      p++;
      continue;
    }
    break;
  }
  return !w.overflow;
}
