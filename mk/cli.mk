# mk/cli.mk - the `riptide` command links without libcurl: src/input/fetch.c loads it with
# dlopen() at the first URL (its ~30 dependent shared objects cost ~10 ms of CPU at every
# start otherwise). The library (libriptide.so) and the tests keep the plain link.
$(CLI): LIBS := $(filter-out -lcurl,$(LIBS))
