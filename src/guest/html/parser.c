/*
 * parser.c - HTML5 tree construction (WHATWG HTML, "13.2.6 Tree construction").
 *
 * DESIGN
 * The parser pulls tokens from the tokenizer and runs them through the insertion mode of the
 * spec ("initial" ... "after after frameset"), or through the rules for foreign content when
 * the adjusted current node is an SVG/MathML element that is not an integration point. Each
 * mode is one function named after the spec; it returns true when the token must be
 * reprocessed (the mode changed, or, for a run of characters, only a prefix was consumed and
 * the token's data now points at the rest).
 *
 * State (one struct html_parser per parse, bound to one thread):
 *   - the stack of open elements: a growable array; stack[0] is the html element. Elements on
 *     it carry PF_ON_STACK and their index (dom_node.parser_index). A parallel array of links
 *     chains, per entry, the previous element with the same tag id, the previous boundary of
 *     each scope kind and the previous special element, with the topmost of each kept in
 *     last_tag[] / last_b[] / last_special. So "has an element in scope", "any other end tag"
 *     for known names, the foster-parenting table/template lookup and "reset the insertion mode"
 *     are O(1), whatever the depth. Unknown names and SVG/MathML names are counted per name hash
 *     (html_buckets / foreign_buckets), so a stray end tag whose name is not open costs O(1).
 *   - the list of active formatting elements: an array of element pointers, NULL = marker.
 *     Members carry PF_IN_AFE; afe_count[] counts entries per tag id. The Noah's Ark clause
 *     compares with the last RT_PARSER_NOAH_SCAN entries after the last marker only, so 100,000
 *     distinct nested <b id=N> stay linear.
 *   - the stack of template insertion modes, head/form element pointers, frameset-ok, foster
 *     parenting, the pending table character buffer.
 *
 * What cannot be O(1) - the adoption agency on a deep stack, removing from or inserting into
 * the middle of the stack (its links are rebuilt above that point), end tags of unknown or
 * foreign names that are open, pairwise attribute-set comparisons - is charged to a work budget
 * of RT_PARSER_WORK_PER_BYTE steps per input byte plus RT_PARSER_WORK_BASE. Past it the parse
 * stops with HTML_PARSE_LIMIT: hostile input gets a clear error in linear time instead of a
 * quadratic run; the dev corpus uses at most 0.06 steps per byte.
 *
 * Every algorithm is iterative. Depth: the stack never exceeds RT_PARSER_MAX_DEPTH; when an
 * element would be pushed beyond it, the current node is popped first, so deeper content is
 * flattened into siblings at that depth instead of nesting further (documented in limits.h).
 *
 * Memory: the dom_doc arena gets half of opts->mem_limit, the tokenizer the other half; the
 * parser's own arrays (stack, AFE, template modes, pending table text) are counted against the
 * DOM half. Going over returns HTML_PARSE_NOMEM.
 */
#include "parser.h"

#include "common/limits.h"
#include "tokenizer.h"

#include <stdlib.h>
#include <string.h>

/* Parser-private node flags (bits 1-15 of dom_node.flags belong to the parser). */
#define PF_ON_STACK 0x100u
#define PF_IN_AFE 0x200u
#define PF_HTML_IP 0x400u /* MathML annotation-xml that is an HTML integration point */

typedef enum mode {
  M_INITIAL,
  M_BEFORE_HTML,
  M_BEFORE_HEAD,
  M_IN_HEAD,
  M_IN_HEAD_NOSCRIPT,
  M_AFTER_HEAD,
  M_IN_BODY,
  M_TEXT,
  M_IN_TABLE,
  M_IN_TABLE_TEXT,
  M_IN_CAPTION,
  M_IN_COLUMN_GROUP,
  M_IN_TABLE_BODY,
  M_IN_ROW,
  M_IN_CELL,
  M_IN_SELECT,
  M_IN_SELECT_IN_TABLE,
  M_IN_TEMPLATE,
  M_AFTER_BODY,
  M_IN_FRAMESET,
  M_AFTER_FRAMESET,
  M_AFTER_AFTER_BODY,
  M_AFTER_AFTER_FRAMESET,
  M_COUNT_
} mode;

/* A token as the tree builder sees it: the tokenizer's token plus its interned tag id. The
 * builder synthesises some (an implied <p>, <br> for </br>, <img> for <image>). */
typedef struct tk {
  html_token_type type;
  html_tag tag;
  const char *name;
  uint32_t name_len;
  const char *data;
  uint32_t data_len;
  const html_token_attr *attrs;
  uint32_t n_attrs;
  bool self_closing;
  const html_token *raw;
} tk;

#define NAME_BUCKETS 256

/* Chain links of one stack entry: the previous entry with the same tag id, the previous
 * boundary of each scope, the previous special element (indexes, -1 = none). */
typedef struct slink {
  int32_t prev_same, prev_special;
  int32_t prev_b[5];
} slink;

typedef struct html_parser {
  dom_doc *doc;
  html_tokenizer *tok;
  size_t budget; /* bytes allowed for doc arena + parser arrays */
  size_t aux_used;
  html_parse_status status;

  mode mode, orig_mode;
  dom_node **stack;
  slink *links; /* parallel to stack, same capacity */
  size_t n_stack, cap_stack;
  int32_t last_tag[HTML_TAG_COUNT_];      /* topmost HTML element per tag id, -1 = none */
  int32_t last_b[5];                      /* topmost boundary per scope, -1 = none */
  int32_t last_special;                   /* topmost special element, -1 = none */
  uint32_t html_buckets[NAME_BUCKETS];    /* HTML elements of unknown tag, by name hash */
  uint32_t foreign_buckets[NAME_BUCKETS]; /* SVG/MathML elements, by lower-cased name hash */
  uint64_t work, work_limit; /* 64-bit: products of 32-bit counts are charged on wasm32 too */

  dom_node **afe;
  size_t n_afe, cap_afe;
  uint32_t afe_count[HTML_TAG_COUNT_]; /* entries per tag id (markers not counted) */

  uint8_t *tmodes;
  size_t n_tmodes, cap_tmodes;

  char *pending;
  size_t n_pending, cap_pending;
  bool pending_non_ws;

  dom_node *head, *form, *context;
  bool fragment, scripting, frameset_ok, foster, ignore_lf;
} html_parser;

typedef bool (*mode_fn)(html_parser *p, tk *t);
static bool dispatch_mode(html_parser *p, mode m, tk *t);

/* ---- tag classes --------------------------------------------------------------------------- */

enum {
  TF_SPECIAL = 1 << 0,
  TF_SCOPE = 1 << 1,      /* boundary of the default scope (HTML namespace part) */
  TF_FORMATTING = 1 << 2, /* a b big code em font i nobr s small strike strong tt u */
  TF_IMPLIED = 1 << 3,    /* generate implied end tags */
  TF_IMPLIED_ALL = 1 << 4,
  TF_HEADING = 1 << 5,
};

#define T(x) HTML_TAG_##x
static const uint8_t tag_flags[HTML_TAG_COUNT_] = {
    [T(ADDRESS)] = TF_SPECIAL,
    [T(APPLET)] = TF_SPECIAL | TF_SCOPE,
    [T(AREA)] = TF_SPECIAL,
    [T(ARTICLE)] = TF_SPECIAL,
    [T(ASIDE)] = TF_SPECIAL,
    [T(BASE)] = TF_SPECIAL,
    [T(BASEFONT)] = TF_SPECIAL,
    [T(BGSOUND)] = TF_SPECIAL,
    [T(BLOCKQUOTE)] = TF_SPECIAL,
    [T(BODY)] = TF_SPECIAL,
    [T(BR)] = TF_SPECIAL,
    [T(BUTTON)] = TF_SPECIAL,
    [T(CAPTION)] = TF_SPECIAL | TF_SCOPE | TF_IMPLIED_ALL,
    [T(CENTER)] = TF_SPECIAL,
    [T(COL)] = TF_SPECIAL,
    [T(COLGROUP)] = TF_SPECIAL | TF_IMPLIED_ALL,
    [T(DD)] = TF_SPECIAL | TF_IMPLIED | TF_IMPLIED_ALL,
    [T(DETAILS)] = TF_SPECIAL,
    [T(DIR)] = TF_SPECIAL,
    [T(DIV)] = TF_SPECIAL,
    [T(DL)] = TF_SPECIAL,
    [T(DT)] = TF_SPECIAL | TF_IMPLIED | TF_IMPLIED_ALL,
    [T(EMBED)] = TF_SPECIAL,
    [T(FIELDSET)] = TF_SPECIAL,
    [T(FIGCAPTION)] = TF_SPECIAL,
    [T(FIGURE)] = TF_SPECIAL,
    [T(FOOTER)] = TF_SPECIAL,
    [T(FORM)] = TF_SPECIAL,
    [T(FRAME)] = TF_SPECIAL,
    [T(FRAMESET)] = TF_SPECIAL,
    [T(H1)] = TF_SPECIAL | TF_HEADING,
    [T(H2)] = TF_SPECIAL | TF_HEADING,
    [T(H3)] = TF_SPECIAL | TF_HEADING,
    [T(H4)] = TF_SPECIAL | TF_HEADING,
    [T(H5)] = TF_SPECIAL | TF_HEADING,
    [T(H6)] = TF_SPECIAL | TF_HEADING,
    [T(HEAD)] = TF_SPECIAL,
    [T(HEADER)] = TF_SPECIAL,
    [T(HGROUP)] = TF_SPECIAL,
    [T(HR)] = TF_SPECIAL,
    [T(HTML)] = TF_SPECIAL | TF_SCOPE,
    [T(IFRAME)] = TF_SPECIAL,
    [T(IMG)] = TF_SPECIAL,
    [T(INPUT)] = TF_SPECIAL,
    [T(KEYGEN)] = TF_SPECIAL,
    [T(LI)] = TF_SPECIAL | TF_IMPLIED | TF_IMPLIED_ALL,
    [T(LINK)] = TF_SPECIAL,
    [T(LISTING)] = TF_SPECIAL,
    [T(MAIN)] = TF_SPECIAL,
    [T(MARQUEE)] = TF_SPECIAL | TF_SCOPE,
    [T(MENU)] = TF_SPECIAL,
    [T(META)] = TF_SPECIAL,
    [T(NAV)] = TF_SPECIAL,
    [T(NOEMBED)] = TF_SPECIAL,
    [T(NOFRAMES)] = TF_SPECIAL,
    [T(NOSCRIPT)] = TF_SPECIAL,
    [T(OBJECT)] = TF_SPECIAL | TF_SCOPE,
    [T(OL)] = TF_SPECIAL,
    [T(OPTGROUP)] = TF_IMPLIED | TF_IMPLIED_ALL,
    [T(OPTION)] = TF_IMPLIED | TF_IMPLIED_ALL,
    [T(P)] = TF_SPECIAL | TF_IMPLIED | TF_IMPLIED_ALL,
    [T(PARAM)] = TF_SPECIAL,
    [T(PLAINTEXT)] = TF_SPECIAL,
    [T(PRE)] = TF_SPECIAL,
    [T(RB)] = TF_IMPLIED | TF_IMPLIED_ALL,
    [T(RP)] = TF_IMPLIED | TF_IMPLIED_ALL,
    [T(RT)] = TF_IMPLIED | TF_IMPLIED_ALL,
    [T(RTC)] = TF_IMPLIED | TF_IMPLIED_ALL,
    [T(SCRIPT)] = TF_SPECIAL,
    [T(SEARCH)] = TF_SPECIAL,
    [T(SECTION)] = TF_SPECIAL,
    [T(SELECT)] = TF_SPECIAL,
    [T(SOURCE)] = TF_SPECIAL,
    [T(STYLE)] = TF_SPECIAL,
    [T(SUMMARY)] = TF_SPECIAL,
    [T(TABLE)] = TF_SPECIAL | TF_SCOPE,
    [T(TBODY)] = TF_SPECIAL | TF_IMPLIED_ALL,
    [T(TD)] = TF_SPECIAL | TF_SCOPE | TF_IMPLIED_ALL,
    [T(TEMPLATE)] = TF_SPECIAL | TF_SCOPE,
    [T(TEXTAREA)] = TF_SPECIAL,
    [T(TFOOT)] = TF_SPECIAL | TF_IMPLIED_ALL,
    [T(TH)] = TF_SPECIAL | TF_SCOPE | TF_IMPLIED_ALL,
    [T(THEAD)] = TF_SPECIAL | TF_IMPLIED_ALL,
    [T(TITLE)] = TF_SPECIAL,
    [T(TR)] = TF_SPECIAL | TF_IMPLIED_ALL,
    [T(TRACK)] = TF_SPECIAL,
    [T(UL)] = TF_SPECIAL,
    [T(WBR)] = TF_SPECIAL,
    [T(XMP)] = TF_SPECIAL,
    [T(A)] = TF_FORMATTING,
    [T(B)] = TF_FORMATTING,
    [T(BIG)] = TF_FORMATTING,
    [T(CODE)] = TF_FORMATTING,
    [T(EM)] = TF_FORMATTING,
    [T(FONT)] = TF_FORMATTING,
    [T(I)] = TF_FORMATTING,
    [T(NOBR)] = TF_FORMATTING,
    [T(S)] = TF_FORMATTING,
    [T(SMALL)] = TF_FORMATTING,
    [T(STRIKE)] = TF_FORMATTING,
    [T(STRONG)] = TF_FORMATTING,
    [T(TT)] = TF_FORMATTING,
    [T(U)] = TF_FORMATTING,
};

static bool is_html(const dom_node *n)
{
  return n && n->type == DOM_ELEMENT && n->ns == DOM_NS_HTML;
}
static bool tag_has(const dom_node *n, unsigned f)
{
  return is_html(n) && (tag_flags[n->tag] & f);
}

static bool is_mathml_text_ip(const dom_node *n)
{
  return n->ns == DOM_NS_MATHML && (n->tag == T(MI) || n->tag == T(MO) || n->tag == T(MN) ||
                                    n->tag == T(MS) || n->tag == T(MTEXT));
}

static bool is_svg_ip(const dom_node *n)
{
  return n->ns == DOM_NS_SVG &&
         (n->tag == T(FOREIGNOBJECT) || n->tag == T(DESC) || n->tag == T(TITLE));
}

static bool is_html_ip(const dom_node *n)
{
  return is_svg_ip(n) || (n->ns == DOM_NS_MATHML && (n->flags & PF_HTML_IP));
}

/* Scope boundaries in the MathML/SVG namespaces (shared by every scope but table/select). */
static bool is_foreign_scope(const dom_node *n)
{
  return is_svg_ip(n) ||
         (n->ns == DOM_NS_MATHML && (is_mathml_text_ip(n) || n->tag == T(ANNOTATION_XML)));
}

static bool is_special(const dom_node *n)
{
  if (n->ns == DOM_NS_HTML)
    return tag_flags[n->tag] & TF_SPECIAL;
  return is_foreign_scope(n);
}

typedef enum scope { SC_DEFAULT, SC_LIST, SC_BUTTON, SC_TABLE, SC_SELECT } scope;

static bool is_scope_boundary(const dom_node *n, scope s)
{
  if (s == SC_SELECT)
    return !(is_html(n) && (n->tag == T(OPTGROUP) || n->tag == T(OPTION)));
  if (s == SC_TABLE)
    return is_html(n) && (n->tag == T(HTML) || n->tag == T(TABLE) || n->tag == T(TEMPLATE));
  if (n->ns != DOM_NS_HTML)
    return is_foreign_scope(n);
  if (tag_flags[n->tag] & TF_SCOPE)
    return true;
  if (s == SC_LIST)
    return n->tag == T(OL) || n->tag == T(UL);
  if (s == SC_BUTTON)
    return n->tag == T(BUTTON);
  return false;
}

/* ---- memory -------------------------------------------------------------------------------- */

static void fail(html_parser *p, html_parse_status s)
{
  if (p->status == HTML_PARSE_OK)
    p->status = s;
}

/* Grows a parser-owned array to hold at least `need` elements, within the budget. */
static bool grow(html_parser *p, void **arr, size_t *cap, size_t need, size_t elem)
{
  if (need <= *cap)
    return true;
  size_t nc = *cap ? *cap * 2 : 16;
  while (nc < need && nc <= SIZE_MAX / 4)
    nc *= 2;
  if (nc < need || nc > SIZE_MAX / elem) {
    fail(p, HTML_PARSE_NOMEM);
    return false;
  }
  size_t extra = (nc - *cap) * elem;
  if (p->budget && p->doc->mem_used + p->aux_used + extra > p->budget) {
    fail(p, HTML_PARSE_NOMEM);
    return false;
  }
  void *na = realloc(*arr, nc * elem);
  if (!na) {
    fail(p, HTML_PARSE_NOMEM);
    return false;
  }
  p->aux_used += extra;
  *arr = na;
  *cap = nc;
  return true;
}

static bool check_oom(html_parser *p, const void *ptr)
{
  if (!ptr || p->doc->oom) {
    fail(p, HTML_PARSE_NOMEM);
    return false;
  }
  return true;
}

/* ---- stack of open elements ------------------------------------------------------------------ */

static dom_node *current(const html_parser *p)
{
  return p->n_stack ? p->stack[p->n_stack - 1] : NULL;
}

static dom_node *adjusted_current(const html_parser *p)
{
  if (p->fragment && p->n_stack == 1)
    return p->context;
  return current(p);
}

/* Work spent in walks that are not O(1) (see DESIGN); past the budget the parse stops with
 * HTML_PARSE_LIMIT instead of running in quadratic time. */
static bool charge(html_parser *p, uint64_t steps)
{
  p->work += steps;
  if (p->work > p->work_limit) {
    fail(p, HTML_PARSE_LIMIT);
    return false;
  }
  return true;
}

static uint32_t name_bucket(const char *s, size_t n, bool fold)
{
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (fold && c >= 'A' && c <= 'Z')
      c = (unsigned char)(c + 32);
    h = (h ^ c) * 16777619u;
  }
  return h & (NAME_BUCKETS - 1);
}

static const scope all_scopes[5] = {SC_DEFAULT, SC_LIST, SC_BUTTON, SC_TABLE, SC_SELECT};

/* Links entry i (already in p->stack[i]) into the per-tag, per-scope and special chains. */
static void link_entry(html_parser *p, size_t i)
{
  dom_node *n = p->stack[i];
  slink *l = &p->links[i];
  n->flags |= PF_ON_STACK;
  n->parser_index = (uint32_t)i;
  if (n->ns == DOM_NS_HTML) {
    if (n->tag) {
      l->prev_same = p->last_tag[n->tag];
      p->last_tag[n->tag] = (int32_t)i;
    } else {
      p->html_buckets[name_bucket(n->name, n->name_len, false)]++;
    }
  } else {
    p->foreign_buckets[name_bucket(n->name, n->name_len, true)]++;
  }
  for (int k = 0; k < 5; k++) {
    if (is_scope_boundary(n, all_scopes[k])) {
      l->prev_b[k] = p->last_b[k];
      p->last_b[k] = (int32_t)i;
    }
  }
  if (is_special(n)) {
    l->prev_special = p->last_special;
    p->last_special = (int32_t)i;
  }
}

/* Undoes link_entry for the topmost linked entry i. */
static void unlink_entry(html_parser *p, size_t i)
{
  dom_node *n = p->stack[i];
  slink *l = &p->links[i];
  n->flags &= ~PF_ON_STACK;
  n->parser_index = 0;
  if (n->ns == DOM_NS_HTML) {
    if (n->tag)
      p->last_tag[n->tag] = l->prev_same;
    else
      p->html_buckets[name_bucket(n->name, n->name_len, false)]--;
  } else {
    p->foreign_buckets[name_bucket(n->name, n->name_len, true)]--;
  }
  for (int k = 0; k < 5; k++)
    if (p->last_b[k] == (int32_t)i)
      p->last_b[k] = l->prev_b[k];
  if (p->last_special == (int32_t)i)
    p->last_special = l->prev_special;
}

static void pop(html_parser *p)
{
  if (!p->n_stack)
    return;
  unlink_entry(p, p->n_stack - 1);
  p->n_stack--;
}

static bool push(html_parser *p, dom_node *n)
{
  size_t cap = p->cap_stack;
  if (!grow(p, (void **)&p->stack, &p->cap_stack, p->n_stack + 1, sizeof *p->stack))
    return false;
  if (p->cap_stack != cap) {
    size_t lc = cap;
    if (!grow(p, (void **)&p->links, &lc, p->cap_stack, sizeof *p->links))
      return false;
  }
  p->stack[p->n_stack] = n;
  link_entry(p, p->n_stack);
  p->n_stack++;
  return true;
}

static size_t stack_index(const html_parser *p, const dom_node *n)
{
  if (!(n->flags & PF_ON_STACK) || n->parser_index >= p->n_stack || p->stack[n->parser_index] != n)
    return (size_t)-1;
  return n->parser_index;
}

/* Removes entry i: entries above it are unlinked and relinked (charged as work). */
static void stack_remove_at(html_parser *p, size_t i)
{
  size_t top = p->n_stack;
  charge(p, top - i);
  for (size_t j = top; j-- > i;)
    unlink_entry(p, j);
  memmove(p->stack + i, p->stack + i + 1, (top - i - 1) * sizeof *p->stack);
  p->n_stack--;
  for (size_t j = i; j < p->n_stack; j++)
    link_entry(p, j);
}

static void stack_remove(html_parser *p, const dom_node *n)
{
  size_t i = stack_index(p, n);
  if (i != (size_t)-1)
    stack_remove_at(p, i);
}

static bool stack_insert_at(html_parser *p, size_t i, dom_node *n)
{
  if (!push(p, n)) /* grows both arrays; n is relinked at i below */
    return false;
  size_t top = p->n_stack;
  charge(p, top - i);
  for (size_t j = top; j-- > i;)
    unlink_entry(p, j);
  memmove(p->stack + i + 1, p->stack + i, (top - 1 - i) * sizeof *p->stack);
  p->stack[i] = n;
  for (size_t j = i; j < top; j++)
    link_entry(p, j);
  return true;
}

/* Replaces the element at stack index i by a clone with the same name and namespace (the
 * chains only depend on those). */
static void stack_replace(html_parser *p, size_t i, dom_node *n)
{
  dom_node *old = p->stack[i];
  old->flags &= ~PF_ON_STACK;
  old->parser_index = 0;
  p->stack[i] = n;
  n->flags |= PF_ON_STACK;
  n->parser_index = (uint32_t)i;
}

/* "has an element in scope": O(1) from the chains. The topmost element with the tag must be
 * at or above the topmost boundary of the scope. */
static bool in_scope_tag(const html_parser *p, html_tag tag, scope s)
{
  int32_t i = p->last_tag[tag];
  return i >= 0 && i >= p->last_b[s];
}

static bool in_scope_node(html_parser *p, const dom_node *target, scope s)
{
  size_t i = stack_index(p, target);
  return i != (size_t)-1 && (int32_t)i >= p->last_b[s];
}

static bool heading_in_scope(const html_parser *p)
{
  for (html_tag h = T(H1); h <= T(H6); h++)
    if (in_scope_tag(p, h, SC_DEFAULT))
      return true;
  return false;
}

static void pop_until_tag(html_parser *p, html_tag tag)
{
  while (p->n_stack) {
    dom_node *n = current(p);
    pop(p);
    if (is_html(n) && n->tag == tag)
      return;
  }
}

static void pop_until_node(html_parser *p, const dom_node *target)
{
  while (p->n_stack) {
    dom_node *n = current(p);
    pop(p);
    if (n == target)
      return;
  }
}

static void generate_implied(html_parser *p, html_tag except)
{
  for (;;) {
    dom_node *n = current(p);
    if (!tag_has(n, TF_IMPLIED) || n->tag == except)
      return;
    pop(p);
  }
}

static void generate_implied_all(html_parser *p)
{
  while (tag_has(current(p), TF_IMPLIED_ALL))
    pop(p);
}

static void close_p(html_parser *p)
{
  generate_implied(p, T(P));
  pop_until_tag(p, T(P));
}

static void close_p_if_in_button_scope(html_parser *p)
{
  if (in_scope_tag(p, T(P), SC_BUTTON))
    close_p(p);
}

/* ---- list of active formatting elements ---------------------------------------------------- */

static bool afe_push_raw(html_parser *p, dom_node *n)
{
  if (!grow(p, (void **)&p->afe, &p->cap_afe, p->n_afe + 1, sizeof *p->afe))
    return false;
  p->afe[p->n_afe++] = n;
  if (n) {
    n->flags |= PF_IN_AFE;
    p->afe_count[n->tag]++;
  }
  return true;
}

static void afe_remove_at(html_parser *p, size_t i)
{
  if (p->afe[i]) {
    p->afe[i]->flags &= ~PF_IN_AFE;
    p->afe_count[p->afe[i]->tag]--;
  }
  charge(p, p->n_afe - i);
  memmove(p->afe + i, p->afe + i + 1, (p->n_afe - i - 1) * sizeof *p->afe);
  p->n_afe--;
}

static size_t afe_index(html_parser *p, const dom_node *n)
{
  if (!(n->flags & PF_IN_AFE))
    return (size_t)-1;
  for (size_t i = p->n_afe; i-- > 0;)
    if (p->afe[i] == n) {
      charge(p, p->n_afe - i);
      return i;
    }
  return (size_t)-1;
}

/* The last element with tag `tag` after the last marker, or -1. */
static size_t afe_find_tag(html_parser *p, html_tag tag)
{
  if (!p->afe_count[tag])
    return (size_t)-1;
  /* Charged what the walk visits: the entries after the last marker (charging the whole list
   * made <b>x<table><td>y</b>, repeated, hit the budget while its real work stays linear). */
  size_t i = p->n_afe;
  while (i-- > 0) {
    dom_node *e = p->afe[i];
    if (!e)
      break;
    if (is_html(e) && e->tag == tag) {
      charge(p, p->n_afe - i);
      return i;
    }
  }
  charge(p, p->n_afe - (i + 1));
  return (size_t)-1;
}

static void afe_remove(html_parser *p, const dom_node *n)
{
  size_t i = afe_index(p, n);
  if (i != (size_t)-1)
    afe_remove_at(p, i);
}

static bool attr_eq(const dom_attr *x, const dom_attr *y)
{
  return x->name_len == y->name_len && x->value_len == y->value_len && x->ns == y->ns &&
         memcmp(x->name, y->name, x->name_len) == 0 &&
         memcmp(x->value, y->value, x->value_len) == 0;
}

/* Same attribute set (order-insensitive). Equal lists in the same order, the usual case, cost
 * O(n); otherwise the pairwise comparison is charged to the work budget. */
static bool same_attrs(html_parser *p, const dom_node *a, const dom_node *b)
{
  if (a->n_attrs != b->n_attrs)
    return false;
  uint32_t i = 0;
  while (i < a->n_attrs && attr_eq(&a->attrs[i], &b->attrs[i]))
    i++;
  if (i == a->n_attrs)
    return true;
  if (!charge(p, (uint64_t)a->n_attrs * a->n_attrs))
    return false;
  for (; i < a->n_attrs; i++) {
    bool found = false;
    for (uint32_t j = 0; j < b->n_attrs && !found; j++)
      found = attr_eq(&a->attrs[i], &b->attrs[j]);
    if (!found)
      return false;
  }
  return true;
}

/* Push onto the list with the Noah's Ark clause (at most three equal entries after the last
 * marker; only the last RT_PARSER_NOAH_SCAN entries are compared). */
static void afe_push(html_parser *p, dom_node *el)
{
  size_t count = 0, earliest = 0, scanned = 0;
  for (size_t i = p->n_afe; i-- > 0 && scanned < RT_PARSER_NOAH_SCAN; scanned++) {
    dom_node *e = p->afe[i];
    if (!e)
      break;
    if (e->tag == el->tag && e->ns == el->ns && e->name_len == el->name_len &&
        memcmp(e->name, el->name, el->name_len) == 0 && same_attrs(p, e, el)) {
      count++;
      earliest = i;
    }
  }
  if (count >= 3)
    afe_remove_at(p, earliest);
  afe_push_raw(p, el);
}

static void afe_clear_to_marker(html_parser *p)
{
  while (p->n_afe) {
    dom_node *e = p->afe[--p->n_afe];
    if (!e)
      return;
    e->flags &= ~PF_IN_AFE;
    p->afe_count[e->tag]--;
  }
}

/* ---- node creation and insertion ----------------------------------------------------------- */

typedef struct loc {
  dom_node *parent;
  dom_node *before; /* NULL = append */
} loc;

static loc appropriate_place(html_parser *p, dom_node *override)
{
  dom_node *target = override ? override : current(p);
  loc l = {target, NULL};
  if (p->foster && is_html(target) &&
      (target->tag == T(TABLE) || target->tag == T(TBODY) || target->tag == T(TFOOT) ||
       target->tag == T(THEAD) || target->tag == T(TR))) {
    int32_t lt = p->last_tag[T(TEMPLATE)], ltab = p->last_tag[T(TABLE)];
    if (lt >= 0 && (ltab < 0 || lt > ltab)) {
      l.parent = p->stack[lt];
    } else if (ltab < 0) {
      l.parent = p->stack[0];
    } else if (p->stack[ltab]->parent) {
      l.parent = p->stack[ltab]->parent;
      l.before = p->stack[ltab];
    } else {
      l.parent = p->stack[ltab - 1];
    }
  }
  if (dom_is(l.parent, T(TEMPLATE)) && l.parent->template_content) {
    l.parent = l.parent->template_content;
    l.before = NULL;
  }
  return l;
}

static void insert_at(loc l, dom_node *n)
{
  dom_insert_before(l.parent, n, l.before);
}

static void insert_chars(html_parser *p, const char *s, size_t n)
{
  if (!n)
    return;
  loc l = appropriate_place(p, NULL);
  if (l.parent->type == DOM_DOCUMENT)
    return;
  dom_node *prev = l.before ? l.before->prev : l.parent->last_child;
  if (prev && prev->type == DOM_TEXT) {
    if (!dom_text_append(p->doc, prev, s, n))
      fail(p, HTML_PARSE_NOMEM);
    return;
  }
  /* Sized exactly (dom_new_text rounds up to a power of two): most text nodes never grow.
   * Short whitespace runs point at static bytes (data_cap 0: copied if they ever grow). */
  dom_node *t = dom_alloc(p->doc, DOM_CHARDATA_SIZE);
  if (!check_oom(p, t))
    return;
  t->type = DOM_TEXT;
  const char *st = dom_static_text(s, n);
  if (st) {
    t->data = (char *)st;
  } else {
    char *d = n < UINT32_MAX ? dom_strndup(p->doc, s, n) : NULL;
    if (!check_oom(p, d))
      return;
    t->data = d;
    t->data_cap = (uint32_t)(n + 1);
  }
  t->data_len = (uint32_t)n;
  insert_at(l, t);
}

static void insert_comment_in(html_parser *p, const tk *t, dom_node *parent)
{
  dom_node *c = dom_new_comment(p->doc, t->data, t->data_len);
  if (!check_oom(p, c))
    return;
  if (parent)
    dom_append_child(parent, c);
  else
    insert_at(appropriate_place(p, NULL), c);
}

static bool ascii_ieq(const char *a, size_t an, const char *b)
{
  size_t bn = strlen(b);
  if (an != bn)
    return false;
  for (size_t i = 0; i < an; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x >= 'A' && x <= 'Z')
      x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z')
      y = (unsigned char)(y + 32);
    if (x != y)
      return false;
  }
  return true;
}

static bool has_attr(const dom_node *el, const char *name, size_t len)
{
  for (uint32_t i = 0; i < el->n_attrs; i++)
    if (el->attrs[i].name_len == len && memcmp(el->attrs[i].name, name, len) == 0)
      return true;
  return false;
}

/* Adds the token's attributes that el does not have yet (<html>/<body> seen twice). */
static void merge_attrs(html_parser *p, dom_node *el, const tk *t)
{
  for (uint32_t i = 0; i < t->n_attrs && el->n_attrs < RT_PARSER_MAX_ATTRS; i++) {
    const html_token_attr *a = &t->attrs[i];
    if (!charge(p, el->n_attrs))
      return;
    if (!has_attr(el, a->name, a->name_len) &&
        !dom_attr_add(p->doc, el, a->name, a->name_len, a->value, a->value_len))
      fail(p, HTML_PARSE_NOMEM);
  }
}

static const html_token_attr *tk_attr(const tk *t, const char *name)
{
  size_t n = strlen(name);
  for (uint32_t i = 0; i < t->n_attrs; i++)
    if (t->attrs[i].name_len == n && memcmp(t->attrs[i].name, name, n) == 0)
      return &t->attrs[i];
  return NULL;
}

/* Attribute adjustments for foreign content (tables from the spec). */
typedef struct name_map {
  const char *from, *to;
} name_map;

static const name_map svg_tag_map[] = {
    {"altglyph", "altGlyph"},
    {"altglyphdef", "altGlyphDef"},
    {"altglyphitem", "altGlyphItem"},
    {"animatecolor", "animateColor"},
    {"animatemotion", "animateMotion"},
    {"animatetransform", "animateTransform"},
    {"clippath", "clipPath"},
    {"feblend", "feBlend"},
    {"fecolormatrix", "feColorMatrix"},
    {"fecomponenttransfer", "feComponentTransfer"},
    {"fecomposite", "feComposite"},
    {"feconvolvematrix", "feConvolveMatrix"},
    {"fediffuselighting", "feDiffuseLighting"},
    {"fedisplacementmap", "feDisplacementMap"},
    {"fedistantlight", "feDistantLight"},
    {"fedropshadow", "feDropShadow"},
    {"feflood", "feFlood"},
    {"fefunca", "feFuncA"},
    {"fefuncb", "feFuncB"},
    {"fefuncg", "feFuncG"},
    {"fefuncr", "feFuncR"},
    {"fegaussianblur", "feGaussianBlur"},
    {"feimage", "feImage"},
    {"femerge", "feMerge"},
    {"femergenode", "feMergeNode"},
    {"femorphology", "feMorphology"},
    {"feoffset", "feOffset"},
    {"fepointlight", "fePointLight"},
    {"fespecularlighting", "feSpecularLighting"},
    {"fespotlight", "feSpotLight"},
    {"fetile", "feTile"},
    {"feturbulence", "feTurbulence"},
    {"foreignobject", "foreignObject"},
    {"glyphref", "glyphRef"},
    {"lineargradient", "linearGradient"},
    {"radialgradient", "radialGradient"},
    {"textpath", "textPath"},
};

static const name_map svg_attr_map[] = {
    {"attributename", "attributeName"},
    {"attributetype", "attributeType"},
    {"basefrequency", "baseFrequency"},
    {"baseprofile", "baseProfile"},
    {"calcmode", "calcMode"},
    {"clippathunits", "clipPathUnits"},
    {"diffuseconstant", "diffuseConstant"},
    {"edgemode", "edgeMode"},
    {"filterunits", "filterUnits"},
    {"glyphref", "glyphRef"},
    {"gradienttransform", "gradientTransform"},
    {"gradientunits", "gradientUnits"},
    {"kernelmatrix", "kernelMatrix"},
    {"kernelunitlength", "kernelUnitLength"},
    {"keypoints", "keyPoints"},
    {"keysplines", "keySplines"},
    {"keytimes", "keyTimes"},
    {"lengthadjust", "lengthAdjust"},
    {"limitingconeangle", "limitingConeAngle"},
    {"markerheight", "markerHeight"},
    {"markerunits", "markerUnits"},
    {"markerwidth", "markerWidth"},
    {"maskcontentunits", "maskContentUnits"},
    {"maskunits", "maskUnits"},
    {"numoctaves", "numOctaves"},
    {"pathlength", "pathLength"},
    {"patterncontentunits", "patternContentUnits"},
    {"patterntransform", "patternTransform"},
    {"patternunits", "patternUnits"},
    {"pointsatx", "pointsAtX"},
    {"pointsaty", "pointsAtY"},
    {"pointsatz", "pointsAtZ"},
    {"preservealpha", "preserveAlpha"},
    {"preserveaspectratio", "preserveAspectRatio"},
    {"primitiveunits", "primitiveUnits"},
    {"refx", "refX"},
    {"refy", "refY"},
    {"repeatcount", "repeatCount"},
    {"repeatdur", "repeatDur"},
    {"requiredextensions", "requiredExtensions"},
    {"requiredfeatures", "requiredFeatures"},
    {"specularconstant", "specularConstant"},
    {"specularexponent", "specularExponent"},
    {"spreadmethod", "spreadMethod"},
    {"startoffset", "startOffset"},
    {"stddeviation", "stdDeviation"},
    {"stitchtiles", "stitchTiles"},
    {"surfacescale", "surfaceScale"},
    {"systemlanguage", "systemLanguage"},
    {"tablevalues", "tableValues"},
    {"targetx", "targetX"},
    {"targety", "targetY"},
    {"textlength", "textLength"},
    {"viewbox", "viewBox"},
    {"viewtarget", "viewTarget"},
    {"xchannelselector", "xChannelSelector"},
    {"ychannelselector", "yChannelSelector"},
    {"zoomandpan", "zoomAndPan"},
};

typedef struct foreign_attr {
  const char *qname, *prefix, *local; /* prefix: what dom_attr_prefix() derives from ns */
  dom_ns ns;
} foreign_attr;

static const foreign_attr foreign_attrs[] = {
    {"xlink:actuate", "xlink", "actuate", DOM_NS_XLINK},
    {"xlink:arcrole", "xlink", "arcrole", DOM_NS_XLINK},
    {"xlink:href", "xlink", "href", DOM_NS_XLINK},
    {"xlink:role", "xlink", "role", DOM_NS_XLINK},
    {"xlink:show", "xlink", "show", DOM_NS_XLINK},
    {"xlink:title", "xlink", "title", DOM_NS_XLINK},
    {"xlink:type", "xlink", "type", DOM_NS_XLINK},
    {"xml:lang", "xml", "lang", DOM_NS_XML},
    {"xml:space", "xml", "space", DOM_NS_XML},
    {"xmlns", NULL, "xmlns", DOM_NS_XMLNS},
    {"xmlns:xlink", "xmlns", "xlink", DOM_NS_XMLNS},
};

static const char *map_lookup(const name_map *m, size_t n, const char *s, size_t len)
{
  if (len == 0)
    return NULL;
  for (size_t i = 0; i < n; i++) /* the first byte rules out almost every entry cheaply */
    if (m[i].from[0] == s[0] && strlen(m[i].from) == len && memcmp(m[i].from, s, len) == 0)
      return m[i].to;
  return NULL;
}

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Creates an element for a start tag token in namespace ns, adjusting foreign names. */
static dom_node *create_element(html_parser *p, const tk *t, dom_ns ns)
{
  const char *name = t->name;
  size_t nlen = t->name_len;
  if (ns == DOM_NS_SVG) {
    const char *adj = map_lookup(svg_tag_map, COUNT_OF(svg_tag_map), name, nlen);
    if (adj) {
      name = adj;
      nlen = strlen(adj);
    }
  }
  /* Built here rather than with dom_new_element(): the tag id is already known, and interned
   * names (and adjusted SVG names) point at static strings instead of a copy per element. */
  dom_node *el = dom_alloc(p->doc, sizeof *el);
  if (!check_oom(p, el))
    return NULL;
  el->type = DOM_ELEMENT;
  el->ns = (uint8_t)ns;
  el->tag = (uint16_t)t->tag;
  el->flags = DOM_FLAG_PARSER_INSERTED;
  if (name != t->name)
    el->name = name;
  else if (t->tag && html_tag_name_len(t->tag) == nlen &&
           memcmp(html_tag_name(t->tag), name, nlen) == 0)
    el->name = html_tag_name(t->tag);
  else
    el->name = dom_strndup(p->doc, name, nlen);
  if (!check_oom(p, el->name))
    return NULL;
  el->name_len = (uint32_t)nlen;
  uint32_t na = t->n_attrs < RT_PARSER_MAX_ATTRS ? t->n_attrs : RT_PARSER_MAX_ATTRS;
  if (na) {
    el->attrs = dom_alloc(p->doc, (size_t)na * sizeof *el->attrs);
    if (!check_oom(p, el->attrs))
      return NULL;
    el->attrs_cap = na;
  }
  for (uint32_t i = 0; i < na; i++) {
    const html_token_attr *a = &t->attrs[i];
    const char *an = a->name;
    size_t alen = a->name_len;
    dom_ns ans = DOM_NS_NONE;
    if (ns == DOM_NS_SVG) {
      const char *adj = map_lookup(svg_attr_map, COUNT_OF(svg_attr_map), an, alen);
      if (adj)
        an = adj;
    } else if (ns == DOM_NS_MATHML && alen == 13 && memcmp(an, "definitionurl", 13) == 0) {
      an = "definitionURL";
    }
    if (ns != DOM_NS_HTML && alen >= 5 && an[0] == 'x') { /* every qname starts "xl"/"xm" */
      for (size_t k = 0; k < COUNT_OF(foreign_attrs); k++) {
        if (strlen(foreign_attrs[k].qname) == alen &&
            memcmp(foreign_attrs[k].qname, an, alen) == 0) {
          an = foreign_attrs[k].local;
          ans = foreign_attrs[k].ns;
          break;
        }
      }
    }
    dom_attr *da = &el->attrs[el->n_attrs];
    if (an != a->name) {
      da->name = an; /* an adjusted name: a static string */
      da->name_len = (uint32_t)strlen(an);
    } else {
      const char *in = dom_attr_name_intern(an, alen);
      da->name = in ? in : dom_strndup(p->doc, an, alen);
      da->name_len = (uint32_t)alen;
    }
    da->value = a->value_len ? dom_strndup(p->doc, a->value, a->value_len) : "";
    if (!check_oom(p, da->name) || !check_oom(p, da->value))
      return NULL;
    da->value_len = a->value_len;
    da->ns = (uint8_t)ans;
    el->n_attrs++;
  }
  if (ns == DOM_NS_HTML && t->tag == T(TEMPLATE)) {
    el->template_content = dom_new_fragment(p->doc);
    if (!check_oom(p, el->template_content))
      return NULL;
  }
  if (ns == DOM_NS_MATHML && t->tag == T(ANNOTATION_XML)) {
    const html_token_attr *enc = tk_attr(t, "encoding");
    if (enc && (ascii_ieq(enc->value, enc->value_len, "text/html") ||
                ascii_ieq(enc->value, enc->value_len, "application/xhtml+xml")))
      el->flags |= PF_HTML_IP;
  }
  return el;
}

/* Shallow copy of an element (for the adoption agency and reconstruction). */
static dom_node *clone_element(html_parser *p, const dom_node *src)
{
  dom_node *el = dom_alloc(p->doc, sizeof *el);
  if (!check_oom(p, el))
    return NULL;
  el->type = DOM_ELEMENT;
  el->ns = src->ns;
  el->tag = src->tag;
  el->flags = src->flags & (DOM_FLAG_PARSER_INSERTED | PF_HTML_IP);
  el->name = src->name;
  el->name_len = src->name_len;
  /* The clone shares the source's attribute array: nothing edits attributes in place, and
   * with attrs_cap == n_attrs the first dom_attr_add copies it. Formatting elements are
   * cloned once per paragraph on pages that never close them, so this is most of their
   * memory. */
  el->attrs = src->attrs;
  el->n_attrs = el->attrs_cap = src->n_attrs;
  return el;
}

static dom_node *insert_element(html_parser *p, const tk *t, dom_ns ns)
{
  /* Past RT_PARSER_MAX_DEPTH the current node is popped first: deeper content is flattened. */
  if (p->n_stack >= RT_PARSER_MAX_DEPTH)
    pop(p);
  loc l = appropriate_place(p, NULL);
  dom_node *el = create_element(p, t, ns);
  if (!el)
    return NULL;
  insert_at(l, el);
  if (!push(p, el))
    return NULL;
  return el;
}

static dom_node *insert_html(html_parser *p, const tk *t)
{
  return insert_element(p, t, DOM_NS_HTML);
}

static tk fake_start(html_tag tag)
{
  tk t;
  memset(&t, 0, sizeof t);
  t.type = HTML_TOKEN_START_TAG;
  t.tag = tag;
  t.name = html_tag_name(tag);
  t.name_len = (uint32_t)html_tag_name_len(tag);
  return t;
}

static dom_node *insert_fake(html_parser *p, html_tag tag)
{
  tk t = fake_start(tag);
  return insert_html(p, &t);
}

static void reconstruct_afe(html_parser *p)
{
  if (!p->n_afe)
    return;
  dom_node *last = p->afe[p->n_afe - 1];
  if (!last || (last->flags & PF_ON_STACK))
    return;
  size_t i = p->n_afe - 1;
  while (i > 0) {
    dom_node *e = p->afe[i - 1];
    if (!e || (e->flags & PF_ON_STACK))
      break;
    i--;
  }
  charge(p, p->n_afe - i);
  for (; i < p->n_afe; i++) {
    dom_node *old = p->afe[i];
    if (p->n_stack >= RT_PARSER_MAX_DEPTH)
      pop(p);
    dom_node *el = clone_element(p, old);
    if (!el)
      return;
    insert_at(appropriate_place(p, NULL), el);
    if (!push(p, el))
      return;
    old->flags &= ~PF_IN_AFE;
    p->afe[i] = el;
    el->flags |= PF_IN_AFE;
  }
}

/* ---- the adoption agency algorithm ---------------------------------------------------------- */

/* Returns true when the caller must act as for "any other end tag". */
static bool adoption_agency(html_parser *p, const tk *t)
{
  dom_node *cur = current(p);
  if (is_html(cur) && cur->tag == t->tag && !(cur->flags & PF_IN_AFE)) {
    pop(p);
    return false;
  }
  for (int outer = 0; outer < 8 && p->status == HTML_PARSE_OK; outer++) {
    size_t fi = afe_find_tag(p, t->tag);
    if (fi == (size_t)-1)
      return true;
    dom_node *fe = p->afe[fi];
    if (!(fe->flags & PF_ON_STACK)) {
      afe_remove_at(p, fi);
      return false;
    }
    if (!in_scope_node(p, fe, SC_DEFAULT))
      return false;
    size_t si = stack_index(p, fe);
    dom_node *fb = NULL;
    size_t fbi = 0;
    for (size_t j = si + 1; j < p->n_stack; j++) {
      if (is_special(p->stack[j])) {
        fb = p->stack[j];
        fbi = j;
        break;
      }
    }
    charge(p, (fb ? fbi : p->n_stack) - si);
    if (!fb) {
      while (p->n_stack > si)
        pop(p);
      afe_remove(p, fe);
      return false;
    }
    dom_node *ca = p->stack[si - 1];
    dom_node *bm_after = NULL; /* NULL: the new element takes fe's place in the list */
    dom_node *last = fb;
    size_t ni = fbi;
    for (int inner = 1;; inner++) {
      ni--;
      dom_node *node = p->stack[ni];
      if (node == fe)
        break;
      if (inner > 3 && (node->flags & PF_IN_AFE))
        afe_remove(p, node);
      if (!(node->flags & PF_IN_AFE)) {
        stack_remove_at(p, ni);
        continue;
      }
      dom_node *ne = clone_element(p, node);
      if (!ne)
        return false;
      size_t k = afe_index(p, node);
      node->flags &= ~PF_IN_AFE;
      p->afe[k] = ne;
      ne->flags |= PF_IN_AFE;
      stack_replace(p, ni, ne);
      if (last == fb)
        bm_after = ne;
      dom_append_child(ne, last);
      last = ne;
    }
    if (last->parent)
      dom_remove(last);
    insert_at(appropriate_place(p, ca), last);
    dom_node *ne = clone_element(p, fe);
    if (!ne)
      return false;
    while (fb->first_child)
      dom_append_child(ne, fb->first_child);
    dom_append_child(fb, ne);
    if (!bm_after) {
      size_t k = afe_index(p, fe);
      fe->flags &= ~PF_IN_AFE;
      p->afe[k] = ne;
      ne->flags |= PF_IN_AFE;
    } else {
      afe_remove(p, fe);
      size_t k = afe_index(p, bm_after) + 1;
      if (!afe_push_raw(p, NULL))
        return false;
      memmove(p->afe + k + 1, p->afe + k, (p->n_afe - 1 - k) * sizeof *p->afe);
      p->afe[k] = ne;
      ne->flags |= PF_IN_AFE;
      p->afe_count[ne->tag]++;
    }
    stack_remove(p, fe);
    if (!stack_insert_at(p, stack_index(p, fb) + 1, ne))
      return false;
  }
  return false;
}

/* ---- helpers shared by modes --------------------------------------------------------------- */

static bool is_ws(char c)
{
  return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static size_t ws_prefix(const tk *t)
{
  size_t i = 0;
  while (i < t->data_len && is_ws(t->data[i]))
    i++;
  return i;
}

/* Consumes the whitespace prefix of a character token, inserting it when `insert`. Returns
 * true when non-whitespace remains (t now points at it). */
static bool take_ws(html_parser *p, tk *t, bool insert)
{
  size_t n = ws_prefix(t);
  if (insert)
    insert_chars(p, t->data, n);
  t->data += n;
  t->data_len -= (uint32_t)n;
  return t->data_len > 0;
}

static bool is_start(const tk *t, html_tag tag)
{
  return t->type == HTML_TOKEN_START_TAG && t->tag == tag;
}
static bool is_end(const tk *t, html_tag tag)
{
  return t->type == HTML_TOKEN_END_TAG && t->tag == tag;
}

static bool tag_in(html_tag tag, const html_tag *list, size_t n)
{
  if (tag == HTML_TAG_UNKNOWN)
    return false;
  for (size_t i = 0; i < n; i++)
    if (list[i] == tag)
      return true;
  return false;
}
#define TAG_IN(tag, ...)                                                                           \
  tag_in((tag), (const html_tag[]){__VA_ARGS__},                                                   \
         sizeof((const html_tag[]){__VA_ARGS__}) / sizeof(html_tag))

static bool template_on_stack(const html_parser *p)
{
  return p->last_tag[T(TEMPLATE)] >= 0;
}

static void set_tokenizer_state(html_parser *p, html_tokenizer_state s, const tk *t)
{
  html_tokenizer_set_state(p->tok, s);
  html_tokenizer_set_last_start_tag(p->tok, t->name, t->name_len);
}

static void generic_text(html_parser *p, const tk *t, html_tokenizer_state s)
{
  if (!insert_html(p, t))
    return;
  set_tokenizer_state(p, s, t);
  p->orig_mode = p->mode;
  p->mode = M_TEXT;
}

static void tmode_push(html_parser *p, mode m)
{
  if (!grow(p, (void **)&p->tmodes, &p->cap_tmodes, p->n_tmodes + 1, 1))
    return;
  p->tmodes[p->n_tmodes++] = (uint8_t)m;
}

static void tmode_pop(html_parser *p)
{
  if (p->n_tmodes)
    p->n_tmodes--;
}

static void reset_insertion_mode(html_parser *p)
{
  /* Only these elements decide the mode; the topmost one wins (found in O(1) from the per-tag
   * chains instead of walking the stack). */
  static const html_tag deciders[] = {T(SELECT),   T(TD),    T(TH),      T(TR),       T(TBODY),
                                      T(THEAD),    T(TFOOT), T(CAPTION), T(COLGROUP), T(TABLE),
                                      T(TEMPLATE), T(HEAD),  T(BODY),    T(FRAMESET), T(HTML)};
  int32_t best = -1;
  for (size_t k = 0; k < COUNT_OF(deciders); k++)
    if (p->last_tag[deciders[k]] > best)
      best = p->last_tag[deciders[k]];
  if (best < 0)
    best = 0;
  for (size_t i = (size_t)best + 1; i-- > 0;) {
    dom_node *node = p->stack[i];
    bool last = i == 0;
    if (last && p->fragment)
      node = p->context;
    if (!is_html(node)) {
      if (last) {
        p->mode = M_IN_BODY;
        return;
      }
      continue;
    }
    switch (node->tag) {
    case T(SELECT):
      if (!last) {
        /* the nearest table or template below the select decides */
        int32_t tb = p->last_tag[T(TABLE)], tp = p->last_tag[T(TEMPLATE)];
        if (tb >= 0 && tb < (int32_t)i && tb > tp) {
          p->mode = M_IN_SELECT_IN_TABLE;
          return;
        }
      }
      p->mode = M_IN_SELECT;
      return;
    case T(TD):
    case T(TH):
      if (!last) {
        p->mode = M_IN_CELL;
        return;
      }
      break;
    case T(TR):
      p->mode = M_IN_ROW;
      return;
    case T(TBODY):
    case T(THEAD):
    case T(TFOOT):
      p->mode = M_IN_TABLE_BODY;
      return;
    case T(CAPTION):
      p->mode = M_IN_CAPTION;
      return;
    case T(COLGROUP):
      p->mode = M_IN_COLUMN_GROUP;
      return;
    case T(TABLE):
      p->mode = M_IN_TABLE;
      return;
    case T(TEMPLATE):
      p->mode = p->n_tmodes ? (mode)p->tmodes[p->n_tmodes - 1] : M_IN_BODY;
      return;
    case T(HEAD):
      if (!last) {
        p->mode = M_IN_HEAD;
        return;
      }
      break;
    case T(BODY):
      p->mode = M_IN_BODY;
      return;
    case T(FRAMESET):
      p->mode = M_IN_FRAMESET;
      return;
    case T(HTML):
      p->mode = p->head ? M_AFTER_HEAD : M_BEFORE_HEAD;
      return;
    default:
      break;
    }
    if (last) {
      p->mode = M_IN_BODY;
      return;
    }
  }
  p->mode = M_IN_BODY;
}

/* ---- quirks mode ---------------------------------------------------------------------------- */

static bool ascii_iprefix(const char *s, size_t n, const char *prefix)
{
  size_t pn = strlen(prefix);
  return n >= pn && ascii_ieq(s, pn, prefix);
}

static const char *const quirky_public_prefixes[] = {
    "+//silmaril//dtd html pro v0r11 19970101//",
    "-//as//dtd html 3.0 aswedit + extensions//",
    "-//advasoft ltd//dtd html 3.0 aswedit + extensions//",
    "-//ietf//dtd html 2.0 level 1//",
    "-//ietf//dtd html 2.0 level 2//",
    "-//ietf//dtd html 2.0 strict level 1//",
    "-//ietf//dtd html 2.0 strict level 2//",
    "-//ietf//dtd html 2.0 strict//",
    "-//ietf//dtd html 2.0//",
    "-//ietf//dtd html 2.1e//",
    "-//ietf//dtd html 3.0//",
    "-//ietf//dtd html 3.2 final//",
    "-//ietf//dtd html 3.2//",
    "-//ietf//dtd html 3//",
    "-//ietf//dtd html level 0//",
    "-//ietf//dtd html level 1//",
    "-//ietf//dtd html level 2//",
    "-//ietf//dtd html level 3//",
    "-//ietf//dtd html strict level 0//",
    "-//ietf//dtd html strict level 1//",
    "-//ietf//dtd html strict level 2//",
    "-//ietf//dtd html strict level 3//",
    "-//ietf//dtd html strict//",
    "-//ietf//dtd html//",
    "-//metrius//dtd metrius presentational//",
    "-//microsoft//dtd internet explorer 2.0 html strict//",
    "-//microsoft//dtd internet explorer 2.0 html//",
    "-//microsoft//dtd internet explorer 2.0 tables//",
    "-//microsoft//dtd internet explorer 3.0 html strict//",
    "-//microsoft//dtd internet explorer 3.0 html//",
    "-//microsoft//dtd internet explorer 3.0 tables//",
    "-//netscape comm. corp.//dtd html//",
    "-//netscape comm. corp.//dtd strict html//",
    "-//o'reilly and associates//dtd html 2.0//",
    "-//o'reilly and associates//dtd html extended 1.0//",
    "-//o'reilly and associates//dtd html extended relaxed 1.0//",
    "-//sq//dtd html 2.0 hotmetal + extensions//",
    "-//softquad software//dtd hotmetal pro 6.0::19990601::extensions to html 4.0//",
    "-//softquad//dtd hotmetal pro 4.0::19970916::extensions to html 4.0//",
    "-//spyglass//dtd html 2.0 extended//",
    "-//sun microsystems corp.//dtd hotjava html//",
    "-//sun microsystems corp.//dtd hotjava strict html//",
    "-//w3c//dtd html 3 1995-03-24//",
    "-//w3c//dtd html 3.2 draft//",
    "-//w3c//dtd html 3.2 final//",
    "-//w3c//dtd html 3.2//",
    "-//w3c//dtd html 3.2s draft//",
    "-//w3c//dtd html 4.0 frameset//",
    "-//w3c//dtd html 4.0 transitional//",
    "-//w3c//dtd html experimental 19960712//",
    "-//w3c//dtd html experimental 970421//",
    "-//w3c//dtd w3 html//",
    "-//w3o//dtd w3 html 3.0//",
    "-//webtechs//dtd mozilla html 2.0//",
    "-//webtechs//dtd mozilla html//",
};

static int doctype_quirks(const html_token *d)
{
  if (d->force_quirks || !d->name || d->name_len != 4 || memcmp(d->name, "html", 4) != 0)
    return 1;
  const char *pub = d->public_id, *sys = d->system_id;
  size_t pl = d->public_id_len, sl = d->system_id_len;
  if (pub) {
    if (ascii_ieq(pub, pl, "-//W3O//DTD W3 HTML Strict 3.0//EN//") ||
        ascii_ieq(pub, pl, "-/W3C/DTD HTML 4.0 Transitional/EN") || ascii_ieq(pub, pl, "HTML"))
      return 1;
    for (size_t i = 0; i < COUNT_OF(quirky_public_prefixes); i++)
      if (ascii_iprefix(pub, pl, quirky_public_prefixes[i]))
        return 1;
    if (!sys && (ascii_iprefix(pub, pl, "-//W3C//DTD HTML 4.01 Frameset//") ||
                 ascii_iprefix(pub, pl, "-//W3C//DTD HTML 4.01 Transitional//")))
      return 1;
  }
  if (sys && ascii_ieq(sys, sl, "http://www.ibm.com/data/dtd/v11/ibmxhtml1-transitional.dtd"))
    return 1;
  if (pub) {
    if (ascii_iprefix(pub, pl, "-//W3C//DTD XHTML 1.0 Frameset//") ||
        ascii_iprefix(pub, pl, "-//W3C//DTD XHTML 1.0 Transitional//"))
      return 2;
    if (sys && (ascii_iprefix(pub, pl, "-//W3C//DTD HTML 4.01 Frameset//") ||
                ascii_iprefix(pub, pl, "-//W3C//DTD HTML 4.01 Transitional//")))
      return 2;
  }
  return 0;
}

/* ---- insertion modes ------------------------------------------------------------------------ */

static bool mode_initial(html_parser *p, tk *t)
{
  if (t->type == HTML_TOKEN_CHARACTER) {
    if (!take_ws(p, t, false))
      return false;
  } else if (t->type == HTML_TOKEN_COMMENT) {
    insert_comment_in(p, t, p->doc->root);
    return false;
  } else if (t->type == HTML_TOKEN_DOCTYPE) {
    const html_token *d = t->raw;
    dom_node *dt = dom_new_doctype(p->doc, d->name, d->name ? d->name_len : 0);
    if (!check_oom(p, dt))
      return false;
    if (d->public_id) {
      dt->public_id = dom_strndup(p->doc, d->public_id, d->public_id_len);
      if (!check_oom(p, dt->public_id))
        return false;
    }
    if (d->system_id) {
      dt->system_id = dom_strndup(p->doc, d->system_id, d->system_id_len);
      if (!check_oom(p, dt->system_id))
        return false;
    }
    dom_append_child(p->doc->root, dt);
    p->doc->quirks = doctype_quirks(d);
    p->mode = M_BEFORE_HTML;
    return false;
  }
  p->doc->quirks = 1;
  p->mode = M_BEFORE_HTML;
  return true;
}

static bool mode_before_html(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_DOCTYPE:
    return false;
  case HTML_TOKEN_COMMENT:
    insert_comment_in(p, t, p->doc->root);
    return false;
  case HTML_TOKEN_CHARACTER:
    if (!take_ws(p, t, false))
      return false;
    break;
  case HTML_TOKEN_START_TAG:
    if (t->tag == T(HTML)) {
      dom_node *el = create_element(p, t, DOM_NS_HTML);
      if (!el)
        return false;
      dom_append_child(p->doc->root, el);
      push(p, el);
      p->mode = M_BEFORE_HEAD;
      return false;
    }
    break;
  case HTML_TOKEN_END_TAG:
    if (!TAG_IN(t->tag, T(HEAD), T(BODY), T(HTML), T(BR)))
      return false;
    break;
  default:
    break;
  }
  tk h = fake_start(T(HTML));
  dom_node *el = create_element(p, &h, DOM_NS_HTML);
  if (!el)
    return false;
  dom_append_child(p->doc->root, el);
  push(p, el);
  p->mode = M_BEFORE_HEAD;
  return true;
}

static bool mode_in_body(html_parser *p, tk *t);
static bool mode_in_head(html_parser *p, tk *t);

static bool mode_before_head(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_CHARACTER:
    if (!take_ws(p, t, false))
      return false;
    break;
  case HTML_TOKEN_COMMENT:
    insert_comment_in(p, t, NULL);
    return false;
  case HTML_TOKEN_DOCTYPE:
    return false;
  case HTML_TOKEN_START_TAG:
    if (t->tag == T(HTML))
      return mode_in_body(p, t);
    if (t->tag == T(HEAD)) {
      p->head = insert_html(p, t);
      p->mode = M_IN_HEAD;
      return false;
    }
    break;
  case HTML_TOKEN_END_TAG:
    if (!TAG_IN(t->tag, T(HEAD), T(BODY), T(HTML), T(BR)))
      return false;
    break;
  default:
    break;
  }
  p->head = insert_fake(p, T(HEAD));
  p->mode = M_IN_HEAD;
  return true;
}

static bool mode_in_head(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_CHARACTER:
    if (!take_ws(p, t, true))
      return false;
    break;
  case HTML_TOKEN_COMMENT:
    insert_comment_in(p, t, NULL);
    return false;
  case HTML_TOKEN_DOCTYPE:
    return false;
  case HTML_TOKEN_START_TAG:
    switch (t->tag) {
    case T(HTML):
      return mode_in_body(p, t);
    case T(BASE):
    case T(BASEFONT):
    case T(BGSOUND):
    case T(LINK):
    case T(META):
      if (insert_html(p, t))
        pop(p);
      return false;
    case T(TITLE):
      generic_text(p, t, HTML_STATE_RCDATA);
      return false;
    case T(NOSCRIPT):
      if (p->scripting) {
        generic_text(p, t, HTML_STATE_RAWTEXT);
      } else {
        insert_html(p, t);
        p->mode = M_IN_HEAD_NOSCRIPT;
      }
      return false;
    case T(NOFRAMES):
    case T(STYLE):
      generic_text(p, t, HTML_STATE_RAWTEXT);
      return false;
    case T(SCRIPT):
      generic_text(p, t, HTML_STATE_SCRIPT_DATA);
      return false;
    case T(TEMPLATE):
      if (!insert_html(p, t))
        return false;
      afe_push_raw(p, NULL);
      p->frameset_ok = false;
      p->mode = M_IN_TEMPLATE;
      tmode_push(p, M_IN_TEMPLATE);
      return false;
    case T(HEAD):
      return false;
    default:
      break;
    }
    break;
  case HTML_TOKEN_END_TAG:
    switch (t->tag) {
    case T(HEAD):
      pop(p);
      p->mode = M_AFTER_HEAD;
      return false;
    case T(BODY):
    case T(HTML):
    case T(BR):
      break;
    case T(TEMPLATE):
      if (!template_on_stack(p))
        return false;
      generate_implied_all(p);
      pop_until_tag(p, T(TEMPLATE));
      afe_clear_to_marker(p);
      tmode_pop(p);
      reset_insertion_mode(p);
      return false;
    default:
      return false;
    }
    break;
  default:
    break;
  }
  pop(p); /* head */
  p->mode = M_AFTER_HEAD;
  return true;
}

static bool mode_in_head_noscript(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_DOCTYPE:
    return false;
  case HTML_TOKEN_CHARACTER:
    if (!take_ws(p, t, true))
      return false;
    break;
  case HTML_TOKEN_COMMENT:
    return mode_in_head(p, t);
  case HTML_TOKEN_START_TAG:
    if (t->tag == T(HTML))
      return mode_in_body(p, t);
    if (TAG_IN(t->tag, T(BASEFONT), T(BGSOUND), T(LINK), T(META), T(NOFRAMES), T(STYLE)))
      return mode_in_head(p, t);
    if (t->tag == T(HEAD) || t->tag == T(NOSCRIPT))
      return false;
    break;
  case HTML_TOKEN_END_TAG:
    if (t->tag == T(NOSCRIPT)) {
      pop(p);
      p->mode = M_IN_HEAD;
      return false;
    }
    if (t->tag != T(BR))
      return false;
    break;
  default:
    break;
  }
  pop(p);
  p->mode = M_IN_HEAD;
  return true;
}

static bool mode_after_head(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_CHARACTER:
    if (!take_ws(p, t, true))
      return false;
    break;
  case HTML_TOKEN_COMMENT:
    insert_comment_in(p, t, NULL);
    return false;
  case HTML_TOKEN_DOCTYPE:
    return false;
  case HTML_TOKEN_START_TAG:
    switch (t->tag) {
    case T(HTML):
      return mode_in_body(p, t);
    case T(BODY):
      insert_html(p, t);
      p->frameset_ok = false;
      p->mode = M_IN_BODY;
      return false;
    case T(FRAMESET):
      insert_html(p, t);
      p->mode = M_IN_FRAMESET;
      return false;
    case T(BASE):
    case T(BASEFONT):
    case T(BGSOUND):
    case T(LINK):
    case T(META):
    case T(NOFRAMES):
    case T(SCRIPT):
    case T(STYLE):
    case T(TEMPLATE):
    case T(TITLE): {
      if (!p->head || !push(p, p->head))
        return false;
      bool r = mode_in_head(p, t);
      stack_remove(p, p->head);
      return r;
    }
    case T(HEAD):
      return false;
    default:
      break;
    }
    break;
  case HTML_TOKEN_END_TAG:
    if (t->tag == T(TEMPLATE))
      return mode_in_head(p, t);
    if (!TAG_IN(t->tag, T(BODY), T(HTML), T(BR)))
      return false;
    break;
  default:
    break;
  }
  insert_fake(p, T(BODY));
  p->mode = M_IN_BODY;
  return true;
}

/* In body: a run of characters. A NUL is dropped; the tokenizer passes one through only as a
 * token of its own (tokenizer.h), so no other run holds one. */
static void body_chars(html_parser *p, const tk *t)
{
  const char *s = t->data;
  size_t n = t->data_len;
  if (n == 0 || (n == 1 && s[0] == '\0'))
    return;
  reconstruct_afe(p);
  if (p->frameset_ok) {
    for (size_t i = 0; i < n; i++)
      if (!is_ws(s[i])) {
        p->frameset_ok = false;
        break;
      }
  }
  insert_chars(p, s, n);
}

static bool any_other_end_tag(html_parser *p, const tk *t)
{
  /* Known tags: the topmost element with the tag matches if no special element is above it. */
  if (t->tag) {
    int32_t i = p->last_tag[t->tag];
    if (i < 0 || i < p->last_special)
      return false;
    generate_implied(p, t->tag);
    pop_until_node(p, p->stack[i]);
    return false;
  }
  if (!p->html_buckets[name_bucket(t->name, t->name_len, false)])
    return false;
  for (size_t i = p->n_stack; i-- > 0;) {
    if (!charge(p, 1))
      return false;
    dom_node *node = p->stack[i];
    bool match = is_html(node) &&
                 (t->tag ? node->tag == t->tag
                         : (node->tag == HTML_TAG_UNKNOWN && node->name_len == t->name_len &&
                            memcmp(node->name, t->name, t->name_len) == 0));
    if (match) {
      generate_implied(p, t->tag);
      pop_until_node(p, node);
      return false;
    }
    if (is_special(node))
      return false;
  }
  return false;
}

static bool body_start_tag(html_parser *p, tk *t)
{
  switch (t->tag) {
  case T(HTML):
    if (template_on_stack(p) || !p->n_stack)
      return false;
    merge_attrs(p, p->stack[0], t);
    return false;
  case T(BASE):
  case T(BASEFONT):
  case T(BGSOUND):
  case T(LINK):
  case T(META):
  case T(NOFRAMES):
  case T(SCRIPT):
  case T(STYLE):
  case T(TEMPLATE):
  case T(TITLE):
    return mode_in_head(p, t);
  case T(BODY): {
    if (p->n_stack < 2 || !dom_is(p->stack[1], T(BODY)) || template_on_stack(p))
      return false;
    p->frameset_ok = false;
    merge_attrs(p, p->stack[1], t);
    return false;
  }
  case T(FRAMESET):
    if (p->n_stack < 2 || !dom_is(p->stack[1], T(BODY)) || !p->frameset_ok)
      return false;
    dom_remove(p->stack[1]);
    while (p->n_stack > 1)
      pop(p);
    insert_html(p, t);
    p->mode = M_IN_FRAMESET;
    return false;
  case T(ADDRESS):
  case T(ARTICLE):
  case T(ASIDE):
  case T(BLOCKQUOTE):
  case T(CENTER):
  case T(DETAILS):
  case T(DIALOG):
  case T(DIR):
  case T(DIV):
  case T(DL):
  case T(FIELDSET):
  case T(FIGCAPTION):
  case T(FIGURE):
  case T(FOOTER):
  case T(HEADER):
  case T(HGROUP):
  case T(MAIN):
  case T(MENU):
  case T(NAV):
  case T(OL):
  case T(P):
  case T(SEARCH):
  case T(SECTION):
  case T(SUMMARY):
  case T(UL):
    close_p_if_in_button_scope(p);
    insert_html(p, t);
    return false;
  case T(H1):
  case T(H2):
  case T(H3):
  case T(H4):
  case T(H5):
  case T(H6):
    close_p_if_in_button_scope(p);
    if (tag_has(current(p), TF_HEADING))
      pop(p);
    insert_html(p, t);
    return false;
  case T(PRE):
  case T(LISTING):
    close_p_if_in_button_scope(p);
    insert_html(p, t);
    p->ignore_lf = true;
    p->frameset_ok = false;
    return false;
  case T(FORM): {
    if (p->form && !template_on_stack(p))
      return false;
    close_p_if_in_button_scope(p);
    dom_node *f = insert_html(p, t);
    if (!template_on_stack(p))
      p->form = f;
    return false;
  }
  case T(LI):
  case T(DD):
  case T(DT): {
    p->frameset_ok = false;
    /* Only special elements can match or stop the walk: follow the special chain. */
    for (int32_t i = p->last_special; i >= 0; i = p->links[i].prev_special) {
      if (!charge(p, 1))
        return false;
      dom_node *node = p->stack[i];
      html_tag match = HTML_TAG_UNKNOWN;
      if (t->tag == T(LI) && dom_is(node, T(LI)))
        match = T(LI);
      else if (t->tag != T(LI) && (dom_is(node, T(DD)) || dom_is(node, T(DT))))
        match = (html_tag)node->tag;
      if (match) {
        generate_implied(p, match);
        pop_until_tag(p, match);
        break;
      }
      if (is_special(node) && !dom_is(node, T(ADDRESS)) && !dom_is(node, T(DIV)) &&
          !dom_is(node, T(P)))
        break;
    }
    close_p_if_in_button_scope(p);
    insert_html(p, t);
    return false;
  }
  case T(PLAINTEXT):
    close_p_if_in_button_scope(p);
    if (insert_html(p, t))
      html_tokenizer_set_state(p->tok, HTML_STATE_PLAINTEXT);
    return false;
  case T(BUTTON):
    if (in_scope_tag(p, T(BUTTON), SC_DEFAULT)) {
      generate_implied(p, HTML_TAG_UNKNOWN);
      pop_until_tag(p, T(BUTTON));
    }
    reconstruct_afe(p);
    insert_html(p, t);
    p->frameset_ok = false;
    return false;
  case T(A): {
    size_t ai = afe_find_tag(p, T(A));
    if (ai != (size_t)-1) {
      dom_node *e = p->afe[ai];
      tk end = *t;
      end.type = HTML_TOKEN_END_TAG;
      if (adoption_agency(p, &end))
        any_other_end_tag(p, &end);
      afe_remove(p, e);
      stack_remove(p, e);
    }
    reconstruct_afe(p);
    dom_node *el = insert_html(p, t);
    if (el)
      afe_push(p, el);
    return false;
  }
  case T(B):
  case T(BIG):
  case T(CODE):
  case T(EM):
  case T(FONT):
  case T(I):
  case T(S):
  case T(SMALL):
  case T(STRIKE):
  case T(STRONG):
  case T(TT):
  case T(U): {
    reconstruct_afe(p);
    dom_node *el = insert_html(p, t);
    if (el)
      afe_push(p, el);
    return false;
  }
  case T(NOBR): {
    reconstruct_afe(p);
    if (in_scope_tag(p, T(NOBR), SC_DEFAULT)) {
      tk end = *t;
      end.type = HTML_TOKEN_END_TAG;
      if (adoption_agency(p, &end))
        any_other_end_tag(p, &end);
      reconstruct_afe(p);
    }
    dom_node *el = insert_html(p, t);
    if (el)
      afe_push(p, el);
    return false;
  }
  case T(APPLET):
  case T(MARQUEE):
  case T(OBJECT):
    reconstruct_afe(p);
    insert_html(p, t);
    afe_push_raw(p, NULL);
    p->frameset_ok = false;
    return false;
  case T(TABLE):
    if (p->doc->quirks != 1)
      close_p_if_in_button_scope(p);
    insert_html(p, t);
    p->frameset_ok = false;
    p->mode = M_IN_TABLE;
    return false;
  case T(AREA):
  case T(BR):
  case T(EMBED):
  case T(IMG):
  case T(KEYGEN):
  case T(WBR):
    reconstruct_afe(p);
    if (insert_html(p, t))
      pop(p);
    p->frameset_ok = false;
    return false;
  case T(INPUT): {
    reconstruct_afe(p);
    if (insert_html(p, t))
      pop(p);
    const html_token_attr *type = tk_attr(t, "type");
    if (!type || !ascii_ieq(type->value, type->value_len, "hidden"))
      p->frameset_ok = false;
    return false;
  }
  case T(PARAM):
  case T(SOURCE):
  case T(TRACK):
    if (insert_html(p, t))
      pop(p);
    return false;
  case T(HR):
    close_p_if_in_button_scope(p);
    if (insert_html(p, t))
      pop(p);
    p->frameset_ok = false;
    return false;
  case T(IMAGE):
    t->tag = T(IMG);
    t->name = "img";
    t->name_len = 3;
    return true;
  case T(TEXTAREA):
    if (!insert_html(p, t))
      return false;
    p->ignore_lf = true;
    set_tokenizer_state(p, HTML_STATE_RCDATA, t);
    p->orig_mode = p->mode;
    p->frameset_ok = false;
    p->mode = M_TEXT;
    return false;
  case T(XMP):
    close_p_if_in_button_scope(p);
    reconstruct_afe(p);
    p->frameset_ok = false;
    generic_text(p, t, HTML_STATE_RAWTEXT);
    return false;
  case T(IFRAME):
    p->frameset_ok = false;
    generic_text(p, t, HTML_STATE_RAWTEXT);
    return false;
  case T(NOEMBED):
    generic_text(p, t, HTML_STATE_RAWTEXT);
    return false;
  case T(NOSCRIPT):
    if (p->scripting) {
      generic_text(p, t, HTML_STATE_RAWTEXT);
      return false;
    }
    break;
  case T(SELECT):
    reconstruct_afe(p);
    insert_html(p, t);
    p->frameset_ok = false;
    if (p->mode == M_IN_TABLE || p->mode == M_IN_CAPTION || p->mode == M_IN_TABLE_BODY ||
        p->mode == M_IN_ROW || p->mode == M_IN_CELL)
      p->mode = M_IN_SELECT_IN_TABLE;
    else
      p->mode = M_IN_SELECT;
    return false;
  case T(OPTGROUP):
  case T(OPTION):
    if (dom_is(current(p), T(OPTION)))
      pop(p);
    reconstruct_afe(p);
    insert_html(p, t);
    return false;
  case T(RB):
  case T(RTC):
    if (in_scope_tag(p, T(RUBY), SC_DEFAULT))
      generate_implied(p, HTML_TAG_UNKNOWN);
    insert_html(p, t);
    return false;
  case T(RP):
  case T(RT):
    if (in_scope_tag(p, T(RUBY), SC_DEFAULT))
      generate_implied(p, T(RTC));
    insert_html(p, t);
    return false;
  case T(MATH):
  case T(SVG):
    reconstruct_afe(p);
    if (insert_element(p, t, t->tag == T(MATH) ? DOM_NS_MATHML : DOM_NS_SVG) && t->self_closing)
      pop(p);
    return false;
  case T(CAPTION):
  case T(COL):
  case T(COLGROUP):
  case T(FRAME):
  case T(HEAD):
  case T(TBODY):
  case T(TD):
  case T(TFOOT):
  case T(TH):
  case T(THEAD):
  case T(TR):
    return false;
  default:
    break;
  }
  reconstruct_afe(p);
  insert_html(p, t);
  return false;
}

static bool body_end_tag(html_parser *p, tk *t)
{
  switch (t->tag) {
  case T(TEMPLATE):
    return mode_in_head(p, t);
  case T(BODY):
    if (in_scope_tag(p, T(BODY), SC_DEFAULT))
      p->mode = M_AFTER_BODY;
    return false;
  case T(HTML):
    if (!in_scope_tag(p, T(BODY), SC_DEFAULT))
      return false;
    p->mode = M_AFTER_BODY;
    return true;
  case T(ADDRESS):
  case T(ARTICLE):
  case T(ASIDE):
  case T(BLOCKQUOTE):
  case T(BUTTON):
  case T(CENTER):
  case T(DETAILS):
  case T(DIALOG):
  case T(DIR):
  case T(DIV):
  case T(DL):
  case T(FIELDSET):
  case T(FIGCAPTION):
  case T(FIGURE):
  case T(FOOTER):
  case T(HEADER):
  case T(HGROUP):
  case T(LISTING):
  case T(MAIN):
  case T(MENU):
  case T(NAV):
  case T(OL):
  case T(PRE):
  case T(SEARCH):
  case T(SECTION):
  case T(SUMMARY):
  case T(UL):
    if (!in_scope_tag(p, t->tag, SC_DEFAULT))
      return false;
    generate_implied(p, HTML_TAG_UNKNOWN);
    pop_until_tag(p, t->tag);
    return false;
  case T(FORM):
    if (!template_on_stack(p)) {
      dom_node *node = p->form;
      p->form = NULL;
      if (!node || !in_scope_node(p, node, SC_DEFAULT))
        return false;
      generate_implied(p, HTML_TAG_UNKNOWN);
      stack_remove(p, node);
    } else {
      if (!in_scope_tag(p, T(FORM), SC_DEFAULT))
        return false;
      generate_implied(p, HTML_TAG_UNKNOWN);
      pop_until_tag(p, T(FORM));
    }
    return false;
  case T(P):
    if (!in_scope_tag(p, T(P), SC_BUTTON))
      insert_fake(p, T(P));
    close_p(p);
    return false;
  case T(LI):
    if (!in_scope_tag(p, T(LI), SC_LIST))
      return false;
    generate_implied(p, T(LI));
    pop_until_tag(p, T(LI));
    return false;
  case T(DD):
  case T(DT):
    if (!in_scope_tag(p, t->tag, SC_DEFAULT))
      return false;
    generate_implied(p, t->tag);
    pop_until_tag(p, t->tag);
    return false;
  case T(H1):
  case T(H2):
  case T(H3):
  case T(H4):
  case T(H5):
  case T(H6):
    if (!heading_in_scope(p))
      return false;
    generate_implied(p, HTML_TAG_UNKNOWN);
    while (p->n_stack) {
      dom_node *n = current(p);
      pop(p);
      if (tag_has(n, TF_HEADING))
        break;
    }
    return false;
  case T(A):
  case T(B):
  case T(BIG):
  case T(CODE):
  case T(EM):
  case T(FONT):
  case T(I):
  case T(NOBR):
  case T(S):
  case T(SMALL):
  case T(STRIKE):
  case T(STRONG):
  case T(TT):
  case T(U):
    if (adoption_agency(p, t))
      return any_other_end_tag(p, t);
    return false;
  case T(APPLET):
  case T(MARQUEE):
  case T(OBJECT):
    if (!in_scope_tag(p, t->tag, SC_DEFAULT))
      return false;
    generate_implied(p, HTML_TAG_UNKNOWN);
    pop_until_tag(p, t->tag);
    afe_clear_to_marker(p);
    return false;
  case T(BR): {
    tk br = fake_start(T(BR));
    return body_start_tag(p, &br);
  }
  default:
    return any_other_end_tag(p, t);
  }
}

static bool mode_in_template(html_parser *p, tk *t);

static bool mode_in_body(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_CHARACTER:
    body_chars(p, t);
    return false;
  case HTML_TOKEN_COMMENT:
    insert_comment_in(p, t, NULL);
    return false;
  case HTML_TOKEN_DOCTYPE:
    return false;
  case HTML_TOKEN_START_TAG:
    return body_start_tag(p, t);
  case HTML_TOKEN_END_TAG:
    return body_end_tag(p, t);
  case HTML_TOKEN_EOF:
    if (p->n_tmodes)
      return mode_in_template(p, t);
    return false;
  default:
    return false;
  }
}

static bool mode_text(html_parser *p, tk *t)
{
  if (t->type == HTML_TOKEN_CHARACTER) {
    insert_chars(p, t->data, t->data_len);
    return false;
  }
  if (t->type == HTML_TOKEN_EOF) {
    pop(p);
    p->mode = p->orig_mode;
    return true;
  }
  if (t->type == HTML_TOKEN_END_TAG) {
    pop(p);
    p->mode = p->orig_mode;
  }
  return false;
}

static void clear_to_table_context(html_parser *p)
{
  while (p->n_stack > 1 && !dom_is(current(p), T(TABLE)) && !dom_is(current(p), T(TEMPLATE)) &&
         !dom_is(current(p), T(HTML)))
    pop(p);
}

static void clear_to_table_body_context(html_parser *p)
{
  while (p->n_stack > 1 && !dom_is(current(p), T(TBODY)) && !dom_is(current(p), T(TFOOT)) &&
         !dom_is(current(p), T(THEAD)) && !dom_is(current(p), T(TEMPLATE)) &&
         !dom_is(current(p), T(HTML)))
    pop(p);
}

static void clear_to_table_row_context(html_parser *p)
{
  while (p->n_stack > 1 && !dom_is(current(p), T(TR)) && !dom_is(current(p), T(TEMPLATE)) &&
         !dom_is(current(p), T(HTML)))
    pop(p);
}

static bool table_anything_else(html_parser *p, tk *t)
{
  p->foster = true;
  bool r = mode_in_body(p, t);
  p->foster = false;
  return r;
}

static bool mode_in_table(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_CHARACTER: {
    dom_node *c = current(p);
    if (is_html(c) && TAG_IN(c->tag, T(TABLE), T(TBODY), T(TEMPLATE), T(TFOOT), T(THEAD), T(TR))) {
      p->n_pending = 0;
      p->pending_non_ws = false;
      p->orig_mode = p->mode;
      p->mode = M_IN_TABLE_TEXT;
      return true;
    }
    return table_anything_else(p, t);
  }
  case HTML_TOKEN_COMMENT:
    insert_comment_in(p, t, NULL);
    return false;
  case HTML_TOKEN_DOCTYPE:
    return false;
  case HTML_TOKEN_START_TAG:
    switch (t->tag) {
    case T(CAPTION):
      clear_to_table_context(p);
      afe_push_raw(p, NULL);
      insert_html(p, t);
      p->mode = M_IN_CAPTION;
      return false;
    case T(COLGROUP):
      clear_to_table_context(p);
      insert_html(p, t);
      p->mode = M_IN_COLUMN_GROUP;
      return false;
    case T(COL):
      clear_to_table_context(p);
      insert_fake(p, T(COLGROUP));
      p->mode = M_IN_COLUMN_GROUP;
      return true;
    case T(TBODY):
    case T(TFOOT):
    case T(THEAD):
      clear_to_table_context(p);
      insert_html(p, t);
      p->mode = M_IN_TABLE_BODY;
      return false;
    case T(TD):
    case T(TH):
    case T(TR):
      clear_to_table_context(p);
      insert_fake(p, T(TBODY));
      p->mode = M_IN_TABLE_BODY;
      return true;
    case T(TABLE):
      if (!in_scope_tag(p, T(TABLE), SC_TABLE))
        return false;
      pop_until_tag(p, T(TABLE));
      reset_insertion_mode(p);
      return true;
    case T(STYLE):
    case T(SCRIPT):
    case T(TEMPLATE):
      return mode_in_head(p, t);
    case T(INPUT): {
      const html_token_attr *type = tk_attr(t, "type");
      if (!type || !ascii_ieq(type->value, type->value_len, "hidden"))
        break;
      if (insert_html(p, t))
        pop(p);
      return false;
    }
    case T(FORM):
      if (template_on_stack(p) || p->form)
        return false;
      p->form = insert_html(p, t);
      pop(p);
      return false;
    default:
      break;
    }
    break;
  case HTML_TOKEN_END_TAG:
    switch (t->tag) {
    case T(TABLE):
      if (!in_scope_tag(p, T(TABLE), SC_TABLE))
        return false;
      pop_until_tag(p, T(TABLE));
      reset_insertion_mode(p);
      return false;
    case T(BODY):
    case T(CAPTION):
    case T(COL):
    case T(COLGROUP):
    case T(HTML):
    case T(TBODY):
    case T(TD):
    case T(TFOOT):
    case T(TH):
    case T(THEAD):
    case T(TR):
      return false;
    case T(TEMPLATE):
      return mode_in_head(p, t);
    default:
      break;
    }
    break;
  case HTML_TOKEN_EOF:
    return mode_in_body(p, t);
  default:
    break;
  }
  return table_anything_else(p, t);
}

static bool mode_in_table_text(html_parser *p, tk *t)
{
  if (t->type == HTML_TOKEN_CHARACTER) {
    const char *s = t->data;
    size_t n = t->data_len;
    if (!grow(p, (void **)&p->pending, &p->cap_pending, p->n_pending + n, 1))
      return false;
    for (size_t i = 0; i < n; i++) {
      if (s[i] == '\0')
        continue;
      if (!is_ws(s[i]))
        p->pending_non_ws = true;
      p->pending[p->n_pending++] = s[i];
    }
    return false;
  }
  if (p->n_pending) {
    tk c;
    memset(&c, 0, sizeof c);
    c.type = HTML_TOKEN_CHARACTER;
    c.data = p->pending;
    c.data_len = (uint32_t)p->n_pending;
    if (p->pending_non_ws)
      table_anything_else(p, &c);
    else
      insert_chars(p, c.data, c.data_len);
    p->n_pending = 0;
  }
  p->mode = p->orig_mode;
  return true;
}

static bool mode_in_caption(html_parser *p, tk *t)
{
  bool end_caption = is_end(t, T(CAPTION));
  bool reprocess =
      (t->type == HTML_TOKEN_START_TAG && TAG_IN(t->tag, T(CAPTION), T(COL), T(COLGROUP), T(TBODY),
                                                 T(TD), T(TFOOT), T(TH), T(THEAD), T(TR))) ||
      is_end(t, T(TABLE));
  if (end_caption || reprocess) {
    if (!in_scope_tag(p, T(CAPTION), SC_TABLE))
      return false;
    generate_implied(p, HTML_TAG_UNKNOWN);
    pop_until_tag(p, T(CAPTION));
    afe_clear_to_marker(p);
    p->mode = M_IN_TABLE;
    return reprocess;
  }
  if (t->type == HTML_TOKEN_END_TAG && TAG_IN(t->tag, T(BODY), T(COL), T(COLGROUP), T(HTML),
                                              T(TBODY), T(TD), T(TFOOT), T(TH), T(THEAD), T(TR)))
    return false;
  return mode_in_body(p, t);
}

static bool mode_in_column_group(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_CHARACTER:
    if (!take_ws(p, t, true))
      return false;
    break;
  case HTML_TOKEN_COMMENT:
    insert_comment_in(p, t, NULL);
    return false;
  case HTML_TOKEN_DOCTYPE:
    return false;
  case HTML_TOKEN_START_TAG:
    if (t->tag == T(HTML))
      return mode_in_body(p, t);
    if (t->tag == T(COL)) {
      if (insert_html(p, t))
        pop(p);
      return false;
    }
    if (t->tag == T(TEMPLATE))
      return mode_in_head(p, t);
    break;
  case HTML_TOKEN_END_TAG:
    if (t->tag == T(COLGROUP)) {
      if (dom_is(current(p), T(COLGROUP))) {
        pop(p);
        p->mode = M_IN_TABLE;
      }
      return false;
    }
    if (t->tag == T(COL))
      return false;
    if (t->tag == T(TEMPLATE))
      return mode_in_head(p, t);
    break;
  case HTML_TOKEN_EOF:
    return mode_in_body(p, t);
  default:
    break;
  }
  if (!dom_is(current(p), T(COLGROUP)))
    return false;
  pop(p);
  p->mode = M_IN_TABLE;
  return true;
}

static bool mode_in_table_body(html_parser *p, tk *t)
{
  if (t->type == HTML_TOKEN_START_TAG) {
    if (t->tag == T(TR)) {
      clear_to_table_body_context(p);
      insert_html(p, t);
      p->mode = M_IN_ROW;
      return false;
    }
    if (t->tag == T(TH) || t->tag == T(TD)) {
      clear_to_table_body_context(p);
      insert_fake(p, T(TR));
      p->mode = M_IN_ROW;
      return true;
    }
    if (TAG_IN(t->tag, T(CAPTION), T(COL), T(COLGROUP), T(TBODY), T(TFOOT), T(THEAD)))
      goto close_section;
  } else if (t->type == HTML_TOKEN_END_TAG) {
    if (TAG_IN(t->tag, T(TBODY), T(TFOOT), T(THEAD))) {
      if (!in_scope_tag(p, t->tag, SC_TABLE))
        return false;
      clear_to_table_body_context(p);
      pop(p);
      p->mode = M_IN_TABLE;
      return false;
    }
    if (t->tag == T(TABLE))
      goto close_section;
    if (TAG_IN(t->tag, T(BODY), T(CAPTION), T(COL), T(COLGROUP), T(HTML), T(TD), T(TH), T(TR)))
      return false;
  }
  return mode_in_table(p, t);
close_section:
  if (!in_scope_tag(p, T(TBODY), SC_TABLE) && !in_scope_tag(p, T(THEAD), SC_TABLE) &&
      !in_scope_tag(p, T(TFOOT), SC_TABLE))
    return false;
  clear_to_table_body_context(p);
  pop(p);
  p->mode = M_IN_TABLE;
  return true;
}

static bool mode_in_row(html_parser *p, tk *t)
{
  if (t->type == HTML_TOKEN_START_TAG) {
    if (t->tag == T(TH) || t->tag == T(TD)) {
      clear_to_table_row_context(p);
      insert_html(p, t);
      p->mode = M_IN_CELL;
      afe_push_raw(p, NULL);
      return false;
    }
    if (TAG_IN(t->tag, T(CAPTION), T(COL), T(COLGROUP), T(TBODY), T(TFOOT), T(THEAD), T(TR)))
      goto close_row;
  } else if (t->type == HTML_TOKEN_END_TAG) {
    if (t->tag == T(TR)) {
      if (!in_scope_tag(p, T(TR), SC_TABLE))
        return false;
      clear_to_table_row_context(p);
      pop(p);
      p->mode = M_IN_TABLE_BODY;
      return false;
    }
    if (t->tag == T(TABLE))
      goto close_row;
    if (TAG_IN(t->tag, T(TBODY), T(TFOOT), T(THEAD))) {
      if (!in_scope_tag(p, t->tag, SC_TABLE))
        return false;
      goto close_row;
    }
    if (TAG_IN(t->tag, T(BODY), T(CAPTION), T(COL), T(COLGROUP), T(HTML), T(TD), T(TH)))
      return false;
  }
  return mode_in_table(p, t);
close_row:
  if (!in_scope_tag(p, T(TR), SC_TABLE))
    return false;
  clear_to_table_row_context(p);
  pop(p);
  p->mode = M_IN_TABLE_BODY;
  return true;
}

static void close_cell(html_parser *p)
{
  generate_implied(p, HTML_TAG_UNKNOWN);
  while (p->n_stack) {
    dom_node *n = current(p);
    pop(p);
    if (dom_is(n, T(TD)) || dom_is(n, T(TH)))
      break;
  }
  afe_clear_to_marker(p);
  p->mode = M_IN_ROW;
}

static bool mode_in_cell(html_parser *p, tk *t)
{
  if (t->type == HTML_TOKEN_END_TAG) {
    if (t->tag == T(TD) || t->tag == T(TH)) {
      if (!in_scope_tag(p, t->tag, SC_TABLE))
        return false;
      generate_implied(p, HTML_TAG_UNKNOWN);
      pop_until_tag(p, t->tag);
      afe_clear_to_marker(p);
      p->mode = M_IN_ROW;
      return false;
    }
    if (TAG_IN(t->tag, T(BODY), T(CAPTION), T(COL), T(COLGROUP), T(HTML)))
      return false;
    if (TAG_IN(t->tag, T(TABLE), T(TBODY), T(TFOOT), T(THEAD), T(TR))) {
      if (!in_scope_tag(p, t->tag, SC_TABLE))
        return false;
      close_cell(p);
      return true;
    }
  } else if (t->type == HTML_TOKEN_START_TAG &&
             TAG_IN(t->tag, T(CAPTION), T(COL), T(COLGROUP), T(TBODY), T(TD), T(TFOOT), T(TH),
                    T(THEAD), T(TR))) {
    if (!in_scope_tag(p, T(TD), SC_TABLE) && !in_scope_tag(p, T(TH), SC_TABLE))
      return false;
    close_cell(p);
    return true;
  }
  return mode_in_body(p, t);
}

static bool mode_in_select(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_CHARACTER: {
    const char *s = t->data;
    size_t n = t->data_len;
    while (n) {
      const char *z = memchr(s, '\0', n);
      size_t run = z ? (size_t)(z - s) : n;
      insert_chars(p, s, run);
      if (!z)
        break;
      s += run + 1;
      n -= run + 1;
    }
    return false;
  }
  case HTML_TOKEN_COMMENT:
    insert_comment_in(p, t, NULL);
    return false;
  case HTML_TOKEN_DOCTYPE:
    return false;
  case HTML_TOKEN_START_TAG:
    switch (t->tag) {
    case T(HTML):
      return mode_in_body(p, t);
    case T(OPTION):
      if (dom_is(current(p), T(OPTION)))
        pop(p);
      insert_html(p, t);
      return false;
    case T(OPTGROUP):
      if (dom_is(current(p), T(OPTION)))
        pop(p);
      if (dom_is(current(p), T(OPTGROUP)))
        pop(p);
      insert_html(p, t);
      return false;
    case T(HR):
      if (dom_is(current(p), T(OPTION)))
        pop(p);
      if (dom_is(current(p), T(OPTGROUP)))
        pop(p);
      if (insert_html(p, t))
        pop(p);
      return false;
    case T(SELECT):
      if (!in_scope_tag(p, T(SELECT), SC_SELECT))
        return false;
      pop_until_tag(p, T(SELECT));
      reset_insertion_mode(p);
      return false;
    case T(INPUT):
    case T(KEYGEN):
    case T(TEXTAREA):
      if (!in_scope_tag(p, T(SELECT), SC_SELECT))
        return false;
      pop_until_tag(p, T(SELECT));
      reset_insertion_mode(p);
      return true;
    case T(SCRIPT):
    case T(TEMPLATE):
      return mode_in_head(p, t);
    default:
      return false;
    }
  case HTML_TOKEN_END_TAG:
    switch (t->tag) {
    case T(OPTGROUP):
      if (dom_is(current(p), T(OPTION)) && p->n_stack >= 2 &&
          dom_is(p->stack[p->n_stack - 2], T(OPTGROUP)))
        pop(p);
      if (dom_is(current(p), T(OPTGROUP)))
        pop(p);
      return false;
    case T(OPTION):
      if (dom_is(current(p), T(OPTION)))
        pop(p);
      return false;
    case T(SELECT):
      if (!in_scope_tag(p, T(SELECT), SC_SELECT))
        return false;
      pop_until_tag(p, T(SELECT));
      reset_insertion_mode(p);
      return false;
    case T(TEMPLATE):
      return mode_in_head(p, t);
    default:
      return false;
    }
  case HTML_TOKEN_EOF:
    return mode_in_body(p, t);
  default:
    return false;
  }
}

static bool mode_in_select_in_table(html_parser *p, tk *t)
{
  if ((t->type == HTML_TOKEN_START_TAG || t->type == HTML_TOKEN_END_TAG) &&
      TAG_IN(t->tag, T(CAPTION), T(TABLE), T(TBODY), T(TFOOT), T(THEAD), T(TR), T(TD), T(TH))) {
    if (t->type == HTML_TOKEN_END_TAG && !in_scope_tag(p, t->tag, SC_TABLE))
      return false;
    pop_until_tag(p, T(SELECT));
    reset_insertion_mode(p);
    return true;
  }
  return mode_in_select(p, t);
}

static bool mode_in_template(html_parser *p, tk *t)
{
  mode next;
  switch (t->type) {
  case HTML_TOKEN_CHARACTER:
  case HTML_TOKEN_COMMENT:
  case HTML_TOKEN_DOCTYPE:
    return mode_in_body(p, t);
  case HTML_TOKEN_START_TAG:
    switch (t->tag) {
    case T(BASE):
    case T(BASEFONT):
    case T(BGSOUND):
    case T(LINK):
    case T(META):
    case T(NOFRAMES):
    case T(SCRIPT):
    case T(STYLE):
    case T(TEMPLATE):
    case T(TITLE):
      return mode_in_head(p, t);
    case T(CAPTION):
    case T(COLGROUP):
    case T(TBODY):
    case T(TFOOT):
    case T(THEAD):
      next = M_IN_TABLE;
      break;
    case T(COL):
      next = M_IN_COLUMN_GROUP;
      break;
    case T(TR):
      next = M_IN_TABLE_BODY;
      break;
    case T(TD):
    case T(TH):
      next = M_IN_ROW;
      break;
    default:
      next = M_IN_BODY;
      break;
    }
    tmode_pop(p);
    tmode_push(p, next);
    p->mode = next;
    return true;
  case HTML_TOKEN_END_TAG:
    if (t->tag == T(TEMPLATE))
      return mode_in_head(p, t);
    return false;
  case HTML_TOKEN_EOF:
    if (!template_on_stack(p))
      return false;
    pop_until_tag(p, T(TEMPLATE));
    afe_clear_to_marker(p);
    tmode_pop(p);
    reset_insertion_mode(p);
    return true;
  default:
    return false;
  }
}

static bool mode_after_body(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_CHARACTER: {
    size_t n = ws_prefix(t);
    if (n) {
      tk w = *t;
      w.data_len = (uint32_t)n;
      mode_in_body(p, &w);
      t->data += n;
      t->data_len -= (uint32_t)n;
    }
    if (!t->data_len)
      return false;
    break;
  }
  case HTML_TOKEN_COMMENT:
    insert_comment_in(p, t, p->stack[0]);
    return false;
  case HTML_TOKEN_DOCTYPE:
    return false;
  case HTML_TOKEN_START_TAG:
    if (t->tag == T(HTML))
      return mode_in_body(p, t);
    break;
  case HTML_TOKEN_END_TAG:
    if (t->tag == T(HTML)) {
      if (!p->fragment)
        p->mode = M_AFTER_AFTER_BODY;
      return false;
    }
    break;
  case HTML_TOKEN_EOF:
    return false;
  default:
    break;
  }
  p->mode = M_IN_BODY;
  return true;
}

/* Inserts the whitespace of a character run, ignoring everything else. */
static void insert_ws_only(html_parser *p, const tk *t)
{
  const char *s = t->data;
  size_t n = t->data_len, i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && is_ws(s[j]))
      j++;
    insert_chars(p, s + i, j - i);
    while (j < n && !is_ws(s[j]))
      j++;
    i = j;
  }
}

static bool mode_in_frameset(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_CHARACTER:
    insert_ws_only(p, t);
    return false;
  case HTML_TOKEN_COMMENT:
    insert_comment_in(p, t, NULL);
    return false;
  case HTML_TOKEN_START_TAG:
    switch (t->tag) {
    case T(HTML):
      return mode_in_body(p, t);
    case T(FRAMESET):
      insert_html(p, t);
      return false;
    case T(FRAME):
      if (insert_html(p, t))
        pop(p);
      return false;
    case T(NOFRAMES):
      return mode_in_head(p, t);
    default:
      return false;
    }
  case HTML_TOKEN_END_TAG:
    if (t->tag == T(FRAMESET)) {
      if (p->n_stack <= 1)
        return false;
      pop(p);
      if (!p->fragment && !dom_is(current(p), T(FRAMESET)))
        p->mode = M_AFTER_FRAMESET;
    }
    return false;
  default:
    return false;
  }
}

static bool mode_after_frameset(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_CHARACTER:
    insert_ws_only(p, t);
    return false;
  case HTML_TOKEN_COMMENT:
    insert_comment_in(p, t, NULL);
    return false;
  case HTML_TOKEN_START_TAG:
    if (t->tag == T(HTML))
      return mode_in_body(p, t);
    if (t->tag == T(NOFRAMES))
      return mode_in_head(p, t);
    return false;
  case HTML_TOKEN_END_TAG:
    if (t->tag == T(HTML))
      p->mode = M_AFTER_AFTER_FRAMESET;
    return false;
  default:
    return false;
  }
}

static bool mode_after_after_body(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_COMMENT:
    insert_comment_in(p, t, p->doc->root);
    return false;
  case HTML_TOKEN_DOCTYPE:
    return mode_in_body(p, t);
  case HTML_TOKEN_CHARACTER: {
    size_t n = ws_prefix(t);
    if (n) {
      tk w = *t;
      w.data_len = (uint32_t)n;
      mode_in_body(p, &w);
      t->data += n;
      t->data_len -= (uint32_t)n;
    }
    if (!t->data_len)
      return false;
    break;
  }
  case HTML_TOKEN_START_TAG:
    if (t->tag == T(HTML))
      return mode_in_body(p, t);
    break;
  case HTML_TOKEN_EOF:
    return false;
  default:
    break;
  }
  p->mode = M_IN_BODY;
  return true;
}

static bool mode_after_after_frameset(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_COMMENT:
    insert_comment_in(p, t, p->doc->root);
    return false;
  case HTML_TOKEN_DOCTYPE:
    return mode_in_body(p, t);
  case HTML_TOKEN_CHARACTER: {
    size_t n = ws_prefix(t);
    tk w = *t;
    w.data_len = (uint32_t)n;
    if (n)
      mode_in_body(p, &w);
    /* other whitespace further in the run is processed like the prefix; the rest ignored */
    for (size_t i = n; i < t->data_len; i++) {
      if (is_ws(t->data[i])) {
        w.data = t->data + i;
        w.data_len = 1;
        mode_in_body(p, &w);
      }
    }
    return false;
  }
  case HTML_TOKEN_START_TAG:
    if (t->tag == T(HTML))
      return mode_in_body(p, t);
    if (t->tag == T(NOFRAMES))
      return mode_in_head(p, t);
    return false;
  default:
    return false;
  }
}

static const mode_fn mode_fns[M_COUNT_] = {
    [M_INITIAL] = mode_initial,
    [M_BEFORE_HTML] = mode_before_html,
    [M_BEFORE_HEAD] = mode_before_head,
    [M_IN_HEAD] = mode_in_head,
    [M_IN_HEAD_NOSCRIPT] = mode_in_head_noscript,
    [M_AFTER_HEAD] = mode_after_head,
    [M_IN_BODY] = mode_in_body,
    [M_TEXT] = mode_text,
    [M_IN_TABLE] = mode_in_table,
    [M_IN_TABLE_TEXT] = mode_in_table_text,
    [M_IN_CAPTION] = mode_in_caption,
    [M_IN_COLUMN_GROUP] = mode_in_column_group,
    [M_IN_TABLE_BODY] = mode_in_table_body,
    [M_IN_ROW] = mode_in_row,
    [M_IN_CELL] = mode_in_cell,
    [M_IN_SELECT] = mode_in_select,
    [M_IN_SELECT_IN_TABLE] = mode_in_select_in_table,
    [M_IN_TEMPLATE] = mode_in_template,
    [M_AFTER_BODY] = mode_after_body,
    [M_IN_FRAMESET] = mode_in_frameset,
    [M_AFTER_FRAMESET] = mode_after_frameset,
    [M_AFTER_AFTER_BODY] = mode_after_after_body,
    [M_AFTER_AFTER_FRAMESET] = mode_after_after_frameset,
};

static bool dispatch_mode(html_parser *p, mode m, tk *t)
{
  return mode_fns[m](p, t);
}

/* ---- foreign content ------------------------------------------------------------------------ */

static bool is_breakout(const tk *t)
{
  if (t->type == HTML_TOKEN_END_TAG)
    return t->tag == T(BR) || t->tag == T(P);
  switch (t->tag) {
  case T(B):
  case T(BIG):
  case T(BLOCKQUOTE):
  case T(BODY):
  case T(BR):
  case T(CENTER):
  case T(CODE):
  case T(DD):
  case T(DIV):
  case T(DL):
  case T(DT):
  case T(EM):
  case T(EMBED):
  case T(H1):
  case T(H2):
  case T(H3):
  case T(H4):
  case T(H5):
  case T(H6):
  case T(HEAD):
  case T(HR):
  case T(I):
  case T(IMG):
  case T(LI):
  case T(LISTING):
  case T(MENU):
  case T(META):
  case T(NOBR):
  case T(OL):
  case T(P):
  case T(PRE):
  case T(RUBY):
  case T(S):
  case T(SMALL):
  case T(SPAN):
  case T(STRONG):
  case T(STRIKE):
  case T(SUB):
  case T(SUP):
  case T(TABLE):
  case T(TT):
  case T(U):
  case T(UL):
  case T(VAR):
    return true;
  case T(FONT):
    return tk_attr(t, "color") || tk_attr(t, "face") || tk_attr(t, "size");
  default:
    return false;
  }
}

static bool foreign_content(html_parser *p, tk *t)
{
  switch (t->type) {
  case HTML_TOKEN_CHARACTER: {
    const char *s = t->data;
    size_t n = t->data_len;
    for (size_t i = 0; i < n && p->frameset_ok; i++)
      if (!is_ws(s[i]) && s[i] != '\0')
        p->frameset_ok = false;
    while (n) {
      const char *z = memchr(s, '\0', n);
      size_t run = z ? (size_t)(z - s) : n;
      insert_chars(p, s, run);
      if (!z)
        break;
      insert_chars(p, "\xEF\xBF\xBD", 3);
      s += run + 1;
      n -= run + 1;
    }
    return false;
  }
  case HTML_TOKEN_COMMENT:
    insert_comment_in(p, t, NULL);
    return false;
  case HTML_TOKEN_DOCTYPE:
    return false;
  case HTML_TOKEN_START_TAG: {
    if (is_breakout(t)) {
      while (p->n_stack > 1) {
        dom_node *c = current(p);
        if (is_html(c) || is_mathml_text_ip(c) || is_html_ip(c))
          break;
        pop(p);
      }
      return dispatch_mode(p, p->mode, t);
    }
    dom_node *acn = adjusted_current(p);
    if (insert_element(p, t, (dom_ns)acn->ns) && t->self_closing)
      pop(p);
    return false;
  }
  case HTML_TOKEN_END_TAG: {
    if (is_breakout(t)) {
      while (p->n_stack > 1) {
        dom_node *c = current(p);
        if (is_html(c) || is_mathml_text_ip(c) || is_html_ip(c))
          break;
        pop(p);
      }
      return dispatch_mode(p, p->mode, t);
    }
    dom_node *cur = current(p);
    if (t->tag == T(SCRIPT) && cur && cur->ns == DOM_NS_SVG && cur->tag == T(SCRIPT)) {
      pop(p);
      return false;
    }
    /* No SVG/MathML element of that name open: the walk would reach an HTML element. */
    if (!p->foreign_buckets[name_bucket(t->name, t->name_len, true)])
      return p->n_stack > 1 ? dispatch_mode(p, p->mode, t) : false;
    for (size_t i = p->n_stack; i-- > 0;) {
      dom_node *node = p->stack[i];
      if (i == 0 || !charge(p, 1))
        return false;
      if (node->name_len == t->name_len) {
        bool eq = true;
        for (uint32_t k = 0; k < t->name_len && eq; k++) {
          unsigned char c = (unsigned char)node->name[k];
          if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
          eq = c == (unsigned char)t->name[k];
        }
        if (eq) {
          pop_until_node(p, node);
          return false;
        }
      }
      if (i > 0 && is_html(p->stack[i - 1]))
        return dispatch_mode(p, p->mode, t);
    }
    return false;
  }
  default:
    return dispatch_mode(p, p->mode, t);
  }
}

static bool use_html_rules(const html_parser *p, const tk *t)
{
  dom_node *acn = adjusted_current(p);
  if (!acn || acn->ns == DOM_NS_HTML || t->type == HTML_TOKEN_EOF)
    return true;
  if (is_mathml_text_ip(acn)) {
    if (t->type == HTML_TOKEN_CHARACTER)
      return true;
    if (t->type == HTML_TOKEN_START_TAG && t->tag != T(MGLYPH) && t->tag != T(MALIGNMARK))
      return true;
  }
  if (acn->ns == DOM_NS_MATHML && acn->tag == T(ANNOTATION_XML) && is_start(t, T(SVG)))
    return true;
  if (is_html_ip(acn) && (t->type == HTML_TOKEN_START_TAG || t->type == HTML_TOKEN_CHARACTER))
    return true;
  return false;
}

static void process_token(html_parser *p, tk *t)
{
  for (int guard = 0; guard < 64 && p->status == HTML_PARSE_OK; guard++) {
    bool again = use_html_rules(p, t) ? dispatch_mode(p, p->mode, t) : foreign_content(p, t);
    if (!again)
      return;
  }
}

/* ---- entry points --------------------------------------------------------------------------- */

static void setup_fragment(html_parser *p, const html_parse_options *o)
{
  p->fragment = true;
  size_t cl = strlen(o->fragment_context);
  dom_ns ns = o->fragment_ns == DOM_NS_SVG || o->fragment_ns == DOM_NS_MATHML ? o->fragment_ns
                                                                              : DOM_NS_HTML;
  tk ct;
  memset(&ct, 0, sizeof ct);
  ct.type = HTML_TOKEN_START_TAG;
  ct.name = o->fragment_context;
  ct.name_len = (uint32_t)cl;
  char lower[32];
  if (cl < sizeof lower) {
    for (size_t i = 0; i < cl; i++) {
      char c = ct.name[i];
      lower[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    ct.tag = html_tag_lookup(lower, cl);
  }
  p->context = create_element(p, &ct, ns);
  if (!p->context)
    return;
  if (ns == DOM_NS_HTML) {
    switch (ct.tag) {
    case T(TITLE):
    case T(TEXTAREA):
      set_tokenizer_state(p, HTML_STATE_RCDATA, &ct);
      break;
    case T(STYLE):
    case T(XMP):
    case T(IFRAME):
    case T(NOEMBED):
    case T(NOFRAMES):
      set_tokenizer_state(p, HTML_STATE_RAWTEXT, &ct);
      break;
    case T(SCRIPT):
      set_tokenizer_state(p, HTML_STATE_SCRIPT_DATA, &ct);
      break;
    case T(NOSCRIPT):
      if (p->scripting)
        set_tokenizer_state(p, HTML_STATE_RAWTEXT, &ct);
      break;
    case T(PLAINTEXT):
      set_tokenizer_state(p, HTML_STATE_PLAINTEXT, &ct);
      break;
    default:
      break;
    }
  }
  tk h = fake_start(T(HTML));
  dom_node *root = create_element(p, &h, DOM_NS_HTML);
  if (!root)
    return;
  dom_append_child(p->doc->root, root);
  push(p, root);
  if (dom_is(p->context, T(TEMPLATE)))
    tmode_push(p, M_IN_TEMPLATE);
  reset_insertion_mode(p);
  for (dom_node *n = p->context; n; n = n->parent)
    if (dom_is(n, T(FORM))) {
      p->form = n;
      break;
    }
}

static void parser_free(html_parser *p)
{
  free(p->stack);
  free(p->links);
  free(p->afe);
  free(p->tmodes);
  free(p->pending);
  html_tokenizer_free(p->tok);
}

html_parse_status html_parse(const char *input, size_t len, const html_parse_options *opts,
                             dom_doc **out)
{
  html_parse_options defaults;
  memset(&defaults, 0, sizeof defaults);
  const html_parse_options *o = opts ? opts : &defaults;
  *out = NULL;
  html_parser p;
  memset(&p, 0, sizeof p);
  size_t tok_budget = o->mem_limit ? o->mem_limit / 2 : 0;
  p.budget = o->mem_limit ? o->mem_limit - tok_budget : 0;
  p.doc = dom_doc_new(p.budget);
  if (!p.doc)
    return HTML_PARSE_NOMEM;
  p.tok = html_tokenizer_new(input ? input : "", input ? len : 0, tok_budget);
  if (!p.tok) {
    dom_doc_free(p.doc);
    return HTML_PARSE_NOMEM;
  }
  for (size_t i = 0; i < HTML_TAG_COUNT_; i++)
    p.last_tag[i] = -1;
  for (size_t i = 0; i < 5; i++)
    p.last_b[i] = -1;
  p.last_special = -1;
  p.work_limit = (uint64_t)RT_PARSER_WORK_PER_BYTE * ((uint64_t)len + 1) + RT_PARSER_WORK_BASE;
  p.scripting = o->scripting;
  p.frameset_ok = true;
  p.mode = M_INITIAL;
  if (o->fragment_context)
    setup_fragment(&p, o);

  while (p.status == HTML_PARSE_OK) {
    dom_node *acn = adjusted_current(&p);
    html_tokenizer_set_foreign(p.tok, acn && acn->ns != DOM_NS_HTML);
    const html_token *raw = html_tokenizer_next(p.tok);
    if (raw->type == HTML_TOKEN_ERROR) {
      const char *why = html_tokenizer_error(p.tok);
      fail(&p, why && strstr(why, "memory") ? HTML_PARSE_NOMEM : HTML_PARSE_LIMIT);
      break;
    }
    tk t;
    t.type = raw->type;
    t.raw = raw;
    t.name = raw->name;
    t.name_len = raw->name_len;
    t.data = raw->data;
    t.data_len = raw->data_len;
    t.attrs = raw->attrs;
    t.n_attrs = raw->n_attrs;
    t.self_closing = raw->self_closing;
    t.tag = (t.type == HTML_TOKEN_START_TAG || t.type == HTML_TOKEN_END_TAG)
                ? html_tag_lookup(t.name, t.name_len)
                : HTML_TAG_UNKNOWN;
    if (p.ignore_lf) {
      p.ignore_lf = false;
      if (t.type == HTML_TOKEN_CHARACTER && t.data_len && t.data[0] == '\n') {
        t.data++;
        t.data_len--;
        if (!t.data_len)
          continue;
      }
    }
    process_token(&p, &t);
    if (p.doc->oom)
      fail(&p, HTML_PARSE_NOMEM);
    if (raw->type == HTML_TOKEN_EOF)
      break;
  }

  html_parse_status st = p.status;
  if (o->work_out)
    *o->work_out = p.work;
  if (st == HTML_PARSE_OK) {
    while (p.n_stack)
      pop(&p);
    while (p.n_afe)
      afe_remove_at(&p, p.n_afe - 1);
    if (p.fragment) {
      /* The result of fragment parsing is the html root's children: hand them back under a
       * DOM_FRAGMENT root. */
      dom_node *frag = dom_new_fragment(p.doc);
      dom_node *root = p.doc->root->first_child;
      if (!frag) {
        st = HTML_PARSE_NOMEM;
      } else {
        while (root && root->first_child)
          dom_append_child(frag, root->first_child);
        p.doc->root = frag;
      }
    }
  }
  parser_free(&p);
  if (st != HTML_PARSE_OK) {
    dom_doc_free(p.doc);
    return st;
  }
  *out = p.doc;
  return HTML_PARSE_OK;
}

/* ---- html5lib test-format serialisation ----------------------------------------------------- */

typedef struct sbuf {
  char *s;
  size_t n, cap;
  bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
  if (b->oom)
    return;
  if (b->n + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap * 2 : 256;
    while (nc < b->n + n + 1 && nc <= SIZE_MAX / 4)
      nc *= 2;
    if (nc < b->n + n + 1) {
      b->oom = true;
      return;
    }
    char *ns = realloc(b->s, nc);
    if (!ns) {
      b->oom = true;
      return;
    }
    b->s = ns;
    b->cap = nc;
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
  sb_put(b, s, strlen(s));
}

static void sb_indent(sbuf *b, size_t depth)
{
  sb_put(b, "| ", 2);
  for (size_t i = 0; i < depth; i++)
    sb_put(b, "  ", 2);
}

static int attr_cmp(const void *x, const void *y)
{
  const dom_attr *a = *(const dom_attr *const *)x, *b = *(const dom_attr *const *)y;
  /* Sort by the displayed name: "prefix local" or "local". */
  char ka[512], kb[512];
  size_t na = 0, nb = 0;
  const char *pa = dom_attr_prefix(a), *pb = dom_attr_prefix(b);
  if (pa) {
    size_t l = strlen(pa);
    memcpy(ka, pa, l);
    ka[l] = ' ';
    na = l + 1;
  }
  size_t la = a->name_len < sizeof ka - na - 1 ? a->name_len : sizeof ka - na - 1;
  memcpy(ka + na, a->name, la);
  na += la;
  if (pb) {
    size_t l = strlen(pb);
    memcpy(kb, pb, l);
    kb[l] = ' ';
    nb = l + 1;
  }
  size_t lb = b->name_len < sizeof kb - nb - 1 ? b->name_len : sizeof kb - nb - 1;
  memcpy(kb + nb, b->name, lb);
  nb += lb;
  int c = memcmp(ka, kb, na < nb ? na : nb);
  if (c)
    return c;
  return na < nb ? -1 : na > nb;
}

static void dump_node(sbuf *b, const dom_node *n, size_t depth)
{
  sb_indent(b, depth);
  switch (n->type) {
  case DOM_DOCTYPE:
    sb_str(b, "<!DOCTYPE ");
    sb_put(b, n->name, n->name_len);
    if (n->public_id || n->system_id) {
      sb_str(b, " \"");
      sb_str(b, n->public_id ? n->public_id : "");
      sb_str(b, "\" \"");
      sb_str(b, n->system_id ? n->system_id : "");
      sb_str(b, "\"");
    }
    sb_str(b, ">\n");
    break;
  case DOM_TEXT:
    sb_str(b, "\"");
    sb_put(b, n->data, n->data_len);
    sb_str(b, "\"\n");
    break;
  case DOM_COMMENT:
    sb_str(b, "<!-- ");
    sb_put(b, n->data, n->data_len);
    sb_str(b, " -->\n");
    break;
  case DOM_ELEMENT: {
    sb_str(b, "<");
    if (n->ns == DOM_NS_SVG)
      sb_str(b, "svg ");
    else if (n->ns == DOM_NS_MATHML)
      sb_str(b, "math ");
    sb_put(b, n->name, n->name_len);
    sb_str(b, ">\n");
    if (n->n_attrs) {
      const dom_attr **v = malloc(n->n_attrs * sizeof *v);
      if (!v) {
        b->oom = true;
        return;
      }
      for (uint32_t i = 0; i < n->n_attrs; i++)
        v[i] = &n->attrs[i];
      qsort(v, n->n_attrs, sizeof *v, attr_cmp);
      for (uint32_t i = 0; i < n->n_attrs; i++) {
        sb_indent(b, depth + 1);
        const char *prefix = dom_attr_prefix(v[i]);
        if (prefix) {
          sb_str(b, prefix);
          sb_str(b, " ");
        }
        sb_put(b, v[i]->name, v[i]->name_len);
        sb_str(b, "=\"");
        sb_put(b, v[i]->value, v[i]->value_len);
        sb_str(b, "\"\n");
      }
      free(v);
    }
    break;
  }
  default:
    sb_str(b, "\n");
    break;
  }
}

/* Iterative pre-order walk with an explicit stack of (node, depth) entries still to visit. A
 * template's "content" line and contents come before its ordinary children. */
typedef struct dump_item {
  const dom_node *n;
  size_t depth;
} dump_item;

char *html_tree_dump(const dom_doc *doc)
{
  if (!doc || !doc->root)
    return NULL;
  sbuf b = {0};
  sb_put(&b, "", 0);
  size_t cap = 64, top = 0;
  dump_item *st = malloc(cap * sizeof *st);
  if (!st)
    return NULL;
  if (doc->root->first_child)
    st[top++] = (dump_item){doc->root->first_child, 0};
  while (top > 0 && !b.oom) {
    dump_item it = st[--top];
    if (top + 3 > cap) {
      dump_item *ns = realloc(st, cap * 2 * sizeof *ns);
      if (!ns) {
        b.oom = true;
        break;
      }
      st = ns;
      cap *= 2;
    }
    dump_node(&b, it.n, it.depth);
    if (it.n->next)
      st[top++] = (dump_item){it.n->next, it.depth};
    if (it.n->first_child)
      st[top++] = (dump_item){it.n->first_child, it.depth + 1};
    if (it.n->type == DOM_ELEMENT && it.n->template_content) {
      sb_indent(&b, it.depth + 1);
      sb_str(&b, "content\n");
      if (it.n->template_content->first_child)
        st[top++] = (dump_item){it.n->template_content->first_child, it.depth + 2};
    }
  }
  free(st);
  if (b.oom) {
    free(b.s);
    return NULL;
  }
  return b.s;
}
