# conformance/: accuracy metrics, quantization quality, the case runner
# (qcts check), verdict rules and the report writers. Uses ref/ and GSL; ref/ never uses it.
CONFORMANCE_SRCS := $(wildcard conformance/src/*.c)
CONFORMANCE_OBJS := $(CONFORMANCE_SRCS:%.c=$(BUILD)/obj/%.o)
LIBQCTS_CONFORMANCE := $(BUILD)/lib/libqcts_conformance.a
CFLAGS_conformance := $(MODULE_INCLUDES) -Iconformance/include -Ivectors/include -Idb/include
# The case runner's headers include qcts/case_call.h (kernels/include) and
# qcts/safetensors.h (vectors/include).
$(BUILD)/obj/cli/cmd_check.o $(BUILD)/obj/conformance/tests/test_verdicts.o \
  $(BUILD)/obj/conformance/tests/test_writers.o: EXTRA_CFLAGS += -Ivectors/include
# The CLI (cli.mk, included later) and the test runner include qcts/metrics.h
# and qcts/quality.h through MODULE_INCLUDES.
MODULE_INCLUDES += -Iconformance/include
QCTS_LIBS += $(LIBQCTS_CONFORMANCE)

$(LIBQCTS_CONFORMANCE): $(CONFORMANCE_OBJS)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^
