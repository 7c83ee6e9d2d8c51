# Riptide build.
#
#   make              build/riptide, build/libriptide.a, build/libriptide.so (mk/install.mk)
#   make install      PREFIX=/usr/local DESTDIR=: header, libraries, riptide.pc, riptide, man page
#   make uninstall    removes what make install put there
#   make test         install deps, build, run the fast offline suite (+ conformance, corpus and
#                     differential suites when ../shared is present; SKIP otherwise, FAIL with CI=true)
#   make demo         install deps, build, extract the bundled sample pages
#   make bench        benchmarks (printed figures and ratios, not timed tests)
#   make check        clang-format, -Wpedantic -Werror build, exported symbols (.so and .a),
#                     banned functions, include layering (scripts/check.sh)
#   make soak         60 s stress run of the pool (mk/pool.mk: hostile guest, then real extractor)
#   make conformance  html5lib-tests pass rates
#   SANITIZE=address|undefined|thread make test   sanitizer builds (own build dir)
#
# Layout: every folder under src/ is one part of DESIGN.md; guest code (compiled to wasm and
# natively) lives under src/guest and src/abi/wire_encode.c.

SHELL := /bin/bash
CC ?= gcc
ifeq ($(CC),cc)
CC := gcc
endif
GUEST_CC := clang-19
WASM2C := wasm2c
SANITIZE ?=
SHARED ?= ../shared
# Seconds each libFuzzer target runs (make fuzz-parser, fuzz-tokenizer, fuzz-wire, ...).
FUZZ_TIME ?= 60

BUILD := build
ifneq ($(SANITIZE),)
BUILD := build-$(SANITIZE)
endif
# COVERAGE=1: gcov instrumentation in its own build dir (make coverage drives it; mk/coverage.mk).
COVERAGE ?=
ifneq ($(COVERAGE),)
BUILD := build-coverage
endif

OPT ?= -O2
WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter
CSTD := -std=c11 -D_GNU_SOURCE
INCLUDES := -Iinclude -Isrc
PKG_CFLAGS := $(shell pkg-config --cflags libxml-2.0 jansson libcurl zlib libdeflate libutf8proc libcrypto 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs libxml-2.0 jansson libcurl zlib libdeflate libutf8proc libcrypto 2>/dev/null)
LIBS := $(PKG_LIBS) -lpthread -lm

SAN_FLAGS :=
ifeq ($(SANITIZE),address)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
ifeq ($(SANITIZE),undefined)
SAN_FLAGS := -fsanitize=undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
ifeq ($(SANITIZE),thread)
SAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
endif

ifneq ($(COVERAGE),)
OPT := -O0
SAN_FLAGS += --coverage -fprofile-update=atomic
endif

CFLAGS_COMMON := $(CSTD) $(OPT) -g -fPIC $(SAN_FLAGS) $(EXTRA_CFLAGS)
CFLAGS := $(CFLAGS_COMMON) $(WARN) $(INCLUDES) $(PKG_CFLAGS) -fvisibility=hidden -DRIPTIDE_BUILDING
LDFLAGS := $(SAN_FLAGS)

# ---- sources ---------------------------------------------------------------------------------
HOST_DIRS := common abi sandbox pool circuit_breaker health memory events metrics fallback input
HOST_SRC := $(filter-out src/abi/wire_encode.c,$(foreach d,$(HOST_DIRS),$(wildcard src/$(d)/*.c)))
# The CSS selector parser and matcher is shared: the guest's, and the host's (the selector check
# before the breaker, the fallback's custom mode); so are the metadata rules the native fallback
# applies as the guest does (title, byline, language tag, dates). Listed here, before the mk/
# fragments, whose rules name HOST_OBJ.
HOST_SRC += src/guest/css/selector.c src/guest/extract/title.c src/guest/extract/byline.c \
  src/guest/extract/langtag.c src/guest/extract/date.c src/guest/extract/classwords.c
# The guest (compiled to wasm, and natively for tests): its folders, listed.
GUEST_SRC := $(sort $(wildcard src/guest/*.c src/guest/html/*.c src/guest/css/*.c src/guest/extract/*.c)) \
  src/abi/wire_encode.c
CLI_SRC := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_SUPPORT_SRC := $(wildcard tests/support/*.c)
BENCH_SRC := $(wildcard bench/bench_*.c)

HOST_OBJ := $(HOST_SRC:%.c=$(BUILD)/obj/%.o)
GUEST_NATIVE_OBJ := $(GUEST_SRC:%.c=$(BUILD)/native/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SUPPORT_OBJ := $(TEST_SUPPORT_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

# The tests, benchmarks and the command link LIB_A, the archive of every object with internal
# symbols left global. What is shipped (mk/install.mk) is LIB_PUBLIC_A, the same objects with only
# riptide_* global, and LIB_SO, the shared library with its SONAME.
LIB_A := $(BUILD)/libriptide-internal.a
LIB_PUBLIC_A := $(BUILD)/libriptide.a
VERSION_MAJOR := $(shell sed -n 's/^\#define RIPTIDE_VERSION_MAJOR \([0-9]*\)$$/\1/p' include/riptide.h)
VERSION_MINOR := $(shell sed -n 's/^\#define RIPTIDE_VERSION_MINOR \([0-9]*\)$$/\1/p' include/riptide.h)
VERSION_PATCH := $(shell sed -n 's/^\#define RIPTIDE_VERSION_PATCH \([0-9]*\)$$/\1/p' include/riptide.h)
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)
LIB_SONAME := libriptide.so.$(VERSION_MAJOR)
LIB_SO_REAL := $(BUILD)/libriptide.so.$(VERSION)
LIB_SO := $(BUILD)/libriptide.so
GUEST_NATIVE_A := $(BUILD)/libguest_native.a
CLI := $(BUILD)/riptide

# Per-part fragments: mk/wasm.mk (guest toolchain; appends WASM_OBJ), mk/parser.mk
# (conformance), ... Each may append to WASM_OBJ, TEST_EXTRA_OBJ, TEST_BIN, BENCH_BIN.
WASM_OBJ :=
TEST_EXTRA_OBJ :=
# mk/wasm.mk first: it fills WASM_OBJ and TEST_EXTRA_OBJ, which the other fragments' rules
# name as prerequisites (expanded when the rule is read).
include mk/wasm.mk
-include $(sort $(filter-out mk/wasm.mk,$(wildcard mk/*.mk)))

.PHONY: all deps test build-tests demo bench check soak fuzz clean install uninstall docs
.DEFAULT_GOAL := all

all: $(CLI) $(LIB_A) $(LIB_PUBLIC_A) $(LIB_SO)

deps:
	@scripts/install-deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# Guest code built natively (tests, benchmarks, differential checks).
$(BUILD)/native/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB_A): $(HOST_OBJ) $(WASM_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIB_SO_REAL): $(HOST_OBJ) $(WASM_OBJ)
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) -o $@ $^ $(LDFLAGS) $(LIBS)

$(LIB_SO): $(LIB_SO_REAL)
	ln -sf $(notdir $(LIB_SO_REAL)) $(BUILD)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $@

$(GUEST_NATIVE_A): $(GUEST_NATIVE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(CLI): $(CLI_OBJ) $(LIB_A)
	$(CC) -o $@ $(CLI_OBJ) $(LIB_A) $(LDFLAGS) $(LIBS)

$(BUILD)/tests/%: tests/%.c $(LIB_A) $(GUEST_NATIVE_A) $(TEST_SUPPORT_OBJ) $(TEST_EXTRA_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(TEST_SUPPORT_OBJ) $(TEST_EXTRA_OBJ) $(LIB_A) $(GUEST_NATIVE_A) $(LDFLAGS) -lcmocka $(LIBS)

$(BUILD)/bench/%: bench/%.c $(LIB_A) $(GUEST_NATIVE_A) $(TEST_SUPPORT_OBJ) $(TEST_EXTRA_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(TEST_SUPPORT_OBJ) $(TEST_EXTRA_OBJ) $(LIB_A) $(GUEST_NATIVE_A) $(LDFLAGS) -lgumbo $(LIBS)

# ---- top-level jobs --------------------------------------------------------------------------
test: deps
	@$(MAKE) --no-print-directory build-tests
	@scripts/run-tests.sh $(BUILD) $(SHARED)

build-tests: all $(TEST_BIN)

# docs/cli.md quotes the commands' --help (scripts/test-cli-doc.sh checks it)
docs: all
	@scripts/gen-cli-doc.sh $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@scripts/bench.sh $(BUILD) $(SHARED)

soak: deps
	@$(MAKE) --no-print-directory all $(BUILD)/tests/soak
	@RIPTIDE_SHARED=$(SHARED) $(BUILD)/tests/soak 60

check: deps
	@CHECK_BUILD=$(BUILD)-check scripts/check.sh

clean:
	rm -rf build build-address build-undefined build-thread build-coverage

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
