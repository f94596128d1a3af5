# kernels/: the backends behind qcts/backend.h and the registry that opens
# them by name (qcts/backends.h). kernels/README.md has the layout.
#
# Besides ref/ headers, kernels/ uses vectors/ (the safetensors container).
# The case<->call bridge (qcts/case_call.h, kernels/case_call.c) lives here,
# on the side that uses both case files and backend calls, so vectors/ knows
# nothing of backends (ARCHITECTURE.md, "Layering of the case<->call bridge").
KERNELS_SRCS := $(wildcard kernels/*.c kernels/ref/*.c kernels/plugin/*.c kernels/exec/*.c kernels/ops/*.c) kernels/cuda/qcu_build.c
KERNELS_OBJS := $(KERNELS_SRCS:%.c=$(BUILD)/obj/%.o)
LIBQCTS_KERNELS := $(BUILD)/lib/libqcts_kernels.a
CFLAGS_kernels := $(MODULE_INCLUDES) -Ivectors/include
# The ref backend wraps qref_gemm once ref/ has it.
ifneq ($(wildcard ref/src/gemm.c),)
CFLAGS_kernels += -DQCTS_HAVE_QREF_GEMM=1
endif
QCTS_LIBS += $(LIBQCTS_KERNELS)
# dlopen/dlsym for plugin:PATH.so (in libc since glibc 2.34; harmless there).
LDLIBS_BASE += -ldl

$(LIBQCTS_KERNELS): $(KERNELS_OBJS)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^

# `qcts case run` (cli/cmd_case.c) reads and writes case files.
$(BUILD)/obj/cli/cmd_case.o: EXTRA_CFLAGS += -Ivectors/include

# ---- plugins: shared objects that use nothing but qcts/backend.h ----------
# conformance/examples/*.c        -> $(BUILD)/examples/*.so  (documentation)
# conformance/tests/plugins/*.c   -> $(BUILD)/plugins/*.so   (broken on purpose,
#                                    for the harness's own tests)
# kernels/tests/plugins/*.c       -> $(BUILD)/test-plugins/*.so (loader tests)
PLUGIN_CFLAGS = $(CFLAGS_BASE) -fPIC -shared -Ikernels/include
QCTS_PLUGINS := \
  $(patsubst conformance/examples/%.c,$(BUILD)/examples/%.so,$(wildcard conformance/examples/*.c)) \
  $(patsubst conformance/tests/plugins/%.c,$(BUILD)/plugins/%.so,$(wildcard conformance/tests/plugins/*.c)) \
  $(patsubst kernels/tests/plugins/%.c,$(BUILD)/test-plugins/%.so,$(wildcard kernels/tests/plugins/*.c))

define plugin_rule
$(BUILD)/$(1)/%.so: $(2)/%.c kernels/include/qcts/backend.h $(wildcard $(2)/*.h) | $(DEPS_STAMP)
	$$(say) SO $$@
	$(Q)mkdir -p $$(@D)
	$(Q)$$(CC) $$(PLUGIN_CFLAGS) $$(LDFLAGS_BASE) -o $$@ $$< -lm
endef
$(eval $(call plugin_rule,examples,conformance/examples))
$(eval $(call plugin_rule,plugins,conformance/tests/plugins))
$(eval $(call plugin_rule,test-plugins,kernels/tests/plugins))

all: $(QCTS_PLUGINS)
test: $(QCTS_PLUGINS)
# The backend tests load these plugins and run the qcts program.
$(BUILD)/obj/kernels/tests/test_backends.o: EXTRA_CFLAGS += \
  -DQCTS_TEST_BUILD_DIR='"$(CURDIR)/$(BUILD)"' -DQCTS_TEST_SRC_DIR='"$(CURDIR)"'
$(BUILD)/obj/kernels/tests/test_backends.o: | $(QCTS_PLUGINS)
# ... and so do the tests of isolated plugins (kernels/plugin).
$(BUILD)/obj/kernels/tests/test_plugin_isolation.o: EXTRA_CFLAGS += -DQCTS_TEST_BUILD_DIR='"$(CURDIR)/$(BUILD)"'
$(BUILD)/obj/kernels/tests/test_plugin_isolation.o: | $(QCTS_PLUGINS)

# CPU SIMD kernels and the avx2/simd backends (their own library).
include kernels/simd/simd.mk
include kernels/cuda/cuda.mk
# Metal kernels, metal-cpu and the Metal host (their own library).
include mk/metal.mk
