# mk/fallback.mk - the native fallback engine's fuzz target.
#
#   make fuzz-fallback [FUZZ_TIME=seconds]   libFuzzer (clang-19, ASan+UBSan) on the native
#                                            engine (fuzz/fuzz_fallback.c) for FUZZ_TIME seconds
#                                            (default 60), seeded from fuzz/corpus/fallback
#                                            (which make test replays: test_fallback_bounds)

FUZZ_TIME ?= 60
FUZZ_FALLBACK := $(BUILD)/fuzz/fuzz_fallback
FUZZ_FALLBACK_SRC := fuzz/fuzz_fallback.c $(wildcard src/fallback/*.c) src/common/document.c \
  src/common/simhash.c src/common/nfc.c \
  src/common/errors.c src/common/utf8.c src/common/sized.c src/guest/css/selector.c \
  src/guest/extract/title.c src/guest/extract/byline.c src/guest/extract/langtag.c \
  src/guest/extract/date.c src/guest/extract/classwords.c

# test_fallback_bounds includes fuzz/fuzz_fallback.c (the corpus replay).
$(BUILD)/tests/test_fallback_bounds: fuzz/fuzz_fallback.c

$(FUZZ_FALLBACK): $(FUZZ_FALLBACK_SRC) $(wildcard src/fallback/*.h) src/common/limits.h \
  include/riptide.h
	@mkdir -p $(dir $@)
	clang-19 -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined $(INCLUDES) $(PKG_CFLAGS) -o $@ $(FUZZ_FALLBACK_SRC) \
	  $(PKG_LIBS) -lpthread -lm

.PHONY: fuzz-fallback
fuzz-fallback: $(FUZZ_FALLBACK)
	@mkdir -p $(BUILD)/fuzz/fallback-corpus
	$(FUZZ_FALLBACK) -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	  -max_len=65536 $(BUILD)/fuzz/fallback-corpus fuzz/corpus/fallback
