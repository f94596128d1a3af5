# bench/: the timing harness behind `qcts bench` (libqcts_bench: roofline
# probe, statistics, shape sets, the measurement loop; qcts/bench.h) and
# benchmark programs (not tests: they print numbers, never fail on them).
#   $(BUILD)/bench/qcts-probe   single-core roofline (read, copy, FMA peak)
#                               and the CPU kernels against it
#                               (bench/probe_main.c has the details)
#   make probe                  build and run it
# This file is read before the module fragments that add their libraries to
# QCTS_LIBS, so the link prerequisites are expanded a second time, after
# every fragment has been read.
BENCH_SRCS := $(wildcard bench/src/*.c)
BENCH_OBJS := $(BENCH_SRCS:%.c=$(BUILD)/obj/%.o)
LIBQCTS_BENCH := $(BUILD)/lib/libqcts_bench.a
QCTS_LIBS += $(LIBQCTS_BENCH)
BENCH_PROBE_SRCS := bench/probe_main.c
BENCH_PROBE_OBJS := $(BENCH_PROBE_SRCS:%.c=$(BUILD)/obj/%.o)
QCTS_PROBE := $(BUILD)/bench/qcts-probe
# Lazy: the other modules add their include folders after this file is read.
CFLAGS_bench = $(MODULE_INCLUDES) -Ivectors/include -Idb/include
MODULE_INCLUDES += -Ibench/include

$(LIBQCTS_BENCH): $(BENCH_OBJS)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^

.SECONDEXPANSION:
$(QCTS_PROBE): $(BENCH_PROBE_OBJS) $$(QCTS_LIBS)
	$(say) LINK $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS_BASE) -o $@ $(BENCH_PROBE_OBJS) $(LINK_GROUP_BEGIN) $(QCTS_LIBS) $(LINK_GROUP_END) $(PKG_LIBS) $(LDLIBS_BASE)

all: $(QCTS_PROBE)

.PHONY: probe
probe: $(QCTS_PROBE)
	$(QCTS_PROBE)

# bench/tools/*.c -> $(BUILD)/bench-plugins/*.so: plugins for the benchmark
# experiments (bench/tools/aa-experiment.sh); the rule is written out here
# because kernels.mk (plugin_rule) is read after this file.
BENCH_PLUGINS := $(patsubst bench/tools/%.c,$(BUILD)/bench-plugins/%.so,$(wildcard bench/tools/*.c))
$(BUILD)/bench-plugins/%.so: bench/tools/%.c kernels/include/qcts/backend.h conformance/examples/plugin_example.c | $(DEPS_STAMP)
	$(say) SO $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(PLUGIN_CFLAGS) $(LDFLAGS_BASE) -o $@ $< -lm
all: $(BENCH_PLUGINS)
