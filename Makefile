# heft: make builds libheft.a, libheft.so and the heft CLI into build/.
# Targets: all (default), test, asan, demo, bench, fuzz, clean.
# zlib and zstd are optional: found with pkg-config, else left out.

CC ?= cc
CFLAGS ?= -O2 -g
WARN := -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter
PKG_CONFIG ?= pkg-config
HAVE_ZLIB := $(shell $(PKG_CONFIG) --exists zlib 2>/dev/null && echo 1)
HAVE_ZSTD := $(shell $(PKG_CONFIG) --exists libzstd 2>/dev/null && echo 1)
DEFS := -D_GNU_SOURCE
LIBS := -lm -lpthread
ifeq ($(HAVE_ZLIB),1)
DEFS += -DHEFT_HAVE_ZLIB
LIBS += $(shell $(PKG_CONFIG) --libs zlib)
endif
ifeq ($(HAVE_ZSTD),1)
DEFS += -DHEFT_HAVE_ZSTD
LIBS += $(shell $(PKG_CONFIG) --libs libzstd)
endif

B ?= build
INC := -Ifuzz -Iinclude -Isrc/core -Isrc/io -Isrc/data -Isrc/model -Isrc/eval -Isrc/score \
       -Isrc/select -Isrc/audit -Isrc/features -Isrc/bench -Isrc/report
ALL_CFLAGS = $(WARN) $(CFLAGS) $(DEFS) $(INC) -fPIC -MMD -MP

LIB_SRC := $(wildcard src/*/*.c)
CLI_SRC := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/*.c)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(B)/%.o)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(B)/fuzz/%-replay)

.PHONY: all test asan demo bench bench-noise bench-score bench-tasks fuzz clean
all: $(B)/libheft.a $(B)/libheft.so $(B)/heft

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/libheft.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/libheft.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LIBS)

$(B)/heft: $(CLI_OBJ) $(B)/libheft.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(B)/libheft.a $(LIBS)

$(B)/heft-tests: $(TEST_OBJ) $(B)/libheft.a
	$(CC) $(CFLAGS) -o $@ $(TEST_OBJ) $(B)/libheft.a $(LIBS)

# Each fuzz target is also built with a small main that replays its corpus,
# so every test run exercises the fuzzers' inputs (as zstd does).
$(B)/fuzz/%-replay: fuzz/%.c fuzz/replay.c fuzz/fuzz_text.h $(B)/libheft.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< fuzz/replay.c $(B)/libheft.a $(LIBS)

test: all $(B)/heft-tests $(FUZZ_BIN)
	./tests/run_all.sh $(B)

asan:
	$(MAKE) B=build-asan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test

demo: all
	./$(B)/heft demo

bench: all
	./bench/run.sh $(B)

# The noise-detection protocol of `heft bench noise` against scikit-learn
# peers on real data (about 6 minutes; --quick for a shorter run).
bench-noise: all
	./bench/noise/run.sh $(B)

# The benchmark tasks' targets: noise recovery and pruning frontier on real
# data, bench prune on a 1M-row log (bench/tasks.sh; about 10 minutes).
bench-tasks: all
	./bench/tasks.sh $(B)

# Importance-estimator speed and memory on a 1M-row generated log.
bench-score: all
	./bench/score.sh $(B)

# libFuzzer builds (clang): build/fuzz/NAME; run e.g.
#   build-fuzz/fuzz/fuzz_criteo fuzz/corpus/fuzz_criteo
fuzz:
	@mkdir -p build-fuzz/fuzz
	$(MAKE) B=build-fuzz CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" build-fuzz/libheft.a
	for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang $(WARN) $(DEFS) $(INC) -O1 -g -fsanitize=fuzzer,address,undefined $$f build-fuzz/libheft.a $(LIBS) -o build-fuzz/fuzz/$$n || exit 1; done

clean:
	rm -rf build build-asan build-fuzz build-nocodec

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
