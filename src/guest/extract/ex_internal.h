/*
 * ex_internal.h - declarations shared by the extractor's files (not API).
 *
 * Portable C11 for the guest: no stdio, no files, no time, no locale. Every tree walk is
 * iterative (100,000-deep trees are expected input). Every growing buffer has a maximum.
 *
 * Files, one concern each:
 *   buf.c       bounded string buffer, number formatting, UTF-8 helpers
 *   text.c      visible-text serialisation, whitespace, word count, hidden-element test
 *   url.c       RFC 3986 reference resolution
 *   date.c      date normalisation to ISO 8601
 *   lang.c      language guess (script + stopwords)
 *   selector.c  CSS selector subset: parse and match
 *   metadata.c  title, byline, date, site name, description, language, canonical, tags
 *   content.c   boilerplate removal, candidate scoring, main-content selection
 *   markdown.c  Markdown (CommonMark + GFM tables) and cleaned HTML serialisation
 *   quality.c   quality score formula
 *   extract.c   options, modes, wire output, guest info
 */
#ifndef GUEST_EXTRACT_INTERNAL_H
#define GUEST_EXTRACT_INTERNAL_H

#include "common/limits.h"
#include "guest/extract/extract.h"
#include "guest/html/dom.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hard ceilings (guest side). The host caps the result again (RT_DEFAULT_MAX_OUTPUT). */
#define EX_MAX_OUT ((size_t)64 << 20) /* any one output string */
#define EX_MAX_META 4096              /* one metadata string */
#define EX_MAX_LINKS 10000            /* links reported per document */
#define EX_MAX_MEDIA 10000            /* media items reported per document */
#define EX_MAX_CATEGORIES 64
#define EX_LANG_OVERRIDE_BYTES 400      /* text long enough for a guess to overrule a declaration */
#define EX_LANG_OPENING 300             /* bytes of text whose guess is checked against it first */
#define EX_MAX_SELECTOR RT_MAX_SELECTOR /* selector text */
#define EX_WORDS_PER_MINUTE 230         /* reading time: words / 230, rounded up, CJK: 500 chars */

/* Extractor flags (bits 16-31 of dom_node.flags are ours). */
#define EXF_DROP 0x00010000u      /* removed as boilerplate for the current attempt */
#define EXF_HIDDEN 0x00020000u    /* hidden (never shown, whatever the attempt) */
#define EXF_DIVP 0x00040000u      /* a div scored as a paragraph (no block children) */
#define EXF_SCORED 0x00080000u    /* has a candidate score */
#define EXF_DATATABLE 0x00100000u /* a data table (kept) */
#define EXF_UNLIKELY 0x00200000u  /* class/id/role says boilerplate */
#define EXF_NEVER 0x00400000u     /* never content (script, style, form controls, ...) */
#define EXF_SKIPOUT 0x00800000u   /* skipped by the serialisers (duplicate title, ...) */
#define EXF_LIVE 0x01000000u      /* visited by the current attempt (not inside a dropped tree) */
#define EXF_INSEL 0x02000000u     /* inside the selected content */
#define EXF_TRANSP 0x04000000u    /* a div standing for its single <p> child (not an ancestor) */
#define EXF_HASBLOCK 0x08000000u  /* has a block-level descendant (Readability's DIV_TO_P set) */
/* A figure's caption or a picture credit inside the content: kept in Markdown and HTML (with
 * the image it describes), left out of the plain `text`, which holds the article's prose. */
#define EXF_CAPTION 0x20000000u
/* A <noscript> shown as content: the page keeps its text there (built by scripts otherwise). */
#define EXF_SHOWN 0x40000000u
#define EXF_ATTEMPT_MASK                                                                           \
  (EXF_DROP | EXF_SCORED | EXF_SKIPOUT | EXF_DIVP | EXF_LIVE | EXF_INSEL | EXF_TRANSP | EXF_CAPTION)

/* ---- buf.c ------------------------------------------------------------------------------ */
typedef struct ex_buf {
  char *p; /* NUL-terminated when not NULL */
  size_t len, cap, max;
  bool failed; /* allocation failed or max exceeded: later writes are ignored */
} ex_buf;

void exb_init(ex_buf *b, size_t max);
void exb_free(ex_buf *b);
bool exb_put(ex_buf *b, const char *s, size_t n);
bool exb_putc(ex_buf *b, char c);
bool exb_puts(ex_buf *b, const char *s);
bool exb_put_u32(ex_buf *b, uint32_t v);
void exb_clear(ex_buf *b);
/* Drops trailing ASCII whitespace. */
void exb_rtrim(ex_buf *b);
/* Cuts b back to its first len bytes (nothing when len >= b->len). */
void exb_truncate(ex_buf *b, size_t len);

/* Decimal formatting into `out` (at least 11 bytes); returns the length. */
size_t ex_fmt_u32(char *out, uint32_t v);
/* Decodes one UTF-8 code point at s[*i] (advancing *i); invalid bytes give U+FFFD. */
uint32_t ex_utf8_next(const char *s, size_t n, size_t *i);
bool ex_is_space_cp(uint32_t cp);
bool ex_is_cjk_cp(uint32_t cp);
bool ex_is_word_cp(uint32_t cp); /* letters, digits, marks, underscore (approximation of \w) */
/* ASCII case-insensitive helpers. ex_ieq and ex_istarts are inline over their _n forms, so a
 * literal's length is a constant (no strlen call a comparison). */
bool ex_ieq_n(const char *a, size_t an, const char *b, size_t bn);
bool ex_icontains(const char *hay, size_t hn, const char *needle);
bool ex_istarts_n(const char *s, size_t n, const char *prefix, size_t pn);
static inline bool ex_ieq(const char *a, size_t an, const char *b)
{
  return ex_ieq_n(a, an, b, strlen(b));
}
static inline bool ex_istarts(const char *s, size_t n, const char *prefix)
{
  return ex_istarts_n(s, n, prefix, strlen(prefix));
}
static inline char ex_lower(char c)
{
  return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}
/* Trims ASCII and Unicode whitespace, returns the start; *n updated. */
const char *ex_trim(const char *s, size_t *n);

/* ---- text.c ----------------------------------------------------------------------------- */
/* Iterative pre-order walk of root's descendants: enter() returns whether to descend; leave()
 * runs after the children of every element that was descended into. */
void ex_walk(const dom_node *root, bool (*enter)(void *, const dom_node *),
             void (*leave)(void *, const dom_node *), void *ctx);
/* True for nodes no serialiser outputs (dropped, hidden, script/style/form controls...). */
bool ex_skip_node(const dom_node *n);
/* Length of a private-use-area character (U+E000-U+F8FF: EE xx xx, EF 80-A3 xx) at s[i],
 * else 0. Icon fonts draw their glyphs there; as text they are noise, so the text and
 * Markdown outputs drop them. */
static inline size_t ex_pua_len(const char *s, size_t i, size_t n)
{
  unsigned char b = (unsigned char)s[i];
  if ((b != 0xEE && b != 0xEF) || i + 2 >= n)
    return 0;
  unsigned char b1 = (unsigned char)s[i + 1], b2 = (unsigned char)s[i + 2];
  if ((b1 & 0xC0) != 0x80 || (b2 & 0xC0) != 0x80 || (b == 0xEF && b1 > 0xA3))
    return 0;
  return 3;
}
/* Appends s with whitespace runs collapsed to one space (pending across calls); drops
 * private-use-area characters. */
void ex_append_collapsed(ex_buf *out, bool *pending_space, const char *s, size_t n);
/* Appends the text content of `n` with whitespace collapsed to single spaces (no block
 * structure). Skips EXF_DROP/EXF_HIDDEN/EXF_NEVER subtrees. */
void ex_collect_text(const dom_node *n, ex_buf *out);
/* ex_collect_text that stops once `out` holds more than `max` bytes (it walks on past the
 * rest of the subtree's top levels without descending); false when it did. */
bool ex_collect_text_max(const dom_node *n, ex_buf *out, size_t max);
/* ex_collect_text_max with each block and <br> a line break ('\n', none at the ends): for a
 * short element whose lines mean something apart ("Von Jane Doe<br>Politik"). */
bool ex_collect_lines_max(const dom_node *n, ex_buf *out, size_t max);
/* The caption of a media element (the <figcaption> of its <figure>, or a caption block right
 * after it), collected like ex_collect_text; false when it has none. */
bool ex_media_caption(const dom_node *n, ex_buf *out);
/* Serialises `root` as plain text: blocks separated by blank lines, <br> as a line break,
 * list items and table rows on their own lines. */
void ex_text_serialise(const dom_node *root, ex_buf *out);
/* What the serialisers leave out (riptide_options want_links / want_media / want_tables off,
 * the same in the native fallback): */
#define EX_OUT_NO_LINKS 1u  /* a link is its text: no URL (Markdown), <a> unwrapped (HTML) */
#define EX_OUT_NO_MEDIA 2u  /* no images, no captions of figures that hold media */
#define EX_OUT_NO_TABLES 4u /* no data <table> (caption, cells, their links and media) */
/* A layout table (the page's columns, not data) is kept under EX_OUT_NO_TABLES, its content
 * written as blocks are: role="presentation", or a table holding a table or a heading, or one
 * whose cell (or caption) has over EX_LAYOUT_CELL_BYTES bytes of text (not counting ASCII
 * whitespace), or one of over EX_LAYOUT_TABLE_NODES nodes. The native fallback applies the same
 * rule (src/fallback/render.c). */
#define EX_LAYOUT_CELL_BYTES 400
#define EX_LAYOUT_TABLE_NODES 100000
bool ex_layout_table(const dom_node *t);
/* ex_text_serialise leaving out what `drop` (EX_OUT_*) names. */
void ex_text_serialise_opts(const dom_node *root, uint32_t drop, ex_buf *out);
/* Is n left out of every output under `drop`: a data table with EX_OUT_NO_TABLES; with
 * EX_OUT_NO_MEDIA an image, picture, video or audio element, or a caption of media (a
 * <figcaption> of a <figure> holding one of them, or a picture credit flagged EXF_CAPTION). */
bool ex_out_dropped(const dom_node *n, uint32_t drop);
/* Words: whitespace-separated runs of word characters; every CJK character counts as one. */
uint32_t ex_word_count(const char *s, size_t n, uint32_t *cjk_chars);
bool ex_is_block_tag(const dom_node *n);
/* True when the element is hidden by `hidden`, aria-hidden, or an inline display:none /
 * visibility:hidden style, or is an <amp-lightbox> (an overlay shown only on demand). */
bool ex_is_hidden(const dom_node *n);
/* Attribute lookup with a known name length (no strlen); NULL when missing. */
const char *ex_attr(const dom_node *n, const char *name, size_t nlen, size_t *len);
/* Class and id of an element ("" when missing). */
const char *ex_class(const dom_node *n, size_t *len);
const char *ex_id(const dom_node *n, size_t *len);

/* The image URL of an <img> (src, or a lazy-loading attribute); text.c. */
const char *ex_img_src(const dom_node *n, size_t *len);
/* text.c: the document's <html>, <head>, <body> (NULL when missing). */
dom_node *ex_find_child_tag(const dom_node *parent, html_tag t);
dom_node *ex_body(const dom_doc *doc);

/* Readability's _textSimilarity: share of b's (ASCII word) tokens also in a, by length. */
double ex_text_similarity(const char *a, size_t an, const char *b, size_t bn);
/* Marks hidden and never-content elements in the whole document (EXF_HIDDEN, EXF_NEVER). */
void ex_mark_static(dom_doc *doc);
/* The same for the subtree under n (n itself excluded). */
void ex_mark_static_under(dom_node *n);

/* ---- url.c ------------------------------------------------------------------------------ */
/* Resolves `ref` against `base` (RFC 3986 section 5.2) into out; returns false when ref is
 * unusable (empty) or when the result would be a javascript:, vbscript: or data: URL (see
 * ex_url_unsafe): such URLs never reach links, media, Markdown or HTML output. */
bool ex_url_resolve(const char *base, size_t bn, const char *ref, size_t rn, ex_buf *out);
/* Is s a javascript:, vbscript: or data: URL as a browser would read it (leading controls
 * and spaces skipped, tabs and newlines ignored, any case)? */
bool ex_url_unsafe(const char *s, size_t n);
bool ex_url_is_absolute(const char *s, size_t n);

/* ---- date.c ----------------------------------------------------------------------------- */
/* Normalises a date string to ISO 8601 ("YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[Z|+hh:mm]").
 * Returns the length written to out (at most 32 bytes incl. NUL), 0 when not a date. */
size_t ex_date_normalise(const char *s, size_t n, char out[32]);
/* The same, with slashed day-month dates ("03/05/2022") read day-first when day_first is set
 * (a date in the text of a page whose language writes them so, ex_date_day_first); a number
 * over 12 settles the order either way. ex_date_normalise reads them month-first, as markup
 * and US English write them. */
size_t ex_date_normalise_order(const char *s, size_t n, bool day_first, char out[32]);
/* Does the language of a declared tag ("pt-BR", "es", "en-GB", "Français") write slashed
 * numeric dates day-first? False for "en", "en-US", German (dotted dates), what names no
 * language, and NULL. Shared by both engines (date.c is compiled into the host). */
bool ex_date_day_first(const char *tag, size_t n);
/* Finds a /YYYY/MM/DD/ or YYYY-MM-DD pattern in a URL. */
size_t ex_date_from_url(const char *s, size_t n, char out[32]);
/* The UTC offset in minutes of a normalised timestamp ("...Z" -> 0, "...-05:00" -> -300), or
 * EX_NO_OFFSET when it has no time or no zone. */
#define EX_NO_OFFSET 100000
int ex_date_offset(const char *d, size_t n);
/* The same instant written in another offset (minutes): its local date and time; returns the
 * new length (n unchanged when d has no zone). */
size_t ex_date_to_offset(char d[32], size_t n, int offset);
/* The day number (days since 1970-01-01) of a normalised date's "YYYY-MM-DD" part. */
long ex_date_day(const char *d);

/* ---- lang.c ----------------------------------------------------------------------------- */
/* Guesses a BCP 47 primary language tag from UTF-8 text; NULL when unsure. */
const char *ex_lang_guess(const char *s, size_t n);
/* A declared language as a lower-case BCP 47 primary subtag: "de-DE", "DE", "de_AT", "German",
 * "Deutsch", "deu" -> "de"; false for what names no language ("und", "", free text). */
bool ex_lang_normalise(const char *s, size_t n, char out[4]);
/* Does a confident guess contradict the declared tag (both normalised)? Close relatives the
 * guess confuses (da/no/sv, cs/sk, hr/sr/bs, es/ca/gl, pt/gl, id/ms) do not. */
bool ex_lang_contradicts(const char *declared, const char *guess);
/* Does the text contradict the declared tag: a confident guess (*guess) that contradicts it,
 * and, when both are Latin-script languages, the declared one's function words at most a
 * quarter of the guess's? */
bool ex_lang_text_contradicts(const char *declared, const char *s, size_t n, const char **guess);

/* ---- selector.c ------------------------------------------------------------------------- */
typedef struct ex_selector ex_selector;
/* Parses a selector list; NULL on a syntax error or OOM (*oom tells which). */
ex_selector *ex_selector_parse(const char *s, size_t n, bool *oom);
bool ex_selector_match(const ex_selector *sel, const dom_node *el);
void ex_selector_free(ex_selector *sel);

/* ---- metadata.c ------------------------------------------------------------------------- */
typedef struct ex_meta {
  ex_buf title, byline, date, site_name, description, language, canonical, base_url;
  ex_buf categories[EX_MAX_CATEGORIES];
  uint32_t n_categories;
  ex_buf og_image;
  ex_buf article_body; /* JSON-LD articleBody (plain text), a fallback for script-built pages */
  bool title_from_meta;
} ex_meta;

void ex_meta_init(ex_meta *m);
void ex_meta_free(ex_meta *m);
/* Reads every metadata source of the document. `url` is the page URL (may be empty). */
void ex_meta_extract(dom_doc *doc, const char *url, size_t url_len, ex_meta *m);

/* ---- content.c -------------------------------------------------------------------------- */
/* Picks the main content. Returns the element to serialise (possibly a synthetic container
 * created in the doc's arena that holds the selected nodes), never NULL when the body has
 * any text; NULL on OOM with doc->oom set. `title` is used to drop a duplicated headline. */
dom_node *ex_content_select(dom_doc *doc, const char *title, size_t title_len);

/* ---- markdown.c ------------------------------------------------------------------------- */
void ex_markdown_serialise(const dom_node *root, const char *base, size_t base_len, ex_buf *out);
void ex_html_serialise(const dom_node *root, const char *base, size_t base_len, ex_buf *out);
/* The same leaving out what `drop` (EX_OUT_*) names. */
void ex_markdown_serialise_opts(const dom_node *root, const char *base, size_t base_len,
                                uint32_t drop, ex_buf *out);
void ex_html_serialise_opts(const dom_node *root, const char *base, size_t base_len, uint32_t drop,
                            ex_buf *out);

/* ---- quality.c -------------------------------------------------------------------------- */
typedef struct ex_quality_in {
  uint32_t words;      /* word count of the extracted text */
  uint32_t paragraphs; /* blocks of text in the extracted text */
  uint32_t text_chars; /* characters of the extracted text */
  uint32_t link_chars; /* characters of it inside links */
  bool has_title, has_byline, has_date, has_language, has_description;
  bool fallback; /* content came from the densest-region fallback, not a clear article */
} ex_quality_in;
int32_t ex_quality_score(const ex_quality_in *q);

#endif
