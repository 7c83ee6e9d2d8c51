# mk/serve.mk - `riptide serve` (src/serve/): its objects join the command. libmicrohttpd is
# loaded with dlopen() by `serve` and `worker --listen` only (src/serve/mhd.h), not linked: the
# other subcommands would pay its and GnuTLS's loading at every start. scripts/test-serve.sh is the end-to-end test (run by scripts/run-tests.sh);
# scripts/bench-serve.sh measures it with wrk (`make bench-serve`, not part of make test).
SERVE_SRC := $(wildcard src/serve/*.c)
SERVE_OBJ := $(SERVE_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ += $(SERVE_OBJ)

.PHONY: bench-serve
bench-serve: deps
	@$(MAKE) --no-print-directory all
	@scripts/bench-serve.sh $(BUILD) $(SHARED)
