# mk/pool.mk - the pool's soak run (`make soak` runs $(BUILD)/tests/soak 60).
# The soak binary links the test support code (fake guest, proxy) and, when mk/wasm.mk built
# them, the sandbox's test guests (TEST_EXTRA_OBJ): it then soaks the real sandbox.
$(BUILD)/tests/soak: tests/soak.c $(LIB_A) $(GUEST_NATIVE_A) $(TEST_SUPPORT_OBJ) $(TEST_EXTRA_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(TEST_SUPPORT_OBJ) $(TEST_EXTRA_OBJ) $(LIB_A) $(GUEST_NATIVE_A) $(LDFLAGS) $(LIBS)
