# mk/parser.mk - the HTML tree builder: conformance, fuzzing.
#
#   make conformance   html5lib-tests pass rates: exactly two lines, "tokenizer: P/N passed"
#                      (tests/tokenizer_conformance.c, mk/tokenizer.mk) and
#                      "tree-construction: P/N passed" (tests/tree_conformance.c); fails when
#                      either rate is below tests/conformance-baseline.txt. Skips with a message
#                      when $(SHARED)/testdata/html5lib-tests is absent.
#   make fuzz-parser   libFuzzer (clang-19, ASan+UBSan) on tokenizer + tree builder for
#                      FUZZ_TIME seconds (default 60), seeded from fuzz/corpus/parser and the
#                      conformance inputs. make test replays fuzz/corpus/parser (test_parser).

TREE_CONFORMANCE := $(BUILD)/tests/tree_conformance
TREE_CONFORMANCE_DEPS := $(TREE_CONFORMANCE)
ifneq ($(wildcard tests/tokenizer_conformance.c),)
TREE_CONFORMANCE_DEPS += $(BUILD)/tests/tokenizer_conformance
endif
# Built by make test (build-tests); run by scripts/test-conformance.sh.
TEST_BIN += $(TREE_CONFORMANCE_DEPS)

# Linked with the HTML objects only, so the extractor's state never blocks a conformance run.
HTML_NATIVE_OBJ := $(patsubst %.c,$(BUILD)/native/%.o,$(wildcard src/guest/html/*.c))

$(TREE_CONFORMANCE): tests/tree_conformance.c $(HTML_NATIVE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(HTML_NATIVE_OBJ) $(LDFLAGS) -lpthread

# The differential test links gumbo (allowed in benches and differential tests only).
$(BUILD)/tests/test_differential: LIBS += -lgumbo

.PHONY: conformance fuzz-parser
conformance: $(TREE_CONFORMANCE_DEPS)
	@scripts/test-conformance.sh $(BUILD) $(SHARED)

FUZZ_CC := clang-19
FUZZ_PARSER := $(BUILD)/fuzz/fuzz_parser
FUZZ_PARSER_SRC := fuzz/fuzz_parser.c $(wildcard src/guest/html/*.c)

$(FUZZ_PARSER): $(FUZZ_PARSER_SRC) $(wildcard src/guest/html/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined $(INCLUDES) -o $@ $(FUZZ_PARSER_SRC)

fuzz-parser: $(FUZZ_PARSER)
	@mkdir -p $(BUILD)/fuzz/parser-corpus
	@scripts/parser-fuzz-seeds.py $(SHARED) $(BUILD)/fuzz/parser-corpus
	$(FUZZ_PARSER) -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	  -max_len=65536 $(BUILD)/fuzz/parser-corpus fuzz/corpus/parser

# bench_parser counts the parser's peak heap by wrapping the allocator at link time.
$(BUILD)/bench/bench_parser: LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free
