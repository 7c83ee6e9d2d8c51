# mk/scaleout.mk - `riptide worker`, `submit`, `collect` (src/scaleout, Redis Streams through
# hiredis). Part of the command only: the library does not link hiredis.
SCALEOUT_SRC := $(wildcard src/scaleout/*.c)
SCALEOUT_OBJ := $(SCALEOUT_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ += $(SCALEOUT_OBJ)
$(CLI): LIBS += -lhiredis
