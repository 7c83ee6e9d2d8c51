# mk/selector.mk - custom mode's CSS selectors: one parser and matcher (src/guest/css), compiled
# into the guest and into the host library (riptide_selector_check, the fallback's custom mode).
#
#   make fuzz-selector   libFuzzer (clang-19, ASan+UBSan) on the parser and the matcher for
#                        FUZZ_TIME seconds (default 60), seeded from fuzz/corpus/selector;
#                        make test replays that corpus (tests/test_selector.c).

# (src/guest/css/selector.c is in the Makefile's HOST_SRC: the library rules need it early.)

# The differential test matches with both engines: the guest's DOM and libxml2's tree.
FUZZ_TIME ?= 60
FUZZ_SELECTOR := $(BUILD)/fuzz/fuzz_selector
FUZZ_SELECTOR_SRC := fuzz/fuzz_selector.c src/guest/css/selector.c $(wildcard src/guest/html/*.c)

$(FUZZ_SELECTOR): $(FUZZ_SELECTOR_SRC) src/guest/css/selector.h $(wildcard src/guest/html/*.h)
	@mkdir -p $(dir $@)
	clang-19 -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined $(INCLUDES) -o $@ $(FUZZ_SELECTOR_SRC)

.PHONY: fuzz-selector
fuzz-selector: $(FUZZ_SELECTOR)
	@mkdir -p $(BUILD)/fuzz/selector-corpus
	$(FUZZ_SELECTOR) -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	  -max_len=8192 $(BUILD)/fuzz/selector-corpus fuzz/corpus/selector

# ---- the whole extraction ----------------------------------------------------------------
#   make fuzz-extract   libFuzzer on the native guest (parse, extract, serialise, wire encode)
#                       + the host's wire decoder + the document's JSON, FUZZ_TIME seconds;
#                       seeds fuzz/corpus/extract (replayed by tests/test_extract.c).
FUZZ_EXTRACT := $(BUILD)/fuzz/fuzz_extract
FUZZ_EXTRACT_SRC := fuzz/fuzz_extract.c $(GUEST_SRC) src/abi/wire_decode.c src/common/document.c \
  src/common/errors.c src/common/utf8.c

$(FUZZ_EXTRACT): $(FUZZ_EXTRACT_SRC) $(shell find src/guest src/abi src/common -name '*.h')
	@mkdir -p $(dir $@)
	clang-19 -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined $(INCLUDES) -o $@ $(FUZZ_EXTRACT_SRC) $(PKG_LIBS) -lm

.PHONY: fuzz-extract
fuzz-extract: $(FUZZ_EXTRACT)
	@mkdir -p $(BUILD)/fuzz/extract-corpus
	$(FUZZ_EXTRACT) -max_total_time=$(FUZZ_TIME) -timeout=20 -rss_limit_mb=2048 \
	  -max_len=65536 $(BUILD)/fuzz/extract-corpus fuzz/corpus/extract
