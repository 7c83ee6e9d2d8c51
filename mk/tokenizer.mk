# mk/tokenizer.mk - the HTML tokenizer's conformance runner and entity table.
#
#   make conformance-tokenizer   html5lib-tests tokenizer pass rate ("tokenizer: P/N passed"),
#                                failing if it drops below tests/conformance-baseline.txt
#   make gen-entities            regenerate src/guest/html/entities.c from $(SHARED)
#
# The runner is $(BUILD)/tests/tokenizer_conformance [-v] [--baseline FILE] [DIR]; it reads
# $(SHARED)/testdata/html5lib-tests/tokenizer and skips with a message when that is absent.

TOKENIZER_CONFORMANCE := $(BUILD)/tests/tokenizer_conformance

$(TOKENIZER_CONFORMANCE): tests/tokenizer_conformance.c $(GUEST_NATIVE_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(GUEST_NATIVE_A) $(LDFLAGS) $(LIBS)

.PHONY: conformance-tokenizer gen-entities
conformance-tokenizer: $(TOKENIZER_CONFORMANCE)
	@RIPTIDE_SHARED=$(SHARED) $(TOKENIZER_CONFORMANCE) --baseline tests/conformance-baseline.txt

gen-entities:
	scripts/gen-entities.py $(SHARED) > src/guest/html/entities.c.tmp
	mv src/guest/html/entities.c.tmp src/guest/html/entities.c

# libFuzzer target for the tokenizer alone (fuzz/fuzz_tokenizer.c), seeded from the html5lib
# tokenizer inputs and fuzz/corpus/tokenizer (which test_tokenizer replays in make test).
#   make fuzz-tokenizer [FUZZ_TIME=seconds]
FUZZ_TOKENIZER := $(BUILD)/fuzz/fuzz_tokenizer
FUZZ_TOKENIZER_SRC := fuzz/fuzz_tokenizer.c src/guest/html/tokenizer.c src/guest/html/entities.c \
  src/common/utf8.c

$(FUZZ_TOKENIZER): $(FUZZ_TOKENIZER_SRC) src/guest/html/tokenizer.h src/guest/html/tokenizer_internal.h
	@mkdir -p $(dir $@)
	clang-19 -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined $(INCLUDES) -o $@ $(FUZZ_TOKENIZER_SRC)

.PHONY: fuzz-tokenizer
fuzz-tokenizer: $(FUZZ_TOKENIZER)
	@mkdir -p $(BUILD)/fuzz/tokenizer-corpus fuzz/corpus/tokenizer
	@scripts/tokenizer-fuzz-seeds.py $(SHARED) $(BUILD)/fuzz/tokenizer-corpus
	$(FUZZ_TOKENIZER) -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	  -max_len=65536 $(BUILD)/fuzz/tokenizer-corpus fuzz/corpus/tokenizer
