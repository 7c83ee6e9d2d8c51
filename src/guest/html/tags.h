/*
 * tags.h - interned ids of the element names the parser and extractor know.
 * Names not listed here get HTML_TAG_UNKNOWN and keep their name string.
 */
#ifndef HTML_TAGS_H
#define HTML_TAGS_H

#include <stddef.h>
#include <stdint.h>

/* clang-format off */
#define HTML_TAG_LIST(X) \
  X(A, "a") \
  X(ABBR, "abbr") \
  X(ADDRESS, "address") \
  X(APPLET, "applet") \
  X(AREA, "area") \
  X(ARTICLE, "article") \
  X(ASIDE, "aside") \
  X(AUDIO, "audio") \
  X(B, "b") \
  X(BASE, "base") \
  X(BASEFONT, "basefont") \
  X(BDI, "bdi") \
  X(BDO, "bdo") \
  X(BGSOUND, "bgsound") \
  X(BIG, "big") \
  X(BLINK, "blink") \
  X(BLOCKQUOTE, "blockquote") \
  X(BODY, "body") \
  X(BR, "br") \
  X(BUTTON, "button") \
  X(CANVAS, "canvas") \
  X(CAPTION, "caption") \
  X(CENTER, "center") \
  X(CITE, "cite") \
  X(CODE, "code") \
  X(COL, "col") \
  X(COLGROUP, "colgroup") \
  X(DATA, "data") \
  X(DATALIST, "datalist") \
  X(DD, "dd") \
  X(DEL, "del") \
  X(DETAILS, "details") \
  X(DFN, "dfn") \
  X(DIALOG, "dialog") \
  X(DIR, "dir") \
  X(DIV, "div") \
  X(DL, "dl") \
  X(DT, "dt") \
  X(EM, "em") \
  X(EMBED, "embed") \
  X(FIELDSET, "fieldset") \
  X(FIGCAPTION, "figcaption") \
  X(FIGURE, "figure") \
  X(FONT, "font") \
  X(FOOTER, "footer") \
  X(FORM, "form") \
  X(FRAME, "frame") \
  X(FRAMESET, "frameset") \
  X(H1, "h1") \
  X(H2, "h2") \
  X(H3, "h3") \
  X(H4, "h4") \
  X(H5, "h5") \
  X(H6, "h6") \
  X(HEAD, "head") \
  X(HEADER, "header") \
  X(HGROUP, "hgroup") \
  X(HR, "hr") \
  X(HTML, "html") \
  X(I, "i") \
  X(IFRAME, "iframe") \
  X(IMAGE, "image") \
  X(IMG, "img") \
  X(INPUT, "input") \
  X(INS, "ins") \
  X(KBD, "kbd") \
  X(KEYGEN, "keygen") \
  X(LABEL, "label") \
  X(LEGEND, "legend") \
  X(LI, "li") \
  X(LINK, "link") \
  X(LISTING, "listing") \
  X(MAIN, "main") \
  X(MAP, "map") \
  X(MARK, "mark") \
  X(MARQUEE, "marquee") \
  X(MENU, "menu") \
  X(MENUITEM, "menuitem") \
  X(META, "meta") \
  X(METER, "meter") \
  X(NAV, "nav") \
  X(NOBR, "nobr") \
  X(NOEMBED, "noembed") \
  X(NOFRAMES, "noframes") \
  X(NOSCRIPT, "noscript") \
  X(OBJECT, "object") \
  X(OL, "ol") \
  X(OPTGROUP, "optgroup") \
  X(OPTION, "option") \
  X(OUTPUT, "output") \
  X(P, "p") \
  X(PARAM, "param") \
  X(PICTURE, "picture") \
  X(PLAINTEXT, "plaintext") \
  X(PRE, "pre") \
  X(PROGRESS, "progress") \
  X(Q, "q") \
  X(RB, "rb") \
  X(RP, "rp") \
  X(RT, "rt") \
  X(RTC, "rtc") \
  X(RUBY, "ruby") \
  X(S, "s") \
  X(SAMP, "samp") \
  X(SCRIPT, "script") \
  X(SEARCH, "search") \
  X(SECTION, "section") \
  X(SELECT, "select") \
  X(SLOT, "slot") \
  X(SMALL, "small") \
  X(SOURCE, "source") \
  X(SPAN, "span") \
  X(STRIKE, "strike") \
  X(STRONG, "strong") \
  X(STYLE, "style") \
  X(SUB, "sub") \
  X(SUMMARY, "summary") \
  X(SUP, "sup") \
  X(TABLE, "table") \
  X(TBODY, "tbody") \
  X(TD, "td") \
  X(TEMPLATE, "template") \
  X(TEXTAREA, "textarea") \
  X(TFOOT, "tfoot") \
  X(TH, "th") \
  X(THEAD, "thead") \
  X(TIME, "time") \
  X(TITLE, "title") \
  X(TR, "tr") \
  X(TRACK, "track") \
  X(TT, "tt") \
  X(U, "u") \
  X(UL, "ul") \
  X(VAR, "var") \
  X(VIDEO, "video") \
  X(WBR, "wbr") \
  X(XMP, "xmp") \
  X(SVG, "svg") \
  X(MATH, "math") \
  X(MI, "mi") \
  X(MO, "mo") \
  X(MN, "mn") \
  X(MS, "ms") \
  X(MTEXT, "mtext") \
  X(ANNOTATION_XML, "annotation-xml") \
  X(FOREIGNOBJECT, "foreignobject") \
  X(DESC, "desc") \
  X(MGLYPH, "mglyph") \
  X(MALIGNMARK, "malignmark")
/* clang-format on */

typedef enum html_tag {
  HTML_TAG_UNKNOWN = 0,
#define HTML_TAG_ENUM_(id, name) HTML_TAG_##id,
  HTML_TAG_LIST(HTML_TAG_ENUM_)
#undef HTML_TAG_ENUM_
      HTML_TAG_COUNT_
} html_tag;

/* Looks up a lower-case ASCII name; HTML_TAG_UNKNOWN when not listed. */
html_tag html_tag_lookup(const char *name, size_t len);
/* The lower-case name of a known tag ("" for HTML_TAG_UNKNOWN). */
const char *html_tag_name(html_tag t);
/* strlen(html_tag_name(t)), from a table. */
size_t html_tag_name_len(html_tag t);

#endif
