# mk/pool.mk - the pool's soak run: `make soak` runs $(BUILD)/tests/soak 60, 100 callers, in two
# 30 s phases over the real sandbox: the hostile test guest (every misbehaviour at known rates),
# then the built-in extractor on $(SHARED)/eval/dev pages mixed with hostile pages (see
# tests/soak.c). The binary links the test support code (fake guest, proxy, corpus loader) and
# the sandbox's test guests (TEST_EXTRA_OBJ).
$(BUILD)/tests/soak: tests/soak.c $(LIB_A) $(GUEST_NATIVE_A) $(TEST_SUPPORT_OBJ) $(TEST_EXTRA_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(TEST_SUPPORT_OBJ) $(TEST_EXTRA_OBJ) $(LIB_A) $(GUEST_NATIVE_A) $(LDFLAGS) $(LIBS)
