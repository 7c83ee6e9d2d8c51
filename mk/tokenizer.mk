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
