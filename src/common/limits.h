/*
 * limits.h - every limit in one place: its default, its hard ceiling and why.
 */
#ifndef RT_LIMITS_H
#define RT_LIMITS_H

/* Pool permits. Default: number of CPUs, at least 2. Ceiling 1024: each slot reserves 8 GiB of
 * address space, and 1024 slots already take 8 TiB of the 128 TiB user address space. */
#define RT_DEFAULT_MIN_SLOTS 2
#define RT_MAX_SLOTS 1024
#define RT_DEFAULT_WARM_SLOTS 2
/* Bounded wait for a permit before POOL_EXHAUSTED. */
#define RT_DEFAULT_ACQUIRE_WAIT_MS 30000

/* Per-call deadline: a runaway guest is interrupted; 10 s covers 60 MB pages at parse speed. */
#define RT_DEFAULT_TIMEOUT_MS 10000
#define RT_MAX_TIMEOUT_MS 600000
/* Per-instance memory cap. 256 MiB is 8x a 32 MiB page; ceiling 4 GiB is wasm32's address
 * space. */
#define RT_DEFAULT_MEMORY_CAP (256ull << 20)
#define RT_MAX_MEMORY_CAP (4ull << 30)
/* Input and output sizes. 64 MiB input is far above any real article page (p99 < 5 MiB). */
#define RT_DEFAULT_MAX_INPUT (64ull << 20)
#define RT_DEFAULT_MAX_OUTPUT (16ull << 20)
/* max_output_bytes 0 (the default) = automatic: RT_DEFAULT_MAX_OUTPUT plus this many bytes per
 * input byte. Text and Markdown of an all-text page take ~1.7 bytes per input byte, 2.7 with
 * the cleaned HTML; a fixed 16 MiB refused 10 MB articles. */
#define RT_OUTPUT_PER_INPUT_BYTE 4u

/* Bytes of grown guest memory a slot keeps resident (zeroed in place) across resets; above it
 * pages are returned to the kernel. Faulting fresh pages in costs ~3-5x a memset of them, and
 * a typical article's DOM fits in a few MiB; 8 MiB x slots stays small next to the cap. */
#define RT_SANDBOX_KEEP_RESIDENT (8ull << 20)

/* Circuit breaker. */
#define RT_DEFAULT_BREAKER_WINDOW 20
#define RT_MAX_BREAKER_WINDOW 4096
#define RT_DEFAULT_BREAKER_MIN_CALLS 10
#define RT_DEFAULT_BREAKER_FAILURE_PCT 50
#define RT_DEFAULT_BREAKER_COOLDOWN_MS 5000
#define RT_DEFAULT_BREAKER_PROBES 3
#define RT_DEFAULT_BREAKER_MAX_COOLDOWN_MS 60000

/* Health. */
#define RT_DEFAULT_HEALTH_INTERVAL_MS 30000
#define RT_DEFAULT_MAX_SLOT_AGE_MS 3600000u
#define RT_DEFAULT_MAX_SLOT_FAILURES 5
#define RT_DEFAULT_MAX_SLOT_MEMORY_PCT 80
#define RT_DEFAULT_MAX_GROW_FAILURES 10
#define RT_DEFAULT_IDLE_SHRINK_MS 1800000u

/* Memory budget cleanup threshold (percent of the budget). */
#define RT_DEFAULT_MEMORY_CLEANUP_PCT 80

/* Event ring. */
#define RT_DEFAULT_EVENT_RING 1024
#define RT_MAX_EVENT_RING 1048576

/* Guest parser limits (enforced inside the guest; see src/guest/html). Deeper trees are
 * flattened rather than refused: the tree builder stops nesting past this depth. */
#define RT_PARSER_MAX_DEPTH 100000
#define RT_PARSER_MAX_ATTRS 100000 /* per element; further attributes are dropped */
/* Tree-builder work budget: steps of the walks that are not O(1) (adoption agency on deep
 * stacks, stack edits in the middle, unknown-name end tags, attribute-set comparisons) may
 * total PER_BYTE x input bytes + BASE; past it the parse stops with HTML_PARSE_LIMIT instead
 * of going quadratic. The dev corpus peaks at 0.06 steps per byte, far below. */
#define RT_PARSER_WORK_PER_BYTE 4u
#define RT_PARSER_WORK_BASE (1u << 22)
/* The Noah's Ark clause compares a new formatting element with at most this many entries. */
#define RT_PARSER_NOAH_SCAN 256
/* CSS selectors of custom mode (src/guest/css): the text, and the complex selectors of a list,
 * the compounds of a complex selector and the simple selectors of a compound. Real selectors
 * are far below; the caps bound the parse and the per-element matching cost. */
#define RT_MAX_SELECTOR 4096
#define RT_MAX_SELECTOR_ITEMS 256

/* Native fallback (libxml2) bounds, applied before libxml2 sees the bytes (src/fallback/parse.c).
 * libxml2's duplicate-attribute check is quadratic in one element's attributes: 64 is twice
 * what real pages use and keeps the check under 32 comparisons per attribute. libxml2's end tags
 * walk its stack of open elements: elements past FEED_DEPTH are left out (their text kept).
 * The tree is flattened past TREE_DEPTH, below the render walks' own limit (native.c), so no
 * walk ever stops short of content. Both flag the document (RIPTIDE_TRUNC_*). */
#define RT_FALLBACK_MAX_ATTRS 64u
#define RT_FALLBACK_FEED_DEPTH 512u
#define RT_FALLBACK_TREE_DEPTH 384u

/* The tokenizer refuses (HTML_TOKEN_ERROR) inputs above 1 GiB: its token lengths are 32-bit and
 * preprocessing (invalid UTF-8 -> U+FFFD) can triple the size. Far above RT_DEFAULT_MAX_INPUT. */
#define RT_TOKENIZER_MAX_INPUT (1ull << 30)

#endif
