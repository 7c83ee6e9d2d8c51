# mk/wasm.mk - the guest toolchain (DESIGN.md §2): guest C -> wasm32 (clang-19, wasi-libc, no
# WASI imports) -> C (wasm2c) -> objects linked into the library (the extractor) or into the
# tests (tests/guests/*.c). Each module is checked at build time:
#   - imports: only functions of module "host" (wasm-objdump -x); anything else fails the build;
#   - ABI: a checker program instantiates the module in a real sandbox slot and fails unless
#     its riptide_abi_version equals RIPTIDE_GUEST_ABI_VERSION (the host checks it again at
#     instantiate time).
# The generated C is compiled with its own flags (it is not warning-clean and is not
# instrumented by sanitizers: guest memory accesses go to the sandbox's reservation).
# Measured with bench_sandbox_native (per page interleaved sandbox/native time): gcc -O3 on
# the generated C 1.22x -> 1.20x over -O2; -O3 -fno-strict-aliasing no different; clang-19 -O2
# worse (1.26x); the guest at clang -O3 instead of -O2 no better (1.23x). -msimd128 is not an
# option: wasm2c 1.0.32 stops at the first v128 local and writes truncated C without an error.
# GUEST_WASM_OPT, W2C_OPT, EXTRA_GUEST_WASM_CFLAGS and EXTRA_W2C_CFLAGS are there for such trials.
#
#   make fuzz-wire   libFuzzer target for the host's wire decoder (clang-19)

WASM_DIR := $(BUILD)/wasm
GUEST_STACK_SIZE ?= 1048576
GUEST_WASM_OPT ?= -O2
GUEST_WASM_CFLAGS := --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor $(GUEST_WASM_OPT) -mbulk-memory -std=c11 \
  -Wall -Wextra -Wno-unused-parameter -Iinclude -Isrc -Itests/guests $(EXTRA_GUEST_WASM_CFLAGS)
GUEST_WASM_LDFLAGS := -Wl,--stack-first -Wl,-z,stack-size=$(GUEST_STACK_SIZE) \
  -Wl,--max-memory=4294967296 -Wl,--strip-debug
W2C_OPT ?= -O3
W2C_CFLAGS := -std=c11 $(W2C_OPT) -g0 -fPIC -fvisibility=hidden -w -I/usr/include $(EXTRA_W2C_CFLAGS)
WASM_GUEST_HDRS := $(shell find src/guest src/abi tests/guests -name '*.h' 2>/dev/null) \
  src/common/limits.h
RT_SANDBOX_CORE_OBJ := $(BUILD)/obj/src/sandbox/wasm_rt.o $(BUILD)/obj/src/sandbox/wasm_slot.o \
  $(BUILD)/obj/src/common/errors.o

# The extractor guest: GUEST_SRC (the Makefile lists its folders) plus preinit.c.
# `make RT_EXTRACTOR_MINIMAL=1` builds the minimal test guest (title + visible text) in its
# place, e.g. while the extractor is mid-edit.
ifneq ($(RT_EXTRACTOR_MINIMAL),1)
# src/sandbox/guest/preinit.c: builds the guest's lazily built tables before the memory image
# is taken (see the file), so that calls do not rebuild them.
EXTRACTOR_WASM_SRC := $(GUEST_SRC) src/sandbox/guest/preinit.c
else
EXTRACTOR_WASM_SRC := tests/guests/benign.c src/abi/wire_encode.c
endif

# $(1) module name, $(2) sources, $(3) extra glue flags, $(4) "noabi" to skip the ABI check
define RT_WASM_MODULE
$(WASM_DIR)/$(1).wasm: $(2) $(WASM_GUEST_HDRS)
	@mkdir -p $$(dir $$@)
	$(GUEST_CC) $(GUEST_WASM_CFLAGS) $(GUEST_WASM_LDFLAGS) -o $$@.tmp $(2)
	@imports=$$$$(wasm-objdump -x -j Import $$@.tmp 2>&1); \
	  case "$$$$imports" in *"Section not found: Import"*) imports="";; esac; \
	  bad=$$$$(printf '%s\n' "$$$$imports" | grep -E '^ - ' | grep -vE ' <- host\.[A-Za-z0-9_]+$$$$' || true); \
	  if [ -n "$$$$bad" ]; then echo "guest $(1) imports something other than host.*:"; \
	    echo "$$$$bad"; rm -f $$@.tmp; exit 1; fi
	@mv $$@.tmp $$@
$(WASM_DIR)/$(1).c: $(WASM_DIR)/$(1).wasm
	$(WASM2C) -n $(1) $$< -o $$@
$(WASM_DIR)/$(1).h: $(WASM_DIR)/$(1).c
$(WASM_DIR)/$(1).o: $(WASM_DIR)/$(1).c
	$(CC) $(W2C_CFLAGS) -c $$< -o $$@
$(WASM_DIR)/$(1)_glue.o: src/sandbox/glue/module_glue.c $(WASM_DIR)/$(1).c src/sandbox/wasm_sandbox.h
	$(CC) $(CFLAGS) -DRT_GLUE_MOD=$(1) $(3) \
	  $$$$(grep -q 'struct Z_host_instance_t\*' $(WASM_DIR)/$(1).h && echo -DRT_GLUE_HOST=1) \
	  -include $(WASM_DIR)/$(1).h -c $$< -o $$@
$(WASM_DIR)/$(1)_mod.o: $(WASM_DIR)/$(1).o $(WASM_DIR)/$(1)_glue.o $(RT_SANDBOX_CORE_OBJ) src/sandbox/glue/abi_check.c
ifneq ($(4),noabi)
	$(CC) $(CFLAGS) -DRT_GLUE_MOD=$(1) -o $(WASM_DIR)/abicheck_$(1) src/sandbox/glue/abi_check.c \
	  $(WASM_DIR)/$(1).o $(WASM_DIR)/$(1)_glue.o $(RT_SANDBOX_CORE_OBJ) $(LDFLAGS) -lpthread
	$(WASM_DIR)/abicheck_$(1)
endif
	ld -r -o $$@ $(WASM_DIR)/$(1).o $(WASM_DIR)/$(1)_glue.o
endef

$(eval $(call RT_WASM_MODULE,extractor,$(EXTRACTOR_WASM_SRC),-DRT_GLUE_EXTRACTOR,))
$(eval $(call RT_WASM_MODULE,benign,tests/guests/benign.c src/abi/wire_encode.c,,))
$(eval $(call RT_WASM_MODULE,hostile,tests/guests/hostile.c src/abi/wire_encode.c,,))
$(eval $(call RT_WASM_MODULE,badabi,tests/guests/badabi.c,,noabi))

WASM_OBJ += $(WASM_DIR)/extractor_mod.o
TEST_EXTRA_OBJ += $(WASM_DIR)/benign_mod.o $(WASM_DIR)/hostile_mod.o $(WASM_DIR)/badabi_mod.o

.PHONY: wasm-guests fuzz-wire
wasm-guests: $(WASM_OBJ) $(TEST_EXTRA_OBJ)

FUZZ_CC := clang-19
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined $(INCLUDES)
FUZZ_WIRE_SRC := fuzz/fuzz_wire.c src/abi/wire_decode.c src/common/document.c src/common/errors.c \
  src/common/utf8.c
$(BUILD)/fuzz/fuzz_wire: $(FUZZ_WIRE_SRC) src/abi/wire.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_WIRE_SRC) $(PKG_LIBS)
fuzz-wire: $(BUILD)/fuzz/fuzz_wire
	@mkdir -p $(BUILD)/fuzz/corpus-wire
	$(BUILD)/fuzz/fuzz_wire -max_total_time=$(FUZZ_TIME) -max_len=4096 \
	  $(BUILD)/fuzz/corpus-wire fuzz/corpus/wire
