/*
 * test_fallback.c - the native extractor: main-content choice against boilerplate, metadata,
 * absolute links and media, Markdown (list items as the guest writes them), MathML (read as the
 * guest reads it), the four modes, the CSS-to-XPath translation, and hostile inputs (deep
 * nesting, huge attributes, NUL bytes, empty input).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fallback/fallback.h"
#include "riptide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ARTICLE[] =
    "<!DOCTYPE html><html lang=\"en-GB\"><head>"
    "<meta charset=\"utf-8\"><title>Tides of the North Sea | The Coastal Review</title>"
    "<meta property=\"og:site_name\" content=\"The Coastal Review\">"
    "<meta name=\"author\" content=\"Mara Lindqvist\">"
    "<meta property=\"article:published_time\" content=\"2024-03-05T08:00:00Z\">"
    "<meta name=\"description\" content=\"Why the tides change.\">"
    "<meta name=\"keywords\" content=\"tides, oceans, Tides\">"
    "<link rel=\"canonical\" href=\"/2024/tides\">"
    "</head><body>"
    "<header class=\"site-header\"><a href=\"/\">Home</a> <a href=\"/news\">News</a></header>"
    "<nav><ul><li><a href=\"/a\">Menu item alpha</a></li><li><a href=\"/b\">Menu item beta</a>"
    "</li></ul></nav>"
    "<div class=\"sidebar\"><h3>Popular</h3><p>Sidebar teaser that should not appear, with "
    "enough words to look like a paragraph of real text here.</p></div>"
    "<article><h1>Tides of the North Sea</h1>"
    "<p>The tides of the North Sea are driven by the moon, and by the shape of the basin, which "
    "makes the water slosh back and forth twice a day.</p>"
    "<p>Fishermen have known this for centuries, and their almanacs, passed down in families, "
    "record the rhythm with surprising accuracy.</p>"
    "<p>Read the <a href=\"../data/tables.html\">tide tables</a> for details, or see the chart "
    "below, which shows the amphidromic points.</p>"
    "<img src=\"img/chart.png\" alt=\"Tide chart\">"
    "<h2>Amphidromic points</h2>"
    "<ul><li>one near the Norwegian coast</li><li>one off the Dutch coast</li></ul>"
    "<p>Around these points, where the tidal range is zero, the tide rotates like a wave in a "
    "bathtub, counter-clockwise, taking about twelve hours for one turn.</p>"
    "</article>"
    "<footer class=\"footer\"><p>Copyright The Coastal Review, all rights reserved, do not "
    "copy this footer text anywhere.</p></footer>"
    "<script>var x = 'script text must not appear';</script>"
    "</body></html>";

static riptide_document *extract(const char *html, riptide_mode mode, const char *selector)
{
  riptide_options o;
  riptide_options_init(&o);
  o.mode = mode;
  o.selector = selector;
  riptide_document *d = NULL;
  riptide_err err = riptide_extract_native(html, strlen(html),
                                           "https://news.example.com/2024/03/tides.html", &o, &d);
  assert_int_equal(err, RIPTIDE_OK);
  assert_non_null(d);
  assert_string_equal(d->engine, "native");
  return d;
}

static void test_article_content(void **state)
{
  (void)state;
  riptide_document *d = extract(ARTICLE, RIPTIDE_MODE_ARTICLE, NULL);
  assert_non_null(d->text);
  assert_non_null(strstr(d->text, "driven by the moon"));
  assert_non_null(strstr(d->text, "counter-clockwise"));
  assert_non_null(strstr(d->text, "one off the Dutch coast"));
  assert_null(strstr(d->text, "Sidebar teaser"));
  assert_null(strstr(d->text, "Menu item"));
  assert_null(strstr(d->text, "footer text"));
  assert_null(strstr(d->text, "script text"));
  /* paragraphs separated by blank lines */
  assert_non_null(strstr(d->text, "twice a day.\n\nFishermen"));
  assert_true(d->word_count > 80 && d->word_count < 140);
  assert_int_equal(d->reading_time, 1);
  assert_true(d->quality_score > 40 && d->quality_score <= 100);
  riptide_document_free(d);
}

static void test_metadata(void **state)
{
  (void)state;
  riptide_document *d = extract(ARTICLE, RIPTIDE_MODE_ARTICLE, NULL);
  assert_string_equal(d->title, "Tides of the North Sea");
  assert_string_equal(d->site_name, "The Coastal Review");
  assert_string_equal(d->byline, "Mara Lindqvist");
  assert_string_equal(d->date, "2024-03-05T08:00:00Z");
  assert_string_equal(d->description, "Why the tides change.");
  assert_string_equal(d->language, "en");
  assert_string_equal(d->canonical_url, "https://news.example.com/2024/tides");
  assert_string_equal(d->url, "https://news.example.com/2024/03/tides.html");
  /* keywords, deduplicated case-insensitively */
  assert_int_equal(d->n_categories, 2);
  assert_string_equal(d->categories[0], "tides");
  assert_string_equal(d->categories[1], "oceans");
  riptide_document_free(d);
}

static void test_links_media_markdown(void **state)
{
  (void)state;
  riptide_document *d = extract(ARTICLE, RIPTIDE_MODE_ARTICLE, NULL);
  assert_int_equal(d->n_links, 1);
  assert_string_equal(d->links[0].href, "https://news.example.com/2024/data/tables.html");
  assert_string_equal(d->links[0].text, "tide tables");
  assert_int_equal(d->n_media, 1);
  assert_string_equal(d->media[0].src, "https://news.example.com/2024/03/img/chart.png");
  assert_string_equal(d->media[0].alt, "Tide chart");
  assert_string_equal(d->media[0].kind, "image");
  assert_non_null(d->markdown);
  assert_non_null(strstr(d->markdown, "# Tides of the North Sea\n"));
  assert_non_null(strstr(d->markdown, "## Amphidromic points\n\n- one near the Norwegian coast\n"
                                      "- one off the Dutch coast"));
  assert_non_null(
      strstr(d->markdown, "[tide tables](https://news.example.com/2024/data/tables.html)"));
  assert_non_null(
      strstr(d->markdown, "![Tide chart](https://news.example.com/2024/03/img/chart.png)"));
  riptide_document_free(d);

  /* Without links and media: plain text in Markdown, empty arrays. */
  riptide_options o;
  riptide_options_init(&o);
  o.want_links = false;
  o.want_media = false;
  assert_int_equal(riptide_extract_native(ARTICLE, strlen(ARTICLE), NULL, &o, &d), RIPTIDE_OK);
  assert_int_equal(d->n_links, 0);
  assert_int_equal(d->n_media, 0);
  assert_null(strstr(d->markdown, "]("));
  assert_non_null(strstr(d->markdown, "Read the tide tables for details"));
  assert_null(d->url);
  riptide_document_free(d);
}

/* The output controls shape the Markdown, text and HTML, as in the guest (test_extract's
 * output-controls-* cases run the same page there). */
static void test_output_controls(void **state)
{
  (void)state;
  static const char page[] =
      "<html><head><title>Survey</title></head><body><article><h1>Survey</h1>"
      "<p>Volunteers from the <a href=\"/club\">rowing club</a> checked the outer buoys by boat "
      "while the harbour staff walked the quays with ladders and notebooks all week long.</p>"
      "<figure><img src=\"/pier.jpg\" alt=\"Pier light\"><figcaption>Beacon caption here"
      "</figcaption></figure>"
      "<p>Most of the lights were in good order, but a handful had faded lenses or failing "
      "batteries, and two had been knocked out of line by the autumn storms.</p>"
      "<table><tr><th>Beacon</th><th>Colour</th></tr><tr><td>Northcell</td><td>Green</td></tr>"
      "</table><p>The report asks the council to fix them before spring, and a public meeting "
      "will be held at the lifeboat station next month.</p></article></body></html>";
  const char *url = "https://example.org/n/s";
  for (int k = 0; k < 4; k++) {
    riptide_options o;
    riptide_options_init(&o);
    o.want_html = true;
    o.want_links = k != 0 && k != 3;
    o.want_media = k != 1 && k != 3;
    o.want_tables = k != 2 && k != 3;
    riptide_document *d = NULL;
    assert_int_equal(riptide_extract_native(page, strlen(page), url, &o, &d), RIPTIDE_OK);
    const char *md = d->markdown, *tx = d->text, *h = d->html;
    assert_non_null(strstr(md, "rowing club"));
    assert_non_null(strstr(h, "rowing club"));
    assert_true((strstr(md, "[rowing club](https://example.org/club)") != NULL) == o.want_links);
    assert_true((strstr(h, "<a href") != NULL) == o.want_links);
    assert_true(d->n_links == (o.want_links ? 1u : 0u));
    assert_true((strstr(md, "![Pier light](https://example.org/pier.jpg)") != NULL) ==
                o.want_media);
    assert_true((strstr(h, "<img") != NULL) == o.want_media);
    assert_true(d->n_media == (o.want_media ? 1u : 0u));
    assert_true((strstr(md, "Beacon caption") != NULL) == o.want_media);
    assert_null(strstr(tx, "Beacon caption")); /* a caption is not prose: never in the text */
    assert_true((strstr(h, "Beacon caption") != NULL) == o.want_media);
    assert_true((strstr(md, "| Northcell | Green |") != NULL) == o.want_tables);
    assert_true((strstr(tx, "Northcell") != NULL) == o.want_tables);
    assert_true((strstr(h, "<table") != NULL) == o.want_tables);
    assert_non_null(strstr(tx, "before spring"));
    riptide_document_free(d);
  }
}

/* A page without a URL (a local file) resolves against its absolute canonical URL, as the
 * guest does; a relative canonical gives no base. */
static void test_canonical_as_base(void **state)
{
  (void)state;
  static const char page[] =
      "<html><head><title>Harbour notes</title>"
      "<link rel=\"canonical\" href=\"https://port.example.org/notes/2024/harbour.html\">"
      "</head><body><article><h1>Harbour notes</h1>"
      "<p>The harbour wall was rebuilt in stone after the storm, and the <a href=\"plans.html\">"
      "plans</a> for it were drawn by the same engineer who built the pier a century ago.</p>"
      "<p><img src=\"/img/wall.jpg\" alt=\"The wall\"> The new wall is two metres higher than "
      "the old one, and the stones were cut from the quarry on the hill behind the town.</p>"
      "</article></body></html>";
  riptide_options o;
  riptide_options_init(&o);
  riptide_document *d = NULL;
  assert_int_equal(riptide_extract_native(page, strlen(page), NULL, &o, &d), RIPTIDE_OK);
  assert_int_equal(d->n_links, 1);
  assert_string_equal(d->links[0].href, "https://port.example.org/notes/2024/plans.html");
  assert_int_equal(d->n_media, 1);
  assert_string_equal(d->media[0].src, "https://port.example.org/img/wall.jpg");
  assert_null(d->url); /* the page's address is still unknown */
  riptide_document_free(d);
}

static void test_modes(void **state)
{
  (void)state;
  riptide_document *d = extract(ARTICLE, RIPTIDE_MODE_FULL, NULL);
  assert_non_null(strstr(d->text, "Menu item alpha"));
  assert_non_null(strstr(d->text, "footer text"));
  assert_non_null(strstr(d->text, "driven by the moon"));
  assert_null(strstr(d->text, "script text"));
  riptide_document_free(d);

  d = extract(ARTICLE, RIPTIDE_MODE_METADATA, NULL);
  assert_string_equal(d->title, "Tides of the North Sea");
  assert_null(d->text);
  assert_null(d->markdown);
  assert_int_equal(d->word_count, 0);
  riptide_document_free(d);

  d = extract(ARTICLE, RIPTIDE_MODE_CUSTOM, "div.sidebar p, footer");
  assert_non_null(strstr(d->text, "Sidebar teaser"));
  assert_non_null(strstr(d->text, "footer text"));
  assert_null(strstr(d->text, "driven by the moon"));
  riptide_document_free(d);

  d = extract(ARTICLE, RIPTIDE_MODE_CUSTOM, "article > h2");
  assert_string_equal(d->text, "Amphidromic points");
  riptide_document_free(d);

  /* No match: an empty document, not an error. */
  d = extract(ARTICLE, RIPTIDE_MODE_CUSTOM, "#nothing-here");
  assert_string_equal(d->text, "");
  riptide_document_free(d);

  riptide_options o;
  riptide_options_init(&o);
  o.mode = RIPTIDE_MODE_CUSTOM;
  o.selector = "a:hover";
  riptide_document *bad = (riptide_document *)0x1;
  assert_int_equal(riptide_extract_native(ARTICLE, strlen(ARTICLE), NULL, &o, &bad),
                   RIPTIDE_ERR_SELECTOR);
  assert_null(bad);
  o.selector = NULL;
  assert_int_equal(riptide_extract_native(ARTICLE, strlen(ARTICLE), NULL, &o, &bad),
                   RIPTIDE_ERR_SELECTOR);
  o.mode = (riptide_mode)9;
  assert_int_equal(riptide_extract_native(ARTICLE, strlen(ARTICLE), NULL, &o, &bad),
                   RIPTIDE_ERR_UNSUPPORTED);
}

static void test_title_rules(void **state)
{
  (void)state;
  riptide_document *d = extract("<title>Site Name | A Long Enough Headline Here</title>"
                                "<meta property='og:site_name' content='Site Name'><p>x</p>",
                                RIPTIDE_MODE_METADATA, NULL);
  assert_string_equal(d->title, "A Long Enough Headline Here");
  riptide_document_free(d);
  d = extract("<title>Short - Tagline</title>", RIPTIDE_MODE_METADATA, NULL);
  assert_string_equal(d->title, "Short - Tagline"); /* no site named: nothing cut */
  riptide_document_free(d);
  /* the guest's rules (title.c): the visible h1 inside the meta title, the host's name cut */
  d = extract("<meta property='og:title' content='Recipe: Lemon Cake from the Tray | Sunday Oven'>"
              "<h1>Lemon cake from the tray</h1><p>x</p>",
              RIPTIDE_MODE_METADATA, NULL);
  assert_string_equal(d->title, "Lemon cake from the tray");
  riptide_document_free(d);
  d = extract("<title>Harbour lights return after ten winters - News Example</title><p>x</p>",
              RIPTIDE_MODE_METADATA, NULL);
  assert_string_equal(d->title, "Harbour lights return after ten winters");
  riptide_document_free(d);
  /* a meta title that only names the site is passed over */
  d = extract("<meta property='og:title' content='The Valley Courier'>"
              "<meta property='og:site_name' content='The Valley Courier'>"
              "<title>Flood barriers raised along the river | The Valley Courier</title><p>x</p>",
              RIPTIDE_MODE_METADATA, NULL);
  assert_string_equal(d->title, "Flood barriers raised along the river");
  riptide_document_free(d);
  /* an h1 that is only a link to the home page is the site's logo: cut, never the title */
  d = extract("<title>Muffin basics for beginners | Crumb Corner</title>"
              "<h1><a href='/'>Crumb Corner</a></h1><h2>Muffin basics</h2><p>x</p>",
              RIPTIDE_MODE_METADATA, NULL);
  assert_string_equal(d->title, "Muffin basics for beginners");
  riptide_document_free(d);
  /* the guest's byline rules (byline.c): label and trailing date cut */
  d = extract("<meta name='author' content='Von Mara Lind, 4. März 2021'><p>x</p>",
              RIPTIDE_MODE_METADATA, NULL);
  assert_string_equal(d->byline, "Mara Lind");
  riptide_document_free(d);
  d = extract("<meta name='author' content='Grant Tinsley, PhD'><p>x</p>", RIPTIDE_MODE_METADATA,
              NULL);
  assert_string_equal(d->byline, "Grant Tinsley"); /* a degree after the name */
  riptide_document_free(d);
  /* soft hyphens (U+00AD) only mark where a word may break: no title or byline shows one */
  d = extract("<title>Die Stadt&shy;bibliothek zieht um</title>"
              "<p class='byline'>Von Jo&shy;hannes M\xc3\xbcl&shy;ler</p><p>x</p>",
              RIPTIDE_MODE_METADATA, NULL);
  assert_string_equal(d->title, "Die Stadtbibliothek zieht um");
  assert_string_equal(d->byline, "Johannes M\xc3\xbcller");
  riptide_document_free(d);
  /* a commenter's name (here in a recent-comments list before the article) is no byline */
  d = extract("<ul id='recent-comments'><li><span class='byline'>Mo Reader</span> on x</li></ul>"
              "<article><p>x</p><a rel='author' href='/a/lena'>Lena Ortiz</a></article>",
              RIPTIDE_MODE_METADATA, NULL);
  assert_string_equal(d->byline, "Lena Ortiz");
  riptide_document_free(d);
  /* dates in ISO 8601 (the guest's date.c), a value holding none left out */
  d = extract("<meta name='date' content='Posted March 4, 2021'><p>x</p>", RIPTIDE_MODE_METADATA,
              NULL);
  assert_string_equal(d->date, "2021-03-04");
  riptide_document_free(d);
  d = extract("<meta name='date' content='soon'><p>x</p>", RIPTIDE_MODE_METADATA, NULL);
  assert_null(d->date);
  riptide_document_free(d);
  d = extract("<head><script type='application/ld+json'>{\"@type\":\"NewsArticle\","
              "\"headline\":\"From JSON-LD\",\"datePublished\":\"2020-01-02\","
              "\"author\":{\"@type\":\"Person\",\"name\":\"Ann Author\"}}</script></head>",
              RIPTIDE_MODE_METADATA, NULL);
  assert_string_equal(d->title, "From JSON-LD");
  assert_string_equal(d->date, "2020-01-02");
  assert_string_equal(d->byline, "Ann Author");
  riptide_document_free(d);
}

static void test_table_and_code(void **state)
{
  (void)state;
  const char *html =
      "<article><p>Results of the annual survey, which took three months, are below.</p>"
      "<table><tr><th>Year</th><th>Count</th></tr><tr><td>2023</td><td>1|2</td></tr></table>"
      "<pre>int main(void)\n{\n  return 0;\n}</pre>"
      "<p>Use <code>make *test*</code> to run it, and <em>read</em> the <strong>docs</strong>.</p>"
      "</article>";
  riptide_document *d = extract(html, RIPTIDE_MODE_ARTICLE, NULL);
  assert_non_null(strstr(d->markdown, "| Year | Count |\n| --- | --- |\n| 2023 | 1\\|2 |"));
  assert_non_null(strstr(d->markdown, "```\nint main(void)\n{\n  return 0;\n}\n```"));
  assert_non_null(strstr(d->markdown, "`make *test*`"));
  assert_non_null(strstr(d->markdown, "*read* the **docs**.")); /* the guest's markers */
  assert_non_null(strstr(d->text, "int main(void)\n{\n  return 0;\n}"));
  riptide_document_free(d);
}

static void test_hostile_inputs(void **state)
{
  (void)state;
  riptide_document *d = NULL;
  /* Empty: a document with empty content. */
  assert_int_equal(riptide_extract_native("", 0, NULL, NULL, &d), RIPTIDE_OK);
  assert_string_equal(d->text, "");
  riptide_document_free(d);
  /* 100,000 nested divs with text at the bottom: bounded stack, a result. */
  size_t depth = 100000;
  size_t cap = depth * 11 + 64;
  char *deep = malloc(cap);
  size_t n = 0;
  for (size_t i = 0; i < depth; i++) {
    memcpy(deep + n, "<div>", 5);
    n += 5;
  }
  n += (size_t)snprintf(deep + n, cap - n, "deep text");
  for (size_t i = 0; i < depth; i++) {
    memcpy(deep + n, "</div>", 6);
    n += 6;
  }
  assert_int_equal(riptide_extract_native(deep, n, NULL, NULL, &d), RIPTIDE_OK);
  riptide_document_free(d);
  free(deep);
  /* One attribute of 4 MiB. */
  size_t big = 4u << 20;
  char *attr = malloc(big + 64);
  n = (size_t)snprintf(attr, 64, "<p title=\"");
  memset(attr + n, 'a', big);
  n += big;
  n += (size_t)snprintf(attr + n, 64, "\">hello</p>");
  assert_int_equal(riptide_extract_native(attr, n, NULL, NULL, &d), RIPTIDE_OK);
  assert_non_null(strstr(d->text, "hello"));
  riptide_document_free(d);
  free(attr);
  /* NUL bytes and junk. */
  const char junk[] = "<p>a\0b</p>\x01\x02<<<>>></p></div><td><![CDATA[x";
  assert_int_equal(riptide_extract_native(junk, sizeof junk - 1, NULL, NULL, &d), RIPTIDE_OK);
  riptide_document_free(d);
  /* Invalid arguments. */
  assert_int_equal(riptide_extract_native(NULL, 5, NULL, NULL, &d), RIPTIDE_ERR_INVALID_ARG);
  assert_int_equal(riptide_extract_native("x", 1, NULL, NULL, NULL), RIPTIDE_ERR_INVALID_ARG);
}

/* data:, javascript: and vbscript: URLs never reach links, media or the Markdown, whatever
 * their case or the whitespace inside the scheme; ordinary links stay. */
static void test_unsafe_urls_dropped(void **state)
{
  (void)state;
  const char html[] =
      "<html><head><meta property=\"og:image\" content=\"data:image/png;base64,AAAA\"></head>"
      "<body><article>"
      "<p>A paragraph that is long enough to be chosen as the article's content, with a "
      "<a href=\"javascript:alert(1)\">script link</a>, a "
      "<a href=\" JaVaScRiPt:alert(2)\">mixed-case one</a>, a "
      "<a href=\"java&#9;script:alert(3)\">tabbed one</a>, a "
      "<a href=\"vbscript:msgbox(1)\">vb link</a>, a "
      "<a href=\"data:text/html,&lt;script&gt;alert(4)&lt;/script&gt;\">data link</a> and a "
      "<a href=\"/safe\">safe link</a>.</p>"
      "<img src=\"data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=\" alt=\"inline\">"
      "<img src=\"javascript:alert(5)\" alt=\"script image\">"
      "<img src=\"data:image/gif;base64,R0lGOD\" data-src=\"/real.png\" alt=\"lazy\">"
      "<video src=\"vbscript:x\"></video>"
      "<p>Another paragraph of ordinary words, so that the article has enough text in it to "
      "be the main content of the page without any doubt at all.</p>"
      "</article></body></html>";
  riptide_options o;
  riptide_options_init(&o);
  riptide_document *d = NULL;
  assert_int_equal(
      riptide_extract_native(html, sizeof html - 1, "https://ex.test/a/page.html", &o, &d),
      RIPTIDE_OK);
  bool safe = false;
  for (size_t i = 0; i < d->n_links; i++) {
    const char *h = d->links[i].href;
    assert_null(strcasestr(h, "script:"));
    assert_null(strcasestr(h, "data:"));
    if (strcmp(h, "https://ex.test/safe") == 0)
      safe = true;
  }
  assert_true(safe);
  bool lazy = false;
  for (size_t i = 0; i < d->n_media; i++) {
    assert_null(strcasestr(d->media[i].src, "script:"));
    assert_null(strcasestr(d->media[i].src, "data:"));
    if (strcmp(d->media[i].src, "https://ex.test/real.png") == 0)
      lazy = true;
  }
  assert_true(lazy);
  assert_null(strcasestr(d->markdown, "script:"));
  assert_null(strcasestr(d->markdown, "data:"));
  assert_non_null(strstr(d->markdown, "script link")); /* the text of a dropped link stays */
  riptide_document_free(d);
}

/* List items that show nothing - empty, whitespace, a lone <br>, an icon-only link, an image
 * without images - are no "-" or "N." lines of their own, an item of one image is
 * "- ![alt](src)", and a block inside an item starts on the marker's line. The page is
 * test_extract's list-items-blank case; the guest must give the same Markdown. */
static const char LIST_PAGE[] =
    "<html><head><title>Winter feeding</title></head><body><article><h1>Winter feeding</h1>\n"
    "<p>Feeding garden birds through the winter helps them survive the coldest weeks, and a few "
    "simple habits make the difference between a busy feeder and an empty one.</p>\n"
    "<ol><li></li>"
    "<li>Fill the feeder with seed early in the morning, before the first birds arrive at the "
    "hedge.</li>"
    "<li><img src=\"/img/seed.jpg\" alt=\"Sunflower seed\"></li><li>&nbsp;</li><li><br></li><li>"
    "<a href=\"/share\"><svg><path d=\"M0 0\"/></svg></a></li>"
    "<li>Break the ice on the water bowl and fill it up again with fresh water from the tap.</li>"
    "</ol>\n"
    "<ul><li>"
    "<p>Clean the feeders every fortnight so that disease does not spread among the visitors to "
    "the garden.</p>"
    "</li><li><p><img src=\"/img/robin.jpg\" alt=\"A robin\"></p></li>"
    "<li>Robins and blackbirds feed on the ground<ul><li> </li>"
    "<li>under the hedge, turning over the leaves</li></ul></li><li><span> </span></li></ul>\n"
    "<p>Later in the season the finches arrive in small flocks, and they stay until the first warm "
    "days of spring, when the natural food comes back.</p>\n"
    "</article></body></html>\n";

static bool bare_marker_line(const char *md)
{
  for (const char *l = md; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    const char *p = l;
    while (*p == ' ' || *p == '>')
      p++;
    const char *m = p;
    while (*p >= '0' && *p <= '9')
      p++;
    if (p > m ? *p == '.' : *p == '-') {
      p++;
      while (*p == ' ')
        p++;
      if (*p == '\n' || *p == '\0')
        return true;
    }
  }
  return false;
}

/* The guest's result for the same page (a pool of one slot): its field (text or Markdown) must
 * equal the fallback's from `from` on, i.e. from the first paragraph (whether the <h1> repeating
 * the title stays is another rule). */
static void assert_guest_same_from(riptide_pool *pool, const char *page, const char *url,
                                   const riptide_options *o, bool markdown, const char *fallback,
                                   const char *from)
{
  riptide_document *g = NULL;
  assert_int_equal(riptide_pool_extract(pool, page, strlen(page), url, o, &g), RIPTIDE_OK);
  assert_string_equal(g->engine, "wasm");
  const char *body = strstr(fallback, from),
             *gbody = strstr(markdown ? g->markdown : g->text, from);
  assert_non_null(body);
  assert_non_null(gbody);
  assert_string_equal(gbody, body);
  riptide_document_free(g);
}

static riptide_pool *one_slot_pool(void)
{
  riptide_pool_config pc;
  riptide_pool_config_init(&pc);
  pc.max_slots = 1;
  pc.warm_slots = 1;
  riptide_pool *pool = NULL;
  assert_int_equal(riptide_pool_new(&pc, &pool), RIPTIDE_OK);
  return pool;
}

static void test_list_items_blank(void **state)
{
  (void)state;
  riptide_pool *pool = one_slot_pool();
  for (int media = 0; media < 2; media++) {
    riptide_options o;
    riptide_options_init(&o);
    o.want_media = media;
    riptide_document *d = NULL;
    assert_int_equal(
        riptide_extract_native(LIST_PAGE, strlen(LIST_PAGE), "https://example.org/garden/", &o, &d),
        RIPTIDE_OK);
    const char *md = d->markdown;
    assert_false(bare_marker_line(md));
    assert_null(strstr(md, "[]("));
    assert_non_null(strstr(md, "empty one.\n\n1. Fill the feeder with seed early"));
    assert_non_null(
        strstr(md, media ? "hedge.\n2. ![Sunflower seed](https://example.org/img/seed.jpg)"
                           "\n3. Break the ice"
                         : "hedge.\n2. Break the ice"));
    assert_non_null(strstr(md, "\n\n- Clean the feeders every fortnight"));
    assert_true((strstr(md, "\n\n- ![A robin](https://example.org/img/robin.jpg)\n") != NULL) ==
                media);
    assert_non_null(
        strstr(md, "\n- Robins and blackbirds feed on the ground\n  - under the hedge"));
    assert_non_null(strstr(md, "leaves\n\nLater in the season"));

    assert_guest_same_from(pool, LIST_PAGE, "https://example.org/garden/", &o, true, md,
                           "Feeding garden birds");
    riptide_document_free(d);
  }
  riptide_pool_free(pool);
}

static void test_samples_if_present(void **state)
{
  (void)state;
  /* The bundled demo pages: each has an article, and none may leak its boilerplate. */
  const char *names[] = {"samples/harbour-lights.html", "samples/sourdough-science.html",
                         "samples/rust-belt-rail.html"};
  int found = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    FILE *f = fopen(names[i], "rb");
    if (!f)
      continue;
    found++;
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    riptide_document *d = NULL;
    assert_int_equal(riptide_extract_native(buf, n, "https://example.org/x", NULL, &d), RIPTIDE_OK);
    assert_non_null(d->title);
    assert_true(d->word_count > 200);
    assert_null(strstr(d->text, "Subscribe to our newsletter"));
    assert_null(strstr(d->text, "All rights reserved"));
    riptide_document_free(d);
    free(buf);
  }
  if (!found)
    skip();
}

/* MathML reads as its symbols, as in the guest (test_extract's mathml-in-text case): the
 * tokens' text in document order, without the annotations (TeX, markup) and without alttext;
 * <annotation> outside <math> is an unknown HTML element, whose text stays; a MathJax
 * container ("MathJax CtxtMenu_...") is no menu. Both engines give the same text. */
static const char MATH_PAGE[] =
    "<html><head><title>Quadratic formula</title></head><body><article>"
    "<h1>Quadratic formula</h1>\n"
    "<p>Every quadratic equation can be brought into the form <math "
    "xmlns=\"http://www.w3.org/1998/Math/MathML\" alttext=\"ax^2+bx+c=0\">"
    "<semantics><mrow><mi>a</mi> <msup><mi>x</mi> <mn>2</mn></msup> <mo>+</mo> <mi>b</mi>"
    "<mi>x</mi><mo>+</mo><mi>c</mi><mo>=</mo><mn>0</mn></mrow>"
    "<annotation encoding=\"application/x-tex\">ax^2+bx+c=0</annotation>"
    "<annotation-xml encoding=\"text/html\"><span>markup source</span></annotation-xml>"
    "</semantics>"
    "</math> before it is solved, and the rest of this lesson assumes it has been.</p>\n"
    "<p>A formula given only as alttext <math alttext=\"D=b^2-4ac\">"
    "</math> shows nothing, and a stray <annotation>word outside</annotation> a formula is "
    "ordinary text in this sentence.</p>\n"
    "<mjx-container class=\"MathJax CtxtMenu_Attached_0\" jax=\"CHTML\">"
    "<mjx-math aria-hidden=\"true\"><mjx-mi><mjx-c></mjx-c></mjx-mi></mjx-math>"
    "<mjx-assistive-mml display=\"block\"><math display=\"block\"><mi>x</mi><mo>=</mo><mfrac>"
    "<mrow><mo>-</mo><mi>b</mi></mrow><mrow><mn>2</mn><mi>a</mi></mrow></mfrac></math>"
    "</mjx-assistive-mml></mjx-container>\n"
    "<p>When the discriminant is positive there are two real solutions, when it is zero there is "
    "one, and when it is negative the two solutions are complex conjugates.</p>\n"
    "</article></body></html>\n";

static void test_mathml_as_guest(void **state)
{
  (void)state;
  riptide_document *d = extract(MATH_PAGE, RIPTIDE_MODE_ARTICLE, NULL);
  assert_non_null(strstr(d->text, "brought into the form a x 2 + bx+c=0 before it is solved"));
  assert_non_null(strstr(d->text, "given only as alttext shows nothing, and a stray word outside"));
  assert_non_null(strstr(d->text, "\n\nx=-b2a\n\nWhen the discriminant"));
  assert_null(strstr(d->text, "ax^2"));
  assert_null(strstr(d->text, "markup source"));
  assert_null(strstr(d->text, "D=b^2"));
  assert_non_null(strstr(d->markdown, "the form a x 2 + bx+c=0 before"));

  riptide_pool *pool = one_slot_pool();
  riptide_options o;
  riptide_options_init(&o);
  assert_guest_same_from(pool, MATH_PAGE, "https://news.example.com/2024/03/tides.html", &o, false,
                         d->text, "Every quadratic");
  riptide_pool_free(pool);
  riptide_document_free(d);
}

/* No-break spaces read as spaces, and private-use glyphs (icon fonts) are dropped, in the
 * text, the Markdown and the title, by both engines. */
static const char NBSP_PAGE[] =
    "<!DOCTYPE html><html><head><title>Tides&nbsp;and&nbsp;&nbsp;currents</title></head><body>"
    "<article><h1>Tides&nbsp;and&nbsp;&nbsp;currents</h1>\n"
    "<p>The&nbsp;tide&nbsp;&nbsp;rises twice a day on most coasts, \xC2\xA0 and the range "
    "between high and low water depends on the moon, the sun and the shape of the shore.</p>\n"
    "<p><i class=\"icon\">&#xE001;</i>&nbsp;Spring tides come after a new or full moon, "
    "when the pull of sun and moon adds up; neap\xEF\x80\x81tides come between them, when "
    "the two pull at right angles and the range is smallest.</p>\n"
    "<p>Harbour masters publish tables<b> </b> a year ahead, and<code></code> sailors read "
    "them<em><i>\xEE\x80\x82</i></em> before every "
    "passage, because a shallow bar can only be crossed near high water.</p>\n"
    "</article></body></html>\n";

#define TIDES_URL "https://news.example.com/2024/03/tides.html"
static void test_nbsp_and_icons_as_guest(void **state)
{
  (void)state;
  riptide_document *d = extract(NBSP_PAGE, RIPTIDE_MODE_ARTICLE, NULL);
  assert_string_equal(d->title, "Tides and currents");
  assert_non_null(strstr(d->text, "The tide rises twice a day on most coasts, and the range"));
  assert_non_null(strstr(d->text, "\n\nSpring tides come after"));
  assert_non_null(strstr(d->text, "adds up; neaptides come between"));
  assert_null(strstr(d->text, "\xC2\xA0"));
  assert_null(strstr(d->markdown, "\xC2\xA0"));
  assert_null(strstr(d->text, "\xEE\x80\x81"));
  assert_non_null(strstr(d->markdown, "The tide rises twice a day"));

  riptide_pool *pool = one_slot_pool();
  riptide_options o;
  riptide_options_init(&o);
  riptide_document *g = NULL;
  assert_int_equal(riptide_pool_extract(pool, NBSP_PAGE, strlen(NBSP_PAGE), TIDES_URL, &o, &g),
                   RIPTIDE_OK);
  assert_string_equal(g->title, d->title);
  /* spans that show nothing leave no markers */
  assert_non_null(strstr(g->markdown, "tables a year ahead, and sailors read them before every"));
  assert_non_null(strstr(d->markdown, "tables a year ahead, and sailors read them before every"));
  riptide_document_free(g);
  assert_guest_same_from(pool, NBSP_PAGE, TIDES_URL, &o, false, d->text, "The tide");
  assert_guest_same_from(pool, NBSP_PAGE, TIDES_URL, &o, true, d->markdown, "The tide");
  riptide_pool_free(pool);
  riptide_document_free(d);
}

/* A heading that shows nothing is no "##" line, and one holding blocks or <br> stays one line,
 * in both engines; the fallback writes one blank quote line (">") between a quote's paragraphs and
 * none at the end of the Markdown. */
static const char QUOTE_PAGE[] =
    "<!DOCTYPE html><html><head><title>Harbour notes</title></head><body><article>\n"
    "<h2></h2><p>The harbour was dredged in the spring, and the channel is now deep enough for "
    "the larger ferries to come in at any state of the tide.</p>\n"
    "<h3><br></h3><p>The fishermen were not all pleased, because the dredging moved the sand "
    "banks where the bass used to feed in the autumn.</p>\n"
    "<h2><i class=\"icon\"></i></h2>\n"
    "<h2><div><a name=\"toc-2\"></a>2. The new channel</div><div>and the ferries</div></h2>\n"
    "<p>Ferries of up to a hundred metres can now berth at the east quay, which was rebuilt in "
    "the same winter.</p>\n"
    "<h3>Line one<br>line two</h3>\n"
    "<p>The council's answer was short:<strong> Priority:</strong> safety first, and<em><b> "
    "nested emphasis</b></em> for the budget, said the mayor at the meeting in June.</p>\n"
    "<blockquote><p>We will lose a season, maybe two, before the fish find the new banks, said "
    "one of the skippers who has fished here for forty years.</p>\n"
    "<p>Then it will be as it was, and the ferries will be a sight to see from the pier.</p>"
    "</blockquote>\n"
    "<p>The harbour master says the channel will be surveyed again next year and dredged only "
    "if the sand comes back faster than expected.</p>\n"
    "<blockquote><p>The survey costs less than a single day of lost ferry traffic, the harbour "
    "master added when the council asked him about the budget.</p></blockquote>\n"
    "</article></body></html>\n";

static bool has_line(const char *md, const char *line)
{
  size_t n = strlen(line);
  for (const char *l = md; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
    if (strncmp(l, line, n) == 0 && (l[n] == '\n' || l[n] == '\0'))
      return true;
  return false;
}

static void test_empty_headings_and_quotes(void **state)
{
  (void)state;
  riptide_document *d = extract(QUOTE_PAGE, RIPTIDE_MODE_ARTICLE, NULL);
  riptide_pool *pool = one_slot_pool();
  riptide_options o;
  riptide_options_init(&o);
  o.want_markdown = true;
  riptide_document *g = NULL;
  assert_int_equal(riptide_pool_extract(pool, QUOTE_PAGE, strlen(QUOTE_PAGE), TIDES_URL, &o, &g),
                   RIPTIDE_OK);
  const char *mds[2] = {d->markdown, g->markdown};
  for (int i = 0; i < 2; i++) {
    const char *md = mds[i];
    assert_false(has_line(md, "##"));
    assert_false(has_line(md, "###"));
    assert_non_null(strstr(md, "any state of the tide.\n\nThe fishermen"));
    assert_non_null(
        strstr(md, "in the autumn.\n\n## 2. The new channel and the ferries\n\nFerries"));
    assert_non_null(strstr(md, "same winter.\n\n### Line one line two\n\nThe council"));
    assert_non_null(strstr(md, "forty years.\n>\n> Then it will be"));
    assert_null(strstr(md, ">\n>\n"));
    /* a space at the start of emphasis goes before its markers */
    assert_non_null(strstr(md, "was short: **Priority:** safety first, and "));
    assert_non_null(strstr(md, "in June.\n\n> We will lose a season"));
    assert_non_null(strstr(md, "*nested emphasis*"));
    assert_null(strstr(md, "* nested"));
    assert_null(strstr(md, "_ nested"));
    size_t n = strlen(md);
    assert_true(n > 0 && md[n - 1] != '>' && md[n - 1] != '\n');
  }
  riptide_document_free(g);
  riptide_pool_free(pool);
  riptide_document_free(d);
}

/* Line breaks (<br>) in Markdown, both engines: a hard break comes after the markers closing a
 * span on its line, a second <br> in a row adds nothing, a <br> in a code span is a space and
 * in <pre> a line; text at a line's start that would read as block syntax is escaped; code
 * spans are verbatim, fenced by more backticks than they hold. */
static const char BR_PAGE[] =
    "<!DOCTYPE html><html><head><title>Release notes</title></head><body><article>\n"
    "<p>The release brings many changes to the game, listed here in the order they were "
    "made.<br><br><b>Blocks<br></b>The stone blocks come in smooth versions now, and the slime "
    "block bounces.<br>+ Added Granite<br>1. Not a list<br># Not a heading<br>- Not a bullet</p>\n"
    "<p>To check the server, type <code>rehash<br>which server</code> in a shell, and then "
    "read what it prints before you go on with the upgrade.</p>\n"
    "<pre>make<br>make install</pre>\n"
    "<p>Then run <code>ldd `which server`</code> to see its libraries, and set "
    "<code>default_bits = 2048</code> in the configuration file of the server.</p>\n"
    "<p>It is <b>bold <strong>inside</strong> bold</b> and <i>italic <em>inside</em> "
    "italic</i>, which does not nest in Markdown, so the inner markers are left out.</p>\n"
    "<b><p>A bold paragraph that holds the warning about backups before the upgrade.</p>"
    "<p>And another paragraph in the same bold element, about the old worlds.</p></b>\n"
    "<p>The upgrade keeps the worlds made with the older version, and converts them the first "
    "time they are opened.</p>\n"
    "</article></body></html>\n";

static void test_line_breaks_as_guest(void **state)
{
  (void)state;
  riptide_document *d = extract(BR_PAGE, RIPTIDE_MODE_ARTICLE, NULL);
  riptide_pool *pool = one_slot_pool();
  riptide_options o;
  riptide_options_init(&o);
  o.want_markdown = true;
  riptide_document *g = NULL;
  assert_int_equal(riptide_pool_extract(pool, BR_PAGE, strlen(BR_PAGE), TIDES_URL, &o, &g),
                   RIPTIDE_OK);
  /* the guest writes a hard break as "\\", the fallback as two spaces */
  const char *mds[2] = {g->markdown, d->markdown}, *hb[2] = {"\\\n", "  \n"};
  for (int i = 0; i < 2; i++) {
    const char *md = mds[i];
    char want[256];
    snprintf(want, sizeof want, "were made.%s**Blocks**%sThe stone blocks", hb[i], hb[i]);
    assert_non_null(strstr(md, want));
    snprintf(want, sizeof want,
             "bounces.%s\\+ Added Granite%s1\\. Not a list%s\\# Not a "
             "heading%s\\- Not a bullet\n\n",
             hb[i], hb[i], hb[i], hb[i]);
    assert_non_null(strstr(md, want));
    assert_non_null(strstr(md, "type `rehash which server` in a shell"));
    assert_non_null(strstr(md, "```\nmake\nmake install\n```"));
    /* code spans: verbatim, in a fence longer than the backticks inside */
    assert_non_null(strstr(md, "Then run `` ldd `which server` `` to see"));
    assert_non_null(strstr(md, "and set `default_bits = 2048` in"));
    /* emphasis does not nest with its kind, nor cross blocks */
    assert_non_null(strstr(md, "It is **bold inside bold** and "));
    assert_true(strstr(md, "and *italic inside italic*,") ||
                strstr(md, "and _italic inside italic_,"));
    assert_non_null(strstr(md, "\n\nA bold paragraph that holds"));
    assert_non_null(strstr(md, "about the old worlds.\n"));
  }
  riptide_document_free(g);
  riptide_pool_free(pool);
  riptide_document_free(d);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_article_content),
      cmocka_unit_test(test_metadata),
      cmocka_unit_test(test_links_media_markdown),
      cmocka_unit_test(test_output_controls),
      cmocka_unit_test(test_canonical_as_base),
      cmocka_unit_test(test_modes),
      cmocka_unit_test(test_title_rules),
      cmocka_unit_test(test_table_and_code),
      cmocka_unit_test(test_hostile_inputs),
      cmocka_unit_test(test_unsafe_urls_dropped),
      cmocka_unit_test(test_samples_if_present),
      cmocka_unit_test(test_list_items_blank),
      cmocka_unit_test(test_mathml_as_guest),
      cmocka_unit_test(test_nbsp_and_icons_as_guest),
      cmocka_unit_test(test_empty_headings_and_quotes),
      cmocka_unit_test(test_line_breaks_as_guest),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
