# make test-aarch64: cross-compile everything for arm64, run every test under
# qemu-aarch64 (QCTS_TEST_QUICK=1: random-sampling loops 16 times shorter),
# which includes regenerating the whole golden set there and comparing it
# byte for byte with the committed one (tests/cli/test-vectors-verify.sh),
# and print the elapsed time.
#
# The arm64 libraries come from a PRIVATE sysroot, build/aarch64-sysroot:
# mk/aarch64-sysroot.sh downloads the arm64 .deb files (apt-get download)
# and unpacks them there (dpkg-deb -x). Never apt-get install the arm64 -dev
# packages: libgsl-dev:arm64 is not co-installable with libgsl-dev and would
# remove the native one. The toolchain (gcc-aarch64-linux-gnu, qemu-user,
# file) and the arm64 architecture with its package lists come from
# `mk/ensure-deps.sh aarch64`: installed when root, else it prints the commands.
AARCH64_CROSS := aarch64-linux-gnu-
AARCH64_SYSROOT ?= build/aarch64-sysroot
AARCH64_ROOT = $(abspath $(AARCH64_SYSROOT))
AARCH64_LIBDIR = $(AARCH64_ROOT)/usr/lib/aarch64-linux-gnu
AARCH64_PKG_CONFIG = env PKG_CONFIG_SYSROOT_DIR=$(AARCH64_ROOT) \
  PKG_CONFIG_LIBDIR=$(AARCH64_LIBDIR)/pkgconfig:$(AARCH64_ROOT)/usr/share/pkgconfig PKG_CONFIG_PATH= pkg-config
# libgsl.so needs libgslcblas.so.0: tell the linker where the sysroot's are.
AARCH64_CC = $(AARCH64_CROSS)gcc -Wl,-rpath-link,$(AARCH64_LIBDIR)
# The arm64 libc comes from the cross toolchain: -L makes its ld.so the
# guest's loader, and LD_LIBRARY_PATH (set inside the guest only) makes the
# loader take the toolchain's libc.so.6 too, then the sysroot's libraries. A
# host with libc6:arm64 installed would otherwise mix that libc with the
# toolchain's ld.so (a different build), and pthread_create hangs.
AARCH64_QEMU = qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=$(AARCH64_LIBDIR):/usr/aarch64-linux-gnu/lib
AARCH64_BUILD ?= build/aarch64$(if $(SANITIZE),-san)

.PHONY: test-aarch64 build-aarch64 aarch64-sysroot aarch64-deps
aarch64-sysroot: $(AARCH64_SYSROOT)/.complete

# Checked on every run (cheap): a sysroot built once does not prove that the
# cross compiler and qemu are still installed.
aarch64-deps:
	$(Q)sh mk/ensure-deps.sh aarch64

$(AARCH64_SYSROOT)/.complete: mk/aarch64-sysroot.sh | aarch64-deps
	$(Q)sh mk/aarch64-sysroot.sh $(AARCH64_SYSROOT)

build-aarch64: aarch64-deps $(AARCH64_SYSROOT)/.complete
	$(Q)$(MAKE) --no-print-directory CROSS=$(AARCH64_CROSS) BUILD=$(AARCH64_BUILD) \
	  CC='$(AARCH64_CC)' PKG_CONFIG='$(AARCH64_PKG_CONFIG)' all
	$(Q)printf '#!/bin/sh\nexec %s "$$(dirname "$$0")/%s" "$$@"\n' '$(AARCH64_QEMU)' qcts > $(AARCH64_BUILD)/qcts-qemu
	$(Q)printf '#!/bin/sh\nexec %s "$$(dirname "$$0")/tests/%s" "$$@"\n' '$(AARCH64_QEMU)' qcts-tests > $(AARCH64_BUILD)/qcts-tests-qemu
	$(Q)chmod +x $(AARCH64_BUILD)/qcts-qemu $(AARCH64_BUILD)/qcts-tests-qemu

# The start time is kept in a file so that every step is its own recipe line
# (make -n then prints the tests instead of running them).
test-aarch64:
	@mkdir -p $(AARCH64_BUILD) && date +%s > $(AARCH64_BUILD)/.test-start
	$(Q)$(MAKE) --no-print-directory build-aarch64
	@file $(AARCH64_BUILD)/qcts | cut -d, -f1-2
	@QCTS_TEST_QUICK=1 QCTS=$(AARCH64_BUILD)/qcts-qemu TEST_RUNNER=$(AARCH64_BUILD)/qcts-tests-qemu tests/run-all.sh; \
	rc=$$?; echo "test-aarch64: $$(( $$(date +%s) - $$(cat $(AARCH64_BUILD)/.test-start) )) s (cross build and tests under qemu)"; exit $$rc
