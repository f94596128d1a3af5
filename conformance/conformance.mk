# conformance/: accuracy metrics and quantization quality (later: the case
# runner, verdicts and writers). Uses ref/ and GSL; ref/ never uses it.
CONFORMANCE_SRCS := $(wildcard conformance/src/*.c)
CONFORMANCE_OBJS := $(CONFORMANCE_SRCS:%.c=$(BUILD)/obj/%.o)
LIBQCTS_CONFORMANCE := $(BUILD)/lib/libqcts_conformance.a
CFLAGS_conformance := $(MODULE_INCLUDES) -Iconformance/include
# The CLI (cli.mk, included later) and the test runner include qcts/metrics.h
# and qcts/quality.h through MODULE_INCLUDES.
MODULE_INCLUDES += -Iconformance/include
QCTS_LIBS += $(LIBQCTS_CONFORMANCE)

$(LIBQCTS_CONFORMANCE): $(CONFORMANCE_OBJS)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^
