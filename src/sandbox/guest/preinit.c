/*
 * preinit.c - pre-initialisation of the extractor guest (compiled into the wasm32 extractor
 * module only, by mk/wasm.mk; not part of the host library).
 *
 * DESIGN
 *  The sandbox gives every call a fresh copy of the module's memory as it was right after the
 *  reactor's _initialize (wasm_slot.c: the memory image). Tables a guest builds lazily on first
 *  use (tag-name hash, class/id pattern index, language word table) would then be rebuilt on
 *  every call: the pattern index alone is a 65,536-entry loop and 128 KiB of writes, about 5 %
 *  of a typical document's time in the sandbox. A native process builds them once.
 *  This constructor (run by _initialize, before the image is taken: the technique of
 *  Wizer-style pre-initialisation) extracts one small built-in document, which builds every
 *  lazy table, so the image carries them and calls find them ready. The document is a constant
 *  of this file: the image holds no caller data. The result is discarded; the heap blocks it
 *  used are freed (dlmalloc keeps them for the calls).
 *  (Growing the heap here as well, so that most documents never call memory.grow, made
 *  things worse: the grown heap becomes part of the image, and the reset then restores every
 *  image page any earlier call made private (the pagemap cannot tell this call's writes from
 *  older ones), 3 MiB more memcpy per reset: sandbox/native 1.22x -> 1.40x.)
 */
#ifdef __wasm__

#include "guest/extract/extract.h"

static const char rt_preinit_doc[] =
    "<!DOCTYPE html><html><head><title>Pre-initialisation page</title>"
    "<meta name=\"description\" content=\"A page the sandbox extracts once.\"></head>"
    "<body><nav class=\"menu\" id=\"nav\"><a href=\"/\">Home</a></nav>"
    "<article class=\"post-content entry\" id=\"main\"><h1>Pre-initialisation</h1>"
    "<p class=\"byline author\">By Someone</p>"
    "<p>The quick brown fox jumps over the lazy dog, and the dog does not mind at all. "
    "This paragraph is long enough to be scored as the content of the page, with commas, "
    "and with a <a href=\"/x\">link</a> and <em>emphasis</em>.</p>"
    "<p>A second paragraph follows the first one, so that the extractor keeps both of "
    "them and writes its Markdown and text for the article.</p></article>"
    "<footer class=\"footer\"><p>Footer</p></footer></body></html>";

__attribute__((constructor)) static void rt_sandbox_preinit(void)
{
  ex_options o;
  ex_options_init(&o);
  rt_wire_writer w;
  rt_wire_init(&w);
  (void)ex_extract(rt_preinit_doc, sizeof rt_preinit_doc - 1, NULL, 0, &o, &w);
  rt_wire_reset(&w);
}

#else
typedef int rt_sandbox_preinit_wasm_only;
#endif
