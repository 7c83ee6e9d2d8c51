/*
 * term.c - the progress line, fitted to the terminal: never wider than it, so that "\r"
 * redraws it in place instead of wrapping it onto new lines at every update.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

unsigned cli_term_width(int fd)
{
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  /* A terminal that reports no size (some serial consoles, a pty nobody sized): $COLUMNS. */
  const char *env = getenv("COLUMNS");
  if (env && *env) {
    char *end;
    long v = strtol(env, &end, 10);
    if (*end == '\0' && v > 0 && v < 10000)
      return (unsigned)v;
  }
  return 80;
}

static void fmt_duration(char *out, size_t cap, double s)
{
  if (s < 0 || s > 359999)
    snprintf(out, cap, "--:--");
  else if (s >= 3600)
    snprintf(out, cap, "%d:%02d:%02d", (int)s / 3600, ((int)s / 60) % 60, (int)s % 60);
  else
    snprintf(out, cap, "%d:%02d", (int)s / 60, (int)s % 60);
}

void cli_progress_format(char *out, size_t cap, unsigned width, uint64_t done, uint64_t total,
                         uint64_t failed, double elapsed_s)
{
  /* The last column is left free: a terminal that wraps on it would scroll. */
  size_t room = width > 1 ? width - 1 : 1;
  if (room >= cap)
    room = cap - 1;
  double rate = elapsed_s > 0 ? (double)done / elapsed_s : 0;
  char counts[64], pct[8] = "", speed[32], eta[32] = "", fails[32];
  if (total) {
    snprintf(counts, sizeof counts, "%llu/%llu", (unsigned long long)done,
             (unsigned long long)total);
    snprintf(pct, sizeof pct, "%3d%%", (int)((done < total ? done : total) * 100 / total));
    char d[24] = "--:--";
    if (rate > 0)
      fmt_duration(d, sizeof d, (double)(total - (done < total ? done : total)) / rate);
    snprintf(eta, sizeof eta, "ETA %s", d);
  } else {
    snprintf(counts, sizeof counts, "%llu done", (unsigned long long)done);
  }
  snprintf(speed, sizeof speed, "%.1f pages/s", rate);
  snprintf(fails, sizeof fails, "failed %llu", (unsigned long long)failed);
  /* Parts in the order they are given up when the line is too wide: the ETA, the failures,
   * the rate, the percentage; the counts stay (cut, at worst). The bar takes what is left,
   * from 24 columns down to 8, or is left out. */
  const char *parts[] = {counts, pct, speed, eta, fails};
  const int drop_order[] = {3, 4, 2, 1};
  bool keep[5] = {true, total > 0, true, total > 0, true};
  size_t text_len;
  for (int k = 0;; k++) {
    text_len = 0;
    for (int i = 0; i < 5; i++)
      if (keep[i])
        text_len += (text_len ? 2 : 0) + strlen(parts[i]);
    if (text_len <= room || k == 4)
      break;
    keep[drop_order[k]] = false;
  }
  int bar = 0;
  if (total && room > text_len + 3)
    bar = (int)(room - text_len - 3 < 24 ? room - text_len - 3 : 24);
  if (bar < 8)
    bar = 0;
  size_t n = 0;
  if (bar) {
    int fill = (int)((double)(done < total ? done : total) * bar / (double)total);
    out[n++] = '[';
    for (int i = 0; i < bar; i++)
      out[n++] = i < fill ? '#' : '.';
    out[n++] = ']';
    out[n++] = ' ';
  }
  for (int i = 0; i < 5; i++) {
    if (!keep[i])
      continue;
    int w = snprintf(out + n, cap - n, "%s%s", n && out[n - 1] != ' ' ? "  " : "", parts[i]);
    if (w < 0)
      break;
    n += (size_t)w < cap - n ? (size_t)w : cap - n - 1;
  }
  if (n > room)
    n = room; /* ASCII only: any byte is a column */
  out[n] = '\0';
}
