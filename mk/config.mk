# Toolchain, flags and the dependency check shared by every *.mk fragment.
V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

CROSS ?=
CC := $(CROSS)gcc
AR := $(CROSS)ar
NPROC := $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)

# One object tree per configuration, so sanitizer and cross builds never mix
# with the default objects.
SANITIZE ?=
comma := ,
BUILD_TAG := $(if $(CROSS),$(patsubst %-,%,$(CROSS)),native)$(if $(SANITIZE),-san-$(subst $(comma),-,$(SANITIZE)))
BUILD ?= build/$(BUILD_TAG)

# C11, warnings are errors on our code. -ffp-contract=off everywhere: ref/
# must never fuse a*b+c, and SIMD kernels that want FMA ask for it with
# intrinsics, so nothing is lost by setting it globally (XNNPACK does too).
# No fast-math anywhere; on x86-64 float math is SSE2, never x87.
OPT ?= -O2
CFLAGS_BASE := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
  $(OPT) -g -ffp-contract=off -fno-fast-math -fno-strict-aliasing \
  -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
LDLIBS_BASE := -lm -lpthread
ifneq ($(SANITIZE),)
CFLAGS_BASE += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS_BASE += -fsanitize=$(SANITIZE)
# undefined leaves out float-cast-overflow (a double out of range cast to an
# integer, e.g. a JSON 1e400): asked for by name.
ifneq ($(findstring undefined,$(SANITIZE)),)
CFLAGS_BASE += -fsanitize=float-cast-overflow
LDFLAGS_BASE += -fsanitize=float-cast-overflow
endif
endif

# Dependencies come from pkg-config once the check below has passed.
PKGS := cunit gsl libcjson sqlite3
DEPS_STAMP := $(BUILD)/.deps-ok
PKG_CONFIG ?= pkg-config
$(DEPS_STAMP): mk/ensure-deps.sh
	$(Q)CC='$(CC)' CROSS='$(CROSS)' PKG_CONFIG='$(PKG_CONFIG)' sh mk/ensure-deps.sh
	$(Q)mkdir -p $(@D) && touch $@

# Lazily expanded: evaluated only when a recipe runs, after the check.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

ifeq ($(V),1)
say :=  @true
else
say = @printf '  %-6s %s\n'
endif

# $(call compile,FLAGS): objects mirror the source tree under $(BUILD)/obj.
$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	$(say) CC $<
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS_$(firstword $(subst /, ,$<))) $(EXTRA_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Headers every module above ref/ may include (dependency direction is one way:
# ref/ itself sees only ref/include).
MODULE_INCLUDES := -Iref/include -Ikernels/include -I.
ifeq ($(shell uname -s),Darwin)
LINK_GROUP_BEGIN :=
LINK_GROUP_END :=
else
LINK_GROUP_BEGIN := -Wl,--start-group
LINK_GROUP_END := -Wl,--end-group
endif
