# mk/cli.mk - the `riptide` command links without libcurl: src/input/fetch.c loads it with
# dlopen() at the first URL (its ~30 dependent shared objects cost ~10 ms of CPU at every
# start otherwise). The library (libriptide.so) and the tests keep the plain link.
$(CLI): LIBS := $(filter-out -lcurl,$(LIBS))

# tests/test_cli_*.c test the command's pieces: linked with its objects except main.o.
CLI_UNIT_OBJ := $(filter-out $(BUILD)/obj/src/cli/main.o,$(CLI_OBJ))
$(BUILD)/tests/test_cli_%: tests/test_cli_%.c $(CLI_UNIT_OBJ) $(LIB_A) $(GUEST_NATIVE_A) $(TEST_SUPPORT_OBJ) $(TEST_EXTRA_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(CLI_UNIT_OBJ) $(TEST_SUPPORT_OBJ) $(TEST_EXTRA_OBJ) $(LIB_A) $(GUEST_NATIVE_A) $(LDFLAGS) -lcmocka $(LIBS)

# The command linked against the shared library, which exports only the public API
# (-fvisibility=hidden): it links only while src/cli uses nothing else. Built by build-tests;
# scripts/test-cli.sh runs it once.
CLI_SHARED := $(BUILD)/riptide-shared
$(CLI_SHARED): $(CLI_OBJ) $(LIB_SO)
	$(CC) -o $@ $(CLI_OBJ) -L$(BUILD) -lriptide -Wl,-rpath,'$$ORIGIN' $(LDFLAGS) $(CLI_SHARED_LIBS) -lpthread -lm
TEST_BIN += $(CLI_SHARED)
