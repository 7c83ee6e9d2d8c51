# mk/input.mk - the input decoder (src/input/decode.c): fuzzing.
#
#   make fuzz-decode   libFuzzer (clang-19, ASan+UBSan) on riptide_decode_input and
#                      riptide_decode_input_inplace (gzip, BOMs, charsets, UTF-8 repair) for FUZZ_TIME
#                      seconds (default 60), seeded from fuzz/corpus/decode. make test replays
#                      fuzz/corpus/decode (tests/test_decode.c includes fuzz/fuzz_decode.c).

FUZZ_TIME ?= 60
FUZZ_DECODE := $(BUILD)/fuzz/fuzz_decode
FUZZ_DECODE_SRC := fuzz/fuzz_decode.c src/input/decode.c src/common/utf8.c src/common/errors.c

# test_decode includes the fuzz target to replay its corpus.
$(BUILD)/tests/test_decode: fuzz/fuzz_decode.c

$(FUZZ_DECODE): $(FUZZ_DECODE_SRC) src/common/utf8.h include/riptide.h
	@mkdir -p $(dir $@)
	clang-19 -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined $(INCLUDES) -o $@ $(FUZZ_DECODE_SRC) -lz

.PHONY: fuzz-decode
fuzz-decode: $(FUZZ_DECODE)
	@mkdir -p $(BUILD)/fuzz/decode-corpus
	$(FUZZ_DECODE) -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	  -max_len=65536 $(BUILD)/fuzz/decode-corpus fuzz/corpus/decode

# make fuzz-warc: libFuzzer on the streaming WARC reader (src/input/warc.c: record headers,
# resync, gzip members through libdeflate and zlib, the HTTP layer) for FUZZ_TIME seconds,
# seeded from $(SHARED)/testdata/warc when present.
FUZZ_WARC := $(BUILD)/fuzz/fuzz_warc
FUZZ_WARC_SRC := fuzz/fuzz_warc.c src/input/warc.c src/common/errors.c

$(FUZZ_WARC): $(FUZZ_WARC_SRC) src/input/warc.h include/riptide.h
	@mkdir -p $(dir $@)
	clang-19 -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined $(INCLUDES) -o $@ $(FUZZ_WARC_SRC) -lz -ldeflate

.PHONY: fuzz-warc
fuzz-warc: $(FUZZ_WARC)
	@mkdir -p $(BUILD)/fuzz/warc-corpus
	@if [ -d $(SHARED)/testdata/warc ]; then cp -n $(SHARED)/testdata/warc/*.warc* \
	  $(BUILD)/fuzz/warc-corpus/ 2>/dev/null; chmod u+w $(BUILD)/fuzz/warc-corpus/*; fi; true
	$(FUZZ_WARC) -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	  -max_len=262144 $(BUILD)/fuzz/warc-corpus
