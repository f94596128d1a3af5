# kernels/metal: the Metal kernels (kernels/metal/msl/*.metal) and their
# hosts (kernels/metal/README.md). Included from kernels/kernels.mk.
#
#   metal-cpu  everywhere: the .metal sources compiled with clang++ through
#              the MSL shim (kernels/metal/cpu/shim) and run by the fiber
#              executor. clang++ comes with the base dependencies
#              (mk/ensure-deps.sh); a cross build (make test-aarch64) uses it
#              with --target and the cross libc's headers when it is there;
#              METAL_CPU=0 leaves the backend out.
#   metal      macOS only (uname -s = Darwin): the Objective-C host on
#              Metal.framework, the same .metal sources embedded as text and
#              compiled at run time, precise (`metal`) and fast math
#              (`metal-fast`). Elsewhere both names are listed as not built,
#              with the reason (kernels/backends.inc).
METAL_CXX ?= clang++
METAL_OS := $(shell uname -s)
ifeq ($(CROSS),)
METAL_CPU ?= 1
else
METAL_TRIPLE := $(patsubst %-,%,$(CROSS))
ifneq ($(and $(shell command -v $(METAL_CXX) 2>/dev/null),$(wildcard /usr/$(METAL_TRIPLE)/include/string.h)),)
METAL_CPU ?= 1
METAL_CXX_TARGET := --target=$(METAL_TRIPLE) -isystem /usr/$(METAL_TRIPLE)/include
else
METAL_CPU ?= 0
endif
endif

METAL_C_SRCS := kernels/metal/qm_plan.c kernels/metal/qm_manifest.c kernels/metal/qm_expr.c \
  kernels/metal/backend_metal_cpu.c kernels/metal/backend_manifest.c \
  kernels/metal/cpu/mcpu_exec.c kernels/metal/cpu/mcpu_fiber.c
METAL_OBJS := $(METAL_C_SRCS:%.c=$(BUILD)/obj/%.o)
METAL_MSL := $(wildcard kernels/metal/msl/*.metal kernels/metal/msl/*.h) ref/include/qref/blocks.h
METAL_CPU_OBJ := $(BUILD)/obj/kernels/metal/cpu/kernels_cpu.o
LIBQCTS_METAL := $(BUILD)/lib/libqcts_metal.a
QCTS_LIBS += $(LIBQCTS_METAL)
CFLAGS_kernels += -DQCTS_METAL_CPU=$(METAL_CPU)

ifeq ($(METAL_CPU),1)
METAL_OBJS += $(METAL_CPU_OBJ)
endif

# The C++ side: MSL as C++14 (MSL is C++14-based), no exceptions or RTTI so
# qcts links it with $(CC) and no C++ runtime; unknown [[...]] attributes
# (the MSL bindings) are ignored. Sanitizers as the rest of the build, but
# not function/vptr (they need RTTI and the C++ runtime).
METAL_CXXFLAGS := -std=c++14 -fno-exceptions -fno-rtti -Wall -Wextra -Werror -Wno-unknown-attributes \
  $(OPT) -g -ffp-contract=off -fno-fast-math -fno-strict-aliasing \
  -I. -Ikernels/metal/cpu/shim -Ikernels/metal/msl -Iref/include
ifneq ($(SANITIZE),)
METAL_CXXFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize=function,vptr -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

$(METAL_CPU_OBJ): kernels/metal/cpu/kernels_cpu.cpp kernels/metal/cpu/shim/metal_stdlib kernels/metal/cpu/mcpu_exec.h \
  kernels/metal/cpu/selftest.metal \
  $(METAL_MSL) | $(DEPS_STAMP)
	$(say) CXX $<
	$(Q)mkdir -p $(@D)
	$(Q)$(METAL_CXX) $(METAL_CXX_TARGET) $(METAL_CXXFLAGS) -c $< -o $@

# The MSL text the Metal host compiles at run time: every .metal file with
# our own #include "..." lines replaced by the header's text (Metal compiles
# a library from one string, with no include path). Built everywhere, so the
# inliner is tested on Linux too (kernels/tests/test_metal_cpu.c).
METAL_EMBED_C := $(BUILD)/gen/kernels/metal/qm_msl_embed.c
$(METAL_EMBED_C): kernels/metal/tools/embed_msl.sh $(METAL_MSL)
	$(Q)mkdir -p $(@D)
	$(Q)sh kernels/metal/tools/embed_msl.sh kernels/metal/msl ref/include > $@.tmp && mv $@.tmp $@
METAL_OBJS += $(BUILD)/obj/gen/kernels/metal/qm_msl_embed.o
$(BUILD)/obj/gen/kernels/metal/qm_msl_embed.o: $(METAL_EMBED_C) | $(DEPS_STAMP)
	$(say) CC $<
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_BASE) -c $< -o $@

ifeq ($(METAL_OS),Darwin)
CFLAGS_kernels += -DQCTS_METAL=1
METAL_OBJS += $(BUILD)/obj/kernels/metal/host_metal.o
LDLIBS_BASE += -framework Metal -framework Foundation
# Objective-C with ARC. Warnings are shown but not errors for this one file:
# it was written where no Metal SDK exists and is compiled first by the macOS
# workflow; a new SDK's deprecation must not stop `make test` on a Mac.
$(BUILD)/obj/kernels/metal/host_metal.o: kernels/metal/host_metal.m kernels/metal/qm_plan.h kernels/metal/qm_manifest.h \
  kernels/metal/backend_metal.h kernels/metal/msl/qm_abi.h | $(DEPS_STAMP)
	$(say) OBJC $<
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -x objective-c -fobjc-arc -Wall -Wextra $(OPT) -g -ffp-contract=off $(MODULE_INCLUDES) \
	  -Ivectors/include $(PKG_CFLAGS) -c $< -o $@
endif

$(LIBQCTS_METAL): $(METAL_OBJS)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^
