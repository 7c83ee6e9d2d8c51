# mk/scaleout.mk - `riptide worker`, `submit`, `collect` (src/scaleout, Redis Streams through
# hiredis). Part of the command only: the library does not link hiredis.
SCALEOUT_SRC := $(wildcard src/scaleout/*.c)
SCALEOUT_OBJ := $(SCALEOUT_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ += $(SCALEOUT_OBJ)
$(CLI): LIBS += -lhiredis

# tests/test_scaleout_*.c: the scale-out pieces that need no Redis (URL parsing), linked with
# the scale-out objects; scripts/test-scaleout.sh runs the commands against a redis-server.
$(BUILD)/tests/test_scaleout_%: tests/test_scaleout_%.c $(SCALEOUT_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/obj/src/scaleout/redis.o $(LIB_A) $(LDFLAGS) -lcmocka -lhiredis $(LIBS)

# The command's shared-library build (mk/cli.mk) links what the scale-out code uses itself.
CLI_SHARED_LIBS += -lhiredis $(shell pkg-config --libs jansson 2>/dev/null)
