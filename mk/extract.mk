# mk/extract.mk - the guest extractor: native evaluation driver.
#
#   make eval-extract   scripts/eval.sh: runs the native extractor over $(SHARED)/eval/dev/<set>
#                       and scores it with $(SHARED)/eval/score.py (both sets).
#   The unit/data-driven test is tests/test_extract.c (built by the main Makefile's test rule),
#   the benchmark bench/bench_extract.c (make bench).

EX_EVAL := $(BUILD)/tools/ex_eval

EX_EVAL_SRC := src/common/nfc.c src/common/simhash.c src/common/utf8.c
$(EX_EVAL): tests/tools/ex_eval.c $(EX_EVAL_SRC) src/common/nfc.h $(GUEST_NATIVE_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(EX_EVAL_SRC) $(GUEST_NATIVE_A) $(LDFLAGS) $(LIBS)

.PHONY: eval-extract
eval-extract: $(EX_EVAL)
	@scripts/eval.sh $(BUILD) $(SHARED)
