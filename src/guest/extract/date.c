/*
 * date.c - publication dates normalised to ISO 8601.
 *
 * Accepted inputs: ISO 8601 / RFC 3339 ("2021-03-04", "2021-03-04T05:06:07Z",
 * "2021-03-04 05:06:07+01:00", "20210304"), slashed and dotted numeric forms ("2021/03/04",
 * "04.03.2021", "4. 3. 2021" with any kind of space, "04.03.21", "03/04/2021" read month-first
 * unless the first number exceeds 12, or day-first for a page whose language writes them so
 * (ex_date_day_first) unless the second does), textual months in English, German, French, Spanish,
 * Italian, Portuguese and Dutch ("March 4, 2021", "4 Mar 2021", "Thu, 04 Mar 2021 05:06:07
 * GMT", "4. März 2021") and URL paths ("/2021/03/04/", "/2021-03/04/", "/news/04-03-2021").
 * Years outside 1900-2100 and impossible days (Feb 30) are refused. Output: "YYYY-MM-DD", or
 * "YYYY-MM-DDTHH:MM:SS" plus "Z" / "+hh:mm" when the input has a time (and a zone).
 */
#include "guest/extract/ex_internal.h"

#include "guest/extract/langtag.h"

#include <string.h>

/* (date.c is compiled into the host too, for the native fallback: it needs nothing of the
 * guest beyond ex_lower.) */
static bool starts_ci(const char *s, size_t n, const char *prefix)
{
  size_t l = strlen(prefix);
  if (l > n)
    return false;
  for (size_t i = 0; i < l; i++)
    if (ex_lower(s[i]) != ex_lower(prefix[i]))
      return false;
  return true;
}

static bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

static bool is_alpha_byte(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (unsigned char)c >= 0x80;
}

static int days_in_month(int y, int m)
{
  static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return 29;
  return d[m - 1];
}

static bool valid_ymd(int y, int m, int d)
{
  return y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

static void put2(char *o, int v)
{
  o[0] = (char)('0' + v / 10 % 10);
  o[1] = (char)('0' + v % 10);
}

static size_t write_date(char out[32], int y, int m, int d)
{
  put2(out, y / 100);
  put2(out + 2, y % 100);
  out[4] = '-';
  put2(out + 5, m);
  out[7] = '-';
  put2(out + 8, d);
  out[10] = '\0';
  return 10;
}

/* Reads digits at s[*i]: returns the value and the count in *nd (0 when none). */
static int read_num(const char *s, size_t n, size_t *i, int *nd)
{
  int v = 0, k = 0;
  while (*i < n && is_digit(s[*i]) && k < 9) {
    v = v * 10 + (s[*i] - '0');
    (*i)++;
    k++;
  }
  *nd = k;
  return v;
}

/* Optional time after a date: [T ]HH:MM[:SS[.frac]][Z|+hh:mm|+hhmm| GMT|UTC]. */
static size_t parse_time(const char *s, size_t n, size_t i, char out[32], size_t len)
{
  if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' '))
    i++;
  else
    return len;
  while (i < n && s[i] == ' ')
    i++;
  int nd;
  int hh = read_num(s, n, &i, &nd);
  if (nd < 1 || nd > 2 || i >= n || s[i] != ':')
    return len;
  i++;
  int mm = read_num(s, n, &i, &nd);
  if (nd != 2)
    return len;
  int ss = 0;
  if (i < n && s[i] == ':') {
    i++;
    ss = read_num(s, n, &i, &nd);
    if (nd != 2)
      return len;
    if (i < n && (s[i] == '.' || s[i] == ',')) {
      i++;
      read_num(s, n, &i, &nd);
    }
  }
  while (i < n && s[i] == ' ')
    i++;
  /* 12-hour clock */
  if (i + 1 < n && (s[i + 1] == 'M' || s[i + 1] == 'm') &&
      (s[i] == 'P' || s[i] == 'p' || s[i] == 'A' || s[i] == 'a')) {
    if ((s[i] == 'P' || s[i] == 'p') && hh < 12)
      hh += 12;
    else if ((s[i] == 'A' || s[i] == 'a') && hh == 12)
      hh = 0;
    i += 2;
    while (i < n && s[i] == ' ')
      i++;
  }
  if (hh > 23 || mm > 59 || ss > 60)
    return len;
  out[10] = 'T';
  put2(out + 11, hh);
  out[13] = ':';
  put2(out + 14, mm);
  out[16] = ':';
  put2(out + 17, ss > 59 ? 59 : ss);
  len = 19;
  if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
    out[len++] = 'Z';
  } else if (i + 2 < n && (starts_ci(s + i, n - i, "GMT") || starts_ci(s + i, n - i, "UTC"))) {
    size_t j = i + 3;
    if (j < n && (s[j] == '+' || s[j] == '-'))
      i = j;
    else
      out[len++] = 'Z';
  }
  if (i < n && (s[i] == '+' || s[i] == '-') && len == 19) {
    char sign = s[i++];
    size_t st = i;
    int th = read_num(s, n, &i, &nd);
    int tm = 0;
    if (nd == 4) {
      tm = th % 100;
      th /= 100;
    } else if (nd == 2 || nd == 1) {
      if (i < n && s[i] == ':') {
        i++;
        tm = read_num(s, n, &i, &nd);
        if (nd != 2)
          tm = -1;
      }
    } else {
      th = -1;
    }
    (void)st;
    if (th >= 0 && th <= 14 && tm >= 0 && tm <= 59) {
      out[len++] = sign;
      put2(out + len, th);
      len += 2;
      out[len++] = ':';
      put2(out + len, tm);
      len += 2;
    }
  }
  out[len] = '\0';
  return len;
}

typedef struct month_name {
  const char *name;
  size_t len; /* strlen(name), from the literal */
  int month;
} month_name;
#define M(name, month)                                                                             \
  {                                                                                                \
    name, sizeof name - 1, month                                                                   \
  }

/* Prefix-matched month names (longest first where one is a prefix of another is not needed:
 * matching takes the whole alphabetic word and compares it with each name or its abbreviation). */
static const month_name months[] = {
    M("january", 1),
    M("february", 2),
    M("march", 3),
    M("april", 4),
    M("may", 5),
    M("june", 6),
    M("july", 7),
    M("august", 8),
    M("september", 9),
    M("october", 10),
    M("november", 11),
    M("december", 12),
    M("sept", 9),
    /* German */
    M("januar", 1),
    M("jänner", 1),
    M("februar", 2),
    M("märz", 3),
    M("maerz", 3),
    M("mai", 5),
    M("juni", 6),
    M("juli", 7),
    M("oktober", 10),
    M("dezember", 12),
    /* French */
    M("janvier", 1),
    M("février", 2),
    M("fevrier", 2),
    M("mars", 3),
    M("avril", 4),
    M("juin", 6),
    M("juillet", 7),
    M("août", 8),
    M("aout", 8),
    M("septembre", 9),
    M("octobre", 10),
    M("novembre", 11),
    M("décembre", 12),
    M("decembre", 12),
    /* Spanish */
    M("enero", 1),
    M("febrero", 2),
    M("marzo", 3),
    M("abril", 4),
    M("mayo", 5),
    M("junio", 6),
    M("julio", 7),
    M("agosto", 8),
    M("septiembre", 9),
    M("setiembre", 9),
    M("octubre", 10),
    M("noviembre", 11),
    M("diciembre", 12),
    /* Italian */
    M("gennaio", 1),
    M("febbraio", 2),
    M("aprile", 4),
    M("maggio", 5),
    M("giugno", 6),
    M("luglio", 7),
    M("settembre", 9),
    M("ottobre", 10),
    M("dicembre", 12),
    /* Portuguese */
    M("janeiro", 1),
    M("fevereiro", 2),
    M("março", 3),
    M("maio", 5),
    M("junho", 6),
    M("julho", 7),
    M("setembro", 9),
    M("outubro", 10),
    M("dezembro", 12),
    /* Dutch */
    M("januari", 1),
    M("februari", 2),
    M("maart", 3),
    M("augustus", 8),
    M("mei", 5),
};
#undef M

static int month_of_word(const char *w, size_t n)
{
  if (n < 3 || n > 12)
    return 0;
  char low[16];
  for (size_t i = 0; i < n; i++)
    low[i] = ex_lower(w[i]);
  if (low[n - 1] == '.')
    n--;
  for (size_t k = 0; k < sizeof months / sizeof months[0]; k++) {
    if (n == months[k].len && memcmp(low, months[k].name, n) == 0)
      return months[k].month;
  }
  /* three/four-letter abbreviations of the English and other names ("Mar", "Dez", "févr") */
  if (n >= 3 && n <= 5) {
    for (size_t k = 0; k < sizeof months / sizeof months[0]; k++) {
      if (n < months[k].len && memcmp(low, months[k].name, n) == 0)
        return months[k].month;
    }
  }
  return 0;
}

/* Past spaces at s[i]: ASCII ones, no-break (U+00A0), thin (U+2009) and narrow no-break
 * (U+202F) spaces, at most 3 of them. */
static size_t skip_space(const char *s, size_t n, size_t i)
{
  for (int k = 0; k < 3 && i < n; k++) {
    const unsigned char *u = (const unsigned char *)s + i;
    if (s[i] == ' ')
      i++;
    else if (u[0] == 0xC2 && i + 1 < n && u[1] == 0xA0)
      i += 2;
    else if (u[0] == 0xE2 && i + 2 < n && u[1] == 0x80 && (u[2] == 0x89 || u[2] == 0xAF))
      i += 3;
    else
      break;
  }
  return i;
}

static size_t numeric_date(const char *s, size_t n, bool day_first, char out[32])
{
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(s[i]) || (i > 0 && is_digit(s[i - 1])))
      continue;
    size_t j = i;
    int nd1, nd2, nd3;
    int a = read_num(s, n, &j, &nd1);
    if (nd1 == 8 && (j >= n || !is_digit(s[j]))) {
      int y = a / 10000, m = a / 100 % 100, d = a % 100;
      if (valid_ymd(y, m, d) && (j >= n || !is_alpha_byte(s[j]))) {
        size_t len = write_date(out, y, m, d);
        return parse_time(s, n, j, out, len);
      }
      continue;
    }
    if (j >= n || (s[j] != '-' && s[j] != '/' && s[j] != '.'))
      continue;
    char sep = s[j++];
    /* "4. 2. 2022": spaces after the dots (also no-break and thin ones), then a 4-digit year */
    size_t sp1 = sep == '.' ? skip_space(s, n, j) : j;
    bool spaced = sp1 != j;
    j = sp1;
    int b = read_num(s, n, &j, &nd2);
    if (!nd2 || nd2 > 2 || j >= n || s[j] != sep)
      continue;
    j++;
    if (spaced)
      j = skip_space(s, n, j);
    int c = read_num(s, n, &j, &nd3);
    if (spaced && (nd1 > 2 || nd3 != 4))
      continue;
    if (nd1 == 4 && nd3 >= 1 && nd3 <= 2) {
      if (valid_ymd(a, b, c)) {
        size_t len = write_date(out, a, b, c);
        return parse_time(s, n, j, out, len);
      }
    } else if (nd1 == 2 && nd2 == 2 && nd3 == 2 && sep == '.' &&
               (j >= n || (!is_digit(s[j]) && s[j] != '.'))) {
      /* "23.09.22": day, month, two-digit year (20yy up to 2069, else 19yy) */
      int y = c < 70 ? 2000 + c : 1900 + c;
      if (valid_ymd(y, b, a)) {
        size_t len = write_date(out, y, b, a);
        return parse_time(s, n, j, out, len);
      }
    } else if (nd1 <= 2 && nd3 == 4) {
      /* dots and dashes put the day first; slashes the month, or the day on a page whose
       * language writes it first; a number over 12 is the day in either order */
      int d, m;
      if (sep == '.' || sep == '-' || a > 12 || (day_first && b <= 12)) {
        d = a;
        m = b;
      } else {
        m = a;
        d = b;
      }
      if (valid_ymd(c, m, d)) {
        size_t len = write_date(out, c, m, d);
        return parse_time(s, n, j, out, len);
      }
    }
  }
  return 0;
}

static size_t textual_date(const char *s, size_t n, char out[32])
{
  size_t i = 0;
  while (i < n) {
    if (!is_alpha_byte(s[i]) || (i > 0 && is_alpha_byte(s[i - 1]))) {
      i++;
      continue;
    }
    size_t e = i;
    while (e < n && is_alpha_byte(s[e]))
      e++;
    size_t wl = e - i;
    if (e < n && s[e] == '.')
      wl++;
    int m = month_of_word(s + i, wl);
    if (!m) {
      i = e;
      continue;
    }
    /* "Month D, YYYY" */
    size_t j = e;
    while (j < n && (s[j] == ' ' || s[j] == '.' || s[j] == ','))
      j++;
    int nd;
    int d = read_num(s, n, &j, &nd);
    if (nd >= 1 && nd <= 2) {
      while (j < n && ((s[j] >= 'a' && s[j] <= 'z') || s[j] == '.'))
        j++; /* 4th, 1st */
      while (j < n && (s[j] == ' ' || s[j] == ','))
        j++;
      size_t yj = j;
      int y = read_num(s, n, &j, &nd);
      if (nd == 4 && valid_ymd(y, m, d)) {
        size_t len = write_date(out, y, m, d);
        while (j < n && (s[j] == ',' || s[j] == ' ')) {
          if (s[j] == ' ' && j + 1 < n && is_digit(s[j + 1]))
            break;
          j++;
        }
        return parse_time(s, n, j, out, len);
      }
      (void)yj;
    } else if (nd == 4) {
      /* "Month YYYY": no day -> first of the month is a guess; refuse */
    }
    /* "D Month YYYY" / "D. Month YYYY" / "D de Month de YYYY" */
    size_t k = i;
    while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '.' || s[k - 1] == ','))
      k--;
    if (k >= 3 && memcmp(s + k - 3, " de", 3) == 0) {
      k -= 3;
      while (k > 0 && s[k - 1] == ' ')
        k--;
    }
    size_t ds = k;
    while (ds > 0 && is_digit(s[ds - 1]))
      ds--;
    if (k - ds >= 1 && k - ds <= 2 && (ds == 0 || !is_digit(s[ds - 1]))) {
      size_t q = ds;
      d = read_num(s, n, &q, &nd);
      j = e;
      if (j < n && s[j] == '.')
        j++;
      while (j < n && (s[j] == ' ' || s[j] == ','))
        j++;
      if (j + 2 < n && (memcmp(s + j, "de ", 3) == 0))
        j += 3;
      int y = read_num(s, n, &j, &nd);
      if (nd == 4 && valid_ymd(y, m, d)) {
        size_t len = write_date(out, y, m, d);
        return parse_time(s, n, j, out, len);
      }
    }
    i = e;
  }
  return 0;
}

size_t ex_date_normalise_order(const char *s, size_t n, bool day_first, char out[32])
{
  if (!s || !n)
    return 0;
  if (n > 200)
    n = 200;
  size_t r = numeric_date(s, n, day_first, out);
  if (r)
    return r;
  return textual_date(s, n, out);
}

size_t ex_date_normalise(const char *s, size_t n, char out[32])
{
  return ex_date_normalise_order(s, n, false, out);
}

/* Languages whose numeric dates put the day first and are written with slashes as one of their
 * usual forms ("03/05/2022" is 3 May). Languages that write numeric dates with dots (German,
 * Polish, Russian, Czech, Finnish, ...) are not here: a slashed date on their pages mostly comes
 * from a content system's US default. Year-first forms ("2022/05/03") need no rule. */
static const char day_first_langs[][4] = {"es", "pt", "fr", "it", "ca", "gl", "el", "nl", "tr",
                                          "ar", "he", "vi", "id", "ms", "hi", "bn", "ur", "th"};

/* English regions that write the day first ("en-GB"); plain "en" and "en-US" do not. */
static const char day_first_en[][3] = {"gb", "uk", "ie", "au", "nz", "in", "za"};

bool ex_date_day_first(const char *tag, size_t n)
{
  char lang[4];
  if (!tag || !rt_lang_normalise(tag, n, lang))
    return false;
  for (size_t k = 0; k < sizeof day_first_langs / sizeof day_first_langs[0]; k++)
    if (strcmp(lang, day_first_langs[k]) == 0)
      return true;
  if (strcmp(lang, "en") != 0)
    return false;
  /* the region subtag right after the primary one: "en-GB", "en_gb" (a list's first tag) */
  size_t i = 0;
  while (i < n && (tag[i] == ' ' || tag[i] == '\t'))
    i++;
  if (n - i < 5 || (tag[i + 2] != '-' && tag[i + 2] != '_'))
    return false;
  const char *r = tag + i + 3;
  if (n - i > 5 && ((r[2] | 32) >= 'a' && (r[2] | 32) <= 'z'))
    return false; /* a longer subtag (a script: "en-Latn") */
  for (size_t k = 0; k < sizeof day_first_en / sizeof day_first_en[0]; k++)
    if ((r[0] | 32) == day_first_en[k][0] && (r[1] | 32) == day_first_en[k][1])
      return true;
  return false;
}

size_t ex_date_from_url(const char *s, size_t n, char out[32])
{
  /* /YYYY/MM/DD/ (the day may be missing: then no date, as a month is not a day) */
  for (size_t i = 0; i + 10 <= n; i++) {
    if (s[i] != '/' || !is_digit(s[i + 1]))
      continue;
    size_t j = i + 1;
    int nd;
    int y = read_num(s, n, &j, &nd);
    if (nd != 4 || j >= n || (s[j] != '/' && s[j] != '-'))
      continue;
    char sep = s[j++];
    int m = read_num(s, n, &j, &nd);
    /* "/2021/03/04", "/2021-03-04", "/2021-03/04" (a month folder, then the day's) */
    if (nd < 1 || nd > 2 || j >= n || (s[j] != sep && !(sep == '-' && s[j] == '/')))
      continue;
    j++;
    int d = read_num(s, n, &j, &nd);
    if (nd < 1 || nd > 2 || (j < n && is_digit(s[j])))
      continue;
    if (valid_ymd(y, m, d))
      return write_date(out, y, m, d);
  }
  /* a path part that opens with DD-MM-YYYY ("/meldungen/29-10-2021", "/23-01-2022-title") */
  size_t path = 0;
  for (size_t i = 0; i + 2 < n; i++)
    if (s[i] == '/' && s[i + 1] == '/') {
      path = i + 2;
      break;
    }
  while (path < n && s[path] != '/')
    path++;
  for (size_t i = path; i + 11 <= n; i++) {
    if (s[i] != '/')
      continue;
    size_t j = i + 1;
    int nd;
    int d = read_num(s, n, &j, &nd);
    if (nd != 2 || j >= n || s[j] != '-')
      continue;
    j++;
    int m = read_num(s, n, &j, &nd);
    if (nd != 2 || j >= n || s[j] != '-')
      continue;
    j++;
    int y = read_num(s, n, &j, &nd);
    if (nd != 4 || (j < n && is_digit(s[j])))
      continue;
    if (valid_ymd(y, m, d))
      return write_date(out, y, m, d);
  }
  return 0;
}

long ex_date_day(const char *d)
{
  long y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
  long m = (d[5] - '0') * 10 + (d[6] - '0');
  long dd = (d[8] - '0') * 10 + (d[9] - '0');
  /* days from civil (proleptic Gregorian), March-based year */
  y -= m <= 2;
  long era = y / 400;
  long yoe = y - era * 400;
  long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int ex_date_offset(const char *d, size_t n)
{
  if (n < 20 || d[10] != 'T')
    return EX_NO_OFFSET;
  if (d[19] == 'Z')
    return 0;
  if (n < 25 || (d[19] != '+' && d[19] != '-'))
    return EX_NO_OFFSET;
  int v = ((d[20] - '0') * 10 + (d[21] - '0')) * 60 + (d[23] - '0') * 10 + (d[24] - '0');
  return d[19] == '-' ? -v : v;
}

size_t ex_date_to_offset(char d[32], size_t n, int offset)
{
  int cur = ex_date_offset(d, n);
  if (cur == EX_NO_OFFSET || cur == offset || offset <= -15 * 60 || offset >= 15 * 60)
    return n;
  int y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
  int mo = (d[5] - '0') * 10 + (d[6] - '0');
  int da = (d[8] - '0') * 10 + (d[9] - '0');
  int mins = ((d[11] - '0') * 10 + (d[12] - '0')) * 60 + (d[14] - '0') * 10 + (d[15] - '0');
  mins += offset - cur;
  while (mins < 0) {
    mins += 24 * 60;
    if (--da < 1) {
      if (--mo < 1) {
        mo = 12;
        y--;
      }
      da = days_in_month(y, mo);
    }
  }
  while (mins >= 24 * 60) {
    mins -= 24 * 60;
    if (++da > days_in_month(y, mo)) {
      da = 1;
      if (++mo > 12) {
        mo = 1;
        y++;
      }
    }
  }
  if (!valid_ymd(y, mo, da))
    return n;
  char sec[2] = {d[17], d[18]};
  write_date(d, y, mo, da);
  d[10] = 'T';
  put2(d + 11, mins / 60);
  d[13] = ':';
  put2(d + 14, mins % 60);
  d[16] = ':';
  d[17] = sec[0];
  d[18] = sec[1];
  int a = offset < 0 ? -offset : offset;
  d[19] = offset < 0 ? '-' : '+';
  put2(d + 20, a / 60);
  d[22] = ':';
  put2(d + 23, a % 60);
  d[25] = '\0';
  return 25;
}
