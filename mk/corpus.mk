# mk/corpus.mk - the corpus stage of `riptide extract` (src/cli/corpus.c, dedup.c).
# bench/bench_corpus also measures the command's dedup index: linked with its object.
$(BUILD)/bench/bench_corpus: bench/bench_corpus.c $(BUILD)/obj/src/cli/dedup.o $(LIB_A) $(GUEST_NATIVE_A) $(TEST_SUPPORT_OBJ) $(TEST_EXTRA_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/obj/src/cli/dedup.o $(TEST_SUPPORT_OBJ) $(TEST_EXTRA_OBJ) $(LIB_A) $(GUEST_NATIVE_A) $(LDFLAGS) $(LIBS)
